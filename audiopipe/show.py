"""The show: settings shared by every episode, from ``show.yaml``.

Found as ``--show FILE``, ``$AUDIOPIPE_SHOW``, or ``show.yaml`` at or above
the manifest's folder; without one, the defaults below apply.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from audiopipe import yamlio
from audiopipe.errors import InputError


class ShowError(InputError):
    """show.yaml is invalid."""


@dataclass(frozen=True)
class Show:
    title: str = "audiopipe briefing"
    author: str = "audiopipe"
    description: str = ""
    # mastering
    target_lufs: float = -16.0
    true_peak_dbtp: float = -1.0
    bitrate_kbps: int = 96
    # timing (ms)
    gap_in_story_ms: int = 500
    gap_between_stories_ms: int = 1000
    after_intro_ms: int = 500
    before_outro_ms: int = 800
    target_seconds: int = 180
    tolerance_pct: float = 16.7
    path: Path | None = None


_RANGES: dict[str, tuple[float, float]] = {
    "target_lufs": (-31, -9), "true_peak_dbtp": (-9, 0), "bitrate_kbps": (64, 320),
    "gap_in_story_ms": (0, 5000), "gap_between_stories_ms": (0, 10000),
    "after_intro_ms": (0, 10000), "before_outro_ms": (0, 10000),
    "target_seconds": (10, 4 * 3600), "tolerance_pct": (1, 50),
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
    defaults = Show()
    for name in names:
        if name not in data:
            continue
        value, default = data[name], getattr(defaults, name)
        line = data.line_of(name)
        if isinstance(default, str):
            if not isinstance(value, str) or (name in ("title", "author") and not value.strip()):
                raise ShowError(path, f"{name}: must be non-empty text; quote it", line=line)
            value = value.strip()
        else:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ShowError(path, f"{name}: must be a number, got {value!r}", line=line)
            if isinstance(default, int) and not isinstance(value, int):
                raise ShowError(path, f"{name}: must be a whole number, got {value!r}", line=line)
            lo, hi = _RANGES[name]
            if not lo <= value <= hi:
                raise ShowError(path, f"{name}: {value} is out of range; use {lo:g}..{hi:g}", line=line)
        values[name] = value
    return Show(path=path, **values)
