"""``make real`` reruns: a notebook's old outputs never outlive a failed rerun, ``--only`` keeps the index.

The notebooks are replaced by a stand-in that saves one table through
:class:`~enforcement_crime.reports.OutputLog` (as the study notebooks do) or
fails; everything is written under ``tmp_path`` (``ENFORCEMENT_CRIME_REPORTS``).
The tables are toy numbers, labelled as test data.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from enforcement_crime import designs, notebooks, real, reports

SC = designs.get("sc_county")
NAT = designs.get("287g_national")


@pytest.fixture
def reports_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("ENFORCEMENT_CRIME_REPORTS", str(tmp_path))
    return tmp_path


def _stand_in(fail_for: set[str], table_name: dict[str, str]):
    """``execute_notebook`` stand-in: save one table per notebook, or raise for ``fail_for``.

    The table goes where a kernel started with ``env`` would write it (its
    ``ENFORCEMENT_CRIME_REPORTS``); the runs calling it go one at a time (``jobs=1``).
    """

    def execute(source, target, parameters, html=True, env=None):
        nb = str(Path(source).relative_to(Path(source).parents[2]))
        if nb in fail_for:
            raise RuntimeError("kernel died\nCellExecutionError: the estimator refused the panel")
        with pytest.MonkeyPatch.context() as mp:
            for name, value in (env or {}).items():
                mp.setenv(name, value)
            log = reports.OutputLog(
                study=Path(nb).parent.name, notebook=nb, synthetic=False, data_label="TEST DATA"
            )
            log.table(pd.DataFrame({"x": [1.0]}), table_name[nb], description="toy table")
            log.finish()
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        Path(target).write_text("{}")

    return execute


def _runs(keys):
    return [r for r in real.planned_runs(["cius_county"]) if r.key in keys]


def test_a_failed_rerun_removes_the_old_outputs_and_says_failed(reports_dir, monkeypatch):
    runs = _runs({"sc_county"})
    assert [r.notebook for r in runs] == [SC.notebook]
    monkeypatch.setattr(
        notebooks, "execute_notebook", _stand_in(set(), {SC.notebook: "tab_sc_old"})
    )
    real.run_real(runs, out=lambda s: None, html=False, jobs=1)
    folder = real.real_dir() / "cius_county"
    old = sorted(folder.rglob("tab_sc_old.*"))
    assert [p.suffix for p in old] == [".csv", ".tex"]
    assert "tab_sc_old" in (folder / "OUTPUTS.md").read_text()

    monkeypatch.setattr(notebooks, "execute_notebook", _stand_in({SC.notebook}, {}))
    records = real.run_real(runs, out=lambda s: None, html=False, jobs=1)
    assert records[0]["status"].startswith("FAILED: RuntimeError: CellExecutionError")
    assert not any(p.exists() for p in old)  # the previous run's table is gone
    text = (folder / "OUTPUTS.md").read_text()
    assert "tab_sc_old" not in text
    assert "**FAILED runs**" in text and SC.notebook in text and "estimator refused" in text


def test_a_rerun_replaces_only_its_own_notebook_outputs(reports_dir, monkeypatch):
    runs = _runs({"sc_county", "287g_national"})
    names = {SC.notebook: "tab_sc_a", NAT.notebook: "tab_nat_a"}
    monkeypatch.setattr(notebooks, "execute_notebook", _stand_in(set(), names))
    real.run_real(runs, out=lambda s: None, html=False, jobs=1)
    names = {SC.notebook: "tab_sc_b", NAT.notebook: "tab_nat_a"}
    monkeypatch.setattr(notebooks, "execute_notebook", _stand_in(set(), names))
    real.run_real(_runs({"sc_county"}), out=lambda s: None, html=False, jobs=1)
    folder = real.real_dir() / "cius_county"
    assert not list(folder.rglob("tab_sc_a.*")) and list(folder.rglob("tab_sc_b.csv"))
    assert list(folder.rglob("tab_nat_a.csv"))  # another notebook's outputs stay
    text = (folder / "OUTPUTS.md").read_text()
    assert "tab_sc_b" in text and "tab_nat_a" in text and "tab_sc_a`" not in text


def test_only_updates_its_runs_in_the_index(reports_dir):
    def rec(nb, status):
        return {"key": "k", "notebook": nb, "panel": "cius_county", "status": status,
                "seconds": 1, "folder": str(reports_dir)}  # fmt: skip

    real.write_index([rec(SC.notebook, "ok"), rec(NAT.notebook, "ok")])
    _, listed = real.write_index([rec(SC.notebook, "FAILED: x")], partial=True)
    assert [(r["notebook"], r["status"]) for r in listed] == [
        (SC.notebook, "FAILED: x"),
        (NAT.notebook, "ok"),
    ]
    index = (real.real_dir() / "OUTPUTS.md").read_text()
    assert SC.notebook in index and NAT.notebook in index and "FAILED: x" in index
    _, listed = real.write_index([rec(SC.notebook, "ok")])  # a full run lists what it ran
    assert [r["notebook"] for r in listed] == [SC.notebook]


def test_runs_go_side_by_side_each_kernel_told_its_panel_folder(reports_dir, monkeypatch):
    """With ``jobs=2`` two runs execute at once; each gets its panel folder through ``env`` (the
    kernel's environment), not through this process's ``os.environ``; the records keep run order."""
    import itertools
    import os
    import threading

    runs = [r for r in real.planned_runs(["cius_county", "city_sc"]) if r.key != "methods"][:3]
    assert len({r.panel for r in runs}) == 2  # two panel folders among the runs
    both, started, seen = threading.Barrier(2, timeout=30), itertools.count(), []

    def execute(source, target, parameters, html=True, env=None):
        if next(started) < 2:
            both.wait()  # the first two runs are in flight together, else this breaks
        seen.append((parameters["data_source"], env, os.environ["ENFORCEMENT_CRIME_REPORTS"]))
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        Path(target).write_text("{}")

    monkeypatch.setattr(notebooks, "execute_notebook", execute)
    records = real.run_real(runs, out=lambda s: None, html=False, jobs=2)
    assert [r["status"] for r in records] == ["ok"] * len(runs)
    assert [(r["notebook"], r["panel"]) for r in records] == [(r.notebook, r.panel) for r in runs]
    for panel, env, ours in seen:
        assert env == {"ENFORCEMENT_CRIME_REPORTS": str(real.real_dir() / panel)}
        assert ours == str(reports_dir)  # this process's setting is left as it was
