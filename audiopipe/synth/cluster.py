"""Takes made on a Dask cluster: the client sends each uncached take as a task, workers speak it.

Everything else stays on the machine that runs the build.  A worker is a plain ``dask worker`` process on
a host with the same audiopipe installed; it builds each engine once per process (:func:`_worker_engines`)
and returns the take's PCM and word times.  The client checks every take as a local one is checked,
writes its own cache as results stream in (``as_completed``), and drops each result once written, so
its memory does not grow with the batch.  Dask re-runs the tasks of a worker that dies on another.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from audiopipe import __version__, logs
from audiopipe.dsp import signal
from audiopipe.engines import EngineOptions, Engines, VoiceSettings, Word
from audiopipe.errors import AudiopipeError, EngineError
from audiopipe.synth.cache import TakeCache, default_cache_dir
from audiopipe.synth.plan import Job
from audiopipe.synth.run import SHORT_RATIO, STAGE, Result, accept, check_take, gave_up, synthesize_take
from audiopipe.synth.timing import Calibration

MISSING = ("--scheduler needs the cluster extra: pip install 'audiopipe[cluster]' (the Dask distributed "
           "package) here and on every worker host")
CONNECT_TIMEOUT_S = 5
WORKER_WAIT_S = 20

# ---- on the worker ------------------------------------------------------------------------------

_ENGINES: dict[tuple[Any, ...], Engines] = {}
_ENGINES_LOCK = threading.Lock()


def _worker_engines(connections: int | None, retries: int | None, offline: bool, cores: int | None) -> Engines:
    """This worker process's engines, built on first use and kept (a Kokoro model loads once)."""
    key = (connections, retries, offline, cores)
    with _ENGINES_LOCK:
        engines = _ENGINES.get(key)
        if engines is None:
            options = EngineOptions(default_cache_dir(), connections, retries, offline, cores)
            engines = _ENGINES[key] = Engines(options)
        return engines


def _worker_cores() -> int | None:
    """The threads this Dask worker runs tasks on: its engines use that many cores."""
    try:
        from distributed import get_worker
        return int(get_worker().state.nthreads)
    except (ImportError, ValueError, AttributeError):
        return None


def _worker_address() -> str:
    try:
        from distributed import get_worker
        return str(get_worker().address)
    except (ImportError, ValueError):
        return f"pid {os.getpid()}"


def remote_take(settings: VoiceSettings, text: str, connections: int | None, retries: int | None,
                offline: bool) -> dict[str, Any]:
    """The task run on a worker: one take, as PCM at the working rate with its word times.

    An engine's own failure comes back as ``{"error": …}`` (the client words it as a local build does).
    """
    engines = _worker_engines(connections, retries, offline, _worker_cores())
    where = _worker_address()
    try:
        engine = engines.get(settings.engine)
        with engines.slots(engine.name):
            pcm, words, timings = synthesize_take(engine, text, settings)
    except (EngineError, AudiopipeError) as exc:
        return {"error": exc.message, "worker": where}
    return {"pcm": pcm, "words": [(w.start_ms, w.end_ms, w.text) for w in words], "timings": timings,
            "worker": where}


def worker_versions(names: Sequence[str], connections: int | None, retries: int | None, offline: bool,
                    dask_worker: Any = None) -> dict[str, str]:
    """What a worker runs: audiopipe's version and each named engine's (``Client.run`` on every worker,
    which passes *dask_worker*)."""
    cores = int(dask_worker.state.nthreads) if dask_worker is not None else _worker_cores()
    engines = _worker_engines(connections, retries, offline, cores)
    found = {"audiopipe": __version__}
    for name in names:
        try:
            found[name] = engines.get(name).version()
        except (EngineError, AudiopipeError) as exc:
            found[name] = f"unusable ({exc.message})"
    return found


# ---- on the client ------------------------------------------------------------------------------

class Cluster:
    """A connection to a Dask scheduler for one run (a build or a batch)."""

    def __init__(self, address: str, engines: Engines) -> None:
        try:
            import distributed
        except ImportError:
            raise AudiopipeError(MISSING) from None
        self.address = address
        self.engines = engines
        self._checked: set[str] = set()
        for name in ["distributed", *[n for n in logging.root.manager.loggerDict if n.startswith("distributed.")]]:
            logging.getLogger(name).setLevel(logging.CRITICAL)          # its reconnect chatter is not ours
        try:
            _knock(address)                      # nothing listening: said at once, not after the client's retries
            self.client = distributed.Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise AudiopipeError(self._down(f"cannot be reached ({_reason(exc)})")) from None
        try:
            self.client.wait_for_workers(1, timeout=WORKER_WAIT_S)
        except (OSError, TimeoutError):
            self.close()
            raise AudiopipeError(f"Dask scheduler {address}: no worker joined within {WORKER_WAIT_S} s; start "
                                 f"`dask worker {address}` on a host with audiopipe, or build without "
                                 "--scheduler") from None

    def _down(self, what: str) -> str:
        return (f"Dask scheduler {self.address} {what}; start it with `dask scheduler` (or `make cluster`) "
                "and run the build again (takes already made are cached), or build without --scheduler")

    def close(self) -> None:
        try:
            self.client.close(timeout=5)
        except Exception:  # noqa: BLE001 - closing a client whose scheduler is gone may raise anything
            pass

    def check_versions(self, names: set[str]) -> None:
        """Refuse a worker whose audiopipe or engine version differs from this machine's (once per engine)."""
        names = names - self._checked
        if not names:
            return
        mine = {"audiopipe": __version__, **{n: self.engines.get(n).version() for n in sorted(names)}}
        try:
            options = self.engines.options
            theirs = self.client.run(worker_versions, sorted(names), options.connections, options.retries,
                                     options.offline)
        except ModuleNotFoundError as exc:
            raise AudiopipeError(f"a Dask worker of {self.address} cannot import {exc.name}; install "
                                 f"audiopipe {__version__} with its extras on every worker host") from None
        except (OSError, TimeoutError) as exc:
            raise AudiopipeError(self._down(f"went away ({_reason(exc)})")) from None
        for worker, versions in sorted(theirs.items()):
            for what, version in mine.items():
                if versions.get(what) != version:
                    label = "audiopipe" if what == "audiopipe" else f"engine {what}"
                    raise AudiopipeError(f"Dask worker {worker} runs {label} {versions.get(what)}, this machine "
                                         f"{version}; install the same audiopipe {__version__} (and its "
                                         "extras) there, or stop that worker")
        self._checked |= names

    def run(self, jobs: Sequence[Job], cache: TakeCache, progress: Callable[[str, int, int], None] | None,
            calibration: Calibration | None, stop_on_error: bool) -> list[Result | AudiopipeError]:
        """Every job's take: from the cache here, or made on the cluster; results in job order."""
        return _ClusterRun(self, jobs, cache, progress, calibration, stop_on_error).run()


def _knock(address: str) -> None:
    """A TCP connection to a ``tcp://host:port`` (or ``host:port``) scheduler, closed at once: OSError when
    nothing listens there (Dask's client would try again until its timeout).  Other schemes: the client's."""
    scheme, _, rest = address.rpartition("://")
    host, _, port = rest.rpartition(":")
    if scheme in ("tcp", "") and host and port.isdigit():
        socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_TIMEOUT_S).close()


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


class _ClusterRun:
    """One synthesis run on the cluster: submit what the cache lacks, take results as they finish."""

    def __init__(self, cluster: Cluster, jobs: Sequence[Job], cache: TakeCache,
                 progress: Callable[[str, int, int], None] | None, calibration: Calibration | None,
                 stop_on_error: bool) -> None:
        self.cluster, self.jobs, self.cache = cluster, list(jobs), cache
        self.progress, self.calibration, self.stop_on_error = progress, calibration, stop_on_error
        self.results: list[Result | AudiopipeError | None] = [None] * len(self.jobs)
        self.done = 0

    def _tick(self, n: int = 1) -> None:
        self.done += n
        if self.progress:
            self.progress(STAGE, self.done, len(self.jobs))

    def run(self) -> list[Result | AudiopipeError]:
        if self.progress and self.jobs:
            self.progress(STAGE, 0, len(self.jobs))
        waiting: dict[str, list[int]] = {}            # take key -> the jobs it serves (shared takes go once)
        for i, job in enumerate(self.jobs):
            hit = self.cache.get(job.key)
            if hit is not None:
                if self.calibration is not None:
                    self.calibration.record(job.settings, job.key, job.text,
                                            hit.duration_ms - hit.lead_ms - hit.trail_ms)
                self.results[i] = Result(job, hit, cached=True)
                self._tick()
            else:
                waiting.setdefault(job.key, []).append(i)
        try:
            if waiting:
                self.cluster.check_versions({self.jobs[ids[0]].settings.engine for ids in waiting.values()})
                self._stream(waiting)
        finally:
            if self.calibration is not None:
                self.calibration.save()
        return [r for r in self.results if r is not None]

    def _submit(self, job: Job, attempt: int) -> Any:
        options = self.cluster.engines.options
        return self.cluster.client.submit(remote_take, job.settings, job.text, options.connections,
                                          options.retries, options.offline, key=f"take-{job.key}-{attempt}",
                                          retries=0, priority=len(job.text))   # the longest first: no long tail

    def _stream(self, waiting: dict[str, list[int]]) -> None:
        from distributed import as_completed
        from distributed.client import FutureCancelledError

        attempts: dict[str, int] = {}
        current = {key: self.jobs[ids[0]] for key, ids in waiting.items()}    # a backup replaces a failed job
        pending = {self._submit(current[key], 0): key for key in waiting}
        stream = as_completed(list(pending), loop=self.cluster.client.loop)
        try:
            for future in stream:
                key = pending.pop(future)
                job = current[key]
                try:
                    outcome = future.result()
                except (FutureCancelledError, OSError, TimeoutError) as exc:
                    why = "connection lost" if isinstance(exc, FutureCancelledError) else _reason(exc)
                    made = sum(isinstance(r, Result) and not r.cached for r in self.results)
                    raise AudiopipeError(self.cluster._down(f"went away mid-batch ({why}; the {made} take(s) "
                                                            "made before are cached)")) from None
                except Exception as exc:  # noqa: BLE001 - a task's failure on a worker, whatever it is
                    outcome = {"error": f"{job.settings.engine}: failed on a cluster worker ({_reason(exc)})"}
                finally:
                    future.release()
                again = self._take(job, waiting[key], outcome, attempts)
                if again is not None:
                    current[key] = again
                    resubmitted = self._submit(again, attempts.setdefault(again.key, 0))
                    pending[resubmitted] = key
                    stream.add(resubmitted)
        finally:
            for future in pending:
                future.cancel()

    def _take(self, job: Job, ids: list[int], outcome: dict[str, Any], attempts: dict[str, int]) -> Job | None:
        """Check and cache one take that came back; the job to submit again when it must be made again."""
        if "error" in outcome:
            return self._fail(job, ids, AudiopipeError(f"{job.segment.label}: {outcome['error']}"))
        pcm: bytes = outcome["pcm"]
        problem = check_take(signal.to_float(pcm), job.text, job.settings, self.calibration, SHORT_RATIO)
        engine = self.cluster.engines.get(job.settings.engine)
        if problem is not None:
            attempts[job.key] = attempts.get(job.key, 0) + 1
            if attempts[job.key] <= engine.take_retries:
                return job
            return self._fail(job, ids, gave_up(job, engine, problem))
        words = tuple(Word(int(a), int(b), str(t)) for a, b, t in outcome["words"])
        info = accept(job, pcm, words, outcome["timings"], self.cache, self.calibration)
        for i in ids:
            made = self.jobs[i] if job.key == self.jobs[i].key else (self.jobs[i].backup or job)   # the backup
            self.results[i] = Result(made, info, cached=False, worker=str(outcome["worker"]))
        self._tick(len(ids))
        return None

    def _fail(self, job: Job, ids: list[int], error: AudiopipeError) -> Job | None:
        """A take that cannot be made: its --fallback backup is tried, else the error stands."""
        if job.backup is not None:
            logs.say(f"warning: {error.message}; made by the fallback engine "
                     f"({job.backup.settings.engine}) instead")
            self.cluster.check_versions({job.backup.settings.engine})
            return job.backup
        if self.stop_on_error:
            raise error
        for i in ids:
            self.results[i] = error
        self._tick(len(ids))
        return None


@contextlib.contextmanager
def connected(address: str | None, engines: Engines) -> Iterator[Cluster | None]:
    """A :class:`Cluster` on *address* for the run inside (None without an address), closed after it."""
    if not address:
        yield None
        return
    cluster = Cluster(address, engines)
    try:
        info = cluster.client.scheduler_info()
        workers = info.get("workers", {})
        threads = sum(int(w.get("nthreads", 0)) for w in workers.values())
        logs.say(f"cluster: {address}, {len(workers)} worker(s), {threads} thread(s); takes not in the cache are "
                 "made there")
        yield cluster
    finally:
        cluster.close()
