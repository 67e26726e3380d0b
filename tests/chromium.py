"""A real headless Chromium (Debian's package) driven over the DevTools protocol, for the page tests."""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest


@pytest.fixture(scope="module")
def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip("Chromium is not installed: run `make browser` (Debian's chromium package; needs root "
                    "and apt-get), which `make test` does when it can")
    return path


@pytest.fixture
def browser(chromium: str, tmp_path: Path) -> Iterator[str]:
    """The DevTools websocket URL of a fresh headless Chromium."""
    with launched(chromium, tmp_path / "profile") as url:
        yield url


@contextlib.contextmanager
def launched(chromium: str, profile: Path) -> Iterator[str]:
    """A headless Chromium started here (and killed after): its DevTools websocket URL."""
    proc = subprocess.Popen(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--autoplay-policy=no-user-gesture-required", "--allow-file-access-from-files",
         f"--user-data-dir={profile}", "--remote-debugging-port=0", "--window-size=1300,1000",
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
            msg = json.loads((await self.ws.receive(timeout=60)).data)
            if msg.get("id") == ident:
                assert "error" not in msg, msg
                return msg["result"]  # type: ignore[no-any-return]

    async def js(self, expression: str) -> Any:
        result = await self.send("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        assert "exceptionDetails" not in result, result
        return result["result"].get("value")

    async def until(self, expression: str, timeout_s: float = 30) -> Any:
        """Wait until *expression* is truthy in the page; its value."""
        return await self.js(f"""new Promise((resolve, reject) => {{
            const t0 = Date.now();
            const check = () => {{ let v; try {{ v = ({expression}); }} catch (e) {{ v = null; }}
                if (v) resolve(v); else if (Date.now() - t0 > {timeout_s * 1000}) reject(new Error('timed out: ' +
                    {json.dumps(expression)})); else setTimeout(check, 100); }};
            check(); }})""")

    async def goto(self, url: str) -> None:
        await self.send("Page.navigate", url=url)
        await self.js("new Promise(r => document.readyState === 'complete' ? r() : addEventListener('load', r))")


async def _reply(ws: aiohttp.ClientWebSocketResponse, ident: int) -> dict[str, Any]:
    while True:
        msg = json.loads((await ws.receive(timeout=30)).data)
        if msg.get("id") == ident:
            return msg["result"]  # type: ignore[no-any-return]


@contextlib.asynccontextmanager
async def open_page(ws_url: str) -> AsyncIterator[Page]:
    """A new tab of the browser at *ws_url*, attached."""
    async with aiohttp.ClientSession() as http, http.ws_connect(ws_url, max_msg_size=0) as ws:
        await ws.send_str(json.dumps({"id": 1, "method": "Target.createTarget", "params": {"url": "about:blank"}}))
        target = (await _reply(ws, 1))["targetId"]
        await ws.send_str(json.dumps({"id": 2, "method": "Target.attachToTarget",
                                      "params": {"targetId": target, "flatten": True}}))
        page = Page(ws, (await _reply(ws, 2))["sessionId"])
        await page.send("Page.enable")
        yield page
