"""QA of the language editions: each decodes to the length its parts add up to, is at the loudness
target under the ceiling, and carries its own title, language and chapters."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from audiopipe.config.show import Show
from audiopipe.dsp import loudness
from audiopipe.errors import ToolError
from audiopipe.publish.record import EditionRecord, EpisodeRecord
from audiopipe.publish.tags import Chapter, read_tags
from audiopipe.review.findings import Finding
from audiopipe.text import ISO639_2
from audiopipe.tools import ffmpeg
from audiopipe.tools.wav import WORK_RATE

TOLERANCE_S = 0.25      # decoder padding and rounding of each join


def expected_ms(record: EpisodeRecord, edition: EditionRecord, show: Show) -> float:
    """The edition's length from its parts: stingers + its segments + the show's gaps (as the build scaled
    them), computed from the bilingual episode's record rather than from the edition's own timeline."""
    scale = record.build.options.gap_scale

    def gap(ms: int) -> float:            # the mixer places gaps in whole milliseconds of 44 samples
        return int(ms * scale) * (WORK_RATE // 1000) * 1000 / WORK_RATE
    stingers = {s.kind: s.end_ms - s.start_ms for s in record.stingers}
    chosen = [s for s in record.segments if s.index in set(edition.segments)]
    total: float = sum(s.duration_ms for s in chosen)
    total += sum(gap(show.gap_before_ms(b.story, a.story)) for a, b in zip(chosen, chosen[1:]))
    if "intro" in stingers:
        overlap = min(show.intro_overlap_ms, stingers["intro"] // 2)
        total += stingers["intro"] - overlap if overlap else stingers["intro"] + gap(show.after_intro_ms)
    if "outro" in stingers:
        overlap = min(show.outro_overlap_ms, stingers["outro"] // 2)
        total += stingers["outro"] - overlap if overlap else stingers["outro"] + gap(show.before_outro_ms)
    return total


def findings(folder: Path, record: EpisodeRecord, show: Show) -> Iterator[Finding]:
    for edition in record.editions:
        yield from _one(folder, record, edition, show)


def _one(folder: Path, record: EpisodeRecord, edition: EditionRecord, show: Show) -> Iterator[Finding]:
    name, mp3 = f"the {edition.lang} edition", folder / edition.file
    try:
        got = sum(len(block) for block in ffmpeg.stream_decode(mp3)) / 2 / WORK_RATE   # streamed: flat memory
    except ToolError as exc:
        yield Finding("editions", "fail", f"{name} ({edition.file}) does not decode ({exc.message}); rebuild")
        return
    want = expected_ms(record, edition, show) / 1000
    problems = []
    tolerance = TOLERANCE_S + 0.001 * len(edition.segments)      # each segment's length is rounded to 1 ms
    if abs(got - want) > tolerance or abs(edition.duration_ms / 1000 - want) > tolerance:
        problems.append(f"it decodes to {got:.2f} s where its stingers, {len(edition.segments)} segments and "
                        f"gaps add up to {want:.2f} s")
    loud = loudness.measure_file_verbose(mp3)[0]
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
