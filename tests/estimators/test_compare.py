"""Tests of :func:`enforcement_crime.estimators.compare_estimators`."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from enforcement_crime.estimators import EstimatorInputError
from enforcement_crime.estimators.compare import compare_estimators
from enforcement_crime.estimators.sun_abraham import sun_abraham
from enforcement_crime.estimators.twfe import twfe
from enforcement_crime.simulate import Effect, simulate_staggered, true_att

HET = Effect(att=1, dynamic_slope=0.3, cohort_slope=0.1, ref_cohort=4)


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _panel(noise_sd=0.5, cohorts=None, seed=1):
    cohorts = cohorts or {0: 0.3, 4: 0.2, 7: 0.2, 10: 0.3}
    return simulate_staggered(
        200, periods=(1, 12), cohorts=cohorts, effect=HET, noise_sd=noise_sd, seed=seed
    )


def test_heterogeneous_truth_and_twfe_bias():
    df = _panel(noise_sd=0.0)
    t = compare_estimators(df, "y", "unit", "time", "cohort").set_index("estimator")
    assert list(t.index) == ["twfe", "sun_abraham", "callaway_santanna", "imputation"]
    assert (t["error"] == "").all()
    truth = true_att(df)
    # noise-free, balanced, never-treated controls: these three estimate the treated-observation
    # ATT exactly (1e-9 allows rounding only)
    for e in ("sun_abraham", "callaway_santanna", "imputation"):
        assert t.loc[e, "estimate"] == pytest.approx(truth, abs=1e-9)
    assert t.loc["twfe", "estimate"] < truth - 0.3  # the known downward bias
    assert t["estimand"].str.len().gt(20).all()


def test_rows_equal_direct_calls_on_common_sample():
    df = _panel()
    df.loc[df.sample(25, random_state=2).index, "y"] = np.nan
    t = compare_estimators(df, "y", "unit", "time", "cohort", cluster="state")
    assert t.attrs["sample"]["dropped"] == {"missing or non-finite y": 25}
    direct = twfe(df, "y", "unit", "time", "cohort", cluster="state")
    row = t.set_index("estimator").loc["twfe"]
    assert row["estimate"] == direct.estimate and row["std_error"] == direct.std_error
    sa = sun_abraham(df, "y", "unit", "time", "cohort", cluster="state")
    assert t.set_index("estimator").loc["sun_abraham", "estimate"] == sa.estimate
    assert set(t.attrs["results"]) == {"twfe", "sun_abraham", "callaway_santanna", "imputation"}


def test_options_and_failures_reported():
    df = _panel(cohorts={4: 0.3, 7: 0.3, 10: 0.4})  # no never-treated units (Secure Communities)
    t = compare_estimators(
        df,
        "y",
        "unit",
        "time",
        "cohort",
        callaway_santanna={"control_group": "not_yet_treated"},
        sun_abraham={"control_group": "never_treated"},
    ).set_index("estimator")
    assert "no never-treated" in t.loc["sun_abraham", "error"]
    assert np.isnan(t.loc["sun_abraham", "estimate"])
    assert t.loc["callaway_santanna", "error"] == ""
    assert "not" in t.loc["callaway_santanna", "notes"].lower()
    with pytest.raises(EstimatorInputError, match="no never-treated"):
        compare_estimators(
            df,
            "y",
            "unit",
            "time",
            "cohort",
            estimators=("sun_abraham",),
            raise_errors=True,
            sun_abraham={"control_group": "never_treated"},
        )


def test_bad_arguments():
    df = _panel()
    with pytest.raises(EstimatorInputError, match="unknown estimator"):
        compare_estimators(df, "y", "unit", "time", "cohort", estimators=("twfe", "magic"))
    with pytest.raises(EstimatorInputError, match="not requested"):
        compare_estimators(df, "y", "unit", "time", "cohort", estimators=("twfe",), imputation={})


def test_built_in_panel_secure_communities_null():
    """End to end on the built-in 3,100-county panel (null preset): SC has no never-treated units."""
    from enforcement_crime import (
        synthetic,  # the package's own module: a broken import must fail, not skip
    )

    df = synthetic.make_panel(preset="null")
    d = df["sc_activation_date"]
    df["sc_cohort"] = (d.dt.year + (d.dt.dayofyear > 1)).astype("Int64")  # first full year
    t = compare_estimators(
        df,
        "violent_rate",
        "fips",
        "year",
        "sc_cohort",
        weights="population",
        cluster="state",
        callaway_santanna={"control_group": "not_yet_treated"},
    ).set_index("estimator")
    assert (t["error"] == "").all(), t["error"].to_dict()
    # Callaway-Sant'Anna balances the panel (counties missing the outcome in any year leave), so
    # its clusters are the states of the counties observed in every year
    ok = df.dropna(subset=["violent_rate", "population"])
    full = ok.groupby("fips")["year"].transform("size") == df["year"].nunique()
    first = df["year"].min()
    g = ok["sc_cohort"].fillna(0).astype("int64")
    cs_states = ok.loc[full & ((g == 0) | (g > first)), "state"].nunique()
    assert t.loc["callaway_santanna", "n_clusters"] == cs_states
    others = t.drop(index="callaway_santanna")
    assert (others["n_clusters"] == df["state"].nunique()).all()
    assert t.attrs["sample"]["dropped"]["missing or non-finite violent_rate"] == int(
        df["violent_rate"].isna().sum()
    )
    # the true effect is zero: every estimate within 4 of its SEs (a chance failure has p < 1e-4
    # per estimator if the SEs are right)
    assert (t["estimate"].abs() < 4 * t["std_error"]).all(), t[["estimate", "std_error"]]
