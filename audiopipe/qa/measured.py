"""What QA measures in a file, kept by the file's audio: the same audio measures the same.

Decoding and measuring every MP3 is most of QA's time; after a re-take only the files it changed (the
episode, one edition, one segment's QA file) have new audio, so only those are measured again.  The key
is the SHA-256 of the file after its ID3v2 tag (tags and content credentials live there), so the build,
which measures the episode and its editions as decoded before it tags them, leaves QA nothing to do on
them (:func:`listened`, passed to mastering by the pipeline).  A measurement is kept under
``<cache>/qa-measured/`` with the hash of audiopipe's own code in its name (any change to how it is
measured measures again); a file that does not decode is never kept.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from audiopipe.dsp import loudness
from audiopipe.publish.stamp import code_hash
from audiopipe.tools import ffmpeg
from audiopipe.tools.fsutil import read_json, write_text
from audiopipe.tools.wav import WORK_RATE

FOLDER = "qa-measured"
WAVE_BINS = 1000                 # the page's waveform
FINE = WORK_RATE // 100          # peaks are first kept per 10 ms, then drawn in WAVE_BINS


def audio_digest(path: Path) -> str:
    """The SHA-256 of *path* without its ID3v2 tag (the same audio, tagged or not, has one digest), read
    in blocks: an hour's MP3 is never held whole."""
    with path.open("rb") as fh:
        head = fh.read(10)
        start = 0
        if head[:3] == b"ID3" and len(head) == 10:
            start = 10 + ((head[6] << 21) | (head[7] << 14) | (head[8] << 7) | head[9]) + (10 if head[5] & 0x10 else 0)
        fh.seek(start)
        return hashlib.file_digest(fh, "sha256").hexdigest()


def measured(cache_root: Path | None, path: Path, what: str, measure: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """*measure()* of *path* (JSON data), or what it gave before for this audio."""
    if cache_root is None:
        return measure()
    digest = audio_digest(path)
    kept = cache_root / FOLDER / digest[:2] / f"{digest}.{what}.{code_hash()[:16]}.json"
    try:
        value = read_json(kept)
        if isinstance(value, dict):
            return value
    except (OSError, ValueError):
        pass
    value = measure()
    try:
        write_text(kept, json.dumps(value, separators=(",", ":")))
    except OSError:
        pass                                    # a cache that cannot be written only costs time
    return value


def listened(cache_root: Path | None, path: Path, true_peak: Callable[[], float] | None = None) -> dict[str, Any]:
    """*path* decoded once, as a player decodes it: its length in samples, integrated loudness and true
    peak, the short-term loudness every half second, and the waveform's peaks (``top``, ``low``).  With
    *true_peak* (mastering's: the highest of the file's pieces', each measured as decoded), the pass
    leaves out the 4x oversampling, the dearest part of it."""
    return measured(cache_root, path, "listened", lambda: _listen(path, true_peak))


def heard_loudness(cache_root: Path | None) -> Callable[[Path, Callable[[], float]], loudness.Loudness]:
    """:func:`listened`'s loudness, as mastering measures what it made."""
    def measure(path: Path, true_peak: Callable[[], float]) -> loudness.Loudness:
        kept = listened(cache_root, path, true_peak)
        return loudness.Loudness(kept["lufs"], kept["true_peak"])
    return measure


def _listen(path: Path, true_peak: Callable[[], float] | None = None) -> dict[str, Any]:
    tops: list[np.ndarray] = []
    lows: list[np.ndarray] = []
    count = 0
    pending = b""
    report: list[str] = []
    meter = loudness.ebur128_filter("info", peak=true_peak is None)
    for block in ffmpeg.stream_decode(path, block_bytes=1 << 20, audio_filter=meter, report=report.append):
        data = pending + block if pending else block
        usable = len(data) - len(data) % (2 * FINE)
        samples = np.frombuffer(data, "<i2", count=usable // 2).reshape(-1, FINE)     # peaks per 10 ms
        tops.append(samples.max(axis=1))
        lows.append(samples.min(axis=1))
        pending = data[usable:]
        count += len(block) // 2
    rest = np.frombuffer(pending[:len(pending) - len(pending) % 2], "<i2")
    if len(rest):
        tops.append(rest.max(keepdims=True))
        lows.append(rest.min(keepdims=True))
    loud = loudness.parse_ebur128(report[0] if report else "", None if true_peak is None else true_peak())
    return {"samples": count, "lufs": loud.integrated_lufs, "true_peak": loud.true_peak_dbtp,
            "curve": _curve(report[0] if report else ""), "top": _bins(tops, np.max), "low": _bins(lows, np.min)}


def _bins(parts: list[np.ndarray], pick: Callable[..., Any]) -> list[float]:
    fine = np.concatenate(parts) if parts else np.zeros(1, np.int16)
    per = -(-len(fine) // WAVE_BINS)
    padded = np.concatenate([fine, np.full(per * WAVE_BINS - len(fine), fine[-1], np.int16)])
    return [round(float(v) / 32768, 4) for v in pick(padded.reshape(WAVE_BINS, per), axis=1)]


def _curve(report: str) -> list[tuple[float, float]]:
    """The short-term loudness every half second (S is the 3 s window ending at t)."""
    curve = []
    for m in re.finditer(r"t:\s*([\d.]+)\s.*?S:\s*(-?[\d.]+|-inf)", report):
        t = float(m.group(1))
        if t >= 3.0 and abs(t * 2 - round(t * 2)) < 0.051 and m.group(2) != "-inf":
            curve.append((t - 1.5, float(m.group(2))))
    return curve
