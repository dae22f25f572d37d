"""Outcomes a design accepts: every UCR offense rate of the panel, and a short error otherwise.

Runs the North Carolina 287(g) design on the built-in SYNTHETIC panel.
"""

from __future__ import annotations

import numpy as np
import pytest

from enforcement_crime import synthetic
from enforcement_crime.designs import nc_287g
from enforcement_crime.schema import OFFENSE_RATE_COLUMNS, OFFENSES, RATE_COLUMNS


@pytest.fixture(scope="module")
def raw():
    return synthetic.load_default_panel()


def test_a_design_lists_every_rate_of_the_panel_as_an_outcome(raw):
    d = nc_287g.DESIGN
    got = d.outcomes_available(raw)
    assert set(got) == {f"{o}_rate" for o in (*OFFENSES, "violent", "property", "index")}
    older = raw.drop(columns=list(OFFENSE_RATE_COLUMNS))  # a panel built before offense rates
    assert d.outcomes_available(older) == RATE_COLUMNS
    assert set(d.outcomes) <= set(d.outcomes_available())


def test_an_offense_rate_is_a_valid_outcome(raw):
    d = nc_287g.DESIGN.with_options(outcomes=("burglary_rate",))
    sample = d.prepare(raw, data_source="synthetic")
    np.testing.assert_allclose(
        sample.data["log_burglary_rate"], np.log1p(sample.data["burglary_rate"]), equal_nan=True
    )
    res = d.headline(sample, "burglary_rate")
    assert np.isfinite(res.estimate) and res.outcome == "burglary_rate"


def test_an_unknown_outcome_is_a_one_line_error_naming_the_choices(raw):
    d = nc_287g.DESIGN.with_options(outcomes=("burglary_rates",))
    with pytest.raises(ValueError) as err:
        d.prepare(raw, data_source="synthetic")
    msg = str(err.value)
    assert "\n" not in msg and "'burglary_rates'" in msg
    assert all(c in msg for c in d.outcomes_available(raw))
