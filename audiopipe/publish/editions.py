"""Language editions published: ``<slug>-en.mp3`` and ``<slug>-zh.mp3`` (mixed and mastered by
:mod:`audiopipe.produce.editions`) tagged with their own title, language and chapters, and given their
own transcript and chapters files.  ``editions: false`` in show.yaml turns them off (and removes old ones).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from pathlib import Path

from audiopipe.produce.editions import Edition, files_of
from audiopipe.publish import episode, transcript
from audiopipe.publish.feed import feed_url_of
from audiopipe.publish.making import Publishing, episode_record
from audiopipe.publish.record import EDITION_NAMES, EditionRecord
from audiopipe.tools.fsutil import write_text


def edition_guid(guid: str, lang: str) -> str:
    """A stable guid of its own for an edition (its item in the language feed)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:audiopipe:edition:{guid}:{lang}"))


def remove(folder: Path, slug: str, keep: Sequence[str] = ()) -> None:
    """The files of editions not in *keep* (a language gone, or editions turned off)."""
    for lang in EDITION_NAMES:
        if lang not in keep:
            for name in files_of(slug, lang):
                (folder / name).unlink(missing_ok=True)


def publish(rendered: Sequence[Edition], how: Publishing) -> tuple[EditionRecord, ...]:
    """Every rendered edition tagged (its MP3 written by the caller once the build is whole), with its
    transcript and chapters; the files of editions the episode no longer has removed."""
    remove(how.folder, how.slug, keep=[e.lang for e in rendered])
    return tuple(_publish(e, how) for e in rendered)


def _publish(edition: Edition, how: Publishing) -> EditionRecord:
    mp3_name, vtt_name, chapters_name = files_of(how.slug, edition.lang)
    own = edition_guid(how.guid, edition.lang)
    record = episode_record(edition.manifest, edition.timeline, edition.loudness, how, own)
    record = dataclasses.replace(record, episode=dataclasses.replace(record.episode, file=mp3_name))
    episode.tag_episode(edition.mp3, record, how.show, how.out_dir, how.cache_root, how.signing,
                        feed_url_of(how.show, edition.lang))
    write_text(how.folder / vtt_name, transcript.to_vtt(transcript.cues_of(record)))
    write_text(how.folder / chapters_name, transcript.chapters_json(record))
    return EditionRecord(edition.lang, mp3_name, edition.manifest.title, own, record.episode.duration_ms,
                         edition.loudness.integrated_lufs, edition.loudness.true_peak_dbtp,
                         tuple(seg.index for seg in record.segments), record.chapters, vtt_name, chapters_name,
                         edition.manifest.description)
