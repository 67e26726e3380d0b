"""Numbers in English words: counts, ordinals, decimals, years, decades, clock times.

American news style: no "and" inside a number (one hundred five), hyphenated tens (twenty-one),
decimals read digit by digit after "point" (six point three nine zero three), years in pairs
(nineteen ninety-nine, twenty twenty-one, two thousand eight, nineteen oh five).
"""

from __future__ import annotations

ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen").split()
TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
SCALES = ((10 ** 12, "trillion"), (10 ** 9, "billion"), (10 ** 6, "million"), (1000, "thousand"))

_ORDINAL_WORDS = {"one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
                  "nine": "ninth", "twelve": "twelfth"}
_PLURAL_WORDS = {"twenty": "twenties", "thirty": "thirties", "forty": "forties", "fifty": "fifties",
                 "sixty": "sixties", "seventy": "seventies", "eighty": "eighties", "ninety": "nineties",
                 "ten": "tens", "hundred": "hundreds", "thousand": "thousands"}


def cardinal(n: int) -> str:
    """1234567 -> one million two hundred thirty-four thousand five hundred sixty-seven."""
    if n < 0:
        return "minus " + cardinal(-n)
    if n < 20:
        return ONES[n]
    if n < 100:
        return TENS[n // 10] + ("-" + ONES[n % 10] if n % 10 else "")
    if n < 1000:
        return ONES[n // 100] + " hundred" + (" " + cardinal(n % 100) if n % 100 else "")
    for size, word in SCALES:
        if n >= size:
            head, rest = divmod(n, size)
            return cardinal(head) + " " + word + (" " + cardinal(rest) if rest else "")
    raise AssertionError(n)   # pragma: no cover - the scales end at a thousand


def ordinal(n: int) -> str:
    """21 -> twenty-first, 100 -> one hundredth, 3 -> third."""
    words = cardinal(n)
    head, sep, last = words.rpartition("-") if "-" in words.rsplit(" ", 1)[-1] else words.rpartition(" ")
    if last in _ORDINAL_WORDS:
        last = _ORDINAL_WORDS[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return head + sep + last


def digits(text: str) -> str:
    """Each digit on its own: 9988 -> nine nine eight eight."""
    return " ".join(ONES[int(c)] for c in text if c.isdigit())


def decimal(text: str) -> str:
    """A written number as words: "1,250" -> one thousand two hundred fifty, "6.3903" -> six point
    three nine zero three, "-0.5" -> minus zero point five."""
    sign = "minus " if text[:1] in "-−" else "plus " if text[:1] == "+" else ""
    whole, _, frac = text.lstrip("-−+").partition(".")
    out = cardinal(int(whole.replace(",", "") or "0"))
    if frac:
        out += " point " + digits(frac)
    return sign + out


def year(n: int) -> str:
    """A year: 1999 -> nineteen ninety-nine, 2008 -> two thousand eight, 2021 -> twenty twenty-one,
    1905 -> nineteen oh five, 1900 -> nineteen hundred."""
    if 2000 <= n < 2010 or n < 1100 or n % 1000 == 0:
        return cardinal(n)
    hi, lo = divmod(n, 100)
    if lo == 0:
        return cardinal(hi) + " hundred"
    return cardinal(hi) + " " + (("oh " + ONES[lo]) if lo < 10 else cardinal(lo))


def plural(words: str) -> str:
    """The decade of a reading: nineteen ninety -> nineteen nineties, two thousand -> two thousands."""
    head, _, last = words.rpartition(" ")
    last = _PLURAL_WORDS.get(last, last + "s")
    return (head + " " + last) if head else last


def code_number(text: str) -> str:
    """Digits inside a name, read as people say them: 20 -> twenty, 320 -> three twenty, 737 ->
    seven thirty-seven, 1080 -> ten eighty; a leading zero or a long run goes digit by digit."""
    n = int(text)
    if text.startswith("0") and len(text) > 1 or len(text) > 4:
        return digits(text)
    if len(text) <= 2:
        return cardinal(n)
    head, tail = divmod(n, 100)
    return cardinal(head) + " " + (("oh " + ONES[tail]) if tail < 10 else cardinal(tail))


def clock(hour: int, minute: int, suffix: str = "") -> str:
    """9:05 -> nine oh five, 15:30 -> fifteen thirty, 10:00 -> ten o'clock, 21:00 -> twenty-one
    hundred; with AM/PM, 9:00 -> nine AM."""
    if minute == 0:
        if suffix:
            return f"{cardinal(hour)} {suffix}"
        return cardinal(hour) + (" o'clock" if hour <= 12 else " hundred")
    spoken = cardinal(hour) + " " + (("oh " + ONES[minute]) if minute < 10 else cardinal(minute))
    return spoken + (" " + suffix if suffix else "")
