"""A long segment is made as several takes (sentence groups) and joined: an edit re-makes one group."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from audiopipe.cli import main
from audiopipe.dsp import signal
from audiopipe.synth.plan import sentence_groups
from audiopipe.text import split_sentences
from audiopipe.tools import ffmpeg
from audiopipe.tools.wav import WORK_RATE
from tests.conftest import read_json, write

LONG_EN = ("The battery maker reported third-quarter revenue of 35 billion yuan, up 12.6% from a year earlier. "
           "Net profit came to 4.7 billion yuan, ahead of the 4.3 billion analysts expected. "
           "Its gross margin widened 1.8 percentage points to 24.4%. "
           "The shopping platform said monthly active users reached 512 million, up 38 million in a year. "
           "Advertising revenue grew 9% to 3.4 billion dollars.")
LONG_ZH = ("这家电池制造商公布，第三季度营收350亿元，同比增长12.6%。净利润47亿元，高于分析师预期的43亿元。"
           "毛利率提高1.8个百分点，至24.4%。这家购物平台表示，月活跃用户达到5.12亿，一年内增加3800万。")


def test_groups_keep_every_character_and_stay_within_the_limit() -> None:
    for text, lang in ((LONG_EN, "en"), (LONG_ZH, "zh")):
        groups = sentence_groups(text, lang, 0, 8)
        assert "".join(groups) == text
        assert len(groups) >= 3
        for group in groups:          # whole sentences only
            assert split_sentences(group)[-1].rstrip()[-1] in ".。"


def test_groups_of_a_short_text_or_without_a_limit_are_the_text() -> None:
    assert sentence_groups(LONG_EN, "en", 0, 0) == [LONG_EN]
    assert sentence_groups("Good morning.", "en", 0, 45) == ["Good morning."]
    one = "word " * 300 + "end."                 # one sentence over the limit is never cut
    assert sentence_groups(one, "en", 0, 10) == [one]


def test_an_edit_late_in_the_text_keeps_the_groups_before_it() -> None:
    before = sentence_groups(LONG_EN, "en", 0, 8)
    after = sentence_groups(LONG_EN.replace("Advertising revenue", "Advertising sales"), "en", 0, 8)
    assert after[:-1] == before[:-1] and after[-1] != before[-1]


def test_a_faster_rate_makes_fewer_groups() -> None:
    assert len(sentence_groups(LONG_EN, "en", 60, 8)) < len(sentence_groups(LONG_EN, "en", 0, 8))


def _episode(tmp_path: Path, take_max_s: int, en: str = LONG_EN) -> Path:
    write(tmp_path / "show.yaml", f"title: Parts\ntake_max_s: {take_max_s}\ntarget_seconds: 60\neditions: false\n")
    return write(tmp_path / "long.yaml", f'title: "Long"\ndate: 2026-11-19\nstories:\n'
                 f'  - title: One\n    en: "{en}"\n    zh: "{LONG_ZH}"\n')


def _build(tmp_path: Path, manifest: Path, capsys: pytest.CaptureFixture[str]) -> str:
    code = main(["build", str(manifest), "--engine", "espeak", "--no-feed", "--out", str(tmp_path / "out")])
    out = capsys.readouterr()
    assert code == 0, out.err
    return out.err + out.out


@pytest.mark.e2e
def test_a_long_segment_is_joined_from_its_groups_and_an_edit_remakes_one(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = _episode(tmp_path, 8)
    log = _build(tmp_path, manifest, capsys)
    folder = tmp_path / "out" / "long"
    report = read_json(folder / "report.json")
    groups = sum(len(sentence_groups(s["spoken_text"], s["lang"], 0, 8)) for s in report["segments"])
    assert groups >= 6 and f"takes: {groups} synthesized" in log
    assert [s["lang"] for s in report["segments"]] == ["en", "zh"]       # still one segment per language
    en = report["segments"][0]
    starts = [w["start_ms"] for w in en["words"]]
    assert starts == sorted(starts) and en["start_ms"] <= starts[0] and en["words"][-1]["end_ms"] <= en["end_ms"] + 400
    assert len(en["words"]) >= len(LONG_EN.split()) - 5          # every group's words, moved into place
    audio = signal.to_float(ffmpeg.decode_file(folder / en["file"]))
    assert len(audio) / WORK_RATE == pytest.approx(en["duration_ms"] / 1000, abs=0.2)
    assert signal.longest_inner_silence_ms(audio) < 700                 # the seams are a sentence's pause
    qa = read_json(folder / "qa.json")
    assert qa["passed"], qa

    edited = _episode(tmp_path, 8, LONG_EN.replace("Advertising revenue", "Advertising sales"))
    log = _build(tmp_path, edited, capsys)
    assert "takes: 1 synthesized" in log                              # the last group of the English only
    again = read_json(folder / "report.json")["segments"][0]
    assert again["take"] != en["take"]
    assert [w["start_ms"] for w in again["words"][:10]] == starts[:10]   # the groups before it: the same audio


@pytest.mark.e2e
def test_without_a_limit_a_segment_is_one_take(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = _build(tmp_path, _episode(tmp_path, 0), capsys)
    assert "takes: 2 synthesized" in log
    report = read_json(tmp_path / "out" / "long" / "report.json")
    pcm = ffmpeg.decode_file(tmp_path / "out" / "long" / report["segments"][0]["file"])
    assert np.abs(signal.to_float(pcm)).max() > 0.1


def test_a_headline_is_a_first_line_without_a_sentence_end() -> None:
    from audiopipe.text import headline_split
    assert headline_split("Copper hits a six-month high\n\nCopper rose 2%. It fell later.") == \
        ("Copper hits a six-month high", "Copper rose 2%. It fell later.")
    assert headline_split("小米汽车交付量创新高\n\n小米十一月交付量创新高。") == \
        ("小米汽车交付量创新高", "小米十一月交付量创新高。")
    assert headline_split("Copper rose.\n\nIt fell later.") is None            # a sentence, not a headline
    assert headline_split("Copper hits a high") is None                        # nothing after it
    assert headline_split("A first line\nand a second\n\nbody.") is None       # not one line
    assert headline_split(" ".join(["word"] * 21) + "\n\nbody.") is None       # too long for a headline


@pytest.mark.e2e
def test_a_headline_is_said_alone_with_a_headline_pause(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The headline is a take of its own, never run into the story; the pause after it is the headline's
    (0.65 s of silence in the MP3), longer than the pauses between the story's sentences."""
    headline = "Copper hits a six-month high"
    manifest = _episode(tmp_path, 0, f"{headline}\\n\\nCopper rose to 9,850 dollars a tonne in London. "
                                    "Traders expect new grid spending to lift it further.")
    log = _build(tmp_path, manifest, capsys)
    assert "takes: 3 synthesized" in log                      # the headline, the English story, the Chinese
    en = read_json(tmp_path / "out" / "long" / "report.json")["segments"][0]
    assert en["spoken_text"].startswith(f"{headline}\n\nCopper rose to nine thousand")
    assert [w["text"] for w in en["words"][:6]] == [*headline.split(), "Copper"]
    audio = signal.to_float(ffmpeg.decode_file(tmp_path / "out" / "long" / en["file"]))
    frame = WORK_RATE // 100              # the silences of 150 ms or more inside the segment, in 10 ms frames
    quiet = [float(np.abs(audio[i:i + frame]).max()) < 0.01 for i in range(0, len(audio) - frame, frame)]
    runs = [len(r) * 10 for r in "".join("q" if q else "s" for q in quiet).strip("q").split("s") if len(r) >= 15]
    assert runs and abs(runs[0] - 650) <= 40, runs             # after the headline
    assert all(r < 600 for r in runs[1:]), runs                # between the story's sentences: shorter
