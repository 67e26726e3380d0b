"""The recognizer hears a long segment whole: every sentence of a take over a minute long (three of the
pieces under 30 s that the recognizer is given) is in its transcript (Whisper's long-form decoding needs
timestamps; without them it skipped passages)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from audiopipe.cli import main
from audiopipe.qa.asr import english_words
from tests.conftest import read_json, write

SENTENCES = [
    "The harbour office opened its new container terminal on a cold Tuesday morning.",
    "Twelve cranes now lift boxes from ships that arrive from three continents.",
    "A farmer from the valley says apple prices doubled after the early frost.",
    "The city library will stay open until midnight during the examination season.",
    "Engineers tested a quiet electric ferry that crosses the river in nine minutes.",
    "The weather service expects heavy rain along the northern coast this weekend.",
    "Shipping firms asked the government to dredge the channel before the summer.",
    "Copper prices fell for a second week as factories waited for new orders.",
    "The airport plans a second runway, but residents worry about the noise.",
    "Finally, the orchestra announced a free concert in the park on Friday evening.",
]


@pytest.mark.asr
@pytest.mark.e2e
def test_every_sentence_of_a_segment_over_a_minute_long_is_heard(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from audiopipe.qa import asr
    reason = asr.unavailable(Path(os.environ["AUDIOPIPE_CACHE"]))
    if reason:
        pytest.skip(f"speech recognition unavailable: {reason}")
    voices = tmp_path / "voices"
    write(voices / "en-slow.yaml", "language: en\nengine: espeak\nvoices: {espeak: en-us}\nrate: -40\n")
    manifest = write(tmp_path / "long.yaml", 'title: "Long"\ndate: 2026-11-20\nintro: false\noutro: false\n'
                     'voices: {en: en-slow}\n'
                     f'stories:\n  - en: "{" ".join(SENTENCES)}"\n    zh: "今天的新闻就到这里。"\n')
    out = tmp_path / "o"
    assert main(["build", str(manifest), "--out", str(out), "--no-qa", "--voices", str(voices)]) == 0
    record = read_json(out / "long" / "report.json")
    en = record["segments"][0]
    assert en["duration_ms"] >= 60_000, "a segment over a minute long: three pieces for the recognizer"
    main(["qa", "long", "--out", str(out), "--asr"])
    capsys.readouterr()
    heard = set(english_words(read_json(out / "long" / "qa.json")["asr"]["1"]["transcript"]))
    missed = []
    for sentence in SENTENCES:
        words = [w for w in english_words(sentence) if len(w) > 3]
        if sum(w in heard for w in words) < 0.6 * len(words):
            missed.append(sentence)
    assert missed == [], f"sentences the recognizer did not hear: {missed}"


def test_long_audio_is_cut_at_its_pauses_into_pieces_whisper_hears_whole() -> None:
    import numpy as np

    from audiopipe.qa.asr import PIECE_S, pieces_at_pauses
    rate = 16000
    rng = np.random.default_rng(7)
    speech = [rng.normal(0, 0.1, int(rate * s)).astype(np.float32) for s in (9.0, 8.5, 7.0, 9.5, 8.0, 6.0, 9.0, 4.0)]
    pause = np.zeros(rate // 2, np.float32)
    audio = np.concatenate([x for s in speech for x in (s, pause)])
    pieces = pieces_at_pauses(audio, rate)
    assert sum(len(p) for p in pieces) == len(audio)
    assert len(pieces) > 1 and all(len(p) <= PIECE_S[1] * rate for p in pieces)
    for p in pieces[:-1]:
        assert float(np.abs(p[-rate // 10:]).max()) == 0.0, "each cut falls inside a pause"
    assert pieces_at_pauses(audio[: rate * 20], rate)[0] is not None and len(pieces_at_pauses(audio[: rate * 20], rate)) == 1
