"""Automatic checks of a built episode, run by every build and by ``audiopipe qa``.

Each check yields findings that name the segment and what to do.  A failed
check fails ``audiopipe qa`` (exit 1) and is flagged on the QA page.
Thresholds are show settings (``qa_*`` in show.yaml).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from audiopipe.config.show import Show
from audiopipe.dsp import loudness, signal
from audiopipe.engines import voice_language
from audiopipe.errors import ToolError
from audiopipe.publish import credentials
from audiopipe.publish.record import EpisodeRecord, SegmentRecord
from audiopipe.publish.tags import Chapter, read_tags
from audiopipe.qa import asr as asr_module
from audiopipe.qa import editions as editions_check
from audiopipe.qa import figures as figures_check
from audiopipe.qa import naturalness as naturalness_check
from audiopipe.qa import video as video_check
from audiopipe.qa.findings import Finding, failed, summary
from audiopipe.qa.measured import listened, measured
from audiopipe.qa.page import Observed, write_page
from audiopipe.qa.qarecord import QaRecord
from audiopipe.synth import timing
from audiopipe.text import LANG_NAMES
from audiopipe.tools import ffmpeg
from audiopipe.tools.wav import WORK_RATE

__all__ = ["Checker", "Finding", "failed", "review", "summary"]



class Checker:
    def __init__(self, folder: Path, show: Show, cache_root: Path, asr: bool = False,
                 progress: Callable[[str, int, int], None] | None = None, strict: bool = False) -> None:
        self.folder = folder
        self.show = show
        self.limits = show.qa
        self.cache_root = cache_root            # the recognizer's model, and what was measured before
        self.asr = asr
        self.progress = progress
        self.record = EpisodeRecord.load(folder)
        self.mp3 = folder / self.record.episode.file
        self.waveform: tuple[list[float], list[float]] | None = None
        self.loudness_curve: list[tuple[float, float]] = []
        self.asr_results: dict[int, asr_module.Heard] | None = None
        self.strict = strict                    # a figure in doubt fails, as a contradiction does
        self.figures = figures_check.story_figures(((s.story, s.lang, s.text) for s in self.record.segments),
                                                   self.record.episode.figures_accepted, self.record.episode.accepts())

    def run(self) -> list[Finding]:
        checks = (self.order, self.figures_agree, self.decodes, self.tags, self.content_credentials,
                  self.episode_loudness, self.duration, self.segments, self.editions, self.voice_language,
                  self.naturalness, self.video, self.speech_recognition)
        heavy = (self.decodes, self.episode_loudness, self.segments, self.editions, self.video)   # mostly ffmpeg processes
        with ThreadPoolExecutor(max_workers=len(heavy)) as pool:
            running = {check: pool.submit(_collect, check) for check in heavy}
            findings: list[Finding] = []
            for done, check in enumerate(checks):
                if self.progress:
                    self.progress("checking", done, len(checks))
                findings.extend(running[check].result() if check in running else check())
        if self.progress:
            self.progress("checking", len(checks), len(checks))
        return findings

    # ---- episode-level ---------------------------------------------------------------------
    def order(self) -> Iterator[Finding]:
        ep = self.record.episode
        if ep.mode == "script":
            yield Finding("order", "pass", "free script: segments follow the script's paragraphs")
            return
        order = list(ep.order)
        stories: dict[int | None, list[SegmentRecord]] = {}
        for s in self.record.segments:
            stories.setdefault(s.story, []).append(s)
        bad = False
        for number, parts in stories.items():
            langs = [p.lang for p in parts]
            if langs != order:
                bad = True
                missing = [LANG_NAMES[x] for x in order if x not in langs]
                what = f"has no {', '.join(missing)} segment" if missing else \
                    f"speaks {'/'.join(langs)} instead of {'/'.join(order)}"
                yield Finding("order", "fail", f"story {number} {what}; rebuild from the manifest",
                              parts[0].index)
        if not bad:
            yield Finding("order", "pass", f"{len(stories)} stories, each {' then '.join(order)}")

    def figures_agree(self) -> Iterator[Finding]:
        """The English and the Chinese of each story say the same figures."""
        yield from figures_check.findings(self.figures, self.strict)

    def decodes(self) -> Iterator[Finding]:
        """Decode end to end, streaming (constant memory): the page's waveform and the loudness come from
        the same pass (:func:`audiopipe.qa.measured.listened`, which the build made already)."""
        try:
            decoded = listened(self.cache_root, self.mp3)
        except ToolError as exc:
            yield Finding("decode", "fail", f"the MP3 does not decode ({exc.message}); rebuild the episode")
            return
        self.waveform = (decoded["top"], decoded["low"])
        got = decoded["samples"] / WORK_RATE
        want = self.record.episode.duration_ms / 1000
        if abs(got - want) > 0.5:
            yield Finding("decode", "fail", f"the MP3 decodes to {got:.1f} s but the episode is {want:.1f} s: "
                          "it is truncated or damaged; rebuild the episode")
        else:
            yield Finding("decode", "pass", f"the MP3 decodes end to end ({got:.1f} s)")

    def tags(self) -> Iterator[Finding]:
        try:
            tags = read_tags(self.mp3)
        except ToolError as exc:
            yield Finding("tags", "fail", f"{exc.message}; rebuild the episode")
            return
        ep = self.record.episode
        problems = []
        if tags.title != ep.title:
            problems.append(f"title is {tags.title!r}, not {ep.title!r}")
        if self.record.guid and tags.guid != self.record.guid:
            problems.append("TGID is not the episode's guid")
        want = [Chapter(c.start_ms, c.end_ms, c.title) for c in self.record.chapters]
        got = list(tags.chapters)
        if got != want:
            problems.append(f"chapters {[(c.start_ms, c.end_ms, c.title) for c in got]} differ from the report's "
                            f"{[(c.start_ms, c.end_ms, c.title) for c in want]}")
        if problems:
            yield Finding("tags", "fail", "; ".join(problems) + "; rebuild the episode")
        else:
            yield Finding("tags", "pass", f"tags and {len(want)} chapters match the report")

    def content_credentials(self) -> Iterator[Finding]:
        """Every MP3's content credentials, as c2pa's own Reader sees them: there, saying synthetic speech,
        signed, and the file unchanged since it was signed."""
        names = [self.record.episode.file, *(e.file for e in self.record.editions)]
        signers, problems = set(), []
        for name in names:
            verdict = credentials.verify(self.folder / name)
            if verdict.state == "none":
                problems.append(f"{name} has no content credentials")
            elif verdict.audio_changed:
                problems.append(f"{name} changed after it was signed (c2pa: the data hash does not match)")
            elif verdict.state not in ("Valid", "Trusted"):
                problems.append(f"{name}: its content credentials do not verify ({', '.join(verdict.failures)})")
            elif verdict.source_type != credentials.SOURCE_TYPE:
                problems.append(f"{name}: its content credentials do not say synthetic speech")
            else:
                signers.add((verdict.signer, verdict.state))
        if problems:
            yield Finding("credentials", "fail", "; ".join(problems) + "; rebuild the episode (nothing may change "
                          "an MP3 after it is signed, not even a tag editor)")
            return
        who = ", ".join(sorted(f"{name} ({'trusted' if state == 'Trusted' else 'not on a trust list'})"
                               for name, state in signers))
        yield Finding("credentials", "pass", f"content credentials of {len(names)} MP3(s) verify: synthetic speech "
                      f"(trainedAlgorithmicMedia), signed by {who}")

    def episode_loudness(self) -> Iterator[Finding]:
        """Integrated loudness and true peak, and short-term loudness over time for the page, in one pass."""
        try:
            kept = listened(self.cache_root, self.mp3)
        except ToolError:
            return                                           # the decode check says it
        loud = loudness.Loudness(kept["lufs"], kept["true_peak"])
        self.loudness_curve = [(t, short) for t, short in kept["curve"]]
        target, tol = self.show.target_lufs, self.limits.loudness_tolerance_lu
        if self.record.episode.duration_ms < 20_000 and abs(loud.integrated_lufs - target) > tol:
            yield Finding("loudness", "warn", f"the episode measures {loud.integrated_lufs:.1f} LUFS; under 20 s "
                          "integrated loudness is not a reliable measure")
        elif abs(loud.integrated_lufs - target) > tol:
            yield Finding("loudness", "fail", f"the episode measures {loud.integrated_lufs:.1f} LUFS, outside "
                          f"{target:g} ±{tol:g}; rebuild with --remaster")
        else:
            yield Finding("loudness", "pass", f"{loud.integrated_lufs:.1f} LUFS (target {target:g})")
        if loud.true_peak_dbtp > self.show.true_peak_dbtp:
            yield Finding("true-peak", "fail", f"true peak {loud.true_peak_dbtp:.1f} dBTP is over "
                          f"{self.show.true_peak_dbtp:g} dBTP; rebuild with --remaster")
        else:
            yield Finding("true-peak", "pass", f"true peak {loud.true_peak_dbtp:.1f} dBTP")

    def editions(self) -> Iterator[Finding]:
        """Each language edition: length, loudness, tags (qa/editions.py)."""
        yield from editions_check.findings(self.folder, self.record, self.show, self.cache_root)

    def duration(self) -> Iterator[Finding]:
        seconds = self.record.episode.duration_ms / 1000
        lo, hi = self.show.window
        if lo <= seconds <= hi:
            yield Finding("duration", "pass", f"{timing.mmss(seconds)} is inside {timing.mmss(lo)}-{timing.mmss(hi)}")
        else:
            yield Finding("duration", "warn", f"{timing.mmss(seconds)} is outside {timing.mmss(lo)}-"
                          f"{timing.mmss(hi)}; edit the script or build with --fit")

    # ---- per segment ------------------------------------------------------------------------
    def _segment_measures(self, seg: SegmentRecord) -> dict[str, Any] | None:
        """A segment's QA file decoded: its loudness, sample peak and longest inner silence."""
        path = self.folder / (seg.file or "")
        if not seg.file or not path.is_file():
            return None

        def measure() -> dict[str, Any]:
            samples = signal.to_float(ffmpeg.decode_file(path))
            return {"lufs": loudness.integrated_lufs(samples, WORK_RATE),
                    "peak": float(np.abs(samples).max(initial=0)),
                    "inner_ms": signal.longest_inner_silence_ms(samples)}
        return measured(self.cache_root, path, "segment", measure)

    def segments(self) -> Iterator[Finding]:
        limits = self.limits
        for seg in self.record.segments:
            i, label = seg.index, seg.label
            measures = self._segment_measures(seg)
            if measures is None:
                yield Finding("segment-file", "fail", f"{label}: its QA file is missing; rebuild the episode", i)
                continue
            lufs = measures["lufs"]
            if lufs <= limits.silent_lufs or measures["peak"] < 0.01:
                yield Finding("silent", "fail", f"{label} is silent ({lufs:.0f} LUFS); re-take it "
                              f"(`audiopipe retake {self.record.episode.slug} {i}`)", i)
                continue
            runs = seg.take_clip_run
            if runs is not None and runs >= limits.clip_run:
                yield Finding("clipped", "fail", f"{label}: the take clips ({runs} samples in a row at full "
                              "scale); lower the voice's volume and re-take it", i)
            expected = seg.expected_ms
            speech_ms = seg.duration_ms - 2 * signal.EDGE_PAUSE_MS
            if expected is not None and speech_ms < limits.short_ratio * expected:
                yield Finding("cut-short", "fail", f"{label} lasts {seg.duration_ms / 1000:.1f} s but its text "
                              f"needs about {expected / 1000:.1f} s: the take is cut short; re-take it", i)
            inner = measures["inner_ms"]
            if inner > limits.max_inner_silence_ms:
                yield Finding("inner-silence", "fail", f"{label} has a {inner / 1000:.1f} s silence inside it "
                              f"(over {limits.max_inner_silence_ms / 1000:g} s); check the text and re-take it", i)
            if abs(lufs - self.show.target_lufs) > limits.loudness_tolerance_lu:
                yield Finding("segment-loudness", "fail", f"{label} measures {lufs:.1f} LUFS, not "
                              f"{self.show.target_lufs:g} ±{limits.loudness_tolerance_lu:g}; rebuild with --remaster", i)
        yield Finding("segments", "pass", f"{len(self.record.segments)} segments checked")

    def voice_language(self) -> Iterator[Finding]:
        bad = False
        for seg in self.record.segments:
            spoken = voice_language(seg.engine, seg.voice)
            if spoken is not None and spoken != seg.lang:
                bad = True
                yield Finding("language", "fail", f"segment {seg.index} is {LANG_NAMES[seg.lang]} text but "
                              f"voice {seg.voice} speaks {LANG_NAMES.get(spoken, spoken)}; point the "
                              f"{seg.lang} profile ({seg.voice_profile}) at a {LANG_NAMES[seg.lang]} voice",
                              seg.index)
        if not bad:
            yield Finding("language", "pass", "every segment's voice speaks its language")

    def video(self) -> Iterator[Finding]:
        yield from video_check.findings(self.folder, self.record, self.show)

    def naturalness(self) -> Iterator[Finding]:
        yield from naturalness_check.findings(self.record.segments, self.limits)

    def speech_recognition(self) -> Iterator[Finding]:
        if not self.asr:
            yield Finding("asr", "skip", "speech recognition not run (run `audiopipe qa SLUG --asr`)")
            return
        reason = asr_module.unavailable(self.cache_root)
        if reason:
            yield Finding("asr", "skip", f"speech recognition skipped: {reason}")
            return
        results = asr_module.transcribe_segments(self.folder, self.record.segments, self.cache_root,
                                                 self.limits.asr_timeout_s, self.progress)
        self.asr_results = results
        for seg in self.record.segments:
            r = results.get(seg.index)
            label = seg.label
            if r is None or r.error:
                yield Finding("asr", "fail", f"{label}: not transcribed ({r.error if r else 'no result'}); "
                              "listen to it", seg.index)
                continue
            if r.language and r.language != seg.lang:
                yield Finding("asr-language", "fail", f"{label} sounds {LANG_NAMES.get(r.language, r.language)}"
                              f" to the recognizer, not {LANG_NAMES[seg.lang]}; check its voice", seg.index)
            if seg.lang == "en" and r.wer > self.limits.asr_max_wer:
                yield Finding("asr", "fail", f"{label}: word error rate {r.wer:.0%} (over "
                              f"{self.limits.asr_max_wer:.0%}); listen to it and re-take it", seg.index)
            for figure in figures_check.heard_misses(seg.lang, seg.text, r.transcript or ""):
                yield Finding("asr-figures", "warn", f'{label}: the recognizer did not hear "{figure}" as the '
                              "script has it; listen to the figure", seg.index)
            if seg.lang == "zh" and r.syllable_er > self.limits.asr_max_syllable_er:
                yield Finding("asr", "fail", f"{label}: pinyin syllable error rate {r.syllable_er:.0%} (over "
                              f"{self.limits.asr_max_syllable_er:.0%}); listen to it and re-take it", seg.index)
        yield Finding("asr", "pass", f"{len(results)} segments transcribed")


def _collect(check: Callable[[], Iterator[Finding]]) -> list[Finding]:
    return list(check())


def review(folder: Path, show: Show, cache_root: Path, asr: bool = False,
           progress: Callable[[str, int, int], None] | None = None, strict: bool = False) -> tuple[list[Finding], Path]:
    """Run every check on a built episode; write qa.json and qa.html.  Returns findings and the page.
    *strict*: a figure in doubt fails."""
    checker = Checker(folder, show, cache_root, asr, progress, strict)
    findings = checker.run()
    QaRecord.of(findings, checker.mp3, checker.asr_results, figures_check.table(checker.figures),
                checker.record.segments).write(folder)
    return findings, write_page(folder, checker.record, Observed(findings, checker.asr_results, checker.waveform,
                                                                checker.loudness_curve, figures_check.table(checker.figures)))
