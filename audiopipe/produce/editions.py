"""Language editions, mixed and mastered: that language's segments in story order between the same
intro and outro, with the show's gaps, mastered to the same target from the same takes (no synthesis;
an edition's encode is stored and reused while its sound is unchanged, as the episode's is).  Tagging,
transcripts and the edition's record are publishing's (:mod:`audiopipe.publish.editions`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from audiopipe.config.show import Show
from audiopipe.dsp.loudness import Loudness
from audiopipe.produce import mix
from audiopipe.produce.episode import master_to
from audiopipe.produce.store import MasterStore
from audiopipe.script.manifest import Manifest
from audiopipe.synth.cache import TakeCache
from audiopipe.synth.run import Result

TITLE_SUFFIX = {"en": " (English)", "zh": "（中文）"}


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
           done: Callable[[], None] = lambda: None) -> tuple[Edition, ...]:
    """Every edition in *targets* (language -> the MP3 to write), both at once (each encode takes a core)."""
    def one(lang: str) -> Edition:
        made = _render(takes, lang, targets[lang], remaster)
        done()
        return made
    with ThreadPoolExecutor(max_workers=max(1, len(targets)), thread_name_prefix="edition") as pool:
        return tuple(pool.map(one, list(targets)))


def _render(takes: Takes, lang: str, mp3: Path, remaster: bool) -> Edition:
    titles: dict[int | None, str] = {}           # a story's title is on the segment that opens it: give it
    for r in takes.results:                      # to this language's segment, which opens it here
        if r.job.segment.chapter:
            titles.setdefault(r.job.segment.story, r.job.segment.chapter)
    chosen = [dataclasses.replace(r, job=dataclasses.replace(r.job, segment=dataclasses.replace(
        r.job.segment, chapter=titles.get(r.job.segment.story)))) for r in takes.results if r.job.segment.lang == lang]
    timeline = mix.build_timeline(chosen, takes.cache, takes.levels, takes.show, takes.intro, takes.outro,
                                  gap_scale=takes.gap_scale)
    manifest = dataclasses.replace(takes.manifest, title=takes.manifest.title + TITLE_SUFFIX[lang], order=(lang,))
    loudness, _reused = master_to(timeline, takes.show, takes.levels, mp3, remaster)
    return Edition(lang, manifest, timeline, loudness, mp3)
