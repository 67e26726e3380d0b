"""Producing an episode: the mastered, encoded (untagged) MP3 and each segment's own file for QA."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from audiopipe.config.show import Show
from audiopipe.dsp.loudness import Loudness
from audiopipe.produce import pieces
from audiopipe.produce.master import (
    SHORT_PROGRAMME_S,
    SegmentFile,
    ceiling_dbfs,
    segment_file,
)
from audiopipe.produce.mix import Clip, Timeline
from audiopipe.produce.store import MasterStore


@dataclass(frozen=True)
class Produced:
    """The mastered, encoded (still untagged) episode and the per-segment QA files."""

    loudness: Loudness
    segment_files: dict[int, SegmentFile]
    reused: bool                        # the episode's sound was unchanged: the earlier encode was reused


def produce(timeline: Timeline, show: Show, levels: MasterStore, folder: Path, mp3: Path,
            remaster: bool = False, progress: Callable[[str, int, int], None] | None = None,
            measure: pieces.Measure = pieces.measure_file) -> Produced:
    """Segment files (on the other core) and the mastered episode written to *mp3*, measured by *measure*;
    an episode whose sound did not change is copied from the store unless *remaster*.  *progress* hears
    of each file."""
    steps = _Steps(len(timeline.speech()) + 1, progress)
    with ThreadPoolExecutor(max_workers=1) as side:
        pending = side.submit(_write_segments, timeline, folder, show, levels, 1, steps.one)
        loudness, reused = master_to(timeline, show, levels, mp3, remaster, measure)
        steps.one()
        return Produced(loudness, pending.result(), reused)


PUBLISHED = ":pieces"
"""Marks the encodes joined from pieces, measured as decoded (older ones were made otherwise)."""


def master_to(timeline: Timeline, show: Show, levels: MasterStore, mp3: Path, remaster: bool = False,
              measure: pieces.Measure = pieces.measure_file) -> tuple[Loudness, bool]:
    """*timeline* mastered and encoded to *mp3* (copied from the store when its sound is unchanged, unless
    *remaster*); its loudness, and whether the stored encode was reused."""
    signature = timeline.signature(show) + PUBLISHED      # not an encode kept by older code
    reuse = None if remaster else levels.episode(signature)
    if reuse is not None:      # nothing about the sound changed: reuse the encoded episode
        shutil.copyfile(reuse[0], mp3)
        return reuse[1], True
    ceiling = ceiling_dbfs(show.true_peak_dbtp)
    correction = 0.0
    if timeline.duration_ms / 1000 < SHORT_PROGRAMME_S:     # from the pieces' kept energies: only new ones measured
        correction = pieces.programme_correction(timeline, show, levels, ceiling)
    loudness = pieces.encode_published(timeline, show, levels, mp3, ceiling, correction, remaster, measure)
    levels.put_episode(signature, mp3, loudness)
    return loudness, False


class _Steps:
    """Counts finished files for the progress display, from either thread."""

    def __init__(self, total: int, progress: Callable[[str, int, int], None] | None) -> None:
        self.total, self.done, self.progress = total, 0, progress
        self.lock = threading.Lock()
        if progress:
            progress(STAGE, 0, total)

    def one(self) -> None:
        with self.lock:
            self.done += 1
            if self.progress:
                self.progress(STAGE, self.done, self.total)


STAGE = "mastering"


def _write_segments(timeline: Timeline, folder: Path, show: Show, levels: MasterStore,
                    workers: int, done: Callable[[], None] = lambda: None) -> dict[int, SegmentFile]:
    """segments/NN-<lang>.mp3 for QA (cached when unchanged); files of gone segments are removed."""
    seg_dir = folder / "segments"
    seg_dir.mkdir(parents=True, exist_ok=True)
    ceiling = ceiling_dbfs(show.true_peak_dbtp)
    jobs = []
    for clip in timeline.speech():
        assert clip.result is not None
        seg = clip.result.job.segment
        jobs.append((seg.index, clip, seg_dir / f"{seg.index:02d}-{seg.lang}.mp3"))

    def one(item: tuple[int, Clip, Path]) -> tuple[int, SegmentFile]:
        index, clip, dest = item
        made = segment_file(clip.load, clip.tag, levels, ceiling, show.bitrate_kbps, dest)
        done()
        return index, made

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        files = dict(pool.map(one, jobs))
    keep = {dest.name for _, _, dest in jobs}
    for stale in seg_dir.glob("*.mp3"):
        if stale.name not in keep:
            os.unlink(stale)
    return files
