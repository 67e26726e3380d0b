"""The duration budget: an episode's length estimated before synthesis (the build prints it, the
importer shows where a script passes its target), and the fit decided from it, so that a --fit
build synthesizes each take once."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from audiopipe import logs
from audiopipe.config.show import Show
from audiopipe.synth import timing
from audiopipe.synth.plan import Job

FIT_MARGIN = 0.25
"""Before synthesis, an estimate this far (a share of the window's half-width) from an edge of the
window is fitted too: the estimate is good to a few percent, not exact."""


@dataclass(frozen=True)
class Budget:
    """The episode's estimated length before synthesis: each story, and the stingers and their gaps."""

    stories: list[tuple[str, timing.StoryTime]]      # (name, estimate)
    frame_s: float                                    # stingers and the gaps beside them
    target_s: float

    @property
    def total_s(self) -> float:
        return self.frame_s + sum(st.seconds + st.gaps_s for _, st in self.stories)

    @property
    def speech_s(self) -> float:
        return sum(st.seconds for _, st in self.stories)

    @property
    def gaps_s(self) -> float:
        return sum(st.gaps_s for _, st in self.stories)


def estimate(jobs: Sequence[Job], calibration: timing.Calibration, show: Show, frame_s: float,
             titles: Mapping[int, str | None]) -> Budget:
    """Every story from the calibrated speaking rate of its voices and the show's gaps."""
    stories = timing.story_times([(job.segment, job.text, job.settings) for job in jobs], calibration, show)
    named = []
    for st in stories:
        title = titles.get(st.key) if isinstance(st.key, int) else None
        named.append(((f"story {st.key}" + (f" {title!r}" if title else "")) if isinstance(st.key, int)
                      else str(st.key), st))
    return Budget(named, frame_s, show.target_seconds)


def print_budget(b: Budget) -> None:
    logs.say("budget (estimated before synthesis):")
    for name, st in b.stories:
        detail = " + ".join(f"{lang} {timing.mmss(s)}" for lang, s in st.parts)
        logs.say(f"  {name:<44} {timing.mmss(st.seconds):>5}  ({detail})")
    diff = b.total_s - b.target_s
    logs.say(f"  {'episode':<44} {timing.mmss(b.total_s):>5}  (target {timing.mmss(b.target_s)}, "
             f"{'+' if diff >= 0 else '-'}{abs(round(diff))} s)")


def running_lines(b: Budget) -> list[str]:
    """Story by story with the running total, and which story passes the show's target."""
    total, over, lines = b.frame_s, False, []
    for name, st in b.stories:
        seconds = st.seconds + st.gaps_s
        total += seconds
        mark = ""
        if total > b.target_s and not over:
            mark, over = f"  <- passes {timing.mmss(b.target_s)} here", True
        elif over:
            mark = "  <- past the target"
        lines.append(f"  {name:<50} {timing.mmss(seconds):>5}  (total {timing.mmss(total)}){mark}")
    lines.append(f"  estimated episode: {timing.mmss(total)} (target {timing.mmss(b.target_s)})")
    return lines


MAX_EPISODE_S = 4 * 3600
"""The longest episode a build makes (show.yaml's longest target): longer is refused before synthesis."""


def fit_before_synthesis(b: Budget, show: Show) -> timing.FitPlan:
    """The gaps and speaking rate that bring the estimate well inside the window (by FIT_MARGIN of
    its half-width), so the takes are made once at the right rate; 1.0 and 1.0 when it is already."""
    lo, hi = show.window
    inset = (hi - lo) / 2 * FIT_MARGIN
    return timing.plan_fit(b.total_s, b.speech_s, b.gaps_s, (lo + inset, hi - inset), show.max_rate_change_pct)
