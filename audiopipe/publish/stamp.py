"""A build with nothing to do does nothing but prove it: the episode's stamp.

When a build ends well (exit 0: QA passed or was not asked for, the feed refreshed), ``<slug>/.stamp.json``
keeps what the episode was made from and what was written:

- the inputs: every file the build read (the manifest and the files it names, show.yaml and the files it
  names, every file of the voices folder, the reviewer's review.json), each by its SHA-256; the producer's
  choices; audiopipe's own code and the versions of the libraries that shape the bytes (the engines, ffmpeg,
  mutagen, c2pa, numpy), and the Kokoro voice pack installed;
- the outputs: every file of the episode folder by its SHA-256, and the published MP3 the feed names.

The next ``audiopipe build`` of that manifest computes the inputs again (this module imports nothing heavy:
no numpy, no engine) and, when they agree, hashes the outputs: all there and unchanged, and the feed still
naming the published MP3, it says so and stops.  Anything else (an edit anywhere, a file touched or gone,
another audiopipe, ``--remaster``) is a build as before.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from audiopipe.config import yamlio
from audiopipe.publish import record
from audiopipe.tools.fsutil import BUILD_LOCK, read_json, sha256_of

STAMP = ".stamp.json"
SCHEMA = 1
TOOLS = ("imageio-ffmpeg", "mutagen", "c2pa-python", "numpy", "pyyaml", "jieba", "pypinyin")
"""The distributions past the engines' whose version can change an output byte (the encoder, the tags, the
credentials, the mastering, the manifest's reader, the figures' and transcripts' word splitting)."""


def libraries() -> tuple[str, ...]:
    """Every distribution the stamp names: each engine's, as the registry declares them, then the tools."""
    from audiopipe.engines.registry import DISTRIBUTIONS
    names = [name for engine in DISTRIBUTIONS.values() for name in engine] + list(TOOLS)
    return tuple(dict.fromkeys(names))
NOT_OUTPUTS = (STAMP, BUILD_LOCK, record.REVIEW_FILE)
_CODE: str | None = None


def sha256_file(path: Path) -> str:
    return sha256_of(path)


MAX_NODES = 100_000
"""The most mappings and lists of one YAML file the stamp looks through for file names (a manifest has a few
hundred; the build itself refuses what is larger or deeper, with its own line)."""


def _named_files(yaml_file: Path | None) -> list[Path]:
    """*yaml_file* and every existing file a string in it names (relative to its folder): stingers, a bed,
    artwork, credentials."""
    if yaml_file is None or not yaml_file.is_file():
        return []
    data = yamlio.plain_data(yaml_file)
    if data is None:                # a file the build will refuse with its own line: it names itself only
        return [yaml_file]
    found = [yaml_file]
    seen: set[int] = set()         # YAML aliases share nodes: each is walked once (an alias bomb is a few nodes)

    def walk(value: Any) -> None:
        if isinstance(value, (dict, list)):
            if id(value) in seen or len(seen) > MAX_NODES:
                return
            seen.add(id(value))
            for item in value.values() if isinstance(value, dict) else value:
                walk(item)
        elif isinstance(value, str) and 0 < len(value) < 300 and "\n" not in value:
            candidate = yaml_file.parent / value
            try:
                if candidate.is_file():
                    found.append(candidate)
            except OSError:
                pass
    walk(data)
    return found


def code_hash() -> str:
    """audiopipe's own files (code and data), hashed once per process."""
    global _CODE
    if _CODE is None:
        root = Path(__file__).resolve().parent.parent
        digest = hashlib.sha256()
        for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            digest.update(f"{path.relative_to(root)}\0".encode())
            digest.update(path.read_bytes())
        _CODE = digest.hexdigest()
    return _CODE


def _libraries() -> dict[str, str]:
    from importlib import metadata
    versions = {}
    for name in libraries():
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = ""
    pack = Path(os.environ.get("AUDIOPIPE_KOKORO_VOICES") or Path(sys.prefix) / "share" / "audiopipe")
    versions["voice packs"] = ",".join(sorted(f"{p.parent.name}:{p.read_text().strip()}" for p in pack.rglob("SHA256")
                                              if p.is_file())) if pack.is_dir() else ""
    return versions


def inputs(manifest: Path, show_file: Path | None, voices_dir: Path | None, folder: Path,
           choices: Mapping[str, Any]) -> dict[str, Any]:
    """Everything the episode is made from, as it is now."""
    files: list[Path] = _named_files(manifest) + _named_files(show_file)
    if voices_dir is not None and voices_dir.is_dir():
        files += sorted(p for p in voices_dir.rglob("*") if p.is_file())
    if (folder / record.REVIEW_FILE).is_file():
        files.append(folder / record.REVIEW_FILE)
    return {"files": {str(p.resolve()): sha256_file(p) for p in files}, "choices": dict(choices),
            "code": code_hash(), "libraries": _libraries()}


def _outputs(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): sha256_file(p) for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name not in NOT_OUTPUTS and not p.name.endswith(".part")}


def write(folder: Path, made_from: Mapping[str, Any], feed: Path | None, served: str | None) -> None:
    """After a build that ended well: what it was made from and what it wrote (and the published MP3's name
    in *feed*, which a later check looks for)."""
    from audiopipe.tools.fsutil import write_text
    stamp = {"schema": SCHEMA, "inputs": made_from, "outputs": _outputs(folder),
             "feed": str(feed) if feed else None, "served": served}
    write_text(folder / STAMP, json.dumps(stamp, ensure_ascii=False, indent=1, sort_keys=True) + "\n")


def forget(folder: Path) -> None:
    """Before a build writes anything: the stamp no longer holds (a build killed part-way leaves none)."""
    try:
        (folder / STAMP).unlink()
    except OSError:                  # none, or no folder there: the build says what is wrong with it
        pass


def unchanged(folder: Path, made_from: Mapping[str, Any]) -> int | None:
    """The number of files proved unchanged when the episode in *folder* is what *made_from* makes, its files
    as that build wrote them and the feed (if it had one) still naming its published MP3; else None."""
    try:
        stamp = read_json(folder / STAMP)
    except (OSError, ValueError):
        return None
    if not isinstance(stamp, dict) or stamp.get("schema") != SCHEMA or stamp.get("inputs") != made_from:
        return None
    outputs = stamp.get("outputs") or {}
    if not outputs or not _same(folder, outputs):
        return None
    feed, served = stamp.get("feed"), stamp.get("served")
    if feed and served:                          # (a build held out of the feed: nothing of it to look for)
        try:
            if served.encode() not in Path(feed).read_bytes():
                return None
        except OSError:
            return None
    return len(outputs)


def _same(folder: Path, outputs: Mapping[str, str]) -> bool:
    for name, digest in outputs.items():
        try:
            if sha256_file(folder / name) != digest:
                return False
        except OSError:
            return False
    return True


def choices_of(values: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """The producer's choices as JSON keeps them (paths as text)."""
    return {key: str(value) if isinstance(value, Path) else value for key, value in values}
