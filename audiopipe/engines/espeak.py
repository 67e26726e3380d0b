"""The offline engine: libespeak-ng from the ``espeakng-loader`` wheel, through ctypes.

espeak-ng keeps global state, so calls are serialized; it is far faster than
real time, so one at a time is plenty.  Word events give the timings: their
``text_position`` is a 1-based character index into the text (one event per
character group for Chinese).
"""

from __future__ import annotations

import ctypes
import os
import pickle
import signal
import socket
import threading
from typing import ClassVar

from audiopipe.engines.base import Engine, Take, VoiceInfo, VoiceSettings, Word
from audiopipe.errors import EngineError
from audiopipe.text import script_runs

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_DONT_EXIT = 0x8000
_CHARS_UTF8 = 1
_ENDPAUSE = 0x1000
_PHONEMES_IPA = 0x02
_EVENT_LIST_TERMINATED = 0
_EVENT_WORD = 1
_PARAM_RATE, _PARAM_VOLUME, _PARAM_PITCH = 1, 2, 3
_BASE_RATE = 175       # espeak's default words per minute
_BASE_PITCH = 50       # espeak's default pitch (0..100)
_BASE_VOLUME = 100     # espeak's default amplitude (0..200)

_DEFAULT_VOICES = {"en": "en-us", "zh": "cmn"}


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", ctypes.c_char * 8),
    ]


_Callback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int,
                             ctypes.POINTER(_Event))


class _VoiceStruct(ctypes.Structure):
    _fields_ = [
        ("name", ctypes.c_char_p),
        ("languages", ctypes.c_char_p),
        ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte),
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int),
        ("spare", ctypes.c_void_p),
    ]


class _Library:
    """libespeak-ng, loaded and initialized once: the C library keeps one global state per process,
    so every engine object shares it and its lock."""

    def __init__(self) -> None:
        try:
            import espeakng_loader
        except ImportError as exc:  # pragma: no cover - broken install
            raise EngineError("espeak: the espeakng-loader package is missing; run `make install`") from exc
        self.lock = threading.Lock()
        try:
            self.lib = ctypes.CDLL(espeakng_loader.get_library_path())
        except OSError as exc:  # pragma: no cover - broken install
            raise EngineError(f"espeak: cannot load libespeak-ng ({exc}); reinstall espeakng-loader") from exc
        lib = self.lib
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
                                     ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
        lib.espeak_Info.restype = ctypes.c_char_p
        lib.espeak_Info.argtypes = [ctypes.c_void_p]
        lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
        lib.espeak_TextToPhonemes.argtypes = [ctypes.POINTER(ctypes.c_char_p), ctypes.c_int, ctypes.c_int]
        lib.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(_VoiceStruct))
        lib.espeak_ListVoices.argtypes = [ctypes.c_void_p]
        data = espeakng_loader.get_data_path().encode()
        self.rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data, _INITIALIZE_DONT_EXIT)
        if self.rate <= 0:
            raise EngineError("espeak: libespeak-ng failed to initialize; reinstall espeakng-loader")
        self.chunks: list[bytes] = []
        self.events: list[tuple[int, int, int]] = []
        self._callback = _Callback(self._on_audio)  # keep a reference: C holds the pointer
        lib.espeak_SetSynthCallback(self._callback)
        self.version = (lib.espeak_Info(None) or b"unknown").decode()
        self.zygote = _Zygote(self) if hasattr(os, "fork") else None

    def _on_audio(self, wav: ctypes._Pointer[ctypes.c_short], count: int,
                  events: ctypes._Pointer[_Event]) -> int:
        if count > 0:
            self.chunks.append(ctypes.string_at(wav, count * 2))
        i = 0
        while events[i].type != _EVENT_LIST_TERMINATED:
            event = events[i]
            if event.type == _EVENT_WORD:
                self.events.append((event.text_position, event.length, event.sample))
            i += 1
        return 0


_loaded: list[_Library] = []
_loading = threading.Lock()


def _library() -> _Library:
    """The one libespeak-ng of this process (loaded on first use, by one thread)."""
    with _loading:
        if not _loaded:
            _loaded.append(_Library())
        return _loaded[0]


class EspeakEngine(Engine):
    name: ClassVar[str] = "espeak"
    max_chunk_bytes: ClassVar[int] = 8000

    def __init__(self) -> None:
        super().__init__()
        self._native = _library()
        self._lib = self._native.lib
        self._lock = self._native.lock
        self.rate = self._native.rate
        self._version = self._native.version

    @classmethod
    def voice_language(cls, voice: str) -> str | None:
        v = voice.lower()
        return "zh" if v.startswith(("cmn", "yue", "zh", "hak")) else "en" if v.startswith("en") else None

    def version(self) -> str:
        return f"espeak-ng {self._version}"

    def default_voice(self, lang: str) -> str:
        return _DEFAULT_VOICES[lang]

    def check_voice(self, settings: VoiceSettings) -> None:
        with self._lock:
            ok = self._lib.espeak_SetVoiceByName(settings.voice.encode()) == 0
        if not ok:
            raise EngineError(f"espeak: unknown voice {settings.voice!r}; "
                              "`audiopipe voices` lists them (e.g. en-us, en-gb, cmn)")

    def synthesize(self, text: str, settings: VoiceSettings) -> Take:
        """A stretch in the other language's script (灵鲲 inside English) is spoken by that language's
        voice (``settings.other``, else the default), not spelled out as "Chinese letter"."""
        pcm, offset_ms = b"", 0
        words: list[Word] = []
        for run, lang in script_runs(text, settings.lang):
            voice = settings.other_voice(lang, self.default_voice(lang))
            part, part_words = self._speak(run, voice, settings)
            moved = [Word(w.start_ms + offset_ms, w.end_ms + offset_ms, w.text) for w in part_words]
            if lang != settings.lang and moved:   # the other language's stretch is one token of this text
                moved = [Word(moved[0].start_ms, moved[-1].end_ms, "".join(w.text for w in moved))]
            if words and moved and not run[0].isspace() and not words[-1].text[-1:].isspace():
                first = moved.pop(0)              # one token across the runs' seam: "Lingkun (灵鲲)"
                words[-1] = Word(words[-1].start_ms, first.end_ms, words[-1].text + first.text)
            words += moved
            pcm += part
            offset_ms = len(pcm) // 2 * 1000 // self.rate
        return Take(pcm, self.rate, tuple(words))

    def _speak(self, text: str, voice: str, settings: VoiceSettings) -> tuple[bytes, list[Word]]:
        """One run, spoken from the library's untouched state (see :class:`_Zygote`)."""
        zygote = self._native.zygote
        if zygote is None:                              # no fork (Windows): in process, under the lock
            with self._lock:
                return _speak_with(self._native, text, voice, settings)
        blob = zygote.ask(pickle.dumps((text, voice, settings)))
        if not blob:
            raise EngineError("espeak: synthesis failed (the speaking process ended without a take)")
        result = pickle.loads(blob)  # noqa: S301 - our own child's data
        if isinstance(result, EngineError):
            raise result
        pcm, words = result
        return pcm, words

    def phonemes(self, text: str, voice: str = "en-us") -> str:
        """The IPA phonemes espeak-ng would speak for *text* (words separated by spaces)."""
        data = ctypes.c_char_p(text.encode("utf-8"))
        pointer = ctypes.pointer(data)
        out = []
        with self._lock:
            if self._lib.espeak_SetVoiceByName(voice.encode()) != 0:
                raise EngineError(f"espeak: unknown voice {voice!r}")
            while pointer.contents.value:
                result = self._lib.espeak_TextToPhonemes(pointer, _CHARS_UTF8, _PHONEMES_IPA)
                if result:
                    out.append(result.decode("utf-8", "replace"))
        return " ".join(out)

    def list_voices(self) -> list[VoiceInfo]:
        with self._lock:
            array = self._lib.espeak_ListVoices(None)
            found = []
            i = 0
            while array[i]:
                voice = array[i].contents
                langs = voice.languages or b""
                lang = langs[1:].split(b"\0", 1)[0].decode("utf-8", "replace")
                ident = (voice.identifier or b"").decode("utf-8", "replace")
                name = (voice.name or b"").decode("utf-8", "replace")
                found.append((lang, ident, name))
                i += 1
        out = []
        for lang, ident, name in found:
            chinese = lang in ("cmn", "yue", "zh", "cmn-latn-pinyin") or lang.startswith("cmn")
            short = "en" if lang.startswith("en") else "zh" if chinese else lang
            if short in ("en", "zh"):
                out.append(VoiceInfo("espeak", lang, short, f"{name} ({ident})"))
        return out


def _speak_with(native: _Library, text: str, voice: str, settings: VoiceSettings) -> tuple[bytes, list[Word]]:
    """Speak *text* with libespeak-ng in this process (the zygote's child, or where there is no fork)."""
    data = text.encode("utf-8")
    lib = native.lib
    if lib.espeak_SetVoiceByName(voice.encode()) != 0:
        raise EngineError(f"espeak: unknown voice {voice!r}; `audiopipe voices` lists them")
    lib.espeak_SetParameter(_PARAM_RATE, round(_BASE_RATE * (1 + settings.rate / 100)), 0)
    lib.espeak_SetParameter(_PARAM_PITCH, max(0, min(100, _BASE_PITCH + settings.pitch)), 0)
    lib.espeak_SetParameter(_PARAM_VOLUME, round(_BASE_VOLUME * (1 + settings.volume / 100)), 0)
    native.chunks, native.events = [], []
    status = lib.espeak_Synth(data, len(data) + 1, 0, 0, 0, _CHARS_UTF8 | _ENDPAUSE, None, None)
    lib.espeak_Synchronize()
    chunks, events = native.chunks, native.events
    native.chunks, native.events = [], []
    if status != 0:
        raise EngineError(f"espeak: synthesis failed with status {status}")
    pcm = b"".join(chunks)
    total_ms = len(pcm) // 2 * 1000 // native.rate
    return pcm, _words(text, events, native.rate, total_ms)


class _Zygote:
    """A process forked when the library is loaded, before anything is spoken, that never speaks itself:
    for each take it forks a child, which speaks from that untouched state and writes the result to a
    pipe the asker passed along.  libespeak-ng keeps state between utterances (its wavegen's counters
    are never reset), so the same text gave other samples after other texts and a take depended on
    the order threads ran in; and whatever this process does with the library later (phonemes for
    kokoro) cannot reach the zygote.  Same text, same bytes; takes may be made in parallel."""

    def __init__(self, native: _Library) -> None:
        self._sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._send = threading.Lock()
        self.pid = os.fork()
        if self.pid == 0:                               # pragma: no cover - the zygote
            self._sock.close()
            code = 0
            try:
                _zygote_loop(theirs, native)
            except BaseException:  # noqa: BLE001 - nothing may escape a forked process
                code = 1
            os._exit(code)
        theirs.close()

    def ask(self, request: bytes) -> bytes:
        read_end, write_end = os.pipe()
        try:
            with self._send:
                socket.send_fds(self._sock, [request], [write_end])
        except OSError as exc:
            os.close(read_end)
            raise EngineError(f"espeak: the speaking process is gone ({exc.strerror}); run the build again") from None
        finally:
            os.close(write_end)
        with os.fdopen(read_end, "rb") as pipe:
            return pipe.read()


def _zygote_loop(sock: socket.socket, native: _Library) -> None:  # pragma: no cover - runs in the zygote
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)      # children are reaped by the system
    while True:
        message, fds, _, _ = socket.recv_fds(sock, 1 << 20, 1)
        if not message:
            return                                      # the asking process closed its end: done
        if os.fork() == 0:
            code = 1
            try:
                sock.close()
                text, voice, settings = pickle.loads(message)  # noqa: S301 - from the process that forked us
                try:
                    result: object = _speak_with(native, text, voice, settings)
                except EngineError as exc:
                    result = exc
                with os.fdopen(fds[0], "wb") as out:
                    out.write(pickle.dumps(result))
                code = 0
            finally:
                os._exit(code)
        for fd in fds:
            os.close(fd)


def _words(text: str, events: list[tuple[int, int, int]], rate: int, total_ms: int) -> list[Word]:
    """Word timings from espeak's word events.

    A word's text runs from its event's position to the next event's, so the
    words together give back the whole text, punctuation included; a word
    lasts until the next one starts.  Events inside the previous word (espeak
    sends several for the parts of a number) are dropped.
    """
    starts: list[tuple[int, int]] = []      # (0-based char index, ms)
    reach = -1
    for pos, length, sample in events:
        index = pos - 1
        if index < 0 or index >= len(text) or index < reach or (starts and index <= starts[-1][0]):
            continue
        reach = index + max(length, 1)
        starts.append((index, sample * 1000 // rate))
    words = []
    for i, (index, start) in enumerate(starts):
        next_index, end = starts[i + 1] if i + 1 < len(starts) else (len(text), total_ms)
        if i == 0:
            index = 0
        word = text[index:next_index].strip()
        if word:
            words.append(Word(start, max(start, end), word))
    return words
