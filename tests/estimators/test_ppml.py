"""Tests of :func:`enforcement_crime.estimators.ppml`.

Reference: statsmodels GLM Poisson with explicit unit and time dummies (an
independent IRLS on the dummy design); recovery on simulated counts.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from enforcement_crime.estimators import EstimatorInputError
from enforcement_crime.estimators.ppml import ppml
from enforcement_crime.simulate import simulate_staggered

BETA = 0.2


@pytest.fixture(scope="module")
def counts() -> pd.DataFrame:
    df = simulate_staggered(60, periods=(1, 10), cohorts={0: 0.4, 4: 0.3, 7: 0.3}, seed=1)
    rng = np.random.default_rng(0)
    df["pop"] = rng.uniform(1e3, 1e5, 60)[df["unit"]]
    a = rng.normal(-6, 0.3, 60)
    b = rng.normal(0, 0.1, 10)
    df["mu"] = df["pop"] * np.exp(a[df["unit"]] + b[df["time"] - 1] + BETA * df["treated"])
    df["n"] = rng.poisson(df["mu"])
    return df


def _glm(df, y, weights=None):
    X = pd.concat(
        [
            df[["treated"]].astype(float),
            pd.get_dummies(df["unit"], prefix="u", dtype=float),
            pd.get_dummies(df["time"], prefix="t", dtype=float).iloc[:, 1:],
        ],
        axis=1,
    )
    kw = {"var_weights": df[weights]} if weights else {}
    m = sm.GLM(df[y], X, family=sm.families.Poisson(), offset=np.log(df["pop"]), **kw)
    return m.fit(
        cov_type="cluster", cov_kwds={"groups": df["unit"].to_numpy()}, tol=1e-13
    ), X.shape[1]


def test_matches_statsmodels_glm(counts):
    r = ppml(counts, "n", "unit", "time", "cohort", exposure="pop")
    g, K_all = _glm(counts, "n")
    # same likelihood, two IRLS implementations converged to 1e-10 or better: 1e-8
    assert r.estimate == pytest.approx(g.params["treated"], rel=1e-8)
    # statsmodels counts all K_all parameters in (N-1)/(N-K); ours counts 1 + T (FE nested in
    # the unit clusters are not counted): convert, then agree to 1e-6 (IRLS tolerance)
    n, G, T = len(counts), counts["unit"].nunique(), counts["time"].nunique()
    raw = g.bse["treated"] / np.sqrt(G / (G - 1) * (n - 1) / (n - K_all))
    assert r.std_error == pytest.approx(
        raw * np.sqrt(G / (G - 1) * (n - 1) / (n - 1 - T)), rel=1e-6
    )


def test_exact_recovery_on_expected_counts(counts):
    r = ppml(counts, "mu", "unit", "time", "cohort", exposure="pop")
    assert r.estimate == pytest.approx(
        BETA, abs=1e-8
    )  # the mean is the model: exact up to IRLS tol
    assert r.extra["rate_ratio"]["estimate"] == pytest.approx(np.exp(BETA), rel=1e-8)


def test_recovery_on_poisson_counts(counts):
    r = ppml(counts, "n", "unit", "time", "cohort", exposure="pop")
    assert abs(r.estimate - BETA) < 4 * r.std_error  # 4 SE: a chance failure has p < 1e-4


def test_weights_match_statsmodels(counts):
    df = counts.assign(w=np.random.default_rng(4).uniform(0.5, 2, 60)[counts["unit"]])
    r = ppml(df, "n", "unit", "time", "cohort", exposure="pop", weights="w")
    g, _ = _glm(df, "n", weights="w")
    assert r.estimate == pytest.approx(g.params["treated"], rel=1e-8)  # same weighted likelihood


def test_all_zero_units_dropped_and_counted(counts):
    df = counts.copy()
    df.loc[df["unit"].isin([0, 1]), "n"] = 0
    r = ppml(df, "n", "unit", "time", "cohort", exposure="pop")
    assert r.n_obs == len(df) - 20
    assert "20 rows (rows of units with zero counts in every period" in r.notes


def test_errors(counts):
    with pytest.raises(EstimatorInputError, match="non-negative"):
        ppml(counts.assign(n=counts["n"] - 1000), "n", "unit", "time", "cohort")
    with pytest.raises(EstimatorInputError, match="positive"):
        ppml(counts.assign(pop=0.0), "n", "unit", "time", "cohort", exposure="pop")
    with pytest.raises(EstimatorInputError, match="cohort= .* or treatment="):
        ppml(counts, "n", "unit", "time")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(EstimatorInputError, match="zero everywhere"):
            ppml(counts.assign(n=0), "n", "unit", "time", "cohort")
