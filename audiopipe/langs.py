"""Languages of the show, and how to tell them apart by script."""

from __future__ import annotations

import re

LANGS: tuple[str, ...] = ("en", "zh")
LANG_NAMES = {"en": "English", "zh": "Chinese"}
ISO639_2 = {"en": "eng", "zh": "zho"}

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")

# One Han character carries about as much speech as three Latin letters
# (an English word of ~5 letters ~ 1.5 characters), so a Chinese sentence that
# quotes "CFETS" or "6.3903" stays Chinese, and an English one quoting 人民币 stays English.
HAN_WEIGHT = 3


def count_han(text: str) -> int:
    return len(_HAN.findall(text))


def count_latin(text: str) -> int:
    return len(_LATIN.findall(text))


def dominant_lang(text: str) -> str | None:
    """'zh' or 'en' by dominant script, None when the text has no letters at all."""
    han, latin = count_han(text), count_latin(text)
    if han == 0 and latin == 0:
        return None
    return "zh" if han * HAN_WEIGHT >= latin else "en"
