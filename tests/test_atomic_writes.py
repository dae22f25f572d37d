"""Files a user may already have are replaced whole or left alone (fileio.atomic_write and its users).

The synthetic panel (``synthetic --out`` and the synthetic fallback of
``data build``) and report files are written aside, flushed and renamed: a
signal, a full disk or a bad argument leaves the old file byte-identical.
The synthetic panels here are SYNTHETIC DATA.
"""

from __future__ import annotations

import errno
import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import enforcement_crime
from enforcement_crime import fileio, reports, synthetic
from enforcement_crime.panels import manifest

SRC = str(Path(enforcement_crime.__file__).resolve().parents[1])


def _snapshot(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file() and p.name != manifest.LOCK_NAME
    }


def _disk_full_after(n_bytes: bytes, arg: int = 1):
    """A writer that writes ``n_bytes`` to its target (positional ``arg``), then fails as a full disk."""

    def write(*args, **kwargs):
        path = Path(args[arg])
        path.write_bytes(n_bytes)
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    return write


def test_atomic_write_keeps_the_old_file_when_the_writer_fails(tmp_path):
    target = tmp_path / "f.csv"
    target.write_text("old\n")
    with pytest.raises(OSError, match="No space left"):
        fileio.atomic_write(target, _disk_full_after(b"ne", arg=0))
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.csv"]  # no temporary file left
    with pytest.raises(KeyboardInterrupt):
        fileio.atomic_write(target, lambda p: (p.write_text("new"), _raise(KeyboardInterrupt)))
    assert target.read_text() == "old\n" and len(list(tmp_path.iterdir())) == 1
    fileio.atomic_write_text(target, "new\n")
    assert target.read_text() == "new\n" and len(list(tmp_path.iterdir())) == 1


def _raise(exc):
    raise exc


@pytest.fixture(scope="module")
def old_pair(tmp_path_factory):
    """A synthetic panel pair (seed 3) written once: parquet and JSON (SYNTHETIC DATA)."""
    folder = tmp_path_factory.mktemp("old")
    synthetic.write_default_panel(folder / "panel.parquet", seed=3)
    assert {p.name for p in folder.iterdir()} >= {"panel.parquet", "panel.json"}
    return folder


@pytest.fixture
def existing(tmp_path, old_pair):
    folder = tmp_path / "out"
    folder.mkdir()
    for name in ("panel.parquet", "panel.json"):
        (folder / name).write_bytes((old_pair / name).read_bytes())
    return folder / "panel.parquet"


def test_a_full_disk_while_writing_the_synthetic_panel_keeps_the_old_one(existing, monkeypatch):
    import pyarrow.parquet as pq

    before = _snapshot(existing.parent)
    monkeypatch.setattr(pq, "write_table", _disk_full_after(b"PAR1"))
    with pytest.raises(OSError, match="No space left"):
        synthetic.write_default_panel(existing, seed=4)
    assert _snapshot(existing.parent) == before  # not a 4-byte file; no temporary left


@pytest.mark.parametrize(
    ("out", "preset", "match"),
    [
        ("panel.csv", "null", "must end in .parquet"),
        ("folder.parquet", "null", "is a folder"),
        ("panel.parquet", "nul", "unknown preset"),
    ],
)
def test_bad_arguments_are_refused_before_anything_is_written(existing, out, preset, match):
    (existing.parent / "folder.parquet").mkdir()
    (existing.parent / "panel.csv").write_text("a user's file\n")
    before = _snapshot(existing.parent)
    with pytest.raises(ValueError, match=match):
        synthetic.write_default_panel(existing.parent / out, seed=4, preset=preset)
    assert _snapshot(existing.parent) == before


def _synthetic_cli(out: Path, tmp_path: Path, point: str) -> subprocess.Popen:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([SRC, *filter(None, [env.get("PYTHONPATH")])])
    env[manifest.PAUSE_AT_ENV] = point
    env[manifest.PAUSE_FILE_ENV] = str(tmp_path / "paused")
    cmd = [sys.executable, "-m", "enforcement_crime", "synthetic", "--seed", "4", "--out", str(out)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 90
    while not (tmp_path / "paused").exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"synthetic never reached its pause point: {proc.communicate()}")
        time.sleep(0.02)
    return proc


@pytest.mark.parametrize(
    ("sig", "point"),
    [(signal.SIGTERM, "temps"), (signal.SIGKILL, "temps"), (signal.SIGKILL, "rename:2")],
    ids=["SIGTERM-written-aside", "SIGKILL-written-aside", "SIGKILL-between-renames"],
)
def test_synthetic_out_interrupted_keeps_the_old_panel(existing, tmp_path, sig, point):
    before = _snapshot(existing.parent)
    proc = _synthetic_cli(existing, tmp_path, point)
    proc.send_signal(sig)
    proc.communicate(timeout=60)
    assert proc.returncode != 0
    if sig == signal.SIGTERM:
        assert _snapshot(existing.parent) == before
    # whatever was left, the next write to that folder (or `data status` for data/processed)
    # first puts the last complete pair back and removes the temporary files
    manifest.recover(existing.parent, out=None)
    assert _snapshot(existing.parent) == before
    assert synthetic.read_panel(existing)["is_synthetic"].all()


def test_save_table_keeps_the_old_files_when_the_disk_is_full(tmp_path, monkeypatch):
    table = pd.DataFrame({"a": [1.0, 2.0]})
    paths = reports.save_table(table, "t", synthetic=True, outdir=tmp_path)
    before = _snapshot(tmp_path)
    monkeypatch.setattr(pd.DataFrame, "to_csv", _disk_full_after(b"a,"))
    with pytest.raises(OSError, match="No space left"):
        reports.save_table(table * 2, "t", synthetic=True, outdir=tmp_path)
    assert _snapshot(tmp_path) == before
    assert pd.read_csv(paths["csv"])["a"].tolist() == [1.0, 2.0]


def test_write_or_check_text_compares_without_writing_and_writes_otherwise(tmp_path):
    from enforcement_crime.fileio import write_or_check_text

    path = tmp_path / "table.csv"
    assert not write_or_check_text(path, "a\n", check=True) and not path.exists()
    assert write_or_check_text(path, "a\n", check=False) and path.read_text() == "a\n"
    assert write_or_check_text(path, "a\n", check=True)
    assert not write_or_check_text(path, "b\n", check=True) and path.read_text() == "a\n"
