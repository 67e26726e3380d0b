"""The figures check: does the Chinese say the same figures as the English?

Real bulletins are summaries, not translations: each language carries figures the other leaves out.  So
the check pairs figures only where it can say why, and a contradiction fails only when the pairing is
certain.

1. What agrees is matched first, kind by kind (money only within one currency; a plain number meets a
   count or index points, a day of the month meets a date), the closest pairs first.  Two figures agree
   when their values are equal after rounding to the coarser of their precisions (2.46% and "2.5 percent");
   a hedged one ("nearly", 约) agrees within 10%.  A pair that agrees but goes down in one language and up
   in the other contradicts itself.
2. Among what is left, a pair that looks like one figure written wrongly: a power of ten apart, a digit
   differing or two transposed, or the same value with the wrong unit (percent for points, one currency
   for another).
3. Whatever is still left in English is set beside the closest figure of its kind left in Chinese.

Every contradiction is **certain** (a failure) or **in doubt** (a warning) by what the two figures are
about: certain when figures beside them in their clauses were found to be one figure (linked), or when
each is the only figure of its kind in its language; a pair shaped like a slip also when both name the
same subject ("profit" and 利润, `anchors`) or when the slip is too distinctive to be chance (a
transposition of five digits); never when their subjects are known to differ.  A day of the month is a
date, never a number to set beside a rate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from audiopipe.figures.extract import chinese, english
from audiopipe.figures.values import CALENDAR, Figure

HEDGE_TOLERANCE = Decimal("0.10")
SCALE_SLIPS = (1, 2, 3, 4, 5, 6)
NOT_SET_BESIDE = ("month", "weekday")   # often said another way in the other language ("last month" for 5月份)
MEETS = ({"number", "count"}, {"number", "index"}, {"day", "date"})
"""Kinds apart that may still be one figure: a number with no noun may count things or be index points."""
DISTINCTIVE = 3                         # significant digits in a slip that chance does not make
SUBJECTS = ("same", "unknown", "different")   # what two figures' anchors say of their subjects, best first


@dataclass(frozen=True)
class Pair:
    """One comparison: both sides for a match, a contradiction or a doubt, one side for a one-language figure."""

    status: str                 # "match" | "contradiction" (certain: fails) | "doubt" (warns) | "one-language"
    en: Figure | None
    zh: Figure | None
    why: str = ""               # "10× apart", "opposite signs: ...", "different dates", ...
    accepted: bool = False      # the manifest accepts it (`figures: accept`, or this figure by name)

    @property
    def kind(self) -> str:
        side = self.en if self.en is not None else self.zh
        return side.kind if side is not None else ""

    def quoted(self) -> str:
        """The figures themselves, as written ("6.3903", not "6.3903 against")."""
        return " vs ".join(_quote(lang, f) for lang, f in (("English", self.en), ("Chinese", self.zh)) if f is not None)

    def located(self) -> str:
        """The figures as written, each with a few words of its sentence: where the editor finds them."""
        return " vs ".join(_quote(lang, f, True) for lang, f in (("English", self.en), ("Chinese", self.zh))
                           if f is not None)

    def message(self) -> str:
        if self.status == "doubt" and self.en is not None and self.zh is not None:
            return (f"{_quote('English', self.en, True)} has no Chinese partner; the closest is "
                    f"{_quote('Chinese', self.zh, True)} ({self.why})")
        return f"{self.located()} ({self.why})" if self.why else self.located()


def _quote(lang: str, figure: Figure, where: bool = False) -> str:
    said = f'{lang} "{figure.said or figure.text}"'
    return f"{said} ({figure.context})" if where and figure.context else said


@dataclass(frozen=True)
class StoryFigures:
    story: int
    pairs: tuple[Pair, ...]
    accepted: bool = False      # the manifest says `figures: accept` for this story
    accept: tuple[str, ...] = ()   # the figures the manifest accepts by name (`figures: {accept: [...]}`)

    @property
    def contradictions(self) -> tuple[Pair, ...]:
        return tuple(p for p in self.pairs if p.status == "contradiction")

    @property
    def doubts(self) -> tuple[Pair, ...]:
        return tuple(p for p in self.pairs if p.status == "doubt")

    def messages(self, status: str = "contradiction") -> list[str]:
        return [f"story {self.story}: {p.message()}" for p in self.pairs if p.status == status]

    def unused_accepts(self) -> list[str]:
        """Figures the manifest accepts that name no contradiction or doubt (any more)."""
        return [name for name in self.accept if not any(_names(name, f) for p in self.pairs if p.status in (
            "contradiction", "doubt") for f in (p.en, p.zh) if f is not None)]


def _normal(text: str) -> str:
    return "".join(text.split()).casefold()


def _names(name: str, figure: Figure) -> bool:
    """Does the producer's *name* ("15 months", "6.3903", "3.204亿") name *figure*?"""
    wanted = _normal(name)
    return bool(wanted) and wanted in {_normal(figure.text), _normal(figure.said)}


def compatible(a: Figure, b: Figure) -> bool:
    """Could *a* and *b* be one figure: the same kind in the same unit, or kinds that meet (MEETS)."""
    if a.kind == b.kind:
        return a.unit == b.unit
    return {a.kind, b.kind} in MEETS


def _close(x: Decimal, y: Decimal, precision: Decimal, hedged: bool) -> bool:
    """Equal once rounded to *precision*, a half rounded up (4.5 is 5, not 4); a hedge allows 10%."""
    gap, half = abs(x - y), precision / 2
    if hedged and gap <= max(x, y) * HEDGE_TOLERANCE:
        return True
    if gap < half * Decimal("0.9999"):
        return True
    coarse, fine = (x, y) if x % precision == 0 else (y, x)
    return gap <= half * Decimal("1.0001") and fine < coarse


def _day(figure: Figure) -> Decimal:
    return figure.value % 100 if figure.kind == "date" else figure.value


def agree(a: Figure, b: Figure) -> bool:
    """Equal after rounding to the coarser precision (a hedged figure: within 10%)."""
    if {a.kind, b.kind} == {"day", "date"}:
        return _day(a) == _day(b)
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


def _shape(figure: Figure) -> str:
    """The digits written, without the point or leading and trailing zeros: 12.7 and 127 are both "127"."""
    return _digits(figure, figure.precision).strip("0")


def significant(figure: Figure) -> int:
    """How many digits the figure is written to: 6.3903 has five, 47 million two, 2000 one."""
    return len(_digits(figure, figure.precision).lstrip("0")) if figure.value else 1


def scale_slip(a: Figure, b: Figure) -> str | None:
    """"10× apart" when one figure is the other moved by a power of ten."""
    x, y = abs(a.value), abs(b.value)
    if x == 0 or y == 0 or a.kind in CALENDAR or b.kind in CALENDAR:
        return None
    (big, big_p), (small, small_p) = sorted([(x, a.precision), (y, b.precision)], reverse=True)
    hedged = a.hedged or b.hedged
    for power in SCALE_SLIPS:
        factor = Decimal(10) ** power
        if _close(big, small * factor, max(big_p, small_p * factor), hedged):
            return f"{factor}× apart"
    return None


def misprint(a: Figure, b: Figure) -> str | None:
    """"digits transposed" / "a digit differs" for two figures of one size written differently, compared as
    far as both say, and that to two digits at least (7.9 against 5 is no slip of one digit)."""
    x, y = abs(a.value), abs(b.value)
    if x == 0 or y == 0 or a.kind in CALENDAR or b.kind in CALENDAR:
        return None
    da, db = (_digits(f, max(a.precision, b.precision)) for f in (a, b))   # as far as both say
    if x.adjusted() != y.adjusted() or len(da) != len(db) or len(da.strip("0")) < 2 and len(db.strip("0")) < 2:
        return None
    differ = sum(p != q for p, q in zip(da, db))
    if differ == 2 and sorted(da) == sorted(db):
        return "digits transposed"
    return "a digit differs" if differ == 1 else None


def wrong_unit(a: Figure, b: Figure) -> str | None:
    """The same value with the wrong unit: a percentage in one language and percentage points in the other,
    one currency for another (8.2 trillion dollars, 8.2万亿元), months for years."""
    units = {a.kind, b.kind} == {"percent", "points"} or (a.kind == b.kind and a.kind in ("money", "duration")
                                                         and a.unit != b.unit)
    return f"the same figure in {_unit(a)} and in {_unit(b)}" if units and agree(a, b) else None


def _unit(figure: Figure) -> str:
    if figure.kind == "money":
        return figure.unit
    if figure.kind == "duration":
        return figure.unit + "s"
    return {"percent": "percent", "points": "percentage points"}[figure.kind]


class _Story:
    """One story's figures while they are paired: what is left, and how sure a pairing is."""

    def __init__(self, en: list[Figure], zh: list[Figure]) -> None:
        self.en, self.zh = en, zh
        self.left_en, self.left_zh = list(en), list(zh)
        self.pairs: list[Pair] = []

    def subject(self, a: Figure, b: Figure) -> str:
        """"same" when their clauses name a subject in common, "different" when both sentences name subjects
        and none is shared, "unknown" else."""
        if a.anchors & b.anchors:
            return "same"
        return "different" if a.topic and b.topic and not a.topic & b.topic else "unknown"

    def sole(self, a: Figure, b: Figure) -> bool:
        """Each is the only figure of its kind and unit in its language's text of the story."""
        return (sum(f.kind == a.kind and f.unit == a.unit for f in self.en) == 1
                and sum(f.kind == b.kind and f.unit == b.unit for f in self.zh) == 1)

    def linked(self, a: Figure, b: Figure, by: str = "clause") -> bool:
        """Figures in *a*'s clause (or sentence) and in *b*'s were found to be one figure (8% with 8%, so
        81.7 billion yuan and 92亿元 beside them say the same thing): the surest sign of one subject.  A date
        or a quarter found in both links nothing: many figures share one period."""
        return any(p.status == "match" and p.en is not None and p.zh is not None and p.kind not in CALENDAR
                   and getattr(p.en, by) == getattr(a, by) and getattr(p.zh, by) == getattr(b, by) for p in self.pairs)

    def certain(self, a: Figure, b: Figure, slip: bool, distinctive: bool = False) -> bool:
        """Sure that *a* and *b* are one figure: linked in their clauses, or the only figures of their kind;
        a pair shaped like a slip also when linked in their sentences, about one subject, or too distinctive
        for chance.  Never two figures about different subjects."""
        subject = self.subject(a, b)
        if subject == "different":
            return False
        if self.linked(a, b) or self.sole(a, b):
            return True
        return slip and (subject == "same" or distinctive or self.linked(a, b, "sentence"))

    def take(self, status: str, a: Figure, b: Figure, why: str = "") -> None:
        self.pairs.append(Pair(status, a, b, why))
        self.left_en.remove(a)
        self.left_zh.remove(b)

    def contradiction(self, a: Figure, b: Figure, why: str, slip: bool = True, distinctive: bool = False) -> None:
        certain = self.certain(a, b, slip, distinctive)
        self.take("contradiction" if certain else "doubt", a, b, why if certain else why + "; not certainly one figure")

    def match_agreeing(self) -> None:
        """What agrees, the closest pairs first (120 with 120, not with 121.02 that it also agrees with)."""
        agreeing = sorted((abs(abs(a.value) - abs(b.value)), i, j) for i, a in enumerate(self.en)
                          for j, b in enumerate(self.zh) if compatible(a, b) and agree(a, b))
        for _, i, j in agreeing:
            a, b = self.en[i], self.zh[j]
            if a in self.left_en and b in self.left_zh:
                if opposite(a, b):
                    self.contradiction(a, b, _signs(a, b), distinctive=min(significant(a), significant(b)) >= 2)
                else:
                    self.take("match", a, b)

    def match_slips(self) -> None:
        """A pair that looks like one figure written wrongly: a power of ten, a digit, two digits swapped, the
        right value in the wrong unit; the best-founded pairs first: linked, then written with the same digits
        (12.7 and 127 before 12.7 and 1.3), then about one subject, of one kind, to one precision (10.6 and
        20.6 before 10.6 and 12), then the closest."""
        found = sorted(((not self.linked(a, b), _shape(a) != _shape(b), SUBJECTS.index(self.subject(a, b)),
                         a.kind != b.kind, a.precision != b.precision, _distance(a, b), i, j, slip)
                        for i, a in enumerate(self.left_en) for j, b in enumerate(self.left_zh)
                        for slip in [(compatible(a, b) and (scale_slip(a, b) or misprint(a, b))) or wrong_unit(a, b)]
                        if slip), key=lambda t: t[:8])
        en, zh = list(self.left_en), list(self.left_zh)
        for *_, i, j, slip in found:
            a, b = en[i], zh[j]
            if a in self.left_en and b in self.left_zh:
                same_value = slip.startswith("the same figure")
                self.contradiction(a, b, slip, distinctive=min(significant(a), significant(b)) >= (
                    2 if same_value else DISTINCTIVE))

    def match_bare(self) -> None:
        """A bare number may name an amount the other language gives a unit (4.3 billion, 43亿元)."""
        for a in list(self.left_en):
            for b in self.left_zh:
                if "number" in (a.kind, b.kind) and a.kind != b.kind and a.value == b.value and not (
                        {a.kind, b.kind} & set(CALENDAR)) or ({a.kind, b.kind} == {"number", "money"} and agree(a, b)):
                    self.take("match", a, b)
                    break

    def set_beside(self) -> None:
        """What English still holds beside the closest Chinese figure that could be it; a pair is certain
        only by its subject or as the only figure of its kind in each language, else a doubt."""
        for a in list(self.left_en):
            if a.kind in NOT_SET_BESIDE:
                continue
            found = [b for b in self.left_zh if compatible(a, b) and self.subject(a, b) != "different"]
            if not found:
                continue
            b = min(found, key=lambda c: (not self.linked(a, c), self.subject(a, c) != "same", _distance(a, c)))
            slip = not opposite(a, b) and bool(scale_slip(a, b) or misprint(a, b))
            self.contradiction(a, b, _why(a, b, self.subject(a, b) == "same"), slip=slip)

    def result(self) -> list[Pair]:
        return (self.pairs + [Pair("one-language", a, None) for a in self.left_en]
                + [Pair("one-language", None, b) for b in self.left_zh])


def _distance(a: Figure, b: Figure) -> tuple[Decimal, int]:
    """How far apart two figures are: by value (as a ratio for amounts), then by place in the story."""
    x, y = abs(a.value), abs(b.value)
    if a.kind in CALENDAR or not (x and y):
        gap = abs(_day(a) - _day(b)) if {a.kind, b.kind} == {"day", "date"} else abs(x - y)
    else:
        gap = abs((x / y).ln())
    return gap, abs(a.start - b.start)


def _why(a: Figure, b: Figure, same_subject: bool) -> str:
    if opposite(a, b):
        return _signs(a, b)
    slip = scale_slip(a, b) or misprint(a, b)
    if slip:
        return slip
    if a.kind in CALENDAR:
        return f"different {'day' if a.kind == 'date' and b.kind == 'day' else a.kind}s"
    if same_subject:
        about = ", ".join(sorted(a.anchors & b.anchors))
        return f"different figures for the same subject ({about})"
    return f"different figures, the only {a.kind} in each language"


def compare(story: int, en_text: str, zh_text: str, accepted: bool = False,
            accept: Sequence[str] = ()) -> StoryFigures:
    """Match the figures of one story's English and Chinese texts."""
    state = _Story(english(en_text), chinese(zh_text))
    state.match_agreeing()
    state.match_slips()
    state.match_bare()
    state.set_beside()
    pairs = tuple(replace(p, accepted=True) if p.status in ("contradiction", "doubt") and (accepted or any(
        _names(name, f) for name in accept for f in (p.en, p.zh) if f is not None)) else p for p in state.result())
    return StoryFigures(story, pairs, accepted, tuple(accept))


def check_stories(stories: Sequence[tuple[int, str, str, bool, Sequence[str]]]) -> list[StoryFigures]:
    """(story, English, Chinese, accepted, figures accepted by name) for each story -> what its figures say."""
    return [compare(*story) for story in stories]
