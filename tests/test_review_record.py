"""review.json as a frozen record: changes make a new record, and schema 1 files are still read."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from audiopipe.errors import AudiopipeError
from audiopipe.review import verdicts
from audiopipe.synth.override import Override

SCHEMA_1 = {
    "schema": 1,
    "segments": {"2": {"status": "approved", "take": "k2", "text": "Hi.", "voice": "en-us", "engine": "espeak",
                       "rate": 0, "note": "", "by": "ann", "at": "2026-11-20T06:00:00+00:00"}},
    "overrides": {"3": {"rate": 20}, "4": {"text": "新的文字。", "profile": "zh-host"}},
    "pending": {"3": {"previous_take": "a", "previous_file": "review/3-a.mp3", "previous_override": {"rate": 5},
                      "at": "2026-11-20T06:01:00+00:00", "new_take": "b"}},
    "released": {"by": "ann", "at": "2026-11-20T06:02:00+00:00", "episode_bytes": 1234, "takes": ["k1", "k2"]},
}


def test_a_schema_1_file_is_read_typed(tmp_path: Path) -> None:
    (tmp_path / verdicts.FILE).write_text(json.dumps(SCHEMA_1), encoding="utf-8")
    review = verdicts.load(tmp_path)
    assert review.verdicts[2].status == "approved" and review.verdicts[2].by == "ann"
    assert review.overrides == {3: Override(rate=20), 4: Override(profile="zh-host", text="新的文字。")}
    assert review.pending[3].previous_override == Override(rate=5) and review.pending[3].new_take == "b"
    assert review.released is not None and review.released.takes == ("k1", "k2")
    assert review.released.episode_sha256 == "" and review.released.episode_bytes == 1234


def test_the_record_is_frozen_and_a_change_writes_a_new_one(tmp_path: Path) -> None:
    (tmp_path / verdicts.FILE).write_text(json.dumps(SCHEMA_1), encoding="utf-8")
    review = verdicts.load(tmp_path)
    with pytest.raises(TypeError):
        review.overrides[5] = Override(rate=1)            # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        review.released = None                            # type: ignore[misc]
    result = verdicts.update(tmp_path, lambda r: (r.with_override(3, None).with_pending(3, None), "done"))
    assert result == "done"
    again = verdicts.load(tmp_path)
    assert 3 not in again.overrides and 3 not in again.pending and 4 in again.overrides
    assert json.loads((tmp_path / verdicts.FILE).read_text())["schema"] == verdicts.SCHEMA == 2
    assert verdicts.load(tmp_path) == again                   # what is written reads back the same


def test_a_release_of_schema_1_is_judged_by_length_and_a_new_one_by_content(tmp_path: Path) -> None:
    mp3 = tmp_path / "e.mp3"
    mp3.write_bytes(b"m" * 1234)
    record = type("R", (), {"segments": [type("S", (), {"take": t})() for t in ("k1", "k2")]})()
    old = verdicts.Review.from_json(SCHEMA_1)
    assert verdicts.released_now(old, record, mp3)
    stamp = verdicts.release_stamp(record, mp3)
    new = dataclasses.replace(old, released=stamp)
    assert verdicts.released_now(new, record, mp3)
    mp3.write_bytes(b"n" * 1234)                                                 # same length, other audio
    assert verdicts.released_now(old, record, mp3)
    assert not verdicts.released_now(new, record, mp3)


def test_a_broken_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / verdicts.FILE).write_text('{"pending": {"1": {"at": "x"}}}', encoding="utf-8")
    with pytest.raises(AudiopipeError, match="not a valid review file"):
        verdicts.load(tmp_path)
