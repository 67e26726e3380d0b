"""What audiopipe tells the producer as it works: one stdlib logger, one console handler.

Every module says its notes, warnings and stage lines with :func:`say` (the ``audiopipe`` logger at INFO);
nothing is printed until a command installs the console (:func:`console`, done once by ``audiopipe``'s
``main``), which writes each line to the standard error of the moment (pytest's capture, a terminal under
progress bars).  A library caller attaches its own handler to ``logging.getLogger("audiopipe")`` instead.
:func:`quiet` silences the lines of one stretch of work in the current thread or task (the batch's
estimates for the episodes it fits together).
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import sys
from collections.abc import Iterator

LOG = logging.getLogger("audiopipe")
_QUIET: contextvars.ContextVar[bool] = contextvars.ContextVar("audiopipe_quiet", default=False)


class _Console(logging.Handler):
    """Each message on its own line of ``sys.stderr`` as it is when the line is written."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
            sys.stderr.flush()
        except (OSError, ValueError):        # a closed or full stderr: the work goes on without its lines
            pass


class _NotQuiet(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not _QUIET.get()


LOG.addFilter(_NotQuiet())


def console() -> None:
    """Print the logger's lines on standard error (once per process; a second call changes nothing)."""
    if not any(isinstance(handler, _Console) for handler in LOG.handlers):
        LOG.addHandler(_Console())
    LOG.setLevel(logging.INFO)
    LOG.propagate = False


def say(message: str) -> None:
    """One line for the producer (a note, a warning, a stage's figures)."""
    LOG.info(message)


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """No line from :func:`say` while the block runs (in this thread or task)."""
    token = _QUIET.set(True)
    try:
        yield
    finally:
        _QUIET.reset(token)
