"""What reaches the feed: only episodes whose last QA passed, checked on the MP3 that is there now,
not built by a fallback engine (unless the producer said ``--publish-fallback``), and, when show.yaml
says ``review: required``, released by a reviewer (every segment approved for its present take)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from audiopipe.config.show import Show
from audiopipe.errors import AudiopipeError
from audiopipe.publish.episode import write_feeds
from audiopipe.publish.record import EpisodeRecord
from audiopipe.qa.qarecord import QA_FILE, QaRecord
from audiopipe.review import verdicts


def qa_hold(folder: Path, record: EpisodeRecord, qa: QaRecord | None = None) -> str | None:
    """Why QA (*qa*, else the folder's qa.json) keeps the episode in *folder* out of the feed, or None."""
    slug = record.episode.slug
    qa = qa or QaRecord.load(folder)
    if qa is None:
        if record.schema < 2:
            return None     # built before QA gated the feed (schema 1): published as it was, not dropped
        return f"not checked (built with --no-qa); run `audiopipe qa {slug}`"
    if not qa.is_for(folder / record.episode.file):
        return f"its QA was for another build of it; run `audiopipe qa {slug}`"
    if not qa.passed:
        return "QA failed; fix it and rebuild (or `audiopipe retake`)"
    fallback = sorted({s.engine for s in record.segments if s.fallback})
    if fallback and not record.build.options.publish_fallback:
        return (f"made (in part) by the fallback engine {', '.join(fallback)}; rebuild when the primary engine "
                "answers, or build with --publish-fallback to publish it as it is")
    return None


def hold_reason(folder: Path, record: EpisodeRecord, show: Show | None = None, qa: QaRecord | None = None,
                review: verdicts.Review | None = None) -> str | None:
    """Why the episode in *folder* stays out of the feed, or None when it may be published (*qa* and
    *review*: what the caller has read of the folder already)."""
    reason = qa_hold(folder, record, qa)
    if reason is not None or show is None or show.review != "required":
        return reason
    slug = record.episode.slug
    try:
        review = review or verdicts.load(folder)
    except AudiopipeError as exc:
        return exc.message
    if not verdicts.released_now(review, record, folder / record.episode.file):
        return (f"review required: not released; approve every segment (`audiopipe review {slug}`), then "
                f"`audiopipe release {slug}`")
    return None


def refresh_feed(out_dir: Path, show: Show, full: bool = False,
                 notes: list[str] | None = None) -> tuple[Path, list[tuple[str, str]]]:
    """Rewrite out_dir/feed.xml with the episodes that may be published; the others with their reason.  The
    gate reads qa.json and review.json: a folder whose files, these among them, are as the last refresh left
    them is not judged again (*full*: every folder is); *notes*: published copies found changed, and what
    became of them."""
    held: list[tuple[str, str]] = []
    return write_feeds(out_dir, show, lambda folder, record: hold_reason(folder, record, show), held,
                      (QA_FILE, verdicts.FILE), full, notes), held


def release(folder: Path, show: Show) -> list[str]:
    """Release the episode in *folder*: when QA passed and every segment is approved for its present take,
    record the release and rewrite the feed (returns []); otherwise the lines saying what stands in the way."""
    record = EpisodeRecord.load(folder)
    reason = qa_hold(folder, record)
    blockers = [reason] if reason else []

    def stamp(review: verdicts.Review) -> tuple[verdicts.Review, None]:
        blockers.extend(verdicts.not_approved(review, record))
        if blockers:
            return review, None
        return dataclasses.replace(review, released=verdicts.release_stamp(record, folder / record.episode.file)), None
    verdicts.update(folder, stamp)
    if not blockers and show.base_url:
        refresh_feed(folder.parent, show)
    return blockers
