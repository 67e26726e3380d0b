"""Where everything is, answered in one place: the show settings, the voice profiles, the output folder,
an episode's folder and its records and lock.

The CLI, the review server, a batch and the pipeline each build a :class:`Workspace` from what the producer
gave (``--out``, ``--show``, ``--voices``) and ask it; none works a path out on its own.  The rules:

- **show.yaml**: the one given (``--show``), else the one an episode was built with (report.json names it,
  when the file is still there), else ``$AUDIOPIPE_SHOW`` or ``show.yaml`` at or above the manifest's folder
  (a build) or the current folder (any other command); none: the defaults.
- **voices/**: the one given (``--voices``), else ``$AUDIOPIPE_VOICES`` or ``voices/`` at or above the same
  folder, else ``./voices``.
- **an episode**: ``<out>/<slug>/`` (or a path to an episode folder), holding report.json (the build's
  record), qa.json (QA's), review.json (the reviewer's), ``.stamp.json`` and ``.build.lock``; the file
  names themselves are :mod:`audiopipe.publish.record`'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audiopipe.config.show import Show, load_show, locate_show
from audiopipe.config.voices import find_voices_dir
from audiopipe.publish import record
from audiopipe.tools.fsutil import BUILD_LOCK


@dataclass(frozen=True)
class EpisodeFiles:
    """One episode's folder and the records in it."""

    folder: Path

    @property
    def slug(self) -> str:
        return self.folder.name

    @property
    def report(self) -> Path:
        return self.folder / record.FILE

    @property
    def qa(self) -> Path:
        return self.folder / record.QA_FILE

    @property
    def review(self) -> Path:
        return self.folder / record.REVIEW_FILE

    @property
    def lock(self) -> Path:
        return self.folder / BUILD_LOCK

    def built(self) -> record.EpisodeRecord:
        """Its report.json, read back (one line when there is none)."""
        return record.EpisodeRecord.load(self.folder)


@dataclass(frozen=True)
class Workspace:
    """What the producer named (the rest is found by the rules above)."""

    out_dir: Path = Path("output")
    show_given: Path | None = None
    voices_given: Path | None = None

    def show_file(self, start: Path | None = None, recorded: str | None = None) -> Path | None:
        """The show.yaml to read: given, else *recorded* (an episode's), else found at or above *start*."""
        return locate_show(self.show_given, start, recorded)

    def show(self, start: Path | None = None, recorded: str | None = None) -> Show:
        return load_show(self.show_file(start, recorded))

    def show_of(self, episode: EpisodeFiles) -> Show:
        """The show an episode is checked with: given, else the one it was built with (the defaults when it
        was built without one)."""
        recorded = episode.built().build.options.show
        if self.show_given is None and recorded is None:
            return load_show(None)
        return self.show(recorded=recorded)

    def voices_dir(self, start: Path | None = None) -> Path | None:
        return self.voices_given or find_voices_dir(start)

    def folder(self, slug: str) -> EpisodeFiles:
        """Where episode *slug* is written (built or not)."""
        return EpisodeFiles(self.out_dir / slug)

    def episode(self, slug: str) -> EpisodeFiles:
        """A built episode: *slug* in the output folder, or a path to an episode folder (one line when there
        is none)."""
        return EpisodeFiles(record.episode_folder(slug, self.out_dir))


def episode_arguments(parser: Any, show: bool = True) -> None:
    """The arguments of a command on one built episode: the episode, the output folder, the show."""
    parser.add_argument("slug", help="the episode (its manifest's file stem), or its output folder")
    parser.add_argument("--out", type=Path, default=Path("output"), metavar="DIR", help="output folder (default: output)")
    if show:
        parser.add_argument("--show", type=Path, metavar="FILE", help="show settings (default: the episode's)")
