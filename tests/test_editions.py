"""Language editions: an English-only and a Chinese-only MP3 from the same takes, in the same feed item
(podcast:alternateEnclosure) and in one feed per language."""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import eyed3
import feedparser
import podcastparser
import pytest

from audiopipe.cli import main
from audiopipe.dsp import loudness
from audiopipe.publish.credentials import SOURCE_TYPE
from audiopipe.tools import ffmpeg
from tests.builds import served_file
from tests.conftest import REPO, decode_seconds, id3, raw_frames, read_json, write
from tests.test_readers import ffmetadata, ffmpeg_chapters

pytestmark = pytest.mark.e2e

PODCAST = "{https://podcastindex.org/namespace/1.0}"
SHOW = """
title: "Edition Ledger"
author: "Test Desk"
description: "A test show."
owner_email: "owner@example.com"
base_url: "https://cdn.example.com/ledger/"
"""
THREE = """
title: {en: "Three stories", zh: "三则新闻"}
description: {en: "Markets, shipping and a battery plant.", zh: "市场、航运和一座电池工厂。"}
date: 2026-11-20
stories:
  - title: {en: Markets, zh: 市场}
    en: "Markets opened higher on Monday, with the yuan at 7.1046 per dollar."
    zh: "周一市场高开，人民币兑美元汇率为7.1046。"
  - title: Shipping
    en: "Shipping rates fell for a third week in a row."
    zh: "航运价格连续第三周下跌。"
  - title: Batteries
    en: "A battery maker plans its first plant in Europe."
    zh: "一家电池制造商计划在欧洲建设首座工厂。"
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("editions")
    write(root / "show.yaml", SHOW)
    manifest = write(root / "episodes" / "three.yaml", THREE)
    assert main(["build", str(manifest), "--engine", "espeak", "--out", str(root / "out"), "--quiet"]) == 0
    return root / "out"


def test_each_edition_is_its_language_between_the_stingers(built: Path) -> None:
    report = read_json(built / "three" / "report.json")
    segments = {s["index"]: s for s in report["segments"]}
    stingers = sum(s["end_ms"] - s["start_ms"] for s in report["stingers"])
    show_gaps = {"after_intro": 0.5, "between": 1.0, "before_outro": 0.8}      # the defaults, in seconds
    assert [e["lang"] for e in report["editions"]] == ["en", "zh"]
    for edition in report["editions"]:
        lang = edition["lang"]
        assert edition["segments"] == [i for i, s in segments.items() if s["lang"] == lang]
        mp3 = built / "three" / edition["file"]
        assert mp3.name == f"three-{lang}.mp3"
        speech = sum(segments[i]["duration_ms"] for i in edition["segments"]) / 1000
        want = stingers / 1000 + speech + show_gaps["after_intro"] + 2 * show_gaps["between"] + show_gaps["before_outro"]
        assert decode_seconds(mp3) == pytest.approx(want, abs=0.15)
        assert edition["duration_ms"] / 1000 == pytest.approx(want, abs=0.05)
        measured = loudness.measure_file(mp3)
        assert measured.integrated_lufs == pytest.approx(-16.0, abs=1.0) and measured.true_peak_dbtp <= -1.0
        # the transcript has that language only, timed in the edition
        vtt = (built / "three" / edition["transcript"]).read_text(encoding="utf-8")
        han = any("\u4e00" <= c <= "\u9fff" for c in vtt)
        assert han == (lang == "zh") and vtt.count(" --> ") >= 3
        chapters = read_json(built / "three" / edition["chapters_file"])["chapters"]
        # each edition's chapters in its language: the manifest's Chinese title, else the story's first clause
        assert [c["title"] for c in chapters] == {"en": ["Markets", "Shipping", "Batteries"],
                                                  "zh": ["市场", "航运价格连续第三周下跌",
                                                         "一家电池制造商计划在欧洲建设首座工厂"]}[lang]
        assert chapters[-1]["endTime"] == pytest.approx(edition["duration_ms"] / 1000, abs=0.01)
    en, zh = report["editions"]
    assert en["duration_ms"] + zh["duration_ms"] > report["episode"]["duration_ms"]   # the stingers twice


def test_editions_carry_their_own_tags_as_three_readers_see_them(built: Path) -> None:
    logging.getLogger("eyed3").setLevel(logging.ERROR)
    report = read_json(built / "three" / "report.json")
    for edition, title, tlan in zip(report["editions"], ("Three stories (English)", "三则新闻"),
                                    ("eng", "zho")):
        mp3 = built / "three" / edition["file"]
        tag = id3(mp3)
        assert str(tag["TIT2"]) == title and list(tag["TLAN"].text) == [tlan]
        # its guid lives in its language's feed: WFED names that feed (the bilingual MP3 names feed.xml)
        wfed = [body.rstrip(b"\0") for fid, body in raw_frames(mp3) if fid == "WFED"]
        assert wfed == [b"\x00" + f"https://cdn.example.com/ledger/feed-{edition['lang']}.xml".encode()]
        assert str(tag["TGID"]) == edition["guid"]
        audio = eyed3.load(str(mp3))
        assert audio is not None and audio.tag is not None and audio.tag.title == title
        got = [(c.times.start, c.times.end, c.title) for c in audio.tag.chapters]
        assert got == [(c["start_ms"], c["end_ms"], c["title"]) for c in edition["chapters"]]
        meta = ffmetadata(mp3)
        assert f"title={title}" in meta and f"language={tlan}" in meta
        starts = [round(c[0] * 1000) for c in ffmpeg_chapters(meta)]   # moved by the encoder's delay
        assert len(starts) == 3 and all(abs(a - c["start_ms"]) <= 60 for a, c in zip(starts, edition["chapters"]))
    assert str(id3(built / "three" / "three.mp3")["TIT2"]) == "Three stories"
    assert [body.rstrip(b"\0") for fid, body in raw_frames(built / "three" / "three.mp3") if fid == "WFED"] == [
        b"\x00https://cdn.example.com/ledger/feed.xml"]


def _served(out: Path, name: str) -> str:
    """The URL the feed gives the published copy of *name*."""
    return f"https://cdn.example.com/ledger/three/published/{served_file(out, 'three', name).name}"


def test_the_feed_item_carries_both_editions(built: Path) -> None:
    root = ET.parse(built / "feed.xml").getroot()
    item = root.find("channel/item")
    assert item is not None
    alternates = item.findall(f"{PODCAST}alternateEnclosure")
    got = [(a.get("type"), a.get("lang"), a.get("rel"), a.get("default"), a.get("bitrate"), int(a.get("length") or 0),
            [s.get("uri") for s in a.findall(f"{PODCAST}source")]) for a in alternates]
    sizes = {name: (built / "three" / f"{name}.mp3").stat().st_size for name in ("three", "three-en", "three-zh")}
    # the bilingual file is the default; each edition other content (its own `rel`), not a re-encoding of it
    assert got == [
        ("audio/mpeg", None, "English + 中文", "true", "96000", sizes["three"], [_served(built, "three.mp3")]),
        ("audio/mpeg", "en", "English edition", None, "96000", sizes["three-en"], [_served(built, "three-en.mp3")]),
        ("audio/mpeg", "zh-CN", "中文版", None, "96000", sizes["three-zh"], [_served(built, "three-zh.mp3")])]
    assert all(len(a.get("rel") or "") <= 32 for a in alternates)                  # the namespace's limit
    for alternate, name in zip(alternates, ("three.mp3", "three-en.mp3", "three-zh.mp3")):
        integrity = alternate.find(f"{PODCAST}integrity")               # SRI, checked here with hashlib
        served = served_file(built, "three", name).read_bytes()
        assert integrity is not None and integrity.get("type") == "sri"
        assert integrity.get("value") == "sha384-" + base64.b64encode(hashlib.sha384(served).digest()).decode()
    enclosure = item.find("enclosure")
    assert enclosure is not None and enclosure.get("url") == _served(built, "three.mp3")
    parsed = podcastparser.parse("feed.xml", (built / "feed.xml").open("rb"))
    assert [e["enclosures"][0]["url"] for e in parsed["episodes"]] == [_served(built, "three.mp3")]


@pytest.mark.parametrize("lang,title,language", [("en", "Edition Ledger (English)", "en"),
                                                 ("zh", "Edition Ledger（中文）", "zh-CN")])
def test_one_feed_per_language(built: Path, lang: str, title: str, language: str) -> None:
    path = built / f"feed-{lang}.xml"
    report = read_json(built / "three" / "report.json")
    edition = next(e for e in report["editions"] if e["lang"] == lang)
    url = _served(built, f"three-{lang}.mp3")
    pp = podcastparser.parse(f"https://cdn.example.com/ledger/feed-{lang}.xml", path.open("rb"))
    assert pp["title"] == title
    [episode] = pp["episodes"]
    assert episode["title"] == edition["title"] and episode["guid"] == edition["guid"]
    assert episode["enclosures"] == [{"url": url, "file_size": (built / "three" / edition["file"]).stat().st_size,
                                      "mime_type": "audio/mpeg"}]
    assert episode["total_time"] == round(edition["duration_ms"] / 1000)
    fp = feedparser.parse(path.read_bytes())
    assert not fp.bozo and fp.feed.title == title and fp.feed.language == language
    assert fp.feed.image.title == title                       # the image's title is the channel's
    # the Chinese feed speaks Chinese: its description, the item's title and description (from the manifest)
    han = re.compile(r"[\u4e00-\u9fff]")
    assert bool(han.search(fp.feed.description)) == (lang == "zh") and bool(han.search(episode["title"])) == (lang == "zh")
    assert fp.entries[0].description == {"en": "Markets, shipping and a battery plant.",
                                         "zh": "市场、航运和一座电池工厂。"}[lang] + \
        "\n\nEvery voice in this show is synthetic: the scripts are read by text-to-speech software. Voices: " + \
        {"en": "espeak en-us (en).", "zh": "espeak cmn (zh)."}[lang]        # its own voices only
    uslt = id3(built / "three" / edition["file"]).getall("USLT")[0]
    assert uslt.lang == {"en": "eng", "zh": "zho"}[lang]
    assert [link.href for link in fp.entries[0].links if link.rel == "enclosure"] == [url]
    root = ET.parse(path).getroot()
    channel_guid = root.findtext(f"channel/{PODCAST}guid")
    assert channel_guid and channel_guid != ET.parse(built / "feed.xml").getroot().findtext(f"channel/{PODCAST}guid")
    transcript = root.find(f"channel/item/{PODCAST}transcript")
    assert transcript is not None and transcript.get("language") == language and transcript.get("rel") == "captions"
    assert transcript.get("url") == _served(built, f"transcript-{lang}.vtt")


def test_qa_checks_each_edition(built: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    qa = read_json(built / "three" / "qa.json")
    mine = [f for f in qa["findings"] if f["check"] == "editions"]
    assert [f["status"] for f in mine] == ["pass", "pass"] and "tagged eng" in mine[0]["message"]
    page = (built / "three" / "qa.html").read_text(encoding="utf-8")
    assert 'href="three-en.mp3"' in page and 'href="three-zh.mp3"' in page
    # a damaged edition fails QA and keeps the episode out of the feed
    import shutil
    copy = tmp_path / "out"
    shutil.copytree(built, copy)
    zh = copy / "three" / "three-zh.mp3"
    zh.write_bytes(zh.read_bytes()[: zh.stat().st_size // 2])
    assert main(["qa", "three", "--out", str(copy)]) == 1
    failed = [f for f in read_json(copy / "three" / "qa.json")["findings"] if f["status"] == "fail"]
    # cut in half: its credentials no longer match its bytes, and the edition is short
    assert [f["check"] for f in failed] == ["credentials", "editions"]
    assert failed[0]["message"].startswith("three-zh.mp3 changed after it was signed")
    assert "the zh edition (three-zh.mp3)" in failed[1]["message"]
    capsys.readouterr()


def test_editions_false_writes_none(tmp_path: Path) -> None:
    write(tmp_path / "show.yaml", SHOW)
    manifest = write(tmp_path / "episodes" / "three.yaml", THREE)
    out = tmp_path / "out"
    assert main(["build", str(manifest), "--engine", "espeak", "--out", str(out), "--quiet"]) == 0
    assert (out / "three" / "three-en.mp3").is_file()
    write(tmp_path / "show.yaml", SHOW + "editions: false\n")
    assert main(["build", str(manifest), "--engine", "espeak", "--out", str(out), "--quiet"]) == 0
    assert sorted(p.name for p in (out / "three").glob("*-??.*")) == []
    assert read_json(out / "three" / "report.json")["editions"] == []
    item = ET.parse(out / "feed.xml").getroot().find("channel/item")
    assert item is not None and item.findall(f"{PODCAST}alternateEnclosure") == []
    fresh = tmp_path / "fresh"
    assert main(["build", str(manifest), "--engine", "espeak", "--out", str(fresh), "--quiet"]) == 0
    assert not list(fresh.glob("feed-*.xml")) and not list((fresh / "three").glob("*-en*"))
    assert ffmpeg.decode_file(fresh / "three" / "three.mp3")


def test_podcast_partytime_reads_the_editions_transcripts_and_disclosure(built: Path) -> None:
    """Podcast Index's own parser (podcast-partytime, npm, installed by make test) reads the feed: each
    alternate enclosure's rel, default, bitrate, language and SRI integrity, the transcripts' languages
    and rel, and the ai-content disclosure of channel and item."""
    import json
    import shutil
    import subprocess
    reader = REPO / "tests" / "readers"
    if shutil.which("node") is None or not (reader / "node_modules" / "podcast-partytime").is_dir():
        pytest.skip("podcast-partytime is not installed (make readers: needs npm and the npm registry)")
    proc = subprocess.run(["node", str(reader / "read_feed.js"), str(built / "feed.xml")], capture_output=True,
                          text=True, check=True, timeout=60)
    feed = json.loads(proc.stdout)
    [item] = feed["items"]
    assert [(a["rel"], a.get("lang"), a["default"], a["bitrate"]) for a in item["alternates"]] == [
        ("English + 中文", None, True, 96000), ("English edition", "en", False, 96000), ("中文版", "zh-CN", False, 96000)]
    for alternate, name in zip(item["alternates"], ("three.mp3", "three-en.mp3", "three-zh.mp3")):
        served = served_file(built, "three", name).read_bytes()
        assert alternate["integrity"] == {"type": "sri",
                                          "value": "sha384-" + base64.b64encode(hashlib.sha384(served).digest()).decode()}
        assert alternate["source"][0]["uri"] == _served(built, name)
    assert [(t["language"], t["rel"], t["type"]) for t in item["transcripts"]] == [
        ("en", "captions", "text/vtt"), ("zh-CN", "captions", "text/vtt"), ("mul", "captions", "text/vtt"),
        ("mul", "captions", "application/srt")]          # our application/x-subrip, read as the namespace's SRT
    assert [t["purpose"] for t in feed["txt"] + item["txt"]] == ["ai-content", "ai-content"]
    assert item["txt"][0]["value"] == feed["txt"][0]["value"] == SOURCE_TYPE
    assert item["description"].endswith("Voices: espeak en-us (en), espeak cmn (zh).")


def test_a_chinese_title_is_not_cut_inside_a_figure() -> None:
    """The first clause of a story names the Chinese edition's chapter (and so its description) where the
    manifest gives none: a time or a figure with a separator is not a stop (it was cut at "10:00")."""
    from audiopipe.produce.editions import first_clause
    assert first_clause("周一10:00起，新规正式生效。") == "周一10:00起"
    assert first_clause("销售额达1,200亿元，同比增长8%。") == "销售额达1,200亿元"
    assert first_clause("快讯：市场上涨。") == "快讯" and first_clause("Markets, then more") == "Markets"
