"""QA checks, each proved on an episode made to fail it; re-takes; the page's content."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from mutagen.id3 import TIT2

from audiopipe.cli import main
from audiopipe.dsp import signal
from audiopipe.dsp.signal import Samples
from audiopipe.synth.cache import TakeCache
from audiopipe.tools import wav
from tests.builds import built_once
from tests.conftest import cache_root, id3, read_json, write

MANIFEST = """
    title: "QA test"
    date: 2026-11-20
    stories:
      - title: "Rates <b>&</b> markets"
        en: "The central bank kept its lending rate unchanged for a third meeting in a row."
        zh: "央行连续第三次会议维持贷款利率不变，符合市场预期。"
      - en: "Shipping rates fell for a third week as demand cooled after the holidays."
        zh: "节后需求降温，航运价格连续第三周下跌。"
"""


@pytest.fixture
def episode(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, Path]:
    def make(folder: Path) -> None:
        manifest = write(folder / "ep" / "qa-test.yaml", MANIFEST)
        write(folder / "ep" / "show.yaml", "editions: false\n")   # the editions' own QA: tests/test_editions.py
        assert main(["build", str(manifest), "--out", str(folder / "out")]) == 0
        err = capsys.readouterr()
        assert "qa: " in err.out and " 0 failed" in err.out
    built_once(tmp_path, "qa-test", make)
    return tmp_path / "ep" / "qa-test.yaml", tmp_path / "out"


def take_of(out: Path, index: int) -> Path:
    take: str = read_json(out / "qa-test" / "report.json")["segments"][index - 1]["take"]
    return cache_root() / "takes" / take[:2] / f"{take}.wav"


def tamper(out: Path, index: int, change: Callable[[Samples], Samples]) -> None:
    """Store a bad take in the cache as if an engine had made it (through the cache, so that its hash
    matches: the cache's own check is not what these tests prove), and forget everything mastered from it."""
    path = take_of(out, index)
    cache = TakeCache(cache_root())
    info = cache.get(path.stem)
    assert info is not None
    pcm, _rate = wav.read_wav(path)
    cache.put(info, signal.to_pcm(change(signal.to_float(pcm)).astype(np.float32)))
    shutil.rmtree(cache_root() / "mastered", ignore_errors=True)


def rebuild_and_check(manifest: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    code = main(["build", str(manifest), "--out", str(out)])
    captured = capsys.readouterr()
    qa = json.loads((out / "qa-test" / "qa.json").read_text())["findings"]
    failed = [f for f in qa if f["status"] == "fail"]
    assert code == (1 if failed else 0)
    if failed:
        assert "error: QA failed: the episode was built but not published" in captured.err
    return failed


@pytest.mark.e2e
@pytest.mark.parametrize("name,change,check", [
    ("silent", lambda x: np.zeros_like(x), "silent"),
    ("clipped", lambda x: np.clip(x * 12, -1, 1), "clipped"),
    ("cut short", lambda x: x[: len(x) // 5], "cut-short"),
    ("inner silence", lambda x: np.concatenate([x[: len(x) // 2], np.zeros(44100 * 3, np.float32), x[len(x) // 2:]]),
     "inner-silence"),
])
def test_a_bad_take_is_caught(episode: tuple[Path, Path], capsys: pytest.CaptureFixture[str],
                              name: str, change: Callable[[Samples], Samples], check: str) -> None:
    manifest, out = episode
    tamper(out, 2, change)
    failed = rebuild_and_check(manifest, out, capsys)
    assert [(f["check"], f["segment"]) for f in failed] == [(check, 2)], failed
    assert "segment 2 (zh)" in str(failed[0]["message"])


@pytest.mark.e2e
def test_swapped_language_is_caught(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    voices = tmp_path / "voices"
    write(voices / "zh-wrong.yaml", "language: zh\nengine: espeak\nvoices: {espeak: en-us}\n")
    manifest = write(tmp_path / "ep" / "qa-test.yaml", MANIFEST.replace("date: 2026-11-20",
                                                                         "date: 2026-11-20\n    voices: {zh: zh-wrong}"))
    out = tmp_path / "out"
    assert main(["build", str(manifest), "--out", str(out), "--voices", str(voices)]) == 1
    capsys.readouterr()
    failed = [f for f in read_json(out / "qa-test" / "qa.json")["findings"] if f["status"] == "fail"]
    assert [(f["check"], f["segment"]) for f in failed] == [("language", 2), ("language", 4)]
    assert "segment 2 is Chinese text but voice en-us speaks English" in failed[0]["message"]
    assert "point the zh profile (zh-wrong) at a Chinese voice" in failed[0]["message"]


@pytest.mark.e2e
def test_truncated_mp3_and_wrong_tags_are_caught(episode: tuple[Path, Path],
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    _, out = episode
    mp3 = out / "qa-test" / "qa-test.mp3"
    tags = id3(mp3)
    tags.add(TIT2(encoding=1, text="Wrong title"))  # type: ignore[no-untyped-call]
    tags.save(mp3, v2_version=3)
    data = mp3.read_bytes()
    mp3.write_bytes(data[: len(data) * 2 // 5])
    assert main(["qa", "qa-test", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "qa FAIL [decode] the MP3 decodes to " in err and "truncated or damaged; rebuild the episode" in err
    assert "qa FAIL [tags] title is 'Wrong title', not 'QA test'" in err


@pytest.mark.e2e
def test_languages_out_of_order_are_caught(episode: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    _, out = episode
    report_path = out / "qa-test" / "report.json"
    report = read_json(report_path)
    report["segments"][3]["lang"] = "en"
    report_path.write_text(json.dumps(report))
    assert main(["qa", "qa-test", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "qa FAIL [order] story 2 has no Chinese segment; rebuild from the manifest" in err


@pytest.mark.e2e
def test_good_episode_passes_and_qa_needs_a_build(episode: tuple[Path, Path], tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    _, out = episode
    assert main(["qa", "qa-test", "--out", str(out)]) == 0
    assert "0 failed" in capsys.readouterr().out
    assert main(["qa", "nope", "--out", str(out)]) == 2
    assert capsys.readouterr().err == (f"error: {out / 'nope'}: no built episode here (no report.json); build it "
                                       "first with `audiopipe build episodes/nope.yaml`\n")


@pytest.mark.asr
@pytest.mark.e2e
def test_asr_without_the_extra_says_why(episode: tuple[Path, Path], capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from audiopipe.qa import asr
    monkeypatch.setattr(asr, "unavailable", lambda cache_dir: "faster-whisper is not installed (pip install 'audiopipe[asr]')")
    _, out = episode
    assert main(["qa", "qa-test", "--out", str(out), "--asr"]) == 0
    qa = read_json(out / "qa-test" / "qa.json")["findings"]
    assert {"check": "asr", "status": "skip", "segment": None,
            "message": "speech recognition skipped: faster-whisper is not installed (pip install 'audiopipe[asr]')"} in qa
    capsys.readouterr()


@pytest.mark.e2e
def test_retake_one_segment(episode: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    manifest, out = episode
    before = read_json(out / "qa-test" / "report.json")["segments"]
    assert main(["retake", "qa-test", "3", "--rate", "20", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "re-took segment 3" in printed and "(1 synthesized, 3 cached)" in printed
    after = read_json(out / "qa-test" / "report.json")["segments"]
    assert after[2]["rate"] == 20 and after[2]["duration_ms"] < before[2]["duration_ms"] * 0.9
    assert [s["rate"] for i, s in enumerate(after) if i != 2] == [s["rate"] for i, s in enumerate(before) if i != 2]
    # the reviewer's choice survives a plain rebuild
    assert main(["build", str(manifest), "--out", str(out)]) == 0
    assert read_json(out / "qa-test" / "report.json")["segments"][2]["rate"] == 20
    assert "retakes: 1 segment(s) keep the voice, rate or text a reviewer chose" in capsys.readouterr().err
    assert read_json(out / "qa-test" / "review.json")["overrides"] == {"3": {"rate": 20}}
    assert main(["retake", "qa-test", "9", "--out", str(out)]) == 2
    assert "no segment 9; segments are 1..4" in capsys.readouterr().err


@pytest.mark.e2e
def test_page_is_self_contained_and_escaped(episode: tuple[Path, Path]) -> None:
    _, out = episode
    page = (out / "qa-test" / "qa.html").read_text(encoding="utf-8")
    assert "Rates &lt;b&gt;&amp;&lt;/b&gt; markets" in page and "<b>&</b>" not in page
    assert "http://" not in page and "https://" not in page, "no CDN, nothing fetched"
    assert page.count('<tr class="seg') == 4
    for i, lang in enumerate(["en", "zh", "en", "zh"], start=1):
        assert f'src="segments/{i:02d}-{lang}.mp3"' in page
    assert "央行连续第三次会议维持贷款利率不变" in page
    assert 'src="qa-test.mp3"' in page and "<svg" in page
    import re
    points = re.search(r'<polyline points="([^"]*)"', page)
    assert points and len(points.group(1).split()) > 20, "the loudness-over-time curve is drawn"
    path = re.search(r'<path d="M([^"]*)"', page)
    assert path and len(path.group(1).split(" L")) >= 1000, "the waveform is drawn"


@pytest.mark.asr
@pytest.mark.e2e
def test_speech_recognition_scores_and_catches_a_swapped_voice(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    from audiopipe.qa import asr
    if asr.unavailable(Path(os.environ['AUDIOPIPE_CACHE'])):
        pytest.skip(f"speech recognition unavailable: {asr.unavailable(Path(os.environ['AUDIOPIPE_CACHE']))}")
    voices = tmp_path / "voices"
    write(voices / "zh-wrong.yaml", "language: zh\nengine: espeak\nvoices: {espeak: en-us}\n")
    manifest = write(tmp_path / "asr.yaml", 'title: "ASR"\ndate: 2026-11-20\nvoices: {zh: zh-wrong}\nstories:\n'
                     '  - en: "The central bank kept its lending rate unchanged for a third meeting in a row."\n'
                     '    zh: "央行连续第三次会议维持贷款利率不变，符合市场预期。"\n')
    out = tmp_path / "o"
    assert main(["build", str(manifest), "--out", str(out), "--voices", str(voices), "--no-qa"]) == 0
    assert main(["qa", "asr", "--out", str(out), "--asr"]) == 1
    capsys.readouterr()
    qa = read_json(out / "asr" / "qa.json")
    en, zh = qa["asr"]["1"], qa["asr"]["2"]
    assert en["language"] == "en" and en["wer"] <= 0.3 and "central bank" in en["transcript"].lower()
    assert zh["language"] == "en" and zh["syllable_er"] > 0.6
    failed = {(f["check"], f["segment"]) for f in qa["findings"] if f["status"] == "fail"}
    assert failed == {("language", 2), ("asr-language", 2), ("asr", 2)}
    page = (out / "asr" / "qa.html").read_text(encoding="utf-8")
    assert "heard: The central bank" in page


def test_scoring_is_tone_aware_and_forgives_homophones() -> None:
    from audiopipe.qa import asr
    reason = asr.unavailable(Path(os.environ['AUDIOPIPE_CACHE']))
    if reason and "pypinyin" in reason:
        pytest.skip("pypinyin missing")
    assert asr.score("en", "The yuan, at 6.39, was steady.", "the yuan at 6.39 was steady") == {"wer": 0.0}
    # 他/她 are written differently but sound the same: a character error, not a syllable error
    s = asr.score("zh", "他说市场高开。", "她说市场高开")
    assert s["cer"] == pytest.approx(1 / 6, abs=0.01) and s["syllable_er"] == 0.0
    # a wrong tone is a syllable error
    assert asr.score("zh", "买", "卖")["syllable_er"] == 1.0


def test_the_recognizer_s_spelling_of_a_compound_is_not_an_error() -> None:
    from audiopipe.qa.asr import english_words, score
    assert english_words("Baidu's answer to ChatGPT and eSports") == ["baidu's", "answer", "to", "chat", "gpt",
                                                                     "and", "e", "sports"]
    assert score("en", "Baidu's answer to ChatGPT, in e-sports.", "Baidu's answer to chat GPT in eSports")["wer"] == 0
    assert score("en", "Baidu's answer to ChatGPT.", "Baidu's answer to chat, GBT.")["wer"] > 0     # a real slip


def test_a_piece_whisper_hears_in_a_loop_is_heard_again_with_repeats_held_back() -> None:
    """A real bulletin's segment was heard as "巴 巴 巴 …" to the end (syllable error 89%: QA failed a good
    take); the piece is transcribed once more with a repetition penalty, still without sampling."""
    from types import SimpleNamespace

    from audiopipe.qa.asr import looped, transcribe_pieces
    assert looped("华为 巴 巴 巴 巴 巴 巴 巴 巴 巴") and looped("哈哈哈哈哈哈哈哈") and not looped("the the market")
    calls: list[dict[str, object]] = []

    class Heard:
        def transcribe(self, piece: object, **options: object) -> tuple[list[SimpleNamespace], None]:
            calls.append(options)
            said = "八系列 巴 巴 巴 巴 巴 巴 巴 巴" if len(calls) == 1 else "八系列手机"
            return [SimpleNamespace(text=said)], None
    assert transcribe_pieces(Heard(), np.zeros(16000, np.float32), "zh") == "八系列手机"
    assert len(calls) == 2 and calls[1]["temperature"] == 0.0 and calls[1]["no_repeat_ngram_size"] == 4


@pytest.mark.e2e
def test_qa_reads_the_show_the_episode_was_built_with(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """One rule finds show.yaml (config/show.locate_show): `audiopipe qa` from another folder judges an
    episode by the show it was built with (its report.json names it), not by a show.yaml it happens to be
    near; `--show` still wins."""
    show = write(tmp_path / "shows" / "short.yaml", "title: Short\ntarget_seconds: 20\ntolerance_pct: 10\n")
    manifest = write(tmp_path / "m.yaml", 'title: "M"\ndate: 2026-11-20\nstories:\n  - en: "Hi there."\n'
                     '    zh: "你好。"\n')
    out = tmp_path / "out"
    assert main(["build", str(manifest), "--show", str(show), "--out", str(out), "--no-qa", "--quiet",
                 "--no-feed"]) == 0
    capsys.readouterr()
    main(["qa", "m", "--out", str(out), "--quiet"])          # run from the repository, beside its show.yaml
    assert "outside 0:18-0:22" in capsys.readouterr().err
    other = write(tmp_path / "shows" / "long.yaml", "title: Long\ntarget_seconds: 40\ntolerance_pct: 10\n")
    main(["qa", "m", "--out", str(out), "--show", str(other), "--quiet"])
    assert "outside 0:36-0:44" in capsys.readouterr().err
