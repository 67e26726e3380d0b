"""Images through Pillow: the cover art check (Apple Podcasts' rules)."""

from __future__ import annotations

from pathlib import Path

from audiopipe.errors import AudiopipeError

MIN_PX, MAX_PX = 1400, 3000


def check_artwork(path: Path, where: str | None = None) -> tuple[int, str]:
    """(size in px, format) of a valid cover; otherwise a one-line error saying what to change."""
    from PIL import Image, UnidentifiedImageError
    where = where or str(path)
    try:
        with Image.open(path) as image:
            fmt, (w, h), mode = image.format or "?", image.size, image.mode
    except Image.DecompressionBombError:      # read from the header: far too many pixels to open
        raise AudiopipeError(f"{where}: {path.name} is far larger than a cover; the cover must be {MIN_PX}-"
                             f"{MAX_PX} px on a side (resize it)") from None
    except (UnidentifiedImageError, OSError):
        raise AudiopipeError(f"{where}: {path.name} is not an image; use a square JPEG or PNG of "
                             f"{MIN_PX}-{MAX_PX} px") from None
    if fmt not in ("JPEG", "PNG"):
        raise AudiopipeError(f"{where}: {path.name} is {fmt}; save it as JPEG or PNG")
    if w != h:
        raise AudiopipeError(f"{where}: {path.name} is {w}x{h} px; the cover must be square (crop it)")
    if not MIN_PX <= w <= MAX_PX:
        raise AudiopipeError(f"{where}: {path.name} is {w}x{h} px; the cover must be {MIN_PX}-{MAX_PX} px "
                             "on a side (resize it)")
    if mode not in ("RGB",):
        raise AudiopipeError(f"{where}: {path.name} is in {mode} colour mode; save it as RGB "
                             "(no transparency, no CMYK)")
    return w, fmt
