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


TINY = """# %% tags=["parameters"]
data_source = "synthetic"
seed = 7

# %%
print(seed)
"""


def test_notebooks_params_run_runs_every_file_and_ends_with_a_summary(
    tmp_path, monkeypatch, capsys
):
    from types import SimpleNamespace

    from enforcement_crime import notebooks

    (tmp_path / "notebooks" / "demo").mkdir(parents=True)
    (tmp_path / "notebooks" / "demo" / "01-tiny.py").write_text(TINY)
    (tmp_path / "params").mkdir()
    for name, seed in (("a-first", 1), ("b-fails", 2), ("c-last", 3)):
        (tmp_path / "params" / f"{name}.yaml").write_text(
            f"# notebook: notebooks/demo/01-tiny.py\nseed: {seed}\n"
        )
    monkeypatch.setenv("ENFORCEMENT_CRIME_ROOT", str(tmp_path))
    monkeypatch.setenv("ENFORCEMENT_CRIME_REPORTS", str(tmp_path / "reports"))
    ran = []

    def run(path, html=True):
        ran.append(path.name)
        if "fails" in path.name:
            raise RuntimeError("Traceback ...\nValueError: the kernel said no")
        return SimpleNamespace(seconds=0.1, folder=tmp_path / "reports" / "runs" / path.stem)

    monkeypatch.setattr(notebooks, "run_param_file", run)
    monkeypatch.setattr(notebooks, "check_panels", lambda runs: None)
    assert cli.main(["notebooks", "params", "--run", "--no-html"]) == 1
    assert ran == ["a-first.yaml", "b-fails.yaml", "c-last.yaml"]  # the failure did not stop it
    err = capsys.readouterr().err
    assert "[params] b-fails.yaml: FAILED: ValueError: the kernel said no" in err
    assert err.strip().splitlines()[-1] == "[params] 2 ok, 1 failed (b-fails.yaml)"


def test_a_notebook_failing_in_its_kernel_ends_notebooks_run_in_one_line(
    tmp_path, monkeypatch, capsys
):
    from papermill.exceptions import PapermillExecutionError

    from enforcement_crime import notebooks

    (tmp_path / "notebooks" / "demo").mkdir(parents=True)
    (tmp_path / "notebooks" / "demo" / "01-tiny.py").write_text(TINY)
    monkeypatch.setenv("ENFORCEMENT_CRIME_ROOT", str(tmp_path))
    monkeypatch.setenv("ENFORCEMENT_CRIME_REPORTS", str(tmp_path / "reports"))
    message = "design '287g_nc': option 'n_boot' must be a whole number of at least 1, got -5"

    def fail(**kwargs):
        raise PapermillExecutionError(
            cell_index=3, exec_count=3, source="design = designs.get(...)",
            ename="ValueError", evalue=message, traceback=["Traceback", "...", message],
        )  # fmt: skip

    monkeypatch.setattr(notebooks, "run_all", fail)
    assert cli.main(["notebooks", "run", "--only", "demo", "--no-html"]) == 1
    line = _one_line(capsys.readouterr().err)
    assert line.startswith(f"notebooks run: FAILED: ValueError: {message}")
