"""The contract every speech engine fulfils: text + voice in, audio + word timings out."""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class Word:
    """A word (or, for Chinese, a character group) and where it is spoken, in ms from the take's start."""

    start_ms: int
    end_ms: int
    text: str


@dataclass(frozen=True)
class VoiceSettings:
    """Everything about a voice that changes the sound (and so the cache key)."""

    engine: str
    voice: str
    lang: str
    rate: int = 0      # percent
    pitch: int = 0     # Hz
    volume: int = 0    # percent
    voice_file: str = ""   # a file of voices (kokoro) as "path|content hash"


@dataclass(frozen=True)
class Take:
    """Synthesized speech: mono 16-bit PCM at ``rate`` Hz, and its word timings."""

    pcm: bytes
    rate: int
    words: tuple[Word, ...]
    timings: str = "engine"    # "engine": from the engine; "estimated": spread by text length

    @property
    def duration_ms(self) -> int:
        return len(self.pcm) // 2 * 1000 // self.rate


@dataclass(frozen=True)
class VoiceInfo:
    engine: str
    name: str
    lang: str          # en, zh, or a locale such as en-GB
    description: str = ""


class Engine(abc.ABC):
    """A speech engine.  Implementations live one per module in this package."""

    name: ClassVar[str]
    max_chunk_bytes: ClassVar[int] = 4000
    """The longest text (UTF-8 bytes) sent in one call; longer segments are chunked at sentences."""
    concurrency: ClassVar[int] = 1
    """How many segments may be synthesized at once."""
    offline: ClassVar[bool] = True

    @abc.abstractmethod
    def version(self) -> str:
        """Identifies the engine build: part of every cache key."""

    @abc.abstractmethod
    def default_voice(self, lang: str) -> str:
        """The voice used for *lang* when a profile names none for this engine."""

    @abc.abstractmethod
    def synthesize(self, text: str, settings: VoiceSettings) -> Take:
        """Speak *text* (already within ``max_chunk_bytes``)."""

    @abc.abstractmethod
    def list_voices(self) -> list[VoiceInfo]:
        """The voices this engine offers."""

    def check_voice(self, settings: VoiceSettings) -> None:  # noqa: B027 - optional hook
        """Raise EngineError when *settings.voice* does not exist; default: accept."""

    def parallel(self) -> int:
        """How many segments this engine may synthesize at once (connections, sessions)."""
        return self.concurrency

    @property
    def note(self) -> str | None:
        """Something the user should know (e.g. a check that was skipped offline), or None."""
        return None
