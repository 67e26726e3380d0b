"""Files readable by a web server, and every failure of the machine (an unwritable or full folder, a
read-only one) is one line, exit 2, nothing half-written."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from audiopipe.cli import main
from tests.builds import SHOW, build, built_episode, episode, feed_agrees, feed_items, one_error_line, served_file
from tests.conftest import TWO_STORIES, cache_root, read_json, write

pytestmark = pytest.mark.e2e


# ---- files ---------------------------------------------------------------------------------------

def test_files_get_the_mode_open_gives_and_stale_parts_are_swept(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    manifest, out = episode(tmp_path), tmp_path / "out"
    stale = out / "two-stories" / ".two-stories.mp3.x1y2.part"
    stale_cache = cache_root() / "takes" / "ab" / ".abc.wav.q.part"
    for part in (stale, stale_cache):
        part.parent.mkdir(parents=True, exist_ok=True)
        part.write_bytes(b"\0" * 1000)
        os.utime(part, (time.time() - 3600, time.time() - 3600))
    old = os.umask(0o022)
    try:
        assert build(manifest, out) == 0
    finally:
        os.umask(old)
    assert not stale.exists() and not stale_cache.exists()
    assert "removed 1 unfinished file(s)" in capsys.readouterr().err
    folder = out / "two-stories"
    published = [out / "feed.xml", out / "artwork.png", folder / "two-stories.mp3", folder / "report.json",
                 folder / "transcript.vtt", folder / "chapters.json", folder / "qa.html",
                 folder / "segments" / "01-en.mp3"]
    assert {p.name: oct(p.stat().st_mode & 0o777) for p in published} == {p.name: "0o644" for p in published}
    assert not list(out.rglob("*.part"))


def test_a_build_leaves_another_running_builds_files_in_progress_alone(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Two builds into one output folder and cache: each sweeps only what a dead process left."""
    manifest, out = episode(tmp_path), tmp_path / "out"
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])   # a build still running
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)                                                   # one that was killed
    try:
        hour_ago = time.time() - 3600
        running = [out / "two-stories" / f".two-stories.mp3.{other.pid}.ab12cd.part",
                   cache_root() / "takes" / "ab" / f".abc.wav.{other.pid}.zz9.part",
                   out / f".audiopipe-probe.{other.pid}.q1.part"]
        dead = [out / "two-stories" / f".two-stories.mp3.{gone.stdout.strip()}.ef34gh.part"]
        for part in running + dead:
            part.parent.mkdir(parents=True, exist_ok=True)
            part.write_bytes(b"\0" * 100)
            os.utime(part, (hour_ago, hour_ago))
        assert build(manifest, out) == 0
        assert all(p.exists() for p in running) and not any(p.exists() for p in dead)
        assert "removed 1 unfinished file(s)" in capsys.readouterr().err
    finally:
        other.kill()
        other.wait()


def test_two_builds_of_one_episode_take_turns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest, out = episode(tmp_path), tmp_path / "out"
    lock = out / "two-stories" / ".build.lock"
    lock.parent.mkdir(parents=True)
    holder = subprocess.Popen([sys.executable, "-c", f"""
import fcntl, sys, time
f = open({str(lock)!r}, "a+"); fcntl.flock(f, fcntl.LOCK_EX); f.truncate(0); f.write("pid 4242"); f.flush()
print("locked", flush=True); time.sleep(60)"""], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        assert build(manifest, out) == 2
        assert one_error_line(capsys) == (f"error: {lock.parent}: episode 'two-stories' is being built by pid 4242 "
                                          "right now; wait for it to finish, or build into another --out")
        assert not (out / "two-stories" / "two-stories.mp3").exists()
    finally:
        holder.kill()
        holder.wait()
    assert build(manifest, out) == 0                                   # once it is done, the build goes on
    assert (out / "two-stories" / "two-stories.mp3").is_file()
    assert not (out / "two-stories" / "published" / ".build.lock").exists()


# ---- the machine ---------------------------------------------------------------------------------

def test_an_output_folder_that_is_a_file_or_unwritable_is_one_line(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    manifest = episode(tmp_path)
    blocker = write(tmp_path / "a-file", "x")
    assert build(manifest, blocker) == 2
    assert one_error_line(capsys) == (f"error: {blocker}: cannot use it as the output folder (not a directory); "
                                      "a file stands where a folder is needed; choose another path")
    assert build(manifest, Path("/proc/audiopipe-out")) == 2
    assert one_error_line(capsys).startswith("error: /proc/audiopipe-out: cannot use it as the output folder (")
    assert build(manifest, tmp_path / "o", "--cache", str(blocker)) == 2
    assert one_error_line(capsys).startswith(f"error: {blocker}: cannot use it as the cache folder (not a directory)")
    assert not (tmp_path / "o" / "two-stories").exists()


@contextlib.contextmanager
def small_disk(where: Path, size: str) -> Iterator[Path]:
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                          capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here to fill a disk ({done.stderr.decode().strip()}); "
                    "needs root and mount")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True, check=False)


@pytest.mark.parametrize("size", ["64k", "300k", "900k", "1500k"])
def test_a_full_disk_is_one_line_and_leaves_nothing_half_written(tmp_path: Path, size: str,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    manifest = episode(tmp_path)
    with small_disk(tmp_path / "disk", size) as disk:
        code = build(manifest, disk / "out", "--cache", str(disk / "cache"))
        if code == 0:
            pytest.skip(f"the episode fitted in {size}")
        assert code == 2
        line = one_error_line(capsys)
        assert "(disk full); free some space and run it again" in line and ".part" not in line
        assert not list(disk.rglob("*.part"))
        mp3 = disk / "out" / "two-stories" / "two-stories.mp3"
        assert not mp3.exists() or read_json(mp3.parent / "report.json")


def test_a_read_only_output_folder_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = episode(tmp_path)
    with small_disk(tmp_path / "ro", "1m") as disk:
        (disk / "out").mkdir()
        if subprocess.run(["mount", "-o", "remount,ro", str(disk)], capture_output=True).returncode:
            pytest.skip("cannot remount read-only here")
        assert build(manifest, disk / "out") == 2
        assert one_error_line(capsys) == (f"error: {disk / 'out'}: cannot use it as the output folder (read-only "
                                          "file system); choose a writable folder")
        assert main(["import", str(write(tmp_path / "s.txt", "Markets rose.\n\n市场上涨。\n")), "-o",
                     str(disk / "out" / "s.yaml")]) == 2
        assert one_error_line(capsys).startswith(f"error: {disk / 'out' / 's.yaml'}: cannot write (read-only")


def _whole(out: Path, seen: dict[Path, tuple[float, int]]) -> None:
    """Everything a build left in *out* (its .part files aside) is whole: JSON parses, the feed parses,
    MP3s decode to the end (each file once, until it changes)."""
    import json
    import xml.etree.ElementTree as ET

    from audiopipe.tools import ffmpeg
    for path in out.rglob("*"):
        if path.name.endswith(".part") or not path.is_file():
            continue
        stat = path.stat()
        if seen.get(path) == (stat.st_mtime, stat.st_size):
            continue
        if path.suffix == ".json":
            json.loads(path.read_text(encoding="utf-8"))
        elif path.suffix == ".xml":
            ET.parse(path)
        elif path.suffix == ".mp3":
            assert len(ffmpeg.decode_file(path)) > 0, path
        seen[path] = (stat.st_mtime, stat.st_size)


NO_EDITIONS = SHOW.rstrip() + "\n    editions: false\n"
"""The show of the tests that build many times over: the editions are not what they prove."""


def test_a_build_killed_at_twenty_points_leaves_nothing_half_written_and_the_published_episode_as_it_was(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest, out = built_episode(tmp_path, NO_EDITIONS)
    finished = 0
    seen: dict[Path, tuple[float, int]] = {}
    cmd = [sys.executable, "-m", "audiopipe", "build", str(manifest), "--engine", "espeak", "--out", str(out),
           "--quiet"]
    env = {**os.environ, "AUDIOPIPE_CACHE": str(cache_root())}
    write(manifest, TWO_STORIES.replace("Shipping rates fell", "Shipping rates fell (0)"))
    started = time.monotonic()                       # one whole build with one new take: how long one takes here
    assert subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0
    whole = time.monotonic() - started
    for point in range(1, 21):                       # killed at 1/21 ... 20/21 of it (start-up, plan, synthesis,
        write(manifest, TWO_STORIES.replace("Shipping rates fell", f"Shipping rates fell ({point})"))
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(whole * point / 21)               # mastering, QA, promotion, feed), whatever the load
        proc.kill()
        proc.wait()
        _whole(out, seen)                            # killed anywhere: every file there is whole ...
        assert feed_agrees(out) == 1                 # ... and the feed's URL serves its length
        finished += proc.returncode == 0
    assert finished < 20 and (out / "feed.xml").read_bytes() != b""   # most runs were killed part-way
    # the next build makes what is missing, sweeps what the killed ones left, and publishes the result
    capsys.readouterr()
    assert build(manifest, out) == 0
    assert "removed" in capsys.readouterr().err or not list(out.rglob("*.part"))
    assert not list(out.rglob("*.part")) and not list(cache_root().rglob("*.part"))
    _whole(out, seen)
    assert served_file(out, "two-stories", "two-stories.mp3").read_bytes() == \
        (out / "two-stories" / "two-stories.mp3").read_bytes()
    assert feed_agrees(out) == 1


def test_three_builds_at_once_into_one_folder_and_cache_three_times(tmp_path: Path) -> None:
    out = tmp_path / "out"
    slugs = ("day-a", "day-b", "day-c")
    env = {**os.environ, "AUDIOPIPE_CACHE": str(cache_root())}
    for round_ in range(1, 4):
        procs = []
        for slug in slugs:                      # each round a new sentence: every build makes takes, promotes
            path = episode(tmp_path, slug, TWO_STORIES.replace("in a row.", f"in a row, round {round_}."),
                           NO_EDITIONS)
            procs.append(subprocess.Popen([sys.executable, "-m", "audiopipe", "build", str(path), "--engine",
                                           "espeak", "--out", str(out), "--quiet"], env=env,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))
        for proc in procs:
            _, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
        assert feed_items(out) == 3 and feed_agrees(out) == 3, round_
        for slug in slugs:                      # the feed carries this round's builds
            assert served_file(out, slug, f"{slug}.mp3").read_bytes() == (out / slug / f"{slug}.mp3").read_bytes()
    assert not list(out.rglob("*.part")) and not list(cache_root().rglob("*.part"))
