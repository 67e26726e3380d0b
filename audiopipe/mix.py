"""Takes + stingers + gaps -> a timeline -> mastered audio, streamed to the MP3 encoder.

Every take is trimmed to its speech (keeping a short, consistent pause),
faded at both edges, and levelled to the show's loudness target; stingers
are levelled a little under it.  The sum streams through a look-ahead peak
limiter in blocks, so an hour of audio never sits in memory at once.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from audiopipe import audio, ffmpeg, stingers
from audiopipe.audio import Samples
from audiopipe.cache import TakeCache
from audiopipe.errors import ToolError
from audiopipe.manifest import BUILTIN_STINGER
from audiopipe.show import Show
from audiopipe.synth import Result

RATE = ffmpeg.WORK_RATE
EDGE_PAUSE_MS = 80        # silence kept at each end of a take after trimming
FADE_MS = 10              # fade on every take edge
STINGER_UNDER_LU = 3.0    # stingers sit this far under the speech
BLOCK = RATE              # one second per streamed block
PEAK_MARGIN_DB = 0.7      # limiter ceiling under the true-peak target (inter-sample peaks, MP3)


@dataclass(frozen=True)
class Clip:
    kind: str                          # "intro", "speech" or "outro"
    start: int                         # in samples, from the episode's start
    length: int                        # in samples
    load: Callable[[], Samples]        # the clip's final samples (levelled, faded)
    result: Result | None = None       # the take, for speech

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
class Timeline:
    clips: tuple[Clip, ...]
    length: int

    @property
    def duration_ms(self) -> int:
        return self.length * 1000 // RATE

    def speech(self) -> list[Clip]:
        return [c for c in self.clips if c.kind == "speech"]


def speech_loader(result: Result, cache: TakeCache, target_lufs: float) -> tuple[int, Callable[[], Samples]]:
    """Length and loader of a take trimmed to its speech plus a consistent pause, levelled, faded."""
    info = result.info
    pause = EDGE_PAUSE_MS
    cut_start = max(0, info.lead_ms - pause) * RATE // 1000
    cut_end = max(0, info.trail_ms - pause) * RATE // 1000
    total = _wav_samples(cache.wav_path(info.key))
    loudness = info.loudness_lufs if info.loudness_lufs > -70 else target_lufs
    gain = audio.db_to_gain(target_lufs - loudness)

    def load() -> Samples:
        pcm, _ = audio.read_wav(cache.wav_path(info.key))
        samples = audio.to_float(pcm)
        samples = samples[cut_start: max(cut_start, len(samples) - cut_end)]
        return audio.fade(samples * np.float32(gain), FADE_MS, FADE_MS)
    return max(0, total - cut_start - cut_end), load


def _wav_samples(path: Path) -> int:
    import wave
    with wave.open(str(path), "rb") as src:
        return src.getnframes()


def stinger_samples(spec: Path | str | None, kind: str, target_lufs: float) -> Samples | None:
    if spec is None:
        return None
    if spec == BUILTIN_STINGER:
        samples = stingers.chime(kind)
    else:
        samples = audio.to_float(ffmpeg.decode_file(Path(spec)))
    if not len(samples):
        return None
    loud = audio.measure_pcm(audio.to_pcm(samples))
    if loud.integrated_lufs > -70:
        samples = samples * np.float32(audio.db_to_gain(target_lufs - STINGER_UNDER_LU - loud.integrated_lufs))
    return audio.fade(samples.astype(np.float32), 2, 30)


def _constant(samples: Samples) -> Callable[[], Samples]:
    return lambda: samples


def build_timeline(results: Sequence[Result], cache: TakeCache, show: Show,
                   intro: Samples | None, outro: Samples | None) -> Timeline:
    clips: list[Clip] = []
    pos = 0
    ms = RATE // 1000
    if intro is not None:
        clips.append(Clip("intro", 0, len(intro), _constant(intro)))
        pos = len(intro) + show.after_intro_ms * ms
    previous_story: int | None = None
    for i, result in enumerate(results):
        seg = result.job.segment
        if i > 0:
            same_story = seg.story is not None and seg.story == previous_story
            pos += (show.gap_in_story_ms if same_story else show.gap_between_stories_ms) * ms
        length, load = speech_loader(result, cache, show.target_lufs)
        clips.append(Clip("speech", pos, length, load, result))
        pos += length
        previous_story = seg.story
    if outro is not None:
        pos += show.before_outro_ms * ms
        clips.append(Clip("outro", pos, len(outro), _constant(outro)))
        pos += len(outro)
    return Timeline(tuple(clips), pos)


def render(timeline: Timeline, block: int = BLOCK) -> Iterator[Samples]:
    """The summed timeline in blocks; each clip is loaded when reached and dropped after."""
    loaded: dict[int, Samples] = {}
    clips = sorted(enumerate(timeline.clips), key=lambda ic: ic[1].start)
    for b0 in range(0, timeline.length, block):
        b1 = min(timeline.length, b0 + block)
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
        yield out


def master(blocks: Iterator[Samples], ceiling_dbfs: float) -> Iterator[bytes]:
    """Blocks through the peak limiter, as 16-bit PCM."""
    limiter = audio.PeakLimiter(ceiling_dbfs)
    for block in blocks:
        out = limiter.process(block)
        if len(out):
            yield audio.to_pcm(out)
    tail = limiter.process(np.zeros(0, dtype=np.float32), final=True)
    if len(tail):
        yield audio.to_pcm(tail)


def encode(pcm_blocks: Iterator[bytes], out: Path, bitrate_kbps: int) -> audio.Loudness:
    """Encode to MP3 and measure the audio on its way in, in one ffmpeg process."""
    cmd = [ffmpeg.executable(), "-hide_banner", "-nostdin", "-loglevel", "info", "-nostats", "-y",
           "-f", "s16le", "-ar", str(RATE), "-ac", "1", "-i", "pipe:0",
           "-af", audio.ebur128_filter(), *ffmpeg.mp3_encoder_args(bitrate_kbps), str(out)]
    try:
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as exc:
        raise ToolError(f"{out}: cannot run ffmpeg ({exc})") from exc
    assert proc.stdin is not None and proc.stderr is not None
    import threading
    err: list[bytes] = []
    reader = threading.Thread(target=lambda: err.append(proc.stderr.read()))  # type: ignore[union-attr]
    reader.start()
    try:
        for block in pcm_blocks:
            proc.stdin.write(block)
        proc.stdin.close()
    except BrokenPipeError:
        pass
    except BaseException:
        proc.kill()
        proc.wait()
        reader.join()
        raise
    proc.wait()
    reader.join()
    stderr = b"".join(err).decode("utf-8", "replace")
    if proc.returncode != 0:
        raise ToolError(f"{out}: MP3 encoding failed: {stderr.strip().splitlines()[-1:]}")
    return audio.parse_ebur128(stderr)


def encode_clip(clip: Clip, out: Path, show: Show) -> None:
    """One segment on its own, mastered like the episode, for QA."""
    samples = clip.load()[: clip.length]
    limiter = audio.PeakLimiter(show.true_peak_dbtp - PEAK_MARGIN_DB)
    body = limiter.process(samples, final=True)
    ffmpeg.encode_mp3(audio.to_pcm(body), out, show.bitrate_kbps)
