"""Tests of :func:`enforcement_crime.estimators.event_study`.

References: statsmodels WLS with explicit dummies (weights; pyfixest's
event_study takes none), pyfixest feols with ``i()`` event-time dummies, and
noise-free simulated panels where exact recovery is expected.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from enforcement_crime.estimators import EstimatorInputError
from enforcement_crime.estimators.twfe import event_study
from enforcement_crime.simulate import Effect, simulate_staggered


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    df = simulate_staggered(
        120,
        periods=(1, 12),
        cohorts={0: 0.4, 5: 0.3, 8: 0.3},
        effect=Effect(att=1.0, dynamic_slope=0.2),
        seed=2,
    )
    df["pop"] = np.random.default_rng(3).uniform(1, 9, 120)[df["unit"]]
    return df


def _dummy_regression(df, lo, hi, ref, weights=None):
    et = df["event_time"].astype("float64").clip(lo, hi)
    cols = {f"e{k}": (et == k).astype(float) for k in range(lo, hi + 1) if k != ref}
    X = pd.concat(
        [
            pd.DataFrame(cols),
            pd.get_dummies(df["unit"], prefix="u", dtype=float),
            pd.get_dummies(df["time"], prefix="t", dtype=float).iloc[:, 1:],
        ],
        axis=1,
    )
    w = df[weights] if weights else np.ones(len(df))
    return sm.WLS(df["y"], X, weights=w).fit()


@pytest.mark.parametrize("weights", [None, "pop"])
def test_agrees_with_dummy_regression(panel, weights):
    r = event_study(panel, "y", "unit", "time", "cohort", window=(-3, 3), weights=weights)
    m = _dummy_regression(panel, -3, 3, -1, weights)
    est = r.to_frame().set_index("term")["estimate"]
    for k in [-3, -2, 0, 1, 2, 3]:
        # same least-squares problem, dense dummies vs demeaning: 1e-8
        assert est[f"e{k}"] == pytest.approx(m.params[f"e{k}"], rel=1e-8, abs=1e-10)


@pytest.mark.parametrize("weights", [None, "pop"])
def test_agrees_with_pyfixest(panel, weights):
    """pyfixest feols with i() dummies (its event_study takes no weights; feols does)."""
    pf = pytest.importorskip("pyfixest")
    df = panel.assign(etb=panel["event_time"].astype("float64").clip(-3, 3).fillna(-1).astype(int))
    f = pf.feols("y ~ i(etb, ref=-1) | unit + time", df, vcov={"CRV1": "state"}, weights=weights)
    r = event_study(
        panel, "y", "unit", "time", "cohort", window=(-3, 3), cluster="state", weights=weights
    )
    tab = r.to_frame().set_index("term")
    for k in [-3, -2, 0, 1, 2, 3]:
        name = f"etb::{k}"
        # pyfixest's demeaning stops at its 1e-8 default tolerance: 1e-7 on coefficients
        assert tab.loc[f"e{k}", "estimate"] == pytest.approx(f.coef()[name], rel=1e-7)
        # same CR1 / fixest correction (see twfe module docstring): 1e-6
        assert tab.loc[f"e{k}", "std_error"] == pytest.approx(f.se()[name], rel=1e-6)


def test_noise_free_dynamic_recovery_full_window():
    df = simulate_staggered(
        90,
        periods=(1, 12),
        cohorts={0: 0.4, 5: 0.3, 8: 0.3},
        effect=Effect(att=1.0, dynamic_slope=0.2),
        noise_sd=0.0,
        seed=4,
    )
    # window covers every event time (-7..7): no binning restriction, exact tau(e) = 1 + 0.2 e
    r = event_study(df, "y", "unit", "time", "cohort", window=(-7, 7))
    tab = r.to_frame().set_index("event_time")
    for k in range(-7, 8):
        truth = 1.0 + 0.2 * k if k >= 0 else 0.0
        assert tab.loc[k, "estimate"] == pytest.approx(truth, abs=1e-9)


def test_reference_row_vcov_and_reparametrisation(panel):
    r1 = event_study(panel, "y", "unit", "time", "cohort", window=(-4, 4))
    r2 = event_study(panel, "y", "unit", "time", "cohort", window=(-4, 4), reference=-2)
    t1, t2 = r1.to_frame().set_index("event_time"), r2.to_frame().set_index("event_time")
    assert t1.loc[-1, "estimate"] == 0.0 and np.isnan(t1.loc[-1, "std_error"])
    assert r1.extra["reference_period"] == -1 and r2.extra["reference_period"] == -2
    # changing the reference is a reparametrisation: e_k(ref=-2) = e_k(ref=-1) - e_-2(ref=-1)
    np.testing.assert_allclose(t2["estimate"], t1["estimate"] - t1.loc[-2, "estimate"], atol=1e-10)
    V = r1.vcov
    assert "e-1" not in V.index and len(V) == 8
    np.testing.assert_allclose(np.sqrt(np.diag(V)), t1.drop(index=-1)["std_error"], rtol=1e-12)


def test_pretrend_test(panel):
    r = event_study(panel, "y", "unit", "time", "cohort", window=(-3, 3))
    pre = r.pretrend
    assert pre.df == 2 and set(pre.terms) == {"e-3", "e-2"}
    assert pre.p_value > 0.001  # parallel trends hold in the DGP: fails by chance with p = 0.001
    # a single lead: the Wald statistic is the squared t-ratio
    one = event_study(panel, "y", "unit", "time", "cohort", window=(-2, 3)).pretrend
    row = event_study(panel, "y", "unit", "time", "cohort", window=(-2, 3)).term("e-2")
    assert one.statistic == pytest.approx((row["estimate"] / row["std_error"]) ** 2, rel=1e-10)
    # violate parallel trends: treated units drift up 0.3 per period before adoption
    bad = panel.copy()
    bad["y"] = bad["y"] + np.where(bad["cohort"] > 0, 0.3 * bad["time"], 0.0)
    assert event_study(bad, "y", "unit", "time", "cohort", window=(-3, 3)).pretrend.p_value < 1e-6


def test_no_never_treated():
    df = simulate_staggered(
        90,
        periods=(1, 12),
        cohorts={3: 0.3, 6: 0.3, 9: 0.4},
        effect=Effect(att=1.0),
        noise_sd=0.0,
        seed=5,
    )
    r = event_study(df, "y", "unit", "time", "cohort", window=(-3, 3))
    tab = r.to_frame().set_index("event_time")
    # homogeneous constant effect, noise-free: binned design is correctly specified -> exact
    np.testing.assert_allclose(tab.loc[[0, 1, 2, 3], "estimate"], 1.0, atol=1e-9)
    np.testing.assert_allclose(tab.loc[[-3, -2], "estimate"], 0.0, atol=1e-9)
    assert "identified via binning" in r.notes
    with pytest.raises(EstimatorInputError, match="linear"):
        event_study(df, "y", "unit", "time", "cohort", window=(-3, 3), bin_endpoints=False)


def test_no_binning_drops_and_counts(panel):
    r = event_study(panel, "y", "unit", "time", "cohort", window=(-2, 2), bin_endpoints=False)
    n_out = int(((panel["event_time"] < -2) | (panel["event_time"] > 2)).sum())
    assert r.n_obs == len(panel) - n_out
    assert f"{n_out} rows (treated-unit rows outside window" in r.notes


def test_bad_window(panel):
    with pytest.raises(EstimatorInputError, match="reference"):
        event_study(panel, "y", "unit", "time", "cohort", window=(-3, 3), reference=-3)
    with pytest.raises(EstimatorInputError, match="reference"):
        event_study(panel, "y", "unit", "time", "cohort", window=(0, 3))
