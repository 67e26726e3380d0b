"""`audiopipe publish` against real servers started here: `rclone serve s3` (read back with boto3, not
our code) and an HTTP server over what was sent (`rclone serve http`, with byte ranges)."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from audiopipe.cli import main
from tests.builds import SHOW, built_episode, one_error_line
from tests.clusters import free_port
from tests.conftest import REPO, write

pytestmark = pytest.mark.e2e
boto3 = pytest.importorskip("boto3", reason="boto3 reads the S3 server back (the dev extra)")
RCLONE = Path(sys.executable).with_name("rclone")
KEY, SECRET = "audiopipe-test", "not-a-real-secret"


@contextmanager
def s3_server(root: Path, port: int | None = None) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`rclone serve s3` over *root* (each folder a bucket); the process and its endpoint."""
    port = port or free_port()
    proc = subprocess.Popen([str(RCLONE), "serve", "s3", str(root), "--addr", f"127.0.0.1:{port}",
                             "--auth-key", f"{KEY},{SECRET}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            _client(endpoint).list_buckets()
            break
        except Exception:   # noqa: BLE001 - not up yet
            time.sleep(0.1)
    try:
        yield proc, endpoint
    finally:
        proc.kill()
        proc.wait()


def _client(endpoint: str, secret: str = SECRET) -> Any:
    return boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=KEY, aws_secret_access_key=secret,
                        region_name="us-east-1")


@pytest.fixture
def remote_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Point rclone's remote `pod` at an endpoint, through the environment (no config file of ours)."""
    def point(endpoint: str, secret: str = SECRET, kind: str = "s3") -> None:
        for name, value in (("TYPE", kind), ("PROVIDER", "Rclone"), ("ENDPOINT", endpoint),
                            ("ACCESS_KEY_ID", KEY), ("SECRET_ACCESS_KEY", secret)):
            monkeypatch.setenv(f"RCLONE_CONFIG_POD_{name}", value)
    yield point


def _objects(endpoint: str) -> dict[str, int]:
    listed = _client(endpoint).list_objects_v2(Bucket="shows", Prefix="ledger/")
    return {o["Key"][len("ledger/"):]: o["Size"] for o in listed.get("Contents", [])}


@contextmanager
def s3_show(tmp_path: Path, remote_env: Callable[..., None]) -> Iterator[tuple[Path, str, list[str]]]:
    """The two-story episode built with its editions, an empty bucket on `rclone serve s3`, rclone's remote
    `pod` pointed at it: (the output folder, the endpoint, the arguments of a publish there)."""
    manifest, out = built_episode(tmp_path, SHOW)
    root = tmp_path / "s3"
    (root / "shows").mkdir(parents=True)
    with s3_server(root) as (_, endpoint):
        remote_env(endpoint)
        yield out, endpoint, ["publish", "--out", str(out), "--to", "pod:shows/ledger", "--show",
                              str(manifest.parent / "show.yaml"), "--no-check"]


def test_a_first_and_a_second_publish(tmp_path: Path, remote_env: Callable[..., None],
                                      capsys: pytest.CaptureFixture[str]) -> None:
    with s3_show(tmp_path, remote_env) as (out, endpoint, args):
        capsys.readouterr()
        assert main(args) == 0
        first = capsys.readouterr().out
        there = _objects(endpoint)
        # what the feed points at is there, byte for byte in size, read back by boto3
        feed = ET.fromstring(_client(endpoint).get_object(Bucket="shows", Key="ledger/feed.xml")["Body"].read())
        for element in feed.iter():
            url = element.get("url") if element.tag == "enclosure" else None
            if url:
                key = url.split("example.com/podcast/", 1)[1]
                assert there[key] == int(element.get("length") or 0)
        head = _client(endpoint).head_object(Bucket="shows", Key="ledger/feed.xml")
        assert head["ContentType"].startswith(("application/rss+xml", "application/xml", "text/xml"))
        mp3s = [k for k in there if k.endswith(".mp3")]
        assert len(mp3s) == 3 and {"feed.xml", "feed-en.xml", "feed-zh.xml", "artwork.png"} <= set(there)
        assert "total" in first and "  feeds          3        0" in first
        # the second publish sends the feeds only: no MP3 byte
        assert main(args) == 0
        second = capsys.readouterr().out
        assert "  episodes       0       12            0" in second and "  total          0       16            0" in second
        # what publishing sent and no feed carries any more (an earlier build's file, recorded in the remote's
        # .audiopipe-sent): said, left without --prune, listed by --dry-run, removed by --prune; the site's own
        # files, even one shaped like ours, are never touched
        s3 = _client(endpoint)
        assert ".audiopipe-sent" in there and set(there) - {".audiopipe-sent"} <= set(
            s3.get_object(Bucket="shows", Key="ledger/.audiopipe-sent")["Body"].read().decode().split())
        stale = "gone-day/published/gone-day.0123456789ab.mp3"
        s3.put_object(Bucket="shows", Key=f"ledger/{stale}", Body=b"old")
        sent = s3.get_object(Bucket="shows", Key="ledger/.audiopipe-sent")["Body"].read().decode()
        s3.put_object(Bucket="shows", Key="ledger/.audiopipe-sent", Body=(sent + stale + "\n").encode())
        s3.put_object(Bucket="shows", Key="ledger/index.html", Body=b"<p>the show's own page</p>")
        s3.put_object(Bucket="shows", Key="ledger/notes/published/readme.txt", Body=b"not audiopipe's")
        assert main(args) == 0 and "1 file(s) on the remote that no feed carries any more: left in place" in \
            capsys.readouterr().out
        assert main([*args, "--prune", "--dry-run"]) == 0 and ": would remove" in capsys.readouterr().out
        assert stale in _objects(endpoint)
        assert main([*args, "--prune"]) == 0 and ": removed" in capsys.readouterr().out
        assert set(_objects(endpoint)) == set(there) | {"index.html", "notes/published/readme.txt"}   # not ours: kept
        assert stale not in s3.get_object(Bucket="shows", Key="ledger/.audiopipe-sent")["Body"].read().decode()

        # an episode whose folder is removed here keeps its item in the feed: --prune leaves its files
        import importlib.util
        import shutil
        spec = importlib.util.spec_from_file_location("bench_archive", REPO / "bench" / "archive.py")
        assert spec is not None and spec.loader is not None
        archive = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(archive)
        archive.copy_episode(out / "two-stories", out / "day-0001", 1)     # a second episode, published too
        assert main(args) == 0
        capsys.readouterr()
        with_day = set(_objects(endpoint))
        assert any(key.startswith("day-0001/published/") for key in with_day)
        shutil.rmtree(out / "day-0001")
        assert main([*args, "--prune"]) == 0, capsys.readouterr().err
        capsys.readouterr()
        assert set(_objects(endpoint)) == with_day                     # nothing a listener can fetch removed
        assert "day-0001" in _client(endpoint).get_object(Bucket="shows", Key="ledger/feed.xml")["Body"].read().decode()


def test_content_types_and_cache_headers_are_kept_by_the_server(tmp_path: Path, remote_env: Callable[..., None],
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    with s3_show(tmp_path, remote_env) as (_, endpoint, args):
        assert main([*args, "--quiet"]) == 0
        s3 = _client(endpoint)
        seen = {}
        for key in _objects(endpoint):
            head = s3.head_object(Bucket="shows", Key=f"ledger/{key}")
            seen[key.rsplit(".", 1)[1]] = (head["ContentType"], head.get("CacheControl", ""))
    assert seen["mp3"] == ("audio/mpeg", "public, max-age=31536000, immutable")
    assert seen["vtt"][0] == "text/vtt" and seen["srt"][0] == "application/x-subrip"
    assert seen["json"][0] == "application/json+chapters" and seen["png"][0] == "image/png"
    assert seen["xml"] == ("application/rss+xml", "public, max-age=300")


def test_the_feed_is_the_last_file_and_a_server_killed_part_way_leaves_the_old_feed(
        tmp_path: Path, remote_env: Callable[..., None], capsys: pytest.CaptureFixture[str]) -> None:
    manifest, out = built_episode(tmp_path, SHOW)
    show = str(manifest.parent / "show.yaml")
    root = tmp_path / "s3"
    (root / "shows").mkdir(parents=True)
    port = free_port()
    with s3_server(root, port) as (proc, endpoint):
        remote_env(endpoint)
        seen: list[tuple[int, bool]] = []            # (files there, feed there) each time the observer looked
        stop = threading.Event()

        def observe() -> None:
            while not stop.is_set():
                files = [p for p in (root / "shows").rglob("*") if p.is_file()]
                seen.append((len(files), (root / "shows" / "ledger" / "feed.xml").exists()))
                if len(files) >= 4 and proc.poll() is None:
                    proc.kill()                      # part-way: the episode's files only partly sent
                time.sleep(0.005)
        watcher = threading.Thread(target=observe)
        watcher.start()
        code = main(["publish", "--out", str(out), "--to", "pod:shows/ledger", "--show", show, "--no-check"])
        stop.set()
        watcher.join()
    line = one_error_line(capsys)
    assert code == 2 and "the remote feed is as it was; run `audiopipe publish` again to resume" in line
    assert not (root / "shows" / "ledger" / "feed.xml").exists()
    assert all(not feed for _, feed in seen)                 # no moment with a feed
    with s3_server(root, port) as (_, endpoint):             # the server is back: running again completes
        assert main(["publish", "--out", str(out), "--to", "pod:shows/ledger", "--show", show, "--no-check"]) == 0
        said = capsys.readouterr().out
        assert "skipped" in said and len(_objects(endpoint)) == 16 + 1       # and .audiopipe-sent


def test_held_episodes_are_never_sent_and_the_public_url_is_checked(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    manifest, out = built_episode(tmp_path)
    held = write(tmp_path / "episodes" / "held.yaml", manifest.read_text(encoding="utf-8").replace(
        "Shipping rates fell", "Shipping rates fell again"))
    assert main(["build", str(held), "--engine", "espeak", "--out", str(out), "--no-qa", "--quiet"]) == 0
    capsys.readouterr()
    target = tmp_path / "site"
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    write(tmp_path / "episodes" / "show.yaml", SHOW.replace("https://example.com/podcast/", base))
    server = subprocess.Popen([str(RCLONE), "serve", "http", str(target), "--addr", f"127.0.0.1:{port}"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        target.mkdir()
        time.sleep(0.5)
        assert main(["publish", "--out", str(out), "--to", str(target), "--show",
                     str(tmp_path / "episodes" / "show.yaml")]) == 0
        said = capsys.readouterr()
    finally:
        server.kill()
        server.wait()
    assert not (target / "held").exists()                    # built without QA: held, never sent
    assert "note: held: this build is not published" in said.err or not (out / "held" / "published").exists()
    assert f"ok: {base}feed.xml: 200" in said.out
    assert ", byte ranges served" in said.out and "warning" not in said.out


def test_bad_remote_bad_credentials_and_unknown_backend_are_one_line(
        tmp_path: Path, remote_env: Callable[..., None], capsys: pytest.CaptureFixture[str]) -> None:
    manifest, out = built_episode(tmp_path)
    show = str(manifest.parent / "show.yaml")
    root = tmp_path / "s3"
    (root / "shows").mkdir(parents=True)
    with s3_server(root) as (_, endpoint):
        remote_env(endpoint, secret="wrong")
        assert main(["publish", "--out", str(out), "--to", "pod:shows/ledger", "--show", show]) == 2
        assert "check the remote's name and credentials" in one_error_line(capsys)
        remote_env(endpoint, kind="nosuchbackend")
        assert main(["publish", "--out", str(out), "--to", "pod:shows/ledger", "--show", show]) == 2
        assert "nosuchbackend" in one_error_line(capsys)
    assert main(["publish", "--out", str(out), "--to", "nowhere:shows", "--show", show]) == 2
    assert "didn't find section in config file" in one_error_line(capsys)
    assert not list((root / "shows").rglob("*.*"))
    config = tmp_path / "rclone.conf"                   # a config that is not UTF-8: one line, no traceback
    config.write_bytes(b"[\xff\xfe\x80]\ntype = s3\nendpoint = \xe9\xff\n")
    import os
    os.environ["RCLONE_CONFIG"] = str(config)
    try:
        assert main(["publish", "--out", str(out), "--to", "nowhere:shows", "--show", show]) == 2
        line = one_error_line(capsys)
        assert line.startswith("error: publish: nowhere:shows: ") and "Traceback" not in line
    finally:
        del os.environ["RCLONE_CONFIG"]


@contextmanager
def served(kind: str, root: Path) -> Iterator[int]:
    """`rclone serve webdav|sftp` over *root*, with a user and password; its port once it answers."""
    port = free_port()
    proc = subprocess.Popen([str(RCLONE), "serve", kind, str(root), "--addr", f"127.0.0.1:{port}", "--user", "pod",
                             "--pass", SECRET], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        yield port
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.parametrize("kind", ["webdav", "sftp"])
def test_webdav_and_sftp_with_build_publish(kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    manifest, out = built_episode(tmp_path, SHOW)
    root = tmp_path / "server"
    root.mkdir()
    secret = subprocess.run([str(RCLONE), "obscure", SECRET], capture_output=True, text=True, check=True).stdout.strip()
    with served(kind, root) as port:
        settings = {"TYPE": kind, "USER": "pod", "PASS": secret}
        settings.update({"URL": f"http://127.0.0.1:{port}"} if kind == "webdav" else {"HOST": "127.0.0.1",
                                                                                       "PORT": str(port)})
        for name, value in settings.items():
            monkeypatch.setenv(f"RCLONE_CONFIG_HOST_{name.upper()}", value)
        write(manifest.parent / "show.yaml", SHOW.rstrip() + '\n    publish: {to: "host:podcast"}\n')
        edited = manifest.read_text(encoding="utf-8").replace("Shipping rates fell", "Shipping rates fell again")
        write(manifest, edited)
        capsys.readouterr()
        assert main(["build", str(manifest), "--engine", "espeak", "--out", str(out), "--quiet", "--publish",
                     "--no-qa"]) == 0            # built without QA: held; the build published before is sent
        first = capsys.readouterr()
        assert "note: two-stories: this build is not published" in first.err and "published to host:podcast" in first.out
        held = (out / "two-stories" / "two-stories.mp3").read_bytes()
        sent = {p.read_bytes() for p in root.rglob("*.mp3")}
        assert len(sent) == 3 and held not in sent and (root / "podcast" / "feed.xml").is_file()
        assert main(["build", str(manifest), "--engine", "espeak", "--out", str(out), "--quiet", "--publish"]) == 0
        second = capsys.readouterr().out
        assert main(["publish", "--out", str(out), "--show", str(manifest.parent / "show.yaml"), "--no-check"]) == 0
        third = capsys.readouterr().out
    feed = ET.parse(root / "podcast" / "feed.xml").getroot()
    url = next(e.get("url") for e in feed.iter("enclosure"))
    mp3 = root / "podcast" / str(url).split("example.com/podcast/", 1)[1]
    assert mp3.read_bytes() == (out / "two-stories" / "two-stories.mp3").read_bytes()   # the build that passed QA
    assert (root / "podcast" / "feed.xml").read_bytes() == (out / "feed.xml").read_bytes()
    assert mp3.read_bytes() == held                                  # QA passed this time: now it is served
    assert re.search(r"  episodes +[1-9]\d* +\d+ +[1-9]\d*\n", second), second        # the new build's files
    assert "  episodes       0       12            0" in third             # nothing changed: no MP3 byte sent
    # nothing sent: MD5s on SFTP; on WebDAV, which keeps none, the SHA-256s recorded in .audiopipe-sent
    assert "  total          0       16            0" in third
    assert "file(s) on the remote that no feed carries any more: left in place (--prune removes them)" in third


def test_publish_without_a_destination_or_feed_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest, out = built_episode(tmp_path)
    show = str(manifest.parent / "show.yaml")
    assert main(["publish", "--out", str(out), "--show", show]) == 2
    assert "no destination; give --to REMOTE:PATH" in one_error_line(capsys)
    assert main(["build", str(manifest), "--engine", "espeak", "--out", str(out), "--quiet", "--publish"]) == 2
    assert "--publish: " in one_error_line(capsys)
    assert main(["publish", "--out", str(tmp_path / "empty"), "--to", str(tmp_path / "site"), "--show", show]) == 2
    assert "holds no built episode; give --out the folder you build into" in one_error_line(capsys)
    assert not (tmp_path / "empty").exists() and not (tmp_path / "site").exists()
    write(manifest.parent / "show.yaml", SHOW.rstrip() + '\n    publish: {to: ""}\n')
    assert main(["publish", "--out", str(out), "--show", show]) == 2
    assert "publish: write publish: {to: REMOTE:PATH" in one_error_line(capsys)


def test_a_file_locked_on_the_webdav_server_is_sent_again_after_a_wait(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A WebDAV lock on feed.xml, as a killed upload leaves one until the server notices (423 Locked): publish
    waits and sends it again; without the waits the same run stops with rclone's one line."""
    import base64
    import urllib.request
    manifest, out = built_episode(tmp_path, SHOW)
    show = str(manifest.parent / "show.yaml")
    root = tmp_path / "server"
    root.mkdir()
    secret = subprocess.run([str(RCLONE), "obscure", SECRET], capture_output=True, text=True, check=True).stdout.strip()
    with served("webdav", root) as port:
        for name, value in {"TYPE": "webdav", "USER": "pod", "PASS": secret, "URL": f"http://127.0.0.1:{port}"}.items():
            monkeypatch.setenv(f"RCLONE_CONFIG_HOST_{name}", value)
        (root / "podcast").mkdir()

        def lock(seconds: int) -> None:
            body = (b'<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope>'
                    b"<D:locktype><D:write/></D:locktype></D:lockinfo>")
            auth = base64.b64encode(f"pod:{SECRET}".encode()).decode()
            request = urllib.request.Request(f"http://127.0.0.1:{port}/podcast/feed.xml", data=body, method="LOCK",
                                             headers={"Timeout": f"Second-{seconds}", "Authorization": f"Basic {auth}",
                                                      "Content-Type": "application/xml"})
            with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - http to our own server
                assert answer.status in (200, 201)
        lock(3600)
        monkeypatch.setattr("audiopipe.publish.remote.LOCKED_WAITS_S", ())
        assert main(["publish", "--out", str(out), "--to", "host:podcast", "--show", show, "--no-check"]) == 2
        line = one_error_line(capsys)
        assert line.startswith("error: publish: host:podcast: ") and "423" in line and "run `audiopipe publish` " \
            "again to resume" in line, line
        assert (root / "podcast" / "feed.xml").read_bytes() != (out / "feed.xml").read_bytes()
        monkeypatch.undo()
        for name, value in {"TYPE": "webdav", "USER": "pod", "PASS": secret, "URL": f"http://127.0.0.1:{port}"}.items():
            monkeypatch.setenv(f"RCLONE_CONFIG_HOST_{name}", value)
    with served("webdav", root) as port:        # the server restarted: a lock of 2 s, shorter than the waits
        monkeypatch.setenv("RCLONE_CONFIG_HOST_URL", f"http://127.0.0.1:{port}")
        lock(2)
        assert main(["publish", "--out", str(out), "--to", "host:podcast", "--show", show, "--no-check"]) == 0
    assert (root / "podcast" / "feed.xml").read_bytes() == (out / "feed.xml").read_bytes()
