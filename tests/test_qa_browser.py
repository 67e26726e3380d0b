"""The QA page in a real headless Chromium (Debian's package), driven over the DevTools protocol."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path
from typing import Any

import pytest

from audiopipe.cli import main
from tests.chromium import browser, chromium, open_page  # noqa: F401  (fixtures)
from tests.conftest import read_json, write

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


async def _review(ws_url: str, page_url: str, shot: Path) -> dict[str, Any]:
    async with open_page(ws_url) as page:
        await page.goto(page_url)
        out: dict[str, Any] = {}
        out["durations"] = await page.js("""(async () => {
            const all = [document.getElementById('episode'), ...document.querySelectorAll('tr.seg audio')];
            await Promise.all(all.map(a => a.readyState >= 1 ? 0 : new Promise(r => {
                a.addEventListener('loadedmetadata', r); a.addEventListener('error', r); })));
            return all.map(a => a.duration); })()""")
        out["seek"] = await page.js("""(async () => {
            const b = document.querySelectorAll('button.seek')[2];
            b.click(); await new Promise(r => setTimeout(r, 300));
            return [parseFloat(b.dataset.start), document.getElementById('episode').currentTime]; })()""")
        out["zh_width"] = await page.js(
            "document.querySelector('td.text .zh').getBoundingClientRect().width")
        out["title"] = await page.js("document.title")
        out["figures"] = await page.js("""[...document.querySelectorAll('table.figures tbody tr')].map(
            tr => [...tr.querySelectorAll('td')].map(td => td.textContent.trim()))""")
        shot_data = await page.send("Page.captureScreenshot", format="png")
        shot.write_bytes(base64.b64decode(shot_data["data"]))
        return out


def test_qa_page_in_chromium(browser: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = write(tmp_path / "ep" / "page.yaml", """
        title: "Page <script>alert(1)</script>"
        date: 2026-11-20
        stories:
          - title: "<script>bad()</script>"
            en: "The central bank kept its lending rate at 3.1%."
            zh: "央行维持贷款利率3.1%不变，已连续5个月持平。"
          - en: "Shipping rates fell for a third week."
            zh: "航运价格连续第三周下跌。"
        """)
    out = tmp_path / "out"
    assert main(["build", str(manifest), "--out", str(out)]) == 0
    capsys.readouterr()
    report = read_json(out / "page" / "report.json")
    shot = tmp_path / "qa.png"
    result = asyncio.run(_review(browser, (out / "page" / "qa.html").resolve().as_uri(), shot))
    main_duration, *segment_durations = result["durations"]
    assert abs(main_duration - report["episode"]["duration_ms"] / 1000) < 0.3
    assert len(segment_durations) == 4
    for got, seg in zip(segment_durations, report["segments"]):
        assert abs(got - seg["duration_ms"] / 1000) < 0.3, (got, seg["duration_ms"])
    start, now = result["seek"]
    assert start == pytest.approx(report["segments"][2]["start_ms"] / 1000, abs=0.01)
    assert now == pytest.approx(start, abs=0.5), "clicking a start time seeks the episode player there"
    assert result["title"] == "QA · Page <script>alert(1)</script>"   # shown as text, never run
    assert result["zh_width"] > 50
    assert result["figures"] == [["1", "percent", "3.1%", "3.1%", "✓ agree"],        # the figures table
                                 ["", "duration", "–", "5个月", "· one language"],
                                 ["2", "duration", "third week", "三周", "✓ agree"]]
    assert shot.stat().st_size > 20_000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
