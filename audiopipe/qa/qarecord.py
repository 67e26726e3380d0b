"""qa.json as a record: whether QA passed, on which MP3 (its content hash), every finding, what the
recognizer heard and the figures compared.  Schema 2 names the MP3 by SHA-256; schema 1 files (by
byte length only) are still read, and judged by length as they were written."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from audiopipe.publish import record
from audiopipe.publish.record import SegmentRecord
from audiopipe.qa.asr import Heard
from audiopipe.qa.findings import Finding, failed
from audiopipe.qa.naturalness import summary as naturalness_summary
from audiopipe.tools.fsutil import read_json, sha256_of, write_text

QA_FILE = record.QA_FILE
QA_SCHEMA = 2


@dataclass(frozen=True)
class QaRecord:
    passed: bool
    episode_sha256: str | None              # the MP3 QA heard (None: there was none)
    episode_bytes: int | None
    findings: tuple[Finding, ...] = ()
    asr: Mapping[int, Heard] = field(default_factory=lambda: MappingProxyType({}))
    figures: tuple[Mapping[str, Any], ...] = ()
    schema: int = QA_SCHEMA
    segments: tuple[Mapping[str, Any], ...] = ()     # each segment: index, language, naturalness
    naturalness: Mapping[str, Any] | None = None      # the episode's mean and lowest score (None: not scored)

    @classmethod
    def of(cls, findings: list[Finding], mp3: Path, asr: Mapping[int, Heard] | None = None,
           figures: list[dict[str, Any]] | None = None, segments: Sequence[SegmentRecord] = ()) -> QaRecord:
        """The record of a QA run on *mp3* (which may be missing) of an episode of *segments*."""
        here = mp3.is_file()
        return cls(not failed(findings), sha256_of(mp3) if here else None, mp3.stat().st_size if here else None,
                   tuple(findings), MappingProxyType(dict(asr or {})), tuple(figures or ()),
                   segments=tuple({"index": s.index, "lang": s.lang, "naturalness": s.naturalness} for s in segments),
                   naturalness=naturalness_summary(segments))

    def is_for(self, mp3: Path) -> bool:
        """Was this QA run on the MP3 at *mp3* now?  By content; a schema 1 record by its length."""
        if not mp3.is_file() or self.episode_bytes != mp3.stat().st_size:
            return False
        return self.schema < 2 or self.episode_sha256 == sha256_of(mp3)

    def to_json(self) -> dict[str, Any]:
        return {"schema": self.schema, "passed": self.passed, "episode_sha256": self.episode_sha256,
                "episode_bytes": self.episode_bytes, "findings": [asdict(f) for f in self.findings],
                "asr": {str(k): v.to_json() for k, v in self.asr.items()}, "figures": list(self.figures),
                "segments": [dict(s) for s in self.segments],
                "naturalness": dict(self.naturalness) if self.naturalness is not None else None}

    @classmethod
    def from_json(cls, data: Any) -> QaRecord:
        """Raises ValueError on anything that is not a qa.json."""
        if not isinstance(data, dict) or not isinstance(data.get("passed"), bool):
            raise ValueError("not a qa.json")
        try:
            findings = tuple(Finding(**f) for f in data.get("findings", []))
            asr = {int(k): Heard(**v) for k, v in data.get("asr", {}).items()}
        except (TypeError, AttributeError) as exc:
            raise ValueError(f"not a qa.json ({exc})") from None
        size = data.get("episode_bytes")
        segments = data.get("segments", [])
        about = data.get("naturalness")
        return cls(data["passed"], data.get("episode_sha256"), size if isinstance(size, int) else None, findings,
                   MappingProxyType(asr), tuple(data.get("figures", [])), int(data.get("schema", 1)),
                   tuple(s for s in segments if isinstance(s, dict)) if isinstance(segments, list) else (),
                   about if isinstance(about, dict) else None)

    @classmethod
    def load(cls, folder: Path) -> QaRecord | None:
        """The episode's last QA, or None when there is none (or it cannot be read)."""
        try:
            return cls.from_json(read_json(folder / QA_FILE))
        except (OSError, ValueError):
            return None

    def write(self, folder: Path) -> Path:
        path = folder / QA_FILE
        write_text(path, json.dumps(self.to_json(), ensure_ascii=False, indent=2) + "\n")
        return path
