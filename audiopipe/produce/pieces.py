"""A programme's MP3 made of pieces: each encoded on its own, kept in the store by what it is made
from, and joined gapless (:mod:`audiopipe.tools.mp3join`).  A re-take changes one piece of the
episode and one of its edition, so only those two are encoded again; a cold build encodes every
piece of a file in one ffmpeg, one encoder thread each.

A piece ends where the programme is silent: it is cut :data:`PRE_ROLL` before a part that starts
after a gap (on the frame grid: :func:`audiopipe.produce.mix.layout`), where nothing sounds for
:data:`QUIET_BEFORE` samples before the cut (the piece's padding and the next one's delay are
heard there).  So a part that moves (a longer take before it) moves by whole frames and its piece
keeps its bytes.  A programme under a music bed has no silence: it is one piece.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from audiopipe.config.show import Show
from audiopipe.dsp import loudness
from audiopipe.dsp.loudness import Loudness
from audiopipe.errors import ToolError
from audiopipe.produce.master import PUBLISHED_SLACK_LU, RATE, encoder_loss_lu, limit, master_stream
from audiopipe.produce.mix import Timeline, render
from audiopipe.produce.store import MasterStore
from audiopipe.tools import ffmpeg, mp3join
from audiopipe.tools.fsutil import atomic_path
from audiopipe.tools.mp3join import FRAME_SAMPLES, START

PRE_ROLL = 2 * FRAME_SAMPLES
"""A piece opens this long before its first part (silence: the encoder settles before speech)."""
QUIET_BEFORE = START + FRAME_SAMPLES // 2
"""The silence a cut needs before it: a piece's input ends this far before the next piece starts, so
that its frames come out a whole number (``mp3join.frames_for``) with room on either side."""

Measure = Callable[[Path, Callable[[], float]], Loudness]
"""How a made MP3 is measured as decoded: its integrated loudness, and its true peak (which it may take
from the second argument, the highest of its pieces', each measured once as decoded and kept)."""


def measure_file(path: Path, true_peak: Callable[[], float]) -> Loudness:
    """The plain :data:`Measure`: ffmpeg's ebur128 over the whole file, true peak included."""
    return loudness.measure_file(path)


@dataclass(frozen=True)
class Span:
    """One piece: where it starts (on the frame grid), how many samples it encodes, what it holds."""

    start: int
    length: int
    tag: str


def spans(timeline: Timeline, show: Show, ceiling: float, gain_db: float) -> list[Span]:
    """The pieces of *timeline* mastered at *gain_db* under *ceiling*, in order, tagged by their sound."""
    cuts = [0]
    if timeline.bed is None:
        for clip in sorted(timeline.clips, key=lambda c: c.start):
            cut = clip.start - PRE_ROLL
            if cut % FRAME_SAMPLES or cut - QUIET_BEFORE <= cuts[-1]:
                continue
            if not any(o.start < cut and o.end > cut - QUIET_BEFORE for o in timeline.clips):
                cuts.append(cut)
    bed = timeline.signature(show) if timeline.bed is not None else None
    out = []
    for start, nxt in zip(cuts, [*cuts[1:], None]):
        length = timeline.length - start if nxt is None else nxt - start - QUIET_BEFORE
        held = [(c.kind, c.start - start, c.length, c.tag) for c in timeline.clips
                if c.start < start + length and c.end > start]
        out.append(Span(start, length, MasterStore.tag("piece", held, length, bed, round(gain_db, 4), ceiling,
                                                       show.bitrate_kbps)))
    return out


def programme_correction(timeline: Timeline, show: Show, levels: MasterStore, ceiling: float) -> float:
    """The gain that brings a short programme, limited at *ceiling*, to the show's target, measured, not
    assumed: from its pieces' K-weighted energies at gain 0 (each piece limited alone, as it is
    encoded), kept with each piece, so that a re-take measures only the piece it changed."""
    cells = np.zeros(-(-timeline.length // loudness.CELL), np.float32)
    for span in spans(timeline, show, ceiling, 0.0):
        def make(span: Span = span) -> npt.NDArray[np.float32]:
            blocks = list(render(timeline, start=span.start, end=span.start + span.length))
            return loudness.energy_cells(limit(np.concatenate(blocks) if blocks else np.zeros(0, np.float32),
                                               ceiling), RATE)
        kept = levels.cells(span.tag, make)
        at = span.start // loudness.CELL                 # pieces start on the frame grid: a whole cell
        cells[at:at + len(kept)] += kept[:len(cells) - at]
    measured = loudness.integrated_from_cells(cells, RATE)
    return 0.0 if measured <= -70 else round(max(-6.0, min(6.0, show.target_lufs - measured)), 2)


def encode_published(timeline: Timeline, show: Show, levels: MasterStore, out: Path, ceiling: float,
                     gain_db: float, remaster: bool = False, measure: Measure = measure_file) -> Loudness:
    """Master and encode *timeline* to *out* so that the decoded MP3, what listeners hear, measures the
    show's target (within 0.2 LU) with true peaks at most its limit: the encoder's loss made up in
    advance, the joined file measured as decoded by *measure* (the build passes QA's, which keeps what it
    measured), and made again with the difference when it is off (at most twice more).  Pieces in the
    store are used unless *remaster*.  Its decoded loudness."""
    gain = gain_db + encoder_loss_lu(show.bitrate_kbps)
    for _ in range(3):
        made = spans(timeline, show, ceiling, gain)
        joined = _pieces(timeline, made, levels, ceiling, gain, show.bitrate_kbps, remaster)
        with out.open("wb") as sink:              # the joined file, piece by piece: an hour is never held whole
            sink.write(mp3join.header(joined, timeline.length))
            for span in made:
                sink.write(mp3join.audio_of(levels.piece(span.tag).read_bytes()))
        with ThreadPoolExecutor(1) as side:       # the pieces' true peaks beside the pass over the whole
            peak = side.submit(true_peak, [(levels.piece(span.tag), piece) for span, piece in zip(made, joined)],
                               levels)
            decoded = measure(out, peak.result)
        off, over = show.target_lufs - decoded.integrated_lufs, decoded.true_peak_dbtp - show.true_peak_dbtp
        if (abs(off) <= PUBLISHED_SLACK_LU and over <= 0) or decoded.integrated_lufs <= -70:
            break
        gain += off
        ceiling -= max(0.0, over + 0.1)
    return decoded


TRUE_PEAK = loudness.ebur128_filter(name="ebur128@p{i}")
"""A piece's true peak as decoded (the instance named by its place: ffmpeg prints the summaries in any order)."""
GROUP = 16
"""Pieces encoded by one ffmpeg at most (an hour has hundreds: they go a group at a time)."""


def _pieces(timeline: Timeline, made: Sequence[Span], levels: MasterStore, ceiling: float, gain: float,
            bitrate_kbps: int, remaster: bool) -> list[mp3join.Piece]:
    """The pieces of *made*: from the store when there and whole (a damaged one is made again), else (and
    all of them with *remaster*) encoded now."""
    found = {} if remaster else {span.tag: _stored(levels.piece(span.tag), span, span is made[-1]) for span in made}
    missing = [span for span in made if found.get(span.tag) is None]
    _encode(timeline, missing, levels, ceiling, gain, bitrate_kbps)
    for span in missing:
        found[span.tag] = _read(levels.piece(span.tag), span, span is made[-1])
    return [piece for piece in (found[span.tag] for span in made) if piece is not None]


def _encode(timeline: Timeline, missing: Sequence[Span], levels: MasterStore, ceiling: float, gain: float,
            bitrate_kbps: int) -> None:
    """*missing*, each mastered through its own limiter as if it were alone, a group at a time in one
    ffmpeg; each renamed into place only when whole."""
    for first in range(0, len(missing), GROUP):
        group = missing[first:first + GROUP]
        with contextlib.ExitStack() as stack:
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=".pieces-", dir=levels.root)))
            jobs = []
            for span in group:
                pcm = work / f"{span.tag}.pcm"
                with pcm.open("wb") as sink:
                    for block in master_stream(render(timeline, start=span.start, end=span.start + span.length),
                                               ceiling, gain):
                        sink.write(block)
                jobs.append((pcm, stack.enter_context(atomic_path(levels.piece(span.tag)))))
            ffmpeg.encode_mp3_pieces(jobs, bitrate_kbps)


def true_peak(located: Sequence[tuple[Path, mp3join.Piece]], levels: MasterStore) -> float:
    """The joined file's true peak: the highest of its pieces' (the seams between them are silence),
    each measured as decoded once and kept by the piece's bytes (a `--remaster` that makes the same bytes
    measures nothing); the ones not measured yet in one ffmpeg, a group at a time."""
    peaks = {piece.digest: levels.peak(piece.digest) for _, piece in located}
    missing = [(path, piece.digest) for path, piece in located if peaks[piece.digest] is None]
    for first in range(0, len(missing), GROUP):
        group = missing[first:first + GROUP]
        report = ffmpeg.measure_each([path for path, _ in group], TRUE_PEAK)
        for (_, digest), peak in zip(group, loudness.true_peaks(report, len(group))):
            levels.put_peak(digest, peak)
            peaks[digest] = peak
    return max(peak for peak in peaks.values() if peak is not None)


def _stored(path: Path, span: Span, last: bool) -> mp3join.Piece | None:
    try:
        return _read(path, span, last)
    except (OSError, ToolError):
        return None


def _read(path: Path, span: Span, last: bool) -> mp3join.Piece:
    """A stored piece; one that another follows must be the whole frames its span was cut for (the last
    one's frames are what the encoder made: a few lengths get one frame more, and the tag says so)."""
    piece = mp3join.read_piece(path.read_bytes())
    if not last and piece.frames != mp3join.frames_for(span.length):
        raise ToolError(f"{path}: the encoder made {piece.frames} frames of {span.length} samples, not "
                        f"{mp3join.frames_for(span.length)}; run again with --remaster")
    return piece
