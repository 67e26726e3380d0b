"""Load and validate an episode manifest into frozen dataclasses.

Every problem is reported as one line: ``file:line: key: what is wrong; what
to do``.  No later stage sees a raw dict.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from audiopipe.config import yamlio
from audiopipe.config.voices import DEFAULT_PROFILE, VoiceProfile
from audiopipe.errors import ManifestError, ToolError
from audiopipe.figures.extract import chinese, english
from audiopipe.text import LANG_NAMES, LANGS, dominant_lang, not_text, one_line, speakable_problem

MANIFEST_KEYS = ("title", "date", "episode", "description", "order", "voices",
                 "intro", "outro", "stories", "script")
STORY_KEYS = ("title", "figures", *LANGS)
BUILTIN_STINGER = "builtin"


@dataclass(frozen=True)
class Story:
    number: int                 # 1-based position in the manifest
    title: str | None
    texts: Mapping[str, str]    # lang -> text
    line: int
    figures_accepted: bool = False   # `figures: accept`: the producer means the languages' figures to differ
    titles: Mapping[str, str] = field(default_factory=dict)   # `title: {en: …, zh: …}`: each language's title
    figures_accept: tuple[str, ...] = ()   # `figures: {accept: [...]}`: these figures may differ, as written


@dataclass(frozen=True)
class Manifest:
    path: Path
    slug: str
    title: str
    date: dt.date
    episode: int | None
    description: str
    order: tuple[str, ...]
    voices: Mapping[str, str]            # lang -> profile name
    intro: Path | str | None             # a file, BUILTIN_STINGER, or None for none
    outro: Path | str | None
    stories: tuple[Story, ...]
    script: str | None
    titles: Mapping[str, str] = field(default_factory=dict)          # `title: {en: …, zh: …}`: each language's
    descriptions: Mapping[str, str] = field(default_factory=dict)    # `description: {en: …, zh: …}`


def _fail(path: Path, data: yamlio.LineDict, key: str, message: str) -> ManifestError:
    return ManifestError(path, f"{key}: {message}", line=data.line_of(key))


def _texts(path: Path, data: yamlio.LineDict, key: str, where: str, required: bool, lines: bool = False
           ) -> tuple[str | None, Mapping[str, str]]:
    """A text that may be given per language (``title: {en: …, zh: …}``): the main one (English, else the
    first given) and each language's; one line each unless *lines*."""
    def tidy(text: str) -> str:
        return text if lines else one_line(text)
    value = data.get(key)
    if not isinstance(value, yamlio.LineDict):
        text = _text(path, data, key, where, required)
        if text:
            _short(path, data, key, where, tidy(text), key)
        return (tidy(text) if text else None), MappingProxyType({})
    yamlio.check_keys(path, value, LANGS, f"{where}{key}.", ManifestError)
    if not value:
        raise ManifestError(path, f"{where}{key}: give the text, or one per language ({{en: …, zh: …}})",
                            line=data.line_of(key))
    by_lang = {lang: tidy(text) for lang in LANGS if lang in value
               for text in [_text(path, value, lang, f"{where}{key}.", required=True)] if text}
    for lang, text in by_lang.items():
        _short(path, value, lang, f"{where}{key}.", text, key)
    return by_lang.get("en") or next(iter(by_lang.values())), MappingProxyType(by_lang)


MAX_TITLE = 300
"""The longest title (episode or story) in characters: apps cut titles long before this, and ID3, the feed
and the content credentials all carry it."""


def _short(path: Path, data: yamlio.LineDict, key: str, where: str, text: str, kind: str) -> None:
    if kind == "title" and len(text) > MAX_TITLE:
        raise ManifestError(path, f"{where}{key}: is {len(text)} characters; a title holds at most {MAX_TITLE} "
                            "(apps cut long titles); shorten it", line=data.line_of(key))


def _text(path: Path, data: yamlio.LineDict, key: str, where: str, required: bool) -> str | None:
    if key not in data:
        if required:
            raise ManifestError(path, f"{where}{key}: missing; add `{key}: ...`", line=data.line)
        return None
    value = data[key]
    if value is None:
        value = ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise ManifestError(path, f"{where}{key}: must be text, got {type(value).__name__}; "
                            "quote it", line=data.line_of(key))
    value = value.strip()
    if not value:
        raise ManifestError(path, f"{where}{key}: is empty; write the text or remove the key",
                            line=data.line_of(key))
    problem = not_text(one_line(value))      # control characters are folded to spaces; the rest is refused
    if problem:
        raise ManifestError(path, f"{where}{key}: {problem}", line=data.line_of(key))
    return value


def _date(path: Path, data: yamlio.LineDict) -> dt.date:
    if "date" not in data:
        raise ManifestError(path, "date: missing; add `date: YYYY-MM-DD`", line=data.line)
    value: Any = data["date"]
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        for parse in (dt.date.fromisoformat, lambda v: dt.datetime.fromisoformat(v).date()):
            try:
                return parse(value.strip())
            except ValueError:
                pass
    raise _fail(path, data, "date", f"{value!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-11-20")


def _episode(path: Path, data: yamlio.LineDict) -> int | None:
    value = data.get("episode")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _fail(path, data, "episode", f"must be a positive whole number, got {value!r}")
    return value


MAX_STORIES = 255
"""An ID3 table of contents holds at most 255 chapters (its entry count is one byte): one per story."""


def _order(path: Path, data: yamlio.LineDict) -> tuple[str, ...]:
    value = data.get("order", list(LANGS))
    if (not isinstance(value, list) or not value or len(set(map(str, value))) != len(value)
            or not set(map(str, value)) <= set(LANGS)):
        raise _fail(path, data, "order", f"must list each language once, e.g. [en, zh] (or [en] for a "
                    f"one-language special), got {value!r}")
    return tuple(str(v) for v in value)


def _voices(path: Path, data: yamlio.LineDict, profiles: Mapping[str, VoiceProfile]) -> dict[str, str]:
    chosen = dict(DEFAULT_PROFILE)
    value = data.get("voices")
    if value is None:
        for lang, name in chosen.items():          # voices/en-host.yaml may have been given another language
            profile = profiles.get(name)
            if profile is not None and profile.language != lang:
                where = profile.path or name
                raise ManifestError(path, f"has no `voices:`, so {name} is its {LANG_NAMES[lang]} host, but {where} "
                                    f"says language: {profile.language}; fix the profile or name the manifest's "
                                    f"voices, e.g. voices: {{{lang}: <a {LANG_NAMES[lang]} profile>}}")
        return chosen
    if not isinstance(value, yamlio.LineDict):
        raise _fail(path, data, "voices", "must map languages to profile names, e.g. {en: en-host, zh: zh-host}")
    for lang, name in value.items():
        line = value.line_of(lang)
        if lang not in LANGS:
            raise ManifestError(path, f"voices: unknown language {lang!r}{yamlio.suggest(lang, LANGS)}; "
                                f"use {', '.join(LANGS)}", line=line)
        if not isinstance(name, str) or name not in profiles:
            raise ManifestError(path, f"voices.{lang}: unknown voice profile {name!r}"
                                f"{yamlio.suggest(str(name), profiles)}; known profiles: "
                                f"{', '.join(sorted(profiles))} (files in voices/)", line=line)
        if profiles[name].language != lang:
            raise ManifestError(path, f"voices.{lang}: profile {name!r} speaks "
                                f"{LANG_NAMES[profiles[name].language]}, not {LANG_NAMES[lang]}; "
                                "pick a profile of that language", line=line)
        chosen[lang] = name
    return chosen


def _stinger(path: Path, data: yamlio.LineDict, key: str) -> Path | str | None:
    if key not in data:
        return BUILTIN_STINGER
    value = data[key]
    if value is False or value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise _fail(path, data, key, f"must be a path to an audio file, or false for none; got {value!r}")
    file = (path.parent / value.strip())
    if not file.is_file():
        raise _fail(path, data, key, f"stinger file {value!r} not found (looked at {file}); "
                    "fix the path (relative to the manifest) or write `false`")
    try:
        from audiopipe.tools import ffmpeg
        ffmpeg.probe_audio(file)
    except ToolError:
        raise _fail(path, data, key, f"stinger file {value!r} is not audio ffmpeg can read; "
                    "use a WAV, MP3, FLAC or OGG file") from None
    return file


def _stories(path: Path, data: yamlio.LineDict, order: tuple[str, ...]) -> tuple[Story, ...]:
    value = data.get("stories")
    if value is None:
        return ()
    if not isinstance(value, list) or not value:
        raise _fail(path, data, "stories", "must be a list of stories, each with `en:` and `zh:` texts")
    if len(value) > MAX_STORIES:
        raise _fail(path, data, "stories", f"has {len(value)} stories; an episode holds at most {MAX_STORIES} "
                    "(one chapter each); split it into several episodes")
    stories = []
    for number, item in enumerate(value, start=1):
        where = f"stories[{number}]."
        if not isinstance(item, yamlio.LineDict):
            raise _fail(path, data, "stories", f"story {number} must be a mapping with `en:` and `zh:` keys")
        yamlio.check_keys(path, item, STORY_KEYS, where, ManifestError)
        missing = [lang for lang in order if lang not in item]
        if missing:
            have = [lang for lang in LANGS if lang in item]
            raise ManifestError(
                path, f"stories[{number}]: has only {', '.join(LANG_NAMES[x] for x in have) or 'no text'}; "
                f"add `{missing[0]}:` with the {LANG_NAMES[missing[0]]} text", line=item.line)
        texts = {}
        for lang in order:
            text = _text(path, item, lang, where, required=True)
            assert text is not None
            found = dominant_lang(text)
            if found is not None and found != lang:
                raise ManifestError(path, f"{where}{lang}: this text looks {LANG_NAMES[found]}, not "
                                    f"{LANG_NAMES[lang]}; are `en` and `zh` swapped?", line=item.line_of(lang))
            problem = speakable_problem(text, lang)
            if problem:
                raise ManifestError(path, f"{where}{lang}: {problem}", line=item.line_of(lang))
            texts[lang] = text
        title, titles = _texts(path, item, "title", where, required=False)
        figures = item.get("figures", "check")
        accept = _accepted_figures(path, item, where, texts) if isinstance(figures, dict) else ()
        if not isinstance(figures, dict) and figures not in ("check", "accept"):
            raise ManifestError(path, f"{where}figures: must be `accept` (the languages' figures differ on purpose), "
                                "`{accept: [\"15 months\"]}` (these figures only) or `check`", line=item.line_of("figures"))
        stories.append(Story(number, title, MappingProxyType(texts), item.line, figures == "accept", titles, accept))
    return tuple(stories)


def _accepted_figures(path: Path, item: yamlio.LineDict, where: str, texts: Mapping[str, str]) -> tuple[str, ...]:
    """`figures: {accept: ["15 months", "3.204亿"]}`: each a figure of the story as written in either language."""
    figures, line = item["figures"], item.line_of("figures")
    wanted = figures.get("accept") if set(figures) == {"accept"} else None
    if not isinstance(wanted, list) or not wanted or not all(isinstance(w, str) and w.strip() for w in wanted):
        raise ManifestError(path, f"{where}figures: write `{{accept: [\"15 months\"]}}`, a list of the figures that may "
                            "differ as the text writes them", line=line)
    written = [f for f in english(texts.get("en", ""))] + [f for f in chinese(texts.get("zh", ""))]
    names = {"".join(n.split()).casefold() for f in written for n in (f.text, f.said)}
    for name in wanted:
        if "".join(name.split()).casefold() not in names:
            known = ", ".join(dict.fromkeys(f'"{f.said or f.text}"' for f in written)) or "none"
            raise ManifestError(path, f'{where}figures.accept: "{one_line(name)}" is no figure of this story; write it as '
                                f"the text does (its figures: {known})", line=line)
    return tuple(w.strip() for w in wanted)


def load_manifest(path: Path, profiles: Mapping[str, VoiceProfile]) -> Manifest:
    """Read and validate *path*; raise ManifestError (one line) on any problem."""
    path = Path(path)
    if path.suffix not in (".yaml", ".yml"):
        raise ManifestError(path, "a manifest is a .yaml file; see episodes/ for an example")
    data = yamlio.load(path, ManifestError)
    yamlio.check_keys(path, data, MANIFEST_KEYS, "", ManifestError)
    title, titles = _texts(path, data, "title", "", required=True)
    assert title is not None
    description, descriptions = _texts(path, data, "description", "", required=False, lines=True)
    date = _date(path, data)
    order = _order(path, data)
    stories = _stories(path, data, order)
    script = _text(path, data, "script", "", required=False)
    if stories and script:
        raise _fail(path, data, "script", "give either `stories:` or `script:`, not both")
    if not stories and not script:
        raise ManifestError(path, "stories: missing; add `stories:` (each with `en:` and `zh:`) "
                            "or a free bilingual `script:`", line=data.line)
    return Manifest(
        path=path, slug=path.stem, title=title, date=date, episode=_episode(path, data),
        description=description or "", titles=titles, descriptions=descriptions,
        order=order, voices=MappingProxyType(_voices(path, data, profiles)),
        intro=_stinger(path, data, "intro"), outro=_stinger(path, data, "outro"),
        stories=stories, script=script,
    )
