"""Mastering: level every part to the show's loudness, limit peaks, encode, measure.

Speech and stingers are each levelled so that, *after* the peak limiter,
they measure the show's target (ITU-R BS.1770 integrated loudness, as
ffmpeg's ``ebur128`` measures it): English and Chinese voices, offline and
online engines all come out equally loud, and so does the episode.  The
gain of each take is found once (a measurement, a limiter pass, a second
measurement) and cached with the take.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from audiopipe.dsp import loudness, signal
from audiopipe.dsp.limiter import PeakLimiter
from audiopipe.dsp.loudness import Loudness
from audiopipe.dsp.signal import Samples
from audiopipe.produce.store import MasterStore
from audiopipe.tools import ffmpeg
from audiopipe.tools.fsutil import copy_file
from audiopipe.tools.wav import WORK_RATE

RATE = WORK_RATE
PEAK_MARGIN_DB = 0.5
"""The limiter's sample-peak ceiling sits this far under the true-peak target (inter-sample peaks, MP3)."""


def ceiling_dbfs(true_peak_dbtp: float) -> float:
    return true_peak_dbtp - PEAK_MARGIN_DB


def limit(samples: Samples, ceiling: float) -> Samples:
    """*samples* through a fresh peak limiter (no delay in the result)."""
    return PeakLimiter(ceiling).process(samples.astype(np.float32), final=True)


def level_gain_db(samples: Samples, measured_lufs: float, target_lufs: float, ceiling: float) -> float:
    """The gain that brings *samples*, once limited at *ceiling*, to *target_lufs*."""
    if measured_lufs <= -70:
        return 0.0
    gain = target_lufs - measured_lufs
    for _ in range(3):
        limited = limit(samples * np.float32(signal.db_to_gain(gain)), ceiling)
        loud = loudness.integrated_lufs(limited, RATE)
        if loud <= -70 or abs(target_lufs - loud) < 0.15:
            break
        gain += target_lufs - loud
    return round(gain, 3)


SHORT_PROGRAMME_S = 90.0
"""Under this length gaps, fades and gating move the measured loudness noticeably off the takes'
levels, so a short programme is measured once more and corrected before encoding."""


def master_stream(blocks: Iterable[Samples], ceiling: float, gain_db: float = 0.0) -> Iterator[bytes]:
    """Blocks through one look-ahead peak limiter, as 16-bit PCM."""
    limiter = PeakLimiter(ceiling)
    factor = np.float32(signal.db_to_gain(gain_db))
    for block in blocks:
        out = limiter.process(block * factor if gain_db else block)
        if len(out):
            yield signal.to_pcm(out)
    tail = limiter.process(np.zeros(0, dtype=np.float32), final=True)
    if len(tail):
        yield signal.to_pcm(tail)


def encoder_loss_lu(bitrate_kbps: int) -> float:
    """How much louder to master so that the decoded MP3 lands on the target at *bitrate_kbps*: libmp3lame
    takes 0.3 LU off speech at 64 kbps, 0.4 from 80 to 160, 0.2 at 192 and none from 256 (measured here on
    the demo, mono), and the limiter holds back part of any gain (at 96 kbps 0.7–0.9 LU of gain is needed,
    measured on the demo with espeak and kokoro and on the tests' episodes).  The decoded MP3 is measured to check."""
    return 0.8 if bitrate_kbps < 192 else 0.4 if bitrate_kbps < 256 else 0.0


PUBLISHED_SLACK_LU = 0.2
"""How far the decoded MP3 may sit from the target before it is encoded again with the difference."""


def encode_measured(pcm_blocks: Iterable[bytes], out: Path, bitrate_kbps: int) -> Loudness:
    """Encode PCM to MP3 and measure it on the way in (ebur128 passes audio through), in one ffmpeg."""
    return loudness.parse_ebur128(ffmpeg.encode_mp3_stream(pcm_blocks, out, bitrate_kbps,
                                                        measure_filter=loudness.ebur128_filter()))


@dataclass(frozen=True)
class SegmentFile:
    path: Path
    loudness: Loudness


def segment_file(load: Callable[[], Samples], tag: str, levels: MasterStore, ceiling: float, bitrate_kbps: int,
                 dest: Path) -> SegmentFile:
    """The mastered MP3 of one segment at *dest*, from the cache when it was made before."""
    hit = levels.segment(tag)
    if hit is None:
        def encode(out: Path) -> Loudness:
            return encode_measured([signal.to_pcm(limit(load(), ceiling))], out, bitrate_kbps)
        hit = levels.put_segment(tag, encode)
    source, loud = hit
    copy_file(source, dest)
    return SegmentFile(dest, loud)
