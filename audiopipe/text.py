"""Text rules every layer shares: the languages, telling them apart by script, the Han and CJK
character classes, joining pieces of Chinese, the text an engine is given, sentences and chunks."""

from __future__ import annotations

import re
from collections.abc import Callable

LANGS: tuple[str, ...] = ("en", "zh")
LANG_NAMES = {"en": "English", "zh": "Chinese"}
ISO639_2 = {"en": "eng", "zh": "zho"}
"""The three-letter codes ID3 frames require (USLT, COMM)."""
BCP47 = {"en": "en", "zh": "zh-CN"}
"""The one spelling of each language wherever a language tag is written: the feeds (`<language>`,
alternate enclosures, transcripts), the VTT `<lang>` spans and the pages.  zh-CN: Mandarin as written in
mainland China (simplified characters), the form podcast directories list."""
BILINGUAL = "mul"
"""BCP 47's tag for content in several languages: the bilingual transcripts."""
TITLE_SUFFIX = {"en": " (English)", "zh": "（中文）"}
"""What marks a title as one language's edition (an episode's, a show's language feed)."""

HAN_CLASS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef"
"""Han characters (CJK unified ideographs, extension A and B-F, compatibility ideographs): a regex class body."""
CJK_CLASS = HAN_CLASS + "\u3000-\u303f\uff00-\uffef"
"""Han characters plus CJK punctuation and full-width forms."""
HAN = re.compile(f"[{HAN_CLASS}]")
_HAN = HAN
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")

# One Han character carries about as much speech as three Latin letters
# (an English word of ~5 letters ~ 1.5 characters), so a Chinese sentence that
# quotes "CFETS" or "6.3903" stays Chinese, and an English one quoting 人民币 stays English.
HAN_WEIGHT = 3


def count_han(text: str) -> int:
    return len(_HAN.findall(text))


def count_latin(text: str) -> int:
    return len(_LATIN.findall(text))


_SAYABLE_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f0-9]")
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ue000-\uf8ff\ufdd0-\ufdef\ufffe\uffff"
                       "\U000f0000-\U0010ffff]")
"""Not text: control characters, lone surrogates, private-use characters and non-characters."""


def not_text(text: str) -> str | None:
    """Why *text* is not text (``contains U+E000, which is not text; remove it``), or None."""
    bad = _NOT_TEXT.search(text)
    return f"contains U+{ord(bad.group()):04X}, which is not text; remove it" if bad else None


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def one_line(text: str) -> str:
    """A title or a label: no control characters (a bell, a newline from YAML folding), spaces collapsed."""
    return " ".join(_CONTROL.sub(" ", text).split())


MAX_SEGMENT_CHARS = 10_000
"""The longest text one segment holds (about 25 minutes of English speech, 40 of Mandarin)."""


def speakable_problem(text: str, lang: str) -> str | None:
    """Why *text* cannot be spoken as *lang* (too long, nothing to say, not text, mostly another script),
    or None."""
    if len(text) > MAX_SEGMENT_CHARS:
        return (f"is {len(text)} characters long; a segment holds at most {MAX_SEGMENT_CHARS}; split it into "
                "several stories or paragraphs")
    problem = not_text(text)
    if problem:
        return problem
    own = count_han(text) + len(re.findall(r"[0-9]", text)) if lang == "zh" else len(_SAYABLE_LATIN.findall(text))
    other = [c for c in text if c.isalpha() and not (_LATIN.match(c) or HAN.match(c))]
    if own == 0 and not other:
        return (f"has nothing to say in {LANG_NAMES[lang]} (no "
                f"{'Chinese characters' if lang == 'zh' else 'letters'} or digits); write the text")
    if len(other) > own:
        return (f"is mostly in another script ({''.join(other[:6])}…), not {LANG_NAMES[lang]}; write it in "
                f"{LANG_NAMES[lang]}")
    return None


def dominant_lang(text: str) -> str | None:
    """'zh' or 'en' by dominant script, None when the text has no letters at all."""
    han, latin = count_han(text), count_latin(text)
    if han == 0 and latin == 0:
        return None
    return "zh" if han * HAN_WEIGHT >= latin else "en"


_SPACE_BY_CJK = re.compile(f"(?<=[{CJK_CLASS}])\\s+|\\s+(?=[{CJK_CLASS}])")


def spoken_text(text: str) -> str:
    """The text as sent to an engine: whitespace collapsed, none left beside Chinese characters."""
    return _SPACE_BY_CJK.sub("", " ".join(text.split()))


def tidy(text: str, lang: str) -> str:
    """The script's text to show: spaces collapsed, and in Chinese none left beside Chinese characters
    (YAML's line folding puts them there); paragraph breaks kept."""
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip()]
    return "\n\n".join(_SPACE_BY_CJK.sub("", p) if lang == "zh" else p for p in paragraphs)


def join_text(parts: list[str], lang: str) -> str:
    """Pieces of one language's text joined: English with spaces; Chinese with none, except one
    between two Latin letters or digits (``"GDP" + "增长"`` -> ``"GDP增长"``, ``"A" + "股"``, ``"CATL" "said"``)."""
    if lang != "zh":
        return " ".join(parts)
    out = ""
    for p in parts:
        out += (" " if out and out[-1].isascii() and out[-1].isalnum() and p[:1].isascii()
                and p[:1].isalnum() else "") + p
    return out


_SENTENCE_END = re.compile(r"(?<=[.!?;:])(?<!\b[A-Z]\.)(?<!\bMr\.)(?<!\bMs\.)(?<!\bDr\.)(?<!\bSt\.)(?<!\bMrs\.)"
                           r"(?<!\bInc\.)(?<!\bLtd\.)(?<!\bCo\.)(?<!\bCorp\.)(?<!\bvs\.)\s+(?=\S)"
                           r"|(?<=[。！？；])\s*|\n\s*\n")
"""Where a sentence ends: not after an initial or a dotted abbreviation ("U.S. dollars", "J. Smith",
"Dr. Li", "Tencent Co. Ltd."), which would put a sentence's pause inside a name."""


SIGN_OFF = r"\s[–—-]\s?[A-Z][\w&.]*(?:\s[A-Z][\w&.]*){0,3}"
"""A byline or a source tag closing an English line: "… hire again. —Mei Tang", "… campus -TechNode CN"
(the importer's items end at one; the lexicon drops one with ``bylines: drop``)."""
SOURCE_NOTE = r"(?<=[.!?。！？\"”’])[ \t]*\([^()\n]{1,40}\)"
"""A short parenthesis after a paragraph's last sentence, naming where the item came from: "… policies.
(Financial Times $)", "… bedbugs. (The Information)" (closes a newsletter's item; dropped like a byline)."""
_HEADLINE = re.compile(r"\s*(?P<head>[^\n]+?)[ \t]*\n\s*\n(?P<rest>.*\S.*)", re.S)
_ENDED = re.compile(r"[.!?;:。！？；：…]['\"’”)）]*$")
HEADLINE_MAX_WORDS = 20


def headline_split(text: str) -> tuple[str, str] | None:
    """A text that opens with a headline: a first paragraph of one line, at most 20 words (60 characters
    of Chinese), that ends without a sentence's punctuation, then more text: (headline, the rest)."""
    m = _HEADLINE.fullmatch(text)
    if m is None or _ENDED.search(m["head"]):
        return None
    head = m["head"]
    if len(head.split()) > HEADLINE_MAX_WORDS or len(HAN.findall(head)) > 3 * HEADLINE_MAX_WORDS:
        return None
    return head, m["rest"].strip()


def split_sentences(text: str) -> list[str]:
    """Split at sentence ends (Latin and Chinese punctuation); joining the parts gives the text back."""
    parts: list[str] = []
    pos = 0
    for m in _SENTENCE_END.finditer(text):
        if m.end() > pos and m.start() > pos:
            parts.append(text[pos:m.end()])
            pos = m.end()
    if pos < len(text):
        parts.append(text[pos:])
    return [p for p in parts if p]


def chunk_text(text: str, limit: int, size: Callable[[str], int] = len) -> list[str]:
    """Group sentences into chunks whose *size* stays within *limit*.

    Nothing is changed: ``"".join(chunks) == text``.  A single sentence over
    the limit is cut at the last space (or anywhere, for Chinese) before it.
    """
    chunks: list[str] = []
    current = ""
    for sentence in split_sentences(text):
        while size(sentence) > limit:
            cut = _cut_point(sentence, limit, size)
            if current:
                chunks.append(current)
                current = ""
            chunks.append(sentence[:cut])
            sentence = sentence[cut:]
        if current and size(current + sentence) > limit:
            chunks.append(current)
            current = ""
        current += sentence
    if current:
        chunks.append(current)
    return chunks


def _cut_point(sentence: str, limit: int, size: Callable[[str], int]) -> int:
    lo, hi = 1, len(sentence)
    while lo < hi:          # the longest prefix within the limit
        mid = (lo + hi + 1) // 2
        if size(sentence[:mid]) <= limit:
            lo = mid
        else:
            hi = mid - 1
    # cut just after the last space or comma inside the prefix, else at the limit
    breaks = [sentence.rfind(mark, 0, lo) + 1 for mark in (" ", "，", "、", ",")]
    best = max(breaks)
    return best if best > 0 else lo


_OTHER_SCRIPT = {
    "en": re.compile(f"[{HAN_CLASS}][{HAN_CLASS}\u3000-\u303f\uff00-\uffef]*"),
    "zh": re.compile(r"(?<![A-Za-z])(?=[A-Za-z'’\-]*[a-z])[A-Za-z][A-Za-z'’\-]*[A-Za-z](?:\s+[A-Za-z][A-Za-z'’\-]*)*"
                     r"(?![A-Za-z])"),
}
"""A stretch of the other language inside a segment: Han (and its punctuation) inside English; Latin
words with a lower-case letter (iPhone, Geely; not acronyms, which are spelled) inside Chinese."""


def script_runs(text: str, lang: str) -> list[tuple[str, str]]:
    """*text* as (text, language) runs: the segment's language, and stretches written in the other
    one; joining the texts gives *text* back."""
    other = "zh" if lang == "en" else "en"
    runs: list[tuple[str, str]] = []
    pos = 0
    for m in _OTHER_SCRIPT[lang].finditer(text):
        if m.start() > pos:
            runs.append((text[pos:m.start()], lang))
        runs.append((m.group(0), other))
        pos = m.end()
    if pos < len(text):
        runs.append((text[pos:], lang))
    return [(t, lng) for t, lng in runs if t]


# ---- what a feed carries ------------------------------------------------------------------------

MAX_DESCRIPTION_BYTES = 4000        # Apple's limit for description / itunes:summary; podcast:txt's too
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(text: str) -> str:
    """Text XML 1.0 can carry: control characters removed."""
    return _XML_INVALID.sub("", text)


def truncate_bytes(text: str, limit: int = MAX_DESCRIPTION_BYTES) -> str:
    """At most *limit* UTF-8 bytes, cut at a character boundary and marked with an ellipsis."""
    text = clean(text)
    if len(text.encode("utf-8")) <= limit:
        return text
    cut = text.encode("utf-8")[: limit - len("…".encode())].decode("utf-8", "ignore")
    return cut.rstrip() + "…"


def disclosed(text: str, sentence: str) -> str:
    """*text* (a description) followed by the disclosure *sentence* after a blank line (a space where the
    text is read as HTML), unless it says it already; *text* is cut so that the sentence always fits."""
    text = clean(text)
    if sentence in text:
        return truncate_bytes(text)
    tail = f"\n\n{clean(sentence)}"
    room = MAX_DESCRIPTION_BYTES - len(tail.encode("utf-8"))
    return (truncate_bytes(text, room) if room > 0 else "") + tail if text else truncate_bytes(sentence)
