"""ID3 tags through mutagen: one table from episode field to ID3 frame, one choke point for errors.

Tags are written as ID3v2.4 with UTF-8 text.  The content credentials (publish/credentials.py) decide
it: C2PA embeds its manifest in the ID3 tag and hashes the file around it, and c2pa writes the tag it
signs as v2.4; a tag rewritten afterwards (as v2.3, or any change) breaks the signature.  So the tag is
v2.4 from the start (the date is TDRC), and every reader in the suite (mutagen, eyeD3, ffmpeg's
metadata dump) reads it.  WFED is written as iTunes writes it, a text frame with an encoding byte; frames
are stored in the order written, so the CHAP frames are in time order for readers that ignore the
CTOC (mutagen itself would sort them by size); and no text frame holds a control character.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mutagen.id3
from mutagen import MutagenError

from audiopipe.errors import ToolError
from audiopipe.text import one_line

frames: Any = mutagen.id3
"""mutagen has no type hints: its frames are used as Any here, in the one module that calls it."""
Frame = Any

WFED: Any = type("WFED", (frames.TextFrame,), {"__doc__": "iTunes podcast feed URL, as iTunes writes it (text)"})
"""WFED as a text frame (encoding byte, then the URL): mutagen's own WFED is a URL frame without the
encoding byte, which TagLib shows as garbage and eyeD3 reads without its first letter."""


class _InOrder(frames.ID3):  # type: ignore[misc]
    """An ID3 tag that stores its frames in the order they were added (mutagen sorts them by size)."""

    def _write(self, config: Any) -> bytearray:
        save_frame = frames._tags.save_frame
        return bytearray().join(save_frame(frame, config=config) for frame in self.values())



ID3_VERSION = 4
UTF8 = 3
"""ID3v2.4's UTF-8 text encoding (Chinese survives, in a third less room than v2.3's UTF-16)."""


@dataclass(frozen=True)
class Chapter:
    start_ms: int
    end_ms: int
    title: str


@dataclass(frozen=True)
class EpisodeTags:
    title: str
    show: str
    artist: str
    date: str              # ISO date
    episode: int | None
    description: str
    languages: tuple[str, ...]   # ISO 639-2 codes
    comment: str = ""
    cover_jpeg: bytes | None = None
    chapters: Sequence[Chapter] = field(default_factory=tuple)
    transcript: str = ""
    guid: str = ""
    feed_url: str = ""
    disclosure: str = ""       # that the voices are synthetic, and which engines and voices made them


DISCLOSURE = "ai-content"
"""The TXXX description of the disclosure frame: the podcast namespace's `podcast:txt` purpose."""


def _chapters(t: EpisodeTags) -> list[Frame]:
    if not t.chapters:
        return []
    ids = [f"chp{i}" for i in range(1, len(t.chapters) + 1)]
    out: list[Frame] = [frames.CTOC(element_id="toc", flags=frames.CTOCFlags.TOP_LEVEL | frames.CTOCFlags.ORDERED,
                                    child_element_ids=ids, sub_frames=[frames.TIT2(encoding=UTF8, text="Chapters")])]
    for element_id, ch in sorted(zip(ids, t.chapters), key=lambda pair: pair[1].start_ms):
        out.append(frames.CHAP(element_id=element_id, start_time=ch.start_ms, end_time=ch.end_ms,
                               start_offset=0xFFFFFFFF, end_offset=0xFFFFFFFF,
                               sub_frames=[frames.TIT2(encoding=UTF8, text=one_line(ch.title))]))
    return out


def _date(t: EpisodeTags) -> list[Frame]:
    """v2.4's recording date: TDRC (YYYY-MM-DD)."""
    return [frames.TDRC(encoding=UTF8, text=t.date)]


COMMENT_CHARS = 240


def _short(text: str) -> str:
    """The description as a comment: whole when short, else its start (TDES carries it whole, once)."""
    return text if len(text) <= COMMENT_CHARS else text[:COMMENT_CHARS - 1].rstrip() + "…"


def _language(t: EpisodeTags) -> str:
    """The transcript's language: the episode's one language (an edition), or "mul" for both."""
    return t.languages[0] if len(t.languages) == 1 else "mul"


def _one(frame: Frame | None) -> list[Frame]:
    return [] if frame is None else [frame]


FRAMES: tuple[tuple[str, Callable[[EpisodeTags], list[Frame]]], ...] = (
    ("title", lambda t: [frames.TIT2(encoding=UTF8, text=one_line(t.title))]),
    ("show", lambda t: [frames.TALB(encoding=UTF8, text=one_line(t.show))]),
    ("artist", lambda t: [frames.TPE1(encoding=UTF8, text=one_line(t.artist))]),
    ("date", _date),
    ("episode", lambda t: _one(frames.TRCK(encoding=UTF8, text=str(t.episode)) if t.episode else None)),
    ("genre", lambda t: [frames.TCON(encoding=UTF8, text="Podcast")]),
    ("description", lambda t: _one(frames.COMM(encoding=UTF8, lang="eng", desc="", text=_short(t.description))
                                   if t.description else None)),
    ("podcast description", lambda t: _one(frames.TDES(encoding=UTF8, text=t.description) if t.description else None)),
    ("comment", lambda t: _one(frames.COMM(encoding=UTF8, lang="eng", desc="audiopipe", text=t.comment)
                               if t.comment else None)),
    ("languages", lambda t: [frames.TLAN(encoding=UTF8, text=list(t.languages))]),
    ("chapters", _chapters),
    ("transcript", lambda t: _one(frames.USLT(encoding=UTF8, lang=_language(t), desc="transcript",
                                                              text=t.transcript)
                                  if t.transcript else None)),
    ("podcast", lambda t: [frames.PCST(value=1)]),
    ("disclosure", lambda t: _one(frames.TXXX(encoding=UTF8, desc=DISCLOSURE, text=t.disclosure)
                                  if t.disclosure else None)),
    ("guid", lambda t: _one(frames.TGID(encoding=UTF8, text=one_line(t.guid)) if t.guid else None)),
    ("feed", lambda t: _one(WFED(encoding=0, text=one_line(t.feed_url)) if t.feed_url else None)),
    ("cover", lambda t: _one(frames.APIC(encoding=UTF8, mime="image/jpeg", type=3, desc="Cover", data=t.cover_jpeg)
                             if t.cover_jpeg else None)),     # last: players read the small frames first
)
"""Episode field -> the ID3 frames that carry it, in the order they are stored."""


def write_tags(path: Path, tags: EpisodeTags) -> None:
    """Replace the ID3 tag of *path* with *tags* (ID3v2.4)."""
    try:
        id3 = _InOrder()
        for _field, make in FRAMES:
            for frame in make(tags):
                id3.add(frame)
        id3.save(str(path), v2_version=ID3_VERSION)
    except (MutagenError, OSError, ValueError) as exc:
        raise ToolError(f"{path}: cannot write ID3 tags ({exc})") from exc


@dataclass(frozen=True)
class ReadTags:
    """What QA compares with the record: the title, the guid and the chapters in table-of-contents order."""

    title: str
    guid: str
    chapters: tuple[Chapter, ...]
    languages: tuple[str, ...] = ()     # TLAN's ISO 639-2 codes


def read_tags(path: Path) -> ReadTags:
    """The tag of *path* as QA needs it (the one place besides :func:`write_tags` that calls mutagen)."""
    try:
        id3 = frames.ID3(str(path))
    except (MutagenError, OSError) as exc:
        raise ToolError(f"{path}: the MP3 has no readable ID3 tag ({exc})") from exc
    chaps = {c.element_id: c for c in id3.getall("CHAP")}
    tocs = id3.getall("CTOC")
    order = [] if not tocs else [i for i in tocs[0].child_element_ids if i in chaps]
    return ReadTags(str(id3.get("TIT2", "")), str(id3.get("TGID", "")),
                    tuple(Chapter(chaps[i].start_time, chaps[i].end_time, str(chaps[i].sub_frames.get("TIT2", "")))
                          for i in order),
                    tuple(id3["TLAN"].text) if "TLAN" in id3 else ())
