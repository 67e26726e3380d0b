"""What QA measures in a file, kept by the file's SHA-256: the same bytes measure the same.

Decoding and measuring every MP3 is most of QA's time; after a re-take only the files it changed (the
episode, one edition, one segment's QA file) have new bytes, so only those are measured again.  A
measurement is kept under ``<cache>/qa-measured/`` with the hash of audiopipe's own code in its name (any
change to how it is measured measures again); a file that does not decode is never kept.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from audiopipe.publish.stamp import code_hash, sha256_file
from audiopipe.tools.fsutil import write_text

FOLDER = "qa-measured"


def measured(cache_root: Path | None, path: Path, what: str, measure: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """*measure()* of *path* (JSON data), or what it gave before for these bytes."""
    if cache_root is None:
        return measure()
    digest = sha256_file(path)
    kept = cache_root / FOLDER / digest[:2] / f"{digest}.{what}.{code_hash()[:16]}.json"
    try:
        value = json.loads(kept.read_text(encoding="utf-8"))
        if isinstance(value, dict):
            return value
    except (OSError, ValueError):
        pass
    value = measure()
    try:
        write_text(kept, json.dumps(value, separators=(",", ":")))
    except OSError:
        pass                                    # a cache that cannot be written only costs time
    return value
