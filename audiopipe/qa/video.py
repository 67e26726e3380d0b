"""QA of the video edition (``video: true``): the MP4 decodes with no error, holds an H.264 1920×1080
picture and AAC sound, lasts as long as the MP3 (within 0.1 s), and its captions are drawn (a frame in the
middle of a caption differs, where captions sit, from one in a pause between captions); each story's clip
is 1080×1920 and at most a minute."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from audiopipe.config.show import Show
from audiopipe.errors import ToolError
from audiopipe.publish import video
from audiopipe.publish.record import EpisodeRecord, video_file
from audiopipe.publish.transcript import cues_of, two_lines
from audiopipe.qa.findings import Finding
from audiopipe.tools import ffmpeg

TOLERANCE_S = 0.1


def streams(path: Path) -> tuple[float, list[str], list[str]]:
    """(duration in seconds, its stream lines, its error lines) as ffmpeg decodes the whole file."""
    text = ffmpeg.run_stderr(["-i", str(path), "-map", "0:v:0", "-map", "0:a:0", "-f", "null", "-"], what=f"qa {path.name}")
    found = re.search(r"Duration: (\d+):(\d+):(\d+(?:\.\d+)?)", text)
    duration = int(found[1]) * 3600 + int(found[2]) * 60 + float(found[3]) if found else -1.0
    lines = [line.strip() for line in text.splitlines()]
    return duration, [ln for ln in lines if ln.startswith("Stream #0:")], \
        [ln for ln in lines if re.search(r"error|corrupt|invalid", ln, re.I) and not ln.startswith("Stream")]


def frame(path: Path, at_s: float, size: tuple[int, int]) -> np.ndarray:
    """The frame shown at *at_s*, small and grey."""
    raw = ffmpeg.run(["-ss", f"{at_s:.3f}", "-i", str(path), "-frames:v", "1", "-vf",
                      f"scale={size[0]}:{size[1]},format=gray", "-f", "rawvideo", "-"], what=f"qa {path.name}")
    return np.frombuffer(raw, np.uint8).reshape(size[1], size[0]).astype(np.float32)


def caption_moments(record: EpisodeRecord) -> tuple[float, float] | None:
    """A moment inside a caption and one in a pause between two captions (no chapter card showing)."""
    cues = cues_of(record, two_lines)
    cards = [(c.start_ms, c.start_ms + video.CARD_MS) for c in record.chapters]
    for before, after in zip(cues, cues[1:]):
        gap = (before.end_ms + after.start_ms) / 2
        if after.start_ms - before.end_ms >= 700 and not any(a <= gap <= b for a, b in cards):
            return (before.start_ms + before.end_ms) / 2000, gap / 1000
    return None


def findings(folder: Path, record: EpisodeRecord, show: Show) -> Iterator[Finding]:
    slug = record.episode.slug
    mp4 = folder / video_file(slug)
    if not show.video:
        yield Finding("video", "skip", "no video edition (show.yaml `video: true` makes one)")
        return
    if not mp4.is_file():
        yield Finding("video", "fail", f"{mp4.name} is missing; build the episode again (or `audiopipe video {slug}`)")
        return
    try:
        duration, lines, errors = streams(mp4)
    except ToolError as exc:
        yield Finding("video", "fail", f"{mp4.name} does not decode ({exc.message}); make it again: `audiopipe video {slug}`")
        return
    want = record.episode.duration_ms / 1000
    problems = [f"decoding said {errors[0]!r}"] if errors else []
    if not any("Video: h264" in ln and "1920x1080" in ln for ln in lines):
        problems.append("no H.264 1920x1080 picture")
    if not any("Audio: aac" in ln for ln in lines):
        problems.append("no AAC sound")
    if abs(duration - want) > TOLERANCE_S:
        problems.append(f"it lasts {duration:.2f} s, the MP3 {want:.2f} s")
    moments = caption_moments(record)
    if moments is not None and not problems:
        inside, pause = (frame(mp4, at, (480, 270)) for at in moments)
        if float(np.abs(inside - pause)[150:].mean()) < 0.5:
            problems.append(f"no caption drawn at {moments[0]:.1f} s")
    clips = video.clips_of(record)
    for clip in clips:
        path = folder / clip.file
        if not path.is_file():
            problems.append(f"clip {clip.file} is missing")
            continue
        seconds, clip_lines, _ = streams(path)
        if not any("1080x1920" in ln for ln in clip_lines) or seconds > video.CLIP_MAX_S + TOLERANCE_S:
            problems.append(f"clip {clip.file} is not 1080x1920 or runs past {video.CLIP_MAX_S:g} s ({seconds:.1f} s)")
    if problems:
        yield Finding("video", "fail", f"{mp4.name}: {'; '.join(problems)}; make it again: `audiopipe video {slug}`")
    else:
        yield Finding("video", "pass", f"{mp4.name}: H.264 1920x1080 + AAC, {duration:.2f} s as the MP3, captions "
                      f"drawn; {len(clips)} vertical clip(s)")
