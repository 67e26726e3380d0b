"""A cached take damaged on disk (cut, emptied, overwritten, missing) is made again, never used."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.builds import build, built_episode
from tests.conftest import cache_root, read_json

pytestmark = pytest.mark.e2e


# ---- takes ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("damage", ["half", "header", "empty", "overwritten", "missing"])
def test_a_damaged_cached_take_is_made_again(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             damage: str) -> None:
    manifest, out = built_episode(tmp_path)
    first = read_json(out / "two-stories" / "report.json")
    take = first["segments"][1]["take"]
    wav = cache_root() / "takes" / take[:2] / f"{take}.wav"
    data = wav.read_bytes()
    if damage == "missing":
        wav.unlink()
    else:
        wav.write_bytes({"half": data[: len(data) // 2], "header": data[:44], "empty": b"",
                         "overwritten": b"\x00" * len(data)}[damage])
    capsys.readouterr()
    assert build(manifest, out, "--remaster") == 0
    captured = capsys.readouterr()
    assert f"note: cached take {take[:12]}… is damaged" in captured.err
    assert "(1 synthesized, 3 cached)" in captured.out and " 0 failed" in captured.out
    again = read_json(out / "two-stories" / "report.json")
    assert abs(again["episode"]["duration_ms"] - first["episode"]["duration_ms"]) <= 0.01 * first["episode"]["duration_ms"]
    assert abs(len(wav.read_bytes()) - len(data)) <= 0.01 * len(data)      # whole again
