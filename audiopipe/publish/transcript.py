"""Timed transcripts (WebVTT and SRT) and Podcasting 2.0 chapters, from report.json's word timings.

A cue is one sentence, or at most 65 characters of English; Chinese cues
break at Chinese punctuation (a sentence end, or a comma once the cue is
long enough), never in the middle of a run of characters.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from audiopipe.engines import Word
from audiopipe.publish.record import EpisodeRecord, SegmentRecord
from audiopipe.text import BCP47, join_text, one_line, tidy

MAX_EN = 65
MAX_ZH = 32            # CJK characters are twice as wide as Latin letters
ZH_SOFT = 14           # a Chinese cue may end at a comma once it has this many characters
_EN_END = (".", "!", "?", "…")
_ZH_END = ("。", "！", "？", "；", "…")
_ZH_SOFT_END = ("，", "、", "：", ",")


@dataclass(frozen=True)
class Cue:
    start_ms: int
    end_ms: int
    text: str
    lang: str
    voice: str           # who speaks: the profile's speaker name


def _cue(words: list[Word], seg: SegmentRecord) -> Cue:
    text = join_text([w.text for w in words], seg.lang)
    end = min(words[-1].end_ms, seg.end_ms)
    return Cue(words[0].start_ms, max(end, words[0].start_ms + 1), text, seg.lang, seg.speaker or seg.voice_profile)


def within_limit(text: str, lang: str) -> bool:
    """A WebVTT cue: at most 65 Latin characters or 32 Chinese ones."""
    return len(text) <= (MAX_ZH if lang == "zh" else MAX_EN)


def two_lines(text: str, lang: str) -> bool:
    """An SRT cue: at most two lines once wrapped (see :func:`wrap`)."""
    return len(wrap(text, lang)) <= 2


def script_words(seg: SegmentRecord) -> list[Word]:
    """The engine's timed words carrying the script's text instead of the spoken one: a word covers the
    spoken text up to the next word; where a span was rewritten (a lexicon respelling, a figure read out)
    the first word of it shows the script's words and the rest of it add only their time.  Words that
    cannot be found in the spoken text (an engine that rewrote it) keep their spoken text."""
    words = [w for w in seg.words if w.text.strip()]
    spoken = "".join(s for _, s in seg.spans)
    if not words or not seg.spans or spoken != seg.spoken_text:
        return words
    starts, cursor = [], 0
    for w in words:
        found = spoken.find(w.text.strip(), cursor)
        if found < 0:
            return words
        starts.append(found)
        cursor = found + len(w.text.strip())
    starts[0] = 0
    bounds, pos = [], 0
    for script, said in seg.spans:
        bounds.append((pos, pos + len(said), script, said))
        pos += len(said)
    shown: set[int] = set()
    out: list[Word] = []
    for i, w in enumerate(words):      # the last word also shows what was dropped after it (a closing byline)
        a, b = starts[i], starts[i + 1] if i + 1 < len(words) else len(spoken) + 1
        parts = []
        for k, (s0, s1, script, said) in enumerate(bounds):
            if s1 <= a or s0 >= b:
                continue
            if script == said:
                parts.append(script[max(a, s0) - s0:min(b, s1) - s0])
            elif k not in shown:
                shown.add(k)
                parts.append(script)
        text = "".join(parts).strip()
        if text or not out:
            out.append(Word(w.start_ms, w.end_ms, text))
        else:                          # the rest of a rewritten span: its time goes to the word that shows it
            out[-1] = Word(out[-1].start_ms, max(out[-1].end_ms, w.end_ms), out[-1].text)
    return out


def cues_of(record: EpisodeRecord, fits: Callable[[str, str], bool] = within_limit) -> list[Cue]:
    cues: list[Cue] = []
    for seg in record.segments:
        lang = seg.lang
        words = [w for w in script_words(seg) if w.text.strip()] or [Word(seg.start_ms, seg.end_ms,
                                                                          tidy(seg.text, lang))]
        current: list[Word] = []
        for word in words:
            text = word.text
            if current and not fits(join_text([w.text for w in current] + [text], lang), lang):
                cues.append(_cue(current, seg))
                current = []
            current.append(word)
            length = len(join_text([w.text for w in current], lang))
            ends = (text.endswith(_ZH_END) or (text.endswith(_ZH_SOFT_END) and length >= ZH_SOFT)) \
                if lang == "zh" else text.endswith(_EN_END)
            if ends:
                cues.append(_cue(current, seg))
                current = []
        if current:
            cues.append(_cue(current, seg))
    return cues


def _ts(ms: int, sep: str) -> str:
    h, rest = divmod(max(0, ms), 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, milli = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{milli:03d}"


def _cue_text(text: str) -> str:
    """A cue's text as both formats allow it: one line per line, never the timing arrow inside it."""
    return text.replace("-->", "→")


def _vtt_escape(text: str) -> str:
    return _cue_text(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_vtt(cues: list[Cue]) -> str:
    lines = ["WEBVTT", ""]
    for i, cue in enumerate(cues, start=1):
        lines += [str(i), f"{_ts(cue.start_ms, '.')} --> {_ts(cue.end_ms, '.')}",
                  f"<v {_vtt_escape(one_line(cue.voice))}><lang {BCP47[cue.lang]}>{_vtt_escape(cue.text)}</lang></v>", ""]
    return "\n".join(lines)


SRT_WIDTH = 32
"""An SRT line holds at most 32 Latin characters (the podcast namespace's transcript guidance), or 16
full-width Chinese characters: the same width on screen."""


def _width(text: str) -> int:
    """On-screen width: a full-width (Chinese) character counts as two Latin ones."""
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


def wrap(text: str, lang: str, width_limit: int = SRT_WIDTH) -> list[str]:
    """Lines of at most :data:`SRT_WIDTH`, cut between words, or between Chinese characters (a run of
    Latin letters or digits inside Chinese stays whole); a word wider than a line is cut."""
    tokens = text.split() if lang != "zh" else re.findall(r"[\x21-\x7e\u00c0-\u024f]+ ?| |.", text)
    sep = " " if lang != "zh" else ""
    lines: list[str] = []
    current, width = "", 0            # the line so far and its width, kept as it grows (no re-measuring)
    for token in tokens:
        size = _width(token.strip() if lang == "zh" else token)
        if current and width + len(sep) + size > width_limit:
            lines.append(current.strip())
            current, width = "", 0
        if not current and size > width_limit:             # one word wider than a line: cut it
            cut = ""
            for char in token:
                if _width(cut + char) > width_limit:
                    lines.append(cut)
                    cut = ""
                cut += char
            current, width = cut, _width(cut)
            continue
        current = f"{current}{sep}{token}" if current else token
        width += (len(sep) if width else 0) + size
    if current.strip():
        lines.append(current.strip())
    return _kinsoku(lines) if lang == "zh" else lines


NO_LINE_START = "、。，．,.：；:;？！?!）)」』】〉》〕”’…·—～%％"
"""Characters a Chinese line may not begin with (CLREQ's line-start prohibition: closing punctuation)."""
NO_LINE_END = "（(「『【〈《〔“‘"
"""Characters a Chinese line may not end with (opening brackets and quotes)."""


def _kinsoku(lines: list[str]) -> list[str]:
    """Chinese lines that neither begin with closing punctuation nor end with an opening one: a closing
    mark hangs at the end of the line before (CLREQ's hanging punctuation: it may pass the width by one
    character), an opening one moves down to the line it opens."""
    out = list(lines)
    for i in range(1, len(out)):
        moved = ""
        while out[i] and out[i][0] in NO_LINE_START:
            moved, out[i] = moved + out[i][0], out[i][1:]
        out[i - 1] += moved
        while out[i - 1] and out[i - 1][-1] in NO_LINE_END:
            out[i - 1], out[i] = out[i - 1][:-1], out[i - 1][-1] + out[i]
    return [line for line in out if line]


def to_srt(cues: list[Cue]) -> str:
    lines: list[str] = []
    for i, cue in enumerate(cues, start=1):
        lines += [str(i), f"{_ts(cue.start_ms, ',')} --> {_ts(cue.end_ms, ',')}", *wrap(_cue_text(cue.text), cue.lang),
                  ""]
    return "\n".join(lines)


def plain_text(record: EpisodeRecord) -> str:
    """The whole transcript as text (for the MP3's USLT frame)."""
    return "\n\n".join(tidy(seg.text, seg.lang) for seg in record.segments)


def chapters_json(record: EpisodeRecord) -> str:
    """Podcasting 2.0 JSON chapters (version 1.2.0)."""
    chapters = [{"startTime": round(c.start_ms / 1000, 3), "endTime": round(c.end_ms / 1000, 3),
                 "title": c.title} for c in record.chapters]
    return json.dumps({"version": "1.2.0", "chapters": chapters}, ensure_ascii=False, indent=2) + "\n"
