"""What QA's naturalness score costs (bench/run.py): the takes of an episode already built, scored the
first time (CPU and wall time in this process, onnxruntime's threads included) and again (kept in each
take's cache record: nothing is scored)."""

from __future__ import annotations

import json
import time
import types
from pathlib import Path
from typing import Any


def measure(folder: Path, cache: Path) -> dict[str, Any]:
    """*folder*: an episode built (its report.json names its takes) with the take cache *cache*."""
    from audiopipe.dsp import naturalness
    from audiopipe.synth import scored
    from audiopipe.synth.cache import TakeCache
    if not scored.enabled():
        return {"skipped": naturalness.unavailable() or "$AUDIOPIPE_NATURALNESS is off"}
    report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    takes = TakeCache(cache)
    infos = [takes.get(seg["take"]) for seg in report["segments"]]
    results = [types.SimpleNamespace(info=info) for info in infos if info is not None]
    audio_s = sum(r.info.duration_ms for r in results) / 1000
    naturalness._session()                       # the model built once per process: timed apart
    cpu, wall = time.process_time(), time.perf_counter()
    first = scored.naturalness(results, takes)   # type: ignore[arg-type]
    first_cpu, first_wall = time.process_time() - cpu, time.perf_counter() - wall
    cpu, wall = time.process_time(), time.perf_counter()
    again = scored.naturalness([types.SimpleNamespace(info=takes.get(k)) for k in first], takes)  # type: ignore[arg-type, misc]
    again_cpu, again_wall = time.process_time() - cpu, time.perf_counter() - wall
    start = time.perf_counter()
    naturalness._SESSION = None
    naturalness._session()
    build_s = time.perf_counter() - start
    values = sorted(first.values())
    return {"takes": len(results), "audio_s": round(audio_s, 1), "first_cpu_s": round(first_cpu, 2),
            "first_wall_s": round(first_wall, 2), "again_cpu_s": round(again_cpu, 3), "again_wall_s": round(again_wall, 3),
            "model_load_s": round(build_s, 2), "same_again": again == first,
            "cpu_per_audio_minute_s": round(first_cpu / max(1e-9, audio_s) * 60, 2),
            "mean": round(sum(values) / max(1, len(values)), 2), "lowest": values[0] if values else None}


def lines(r: dict[str, Any]) -> list[str]:
    if "skipped" in r:
        return [f"naturalness: skipped: {r['skipped']}"]
    return [f"naturalness (QA's predicted listener score) of the demo's {r['takes']} takes, {r['audio_s']:.0f} s of audio:",
            f"  first time {r['first_cpu_s']:.2f} CPU-s ({r['first_wall_s']:.2f} s wall; "
            f"{r['cpu_per_audio_minute_s']:.2f} CPU-s per audio minute); again {r['again_cpu_s']:.3f} CPU-s (kept); "
            f"the model built in {r['model_load_s']:.2f} s once per process; mean {r['mean']:.2f}, lowest {r['lowest']:.2f}"]
