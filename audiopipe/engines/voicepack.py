"""Kokoro's native voices: obtained once at install time from a pinned npm tarball, read offline after.

Kokoro-82M's own voices (Apache-2.0) ship in the npm package kokoro-js as ``package/voices/*.bin``,
one voice a file: raw little-endian float32, 510 style vectors of 256.  The install step
(``audiopipe voices --fetch``, run by ``make install``/``episode``/``test``) gets the tarball with
``npm pack`` where npm exists, else downloads the same tarball from the registry, checks it against
the SHA-256 pinned here, and keeps the English and Mandarin voices in the installation's data folder
(``<venv>/share/audiopipe/kokoro-js-1.2.1/``, or ``$AUDIOPIPE_KOKORO_VOICES``).  Builds only read
that folder: nothing is downloaded at build time.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from audiopipe.errors import AudiopipeError, EngineError
from audiopipe.tools.fsutil import os_error, sha256_of, write_bytes, write_text

PACKAGE = "kokoro-js"
VERSION = "1.2.1"
SHA256 = "1f0d0383ef0349af0bd9440d81dc12abbea3a5392eb645283eda876f537f5860"
"""The tarball's SHA-256, pinned: a tarball that differs is refused."""
REGISTRY = "https://registry.npmjs.org"
TARBALL = f"{PACKAGE}-{VERSION}.tgz"
ROWS, WIDTH = 510, 256
SIZE = ROWS * WIDTH * 4
KEEP = re.compile(r"^package/voices/([abz][fm]_[a-z]+)\.bin$")
"""The voices kept: American (a) and British (b) English, Mandarin (z); f/m is the voice's gender."""
STAMP = "SHA256"
"""Written last into the folder: the pack is complete only when it holds the pinned hash."""
MAX_TARBALL = 64 << 20

LANGS = {"a": ("en", "American English"), "b": ("en", "British English"), "z": ("zh", "Mandarin"),
         "j": (None, "Japanese-trained")}
GENDERS = {"f": "female", "m": "male"}


@dataclass(frozen=True)
class NativeVoice:
    """What a Kokoro voice's name says: its language, accent and gender."""

    name: str
    lang: str | None          # "en", "zh", or None (the Japanese-trained voices speak both, accented)
    accent: str
    gender: str


def describe_voice(name: str) -> NativeVoice | None:
    """The language and gender a Kokoro voice name carries (``zf_xiaobei``: Mandarin, female)."""
    m = re.fullmatch(r"([abzj])([fm])_[a-z]+", name)
    if not m:
        return None
    lang, accent = LANGS[m.group(1)]
    return NativeVoice(name, lang, accent, GENDERS[m.group(2)])


def default_dir() -> Path:
    """Where the install step keeps the voices: ``$AUDIOPIPE_KOKORO_VOICES``, else the installation's data."""
    env = os.environ.get("AUDIOPIPE_KOKORO_VOICES")
    return Path(env) if env else Path(sys.prefix) / "share" / "audiopipe" / f"{PACKAGE}-{VERSION}"


def installed(folder: Path, sha256: str = SHA256) -> bool:
    try:
        return (folder / STAMP).read_text().strip() == sha256
    except OSError:
        return False


def as_voice(values: np.ndarray) -> np.ndarray | None:
    """*values* as one voice's 510×256 float32 table, or None when they are not one (size, NaN, infinity)."""
    if values.size != ROWS * WIDTH:
        return None
    table = np.asarray(values, dtype=np.float32).reshape(ROWS, WIDTH)
    return table if np.isfinite(table).all() else None


def load_bin(path: Path) -> np.ndarray:
    """One voice file: 510×256 little-endian float32, every value finite; anything else is refused."""
    try:
        size = path.stat().st_size
        if size != SIZE:
            raise AudiopipeError(f"{path}: not a Kokoro voice ({size} bytes, a voice is {ROWS}×{WIDTH} float32 = "
                                 f"{SIZE} bytes); use a voice .bin from kokoro-js or a .npz of such tables")
        table = as_voice(np.fromfile(path, dtype="<f4"))
    except OSError as exc:
        raise os_error(exc, path, "cannot read") from None
    if table is None:
        raise AudiopipeError(f"{path}: the voice holds NaN or infinite values (a damaged file); replace it")
    return table


def available_voices(folder: Path, sha256: str = SHA256) -> dict[str, Path]:
    """The native voices the install step left (empty when it has not run or did not finish)."""
    if not installed(folder, sha256):
        return {}
    return {p.stem: p for p in sorted(folder.glob("*.bin"))}


def native(path: Path) -> np.ndarray:
    try:
        return load_bin(path)
    except AudiopipeError as exc:
        raise EngineError(f"kokoro: {exc.message}; run `audiopipe voices --fetch` again") from None


def read_voice_file(path: Path) -> dict[str, np.ndarray]:
    """A profile's ``voice_file``: one voice's raw ``.bin`` (named by its file) or a ``.npz`` of tables."""
    if not path.is_file():
        raise EngineError(f"kokoro: voice file {path} not found; fix `voice_file:` in the profile")
    if path.suffix.lower() == ".bin":
        try:
            return {path.stem: load_bin(path)}
        except AudiopipeError as exc:
            raise EngineError(f"kokoro: {exc.message}") from None
    try:
        with np.load(path) as packed:
            tables = {k: packed[k] for k in packed.files}
    except (OSError, ValueError, EOFError) as exc:
        raise EngineError(f"kokoro: {path} is not a file of style vectors (a .npz of {ROWS}×"
                          f"{WIDTH} tables, or one voice's .bin: {exc})") from None
    checked = {}
    for name, values in tables.items():
        table = as_voice(values)
        if table is None:
            raise EngineError(f"kokoro: {path}: voice {name!r} is not {ROWS}×{WIDTH} finite "
                              "float32; replace the file")
        checked[name] = table
    return checked


# ---- the install step ------------------------------------------------------------------------------

class Unreachable(AudiopipeError):
    """The tarball could not be had (no npm, no network): the engine keeps its Japanese-trained voices."""


def _npm_pack(work: Path) -> Path:
    npm = shutil.which("npm")
    if npm is None:
        raise Unreachable("npm is not installed")
    try:
        done = subprocess.run([npm, "pack", f"{PACKAGE}@{VERSION}", "--pack-destination", str(work)],
                              capture_output=True, text=True, timeout=300, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise Unreachable(f"npm pack failed ({type(exc).__name__})") from None
    tarball = work / TARBALL
    if done.returncode != 0 or not tarball.is_file():
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise Unreachable(f"npm pack failed: {last}")
    return tarball


def _download(work: Path, registry: str) -> Path:
    url = f"{registry.rstrip('/')}/{PACKAGE}/-/{TARBALL}"
    tarball = work / TARBALL
    try:
        with urllib.request.urlopen(url, timeout=60) as response, open(tarball, "wb") as out:  # noqa: S310
            while chunk := response.read(1 << 20):
                if out.tell() > MAX_TARBALL:
                    raise Unreachable(f"{url} sent more than {MAX_TARBALL >> 20} MB")
                out.write(chunk)
    except (OSError, ValueError) as exc:
        raise Unreachable(f"cannot download {url} ({exc})") from None
    return tarball


def fetch(dest: Path, tarball: Path | None = None, registry: str | None = None, use_npm: bool = True,
          sha256: str = SHA256) -> list[str]:
    """Obtain, verify and unpack the voices into *dest*; the names kept.  *tarball*: a file already
    at hand (else ``npm pack``, else a download from *registry*).  Raises Unreachable when the
    tarball cannot be had, AudiopipeError when it is not the pinned one or not a voice pack."""
    if installed(dest, sha256):
        return sorted(available_voices(dest, sha256))
    with tempfile.TemporaryDirectory(prefix="audiopipe-voices-") as tmp:
        work = Path(tmp)
        if tarball is None:
            reasons = []
            if use_npm:
                try:
                    tarball = _npm_pack(work)
                except Unreachable as exc:
                    reasons.append(exc.message)
            if tarball is None:
                try:
                    tarball = _download(work, registry or os.environ.get("npm_config_registry") or REGISTRY)
                except Unreachable as exc:
                    reasons.append(exc.message)
                    raise Unreachable("; ".join(reasons)) from None
        where = str(tarball)
        try:
            if not tarball.is_file():
                raise AudiopipeError(f"{where}: not a regular file (a FIFO, a device or a folder); give the "
                                     f"{PACKAGE} {VERSION} tarball itself")
            size = tarball.stat().st_size
            if size > MAX_TARBALL:                 # refused from its size: a 3 GB file is not read at all
                raise AudiopipeError(f"{where}: {size >> 20} MB is not the pinned {PACKAGE} {VERSION} tarball (it is "
                                     f"under {MAX_TARBALL >> 20} MB); give the tarball itself")
            digest = sha256_of(tarball)            # streamed, in blocks
        except OSError as exc:
            raise os_error(exc, tarball, "cannot read") from None
        if digest != sha256:
            raise AudiopipeError(f"{where}: SHA-256 {digest[:16]}… is not the pinned {sha256[:16]}… of "
                                 f"{PACKAGE} {VERSION}; the download is damaged or not that release: "
                                 "delete it and fetch again")
        try:
            blob = tarball.read_bytes()            # the pinned tarball: its size is known and small
        except OSError as exc:
            raise os_error(exc, tarball, "cannot read") from None
        return _unpack(blob, where, dest, digest)


def _unpack(blob: bytes, where: str, dest: Path, digest: str) -> list[str]:
    voices: dict[str, bytes] = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as tar:
            for member in tar.getmembers():
                m = KEEP.match(member.name)
                if not m or not member.isfile():
                    continue
                data = tar.extractfile(member)
                raw = data.read() if data else b""
                if len(raw) != SIZE or as_voice(np.frombuffer(raw, dtype="<f4")) is None:
                    raise AudiopipeError(f"{where}: {member.name} is not a {ROWS}×{WIDTH} float32 voice")
                voices[m.group(1)] = raw
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise AudiopipeError(f"{where}: not a readable npm tarball ({exc}); delete it and fetch again") from None
    if not voices:
        raise AudiopipeError(f"{where}: holds no voices/*.bin; is it {PACKAGE} {VERSION}?")
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise os_error(exc, dest) from None
    (dest / STAMP).unlink(missing_ok=True)
    for name, raw in sorted(voices.items()):
        write_bytes(dest / f"{name}.bin", raw)
    write_text(dest / STAMP, digest + "\n")
    return sorted(voices)


def install(tarball: Path | None = None, dest: Path | None = None) -> str:
    """The install step (``audiopipe voices --fetch``): the line it prints.  A tarball that cannot be
    had is a note, not an error (builds go on with the Japanese-trained voices); one that is not
    the pinned release is an error."""
    dest = dest or default_dir()
    if tarball is not None and not tarball.is_file():
        raise AudiopipeError(f"{tarball}: no such file; give the path of {TARBALL}")
    try:
        names = fetch(dest, tarball=tarball)
    except Unreachable as exc:
        return (f"note: Kokoro's native voices could not be fetched ({exc.message}); kokoro speaks with its "
                "Japanese-trained voices until `audiopipe voices --fetch` succeeds (or --tarball FILE)")
    return f"kokoro: {len(names)} native voices of {PACKAGE} {VERSION} in {dest}"
