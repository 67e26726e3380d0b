"""The show: settings shared by every episode, from ``show.yaml``.

Found as ``--show FILE``, ``$AUDIOPIPE_SHOW``, or ``show.yaml`` at or above
the manifest's folder; without one, the defaults below apply.  One table
(:data:`SETTINGS`) says each setting's type and range.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from audiopipe.config import yamlio
from audiopipe.errors import InputError, ToolError
from audiopipe.text import LANGS, not_text, one_line


class ShowError(InputError):
    """show.yaml is invalid."""


@dataclass(frozen=True)
class Thresholds:
    """QA thresholds (``qa:`` in show.yaml)."""

    silent_lufs: float = -45.0          # a segment quieter than this is silent
    clip_run: int = 3                   # this many consecutive full-scale samples in a take = clipped
    short_ratio: float = 0.5            # shorter than this share of what its text predicts = cut short
    max_inner_silence_ms: int = 1500    # a pause longer than this inside a segment is unexpected
    loudness_tolerance_lu: float = 1.0
    asr_max_wer: float = 0.5            # English word error rate
    asr_max_syllable_er: float = 0.6    # Chinese tone-aware pinyin syllable error rate
    asr_timeout_s: float = 60.0
    naturalness_warn: float = 3.5       # a take's predicted listener score (1..5) under this warns
    naturalness_fail: float = 1.8       # ... and under this fails




@dataclass(frozen=True)
class Show:
    title: str = "audiopipe briefing"
    author: str = "audiopipe"
    description: str = ""
    # loudness (ITU-R BS.1770, as ffmpeg's ebur128 measures it)
    target_lufs: float = -16.0
    true_peak_dbtp: float = -1.0
    stinger_under_lu: float = 0.0
    bitrate_kbps: int = 96
    # joins (ms)
    gap_in_story_ms: int = 500
    gap_between_stories_ms: int = 1000
    after_intro_ms: int = 500
    before_outro_ms: int = 800
    intro_overlap_ms: int = 0
    outro_overlap_ms: int = 0
    # music bed
    bed: Path | None = None
    bed_under_lu: float = 20.0
    duck_db: float = 12.0
    # duration
    target_seconds: int = 180
    tolerance_pct: float = 10.0
    max_rate_change_pct: int = 15
    # publishing
    owner_name: str = ""
    owner_email: str = ""
    language: str = "en"                # the feed's language (RSS takes one); episodes add zh in their tags
    category: str = "News"
    subcategory: str = "Business News"
    explicit: bool = False
    artwork: Path | None = None         # None: a cover generated from the title
    base_url: str = ""                  # where output/ is served, e.g. https://example.com/podcast/
    feed_url: str = ""                  # default: base_url + feed.xml
    link: str = ""                      # the show's website; default: base_url
    copyright: str = ""                 # the feed's <copyright>, e.g. "© 2026 Morning Ledger Productions"
    locked: bool = True                 # podcast:locked: other hosts may not import the feed
    publish_time: str = "06:00"         # time of day (UTC) of each episode's pubDate
    review: str = "optional"            # "required": an episode reaches the feed only by `audiopipe release`
    editions: bool = True               # also an English-only and a Chinese-only MP3 of every episode
    video: bool = False                 # also <slug>.mp4 (captions burned in), a vertical clip per story
    feed_items: int = 0                 # how many of the newest episodes each feed lists; 0: all (all stay published)
    glosses: str = "speak"              # "drop": a parenthesized gloss in the other script is not spoken
    bylines: str = "drop"               # "read": a paragraph's closing byline ("– Lin Qiao") is spoken too
    take_max_s: int = 45                # a longer segment is made as several takes (sentence groups); 0: one take
    disclosure: str = ""                # that the voices are synthetic (feeds, tags); "": a default sentence
    titles: Mapping[str, str] = field(default_factory=dict)         # `title: {en: …, zh: …}`: each language's
    descriptions: Mapping[str, str] = field(default_factory=dict)   # `description: {en: …, zh: …}`
    credentials: tuple[Path, Path] | None = None   # the show's certificate chain and key (PEM); None: self-issued
    publish_to: str = ""                # `publish: {to: REMOTE:PATH}`: where `audiopipe publish` sends the show
    qa: Thresholds = Thresholds()
    path: Path | None = None

    def gap_before_ms(self, story: int | None, previous_story: int | None) -> int:
        """The pause before a segment that follows another: short inside a story, longer between stories."""
        same = story is not None and story == previous_story
        return self.gap_in_story_ms if same else self.gap_between_stories_ms

    @property
    def feed(self) -> str:
        return self.feed_url or (self.base_url + "feed.xml" if self.base_url else "")

    @property
    def window(self) -> tuple[float, float]:
        """The episode durations (seconds) that count as on target."""
        t = self.target_seconds
        return t * (1 - self.tolerance_pct / 100), t * (1 + self.tolerance_pct / 100)


THRESHOLD_RANGES: dict[str, tuple[float, float]] = {
    "silent_lufs": (-90, -20), "clip_run": (1, 44100), "short_ratio": (0, 1), "max_inner_silence_ms": (100, 60000),
    "loudness_tolerance_lu": (0.1, 20), "asr_max_wer": (0, 1), "asr_max_syllable_er": (0, 1),
    "naturalness_warn": (1, 5), "naturalness_fail": (1, 5),
    "asr_timeout_s": (1, 3600),
}
"""The range of each QA threshold (``qa:`` in show.yaml)."""

SETTINGS: dict[str, tuple[type, float, float]] = {
    # name: (type, low, high)
    "target_lufs": (float, -31, -9), "true_peak_dbtp": (float, -9, 0), "stinger_under_lu": (float, 0, 20),
    "bitrate_kbps": (int, 64, 320),
    "gap_in_story_ms": (int, 0, 5000), "gap_between_stories_ms": (int, 0, 10000),
    "after_intro_ms": (int, 0, 10000), "before_outro_ms": (int, 0, 10000),
    "intro_overlap_ms": (int, 0, 10000), "outro_overlap_ms": (int, 0, 10000),
    "bed_under_lu": (float, 6, 40), "duck_db": (float, 0, 40),
    "target_seconds": (int, 10, 4 * 3600), "tolerance_pct": (float, 1, 50),
    "max_rate_change_pct": (int, 0, 30), "take_max_s": (int, 0, 600), "feed_items": (int, 0, 100000),
}


def find_show_file(start: Path | None) -> Path | None:
    """``$AUDIOPIPE_SHOW``, else ``show.yaml`` at or above *start*; None: the defaults apply."""
    return yamlio.find_upwards(start, "show.yaml", "AUDIOPIPE_SHOW")


def locate_show(given: Path | None, start: Path | None = None, recorded: str | None = None) -> Path | None:
    """The show.yaml a command reads, by one rule: the one it was given (``--show``), else the one an episode
    was built with (*recorded* in its report.json, when that file is still there), else ``$AUDIOPIPE_SHOW``
    or ``show.yaml`` at or above *start* (a manifest's folder for a build, the current folder otherwise)."""
    if given is not None:
        return given
    if recorded and Path(recorded).is_file():
        return Path(recorded)
    return find_show_file(start if start is not None else Path.cwd())


BOOL_KEYS = ("explicit", "locked", "editions", "video")
REVIEW_CHOICES = ("optional", "required")
CHOICES = {
    "review": (REVIEW_CHOICES, "`review: required` (every segment approved in `audiopipe review`, then `audiopipe "
               "release`) or `review: optional`"),
    "bylines": (("read", "drop"), "`bylines: drop` (a paragraph's closing byline, \"– Lin Qiao\", stays in the "
                "transcript and the script, not the speech) or `bylines: read`"),
    "glosses": (("speak", "drop"), "`glosses: speak` (the other language's voice says it) or `glosses: drop` (left "
                "out of the speech, kept in the transcript)"),
}
"""Keys that take one of a few words: the words, and how the error says them."""


def _check_publishing(path: Path, data: yamlio.LineDict, values: dict[str, Any]) -> None:
    import re

    from audiopipe.config.categories import CATEGORIES

    def fail(key: str, message: str) -> ShowError:
        return ShowError(path, f"{key}: {message}", line=data.line_of(key))
    for key in ("base_url", "feed_url", "link"):
        url = values.get(key)
        if url and not re.match(r"^https?://[^\s/]+", url):
            raise fail(key, f"{url!r} is not an http(s) URL; write e.g. https://example.com/podcast/")
    if values.get("base_url") and not values["base_url"].endswith("/"):
        values["base_url"] += "/"
    email = values.get("owner_email")
    if email and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", email):
        raise fail("owner_email", f"{email!r} is not an email address")
    if "publish_time" in values and not re.match(r"^([01]\d|2[0-3]):[0-5]\d$", values["publish_time"]):
        raise fail("publish_time", f"{values['publish_time']!r} is not a time of day; write HH:MM (UTC)")
    if "language" in values and not re.match(r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$", values["language"]):
        raise fail("language", f"{values['language']!r} is not a language code; write e.g. en or zh-cn")
    category = values.get("category", Show.category)
    if category not in CATEGORIES:
        raise fail("category", f"{category!r} is not an Apple Podcasts category"
                   f"{yamlio.suggest(category, CATEGORIES)}; choose one of: {', '.join(CATEGORIES)}")
    if "category" in values and "subcategory" not in values:
        values["subcategory"] = ""
    sub = values.get("subcategory", Show.subcategory if category == Show.category else "")
    if sub and sub not in CATEGORIES[category]:
        choices = ", ".join(CATEGORIES[category]) or "none"
        raise fail("subcategory", f"{sub!r} is not a subcategory of {category}"
                   f"{yamlio.suggest(sub, CATEGORIES[category])}; choose one of: {choices}")


def load_show(path: Path | None) -> Show:
    if path is None:
        return Show()
    data = yamlio.load(path, ShowError)
    names = [f.name for f in fields(Show) if f.name not in ("path", "titles", "descriptions", "publish_to")]
    names.append("publish")
    yamlio.check_keys(path, data, names, "", ShowError)
    values: dict[str, Any] = {}
    for name in names:
        if name in data:
            value = _value(path, name, data[name], data.line_of(name))
            if value is not None:
                values[name] = value
    _publish_block(path, data, values)
    _check_publishing(path, data, values)
    for name in ("title", "description"):          # per language: the main one is the English (or the first)
        if isinstance(values.get(name), dict):
            values[f"{name}s"] = values[name]
            values[name] = values[name].get("en") or next(iter(values[name].values()))
    return Show(path=path, **values)


def _publish_block(path: Path, data: yamlio.LineDict, values: dict[str, Any]) -> None:
    """``publish: {to, base_url}``: the destination, and the public URL (said here or at the top, not both)."""
    block = values.pop("publish", None)
    if block is None:
        return
    values["publish_to"] = block["to"]
    if "base_url" in block:
        if values.get("base_url", block["base_url"]).rstrip("/") != block["base_url"].rstrip("/"):
            raise ShowError(path, "publish.base_url differs from base_url; keep one of them",
                            line=data.line_of("publish"))
        values["base_url"] = block["base_url"]


def _thresholds(path: Path, value: Any, line: int | None) -> Thresholds:
    """``qa:``: each threshold known, a finite number in its range (a whole one where it counts samples)."""
    known = list(Thresholds.__dataclass_fields__)
    if not isinstance(value, yamlio.LineDict):
        raise ShowError(path, "qa: must map thresholds to numbers, e.g. {max_inner_silence_ms: 2000}", line=line)
    for key, number in value.items():
        where = value.line_of(key)
        if key not in known:
            raise ShowError(path, f"qa.{key}: unknown threshold{yamlio.suggest(str(key), known)}; "
                            f"known: {', '.join(known)}", line=where)
        if isinstance(number, bool) or not isinstance(number, (int, float)) or not math.isfinite(number):
            raise ShowError(path, f"qa.{key}: must be a number, got {number!r}", line=where)
        lo, hi = THRESHOLD_RANGES[key]
        if not lo <= number <= hi:
            raise ShowError(path, f"qa.{key}: {number} is out of range; use {lo:g}..{hi:g}", line=where)
        if isinstance(getattr(Thresholds(), key), int) and number != int(number):
            raise ShowError(path, f"qa.{key}: must be a whole number, got {number!r}", line=where)
    limits = Thresholds(**{k: type(getattr(Thresholds(), k))(v) for k, v in value.items()})
    if limits.naturalness_fail > limits.naturalness_warn:
        raise ShowError(path, f"qa.naturalness_fail: {limits.naturalness_fail:g} is above naturalness_warn "
                        f"({limits.naturalness_warn:g}); a take must warn before it fails: lower it", line=line)
    return limits


def _publishing(path: Path, name: str, value: Any, line: int | None) -> Any:
    """``disclosure:``, ``credentials:`` and ``publish:``, checked."""
    if name == "credentials":
        return _credentials(path, value, line)
    if name == "publish":
        if not isinstance(value, dict) or "to" not in value or not set(value) <= {"to", "base_url"} or \
                not all(isinstance(v, str) and v for v in value.values()):
            raise ShowError(path, "publish: write publish: {to: REMOTE:PATH, base_url: https://…/} (a remote "
                            "`rclone config` knows, e.g. s3:my-bucket/podcast, or a folder; base_url where it is "
                            "served)", line=line)
        return dict(value)
    if not isinstance(value, str) or not value.strip() or len(value) > 4000:
        raise ShowError(path, "disclosure: must be a sentence (at most 4000 characters) saying that the voices "
                        "are synthetic", line=line)
    return value


def _credentials(path: Path, value: Any, line: int | None) -> tuple[Path, Path]:
    """``credentials: {certificate: chain.pem, key: key.pem}``: both files there (relative to show.yaml)."""
    hint = ("write credentials: {certificate: show-chain.pem, key: show-key.pem} (PEM files, relative to show.yaml), "
            "or remove the key to sign with a self-issued certificate")
    if not isinstance(value, dict) or set(value) != {"certificate", "key"}:
        raise ShowError(path, f"credentials: {hint}", line=line)
    files = []
    for key in ("certificate", "key"):
        file = path.parent / str(value[key])
        if not isinstance(value[key], str) or not file.is_file():
            raise ShowError(path, f"credentials.{key}: {str(value[key])!r} not found (looked at {file}); {hint}",
                            line=line)
        files.append(file)
    _check_pem(path, files[0], files[1], line, hint)
    return files[0], files[1]


def _check_pem(path: Path, chain: Path, key: Path, line: int | None, hint: str) -> None:
    """The certificate file holds certificates and the key file an unencrypted private key (PEM)."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import load_pem_private_key
    try:
        x509.load_pem_x509_certificates(chain.read_bytes())
    except ValueError:
        raise ShowError(path, f"credentials.certificate: {chain.name} holds no PEM certificate; {hint}",
                        line=line) from None
    try:
        load_pem_private_key(key.read_bytes(), password=None)
    except (ValueError, TypeError):
        where = key.relative_to(path.parent) if key.is_relative_to(path.parent) else key
        raise ShowError(path, f"credentials.key: {where} is not an unencrypted PEM private key (Ed25519, ECDSA or "
                        f"RSA); {hint}", line=line) from None


def _value(path: Path, name: str, value: Any, line: int | None) -> Any:
    """The checked value of one show.yaml key (None: leave the default)."""
    if name in SETTINGS:
        kind, lo, hi = SETTINGS[name]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ShowError(path, f"{name}: must be a number, got {value!r}", line=line)
        if kind is int and not isinstance(value, int):
            raise ShowError(path, f"{name}: must be a whole number, got {value!r}", line=line)
        if not lo <= value <= hi:
            raise ShowError(path, f"{name}: {value} is out of range; use {lo:g}..{hi:g}", line=line)
        value = kind(value)
    elif name == "qa":
        value = _thresholds(path, value, line)
    elif name in CHOICES and value not in CHOICES[name][0]:
        raise ShowError(path, f"{name}: {value!r} is not a choice; write {CHOICES[name][1]}", line=line)
    elif name in BOOL_KEYS:
        if not isinstance(value, bool):
            raise ShowError(path, f"{name}: must be true or false, got {value!r}", line=line)
    elif name == "artwork":
        if value is None:
            return None
        if not isinstance(value, str) or not (path.parent / value).is_file():
            raise ShowError(path, f"artwork: image {value!r} not found (looked at {path.parent / value}); "
                            "fix the path (relative to show.yaml) or remove the key for a generated cover",
                            line=line)
        from audiopipe.tools.images import check_artwork
        check_artwork(path.parent / value, where=f"{path}:{line}: artwork")
        value = path.parent / value
    elif name in ("disclosure", "credentials", "publish"):
        return _publishing(path, name, value, line)
    elif name == "bed":
        if value is None or value is False:
            return None
        if not isinstance(value, str):
            raise ShowError(path, f"bed: must be a path to an audio file, got {value!r}", line=line)
        file = path.parent / value
        if not file.is_file():
            raise ShowError(path, f"bed: music bed {value!r} not found (looked at {file}); fix the path "
                            "(relative to show.yaml) or remove the key", line=line)
        try:
            from audiopipe.tools import ffmpeg
            ffmpeg.probe_audio(file)
        except ToolError:
            raise ShowError(path, f"bed: {value!r} is not audio ffmpeg can read; use WAV, MP3, FLAC "
                            "or OGG", line=line) from None
        value = file
    elif name in ("title", "description") and isinstance(value, dict):       # {en: …, zh: …}
        unknown = [key for key in value if key not in LANGS]
        if unknown or not value:
            raise ShowError(path, f"{name}: give the text, or one per language ({{en: …, zh: …}}); "
                            f"{unknown[0]!r} is not a language" if unknown else f"{name}: is empty", line=line)
        return {lang: _text_value(path, f"{name}.{lang}", value[lang], line) for lang in LANGS if lang in value}
    else:
        value = _text_value(path, name, value, line)
    return value


def _text_value(path: Path, name: str, value: Any, line: int | None) -> str:
    if not isinstance(value, str) or (name.startswith(("title", "author")) and not value.strip()):
        raise ShowError(path, f"{name}: must be non-empty text; quote it", line=line)
    problem = not_text(" ".join(value.split()))
    if problem:
        raise ShowError(path, f"{name}: {problem}", line=line)
    return value.strip() if name.startswith("description") else one_line(value)   # a name or a title is one line
