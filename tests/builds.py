"""Helpers of the tests that build an episode from the command line and read what it says."""

from __future__ import annotations

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


def episode(tmp_path: Path, slug: str = "two-stories", text: str = TWO_STORIES) -> Path:
    write(tmp_path / "episodes" / "show.yaml", SHOW)
    return write(tmp_path / "episodes" / f"{slug}.yaml", text)


def build(manifest: Path, out: Path, *extra: str) -> int:
    return main(["build", str(manifest), "--engine", "espeak", "--out", str(out), *extra])


def one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert err and err[-1].startswith("error: ")
    assert "Traceback" not in "\n".join(err)
    return err[-1]


def feed_items(out: Path) -> int:
    return (out / "feed.xml").read_text(encoding="utf-8").count("<item>")


