"""ID3 tags through mutagen: one table from episode field to ID3 frame, one choke point for errors."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mutagen import MutagenError
from mutagen.id3 import COMM, ID3, TALB, TCON, TDRC, TIT2, TLAN, TPE1, TRCK, Frame

from audiopipe.errors import ToolError


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


FRAMES: tuple[tuple[str, Callable[[EpisodeTags], Frame | None]], ...] = (
    ("title", lambda t: TIT2(encoding=3, text=t.title)),
    ("show", lambda t: TALB(encoding=3, text=t.show)),
    ("artist", lambda t: TPE1(encoding=3, text=t.artist)),
    ("date", lambda t: TDRC(encoding=3, text=t.date)),
    ("episode", lambda t: TRCK(encoding=3, text=str(t.episode)) if t.episode else None),
    ("genre", lambda t: TCON(encoding=3, text="Podcast")),
    ("description", lambda t: COMM(encoding=3, lang="eng", desc="", text=t.description)
     if t.description else None),
    ("comment", lambda t: COMM(encoding=3, lang="eng", desc="audiopipe", text=t.comment)
     if t.comment else None),
    ("languages", lambda t: TLAN(encoding=3, text=list(t.languages))),
)
"""Episode field -> the ID3 frame that carries it."""


def write_tags(path: Path, tags: EpisodeTags) -> None:
    """Replace the ID3v2.4 tag of *path* with *tags*."""
    try:
        id3 = ID3()
        for _field, make in FRAMES:
            frame = make(tags)
            if frame is not None:
                id3.add(frame)
        id3.save(str(path), v2_version=4)
    except (MutagenError, OSError) as exc:
        raise ToolError(f"{path}: cannot write ID3 tags ({exc})") from exc


def read_tags(path: Path) -> ID3:
    try:
        return ID3(str(path))
    except (MutagenError, OSError) as exc:
        raise ToolError(f"{path}: cannot read ID3 tags ({exc})") from exc
