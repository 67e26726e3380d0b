"""Each take's naturalness (:mod:`audiopipe.dsp.naturalness`), scored once from its audio and kept in its
cache record with the method that scored it: a rebuild or a re-master reads it back, and another model,
resampler or windowing scores the take again.  ``$AUDIOPIPE_NATURALNESS=off`` skips the scoring (the QA
check then says it was not scored); so does a machine without the model."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence

from audiopipe.dsp import naturalness as model
from audiopipe.dsp import signal
from audiopipe.synth.cache import TakeCache
from audiopipe.synth.run import Result
from audiopipe.tools.wav import WORK_RATE, read_wav

OFF = ("0", "off", "no", "false")


def switched_off() -> bool:
    """``$AUDIOPIPE_NATURALNESS`` says off."""
    return os.environ.get("AUDIOPIPE_NATURALNESS", "").strip().lower() in OFF


def enabled() -> bool:
    return not switched_off() and model.unavailable() is None


def naturalness(results: Sequence[Result], cache: TakeCache,
                progress: Callable[[str, int, int], None] | None = None) -> dict[str, float]:
    """Every take's score by its key (none when scoring is off or not installed)."""
    if not enabled():
        return {}
    takes = list({r.info.key: r.info for r in results}.values())
    scores: dict[str, float] = {}
    for done, info in enumerate(takes):
        if progress:
            progress("scoring naturalness", done, len(takes))
        if info.naturalness < 0 or info.naturalness_method != model.METHOD:
            kept = cache.get(info.key) or info            # scored by a build beside this one meanwhile?
            if kept.naturalness < 0 or kept.naturalness_method != model.METHOD:
                samples = signal.to_float(read_wav(cache.wav_path(info.key))[0])
                kept = dataclasses.replace(kept, naturalness=model.score(samples, WORK_RATE),
                                           naturalness_method=model.METHOD)
                cache.update(kept)
            info = kept
        scores[info.key] = info.naturalness
    if progress:
        progress("scoring naturalness", len(takes), len(takes))
    return scores
