"""Publishing: tags and chapters in the MP3, transcripts, chapters.json, artwork and the RSS feed,
read back by real consumers (mutagen, podcastparser, feedparser)."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import io
import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import feedparser
import podcastparser
import pytest
from PIL import Image

from audiopipe.cli import main
from audiopipe.config.show import load_show
from audiopipe.publish.guids import podcast_guid
from audiopipe.publish.record import (
    BuildInfo,
    ChapterRecord,
    EpisodeInfo,
    EpisodeRecord,
)
from audiopipe.text import disclosed, truncate_bytes
from tests.builds import built_once, served_file
from tests.conftest import TWO_STORIES, id3, raw_frames, read_json, write

SHOW = """
title: "Test Ledger"
author: "Test Desk"
description: "A test show."
owner_name: "Test Owner"
owner_email: "owner@example.com"
category: Business
subcategory: Investing
base_url: "https://cdn.example.com/ledger/"
"""


@pytest.fixture
def published(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    def make(folder: Path) -> None:
        show, out = write(folder / "show.yaml", SHOW), folder / "out"
        manifest = write(folder / "episodes" / "two-stories.yaml", TWO_STORIES)
        assert main(["build", str(manifest), "--out", str(out), "--show", str(show)]) == 0
        assert f"feed: {out / 'feed.xml'}" in capsys.readouterr().out
    built_once(tmp_path, "published", make)
    return tmp_path / "out"


def test_podcast_guid_follows_the_namespace_spec() -> None:
    # the example in the podcast namespace's documentation
    assert podcast_guid("https://mp3s.nashownotes.com/pc20rss.xml") == "917393e3-1b1e-5cef-ace4-edaa54e1f810"
    assert podcast_guid("http://mp3s.nashownotes.com/pc20rss.xml/") == "917393e3-1b1e-5cef-ace4-edaa54e1f810"


@pytest.mark.e2e
def test_mp3_tags_chapters_cover_transcript(published: Path) -> None:
    folder = published / "two-stories"
    report = read_json(folder / "report.json")
    tags = id3(folder / "two-stories.mp3")
    assert tags.version[:2] == (2, 4)
    assert str(tags["TIT2"]) == "Two stories" and str(tags["TALB"]) == "Test Ledger"
    assert str(tags["TPE1"]) == "Test Desk" and str(tags["TCON"]) == "Podcast"
    assert str(tags["TRCK"]) == "7" and str(tags["TDRC"]) == "2026-11-20"
    assert tags["TLAN"].text == ["eng", "zho"]   # ID3v2.4: one string each, NUL between
    assert str(tags["TDES"]) == "A short test episode & its <description>."
    assert tags["PCST"].value == 1
    assert str(tags["TGID"]) == report["guid"]
    # WFED as iTunes writes it (a text frame: encoding byte, then the URL), which mutagen reads as a
    # URL frame; eyeD3 (tests/test_readers.py) and TagLib read the text
    wfed = [body.rstrip(b"\0") for fid, body in raw_frames(folder / "two-stories.mp3") if fid == "WFED"]
    assert wfed == [b"\x00https://cdn.example.com/ledger/feed.xml"]
    toc = tags.getall("CTOC")[0]
    chaps = {c.element_id: c for c in tags.getall("CHAP")}
    assert toc.child_element_ids == ["chp1", "chp2"]
    got = [(chaps[i].start_time, chaps[i].end_time, str(chaps[i].sub_frames["TIT2"])) for i in toc.child_element_ids]
    assert got == [(c["start_ms"], c["end_ms"], c["title"]) for c in report["chapters"]]
    assert got[0][0] == 0 and got[-1][1] == report["episode"]["duration_ms"]
    assert got[1][0] == report["segments"][2]["start_ms"]
    apic = tags.getall("APIC")[0]
    assert apic.mime == "image/jpeg" and apic.type == 3 and len(apic.data) < 200_000
    with Image.open(io.BytesIO(apic.data)) as small, Image.open(published / "artwork.png") as big:
        assert small.size == (600, 600)
        assert small.convert("RGB").getpixel((5, 5)) == pytest.approx(big.getpixel((5, 5)), abs=8)
    uslt = tags.getall("USLT")[0]
    assert "Markets opened higher" in uslt.text and "航运价格连续第三周下跌" in uslt.text


def _cues(vtt: str) -> list[tuple[str, str]]:
    blocks = [b.splitlines() for b in vtt.strip().split("\n\n")[1:]]
    return [(b[1], b[2]) for b in blocks]


@pytest.mark.e2e
def test_transcripts_and_chapters_json(published: Path) -> None:
    folder = published / "two-stories"
    report = read_json(folder / "report.json")
    vtt = (folder / "transcript.vtt").read_text(encoding="utf-8")
    assert vtt.startswith("WEBVTT\n\n1\n")
    cues = _cues(vtt)
    starts = [c[0].split(" --> ")[0] for c in cues]
    assert starts == sorted(starts)
    for timing, text in cues:
        a, b = timing.split(" --> ")
        assert a < b
        # the speaker: the show's author (no profile names a `speaker`), never a profile id
        assert text.startswith(("<v Test Desk><lang en>", "<v Test Desk><lang zh-CN>")) and text.endswith("</lang></v>")
    zh = [t for _, t in cues if "<lang zh-CN>" in t]
    en = [t for _, t in cues if "<lang en>" in t]
    assert all(len(t) - len("<v Test Desk><lang en></lang></v>") <= 65 for t in en)
    # Chinese cues end at Chinese punctuation, never mid-phrase
    assert all(t.replace("</lang></v>", "")[-1] in "。！？；，、：" for t in zh)
    # the script's words, timed by the spoken ones (the engine said 六点三九零三)
    assert "周一市场高开，人民币兑美元汇率为6.3903。" in "".join(t.split(">", 2)[2] for t in zh)
    # each language's captions: that language's cues, on the bilingual episode's timeline
    for lang, tag in (("en", "<lang en>"), ("zh", "<lang zh-CN>")):
        own = _cues((folder / f"transcript.{lang}.vtt").read_text(encoding="utf-8"))
        assert [(timing, text) for timing, text in cues if tag in text] == own and own
    srt = (folder / "transcript.srt").read_text(encoding="utf-8")
    assert srt.startswith("1\n00:00:") and " --> " in srt and "," in srt.splitlines()[1]
    blocks = [b.splitlines() for b in srt.strip().split("\n\n")]
    assert len(blocks) >= len(cues) and all(1 <= len(b[2:]) <= 2 for b in blocks)
    chapters = json.loads((folder / "chapters.json").read_text(encoding="utf-8"))
    assert chapters["version"] == "1.2.0"
    assert [(c["startTime"], c["title"]) for c in chapters["chapters"]] == \
        [(c["start_ms"] / 1000, c["title"]) for c in report["chapters"]]


@pytest.mark.e2e
def test_feed_read_by_podcastparser_and_feedparser(published: Path) -> None:
    folder = published / "two-stories"
    report = read_json(folder / "report.json")
    size = (folder / "two-stories.mp3").stat().st_size
    url = _served(published, "two-stories.mp3")
    raw = (published / "feed.xml").read_bytes()
    parsed = podcastparser.parse("https://cdn.example.com/ledger/feed.xml", io.BytesIO(raw))
    assert parsed["title"] == "Test Ledger" and parsed["itunes_owner"]["email"] == "owner@example.com"
    assert parsed["itunes_categories"] == [["Business", "Investing"]]
    version = hashlib.sha256((published / "artwork.png").read_bytes()).hexdigest()[:12]
    assert parsed["cover_url"] == f"https://cdn.example.com/ledger/artwork.png?v={version}"
    [episode] = parsed["episodes"]
    assert episode["enclosures"] == [{"url": url, "file_size": size, "mime_type": "audio/mpeg"}]
    assert episode["total_time"] == round(report["episode"]["duration_ms"] / 1000)
    assert episode["guid"] == report["guid"] and episode["number"] == 7
    # descriptions are HTML to podcast apps: the markup-like text arrives escaped, so it is shown as text
    item = ET.fromstring(raw).find("channel/item")
    assert item is not None and item.findtext("description") == "A short test episode & its <description>.\n\n" \
        "Every voice in this show is synthetic: the scripts are read by text-to-speech software. Voices: espeak " \
        "en-us (en), espeak cmn (zh)."
    assert b"A short test episode &amp; its &lt;description&gt;." in raw

    fp = feedparser.parse(raw)
    assert not fp.bozo
    assert fp.feed["podcast_guid"] == podcast_guid("https://cdn.example.com/ledger/feed.xml")
    [entry] = fp.entries
    assert entry.enclosures[0]["href"] == url and int(entry.enclosures[0]["length"]) == size
    assert entry.itunes_duration == str(round(report["episode"]["duration_ms"] / 1000))
    assert entry["podcast_chapters"]["url"] == _served(published, "chapters.json")
    transcripts = ET.fromstring(raw).findall(".//item/{https://podcastindex.org/namespace/1.0}transcript")
    assert [(t.get("type"), t.get("url"), t.get("language"), t.get("rel")) for t in transcripts] == [
        ("text/vtt", _served(published, "transcript.en.vtt"), "en", "captions"),
        ("text/vtt", _served(published, "transcript.zh.vtt"), "zh-CN", "captions"),
        ("text/vtt", _served(published, "transcript.vtt"), "mul", "captions"),
        ("application/x-subrip", _served(published, "transcript.srt"), "mul", "captions")]
    # feedparser keeps the last transcript of an item (podcastparser knows only the namespace's old URI)
    assert entry["podcast_transcript"] == {"url": _served(published, "transcript.srt"), "type": "application/x-subrip",
                                           "language": "mul", "rel": "captions"}


@pytest.mark.e2e
def test_rebuild_updates_the_item_and_nothing_is_lost(published: Path, two_stories: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    show = two_stories.parent.parent / "show.yaml"
    guid = read_json(published / "two-stories" / "report.json")["guid"]
    other = write(two_stories.parent / "other.yaml", 'title: "Other"\ndate: 2026-11-21\nstories:\n'
                  '  - en: "Oil rose."\n    zh: "油价上涨。"\n')
    assert main(["build", str(other), "--out", str(published), "--show", str(show)]) == 0
    two_stories.write_text(two_stories.read_text(encoding="utf-8").replace("Two stories", "Two stories v2"))
    assert main(["build", str(two_stories), "--out", str(published), "--show", str(show)]) == 0
    items = feedparser.parse((published / "feed.xml").read_bytes()).entries
    assert [e.title for e in items] == ["Other", "Two stories v2"]     # newest first, no duplicate
    assert items[1].id == guid                                          # the guid never changes
    shutil.rmtree(published / "other")                                  # its files are gone ...
    assert main(["feed", "--out", str(published), "--show", str(show)]) == 0
    items = feedparser.parse((published / "feed.xml").read_bytes()).entries
    assert [e.title for e in items] == ["Other", "Two stories v2"]      # ... but its item is kept
    assert not list(published.glob(".*.part"))
    capsys.readouterr()


def _served(out: Path, name: str, slug: str = "two-stories") -> str:
    """The URL the feed gives the published copy of *name*."""
    return f"https://cdn.example.com/ledger/{slug}/published/{served_file(out, slug, name).name}"


def fake_episode(out: Path, slug: str, title: str, date: str, number: int, size: int,
                 description: str = "") -> None:
    folder = out / slug
    folder.mkdir(parents=True)
    (folder / f"{slug}.mp3").write_bytes(b"\xff" * size)
    for name in ("transcript.vtt", "transcript.srt", "chapters.json"):
        (folder / name).write_text("x")
    record = EpisodeRecord(
        EpisodeInfo(slug, title, date, number, description, f"episodes/{slug}.yaml", f"{slug}.mp3", ("en", "zh"),
                    "stories", 181_400, -16.0, -1.5, -16.0, -1.0, (162.0, 198.0)),
        BuildInfo(0, 0, 0.0), (ChapterRecord(1, "One", 0, 1000),), (), None, (), f"guid-{slug}")
    record.write(folder)
    from audiopipe.publish.episode import promote
    promote(folder, record)                                    # as if it had passed the feed's gate


def test_golden_feed(tmp_path: Path) -> None:
    show = load_show(write(tmp_path / "show.yaml", SHOW))
    out = tmp_path / "out"
    fake_episode(out, "day-1", "Day one", "2026-11-20", 1, 1_234_567, "First & best <episode>")
    fake_episode(out, "day-2", "第二天 Day two 📈", "2026-11-21", 2, 2_345_678)
    (out / "artwork.png").write_bytes(b"")
    from audiopipe.publish.feed import write_feed
    now = dt.datetime(2026, 11, 21, 6, 30, tzinfo=dt.UTC)
    got = write_feed(out, show, "artwork.png", now=now).read_text(encoding="utf-8")
    golden = Path(__file__).parent / "data" / "golden-feed.xml"
    assert got == golden.read_text(encoding="utf-8")


def test_episode_numbers_that_go_back_in_time_are_a_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    show_file = write(tmp_path / "show.yaml", SHOW)
    out = tmp_path / "out"
    fake_episode(out, "day-1", "Day one", "2026-11-20", 8, 1000)
    fake_episode(out, "day-2", "Day two", "2026-11-21", 7, 1000)          # a later date, a lower number
    (out / "artwork.png").write_bytes(b"")
    assert main(["feed", "--out", str(out), "--show", str(show_file)]) == 0
    err = capsys.readouterr().err
    assert "warning: feed.xml: episode 7 ('Day two', 2026-11-21) is dated after episode 8 ('Day one', 2026-11-20); " \
        "renumber it or correct its date" in err
    fake_episode(out, "day-3", "Day three", "2026-11-22", 9, 1000)          # in order after both: no more
    from audiopipe.publish.feed import write_feed
    from audiopipe.publish.indexed import numbering_warnings
    assert numbering_warnings(write_feed(out, load_show(show_file), "artwork.png")) == [
        "feed.xml: episode 7 ('Day two', 2026-11-21) is dated after episode 8 ('Day one', 2026-11-20); "
        "renumber it or correct its date"]


def test_hostile_titles_and_descriptions_stay_valid(tmp_path: Path) -> None:
    show = load_show(write(tmp_path / "show.yaml", SHOW))
    out = tmp_path / "out"
    hostile = 'Fish & "chips" <script>alert(1)</script> \x07 人民币 🚀 ]]>'
    fake_episode(out, "bad", hostile, "2026-11-20", 1, 10, ("长" * 1500) + " & <b>bold</b>")
    from audiopipe.publish.feed import write_feed
    raw = write_feed(out, show, "artwork.png").read_bytes()
    root = ET.fromstring(raw)                                   # well-formed XML
    item = root.find("channel/item")
    assert item is not None
    clean = hostile.replace("\x07", "")
    assert item.findtext("title") == clean
    description = item.findtext("description") or ""
    said = "Every voice in this show is synthetic: the scripts are read by text-to-speech software."
    assert len(description.encode("utf-8")) <= 4000 and description.endswith(f"…\n\n{said}")   # cut before it
    assert description.startswith("长长长")
    fp = feedparser.parse(raw)
    assert not fp.bozo and fp.entries[0].title == clean
    assert podcastparser.parse("x", io.BytesIO(raw))["episodes"][0]["title"] == " ".join(clean.split())
    assert truncate_bytes("ab", 4000) == "ab"
    assert disclosed("Said already. Synthetic voices.", "Synthetic voices.") == "Said already. Synthetic voices."
    assert disclosed("", "Synthetic voices.") == "Synthetic voices."


@pytest.mark.e2e
def test_default_artwork_is_a_valid_cover(published: Path) -> None:
    with Image.open(published / "artwork.png") as image:
        assert image.format == "PNG" and image.mode == "RGB" and image.size == (3000, 3000)


@pytest.mark.e2e
@pytest.mark.parametrize("size,mode,fmt,message", [
    ((1400, 1200), "RGB", "PNG", "is 1400x1200 px; the cover must be square (crop it)"),
    ((800, 800), "RGB", "JPEG", "is 800x800 px; the cover must be 1400-3000 px on a side (resize it)"),
    ((1400, 1400), "RGBA", "PNG", "is in RGBA colour mode; save it as RGB (no transparency, no CMYK)"),
    ((1400, 1400), "RGB", "GIF", "is GIF; save it as JPEG or PNG"),
])
def test_bad_artwork_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], size: tuple[int, int],
                                 mode: str, fmt: str, message: str) -> None:
    ext = {"PNG": "png", "JPEG": "jpg", "GIF": "gif"}[fmt]
    Image.new(mode, size).save(tmp_path / f"cover.{ext}", format=fmt)
    show = write(tmp_path / "show.yaml", SHOW + f"artwork: cover.{ext}\n")
    assert main(["feed", "--out", str(tmp_path / "o"), "--show", str(show)]) == 2
    assert capsys.readouterr().err == f"error: {show}:9: artwork: cover.{ext} {message}\n"


@pytest.mark.e2e
@pytest.mark.parametrize("line,expected", [
    ("category: Busines", "category: 'Busines' is not an Apple Podcasts category (did you mean 'Business'?)"),
    ("owner_email: nobody", "owner_email: 'nobody' is not an email address"),
    ("base_url: example.com", "base_url: 'example.com' is not an http(s) URL"),
    ("subcategory: Daily News", "subcategory: 'Daily News' is not a subcategory of Business"),
    ("explicit: maybe", "explicit: must be true or false, got 'maybe'"),
])
def test_bad_show_settings(tmp_path: Path, capsys: pytest.CaptureFixture[str], line: str, expected: str) -> None:
    key = line.split(":")[0]
    kept = [ln for ln in SHOW.strip().splitlines() if not ln.startswith(key + ":") and
            not (key in ("category", "subcategory") and ln.startswith(("category:", "subcategory:")))]
    text = "\n".join(kept + ([line] if key != "subcategory" else ["category: Business", line])) + "\n"
    show = write(tmp_path / "show.yaml", text)
    assert main(["feed", "--out", str(tmp_path), "--show", str(show)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {show}:") and expected in err and len(err.splitlines()) == 1


@pytest.mark.e2e
def test_feed_needs_a_base_url(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    show = write(tmp_path / "show.yaml", SHOW.replace('base_url: "https://cdn.example.com/ledger/"\n', ""))
    assert main(["feed", "--out", str(tmp_path), "--show", str(show)]) == 2
    assert capsys.readouterr().err == (f"error: {show}: base_url: missing; the feed needs it — add `base_url:` "
                                       "(where output/ will be served, e.g. https://example.com/podcast/)\n")


def test_last_build_date_moves_only_when_the_feed_changes(tmp_path: Path) -> None:
    from audiopipe.publish.feed import write_feed
    show = load_show(write(tmp_path / "show.yaml", SHOW))
    out = tmp_path / "out"
    fake_episode(out, "day-1", "Day one", "2026-11-20", 1, 1000)
    (out / "artwork.png").write_bytes(b"png")
    first = dt.datetime(2026, 11, 21, 7, 0, tzinfo=dt.UTC)
    later = first + dt.timedelta(hours=5)

    def stamp() -> str:
        return str(feedparser.parse((out / "feed.xml").read_bytes())["feed"]["updated"])
    write_feed(out, show, "artwork.png", now=first)
    assert stamp() == "Sat, 21 Nov 2026 07:00:00 +0000"
    write_feed(out, show, "artwork.png", now=later)          # nothing changed: the date stays
    assert stamp() == "Sat, 21 Nov 2026 07:00:00 +0000"
    fake_episode(out, "day-2", "Day two", "2026-11-21", 2, 2000)
    write_feed(out, show, "artwork.png", now=later)          # an item came: the date moves
    assert stamp() == "Sat, 21 Nov 2026 12:00:00 +0000"


@pytest.mark.parametrize("description,cdata", [
    ('<p>Markets <b>rose</b>; <a href="https://example.com/x">read more</a></p><ul><li>one</li></ul>', True),
    ("Plain text with 3 < 5 & a > b", False),
    ('<p>Hi</p><script>alert(1)</script>', False),
    ('<a href="https://e.com" onclick="x()">link</a>', False),
])
def test_descriptions_are_plain_or_simple_html(tmp_path: Path, description: str, cdata: bool) -> None:
    from audiopipe.publish.feed import write_feed
    show = load_show(write(tmp_path / "show.yaml", SHOW + 'copyright: "© 2026 Test Desk"\n'))
    out = tmp_path / "out"
    fake_episode(out, "day-1", "Day one", "2026-11-20", 1, 1000, description)
    raw = write_feed(out, show, "artwork.png").read_text(encoding="utf-8")
    assert "CDATA" not in raw                         # the XML library escapes every text itself
    item = raw.split("<item>")[1].split("</description>")[0]
    assert f"<description>{html.escape(description, quote=False)}\n\nEvery voice in this show is synthetic" \
        in item, "exactly the text, escaped once, then the disclosure"
    parsed = feedparser.parse(raw.encode("utf-8"))
    assert parsed["bozo"] == 0 and parsed["feed"]["rights"] == "© 2026 Test Desk"
    entry = parsed["entries"][0]
    assert entry["link"] == "https://cdn.example.com/ledger/"
    if cdata:
        assert "<b>rose</b>" in entry["summary"]           # kept as HTML
    else:
        assert "<script>" not in entry["summary"] and "onclick" not in entry["summary"]   # readers sanitize


@pytest.mark.e2e
def test_a_profile_names_its_speaker(two_stories: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import shutil
    voices = tmp_path / "voices"
    shutil.copytree(Path(__file__).resolve().parent.parent / "voices", voices)
    profile = voices / "zh-host.yaml"
    profile.write_text(profile.read_text(encoding="utf-8") + 'speaker: "Li Na"\n', encoding="utf-8")
    out = tmp_path / "o"
    assert main(["build", str(two_stories), "--engine", "espeak", "--voices", str(voices), "--out", str(out),
                 "--no-feed"]) == 0
    capsys.readouterr()
    vtt = (out / "two-stories" / "transcript.vtt").read_text(encoding="utf-8")
    assert "<v Li Na><lang zh-CN>" in vtt and "<lang en>" in vtt and "<v zh-host>" not in vtt
    assert [s["speaker"] for s in read_json(out / "two-stories" / "report.json")["segments"]][1::2] == ["Li Na"] * 2
    assert "Li Na" in (out / "two-stories" / "qa.html").read_text(encoding="utf-8")


@pytest.mark.e2e
def test_any_title_text_reaches_the_feed_exactly_and_private_use_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    show = write(tmp_path / "show.yaml", SHOW)
    title = 'A ]]><injected>x</injected> & <b>bold</b> "quoted" title'
    manifest = write(tmp_path / "inj.yaml", f"title: '{title}'\ndate: 2026-11-20\nintro: false\noutro: false\n"
                     "description: ']]></description><injected/>'\nstories:\n  - en: \"Hi there.\"\n    zh: \"你好。\"\n")
    out = tmp_path / "o"
    assert main(["build", str(manifest), "--show", str(show), "--engine", "espeak", "--out", str(out)]) == 0
    raw = (out / "feed.xml").read_bytes()
    parsed = feedparser.parse(raw)
    assert parsed["bozo"] == 0 and b"<injected" not in raw
    assert parsed["entries"][0]["title"] == title
    description = ET.fromstring(raw).find("channel/item/description")
    assert description is not None and (description.text or "").startswith("]]></description><injected/>\n\nEvery voice")
    bad = write(tmp_path / "pua.yaml", 'title: "Hidden \ue000cdata\ue001 marker"\ndate: 2026-11-20\nstories:\n'
                '  - en: "Hi."\n    zh: "你好。"\n')
    assert main(["build", str(bad), "--show", str(show), "--engine", "espeak", "--out", str(tmp_path / "x")]) == 2
    assert capsys.readouterr().err.endswith(f"error: {bad}:1: title: contains U+E000, which is not text; remove it\n")
    assert not (tmp_path / "x" / "pua").exists()


def test_transcripts_keep_one_cue_per_line_whatever_the_text() -> None:
    from audiopipe.publish import transcript
    cue = transcript.Cue(0, 1500, "Rates --> up, <b>really</b>", "en", "Li\nNa")
    vtt = transcript.to_vtt([cue])
    srt = transcript.to_srt([cue])
    assert vtt.count("-->") == 1 and srt.count("-->") == 1              # only the timing line's arrow
    assert "<v Li Na>" in vtt and "&lt;b&gt;" in vtt and "Rates → up" in vtt and "Rates → up" in srt


def test_show_and_manifest_text_per_language(tmp_path: Path) -> None:
    """`title: {en: …, zh: …}` in show.yaml names the Chinese feed; without it the Chinese feed still
    describes itself in Chinese; a manifest's per-language title is checked like any text."""
    from audiopipe.config.show import ShowError
    from audiopipe.errors import ManifestError
    from audiopipe.publish.feed import channel_text
    from audiopipe.script.manifest import load_manifest
    both = load_show(write(tmp_path / "a.yaml", 'title: {en: "The Ledger", zh: "账本晨报"}\n'
                                                'description: {en: "Business news.", zh: "财经新闻。"}\n'))
    assert (both.title, both.description) == ("The Ledger", "Business news.")
    assert channel_text(both, "zh") == ("账本晨报", "财经新闻。") and channel_text(both, None)[0] == "The Ledger"
    plain = load_show(write(tmp_path / "b.yaml", 'title: "The Ledger"\ndescription: "Business news."\n'))
    assert channel_text(plain, "zh") == ("The Ledger（中文）", "The Ledger（中文）：每期节目的中文部分，以普通话播出。")
    assert channel_text(plain, "en") == ("The Ledger (English)", "Business news.")
    with pytest.raises(ShowError, match=r"title: .*'fr' is not a language"):
        load_show(write(tmp_path / "c.yaml", 'title: {en: "A", fr: "B"}\n'))
    bad = write(tmp_path / "m.yaml", 'title: {en: "A", zh: ""}\ndate: 2026-11-20\nstories:\n  - en: "Hi."\n    zh: "你好。"\n')
    with pytest.raises(ManifestError, match=r"title.zh: is empty"):
        load_manifest(bad, {})
