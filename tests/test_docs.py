"""The docs: a short README that leads to the reference in docs/, built into a site with its links checked."""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

MKDOCS = Path(sys.executable).with_name("mkdocs")
PAGES = sorted(p.name for p in (REPO / "docs").glob("*.md") if p.name != "index.md")


def test_the_readme_is_short_and_leads_to_every_page() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 300
    assert len(PAGES) >= 3
    linked = set(re.findall(r"\]\(docs/([\w-]+\.md)\)", readme))
    assert linked == set(PAGES), set(PAGES) ^ linked
    nav = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    assert all(f": {page}" in nav for page in PAGES)


def test_every_show_setting_is_in_the_reference() -> None:
    """A newcomer finds any show.yaml setting in two clicks: README -> the show's page, where each is."""
    from audiopipe.config.show import Show
    table = (REPO / "docs" / "show.md").read_text(encoding="utf-8")
    internal = {"path", "descriptions", "titles", "credentials", "disclosure", "feed_url", "link", "publish_to",
                "publish_base_url", "thresholds", "copyright", "intro", "outro"}
    missing = [f.name for f in dataclasses.fields(Show) if f.name not in internal and f"`{f.name}`" not in table]
    assert missing == []


@pytest.mark.skipif(not MKDOCS.exists(), reason="mkdocs is not installed (the dev extra)")
def test_the_site_builds_and_a_broken_link_fails_it(tmp_path: Path) -> None:
    def build(root: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(MKDOCS), "build", "--strict", "-f", str(root / "mkdocs.yml"),
                               "-d", str(tmp_path / "site")], capture_output=True, text=True, timeout=120)
    built = build(REPO)
    assert built.returncode == 0, built.stderr
    assert (tmp_path / "site" / "publishing" / "index.html").is_file()
    copy = tmp_path / "copy"
    shutil.copytree(REPO / "docs", copy / "docs")
    shutil.copy(REPO / "mkdocs.yml", copy)
    page = copy / "docs" / "show.md"
    page.write_text(page.read_text(encoding="utf-8") + "\nSee [nowhere](publishing.md#no-such-section).\n",
                    encoding="utf-8")
    broken = build(copy)
    assert broken.returncode != 0 and "no-such-section" in broken.stderr
