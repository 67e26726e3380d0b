"""Figures as values: what each number in a script says, so the two languages can be compared.

A `Figure` has a kind (see KINDS), a value with its scale applied (亿 = 10^8, 万 = 10^4, billion = 10^9,
million = 10^6; 25 bp = 0.25 points), the precision it was written to (2.46% -> 0.01; 35 billion -> 10^9;
2000 -> 1000), its unit (a currency, or a duration's day/week/month/...), its sign (a minus sign written,
or a fall word before it), whether it was hedged ("about", 约), the text as written, to quote, a few words
of context either side, and its anchors: the subjects its clause names (see `anchors`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from audiopipe.figures.anchors import anchors, clause_of, context, sentence_of

NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
EN_SCALES = {"trillion": 12, "tn": 12, "trn": 12, "billion": 9, "bn": 9, "million": 6, "mn": 6, "mln": 6,
             "m": 6, "thousand": 3, "k": 3}
ZH_SCALES = {"万亿": 12, "亿": 8, "万": 4, "千": 3}
EN_MONEY_SIGNS = {"US$": "USD", "$": "USD", "USD": "USD", "HK$": "HKD", "HKD": "HKD", "S$": "SGD",
                  "A$": "AUD", "C$": "CAD", "NT$": "TWD", "€": "EUR", "EUR": "EUR", "£": "GBP", "GBP": "GBP",
                  "¥": "CNY", "￥": "CNY", "RMB": "CNY", "CNY": "CNY", "JPY": "JPY"}
EN_MONEY_WORDS = {"hong kong dollars": "HKD", "singapore dollars": "SGD", "australian dollars": "AUD",
                  "canadian dollars": "CAD", "new taiwan dollars": "TWD", "us dollars": "USD", "u.s. dollars": "USD",
                  "dollars": "USD",
                  "dollar": "USD", "yuan": "CNY", "renminbi": "CNY", "rmb": "CNY", "euros": "EUR", "euro": "EUR",
                  "pounds": "GBP", "pound": "GBP", "yen": "JPY"}
ZH_MONEY_WORDS = {"元人民币": "CNY", "人民币": "CNY", "美元": "USD", "港元": "HKD", "港币": "HKD", "欧元": "EUR", "英镑": "GBP",
                  "日元": "JPY", "新加坡元": "SGD", "澳元": "AUD", "加元": "CAD", "新台币": "TWD", "元": "CNY"}
HEDGES_EN = re.compile(r"\b(?:about|around|nearly|almost|roughly|some|approximately|close to|more than|over|"
                       r"above|under|below|less than|at least|up to|exceeding|just over|just under)\s+\S*$", re.I)
HEDGES_ZH = re.compile(r"(?:约|近|将近|大约|接近|超过|逾|超|不到|不足|至少|最多|上下)[^\d]{0,3}$")
HEDGES_ZH_AFTER = re.compile(r"^(?:[^\s，。、；的]{0,3}?(?:左右|上下|以上|以下)|.?[多余])")   # not 3.1%的两倍多
FALLS_EN = re.compile(r"\b(?:fell|fall|falls|falling|down|declined?|declining|dropped|drop|drops|lost|lose|"
                      r"loses|slipped|slid|shrank|shrunk|contracted|decreased?|eased|cut|lower|slumped|sank|"
                      r"plunged|tumbled|negative)\s+(?:by\s+|of\s+)?(?:some\s+|about\s+|nearly\s+|almost\s+)?\S*$", re.I)
RISES_EN = re.compile(r"\b(?:rose|rise|rises|rising|up|grew|grow|grows|growing|gained?|gains|increased?|increases|"
                      r"climbed?|climbs|jumped|jumps?|surged?|soared|expanded|higher|added|advanced|rallied)\s+"
                      r"(?:by\s+|of\s+)?(?:some\s+|about\s+|nearly\s+|almost\s+|just\s+|a\s+)?\S*$", re.I)
RISES_ZH = re.compile(r"(?:增长|上涨|上升|增加|提高|提升|回升|扩大|攀升|增|涨|升)了?(?:约|近)?$")
GROWTH_EN = re.compile(r"\b(?:growth|grew|rose|risen|increased?|gained)\b", re.I)
FALL_WORD_EN = re.compile(r"\b(?:fell|fall|fallen|down|declined?|dropped|drop|lost|shrank|contract\w*|decreased?|"
                          r"slowed|lower|negative|deflat\w*)\b", re.I)
AFTER = {"en": (re.compile(r"^\s*(?:lower|less|fall|drop|decline|decrease|slump|tumble|contraction|loss|plunge)\b",
                          re.I),
                 re.compile(r"^\s*(?:higher|more|rise|increase|gain|growth|jump|climb|surge|expansion)\b", re.I)),
         "zh": (re.compile(r"^的?(?:降幅|跌幅|下降|下滑|下跌|萎缩)"), re.compile(r"^的?(?:增长|增幅|涨幅|上涨|上升)"))}
FALLS_ZH = re.compile(r"(?:下降|下跌|下滑|减少|回落|降低|收缩|萎缩|跌|降|亏损|缩水|收窄)了?(?:约|近)?$")


KINDS = {
    "percent": "percentage", "points": "percentage or basis points", "money": "amount of money",
    "number": "plain number (a level, a rate, or a count with no noun)", "count": "count of things",
    "index": "index points", "ratio": "multiple (times, 倍)", "rank": "rank or ordinal (second-largest, 第二)",
    "age": "age", "duration": "duration or period (15 months, 三个月)", "year": "year", "quarter": "quarter",
    "month": "month", "date": "date", "day": "day of the month (24日, the 24th)", "weekday": "weekday",
    "time": "time of day",
}
"""Every kind a figure can be, and what it names (for messages)."""
CALENDAR = ("year", "date", "day", "weekday", "time", "quarter", "month")


@dataclass(frozen=True)
class Figure:
    kind: str           # one of KINDS
    value: Decimal      # scale applied; a date is month*100+day, a time minutes after midnight, a weekday 1-7
    precision: Decimal  # the unit of the last digit written, scale applied
    text: str           # as written, to quote
    start: int          # where it is in the text
    unit: str = ""      # money: its currency (USD, CNY, ...); a duration: day, week, month, quarter, year, ...
    negative: bool = False   # a minus sign or a fall word before it
    explicit: bool = False   # the minus sign is written
    hedged: bool = False     # about, nearly, more than, 约, 超过, 左右 ...
    rising: bool = False     # a rise word before it (rose, up, 增长, 上涨 ...): with a fall word opposite, a sign slip
    said: str = ""           # the figure alone, where `text` adds its noun ("47 million" of "47 million users")
    clause: tuple[int, int] = (0, 0)   # where its clause is in the text: figures beside it anchor it
    sentence: tuple[int, int] = (0, 0)  # where its sentence is
    context: str = ""        # a few words either side, as written: "…fixed at 6.3903 against the dollar…"
    anchors: frozenset[str] = frozenset()   # the subjects its clause names (anchors.CONCEPTS), else its sentence's
    topic: frozenset[str] = frozenset()     # the subjects its sentence names

    @property
    def signed(self) -> Decimal:
        return -self.value if self.negative else self.value


def number(text: str, scale: int = 0) -> tuple[Decimal, Decimal]:
    """A written number and its precision, *scale* a power of ten: ("1.25", 8) -> (125000000, 1000000);
    three or more trailing zeros of a whole number are taken as rounding (2000 -> precision 1000; 120
    and 400 are exact: a Chinese 121 or 401 for them is a slip)."""
    plain = text.replace(",", "")
    value = Decimal(plain).scaleb(scale)
    if "." in plain:
        exponent = -len(plain.partition(".")[2])
    else:
        digits = plain.lstrip("0") or "0"
        zeros = len(digits) - len(digits.rstrip("0")) if digits != "0" else 0
        exponent = zeros if zeros >= 3 else 0
    return value, Decimal(1).scaleb(exponent + scale)


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    out = list(text)
    for a, b in spans:
        out[a:b] = " " * (b - a)
    return "".join(out)


class Extractor:
    """Finds figures by patterns in priority order; what one pattern takes, later ones do not see (a pattern
    whose maker returns None takes nothing; one that returns [] takes its text as no figure: a name)."""

    def __init__(self, text: str, lang: str) -> None:
        self.text, self.lang, self.free = text, lang, text
        self.figures: list[Figure] = []

    def take(self, pattern: re.Pattern[str], make: object) -> None:
        spans = []
        for m in pattern.finditer(self.free):
            made = make(m)   # type: ignore[operator]
            if made is None:
                continue
            for figure in made if isinstance(made, list) else [made]:
                self.figures.append(self._context(figure, m))
            spans.append(m.span())
        self.free = _mask(self.free, spans)

    def _context(self, figure: Figure, m: re.Match[str]) -> Figure:
        before = self.text[max(0, m.start() - 40):m.start()]
        after = self.text[m.end():m.end() + 16]
        if self.lang == "en":
            hedged = bool(HEDGES_EN.search(before + " "))
            fall, rise = (bool(words.search(before)) for words in (FALLS_EN, RISES_EN))
        else:
            hedged = bool(HEDGES_ZH.search(before) or HEDGES_ZH_AFTER.search(after[:8]))
            fall, rise = (bool(words.search(before)) for words in (FALLS_ZH, RISES_ZH))
        if not (fall or rise):                       # "a 25.4 percent slump", "6.3%的增长"
            fall, rise = (bool(words.search(after)) for words in AFTER[self.lang])
        if not (fall or rise) and self.lang == "en" and figure.kind == "percent":
            clause = re.split(r"[,;:.](?:\s|$)|\d", before)[-1]      # "GDP growth in the fourth quarter was 2.9%"
            rise = bool(GROWTH_EN.search(clause)) and not FALL_WORD_EN.search(clause)
        moves = figure.kind in ("percent", "points", "money")
        fall, rise = fall and moves, rise and moves
        start, end = m.start(), m.end()
        while end > start and self.text[end - 1].isspace():
            end -= 1
        while start < end and self.text[start].isspace():
            start += 1
        about, topic = anchors(self.text, self.lang, start, end)
        return Figure(figure.kind, figure.value, figure.precision, figure.text, m.start(), figure.unit,
                      figure.explicit or fall, figure.explicit, hedged or figure.hedged,
                      said=figure.said or m.group(0).strip(), rising=rise and not fall,
                      context=context(self.text, start, end, self.lang), clause=clause_of(self.text, self.lang, start, end),
                      sentence=sentence_of(self.text, self.lang, start, end),
                      anchors=about, topic=topic)


def make(kind: str, m: re.Match[str], num: str, scale: int = 0, unit: str = "",
         sign: str | None = None, text: str | None = None) -> Figure:
    value, precision = number(num, scale)
    return Figure(kind, value, precision, text or m.group(0).strip(), m.start(), unit,
                  explicit=bool(sign and sign in "-−"))


def whole(kind: str, m: re.Match[str], value: int, unit: str = "") -> Figure:
    return Figure(kind, Decimal(value), Decimal(1), m.group(0).strip(), m.start(), unit)
