"""The feeds written from the feed index (`index`): each published episode's items serialized once, as
they stand in a feed, and spliced into a channel made fresh, so a refresh costs a small constant per
unchanged item; the bytes are those :func:`feed.write_feed` makes from the folders."""

from __future__ import annotations

import copy
import datetime as dt
import email.utils
import hashlib
import xml.etree.ElementTree as ET
from pathlib import Path

from audiopipe.config.show import Show
from audiopipe.publish.feed import (
    ITUNES,
    Served,
    channel_of,
    dated,
    feed_name,
    item_for,
    old_items,
    previous_date,
    serialize,
    when_of,
)
from audiopipe.publish.index import FeedIndex, Item, Written
from audiopipe.publish.record import EpisodeRecord
from audiopipe.tools.fsutil import atomic_open, identity

_WRITER: str | None = None


def writer_code() -> str:
    """The digest of the modules that shape a kept item (in the index's header: a change to how items are
    written, even under the same version number, writes every item again)."""
    global _WRITER
    if _WRITER is None:
        from audiopipe import text
        from audiopipe.publish import feed, guids, index, record
        digest = hashlib.sha256()
        for module in (feed, guids, index, record, text):
            digest.update(Path(str(module.__file__)).read_bytes())
        _WRITER = digest.hexdigest()[:16]
    return _WRITER


def _disagreements(name: str, found: list[tuple[dt.datetime, int, str]]) -> list[str]:
    """Where a feed's episode numbers and dates disagree, from (date, number, title) of its numbered items:
    an episode dated after another with a number not above it (apps order by both, so listeners see the
    season out of order)."""
    found = sorted(found, key=lambda t: (t[0], t[1]))
    return [f"{name}: episode {later[1]} ({later[2]!r}, {later[0]:%Y-%m-%d}) is dated after episode "
            f"{earlier[1]} ({earlier[2]!r}, {earlier[0]:%Y-%m-%d}); renumber it or correct its date"
            for earlier, later in zip(found, found[1:]) if later[1] <= earlier[1] and later[0] > earlier[0]]


def numbering_warnings(feed_path: Path) -> list[str]:
    """Where a feed's episode numbers and dates disagree (what the last refresh found when the feed is as
    it left it; else read from the feed)."""
    written = FeedIndex.load_written(feed_path)
    if written is not None:
        return written.warnings
    found = []
    for item in ET.parse(feed_path).getroot().findall("channel/item"):
        number = item.findtext(f"{{{ITUNES}}}episode") or ""
        if number.isdigit():
            found.append((when_of(item), int(number), item.findtext("title") or ""))
    return _disagreements(feed_path.name, found)


def _kept(item: ET.Element) -> Item:
    """*item* as the index keeps it: serialized once, where it stands in a feed (rss > channel > item)."""
    rss = ET.Element("rss")
    ET.SubElement(rss, "channel").append(item)
    ET.indent(rss, space="  ")
    text = ET.tostring(rss, encoding="unicode")
    number = item.findtext(f"{{{ITUNES}}}episode") or ""
    return (text[text.index("<item"):text.rindex("</item>") + len("</item>")], when_of(item).timestamp(),
            item.findtext("guid") or "", int(number) if number.isdigit() else 0, item.findtext("title") or "")


def items_of(served: tuple[EpisodeRecord, Served] | None, show: Show, artwork_url: str,
             langs: tuple[str | None, ...]) -> dict[str, Item]:
    """A published episode (what :func:`feed.read_served` read of its folder) as feed items, one per feed
    (the bilingual feed's key is ""); none when nothing of it is published."""
    out: dict[str, Item] = {}
    if served is None:
        return out                                    # never passed the gate: not in the feed
    record, where = served
    if where.path(record.episode.file) is None:
        return out
    for lang in langs:
        edition = record.edition(lang) if lang else None
        if lang and (edition is None or where.path(edition.file) is None):
            continue
        out[lang or ""] = _kept(item_for(record, show, where, artwork_url, edition))
    return out


def _numbered(name: str, items: list[Item]) -> list[str]:
    """:func:`_disagreements` of the items as the index keeps them."""
    return _disagreements(name, [(dt.datetime.fromtimestamp(when, dt.UTC), number, title)
                                 for _, when, _, number, title in items if number])


CLOSE = "\n  </channel>"


def write_indexed(out_dir: Path, show: Show, artwork_url: str, lang: str | None, index: FeedIndex,
                  changed: bool, now: dt.datetime | None = None) -> Path:
    """Write one feed from the index's items: the channel made here, each item spliced in as kept (the
    same bytes :func:`write_feed` makes from the folders, at a small and constant cost per item); when
    nothing changed and the feed is as written, it is not touched."""
    name, key = feed_name(lang), lang or ""
    target = out_dir / name
    written = index.feeds.get(name)
    if not changed and written is not None and identity(target) == written.seen:
        return target
    items: dict[str, Item] = {}
    for entry in index.episodes.values():
        if entry.items is not None and key in entry.items:
            item = entry.items[key]
            items[item[2]] = item
    on_disk = {guid for e in index.episodes.values() for guid in e.guids}
    if index.fresh or index.gone_lost:                # no memory of gone episodes: the previous feed has them
        for old in old_items(target):
            guid = old.findtext("guid") or ""
            if guid and guid not in items and guid not in on_disk:
                items[guid] = _kept(copy.deepcopy(old))
                index.gone.setdefault(guid, {})[key] = items[guid]
    else:
        before = {guid: i for i, guid in enumerate(written.guids if written else [])}
        for guid in sorted(index.gone, key=lambda g: (before.get(g, len(before)), g)):
            if key in index.gone[guid] and guid not in items:
                items[guid] = index.gone[guid][key]
    ordered = sorted(items.values(), key=lambda item: item[1], reverse=True)
    listed = ordered[:show.feed_items] if show.feed_items else ordered
    rss = channel_of(show, lang, artwork_url, [])
    head = serialize(rss).decode("utf-8")
    cut = head.rindex(CLOSE)
    body_items = "".join("\n    " + item[0] for item in listed)
    body = (head[:cut] + body_items + head[cut:]).encode("utf-8")
    digest = hashlib.sha256(body).hexdigest()
    if written is not None and written.body == digest:
        stamp = written.date
    else:
        stamp = (previous_date(target, body) if index.fresh or written is None else None) or \
            email.utils.format_datetime(now or dt.datetime.now(dt.UTC).replace(microsecond=0))
    if written is None or written.body != digest or written.date != stamp or identity(target) != written.seen:
        head = dated(rss, stamp).decode("utf-8")
        cut = head.rindex(CLOSE)
        with atomic_open(target, "wb", encoding=None) as fh:
            fh.write((head[:cut] + body_items + head[cut:]).encode("utf-8"))
    index.feeds[name] = Written(identity(target), digest, stamp, [item[2] for item in listed], _numbered(name, listed))
    return target
