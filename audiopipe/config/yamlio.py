"""YAML reading with line numbers, for one-line errors that say where.

Mappings load as :class:`LineDict`, which remembers the line of each key;
duplicate keys (which PyYAML silently merges) are reported.
"""

from __future__ import annotations

import difflib
import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from audiopipe.errors import InputError
from audiopipe.tools.fsutil import describe


class LineDict(dict[str, Any]):
    """A dict from YAML that knows the 1-based line of itself and of each key."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class _Loader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            key = str(key)
        if key in result:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (first on line {result.key_lines[key]})",
                key_node.start_mark)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
# dates stay text (PyYAML raises a bare ValueError on 2026-13-45); validators parse them
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_str)  # type: ignore[type-var]


def load(path: Path, error: type[InputError] = InputError) -> LineDict:
    """Parse *path* as a YAML mapping; raise *error* with file:line on failure."""
    try:
        text = read_text_file(path)
    except UnicodeDecodeError as exc:
        raise error(path, f"not UTF-8 text (byte {exc.start}); save the file as UTF-8") from None
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise error(path, f"invalid YAML: {problem}; fix the syntax there", line=line) from None
    except yaml.YAMLError as exc:
        raise error(path, f"invalid YAML: {exc}") from None
    except RecursionError:
        raise error(path, "nested too deep (lists or mappings inside one another hundreds of levels down); "
                    "no manifest, profile or show needs that: check the file") from None
    if data is None:
        raise error(path, "the file is empty; see episodes/ for an example")
    if not isinstance(data, LineDict):
        raise error(path, "must be a YAML mapping of keys to values (key: value)", line=1)
    return data


MAX_TEXT_BYTES = 8 << 20
"""A manifest, profile, lexicon or script larger than this is not one (8 MiB)."""


def read_text_file(path: Path, error: type[InputError] = InputError) -> str:
    """The UTF-8 text of a regular file; a missing file, a folder, a FIFO, a device, a link loop or
    an unreadable file is refused at once with one line (nothing ever waits on a pipe)."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise error(path, "file not found; check the path") from None
    except OSError as exc:
        raise error(path, "cannot read it ({}); {}".format(*describe(exc))) from None
    if stat.S_ISDIR(info.st_mode):
        raise error(path, "is a directory, not a file; give the file's path")
    if not stat.S_ISREG(info.st_mode):
        raise error(path, "is not a regular file (a pipe, socket or device); give a text file")
    if info.st_size > MAX_TEXT_BYTES:
        raise error(path, f"is {info.st_size >> 20} MiB; a text file of at most {MAX_TEXT_BYTES >> 20} MiB is expected")
    try:
        return path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise error(path, "cannot read it ({}); {}".format(*describe(exc))) from None


def suggest(name: str, choices: Iterable[str]) -> str:
    """' (did you mean X?)' for the closest choice, or ''."""
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_keys(path: Path, mapping: LineDict, allowed: Iterable[str], where: str,
               error: type[InputError] = InputError) -> None:
    """Reject keys not in *allowed*, suggesting the closest."""
    allowed = list(allowed)
    for key in mapping:
        if key not in allowed:
            raise error(path, f"{where}unknown key {key!r}{suggest(key, allowed)}; "
                        f"allowed keys: {', '.join(allowed)}", line=mapping.line_of(key))


def find_upwards(start: Path | None, name: str, env: str, folder: bool = False, levels: int = 4) -> Path | None:
    """``$env`` when set, else the file (or *folder*) *name* in *start* or one of its parents
    (up to *levels* folders)."""
    if os.environ.get(env):
        return Path(os.environ[env])
    if start is not None:
        for place in [start, *start.resolve().parents][:levels]:
            candidate = place / name
            if candidate.is_dir() if folder else candidate.is_file():
                return candidate
    return None


def plain_data(path: Path) -> Any:
    """*path* parsed as YAML without line numbers or checks, or None when it does not parse (for a caller
    that only looks through what a file names: the build refuses a bad file with its own line)."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except Exception:    # noqa: BLE001 - any file that does not parse names nothing
        return None
