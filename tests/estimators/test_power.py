"""minimum_detectable_effect: exact TWFE shortcut vs brute force, calibration, size, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest
from scipy import stats

from enforcement_crime.estimators import EstimatorInputError
from enforcement_crime.estimators.power import (
    _interpolate_mde,
    minimum_detectable_effect,
    percent_of_mean,
)
from enforcement_crime.results import EstimationResult
from enforcement_crime.simulate import simulate_staggered


def _pf_twfe(data, outcome, unit, time, cohort, weights=None, cluster=None, controls=None):
    d = data.assign(_D=((data[cohort] > 0) & (data[time] >= data[cohort])).astype(float))
    fit = pf.feols(
        f"{outcome} ~ _D | {unit} + {time}", data=d, vcov={"CRV1": cluster or unit}, weights=weights
    )
    b, se = float(fit.coef().iloc[0]), float(fit.se().iloc[0])
    G = d[cluster or unit].nunique()
    crit = stats.t.ppf(0.975, G - 1)
    tab = pd.DataFrame(
        {
            "term": ["ATT"],
            "estimate": [b],
            "std_error": [se],
            "conf_low": [b - crit * se],
            "conf_high": [b + crit * se],
        }
    )
    return EstimationResult("pf", tab)


def test_twfe_shortcut_equals_refitting_with_effect_added():
    """The closed-form curve (beta(tau) = beta(0) + tau, same SE) equals adding tau to y and refitting."""
    df = simulate_staggered(
        n_units=60, periods=(2000, 2008), n_states=10, state_shock_sd=0.2, seed=4
    )
    eff = [0.0, 0.1, 0.25]
    fast = minimum_detectable_effect(
        df, "y", "unit", "time", "cohort", effects=eff, n_sim=12, seed=2, cluster="state"
    )
    slow = minimum_detectable_effect(
        df,
        "y",
        "unit",
        "time",
        "cohort",
        estimator=_pf_twfe,
        effects=eff,
        n_sim=12,
        seed=2,
        cluster="state",
    )
    # same permutations (seed), same estimator: estimates to rounding; SEs to pyfixest's iterative demeaning (1e-6)
    np.testing.assert_allclose(
        fast.extra["placebo_estimates"], slow.extra["placebo_estimates"], atol=1e-8
    )
    np.testing.assert_allclose(fast.extra["placebo_se"], slow.extra["placebo_se"], rtol=1e-6)
    np.testing.assert_array_equal(
        fast.extra["power_curve"]["power"], slow.extra["power_curve"]["power"]
    )


def test_simulated_mde_close_to_analytic_with_many_clusters():
    df = simulate_staggered(n_units=600, periods=(2000, 2012), n_states=60, noise_sd=1.0, seed=7)
    res = minimum_detectable_effect(df, "y", "unit", "time", "cohort", n_sim=300, seed=1)
    sim, ana = res.term("MDE")["estimate"], res.term("MDE(analytic)")["estimate"]
    # iid errors, 600 clusters: t-stats are close to normal, so the simulated MDE is (z_.975 + z_.8) SE up to
    # Monte-Carlo error of the power curve (SD ~0.023 at 300 sims, slope ~0.35 per SE near 80%): within 15%
    assert sim == pytest.approx(ana, rel=0.15)
    curve = res.extra["power_curve"]
    assert curve["power"].is_monotonic_increasing
    # size at effect 0: a valid 5% test, within 3 Monte-Carlo SD
    assert res.extra["size"] <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / 300)


def test_interpolation():
    e = np.array([0.0, 1.0, 2.0, 3.0])
    p = np.array([0.05, 0.4, 0.7, 0.9])
    assert _interpolate_mde(e, p, 0.8) == pytest.approx(2.5, abs=1e-12)
    assert _interpolate_mde(e, p, 0.05) == 0.0
    assert np.isnan(_interpolate_mde(e, p, 0.95))


def test_grid_too_small_is_reported():
    df = simulate_staggered(n_units=100, periods=(2000, 2008), seed=1)
    res = minimum_detectable_effect(
        df, "y", "unit", "time", "cohort", effects=[0.0, 0.001], n_sim=20, seed=0
    )
    assert np.isnan(res.term("MDE")["estimate"])
    assert "never reaches" in res.notes


def test_errors():
    df = simulate_staggered(n_units=50, periods=(2000, 2006), seed=1)
    with pytest.raises(EstimatorInputError, match="no treated units"):
        minimum_detectable_effect(df.assign(cohort=0), "y", "unit", "time", "cohort", n_sim=5)
    with pytest.raises(EstimatorInputError, match="twfe"):
        minimum_detectable_effect(df, "y", "unit", "time", "cohort", estimator="cs", n_sim=5)
    with pytest.raises(EstimatorInputError, match="power"):
        minimum_detectable_effect(df, "y", "unit", "time", "cohort", power=1.5)


# --------------------------------------------------------------------------------------
# analytic and placebo-calibrated MDE (moved from enforcement_crime.studies)
# --------------------------------------------------------------------------------------


def test_analytic_mde_constant():
    import math

    from enforcement_crime.estimators import analytic_mde

    # z_0.975 + z_0.8 = 1.959964 + 0.841621 = 2.801585 (normal tables)
    assert analytic_mde(1.0) == pytest.approx(2.801585, abs=1e-6)
    assert analytic_mde(2.0, alpha=0.1, power=0.5) == pytest.approx(2 * 1.644854, abs=1e-6)
    assert math.isnan(analytic_mde(float("nan")))
    assert math.isnan(analytic_mde(-1.0))


def test_placebo_calibrated_mde_uniform_placebos():
    from enforcement_crime.estimators import placebo_calibrated_mde

    b = np.linspace(-1, 1, 101)
    q = np.quantile(np.abs(b), 0.95)  # 0.95 for this grid
    mde, curve = placebo_calibrated_mde(b, alpha=0.05, power=0.8)
    # power(tau) ~ P(b > q - tau) = (1 - (q - tau)) / 2 >= 0.8  <=>  tau >= q + 0.6; the placebo
    # distribution is discrete in steps of 0.02, so the answer is within one step
    assert mde == pytest.approx(q + 0.6, abs=0.021)
    # size at most alpha by construction
    assert curve.loc[curve["effect"] == 0, "power"].iloc[0] <= 0.05 + 1e-12
    with pytest.raises(ValueError, match="two finite"):
        placebo_calibrated_mde([np.nan])


def test_placebo_calibrated_mde_on_simulated_placebos():
    from enforcement_crime.estimators import placebo_calibrated_mde

    sim = simulate_staggered(40, n_states=8, seed=5)  # synthetic panel, no true effect
    res = minimum_detectable_effect(
        sim, "y", "unit", "time", "cohort", cluster="state", n_sim=60, seed=1
    )
    b = res.extra["placebo_estimates"]
    mde, curve = placebo_calibrated_mde(b, effects=np.linspace(0, 2, 201))
    q = np.quantile(np.abs(b), 0.95)
    # power at the MDE reaches the target for both signs, and just below it does not for one sign
    for sign in (1, -1):
        at = curve.loc[np.isclose(curve["effect"], sign * mde), "power"].iloc[0]
        assert at >= 0.8
    assert mde > q  # an effect smaller than the placebo critical value cannot have power 0.8


def test_percent_of_mean_reads_the_scale_of_the_effect():
    # log points are a proportional change: log(1.25) is +25% whatever the mean
    assert percent_of_mean(np.log(1.25), 2254.0, "log") == pytest.approx(25.0)
    assert percent_of_mean(np.log(0.8), 3.0, "log") == pytest.approx(-20.0)
    # levels are divided by the mean: 10 per 100,000 on a mean of 200 is 5%
    assert percent_of_mean(10.0, 200.0, "level") == pytest.approx(5.0)
    s = pd.Series([0.0, np.log(1.1)])
    out = percent_of_mean(s, 100.0, "log")
    assert isinstance(out, pd.Series) and out.tolist() == pytest.approx([0.0, 10.0])
    with pytest.raises(ValueError, match="scale"):
        percent_of_mean(1.0, 1.0, "logs")


@pytest.mark.parametrize("few_treated", [False, True])
def test_twfe_placebos_match_dense_least_squares_unbalanced_weighted(few_treated):
    """The per-unit algebra of the placebo fits equals weighted least squares with dummies and CR1 by cluster.

    Both branches: most units treated (dense products) and few (sums over the treated pairs).
    """
    from enforcement_crime.estimators._core import sorted_codes
    from enforcement_crime.estimators._inputs import prepare_panel
    from enforcement_crime.estimators.power import _twfe_placebos

    df = simulate_staggered(n_units=40, periods=(2000, 2007), n_states=6, seed=11)
    rng = np.random.default_rng(5)
    df = df.assign(pop=rng.uniform(0.5, 3.0, len(df)))[rng.random(len(df)) > 0.15]
    df = df[df.groupby("unit")["time"].transform("size") > 1]  # no unit with a single period
    if few_treated:
        keep = df.loc[df["cohort"] > 0, "unit"].unique()[:3]
        df = df.assign(cohort=df["cohort"].where(df["unit"].isin(keep), 0))
    prep = prepare_panel(df, "y", "unit", "time", "cohort", weights="pop", cluster="state")
    d = prep.data
    _, ucode = sorted_codes(d["unit"])
    _, tcode = sorted_codes(d["time"])
    clus, gcode = sorted_codes(d["cluster"])
    G = len(clus)
    units, first = np.unique(d["unit"].to_numpy(), return_index=True)
    unit_cohort = d["cohort"].to_numpy()[first]
    assert ((unit_cohort > 0).mean() < 0.1) == few_treated
    perms = np.stack([rng.permutation(unit_cohort) for _ in range(7)])
    b, se = _twfe_placebos(prep, perms, ucode, tcode, gcode, G)
    w, y, t = d["w"].to_numpy(float), d["y"].to_numpy(float), d["time"].to_numpy()
    FE = np.column_stack([np.eye(ucode.max() + 1)[ucode], np.eye(tcode.max() + 1)[tcode][:, 1:]])
    n, K = len(d), tcode.max() + 2
    for p in range(len(perms)):
        g = perms[p][ucode]
        Z = np.column_stack([((g > 0) & (t >= g)).astype(float), FE])
        sw = np.sqrt(w)
        coef, *_ = np.linalg.lstsq(Z * sw[:, None], y * sw, rcond=None)
        e = y - Z @ coef
        # the coefficient's row of (Z'WZ)^-1 Z'W, via the residualised regressor
        x = Z[:, 0] - FE @ np.linalg.lstsq(FE * sw[:, None], Z[:, 0] * sw, rcond=None)[0]
        xx = x @ (w * x)
        s = np.bincount(gcode, weights=w * x * e, minlength=G)
        ssc = G / (G - 1) * (n - 1) / (n - K)
        np.testing.assert_allclose(b[p], coef[0], rtol=1e-9)
        np.testing.assert_allclose(se[p], np.sqrt(ssc * s @ s) / xx, rtol=1e-9)
