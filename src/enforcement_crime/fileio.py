"""Atomic file writes: a file a user may already have is replaced whole or not at all.

Every writer of such a file (a panel, its manifest, the synthetic panel, the
size-study settings, report files) goes through :func:`atomic_write`: the new
content is written under a temporary name in the same folder, flushed to disk
(``fsync``) and moved over the old file with :func:`os.replace`, which is one
atomic rename on a POSIX file system. An exception, an interrupt or a killed
process leaves the old file as it was (at worst a stray temporary file,
named by :func:`temp_name` and matched by :data:`TEMP_PATTERN`, is left
beside it).
"""

from __future__ import annotations

import contextlib
import os
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

__all__ = [
    "TEMP_PATTERN",
    "temp_name",
    "fsync_file",
    "fsync_dir",
    "atomic_write",
    "atomic_write_bytes",
    "atomic_write_text",
    "write_or_check_text",
]

#: names of the temporary files :func:`temp_name` makes (``.<name>.<pid>-<8 hex>[.bak].tmp``)
TEMP_PATTERN = re.compile(r"^\..+\.\d+-[0-9a-f]{8}(\.bak)?\.tmp$")


def temp_name(path: str | Path, suffix: str = ".tmp") -> Path:
    """A temporary name beside ``path`` (same folder, hidden, unique to this process)."""
    path = Path(path)
    return path.with_name(f".{path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}{suffix}")


def fsync_file(path: str | Path) -> None:
    """Flush a written file's content to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(folder: str | Path) -> None:
    """Flush a folder's entries (renames, new and removed names) to disk, where supported."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot fsync a folder
    finally:
        os.close(fd)


@contextlib.contextmanager
def _removing_on_failure(tmp: Path) -> Iterator[None]:
    try:
        yield
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write(path: str | Path, write: Callable[[Path], object]) -> Path:
    """Write ``path`` atomically: ``write(temp)`` fills a temporary file, which then replaces ``path``.

    Parameters
    ----------
    path : str or Path
        The final file; its folder is created when missing.
    write : callable
        Called with the temporary path (same folder, same suffix position);
        it must create that file (e.g. ``lambda p: df.to_csv(p)``).

    Returns
    -------
    Path
        ``path``.

    Notes
    -----
    On any exception (``KeyboardInterrupt`` included) the temporary file is
    removed and the old ``path``, if any, is untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_name(path)
    with _removing_on_failure(tmp):
        write(tmp)
        if not tmp.is_file():
            raise OSError(f"atomic write of {path}: the writer did not create {tmp}")
        fsync_file(tmp)
        os.replace(tmp, path)
    fsync_dir(path.parent)
    return path


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_write`)."""
    return atomic_write(path, lambda p: p.write_bytes(data))


def atomic_write_text(path: str | Path, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically (see :func:`atomic_write`)."""
    return atomic_write(path, lambda p: p.write_text(text, encoding=encoding))


def write_or_check_text(path: str | Path, text: str, *, check: bool) -> bool:
    """Write ``text`` to ``path`` atomically, or with ``check`` only compare: True when they agree.

    For generated files that are committed (e.g. the derived fact tables): ``check``
    tells whether the file on disk is what the generator makes now, without touching it.
    Returns True after a write.
    """
    path = Path(path)
    if check:
        return path.is_file() and path.read_text() == text
    atomic_write_text(path, text)
    return True
