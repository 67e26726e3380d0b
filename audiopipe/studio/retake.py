"""One segment made again (another profile, rate, engine or text) and the episode rebuilt from the cache.

Shared by ``audiopipe retake`` and the review server.  The choice is checked against today's voice
profiles before it is saved; the segment's previous file is kept for the reviewer's A/B.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from audiopipe.engines import Engines
from audiopipe.errors import AudiopipeError
from audiopipe.options import BuildOptions, Choices, Run
from audiopipe.pipeline import Episode, build, load
from audiopipe.publish.record import EpisodeRecord, SegmentRecord
from audiopipe.review import retakes, verdicts
from audiopipe.synth.override import Override
from audiopipe.tools.fsutil import copy_file

AB_DIR = "review"        # previous takes kept for A/B, inside the episode folder


@dataclass(frozen=True)
class Retaken:
    episode: Episode
    before: SegmentRecord
    after: SegmentRecord
    previous_file: str | None     # the previous take's segment MP3, relative to the episode folder


def options_for(record: EpisodeRecord, out_dir: Path, cache_dir: Path | None, segment: int,
                progress: Callable[[str, int, int], None] | None) -> BuildOptions:
    """The options the episode was built with, forcing *segment* to be made again."""
    recorded = record.build.options
    return BuildOptions(Choices(engine=recorded.engine, show_file=Path(recorded.show) if recorded.show else None,
                                voices_dir=Path(recorded.voices) if recorded.voices else None,
                                speed=recorded.speed, gap_scale=recorded.gap_scale, fallback_engine=recorded.fallback,
                                publish_fallback=recorded.publish_fallback, force=frozenset({segment})),
                        Run(out_dir=out_dir, cache_dir=cache_dir, progress=progress))


def segment_of(record: EpisodeRecord, index: int, folder: Path) -> SegmentRecord:
    for seg in record.segments:
        if seg.index == index:
            return seg
    raise AudiopipeError(f"{folder}: no segment {index}; segments are 1..{len(record.segments)}")


def retake(folder: Path, index: int, override: Override | None, cache_dir: Path | None = None,
           progress: Callable[[str, int, int], None] | None = None, keep_previous: bool = False,
           engines: Callable[[BuildOptions], Engines] | None = None) -> Retaken:
    """Make segment *index* again (with *override* saved first, when given) and rebuild the episode; the
    review server passes *engines*, which keeps one loaded set of engines between re-takes."""
    record = EpisodeRecord.load(folder)
    before = segment_of(record, index, folder)
    options = options_for(record, folder.parent, cache_dir, index, progress)
    manifest = Path(record.episode.manifest)
    if override is not None:
        loaded = load(manifest, options)      # check the choice against today's profiles before saving it
        retakes.check("retake", index, override, loaded.profiles, before.lang)
        merged = {**retakes.stored(folder).get(index, Override()).to_json(), **override.to_json()}
        retakes.save(folder, index, Override(**merged))
    previous_file = _keep(folder, before) if keep_previous else None
    episode = build(manifest, options, engines(options) if engines else None)
    after = segment_of(EpisodeRecord.load(folder), index, folder)
    return Retaken(episode, before, after, previous_file)


def _keep(folder: Path, seg: SegmentRecord) -> str | None:
    """A copy of the segment's present MP3 under review/, named by its take, for the A/B."""
    if not seg.file or not (folder / seg.file).is_file():
        return None
    name = f"{AB_DIR}/{seg.index}-{seg.take[:16]}.mp3"
    (folder / AB_DIR).mkdir(exist_ok=True)
    if not (folder / name).is_file():
        copy_file(folder / seg.file, folder / name)
    return name


def keep_ab(folder: Path, index: int, keep: str, cache_dir: Path | None = None) -> Episode | None:
    """The reviewer's A/B choice: ``new`` keeps the re-take; ``previous`` goes back to the previous
    override (its take is in the cache, so nothing is synthesized) and rebuilds."""
    pending = verdicts.update(folder, lambda review: (review.with_pending(index, None), review.pending.get(index)))
    if pending is None:
        raise AudiopipeError(f"{folder}: segment {index} has no re-take waiting for an A/B choice")
    if keep == "new":
        return None
    retakes.save(folder, index, pending.previous_override or Override())
    record = EpisodeRecord.load(folder)
    options = options_for(record, folder.parent, cache_dir, index, None)
    unforced = dataclasses.replace(options.choices, force=frozenset())
    return build(Path(record.episode.manifest), dataclasses.replace(options, choices=unforced))
