"""The pipeline as one readable list of stages: manifest -> segments -> synth -> mix -> publish."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from audiopipe import master, mix, publish, qa, retakes, synth, timing
from audiopipe.audio import Loudness
from audiopipe.cache import TakeCache, default_cache_dir
from audiopipe.errors import AudiopipeError
from audiopipe.fsutil import atomic_path
from audiopipe.lexicon import EMPTY as EMPTY_LEXICON
from audiopipe.lexicon import Lexicon, load_lexicon
from audiopipe.manifest import Manifest, load_manifest
from audiopipe.report import make_report, write_report
from audiopipe.segments import Segment, segments_of
from audiopipe.show import Show, find_show_file, load_show
from audiopipe.tags import write_tags
from audiopipe.voices import VoiceProfile, find_voices_dir, load_profiles


@dataclass(frozen=True)
class BuildOptions:
    out_dir: Path = Path("output")
    engine: str | None = None            # overrides every profile's engine
    cache_dir: Path | None = None
    voices_dir: Path | None = None
    show_file: Path | None = None
    workers: int = 2
    fit: bool = False                    # adjust rate and gaps to land in the duration window
    strict: bool = False                 # fail (write nothing) when outside the window
    remaster: bool = False               # master and encode even when the sound is unchanged
    force: frozenset[int] = frozenset()  # segment indexes to synthesize again (re-takes)
    qa: bool = True                      # run the QA checks and write qa.html after building
    asr: bool = False                    # include speech recognition in the checks
    log: Callable[[str], None] = field(default=lambda message: None)
    progress: Callable[[int, int], None] | None = None


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
    findings: tuple[qa.Finding, ...] = ()


def load(manifest_path: Path, options: BuildOptions) -> tuple[Show, dict[str, VoiceProfile], Manifest]:
    """Stage 1: read and validate the show, the voice profiles and the manifest; writes nothing."""
    start = Path(manifest_path).parent
    show = load_show(options.show_file or find_show_file(start))
    profiles = load_profiles(options.voices_dir or find_voices_dir(start))
    return show, profiles, load_manifest(Path(manifest_path), profiles)


@dataclass
class Plan:
    """An episode validated and planned, ready for synthesis."""

    show: Show
    profiles: dict[str, VoiceProfile]
    manifest: Manifest
    segments: list[Segment]
    jobs: list[synth.Job]
    cache: TakeCache
    levels: master.LevelCache
    calibration: timing.Calibration
    intro: mix.Clip | None
    outro: mix.Clip | None
    started: float
    overrides: dict[int, dict[str, Any]] = field(default_factory=dict)
    lexicon: Lexicon = EMPTY_LEXICON
    stages: dict[str, float] = field(default_factory=dict)
    _mark: float = 0.0

    def stage(self, name: str) -> None:
        now = time.perf_counter()
        self.stages[name] = round(now - (self._mark or self.started), 4)
        self._mark = now


def prepare(manifest_path: Path, options: BuildOptions, budget: bool = True) -> Plan:
    """Validate everything, decide every take, print the duration budget.  Writes nothing."""
    started = time.perf_counter()
    show, profiles, manifest = load(Path(manifest_path), options)
    segments = segments_of(manifest)
    overrides = retakes.load(options.out_dir / manifest.slug, profiles, segments)
    if overrides:
        options.log(f"retakes: {len(overrides)} segment(s) keep the voice/rate a reviewer chose "
                    f"({options.out_dir / manifest.slug / retakes.FILE})")
    voices_dir = options.voices_dir or find_voices_dir(Path(manifest_path).parent)
    lexicon = load_lexicon(voices_dir / "lexicon.yaml" if voices_dir else None)
    jobs = synth.plan(segments, profiles, options.engine, log=options.log, overrides=overrides, lexicon=lexicon)
    cache = TakeCache(options.cache_dir or default_cache_dir())
    for job in jobs:
        if job.segment.index in options.force:
            cache.remove(job.key)          # a re-take: synthesize this one again
    levels = master.LevelCache(cache.root)
    calibration = timing.Calibration(cache.root)
    intro = mix.stinger_clip(manifest.intro, "intro", show, levels)
    outro = mix.stinger_clip(manifest.outro, "outro", show, levels)
    if budget:
        _print_budget(manifest, jobs, calibration, show, intro, outro, options.log)
    plan = Plan(show, profiles, manifest, segments, jobs, cache, levels, calibration, intro, outro, started,
                overrides=overrides, lexicon=lexicon)
    plan.stage("load")
    return plan


def build(manifest_path: Path, options: BuildOptions = BuildOptions()) -> Episode:
    """The whole pipeline for one manifest: prepare -> synthesize -> finish."""
    plan = prepare(manifest_path, options)
    results = synth.run(plan.jobs, plan.cache, options.workers, options.progress, plan.calibration)
    return finish(plan, results, options)


def finish(plan: Plan, results: list[synth.Result], options: BuildOptions) -> Episode:
    """From the takes: timeline (and --fit), QA segment files, the mastered MP3 and its tags, report.json."""
    plan.stage("synthesize")
    show, manifest, cache, levels = plan.show, plan.manifest, plan.cache, plan.levels
    timeline = mix.build_timeline(results, cache, levels, show, plan.intro, plan.outro)
    made = [r for r in results if not r.cached]
    lo, hi = show.window
    if options.fit and not lo <= timeline.duration_ms / 1000 <= hi:
        timeline, results, extra = _fit(timeline, results, plan, options)
        made += extra
    warnings = _duration_warnings(manifest, show, timeline, results, plan.calibration, options)
    synthesized = len({r.info.key for r in made})
    cached = sum(r.cached for r in results)
    options.log(f"takes: {synthesized} synthesized, {cached} from cache")

    plan.stage("timeline")
    folder = options.out_dir / manifest.slug
    mp3 = folder / f"{manifest.slug}.mp3"
    engines = sorted({r.info.engine for r in results})
    with ThreadPoolExecutor(max_workers=1) as side, atomic_path(mp3) as tmp:
        # the QA segment files are encoded beside the episode, on the other core
        pending = side.submit(_write_segments, timeline, folder, show, levels, 1)
        signature = timeline.signature(show)
        reuse = None if options.remaster else levels.episode(signature)
        if reuse is not None:      # nothing about the sound changed: reuse the encoded episode
            shutil.copyfile(reuse[0], tmp)
            loudness = reuse[1]
        else:
            ceiling = master.ceiling_dbfs(show.true_peak_dbtp)
            correction = 0.0
            if timeline.duration_ms / 1000 < master.SHORT_PROGRAMME_S:
                correction = master.programme_correction_db(mix.render(timeline), ceiling, show.target_lufs)
            loudness = master.encode_measured(master.master_stream(mix.render(timeline), ceiling, correction),
                                              tmp, show.bitrate_kbps)
            levels.put_episode(signature, tmp, loudness)
        segment_files = pending.result()
        report = make_report(manifest, show, timeline, loudness, segment_files, synthesized,
                             cached, 0.0)
        report["guid"] = publish.episode_guid(show, manifest.slug, folder)
        cover = publish.cover(show, options.out_dir)
        write_tags(tmp, publish.episode_tags(manifest, show, report, cover, engines, cache.root / "mastered"))
    publish.write_sidecars(folder, report)
    plan.stage("master_encode_tag")
    report["build"]["seconds"] = round(time.perf_counter() - plan.started, 3)
    report["build"]["stages"] = plan.stages
    report["build"]["episode_reused"] = reuse is not None
    write_report(folder / "report.json", report)
    elapsed = report["build"]["seconds"]
    findings: list[qa.Finding] = []
    if options.qa:
        findings, _page = qa.review(folder, show, cache.root, options.asr, options.log)
    return Episode(manifest.slug, folder, mp3, timeline.duration_ms, synthesized,
                   cached, loudness, elapsed, tuple(warnings), tuple(findings))


def _print_budget(manifest: Manifest, jobs: Sequence[synth.Job], calibration: timing.Calibration,
                  show: Show, intro: mix.Clip | None, outro: mix.Clip | None,
                  log: Callable[[str], None]) -> float:
    """Before synthesis: each story's estimated time, and how far the episode is from its target."""
    total = ((intro.length if intro else 0) + (outro.length if outro else 0)) / mix.RATE
    total += ((show.after_intro_ms if intro else 0) + (show.before_outro_ms if outro else 0)) / 1000
    stories = timing.story_times([(job.segment, job.text, job.settings) for job in jobs], calibration, show)
    total += sum(st.seconds + st.gaps_s for st in stories)
    titles = {s.number: s.title for s in manifest.stories}
    log("budget (estimated before synthesis):")
    for st in stories:
        title = titles.get(st.key) if isinstance(st.key, int) else None
        name = (f"story {st.key}" + (f" {title!r}" if title else "")) if isinstance(st.key, int) else st.key
        detail = " + ".join(f"{lang} {timing.mmss(s)}" for lang, s in st.parts)
        log(f"  {name:<44} {timing.mmss(st.seconds):>5}  ({detail})")
    diff = total - show.target_seconds
    log(f"  {'episode':<44} {timing.mmss(total):>5}  (target {timing.mmss(show.target_seconds)}, "
        f"{'+' if diff >= 0 else '-'}{abs(round(diff))} s)")
    return total


def _fit(timeline: mix.Timeline, results: list[synth.Result], plan: Plan, options: BuildOptions
         ) -> tuple[mix.Timeline, list[synth.Result], list[synth.Result]]:
    """Re-time the episode into its window: gaps first, then speaking rate (re-synthesized, cached)."""
    show, cache, levels, calibration = plan.show, plan.cache, plan.levels, plan.calibration
    intro, outro = plan.intro, plan.outro
    made: list[synth.Result] = []
    speed_total, gap_total = 1.0, 1.0
    for _round in range(3):
        total = timeline.duration_ms / 1000
        speech = mix.speech_seconds(timeline)
        gaps = _gap_seconds(timeline)
        fit = timing.plan_fit(total, speech, gaps, show.window, show.max_rate_change_pct)
        if fit.gap_scale == 1.0 and fit.speed == 1.0:
            break
        max_change = show.max_rate_change_pct / 100
        new_speed = min(max(speed_total * fit.speed, 1 - max_change), 1 + max_change)
        new_gaps = min(max(gap_total * fit.gap_scale, timing.GAP_SCALE_RANGE[0]), timing.GAP_SCALE_RANGE[1])
        if abs(new_speed - speed_total) < 1e-3 and abs(new_gaps - gap_total) < 1e-3:
            break   # at the bounds: nothing more to gain
        speed_total, gap_total = new_speed, new_gaps
        if abs(speed_total - 1.0) > 1e-3:
            jobs = synth.plan(plan.segments, plan.profiles, options.engine, speed=speed_total,
                              log=options.log, overrides=plan.overrides, lexicon=plan.lexicon)
            results = synth.run(jobs, cache, options.workers, options.progress, calibration)
            made += [r for r in results if not r.cached]
        timeline = mix.build_timeline(results, cache, levels, show, intro, outro, gap_scale=gap_total)
        options.log(f"fit: speech x{speed_total:.3f} speed, gaps x{gap_total:.2f} -> "
                    f"{timing.mmss(timeline.duration_ms / 1000)}")
    return timeline, results, made


def _gap_seconds(timeline: mix.Timeline) -> float:
    """Silence placed between the parts of the episode (overlaps count as none)."""
    clips = timeline.clips
    return sum(max(0, b.start - a.end) for a, b in zip(clips, clips[1:])) / mix.RATE


def _duration_warnings(manifest: Manifest, show: Show, timeline: mix.Timeline,
                       results: Sequence[synth.Result], calibration: timing.Calibration,
                       options: BuildOptions) -> list[str]:
    lo, hi = show.window
    seconds = timeline.duration_ms / 1000
    if lo <= seconds <= hi:
        return []
    over = seconds - hi if seconds > hi else seconds - lo
    # how much text that is, split between the languages as the speech is
    speech = {lang: sum(c.length for c in timeline.speech()
                        if c.result and c.result.job.segment.lang == lang) / mix.RATE for lang in ("en", "zh")}
    share = {lang: speech[lang] / max(1e-9, sum(speech.values())) for lang in speech}
    per_min: dict[str, float] = {}
    for r in results:
        per_min.setdefault(r.job.segment.lang, calibration.units_per_min(r.job.settings))
    en_words = round(abs(over) * share["en"] * per_min.get("en", 170) / 60)
    zh_chars = round(abs(over) * share["zh"] * per_min.get("zh", 250) / 60)
    action = "cut" if over > 0 else "add"
    message = (f"{manifest.path}: the episode runs {timing.mmss(seconds)}, outside {timing.mmss(lo)}-"
               f"{timing.mmss(hi)}; {action} about {abs(round(over))} s of script (~{en_words} English words "
               f"and ~{zh_chars} Chinese characters)")
    if options.fit:
        message += f" — --fit could not close the gap within ±{show.max_rate_change_pct}% speaking rate"
    if options.strict:
        raise AudiopipeError(message + "; nothing was written (--strict)")
    return [message + ("" if options.fit else "; or build with --fit")]


def _write_segments(timeline: mix.Timeline, folder: Path, show: Show, levels: master.LevelCache,
                    workers: int) -> dict[int, master.SegmentFile]:
    """segments/NN-<lang>.mp3 for QA (cached when unchanged); files of gone segments are removed."""
    seg_dir = folder / "segments"
    seg_dir.mkdir(parents=True, exist_ok=True)
    ceiling = master.ceiling_dbfs(show.true_peak_dbtp)
    jobs = []
    for clip in timeline.speech():
        assert clip.result is not None
        seg = clip.result.job.segment
        jobs.append((seg.index, clip, seg_dir / f"{seg.index:02d}-{seg.lang}.mp3"))

    def one(item: tuple[int, mix.Clip, Path]) -> tuple[int, master.SegmentFile]:
        index, clip, dest = item
        return index, master.segment_file(clip.load, clip.tag, levels, ceiling, show.bitrate_kbps, dest)

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        files = dict(pool.map(one, jobs))
    keep = {dest.name for _, _, dest in jobs}
    for stale in seg_dir.glob("*.mp3"):
        if stale.name not in keep:
            os.unlink(stale)
    return files
