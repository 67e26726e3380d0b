"""How natural a take sounds: Distill-MOS's prediction of listeners' mean opinion score (1 bad … 5
excellent), computed from the take's audio.

- **Resampling** to the model's 16 kHz is one pinned method, done here (the score moves by up to 0.4 with
  the resampler): a windowed-sinc polyphase filter with a Hann window six zero crossings wide and a
  cut-off at 99 % of the lower Nyquist frequency, the construction torchaudio's default ``Resample`` uses,
  so scores agree with the package's own command (which reads files with torchaudio).
- **Windows**: the model reads 7.68 s (122,880 samples); a take is cut into the fewest windows that cover
  it, spread evenly from its start to its end (a take shorter than one is padded with silence, as the
  package does), each scaled to its own peak; the score is their mean.  The package's default, a window
  every second, costs seven times more for scores within a few hundredths.
- **The spectrogram** (20 ms Hann frames every 10 ms, magnitudes compressed to the power 0.3, phase
  kept) is computed here; the network runs in onnxruntime (:mod:`audiopipe.dsp.mosgraph`), one session per
  process, built on first use.

:data:`METHOD` names the model, the resampler and the windowing: a take's score is kept with it and
computed again when it changes.
"""

from __future__ import annotations

import importlib.util
import math
import os
import threading
from typing import Any

import numpy as np

from audiopipe.dsp import mosgraph
from audiopipe.errors import AudiopipeError

RATE = 16_000
WINDOW = 122_880
METHOD = f"{mosgraph.PACKAGE} {mosgraph.VERSION} v7; sinc-hann 6 zero crossings 0.99; windows {WINDOW / RATE:g} s"
"""What a score depends on besides the audio (kept with each score: another method scores again)."""
MISSING = ("naturalness needs onnxruntime and onnx with the Distill-MOS weights: `make install` (or pip install "
           f"'audiopipe[naturalness]' and pip install --no-deps {mosgraph.PACKAGE}=={mosgraph.VERSION})")
_SESSION: Any = None
_LOCK = threading.Lock()


def unavailable() -> str | None:
    """Why no score can be computed here (None: it can).  Found, not imported: onnx takes 0.8 s to import,
    which a build whose takes are all scored already never needs."""
    if any(importlib.util.find_spec(name) is None for name in ("onnx", "onnxruntime")):
        return MISSING
    return None if mosgraph.weights_file() is not None else MISSING


def _kernel(orig: int, new: int, zeros: int = 6, rolloff: float = 0.99) -> tuple[np.ndarray, int]:
    """The polyphase filter from *orig* to *new* (both already divided by their gcd): one row per output
    phase, and the padding it needs before the signal."""
    base = min(orig, new) * rolloff
    width = math.ceil(zeros * orig / base)
    idx = np.arange(-width, width + orig, dtype=np.float64)[None, :] / orig
    t = (np.arange(0, -new, -1, dtype=np.float64)[:, None] / new + idx) * base
    t = np.clip(t, -zeros, zeros)
    window = np.cos(t * math.pi / zeros / 2) ** 2
    t *= math.pi
    with np.errstate(invalid="ignore", divide="ignore"):
        sinc = np.where(t == 0, 1.0, np.sin(t) / t)
    return (sinc * window * base / orig).astype(np.float32), width


def resample(samples: np.ndarray, rate: int) -> np.ndarray:
    """*samples* (mono float32 at *rate*) at 16 kHz."""
    if rate == RATE:
        return samples.astype(np.float32)
    gcd = math.gcd(rate, RATE)
    orig, new = rate // gcd, RATE // gcd
    kernel, width = _kernel(orig, new)
    padded = np.pad(samples.astype(np.float32), (width, width + orig))
    count = (len(padded) - kernel.shape[1]) // orig + 1
    frames = np.lib.stride_tricks.as_strided(padded, shape=(count, kernel.shape[1]),
                                             strides=(orig * padded.itemsize, padded.itemsize))
    out = (frames @ kernel.T).reshape(-1)
    return np.ascontiguousarray(out[:math.ceil(new * len(samples) / orig)])


def windows(samples16k: np.ndarray) -> np.ndarray:
    """The 7.68 s windows a take is scored on, each scaled to its peak: (count, 122880)."""
    x = samples16k.astype(np.float32)
    if len(x) < WINDOW:
        x = np.pad(x, (0, WINDOW - len(x)))
    over = len(x) - WINDOW
    count = max(1, math.ceil(len(x) / WINDOW))
    starts = [int(c * over) for c in np.linspace(0, 1, count)] if count > 1 else [0]
    batch: np.ndarray = np.stack([x[s:s + WINDOW] for s in starts])
    return np.asarray(batch / (np.abs(batch).max(axis=1, keepdims=True) + 1e-8), np.float32)


def spectrogram(batch: np.ndarray) -> np.ndarray:
    """The model's input: the compressed complex spectrogram, (count, 2, 161, 768)."""
    padded = np.pad(batch, ((0, 0), (80, 80)), mode="reflect")
    frames = (padded.shape[1] - 320) // 160 + 1
    index = np.arange(320)[None, :] + 160 * np.arange(frames)[:, None]
    hann = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(320) / 320)
    spectrum = np.fft.rfft(padded[:, index] * hann, axis=-1)
    magnitude = np.maximum(np.abs(spectrum), 1e-12)
    compressed = spectrum * (magnitude ** 0.3 / magnitude)
    return np.stack([compressed.real, compressed.imag], axis=1).transpose(0, 1, 3, 2).astype(np.float32)


def _session() -> Any:
    global _SESSION
    with _LOCK:
        if _SESSION is None:
            reason = unavailable()
            if reason:
                raise AudiopipeError(reason)
            path = mosgraph.weights_file()
            assert path is not None
            # found by unavailable(), imported here: a broken install is the same one line as a missing one
            try:
                import onnxruntime
                graph = mosgraph.graph(mosgraph.state(path))
            except ImportError:
                raise AudiopipeError(MISSING) from None
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = os.cpu_count() or 1
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            _SESSION = onnxruntime.InferenceSession(graph, options, providers=["CPUExecutionProvider"])
        return _SESSION


def score(samples: np.ndarray, rate: int) -> float:
    """The predicted MOS of a take (mono float samples at *rate*), rounded to 0.01."""
    batch = windows(resample(samples, rate))
    if not np.any(batch):
        return 1.0                                  # silence: nothing natural about it
    mos = _session().run(["mos"], {"spec": spectrogram(batch)})[0]
    return round(float(np.mean(mos)), 2)
