"""Decide every take before synthesis: engine, voice settings, the text spoken, the cache key."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from audiopipe.config.lexicon import EMPTY as EMPTY_LEXICON
from audiopipe.config.lexicon import Lexicon
from audiopipe.config.voices import VoiceProfile
from audiopipe.engines import AUTO, Engines, VoiceSettings
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
    fallback: bool = False           # made by a fallback engine (auto without its service, or --fallback)
    backup: Job | None = None        # --fallback: the same segment by the fallback engine
    spans: tuple[tuple[str, str], ...] = ()   # (script words, spoken words): what the lexicon made of what


@dataclass(frozen=True)
class Override:
    """A reviewer's choice for one segment (a re-take): another profile, rate, engine or text."""

    profile: str | None = None
    rate: int | None = None
    engine: str | None = None
    text: str | None = None          # applied to the segment before planning (pipeline.plan)


def plan(segments: Sequence[Segment], profiles: Mapping[str, VoiceProfile], engines: Engines,
         engine_override: str | None = None, speed: float = 1.0,
         log: Callable[[str], None] = lambda message: None,
         overrides: Mapping[int, Override] | None = None,
         lexicon: Lexicon | None = None, fallback: str | None = None) -> list[Job]:
    """Decide engine, voice and cache key for every segment; check every voice first.

    *speed* scales every profile's speaking rate (``--fit``); with *fallback*, every job carries a
    backup job for that engine, made when the primary engine cannot make the take.
    """
    jobs = []
    checked: set[tuple[str, str]] = set()
    for seg in segments:
        override = (overrides or {}).get(seg.index, Override())
        profile = profiles[override.profile or seg.profile]
        if override.rate is not None:
            profile = dataclasses.replace(profile, rate=override.rate)
        asked = override.engine or engine_override or profile.engine
        engine_name = engines.resolve(asked)
        spans = (lexicon or EMPTY_LEXICON).spans(spoken_text(seg.text), seg.lang)
        text = "".join(spoken for _, spoken in spans)
        job = dataclasses.replace(_job(seg, profile, engines, engine_name, text, speed, checked, log), spans=spans)
        if asked == AUTO and engines.fallback is not None:
            job = dataclasses.replace(job, fallback=True)
        if fallback is not None and fallback != engine_name:
            backup = _job(seg, profile, engines, fallback, text, speed, checked, log)
            job = dataclasses.replace(job, backup=dataclasses.replace(backup, fallback=True, spans=spans))
        jobs.append(job)
    return jobs


def _job(seg: Segment, profile: VoiceProfile, engines: Engines, engine_name: str, text: str, speed: float,
         checked: set[tuple[str, str]], log: Callable[[str], None]) -> Job:
    """One segment's job on *engine_name*; its voice is checked once per run."""
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
        note = engine.note
        if note and ("note", note) not in checked:
            checked.add(("note", note))
            log(f"note: {note}")
    return Job(seg, settings, text, take_key(settings, engine.version(), text))
