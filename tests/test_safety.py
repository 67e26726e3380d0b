"""Nothing broken ships: damaged takes are made again, only QA-passed episodes reach the feed, files are
readable by a web server, and every failure of the input or the machine is one line, exit 2, nothing
left half-written."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from audiopipe.cli import main
from tests.conftest import TWO_STORIES, cache_root, id3, read_json, write

SHOW = """
    title: "Morning Test"
    description: "A test show."
    owner_email: "owner@example.com"
    base_url: "https://example.com/podcast/"
    """

pytestmark = pytest.mark.e2e


def episode(tmp_path: Path, slug: str = "two-stories", text: str = TWO_STORIES) -> Path:
    write(tmp_path / "episodes" / "show.yaml", SHOW)
    return write(tmp_path / "episodes" / f"{slug}.yaml", text)


def build(manifest: Path, out: Path, *extra: str) -> int:
    return main(["build", str(manifest), "--engine", "espeak", "--out", str(out), *extra])


def one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert err and err[-1].startswith("error: ")
    assert "Traceback" not in "\n".join(err)
    return err[-1]


def feed_items(out: Path) -> int:
    return (out / "feed.xml").read_text(encoding="utf-8").count("<item>")


# ---- takes ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("damage", ["half", "header", "empty", "overwritten", "missing"])
def test_a_damaged_cached_take_is_made_again(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             damage: str) -> None:
    manifest, out = episode(tmp_path), tmp_path / "out"
    assert build(manifest, out) == 0
    first = read_json(out / "two-stories" / "report.json")
    take = first["segments"][1]["take"]
    wav = cache_root() / "takes" / take[:2] / f"{take}.wav"
    data = wav.read_bytes()
    if damage == "missing":
        wav.unlink()
    else:
        wav.write_bytes({"half": data[: len(data) // 2], "header": data[:44], "empty": b"",
                         "overwritten": b"\x00" * len(data)}[damage])
    capsys.readouterr()
    assert build(manifest, out, "--remaster") == 0
    captured = capsys.readouterr()
    assert f"note: cached take {take[:12]}… is damaged" in captured.err
    assert "(1 synthesized, 3 cached)" in captured.out and " 0 failed" in captured.out
    again = read_json(out / "two-stories" / "report.json")
    assert abs(again["episode"]["duration_ms"] - first["episode"]["duration_ms"]) <= 0.01 * first["episode"]["duration_ms"]
    assert abs(len(wav.read_bytes()) - len(data)) <= 0.01 * len(data)      # whole again


# ---- the feed ------------------------------------------------------------------------------------

def test_only_episodes_whose_last_qa_passed_reach_the_feed(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    a = episode(tmp_path, "day-a")
    b = episode(tmp_path, "day-b")
    c = episode(tmp_path, "day-c")
    assert build(a, out) == 0 and feed_items(out) == 1
    mp3 = out / "day-a" / "day-a.mp3"
    tags = id3(mp3)
    tags.delall("TIT2")                                # the MP3 no longer carries its title: QA fails
    tags.save(mp3, v2_version=3)
    assert main(["qa", "day-a", "--out", str(out)]) == 1
    assert read_json(out / "day-a" / "qa.json")["passed"] is False
    capsys.readouterr()

    assert build(b, out) == 0                          # another build refreshes the feed: A stays out
    assert "note: day-a is not in the feed: QA failed" in capsys.readouterr().err
    assert feed_items(out) == 1 and "day-b" in (out / "feed.xml").read_text(encoding="utf-8")
    assert main(["feed", "--out", str(out), "--show", str(tmp_path / "episodes" / "show.yaml")]) == 0
    assert feed_items(out) == 1
    assert main(["build", str(b), str(c), "--engine", "espeak", "--out", str(out)]) == 0
    said = capsys.readouterr()
    assert "3 episodes" not in said.out and "2 episodes: 2 built, 0 failed; 2 passed QA" in said.out
    assert feed_items(out) == 2 and "day-a" not in (out / "feed.xml").read_text(encoding="utf-8")


def test_a_batch_with_a_qa_failure_exits_1_and_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    first, second = episode(tmp_path, "first"), episode(tmp_path, "second")
    # a show whose QA allows no pause over 0.1 s inside a segment: both episodes fail it
    write(tmp_path / "episodes" / "show.yaml", SHOW.rstrip() + "\n    qa: {max_inner_silence_ms: 100}\n")
    assert main(["build", str(first), str(second), "--engine", "espeak", "--out", str(out)]) == 1
    table = capsys.readouterr().out.splitlines()
    assert [line.split()[1:3] for line in table[1:3]] == [["QA", "FAIL"], ["QA", "FAIL"]]
    assert table[-2] == "2 episodes: 2 built, 0 failed; 0 passed QA"
    assert feed_items(out) == 0


def test_a_build_without_qa_is_not_published_until_checked(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    manifest, out = episode(tmp_path), tmp_path / "out"
    assert build(manifest, out, "--no-qa") == 0
    assert "note: two-stories is not in the feed: not checked (built with --no-qa)" in capsys.readouterr().err
    assert feed_items(out) == 0
    assert main(["qa", "two-stories", "--out", str(out)]) == 0
    assert main(["feed", "--out", str(out), "--show", str(tmp_path / "episodes" / "show.yaml")]) == 0
    assert feed_items(out) == 1


# ---- files ---------------------------------------------------------------------------------------

def test_files_get_the_mode_open_gives_and_stale_parts_are_swept(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    manifest, out = episode(tmp_path), tmp_path / "out"
    stale = out / "two-stories" / ".two-stories.mp3.x1y2.part"
    stale_cache = cache_root() / "takes" / "ab" / ".abc.wav.q.part"
    for part in (stale, stale_cache):
        part.parent.mkdir(parents=True, exist_ok=True)
        part.write_bytes(b"\0" * 1000)
        os.utime(part, (time.time() - 3600, time.time() - 3600))
    old = os.umask(0o022)
    try:
        assert build(manifest, out) == 0
    finally:
        os.umask(old)
    assert not stale.exists() and not stale_cache.exists()
    assert "removed 1 unfinished file(s)" in capsys.readouterr().err
    folder = out / "two-stories"
    published = [out / "feed.xml", out / "artwork.png", folder / "two-stories.mp3", folder / "report.json",
                 folder / "transcript.vtt", folder / "chapters.json", folder / "qa.html",
                 folder / "segments" / "01-en.mp3"]
    assert {p.name: oct(p.stat().st_mode & 0o777) for p in published} == {p.name: "0o644" for p in published}
    assert not list(out.rglob("*.part"))


# ---- the machine ---------------------------------------------------------------------------------

def test_an_output_folder_that_is_a_file_or_unwritable_is_one_line(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    manifest = episode(tmp_path)
    blocker = write(tmp_path / "a-file", "x")
    assert build(manifest, blocker) == 2
    assert one_error_line(capsys) == (f"error: {blocker}: cannot use it as the output folder (not a directory); "
                                      "a file stands where a folder is needed; choose another path")
    assert build(manifest, Path("/proc/audiopipe-out")) == 2
    assert one_error_line(capsys).startswith("error: /proc/audiopipe-out: cannot use it as the output folder (")
    assert build(manifest, tmp_path / "o", "--cache", str(blocker)) == 2
    assert one_error_line(capsys).startswith(f"error: {blocker}: cannot use it as the cache folder (not a directory)")
    assert not (tmp_path / "o" / "two-stories").exists()


@contextlib.contextmanager
def small_disk(where: Path, size: str) -> Iterator[Path]:
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                          capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here to fill a disk ({done.stderr.decode().strip()}); "
                    "needs root and mount")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True, check=False)


@pytest.mark.parametrize("size", ["64k", "300k", "900k", "1500k"])
def test_a_full_disk_is_one_line_and_leaves_nothing_half_written(tmp_path: Path, size: str,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    manifest = episode(tmp_path)
    with small_disk(tmp_path / "disk", size) as disk:
        code = build(manifest, disk / "out", "--cache", str(disk / "cache"))
        if code == 0:
            pytest.skip(f"the episode fitted in {size}")
        assert code == 2
        line = one_error_line(capsys)
        assert "(disk full); free some space and run it again" in line and ".part" not in line
        assert not list(disk.rglob("*.part"))
        mp3 = disk / "out" / "two-stories" / "two-stories.mp3"
        assert not mp3.exists() or read_json(mp3.parent / "report.json")


def test_a_read_only_output_folder_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = episode(tmp_path)
    with small_disk(tmp_path / "ro", "1m") as disk:
        (disk / "out").mkdir()
        if subprocess.run(["mount", "-o", "remount,ro", str(disk)], capture_output=True).returncode:
            pytest.skip("cannot remount read-only here")
        assert build(manifest, disk / "out") == 2
        assert one_error_line(capsys) == (f"error: {disk / 'out'}: cannot use it as the output folder (read-only "
                                          "file system); choose a writable folder")
        assert main(["import", str(write(tmp_path / "s.txt", "Markets rose.\n\n市场上涨。\n")), "-o",
                     str(disk / "out" / "s.yaml")]) == 2
        assert one_error_line(capsys).startswith(f"error: {disk / 'out' / 's.yaml'}: cannot write (read-only")


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
        assert f'    en: "Container traffic at the port rose for week {i}."' in text   # the headline is not spoken


# ---- re-takes ------------------------------------------------------------------------------------

def test_a_retake_choice_is_checked_before_it_is_saved(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest, out = episode(tmp_path), tmp_path / "out"
    assert build(manifest, out) == 0
    capsys.readouterr()
    assert main(["retake", "two-stories", "1", "--engine", "bogus", "--out", str(out)]) == 2
    assert one_error_line(capsys) == ("error: retake: segment 1: unknown engine 'bogus'; choose one of: espeak, "
                                      "edge, kokoro")
    assert main(["retake", "two-stories", "1", "--voice", "zh-host", "--out", str(out)]) == 2
    assert "profile 'zh-host' is unknown or not en" in one_error_line(capsys)
    assert not (out / "two-stories" / "retakes.json").exists()
    write(out / "two-stories" / "retakes.json", "{not json")
    assert build(manifest, out) == 2
    assert one_error_line(capsys).startswith(f"error: {out / 'two-stories' / 'retakes.json'}: not a valid re-take")
    (out / "two-stories" / "retakes.json").unlink()
    report = out / "two-stories" / "report.json"
    report.write_text(report.read_text(encoding="utf-8")[:300], encoding="utf-8")
    assert main(["retake", "two-stories", "1", "--out", str(out)]) == 2
    assert one_error_line(capsys).startswith(f"error: {report}: cannot read the build report")
    assert main(["qa", "two-stories", "--out", str(out)]) == 2
    assert one_error_line(capsys).startswith(f"error: {report}: cannot read the build report")


def test_a_retake_refreshes_the_feed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest, out = episode(tmp_path), tmp_path / "out"
    assert build(manifest, out) == 0
    assert main(["retake", "two-stories", "2", "--rate", "20", "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert f"feed: {out / 'feed.xml'}" in said.splitlines()[-1]
    size = (out / "two-stories" / "two-stories.mp3").stat().st_size
    assert f'length="{size}"' in (out / "feed.xml").read_text(encoding="utf-8")


def test_a_future_date_is_a_warning_and_the_pub_date(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest, out = episode(tmp_path), tmp_path / "out"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace("2026-11-20", "2099-01-02"), encoding="utf-8")
    assert build(manifest, out) == 0
    assert (f"warning: {manifest}: date 2099-01-02 is in the future; the feed will carry it with that pubDate"
            in capsys.readouterr().err)
    assert "<pubDate>Fri, 02 Jan 2099 06:00:00 +0000</pubDate>" in (out / "feed.xml").read_text(encoding="utf-8")


def test_episodes_built_before_the_qa_gate_stay_published(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json
    manifest, out = episode(tmp_path), tmp_path / "out"
    assert build(manifest, out) == 0 and feed_items(out) == 1
    folder = out / "two-stories"
    (folder / "qa.json").unlink()                       # as an older audiopipe left it: schema 1, no qa.json
    report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    del report["schema"]
    (folder / "report.json").write_text(json.dumps(report), encoding="utf-8")
    assert main(["feed", "--out", str(out), "--show", str(tmp_path / "episodes" / "show.yaml")]) == 0
    assert feed_items(out) == 1 and "not in the feed" not in capsys.readouterr().err
