"""How to say things: a per-language pronunciation lexicon, and numbers read naturally.

``voices/lexicon.yaml`` maps, per language, words or patterns to what the voice should say
(an acronym letter by letter, a company name respelled).  Then every figure is spelled out in
words of its language (``audiopipe.figures``: 6.3903 -> 六点三九零三, -2.5% -> 负百分之二点五,
$1.3 billion -> one point three billion dollars, Q3 -> third quarter), so every engine reads them
the same way and none is left to guess.  The result is the text the engine speaks: report.json shows it beside
the original, and it is what the cache key hashes, so an edit to the lexicon re-synthesizes
only the takes it changes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from audiopipe import figures
from audiopipe.config import polyphones, yamlio
from audiopipe.errors import AudiopipeError, InputError
from audiopipe.text import HAN_CLASS, LANGS, SIGN_OFF, SOURCE_NOTE


class LexiconError(InputError):
    """voices/lexicon.yaml is invalid."""


PATTERN_SECONDS = 1.0
"""How long one regular-expression rule may run on one text before it is called out (backtracking)."""


@dataclass(frozen=True)
class Rule:
    pattern: Any                # re (a word) or, for a producer's own expression, `regex` (it takes a time limit)
    say: str
    where: str                  # "voices/lexicon.yaml:12: en[3]." for errors
    timed: bool = False         # a producer's regular expression: runs with a time limit

    def apply(self, text: str) -> str:
        if not self.timed:
            return str(self.pattern.sub(self.say, text))
        try:
            return str(self.pattern.sub(self.say, text, timeout=PATTERN_SECONDS))
        except TimeoutError:
            raise self._runaway() from None

    def expand(self, match: Any) -> str:
        """What one match becomes."""
        return str(match.expand(self.say))

    def matches(self, text: str) -> list[Any]:
        try:
            return list(self.pattern.finditer(text, timeout=PATTERN_SECONDS) if self.timed
                        else self.pattern.finditer(text))
        except TimeoutError:
            raise self._runaway() from None

    def _runaway(self) -> AudiopipeError:
        return AudiopipeError(f"{self.where}match: took over {PATTERN_SECONDS:g} s on one text (the pattern "
                              "backtracks without end, e.g. (a+)+$); simplify it")


GLOSS = {"en": re.compile(f" ?[(（][{HAN_CLASS}][^()（）]*[)）]"),
         "zh": re.compile(r" ?[(（][A-Za-z][^()（）]*[)）]")}
"""A parenthesized gloss in the other language's script: "Lingkun (灵鲲)", "灵鲲（Lingkun）"."""
BYLINE = re.compile(f"(?:{SIGN_OFF}|{SOURCE_NOTE})" + r"[ \t]*$", re.M)
"""A byline or a source tag at the end of an English paragraph or headline: "… hire again. —Mei Tang",
"… target. – Lin Qiao", "… Shanghai campus -TechNode CN"."""


@dataclass(frozen=True)
class Lexicon:
    rules: Mapping[str, tuple[Rule, ...]]
    numbers: bool = True
    readings: Mapping[str, tuple[str, ...]] = field(default_factory=polyphones.house)
    """Mandarin words and the syllables they are read with (the house list, then the show's `pinyin:`)."""
    drop_glosses: bool = False          # show.yaml `glosses: drop`: glosses are kept in the script only
    drop_bylines: bool = False          # show.yaml `bylines: drop`: a paragraph's byline is kept in the script only

    def apply(self, text: str, lang: str) -> str:
        if self.drop_glosses:
            text = GLOSS[lang].sub("", text)
        if self.drop_bylines and lang == "en":
            text = BYLINE.sub("", text)
        for rule in self.rules.get(lang, ()):
            text = rule.apply(text)
        if self.numbers:
            text = NUMBER_READERS[lang](text)
        return text

    def spans(self, text: str, lang: str) -> tuple[tuple[str, str], ...]:
        """*text* as (script words, spoken words) spans: which part of the script each substitution
        (a lexicon rule, a figure read out) turned into which spoken words; untouched text maps to itself.
        The spoken sides join to :meth:`apply`'s result; where they could not (a rule whose context runs
        across a span), the whole text is one span."""
        pieces: list[tuple[str, str]] = [(text, text)]
        if self.drop_glosses:
            pieces = _substitute(pieces, GLOSS[lang].finditer, lambda m: "")
        if self.drop_bylines and lang == "en":
            pieces = _substitute(pieces, BYLINE.finditer, lambda m: "")
        for rule in self.rules.get(lang, ()):
            pieces = _substitute(pieces, rule.matches, rule.expand)
        if self.numbers:
            for pattern, replace in NUMBER_RULES[lang]:
                pieces = _substitute(pieces, pattern.finditer, replace)
        spoken = self.apply(text, lang)
        if "".join(s for _, s in pieces) != spoken:
            return ((text, spoken),)
        return tuple(pieces)


def _substitute(pieces: list[tuple[str, str]], find: Callable[[str], Any],
                replace: Callable[[Any], str]) -> list[tuple[str, str]]:
    """One substitution over spans: untouched spans are split around each match; a span already
    rewritten keeps its script words and has its spoken words rewritten as a whole."""
    out: list[tuple[str, str]] = []
    for script, spoken in pieces:
        found = [m for m in find(spoken) if m.end() > m.start()]
        if script != spoken:
            pos, new = 0, []
            for m in found:
                new += [spoken[pos:m.start()], replace(m)]
                pos = m.end()
            out.append((script, "".join(new) + spoken[pos:]))
            continue
        pos = 0
        for m in found:
            if m.start() > pos:
                out.append((spoken[pos:m.start()],) * 2)
            out.append((m.group(0), replace(m)))
            pos = m.end()
        if pos < len(spoken):
            out.append((spoken[pos:],) * 2)
    return out


EMPTY = Lexicon({})

_TEMPLATE_ESCAPE = re.compile(r"\\(?:g<([^>]*)>|(\d{1,2})|(.)|$)", re.S)
_PLAIN_ESCAPES = set("ntrfvab\\")


def template_problem(say: str, groups: int, names: Mapping[str, int]) -> str | None:
    """What is wrong with a replacement template (a group that does not exist, an unknown escape), or None."""
    for m in _TEMPLATE_ESCAPE.finditer(say):
        ref = m.group(1) if m.group(1) is not None else m.group(2)
        if ref is not None:
            if ref.isdigit() and int(ref) > groups:
                return (f"refers to group {ref} but the pattern has {groups} group(s); use \\1..\\{groups} "
                        "or write \\\\ for a backslash") if groups else (
                        f"refers to group {ref} but the pattern has no groups; add (…) or write \\\\ for a backslash")
            if not ref.isdigit() and ref not in names:
                return f"refers to group {ref!r}, which the pattern does not name; name it with (?P<{ref}>…)"
        elif m.group(3) is None or m.group(3) not in _PLAIN_ESCAPES:
            what = m.group(3) or "end of text"
            return f"\\{what} is not an escape a replacement knows; write \\\\ for a backslash"
    return None


def load_lexicon(path: Path | None) -> Lexicon:
    """Rules from *path* (``voices/lexicon.yaml``); none when it does not exist."""
    if path is None or not path.is_file():
        return Lexicon({})
    data = yamlio.load(path, LexiconError)
    yamlio.check_keys(path, data, [*LANGS, "numbers"], "", LexiconError)
    numbers = data.get("numbers", True)
    if not isinstance(numbers, bool):
        raise LexiconError(path, "numbers: must be true or false", line=data.line_of("numbers"))
    rules: dict[str, tuple[Rule, ...]] = {}
    readings = polyphones.house()
    for lang in LANGS:
        entries = data.get(lang) or []
        if not isinstance(entries, list):
            raise LexiconError(path, f"{lang}: must be a list of {{match: ..., say: ...}}", line=data.line_of(lang))
        out = []
        for i, entry in enumerate(entries, 1):
            where = f"{lang}[{i}]."
            if not isinstance(entry, yamlio.LineDict):
                raise LexiconError(path, f"{lang}[{i}]: must be a mapping like {{match: CFETS, say: C F E T S}}",
                                   line=data.line_of(lang))
            yamlio.check_keys(path, entry, ("match", "say", "regex", *(("pinyin",) if lang == "zh" else ())), where,
                              LexiconError)
            if "pinyin" in entry:
                readings[_reading(path, entry, where)] = polyphones.parse(str(entry["pinyin"])) or ()
                continue
            match, say = entry.get("match"), entry.get("say")
            if not isinstance(match, str) or not match or not isinstance(say, str):
                raise LexiconError(path, f"{where}match/say: both must be text", line=entry.line)
            timed = bool(entry.get("regex"))
            if timed:
                import regex  # only for a producer's own expressions: it can stop a runaway pattern
                try:
                    pattern = regex.compile(match, flags=regex.V0)
                except regex.error as exc:
                    raise LexiconError(path, f"{where}match: not a valid regular expression ({exc})",
                                       line=entry.line_of("match")) from None
                problem = template_problem(say, pattern.groups, pattern.groupindex)
                if problem:
                    raise LexiconError(path, f"{where}say: {problem}", line=entry.line_of("say"))
            else:   # a word: whole word for Latin text, anywhere for Chinese
                body = re.escape(match)
                pattern = re.compile(rf"(?<![A-Za-z0-9]){body}(?![A-Za-z0-9])" if match.isascii() else body)
                say = say.replace("\\", "\\\\")
            out.append(Rule(pattern, say, f"{path}:{entry.line}: {where}", timed))
        rules[lang] = tuple(out)
    return Lexicon(rules, numbers, readings)


def _reading(path: Path, entry: yamlio.LineDict, where: str) -> str:
    """The word of a ``{match: 上调, pinyin: shang4 tiao2}`` entry, checked: Chinese characters only, one
    syllable of numbered pinyin each."""
    match, said = entry.get("match"), entry.get("pinyin")
    syllables = polyphones.parse(said) if isinstance(said, str) else None
    if not isinstance(match, str) or not match or HAN_ONLY.fullmatch(match) is None or "say" in entry or \
            "regex" in entry:
        raise LexiconError(path, f"{where}match: a reading needs a word of Chinese characters (and no say/regex), "
                           "e.g. {match: 上调, pinyin: shang4 tiao2}", line=entry.line)
    if syllables is None or len(syllables) != len(match):
        raise LexiconError(path, f"{where}pinyin: {said!r} is not {len(match)} syllable(s) of numbered pinyin for "
                           f"{match} (e.g. shang4 tiao2; 5 for the neutral tone)", line=entry.line_of("pinyin"))
    return match


HAN_ONLY = re.compile(f"[{HAN_CLASS}]+")


NUMBER_READERS: dict[str, Callable[[str], str]] = {lang: partial(figures.read, lang=lang) for lang in LANGS}
NUMBER_RULES = figures.RULES
