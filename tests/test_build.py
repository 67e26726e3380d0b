"""End to end with the real offline engine: the MP3, its tags, the report, the cache."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from audiopipe.cli import main
from tests.builds import built_once
from tests.conftest import TWO_STORIES, decode_seconds, ffmpeg_loudness, mp3_info, read_json, run_module, write


@pytest.fixture
def built(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    def make(folder: Path) -> None:
        manifest = write(folder / "episodes" / "two-stories.yaml", TWO_STORIES)
        assert main(["build", str(manifest), "--out", str(folder / "out")]) == 0
        capsys.readouterr()
    built_once(tmp_path, "built", make)
    return tmp_path / "out" / "two-stories"


@pytest.mark.e2e
def test_episode_mp3_tags_and_duration(built: Path) -> None:
    mp3 = built / "two-stories.mp3"
    info = mp3_info(mp3)
    assert info.info.sample_rate == 44100
    assert info.info.channels == 1
    assert 96000 <= info.info.bitrate <= 128000
    tags = info.tags
    assert tags is not None and tags.version[:2] == (2, 4)
    assert str(tags["TIT2"]) == "Two stories"
    assert str(tags["TALB"]) == "audiopipe briefing"
    assert str(tags["TPE1"]) == "audiopipe"
    assert str(tags["TDRC"]) == "2026-11-20"
    assert str(tags["TRCK"]) == "7"
    assert str(tags["TCON"]) == "Podcast"
    assert tags["COMM::eng"].text == ["A short test episode & its <description>."]
    assert tags["TLAN"].text == ["eng", "zho"]
    report = read_json(built / "report.json")
    seconds = decode_seconds(mp3)
    assert abs(seconds - report["episode"]["duration_ms"] / 1000) < 0.15
    # four short takes, two stingers, gaps: between 15 and 45 seconds
    assert 15 < seconds < 45


@pytest.mark.e2e
def test_report_segments_in_order_and_on_the_timeline(built: Path) -> None:
    report = read_json(built / "report.json")
    segs = report["segments"]
    assert [s["lang"] for s in segs] == ["en", "zh", "en", "zh"]
    assert [s["story"] for s in segs] == [1, 1, 2, 2]
    assert [s["voice"] for s in segs] == ["en-us", "cmn", "en-us", "cmn"]
    assert {s["engine"] for s in segs} == {"espeak"}
    assert all(not s["cached"] for s in segs)
    assert report["build"] == {**report["build"], "synthesized": 4, "cached": 0}
    for a, b in zip(segs, segs[1:]):
        assert a["end_ms"] < b["start_ms"], "segments do not overlap"
    gap_in_story = segs[1]["start_ms"] - segs[0]["end_ms"]
    gap_between = segs[2]["start_ms"] - segs[1]["end_ms"]
    assert gap_between > gap_in_story >= 300
    intro, outro = report["stingers"]
    assert intro["kind"] == "intro" and intro["start_ms"] == 0 and intro["end_ms"] < segs[0]["start_ms"]
    assert outro["kind"] == "outro" and outro["start_ms"] > segs[-1]["end_ms"]
    assert outro["end_ms"] == report["episode"]["duration_ms"]
    assert [c["title"] for c in report["chapters"]] == ["Markets", "Shipping"]
    # the first chapter takes in the intro; the others start with their story's first segment
    assert [c["start_ms"] for c in report["chapters"]] == [0, segs[2]["start_ms"]]
    assert [c["end_ms"] for c in report["chapters"]] == [segs[2]["start_ms"], report["episode"]["duration_ms"]]
    # word timings land inside their segment, in order
    for s in segs:
        words = s["words"]
        assert words and words[0]["start_ms"] >= s["start_ms"] - 1
        assert words[-1]["start_ms"] < s["end_ms"]


@pytest.mark.e2e
def test_segment_files_are_the_segments(built: Path) -> None:
    report = read_json(built / "report.json")
    names = sorted(p.name for p in (built / "segments").iterdir())
    assert names == ["01-en.mp3", "02-zh.mp3", "03-en.mp3", "04-zh.mp3"]
    for s in report["segments"]:
        seconds = decode_seconds(built / s["file"])
        assert abs(seconds - s["duration_ms"] / 1000) < 0.1
        assert s["duration_ms"] > 1500


@pytest.mark.e2e
def test_what_listeners_hear_is_at_the_target_and_the_report_says_so(built: Path) -> None:
    """Every MP3 as decoded (ffmpeg's meter): -16 ± 0.3 LUFS, true peaks at most -1 dBTP; report.json's
    figures are the decoded ones, not the audio before encoding (which the encoder takes 0.4 LU off)."""
    report = read_json(built / "report.json")
    stated = {"two-stories.mp3": report["episode"]} | {e["file"]: e for e in report["editions"]}
    assert len(stated) == 3
    for name, said in stated.items():
        loud = ffmpeg_loudness(built / name)
        assert abs(loud.integrated_lufs + 16.0) <= 0.3 and loud.true_peak_dbtp <= -1.0, name
        assert abs(said["loudness_lufs"] - loud.integrated_lufs) <= 0.1, name
        assert abs(said["true_peak_dbtp"] - loud.true_peak_dbtp) <= 0.1, name


@pytest.mark.e2e
def test_rebuild_synthesizes_nothing_and_edit_resynthesizes_two(two_stories: Path, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["build", str(two_stories), "--out", str(out)]) == 0
    first = capsys.readouterr()
    assert "takes: 4 synthesized, 0 from cache" in first.err
    (out / "two-stories" / "two-stories.mp3").unlink()       # (with every file there, nothing to do: test_unchanged)
    assert main(["build", str(two_stories), "--out", str(out)]) == 0
    second = capsys.readouterr()
    assert "takes: 0 synthesized, 4 from cache" in second.err
    report = read_json(out / "two-stories" / "report.json")
    assert all(s["cached"] for s in report["segments"])

    edited = two_stories.read_text(encoding="utf-8").replace("third week", "fourth week").replace(
        "第三周", "第四周")
    two_stories.write_text(edited, encoding="utf-8")
    assert main(["build", str(two_stories), "--out", str(out)]) == 0
    assert "takes: 2 synthesized, 2 from cache" in capsys.readouterr().err
    report = read_json(out / "two-stories" / "report.json")
    assert [s["cached"] for s in report["segments"]] == [True, True, False, False]
    assert not list(out.rglob("*.part")), "no temporary files remain"


@pytest.mark.e2e
def test_script_manifest_builds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = tmp_path / "script.yaml"
    manifest.write_text('title: "S"\ndate: 2026-11-20\nintro: false\noutro: false\nscript: |\n'
                        "  Good morning.\n\n  早上好。\n", encoding="utf-8")
    assert main(["build", str(manifest), "--out", str(tmp_path / "o")]) == 0
    report = read_json(tmp_path / "o" / "script" / "report.json")
    assert [s["lang"] for s in report["segments"]] == ["en", "zh"]
    assert report["stingers"] == []
    assert report["segments"][0]["start_ms"] == 0


@pytest.mark.e2e
def test_python_dash_m_builds(two_stories: Path, tmp_path: Path) -> None:
    proc = run_module("build", str(two_stories), "--out", str(tmp_path / "o"))
    assert proc.returncode == 0, proc.stderr
    assert "built " in proc.stdout
    assert json.loads((tmp_path / "o" / "two-stories" / "report.json").read_text())["segments"]


@pytest.mark.e2e
def test_demo_episode_is_about_three_minutes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.conftest import REPO
    assert main(["build", str(REPO / "episodes" / "morning-ledger.yaml"), "--out", str(tmp_path)]) == 0
    assert "warning" not in capsys.readouterr().err
    report = read_json(tmp_path / "morning-ledger" / "report.json")
    assert 150 <= report["episode"]["duration_ms"] / 1000 <= 210
    assert [s["lang"] for s in report["segments"]] == ["en", "zh"] * 5


@pytest.mark.e2e
def test_unchanged_sound_reuses_the_episode_and_retags(two_stories: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    mp3 = out / "two-stories" / "two-stories.mp3"
    assert main(["build", str(two_stories), "--out", str(out)]) == 0
    assert read_json(out / "two-stories" / "report.json")["build"]["episode_reused"] is False
    first_audio = ffmpeg_pcm(mp3)
    two_stories.write_text(two_stories.read_text(encoding="utf-8").replace('title: "Two stories"',
                                                                           'title: "Two stories, retitled"'))
    assert main(["build", str(two_stories), "--out", str(out)]) == 0
    report = read_json(out / "two-stories" / "report.json")
    assert report["build"]["episode_reused"] is True
    assert str(mp3_info(mp3).tags["TIT2"]) == "Two stories, retitled"
    assert ffmpeg_pcm(mp3) == first_audio
    assert main(["build", str(two_stories), "--out", str(out), "--remaster"]) == 0
    assert read_json(out / "two-stories" / "report.json")["build"]["episode_reused"] is False


def ffmpeg_pcm(path: Path) -> bytes:
    from audiopipe.tools import ffmpeg
    return ffmpeg.decode_file(path)
