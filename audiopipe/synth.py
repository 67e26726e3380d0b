"""Segments -> takes, through the engines, in parallel, behind the cache."""

from __future__ import annotations

import dataclasses
import hashlib
import re
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from audiopipe import audio, ffmpeg, loudness
from audiopipe.cache import TakeCache, TakeInfo, take_key
from audiopipe.engines import Engine, VoiceSettings, Word, get_engine
from audiopipe.errors import AudiopipeError, EngineError
from audiopipe.lexicon import EMPTY as EMPTY_LEXICON
from audiopipe.lexicon import Lexicon
from audiopipe.segments import Segment, chunk_text
from audiopipe.timing import Calibration, speed_to_rate
from audiopipe.voices import VoiceProfile


@dataclass(frozen=True)
class Job:
    segment: Segment
    settings: VoiceSettings
    text: str            # the text actually spoken
    key: str


@dataclass(frozen=True)
class Result:
    job: Job
    info: TakeInfo
    cached: bool


_auto_choice: str | None = None
_auto_lock = threading.Lock()


def resolve_auto(log: Callable[[str], None]) -> str:
    """'auto': edge when its service answers (checked once per process), else espeak, loudly."""
    global _auto_choice
    with _auto_lock:
        if _auto_choice is None:
            edge = get_engine("edge")
            if edge.available():   # type: ignore[attr-defined]
                _auto_choice = "edge"
            else:
                _auto_choice = "espeak"
                log("WARNING: the edge-tts service does not answer; --engine auto falls back to the OFFLINE "
                    "engine (espeak). This episode is not release quality: rebuild with network access "
                    "(the report and the ID3 comment say which engine made each segment).")
        return _auto_choice


def reset_auto() -> None:
    """Forget the auto engine's choice (tests, long-running processes)."""
    global _auto_choice
    with _auto_lock:
        _auto_choice = None


def plan(segments: Sequence[Segment], profiles: Mapping[str, VoiceProfile],
         engine_override: str | None = None, speed: float = 1.0,
         log: Callable[[str], None] = lambda message: None,
         overrides: Mapping[int, Mapping[str, Any]] | None = None,
         lexicon: Lexicon | None = None) -> list[Job]:
    """Decide engine, voice and cache key for every segment; check every voice first.

    *speed* scales every profile's speaking rate (``--fit``).
    """
    jobs = []
    checked: set[tuple[str, str]] = set()
    notes: set[str] = set()
    for seg in segments:
        override = (overrides or {}).get(seg.index, {})
        profile = profiles[override.get("profile") or seg.profile]
        if override.get("rate") is not None:
            profile = dataclasses.replace(profile, rate=int(override["rate"]))
        engine_name = override.get("engine") or engine_override or profile.engine
        if engine_name == "auto":
            engine_name = resolve_auto(log)
        engine = get_engine(engine_name)
        voice = profile.voice_for(engine_name) or engine.default_voice(seg.lang)
        rate = profile.rate if speed == 1.0 else speed_to_rate(profile.rate, speed)
        voice_file = ""
        if profile.voice_file is not None and engine_name == "kokoro":
            digest = hashlib.sha256(profile.voice_file.read_bytes()).hexdigest()[:16]
            voice_file = f"{profile.voice_file}|{digest}"
        settings = VoiceSettings(engine_name, voice, seg.lang, rate, profile.pitch, profile.volume, voice_file)
        if (engine_name, voice) not in checked:
            try:
                engine.check_voice(settings)
            except EngineError as exc:
                where = profile.path or f"voice profile {profile.name}"
                raise AudiopipeError(f"{where}: {exc.message}") from None
            checked.add((engine_name, voice))
            if engine.note and engine.note not in notes:
                notes.add(engine.note)
                log(f"note: {engine.note}")
        text = (lexicon or EMPTY_LEXICON).apply(spoken_text(seg.text), seg.lang)
        jobs.append(Job(seg, settings, text, take_key(settings, engine.version(), text)))
    return jobs


_CJK = r"\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef"
_SPACE_BY_CJK = re.compile(rf"(?<=[{_CJK}])\s+|\s+(?=[{_CJK}])")


def spoken_text(text: str) -> str:
    """The text as sent to the engine: whitespace collapsed, none left beside Chinese characters."""
    return _SPACE_BY_CJK.sub("", " ".join(text.split()))


def synthesize_take(engine: Engine, text: str, settings: VoiceSettings) -> tuple[bytes, tuple[Word, ...], str]:
    """Speak *text* in chunks within the engine's limit; return working-rate PCM and word timings."""
    pieces: list[bytes] = []
    words: list[Word] = []
    offset_ms = 0
    rate = None
    timings = "engine"
    for chunk in chunk_text(text, engine.max_chunk_bytes, lambda s: len(s.encode("utf-8"))):
        if not chunk.strip():
            continue
        take = engine.synthesize(chunk, settings)
        timings = take.timings
        if rate is not None and take.rate != rate:
            raise EngineError(f"{engine.name}: chunks came back at different sample rates")
        rate = take.rate
        pieces.append(take.pcm)
        words.extend(Word(w.start_ms + offset_ms, w.end_ms + offset_ms, w.text) for w in take.words)
        offset_ms += take.duration_ms
    if rate is None or not any(pieces):
        raise EngineError(f"{engine.name}: no audio came back")
    pcm = ffmpeg.resample_pcm(b"".join(pieces), rate, ffmpeg.WORK_RATE)
    return pcm, tuple(words), timings


_slot_lock = threading.Lock()
_slot_table: dict[str, tuple[int, threading.BoundedSemaphore]] = {}


def _slots(engine: Engine) -> threading.BoundedSemaphore:
    """The semaphore that bounds how many takes *engine* makes at once."""
    with _slot_lock:
        size = engine.parallel()
        entry = _slot_table.get(engine.name)
        if entry is None or entry[0] != size:
            entry = (size, threading.BoundedSemaphore(size))
            _slot_table[engine.name] = entry
        return entry[1]


def pool_size(jobs: Sequence[Job], workers: int) -> int:
    """Enough threads for the requested workers and for every engine's parallel connections."""
    engines = {job.settings.engine for job in jobs}
    return max([workers, *(get_engine(name).parallel() for name in engines)])


def _make(job: Job, cache: TakeCache, calibration: Calibration | None) -> Result:
    hit = cache.get(job.key)
    if hit is not None:
        if calibration is not None:
            calibration.record(job.settings, job.key, job.text, hit.duration_ms - hit.lead_ms - hit.trail_ms)
        return Result(job, hit, cached=True)
    engine = get_engine(job.settings.engine)
    try:
        with _slots(engine):
            pcm, words, timings = synthesize_take(engine, job.text, job.settings)
    except EngineError as exc:
        raise AudiopipeError(f"{job.segment.label}: {exc.message}") from None
    samples = audio.to_float(pcm)
    lead, trail = audio.edge_silence_ms(samples)
    loud = loudness.measure(samples, ffmpeg.WORK_RATE)
    info = TakeInfo(job.key, job.settings.engine, job.settings.voice, job.text,
                    len(samples) * 1000 // ffmpeg.WORK_RATE, words,
                    loud.integrated_lufs, loud.true_peak_dbtp, lead, trail, timings)
    cache.put(info, pcm)
    if calibration is not None:
        calibration.record(job.settings, job.key, job.text, info.duration_ms - lead - trail)
    return Result(job, info, cached=False)


def _run(jobs: Sequence[Job], cache: TakeCache, workers: int, progress: Callable[[int, int], None] | None,
         calibration: Calibration | None, stop_on_error: bool) -> list[Result | AudiopipeError]:
    done = 0
    lock = threading.Lock()

    def one(job: Job) -> Result | AudiopipeError:
        nonlocal done
        try:
            result: Result | AudiopipeError = _make(job, cache, calibration)
        except AudiopipeError as exc:
            if stop_on_error:
                raise
            result = exc
        with lock:
            done += 1
            if progress:
                progress(done, len(jobs))
        return result

    try:
        with ThreadPoolExecutor(max_workers=max(1, pool_size(jobs, workers))) as pool:
            futures = [pool.submit(one, job) for job in jobs]
            results = []
            for future in futures:
                try:
                    results.append(future.result())
                except BaseException:
                    for other in futures:      # takes under way finish (and are cached); the rest never start
                        other.cancel()
                    raise
            return results
    finally:
        if calibration is not None:
            calibration.save()


def run(jobs: Sequence[Job], cache: TakeCache, workers: int = 2,
        progress: Callable[[int, int], None] | None = None,
        calibration: Calibration | None = None) -> list[Result]:
    """Make every job's take (from the cache when there); results in job order.

    A failure stops the run after the takes under way finish; every take
    already made is in the cache, so a re-run makes only what is missing.
    """
    results = _run(jobs, cache, workers, progress, calibration, stop_on_error=True)
    return [r for r in results if isinstance(r, Result)]


def run_collect(jobs: Sequence[Job], cache: TakeCache, workers: int = 2,
                progress: Callable[[int, int], None] | None = None,
                calibration: Calibration | None = None) -> list[Result | AudiopipeError]:
    """Like :func:`run`, but a failed take does not stop the others: its error takes its place."""
    return _run(jobs, cache, workers, progress, calibration, stop_on_error=False)


def tty_progress(done: int, total: int) -> None:
    if sys.stderr.isatty():
        end = "\n" if done == total else ""
        width = 30
        filled = width * done // max(1, total)
        sys.stderr.write(f"\rsynthesizing [{'#' * filled}{'.' * (width - filled)}] {done}/{total}" + end)
        sys.stderr.flush()
