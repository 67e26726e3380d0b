"""Segmentation: alternation, script splitting by dominant script, mixed text, chunking."""

from __future__ import annotations

from pathlib import Path

import pytest

from audiopipe.config.voices import load_profiles
from audiopipe.script.manifest import load_manifest
from audiopipe.script.segments import segments_of
from audiopipe.text import chunk_text, dominant_lang, split_sentences
from tests.conftest import REPO, TWO_STORIES, write

PROFILES = load_profiles(REPO / "voices")


def test_stories_alternate_en_zh(two_stories: Path) -> None:
    segs = segments_of(load_manifest(two_stories, PROFILES))
    assert [(s.index, s.lang, s.story) for s in segs] == [(1, "en", 1), (2, "zh", 1), (3, "en", 2), (4, "zh", 2)]
    assert [s.chapter for s in segs] == ["Markets", None, "Shipping", None]
    assert [s.profile for s in segs] == ["en-host", "zh-host", "en-host", "zh-host"]


def test_order_zh_first(tmp_path: Path) -> None:
    path = write(tmp_path / "z.yaml", TWO_STORIES.replace('episode: 7', 'episode: 7\n    order: [zh, en]'))
    segs = segments_of(load_manifest(path, PROFILES))
    assert [s.lang for s in segs] == ["zh", "en", "zh", "en"]
    assert segs[0].chapter == "Markets"


SCRIPT = """
    title: "Script"
    date: 2026-11-20
    script: |
      Good morning. Here is the news.

      The central bank held rates.

      早上好。人民币兑美元中间价报6.3903，CFETS公布。

      央行维持利率不变。

      The yuan (人民币) was steady.
"""


def test_script_splits_by_dominant_script_and_merges_runs(tmp_path: Path) -> None:
    segs = segments_of(load_manifest(write(tmp_path / "s.yaml", SCRIPT), PROFILES))
    assert [s.lang for s in segs] == ["en", "zh", "en"]
    assert segs[0].text == "Good morning. Here is the news.\n\nThe central bank held rates."
    assert "CFETS" in segs[1].text and "6.3903" in segs[1].text
    assert segs[1].text.endswith("央行维持利率不变。")
    assert segs[2].text == "The yuan (人民币) was steady."
    assert all(s.story is None for s in segs)


def test_dominant_lang_of_mixed_text() -> None:
    assert dominant_lang("人民币兑美元中间价报6.3903，CFETS公布。") == "zh"
    assert dominant_lang("工信部（MIIT）发布新规。") == "zh"
    assert dominant_lang("The yuan (人民币) was steady at 6.39.") == "en"
    assert dominant_lang("2026 — 6.3903") is None


def test_sentences_and_chunks_keep_every_character() -> None:
    text = "Markets rose. The yuan fell 0.1%! Why? 早上好。周一市场高开，人民币兑美元汇率为6.3903。CFETS数据显示。"
    assert split_sentences(text)[:3] == ["Markets rose. ", "The yuan fell 0.1%! ", "Why? "]
    for limit in (1, 7, 20, 50, 1000):
        chunks = chunk_text(text, limit)
        assert "".join(chunks) == text
        assert all(len(c) <= limit for c in chunks)
    # sentence boundaries are preferred to cutting inside a sentence
    assert chunk_text(text, 20)[:3] == ["Markets rose. ", "The yuan fell 0.1%! ", "Why? 早上好。"]


def test_chunks_by_utf8_bytes() -> None:
    text = "周一市场高开。" * 300
    chunks = chunk_text(text, 4096, lambda s: len(s.encode()))
    assert len(chunks) == 2 and "".join(chunks) == text
    assert all(c.endswith("。") for c in chunks)


@pytest.mark.parametrize("text,sentences", [
    ("It is worth 2.79 million U.S. dollars. Prices fell.", ["It is worth 2.79 million U.S. dollars. ", "Prices fell."]),
    ("Dr. Li and Mr. Wang met J. Smith. They agreed.", ["Dr. Li and Mr. Wang met J. Smith. ", "They agreed."]),
    ("Shares rose 3.5%. Bonds fell.", ["Shares rose 3.5%. ", "Bonds fell."]),
])
def test_no_sentence_ends_after_an_initial_or_an_abbreviation(text: str, sentences: list[str]) -> None:
    """A sentence's pause inside "U.S. dollars" was heard as "yuan. S. Dollars" (a real bulletin, Kokoro)."""
    assert split_sentences(text) == sentences


def test_initials_inside_a_sentence_lose_their_dots_for_kokoro() -> None:
    from audiopipe.engines.pinyin import undotted
    assert undotted("2.79 million U.S. dollars, the U.K., and U.N. staff") == \
        "2.79 million US dollars, the UK, and UN staff"
    assert undotted("made in the U.S.") == "made in the U.S."          # a sentence's end keeps its fall
