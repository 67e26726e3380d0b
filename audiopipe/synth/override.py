"""A reviewer's choice for one segment, in a module of its own: review.json holds it, and what reads
review.json (the feed's gate) needs nothing else of synthesis."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Override:
    """A reviewer's choice for one segment (a re-take): another profile, rate, engine or text."""

    profile: str | None = None
    rate: int | None = None
    engine: str | None = None
    text: str | None = None          # applied to the segment before planning (pipeline.plan)

    def to_json(self) -> dict[str, Any]:
        return {f: v for f, v in dataclasses.asdict(self).items() if v is not None}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Override:
        """Raises TypeError/ValueError/AttributeError on what is not an override."""
        rate = raw.get("rate")
        return cls(raw.get("profile"), None if rate is None else int(rate), raw.get("engine"), raw.get("text"))
