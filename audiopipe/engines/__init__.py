"""Speech engines behind one contract (:mod:`~audiopipe.engines.base`), built per run by
:class:`~audiopipe.engines.registry.Engines`."""

from __future__ import annotations

from audiopipe.engines.base import (
           Engine,
           EngineOptions,
           Take,
           Timings,
           VoiceInfo,
           VoiceSettings,
           Word,
)
from audiopipe.engines.registry import (
           AUTO,
           ENGINE_NAMES,
           Engines,
           check_name,
           engine_class,
           voice_language,
)

__all__ = ["AUTO", "ENGINE_NAMES", "Engine", "EngineOptions", "Engines", "Take", "Timings", "VoiceInfo", "VoiceSettings",
           "Word", "check_name", "engine_class", "voice_language"]
