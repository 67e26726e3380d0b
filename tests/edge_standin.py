"""A local stand-in of Microsoft's Edge read-aloud service, for the real edge-tts client.

It speaks the service's websocket protocol on 127.0.0.1: the client sends a
``speech.config`` and an ``ssml`` text frame; the stand-in answers
``turn.start``, one ``audio.metadata`` frame per word (offsets in 100 ns
ticks), binary ``audio`` frames of real MP3 (24 kHz, 48 kbps, mono, spoken by
espeak-ng, so its length follows the text), an empty closing audio frame and
``turn.end``.  It also serves the voice list.  Faults can be queued, one per
connection: refuse, drop, http403/429/503, noaudio, stall; and latency added.
"""

from __future__ import annotations

import asyncio
import collections
import email.utils
import json
import re
import socket
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import unescape

from aiohttp import WSMsgType, web

FAULTS = ("refuse", "drop", "http403", "http429", "http503", "noaudio", "stall", "cut", "cut-nowords")
"""refuse/http*: the handshake fails; drop: the connection breaks mid-stream; noaudio: turn.end with no
audio; stall: silence; cut: the stream closes cleanly part-way, audio and word boundaries interleaved as
the service sends them, both stopping together (no turn.end); cut-nowords: the same with no boundaries."""

VOICES = [
    ("en-US-AriaNeural", "Female"), ("en-US-GuyNeural", "Male"), ("en-US-JennyNeural", "Female"),
    ("en-GB-SoniaNeural", "Female"), ("zh-CN-XiaoxiaoNeural", "Female"), ("zh-CN-YunxiNeural", "Male"),
    ("zh-CN-YunjianNeural", "Male"), ("zh-TW-HsiaoChenNeural", "Female"),
]


def voice_list() -> list[dict[str, Any]]:
    out = []
    for short, gender in VOICES:
        lang, region, name = short.split("-", 2)
        out.append({"Name": f"Microsoft Server Speech Text to Speech Voice ({lang}-{region}, {name})",
                    "ShortName": short, "Gender": gender, "Locale": f"{lang}-{region}",
                    "SuggestedCodec": "audio-24khz-48kbitrate-mono-mp3",
                    "FriendlyName": f"Microsoft {name} Online (Natural)", "Status": "GA",
                    "VoiceTag": {"ContentCategories": ["General"], "VoicePersonalities": ["Friendly"]}})
    return out


def render(text: str, voice: str, rate: str) -> tuple[bytes, list[tuple[int, int, str]]]:
    """MP3 (24 kHz, 48 kbps, mono) of *text* and its words as (offset ticks, duration ticks, text)."""
    from audiopipe.engines import VoiceSettings
    from audiopipe.engines.espeak import EspeakEngine
    from audiopipe.tools import ffmpeg
    lang = "zh" if voice.split("(")[-1].startswith("zh") else "en"
    espeak = EspeakEngine()
    take = espeak.synthesize(text, VoiceSettings("espeak", "cmn" if lang == "zh" else "en-us", lang,
                                                 rate=int(rate.rstrip("%"))))
    mp3 = ffmpeg.run(["-f", "s16le", "-ar", str(take.rate), "-ac", "1", "-i", "pipe:0", "-ar", "24000",
                      "-ac", "1", "-c:a", "libmp3lame", "-b:a", "48k", "-f", "mp3", "-"], input=take.pcm)
    words = [(w.start_ms * 10_000, max(1, w.end_ms - w.start_ms) * 10_000, w.text) for w in take.words]
    return mp3, words


def _text_frame(path: str, body: str, request_id: str) -> str:
    return (f"X-RequestId:{request_id}\r\nContent-Type:application/json; charset=utf-8\r\n"
            f"Path:{path}\r\n\r\n{body}")


def _boundary_frame(offset: int, duration: int, word: str, request_id: str) -> str:
    meta = {"Metadata": [{"Type": "WordBoundary", "Data": {
        "Offset": offset, "Duration": duration,
        "text": {"Text": word, "Length": len(word), "BoundaryType": "WordBoundary"}}}]}
    return _text_frame("audio.metadata", json.dumps(meta, ensure_ascii=False), request_id)


def _audio_frame(data: bytes, request_id: str, content_type: bool = True) -> bytes:
    headers = f"X-RequestId:{request_id}\r\n" + ("Content-Type:audio/mpeg\r\n" if content_type else "") \
        + "Path:audio\r\n"
    raw = headers.encode()
    return len(raw).to_bytes(2, "big") + raw + data


@dataclass
class StandIn:
    host: str = "127.0.0.1"
    port: int = 0
    latency_s: float = 0.0
    faults: collections.deque[str] = field(default_factory=collections.deque)
    requests: list[dict[str, str]] = field(default_factory=list)
    poison: dict[str, str] = field(default_factory=dict)   # text fragment -> fault, on every request
    connections: int = 0
    open_now: int = 0
    max_open: int = 0
    voice_list_calls: int = 0
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None
    _runner: web.AppRunner | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # ---- control -------------------------------------------------------------------------
    def fail(self, fault: str, times: int = 1) -> None:
        assert fault in FAULTS, fault
        self.faults.extend([fault] * times)

    @property
    def wss_url(self) -> str:
        return f"ws://{self.host}:{self.port}/consumer/speech/synthesize/readaloud/edge/v1?TrustedClientToken=x"

    @property
    def voices_url(self) -> str:
        return f"http://{self.host}:{self.port}/consumer/speech/synthesize/readaloud/voices/list?trustedclienttoken=x"

    def start(self) -> StandIn:
        if not self.port:
            with socket.socket() as s:
                s.bind((self.host, 0))
                self.port = s.getsockname()[1]
        ready = threading.Event()

        def serve() -> None:
            self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self._loop)
            app = web.Application()
            app.router.add_get("/consumer/speech/synthesize/readaloud/edge/v1", self._ws)
            app.router.add_get("/consumer/speech/synthesize/readaloud/voices/list", self._voices)
            self._runner = web.AppRunner(app, shutdown_timeout=0.5)
            self._loop.run_until_complete(self._runner.setup())
            self._loop.run_until_complete(web.TCPSite(self._runner, self.host, self.port).start())
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=serve, daemon=True)
        self._thread.start()
        assert ready.wait(10), "the stand-in did not start"
        return self

    def stop(self) -> None:
        if self._loop is None or self._runner is None:
            return
        runner, loop = self._runner, self._loop
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        assert self._thread is not None
        self._thread.join(10)
        self._loop = None

    # ---- handlers ------------------------------------------------------------------------
    def _next_fault(self) -> str | None:
        with self._lock:
            self.connections += 1
            return self.faults.popleft() if self.faults else None

    async def _voices(self, request: web.Request) -> web.Response:
        self.voice_list_calls += 1
        return web.json_response(voice_list())

    async def _ws(self, request: web.Request) -> web.StreamResponse:
        fault = self._next_fault()
        with self._lock:
            self.open_now += 1
            self.max_open = max(self.max_open, self.open_now)
        try:
            return await self._session(request, fault)
        finally:
            with self._lock:
                self.open_now -= 1

    async def _session(self, request: web.Request, fault: str | None) -> web.StreamResponse:
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        if fault == "refuse":
            assert request.transport is not None
            request.transport.abort()
            return web.Response(status=500)
        if fault and fault.startswith("http"):
            return web.Response(status=int(fault[4:]), headers={"Date": email.utils.formatdate(usegmt=True)})
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        messages: list[str] = []
        while len(messages) < 2:
            msg = await ws.receive()
            if msg.type != WSMsgType.TEXT:
                return ws
            messages.append(msg.data)
        config, ssml = messages
        voice = re.search(r"<voice name='([^']*)'>", ssml)
        prosody = re.search(r"<prosody pitch='([^']*)' rate='([^']*)' volume='([^']*)'>(.*)</prosody>", ssml, re.S)
        if "Path:speech.config" not in config or voice is None or prosody is None:
            await ws.close(code=1002)
            return ws
        pitch, rate, volume, text = prosody.groups()
        text = unescape(text, {"&apos;": "'", "&quot;": '"'})
        self.requests.append({"voice": voice.group(1), "rate": rate, "pitch": pitch, "volume": volume, "text": text})
        rid = uuid.uuid4().hex
        for fragment, poisoned in self.poison.items():
            if fragment in text:
                fault = poisoned
        if fault == "stall":   # accept, then say nothing until the client gives up
            await ws.receive(timeout=60)
            return ws
        await ws.send_str(_text_frame("turn.start", '{"context":{"serviceTag":"standin"}}', rid))
        if fault == "noaudio":
            await ws.send_str(_text_frame("turn.end", "{}", rid))
            await ws.close()
            return ws
        loop = asyncio.get_running_loop()
        mp3, words = await loop.run_in_executor(None, render, text, voice.group(1), rate)
        if fault == "cut-nowords":
            words = []
        chunks = [mp3[i:i + 4096] for i in range(0, len(mp3), 4096)]
        ticks_per_chunk = 4096 * 8 * 10_000_000 // 48_000          # 48 kbps CBR: bytes -> 100 ns ticks
        sent = 0
        for i, chunk in enumerate(chunks):
            # the word boundaries of the audio about to be sent, then the audio: interleaved, in time order
            while sent < len(words) and words[sent][0] < (i + 1) * ticks_per_chunk:
                await ws.send_str(_boundary_frame(*words[sent], rid))
                sent += 1
            if fault in ("cut", "cut-nowords") and i == len(chunks) // 2:
                await ws.close()                # a clean close part-way: no error, no turn.end
                return ws
            if fault == "drop" and i == len(chunks) // 2:
                assert request.transport is not None
                request.transport.abort()       # the connection drops mid-stream
                return ws
            await ws.send_bytes(_audio_frame(chunk, rid))
        for offset, duration, word in words[sent:]:
            await ws.send_str(_boundary_frame(offset, duration, word, rid))
        await ws.send_bytes(_audio_frame(b"", rid, content_type=False))
        await ws.send_str(_text_frame("turn.end", "{}", rid))
        await ws.close()
        return ws
