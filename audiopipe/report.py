"""report.json: what was built — segments, voices, engines, timings, loudness."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from audiopipe import __version__
from audiopipe.audio import Loudness
from audiopipe.fsutil import write_text
from audiopipe.manifest import Manifest
from audiopipe.master import SegmentFile
from audiopipe.mix import Timeline
from audiopipe.show import Show


def make_report(manifest: Manifest, show: Show, timeline: Timeline, loudness: Loudness,
                segment_files: dict[int, SegmentFile], synthesized: int, cached: int,
                elapsed_s: float) -> dict[str, Any]:
    segments = []
    chapters: list[dict[str, Any]] = []
    for clip in timeline.speech():
        assert clip.result is not None
        job, info = clip.result.job, clip.result.info
        seg = job.segment
        shift = clip.start_ms - clip.trimmed_ms    # word times are relative to the untrimmed take
        seg_file = segment_files.get(seg.index)
        segments.append({
            "index": seg.index, "lang": seg.lang, "story": seg.story, "chapter": seg.chapter,
            "voice_profile": seg.profile, "engine": info.engine, "voice": info.voice,
            "rate": job.settings.rate,
            "text": seg.text, "spoken_text": job.text,
            "start_ms": clip.start_ms, "end_ms": clip.end_ms, "duration_ms": clip.end_ms - clip.start_ms,
            "cached": clip.result.cached, "take": info.key,
            "loudness_lufs": seg_file.loudness.integrated_lufs if seg_file else None,
            "true_peak_dbtp": seg_file.loudness.true_peak_dbtp if seg_file else None,
            "gain_db": clip.gain_db,
            "take_loudness_lufs": info.loudness_lufs, "take_true_peak_dbtp": info.true_peak_dbtp,
            "lead_silence_ms": info.lead_ms, "trail_silence_ms": info.trail_ms,
            "file": f"segments/{seg_file.path.name}" if seg_file else None,
            "word_timings": info.timings,
            "words": [{"start_ms": w.start_ms + shift, "end_ms": w.end_ms + shift, "text": w.text}
                      for w in info.words],
        })
        if seg.story is not None and (not chapters or chapters[-1]["story"] != seg.story):
            chapters.append({"story": seg.story, "title": seg.chapter or f"Story {seg.story}",
                             "start_ms": clip.start_ms})
    if chapters:
        chapters[0]["start_ms"] = 0          # the first chapter takes in the intro
    for i, chapter in enumerate(chapters):
        chapter["end_ms"] = chapters[i + 1]["start_ms"] if i + 1 < len(chapters) else timeline.duration_ms
    stingers = [{"kind": c.kind, "start_ms": c.start_ms, "end_ms": c.end_ms, "gain_db": c.gain_db}
                for c in timeline.clips if c.kind != "speech"]
    lo, hi = show.window
    return {
        "audiopipe": __version__,
        "episode": {
            "slug": manifest.slug, "title": manifest.title, "date": manifest.date.isoformat(),
            "episode": manifest.episode, "description": manifest.description,
            "manifest": str(manifest.path), "file": f"{manifest.slug}.mp3",
            "order": list(manifest.order), "mode": "stories" if manifest.stories else "script",
            "duration_ms": timeline.duration_ms,
            "loudness_lufs": loudness.integrated_lufs, "true_peak_dbtp": loudness.true_peak_dbtp,
            "target_lufs": show.target_lufs, "true_peak_limit_dbtp": show.true_peak_dbtp,
            "window_s": [round(lo, 1), round(hi, 1)],
        },
        "build": {"synthesized": synthesized, "cached": cached, "seconds": round(elapsed_s, 3)},
        "chapters": chapters,
        "stingers": stingers,
        "bed": None if timeline.bed is None else {
            "file": str(show.bed), "start_ms": timeline.bed.start * 1000 // 44100,
            "end_ms": timeline.bed.end * 1000 // 44100},
        "segments": segments,
    }


def write_report(path: Path, report: dict[str, Any]) -> None:
    write_text(path, json.dumps(report, ensure_ascii=False, indent=2) + "\n")
