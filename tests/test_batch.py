"""Batch builds: synthesis across episodes, one failure does not stop the others."""

from __future__ import annotations

from pathlib import Path

import pytest

from audiopipe.cli import main
from tests.conftest import read_json, write


def story(en: str, zh: str) -> str:
    return f'stories:\n  - en: "{en}"\n    zh: "{zh}"\n'


@pytest.mark.e2e
def test_batch_builds_the_good_and_reports_the_broken(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    eps = tmp_path / "episodes"
    a = write(eps / "a.yaml", 'title: "A"\ndate: 2026-11-20\n' + story("Rates held steady.", "利率保持不变。"))
    b = write(eps / "b.yaml", 'title: "B"\ndate: 2026-13-01\n' + story("Oil rose.", "油价上涨。"))
    c = write(eps / "c.yaml", 'title: "C"\ndate: 2026-11-22\n' + story("Exports fell.", "出口下降。")
              + '  - en: "Rates held steady."\n    zh: "利率保持不变。"\n')
    out = tmp_path / "out"
    code = main(["build", str(a), str(b), str(c), "--out", str(out), "--jobs", "2"])
    captured = capsys.readouterr()
    assert code == 2
    lines = captured.out.splitlines()
    assert lines[0].split() == ["episode", "result", "duration", "LUFS", "new", "cached", "s"]
    assert lines[1].split()[:2] == ["a", "built"]
    assert lines[2].startswith("b ") and "FAILED" in lines[2] and f"{b}:2: date: '2026-13-01' is not a date" in lines[2]
    assert lines[3].split()[:2] == ["c", "built"]
    assert lines[-1] == "3 episodes: 2 built, 1 failed; 2 passed QA"
    assert not (out / "b").exists()
    ra, rc = read_json(out / "a" / "report.json"), read_json(out / "c" / "report.json")
    assert [s["lang"] for s in ra["segments"]] == ["en", "zh"]
    assert [s["lang"] for s in rc["segments"]] == ["en", "zh", "en", "zh"]
    # the cache is shared: c's second story is a's story, synthesized once across the batch
    assert ra["build"]["synthesized"] + rc["build"]["synthesized"] == 4


@pytest.mark.e2e
def test_batch_of_good_manifests_exits_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = write(tmp_path / "x.yaml", 'title: "X"\ndate: 2026-11-20\n' + story("Hello there.", "你好。"))
    b = write(tmp_path / "y.yaml", 'title: "Y"\ndate: 2026-11-21\n' + story("Good night.", "晚安。"))
    assert main(["build", str(a), str(b), "--out", str(tmp_path / "o")]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "2 episodes: 2 built, 0 failed; 2 passed QA"


@pytest.mark.e2e
def test_same_slug_twice_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = write(tmp_path / "one" / "x.yaml", 'title: "X"\ndate: 2026-11-20\n' + story("Hi.", "嗨。"))
    b = write(tmp_path / "two" / "x.yaml", 'title: "X2"\ndate: 2026-11-20\n' + story("Hi.", "嗨。"))
    assert main(["build", str(a), str(b), "--out", str(tmp_path / "o")]) == 2
    out = capsys.readouterr().out
    assert "same slug as" in out and "1 built, 1 failed" in out
