"""A reviewer's verdicts on an episode: ``output/<slug>/review.json``.

It holds, per segment, an approval or a flag (with a note) and the take it was given to; the
reviewer's overrides (another voice profile, rate, engine or text: the episode's re-takes); a re-take
waiting for its A/B choice; and the release.  Every change goes through :func:`update`, which holds a
lock on the episode (threads here and processes elsewhere) while it reads, changes and atomically
rewrites the file, so two actions at once never lose one another.

An approval belongs to a take: when the segment's take changes (a re-take, an edited manifest, a new
lexicon), the approval lapses and :func:`lapse_reason` says why.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import json
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

from audiopipe.errors import AudiopipeError
from audiopipe.publish.record import REVIEW_FILE, EpisodeRecord, SegmentRecord
from audiopipe.synth.override import Override
from audiopipe.tools.fsutil import held, read_json, sha256_of, write_text

FILE = REVIEW_FILE
LOCK = ".review.lock"
SCHEMA = 2
T = TypeVar("T")


def reviewer() -> str:
    """Who acts: the OS user."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid {os.getuid()}"


def now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class Verdict:
    """An approval or a flag, and the take it was given to."""

    status: str                # "approved" or "flagged"
    take: str                  # the take's cache key
    text: str                  # the script text heard
    voice: str
    engine: str
    rate: int
    note: str = ""
    by: str = ""
    at: str = ""

    @classmethod
    def of(cls, status: str, seg: SegmentRecord, note: str = "") -> Verdict:
        return cls(status, seg.take, seg.text, seg.voice, seg.engine, seg.rate, note, reviewer(), now())


@dataclass(frozen=True)
class Pending:
    """A re-take waiting for the reviewer's A/B choice: the take before it and the new one."""

    previous_take: str
    previous_file: str                 # the previous take's MP3, kept under review/ in the episode folder
    new_take: str
    at: str
    previous_override: Override | None = None   # the override the previous take was made with

    def to_json(self) -> dict[str, Any]:
        return {"previous_take": self.previous_take, "previous_file": self.previous_file, "new_take": self.new_take,
                "at": self.at, "previous_override": None if self.previous_override is None
                else self.previous_override.to_json()}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Pending:
        previous = raw.get("previous_override")
        return cls(str(raw["previous_take"]), str(raw["previous_file"]), str(raw.get("new_take", "")),
                   str(raw.get("at", "")), Override.from_json(previous) if isinstance(previous, dict) else None)


@dataclass(frozen=True)
class Release:
    """Who released the episode, when, and what: the MP3 (by content) and its takes."""

    by: str
    at: str
    takes: tuple[str, ...]
    episode_sha256: str = ""          # empty in a release written before MP3s were named by content
    episode_bytes: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"by": self.by, "at": self.at, "episode_sha256": self.episode_sha256,
                "episode_bytes": self.episode_bytes, "takes": list(self.takes)}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Release:
        size = raw.get("episode_bytes")
        return cls(str(raw.get("by", "")), str(raw.get("at", "")), tuple(str(t) for t in raw["takes"]),
                   str(raw.get("episode_sha256", "")), size if isinstance(size, int) else None)


def _frozen(items: Mapping[int, T]) -> Mapping[int, T]:
    return MappingProxyType(dict(sorted(items.items())))


@dataclass(frozen=True)
class Review:
    """review.json: verdicts per segment, the reviewer's overrides (re-takes), re-takes waiting for their
    A/B choice, the release.  Changed only by :func:`update`, which writes the record a change returns."""

    verdicts: Mapping[int, Verdict] = field(default_factory=lambda: MappingProxyType({}))
    overrides: Mapping[int, Override] = field(default_factory=lambda: MappingProxyType({}))
    pending: Mapping[int, Pending] = field(default_factory=lambda: MappingProxyType({}))
    released: Release | None = None

    def with_verdict(self, index: int, verdict: Verdict | None) -> Review:
        return replace(self, verdicts=_frozen(_put(self.verdicts, index, verdict)))

    def with_override(self, index: int, override: Override | None) -> Review:
        return replace(self, overrides=_frozen(_put(self.overrides, index, override)))

    def with_pending(self, index: int, pending: Pending | None) -> Review:
        return replace(self, pending=_frozen(_put(self.pending, index, pending)))

    def to_json(self) -> dict[str, Any]:
        return {"schema": SCHEMA,
                "segments": {str(k): asdict(v) for k, v in sorted(self.verdicts.items())},
                "overrides": {str(k): v.to_json() for k, v in sorted(self.overrides.items())},
                "pending": {str(k): v.to_json() for k, v in sorted(self.pending.items())},
                "released": None if self.released is None else self.released.to_json()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Review:
        """Schema 1 and 2 (2 adds the MP3's content hash to the release)."""
        released = data.get("released")
        return cls(_frozen({int(k): Verdict(**v) for k, v in data.get("segments", {}).items()}),
                   _frozen({int(k): Override.from_json(v) for k, v in data.get("overrides", {}).items()}),
                   _frozen({int(k): Pending.from_json(v) for k, v in data.get("pending", {}).items()}),
                   Release.from_json(released) if isinstance(released, dict) else None)


def _put(items: Mapping[int, T], index: int, value: T | None) -> dict[int, T]:
    out = dict(items)
    if value is None:
        out.pop(index, None)
    else:
        out[index] = value
    return out


def load(folder: Path) -> Review:
    path = folder / FILE
    try:
        data = read_json(path)
    except FileNotFoundError:
        return Review()
    except (OSError, ValueError):
        raise AudiopipeError(f"{path}: not a valid review file; fix it or delete it (approvals, flags and "
                             "re-takes in it are then lost)") from None
    try:
        return Review.from_json(data)
    except (TypeError, ValueError, AttributeError, KeyError):
        raise AudiopipeError(f"{path}: not a valid review file; fix it or delete it (approvals, flags and "
                             "re-takes in it are then lost)") from None


_locks: dict[Path, threading.Lock] = {}
_locks_guard = threading.Lock()


@contextlib.contextmanager
def locked(folder: Path) -> Iterator[None]:
    """The episode's review lock: one thread of this process, and one process, at a time (the file lock
    is `tools/fsutil.held`, the one every lock of audiopipe takes)."""
    key = Path(folder).resolve()
    with _locks_guard:
        lock = _locks.setdefault(key, threading.Lock())
    with lock, held(key / LOCK):
        yield


def update(folder: Path, change: Callable[[Review], tuple[Review, T]]) -> T:
    """Read review.json, apply *change* (which returns the new record and a result), write the new record
    back atomically; all under the episode's lock."""
    with locked(folder):
        review, result = change(load(folder))
        write_text(folder / FILE, json.dumps(review.to_json(), ensure_ascii=False, indent=2) + "\n")
        return result


def lapse_reason(verdict: Verdict, seg: SegmentRecord) -> str | None:
    """Why an approval given to another take no longer holds (None while the take is the same)."""
    if verdict.take == seg.take:
        return None
    if verdict.text != seg.text:
        return "the text changed since it was approved"
    if (verdict.voice, verdict.engine, verdict.rate) != (seg.voice, seg.engine, seg.rate):
        return (f"re-taken since it was approved ({seg.engine} {seg.voice}, rate {seg.rate:+d}% instead of "
                f"{verdict.engine} {verdict.voice}, rate {verdict.rate:+d}%)")
    return "the take changed since it was approved (a new lexicon rule, engine version or re-take)"


def status(review: Review, seg: SegmentRecord) -> tuple[str, str]:
    """(state, why) of one segment: approved, flagged, lapsed or unreviewed."""
    verdict = review.verdicts.get(seg.index)
    if verdict is None:
        return "unreviewed", ""
    reason = lapse_reason(verdict, seg)
    if reason is not None:
        return "lapsed", reason
    return verdict.status, verdict.note


def not_approved(review: Review, record: EpisodeRecord) -> list[str]:
    """One line per segment that is not approved for its present take (empty: all approved)."""
    out = []
    for seg in record.segments:
        state, why = status(review, seg)
        if state != "approved":
            detail = f": {why}" if why else ""
            out.append(f"segment {seg.index} ({seg.lang}) {state}{detail}")
    return out


def release_stamp(record: EpisodeRecord, mp3: Path) -> Release:
    """What a release is given to: this build's MP3 (its content hash) and its takes."""
    return Release(reviewer(), now(), tuple(seg.take for seg in record.segments), sha256_of(mp3), mp3.stat().st_size)


def released_now(review: Review, record: EpisodeRecord, mp3: Path) -> bool:
    """The release still holds: the MP3 (by content; a release written before hashes, by length) and its
    takes are the ones released."""
    stamp = review.released
    if stamp is None or not mp3.is_file() or list(stamp.takes) != [seg.take for seg in record.segments]:
        return False
    if stamp.episode_sha256:
        return stamp.episode_sha256 == sha256_of(mp3)
    return stamp.episode_bytes == mp3.stat().st_size
