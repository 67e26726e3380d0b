"""Mastering: level every part to the show's loudness, limit peaks, encode, measure.

Speech and stingers are each levelled so that, *after* the peak limiter,
they measure the show's target (ITU-R BS.1770 integrated loudness, as
ffmpeg's ``ebur128`` measures it): English and Chinese voices, offline and
online engines all come out equally loud, and so does the episode.  The
gain of each take is found once (a measurement, a limiter pass, a second
measurement) and cached with the take.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from audiopipe import audio, ffmpeg, loudness
from audiopipe.audio import Loudness, Samples
from audiopipe.fsutil import atomic_path, write_text

RATE = ffmpeg.WORK_RATE
PEAK_MARGIN_DB = 0.5
"""The limiter's sample-peak ceiling sits this far under the true-peak target (inter-sample peaks, MP3)."""
LEVEL_FORMAT = 1


def ceiling_dbfs(true_peak_dbtp: float) -> float:
    return true_peak_dbtp - PEAK_MARGIN_DB


def limit(samples: Samples, ceiling: float) -> Samples:
    """*samples* through a fresh peak limiter (no delay in the result)."""
    return audio.PeakLimiter(ceiling).process(samples.astype(np.float32), final=True)


def level_gain_db(samples: Samples, measured_lufs: float, target_lufs: float, ceiling: float) -> float:
    """The gain that brings *samples*, once limited at *ceiling*, to *target_lufs*."""
    if measured_lufs <= -70:
        return 0.0
    gain = target_lufs - measured_lufs
    for _ in range(3):
        limited = limit(samples * np.float32(audio.db_to_gain(gain)), ceiling)
        loud = loudness.integrated_lufs(limited, RATE)
        if loud <= -70 or abs(target_lufs - loud) < 0.15:
            break
        gain += target_lufs - loud
    return round(gain, 3)


class LevelCache:
    """Remembers levelling gains and mastered segment files between builds, beside the takes."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @staticmethod
    def tag(*parts: object) -> str:
        blob = json.dumps([LEVEL_FORMAT, *parts], sort_keys=True, ensure_ascii=False).encode()
        return hashlib.sha256(blob).hexdigest()

    def _path(self, tag: str, suffix: str) -> Path:
        return self.root / "mastered" / tag[:2] / f"{tag}{suffix}"

    def gain(self, tag: str) -> float | None:
        path = self._path(tag, ".json")
        try:
            return float(json.loads(path.read_text())["gain_db"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put_gain(self, tag: str, gain_db: float) -> None:
        write_text(self._path(tag, ".json"), json.dumps({"gain_db": gain_db}))

    def episode(self, tag: str) -> tuple[Path, Loudness] | None:
        """A mastered, encoded (untagged) episode made before from the same timeline."""
        return self.segment(tag)

    def put_episode(self, tag: str, mp3: Path, loud: Loudness) -> None:
        def copy(out: Path) -> Loudness:
            shutil.copyfile(mp3, out)
            return loud
        self.put_segment(tag, copy)

    def segment(self, tag: str) -> tuple[Path, Loudness] | None:
        mp3, meta = self._path(tag, ".mp3"), self._path(tag, ".mp3.json")
        try:
            data = json.loads(meta.read_text())
            if mp3.is_file():
                return mp3, Loudness(float(data["lufs"]), float(data["dbtp"]))
        except (OSError, ValueError, KeyError, TypeError):
            pass
        return None

    def put_segment(self, tag: str, encode: Callable[[Path], Loudness]) -> tuple[Path, Loudness]:
        mp3 = self._path(tag, ".mp3")
        mp3.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(mp3) as tmp:
            loud = encode(tmp)
        write_text(self._path(tag, ".mp3.json"),
                   json.dumps({"lufs": loud.integrated_lufs, "dbtp": loud.true_peak_dbtp}))
        return mp3, loud


SHORT_PROGRAMME_S = 90.0
"""Under this length gaps, fades and gating move the measured loudness noticeably off the takes'
levels, so a short programme is measured once more and corrected before encoding."""


def programme_correction_db(blocks: Iterable[Samples], ceiling: float, target_lufs: float) -> float:
    """The gain that brings a (short) limited programme to the target, measured, not assumed."""
    parts = list(blocks)
    whole = np.concatenate(parts) if parts else np.zeros(0, np.float32)
    measured = loudness.integrated_lufs(limit(whole, ceiling), RATE)
    if measured <= -70:
        return 0.0
    return round(max(-6.0, min(6.0, target_lufs - measured)), 2)


def master_stream(blocks: Iterable[Samples], ceiling: float, gain_db: float = 0.0) -> Iterator[bytes]:
    """Blocks through one look-ahead peak limiter, as 16-bit PCM."""
    limiter = audio.PeakLimiter(ceiling)
    factor = np.float32(audio.db_to_gain(gain_db))
    for block in blocks:
        out = limiter.process(block * factor if gain_db else block)
        if len(out):
            yield audio.to_pcm(out)
    tail = limiter.process(np.zeros(0, dtype=np.float32), final=True)
    if len(tail):
        yield audio.to_pcm(tail)


def encode_measured(pcm_blocks: Iterable[bytes], out: Path, bitrate_kbps: int) -> Loudness:
    """Encode PCM to MP3 and measure it on the way in (ebur128 passes audio through), in one ffmpeg."""
    return audio.parse_ebur128(ffmpeg.encode_mp3_stream(pcm_blocks, out, bitrate_kbps,
                                                        measure_filter=audio.ebur128_filter()))


@dataclass(frozen=True)
class SegmentFile:
    path: Path
    loudness: Loudness


def segment_file(load: Callable[[], Samples], tag: str, levels: LevelCache, ceiling: float, bitrate_kbps: int,
                 dest: Path) -> SegmentFile:
    """The mastered MP3 of one segment at *dest*, from the cache when it was made before."""
    hit = levels.segment(tag)
    if hit is None:
        def encode(out: Path) -> Loudness:
            return encode_measured([audio.to_pcm(limit(load(), ceiling))], out, bitrate_kbps)
        hit = levels.put_segment(tag, encode)
    source, loud = hit
    with atomic_path(dest) as tmp:
        shutil.copyfile(source, tmp)
    return SegmentFile(dest, loud)
