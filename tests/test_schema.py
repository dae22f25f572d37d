"""The panel schema accepts the default panel and rejects broken ones with clear messages."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from enforcement_crime.schema import (
    REQUIRED_COLUMNS,
    PanelSchemaError,
    add_totals_and_rates,
    validate_panel,
)
from enforcement_crime.synthetic import make_panel


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return make_panel()


def test_default_panel_passes_and_has_every_county_and_year(panel):
    assert validate_panel(panel) is panel
    assert panel["fips"].nunique() >= 3100
    assert sorted(panel["year"].unique()) == list(range(2000, 2017))
    assert set(REQUIRED_COLUMNS) <= set(panel.columns)


def _broken(panel, fn):
    df = panel.head(400).copy()
    fn(df)
    return df


@pytest.mark.parametrize(
    ("column", "breaker", "message"),
    [
        (
            "fips",
            lambda d: d.__setitem__("fips", d["fips"].astype(object).where(d.index != 3, "1234")),
            "5-digit county FIPS",
        ),
        (
            "fips, year",
            lambda d: d.loc.__setitem__((5, "year"), d.loc[4, "year"]),
            "unique key pairs",
        ),
        ("population", lambda d: d.loc.__setitem__((7, "population"), 0), "positive integers"),
        ("murder", lambda d: d.loc.__setitem__((9, "murder"), -1), "non-negative counts"),
        ("violent", lambda d: d.loc.__setitem__((11, "violent"), 10**6), "the sum of murder"),
        (
            "violent_rate",
            lambda d: d.loc.__setitem__((12, "violent_rate"), 1.0),
            "violent / population",
        ),
        ("coverage", lambda d: d.loc.__setitem__((13, "coverage"), 140.0), "[0, 100]"),
        (
            "g287_model",
            lambda d: d.__setitem__("g287_model", pd.array(["sheriff"] * len(d), dtype="string")),
            "one of",
        ),
        (
            "sc_activation_date",
            lambda d: d.__setitem__("sc_activation_date", d["sc_activation_date"].astype(str)),
            "datetime64",
        ),
    ],
)
def test_broken_panels_are_rejected_naming_column_and_rows(panel, column, breaker, message):
    df = _broken(panel, breaker)
    with pytest.raises(PanelSchemaError) as err:
        validate_panel(df, name="broken.parquet")
    text = str(err.value)
    assert err.value.column == column
    assert message in text
    assert "broken.parquet" in text


def test_error_lists_the_offending_rows_with_keys(panel):
    df = panel.head(100).copy()
    df.loc[[3, 7], "robbery"] = -5
    with pytest.raises(PanelSchemaError) as err:
        validate_panel(df)
    rows = err.value.rows
    assert list(rows.index) == [3, 7]
    assert {"fips", "year", "robbery"} <= set(rows.columns)
    assert df.loc[3, "fips"] in str(err.value)


def test_missing_column_is_named(panel):
    with pytest.raises(PanelSchemaError, match="'larceny'"):
        validate_panel(panel.drop(columns=["larceny"]))


def test_float_counts_are_rejected(panel):
    df = panel.head(50).copy()
    df["burglary"] = df["burglary"].astype("float64") + 0.5
    with pytest.raises(PanelSchemaError, match="burglary"):
        validate_panel(df)


def test_unreported_counts_stay_missing_in_totals():
    df = pd.DataFrame(
        {
            "population": [1000, 2000],
            "murder": pd.array([1, pd.NA], dtype="Int64"),
            "rape": pd.array([0, 1], dtype="Int64"),
            "robbery": pd.array([2, 3], dtype="Int64"),
            "aggravated_assault": pd.array([3, 4], dtype="Int64"),
            "burglary": pd.array([5, 6], dtype="Int64"),
            "larceny": pd.array([7, 8], dtype="Int64"),
            "motor_vehicle_theft": pd.array([1, 1], dtype="Int64"),
        }
    )
    out = add_totals_and_rates(df)
    assert out.loc[0, "violent"] == 6 and out.loc[0, "property"] == 13 and out.loc[0, "index"] == 19
    assert out.loc[0, "violent_rate"] == pytest.approx(600.0)
    assert pd.isna(out.loc[1, "violent"]) and pd.isna(out.loc[1, "index"])
    assert out.loc[1, "property"] == 15
    assert np.isnan(out.loc[1, "violent_rate"])


def test_timing_must_be_constant_within_county(panel):
    df = panel[panel["fips"] == panel["fips"].iloc[0]].copy()
    df.loc[df.index[0], "sc_activation_date"] = pd.Timestamp("2001-01-01")
    with pytest.raises(PanelSchemaError, match="one value per county"):
        validate_panel(df)
