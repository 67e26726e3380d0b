"""Slips planted in a consistent story, as an editor makes them: for each figure the two languages agree on,
the Chinese written 10× off, with one digit wrong, with two digits swapped, going the other way, in the
wrong unit, on another day or in another quarter, or a rate with its last digits moved.  Each planted story
comes with the two figures the check must name."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from audiopipe.figures.check import compare, compatible
from audiopipe.figures.values import Figure

RISES = ("增长", "上涨", "上升", "增加", "提高", "回升", "增")
FALLS = ("下降", "下跌", "下滑", "减少", "回落", "降低", "降")
SLIPS = ("10x", "digit", "transposed", "sign", "unit", "date", "quarter", "rate")
_ZH_QUARTERS = "一二三四"


@dataclass(frozen=True)
class Planted:
    slip: str           # one of SLIPS
    zh: str             # the Chinese text with the slip
    en: Figure          # the English figure the check must name
    at: int             # where the slipped Chinese figure starts
    written: str        # the slipped figure as now written


def _number_span(text: str, figure: Figure) -> tuple[int, int] | None:
    m = re.compile(r"\d[\d,]*(?:\.\d+)?").search(text, figure.start, figure.start + len(figure.text) + 1)
    return m.span() if m else None


def _digits_only(number: str) -> str:
    return number.replace(",", "").replace(".", "")


def _with_digits(number: str, digits: str) -> str:
    """*number* with its digits replaced in place (the point and commas kept where they were)."""
    out, it = [], iter(digits)
    for char in number:
        out.append(next(it) if char.isdigit() else char)
    return "".join(out)


def _replace(text: str, span: tuple[int, int], new: str) -> str:
    return text[:span[0]] + new + text[span[1]:]


def _slipped(slip: str, zh: str, en: Figure, figure: Figure) -> tuple[str, int] | None:
    """The Chinese text with *slip* made to *figure*, and where the slipped figure starts; None where
    the slip does not apply to that figure."""
    span = _number_span(zh, figure)
    number = zh[span[0]:span[1]] if span else ""
    quantity = figure.kind in ("percent", "points", "money", "number", "count", "index")
    if slip == "10x" and span and quantity:
        whole, dot, frac = number.replace(",", "").partition(".")
        moved = whole + frac[:1] + ("." + frac[1:] if frac[1:] else "") if dot else whole + "0"
        return _replace(zh, span, moved.lstrip("0") or "0"), figure.start
    if slip == "digit" and span and quantity:
        digits = _digits_only(number)
        first = next(i for i, c in enumerate(digits) if c != "0") if digits.strip("0") else 0
        wrong = str((int(digits[first]) % 9) + 1)
        return _replace(zh, span, _with_digits(number, digits[:first] + wrong + digits[first + 1:])), figure.start
    if slip in ("transposed", "rate") and span and quantity:
        digits = _digits_only(number)
        same = _digits_only(en.said or en.text).lstrip("0") == digits.lstrip("0")
        if not same or len(digits) < (5 if slip == "rate" else 3) or slip == "rate" and "." not in number:
            return None
        for i in range(len(digits) - 1, 0, -1):          # the last two digits that differ, swapped
            if digits[i] != digits[i - 1]:
                swapped = digits[:i - 1] + digits[i] + digits[i - 1] + digits[i + 1:]
                return _replace(zh, span, _with_digits(number, swapped)), figure.start
        return None
    if slip == "sign" and figure.kind in ("percent", "points", "money") and (en.rising or en.negative):
        for words, other in ((RISES, FALLS[0]), (FALLS, RISES[0])):     # the word right before the figure
            for word in words:
                m = re.compile(re.escape(word) + r"(了)?(约|近)?$").search(zh, 0, figure.start)
                if m:
                    return zh[:m.start()] + other + zh[m.start() + len(word):], figure.start + len(other) - len(word)
        return None
    if slip == "unit" and span:
        after = zh[span[1]:span[1] + 4]
        for old, new in (("%", "个百分点"), ("％", "个百分点"), ("亿元", "亿美元"), ("万亿元", "万亿美元"), ("亿美元", "亿元"),
                         ("万元", "万美元"), ("美元", "欧元")):
            if figure.kind in ("percent", "money") and after.lstrip().startswith(old):
                at = span[1] + after.index(old)
                return zh[:at] + new + zh[at + len(old):], figure.start
        return None
    if slip == "date" and figure.kind in ("date", "day"):
        m = re.compile(r"(\d{1,2})([日号])").search(zh, figure.start, figure.start + len(figure.text) + 1)
        if not m:
            return None
        day = int(m[1]) % 28 + 1
        return zh[:m.start(1)] + str(day) + zh[m.end(1):], figure.start
    if slip == "quarter" and figure.kind == "quarter":
        m = re.compile(r"([一二三四1-4])季度|Q([1-4])").search(zh, figure.start, figure.start + len(figure.text) + 1)
        if not m:
            return None
        which: str = m[1] or m[2]
        quarter = (_ZH_QUARTERS.index(which) + 1) if which in _ZH_QUARTERS else int(which)
        following = quarter % 4 + 1
        group = 1 if m[1] else 2
        new = _ZH_QUARTERS[following - 1] if which in _ZH_QUARTERS else str(following)
        return zh[:m.start(group)] + new + zh[m.end(group):], figure.start
    return None


def plant(en_text: str, zh_text: str) -> Iterator[Planted]:
    """Every slip of SLIPS that applies to a figure the two texts agree on, one at a time."""
    for pair in compare(1, en_text, zh_text).pairs:
        if pair.status != "match" or pair.en is None or pair.zh is None or not compatible(pair.en, pair.zh):
            continue
        for slip in SLIPS:
            made = _slipped(slip, zh_text, pair.en, pair.zh)
            if made is None or made[0] == zh_text:
                continue
            zh, at = made
            end = re.compile(r"[，。；、,;\s]").search(zh, at)
            yield Planted(slip, zh, pair.en, at, zh[at:end.start() if end else len(zh)])


def named(en_text: str, planted: Planted) -> tuple[str, str]:
    """What the check says of a planted slip: ("fail" | "warn" | "missed", the message or what it found)."""
    found = compare(1, en_text, planted.zh)
    for status, word in (("contradiction", "fail"), ("doubt", "warn")):
        for pair in found.pairs:
            if pair.status == status and pair.en is not None and pair.zh is not None and \
                    pair.en.start == planted.en.start and pair.zh.start == planted.at:
                return word, pair.message()
    return "missed", "; ".join(p.message() for p in found.pairs if p.status in ("contradiction", "doubt")) or "nothing"
