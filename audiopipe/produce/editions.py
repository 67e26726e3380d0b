"""Language editions, mixed and mastered: that language's segments in story order between the same
intro and outro, with the show's gaps, mastered to the same target from the same takes (no synthesis;
an edition's encode is stored and reused while its sound is unchanged, as the episode's is).  Tagging,
transcripts and the edition's record are publishing's (:mod:`audiopipe.publish.editions`)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from audiopipe.config.show import Show
from audiopipe.dsp.loudness import Loudness
from audiopipe.produce import mix
from audiopipe.produce.episode import master_to
from audiopipe.produce.pieces import Measure, measure_file
from audiopipe.produce.store import MasterStore
from audiopipe.script.manifest import Manifest
from audiopipe.synth.cache import TakeCache
from audiopipe.synth.run import Result
from audiopipe.text import TITLE_SUFFIX


def files_of(slug: str, lang: str) -> tuple[str, str, str]:
    """(MP3, transcript, chapters) of an edition, relative to the episode folder."""
    return f"{slug}-{lang}.mp3", f"transcript-{lang}.vtt", f"chapters-{lang}.json"


@dataclass(frozen=True)
class Edition:
    """One language edition, mastered and encoded (untagged) to *mp3*."""

    lang: str
    manifest: Manifest            # the episode as this edition: its title, its one language
    timeline: mix.Timeline
    loudness: Loudness
    mp3: Path


@dataclass(frozen=True)
class Takes:
    """What the editions are mixed from: the episode's takes, levels, stingers and gaps."""

    manifest: Manifest
    show: Show
    results: Sequence[Result]
    cache: TakeCache
    levels: MasterStore
    intro: mix.Clip | None
    outro: mix.Clip | None
    gap_scale: float


def languages(takes: Takes) -> list[str]:
    """The editions an episode has: one per language it speaks, when it speaks two and the show wants them."""
    langs = [lang for lang in takes.manifest.order if any(r.job.segment.lang == lang for r in takes.results)]
    return langs if takes.show.editions and len(langs) > 1 else []


def render(takes: Takes, targets: Mapping[str, Path], remaster: bool = False,
           measure: Measure = measure_file) -> tuple[Edition, ...]:
    """Every edition in *targets* (language -> the MP3 to write), one after the other, each measured by
    *measure*: the build runs this beside the bilingual episode's encode, so both cores are busy and
    neither is fought over."""
    return tuple(_render(takes, lang, mp3, remaster, measure) for lang, mp3 in targets.items())


def first_clause(text: str, limit: int = 24) -> str:
    """A Chinese text's first clause (up to its first comma or stop), as a title where none is given; a colon
    or comma between digits (10:00, 1,200) is part of a figure, not a stop."""
    clause = re.split(r"[，。；：！？;!?\n]|(?<!\d)[,:]|[,:](?!\d)", text.strip(), maxsplit=1)[0].strip()
    return clause if len(clause) <= limit else clause[:limit - 1] + "…"


def titles_in(manifest: Manifest, lang: str) -> tuple[str, str, dict[int, str]]:
    """The episode's title, description and story titles in *lang*: as the manifest gives them in that
    language (`title: {en: …, zh: …}`); in Chinese, where none is given, each story's first clause (never
    the English); in English, the manifest's own with " (English)" (it would be the bilingual episode's)."""
    stories = {s.number: s.titles.get(lang) or (first_clause(s.texts.get(lang, "")) if lang == "zh" else s.title)
               or "" for s in manifest.stories}
    if lang == "zh":
        lead = next(iter(stories.values()), "") or first_clause(manifest.script or "")
        title = manifest.titles.get("zh") or lead + TITLE_SUFFIX["zh"]
        description = manifest.descriptions.get("zh") or "；".join(t for t in stories.values() if t)
    else:
        title = (manifest.titles.get(lang) or manifest.title) + TITLE_SUFFIX[lang]   # the bilingual title is English
        description = manifest.descriptions.get(lang) or manifest.description
    return title, description, stories


def _render(takes: Takes, lang: str, mp3: Path, remaster: bool, measure: Measure) -> Edition:
    title, description, story_titles = titles_in(takes.manifest, lang)
    titled = {r.job.segment.story for r in takes.results if r.job.segment.chapter}   # stories with a chapter
    opened: set[int | None] = set()              # it opens at this language's first segment of the story
    chosen = []
    for r in takes.results:
        segment = r.job.segment
        if segment.lang != lang:
            continue
        first = segment.story not in opened
        opened.add(segment.story)
        chapter = (story_titles.get(segment.story or 0) or segment.chapter) if first and segment.story in titled \
            else None
        chosen.append(dataclasses.replace(r, job=dataclasses.replace(r.job, segment=dataclasses.replace(
            segment, chapter=chapter))))
    timeline = mix.build_timeline(chosen, takes.cache, takes.levels, takes.show, takes.intro, takes.outro,
                                  gap_scale=takes.gap_scale)
    manifest = dataclasses.replace(takes.manifest, title=title, description=description, order=(lang,))
    loudness, _reused = master_to(timeline, takes.show, takes.levels, mp3, remaster, measure)
    return Edition(lang, manifest, timeline, loudness, mp3)
