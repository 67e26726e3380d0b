"""Decide every take before synthesis: engine, voice settings, the text spoken, the cache key."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from audiopipe.config.lexicon import EMPTY as EMPTY_LEXICON
from audiopipe.config.lexicon import Lexicon
from audiopipe.config.voices import VoiceProfile
from audiopipe.engines import Engines, VoiceSettings
from audiopipe.errors import AudiopipeError, EngineError
from audiopipe.script.segments import Segment
from audiopipe.synth.cache import take_key
from audiopipe.synth.timing import speed_to_rate
from audiopipe.text import spoken_text


@dataclass(frozen=True)
class Job:
    """One take to make (or find in the cache)."""

    segment: Segment
    settings: VoiceSettings
    text: str            # the text actually spoken
    key: str


@dataclass(frozen=True)
class Override:
    """A reviewer's choice for one segment (a re-take): another profile, rate or engine."""

    profile: str | None = None
    rate: int | None = None
    engine: str | None = None


def plan(segments: Sequence[Segment], profiles: Mapping[str, VoiceProfile], engines: Engines,
         engine_override: str | None = None, speed: float = 1.0,
         log: Callable[[str], None] = lambda message: None,
         overrides: Mapping[int, Override] | None = None,
         lexicon: Lexicon | None = None) -> list[Job]:
    """Decide engine, voice and cache key for every segment; check every voice first.

    *speed* scales every profile's speaking rate (``--fit``).
    """
    jobs = []
    checked: set[tuple[str, str]] = set()
    notes: set[str] = set()
    for seg in segments:
        override = (overrides or {}).get(seg.index, Override())
        profile = profiles[override.profile or seg.profile]
        if override.rate is not None:
            profile = dataclasses.replace(profile, rate=override.rate)
        engine_name = engines.resolve(override.engine or engine_override or profile.engine)
        engine = engines.get(engine_name)
        voice = profile.voice_for(engine_name) or engine.default_voice(seg.lang)
        rate = profile.rate if speed == 1.0 else speed_to_rate(profile.rate, speed)
        settings = engine.settings(seg.lang, voice, rate, profile.pitch, profile.volume, profile.voice_file)
        if (engine_name, voice) not in checked:
            try:
                engine.check_voice(settings)
            except EngineError as exc:
                where = profile.path or f"voice profile {profile.name}"
                raise AudiopipeError(f"{where}: {exc.message}") from None
            checked.add((engine_name, voice))
            if engine.note and engine.note not in notes:
                notes.add(engine.note)
                log(f"note: {engine.note}")
        text = (lexicon or EMPTY_LEXICON).apply(spoken_text(seg.text), seg.lang)
        jobs.append(Job(seg, settings, text, take_key(settings, engine.version(), text)))
    return jobs
