"""Fixed-effect demeaning on large unbalanced panels: exact, fast, and a clear refusal when it cannot.

All panels here are SYNTHETIC (drawn in the test). The reference for the
residuals is the definition: least squares of each column on unit and
period indicators (``numpy.linalg.lstsq`` on a small panel), and on large
panels the closed-form :class:`TwoWayProjector` against many sweeps of
alternating projections.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from enforcement_crime import estimators as est
from enforcement_crime.estimators import _core
from enforcement_crime.estimators._core import Block, demean
from enforcement_crime.estimators._inputs import EstimatorInputError


def _unbalanced(n_units: int, n_years: int, missing: float, seed: int) -> pd.DataFrame:
    """A SYNTHETIC county-year panel with staggered adoption and rows missing at random."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        [(u, 2004 + t) for u in range(n_units) for t in range(n_years)], columns=["unit", "year"]
    )
    df = df[rng.random(len(df)) > missing].reset_index(drop=True)
    first = dict(enumerate(rng.choice(np.arange(2007, 2015), n_units)))
    df["g"] = df["unit"].map(first)
    df["state"] = df["unit"] % 50
    effect = np.where(df["year"] >= df["g"], -0.1, 0.0)
    df["y"] = rng.normal(size=n_units)[df["unit"]] + 0.02 * (df["year"] - 2004) + effect
    df["y"] += rng.normal(scale=0.3, size=len(df))
    df["pop"] = rng.lognormal(10, 1, n_units)[df["unit"]]
    return df


def _blocks(df: pd.DataFrame, names=("unit", "time")) -> list[Block]:
    u, nu = _core.factorize(df["unit"])
    t, nt = _core.factorize(df["year"])
    return [Block(names[0], u, nu), Block(names[1], t, nt)]


def test_two_way_residuals_are_the_least_squares_residuals_on_an_unbalanced_panel():
    df = _unbalanced(40, 8, 0.3, seed=1)
    w = df["pop"].to_numpy()
    M = np.column_stack([df["y"], (df["year"] >= df["g"]).astype(float)])
    D = np.column_stack(
        [pd.get_dummies(df["unit"]).to_numpy(float), pd.get_dummies(df["year"]).to_numpy(float)]
    )
    sw = np.sqrt(w)[:, None]
    coef = np.linalg.lstsq(D * sw, M * sw, rcond=None)[0]
    want = M - D @ coef
    got = demean(M, _blocks(df), w)
    np.testing.assert_allclose(got, want, atol=1e-10)
    iterated = demean(M, _blocks(df, ("county", "year")), w)  # other names: the iterative path
    np.testing.assert_allclose(iterated, want, atol=1e-10)


def test_an_unreachable_tolerance_stops_at_the_roundoff_floor():
    # tolerance below double precision: the old rule swept until maxiter and refused
    df = _unbalanced(3000, 12, 0.15, seed=2)
    w = np.ones(len(df))
    M = np.column_stack([df["y"], (df["year"] - df["g"] >= 5).astype(float)])
    start = time.perf_counter()
    got = demean(M, _blocks(df, ("county", "year")), w, tol=1e-17, maxiter=20_000)
    assert time.perf_counter() - start < 10
    exact = demean(M, _blocks(df), w)
    np.testing.assert_allclose(got, exact, atol=1e-9)


def test_a_hopeless_demeaning_is_refused_fast_with_the_rate():
    # a staircase: unit i observed in periods i and i + 1 only; alternating projections
    # remove about 1/L^2 of the error per sweep
    L = 3000
    unit = np.repeat(np.arange(L), 2)
    period = unit + np.tile([0, 1], L)
    blocks = [Block("a", unit, L), Block("b", period, L + 1)]
    x = np.sin(np.arange(2 * L) / 7.0)[:, None] + (period[:, None] > L / 2)
    start = time.perf_counter()
    with pytest.raises(EstimatorInputError, match="would not converge in 100000 sweeps") as err:
        demean(x, blocks, np.ones(2 * L))
    assert time.perf_counter() - start < 10  # the old rule ran all 100,000 sweeps
    assert "more needed" in str(err.value) and "column 0" in str(err.value)


def test_event_study_on_a_large_unbalanced_panel_takes_seconds_and_matches_iteration():
    df = _unbalanced(3100, 12, 0.12, seed=3)
    start = time.perf_counter()
    res = est.event_study(df, "y", "unit", "year", "g", cluster="state")
    assert time.perf_counter() - start < 15
    table = res.table.set_index("event_time")
    assert table.loc[3, "estimate"] < -0.05  # the drawn effect is -0.1 after adoption
    # the same fit through alternating projections (blocks named otherwise)
    prepared = _core.prepare_fe_panel(df, "y", "unit", "year", "g", None, "state", [], ["state"])
    u, nu = _core.factorize(prepared.data["unit"])
    t, nt = _core.factorize(prepared.data["time"])
    blocks = [Block("unit", u, nu), Block("time", t, nt)]
    renamed = [Block("county", u, nu), Block("time", t, nt)]
    w = prepared.data["w"].to_numpy()
    X = prepared.data[["y"]].to_numpy()
    np.testing.assert_allclose(demean(X, blocks, w), demean(X, renamed, w), atol=1e-9)


def test_an_event_study_that_cannot_demean_suggests_a_window(monkeypatch):
    df = _unbalanced(60, 10, 0.1, seed=4)

    def refuse(*args, **kwargs):
        raise EstimatorInputError("fixed-effect demeaning would not converge in 100000 sweeps")

    monkeypatch.setattr(_core, "demean", refuse)
    with pytest.raises(
        EstimatorInputError, match=r"try a narrower window, e\.g\. window=\(-3, 3\)"
    ):
        est.event_study(df, "y", "unit", "year", "g")
