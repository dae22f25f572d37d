"""Synthetic control and synthetic DiD: exact recovery, factor-model recovery, diff-diff agreement, placebos."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from enforcement_crime.estimators import EstimatorInputError
from enforcement_crime.estimators.synth import _simplex_ls, synthetic_control, synthetic_did


def factor_panel(N=40, T=20, T0=14, n_tr=1, tau=1.0, noise=0.3, seed=0):
    """Interactive fixed effects y = a_i + b_t + l_i'f_t + tau D + e; treated units are the first n_tr."""
    rng = np.random.default_rng(seed)
    F = rng.normal(size=(T, 2)).cumsum(0) * 0.3
    L = rng.normal(size=(N, 2))
    Y = (
        rng.normal(size=N)[:, None]
        + rng.normal(size=T)[None, :]
        + L @ F.T
        + rng.normal(0, noise, (N, T))
    )
    tr = np.arange(N) < n_tr
    Y = Y + tau * (tr[:, None] & (np.arange(T)[None, :] >= T0))
    return pd.DataFrame(
        {
            "unit": np.repeat(np.arange(N), T),
            "time": np.tile(np.arange(2000, 2000 + T), N),
            "y": Y.ravel(),
            "treated": np.repeat(tr.astype(int), T),
        }
    )


def test_simplex_ls_matches_slsqp():
    from scipy.optimize import minimize

    rng = np.random.default_rng(0)
    A, b = rng.normal(size=(12, 8)), rng.normal(size=12)
    for ridge in (0.0, 0.7):
        w = _simplex_ls(A, b, ridge=ridge)
        f = lambda x, ridge=ridge: np.sum((A @ x - b) ** 2) + ridge * x @ x  # noqa: E731
        ref = minimize(
            f,
            np.full(8, 1 / 8),
            method="SLSQP",
            bounds=[(0, 1)] * 8,
            constraints=[{"type": "eq", "fun": lambda x: x.sum() - 1}],
            options={"ftol": 1e-14, "maxiter": 1000},
        )
        assert w.min() >= 0 and w.sum() == pytest.approx(1, abs=1e-12)
        # same convex problem: our objective is no worse than SLSQP's up to its tolerance
        assert f(w) <= ref.fun + 1e-9


def test_synthetic_control_exact_recovery_convex_combination():
    """Treated = 0.3 u1 + 0.7 u2 + tau after T0: weights and the effect are recovered exactly."""
    rng = np.random.default_rng(1)
    T, T0, tau = 15, 10, 2.5
    Y = rng.normal(size=(6, T)).cumsum(axis=1)
    y1 = 0.3 * Y[1] + 0.7 * Y[2] + tau * (np.arange(T) >= T0)
    Y = np.vstack([y1, Y[1:]])
    df = pd.DataFrame(
        {"unit": np.repeat(np.arange(6), T), "time": np.tile(np.arange(T), 6), "y": Y.ravel()}
    )
    res = synthetic_control(df, "y", "unit", "time", 0, T0)
    w = res.extra["weights"]
    # NNLS with the adding-up row weighted 1e4 * scale: weights exact to ~1e-7
    np.testing.assert_allclose(w.loc[[1, 2]].to_numpy(), [0.3, 0.7], atol=1e-6)
    assert res.estimate == pytest.approx(tau, abs=1e-5)
    assert res.extra["rmspe_pre"] == pytest.approx(0, abs=1e-5)
    gap = res.extra["path"]["gap"].to_numpy()
    np.testing.assert_allclose(gap[T0:], tau, atol=1e-5)


def test_synthetic_control_placebo_p_value():
    df = factor_panel(N=30, tau=5.0, noise=0.2, seed=2)
    res = synthetic_control(df, "y", "unit", "time", 0, 2014)
    plac = res.extra["placebos"]
    assert len(plac) == 29
    expected = (1 + np.sum(plac["ratio"].to_numpy() >= res.extra["ratio"])) / 30
    assert res.p_value == pytest.approx(expected, abs=1e-15)
    # a 5-SD effect ranks at or near the top (a donor outside the convex hull can also have a large ratio)
    assert res.p_value <= 0.1
    assert res.extra["placebo_gaps"].shape == (20, 29)


def test_synthetic_control_with_predictors():
    df = factor_panel(N=20, seed=3)
    df["x1"] = df["y"] * 0.5 + 1
    res = synthetic_control(df, "y", "unit", "time", 0, 2014, predictors=["x1"], placebo=False)
    assert res.extra["weights"].sum() == pytest.approx(1, abs=1e-12)
    assert np.isnan(res.p_value)


def test_synthetic_did_exact_on_additive_model():
    """y = a_i + b_t + tau D without noise: SDID equals DiD and recovers tau for any weights."""
    rng = np.random.default_rng(4)
    N, T, T0, tau = 25, 12, 8, -1.5
    Y = rng.normal(size=N)[:, None] + rng.normal(size=T)[None, :]
    Y[:2, T0:] += tau
    df = pd.DataFrame(
        {"unit": np.repeat(np.arange(N), T), "time": np.tile(np.arange(T), N), "y": Y.ravel()}
    )
    res = synthetic_did(df, "y", "unit", "time", [0, 1], T0, se_method="jackknife")
    assert res.estimate == pytest.approx(tau, abs=1e-10)  # exact algebra (weights sum to one)
    assert res.extra["unit_weights"].sum() == pytest.approx(1, abs=1e-12)
    assert res.extra["time_weights"].sum() == pytest.approx(1, abs=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_synthetic_did_matches_diff_diff(seed):
    from diff_diff import SyntheticDiD

    df = factor_panel(N=50, n_tr=3, seed=seed)
    res = synthetic_did(df, "y", "unit", "time", [0, 1, 2], 2014, se_method="jackknife")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dd = SyntheticDiD(variance_method="jackknife").fit(
            df,
            outcome="y",
            treatment="treated",
            unit="unit",
            time="time",
            post_periods=list(range(2014, 2020)),
        )
    # diff-diff (like R synthdid) stops Frank-Wolfe early and sparsifies the weights; ours are the exact
    # minimisers. Observed differences are <= 3e-4 in tau; bound: 1% of the SE for tau, 2% for the jackknife SE.
    assert res.estimate == pytest.approx(dd.att, abs=0.01 * dd.se)
    assert res.std_error == pytest.approx(dd.se, rel=0.02)
    w = dd.get_unit_weights_df().set_index("unit")["weight"]
    ours = res.extra["unit_weights"]
    assert (ours - w.reindex(ours.index).fillna(0)).abs().max() < 5e-3


def test_synthetic_did_recovers_effect_in_factor_model():
    taus = []
    for seed in range(10):
        df = factor_panel(N=40, n_tr=3, tau=1.0, seed=seed)
        taus.append(synthetic_did(df, "y", "unit", "time", [0, 1, 2], 2014, n_reps=50, seed=seed))
    est = np.array([r.estimate for r in taus])
    se = np.array([r.std_error for r in taus])
    # unbiased under the factor model up to noise: the mean of 10 estimates is within 3 of its standard errors
    assert abs(est.mean() - 1.0) <= 3 * np.sqrt(np.mean(se**2) / len(est))
    assert np.mean(np.abs(est - 1.0) <= 1.96 * se) >= 0.7  # most placebo intervals cover


def test_synth_errors():
    df = factor_panel(N=10, seed=5)
    with pytest.raises(EstimatorInputError, match="not found"):
        synthetic_control(df, "y", "unit", "time", 99, 2014)
    with pytest.raises(EstimatorInputError, match="pre-periods"):
        synthetic_did(df, "y", "unit", "time", 0, 2000)
    with pytest.raises(EstimatorInputError, match="balanced"):
        synthetic_did(df.iloc[1:], "y", "unit", "time", 0, 2014)
    with pytest.raises(EstimatorInputError, match="at least 2 treated"):
        synthetic_did(df, "y", "unit", "time", 0, 2014, se_method="jackknife")
    miss = df.copy()
    miss.loc[5, "y"] = np.nan
    with pytest.raises(EstimatorInputError, match="missing"):
        synthetic_control(miss, "y", "unit", "time", 0, 2014)


def test_a_pre_period_fit_to_rounding_has_an_infinite_ratio_not_a_noise_ratio():
    # 30 donors and 3 pre-periods: the treated unit is in the convex hull of the
    # donors' pre-period paths, so its pre RMSPE is rounding error (~1e-13); a
    # ratio of the post RMSPE to it would be a number set by the floating-point
    # path of the solver, not by the data
    df = factor_panel(N=31, T=6, T0=3, noise=0.3, seed=4)
    res = synthetic_control(df, "y", "unit", "time", treated_units=[0], treatment_time=2003)
    assert res.extra["rmspe_pre"] < 1e-8
    assert np.isinf(res.extra["ratio"])
    plac = res.extra["placebos"]
    exact = plac["rmspe_pre"] <= 1e-8 * np.sqrt(np.mean(df.loc[df["time"] < 2003, "y"] ** 2))
    assert exact.any() and np.isinf(plac.loc[exact, "ratio"]).all()
    assert np.isfinite(plac.loc[~exact, "ratio"]).all()
    # every unit with an infinite ratio ties with the treated unit in the rank
    assert res.p_value == pytest.approx((1 + exact.sum()) / (1 + len(plac)))
    assert "fit the pre-period to rounding" in res.notes
    # an ordinary fit (more pre-periods than a donor mix can match) keeps finite ratios
    ok = synthetic_control(
        factor_panel(N=8, T=20, T0=14, seed=1), "y", "unit", "time", treated_units=[0],
        treatment_time=2014,
    )  # fmt: skip
    assert np.isfinite(ok.extra["ratio"]) and "to rounding" not in ok.notes
