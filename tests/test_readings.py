"""The golden corpus of readings: every phrase in tests/data/readings/<lang>-*.tsv is spelled out
exactly as written there, and no spoken text keeps an ASCII digit or a currency or percent sign."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from audiopipe.figures import read

READINGS = Path(__file__).parent / "data" / "readings"


def corpus() -> list[tuple[str, str, str, str]]:
    """(language, where, written, spoken) for every line of every corpus file."""
    out = []
    for path in sorted(READINGS.glob("*.tsv")):
        lang = path.name.split("-", 1)[0]
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip() and not line.startswith("#"):
                written, spoken = line.split("\t")
                out.append((lang, f"{path.name}:{number}", written, spoken))
    return out


CORPUS = corpus()


def test_the_corpus_is_large_enough() -> None:
    for lang in ("en", "zh"):
        assert sum(1 for entry in CORPUS if entry[0] == lang) >= 150, lang


@pytest.mark.parametrize("lang,where,written,spoken", CORPUS, ids=[entry[1] for entry in CORPUS])
def test_reading(lang: str, where: str, written: str, spoken: str) -> None:
    assert read(written, lang) == spoken, where


@pytest.mark.parametrize("lang,where,written,spoken", CORPUS, ids=[entry[1] for entry in CORPUS])
def test_nothing_left_to_guess(lang: str, where: str, written: str, spoken: str) -> None:
    assert not re.search(r"[0-9$¥€£%]", spoken), where
    assert not re.search(r"[0-9$¥€£%]", read(written, lang)), where
