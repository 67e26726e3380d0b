"""A content-addressed cache of takes.

The key hashes everything that changes the sound: engine name and version,
voice, rate/pitch/volume, and the final text.  A take is a WAV at the
working rate beside a JSON of its word timings and measurements; both are
written atomically, the JSON last, so a take is either whole or absent.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from audiopipe.engines.base import Timings, VoiceSettings, Word
from audiopipe.tools.fsutil import write_text
from audiopipe.tools.wav import WORK_RATE

CACHE_FORMAT = 1
"""Bump when the stored take format changes: every key changes with it."""


def default_cache_dir() -> Path:
    env = os.environ.get("AUDIOPIPE_CACHE")
    return Path(env) if env else Path.cwd() / ".cache" / "audiopipe"


def take_key(settings: VoiceSettings, engine_version: str, text: str) -> str:
    fields = {"format": CACHE_FORMAT, "rate_hz": WORK_RATE, "engine_version": engine_version,
              **asdict(settings), "text": text}
    blob = json.dumps(fields, sort_keys=True, ensure_ascii=False).encode("utf-8")
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

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["words"] = [[w.start_ms, w.end_ms, w.text] for w in self.words]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TakeInfo:
        words = tuple(Word(int(a), int(b), str(t)) for a, b, t in data.pop("words"))
        return cls(words=words, **data)


class TakeCache:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _base(self, key: str) -> Path:
        return self.root / "takes" / key[:2] / key

    def wav_path(self, key: str) -> Path:
        return self._base(key).with_suffix(".wav")

    def get(self, key: str) -> TakeInfo | None:
        meta, wav = self._base(key).with_suffix(".json"), self.wav_path(key)
        if not meta.is_file() or not wav.is_file():
            return None
        try:
            return TakeInfo.from_json(json.loads(meta.read_text(encoding="utf-8")))
        except (ValueError, TypeError, KeyError):
            return None   # a damaged entry is re-synthesized

    def remove(self, key: str) -> None:
        for suffix in (".json", ".wav"):
            self._base(key).with_suffix(suffix).unlink(missing_ok=True)

    def put(self, info: TakeInfo, pcm: bytes) -> None:
        from audiopipe.tools.wav import write_wav
        write_wav(self.wav_path(info.key), pcm)
        write_text(self._base(info.key).with_suffix(".json"),
                   json.dumps(info.to_json(), ensure_ascii=False))
