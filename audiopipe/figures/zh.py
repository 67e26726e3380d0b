"""Chinese figures spelled out for speech, news style.

Years digit by digit (2028年 -> 二零二八年), counts in 万/亿 (2000人 -> 两千人), decimals digit by
digit after 点 keeping 二 (200.07亿 -> 二百点零七亿), a minus sign read (负), percentages and
ranges (3-5% -> 百分之三到百分之五), money with its currency after the amount ($13亿 -> 十三亿美元),
codes digit by digit (600519.SH -> 六零零五一九点S H), Latin abbreviations letter by letter.
"""

from __future__ import annotations

import re
from collections.abc import Callable

Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]

DIGITS = "零一二三四五六七八九"
NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
CURRENCIES = {"US$": "美元", "$": "美元", "＄": "美元", "USD": "美元", "HK$": "港元", "HKD": "港元",
              "S$": "新加坡元", "NT$": "新台币", "A$": "澳元", "C$": "加元", "€": "欧元", "EUR": "欧元",
              "£": "英镑", "GBP": "英镑", "¥": "元", "￥": "元", "CNY": "元", "JPY": "日元"}
_CUR = "|".join(re.escape(c) for c in sorted(CURRENCIES, key=len, reverse=True))
COUNTED = "个家名位人只次天周年倍种项条台辆座所架点亿万千百岁股批轮份"
"""Measure words after which 2 is read 两 (两家, 两倍, 两点); 二 stays in 二季度, 第二."""


def integer(n: int) -> str:
    """An integer read in Chinese: 2000 -> 两千, 12 -> 十二, 105 -> 一百零五, 150000 -> 十五万."""
    if n == 0:
        return "零"
    if n < 0:
        return "负" + integer(-n)
    parts = []
    for unit, size in (("亿", 10 ** 8), ("万", 10 ** 4), ("", 1)):
        chunk = n // size % 10000 if size < 10 ** 8 else n // size
        parts.append((chunk, unit))
    out, zero_pending = "", False
    for chunk, unit in parts:
        if chunk == 0:
            zero_pending = bool(out)
            continue
        text = _four(chunk) if chunk < 10000 else integer(chunk)
        if out and (zero_pending or chunk < 1000):
            out += "零"
        out += text + unit
        zero_pending = False
    if out.startswith("一十"):
        out = out[1:]
    if n >= 200:
        out = out.replace("二千", "两千").replace("二百", "两百")
        if out.startswith(("二万", "二亿")):
            out = "两" + out[1:]
    return out


def _four(n: int) -> str:
    out, zero = "", False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d = n // value % 10
        if d == 0:
            zero = bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        out += DIGITS[d] + unit
    return out


def ordinal(n: int) -> str:
    """A number that names a place or a figure, not a count: 二 throughout (第二百, 二点零)."""
    out = integer(n).replace("两千", "二千").replace("两百", "二百")
    return "二" + out[1:] if out.startswith(("两万", "两亿")) else out


def digits(text: str) -> str:
    """Digit by digit: 2028 -> 二零二八."""
    return "".join(DIGITS[int(c)] for c in text if c.isdigit())


def decimal(text: str) -> str:
    """A decimal read in Chinese, sign included: -2.5 -> 负二点五, 200.07 -> 二百点零七 (a figure with
    decimals keeps 二, the counting 两 is for whole numbers: 200 -> 两百)."""
    negative = text[:1] in "-−"
    whole, _, frac = text.lstrip("-−+").partition(".")
    n = int(whole.replace(",", "") or "0")
    out = ordinal(n) + "点" + digits(frac) if frac else integer(n)
    return ("负" if negative else "") + out


def time(hour: int, minute: int) -> str:
    """A time of day: 3:00 -> 三点, 2:00 -> 两点, 15:30 -> 十五点三十分, 9:05 -> 九点零五分."""
    spoken = ("两" if hour == 2 else ordinal(hour)) + "点"
    return spoken if minute == 0 else spoken + ("零" if minute < 10 else "") + integer(minute) + "分"


def _count(m: re.Match[str]) -> str:
    sign, number, after = m["sign"] or "", m["n"], m["after"] or ""
    if number == "2" and after[:1] in COUNTED and after:
        spoken = "两"
    else:
        spoken = decimal(number)
    return ("负" if sign in ("-", "−") else "") + spoken


def _money(m: re.Match[str]) -> str:
    name = CURRENCIES.get(m["cur"], "")
    sign = "负" if m["sign"] else ""
    amount = _count_text(m["num"], m["scale"] or "")
    return sign + amount + (m["scale"] or "") + name


def _count_text(number: str, after: str) -> str:
    return "两" if number == "2" and after[:1] in COUNTED and after else decimal(number)


def _percent(m: re.Match[str]) -> str:
    sign = "负" if m["sign"] in ("-", "−") else ""
    first = sign + "百分之" + decimal(m["a"])
    if not m["b"]:
        return first
    joiner = "至" if m["sep"] == "至" else "到"
    return first + joiner + "百分之" + decimal(m["b"])


def _date(m: re.Match[str]) -> str:
    return f"{digits(m[1])}年{ordinal(int(m[2]))}月{ordinal(int(m[3]))}日"


RULES: list[Rule] = [
    (re.compile(r"(?<!\d)(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?![\d/-])(?:日)?"), _date),
    (re.compile(r"(?<![\d-])(?:0\d{2,3}-\d{7,8}|\d{3,4}(?:-\d{3,4}){2,})(?![\d-])"),
     lambda m: " ".join(digits(g) for g in m.group(0).split("-"))),
    (re.compile(r"(?<!\d)(\d{3,6})\.([A-Z]{1,2})(?![A-Za-z])"), lambda m: f"{digits(m[1])}点{' '.join(m[2])}"),
    (re.compile(r"(代码[:：]?\s*)(\d{4,6})(?!\d)"), lambda m: m[1] + digits(m[2])),
    (re.compile(r"FY\s?(\d{4})"), lambda m: digits(m[1]) + "财年"),
    (re.compile(r"(?<![A-Za-z])Q([1-4])(?![A-Za-z\d])"), lambda m: "第" + DIGITS[int(m[1])] + "季度"),
    (re.compile(r"(?<![A-Za-z])H([12])(?![A-Za-z\d])"), lambda m: "上半年" if m[1] == "1" else "下半年"),
    (re.compile(r"(?<!\d)(\d{4})\s*([-–~至到])\s*(\d{4})(?=年|财年)"),
     lambda m: digits(m[1]) + ("至" if m[2] == "至" else "到") + digits(m[3])),
    (re.compile(r"(?<!\d)(\d{4})(?=年|财年)"), lambda m: digits(m[1])),
    (re.compile(r"(?<![\d.])(\d{1,2})\s*[-–—~～至到]\s*(\d{1,2})(?=月)"),        # 1—8月: January to August
     lambda m: f"{ordinal(int(m[1]))}至{ordinal(int(m[2]))}"),
    (re.compile(r"(?<!\d)(\d{1,2})月(\d{1,2})([日号])"), lambda m: f"{ordinal(int(m[1]))}月{ordinal(int(m[2]))}{m[3]}"),
    (re.compile(r"(?<!\d)(\d{1,2})(?=月)"), lambda m: ordinal(int(m[1]))),
    (re.compile(r"(?<![\d.])(\d{1,2})(?=[日号])"), lambda m: ordinal(int(m[1]))),
    (re.compile(r"(?<![0-9:])([01]?\d|2[0-3])[:：]([0-5]\d)(?![0-9:])"), lambda m: time(int(m[1]), int(m[2]))),
    (re.compile(r"(?<![0-9.])(\d{1,2})(?=点(?:半|\d|钟|[，。、开举召发公结收停前后起到至]|$))"),
     lambda m: time(int(m[1]), 0)[:-1]),
    (re.compile(rf"(?<![0-9A-Za-z.])(?P<sign>[-−])?(?P<n>{NUM})\s*(?:℃|°C)"),
     lambda m: ("零下" if m["sign"] else "") + decimal(m["n"]) + "摄氏度"),
    (re.compile(rf"(?<![0-9A-Za-z.])(?P<sign>[-−+])?(?P<a>{NUM})\s*[%％]?\s*(?P<sep>[-–~至到])\s*(?P<b>{NUM})\s*[%％]"
                rf"|(?<![0-9A-Za-z.])(?P<sign2>[-−+])?(?P<a2>{NUM})\s*[%％]"),
     lambda m: _percent(m) if m["a"] else _percent_one(m)),
    (re.compile(rf"(?<![0-9A-Za-z.])({NUM})\s*(?:bps|bp|BPS|BP)(?![A-Za-z])"), lambda m: decimal(m[1]) + "个基点"),
    (re.compile(rf"(?P<sign>[-−])?(?P<cur>{_CUR})\s*(?P<num>{NUM})(?P<scale>万亿|亿|万)?"), _money),
    (re.compile(rf"RMB\s*(?P<num>{NUM})(?P<scale>万亿|亿|万)?"),
     lambda m: "人民币" + _count_text(m["num"], m["scale"] or "") + (m["scale"] or "")),
    (re.compile(rf"(?<![0-9A-Za-z.])(?P<num>{NUM})(?P<scale>万亿|亿|万)?\s*(?P<code>USD|HKD|EUR|GBP|JPY|CNY|RMB)"),
     lambda m: _count_text(m["num"], m["scale"] or "") + (m["scale"] or "")
     + ("元人民币" if m["code"] in ("CNY", "RMB") else CURRENCIES[m["code"]])),
    (re.compile(r"(?<!\d)(\d{1,3})/(\d{1,3})(?![\d/])"), lambda m: integer(int(m[2])) + "分之" + integer(int(m[1]))),
    (re.compile(r"第(\d+)"), lambda m: "第" + ordinal(int(m[1]))),
    (re.compile(rf"(?<![0-9A-Za-z.])({NUM})\s*[-–—~～]\s*({NUM})(?![\d.])"), lambda m: decimal(m[1]) + "到" + decimal(m[2])),
    (re.compile(rf"(?<![0-9.])(?:(?<![A-Za-z])(?P<sign>[-−](?=\d)))?(?P<n>{NUM})(?![\d.])(?=(?P<after>.?))", re.S),
     _count),
    (re.compile(r"\d"), lambda m: DIGITS[int(m.group(0))]),
    (re.compile(r"[%％]"), lambda m: "百分比"),
    (re.compile(r"[$＄]"), lambda m: "美元"),
    (re.compile(r"[¥￥]"), lambda m: "元"),
    (re.compile(r"€"), lambda m: "欧元"),
    (re.compile(r"£"), lambda m: "英镑"),
    (re.compile(r"(?<![A-Za-z])([A-Z]{2,5})(?![A-Za-z])"), lambda m: " ".join(m[1])),
]


def _percent_one(m: re.Match[str]) -> str:
    return ("负" if m["sign2"] in ("-", "−") else "") + "百分之" + decimal(m["a2"])


def read(text: str) -> str:
    """*text* with every figure in Chinese words."""
    for pattern, replace in RULES:
        text = pattern.sub(replace, text)
    return text
