"""Jobs -> takes, through the engines, in parallel, behind the cache."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from audiopipe import logs
from audiopipe.dsp import loudness, signal
from audiopipe.dsp.signal import Samples
from audiopipe.engines import Engine, Engines, Timings, VoiceSettings, Word
from audiopipe.errors import AudiopipeError, EngineError
from audiopipe.synth.cache import HEADLINE_PAUSE_MS, JOIN_PAUSE_MS, TakeCache, TakeInfo, joined_key
from audiopipe.synth.plan import Job
from audiopipe.synth.timing import Calibration
from audiopipe.text import chunk_text
from audiopipe.tools import ffmpeg
from audiopipe.tools.wav import WORK_RATE, read_wav


@dataclass(frozen=True)
class Result:
    job: Job
    info: TakeInfo
    cached: bool
    worker: str = "local"     # where a take made now was made: "local", or a Dask worker's address
    made: tuple[str, ...] = ()   # the keys of the takes an engine made for it now (a joined take: its parts')

    @property
    def made_keys(self) -> tuple[str, ...]:
        return self.made or (() if self.cached else (self.info.key,))


def synthesize_take(engine: Engine, text: str, settings: VoiceSettings) -> tuple[bytes, tuple[Word, ...], Timings]:
    """Speak *text* in chunks within the engine's limit; return working-rate PCM and word timings."""
    pieces: list[bytes] = []
    words: list[Word] = []
    offset_ms = 0
    rate = None
    timings: Timings = "engine"
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
    pcm = ffmpeg.resample_pcm(b"".join(pieces), rate, WORK_RATE)
    return pcm, tuple(words), timings


SHORT_RATIO = 0.5
"""A take with less speech than this share of what its text needs was cut short (as QA's default)."""


def check_take(samples: Samples, text: str, settings: VoiceSettings, calibration: Calibration | None,
               short_ratio: float) -> str | None:
    """Why a fresh take cannot be used (no audio, silent, far shorter than its text needs), or None."""
    if not len(samples):
        return "empty (no audio came back)"
    lead, trail = signal.edge_silence_ms(samples)         # 10 ms windows under -45 dBFS are silence
    duration_ms = len(samples) * 1000 // WORK_RATE
    speech_ms = duration_ms - lead - trail
    if speech_ms <= 0:
        return "silent"
    if calibration is not None:
        expected = calibration.estimate_ms(text, settings) - 2 * signal.EDGE_PAUSE_MS
        if expected > 0 and speech_ms < short_ratio * expected:
            return (f"{speech_ms / 1000:.1f} s of speech where its text needs about {expected / 1000:.1f} s "
                    "(cut short)")
    return None


def make(job: Job, engines: Engines, cache: TakeCache, calibration: Calibration | None,
         short_ratio: float = SHORT_RATIO) -> Result:
    """The take of *job*: from the cache (checked against its hash), or synthesized (bounded by the
    engine's slots), checked and only then cached.  A take that fails the check is made again, with
    the engine's backoff, up to its retries; after the last try the build stops with one line."""
    hit = cache.get(job.key)
    if hit is not None:
        if calibration is not None:
            calibration.record(job.settings, job.key, job.text, hit.duration_ms - hit.lead_ms - hit.trail_ms)
        return Result(job, hit, cached=True)
    try:
        return _synthesize(job, engines, cache, calibration, short_ratio)
    except AudiopipeError as exc:
        if job.backup is None:
            raise
        logs.say(f"warning: {exc.message}; made by the fallback engine ({job.backup.settings.engine}) instead")
        return make(job.backup, engines, cache, calibration, short_ratio)


def _synthesize(job: Job, engines: Engines, cache: TakeCache, calibration: Calibration | None,
                short_ratio: float) -> Result:
    engine = engines.get(job.settings.engine)
    problem = None
    for attempt in range(engine.take_retries + 1):
        if attempt:
            time.sleep(engine.backoff_s_for(attempt))
        try:
            with engines.slots(engine.name):
                pcm, words, timings = synthesize_take(engine, job.text, job.settings)
        except EngineError as exc:
            raise AudiopipeError(f"{job.segment.label}: {exc.message}") from None
        samples = signal.to_float(pcm)
        problem = check_take(samples, job.text, job.settings, calibration, short_ratio)
        if problem is None:
            break
    else:
        raise gave_up(job, engine, problem)
    return Result(job, accept(job, pcm, words, timings, cache, calibration), cached=False)


def gave_up(job: Job, engine: Engine, problem: str | None) -> AudiopipeError:
    """The one line when a take still fails its check after the engine's retries."""
    return AudiopipeError(f"{job.segment.label}: {engine.name}: the take is {problem} after "
                          f"{engine.take_retries + 1} tries; check the text and the voice, or build with "
                          "another engine")


def accept(job: Job, pcm: bytes, words: Sequence[Word], timings: Timings, cache: TakeCache,
           calibration: Calibration | None) -> TakeInfo:
    """A take that passed :func:`check_take`, made here or on a Dask worker: measured (edge silences,
    loudness, true peak), cached with its words, and its pace learnt by the calibration."""
    samples = signal.to_float(pcm)
    lead, trail = signal.edge_silence_ms(samples)
    loud = loudness.measure(samples, WORK_RATE)
    info = cache.put(TakeInfo(job.key, job.settings.engine, job.settings.voice, job.text,
                              len(samples) * 1000 // WORK_RATE, tuple(words),
                              loud.integrated_lufs, loud.true_peak_dbtp, lead, trail, timings), pcm)
    if calibration is not None:
        calibration.record(job.settings, job.key, job.text, info.duration_ms - lead - trail)
    return info


STAGE = "synthesizing"


class Remote(Protocol):
    """Somewhere else to make takes (a Dask cluster, :mod:`audiopipe.synth.cluster`)."""

    def run(self, jobs: Sequence[Job], cache: TakeCache, progress: Callable[[str, int, int], None] | None,
            calibration: Calibration | None, stop_on_error: bool) -> list[Result | AudiopipeError]: ...


def _run(jobs: Sequence[Job], engines: Engines, cache: TakeCache, workers: int,
         progress: Callable[[str, int, int], None] | None, calibration: Calibration | None,
         stop_on_error: bool) -> list[Result | AudiopipeError]:
    done = 0
    lock = threading.Lock()
    if progress and jobs:
        progress(STAGE, 0, len(jobs))

    def one(job: Job) -> Result | AudiopipeError:
        nonlocal done
        try:
            result: Result | AudiopipeError = make(job, engines, cache, calibration)
        except AudiopipeError as exc:
            if stop_on_error:
                raise
            result = exc
        with lock:
            done += 1
            if progress:
                progress(STAGE, done, len(jobs))
        return result

    try:
        size = max(workers, engines.parallel({job.settings.engine for job in jobs}))
        with ThreadPoolExecutor(max_workers=size) as pool:
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


def run(jobs: Sequence[Job], engines: Engines, cache: TakeCache, workers: int = 2,
        progress: Callable[[str, int, int], None] | None = None,
        calibration: Calibration | None = None, remote: Remote | None = None) -> list[Result]:
    """Make every job's take (from the cache when there); results in job order.

    A failure stops the run after the takes under way finish; every take
    already made is in the cache, so a re-run makes only what is missing.
    """
    results = _in_parts(jobs, cache, lambda todo: remote.run(todo, cache, progress, calibration, True)
                        if remote is not None else _run(todo, engines, cache, workers, progress, calibration, True))
    return [r for r in results if isinstance(r, Result)]


def run_collect(jobs: Sequence[Job], engines: Engines, cache: TakeCache, workers: int = 2,
                progress: Callable[[str, int, int], None] | None = None,
                calibration: Calibration | None = None,
                remote: Remote | None = None) -> list[Result | AudiopipeError]:
    """Like :func:`run`, but a failed take does not stop the others: its error takes its place."""
    return _in_parts(jobs, cache, lambda todo: remote.run(todo, cache, progress, calibration, False)
                     if remote is not None else _run(todo, engines, cache, workers, progress, calibration, False))


# ---- a long segment's takes: made as parts, joined here ------------------------------------------

def _in_parts(jobs: Sequence[Job], cache: TakeCache,
              make_all: Callable[[list[Job]], list[Result | AudiopipeError]]) -> list[Result | AudiopipeError]:
    """Every job's result, a job in parts made as its parts (in the same parallel run as the other
    jobs, locally or on the cluster) and joined, unless its joined take is in the cache already."""
    todo: list[Job] = []
    spans: list[tuple[int, int]] = []
    for job in jobs:
        split = bool(job.parts) and cache.get(job.key) is None
        spans.append((len(todo), len(job.parts) if split else 0))
        todo.extend(job.parts if split else [job])
    made = make_all(todo)
    out: list[Result | AudiopipeError] = []
    for job, (start, count) in zip(jobs, spans):
        if not count:
            out.append(made[start])
            continue
        parts = made[start:start + count]
        failed = next((r for r in parts if isinstance(r, AudiopipeError)), None)
        out.append(failed if failed is not None else join(job, [r for r in parts if isinstance(r, Result)], cache))
    return out


def join(job: Job, parts: Sequence[Result], cache: TakeCache) -> Result:
    """One take of *job* from the takes of its parts: each seam a sentence's pause, the word times moved,
    measured as a whole and cached under the job's key (the parts stay cached for the next edit)."""
    audio = [signal.to_float(read_wav(cache.wav_path(part.info.key))[0]) for part in parts]
    edges = [(p.info.lead_ms * WORK_RATE // 1000, p.info.trail_ms * WORK_RATE // 1000) for p in parts]
    cut = [[0, len(a)] for a in audio]                    # each part's [start, end) kept
    pads = []
    lo, hi = (ms * WORK_RATE // 1000 for ms in JOIN_PAUSE_MS)
    for i in range(1, len(parts)):
        trail, lead = edges[i - 1][1], edges[i][0]
        pause = min(max(trail + lead, lo), hi) if i > 1 or not job.headline else HEADLINE_PAUSE_MS * WORK_RATE // 1000
        kept_trail = min(trail, pause // 2)
        kept_lead = min(lead, pause - kept_trail)
        cut[i - 1][1] = len(audio[i - 1]) - (trail - kept_trail)
        cut[i][0] = lead - kept_lead
        pads.append(pause - kept_trail - kept_lead)
    pieces: list[Samples] = []
    words: list[Word] = []
    at = 0
    for i, (part, (start, end)) in enumerate(zip(parts, cut)):
        if i:
            pieces.append(np.zeros(pads[i - 1], np.float32))
            at += pads[i - 1]
        shift = (at - start) * 1000 // WORK_RATE
        words += [Word(w.start_ms + shift, w.end_ms + shift, w.text) for w in part.info.words]
        pieces.append(audio[i][start:end])
        at += end - start
    samples = np.concatenate(pieces)
    first, last = parts[0].info, parts[-1].info
    loud = loudness.measure(samples, WORK_RATE)
    timings: Timings = "engine" if all(p.info.timings == "engine" for p in parts) else "estimated"
    key = joined_key(tuple(p.info.key for p in parts))     # a part made by the fallback engine: another take
    backup = any(p.job.by_fallback and not job.by_fallback for p in parts)
    whole = dataclasses.replace(job.backup if backup and job.backup is not None else job, key=key)
    info = cache.put(TakeInfo(key, first.engine, first.voice, job.text, len(samples) * 1000 // WORK_RATE,
                              tuple(words), loud.integrated_lufs, loud.true_peak_dbtp, first.lead_ms,
                              last.trail_ms, timings), signal.to_pcm(samples))
    made = tuple(key for p in parts for key in p.made_keys)
    return Result(whole, info, cached=not made, worker=parts[0].worker, made=made)
