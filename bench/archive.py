"""A long archive, made quickly: one built episode folder copied under N slugs and dates, as a daily
show's output folder looks after N days (the same takes under N dates); and what a feed refresh, a new
episode's build and a re-take cost beside it (`measure`, part of `make bench`).

`python bench/archive.py TEMPLATE OUT N` copies the built episode folder TEMPLATE (with its report.json,
qa.json, MP3s and published/ folder) to OUT/day-0001 ... OUT/day-N, each with its own slug, title, date
and guid, its files renamed after its slug.  The files are hard links (the same bytes, so QA's verdict on
them still holds); audiopipe replaces files, never rewrites them in place, so the links are safe.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

FIRST_DAY = dt.date(2024, 1, 1)


def _renamed(name: str, old: str, new: str) -> str:
    return new + name[len(old):] if name.startswith(old) else name


def copy_episode(template: Path, target: Path, number: int) -> None:
    """*template* as the episode of day *number*: a folder of its own, every name and id its own."""
    old = template.name
    new = target.name
    target.mkdir(parents=True)
    for path in template.iterdir():
        dest = target / _renamed(path.name, old, new)
        if path.name == "published":
            dest.mkdir()
            for served in path.iterdir():
                if served.name != "published.json":
                    os.link(served, dest / _renamed(served.name, old, new))
        elif path.is_dir():
            shutil.copytree(path, dest, copy_function=os.link)
        elif path.name != "report.json":
            os.link(path, dest)
    record = json.loads((template / "report.json").read_text(encoding="utf-8"))
    day = FIRST_DAY + dt.timedelta(days=number - 1)
    episode = record["episode"]
    episode.update(slug=new, title=f"Day {number}: {episode['title']}", date=day.isoformat(),
                   file=_renamed(episode["file"], old, new), episode=number)
    record["guid"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"audiopipe-bench:{new}"))
    for edition in record.get("editions", []):
        for key in ("file", "transcript", "chapters_file"):
            edition[key] = _renamed(edition[key], old, new)
        edition["guid"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"audiopipe-bench:{new}:{edition['lang']}"))
    (target / "report.json").write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    served = template / "published" / "published.json"
    if served.is_file():                       # the copy as published: its names, and the record it was then
        data = json.loads(served.read_text(encoding="utf-8"))
        data["files"] = {_renamed(k, old, new): _renamed(v, old, new) for k, v in data["files"].items()}
        data["integrity"] = {_renamed(k, old, new): v for k, v in data["integrity"].items()}
        data["record"] = record
        (target / "published" / "published.json").write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n",
                                                             encoding="utf-8")


def make_archive(template: Path, out: Path, count: int) -> list[Path]:
    """OUT/day-0001 ... OUT/day-COUNT, copies of *template* (folders already there are kept)."""
    made = []
    for number in range(1, count + 1):
        target = out / f"day-{number:04d}"
        if not target.is_dir():
            copy_episode(template, target, number)
        made.append(target)
    return made


def _run(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of one child process; raises when it fails."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    assert proc.stderr is not None
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    err = proc.stderr.read().decode("utf-8", "replace")
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"bench: {' '.join(cmd[2:5])}… failed: {err.strip()[-400:]}")
    return wall, usage.ru_maxrss / 1024


def kept_archive(template: Path, show: Path, count: int, keep: Path) -> Path:
    """An archive of *count* copies of *template*, refreshed once (its index and feeds made), kept under
    *keep* between runs (named by the template's record, so a new audiopipe makes a new one)."""
    key = hashlib.sha256((template / "report.json").read_bytes()).hexdigest()[:12]
    folder = keep / f"archive-{count}-{key}"
    if not (folder / "feed.xml").is_file():
        shutil.rmtree(folder, ignore_errors=True)
        for stale in keep.glob(f"archive-{count}-*"):
            shutil.rmtree(stale, ignore_errors=True)
        make_archive(template, folder, count)
        _run([sys.executable, "-m", "audiopipe", "feed", "--out", str(folder), "--show", str(show)])
    return folder


IN_PROCESS = """
import sys, time
from pathlib import Path
from audiopipe.config.show import load_show
from audiopipe.review.release import refresh_feed
show = load_show(Path(sys.argv[2]))
started = time.perf_counter()
refresh_feed(Path(sys.argv[1]), show)
elapsed = time.perf_counter() - started
peak = next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(elapsed, int(peak) / 1024)
"""


def _in_process(out: Path, show: Path, env: dict[str, str]) -> tuple[float, float]:
    """The refresh call alone, in a process of its own (imports and start-up left out), and the process's
    peak memory in MB (VmHWM: this process image's own, not what a fork shared with the bench)."""
    done = subprocess.run([sys.executable, "-c", IN_PROCESS, str(out), str(show)], env=env, capture_output=True,
                          text=True, check=True)
    seconds, peak = done.stdout.strip().splitlines()[-1].split()
    return float(seconds), float(peak)


def _change_one(out: Path, round_: int) -> None:
    """One record changed (its title), as a rebuild of one episode does."""
    report = out / "day-0001" / "report.json"
    report.write_text(report.read_text(encoding="utf-8").replace('"title": "Day 1', f'"title": "Day 1 ({round_})', 1),
                      encoding="utf-8")


def _fresh_copy(kept: Path, target: Path) -> Path:
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(kept, target, copy_function=os.link)
    return target


def measure(template: Path, manifest: Path, show: Path, work: Path, keep: Path, runs: int = 3,
            sizes: tuple[int, ...] = (1, 1000)) -> dict[str, Any]:
    """At each archive size: `audiopipe feed` with nothing changed and with one record changed, a new
    episode's build (espeak, its takes cached) and a re-take of one of its segments (espeak), as processes,
    medians of *runs*."""
    env = {**os.environ, "AUDIOPIPE_CACHE": str(work / "archive-cache")}
    feed = [sys.executable, "-m", "audiopipe", "feed", "--show", str(show), "--out"]
    new = work / "episodes" / "bench-new.yaml"
    new.parent.mkdir(parents=True, exist_ok=True)
    new.write_text(manifest.read_text(encoding="utf-8"), encoding="utf-8")     # the demo under a slug of its own
    build = [sys.executable, "-m", "audiopipe", "build", str(new), "--engine", "espeak", "--show", str(show),
             "--quiet", "--out"]
    _run([*build, str(work / "archive-warmup")], env)            # the takes, once: every build after reuses them
    result: dict[str, Any] = {}
    for size in sizes:
        kept = kept_archive(template, show, size, keep)
        nothing, changed, nothing_in, changed_in, built, retaken, peak = [], [], [], [], [], [], []
        for i in range(runs):
            out = _fresh_copy(kept, work / f"archive-{size}")
            _run([*feed, str(out)], env)          # a copy's folders are new to the index: settled once, untimed
            nothing.append(_run([*feed, str(out)], env)[0])
            seconds, unchanged_mb = _in_process(out, show, env)
            nothing_in.append(seconds)
            _change_one(out, 2 * i)
            changed.append(_run([*feed, str(out)], env)[0])
            _change_one(out, 2 * i + 1)
            seconds, changed_mb = _in_process(out, show, env)
            changed_in.append(seconds)
            peak.append(max(unchanged_mb, changed_mb))
            built.append(_run([*build, str(out)], env)[0])
            retaken.append(_run([sys.executable, "-m", "audiopipe", "retake", new.stem, "2", "--rate", str(5 + i),
                                 "--engine", "espeak", "--out", str(out), "--quiet"], env)[0])
        result[str(size)] = {"feed_unchanged_s": round(statistics.median(nothing), 3),
                             "refresh_unchanged_s": round(statistics.median(nothing_in), 3),
                             "feed_one_changed_s": round(statistics.median(changed), 3),
                             "refresh_one_changed_s": round(statistics.median(changed_in), 3),
                             "feed_peak_mb": round(statistics.median(peak), 1),
                             "new_build_s": round(statistics.median(built), 3),
                             "retake_s": round(statistics.median(retaken), 3)}
    small, large = result[str(sizes[0])], result[str(sizes[-1])]
    result["new_build_dearer_s"] = round(large["new_build_s"] - small["new_build_s"], 3)
    result["retake_dearer_s"] = round(large["retake_s"] - small["retake_s"], 3)
    return result


if __name__ == "__main__":
    made = make_archive(Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]))
    print(f"{len(made)} episodes in {sys.argv[2]}")
