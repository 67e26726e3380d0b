"""Helpers of the tests that build an episode from the command line and read what it says."""

from __future__ import annotations

import atexit
import base64
import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

from audiopipe.cli import main
from tests.conftest import TWO_STORIES, write

SHOW = """
    title: "Morning Test"
    description: "A test show."
    owner_email: "owner@example.com"
    base_url: "https://example.com/podcast/"
    """


PLAIN = SHOW.rstrip() + "\n    editions: false\n"
"""The show without language editions: for the tests that look at other things."""


def episode(tmp_path: Path, slug: str = "two-stories", text: str = TWO_STORIES, show: str = PLAIN) -> Path:
    write(tmp_path / "episodes" / "show.yaml", show)
    return write(tmp_path / "episodes" / f"{slug}.yaml", text)


def build(manifest: Path, out: Path, *extra: str) -> int:
    return main(["build", str(manifest), "--engine", "espeak", "--out", str(out), *extra])


_BUILT: dict[str, Path] = {}
SHARED = "audiopipe-built-{pid}"
"""Under the temporary folder: the builds shared by the pytest-xdist workers of one run (named by the pid
of the run's main process, which removes it when the session ends: conftest.pytest_sessionfinish)."""


def shared_folder(run_pid: int) -> Path:
    """Where the workers of the run whose main process is *run_pid* share their builds."""
    return Path(tempfile.gettempdir()) / SHARED.format(pid=run_pid)


def _shared() -> Path | None:
    """The folder the workers of this run share, or None outside pytest-xdist."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return None
    root = shared_folder(os.getppid())
    root.mkdir(exist_ok=True)
    return root


def _make(folder: Path, make: Callable[[Path], None]) -> None:
    cache = os.environ["AUDIOPIPE_CACHE"]
    os.environ["AUDIOPIPE_CACHE"] = str(folder / ".cache")
    try:
        make(folder)
    finally:
        os.environ["AUDIOPIPE_CACHE"] = cache


def _shared_build(shared: Path, key: str, make: Callable[[Path], None]) -> Path:
    """*key*'s build in the shared folder: made by the worker that claims it first (the claim is a file
    created exclusively: not a lock held open, which the processes a build forks, such as espeak's zygote,
    would inherit and hold for ever); the others wait for its `.done`, or build it themselves if the
    claimer gave up."""
    import time
    folder, claim, done = shared / key, shared / f"{key}.claim", shared / f"{key}.done"
    while not done.is_file():
        try:
            os.close(os.open(claim, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            time.sleep(0.2)
            continue
        try:
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            _make(folder, make)
            done.touch()
        finally:
            if not done.is_file():
                claim.unlink(missing_ok=True)        # failed: another worker may try
    return folder


def built_once(tmp_path: Path, key: str, make: Callable[[Path], None]) -> None:
    """What *make(folder)* builds, copied into *tmp_path* and this test's take cache.  The first test of
    the run to ask for *key* builds it (into a folder of its own, with a take cache of its own; the other
    workers wait for it); later ones get a copy of the same bytes instead of building the
    same episode again.  For tests whose subject is what they do to a built episode, not the build."""
    if key not in _BUILT:
        shared = _shared()
        if shared is None:
            folder = Path(tempfile.mkdtemp(prefix=f"built-{key}-"))
            _make(folder, make)
            atexit.register(shutil.rmtree, folder, True)
        else:
            folder = _shared_build(shared, key, make)
        _BUILT[key] = folder
    shutil.copytree(_BUILT[key] / ".cache", os.environ["AUDIOPIPE_CACHE"], dirs_exist_ok=True)
    shutil.copytree(_BUILT[key], tmp_path, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".cache"))


def built_episode(tmp_path: Path, show: str = PLAIN) -> tuple[Path, Path]:
    """The two-story episode (`episode`) built with espeak into ``tmp_path/out``, as by `build` (a copy
    of this worker's first such build: see `built_once`); its manifest and output folder."""
    def make(folder: Path) -> None:
        assert build(episode(folder, show=show), folder / "out") == 0
    built_once(tmp_path, f"two-stories-{hashlib.sha256(show.encode()).hexdigest()[:12]}", make)
    return tmp_path / "episodes" / "two-stories.yaml", tmp_path / "out"


def one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert err and err[-1].startswith("error: ")
    assert "Traceback" not in "\n".join(err)
    return err[-1]


def feed_items(out: Path) -> int:
    return (out / "feed.xml").read_text(encoding="utf-8").count("<item>")


def served_file(out: Path, slug: str, name: str) -> Path:
    """The published copy of *name* (a file of the episode folder) that the feed points at."""
    from audiopipe.publish.feed import read_served
    found = read_served(out / slug)
    assert found is not None, f"{slug} is not published"
    path = found[1].path(name)
    assert path is not None, f"{slug}: {name} is not published"
    return path


def feed_agrees(out: Path, base_url: str = "https://example.com/podcast/") -> int:
    """Every enclosure the feeds list is a whole file under output/ of the length they say; how many."""
    import xml.etree.ElementTree as ET
    checked = 0
    for feed in sorted(out.glob("feed*.xml")):
        root = ET.parse(feed).getroot()
        for element in root.iter():
            url, length = element.get("url") or element.get("uri"), element.get("length")
            if element.tag == "enclosure" or element.tag.endswith("alternateEnclosure"):
                source = element.find("{https://podcastindex.org/namespace/1.0}source")
                url = url if source is None else source.get("uri")
                assert url and url.startswith(base_url), url
                path = out / url[len(base_url):]
                assert path.is_file() and str(path.stat().st_size) == length, (feed.name, url, length)
                integrity = element.find("{https://podcastindex.org/namespace/1.0}integrity")
                if integrity is not None:                # SRI: the sha384 of the bytes served
                    digest = base64.b64encode(hashlib.sha384(path.read_bytes()).digest()).decode()
                    assert integrity.get("value") == f"sha384-{digest}", (feed.name, url)
                checked += 1
    return checked
