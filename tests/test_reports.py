"""The study notebooks' exported numbers equal the numbers they computed; real-data runs write every output.

(a) Default data: each study notebook runs (fast parameters) with reports in a
temporary folder. Every table it exports through ``studies.OutputLog.table``
is also shown in the executed notebook as a tagged JSON output holding the
DataFrame the notebook computed; the test compares it with the CSV on disk,
and compares the study-vs-rebuild estimates the notebook recorded as values
with the exported table.

(b) Real data (``../shared/data`` present, else skipped): the CIUS-based
panels are built from the shared copies with the data team's builders into a
temporary project root (nothing is copied into the repository), every
parameter file in ``params/`` whose panels were built is executed, and each
notebook's figures and tables must exist and be non-empty.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from enforcement_crime import config, notebooks, studies

STUDY_NOTEBOOKS = [
    "notebooks/287g/01-estimate-nc-counties.py",
    "notebooks/287g/02-estimate-national-counties.py",
    "notebooks/secure_communities/01-estimate-county-crime.py",
    "notebooks/secure_communities/02-estimate-city-crime.py",
    "notebooks/methods/01-run-multiverse.py",
    "notebooks/methods/02-compute-minimum-detectable-effects.py",
]
# fast settings: fewer bootstrap draws, permutations, placebo draws and specifications
FAST = {
    "notebooks/287g/01-estimate-nc-counties.py": {"n_boot": 99, "n_perm": 49, "n_mde_sims": 50},
    "notebooks/287g/02-estimate-national-counties.py": {"n_boot": 99, "n_mde_sims": 50},
    "notebooks/secure_communities/01-estimate-county-crime.py": {"n_mde_sims": 50},
    "notebooks/secure_communities/02-estimate-city-crime.py": {"n_mde_sims": 50},
    "notebooks/methods/01-run-multiverse.py": {
        "coverage_rules": ["all_reported"],
        "weights_options": ["population"],
    },
    "notebooks/methods/02-compute-minimum-detectable-effects.py": {"n_sim": 50},
}


def _run_all(jobs, reports: Path, env: dict[str, str]):
    """Execute (source, output, parameters) jobs two at a time with ``env`` set for the kernels."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ENFORCEMENT_CRIME_REPORTS", str(reports))
        for k, v in env.items():
            mp.setenv(k, v)
        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = [pool.submit(notebooks.execute_notebook, src, out, params, html=False, timeout=900, cwd=cwd)
                       for src, out, params, cwd in jobs]  # fmt: skip
            return [f.result() for f in futures]


def _errors(nb_path: Path) -> list[str]:
    nb = nbformat.read(nb_path, as_version=4)
    return [f"{o.get('ename')}: {o.get('evalue')}" for c in nb.cells if c.cell_type == "code"
            for o in c.get("outputs", []) if o.get("output_type") == "error"]  # fmt: skip


def _registry(reports: Path, notebook: str) -> dict:
    path = (
        reports
        / "notebooks"
        / "_outputs"
        / (notebook.replace("/", "__").removesuffix(".py") + ".json")
    )
    assert path.is_file(), f"{notebook} recorded no outputs ({path})"
    return json.loads(path.read_text())


# --------------------------------------------------------------------------------------
# (a) default (synthetic) data: exported numbers == computed numbers
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def default_runs(tmp_path_factory):
    reports = tmp_path_factory.mktemp("reports")
    root = config.project_root()
    jobs = [
        (root / nb, reports / "nb" / (Path(nb).stem + ".ipynb"), FAST[nb], None)
        for nb in STUDY_NOTEBOOKS
    ]
    runs = _run_all(jobs, reports, {})
    for run in runs:
        print(f"{run.source.relative_to(root)}: {run.seconds:.1f} s (fast parameters)")
    return reports, {nb: run for nb, run in zip(STUDY_NOTEBOOKS, runs, strict=True)}


def _compare_frames(computed: pd.DataFrame, exported: pd.DataFrame, where: str) -> None:
    # the JSON output keeps the values but not the column order (Jupyter sorts object keys)
    assert set(exported.columns) == {*computed.columns, "is_synthetic"}, where
    assert len(exported) == len(computed), where
    computed = computed[[c for c in exported.columns if c != "is_synthetic"]]
    for col in computed.columns:
        a, b = computed[col], exported[col]
        if pd.api.types.is_numeric_dtype(b) and not pd.api.types.is_bool_dtype(b):
            a = pd.to_numeric(a, errors="coerce").astype(float).to_numpy()
            # both sides are float64 written at full precision (JSON and CSV round-trip repr): equality up to
            # the last bit, allowing 1e-12 relative for any float formatting on the way
            np.testing.assert_allclose(
                b.astype(float).to_numpy(),
                a,
                rtol=1e-12,
                atol=0,
                equal_nan=True,
                err_msg=f"{where}: {col}",
            )
        else:
            # CSV reads an empty string back as missing: compare both as text with missing = ""
            sa = (
                a.astype("string")
                .fillna("")
                .str.replace("True", "true")
                .str.replace("False", "false")
            )
            sb = (
                b.astype("string")
                .fillna("")
                .str.replace("True", "true")
                .str.replace("False", "false")
            )
            assert sa.tolist() == sb.tolist(), f"{where}: column {col} differs"


@pytest.mark.notebooks
@pytest.mark.parametrize("notebook", STUDY_NOTEBOOKS)
def test_exported_tables_equal_computed_numbers(default_runs, notebook):
    reports, runs = default_runs
    run = runs[notebook]
    assert not _errors(run.output)
    computed = studies.notebook_tables(run.output)
    rec = _registry(reports, notebook)
    tables = [e for e in rec["outputs"] if e["kind"] == "table"]
    assert tables and {t["name"] for t in tables} == set(computed), (
        f"{notebook}: tagged tables differ from exported ones"
    )
    for t in tables:
        csv = Path(t["files"]["csv"])
        _compare_frames(computed[t["name"]], pd.read_csv(csv), f"{notebook}: {t['name']}")
        assert Path(t["files"]["tex"]).stat().st_size > 0
    for f in (e for e in rec["outputs"] if e["kind"] == "figure"):
        for ext in ("pdf", "png", "csv"):
            assert Path(f["files"][ext]).stat().st_size > 0, f"{notebook}: {f['name']}.{ext} empty"
    assert rec["synthetic"] is True and "SYNTHETIC" in rec["data"]


@pytest.mark.notebooks
def test_study_vs_rebuild_values_match_export(default_runs):
    reports, runs = default_runs
    nb = "notebooks/287g/01-estimate-nc-counties.py"
    values = studies.notebook_values(runs[nb].output)
    svr = pd.read_csv(reports / "tables" / "287g" / "tab_287g_nc_study_vs_rebuild.csv")
    recorded = {k: v for k, v in values.items() if k.startswith("svr_")}
    assert len(recorded) == len(svr)
    for i, row in svr.iterrows():
        v = recorded[f"svr_{row['outcome']}_{i}_estimate"]
        assert v == pytest.approx(row["estimate"], rel=1e-12), (
            i,
            row["outcome"],
        )  # full-precision round trip
    mde = {k.removeprefix("mde_"): v for k, v in values.items() if k.startswith("mde_")}
    for _, row in svr.iterrows():
        assert row["mde"] == pytest.approx(mde[row["outcome"]], rel=1e-12)


@pytest.mark.notebooks
def test_outputs_md_maps_every_output(default_runs):
    reports, _ = default_runs
    text = (reports / "OUTPUTS.md").read_text()
    written = [
        p for kind in ("figures", "tables") for p in (reports / kind).rglob("*") if p.is_file()
    ]
    assert written
    for p in written:
        assert p.relative_to(reports).as_posix() in text, f"{p.name} not in OUTPUTS.md"
    for nb in STUDY_NOTEBOOKS:
        assert f"`{nb}`" in text


# --------------------------------------------------------------------------------------
# (b) real CIUS-based panels from ../shared/data
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_runs(shared_data, tmp_path_factory):
    from enforcement_crime.panels import commands

    root = tmp_path_factory.mktemp("project")
    processed = root / "data" / "processed"
    processed.mkdir(parents=True)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ENFORCEMENT_CRIME_SHARED", str(shared_data))
        built = commands.build(
            ["cius_county", "city_sc", "nc_county"],
            shared=True,
            folder=processed,
            out=lambda s: None,
        )
    built = {k for k, p in built.items() if k != "synthetic" and Path(p).is_file()}
    if not built:
        pytest.skip("no CIUS-based panel could be built from the shared data")
    specs = []
    for spec in studies.param_files():
        p = spec["parameters"]
        panels = {v for k, v in p.items() if k.endswith("_source") and v}
        if panels and panels <= built:
            specs.append(spec)
    assert specs, f"no parameter file uses only the built panels {sorted(built)}"
    reports = root / "reports"
    proj = config.project_root()
    jobs = [(proj / s["notebook"], reports / "nb" / (s["path"].stem + ".ipynb"), {**s["parameters"], **FAST[s["notebook"]]}, root)
            for s in specs]  # fmt: skip
    env = {"ENFORCEMENT_CRIME_ROOT": str(root), "ENFORCEMENT_CRIME_SHARED": str(shared_data)}
    runs = _run_all(jobs, reports, env)
    for s, run in zip(specs, runs, strict=True):
        print(f"{s['path'].name} -> {s['notebook']}: {run.seconds:.1f} s on real panels")
    return reports, specs, runs


@pytest.mark.shared_data
@pytest.mark.notebooks
def test_study_notebooks_on_real_cius_panels(real_runs):
    reports, specs, runs = real_runs
    assert {s["notebook"] for s in specs} >= {
        "notebooks/287g/01-estimate-nc-counties.py",
        "notebooks/secure_communities/01-estimate-county-crime.py",
        "notebooks/secure_communities/02-estimate-city-crime.py",
    }
    for spec, run in zip(specs, runs, strict=True):
        where = spec["path"].name
        assert not _errors(run.output), f"{where}: {_errors(run.output)}"
        rec = _registry(reports, spec["notebook"])
        assert rec["synthetic"] is False and "real panel" in rec["data"], where
        figures = [e for e in rec["outputs"] if e["kind"] == "figure"]
        tables = [e for e in rec["outputs"] if e["kind"] == "table"]
        assert figures and tables, f"{where}: no figure or no table"
        for e in figures + tables:
            for f in e["files"].values():
                assert Path(f).stat().st_size > 0, f"{where}: {Path(f).name} empty"
            csv = pd.read_csv(e["files"]["csv"])
            assert len(csv) > 0 and not csv["is_synthetic"].any(), f"{where}: {e['name']}"
    assert os.environ.get("ENFORCEMENT_CRIME_ROOT") is None  # the temporary root did not leak
