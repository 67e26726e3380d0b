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


def episode(tmp_path: Path, slug: str = "two-stories", text: str = TWO_STORIES, show: str = SHOW) -> Path:
    write(tmp_path / "episodes" / "show.yaml", show)
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
                checked += 1
    return checked
