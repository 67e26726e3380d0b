"""QA hears naturalness: Distill-MOS run from its wheel's weights in onnxruntime (no PyTorch), each take
scored once and kept, the score in report.json, qa.json, the QA page and the review state, and the
check's thresholds from show.yaml."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest

from audiopipe.config.show import Thresholds
from audiopipe.dsp import naturalness
from audiopipe.engines import Engine
from tests.builds import build, episode
from tests.conftest import read_json, write

pytestmark = pytest.mark.skipif(naturalness.unavailable() is not None, reason=str(naturalness.unavailable()))


def speech_like() -> np.ndarray:
    """A deterministic test signal at 16 kHz (14.9 s): pulse-modulated three-tone vowels under moving
    "formants", with pauses and a little noise."""
    rng = np.random.default_rng(2026)
    rate, out = 16000, []
    for i in range(24):
        n = int(rate * (0.25 + 0.25 * (i % 3)))
        t = np.arange(n) / rate
        pulses = np.sign(np.sin(2 * np.pi * (110 + 40 * np.sin(i)) * t)) * 0.2
        tone = sum(np.sin(2 * np.pi * f * t) / (k + 1) for k, f in enumerate((500 + 60 * i % 700, 1500 + 90 * i % 900, 2500)))
        out += [(0.6 * tone * (0.5 + 0.5 * pulses) + 0.01 * rng.standard_normal(n)) * np.hanning(n),
                np.zeros(int(rate * 0.12))]
    return np.concatenate(out).astype(np.float32)


def test_the_graph_gives_the_pytorch_model_s_scores() -> None:
    """The same two windows scored by distillmos 0.9.1's own PyTorch model (ConvTransformerSQAModel, its
    weights, segmenting off) on 2026-12-07 gave 1.5304322 and 1.5650256; the graph built here from the
    wheel's weights must give them too."""
    windows = naturalness.windows(speech_like())
    assert windows.shape == (2, naturalness.WINDOW)
    mos = naturalness._session().run(["mos"], {"spec": naturalness.spectrogram(windows)})[0]
    assert np.allclose(mos, [1.5304322, 1.5650256], atol=1e-4), mos
    assert naturalness.score(speech_like(), 16000) == 1.55


def test_the_resampler_keeps_speech_and_removes_what_16_khz_cannot_carry() -> None:
    rate, n = 44100, 44100
    t = np.arange(n) / rate
    kept = naturalness.resample(np.sin(2 * np.pi * 1000 * t).astype(np.float32), rate)
    assert len(kept) == math.ceil(n * 16000 / rate)
    middle = kept[2000:-2000]
    assert abs(np.sqrt(np.mean(middle ** 2)) * math.sqrt(2) - 1) < 0.01         # 1 kHz passes whole
    gone = naturalness.resample(np.sin(2 * np.pi * 10000 * t).astype(np.float32), rate)[2000:-2000]
    assert np.sqrt(np.mean(gone ** 2)) * math.sqrt(2) < 0.01      # 10 kHz, over the new 8 kHz: under -40 dB


def test_a_missing_or_other_checkpoint_is_one_line(tmp_path: Path) -> None:
    from audiopipe.dsp import mosgraph
    from audiopipe.errors import AudiopipeError
    other = write(tmp_path / "distill_mos_v7.pt", "not the checkpoint")
    with pytest.raises(AudiopipeError, match=r"distill_mos_v7.pt: not the Distill-MOS checkpoint of distillmos "
                                             r"0.9.1 \(its SHA-256 differs\); reinstall it: pip install --no-deps"):
        mosgraph.state(other)


def _kokoro_take(kokoro: Engine, text: str, voice: str, lang: str) -> np.ndarray:
    from audiopipe.dsp import signal
    from audiopipe.engines import VoiceSettings
    from audiopipe.synth.run import synthesize_take
    pcm, _words, _timings = synthesize_take(kokoro, text, VoiceSettings("kokoro", voice, lang))
    return signal.to_float(pcm)


def test_noise_and_a_bad_rate_are_flagged_and_a_clean_take_is_not(kokoro: Engine) -> None:
    """Calibrated on takes measured here: Kokoro 4.4-4.7 clean, 3.2-3.6 with noise at 20 dB SNR, 1.9 at 0 dB,
    1.4 at -5 dB; the default thresholds warn under 3.5 and fail under 1.8."""
    from audiopipe.publish.record import SegmentRecord
    from audiopipe.qa.naturalness import findings
    from audiopipe.tools.wav import WORK_RATE
    take = _kokoro_take(kokoro, "Shipping rates fell for a third week in a row, as demand from Europe cooled.",
                        "am_michael", "en")
    rng = np.random.default_rng(7)
    power = float(np.mean(take[np.abs(take) > 1e-3] ** 2))

    def noisy(snr_db: float) -> np.ndarray:
        noise = rng.standard_normal(len(take)).astype(np.float32) * math.sqrt(power / 10 ** (snr_db / 10))
        return np.asarray(take + noise, np.float32)

    fast = take[::2].copy()            # twice as fast and an octave up: a rate gone wrong
    scores = {name: naturalness.score(audio, WORK_RATE) for name, audio in
              (("clean", take), ("noise 15 dB", noisy(15)), ("noise -5 dB", noisy(-5)), ("fast", fast))}
    assert scores["clean"] >= 4.0, scores
    assert naturalness.score(take, WORK_RATE) == scores["clean"]          # the same to the hundredth, again
    segment = {"lang": "en", "story": 1, "chapter": None, "voice_profile": "p", "engine": "kokoro", "voice": "v",
               "rate": 0, "text": "t", "spoken_text": "t", "start_ms": 0, "end_ms": 1, "cached": False, "take": "k",
               "loudness_lufs": None, "true_peak_dbtp": None, "gain_db": 0.0, "take_loudness_lufs": -20.0,
               "take_true_peak_dbtp": -3.0, "lead_silence_ms": 0, "trail_silence_ms": 0, "file": None,
               "word_timings": "engine", "words": []}
    segments = [SegmentRecord.from_json({**segment, "index": i, "naturalness": value})
                for i, value in enumerate(scores.values(), 1)]
    statuses = {f.segment: f.status for f in findings(segments, Thresholds())}
    assert statuses == {2: "warn", 3: "fail", 4: statuses[4]} and statuses[4] in ("warn", "fail"), (scores, statuses)
    relaxed = {f.segment: f.status for f in findings(segments, Thresholds(naturalness_warn=3.0, naturalness_fail=1.2))}
    assert relaxed.get(2) is None and relaxed[3] == "warn", (scores, relaxed)


def test_each_take_is_scored_once_kept_and_shown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A build scores each take (report.json, qa.json, the QA page, the review state); a re-master and a
    rebuild read the kept scores; another method scores again."""
    monkeypatch.setenv("AUDIOPIPE_NATURALNESS", "on")
    calls: list[int] = []
    real = naturalness.score

    def counted(samples: np.ndarray, rate: int) -> float:
        calls.append(len(samples))
        return real(samples, rate)
    monkeypatch.setattr(naturalness, "score", counted)
    out = tmp_path / "out"
    manifest = episode(tmp_path)
    code = build(manifest, out)
    report = read_json(out / "two-stories" / "report.json")
    scores = [s["naturalness"] for s in report["segments"]]
    assert code == 0 and min(scores) >= 1.8, scores      # espeak sounds robotic: QA warns (2.3-3.5 here), passes
    assert len(calls) == 4 and all(1 <= s <= 5 for s in scores), scores
    english = [s["naturalness"] for s in report["segments"] if s["lang"] == "en"]
    assert max(english) < 3.5                           # espeak's English: under the warning line
    qa = json.loads((out / "two-stories" / "qa.json").read_text(encoding="utf-8"))
    assert [s["naturalness"] for s in qa["segments"]] == scores
    assert qa["naturalness"]["lowest"] == min(scores) and abs(qa["naturalness"]["mean"] - sum(scores) / 4) < 0.006
    assert {f["status"] for f in qa["findings"] if f["check"] == "naturalness"} <= {"warn", "fail"}
    page = (out / "two-stories" / "qa.html").read_text(encoding="utf-8")
    assert f'<td class="mos" title="predicted listener score, 1 (bad) to 5 (excellent)">{scores[0]:.2f}</td>' in page
    from audiopipe.studio.state import episode_state
    assert [s["naturalness"] for s in episode_state(out / "two-stories")["segments"]] == scores

    build(manifest, out, "--remaster")
    assert len(calls) == 4                               # kept with the takes: nothing scored again
    assert [s["naturalness"] for s in read_json(out / "two-stories" / "report.json")["segments"]] == scores
    monkeypatch.setattr(naturalness, "METHOD", naturalness.METHOD + "; another resampler")
    build(manifest, out, "--remaster")
    assert len(calls) == 8                               # another method: every take scored again


def test_the_thresholds_are_show_settings(tmp_path: Path) -> None:
    from audiopipe.config.show import load_show
    from audiopipe.errors import AudiopipeError
    show = load_show(write(tmp_path / "show.yaml", "qa: {naturalness_warn: 3.0, naturalness_fail: 1.5}\n"))
    assert (show.qa.naturalness_warn, show.qa.naturalness_fail) == (3.0, 1.5)
    with pytest.raises(AudiopipeError, match=r"show.yaml:1: qa.naturalness_fail: 3 is above naturalness_warn \(2\); "
                                             r"a take must warn before it fails: lower it"):
        load_show(write(tmp_path / "show.yaml", "qa: {naturalness_warn: 2, naturalness_fail: 3}\n"))
    with pytest.raises(AudiopipeError, match=r"qa.naturalness_warn: 6 is out of range; use 1..5"):
        load_show(write(tmp_path / "show.yaml", "qa: {naturalness_warn: 6}\n"))


def test_without_scores_the_check_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    from audiopipe.qa.naturalness import findings
    monkeypatch.setenv("AUDIOPIPE_NATURALNESS", "off")
    said = list(findings([], Thresholds()))
    assert [(f.status, f.message) for f in said] == [("skip", "naturalness not scored ($AUDIOPIPE_NATURALNESS is off)")]
    monkeypatch.delenv("AUDIOPIPE_NATURALNESS")
    assert "--no-qa" in next(iter(findings([], Thresholds()))).message


def test_an_install_whose_onnx_cannot_be_imported_is_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """unavailable() finds the packages without importing them (onnx takes 0.8 s); one found but broken is
    the same error as one missing, when the score is first asked for."""
    from audiopipe.errors import AudiopipeError
    write(tmp_path / "onnx" / "__init__.py", 'raise ImportError("libonnx.so: cannot open shared object file")\n')
    monkeypatch.syspath_prepend(str(tmp_path))                # an onnx that is there but does not import
    for name in [n for n in sys.modules if n == "onnx" or n.startswith("onnx.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(naturalness, "_SESSION", None)
    assert naturalness.unavailable() is None
    with pytest.raises(AudiopipeError, match=r"naturalness needs onnxruntime and onnx"):
        naturalness.score(np.full(16_000, 0.1, np.float32), 16_000)
