"""The timeline from takes made here (no engine, no ffmpeg): where every part sits, in milliseconds."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from audiopipe.config.show import Show
from audiopipe.dsp.signal import EDGE_PAUSE_MS, to_pcm
from audiopipe.engines import VoiceSettings, Word
from audiopipe.produce.mix import Clip, build_timeline, render, stinger_clip
from audiopipe.produce.store import MasterStore
from audiopipe.script.manifest import BUILTIN_STINGER
from audiopipe.script.segments import Segment
from audiopipe.synth.cache import TakeCache, TakeInfo
from audiopipe.synth.plan import Job
from audiopipe.synth.run import Result
from audiopipe.tools.mp3join import FRAME_SAMPLES
from audiopipe.tools.wav import WORK_RATE

SPEECH_MS, LEAD_MS, TRAIL_MS = 1000, 300, 200
SAMPLES_PER_MS = WORK_RATE // 1000     # gaps are placed at 44 samples a millisecond (0.2 % short; see the note)


def after_gap(gap: int, gap_ms: float, start: int) -> bool:
    """A part after a gap: the show's gap, then on to the next MP3 frame (the pieces' grid, under 26 ms)."""
    return int(gap_ms) * SAMPLES_PER_MS <= gap < int(gap_ms) * SAMPLES_PER_MS + FRAME_SAMPLES \
        and start % FRAME_SAMPLES == 0




def take(cache: TakeCache, index: int, lang: str, story: int | None) -> Result:
    """A take of 300 ms silence, 1 s of tone, 200 ms silence, cached under its own key."""
    tone = 0.3 * np.sin(2 * np.pi * 220 * np.arange(SPEECH_MS * WORK_RATE // 1000) / WORK_RATE)
    pcm = to_pcm(np.concatenate([np.zeros(LEAD_MS * WORK_RATE // 1000), tone,
                                 np.zeros(TRAIL_MS * WORK_RATE // 1000)]).astype(np.float32))
    key = f"{index:02d}" + "0" * 62
    info = TakeInfo(key, "espeak", "en-us", "text", LEAD_MS + SPEECH_MS + TRAIL_MS,
                    (Word(LEAD_MS, LEAD_MS + SPEECH_MS, "text"),), -20.0, -10.0, LEAD_MS, TRAIL_MS)
    cache.put(info, pcm)
    segment = Segment(index, lang, "text", f"{lang}-host", story, None)
    return Result(Job(segment, VoiceSettings("espeak", "en-us", lang), "text", key), info, cached=True)


def test_gaps_are_short_inside_a_story_and_longer_between(tmp_path: Path) -> None:
    cache, levels, show = TakeCache(tmp_path), MasterStore(tmp_path), Show()
    results = [take(cache, 1, "en", 1), take(cache, 2, "zh", 1), take(cache, 3, "en", 2), take(cache, 4, "zh", 2)]
    timeline = build_timeline(results, cache, levels, show, None, None)
    speech = timeline.speech()
    clip_ms = SPEECH_MS + 2 * EDGE_PAUSE_MS                 # trimmed to speech and the kept pause
    assert [c.length for c in speech] == [clip_ms * WORK_RATE // 1000] * 4
    gaps = [b.start - a.end for a, b in zip(speech, speech[1:])]
    wanted = [show.gap_in_story_ms, show.gap_between_stories_ms, show.gap_in_story_ms]
    assert all(after_gap(gap, ms, part.start) for gap, ms, part in zip(gaps, wanted, speech[1:])), gaps
    assert gaps[1] > max(gaps[0], gaps[2])                  # longer between stories
    assert timeline.length == sum(c.length for c in speech) + sum(gaps)
    assert speech[0].trimmed_ms == LEAD_MS - EDGE_PAUSE_MS   # word times shift by what was cut


def test_stingers_frame_the_speech_and_gap_scale_stretches_the_gaps(tmp_path: Path) -> None:
    cache, levels, show = TakeCache(tmp_path), MasterStore(tmp_path), Show()
    intro = stinger_clip(BUILTIN_STINGER, "intro", show, levels)
    outro = stinger_clip(BUILTIN_STINGER, "outro", show, levels)
    assert isinstance(intro, Clip) and isinstance(outro, Clip)
    results = [take(cache, 1, "en", 1), take(cache, 2, "zh", 1)]
    timeline = build_timeline(results, cache, levels, show, intro, outro, gap_scale=1.5)
    kinds = [c.kind for c in timeline.clips]
    assert kinds == ["intro", "speech", "speech", "outro"]
    first, second = timeline.speech()
    assert after_gap(first.start - timeline.clips[0].end, show.after_intro_ms * 1.5, first.start)
    assert after_gap(second.start - first.end, show.gap_in_story_ms * 1.5, second.start)
    assert after_gap(timeline.clips[-1].start - second.end, show.before_outro_ms * 1.5, timeline.clips[-1].start)
    assert timeline.clips[-1].end == timeline.length


def test_render_streams_the_whole_timeline_and_places_the_speech(tmp_path: Path) -> None:
    cache, levels, show = TakeCache(tmp_path), MasterStore(tmp_path), Show()
    timeline = build_timeline([take(cache, 1, "en", 1), take(cache, 2, "zh", 1)], cache, levels, show, None, None)
    audio = np.concatenate(list(render(timeline, block=4096)))
    assert len(audio) == timeline.length
    first, second = timeline.speech()
    gap = audio[first.end + 10:second.start - 10]
    assert float(np.abs(gap).max()) == 0.0                  # silence between the takes
    middle = audio[first.start + first.length // 2 - 500:first.start + first.length // 2 + 500]
    assert float(np.abs(middle).max()) > 0.1                # the levelled tone where the take sits
