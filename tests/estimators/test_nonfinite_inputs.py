"""Infinite weights and controls are refused with the column named, never turned into NaN or a
failed convergence. Data: a small simulated staggered panel (SYNTHETIC, simulate_staggered).
"""

from __future__ import annotations

import numpy as np
import pytest

from enforcement_crime.estimators import EstimatorInputError, callaway_santanna, prepare_panel, twfe
from enforcement_crime.simulate import simulate_staggered


@pytest.fixture
def panel():
    df = simulate_staggered(n_units=40, periods=(2000, 2006), n_states=4, seed=1)
    rng = np.random.default_rng(3)
    df["pop"] = rng.uniform(1, 5, len(df))
    df["z"] = rng.normal(size=len(df))
    return df


@pytest.mark.parametrize("value", [np.inf, -np.inf])
def test_prepare_panel_refuses_an_infinite_weight(panel, value):
    panel.loc[5, "pop"] = value
    with pytest.raises(EstimatorInputError, match=r"weights 'pop' must be positive and finite"):
        prepare_panel(panel, "y", "unit", "time", "cohort", weights="pop")


def test_prepare_panel_refuses_an_infinite_control(panel):
    panel.loc[7, "z"] = np.inf
    with pytest.raises(EstimatorInputError, match=r"control 'z' must be finite; 1 row"):
        prepare_panel(panel, "y", "unit", "time", "cohort", controls=["z"])
    panel.loc[7, "z"] = np.nan  # a missing control is still dropped and counted, not refused
    p = prepare_panel(panel, "y", "unit", "time", "cohort", controls=["z"])
    assert p.dropped == {"missing z": 1} and p.n_obs == len(panel) - 1


def test_callaway_santanna_refuses_an_infinite_weight_instead_of_returning_nan(panel):
    ok = callaway_santanna(panel, "y", "unit", "time", "cohort", weights="pop")
    assert np.isfinite(ok.estimate)
    panel.loc[panel["cohort"].eq(0).idxmax(), "pop"] = np.inf  # a never-treated unit's weight
    with pytest.raises(EstimatorInputError, match="'pop'"):
        callaway_santanna(panel, "y", "unit", "time", "cohort", weights="pop")


def test_twfe_refuses_an_infinite_control_naming_it(panel):
    panel.loc[3, "z"] = np.inf
    with pytest.raises(EstimatorInputError, match="control 'z' must be finite"):
        twfe(panel, "y", "unit", "time", "cohort", controls=["z"])
