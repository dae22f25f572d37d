"""`notebooks run` starts the notebooks with the longest last run first and records each default run's time."""

from __future__ import annotations

import json

from enforcement_crime import config, notebooks


def _paths(*rels):
    root = config.notebooks_dir()
    return [root / r for r in rels]


def test_longest_first_orders_by_last_run_unknown_first_ties_in_order():
    paths = _paths("a/01-short.py", "a/02-long.py", "b/01-new.py", "b/02-tie.py", "c/01-tie.py")
    seconds = {"a/01-short.py": 3.0, "a/02-long.py": 50.0, "b/02-tie.py": 9.0, "c/01-tie.py": 9.0}
    order = notebooks.longest_first(paths, seconds)
    assert [p.relative_to(config.notebooks_dir()).as_posix() for p in order] == [
        "b/01-new.py",  # never run here: may be the longest
        "a/02-long.py",
        "b/02-tie.py",  # equal times keep the discovery order
        "c/01-tie.py",
        "a/01-short.py",
    ]


def test_default_runs_are_recorded_and_parameter_runs_are_not(tmp_path, monkeypatch):
    monkeypatch.setenv("ENFORCEMENT_CRIME_REPORTS", str(tmp_path))
    a, b = _paths("s/01-a.py", "s/02-b.py")
    out = tmp_path / "x.ipynb"
    notebooks._record_run_seconds(
        [
            notebooks.NotebookRun(a, out, None, 12.34),
            notebooks.NotebookRun(b, out, None, 99.0, folder=tmp_path / "runs" / "b"),
        ],
        {"s/02-b.py": 7.0, "old/01-kept.py": 1.5},
    )
    recorded = json.loads((tmp_path / "notebooks" / notebooks.RUN_SECONDS).read_text())
    assert recorded == {"s/01-a.py": 12.3, "s/02-b.py": 7.0, "old/01-kept.py": 1.5}
    assert notebooks._run_seconds() == recorded


def test_an_unreadable_record_means_no_record(tmp_path, monkeypatch):
    monkeypatch.setenv("ENFORCEMENT_CRIME_REPORTS", str(tmp_path))
    path = tmp_path / "notebooks" / notebooks.RUN_SECONDS
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    assert notebooks._run_seconds() == {}
    path.write_text('["a list"]')
    assert notebooks._run_seconds() == {}
