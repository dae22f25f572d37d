"""Tests of imputation (BJS) and two_stage (Gardner): references, identities, recovery, edge cases."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from enforcement_crime.estimators import EstimatorInputError
from enforcement_crime.estimators.imputation import imputation, two_stage
from enforcement_crime.simulate import Effect, simulate_staggered, true_att

HET = Effect(att=1.0, dynamic_slope=0.2, cohort_slope=0.3, ref_cohort=2005)


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    df = simulate_staggered(
        n_units=300, periods=(2000, 2010), effect=HET, n_states=12, state_shock_sd=0.3, seed=1
    )
    rng = np.random.default_rng(0)
    df["pop"] = np.repeat(rng.lognormal(10, 1, 300), 11)
    df["x"] = rng.normal(size=len(df))
    df["y_x"] = df["y"] + 0.5 * df["x"]
    return df


@pytest.fixture(scope="module")
def exact() -> pd.DataFrame:
    df = simulate_staggered(n_units=240, periods=(2000, 2010), effect=HET, noise_sd=0.0, seed=3)
    rng = np.random.default_rng(1)
    df["pop"] = rng.lognormal(8, 1, len(df))  # time-varying weights are fine here
    return df


def _dd_imputation(df, **kw):
    dd = pytest.importorskip("diff_diff")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return dd.ImputationDiD(**kw).fit(df, "y", "unit", "time", "cohort")


# diff-diff solves the first stage by iterative demeaning; its coefficients agree with our direct
# sparse solve to ~1e-10, so 1e-8 is the same-algorithm tolerance here.
TOL = 1e-8


@pytest.mark.parametrize("kw", [{}, {"cluster": "state"}, {"leave_one_out": True}])
def test_imputation_agrees_with_diff_diff(panel, kw):
    mine = imputation(panel, "y", "unit", "time", "cohort", horizons=list(range(0, 6)), **kw)
    ref = _dd_imputation(panel, **kw)
    assert mine.term("ATT")["estimate"] == pytest.approx(ref.overall_att, abs=TOL)
    assert mine.term("ATT")["std_error"] == pytest.approx(ref.overall_se, abs=TOL)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        es = ref.aggregate("event_study").to_dataframe().set_index("event_time")
    for k in range(0, 6):
        assert mine.term(f"e{k}")["estimate"] == pytest.approx(es.loc[k, "att"], abs=TOL)
        assert mine.term(f"e{k}")["std_error"] == pytest.approx(es.loc[k, "se"], abs=TOL)


def test_implied_weights_reproduce_estimates(panel):
    """tau_hat = sum_it v_it Y_it: checks the untreated weights v0 that enter the variance (BJS eq. 5)."""
    res = imputation(
        panel, "y", "unit", "time", "cohort", weights="pop", cluster="state", horizons=[0, 2]
    )
    v = res.extra["weights_v"].merge(panel[["unit", "time", "y"]], on=["unit", "time"])
    for term in ("ATT", "e0", "e2"):
        # a linear identity evaluated in floating point: rounding only
        assert float((v[term] * v["y"]).sum()) == pytest.approx(
            res.term(term)["estimate"], abs=1e-10
        )
        # imputation weights on untreated rows sum to -1 (they impute the mean untreated outcome)
        untreated = v.merge(panel[["unit", "time", "treated"]], on=["unit", "time"])["treated"] == 0
        assert float(v.loc[untreated.to_numpy(), term].sum()) == pytest.approx(-1.0, abs=1e-10)


def test_two_stage_equals_imputation_point_estimates(panel):
    kw = dict(weights="pop", cluster="state", horizons=[0, 1, 2, 3], controls=["x"])
    a = imputation(panel, "y_x", "unit", "time", "cohort", **kw).to_frame()
    b = two_stage(panel, "y_x", "unit", "time", "cohort", **kw).to_frame()
    # the same weighted means of the same residuals: rounding only
    np.testing.assert_allclose(a["estimate"], b["estimate"], atol=1e-10)
    assert list(a["term"]) == list(b["term"])


@pytest.mark.parametrize("weights", [None, "pop"])
def test_two_stage_agrees_with_pyfixest_did2s(panel, weights):
    pf = pytest.importorskip("pyfixest")
    df = panel.copy()
    df["treat"] = df["treated"].astype(bool)
    df["rel"] = np.where(df["cohort"] > 0, df["time"] - df["cohort"], -1000).astype(int)
    mine = two_stage(
        df, "y", "unit", "time", "cohort", weights=weights, cluster="state", horizons=[0, 1, 2, 3]
    )
    fit = pf.did2s(
        df,
        yname="y",
        first_stage="~0|unit+time",
        second_stage="~treat",
        treatment="treat",
        cluster="state",
        weights=weights,
    )
    ev = pf.did2s(
        df,
        yname="y",
        first_stage="~0|unit+time",
        second_stage="~i(rel, ref=-1000)",
        treatment="treat",
        cluster="state",
        weights=weights,
    )
    # pyfixest demeans the first stage iteratively (coefficients within ~1e-6 of the exact solve on
    # this panel); same algorithm otherwise, so relative 1e-5
    assert mine.term("ATT")["estimate"] == pytest.approx(float(fit.coef().iloc[0]), rel=1e-5)
    assert mine.term("ATT")["std_error"] == pytest.approx(float(fit.se().iloc[0]), rel=1e-5)
    tidy = ev.tidy()
    for k in range(4):
        assert mine.term(f"e{k}")["estimate"] == pytest.approx(
            tidy.loc[f"rel::{k}", "Estimate"], rel=1e-5
        )
        assert mine.term(f"e{k}")["std_error"] == pytest.approx(
            tidy.loc[f"rel::{k}", "Std. Error"], rel=1e-5
        )


def test_two_stage_with_controls_agrees_with_pyfixest_did2s(panel):
    pf = pytest.importorskip("pyfixest")
    df = panel.assign(treat=panel["treated"].astype(bool))
    mine = two_stage(df, "y_x", "unit", "time", "cohort", controls=["x"], cluster="state")
    fit = pf.did2s(
        df,
        yname="y_x",
        first_stage="~x|unit+time",
        second_stage="~treat",
        treatment="treat",
        cluster="state",
    )
    # iterative demeaning in pyfixest (see above): relative 1e-5
    assert mine.estimate == pytest.approx(float(fit.coef().iloc[0]), rel=1e-5)
    assert mine.std_error == pytest.approx(float(fit.se().iloc[0]), rel=1e-5)


@pytest.mark.parametrize("fn", [imputation, two_stage])
def test_exact_recovery_noise_free(exact, fn):
    res = fn(exact, "y", "unit", "time", "cohort", weights="pop", static=True, horizons=[0, 3, 5])
    tr = exact[exact["treated"] == 1]
    target = float((tr["pop"] * tr["true_effect"]).sum() / tr["pop"].sum())
    # y = a_i + b_t + tau exactly: imputation is exact up to the sparse solve's rounding
    assert res.term("ATT")["estimate"] == pytest.approx(target, abs=1e-9)
    for k in (0, 3, 5):
        sub = tr[tr["event_time"] == k]
        assert res.term(f"e{k}")["estimate"] == pytest.approx(
            float((sub["pop"] * sub["true_effect"]).sum() / sub["pop"].sum()), abs=1e-9
        )


def test_recovery_with_noise_within_se():
    df = simulate_staggered(
        n_units=600, periods=(2000, 2012), effect=HET, n_states=30, state_shock_sd=0.2, seed=11
    )
    for fn in (imputation, two_stage):
        row = fn(df, "y", "unit", "time", "cohort", cluster="state").term("ATT")
        # 4 SE: a 1e-4 two-sided event under valid (here conservative) inference, fixed seed
        assert abs(row["estimate"] - true_att(df)) < 4 * row["std_error"]


def test_controls_are_partialled_out(panel):
    res = imputation(panel, "y_x", "unit", "time", "cohort", controls=["x"])
    base = imputation(panel, "y", "unit", "time", "cohort", controls=["x"])
    # y_x - y = 0.5 x lies in the span of the first-stage regressors: identical effects
    assert res.estimate == pytest.approx(base.estimate, abs=1e-9)
    assert abs(imputation(panel, "y_x", "unit", "time", "cohort").estimate - res.estimate) > 1e-4
    df = panel.assign(x2=2 * panel["x"])
    with pytest.raises(EstimatorInputError, match="singular"):
        imputation(df, "y", "unit", "time", "cohort", controls=["x", "x2"])


def test_controls_exact_recovery(exact):
    rng = np.random.default_rng(5)
    df = exact.assign(x=rng.normal(size=len(exact)))
    df["y"] = df["y"] + 0.7 * df["x"]
    res = imputation(df, "y", "unit", "time", "cohort", controls=["x"])
    # noise-free and correctly specified: exact up to rounding
    assert res.estimate == pytest.approx(true_att(df), abs=1e-9)


def test_default_terms_static_and_dynamic(panel):
    static = imputation(panel, "y", "unit", "time", "cohort")
    assert list(static.to_frame()["term"]) == ["ATT"]
    dyn = imputation(panel, "y", "unit", "time", "cohort", static=False)
    ev = sorted(panel.loc[panel["treated"] == 1, "event_time"].unique())
    assert list(dyn.to_frame()["term"]) == [f"e{k}" for k in ev]
    vc = dyn.vcov
    np.testing.assert_allclose(np.sqrt(np.diag(vc)), dyn.to_frame()["std_error"], rtol=1e-12)
    assert dyn.extra["reference_period"] is None
    with pytest.raises(EstimatorInputError, match="horizons"):
        imputation(panel, "y", "unit", "time", "cohort", horizons=[40])


# ---- edge cases ------------------------------------------------------------------------------


@pytest.mark.parametrize("fn", [imputation, two_stage])
def test_no_never_treated_uses_not_yet_treated_and_drops_unimputable(exact, fn):
    df = exact[exact["cohort"] > 0]
    res = fn(df, "y", "unit", "time", "cohort")
    last = df["cohort"].max()
    # from the last cohort's adoption on nobody is untreated: those treated rows are dropped, counted
    n_lost = int(((df["time"] >= last) & (df["treated"] == 1)).sum())
    assert f"{n_lost} rows (treated obs in periods without untreated observations" in res.notes
    kept = df[(df["treated"] == 1) & (df["time"] < last)]
    assert res.estimate == pytest.approx(kept["true_effect"].mean(), abs=1e-9)


@pytest.mark.parametrize("fn", [imputation, two_stage])
def test_single_treated_unit(exact, fn):
    u = exact.loc[exact["cohort"] == 2005, "unit"].min()
    one = exact[(exact["cohort"] == 0) | (exact["unit"] == u)]
    with pytest.warns(UserWarning, match="only 1 treated unit"):
        res = fn(one, "y", "unit", "time", "cohort")
    assert res.estimate == pytest.approx(
        one.loc[one["treated"] == 1, "true_effect"].mean(), abs=1e-9
    )
    assert np.isfinite(res.std_error)
    assert "only 1 treated unit(s)" in res.notes


@pytest.mark.parametrize("fn", [imputation, two_stage])
def test_few_treated_clusters_warn_on_a_true_zero(fn):
    """Issue 13 case: one treated unit and no true effect gives a tight interval; it must warn."""
    sim = simulate_staggered(60, cohorts={0: 59 / 60, 2008: 1 / 60}, n_states=12, seed=8)
    assert sim.loc[sim["cohort"] > 0, "unit"].nunique() == 1  # synthetic, true effect 0
    with pytest.warns(UserWarning, match="only 1 treated cluster"):
        res = fn(sim, "y", "unit", "time", "cohort", cluster="state")
    assert "only 1 treated cluster(s)" in res.notes
    # five or more treated clusters: no warning
    many = simulate_staggered(60, n_states=12, seed=8)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        res = fn(many, "y", "unit", "time", "cohort", cluster="state")
    assert "treated cluster(s)" not in res.notes


@pytest.mark.parametrize("fn", [imputation, two_stage])
def test_cohort_treated_in_first_period_is_dropped_and_counted(exact, fn):
    df = exact.copy()
    first_units = df.loc[df["cohort"] == 2003, "unit"].unique()[:5]
    df.loc[df["unit"].isin(first_units), "cohort"] = 2000
    res = fn(df, "y", "unit", "time", "cohort")
    assert "55 rows (treated obs of 5 unit(s) never observed untreated" in res.notes
    ref = fn(df[~df["unit"].isin(first_units)], "y", "unit", "time", "cohort")
    assert res.estimate == pytest.approx(ref.estimate, abs=1e-10)


@pytest.mark.parametrize("fn", [imputation, two_stage])
def test_unbalanced_and_missing_outcomes(exact, fn):
    df = exact.drop(index=exact.index[(exact["unit"] == 7) & (exact["time"] == 2004)]).copy()
    df.loc[(df["unit"] == 9) & (df["time"] == 2006), "y"] = np.nan
    res = fn(df, "y", "unit", "time", "cohort")
    assert "1 rows (missing or non-finite y)" in res.notes
    assert res.n_obs == len(exact) - 2
    tr = df[(df["treated"] == 1) & df["y"].notna()]
    # noise-free: the unbalanced panel still identifies every effect exactly
    assert res.estimate == pytest.approx(tr["true_effect"].mean(), abs=1e-9)


@pytest.mark.parametrize("fn", [imputation, two_stage])
def test_zero_population_is_an_error(exact, fn):
    df = exact.copy()
    df.loc[df.index[:3], "pop"] = 0.0
    with pytest.raises(EstimatorInputError, match="positive"):
        fn(df, "y", "unit", "time", "cohort", weights="pop")


def test_disconnected_untreated_sample_is_an_error():
    # two blocks of units observed in disjoint periods: FE not identified across blocks
    rows = [(u, t, 0, 1.0) for u in range(3) for t in (1, 2)] + [
        (u, t, 4 if u == 3 else 0, 1.0) for u in range(3, 6) for t in (3, 4, 5)
    ]
    df = pd.DataFrame(rows, columns=["unit", "time", "cohort", "y"])
    with pytest.raises(EstimatorInputError, match="disconnected"):
        imputation(df, "y", "unit", "time", "cohort")


def test_pretrend_leads_match_fixed_effects_regression_on_untreated(panel):
    pf = pytest.importorskip("pyfixest")
    res = imputation(
        panel, "y", "unit", "time", "cohort", cluster="state", pretrends=3, horizons=[0, 1]
    )
    base = imputation(panel, "y", "unit", "time", "cohort", cluster="state", horizons=[0, 1])
    frame, bframe = res.to_frame().set_index("term"), base.to_frame().set_index("term")
    assert list(res.to_frame()["term"]) == ["ATT", "e-3", "e-2", "e-1", "e0", "e1"]
    # the effects do not use the leads: identical numbers
    cols = ["estimate", "std_error", "conf_low", "conf_high"]
    pd.testing.assert_frame_equal(
        frame.loc[bframe.index, cols], bframe[cols], check_exact=False, rtol=1e-12
    )
    u = panel[panel["treated"] == 0].copy()
    for k in (1, 2, 3):
        u[f"l{k}"] = ((u["cohort"] > 0) & (u["time"] - u["cohort"] == -k)).astype(float)
    fit = pf.feols(
        "y ~ l1 + l2 + l3 | unit + time",
        data=u,
        vcov={"CRV1": "state"},
        ssc=pf.ssc(k_adj=False, G_adj=True),
    )
    tidy = fit.tidy()
    for k in (1, 2, 3):
        # pyfixest demeans iteratively (~1e-7 here); same estimator and CR1 G/(G-1) correction
        assert frame.loc[f"e-{k}", "estimate"] == pytest.approx(
            tidy.loc[f"l{k}", "Estimate"], rel=1e-5
        )
        assert frame.loc[f"e-{k}", "std_error"] == pytest.approx(
            tidy.loc[f"l{k}", "Std. Error"], rel=1e-5
        )
    leads = ["e-3", "e-2", "e-1"]
    g = frame.loc[leads, "estimate"].to_numpy()
    Vg = res.vcov.loc[leads, leads].to_numpy()
    assert res.pretrend.statistic == pytest.approx(float(g @ np.linalg.solve(Vg, g)), rel=1e-10)
    assert (res.vcov.loc[leads, ["e0", "e1"]].to_numpy() == 0).all()


def test_pretrend_test_detects_a_violation():
    df = simulate_staggered(n_units=400, periods=(2000, 2012), effect=HET, n_states=40, seed=12)
    # add a linear pre-trend to treated units before adoption: parallel trends fails
    pre = (df["cohort"] > 0) & (df["time"] < df["cohort"])
    df.loc[pre, "y"] += 0.3 * (df.loc[pre, "time"] - df.loc[pre, "cohort"])
    res = imputation(df, "y", "unit", "time", "cohort", pretrends=3)
    assert res.pretrend.p_value < 1e-6
    ok = imputation(
        simulate_staggered(n_units=400, periods=(2000, 2012), effect=HET, n_states=40, seed=12),
        "y",
        "unit",
        "time",
        "cohort",
        pretrends=3,
    )
    # seed fixed: no violation, the test does not reject at 0.1% (it is a 1-in-1000 event otherwise)
    assert ok.pretrend.p_value > 1e-3


@pytest.mark.parametrize("cluster", [None, "state"])
def test_weighted_se_differs_from_diff_diff_survey_only_by_design_correction(panel, cluster):
    """diff-diff takes population weights only through a SurveyDesign, whose Taylor-linearised
    variance centres the cluster scores and multiplies by G/(G-1); BJS Theorem 3 (ours) does
    neither. Same scores, so the two agree after that correction."""
    dd = pytest.importorskip("diff_diff")
    mine = imputation(panel, "y", "unit", "time", "cohort", weights="pop", cluster=cluster)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = dd.ImputationDiD(cluster=cluster).fit(
            panel, "y", "unit", "time", "cohort", survey_design=dd.SurveyDesign(weights="pop")
        )
    S = mine.extra["cluster_scores"]["ATT"].to_numpy()
    G = len(S)
    assert mine.std_error == pytest.approx(float(np.sqrt((S**2).sum())), rel=1e-12)
    assert mine.estimate == pytest.approx(ref.overall_att, abs=TOL)
    # iterative first stage in diff-diff: 1e-8
    assert float(np.sqrt(G / (G - 1) * ((S - S.mean()) ** 2).sum())) == pytest.approx(
        ref.overall_se, rel=1e-8
    )
