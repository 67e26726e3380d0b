"""Voice profiles: per language, which engine and voice, and rate/pitch/volume.

Profiles are YAML files in ``voices/`` (``voices/en-host.yaml`` is the profile
``en-host``).  The defaults ``en-host`` and ``zh-host`` exist even without the
folder, so a manifest anywhere builds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from audiopipe.config import yamlio
from audiopipe.errors import VoiceError
from audiopipe.text import LANGS, one_line

DEFAULT_PROFILE = MappingProxyType({"en": "en-host", "zh": "zh-host"})
"""language -> the profile used when a manifest names none."""

PROFILE_KEYS = ("language", "engine", "voices", "other", "rate", "pitch", "volume", "description", "voice_file",
                "speaker")
RATE_RANGE = (-50, 100)    # percent
PITCH_RANGE = (-50, 50)    # Hz
VOLUME_RANGE = (-50, 50)   # percent


@dataclass(frozen=True)
class VoiceProfile:
    name: str
    language: str
    engine: str = "offline"      # the best offline engine installed (engines/registry.OFFLINE_ORDER)
    voices: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    rate: int = 0
    pitch: int = 0
    volume: int = 0
    description: str = ""
    voice_file: Path | None = None     # kokoro: a .npz/.bin of style vectors holding more voices
    speaker: str = ""                  # the name transcripts give who speaks (default: the show's author)
    path: Path | None = None
    other: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))   # engine -> the voice for
    # stretches in the other language's script (灵鲲 inside English); default: the episode's other host

    def voice_for(self, engine: str) -> str | None:
        """The voice this profile names for *engine*, or None (use the engine's default)."""
        return self.voices.get(engine)


_BUILTIN = {
    "en-host": VoiceProfile("en-host", "en", "espeak", MappingProxyType(
        {"espeak": "en-us", "edge": "en-US-AriaNeural"}), description="built-in English host"),
    "zh-host": VoiceProfile("zh-host", "zh", "espeak", MappingProxyType(
        {"espeak": "cmn", "edge": "zh-CN-XiaoxiaoNeural"}), description="built-in Chinese host"),
}


def find_voices_dir(start: Path | None = None) -> Path | None:
    """``$AUDIOPIPE_VOICES``, else a ``voices/`` folder at or above *start*, else ./voices."""
    found = yamlio.find_upwards(start, "voices", "AUDIOPIPE_VOICES", folder=True)
    if found is not None:
        return found
    cwd = Path.cwd() / "voices"
    return cwd if cwd.is_dir() else None


def _int_in(path: Path, data: yamlio.LineDict, key: str, bounds: tuple[int, int], unit: str) -> int:
    value = data.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, int):
        raise VoiceError(path, f"{key}: must be a whole number of {unit}, got {value!r}",
                         line=data.line_of(key))
    lo, hi = bounds
    if not lo <= value <= hi:
        raise VoiceError(path, f"{key}: {value} is out of range; use {lo}..{hi} {unit}",
                         line=data.line_of(key))
    return value


def _engine_voices(path: Path, data: yamlio.LineDict, key: str, example: str) -> Mapping[str, str]:
    """``voices:`` or ``other:``: engine names mapped to voice names."""
    from audiopipe.engines import ENGINE_NAMES  # late: engines import voices' types
    voices = data.get(key, {})
    if not isinstance(voices, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in voices.items()):
        raise VoiceError(path, f"{key}: must map engine names to voice names, e.g. {example}", line=data.line_of(key))
    for name in voices:
        if name not in ENGINE_NAMES:
            raise VoiceError(path, f"{key}: unknown engine {name!r}{yamlio.suggest(name, ENGINE_NAMES)};"
                             f" engines are {', '.join(ENGINE_NAMES)}", line=data.line_of(key))
    return MappingProxyType({k: v.strip() for k, v in voices.items()})


def load_profile(path: Path) -> VoiceProfile:
    data = yamlio.load(path, VoiceError)
    yamlio.check_keys(path, data, PROFILE_KEYS, "", VoiceError)
    lang = data.get("language")
    if lang not in LANGS:
        raise VoiceError(path, f"language: must be one of {', '.join(LANGS)}, got {lang!r}",
                         line=data.line_of("language"))
    named: dict[str, object] = data["voices"] if isinstance(data.get("voices"), dict) else {}
    engine = data.get("engine", "auto" if "edge" in named else "offline")   # an edge voice means: auto
    from audiopipe.engines import ENGINE_NAMES  # late: engines import voices' types
    if engine not in (*ENGINE_NAMES, "auto", "offline"):
        raise VoiceError(path, f"engine: unknown engine {engine!r}{yamlio.suggest(str(engine), ENGINE_NAMES)};"
                         f" choose one of {', '.join(ENGINE_NAMES)}, auto or offline", line=data.line_of("engine"))
    voices = _engine_voices(path, data, "voices", "{espeak: en-us}")
    other = _engine_voices(path, data, "other", "{kokoro: zf_xiaoxiao}" if lang == "en" else "{kokoro: af_heart}")
    description = data.get("description", "")
    speaker = data.get("speaker", "")
    if not isinstance(speaker, str):
        raise VoiceError(path, f"speaker: must be a name, e.g. \"Li Na\", got {speaker!r}", line=data.line_of("speaker"))
    voice_file = data.get("voice_file")
    if voice_file is not None:
        if not isinstance(voice_file, str) or not (path.parent / voice_file).is_file():
            raise VoiceError(path, f"voice_file: {voice_file!r} not found (looked at {path.parent / str(voice_file)}); "
                             "point it at a Kokoro voices file (.npz/.bin), relative to the profile",
                             line=data.line_of("voice_file"))
        voice_file = path.parent / voice_file
    return VoiceProfile(
        name=path.stem, language=lang, engine=engine, speaker=one_line(speaker),
        voices=voices, other=other,
        rate=_int_in(path, data, "rate", RATE_RANGE, "percent"),
        pitch=_int_in(path, data, "pitch", PITCH_RANGE, "Hz"),
        volume=_int_in(path, data, "volume", VOLUME_RANGE, "percent"),
        description=str(description), voice_file=voice_file, path=path,
    )


def load_profiles(voices_dir: Path | None) -> dict[str, VoiceProfile]:
    """Every profile: the built-in defaults, overridden by the files in *voices_dir*."""
    profiles = dict(_BUILTIN)
    if voices_dir is not None and voices_dir.is_dir():
        for path in sorted(voices_dir.glob("*.yaml")):
            if path.stem == "lexicon":
                continue
            profiles[path.stem] = load_profile(path)
    return profiles
