"""Mastering and timing, measured on built episodes with ffmpeg's ebur128."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from audiopipe.cli import main
from audiopipe.dsp import signal
from audiopipe.synth.timing import plan_fit, units
from audiopipe.tools import ffmpeg
from audiopipe.tools.wav import WORK_RATE
from tests.conftest import ffmpeg_loudness, read_json, write, write_wav

EN = ["Factory output grew faster than expected in October, led by machinery and electronics.",
      "Retail sales slowed slightly as shoppers waited for the year-end discount season.",
      "The stock exchange said trading volumes reached a six-month high on Friday.",
      "Analysts now expect the central bank to keep its lending rate unchanged until spring."]
ZH = ["十月份工业产出增长快于预期，机械和电子行业领涨。",
      "由于消费者等待年底折扣季，零售销售略有放缓。",
      "证券交易所表示，周五成交量创下六个月来的新高。",
      "分析人士目前预计，央行在明年春季之前将维持贷款利率不变。"]


def minute_show(folder: Path, seconds: int) -> None:
    """The fit tests' show: a window of about a minute (±10%), so that each build is a third of a real
    episode; the script is 1.2x (or 0.8x) the target, as a 3:40 (or 2:20) script is of 3:00.  Without
    the language editions: the fit is decided for the bilingual episode, and the editions follow it."""
    write(folder / "show.yaml", f"target_seconds: {seconds}\neditions: false\n")


def generated(path: Path, stories: int, extra: str = "") -> Path:
    """A manifest of *stories* stories; beside it, unless there is one, a show without language editions
    (what these tests measure is the bilingual episode)."""
    if not (path.parent / "show.yaml").exists():
        write(path.parent / "show.yaml", "editions: false\n")
    lines = ['title: "Generated"', "date: 2026-11-20", *extra.splitlines(), "stories:"]
    for i in range(stories):
        lines += [f'  - title: "Story {i + 1}"',
                  f'    en: "{EN[i % 4]} {EN[(i + 1) % 4]}"',
                  f'    zh: "{ZH[i % 4]}{ZH[(i + 1) % 4]}"']
    return write(path, "\n".join(lines) + "\n")


@pytest.mark.e2e
def test_takes_10_db_apart_come_out_equally_loud(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    voices = tmp_path / "voices"
    write(voices / "quiet-en.yaml", "language: en\nvoices: {espeak: en-us}\nvolume: -50\n")
    write(voices / "loud-zh.yaml", "language: zh\nvoices: {espeak: cmn}\nvolume: 50\n")
    manifest = generated(tmp_path / "ep" / "levels.yaml", 2, "voices: {en: quiet-en, zh: loud-zh}")
    assert main(["build", str(manifest), "--out", str(tmp_path / "out"), "--voices", str(voices), "--no-qa"]) == 0
    built = tmp_path / "out" / "levels"
    report = read_json(built / "report.json")
    segs = report["segments"]
    raw = [s["take_loudness_lufs"] for s in segs]
    assert max(raw) - min(raw) >= 8.5, f"the takes should differ by about 10 dB: {raw}"
    final = [s["loudness_lufs"] for s in segs]
    assert max(final) - min(final) <= 1.0, final
    for s in segs:   # the per-segment report is the measured audio of the segment file
        loud = ffmpeg_loudness(built / s["file"])
        assert abs(loud.integrated_lufs - s["loudness_lufs"]) <= 0.5
        assert loud.true_peak_dbtp <= -1.0 + 0.3
    episode = ffmpeg_loudness(built / "levels.mp3")
    assert -17.0 <= episode.integrated_lufs <= -15.0
    assert episode.true_peak_dbtp <= -1.0
    assert abs(episode.integrated_lufs - report["episode"]["loudness_lufs"]) <= 0.5


@pytest.mark.e2e
def test_target_is_a_show_setting(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    show = write(tmp_path / "show.yaml", "title: Broadcast\ntarget_lufs: -23\ntrue_peak_dbtp: -2\neditions: false\n")
    manifest = generated(tmp_path / "b.yaml", 1)
    assert main(["build", str(manifest), "--out", str(tmp_path / "out"), "--show", str(show), "--no-qa"]) == 0
    loud = ffmpeg_loudness(tmp_path / "out" / "b" / "b.mp3")
    assert -24.0 <= loud.integrated_lufs <= -22.0
    assert loud.true_peak_dbtp <= -2.0


def _window_max_jump(x: np.ndarray, at: int, half: int) -> float:
    part = x[max(0, at - half): at + half]
    return float(np.abs(np.diff(part)).max()) if len(part) > 1 else 0.0


@pytest.mark.e2e
def test_joins_have_no_clicks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = generated(tmp_path / "joins.yaml", 2)
    assert main(["build", str(manifest), "--out", str(tmp_path / "out"), "--no-qa"]) == 0
    built = tmp_path / "out" / "joins"
    report = read_json(built / "report.json")
    x = signal.to_float(ffmpeg.decode_file(built / "joins.mp3"))
    rate = WORK_RATE
    typical = float(np.percentile(np.abs(np.diff(x)), 99.9))
    edges = [s[k] for s in report["segments"] for k in ("start_ms", "end_ms")]
    edges += [s[k] for s in report["stingers"] for k in ("start_ms", "end_ms")][1:-1]
    for ms in edges:
        at = ms * rate // 1000
        # at every edge the audio is near silence and changes no faster than speech itself does
        assert float(np.abs(x[max(0, at - 44): at + 44]).max()) < 0.05, f"loud edge at {ms} ms"
        assert _window_max_jump(x, at, 220) <= typical, f"discontinuity at {ms} ms"


@pytest.mark.e2e
def test_fit_lands_a_long_script_in_the_window(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    minute_show(tmp_path, 66)
    manifest = generated(tmp_path / "long.yaml", 3)            # about 1:17 as written
    assert main(["build", str(manifest), "--out", str(tmp_path / "a"), "--no-qa"]) == 0
    before = read_json(tmp_path / "a" / "long" / "report.json")["episode"]["duration_ms"] / 1000
    assert "warning" in capsys.readouterr().err
    assert 70 <= before <= 85
    assert main(["build", str(manifest), "--out", str(tmp_path / "b"), "--fit"]) == 0
    err = capsys.readouterr().err
    assert "fit (before synthesis): " in err and "warning" not in err
    report = read_json(tmp_path / "b" / "long" / "report.json")
    after = report["episode"]["duration_ms"] / 1000
    assert 59.4 <= after <= 72.6
    rates = {s["rate"] for s in report["segments"]}
    assert all(0 < r <= 20 for r in rates), rates   # faster, within +15% of each profile's speed
    decoded = len(ffmpeg.decode_file(tmp_path / "b" / "long" / "long.mp3")) / 2 / WORK_RATE
    assert abs(decoded - after) < 0.2


@pytest.mark.e2e
def test_a_cold_fit_build_synthesizes_each_take_once(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The rate is decided from the estimate before synthesis (shipped calibration, empty cache), so
    no take is made twice; the estimate is close enough that the result lands in the window."""
    monkeypatch.setenv("AUDIOPIPE_CACHE", str(tmp_path / "cold-cache"))
    minute_show(tmp_path, 66)
    manifest = generated(tmp_path / "long.yaml", 3)            # about 1:17 as written
    assert main(["build", str(manifest), "--out", str(tmp_path / "b"), "--fit", "--quiet", "--no-qa"]) == 0
    err = capsys.readouterr().err
    assert "fit (before synthesis): speech x1." in err and "warning" not in err
    report = read_json(tmp_path / "b" / "long" / "report.json")
    assert report["build"]["synthesized"] == len({s["take"] for s in report["segments"]})   # each take once
    assert 59.4 <= report["episode"]["duration_ms"] / 1000 <= 72.6
    assert "\nfit: " not in err                                 # no second fit after synthesis


@pytest.mark.e2e
def test_fit_lands_a_short_script_in_the_window(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    minute_show(tmp_path, 56)
    manifest = generated(tmp_path / "short.yaml", 2, "intro: false\noutro: false")   # about 0:45
    assert main(["build", str(manifest), "--out", str(tmp_path / "b"), "--fit"]) == 0
    err = capsys.readouterr().err
    assert "warning" not in err
    report = read_json(tmp_path / "b" / "short" / "report.json")
    assert 50.4 <= report["episode"]["duration_ms"] / 1000 <= 61.6
    assert all(r["rate"] < 0 for r in report["segments"] if r["lang"] == "zh")


@pytest.mark.e2e
def test_fit_says_what_to_cut_and_strict_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    minute_show(tmp_path, 60)
    manifest = generated(tmp_path / "huge.yaml", 5)            # about 2:07: far too long for +15%
    assert main(["build", str(manifest), "--out", str(tmp_path / "o"), "--fit", "--no-qa"]) == 0
    err = capsys.readouterr().err
    assert "warning:" in err and "cut about" in err and "English words" in err and "Chinese characters" in err
    assert main(["build", str(manifest), "--out", str(tmp_path / "s"), "--fit", "--strict"]) == 2
    last = capsys.readouterr().err.splitlines()[-1]
    assert last.startswith(f"error: {manifest}: the episode runs ")
    assert last.endswith("nothing was written (--strict)")
    assert not (tmp_path / "s").exists()


@pytest.mark.e2e
def test_budget_is_printed_before_synthesis(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = generated(tmp_path / "bud.yaml", 2)
    assert main(["build", str(manifest), "--out", str(tmp_path / "o"), "--no-qa"]) == 0
    err = capsys.readouterr().err
    assert err.index("budget") < err.index("takes:")
    assert "story 1 'Story 1'" in err and "(target 3:00, -" in err


@pytest.mark.e2e
def test_music_bed_is_ducked_under_speech(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rate = WORK_RATE
    t = np.arange(rate * 4) / rate
    write_wav(tmp_path / "bed.wav", signal.to_pcm((0.3 * np.sin(2 * math.pi * 55 * t)).astype(np.float32)))
    show = write(tmp_path / "show.yaml", "title: Bed\nbed: bed.wav\nbed_under_lu: 14\nduck_db: 12\n"
                 "intro_overlap_ms: 1000\ngap_between_stories_ms: 3000\neditions: false\n")
    manifest = generated(tmp_path / "bed.yaml", 2)
    assert main(["build", str(manifest), "--out", str(tmp_path / "o"), "--show", str(show), "--no-qa"]) == 0
    report = read_json(tmp_path / "o" / "bed" / "report.json")
    segs, intro = report["segments"], report["stingers"][0]
    assert intro["end_ms"] - segs[0]["start_ms"] == pytest.approx(1000, abs=2), "speech overlaps the intro"
    x = signal.to_float(ffmpeg.decode_file(tmp_path / "o" / "bed" / "bed.mp3"))

    def hum(ms0: int, ms1: int) -> float:   # the 55 Hz bed's amplitude in a stretch
        part = x[ms0 * rate // 1000: ms1 * rate // 1000]
        ref = np.exp(-2j * math.pi * 55 * np.arange(len(part)) / rate)
        return float(abs(np.dot(part, ref)) * 2 / len(part))
    gap = (segs[1]["end_ms"] + 1000, segs[2]["start_ms"] - 400)   # the 3 s pause between stories
    speech = (segs[0]["start_ms"] + 1000, segs[0]["end_ms"] - 1000)
    ducked_db = 20 * math.log10(hum(*gap) / hum(*speech))
    assert 9 <= ducked_db <= 15, ducked_db


def test_plan_fit_and_units() -> None:
    assert units("The yuan, at 6.3903, was steady.", "en") == 6
    assert units("人民币报6.3903，CFETS公布。", "zh") == 6 + 2 * 2     # 6 characters, 2 Latin tokens
    ok = plan_fit(180, 150, 10, (162, 198), 15)
    assert (ok.gap_scale, ok.speed, ok.reachable) == (1.0, 1.0, True)
    long = plan_fit(220, 200, 10, (162, 198), 15)
    assert long.reachable and long.gap_scale < 1 and 1 < long.speed <= 1.15
    assert 162 <= long.predicted_s <= 198
    short = plan_fit(140, 125, 8, (162, 198), 15)
    assert short.reachable and short.gap_scale > 1 and 0.85 <= short.speed < 1
    hopeless = plan_fit(400, 380, 10, (162, 198), 15)
    assert not hopeless.reachable and hopeless.speed == 1.15


@pytest.mark.e2e
def test_retake_reproduces_a_fitted_build(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The build's options (speed and gaps from --fit, engine, show, voices) are recorded; a re-take
    rebuilds with them and re-synthesizes only the segment asked for."""
    minute_show(tmp_path, 56)
    manifest = generated(tmp_path / "short.yaml", 2, "intro: false\noutro: false")   # about 0:45
    out = tmp_path / "b"
    assert main(["build", str(manifest), "--out", str(out), "--fit", "--engine", "espeak", "--no-qa"]) == 0
    before = read_json(out / "short" / "report.json")
    options = before["build"]["options"]
    assert options["engine"] == "espeak" and options["speed"] != 1.0
    capsys.readouterr()
    assert main(["retake", "short", "3", "--out", str(out)]) in (0, 1)
    said = capsys.readouterr().out
    after = read_json(out / "short" / "report.json")
    take = before["segments"][2]["take"]                      # a story may repeat: its twins share the take
    same = sum(s["take"] == take for s in before["segments"])
    assert f"(1 synthesized, {len(before['segments']) - same} cached)" in said
    assert [s["cached"] for s in after["segments"]] == [s["take"] != take for s in before["segments"]]
    assert after["build"]["options"] == options
    assert [s["rate"] for s in after["segments"]] == [s["rate"] for s in before["segments"]]
    assert abs(after["episode"]["duration_ms"] - before["episode"]["duration_ms"]) <= 1000
