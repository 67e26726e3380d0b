"""A look-ahead peak limiter that streams."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from audiopipe.dsp.signal import WORK_RATE, Samples, db_to_gain

OVERSAMPLE = 4
_TAPS = 8                        # each side of an interpolated point
_k = np.arange(-_TAPS + 1, _TAPS + 1, dtype=np.float64)
PHASES = [np.asarray(np.sinc(_k - f) * np.hanning(2 * _TAPS + 2)[1:-1], dtype=np.float32)
          for f in (np.arange(1, OVERSAMPLE) / OVERSAMPLE)]
"""Windowed-sinc interpolators for the points between samples (BS.1770's 4× oversampled true peak)."""


_BANK = np.stack(PHASES, axis=1)         # (2 * _TAPS, OVERSAMPLE - 1)
NEAR = db_to_gain(-3.0)
"""Only beside a sample within this of the ceiling can the waveform between samples pass it (speech at a
podcast's loudness overshoots by well under 3 dB at 4x)."""


def true_peak_chunks(x: Samples, chunk: int, ceiling: float) -> npt.NDArray[np.float32]:
    """The peak of each *chunk* samples of *x*, counting the waveform between samples (4× oversampled)
    beside every sample that comes near *ceiling*."""
    n = len(x) // chunk
    size = n * chunk
    mags = np.abs(x[:size])
    peaks: npt.NDArray[np.float32] = mags.reshape(n, chunk).max(axis=1)
    near = np.flatnonzero(mags > ceiling * NEAR)
    if len(near) == 0:
        return peaks
    padded = np.concatenate([np.zeros(_TAPS - 1, np.float32), x.astype(np.float32), np.zeros(_TAPS + 1, np.float32)])
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * _TAPS)
    where = np.unique(np.concatenate([near, np.maximum(near - 1, 0)]))      # both sides of a loud sample
    between = np.abs(windows[where] @ _BANK).max(axis=1).astype(np.float32)
    np.maximum.at(peaks, where // chunk, between)
    return peaks


class PeakLimiter:
    """A look-ahead true-peak limiter that streams: blocks in, the same samples (delayed) out.

    The signal is cut into chunks of ``lookahead`` samples; the gain at each
    chunk boundary is the lowest any neighbouring chunk needs, recovering
    smoothly (release) afterwards, and is interpolated linearly in between, so
    no sample, nor the waveform between samples, exceeds the ceiling and the gain never jumps.
    """

    def __init__(self, ceiling_dbfs: float, rate: int = WORK_RATE,
                 lookahead_ms: float = 5.0, release_ms: float = 80.0) -> None:
        self.ceiling = db_to_gain(ceiling_dbfs)
        self.chunk = max(1, int(rate * lookahead_ms / 1000))
        self.release = math.exp(math.log(2.0) * self.chunk / (rate * release_ms / 1000))  # x2 per release_ms
        self._pending = np.zeros(0, dtype=np.float32)
        self._gain = 1.0
        self._in = 0
        self._out = 0
        self.max_reduction_db = 0.0

    def _targets(self, x: Samples) -> npt.NDArray[np.float64]:
        peaks = true_peak_chunks(x, self.chunk, self.ceiling).astype(np.float64)
        with np.errstate(divide="ignore"):
            return np.minimum(1.0, np.where(peaks > 0, self.ceiling / np.maximum(peaks, 1e-12), 1.0))

    def process(self, block: Samples, final: bool = False) -> Samples:
        self._in += len(block)
        x = np.concatenate([self._pending, block]) if len(self._pending) else block
        c = self.chunk
        n_full = len(x) // c
        if final:
            pad = (-len(x)) % c
            x = np.concatenate([x, np.zeros(pad, dtype=np.float32)]) if pad else x
            n_full = len(x) // c
            keep = 0
        else:
            keep = 1  # the last chunk waits for the next block (look-ahead)
        if n_full <= keep:
            self._pending = x
            return np.zeros(0, dtype=np.float32)
        targets = self._targets(x[: n_full * c])
        n_out = n_full - keep
        bounds = np.empty(n_out + 1)
        g = self._gain
        bounds[0] = g
        for i in range(n_out):
            nxt = targets[i + 1] if i + 1 < n_full else 1.0
            g = min(targets[i], nxt, g * self.release, 1.0)
            bounds[i + 1] = g
        bounds[0] = min(bounds[0], targets[0])
        self._gain = g
        ramp = np.arange(c, dtype=np.float64) / c
        env = (bounds[:-1, None] + (bounds[1:] - bounds[:-1])[:, None] * ramp[None, :]).reshape(-1)
        out = (x[: n_out * c] * env).astype(np.float32)
        self.max_reduction_db = max(self.max_reduction_db, -20 * math.log10(max(float(bounds.min()), 1e-9)))
        self._pending = x[n_out * c:]
        if final:
            self._pending = np.zeros(0, dtype=np.float32)
            out = out[: self._in - self._out]
        self._out += len(out)
        return out
