"""`notebooks run` starts the notebooks with the longest last run first and records each default run's time."""

from __future__ import annotations

import json
from pathlib import Path

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


def test_the_tracked_expected_seconds_name_every_notebook_and_every_real_run():
    """A fresh clone has no recorded run times: the tracked table orders its first runs.

    Every default notebook and every run ``make real`` can plan (all panels built) has an
    entry, so a new notebook or panel cannot silently start last on a fresh clone.
    """
    from enforcement_crime import designs, real

    expected = notebooks.expected_seconds({})
    assert expected and all(v > 0 for v in expected.values())
    for path in notebooks.discover():
        assert path.relative_to(config.notebooks_dir()).as_posix() in expected
    panels = {p for key in designs.DESIGNS for p in designs.get(key).panels}
    panels |= {p for _, _, p, params in real.EXTRA_RUNS} | {
        v for *_, params in real.EXTRA_RUNS for k, v in params.items() if k.endswith("_source")
    }
    runs = real.planned_runs(panels)
    assert runs
    missing = [real.run_key(r) for r in runs if real.run_key(r) not in expected]
    assert not missing, f"add to notebooks/{notebooks.EXPECTED_SECONDS}: {missing}"


def test_real_runs_start_longest_first_and_records_keep_the_planned_order(tmp_path, monkeypatch):
    from enforcement_crime import real

    monkeypatch.setenv("ENFORCEMENT_CRIME_REPORTS", str(tmp_path))
    runs = [real.RealRun("k", f"notebooks/x/0{i}.py", "p", {}) for i in range(3)]
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / real.RUN_SECONDS).write_text(
        json.dumps(
            {real.run_key(runs[0]): 1.0, real.run_key(runs[1]): 30.0, real.run_key(runs[2]): 5.0}
        )
    )
    started = []

    def fake_execute(source, target, parameters, **kw):
        started.append(Path(source).name)

    monkeypatch.setattr(notebooks, "execute_notebook", fake_execute)
    monkeypatch.setattr(real, "clear_run_outputs", lambda folder, nb: [])
    monkeypatch.setattr("enforcement_crime.reports.write_outputs_md", lambda *a, **k: None)
    records = real.run_real(runs, out=lambda s: None, html=False, jobs=1)
    assert started == ["01.py", "02.py", "00.py"]
    assert [r["notebook"] for r in records] == [r.notebook for r in runs]
    recorded = json.loads((tmp_path / "real" / real.RUN_SECONDS).read_text())
    assert set(recorded) == {real.run_key(r) for r in runs}
