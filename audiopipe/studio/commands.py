"""``audiopipe review`` and ``audiopipe release``: their arguments and what they do."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from audiopipe import logs


def add(sub: Any) -> None:
    review = sub.add_parser("review", help="review an episode in the browser: listen, approve, flag, re-take, release",
                            description="Start a local web server for one episode (or every episode of the output "
                            "folder) and open its page. The first line printed is the page's URL with its token; "
                            "requests without it are refused. Ctrl-C stops the server.")
    review.add_argument("slug", nargs="?", help="the episode (default: every episode in the output folder)")
    review.add_argument("--out", type=Path, default=Path("output"), metavar="DIR", help="output folder (default: output)")
    review.add_argument("--cache", type=Path, metavar="DIR", help="take cache folder (default: .cache/audiopipe)")
    review.add_argument("--port", type=int, default=0, metavar="N", help="port (default: any free one)")
    review.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine "
                        "only)")
    review.add_argument("--no-browser", action="store_true", help="print the URL, do not open a browser")
    review.set_defaults(func=_cmd_review)
    release = sub.add_parser("release", help="publish a reviewed episode to the feed",
                             description="Publish the episode when QA passed and every segment is approved for "
                             "its present take (show.yaml `review: required` keeps it out of the feed until then). "
                             "Exit 1 lists what is not approved.")
    from audiopipe.workspace import episode_arguments
    episode_arguments(release, show=False)
    release.set_defaults(func=_cmd_release)


def _folder(slug: str, out: Path) -> Path:
    from audiopipe.workspace import Workspace
    return Workspace(out).episode(slug).folder


def _cmd_release(args: argparse.Namespace) -> int:
    from audiopipe.studio import state
    folder = _folder(args.slug, args.out)
    blockers = state.release_folder(folder)
    if blockers:
        logs.say(f"error: {args.slug} is not released: {len(blockers)} thing(s) stand in the way:")
        for line in blockers:
            logs.say(f"  {line}")
        logs.say(f"approve them in `audiopipe review {args.slug}` (or fix QA), then release again")
        return 1
    print(f"released {args.slug}: every segment approved, QA passed; the feed carries it")
    for line in state.publish_released(folder):      # where show.yaml names a destination
        print(line)
    return 0


def _cmd_review(args: argparse.Namespace) -> int:
    from audiopipe.errors import AudiopipeError
    from audiopipe.studio import state
    from audiopipe.studio.server import Studio, new_token, serve
    if args.slug is not None:
        _folder(args.slug, args.out)
    elif not state.episodes(args.out):
        raise AudiopipeError(f"{args.out}: no built episodes to review; build one first")
    if not 0 <= args.port <= 65535:
        raise AudiopipeError("--port: use 1..65535, or 0 for any free port")
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        logs.say(f"warning: listening on {args.host}: anyone who can reach it and has the URL (with its token) can "
             "approve, re-take and release; the token is the only lock")
    studio = Studio(args.out, args.cache, new_token(), [args.slug] if args.slug else None)

    def ready(url: str) -> None:
        print(url, flush=True)                      # the first line on stdout: the page, with its token
        logs.say("review server running; Ctrl-C stops it")
        if not args.no_browser:
            import webbrowser
            webbrowser.open(url)
    try:
        import asyncio  # the server only: a build need not load it

        asyncio.run(serve(studio, args.host, args.port, ready))
    except KeyboardInterrupt:
        logs.say("review server stopped")
    return 0
