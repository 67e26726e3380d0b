"""Mandarin readings of words the pinyin dictionary gets wrong: the house list, reviewed, and a show's own.

Kokoro's Mandarin goes through jieba's words and pypinyin's readings; for a handful of finance, tech
and place words the reading it picks is not the one a newsreader says (上调 as shàng diào, 还款 as hái
kuǎn).  Each entry gives the word, its reading in numbered pinyin (5: the neutral tone) and a sentence
of news it occurs in; the tests read every sentence with and without the list, so an entry that is no
longer needed, or one that does not take, is caught.  A show adds or overrides entries in
``voices/lexicon.yaml`` (``zh: - {match: 陆家嘴, pinyin: lu4 jia1 zui3}``).  A reading applies only
where jieba's words put the whole entry (马上调查 is 马上 + 调查: its 调 stays diào).
"""

from __future__ import annotations

import re

from audiopipe.text import HAN

SYLLABLE = re.compile(r"(?:[bpmfdtnlgkhjqxrzcsyw]|zh|ch|sh)?(?:[aeiouv]|ü)[a-z]*[1-5]|(?:er|ng|m|n)[1-5]")
"""One syllable of numbered pinyin (``tiao2``, ``lv4``/``lü4``, ``bei5``)."""

HOUSE: tuple[tuple[str, str, str], ...] = (
    # word, reading, a sentence it is read in
    ("上调", "shang4 tiao2", "央行上调存款准备金率。"),
    ("调降", "tiao2 jiang4", "多家银行调降存款利率。"),
    ("调升", "tiao2 sheng1", "券商调升该股评级。"),
    ("调低", "tiao2 di1", "公司调低全年预期。"),
    ("调仓", "tiao2 cang1", "基金经理年底调仓。"),
    ("长三角", "chang2 san1 jiao3", "长三角一体化加快推进。"),
    ("重回", "chong2 hui2", "股指重回三千点。"),
    ("还款", "huan2 kuan3", "个人还款压力上升。"),
    ("逆差", "ni4 cha1", "上月出现逆差。"),
    ("朝阳", "chao2 yang2", "公司在朝阳开设门店。"),        # the district of Beijing
    ("哔哩", "bi1 li1", "哔哩哔哩发布财报。"),
)


def parse(reading: str) -> tuple[str, ...] | None:
    """*reading* as syllables (``"shang4 tiao2"`` -> (shang4, tiao2)), or None if it is not numbered pinyin."""
    syllables = tuple(reading.lower().replace("ü", "v").split())
    return syllables if syllables and all(SYLLABLE.fullmatch(s) for s in syllables) else None


def house() -> dict[str, tuple[str, ...]]:
    out = {}
    for word, reading, _ in HOUSE:
        syllables = parse(reading)
        assert syllables is not None and len(syllables) == len(HAN.findall(word)), word
        out[word] = syllables
    return out
