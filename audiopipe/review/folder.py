"""One episode's folder, read once into one typed object: the build's record, its QA, the reviewer's
state, what is published, and whether this build may be.  The CLI, the batch, the feed and the review
server ask it rather than each reading report.json, qa.json, review.json and published/ their own way."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from audiopipe.config.show import Show
from audiopipe.publish.episode import published_at
from audiopipe.publish.feed import Served, read_served, serves
from audiopipe.publish.record import PUBLISHED, EpisodeRecord
from audiopipe.qa.qarecord import QaRecord
from audiopipe.review import release, verdicts


@dataclass(frozen=True)
class Published:
    """The build the feed serves: its record, where its files are, and when it was promoted."""

    record: EpisodeRecord
    served: Served
    at: str                            # "2026-11-30 07:20 UTC"

    @property
    def mp3(self) -> str:
        """The published MP3, relative to the episode folder."""
        return f"{PUBLISHED}/{self.served.names[self.record.episode.file]}"


@dataclass(frozen=True)
class EpisodeFolder:
    folder: Path
    record: EpisodeRecord              # this build (report.json)
    qa: QaRecord | None                # its last QA (qa.json), if any
    review: verdicts.Review            # the reviewer's verdicts, re-takes and release (review.json)
    published: Published | None        # what the feed serves (published/), if anything
    hold: str | None                   # why this build may not be published now; None: it may

    @classmethod
    def read(cls, folder: Path, show: Show | None = None) -> EpisodeFolder:
        """The episode in *folder*; a missing or damaged record is one line (EpisodeRecord.load)."""
        return cls.of(folder, EpisodeRecord.load(folder), show)

    @classmethod
    def of(cls, folder: Path, record: EpisodeRecord, show: Show | None = None) -> EpisodeFolder:
        """The episode in *folder* whose *record* the caller has read: QA and review read once, and the
        hold decided from them."""
        qa, review = QaRecord.load(folder), verdicts.load(folder)
        mp3 = folder / record.episode.file
        hold = release.hold_reason(folder, record, show, qa, review) if mp3.is_file() else "not built"
        found, at = read_served(folder), published_at(folder)
        published = None if found is None or at is None else Published(found[0], found[1], at)
        return cls(folder, record, qa, review, published, hold)

    @property
    def this_build_published(self) -> bool:
        """Is this build the one the feed serves (its MP3, byte for byte)?"""
        return self.published is not None and serves(self.published.served, self.folder, self.record)
