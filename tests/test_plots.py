"""The figure functions draw what they are given: numbers, ticks, lines, labels and notes.

Each test checks the drawn artists (tick labels are integers or bin labels,
one line per group, onset lines at each cohort's own date, no overprinted
tick labels, N and clusters in the corner) and that the returned data are the
input numbers. Small simulated panels (labelled synthetic) feed the real
estimators so the plots are tested on the result type they will receive.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.colors as mcolors  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import LineCollection, PathCollection, PolyCollection  # noqa: E402
from matplotlib.container import ErrorbarContainer  # noqa: E402

from enforcement_crime import estimators, plots  # noqa: E402
from enforcement_crime.plotting.base import _labels_overlap, _shown_xticklabels  # noqa: E402

MINUS = "\u2212"


@pytest.fixture(autouse=True)
def _paper_style():
    plots.use_style("paper")
    yield
    plt.close("all")


def _sim_panel(seed: int = 7, n_units: int = 30, years=range(2000, 2010)) -> pd.DataFrame:
    """SYNTHETIC balanced panel: unit and year effects plus noise, no treatment effect."""
    rng = np.random.default_rng(seed)
    years = list(years)
    cohorts = np.repeat([0, 2004, 2006], n_units // 3)
    unit_fe = rng.normal(100, 20, n_units)
    year_fe = np.linspace(0, 10, len(years))
    rows = []
    for i in range(n_units):
        pop = float(rng.integers(10_000, 100_000))
        for j, y in enumerate(years):
            rows.append(
                {
                    "unit": f"u{i:02d}",
                    "year": y,
                    "cohort": int(cohorts[i]),
                    "population": pop,
                    "y": unit_fe[i] + year_fe[j] + rng.normal(0, 5),
                }
            )
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def sim() -> pd.DataFrame:
    return _sim_panel()


@pytest.fixture(scope="module")
def es_result(sim):
    return estimators.event_study(
        sim, "y", "unit", "year", "cohort", weights="population", cluster="unit", window=(-3, 3)
    )


def _shown_labels(ax) -> list[str]:
    ax.figure.canvas.draw()
    return [t.get_text() for t in _shown_xticklabels(ax)]


def _no_overlap(fig) -> bool:
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    return not any(_labels_overlap(_shown_xticklabels(a), r) for a in fig.axes)


def _is_int_label(text: str) -> bool:
    try:
        int(text.replace(MINUS, "-"))
    except ValueError:
        return False
    return True


def _data_axes(fig):
    return [a for a in fig.axes if a.get_visible()]


# ----------------------------------------------------------------------------- style
def test_use_style_layers_the_mplstyle_over_a_seaborn_theme():
    plots.use_style("paper")
    rc = plt.rcParams
    assert rc["pdf.fonttype"] == 42 and rc["font.size"] == 9  # the mplstyle, not seaborn's context
    cycle = [mcolors.to_hex(c["color"]).upper() for c in rc["axes.prop_cycle"]]
    assert cycle == [c.upper() for c in plots.PALETTE]
    plots.use_style("slides")
    assert plt.rcParams["font.size"] == 16
    with pytest.raises(ValueError, match="unknown figure style"):
        plots.use_style("poster")


# ----------------------------------------------------------------------------- raw trends
def _tiny_panel() -> pd.DataFrame:
    rows = []
    spec = {  # unit: (cohort, population, counts 2000-2002)
        "A": (2002, 100.0, [1, 2, 3]),
        "B": (2002, 300.0, [3, None, 9]),
        "C": (0, 200.0, [2, 2, 2]),
        "D": (None, 200.0, [4, 4, 4]),
    }
    for unit, (cohort, pop, counts) in spec.items():
        for year, c in zip((2000, 2001, 2002), counts, strict=True):
            rows.append(
                {"unit": unit, "year": year, "cohort": cohort, "population": pop, "violent": c}
            )
    df = pd.DataFrame(rows)
    df["violent"] = df["violent"].astype("Int64")
    df["violent_rate"] = df["violent"].astype("float64") / df["population"] * 1e5
    return df


def test_cohort_trends_are_sums_of_counts_over_sums_of_population():
    df = _tiny_panel()
    tr = plots.cohort_trends(
        df, "violent_rate", cohort="cohort", counts={"violent_rate": "violent"}
    )
    got = tr.set_index(["group", "year"])
    # 2002 cohort: A and B; B did not report in 2001 (left out of both sums, counted)
    assert got.loc[("2002", 2000), "value"] == pytest.approx((1 + 3) / 400 * 1e5)
    assert got.loc[("2002", 2001), "value"] == pytest.approx(2 / 100 * 1e5)
    assert got.loc[("2002", 2001), ["n_units", "n_missing"]].tolist() == [1, 1]
    assert got.loc[("2002", 2002), "value"] == pytest.approx((3 + 9) / 400 * 1e5)
    # cohort 0 and missing cohort are both never treated
    assert got.loc[(plots.NEVER_TREATED, 2000), "value"] == pytest.approx((2 + 4) / 400 * 1e5)
    assert got.loc[(plots.NEVER_TREATED, 2000), "weight"] == 400
    assert dict(zip(tr["group"], tr["cohorts"], strict=True)) == {
        "2002": "2002",
        plots.NEVER_TREATED: "",
    }
    assert tr.groupby("group")["order"].first().to_dict() == {"2002": 0, plots.NEVER_TREATED: 1}
    assert int(tr["n_units"].sum() + tr["n_missing"].sum()) == len(df)  # every row accounted for
    # the population-weighted mean of the rate is the same number
    wm = plots.cohort_trends(df, "violent_rate", cohort="cohort")
    np.testing.assert_allclose(wm["value"], tr["value"])


def test_cohort_trends_match_an_independent_groupby_on_a_larger_panel():
    rng = np.random.default_rng(3)
    n = 400
    df = pd.DataFrame(
        {
            "year": rng.integers(2000, 2006, n),
            "cohort": rng.choice([0, 2002, 2003, 2004], n),
            "population": rng.integers(1000, 50_000, n).astype(float),
            "property": rng.integers(0, 500, n).astype(float),
        }
    )
    df.loc[rng.choice(n, 40, replace=False), "property"] = np.nan
    tr = plots.cohort_trends(
        df, ["property_rate"], cohort="cohort", counts={"property_rate": "property"}
    )
    ok = df.dropna(subset=["property"])
    s = ok.groupby(["cohort", "year"])[["property", "population"]].sum()
    expect = (s["property"] / s["population"] * 1e5).rename("value").reset_index()
    expect["group"] = expect["cohort"].map(lambda c: plots.NEVER_TREATED if c == 0 else str(c))
    merged = tr.merge(expect, on=["group", "year"], suffixes=("", "_expected"))
    assert len(merged) == len(tr) == len(expect)
    np.testing.assert_allclose(merged["value"], merged["value_expected"])
    assert tr["n_missing"].sum() == 40


def test_cohort_trends_pooled_groups_and_bad_input():
    df = _tiny_panel()
    tr = plots.cohort_trends(
        df, "violent_rate", cohort="cohort", groups={2002: "treated", 0: "other"}
    )
    assert set(tr["group"]) == {"treated", "other"}
    by_fn = plots.cohort_trends(
        df, "violent_rate", cohort="cohort", groups=lambda c: "treated" if c else "other"
    )
    pd.testing.assert_frame_equal(by_fn, tr)
    assert by_fn.loc[by_fn["group"] == "treated", "cohorts"].unique().tolist() == ["2002"]
    with pytest.raises(ValueError, match=r"\[2002\]"):
        plots.cohort_trends(df, "violent_rate", cohort="cohort", groups={0: "other"})
    with pytest.raises(ValueError, match="'crimes'"):
        plots.cohort_trends(df, "violent_rate", cohort="cohort", counts={"violent_rate": "crimes"})
    with pytest.raises(TypeError, match="first treated year"):
        plots.cohort_trends(df.assign(cohort="x"), "violent_rate", cohort="cohort")


def test_raw_trends_plot_one_panel_per_outcome_onsets_at_each_cohorts_own_date():
    panel = _sim_panel(n_units=30, years=range(1998, 2013)).assign(
        violent=lambda d: d["y"].round(), property=lambda d: (3 * d["y"]).round()
    )
    tr = plots.cohort_trends(
        panel, ["violent_rate", "property_rate"], cohort="cohort",
        counts={"violent_rate": "violent", "property_rate": "property"},
    )  # fmt: skip
    fig, data = plots.raw_trends_plot(tr, legend_title="cohort")
    pd.testing.assert_frame_equal(data, tr)
    axes = _data_axes(fig)
    assert [a.get_title() for a in axes] == ["Violent crime rate", "Property crime rate"]
    for ax, outcome in zip(axes, ["violent_rate", "property_rate"], strict=True):
        series = [ln for ln in ax.get_lines() if ln.get_gid() != "onset"]
        onsets = [ln for ln in ax.get_lines() if ln.get_gid() == "onset"]
        assert len(series) == 3  # 2004, 2006, never treated
        # each cohort's onset line sits at its own first treated year - 0.5, in its colour
        colours = {mcolors.to_hex(ln.get_color()) for ln in series}
        got = sorted((ln.get_xdata()[0], mcolors.to_hex(ln.get_color())) for ln in onsets)
        assert [x for x, _ in got] == [2003.5, 2005.5]
        assert {c for _, c in got} <= colours and len({c for _, c in got}) == 2
        drawn = sorted(np.concatenate([ln.get_ydata() for ln in series]))
        np.testing.assert_allclose(drawn, sorted(tr.loc[tr["outcome"] == outcome, "value"]))
        labels = [t for t in _shown_labels(ax) if t]
        assert labels and all(_is_int_label(t) for t in labels)
        assert all(float(v).is_integer() for v in ax.get_xticks())
    assert _no_overlap(fig)
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend[:3] == ["2004", "2006", plots.NEVER_TREATED]


def test_raw_trends_plot_rejects_duplicates_and_unknown_outcomes():
    tr = plots.cohort_trends(_tiny_panel(), "violent_rate", cohort="cohort")
    with pytest.raises(ValueError, match="duplicated"):
        plots.raw_trends_plot(pd.concat([tr, tr.iloc[:1]]))
    with pytest.raises(ValueError, match="index_rate"):
        plots.raw_trends_plot(tr, outcomes=["index_rate"])


def test_thin_tick_labels_removes_overprinting_and_keeps_zero():
    fig, ax = plt.subplots(figsize=(1.6, 1.5))
    ks = list(range(-12, 13))
    ax.plot(ks, ks)
    ax.set_xticks(ks, [str(k) for k in ks])
    assert not _no_overlap(fig)
    plots.thin_tick_labels(fig, [ax])
    shown = _shown_labels(ax)
    assert _no_overlap(fig) and "0" in shown and 2 <= len(shown) < len(ks)
    assert list(ax.get_xticks()) == ks  # every tick kept, only labels thinned


# ----------------------------------------------------------------------------- event study
def test_event_study_plot_integer_ticks_bins_reference_and_n_note(es_result):
    fig, data = plots.event_study_plot(es_result, ylabel="y", figsize=(7.0, 3.0))
    ax = _data_axes(fig)[0]
    assert list(ax.get_xticks()) == list(range(-3, 4))
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        f"\u2264{MINUS}3", f"{MINUS}2", f"{MINUS}1", "0", "1", "2", "\u22653",
    ]  # fmt: skip
    refs = [ln for ln in ax.get_lines() if ln.get_gid() == "es-reference"]
    assert len(refs) == 1 and list(refs[0].get_xdata()) == [-1] and refs[0].get_mfc() == "white"
    assert any(t.get_text() == "ref." for t in ax.texts)
    note = [t.get_text() for t in ax.texts if t.get_gid() == "n-note"]
    assert note == [f"N = {es_result.n_obs:,}, clusters = {es_result.n_clusters:,}"]
    assert (
        sum(isinstance(c, PolyCollection) and c.get_gid() == "es-band" for c in ax.collections) == 1
    )
    frame = es_result.to_frame()
    np.testing.assert_allclose(data["estimate"], frame["estimate"].astype(float))
    np.testing.assert_allclose(data["conf_low"], frame["conf_low"].astype(float))
    assert data["event_time"].tolist() == list(range(-3, 4))
    assert data.loc[data["is_reference"], "event_time"].tolist() == [-1]
    assert _no_overlap(fig)


def test_event_study_plot_reads_bins_and_reference_from_a_frames_notes(es_result):
    fig, data = plots.event_study_plot(es_result.to_frame(), figsize=(7.0, 3.0))
    ax = _data_axes(fig)[0]
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels[0] == f"\u2264{MINUS}3" and labels[-1] == "\u22653"
    assert data.loc[data["is_reference"], "event_time"].tolist() == [-1]


def test_event_study_plot_several_estimators_are_dodged_points_not_bands(es_result):
    frame = es_result.to_frame()
    other = frame.assign(estimate=frame["estimate"] + 1.0, notes="", n_obs=250, n_clusters=25)
    third = frame[frame["event_time"] >= 0].assign(notes="", n_obs=240, n_clusters=24)
    fig, data = plots.event_study_plot(
        {"TWFE": es_result, "other": other, "third": third}, figsize=(7.0, 3.0)
    )
    ax = _data_axes(fig)[0]
    assert not [c for c in ax.collections if c.get_gid() == "es-band"]
    bars = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert len(bars) == 3
    colours = {mcolors.to_hex(b.lines[0].get_color()) for b in bars}
    assert len(colours) == 3
    at0 = data[data["event_time"] == 0].sort_values("x")
    assert at0["series"].tolist() == ["TWFE", "other", "third"]
    assert at0["x"].nunique() == 3 and at0["x"].mean() == pytest.approx(0.0)
    # the endpoint -3 is binned in TWFE only where "other" is also drawn: plain tick + a note
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels[0] == f"{MINUS}3"
    note = next(t.get_text() for t in ax.texts if t.get_gid() == "n-note")
    assert f"N = {es_result.n_obs:,} / 250 / 240" in note and "TWFE:" in note and "binned" in note
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["TWFE", "other", "third"]
    with pytest.raises(ValueError, match="at most two bands"):
        plots.event_study_plot({"a": frame, "b": other, "c": third}, style="band")


def test_event_study_plot_old_calling_convention_still_works(es_result):
    frame = es_result.to_frame()
    fig, ax = plt.subplots()
    plots.event_study_plot(frame, ax=ax, reference=-1, label="a", offset=-0.1)
    out_fig, data = plots.event_study_plot(
        frame, ax=ax, label="b", offset=0.1, ylabel="per 100,000"
    )
    assert out_fig is fig and ax.get_ylabel() == "per 100,000"
    assert len([c for c in ax.containers if isinstance(c, ErrorbarContainer)]) == 2
    assert len([t for t in ax.texts if t.get_gid() == "n-note"]) == 1
    np.testing.assert_allclose(sorted(set(np.round(data["x"] - data["event_time"], 9))), [0.1])


def test_event_study_plot_panels_from_a_long_frame(es_result):
    f = es_result.to_frame()
    long = pd.concat([f.assign(outcome="violent_rate"), f.assign(outcome="index_rate")])
    fig, data = plots.event_study_plot(long)
    axes = _data_axes(fig)
    assert [a.get_title() for a in axes] == ["Violent crime rate", "Index crime rate"]
    assert len(data) == 2 * 7 and _no_overlap(fig)
    # the same N in both panels: one note for the figure, not one per panel
    foot = [t.get_text() for t in fig.texts if t.get_gid() == "n-note"]
    assert foot == [f"N = {es_result.n_obs:,}, clusters = {es_result.n_clusters:,}"]
    assert not [t for a in axes for t in a.texts if t.get_gid() == "n-note"]
    with pytest.raises(ValueError, match="cannot be drawn into one"):
        plots.event_study_plot(long, ax=plt.subplots()[1])
    with pytest.raises(ValueError, match="conf_high"):
        plots.event_study_plot(f.drop(columns=["conf_high"]))


# ----------------------------------------------------------------------------- robustness
def _robustness_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "choice": ["headline", "scale", "weights", "weights", "trends"],
            "label": [
                "TWFE, levels",
                "log(1 + rate)",
                "unweighted",
                "area weights",
                "county trends",
            ],
            "estimate": [-20.0, -0.02, -5.0, -12.0, 3.0],
            "conf_low": [-60.0, -0.10, -50.0, -40.0, -40.0],
            "conf_high": [20.0, 0.06, 40.0, 16.0, 46.0],
            "n_obs": [1100, 1100, 1100, 1100, 1100],
            "n_clusters": [100, 100, 100, 100, 100],
        }
    )


def test_coefficient_plot_rows_groups_and_reference_lines():
    table = _robustness_table()
    fig, data = plots.coefficient_plot(table)
    ax = _data_axes(fig)[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == [
        "headline", "TWFE, levels", "scale", "log(1 + rate)", "weights", "unweighted",
        "area weights", "trends", "county trends",
    ]  # fmt: skip
    bold = [t.get_text() for t in ax.get_yticklabels() if t.get_fontweight() == "bold"]
    assert bold == ["headline", "scale", "weights", "trends"]
    points = np.concatenate(
        [c.lines[0].get_xdata() for c in ax.containers if isinstance(c, ErrorbarContainer)]
    )
    assert sorted(points) == sorted(table["estimate"])
    lines = {ln.get_gid(): ln.get_xdata()[0] for ln in ax.get_lines() if ln.get_gid()}
    assert lines["reference"] == 0 and lines["headline"] == -20.0
    np.testing.assert_allclose(data["estimate"], table["estimate"])
    assert data["is_headline"].tolist() == [True, False, False, False, False]
    assert data["y"].is_monotonic_increasing
    notes = [t.get_text() for t in ax.texts if t.get_gid() == "n-note"]
    assert notes == ["N = 1,100, clusters = 100"] * 5


def test_coefficient_plot_panels_and_bad_input():
    table = _robustness_table()
    both = pd.concat([table.assign(outcome="violent_rate"), table.assign(outcome="index_rate")])
    fig, data = plots.coefficient_plot(both, headline=-10.0)
    axes = _data_axes(fig)
    assert [a.get_title() for a in axes] == ["Violent crime rate", "Index crime rate"]
    for ax in axes:
        assert [ln.get_xdata()[0] for ln in ax.get_lines() if ln.get_gid() == "headline"] == [-10]
    with pytest.raises(ValueError, match="duplicated"):
        plots.coefficient_plot(pd.concat([table, table.iloc[:1]]))
    with pytest.raises(ValueError, match="label"):
        plots.coefficient_plot(table.drop(columns=["label"]))


# ----------------------------------------------------------------------------- diagnostics
def test_bacon_plot_draws_every_comparison_and_the_twfe_line(sim):
    res = estimators.bacon_decomposition(sim, "y", "unit", "year", "cohort")
    comp = res.extra["comparisons"]
    fig, data = plots.bacon_plot({"y": res})
    ax = _data_axes(fig)[0]
    pts = np.concatenate([c.get_offsets() for c in ax.collections if isinstance(c, PathCollection)])
    assert len(pts) == len(comp)
    np.testing.assert_allclose(sorted(pts[:, 1]), sorted(comp["estimate"]))
    twfe = [ln.get_ydata()[0] for ln in ax.get_lines() if ln.get_gid() == "twfe"]
    assert twfe == [pytest.approx(res.extra["twfe"])]
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert set(comp["type"]) <= set(legend) and "TWFE (unweighted)" in legend
    assert (data["twfe"] == res.extra["twfe"]).all() and len(data) == len(comp)
    # a bare comparisons frame: the TWFE line is the weighted sum (the decomposition identity)
    _, d2 = plots.bacon_plot(comp)
    assert d2["twfe"].iloc[0] == pytest.approx(res.extra["twfe"], abs=1e-8)


def test_honest_did_plot_original_and_robust_intervals(es_result):
    res = estimators.honest_did(es_result, method="smoothness", m_grid=[0.0, 0.5, 1.0, 2.0])
    fig, data = plots.honest_did_plot(res)
    ax = _data_axes(fig)[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["orig.", "0", "0.5", "1", "2"]
    robust = data[data["kind"] == "robust"]
    np.testing.assert_allclose(robust["conf_low"], res.extra["grid"]["conf_low"])
    np.testing.assert_allclose(robust["conf_high"], res.extra["grid"]["conf_high"])
    orig = data[data["kind"] == "original"].iloc[0]
    assert orig["conf_low"] == pytest.approx(res.extra["original"]["conf_low"])
    assert orig["x"] == pytest.approx(-0.5)  # one grid step left of the smallest M
    bars = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    segs = bars[1].lines[2][0].get_segments()
    np.testing.assert_allclose([s[0][1] for s in segs], res.extra["grid"]["conf_low"])
    bd = res.extra["breakdown"]
    drawn = [ln.get_xdata()[0] for ln in ax.get_lines() if ln.get_gid() == "breakdown"]
    assert drawn == ([pytest.approx(bd)] if np.isfinite(bd) else [])
    # the same figure numbers from the result's frame
    _, d2 = plots.honest_did_plot(res.to_frame())
    np.testing.assert_allclose(d2["conf_low"], data["conf_low"])


def test_power_curve_plot_lines_target_and_crossing():
    e = np.linspace(0, 100, 11)
    curves = pd.concat(
        [
            pd.DataFrame({"effect": e, "power": np.minimum(1, e / 100), "test": "linear"}),
            pd.DataFrame({"effect": e, "power": np.minimum(1, e / 50), "test": "steep"}),
            pd.DataFrame({"effect": e, "power": e / 1000, "test": "flat"}),
        ]
    ).assign(outcome="violent_rate")
    fig, data = plots.power_curve_plot(curves)
    ax = _data_axes(fig)[0]
    drawn = [ln for ln in ax.get_lines() if ln.get_gid() is None]
    assert len(drawn) == 3
    assert [ln.get_ydata()[0] for ln in ax.get_lines() if ln.get_gid() == "target"] == [0.8]
    cross = data.groupby("test")["effect_at_target"].first()
    assert cross["linear"] == pytest.approx(80.0) and cross["steep"] == pytest.approx(40.0)
    assert np.isnan(cross["flat"])
    assert ax.get_ylim() == (0, 1.02)
    _, d2 = plots.power_curve_plot(curves, xmax=50)
    assert d2["effect"].max() == 50


# ----------------------------------------------------------------------------- synthetic control
@pytest.fixture(scope="module")
def synth_result():
    df = _sim_panel(seed=11, n_units=15)
    return estimators.synthetic_control(df, "y", "unit", "year", "u00", 2005, placebo=True)


def test_synthetic_control_plot_paths_with_onset_at_the_units_own_date(synth_result):
    fig, data = plots.synthetic_control_plot(synth_result, treated_label="u00")
    ax = _data_axes(fig)[0]
    assert {ln.get_gid() for ln in ax.get_lines()} >= {"treated", "synthetic", "onset"}
    onset = next(ln for ln in ax.get_lines() if ln.get_gid() == "onset")
    assert onset.get_xdata()[0] == 2004.5
    path = synth_result.extra["path"]
    np.testing.assert_allclose(data["treated"], path["treated"])
    labels = [t for t in _shown_labels(ax) if t]
    assert labels and all(_is_int_label(t) for t in labels)
    # stacked frames need each row's onset
    long = path.assign(county="u00", outcome="y")
    with pytest.raises(ValueError, match="onset"):
        plots.synthetic_control_plot(long)
    two = pd.concat([long, long.assign(county="u99")])
    fig2, _ = plots.synthetic_control_plot(two, onsets={"u00": 2005, "u99": 2007})
    got = sorted(
        ln.get_xdata()[0] for a in fig2.axes for ln in a.get_lines() if ln.get_gid() == "onset"
    )
    assert got == [2004.5, 2006.5]


def test_placebo_gap_segments_are_the_units_paths_in_order_of_appearance():
    """Each unit's (time, gap) segment, units in first-appearance order, as a per-unit groupby cuts them."""
    from enforcement_crime.plotting.diagnostics import _unit_paths

    rng = np.random.default_rng(0)
    g = pd.DataFrame({"time": rng.integers(2000, 2010, 300), "gap": rng.normal(size=300),
                      "unit": rng.choice(np.array(["a", "b", "c", None, "d"], dtype=object), 300)})  # fmt: skip
    for frame in (g, g.assign(unit=rng.integers(0, 40, 300))):
        s = frame.sort_values("time")
        ref = [np.column_stack([u["time"].to_numpy(float), u["gap"].to_numpy(float)])
               for _, u in s.groupby("unit", sort=False)]  # fmt: skip
        got = _unit_paths(s, "time")
        assert len(got) == len(ref)
        assert all(np.array_equal(a, b) for a, b in zip(got, ref, strict=True))
    assert _unit_paths(g.iloc[:0], "time") == []


def test_synthetic_control_plot_placebo_gaps(synth_result):
    fig, data = plots.synthetic_control_plot(synth_result, kind="gaps")
    ax = _data_axes(fig)[0]
    coll = [
        c for c in ax.collections if isinstance(c, LineCollection) and c.get_gid() == "placebos"
    ]
    assert (
        len(coll) == 1
        and len(coll[0].get_segments()) == synth_result.extra["placebo_gaps"].shape[1]
    )
    treated = data[data["unit"] == "treated"]
    np.testing.assert_allclose(treated["gap"], synth_result.extra["path"]["gap"])
    with pytest.raises(ValueError, match="gaps"):
        plots.synthetic_control_plot(synth_result.extra["path"], kind="gaps", onsets=2005)


def test_ratio_ranks_are_each_units_post_over_pre_rmspe():
    """Each placebo unit's and the treated unit's post/pre RMSPE ratio, computed unit by unit
    (placebo units in order of appearance, a missing unit label left out), and its rank."""
    from enforcement_crime.plotting.diagnostics import _sc_ratio_ranks

    rng = np.random.default_rng(3)
    g = pd.DataFrame({"unit": np.repeat(["b", "a", "c", None], 6), "year": np.tile(np.arange(2000, 2006), 4),
                      "gap": rng.normal(size=24)}).sample(frac=1.0, random_state=1)  # fmt: skip
    g = g[~((g["unit"] == "c") & (g["year"] < 2003))]  # unit c: post-period rows only
    d = pd.DataFrame({"year": np.arange(2000, 2006), "gap": rng.normal(size=6) * 3})
    r = _sc_ratio_ranks(g, d, "year", 2003)
    assert list(r.index) == [*g["unit"].dropna().unique(), "treated"]
    for u, rows in [*((u, g[g["unit"] == u]) for u in ("a", "b", "c")), ("treated", d)]:
        pre, post = rows.loc[rows["year"] < 2003, "gap"], rows.loc[rows["year"] >= 2003, "gap"]
        rp = np.sqrt(np.mean(pre.to_numpy() ** 2)) if len(pre) else np.nan
        rq = np.sqrt(np.mean(post.to_numpy() ** 2))
        assert r.loc[u, "unit_rmspe_pre"] == pytest.approx(rp, nan_ok=True)
        assert r.loc[u, "unit_rmspe_post"] == pytest.approx(rq)
    ratios = r["unit_ratio"].to_numpy()
    assert list(r["ratio_rank"]) == [int((ratios >= v).sum()) for v in ratios]


# --------------------------------------------------------------------- distributions, rollout
def test_distribution_plot_histogram_counts_and_observed_line():
    rng = np.random.default_rng(0)
    vals = pd.Series(np.r_[rng.normal(size=199), [np.nan, np.nan]], name="placebo_estimate")
    fig, data = plots.distribution_plot(vals, observed=1.5, bins=10)
    ax = fig.axes[0]
    heights = [p.get_height() for p in ax.patches]
    assert len(heights) == 10 and sum(heights) == 199 and len(data) == 199
    assert [ln.get_xdata()[0] for ln in ax.get_lines() if ln.get_gid() == "observed"] == [1.5]
    assert any("2 missing" in t.get_text() for t in ax.texts)
    fig2, _ = plots.distribution_plot(vals, kind="ecdf")
    y = fig2.axes[0].get_lines()[0].get_ydata()
    assert y.max() == pytest.approx(1.0)


def test_rollout_figure_shares_and_missing_dates():
    units = pd.DataFrame(
        {
            "date": pd.to_datetime(["2008-10-27", "2009-03-01", "2010-01-01", None]),
            "pop": [1.0, 1.0, 2.0, 5.0],
        }
    )
    fig, data = plots.rollout_figure(units, date="date", weights="pop", unit_label="counties")
    last = data.groupby("series")["share"].last()
    assert last["counties"] == pytest.approx(1.0) and last["population"] == pytest.approx(1.0)
    first = data[data["series"] == "population"].set_index("month")["share"]
    assert first[pd.Timestamp("2008-10-01")] == pytest.approx(1 / 4)
    assert any("1 unit(s) without a date" in t.get_text() for t in fig.texts)
    assert _no_overlap(fig)


def test_share_axis_labels_only_when_identical():
    fig, axes = plt.subplots(1, 2)
    for a in axes:
        a.set_xlabel("Year")
    axes[0].set_ylabel("left")
    axes[1].set_ylabel("right")
    plots.share_axis_labels(fig, axes)
    assert [a.get_xlabel() for a in axes] == ["", ""] and fig.get_supxlabel() == "Year"
    assert [a.get_ylabel() for a in axes] == ["left", "right"]


def test_spec_curve_plot_sorted_estimates_and_choice_marks():
    rng = np.random.default_rng(5)
    n = 24
    res = pd.DataFrame(
        {
            "spec_id": np.arange(n),
            "estimate": rng.normal(0, 1, n),
            "weights": np.tile(["population", "none"], n // 2),
            "trends": np.repeat(["none", "unit_linear"], n // 2),
            "status": ["ok"] * (n - 2) + ["failed", "ok"],
        }
    )
    res.loc[n - 1, "estimate"] = np.nan
    res["conf_low"] = res["estimate"] - 0.5
    res["conf_high"] = res["estimate"] + 0.5
    fig, data = plots.spec_curve_plot(res, choices=["weights", "trends"], headline=0.3)
    top, bottom = fig.axes[:2]
    assert len(data) == n - 2 and data["estimate"].is_monotonic_increasing
    assert data["rank"].tolist() == list(range(1, n - 1))
    expect = (res["conf_low"] > 0) | (res["conf_high"] < 0)
    got = data.set_index("spec_id")["excludes_reference"]
    assert got.equals(expect[got.index].rename("excludes_reference"))
    drawn = np.concatenate(
        [c.lines[0].get_ydata() for c in top.containers if isinstance(c, ErrorbarContainer)]
    )
    np.testing.assert_allclose(sorted(drawn), data["estimate"])
    assert [t.get_text() for t in bottom.get_yticklabels()] == [
        "Weights: none", "Weights: Population", "Trends: none", "Trends: unit linear",
    ]  # fmt: skip
    marks = sum(len(c.get_offsets()) for c in bottom.collections if isinstance(c, PathCollection))
    assert marks == 2 * len(data)  # each specification marked once per choice
    assert all(float(v).is_integer() for v in bottom.get_xticks())
    assert any("2 without an estimate" in t.get_text() for t in top.texts)


def test_event_study_plot_panels_named_by_each_results_outcome(sim, es_result):
    other = estimators.event_study(
        sim.assign(z=sim["y"] * 2), "z", "unit", "year", "cohort", cluster="unit", window=(-3, 3)
    )
    fig, data = plots.event_study_plot({"TWFE y": es_result, "TWFE z": other})
    assert [a.get_title() for a in _data_axes(fig)] == ["y", "z"]
    assert data.groupby("panel")["series"].first().to_dict() == {"y": "TWFE y", "z": "TWFE z"}
    np.testing.assert_allclose(
        data.loc[data["panel"] == "z", "estimate"], other.dynamic()["estimate"].astype(float)
    )


def test_default_sizes_follow_the_active_style(es_result):
    fig, _ = plots.event_study_plot(es_result)
    assert tuple(fig.get_size_inches()) == plots.FIGSIZES["column"]
    plots.use_style("slides")
    fig2, _ = plots.event_study_plot(
        {"a": es_result, "b": es_result.to_frame().assign(outcome="z")}
    )
    assert tuple(fig2.get_size_inches()) == plots.FIGSIZES["slides"]
    assert _no_overlap(fig2)


def test_coefficient_plot_reads_a_designs_robustness_table_with_a_missing_row():
    table = _robustness_table().rename(columns={"label": "variant"}).assign(outcome="index_rate")
    table.loc[2, ["estimate", "conf_low", "conf_high", "n_obs", "n_clusters"]] = np.nan
    fig, data = plots.coefficient_plot(table)
    ax = _data_axes(fig)[0]
    assert "unweighted" in [t.get_text() for t in ax.get_yticklabels()]
    missing = [t for t in ax.texts if t.get_gid() == "not-estimated"]
    assert len(missing) == 1 and missing[0].get_position()[1] == data.loc[2, "y"]
    points = np.concatenate(
        [c.lines[0].get_xdata() for c in ax.containers if isinstance(c, ErrorbarContainer)]
    )
    assert np.isfinite(points).sum() == 4


def test_coefficient_plot_long_labels_wrap_without_overlapping():
    table = _robustness_table()
    table.loc[1, "label"] = "TWFE, randomization inference (adoption dates permuted within strata)"
    table.loc[2, "label"] = "Callaway-Sant'Anna, never-treated controls, simple ATT"
    fig, _ = plots.coefficient_plot(table)
    ax = _data_axes(fig)[0]
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    boxes = sorted((t.get_window_extent(r) for t in ax.get_yticklabels()), key=lambda b: b.y0)
    assert all(b.y0 >= a.y1 - 0.5 for a, b in zip(boxes, boxes[1:], strict=False))
    assert any("\n" in t.get_text() for t in ax.get_yticklabels())
