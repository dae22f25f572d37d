"""The wild bootstrap engine (:mod:`enforcement_crime.estimators._bootstrap`): weights, p-value, inversion.

Its users (the TWFE coefficient, the pre-trend Wald test, the Callaway-Sant'Anna aggregates) are
checked against wildboottest and brute-force refits in their own test files; here each piece is
checked against a hand derivation.
"""

from __future__ import annotations

import numpy as np
import pytest

from enforcement_crime.estimators import EstimatorInputError
from enforcement_crime.estimators._bootstrap import (
    WEBB_POINTS,
    LinearWildT,
    WeightDraws,
    draw_weights,
    invert,
    resolve_weights,
    share_extreme,
)


def test_auto_weights_and_unknown_names():
    assert resolve_weights("auto", 11) == "webb" and resolve_weights("auto", 12) == "rademacher"
    assert resolve_weights("webb", 50) == "webb"
    with pytest.raises(EstimatorInputError, match="bootstrap_weights"):
        resolve_weights("mammen", 20)


def test_rademacher_is_enumerated_when_it_can_be():
    V, full = draw_weights("rademacher", 5, 32, np.random.default_rng(0))
    assert full and V.shape == (5, 32)
    assert len({tuple(c) for c in V.T}) == 32  # every sign vector once
    V, full = draw_weights("rademacher", 6, 32, np.random.default_rng(0))
    assert not full and V.shape == (6, 32) and set(np.unique(V)) == {-1.0, 1.0}


def test_webb_points_have_mean_zero_and_variance_one():
    assert WEBB_POINTS.mean() == pytest.approx(0.0, abs=1e-15)
    assert (WEBB_POINTS**2).mean() == pytest.approx(1.0, rel=1e-15)
    d = WeightDraws.make("auto", 4, 100, seed=3)
    assert d.kind == "webb" and d.n_boot == 100 and set(np.unique(d.V)) <= set(WEBB_POINTS)
    # same seed, same draws
    np.testing.assert_array_equal(d.V, WeightDraws.make("webb", 4, 100, seed=3).V)


def test_share_extreme_counts_ties_and_non_finite_draws():
    boot = np.array([1.0, 2.0, 3.0 * (1 - 1e-12), np.nan, 0.5])
    assert share_extreme(boot, 3.0) == pytest.approx(2 / 5)  # the near-tie and the NaN
    assert share_extreme(boot, 10.0) == pytest.approx(1 / 5)


def test_invert_finds_the_ends_of_the_acceptance_region():
    def pval(x):  # accepted exactly on the open interval (1.3, 2.7)
        return 0.5 if abs(x - 2.0) < 0.7 else 0.01

    lo, hi = invert(pval, 2.0, 0.1, 0.05)
    assert lo == pytest.approx(1.3, abs=1e-10) and hi == pytest.approx(2.7, abs=1e-10)
    # a p-value equal to alpha rejects (the boundary belongs to the rejection region)
    lo, hi = invert(lambda x: 0.05 if abs(x) >= 1 else 0.5, 0.0, 1.0, 0.05)
    assert (lo, hi) == pytest.approx((-1.0, 1.0), abs=1e-9)
    assert invert(lambda x: 1.0, 0.0, 1.0, 0.05) == (-np.inf, np.inf)


def test_linear_wild_t_is_the_studentised_affine_statistic():
    """t*(c) = (n0 + c n1) / (scale * sqrt(sum_h (P0 + c P1)_h^2)) for hand-made linear maps."""
    rng = np.random.default_rng(1)
    G = 4
    a0, a1 = rng.normal(size=G), rng.normal(size=G)
    C0, C1 = rng.normal(size=(G, G)), rng.normal(size=(G, G))
    draws = WeightDraws.make("rademacher", G, 100, seed=0)  # 16 sign vectors, enumerated
    test = LinearWildT(
        0.4, 0.2, draws, lambda v: (a0 @ v, a1 @ v, C0 @ v, C1 @ v), scale=1.5, impose_null=True
    )
    c = 0.3
    V = draws.V
    expect = (a0 @ V + c * (a1 @ V)) / (1.5 * np.sqrt(((C0 @ V + c * (C1 @ V)) ** 2).sum(axis=0)))
    np.testing.assert_allclose(test.tboot(c), expect, rtol=1e-12)
    t_obs = abs(0.4 - c) / 0.2
    assert test.pval(c) == pytest.approx(np.mean(np.abs(expect) >= t_obs * (1 - 1e-9)))
    lo, hi = test.interval(0.05)
    assert test.pval(lo + 1e-6) > 0.05 >= test.pval(lo - 1e-6)
    assert test.pval(hi - 1e-6) > 0.05 >= test.pval(hi + 1e-6)
