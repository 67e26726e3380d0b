"""Decide every take before synthesis: engine, voice settings, the text spoken, the cache key."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from audiopipe import logs
from audiopipe.config.lexicon import EMPTY as EMPTY_LEXICON
from audiopipe.config.lexicon import Lexicon
from audiopipe.config.voices import VoiceProfile
from audiopipe.engines import AUTO, Engines, VoiceSettings
from audiopipe.engines.mandarin import relevant
from audiopipe.errors import AudiopipeError, EngineError
from audiopipe.script.segments import Segment
from audiopipe.synth.cache import joined_key, take_key
from audiopipe.synth.override import Override as Override  # a reviewer's choice: its own light module
from audiopipe.synth.timing import DEFAULT_UNITS_PER_MIN, rate_factor, speed_to_rate, units
from audiopipe.text import headline_split, split_sentences, spoken_text


@dataclass(frozen=True)
class Job:
    """One take to make (or find in the cache)."""

    segment: Segment
    settings: VoiceSettings
    text: str            # the text actually spoken
    key: str
    by_fallback: bool = False        # made by a fallback engine (auto without its service, or --fallback)
    backup: Job | None = None        # --fallback: the same segment by the fallback engine
    spans: tuple[tuple[str, str], ...] = ()   # (script words, spoken words): what the lexicon made of what
    parts: tuple[Job, ...] = ()      # a long segment: its takes, one per sentence group (synth.run joins them)
    headline: bool = False           # its first part is a headline: a headline's pause follows it

    @property
    def part_keys(self) -> tuple[str, ...]:
        """The takes this job is made of: its parts', or its own."""
        return tuple(part.key for part in self.parts) or (self.key,)


@dataclass(frozen=True)
class Asked:
    """What a run asks of every take: the engine (``--engine``), the speaking-rate scale (``--fit``), the
    fallback engine, the longest take, the episode's hosts (language -> profile: who says the other
    language's words), the reviewer's per-segment choices and the lexicon."""

    engine: str | None = None
    speed: float = 1.0
    fallback: str | None = None
    take_max_s: float = 0
    hosts: Mapping[str, str] = field(default_factory=dict)
    overrides: Mapping[int, Override] = field(default_factory=dict)
    lexicon: Lexicon = EMPTY_LEXICON


def plan(segments: Sequence[Segment], profiles: Mapping[str, VoiceProfile], engines: Engines,
         asked: Asked | None = None) -> list[Job]:
    """Decide engine, voice and cache key for every segment; check every voice first.

    ``asked.speed`` scales every profile's speaking rate (``--fit``); with ``asked.fallback``, every job
    carries a backup job for that engine, made when the primary engine cannot make the take.  A segment
    whose text runs longer than ``asked.take_max_s`` is made as several takes (:func:`sentence_groups`).
    A stretch in the other language's script is spoken by the profile's ``other:`` voice, else by the
    voice of the episode's host for that language, on the same engine.
    """
    asked = asked or Asked()
    jobs = []
    checked: set[tuple[str, str]] = set()
    for seg in segments:
        override = asked.overrides.get(seg.index, Override())
        profile = profiles[override.profile or seg.profile]
        if override.rate is not None:
            profile = dataclasses.replace(profile, rate=override.rate)
        wanted = override.engine or asked.engine or profile.engine
        engine_name = engines.resolve(wanted)
        spans = _spans(asked.lexicon, seg)
        text = "".join(spoken for _, spoken in spans)
        take = _Take(seg, profile, text, _other_profile(seg, profiles, asked.hosts),
                     relevant(asked.lexicon.readings, text))
        job = _job(take, engines, engine_name, asked, checked)
        job = dataclasses.replace(job, spans=spans)
        if wanted == AUTO and engines.auto_offline is not None:
            job = dataclasses.replace(job, by_fallback=True)
        if asked.fallback is not None and asked.fallback != engine_name:
            backup = _job(take, engines, asked.fallback, asked, checked)
            job = dataclasses.replace(job, backup=dataclasses.replace(backup, by_fallback=True, spans=spans))
        jobs.append(job)
    return jobs


@dataclass(frozen=True)
class _Take:
    """One segment's take as asked: its profile, the spoken text, who says the other language's words, and
    the Mandarin readings its text uses."""

    seg: Segment
    profile: VoiceProfile
    text: str
    other: VoiceProfile | None
    readings: str


def _spans(lexicon: Lexicon, seg: Segment) -> tuple[tuple[str, str], ...]:
    """What the lexicon makes of the segment's text (whitespace collapsed), a headline kept apart by its
    blank line (a take of its own: :func:`_job`)."""
    head = headline_split(seg.text)
    if head is None:
        return lexicon.spans(spoken_text(seg.text), seg.lang)
    return (*lexicon.spans(spoken_text(head[0]), seg.lang), ("\n\n", "\n\n"),
            *lexicon.spans(spoken_text(head[1]), seg.lang))


def _other_profile(seg: Segment, profiles: Mapping[str, VoiceProfile],
                   hosts: Mapping[str, str] | None) -> VoiceProfile | None:
    """The episode's host for the language *seg* is not in (whose voice speaks its stretches of that script)."""
    name = (hosts or {}).get("zh" if seg.lang == "en" else "en")
    return profiles.get(name) if name else None


def sentence_groups(text: str, lang: str, rate: int, max_s: float) -> list[str]:
    """*text* as runs of whole sentences, each (but a single longer sentence) within *max_s* at the
    default speaking rate of *lang*.  Filled from the start, so an edit moves only the groups from
    the edited one on; the estimate never changes between builds, so neither do the groups.
    """
    if max_s <= 0:
        return [text]
    per_s = DEFAULT_UNITS_PER_MIN[lang] * rate_factor(rate) / 60
    groups: list[str] = []
    current = ""
    for sentence in split_sentences(text):
        if current.strip() and units(current + sentence, lang) / per_s > max_s:
            groups.append(current)
            current = ""
        current += sentence
    if current:
        if groups and not current.strip():
            groups[-1] += current
        else:
            groups.append(current)
    return groups


def _job(take: _Take, engines: Engines, engine_name: str, asked: Asked, checked: set[tuple[str, str]]) -> Job:
    """One segment's job on *engine_name* (in parts when its text runs past ``asked.take_max_s``); its voice
    and the voice of the other language's stretches are checked once per run; an engine that reads
    pinyin gets the Mandarin readings the text uses (in the take's key)."""
    seg, profile, text, other, readings, speed = take.seg, take.profile, take.text, take.other, take.readings, asked.speed
    engine = engines.get(engine_name)
    voice = profile.voice_for(engine_name) or engine.default_voice(seg.lang)
    rate = profile.rate if speed == 1.0 else speed_to_rate(profile.rate, speed)
    settings = engine.settings(seg.lang, voice, rate, profile.pitch, profile.volume, profile.voice_file)
    other_lang = "zh" if seg.lang == "en" else "en"
    second = profile.other.get(engine_name) or (other.voice_for(engine_name) if other else None)
    theirs = engine.settings(other_lang, second or engine.default_voice(other_lang),
                             voice_file=profile.voice_file)      # as the engine maps it (kokoro's fallback)
    if theirs.voice != engine.default_voice(other_lang):
        settings = dataclasses.replace(settings, other=theirs.voice)
    if readings and engine.reads_pinyin:
        settings = dataclasses.replace(settings, readings=readings)
    named = profile if profile.other.get(engine_name) else other or profile
    for checking, owner in ((settings, profile), (theirs if settings.other else settings, named)):
        if checking.voice and (engine_name, checking.voice) not in checked:
            try:
                engine.check_voice(checking)
            except EngineError as exc:
                where = owner.path or f"voice profile {owner.name}"
                raise AudiopipeError(f"{where}: {exc.message}") from None
            checked.add((engine_name, checking.voice))
        note = engine.note
        if note and ("note", note) not in checked:
            checked.add(("note", note))
            logs.say(f"note: {note}")
    version = engine.version()
    head = headline_split(text)          # a headline is a take of its own, a headline's pause after it
    groups = sentence_groups(head[1] if head else text, seg.lang, settings.rate, asked.take_max_s)
    groups = [head[0], *groups] if head else groups
    if len(groups) < 2:
        return Job(seg, settings, text, take_key(settings, version, text))
    parts = tuple(Job(seg, settings, group, take_key(settings, version, group)) for group in groups)
    return Job(seg, settings, text, joined_key(tuple(p.key for p in parts) + (("headline",) if head else ())),
               parts=parts, headline=bool(head))
