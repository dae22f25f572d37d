"""The shared core: the two forms of the within-transformation agree; CR1 pieces (synthetic data)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from enforcement_crime.estimators._core import (
    Block,
    TwoWayProjector,
    absorbed_params,
    cluster_sums,
    cr1_scale,
    demean,
    factorize,
    sorted_codes,
)


@pytest.fixture(scope="module")
def unbalanced():
    """Synthetic unbalanced weighted panel: 30 units x 12 periods, 20% of cells missing."""
    rng = np.random.default_rng(0)
    u, t = np.meshgrid(np.arange(30), np.arange(12), indexing="ij")
    df = pd.DataFrame({"unit": u.ravel(), "time": t.ravel()})
    df = df[rng.uniform(size=len(df)) > 0.2].reset_index(drop=True)
    df["w"] = rng.uniform(0.5, 3.0, 30)[df["unit"]]
    df["y"] = rng.normal(size=len(df)) + 0.3 * df["unit"] - 0.1 * df["time"]
    df["x"] = rng.normal(size=len(df)) + 0.05 * df["time"] ** 2
    return df


def test_iterative_and_closed_form_within_agree(unbalanced):
    df = unbalanced
    w = df["w"].to_numpy()
    M = df[["y", "x"]].to_numpy()
    uc, nu = factorize(df["unit"])
    tc, nt = factorize(df["time"])
    it = demean(M, [Block("unit", uc, nu), Block("time", tc, nt)], w)
    proj = TwoWayProjector.from_panel(df)
    sw = np.sqrt(w)
    exact = proj.resid(M * sw[:, None]) / sw[:, None]
    np.testing.assert_allclose(it, exact, atol=1e-10)


def test_within_equals_dummy_regression_residuals(unbalanced):
    """Independent check: WLS on explicit unit and time dummies (statsmodels) leaves the same residual."""
    df = unbalanced
    dummies = pd.get_dummies(df[["unit", "time"]].astype(str), drop_first=True, dtype=float)
    Z = sm.add_constant(dummies)
    resid = sm.WLS(df["y"], Z, weights=df["w"]).fit().resid.to_numpy()
    uc, nu = factorize(df["unit"])
    tc, nt = factorize(df["time"])
    it = demean(
        df[["y"]].to_numpy(), [Block("unit", uc, nu), Block("time", tc, nt)], df["w"].to_numpy()
    )
    np.testing.assert_allclose(it[:, 0], resid, atol=1e-9)


def test_cluster_sums_and_cr1_scale():
    rng = np.random.default_rng(1)
    scores = rng.normal(size=(50, 3))
    levels, codes = sorted_codes(rng.integers(0, 7, 50))
    S = cluster_sums(scores, codes, len(levels))
    want = pd.DataFrame(scores).groupby(codes).sum().to_numpy()
    np.testing.assert_allclose(S, want, atol=1e-12)
    np.testing.assert_allclose(cluster_sums(scores[:, 0], codes, len(levels)), want[:, 0])
    assert cr1_scale(5) == pytest.approx(5 / 4)
    assert cr1_scale(5, 100, 10) == pytest.approx(5 / 4 * 99 / 90)
    assert cr1_scale(1) == 1.0


def test_absorbed_params_nested_rule():
    units = np.repeat(np.arange(6), 4)
    times = np.tile(np.arange(4), 6)
    states = units // 2  # units nested in states
    ub = Block("unit", *factorize(units))
    tb = Block("time", *factorize(times))
    sc, _ = factorize(states)
    # unit FE nested in state clusters: only the 4 time levels count
    assert absorbed_params([ub, tb], [sc]) == 4
    # clustered by time: the time FE is nested, the 6 unit levels count
    assert absorbed_params([ub, tb], [factorize(times)[0]]) == 6
    # no clustering variable nests anything: 6 + 4 - 1
    assert absorbed_params([ub, tb], []) == 9


def test_ssc_options_change_only_their_factor():
    """Ssc is the one input of the CR1 correction: each option moves the variance by its factor."""
    from enforcement_crime.estimators._core import (
        SSC,
        FixedEffects,
        Ssc,
        fit_within,
        prepare_fe_panel,
    )
    from enforcement_crime.simulate import simulate_staggered

    df = simulate_staggered(60, periods=(2000, 2009), n_states=6, seed=2)
    df["treated"] = ((df["cohort"] > 0) & (df["time"] >= df["cohort"])).astype(float)
    p = prepare_fe_panel(df, "y", "unit", "time", "cohort", None, "state", [], ["treated"])
    blocks = FixedEffects().blocks(p)
    X = p.data[["treated"]].to_numpy(dtype="float64")
    y, w = p.data["y"].to_numpy(), p.data["w"].to_numpy(dtype="float64")

    def fit(ssc):
        return fit_within(y, X, ["treated"], blocks, w, p, None, ssc)

    N, G, T, n_units = len(y), 6, 10, 60
    base = fit(SSC)
    raw = fit(Ssc(adj=False, cluster_adj=False)).vcov
    # units nested in states: K = 1 slope + T period effects (the unit effects are not counted)
    assert base.ssc.K == 1 + T
    np.testing.assert_allclose(base.vcov, raw * (N - 1) / (N - 1 - T) * G / (G - 1), rtol=1e-12)
    full = fit(Ssc(fixef_k="full"))  # every absorbed parameter: units + periods - 1
    assert full.ssc.K == 1 + n_units + T - 1
    np.testing.assert_allclose(
        full.vcov, raw * (N - 1) / (N - full.ssc.K) * G / (G - 1), rtol=1e-12
    )
    assert base.ssc.record()["c_N"] == base.ssc.c_N
    with pytest.raises(ValueError, match="fixef_k"):
        Ssc(fixef_k="nonnested")


@pytest.mark.parametrize(
    "values",
    [
        np.array([3, 1, 2, 3, 1]),
        pd.Series(["b", "a", "c", "a"], dtype="string"),
        pd.Series(["b", "a", "c", "a"], dtype=object),
        pd.Series([2001, 1999, 2001]),
        pd.Series([1.5, 0.5, 1.5]),
        np.array(["x", "a", "x"]),
        pd.Series([1, 2, 1], dtype="Int64"),
        pd.Series(np.random.default_rng(0).integers(0, 300, 2000).astype(str)).astype("string"),
    ],
)
def test_codes_are_numpys_sorted_and_pandas_first_appearance_codes(values):
    """The hashed factorisation (fast on arrow-backed strings) gives numpy's and pandas' codes."""
    from enforcement_crime.estimators._core import factorize, sorted_codes

    uniq0, codes0 = np.unique(np.asarray(values), return_inverse=True)
    uniq, codes = sorted_codes(values)
    assert np.array_equal(codes, codes0.reshape(-1)) and list(uniq) == list(uniq0)
    first0, levels0 = pd.factorize(pd.Series(values).to_numpy(), sort=False)
    first, n = factorize(values)
    assert np.array_equal(first, first0) and n == len(levels0)


@pytest.mark.parametrize("disconnected", [False, True])
def test_two_way_unit_subsets_is_demean_on_the_units_kept(disconnected):
    """TwoWayUnitSubsets.resid gives demean's residuals, number for number, on the rows of the
    units kept (or None: a mask splitting a unit); with singleton units, weights varying within
    units, and (disconnected) two groups of units observed in disjoint periods."""
    from enforcement_crime.estimators._core import TwoWayUnitSubsets
    from enforcement_crime.estimators._inputs import _first_appearance_codes

    rng = np.random.default_rng(2)
    n_units, n_times = 40, 9
    unit = np.repeat(np.arange(n_units), n_times)
    time = np.tile(np.arange(n_times), n_units)
    keep = rng.uniform(size=len(unit)) > 0.25
    keep[unit < 3] = False
    keep[(unit < 3) & (time == unit)] = True  # three singleton units
    if disconnected:
        keep &= (unit < 20) == (time < 4)
    unit, time = unit[keep], time[keep]
    w = rng.lognormal(0, 1, len(unit))
    M = np.column_stack([rng.normal(size=len(unit)), (time >= 5) & (unit % 3 == 0)]).astype(float)
    ucodes, _ = _first_appearance_codes(unit)
    tcodes, _ = _first_appearance_codes(time)
    subsets = TwoWayUnitSubsets(M, ucodes, tcodes, w)
    for left in [[5], [0, 1, 2], list(range(20, 40)), [7, 30]]:
        rows = ~np.isin(unit, left)
        u, nu = _first_appearance_codes(ucodes[rows])
        t, nt = _first_appearance_codes(tcodes[rows])
        blocks = [Block("unit", u, nu), Block("time", t, nt)]
        fast = subsets.resid(rows, *blocks)
        assert fast is not None and fast.flags.f_contiguous
        np.testing.assert_array_equal(fast, demean(M[rows], blocks, w[rows]))
    split = np.isin(unit, [5]) & (time == time[unit == 5][0])
    u, nu = _first_appearance_codes(ucodes[~split])
    t, nt = _first_appearance_codes(tcodes[~split])
    assert subsets.resid(~split, Block("unit", u, nu), Block("time", t, nt)) is None
