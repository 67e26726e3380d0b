"""The stages keep to their jobs: planning reads and decides, and writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from audiopipe.options import BuildOptions, Choices, Run
from audiopipe.pipeline import plan, synthesize
from audiopipe.review import retakes
from audiopipe.synth.override import Override
from tests.conftest import TWO_STORIES, write


def _files(*folders: Path) -> dict[str, float]:
    return {str(p): p.stat().st_mtime_ns for f in folders if f.exists() for p in sorted(f.rglob("*"))}


def test_planning_writes_nothing(tmp_path: Path) -> None:
    manifest = write(tmp_path / "two-stories.yaml", TWO_STORIES)
    out, cache = tmp_path / "out", tmp_path / "cache"
    retakes.save(out / "two-stories", 2, Override(rate=10))             # a reviewer's re-take, kept before
    before = _files(out, cache)
    p = plan(manifest, BuildOptions(Choices(engine="espeak", force=frozenset({1})), Run(out_dir=out, cache_dir=cache)))
    assert _files(out, cache) == before and not cache.exists()          # nothing made, measured or removed
    assert p.jobs[1].settings.rate == 10 and p.intro is not None and p.intro.length > 0


@pytest.mark.e2e
def test_a_retake_is_made_again_by_synthesis_not_by_planning(tmp_path: Path) -> None:
    manifest = write(tmp_path / "two-stories.yaml", TWO_STORIES)
    where = Run(out_dir=tmp_path / "out", cache_dir=tmp_path / "cache")
    options = BuildOptions(Choices(engine="espeak"), where)
    first = synthesize(plan(manifest, options), options)
    assert not any(r.cached for r in first)
    forced = BuildOptions(Choices(engine="espeak", force=frozenset({1})), where)
    p = plan(manifest, forced)
    assert p.cache.get(p.jobs[0].key) is not None                      # still there after planning
    again = synthesize(p, forced)
    assert [r.cached for r in again] == [False, True, True, True]      # segment 1 made again, the rest kept
    assert again[0].info.key == first[0].info.key                      # espeak: the same take, deterministic
