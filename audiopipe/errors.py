"""The one exception family of audiopipe.

Every error a user can cause is an :class:`AudiopipeError`; the CLI prints
its message on one line and exits 2.  Anything else is a bug and keeps its
traceback.
"""

from __future__ import annotations


class AudiopipeError(Exception):
    """Base of every error meant for the user: one line, says what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))

    @property
    def message(self) -> str:
        return str(self.args[0])


class InputError(AudiopipeError):
    """A file the user wrote is wrong: names file, place and fix."""

    def __init__(self, path: object, message: str, line: int | None = None) -> None:
        where = f"{path}:{line}" if line is not None else f"{path}"
        super().__init__(f"{where}: {message}")
        self.path = str(path)
        self.line = line


class ManifestError(InputError):
    """An episode manifest is invalid."""


class VoiceError(InputError):
    """A voice profile is invalid or unknown."""


class ToolError(AudiopipeError):
    """An outside tool (ffmpeg, mutagen, an engine library) failed."""


class EngineError(AudiopipeError):
    """A speech engine could not synthesize a segment."""
