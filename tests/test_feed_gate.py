"""Only episodes whose last QA passed, on the MP3 there now, reach the feed; a batch says which did not."""

from __future__ import annotations

from pathlib import Path

import pytest

from audiopipe.cli import main
from tests.builds import SHOW, build, built_episode, episode, feed_agrees, feed_items, served_file
from tests.conftest import TWO_STORIES, id3, read_json, write

pytestmark = pytest.mark.e2e


# ---- the feed ------------------------------------------------------------------------------------

def test_only_episodes_whose_last_qa_passed_reach_the_feed(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    a = episode(tmp_path, "day-a", show=SHOW)         # with editions: the feeds of each language too
    b = episode(tmp_path, "day-b", show=SHOW)
    c = episode(tmp_path, "day-c", show=SHOW)
    assert build(a, out) == 0 and feed_items(out) == 1
    published = served_file(out, "day-a", "day-a.mp3").read_bytes()
    mp3 = out / "day-a" / "day-a.mp3"
    tags = id3(mp3)
    tags.delall("TIT2")                                # the working MP3 no longer carries its title: QA fails
    tags.save(mp3, v2_version=3)
    assert main(["qa", "day-a", "--out", str(out)]) == 1
    assert read_json(out / "day-a" / "qa.json")["passed"] is False
    capsys.readouterr()

    assert build(b, out) == 0                          # another build refreshes the feed: A's build is held ...
    err = capsys.readouterr().err
    assert "note: day-a: this build is not published: QA failed" in err
    assert "the feed keeps the episode as published on " in err
    assert feed_items(out) == 2 and "day-b" in (out / "feed.xml").read_text(encoding="utf-8")
    assert served_file(out, "day-a", "day-a.mp3").read_bytes() == published   # ... and A as it passed stays
    assert feed_agrees(out) == 2 * 6                  # each: its enclosure, three alternates, two edition feeds
    assert main(["feed", "--out", str(out), "--show", str(tmp_path / "episodes" / "show.yaml")]) == 0
    assert feed_items(out) == 2
    assert main(["build", str(b), str(c), "--engine", "espeak", "--out", str(out)]) == 0
    said = capsys.readouterr()
    assert "3 episodes" not in said.out and "2 episodes: 2 built, 0 failed; 2 passed QA" in said.out
    assert feed_items(out) == 3


def test_an_episode_never_passed_is_not_in_the_feed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert build(episode(tmp_path, "day-a"), out, "--no-qa") == 0
    assert build(episode(tmp_path, "day-b"), out) == 0
    assert "note: day-a: this build is not published: not checked" in capsys.readouterr().err
    assert feed_items(out) == 1 and not (out / "day-a" / "published").exists()


def test_a_rebuild_that_fails_qa_leaves_the_published_episode_and_feed_byte_identical(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The issue's case: published, then the Chinese text changed so that the figures check fails, rebuilt:
    exit 1, and the feed, the published MP3, transcripts and chapters are what they were."""
    manifest, out = built_episode(tmp_path, SHOW)
    published = out / "two-stories" / "published"
    before = {p.name: p.read_bytes() for p in sorted(published.iterdir())}
    feeds = {name: (out / name).read_bytes() for name in ("feed.xml", "feed-en.xml", "feed-zh.xml")}
    assert {served_file(out, "two-stories", n).name for n in ("two-stories.mp3", "transcript.vtt",
                                                             "two-stories-zh.mp3")} <= set(before)
    write(manifest, TWO_STORIES.replace("6.3903。", "6.9303。"))        # the rate, mistyped in Chinese
    capsys.readouterr()
    assert build(manifest, out) == 1
    err = capsys.readouterr().err
    assert "QA failed" in err and "the feed keeps the build published before" in err
    page = (out / "two-stories" / "qa.html").read_text(encoding="utf-8")     # the page shows both builds
    assert "The feed serves an earlier build" in page and "stays out of it: it failed QA" in page
    assert f'src="published/{served_file(out, "two-stories", "two-stories.mp3").name}"' in page
    assert (out / "two-stories" / "two-stories.mp3").read_bytes() != \
        served_file(out, "two-stories", "two-stories.mp3").read_bytes()    # the new build, not published
    assert {p.name: p.read_bytes() for p in sorted(published.iterdir())} == before
    assert {name: (out / name).read_bytes() for name in feeds} == feeds
    assert main(["feed", "--out", str(out), "--show", str(manifest.parent / "show.yaml")]) == 0   # and stays so
    assert (out / "feed.xml").read_bytes() == feeds["feed.xml"]
    assert {p.name: p.read_bytes() for p in sorted(published.iterdir())} == before
    write(manifest, TWO_STORIES)                                         # fixed: the fix is published
    assert build(manifest, out) == 0
    assert served_file(out, "two-stories", "two-stories.mp3").read_bytes() == \
        (out / "two-stories" / "two-stories.mp3").read_bytes()
    from audiopipe.publish.feed import read_served
    found = read_served(out / "two-stories")
    assert found is not None                                             # only what the feeds point at is left
    assert sorted(p.name for p in published.iterdir()) == sorted(["published.json", *found[1].names.values()])
    assert feed_agrees(out) == 6


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
    assert "note: two-stories: this build is not published: not checked (built with --no-qa)" in capsys.readouterr().err
    assert feed_items(out) == 0
    assert main(["qa", "two-stories", "--out", str(out)]) == 0
    assert main(["feed", "--out", str(out), "--show", str(tmp_path / "episodes" / "show.yaml")]) == 0
    assert feed_items(out) == 1




def test_a_retake_refreshes_the_feed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest, out = built_episode(tmp_path)
    assert main(["retake", "two-stories", "2", "--rate", "20", "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert f"feed: {out / 'feed.xml'}" in said.splitlines()[-1]
    size = (out / "two-stories" / "two-stories.mp3").stat().st_size
    assert f'length="{size}"' in (out / "feed.xml").read_text(encoding="utf-8")


def test_episodes_built_before_the_qa_gate_stay_published(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json
    manifest, out = built_episode(tmp_path)
    assert feed_items(out) == 1
    folder = out / "two-stories"
    (folder / "qa.json").unlink()                       # as an older audiopipe left it: schema 1, no qa.json
    report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    del report["schema"]
    (folder / "report.json").write_text(json.dumps(report), encoding="utf-8")
    assert main(["feed", "--out", str(out), "--show", str(tmp_path / "episodes" / "show.yaml")]) == 0
    assert feed_items(out) == 1 and "not in the feed" not in capsys.readouterr().err
