"""The numpy BS.1770-4 meter against reference signals in the style of EBU Tech 3341.

Tech 3341 specifies its cases as stereo programme with the same sine in both channels; audiopipe
meters mono, where the same signal reads 3.01 LU lower (one channel instead of two).  The signals
are generated here; the expected readings follow from the definitions (a 997 Hz sine at -23 dBFS
in both channels reads -23.0 LUFS; the gating cases read the loud part alone).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from audiopipe.dsp.loudness import integrated_lufs, true_peak_dbtp
from audiopipe.dsp.signal import Samples

MONO = 10 * math.log10(2)          # one channel instead of two: 3.01 LU lower


def tone(dbfs: float, seconds: float, rate: int, freq: float = 997.0, phase: float = 0.0) -> Samples:
    t = np.arange(int(seconds * rate)) / rate
    return (10 ** (dbfs / 20) * np.sin(2 * math.pi * freq * t + phase)).astype(np.float32)


def sequence(parts: list[tuple[float, float]], rate: int) -> Samples:
    return np.concatenate([tone(db, s, rate) for db, s in parts])


@pytest.mark.parametrize("rate", [44100, 48000])
@pytest.mark.parametrize("name,parts,stereo_lufs", [
    ("case 1: -23 dBFS for 20 s", [(-23.0, 20.0)], -23.0),
    ("case 2: -33 dBFS for 20 s", [(-33.0, 20.0)], -33.0),
    ("case 3: -36/-23/-36 dBFS, 10/60/10 s (relative gate)", [(-36.0, 10.0), (-23.0, 60.0), (-36.0, 10.0)], -23.0),
    ("case 4: -72/-36/-23/-36/-72 dBFS (absolute and relative gates)",
     [(-72.0, 10.0), (-36.0, 10.0), (-23.0, 60.0), (-36.0, 10.0), (-72.0, 10.0)], -23.0),
    ("case 5: -26/-20/-26 dBFS, 20/20.1/20 s", [(-26.0, 20.0), (-20.0, 20.1), (-26.0, 20.0)], -23.0),
])
def test_integrated_loudness_of_reference_signals(name: str, parts: list[tuple[float, float]],
                                                  stereo_lufs: float, rate: int) -> None:
    measured = integrated_lufs(sequence(parts, rate), rate)
    assert measured == pytest.approx(stereo_lufs - MONO, abs=0.1), name


def test_silence_and_very_short_audio_read_as_ungated() -> None:
    assert integrated_lufs(np.zeros(44100 * 5, np.float32), 44100) == -70.0
    assert integrated_lufs(tone(-20.0, 0.2, 44100), 44100) == -70.0     # shorter than one 400 ms block


@pytest.mark.parametrize("rate", [44100, 48000])
def test_true_peak_finds_the_peak_between_samples(rate: int) -> None:
    # a sine at a quarter of the sample rate, 45 degrees off: every sample sits at 0.707 of the peak
    x = tone(-6.0, 1.0, rate, freq=rate / 4, phase=math.pi / 4)
    sample_peak = 20 * math.log10(float(np.abs(x).max()))
    assert sample_peak == pytest.approx(-6.0 - 3.01, abs=0.05)
    assert true_peak_dbtp(x) == pytest.approx(-6.0, abs=0.3)


def test_true_peak_of_a_full_scale_low_tone_is_its_sample_peak() -> None:
    assert true_peak_dbtp(tone(-1.0, 1.0, 48000, freq=100.0)) == pytest.approx(-1.0, abs=0.05)
