"""``make real``: which notebook runs on which real panel, and the results section read back from its tables."""

from __future__ import annotations

import pandas as pd
import pytest

from enforcement_crime import designs, real


def test_planned_runs_follow_the_designs_panels():
    runs = real.planned_runs(["cius_county", "nc_county", "city_sc", "cius_sheriff"])
    pairs = {(r.key, r.panel) for r in runs}
    for key in designs.DESIGNS:
        for panel in designs.get(key).panels:
            if panel in {"cius_county", "nc_county", "city_sc", "cius_sheriff"}:
                assert (key, panel) in pairs
    assert ("sc_city", "cius_county") not in pairs  # the city design runs on city panels only
    assert all(r.parameters["data_source"] == r.panel for r in runs)
    # the alternative panels a design declares become robustness rows of its runs, when built
    sc = next(r for r in runs if r.key == "sc_county" and r.panel == "cius_county")
    assert sc.parameters["alt_panels"] == ["cius_sheriff"]  # cius_county_constant is not built here
    assert {r.key for r in real.planned_runs(["cius_county"], only=["sc_county"])} == {"sc_county"}
    assert real.planned_runs([]) == []


def test_results_markdown_reads_the_exported_tables(tmp_path, monkeypatch):
    monkeypatch.setenv("ENFORCEMENT_CRIME_REPORTS", str(tmp_path))
    d = designs.get("sc_county")
    folder = real.real_dir() / "cius_county"
    tables = folder / "tables" / d.study
    tables.mkdir(parents=True)
    head = d.headline_spec().label
    pd.DataFrame({"outcome": ["index_rate", "index_rate"], "specification": [head, "another spec"],
                  "estimate": [-12.5, 99.0], "conf_low": [-40.0, 1.0], "conf_high": [15.0, 200.0],
                  "mde": [33.3, 1.0]}).to_csv(
        tables / "tab_sc_county_study_vs_rebuild.csv", index=False)  # fmt: skip
    pd.DataFrame({"outcome": ["index_rate"], "pretrend_p": [0.012], "honest_breakdown": [0.5]}).to_csv(
        tables / "tab_sc_county_diagnostics.csv", index=False)  # fmt: skip
    pd.DataFrame({"outcome": ["index_rate"] * 3, "choice": ["headline", "weights", "placebo"],
                  "estimate": [-12.5, -30.0, 5.0], "conf_low": [-40.0, -50.0, 1.0],
                  "conf_high": [15.0, -10.0, 9.0]}).to_csv(tables / "tab_sc_county_robustness.csv", index=False)  # fmt: skip
    pd.DataFrame({"outcome": ["index_rate"], "reading": ["index_rate: headline moves with weights."]}).to_csv(
        tables / "tab_sc_county_reading.csv", index=False)  # fmt: skip
    records = [{"key": "sc_county", "notebook": d.notebook, "panel": "cius_county", "status": "ok",
                "seconds": 1, "folder": str(folder)}]  # fmt: skip
    text = real.results_markdown(records)
    rows = [line for line in text.splitlines() if line.startswith("| cius_county")]
    assert len(rows) == 1  # the headline row only, not the other specifications
    row = rows[0]
    assert "- index_rate: headline moves with weights." in text
    # the numbers come from the tables: estimate and interval, pre-trend p, breakdown, MDE, and
    # 1 of the 2 non-placebo robustness intervals excludes 0 (the placebo row is not counted)
    assert "-12.5 [-40, 15]" in row and "0.012" in row and "| 0.5 |" in row and "33.3" in row
    # no row with an estimator p-value: the two distinct intervals are analytic, counted apart
    assert row.rstrip().endswith("| calibrated 0 of 0, analytic (over-rejects) 1 of 2 |")
    failed = [{**records[0], "status": "FAILED: boom"}]
    assert "FAILED: boom" in real.results_markdown(failed)


def test_readme_section_replaced_between_markers(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{real.README_START}\nold\n{real.README_END}\nrest\n")
    real.write_readme_section("new table", readme)
    assert readme.read_text() == f"intro\n{real.README_START}\nnew table\n{real.README_END}\nrest\n"
    readme.write_text("no markers")
    with pytest.raises(ValueError, match="markers"):
        real.write_readme_section("x", readme)


def _run_record(folder, key, panel, status="ok"):
    d = designs.get(key)
    return {"key": key, "notebook": d.notebook, "panel": panel, "status": status, "seconds": 1,
            "folder": str(folder)}  # fmt: skip


def test_results_markdown_opens_with_one_verdict_table_of_every_run(tmp_path, monkeypatch):
    monkeypatch.setenv("ENFORCEMENT_CRIME_REPORTS", str(tmp_path))
    d = designs.get("287g_nc")
    folder = real.real_dir() / "nc_agency"
    tables = folder / "tables" / d.study
    tables.mkdir(parents=True)
    pd.DataFrame({"conclusion": ["NC crime", "NC assaults on officers"],
                  "outcome": ["index_rate", "assaults_per_100k"], "sample": ["whole", "whole"],
                  "verdict": ["reproduced", "diverges: no relation"], "estimate": [0.01, -0.2],
                  "conf_low": [-0.1, -0.5], "conf_high": [0.12, 0.1],
                  "reason": ["interval covers 0 | tight", "interval covers 0"]}).to_csv(
        tables / "tab_287g_nc_verdicts.csv", index=False)  # fmt: skip
    records = [_run_record(folder, "287g_nc", "nc_agency"),
               _run_record(tmp_path / "x", "sc_county", "cius_county", status="FAILED: boom")]  # fmt: skip
    text = real.results_markdown(records)
    top = text.split(f"### {d.title}")[0]  # the verdict table comes before any study's section
    assert "### Verdicts" in top
    rows = [line for line in top.splitlines() if line.startswith(f"| {d.title} | nc_agency")]
    assert len(rows) == 2  # one row per verdict row of the run's table
    assert (
        "| NC assaults on officers | assaults_per_100k | whole | diverges: no relation |" in rows[1]
    )
    assert "-0.2 [-0.5, 0.1]" in rows[1]
    assert "interval covers 0 / tight" in rows[0]  # a "|" in the text does not break the table
    sc = designs.get("sc_county").title
    assert any(line.startswith(f"| {sc} | cius_county") and "FAILED: boom" in line
               for line in top.splitlines())  # fmt: skip
    assert "No run has exported a verdict table." in real.results_markdown([])


def test_results_markdown_matches_diagnostics_by_sample_and_outcome(tmp_path, monkeypatch):
    monkeypatch.setenv("ENFORCEMENT_CRIME_REPORTS", str(tmp_path))
    d = designs.get("287g_national")
    folder = real.real_dir() / "cius_county"
    tables = folder / "tables" / d.study
    tables.mkdir(parents=True)
    head = d.headline_spec().label
    jail, task = d.models[0], d.models[1]
    pd.DataFrame({"outcome": ["index_rate"] * 2, "specification": [f"{jail}: {head}", f"{task}: {head}"],
                  "estimate": [0.1, 0.2], "conf_low": [0.0, 0.1], "conf_high": [0.2, 0.3],
                  "mde": [0.05, 0.06]}).to_csv(tables / "tab_287g_national_study_vs_rebuild.csv",
                                               index=False)  # fmt: skip
    # the pooled sample first, then each model with its own numbers
    pd.DataFrame({"outcome": ["index_rate"] * 3, "sample": ["all adopters", jail, task],
                  "pretrend_p": [0.111, 0.222, 0.333], "honest_breakdown": [1.1, 2.2, 3.3]}).to_csv(
        tables / "tab_287g_national_diagnostics.csv", index=False)  # fmt: skip
    text = real.results_markdown([_run_record(folder, "287g_national", "cius_county")])
    rows = [line for line in text.splitlines() if line.startswith("| cius_county |")]
    assert len(rows) == 2
    assert f"| {jail} |" in rows[0] and "| 0.222 | 2.2 |" in rows[0]
    assert f"| {task} |" in rows[1] and "| 0.333 | 3.3 |" in rows[1]
    assert "0.111" not in text  # the pooled sample's diagnostics are not a model's


def test_robustness_summary_names_p_values_and_the_within_state_row():
    from enforcement_crime.designs.evidence import STATE_BY_YEAR, WITHIN_STATE

    rob = pd.DataFrame({"outcome": ["index_rate"] * 4 + ["violent_rate"],
                        "choice": ["headline", "weights", WITHIN_STATE, "placebo", "headline"],
                        "variant": ["base", "unweighted", f"base, {STATE_BY_YEAR}", "placebo", "base"],
                        "estimate": [0.1, 0.3, -0.05, 0.9, 0.0], "conf_low": [-0.1, 0.1, -0.2, 0.5, -1.0],
                        "conf_high": [0.3, 0.5, 0.1, 1.3, 1.0],
                        "p_value": [0.4, 0.01, float("nan"), 0.001, 0.9]})  # fmt: skip
    text = real._robustness_summary(rob, "index_rate")
    # 3 non-placebo rows: two with an estimator p-value (calibrated), one of whose intervals excludes 0,
    # and one analytic; two p-values, one below 0.05 (placebo not counted)
    assert text.startswith(
        "calibrated 1 of 2, analytic (over-rejects) 0 of 1; p < 0.05 in 1 of 2 with a p-value"
    )
    assert "within state (state-by-year FE) -0.05 [-0.2, 0.1]" in text
    assert real._robustness_summary(rob, "property_rate") == ""


def test_the_nc_design_runs_on_the_agency_panel_without_county_alternatives():
    runs = real.planned_runs(["nc_agency", "cius_sheriff"], only=["287g_nc"])
    agency = [r for r in runs if r.panel == "nc_agency"]
    assert len(agency) == 1 and agency[0].notebook == designs.get("287g_nc").notebook
    assert "alt_panels" not in agency[0].parameters  # county panels are not agency alternatives
    assert agency[0].parameters["data_source"] == "nc_agency"


def test_the_sc_county_design_runs_on_the_arrests_panel_without_crime_alternatives():
    runs = real.planned_runs(
        ["icpsr_arrests", "cius_county", "cius_county_constant"], only=["sc_county"]
    )
    by = {r.panel: r for r in runs}
    assert set(by) == {"icpsr_arrests", "cius_county"}
    arrests = by["icpsr_arrests"]
    assert arrests.notebook == designs.get("sc_county").notebook
    assert "alt_panels" not in arrests.parameters  # crime panels are not alternatives for arrests
    assert by["cius_county"].parameters["alt_panels"] == ["cius_county_constant"]
    text = real.results_markdown([{"key": "sc_county", "panel": "icpsr_arrests", "status": "not run",
                                   "notebook": arrests.notebook, "folder": "/nonexistent"}])  # fmt: skip
    assert "Panel `icpsr_arrests` holds arrests (ICPSR county files), not offenses" in text
