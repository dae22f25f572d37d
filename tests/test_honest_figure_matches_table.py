"""The HonestDiD figure of a study shows, per outcome, the breakdown value of the study's table.

For every design that computes a HonestDiD table (``Design.honest``), the
table is computed on the built-in SYNTHETIC panel (two outcomes, a short
bootstrap), drawn with :func:`enforcement_crime.plots.honest_did_plot` and
saved through the design's output log exactly as the study notebook does;
the figure's CSV, the table's CSV and what the figure draws (the breakdown
line and the note of each panel) must agree outcome by outcome. A study
notebook that draws a HonestDiD figure must use such a design, so every
study that draws one is covered.
"""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from enforcement_crime import config, designs, plots  # noqa: E402
from enforcement_crime.labels import label  # noqa: E402

OUTCOMES = ("violent_rate", "property_rate")
HONEST = [k for k in designs.DESIGNS if hasattr(designs.get(k), "honest")]


def _study_notebooks_drawing_honest() -> dict[str, str]:
    """Study notebook -> the design key it opens, for notebooks that draw a HonestDiD figure."""
    out = {}
    for nb in sorted((config.project_root() / "notebooks").glob("*/*.py")):
        src = nb.read_text()
        if "honest_did_plot(" in src and "designs.get(" in src:
            key = re.search(r"designs\.get\(\s*[\"']([^\"']+)[\"']", src)
            assert key, f"{nb}: draws a HonestDiD figure but names no design"
            out[str(nb.relative_to(config.project_root()))] = key.group(1)
    return out


def test_every_study_drawing_a_honest_did_figure_is_covered():
    drawing = _study_notebooks_drawing_honest()
    assert drawing, "no study notebook draws a HonestDiD figure (the test below would cover none)"
    assert set(drawing.values()) <= set(HONEST), drawing


@pytest.mark.parametrize("key", HONEST)
def test_honest_did_figure_csv_has_the_tables_breakdown_for_each_outcome(
    key, tmp_path, monkeypatch
):
    monkeypatch.setenv("ENFORCEMENT_CRIME_REPORTS", str(tmp_path))
    plots.use_style("paper")
    design = designs.get(key, outcomes=OUTCOMES, n_boot=99)
    sample = design.open("synthetic", seed=20140101, preset="null")
    design, log = sample.design, design.output_log(sample)
    dynamic, _ = design.dynamic_estimators(sample)
    honest = design.honest(dynamic, seed=1)
    assert set(honest["outcome"]) == set(OUTCOMES)
    # as the study notebook: the figure, then the table, through the output log
    fig, drawn = plots.honest_did_plot(honest)
    fig_paths = log.figure(fig, design.output_name("fig", "honest_did"), honest, description="x")
    tab_paths = log.table(honest, design.output_name("tab", "honest_did"), description="x")
    fig_csv, tab_csv = pd.read_csv(fig_paths["csv"]), pd.read_csv(tab_paths["csv"])
    per_fig = fig_csv.groupby("outcome")["breakdown"].unique()
    per_tab = tab_csv.groupby("outcome")["breakdown"].unique()
    assert sorted(per_fig.index) == sorted(OUTCOMES) == sorted(per_tab.index)
    axes = {a.get_title(): a for a in fig.axes if a.get_title()}
    assert len(axes) == len(OUTCOMES), "one panel per outcome"
    for outcome in OUTCOMES:
        assert len(per_fig[outcome]) == 1, f"{outcome}: several breakdown values in the figure CSV"
        assert len(per_tab[outcome]) == 1, f"{outcome}: several breakdown values in the table"
        bd_fig, bd_tab = float(per_fig[outcome][0]), float(per_tab[outcome][0])
        np.testing.assert_allclose(bd_fig, bd_tab, rtol=1e-9, equal_nan=True)
        # what the figure draws: the returned data, the breakdown line and the note
        np.testing.assert_allclose(
            drawn.loc[drawn["panel"] == outcome, "breakdown"].unique(), [bd_tab], equal_nan=True
        )
        ax = next(a for t, a in axes.items() if t == label(outcome))
        lines = [ln.get_xdata()[0] for ln in ax.get_lines() if ln.get_gid() == "breakdown"]
        note = " ".join(t.get_text() for t in ax.texts)
        assert "N = " in note and "clusters = " in note, note  # sample size stated per panel
        if np.isfinite(bd_tab):
            assert lines == [pytest.approx(bd_tab)]
            assert f"= {bd_tab:.3g}" in note
        else:
            assert lines == [] and "no breakdown up to" in note
    plt.close("all")
    assert Path(fig_paths["png"]).is_file()
