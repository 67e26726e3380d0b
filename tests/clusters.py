"""Real Dask clusters on 127.0.0.1 for the tests: a `dask scheduler` and `dask worker` processes."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

DASK = Path(sys.executable).with_name("dask")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LocalCluster:
    address: str
    folder: Path
    scheduler: subprocess.Popen[bytes]
    workers: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)   # worker address -> process

    def kill_worker(self, address: str) -> None:
        self.workers[address].send_signal(signal.SIGKILL)
        self.workers[address].wait(10)

    def kill_scheduler(self) -> None:
        self.scheduler.send_signal(signal.SIGKILL)
        self.scheduler.wait(10)


def _wait_for(log: Path, pattern: str, proc: subprocess.Popen[bytes], timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = re.search(pattern, log.read_text(errors="replace")) if log.exists() else None
        if found:
            return found.group(1)
        if proc.poll() is not None:
            raise RuntimeError(f"{log.name}: exited with {proc.returncode}: {log.read_text(errors='replace')[-800:]}")
        time.sleep(0.1)
    raise RuntimeError(f"{log.name}: not ready in {timeout} s: {log.read_text(errors='replace')[-800:]}")


@contextmanager
def cluster(folder: Path, workers: int = 2, worker_env: Mapping[int, Mapping[str, str]] | None = None
            ) -> Iterator[LocalCluster]:
    """A scheduler and *workers* one-thread workers (no nanny: a killed worker stays dead), each in
    *folder* with its own take cache; ``worker_env[i]`` adds variables to worker *i*'s environment."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUDIOPIPE_")}
    procs: list[subprocess.Popen[bytes]] = []
    try:
        log = folder / "scheduler.log"
        scheduler = subprocess.Popen([str(DASK), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                                      "--no-dashboard"], cwd=folder, env=env, stdout=subprocess.DEVNULL,
                                     stderr=log.open("wb"))
        procs.append(scheduler)
        _wait_for(log, r"(Scheduler at:)", scheduler)
        result = LocalCluster(address, folder, scheduler)
        for i in range(workers):
            wlog = folder / f"worker{i}.log"
            wenv = {**env, "AUDIOPIPE_CACHE": str(folder / f"worker{i}-cache"), **(worker_env or {}).get(i, {})}
            proc = subprocess.Popen([str(DASK), "worker", address, "--nthreads", "1", "--no-nanny",
                                     "--no-dashboard", "--host", "127.0.0.1", "--name", f"w{i}"],
                                    cwd=folder, env=wenv, stdout=subprocess.DEVNULL, stderr=wlog.open("wb"))
            procs.append(proc)
            result.workers[_wait_for(wlog, r"Start worker at:\s+(tcp://\S+)", proc)] = proc
        for wlog in folder.glob("worker*.log"):      # registered with the scheduler, not only listening
            _wait_for(wlog, r"(Registered to:)", scheduler)
        yield result
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
