"""Sample-level pieces: the numpy loudness meter against ffmpeg's, the limiter, fades, silence."""

from __future__ import annotations

import math

import numpy as np

from audiopipe.dsp import loudness, signal
from audiopipe.dsp.limiter import PeakLimiter
from audiopipe.produce.stingers import chime
from audiopipe.tools.wav import WORK_RATE
from tests.conftest import ffmpeg_loudness_pcm

RATE = WORK_RATE


def tone(freq: float, seconds: float, amp: float) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (amp * np.sin(2 * math.pi * freq * t)).astype(np.float32)


def test_meter_agrees_with_ffmpeg() -> None:
    rng = np.random.default_rng(7)
    signals = [
        tone(1000, 3, 0.5),                                            # the standard's reference case
        tone(100, 3, 0.3) + tone(5000, 3, 0.2),
        np.concatenate([tone(440, 2, 0.6), np.zeros(RATE, np.float32), tone(440, 2, 0.05)]),   # gating
        (rng.standard_normal(RATE * 4) * 0.1).astype(np.float32),
        chime("intro"),
    ]
    for x in signals:
        ours = loudness.measure(x, RATE)
        theirs = ffmpeg_loudness_pcm(signal.to_pcm(x))
        assert abs(ours.integrated_lufs - theirs.integrated_lufs) <= 0.15, (ours, theirs)
        assert abs(ours.true_peak_dbtp - theirs.true_peak_dbtp) <= 0.3, (ours, theirs)


def test_1khz_sine_at_minus_18_dbfs_rms_is_about_minus_18_lufs() -> None:
    x = tone(997, 5, math.sqrt(2) * 10 ** (-18 / 20))
    assert abs(loudness.integrated_lufs(x, RATE) - (-18.0)) < 0.3
    assert loudness.integrated_lufs(np.zeros(RATE, np.float32), RATE) == -70.0
    assert loudness.integrated_lufs(tone(1000, 0.2, 0.5), RATE) == -70.0   # shorter than one block


def test_limiter_streams_holds_the_ceiling_and_keeps_length() -> None:
    x = (tone(300, 3, 1.0) * np.linspace(0.1, 2.0, 3 * RATE)).astype(np.float32)
    limiter = PeakLimiter(-3.0)
    out = np.concatenate([limiter.process(x[i:i + 12345]) for i in range(0, len(x), 12345)]
                         + [limiter.process(np.zeros(0, np.float32), final=True)])
    assert len(out) == len(x)
    assert float(np.abs(out).max()) <= 10 ** (-3 / 20) + 1e-6
    # quiet parts pass untouched; gain changes are smooth (no steps)
    assert np.allclose(out[: RATE // 4], x[: RATE // 4], atol=1e-6)
    assert float(np.abs(np.diff(out)).max()) < 0.05


def test_fades_and_edge_silence() -> None:
    x = np.concatenate([np.zeros(RATE // 2, np.float32), tone(440, 1, 0.5), np.zeros(RATE // 4, np.float32)])
    lead, trail = signal.edge_silence_ms(x)
    assert 490 <= lead <= 510 and 240 <= trail <= 260
    faded = signal.fade(tone(440, 1, 0.5), 10, 10)
    assert abs(faded[0]) < 1e-6 and abs(faded[-1]) < 1e-3
    assert signal.longest_inner_silence_ms(np.concatenate([tone(440, 1, .5), np.zeros(RATE, np.float32),
                                                          tone(440, 1, .5)])) >= 990
