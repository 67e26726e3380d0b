"""A content-addressed cache of takes.

The key hashes everything that changes the sound: engine name and version,
voice, rate/pitch/volume, and the final text.  A take is a WAV at the
working rate beside a JSON of its word timings and measurements; both are
written atomically, the JSON last, so a take is either whole or absent.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import wave
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from audiopipe import logs
from audiopipe.engines.base import Timings, VoiceSettings, Word
from audiopipe.tools.fsutil import write_bytes, write_text
from audiopipe.tools.wav import WORK_RATE, wav_bytes

CACHE_FORMAT = 1
"""Bump when the stored take format changes: every key changes with it."""


def default_cache_dir() -> Path:
    env = os.environ.get("AUDIOPIPE_CACHE")
    return Path(env) if env else Path.cwd() / ".cache" / "audiopipe"


def take_key(settings: VoiceSettings, engine_version: str, text: str) -> str:
    chosen = {k: v for k, v in asdict(settings).items()       # keys made before `other` and `readings` stay
              if k not in ("other", "readings") or v}
    fields = {"format": CACHE_FORMAT, "rate_hz": WORK_RATE, "engine_version": engine_version,
              **chosen, "text": text}
    blob = json.dumps(fields, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()


HEADLINE_PAUSE_MS = 650
"""The pause after a headline spoken before its story (a paragraph's pause, longer than a sentence's)."""
JOIN_PAUSE_MS = (300, 700)
"""The pause between two sentence groups of one segment (synth.run.join): the voice's own (the silence
after the one and before the other) kept within these bounds, as between sentences inside a take."""


def joined_key(part_keys: tuple[str, ...]) -> str:
    """The key of a take joined from the takes *part_keys* (a long segment's sentence groups), and of
    the way they are joined."""
    blob = json.dumps({"format": CACHE_FORMAT, "joined": list(part_keys), "pause_ms": JOIN_PAUSE_MS}).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()


@dataclass(frozen=True)
class TakeInfo:
    """What the cache knows of a take besides its audio."""

    key: str
    engine: str
    voice: str
    text: str
    duration_ms: int
    words: tuple[Word, ...]
    loudness_lufs: float
    true_peak_dbtp: float
    lead_ms: int
    trail_ms: int
    timings: Timings = "engine"
    sha256: str = ""            # of the WAV file as written; a read that does not match is a miss
    size: int = 0               # the WAV file's length in bytes
    mtime_ns: int = 0           # when it was written: unchanged size and time skip re-hashing it
    clip_run: int = -1          # the longest run of samples at full scale (-1: written before it was measured)
    naturalness: float = -1.0   # its predicted listener score, 1..5 (-1: not scored), by ...
    naturalness_method: str = ""   # ... this model, resampler and windowing (dsp/naturalness.METHOD)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["words"] = [[w.start_ms, w.end_ms, w.text] for w in self.words]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TakeInfo:
        words = tuple(Word(int(a), int(b), str(t)) for a, b, t in data.pop("words"))
        return cls(words=words, **data)


class TakeCache:
    """Takes by key: ``takes/<k[:2]>/<key>.wav`` (the audio) beside ``<key>.json`` (its TakeInfo).

    Every read is checked against the length and content hash stored when the take was written (a file
    whose length and modification time are as written is not hashed again); a take that does not match
    (cut short, overwritten, emptied, missing) is a miss, so it is made again, and the log says so.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _base(self, key: str) -> Path:
        return self.root / "takes" / key[:2] / key

    def wav_path(self, key: str) -> Path:
        return self._base(key).with_suffix(".wav")

    def get(self, key: str) -> TakeInfo | None:
        meta, wav = self._base(key).with_suffix(".json"), self.wav_path(key)
        if not meta.is_file():
            return None
        try:
            info = TakeInfo.from_json(json.loads(meta.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError, KeyError):
            self._damaged(key, "its record is unreadable")
            return None
        try:
            stat = wav.stat()
            if info.sha256 and stat.st_size == info.size and stat.st_mtime_ns == info.mtime_ns and info.clip_run >= 0:
                return info                     # untouched since it was written, hashed and measured
            data = wav.read_bytes()
        except OSError:
            self._damaged(key, "its audio is missing")
            return None
        if not info.sha256:                     # written before takes carried a hash: check it decodes whole
            return self._legacy(info, data)
        if len(data) != info.size or hashlib.sha256(data).hexdigest() != info.sha256:
            self._damaged(key, f"its audio changed on disk ({len(data)} bytes, {info.size} written)")
            return None
        touched = dataclasses.replace(info, mtime_ns=stat.st_mtime_ns,    # copied or touched, not changed
                                      clip_run=_clip_run(data[44:]) if info.clip_run < 0 else info.clip_run)
        self._write_info(touched)
        return touched

    def _legacy(self, info: TakeInfo, data: bytes) -> TakeInfo | None:
        try:
            with wave.open(io.BytesIO(data), "rb") as src:
                frames = src.getnframes()
                whole = len(src.readframes(frames)) == frames * 2
        except (wave.Error, EOFError):
            self._damaged(info.key, "its audio is not a WAV")
            return None
        if not whole or abs(frames * 1000 // WORK_RATE - info.duration_ms) > 1:
            self._damaged(info.key, "its audio is shorter than recorded")
            return None
        checked = dataclasses.replace(info, sha256=hashlib.sha256(data).hexdigest(), size=len(data),
                                      mtime_ns=self.wav_path(info.key).stat().st_mtime_ns, clip_run=_clip_run(data[44:]))
        self._write_info(checked)
        return checked

    def _damaged(self, key: str, why: str) -> None:
        logs.say(f"note: cached take {key[:12]}… is damaged ({why}); making it again")
        self.remove(key)
        return None

    def remove(self, key: str) -> None:
        for suffix in (".json", ".wav"):
            self._base(key).with_suffix(suffix).unlink(missing_ok=True)

    def put(self, info: TakeInfo, pcm: bytes) -> TakeInfo:
        """Write the take (audio first, then its record with the audio's hash); returns the record."""
        data = wav_bytes(pcm)
        wav = self.wav_path(info.key)
        write_bytes(wav, data)
        stored = dataclasses.replace(info, sha256=hashlib.sha256(data).hexdigest(), size=len(data),
                                     mtime_ns=wav.stat().st_mtime_ns, clip_run=_clip_run(pcm))
        self._write_info(stored)
        return stored

    def update(self, info: TakeInfo) -> None:
        """A cached take's record rewritten with what was measured of it since (its audio unchanged)."""
        self._write_info(info)

    def _write_info(self, info: TakeInfo) -> None:
        write_text(self._base(info.key).with_suffix(".json"), json.dumps(info.to_json(), ensure_ascii=False))


def _clip_run(pcm: bytes) -> int:
    """dsp.signal.clip_run, imported when a take is read or written (not by what only reads review.json)."""
    from audiopipe.dsp.signal import clip_run
    return clip_run(pcm)
