"""The figures of an English or a Chinese script, as `Figure` values (see `values`)."""

from __future__ import annotations

import calendar
import re

from audiopipe.figures.values import (
    EN_MONEY_SIGNS,
    EN_MONEY_WORDS,
    EN_SCALES,
    NUM,
    ZH_MONEY_WORDS,
    ZH_SCALES,
    Extractor,
    Figure,
    make,
    whole,
)

_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m}
_MONTHS.update({m[:3].lower(): i for i, m in enumerate(calendar.month_name) if m})
_MONTHS["sept"] = 9
MONTH = (r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
         r"|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\b\.?)")
_SMALL_WORDS = {w: i for i, w in enumerate("a one two three four five six seven eight nine ten".split()) if i}
_SMALL_WORDS["a"] = 1
_ORDINAL_WORDS = {"first": 1, "second": 2, "third": 3, "fourth": 4}
_ZH_SMALL = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_ZH_MONTHS = "一 二 三 四 五 六 七 八 九 十 十一 十二".split()
_SCALE_EN = "|".join(sorted(EN_SCALES, key=len, reverse=True))
_CUR_EN = "|".join(re.escape(c) for c in sorted(EN_MONEY_SIGNS, key=len, reverse=True))
_WORD_EN = "|".join(sorted(EN_MONEY_WORDS, key=len, reverse=True))
_ZH_SCALE = "万亿|亿|万|千"
_ZH_WORD = "|".join(sorted(ZH_MONEY_WORDS, key=len, reverse=True))


def _month(name: str) -> int:
    return _MONTHS[name.rstrip(".").lower()]


def _scale_en(word: str | None) -> int:
    return EN_SCALES[word.lower()] if word else 0


def _clock(hour: int, minute: int, half: str | None) -> int:
    if half and half.lower().startswith("p") and hour < 12:
        hour += 12
    if half and half.lower().startswith("a") and hour == 12:
        hour = 0
    return hour * 60 + minute


def english(text: str) -> list[Figure]:
    """The figures of an English text."""
    x = Extractor(text, "en")
    x.take(re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b"),
           lambda m: [whole("date", m, int(m[2]) * 100 + int(m[3])), whole("year", m, int(m[1]))])
    x.take(re.compile(rf"\b({MONTH})\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,\s*(\d{{4}})\b)?"),
           lambda m: [whole("date", m, _month(m[1]) * 100 + int(m[2]))] + ([whole("year", m, int(m[3]))] if m[3] else []))
    x.take(re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+({MONTH})(?:\s+(\d{{4}})\b)?"),
           lambda m: [whole("date", m, _month(m[2]) * 100 + int(m[1]))] + ([whole("year", m, int(m[3]))] if m[3] else []))
    x.take(re.compile(rf"\b({MONTH})(?!\s+\d)"), lambda m: whole("month", m, _month(m[1])))
    x.take(re.compile(r"\b(1[0-2]|0?[1-9])(?::([0-5]\d))?\s*([ap])\.?m\b\.?", re.I),
           lambda m: whole("time", m, _clock(int(m[1]), int(m[2] or 0), m[3])))
    x.take(re.compile(r"(?<![\d:])([01]?\d|2[0-3]):([0-5]\d)(?![\d:])"),
           lambda m: whole("time", m, _clock(int(m[1]), int(m[2]), None)))
    x.take(re.compile(r"\bQ([1-4])\b|\b(first|second|third|fourth)[- ]quarter\b", re.I),
           lambda m: whole("quarter", m, int(m[1]) if m[1] else _ORDINAL_WORDS[m[2].lower()]))
    x.take(re.compile(rf"(?<![A-Za-z])([-−+])?({_CUR_EN})\s?({NUM})(?:\s?[-–]\s?{NUM})?(?:\s?({_SCALE_EN})\b)?"),
           lambda m: make("money", m, m[3], _scale_en(m[4]), EN_MONEY_SIGNS[m[2]], m[1]))
    x.take(re.compile(rf"(?<![\w.])([-−+])?({NUM})(?:\s?({_SCALE_EN})\b)?\s+({_WORD_EN})\b", re.I),
           lambda m: make("money", m, m[2], _scale_en(m[3]), EN_MONEY_WORDS[m[4].lower()], m[1]))
    x.take(re.compile(rf"(?<![\w.])({NUM})\s?(?:cents?)\b", re.I), lambda m: make("money", m, m[1], -2, "USD"))
    x.take(re.compile(rf"(?<![\w.])([-−+])?({NUM})\s?(bps|bp|basis points?)\b", re.I),
           lambda m: make("points", m, m[2], -2, sign=m[1]))
    x.take(re.compile(rf"(?<![\w.])([-−+])?({NUM})\s?(pp|ppts?|percentage points?)\b", re.I),
           lambda m: make("points", m, m[2], sign=m[1]))
    x.take(re.compile(rf"(?<![\w.])([-−+~])?({NUM})\s?(?:[%％]|\s?[-–]\s?({NUM})\s?[%％]|\s?(?:percent|per cent)\b)", re.I),
           lambda m: _percent_en(m))
    x.take(re.compile(r"\b(?:FY\s?)?((?:19|20)\d\d)s?\b(?![,.]\d|\s?(?:" + _SCALE_EN + r")\b)"),
           lambda m: whole("year", m, int(m[1])) if _is_year(text, m) else None)
    x.take(re.compile(r"\b(\d+)(?:st|nd|rd|th)\b"), lambda m: make("number", m, m[1]))
    x.take(re.compile(rf"\b({'|'.join(_SMALL_WORDS)})\s+({_SCALE_EN})\b", re.I),
           lambda m: make("number", m, str(_SMALL_WORDS[m[1].lower()]), _scale_en(m[2])))
    x.take(re.compile(rf"(?<![\w.,])([-−+])?({NUM})(?:\s?({_SCALE_EN})\b)?(?!\w|\.\d)", re.I),
           lambda m: make("number", m, m[2], _scale_en(m[3]), sign=m[1], text=_with_noun(text, m)))
    return sorted(x.figures, key=lambda f: f.start)


def _percent_en(m: re.Match[str]) -> list[Figure]:
    sign = m[1] if m[1] != "~" else None
    out = [make("percent", m, m[2], sign=sign)]
    if m[3]:
        out.append(make("percent", m, m[3]))
    return out


_YEAR_BEFORE = re.compile(r"(?:\b(?:in|since|by|from|until|till|through|during|before|after|of|for|between|early|"
                          r"late|mid|around|circa|year|fiscal|the|its|their|this|last|next|to|and)|['’]s|FY)\s*$", re.I)


def _is_year(text: str, m: re.Match[str]) -> bool:
    after = text[m.end():m.end() + 2]
    return bool(_YEAR_BEFORE.search(text[:m.start()])) or m.group(0).startswith("FY") or \
        m.group(0).endswith("s") or not re.match(r"\s*[a-z]", after)


def _with_noun(text: str, m: re.Match[str]) -> str:
    noun = re.match(r"\s+([A-Za-z][\w-]*)", text[m.end():])
    return m.group(0).strip() + (" " + noun[1] if noun else "")


def chinese(text: str) -> list[Figure]:
    """The figures of a Chinese text."""
    x = Extractor(text, "zh")
    x.take(re.compile(r"(?<!\d)(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?!\d)"),
           lambda m: [whole("date", m, int(m[2]) * 100 + int(m[3])), whole("year", m, int(m[1]))])
    x.take(re.compile(r"(?<!\d)(\d{1,2})月(\d{1,2})[日号]"), lambda m: whole("date", m, int(m[1]) * 100 + int(m[2])))
    x.take(re.compile(r"(?<![0-9:])([01]?\d|2[0-3])[:：]([0-5]\d)(?![0-9:])"),
           lambda m: whole("time", m, _clock_zh(text, m, int(m[1]), int(m[2]))))
    x.take(re.compile(r"(?<![0-9.])(\d{1,2})点(半|(\d{1,2})分)?"),
           lambda m: whole("time", m, _clock_zh(text, m, int(m[1]), 30 if m[2] == "半" else int(m[3] or 0)))
           if re.search(r"(上午|下午|晚上|早上|凌晨|中午|时间|于|在)\s*$", text[:m.start()]) or m[2] else None)
    x.take(re.compile(r"(?<![0-9.])(1[0-2]|[1-9])\s?[-–~至到]\s?(1[0-2]|[1-9])\s?月"),     # 1-3 月份, 4至6月
           lambda m: [whole("month", m, int(m[1])), whole("month", m, int(m[2]))])
    x.take(re.compile(r"(?<![0-9.])(1[0-2]|[1-9])\s?月"), lambda m: whole("month", m, int(m[1])))
    x.take(re.compile(r"(?<![前后近每第个几两数一二三四五六七八九十])(十[一二]?|[一二三四五六七八九])月"),  # 二月份
           lambda m: whole("month", m, _ZH_MONTHS.index(m[1]) + 1))
    x.take(re.compile(r"(?<![A-Za-z])Q([1-4])(?![A-Za-z\d])|(?<![前后近])第?([一二三四1-4])季度"),
           lambda m: whole("quarter", m, int(m[1]) if m[1] else _ZH_SMALL[m[2]]))
    x.take(re.compile(r"(?<!\d)((?:19|20)\d\d)(?=年|财年)|FY((?:19|20)\d\d)"), lambda m: whole("year", m, int(m[1] or m[2])))
    x.take(re.compile(rf"([-−])?({_CUR_EN})\s*({NUM})\s?({_ZH_SCALE})?"),
           lambda m: make("money", m, m[3], ZH_SCALES.get(m[4] or "", 0), EN_MONEY_SIGNS[m[2]], m[1]))
    x.take(re.compile(rf"(?<![0-9.])([-−])?({NUM})\s?({_ZH_SCALE})?\s*(?:({_ZH_WORD})|(美分))"),
           lambda m: make("money", m, m[2], ZH_SCALES.get(m[3] or "", 0) - (2 if m[5] else 0),
                          ZH_MONEY_WORDS[m[4]] if m[4] else "USD", m[1]))
    x.take(re.compile(rf"人民币\s*({NUM})\s?({_ZH_SCALE})?"),
           lambda m: make("money", m, m[1], ZH_SCALES.get(m[2] or "", 0), "CNY"))
    x.take(re.compile(rf"(?<![0-9.])([-−+])?({NUM})\s*(?:个基点|bps|bp|BP)"), lambda m: make("points", m, m[2], -2, sign=m[1]))
    x.take(re.compile(rf"(?<![0-9.])([-−+])?({NUM})\s*个百分点"), lambda m: make("points", m, m[2], sign=m[1]))
    x.take(re.compile(rf"(?<![0-9.])([-−+])?({NUM})\s*[%％]?\s*[-–~至到]\s*({NUM})\s*[%％]"),
           lambda m: [make("percent", m, m[2], sign=m[1]), make("percent", m, m[3])])
    x.take(re.compile(rf"(?<![0-9.])([-−+])?({NUM})\s*[%％]"), lambda m: make("percent", m, m[2], sign=m[1]))
    x.take(re.compile(rf"(?<![0-9.])([-−+])?({NUM})\s?({_ZH_SCALE})?"),
           lambda m: make("number", m, m[2], ZH_SCALES.get(m[3] or "", 0), sign=m[1], text=_with_word_zh(text, m)))
    return sorted(x.figures, key=lambda f: f.start)


def _clock_zh(text: str, m: re.Match[str], hour: int, minute: int) -> int:
    before = text[max(0, m.start() - 3):m.start()]
    if any(w in before for w in ("下午", "晚上")) and hour < 12:
        hour += 12
    return hour * 60 + minute


def _with_word_zh(text: str, m: re.Match[str]) -> str:
    word = re.match(r"[\u4e00-\u9fff]{1,2}", text[m.end():])
    return m.group(0) + (word.group(0) if word else "")
