"""The feed index: what the last feed refresh of an output folder found, so that the next one costs what
changed, not the size of the archive.

`out_dir/.feed-index.json` keeps, per episode folder, the identity (size, time, inode) of every file the
refresh read or promoted (report.json, qa.json, review.json, the working files, published/ and its
published.json) and why it was held (or that it was published); and per feed what was written.
`out_dir/.feed-items.json` keeps each folder's feed items as XML, one per feed, and the items of episodes
gone from disk: read only when a feed is written.  A folder whose files all keep their
identity is neither read, judged nor promoted again: its items are taken from here.  The index is only a
memory: when it is missing, damaged, or written by another audiopipe or for another show, it is rebuilt
from the folders (and the items of episodes gone from disk from the previous feeds), which is what every
refresh did before it existed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from audiopipe.tools.fsutil import Identity, identities, identity, read_json, write_text

INDEX = ".feed-index.json"
ITEMS = ".feed-items.json"
VERSION = 2

Item = tuple[str, float, str, int, str]
"""A feed item: its XML as it stands in a feed, its pubDate as a timestamp, its guid, episode number, title."""


def _item(data: Sequence[Any]) -> Item:
    return str(data[0]), float(data[1]), str(data[2]), int(data[3]), str(data[4])


@dataclass
class Entry:
    """One episode folder as the last refresh left it."""

    slug: str
    names: list[str]                      # the files its identity covers, in the folder
    seen: str                             # their identities then, as one digest (see `fingerprint`)
    hold: str | None                      # why it was held, or None: it went through the gate
    guids: list[str]                      # the guids of the episode and its editions (on disk: no old item)
    items: dict[str, Item] | None = None   # feed ("": the bilingual one) -> its item; None: not read yet

    def to_json(self) -> dict[str, Any]:
        return {"slug": self.slug, "names": _pattern(self.names, self.slug), "seen": self.seen, "hold": self.hold,
                "guids": self.guids}

    @classmethod
    def from_json(cls, data: Mapping[str, Any], patterns: Sequence[Sequence[str]]) -> Entry:
        slug = str(data["slug"])
        return cls(slug, [name.replace(SLUG, slug) for name in patterns[int(data["names"])]],
                   str(data["seen"]), None if data["hold"] is None else str(data["hold"]),
                   [str(g) for g in data["guids"]])


SLUG = "\x00"
"""Where an episode's slug stands in a name the index keeps (day-0042.mp3 -> \x00.mp3): every folder's
names are then one of a few lists, kept once."""


def fingerprint(seen: Sequence[Identity]) -> str:
    """Files' identities as one short digest: all that is asked of them is whether they are the same."""
    return hashlib.blake2b(repr(list(seen)).encode("ascii"), digest_size=12).hexdigest()


def _pattern(names: list[str], slug: str) -> tuple[str, ...]:
    return tuple(name.replace(slug, SLUG) for name in names)


def _identity(data: Sequence[Any] | None) -> Identity:
    return None if data is None else (int(data[0]), int(data[1]), int(data[2]))


@dataclass
class Written:
    """A feed as the last refresh wrote it: its identity, its bytes' digest without lastBuildDate, that
    date, the guids in it in order, and what its numbering had to say."""

    seen: Identity
    body: str
    date: str
    guids: list[str]
    warnings: list[str]

    def to_json(self) -> dict[str, Any]:
        return {"seen": self.seen, "body": self.body, "date": self.date, "guids": self.guids, "warnings": self.warnings}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Written:
        return cls(_identity(data["seen"]), str(data["body"]),
                   str(data["date"]), [str(g) for g in data["guids"]], [str(w) for w in data["warnings"]])


@dataclass
class FeedIndex:
    """The index of one output folder (see the module)."""

    path: Path
    header: dict[str, str]
    episodes: dict[str, Entry] = field(default_factory=dict)       # folder name -> entry
    gone: dict[str, dict[str, Item]] = field(default_factory=dict)   # guid -> feed -> item
    feeds: dict[str, Written] = field(default_factory=dict)          # feed.xml, feed-en.xml ... -> written
    fresh: bool = True                    # nothing was read: the folders and the previous feeds are the truth
    items_read: bool = True               # the items (the episodes' and the gone ones) are here, not only on disk
    gone_lost: bool = False               # the items file could not be read: the gone items are in the feeds

    @classmethod
    def load(cls, out_dir: Path, header: Mapping[str, str]) -> FeedIndex:
        """The index of *out_dir* if it was written for *header* (audiopipe's version, the show, the
        artwork), else an empty one; its items are read by :meth:`read_items`, when a feed is written."""
        path = out_dir / INDEX
        empty = cls(path, dict(header))
        try:
            data = read_json(path)
            if not isinstance(data, dict) or data.get("version") != VERSION or data.get("header") != dict(header):
                return empty
            patterns = data["names"]
            return cls(path, dict(header), {str(k): Entry.from_json(v, patterns) for k, v in data["episodes"].items()},
                       {}, {str(k): Written.from_json(v) for k, v in data["feeds"].items()}, fresh=False,
                       items_read=False)
        except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError, RecursionError):
            return empty                  # missing or damaged: rebuilt from the folders

    def read_items(self, rebuild: Callable[[str], dict[str, Item]]) -> None:
        """Every entry's items from the items file; an entry the file lacks (or a damaged file) has them
        made again by *rebuild(folder name)*, and the gone items are then taken from the feeds."""
        if self.items_read:
            return
        self.items_read = True
        try:
            data = read_json(self.path.parent / ITEMS)
            if data.get("version") != VERSION or data.get("header") != self.header:
                raise ValueError("another index's items")
            kept = {str(name): {str(k): _item(v) for k, v in items.items()} for name, items in data["episodes"].items()}
            self.gone = {str(g): {str(k): _item(v) for k, v in items.items()} for g, items in data["gone"].items()}
        except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError, RecursionError):
            kept, self.gone, self.gone_lost = {}, {}, True
        for name, entry in self.episodes.items():
            if entry.items is None:
                entry.items = kept[name] if name in kept else rebuild(name)

    def save(self) -> None:
        """The index, and its items when they were read (the items file first: the index names what it holds)."""
        if self.items_read:
            write_text(self.path.parent / ITEMS, json.dumps({
                "version": VERSION, "header": self.header,
                "episodes": {k: e.items for k, e in sorted(self.episodes.items()) if e.items is not None},
                "gone": self.gone}, ensure_ascii=False, separators=(",", ":")) + "\n")
        patterns: dict[tuple[str, ...], int] = {}
        episodes = {}
        for name, entry in sorted(self.episodes.items()):
            data = entry.to_json()
            data["names"] = patterns.setdefault(data["names"], len(patterns))
            episodes[name] = data
        write_text(self.path, json.dumps({
            "version": VERSION, "header": self.header, "names": [list(p) for p in patterns],
            "episodes": episodes, "feeds": {k: w.to_json() for k, w in self.feeds.items()}},
            ensure_ascii=False, separators=(",", ":")) + "\n")

    @staticmethod
    def load_written(feed_path: Path) -> Written | None:
        """What the last refresh wrote as *feed_path*, when the file is still as it was written."""
        try:
            data = read_json(feed_path.parent / INDEX)
            written = Written.from_json(data["feeds"][feed_path.name])
        except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError, RecursionError):
            return None
        return written if written.seen is not None and identity(feed_path) == written.seen else None

    def unchanged(self, folder: Path, watched: Sequence[str]) -> Entry | None:
        """The entry of *folder* when every file it covers (and every *watched* one) keeps its identity."""
        entry = self.episodes.get(folder.name)
        if entry is None or not set(watched) <= set(entry.names):
            return None
        return entry if fingerprint(identities(folder, entry.names)) == entry.seen else None
