"""Import: bilingual scripts of each shape -> the expected manifest (golden files), and each builds."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from audiopipe.cli import main
from audiopipe.script.importer import normalize, parse, parse_date, to_yaml
from tests.conftest import read_json, write

DATA = Path(__file__).parent / "data" / "import"
SHAPES = ["pairs", "zh-headline", "bullets", "one-language", "newsletter"]


@pytest.mark.parametrize("shape", SHAPES)
def test_golden(shape: str) -> None:
    got = to_yaml(parse(DATA / f"{shape}.txt"), today=dt.date(2026, 11, 23))
    assert got == (DATA / f"{shape}.yaml").read_text(encoding="utf-8")


@pytest.mark.e2e
@pytest.mark.parametrize("shape", SHAPES)
def test_every_import_builds(shape: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = tmp_path / "episodes" / f"{shape}.yaml"
    assert main(["import", str(DATA / f"{shape}.txt"), "-o", str(manifest)]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith(f"wrote {manifest}: ") and "estimated episode: " in printed
    write(manifest.parent / "show.yaml", "editions: false\n")     # what is proved here is in report.json
    assert main(["build", str(manifest), "--out", str(tmp_path / "o"), "--no-feed", "--no-qa", "--engine", "espeak"]) == 0
    report = read_json(tmp_path / "o" / shape / "report.json")
    langs = [s["lang"] for s in report["segments"]]
    assert set(langs) <= {"en", "zh"} and langs
    titles = [c["title"] for c in report["chapters"]]
    expected = {"pairs": ["Freight rates slip as the holiday rush ends / 货运价格随节日高峰结束而回落",
                          "Copper hits a six-month high / 铜价创六个月新高"],
                "zh-headline": ["央行维持利率不变", "电动车出口创新高"],
                "one-language": ["Oil and the dollar", "中文摘要"],
                "newsletter": ["Tencent's meeting app adds live translation – Harbor News",
                               "Kr Space opens second Shanghai campus -TechNode CN", "小米汽车交付量创新高 – Harbor News"]}
    assert titles == expected.get(shape, ["Story 1", "Story 2"])       # headlines become chapters
    capsys.readouterr()


def test_shapes_come_out_as_expected() -> None:
    pairs = parse(DATA / "pairs.txt")
    assert pairs.bilingual and pairs.title == "The Evening Ledger" and pairs.date == dt.date(2026, 11, 24)
    assert [b.titles for b in pairs.blocks] == [["Freight rates slip as the holiday rush ends", "货运价格随节日高峰结束而回落"],
                                                ["Copper hits a six-month high", "铜价创六个月新高"]]
    assert [why for _, why, _ in pairs.dropped] == ["date line", "byline", "credits"]
    zh = parse(DATA / "zh-headline.txt")           # BOM, CRLF, a Chinese headline over English paragraphs
    assert not zh.bilingual and zh.title == "早间财经快讯" and zh.date == dt.date(2026, 11, 25)
    assert [(why, text) for _, why, text in zh.dropped] == [("subscribe", "订阅我们的简报：news@example.com")]
    bullets = parse(DATA / "bullets.txt")
    assert bullets.bilingual and len(bullets.blocks) == 2
    assert bullets.blocks[1].paragraphs[0] == ("en", "A battery maker based in Ningbo said its profit doubled "
                                                     "in the third quarter.")   # full-width Ａ normalized
    assert {why for _, why, _ in bullets.dropped} == {"date line", "section label", "credits", "subscribe"}


def test_mixed_lines_go_with_their_dominant_script(tmp_path: Path) -> None:
    script = write(tmp_path / "mixed.txt", """
        The Ledger
        2026-11-23

        工信部（MIIT）发布新规，人民币中间价报6.3903，CFETS数据显示。

        The ministry (工信部) said the rules take effect next month.
        """)
    imported = parse(script)
    assert [lang for b in imported.blocks for lang, _ in b.paragraphs] == ["zh", "en"]


def test_no_date_or_title_leaves_a_todo(tmp_path: Path) -> None:
    script = write(tmp_path / "bare-news.txt", "Rates held steady.\n\n利率保持不变。\n")
    text = to_yaml(parse(script), today=dt.date(2026, 11, 23))
    assert 'title: "Bare News"  # TODO: the script names no title; write one' in text
    assert "date: 2026-11-23  # TODO: the script gives no date; check it" in text


def test_normalize_and_dates() -> None:
    assert normalize("Ａ１\u00a0b\r\n") == "A1 b\n"
    assert parse_date("Tuesday, November 24, 2026") == dt.date(2026, 11, 24)
    assert parse_date("24 Nov 2026") == dt.date(2026, 11, 24)
    assert parse_date("2026年11月25日 星期三") == dt.date(2026, 11, 25)
    assert parse_date("no date here") is None


@pytest.mark.e2e
def test_import_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("caf\xe9".encode("latin-1"))
    assert main(["import", str(bad), "-o", str(tmp_path / "x.yaml")]) == 2
    assert capsys.readouterr().err == f"error: {bad}: not UTF-8 text (byte 3); save the script as UTF-8\n"
    existing = write(tmp_path / "e.yaml", "title: x\n")
    assert main(["import", str(DATA / "pairs.txt"), "-o", str(existing)]) == 2
    assert "already exists; choose another -o or add --force" in capsys.readouterr().err


@pytest.mark.e2e
def test_import_says_which_story_passes_three_minutes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pairs = []
    for i in range(1, 13):
        pairs.append(f"Headline number {i}\n\nFactory output in region {i} grew faster than expected in October, "
                     f"led by machinery, electronics and a late rush of export orders.\n"
                     f"第{i}区十月份工业产出增长快于预期，机械、电子行业和年底出口订单领涨。\n")
    script = write(tmp_path / "long.txt", "Title: Long day\nDate: 2026-11-23\n\n" + "\n".join(pairs))
    assert main(["import", str(script), "-o", str(tmp_path / "long.yaml")]) == 0
    lines = capsys.readouterr().out.splitlines()
    marked = [ln for ln in lines if "<- passes 3:00 here" in ln]
    assert len(marked) == 1 and marked[0].strip().startswith("story ")
    after = lines[lines.index(marked[0]) + 1:-1]
    assert after and all("<- past the target" in ln for ln in after)
    assert lines[-1].startswith("  estimated episode: ")


def test_a_newsletter_whose_items_run_on_is_one_story_per_item() -> None:
    """Headlines (English or Chinese, with a source tag) right under the byline that closes the item before,
    no blank line between: each starts a story of its own, titled by the headline; the byline stays in the
    paragraph (the transcript keeps it; the speech drops it unless show.yaml says `bylines: read`)."""
    imported = parse(DATA / "newsletter.txt")
    assert [b.titles for b in imported.blocks] == [["Tencent's meeting app adds live translation – Harbor News"],
                                                   ["Kr Space opens second Shanghai campus -TechNode CN"],
                                                   ["小米汽车交付量创新高 – Harbor News"]]
    assert [b.paragraphs[-1][1].rsplit(".", 1)[-1].strip() for b in imported.blocks] == [
        "– Lin Qiao", "—Mei Tang", "-Zhou Wen"]


@pytest.mark.e2e
@pytest.mark.parametrize("bylines", ["drop", "read"])
def test_bylines_are_in_the_transcript_and_spoken_only_when_asked(tmp_path: Path, bylines: str,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    manifest = tmp_path / "episodes" / "newsletter.yaml"
    assert main(["import", str(DATA / "newsletter.txt"), "-o", str(manifest)]) == 0
    show = write(tmp_path / "episodes" / "show.yaml", f"bylines: {bylines}\n")
    out = tmp_path / "out"
    assert main(["build", str(manifest), "--engine", "espeak", "--out", str(out), "--show", str(show), "--quiet"]) == 0
    capsys.readouterr()
    segments = read_json(out / "newsletter" / "report.json")["segments"]
    assert [s["text"].endswith(("Lin Qiao", "Mei Tang", "Zhou Wen")) for s in segments] == [True] * 3
    spoken = [s["spoken_text"].endswith(("Lin Qiao", "Mei Tang", "Zhou Wen")) for s in segments]
    assert spoken == [bylines == "read"] * 3
    # the English headlines are said first, alone (a take of their own), their source tags as the bylines
    heads = [s["spoken_text"].split("\n\n")[0] for s in segments[:2]]
    assert heads == (["Tencent's meeting app adds live translation", "Kr Space opens second Shanghai campus"]
                     if bylines == "drop" else ["Tencent's meeting app adds live translation – Harbor News",
                                                 "Kr Space opens second Shanghai campus -TechNode CN"])
    assert "\n\n" not in segments[2]["spoken_text"]             # a Chinese headline over English: not said
    vtt = (out / "newsletter" / "transcript.vtt").read_text(encoding="utf-8")
    assert all(name in vtt for name in ("Lin", "Qiao", "Mei", "Tang", "Zhou", "Wen"))    # a cue may part them


def test_the_bylines_setting_is_checked(tmp_path: Path) -> None:
    from audiopipe.config.show import ShowError, load_show
    assert load_show(write(tmp_path / "show.yaml", "bylines: read\n")).bylines == "read"
    assert load_show(None).bylines == "drop"
    with pytest.raises(ShowError) as refused:
        load_show(write(tmp_path / "show.yaml", "bylines: sometimes\n"))
    assert "`bylines: drop`" in str(refused.value) and "`bylines: read`" in str(refused.value)


def test_a_digest_of_numbered_items_closed_by_their_sources_is_one_story_per_item(tmp_path: Path) -> None:
    """A digest whose items have no headlines, each closed by its source in parentheses: a chapter per item,
    titled by its first words (not said twice), the source kept in the script and dropped from the speech."""
    from audiopipe.config.lexicon import Lexicon
    script = write(tmp_path / "digest.txt", "Harbor Digest\n\n"
                   "1. Port volumes rose for a third week as exporters hurried orders out before the holiday. "
                   "(Harbor News $)\n\n"
                   "2. A battery maker said it would open a plant in the north. It expects to hire 800 people. "
                   "(Coastal Daily)\n\n"
                   "3. Two ferry lines merged. (river post)\n")
    imported = parse(script)
    assert [b.titles for b in imported.blocks] == [
        ["Port volumes rose for a third week as…"],
        ["A battery maker said it would open a…"], ["Two ferry lines merged"]]
    text = to_yaml(imported)
    assert "  ## Two ferry lines merged\n\n  Two ferry lines merged. (river post)" in text     # said once
    drop = Lexicon({}, drop_bylines=True)
    assert drop.apply("It expects to hire 800 people. (Coastal Daily)", "en") == \
        "It expects to hire eight hundred people."
    assert drop.apply("Orders rose (slightly) this week.", "en") == "Orders rose (slightly) this week."


def test_a_chinese_morning_brief_has_a_story_per_headline(tmp_path: Path) -> None:
    """Chinese headlines of news length (a colon, a comma, up to 40 characters) right over their paragraph:
    each starts a story; two lines of one wrapped paragraph (the same width) stay one paragraph."""
    script = write(tmp_path / "brief.txt", "港口早报\n\n"
                   "港务集团：集装箱吞吐量连续第三周上升，出口商赶在节前发货\n"
                   "港务集团周二表示，本周集装箱吞吐量比上周增长百分之四，为连续第三周上升，多家出口商赶在节日前把订单发出。\n\n"
                   "北部新电池工厂开工，预计招聘八百人\n"
                   "一家电池制造商表示，将在北部新区建设工厂，明年投产后预计招聘八百名员工。（海港日报）\n\n"
                   "渡轮公司合并后的第一周，两条航线的\n"
                   "班次都没有变化，票价也保持不变。\n")
    imported = parse(script)
    assert [b.titles for b in imported.blocks] == [["港务集团：集装箱吞吐量连续第三周上升，出口商赶在节前发货"],
                                                   ["北部新电池工厂开工，预计招聘八百人"], []][:len(imported.blocks)]
    assert len(imported.blocks) == 2 and imported.blocks[1].paragraphs[-1][1].endswith(
        "渡轮公司合并后的第一周，两条航线的班次都没有变化，票价也保持不变。")
