"""Wild cluster bootstrap and randomization inference: references, designs, edge cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest
from wildboottest.wildboottest import WildboottestCL

from enforcement_crime.estimators import EstimatorInputError
from enforcement_crime.estimators.inference import randomization_inference, wild_cluster_bootstrap
from enforcement_crime.results import EstimationResult
from enforcement_crime.simulate import Effect, simulate_staggered


def _panel(seed=1, n_units=80, n_states=8, att=0.3, periods=(2000, 2008), unbalanced=True):
    df = simulate_staggered(
        n_units=n_units,
        periods=periods,
        n_states=n_states,
        effect=Effect(att=att),
        state_shock_sd=0.3,
        seed=seed,
    )
    df["pop"] = np.random.default_rng(seed).uniform(1, 5, len(df))
    if unbalanced:
        df = df.sample(frac=0.93, random_state=seed).reset_index(drop=True)
    return df


def _wildboottest_dummies(df, weights, bootstrap_weights, B, seed, impose_null=True):
    """wildboottest on the regression with explicit unit and period dummies (WLS via sqrt-weight scaling)."""
    d = df.sort_values(["unit", "time"])
    X = pd.get_dummies(d[["unit", "time"]].astype(str), drop_first=False).astype(float)
    X = X.drop(columns=[c for c in X.columns if c.startswith("time_")][0])
    X.insert(0, "treated", d["treated"].astype(float))
    sw = np.sqrt(d[weights].to_numpy()) if weights else np.ones(len(d))
    R = np.zeros(X.shape[1])
    R[0] = 1
    wb = WildboottestCL(
        X=X.to_numpy() * sw[:, None],
        Y=d["y"].to_numpy() * sw,
        cluster=d["state"].to_numpy(),
        R=R,
        B=B,
        seed=seed,
    )
    wb.get_scores("11", impose_null=impose_null)
    wb.get_weights(bootstrap_weights)
    wb.get_numer()
    wb.get_denom()
    wb.get_tboot()
    wb.get_vcov()
    wb.get_tstat()
    wb.get_pvalue()
    return wb


@pytest.mark.parametrize("weights", [None, "pop"])
def test_wcb_estimate_and_se_match_pyfixest(weights):
    df = _panel()
    res = wild_cluster_bootstrap(
        df, "y", "unit", "time", "cohort", cluster="state", weights=weights, n_boot=99, seed=0
    )
    fit = pf.feols("y ~ treated | unit + time", data=df, vcov={"CRV1": "state"}, weights=weights)
    # same least-squares problem and the same CR1 convention: agreement to rounding (1e-8)
    assert res.estimate == pytest.approx(float(fit.coef().iloc[0]), abs=1e-10)
    # pyfixest demeans iteratively (fixef_tol 1e-8; slow convergence when weighted and unbalanced),
    # ours is closed form: SEs agree to 1e-6 relative
    assert res.std_error == pytest.approx(float(fit.se().iloc[0]), rel=1e-6)
    assert res.n_clusters == 8


@pytest.mark.parametrize("weights", [None, "pop"])
@pytest.mark.parametrize("bootstrap_weights", ["rademacher", "webb"])
@pytest.mark.parametrize("impose_null", [True, False])
def test_wcb_matches_wildboottest_with_dummies(weights, bootstrap_weights, impose_null):
    """Same draws (full enumeration for Rademacher with 8 clusters, same seed for Webb): same bootstrap t's."""
    df = _panel()
    wb = _wildboottest_dummies(
        df, weights, bootstrap_weights, B=999, seed=7, impose_null=impose_null
    )
    res = wild_cluster_bootstrap(
        df,
        "y",
        "unit",
        "time",
        "cohort",
        cluster="state",
        weights=weights,
        bootstrap_weights=bootstrap_weights,
        n_boot=999,
        seed=7,
        impose_null=impose_null,
    )
    assert res.extra["full_enumeration"] == (bootstrap_weights == "rademacher")
    assert res.extra["n_boot"] == wb.B
    # t*/t removes the scalar small-sample factor, which differs (wildboottest counts the dummies);
    # same algorithm and draws, so agreement to 1e-8
    np.testing.assert_allclose(
        res.extra["t_boot"] / res.extra["t_stat"], wb.t_boot / wb.t_stat, rtol=0, atol=1e-8
    )
    # p-values: wildboottest counts |t*| > |t| strictly, so the exact ties of full enumeration (the
    # all-ones and all-minus-ones draws reproduce t under WCR) fall either way with rounding; ours counts
    # ties (relative 1e-9) as extreme. Applying our rule to wildboottest's draws gives our p exactly.
    t_them = np.abs(wb.t_boot)
    p_them = np.mean(t_them >= abs(wb.t_stat[0] if np.ndim(wb.t_stat) else wb.t_stat) * (1 - 1e-9))
    assert res.p_value == pytest.approx(p_them, abs=1e-12)
    assert (
        abs(res.p_value - wb.pvalue)
        <= (2 / wb.B if bootstrap_weights == "rademacher" else 0) + 1e-12
    )


def test_wcb_interval_is_the_inverted_test():
    """Testing beta = b0 equals testing 0 on y - b0 * D; the interval bounds are where p crosses alpha."""
    df = _panel(seed=2)
    res = wild_cluster_bootstrap(
        df,
        "y",
        "unit",
        "time",
        "cohort",
        cluster="state",
        bootstrap_weights="webb",
        n_boot=499,
        seed=1,
    )
    row = res.term("treated")
    lo, hi = row["conf_low"], row["conf_high"]
    assert lo < res.estimate < hi
    width = hi - lo
    for bound, inside in ((lo, lo + 1e-4 * width), (hi, hi - 1e-4 * width)):
        outside = bound + (bound - inside)
        for b0, accept in ((inside, True), (outside, False)):
            shifted = df.assign(y=df["y"] - b0 * df["treated"])
            p = wild_cluster_bootstrap(
                shifted,
                "y",
                "unit",
                "time",
                "cohort",
                cluster="state",
                bootstrap_weights="webb",
                n_boot=499,
                seed=1,
            ).p_value
            assert (p > 0.05) == accept, (bound, b0, p)


def test_wcb_size_with_nine_treated_of_hundred():
    """NC-like design: 100 county clusters, 9 treated. Under the null the 5% test rejects at most ~5%."""
    rejections = []
    for rep in range(150):
        df = simulate_staggered(
            n_units=100,
            periods=(2000, 2016),
            cohorts={0: 91, 2008: 9},
            n_states=100,
            effect=Effect(),
            seed=rep,
        )
        res = wild_cluster_bootstrap(
            df, "y", "unit", "time", "cohort", cluster="unit", n_boot=199, seed=rep
        )
        rejections.append(res.p_value <= 0.05)
    rate = float(np.mean(rejections))
    # 150 replications: binomial SD at 5% is 0.018; 0.11 is the 5% level plus ~3.4 SD
    assert rate <= 0.11, rate
    assert 0.0 <= rate


def test_wcb_power_against_large_effect():
    df = _panel(att=2.0, seed=3)
    res = wild_cluster_bootstrap(
        df,
        "y",
        "unit",
        "time",
        "cohort",
        cluster="state",
        bootstrap_weights="rademacher",
        n_boot=999,
        seed=0,
    )
    # 8 clusters, full enumeration of 256 draws: the smallest possible p is 2/256 (the two tied draws)
    assert res.p_value == pytest.approx(2 / 256, abs=1e-12)


def test_wcb_auto_weights_are_webb_with_few_clusters():
    df = _panel()
    assert (
        wild_cluster_bootstrap(
            df, "y", "unit", "time", "cohort", cluster="state", n_boot=99, seed=0
        ).extra["bootstrap_weights"]
        == "webb"
    )
    df50 = _panel(n_units=200, n_states=50)
    res = wild_cluster_bootstrap(
        df50, "y", "unit", "time", "cohort", cluster="state", n_boot=99, seed=0
    )
    assert res.extra["bootstrap_weights"] == "rademacher" and not res.extra["full_enumeration"]


def test_wcb_edge_cases():
    df = _panel()
    df_bad = df.copy()
    df_bad.loc[df_bad.index[:3], "state"] = 999  # a unit now spans two clusters
    with pytest.raises(EstimatorInputError, match="constant within each unit"):
        wild_cluster_bootstrap(df_bad, "y", "unit", "time", "cohort", cluster="state")
    with pytest.raises(EstimatorInputError, match="cohort= .* or treatment="):
        wild_cluster_bootstrap(df, "y", "unit", "time", cluster="state")
    never = df.assign(cohort=0)
    with pytest.raises(EstimatorInputError, match="no variation"):
        wild_cluster_bootstrap(never, "y", "unit", "time", "cohort", cluster="state")
    with pytest.raises(EstimatorInputError, match="positive"):
        wild_cluster_bootstrap(
            df.assign(pop=0.0), "y", "unit", "time", "cohort", cluster="state", weights="pop"
        )
    miss = df.copy()
    miss.loc[miss.index[:5], "y"] = np.nan
    res = wild_cluster_bootstrap(
        miss, "y", "unit", "time", "cohort", cluster="state", n_boot=99, seed=0
    )
    assert "5 rows (missing or non-finite y)" in res.notes
    assert res.n_obs == len(df) - 5
    # a treatment column (switching off allowed) instead of cohorts gives the same fit when it is the same indicator
    a = wild_cluster_bootstrap(
        df, "y", "unit", "time", treatment="treated", cluster="state", n_boot=99, seed=0
    )
    b = wild_cluster_bootstrap(
        df, "y", "unit", "time", "cohort", cluster="state", n_boot=99, seed=0
    )
    assert a.estimate == pytest.approx(b.estimate, abs=1e-12)
    assert a.p_value == b.p_value


# ---------------------------------------------------------------- randomization inference


def _twfe_pyfixest(data, outcome, unit, time, cohort, weights=None, cluster=None, controls=None):
    d = data.assign(_D=((data[cohort] > 0) & (data[time] >= data[cohort])).astype(float))
    fit = pf.feols(f"{outcome} ~ _D | {unit} + {time}", data=d, weights=weights)
    est = float(fit.coef().iloc[0])
    return EstimationResult("pf", pd.DataFrame({"term": ["ATT"], "estimate": [est]}))


def test_ri_twfe_fast_path_equals_refitting_each_permutation():
    df = _panel(n_units=60, unbalanced=True)
    fast = randomization_inference(
        df, "y", "unit", "time", "cohort", n_perm=25, seed=11, weights="pop"
    )
    slow = randomization_inference(
        df,
        "y",
        "unit",
        "time",
        "cohort",
        estimator=_twfe_pyfixest,
        n_perm=25,
        seed=11,
        weights="pop",
    )
    # same permutations (same seed), FWL vs a full refit with pyfixest: 1e-8
    assert fast.estimate == pytest.approx(slow.estimate, abs=1e-8)
    np.testing.assert_allclose(
        fast.extra["permutation_distribution"], slow.extra["permutation_distribution"], atol=1e-8
    )
    assert fast.p_value == slow.p_value


def test_ri_permutes_whole_adoption_dates_preserving_cohort_sizes():
    df = _panel(n_units=60, unbalanced=False)
    df["region"] = df["state"] % 2
    seen = []

    def recorder(data, outcome, unit, time, cohort, **kw):
        per_unit = data.groupby(unit)[cohort].agg(["nunique", "first"])
        assert (per_unit["nunique"] == 1).all()  # each unit keeps one adoption date
        seen.append(data.groupby(unit).first()[[cohort, "region"]])
        return EstimationResult(
            "rec", pd.DataFrame({"term": ["ATT"], "estimate": [float(len(seen))]})
        )

    randomization_inference(
        df, "y", "unit", "time", "cohort", estimator=recorder, n_perm=30, seed=3, stratify="region"
    )
    orig = seen[0]
    for perm in seen[1:]:
        for r in (0, 1):
            a = np.sort(orig.loc[orig["region"] == r, "cohort"].to_numpy())
            b = np.sort(perm.loc[perm["region"] == r, "cohort"].to_numpy())
            np.testing.assert_array_equal(a, b)  # within-stratum cohort multiset preserved
    assert any((perm["cohort"] != orig["cohort"]).any() for perm in seen[1:])  # and something moved


def test_ri_p_value_formula_and_strong_effect():
    df = _panel(att=3.0, n_units=120, unbalanced=False)
    res = randomization_inference(df, "y", "unit", "time", "cohort", n_perm=199, seed=5)
    dist = res.extra["permutation_distribution"]
    expected = (1 + np.sum(np.abs(dist) >= abs(res.estimate))) / (1 + len(dist))
    assert res.p_value == pytest.approx(expected, abs=1e-15)
    # a 3-SD-of-noise effect on 80 treated units is never matched by a placebo assignment
    assert res.p_value == pytest.approx(1 / 200, abs=1e-15)
    twfe = pf.feols("y ~ treated | unit + time", data=df)
    assert res.estimate == pytest.approx(float(twfe.coef().iloc[0]), abs=1e-10)


def test_ri_null_p_values_not_too_small():
    """Under the sharp null, P(p <= 0.1) <= 0.1 exactly; check over seeded panels."""
    ps = [
        randomization_inference(
            _panel(seed=s, att=0.0, unbalanced=False),
            "y",
            "unit",
            "time",
            "cohort",
            n_perm=99,
            seed=s,
        ).p_value
        for s in range(40)
    ]
    # 40 draws: binomial SD at 10% is 0.047; 0.25 is far beyond a valid test's range
    assert np.mean(np.array(ps) <= 0.1) <= 0.25


def test_ri_edge_cases():
    df = _panel()
    with pytest.raises(EstimatorInputError, match="one cohort"):
        randomization_inference(df.assign(cohort=0), "y", "unit", "time", "cohort", n_perm=5)
    with pytest.raises(EstimatorInputError, match="twfe"):
        randomization_inference(df, "y", "unit", "time", "cohort", estimator="ols", n_perm=5)
    with pytest.raises(EstimatorInputError, match="constant within each unit"):
        randomization_inference(
            df.assign(strat=np.arange(len(df)) % 2),
            "y",
            "unit",
            "time",
            "cohort",
            n_perm=5,
            stratify="strat",
        )


def test_edge_designs_no_never_treated_first_period_cohort_single_treated():
    df = simulate_staggered(
        n_units=90,
        periods=(2000, 2010),
        cohorts={2000: 0.2, 2004: 0.4, 2007: 0.4},
        n_states=15,
        seed=6,
    )
    assert not (
        df["cohort"] == 0
    ).any()  # Secure Communities: everyone adopts; one cohort from the first period
    res = wild_cluster_bootstrap(
        df, "y", "unit", "time", "cohort", cluster="state", n_boot=199, seed=0
    )
    fit = pf.feols("y ~ treated | unit + time", data=df, vcov={"CRV1": "state"})
    assert res.estimate == pytest.approx(float(fit.coef().iloc[0]), abs=1e-10)  # same least squares
    ri = randomization_inference(df, "y", "unit", "time", "cohort", n_perm=49, seed=0)
    assert ri.estimate == pytest.approx(float(fit.coef().iloc[0]), abs=1e-10)
    one = simulate_staggered(
        n_units=40, periods=(2000, 2010), cohorts={0: 39, 2005: 1}, n_states=40, seed=2
    )
    r1 = wild_cluster_bootstrap(
        one, "y", "unit", "time", "cohort", cluster="unit", n_boot=99, seed=0
    )
    assert r1.extra["treated_clusters"] == 1 and "unreliable" in r1.notes
    ri1 = randomization_inference(one, "y", "unit", "time", "cohort", n_perm=39, seed=0)
    assert 1 / 40 <= ri1.p_value <= 1
