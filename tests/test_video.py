"""The video edition: the MP4 (streams, length, captions drawn), a vertical clip per story, YouTube's
chapter lines, the feed's alternateEnclosure through the gate, `audiopipe video`, and Chromium playing it."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from audiopipe.cli import main
from audiopipe.publish import video
from audiopipe.tools import ffmpeg
from tests.builds import PLAIN, SHOW, build, built_once, episode
from tests.chromium import browser, chromium, open_page  # noqa: F401  (fixtures)
from tests.conftest import read_json, write

pytestmark = pytest.mark.e2e

THREE = """
    title: "Three stories"
    date: 2026-11-20
    episode: 3
    stories:
      - title: Markets
        en: "Markets opened higher on Monday. The yuan held at 6.39 per dollar, and traders expect a quiet week."
        zh: "周一市场高开。人民币兑美元汇率稳定在6.39，交易员预计本周将保持平静。"
      - title: Shipping
        en: "Shipping rates fell for a third week in a row, as demand from Europe cooled and carriers cut routes."
        zh: "航运价格连续第三周下跌，欧洲需求降温，承运商削减了航线。"
      - title: Batteries
        en: "A battery maker said it will build a plant in Hungary next year, its first outside the country."
        zh: "一家电池制造商表示，明年将在匈牙利建厂，这是其首个海外工厂。"
"""
VIDEO_SHOW = SHOW.rstrip() + "\n    video: true\n"                 # with the language editions
PODCAST = "https://podcastindex.org/namespace/1.0"


def streams(path: Path) -> tuple[float, str]:
    """(duration, the stream lines) as ffmpeg reads the file's header."""
    text = ffmpeg.run_stderr(["-i", str(path), "-t", "0.1", "-f", "null", "-"])
    found = re.search(r"Duration: (\d+):(\d+):(\d+\.\d+)", text)
    assert found, text
    return int(found[1]) * 3600 + int(found[2]) * 60 + float(found[3]), \
        "\n".join(ln for ln in text.splitlines() if "Stream #0:" in ln)


def built(tmp_path: Path) -> Path:
    """The three-story episode built with `video: true` (one build per test worker); its output folder."""
    def make(folder: Path) -> None:
        assert build(episode(folder, "three", THREE, VIDEO_SHOW), folder / "out") == 0
    built_once(tmp_path, "video-three", make)
    return tmp_path / "out"


def test_a_build_writes_the_video_its_clips_and_youtube_chapters(tmp_path: Path) -> None:
    folder = built(tmp_path) / "three"
    mp4, mp3 = folder / "three.mp4", folder / "three.mp3"
    seconds, lines = streams(mp4)
    assert re.search(r"Video: h264 .*1920x1080", lines) and "Audio: aac" in lines, lines
    assert abs(seconds - streams(mp3)[0]) <= 0.1                     # the same programme, the same length
    assert ffmpeg.run_stderr(["-v", "error", "-i", str(mp4), "-f", "null", "-"]).strip() == ""   # decodes clean
    report = read_json(folder / "report.json")
    clips = sorted(folder.glob("three-clip-*.mp4"))
    assert [p.name for p in clips] == ["three-clip-01-markets.mp4", "three-clip-02-shipping.mp4",
                                       "three-clip-03-batteries.mp4"]
    for clip, story in zip(clips, (1, 2, 3)):
        length, clip_lines = streams(clip)
        own = [s for s in report["segments"] if s["story"] == story]
        assert "1080x1920" in clip_lines and length <= 60.1
        assert abs(length - (own[-1]["end_ms"] - own[0]["start_ms"]) / 1000) <= 0.6    # the whole story: it fits
    lines_youtube = (folder / "chapters-youtube.txt").read_text(encoding="utf-8").splitlines()
    assert lines_youtube[0].startswith("0:00 Markets") and len(lines_youtube) == 3
    starts = [int(m) * 60 + int(s) for m, s in (re.match(r"(\d+):(\d\d) ", ln).groups() for ln in lines_youtube)]  # type: ignore[union-attr]
    assert all(b - a >= 10 for a, b in zip(starts, starts[1:]))
    assert any("·" in ln for ln in lines_youtube)                  # both languages where the Chinese title differs
    qa = read_json(folder / "qa.json")
    assert [f["status"] for f in qa["findings"] if f["check"] == "video"] == ["pass"]


def _frame(path: Path, at_s: float) -> np.ndarray:
    raw = ffmpeg.run(["-ss", f"{at_s:.3f}", "-i", str(path), "-frames:v", "1", "-vf", "scale=480:270,format=gray",
                      "-f", "rawvideo", "-"])
    return np.frombuffer(raw, np.uint8).reshape(270, 480).astype(np.float32)


def test_the_captions_are_drawn_in_each_language_s_style(tmp_path: Path) -> None:
    """A frame in the middle of a caption differs where captions sit from one in the pause after it; the
    English and the Chinese are drawn in their own colours."""
    folder = built(tmp_path) / "three"
    report = read_json(folder / "report.json")
    from audiopipe.publish.record import EpisodeRecord
    from audiopipe.publish.transcript import cues_of, two_lines
    cues = cues_of(EpisodeRecord.load(folder), two_lines)
    en, after = next((a, b) for a, b in zip(cues, cues[1:]) if a.lang == "en" and b.start_ms - a.end_ms >= 500)
    zh = next(c for c in cues if c.lang == "zh")
    inside = _frame(folder / "three.mp4", (en.start_ms + en.end_ms) / 2000)
    pause = _frame(folder / "three.mp4", (en.end_ms + after.start_ms) / 2000)
    assert report["segments"]
    assert float(np.abs(inside - pause)[200:].mean()) > 1.0         # the caption band changed
    raw = ffmpeg.run(["-ss", f"{(zh.start_ms + zh.end_ms) / 2000:.3f}", "-i", str(folder / "three.mp4"), "-frames:v", "1",
                      "-vf", "crop=1920:260:0:800,scale=480:65", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
    band = np.frombuffer(raw, np.uint8).reshape(-1, 3).astype(int)
    warm = ((band[:, 0] > 200) & (band[:, 2] < 150)).sum()          # the Chinese style's gold, not the English white
    assert warm > 20, warm


def test_the_feed_carries_the_video_through_the_gate(tmp_path: Path) -> None:
    out = built(tmp_path)
    item = ET.parse(out / "feed.xml").getroot().find("channel/item")
    assert item is not None
    videos = [alt for alt in item.findall(f"{{{PODCAST}}}alternateEnclosure") if alt.get("type") == "video/mp4"]
    assert len(videos) == 1
    source = videos[0].find(f"{{{PODCAST}}}source")
    assert source is not None
    served = out / "three" / "published" / source.get("uri", "").rsplit("/", 1)[-1]
    assert served.read_bytes() == (out / "three" / "three.mp4").read_bytes()
    assert videos[0].get("length") == str(served.stat().st_size) and int(videos[0].get("bitrate", "0")) > 0
    integrity = videos[0].find(f"{{{PODCAST}}}integrity")
    assert integrity is not None and integrity.get("value") == \
        "sha384-" + base64.b64encode(hashlib.sha384(served.read_bytes()).digest()).decode()
    for lang in ("en", "zh"):                                       # the language feeds have no video edition
        assert "video/mp4" not in (out / f"feed-{lang}.xml").read_text(encoding="utf-8")
    import feedparser
    import podcastparser
    parsed = feedparser.parse(str(out / "feed.xml"))
    assert not parsed.bozo and parsed.entries[0].enclosures[0].type == "audio/mpeg"
    with (out / "feed.xml").open("rb") as f:
        assert podcastparser.parse("https://example.com/podcast/feed.xml", f)["episodes"][0]["enclosures"]


def test_video_off_removes_it_and_audiopipe_video_makes_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = built(tmp_path)
    manifest = tmp_path / "episodes" / "three.yaml"
    write(tmp_path / "episodes" / "show.yaml", PLAIN)                # video off
    assert build(manifest, out) == 0
    folder = out / "three"
    assert not (folder / "three.mp4").exists() and not list(folder.glob("three-clip-*"))
    assert "video/mp4" not in (out / "feed.xml").read_text(encoding="utf-8")
    capsys.readouterr()
    assert main(["video", "three", "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert f"wrote {folder / 'three.mp4'}" in said and "three-clip-03-batteries.mp4" in said
    assert streams(folder / "three.mp4")[0] > 10
    assert "video/mp4" in (out / "feed.xml").read_text(encoding="utf-8")   # QA passed: the feed has it
    assert main(["video", "nothing", "--out", str(out)]) == 2
    assert "no built episode here" in capsys.readouterr().err


def test_a_video_that_fails_qa_stays_out_of_the_feed(tmp_path: Path) -> None:
    out = built(tmp_path)
    folder = out / "three"
    (folder / "three.mp4").write_bytes((folder / "three.mp4").read_bytes()[: 4000])   # cut short
    assert main(["qa", "three", "--out", str(out)]) == 1
    qa = read_json(folder / "qa.json")
    assert [f["status"] for f in qa["findings"] if f["check"] == "video"] == ["fail"]


def test_the_youtube_chapters_need_three_of_ten_seconds() -> None:
    from audiopipe.publish.record import ChapterRecord, EpisodeRecord
    record = EpisodeRecord.load(Path(__file__).parent / "data" / "golden" / "two-stories")
    assert video.youtube_chapters(record) is None                   # two stories: YouTube wants three
    import dataclasses
    three = dataclasses.replace(record, episode=dataclasses.replace(record.episode, duration_ms=45000), chapters=(
        ChapterRecord(5, "A", 0, 12000), ChapterRecord(6, "B", 12000, 15000), ChapterRecord(7, "C", 15000, 30000),
        ChapterRecord(8, "D", 30000, 45000)))
    assert video.youtube_chapters(three) == "0:00 A\n0:12 B / C\n0:30 D\n"    # B's 3 s joined to the next


@pytest.mark.browser
def test_chromium_plays_the_video_to_the_end(browser: str, tmp_path: Path) -> None:
    folder = built(tmp_path) / "three"
    page_file = write(folder / "play.html", '<video id="v" muted src="three.mp4"></video>')

    async def play() -> dict[str, float]:
        async with open_page(browser) as page:
            await page.goto(page_file.resolve().as_uri())
            await page.until("document.getElementById('v').readyState >= 1")
            await page.js("const v = document.getElementById('v'); v.playbackRate = 16; v.play(); 0")
            await page.until("document.getElementById('v').ended", timeout_s=60)
            result: dict[str, float] = await page.js("({duration: document.getElementById('v').duration, "
                                                     "width: document.getElementById('v').videoWidth, "
                                                     "error: document.getElementById('v').error ? 1 : 0})")
            return result
    result = asyncio.run(play())
    assert result["error"] == 0 and result["width"] == 1920
    assert abs(result["duration"] - streams(folder / "three.mp3")[0]) <= 0.1


def test_audiopipe_publish_sends_the_video(tmp_path: Path) -> None:
    out = built(tmp_path)
    target = tmp_path / "site"
    target.mkdir()
    assert main(["publish", "--out", str(out), "--to", str(target), "--show", str(tmp_path / "episodes" / "show.yaml"),
                 "--no-check", "--quiet"]) == 0
    sent = list((target / "three" / "published").glob("three.*.mp4"))
    assert len(sent) == 1 and sent[0].read_bytes() == (out / "three" / "three.mp4").read_bytes()
    assert sent[0].name in (target / "feed.xml").read_text(encoding="utf-8")
