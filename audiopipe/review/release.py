"""What reaches the feed: only episodes whose last QA passed, checked on the MP3 that is there now,
and not built by a fallback engine (unless the producer said ``--publish-fallback``)."""

from __future__ import annotations

import json
from pathlib import Path

from audiopipe.config.show import Show
from audiopipe.publish.episode import refresh_feed as write_feed
from audiopipe.publish.record import EpisodeRecord

QA_FILE = "qa.json"


def hold_reason(folder: Path, record: EpisodeRecord) -> str | None:
    """Why the episode in *folder* stays out of the feed, or None when it may be published."""
    slug = record.episode.slug
    try:
        qa = json.loads((folder / QA_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        if record.schema < 2:
            return None     # built before QA gated the feed (schema 1): published as it was, not dropped
        return f"not checked (built with --no-qa); run `audiopipe qa {slug}`"
    mp3 = folder / record.episode.file
    if not isinstance(qa, dict) or qa.get("episode_bytes") != mp3.stat().st_size:
        return f"its QA was for another build of it; run `audiopipe qa {slug}`"
    if not qa.get("passed"):
        return "QA failed; fix it and rebuild (or `audiopipe retake`)"
    fallback = sorted({s.engine for s in record.segments if s.fallback})
    if fallback and not record.build.options.publish_fallback:
        return (f"made (in part) by the fallback engine {', '.join(fallback)}; rebuild when the primary engine "
                "answers, or build with --publish-fallback to publish it as it is")
    return None


def refresh_feed(out_dir: Path, show: Show) -> tuple[Path, list[tuple[str, str]]]:
    """Rewrite out_dir/feed.xml with the episodes that may be published; the others with their reason."""
    held: list[tuple[str, str]] = []
    return write_feed(out_dir, show, hold_reason, held), held
