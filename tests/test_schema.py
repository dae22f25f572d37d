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


BROKEN = [
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
]
"""(column, how it is broken, words of the message): one broken rule each."""


@pytest.mark.parametrize(("column", "breaker", "message"), BROKEN)
def test_broken_panels_are_rejected_naming_column_and_rows(panel, column, breaker, message):
    df = _broken(panel, breaker)
    with pytest.raises(PanelSchemaError) as err:
        validate_panel(df, name="broken.parquet")
    text = str(err.value)
    assert err.value.column == column
    assert message in text
    assert "broken.parquet" in text


def test_rules_run_directly_pass_only_what_pandera_passes(panel):
    """A valid panel is passed by the rules' own functions run directly (pandera is not needed for
    it) and by pandera too; each broken panel above fails the direct run, so pandera judges it and
    writes the report."""
    from enforcement_crime.schema import COUNTY_YEAR, _all_hold

    assert _all_hold(COUNTY_YEAR, panel)
    COUNTY_YEAR.validate(panel.head(400).reset_index(drop=True), lazy=True)
    for column, breaker, _ in BROKEN:
        assert not _all_hold(COUNTY_YEAR, _broken(panel, breaker)), column


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


# ---------------------------------------------------------------- pandera schemas, messages


def test_schemas_are_pandera_with_every_required_column():
    import pandera.pandas as pa

    from enforcement_crime.schema import CITY_REQUIRED_COLUMNS, CITY_YEAR, COUNTY_YEAR

    assert isinstance(COUNTY_YEAR, pa.DataFrameSchema) and isinstance(CITY_YEAR, pa.DataFrameSchema)
    assert list(COUNTY_YEAR.columns) == list(REQUIRED_COLUMNS)
    assert list(CITY_YEAR.columns) == list(CITY_REQUIRED_COLUMNS)
    assert COUNTY_YEAR.unique == ["fips", "year"] and CITY_YEAR.unique == ["city_id", "year"]


def test_message_names_panel_column_check_rows_and_consequences(panel):
    df = panel.head(200).copy()
    df.loc[[11, 40, 41, 42, 43, 44, 45], "violent"] = 10**6
    with pytest.raises(PanelSchemaError) as err:
        validate_panel(df, name="data/processed/cius_county.parquet")
    e = err.value
    text = str(e)
    # the cause, not its consequences (index and violent_rate break too)
    assert e.column == "violent" and e.check == "violent.sum"
    assert text.startswith("data/processed/cius_county.parquet: column 'violent': expected the sum")
    assert "[check violent.sum]" in text and "7 offending row(s), first 5:" in text
    assert list(e.rows.index) == [11, 40, 41, 42, 43, 44, 45]
    assert list(e.rows.columns) == ["fips", "year", "violent"]
    shown = text.split("first 5:\n", 1)[1].split("\nalso broken", 1)[0]
    assert df.loc[11, "fips"] in shown and "1000000" in shown
    assert len(shown.splitlines()) == 2 + 5  # header, index-name line, five rows
    others = "\n".join(e.others)
    assert "[check index.sum]" in others and "[check violent_rate.derived]" in others
    assert "(7 row(s))" in others
    assert "also broken:" in text


def test_wrong_dtype_is_named_with_the_dtype_found(panel):
    df = panel.head(30).copy()
    df["burglary"] = df["burglary"].astype("float64")  # whole numbers, but not an integer dtype
    with pytest.raises(PanelSchemaError) as err:
        validate_panel(df, name="p")
    assert err.value.column == "burglary" and err.value.check == "burglary.dtype"
    assert "got float64" in str(err.value)
    df = panel.head(30).copy()
    df["year"] = df["year"].astype("float64")
    with pytest.raises(PanelSchemaError, match="an integer dtype"):
        validate_panel(df)
    df = panel.head(30).copy()
    df["population"] = df["population"].astype(str)  # digits, but text
    with pytest.raises(PanelSchemaError, match=r"\(a numeric dtype\), got (str|object)") as err:
        validate_panel(df)
    assert err.value.check == "population.dtype"


def test_a_check_that_cannot_run_is_reported_not_raised(panel):
    df = panel.head(30).copy()
    df["g287_start"] = df["g287_start"].astype(str)
    with pytest.raises(PanelSchemaError) as err:
        validate_panel(df, name="p")
    assert err.value.column == "g287_start" and "datetime64" in str(err.value)


def test_rows_are_reported_by_label_with_a_repeated_index(panel):
    df = pd.concat([panel.head(10), panel.head(10)])  # labels 0..9 twice
    with pytest.raises(PanelSchemaError) as err:
        validate_panel(df)
    assert err.value.column == "fips, year" and err.value.check == "key.unique"
    assert len(err.value.rows) == 20 and list(err.value.rows.index) == list(range(10)) * 2


def test_rate_tolerance_is_relative_1e6(panel):
    df = panel.head(50).copy()
    row = df.index[df["violent_rate"].gt(0)][0]
    df.loc[row, "violent_rate"] *= 1 + 1e-8
    validate_panel(df)
    df.loc[row, "violent_rate"] *= 1 + 1e-4
    with pytest.raises(PanelSchemaError) as err:
        validate_panel(df)
    assert err.value.column == "violent_rate" and list(err.value.rows.index) == [row]


def test_empty_source_string_is_rejected(panel):
    df = panel.head(20).copy()
    df.loc[3, "source"] = "  "
    with pytest.raises(PanelSchemaError, match="non-empty source") as err:
        validate_panel(df)
    assert list(err.value.rows.index) == [3]


def test_validation_of_the_full_synthetic_panel_is_fast(panel):
    import time

    start = time.perf_counter()
    validate_panel(panel)
    elapsed = time.perf_counter() - start
    # about 0.07 s when written (3,143 counties x 17 years); 2 s leaves room for a busy machine
    assert elapsed < 2.0, elapsed


# ---------------------------------------------------------------- city-year schema


def _city_panel(panel: pd.DataFrame) -> pd.DataFrame:
    """Three cities x the years of two counties; two cities share county 01001."""
    county = panel[panel["fips"].isin(["01001", "01003"])]
    parts = []
    for city_id, city, fips in [
        ("AL00101", "Alpha", "01001"),
        ("AL00102", "Beta", "01001"),
        ("AL00301", "Gamma", "01003"),
    ]:
        c = county[county["fips"] == fips].copy()
        c.insert(0, "ori", city_id)
        c.insert(0, "city", city)
        c.insert(0, "city_id", city_id)
        parts.append(c)
    out = pd.concat(parts, ignore_index=True)
    for col in ("city_id", "city", "ori"):
        out[col] = out[col].astype("string")
    return out


def test_city_panel_passes_with_a_county_repeated_within_a_year(panel):
    from enforcement_crime.schema import CITY_REQUIRED_COLUMNS, validate_city_panel

    city = _city_panel(panel)
    assert set(CITY_REQUIRED_COLUMNS) <= set(city.columns)
    assert validate_city_panel(city, name="city_sc") is city
    # the same frame is no county-year panel: fips repeats within a year
    with pytest.raises(PanelSchemaError) as err:
        validate_panel(city, name="city_sc")
    assert err.value.column == "fips, year"


@pytest.mark.parametrize(
    ("column", "breaker", "message"),
    [
        (
            "city_id, year",
            lambda d: pd.concat([d, d.iloc[[0]]], ignore_index=True),
            "unique key pairs",
        ),
        ("city_id", lambda d: d.assign(city_id=d["city_id"].mask(d.index == 4)), "non-missing"),
        ("ori", lambda d: d.drop(columns=["ori"]), "required city-panel columns"),
        ("fips", lambda d: d.assign(fips=d["fips"].mask(d.index == 2, "1001")), "5-digit"),
        ("murder", lambda d: d.assign(murder=d["murder"].mask(d.index == 6, -1)), "non-negative"),
        (
            "state_fips",
            lambda d: d.assign(state_fips=d["state_fips"].mask(d.index == 8, "02")),
            "first two digits of fips",
        ),
        (
            "sc_activation_date",
            lambda d: d.assign(
                sc_activation_date=d["sc_activation_date"].mask(
                    d.index == 0, pd.Timestamp("2001-01-01")
                )
            ),
            "one value per city",
        ),
    ],
)
def test_broken_city_panels_are_rejected(panel, column, breaker, message):
    from enforcement_crime.schema import validate_city_panel

    df = breaker(_city_panel(panel))
    with pytest.raises(PanelSchemaError) as err:
        validate_city_panel(df, name="city_sc.parquet")
    assert err.value.column == column
    assert message in str(err.value) and "city_sc.parquet" in str(err.value)


def test_city_error_rows_show_city_id_name_and_year(panel):
    from enforcement_crime.schema import validate_city_panel

    df = _city_panel(panel)
    df.loc[[5, 20], "robbery"] = -3
    with pytest.raises(PanelSchemaError) as err:
        validate_city_panel(df)
    rows = err.value.rows
    assert list(rows.index) == [5, 20]
    assert list(rows.columns) == ["city_id", "city", "year", "robbery"]
    assert "Alpha" in str(err.value) and "Beta" in str(err.value)


def test_city_timing_may_differ_between_cities_of_one_county(panel):
    """Timing is constant per city, not per county."""
    from enforcement_crime.schema import validate_city_panel

    df = _city_panel(panel)
    beta = df["city_id"] == "AL00102"
    df.loc[beta, "sc_activation_date"] = pd.Timestamp("2012-06-01")
    validate_city_panel(df)


def test_every_offense_rate_is_checked_when_present_and_optional_when_absent(panel):
    from enforcement_crime.schema import OFFENSE_RATE_COLUMNS

    df = panel.head(200).copy()
    df.loc[df.index[3], "burglary_rate"] = df["burglary_rate"].iloc[3] * 1.5 + 1.0
    with pytest.raises(PanelSchemaError, match="burglary_rate"):
        validate_panel(df)
    older = panel.head(200).drop(columns=list(OFFENSE_RATE_COLUMNS))  # a panel built before
    validate_panel(older)
