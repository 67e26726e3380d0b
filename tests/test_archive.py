"""A long archive: a feed refresh costs what changed.  Each change a producer makes (a record, an MP3, a
folder removed, the index damaged) is noticed, and every feed is then byte-identical to what reading
every folder again gives."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from audiopipe.config.show import load_show
from audiopipe.publish import episode as publishing
from audiopipe.publish.index import INDEX, ITEMS, VERSION
from audiopipe.review.release import refresh_feed
from tests.builds import SHOW, build, built_once, episode, feed_items
from tests.conftest import REPO, id3, read_json, write

pytestmark = pytest.mark.e2e

FEEDS = ("feed.xml", "feed-en.xml", "feed-zh.xml")
ARCHIVE = 12


def _archive_module() -> Any:   # bench/archive.py: the same generator `make bench` uses
    spec = importlib.util.spec_from_file_location("bench_archive", REPO / "bench" / "archive.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def archive(tmp_path: Path) -> tuple[Path, Path]:
    """An output folder of ARCHIVE episodes (one build copied under ARCHIVE dates) and its show.yaml,
    refreshed once."""
    def make(folder: Path) -> None:
        assert build(episode(folder, "template", show=SHOW), folder / "built") == 0
    built_once(tmp_path, "archive-template", make)
    template = tmp_path / "built" / "template"
    shutil.rmtree(template / "published")
    out = tmp_path / "out"
    _archive_module().make_archive(template, out, ARCHIVE)
    show = tmp_path / "episodes" / "show.yaml"
    refresh_feed(out, load_show(show))
    return out, show


def _feeds(out: Path) -> dict[str, bytes]:
    return {name: (out / name).read_bytes() for name in FEEDS}


def _as_if_read_again(out: Path, show: Path, tmp_path: Path) -> dict[str, bytes]:
    """The feeds a refresh writes that reads every folder again (no index), in a copy of *out*."""
    copy = tmp_path / "full"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(out, copy, symlinks=True)
    refresh_feed(copy, load_show(show), full=True)
    return _feeds(copy)


def _looked_at(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    looked: list[str] = []
    real = publishing._look_at

    def spy(folder: Path, *args: object) -> object:
        looked.append(folder.name)
        return real(folder, *args)   # type: ignore[arg-type]
    monkeypatch.setattr(publishing, "_look_at", spy)
    return looked


def test_an_unchanged_archive_is_neither_read_nor_written(archive: tuple[Path, Path],
                                                          monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    out, show = archive
    assert feed_items(out) == ARCHIVE
    before = {name: (out / name).stat().st_mtime_ns for name in FEEDS}
    feeds = _feeds(out)
    looked = _looked_at(monkeypatch)
    refresh_feed(out, load_show(show))
    assert looked == []                                                   # no folder read again
    assert {name: (out / name).stat().st_mtime_ns for name in FEEDS} == before   # no feed written again
    assert _feeds(out) == feeds == _as_if_read_again(out, show, tmp_path)


def _retitle(folder: Path, title: str) -> None:
    report = folder / "report.json"
    data = read_json(report)
    data["episode"]["title"] = title
    report.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")


def test_a_changed_record_is_noticed(archive: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch,
                                     tmp_path: Path) -> None:
    out, show = archive
    _retitle(out / "day-0005", "Day 5, retitled")
    looked = _looked_at(monkeypatch)
    refresh_feed(out, load_show(show))
    assert looked == ["day-0005"]
    assert "<title>Day 5, retitled</title>" in (out / "feed.xml").read_text(encoding="utf-8")
    assert _feeds(out) == _as_if_read_again(out, show, tmp_path)


def test_a_changed_mp3_is_noticed_and_held(archive: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch,
                                           tmp_path: Path) -> None:
    out, show = archive
    mp3 = out / "day-0003" / "day-0003.mp3"
    data = mp3.read_bytes()
    mp3.unlink()                                   # a hard link of the template's: a file of its own now
    mp3.write_bytes(data)
    tags = id3(mp3)
    tags.delall("TIT2")                            # edited after QA: QA's verdict no longer holds
    tags.save(mp3, v2_version=3)
    looked = _looked_at(monkeypatch)
    _, held = refresh_feed(out, load_show(show))
    assert looked == ["day-0003"]
    assert [(slug, reason.split(";")[0]) for slug, reason in held] == [("day-0003", "its QA was for another build of it")]
    _, held = refresh_feed(out, load_show(show))           # still held, and said so, without reading it again
    assert looked == ["day-0003"] and [slug for slug, _ in held] == ["day-0003"]
    assert feed_items(out) == ARCHIVE                 # the published build stays in the feed
    assert _feeds(out) == _as_if_read_again(out, show, tmp_path)


def test_a_removed_folder_keeps_its_item_and_a_damaged_index_is_rebuilt(
        archive: tuple[Path, Path], tmp_path: Path) -> None:
    out, show = archive
    shutil.rmtree(out / "day-0007")
    refresh_feed(out, load_show(show))
    assert feed_items(out) == ARCHIVE and "day-0007" in (out / "feed.xml").read_text(encoding="utf-8")
    feeds = _feeds(out)
    for damage in ("[" * 100000, "{}", '{"version": 1}', "\x00garbage"):
        (out / INDEX).write_text(damage, encoding="utf-8")
        refresh_feed(out, load_show(show))
        assert _feeds(out) == feeds, damage                # rebuilt from the folders and the previous feeds
    assert json.loads((out / INDEX).read_text(encoding="utf-8"))["version"] == VERSION
    for damage in ("[" * 100000, '{"version": 2}'):        # the items damaged, and a change that needs them
        (out / ITEMS).write_text(damage, encoding="utf-8")
        _retitle(out / "day-0002", f"Day 2, {len(damage)}")
        refresh_feed(out, load_show(show))
        assert _feeds(out) == _as_if_read_again(out, show, tmp_path), damage
        assert f"Day 2, {len(damage)}" in (out / "feed.xml").read_text(encoding="utf-8")
    (out / "feed.xml").write_bytes(b"")                         # a feed emptied by hand is written again
    refresh_feed(out, load_show(show))
    assert _feeds(out) == _as_if_read_again(out, show, tmp_path)
    feeds = _feeds(out)
    (out / INDEX).unlink()
    refresh_feed(out, load_show(show))
    assert _feeds(out) == feeds == _as_if_read_again(out, show, tmp_path)


def test_a_feed_can_list_the_newest_only(archive: tuple[Path, Path], tmp_path: Path) -> None:
    out, show = archive
    write(show, SHOW.rstrip() + "\n    feed_items: 5\n")
    refresh_feed(out, load_show(show))
    text = (out / "feed.xml").read_text(encoding="utf-8")
    assert feed_items(out) == 5 and "day-0012" in text and "day-0007" not in text     # the newest five
    assert (out / "feed-zh.xml").read_text(encoding="utf-8").count("<item>") == 5
    assert all(any((out / f"day-{n:04d}" / "published").glob("*.mp3")) for n in range(1, ARCHIVE + 1))  # all served


def test_a_published_copy_changed_after_promotion_is_restored_or_taken_out(
        archive: tuple[Path, Path], tmp_path: Path) -> None:
    out, show = archive
    copy = next((out / "day-0004" / "published").glob("day-0004.*.mp3"))
    good = copy.read_bytes()
    flipped = bytearray(good)
    flipped[len(flipped) // 2] ^= 0xFF
    copy.unlink()                                  # a hard link of the template's: a file of its own now
    copy.write_bytes(bytes(flipped))               # one byte flipped where listeners fetch it
    notes: list[str] = []
    refresh_feed(out, load_show(show), notes=notes)
    assert notes == [f"day-0004: restored published/{copy.name} from day-0004.mp3"]
    assert copy.read_bytes() == good and _feeds(out) == _as_if_read_again(out, show, tmp_path)

    # the working build changed too (held: its QA was for another build): nothing has the published bytes
    copy.unlink()
    copy.write_bytes(bytes(flipped))
    mp3 = out / "day-0004" / "day-0004.mp3"
    data = mp3.read_bytes()
    mp3.unlink()
    mp3.write_bytes(data[:-1000])
    notes = []
    _, held = refresh_feed(out, load_show(show), notes=notes)
    assert notes == [f"day-0004: published/{copy.name} changed after it was published, and no working file has "
                     "its bytes"]
    assert [reason.split(";")[1].strip() for slug, reason in held if slug == "day-0004"] == [
        "the episode is out of the feeds until a build of it passes QA again (rebuild it)"]
    assert "day-0004" not in (out / "feed.xml").read_text(encoding="utf-8") and feed_items(out) == ARCHIVE - 1


def test_special_and_damaged_files_get_one_line(archive: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    import os

    from audiopipe.cli import main
    out, show = archive
    (out / "feed-zh.xml").unlink()
    os.mkfifo(out / "feed-zh.xml")                 # a FIFO where a feed goes: refused at once, not waited on
    assert main(["feed", "--out", str(out), "--show", str(show)]) == 2
    assert capsys.readouterr().err.strip() == (f"error: {out / 'feed-zh.xml'}: not a regular file (a FIFO, a device "
                                               "or a folder); move it away, then run `audiopipe feed` (nothing was "
                                               "written)")
    (out / "feed-zh.xml").unlink()
    for name, what, command in (("report.json", "cannot read the build report", "feed"),
                                ("published/published.json", "unreadable", "feed"),
                                ("review.json", "not a valid review file", "release")):
        target = out / "day-0006" / name
        keep = target.read_bytes() if target.is_file() else None
        target.unlink(missing_ok=True)
        target.write_text("[" * 100000, encoding="utf-8")       # nested past the parser's depth
        args = ["day-0006", "--out", str(out)] if command == "release" else ["--out", str(out), "--show", str(show)]
        assert main([command, *args]) == 2, name
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith(f"error: {target}: {what}") and "Traceback" not in err[0], err
        target.unlink()
        if keep is not None:
            target.write_bytes(keep)
