"""A build's options, in two parts: what the producer chose (recorded in report.json, used again by a
re-take) and the run's live resources (where it writes, what it uses, whom it tells; never recorded)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from audiopipe.engines import EngineOptions, Engines
from audiopipe.synth.cache import default_cache_dir
from audiopipe.synth.run import Remote
from audiopipe.workspace import Workspace


@dataclass(frozen=True)
class Choices:
    """The producer's choices for a build."""

    engine: str | None = None            # overrides every profile's engine
    voices_dir: Path | None = None
    show_file: Path | None = None
    fit: bool = False                    # adjust rate and gaps to land in the duration window
    strict: bool = False                 # fail (write nothing) when outside the window
    remaster: bool = False               # master and encode even when the sound is unchanged
    force: frozenset[int] = frozenset()  # segment indexes to synthesize again (re-takes)
    speed: float = 1.0                   # speaking-rate factor to start from (a re-take: the build's)
    gap_scale: float = 1.0               # gap factor to start from (a re-take: the build's)
    fallback_engine: str | None = None   # --fallback: the engine that makes a segment the primary engine cannot
    publish_fallback: bool = False       # an episode (partly) made by a fallback engine may reach the feed
    qa: bool = True                      # run the QA checks and write qa.html after building
    asr: bool = False                    # include speech recognition in the checks
    offline: bool = False                # `auto` takes the offline engine without asking the service


@dataclass(frozen=True)
class Run:
    """The run's live resources."""

    out_dir: Path = Path("output")
    cache_dir: Path | None = None        # default: $AUDIOPIPE_CACHE or ./.cache/audiopipe
    workers: int = 2
    connections: int | None = None       # edge: websocket sessions at once
    retries: int | None = None           # edge: retries of a failed chunk
    scheduler: str | None = None         # a Dask scheduler's address: takes not in the cache are made there
    remote: Remote | None = None         # the connected cluster (set by build / build_many)
    progress: Callable[[str, int, int], None] | None = None   # (stage, done, total) of long stages

    @property
    def cache_root(self) -> Path:
        return self.cache_dir or default_cache_dir()


@dataclass(frozen=True)
class BuildOptions:
    choices: Choices = field(default_factory=Choices)
    run: Run = field(default_factory=Run)

    def quiet(self) -> BuildOptions:
        """The same build without progress bars (a batch's inner steps; their lines are silenced by
        ``logs.quiet``)."""
        return replace(self, run=replace(self.run, progress=None))

    def workspace(self) -> Workspace:
        """Where this build's show, voices and episode folder are."""
        return Workspace(self.run.out_dir, self.choices.show_file, self.choices.voices_dir)

    def engine_options(self) -> EngineOptions:
        run = self.run
        return EngineOptions(run.cache_root, run.connections, run.retries, self.choices.offline)

    def engines(self) -> Engines:
        """The engines of one run, built from these options."""
        return Engines(self.engine_options())


class Stopwatch:
    """How long each stage of one build took (report.json's ``build.stages``): a live resource of the run,
    like its engines and caches, not a record."""

    def __init__(self) -> None:
        self.started = self._mark = time.perf_counter()
        self.stages: dict[str, float] = {}

    def stage(self, name: str) -> None:
        now = time.perf_counter()
        self.stages[name] = round(now - self._mark, 4)
        self._mark = now
