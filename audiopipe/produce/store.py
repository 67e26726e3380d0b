"""The mastering store: levelling gains and mastered (encoded, untagged) segments and episodes,
kept beside the takes so that an unchanged part is never measured or encoded twice."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt

from audiopipe.dsp.loudness import Loudness
from audiopipe.tools.fsutil import atomic_path, sha256_of, write_text

LEVEL_FORMAT = 3


class MasterStore:
    """Remembers levelling gains and mastered segment files between builds, beside the takes."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @staticmethod
    def tag(*parts: object) -> str:
        blob = json.dumps([LEVEL_FORMAT, *parts], sort_keys=True, ensure_ascii=False).encode()
        return hashlib.sha256(blob).hexdigest()

    def _path(self, tag: str, suffix: str) -> Path:
        return self.root / "mastered" / tag[:2] / f"{tag}{suffix}"

    def gain(self, tag: str) -> float | None:
        path = self._path(tag, ".json")
        try:
            return float(json.loads(path.read_text())["gain_db"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put_gain(self, tag: str, gain_db: float) -> None:
        write_text(self._path(tag, ".json"), json.dumps({"gain_db": gain_db}))

    def episode(self, tag: str) -> tuple[Path, Loudness] | None:
        """A mastered, encoded (untagged) episode made before from the same timeline."""
        return self.segment(tag)

    def put_episode(self, tag: str, mp3: Path, loud: Loudness) -> None:
        def copy(out: Path) -> Loudness:
            shutil.copyfile(mp3, out)
            return loud
        self.put_segment(tag, copy)

    def piece(self, tag: str) -> Path:
        """Where an encoded piece of an episode (:mod:`audiopipe.produce.pieces`) is kept."""
        return self._path(tag, ".piece.mp3")

    def peak(self, digest: str) -> float | None:
        """The true peak as decoded (dBTP) of a piece with these bytes (their SHA-256), when measured."""
        try:
            return float(json.loads(self._path(digest, ".peak.json").read_text())["true_peak"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put_peak(self, digest: str, dbtp: float) -> None:
        write_text(self._path(digest, ".peak.json"), json.dumps({"true_peak": dbtp}))

    def cells(self, tag: str, make: Callable[[], npt.NDArray[np.float32]]) -> npt.NDArray[np.float32]:
        """A piece's K-weighted energy cells (``dsp.loudness.energy_cells``), made by *make* the first time."""
        path = self._path(tag, ".cells.npy")
        try:
            with path.open("rb") as fh:
                return np.asarray(np.load(fh, allow_pickle=False), dtype=np.float32)
        except (OSError, ValueError):
            pass
        cells = make()
        with atomic_path(path) as tmp, tmp.open("wb") as fh:
            np.save(fh, cells, allow_pickle=False)
        return cells

    def segment(self, tag: str) -> tuple[Path, Loudness] | None:
        """A mastered file kept before, when it is whole: its length and SHA-256 those it was kept with (a
        truncated or damaged one, or one kept before they were recorded, is made again)."""
        mp3, meta = self._path(tag, ".mp3"), self._path(tag, ".mp3.json")
        try:
            data = json.loads(meta.read_text())
            if mp3.is_file() and mp3.stat().st_size == int(data["size"]) and sha256_of(mp3) == data["sha256"]:
                return mp3, Loudness(float(data["lufs"]), float(data["dbtp"]))
        except (OSError, ValueError, KeyError, TypeError):
            pass
        return None

    def put_segment(self, tag: str, encode: Callable[[Path], Loudness]) -> tuple[Path, Loudness]:
        mp3 = self._path(tag, ".mp3")
        mp3.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(mp3) as tmp:
            loud = encode(tmp)
            size, digest = tmp.stat().st_size, sha256_of(tmp)
        write_text(self._path(tag, ".mp3.json"), json.dumps({"lufs": loud.integrated_lufs, "dbtp": loud.true_peak_dbtp,
                                                             "size": size, "sha256": digest}))
        return mp3, loud
