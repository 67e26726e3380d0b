"""Manifest -> segments: one stretch of speech in one language, one voice.

Stories give one segment per language in the manifest's ``order``; a free
``script`` is split into paragraphs labelled by dominant script, and
consecutive paragraphs of one language merge into one segment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from audiopipe.errors import ManifestError
from audiopipe.script.manifest import MAX_STORIES, Manifest
from audiopipe.text import (
    LANG_NAMES,
    LANGS,
    dominant_lang,
    join_text,
    one_line,
    speakable_problem,
)


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
    return [" ".join(p.split()) if dominant_lang(p) != "zh"
            else join_text([ln.strip() for ln in p.splitlines() if ln.strip()], "zh")
            for p in paragraphs if p.strip()]


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
            chapter_no, title = headings, one_line(heading.group(1))     # a NUL or a bell folded to a space
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
    _check_script(manifest, segments, headings)
    return segments


def _check_script(manifest: Manifest, segments: list[Segment], headings: int) -> None:
    """A script must say something, in every language of the episode and in no other."""
    path = manifest.path
    if headings > MAX_STORIES:
        raise ManifestError(path, f"script: has {headings} headings; an episode holds at most {MAX_STORIES} "
                            "chapters; split it into several episodes")
    if not segments:
        raise ManifestError(path, "script: has nothing to speak (only headings); write the paragraphs under them")
    for seg in segments:
        problem = speakable_problem(seg.text, seg.lang)
        if problem:
            raise ManifestError(path, f"script: {seg.label}: {problem}")
    langs = {seg.lang for seg in segments}
    for lang in manifest.order:
        if lang not in langs:
            only = "/".join(LANG_NAMES[x] for x in LANGS if x in langs)
            raise ManifestError(path, f"script: has only {only} text, no {LANG_NAMES[lang]}; add it, or set "
                                f"`order: [{', '.join(sorted(langs))}]` for a one-language episode")
    for lang in sorted(langs - set(manifest.order)):
        raise ManifestError(path, f"script: has {LANG_NAMES[lang]} text but `order` is "
                            f"[{', '.join(manifest.order)}]; remove it or add {lang} to `order`")
