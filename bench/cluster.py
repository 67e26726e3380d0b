"""The cluster part of `make bench`: real `dask scheduler` / `dask worker` processes on this machine.

* Kokoro: one batch of generated episodes on one worker, then the same batch (a fresh client cache) on
  two workers, one thread each: the throughput ratio.
* espeak: a batch of 8 episodes built on two workers against the same batch built here (``--jobs 2``):
  the cluster's overhead on tiny tasks.
* The cost model: takes and minutes of speech per minute of one worker core, per engine.
* The client's peak memory for a batch of 4 and of 16 episodes on the cluster (it should stay flat).

Workers are started (and warmed with a first take: Kokoro loads its model once per worker process)
before the clock starts, as long-lived workers on real hosts would be.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.clusters import cluster  # noqa: E402  (the tests' real-process cluster, shared)


def _process(cmd: list[str]) -> tuple[float, float, str]:
    """(wall seconds, peak RSS in MB, stderr) of one child process; exits the bench when it fails."""
    t0 = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, cwd=REPO)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        err.seek(0)
        text = err.read().decode("utf-8", "replace")
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"bench: {' '.join(cmd[3:6])}… failed: {text.strip()[-400:]}")
    return wall, usage.ru_maxrss / 1024, text


def _batch(paths: list[Path], out: Path, cache: Path, engine: str, scheduler: str | None) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "audiopipe", "build", *map(str, paths), "--out", str(out), "--cache", str(cache),
           "--engine", engine, "--no-qa", "--no-feed", "--jobs", "2"]
    if scheduler:
        cmd += ["--scheduler", scheduler]
    wall, rss, log = _process(cmd)
    synth = re.findall(r"^synthesizing (\d+)/\1 done \((\d+) s\)", log, re.M)   # the progress lines of a log
    reports = [json.loads((out / p.stem / "report.json").read_text(encoding="utf-8")) for p in paths]
    segments = [s for r in reports for s in r["segments"]]
    return {"wall_s": round(wall, 2), "peak_mb": round(rss, 1), "takes": len(segments),
            "synthesis_s": int(synth[-1][1]) if synth else None,
            "speech_s": round(sum(s["end_ms"] - s["start_ms"] for s in segments) / 1000, 1),
            "workers": sorted({s["worker"] for s in segments if s["worker"]})}


def _warm(address: str, engine: str, work: Path, make: Callable[[Path, float], Path]) -> None:
    """One small build so that every worker has built its engine before timing."""
    paths = [make(work / f"warm-{engine}-{i}.yaml", 0.3) for i in range(2)]
    _batch(paths, work / "warm-out", work / f"warm-cache-{engine}-{time.monotonic_ns()}", engine, address)


def measure(work: Path, make: Callable[[Path, float], Path], smoke: bool = False) -> dict[str, Any]:
    """*make(path, minutes)* writes a manifest of unique stories."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        return {"skipped": "the cluster extra is not installed"}
    out: dict[str, Any] = {}
    kokoro_minutes, kokoro_n = (0.3, 2) if smoke else (3.0, 2)
    espeak_minutes = 0.3 if smoke else 3.0
    kokoro = [make(work / f"cluster-kokoro-{i}.yaml", kokoro_minutes) for i in range(kokoro_n)]
    espeak = [make(work / f"cluster-espeak-{i}.yaml", espeak_minutes) for i in range(2 if smoke else 8)]
    runs: dict[int, dict[str, Any]] = {}
    for workers in (1, 2):
        with cluster(work / f"cluster-{workers}", workers=workers) as c:
            if smoke:
                out["kokoro"] = {"skipped": "smoke mode"}
                kokoro = []
            try:
                if not kokoro:
                    raise SystemExit("smoke mode")
                _warm(c.address, "kokoro", work, make)
            except SystemExit as exc:            # smoke mode, or the kokoro extra is missing
                out["kokoro"] = {"skipped": str(exc)[:200]}
            else:
                runs[workers] = _batch(kokoro, work / f"k-out-{workers}", work / f"k-cache-{workers}", "kokoro",
                                       c.address)
            if workers == 2:
                _warm(c.address, "espeak", work, make)
                remote = _batch(espeak, work / "e-out-cluster", work / "e-cache-cluster", "espeak", c.address)
                local = _batch(espeak, work / "e-out-local", work / "e-cache-local", "espeak", None)
                out["espeak"] = {"episodes": len(espeak), "cluster": remote, "local": local,
                                 "cluster_vs_local": round(remote["wall_s"] / local["wall_s"], 2)}
                out["client_memory"] = _client_memory(c.address, work, make, smoke)
            if workers == 1:
                one = _batch(espeak, work / "e-out-one", work / "e-cache-one", "espeak", c.address)
                out["espeak_one_worker"] = one
    if len(runs) == 2:
        out["kokoro"] = {"episodes": kokoro_n, "one_worker": runs[1], "two_workers": runs[2],
                         "throughput_ratio": round(runs[1]["wall_s"] / runs[2]["wall_s"], 2),
                         "synthesis_ratio": round(runs[1]["synthesis_s"] / max(1, runs[2]["synthesis_s"]), 2)}
    out["cost_model"] = _cost_model(out)
    return out


def _client_memory(address: str, work: Path, make: Callable[[Path, float], Path], smoke: bool) -> dict[str, Any]:
    rows = {}
    for n in ((1, 2) if smoke else (4, 16)):
        paths = [make(work / f"mem-{n}-{i}.yaml", 0.3 if smoke else 1.0) for i in range(n)]
        rows[n] = _batch(paths, work / f"mem-out-{n}", work / f"mem-cache-{n}", "espeak", address)
    small, large = (rows[k] for k in sorted(rows))
    return {"episodes": sorted(rows), "peak_mb": [small["peak_mb"], large["peak_mb"]],
            "ratio": round(large["peak_mb"] / small["peak_mb"], 2)}


def _cost_model(out: dict[str, Any]) -> dict[str, Any]:
    """Per minute of one worker core (a one-thread worker): takes made, and minutes of speech made."""
    model = {}
    for engine, row in (("kokoro", out.get("kokoro", {}).get("one_worker")), ("espeak", out.get("espeak_one_worker"))):
        if row:
            minutes = (row["synthesis_s"] or row["wall_s"]) / 60      # the worker's time on the takes
            model[engine] = {"takes_per_core_minute": round(row["takes"] / minutes, 1),
                             "speech_minutes_per_core_minute": round(row["speech_s"] / 60 / minutes, 2)}
    return model


def lines(r: dict[str, Any]) -> list[str]:
    if "skipped" in r:
        return [f"cluster: skipped: {r['skipped']}"]
    out = ["cluster (dask scheduler + one-thread workers on this machine):"]
    k = r.get("kokoro", {})
    if "skipped" in k:
        out.append(f"  kokoro: skipped: {k['skipped']}")
    elif k:
        out.append(f"  kokoro, {k['episodes']} episodes ({k['one_worker']['takes']} takes, "
                   f"{k['one_worker']['speech_s']:.0f} s of speech): one worker {k['one_worker']['wall_s']:.1f} s, "
                   f"two workers {k['two_workers']['wall_s']:.1f} s -> throughput {k['throughput_ratio']}x "
                   f"(synthesis alone {k['one_worker']['synthesis_s']} s / {k['two_workers']['synthesis_s']} s "
                   f"= {k['synthesis_ratio']}x)")
    e = r["espeak"]
    out.append(f"  espeak, {e['episodes']} episodes: cluster {e['cluster']['wall_s']:.1f} s, here --jobs 2 "
               f"{e['local']['wall_s']:.1f} s -> cluster/local {e['cluster_vs_local']}x")
    m = r["client_memory"]
    out.append(f"  client peak memory: {m['episodes'][0]} episodes {m['peak_mb'][0]:.0f} MB, "
               f"{m['episodes'][1]} episodes {m['peak_mb'][1]:.0f} MB ({m['ratio']}x)")
    for engine, row in r["cost_model"].items():
        out.append(f"  cost model, {engine}: {row['takes_per_core_minute']} takes and "
                   f"{row['speech_minutes_per_core_minute']} minutes of speech per worker-core minute")
    return out
