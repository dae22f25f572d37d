"""Range checks at panel validation: rates, coverage and population inside possible bounds.

The panel is the built-in SYNTHETIC one (its values are realistic); each case
mangles one cell the way a mistyped or cut source file would, and the error
must name the panel, the row, the column and the value.
"""

from __future__ import annotations

import pandas as pd
import pytest

from enforcement_crime.schema import (
    RATE_CEILING,
    PanelSchemaError,
    add_totals_and_rates,
    validate_city_panel,
    validate_panel,
)
from enforcement_crime.synthetic import make_panel


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return make_panel().head(300).reset_index(drop=True)


def _first_reported(df: pd.DataFrame) -> int:
    return int(df.index[df["robbery"].notna() & (df["population"] > 10_000)][0])


def test_the_ceiling_is_far_above_every_synthetic_rate_and_every_rate_passes(panel):
    # ten offenses per resident: a bound no county-year comes near
    assert RATE_CEILING == 10 * 100_000
    assert panel[["violent_rate", "property_rate", "index_rate"]].max().max() < RATE_CEILING / 10
    validate_panel(panel)


def test_a_robbery_cell_with_extra_digits_is_refused_naming_row_column_and_value(panel):
    df = panel.copy()
    i = _first_reported(df)
    df.loc[i, "robbery"] = 10_000_000  # totals and rates recomputed from the parts, consistently
    df = add_totals_and_rates(df)
    rate = df.loc[i, "violent_rate"]
    assert rate > RATE_CEILING  # the mangled county-year: millions per 100,000
    with pytest.raises(PanelSchemaError) as err:
        validate_panel(df, name="cius_county")
    e, text = err.value, str(err.value)
    assert e.column == "violent_rate" and e.check == "violent_rate.range"
    assert text.startswith("cius_county: column 'violent_rate'")
    assert "1,000,000" in text  # the bound, stated in the message
    assert list(e.rows.index) == [i] and e.rows.loc[i, "violent_rate"] == rate
    assert df.loc[i, "fips"] in text and str(int(df.loc[i, "year"])) in text
    assert "index_rate.range" in text  # the index rate breaks its bound too: listed


def test_a_negative_rate_is_refused(panel):
    df = panel.copy()
    i = _first_reported(df)
    df.loc[i, "property_rate"] = -1.0
    with pytest.raises(PanelSchemaError) as err:
        validate_panel(df, name="p.parquet")
    assert err.value.column == "property_rate" and err.value.check == "property_rate.range"
    assert list(err.value.rows.index) == [i]


@pytest.mark.parametrize(
    "column, value, check",
    [
        ("coverage", 150.0, "coverage.range"),
        ("coverage", -0.5, "coverage.range"),
        ("population", 0, "population.positive"),
        ("population", -20, "population.positive"),
    ],
)
def test_coverage_and_population_outside_their_bounds_are_refused(panel, column, value, check):
    df = panel.copy()
    i = _first_reported(df)
    df[column] = df[column].astype("float64")
    df.loc[i, column] = value
    if column == "population":
        df = add_totals_and_rates(df).astype({"population": "float64"})
    with pytest.raises(PanelSchemaError) as err:
        validate_panel(df, name="kaplan_county")
    checks = [err.value.check] + [o.split("[check ")[1].split("]")[0] for o in err.value.others]
    assert check in checks
    if err.value.check == check:
        assert i in err.value.rows.index


def test_the_city_schema_has_the_same_rate_bound(panel):
    df = panel.copy()
    df.insert(0, "city_id", [f"C{k:05d}" for k in range(len(df))])
    df.insert(1, "city", "Synthetic city")
    df.insert(2, "ori", df["city_id"])
    i = _first_reported(df)
    df.loc[i, "robbery"] = 50_000_000
    df = add_totals_and_rates(df)
    with pytest.raises(PanelSchemaError) as err:
        validate_city_panel(df, name="city_sc")
    assert err.value.check == "violent_rate.range" and list(err.value.rows.index) == [i]


def test_an_offense_rate_out_of_bounds_is_refused_when_present(panel):
    assert "murder_rate" in panel  # the synthetic panel carries one rate per offense
    df = panel.copy()
    i = _first_reported(df)
    df.loc[i, "murder_rate"] = 2 * RATE_CEILING
    with pytest.raises(PanelSchemaError) as err:
        validate_panel(df, name="cius_county")
    assert err.value.check == "murder_rate.range" and list(err.value.rows.index) == [i]
    validate_panel(panel.drop(columns=["murder_rate"]))  # older panels without it still pass
