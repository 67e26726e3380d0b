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


# ---- mastered files and signed MP3s ----------------------------------------------------------------

@pytest.mark.parametrize("store", ["mastered", "signed"])
def test_a_damaged_mastered_or_signed_file_is_made_again(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                         store: str) -> None:
    """The issue's case: a truncated mastered whole file or signed MP3 in the cache made a 'build' whose MP3
    decoded to half its length, and no rebuild healed it.  Each is checked by its length and SHA-256 when
    read, and made again."""
    from audiopipe.tools import ffmpeg
    manifest, out = built_episode(tmp_path)
    mp3 = out / "two-stories" / "two-stories.mp3"
    seconds = len(ffmpeg.decode_file(mp3)) / 2 / 44100
    folder = cache_root() / ("mastered" if store == "mastered" else "credentials/signed")
    kept = [p for p in folder.rglob("*.mp3") if p.stat().st_size > 20_000]
    assert kept, f"nothing kept in {folder}"
    for path in kept:                                 # every entry cut to half
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    assert (out / "two-stories" / ".stamp.json").is_file()
    (out / "two-stories" / ".stamp.json").unlink()    # so that the build is not a no-op on its stamp
    assert build(manifest, out) == 0, capsys.readouterr().err
    assert abs(len(ffmpeg.decode_file(mp3)) / 2 / 44100 - seconds) < 0.05          # whole again
    assert read_json(out / "two-stories" / "qa.json")["passed"] is True
