"""Import a pasted bilingual news script (newsletter or radio script) into an episode manifest.

Paragraphs are labelled by dominant script; an English paragraph and the Chinese one standing
with it under the same headline become one story (the headline its chapter title); stretches in
one language are kept, as a free ``script:`` with ``## headline`` lines; what is left out (a
byline, credits, a subscribe line, an email address, a section label) goes into the manifest as
a comment, so nothing is dropped silently.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from audiopipe.config.yamlio import read_text_file
from audiopipe.errors import AudiopipeError
from audiopipe.text import HAN, LANGS, SIGN_OFF, SOURCE_NOTE, dominant_lang, join_text

MONTHS = {m: i for i, m in enumerate(["january", "february", "march", "april", "may", "june", "july", "august",
                                        "september", "october", "november", "december"], start=1)}
MONTHS.update({m[:3]: i for m, i in list(MONTHS.items())})

DROP_RULES: list[tuple[str, re.Pattern[str]]] = [
    ("byline", re.compile(r"^(by|reporting by|written by|reported by|本报记者|记者|作者|文)\s*[:：/／]?\s*\S", re.I)),
    ("credits", re.compile(r"^(edited by|produced by|credits?|editor|producer|music( by)?|photo( by)?|"
                           r"责任编辑|编辑|制作|监制|校对|翻译)\s*[:：]?\s*\S", re.I)),
    ("subscribe", re.compile(r"subscribe|unsubscribe|sign up|forward this|订阅|关注我们|转发", re.I)),
    ("email address", re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")),
    ("link", re.compile(r"^\S*https?://\S+$")),
]
BULLET = re.compile(r"^\s*(?:[-*•·▪●]|\d{1,2}[.)、])\s+")
SECTION = re.compile(r"^(?:【[^】]{1,12}】|\[[^\]]{1,20}\]|[A-Z][A-Z &/-]{2,30}|[-—=]{2,}\s*\S.{0,20}?\s*[-—=]{2,})$")
HEADING_MD = re.compile(r"^#{1,6}\s+(.+)$")
BYLINE_END = re.compile(r"\s[–—-]\s?[A-Z][a-z]+(?:\s[A-Z][a-z]+){0,2}$")
"""A line that ends an item with its byline: "… hire again. —Mei Tang"."""
SOURCED = re.compile(SOURCE_NOTE + "$")
"""A paragraph whose last sentence is followed by its source in parentheses ("… bedbugs. (Reuters $)")."""
ITEM_END = re.compile(f"(?:{BYLINE_END.pattern}|{SOURCED.pattern})")
"""A paragraph that closes a newsletter's item: its byline, or its source in parentheses ("(Reuters $)")."""
SOURCE_TAG = re.compile(SIGN_OFF + "$")
"""A headline's trailing source tag: "… campus -TechNode CN", "… app – SCMP"."""
META = re.compile(r"^(title|标题|题目|date|日期)\s*[:：]\s*(.+)$", re.I)
FULLWIDTH_ALNUM = {c: c - 0xFEE0 for r in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))
                   for c in range(r[0], r[1] + 1)}


@dataclass
class Block:
    titles: list[str] = field(default_factory=list)
    paragraphs: list[tuple[str, str]] = field(default_factory=list)   # (lang, text)
    closed: bool = False         # its last paragraph closed a newsletter's item: what follows is another story
    named: bool = False          # its title was taken from its first words (the item had no headline)

    def langs(self) -> set[str]:
        return {lang for lang, _ in self.paragraphs}


@dataclass
class Imported:
    title: str | None
    date: dt.date | None
    blocks: list[Block]
    dropped: list[tuple[int, str, str]]     # (line, why, text)
    source: Path

    @property
    def bilingual(self) -> bool:
        return all(b.langs() == set(LANGS) for b in self.blocks if b.paragraphs)


def normalize(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u00a0", " ").replace("\u3000", " ").replace("\u200b", "").replace("\ufeff", "")
    return text.translate(FULLWIDTH_ALNUM)


def parse_date(text: str) -> dt.date | None:
    t = text.strip()
    patterns: list[tuple[str, tuple[int, int, int] | str]] = [
        (r"(\d{4})-(\d{1,2})-(\d{1,2})", (1, 2, 3)), (r"(\d{4})年\s*(\d{1,2})月\s*(\d{1,2})日", (1, 2, 3)),
        (r"(\d{4})/(\d{1,2})/(\d{1,2})", (1, 2, 3)),
        (r"([A-Za-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})", "mdy"),
        (r"(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]{3,9})\.?,?\s+(\d{4})", "dmy"),
    ]
    for pattern, order in patterns:
        m = re.search(pattern, t)
        if not m:
            continue
        try:
            if order == "mdy":
                month = MONTHS.get(m.group(1).lower())
                if month:
                    return dt.date(int(m.group(3)), month, int(m.group(2)))
            elif order == "dmy":
                month = MONTHS.get(m.group(2).lower())
                if month:
                    return dt.date(int(m.group(3)), month, int(m.group(1)))
            else:
                return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            continue
    return None


def _headline_over_text(line: str, following: str) -> bool:
    """A headline line with its paragraph right under it (no blank line between): a short line that ends
    without punctuation, over a line that starts a sentence — not the first line of a wrapped paragraph."""
    lang = dominant_lang(line)
    if not following or lang is None or not _is_headline(line, lang) or BULLET.match(following):
        return False
    if lang == "zh":           # a wrapped Chinese line runs on mid-clause, after a comma or near full width;
        # a headline is short and plain, or its paragraph is a line much longer than it (not the same width)
        return (len(line) <= 20 and "，" not in line and "、" not in line) or len(following) >= len(line) + 10
    starts_sentence = following[:1].isupper() or bool(HAN.match(following[:1])) or following[:1].isdigit()
    return starts_sentence and not re.search(r"\b(and|or|the|a|an|of|to|in|on|at|for|with|by|from)$", line, re.I)


def _is_headline(text: str, lang: str | None) -> bool:
    if "\n" in text or SOURCED.search(text):     # a sentence and its source: an item
        return False
    if lang == "zh":
        return len(text) <= 40 and not re.search(r"[。！？；：.!?;]$", text)
    return len(text) <= 90 and not re.search(r"[.!?;:,…\"”]$", text) and len(text.split()) <= 14


def parse(path: Path) -> Imported:
    """The script at *path*: its title, date, stories (blocks) and the lines left out."""
    items = _items(_read_lines(path))
    title, date, blocks, dropped = _blocks(items)
    if date is None:
        date = next((d for _, d in ((n, parse_date(t)) for n, t in items[:6]) if d), None)
    return Imported(title, date, blocks, dropped, path)


def _read_lines(path: Path) -> list[str]:
    """The script's lines: a regular file of UTF-8 text within the size any script has (a pipe, a
    device such as /dev/zero or a huge file is refused at once, never read)."""
    try:
        text = read_text_file(path)
    except UnicodeDecodeError as exc:
        raise AudiopipeError(f"{path}: not UTF-8 text (byte {exc.start}); save the script as UTF-8") from None
    return normalize(text).split("\n")


def _items(lines: list[str]) -> list[tuple[int, str]]:
    """(first line number, text): paragraphs split at blank lines, bullets and headings alone; a headline
    stands alone also with no blank line around it, when the line before ends an item with its byline or the
    headline carries a source tag (a newsletter's items run on, one under the other)."""
    items: list[tuple[int, str]] = []
    current: list[str] = []
    start = 0

    def flush() -> None:
        nonlocal current
        if current:
            lang = dominant_lang(" ".join(current))
            items.append((start, join_text([c.strip() for c in current], lang or "en")))
        current = []

    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if not stripped:
            flush()
            continue
        if current and dominant_lang(stripped) not in (None, dominant_lang(" ".join(current))):
            flush()     # a line in the other language starts a paragraph of its own
        is_bullet = bool(BULLET.match(line))
        following = lines[number].strip() if number < len(lines) else ""
        new_item = not current or bool(BYLINE_END.search(current[-1])) or bool(SOURCE_TAG.search(stripped))
        stand_alone = (is_bullet or bool(HEADING_MD.match(stripped)) or bool(META.match(stripped))
                       or bool(SECTION.match(stripped)) or (len(stripped) <= 60 and parse_date(stripped) is not None)
                       or (new_item and _headline_over_text(stripped, following)))
        if stand_alone or any(rule.search(stripped) for _, rule in DROP_RULES[:2]):
            flush()
            start = number
            current = [BULLET.sub("", line).strip() if is_bullet else stripped]
            flush()
            continue
        if not current:
            start = number
        current.append(stripped)
    flush()
    return items


def _blocks(items: list[tuple[int, str]]) -> tuple[str | None, dt.date | None, list[Block],
                                                   list[tuple[int, str, str]]]:
    """Title, date, the blocks (headlines and their paragraphs) and the items left out, with why."""
    title: str | None = None
    date: dt.date | None = None
    dropped: list[tuple[int, str, str]] = []
    blocks: list[Block] = [Block()]
    seen_content = False
    for number, item in items:
        meta = META.match(item)
        if meta:
            key, value = meta.group(1).lower(), meta.group(2).strip()
            if key in ("title", "标题", "题目"):
                title = value
            else:
                date = parse_date(value) or date
                if parse_date(value) is None:
                    dropped.append((number, "date not understood", item))
            continue
        why = next((name for name, rule in DROP_RULES if rule.search(item)), None)
        if why is None and SECTION.match(item) and not HEADING_MD.match(item):
            why = "section label"
        if why is None and not seen_content and date is None and len(item) <= 60 and parse_date(item):
            date = parse_date(item)
            why = "date line"
        if why:
            dropped.append((number, why, item))
            if why == "section label" and blocks[-1].paragraphs:
                blocks.append(Block())      # a section starts a new story
            continue
        lang = dominant_lang(item)
        if lang is None:
            dropped.append((number, "no words", item))
            continue
        md = HEADING_MD.match(item)
        if md or _is_headline(item, lang):
            headline = md.group(1).strip() if md else item
            if title is None and not seen_content and not blocks[-1].titles:
                title = headline                      # the masthead
                continue
            if blocks[-1].paragraphs or not blocks[-1].titles:
                blocks.append(Block())
            blocks[-1].titles.append(headline)
            continue
        seen_content = True
        if blocks[-1].closed:
            blocks.append(Block())
        blocks[-1].paragraphs.append((lang, item))
        blocks[-1].closed = bool(ITEM_END.search(item))
    blocks = [b for b in blocks if b.paragraphs or b.titles]
    if sum(bool(b.paragraphs) for b in blocks) > 1 and any(b.closed for b in blocks):
        for b in blocks:                # a digest's items without a headline: titled by their first words
            if b.paragraphs and not b.titles:
                b.titles, b.named = [_first_words(b.paragraphs[0][1])], True
    for b in blocks:
        if b.titles and not b.paragraphs:
            dropped.append((0, "headline without text", " / ".join(b.titles)))
    return title, date, [b for b in blocks if b.paragraphs], dropped


def _first_words(text: str, words: int = 8) -> str:
    """A chapter title from a paragraph: its first sentence, or its first *words* words and an ellipsis
    (Chinese: its first 16 characters)."""
    sentence = re.split(r"(?<=[.!?])\s+|(?<=[。！？])", text.strip(), maxsplit=1)[0]
    if dominant_lang(sentence) == "zh":
        return sentence if len(sentence) <= 16 else sentence[:16] + "…"
    parts = sentence.split()
    return sentence.rstrip(".") if len(parts) <= words else " ".join(parts[:words]).rstrip(",;:—-") + "…"


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def to_yaml(imp: Imported, today: dt.date | None = None) -> str:
    out = [f"# Imported by `audiopipe import` from {imp.source.name}; check it, then `make episode EPISODE=...`."]
    if imp.dropped:
        out.append("# Left out of the episode (kept here so that nothing is lost):")
        for line, why, text in imp.dropped:
            where = f"line {line}, " if line else ""
            out.append(f"#   ({where}{why}) {' '.join(text.split())}")
    if imp.title:
        out.append(f"title: {_q(imp.title)}")
    else:
        out.append(f"title: {_q(imp.source.stem.replace('-', ' ').replace('_', ' ').title())}"
                   "  # TODO: the script names no title; write one")
    if imp.date:
        out.append(f"date: {imp.date.isoformat()}")
    else:
        out.append(f"date: {(today or dt.date.today()).isoformat()}  # TODO: the script gives no date; check it")
    spoken = [lang for lang in LANGS if any(la == lang for b in imp.blocks for la, _ in b.paragraphs)]
    if len(spoken) == 1:
        out.append(f"order: [{spoken[0]}]  # only {spoken[0]} paragraphs are spoken (the other language is "
                   "in headlines only)")
    said = _spoken_headlines(imp) if "en" in spoken else {}
    if said:
        out.append("# An English headline is also spoken, as the first paragraph of its story: a pause follows it.")
    if imp.bilingual:
        out.append("stories:")
        for number, block in enumerate(imp.blocks):
            texts = {lang: join_text([t for la, t in block.paragraphs if la == lang], lang) for lang in LANGS}
            if number in said:
                texts["en"] = f"{said[number]}\n\n{texts['en']}"
            first = True
            if block.titles:
                out.append(f"  - title: {_q(' / '.join(block.titles))}")
                first = False
            for lang in LANGS:
                out.append(f"  {'- ' if first else '  '}{lang}: {_q(texts[lang])}")
                first = False
    else:
        out.append("# Some stretches are in one language only, so this is a free script: paragraphs are")
        out.append("# split by script, and each `## headline` starts a chapter.")
        out.append("script: |")
        for number, block in enumerate(imp.blocks):
            if block.titles:
                out.append(f"  ## {' / '.join(block.titles)}")
                out.append("")
            if number in said:
                out += [f"  {said[number]}", ""]
            for _, text in block.paragraphs:
                out.append(f"  {text}")
                out.append("")
        while out[-1] == "":
            out.pop()
    return "\n".join(out) + "\n"


def _spoken_headlines(imp: Imported) -> dict[int, str]:
    """The English headline of each block with English paragraphs (by block number): said before them."""
    return {number: title for number, block in enumerate(imp.blocks) if not block.named
            for title in block.titles[:1] if dominant_lang(title) == "en" and "en" in block.langs()}


def checked_yaml(imported: Imported, source: Path, target: Path) -> str:
    """The manifest of *imported*, proven to be one `build` accepts (as it would be read at *target*);
    a problem is one line naming the script it came from, never the temporary file it was tried in."""
    import tempfile

    from audiopipe.config.voices import find_voices_dir, load_profiles
    from audiopipe.script.manifest import load_manifest
    from audiopipe.script.segments import segments_of
    text = to_yaml(imported)
    with tempfile.TemporaryDirectory() as tmp:
        probe = Path(tmp) / target.name
        probe.write_text(text, encoding="utf-8")
        try:
            segments_of(load_manifest(probe, load_profiles(find_voices_dir(target.parent))))
        except AudiopipeError as exc:
            raise AudiopipeError(exc.message.replace(str(probe), f"{source} (as imported)")) from None
    return text
