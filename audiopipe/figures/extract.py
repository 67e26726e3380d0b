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
_NUMBER_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
_NUMBER_WORDS.update({"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "ninety": 90, "hundred": 100})
_ORDINALS = {w: i for i, w in enumerate(
    "zeroth first second third fourth fifth sixth seventh eighth ninth tenth".split()) if i}
_WEEKDAYS = {d.lower(): i for i, d in enumerate(calendar.day_name, 1)}
_ZH_WEEKDAYS = {d: i for i, d in enumerate("一二三四五六日", 1)} | {"天": 7}
_UNITS_EN = {"minute": "minute", "hour": "hour", "day": "day", "week": "week", "month": "month", "quarter": "quarter",
             "year": "year", "decade": "decade"}
_UNITS_ZH = {"分钟": "minute", "小时": "hour", "天": "day", "周": "week", "星期": "week", "个月": "month", "季度": "quarter",
             "年": "year"}
_WORD_NUM = "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))
_ZH_NUM = r"[零一二两三四五六七八九十百千]+"
_ZH_DIGIT = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"两": 2}
COUNTED_ZH = "家台名个位辆架艘座所项款部户套件条次批轮支颗枚张头吨"
"""Measure words: a number before one counts things (150家门店, 4390万部)."""
NOT_NOUNS = {"against", "to", "from", "in", "on", "at", "and", "or", "per", "a", "an", "the", "for", "with", "by", "of",
             "as", "than", "after", "before", "versus", "vs", "while", "this", "that", "last", "next", "year", "on-year",
             "compared", "up", "down", "is", "was", "were", "are", "during", "since", "respectively", "each"}
"""Words after a number that are no noun of it ("6.3903 against the dollar" is a level, not a count)."""
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


def zh_number(text: str) -> int:
    """A Chinese numeral (一 to 九千九百九十九, 两 for 2): 十五 -> 15, 两百 -> 200, 三 -> 3; digits pass through."""
    if text.isdigit():
        return int(text)
    total, digit = 0, 0
    for char in text:
        if char in _ZH_DIGIT:
            digit = _ZH_DIGIT[char]
        else:
            total += (digit or 1) * {"十": 10, "百": 100, "千": 1000}[char]
            digit = 0
    return total + digit


def _amount(word: str) -> str:
    """A number written in digits or as an English word, as digits."""
    return str(_NUMBER_WORDS[word.lower()]) if word.lower() in _NUMBER_WORDS else word


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
    x.take(re.compile(r"\b(" + "|".join(_WEEKDAYS) + r")s?\b", re.I), lambda m: whole("weekday", m, _WEEKDAYS[m[1].lower()]))
    x.take(re.compile(rf"\b({MONTH})(?!\s+\d)"), lambda m: whole("month", m, _month(m[1])))
    x.take(re.compile(r"\bthe\s+([12]?\d|3[01])(?:st|nd|rd|th)\b(?=\s*(?:of\b|[,.;:)]|$))"),
           lambda m: whole("day", m, int(m[1])))
    x.take(re.compile(r"\b(1[0-2]|0?[1-9])(?::([0-5]\d))?\s*([ap])\.?m\b\.?", re.I),
           lambda m: whole("time", m, _clock(int(m[1]), int(m[2] or 0), m[3])))
    x.take(re.compile(r"(?<![\d:])([01]?\d|2[0-3]):([0-5]\d)(?![\d:])"),
           lambda m: whole("time", m, _clock(int(m[1]), int(m[2]), None)))
    x.take(re.compile(r"\bQ([1-4])\b|\b(first|second|third|fourth)[- ]quarter\b", re.I),
           lambda m: whole("quarter", m, int(m[1]) if m[1] else _ORDINAL_WORDS[m[2].lower()]))
    x.take(re.compile(r"\b(\d{1,3})-year-old\b|\baged\s+(\d{1,3})\b|\b(\d{1,3})\s+years?\s+old\b|\bages?\s+of\s+(\d{1,3})\b",
                      re.I), lambda m: make("age", m, next(g for g in m.groups() if g)))
    x.take(re.compile(rf"(?<![\w.,])({NUM}|{_WORD_NUM})[-\s](?:(?:consecutive|straight|successive)\s)?"
                      r"(minute|hour|day|week|month|quarter|year|decade)s?\b", re.I),
           lambda m: make("duration", m, _amount(m[1]).replace(",", ""), unit=_UNITS_EN[m[2].lower()]))
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
    x.take(re.compile(rf"(?<![\w.])({NUM}|{_WORD_NUM})(?:[-\s]?fold\b|\s(?:times)\b(?!\s+(?:a|per|in|as)\b)|x\b)", re.I),
           lambda m: make("ratio", m, _amount(m[1])))
    x.take(re.compile(r"\b(?:FY\s?)?((?:19|20)\d\d)s?\b(?![,.]\d|\s?(?:" + _SCALE_EN + r")\b)"),
           lambda m: whole("year", m, int(m[1])) if _is_year(text, m) else None)
    x.take(re.compile(r"\b(\d+(?=st|nd|rd|th)|" + "|".join(_ORDINALS) + r")(?:st|nd|rd|th)?\s+"
                      r"(?:(?:straight|consecutive|successive)\s+)?(minute|hour|day|week|month|year|decade)\b", re.I),
           lambda m: whole("duration", m, int(m[1]) if m[1].isdigit() else _ORDINALS[m[1].lower()],
                           _UNITS_EN[m[2].lower()]))         # a 15th year, a third week: so many on end
    x.take(re.compile(r"\b(\d+)(?:st|nd|rd|th)\b|\bNo\.\s?(\d+)\b"), lambda m: make("rank", m, m[1] or m[2]))
    x.take(re.compile(r"\b(" + "|".join(_ORDINALS) + r")[-\s](?:largest|biggest|\w+est|place|spot|position)\b", re.I),
           lambda m: whole("rank", m, _ORDINALS[m[1].lower()]))
    x.take(re.compile(rf"(?<![\w.,])({NUM})\s?points?\b", re.I), lambda m: make("index", m, m[1]))
    x.take(re.compile(rf"\b({'|'.join(_SMALL_WORDS)})\s+({_SCALE_EN})\b", re.I),
           lambda m: make("number", m, str(_SMALL_WORDS[m[1].lower()]), _scale_en(m[2])))
    x.take(re.compile(r"[\"“](\d+)[\"”]|[A-Za-z]-\d+\b"), lambda m: [])     # names: "618", Shenzhou-19
    x.take(re.compile(rf"(?<![\w.,])([-−+])?({NUM})(?:\s?({_SCALE_EN})\b)?(?!\w|\.\d)", re.I),
           lambda m: _plain_en(text, m))
    return sorted(x.figures, key=lambda f: f.start)


def _plain_en(text: str, m: re.Match[str]) -> Figure:
    """A number with no unit: a count when a noun follows it (3,400 people), else a plain number."""
    noun = re.match(r"\s+([A-Za-z][\w-]*)", text[m.end():])
    counted = noun is not None and noun[1].lower() not in NOT_NOUNS and text[m.end():m.end() + 1] not in ",;"
    return make("count" if counted else "number", m, m[2], _scale_en(m[3]), sign=m[1], text=_with_noun(text, m))


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
    x.take(re.compile(r"(?<![0-9.])([12]?\d|3[01])[日号](?![0-9])"), lambda m: whole("day", m, int(m[1])))
    x.take(re.compile(r"(?:周|星期|礼拜)([一二三四五六日天])"), lambda m: whole("weekday", m, _ZH_WEEKDAYS[m[1]]))
    x.take(re.compile(rf"(?<![0-9.])(\d{{1,3}}|{_ZH_NUM})\s*(?:多)?(分钟|小时|天|周|星期|个月|个季度|年)(?![度代])"),
           lambda m: None if m[2] == "年" and not _years(m[1]) else
           whole("duration", m, zh_number(m[1]), _UNITS_ZH[m[2].replace("个季度", "季度")]))
    x.take(re.compile(r"(?<![0-9.])(\d{1,3})\s*(?:周)?岁"), lambda m: make("age", m, m[1]))
    x.take(re.compile(r"(?<![0-9:])([01]?\d|2[0-3])[:：]([0-5]\d)(?![0-9:])"),
           lambda m: whole("time", m, _clock_zh(text, m, int(m[1]), int(m[2]))))
    x.take(re.compile(r"(?<![0-9.])(\d{1,2})点(半|(\d{1,2})分)?"),
           lambda m: whole("time", m, _clock_zh(text, m, int(m[1]), 30 if m[2] == "半" else int(m[3] or 0)))
           if re.search(r"(上午|下午|晚上|早上|凌晨|中午|时间|于|在)\s*$", text[:m.start()]) or m[2] else None)
    x.take(re.compile(r"(?<![0-9.])(1[0-2]|[1-9])\s?[-–—－~至到]\s?(1[0-2]|[1-9])\s?月"),     # 1-3 月份, 4至6月
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
    x.take(re.compile(rf"(?<![0-9.])({NUM}|{_ZH_NUM})\s*倍"),
           lambda m: make("ratio", m, m[1] if m[1][0].isdigit() else str(zh_number(m[1]))))
    x.take(re.compile(rf"第({NUM}|{_ZH_NUM})"),
           lambda m: whole("rank", m, zh_number(m[1].replace(",", ""))) if "." not in m[1] else None)
    x.take(re.compile(rf"(?<![0-9.])({NUM})\s*点(?![半钟0-9])"), lambda m: make("index", m, m[1]))
    x.take(re.compile(rf"(?<![0-9.])([-−+])?({NUM})\s?({_ZH_SCALE})?\s*(?=[{COUNTED_ZH}]|人)"),
           lambda m: make("count", m, m[2], ZH_SCALES.get(m[3] or "", 0), sign=m[1], text=_with_word_zh(text, m)))
    x.take(re.compile(rf"(?<![0-9.])([-−+])?({NUM})\s?({_ZH_SCALE})?"),
           lambda m: make("number", m, m[2], ZH_SCALES.get(m[3] or "", 0), sign=m[1], text=_with_word_zh(text, m)))
    return sorted(x.figures, key=lambda f: f.start)


def _years(number: str) -> bool:
    """A number before 年 that counts years (3年, 两年, 十年), not one that names a year (2026年)."""
    return not number.isdigit() or len(number) <= 3


def _clock_zh(text: str, m: re.Match[str], hour: int, minute: int) -> int:
    before = text[max(0, m.start() - 3):m.start()]
    if any(w in before for w in ("下午", "晚上")) and hour < 12:
        hour += 12
    return hour * 60 + minute


def _with_word_zh(text: str, m: re.Match[str]) -> str:
    word = re.match(r"[\u4e00-\u9fff]{1,2}", text[m.end():])
    return m.group(0) + (word.group(0) if word else "")
