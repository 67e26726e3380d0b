"""Duration: estimate before synthesis, calibrate from past takes, fit the episode to its window.

English is measured in words, Chinese in characters (a Latin word or a
number inside Chinese text counts as two).  Each engine and voice has a
speaking speed, calibrated from every take it has made (kept in the cache
as running sums), with a sensible default before its first take.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from audiopipe.config.show import Show
from audiopipe.dsp.signal import EDGE_PAUSE_MS
from audiopipe.engines import VoiceSettings
from audiopipe.script.segments import Segment
from audiopipe.text import count_han
from audiopipe.tools.fsutil import write_text

_WORD = re.compile(r"[A-Za-z0-9\u00c0-\u024f]+(?:['’.,-][A-Za-z0-9\u00c0-\u024f]+)*")

DEFAULT_UNITS_PER_MIN = {"en": 170.0, "zh": 250.0}
"""Words (en) or characters (zh) per minute at rate 0, for a voice nobody has measured."""
SHIPPED = Path(__file__).with_name("calibration.json")
"""Measured here (bench/voices.py) for the packaged voices: (units, speech ms) per engine|voice|lang,
so the first build's budget is right before this machine has made a take."""


def _shipped() -> dict[str, list[float]]:
    try:
        data = json.loads(SHIPPED.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): [float(v[0]), float(v[1])] for k, v in data.items()}


def units(text: str, lang: str) -> int:
    """Words for English; characters (+2 per Latin word or number) for Chinese."""
    if lang == "zh":
        return count_han(text) + 2 * len(_WORD.findall(text))
    return len(_WORD.findall(text))


def rate_factor(rate_pct: int) -> float:
    """How much faster than rate 0 a voice speaks at *rate_pct*."""
    return max(0.1, 1 + rate_pct / 100)


class Calibration:
    """Per engine+voice speaking speed, learnt from takes; stored as JSON beside the cache.

    Each take counts once (keyed by its cache key), whether just made or found in the cache.
    """

    def __init__(self, root: Path) -> None:
        self.path = root / "calibration.json"
        self._lock = threading.Lock()
        self._dirty = False
        try:
            self._data: dict[str, dict[str, list[float]]] = json.loads(self.path.read_text())
        except (OSError, ValueError):
            self._data = {}
        self._shipped = _shipped()

    @staticmethod
    def _key(settings: VoiceSettings) -> str:
        return f"{settings.engine}|{settings.voice}|{settings.lang}"

    def record(self, settings: VoiceSettings, take_key: str, text: str, speech_ms: int) -> None:
        n = units(text, settings.lang)
        if n < 3 or speech_ms <= 0:
            return
        with self._lock:
            takes = self._data.setdefault(self._key(settings), {})
            if take_key[:16] not in takes:
                takes[take_key[:16]] = [n, round(speech_ms * rate_factor(settings.rate))]  # at rate 0
                self._dirty = True

    def save(self) -> None:
        with self._lock:
            if self._dirty:
                write_text(self.path, json.dumps(self._data, sort_keys=True))
                self._dirty = False

    def units_per_min(self, settings: VoiceSettings) -> float:
        takes = self._data.get(self._key(settings), {})
        n = sum(v[0] for v in takes.values())
        ms = sum(v[1] for v in takes.values())
        if ms > 0 and n >= 20:
            return n / (ms / 60000)
        shipped = self._shipped.get(self._key(settings))
        if shipped and shipped[1] > 0:
            return shipped[0] / (shipped[1] / 60000)
        return DEFAULT_UNITS_PER_MIN[settings.lang]

    def estimate_ms(self, text: str, settings: VoiceSettings) -> int:
        per_min = self.units_per_min(settings) * rate_factor(settings.rate)
        return round(units(text, settings.lang) / per_min * 60000) + 2 * EDGE_PAUSE_MS


@dataclass(frozen=True)
class StoryTime:
    """A story's estimated time: its segments' speech and the pauses before them."""

    key: int | str                          # the story's number, or "segment N" outside any story
    parts: tuple[tuple[str, float], ...]    # (language, estimated seconds of speech) per segment
    gaps_s: float

    @property
    def seconds(self) -> float:
        return sum(s for _, s in self.parts)


def story_times(items: Sequence[tuple[Segment, str, VoiceSettings]], calibration: Calibration,
                show: Show) -> list[StoryTime]:
    """Estimate every (segment, spoken text, voice) before synthesis, grouped by story."""
    parts: dict[int | str, list[tuple[str, float]]] = {}
    gaps: dict[int | str, float] = {}
    previous: int | None = None
    for i, (seg, text, settings) in enumerate(items):
        key: int | str = seg.story if seg.story is not None else f"segment {seg.index}"
        parts.setdefault(key, []).append((seg.lang, calibration.estimate_ms(text, settings) / 1000))
        gaps[key] = gaps.get(key, 0.0) + (show.gap_before_ms(seg.story, previous) / 1000 if i else 0.0)
        previous = seg.story
    return [StoryTime(key, tuple(p), gaps[key]) for key, p in parts.items()]


def mmss(seconds: float) -> str:
    sign = "-" if seconds < 0 else ""
    s = round(abs(seconds))
    return f"{sign}{s // 60}:{s % 60:02d}"


@dataclass(frozen=True)
class FitPlan:
    """How to land in the window: scale the gaps, speed up (>1) or slow down (<1) the speech."""

    gap_scale: float
    speed: float
    reachable: bool
    predicted_s: float


GAP_SCALE_RANGE = (0.6, 1.5)


def plan_fit(total_s: float, speech_s: float, gaps_s: float, window: tuple[float, float],
             max_rate_change_pct: int) -> FitPlan:
    """The smallest change of gaps, then speaking rate, that brings *total_s* into *window*.

    It aims a quarter of the way into the window from the nearer edge, so
    that small errors of the prediction still land inside.
    """
    lo, hi = window
    if lo <= total_s <= hi:
        return FitPlan(1.0, 1.0, True, total_s)
    aim = hi - (hi - lo) / 4 if total_s > hi else lo + (hi - lo) / 4
    need = aim - total_s                   # seconds to add (>0) or remove (<0)
    fixed = total_s - speech_s - gaps_s
    gap_scale = 1.0
    if gaps_s > 0:
        gap_scale = min(max((gaps_s + need) / gaps_s, GAP_SCALE_RANGE[0]), GAP_SCALE_RANGE[1])
    need -= gaps_s * (gap_scale - 1)
    max_change = max_rate_change_pct / 100
    speed = 1.0
    if abs(need) > 0.05 and speech_s > 0:
        speed = speech_s / max(1.0, speech_s + need)
        speed = min(max(speed, 1 - max_change), 1 + max_change)
    predicted = fixed + gaps_s * gap_scale + speech_s / speed
    return FitPlan(round(gap_scale, 3), round(speed, 4), lo <= predicted <= hi, predicted)


def speed_to_rate(profile_rate: int, speed: float) -> int:
    """The engine rate (percent) that makes a voice at *profile_rate* speak *speed* times as fast."""
    return round((rate_factor(profile_rate) * speed - 1) * 100)
