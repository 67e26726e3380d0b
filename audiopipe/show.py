"""The show: settings shared by every episode, from ``show.yaml``.

Found as ``--show FILE``, ``$AUDIOPIPE_SHOW``, or ``show.yaml`` at or above
the manifest's folder; without one, the defaults below apply.  One table
(:data:`SETTINGS`) says each setting's type and range.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from audiopipe import yamlio
from audiopipe.errors import InputError, ToolError


class ShowError(InputError):
    """show.yaml is invalid."""


@dataclass(frozen=True)
class Show:
    title: str = "audiopipe briefing"
    author: str = "audiopipe"
    description: str = ""
    # loudness (ITU-R BS.1770, as ffmpeg's ebur128 measures it)
    target_lufs: float = -16.0
    true_peak_dbtp: float = -1.0
    stinger_under_lu: float = 0.0
    bitrate_kbps: int = 96
    # joins (ms)
    gap_in_story_ms: int = 500
    gap_between_stories_ms: int = 1000
    after_intro_ms: int = 500
    before_outro_ms: int = 800
    intro_overlap_ms: int = 0
    outro_overlap_ms: int = 0
    # music bed
    bed: Path | None = None
    bed_under_lu: float = 20.0
    duck_db: float = 12.0
    # duration
    target_seconds: int = 180
    tolerance_pct: float = 10.0
    max_rate_change_pct: int = 15
    path: Path | None = None

    @property
    def window(self) -> tuple[float, float]:
        """The episode durations (seconds) that count as on target."""
        t = self.target_seconds
        return t * (1 - self.tolerance_pct / 100), t * (1 + self.tolerance_pct / 100)


SETTINGS: dict[str, tuple[type, float, float]] = {
    # name: (type, low, high)
    "target_lufs": (float, -31, -9), "true_peak_dbtp": (float, -9, 0), "stinger_under_lu": (float, 0, 20),
    "bitrate_kbps": (int, 64, 320),
    "gap_in_story_ms": (int, 0, 5000), "gap_between_stories_ms": (int, 0, 10000),
    "after_intro_ms": (int, 0, 10000), "before_outro_ms": (int, 0, 10000),
    "intro_overlap_ms": (int, 0, 10000), "outro_overlap_ms": (int, 0, 10000),
    "bed_under_lu": (float, 6, 40), "duck_db": (float, 0, 40),
    "target_seconds": (int, 10, 4 * 3600), "tolerance_pct": (float, 1, 50),
    "max_rate_change_pct": (int, 0, 30),
}


def find_show_file(start: Path | None) -> Path | None:
    env = os.environ.get("AUDIOPIPE_SHOW")
    if env:
        return Path(env)
    if start is not None:
        for folder in [start, *start.resolve().parents][:4]:
            if (folder / "show.yaml").is_file():
                return folder / "show.yaml"
    return None


def load_show(path: Path | None) -> Show:
    if path is None:
        return Show()
    data = yamlio.load(path, ShowError)
    names = [f.name for f in fields(Show) if f.name != "path"]
    yamlio.check_keys(path, data, names, "", ShowError)
    values: dict[str, Any] = {}
    for name in names:
        if name not in data:
            continue
        value = data[name]
        line = data.line_of(name)
        if name in SETTINGS:
            kind, lo, hi = SETTINGS[name]
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ShowError(path, f"{name}: must be a number, got {value!r}", line=line)
            if kind is int and not isinstance(value, int):
                raise ShowError(path, f"{name}: must be a whole number, got {value!r}", line=line)
            if not lo <= value <= hi:
                raise ShowError(path, f"{name}: {value} is out of range; use {lo:g}..{hi:g}", line=line)
            value = kind(value)
        elif name == "bed":
            if value is None or value is False:
                continue
            if not isinstance(value, str):
                raise ShowError(path, f"bed: must be a path to an audio file, got {value!r}", line=line)
            file = path.parent / value
            if not file.is_file():
                raise ShowError(path, f"bed: music bed {value!r} not found (looked at {file}); fix the path "
                                "(relative to show.yaml) or remove the key", line=line)
            try:
                from audiopipe import ffmpeg
                ffmpeg.probe_audio(file)
            except ToolError:
                raise ShowError(path, f"bed: {value!r} is not audio ffmpeg can read; use WAV, MP3, FLAC "
                                "or OGG", line=line) from None
            value = file
        else:
            if not isinstance(value, str) or (name in ("title", "author") and not value.strip()):
                raise ShowError(path, f"{name}: must be non-empty text; quote it", line=line)
            value = value.strip()
        values[name] = value
    return Show(path=path, **values)
