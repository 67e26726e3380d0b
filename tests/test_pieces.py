"""An MP3 joined from pieces (produce/pieces, tools/mp3join): it plays the programme sample for sample,
ffmpeg, mutagen and eyeD3 read its length, its LAME tag's CRCs are the ones ffmpeg computes, and a part
that changes encodes again only its own piece, to the bytes a build from nothing gives."""

from __future__ import annotations

import struct
from pathlib import Path

import eyed3
import numpy as np
import pytest

from audiopipe.config.show import Show
from audiopipe.dsp import loudness
from audiopipe.dsp.signal import to_float, to_pcm
from audiopipe.engines import VoiceSettings, Word
from audiopipe.errors import ToolError
from audiopipe.produce import pieces
from audiopipe.produce.master import ceiling_dbfs, master_stream
from audiopipe.produce.mix import Timeline, build_timeline, render
from audiopipe.produce.store import MasterStore
from audiopipe.script.segments import Segment
from audiopipe.synth.cache import TakeCache, TakeInfo
from audiopipe.synth.plan import Job
from audiopipe.synth.run import Result
from audiopipe.tools import ffmpeg, mp3join
from audiopipe.tools.wav import WORK_RATE
from tests.conftest import mp3_info

RATE = WORK_RATE


def take(cache: TakeCache, index: int, story: int, seconds: float, pitch: float = 220.0) -> Result:
    """A take of a warbling tone (speech-like enough for the encoder) between short pauses."""
    t = np.arange(int(seconds * RATE)) / RATE
    tone = 0.3 * np.sin(2 * np.pi * pitch * t + 3 * np.sin(2 * np.pi * 3 * t)) * (0.6 + 0.4 * np.sin(2 * np.pi * 2 * t))
    pcm = to_pcm(np.concatenate([np.zeros(RATE // 5), tone, np.zeros(RATE // 5)]).astype(np.float32))
    key = f"{index:02d}{int(seconds * 1000):06d}{int(pitch):04d}".ljust(64, "0")
    info = TakeInfo(key, "espeak", "en-us", "text", 200 + int(seconds * 1000) + 200,
                    (Word(200, 200 + int(seconds * 1000), "text"),), -20.0, -8.0, 200, 200)
    cache.put(info, pcm)
    lang = "en" if index % 2 else "zh"
    return Result(Job(Segment(index, lang, "text", f"{lang}-host", story, None),
                      VoiceSettings("espeak", "en-us", lang), "text", key), info, cached=True)


def programme(root: Path, second: float = 2.0) -> tuple[Timeline, Show, MasterStore]:
    cache, levels, show = TakeCache(root / "takes"), MasterStore(root / "store"), Show()
    results = [take(cache, 1, 1, 2.5), take(cache, 2, 1, second, 330.0), take(cache, 3, 2, 3.0),
               take(cache, 4, 2, 1.5, 290.0)]
    return build_timeline(results, cache, levels, show, None, None), show, levels


def encode(timeline: Timeline, show: Show, levels: MasterStore, out: Path) -> None:
    pieces.encode_published(timeline, show, levels, out, ceiling_dbfs(show.true_peak_dbtp), 0.0)


def decoded(mp3: Path) -> np.ndarray:
    return to_float(ffmpeg.decode_file(mp3))


def test_the_crc_is_lames_and_joins_without_a_pass_over_the_bytes(tmp_path: Path) -> None:
    noise = (np.random.default_rng(1).standard_normal(RATE) * 0.1).astype(np.float32)
    ffmpeg.encode_mp3_stream([to_pcm(noise)], tmp_path / "one.mp3", 96)
    data = (tmp_path / "one.mp3").read_bytes()
    piece = mp3join.read_piece(data)
    assert mp3join.crc16(mp3join.audio_of(data)) == piece.crc            # ffmpeg's music CRC
    assert piece.audio_bytes == len(mp3join.audio_of(data)) and piece.frames == mp3join.frames_for(RATE)
    tag = piece.info[:175] + b"\0\0" + piece.info[177:190]               # its tag CRC, over the frame's head
    assert mp3join.crc16(tag) == struct.unpack_from(">H", piece.info, 175)[0]
    parts = [np.random.default_rng(n).bytes(n) for n in (0, 1, 313, 4096, 77777)]
    assert mp3join.crc16_join([(mp3join.crc16(p), len(p)) for p in parts]) == mp3join.crc16(b"".join(parts))


def test_joined_pieces_play_the_programme_sample_for_sample(tmp_path: Path) -> None:
    timeline, show, levels = programme(tmp_path)
    made = pieces.spans(timeline, show, ceiling_dbfs(show.true_peak_dbtp), 0.8)
    assert len(made) == len(timeline.speech())                          # a cut before each part after a gap
    assert all(span.start % mp3join.FRAME_SAMPLES == 0 for span in made)
    out = tmp_path / "joined.mp3"
    encode(timeline, show, levels, out)
    heard = decoded(out)
    assert len(heard) == timeline.length                                 # ffmpeg honours the joined tag
    assert len(list(levels.root.rglob("*.piece.mp3"))) == len(made)      # made at the first gain
    whole_peak = loudness.measure_file(out).true_peak_dbtp               # the joined file's, over all of it
    located = [(levels.piece(span.tag), mp3join.read_piece(levels.piece(span.tag).read_bytes())) for span in made]
    assert pieces.true_peak(located, levels) == pytest.approx(whole_peak, abs=0.1)
    frames = struct.unpack_from(">I", out.read_bytes(), 29)[0]
    assert mp3_info(out).info.length == frames * mp3join.FRAME_SAMPLES / RATE   # mutagen counts the tag's frames
    assert abs(mp3_info(out).info.length - timeline.length / RATE) < 0.1          # (as for ffmpeg's own files)
    assert abs(eyed3.load(out).info.time_secs - timeline.length / RATE) < 0.1
    # against one encode of the same mastered audio: the cuts add no click, no shift
    whole = tmp_path / "whole.mp3"
    ffmpeg.encode_mp3_stream(master_stream(render(timeline), ceiling_dbfs(show.true_peak_dbtp), 0.8), whole, 96)
    reference = decoded(whole)
    source = to_float(b"".join(master_stream(render(timeline), ceiling_dbfs(show.true_peak_dbtp), 0.8)))
    for span in made[1:]:
        around = slice(span.start - 4096, span.start + 4096)             # the seam, in silence
        assert float(np.abs(heard[around]).max()) < 0.002
    err_joined = float(np.sqrt(np.mean((heard - source) ** 2)))
    err_whole = float(np.sqrt(np.mean((reference[:len(source)] - source) ** 2)))
    assert err_joined < 1.2 * err_whole + 1e-4, (err_joined, err_whole)
    # ffmpeg copying the frames into a file of its own computes the same music CRC and frame count
    copy = tmp_path / "copy.mp3"
    ffmpeg.run(["-y", "-i", str(out), "-c", "copy", "-write_xing", "1", "-id3v2_version", "0", "-f", "mp3", str(copy)])
    ours, theirs = out.read_bytes(), copy.read_bytes()
    assert struct.unpack_from(">I", ours, 29) == struct.unpack_from(">I", theirs, 29)
    assert struct.unpack_from(">H", ours, 173) == struct.unpack_from(">H", theirs, 173)
    assert ours[mp3join.frame_size(ours, 0):] == theirs[mp3join.frame_size(theirs, 0):]


def test_a_changed_part_encodes_only_its_piece_to_the_bytes_of_a_build_from_nothing(tmp_path: Path) -> None:
    timeline, show, levels = programme(tmp_path / "a")
    encode(timeline, show, levels, tmp_path / "before.mp3")
    stored = set((tmp_path / "a" / "store").rglob("*.piece.mp3"))
    longer, _, _ = programme(tmp_path / "a", second=2.7)               # part 2 retaken, 0.7 s longer
    assert longer.length > timeline.length
    encode(longer, show, levels, tmp_path / "after.mp3")
    new = set((tmp_path / "a" / "store").rglob("*.piece.mp3")) - stored
    assert len(new) == 1                                                 # parts 3 and 4 moved, not re-encoded
    fresh, _, fresh_levels = programme(tmp_path / "b", second=2.7)
    encode(fresh, show, fresh_levels, tmp_path / "cold.mp3")
    assert (tmp_path / "after.mp3").read_bytes() == (tmp_path / "cold.mp3").read_bytes()
    assert len(decoded(tmp_path / "after.mp3")) == longer.length


def test_a_damaged_stored_piece_is_made_again(tmp_path: Path) -> None:
    timeline, show, levels = programme(tmp_path)
    encode(timeline, show, levels, tmp_path / "first.mp3")
    stored = sorted(levels.root.rglob("*.piece.mp3"))
    stored[1].write_bytes(stored[1].read_bytes()[:-100])                  # cut short (a full disk, a kill)
    stored[2].write_bytes(b"\0" * 4096)                                    # not an MP3 at all
    encode(timeline, show, levels, tmp_path / "again.mp3")
    assert (tmp_path / "again.mp3").read_bytes() == (tmp_path / "first.mp3").read_bytes()
    assert len(decoded(tmp_path / "again.mp3")) == timeline.length
    truncated = bytearray(stored[1].read_bytes())
    with pytest.raises(ToolError, match="frames"):
        mp3join.read_piece(bytes(truncated[:-100]))
    for header in (b"\xff\xfb\xf0\xc0", b"\xff\xfb\x00\xc0", b"\xff\xfb\x9c\xc0"):   # bitrate 15, free format
        with pytest.raises(ToolError, match="no MPEG-1 Layer III frame"):                 # (size 0), rate 3
            mp3join.read_piece(header + bytes(400))


def test_a_short_programmes_correction_comes_from_its_pieces(tmp_path: Path) -> None:
    timeline, show, levels = programme(tmp_path / "a")
    ceiling = ceiling_dbfs(show.true_peak_dbtp)
    whole = master_stream(render(timeline), ceiling)                  # the whole programme limited, measured
    measured = loudness.integrated_lufs(to_float(b"".join(whole)), RATE)
    assert pieces.programme_correction(timeline, show, levels, ceiling) == \
        pytest.approx(round(show.target_lufs - measured, 2), abs=0.03)
    kept = set(levels.root.rglob("*.cells.npy"))
    assert len(kept) == len(timeline.speech())                          # one per piece
    longer, _, _ = programme(tmp_path / "a", second=2.7)
    pieces.programme_correction(longer, show, levels, ceiling)
    assert len(set(levels.root.rglob("*.cells.npy")) - kept) == 1       # only the piece that changed
