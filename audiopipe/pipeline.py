"""The pipeline as one readable list of stages, each a function of typed inputs to typed outputs:

    load -> plan -> synthesize -> fit -> produce -> publish -> review

:func:`build` runs them for one manifest; :mod:`audiopipe.batch` runs the same stages for many.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from audiopipe import logs
from audiopipe.config.lexicon import Lexicon, load_lexicon
from audiopipe.config.show import Show, load_show
from audiopipe.config.voices import VoiceProfile, load_profiles
from audiopipe.dsp.loudness import Loudness
from audiopipe.engines import Engines
from audiopipe.errors import AudiopipeError
from audiopipe.options import BuildOptions, Stopwatch
from audiopipe.produce import editions as produce_editions
from audiopipe.produce import mix
from audiopipe.produce.episode import Produced, produce
from audiopipe.produce.store import MasterStore
from audiopipe.publish import credentials, editions, video
from audiopipe.publish import episode as publish
from audiopipe.publish.making import Publishing, episode_record
from audiopipe.publish.record import QA_FILE, BuildInfo, EpisodeRecord, RecordedOptions
from audiopipe.qa import figures as figures_check
from audiopipe.qa import measured
from audiopipe.qa.findings import Finding
from audiopipe.review import retakes
from audiopipe.script.manifest import Manifest, load_manifest
from audiopipe.script.segments import Segment, segments_of
from audiopipe.synth import cluster, scored, timing
from audiopipe.synth import plan as synth_plan
from audiopipe.synth import run as synth_run
from audiopipe.synth.budget import MAX_EPISODE_S, Budget, estimate, fit_before_synthesis, print_budget, running_lines
from audiopipe.synth.cache import TakeCache
from audiopipe.synth.plan import Job, Override
from audiopipe.synth.run import Result
from audiopipe.tools.fsutil import atomic_path, build_lock, check_writable, sweep_parts
from audiopipe.tools.wav import WORK_RATE


@dataclass(frozen=True)
class Episode:
    slug: str
    folder: Path
    mp3: Path
    duration_ms: int
    synthesized: int
    cached: int
    loudness: Loudness
    seconds: float
    warnings: tuple[str, ...]
    findings: tuple[Finding, ...] = ()


# ---- stage 1: load ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Loaded:
    """The show, the voice profiles, the lexicon and the manifest, all validated."""

    show: Show
    profiles: dict[str, VoiceProfile]
    lexicon: Lexicon
    manifest: Manifest
    show_file: Path | None
    voices_dir: Path | None
    overrides: Mapping[int, Override] = field(default_factory=dict)   # the reviewer's re-takes (review.json)


def load(manifest_path: Path, options: BuildOptions) -> Loaded:
    """Read and validate the show, the voice profiles, the lexicon, the manifest and the reviewer's
    re-takes kept beside the episode (review.json); writes nothing."""
    start, workspace = Path(manifest_path).parent, options.workspace()
    show_file, voices_dir = workspace.show_file(start), workspace.voices_dir(start)
    show = load_show(show_file)
    profiles = load_profiles(voices_dir)
    lexicon = load_lexicon(voices_dir / "lexicon.yaml" if voices_dir else None)
    lexicon = replace(lexicon, drop_glosses=show.glosses == "drop", drop_bylines=show.bylines == "drop")
    manifest = load_manifest(Path(manifest_path), profiles)
    overrides = retakes.load(workspace.folder(manifest.slug).folder, profiles, segments_of(manifest))
    return Loaded(show, profiles, lexicon, manifest, show_file, voices_dir, overrides)


# ---- stage 2: plan ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Plan:
    """An episode validated and planned, ready for synthesis: its record, and the run's resources for it
    (engines, caches, calibration, stopwatch)."""

    loaded: Loaded
    segments: tuple[Segment, ...]
    overrides: Mapping[int, Override]
    jobs: tuple[Job, ...]
    engines: Engines
    cache: TakeCache
    levels: MasterStore
    calibration: timing.Calibration
    intro: mix.Clip | None
    outro: mix.Clip | None
    clock: Stopwatch

    @property
    def show(self) -> Show:
        return self.loaded.show

    @property
    def manifest(self) -> Manifest:
        return self.loaded.manifest

    def stage(self, name: str) -> None:
        self.clock.stage(name)


def prepare_folders(options: BuildOptions) -> None:
    """Before anything is made: the output and cache folders are writable (one line if not), and the
    ``.part`` files an interrupted run left in the cache and atop the output folder are removed (an
    episode folder's when its build holds it: the archive beside it is not walked)."""
    for folder, what in ((options.run.out_dir, "output folder"), (options.run.cache_root, "cache folder")):
        check_writable(folder, what)
        removed = sweep_parts(folder, time.time(), deep=folder != options.run.out_dir)
        if removed:
            logs.say(f"note: removed {removed} unfinished file(s) an interrupted run left in {folder}")


def plan_jobs(loaded: Loaded, segments: Sequence[Segment], overrides: Mapping[int, Override], engines: Engines,
              options: BuildOptions, speed: float) -> list[Job]:
    """Every segment's take decided (synth.plan), at *speed*, with the show's limit on one take."""
    return synth_plan.plan(segments, loaded.profiles, engines, synth_plan.Asked(
        options.choices.engine, speed, options.choices.fallback_engine, loaded.show.take_max_s, loaded.manifest.voices,
        overrides, loaded.lexicon))


def plan(manifest_path: Path, options: BuildOptions, engines: Engines | None = None) -> Plan:
    """Validate everything and decide every take (engine, voice, text, cache key).  Writes nothing."""
    clock = Stopwatch()
    loaded = load(Path(manifest_path), options)
    manifest = loaded.manifest
    segments = segments_of(manifest)
    if manifest.date > dt.date.today():
        logs.say(f"warning: {manifest.path}: date {manifest.date.isoformat()} is in the future; the feed "
                 "will carry it with that pubDate (apps list it from then on); check the date")
    overrides = dict(loaded.overrides)
    segments = [replace(s, text=overrides[s.index].text or s.text) if s.index in overrides else s for s in segments]
    if overrides:
        logs.say(f"retakes: {len(overrides)} segment(s) keep the voice, rate or text a reviewer chose "
                 f"({options.run.out_dir / manifest.slug / retakes.FILE})")
    engines = engines or options.engines()
    jobs = plan_jobs(loaded, segments, overrides, engines, options, options.choices.speed)
    cache = TakeCache(options.run.cache_root)
    levels = MasterStore(cache.root)
    result = Plan(loaded, tuple(segments), overrides, tuple(jobs), engines, cache, levels,
                  timing.Calibration(cache.root), mix.stinger_clip(manifest.intro, "intro", loaded.show, levels),
                  mix.stinger_clip(manifest.outro, "outro", loaded.show, levels), clock)
    result.stage("load")
    return result


# ---- stage 3: synthesize ---------------------------------------------------------------------

def synthesize(p: Plan, options: BuildOptions) -> list[Result]:
    """Every take, from the cache or the engines (a re-take's segment: from its engine again)."""
    for job in p.jobs:
        if job.segment.index in options.choices.force:
            for key in (job.key, *job.part_keys):
                p.cache.remove(key)
    return synth_run.run(p.jobs, p.engines, p.cache, options.run.workers, options.run.progress, p.calibration,
                         options.run.remote)


# ---- stage 4: fit ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Timed:
    """The takes placed on a timeline, fitted into the show's window when asked."""

    timeline: mix.Timeline
    results: list[Result]
    made: list[Result]                  # takes synthesized by this build (not from the cache)
    speed: float
    gap_scale: float
    warnings: tuple[str, ...]


def fit(p: Plan, results: list[Result], options: BuildOptions) -> Timed:
    """The timeline; with --fit, re-timed into the window: gaps first, then speaking rate."""
    show = p.show
    speed, gaps = options.choices.speed, options.choices.gap_scale
    timeline = mix.build_timeline(results, p.cache, p.levels, show, p.intro, p.outro, gap_scale=gaps)
    made = [r for r in results if not r.cached]
    lo, hi = show.window
    if options.choices.fit and not lo <= timeline.duration_ms / 1000 <= hi:
        for _round in range(3):
            step = timing.plan_fit(timeline.duration_ms / 1000, mix.speech_seconds(timeline),
                                   _gap_seconds(timeline), show.window, show.max_rate_change_pct)
            if step.gap_scale == 1.0 and step.speed == 1.0:
                break
            max_change = show.max_rate_change_pct / 100
            new_speed = min(max(speed * step.speed, 1 - max_change), 1 + max_change)
            new_gaps = min(max(gaps * step.gap_scale, timing.GAP_SCALE_RANGE[0]), timing.GAP_SCALE_RANGE[1])
            if abs(new_speed - speed) < 1e-3 and abs(new_gaps - gaps) < 1e-3:
                break   # at the bounds: nothing more to gain
            speed, gaps = new_speed, new_gaps
            if abs(speed - 1.0) > 1e-3:
                jobs = plan_jobs(p.loaded, p.segments, p.overrides, p.engines, options, speed)
                results = synth_run.run(jobs, p.engines, p.cache, options.run.workers, options.run.progress, p.calibration,
                                        options.run.remote)
                made += [r for r in results if not r.cached]
            timeline = mix.build_timeline(results, p.cache, p.levels, show, p.intro, p.outro, gap_scale=gaps)
            logs.say(f"fit: speech x{speed:.3f} speed, gaps x{gaps:.2f} -> "
                     f"{timing.mmss(timeline.duration_ms / 1000)}")
    warnings = _duration_warnings(p, timeline, results, options)
    return Timed(timeline, results, made, speed, gaps, tuple(warnings))


def _gap_seconds(timeline: mix.Timeline) -> float:
    """Silence placed between the parts of the episode (overlaps count as none)."""
    clips = timeline.clips
    return sum(max(0, b.start - a.end) for a, b in zip(clips, clips[1:])) / WORK_RATE


def _duration_warnings(p: Plan, timeline: mix.Timeline, results: Sequence[Result],
                       options: BuildOptions) -> list[str]:
    show = p.show
    lo, hi = show.window
    seconds = timeline.duration_ms / 1000
    if lo <= seconds <= hi:
        return []
    over = seconds - hi if seconds > hi else seconds - lo
    # how much text that is, split between the languages as the speech is
    speech = {lang: sum(c.length for c in timeline.speech()
                        if c.result and c.result.job.segment.lang == lang) / WORK_RATE for lang in ("en", "zh")}
    share = {lang: speech[lang] / max(1e-9, sum(speech.values())) for lang in speech}
    per_min: dict[str, float] = {}
    for r in results:
        per_min.setdefault(r.job.segment.lang, p.calibration.units_per_min(r.job.settings))
    en_words = round(abs(over) * share["en"] * per_min.get("en", 170) / 60)
    zh_chars = round(abs(over) * share["zh"] * per_min.get("zh", 250) / 60)
    action = "cut" if over > 0 else "add"
    message = (f"{p.manifest.path}: the episode runs {timing.mmss(seconds)}, outside {timing.mmss(lo)}-"
               f"{timing.mmss(hi)}; {action} about {abs(round(over))} s of script (~{en_words} English words "
               f"and ~{zh_chars} Chinese characters)")
    if options.choices.fit:
        message += f" — --fit could not close the gap within ±{show.max_rate_change_pct}% speaking rate"
    if options.choices.strict:
        raise AudiopipeError(message + "; nothing was written (--strict)")
    return [message + ("" if options.choices.fit else "; or build with --fit")]


# ---- stage 6: publish ------------------------------------------------------------------------

def publish_episode(p: Plan, timed: Timed, produced: Produced, rendered: Sequence[produce_editions.Edition],
                    folder: Path, mp3: Path, options: BuildOptions) -> EpisodeRecord:
    """The record (built once, with its editions'), the ID3 tags of *mp3* and the editions, their
    transcripts and chapters."""
    synthesized = len({key for r in timed.made for key in r.made_keys})
    cached = sum(r.cached for r in timed.results)
    recorded = RecordedOptions(options.choices.engine, round(timed.speed, 4), round(timed.gap_scale, 4),
                               None if p.loaded.show_file is None else str(p.loaded.show_file),
                               None if p.loaded.voices_dir is None else str(p.loaded.voices_dir),
                               options.choices.fallback_engine, options.choices.publish_fallback)
    build_info = BuildInfo(synthesized, cached, round(time.perf_counter() - p.clock.started, 3), dict(p.clock.stages),
                           produced.reused, recorded)
    speakers = {name: profile.speaker or p.show.author or name for name, profile in p.loaded.profiles.items()}
    guid = publish.episode_guid(p.show, p.manifest.slug, folder)
    signing = credentials.load(p.show.title, p.show.credentials, p.cache.root)
    scores = scored.naturalness(timed.results, p.cache, options.run.progress) if options.choices.qa else {}
    how = Publishing(p.manifest.slug, p.show, produced.segment_files, build_info, guid, speakers, folder,
                     options.run.out_dir, p.cache.root, signing, scores)
    made = editions.publish(rendered, how)
    record = episode_record(p.manifest, timed.timeline, produced.loudness, how, guid, made, p.calibration.estimate_ms)
    publish.tag_episode(mp3, record, p.show, options.run.out_dir, p.cache.root, signing)
    return record


def write_record(folder: Path, record: EpisodeRecord) -> None:
    """The sidecars and report.json; the last QA's verdict (of the build before) goes, so that a build
    without QA is never published on an older pass."""
    (folder / QA_FILE).unlink(missing_ok=True)
    publish.write_sidecars(folder, record)
    record.write(folder)


# ---- the whole build -------------------------------------------------------------------------

def before_synthesis(manifest_path: Path, options: BuildOptions, engines: Engines | None = None,
                     in_batch: bool = False) -> tuple[Plan, BuildOptions]:
    """Everything before synthesis, for a build and for each episode of a batch: the plan, its budget
    (printed, but not in a batch), the figures check, and --fit's rate chosen from the estimate
    (quietly in a batch)."""
    p = plan(manifest_path, options, engines)
    estimate = budget(p)
    if estimate.total_s > MAX_EPISODE_S:
        raise AudiopipeError(f"{p.manifest.path}: would run about {timing.mmss(estimate.total_s)}; an episode runs "
                             f"at most {timing.mmss(MAX_EPISODE_S)}: split it into several episodes (nothing was made)")
    if not in_batch:
        print_budget(estimate)
    figures_check.before_synthesis(p.manifest, p.segments, options.choices.strict)
    credentials.ready(p.show.title, p.show.credentials, p.show.path, p.cache.root)
    if not in_batch:
        return fit_estimate(p, options)
    with logs.quiet():
        return fit_estimate(p, options.quiet())


def build(manifest_path: Path, options: BuildOptions | None = None, engines: Engines | None = None) -> Episode:
    """The whole pipeline for one manifest (with *engines* already loaded, when a caller keeps them)."""
    options = options or BuildOptions()
    prepare_folders(options)
    p, options = before_synthesis(manifest_path, options, engines)
    with cluster.connected(options.run.scheduler, p.engines) as remote:
        options = replace(options, run=replace(options.run, remote=remote))
        return finish(p, synthesize(p, options), options)


def _write_episode(p: Plan, timed: Timed, folder: Path, mp3: Path, options: BuildOptions) -> tuple[Produced, EpisodeRecord]:
    """Produce and publish into *folder*: the episode and its editions (each renamed into place only when
    whole), the record, the sidecars."""
    takes = produce_editions.Takes(p.manifest, p.show, timed.results, p.cache, p.levels, p.intro, p.outro,
                                   timed.gap_scale)
    with atomic_path(mp3) as tmp, contextlib.ExitStack() as stack, ThreadPoolExecutor(1, "editions") as side:
        targets = {lang: stack.enter_context(atomic_path(folder / produce_editions.files_of(p.manifest.slug, lang)[0]))
                   for lang in produce_editions.languages(takes)}
        heard = measured.heard_loudness(p.cache.root)        # measured as QA will: it finds them measured
        editions = side.submit(produce_editions.render, takes, targets, options.choices.remaster, heard)
        produced = produce(timed.timeline, p.show, p.levels, folder, tmp, options.choices.remaster,  # beside the
                           options.run.progress, heard)                            # episode: both cores busy
        p.stage("master_encode")
        rendered = editions.result()
        p.stage("editions")
        record = publish_episode(p, timed, produced, rendered, folder, tmp, options)
    write_record(folder, record)
    return produced, record


def finish(p: Plan, results: list[Result], options: BuildOptions) -> Episode:
    """From the takes on: fit, produce, publish, review."""
    p.stage("synthesize")
    timed = fit(p, results, options)
    p.stage("timeline")
    logs.say(f"takes: {len({key for r in timed.made for key in r.made_keys})} synthesized, "
             f"{sum(r.cached for r in timed.results)} from cache")
    folder = options.run.out_dir / p.manifest.slug
    mp3 = folder / f"{p.manifest.slug}.mp3"
    with build_lock(folder, f"episode {p.manifest.slug!r}"):     # one build of it at a time
        produced, record = _write_episode(p, timed, folder, mp3, options)
        video.write(folder, record, p.show, lambda: publish.cover(p.show, options.run.out_dir, p.cache.root))
        findings: list[Finding] = []
        if options.choices.qa:
            from audiopipe.qa import checks  # only with QA: the checks, the page and the recognizer
            findings, _page = checks.review(folder, p.show, p.cache.root, options.choices.asr,
                                            options.run.progress)
    b = record.build
    return Episode(p.manifest.slug, folder, mp3, timed.timeline.duration_ms, b.synthesized, b.cached,
                   produced.loudness, b.seconds, timed.warnings, tuple(findings))


# ---- the duration budget (the build's, and the importer's) ---------------------------------------

def budget(p: Plan) -> Budget:
    """Estimate every story from the calibrated speaking rate of its voices and the show's gaps."""
    show, intro, outro = p.show, p.intro, p.outro
    frame = ((intro.length if intro else 0) + (outro.length if outro else 0)) / WORK_RATE
    frame += ((show.after_intro_ms if intro else 0) + (show.before_outro_ms if outro else 0)) / 1000
    return estimate(p.jobs, p.calibration, show, frame, {s.number: s.title for s in p.manifest.stories})


def fit_estimate(p: Plan, options: BuildOptions) -> tuple[Plan, BuildOptions]:
    """--fit before synthesis: when the estimate is near or past an edge of the window, re-plan the
    takes at the speaking rate (and gaps) that land inside, so each take is made once."""
    step = fit_before_synthesis(budget(p), p.show)
    if not options.choices.fit or (step.speed == 1.0 and step.gap_scale == 1.0):
        return p, options
    most = p.show.max_rate_change_pct / 100
    options = replace(options, choices=replace(options.choices,
                      speed=min(max(options.choices.speed * step.speed, 1 - most), 1 + most),
                      gap_scale=min(max(options.choices.gap_scale * step.gap_scale, timing.GAP_SCALE_RANGE[0]),
                                    timing.GAP_SCALE_RANGE[1])))
    chosen = options.choices
    with logs.quiet():                 # its notes were said when the build planned at the first rate
        p = replace(p, jobs=tuple(plan_jobs(p.loaded, p.segments, p.overrides, p.engines, options, chosen.speed)))
    logs.say(f"fit (before synthesis): speech x{chosen.speed:.3f} speed, gaps x{chosen.gap_scale:.2f} -> "
             f"{timing.mmss(budget(p).total_s)} estimated")
    return p, options


def estimate_lines(manifest_path: Path, options: BuildOptions) -> list[str]:
    """How long a manifest will run (the build's budget, for ``audiopipe import``)."""
    return running_lines(budget(plan(manifest_path, options)))
