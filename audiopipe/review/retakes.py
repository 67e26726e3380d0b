"""Re-takes a reviewer asked for: another voice profile, rate, engine or text for one segment, kept for
later builds.

They live in ``output/<slug>/review.json`` under ``overrides`` ({"3": {"profile": "en-aria", "rate": -5}},
or {"4": {"text": "…"}}), beside the reviewer's approvals, so that a rebuild keeps the reviewer's choice
and the manifest is never rewritten.  An older ``retakes.json`` beside it is still read.  A choice is
checked before it is saved, and a file that does not hold up is a one-line error naming it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from audiopipe.config.voices import RATE_RANGE, VoiceProfile
from audiopipe.engines import check_name
from audiopipe.errors import AudiopipeError
from audiopipe.review import verdicts
from audiopipe.script.segments import Segment
from audiopipe.synth.override import Override
from audiopipe.text import speakable_problem

FILE = verdicts.FILE
LEGACY_FILE = "retakes.json"


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
    if override.text is not None:
        problem = speakable_problem(override.text, lang)
        if problem:
            raise AudiopipeError(f"{where}: segment {index}: the edited text {problem}")


def _legacy(path: Path) -> dict[int, Override]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return {int(k): Override.from_json(v) for k, v in raw.items()}
    except (OSError, ValueError, TypeError, AttributeError):
        raise AudiopipeError(f"{path}: not a valid re-take file; fix it or delete it to use the manifest's "
                             "voices") from None


def stored(folder: Path) -> dict[int, Override]:
    """Every override saved for the episode in *folder* (review.json over an older retakes.json)."""
    found = _legacy(folder / LEGACY_FILE) if (folder / LEGACY_FILE).is_file() else {}
    try:
        found.update(verdicts.load(folder).overrides)
    except (TypeError, ValueError, AttributeError):
        raise AudiopipeError(f"{folder / FILE}: an override is not valid; fix it or delete it") from None
    return found


def load(folder: Path, profiles: Mapping[str, VoiceProfile], segments: Sequence[Segment]) -> dict[int, Override]:
    """The re-takes of the episode in *folder* that still apply to its segments, each checked (the folder is
    the first thing a build reads of its output: a file standing there is said here)."""
    if folder.exists() and not folder.is_dir():
        raise AudiopipeError(f"{folder}: a file stands where the episode's folder goes; move it away, or build "
                             "into another --out (nothing was made)")
    langs = {s.index: s.lang for s in segments}
    kept = {}
    for index, override in stored(folder).items():
        if index not in langs:
            continue                       # the manifest changed: that segment is gone
        check(f"{folder / FILE}", index, override, profiles, langs[index])
        kept[index] = override
    return kept


def save(folder: Path, index: int, override: Override) -> None:
    """Keep *override* for segment *index* (an empty one removes it)."""
    folder.mkdir(parents=True, exist_ok=True)
    verdicts.update(folder, lambda review: (review.with_override(index, override if override.to_json() else None),
                                            None))
