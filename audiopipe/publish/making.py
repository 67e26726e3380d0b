"""An episode's record made, once, from what the build produced: :func:`episode_record` for the episode and
for each language edition, with :class:`Publishing`, what every published file of the build shares."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from audiopipe.config.show import Show
from audiopipe.engines import VoiceSettings, Word
from audiopipe.publish.credentials import Credentials
from audiopipe.publish.record import (
    BedRecord,
    BuildInfo,
    ChapterRecord,
    EditionRecord,
    EpisodeInfo,
    EpisodeRecord,
    SegmentRecord,
    StingerRecord,
)
from audiopipe.tools.wav import WORK_RATE

if TYPE_CHECKING:           # the build's own records (a caller has them; importing them here would load numpy)
    from audiopipe.dsp.loudness import Loudness
    from audiopipe.produce.master import SegmentFile
    from audiopipe.produce.mix import Timeline
    from audiopipe.script.manifest import Manifest


@dataclass(frozen=True)
class Publishing:
    """What a build's files are published with: its slug and show, the segment files and build info the
    records carry, its guid and speakers, where it is written, the cache, who signs and how natural each take
    sounds."""

    slug: str
    show: Show
    segment_files: Mapping[int, SegmentFile]
    build: BuildInfo
    guid: str
    speakers: Mapping[str, str]
    folder: Path
    out_dir: Path
    cache_root: Path
    signing: Credentials
    naturalness: Mapping[str, float] = field(default_factory=dict)   # each take's score, by its key


def episode_record(manifest: Manifest, timeline: Timeline, loudness: Loudness, how: Publishing, guid: str,
                   editions: tuple[EditionRecord, ...] = (),
                   expected_ms: Callable[[str, VoiceSettings], int] | None = None) -> EpisodeRecord:
    """The record of an episode or an edition (*manifest*: its own view, *guid* its own), built once from
    its timeline and files; *expected_ms* says how long a text takes at a voice's calibrated pace (what QA
    measures a take against)."""
    show, segment_files, speakers = how.show, how.segment_files, how.speakers
    segments: list[SegmentRecord] = []
    chapters: list[tuple[int, str, int]] = []
    for clip in timeline.speech():
        assert clip.result is not None
        job, info = clip.result.job, clip.result.info
        seg = job.segment
        shift = clip.start_ms - clip.trimmed_ms    # word times are relative to the untrimmed take
        seg_file = segment_files.get(seg.index)
        segments.append(SegmentRecord(
            index=seg.index, lang=seg.lang, story=seg.story, chapter=seg.chapter,
            voice_profile=seg.profile, engine=info.engine, voice=info.voice, rate=job.settings.rate,
            text=seg.text, spoken_text=job.text, start_ms=clip.start_ms, end_ms=clip.end_ms,
            cached=clip.result.cached, take=info.key,
            loudness_lufs=seg_file.loudness.integrated_lufs if seg_file else None,
            true_peak_dbtp=seg_file.loudness.true_peak_dbtp if seg_file else None,
            gain_db=clip.gain_db, take_loudness_lufs=info.loudness_lufs, take_true_peak_dbtp=info.true_peak_dbtp,
            lead_silence_ms=info.lead_ms, trail_silence_ms=info.trail_ms,
            file=f"segments/{seg_file.path.name}" if seg_file else None,
            word_timings=info.timings,
            words=tuple(Word(w.start_ms + shift, w.end_ms + shift, w.text) for w in info.words),
            fallback=job.by_fallback, speaker=(speakers or {}).get(seg.profile, seg.profile), spans=job.spans,
            worker=None if clip.result.cached else clip.result.worker,
            take_clip_run=info.clip_run if info.clip_run >= 0 else None,
            expected_ms=expected_ms(job.text, job.settings) if expected_ms else None,
            naturalness=how.naturalness.get(info.key)))
        if seg.story is not None and (not chapters or chapters[-1][0] != seg.story):
            chapters.append((seg.story, seg.chapter or f"Story {seg.story}", clip.start_ms))
    starts = [0, *(start for _, _, start in chapters[1:])]        # the first chapter takes in the intro
    ends = [*starts[1:], timeline.duration_ms]
    lo, hi = show.window
    return EpisodeRecord(
        EpisodeInfo(manifest.slug, manifest.title, manifest.date.isoformat(), manifest.episode,
                    manifest.description, str(manifest.path), f"{manifest.slug}.mp3", tuple(manifest.order),
                    "stories" if manifest.stories else "script", timeline.duration_ms,
                    loudness.integrated_lufs, loudness.true_peak_dbtp, show.target_lufs, show.true_peak_dbtp,
                    (round(lo, 1), round(hi, 1)), tuple(st.number for st in manifest.stories if st.figures_accepted),
                    tuple((st.number, name) for st in manifest.stories for name in st.figures_accept)),
        how.build,
        tuple(ChapterRecord(story, title, s, e) for (story, title, _), s, e in zip(chapters, starts, ends)),
        tuple(StingerRecord(c.kind, c.start_ms, c.end_ms, c.gain_db)
              for c in timeline.clips if c.kind != "speech"),
        None if timeline.bed is None else BedRecord(str(show.bed), timeline.bed.start * 1000 // WORK_RATE,
                                                    timeline.bed.end * 1000 // WORK_RATE),
        tuple(segments), guid, editions=editions)
