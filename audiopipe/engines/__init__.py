"""The engine registry: a name -> engine table.  Adding an engine is one module plus one line here."""

from __future__ import annotations

import importlib
import threading

from audiopipe.engines.base import Engine, Take, VoiceInfo, VoiceSettings, Word
from audiopipe.errors import AudiopipeError

_REGISTRY: dict[str, tuple[str, str]] = {
    "espeak": ("audiopipe.engines.espeak", "EspeakEngine"),
    "edge": ("audiopipe.engines.edge", "EdgeEngine"),
    "kokoro": ("audiopipe.engines.kokoro", "KokoroEngine"),
}
ENGINE_NAMES: tuple[str, ...] = tuple(_REGISTRY)
DEFAULT_ENGINE = "espeak"

_instances: dict[str, Engine] = {}
_lock = threading.Lock()

__all__ = ["ENGINE_NAMES", "DEFAULT_ENGINE", "Engine", "Take", "VoiceInfo", "VoiceSettings", "Word",
           "get_engine"]


def get_engine(name: str) -> Engine:
    """The (shared) engine called *name*; an unknown name lists the choices."""
    with _lock:
        if name in _instances:
            return _instances[name]
        if name not in _REGISTRY:
            raise AudiopipeError(f"unknown engine {name!r}; choose one of: {', '.join(ENGINE_NAMES)}")
        module_name, class_name = _REGISTRY[name]
        cls = getattr(importlib.import_module(module_name), class_name)
        engine: Engine = cls()
        _instances[name] = engine
        return engine
