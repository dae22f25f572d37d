"""CLI failure paths end in one line on stderr and a non-zero exit, never a traceback."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from enforcement_crime import cli


def _one_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize(
    "out, expected",
    [
        ("{tmp}/panel.csv", "must end in .parquet"),
        ("{tmp}/folder.parquet", "is a folder"),
        ("{tmp}/a_file/panel.parquet", "is a file, not a folder"),
    ],
)
def test_synthetic_bad_out_is_one_line_and_exit_2(tmp_path, capsys, out, expected):
    (tmp_path / "a_file").write_text("not a folder\n")
    (tmp_path / "folder.parquet").mkdir()
    before = sorted(p.name for p in tmp_path.iterdir())
    assert cli.main(["synthetic", "--out", out.format(tmp=tmp_path)]) == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith("synthetic") and expected in line
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_synthetic_unknown_preset_is_one_line_and_exit_2(tmp_path, capsys):
    assert cli.main(["synthetic", "--preset", "dynamc", "--out", str(tmp_path / "p.parquet")]) == 2
    line = _one_line(capsys.readouterr().err)
    assert "unknown --preset 'dynamc'" in line and "did you mean 'dynamic'" in line
    assert list(tmp_path.iterdir()) == []


def test_synthetic_on_a_full_disk_is_one_line_and_keeps_the_old_file(tmp_path, capsys, monkeypatch):
    import pyarrow.parquet as pq

    target = tmp_path / "synthetic.parquet"
    target.write_bytes(b"old panel")

    def full_disk(table, where, **kwargs):
        Path(where).write_bytes(b"PAR1")
        raise OSError(errno.ENOSPC, "No space left on device", str(where))

    monkeypatch.setattr(pq, "write_table", full_disk)
    assert cli.main(["synthetic", "--out", str(target)]) == 1
    line = _one_line(capsys.readouterr().err)
    assert line.startswith("synthetic: FAILED (No space left on device")
    assert target.read_bytes() == b"old panel"
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == [
        "synthetic.parquet"
    ]


def test_accept_changed_raw_help_names_every_check_it_overrides():
    from enforcement_crime.panels import cius_county, runner

    build = next(p for p in cli._subparsers(cli.parser()) if p.prog.endswith("data build"))
    text = " ".join(build._option_string_actions["--accept-changed-raw"].help.split())
    assert "sha256" in text and "completeness check" in text and "match rate" in text
    # the checks it names are the ones the flag switches off
    assert "accept_changed" in runner.check_raw.__code__.co_varnames
    assert 0 < cius_county.MATCH_RATE_FLOOR < 1
