"""Automatic checks of a built episode, run by every build and by ``audiopipe qa``.

Each check yields findings that name the segment and what to do.  A failed
check fails ``audiopipe qa`` (exit 1) and is flagged on the QA page.
Thresholds are show settings (``qa_*`` in show.yaml).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from audiopipe import audio, ffmpeg, loudness, timing
from audiopipe.cache import TakeCache, default_cache_dir
from audiopipe.engines import VoiceSettings
from audiopipe.errors import AudiopipeError, ToolError
from audiopipe.fsutil import write_text
from audiopipe.langs import LANG_NAMES
from audiopipe.show import Show


@dataclass(frozen=True)
class Finding:
    check: str
    status: str                 # "pass", "fail", "warn" or "skip"
    message: str
    segment: int | None = None


@dataclass(frozen=True)
class Thresholds:
    silent_lufs: float = -45.0          # a segment quieter than this is silent
    clip_run: int = 3                   # this many consecutive full-scale samples in a take = clipped
    short_ratio: float = 0.5            # shorter than this share of what its text predicts = cut short
    max_inner_silence_ms: int = 1500    # a pause longer than this inside a segment is unexpected
    loudness_tolerance_lu: float = 1.0
    asr_max_wer: float = 0.5            # English word error rate
    asr_max_syllable_er: float = 0.6    # Chinese tone-aware pinyin syllable error rate
    asr_timeout_s: float = 60.0

    @classmethod
    def of(cls, show: Show) -> Thresholds:
        values: dict[str, Any] = {k: v for k, v in show.qa.items() if k in cls.__dataclass_fields__}
        return cls(**values)


def _voice_lang(engine: str, voice: str) -> str | None:
    """The language a voice speaks, from its name (None when unknown)."""
    v = voice.lower()
    if engine == "espeak":
        return "zh" if v.startswith(("cmn", "yue", "zh", "hak")) else "en" if v.startswith("en") else None
    head = v.split("-")[0]
    return head if head in ("en", "zh") else None


WAVE_BINS = 1000


class Checker:
    def __init__(self, folder: Path, show: Show, cache_root: Path | None = None,
                 asr: bool = False, log: Callable[[str], None] = lambda m: None) -> None:
        self.folder = folder
        self.show = show
        self.limits = Thresholds.of(show)
        self.cache = TakeCache(cache_root or default_cache_dir())
        self.asr = asr
        self.log = log
        try:
            self.report: dict[str, Any] = json.loads((folder / "report.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise AudiopipeError(f"{folder / 'report.json'}: cannot read the build report ({exc}); "
                                 "build the episode first") from None
        self.mp3 = folder / self.report["episode"]["file"]
        self.waveform: tuple[list[float], list[float]] | None = None
        self.loudness_curve: list[tuple[float, float]] = []

    def run(self) -> list[Finding]:
        from concurrent.futures import ThreadPoolExecutor
        checks = (self.order, self.decodes, self.tags, self.episode_loudness, self.duration,
                  self.segments, self.voice_language, self.speech_recognition)
        heavy = (self.decodes, self.episode_loudness, self.segments)    # each mostly an ffmpeg process
        with ThreadPoolExecutor(max_workers=len(heavy)) as pool:
            running = {check: pool.submit(_collect, check) for check in heavy}
            findings: list[Finding] = []
            for check in checks:
                findings.extend(running[check].result() if check in running else check())
        return findings

    # ---- episode-level ---------------------------------------------------------------------
    def order(self) -> Iterator[Finding]:
        ep, segs = self.report["episode"], self.report["segments"]
        if ep.get("mode") == "script":
            yield Finding("order", "pass", "free script: segments follow the script's paragraphs")
            return
        order = ep.get("order", ["en", "zh"])
        stories: dict[int, list[dict[str, Any]]] = {}
        for s in segs:
            stories.setdefault(s["story"], []).append(s)
        bad = False
        for number, parts in stories.items():
            langs = [p["lang"] for p in parts]
            if langs != order:
                bad = True
                missing = [LANG_NAMES[x] for x in order if x not in langs]
                what = f"has no {', '.join(missing)} segment" if missing else \
                    f"speaks {'/'.join(langs)} instead of {'/'.join(order)}"
                yield Finding("order", "fail", f"story {number} {what}; rebuild from the manifest",
                              parts[0]["index"])
        if not bad:
            yield Finding("order", "pass", f"{len(stories)} stories, each {' then '.join(order)}")

    def decodes(self) -> Iterator[Finding]:
        """Decode end to end, streaming (constant memory), drawing the page's waveform on the way."""
        want_samples = self.report["episode"]["duration_ms"] * ffmpeg.WORK_RATE // 1000
        per_bin = max(1, -(-want_samples // WAVE_BINS))
        top = np.zeros(WAVE_BINS, np.float32)
        low = np.zeros(WAVE_BINS, np.float32)
        count = 0
        try:
            carry = b""
            for block in ffmpeg.stream_decode(self.mp3):
                block = carry + block
                usable = len(block) - len(block) % 2
                carry = block[usable:]
                x = np.frombuffer(block[:usable], dtype="<i2").astype(np.float32) / 32768
                bins = np.minimum((count + np.arange(len(x))) // per_bin, WAVE_BINS - 1)
                np.maximum.at(top, bins, x)
                np.minimum.at(low, bins, x)
                count += len(x)
        except ToolError as exc:
            yield Finding("decode", "fail", f"the MP3 does not decode ({exc.message}); rebuild the episode")
            return
        self.waveform = (top.tolist(), low.tolist())
        got = count / ffmpeg.WORK_RATE
        want = self.report["episode"]["duration_ms"] / 1000
        if abs(got - want) > 0.5:
            yield Finding("decode", "fail", f"the MP3 decodes to {got:.1f} s but the episode is {want:.1f} s: "
                          "it is truncated or damaged; rebuild the episode")
        else:
            yield Finding("decode", "pass", f"the MP3 decodes end to end ({got:.1f} s)")

    def tags(self) -> Iterator[Finding]:
        from mutagen import MutagenError
        from mutagen.id3 import ID3
        try:
            tags = ID3(self.mp3)
        except (MutagenError, OSError) as exc:
            yield Finding("tags", "fail", f"the MP3 has no readable ID3 tag ({exc}); rebuild the episode")
            return
        ep = self.report["episode"]
        problems = []
        if str(tags.get("TIT2", "")) != ep["title"]:
            problems.append(f"title is {str(tags.get('TIT2', ''))!r}, not {ep['title']!r}")
        if self.report.get("guid") and str(tags.get("TGID", "")) != self.report["guid"]:
            problems.append("TGID is not the episode's guid")
        chaps = {c.element_id: c for c in tags.getall("CHAP")}
        tocs = tags.getall("CTOC")
        got = [] if not tocs else [(chaps[i].start_time, chaps[i].end_time, str(chaps[i].sub_frames.get("TIT2", "")))
                                   for i in tocs[0].child_element_ids if i in chaps]
        want = [(c["start_ms"], c["end_ms"], c["title"]) for c in self.report["chapters"]]
        if got != want:
            problems.append(f"chapters {got} differ from the report's {want}")
        if problems:
            yield Finding("tags", "fail", "; ".join(problems) + "; rebuild the episode")
        else:
            yield Finding("tags", "pass", f"tags and {len(want)} chapters match the report")

    def episode_loudness(self) -> Iterator[Finding]:
        """Integrated loudness and true peak, and short-term loudness over time for the page, in one pass."""
        stderr = ffmpeg.run_stderr(["-i", str(self.mp3), "-af", "ebur128=peak=true:framelog=info",
                                    "-f", "null", "-"], what=str(self.mp3))
        loud = audio.parse_ebur128(stderr)
        curve = []
        for m in re.finditer(r"t:\s*([\d.]+)\s.*?S:\s*(-?[\d.]+|-inf)", stderr):
            t = float(m.group(1))
            if t >= 3.0 and abs(t * 2 - round(t * 2)) < 0.051 and m.group(2) != "-inf":
                curve.append((t - 1.5, float(m.group(2))))      # S is the 3 s window ending at t
        self.loudness_curve = curve
        target, tol = self.show.target_lufs, self.limits.loudness_tolerance_lu
        if self.report["episode"]["duration_ms"] < 20_000 and abs(loud.integrated_lufs - target) > tol:
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

    def duration(self) -> Iterator[Finding]:
        seconds = self.report["episode"]["duration_ms"] / 1000
        lo, hi = self.show.window
        if lo <= seconds <= hi:
            yield Finding("duration", "pass", f"{timing.mmss(seconds)} is inside {timing.mmss(lo)}-{timing.mmss(hi)}")
        else:
            yield Finding("duration", "warn", f"{timing.mmss(seconds)} is outside {timing.mmss(lo)}-"
                          f"{timing.mmss(hi)}; edit the script or build with --fit")

    # ---- per segment ------------------------------------------------------------------------
    def _segment_samples(self, seg: dict[str, Any]) -> np.ndarray | None:
        path = self.folder / (seg.get("file") or "")
        if not seg.get("file") or not path.is_file():
            return None
        return audio.to_float(ffmpeg.decode_file(path))

    def segments(self) -> Iterator[Finding]:
        limits = self.limits
        calibration = timing.Calibration(self.cache.root)   # read once, not once per segment
        for seg in self.report["segments"]:
            i, label = seg["index"], f"segment {seg['index']} ({seg['lang']})"
            samples = self._segment_samples(seg)
            if samples is None:
                yield Finding("segment-file", "fail", f"{label}: its QA file is missing; rebuild the episode", i)
                continue
            lufs = loudness.integrated_lufs(samples, ffmpeg.WORK_RATE)
            if lufs <= limits.silent_lufs or float(np.abs(samples).max(initial=0)) < 0.01:
                yield Finding("silent", "fail", f"{label} is silent ({lufs:.0f} LUFS); re-take it "
                              f"(`audiopipe retake {self.report['episode']['slug']} {i}`)", i)
                continue
            raw = self.cache.wav_path(seg["take"])
            if raw.is_file():
                pcm, _ = audio.read_wav(raw)
                take = np.frombuffer(pcm, dtype="<i2")
                full = np.abs(take.astype(np.int32)) >= 32767 - 16
                runs = _longest_run(full)
                if runs >= limits.clip_run:
                    yield Finding("clipped", "fail", f"{label}: the take clips ({runs} samples in a row at full "
                                  "scale); lower the voice's volume and re-take it", i)
            settings = VoiceSettings(seg["engine"], seg["voice"], seg["lang"], seg.get("rate", 0))
            expected = calibration.estimate_ms(seg["spoken_text"], settings)
            speech_ms = seg["duration_ms"] - 160
            if speech_ms < limits.short_ratio * expected:
                yield Finding("cut-short", "fail", f"{label} lasts {seg['duration_ms'] / 1000:.1f} s but its text "
                              f"needs about {expected / 1000:.1f} s: the take is cut short; re-take it", i)
            inner = audio.longest_inner_silence_ms(samples)
            if inner > limits.max_inner_silence_ms:
                yield Finding("inner-silence", "fail", f"{label} has a {inner / 1000:.1f} s silence inside it "
                              f"(over {limits.max_inner_silence_ms / 1000:g} s); check the text and re-take it", i)
            if abs(lufs - self.show.target_lufs) > limits.loudness_tolerance_lu:
                yield Finding("segment-loudness", "fail", f"{label} measures {lufs:.1f} LUFS, not "
                              f"{self.show.target_lufs:g} ±{limits.loudness_tolerance_lu:g}; rebuild with --remaster", i)
        yield Finding("segments", "pass", f"{len(self.report['segments'])} segments checked")

    def voice_language(self) -> Iterator[Finding]:
        bad = False
        for seg in self.report["segments"]:
            spoken = _voice_lang(seg["engine"], seg["voice"])
            if spoken is not None and spoken != seg["lang"]:
                bad = True
                yield Finding("language", "fail", f"segment {seg['index']} is {LANG_NAMES[seg['lang']]} text but "
                              f"voice {seg['voice']} speaks {LANG_NAMES.get(spoken, spoken)}; point the "
                              f"{seg['lang']} profile ({seg['voice_profile']}) at a {LANG_NAMES[seg['lang']]} voice",
                              seg["index"])
        if not bad:
            yield Finding("language", "pass", "every segment's voice speaks its language")

    def speech_recognition(self) -> Iterator[Finding]:
        if not self.asr:
            yield Finding("asr", "skip", "speech recognition not run (run `audiopipe qa SLUG --asr`)")
            return
        from audiopipe import asr
        reason = asr.unavailable()
        if reason:
            yield Finding("asr", "skip", f"speech recognition skipped: {reason}")
            return
        results = asr.transcribe_segments(self.folder, self.report["segments"], self.limits.asr_timeout_s, self.log)
        self.asr_results = results
        for seg in self.report["segments"]:
            r = results.get(seg["index"])
            label = f"segment {seg['index']} ({seg['lang']})"
            if r is None or r.get("error"):
                yield Finding("asr", "fail", f"{label}: not transcribed ({(r or {}).get('error', 'no result')}); "
                              "listen to it", seg["index"])
                continue
            if r["language"] and r["language"] != seg["lang"]:
                yield Finding("asr-language", "fail", f"{label} sounds {LANG_NAMES.get(r['language'], r['language'])}"
                              f" to the recognizer, not {LANG_NAMES[seg['lang']]}; check its voice", seg["index"])
            if seg["lang"] == "en" and r["wer"] > self.limits.asr_max_wer:
                yield Finding("asr", "fail", f"{label}: word error rate {r['wer']:.0%} (over "
                              f"{self.limits.asr_max_wer:.0%}); listen to it and re-take it", seg["index"])
            if seg["lang"] == "zh" and r["syllable_er"] > self.limits.asr_max_syllable_er:
                yield Finding("asr", "fail", f"{label}: pinyin syllable error rate {r['syllable_er']:.0%} (over "
                              f"{self.limits.asr_max_syllable_er:.0%}); listen to it and re-take it", seg["index"])
        yield Finding("asr", "pass", f"{len(results)} segments transcribed")


def _collect(check: Callable[[], Iterator[Finding]]) -> list[Finding]:
    return list(check())


def _longest_run(mask: np.ndarray) -> int:
    if not mask.any():
        return 0
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return int((edges[1::2] - edges[::2]).max())


def summary(findings: list[Finding]) -> str:
    count = {s: sum(f.status == s for f in findings) for s in ("pass", "fail", "warn", "skip")}
    return (f"qa: {count['pass']} passed, {count['fail']} failed, {count['warn']} warnings, "
            f"{count['skip']} skipped")


def failed(findings: list[Finding]) -> bool:
    return any(f.status == "fail" for f in findings)


def review(folder: Path, show: Show, cache_root: Path | None = None, asr: bool = False,
           log: Callable[[str], None] = lambda m: None) -> tuple[list[Finding], Path]:
    """Run every check on a built episode; write qa.json and qa.html.  Returns findings and the page."""
    from audiopipe.qapage import write_page
    checker = Checker(folder, show, cache_root, asr, log)
    findings = checker.run()
    results = getattr(checker, "asr_results", None)
    write_qa(folder, findings, results)
    return findings, write_page(folder, checker.report, findings, results, checker.waveform,
                                checker.loudness_curve)


def write_qa(folder: Path, findings: list[Finding], asr_results: dict[int, Any] | None = None) -> Path:
    path = folder / "qa.json"
    write_text(path, json.dumps({"findings": [asdict(f) for f in findings],
                                 "asr": {str(k): v for k, v in (asr_results or {}).items()}},
                                ensure_ascii=False, indent=2) + "\n")
    return path


SLUG = re.compile(r"^[\w.-]+$")
