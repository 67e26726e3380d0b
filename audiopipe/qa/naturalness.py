"""QA's naturalness check: each take's predicted listener score (1..5, Distill-MOS: how natural a listener
would find it, not what it says) against the show's thresholds, and the episode's mean and lowest.

The scores come with the episode (report.json's segments, scored by the build from each take's audio:
:mod:`audiopipe.synth.scored`); QA reads no audio for them.  A take under ``qa: {naturalness_warn}``
(3.5) warns, one under ``naturalness_fail`` (1.8) fails.  Calibrated on takes measured here: Kokoro's
native voices 4.4–4.7; espeak-ng 1.9–2.4 (English) and 3.0–3.3 (Mandarin); a Kokoro take with noise at
20 dB SNR 3.2–3.6, at 0 dB 1.9, at −5 dB 1.4; a Kokoro take played twice as fast 2.0–3.7.  So the warning
line is under every native Kokoro take and over every espeak or noisy one, and the failing line under
every take of a working engine: what is left under it is speech buried in noise, or garbled.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from audiopipe.config.show import Thresholds
from audiopipe.publish.record import SegmentRecord
from audiopipe.qa.findings import Finding
from audiopipe.synth import scored


def _not_scored() -> str:
    if scored.switched_off():
        return "naturalness not scored ($AUDIOPIPE_NATURALNESS is off)"
    from audiopipe.dsp.naturalness import unavailable
    reason = unavailable()
    if reason:
        return f"naturalness not scored: {reason}"
    return "naturalness not scored: the build ran without QA (--no-qa); build it again with QA to score its takes"


def summary(segments: Sequence[SegmentRecord]) -> dict[str, Any] | None:
    """qa.json's ``naturalness``: the mean and the lowest score (and whose), None when nothing was scored."""
    scored_segments = [s for s in segments if s.naturalness is not None]
    if not scored_segments:
        return None
    lowest = min(scored_segments, key=lambda s: (s.naturalness or 0.0, s.index))
    mean = sum(s.naturalness or 0.0 for s in scored_segments) / len(scored_segments)
    return {"mean": round(mean, 2), "lowest": lowest.naturalness, "lowest_segment": lowest.index,
            "scored": len(scored_segments)}


def findings(segments: Sequence[SegmentRecord], limits: Thresholds) -> Iterator[Finding]:
    about = summary(segments)
    if about is None:
        yield Finding("naturalness", "skip", _not_scored())
        return
    flagged = False
    for seg in segments:
        value = seg.naturalness
        if value is None:
            continue
        if value < limits.naturalness_fail:
            flagged = True
            yield Finding("naturalness", "fail", f"{seg.label} sounds unnatural: predicted listener score {value:.2f} "
                          f"of 5 (under {limits.naturalness_fail:g}); listen to it: re-take it (another voice or a "
                          "rate nearer the profile's) or check its audio for noise", seg.index)
        elif value < limits.naturalness_warn:
            flagged = True
            yield Finding("naturalness", "warn", f"{seg.label} may sound unnatural: predicted listener score "
                          f"{value:.2f} of 5 (under {limits.naturalness_warn:g}); listen to it", seg.index)
    if not flagged:
        yield Finding("naturalness", "pass", f"predicted listener score: mean {about['mean']:.2f}, lowest "
                      f"{about['lowest']:.2f} (segment {about['lowest_segment']}) of 5")
