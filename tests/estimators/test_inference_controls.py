"""Wild cluster bootstrap with controls: same draws as wildboottest, pyfixest fit, known truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest
from wildboottest.wildboottest import WildboottestCL

from enforcement_crime.estimators import EstimatorInputError
from enforcement_crime.estimators.inference import wild_cluster_bootstrap
from enforcement_crime.simulate import Effect, simulate_staggered


def _panel_with_controls(seed=1, att=0.3, gamma=(0.7, -0.3), n_units=80, n_states=8):
    """Synthetic panel: ``z1`` is correlated with treatment, both controls enter ``y``."""
    df = simulate_staggered(
        n_units=n_units,
        periods=(2000, 2008),
        n_states=n_states,
        effect=Effect(att=att),
        state_shock_sd=0.3,
        seed=seed,
    )
    rng = np.random.default_rng(seed + 100)
    df["pop"] = rng.uniform(1, 5, len(df))
    df["z1"] = rng.normal(size=len(df)) + 0.8 * df["treated"]
    df["z2"] = rng.normal(size=len(df))
    df["y"] = df["y"] + gamma[0] * df["z1"] + gamma[1] * df["z2"]
    return df.sample(frac=0.93, random_state=seed).reset_index(drop=True)


def _wildboottest(df, weights, weight_type, impose_null, controls):
    """wildboottest on the regression with explicit unit and period dummies and the controls."""
    d = df.sort_values(["unit", "time"])
    X = pd.get_dummies(d[["unit", "time"]].astype(str), drop_first=False).astype(float)
    X = X.drop(columns=[c for c in X.columns if c.startswith("time_")][0])
    for j, c in enumerate(controls):
        X.insert(j, c, d[c].astype(float))
    X.insert(0, "treated", d["treated"].astype(float))
    sw = np.sqrt(d[weights].to_numpy()) if weights else np.ones(len(d))
    R = np.zeros(X.shape[1])
    R[0] = 1
    wb = WildboottestCL(
        X=X.to_numpy() * sw[:, None],
        Y=d["y"].to_numpy() * sw,
        cluster=d["state"].to_numpy(),
        R=R,
        B=999,
        seed=7,
    )
    wb.get_scores("11", impose_null=impose_null)
    wb.get_weights(weight_type)
    for step in ("get_numer", "get_denom", "get_tboot", "get_vcov", "get_tstat", "get_pvalue"):
        getattr(wb, step)()
    return wb


@pytest.mark.parametrize("weights", [None, "pop"])
def test_wcb_controls_estimate_se_and_coefficients_match_pyfixest(weights):
    df = _panel_with_controls()
    res = wild_cluster_bootstrap(
        df, "y", "unit", "time", "cohort", cluster="state", weights=weights,
        controls=["z1", "z2"], n_boot=99, seed=0,
    )  # fmt: skip
    fit = pf.feols(
        "y ~ treated + z1 + z2 | unit + time", data=df, vcov={"CRV1": "state"}, weights=weights
    )
    # same least squares: 1e-10; SE: pyfixest demeans iteratively (fixef_tol 1e-8), 1e-6 relative;
    # same CR1 convention (K counts the controls) so no factor separates them
    assert res.estimate == pytest.approx(float(fit.coef()["treated"]), abs=1e-10)
    assert res.std_error == pytest.approx(float(fit.se()["treated"]), rel=1e-6)
    for c in ("z1", "z2"):
        assert res.extra["coef_controls"][c] == pytest.approx(float(fit.coef()[c]), abs=1e-9)
    assert "controls ['z1', 'z2'] partialled out" in res.notes


@pytest.mark.parametrize("weights", [None, "pop"])
@pytest.mark.parametrize("weight_type", ["rademacher", "webb"])
@pytest.mark.parametrize("impose_null", [True, False])
def test_wcb_controls_same_draws_as_wildboottest(weights, weight_type, impose_null):
    """8 clusters: Rademacher fully enumerated (256 draws) in both, Webb drawn from the same seed."""
    df = _panel_with_controls()
    controls = ["z1", "z2"]
    wb = _wildboottest(df, weights, weight_type, impose_null, controls)
    res = wild_cluster_bootstrap(
        df, "y", "unit", "time", "cohort", cluster="state", weights=weights, controls=controls,
        bootstrap_weights=weight_type, n_boot=999, seed=7, impose_null=impose_null,
    )  # fmt: skip
    assert res.extra["n_boot"] == wb.B
    # t*/t cancels the scalar small-sample factor (wildboottest counts the dummies in K);
    # same algebra on the same draws: 1e-8 (observed ~1e-14)
    np.testing.assert_allclose(
        res.extra["t_boot"] / res.extra["t_stat"], wb.t_boot / wb.t_stat, rtol=0, atol=1e-8
    )
    # p-values identical up to the tie rule (ties of full enumeration: at most 2 draws of 256)
    t_obs = abs(np.ravel(wb.t_stat)[0])
    p_rule = np.mean(np.abs(wb.t_boot) >= t_obs * (1 - 1e-9))
    assert res.p_value == pytest.approx(p_rule, abs=1e-12)
    tie = 2 / wb.B if weight_type == "rademacher" else 0.0
    assert abs(res.p_value - wb.pvalue) <= tie + 1e-12


def test_wcb_no_controls_unchanged_by_empty_controls():
    df = _panel_with_controls(seed=3)
    a = wild_cluster_bootstrap(
        df, "y", "unit", "time", "cohort", cluster="state", n_boot=199, seed=1
    )
    b = wild_cluster_bootstrap(
        df, "y", "unit", "time", "cohort", cluster="state", controls=[], n_boot=199, seed=1
    )
    assert a.estimate == b.estimate and a.p_value == b.p_value
    assert a.table["conf_low"].iloc[0] == b.table["conf_low"].iloc[0]


def test_wcb_controls_known_truth_size_and_bias():
    """Null effect, a confounding control (z1 rises with treatment and moves y by 0.7 per unit).

    Without the control the TWFE coefficient is biased by about 0.7 * 0.8 = 0.56 and the test
    rejects nearly always; with it the estimate is centred on 0 and the WCR test rejects near 5%.
    """
    est, rej, est_nc, rej_nc = [], [], [], []
    for rep in range(80):
        df = _panel_with_controls(seed=rep, att=0.0, n_units=60, n_states=12)
        kw = dict(cluster="state", bootstrap_weights="webb", n_boot=199, seed=rep)
        r = wild_cluster_bootstrap(df, "y", "unit", "time", "cohort", controls=["z1", "z2"], **kw)
        n = wild_cluster_bootstrap(df, "y", "unit", "time", "cohort", **kw)
        est.append(r.estimate)
        rej.append(r.p_value <= 0.05)
        est_nc.append(n.estimate)
        rej_nc.append(n.p_value <= 0.05)
    est, est_nc = np.array(est), np.array(est_nc)
    # bias: mean over 80 draws has SE ~ sd/9; the omitted-variable bias is 0.56
    assert abs(est.mean()) < 4 * est.std() / np.sqrt(len(est))
    assert est_nc.mean() == pytest.approx(0.56, abs=0.15)
    # size: binomial SD at 5% over 80 draws is 0.024; 0.125 is 5% + 3 SD
    assert np.mean(rej) <= 0.125
    assert np.mean(rej_nc) >= 0.5


def test_wcb_controls_recovers_effect_and_interval_covers_it():
    df = _panel_with_controls(seed=4, att=1.0, n_units=120, n_states=20)
    res = wild_cluster_bootstrap(
        df, "y", "unit", "time", "cohort", cluster="state", controls=["z1", "z2"],
        n_boot=999, seed=0,
    )  # fmt: skip
    row = res.term("treated")
    assert row["conf_low"] < 1.0 < row["conf_high"]
    assert row["conf_low"] > 0  # the effect is 1, noise SD 0.5 on 120 units: clearly detected
    assert res.p_value < 0.01


def test_wcb_controls_bad_inputs():
    df = _panel_with_controls()
    with pytest.raises(EstimatorInputError, match="columns not in the data"):
        wild_cluster_bootstrap(df, "y", "unit", "time", "cohort", cluster="state", controls=["zz"])
    unit_const = df.assign(zc=df["unit"] * 2.0)  # absorbed by the unit effects
    with pytest.raises(EstimatorInputError, match=r"\['zc'\] have no variation"):
        wild_cluster_bootstrap(
            unit_const, "y", "unit", "time", "cohort", cluster="state", controls=["z1", "zc"]
        )
    dup = df.assign(z3=2 * df["z1"] - df["z2"])
    with pytest.raises(EstimatorInputError, match="collinear"):
        wild_cluster_bootstrap(
            dup, "y", "unit", "time", "cohort", cluster="state", controls=["z1", "z2", "z3"]
        )
    with pytest.raises(EstimatorInputError, match="numeric"):
        wild_cluster_bootstrap(
            df.assign(zs="a"), "y", "unit", "time", "cohort", cluster="state", controls=["zs"]
        )
    miss = df.copy()
    miss.loc[miss.index[:4], "z2"] = np.nan
    res = wild_cluster_bootstrap(
        miss, "y", "unit", "time", "cohort", cluster="state", controls=["z1", "z2"],
        n_boot=99, seed=0,
    )  # fmt: skip
    assert "4 rows (missing z2)" in res.notes and res.n_obs == len(df) - 4
