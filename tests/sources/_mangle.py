"""Mangled copies of fixture files for the loaders' error tests, and the real-copy folder.

Each helper writes a changed copy into a test's ``tmp_path`` (the fixture
itself is never touched) and checks that the change took place, so a test of
a mangled copy cannot pass on an unchanged file.
"""

from __future__ import annotations

from pathlib import Path

import pytest


def shared_folder(shared_data: Path, name: str) -> Path:
    """``shared_data / name``; skip the test when the folder is absent."""
    folder = shared_data / name
    if not folder.is_dir():
        pytest.skip(f"{folder} absent")
    return folder


def truncated(src: Path, dst: Path, cut: int) -> Path:
    """Copy ``src`` to ``dst`` without its last ``cut`` bytes."""
    data = src.read_bytes()
    assert 0 < cut < len(data), f"cannot cut {cut} bytes of {src.name} ({len(data)} bytes)"
    dst.write_bytes(data[:-cut])
    return dst


def with_repeated_line(src: Path, dst: Path, index: int) -> tuple[Path, int]:
    """Copy ``src`` to ``dst`` with its line ``index`` (0-based) written again at the end.

    Returns the copy and the 1-based line number of the repeat.
    """
    lines = src.read_text().splitlines(keepends=True)
    if not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    dst.write_text("".join([*lines, lines[index]]))
    return dst, len(lines) + 1


def replace_once(path: Path, old: str, new: str) -> Path:
    """Replace the one occurrence of ``old`` in the file at ``path`` by ``new``, in place."""
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {path.name}"
    path.write_text(text.replace(old, new))
    return path
