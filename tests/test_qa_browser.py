"""The QA page in a real headless Chromium (Debian's package), driven over the DevTools protocol."""

from __future__ import annotations

import asyncio
import base64
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from audiopipe.cli import main
from tests.conftest import read_json, write

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


@pytest.fixture(scope="module")
def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip("Chromium is not installed: run `make browser` (Debian's chromium package; needs root "
                    "and apt-get), which `make test` does when it can")
    return path


@pytest.fixture
def browser(chromium: str, tmp_path: Path) -> Iterator[str]:
    proc = subprocess.Popen(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--autoplay-policy=no-user-gesture-required", "--allow-file-access-from-files",
         f"--user-data-dir={tmp_path / 'profile'}", "--remote-debugging-port=0", "--window-size=1300,1000",
         "about:blank"], stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    url = None
    for _ in range(200):
        line = proc.stderr.readline()
        match = re.search(r"DevTools listening on (ws://\S+)", line)
        if match:
            url = match.group(1)
            break
    try:
        assert url, "Chromium did not start its DevTools endpoint"
        yield url
    finally:
        proc.kill()
        proc.wait()


class Page:
    def __init__(self, ws: aiohttp.ClientWebSocketResponse, session: str) -> None:
        self.ws, self.session, self.next_id = ws, session, 1

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        ident = self.next_id
        await self.ws.send_str(json.dumps({"id": ident, "method": method, "params": params,
                                           "sessionId": self.session}))
        while True:
            msg = json.loads((await self.ws.receive(timeout=30)).data)
            if msg.get("id") == ident:
                assert "error" not in msg, msg
                return msg["result"]  # type: ignore[no-any-return]

    async def js(self, expression: str) -> Any:
        result = await self.send("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        assert "exceptionDetails" not in result, result
        return result["result"].get("value")


async def _review(ws_url: str, page_url: str, shot: Path) -> dict[str, Any]:
    async with aiohttp.ClientSession() as http, http.ws_connect(ws_url, max_msg_size=0) as ws:
        await ws.send_str(json.dumps({"id": 1, "method": "Target.createTarget", "params": {"url": "about:blank"}}))
        target = None
        while target is None:
            msg = json.loads((await ws.receive(timeout=30)).data)
            if msg.get("id") == 1:
                target = msg["result"]["targetId"]
        await ws.send_str(json.dumps({"id": 2, "method": "Target.attachToTarget",
                                      "params": {"targetId": target, "flatten": True}}))
        session = None
        while session is None:
            msg = json.loads((await ws.receive(timeout=30)).data)
            if msg.get("id") == 2:
                session = msg["result"]["sessionId"]
        page = Page(ws, session)
        await page.send("Page.enable")
        await page.send("Page.navigate", url=page_url)
        await page.js("new Promise(r => document.readyState === 'complete' ? r() : addEventListener('load', r))")
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
                                 ["", "number", "–", "5个月", "· one language"]]
    assert shot.stat().st_size > 20_000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
