"""Publishing an episode: cover, ID3 tags with chapters and transcript, VTT/SRT, chapters.json, the feed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from audiopipe import artwork, feed, transcript
from audiopipe.fsutil import atomic_path, write_text
from audiopipe.langs import ISO639_2
from audiopipe.manifest import Manifest
from audiopipe.show import Show
from audiopipe.tags import Chapter, EpisodeTags

FALLBACK_FEED = "urn:audiopipe:"


def cover(show: Show, out_dir: Path) -> Path:
    """The show's cover inside *out_dir* (served with the episodes): generated, or the show's own copied."""
    out_dir.mkdir(parents=True, exist_ok=True)
    if show.artwork is None:
        return artwork.cover_file(show.title, show.author, None, out_dir)
    artwork.check_artwork(show.artwork)
    target = out_dir / f"artwork{show.artwork.suffix.lower()}"
    if not target.is_file() or target.read_bytes() != show.artwork.read_bytes():
        with atomic_path(target) as tmp:
            shutil.copyfile(show.artwork, tmp)
    return target


def episode_guid(show: Show, slug: str, folder: Path) -> str:
    """The episode's guid: the one it was first published with, else a UUIDv5 of feed URL and slug."""
    try:
        previous = json.loads((folder / "report.json").read_text(encoding="utf-8")).get("guid")
        if isinstance(previous, str) and previous:
            return previous
    except (OSError, ValueError):
        pass
    return feed.episode_guid(show.feed or FALLBACK_FEED + show.title, slug)


def episode_tags(manifest: Manifest, show: Show, report: dict[str, Any], cover_path: Path,
                 engines: list[str], cache_dir: Path | None = None) -> EpisodeTags:
    return EpisodeTags(
        title=manifest.title, show=show.title, artist=show.author, date=manifest.date.isoformat(),
        episode=manifest.episode, description=manifest.description,
        languages=tuple(ISO639_2[lang] for lang in manifest.order),
        comment=f"made with audiopipe; engines: {', '.join(engines)}",
        cover_jpeg=artwork.embedded_jpeg(cover_path, cache_dir),
        chapters=tuple(Chapter(c["start_ms"], c["end_ms"], c["title"]) for c in report["chapters"]),
        transcript=transcript.plain_text(report),
        guid=report["guid"], feed_url=show.feed,
    )


def write_sidecars(folder: Path, report: dict[str, Any]) -> None:
    """transcript.vtt, transcript.srt and chapters.json beside the MP3."""
    cues = transcript.cues_of(report)
    write_text(folder / "transcript.vtt", transcript.to_vtt(cues))
    write_text(folder / "transcript.srt", transcript.to_srt(cues))
    write_text(folder / "chapters.json", transcript.chapters_json(report))


def refresh_feed(out_dir: Path, show: Show) -> Path:
    """Write out_dir/feed.xml from every built episode (and the previous feed's other items)."""
    art = cover(show, out_dir)
    return feed.write_feed(out_dir, show, art.name)
