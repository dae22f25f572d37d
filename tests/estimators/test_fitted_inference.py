"""Inference on a fitted model: ``twfe(...).wild_bootstrap()``, ``.permute()``, ``event_study(...).pretrend_test()``.

The methods reuse the fitted panel instead of refitting; the public functions
``wild_cluster_bootstrap``, ``randomization_inference`` and
``event_study(pretrend_inference=...)`` share their code, so both routes must give
identical numbers (same draws, same permutations). Data are SYNTHETIC
(``simulate_staggered``).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from enforcement_crime.estimators import (
    EstimatorInputError,
    event_study,
    randomization_inference,
    twfe,
    wild_cluster_bootstrap,
)
from enforcement_crime.results import EstimationResult
from enforcement_crime.simulate import Effect, simulate_staggered

A = ("y", "unit", "time", "cohort")


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    df = simulate_staggered(
        n_units=90, periods=(2000, 2010), n_states=10, effect=Effect(att=0.3),
        state_shock_sd=0.3, seed=4,
    )  # fmt: skip
    rng = np.random.default_rng(4)
    df["pop"] = rng.uniform(1, 5, df["unit"].max() + 1)[df["unit"]]
    df["x"] = rng.normal(size=len(df))
    return df.sample(frac=0.95, random_state=4).reset_index(drop=True)


def _quiet(f, *a, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return f(*a, **kw)


@pytest.mark.parametrize(
    "opts",
    [dict(), dict(weights="pop", controls=["x"]), dict(weights="pop")],
)
def test_wild_bootstrap_method_equals_the_function(panel, opts):
    boot = dict(n_boot=299, seed=3, bootstrap_weights="webb")
    fitted = _quiet(twfe, panel, *A, cluster="state", **opts)
    a = fitted.wild_bootstrap(**boot)
    b = wild_cluster_bootstrap(panel, *A, cluster="state", **opts, **boot)
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
    assert a.p_value == b.p_value and np.array_equal(a.extra["t_boot"], b.extra["t_boot"])
    # the bootstrap is of the fitted coefficient, with the fit's CR1 standard error
    assert a.estimate == pytest.approx(fitted.estimate, rel=1e-10)
    assert a.std_error == pytest.approx(fitted.std_error, rel=1e-10)


def test_permute_method_equals_the_function(panel):
    fitted = _quiet(twfe, panel, *A, cluster="state", weights="pop")
    a = fitted.permute(n_perm=99, seed=5, stratify="state")
    b = randomization_inference(panel, *A, weights="pop", n_perm=99, seed=5, stratify="state")
    assert a.estimate == pytest.approx(b.estimate, rel=1e-12)
    assert a.p_value == b.p_value
    np.testing.assert_allclose(
        a.extra["permutation_distribution"], b.extra["permutation_distribution"], rtol=1e-10
    )


def test_pretrend_test_method_equals_the_option(panel):
    kw = dict(window=(-3, 3), cluster="state", weights="pop")
    boot = dict(n_boot=199, seed=2, bootstrap_weights="rademacher")
    wald = event_study(panel, *A, **kw)
    wild = event_study(panel, *A, pretrend_inference="wild_cluster", **kw, **boot)
    assert wald.pretrend_test() == wald.pretrend
    assert wald.pretrend_test(inference="wild_cluster", **boot) == wild.pretrend
    assert wild.pretrend.p_value_chi2 == wald.pretrend.p_value
    assert wild.pretrend.inference == "wild_cluster" and wald.pretrend.inference == "wald"


def test_methods_refuse_what_they_cannot_do(panel):
    es = event_study(panel, *A, window=(-3, 3), cluster="state")
    with pytest.raises(EstimatorInputError, match="static TWFE"):
        es.wild_bootstrap(n_boot=9)
    fe = _quiet(twfe, panel, *A, cluster="state", unit_trends=True)
    with pytest.raises(EstimatorInputError, match="unit and time fixed effects only"):
        fe.wild_bootstrap(n_boot=9)
    with pytest.raises(EstimatorInputError, match="cohort= without controls"):
        _quiet(twfe, panel, *A, cluster="state", controls=["x"]).permute(n_perm=9)
    with pytest.raises(EstimatorInputError, match="event_study"):
        _quiet(twfe, panel, *A, cluster="state").pretrend_test()
    with pytest.raises(EstimatorInputError, match="one cluster column"):
        event_study(panel, *A, window=(-3, 3)).pretrend_test(inference="wild_cluster")
    bare = EstimationResult("x", pd.DataFrame({"term": ["ATT"], "estimate": [1.0]}))
    with pytest.raises(ValueError, match="keeps no fitted model"):
        bare.wild_bootstrap()
