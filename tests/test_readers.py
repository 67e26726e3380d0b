"""The MP3's tags as other readers see them: the raw frames, eyeD3, ffmpeg's metadata dump, and the
chapters of an M4A that ffmpeg remuxes from it."""

from __future__ import annotations

import logging
import re
import struct
from pathlib import Path
from typing import Any

import eyed3
import pytest

from audiopipe.cli import main
from audiopipe.tools import ffmpeg
from tests.conftest import raw_frames, read_json, write

pytestmark = pytest.mark.e2e

LONG = "A long description of the episode. " * 40

MANIFEST = f"""
    title: "Three \\a stories"
    date: 2026-11-20
    episode: 7
    description: "{LONG.strip()}"
    stories:
      - title: "Markets\\a rally"
        en: "Markets opened higher on Monday, with the yuan at 6.3903 per dollar."
        zh: >-
          周一市场高开，
          人民币兑美元汇率为6.3903。
      - title: "Shipping\\nslows"
        en: "Shipping rates fell for a third week in a row."
        zh: "航运价格连续第三周下跌。"
      - title: "A much longer title for the third story, so that its frame is the largest"
        en: "Fine."
        zh: "好。"
"""
FEED = "https://example.com/podcast/feed.xml"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("readers")
    write(root / "ep" / "show.yaml", f'title: "Show"\nfeed_url: "{FEED}"\n')
    manifest = write(root / "ep" / "readers.yaml", MANIFEST)
    assert main(["build", str(manifest), "--engine", "espeak", "--out", str(root / "out"), "--no-feed",
                 "--cache", str(root / "cache")]) == 0
    return root / "out" / "readers"


def chapters_of(report: Any) -> list[tuple[int, int, str]]:
    return [(c["start_ms"], c["end_ms"], c["title"]) for c in report["chapters"]]


def test_frames_are_v24_in_time_order_with_itunes_wfed_and_the_credentials_last(built: Path) -> None:
    frames = raw_frames(built / "readers.mp3")
    ids = [fid for fid, _ in frames]
    assert "TYER" not in ids and "TDAT" not in ids and ids[-1] == "GEOB"      # c2pa's manifest store comes last
    body = dict((fid, b) for fid, b in frames if fid in ("TDRC", "WFED", "TXXX"))
    assert body["TDRC"] == b"\x032026-11-20"                                     # UTF-8, ISO date
    assert body["WFED"][:1] == b"\x00" and body["WFED"][1:].rstrip(b"\0").decode() == FEED
    assert body["TXXX"].startswith(b"\x03ai-content\x00Every voice in this show is synthetic")
    starts = [struct.unpack(">I", b[b.index(b"\0") + 1:][:4])[0] for fid, b in frames if fid == "CHAP"]
    assert len(starts) == 3 and starts == sorted(starts)


def test_eyed3_reads_the_date_the_chapters_in_order_and_the_feed(built: Path) -> None:
    logging.getLogger("eyed3").setLevel(logging.ERROR)
    audio = eyed3.load(str(built / "readers.mp3"))
    assert audio is not None and audio.tag is not None
    tag = audio.tag
    assert tag.version == (2, 4, 0)
    assert str(tag.getBestDate()) == "2026-11-20"
    report = read_json(built / "report.json")
    got = [(c.times.start, c.times.end, c.title) for c in tag.chapters]
    assert got == chapters_of(report)
    assert [c.title for c in tag.chapters] == ["Markets rally", "Shipping slows",
                                               "A much longer title for the third story, so that its frame is the largest"]
    assert [f.text for f in tag.frame_set[b"WFED"]] == [FEED]
    assert tag.title == "Three stories"


def ffmetadata(path: Path) -> str:
    return ffmpeg.run(["-i", str(path), "-f", "ffmetadata", "-"], what=str(path)).decode("utf-8")


def ffmpeg_chapters(text: str) -> list[tuple[float, float, str]]:
    out = []
    for block in text.split("[CHAPTER]")[1:]:
        fields = dict(line.split("=", 1) for line in block.strip().splitlines() if "=" in line)
        num, den = (int(x) for x in fields["TIMEBASE"].split("/"))
        out.append((int(fields["START"]) * num / den, int(fields["END"]) * num / den, fields["title"]))
    return out


def test_ffmpeg_and_an_m4a_remux_list_the_chapters_in_order(built: Path, tmp_path: Path) -> None:
    mp3 = built / "readers.mp3"
    meta = ffmetadata(mp3)
    assert re.search(r"^date=2026-11-20$", meta, re.M)
    want = chapters_of(read_json(built / "report.json"))
    m4a = tmp_path / "remux.m4a"
    ffmpeg.run(["-y", "-i", str(mp3), "-vn", "-c:a", "aac", str(m4a)], what="remux")
    for chapters in (ffmpeg_chapters(meta), ffmpeg_chapters(ffmetadata(m4a))):
        assert [title for _, _, title in chapters] == [title for _, _, title in want]
        for (start, end, _), (w_start, w_end, _) in zip(chapters, want):
            # ffmpeg moves MP3 chapter times by the encoder's delay (a few dozen ms)
            assert abs(start * 1000 - w_start) <= 60 and abs(end * 1000 - w_end) <= 60
        assert all(a[1] <= b[0] + 0.001 for a, b in zip(chapters, chapters[1:]))


def test_no_control_character_reaches_chapters(built: Path) -> None:
    text = (built / "chapters.json").read_text(encoding="utf-8") + (built / "report.json").read_text(encoding="utf-8")
    assert "\\u0007" not in text and "Markets rally" in text and "Shipping slows" in text


def test_text_frames_hold_the_description_once_and_no_folding_spaces(built: Path) -> None:
    frames = raw_frames(built / "readers.mp3")
    def text(fid: str) -> list[str]:
        return [body[1:].decode("utf-8").rstrip("\0") for f, body in frames if f == fid]
    [tdes] = text("TDES")
    assert tdes == LONG.strip()
    comments = [body for f, body in frames if f == "COMM"]
    assert max(len(c) for c in comments) < 2 * 300           # the long description is not stored twice
    uslt = [body for f, body in frames if f == "USLT"][0].decode("utf-8", "ignore")
    assert "周一市场高开，人民币兑美元汇率为6.3903。" in uslt and "， 人民币" not in uslt


def test_golden_frame_layout(built: Path) -> None:
    """Frame ids in stored order and each text frame's encoding (3: UTF-8; WFED 0: ISO-8859-1)."""
    layout = []
    for fid, body in raw_frames(built / "readers.mp3"):
        if fid.startswith("T") or fid in ("WFED", "COMM", "USLT"):
            layout.append(f"{fid}:{body[0]}")
        else:
            layout.append(fid)
    golden = Path(__file__).parent / "data" / "golden" / "tags-layout.txt"
    assert " ".join(layout) == golden.read_text(encoding="utf-8").strip()
