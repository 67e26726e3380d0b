"""English figures spelled out for speech, news style.

Rules run in order over the text, each a pattern and what a match becomes; later rules see the
words earlier ones wrote.  The most specific forms come first (dates, phone numbers, tickers,
times, money), the plain number last, and a final sweep leaves no ASCII digit and no $ ¥ € £ %.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable

from audiopipe.figures import words as w

Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]

NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
"""A written number: 1,250,300 or 6.3903 or 12."""
_MONTHS = {name.lower(): name for name in calendar.month_name if name}
_MONTHS.update({name[:3].lower(): full for name, full in
                ((n, n) for n in calendar.month_name if n)})
_MONTHS["sept"] = "September"
MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December" \
        r"|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\b\.?)"
SCALE_WORDS = {"trillion": "trillion", "tn": "trillion", "trn": "trillion", "billion": "billion",
               "bn": "billion", "million": "million", "mn": "million", "mln": "million", "m": "million",
               "thousand": "thousand", "k": "thousand"}
SCALE = r"trillion|billion|million|thousand|trn|tn|bn|mln|mn|m|k"

# symbol or code -> (singular, plural, hundredth singular, hundredth plural); "" = read as a decimal
CURRENCIES: dict[str, tuple[str, str, str, str]] = {
    "$": ("dollar", "dollars", "cent", "cents"), "＄": ("dollar", "dollars", "cent", "cents"),
    "US$": ("US dollar", "US dollars", "cent", "cents"), "USD": ("US dollar", "US dollars", "cent", "cents"),
    "HK$": ("Hong Kong dollar", "Hong Kong dollars", "", ""), "HKD": ("Hong Kong dollar", "Hong Kong dollars", "", ""),
    "S$": ("Singapore dollar", "Singapore dollars", "", ""),
    "A$": ("Australian dollar", "Australian dollars", "", ""),
    "C$": ("Canadian dollar", "Canadian dollars", "", ""),
    "NT$": ("New Taiwan dollar", "New Taiwan dollars", "", ""),
    "€": ("euro", "euros", "cent", "cents"), "EUR": ("euro", "euros", "cent", "cents"),
    "£": ("pound", "pounds", "penny", "pence"), "GBP": ("pound", "pounds", "penny", "pence"),
    "¥": ("yuan", "yuan", "", ""), "￥": ("yuan", "yuan", "", ""), "RMB": ("yuan", "yuan", "", ""),
    "CNY": ("yuan", "yuan", "", ""), "JPY": ("yen", "yen", "", ""),
}
_CUR = "|".join(re.escape(c) for c in sorted(CURRENCIES, key=len, reverse=True))
YEAR_BEFORE = (r"in|since|by|from|until|till|through|during|before|after|of|for|between|early|late|mid"
               r"|around|circa|year|fiscal|the|its|their|his|her|our|this|that|last|next")
YEAR = r"1[1-9]\d\d|20\d\d"


def _month(name: str) -> str:
    return _MONTHS[name.rstrip(".").lower()]


def _capital(m: re.Match[str], spoken: str) -> str:
    """*spoken* with a capital letter where the match opens a sentence."""
    before = m.string[:m.start()].rstrip(" ")
    return spoken[:1].upper() + spoken[1:] if not before or before[-1] in ".!?\n" else spoken


def _iso_date(m: re.Match[str]) -> str:
    try:
        day = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return " ".join(w.digits(part) for part in m.groups())
    return f"{day:%B} {w.ordinal(day.day)}, {w.year(day.year)}"


def _month_day(m: re.Match[str]) -> str:
    out = f"{_month(m['month'])} {w.ordinal(int(m['day']))}"
    return out + (f", {w.year(int(m['year']))}" if m["year"] else "")


def _day_month(m: re.Match[str]) -> str:
    out = f"the {w.ordinal(int(m['day']))} of {_month(m['month'])}"
    return out + (f" {w.year(int(m['year']))}" if m["year"] else "")


def _groups(m: re.Match[str]) -> str:
    plus = "plus " if m.group(0).startswith("+") else ""
    return plus + ", ".join(w.digits(g) for g in re.findall(r"\d+", m.group(0)))


def _ticker(m: re.Match[str]) -> str:
    return f"{w.digits(m[1])} dot {' '.join(m[2])}"


def _time(m: re.Match[str]) -> str:
    suffix = (m["ap"].upper() + "M") if m["ap"] else ""
    spoken = w.clock(int(m["h"]), int(m["min"] or 0), suffix)
    return spoken + ("." if suffix and m.end() == len(m.string) and m.group(0).endswith(".") else "")


def _quarter(m: re.Match[str]) -> str:
    which = w.ordinal(int(m["n"])) + (" quarter" if m["q"].upper() == "Q" else " half")
    spoken = (f"{m['pre']} the {which}" if m["pre"] else which)
    if m["year"]:
        spoken += f" of {w.year(int(m['year']))}"
    return _capital(m, spoken)


def _fiscal(m: re.Match[str]) -> str:
    n = int(m[1])
    return _capital(m, "fiscal " + w.year(n if n >= 100 else 2000 + n))


def _decade(m: re.Match[str]) -> str:
    if m["short"]:
        return w.plural(w.cardinal(int(m["short"])))
    return w.plural(w.year(int(m["full"])))


def _money(m: re.Match[str]) -> str:
    one, many, cent, cents = CURRENCIES[m["cur"].strip()]
    sign = {"-": "minus ", "−": "minus ", "+": "plus "}.get(m["sign"] or "", "")
    amount, second, scale = m["num"], m["num2"], m["scale"]
    if scale:
        spoken = w.decimal(amount) + (f" to {w.decimal(second)}" if second else "")
        return f"{sign}{spoken} {SCALE_WORDS[scale]} {many}"
    if second:
        return f"{sign}{w.decimal(amount)} to {w.decimal(second)} {many}"
    whole, _, frac = amount.replace(",", "").partition(".")
    if len(frac) == 2 and cent:
        units, hundredths = int(whole), int(frac)
        parts = [f"{w.cardinal(units)} {one if units == 1 else many}"] if units or not hundredths else []
        if hundredths:
            parts.append(f"{w.cardinal(hundredths)} {cent if hundredths == 1 else cents}")
        return sign + " and ".join(parts)
    return f"{sign}{w.decimal(amount)} {one if amount == '1' else many}"


def _percent(m: re.Match[str]) -> str:
    sign = m["sign"] or ""
    about = "about " if sign == "~" else ""
    first = w.decimal(("" if about else sign) + m["a"])
    if m["b"]:
        return f"{about}{first}{' percent' if m['pa'] else ''} to {w.decimal(m['b'])} percent"
    return f"{about}{first} percent"


def _points(m: re.Match[str]) -> str:
    unit = "basis point" if m["u"].lower().startswith("b") else "percentage point"
    return f"{w.decimal(m[1])} {unit}{'' if m[1] == '1' else 's'}"


def _year_span(m: re.Match[str]) -> str:
    spoken = f"{m['pre']} {w.year(int(m['y1']))}"
    if m["y2"]:
        sep = "to" if m["sep"] in "-–" else m["sep"]
        spoken += f" {sep} {w.year(int(m['y2']))}"
    return spoken


def _fraction(m: re.Match[str]) -> str:
    top, bottom = int(m[1]), int(m[2])
    if top >= bottom or bottom > 10:    # 24/7, 50/50: not a fraction of a whole
        return f"{w.cardinal(top)} {w.cardinal(bottom)}"
    if bottom == 2:
        name = "half" if top == 1 else "halves"
    elif bottom == 4:
        name = "quarter" if top == 1 else "quarters"
    else:
        name = w.ordinal(bottom) + ("" if top == 1 else "s")
    return f"{w.cardinal(top)} {name}"


def _number(m: re.Match[str]) -> str:
    return w.decimal((m["sign"] or "") + m["n"])


RULES: list[Rule] = [
    (re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b"), _iso_date),
    (re.compile(r"\+\d{1,3}(?:[ -]\d{1,4}){2,}\b|(?<![\d-])\d{3,4}(?:-\d{3,4}){2,}\b"), _groups),
    (re.compile(r"\b(\d{3,6})\.([A-Z]{1,2})\b"), _ticker),
    (re.compile(rf"\b(?P<month>{MONTH})\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\b(?:,\s*(?P<year>{YEAR})\b)?"),
     _month_day),
    (re.compile(rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<month>{MONTH})(?:\s+(?P<year>{YEAR})\b)?"),
     _day_month),
    (re.compile(rf"\b(?P<month>{MONTH})\s+(?P<year>{YEAR})\b"),
     lambda m: f"{_month(m['month'])} {w.year(int(m['year']))}"),
    (re.compile(r"\b(?P<h>1[0-2]|0?[1-9])(?::(?P<min>[0-5]\d))?\s*(?P<ap>[ap])\.?m\b\.?", re.I), _time),
    (re.compile(r"(?<![\d:])(?P<h>[01]?\d|2[0-3]):(?P<min>[0-5]\d)(?![\d:])(?P<ap>)"), _time),
    (re.compile(rf"(?i:\b(?P<pre>in|for|during|from|since|by|over|through)\s+)?\b(?P<q>[QH])(?P<n>[1-4])\b"
                rf"(?:\s+(?P<year>{YEAR})\b)?"), _quarter),
    (re.compile(r"\bFY\s?(\d{4}|\d{2})\b"), _fiscal),
    (re.compile(r"(?:\b(?P<full>\d{2}\d0)|['’](?P<short>\d0))s\b"), _decade),
    (re.compile(rf"(?<![A-Za-z])(?P<sign>[-−+])?(?P<cur>{_CUR})\s?(?P<num>{NUM})(?:\s?[-–]\s?(?P<num2>{NUM}))?"
                rf"(?:\s?(?P<scale>{SCALE})\b)?"), _money),
    (re.compile(rf"(?<![\w.])({NUM})\s?(?P<u>bps|bp|ppts|ppt|pp)\b"), _points),
    (re.compile(rf"(?<![\w.,])(?P<sign>[-−+~])?(?P<a>{NUM})\s?(?:(?P<pa>[%％])?\s?[-–]\s?(?P<b>{NUM}))?\s?[%％]"),
     _percent),
    (re.compile(rf"(?<![\w.])(?P<sign>[-−])?(?P<n>{NUM})\s?°C"),
     lambda m: f"{w.decimal((m['sign'] or '') + m['n'])} degrees Celsius"),
    (re.compile(r"\b(\d+)(?:st|nd|rd|th)\b"), lambda m: w.ordinal(int(m[1]))),
    (re.compile(r"(?<![\d/])\b(\d{1,2})/(\d{1,2})\b(?!/)"), _fraction),
    (re.compile(rf"(?<![\w.])({NUM})x\b"), lambda m: f"{w.decimal(m[1])} times"),
    (re.compile(r"\bNo\.\s?(\d+)|#(\d+)"), lambda m: f"number {w.cardinal(int(m[1] or m[2]))}"),
    (re.compile(rf"(?<![\w.])({NUM})\s?(?P<s>trn|tn|bn|mln|mn|k)\b"),
     lambda m: f"{w.decimal(m[1])} {SCALE_WORDS[m['s']]}"),
    (re.compile(r"\b(\d{1,2})([A-Z])\b"), lambda m: f"{w.cardinal(int(m[1]))} {m[2]}"),
    (re.compile(r"\b([A-Za-z]+)-?(\d{1,4})\b"), lambda m: f"{m[1]} {w.code_number(m[2])}"),
    (re.compile(r"\b([A-Za-z]+)(\d{1,4})([A-Za-z]+)\b"), lambda m: f"{m[1]} {w.code_number(m[2])} {m[3]}"),   # B2B
    (re.compile(r"\b(\d{1,4})(?=[A-Za-z]{2,}\b)"), lambda m: f"{w.cardinal(int(m[1]))} "),   # 36Kr, 16Pro
    (re.compile(rf"(?i:\b(?P<pre>{YEAR_BEFORE})|(?<=\w)(?P<pos>['’]s))\s+(?P<y1>{YEAR})\b(?![,.]\d)"
                rf"(?:\s*(?P<sep>-|–|to|and|through|until|or)\s*(?P<y2>{YEAR})\b(?![,.]\d))?"),
     lambda m: _year_span(m) if m["pre"] else m["pos"] + " " + _year_span_bare(m)),
    (re.compile(rf"(?<![\w.,])(?P<sign>[-−+](?=\d))?(?P<n>{NUM})(?![\d])"), _number),
    (re.compile(r"\d+"), lambda m: w.digits(m.group(0))),
    (re.compile(r"\s?[%％]"), lambda m: " percent"),
    (re.compile(r"[$＄]"), lambda m: "dollars "),
    (re.compile(r"[¥￥]"), lambda m: "yuan "),
    (re.compile(r"€"), lambda m: "euros "),
    (re.compile(r"£"), lambda m: "pounds "),
]


def _year_span_bare(m: re.Match[str]) -> str:
    spoken = w.year(int(m["y1"]))
    if m["y2"]:
        spoken += f" {'to' if m['sep'] in '-–' else m['sep']} {w.year(int(m['y2']))}"
    return spoken


def read(text: str) -> str:
    """*text* with every figure in English words."""
    for pattern, replace in RULES:
        text = pattern.sub(replace, text)
    return text
