"""Mandarin readings: the house list read by Kokoro's Chinese path, a show's own entries, and the take
keys that carry only the readings a text uses."""

from __future__ import annotations

from pathlib import Path

import pytest

from audiopipe.config import polyphones as readings
from audiopipe.config.lexicon import LexiconError, load_lexicon
from audiopipe.engines import mandarin
from audiopipe.engines.base import VoiceSettings
from audiopipe.synth.cache import take_key
from tests.conftest import write

pytest.importorskip("jieba", reason="the kokoro extra is not installed (pip install 'audiopipe[kokoro]')")
pytest.importorskip("pypinyin", reason="the kokoro extra is not installed (pip install 'audiopipe[kokoro]')")


def _read(sentence: str, table: dict[str, tuple[str, ...]]) -> list[str]:
    text = sentence.rstrip("。")
    return [s for word in mandarin.syllables(text, table) for s in word]


@pytest.mark.parametrize("word,reading,sentence", readings.HOUSE, ids=[w for w, _, _ in readings.HOUSE])
def test_every_house_reading_is_needed_and_takes(word: str, reading: str, sentence: str) -> None:
    """In its sentence the entry's word is read as the entry says, and without the list it is not (an
    entry the dictionary has come to read right is taken out)."""
    at = sentence.index(word)
    said = _read(sentence, readings.house())[at:at + len(word)]
    plain = _read(sentence, {})[at:at + len(word)]
    assert said == reading.split()
    assert plain != said, f"{word}: the dictionary reads it {' '.join(plain)} already; take the entry out"


@pytest.mark.parametrize("sentence,syllables", [
    ("马上调查此事。", "ma3 shang4 diao4 cha2 ci3 shi4"),               # 马上 + 调查: not 上调
    ("强调高质量发展。", "qiang2 diao4 gao1 zhi4 liang4 fa1 zhan3"),     # 强调 + 高质量: not 调高
    ("央行上调利率，随后调查。", "yang1 hang2 shang4 tiao2 li4 lv4 ， sui2 hou4 diao4 cha2"),
])
def test_a_reading_applies_only_where_the_words_hold_it(sentence: str, syllables: str) -> None:
    assert " ".join(_read(sentence, readings.house())) == syllables


def test_kokoro_says_the_reading(tmp_path: Path) -> None:
    """The phonemes Kokoro is given: 调 of 上调 as tiáo (tʰjau↗), 调 of 调查 as diào (tjau↘)."""
    pytest.importorskip("misaki", reason="the kokoro extra is not installed")
    from audiopipe.engines.kokoro import KokoroEngine
    from tests.conftest import make_engine
    engine = make_engine("kokoro")
    assert isinstance(engine, KokoroEngine)
    said = engine._chinese("央行上调利率，随后调查。", readings.house())
    assert "ʂa↘ŋtʰjau↗" in said and "tjau↘ꭧʰa↗" in said, said
    assert "ʂa↘ŋtjau↘" in engine._chinese("央行上调利率。", {})
    # where the entries change nothing, the text is read exactly as misaki reads it
    text = "周一股市高开，人民币兑美元汇率为六点三九零三！（据报道）"
    assert mandarin.read(text, engine._zh_g2p(), {"股市": ("gu3", "shi4")}) == engine._zh_g2p()(text)[0]


def test_a_show_adds_and_overrides_readings(tmp_path: Path) -> None:
    lexicon = load_lexicon(write(tmp_path / "lexicon.yaml", """
        zh:
          - {match: 陆家嘴, pinyin: lu4 jia1 zui3}
          - {match: 上调, pinyin: "shang4 diao4"}
          - {match: CFETS, say: 中国外汇交易中心}
        """))
    assert lexicon.readings["陆家嘴"] == ("lu4", "jia1", "zui3")
    assert lexicon.readings["上调"] == ("shang4", "diao4")              # the show's word wins
    assert lexicon.readings["还款"] == ("huan2", "kuan3")               # the house list stays
    assert lexicon.apply("CFETS在陆家嘴。", "zh") == "中国外汇交易中心在陆家嘴。"   # the text is not rewritten
    assert mandarin.relevant(lexicon.readings, "陆家嘴的银行上调利率") == "上调=shang4 diao4;陆家嘴=lu4 jia1 zui3"
    assert mandarin.relevant(lexicon.readings, "股市收涨") == ""


@pytest.mark.parametrize("entry,message", [
    ("{match: 上调, pinyin: shang4}", "zh[1].pinyin: 'shang4' is not 2 syllable(s) of numbered pinyin for 上调"),
    ("{match: 上调, pinyin: shang tiao}", "zh[1].pinyin: 'shang tiao' is not 2 syllable(s) of numbered pinyin"),
    ("{match: Tencent, pinyin: teng2 xun4}", "zh[1].match: a reading needs a word of Chinese characters"),
    ("{match: 上调, say: 上条, pinyin: shang4 tiao2}", "zh[1].match: a reading needs a word of Chinese characters"),
])
def test_a_bad_reading_is_one_line(tmp_path: Path, entry: str, message: str) -> None:
    path = write(tmp_path / "lexicon.yaml", f"zh:\n  - {entry}\n")
    with pytest.raises(LexiconError) as info:
        load_lexicon(path)
    assert info.value.message.startswith(f"{path}:2: {message}"), info.value.message


def test_a_take_key_changes_only_with_the_readings_it_uses() -> None:
    plain = VoiceSettings("kokoro", "zf_xiaobei", "zh")
    before = take_key(plain, "v", "股市收涨")
    assert take_key(VoiceSettings("kokoro", "zf_xiaobei", "zh", readings=""), "v", "股市收涨") == before
    used = VoiceSettings("kokoro", "zf_xiaobei", "zh", readings="上调=shang4 tiao2")
    assert take_key(used, "v", "央行上调利率") != take_key(plain, "v", "央行上调利率")
