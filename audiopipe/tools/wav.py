"""WAV files in the pipeline's working format: 44.1 kHz, mono, 16-bit PCM."""

from __future__ import annotations

import io
import wave
from pathlib import Path

from audiopipe.errors import ToolError

WORK_RATE = 44100
"""Sample rate of the pipeline's working audio (mono, 16-bit PCM)."""


def wav_bytes(pcm: bytes, rate: int = WORK_RATE) -> bytes:
    """A mono 16-bit WAV file of *pcm*, in memory."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm)
    return buffer.getvalue()


def read_wav(path: Path) -> tuple[bytes, int]:
    try:
        with wave.open(str(path), "rb") as src:
            if src.getnchannels() != 1 or src.getsampwidth() != 2:
                raise ToolError(f"{path}: expected a mono 16-bit WAV")
            return src.readframes(src.getnframes()), src.getframerate()
    except (wave.Error, EOFError) as exc:
        raise ToolError(f"{path}: unreadable WAV ({exc})") from exc


def wav_frames(path: Path) -> int:
    """How many samples a WAV holds, read from its header."""
    try:
        with wave.open(str(path), "rb") as src:
            return src.getnframes()
    except (wave.Error, EOFError) as exc:
        raise ToolError(f"{path}: unreadable WAV ({exc})") from exc
