"""Kokoro's Mandarin phonemes: misaki's reading (jieba's words, pypinyin's syllables, then IPA), with the
readings of words it would misread (:mod:`audiopipe.config.polyphones`) put in before the IPA.

A reading applies where jieba's words hold the whole entry: the entry is one word, a run of whole words,
or lies inside one word (逆差 in 贸易逆差); 马上调查 is 马上 + 调查, so 上调 does not apply there.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

_HAN_RUNS = re.compile("[\u4e00-\u9fff]+|[^\u4e00-\u9fff]+")      # misaki's split into Chinese and the rest


def read(text: str, g2p: Any, readings: Mapping[str, tuple[str, ...]]) -> str:
    """The IPA of Chinese *text* (figures already in words) by misaki's *g2p*, with *readings* applied."""
    if not any(word in text for word in readings):
        return str(g2p(text)[0])
    import cn2an
    from misaki.zh import ZHG2P
    text = ZHG2P.map_punctuation(cn2an.transform(text, "an2cn"))
    out = []
    for run in _HAN_RUNS.findall(text):
        if "\u4e00" <= run[0] <= "\u9fff":
            out.append(" ".join("".join(ZHG2P.py2ipa(py) for py in word) for word in syllables(run, readings)))
        else:
            out.append(run)
    return "".join(out).replace(chr(815), "")


def syllables(run: str, readings: Mapping[str, tuple[str, ...]],
              words: Callable[[str], list[str]] | None = None) -> list[list[str]]:
    """Each of jieba's words in *run* (Chinese characters only) as numbered-pinyin syllables, the
    readings put in where the words hold them."""
    import jieba
    from pypinyin import Style, lazy_pinyin
    cut = (words or (lambda text: jieba.lcut(text, cut_all=False)))(run)
    flat: list[str] = []
    word_of: list[int] = []
    for i, word in enumerate(cut):
        said = lazy_pinyin(word, style=Style.TONE3, neutral_tone_with_five=True)
        if len(said) != len(word):         # never expected for Chinese characters: leave the word as read
            said = (said + [""] * len(word))[:len(word)]
        flat += said
        word_of += [i] * len(word)
    starts = {0, len(run)} | {k for k in range(1, len(run)) if word_of[k] != word_of[k - 1]}
    taken: set[int] = set()
    for entry in sorted(readings, key=len, reverse=True):       # the longest first; none overlaps another
        for m in re.finditer(re.escape(entry), run):
            a, b = m.start(), m.end()
            if ((a in starts and b in starts) or word_of[a] == word_of[b - 1]) and taken.isdisjoint(range(a, b)):
                flat[a:b] = list(readings[entry])
                taken.update(range(a, b))
    out: list[list[str]] = [[] for _ in cut]
    for k, syllable in enumerate(flat):
        if syllable:
            out[word_of[k]].append(syllable)
    return out


def relevant(readings: Mapping[str, tuple[str, ...]], text: str) -> str:
    """The entries of *readings* whose word occurs in *text*, as the take's settings carry them
    (``上调=shang4 tiao2;还款=huan2 kuan3``): a take's key changes only with the readings it uses."""
    return ";".join(f"{word}={' '.join(readings[word])}" for word in sorted(readings) if word in text)


def unpack(carried: str) -> dict[str, tuple[str, ...]]:
    """What :func:`relevant` wrote, back as a mapping."""
    out = {}
    for entry in carried.split(";"):
        word, _, reading = entry.partition("=")
        if word and reading:
            out[word] = tuple(reading.split())
    return out
