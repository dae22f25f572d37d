"""``data build`` under signals, a killed process and a second concurrent build.

A writer subprocess is stopped at an exact step of its write (the pause hook
of :func:`enforcement_crime.panels.manifest._pause_point`: it announces the
step in a marker file and waits), then signalled. SIGTERM must roll the
folder back at once; after SIGKILL the next ``data status`` (or ``data build``)
must repair it. Either way the folder must then be byte-identical to the old
set or to the new complete set, with no temporary file left. The writer of
the sweep writes two tiny panels (five files) through
:func:`~enforcement_crime.panels.manifest.write_panels`; the end-to-end cases
run ``python -m enforcement_crime data build cius_county`` on the fixtures.
"""

from __future__ import annotations

import hashlib
import os
import runpy
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import enforcement_crime
from enforcement_crime import cli
from enforcement_crime.panels import commands, manifest

SRC = str(Path(enforcement_crime.__file__).resolve().parents[1])

WRITER = '''
"""Write two tiny panels (pa: parquet, one table, JSON; pb: parquet, JSON) of one version."""
import sys

import pandas as pd

from enforcement_crime.panels import manifest


def make_items(version):
    items = []
    for name in ("pa", "pb"):
        df = pd.DataFrame({"fips": ["37001", "37119"], "year": [2010, 2010], "v": [version] * 2})
        m = manifest.Manifest(
            panel=name, rows_in=2, rows_out=2, created_by="test",
            created_at="2026-01-01T00:00:00+00:00",
        )
        if name == "pa":
            m.tables = {"t": pd.DataFrame({"x": [version]})}
        items.append((df, name, m, False))
    return items


def write(folder, version):
    manifest.write_panels(make_items(version), folder=folder, generation=f"gen-{version}")


if __name__ == "__main__":
    try:
        write(sys.argv[1], int(sys.argv[2]))
    except KeyboardInterrupt as exc:
        sys.exit(128 + getattr(exc, "signum", 2))
'''


def _snapshot(folder: Path) -> dict[str, str]:
    """``{file name: sha256}`` of every file in ``folder`` but the lock (hidden files included)."""
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file() and p.name != manifest.LOCK_NAME
    }


def _env(tmp_path: Path, point: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([SRC, *filter(None, [env.get("PYTHONPATH")])])
    env[manifest.PAUSE_AT_ENV] = point
    env[manifest.PAUSE_FILE_ENV] = str(tmp_path / "paused")
    env.update(extra)
    return env


def _start_paused(cmd: list[str], env: dict[str, str], tmp_path: Path) -> subprocess.Popen:
    """Start ``cmd`` and return once it stands at its pause point (fail if it never gets there)."""
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    marker = tmp_path / "paused"
    deadline = time.monotonic() + 90
    while not marker.exists():
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"the writer ended (rc {proc.returncode}) before its pause:\n{out}\n{err}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("the writer never reached its pause point")
        time.sleep(0.02)
    assert int(marker.read_text()) == proc.pid
    return proc


def _resume(tmp_path: Path) -> None:
    (tmp_path / "paused.go").write_text("")


@pytest.fixture(scope="module")
def sets(tmp_path_factory):
    """The writer script, and the old (version 1) and new (version 2) complete sets."""
    base = tmp_path_factory.mktemp("sets")
    script = base / "writer.py"
    script.write_text(WRITER)
    write = runpy.run_path(str(script), run_name="writer")["write"]
    old, new = base / "old", base / "new"
    write(old, 1)
    write(new, 2)
    assert len(_snapshot(old)) == 5 and _snapshot(old).keys() == _snapshot(new).keys()
    assert not set(_snapshot(old).values()) & set(_snapshot(new).values())
    return script, old, new


POINTS = ["temps", "journal", "rename:1", "rename:3", "rename:5", "renamed"]


@pytest.mark.parametrize(
    ("sig", "point"),
    [(signal.SIGTERM, p) for p in POINTS] + [(signal.SIGKILL, p) for p in [*POINTS, "committed"]],
    ids=lambda v: v.name if isinstance(v, signal.Signals) else v,
)
def test_a_signal_at_any_step_leaves_the_old_or_the_new_set(tmp_path, sets, sig, point):
    script, old, new = sets
    folder = tmp_path / "processed"
    shutil.copytree(old, folder)
    proc = _start_paused(
        [sys.executable, str(script), str(folder), "2"], _env(tmp_path, point), tmp_path
    )
    proc.send_signal(sig)
    proc.communicate(timeout=60)
    after_signal = _snapshot(folder)
    if sig == signal.SIGTERM:
        assert proc.returncode == 128 + signal.SIGTERM
        assert after_signal == _snapshot(old)  # rolled back at once, nothing left behind
    else:
        assert proc.returncode == -signal.SIGKILL
        if point in ("rename:3", "renamed"):  # the defect: a mixed set with its journal
            assert after_signal != _snapshot(old) and after_signal != _snapshot(new)
            assert manifest.JOURNAL_NAME in after_signal
    lines: list[str] = []
    commands.panel_status(set(), folder=folder, out=lines.append)  # `data status` repairs
    repaired = _snapshot(folder)
    assert repaired in (_snapshot(old), _snapshot(new)), sorted(repaired)
    if after_signal != repaired:
        assert any(ln.startswith(("repaired", "removed")) for ln in lines), lines


def test_the_next_build_repairs_a_killed_one(tmp_path, sets):
    script, old, new = sets
    folder = tmp_path / "processed"
    shutil.copytree(old, folder)
    proc = _start_paused(
        [sys.executable, str(script), str(folder), "2"], _env(tmp_path, "rename:2"), tmp_path
    )
    proc.kill()
    proc.communicate(timeout=60)
    assert manifest.JOURNAL_NAME in _snapshot(folder)
    lines: list[str] = []
    manifest.recover(folder, out=lines.append)  # what `data build` runs first
    assert _snapshot(folder) == _snapshot(old)
    assert "rolled back to the previous complete set" in lines[0] and "pa.parquet" in lines[0]
    runpy.run_path(str(script), run_name="writer")["write"](folder, 2)
    assert _snapshot(folder) == _snapshot(new)


def test_a_second_build_is_refused_while_one_writes(tmp_path, sets, capsys, monkeypatch):
    script, old, new = sets
    folder = tmp_path / "processed"
    shutil.copytree(old, folder)
    proc = _start_paused(
        [sys.executable, str(script), str(folder), "2"], _env(tmp_path, "rename:3"), tmp_path
    )
    try:
        # a second `data build` of the same folder is refused with one line naming the holder
        from enforcement_crime import config

        monkeypatch.setattr(config, "processed_dir", lambda: folder)
        (tmp_path / "raw").mkdir()
        assert cli.main(["data", "--raw", str(tmp_path / "raw"), "build"]) == 1
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1
        assert "REFUSED" in err and f"pid {proc.pid}" in err and "wait for it to finish" in err
        with pytest.raises(manifest.BuildLockedError):
            runpy.run_path(str(script), run_name="writer")["write"](folder, 3)
        # `data status` meanwhile leaves the folder alone and says so
        lines: list[str] = []
        commands.panel_status(set(), folder=folder, out=lines.append)
        assert any("not checked for an interrupted build" in ln for ln in lines)
        assert manifest.JOURNAL_NAME in _snapshot(folder)  # the running build's journal stays
    finally:
        _resume(tmp_path)
        proc.communicate(timeout=60)
    assert proc.returncode == 0
    assert _snapshot(folder) == _snapshot(new)  # the first build finished whole


def test_status_never_reports_a_panel_with_files_of_two_builds_as_built(tmp_path, sets):
    import pandas as pd

    a, b = tmp_path / "a", tmp_path / "b"
    for folder, gen in ((a, "one"), (b, "two")):
        df = pd.DataFrame({"fips": ["37001"], "year": [2010]})
        m = manifest.Manifest(panel="nc_county", rows_in=1, rows_out=1)
        manifest.write_panels([(df, "nc_county", m, False)], folder=folder, generation=gen)
    shutil.copy(b / "nc_county.json", a / "nc_county.json")  # new manifest beside the old parquet
    rows = {r["panel"]: r for r in commands.panel_status(set(), folder=a, out=lambda s: None)}
    assert rows["nc_county"]["built"] is False and rows["nc_county"]["state"].startswith("MIXED")
    rows = {r["panel"]: r for r in commands.panel_status(set(), folder=b, out=lambda s: None)}
    assert rows["nc_county"]["built"] is True
    (b / "nc_county.json").unlink()
    rows = {r["panel"]: r for r in commands.panel_status(set(), folder=b, out=lambda s: None)}
    assert rows["nc_county"]["built"] is False and "INCOMPLETE" in rows["nc_county"]["state"]


# ------------------------------------------------------------ the real `data build`, end to end


@pytest.fixture
def cius_root(tmp_path, fixtures_dir, raw_tree_maker):
    """A project root whose data/processed holds a first cius_county build (the old set)."""
    root = tmp_path / "root"
    raw = raw_tree_maker(tmp_path / "raw", fixtures_dir)
    folder = root / "data" / "processed"
    commands.build(
        ["cius_county"], raw=raw, folder=folder, accept_changed_raw=True, out=lambda s: None
    )
    return root, raw, folder


def _data_build(root: Path, raw: Path, tmp_path: Path, point: str) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "enforcement_crime", "data", "--raw", str(raw), "build"]
    cmd += ["cius_county", "--accept-changed-raw"]
    return _start_paused(cmd, _env(tmp_path, point, ENFORCEMENT_CRIME_ROOT=str(root)), tmp_path)


def test_sigterm_during_data_build_renames_restores_the_old_panel(tmp_path, cius_root):
    root, raw, folder = cius_root
    before = _snapshot(folder)
    assert len(before) == 3  # parquet, composition table, JSON
    proc = _data_build(root, raw, tmp_path, "rename:2")
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM
    assert err.strip().splitlines() == [
        "data build: interrupted (SIGTERM); the processed folder holds its last complete set "
        "of panels (see `data status`)"
    ]
    assert _snapshot(folder) == before


def test_sigkill_during_data_build_is_repaired_by_data_status(tmp_path, cius_root, monkeypatch):
    root, raw, folder = cius_root
    before = _snapshot(folder)
    proc = _data_build(root, raw, tmp_path, "rename:2")
    proc.kill()
    proc.communicate(timeout=60)
    mixed = _snapshot(folder)
    assert mixed != before and manifest.JOURNAL_NAME in mixed
    monkeypatch.setenv("ENFORCEMENT_CRIME_ROOT", str(root))
    lines: list[str] = []
    rows = {r["panel"]: r for r in commands.panel_status(set(), out=lines.append)}
    assert _snapshot(folder) == before
    assert rows["cius_county"]["built"] is True
    assert any("rolled back" in ln and "cius_county.parquet" in ln for ln in lines)
