"""The command line: ``audiopipe build|voices``.  A thin layer over :mod:`audiopipe.pipeline`.

One error boundary: an :class:`AudiopipeError` prints ``error: <one line>``
and exits 2; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from audiopipe import __version__, logs
from audiopipe.errors import AudiopipeError
from audiopipe.progress import Progress
from audiopipe.qa.findings import say as say_findings
from audiopipe.studio import commands, publishing
from audiopipe.tools import memory


class _Parser(argparse.ArgumentParser):
    """argparse with our one line for a bad command line (not the usage block), exit 2."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"error: {self.prog}: {message}; see `{self.prog} --help`\n")
        sys.exit(2)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="audiopipe", description="Render bilingual (English + Mandarin) podcast episodes from YAML manifests.")
    parser.add_argument("--version", action="version", version=f"audiopipe {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_build(sub)
    _add_qa(sub)
    _add_retake(sub)
    commands.add(sub)                    # review, release
    publishing.add(sub)                  # publish, feed
    _add_import(sub)
    _add_voices(sub)
    return parser


def _add_build(sub: Any) -> None:
    build = sub.add_parser("build", help="render an episode manifest to MP3 (and segments, report)",
                           description="Render episodes/<slug>.yaml to DIR/<slug>/<slug>.mp3 with "
                           "per-segment files and report.json.")
    build.add_argument("manifests", type=Path, nargs="+", metavar="MANIFEST",
                       help="episode manifests (YAML); several build as a batch that shares the cache "
                       "and synthesizes across episodes, one failure not stopping the others")
    build.add_argument("--out", type=Path, default=Path("output"), metavar="DIR",
                       help="output folder (default: output)")
    build.add_argument("--quiet", action="store_true", help="no progress display")
    build.add_argument("--engine", metavar="NAME", help="use this engine for every segment: kokoro, espeak, "
                       "edge, offline (the best offline engine installed: kokoro with its extra, else espeak) or "
                       "auto (edge when its service answers, else offline, with a warning); default: each voice "
                       "profile's engine (offline when it names none)")
    build.add_argument("--cache", type=Path, metavar="DIR",
                       help="take cache folder (default: $AUDIOPIPE_CACHE or .cache/audiopipe)")
    build.add_argument("--voices", type=Path, metavar="DIR", help="voice profile folder (default: voices/)")
    build.add_argument("--show", type=Path, metavar="FILE", help="show settings (default: show.yaml)")
    build.add_argument("--jobs", type=int, default=2, metavar="N",
                       help="parallel workers for synthesis and, in a batch, episodes (default: 2)")
    build.add_argument("--scheduler", metavar="ADDRESS", default=os.environ.get("AUDIOPIPE_SCHEDULER") or None,
                       help="make the takes not in the cache on a Dask cluster (tcp://HOST:8786; default: "
                       "$AUDIOPIPE_SCHEDULER); needs the cluster extra here and audiopipe on every worker")
    build.add_argument("--connections", type=int, metavar="N",
                       help="edge engine: websocket connections at once (default 4)")
    build.add_argument("--retries", type=int, metavar="N",
                       help="edge engine: retries of a failed segment, with exponential backoff (default 4)")
    build.add_argument("--fallback", metavar="ENGINE",
                       help="when a segment still fails on its engine after the retries, make it with this engine "
                       "(e.g. --engine edge --fallback kokoro); the episode is held out of the feed unless "
                       "--publish-fallback")
    build.add_argument("--publish-fallback", action="store_true",
                       help="publish an episode even when some of it was made by a fallback engine")
    build.add_argument("--draft", action="store_true",
                       help="a quick draft with the instant offline engine (same as --engine espeak)")
    build.add_argument("--fit", action="store_true",
                       help="land in the show's duration window: adjust gaps and speaking rate (at most "
                       "the show's max_rate_change_pct, default 15%%), or say how much to cut")
    build.add_argument("--strict", action="store_true",
                       help="fail, writing nothing, when the episode is outside the duration window or a "
                       "story's English and Chinese figures contradict each other or are in doubt (a warning)")
    build.add_argument("--publish", action="store_true", help="after the feed, send what it serves to show.yaml's "
                       "publish.to (as `audiopipe publish` does)")
    build.add_argument("--no-feed", action="store_true",
                       help="do not refresh DIR/feed.xml after building (it is refreshed when show.yaml "
                       "has a base_url)")
    build.add_argument("--remaster", action="store_true",
                       help="master and encode the episode again even when its sound is unchanged "
                       "(by default an unchanged episode is reused and only re-tagged)")
    build.add_argument("--asr", action="store_true",
                       help="include speech recognition in the QA checks (needs: pip install 'audiopipe[asr]')")
    build.add_argument("--no-qa", action="store_true", help="skip the QA checks and page")
    build.set_defaults(func=_cmd_build)


def _add_qa(sub: Any) -> None:
    qa = sub.add_parser("qa", help="check a built episode and rewrite its QA page (exit 1 when a check fails)",
                        description="Run the QA checks on DIR/SLUG (languages in order, silence, clipping, "
                        "cut-short takes, loudness, duration, decoding, tags and chapters, voice language, and "
                        "with --asr speech recognition) and rewrite DIR/SLUG/qa.html.")
    from audiopipe.workspace import episode_arguments
    episode_arguments(qa)
    qa.add_argument("--cache", type=Path, metavar="DIR", help="take cache folder (default: .cache/audiopipe)")
    qa.add_argument("--asr", action="store_true", help="transcribe every segment and score it against its text")
    qa.add_argument("--strict", action="store_true", help="a figure in doubt (a warning of the figures check) fails "
                    "QA too, so the episode is held out of the feed")
    qa.add_argument("--open", action="store_true", help="open the page in a browser")
    qa.add_argument("--quiet", action="store_true", help="no progress display")
    qa.set_defaults(func=_cmd_qa)


def _add_retake(sub: Any) -> None:
    retake = sub.add_parser("retake", help="re-synthesize one segment and rebuild the episode from cached takes",
                            description="Synthesize segment N of an episode again (optionally with another voice "
                            "profile or rate, which later builds keep) and rebuild the episode from the cache.")
    retake.add_argument("slug", help="the episode (its manifest's file stem)")
    retake.add_argument("segment", type=int, help="the segment's number (the # column of the QA page)")
    retake.add_argument("--voice", metavar="PROFILE", help="another voice profile of the same language")
    retake.add_argument("--rate", type=int, metavar="PCT", help="another speaking rate, percent (-50..100)")
    retake.add_argument("--engine", metavar="NAME", help="another engine for this segment")
    retake.add_argument("--out", type=Path, default=Path("output"), metavar="DIR", help="output folder (default: output)")
    retake.add_argument("--cache", type=Path, metavar="DIR", help="take cache folder (default: .cache/audiopipe)")
    retake.add_argument("--quiet", action="store_true", help="no progress display")
    retake.set_defaults(func=_cmd_retake)


def _add_import(sub: Any) -> None:
    imp = sub.add_parser("import", help="turn a bilingual news script (text) into an episode manifest",
                         description="Read a pasted bilingual script (UTF-8 text; BOM, CRLF, full-width characters "
                         "and non-breaking spaces are fine) and write a manifest that `audiopipe build` accepts.")
    imp.add_argument("script", type=Path, help="the script, a UTF-8 text file")
    imp.add_argument("-o", "--output", type=Path, metavar="FILE",
                     help="the manifest to write (default: episodes/<script stem>.yaml)")
    imp.add_argument("--force", action="store_true", help="overwrite an existing manifest")
    imp.set_defaults(func=_cmd_import)


def _add_voices(sub: Any) -> None:
    voices = sub.add_parser("voices", help="list voice profiles and the engines' voices",
                            description="List the voice profiles in voices/ and every engine's voices.")
    voices.add_argument("--voices", type=Path, metavar="DIR", help="voice profile folder (default: voices/)")
    voices.add_argument("--engine", metavar="NAME", help="list only this engine's voices")
    voices.add_argument("--fetch", action="store_true",
                        help="install Kokoro's native voices (the pinned kokoro-js tarball, by npm or from the npm "
                             "registry; what `make install` runs)")
    voices.add_argument("--tarball", type=Path, metavar="FILE",
                        help="with --fetch: a kokoro-js tarball already at hand (an air-gapped box), checked the same")
    voices.set_defaults(func=_cmd_voices)


_REPORTERS: list[Progress] = []


def _progress(args: argparse.Namespace) -> Progress | None:
    """The progress display for a command (closed when the command ends), or None with --quiet."""
    if getattr(args, "quiet", False):
        return None
    reporter = Progress()
    _REPORTERS.append(reporter)
    return reporter


def _cmd_build(args: argparse.Namespace) -> int:
    if args.draft:
        if args.engine not in (None, "espeak"):
            raise AudiopipeError("--draft uses the espeak engine; drop --engine or --draft")
        args.engine = "espeak"
    if (stamped := publishing.made_from(args)) and publishing.nothing_to_do(args, *stamped):
        return 0
    from audiopipe.engines import check_name
    from audiopipe.options import BuildOptions, Choices, Run
    from audiopipe.pipeline import build
    from audiopipe.qa.findings import failed, summary
    if args.engine is not None:
        check_name(args.engine, allow_auto=True)   # an unknown name fails before anything else
    if args.fallback is not None:
        check_name(args.fallback)
    if args.connections is not None and not 1 <= args.connections <= 16:
        raise AudiopipeError("--connections: use 1..16 (the service blocks clients that open dozens)")
    if args.retries is not None and not 0 <= args.retries <= 20:
        raise AudiopipeError("--retries: use 0..20")
    if args.scheduler is not None and not re.fullmatch(r"(tcp|tls)://[^\s/:]+:\d{1,5}/?|[^\s/:]+:\d{1,5}", args.scheduler):
        raise AudiopipeError(f"--scheduler {args.scheduler!r}: give the scheduler's address as tcp://HOST:PORT "
                             "(dask scheduler prints it; the port is 8786 by default)")
    options = BuildOptions(
        Choices(engine=args.engine, voices_dir=args.voices, show_file=args.show, fit=args.fit, strict=args.strict,
                remaster=args.remaster, fallback_engine=args.fallback, publish_fallback=args.publish_fallback,
                qa=not args.no_qa, asr=args.asr),
        Run(out_dir=args.out, cache_dir=args.cache, workers=max(1, args.jobs), connections=args.connections,
            retries=args.retries, scheduler=args.scheduler, progress=_progress(args)))
    if len(args.manifests) > 1:
        from audiopipe.batch import build_many
        from audiopipe.batch import summary as batch_summary
        outcomes = build_many(args.manifests, options)
        for line in batch_summary(outcomes):
            print(line)
        if any(o.episode is not None for o in outcomes):
            publishing.refresh_and_publish(args, Path(args.manifests[0]).parent)          # once, at the end of the batch
        if not all(o.episode is not None for o in outcomes):
            return 2
        return 1 if any(o.episode is not None and failed(o.episode.findings) for o in outcomes) else 0
    episode = build(args.manifests[0], options)
    print(publishing.built_line(episode.mp3, episode.duration_ms, episode.loudness.integrated_lufs,
                                episode.loudness.true_peak_dbtp, episode.seconds,
                                f"{episode.synthesized} synthesized, {episode.cached} cached"))
    for warning in episode.warnings:
        logs.say(f"warning: {warning}")
    if episode.findings:
        say_findings(episode.findings)
        print(f"{summary(episode.findings)}; page: {episode.folder / 'qa.html'}")
        if failed(episode.findings):
            from audiopipe.publish.episode import published_at
            stays = (" (the feed keeps the build published before, in published/)"
                     if published_at(episode.folder) else "")
            logs.say(f"error: QA failed: the episode was built but not published to the feed{stays}; fix it and "
                 "rebuild (or `audiopipe retake`)")
            return 1
    show = publishing.refresh_and_publish(args, Path(args.manifests[0]).parent)
    if stamped:
        publishing.stamp_build(stamped, show)
    return 0


def _cmd_qa(args: argparse.Namespace) -> int:
    from audiopipe.qa import checks
    from audiopipe.synth.cache import default_cache_dir
    from audiopipe.workspace import Workspace
    workspace = Workspace(args.out, args.show)
    episode = workspace.episode(args.slug)
    folder, show = episode.folder, workspace.show_of(episode)
    findings, page = checks.review(folder, show, args.cache or default_cache_dir(), args.asr,
                                   _progress(args), args.strict)
    say_findings(findings)
    print(f"{checks.summary(findings)}; page: {page}")
    if args.open:
        import webbrowser
        webbrowser.open(page.resolve().as_uri())
    return 1 if checks.failed(findings) else 0


def _cmd_retake(args: argparse.Namespace) -> int:
    from audiopipe.qa.findings import failed, summary
    from audiopipe.studio.retake import retake
    from audiopipe.synth.override import Override
    from audiopipe.workspace import Workspace
    folder = Workspace(args.out).episode(args.slug).folder
    chosen = args.voice or args.rate is not None or args.engine
    done = retake(folder, args.segment, Override(args.voice, args.rate, args.engine) if chosen else None,
                  args.cache, _progress(args))
    episode = done.episode
    print(f"re-took segment {args.segment}; rebuilt {episode.mp3} in {episode.seconds:.1f} s "
          f"({episode.synthesized} synthesized, {episode.cached} cached)")
    if episode.findings:
        say_findings(episode.findings)
        print(summary(episode.findings))
        if failed(episode.findings):
            return 1
    from audiopipe.publish.record import EpisodeRecord
    recorded = EpisodeRecord.load(folder).build.options
    args.show = Path(recorded.show) if recorded.show else None
    publishing.refresh_and_publish(args, Path(EpisodeRecord.load(folder).episode.manifest).parent)
    return 0


def _cmd_import(args: argparse.Namespace) -> int:
    from audiopipe.script import importer
    from audiopipe.tools.fsutil import write_text
    target = args.output or Path("episodes") / f"{args.script.stem}.yaml"
    if target.suffix not in (".yaml", ".yml"):
        raise AudiopipeError(f"{target}: a manifest must be a .yaml file; give -o episodes/NAME.yaml")
    if target.exists() and not args.force:
        raise AudiopipeError(f"{target}: already exists; choose another -o or add --force to overwrite it")
    imported = importer.parse(args.script)
    if not imported.blocks:
        raise AudiopipeError(f"{args.script}: no story text found (only headlines, credits or blank lines); "
                             "check the file")
    write_text(target, importer.checked_yaml(imported, args.script, target))
    kind = "stories" if imported.bilingual else "a free script (some stretches are in one language)"
    print(f"wrote {target}: {len(imported.blocks)} blocks as {kind}; {len(imported.dropped)} lines left out "
          "(listed as comments at the top)")
    from audiopipe.options import BuildOptions, Choices
    from audiopipe.pipeline import estimate_lines
    for line in estimate_lines(target, BuildOptions(Choices(offline=True, qa=False))):
        print(line)
    return 0


def _cmd_voices(args: argparse.Namespace) -> int:
    if args.fetch or args.tarball is not None:
        from audiopipe.engines import voicepack
        print(voicepack.install(args.tarball))    # no network: a note, and kokoro's Japanese-trained voices
        return 0
    from audiopipe.config.voices import load_profiles
    from audiopipe.engines import ENGINE_NAMES, EngineOptions, Engines
    from audiopipe.synth.cache import default_cache_dir
    from audiopipe.workspace import Workspace
    profiles = load_profiles(Workspace(voices_given=args.voices).voices_dir(Path.cwd()))
    print("profiles:")
    for name, p in sorted(profiles.items()):
        where = p.path or "built-in"
        voices = ", ".join(f"{e}={v}" for e, v in p.voices.items())
        print(f"  {name:<14} {p.language}  engine={p.engine}  {voices}  rate={p.rate:+d}%  ({where})")
    names = [args.engine] if args.engine else list(ENGINE_NAMES)
    engines = Engines(EngineOptions(default_cache_dir()))
    for name in names:
        engine = engines.get(name)
        print(f"{name} voices ({engine.version()}):")
        listed = engine.list_voices()
        for v in listed:
            print(f"  {v.lang:<5} {v.name:<24} {v.description}")
        if engine.note:
            print(f"  ({engine.note})")
        elif not listed:
            print("  (none found)")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    memory.limit_arenas()             # a batch's peak memory stays flat (see tools/memory.py)
    logs.console()                    # audiopipe's log lines on stderr
    try:
        code: int = args.func(args)
        return code
    except AudiopipeError as exc:
        logs.say(f"error: {exc.message}")
        return 2
    except OSError as exc:            # the machine, not a bug: a full disk, a read-only folder, a lost file
        from audiopipe.tools.fsutil import os_error
        logs.say(f"error: {os_error(exc, what='failed').message}")
        return 2
    except KeyboardInterrupt:
        logs.say("interrupted; finished takes are cached, so a re-run continues where this stopped")
        return 130
    finally:
        while _REPORTERS:
            _REPORTERS.pop().close()
