"""report.json: what was built — segments, voices, engines, timings, loudness."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from audiopipe import __version__
from audiopipe.audio import Loudness
from audiopipe.manifest import Manifest
from audiopipe.mix import Timeline
from audiopipe.fsutil import write_text


def make_report(manifest: Manifest, timeline: Timeline, loudness: Loudness,
                segment_files: dict[int, str], synthesized: int, cached: int,
                elapsed_s: float) -> dict[str, Any]:
    segments = []
    chapters: list[dict[str, Any]] = []
    for clip in timeline.speech():
        assert clip.result is not None
        job, info = clip.result.job, clip.result.info
        seg = job.segment
        # word times are relative to the take; the take was trimmed by (lead - pause)
        from audiopipe.mix import EDGE_PAUSE_MS
        shift = clip.start_ms - max(0, info.lead_ms - EDGE_PAUSE_MS)
        segments.append({
            "index": seg.index, "lang": seg.lang, "story": seg.story, "chapter": seg.chapter,
            "voice_profile": seg.profile, "engine": info.engine, "voice": info.voice,
            "text": seg.text, "spoken_text": job.text,
            "start_ms": clip.start_ms, "end_ms": clip.end_ms, "duration_ms": clip.end_ms - clip.start_ms,
            "cached": clip.result.cached, "take": info.key[:16],
            "take_loudness_lufs": info.loudness_lufs, "take_true_peak_dbtp": info.true_peak_dbtp,
            "lead_silence_ms": info.lead_ms, "trail_silence_ms": info.trail_ms,
            "file": segment_files.get(seg.index),
            "words": [{"start_ms": w.start_ms + shift, "end_ms": w.end_ms + shift, "text": w.text}
                      for w in info.words],
        })
        if seg.chapter is not None or (seg.story is not None and
                                       (not chapters or chapters[-1]["story"] != seg.story)):
            chapters.append({"story": seg.story, "title": seg.chapter or f"Story {seg.story}",
                             "start_ms": clip.start_ms})
    stingers = [{"kind": c.kind, "start_ms": c.start_ms, "end_ms": c.end_ms}
                for c in timeline.clips if c.kind != "speech"]
    return {
        "audiopipe": __version__,
        "episode": {
            "slug": manifest.slug, "title": manifest.title, "date": manifest.date.isoformat(),
            "episode": manifest.episode, "description": manifest.description,
            "manifest": str(manifest.path), "file": f"{manifest.slug}.mp3",
            "duration_ms": timeline.duration_ms,
            "loudness_lufs": loudness.integrated_lufs, "true_peak_dbtp": loudness.true_peak_dbtp,
        },
        "build": {"synthesized": synthesized, "cached": cached, "seconds": round(elapsed_s, 3)},
        "chapters": chapters,
        "stingers": stingers,
        "segments": segments,
    }


def write_report(path: Path, report: dict[str, Any]) -> None:
    write_text(path, json.dumps(report, ensure_ascii=False, indent=2) + "\n")
