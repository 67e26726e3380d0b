"""The video edition: ``<slug>.mp4`` for YouTube and one vertical clip per story for short-video apps.

Both are the mastered MP3's programme over a still picture, with the transcript's captions burned in
(English and Chinese each in its own style, lines broken as in the SRT, Chinese by CLREQ's rules), made
by the ffmpeg of the imageio-ffmpeg wheel (libx264, AAC, libass):

- ``<slug>.mp4``: 1920×1080, the cover on the left of a plain panel, the show's and the episode's titles
  over it, a card with each story's title as it begins (both languages), the captions under it; 2 frames a
  second, x264 tuned for still images, AAC 128 kb/s; the video track is cut on a frame at or before the
  programme's end, so the file lasts as long as the MP3.
- ``<slug>-clip-<n>-<title>.mp4``: 1080×1920, at most :data:`CLIP_MAX_S` seconds: the story's English,
  then its Chinese as far as whole captions fit; the captions large.
- ``chapters-youtube.txt``: the lines YouTube reads as chapters from a description (the first at 0:00, at
  least three, each at least 10 s: shorter ones are joined to the next), each title in both languages.

The font is Noto Sans CJK (SIL Open Font License 1.1, licence in its wheel's dist-info) from the
``manimgx-fonts-cjk`` wheel, checked against :data:`FONT_SHA256`: no system font is used.
"""

from __future__ import annotations

import hashlib
import importlib.util
import math
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from audiopipe import logs
from audiopipe.config.show import Show
from audiopipe.errors import AudiopipeError
from audiopipe.produce.editions import first_clause
from audiopipe.publish.artwork import still
from audiopipe.publish.record import ChapterRecord, EpisodeRecord, video_file
from audiopipe.publish.transcript import SRT_WIDTH, Cue, cues_of, two_lines, wrap
from audiopipe.tools import ffmpeg
from audiopipe.tools.fsutil import atomic_path, sha256_of, write_text

FPS = 2
WIDE, TALL = (1920, 1080), (1080, 1920)
CLIP_MAX_S = 60.0
FONT_PACKAGE, FONT_FILE, FONT_NAME = "manimgx_fonts_cjk", "NotoSansCJK-VF.otf.ttc", "Noto Sans CJK SC"
FONT_SHA256 = "d3d8256cdec8dbcb3552284bc6b20c734dd60c2ee9df83b5758e34807c4bac32"
"""Noto Sans CJK (variable, the five regions in one collection) of manimgx-fonts-cjk 2026.9.26.post1."""
YOUTUBE_FILE = "chapters-youtube.txt"
KEY_FILE = ".video.key"
MIN_CHAPTER_S = 10
CARD_MS = 3500
"""How long a story's title card shows as the story begins."""
ENCODE = ["-c:v", "libx264", "-preset", "veryfast", "-tune", "stillimage", "-crf", "28", "-pix_fmt", "yuv420p",
          "-x264-params", "rc-lookahead=4", "-threads", "2", "-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart"]
MISSING_FONT = ("video: the captions' font is not installed; run `make install` (or pip install "
                "'audiopipe[video]'), which installs Noto Sans CJK from the manimgx-fonts-cjk wheel")


def clip_name(slug: str, story: int, title: str) -> str:
    words = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40].strip("-")
    return f"{slug}-clip-{story:02d}" + (f"-{words}" if words else "") + ".mp4"


def font_dir() -> Path:
    """The folder holding the pinned font (one line when it is missing or another file)."""
    spec = importlib.util.find_spec(FONT_PACKAGE)
    folder = Path(next(iter(spec.submodule_search_locations))) if spec and spec.submodule_search_locations else None
    if folder is None or not (folder / FONT_FILE).is_file():
        raise AudiopipeError(MISSING_FONT)
    if sha256_of(folder / FONT_FILE) != FONT_SHA256:
        raise AudiopipeError(f"{folder / FONT_FILE}: not the pinned Noto Sans CJK (its SHA-256 differs); reinstall "
                             "it: pip install --force-reinstall manimgx-fonts-cjk==2026.9.26.post1")
    return folder


def _time(ms: int) -> str:
    cs = max(0, ms) // 10
    return f"{cs // 360000}:{cs // 6000 % 60:02d}:{cs // 100 % 60:02d}.{cs % 100:02d}"


def _text(text: str) -> str:
    return text.replace("\\", "\\\\").replace("{", "(").replace("}", ")").replace("\n", " ")


@dataclass(frozen=True)
class Layout:
    """Where things sit on one picture size (ASS coordinates = pixels)."""

    size: tuple[int, int]
    caption_pt: int
    caption_margin: int
    title_pt: int
    card_pt: int

    def header(self) -> str:
        width, height = self.size
        style = ("Style: {name},{font},{pt},&H00{colour},&H00FFFFFF,&H00101010,&H99000000,-1,0,0,0,100,100,0,0,"
                 "{border},3,0,{align},60,60,{margin},1")
        styles = [style.format(name="en", font=FONT_NAME, pt=self.caption_pt, colour="FFFFFF", border=3, align=2,
                               margin=self.caption_margin),
                  style.format(name="zh", font=FONT_NAME, pt=self.caption_pt + 4, colour="66D9FF", border=3, align=2,
                               margin=self.caption_margin),
                  style.format(name="title", font=FONT_NAME, pt=self.title_pt, colour="F0F0F0", border=1, align=7, margin=60),
                  style.format(name="card", font=FONT_NAME, pt=self.card_pt, colour="FFFFFF", border=3, align=5, margin=0)]
        return ("[Script Info]\nScriptType: v4.00+\nWrapStyle: 2\nScaledBorderAndShadow: yes\n"
                f"PlayResX: {width}\nPlayResY: {height}\n\n[V4+ Styles]\nFormat: Name, Fontname, Fontsize, "
                "PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, "
                "ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, "
                "Encoding\n" + "\n".join(styles) + "\n\n[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, "
                "MarginR, MarginV, Effect, Text\n")


WIDE_LAYOUT = Layout(WIDE, 54, 60, 44, 64)
TALL_LAYOUT = Layout(TALL, 72, 330, 52, 84)
WIDE_COVER = (100, 110, 700)          # x, y, side of the cover on the wide picture
TALL_COVER = (140, 300, 800)


def _event(start_ms: int, end_ms: int, style: str, text: str, layer: int = 0) -> str:
    return f"Dialogue: {layer},{_time(start_ms)},{_time(end_ms)},{style},,0,0,0,,{text}\n"


TALL_WIDTH = 24
"""A tall picture's caption line: 24 half-width characters (12 Chinese ones) at its larger size."""


def caption_lines(cue: Cue, tall: bool) -> str:
    """A cue's lines, broken as the SRT breaks them (on a tall picture: shorter lines)."""
    return "\\N".join(_text(line) for line in wrap(cue.text, cue.lang, TALL_WIDTH if tall else SRT_WIDTH))


def captions(cues: Sequence[Cue], layout: Layout, offset_ms: int = 0, until_ms: int | None = None) -> str:
    """Dialogue lines of *cues* (shifted back by *offset_ms*, none past *until_ms*)."""
    out = []
    for cue in cues:
        if cue.end_ms <= offset_ms or (until_ms is not None and cue.start_ms >= until_ms):
            continue
        end = cue.end_ms if until_ms is None else min(cue.end_ms, until_ms)
        out.append(_event(cue.start_ms - offset_ms, end - offset_ms, cue.lang, caption_lines(cue, layout is TALL_LAYOUT)))
    return "".join(out)


def _title(start_ms: int, end_ms: int, show_title: str, title: str, x: int, y: int) -> str:
    """The show's name over the episode's (or story's) title, top left at (x, y)."""
    pt = WIDE_LAYOUT.title_pt
    return _event(start_ms, end_ms, "title", f"{{\\pos({x},{y})\\fs{pt - 12}}}{_text(show_title)}\\N{{\\fs{pt}}}"
                                             f"{_text(title)}", layer=1)


def two_titles(chapter: ChapterRecord, other: dict[int, str]) -> str:
    """A chapter's title with its Chinese edition's, when that differs."""
    zh = other.get(chapter.story)
    return f"{chapter.title} · {zh}" if zh and zh != chapter.title else chapter.title


def two_titles_of(record: EpisodeRecord, story: int) -> str:
    chapter = next(c for c in record.chapters if c.story == story)
    return two_titles(chapter, zh_titles(record))


def zh_titles(record: EpisodeRecord) -> dict[int, str]:
    """Each story's Chinese title: its Chinese edition's chapter, else (no editions) its Chinese text's first
    clause, as the edition would title it."""
    for edition in record.editions:
        if edition.lang == "zh":
            return {c.story: c.title for c in edition.chapters}
    titles: dict[int, str] = {}
    for seg in record.segments:
        if seg.lang == "zh" and seg.story is not None and seg.story not in titles:
            titles[seg.story] = first_clause(seg.text)
    return titles


def wide_script(record: EpisodeRecord, show_title: str) -> str:
    """The episode video's captions, titles and chapter cards."""
    end = record.episode.duration_ms
    other = zh_titles(record)
    lines = [_title(0, end, show_title, record.episode.title, 880, 110)]
    for chapter in record.chapters:
        lines.append(_event(chapter.start_ms, min(chapter.start_ms + CARD_MS, chapter.end_ms), "card",
                            "{\\pos(1360,520)\\fad(250,250)}" + "\\N".join(_text(t) for t in two_titles(chapter, other)
                                                                            .split(" · ")), layer=2))
    return WIDE_LAYOUT.header() + "".join(lines) + captions(cues_of(record, two_lines), WIDE_LAYOUT)


def youtube_chapters(record: EpisodeRecord) -> str | None:
    """The description lines YouTube reads as chapters, or None when the episode cannot give three of at
    least 10 s (chapters shorter than that are joined to the next)."""
    other = zh_titles(record)
    merged: list[tuple[int, str]] = []
    chapters = list(record.chapters)
    for i, chapter in enumerate(chapters):
        start = 0 if i == 0 else chapter.start_ms
        title = two_titles(chapter, other)
        if merged and (start - merged[-1][0]) / 1000 < MIN_CHAPTER_S:
            merged[-1] = (merged[-1][0], f"{merged[-1][1]} / {title}")
            continue
        merged.append((start, title))
    if merged and (record.episode.duration_ms - merged[-1][0]) / 1000 < MIN_CHAPTER_S and len(merged) > 1:
        last = merged.pop()
        merged[-1] = (merged[-1][0], f"{merged[-1][1]} / {last[1]}")
    if len(merged) < 3:
        return None
    return "".join(f"{_mmss(start)} {title}\n" for start, title in merged)


def _mmss(ms: int) -> str:
    seconds = ms // 1000
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


@dataclass(frozen=True)
class Clip:
    story: int
    title: str
    start_ms: int
    end_ms: int
    file: str


def clips_of(record: EpisodeRecord) -> list[Clip]:
    """Each story's clip: its English, then its Chinese up to the last whole caption that fits."""
    cues = cues_of(record, two_lines)
    out = []
    for chapter in record.chapters:
        segments = [s for s in record.segments if s.story == chapter.story]
        if not segments:
            continue
        start, end = segments[0].start_ms, segments[-1].end_ms
        limit = start + int(CLIP_MAX_S * 1000)
        if end > limit:
            inside = [c.end_ms for c in cues if start <= c.start_ms and c.end_ms <= limit]
            end = max(inside) if inside else limit
        out.append(Clip(chapter.story, chapter.title, start, end, clip_name(record.episode.slug, chapter.story,
                                                                              chapter.title)))
    return out


def _encode(picture: Path, audio: Path, script: Path, target: Path, duration_ms: int, offset_ms: int = 0) -> None:
    """The picture held, the captions drawn on it, over *duration_ms* of *audio* from *offset_ms*."""
    frames = max(1, math.floor(duration_ms / 1000 * FPS))     # the video ends on a frame at or before the audio's end
    fonts = font_dir()
    escaped = str(script).replace("\\", "\\\\").replace(":", "\\:").replace("'", "\\'")
    graph = (f"[0:v]format=yuv420p,loop=loop=-1:size=1:start=0,subtitles=filename='{escaped}':"
             f"fontsdir='{fonts}',trim=end_frame={frames}[v]")
    seek = ["-ss", f"{offset_ms / 1000:.3f}"] if offset_ms else []
    with atomic_path(target) as tmp:
        ffmpeg.run(["-y", "-framerate", str(FPS), "-i", str(picture), *seek, "-t", f"{duration_ms / 1000:.3f}",
                    "-i", str(audio), "-filter_complex", graph, "-map", "[v]", "-map", "1:a", "-map_chapters",
                    "-1" if offset_ms else "1", *ENCODE, "-f", "mp4", str(tmp)], what=f"video {target.name}")


def episode_video(record: EpisodeRecord, show_title: str, cover: Path, mp3: Path, target: Path, work: Path) -> Path:
    """The episode's 1920×1080 video of *mp3* into *target* (its picture and captions made in *work*)."""
    wide = still(cover, WIDE, WIDE_COVER, work / "wide.png")
    script = work / "wide.ass"
    write_text(script, wide_script(record, show_title))
    _encode(wide, mp3, script, target, record.episode.duration_ms)
    return target


def clip_videos(record: EpisodeRecord, show_title: str, cover: Path, mp3: Path, folder: Path, work: Path) -> list[Path]:
    """Each story's vertical clip of *mp3* into *folder* (one picture and the cues made once, in *work*)."""
    cues = cues_of(record, two_lines)
    tall = still(cover, TALL, TALL_COVER, work / "tall.png")
    written = []
    for clip in clips_of(record):
        script = work / f"clip-{clip.story}.ass"
        title = _title(0, clip.end_ms - clip.start_ms, show_title, two_titles_of(record, clip.story), 140, 90)
        write_text(script, TALL_LAYOUT.header() + title + captions(cues, TALL_LAYOUT, clip.start_ms, clip.end_ms))
        _encode(tall, mp3, script, folder / clip.file, clip.end_ms - clip.start_ms, clip.start_ms)
        written.append(folder / clip.file)
    return written


def render(folder: Path, record: EpisodeRecord, show_title: str, cover: Path) -> list[Path]:
    """The episode's video, its clips and chapters-youtube.txt, written into *folder*; their paths."""
    mp3 = folder / record.episode.file
    work = folder / ".video"
    work.mkdir(exist_ok=True)
    try:
        written = [episode_video(record, show_title, cover, mp3, folder / video_file(record.episode.slug), work),
                   *clip_videos(record, show_title, cover, mp3, folder, work)]
    finally:
        for path in work.iterdir():
            path.unlink(missing_ok=True)
        work.rmdir()
    chapters = youtube_chapters(record)
    if chapters is not None:
        write_text(folder / YOUTUBE_FILE, chapters)
        written.append(folder / YOUTUBE_FILE)
    else:
        (folder / YOUTUBE_FILE).unlink(missing_ok=True)
    return written


def remove(folder: Path, slug: str) -> None:
    """The video files of an episode and what they were made from (video turned off)."""
    for path in [folder / KEY_FILE, folder / video_file(slug), folder / YOUTUBE_FILE, *folder.glob(f"{slug}-clip-*.mp4")]:
        path.unlink(missing_ok=True)


def _key(folder: Path, record: EpisodeRecord, show_title: str, cover: Path) -> str:
    """What the video files are made from: the MP3's bytes, the captions' and cards' text, the cover, the font
    and this module."""
    digest = hashlib.sha256()
    for part in (sha256_of(folder / record.episode.file), sha256_of(cover), FONT_SHA256, show_title,
                 wide_script(record, show_title), repr(clips_of(record)), Path(__file__).read_text(encoding="utf-8")):
        digest.update(part.encode() + b"\0")
    return digest.hexdigest()


def write(folder: Path, record: EpisodeRecord, show: Show, cover_of: Callable[[], Path]) -> list[Path]:
    """After a build: the video files when show.yaml says ``video: true`` (made again only when what they
    are made from changed), else none (old ones removed).  *cover_of* gives the show's cover, asked for only
    when there is a video to make."""
    slug = record.episode.slug
    stamp = folder / KEY_FILE
    if not show.video:
        remove(folder, slug)
        return []
    cover = cover_of()
    key = _key(folder, record, show.title, cover)
    clips = [folder / clip.file for clip in clips_of(record)]
    made = [folder / video_file(slug), *clips]
    if stamp.is_file() and stamp.read_text(encoding="utf-8") == key and all(p.is_file() for p in made):
        return made
    remove(folder, slug)
    started = time.perf_counter()
    written = render(folder, record, show.title, cover)
    write_text(stamp, key)
    logs.say(f"video: {video_file(slug)} and {len(clips)} clip(s) in {time.perf_counter() - started:.1f} s")
    return written
