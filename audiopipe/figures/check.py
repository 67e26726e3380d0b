"""The figures check: does the Chinese say the same figures as the English?

For each story the figures of both texts are matched kind by kind (money only within one
currency), the closest pairs first.  Two figures agree when their values are equal after rounding
to the coarser of their precisions (2.46% and "2.5 percent"; 350.04亿元 and "35 billion yuan"); a
hedged one ("nearly", 约) agrees within 10%; a pair that agrees but goes down in one language and up
in the other is a contradiction.  What is left is compared once more: a pair a power of ten apart,
or differing in a digit or two of the same length, is a contradiction; so is one figure with the
wrong unit (percent for percentage points, one currency for another).  Then what is still left is
paired by kind and by order in the story, each pair a contradiction (months excepted); only a
figure whose kind has no partner left in the other language is in one language only (information).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from audiopipe.figures.extract import chinese, english
from audiopipe.figures.values import Figure

HEDGE_TOLERANCE = Decimal("0.10")
SCALE_SLIPS = (1, 2, 3, 4, 5, 6)
CALENDAR = ("year", "date", "time", "quarter", "month")     # no power of ten or misplaced digit: a date is wrong
NOT_IN_ORDER = ("month",)       # a month is often said another way in the other language ("last month" for 5月份)


@dataclass(frozen=True)
class Pair:
    """One comparison: both sides for a match or a contradiction, one side for a one-language figure."""

    status: str                 # "match" | "contradiction" | "one-language"
    en: Figure | None
    zh: Figure | None
    why: str = ""               # for a contradiction: "10× apart", "opposite signs: ...", "different dates", ...

    @property
    def kind(self) -> str:
        side = self.en if self.en is not None else self.zh
        return side.kind if side is not None else ""

    def quoted(self) -> str:
        """The figures themselves, as written ("6.3903", not "6.3903 against")."""
        sides = []
        if self.en is not None:
            sides.append(f'English "{self.en.said or self.en.text}"')
        if self.zh is not None:
            sides.append(f'Chinese "{self.zh.said or self.zh.text}"')
        return " vs ".join(sides)


@dataclass(frozen=True)
class StoryFigures:
    story: int
    pairs: tuple[Pair, ...]
    accepted: bool = False      # the manifest says `figures: accept` for this story

    @property
    def contradictions(self) -> tuple[Pair, ...]:
        return tuple(p for p in self.pairs if p.status == "contradiction")

    def messages(self) -> list[str]:
        return [f"story {self.story}: {p.quoted()} ({p.why})" for p in self.contradictions]


def _group(figure: Figure) -> tuple[str, str]:
    return figure.kind, figure.currency


def _close(x: Decimal, y: Decimal, precision: Decimal, hedged: bool) -> bool:
    if hedged:
        return abs(x - y) <= max(x, y) * HEDGE_TOLERANCE + precision / 2
    return abs(x - y) <= precision / 2 * Decimal("1.0001")


def agree(a: Figure, b: Figure) -> bool:
    """Equal after rounding to the coarser precision (a hedged figure: within 10%)."""
    return _close(abs(a.value), abs(b.value), max(a.precision, b.precision), a.hedged or b.hedged)


def opposite(a: Figure, b: Figure) -> bool:
    """One says it fell (a minus sign, or a fall word), the other that it rose (a plus or rise word), or one
    writes a minus sign the other has not: a figure said with no direction differs from neither."""
    return a.negative != b.negative and (a.explicit or b.explicit or a.rising or b.rising)


def _signs(a: Figure, b: Figure) -> str:
    return (f"opposite signs: {'down' if a.negative else 'up'} in English, "
            f"{'down' if b.negative else 'up'} in Chinese")


def _digits(figure: Figure, precision: Decimal) -> str:
    """The digits down to *precision*, trailing zeros kept (6.3930 is five digits, as 6.3903 is)."""
    return str(int((abs(figure.value) / precision).to_integral_value()))


def scale_slip(a: Figure, b: Figure) -> str | None:
    """"10× apart" when one figure is the other moved by a power of ten."""
    x, y = abs(a.value), abs(b.value)
    if x == 0 or y == 0 or a.kind in CALENDAR:
        return None
    (big, big_p), (small, small_p) = sorted([(x, a.precision), (y, b.precision)], reverse=True)
    hedged = a.hedged or b.hedged
    for power in SCALE_SLIPS:
        factor = Decimal(10) ** power
        if _close(big, small * factor, max(big_p, small_p * factor), hedged):
            return f"{factor}× apart"
    return None


def misprint(a: Figure, b: Figure) -> str | None:
    """"digits transposed" / "a digit differs" for two figures of one size written differently."""
    x, y = abs(a.value), abs(b.value)
    if a.hedged or b.hedged or x == 0 or y == 0 or a.kind in CALENDAR:
        return None
    da, db = (_digits(f, max(a.precision, b.precision)) for f in (a, b))   # as far as both say
    if x.adjusted() != y.adjusted() or len(da) != len(db):
        return None
    differ = sum(p != q for p, q in zip(da, db))
    if differ == 2 and sorted(da) == sorted(db):
        return "digits transposed"
    return "a digit differs" if differ == 1 else None


def _rank(figure: Figure, left: list[Figure]) -> int:
    return [f for f in left if _group(f) == _group(figure)].index(figure)


def compare(story: int, en_text: str, zh_text: str, accepted: bool = False) -> StoryFigures:
    """Match the figures of one story's English and Chinese texts."""
    en, zh = english(en_text), chinese(zh_text)
    pairs: list[Pair] = []
    left_en, left_zh = list(en), list(zh)
    agreeing = sorted(((abs(abs(a.value) - abs(b.value)), i, j) for i, a in enumerate(en) for j, b in enumerate(zh)
                       if _group(a) == _group(b) and agree(a, b)), key=lambda t: t)
    for _, i, j in agreeing:                          # first what agrees, the closest pairs first (120 with 120,
        a, b = en[i], zh[j]                           # not with 121.02 that it also agrees with, rounded)
        if a in left_en and b in left_zh:
            why = _signs(a, b) if opposite(a, b) else ""
            pairs.append(Pair("contradiction" if why else "match", a, b, why))
            left_en.remove(a)
            left_zh.remove(b)
    for a in list(left_en):                           # then what looks like one figure written wrongly
        for b in left_zh:
            if _group(a) != _group(b):
                continue
            slip = scale_slip(a, b) or (misprint(a, b) if _rank(a, left_en) == _rank(b, left_zh) else None)
            if slip:
                pairs.append(Pair("contradiction", a, b, slip))
                left_en.remove(a)
                left_zh.remove(b)
                break
    for a in list(left_en):                           # a bare number may name an amount the other gives a unit
        for b in left_zh:
            if "number" in (a.kind, b.kind) and a.kind != b.kind and a.value == b.value or (
                    {a.kind, b.kind} == {"number", "money"} and agree(a, b)):
                pairs.append(Pair("match", a, b))
                left_en.remove(a)
                left_zh.remove(b)
                break
    pairs += _wrong_unit(left_en, left_zh)
    pairs += _in_order(left_en, left_zh)
    return StoryFigures(story, tuple(pairs), accepted)


def _wrong_unit(left_en: list[Figure], left_zh: list[Figure]) -> list[Pair]:
    """One figure with the wrong unit: the same value as a percentage in one language and percentage
    points in the other, or the same amount of money in two currencies (8.2 trillion dollars, 8.2万亿元).
    Takes what it pairs out of *left_en* and *left_zh*."""
    pairs = []
    for a in list(left_en):
        for b in left_zh:
            units = {a.kind, b.kind} == {"percent", "points"} or (
                a.kind == b.kind == "money" and a.currency != b.currency)
            if units and agree(a, b):
                pairs.append(Pair("contradiction", a, b, f"the same figure in {_unit(a)} and in {_unit(b)}"))
                left_en.remove(a)
                left_zh.remove(b)
                break
    return pairs


def _unit(figure: Figure) -> str:
    return figure.currency if figure.kind == "money" else {"percent": "percent", "points": "percentage points"}[figure.kind]


def _in_order(left_en: list[Figure], left_zh: list[Figure]) -> list[Pair]:
    """What is still unmatched, paired by kind and by order in the story (the first percentage left in
    English with the first left in Chinese, ...): two figures of one kind that each language holds
    once are one figure written two ways, so they disagree.  Only a figure whose kind has no partner
    left in the other language is in one language only."""
    pairs: list[Pair] = []
    for group in dict.fromkeys(_group(f) for f in left_en + left_zh):
        ens = [f for f in left_en if _group(f) == group]
        zhs = [f for f in left_zh if _group(f) == group]
        paired = 0 if group[0] in NOT_IN_ORDER else min(len(ens), len(zhs))
        pairs += [Pair("contradiction", a, b, _why(a, b)) for a, b in zip(ens[:paired], zhs[:paired])]
        pairs += [Pair("one-language", a, None) for a in ens[paired:]]
        pairs += [Pair("one-language", None, b) for b in zhs[paired:]]
    return pairs


def _why(a: Figure, b: Figure) -> str:
    if opposite(a, b):
        return _signs(a, b)
    slip = scale_slip(a, b) or misprint(a, b)
    if slip:
        return slip
    if a.kind in CALENDAR:
        return f"different {a.kind}s"
    return f"different figures, the {a.kind}s left in each language taken in order"


def check_stories(stories: Sequence[tuple[int, str, str, bool]]) -> list[StoryFigures]:
    """(story, English, Chinese, accepted) for each story -> what its figures say."""
    return [compare(*story) for story in stories]
