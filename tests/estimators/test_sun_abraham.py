"""Tests of :func:`enforcement_crime.estimators.sun_abraham`.

References: diff-diff's SunAbraham (independent implementation of the same
algorithm), the TWFE event study (identical when there is one cohort) and
noise-free panels with heterogeneous dynamic effects (exact recovery).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from enforcement_crime.estimators import EstimatorInputError
from enforcement_crime.estimators.sun_abraham import sun_abraham
from enforcement_crime.estimators.twfe import event_study, twfe
from enforcement_crime.simulate import Effect, simulate_staggered, true_att

HET = Effect(att=1, dynamic_slope=0.3, cohort_slope=0.1, ref_cohort=4)
COHORTS = {0: 0.3, 4: 0.2, 7: 0.2, 10: 0.3}


def _panel(noise_sd=0.5, cohorts=COHORTS, seed=1, n=200):
    return simulate_staggered(
        n, periods=(1, 12), cohorts=cohorts, effect=HET, noise_sd=noise_sd, seed=seed
    )


def test_matches_diff_diff():
    dd = pytest.importorskip("diff_diff")
    df = _panel()
    ours = sun_abraham(df, "y", "unit", "time", "cohort").to_frame().set_index("term")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = dd.SunAbraham(cluster="unit").fit(df, "y", "unit", "time", "cohort")
    assert len(ref.event_study_effects) == len(ours) - 2  # minus ATT and reference rows
    for e, v in ref.event_study_effects.items():
        # same algorithm (saturated regression + cohort-share weights): 1e-8
        assert ours.loc[f"e{e}", "estimate"] == pytest.approx(v["effect"], rel=1e-8, abs=1e-10)
        # same CR1 clustered vcov and delta method: 1e-8
        assert ours.loc[f"e{e}", "std_error"] == pytest.approx(v["se"], rel=1e-8)
    assert ours.loc["ATT", "estimate"] == pytest.approx(ref.overall_att, rel=1e-8)
    assert ours.loc["ATT", "std_error"] == pytest.approx(ref.overall_se, rel=1e-8)


def test_noise_free_recovery_heterogeneous_dynamic():
    df = _panel(noise_sd=0.0)
    r = sun_abraham(df, "y", "unit", "time", "cohort")
    tab = r.to_frame().set_index("term")
    truth = true_att(df, by="event_time")  # balanced: cell shares = cohort shares
    for e, v in truth.items():
        assert tab.loc[f"e{e}", "estimate"] == pytest.approx(v, abs=1e-9)  # exact DGP
    assert r.estimate == pytest.approx(true_att(df), abs=1e-9)
    # while TWFE is biased on the same panel
    assert abs(twfe(df, "y", "unit", "time", "cohort").estimate - true_att(df)) > 0.3


def test_weighted_recovery():
    df = _panel(noise_sd=0.0)
    df["pop"] = np.random.default_rng(2).uniform(1, 9, 200)[df["unit"]]
    r = sun_abraham(df, "y", "unit", "time", "cohort", weights="pop")
    tab = r.to_frame().set_index("term")
    tr = df[df["treated"] == 1]
    truth = tr.groupby("event_time").apply(
        lambda d: np.average(d["true_effect"], weights=d["pop"]), include_groups=False
    )
    for e, v in truth.items():
        assert tab.loc[f"e{e}", "estimate"] == pytest.approx(v, abs=1e-9)  # weighted shares
    assert r.estimate == pytest.approx(np.average(tr["true_effect"], weights=tr["pop"]), abs=1e-9)


def test_last_treated_control_and_no_never_treated():
    df = _panel(noise_sd=0.0, cohorts={4: 0.3, 7: 0.3, 10: 0.4})
    r = sun_abraham(df, "y", "unit", "time", "cohort")
    assert r.extra["control_group"] == "last_treated"
    kept = df[(df["time"] < 10) & (df["cohort"] < 10)]
    assert r.estimate == pytest.approx(true_att(kept), abs=1e-9)  # exact DGP, restricted sample
    assert "last-treated control" in r.notes
    with pytest.raises(EstimatorInputError, match="no never-treated"):
        sun_abraham(df, "y", "unit", "time", "cohort", control_group="never_treated")


def test_single_cohort_equals_event_study():
    df = _panel(cohorts={0: 0.5, 6: 0.5})
    sa = sun_abraham(df, "y", "unit", "time", "cohort").to_frame().set_index("term")
    es = event_study(df, "y", "unit", "time", "cohort", window=(-5, 6), bin_endpoints=False)
    es = es.to_frame().set_index("term")
    for k in range(-5, 7):
        if k == -1:
            continue
        # one cohort: identical regressions, hence identical numbers (1e-8)
        assert sa.loc[f"e{k}", "estimate"] == pytest.approx(es.loc[f"e{k}", "estimate"], rel=1e-8)
        assert sa.loc[f"e{k}", "std_error"] == pytest.approx(es.loc[f"e{k}", "std_error"], rel=1e-8)


def test_result_contract_and_edges():
    df = _panel(cohorts={0: 0.3, 1: 0.1, 4: 0.2, 7: 0.2, 10: 0.2})
    df.loc[df.sample(30, random_state=0).index, "y"] = np.nan
    r = sun_abraham(df, "y", "unit", "time", "cohort", cluster="state", window=(-3, 3))
    f = r.to_frame()
    assert f["term"].tolist() == ["ATT", "e-3", "e-2", "e-1", "e0", "e1", "e2", "e3"]
    ref = f.set_index("term").loc["e-1"]
    assert ref["estimate"] == 0.0 and np.isnan(ref["std_error"])
    assert r.extra["reference_period"] == -1
    assert "e-1" not in r.vcov.index
    assert "always-treated" in r.notes and "missing or non-finite y" in r.notes
    w = r.extra["cohort_effects"].groupby("event_time")["weight"].sum()
    np.testing.assert_allclose(w, 1.0, atol=1e-12)  # shares sum to one at each event time
    with pytest.raises(EstimatorInputError, match="control_group"):
        sun_abraham(df, "y", "unit", "time", "cohort", control_group="nope")
