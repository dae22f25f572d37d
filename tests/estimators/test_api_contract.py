"""The estimators' common contract: unknown or unsupported options raise, few treated clusters warn.

All data are synthetic (``simulate_staggered``), labelled as such.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from enforcement_crime import estimators as est
from enforcement_crime.estimators import EstimatorInputError
from enforcement_crime.simulate import Effect, simulate_staggered

A = ("y", "unit", "time", "cohort")


@pytest.fixture(scope="module")
def sim() -> pd.DataFrame:
    """Synthetic staggered panel, 40 units in 10 states, effect 1."""
    df = simulate_staggered(40, effect=Effect(att=1.0), n_states=10, seed=3)
    df["pop"] = 1.0 + (df["unit"] % 5)
    df["x"] = np.random.default_rng(1).normal(size=len(df))
    df["count"] = np.round(np.exp(df["y"] / 2) * 10)
    return df


@pytest.fixture(scope="module")
def es(sim):
    return est.event_study(sim, *A, window=(-3, 3))


def _treated_units(df):
    return sorted(df.loc[df["cohort"] == df.loc[df["cohort"] > 0, "cohort"].min(), "unit"].unique())


#: every public estimator, called minimally; ``kw`` is added to the call
CALLS = {
    "twfe": lambda d, es, **kw: est.twfe(d, *A, **kw),
    "event_study": lambda d, es, **kw: est.event_study(d, *A, **kw),
    "sun_abraham": lambda d, es, **kw: est.sun_abraham(d, *A, **kw),
    "callaway_santanna": lambda d, es, **kw: est.callaway_santanna(d, *A, **kw),
    "imputation": lambda d, es, **kw: est.imputation(d, *A, **kw),
    "two_stage": lambda d, es, **kw: est.two_stage(d, *A, **kw),
    "dcdh": lambda d, es, **kw: est.dcdh(d, "y", "unit", "time", "treated", n_boot=0, **kw),
    "bacon_decomposition": lambda d, es, **kw: est.bacon_decomposition(d, *A, **kw),
    "ppml": lambda d, es, **kw: est.ppml(d, "count", "unit", "time", "cohort", **kw),
    "wild_cluster_bootstrap": lambda d, es, **kw: est.wild_cluster_bootstrap(
        d, *A, cluster="state", n_boot=99, seed=1, **kw
    ),
    "randomization_inference": lambda d, es, **kw: est.randomization_inference(
        d, *A, n_perm=20, seed=1, **kw
    ),
    "minimum_detectable_effect": lambda d, es, **kw: est.minimum_detectable_effect(
        d, *A, n_sim=10, seed=1, **kw
    ),
    "placebo_schedules": lambda d, es, **kw: est.placebo_schedules(d, *A, n_draws=10, seed=1, **kw),
    "honest_did": lambda d, es, **kw: est.honest_did(es, mbar_grid=[0, 1], **kw),
    "synthetic_control": lambda d, es, **kw: est.synthetic_control(
        d, "y", "unit", "time", _treated_units(d)[:1], 2005, placebo=False, **kw
    ),
    "synthetic_did": lambda d, es, **kw: est.synthetic_did(
        d, "y", "unit", "time", _treated_units(d), 2005, n_reps=5, seed=1, **kw
    ),
    "compare_estimators": lambda d, es, **kw: est.compare_estimators(
        d, *A, estimators=("twfe",), **kw
    ),
}


def test_every_public_estimator_is_covered():
    public = {
        n
        for n in est.__all__
        if callable(getattr(est, n))
        and n
        not in {
            "EstimationResult",
            "EstimatorInputError",
            "compare",
            "prepare_panel",
            "analytic_mde",
            "placebo_calibrated_mde",
            "PlaceboTest",
            "percent_of_mean",  # a unit conversion of an effect, not an estimator
        }
    }
    assert public == set(CALLS)


@pytest.mark.parametrize("name", sorted(CALLS))
def test_unknown_keyword_raises_naming_it(sim, es, name):
    with pytest.raises(TypeError, match="not_an_option"):
        CALLS[name](sim, es, not_an_option=1)


@pytest.mark.parametrize("name", sorted(CALLS))
def test_minimal_call_runs(sim, es, name):
    """The calls above are valid: the raising test fails for the keyword, not for the call."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        CALLS[name](sim, es)


#: (estimator, options it accepts in its signature but does not support here, text in the error)
UNSUPPORTED = [
    ("dcdh", {"controls": ["x"]}, "controls="),
    ("bacon_decomposition", {"weights": "pop"}, "weights="),
    ("bacon_decomposition", {"controls": ["x"]}, "controls="),
    ("bacon_decomposition", {"cluster": "state"}, "cluster="),
    ("twfe", {"state": "state"}, "state="),
    ("event_study", {"state": "state"}, "state="),
    ("randomization_inference", {"controls": ["x"]}, "controls="),
    ("randomization_inference", {"cluster": "state"}, "cluster="),
    ("minimum_detectable_effect", {"controls": ["x"]}, "controls"),
    ("minimum_detectable_effect", {"n_jobs": 2}, "n_jobs="),
    ("honest_did", {"m_grid": [0, 1]}, "m_grid="),
    ("compare_estimators", {"twfe": {"bogus": 1}}, "bogus"),
    ("compare_estimators", {"twfe": {"data": 1}}, "data"),
    ("compare_estimators", {"sun_abraham": {"window": (-2, 2)}}, "sun_abraham"),
]


@pytest.mark.parametrize(
    "name, kw, text", UNSUPPORTED, ids=[f"{n}-{list(k)[0]}" for n, k, _ in UNSUPPORTED]
)
def test_unsupported_option_raises_naming_it(sim, es, name, kw, text):
    with pytest.raises((TypeError, ValueError)) as info:
        CALLS[name](sim, es, **kw)
    assert text in str(info.value)


def test_honest_did_smoothness_refuses_mbar_grid(es):
    with pytest.raises(EstimatorInputError, match="mbar_grid="):
        est.honest_did(es, method="smoothness", mbar_grid=[0, 1])


def test_compare_estimators_bad_option_raises_even_without_raise_errors(sim):
    with pytest.raises(TypeError, match=r"twfe does not accept option\(s\) \['windw'\]"):
        est.compare_estimators(sim, *A, estimators=("twfe",), raise_errors=False, twfe={"windw": 1})
    with pytest.raises(TypeError, match="must be a dict"):
        est.compare_estimators(sim, *A, estimators=("twfe",), twfe=["state"])


# --------------------------------------------------------------------------------------
# fewer than 5 treated clusters: UserWarning and a note
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def one_treated() -> pd.DataFrame:
    """Synthetic panel, one treated unit (cohort 2008) among 30, true effect 0."""
    df = simulate_staggered(30, cohorts={0: 29 / 30, 2008: 1 / 30}, n_states=10, seed=4)
    assert df.loc[df["cohort"] > 0, "unit"].nunique() == 1
    df["count"] = np.round(np.exp(df["y"] / 2) * 10)
    return df


FEW = {
    "twfe": lambda d: est.twfe(d, *A, cluster="state"),
    "event_study": lambda d: est.event_study(d, *A, cluster="state", window=(-2, 2)),
    "sun_abraham": lambda d: est.sun_abraham(d, *A, cluster="state"),
    "callaway_santanna": lambda d: est.callaway_santanna(d, *A, cluster="state"),
    "imputation": lambda d: est.imputation(d, *A, cluster="state"),
    "two_stage": lambda d: est.two_stage(d, *A, cluster="state"),
    "dcdh": lambda d: est.dcdh(d, "y", "unit", "time", "treated", cluster="state", n_boot=0),
    "ppml": lambda d: est.ppml(d, "count", "unit", "time", "cohort", cluster="state"),
}


@pytest.mark.parametrize("name", sorted(FEW))
def test_single_treated_cluster_warns_and_notes(one_treated, name):
    with pytest.warns(UserWarning, match=f"{name}: only 1 treated cluster"):
        res = FEW[name](one_treated)
    assert "only 1 treated cluster(s): cluster-robust SEs unreliable" in res.notes


@pytest.mark.parametrize("name", sorted(FEW))
def test_many_treated_clusters_do_not_warn(sim, name):
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        res = FEW[name](sim.assign(count=np.round(np.exp(sim["y"] / 2) * 10)))
    assert "treated cluster(s)" not in res.notes
