"""The command line: ``audiopipe build|voices``.  A thin layer over :mod:`audiopipe.pipeline`.

One error boundary: an :class:`AudiopipeError` prints ``error: <one line>``
and exits 2; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from audiopipe import __version__
from audiopipe.errors import AudiopipeError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="audiopipe", description="Render bilingual (English + Mandarin) podcast episodes from YAML manifests.")
    parser.add_argument("--version", action="version", version=f"audiopipe {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    build = sub.add_parser("build", help="render an episode manifest to MP3 (and segments, report)",
                           description="Render episodes/<slug>.yaml to DIR/<slug>/<slug>.mp3 with "
                           "per-segment files and report.json.")
    build.add_argument("manifests", type=Path, nargs="+", metavar="MANIFEST",
                       help="episode manifests (YAML); several build as a batch that shares the cache "
                       "and synthesizes across episodes, one failure not stopping the others")
    build.add_argument("--out", type=Path, default=Path("output"), metavar="DIR",
                       help="output folder (default: output)")
    build.add_argument("--engine", metavar="NAME", help="use this engine for every segment: espeak, edge, "
                       "or auto (edge when its service answers, else espeak with a warning); default: each "
                       "voice profile's engine")
    build.add_argument("--cache", type=Path, metavar="DIR",
                       help="take cache folder (default: $AUDIOPIPE_CACHE or .cache/audiopipe)")
    build.add_argument("--voices", type=Path, metavar="DIR", help="voice profile folder (default: voices/)")
    build.add_argument("--show", type=Path, metavar="FILE", help="show settings (default: show.yaml)")
    build.add_argument("--jobs", type=int, default=2, metavar="N",
                       help="parallel workers for synthesis and, in a batch, episodes (default: 2)")
    build.add_argument("--connections", type=int, metavar="N",
                       help="edge engine: websocket connections at once (default 4)")
    build.add_argument("--retries", type=int, metavar="N",
                       help="edge engine: retries of a failed segment, with exponential backoff (default 4)")
    build.add_argument("--fit", action="store_true",
                       help="land in the show's duration window: adjust gaps and speaking rate (at most "
                       "the show's max_rate_change_pct, default 15%%), or say how much to cut")
    build.add_argument("--strict", action="store_true",
                       help="fail, writing nothing, when the episode is outside the duration window")
    build.add_argument("--no-feed", action="store_true",
                       help="do not refresh DIR/feed.xml after building (it is refreshed when show.yaml "
                       "has a base_url)")
    build.add_argument("--remaster", action="store_true",
                       help="master and encode the episode again even when its sound is unchanged "
                       "(by default an unchanged episode is reused and only re-tagged)")
    build.set_defaults(func=_cmd_build)

    feed = sub.add_parser("feed", help="write DIR/feed.xml from every built episode",
                          description="Write the podcast RSS feed (RSS 2.0 + itunes + podcast namespaces) "
                          "from the show settings and every episode built in DIR.")
    feed.add_argument("--out", type=Path, default=Path("output"), metavar="DIR",
                      help="the output folder holding the episodes (default: output)")
    feed.add_argument("--show", type=Path, metavar="FILE", help="show settings (default: show.yaml)")
    feed.set_defaults(func=_cmd_feed)

    voices = sub.add_parser("voices", help="list voice profiles and the engines' voices",
                            description="List the voice profiles in voices/ and every engine's voices.")
    voices.add_argument("--voices", type=Path, metavar="DIR", help="voice profile folder (default: voices/)")
    voices.add_argument("--engine", metavar="NAME", help="list only this engine's voices")
    voices.set_defaults(func=_cmd_voices)
    return parser


def _say(message: str) -> None:
    print(message, file=sys.stderr)


def _cmd_build(args: argparse.Namespace) -> int:
    from audiopipe.pipeline import BuildOptions, build
    from audiopipe.synth import tty_progress
    from audiopipe.engines import get_engine
    if args.engine is not None and args.engine != "auto":
        get_engine(args.engine)   # an unknown name fails before anything else
    if args.connections is not None or args.retries is not None:
        edge = get_engine("edge")
        if args.connections is not None:
            if not 1 <= args.connections <= 16:
                raise AudiopipeError("--connections: use 1..16 (the service blocks clients that open dozens)")
            edge.configure(connections=args.connections)   # type: ignore[attr-defined]
        if args.retries is not None:
            if not 0 <= args.retries <= 20:
                raise AudiopipeError("--retries: use 0..20")
            edge.configure(retries=args.retries)   # type: ignore[attr-defined]
    options = BuildOptions(out_dir=args.out, engine=args.engine, cache_dir=args.cache,
                           voices_dir=args.voices, show_file=args.show, workers=max(1, args.jobs),
                           fit=args.fit, strict=args.strict, remaster=args.remaster,
                           log=_say, progress=tty_progress)
    if len(args.manifests) > 1:
        from audiopipe.batch import build_many, summary
        outcomes = build_many(args.manifests, options)
        for line in summary(outcomes):
            print(line)
        if any(o.episode is not None for o in outcomes):
            _refresh_feed(args)          # once, at the end of the batch
        return 0 if all(o.episode is not None for o in outcomes) else 2
    episode = build(args.manifests[0], options)
    minutes, seconds = divmod(episode.duration_ms / 1000, 60)
    print(f"built {episode.mp3}: {int(minutes)}:{seconds:04.1f}, "
          f"{episode.loudness.integrated_lufs:.1f} LUFS, true peak {episode.loudness.true_peak_dbtp:.1f} dBTP, "
          f"in {episode.seconds:.1f} s ({episode.synthesized} synthesized, {episode.cached} cached)")
    for warning in episode.warnings:
        _say(f"warning: {warning}")
    _refresh_feed(args)
    return 0


def _refresh_feed(args: argparse.Namespace) -> None:
    if args.no_feed:
        return
    from audiopipe.publish import refresh_feed
    from audiopipe.show import find_show_file, load_show
    show = load_show(args.show or find_show_file(Path(args.manifests[0]).parent))
    if not show.base_url:
        _say("note: feed.xml not refreshed: show.yaml has no base_url")
        return
    print(f"feed: {refresh_feed(args.out, show)}")


def _cmd_feed(args: argparse.Namespace) -> int:
    from audiopipe.publish import refresh_feed
    from audiopipe.show import find_show_file, load_show
    show = load_show(args.show or find_show_file(Path.cwd()))
    path = refresh_feed(args.out, show)
    print(f"wrote {path}")
    return 0


def _cmd_voices(args: argparse.Namespace) -> int:
    from audiopipe.engines import ENGINE_NAMES, get_engine
    from audiopipe.voices import find_voices_dir, load_profiles
    profiles = load_profiles(args.voices or find_voices_dir(Path.cwd()))
    print("profiles:")
    for name, p in sorted(profiles.items()):
        where = p.path or "built-in"
        voices = ", ".join(f"{e}={v}" for e, v in p.voices.items())
        print(f"  {name:<14} {p.language}  engine={p.engine}  {voices}  rate={p.rate:+d}%  ({where})")
    names = [args.engine] if args.engine else list(ENGINE_NAMES)
    for name in names:
        engine = get_engine(name)
        print(f"{name} voices ({engine.version()}):")
        for v in engine.list_voices():
            print(f"  {v.lang:<3} {v.name:<24} {v.description}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        code: int = args.func(args)
        return code
    except AudiopipeError as exc:
        _say(f"error: {exc.message}")
        return 2
    except KeyboardInterrupt:
        _say("interrupted; finished takes are cached, so a re-run continues where this stopped")
        return 130
