"""The working format and sample-level helpers: float samples, PCM, silence, fades, gain."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from audiopipe.tools.wav import WORK_RATE

Samples = npt.NDArray[np.float32]

SILENCE_DBFS = -45.0
"""Below this level (per 10 ms window) audio counts as silence."""
EDGE_PAUSE_MS = 80
"""Silence kept at each end of a take after trimming (so a take carries 2 x this around its speech)."""

__all__ = ["WORK_RATE", "Samples", "SILENCE_DBFS", "EDGE_PAUSE_MS", "to_float", "to_pcm", "edge_silence_ms",
           "longest_inner_silence_ms", "fade", "db_to_gain"]


FULL_SCALE = 32767 - 16
"""A 16-bit sample at or past this is at full scale (a clipped take)."""


def clip_run(pcm: bytes) -> int:
    """The longest run of samples at full scale in 16-bit *pcm* (0: none)."""
    mask = np.abs(np.frombuffer(pcm, dtype="<i2").astype(np.int32)) >= FULL_SCALE
    if not mask.any():
        return 0
    edges = np.flatnonzero(np.diff(np.concatenate([[False], mask, [False]]).astype(np.int8)))
    return int((edges[1::2] - edges[::2]).max())


def to_float(pcm: bytes) -> Samples:
    return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0


def to_pcm(samples: Samples) -> bytes:
    clipped = np.clip(samples * 32768.0, -32768, 32767)
    data: bytes = np.round(clipped).astype("<i2").tobytes()
    return data


def windows(samples: Samples, rate: int) -> Samples:
    """*samples* as rows of 10 ms (a last part shorter than that is left out)."""
    win = rate // 100
    n = len(samples) // win
    return samples[: n * win].reshape(n, win)


def loud_windows(samples: Samples, rate: int, threshold_dbfs: float) -> npt.NDArray[np.bool_]:
    """Which 10 ms windows have an RMS level above *threshold_dbfs*."""
    rms = np.sqrt(np.mean(windows(samples, rate).astype(np.float64) ** 2, axis=1))
    return np.asarray(rms > 10 ** (threshold_dbfs / 20))


def edge_silence_ms(samples: Samples, rate: int = WORK_RATE,
                    threshold_dbfs: float = SILENCE_DBFS) -> tuple[int, int]:
    """(leading, trailing) silence in ms, by 10 ms windows under *threshold_dbfs*."""
    if len(samples) < rate // 100:
        return 0, 0
    loud = np.nonzero(loud_windows(samples, rate, threshold_dbfs))[0]
    if len(loud) == 0:
        total = len(samples) * 1000 // rate
        return total, 0
    lead = int(loud[0]) * 10
    trail = len(samples) * 1000 // rate - (int(loud[-1]) + 1) * 10
    return lead, max(0, trail)


def longest_inner_silence_ms(samples: Samples, rate: int = WORK_RATE,
                             threshold_dbfs: float = SILENCE_DBFS) -> int:
    """Longest run of silent 10 ms windows strictly inside the speech."""
    idx = np.nonzero(loud_windows(samples, rate, threshold_dbfs))[0]
    if len(idx) < 2:
        return 0
    gaps = np.diff(idx) - 1
    return int(gaps.max()) * 10


def fade(samples: Samples, fade_in_ms: float, fade_out_ms: float, rate: int = WORK_RATE) -> Samples:
    """Raised-cosine fades at both ends (no clicks at the joins)."""
    out = samples.copy()
    for ms, at_start in ((fade_in_ms, True), (fade_out_ms, False)):
        n = min(len(out), int(rate * ms / 1000))
        if n <= 1:
            continue
        ramp = (0.5 - 0.5 * np.cos(np.linspace(0.0, math.pi, n))).astype(np.float32)
        if at_start:
            out[:n] *= ramp
        else:
            out[-n:] *= ramp[::-1]
    return out


def db_to_gain(db: float) -> float:
    return float(10 ** (db / 20))


def shorten_silences(audio: Samples, rate: int, keep_s: tuple[float, float], max_inner_s: float,
                     threshold: float) -> Samples:
    """*audio* with its leading and trailing silence cut to *keep_s* and every silence inside it to
    *max_inner_s*; silence is a 10 ms frame whose peak is below *threshold*."""
    frame = rate // 100
    n = len(audio) // frame
    if n == 0:
        return audio
    loud = np.abs(windows(audio, rate)).max(axis=1) >= threshold
    if not loud.any():
        return audio[:0]
    first, last = int(np.argmax(loud)), n - int(np.argmax(loud[::-1]))
    keep = [audio[max(0, first * frame - int(keep_s[0] * rate)):first * frame]]
    limit = int(max_inner_s * 100)
    start = first
    i = first
    while i < last:                                   # copy loud stretches; shorten long quiet ones
        if loud[i]:
            i += 1
            continue
        j = i
        while j < last and not loud[j]:
            j += 1
        if j - i > limit:
            keep.append(audio[start * frame:(i + limit // 2) * frame])
            start = j - limit // 2
        i = j
    end = min(len(audio), last * frame + int(keep_s[1] * rate))
    keep.append(audio[start * frame:end])
    return np.concatenate(keep)
