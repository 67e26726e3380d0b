"""Pieces of a take joined: phoneme chunks within the model's limit, estimated word times, the other
language's voice levelled to the take's own (for engines that infer a sentence in pieces, as kokoro)."""

from __future__ import annotations

import re

import numpy as np

from audiopipe.engines.base import Word
from audiopipe.text import HAN_CLASS


def levels(made: list[tuple[str, list[tuple[str, np.ndarray]]]], lang: str, silent: float) -> dict[str, float]:
    """Gains that bring the other language's voice to the take's own voice (RMS of the speech)."""
    def rms(which: bool) -> float:
        parts = [a for _, runs in made for run_lang, a in runs if (run_lang == lang) == which and len(a)]
        joined = np.concatenate(parts) if parts else np.zeros(0, np.float32)
        loud = joined[np.abs(joined) >= silent]
        return float(np.sqrt(np.mean(loud ** 2))) if len(loud) else 0.0
    own, other = rms(True), rms(False)
    return {} if not own or not other else {o: min(2.0, max(0.5, own / other)) for o in ("en", "zh") if o != lang}


def chunks(phonemes: str, limit: int) -> list[str]:
    if len(phonemes) <= limit:
        return [phonemes] if phonemes else []
    out, current = [], ""
    for word in phonemes.split(" "):
        if current and len(current) + 1 + len(word) > limit:
            out.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    if current:
        out.append(current)
    return [c[:limit] for c in out]


def spread(sentence: str, lang: str, start: int, length: int, rate: int) -> list[Word]:
    """Estimated word timings: the sentence's words share its audio by their length."""
    if not sentence.strip() or length <= 0:
        return []
    tokens = re.findall(f"[{HAN_CLASS}]+[，。！？；：、]?|[^\\s{HAN_CLASS}]+", sentence) if lang == "zh" \
        else sentence.split()
    weights = [max(1, len(t)) for t in tokens]
    total = sum(weights)
    out, acc = [], 0
    for token, w in zip(tokens, weights):
        s = start + length * acc // total
        acc += w
        e = start + length * acc // total
        out.append(Word(s * 1000 // rate, e * 1000 // rate, token))
    return out
