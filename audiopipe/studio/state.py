"""What the review page shows of an episode, and the changes its actions make (through review.json)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from audiopipe.config.show import Show
from audiopipe.errors import AudiopipeError
from audiopipe.options import BuildOptions, Choices
from audiopipe.pipeline import load
from audiopipe.publish.record import FILE as RECORD_FILE
from audiopipe.publish.record import EpisodeRecord
from audiopipe.review import release as release_gate
from audiopipe.review import retakes, verdicts
from audiopipe.review.folder import EpisodeFolder
from audiopipe.script.segments import segments_of
from audiopipe.studio.retake import Retaken, segment_of
from audiopipe.synth.override import Override
from audiopipe.workspace import EpisodeFiles, Workspace


def episodes(out_dir: Path, only: list[str] | None = None) -> list[str]:
    """The built episodes of *out_dir* (folders with a report.json), or those of *only* among them."""
    found = sorted(p.parent.name for p in Path(out_dir).glob(f"*/{RECORD_FILE}"))
    return [s for s in found if only is None or s in only]


def stamp(folder: Path) -> str:
    """Changes whenever the episode is rebuilt or its review changes (the page's reload prompt)."""
    parts = []
    for name in (RECORD_FILE, verdicts.FILE):
        try:
            st = (folder / name).stat()
            parts.append(f"{st.st_mtime_ns}-{st.st_size}")
        except OSError:
            parts.append("-")
    return "/".join(parts)


def _show(folder: Path) -> Show:
    return Workspace(folder.parent).show_of(EpisodeFiles(folder))


def _manifest(record: EpisodeRecord) -> tuple[dict[int, str], dict[str, list[str]]]:
    """The manifest's own text per segment, and the voice profiles per language (for re-takes)."""
    recorded = record.build.options
    options = BuildOptions(Choices(show_file=Path(recorded.show) if recorded.show else None,
                                   voices_dir=Path(recorded.voices) if recorded.voices else None))
    try:
        loaded = load(Path(record.episode.manifest), options)
    except AudiopipeError:
        return {}, {}
    texts = {s.index: s.text for s in segments_of(loaded.manifest)}
    profiles: dict[str, list[str]] = {}
    for name, profile in sorted(loaded.profiles.items()):
        profiles.setdefault(profile.language, []).append(name)
    return texts, profiles


def episode_state(folder: Path) -> dict[str, Any]:
    """Everything the page shows of the episode in *folder*."""
    loaded = EpisodeRecord.load(folder)
    show = _show(folder)
    episode = EpisodeFolder.of(folder, loaded, show)
    record, review, qa, hold = episode.record, episode.review, episode.qa, episode.hold
    texts, profiles = _manifest(record)
    segments = []
    for seg in record.segments:
        status, why = verdicts.status(review, seg)
        verdict = review.verdicts.get(seg.index)
        override = review.overrides[seg.index].to_json() if seg.index in review.overrides else {}
        segments.append({
            "index": seg.index, "lang": seg.lang, "story": seg.story, "chapter": seg.chapter,
            "text": seg.text, "manifest_text": texts.get(seg.index, seg.text),
            "text_edited": "text" in override, "profile": seg.voice_profile, "voice": seg.voice,
            "engine": seg.engine, "rate": seg.rate, "take": seg.take, "file": seg.file,
            "duration_ms": seg.duration_ms, "naturalness": seg.naturalness, "status": status, "why": why, "override": override,
            "by": verdict.by if verdict else "", "at": verdict.at if verdict else "",
            "pending": review.pending[seg.index].to_json() if seg.index in review.pending else None})
    published = episode.published
    return {"slug": record.episode.slug, "title": record.episode.title, "date": record.episode.date,
            "file": record.episode.file, "duration_ms": record.episode.duration_ms, "segments": segments,
            "profiles": profiles, "engines": ["espeak", "kokoro", "edge"],
            "qa": {"passed": qa.passed if qa else None,
                   "findings": [dataclasses.asdict(f) for f in qa.findings] if qa else [],
                   "figures": list(qa.figures) if qa else []},
            "review_required": show.review == "required", "released": review.released.to_json() if review.released else None,
            "in_feed": hold is None, "hold": hold, "stamp": stamp(folder),
            "published": None if published is None else {
                "at": published.at, "file": published.mp3, "duration_ms": published.record.episode.duration_ms,
                "this_build": episode.this_build_published},
            "not_approved": verdicts.not_approved(review, record)}


def set_verdict(folder: Path, index: int, action: str, note: str) -> None:
    """Approve, flag (with *note*) or clear segment *index* for its present take."""
    seg = segment_of(EpisodeRecord.load(folder), index, folder)

    verdict = None if action == "clear" else verdicts.Verdict.of("approved" if action == "approve" else "flagged",
                                                                 seg, note)
    verdicts.update(folder, lambda review: (review.with_verdict(index, verdict), None))


def stored_override(folder: Path, index: int) -> Override | None:
    return retakes.stored(folder).get(index)


def set_pending(folder: Path, index: int, done: Retaken, previous_override: Override | None) -> None:
    """After a re-take: the previous and the new take wait side by side for the reviewer's choice."""
    if done.before.take == done.after.take or done.previous_file is None:
        return                                       # the same take came back: nothing to compare
    first = verdicts.Pending(done.before.take, done.previous_file, done.after.take, verdicts.now(), previous_override)

    def change(review: verdicts.Review) -> tuple[verdicts.Review, None]:
        earlier = review.pending.get(index)          # a second re-take still compares with the first take
        pending = dataclasses.replace(earlier, new_take=done.after.take) if earlier else first
        return review.with_pending(index, pending), None
    verdicts.update(folder, change)


def refresh_after_change(folder: Path) -> None:
    """After the episode changed (a re-take, an A/B choice): the feeds carry what may be published now."""
    show = _show(folder)
    if show.base_url:
        release_gate.refresh_feed(folder.parent, show)


def release_folder(folder: Path) -> list[str]:
    return release_gate.release(folder, _show(folder))


def publish_released(folder: Path) -> list[str]:
    """After a release: where show.yaml names a destination (``publish: {to: …}``), what the feeds serve is sent
    there (the summary lines); else nothing."""
    from audiopipe.studio.publishing import publish_show
    show = _show(folder)
    return publish_show(folder.parent, show, show.publish_to, quiet=True) if show.publish_to else []

