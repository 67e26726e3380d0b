"""A reviewer's re-take on the review page, click to updated page, in a real headless Chromium: the demo
built with Kokoro, `audiopipe review` as a process, the re-take form filled and submitted in the page,
timed by the page itself (``window.lastRetakeSeconds``: from the click to the page showing the new
take), then "Keep B" so that the next one starts clean.  The first re-take loads Kokoro's model and is
left out; the median of the next *rounds*, each at another rate (each a new take, so it is synthesized)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SEGMENT = 9            # the demo's shortest English segment (about 6 s of speech)
RATES = (0, 5, 10, 15, 20, 25)        # the host's profile speaks at -5: each of these is a new take


def measure(demo: Path, work: Path, rounds: int = 5, beside: Path | None = None) -> dict[str, Any]:
    """The re-take on the review page; with *beside*, an archive's episode folders sit in the same output
    folder (hard links), so every re-take's feed refresh has them to consider."""
    sys.path.insert(0, str(REPO))
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        return {"skipped": "Chromium is not installed (make browser)"}
    out, cache = work / "retake-out", work / "retake-cache"
    env = {**os.environ, "AUDIOPIPE_CACHE": str(cache)}
    built = subprocess.run([sys.executable, "-m", "audiopipe", "build", str(demo), "--out", str(out), "--engine",
                            "kokoro", "--quiet"], env=env, capture_output=True, text=True, check=False)
    if built.returncode != 0:
        return {"skipped": f"the Kokoro build failed: {built.stderr.strip()[-200:]}"}
    if beside is not None:
        for folder in sorted(beside.glob("day-*")):
            if not (out / folder.name).exists():
                shutil.copytree(folder, out / folder.name, copy_function=os.link)
    server = subprocess.Popen([sys.executable, "-m", "audiopipe", "review", demo.stem, "--out", str(out),
                               "--no-browser", "--port", "0"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    assert server.stdout is not None
    try:
        url = server.stdout.readline().strip()
        from tests.chromium import launched
        with launched(chromium, work / "chromium-profile") as ws:
            times, stages = asyncio.run(_drive(ws, url, out / demo.stem, rounds + 1))
    finally:
        server.terminate()
        server.wait()
    kept = times[1:]
    return {"segment": SEGMENT, "rounds": len(kept),
            "episodes_beside": len(list(beside.glob("day-*"))) if beside else 0, "first_s": round(times[0], 2),
            "click_to_page_s": [round(t, 2) for t in kept], "median_s": round(statistics.median(kept), 2),
            "synthesis_median_s": round(statistics.median(s["synthesize"] for s in stages[1:]), 2),
            "remastering_median_s": round(statistics.median(s["master_encode"] + s.get("editions", 0.0)
                                                            for s in stages[1:]), 2)}


async def _drive(ws: str, url: str, folder: Path, count: int) -> tuple[list[float], list[dict[str, float]]]:
    from tests.chromium import open_page
    times: list[float] = []
    stages: list[dict[str, float]] = []
    async with open_page(ws) as page:
        await page.goto(url)
        await page.until(f"document.querySelector('#seg-{SEGMENT} button.open-retake')")
        for rate in RATES[:count]:
            card = f"document.querySelector('#seg-{SEGMENT} "
            await page.js(f"window.lastRetakeSeconds = 0; {card}button.open-retake').click()")
            await page.js(f"{card}input[name=rate]').value = '{rate}';"
                          f"{card}form.retake button[type=submit]').click()")
            times.append(await page.until("window.lastRetakeSeconds", 50))
            stages.append(json.loads((folder / "report.json").read_text(encoding="utf-8"))["build"]["stages"])
            if await page.js(f"!!{card}button.keep-new')"):
                await page.js(f"{card}button.keep-new').click()")
                await page.until(f"!{card}.ab')")
    return times, stages
