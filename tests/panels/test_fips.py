"""County FIPS repair rules: one test per rule, the report, errors, and the real Census frames."""

from __future__ import annotations

import pandas as pd
import pytest

from enforcement_crime.panels.fips import (
    RULES,
    FipsError,
    is_known_county,
    known_county_fips,
    repair_fips,
)


def frame(rows):
    df = pd.DataFrame(rows, columns=["fips", "year", "murder"])
    df["murder"] = df["murder"].astype("Int64")
    return df


def report_of(report, rule):
    return report.set_index("rule").loc[rule]


def test_every_rule_is_reported_even_when_unused():
    out, report = repair_fips(frame([("37119", 2010, 1)]))
    assert list(report["rule"]) == [r.name for r in RULES]
    assert (report[["rows_changed", "rows_collapsed"]] == 0).all().all()
    assert out["fips_repair"].isna().all() and list(out["fips_original"]) == ["37119"]


def test_shannon_to_oglala_lakota():
    out, report = repair_fips(frame([("46113", 2010, 3), ("46102", 2016, 4)]))
    assert list(out["fips"]) == ["46102", "46102"]
    assert list(out["fips_original"]) == ["46113", "46102"]
    assert report_of(report, "oglala_lakota_2015")["rows_changed"] == 1


def test_shannon_and_oglala_same_year_collide_without_agg():
    with pytest.raises(FipsError, match="46113"):
        repair_fips(frame([("46113", 2014, 3), ("46102", 2014, 4)]))


def test_bedford_city_merged_into_county_with_sum():
    df = frame(
        [
            ("51515", 2010, 2),
            ("51019", 2010, 5),
            ("51515", 2014, None),
            ("51019", 2014, 6),
            ("51019", 2015, 7),
        ]
    )
    out, report = repair_fips(df, agg={"murder": "sum"})
    got = out.set_index("year")["murder"]
    assert got[2010] == 7  # 2 + 5
    assert pd.isna(got[2014])  # a missing part makes the sum missing (never counted as zero)
    assert got[2015] == 7
    assert set(out["fips"]) == {"51019"} and len(out) == 3
    r = report_of(report, "bedford_city_2013")
    assert (r["rows_changed"], r["rows_collapsed"]) == (2, 2)
    # the surviving row is the county's own row
    assert (out["fips_original"] == "51019").all()


def test_merge_without_agg_is_an_error_naming_rows():
    with pytest.raises(FipsError) as err:
        repair_fips(frame([("51515", 2010, 2), ("51019", 2010, 5)]))
    assert "51515" in str(err.value) and "agg" in str(err.value)


def test_virginia_independent_cities_kept_separate():
    df = frame(
        [("51760", 2010, 1), ("51087", 2010, 2), ("51600", 2010, 3)]
    )  # Richmond city, Henrico, Fairfax city
    out, report = repair_fips(df)
    assert list(out["fips"]) == ["51760", "51087", "51600"]
    assert (
        report_of(report, "virginia_independent_cities")["rows_changed"] == 2
    )  # the two cities, kept
    assert out["fips_repair"].isna().all()


def test_virginia_defunct_cities():
    out, report = repair_fips(
        frame([("51560", 2000, 1), ("51005", 2000, 2)]), agg={"murder": "sum"}
    )
    assert list(out["fips"]) == ["51005"] and out["murder"].item() == 3
    assert report_of(report, "virginia_defunct_cities")["rows_collapsed"] == 1


def test_alaska_splits_summed_into_pre_split_unit():
    df = frame(
        [
            ("02232", 2006, 1),
            ("02230", 2008, 2),
            ("02105", 2008, 3),
            ("02261", 2018, 4),
            ("02063", 2020, 5),
            ("02066", 2020, 6),
            ("02270", 2014, 7),
            ("02158", 2016, 8),
        ]
    )
    out, report = repair_fips(df, agg={"murder": "sum"})
    got = out.set_index(["fips", "year"])["murder"]
    assert got[("02232", 2006)] == 1 and got[("02232", 2008)] == 5
    assert got[("02261", 2018)] == 4 and got[("02261", 2020)] == 11
    assert got[("02158", 2014)] == 7 and got[("02158", 2016)] == 8  # Wade Hampton renamed Kusilvak
    r = report_of(report, "alaska_splits")
    assert (r["rows_changed"], r["rows_collapsed"]) == (4, 2)
    assert report_of(report, "kusilvak_2015")["rows_changed"] == 1


def test_broomfield_flagged_before_2002_only():
    df = frame(
        [
            ("08014", 2001, 1),
            ("08014", 2002, 2),
            ("08013", 2000, 3),
            ("08013", 2005, 4),
            ("08031", 2000, 5),
        ]
    )
    out, report = repair_fips(df)
    flagged = out.loc[out["fips_repair"] == "broomfield_pre2002", ["fips", "year"]].values.tolist()
    assert flagged == [["08014", 2001], ["08013", 2000]]
    assert list(out["fips"]) == list(df["fips"])  # no code changed
    assert report_of(report, "broomfield_pre2002")["rows_changed"] == 2


def test_miami_dade_and_other_defunct():
    out, _ = repair_fips(frame([("12025", 1996, 1), ("46131", 1980, 2), ("30113", 1995, 3)]))
    assert list(out["fips"]) == ["12086", "46071", "30067"]


def test_unknown_fips_error_names_rows():
    with pytest.raises(FipsError) as err:
        repair_fips(frame([("37119", 2010, 1), ("37999", 2011, 2)]))
    assert "37999" in str(err.value) and "2011" in str(err.value)


def test_malformed_fips():
    with pytest.raises(FipsError, match="5-digit"):
        repair_fips(frame([("3711", 2010, 1)]))


def test_one_row_per_county_frames():
    df = pd.DataFrame(
        {"fips": ["51515", "51019"], "date": pd.to_datetime(["2010-03-01", "2010-06-01"])}
    )
    out, _ = repair_fips(df, year_col=None, agg={"date": "min"})
    assert list(out["fips"]) == ["51019"] and out["date"].item() == pd.Timestamp("2010-03-01")


def test_known_codes_include_all_rule_codes():
    known = known_county_fips()
    for rule in RULES:
        assert set(rule.mapping) <= known and set(rule.mapping.values()) <= known
    assert {"37119", "08014", "46102", "46113", "51515"} <= known


@pytest.mark.shared_data
def test_real_census_frames_repair_cleanly(shared_data):
    from enforcement_crime.sources import census_population as cp

    d = shared_data / "census_county_pop_tell"
    if not (d / "co-est2009-alldata.csv").exists():
        pytest.skip("census files absent")
    pop = pd.concat(
        [cp.load(d / "co-est2009-alldata.csv"), cp.load(d / "co-est2019-alldata.csv")],
        ignore_index=True,
    )
    out, report = repair_fips(pop, agg={"population": "sum"})
    assert not out.duplicated(["fips", "year"]).any()
    assert "51515" not in set(out["fips"]) and "46113" not in set(out["fips"])
    # row accounting: rows out = rows in - rows collapsed by merges
    assert len(out) == len(pop) - report["rows_collapsed"].sum()
    # Bedford city's population is added to the county in years where both exist
    both = pop[pop["fips"].isin(["51515", "51019"])].groupby("year")["population"].sum()
    got = out[out["fips"] == "51019"].set_index("year")["population"]
    assert (got[both.index] == both).all()


@pytest.mark.parametrize("dtype", ["string", "string[pyarrow]", "str", "object"])
def test_is_known_county_is_isin_of_the_known_codes(dtype):
    """The pyarrow lookup of string columns answers what ``isin(known_county_fips())`` answers,
    a missing code included; other dtypes go through ``isin`` itself."""
    codes = pd.Series(["37119", "51515", "99999", None, "3711", "02270"], dtype=dtype)
    expected = codes.isin(known_county_fips()).to_numpy(dtype=bool)
    got = is_known_county(codes)
    assert got.dtype == bool and got.tolist() == expected.tolist()
    assert got.tolist()[:4] == [True, "51515" in known_county_fips(), False, False]


def test_is_known_county_does_not_read_numbers_as_codes():
    assert is_known_county(pd.Series([37119, "37119"], dtype=object)).tolist() == [False, True]
