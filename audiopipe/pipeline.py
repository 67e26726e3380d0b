"""The pipeline as one readable list of stages: manifest -> segments -> synth -> mix -> publish."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from audiopipe import mix, synth
from audiopipe.audio import Loudness
from audiopipe.cache import TakeCache, default_cache_dir
from audiopipe.fsutil import atomic_path
from audiopipe.langs import ISO639_2
from audiopipe.manifest import Manifest, load_manifest
from audiopipe.report import make_report, write_report
from audiopipe.segments import segments_of
from audiopipe.show import Show, find_show_file, load_show
from audiopipe.tags import EpisodeTags, write_tags
from audiopipe.voices import VoiceProfile, find_voices_dir, load_profiles


@dataclass(frozen=True)
class BuildOptions:
    out_dir: Path = Path("output")
    engine: str | None = None            # overrides every profile's engine
    cache_dir: Path | None = None
    voices_dir: Path | None = None
    show_file: Path | None = None
    workers: int = 2
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


def load(manifest_path: Path, options: BuildOptions) -> tuple[Show, dict[str, VoiceProfile], Manifest]:
    """Stage 1: read and validate the show, the voice profiles and the manifest; writes nothing."""
    start = Path(manifest_path).parent
    show = load_show(options.show_file or find_show_file(start))
    profiles = load_profiles(options.voices_dir or find_voices_dir(start))
    return show, profiles, load_manifest(Path(manifest_path), profiles)


def build(manifest_path: Path, options: BuildOptions = BuildOptions()) -> Episode:
    t0 = time.perf_counter()
    manifest_path = Path(manifest_path)
    show, profiles, manifest = load(manifest_path, options)
    segments = segments_of(manifest)
    jobs = synth.plan(segments, profiles, options.engine)
    cache = TakeCache(options.cache_dir or default_cache_dir())
    results = synth.run(jobs, cache, options.workers, options.progress)
    synthesized = sum(not r.cached for r in results)
    options.log(f"takes: {synthesized} synthesized, {len(results) - synthesized} from cache")

    intro = mix.stinger_samples(manifest.intro, "intro", show.target_lufs)
    outro = mix.stinger_samples(manifest.outro, "outro", show.target_lufs)
    timeline = mix.build_timeline(results, cache, show, intro, outro)

    folder = options.out_dir / manifest.slug
    mp3 = folder / f"{manifest.slug}.mp3"
    segment_files = _write_segments(timeline, folder, show, options.workers)
    engines = sorted({r.info.engine for r in results})
    with atomic_path(mp3) as tmp:
        loudness = mix.encode(mix.master(mix.render(timeline), show.true_peak_dbtp - mix.PEAK_MARGIN_DB),
                              tmp, show.bitrate_kbps)
        write_tags(tmp, EpisodeTags(
            title=manifest.title, show=show.title, artist=show.author, date=manifest.date.isoformat(),
            episode=manifest.episode, description=manifest.description,
            languages=tuple(ISO639_2[lang] for lang in manifest.order),
            comment=f"made with audiopipe; engines: {', '.join(engines)}"))
    elapsed = time.perf_counter() - t0
    write_report(folder / "report.json",
                 make_report(manifest, timeline, loudness, segment_files, synthesized,
                             len(results) - synthesized, elapsed))

    warnings = []
    lo = show.target_seconds * (1 - show.tolerance_pct / 100)
    hi = show.target_seconds * (1 + show.tolerance_pct / 100)
    seconds = timeline.duration_ms / 1000
    if not lo <= seconds <= hi:
        warnings.append(f"{manifest.path}: the episode runs {_mmss(seconds)}, outside "
                        f"{_mmss(lo)}-{_mmss(hi)}; "
                        + ("cut the script" if seconds > hi else "add to the script"))
    return Episode(manifest.slug, folder, mp3, timeline.duration_ms, synthesized,
                   len(results) - synthesized, loudness, elapsed, tuple(warnings))


def _write_segments(timeline: mix.Timeline, folder: Path, show: Show, workers: int) -> dict[int, str]:
    """segments/NN-<lang>.mp3 for QA; files of segments that no longer exist are removed."""
    seg_dir = folder / "segments"
    seg_dir.mkdir(parents=True, exist_ok=True)
    names: dict[int, str] = {}
    jobs = []
    for clip in timeline.speech():
        assert clip.result is not None
        seg = clip.result.job.segment
        name = f"{seg.index:02d}-{seg.lang}.mp3"
        names[seg.index] = f"segments/{name}"
        jobs.append((clip, seg_dir / name))

    def one(item: tuple[mix.Clip, Path]) -> None:
        with atomic_path(item[1]) as tmp:
            mix.encode_clip(item[0], tmp, show)

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        list(pool.map(one, jobs))
    keep = {path.name for _, path in jobs}
    for stale in seg_dir.glob("*.mp3"):
        if stale.name not in keep:
            os.unlink(stale)
    return names


def _mmss(seconds: float) -> str:
    s = round(seconds)
    return f"{s // 60}:{s % 60:02d}"
