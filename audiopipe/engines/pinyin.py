"""Pinyin names in English text, read the way a Mandarin speaker says them.

An English voice that reads "Huabei" or "Zhengzhou" letter by letter as English gets them wrong
("Huh-bay", "Zeng-zoo").  A capitalized word made wholly of pinyin syllables is a Chinese name; the
Kokoro engine gives it the phonemes of those syllables (Kokoro's American phoneme letters) instead
of espeak-ng's English guess.  English words that happen to be pinyin-shaped (Long, Sun, Man) and
names English has its own reading for (Beijing) are looked up first in misaki's English lexicon,
the dictionary Kokoro's voices were trained with.
"""

from __future__ import annotations

import functools
import json
import re

INITIALS = (("zh", "ʤ"), ("ch", "ʧ"), ("sh", "ʃ"), ("b", "b"), ("p", "p"), ("m", "m"), ("f", "f"),
            ("d", "d"), ("t", "t"), ("n", "n"), ("l", "l"), ("g", "ɡ"), ("k", "k"), ("h", "h"), ("j", "ʤ"),
            ("q", "ʧ"), ("x", "ʃ"), ("r", "ɹ"), ("z", "dz"), ("c", "ts"), ("s", "s"), ("y", "j"), ("w", "w"))
FINALS = {"a": "ɑ", "o": "O", "e": "ʌ", "i": "i", "u": "u", "v": "u", "ai": "I", "ei": "A", "ao": "W",
          "ou": "O", "an": "ɑn", "en": "ʌn", "ang": "ɑŋ", "eng": "ʌŋ", "ong": "ʊŋ", "er": "ɑɹ", "ia": "jɑ",
          "ie": "jɛ", "iao": "jW", "iu": "jO", "ian": "jɛn", "in": "in", "iang": "jɑŋ", "ing": "iŋ",
          "iong": "jʊŋ", "ua": "wɑ", "uo": "wɔ", "uai": "wI", "ui": "wA", "uan": "wɑn", "un": "wʌn",
          "uang": "wɑŋ", "ue": "jɛ", "ve": "jɛ"}
"""Pinyin finals as Kokoro's American phoneme letters (A = eɪ, I = aɪ, O = oʊ, W = aʊ)."""
_BUZZ = {"zh", "ch", "sh", "r", "z", "c", "s"}       # after these, -i is the buzzed vowel
_PALATAL = {"j", "q", "x", "y"}                      # after these, u is ü
_UMLAUT = {"u": "u", "ue": "wɛ", "uan": "wɛn", "un": "un"}   # ü after j, q, x, y
_STANDALONE = {"a", "o", "e", "ai", "ei", "ao", "ou", "an", "en", "ang", "eng", "er"}


def _syllables() -> dict[str, str]:
    out = {final: FINALS[final] for final in _STANDALONE}
    for initial, sound in INITIALS:
        for final, vowel in FINALS.items():
            if initial in _BUZZ and final == "i":
                vowel = "ɜɹ" if initial in {"zh", "ch", "sh", "r"} else "ʌ"
            elif initial in _PALATAL and final in _UMLAUT:
                vowel = _UMLAUT[final]
            elif initial == "y" and final.startswith("i"):
                vowel = FINALS[final].removeprefix("j")
            elif initial == "w" and final.startswith("u"):
                vowel = FINALS[final].removeprefix("w") if final != "u" else "u"
            out[initial + final] = sound + vowel
    return out


SYLLABLES = _syllables()
_LONGEST = max(len(s) for s in SYLLABLES)
_VOWEL = re.compile("[ɑɔʌiuɛɜʊəæAIOWY]")
_WORD = re.compile(r"[A-Z][a-z]+(?:'[a-z]+)?|yuan|renminbi")
"""A capitalized word (a name), or one of the few pinyin words English writes in lower case."""


def split(word: str) -> list[str] | None:
    """*word* as pinyin syllables (``zhengzhou`` -> zheng, zhou; ``xi'an`` -> xi, an), or None."""
    out: list[str] = []
    for part in word.lower().split("'"):
        found = _syllables_of(part)
        if found is None:
            return None
        out += found
    return out


@functools.lru_cache(maxsize=4096)
def _syllables_of(word: str) -> tuple[str, ...] | None:
    if not word:
        return ()
    for size in range(min(_LONGEST, len(word)), 0, -1):       # longest first, backtracking
        head = word[:size]
        if head in SYLLABLES:
            rest = _syllables_of(word[size:])
            if rest is not None and not (rest and rest[0][0] in "aoe" and head[-1] in "ng"):
                return (head, *rest)
    return None


@functools.lru_cache(maxsize=1)
def english_lexicon() -> dict[str, str]:
    """misaki's American English gold lexicon (word -> Kokoro phonemes), or empty without misaki."""
    try:
        import importlib.resources
        text = (importlib.resources.files("misaki") / "data" / "us_gold.json").read_text(encoding="utf-8")
    except (ImportError, OSError):
        return {}
    data = json.loads(text)
    return {k: v for k, v in data.items() if isinstance(v, str)}


def acronym(word: str) -> str | None:
    """An all-capitals word as Kokoro phonemes when misaki's lexicon says it is a word (NASA, OPEC);
    None when it is to be spelled letter by letter (ICBC, BYD)."""
    return english_lexicon().get(word)


BRANDS = {"Tencent": "tˈɛnsˌɛnt", "Temu": "tˈimˌu", "Kweichow": "ɡwˈAʤˌO", "Shein": "ʃˈiɪn"}
"""Chinese brands and names in English whose reading neither espeak-ng nor the pinyin rule gets: Tencent
is TEN-sent (espeak: TEN-sunt, heard as "Tensin"), Temu TEE-moo (not the pinyin te-mu), Kweichow (of
Kweichow Moutai, the old spelling of Guizhou) GWAY-joe, Shein SHE-in (heard as "Shane" in a real digest)."""


def phonemes(word: str) -> str | None:
    """Kokoro phonemes for a capitalized pinyin name or a brand of :data:`BRANDS`, or None otherwise."""
    if word in BRANDS:
        return BRANDS[word]
    if not _WORD.fullmatch(word):
        return None
    syllables = split(word)
    if not syllables:
        return None
    known = english_lexicon()
    for key in (word, word.lower()):
        if key in known:
            return known[key]
    sounds = [SYLLABLES[s] for s in syllables]
    marks = ["ˌ"] * (len(sounds) - 1) + ["ˈ"]          # Kokoro marks stress just before the vowel
    return "".join(_VOWEL.sub(mark + r"\g<0>", sound, count=1) for sound, mark in zip(sounds, marks))


READING_RULES = 2
"""The version of how audiopipe turns text into Kokoro's phonemes (these rules, the brands, the Mandarin
readings, the sentence ends): in Kokoro's engine version, so a take made by older rules is made again."""
_DOTTED = re.compile(r"\b((?:[A-Z]\.){2,})(?=\s+[a-z0-9]|[,;:])")


def undotted(text: str) -> str:
    """Initials inside a sentence without their dots ("U.S. dollars" -> "US dollars"): each dot would be a
    clause's end to the voice, a pause and a fall in pitch between two letters; at a sentence's end they stay."""
    return _DOTTED.sub(lambda m: m[1].replace(".", ""), text)
