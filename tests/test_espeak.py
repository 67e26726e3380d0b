"""The offline engine, for real: libespeak-ng from the wheel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from audiopipe.cli import main
from audiopipe.dsp import signal
from audiopipe.engines.base import VoiceSettings
from audiopipe.errors import AudiopipeError, EngineError
from tests.conftest import make_engine, write


@pytest.mark.e2e
@pytest.mark.parametrize("lang,voice,text,min_s,max_s", [
    ("en", "en-us", "Markets opened higher on Monday, with the yuan steady against the dollar.", 3.0, 7.0),
    ("zh", "cmn", "周一市场高开，人民币兑美元汇率基本持平。", 3.0, 8.0),
])
def test_speaks_with_word_timings(lang: str, voice: str, text: str, min_s: float, max_s: float) -> None:
    engine = make_engine("espeak")
    take = engine.synthesize(text, VoiceSettings("espeak", voice, lang))
    assert min_s <= take.duration_ms / 1000 <= max_s
    samples = signal.to_float(take.pcm)
    assert float(abs(samples).max()) > 0.1, "not silent"
    starts = [w.start_ms for w in take.words]
    assert starts == sorted(starts) and len(take.words) >= 5
    assert all(w.end_ms >= w.start_ms for w in take.words)
    assert "".join(w.text for w in take.words).replace(" ", "") == text.replace(" ", "")


@pytest.mark.e2e
def test_rate_changes_duration() -> None:
    engine = make_engine("espeak")
    text = "The central bank kept its benchmark rate unchanged for a third meeting."
    slow = engine.synthesize(text, VoiceSettings("espeak", "en-us", "en", rate=-30))
    fast = engine.synthesize(text, VoiceSettings("espeak", "en-us", "en", rate=30))
    assert slow.duration_ms > fast.duration_ms * 1.4


def test_unknown_voice_and_engine() -> None:
    with pytest.raises(EngineError, match="unknown voice 'xx-nope'"):
        make_engine("espeak").check_voice(VoiceSettings("espeak", "xx-nope", "en"))
    with pytest.raises(AudiopipeError, match="unknown engine 'espeek'; choose one of: espeak, edge, kokoro"):
        make_engine("espeek")


def test_voices_command_lists_profiles_and_voices(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["voices"]) == 0
    out = capsys.readouterr().out
    assert "en-host" in out and "zh-host" in out
    assert "cmn" in out and "en-us" in out


def _plan_english(tmp_path: Path, profile: str, hosts: dict[str, str] | None = None) -> list[Any]:
    from audiopipe.config.voices import load_profiles
    from audiopipe.engines import EngineOptions, Engines
    from audiopipe.script.segments import Segment
    from audiopipe.synth import plan
    voices = tmp_path / "voices"
    write(voices / "en-p.yaml", profile)
    write(voices / "zh-other.yaml", "language: zh\nvoices: {espeak: cmn-latn-pinyin}\n")
    seg = Segment(1, "en", "The system is called Lingkun (灵鲲).", "en-p", 1, None)
    return plan.plan([seg], load_profiles(voices), Engines(EngineOptions(tmp_path / "c")),
                     plan.Asked("espeak", hosts=hosts or {"en": "en-p", "zh": "zh-host"}))


def test_the_other_script_takes_the_profiles_other_voice_else_the_other_hosts(tmp_path: Path) -> None:
    default = _plan_english(tmp_path, "language: en\n")[0]
    assert default.settings.other == ""                         # zh-host's espeak voice is the default: cmn
    host = _plan_english(tmp_path, "language: en\n", {"en": "en-p", "zh": "zh-other"})[0]
    assert host.settings.other == "cmn-latn-pinyin" and host.key != default.key
    own = _plan_english(tmp_path, "language: en\nother: {espeak: yue}\n", {"en": "en-p", "zh": "zh-other"})[0]
    assert own.settings.other == "yue"                          # the profile's own choice comes first
    pcm_default = make_engine("espeak").synthesize(default.text, default.settings).pcm
    pcm_own = make_engine("espeak").synthesize(own.text, own.settings).pcm
    assert pcm_default != pcm_own                               # and it is the voice that speaks


def test_a_wrong_other_voice_is_one_line_naming_the_profile(tmp_path: Path) -> None:
    from audiopipe.errors import AudiopipeError, VoiceError
    with pytest.raises(AudiopipeError) as err:
        _plan_english(tmp_path, "language: en\nother: {espeak: nope}\n")
    assert "en-p.yaml" in str(err.value) and "unknown voice 'nope'" in str(err.value)
    with pytest.raises(VoiceError) as bad:
        _plan_english(tmp_path, "language: en\nother: {espek: cmn}\n")
    assert "other: unknown engine 'espek'" in str(bad.value) and "espeak" in str(bad.value)
