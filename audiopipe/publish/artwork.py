"""Cover art: the show's own (checked), or an original one generated from the show's title.

Apple Podcasts wants a square JPEG or PNG of 1400-3000 px in RGB.  The MP3
carries a smaller JPEG copy (ID3 APIC; players and IAB measurement want tags
small), the feed points at the full image.
"""

from __future__ import annotations

import hashlib
import io
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image

from audiopipe.tools.fsutil import atomic_path
from audiopipe.tools.images import check_artwork

DEFAULT_PX = 3000
"""A generated cover is drawn at Apple's recommended size (1400 is its minimum)."""
EMBED_PX = 600
EMBED_MAX_BYTES = 200_000
ARTWORK_VERSION = 2


def _palette(title: str) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    digest = hashlib.sha256(title.encode()).digest()
    hues = [(22, 48, 74), (48, 28, 66), (16, 62, 58), (70, 34, 30)]
    base = hues[digest[0] % len(hues)]
    accent = (236, 178, 64)
    return base, accent


def generate(title: str, author: str, size: int = DEFAULT_PX) -> Image.Image:
    """An original cover: the title in large type on a deep plain colour, a thin accent rule, the author."""
    from PIL import Image, ImageDraw, ImageFont
    base, accent = _palette(title)
    image = Image.new("RGB", (size, size), base)
    draw = ImageDraw.Draw(image)
    margin = size // 10
    draw.rectangle([margin, margin, margin + size // 7, margin + size // 90], fill=accent)
    lines = textwrap.wrap(title, width=14)[:4] or [title]
    font_size = size // 9 if len(lines) <= 3 else size // 11
    font = ImageFont.load_default(size=font_size)
    y = margin + size // 12
    for line in lines:
        draw.text((margin, y), line, fill=(250, 247, 240), font=font)
        y += int(font_size * 1.2)
    small = ImageFont.load_default(size=size // 28)
    draw.text((margin, size - margin - size // 28), author, fill=accent, font=small)
    # a quiet motif: two offset bars, for the two languages
    bar_y = size - margin - size // 6
    draw.rectangle([margin, bar_y, size - margin, bar_y + size // 60], fill=(255, 255, 255))
    draw.rectangle([margin + size // 5, bar_y + size // 30, size - margin, bar_y + size // 30 + size // 60],
                   fill=accent)
    return image


def cover_file(show_title: str, author: str, artwork: Path | None, out_dir: Path) -> Path:
    """The cover to publish: the show's own file, or a generated ``out_dir/artwork.png`` (made once)."""
    if artwork is not None:
        check_artwork(artwork)
        return artwork
    target = out_dir / "artwork.png"
    stamp = out_dir / ".artwork.key"
    key = hashlib.sha256(f"{ARTWORK_VERSION}|{show_title}|{author}".encode()).hexdigest()
    if target.is_file() and stamp.is_file() and stamp.read_text() == key:
        return target
    image = generate(show_title, author)
    with atomic_path(target) as tmp:
        image.save(tmp, format="PNG")         # flat colours: about 110 KB; optimize=True saves 3% in twice the time
    with atomic_path(stamp) as tmp:
        tmp.write_text(key)
    return target


def _jpeg(small: Image.Image) -> bytes:
    for quality in (88, 80, 70, 60, 50):
        buffer = io.BytesIO()
        small.save(buffer, format="JPEG", quality=quality, optimize=True)
        if buffer.tell() <= EMBED_MAX_BYTES:
            break
    return buffer.getvalue()


def generated_jpeg(show_title: str, author: str) -> bytes:
    """The generated cover, drawn at the embedded size (the same design: no 3000 px image to decode)."""
    return _jpeg(generate(show_title, author, EMBED_PX))


def embedded_jpeg(cover: Path, cache_dir: Path | None = None) -> bytes:
    """A small JPEG of the cover for the MP3's APIC frame (well under 200 KB), made once per cover."""
    key = hashlib.sha256(cover.read_bytes()).hexdigest()[:24]
    cached = cache_dir / f"cover-{EMBED_PX}-{key}.jpg" if cache_dir else None
    if cached is not None and cached.is_file():
        return cached.read_bytes()
    from PIL import Image
    with Image.open(cover) as image:
        small = image.convert("RGB").resize((EMBED_PX, EMBED_PX), Image.Resampling.LANCZOS, reducing_gap=3.0)
    data = _jpeg(small)
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(cached) as tmp:
            tmp.write_bytes(data)
    return data


def still(cover: Path, size: tuple[int, int], box: tuple[int, int, int], target: Path) -> Path:
    """A video's still picture: *cover* scaled to a square of ``box[2]`` pixels at ``(box[0], box[1])`` on a
    panel of *size* in the cover's own darkest tone (a generated cover's base colour)."""
    from PIL import Image
    x, y, side = box
    with Image.open(cover) as image:
        square = image.convert("RGB").resize((side, side), Image.Resampling.LANCZOS, reducing_gap=3.0)
    import numpy as np
    tones = np.asarray(square.resize((8, 8))).reshape(-1, 3).astype(int)
    darkest = tones[int(tones.sum(axis=1).argmin())]
    panel = Image.new("RGB", size, (int(darkest[0] * 0.6), int(darkest[1] * 0.6), int(darkest[2] * 0.6)))
    panel.paste(square, (x, y))
    with atomic_path(target) as tmp:
        panel.save(tmp, format="PNG")
    return target
