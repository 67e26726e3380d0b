"""A finding of a QA check, and the summary of many."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from audiopipe import logs

Status = Literal["pass", "fail", "warn", "skip", "info"]


@dataclass(frozen=True)
class Finding:
    check: str
    status: Status
    message: str
    segment: int | None = None


def summary(findings: Sequence[Finding]) -> str:
    count = {s: sum(f.status == s for f in findings) for s in ("pass", "fail", "warn", "skip")}
    return (f"qa: {count['pass']} passed, {count['fail']} failed, {count['warn']} warnings, "
            f"{count['skip']} skipped")


def failed(findings: Sequence[Finding]) -> bool:
    return any(f.status == "fail" for f in findings)


def say(findings: Sequence[Finding]) -> None:
    """The failures and warnings among *findings*, one console line each."""
    for f in findings:
        if f.status in ("fail", "warn"):
            logs.say(f"qa {'FAIL' if f.status == 'fail' else 'warn'} [{f.check}] {f.message}")
