"""Manifest -> segments: one stretch of speech in one language, one voice.

Stories give one segment per language in the manifest's ``order``; a free
``script`` is split into paragraphs labelled by dominant script, and
consecutive paragraphs of one language merge into one segment.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from audiopipe.langs import dominant_lang
from audiopipe.manifest import Manifest


@dataclass(frozen=True)
class Segment:
    index: int              # 1-based position in the episode
    lang: str
    text: str
    profile: str            # voice profile name
    story: int | None       # 1-based story number, None for script paragraphs
    chapter: str | None     # chapter title of the story this segment opens, if any

    @property
    def label(self) -> str:
        """How errors name the segment: story, language and first words."""
        head = " ".join(self.text.split())
        head = head if len(head) <= 40 else head[:37] + "..."
        where = f"story {self.story}" if self.story is not None else f"segment {self.index}"
        return f"{where} ({self.lang}) \"{head}\""


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs (split at blank lines); a heading line ("## ...") is a paragraph of its own."""
    text = re.sub(r"(?m)^(#{1,6}\s+.*)$", r"\n\1\n", text.replace("\r\n", "\n"))
    paragraphs = re.split(r"\n\s*\n", text)
    return [" ".join(p.split()) if dominant_lang(p) != "zh" else _join_zh_lines(p)
            for p in paragraphs if p.strip()]


def _join_zh_lines(paragraph: str) -> str:
    """Join wrapped lines of Chinese without inserting spaces between characters."""
    lines = [ln.strip() for ln in paragraph.splitlines() if ln.strip()]
    out = lines[0] if lines else ""
    for ln in lines[1:]:
        sep = " " if (out[-1:].isascii() and ln[:1].isascii()) else ""
        out += sep + ln
    return out


def segments_of(manifest: Manifest) -> list[Segment]:
    """The episode's segments, in speaking order."""
    segments: list[Segment] = []
    if manifest.stories:
        for story in manifest.stories:
            for i, lang in enumerate(manifest.order):
                segments.append(Segment(len(segments) + 1, lang, story.texts[lang],
                                        manifest.voices[lang], story.number,
                                        story.title if i == 0 else None))
        return segments
    assert manifest.script is not None
    # runs of one language; a markdown heading line ("## Title") starts a chapter and is not spoken
    runs: list[tuple[str, list[str], int | None, str | None]] = []
    chapter_no: int | None = None
    title: str | None = None
    headings = 0
    for paragraph in split_paragraphs(manifest.script):
        heading = re.match(r"^#{1,6}\s+(.+)$", paragraph)
        if heading:
            headings += 1
            chapter_no, title = headings, heading.group(1).strip()
            continue
        lang = dominant_lang(paragraph) or (runs[-1][0] if runs else manifest.order[0])
        if runs and runs[-1][0] == lang and runs[-1][2] == chapter_no and title is None:
            runs[-1][1].append(paragraph)
        else:
            runs.append((lang, [paragraph], chapter_no, title))
            title = None
    for lang, paragraphs, number, chapter in runs:
        segments.append(Segment(len(segments) + 1, lang, "\n\n".join(paragraphs),
                                manifest.voices[lang], number, chapter))
    return segments


_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+|(?<=[。！？；])\s*|\n\s*\n")


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
