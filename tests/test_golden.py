"""Golden files, found by glob as podcastparser's tests are: every ``tests/data/golden/<case>/`` holds a
``manifest.yaml`` and what it must give — ``report.json``, ``transcript.vtt``, ``transcript.srt`` and
``chapters.json``.  The unit tier renders the sidecars from the stored record; the e2e tier builds the
manifest with espeak (deterministic) and compares everything."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from audiopipe.publish.episode import write_sidecars
from audiopipe.publish.record import EpisodeRecord
from tests.conftest import REPO, run_module

CASES = sorted(p.parent for p in (REPO / "tests" / "data" / "golden").glob("*/manifest.yaml"))
SIDECARS = ("transcript.vtt", "transcript.srt", "transcript.en.vtt", "transcript.zh.vtt", "chapters.json")
EDITION_SIDECARS = ("transcript-en.vtt", "transcript-zh.vtt", "chapters-en.json", "chapters-zh.json")


def normalized(report: dict[str, Any]) -> dict[str, Any]:
    """The report without what depends on the machine or the clock: timings, paths."""
    out: dict[str, Any] = json.loads(json.dumps(report))
    out["build"]["seconds"] = 0.0
    out["build"]["stages"] = {}
    out["build"]["options"]["show"] = out["build"]["options"]["voices"] = None
    out["episode"]["manifest"] = "manifest.yaml"
    return out


def first_difference(got: Any, want: Any, path: str = "report") -> str | None:
    """Where *got* first differs from *want* (``report.segments[2].duration_ms: 4120 != 4118``), or None."""
    if isinstance(got, dict) and isinstance(want, dict):
        for key in list(want) + [k for k in got if k not in want]:
            if key not in got or key not in want:
                return f"{path}.{key}: {'missing' if key not in got else 'unexpected'}"
            found = first_difference(got[key], want[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(got, list) and isinstance(want, list):
        for i, (g, w) in enumerate(zip(got, want)):
            found = first_difference(g, w, f"{path}[{i}]")
            if found:
                return found
        return None if len(got) == len(want) else f"{path}: {len(got)} items != {len(want)}"
    return None if got == want else f"{path}: {got!r} != {want!r}"


def test_first_difference_names_the_field() -> None:
    assert first_difference({"a": [1, {"b": 2}]}, {"a": [1, {"b": 3}]}) == "report.a[1].b: 2 != 3"
    assert first_difference({"a": 1}, {"a": 1, "c": 2}) == "report.c: missing"
    assert first_difference([1, 2], [1, 2]) is None


def test_there_are_golden_cases() -> None:
    assert len(CASES) >= 2


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_record_round_trips_and_renders_the_golden_sidecars(case: Path, tmp_path: Path) -> None:
    data = json.loads((case / "report.json").read_text(encoding="utf-8"))
    record = EpisodeRecord.from_json(data)
    assert record.to_json() == data                       # every field survives, in the same layout
    write_sidecars(tmp_path, record)
    for name in SIDECARS:
        assert (tmp_path / name).read_text(encoding="utf-8") == (case / name).read_text(encoding="utf-8"), name


@pytest.mark.e2e
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_building_the_manifest_gives_the_golden_files(case: Path, tmp_path: Path) -> None:
    manifest = tmp_path / f"{case.name}.yaml"
    shutil.copyfile(case / "manifest.yaml", manifest)
    out = tmp_path / "out"
    # in a process of its own, as a producer runs it: libespeak-ng keeps state between calls in one
    # process, which moves a take by a millisecond or two
    proc = run_module("build", str(manifest), "--engine", "espeak", "--out", str(out), "--no-feed",
                      "--voices", str(REPO / "voices"))
    assert proc.returncode == 0, proc.stderr
    folder = out / case.name
    got = normalized(json.loads((folder / "report.json").read_text(encoding="utf-8")))
    difference = first_difference(got, json.loads((case / "report.json").read_text(encoding="utf-8")))
    assert difference is None, difference
    for name in SIDECARS + EDITION_SIDECARS:
        assert (folder / name).read_text(encoding="utf-8") == (case / name).read_text(encoding="utf-8"), name


def test_transcripts_show_the_script_not_the_spoken_text() -> None:
    """The goldens hold a lexicon respelling (Hefei -> Huh-fay) and figures read out in Chinese
    (6.3903 -> 六点三九零三): the transcripts show what the script says, report.json both."""
    vtt = "".join((case / "transcript.vtt").read_text(encoding="utf-8") for case in CASES)
    srt = "".join((case / "transcript.srt").read_text(encoding="utf-8") for case in CASES)
    for text in (vtt, srt):
        assert "Hefei" in text and "Huh-fay" not in text
        assert "6.3903" in text and "六点三九零三" not in text
    spoken = " ".join(s["spoken_text"] for case in CASES
                      for s in json.loads((case / "report.json").read_text(encoding="utf-8"))["segments"])
    assert "Huh-fay" in spoken and "六点三九零三" in spoken
