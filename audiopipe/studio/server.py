"""``audiopipe review``: a local web server where a reviewer listens, approves, flags, re-takes and releases.

aiohttp (which edge-tts brings) serves one page per episode and a small JSON API.  It listens on
127.0.0.1 unless told otherwise, and every request must carry the random token printed with the URL
(``?token=``): none is 401, a wrong one 403.  Actions are POSTs whose Origin must be the page's own.
Files are served from inside the episode folder only.  Verdicts go through :mod:`review.verdicts`
(locked, atomic); a re-take runs in a thread, one build per episode at a time, with its progress on
the page.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import secrets
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from audiopipe import logs
from audiopipe.engines import EngineOptions, Engines
from audiopipe.errors import AudiopipeError
from audiopipe.options import BuildOptions
from audiopipe.studio import page, state
from audiopipe.studio.retake import keep_ab, retake
from audiopipe.synth.override import Override
from audiopipe.text import MAX_SEGMENT_CHARS
from audiopipe.tools.fsutil import os_error

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class RetakeJob:
    """A re-take under way (or done): what the page polls."""

    ident: str
    slug: str
    segment: int
    state: str = "running"           # running, done, failed
    feed: str = "waiting"            # the feed refresh after the take: waiting, written, failed (error says
                                     # why), unchanged (the take failed)
    stage: str = "starting"
    done: int = 0
    total: int = 0
    error: str = ""
    seconds: float = 0.0
    started: float = field(default_factory=time.perf_counter)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.ident, "slug": self.slug, "segment": self.segment, "state": self.state,
                "feed": self.feed, "stage": self.stage, "done": self.done, "total": self.total, "error": self.error,
                "seconds": round(self.seconds or time.perf_counter() - self.started, 2)}


WAIT_S = 2.0
"""The longest a page's long poll of a re-take waits for news before it is answered anyway."""
MAX_BODY = 256 * 1024
"""The largest request the review server reads (a verdict, a re-take: a few hundred bytes)."""

def _failure(step: Callable[[], None]) -> str:
    """What went wrong in *step* as one line for the page ("" when nothing did)."""
    try:
        step()
    except AudiopipeError as exc:
        return exc.message
    except OSError as exc:               # the same line the CLI gives: where, why, and the fix
        return os_error(exc, what="failed").message
    except Exception as exc:  # noqa: BLE001 - the page must hear of any failure, not wait forever
        return f"{type(exc).__name__}: {exc}"
    return ""


SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    # the pages are one file each, their script and style inline; nothing from elsewhere, no frames
    "Content-Security-Policy": "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' "
                               "'unsafe-inline'; img-src 'self' data:; media-src 'self'; object-src 'none'; "
                               "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
}
"""Sent with every answer of the review server."""


class Studio:
    """The server's state: the output folder, the token, the jobs, one build lock per episode."""

    def __init__(self, out_dir: Path, cache_dir: Path | None, token: str, slugs: list[str] | None = None) -> None:
        self.out_dir = Path(out_dir).resolve()
        self.cache_dir = cache_dir
        self.token = token
        self.slugs = slugs
        self.origin = ""                       # set once the port is known
        self.jobs: dict[str, RetakeJob] = {}
        self._builds: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="retake")
        self._engines: dict[EngineOptions, Engines] = {}

    def engines(self, options: BuildOptions) -> Engines:
        """One set of engines for the server's life (per engine settings): a re-take does not load Kokoro's
        model and dictionaries again (its synthesis is thread-safe: builds already share it)."""
        with self._guard:
            return self._engines.setdefault(options.engine_options(), options.engines())

    def folder(self, slug: str) -> Path:
        """The episode folder of *slug*: an existing episode of the output folder, or 404."""
        if slug not in state.episodes(self.out_dir, self.slugs):
            raise web.HTTPNotFound(text=f"no episode {slug!r} here")
        return self.out_dir / slug

    def build_lock(self, slug: str) -> threading.Lock:
        with self._guard:
            return self._builds.setdefault(slug, threading.Lock())

    # ---- the gate ------------------------------------------------------------------------------
    @web.middleware
    async def gate(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if self.origin and request.host not in self.hosts:     # a page on another name (DNS rebinding)
            raise web.HTTPMisdirectedRequest(text=f"this review server answers at {self.origin} only")
        given = request.query.get("token") or request.headers.get("X-Audiopipe-Token", "")
        if not given:
            raise web.HTTPUnauthorized(text="this review server needs the token from its URL (?token=…)")
        if not hmac.compare_digest(given.encode(), self.token.encode()):
            raise web.HTTPForbidden(text="wrong token")
        if request.method not in ("GET", "HEAD"):
            if request.headers.get("Origin") != self.origin:
                raise web.HTTPForbidden(text="actions are taken from the review page only (Origin)")
            if (request.content_length or 0) > MAX_BODY:       # answered at once, before any byte is read
                raise web.HTTPRequestEntityTooLarge(max_size=MAX_BODY, actual_size=request.content_length or 0,
                                                    text=f"a request of at most {MAX_BODY >> 10} KiB is expected")
        return await handler(request)

    @staticmethod
    async def secured(request: web.Request, response: web.StreamResponse) -> None:
        """Every answer carries the security headers: pages and files, and redirects, refusals and errors
        (a 302, 401, 404 or 421 raised before any handler ran) as well."""
        response.headers.update(SECURITY_HEADERS)

    @property
    def hosts(self) -> set[str]:
        """The Host headers this server answers: its own address (and localhost for a loopback one)."""
        netloc = self.origin.split("//", 1)[-1]
        port = netloc.rsplit(":", 1)[-1]
        loopback = netloc.startswith(("127.", "[::1]"))
        return {netloc, *([f"localhost:{port}"] if loopback else [])}

    # ---- pages and files -----------------------------------------------------------------------
    async def index(self, request: web.Request) -> web.StreamResponse:
        slugs = state.episodes(self.out_dir, self.slugs)
        if self.slugs and len(self.slugs) == 1:
            raise web.HTTPFound(f"/e/{self.slugs[0]}?token={self.token}")
        return web.Response(text=page.index(slugs, self.token), content_type="text/html")

    async def episode_page(self, request: web.Request) -> web.StreamResponse:
        slug = request.match_info["slug"]
        self.folder(slug)
        return web.Response(text=page.episode(slug), content_type="text/html")

    async def file(self, request: web.Request) -> web.StreamResponse:
        folder = self.folder(request.match_info["slug"]).resolve()
        try:
            target = (folder / request.match_info["path"]).resolve()
            if not target.is_relative_to(folder) or target.name.startswith("."):
                raise web.HTTPForbidden(text="outside the episode folder")
            if not target.is_file():
                raise web.HTTPNotFound()
        except (ValueError, OSError):         # a NUL byte, a name too long for the file system
            raise web.HTTPNotFound() from None
        return web.FileResponse(target)

    # ---- the API -------------------------------------------------------------------------------
    async def get_state(self, request: web.Request) -> web.StreamResponse:
        slug = request.match_info["slug"]
        folder = self.folder(slug)
        running = [j.to_json() for j in self.jobs.values() if j.slug == slug and j.state == "running"]
        data = await asyncio.to_thread(state.episode_state, folder)
        return web.json_response({**data, "jobs": running})

    async def get_stamp(self, request: web.Request) -> web.StreamResponse:
        return web.json_response({"stamp": state.stamp(self.folder(request.match_info["slug"]))})

    async def _body(self, request: web.Request) -> dict[str, Any]:
        try:
            body = await request.json()
        except (ValueError, RecursionError):       # not JSON, or nested past what any request needs
            raise web.HTTPBadRequest(text="send JSON") from None
        if not isinstance(body, dict):
            raise web.HTTPBadRequest(text="send a JSON object")
        try:
            json.dumps(body, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:                 # a lone surrogate ("\ud800") in a note or a text
            raise web.HTTPBadRequest(text="send text that is valid Unicode (a lone surrogate is not)") from None
        return body

    @staticmethod
    def _segment(body: dict[str, Any]) -> int:
        value = body.get("segment")
        if isinstance(value, bool) or not isinstance(value, int):
            raise web.HTTPBadRequest(text="segment: give the segment's number")
        return value

    async def verdict(self, request: web.Request) -> web.StreamResponse:
        slug, action = request.match_info["slug"], request.match_info["action"]
        folder = self.folder(slug)
        body = await self._body(request)
        index = self._segment(body)
        note = str(body.get("note", "")).strip()
        if action == "flag" and not note:
            raise web.HTTPBadRequest(text="a flag needs a note saying what is wrong")
        try:
            await asyncio.to_thread(state.set_verdict, folder, index, action, note)
        except AudiopipeError as exc:
            raise web.HTTPBadRequest(text=exc.message) from None
        return web.json_response({"ok": True, "stamp": state.stamp(folder)})

    async def start_retake(self, request: web.Request) -> web.StreamResponse:
        slug = request.match_info["slug"]
        folder = self.folder(slug)
        body = await self._body(request)
        index = self._segment(body)
        try:
            rate = None if body.get("rate") in (None, "") else int(body["rate"])
        except (TypeError, ValueError, OverflowError):
            raise web.HTTPBadRequest(text="rate: a whole number of percent, e.g. -10") from None
        text = body.get("text")
        if isinstance(text, str) and len(text) > MAX_SEGMENT_CHARS:
            raise web.HTTPRequestEntityTooLarge(max_size=MAX_SEGMENT_CHARS, actual_size=len(text),
                                                text=f"text: {len(text)} characters; a segment holds at most "
                                                f"{MAX_SEGMENT_CHARS}")
        override = Override(body.get("profile") or None, rate, body.get("engine") or None,
                            text.strip() if isinstance(text, str) and text.strip() else None)
        job = RetakeJob(secrets.token_hex(6), slug, index)
        self.jobs[job.ident] = job
        self._pool.submit(self._run_retake, job, folder, override)
        return web.json_response(job.to_json(), status=202)

    def _run_retake(self, job: RetakeJob, folder: Path, override: Override) -> None:
        """The take, then (still under the episode's lock, so no other change comes between) the feed
        refresh: the page shows the take as soon as it is made (the feed's published copies are the old
        take's until then, as during the take), and hears of the refresh by the job's ``feed``."""
        def progress(stage: str, done: int, total: int) -> None:
            job.stage, job.done, job.total = stage, done, total
        with self.build_lock(job.slug):
            job.error = _failure(lambda: self._take(job, folder, override, progress))
            job.state = "failed" if job.error else "done"
            job.seconds = time.perf_counter() - job.started
            logs.say(f"re-take of {job.slug} segment {job.segment}: {job.state} in {job.seconds:.1f} s"
                     + (f" ({job.error})" if job.error else ""))
            if job.error:
                job.feed = "unchanged"
                return
            problem = _failure(lambda: state.refresh_after_change(folder))
            if problem:
                job.error = f"the take is kept, but the feed was not refreshed: {problem}"
                logs.say(f"re-take of {job.slug} segment {job.segment}: {job.error}")
            job.feed = "failed" if problem else "written"

    def _take(self, job: RetakeJob, folder: Path, override: Override,
              progress: Callable[[str, int, int], None]) -> None:
        previous = state.stored_override(folder, job.segment)
        done = retake(folder, job.segment, override, self.cache_dir, progress,
                      keep_previous=True, engines=self.engines)
        state.set_pending(folder, job.segment, done, previous)

    async def get_job(self, request: web.Request) -> web.StreamResponse:
        job = self.jobs.get(request.match_info["ident"])
        if job is None:
            raise web.HTTPNotFound(text="no such job")
        if request.query.get("wait"):          # a long poll: answer when the job moves on (or after 2 s)
            seen, until = (job.state, job.feed, job.stage, job.done), time.monotonic() + WAIT_S
            while job.feed == "waiting" and (job.state, job.feed, job.stage, job.done) == seen \
                    and time.monotonic() < until:
                await asyncio.sleep(0.02)
        return web.json_response(job.to_json())

    async def ab(self, request: web.Request) -> web.StreamResponse:
        slug = request.match_info["slug"]
        folder = self.folder(slug)
        body = await self._body(request)
        index, keep = self._segment(body), body.get("keep")
        if keep not in ("new", "previous"):
            raise web.HTTPBadRequest(text="keep: new or previous")

        def choose() -> None:
            with self.build_lock(slug):
                if keep_ab(folder, index, str(keep), self.cache_dir) is not None:
                    state.refresh_after_change(folder)
        try:
            await asyncio.to_thread(choose)
        except AudiopipeError as exc:
            raise web.HTTPConflict(text=exc.message) from None
        return web.json_response({"ok": True, "stamp": state.stamp(folder)})

    async def release(self, request: web.Request) -> web.StreamResponse:
        slug = request.match_info["slug"]
        folder = self.folder(slug)
        blockers = await asyncio.to_thread(state.release_folder, folder)
        if blockers:
            return web.json_response({"released": False, "blockers": blockers}, status=409)
        try:                                         # then to where listeners are, if show.yaml says where
            published = await asyncio.to_thread(state.publish_released, folder)
        except AudiopipeError as exc:
            return web.json_response({"released": True, "blockers": [], "published": [],
                                      "error": f"Released, but not published: {exc.message}"},
                                     status=502)
        return web.json_response({"released": True, "blockers": [], "published": published})

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self.gate], client_max_size=MAX_BODY)
        app.on_response_prepare.append(self.secured)
        app.add_routes([
            web.get("/", self.index),
            web.get("/e/{slug}", self.episode_page),
            web.get("/files/{slug}/{path:.+}", self.file),
            web.get("/api/e/{slug}", self.get_state),
            web.get("/api/e/{slug}/stamp", self.get_stamp),
            web.post("/api/e/{slug}/{action:approve|flag|clear}", self.verdict),
            web.post("/api/e/{slug}/retake", self.start_retake),
            web.post("/api/e/{slug}/ab", self.ab),
            web.post("/api/e/{slug}/release", self.release),
            web.get("/api/jobs/{ident}", self.get_job),
        ])
        return app


async def serve(studio: Studio, host: str, port: int, ready: Callable[[str], None]) -> None:
    """Serve until cancelled; *ready* gets the page's URL (with the token) once listening."""
    runner = web.AppRunner(studio.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        raise AudiopipeError(f"review: cannot listen on {host}:{port} ({exc.strerror}); choose another "
                             "--port (or 0 for any free one)") from None
    bound = int(runner.addresses[0][1]) if runner.addresses else port
    shown = f"[{host}]" if ":" in host else host
    studio.origin = f"http://{shown}:{bound}"
    ready(f"{studio.origin}/?token={studio.token}")
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def new_token() -> str:
    return secrets.token_urlsafe(24)

