"""What the video edition costs (bench/run.py): the demo's MP4 and its clips rendered from a built episode,
each timed as a process of ffmpeg's (wall time against the programme's length) with its peak memory."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


def measure(folder: Path, cover: Path, show_title: str) -> dict[str, Any]:
    """*folder*: an episode built (the MP3, report.json); *cover*: its cover."""
    from audiopipe.errors import AudiopipeError
    from audiopipe.publish import video
    from audiopipe.publish.record import EpisodeRecord
    try:
        video.font_dir()
    except AudiopipeError as exc:
        return {"skipped": exc.message}
    record = EpisodeRecord.load(folder)
    mp3 = folder / record.episode.file
    work = folder / ".bench-video"
    work.mkdir(exist_ok=True)
    started = time.perf_counter()                  # what a build runs: the same two calls, into a folder of ours
    video.episode_video(record, show_title, cover, mp3, work / "episode.mp4", work)
    episode_s = time.perf_counter() - started
    started = time.perf_counter()
    clips = video.clip_videos(record, show_title, cover, mp3, work, work)
    clips_s = time.perf_counter() - started
    clip_audio = sum(c.end_ms - c.start_ms for c in video.clips_of(record)) / 1000
    audio = record.episode.duration_ms / 1000
    for path in work.iterdir():
        path.unlink()
    work.rmdir()
    return {"audio_s": round(audio, 1), "episode_s": round(episode_s, 2), "episode_ratio": round(episode_s / audio, 3),
            "clips": len(clips), "clips_audio_s": round(clip_audio, 1), "clips_s": round(clips_s, 2),
            "clips_ratio": round(clips_s / max(1e-9, clip_audio), 3),
            "peak_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)}


def in_process_of_its_own(folder: Path, cover: Path, show_title: str) -> dict[str, Any]:
    """:func:`measure` in a fresh Python process, so that the peak memory is ffmpeg's alone."""
    done = subprocess.run([sys.executable, __file__, str(folder), str(cover), show_title], capture_output=True,
                          text=True, check=True)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def lines(r: dict[str, Any]) -> list[str]:
    if "skipped" in r:
        return [f"video: skipped: {r['skipped']}"]
    return [f"video edition of the demo ({r['audio_s']:.0f} s): the MP4 in {r['episode_s']:.2f} s = {r['episode_ratio']}x "
            f"its length; {r['clips']} vertical clips ({r['clips_audio_s']:.0f} s) in {r['clips_s']:.2f} s = "
            f"{r['clips_ratio']}x; peak {r['peak_mb']} MB (ffmpeg's largest process)"]


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    print(json.dumps(measure(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3])))
