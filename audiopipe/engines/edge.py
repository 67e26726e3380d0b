"""The online engine: Microsoft's neural voices through the ``edge-tts`` client (7.x).

Each chunk of a segment is one websocket session of the real client; audio
comes back as 24 kHz / 48 kbps MP3 and is decoded once, straight to the
pipeline's working format; WordBoundary events (offsets in 100 ns ticks)
give the word timings.  Failures the service is known for — refused or
dropped connections, HTTP 403/429/503 on the handshake, no audio, a receive
timeout — are retried with exponential backoff and jitter.
"""

from __future__ import annotations

import asyncio
import dataclasses
import difflib
import json
import random
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from audiopipe.dsp import signal
from audiopipe.engines import pieces
from audiopipe.engines.base import (
    Engine,
    EngineOptions,
    Take,
    VoiceInfo,
    VoiceSettings,
    Word,
)
from audiopipe.errors import EngineError, ToolError
from audiopipe.text import script_runs
from audiopipe.tools import ffmpeg
from audiopipe.tools.fsutil import write_text
from audiopipe.tools.wav import WORK_RATE

TICKS_PER_MS = 10_000
_DEFAULT_VOICES = {"en": "en-US-AriaNeural", "zh": "zh-CN-XiaoxiaoNeural"}
_RETRY_STATUSES = {403, 429, 500, 502, 503, 504}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_RUNS = re.compile(r"([!?！？。.])\1{2,}")


class RetryableError(Exception):
    """A failure worth another try."""


def clean_text(text: str) -> str:
    """Safe for the service: control characters dropped, runs like !!!! or ???? cut to one."""
    text = _CONTROL.sub(" ", text)
    text = _RUNS.sub(r"\1", text)
    return " ".join(text.split())


class EdgeEngine(Engine):
    name: ClassVar[str] = "edge"
    service: ClassVar[str] = "edge-tts service"
    max_chunk_bytes: ClassVar[int] = 3000     # the service takes 4096 bytes of SSML; leave room for markup
    default_connections: ClassVar[int] = 4
    default_retries: ClassVar[int] = 4
    backoff_s: ClassVar[float] = 0.5            # first delay; doubles each attempt, plus jitter
    max_backoff_s: ClassVar[float] = 8.0
    connect_timeout_s: ClassVar[float] = 10
    receive_timeout_s: ClassVar[float] = 60     # per websocket frame
    voice_list_timeout_s: ClassVar[float] = 5.0

    @classmethod
    def create(cls, options: EngineOptions, other: Callable[[str], Engine]) -> Engine:
        return cls(options.cache_dir, options.connections, options.retries)

    def __init__(self, cache_dir: Path, connections: int | None = None, retries: int | None = None) -> None:
        super().__init__(connections or self.default_connections)   # websocket sessions at once
        try:
            import edge_tts
        except ImportError as exc:  # pragma: no cover - broken install
            raise EngineError("edge: the edge-tts package is missing; run `make install`") from exc
        self._edge = edge_tts
        self.retries = self.default_retries if retries is None else retries   # attempts after the first
        self.take_retries = self.retries
        self.voice_cache = cache_dir / "edge-voices.json"
        self._voices: list[dict[str, Any]] | None = None
        self._voices_note: str | None = None
        self._lock = threading.Lock()
        self.attempts = 0                # connections opened (for tests and the bench)

    def reset(self) -> None:
        """Forget the voice list fetched so far (tests; a long-running process)."""
        with self._lock:
            self._voices, self._voices_note = None, None

    def backoff_s_for(self, attempt: int) -> float:
        delay = float(min(self.max_backoff_s, self.backoff_s * 2 ** (attempt - 1)))
        return delay + random.uniform(0, delay)   # noqa: S311 - jitter, not crypto

    def version(self) -> str:
        return f"edge-tts {getattr(self._edge, '__version__', '7')}"

    def default_voice(self, lang: str) -> str:
        return _DEFAULT_VOICES[lang]

    # ---- voices ----------------------------------------------------------------------------

    def fetch_voices(self) -> list[dict[str, Any]]:
        """The service's voice list (raises on any failure)."""
        async def get() -> list[dict[str, Any]]:
            voices: list[dict[str, Any]] = await asyncio.wait_for(
                self._edge.list_voices(), self.voice_list_timeout_s)
            return voices
        return asyncio.run(get())

    def voices_cached(self, cache_file: Any | None = None) -> list[dict[str, Any]] | None:
        """The voice list, fetched once and kept on disk; None when offline and never fetched."""
        with self._lock:
            if self._voices is not None:
                return self._voices
            path = cache_file or self.voice_cache
            try:
                self._voices = self.fetch_voices()
                path.parent.mkdir(parents=True, exist_ok=True)
                write_text(path, json.dumps(self._voices))
            except Exception as exc:  # noqa: BLE001 - any failure means: no fresh list
                try:
                    self._voices = json.loads(path.read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    self._voices_note = f"edge voice list unavailable ({type(exc).__name__}); voices not checked"
                    return None
            return self._voices

    def available(self) -> bool:
        """Does the service answer right now?"""
        try:
            self.fetch_voices()
            return True
        except Exception:  # noqa: BLE001
            return False

    def check_voice(self, settings: VoiceSettings) -> None:
        voices = self.voices_cached()
        if voices is None:
            return
        names = [v.get("ShortName", "") for v in voices]
        if settings.voice in names:
            return
        locale = "-".join(settings.voice.split("-")[:2])
        same = [n for n in names if n.startswith(locale + "-")] or [
            n for n in names if n.split("-")[0] == settings.voice.split("-")[0]]
        close = difflib.get_close_matches(settings.voice, same or names, n=3, cutoff=0.3)
        hint = f"; closest: {', '.join(close)}" if close else ""
        raise EngineError(f"edge: unknown voice {settings.voice!r}{hint} (`audiopipe voices --engine edge` "
                          "lists them)")

    def list_voices(self) -> list[VoiceInfo]:
        voices = self.voices_cached() or []
        return [VoiceInfo("edge", v["ShortName"], v["Locale"], f"{v.get('Gender', '')} {v.get('FriendlyName', '')}")
                for v in voices if v.get("Locale", "").split("-")[0] in ("en", "zh")]

    @property
    def note(self) -> str | None:
        return self._voices_note

    # ---- synthesis -------------------------------------------------------------------------

    def synthesize(self, text: str, settings: VoiceSettings) -> Take:
        """The take of *text*.  In English, a stretch in Han script (灵鲲) is spoken by the Mandarin
        voice (``settings.other``, else the default) in a request of its own, joined without a pause a
        listener hears and levelled to the English voice; Latin words inside Mandarin are left to the
        Mandarin neural voice, which reads them in English itself."""
        text = clean_text(text)
        if not text:
            raise EngineError("edge: nothing to say after cleaning the text")
        runs = script_runs(text, settings.lang) if settings.lang == "en" else [(text, settings.lang)]
        made = [(lang, *self._request(run, settings.other_voice(lang, self.default_voice(lang)), settings))
                for run, lang in runs if clean_text(run) and re.search(r"\w", run)]
        if len(made) == 1:
            return Take(made[0][1], WORK_RATE, tuple(made[0][2]))
        return _joined(made, settings.lang)

    def _request(self, text: str, voice: str, settings: VoiceSettings) -> tuple[bytes, list[Word]]:
        """One request to the service, tried again on the failures worth it; PCM and word times."""
        text = clean_text(text)
        last: Exception | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff_s_for(attempt))
            try:
                mp3, words = asyncio.run(self._once(text, dataclasses.replace(settings, voice=voice)))
            except RetryableError as exc:
                last = exc
                continue
            try:
                pcm = ffmpeg.decode_bytes(mp3, fmt="mp3", rate=WORK_RATE, what="edge audio")
            except ToolError:
                pcm = b""
            duration_ms = len(pcm) // 2 * 1000 // WORK_RATE
            if not pcm or (words and duration_ms + 300 < words[-1].end_ms):
                # a stream that ends quietly mid-way: the audio stops before the words do
                last = RetryableError("the stream ended early (connection dropped mid-stream)")
                continue
            return pcm, words
        raise EngineError(f"edge: {last} (gave up after {self.retries + 1} attempts)")

    async def _once(self, text: str, settings: VoiceSettings) -> tuple[bytes, list[Word]]:
        import aiohttp
        edge = self._edge
        communicate = edge.Communicate(
            text, settings.voice, rate=f"{settings.rate:+d}%", volume=f"{settings.volume:+d}%",
            pitch=f"{settings.pitch:+d}Hz", boundary="WordBoundary",
            connect_timeout=int(self.connect_timeout_s), receive_timeout=int(self.receive_timeout_s))
        audio = bytearray()
        words: list[Word] = []
        self.attempts += 1
        stream = communicate.stream().__aiter__()
        try:
            while True:
                try:   # the client's own read timeout does not cover websocket frames: ours does
                    chunk = await asyncio.wait_for(stream.__anext__(), self.receive_timeout_s)
                except StopAsyncIteration:
                    break
                if chunk["type"] == "audio":
                    audio += chunk["data"]
                elif chunk["type"] == "WordBoundary":
                    start = int(chunk["offset"]) // TICKS_PER_MS
                    end = start + int(chunk["duration"]) // TICKS_PER_MS
                    words.append(Word(start, end, str(chunk["text"])))
        except aiohttp.WSServerHandshakeError as exc:
            if exc.status in _RETRY_STATUSES:
                raise RetryableError(f"HTTP {exc.status} on the handshake") from exc
            raise EngineError(f"edge: the service refused the request (HTTP {exc.status})") from exc
        except aiohttp.ClientResponseError as exc:
            if exc.status in _RETRY_STATUSES:
                raise RetryableError(f"HTTP {exc.status}") from exc
            raise EngineError(f"edge: HTTP {exc.status} from the service") from exc
        except aiohttp.ClientConnectorError as exc:
            raise RetryableError(f"cannot connect to the service ({exc.os_error or exc})") from exc
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError, aiohttp.ClientPayloadError,
                ConnectionResetError) as exc:
            raise RetryableError(f"the connection dropped ({type(exc).__name__})") from exc
        except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
            raise RetryableError(f"no answer within {self.receive_timeout_s} s (receive timeout)") from exc
        except edge.exceptions.NoAudioReceived as exc:
            raise RetryableError("the service sent no audio") from exc
        except edge.exceptions.WebSocketError as exc:
            raise RetryableError(f"websocket error ({exc})") from exc
        except edge.exceptions.SkewAdjustmentError as exc:
            raise RetryableError(f"HTTP 403 and no usable server date ({exc})") from exc
        except (edge.exceptions.UnexpectedResponse, edge.exceptions.UnknownResponse) as exc:
            raise RetryableError(f"unexpected response ({exc})") from exc
        finally:
            await stream.aclose()
        if not audio:
            raise RetryableError("the service sent no audio")
        if not _turn_ended(communicate.state, len(audio)):
            raise RetryableError("the stream ended before the service said it was done (no turn.end)")
        if not _complete(text, words):
            raise RetryableError("the stream ended early: the word boundaries stop before the text does")
        return bytes(audio), words


def _turn_ended(state: dict[str, Any], audio_bytes: int) -> bool:
    """Did every request end with the service's turn.end?  The client counts a request's audio bytes
    and moves them to its running total only when turn.end arrives; a stream that closes quietly part-way
    leaves them uncounted.  (Read from the client's ``state``; True when the client does not keep it.)"""
    if "chunk_audio_bytes" not in state or "cumulative_audio_bytes" not in state:
        return True
    return int(state["chunk_audio_bytes"]) == 0 and int(state["cumulative_audio_bytes"]) == audio_bytes


def _complete(text: str, words: list[Word]) -> bool:
    """Did the word boundaries reach the end of the text?  The last boundary must be the text's last
    word (the service sends one per word, punctuation aside)."""
    spoken = re.findall(r"\w+", text.lower())
    if not spoken:
        return True
    if not words:
        return False
    last = re.findall(r"\w+", words[-1].text.lower())
    return bool(last) and (spoken[-1].endswith(last[-1]) or last[-1].endswith(spoken[-1]))


SEAM_KEEP_MS = 40
"""At a seam between two voices' requests, this much of each side's edge silence is kept."""


def _joined(made: list[tuple[str, bytes, list[Word]]], lang: str) -> Take:
    """Requests in two voices as one take: edge silences at the seams cut to SEAM_KEEP_MS, the other
    voice levelled to this language's (RMS of the speech), word times moved into place."""
    keep = SEAM_KEEP_MS * WORK_RATE // 1000
    runs = []
    for i, (run_lang, pcm, words) in enumerate(made):
        audio = signal.to_float(pcm)
        lead, trail = (ms * WORK_RATE // 1000 for ms in signal.edge_silence_ms(audio))
        start = 0 if i == 0 else max(0, lead - keep)
        end = len(audio) if i == len(made) - 1 else len(audio) - max(0, trail - keep)
        runs.append((run_lang, audio[start:max(start, end)], words, start))
    level = pieces.levels([("", [(run_lang, a) for run_lang, a, _, _ in runs])], lang, 10 ** (signal.SILENCE_DBFS / 20))
    out, moved, at = [], [], 0
    for run_lang, audio, words, start in runs:
        shift = (at - start) * 1000 // WORK_RATE
        moved += [Word(w.start_ms + shift, w.end_ms + shift, w.text) for w in words]
        out.append(audio * level.get(run_lang, 1.0))
        at += len(audio)
    return Take(signal.to_pcm(np.concatenate(out)), WORK_RATE, tuple(moved))
