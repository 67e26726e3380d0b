"""Input that cannot be built is refused before anything is made: one line naming the file, the place and the fix, exit 2."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from audiopipe.cli import main
from tests.builds import SHOW, build, episode, one_error_line
from tests.conftest import TWO_STORIES, cache_root, read_json, write

pytestmark = pytest.mark.e2e


# ---- input ---------------------------------------------------------------------------------------

def test_a_manifest_that_is_not_a_regular_file_is_refused_at_once(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    (tmp_path / "folder.yaml").mkdir()
    loop = tmp_path / "loop.yaml"
    os.symlink(loop, loop)
    expected = {fifo: "is not a regular file (a pipe, socket or device); give a text file",
                tmp_path / "folder.yaml": "is a directory, not a file; give the file's path",
                loop: "cannot read it (symbolic link loop); fix the link"}
    for path, message in expected.items():
        assert build(path, tmp_path / "out") == 2
        assert one_error_line(capsys) == f"error: {path}: {message}"


@pytest.mark.parametrize("name,story,message", [
    ("emoji", 'en: "😀😀😀"', 'en: has nothing to say in English (no letters or digits); write the text'),
    ("zero-width", 'en: "\\u200b\\u200b"', "en: has nothing to say in English (no letters or digits); write the text"),
    ("nul", 'en: "Hello\\0"', "en: contains U+0000, which is not text; remove it"),
    ("surrogate", 'en: "Hi \\ud800"', "en: contains U+D800, which is not text; remove it"),
    ("zh-punctuation", 'zh: "。。。！！"',
     "zh: has nothing to say in Chinese (no Chinese characters or digits); write the text"),
    ("en-punctuation", 'en: "... !!! ???"', "en: has nothing to say in English (no letters or digits); write the text"),
    ("arabic", 'en: "مرحبا بالعالم اليوم"', "en: is mostly in another script (مرحباب…), not English; write it in English"),
])
def test_unspeakable_text_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                     name: str, story: str, message: str) -> None:
    key = story.split(":")[0]
    other = 'zh: "市场上涨。"' if key == "en" else 'en: "Markets rose."'
    manifest = write(tmp_path / "episodes" / f"{name}.yaml",
                     f'title: "T"\ndate: 2026-11-20\nstories:\n  - {story}\n    {other}\n')
    assert build(manifest, tmp_path / "out") == 2
    assert one_error_line(capsys) == f"error: {manifest}:4: stories[1].{message}"
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("name,body,message", [
    ("headings-only", "script: |\n  ## One\n\n  ## Two\n",
     "script: has nothing to speak (only headings); write the paragraphs under them"),
    ("english-only", "script: |\n  Markets rose on Monday.\n\n  Shipping fell.\n",
     "script: has only English text, no Chinese; add it, or set `order: [en]` for a one-language episode"),
    ("too-many", "stories:\n" + "".join(f'  - en: "Story {i}."\n    zh: "新闻{i}。"\n' for i in range(256)),
     "stories: has 256 stories; an episode holds at most 255 (one chapter each); split it into several episodes"),
])
def test_a_script_or_stories_that_cannot_be_built_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                              name: str, body: str, message: str) -> None:
    manifest = write(tmp_path / "episodes" / f"{name}.yaml", f'title: "T"\ndate: 2026-11-20\n{body}')
    assert build(manifest, tmp_path / "out") == 2
    line = one_error_line(capsys)
    assert line.startswith(f"error: {manifest}") and line.endswith(message)
    assert not (tmp_path / "out").exists()


def test_a_one_language_special_builds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = write(tmp_path / "episodes" / "special.yaml",
                     'title: "T"\ndate: 2026-11-20\norder: [en]\nscript: |\n  Markets rose on Monday.\n')
    assert build(manifest, tmp_path / "out", "--no-feed") == 0
    assert [s["lang"] for s in read_json(tmp_path / "out" / "special" / "report.json")["segments"]] == ["en"]
    capsys.readouterr()


@pytest.mark.parametrize("rule,message", [
    ('{match: "(CF)(ETS)", say: "\\\\3", regex: true}',
     "en[1].say: refers to group 3 but the pattern has 2 group(s); use \\1..\\2 or write \\\\ for a backslash"),
    ('{match: "CFETS", say: "\\\\q", regex: true}',
     "en[1].say: \\q is not an escape a replacement knows; write \\\\ for a backslash"),
])
def test_a_bad_lexicon_template_is_refused_at_load(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   rule: str, message: str) -> None:
    shutil.copytree(Path(__file__).resolve().parent.parent / "voices", tmp_path / "voices")
    lexicon = write(tmp_path / "voices" / "lexicon.yaml", f"en:\n  - {rule}\n")
    manifest = episode(tmp_path)
    assert build(manifest, tmp_path / "out", "--voices", str(tmp_path / "voices")) == 2
    assert one_error_line(capsys) == f"error: {lexicon}:2: {message}"


def test_a_runaway_lexicon_pattern_is_stopped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copytree(Path(__file__).resolve().parent.parent / "voices", tmp_path / "voices")
    write(tmp_path / "voices" / "lexicon.yaml", 'en:\n  - {match: "(a|aa)+$", say: "x", regex: true}\n')
    manifest = write(tmp_path / "episodes" / "slow.yaml", 'title: "T"\ndate: 2026-11-20\nstories:\n'
                     f'  - en: "{"a" * 40}b is a word."\n    zh: "一个词。"\n')
    started = time.perf_counter()
    assert build(manifest, tmp_path / "out", "--voices", str(tmp_path / "voices")) == 2
    assert time.perf_counter() - started < 20
    assert one_error_line(capsys).endswith("match: took over 1 s on one text (the pattern backtracks without "
                                           "end, e.g. (a+)+$); simplify it")


def test_import_splits_a_headline_from_the_paragraph_right_under_it(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    lines = []
    for i in range(1, 4):            # no blank line between a headline and its paragraph
        lines += [f"Port volumes rise in week {i}", f"Container traffic at the port rose for week {i}.",
                  f"第{i}周集装箱吞吐量继续上升。", ""]
    script = write(tmp_path / "day.txt", "Title: Morning\n\n" + "\n".join(lines))
    target = tmp_path / "episodes" / "day.yaml"
    assert main(["import", str(script), "-o", str(target)]) == 0
    capsys.readouterr()
    text = target.read_text(encoding="utf-8")
    assert text.count("  - title:") == 3                                   # three stories, not one
    for i in range(1, 4):
        assert f'  - title: "Port volumes rise in week {i}"' in text
        # the headline is its own paragraph (said alone, a pause after it), never glued to the story's first line
        assert f'    en: "Port volumes rise in week {i}\\n\\nContainer traffic at the port rose for week {i}."' in text




def test_a_future_date_is_a_warning_and_the_pub_date(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest, out = episode(tmp_path), tmp_path / "out"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace("2026-11-20", "2099-01-02"), encoding="utf-8")
    assert build(manifest, out) == 0
    assert (f"warning: {manifest}: date 2099-01-02 is in the future; the feed will carry it with that pubDate"
            in capsys.readouterr().err)
    assert "<pubDate>Fri, 02 Jan 2099 06:00:00 +0000</pubDate>" in (out / "feed.xml").read_text(encoding="utf-8")


# ---- input that once gave a traceback or hung ------------------------------------------------------

def _png_header(side: int) -> bytes:
    """A PNG claiming *side* x *side* pixels in its header, with a token of data (opening reads the header)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))


@pytest.mark.parametrize("what,show,manifest,message", [
    ("deep YAML", "", "title: x\ndate: 2026-11-20\nstories:\n  - en: " + "[" * 3000 + "]" * 3000 + "\n",
     "two-stories.yaml: nested too deep"),
    ("an infinite threshold", "qa: {clip_run: .inf}\n", TWO_STORIES, "show.yaml:5: qa.clip_run: must be a number, got inf"),
    ("a threshold out of range", "qa: {short_ratio: 7}\n", TWO_STORIES, "qa.short_ratio: 7 is out of range; use 0..1"),
    ("a fractional whole number", "qa: {clip_run: 2.5}\n", TWO_STORIES, "qa.clip_run: must be a whole number, got 2.5"),
    ("a NaN setting", "target_lufs: .nan\n", TWO_STORIES, "target_lufs: must be a number, got nan"),
    ("a 60000 px cover", "artwork: huge.png\n", TWO_STORIES, "huge.png is far larger than a cover"),
])
def test_input_that_once_broke_the_build_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], what: str,
                                                     show: str, manifest: str, message: str) -> None:
    path = episode(tmp_path, text=manifest, show=SHOW)
    (path.parent / "huge.png").write_bytes(_png_header(60000))
    with open(path.parent / "show.yaml", "a", encoding="utf-8") as out:
        out.write(show)
    assert build(path, tmp_path / "out") == 2, what
    assert message in one_error_line(capsys)
    assert not (tmp_path / "out" / "two-stories").exists()


@pytest.mark.parametrize("source", ["fifo", "/dev/zero"])
def test_import_refuses_a_pipe_or_device_at_once(tmp_path: Path, source: str) -> None:
    if source == "fifo":
        os.mkfifo(tmp_path / "script.txt")
        source = str(tmp_path / "script.txt")
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "audiopipe", "import", source, "-o", str(tmp_path / "x.yaml")],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2 and time.perf_counter() - started < 30
    assert proc.stderr.strip().splitlines() == [f"error: {source}: is not a regular file (a pipe, socket or device); "
                                                "give a text file"]
    assert not (tmp_path / "x.yaml").exists()


def test_a_segment_or_episode_past_the_bounds_is_refused_before_synthesis(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    long_story = ('title: "Long"\ndate: 2026-11-20\nstories:\n'
                  f'  - en: "{"Markets rose. " * 800}"\n    zh: "市场上涨。"\n')   # 11,199 characters (the last space goes)
    assert build(episode(tmp_path, text=long_story), tmp_path / "out") == 2
    assert "stories[1].en: is 11199 characters long; a segment holds at most 10000; split it" in one_error_line(capsys)
    from audiopipe import pipeline
    monkeypatch.setattr(pipeline, "MAX_EPISODE_S", 20)                # the two stories run about 0:25
    assert build(episode(tmp_path), tmp_path / "out") == 2
    line = one_error_line(capsys)
    assert "two-stories.yaml: would run about 0:2" in line and "at most 0:20: split it into several episodes" in line
    assert not (tmp_path / "out" / "two-stories").exists() and not list((cache_root() / "takes").glob("*/*.wav"))


def test_a_bad_command_line_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["build", "x.yaml", "--jobs", "many"])
    assert stop.value.code == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "error: audiopipe build: argument --jobs: invalid int value: 'many'; see `audiopipe build --help`"]


def test_an_english_host_profile_that_speaks_chinese_is_refused(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = episode(tmp_path)
    voices = path.parent / "voices"
    write(voices / "en-host.yaml", "language: zh\nvoices: {espeak: cmn}\n")
    assert main(["build", str(path), "--voices", str(voices), "--out", str(tmp_path / "out")]) == 2
    line = one_error_line(capsys)
    assert "has no `voices:`, so en-host is its English host, but" in line and "en-host.yaml says language: zh" in line


def test_import_errors_name_the_script_not_a_temporary_file(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    script = write(tmp_path / "news.txt", "市场\n\n" + "Markets rose again. " * 600 + "\n\n市场上涨。\n")
    assert main(["import", str(script), "-o", str(tmp_path / "news.yaml")]) == 2
    line = one_error_line(capsys)
    assert line.startswith(f"error: {script} (as imported)") and "/tmp/tmp" not in line.replace(str(tmp_path), "")
    assert not (tmp_path / "news.yaml").exists()


def test_a_title_of_a_megabyte_and_a_file_where_the_episode_goes_are_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Both once got as far as synthesis: a 1 MB title failed at signing (blaming the certificate), and a
    file standing where the episode's folder goes was reported as a damaged review.json."""
    long = episode(tmp_path, "long", TWO_STORIES.replace('title: "Two stories"', 'title: "' + "T" * 1_000_000 + '"'))
    assert "T" * 1000 in long.read_text(encoding="utf-8")
    assert build(long, tmp_path / "out") == 2
    assert one_error_line(capsys) == (f"error: {long}:1: title: is 1000000 characters; a title holds at most 300 (apps "
                                      "cut long titles); shorten it")
    out = tmp_path / "out2"
    out.mkdir()
    (out / "two-stories").write_text("not a folder", encoding="utf-8")
    assert build(episode(tmp_path), out) == 2
    assert one_error_line(capsys) == (f"error: {out / 'two-stories'}: a file stands where the episode's folder goes; "
                                      "move it away, or build into another --out (nothing was made)")


def test_a_nul_in_a_script_heading_is_folded_and_the_episode_builds(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    script = episode(tmp_path, "heading", 'title: "Headings"\ndate: 2026-11-20\n'
                     'script: "## Markets\\0 today\\n\\nStocks rose on Monday.\\n\\n周一股市上涨。"\n')   # YAML's \0
    assert build(script, tmp_path / "out") == 0, capsys.readouterr().err
    report = read_json(tmp_path / "out" / "heading" / "report.json")
    assert [c["title"] for c in report["chapters"]] == ["Markets today"]
    assert read_json(tmp_path / "out" / "heading" / "qa.json")["passed"] is True


def test_a_voice_tarball_that_is_huge_or_not_a_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    import resource

    from audiopipe.engines import voicepack
    from audiopipe.errors import AudiopipeError
    huge = tmp_path / "huge.tgz"
    with open(huge, "wb") as fh:                      # 3 GB, sparse: refused from its size, never read
        fh.truncate(3 << 30)
    before, cpu = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, time.process_time()
    with pytest.raises(AudiopipeError, match=r"huge.tgz: 3072 MB is not the pinned kokoro-js 1.2.1 tarball"):
        voicepack.fetch(tmp_path / "voices", tarball=huge)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200_000     # KB: not 3 GB resident
    assert time.process_time() - cpu < 1.0           # hashing 3 GB takes about 10 CPU-s here
    with open(huge, "r+b") as fh:                     # under the limit but not the release: hashed, refused
        fh.truncate(1 << 20)
    with pytest.raises(AudiopipeError, match="SHA-256 .* is not the pinned"):
        voicepack.fetch(tmp_path / "voices", tarball=huge)
    fifo = tmp_path / "fifo.tgz"
    os.mkfifo(fifo)
    with pytest.raises(AudiopipeError, match="not a regular file"):
        voicepack.fetch(tmp_path / "voices", tarball=fifo)


def test_a_yaml_alias_bomb_is_refused_before_anything_walks_it(tmp_path: Path) -> None:
    """Nine levels of nine aliases (387 million strings if expanded): the stamp's look for named files walks
    each shared node once, and the manifest's own check says what is wrong (it once took 68-95 s of CPU)."""
    levels = ['a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for prev, name in zip("abcdefgh", "bcdefghi"):
        levels.append(f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]")
    bomb = write(tmp_path / "bomb.yaml", 'title: "Bomb"\ndate: 2026-11-20\n' + "\n".join(levels) +
                 '\nstories:\n  - en: "Markets rose."\n    zh: "市场上涨。"\n')
    proc = subprocess.run([sys.executable, "-m", "audiopipe", "build", str(bomb), "--engine", "espeak", "--out",
                           str(tmp_path / "out")], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2 and proc.stderr.strip().splitlines() == [
        f"error: {bomb}:3: unknown key 'a'; allowed keys: title, date, episode, description, order, voices, intro, "
        "outro, stories, script"]
    assert not (tmp_path / "out" / "bomb").exists()
