"""The event study's joint pre-trend test calibrated by the restricted wild cluster bootstrap.

Three checks of :mod:`enforcement_crime.estimators._wild_wald`:

* with every bootstrap weight equal to 1 the bootstrap sample is the data, so
  the bootstrap statistic must equal the observed Wald statistic;
* against brute force: the same weight draws, bootstrap outcomes built from
  restricted residuals computed independently (statsmodels WLS with explicit
  dummies), and the public :func:`event_study` refitted on each bootstrap
  sample give the same p-value as the closed-form bootstrap;
* size on a known null with few clusters and state shocks, where the
  chi-square p-value over-rejects and the bootstrap does not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from enforcement_crime.estimators import EstimatorInputError
from enforcement_crime.estimators._bootstrap import draw_weights
from enforcement_crime.estimators._core import factorize
from enforcement_crime.estimators._wild_wald import WildWaldTest
from enforcement_crime.estimators.twfe import event_study
from enforcement_crime.simulate import simulate_staggered

WINDOW = (-3, 2)


def _panel(seed: int, n_states: int = 14, unbalanced: bool = True) -> pd.DataFrame:
    df = simulate_staggered(
        84,
        periods=(1, 10),
        cohorts={0: 0.5, 5: 0.25, 7: 0.25},
        n_states=n_states,
        state_shock_sd=0.3,
        rho=0.5,
        seed=seed,
    )
    rng = np.random.default_rng(seed + 1)
    df["pop"] = rng.lognormal(0, 1, df["unit"].max() + 1)[df["unit"]]
    df["x"] = rng.normal(size=len(df))
    if unbalanced:
        df = df.drop(index=rng.choice(df.index, 40, replace=False)).reset_index(drop=True)
    return df


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return _panel(5)


def _restricted_residuals(df: pd.DataFrame, tested: list[int], weights: str, controls: list[str]):
    """Residuals of the event study without the tested leads: dense dummies in statsmodels WLS."""
    lo, hi = WINDOW
    et = df["event_time"].astype("float64").clip(lo, hi)
    cols = {
        f"e{k}": (et == k).astype(float) for k in range(lo, hi + 1) if k != -1 and k not in tested
    }
    X = pd.concat(
        [
            pd.DataFrame(cols),
            df[controls],
            pd.get_dummies(df["unit"], prefix="u", dtype=float),
            pd.get_dummies(df["time"], prefix="t", dtype=float).iloc[:, 1:],
        ],
        axis=1,
    )
    return sm.WLS(df["y"], X, weights=df[weights]).fit().resid.to_numpy()


def test_bootstrap_equals_brute_force(panel):
    """Closed-form bootstrap p-value == refitting the public event study on each bootstrap sample."""
    kw = dict(window=WINDOW, weights="pop", cluster="state", controls=["x"])
    B, seed = 39, 11
    r = event_study(panel, "y", "unit", "time", "cohort", pretrend_inference="wild_cluster",
                    n_boot=B, seed=seed, bootstrap_weights="rademacher", **kw)  # fmt: skip
    pre = r.pretrend
    assert pre.terms == ("e-3", "e-2") and pre.n_boot == B
    u = _restricted_residuals(panel, [-3, -2], "pop", ["x"])
    codes, G = factorize(panel["state"])
    V, full = draw_weights("rademacher", G, B, np.random.default_rng(seed))
    assert not full
    stats = []
    for b in range(B):
        boot = panel.assign(y=panel["y"] + u * (V[codes, b] - 1.0))
        stats.append(event_study(boot, "y", "unit", "time", "cohort", **kw).pretrend.statistic)
    stats = np.array(stats)
    assert np.isfinite(stats).all() and stats.std() > 0
    assert pre.p_value == pytest.approx(np.mean(stats >= pre.statistic * (1 - 1e-9)), abs=1e-12)
    assert (
        pre.p_value_chi2 == event_study(panel, "y", "unit", "time", "cohort", **kw).pretrend.p_value
    )


@pytest.mark.parametrize("unit_trends", [False, True])
def test_unit_weights_reproduce_the_data(panel, unit_trends):
    """Every v_g = 1: the bootstrap sample is the data and the statistic the observed one."""
    from enforcement_crime.estimators import _core
    from enforcement_crime.estimators.twfe import _event_dummies

    df = panel
    r = event_study(df, "y", "unit", "time", "cohort", window=WINDOW, weights="pop",
                    cluster="state", unit_trends=unit_trends)  # fmt: skip
    # rebuild the estimator's within-transformed regressors from its own building blocks
    p = _core.prepare_fe_panel(df, "y", "unit", "time", "cohort", "pop", "state", [], [])
    et = p.data["event_time"].to_numpy(dtype="float64")
    cols, kept = _event_dummies(et, *WINDOW, -1, True)
    X = np.column_stack(cols)
    blocks = _core.FixedEffects(unit_trends=unit_trends).blocks(p)
    w = p.data["w"].to_numpy(dtype="float64")
    fit = _core.fit_within(p.data["y"].to_numpy(), X, [f"e{k}" for k in kept], blocks, w, p, None)
    codes, sizes, _ = _core.cluster_arrays(p, None)
    tested = [i for i, k in enumerate(kept) if k < 0]
    scale = fit.ssc.c_N * _core.cr1_scale(sizes[0])
    t = WildWaldTest.build(
        fit.Xd, fit.resid + fit.Xd @ fit.coef, w, blocks, codes[0], sizes[0], tested, scale
    )
    observed = r.pretrend.statistic
    assert t.stat == pytest.approx(observed, rel=1e-8)
    assert t.stats(np.ones((sizes[0], 1)))[0] == pytest.approx(observed, rel=1e-8)
    # flipping every sign gives the same statistic (the Wald form is even in v)
    assert t.stats(-np.ones((sizes[0], 1)))[0] == pytest.approx(observed, rel=1e-8)


def test_pretrend_through_and_errors(panel):
    kw = dict(window=(-4, 2), cluster="state")
    r = event_study(panel, "y", "unit", "time", "cohort", reference=-2, pretrend_through=-2, **kw)
    assert r.pretrend.terms == ("e-4", "e-3")
    r = event_study(panel, "y", "unit", "time", "cohort", reference=-2, **kw)
    assert r.pretrend.terms == ("e-4", "e-3", "e-1")
    with pytest.raises(EstimatorInputError, match="pretrend_inference"):
        event_study(panel, "y", "unit", "time", "cohort", pretrend_inference="bootstrap", **kw)
    with pytest.raises(EstimatorInputError, match="one cluster column"):
        event_study(panel, "y", "unit", "time", "cohort", window=(-4, 2), cluster=("state", "unit"),
                    pretrend_inference="wild_cluster")  # fmt: skip
    few = event_study(panel.assign(s2=panel["state"] % 6), "y", "unit", "time", "cohort", window=(-4, 2),
                      cluster="s2", pretrend_inference="wild_cluster", n_boot=99, seed=1)  # fmt: skip
    assert few.pretrend.bootstrap_weights == "webb"  # auto: Webb below 12 clusters


def test_size_on_a_null_with_few_clusters():
    """14 state clusters, AR(1) errors and state shocks, no effect: the bootstrap holds its level.

    The chi-square p-value of the same statistic rejects far more often (it
    treats the CR1 variance of 3 leads from 14 clusters as known). 120
    replications: a 10% test rejecting 10% has Monte Carlo s.e. 2.7 points;
    the bounds are 3-4 s.e. wide so that a correct test fails them rarely
    and an over-rejecting one (the chi-square test here) does not pass.
    """
    rej_boot, rej_chi2 = [], []
    for s in range(120):
        df = _panel(1000 + s, unbalanced=False)
        pre = event_study(df, "y", "unit", "time", "cohort", window=WINDOW, cluster="state", weights="pop",
                          pretrend_inference="wild_cluster", n_boot=199, seed=s).pretrend  # fmt: skip
        rej_boot.append(pre.p_value <= 0.10)
        rej_chi2.append(pre.p_value_chi2 <= 0.10)
    boot, chi2 = np.mean(rej_boot), np.mean(rej_chi2)
    assert 0.02 <= boot <= 0.19, (boot, chi2)
    assert chi2 >= boot + 0.03, (boot, chi2)


def test_two_way_cluster_scores_equal_demeaning_each_cluster(panel):
    """The closed form of X_h' W_h M(u 1_g)_h equals demeaning the n x G matrix of u by cluster."""
    import scipy.sparse as sp

    from enforcement_crime.estimators._core import Block
    from enforcement_crime.estimators._wild_wald import _residualise, _two_way_cluster_scores

    ucode, nu = factorize(panel["unit"])
    tcode, nt = factorize(panel["time"])
    codes, G = factorize(panel["state"])
    blocks = [Block("unit", ucode, nu), Block("time", tcode, nt)]
    rng = np.random.default_rng(3)
    n = len(panel)
    w = panel["pop"].to_numpy(float)
    XW, u = rng.normal(size=(n, 3)) * w[:, None], rng.normal(size=n)
    S = sp.csr_matrix((np.ones(n), (codes, np.arange(n))), shape=(G, n))
    fast = _two_way_cluster_scores(XW, u, blocks, w, codes, G, S)
    U1 = np.zeros((n, G))
    U1[np.arange(n), codes] = u
    MU = _residualise(U1, blocks, w)
    slow = np.stack([S @ (XW[:, k, None] * MU) for k in range(3)], axis=2)
    np.testing.assert_allclose(fast, slow, rtol=1e-9, atol=1e-9 * np.abs(slow).max())
    # clusters that split units (here: periods) are left to the demeaning
    assert _two_way_cluster_scores(XW, u, blocks, w, tcode, nt, S) is None
