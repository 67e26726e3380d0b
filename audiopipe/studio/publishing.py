"""``audiopipe publish`` and ``audiopipe feed``: the feeds written through the gate, and what they serve sent to
the show's remote through rclone, with a summary; also the feed refresh (and ``--publish``) after a build."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from audiopipe import logs
from audiopipe.errors import AudiopipeError
from audiopipe.publish.record import FILE as RECORD_FILE

if TYPE_CHECKING:
    from audiopipe.config.show import Show


def add(sub: Any) -> None:
    publish = sub.add_parser("publish", help="send the published episodes and the feeds to a remote (S3, SFTP, "
                             "WebDAV ... through rclone), the feeds last",
                             description="Copy every published episode's files, the artwork and the feeds to "
                             "REMOTE:PATH (show.yaml `publish: {to: ...}`, or --to), the feeds last; files already "
                             "there are skipped. Credentials stay in rclone's config or environment.")
    publish.add_argument("--out", type=Path, default=Path("output"), metavar="DIR", help="output folder (default: output)")
    publish.add_argument("--to", metavar="REMOTE:PATH", help="where to (default: show.yaml publish.to)")
    publish.add_argument("--show", type=Path, metavar="FILE", help="show settings (default: show.yaml)")
    publish.add_argument("--dry-run", action="store_true", help="say what would be sent, send nothing")
    publish.add_argument("--prune", action="store_true", help="remove from the remote what publishing put there "
                         "and no feed carries any more (after the feeds are sent)")
    publish.add_argument("--no-check", action="store_true", help="do not fetch the feed back from base_url")
    publish.add_argument("--quiet", action="store_true", help="no progress")
    publish.set_defaults(func=_cmd_publish)
    feed = sub.add_parser("feed", help="write DIR/feed.xml from every built episode",
                          description="Write the podcast RSS feed (RSS 2.0 + itunes + podcast namespaces) "
                          "from the show settings and every episode built in DIR.")
    feed.add_argument("--out", type=Path, default=Path("output"), metavar="DIR",
                      help="the output folder holding the episodes (default: output)")
    feed.add_argument("--show", type=Path, metavar="FILE", help="show settings (default: show.yaml)")
    feed.set_defaults(func=_cmd_feed)
    video = sub.add_parser("video", help="make the video edition of a built episode (MP4, clips per story)",
                           description="Write DIR/SLUG/SLUG.mp4 (1920x1080, the captions burned in), one vertical "
                           "clip per story and chapters-youtube.txt, check them with QA and refresh the feeds (the "
                           "video reaches the feed when QA passes). show.yaml `video: true` makes them on every build.")
    from audiopipe.workspace import episode_arguments
    episode_arguments(video)
    video.set_defaults(func=_cmd_video)


def _cmd_video(args: argparse.Namespace) -> int:
    """The video files of a built episode, QA with them, and the feeds refreshed."""
    import dataclasses

    from audiopipe.publish import episode, video
    from audiopipe.qa import checks
    from audiopipe.review.release import refresh_feed
    from audiopipe.synth.cache import default_cache_dir
    from audiopipe.workspace import Workspace
    workspace = Workspace(args.out, args.show)
    built = workspace.episode(args.slug)
    show = dataclasses.replace(workspace.show_of(built), video=True)
    record = built.built()
    for path in video.write(built.folder, record, show, lambda: episode.cover(show, args.out, default_cache_dir())):
        print(f"wrote {path}")
    findings, page = checks.review(built.folder, show, default_cache_dir())
    from audiopipe.qa.findings import say
    say(findings)
    print(f"{checks.summary(findings)}; page: {page}")
    if show.base_url:
        notes: list[str] = []
        _feed_said(*refresh_feed(args.out, show, notes=notes), "feed:", notes)
    return 1 if checks.failed(findings) else 0


def _cmd_feed(args: argparse.Namespace) -> int:
    from audiopipe.review.release import refresh_feed
    from audiopipe.workspace import Workspace
    show = Workspace(args.out, args.show).show()
    notes: list[str] = []
    _feed_said(*refresh_feed(args.out, show, notes=notes), "wrote", notes)
    return 0


def refresh_and_publish(args: argparse.Namespace, start: Path | None = None) -> Show | None:
    """After a build or a re-take: rewrite the feed with every episode that may be published, say which are
    held and why; with ``--publish``, send what the feeds serve to show.yaml's destination.  The show when
    the feed was refreshed, else None."""
    from audiopipe.review.release import refresh_feed
    from audiopipe.workspace import Workspace
    publish = getattr(args, "publish", False)
    if getattr(args, "no_feed", False) and not publish:
        return None
    show = Workspace(args.out, getattr(args, "show", None)).show(start)
    if publish and not (show.publish_to and show.base_url):
        raise AudiopipeError(f"--publish: {show.path or 'show.yaml'} names no destination; add `publish: {{to: "
                             "REMOTE:PATH, base_url: https://…/}}` to it (the episode is built; run `audiopipe "
                             "publish` once it is there)")
    if not show.base_url:
        logs.say("note: feed.xml not refreshed: show.yaml has no base_url")
        return None
    notes: list[str] = []
    _feed_said(*refresh_feed(args.out, show, notes=notes), "feed:", notes)
    if publish:
        for line in publish_show(args.out, show, show.publish_to, quiet=getattr(args, "quiet", False),
                                 refresh=False):
            print(line)
    return show


def built_line(mp3: Path, duration_ms: int, lufs: float, true_peak: float, seconds: float, how: str) -> str:
    """The line a build ends with: the episode, its length and loudness, how long it took and how."""
    minutes, rest = divmod(duration_ms / 1000, 60)
    return (f"built {mp3}: {int(minutes)}:{rest:04.1f}, {lufs:.1f} LUFS, true peak {true_peak:.1f} dBTP, "
            f"in {seconds:.1f} s ({how})")


def _feed_said(path: Path, held: list[tuple[str, str]], done: str, notes: list[str] | None = None) -> None:
    """What a feed refresh has to say: published copies found changed, each build held back and why,
    numbering that disagrees with dates."""
    for line in notes or []:
        logs.say(f"note: {line}")
    from audiopipe.publish.indexed import numbering_warnings
    for slug, reason in held:
        logs.say(f"note: {slug}: this build is not published: {reason}")
    for line in numbering_warnings(path):
        logs.say(f"warning: {line}")
    print(f"{done} {path}")


def _cmd_publish(args: argparse.Namespace) -> int:
    from audiopipe.workspace import Workspace
    show = Workspace(args.out, args.show).show()
    dest = args.to or show.publish_to
    if not dest:
        raise AudiopipeError("publish: no destination; give --to REMOTE:PATH, or `publish: {to: REMOTE:PATH}` in "
                             "show.yaml (the remote as `rclone config` names it)")
    for line in publish_show(args.out, show, dest, dry_run=args.dry_run, prune=args.prune,
                             check=not args.no_check, quiet=args.quiet):
        print(line)
    return 0


def publish_show(out_dir: Path, show: Any, dest: str, dry_run: bool = False, prune: bool = False,
                 check: bool = True, quiet: bool = False, refresh: bool = True) -> list[str]:
    """The feeds refreshed through the gate, what they serve sent to *dest*, the public URL checked: what to
    say, line by line (``audiopipe publish``, ``build --publish`` and the review page's Release)."""
    from audiopipe.progress import Progress
    from audiopipe.publish import remote
    from audiopipe.review.release import refresh_feed
    if not any(out_dir.glob(f"*/{RECORD_FILE}")):
        raise AudiopipeError(f"publish: {out_dir} holds no built episode; give --out the folder you build into "
                             "(nothing was sent)")
    if show.base_url and refresh:
        notes: list[str] = []
        refresh_feed(out_dir, show, notes=notes)   # the gate first: only what passed is published
        for line in notes:
            logs.say(f"note: {line}")
    reporter = None if quiet else Progress()
    try:
        outcome = remote.publish(out_dir, dest, dry_run, prune, progress=reporter)
    finally:
        if reporter:
            reporter.close()
    lines = summary(outcome, dest, dry_run)
    if show.base_url and not dry_run and check:
        lines += remote.check_public(show.base_url, remote.first_enclosure(out_dir, show.base_url))
    return lines


def summary(outcome: Any, dest: str, dry_run: bool) -> list[str]:
    """The table at the end: files sent and skipped, bytes, seconds; and what no feed carries any more."""
    rows = {"episodes": "hashed", "artwork": "artwork", "feeds": "feed"}
    lines = [f"{'would publish' if dry_run else 'published'} to {dest}:",
             f"  {'':<10}{'sent':>6}{'skipped':>9}{'bytes sent':>13}"]
    for label, kind in rows.items():
        sent = [i for i in outcome.sent if i.kind == kind]
        skipped = [i for i in outcome.skipped if i.kind == kind]
        lines.append(f"  {label:<10}{len(sent):>6}{len(skipped):>9}{sum(i.local.stat().st_size for i in sent):>13}")
    lines.append(f"  {'total':<10}{len(outcome.sent):>6}{len(outcome.skipped):>9}{outcome.bytes_sent:>13}   "
                 f"in {outcome.seconds:.1f} s")
    if outcome.stale:
        done = "would remove" if dry_run and outcome.pruned else "removed" if outcome.pruned else \
            "left in place (--prune removes them)"
        lines.append(f"  {len(outcome.stale)} file(s) on the remote that no feed carries any more: {done}")
    return lines


# ---- a rebuild with nothing to do ------------------------------------------------------------------

STAMPED = ("engine", "fit", "strict", "fallback", "publish_fallback", "no_qa", "asr", "no_feed", "out", "show",
           "voices")
"""The producer's choices a build's bytes depend on (not --jobs, --cache, --scheduler or --quiet: the
same bytes whatever they are)."""


def made_from(args: argparse.Namespace) -> tuple[Path, dict[str, Any]] | None:
    """The episode folder of a one-manifest build, and what it is made from now (publish/stamp.py); None for
    a batch or --remaster (always made)."""
    if len(args.manifests) != 1 or args.remaster:
        return None
    from audiopipe.publish import stamp
    from audiopipe.workspace import Workspace
    manifest = Path(args.manifests[0])
    workspace = Workspace(Path(args.out), args.show, args.voices)
    folder = workspace.folder(manifest.stem).folder
    choices = stamp.choices_of((key, getattr(args, key, None)) for key in STAMPED)
    return folder, stamp.inputs(manifest, workspace.show_file(manifest.parent), workspace.voices_dir(manifest.parent),
                                folder, choices)


def nothing_to_do(args: argparse.Namespace, folder: Path, inputs: dict[str, Any]) -> bool:
    """When the episode is what its last build made of these same inputs, files and feed intact: say so."""
    import json
    import time

    from audiopipe.publish import stamp
    started = time.perf_counter()
    proved = stamp.unchanged(folder, inputs)
    if proved is None:
        stamp.forget(folder)                    # until this build ends well, no stamp holds
        return False
    episode = json.loads((folder / RECORD_FILE).read_text(encoding="utf-8"))["episode"]
    print(built_line(folder / episode["file"], episode["duration_ms"], episode["loudness_lufs"],
                     episode["true_peak_dbtp"], time.perf_counter() - started, "unchanged"))
    logs.say(f"unchanged: the inputs, choices and audiopipe are those of the last build, and its {proved} files are as "
         "it wrote them (hashed): nothing to do (--remaster makes it all again)")
    if args.publish:
        refresh_and_publish(args, Path(args.manifests[0]).parent)
    return True


def stamp_build(stamped: tuple[Path, dict[str, Any]], show: Show | None) -> None:
    """After a build that ended well: its stamp, for the next one (*show*: the one whose feed was refreshed)."""
    from audiopipe.publish import stamp
    from audiopipe.publish.feed import read_served
    folder, inputs = stamped
    feed = folder.parent / "feed.xml" if show is not None else None
    served = read_served(folder)
    name = served[1].names.get(f"{folder.name}.mp3") if served else None
    stamp.write(folder, inputs, feed, name)
