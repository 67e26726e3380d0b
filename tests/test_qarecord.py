"""qa.json as a record: the MP3 QA heard is named by its content, and older files are still read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from audiopipe.qa.asr import Heard
from audiopipe.qa.findings import Finding
from audiopipe.qa.qarecord import QA_SCHEMA, QaRecord


def test_a_record_round_trips_and_names_the_mp3_by_content(tmp_path: Path) -> None:
    mp3 = tmp_path / "e.mp3"
    mp3.write_bytes(b"\xff\xfb" + b"a" * 1000)
    findings = [Finding("loudness", "pass", "ok"), Finding("asr", "warn", "hm", 2)]
    record = QaRecord.of(findings, mp3, {2: Heard("hello", "en", 0.9, 0.1, wer=0.1)}, [{"story": 1}])
    record.write(tmp_path)
    back = QaRecord.load(tmp_path)
    assert back == record and back.schema == QA_SCHEMA and back.passed
    assert back.asr[2].transcript == "hello" and back.findings[1].segment == 2
    assert back.is_for(mp3)
    mp3.write_bytes(b"\xff\xfb" + b"b" * 1000)         # another build of the same length
    assert not back.is_for(mp3)
    mp3.unlink()
    assert not back.is_for(mp3)


def test_a_failed_finding_fails_and_a_missing_mp3_is_none(tmp_path: Path) -> None:
    record = QaRecord.of([Finding("silence", "fail", "silent", 1)], tmp_path / "none.mp3")
    assert not record.passed and record.episode_sha256 is None and record.episode_bytes is None


def test_a_schema_1_file_is_read_and_judged_by_length(tmp_path: Path) -> None:
    mp3 = tmp_path / "e.mp3"
    mp3.write_bytes(b"x" * 500)
    (tmp_path / "qa.json").write_text(json.dumps({"passed": True, "episode_bytes": 500, "findings": [
        {"check": "duration", "status": "pass", "message": "3:00", "segment": None}], "asr": {}}))
    old = QaRecord.load(tmp_path)
    assert old is not None and old.schema == 1 and old.is_for(mp3)
    mp3.write_bytes(b"x" * 501)
    assert not old.is_for(mp3)


@pytest.mark.parametrize("text", ["", "[]", '{"passed": "yes"}', '{"passed": true, "findings": [{"bad": 1}]}'])
def test_anything_else_is_no_record(tmp_path: Path, text: str) -> None:
    (tmp_path / "qa.json").write_text(text)
    assert QaRecord.load(tmp_path) is None
