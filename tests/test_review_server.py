"""`audiopipe review`: the server over HTTP (token, Origin, paths, concurrency) and the page in Chromium."""

from __future__ import annotations

import asyncio
import base64
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aiohttp
import podcastparser
import pytest

from audiopipe.cli import main
from tests.builds import built_once
from tests.chromium import browser, chromium, open_page  # noqa: F401  (fixtures)
from tests.conftest import REPO, read_json, write

pytestmark = pytest.mark.e2e

SHOW = """
    title: "Review test"
    author: "Test Desk"
    description: "A test show."
    owner_name: "Test Owner"
    owner_email: "owner@example.com"
    base_url: "https://example.com/pod/"
    review: required
"""


def _episode(tmp_path: Path, stories: int = 2) -> tuple[Path, Path]:
    """A built episode (espeak) under a show with `review: required`; (manifest, output folder).  The
    ten-story one, for approvals at once, without language editions (what it proves is in review.json)."""
    lines = ['title: "Review me"', "date: 2026-11-20", "stories:"]
    for i in range(1, stories + 1):
        lines += [f'  - en: "Story {i}: exports rose for a {i}th month in a row."',
                  f'    zh: "第{i}条：出口连续第{i}个月增长。"']

    def make(folder: Path) -> None:
        write(folder / "show.yaml", SHOW + ("    editions: false\n" if stories > 2 else ""))
        manifest = write(folder / "episodes" / "ep.yaml", "\n".join(lines) + "\n")
        assert main(["build", str(manifest), "--engine", "espeak", "--out", str(folder / "out"), "--quiet"]) == 0
    built_once(tmp_path, f"review-{stories}", make)
    return tmp_path / "episodes" / "ep.yaml", tmp_path / "out"


@contextmanager
def _server(out: Path, *args: str) -> Iterator[str]:
    """`audiopipe review` as a process; the URL it prints first."""
    proc = subprocess.Popen([sys.executable, "-m", "audiopipe", "review", *args, "--out", str(out), "--no-browser",
                             "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
                            env={**os.environ})
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and "/?token=" in url, (url, proc.stderr and proc.stderr.read())
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def _split(url: str) -> tuple[str, str]:
    base, token = url.split("/?token=")
    return base, token


async def _status(method: str, url: str, **kw: Any) -> int:
    async with aiohttp.ClientSession() as http, http.request(method, url, **kw) as r:
        return r.status


def test_every_route_needs_the_token_and_posts_their_origin(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out = _episode(tmp_path)
    capsys.readouterr()
    with _server(out, "ep") as url:
        base, token = _split(url)
        gets = ["/", "/e/ep", "/api/e/ep", "/api/e/ep/stamp", "/files/ep/ep.mp3", "/api/jobs/x"]
        posts = ["/api/e/ep/approve", "/api/e/ep/flag", "/api/e/ep/retake", "/api/e/ep/ab", "/api/e/ep/release"]
        origin = {"Origin": base}

        async def run() -> dict[str, list[int]]:
            return {
                "no token": [await _status("GET", base + p) for p in gets]
                + [await _status("POST", base + p, json={"segment": 1}, headers=origin) for p in posts],
                "wrong token": [await _status("GET", f"{base}{p}?token=x{token}") for p in gets],
                "token": [await _status("GET", f"{base}{p}?token={token}", allow_redirects=False) for p in gets],
                "other origin": [await _status("POST", f"{base}{p}?token={token}", json={"segment": 1},
                                               headers={"Origin": "http://evil.example"}) for p in posts],
                "no origin": [await _status("POST", f"{base}{p}?token={token}", json={"segment": 1}) for p in posts],
                "outside": [await _status("GET", f"{base}/files/ep/..%2Fep%2F..%2F..%2Fshow.yaml?token={token}"),
                            await _status("GET", f"{base}/files/ep/%2E%2E/%2E%2E/show.yaml?token={token}"),
                            await _status("GET", f"{base}/files/ep/link.yaml?token={token}"),
                            await _status("GET", f"{base}/files/ep/.review.lock?token={token}"),
                            await _status("GET", f"{base}/files/nope/ep.mp3?token={token}")],
            }
        (out / "ep" / "link.yaml").symlink_to(tmp_path / "show.yaml")
        got = asyncio.run(run())
    assert got["no token"] == [401] * 11
    assert got["wrong token"] == [403] * 6
    assert got["token"] == [302, 200, 200, 200, 200, 404]
    assert got["other origin"] == got["no origin"] == [403] * 5
    # refused: 403 from the folder check, or 404 where the URL normalizes to a path that is not a route
    assert got["outside"][0] == 403 and got["outside"][1] in (403, 404) and got["outside"][2:] == [403, 403, 404]
    assert not (out / "ep" / "review.json").exists()          # nothing refused wrote anything


def test_twenty_approvals_at_once_are_all_kept(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out = _episode(tmp_path, stories=10)                    # 20 segments
    capsys.readouterr()
    with _server(out) as url:                                  # every episode of the folder
        base, token = _split(url)

        async def run() -> list[int]:
            async with aiohttp.ClientSession() as http:
                async with http.get(f"{base}/?token={token}") as r:       # the list of episodes
                    assert r.status == 200 and f'href="/e/ep?token={token}"' in await r.text()

                async def one(i: int) -> int:
                    async with http.post(f"{base}/api/e/ep/approve?token={token}", json={"segment": i},
                                         headers={"Origin": base}) as r:
                        return r.status
                return list(await asyncio.gather(*(one(i) for i in range(1, 21))))
        statuses = asyncio.run(run())
    assert statuses == [200] * 20
    review = read_json(out / "ep" / "review.json")
    assert sorted(int(k) for k in review["segments"]) == list(range(1, 21))
    assert {v["status"] for v in review["segments"].values()} == {"approved"}
    takes = {s["index"]: s["take"] for s in read_json(out / "ep" / "report.json")["segments"]}
    assert all(v["take"] == takes[int(k)] for k, v in review["segments"].items())
    assert not list((out / "ep").glob("*.part"))


def test_release_is_gated_on_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest, out = _episode(tmp_path)
    feed = podcastparser.parse("feed.xml", (out / "feed.xml").open("rb"))
    assert feed["episodes"] == []                                  # review: required holds it back
    assert main(["release", "ep", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "error: ep is not released: 4 thing(s) stand in the way:" in err
    assert "segment 1 (en) unreviewed" in err and "segment 4 (zh) unreviewed" in err


async def _drive(ws_url: str, url: str, out: Path, shot: Path) -> dict[str, Any]:
    got: dict[str, Any] = {}
    async with open_page(ws_url) as page:
        await page.goto(url)
        await page.until("document.querySelectorAll('.card.seg').length === 4")
        for i in (1, 2):
            await page.js(f"document.querySelector('#seg-{i} button.approve').click()")
            await page.until(f"document.querySelector('#seg-{i}').dataset.status === 'approved'")
        await page.js("window.prompt = () => 'reads the figure too fast'; "
                      "document.querySelector('#seg-3 button.flag').click()")
        await page.until("document.querySelector('#seg-3').dataset.status === 'flagged'")
        got["flag_why"] = await page.js("document.querySelector('#seg-3 .why').textContent")
        # re-take segment 4 at another rate, compare A/B, keep the new take
        await page.js("document.querySelector('#seg-4 button.open-retake').click()")
        await page.js("const r = document.querySelector('#seg-4 input[name=rate]'); r.value = '25';"
                      "document.querySelector('#seg-4 form.retake button[type=submit]').click()")
        await page.until("document.querySelector('#seg-4 .ab audio.a') && window.lastRetakeSeconds", 60)
        got["retake_s"] = await page.js("window.lastRetakeSeconds")
        got["ab"] = await page.js("""(async () => { const a = [...document.querySelectorAll('#seg-4 .ab audio')];
            await Promise.all(a.map(x => x.readyState >= 1 ? 0 : new Promise(r => { x.onloadedmetadata = r; x.onerror = r; })));
            return a.map(x => x.duration); })()""")
        await page.js("document.querySelector('#seg-4 button.keep-new').click()")
        await page.until("!document.querySelector('#seg-4 .ab')")
        await page.js("document.querySelector('#release').click()")
        got["refused"] = await page.until("document.querySelector('#msg').textContent.startsWith('Not released') && "
                                          "document.querySelector('#msg').textContent")
        for i in (3, 4):
            await page.js(f"document.querySelector('#seg-{i} button.approve').click()")
            await page.until(f"document.querySelector('#seg-{i}').dataset.status === 'approved'")
        shot.write_bytes(base64.b64decode((await page.send("Page.captureScreenshot", format="png"))["data"]))
        await page.js("document.querySelector('#release').click()")
        got["released"] = await page.until("document.querySelector('#msg').textContent.startsWith('Released') && "
                                           "document.querySelector('#msg').textContent")
        got["status"] = await page.until("document.querySelector('#status').textContent.includes('approved · in the feed') && "
                                         "document.querySelector('#status').textContent", 15)   # the page refreshes
        got["published"] = await page.until("document.querySelector('#published').textContent.includes("
                                            "'serves this build') && document.querySelector('#published').textContent", 15)
        # a build from the command line while the page is open: the page offers a reload
        await asyncio.to_thread(main, ["build", str(out.parent / "episodes" / "ep.yaml"), "--engine", "espeak",
                                       "--out", str(out), "--quiet", "--remaster"])
        got["banner"] = await page.until("document.querySelector('#banner').classList.contains('show')", 10)
    return got


@pytest.mark.browser
def test_a_whole_review_in_chromium(browser: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out = _episode(tmp_path)
    site = tmp_path / "site"                           # Release publishes where show.yaml says (a folder here)
    write(tmp_path / "show.yaml", SHOW + f'    publish: {{to: "{site}"}}\n')
    assert main(["build", str(tmp_path / "episodes" / "ep.yaml"), "--engine", "espeak", "--out", str(out),
                 "--quiet"]) == 0                      # the record names this show.yaml (the copy's build named its own)
    before = {s["index"]: s for s in read_json(out / "ep" / "report.json")["segments"]}
    capsys.readouterr()
    shot = tmp_path / "review.png"
    with _server(out, "ep") as url:
        t0 = time.perf_counter()
        got = asyncio.run(_drive(browser, url, out, shot))
        assert time.perf_counter() - t0 < 120
    review = read_json(out / "ep" / "review.json")
    after = {s["index"]: s for s in read_json(out / "ep" / "report.json")["segments"]}
    assert got["flag_why"] == "reads the figure too fast"
    assert review["overrides"] == {"4": {"rate": 25}} and after[4]["rate"] == 25
    assert after[4]["take"] != before[4]["take"] and after[4]["duration_ms"] < before[4]["duration_ms"]
    previous, new = got["ab"]
    assert previous == pytest.approx(before[4]["duration_ms"] / 1000, abs=0.3)   # A is the old take, B the new
    assert new == pytest.approx(after[4]["duration_ms"] / 1000, abs=0.3)
    assert "segment 3 (en) flagged: reads the figure too fast" in got["refused"]
    assert "segment 4 (zh) unreviewed" in got["refused"]
    assert got["released"].startswith("Released: the episode is in the feed. Published to ")
    assert "total 13 0" in got["released"] or "total 16 0" in got["released"], got["released"]
    sent = podcastparser.parse("feed.xml", (site / "feed.xml").open("rb"))["episodes"]
    assert [e["title"] for e in sent] == ["Review me"] and list(site.glob("ep/published/ep.*.mp3"))
    assert "every segment approved · in the feed" in got["status"]
    assert got["published"].startswith("The feed serves this build (published 20")
    assert got["banner"]
    assert review["released"]["takes"] == [after[i]["take"] for i in sorted(after)]
    items = podcastparser.parse("feed.xml", (out / "feed.xml").open("rb"))["episodes"]
    assert [e["title"] for e in items] == ["Review me"]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    assert 0 < got["retake_s"] < 30
    print(f"re-take from click to updated page: {got['retake_s']:.2f} s")


def test_an_approval_lapses_when_its_take_changes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest, out = _episode(tmp_path)
    text_before = manifest.read_text(encoding="utf-8")
    with _server(out, "ep") as url:
        base, token = _split(url)

        async def run() -> dict[str, Any]:
            async with aiohttp.ClientSession() as http:
                async def post(path: str, body: dict[str, Any]) -> Any:
                    async with http.post(f"{base}{path}?token={token}", json=body, headers={"Origin": base}) as r:
                        return r.status, await r.json() if r.content_type == "application/json" else await r.text()

                async def state() -> Any:
                    async with http.get(f"{base}/api/e/ep?token={token}") as r:
                        return await r.json()
                for i in (1, 2):
                    await post("/api/e/ep/approve", {"segment": i})
                flagless = await post("/api/e/ep/flag", {"segment": 3, "note": " "})
                job = (await post("/api/e/ep/retake", {"segment": 2, "text": "第1条：出口连续第1个月增长，好于预期。"}))[1]
                while job["state"] == "running":
                    await asyncio.sleep(0.2)
                    async with http.get(f"{base}/api/jobs/{job['id']}?token={token}") as r:
                        job = await r.json()
                bad = (await post("/api/e/ep/retake", {"segment": 1, "text": "全是中文。"}))[1]
                while bad["state"] == "running":
                    await asyncio.sleep(0.2)
                    async with http.get(f"{base}/api/jobs/{bad['id']}?token={token}") as r:
                        bad = await r.json()
                return {"flagless": flagless, "job": job, "bad": bad, "state": await state()}
        got = asyncio.run(run())
    assert got["flagless"][0] == 400 and "needs a note" in got["flagless"][1]
    assert got["job"]["state"] == "done", got["job"]
    assert got["bad"]["state"] == "failed" and "segment 1: the edited text has nothing to say in English" in got["bad"]["error"]
    seg1, seg2 = got["state"]["segments"][:2]
    assert seg1["status"] == "approved"
    assert seg2["status"] == "lapsed" and seg2["why"] == "the text changed since it was approved"
    assert seg2["text_edited"] and seg2["text"].startswith("第1条：出口连续第1个月增长，好于")
    assert seg2["manifest_text"] == "第1条：出口连续第1个月增长。"
    assert manifest.read_text(encoding="utf-8") == text_before              # the manifest is never rewritten
    assert read_json(out / "ep" / "review.json")["overrides"] == {"2": {"text": "第1条：出口连续第1个月增长，好于预期。"}}
    # a re-take with another rate from the command line: the approval of segment 1 lapses, saying why
    assert main(["retake", "ep", "1", "--rate", "30", "--out", str(out), "--quiet"]) == 0
    from audiopipe.publish.record import EpisodeRecord
    from audiopipe.review import verdicts
    record = EpisodeRecord.load(out / "ep")
    state, why = verdicts.status(verdicts.load(out / "ep"), record.segments[0])
    assert state == "lapsed" and why.startswith("re-taken since it was approved (espeak en-us, rate +30% instead of")
    capsys.readouterr()


def test_review_setting_in_show_yaml_is_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "show.yaml", "review: always\n")
    manifest = write(tmp_path / "episodes" / "x.yaml",
                     'title: "X"\ndate: 2026-11-20\nstories:\n  - en: "Hi."\n    zh: "你好。"\n')
    assert main(["build", str(manifest), "--out", str(tmp_path / "o"), "--engine", "espeak"]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith(f"error: {tmp_path / 'show.yaml'}:1: review: 'always' is not a choice; write `review: required`")


def test_the_server_answers_its_own_host_only_with_security_headers(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    _, out = _episode(tmp_path, stories=1)
    capsys.readouterr()
    with _server(out, "ep") as url:
        base, token = _split(url)
        port = base.rsplit(":", 1)[1]

        async def run() -> dict[str, Any]:
            async with aiohttp.ClientSession() as http:
                async with http.get(f"{base}/e/ep?token={token}") as r:
                    headers = dict(r.headers)
                statuses = {}
                for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"evil.example:{port}", "127.0.0.1"):
                    async with http.get(f"{base}/e/ep?token={token}", headers={"Host": host}) as r:
                        statuses[host] = r.status
                answers = {}                               # refusals and errors carry the headers too
                for what, path, host in (("401", "/e/ep", ""), ("404", f"/e/nothing?token={token}", ""),
                                         ("421", f"/e/ep?token={token}", "evil.example"),
                                         ("redirect", f"/?token={token}", "")):
                    async with http.get(f"{base}{path}", headers={"Host": host} if host else None,
                                        allow_redirects=False) as r:
                        answers[what] = (r.status, r.headers.get("Referrer-Policy"), r.headers.get("X-Frame-Options"))
                return {"headers": headers, "statuses": statuses, "answers": answers}
        got = asyncio.run(run())
    assert got["statuses"] == {f"127.0.0.1:{port}": 200, f"localhost:{port}": 200, f"evil.example:{port}": 421,
                               "127.0.0.1": 421}
    assert {what: answer[1:] for what, answer in got["answers"].items()} == {
        what: ("no-referrer", "DENY") for what in ("401", "404", "421", "redirect")}, got["answers"]
    assert [got["answers"][what][0] for what in ("401", "404", "421")] == [401, 404, 421]
    headers = got["headers"]
    assert headers["Cache-Control"] == "no-store" and headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY" and headers["Referrer-Policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]


def test_oversized_requests_are_refused_at_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A body announced past the limit is answered 413 before any of it is read; a re-take text longer
    than a segment may be is 413 and starts no job."""
    import socket
    _, out = _episode(tmp_path, stories=1)
    capsys.readouterr()
    with _server(out, "ep") as url:
        base, token = _split(url)
        host, port = base.split("//")[1].rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=10) as raw:    # announces 1 GB, sends none
            raw.sendall(f"POST /api/e/ep/approve?token={token} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                        f"Origin: {base}\r\nContent-Type: application/json\r\nContent-Length: {1 << 30}\r\n\r\n".encode())
            answer = raw.recv(4096).decode("latin-1")
        assert answer.startswith("HTTP/1.1 413")

        async def run() -> tuple[int, str, int]:
            async with aiohttp.ClientSession(headers={"Origin": base}) as http:
                async with http.post(f"{base}/api/e/ep/retake?token={token}",
                                     json={"segment": 1, "text": "Markets rose. " * 1500}) as r:
                    status, text = r.status, await r.text()
                async with http.get(f"{base}/api/e/ep?token={token}") as r:
                    return status, text, r.status
        status, text, after = asyncio.run(run())
    assert status == 413 and "a segment holds at most 10000" in text and after == 200
    assert not (out / "ep" / "review.json").exists() or not read_json(out / "ep" / "review.json")["overrides"]


def test_hostile_requests_are_4xx_never_500(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out = _episode(tmp_path, stories=1)
    capsys.readouterr()
    with _server(out, "ep") as url:
        base, token = _split(url)

        async def run() -> dict[str, int]:
            got = {}
            async with aiohttp.ClientSession(headers={"Origin": base}) as http:
                for name, path in (("nul", "/files/ep/segments%00.mp3"), ("long", "/files/ep/" + "a" * 4000),
                                   ("nul slug", "/e/ep%00x")):
                    async with http.get(f"{base}{path}?token={token}") as r:
                        got[name] = r.status
                deep = "[" * 100_000 + "]" * 100_000
                async with http.post(f"{base}/api/e/ep/approve?token={token}", data=deep,
                                     headers={"Content-Type": "application/json"}) as r:
                    got["deep json"] = r.status
                async with http.post(f"{base}/api/e/ep/retake?token={token}", data='{"segment": 1, "rate": 1e400}',
                                     headers={"Content-Type": "application/json"}) as r:
                    got["rate 1e400"] = r.status
                async with http.post(f"{base}/api/e/ep/flag?token={token}", data='{"segment": 1, "note": "bad \\ud800"}',
                                     headers={"Content-Type": "application/json"}) as r:
                    got["lone surrogate"] = r.status
            return got
        got = asyncio.run(run())
    assert got == {"nul": 404, "long": 404, "nul slug": 404, "deep json": 400, "rate 1e400": 400,
                   "lone surrogate": 400}, got


def test_the_server_keeps_one_set_of_engines_between_retakes(tmp_path: Path) -> None:
    from audiopipe.options import BuildOptions, Choices, Run
    from audiopipe.studio.server import Studio
    studio = Studio(tmp_path, tmp_path / "cache", "token")
    first = studio.engines(BuildOptions(Choices(), Run(out_dir=tmp_path, cache_dir=tmp_path / "cache")))
    again = studio.engines(BuildOptions(Choices(engine="espeak"), Run(out_dir=tmp_path, cache_dir=tmp_path / "cache")))
    other = studio.engines(BuildOptions(Choices(), Run(out_dir=tmp_path, cache_dir=tmp_path / "elsewhere")))
    assert first is again and other is not first      # Kokoro's model and dictionaries load once per server


def test_the_feed_refresh_follows_a_retake_and_its_failure_reaches_the_page(tmp_path: Path) -> None:
    """The job is done as soon as the take is made (the page shows it); the feed refresh follows under the
    episode's lock, and the job says how it went: written, or failed with the one line (the take kept)."""
    _, out = _episode(tmp_path)
    (out / "feed.xml").unlink(missing_ok=True)
    with _server(out, "ep") as url:
        base, token = _split(url)

        async def retake(rate: int) -> list[dict[str, Any]]:
            seen = []
            async with aiohttp.ClientSession() as http:
                async with http.post(f"{base}/api/e/ep/retake?token={token}", json={"segment": 1, "rate": rate},
                                     headers={"Origin": base}) as r:
                    job = await r.json()
                while job["feed"] == "waiting":
                    async with http.get(f"{base}/api/jobs/{job['id']}?token={token}&wait=1") as r:
                        job = await r.json()
                    seen.append(job)
            return seen
        written = asyncio.run(retake(20))
        assert (out / "feed.xml").is_file()
        (out / "feed-zh.xml").unlink()
        os.mkfifo(out / "feed-zh.xml")
        failed = asyncio.run(retake(30))
    assert [j["state"] for j in written][-1] == "done" and written[-1]["feed"] == "written" and not written[-1]["error"]
    last = failed[-1]
    assert last["state"] == "done" and last["feed"] == "failed"
    assert last["error"] == (f"the take is kept, but the feed was not refreshed: {out / 'feed-zh.xml'}: not a "
                             "regular file (a FIFO, a device or a folder); move it away, then run `audiopipe feed` "
                             "(nothing was written)"), last
    assert read_json(out / "ep" / "report.json")["segments"][0]["rate"] == 30      # the take was made and kept


def test_a_failure_of_the_machine_reaches_the_page_as_the_cli_says_it() -> None:
    """A full disk during a re-take once reached the page as "No space left on device: /out/ep/ep.mp3",
    with no fix; now it is the CLI's line."""
    import errno

    from audiopipe.studio.server import _failure
    from audiopipe.tools.fsutil import os_error

    def full() -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "/out/ep/ep.mp3")
    said = _failure(full)
    assert said == "/out/ep/ep.mp3: failed (disk full); free some space and run it again"
    assert said == os_error(OSError(errno.ENOSPC, "x", "/out/ep/ep.mp3"), what="failed").message
