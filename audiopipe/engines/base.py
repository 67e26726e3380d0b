"""The contract every speech engine fulfils: text + voice in, audio + word timings out."""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Literal, Protocol

Timings = Literal["engine", "estimated"]
"""Word timings from the engine itself, or estimated (spread by text length)."""


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
    other: str = ""        # the voice for stretches in the other language's script ("": the engine's default)
    readings: str = ""     # Mandarin readings the text uses (kokoro: config/polyphones.relevant, "上调=shang4 tiao2")

    def other_voice(self, lang: str, default: str) -> str:
        """The voice that speaks a run in *lang*: this voice for its own language, else the other one."""
        return self.voice if lang == self.lang else (self.other or default)


@dataclass(frozen=True)
class Take:
    """Synthesized speech: mono 16-bit PCM at ``rate`` Hz, and its word timings."""

    pcm: bytes
    rate: int
    words: tuple[Word, ...]
    timings: Timings = "engine"

    @property
    def duration_ms(self) -> int:
        return len(self.pcm) // 2 * 1000 // self.rate


@dataclass(frozen=True)
class VoiceInfo:
    engine: str
    name: str
    lang: str          # en, zh, or a locale such as en-GB
    description: str = ""


@dataclass(frozen=True)
class EngineOptions:
    """What a run tells its engines."""

    cache_dir: Path                     # engines keep models, voice lists and dictionaries here
    connections: int | None = None      # edge: websocket sessions at once (None: the engine's default)
    retries: int | None = None          # edge: retries of a failed chunk (None: the engine's default)
    offline: bool = False               # ``auto`` takes the offline engine without asking any service
    cores: int | None = None            # CPU cores an engine may use (None: all; a Dask worker: its threads)


class Phonemizer(Protocol):
    """Text -> IPA phonemes (espeak-ng's, for engines that speak from phonemes)."""

    def phonemes(self, text: str, voice: str = "en-us") -> str: ...


class Engine(abc.ABC):
    """A speech engine.  Implementations live one per module in this package and are built per run
    by :class:`audiopipe.engines.registry.Engines`; nothing about them is process-wide."""

    name: ClassVar[str]
    service: ClassVar[str] = "engine"
    """How messages name what the engine depends on (``auto`` says it "does not answer")."""
    max_chunk_bytes: ClassVar[int] = 4000
    """The longest text (UTF-8 bytes) sent in one call; longer segments are chunked at sentences."""

    @classmethod
    def create(cls, options: EngineOptions, other: Callable[[str], Engine]) -> Engine:
        """Build the engine for a run; *other* gives another engine of the same run (a phonemizer, say)."""
        return cls()

    take_retries: int = 1
    """How often a take that fails its check (silent, cut short) is made again before the build stops."""
    reads_pinyin = False
    """Whether it takes Mandarin readings (VoiceSettings.readings) for the words its dictionary misreads."""

    def __init__(self, parallel: int = 1) -> None:
        self.parallel = max(1, parallel)
        """How many takes this engine makes at once (sessions, connections): the one name for it."""

    def backoff_s_for(self, attempt: int) -> float:
        """How long to wait before try number *attempt* (1, 2, …) of a take; offline engines need none."""
        return 0.0

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

    @classmethod
    def voice_language(cls, voice: str) -> str | None:
        """The language ('en', 'zh') *voice* speaks, or None when any (or unknown)."""
        head = voice.lower().split("-")[0]
        return head if head in ("en", "zh") else None

    def settings(self, lang: str, voice: str, rate: int = 0, pitch: int = 0, volume: int = 0,
                 voice_file: Path | None = None) -> VoiceSettings:
        """How a voice profile's choices map to this engine's settings (and so to the cache key)."""
        return VoiceSettings(self.name, voice, lang, rate, pitch, volume)

    def check_voice(self, settings: VoiceSettings) -> None:  # noqa: B027 - optional hook
        """Raise EngineError when *settings.voice* does not exist; default: accept."""

    def available(self) -> bool:
        """Can this engine synthesize right now (e.g. does its service answer)?  Default: yes."""
        return True

    @property
    def note(self) -> str | None:
        """Something the user should know (e.g. a check that was skipped offline), or None."""
        return None
