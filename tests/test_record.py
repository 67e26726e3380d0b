"""The episode record (report.json): typed, complete, and read back or refused in one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from audiopipe.errors import AudiopipeError
from audiopipe.publish.record import SCHEMA, EpisodeRecord, RecordedOptions
from audiopipe.qa.findings import Finding
from audiopipe.qa.page import Observed, render
from tests.conftest import REPO

GOLDEN = REPO / "tests" / "data" / "golden" / "two-stories"

SCHEMA_1_SEGMENT_KEYS = {
    "index", "lang", "story", "chapter", "voice_profile", "engine", "voice", "rate", "text", "spoken_text",
    "start_ms", "end_ms", "duration_ms", "cached", "take", "loudness_lufs", "true_peak_dbtp", "gain_db",
    "take_loudness_lufs", "take_true_peak_dbtp", "lead_silence_ms", "trail_silence_ms", "file", "word_timings",
    "words"}
SCHEMA_1_EPISODE_KEYS = {
    "slug", "title", "date", "episode", "description", "manifest", "file", "order", "mode", "duration_ms",
    "loudness_lufs", "true_peak_dbtp", "target_lufs", "true_peak_limit_dbtp", "window_s"}


def golden() -> EpisodeRecord:
    return EpisodeRecord.load(GOLDEN)


def test_report_keeps_every_field_tools_read() -> None:
    data = golden().to_json()
    assert {"audiopipe", "episode", "build", "chapters", "stingers", "bed", "segments", "guid"} <= set(data)
    assert data["schema"] == SCHEMA
    assert set(data["episode"]) == SCHEMA_1_EPISODE_KEYS | {"figures_accepted", "figures_accept"}   # schema 2 adds them
    assert all(SCHEMA_1_SEGMENT_KEYS <= set(s) for s in data["segments"])
    assert {"synthesized", "cached", "seconds", "stages", "episode_reused", "options"} == set(data["build"])


def test_the_records_are_frozen_and_typed() -> None:
    record = golden()
    seg = record.segments[0]
    assert seg.duration_ms == seg.end_ms - seg.start_ms and seg.label == "segment 1 (en)"
    assert seg.word_timings in ("engine", "estimated")
    with pytest.raises(AttributeError):
        setattr(seg, "text", "changed")


def test_a_schema_1_report_reads_with_default_options(tmp_path: Path) -> None:
    data = json.loads((GOLDEN / "report.json").read_text(encoding="utf-8"))
    del data["schema"], data["build"]["options"], data["build"]["stages"], data["build"]["episode_reused"]
    (tmp_path / "report.json").write_text(json.dumps(data), encoding="utf-8")
    record = EpisodeRecord.load(tmp_path)
    assert record.schema == 1 and record.build.options == RecordedOptions()


@pytest.mark.parametrize("damage", ["truncated", "not json", "no file key", "empty"])
def test_a_damaged_report_is_one_line_naming_the_file(tmp_path: Path, damage: str) -> None:
    text = (GOLDEN / "report.json").read_text(encoding="utf-8")
    data = json.loads(text)
    del data["episode"]["file"]
    broken = {"truncated": text[: len(text) // 2], "not json": "<html>", "empty": "",
              "no file key": json.dumps(data)}[damage]
    (tmp_path / "report.json").write_text(broken, encoding="utf-8")
    with pytest.raises(AudiopipeError) as caught:
        EpisodeRecord.load(tmp_path)
    message = caught.value.message
    assert message.startswith(f"{tmp_path / 'report.json'}: cannot read the build report")
    assert message.endswith("rebuild the episode") and "\n" not in message


def test_a_missing_report_says_build_first(tmp_path: Path) -> None:
    with pytest.raises(AudiopipeError, match=r"report.json: no built episode here; build it first"):
        EpisodeRecord.load(tmp_path)


def test_page_has_a_row_per_segment_flags_failures_and_escapes(tmp_path: Path) -> None:
    record = golden()
    findings = [Finding("silent", "fail", "segment 2 (zh) is <silent>", 2), Finding("order", "pass", "ok")]
    page = render(tmp_path, record, Observed(findings))
    assert page.count('<tr class="seg') == len(record.segments)
    assert page.count('<tr class="seg flagged"') == 1 and 'data-index="2"' in page
    assert "segment 2 (zh) is &lt;silent&gt;" in page and "<silent>" not in page
    for seg in record.segments:
        assert f'data-duration="{seg.duration_ms / 1000:.3f}"' in page
        assert f'src="{seg.file}"' in page


def test_srt_cues_hold_two_lines_of_32_latin_or_16_chinese_characters() -> None:
    from audiopipe.publish.transcript import (
        NO_LINE_START,
        SRT_WIDTH,
        _width,
        cues_of,
        to_srt,
        two_lines,
        wrap,
    )
    record = golden()
    cues = cues_of(record, two_lines)
    srt = to_srt(cues)
    blocks = [b.splitlines() for b in srt.strip().split("\n\n")]
    assert len(blocks) == len(cues) >= len(record.segments)
    for block in blocks:
        text_lines = block[2:]
        assert 1 <= len(text_lines) <= 2
        # a Chinese line may pass the width only by the closing mark hanging at its end
        assert all(_width(line.rstrip(NO_LINE_START)) <= SRT_WIDTH for line in text_lines)
        assert not any(line[0] in NO_LINE_START for line in text_lines[1:])
    assert wrap("十月份，地区主要港口的集装箱吞吐量连续第四个月上升。", "zh")[0] == "十月份，地区主要港口的集装箱吞吐"
    assert wrap("a " * 20, "en") == ["a " * 15 + "a", "a a a a"]


def test_a_chinese_srt_line_never_begins_with_closing_punctuation_nor_ends_with_an_opening_one() -> None:
    from audiopipe.publish.transcript import wrap
    sixteen = "港口集装箱吞吐量连续第四个月上升"
    assert wrap(sixteen + "，出口也回升。", "zh") == [sixteen + "，", "出口也回升。"]       # hangs at the end
    assert wrap(sixteen + "。”他说。", "zh") == [sixteen + "。”", "他说。"]
    assert wrap(sixteen[:15] + "「港口」的吞吐量。", "zh") == [sixteen[:15], "「港口」的吞吐量。"]   # opens the next
    assert wrap("Exports rose, " * 4, "en")[1][0] != ","
