"""The episode record: what was built — segments, voices, engines, timings, loudness, and the build's
options — as frozen records, written once as ``report.json`` and read back by every later step
(QA, the page, the feed, re-takes).  The JSON keeps every field tools read; ``schema`` says its version.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, cast

from audiopipe import __version__
from audiopipe.config.show import Show
from audiopipe.engines import Timings, Word
from audiopipe.errors import AudiopipeError
from audiopipe.tools.fsutil import read_json, write_text

SCHEMA = 2
"""Version of report.json's layout (1: before the records; 2: adds ``schema`` and ``build.options``)."""
FILE = "report.json"
QA_FILE = "qa.json"
REVIEW_FILE = "review.json"
"""The episode folder's records, named here only: the build's, QA's verdict (qa/qarecord) and the
reviewer's (review/verdicts); published/published.json is publish/feed's."""


def episode_folder(slug: str, out: Path) -> Path:
    """The built episode *slug* of the output folder *out* (or *slug* itself, an episode folder's path);
    one line when there is none."""
    folder = Path(slug) if Path(slug).is_dir() and (Path(slug) / FILE).is_file() else out / slug
    if not (folder / FILE).is_file():
        raise AudiopipeError(f"{folder}: no built episode here (no {FILE}); build it first with "
                             f"`audiopipe build episodes/{Path(slug).name}.yaml`")
    return folder


@dataclass(frozen=True)
class SegmentRecord:
    index: int
    lang: str
    story: int | None
    chapter: str | None
    voice_profile: str
    engine: str
    voice: str
    rate: int
    text: str                   # the script's text
    spoken_text: str            # the text the engine was given
    start_ms: int
    end_ms: int
    cached: bool
    take: str                   # the take's cache key
    loudness_lufs: float | None
    true_peak_dbtp: float | None
    gain_db: float
    take_loudness_lufs: float
    take_true_peak_dbtp: float
    lead_silence_ms: int
    trail_silence_ms: int
    file: str | None            # the segment's own MP3, relative to the episode folder
    word_timings: Timings
    words: tuple[Word, ...]            # where each word sits in the episode (ms)
    fallback: bool = False             # made by a fallback engine (--fallback, or auto without its service)
    speaker: str = ""                  # who speaks, as transcripts name them (a profile's `speaker`)
    spans: tuple[tuple[str, str], ...] = ()   # (script words, spoken words), in order: they join to text/spoken_text
    worker: str | None = None          # where a take made by this build was made: "local" or a Dask worker
    take_clip_run: int | None = None   # the take's longest run of samples at full scale (QA's clip check)
    expected_ms: int | None = None     # how long its text takes at the voice's calibrated pace (QA's cut-short check)
    naturalness: float | None = None   # the take's predicted listener score, 1..5 (dsp/naturalness; None: not scored)

    @property
    def duration_ms(self) -> int:
        return self.end_ms - self.start_ms

    @property
    def label(self) -> str:
        return f"segment {self.index} ({self.lang})"

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            data[name] = getattr(self, name)
            if name == "end_ms":           # the order tools have read since schema 1: duration after end
                data["duration_ms"] = self.duration_ms
        data["words"] = [{"start_ms": w.start_ms, "end_ms": w.end_ms, "text": w.text} for w in self.words]
        data["spans"] = [list(span) for span in self.spans]
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SegmentRecord:
        optional = ("fallback", "speaker", "spans", "worker", "take_clip_run", "expected_ms", "naturalness")
        values = {k: data[k] for k in cls.__dataclass_fields__ if k != "words" and (k in data or k not in optional)}
        if "spans" in values:
            values["spans"] = tuple((str(a), str(b)) for a, b in values["spans"])
        return cls(**values, words=tuple(Word(int(w["start_ms"]), int(w["end_ms"]), str(w["text"]))
                                         for w in data["words"]))


@dataclass(frozen=True)
class ChapterRecord:
    story: int
    title: str
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class StingerRecord:
    kind: Literal["intro", "outro"]
    start_ms: int
    end_ms: int
    gain_db: float


@dataclass(frozen=True)
class BedRecord:
    file: str
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class EpisodeInfo:
    slug: str
    title: str
    date: str                   # ISO date
    episode: int | None
    description: str | None
    manifest: str               # the manifest's path
    file: str                   # the MP3, relative to the episode folder
    order: tuple[str, ...]
    mode: Literal["stories", "script"]
    duration_ms: int
    loudness_lufs: float
    true_peak_dbtp: float
    target_lufs: float
    true_peak_limit_dbtp: float
    window_s: tuple[float, float]
    figures_accepted: tuple[int, ...] = ()      # stories whose figures may differ (`figures: accept`)
    figures_accept: tuple[tuple[int, str], ...] = ()   # (story, figure) that may differ (`figures: {accept: [...]}`)

    OPTIONAL = ("figures_accepted", "figures_accept")

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["order"], data["window_s"] = list(self.order), list(self.window_s)
        data["figures_accepted"] = list(self.figures_accepted)
        data["figures_accept"] = [list(pair) for pair in self.figures_accept]
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> EpisodeInfo:
        values = {k: data[k] for k in cls.__dataclass_fields__ if k in data or k not in cls.OPTIONAL}
        values["order"] = tuple(values["order"])
        values["window_s"] = (float(values["window_s"][0]), float(values["window_s"][1]))
        values["figures_accepted"] = tuple(int(n) for n in values.get("figures_accepted", ()))
        values["figures_accept"] = tuple((int(n), str(name)) for n, name in values.get("figures_accept", ()))
        return cls(**values)

    def accepts(self) -> dict[int, tuple[str, ...]]:
        """Story -> the figures the manifest accepts in it by name."""
        out: dict[int, tuple[str, ...]] = {}
        for story, name in self.figures_accept:
            out[story] = (*out.get(story, ()), name)
        return out


@dataclass(frozen=True)
class RecordedOptions:
    """The choices a build was made with, so that a re-take reproduces it."""

    engine: str | None = None           # the --engine given (None: each profile's own)
    speed: float = 1.0                  # speaking-rate factor chosen by --fit
    gap_scale: float = 1.0              # gap factor chosen by --fit
    show: str | None = None             # the show.yaml used
    voices: str | None = None           # the voices/ folder used
    fallback: str | None = None         # --fallback: the engine that makes a segment the primary cannot
    publish_fallback: bool = False      # --publish-fallback: a fallback-made episode may reach the feed

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> RecordedOptions:
        if not data:
            return cls()
        return cls(data.get("engine"), float(data.get("speed", 1.0)), float(data.get("gap_scale", 1.0)),
                   data.get("show"), data.get("voices"), data.get("fallback"),
                   bool(data.get("publish_fallback", False)))


@dataclass(frozen=True)
class BuildInfo:
    synthesized: int
    cached: int
    seconds: float
    stages: Mapping[str, float] = field(default_factory=dict)
    episode_reused: bool = False
    options: RecordedOptions = RecordedOptions()

    def to_json(self) -> dict[str, Any]:
        return {"synthesized": self.synthesized, "cached": self.cached, "seconds": self.seconds,
                "stages": dict(self.stages), "episode_reused": self.episode_reused,
                "options": asdict(self.options)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> BuildInfo:
        return cls(int(data["synthesized"]), int(data["cached"]), float(data["seconds"]),
                   dict(data.get("stages", {})), bool(data.get("episode_reused", False)),
                   RecordedOptions.from_json(data.get("options")))


EDITION_NAMES = {"en": "English", "zh": "中文"}
EDITION_REL = {"en": "English edition", "zh": "中文版", "": "English + 中文"}
"""How each alternate enclosure relates to the others (the namespace's `rel`, at most 32 characters):
apps group files of one `rel` as the same content; "" is the bilingual episode."""


@dataclass(frozen=True)
class EditionRecord:
    """A one-language edition of the episode: that language's segments between the same stingers."""

    lang: str
    file: str                           # the MP3, relative to the episode folder
    title: str
    guid: str
    duration_ms: int
    loudness_lufs: float
    true_peak_dbtp: float
    segments: tuple[int, ...]           # the segment numbers it carries, in order
    chapters: tuple[ChapterRecord, ...]
    transcript: str                     # its VTT, relative to the episode folder
    chapters_file: str                  # its chapters.json
    description: str = ""               # in its language (the manifest's, else its stories' titles)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["segments"], data["chapters"] = list(self.segments), [asdict(c) for c in self.chapters]
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> EditionRecord:
        values = dict(data)
        values["segments"] = tuple(int(i) for i in data["segments"])
        values["chapters"] = tuple(ChapterRecord(**c) for c in data["chapters"])
        return cls(**values)


@dataclass(frozen=True)
class EpisodeRecord:
    """Everything about one built episode; ``report.json`` is its JSON."""

    episode: EpisodeInfo
    build: BuildInfo
    chapters: tuple[ChapterRecord, ...]
    stingers: tuple[StingerRecord, ...]
    bed: BedRecord | None
    segments: tuple[SegmentRecord, ...]
    guid: str
    version: str = __version__
    schema: int = SCHEMA
    editions: tuple[EditionRecord, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "audiopipe": self.version, "schema": self.schema,
            "episode": self.episode.to_json(), "build": self.build.to_json(),
            "chapters": [asdict(c) for c in self.chapters], "stingers": [asdict(s) for s in self.stingers],
            "bed": None if self.bed is None else asdict(self.bed),
            "segments": [s.to_json() for s in self.segments], "guid": self.guid,
            "editions": [e.to_json() for e in self.editions],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> EpisodeRecord:
        bed = data.get("bed")
        return cls(
            EpisodeInfo.from_json(data["episode"]), BuildInfo.from_json(data["build"]),
            tuple(ChapterRecord(**c) for c in data["chapters"]),
            tuple(StingerRecord(**s) for s in data["stingers"]),
            None if not bed else BedRecord(**bed),
            tuple(SegmentRecord.from_json(s) for s in data["segments"]),
            str(data.get("guid") or ""), str(data.get("audiopipe", "?")), int(data.get("schema", 1)),
            tuple(EditionRecord.from_json(e) for e in data.get("editions", ())))

    def edition(self, lang: str) -> EditionRecord | None:
        return next((e for e in self.editions if e.lang == lang), None)

    def as_edition(self, edition: EditionRecord) -> EpisodeRecord:
        """This record seen as one of its editions (for that language's feed): its file, title, description,
        length, chapters, guid and segments."""
        keep = set(edition.segments)
        info = replace(self.episode, title=edition.title, file=edition.file, duration_ms=edition.duration_ms,
                       order=(edition.lang,), description=edition.description or self.episode.description)
        return replace(self, episode=info, guid=edition.guid, chapters=edition.chapters,
                       segments=tuple(s for s in self.segments if s.index in keep), editions=())

    def write(self, folder: Path) -> Path:
        path = folder / FILE
        write_text(path, json.dumps(self.to_json(), ensure_ascii=False, indent=2) + "\n")
        return path

    @classmethod
    def load(cls, folder: Path) -> EpisodeRecord:
        """The record of the episode built in *folder*; a missing or damaged one is a one-line error."""
        path = folder / FILE
        try:
            data = read_json(path)
            return cls.from_json(cast(Mapping[str, Any], data))
        except FileNotFoundError:
            raise AudiopipeError(f"{path}: no built episode here; build it first") from None
        except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
            raise AudiopipeError(f"{path}: cannot read the build report ({type(exc).__name__}: {exc}); "
                                 "rebuild the episode") from None


DISCLOSURE = "Every voice in this show is synthetic: the scripts are read by text-to-speech software."
"""What the feeds and tags say when show.yaml has no `disclosure:`."""


def voices_of(record: EpisodeRecord) -> list[str]:
    """The engines and voices that speak in the episode ("kokoro zf_xiaobei (zh)"), in order of first use."""
    return list(dict.fromkeys(f"{s.engine} {s.voice} ({s.lang})" for s in record.segments))


def disclosure(show: Show, record: EpisodeRecord | None = None) -> str:
    """The show's disclosure; for an episode, followed by the voices that speak in it."""
    text = show.disclosure or DISCLOSURE
    voices = [] if record is None else voices_of(record)
    return f"{text} Voices: {', '.join(voices)}." if voices else text


PUBLISHED = "published"
"""The folder inside an episode's that holds what the feed serves: the last build that passed the gate
(publish/episode.promote)."""


def video_file(slug: str) -> str:
    """The video edition's file in an episode's folder (made by publish/video.py, served beside the MP3s)."""
    return f"{slug}.mp4"


def previous_guid(folder: Path) -> str | None:
    """The guid the episode in *folder* was first published with (kept across rebuilds), if any."""
    try:
        guid = read_json(folder / FILE).get("guid")
    except (OSError, ValueError, AttributeError):
        return None
    return guid if isinstance(guid, str) and guid else None
