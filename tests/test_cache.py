"""Cache keys: everything that changes the sound changes the key; nothing else does."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from audiopipe.engines import VoiceSettings, Word
from audiopipe.synth.cache import TakeCache, TakeInfo, take_key

BASE = VoiceSettings("espeak", "en-us", "en", rate=0, pitch=0, volume=0)


def test_key_is_stable_and_covers_every_field() -> None:
    key = take_key(BASE, "espeak-ng 1.52.0", "Hello.")
    assert key == take_key(VoiceSettings("espeak", "en-us", "en"), "espeak-ng 1.52.0", "Hello.")
    variants = [
        take_key(dataclasses.replace(BASE, engine="edge"), "espeak-ng 1.52.0", "Hello."),
        take_key(dataclasses.replace(BASE, voice="en-gb"), "espeak-ng 1.52.0", "Hello."),
        take_key(dataclasses.replace(BASE, rate=10), "espeak-ng 1.52.0", "Hello."),
        take_key(dataclasses.replace(BASE, pitch=-5), "espeak-ng 1.52.0", "Hello."),
        take_key(dataclasses.replace(BASE, volume=5), "espeak-ng 1.52.0", "Hello."),
        take_key(dataclasses.replace(BASE, voice_file="v.bin|abc"), "espeak-ng 1.52.0", "Hello."),
        take_key(dataclasses.replace(BASE, other="yue"), "espeak-ng 1.52.0", "Hello."),
        take_key(BASE, "espeak-ng 1.53.0", "Hello."),
        take_key(BASE, "espeak-ng 1.52.0", "Hello!"),
    ]
    assert len({key, *variants}) == len(variants) + 1


def test_put_get_round_trip(tmp_path: Path) -> None:
    cache = TakeCache(tmp_path)
    info = TakeInfo("ab" * 32, "espeak", "en-us", "Hello.", 500, (Word(0, 200, "Hello."),), -20.0, -3.0, 10, 40)
    assert cache.get(info.key) is None
    stored = cache.put(info, b"\x00\x01" * 100)
    assert cache.get(info.key) == stored
    assert dataclasses.replace(stored, sha256="", size=0, mtime_ns=0, clip_run=-1) == info and stored.clip_run == 0
    assert len(stored.sha256) == 64 and stored.size == cache.wav_path(info.key).stat().st_size
    assert not list(tmp_path.rglob("*.part")), "writes are atomic: no temporary files remain"


def test_damaged_entry_is_a_miss(tmp_path: Path) -> None:
    cache = TakeCache(tmp_path)
    info = TakeInfo("cd" * 32, "espeak", "en-us", "Hi.", 500, (), -20.0, -3.0, 0, 0)
    cache.put(info, b"\x00\x00" * 10)
    cache.wav_path(info.key).with_suffix(".json").write_text("{ broken")
    assert cache.get(info.key) is None
