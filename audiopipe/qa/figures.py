"""The figures check as QA sees it: per story, the English and Chinese figures matched, contradicting
(certain: fails QA), in doubt (warns; fails with --strict) or in one language only; the manifest accepts a
whole story (`figures: accept`) or single figures (`figures: {accept: ["15 months"]}`)."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from audiopipe import logs
from audiopipe.errors import AudiopipeError
from audiopipe.figures import read
from audiopipe.figures.check import Pair, StoryFigures, check_stories
from audiopipe.figures.extract import chinese, english
from audiopipe.figures.values import Figure
from audiopipe.qa.findings import Finding
from audiopipe.script.manifest import Manifest
from audiopipe.script.segments import Segment
from audiopipe.text import HAN

CHECK = "figures"


def story_figures(parts: Iterable[tuple[int | None, str, str]], accepted: Collection[int],
                  accept: Mapping[int, Sequence[str]] | None = None) -> list[StoryFigures]:
    """(story, language, text) for every segment -> each story's figures compared (stories with both
    languages only; a free script's paragraphs have no story and are not paired).  *accepted*: the stories
    the manifest accepts whole; *accept*: story -> the figures it accepts by name."""
    texts: dict[int, dict[str, list[str]]] = {}
    for story, lang, text in parts:
        if story is not None:
            texts.setdefault(story, {}).setdefault(lang, []).append(text)
    return check_stories([(story, " ".join(by["en"]), " ".join(by["zh"]), story in accepted, (accept or {}).get(story, ()))
                          for story, by in sorted(texts.items()) if "en" in by and "zh" in by])


def open_problems(results: Iterable[StoryFigures], strict: bool = False) -> list[str]:
    """The contradictions (with *strict*, the doubts too) that the manifest does not accept, one line each."""
    statuses = ("contradiction", "doubt") if strict else ("contradiction",)
    return [f"story {r.story}: {p.message()}" for r in results for p in r.pairs if p.status in statuses and not p.accepted]


ACCEPT_HINT = "or add `figures: {accept: [\"FIGURE\"]}` to the story if the difference is meant"


def _hint(pair: Pair) -> str:
    side = pair.en or pair.zh
    return ACCEPT_HINT.replace("FIGURE", (side.said or side.text) if side is not None else "")


def findings(results: list[StoryFigures], strict: bool = False) -> list[Finding]:
    """QA's findings: a certain contradiction fails, a doubt warns (fails with *strict*), what the manifest
    accepts and what is in one language only are information."""
    out = []
    for r in results:
        for pair in r.pairs:
            line = f"story {r.story}: {pair.message()}"
            if pair.status in ("contradiction", "doubt") and pair.accepted:
                how = "figures: accept" if r.accepted else "figures: {accept: [...]}"
                out.append(Finding(CHECK, "info", f"{line}; accepted in the manifest ({how})"))
            elif pair.status == "contradiction":
                out.append(Finding(CHECK, "fail", f"{line}; correct one of them, {_hint(pair)}"))
            elif pair.status == "doubt":
                out.append(Finding(CHECK, "fail" if strict else "warn",
                                   f"{line}; check both, {_hint(pair)}" + ("; --strict" if strict else "")))
            elif pair.status == "one-language":
                out.append(Finding(CHECK, "info", f"story {r.story}: {pair.quoted()} only"))
        for name in r.unused_accepts():
            out.append(Finding(CHECK, "warn", f'story {r.story}: figures.accept names "{name}", which no longer '
                               "contradicts anything; take it out of the manifest"))
    matched = sum(p.status == "match" for r in results for p in r.pairs)
    if not any(f.status == "fail" for f in out):
        out.insert(0, Finding(CHECK, "pass", f"{matched} figures agree across {len(results)} stories"
                              + (" (no story has figures in both languages)" if not results else "")))
    return out


def summary_lines(results: list[StoryFigures]) -> list[str]:
    """For the budget printout before synthesis."""
    count = {s: sum(p.status == s for r in results for p in r.pairs) for s in ("match", "one-language")}
    lines = [f"figures: {count['match']} agree, {count['one-language']} in one language only, "
             f"{len(open_problems(results))} contradictions, "
             f"{len(open_problems(results, True)) - len(open_problems(results))} in doubt"]
    for r in results:
        for p in r.pairs:
            if p.status in ("contradiction", "doubt"):
                lines.append(f"  story {r.story}: {p.message()}{' (in doubt: a warning)' if p.status == 'doubt' else ''}"
                             f"{' (accepted)' if p.accepted else ''}")
    return lines


def before_synthesis(manifest: Manifest, segments: Iterable[Segment], strict: bool) -> list[StoryFigures]:
    """The check as the build runs it before synthesis: its lines go under the budget; with *strict*, a
    contradiction or a doubt that the manifest does not accept is an error and nothing is made."""
    results = story_figures(((s.story, s.lang, s.text) for s in segments),
                            {st.number for st in manifest.stories if st.figures_accepted},
                            {st.number: st.figures_accept for st in manifest.stories if st.figures_accept})
    for line in summary_lines(results):
        logs.say(line)
    problems = open_problems(results, strict)
    if problems and strict:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise AudiopipeError(f"{manifest.path}: {problems[0]}{more}; correct the figure, {ACCEPT_HINT.replace('FIGURE', '…')}"
                             "; nothing was written (--strict)")
    return results


def _loose(text: str, lang: str) -> str:
    """A text read into words, as letters only (English) or tone-numbered pinyin (Chinese: the
    recognizer writes traditional characters and homophones, 點 for 点, 積點 for 基点; without
    tones, which shift with the next syllable: 一 is yi1 or yi4)."""
    spoken = read(text, lang)
    if lang == "zh":
        from pypinyin import Style, lazy_pinyin
        return " " + " ".join(lazy_pinyin("".join(HAN.findall(spoken)), style=Style.NORMAL)) + " "
    return re.sub(r"[\W_]+", "", spoken).lower()


def heard_misses(lang: str, script: str, transcript: str) -> list[str]:
    """The figures of *script* (as written) that the recognizer did not hear: neither the figure's
    reading is in what it heard (both read into words first, so "2.5%" heard as "two point five
    percent" is no miss), nor a figure of the same kind and value among the figures it wrote."""
    extract = english if lang == "en" else chinese
    heard_text = _loose(transcript, lang)
    heard = extract(transcript)
    missed = []
    for figure in extract(script):
        said = _loose(figure.said or figure.text, lang)
        if said.strip() and said in heard_text:
            continue
        if any(h.kind == figure.kind and h.unit == figure.unit and h.value == figure.value
               and h.negative == figure.negative for h in heard):
            continue
        missed.append(figure.text)
    return missed


def table(results: list[StoryFigures]) -> list[dict[str, Any]]:
    """Per story, every figure pair, for qa.json and the QA page."""
    return [{"story": r.story, "accepted": r.accepted,
             "pairs": [{"status": p.status, "why": p.why, "kind": p.kind, "accepted": p.accepted,
                        "en": _said(p.en), "zh": _said(p.zh),
                        "en_context": p.en.context if p.en else None, "zh_context": p.zh.context if p.zh else None}
                       for p in r.pairs]}
            for r in results]


def _said(figure: Figure | None) -> str | None:
    return None if figure is None else figure.said or figure.text
