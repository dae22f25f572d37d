"""Tests of dcdh (DID_M): a hand-computed example, recovery, diff-diff agreement, bootstrap, edge cases."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from enforcement_crime.estimators import EstimatorInputError
from enforcement_crime.estimators.dcdh import dcdh


def simulate_switching(n=400, T=12, seed=0, delta=2.0, delta_sd=0.5, noise=1.0, n_states=20):
    """Treatment switches on at a random period and, for half the units, off 2-5 periods later.

    y = a_i + b_t + delta_i * D_it + noise: effects heterogeneous across units, no dynamics, so
    DID_M's estimand is the mean of delta_i over switching cells.
    """
    rng = np.random.default_rng(seed)
    on = rng.integers(2, T + 3, n)
    off = np.where(rng.random(n) < 0.5, on + rng.integers(2, 6, n), 10**6)
    t = np.arange(T)
    D = ((t[None, :] >= on[:, None]) & (t[None, :] < off[:, None])).astype(int)
    a, b = rng.normal(0, 1, n), rng.normal(0, 1, T)
    di = delta + rng.normal(0, delta_sd, n)
    Y = a[:, None] + b[None, :] + di[:, None] * D + noise * rng.normal(size=(n, T))
    return pd.DataFrame(
        {
            "unit": np.repeat(np.arange(n), T),
            "time": np.tile(t + 2000, n),
            "d": D.ravel(),
            "y": Y.ravel(),
            "state": np.repeat(rng.integers(0, n_states, n), T),
            "pop": np.repeat(rng.lognormal(8, 1, n), T),
            "delta": np.repeat(di, T),
        }
    )


def _switch_cells(df):
    df = df.sort_values(["unit", "time"])
    prev = df.groupby("unit")["d"].shift()
    return df[prev.notna() & (prev != df["d"])]


@pytest.fixture
def hand() -> pd.DataFrame:
    # unit: treatment path, outcome path (periods 1, 2, 3)
    paths = {
        "A": ([0, 1, 1], [1, 4, 5]),
        "B": ([0, 0, 0], [2, 3, 5]),
        "C": ([1, 1, 0], [3, 5, 4]),
        "D": ([1, 1, 1], [0, 2, 5]),
        "E": ([0, 0, 1], [1, 1, 4]),
    }
    rows = [(u, t + 1, dd[t], yy[t]) for u, (dd, yy) in paths.items() for t in range(3)]
    df = pd.DataFrame(rows, columns=["unit", "time", "d", "y"])
    df["w"] = np.where(df["unit"] == "B", 3.0, 1.0)
    return df


def test_hand_computed_example(hand):
    res = dcdh(hand, "y", "unit", "time", "d", n_boot=0)
    f = res.to_frame().set_index("term")["estimate"]
    # t=2: joiner A dY=3; stable untreated B 1, E 0 -> DID+ = 3 - 0.5 = 2.5
    # t=3: joiner E dY=3; stable untreated B 2 -> DID+ = 1
    #      leaver C dY=-1; stable treated A 1, D 3 -> DID- = 2 - (-1) = 3
    assert f["ATT"] == pytest.approx((2.5 + 1 + 3) / 3, abs=1e-14)
    assert f["ATT(joiners)"] == pytest.approx((2.5 + 1) / 2, abs=1e-14)
    assert f["ATT(leavers)"] == pytest.approx(3.0, abs=1e-14)
    # placebo at t=3 on Y2 - Y1 among units stable over 1-2: joiner E 0 vs stable B 1 -> -1;
    # leaver C 2 vs stable treated D 2 -> 0; DID_M^pl = (-1 + 0) / 2
    assert f["placebo(joiners)"] == pytest.approx(-1.0, abs=1e-14)
    assert f["placebo(leavers)"] == pytest.approx(0.0, abs=1e-14)
    assert f["placebo"] == pytest.approx(-0.5, abs=1e-14)
    assert np.isnan(res.to_frame()["std_error"]).all()
    per = res.extra["periods"].set_index("time")
    assert per.loc[2, "did_plus"] == pytest.approx(2.5) and np.isnan(per.loc[2, "did_minus"])


def test_hand_computed_example_weighted(hand):
    res = dcdh(hand, "y", "unit", "time", "d", weights="w", n_boot=0)
    # B has weight 3: t=2 stable untreated mean (3*1 + 0)/4 = 0.75 -> DID+ = 2.25; rest unchanged
    assert res.estimate == pytest.approx((2.25 + 1 + 3) / 3, abs=1e-14)


def test_exact_recovery_noise_free():
    df = simulate_switching(noise=0.0, seed=4)
    cells = _switch_cells(df)
    for weights in (None, "pop"):
        res = dcdh(df, "y", "unit", "time", "d", weights=weights, n_boot=0)
        w = cells["pop"] if weights else np.ones(len(cells))
        target = float((w * cells["delta"]).sum() / w.sum())
        # y = a_i + b_t + delta_i D_it exactly: DID_M equals the mean effect of switching cells
        assert res.estimate == pytest.approx(target, abs=1e-10)
        j = cells["d"] == 1
        assert res.term("ATT(joiners)")["estimate"] == pytest.approx(
            float((w[j] * cells.loc[j, "delta"]).sum() / w[j].sum()), abs=1e-10
        )
        assert res.term("placebo")["estimate"] == pytest.approx(0.0, abs=1e-10)


def test_recovery_with_noise_within_bootstrap_se():
    df = simulate_switching(seed=5)
    res = dcdh(df, "y", "unit", "time", "d", seed=2)
    target = _switch_cells(df)["delta"].mean()
    row = res.term("ATT")
    # 4 SE: a 1e-4 event for valid inference, fixed seeds
    assert abs(row["estimate"] - target) < 4 * row["std_error"]
    assert abs(res.term("placebo")["estimate"]) < 4 * res.term("placebo")["std_error"]


def test_agrees_with_diff_diff_point_estimates():
    dd = pytest.importorskip("diff_diff")
    df = simulate_switching(seed=6)
    mine = dcdh(df, "y", "unit", "time", "d", n_boot=0).to_frame().set_index("term")["estimate"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = dd.ChaisemartinDHaultfoeuille(drop_larger_lower=False, twfe_diagnostic=False).fit(
            df, "y", "unit", "time", "d"
        )
    # same closed-form means: rounding only
    assert mine["ATT"] == pytest.approx(ref.overall_att, abs=1e-10)
    assert mine["ATT(joiners)"] == pytest.approx(ref.joiners_att, abs=1e-10)
    assert mine["ATT(leavers)"] == pytest.approx(ref.leavers_att, abs=1e-10)
    # diff-diff reports the placebo as Y_{t-2} - Y_{t-1} (the dynamic paper's backward
    # difference); the AER paper (and we) use Y_{t-1} - Y_{t-2}: same magnitude, opposite sign
    assert mine["placebo"] == pytest.approx(-ref.placebo_effect, abs=1e-10)


def test_bootstrap_seeded_and_clustered():
    df = simulate_switching(seed=7, n=200)
    a = dcdh(df, "y", "unit", "time", "d", seed=3, n_boot=199)
    b = dcdh(df, "y", "unit", "time", "d", seed=3, n_boot=199)
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
    c = dcdh(df, "y", "unit", "time", "d", seed=4, n_boot=199)
    assert a.std_error != c.std_error
    s = dcdh(df, "y", "unit", "time", "d", seed=3, n_boot=199, cluster="state")
    assert s.n_clusters == df["state"].nunique() and "resampling state" in s.notes
    assert s.estimate == a.estimate
    draws = a.extra["boot"]["ATT"]
    # SE is the SD of the draws, by definition
    assert a.std_error == pytest.approx(float(draws.std(ddof=1)), rel=1e-12)


# ---- edge cases ------------------------------------------------------------------------------


def test_non_binary_treatment_is_an_error(hand):
    df = hand.assign(d=hand["d"] * 2)
    with pytest.raises(EstimatorInputError, match="0/1"):
        dcdh(df, "y", "unit", "time", "d")


def test_no_switchers_is_an_error(hand):
    df = hand.assign(d=0)
    with pytest.raises(EstimatorInputError, match="no switching cell"):
        dcdh(df, "y", "unit", "time", "d")


def test_single_switching_unit():
    df = simulate_switching(noise=0.0, seed=8, n=50)
    first = df.groupby("unit")["d"].transform("max") == 1
    keep = df[~first | (df["unit"] == df.loc[first, "unit"].min())]
    with pytest.warns(UserWarning, match="only 1 treated unit"):
        res = dcdh(keep, "y", "unit", "time", "d", seed=1, n_boot=99)
    assert res.estimate == pytest.approx(_switch_cells(keep)["delta"].mean(), abs=1e-10)
    assert "bootstrap draws without a defined term" in res.notes  # draws missing the switcher
    assert "only 1 treated unit(s)" in res.notes  # the shared few-treated warning


def test_unbalanced_and_missing_outcomes():
    df = simulate_switching(noise=0.0, seed=9, n=100)
    df = df.drop(index=df.index[(df["unit"] == 3) & (df["time"] == 2005)]).copy()
    df.loc[(df["unit"] == 4) & (df["time"] == 2006), "y"] = np.nan
    res = dcdh(df, "y", "unit", "time", "d", n_boot=0)
    assert "1 rows (missing or non-finite y)" in res.notes
    # switches into or out of a missing period are not observed: target = observed switching cells
    obs = df[df["y"].notna()].sort_values(["unit", "time"])
    prev_t = obs.groupby("unit")["time"].shift()
    prev_d = obs.groupby("unit")["d"].shift()
    cells = obs[(prev_t == obs["time"] - 1) & (prev_d != obs["d"])]
    assert res.estimate == pytest.approx(cells["delta"].mean(), abs=1e-10)


def test_zero_population_is_an_error():
    df = simulate_switching(seed=10, n=50)
    df.loc[df.index[0], "pop"] = 0
    with pytest.raises(EstimatorInputError, match="positive"):
        dcdh(df, "y", "unit", "time", "d", weights="pop")


def test_gaps_in_time_are_an_error(hand):
    df = hand.assign(time=hand["time"].map({1: 1, 2: 2, 3: 5}))
    with pytest.raises(EstimatorInputError, match="consecutive"):
        dcdh(df, "y", "unit", "time", "d")


@pytest.mark.slow
def test_bootstrap_se_matches_sampling_sd():
    est, se = [], []
    for s in range(200):
        r = dcdh(
            simulate_switching(seed=100 + s),
            "y",
            "unit",
            "time",
            "d",
            n_boot=200,
            seed=s,
            placebo=False,
        )
        est.append(r.estimate)
        se.append(r.std_error)
    # MC error of an SD from 200 draws ~5%, of the mean bootstrap SE ~1%: 15%
    assert np.mean(se) == pytest.approx(np.std(est, ddof=1), rel=0.15)


# ---- dynamic effects DID_l -------------------------------------------------------------------


def test_dynamic_effects_agree_with_diff_diff():
    dd = pytest.importorskip("diff_diff")
    df = simulate_switching(seed=6)
    res = dcdh(df, "y", "unit", "time", "d", effects=4, placebos=3, n_boot=0)
    f = res.to_frame().set_index("term")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = dd.ChaisemartinDHaultfoeuille(drop_larger_lower=False, twfe_diagnostic=False).fit(
            df, "y", "unit", "time", "d", L_max=4
        )
    # same per-switcher differences and weights: rounding only
    for ell, v in ref.event_study_effects.items():
        assert f.loc[f"e{ell - 1}", "estimate"] == pytest.approx(v["effect"], abs=1e-10)
    for ell in (1, 2, 3):
        assert f.loc[f"e{-ell - 1}", "estimate"] == pytest.approx(
            ref.placebo_event_study[-ell]["effect"], abs=1e-10
        )
    assert f.loc["e-1", "estimate"] == 0.0 and np.isnan(f.loc["e-1", "std_error"])
    assert res.extra["reference_period"] == -1
    assert list(res.to_frame()["term"])[6:] == ["e-4", "e-3", "e-2", "e-1", "e0", "e1", "e2", "e3"]


def _did_l_by_hand(df, ell, weights=None):
    """Direct per-switcher loop of dCDH (2024) DID_l on a long frame (independent of the vectorised code)."""
    wide_y = df.pivot(index="unit", columns="time", values="y")
    wide_d = df.pivot(index="unit", columns="time", values="d")
    wide_w = df.pivot(index="unit", columns="time", values=weights) if weights else wide_y * 0 + 1
    times = list(wide_y.columns)
    base = wide_d.iloc[:, 0]
    F = {}
    for u, row in wide_d.iterrows():
        sw = [k for k, t in enumerate(times) if row[t] != base[u]]
        F[u] = sw[0] if sw else 10**9
    num = den = 0.0
    for u, f in F.items():
        t_out = f - 1 + ell
        if f > len(times) or t_out >= len(times):
            continue
        ctrl = [v for v in F if base[v] == base[u] and F[v] > t_out]
        if not ctrl:
            continue
        ch = wide_y[times[t_out]] - wide_y[times[f - 1]]
        wc = wide_w.loc[ctrl, times[t_out]]
        did = ch[u] - float((wc * ch[ctrl]).sum() / wc.sum())
        sign = 1.0 if base[u] == 0 else -1.0
        num += wide_w.loc[u, times[t_out]] * sign * did
        den += wide_w.loc[u, times[t_out]]
    return num / den


@pytest.mark.parametrize("weights", [None, "pop_t"])
def test_dynamic_effects_match_a_direct_loop_with_leavers_from_baseline_one(weights):
    df = simulate_switching(seed=13, n=120, T=8)
    # some units start treated and leave (baseline 1), population varies over time
    starters = df["unit"] % 7 == 0
    df.loc[starters, "d"] = (
        df.loc[starters, "time"] < 2000 + 2 + df.loc[starters, "unit"] % 4
    ).astype(int)
    df["pop_t"] = df["pop"] * (1 + 0.05 * (df["time"] - 2000))
    res = dcdh(df, "y", "unit", "time", "d", weights=weights, effects=3, n_boot=0)
    for ell in (1, 2, 3):
        # two implementations of the same sums: rounding only
        assert res.term(f"e{ell - 1}")["estimate"] == pytest.approx(
            _did_l_by_hand(df, ell, weights), abs=1e-10
        )


def test_dynamic_effects_recover_the_effect_of_switching_noise_free():
    # treatment switches on and stays on: DID_l = mean effect delta_i of eligible switchers
    rng = np.random.default_rng(2)
    n, T = 200, 10
    on = rng.integers(2, T + 4, n)
    t = np.arange(T)
    D = (t[None, :] >= on[:, None]).astype(int)
    di = 1.0 + rng.normal(0, 0.3, n)
    Y = rng.normal(size=n)[:, None] + rng.normal(size=T)[None, :] + di[:, None] * D
    df = pd.DataFrame(
        {"unit": np.repeat(np.arange(n), T), "time": np.tile(t, n), "d": D.ravel(), "y": Y.ravel()}
    )
    res = dcdh(df, "y", "unit", "time", "d", effects=3, placebos=2, n_boot=50, seed=0)
    for ell in (1, 2, 3):
        elig = [u for u in range(n) if on[u] - 1 + ell < T and (on > on[u] - 1 + ell).any()]
        assert res.term(f"e{ell - 1}")["estimate"] == pytest.approx(di[elig].mean(), abs=1e-10)
    for k in (-2, -3):
        assert res.term(f"e{k}")["estimate"] == pytest.approx(0.0, abs=1e-10)
    vc = res.vcov
    assert list(vc.index) == ["e-3", "e-2", "e0", "e1", "e2"]
    np.testing.assert_allclose(
        np.sqrt(np.diag(vc)), [res.term(t)["std_error"] for t in vc.index], rtol=1e-10
    )


def test_dynamic_horizon_without_controls_is_an_error():
    df = simulate_switching(seed=14, n=60, T=6)
    with pytest.raises(EstimatorInputError, match="horizon"):
        dcdh(df, "y", "unit", "time", "d", effects=6, n_boot=0)
