"""The pronunciation lexicon and natural reading of figures."""

from __future__ import annotations

from pathlib import Path

import pytest

from audiopipe.cli import main
from audiopipe.config.lexicon import load_lexicon
from audiopipe.figures import read
from audiopipe.figures.zh import integer as zh_integer
from tests.conftest import read_json, write


@pytest.mark.parametrize("n,zh", [(0, "零"), (6, "六"), (10, "十"), (12, "十二"), (105, "一百零五"), (2000, "两千"),
                                  (10005, "一万零五"), (20300, "两万零三百"), (150000, "十五万"),
                                  (1234567, "一百二十三万四千五百六十七"), (300000000, "三亿")])
def test_chinese_integers(n: int, zh: str) -> None:
    assert zh_integer(n) == zh


def test_rules_apply_per_language(tmp_path: Path) -> None:
    lex = load_lexicon(write(tmp_path / "lexicon.yaml", """
        en:
          - {match: CFETS, say: "C F E T S"}
          - {match: "(\\\\d+)bp", say: "\\\\1 basis points", regex: true}
        zh:
          - {match: CFETS, say: 中国外汇交易中心}
        """))
    assert lex.apply("CFETS data: 25bp, not CFETSX.", "en") == "C F E T S data: twenty-five basis points, not CFETSX."
    assert lex.apply("CFETS公布6.39。", "zh") == "中国外汇交易中心公布六点三九。"


@pytest.mark.parametrize("text,expected", [
    ("en:\n  - {match: X}\n", "{p}:2: en[1].match/say: both must be text"),
    ("fr: []\n", "{p}:1: unknown key 'fr'; allowed keys: en, zh, numbers"),
    ("en:\n  - {match: '(', say: x, regex: true}\n", "{p}:2: en[1].match: not a valid regular expression"),
])
def test_bad_lexicon(tmp_path: Path, text: str, expected: str) -> None:
    from audiopipe.config.lexicon import LexiconError
    path = write(tmp_path / "lexicon.yaml", text)
    with pytest.raises(LexiconError) as info:
        load_lexicon(path)
    assert info.value.message.startswith(expected.format(p=path))


@pytest.mark.e2e
def test_lexicon_changes_spoken_text_and_only_affected_takes(two_stories: Path, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    voices = tmp_path / "voices"
    write(voices / "lexicon.yaml", "en:\n  - {match: yuan, say: renminbi}\n")
    out = tmp_path / "o"
    assert main(["build", str(two_stories), "--out", str(out), "--voices", str(voices)]) == 0
    segs = read_json(out / "two-stories" / "report.json")["segments"]
    assert segs[0]["text"].endswith("with the yuan at 6.3903 per dollar.")
    assert segs[0]["spoken_text"].endswith("with the renminbi at six point three nine zero three per dollar.")
    assert segs[1]["spoken_text"] == "周一市场高开，人民币兑美元汇率为六点三九零三。"
    capsys.readouterr()
    write(voices / "lexicon.yaml", "en:\n  - {match: yuan, say: Chinese yuan}\n")
    assert main(["build", str(two_stories), "--out", str(out), "--voices", str(voices)]) == 0
    assert "takes: 1 synthesized, 3 from cache" in capsys.readouterr().err
    assert [s["cached"] for s in read_json(out / "two-stories" / "report.json")["segments"]] == [False, True, True, True]


@pytest.mark.parametrize("text,spoken", [
    ("同比增长-2.5%", "同比增长负百分之二点五"),        # a fall is never read as a rise
    ("下降−0.5%", "下降负百分之零点五"),                # U+2212 minus too
    ("气温-3度", "气温负三度"),
    ("3:00开盘", "三点开盘"),
    ("15:30收盘", "十五点三十分收盘"),
    ("9:05发布", "九点零五分发布"),
    ("营收200.07亿", "营收二百点零七亿"),              # a figure with decimals keeps 二
    ("营收200亿", "营收两百亿"),                        # a whole count reads 两
    ("涨幅0.12%", "涨幅百分之零点一二"),
    ("A-3型", "A-三型"),                                # a hyphen after a letter is no minus sign
])
def test_chinese_signs_times_and_decimals(text: str, spoken: str) -> None:
    assert read(text, "zh") == spoken
