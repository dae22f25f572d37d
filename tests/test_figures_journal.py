"""Figures read as a journal figure, not as code: human labels from one label map.

Every figure function of :mod:`enforcement_crime.plots` is called on the
built-in SYNTHETIC panel (and on estimator results fitted to it) with the code
names a design passes (``violent_rate``, ``callaway_santanna``,
``coverage_ge_90``, the log scale's axis label); no text of the figure may be
a raw code name (an underscore-joined identifier, or its space-joined form).
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from enforcement_crime import estimators, plots, synthetic  # noqa: E402
from enforcement_crime.labels import LABELS, is_code_name, label  # noqa: E402

LOG_SCALE = "log points (log(1 + rate))"  # Design.scale_label of a log design


@pytest.fixture(autouse=True)
def _paper_style():
    plots.use_style("paper")
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    """The built-in SYNTHETIC panel, North Carolina counties 2004-2012 (small, fast to fit)."""
    df = synthetic.load_default_panel()
    df = df[df["fips"].str.startswith("37") & df["year"].between(2004, 2012)].copy()
    df["cohort"] = df["sc_activation_date"].dt.year.fillna(0).astype(int)
    df["cohort"] = df["cohort"].where(df["cohort"] <= 2012, 0)
    return df.dropna(subset=["violent_rate"])


@pytest.fixture(scope="module")
def es(panel):
    return estimators.event_study(
        panel, "violent_rate", "fips", "year", "cohort", weights="population", cluster="fips",
        window=(-3, 3),
    )  # fmt: skip


def _all_texts(fig) -> list[str]:
    """Every string drawn on ``fig``: texts, titles, axis labels, legends and tick labels."""
    fig.canvas.draw()
    out = [t.get_text() for t in fig.findobj(matplotlib.text.Text)]
    for ax in fig.axes:
        out += [t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels()]
    return [t for t in out if t]


def _figures(panel, es):
    twfe_frame = es.to_frame().assign(estimator_label="twfe")
    cs_frame = es.to_frame().assign(estimator_label="callaway_santanna")
    yield "event study", plots.event_study_plot(
        pd.concat([twfe_frame, cs_frame]).assign(outcome="violent_rate"),
        hue="estimator_label", ylabel=LOG_SCALE,
    )[0]  # fmt: skip
    tr = plots.cohort_trends(
        panel, ["violent_rate", "burglary_rate" if "burglary_rate" in panel else "index_rate"],
        cohort="cohort", counts=None,
    )  # fmt: skip
    yield "raw trends", plots.raw_trends_plot(tr, legend_title="first_treated_year")[0]
    rob = pd.DataFrame(
        {
            "choice": ["headline", "rule", "sample", "estimator"],
            "variant": ["twfe", "share_of_year", "coverage_ge_90", "callaway_santanna"],
            "estimate": [0.01, 0.02, -0.01, 0.0],
            "conf_low": [-0.05, -0.04, -0.06, -0.05],
            "conf_high": [0.07, 0.08, 0.04, 0.05],
            "outcome": "index_rate",
            "n_obs": 900,
            "n_clusters": 100,
        }
    )
    yield "robustness", plots.coefficient_plot(rob, xlabel=LOG_SCALE)[0]
    spec = rob.assign(rule=["first_full_year", "share_of_year"] * 2, status="ok")
    yield "spec curve", plots.spec_curve_plot(spec, choices=["rule"], ylabel=LOG_SCALE)[0]
    hd = estimators.honest_did(es, method="relative_magnitude", mbar_grid=[0.0, 0.5, 1.0])
    yield "honest did", plots.honest_did_plot({"violent_rate": hd}, ylabel=LOG_SCALE)[0]
    curves = pd.DataFrame(
        {"effect": np.linspace(0, 50, 6), "power": np.linspace(0, 1, 6), "test": "twfe",
         "outcome": "property_rate"}
    )  # fmt: skip
    yield "power", plots.power_curve_plot(curves)[0]
    yield (
        "distribution",
        plots.distribution_plot(pd.Series(np.linspace(-1, 1, 20), name="std_error"), observed=0.1)[
            0
        ],
    )


def test_no_figure_carries_a_raw_code_name(panel, es):
    bad = {}
    for name, fig in _figures(panel, es):
        found = [t for t in _all_texts(fig) if is_code_name(t)]
        if found:
            bad[name] = found
    assert not bad, f"figures with code names: {bad}"


def test_label_map_covers_the_names_designs_put_on_figures():
    for name in ("first_full_year", "share_of_year", "coverage_ge_90", "callaway_santanna",
                 "twfe", "std_error", "index_rate", "violent_rate", "property_rate",
                 LOG_SCALE, "murder_rate", "motor_vehicle_theft_rate", "log_violent_rate"):  # fmt: skip
        text = label(name)
        assert text and not is_code_name(text) and text != name, name
    assert label("log_violent_rate") == "Violent crime rate, log(1 + rate)"
    assert not any(is_code_name(v) for v in LABELS.values())


def test_table_latex_uses_the_label_map_and_the_csv_keeps_code_names(tmp_path):
    from enforcement_crime import reports

    table = pd.DataFrame(
        {"outcome": ["violent_rate", "index_rate"], "estimator": ["twfe", "callaway_santanna"],
         "estimate": [0.1, 0.2], "std_error": [0.01, 0.02]}
    )  # fmt: skip
    paths = reports.save_table(table, "tab_x_labels", synthetic=True, outdir=tmp_path)
    tex = paths["tex"].read_text()
    body = "\n".join(line for line in tex.splitlines() if not line.startswith("%"))
    assert "Std. error" in body and "Violent crime rate" in body and "Callaway" in body
    assert "\\_" not in body
    assert list(pd.read_csv(paths["csv"]).columns[:4]) == list(table.columns)
