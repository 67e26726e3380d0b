"""``audiopipe publish``: what the feeds serve, sent to the show's remote through rclone, and a summary."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from audiopipe.errors import AudiopipeError


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
    publish.add_argument("--no-check", action="store_true", help="do not fetch the feed back from base_url")
    publish.set_defaults(func=_cmd_publish)


def _cmd_publish(args: argparse.Namespace) -> int:
    from audiopipe.config.show import find_show_file, load_show
    from audiopipe.publish import remote
    from audiopipe.review.release import refresh_feed
    show = load_show(args.show or find_show_file(Path.cwd()))
    dest = args.to or show.publish_to
    if not dest:
        raise AudiopipeError("publish: no destination; give --to REMOTE:PATH, or `publish: {to: REMOTE:PATH}` in "
                             "show.yaml (the remote as `rclone config` names it)")
    if show.base_url:
        refresh_feed(args.out, show)            # the gate first: only what passed is published
    outcome = remote.publish(args.out, dest, args.dry_run)
    _summary(outcome, dest, args.dry_run)
    mp3 = next((item.remote for item in outcome.sent + outcome.skipped if item.remote.endswith(".mp3")), None)
    if show.base_url and not args.dry_run and not args.no_check:
        for line in remote.check_public(show.base_url, mp3):
            print(line)
    return 0


def _summary(outcome: Any, dest: str, dry_run: bool) -> None:
    rows = {"episodes": "hashed", "artwork": "artwork", "feeds": "feed"}
    print(f"{'would publish' if dry_run else 'published'} to {dest}:")
    print(f"  {'':<10}{'sent':>6}{'skipped':>9}{'bytes sent':>13}")
    for label, kind in rows.items():
        sent = [i for i in outcome.sent if i.kind == kind]
        skipped = [i for i in outcome.skipped if i.kind == kind]
        print(f"  {label:<10}{len(sent):>6}{len(skipped):>9}{sum(i.local.stat().st_size for i in sent):>13}")
    print(f"  {'total':<10}{len(outcome.sent):>6}{len(outcome.skipped):>9}{outcome.bytes_sent:>13}   "
          f"in {outcome.seconds:.1f} s")
