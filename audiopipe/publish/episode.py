"""Publishing one episode: the cover, its ID3 tags (with chapters and transcript), the VTT/SRT
transcripts and chapters.json beside the MP3, and the feed of every episode."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from audiopipe import __version__
from audiopipe.config.show import Show
from audiopipe.errors import AudiopipeError
from audiopipe.publish import artwork, credentials, guids, transcript
from audiopipe.publish.index import Entry, FeedIndex, Item, fingerprint
from audiopipe.publish.record import FILE, PUBLISHED, EpisodeRecord, disclosure, previous_guid, video_file, voices_of
from audiopipe.publish.tags import Chapter, EpisodeTags, write_tags
from audiopipe.text import ISO639_2, LANGS
from audiopipe.tools.fsutil import (
    atomic_path,
    copy_file,
    identities,
    identity,
    publish_file,
    read_json,
    sha256_of,
    write_text,
)
from audiopipe.tools.fsutil import held as taking_turns
from audiopipe.tools.images import check_artwork

if TYPE_CHECKING:
    from audiopipe.publish.feed import HoldRule

FALLBACK_FEED = "urn:audiopipe:"


def cover(show: Show, out_dir: Path, cache_dir: Path | None = None) -> Path:
    """The show's cover inside *out_dir* (served with the episodes): generated, or the show's own copied."""
    out_dir.mkdir(parents=True, exist_ok=True)
    if show.artwork is None:
        return artwork.cover_file(show.title, show.author, None, out_dir)
    check_artwork(show.artwork)
    target = out_dir / f"artwork{show.artwork.suffix.lower()}"
    if not target.is_file() or target.read_bytes() != show.artwork.read_bytes():
        with atomic_path(target) as tmp:
            shutil.copyfile(show.artwork, tmp)
    return target


def episode_guid(show: Show, slug: str, folder: Path) -> str:
    """The episode's guid: the one it was first published with, else a UUIDv5 of feed URL and slug."""
    return previous_guid(folder) or guids.episode_guid(show.feed or FALLBACK_FEED + show.title, slug)


def episode_tags(record: EpisodeRecord, show: Show, cover_path: Path, cache_dir: Path | None = None,
                 feed_url: str | None = None) -> EpisodeTags:
    """The ID3 tags of an episode (or, with its language feed's *feed_url*, of an edition: its guid lives
    in that feed, so its WFED names that feed)."""
    ep = record.episode
    engines = sorted({s.engine for s in record.segments})
    fallback = [str(s.index) for s in record.segments if s.fallback]
    also = f" (fallback for segment{'s' if len(fallback) > 1 else ''} {', '.join(fallback)})" if fallback else ""
    return EpisodeTags(
        title=ep.title, show=show.title, artist=show.author, date=ep.date,
        episode=ep.episode, description=ep.description or "",
        languages=tuple(ISO639_2[lang] for lang in ep.order),
        comment=f"made with audiopipe; engines: {', '.join(engines)}{also}",
        cover_jpeg=artwork.embedded_jpeg(cover_path, cache_dir) if show.artwork is not None
        else artwork.generated_jpeg(show.title, show.author),
        chapters=tuple(Chapter(c.start_ms, c.end_ms, c.title) for c in record.chapters),
        transcript=transcript.plain_text(record),
        guid=record.guid, feed_url=feed_url or show.feed, disclosure=disclosure(show, record),
    )


def tag_episode(mp3: Path, record: EpisodeRecord, show: Show, out_dir: Path, cache_dir: Path,
                signing: credentials.Credentials, feed_url: str | None = None) -> None:
    """Write the episode's ID3 tag (the cover embedded, the disclosure) into *mp3*, then embed its signed
    content credentials (which cover the tag: nothing may change the file after)."""
    write_tags(mp3, episode_tags(record, show, cover(show, out_dir), cache_dir / "mastered", feed_url))
    credentials.sign(mp3, credentials.manifest(record.episode.title, voices_of(record)), signing, cache_dir)




def write_sidecars(folder: Path, record: EpisodeRecord) -> None:
    """transcript.vtt, transcript.srt, each language's transcript.<lang>.vtt and chapters.json beside the MP3."""
    cues = transcript.cues_of(record)
    write_text(folder / "transcript.vtt", transcript.to_vtt(cues))
    write_text(folder / "transcript.srt", transcript.to_srt(transcript.cues_of(record, transcript.two_lines)))
    for lang in LANGS:            # one language's cues on the bilingual timeline (the feed's per-language captions)
        write_text(folder / f"transcript.{lang}.vtt", transcript.to_vtt([c for c in cues if c.lang == lang]))
    write_text(folder / "chapters.json", transcript.chapters_json(record))


def published_files(record: EpisodeRecord) -> list[str]:
    """What the feed of an episode points at: its MP3s, transcripts and chapters, its video (names in its
    folder; a file the build did not write is left out)."""
    names = [record.episode.file, "transcript.vtt", "transcript.srt", *(f"transcript.{lang}.vtt" for lang in LANGS),
             "chapters.json"]
    for edition in record.editions:
        names += [edition.file, edition.transcript, edition.chapters_file]
    return [*names, video_file(record.episode.slug)]          # the video edition, when show.yaml asks for it


def served_name(name: str, digest: str) -> str:
    """A published file's name: its own with its content hash before the extension (two-stories.3fa2c1d0e9b8.mp3)."""
    stem, dot, ext = name.rpartition(".")
    return f"{stem}.{digest[:12]}.{ext}" if dot else f"{name}.{digest[:12]}"


def promote(folder: Path, record: EpisodeRecord) -> None:
    """The build in *folder* becomes the published episode.  Its files are copied into published/ under
    names that carry their content hash, each atomically; then published.json (the record and those
    names) is replaced, which is the switch.  Nothing the feed points at is overwritten or removed here
    (:func:`sweep_served` does, once the feeds point at the new files), so a kill at any moment leaves a
    feed whose every URL serves whole bytes of the length it says.  A published copy whose name carries
    the digest is trusted by that name when its size is the working file's; published.json is rewritten
    only when what it says changes."""
    from audiopipe.publish.feed import SERVED, sri
    target = folder / PUBLISHED
    try:                                     # the integrity values of the files published before: a name
        old = read_json(target / SERVED)     # carries its hash
        known = old.get("integrity", {})
    except (OSError, ValueError, AttributeError):
        old, known = None, {}
    known = known if isinstance(known, dict) else {}
    names: dict[str, str] = {}
    integrity: dict[str, str] = {}
    for name in published_files(record):
        if (folder / name).is_file():
            names[name] = served_name(name, sha256_of(folder / name))
            copy = target / names[name]
            if not (copy.is_file() and copy.stat().st_size == (folder / name).stat().st_size):
                publish_file(folder / name, copy)
            if name.endswith((".mp3", ".mp4")):     # the feed's podcast:integrity, measured once per file
                integrity[names[name]] = known.get(names[name]) or sri(copy)
    served = {"files": names, "integrity": integrity, "record": record.to_json()}
    if served != old:
        write_text(target / SERVED, json.dumps(served, ensure_ascii=False, indent=1) + "\n")


def published_at(folder: Path) -> str | None:
    """When the episode in *folder* was last promoted ("2026-11-30 07:20 UTC"), or None if never."""
    from audiopipe.publish.feed import SERVED
    try:
        stamp = (folder / PUBLISHED / SERVED).stat().st_mtime
    except FileNotFoundError:
        return None
    return dt.datetime.fromtimestamp(stamp, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def sweep_served(out_dir: Path, folders: list[Path] | None = None) -> None:
    """Remove from every published/ folder (of *folders*, else of every episode) the files its
    published.json no longer names (after the feeds were written: no feed points at them any more)."""
    from audiopipe.publish.feed import SERVED, read_served
    found_files = sorted(out_dir.glob(f"*/{PUBLISHED}/{SERVED}")) if folders is None else [
        f / PUBLISHED / SERVED for f in folders if (f / PUBLISHED / SERVED).is_file()]
    for served in found_files:
        found = read_served(served.parent.parent)
        if found is None:
            continue
        keep = {SERVED, *found[1].names.values()}
        for path in served.parent.iterdir():
            if path.is_file() and path.name not in keep and not path.name.endswith(".part"):
                path.unlink(missing_ok=True)


def write_feeds(out_dir: Path, show: Show, hold: HoldRule, held: list[tuple[str, str]] | None = None,
                 watched: tuple[str, ...] = (), full: bool = False, notes: list[str] | None = None) -> Path:
    """Promote every built episode *hold* lets through, then write out_dir/feed.xml (and the language
    feeds) from the published episodes and the items of episodes gone from disk; an episode held now keeps
    its published build in the feed (*held* says so).  An episode folder whose files (and the *watched*
    ones the hold rule reads, and its published copies) are as the last refresh left them is not read again
    (`index`); *full* reads every folder again, as if there were no index.  A published copy found changed
    is restored from its working file, or its episode leaves the feeds; *notes* says which."""
    with taking_turns(out_dir / ".feed.lock"):     # builds into one folder: one promotes and writes at a time
        from audiopipe.publish import (  # ElementTree and friends: only when the feed is written
            feed,
            indexed,
        )
        feed.require_publishable(show)
        art = cover(show, out_dir)
        art_url = feed.artwork_url(out_dir, show, art.name)
        index = FeedIndex.load(out_dir, {"audiopipe": __version__, "writer": indexed.writer_code(),
                                         "show": _show_key(show), "artwork": art_url})
        if full:
            index = FeedIndex(index.path, index.header)
        langs: tuple[str | None, ...] = (None, "en", "zh") if show.editions else (None,)
        for lang in langs:
            target = out_dir / feed.feed_name(lang)
            if target.exists() and not target.is_file():
                raise AudiopipeError(f"{target}: not a regular file (a FIFO, a device or a folder); move it away, "
                                     "then run `audiopipe feed` (nothing was written)")
        looked: list[Path] = []
        present: dict[str, Entry] = {}
        for report in sorted(out_dir.glob(f"*/{FILE}")):
            folder = report.parent
            entry = index.unchanged(folder, watched)
            if entry is None:
                entry = _look_at(folder, show, hold, watched, langs, art_url, notes)
                looked.append(folder)
            present[folder.name] = entry
            if entry.hold is not None and held is not None:
                held.append((entry.slug, entry.hold))
        gone_now = {name: e for name, e in index.episodes.items() if name not in present}
        changed = bool(looked or gone_now) or index.fresh
        feeds = [feed.feed_name(lang) for lang in langs]
        if changed or any(identity(out_dir / name) != (w.seen if (w := index.feeds.get(name)) else None) for name in feeds):
            changed = True                     # a feed is written: every item is needed
            index.read_items(lambda name: indexed.items_of(feed.read_served(out_dir / name), show, art_url, langs))
        for entry in gone_now.values():          # an episode whose folder is gone: its items stay in the feeds
            for lang_key, item in (entry.items or {}).items():
                index.gone.setdefault(item[2], {})[lang_key] = item
        index.episodes = present
        on_disk = {guid for e in present.values() for guid in e.guids}
        index.gone = {g: items for g, items in index.gone.items() if g not in on_disk}
        before = dict(index.feeds)
        path = out_dir / feed.feed_name(None)
        for lang in langs:
            path_of = indexed.write_indexed(out_dir, show, art_url, lang, index, changed)
            path = path_of if lang is None else path
        sweep_served(out_dir, None if index.fresh else looked)
        if changed or index.feeds != before:
            index.fresh = False
            index.save()
        return path


def _show_key(show: Show) -> str:
    """What of the show an item or the gate depends on, as a digest: any setting changed, every folder is
    looked at again."""
    return hashlib.sha256(repr(show).encode("utf-8")).hexdigest()[:16]


def check_served(folder: Path) -> list[str]:
    """Every published copy of the episode in *folder* against the digest its name carries.  A copy that
    differs is copied again from the working file when that still has the named bytes; what cannot be
    restored is named.  Returns what it did, one phrase a copy ("restored …", "changed …")."""
    from audiopipe.publish.feed import read_served
    found = read_served(folder)
    if found is None:
        return []
    said = []
    for name, published in found[1].names.items():
        copy, digest = folder / PUBLISHED / published, published.rsplit(".", 2)[-2]
        if copy.is_file() and sha256_of(copy).startswith(digest):
            continue
        working = folder / name
        if working.is_file() and sha256_of(working).startswith(digest):
            copy_file(working, copy)
            said.append(f"restored {PUBLISHED}/{published} from {name}")
        else:
            said.append(f"{PUBLISHED}/{published} changed after it was published, and no working file has its bytes")
    return said


def _look_at(folder: Path, show: Show, hold: HoldRule, watched: tuple[str, ...], langs: tuple[str | None, ...],
             art_url: str, notes: list[str] | None = None) -> Entry:
    """Check the published copies, read, judge and (if it passes) promote the episode in *folder*; its entry
    for the index, the identities taken before anything was read (a file that changes meanwhile is looked
    at next time)."""
    from audiopipe.publish import feed, indexed
    first = identities(folder, [FILE])             # before it is read: a rewrite meanwhile is seen next time
    record = EpisodeRecord.load(folder)
    names = [FILE, *watched, *published_files(record)]
    before = first + identities(folder, names[1:])
    damaged = check_served(folder)
    reason = hold(folder, record) if (folder / record.episode.file).is_file() else "not built"
    if reason is None:
        promote(folder, record)
    else:
        when = published_at(folder)
        if when is not None:
            reason += f"; the feed keeps the episode as published on {when}"
    lost = [line for line in damaged if not line.startswith("restored")]
    found = feed.read_served(folder)               # as promoted (or as it was, when held)
    if lost and reason is not None:                   # held, and what the feed served is damaged: not served
        reason = (f"{lost[0]}; the episode is out of the feeds until a build of it passes QA again (rebuild it)")
        items: dict[str, Item] = {}
    else:
        items = indexed.items_of(found, show, art_url, langs)
    if notes is not None:
        notes += [f"{record.episode.slug}: {line}" for line in damaged]
    names += [PUBLISHED, f"{PUBLISHED}/{feed.SERVED}",
              *(f"{PUBLISHED}/{name}" for name in (found[1].names.values() if found else ()))]
    seen = fingerprint(before + identities(folder, names[len(before):]))
    return Entry(record.episode.slug, names, seen, reason, [record.guid, *(e.guid for e in record.editions)], items)
