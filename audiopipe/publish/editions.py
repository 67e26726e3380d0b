"""Language editions: ``<slug>-en.mp3`` and ``<slug>-zh.mp3`` from the same takes, no synthesis.

Each edition is that language's segments in story order between the same intro and outro, with the
show's gaps, mastered to the same target (its encode is stored and reused while its sound is
unchanged, as the episode's is), tagged with its own title, language and chapters, and given its own
transcript and chapters files.  ``editions: false`` in show.yaml turns them off (and removes old ones).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from audiopipe.config.show import Show
from audiopipe.produce import mix
from audiopipe.produce.episode import master_to
from audiopipe.produce.master import SegmentFile
from audiopipe.produce.store import MasterStore
from audiopipe.publish import episode as publish
from audiopipe.publish import transcript
from audiopipe.publish.record import (
    EDITION_NAMES,
    TITLE_SUFFIX,
    BuildInfo,
    EditionRecord,
    make_record,
)
from audiopipe.script.manifest import Manifest
from audiopipe.synth.cache import TakeCache
from audiopipe.synth.run import Result
from audiopipe.tools.fsutil import atomic_path, write_text


def files_of(slug: str, lang: str) -> tuple[str, str, str]:
    """(MP3, transcript, chapters) of an edition, relative to the episode folder."""
    return f"{slug}-{lang}.mp3", f"transcript-{lang}.vtt", f"chapters-{lang}.json"


def edition_guid(guid: str, lang: str) -> str:
    """A stable guid of its own for an edition (its item in the language feed)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:audiopipe:edition:{guid}:{lang}"))


@dataclasses.dataclass(frozen=True)
class Sources:
    """What an edition is made from: the episode's takes, levels and stingers, and its record's parts."""

    manifest: Manifest
    show: Show
    results: Sequence[Result]
    cache: TakeCache
    levels: MasterStore
    intro: mix.Clip | None
    outro: mix.Clip | None
    gap_scale: float
    segment_files: Mapping[int, SegmentFile]
    build: BuildInfo
    guid: str
    speakers: Mapping[str, str]


def remove(folder: Path, slug: str, keep: Sequence[str] = ()) -> None:
    """The files of editions not in *keep* (a language gone, or editions turned off)."""
    for lang in EDITION_NAMES:
        if lang not in keep:
            for name in files_of(slug, lang):
                (folder / name).unlink(missing_ok=True)


def make(src: Sources, folder: Path, out_dir: Path, cache_root: Path, remaster: bool = False,
         done: Callable[[], None] = lambda: None) -> tuple[EditionRecord, ...]:
    """Every edition of the episode (none with ``editions: false`` or a one-language episode)."""
    slug = src.manifest.slug
    langs = [lang for lang in src.manifest.order if any(r.job.segment.lang == lang for r in src.results)]
    if not src.show.editions or len(langs) < 2:
        remove(folder, slug)
        return ()
    remove(folder, slug, keep=langs)

    def one(lang: str) -> EditionRecord:
        made = _edition(src, lang, folder, out_dir, cache_root, remaster)
        done()
        return made
    with ThreadPoolExecutor(max_workers=len(langs), thread_name_prefix="edition") as pool:
        return tuple(pool.map(one, langs))


def _edition(src: Sources, lang: str, folder: Path, out_dir: Path, cache_root: Path, remaster: bool) -> EditionRecord:
    slug = src.manifest.slug
    mp3_name, vtt_name, chapters_name = files_of(slug, lang)
    titles: dict[int | None, str] = {}           # a story's title is on the segment that opens it: give it
    for r in src.results:                        # to this language's segment, which opens it here
        if r.job.segment.chapter:
            titles.setdefault(r.job.segment.story, r.job.segment.chapter)
    chosen = [dataclasses.replace(r, job=dataclasses.replace(r.job, segment=dataclasses.replace(
        r.job.segment, chapter=titles.get(r.job.segment.story)))) for r in src.results if r.job.segment.lang == lang]
    timeline = mix.build_timeline(chosen, src.cache, src.levels, src.show, src.intro, src.outro,
                                  gap_scale=src.gap_scale)
    manifest = dataclasses.replace(src.manifest, title=src.manifest.title + TITLE_SUFFIX[lang], order=(lang,))
    guid = edition_guid(src.guid, lang)
    mp3 = folder / mp3_name
    with atomic_path(mp3) as tmp:
        loudness, _reused = master_to(timeline, src.show, src.levels, tmp, remaster)
        record = make_record(manifest, src.show, timeline, loudness, src.segment_files, src.build, guid, src.speakers)
        record = dataclasses.replace(record, episode=dataclasses.replace(record.episode, file=mp3_name))
        publish.tag_episode(tmp, record, src.show, out_dir, cache_root)
    write_text(folder / vtt_name, transcript.to_vtt(transcript.cues_of(record)))
    write_text(folder / chapters_name, transcript.chapters_json(record))
    return EditionRecord(lang, mp3_name, manifest.title, guid, record.episode.duration_ms,
                         loudness.integrated_lufs, loudness.true_peak_dbtp,
                         tuple(seg.index for seg in record.segments), record.chapters, vtt_name, chapters_name)

