"""Tests of :func:`enforcement_crime.estimators.bacon_decomposition`.

The identity (weights sum to one, weighted 2x2s = TWFE) is checked against
:func:`twfe` (an independent demeaning regression); the comparisons against
diff-diff's Goodman-Bacon implementation.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from enforcement_crime.estimators import EstimatorInputError
from enforcement_crime.estimators.bacon import bacon_decomposition
from enforcement_crime.estimators.twfe import twfe
from enforcement_crime.simulate import Effect, simulate_staggered

DESIGNS = {
    "never+3 cohorts": {0: 0.3, 4: 0.2, 7: 0.2, 10: 0.3},
    "with always-treated": {0: 0.3, 1: 0.1, 4: 0.2, 7: 0.2, 10: 0.2},
    "no never-treated": {1: 0.2, 4: 0.2, 7: 0.3, 10: 0.3},
    "two cohorts only": {4: 0.5, 8: 0.5},
}


def _panel(cohorts, seed=1):
    return simulate_staggered(
        200, periods=(1, 12), cohorts=cohorts, effect=Effect(att=1, dynamic_slope=0.3), seed=seed
    )


@pytest.mark.parametrize("design", DESIGNS, ids=list(DESIGNS))
def test_sums_to_twfe(design):
    df = _panel(DESIGNS[design])
    r = bacon_decomposition(df, "y", "unit", "time", "cohort")
    comp = r.extra["comparisons"]
    # exact identity; 1e-10 allows only floating-point rounding over ~10 terms
    assert comp["weight"].sum() == pytest.approx(1.0, abs=1e-10)
    assert (comp["weight"] > 0).all()
    beta = twfe(df, "y", "unit", "time", "cohort").estimate
    assert (comp["weight"] * comp["estimate"]).sum() == pytest.approx(beta, abs=1e-10)
    assert len(r.to_frame()) == len(comp)


def test_types():
    r = bacon_decomposition(_panel(DESIGNS["with always-treated"]), "y", "unit", "time", "cohort")
    types = set(r.extra["comparisons"]["type"])
    assert types == {
        "treated vs never treated",
        "treated vs always treated (forbidden)",
        "earlier vs later treated",
        "later vs earlier treated (forbidden)",
    }
    # 3 timing groups: 3 vs never, 3 vs always, 3 pairs x 2 directions
    assert len(r.extra["comparisons"]) == 12


def test_matches_diff_diff():
    dd = pytest.importorskip("diff_diff")
    df = _panel(DESIGNS["never+3 cohorts"])
    r = bacon_decomposition(df, "y", "unit", "time", "cohort")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = dd.BaconDecomposition().fit(df, "y", "unit", "time", "cohort")
    theirs = ref.to_dataframe()
    theirs["key"] = (
        theirs["treated_group"].astype(str)
        + "|"
        + theirs["control_group"].astype(str).str.replace("never_treated", "never treated")
    )
    ours = r.extra["comparisons"].assign(key=lambda d: d["treated"] + "|" + d["control"])
    m = ours.merge(theirs, on="key", suffixes=("", "_dd"))
    assert len(m) == len(ours) == len(theirs)
    # the same closed-form algorithm: 1e-8
    np.testing.assert_allclose(m["weight"], m["weight_dd"], rtol=1e-8)
    np.testing.assert_allclose(m["estimate"], m["estimate_dd"], rtol=1e-8)
    assert ref.twfe_estimate == pytest.approx(r.extra["twfe"], rel=1e-8)


def test_matches_diff_diff_total_with_always_treated():
    """diff-diff merges always-treated into the never-treated bucket; the total is the same."""
    dd = pytest.importorskip("diff_diff")
    df = _panel(DESIGNS["with always-treated"])
    r = bacon_decomposition(df, "y", "unit", "time", "cohort")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = dd.BaconDecomposition().fit(df, "y", "unit", "time", "cohort")
    assert ref.twfe_estimate == pytest.approx(r.extra["twfe"], rel=1e-8)  # same regression
    ours = r.extra["comparisons"]
    pairs = ours[ours["type"].str.contains("later")]
    theirs = ref.to_dataframe()
    theirs = theirs[theirs["control_group"] != "never_treated"]
    # timing-group pairs do not involve the untreated bucket: same 2x2 estimates
    np.testing.assert_allclose(
        np.sort(pairs["estimate"].to_numpy()), np.sort(theirs["estimate"].to_numpy()), rtol=1e-8
    )


def test_forbidden_weight_and_bias_direction():
    """With growing effects the forbidden 2x2s are biased down (Goodman-Bacon 2021)."""
    df = simulate_staggered(
        300,
        periods=(1, 12),
        cohorts={0: 0.3, 4: 0.35, 8: 0.35},
        effect=Effect(att=1, dynamic_slope=0.5),
        noise_sd=0.0,
        seed=2,
    )
    comp = bacon_decomposition(df, "y", "unit", "time", "cohort").extra["comparisons"]
    forb = comp[comp["type"] == "later vs earlier treated (forbidden)"]["estimate"].iloc[0]
    clean = comp[comp["type"] == "treated vs never treated"]["estimate"].min()
    assert forb < clean


def test_errors():
    df = _panel(DESIGNS["never+3 cohorts"])
    with pytest.raises(EstimatorInputError, match="balanced"):
        bacon_decomposition(df.iloc[5:], "y", "unit", "time", "cohort")
    bad = df.copy()
    bad.loc[3, "y"] = np.nan
    with pytest.raises(EstimatorInputError, match="balanced"):
        bacon_decomposition(bad, "y", "unit", "time", "cohort")
    with pytest.raises(EstimatorInputError, match="weights= and controls="):
        bacon_decomposition(df.assign(w=1.0), "y", "unit", "time", "cohort", weights="w")
    with pytest.raises(EstimatorInputError, match="nothing to decompose"):
        bacon_decomposition(df.assign(cohort=0), "y", "unit", "time", "cohort")
