"""Sample-level helpers on mono 16-bit PCM: WAV files, silence, fades, loudness, limiting."""

from __future__ import annotations

import math
import re
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from audiopipe import ffmpeg
from audiopipe.errors import ToolError
from audiopipe.fsutil import atomic_path

Samples = npt.NDArray[np.float32]

SILENCE_DBFS = -45.0
"""Below this level (per 10 ms window) audio counts as silence."""


def to_float(pcm: bytes) -> Samples:
    return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0


def to_pcm(samples: Samples) -> bytes:
    clipped = np.clip(samples * 32768.0, -32768, 32767)
    data: bytes = np.round(clipped).astype("<i2").tobytes()
    return data


def write_wav(path: Path, pcm: bytes, rate: int = ffmpeg.WORK_RATE) -> None:
    with atomic_path(path) as tmp:
        with wave.open(str(tmp), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(rate)
            out.writeframes(pcm)


def read_wav(path: Path) -> tuple[bytes, int]:
    try:
        with wave.open(str(path), "rb") as src:
            if src.getnchannels() != 1 or src.getsampwidth() != 2:
                raise ToolError(f"{path}: expected a mono 16-bit WAV")
            return src.readframes(src.getnframes()), src.getframerate()
    except (wave.Error, EOFError) as exc:
        raise ToolError(f"{path}: unreadable WAV ({exc})") from exc


def edge_silence_ms(samples: Samples, rate: int = ffmpeg.WORK_RATE,
                    threshold_dbfs: float = SILENCE_DBFS) -> tuple[int, int]:
    """(leading, trailing) silence in ms, by 10 ms windows under *threshold_dbfs*."""
    win = rate // 100
    n = len(samples) // win
    if n == 0:
        return 0, 0
    frames = samples[: n * win].reshape(n, win)
    rms = np.sqrt(np.mean(frames.astype(np.float64) ** 2, axis=1))
    loud = np.nonzero(rms > 10 ** (threshold_dbfs / 20))[0]
    if len(loud) == 0:
        total = len(samples) * 1000 // rate
        return total, 0
    lead = int(loud[0]) * 10
    trail = len(samples) * 1000 // rate - (int(loud[-1]) + 1) * 10
    return lead, max(0, trail)


def longest_inner_silence_ms(samples: Samples, rate: int = ffmpeg.WORK_RATE,
                             threshold_dbfs: float = SILENCE_DBFS) -> int:
    """Longest run of silent 10 ms windows strictly inside the speech."""
    win = rate // 100
    n = len(samples) // win
    if n == 0:
        return 0
    rms = np.sqrt(np.mean(samples[: n * win].reshape(n, win).astype(np.float64) ** 2, axis=1))
    loud = rms > 10 ** (threshold_dbfs / 20)
    idx = np.nonzero(loud)[0]
    if len(idx) < 2:
        return 0
    gaps = np.diff(idx) - 1
    return int(gaps.max()) * 10


def fade(samples: Samples, fade_in_ms: float, fade_out_ms: float, rate: int = ffmpeg.WORK_RATE) -> Samples:
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


@dataclass(frozen=True)
class Loudness:
    integrated_lufs: float    # -70.0 when the audio is too short or silent to gate
    true_peak_dbtp: float


_I_RE = re.compile(r"I:\s+(-?[\d.]+|-inf)\s+LUFS")
_PEAK_RE = re.compile(r"Peak:\s+(-?[\d.]+|-inf)\s+dBFS")


def parse_ebur128(stderr: str) -> Loudness:
    summary = stderr[stderr.rfind("Summary:"):] if "Summary:" in stderr else stderr
    i_match, p_match = _I_RE.search(summary), _PEAK_RE.search(summary)
    if not i_match or not p_match:
        raise ToolError("ffmpeg ebur128: no loudness summary in its output")

    def num(text: str) -> float:
        return -70.0 if text == "-inf" else max(-70.0, float(text))
    return Loudness(num(i_match.group(1)), num(p_match.group(1)) if p_match.group(1) != "-inf" else -120.0)


def ebur128_filter() -> str:
    return "ebur128=peak=true:framelog=quiet"


def measure_pcm(pcm: bytes, rate: int = ffmpeg.WORK_RATE) -> Loudness:
    """Integrated loudness and true peak (ITU-R BS.1770 as ffmpeg's ebur128 measures them)."""
    return parse_ebur128(ffmpeg.run_stderr(["-f", "s16le", "-ar", str(rate), "-ac", "1", "-i", "pipe:0",
                                            "-af", ebur128_filter(), "-f", "null", "-"],
                                           input=pcm, what="ffmpeg ebur128"))


def measure_file(path: Path) -> Loudness:
    return parse_ebur128(ffmpeg.run_stderr(["-i", str(path), "-af", ebur128_filter(), "-f", "null", "-"],
                                           what=str(path)))


def db_to_gain(db: float) -> float:
    return float(10 ** (db / 20))


class PeakLimiter:
    """A look-ahead peak limiter that streams: blocks in, the same samples (delayed) out.

    The signal is cut into chunks of ``lookahead`` samples; the gain at each
    chunk boundary is the lowest any neighbouring chunk needs, recovering
    smoothly (release) afterwards, and is interpolated linearly in between, so
    no sample exceeds the ceiling and the gain never jumps.
    """

    def __init__(self, ceiling_dbfs: float, rate: int = ffmpeg.WORK_RATE,
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
        n = len(x) // self.chunk
        peaks = np.abs(x[: n * self.chunk]).reshape(n, self.chunk).max(axis=1).astype(np.float64)
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
