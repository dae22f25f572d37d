"""Figures read as a journal figure, not as code: human labels from one label map.

Every figure function of :mod:`enforcement_crime.plots` is called on the
built-in SYNTHETIC panel (and on estimator results fitted to it) with the code
names a design passes (``violent_rate``, ``callaway_santanna``,
``coverage_ge_90``, the log scale's axis label); no text of the figure may be
a raw code name (an underscore-joined identifier, or its space-joined form).
"""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from enforcement_crime import estimators, plots, reports, synthetic  # noqa: E402
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


# ----------------------------------------------------------------------------- journal figures
def _png_width_and_dpi(path) -> tuple[int, float]:
    """Pixel width (IHDR) and resolution (pHYs, pixels per metre -> dpi) of a PNG file."""
    import struct

    raw = path.read_bytes()
    width = struct.unpack(">I", raw[16:20])[0]
    i = raw.find(b"pHYs")
    ppm, _, unit = struct.unpack(">IIB", raw[i + 4 : i + 13])
    assert unit == 1, "pHYs unit is not the metre"
    return width, ppm * 0.0254


def _sizes_of_texts(fig) -> list[tuple[str, float]]:
    fig.canvas.draw()
    return [(t.get_text(), t.get_fontsize()) for t in fig.findobj(matplotlib.text.Text)
            if t.get_text() and t.get_visible()]  # fmt: skip


def test_saved_figures_one_mark_small_text_at_least_6_5_pt_widths_kept_300_dpi(panel, es, tmp_path):
    from enforcement_crime import reports

    matplotlib.rcdefaults()  # no paper style: PNGs are still 300 dpi
    for name, fig in _figures(panel, es):
        width = fig.get_size_inches()[0]
        paths = reports.save_figure(fig, "fig_x", pd.DataFrame({"a": [1]}), synthetic=True,
                                    n_note="N = 1", outdir=tmp_path)  # fmt: skip
        marks = [t for t in fig.findobj(matplotlib.text.Text) if t.get_gid() == "synthetic-mark"]
        assert len(marks) == 1, name
        small = [(t, s) for t, s in _sizes_of_texts(fig) if s < 6.5]
        assert not small, (name, small)
        px, dpi = _png_width_and_dpi(paths["png"])
        assert dpi == pytest.approx(300, abs=0.5), name
        assert px <= round(width * 300) + 1, (name, px, width)
    plots.use_style("paper")


def test_multi_panel_figures_are_full_width_not_wider(es, tmp_path):
    from enforcement_crime import reports

    frames = {o: es.to_frame().assign(outcome=o) for o in ("violent_rate", "property_rate",
                                                             "index_rate")}  # fmt: skip
    fig, data = plots.event_study_plot(frames, keys="panel")
    paths = reports.save_figure(fig, "fig_x_es", data, synthetic=True, outdir=tmp_path)
    px, _ = _png_width_and_dpi(paths["png"])
    assert px / 300 <= plots.FIGSIZES["full"][0] + 1 / 300


def test_coefficient_plot_marks_the_design_headline_row_not_the_headline_group():
    rob = pd.DataFrame(
        {
            "choice": ["headline", "scale", "inference / estimator"],
            "variant": ["TWFE, clustered", "levels", "TWFE, wild bootstrap"],
            "estimate": [0.01, 5.0, 0.012],
            "conf_low": [-0.05, -20.0, -0.06],
            "conf_high": [0.07, 30.0, 0.08],
        }
    )
    fig, data = plots.coefficient_plot(rob, headline="TWFE, wild bootstrap")
    assert data["is_headline"].tolist() == [False, False, True]
    ax = fig.axes[0]
    line = [ln.get_xdata()[0] for ln in ax.get_lines() if ln.get_gid() == "headline"]
    assert line == [0.012]
    heads = [t.get_text() for t in ax.get_yticklabels() if t.get_fontweight() == "bold"]
    assert "headline" not in heads and "baseline of the variants" in heads
    with pytest.raises(ValueError, match="no row labelled"):
        plots.coefficient_plot(rob, headline="not a row")


def _honest_table(es) -> pd.DataFrame:
    """A design's HonestDiD table: three outcomes stacked, one breakdown value each."""
    rows = []
    for outcome, scale in (("index_rate", 1.0), ("violent_rate", 0.5), ("property_rate", 2.0)):
        hd = estimators.honest_did(
            es, method="relative_magnitude", mbar_grid=[0.0, 0.5, 1.0, 2.0]
        )  # fmt: skip
        f = hd.to_frame()[["term", "estimate", "std_error", "conf_low", "conf_high"]]
        f[["estimate", "std_error", "conf_low", "conf_high"]] *= scale
        rows.append(f.assign(outcome=outcome, breakdown={"index_rate": 0.46,
                                                         "violent_rate": 0.15,
                                                         "property_rate": np.nan}[outcome]))  # fmt: skip
    return pd.concat(rows, ignore_index=True)


def test_honest_did_plot_one_panel_per_outcome_with_the_tables_breakdown(es):
    table = _honest_table(es)
    fig, data = plots.honest_did_plot(table)
    axes = [a for a in fig.axes if a.get_title()]
    assert [a.get_title() for a in axes] == ["Index crime rate", "Violent crime rate",
                                             "Property crime rate"]  # fmt: skip
    for ax, (_outcome, bd) in zip(axes, [("index_rate", 0.46), ("violent_rate", 0.15),
                                        ("property_rate", np.nan)], strict=True):  # fmt: skip
        ticks = [t.get_text() for t in ax.get_xticklabels()]
        assert ticks[0] == "orig." and all(ticks), ticks
        drawn = [ln.get_xdata()[0] for ln in ax.get_lines() if ln.get_gid() == "breakdown"]
        notes = " ".join(t.get_text() for t in ax.texts)
        if np.isfinite(bd):
            assert drawn == [pytest.approx(bd)] and f"= {bd:g}" in notes
        else:
            assert drawn == [] and "no breakdown up to $\\bar{M}$ = 2" in notes
        assert "Mbar" not in notes
    per = data.groupby("panel")["breakdown"].unique()
    assert per["index_rate"].tolist() == [0.46] and per["violent_rate"].tolist() == [0.15]
    assert len(per["property_rate"]) == 1 and np.isnan(per["property_rate"][0])


@pytest.fixture(scope="module")
def synth(panel):
    """Synthetic control of one SYNTHETIC county (balanced NC counties, 2004-2012)."""
    ok = panel.groupby("fips")["violent_rate"].count() == panel["year"].nunique()
    bal = panel[panel["fips"].isin(ok[ok].index)]
    never = bal.loc[bal["cohort"] == 0, "fips"].unique()
    adopters = bal[bal["cohort"].between(2008, 2011)].sort_values(["cohort", "fips"])
    treated, start = adopters["fips"].iloc[0], int(adopters["cohort"].iloc[0])
    donors = (
        list(never[:12])
        if len(never) >= 4
        else list(bal.loc[bal["cohort"] > start + 1, "fips"].unique()[:12])
    )
    data = bal[bal["fips"].isin([treated, *donors]) & (bal["year"] <= start + 1)]
    return estimators.synthetic_control(data, "violent_rate", "fips", "year", treated, start)


def test_synthetic_control_plot_states_fit_donors_and_the_ratio_rule(synth):
    fig, data = plots.synthetic_control_plot(synth)
    note = " ".join(t.get_text() for t in fig.axes[0].texts if t.get_gid() == "n-note")
    assert f"pre-RMSPE {synth.extra['rmspe_pre']:.3g}" in note
    assert f"{len(synth.extra['weights'])} donors" in note
    top = synth.extra["weights"].idxmax()
    assert str(top) in note
    assert data["rmspe_pre"].iloc[0] == pytest.approx(synth.extra["rmspe_pre"])
    fig, gaps = plots.synthetic_control_plot(synth, kind="gaps")
    # the ratio rule drawn is the estimator's placebo p-value (rank of the post/pre ratio)
    assert gaps["placebo_p"].iloc[0] == pytest.approx(synth.p_value)
    note = " ".join(t.get_text() for t in fig.axes[0].texts if t.get_gid() == "n-note")
    assert "post/pre RMSPE ratio: rank" in note


def test_synthetic_control_plot_warns_when_the_pre_fit_is_suspiciously_exact():
    years = np.arange(2000, 2012)
    treated = 100 + np.sin(years)  # wiggly: a fit this exact can only come from many donors
    exact = pd.DataFrame({"time": years, "treated": treated,
                          "synthetic": treated + np.where(years < 2008, 1e-4, 5.0)})  # fmt: skip
    exact["gap"] = exact["treated"] - exact["synthetic"]
    many = pd.Series(np.full(40, 1 / 40), index=[f"d{i}" for i in range(40)])
    fig, data = plots.synthetic_control_plot(exact, onsets=2008, weights=many)
    warn = [t for t in fig.axes[0].texts if t.get_gid() == "exact-fit-warning"]
    assert len(warn) == 1 and data["exact_pre_fit"].all()
    loose = exact.assign(synthetic=treated + np.where(years < 2008, 0.6, 5.0))
    loose["gap"] = loose["treated"] - loose["synthetic"]
    fig, data = plots.synthetic_control_plot(loose, onsets=2008, weights=many)
    assert not [t for t in fig.axes[0].texts if t.get_gid() == "exact-fit-warning"]
    assert not data["exact_pre_fit"].any()
    few = pd.Series([0.5, 0.5], index=["d0", "d1"])  # 2 donors, 8 pre-years: an exact fit is real
    fig, data = plots.synthetic_control_plot(exact, onsets=2008, weights=few)
    assert not data["exact_pre_fit"].any()


def _overlaps_of_notes_and_data(fig) -> list[str]:
    """Panels where a data vertex of a line (display coordinates) lies inside a corner note's box."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    bad = []
    for ax in fig.axes:
        notes = [t for t in ax.texts if t.get_gid() in ("n-note", "exact-fit-warning")]
        for note in notes:
            box = note.get_window_extent(renderer)
            for line in ax.lines:
                if line.get_transform() != ax.transData:
                    continue  # onset lines span the axis; they are not data
                xy = ax.transData.transform(np.asarray(line.get_xydata(), float))
                inside = (
                    (xy[:, 0] >= box.x0) & (xy[:, 0] <= box.x1)
                    & (xy[:, 1] >= box.y0) & (xy[:, 1] <= box.y1)
                )  # fmt: skip
                if inside.any():
                    bad.append(ax.get_title())
    return bad


def test_synthetic_control_fit_note_never_covers_a_pre_period_peak(tmp_path):
    """Two rows of three panels (the NC figure's grid), each with a peak in the early
    pre-period right under a long near-exact-fit warning."""
    years = np.arange(2003, 2014)
    frames = []
    for county in ("Mecklenburg", "Wake"):
        for k, outcome in enumerate(("violent_rate", "property_rate", "index_rate")):
            treated = 300.0 * (k + 1) + np.where(years == 2005, 80.0 * (k + 1), 0.0)
            treated = treated + 5 * np.sin(years)
            synth = treated + np.where(years < 2007, 1e-9, -60.0 * (k + 1) * (years - 2006))
            frames.append(pd.DataFrame({"time": years, "treated": treated, "synthetic": synth,
                                        "county": county, "outcome": outcome}))  # fmt: skip
    paths = pd.concat(frames, ignore_index=True)
    paths["gap"] = paths["treated"] - paths["synthetic"]
    summary = (
        paths[["county", "outcome"]]
        .drop_duplicates()
        .assign(donors=89, top_donors="37043 (0.67), 37011 (0.20), 37021 (0.09)")
    )
    fig, data = plots.synthetic_control_plot(paths, onsets={"Mecklenburg": 2007, "Wake": 2007},
                                             summary=summary)  # fmt: skip
    assert data["exact_pre_fit"].all()  # the long warning note is drawn in every panel
    assert _overlaps_of_notes_and_data(fig) == []
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        for t in ax.texts:
            if t.get_gid() in ("n-note", "exact-fit-warning"):
                # readable numbers (no 2.2e-09 or 1.6e+10) and the note inside its panel
                assert not re.search(r"\de[-+]\d", t.get_text()), t.get_text()
                assert "< 0.001" in t.get_text() and "> 10,000" in t.get_text()
                right = t.get_window_extent(renderer).x1
                assert right <= ax.get_window_extent(renderer).x1 + 2, t.get_text()
    reports.save_figure(fig, "fig_test_sc_paths", paths, outdir=tmp_path, synthetic=True)
    assert _overlaps_of_notes_and_data(fig) == []


def test_robustness_panel_titles_never_run_into_each_other():
    """Three outcome panels beside long row labels (the robustness figure of a study)."""
    rows = pd.DataFrame({
        "choice": ["baseline of the variants", "inference / estimator", "inference / estimator"],
        "label": ["first full year, absorbing",
                  "TWFE, first full year, absorbing, log(1 + rate); wild cluster bootstrap interval",
                  "Callaway-Sant'Anna, never-treated controls, simple ATT; wild cluster bootstrap"],
        "estimate": [0.0, 0.01, -0.01], "conf_low": [-0.05, -0.06, -0.07],
        "conf_high": [0.05, 0.07, 0.06], "n_obs": [1086, 1086, 1078], "n_clusters": [100, 100, 98],
    })  # fmt: skip
    table = pd.concat(
        [rows.assign(outcome=o) for o in ("violent_rate", "property_rate", "index_rate")]
    )
    fig, _ = plots.coefficient_plot(table, xlabel=LOG_SCALE)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = [a.title.get_window_extent(renderer) for a in fig.axes if a.get_title()]
    assert len(boxes) == 3
    for a, b in zip(boxes, boxes[1:], strict=False):
        assert a.x1 < b.x0, "panel titles touch"
    notes = [t.get_text() for a in fig.axes for t in a.texts if t.get_gid() == "n-note"]
    assert notes and all("clusters = " in n and "G =" not in n for n in notes)


def test_spec_curve_rows_name_estimators_by_their_labels():
    """A multiverse's estimator column holds code words without underscores too (``twfe``)."""
    n = 6
    res = pd.DataFrame({
        "estimate": np.linspace(-0.1, 0.1, n), "conf_low": np.linspace(-0.2, 0.0, n),
        "conf_high": np.linspace(0.0, 0.2, n),
        "estimator": ["twfe", "callaway_santanna", "imputation"] * 2,
        "treatment_rule": ["first_full_year", "share_of_year"] * 3,
    })  # fmt: skip
    fig, _ = plots.spec_curve_plot(res, choices=["treatment_rule", "estimator"], ylabel=LOG_SCALE)
    rows = [t.get_text() for t in fig.axes[1].get_yticklabels()]
    assert "Estimator: TWFE" in rows, rows
    assert all(r[:1].isupper() for r in rows), rows  # group names read alike
    assert not [r for r in rows if "twfe" in r or is_code_name(r)], rows


def test_synthetic_control_note_names_donors_by_name_when_given(synth, panel):
    names = panel.groupby("fips")["county_name"].first()
    top = synth.extra["weights"].astype(float).idxmax()
    fig, _ = plots.synthetic_control_plot(synth, unit_names=names)
    note = " ".join(t.get_text() for t in fig.axes[0].texts if t.get_gid() == "n-note")
    note = note.replace("\n", " ")
    assert f"{names[top]} (" in note
    assert str(top) not in note  # the code is not shown once it has a name
