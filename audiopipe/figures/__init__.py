"""Figures: spelled out for speech in each language (`read`), and compared across languages (`check`)."""

from __future__ import annotations

from audiopipe.figures import en, zh

RULES = {"en": en.RULES, "zh": zh.RULES}


def read(text: str, lang: str) -> str:
    """*text* with every figure spelled out in words of *lang*."""
    for pattern, replace in RULES[lang]:
        text = pattern.sub(replace, text)
    return text
