"""Takes + stingers + gaps (+ an optional music bed) -> a timeline, rendered in blocks.

Every take is trimmed to its speech plus a consistent short pause, faded at
both edges and levelled (see :mod:`audiopipe.produce.master`).  Stingers may overlap
the speech with a crossfade; a music bed under the speech is ducked while
anyone speaks.  Rendering streams one block at a time, loading each clip
when it is reached and dropping it after, so an hour never sits in memory.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from audiopipe.config.show import Show
from audiopipe.dsp import loudness, signal
from audiopipe.dsp.signal import EDGE_PAUSE_MS, Samples
from audiopipe.produce import stingers
from audiopipe.produce.master import ceiling_dbfs, level_gain_db
from audiopipe.produce.store import MasterStore
from audiopipe.script.manifest import BUILTIN_STINGER
from audiopipe.synth.cache import TakeCache
from audiopipe.synth.run import Result
from audiopipe.tools import ffmpeg, wav
from audiopipe.tools.mp3join import FRAME_SAMPLES
from audiopipe.tools.wav import WORK_RATE

RATE = WORK_RATE
FADE_MS = 10              # fade on every take edge
BLOCK = RATE              # one second per rendered block
DUCK_ATTACK_MS = 250      # the bed goes down this long before speech starts
DUCK_RELEASE_MS = 700     # and comes back up over this long after it ends


ClipKind = Literal["intro", "speech", "outro"]


@dataclass(frozen=True)
class Clip:
    kind: ClipKind
    start: int                         # in samples, from the episode's start
    length: int                        # in samples
    load: Callable[[], Samples]        # the clip's final samples (levelled, faded)
    result: Result | None = None       # the take, for speech
    gain_db: float = 0.0
    trimmed_ms: int = 0                # cut from the take's start (word timings shift by it)
    tag: str = ""                      # identifies the mastered clip (for cached segment files)

    @property
    def end(self) -> int:
        return self.start + self.length

    @property
    def start_ms(self) -> int:
        return self.start * 1000 // RATE

    @property
    def end_ms(self) -> int:
        return self.end * 1000 // RATE


@dataclass(frozen=True)
class Bed:
    samples: Samples                   # levelled, one loop
    start: int
    end: int
    duck_gain: float                   # linear gain under speech


@dataclass(frozen=True)
class Timeline:
    clips: tuple[Clip, ...]
    length: int
    bed: Bed | None = None

    @property
    def duration_ms(self) -> int:
        return self.length * 1000 // RATE

    def speech(self) -> list[Clip]:
        return [c for c in self.clips if c.kind == "speech"]

    def signature(self, show: Show) -> str:
        """Identifies the mastered sound: equal signatures render to the same audio."""
        bed = None
        if self.bed is not None and show.bed is not None:
            stat = show.bed.stat()
            bed = [str(show.bed), stat.st_size, stat.st_mtime_ns, self.bed.start, self.bed.end,
                   show.bed_under_lu, show.duck_db]
        return MasterStore.tag("episode", [(c.kind, c.start, c.length, c.tag) for c in self.clips],
                              self.length, bed, show.target_lufs, show.true_peak_dbtp, show.bitrate_kbps)


def speech_clip(result: Result, cache: TakeCache, levels: MasterStore, show: Show, start: int) -> Clip:
    """The take trimmed to speech + a consistent pause, faded, levelled to the show's target."""
    info = result.info
    cut_start_ms = max(0, info.lead_ms - EDGE_PAUSE_MS)
    cut_start = cut_start_ms * RATE // 1000
    cut_end = max(0, info.trail_ms - EDGE_PAUSE_MS) * RATE // 1000
    length = max(0, wav.wav_frames(cache.wav_path(info.key)) - cut_start - cut_end)

    def shaped() -> Samples:
        pcm, _ = wav.read_wav(cache.wav_path(info.key))
        samples = signal.to_float(pcm)[cut_start:cut_start + length]
        return signal.fade(samples, FADE_MS, FADE_MS)

    ceiling = ceiling_dbfs(show.true_peak_dbtp)
    tag = MasterStore.tag("speech", info.key, EDGE_PAUSE_MS, FADE_MS, show.target_lufs, ceiling)
    gain = levels.gain(tag)
    if gain is None:
        gain = level_gain_db(shaped(), info.loudness_lufs, show.target_lufs, ceiling)
        levels.put_gain(tag, gain)
    factor = np.float32(signal.db_to_gain(gain))

    def load() -> Samples:
        return shaped() * factor
    return Clip("speech", start, length, load, result, gain, cut_start_ms,
                MasterStore.tag(tag, gain, show.bitrate_kbps))


def stinger_clip(spec: Path | str | None, kind: Literal["intro", "outro"], show: Show, levels: MasterStore
                 ) -> Clip | None:
    """The intro or outro, levelled to match the programme; None when there is none.  Planning only
    reads the store: what it had to make or measure is kept there when the clip is first rendered."""
    if spec is None:
        return None
    builtin = spec == BUILTIN_STINGER
    raw = stingers.chime(kind, levels.root, keep=False) if builtin else signal.to_float(ffmpeg.decode_file(Path(spec)))
    if not len(raw):
        return None
    ceiling = ceiling_dbfs(show.true_peak_dbtp)
    tag = MasterStore.tag("stinger", hashlib.sha256(raw.tobytes()).hexdigest(), show.target_lufs, ceiling)
    stored = levels.gain(tag)
    gain = stored if stored is not None else \
        level_gain_db(raw, loudness.integrated_lufs(raw, RATE), show.target_lufs - show.stinger_under_lu, ceiling)
    samples = signal.fade(raw * np.float32(signal.db_to_gain(gain)), 2, 30)

    def load() -> Samples:
        if stored is None:
            levels.put_gain(tag, gain)
        if builtin:
            stingers.chime(kind, levels.root, keep=True)
        return samples
    return Clip(kind, 0, len(samples), load, None, gain, tag=MasterStore.tag(tag, gain))


def _bed(show: Show, levels: MasterStore, speech: Sequence[Clip], length: int) -> Bed | None:
    if show.bed is None or not speech:
        return None
    raw = signal.to_float(ffmpeg.decode_file(show.bed))
    if not len(raw):
        return None
    tag = MasterStore.tag("bed", hashlib.sha256(raw.tobytes()).hexdigest(), show.target_lufs, show.bed_under_lu)
    gain = levels.gain(tag)
    if gain is None:
        loud = loudness.integrated_lufs(raw, RATE)
        gain = 0.0 if loud <= -70 else show.target_lufs - show.bed_under_lu - loud
        levels.put_gain(tag, gain)
    start = max(0, speech[0].start - RATE)
    end = min(length, speech[-1].end + RATE)
    return Bed(raw * np.float32(signal.db_to_gain(gain)), start, end, signal.db_to_gain(-show.duck_db))


@dataclass(frozen=True)
class Layout:
    """Where the parts of an episode start, in samples, and how long it runs."""

    speech: tuple[int, ...]
    outro: int | None
    length: int


def layout(show: Show, gap_scale: float, intro: int | None, parts: Sequence[tuple[int | None, int]],
           outro: int | None) -> Layout:
    """The one gap rule, for the mixer and for QA's check of the editions: the intro at 0 (*intro*,
    *outro*: lengths in samples, None when there is none), then each speech part (its story, its
    length) after the show's gap, longer between stories and scaled by *gap_scale* in whole
    milliseconds, then to the next whole MP3 frame (at most 26 ms more: a part after a gap starts on
    the frame grid, so that it encodes to the same frames wherever it moves, see
    :mod:`audiopipe.produce.pieces`); a stinger that overlaps the speech crossfades by up to half its length."""
    ms = RATE // 1000

    def gap(value_ms: int) -> int:
        return int(value_ms * gap_scale) * ms

    def after_gap(at: int, value_ms: int) -> int:
        return -(-(at + gap(value_ms)) // FRAME_SAMPLES) * FRAME_SAMPLES
    pos = 0
    if intro is not None:
        overlap = min(show.intro_overlap_ms * ms, intro // 2)
        pos = intro - overlap if overlap else after_gap(intro, show.after_intro_ms)
    starts: list[int] = []
    previous: int | None = None
    for i, (story, length) in enumerate(parts):
        if i > 0:
            pos = after_gap(pos, show.gap_before_ms(story, previous))
        starts.append(pos)
        pos += length
        previous = story
    outro_at = None
    if outro is not None:
        overlap = min(show.outro_overlap_ms * ms, outro // 2)
        outro_at = max(0, pos - overlap) if overlap else after_gap(pos, show.before_outro_ms)
        pos = outro_at + outro
    return Layout(tuple(starts), outro_at, pos)


def build_timeline(results: Sequence[Result], cache: TakeCache, levels: MasterStore, show: Show,
                   intro: Clip | None, outro: Clip | None, gap_scale: float = 1.0) -> Timeline:
    """Place every part by :func:`layout`: intro, speech with gaps (longer between stories), outro."""
    clips: list[Clip] = []
    ms = RATE // 1000
    if intro is not None:
        if min(show.intro_overlap_ms * ms, intro.length // 2):
            shaped = signal.fade(intro.load(), 0, show.intro_overlap_ms)
            intro = Clip("intro", 0, intro.length, lambda s=shaped: s, None, intro.gain_db,  # type: ignore[misc]
                         tag=MasterStore.tag(intro.tag, "fade-out", show.intro_overlap_ms))
        clips.append(intro)
    speech = [speech_clip(result, cache, levels, show, 0) for result in results]
    placed = layout(show, gap_scale, intro.length if intro else None,
                    [(c.result.job.segment.story if c.result else None, c.length) for c in speech],
                    outro.length if outro else None)
    speech = [dataclasses.replace(c, start=start) for c, start in zip(speech, placed.speech)]
    clips += speech
    if outro is not None and placed.outro is not None:
        overlapped = min(show.outro_overlap_ms * ms, outro.length // 2)
        shaped = signal.fade(outro.load(), show.outro_overlap_ms, 30) if overlapped else outro.load()
        clips.append(Clip("outro", placed.outro, outro.length, lambda s=shaped: s, None, outro.gain_db,  # type: ignore[misc]
                          tag=MasterStore.tag(outro.tag, "fade-in", show.outro_overlap_ms)))
    return Timeline(tuple(clips), placed.length, _bed(show, levels, speech, placed.length))


def _duck_weight(speech: Sequence[Clip], b0: int, b1: int) -> Samples:
    """1 while anyone speaks, 0 far from speech, with attack/release ramps between."""
    attack, release = DUCK_ATTACK_MS * RATE // 1000, DUCK_RELEASE_MS * RATE // 1000
    t = np.arange(b0, b1, dtype=np.float64)
    weight = np.zeros(b1 - b0, dtype=np.float64)
    for clip in speech:
        if clip.end + release < b0 or clip.start - attack > b1:
            continue
        up = np.clip((t - (clip.start - attack)) / attack, 0.0, 1.0)
        down = np.clip(((clip.end + release) - t) / release, 0.0, 1.0)
        np.maximum(weight, np.minimum(up, down), out=weight)
    return weight.astype(np.float32)


def render(timeline: Timeline, block: int = BLOCK, start: int = 0, end: int | None = None) -> Iterator[Samples]:
    """The summed timeline (from *start* to *end*, in samples) in blocks; each clip is loaded when
    reached and dropped after."""
    loaded: dict[int, Samples] = {}
    clips = sorted(enumerate(timeline.clips), key=lambda ic: ic[1].start)
    speech = timeline.speech()
    bed = timeline.bed
    stop = timeline.length if end is None else min(end, timeline.length)
    for b0 in range(start, stop, block):
        b1 = min(stop, b0 + block)
        out = np.zeros(b1 - b0, dtype=np.float32)
        for i, clip in clips:
            if clip.start >= b1:
                break
            if clip.end <= b0:
                loaded.pop(i, None)
                continue
            data = loaded.get(i)
            if data is None:
                data = loaded[i] = clip.load()[: clip.length]
            s0, s1 = max(b0, clip.start), min(b1, clip.start + len(data))
            if s1 > s0:
                out[s0 - b0:s1 - b0] += data[s0 - clip.start:s1 - clip.start]
        if bed is not None and b1 > bed.start and b0 < bed.end:
            s0, s1 = max(b0, bed.start), min(b1, bed.end)
            idx = (np.arange(s0, s1) - bed.start) % len(bed.samples)
            music = bed.samples[idx]
            weight = _duck_weight(speech, s0, s1)
            music = music * (1.0 - weight * (1.0 - bed.duck_gain))
            fade_in = np.clip((np.arange(s0, s1) - bed.start) / RATE, 0, 1)
            fade_out = np.clip((bed.end - np.arange(s0, s1)) / (2 * RATE), 0, 1)
            out[s0 - b0:s1 - b0] += (music * fade_in * fade_out).astype(np.float32)
        yield out


def speech_seconds(timeline: Timeline) -> float:
    return sum(c.length for c in timeline.speech()) / RATE
