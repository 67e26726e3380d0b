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
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from audiopipe.errors import AudiopipeError
from audiopipe.publish.record import EpisodeRecord, SegmentRecord
from audiopipe.tools.fsutil import sha256_of, write_text

FILE = "review.json"
LOCK = ".review.lock"
SCHEMA = 1
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


@dataclass
class Review:
    verdicts: dict[int, Verdict] = field(default_factory=dict)
    overrides: dict[int, dict[str, Any]] = field(default_factory=dict)   # profile / rate / engine / text
    pending: dict[int, dict[str, Any]] = field(default_factory=dict)     # a re-take awaiting its A/B choice
    released: dict[str, Any] | None = None                               # by, at, mp3 bytes and take keys

    def to_json(self) -> dict[str, Any]:
        return {"schema": SCHEMA,
                "segments": {str(k): asdict(v) for k, v in sorted(self.verdicts.items())},
                "overrides": {str(k): v for k, v in sorted(self.overrides.items())},
                "pending": {str(k): v for k, v in sorted(self.pending.items())},
                "released": self.released}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Review:
        return cls({int(k): Verdict(**v) for k, v in data.get("segments", {}).items()},
                   {int(k): dict(v) for k, v in data.get("overrides", {}).items()},
                   {int(k): dict(v) for k, v in data.get("pending", {}).items()},
                   data.get("released"))


def load(folder: Path) -> Review:
    path = folder / FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
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
    """The episode's review lock: one thread of this process, and one process, at a time."""
    key = Path(folder).resolve()
    with _locks_guard:
        lock = _locks.setdefault(key, threading.Lock())
    try:
        import fcntl  # POSIX: other processes (a CLI re-take) wait too
    except ImportError:                  # elsewhere: the threads of this process only
        with lock:
            yield
        return
    with lock, open(key / LOCK, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def update(folder: Path, change: Callable[[Review], T]) -> T:
    """Read review.json, apply *change*, write it back atomically; all under the episode's lock."""
    with locked(folder):
        review = load(folder)
        result = change(review)
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


def release_stamp(record: EpisodeRecord, mp3: Path) -> dict[str, Any]:
    """What a release is given to: this build's MP3 (its content hash) and its takes."""
    return {"by": reviewer(), "at": now(), "episode_sha256": sha256_of(mp3), "episode_bytes": mp3.stat().st_size,
            "takes": [seg.take for seg in record.segments]}


def released_now(review: Review, record: EpisodeRecord, mp3: Path) -> bool:
    """The release still holds: the MP3 (by content; a release written before hashes, by length) and its
    takes are the ones released."""
    stamp = review.released
    if not stamp or not mp3.is_file() or stamp.get("takes") != [seg.take for seg in record.segments]:
        return False
    if "episode_sha256" in stamp:
        return bool(stamp["episode_sha256"] == sha256_of(mp3))
    return bool(stamp.get("episode_bytes") == mp3.stat().st_size)
