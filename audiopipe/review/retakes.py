"""Re-takes a reviewer asked for: another voice profile, rate or engine for one segment, kept for later builds.

They live in ``output/<slug>/retakes.json`` ({"3": {"profile": "en-aria", "rate": -5}}), so that a
rebuild of the episode keeps the reviewer's choice; delete the file to go back to the manifest's voices.
A choice is checked before it is saved, and a file that does not hold up is a one-line error naming it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path

from audiopipe.config.voices import RATE_RANGE, VoiceProfile
from audiopipe.engines import check_name
from audiopipe.errors import AudiopipeError
from audiopipe.script.segments import Segment
from audiopipe.synth.plan import Override
from audiopipe.tools.fsutil import write_text

FILE = "retakes.json"


def check(where: str, index: int, override: Override, profiles: Mapping[str, VoiceProfile], lang: str) -> None:
    """Raise a one-line error (prefixed by *where*) when *override* cannot be built for a *lang* segment."""
    name = override.profile
    if name and (name not in profiles or profiles[name].language != lang):
        raise AudiopipeError(f"{where}: segment {index}: profile {name!r} is unknown or not {lang}; "
                             "choose a profile of the segment's language (`audiopipe voices` lists them)")
    if override.rate is not None and not RATE_RANGE[0] <= override.rate <= RATE_RANGE[1]:
        raise AudiopipeError(f"{where}: segment {index}: rate {override.rate} is out of range; "
                             f"use {RATE_RANGE[0]}..{RATE_RANGE[1]} (percent)")
    if override.engine is not None:
        try:
            check_name(override.engine, allow_auto=True)
        except AudiopipeError as exc:
            raise AudiopipeError(f"{where}: segment {index}: {exc.message}") from None


def _read(path: Path) -> dict[int, Override]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return {int(k): Override(v.get("profile"), None if v.get("rate") is None else int(v["rate"]), v.get("engine"))
                for k, v in raw.items()}
    except (OSError, ValueError, TypeError, AttributeError):
        raise AudiopipeError(f"{path}: not a valid re-take file; fix it or delete it to use the manifest's "
                             "voices") from None


def load(folder: Path, profiles: Mapping[str, VoiceProfile], segments: Sequence[Segment]) -> dict[int, Override]:
    """The re-takes of the episode in *folder* that still apply to its segments, each checked."""
    path = folder / FILE
    if not path.is_file():
        return {}
    langs = {s.index: s.lang for s in segments}
    kept = {}
    for index, override in _read(path).items():
        if index not in langs:
            continue                       # the manifest changed: that segment is gone
        check(f"{path}", index, override, profiles, langs[index])
        kept[index] = override
    return kept


def save(folder: Path, index: int, override: Override) -> None:
    path = folder / FILE
    data = _read(path) if path.is_file() else {}
    data[index] = override
    write_text(path, json.dumps({str(k): {f: v for f, v in asdict(o).items() if v is not None}
                                 for k, o in sorted(data.items())}, indent=2, sort_keys=True) + "\n")
