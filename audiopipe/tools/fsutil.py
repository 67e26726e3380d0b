"""Atomic writes: every output is written beside its target, then renamed; and what an interrupted
run leaves behind (``.part`` files) is swept at the start of the next one.

Files get the mode a plain ``open()`` would give them (0644 under umask 022), not ``mkstemp``'s 0600,
so that a web server running as another user can serve the feed and the episodes.  Failures of the
file system are turned into one line that says the path, the cause in words and the fix.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import shutil
import stat
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from audiopipe import logs
from audiopipe.errors import AudiopipeError, ToolError

PART_SUFFIX = ".part"


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


FILE_MODE = 0o666 & ~_umask()
"""The mode of every file written: what open() gives under the umask the process started with."""

CAUSES = {
    errno.ENOSPC: ("disk full", "free some space and run it again"),
    errno.EDQUOT: ("disk quota exceeded", "free some space and run it again"),
    errno.EROFS: ("read-only file system", "choose a writable folder"),
    errno.EACCES: ("permission denied", "choose a folder you may write to, or fix its permissions"),
    errno.EPERM: ("permission denied", "choose a folder you may write to, or fix its permissions"),
    errno.ENOTDIR: ("not a directory", "a file stands where a folder is needed; choose another path"),
    errno.EISDIR: ("is a directory", "give a file's path, not a folder's"),
    errno.ELOOP: ("symbolic link loop", "fix the link"),
    errno.ENAMETOOLONG: ("name too long", "choose a shorter path"),
    errno.ENOENT: ("no such file or directory", "check the path"),
    errno.EEXIST: ("already exists", "choose another path"),
    errno.EIO: ("input/output error", "check the disk"),
}


def describe(exc: OSError) -> tuple[str, str]:
    """(the cause in words, the fix) of a failure of the file system."""
    return CAUSES.get(exc.errno or 0, (exc.strerror or type(exc).__name__, "check the path"))


def os_error(exc: OSError, path: Path | str | None = None, what: str = "cannot write") -> AudiopipeError:
    """One line for a failure of the file system: ``PATH: cannot write (disk full); free some space…``."""
    where = path if path is not None else (exc.filename or "?")
    cause, fix = describe(exc)
    return AudiopipeError(f"{where}: {what} ({cause}); {fix}")


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside *target*; rename it into place on success.

    On any exception the temporary file is removed and *target* is untouched.  A failure of the file
    system (disk full, read-only, not a directory…) becomes one line naming *target*.
    """
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=PART_SUFFIX, dir=target.parent)
        os.fchmod(fd, FILE_MODE)
        os.close(fd)
    except OSError as exc:
        raise os_error(exc, target) from None
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.replace(tmp, target)
    except OSError as exc:
        raise os_error(exc, target) from None
    except ToolError as exc:                 # a tool (ffmpeg) writing the file met a full disk
        if "No space left on device" in exc.message:
            raise os_error(OSError(errno.ENOSPC, "No space left on device"), target) from None
        raise
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


@contextlib.contextmanager
def atomic_open(target: Path, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO[Any]]:
    """Open a temporary file beside *target* for text writing; rename on success."""
    with atomic_path(target) as tmp:
        try:
            with open(tmp, mode, encoding=encoding) as fh:
                yield fh
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:
            raise os_error(exc, target) from None


def write_bytes(target: Path, data: bytes) -> None:
    with atomic_path(target) as tmp:
        try:
            tmp.write_bytes(data)
        except OSError as exc:
            raise os_error(exc, target) from None


def write_text(target: Path, text: str) -> None:
    with atomic_open(target) as fh:
        fh.write(text)


_OWNER = re.compile(r"\.(\d+)\.[^.]+" + re.escape(PART_SUFFIX) + "$")
ORPHAN_AFTER_S = 24 * 3600
"""A ``.part`` file whose process still runs is another build's work in progress, unless it is this old."""


def _owner_running(name: str, mtime: float) -> bool:
    """Does the process that is writing this ``.part`` file (its pid is in the name) still run?"""
    found = _OWNER.search(name)
    if found is None or time.time() - mtime > ORPHAN_AFTER_S:
        return False
    pid = int(found.group(1))
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:              # alive, another user's
        return True
    return True


def sweep_parts(folder: Path, older_than: float | None = None, deep: bool = True) -> int:
    """Remove the ``.part`` files an interrupted run left in *folder* (and below, when *deep*) that are
    older than *older_than* (a time; default: now), never one a running process is writing (another build
    into the same folder or cache).  Returns how many went."""
    limit = time.time() if older_than is None else older_than
    removed = 0
    if not folder.is_dir():
        return 0
    for root, dirs, files in os.walk(folder):
        if not deep:
            dirs.clear()
        for name in files:
            if name.startswith(".") and name.endswith(PART_SUFFIX):
                path = Path(root) / name
                with contextlib.suppress(OSError):
                    mtime = path.stat().st_mtime
                    if mtime < limit and not _owner_running(name, mtime):
                        path.unlink()
                        removed += 1
    return removed


def check_writable(folder: Path, what: str = "folder") -> None:
    """Prove that *folder* can be made and takes a file; otherwise one line saying why not.  Folders made
    for the proof are removed again: nothing is left behind by a build that fails later."""
    made: list[Path] = []
    try:
        for attempt in range(3):
            missing = [p for p in [folder, *folder.parents] if not p.exists()]
            for path in reversed(missing):
                try:
                    path.mkdir()
                    made.append(path)
                except FileExistsError:          # another build made it at the same moment: theirs
                    if not path.is_dir():
                        raise
            if not folder.is_dir():
                raise NotADirectoryError(errno.ENOTDIR, "not a directory", str(folder))
            try:
                fd, probe = tempfile.mkstemp(prefix=f".audiopipe-probe.{os.getpid()}.", suffix=PART_SUFFIX, dir=folder)
            except FileNotFoundError:            # another build proved it, made it and took it away again: once more
                if attempt == 2:
                    raise
                continue
            os.close(fd)
            os.unlink(probe)
            break
    except FileExistsError:
        raise os_error(NotADirectoryError(errno.ENOTDIR, "not a directory"), folder,
                       f"cannot use it as the {what}") from None
    except OSError as exc:
        raise os_error(exc, folder, f"cannot use it as the {what}") from None
    finally:
        for path in reversed(made):
            with contextlib.suppress(OSError):
                path.rmdir()


Identity = tuple[int, int, int] | None
"""A file's (size, mtime_ns, inode), or None when it is not there: what says it is still the file it was
(a file replaced atomically has a new inode; one edited in place a new time)."""


def identity(path: Path | str) -> Identity:
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    return st.st_size, st.st_mtime_ns, st.st_ino


def identities(folder: Path, names: Iterable[str]) -> list[Identity]:
    """The identities of *names* in *folder* (plain strings: a thousand folders' files in a blink)."""
    base = str(folder) + os.sep
    return [identity(base + name) for name in names]


JSON_LIMIT = 256 << 20
"""The largest JSON record audiopipe reads (its own are kilobytes to a few megabytes)."""


def read_json(path: Path, limit: int = JSON_LIMIT) -> Any:
    """The JSON in the regular file *path*.  FileNotFoundError when it is not there; ValueError (the error
    every reader of a record already turns into its one line) when it is a FIFO or a device, larger than
    *limit*, nested too deeply for the parser, not UTF-8 or not JSON."""
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):
        raise ValueError(f"{path} is not a regular file")
    if st.st_size > limit:
        raise ValueError(f"{path} is {st.st_size} bytes, more than a record can be")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except RecursionError:
        raise ValueError(f"{path} is nested too deeply") from None


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file's bytes (hex), read in 1 MiB blocks: what names "this MP3"."""
    digest = hashlib.sha256()
    with open(path, "rb") as src:
        for block in iter(lambda: src.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def copy_file(source: Path, target: Path) -> None:
    """*source*'s bytes to *target*, atomically (a reader sees the old file or the whole new one)."""
    with atomic_path(target) as tmp:
        shutil.copyfile(source, tmp)


def publish_file(source: Path, target: Path) -> None:
    """A copy of *source* at *target*, atomically, unless *target* holds the same bytes already.  A copy,
    not a link: a tag editor saving the working file in place must not change what is published."""
    if target.is_file() and target.stat().st_size == source.stat().st_size and sha256_of(target) == sha256_of(source):
        return
    copy_file(source, target)


@contextlib.contextmanager
def held(lock_file: Path, busy: Callable[[str], AudiopipeError] | None = None) -> Iterator[None]:
    """An exclusive file lock on *lock_file* for the block, with this process's pid written in it
    (POSIX; elsewhere no lock).  Without *busy*, wait for it: two processes that rewrite the same
    files (the feeds) take turns.  With *busy*, do not wait: raise ``busy(holder)`` at once."""
    try:
        import fcntl
    except ImportError:                                   # pragma: no cover - not POSIX
        yield
        return
    try:
        lock_file.parent.mkdir(parents=True, exist_ok=True)
        handle = open(lock_file, "a+")
    except OSError as exc:
        raise os_error(exc, lock_file) from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (fcntl.LOCK_NB if busy else 0))
        except OSError:
            assert busy is not None
            handle.seek(0)
            raise busy(handle.read().strip() or "another process") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


BUILD_LOCK = ".build.lock"


@contextlib.contextmanager
def build_lock(folder: Path, what: str) -> Iterator[None]:
    """*folder*'s build lock (``.build.lock``): when another process holds it, one line naming it, at once.
    Once held, the ``.part`` files an interrupted run left in the folder go (the log says how many)."""
    with held(folder / BUILD_LOCK, lambda holder: AudiopipeError(
            f"{folder}: {what} is being built by {holder} right now; wait for it to finish, or build into another "
            "--out")):
        removed = sweep_parts(folder)
        if removed:
            logs.say(f"note: removed {removed} unfinished file(s) an interrupted run left in {folder}")
        yield
