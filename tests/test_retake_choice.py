"""A reviewer's re-take choice is checked before it is saved; a broken review or report file is one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from audiopipe.cli import main
from tests.builds import build, built_episode, one_error_line
from tests.conftest import read_json, write

pytestmark = pytest.mark.e2e


# ---- re-takes ------------------------------------------------------------------------------------

def test_a_retake_choice_is_checked_before_it_is_saved(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest, out = built_episode(tmp_path)
    capsys.readouterr()
    assert main(["retake", "two-stories", "1", "--engine", "bogus", "--out", str(out)]) == 2
    assert one_error_line(capsys) == ("error: retake: segment 1: unknown engine 'bogus'; choose one of: espeak, "
                                      "edge, kokoro")
    assert main(["retake", "two-stories", "1", "--voice", "zh-host", "--out", str(out)]) == 2
    assert "profile 'zh-host' is unknown or not en" in one_error_line(capsys)
    review = out / "two-stories" / "review.json"                    # the refused choices were not saved
    assert not review.exists() or read_json(review)["overrides"] == {}
    write(out / "two-stories" / "retakes.json", "{not json")        # an older file beside it is still read
    assert build(manifest, out) == 2
    assert one_error_line(capsys).startswith(f"error: {out / 'two-stories' / 'retakes.json'}: not a valid re-take")
    (out / "two-stories" / "retakes.json").unlink()
    report = out / "two-stories" / "report.json"
    report.write_text(report.read_text(encoding="utf-8")[:300], encoding="utf-8")
    assert main(["retake", "two-stories", "1", "--out", str(out)]) == 2
    assert one_error_line(capsys).startswith(f"error: {report}: cannot read the build report")
    assert main(["qa", "two-stories", "--out", str(out)]) == 2
    assert one_error_line(capsys).startswith(f"error: {report}: cannot read the build report")
