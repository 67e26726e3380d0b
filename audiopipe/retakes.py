"""Re-takes a reviewer asked for: another voice profile or rate for one segment, kept for later builds.

They live in ``output/<slug>/retakes.json`` ({"3": {"profile": "en-aria", "rate": -5}}), so that a
rebuild of the episode keeps the reviewer's choice; delete the file to go back to the manifest's voices.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from audiopipe.errors import AudiopipeError
from audiopipe.fsutil import write_text
from audiopipe.segments import Segment
from audiopipe.voices import VoiceProfile

FILE = "retakes.json"


def load(folder: Path, profiles: Mapping[str, VoiceProfile], segments: Sequence[Segment]) -> dict[int, dict[str, Any]]:
    path = folder / FILE
    if not path.is_file():
        return {}
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        overrides = {int(k): dict(v) for k, v in raw.items()}
    except (ValueError, TypeError, AttributeError):
        raise AudiopipeError(f"{path}: not a valid re-take file; delete it to use the manifest's voices") from None
    langs = {s.index: s.lang for s in segments}
    kept = {}
    for index, spec in overrides.items():
        if index not in langs:
            continue                       # the manifest changed: that segment is gone
        name = spec.get("profile")
        if name and (name not in profiles or profiles[name].language != langs[index]):
            raise AudiopipeError(f"{path}: segment {index}: profile {name!r} is unknown or not "
                                 f"{langs[index]}; fix or delete the file")
        kept[index] = spec
    return kept


def save(folder: Path, index: int, spec: dict[str, Any]) -> None:
    path = folder / FILE
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    data[str(index)] = {k: v for k, v in spec.items() if v is not None}
    write_text(path, json.dumps(data, indent=2, sort_keys=True) + "\n")
