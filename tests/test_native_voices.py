"""Kokoro's native voices: the pinned tarball (npm, a download, a file at hand), voice files checked,
voice languages, the loud fallback to the Japanese-trained voices, pinyin names and Latin acronyms."""

from __future__ import annotations

import hashlib
import http.server
import io
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from audiopipe.cli import main
from audiopipe.engines import Engine, pinyin, voicepack
from audiopipe.errors import AudiopipeError
from tests.conftest import build_with_english_profile, read_json, write


def pack(voices: dict[str, np.ndarray], extra: dict[str, bytes] | None = None) -> bytes:
    """A tarball laid out as kokoro-js's (package/voices/NAME.bin)."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        files = {f"package/voices/{n}.bin": v.astype("<f4").tobytes() for n, v in voices.items()}
        files.update(extra or {})
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def table(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, 0.1, (voicepack.ROWS, voicepack.WIDTH)).astype(np.float32)


@pytest.fixture()
def tarball(tmp_path: Path) -> tuple[Path, str]:
    blob = pack({"af_test": table(1), "zf_test": table(2), "ef_dora": table(3)},
                {"package/README.md": b"hi", "package/voices/../../evil.bin": table(4).tobytes()})
    path = tmp_path / voicepack.TARBALL
    path.write_bytes(blob)
    return path, hashlib.sha256(blob).hexdigest()


def test_a_tarball_at_hand_is_checked_and_only_english_and_mandarin_voices_kept(tmp_path: Path,
                                                                               tarball: tuple[Path, str]) -> None:
    path, digest = tarball
    dest = tmp_path / "voices"
    assert voicepack.fetch(dest, tarball=path, sha256=digest) == ["af_test", "zf_test"]
    assert sorted(p.name for p in dest.iterdir()) == ["SHA256", "af_test.bin", "zf_test.bin"]
    assert voicepack.installed(dest, digest) and not voicepack.installed(dest)
    assert np.array_equal(voicepack.load_bin(dest / "af_test.bin"), table(1))
    assert not (tmp_path / "evil.bin").exists()


def test_a_tarball_that_is_not_the_pinned_one_is_refused_and_nothing_written(
        tmp_path: Path, tarball: tuple[Path, str], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    path, _ = tarball
    dest = tmp_path / "voices"
    monkeypatch.setenv("AUDIOPIPE_KOKORO_VOICES", str(dest))
    assert main(["voices", "--fetch", "--tarball", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}: SHA-256 ") and "is not the pinned 1f0d0383ef0349af… of kokoro-js 1.2.1" in err
    assert err.count("\n") == 1 and not dest.exists()
    assert main(["voices", "--fetch", "--tarball", str(tmp_path / "nope.tgz")]) == 2
    assert capsys.readouterr().err == f"error: {tmp_path / 'nope.tgz'}: no such file; give the path of kokoro-js-1.2.1.tgz\n"


@pytest.fixture()
def registry(tarball: tuple[Path, str]) -> Iterator[str]:
    """A stand-in of the npm registry on 127.0.0.1 that serves the tarball at its registry path."""
    blob = tarball[0].read_bytes()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:   # the stdlib's name (N802 knows it)
            if self.path == f"/{voicepack.PACKAGE}/-/{voicepack.TARBALL}":
                self.send_response(200)
                self.send_header("Content-Length", str(len(blob)))
                self.end_headers()
                self.wfile.write(blob)
            else:
                self.send_error(404)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


def test_without_npm_the_tarball_is_downloaded_from_the_registry(tmp_path: Path, registry: str,
                                                                 tarball: tuple[Path, str]) -> None:
    names = voicepack.fetch(tmp_path / "v", registry=registry, use_npm=False, sha256=tarball[1])
    assert names == ["af_test", "zf_test"]


def test_an_unreachable_registry_is_a_note_and_kokoro_keeps_its_japanese_voices(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))                      # no npm
    monkeypatch.setenv("npm_config_registry", "http://127.0.0.1:9/")   # nothing listens on the discard port
    monkeypatch.setenv("AUDIOPIPE_KOKORO_VOICES", str(tmp_path / "v"))
    assert main(["voices", "--fetch"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("note: Kokoro's native voices could not be fetched (npm is not installed; cannot download "
                          "http://127.0.0.1:9/kokoro-js/-/kokoro-js-1.2.1.tgz")
    assert out.count("\n") == 1 and not (tmp_path / "v").exists()


@pytest.mark.parametrize("data,problem", [
    (table(1).tobytes()[:-4], "not a Kokoro voice (522236 bytes, a voice is 510×256 float32 = 522240 bytes)"),
    (np.full((510, 256), np.nan, np.float32).tobytes(), "the voice holds NaN or infinite values"),
    (b"", "not a Kokoro voice (0 bytes"),
])
def test_a_bad_voice_bin_is_one_line_and_nothing_is_built(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                          data: bytes, problem: str) -> None:
    voices = tmp_path / "voices"
    (voices / "mine.bin").parent.mkdir(parents=True)
    (voices / "mine.bin").write_bytes(data)
    profile, code = build_with_english_profile(
        tmp_path, "language: en\nengine: kokoro\nvoice_file: mine.bin\nvoices: {kokoro: mine}\n")
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {profile}: kokoro: {voices / 'mine.bin'}: {problem}") and err.count("\n") == 1
    assert not (tmp_path / "o" / "k").exists()


def test_a_mandarin_voice_for_an_english_profile_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    profile, code = build_with_english_profile(
        tmp_path, "language: en\nengine: kokoro\nvoices: {kokoro: zf_xiaobei}\n")
    assert code == 2
    assert capsys.readouterr().err == (
        f"error: {profile}: kokoro: voice zf_xiaobei speaks Mandarin, not English; name an English voice "
        "(af_*, am_*, bf_*, bm_*, `audiopipe voices --engine kokoro`)\n")
    assert not (tmp_path / "o" / "k").exists()


def test_voice_names_say_language_and_gender() -> None:
    info = voicepack.describe_voice("zf_xiaobei")
    assert info is not None and (info.lang, info.gender) == ("zh", "female")
    assert voicepack.describe_voice("bm_george") == voicepack.NativeVoice("bm_george", "en", "British English", "male")
    assert voicepack.describe_voice("jm_kumo") == voicepack.NativeVoice("jm_kumo", None, "Japanese-trained", "male")
    assert voicepack.describe_voice("af_heart+af_bella") is None


@pytest.mark.parametrize("word,syllables", [
    ("Zhengzhou", ["zheng", "zhou"]), ("Xi'an", ["xi", "an"]), ("Huabei", ["hua", "bei"]),
    ("Jiebei", ["jie", "bei"]), ("Haijun", ["hai", "jun"]), ("Tencent", None), ("Geely", None), ("The", None),
])
def test_pinyin_words_are_found_by_syllable(word: str, syllables: list[str] | None) -> None:
    assert pinyin.split(word) == syllables


def test_pinyin_names_get_mandarin_phonemes_and_english_words_keep_theirs() -> None:
    assert pinyin.phonemes("Huabei") == "hwˌɑbˈA"          # stress marks stand before the vowel, as Kokoro reads them
    assert pinyin.phonemes("Zhao") == "ʤˈW" and pinyin.phonemes("yuan") is not None
    assert pinyin.phonemes("Huawei") is not None and pinyin.phonemes("huabei") is None
    assert pinyin.phonemes("Geely") is None               # espeak-ng's JEE-lee is right: not in the table


@pytest.mark.parametrize("word", sorted(pinyin.BRANDS))
def test_every_brand_reading_is_needed(word: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A brand of the table is what Kokoro is given, where espeak-ng (or the pinyin rule) would give it
    something else."""
    pytest.importorskip("onnxruntime", reason="the kokoro extra is not installed")
    from audiopipe.engines.kokoro import KokoroEngine
    from tests.conftest import make_engine
    engine = make_engine("kokoro")
    assert isinstance(engine, KokoroEngine)
    reading = pinyin.BRANDS[word]
    assert engine._english(f"{word} said.") == f"{reading} sˈɛd."
    monkeypatch.delitem(pinyin.BRANDS, word)
    plain = engine._english(f"{word} said.")
    assert plain != f"{reading} sˈɛd.", f"{word}: it is read this way without the table; take it out"
    if pinyin.english_lexicon():                  # misaki's lexicon (the kokoro extra): English readings win
        assert pinyin.phonemes("Long") == pinyin.english_lexicon()["long"]


def test_a_bad_pack_is_no_pack(tmp_path: Path) -> None:
    (tmp_path / "SHA256").write_text("0" * 64)
    assert voicepack.available_voices(tmp_path) == {}
    with pytest.raises(AudiopipeError, match="not a Kokoro voice"):
        voicepack.load_bin(tmp_path / "SHA256")


# ---- with the model ------------------------------------------------------------------------------------

kokoro_needed = pytest.mark.skipif(not voicepack.installed(voicepack.default_dir()),
                                   reason="the native voices are not installed (make install)")


@pytest.mark.e2e
def test_without_the_pack_the_japanese_voices_speak_and_the_build_says_so(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("onnxruntime")
    monkeypatch.setenv("AUDIOPIPE_KOKORO_VOICES", str(tmp_path / "none"))
    manifest = write(tmp_path / "k.yaml", 'title: "K"\ndate: 2026-11-20\nintro: false\noutro: false\nstories:\n'
                     '  - en: "Good morning."\n    zh: "早上好。"\n')
    assert main(["build", str(manifest), "--engine", "kokoro", "--out", str(tmp_path / "o"), "--no-qa"]) == 0
    err = capsys.readouterr().err
    assert "note: kokoro: the native voices are not installed, so the Japanese-trained jm_kumo and jf_nezumi speak" in err
    segs = read_json(tmp_path / "o" / "k" / "report.json")["segments"]
    assert [(s["lang"], s["voice"]) for s in segs] == [("en", "jm_kumo"), ("zh", "jf_nezumi")]


@pytest.mark.e2e
@kokoro_needed
def test_native_voices_speak_with_no_long_pause_inside(kokoro: Engine) -> None:
    from audiopipe.dsp import signal
    from audiopipe.engines import VoiceSettings
    from audiopipe.synth.run import synthesize_take
    from audiopipe.tools.wav import WORK_RATE
    assert kokoro.default_voice("en") == "am_michael" and kokoro.default_voice("zh") == "zm_yunjian"
    text = "央行维持利率不变。CFETS公布的中间价走强。"          # a sentence end inside, and an acronym
    pcm, _, _ = synthesize_take(kokoro, text, VoiceSettings("kokoro", "zf_xiaobei", "zh"))
    x = signal.to_float(pcm)
    assert 2.5 < len(x) / WORK_RATE < 8.0
    assert signal.longest_inner_silence_ms(x) < 900, "a sentence end left a long pause"
    phonemes = kokoro.phonemes("CFETS公布", "zh")       # type: ignore[attr-defined]
    assert phonemes.startswith("sˈi ˈɛf ˈi tˈi ˈɛs"), "every letter of the acronym is spoken"


def test_other_script_runs_inside_a_segment() -> None:
    from audiopipe.text import script_runs
    assert script_runs("The system Lingkun (灵鲲) went live.", "en") == [
        ("The system Lingkun (", "en"), ("灵鲲", "zh"), (") went live.", "en")]
    assert script_runs("苹果的iPhone销量，CFETS公布，Tesla Model Y上市。", "zh") == [
        ("苹果的", "zh"), ("iPhone", "en"), ("销量，CFETS公布，", "zh"), ("Tesla Model Y", "en"), ("上市。", "zh")]
    text = "No other script here."
    assert script_runs(text, "en") == [(text, "en")]


@pytest.mark.e2e
@kokoro_needed
def test_han_inside_english_is_spoken_in_mandarin_not_as_chinese_letter(kokoro: Engine) -> None:
    from audiopipe.engines import VoiceSettings
    settings = VoiceSettings("kokoro", "af_heart", "en")

    def seconds(text: str) -> float:
        return kokoro.synthesize(text, settings).duration_ms / 1000

    plain, glossed = seconds("The system Lingkun went live."), seconds("The system Lingkun (灵鲲) went live.")
    spelled = seconds("The system Lingkun (Chinese letter Chinese letter) went live.")
    assert plain + 0.3 < glossed < spelled - 0.3, (plain, glossed, spelled)


def test_espeak_speaks_han_inside_english_with_its_mandarin_voice() -> None:
    from audiopipe.engines import VoiceSettings
    from tests.conftest import make_engine
    espeak = make_engine("espeak")
    settings = VoiceSettings("espeak", "en-us", "en")
    glossed = espeak.synthesize("The system Lingkun (灵鲲) went live.", settings)
    spelled = espeak.synthesize("The system Lingkun (Chinese letter Chinese letter) went live.", settings)
    plain = espeak.synthesize("The system Lingkun went live.", settings)
    assert plain.duration_ms + 300 < glossed.duration_ms < spelled.duration_ms
    assert [w.text for w in glossed.words if "灵鲲" in w.text] == ["Lingkun (灵鲲) went"]
    assert glossed.words == tuple(sorted(glossed.words, key=lambda w: w.start_ms))


@pytest.mark.e2e
def test_glosses_drop_leaves_them_out_of_the_speech_and_in_the_transcript(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = write(tmp_path / "g.yaml", 'title: "G"\ndate: 2026-11-20\nintro: false\noutro: false\nstories:\n'
                     '  - en: "The alert system Lingkun (灵鲲) went live."\n    zh: "灵鲲系统上线了。"\n')
    for glosses in ("speak", "drop"):
        show = write(tmp_path / f"{glosses}.yaml", f'title: "S"\nglosses: {glosses}\n')
        out = tmp_path / glosses
        assert main(["build", str(manifest), "--show", str(show), "--engine", "espeak", "--out", str(out), "--no-qa"]) == 0
        seg = read_json(out / "g" / "report.json")["segments"][0]
        assert seg["text"] == "The alert system Lingkun (灵鲲) went live."
        assert ("灵鲲" in seg["spoken_text"]) == (glosses == "speak")
        assert "Lingkun (灵鲲) went" in (out / "g" / "transcript.vtt").read_text(encoding="utf-8")
    bad = write(tmp_path / "bad.yaml", 'title: "S"\nglosses: mute\n')
    assert main(["build", str(manifest), "--show", str(bad), "--out", str(tmp_path / "x")]) == 2
    assert capsys.readouterr().err.endswith(f"error: {bad}:2: glosses: 'mute' is not a choice; write `glosses: speak` (the "
                                            "other language's voice says it) or `glosses: drop` (left out of the speech, "
                                            "kept in the transcript)\n")
