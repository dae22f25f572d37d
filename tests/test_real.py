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
    assert row.rstrip().endswith("| 1 of 2 |")
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
