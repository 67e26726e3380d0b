"""QA of the language editions: each decodes to the length its parts add up to, is at the loudness
target under the ceiling, and carries its own title, language and chapters."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from audiopipe.config.show import Show
from audiopipe.dsp import loudness
from audiopipe.errors import ToolError
from audiopipe.produce.mix import layout
from audiopipe.publish.record import EditionRecord, EpisodeRecord
from audiopipe.publish.tags import Chapter, read_tags
from audiopipe.qa.findings import Finding
from audiopipe.qa.measured import listened
from audiopipe.text import ISO639_2
from audiopipe.tools.wav import WORK_RATE

TOLERANCE_S = 0.25      # decoder padding and rounding of each join


def expected_ms(record: EpisodeRecord, edition: EditionRecord, show: Show) -> float:
    """The edition's length from its parts: stingers + its segments + the show's gaps (as the build scaled
    them), computed from the bilingual episode's record rather than from the edition's own timeline."""
    def samples(ms: int) -> int:
        return ms * WORK_RATE // 1000
    stingers = {s.kind: samples(s.end_ms - s.start_ms) for s in record.stingers}
    chosen = [s for s in record.segments if s.index in set(edition.segments)]
    placed = layout(show, record.build.options.gap_scale, stingers.get("intro"),
                    [(s.story, samples(s.duration_ms)) for s in chosen], stingers.get("outro"))
    return placed.length * 1000 / WORK_RATE


def findings(folder: Path, record: EpisodeRecord, show: Show, cache_root: Path | None = None) -> Iterator[Finding]:
    for edition in record.editions:
        yield from _one(folder, record, edition, show, cache_root)


def _one(folder: Path, record: EpisodeRecord, edition: EditionRecord, show: Show,
         cache_root: Path | None) -> Iterator[Finding]:
    name, mp3 = f"the {edition.lang} edition", folder / edition.file
    try:
        kept = listened(cache_root, mp3)
        got = kept["samples"] / WORK_RATE
    except ToolError as exc:
        yield Finding("editions", "fail", f"{name} ({edition.file}) does not decode ({exc.message}); rebuild")
        return
    want = expected_ms(record, edition, show) / 1000
    problems = []
    tolerance = TOLERANCE_S + 0.001 * len(edition.segments)      # each segment's length is rounded to 1 ms
    if abs(got - want) > tolerance or abs(edition.duration_ms / 1000 - want) > tolerance:
        problems.append(f"it decodes to {got:.2f} s where its stingers, {len(edition.segments)} segments and "
                        f"gaps add up to {want:.2f} s")
    loud = loudness.Loudness(kept["lufs"], kept["true_peak"])
    tol = show.qa.loudness_tolerance_lu
    if abs(loud.integrated_lufs - show.target_lufs) > tol:
        problems.append(f"it measures {loud.integrated_lufs:.1f} LUFS, outside {show.target_lufs:g} ±{tol:g}")
    if loud.true_peak_dbtp > show.true_peak_dbtp:
        problems.append(f"its true peak {loud.true_peak_dbtp:.1f} dBTP is over {show.true_peak_dbtp:g}")
    try:
        tags = read_tags(mp3)
    except ToolError as exc:
        tags = None
        problems.append(exc.message)
    if tags is not None:
        if tags.title != edition.title or tags.languages != (ISO639_2[edition.lang],):
            problems.append(f"its tag says {tags.title!r} in {'/'.join(tags.languages) or 'no language'}, not "
                            f"{edition.title!r} in {ISO639_2[edition.lang]}")
        if list(tags.chapters) != [Chapter(c.start_ms, c.end_ms, c.title) for c in edition.chapters]:
            problems.append("its chapters differ from the report's")
    if problems:
        yield Finding("editions", "fail", f"{name} ({edition.file}): {'; '.join(problems)}; rebuild the episode")
    else:
        yield Finding("editions", "pass", f"{name}: {got:.1f} s as its parts add up, {loud.integrated_lufs:.1f} "
                      f"LUFS, tagged {ISO639_2[edition.lang]}, {len(edition.chapters)} chapters")
