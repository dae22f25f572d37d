"""EstimationResult: columns, outcome/specification, dynamic/aggregate split, term()."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from enforcement_crime import estimators as est
from enforcement_crime.results import RESULT_COLUMNS, EstimationResult
from enforcement_crime.simulate import Effect, simulate_staggered


@pytest.fixture(scope="module")
def sim() -> pd.DataFrame:
    # synthetic staggered panel with a known effect of 1
    return simulate_staggered(40, effect=Effect(att=1.0), n_states=10, seed=3)


def test_columns_keep_order_and_append_outcome_specification():
    assert RESULT_COLUMNS[:10] == (
        "term",
        "event_time",
        "estimate",
        "std_error",
        "conf_low",
        "conf_high",
        "n_obs",
        "n_clusters",
        "estimator",
        "notes",
    )
    assert RESULT_COLUMNS[-2:] == ("outcome", "specification")
    r = EstimationResult("x", pd.DataFrame({"term": ["a"], "estimate": [1.0]}))
    frame = r.to_frame()
    assert list(frame.columns) == list(RESULT_COLUMNS)
    assert frame["outcome"].isna().all() and frame["specification"].isna().all()
    r.specification = "main"
    assert r.to_frame()["specification"].tolist() == ["main"]


def test_term_dynamic_aggregate_on_hand_built_table():
    tab = pd.DataFrame(
        {
            "term": ["e1", "ATT", "e-1", "e0"],
            "event_time": pd.array([1, pd.NA, -1, 0], dtype="Int64"),
            "estimate": [3.0, 2.0, 0.0, 1.0],
            "std_error": [0.3, 0.2, np.nan, 0.1],
            "conf_low": [2.0, 1.0, np.nan, 0.5],
            "conf_high": [4.0, 3.0, np.nan, 1.5],
        }
    )
    r = EstimationResult("x", tab, outcome="y", p_value=0.5)
    head = r.term()
    assert head["term"] == "ATT" and head["estimate"] == 2.0 and head["outcome"] == "y"
    assert "p_value" not in head  # p_value belongs to the first row, not to "ATT"
    first = r.term("e1")
    assert first["estimate"] == 3.0 and first["p_value"] == 0.5
    assert r.dynamic()["event_time"].tolist() == [-1, 0, 1]
    assert r.dynamic()["term"].tolist() == ["e-1", "e0", "e1"]
    assert r.aggregate()["term"].tolist() == ["ATT"]
    with pytest.raises(KeyError, match="no term 'e9'"):
        r.term("e9")


def _is_event_term(t: str) -> bool:
    return t.startswith("e") and t[1:].lstrip("-").isdigit()


@pytest.mark.parametrize(
    "name, call",
    [
        ("twfe", lambda d: est.twfe(d, "y", "unit", "time", "cohort")),
        ("event_study", lambda d: est.event_study(d, "y", "unit", "time", "cohort")),
        ("sun_abraham", lambda d: est.sun_abraham(d, "y", "unit", "time", "cohort")),
        ("callaway_santanna", lambda d: est.callaway_santanna(d, "y", "unit", "time", "cohort")),
        ("imputation", lambda d: est.imputation(d, "y", "unit", "time", "cohort", static=False)),
        ("two_stage", lambda d: est.two_stage(d, "y", "unit", "time", "cohort", static=False)),
        (
            "dcdh",
            lambda d: est.dcdh(d, "y", "unit", "time", "treated", effects=2, placebos=1, n_boot=0),
        ),
        ("bacon", lambda d: est.bacon_decomposition(d, "y", "unit", "time", "cohort")),
    ],
)
def test_every_estimator_sets_outcome_and_event_time(sim, name, call):
    r = call(sim)
    frame = r.to_frame()
    assert r.outcome == "y" and (frame["outcome"] == "y").all()
    # every event-time term carries its event time: nobody needs to parse "e-2"
    for t, e in zip(frame["term"], frame["event_time"], strict=True):
        if _is_event_term(t):
            assert e == int(t[1:]), (name, t, e)
    assert len(r.dynamic()) + len(r.aggregate()) == len(frame)
    assert r.term()["term"] == (
        r.aggregate()["term"].iloc[0] if len(r.aggregate()) else frame["term"].iloc[0]
    )


def test_honest_did_outcome_from_event_study(sim):
    es = est.event_study(sim, "y", "unit", "time", "cohort", window=(-3, 3))
    h = est.honest_did(es, mbar_grid=[0, 1])
    assert h.outcome == "y"


def test_wild_bootstrap_term_has_p_value(sim):
    r = est.wild_cluster_bootstrap(
        sim, "y", "unit", "time", "cohort", cluster="state", n_boot=99, seed=1
    )
    assert r.term()["p_value"] == r.p_value
