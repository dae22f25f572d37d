"""Tests of the multiverse grid, runner (joblib, Dask) and specification curve."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from enforcement_crime import multiverse as mv  # noqa: E402
from enforcement_crime import plots  # noqa: E402
from enforcement_crime.multiverse.run import _processes  # noqa: E402
from enforcement_crime.simulate import Effect, simulate_staggered  # noqa: E402
from enforcement_crime.workers import WORKERS_ENV  # noqa: E402


@pytest.fixture(scope="module")
def panel():
    """A staggered panel where every unit is treated (as with Secure Communities), known effect 2."""
    df = simulate_staggered(n_units=150, periods=(2000, 2012), cohorts={2004: 0.3, 2007: 0.3, 2010: 0.4},
                            effect=Effect(att=2.0), noise_sd=0.5, n_states=15, seed=11)  # fmt: skip
    df["y"] = df["y"] + 10.0  # positive outcomes so log(1 + y) is defined
    rng = np.random.default_rng(5)
    units = df["unit"].to_numpy()
    base = rng.integers(1_000, 100_000, df["unit"].nunique())[units]
    growth = rng.uniform(-0.01, 0.03, df["unit"].nunique())[units]  # population changes over time
    df["population"] = np.round(base * np.exp(growth * (df["time"] - 2000)))
    df["coverage"] = np.where(rng.random(len(df)) < 0.1, 80.0, 100.0)
    df.loc[df.index[:7], "coverage"] = np.nan  # coverage unknown
    return df.rename(columns={"time": "year", "cohort": "p_cohort"})


def _sim_design():
    """A design over the simulated panel's columns (cohort ``p_cohort``, weights, state clusters)."""
    from enforcement_crime.designs.base import Design, Treatment

    return Design(key="sim", title="simulated", study="methods",
                  notebook="notebooks/methods/01-run-multiverse.py", panels=(),
                  treatment=Treatment("start", None, "p", "programme"), outcomes=("y",),
                  years=(2000, 2012), transform="level", unit="unit", time="year",
                  weights="population", cluster="state", log_outcomes=False)  # fmt: skip


SIM = _sim_design()
COLS = dict(outcome="y")


def test_spec_grid_counts():
    # the original six choices, coding and controls fixed:
    # 3 coverage x 2 weights x 3 control x 2 trends x 3 estimators x 2 transforms = 216 combinations
    fixed = {"treatment_rule": ("first_full_year",), "controls": ("none",)}
    full = mv.spec_grid(fixed, has_never_treated=False, drop_not_applicable=False)
    assert len(full) == 216
    # not applicable: trends with CS or imputation (3*2*3*1*2*2 = 72); never-treated control among the
    # rest (3*2*1*2*(2 twfe trends + 1 cs + 1 imputation) = 48)
    assert (~full["applicable"]).sum() == 72 + 48
    with_never = mv.spec_grid(fixed, has_never_treated=True)
    # with never-treated units, twfe/imputation + never_treated duplicate not_yet_treated: 3*2*2*(2+1) = 36
    assert len(with_never) == 216 - 72 - 36
    assert with_never["spec_id"].tolist() == list(range(len(with_never)))


def test_spec_grid_rejects_unknown_choices():
    with pytest.raises(KeyError, match="unknown choice"):
        mv.spec_grid({"colour": ("red",)})
    with pytest.raises(ValueError, match="unknown option"):
        mv.spec_grid({"estimator": ("ols",)})


def test_prepare_spec_data_accounts_for_every_dropped_row(panel):
    spec = {
        "controls": "none",
        "coverage_rule": "coverage_ge_90",
        "control_group": "last_cohort",
        "outcome_transform": "log",
    }
    data, dropped = mv.prepare_spec_data(SIM, panel, spec, outcome="y")
    y = SIM.column("y", "log")
    assert dropped["coverage unknown (coverage_ge_90)"] == 7
    assert dropped["coverage below threshold (coverage_ge_90)"] == int(
        (panel["coverage"] < 90).sum()
    )
    assert len(panel) - len(data) == sum(dropped.values())
    assert data["year"].max() == 2009 and set(data["p_cohort"]) == {
        0,
        2004,
        2007,
    }  # last cohort recoded never
    np.testing.assert_allclose(
        data[y], np.log1p(data["y"]), rtol=0, atol=0
    )  # the documented transform, exactly
    with pytest.raises(ValueError, match="unknown coverage_rule"):
        mv.prepare_spec_data(SIM, panel, {"coverage_rule": "most"}, outcome="y")


def test_run_spec_recovers_known_effect(panel):
    for est in ("twfe", "callaway_santanna", "imputation"):
        spec = {"spec_id": 0, "coverage_rule": "all_reported", "weights": "none", "control_group": "not_yet_treated",
                "trends": "none", "estimator": est, "outcome_transform": "level"}  # fmt: skip
        row = mv.run_spec(SIM, panel, spec, **COLS)
        assert row["status"] == "ok", row
        # constant effect 2, no heterogeneity: every estimator is unbiased; 4 SE leaves a 1-in-15,000 false alarm
        assert abs(row["estimate"] - 2.0) < 4 * row["std_error"], (
            est,
            row["estimate"],
            row["std_error"],
        )


def test_run_spec_refuses_an_unknown_estimator(panel):
    spec = {"spec_id": 0, "coverage_rule": "all_reported", "weights": "none", "control_group": "not_yet_treated",
            "trends": "none", "estimator": "twfee", "outcome_transform": "level"}  # fmt: skip
    with pytest.raises(ValueError, match="unknown estimator 'twfee'"):
        mv.run_spec(SIM, panel, spec, **COLS)


def test_run_spec_refusal_reported_only_when_tolerated(panel):
    """An estimator's refusal (here: non-positive weights) is raised on the synthetic panel's path and recorded
    as "not estimable" on the real panels' path."""
    spec = {"spec_id": 0, "coverage_rule": "all_reported", "weights": "population", "control_group": "not_yet_treated",
            "trends": "none", "estimator": "twfe", "outcome_transform": "level"}  # fmt: skip
    bad = panel.assign(population=-1.0)  # non-positive weights: the estimator refuses
    with pytest.raises(ValueError):
        mv.run_spec(SIM, bad, spec, **COLS)
    row = mv.run_spec(SIM, bad, spec, **COLS, tolerate_input_error=True)
    assert (
        row["status"] == "not estimable"
        and np.isnan(row["estimate"])
        and "NOT ESTIMABLE" in row["note"]
    )


def test_run_spec_empty_sample_is_not_estimable(panel):
    spec = {"spec_id": 0, "coverage_rule": "full_coverage", "weights": "none", "control_group": "not_yet_treated",
            "trends": "none", "estimator": "twfe", "outcome_transform": "level"}  # fmt: skip
    row = mv.run_spec(SIM, panel.assign(coverage=np.nan), spec, **COLS)
    assert (
        row["status"] == "not estimable" and row["n_obs"] == 0 and "coverage unknown" in row["note"]
    )


@pytest.fixture(scope="module")
def small_grid():
    return mv.spec_grid({"coverage_rule": ("all_reported", "coverage_ge_90"), "outcome_transform": ("level",),
                         "control_group": ("not_yet_treated",), "treatment_rule": ("first_full_year",),
                         "controls": ("none", "log_population")}, has_never_treated=False)  # fmt: skip


@pytest.fixture(scope="module")
def sequential(panel, small_grid):
    rows = [mv.run_spec(SIM, panel, spec, **COLS) for spec in small_grid.to_dict("records")]
    return pd.DataFrame(rows).sort_values("spec_id").reset_index(drop=True)


NUMERIC = ["estimate", "std_error", "conf_low", "conf_high"]


def test_run_multiverse_loky_equals_sequential(panel, small_grid, sequential, monkeypatch):
    monkeypatch.setenv(WORKERS_ENV, "2")  # two loky processes even on a pytest-xdist worker's share
    res = mv.run_multiverse(
        SIM, panel, small_grid, n_jobs=2, backend="loky", progress=False, **COLS
    )
    assert (res["status"] == "ok").all() and len(res) == len(small_grid)
    # same deterministic computations in another process: identical up to floating-point noise
    np.testing.assert_allclose(
        res[NUMERIC].to_numpy(float), sequential[NUMERIC].to_numpy(float), rtol=1e-10, atol=1e-12
    )


def test_joblib_workers_are_capped_by_the_cores_this_process_may_use(monkeypatch):
    """``n_jobs`` as asked when ENFORCEMENT_CRIME_WORKERS is unset; at most its value when set
    (all cores, ``-1``, becomes its value); a Dask cluster is never capped."""
    monkeypatch.delenv(WORKERS_ENV, raising=False)
    assert _processes(8, "loky") == 8 and _processes(-1, None) == -1
    monkeypatch.setenv(WORKERS_ENV, "1")
    assert _processes(2, "loky") == 1 and _processes(2, None) == 1 and _processes(-1, "loky") == 1
    assert _processes(2, "dask") == 2
    monkeypatch.setenv(WORKERS_ENV, "3")
    assert _processes(8, "threading") == 3 and _processes(2, "loky") == 2


def test_run_design_on_local_dask_cluster_equals_sequential():
    """The same run_design call on a Dask LocalCluster (worker processes, as on a real cluster): every
    specification equals the sequential run_spec loop on the same samples, both treatment codings."""
    distributed = pytest.importorskip("dask.distributed")
    sample = _sample(_design_panel(signing="july", effect=0.0, seed=4))
    grid = mv.spec_grid({**BASE, "controls": ("none", "log_population"), "trends": ("none", "unit_linear")},
                        has_never_treated=False)  # fmt: skip
    rows = []
    for rule, sub in grid.groupby("treatment_rule"):
        s = sample if rule == sample.design.rule else sample.with_rule(rule)
        rows += [mv.run_spec(s.design, s.data, spec, outcome="index_rate")
                 for spec in sub.to_dict("records")]  # fmt: skip
    sequential = pd.DataFrame(rows).sort_values("spec_id").reset_index(drop=True)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:  # fmt: skip
        with distributed.get_task_stream(client) as stream:
            res = mv.run_design(
                sample, grid, outcome="index_rate", backend="dask", progress=False, batch_size=4
            )
        assert len(client.scheduler_info()["workers"]) == 2, "the Dask cluster had no workers"
        assert len(stream.data) >= 1, "no task ran on the Dask cluster"
    assert len(res) == len(grid) == 16 and (res["status"] == "ok").all()
    assert res["spec_id"].tolist() == sequential["spec_id"].tolist()
    np.testing.assert_allclose(
        res[NUMERIC].to_numpy(float), sequential[NUMERIC].to_numpy(float), rtol=1e-10, atol=1e-12
    )
    assert (res["n_obs"].to_numpy() == sequential["n_obs"].to_numpy()).all()


def test_by_choice_by_hand():
    """A hand-made results table: means, ranges, shares significant and paired switches worked out by hand."""
    res = pd.DataFrame({
        "spec_id": range(6),
        "estimator": ["twfe", "twfe", "callaway_santanna", "callaway_santanna", "twfe", "callaway_santanna"],
        "weights": ["population", "none", "population", "none", "population", "none"],
        "outcome_transform": ["level"] * 4 + ["log", "level"],
        "estimate": [-10.0, -4.0, -16.0, 2.0, 0.5, np.nan],
        "conf_low": [-20.0, -9.0, -30.0, -3.0, 0.1, np.nan],
        "conf_high": [-1.0, 1.0, -2.0, 7.0, 0.9, np.nan],
        "status": ["ok"] * 5 + ["not estimable"],
    })  # fmt: skip
    t = mv.by_choice(res).set_index(["choice", "option"])
    # choices in grid order (weights before estimator), options in spec_id order
    assert list(t.index) == [("weights", "population"), ("weights", "none"),
                             ("estimator", "twfe"), ("estimator", "callaway_santanna")]  # fmt: skip
    tw, cs = t.loc[("estimator", "twfe")], t.loc[("estimator", "callaway_santanna")]
    # twfe: -10 and -4; CS: -16 and 2; one interval of each excludes 0
    assert (tw["specs"], tw["mean_estimate"], tw["range_estimate"], tw["share_excluding_zero"]) == (
        2,
        -7.0,
        6.0,
        0.5,
    )
    assert (cs["specs"], cs["mean_estimate"], cs["min_estimate"], cs["max_estimate"]) == (
        2,
        -7.0,
        -16.0,
        2.0,
    )
    # switching twfe -> CS with weights held fixed: -16 - (-10) = -6, 2 - (-4) = +6
    assert tw["pairs"] == 0 and np.isnan(tw["mean_change"]) and tw["reference_option"] == "twfe"
    assert (cs["pairs"], cs["mean_change"], cs["min_change"], cs["max_change"]) == (
        2,
        0.0,
        -6.0,
        6.0,
    )
    pop, none = t.loc[("weights", "population")], t.loc[("weights", "none")]
    assert (pop["mean_estimate"], pop["share_excluding_zero"]) == (-13.0, 1.0)
    assert (none["mean_estimate"], none["share_excluding_zero"]) == (-1.0, 0.0)
    # population -> none: -4 - (-10) = 6, 2 - (-16) = 18
    assert (none["pairs"], none["mean_change"], none["median_change"], none["min_change"], none["max_change"]) == (
        2, 12.0, 12.0, 6.0, 18.0)  # fmt: skip
    # another reference option; the log row alone
    t2 = mv.by_choice(res, reference={"weights": "none"}).set_index(["choice", "option"])
    assert t2.loc[("weights", "population"), "mean_change"] == -12.0
    lg = mv.by_choice(res, transform="log")
    assert set(lg["specs"]) == {1} and lg["mean_estimate"].eq(0.5).all()
    with pytest.raises(KeyError, match="no column"):
        mv.by_choice(res, choices=["panel"])


def test_by_choice_summarises_levels_only(sequential):
    table = mv.by_choice(sequential, transform="level")
    lv = sequential[(sequential["outcome_transform"] == "level") & (sequential["status"] == "ok")]
    for _, row in table.iterrows():
        sub = lv[lv[row["choice"]] == row["option"]]
        assert row["specs"] == len(sub) and row["mean_estimate"] == pytest.approx(
            sub["estimate"].mean()
        )
        excl = ((sub["conf_low"] > 0) | (sub["conf_high"] < 0)).mean()
        assert row["share_excluding_zero"] == pytest.approx(excl)
    assert "outcome_transform" not in set(table["choice"])


def test_spec_curve_plot(sequential):
    fig, data = plots.spec_curve_plot(sequential, choices=list(mv.CHOICES), reference=2.0)
    assert data["estimate"].is_monotonic_increasing and len(data) == len(sequential)
    assert {"estimator", "trends", "weights", "coverage_rule"} <= set(data.columns)
    plt.close(fig)
    with pytest.raises(ValueError, match="no specification has an estimate"):
        plots.spec_curve_plot(sequential.assign(status="not available"), choices=list(mv.CHOICES))


# --------------------------------------------------------------------------------------
# the research-scale choices: panel, window, treatment coding, controls
# --------------------------------------------------------------------------------------


def test_spec_grid_counts_with_the_new_choices():
    # by hand: 2 codings x 3 coverage x 2 weights x 3 control groups x 2 trends x 2 control sets
    # x 3 estimators x 2 transforms = 864 combinations
    full = mv.spec_grid(has_never_treated=False, drop_not_applicable=False)
    assert len(full) == 864
    # trends with CS or imputation: 2*3*2*3*1*2*2*2 = 288; never-treated among the rest:
    # 2*3*2*1*2*2*(2 twfe trends + 1 cs + 1 imputation) = 192; neither new choice adds a rule of its own
    assert (~full["applicable"]).sum() == 288 + 192
    # a combination failing both rules is listed under the never-treated one: every never-treated row
    # (2*3*2*1*2*2*3*2 = 288), and trends with CS/imputation among the others (2*3*2*2*1*2*2*2 = 192)
    assert full.loc[~full["applicable"], "why_not"].value_counts().to_dict() == {
        "no never-treated units in this design": 288,
        "unit trends only with twfe": 192,
    }
    # panel and window are grid columns only when given
    assert "panel" not in full.columns and "window" not in full.columns


def test_research_grid_counts():
    ch = mv.research_choices(("a", "b", "c"))
    full = mv.spec_grid(ch, has_never_treated=False, drop_not_applicable=False)
    # 3 panels x 3 windows x 2 codings x 3 coverage x 2 weights x 1 control group x 2 trends x 2 control sets
    # x 3 estimators x 2 transforms = 2592; trends with CS/imputation: 3*3*2*3*2*1*1*2*2*2 = 864
    assert len(full) == 2592 and (~full["applicable"]).sum() == 864
    grid = mv.spec_grid(ch, has_never_treated=False)
    assert len(grid) == 1728 >= 1000
    # 96 specifications per (panel, window, coding) sample
    assert grid.groupby(["panel", "window", "treatment_rule"]).size().eq(96).all()
    assert list(grid.columns[1:11]) == list(mv.ALL_CHOICES)
    # two panels still give more than 1,000
    assert len(mv.spec_grid(mv.research_choices(("a", "b")), has_never_treated=False)) == 1152


def test_windows_and_panels_are_validated():
    assert mv.parse_window("2004-2014") == (2004, 2014) == mv.parse_window((2004, 2014))
    assert mv.window_label((2006, 2014)) == "2006-2014"
    g = mv.spec_grid({"window": [(2004, 2014), " 2006 - 2014 "], "estimator": ("twfe",)})
    assert set(g["window"]) == {"2004-2014", "2006-2014"}
    with pytest.raises(ValueError, match="FIRST-LAST"):
        mv.spec_grid({"window": ["2004 to 2014"]})
    with pytest.raises(ValueError, match="first year after last"):
        mv.parse_window("2014-2004")
    with pytest.raises(ValueError, match="repeated"):
        mv.spec_grid({"panel": ["cius_county", "cius_county"]})
    with pytest.raises(ValueError, match="no option"):
        mv.spec_grid({"controls": []})


def test_available_panels_names_what_is_missing(tmp_path, monkeypatch):
    from enforcement_crime import config

    monkeypatch.setattr(config, "processed_dir", lambda: tmp_path)
    (tmp_path / "cius_county.parquet").write_bytes(b"")
    have, notes = mv.available_panels(["synthetic", "cius_county", "cius_sheriff", "cius_county"])
    assert have == ["synthetic", "cius_county"]
    assert len(notes) == 1 and "'cius_sheriff' skipped" in notes[0] and "not built" in notes[0]


def _design_panel(*, signing: str, effect: float = 2.0, seed: int = 3) -> pd.DataFrame:
    """A simulated SC-county-shaped panel (every county treated), labelled synthetic.

    ``signing="jan1"``: activation on 1 January of the cohort year (both codings agree).
    ``signing="july"``: activation on 2 July of the year before the cohort, so the signing
    year is half exposed; its true effect is ``effect`` x the share of the year exposed.
    """
    from enforcement_crime.treatment import exposure_share

    df = simulate_staggered(n_units=240, periods=(2004, 2014), cohorts={2007: 0.3, 2009: 0.3, 2011: 0.4},
                            effect=Effect(att=effect), noise_sd=0.5, n_states=24, seed=seed)  # fmt: skip
    df = df.rename(columns={"time": "year"})
    c = df["cohort"].to_numpy()
    if signing == "jan1":
        dates = pd.to_datetime({"year": c, "month": 1, "day": 1})
    else:
        dates = pd.to_datetime({"year": c - 1, "month": 7, "day": 2})
    df["sc_activation_date"] = dates.to_numpy()
    share = exposure_share(df["sc_activation_date"], None, df["year"])
    partial = (share > 0) & (share < 1)
    y = df["y"].to_numpy() + 60.0 + effect * np.where(partial, share, 0.0)
    rng = np.random.default_rng(seed)
    units = df["unit"].to_numpy()
    growth = rng.uniform(-0.01, 0.03, df["unit"].nunique())[units]  # population changes over time
    pop = np.round(
        rng.integers(5_000, 200_000, df["unit"].nunique())[units]
        * np.exp(growth * (df["year"] - 2004))
    )
    return pd.DataFrame({"fips": df["unit"].astype(str).str.zfill(5), "state": df["state"].astype(str),
                         "year": df["year"], "population": pop, "index_rate": y,
                         "coverage": np.where(rng.random(len(df)) < 0.1, 85.0, 100.0),
                         "sc_activation_date": df["sc_activation_date"], "is_synthetic": True})  # fmt: skip


def _sample(raw: pd.DataFrame, **options):
    from enforcement_crime import designs

    design = designs.get("sc_county").with_options(outcomes=("index_rate",), **options)
    return design.prepare(raw, data_source="synthetic", label="SYNTHETIC DATA (test panel)")


def _one(grid: pd.DataFrame, **fixed) -> pd.DataFrame:
    m = np.ones(len(grid), dtype=bool)
    for k, v in fixed.items():
        m &= (grid[k] == v).to_numpy()
    return grid[m]


BASE = {"coverage_rule": ("all_reported",), "weights": ("population",), "control_group": ("not_yet_treated",),
        "controls": ("none",), "outcome_transform": ("level",)}  # fmt: skip


def test_share_of_year_equals_first_full_year_with_january_adoption():
    """Activation on 1 January: the signing year is wholly treated, so both codings give the same cohorts
    and the same 0/1 treatment (TWFE's share is 0 or 1): every estimator's estimate is identical, and
    recovers the effect."""
    sample = _sample(_design_panel(signing="jan1"))
    assert not sample.data["partial_year"].any()
    grid = mv.spec_grid({**BASE, "trends": ("none", "unit_linear")}, has_never_treated=False)
    res = mv.run_design(sample, grid, outcome="index_rate", n_jobs=1, progress=False)
    assert (res["status"] == "ok").all() and len(res) == 8
    key = ["estimator", "trends"]
    a = res[res["treatment_rule"] == "first_full_year"].set_index(key).sort_index()
    b = res[res["treatment_rule"] == "share_of_year"].set_index(key).sort_index()
    np.testing.assert_allclose(a[NUMERIC].to_numpy(float), b[NUMERIC].to_numpy(float), rtol=1e-9)
    assert (a["n_obs"] == b["n_obs"]).all()
    # TWFE under share of year takes the share as its treatment: here 0/1, so TWFE names it "treated"
    assert b.loc[("twfe", "none"), "term"] == a.loc[("twfe", "none"), "term"] == "treated"
    for _, row in a.iterrows():
        assert abs(row["estimate"] - 2.0) < 4 * row["std_error"], row


def test_mid_year_adoption_both_codings_recover_the_effect():
    """Activation on 2 July: the signing year is half exposed (true effect 2 x share). First full year
    keeps the signing year out (TWFE, imputation) or out of the base (Callaway-Sant'Anna,
    anticipation 1); share of year gives TWFE the share as treatment. All recover 2."""
    sample = _sample(_design_panel(signing="july"))
    assert sample.data["partial_year"].sum() == sample.data["fips"].nunique()  # one per county
    grid = mv.spec_grid({**BASE, "trends": ("none",)}, has_never_treated=False)
    res = mv.run_design(sample, grid, outcome="index_rate", n_jobs=1, progress=False)
    ok = _one(res, treatment_rule="first_full_year")
    assert set(ok["estimator"]) == {"twfe", "callaway_santanna", "imputation"}
    for _, row in ok.iterrows():
        assert abs(row["estimate"] - 2.0) < 4 * row["std_error"], row
    tw = _one(res, treatment_rule="first_full_year", estimator="twfe").iloc[0]
    n_partial = int(sample.data["partial_year"].sum())
    assert tw["rows_dropped"] == n_partial and "partly treated adoption year" in tw["note"]
    share_twfe = _one(res, treatment_rule="share_of_year", estimator="twfe").iloc[0]
    assert share_twfe["term"] == "exposure_share"
    assert abs(share_twfe["estimate"] - 2.0) < 4 * share_twfe["std_error"], share_twfe
    assert share_twfe["n_obs"] == len(sample.data) and share_twfe["rows_dropped"] == 0


def test_run_design_base_spec_is_the_designs_own():
    """The multiverse's base cells (first full year, all reported, population weights, no trends or
    controls) give exactly what the study design's own calls give (Spec.fit: its weights, clusters,
    partial-year handling): TWFE (analytic CR1), its Callaway-Sant'Anna and imputation specs, in
    levels and logs."""
    import dataclasses

    from enforcement_crime.designs.base import Spec
    from enforcement_crime.estimators import twfe

    sample = _sample(_design_panel(signing="july", effect=0.0, seed=8))
    d = sample.design
    grid = mv.spec_grid({**BASE, "trends": ("none",), "treatment_rule": ("first_full_year",),
                         "outcome_transform": ("level", "log")}, has_never_treated=False)  # fmt: skip
    res = mv.run_design(sample, grid, outcome="index_rate", n_jobs=1, progress=False)
    res = res.set_index(["estimator", "outcome_transform"])
    for tr in ("level", "log"):
        for name, spec in (("twfe", Spec("TWFE", twfe)), ("callaway_santanna", d.cs_spec()),
                           ("imputation", d.imputation_spec())):  # fmt: skip
            h = dataclasses.replace(spec, transform=tr).headline(sample, "index_rate")
            got = res.loc[(name, tr)]
            assert got["estimate"] == pytest.approx(h["estimate"], rel=1e-9, abs=1e-12), (name, tr)
            assert got["std_error"] == pytest.approx(h["std_error"], rel=1e-9), (name, tr)


def test_log_population_control_removes_a_known_confounder():
    """Early cohorts' population grows 5% a year and crime rises with log population (slope 40);
    TWFE without the control is biased, with it recovers the effect of 2."""
    raw = _design_panel(signing="jan1", seed=5)
    early = raw["sc_activation_date"].dt.year <= 2007
    growth = np.where(early, 0.05, 0.0) * (raw["year"] - 2004)
    raw["population"] = (raw["population"] * np.exp(growth)).round().astype("int64")
    raw["index_rate"] = raw["index_rate"] + 40.0 * np.log(raw["population"])
    sample = _sample(raw)
    grid = mv.spec_grid({**BASE, "controls": ("none", "log_population"), "estimator": ("twfe", "imputation"),
                         "trends": ("none",), "treatment_rule": ("first_full_year",)},
                        has_never_treated=False)  # fmt: skip
    res = mv.run_design(sample, grid, outcome="index_rate", n_jobs=1, progress=False)
    for est in ("twfe", "imputation"):
        with_c = _one(res, estimator=est, controls="log_population").iloc[0]
        without = _one(res, estimator=est, controls="none").iloc[0]
        assert abs(with_c["estimate"] - 2.0) < 4 * with_c["std_error"], with_c
        assert abs(without["estimate"] - 2.0) > 4 * without["std_error"], without


def test_prepare_spec_data_controls_and_last_cohort_cut_at_first_exposure():
    raw = _design_panel(signing="july")
    sample = _sample(raw)
    df = sample.data.copy()
    df.loc[df.index[:5], "population"] = (
        0  # no positive population: dropped and counted for log_population
    )
    spec = {"controls": "log_population", "control_group": "last_cohort"}
    data, dropped = mv.prepare_spec_data(sample.design, df, spec, outcome="index_rate")
    assert dropped["no positive population (controls log_population)"] == 5
    # last cohort 2011 signs on 2 July 2010: cut at 2010, its first exposed year, not at 2011
    assert data["year"].max() == 2009
    assert dropped["periods from the last cohort's first exposure (2010) on"] == int(
        (df["year"][5:] >= 2010).sum()
    )
    assert len(df) - len(data) == sum(dropped.values())
    np.testing.assert_array_equal(data["log_population"], np.log(data["population"].astype(float)))
    assert set(data["sc_cohort"]) == {0, 2007, 2009}
    with pytest.raises(ValueError, match="unknown controls"):
        mv.prepare_spec_data(sample.design, df, {"controls": "everything"}, outcome="index_rate")


def test_spec_of_turns_a_grid_row_into_the_designs_spec():
    """A grid row's estimation choices change the design's base spec of its estimator (Spec.choose):
    weights, trends, controls, scale; the control group only where the base declares one; the
    share-of-year coding gives the share as treatment to TWFE only; partial years as the base says."""
    from enforcement_crime.estimators import callaway_santanna, imputation, twfe

    d = _sample(_design_panel(signing="jan1")).design
    row = {"estimator": "twfe", "weights": "none", "trends": "unit_linear", "controls": "log_population",
           "outcome_transform": "log", "treatment_rule": "share_of_year", "control_group": "last_cohort"}  # fmt: skip
    tw = mv.spec_of(d, row)
    assert tw.estimator is twfe and tw.weighted is False and tw.transform == "log"
    assert dict(tw.options) == {"unit_trends": True, "controls": ["log_population"]}
    assert tw.treatment == "share" and tw.partial_year == "drop"
    cs = mv.spec_of(d, {**row, "estimator": "callaway_santanna", "trends": "none"})
    assert cs.estimator is callaway_santanna and cs.treatment == "cohort"
    assert cs.options["control_group"] == "never_treated" and cs.partial_year == "anticipation"
    assert cs.term == "ATT(simple)"
    cs = mv.spec_of(d, {**row, "estimator": "callaway_santanna", "trends": "none",
                        "control_group": "not_yet_treated", "treatment_rule": "first_full_year"})  # fmt: skip
    assert cs.options["control_group"] == "not_yet_treated"
    imp = mv.spec_of(d, {"estimator": "imputation", "treatment_rule": "share_of_year"})
    assert imp.estimator is imputation and imp.treatment == "cohort"
    assert "control_group" not in imp.options
    # a row without a choice takes the documented default (unweighted, levels)
    assert imp.weighted is False and imp.transform == "level"
    with pytest.raises(ValueError, match="unknown weights"):
        mv.spec_of(d, {"estimator": "twfe", "weights": "half"})


def test_the_multiverse_calls_no_estimator_directly():
    """Every estimate of the multiverse goes through a design's Spec: no module of the package
    imports the estimators."""
    import ast
    from pathlib import Path

    for path in Path(mv.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                assert not (node.module or "").startswith("enforcement_crime.estimators"), path
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
                assert not any(n.startswith("enforcement_crime.estimators") for n in names), path


def test_run_design_refuses_a_grid_for_another_panel_or_window():
    sample = _sample(_design_panel(signing="jan1"))
    grid = mv.spec_grid(
        {**BASE, "panel": ("cius_county",), "estimator": ("twfe",), "trends": ("none",)}
    )
    with pytest.raises(ValueError, match="use run_samples"):
        mv.run_design(sample, grid, outcome="index_rate", n_jobs=1, progress=False)
    grid = mv.spec_grid(
        {**BASE, "window": ("2006-2014",), "estimator": ("twfe",), "trends": ("none",)}
    )
    with pytest.raises(ValueError, match="design window is 2004-2014"):
        mv.run_design(sample, grid, outcome="index_rate", n_jobs=1, progress=False)


def test_run_samples_prepares_each_sample_once_and_reports_unusable_ones(monkeypatch):
    """Two windows x two codings (+ a window with no data): each sample equals the design opened with
    those options; the empty window's specifications are rows with the reason, none dropped."""
    import enforcement_crime.panels as panels_pkg
    from enforcement_crime import designs

    raw = _design_panel(signing="july", effect=0.0, seed=9)
    calls = []

    def fake_load(name, *, seed=None, preset="null", validate=True):
        calls.append(name)
        return raw.copy()

    monkeypatch.setattr(panels_pkg, "load_panel", fake_load)
    design = designs.get("sc_county").with_options(outcomes=("index_rate",))
    grid = mv.spec_grid({**BASE, "panel": ("synthetic",), "window": ("2004-2014", "2006-2012", "1990-1995"),
                         "estimator": ("twfe", "callaway_santanna"), "trends": ("none",)},
                        has_never_treated=False)  # fmt: skip
    res, samples = mv.run_samples(design, grid, outcome="index_rate", n_jobs=1, progress=False)
    assert calls == ["synthetic"]  # the panel is loaded once
    assert len(res) == len(grid) and res["spec_id"].tolist() == grid["spec_id"].tolist()
    assert len(samples) == 6 and set(samples["specs"]) == {2}
    bad = res[res["window"] == "1990-1995"]
    assert len(bad) == 4 and (bad["status"] == "not estimable").all()
    assert bad["note"].str.contains("no rows left after the sample rules").all()
    good = res[res["window"] != "1990-1995"]
    assert (good["status"] == "ok").all()
    for (window, rule), sub in good.groupby(["window", "treatment_rule"]):
        s = design.with_options(years=mv.parse_window(window), rule=rule).prepare(raw)
        ref = mv.run_design(s, grid[grid["spec_id"].isin(sub["spec_id"])].drop(columns=["panel", "window"]),
                            outcome="index_rate", n_jobs=1, progress=False)  # fmt: skip
        np.testing.assert_allclose(
            sub[NUMERIC].to_numpy(float), ref[NUMERIC].to_numpy(float), rtol=1e-12
        )
        assert sub["first_year"].min() >= mv.parse_window(window)[0]
        assert sub["last_year"].max() <= mv.parse_window(window)[1]


@pytest.mark.slow
def test_research_grid_on_the_real_panels_gives_over_1000_valid_specifications():
    """The research grid on the built real panels (data/processed; skipped when none is built): at least
    1,000 specifications estimated, every one of the grid's rows present with a status, and the
    not-estimated ones carrying their reason."""
    from enforcement_crime import designs

    panels, notes = mv.available_panels(mv.RESEARCH_PANELS)
    if len(panels) < 2:
        pytest.skip(f"fewer than two research panels built: {notes}")
    grid = mv.spec_grid(mv.research_choices(panels), has_never_treated=False)
    res, samples = mv.run_samples(
        designs.get("sc_county"), grid, outcome="index_rate", n_jobs=2, progress=False
    )
    assert res["spec_id"].tolist() == grid["spec_id"].tolist()
    assert int((res["status"] == "ok").sum()) >= 1000
    assert (
        len(samples) == 3 * 2 * len(panels) and not samples["synthetic"].any()
    )  # windows x codings
    bad = res[res["status"] != "ok"]
    assert bad["note"].str.len().gt(0).all() and bad["estimate"].isna().all()
    ok = res[res["status"] == "ok"]
    assert ok[["estimate", "std_error", "n_obs", "n_clusters"]].notna().all().all()
    assert (ok["conf_low"] <= ok["estimate"]).all() and (ok["estimate"] <= ok["conf_high"]).all()


def test_plan_grid_moderate_and_research():
    """The notebook's grid: the sample's panel and window with the given options (moderate), or the
    research choices on the synthetic panel; combinations that do not apply are listed, not run."""
    sample = _sample(_design_panel(signing="jan1"))
    plan = mv.plan_grid(sample, "moderate", treatment_rule=["first_full_year"], coverage_rule=["all_reported"],
                        weights=["population"], control_group=["not_yet_treated"], trends=["none", "unit_linear"],
                        controls=["none"], estimator=["twfe", "imputation"], outcome_transform=["level"])  # fmt: skip
    # by hand: 2 trends x 2 estimators = 4 combinations; trends with imputation does not apply
    assert (
        len(plan.full) == 4 and len(plan.grid) == 3 and plan.grid["spec_id"].tolist() == [0, 1, 2]
    )
    assert set(plan.grid["panel"]) == {"synthetic"} and set(plan.grid["window"]) == {"2004-2014"}
    assert plan.shown == ["trends", "estimator"]
    assert plan.not_run()["combinations"].to_dict() == {"unit trends only with twfe": 1}
    research = mv.plan_grid(sample, "research")
    # 1 panel x 3 windows x 2 codings x 96 specifications per sample
    assert len(research.grid) == 576 and set(research.grid["panel"]) == {"synthetic"}
    with pytest.raises(ValueError, match="moderate"):
        mv.plan_grid(sample, "huge")


def test_choice_reading_and_samples_label(sequential):
    table = mv.by_choice_all(sequential, choices=["coverage_rule", "controls", "estimator"])
    assert set(table["outcome_transform"]) == {"level"}
    lines = mv.choice_reading(table, top=1)
    best = table.dropna(subset=["mean_change"]).set_index("option")["mean_change"].abs().idxmax()
    assert len(lines) == 1 and lines[0].startswith("level: ") and f"-> {best}:" in lines[0]
    one = pd.DataFrame(
        {"label": ["SYNTHETIC DATA (x)"] * 2, "panel": ["synthetic"] * 2, "synthetic": [True] * 2}
    )
    assert mv.samples_label(one) == "SYNTHETIC DATA (x)"
    two = pd.DataFrame(
        {"label": ["REAL A", "REAL B"], "panel": ["a", "b"], "synthetic": [False, False]}
    )
    assert mv.samples_label(two).startswith("REAL DATA, 2 panels: a, b")
