"""``benchmarks/size_study.py`` refuses a bad argument in one line before it writes anything.

Run as a user runs it (a subprocess); the ``--out`` folder holds a settings
file and a size table from an earlier run, which must stay byte-identical.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import enforcement_crime

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "size_study.py"
SRC = str(Path(enforcement_crime.__file__).resolve().parents[1])


@pytest.fixture
def earlier_run(tmp_path):
    out = tmp_path / "size"
    out.mkdir()
    (out / "size_settings.json").write_text('{"n_boot": 999, "source_sha256": "abc"}\n')
    (out / "size_table.md").write_text("# an earlier size table\n")
    return out


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--n-jobs", "0"], "--n-jobs"),
        (["--n-boot", "0"], "--n-boot"),
        (["--save-every", "0"], "--save-every"),
        (["--first-seed", "-5"], "--first-seed"),
        (["--out", "{file}"], "--out"),
    ],
    ids=["n-jobs-0", "n-boot-0", "save-every-0", "first-seed-negative", "out-a-file"],
)
def test_a_bad_argument_is_refused_before_anything_is_written(earlier_run, args, named):
    a_file = earlier_run / "size_table.md"
    argv = [a.format(file=a_file) for a in args]
    if "--out" not in argv:
        argv += ["--out", str(earlier_run)]
    before = _files(earlier_run)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([SRC, os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--seeds", "2", *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and named in lines[0] and "Traceback" not in proc.stderr, proc.stderr
    assert _files(earlier_run) == before
