"""The RSS feed: RSS 2.0 with the itunes and podcast (Podcasting 2.0) namespaces.

Written with the standard library's ElementTree (which escapes everything)
from the show and every built episode's report.json.  Items of episodes no
longer on disk are kept from the previous feed.xml, so nothing is lost;
rebuilding an episode replaces its item (same guid), never duplicates it.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import email.utils
import hashlib
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from audiopipe import __version__
from audiopipe.config.show import Show
from audiopipe.errors import AudiopipeError
from audiopipe.publish.credentials import SOURCE_TYPE
from audiopipe.publish.guids import episode_guid, podcast_guid
from audiopipe.publish.record import (
    EDITION_NAMES,
    EDITION_REL,
    PUBLISHED,
    EditionRecord,
    EpisodeRecord,
    disclosure,
    video_file,
)
from audiopipe.publish.record import FILE as RECORD_FILE
from audiopipe.text import BCP47, BILINGUAL, TITLE_SUFFIX, clean, disclosed
from audiopipe.tools.fsutil import atomic_open, read_json, sha256_of

ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST = "https://podcastindex.org/namespace/1.0"
ATOM = "http://www.w3.org/2005/Atom"
AI_CONTENT = "ai-content"
"""podcast:txt's purpose for the disclosure that the voices are synthetic.  The namespace defines no purpose
or value for it (a purpose is free-form, at most 128 characters): the value is the IPTC digital source type
the content credentials carry, a term a machine can match; the sentence for people is in the description."""

for _prefix, _uri in (("itunes", ITUNES), ("podcast", PODCAST), ("atom", ATOM)):
    ET.register_namespace(_prefix, _uri)

def pub_date(date_iso: str, time_hhmm: str) -> str:
    day = dt.date.fromisoformat(date_iso)
    hour, minute = (int(x) for x in time_hhmm.split(":"))
    return email.utils.format_datetime(dt.datetime(day.year, day.month, day.day, hour, minute,
                                                   tzinfo=dt.UTC))


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k.rstrip("_"): v for k, v in attrs.items()})
    if text is not None:
        element.text = clean(text)
    return element


def _url(show: Show, *parts: str) -> str:
    return show.base_url + "/".join(quote(p) for p in parts)


def require_publishable(show: Show) -> None:
    where = show.path or "show.yaml"
    for key, hint in (("base_url", "where output/ will be served, e.g. https://example.com/podcast/"),
                      ("description", "a sentence or two about the show"),
                      ("owner_email", "the address directories use to verify the owner")):
        if not getattr(show, key):
            raise AudiopipeError(f"{where}: {key}: missing; the feed needs it — add `{key}:` ({hint})")


@dataclass(frozen=True)
class Served:
    """Where an episode's published files are: its published/ folder, each file under the name that
    carries its content hash (a new build, a new URL; an old URL always serves the bytes it served)."""

    folder: Path
    slug: str
    names: Mapping[str, str]            # a file's name in the episode folder -> its published name
    integrity: Mapping[str, str] = field(default_factory=dict)   # a published MP3's name -> its SRI sha384

    def path(self, name: str) -> Path | None:
        """The published file of *name*, or None when this episode has none."""
        published = self.names.get(name)
        path = self.folder / published if published else None
        return path if path is not None and path.is_file() else None

    def url(self, show: Show, name: str) -> str:
        return _url(show, self.slug, PUBLISHED, self.names[name])


def item_for(record: EpisodeRecord, show: Show, served: Served, artwork_url: str,
             edition: EditionRecord | None = None) -> ET.Element:
    """The episode's item; with *edition*, the item of that edition (for its language's feed)."""
    if edition is not None:
        return _edition_item(record, edition, show, served, artwork_url)
    item = _item(record, show, served, artwork_url)
    name = video_file(record.episode.slug)
    video = served.path(name)
    if record.editions or video is not None:   # Podcasting 2.0: the bilingual file (the enclosure) and each
        _alternate(item, show, served, record.episode.file, "", default=True)   # language's own cut
    for ed in record.editions:
        if served.path(ed.file) is not None:
            _alternate(item, show, served, ed.file, ed.lang)
    if video is not None:                      # the video edition: the same programme, captions burned in
        bitrate = round(video.stat().st_size * 8 / max(1.0, record.episode.duration_ms / 1000))
        alt = _sub(item, f"{{{PODCAST}}}alternateEnclosure", type="video/mp4", length=str(video.stat().st_size),
                   bitrate=str(bitrate), height="1080", title="Video")
        _sub(alt, f"{{{PODCAST}}}source", uri=served.url(show, name))
        _sub(alt, f"{{{PODCAST}}}integrity", type="sri", value=served.integrity.get(served.names[name]) or sri(video))
    return item


def _alternate(item: ET.Element, show: Show, served: Served, name: str, lang: str, default: bool = False) -> None:
    """One `podcast:alternateEnclosure`: its relation to the others (`rel`: an edition is other content than
    the bilingual file, not a re-encoding of it), language, encoding bitrate (bits per second), URL and SRI
    integrity (sha384 of the served bytes)."""
    mp3 = served.path(name)
    assert mp3 is not None
    attrs = {"type": "audio/mpeg", "length": str(mp3.stat().st_size), "bitrate": str(show.bitrate_kbps * 1000),
             "rel": EDITION_REL[lang], "title": EDITION_NAMES[lang] if lang else EDITION_REL[lang]}
    if lang:
        attrs["lang"] = BCP47[lang]
    if default:
        attrs["default"] = "true"
    alt = _sub(item, f"{{{PODCAST}}}alternateEnclosure", **attrs)
    _sub(alt, f"{{{PODCAST}}}source", uri=served.url(show, name))
    value = served.integrity.get(served.names[name]) or sri(mp3)      # promotion measured it (older: here)
    _sub(alt, f"{{{PODCAST}}}integrity", type="sri", value=value)


def sri(path: Path) -> str:
    """A file's Subresource Integrity value (sha384), as podcast:integrity carries it."""
    return "sha384-" + base64.b64encode(hashlib.sha384(path.read_bytes()).digest()).decode()


def _edition_item(record: EpisodeRecord, edition: EditionRecord, show: Show, served: Served,
                  artwork_url: str) -> ET.Element:
    item = _item(record.as_edition(edition), show, served, artwork_url, transcripts=False)
    if served.path(edition.transcript):
        _sub(item, f"{{{PODCAST}}}transcript", url=served.url(show, edition.transcript), type="text/vtt",
             language=BCP47[edition.lang], rel="captions")
    if served.path(edition.chapters_file):
        _sub(item, f"{{{PODCAST}}}chapters", url=served.url(show, edition.chapters_file),
             type="application/json+chapters")
    return item


def _item(record: EpisodeRecord, show: Show, served: Served, artwork_url: str, transcripts: bool = True) -> ET.Element:
    ep = record.episode
    slug = ep.slug
    mp3 = served.path(ep.file)
    assert mp3 is not None                      # the caller checked
    item = ET.Element("item")
    _sub(item, "title", ep.title)
    if show.link or show.base_url:
        _sub(item, "link", show.link or show.base_url)
    description = ep.description or "; ".join(c.title for c in record.chapters) or ep.title
    _sub(item, "description", disclosed(description, disclosure(show, record)))   # escaped: HTML stays HTML
    _sub(item, "pubDate", pub_date(ep.date, show.publish_time))
    _sub(item, "guid", record.guid or episode_guid(show.feed, slug), isPermaLink="false")
    _sub(item, "enclosure", url=served.url(show, ep.file), length=str(mp3.stat().st_size), type="audio/mpeg")
    _sub(item, f"{{{ITUNES}}}title", ep.title)
    _sub(item, f"{{{ITUNES}}}duration", str(round(ep.duration_ms / 1000)))
    if ep.episode:
        _sub(item, f"{{{ITUNES}}}episode", str(ep.episode))
    _sub(item, f"{{{ITUNES}}}episodeType", "full")
    _sub(item, f"{{{ITUNES}}}explicit", "true" if show.explicit else "false")
    _sub(item, f"{{{ITUNES}}}image", href=artwork_url)
    _sub(item, f"{{{PODCAST}}}txt", SOURCE_TYPE, purpose=AI_CONTENT)
    if not transcripts:
        return item
    for name, mime, lang in TRANSCRIPTS:      # each language's cues first, then both (`mul`)
        if served.path(name):
            _sub(item, f"{{{PODCAST}}}transcript", url=served.url(show, name), type=mime, language=lang,
                 rel="captions")
    if served.path("chapters.json"):
        _sub(item, f"{{{PODCAST}}}chapters", url=served.url(show, "chapters.json"), type="application/json+chapters")
    return item


TRANSCRIPTS = (*((f"transcript.{lang}.vtt", "text/vtt", BCP47[lang]) for lang in BCP47),
               ("transcript.vtt", "text/vtt", BILINGUAL), ("transcript.srt", "application/x-subrip", BILINGUAL))
"""The bilingual episode's transcripts, all timed to its MP3: one per language (transcript.en.vtt: the
English cues), and both languages in VTT and SRT."""

SERVED = "published.json"
"""In published/: the record of the published build and the published name of each of its files."""


def serves(served: Served, folder: Path, record: EpisodeRecord) -> bool:
    """Does *served* hold this build's MP3 (the same SHA-256)?"""
    published, mine = served.path(record.episode.file), folder / record.episode.file
    return published is not None and mine.is_file() and sha256_of(published) == sha256_of(mine)


def read_served(folder: Path) -> tuple[EpisodeRecord, Served] | None:
    """The published build of the episode in *folder* and where its files are, or None when none is."""
    path = folder / PUBLISHED / SERVED
    try:
        data = read_json(path)
        return (EpisodeRecord.from_json(data["record"]),
                Served(folder / PUBLISHED, folder.name, {str(k): str(v) for k, v in data["files"].items()},
                       {str(k): str(v) for k, v in data.get("integrity", {}).items()}))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        raise AudiopipeError(f"{path}: unreadable; delete {folder / PUBLISHED} and run `audiopipe feed` (the "
                             "episode is published again from its last build that passed)") from None


def old_items(feed_path: Path) -> list[ET.Element]:
    if not feed_path.is_file():
        return []
    try:
        channel = ET.parse(feed_path).getroot().find("channel")
    except ET.ParseError:
        raise AudiopipeError(f"{feed_path}: the existing feed is not valid XML; move it aside and run "
                             "`audiopipe feed` again (its episodes are rebuilt from output/)") from None
    return [] if channel is None else list(channel.findall("item"))


def when_of(item: ET.Element) -> dt.datetime:
    text = item.findtext("pubDate") or ""
    try:
        return email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return dt.datetime.min.replace(tzinfo=dt.UTC)


HoldRule = Callable[[Path, EpisodeRecord], "str | None"]
"""Why the episode in a folder must stay out of the feed (QA failed, not checked…), or None."""


def feed_url_of(show: Show, lang: str | None) -> str:
    """Where a feed is served: the show's feed, or one language's (the feed an edition's guid lives in)."""
    return show.feed if lang is None else _url(show, feed_name(lang))


def feed_name(lang: str | None) -> str:
    """feed.xml, or the feed of one language's editions (feed-en.xml, feed-zh.xml)."""
    return "feed.xml" if lang is None else f"feed-{lang}.xml"


def _items(out_dir: Path, show: Show, artwork_url: str, lang: str | None = None) -> dict[str, ET.Element]:
    """Items by guid: the published episodes (each one's published/ folder: the last build that passed the
    gate), and the old items of episodes gone from disk; with *lang*, their editions in that language."""
    items: dict[str, ET.Element] = {}
    on_disk: set[str] = set()
    for report_path in sorted(out_dir.glob(f"*/{RECORD_FILE}")):
        built = EpisodeRecord.load(report_path.parent)
        on_disk.add(built.guid)
        on_disk.update(e.guid for e in built.editions)
        served = read_served(report_path.parent)
        if served is None:
            continue                                  # never passed the gate: not in the feed
        record, where = served
        if where.path(record.episode.file) is None:
            continue
        edition = record.edition(lang) if lang else None
        if lang and (edition is None or where.path(edition.file) is None):
            continue
        item = item_for(record, show, where, artwork_url, edition)
        items[item.findtext("guid") or ""] = item
    for old in old_items(out_dir / feed_name(lang)):
        guid = old.findtext("guid") or ""
        if guid and guid not in items and guid not in on_disk:
            items[guid] = copy.deepcopy(old)         # an episode whose files are gone: keep it
    return items


ZH_DESCRIPTION = "{title}：每期节目的中文部分，以普通话播出。"
"""The Chinese feed's description when show.yaml gives none in Chinese (never the English one)."""


def channel_text(show: Show, lang: str | None) -> tuple[str, str]:
    """A feed's title and description: the show's, or, for one language's feed, the show's in that
    language (show.yaml `title: {en: …, zh: …}`), else its title marked with the language."""
    if lang is None:
        return show.title, show.description
    title = show.titles.get(lang) or show.title + TITLE_SUFFIX[lang]
    if lang == "zh":
        return title, show.descriptions.get("zh") or ZH_DESCRIPTION.format(title=title)
    return title, show.descriptions.get(lang) or show.description


def artwork_url(out_dir: Path, show: Show, artwork_name: str) -> str:
    """The artwork's URL, with a version that changes whenever its bytes do."""
    artwork = out_dir / artwork_name
    version = hashlib.sha256(artwork.read_bytes()).hexdigest()[:12] if artwork.is_file() else "0"
    return f"{_url(show, artwork_name)}?v={version}"


def build_feed(out_dir: Path, show: Show, artwork_name: str, lang: str | None = None) -> ET.ElementTree:
    """The feed of every published episode in *out_dir*, and the previous feed's items of episodes no
    longer on disk, every folder read again.  Its lastBuildDate is left for :func:`write_feed`, which
    knows whether anything changed."""
    require_publishable(show)
    art = artwork_url(out_dir, show, artwork_name)
    items = _items(out_dir, show, art, lang)
    return ET.ElementTree(channel_of(show, lang, art, sorted(items.values(), key=when_of, reverse=True)))


def channel_of(show: Show, lang: str | None, artwork_url: str, ordered: list[ET.Element]) -> ET.Element:
    """The whole feed (the rss element) around *ordered* items, newest first."""
    feed_url = feed_url_of(show, lang)
    rss = ET.Element("rss", {"version": "2.0"})
    channel = _sub(rss, "channel")
    title, description = channel_text(show, lang)
    _sub(channel, "title", title)
    _sub(channel, "link", show.link or show.base_url)
    _sub(channel, f"{{{ATOM}}}link", href=feed_url, rel="self", type="application/rss+xml")
    _sub(channel, "description", disclosed(description, disclosure(show)))
    _sub(channel, "language", BCP47[lang] if lang else BCP47.get(show.language, show.language))
    if show.copyright:
        _sub(channel, "copyright", show.copyright)
    _sub(channel, "generator", f"audiopipe {__version__}")
    _sub(channel, f"{{{ITUNES}}}author", show.author)
    owner = _sub(channel, f"{{{ITUNES}}}owner")
    _sub(owner, f"{{{ITUNES}}}name", show.owner_name or show.author)
    _sub(owner, f"{{{ITUNES}}}email", show.owner_email)
    _sub(channel, f"{{{ITUNES}}}image", href=artwork_url)
    category = _sub(channel, f"{{{ITUNES}}}category", text=show.category)
    if show.subcategory:
        _sub(category, f"{{{ITUNES}}}category", text=show.subcategory)
    _sub(channel, f"{{{ITUNES}}}explicit", "true" if show.explicit else "false")
    _sub(channel, f"{{{ITUNES}}}type", "episodic")
    _sub(channel, f"{{{PODCAST}}}guid", podcast_guid(feed_url))
    _sub(channel, f"{{{PODCAST}}}locked", "yes" if show.locked else "no", owner=show.owner_email)
    _sub(channel, f"{{{PODCAST}}}txt", SOURCE_TYPE, purpose=AI_CONTENT)
    image = _sub(channel, "image")
    _sub(image, "url", artwork_url)
    _sub(image, "title", title)                     # RSS: the image's title is the channel's
    _sub(image, "link", show.link or show.base_url)
    for item in ordered[:show.feed_items] if show.feed_items else ordered:
        channel.append(item)
    # ElementTree puts text of elements created with attributes only; fix itunes:category text
    for cat in channel.iter(f"{{{ITUNES}}}category"):
        if cat.text:
            cat.set("text", cat.text)
            cat.text = None
    ET.indent(rss, space="  ")
    return rss


def serialize(rss: ET.Element) -> bytes:
    """The feed's bytes, as the XML library writes them: every text escaped by it, no string surgery."""
    return bytes(ET.tostring(rss, encoding="utf-8", xml_declaration=True))


def previous_date(previous: Path, body: bytes) -> str | None:
    """The lastBuildDate of the feed at *previous* when, that date aside, its bytes are *body*."""
    try:
        old = ET.parse(previous).getroot()
    except (OSError, ET.ParseError):
        return None
    old_channel = old.find("channel")
    old_date = old_channel.findtext("lastBuildDate") if old_channel is not None else None
    if old_channel is None or not old_date:
        return None
    for stamp in old_channel.findall("lastBuildDate"):
        old_channel.remove(stamp)
    ET.indent(old, space="  ")
    return old_date if serialize(old) == body else None


def dated(rss: ET.Element, stamp_text: str) -> bytes:
    """The feed's bytes with its lastBuildDate (after the generator)."""
    channel = rss.find("channel")
    assert channel is not None
    date = ET.Element("lastBuildDate")
    date.text = stamp_text
    tags = [child.tag for child in channel]
    channel.insert(tags.index("generator") + 1 if "generator" in tags else 0, date)
    ET.indent(rss, space="  ")
    return serialize(rss)


def _with_build_date(rss: ET.Element, previous: Path, now: dt.datetime) -> bytes:
    """The feed with its lastBuildDate: the previous one when nothing else changed, else *now*."""
    return dated(rss, previous_date(previous, serialize(rss)) or email.utils.format_datetime(now))


def write_feed(out_dir: Path, show: Show, artwork_name: str, now: dt.datetime | None = None,
               lang: str | None = None) -> Path:
    """Write feed.xml (or, with *lang*, that language's feed of editions) atomically, every folder read."""
    root = build_feed(out_dir, show, artwork_name, lang).getroot()
    assert root is not None
    target = out_dir / feed_name(lang)
    data = _with_build_date(root, target, now or dt.datetime.now(dt.UTC).replace(microsecond=0))
    with atomic_open(target, "wb", encoding=None) as fh:
        fh.write(data)
    return target
