"""The figures check as QA sees it: per story, the English and Chinese figures matched, contradicting
or in one language only; a contradiction fails QA unless the manifest accepts it (`figures: accept`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable
from typing import Any

from audiopipe.errors import AudiopipeError
from audiopipe.figures import read
from audiopipe.figures.check import StoryFigures, check_stories
from audiopipe.figures.extract import chinese, english
from audiopipe.figures.values import Figure
from audiopipe.review.findings import Finding
from audiopipe.script.manifest import Manifest
from audiopipe.script.segments import Segment
from audiopipe.text import HAN

CHECK = "figures"


def story_figures(parts: Iterable[tuple[int | None, str, str]], accepted: Collection[int]) -> list[StoryFigures]:
    """(story, language, text) for every segment -> each story's figures compared (stories with both
    languages only; a free script's paragraphs have no story and are not paired)."""
    texts: dict[int, dict[str, list[str]]] = {}
    for story, lang, text in parts:
        if story is not None:
            texts.setdefault(story, {}).setdefault(lang, []).append(text)
    return check_stories([(story, " ".join(by["en"]), " ".join(by["zh"]), story in accepted)
                          for story, by in sorted(texts.items()) if "en" in by and "zh" in by])


def open_contradictions(results: Iterable[StoryFigures]) -> list[str]:
    """The contradictions no `figures: accept` covers, as one line each."""
    return [line for r in results if not r.accepted for line in r.messages()]


def findings(results: list[StoryFigures]) -> list[Finding]:
    out = []
    for r in results:
        for line in r.messages():
            if r.accepted:
                out.append(Finding(CHECK, "info", f"{line}; accepted in the manifest (figures: accept)"))
            else:
                out.append(Finding(CHECK, "fail", f"{line}; correct one of them, or add `figures: accept` to "
                                   "the story if the difference is meant"))
        for pair in r.pairs:
            if pair.status == "one-language":
                out.append(Finding(CHECK, "info", f"story {r.story}: {pair.quoted()} only"))
    matched = sum(p.status == "match" for r in results for p in r.pairs)
    if not any(f.status == "fail" for f in out):
        out.insert(0, Finding(CHECK, "pass", f"{matched} figures agree across {len(results)} stories"
                              + (" (no story has figures in both languages)" if not results else "")))
    return out


def summary_lines(results: list[StoryFigures]) -> list[str]:
    """For the budget printout before synthesis."""
    matched = sum(p.status == "match" for r in results for p in r.pairs)
    single = sum(p.status == "one-language" for r in results for p in r.pairs)
    lines = [f"figures: {matched} agree, {single} in one language only, "
             f"{len(open_contradictions(results))} contradictions"]
    for r in results:
        lines += [f"  {line}{' (accepted)' if r.accepted else ''}" for line in r.messages()]
    return lines


def before_synthesis(manifest: Manifest, segments: Iterable[Segment], strict: bool,
                     log: Callable[[str], None]) -> list[StoryFigures]:
    """The check as the build runs it before synthesis: its lines go under the budget; with *strict*, a
    contradiction that no `figures: accept` covers is an error and nothing is made."""
    results = story_figures(((s.story, s.lang, s.text) for s in segments),
                            {st.number for st in manifest.stories if st.figures_accepted})
    for line in summary_lines(results):
        log(line)
    problems = open_contradictions(results)
    if problems and strict:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise AudiopipeError(f"{manifest.path}: {problems[0]}{more}; correct the figure, or add `figures: accept` to "
                             "the story if the difference is meant; nothing was written (--strict)")
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
             "pairs": [{"status": p.status, "why": p.why, "kind": p.kind,
                        "en": _said(p.en), "zh": _said(p.zh)}
                       for p in r.pairs]}
            for r in results]


def _said(figure: Figure | None) -> str | None:
    return None if figure is None else figure.said or figure.text
