"""Progress of the long stages (synthesizing, mastering, checking, transcribing) for people.

On a terminal each stage is a tqdm bar on stderr.  Elsewhere (CI, `make` piped to a log) the
stage is one plain line when it starts, at least every ``interval`` seconds while it runs (even
when a single long take gives no news), and when it ends: ``synthesizing 12/20 (34 s)``.  The
pipeline only calls ``report(stage, done, total)``; ``--quiet`` passes no reporter at all.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import IO, Any

INTERVAL_S = 10.0


class Progress:
    def __init__(self, stream: IO[str] | None = None, interval_s: float = INTERVAL_S,
                 tty: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.interval_s = interval_s
        self._lock = threading.Lock()
        self._bars: dict[str, Any] = {}
        self._current: tuple[str, int, int] | None = None
        self._started: dict[str, float] = {}
        self._printed = 0.0
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        with self._lock:
            if self.tty:
                self._bar(stage, done, total)
            else:
                self._line(stage, done, total)

    # ---- a terminal: tqdm ------------------------------------------------------------------
    def _bar(self, stage: str, done: int, total: int) -> None:
        from tqdm import tqdm
        bar = self._bars.get(stage)
        if bar is None:
            bar = self._bars[stage] = tqdm(total=total, desc=stage, file=self.stream, unit="", leave=True,
                                           dynamic_ncols=True, bar_format="{desc} {bar} {n_fmt}/{total_fmt} "
                                           "[{elapsed}<{remaining}]")
        bar.total = total
        bar.update(done - bar.n)
        if done >= total:
            bar.close()
            del self._bars[stage]

    # ---- a log: plain lines ----------------------------------------------------------------
    def _line(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        fresh = self._current is None or self._current[0] != stage or done < self._current[1]
        if fresh:
            self._started[stage] = now
        self._current = (stage, done, total)
        if fresh or done >= total or now - self._printed >= self.interval_s:
            self._print(now)
        if done >= total:
            self._current = None
        elif self._ticker is None:
            self._ticker = threading.Thread(target=self._tick, name="progress", daemon=True)
            self._ticker.start()

    def _print(self, now: float) -> None:
        assert self._current is not None
        stage, done, total = self._current
        elapsed = now - self._started.get(stage, now)
        state = "done" if done >= total else "…"
        print(f"{stage} {done}/{total} {state} ({elapsed:.0f} s)", file=self.stream, flush=True)
        self._printed = now

    def _tick(self) -> None:
        while not self._stop.wait(1.0):
            with self._lock:
                now = time.monotonic()
                if self._current is not None and now - self._printed >= self.interval_s:
                    self._print(now)

    def close(self) -> None:
        self._stop.set()
        with self._lock:
            for bar in self._bars.values():
                bar.close()
            self._bars.clear()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
