"""Many episodes at once: synthesis shared across episodes, one failure never stops the others."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from audiopipe import logs
from audiopipe.engines import Engines
from audiopipe.errors import AudiopipeError
from audiopipe.options import BuildOptions
from audiopipe.pipeline import (
    Episode,
    Plan,
    before_synthesis,
    finish,
    prepare_folders,
)
from audiopipe.qa.findings import failed
from audiopipe.synth import cluster
from audiopipe.synth import run as synth_run
from audiopipe.synth.run import Result


@dataclass(frozen=True)
class Outcome:
    manifest: Path
    slug: str
    episode: Episode | None = None
    error: str | None = None


def build_many(paths: Sequence[Path], options: BuildOptions) -> list[Outcome]:
    """Build every manifest; the outcomes come back in the order given."""
    engines = options.engines()              # one set of engines (and connections) for the whole batch
    prepare_folders(options)
    with cluster.connected(options.run.scheduler, engines) as remote:
        return _build_many(paths, dataclasses.replace(options, run=dataclasses.replace(options.run, remote=remote)), engines)


def _build_many(paths: Sequence[Path], options: BuildOptions, engines: Engines) -> list[Outcome]:
    outcomes: dict[int, Outcome] = {}
    plans: dict[int, Plan] = {}
    fitted: dict[int, BuildOptions] = {}       # each episode's options after its --fit before synthesis
    slugs: dict[str, Path] = {}
    for i, path in enumerate(paths):
        slug = Path(path).stem
        if slug in slugs:
            outcomes[i] = Outcome(path, slug, error=f"{path}: same slug as {slugs[slug]}; both would write "
                                  f"{options.run.out_dir / slug}; rename one of them")
            continue
        slugs[slug] = Path(path)
        try:
            plans[i], fitted[i] = before_synthesis(path, options, engines, in_batch=True)
        except AudiopipeError as exc:
            outcomes[i] = Outcome(path, slug, error=exc.message)

    # one synthesis run over every episode's takes: the cache is shared, the workers too
    order = sorted(plans)
    jobs = [job for i in order for job in plans[i].jobs]
    calibration = plans[order[0]].calibration if order else None
    cache = plans[order[0]].cache if order else None
    run = options.run
    made = (synth_run.run_collect(jobs, engines, cache, run.workers, run.progress, calibration, run.remote)
            if cache else [])
    pos = 0
    ready: list[tuple[int, list[Result]]] = []
    for i in order:
        part = made[pos:pos + len(plans[i].jobs)]
        pos += len(plans[i].jobs)
        errors = [r for r in part if isinstance(r, AudiopipeError)]
        if errors:
            outcomes[i] = Outcome(paths[i], plans[i].manifest.slug, error=errors[0].message)
        else:
            ready.append((i, [r for r in part if isinstance(r, Result)]))

    def one(item: tuple[int, list[Result]]) -> tuple[int, Outcome]:
        i, results = item
        quiet = fitted[i].quiet()
        try:
            with logs.quiet():
                return i, Outcome(paths[i], plans[i].manifest.slug, episode=finish(plans[i], results, quiet))
        except AudiopipeError as exc:
            return i, Outcome(paths[i], plans[i].manifest.slug, error=exc.message)

    with ThreadPoolExecutor(max_workers=max(1, options.run.workers)) as pool:
        outcomes.update(dict(pool.map(one, ready)))
    return [outcomes[i] for i in range(len(paths))]


def summary(outcomes: Sequence[Outcome]) -> list[str]:
    """The table printed at the end of a batch."""
    width = max([len("episode"), *(len(o.slug) for o in outcomes)])
    warnings: list[str] = []
    lines = [f"{'episode':<{width}}  {'result':<7} {'duration':>8} {'LUFS':>6} {'new':>4} {'cached':>6} {'s':>6}"]
    for o in outcomes:
        e = o.episode
        if e is not None:
            minutes, seconds = divmod(e.duration_ms / 1000, 60)
            result = "QA FAIL" if failed(e.findings) else "built"
            lines.append(f"{o.slug:<{width}}  {result:<7} {int(minutes):>5}:{seconds:04.1f}"
                         f" {e.loudness.integrated_lufs:>6.1f} {e.synthesized:>4} {e.cached:>6} {e.seconds:>6.1f}")
            warnings += [f"warning: {w}" for w in e.warnings]
        else:
            lines.append(f"{o.slug:<{width}}  {'FAILED':<7} {o.error}")
    built = sum(o.episode is not None for o in outcomes)
    passed = sum(o.episode is not None and not failed(o.episode.findings) for o in outcomes)
    lines += warnings
    lines.append(f"{len(outcomes)} episodes: {built} built, {len(outcomes) - built} failed; {passed} passed QA")
    return lines
