"""Progress everyone can see: tqdm bars on a terminal, plain lines at least every interval in a log,
nothing with --quiet."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest

from audiopipe.progress import Progress
from tests.conftest import run_module


def test_plain_lines_when_not_a_terminal_and_a_heartbeat_while_a_stage_runs() -> None:
    out = io.StringIO()
    with Progress(out, interval_s=1.0, tty=False) as progress:
        progress("synthesizing", 0, 3)
        progress("synthesizing", 1, 3)          # within the interval: no line
        time.sleep(2.5)                          # one long take: the heartbeat still speaks
        progress("synthesizing", 3, 3)
        progress("mastering", 0, 2)
        progress("mastering", 2, 2)
    lines = out.getvalue().splitlines()
    assert lines[0] == "synthesizing 0/3 … (0 s)"
    assert any(line.startswith("synthesizing 1/3 … (") for line in lines[1:-3]), lines
    assert lines[-3].startswith("synthesizing 3/3 done (")
    assert lines[-2:] == ["mastering 0/2 … (0 s)", "mastering 2/2 done (0 s)"]


def test_a_terminal_gets_a_tqdm_bar() -> None:
    out = io.StringIO()
    with Progress(out, tty=True) as progress:
        for done in range(4):
            progress("checking", done, 3)
    text = out.getvalue()
    assert "\r" in text and "checking" in text and "3/3" in text


@pytest.mark.e2e
def test_a_build_in_a_log_reports_each_stage_and_quiet_silences_it(two_stories: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = run_module("build", str(two_stories), "--engine", "espeak", "--out", str(out), "--no-feed")
    assert proc.returncode == 0, proc.stderr
    for stage in ("synthesizing", "mastering", "checking"):
        assert f"{stage} 0/" in proc.stderr and any(line.startswith(stage) and " done (" in line
                                                     for line in proc.stderr.splitlines()), stage
    quiet = run_module("build", str(two_stories), "--engine", "espeak", "--out", str(out), "--no-feed",
                       "--remaster", "--quiet")
    assert quiet.returncode == 0, quiet.stderr
    assert not any(word in quiet.stderr for word in ("synthesizing", "mastering", "checking"))
