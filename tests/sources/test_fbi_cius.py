"""CIUS Tables 8, 10, 11: committed fixtures in every layout, bad input, and the real copies."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from enforcement_crime.sources import fbi_cius
from enforcement_crime.sources._checks import SourceError

COUNTS = [
    "violent",
    "murder",
    "rape_revised",
    "rape_legacy",
    "robbery",
    "aggravated_assault",
    "property",
    "burglary",
    "larceny",
    "motor_vehicle_theft",
]


@pytest.fixture(scope="module")
def fx(fixtures_dir: Path) -> Path:
    return fixtures_dir / "fbi_cius"


def _row(df: pd.DataFrame, agency: str) -> pd.Series:
    hit = df[df["agency"] == agency]
    assert len(hit) == 1, f"{agency!r} appears {len(hit)} times"
    return hit.iloc[0]


# ---------------------------------------------------------------- fixtures


def test_city_2006_title_rows_footnotes_text_numbers_and_blanks(fx):
    df = fbi_cius.load(fx / "table08_city" / "2006.xls")
    assert (
        (df["table"] == "city").all()
        and (df["table_number"] == "8").all()
        and (df["year"] == 2006).all()
    )
    # the generator writes Charlotte-Mecklenburg3: murder 60, rape 150, robbery 1500, assault 3000 -> violent 4710
    ch = _row(df, "Charlotte-Mecklenburg")
    assert ch["footnotes"] == "3"
    assert (ch["violent"], ch["murder"], ch["rape_legacy"], ch["population"]) == (
        4710,
        60,
        150,
        800000,
    )
    assert pd.isna(ch["rape_revised"]), "before 2013 only the legacy (forcible) rape column exists"
    # state written once per block, filled down; "ALABAMA2" loses its footnote digit
    assert _row(df, "Raleigh")["state"] == "NORTH CAROLINA"
    assert _row(df, "Prattville")["state"] == "ALABAMA"
    # "2,050" stored as text with a thousands separator
    assert _row(df, "Cary")["property"] == 2050
    # a blank cell stays missing, never zero
    assert pd.isna(_row(df, "Matthews")["larceny"])
    for c in COUNTS + ["population"]:
        assert str(df[c].dtype) == "Int64"


def test_every_sheet_row_is_accounted_for(fx):
    for path in sorted(fx.glob("table*/*.xls")) + [fx / "large_cities_2004" / "2004.xls"]:
        df = fbi_cius.load(path)
        skipped = df.attrs["rows_skipped"]
        assert len(df) + sum(skipped.values()) == df.attrs["sheet_rows"], path


def test_city_2010_without_title_rows_year_from_file_name(fx):
    df = fbi_cius.load(fx / "table08_city" / "2010.xls")
    assert (df["year"] == 2010).all()
    assert df["table_number"].isna().all(), (
        "the uploader deleted the title rows: the table number is unknown"
    )
    assert len(df) == 8 and df.attrs["rows_skipped"]["footnote_text"] == 2


def test_2013_keeps_revised_and_legacy_rape_apart(fx):
    df = fbi_cius.load(fx / "table08_city" / "2013.xls")
    durham = _row(df, "Durham")  # the generator marks Durham as a legacy-definition reporter
    assert pd.isna(durham["rape_revised"]) and durham["rape_legacy"] == 60
    raleigh = _row(df, "Raleigh")
    assert raleigh["rape_revised"] == 80 and pd.isna(raleigh["rape_legacy"])


def test_2016_table_numbers(fx):
    assert set(fbi_cius.load(fx / "table08_city" / "2016.xls")["table_number"]) == {"6"}
    county = fbi_cius.load(fx / "table10_county" / "2016.xls")
    assert set(county["table"]) == {"county"} and set(county["table_number"]) == {"8"}


@pytest.mark.parametrize("year", [2004, 2005, 2009, 2013])
def test_county_layouts_agree(fx, year):
    """2004 one-column, 2005 U+E83A, 2009/2013 ' - ': same agencies, groups and counts (made-up, equal by design)."""
    df = fbi_cius.load(fx / "table10_county" / f"{year}.xls")
    assert (df["table"] == "county").all()
    got = df.set_index("agency")
    assert got.loc["Alamance", "state"] == "NORTH CAROLINA"
    assert got.loc["Alamance", "agency_group"] == "Metropolitan Counties"
    assert got.loc["Ashe", "agency_group"] == "Nonmetropolitan Counties"
    # Alamance in every county fixture: murder 1, rape 5, robbery 10, assault 40; burglary 300, larceny 600, mvt 50
    rape = (
        got.loc["Alamance", "rape_revised"] if year >= 2013 else got.loc["Alamance", "rape_legacy"]
    )
    assert (got.loc["Alamance", "violent"], rape, got.loc["Alamance", "property"]) == (56, 5, 950)
    assert "Wake" in got.index  # "Wake2" in 2005: footnote stripped


def test_2004_sub_headers_and_text_numbers(fx):
    df = fbi_cius.load(fx / "table10_county" / "2004.xls")
    assert (
        df.attrs["rows_skipped"]["state_or_group_heading"] == 5
    )  # ALABAMA, Metro, NC, Metro, Nonmetro
    assert _row(df, "Durham")["violent"] == 42  # stored as the text "42" in the fixture
    assert _row(df, "Autauga")["state"] == "ALABAMA"


def test_table11_units_and_groups(fx):
    df = fbi_cius.load(fx / "table11_state_tribal_other" / "2013.xls")
    assert set(df["agency_group"]) == {"Tribal Agencies", "State Agencies", "Other Agencies"}
    unc = df[df["unit"].notna()]
    assert list(unc["unit"]) == ["Chapel Hill", "Charlotte"]
    assert set(unc["agency"]) == {"University of North Carolina:"}, (
        "the agency is filled down to its units"
    )
    assert _row(df, "Poarch Creek Tribal")["state"] == "ALABAMA"


# ---------------------------------------------------------------- 2004 large cities, 10,000+ rule

NC_COLUMNS = ["population", *COUNTS, "arson"]


def test_2004_large_city_layout_reads_like_other_years(fx):
    df = fbi_cius.load(fx / "large_cities_2004" / "2004.xls")
    ref = fbi_cius.load(fx / "table08_city" / "2006.xls")
    assert list(df.columns) == list(ref.columns), "same tidy frame as the State-column layout"
    assert (df["table"] == "city").all() and (df["year"] == 2004).all()
    assert set(df["table_number"]) == {"8"}
    # state-name rows are headings, footnote digits leave state and city names
    assert _row(df, "Springfield")["state"] == "ILLINOIS"  # "ILLINOIS4, 5" then "Springfield3"
    assert _row(df, "Springfield")["footnotes"] == "3"
    assert _row(df, "Mobile")["state"] == "ALABAMA" and _row(df, "Mobile")["footnotes"] == "2"
    assert df.attrs["rows_skipped"]["state_or_group_heading"] == 3
    # blank cells stay missing (Illinois rape not published)
    assert pd.isna(_row(df, "Springfield")["violent"])
    assert pd.isna(_row(df, "Springfield")["rape_legacy"])
    # coverage recorded in a column and in attrs
    assert (df["population_floor"] == 10_000).all()
    assert "10,000 and over only" in df.attrs["coverage"]
    assert (ref["population_floor"] == 0).all() and ref.attrs["coverage"] == "all cities"
    county = fbi_cius.load(fx / "table10_county" / "2004.xls")
    assert county["population_floor"].isna().all()


def test_2004_equals_the_10000_rule_applied_to_a_full_table(fx):
    """The generator gives NC the same cities and counts in 2004 and 2010 (2010 adds one small town)."""
    y04 = fbi_cius.load(fx / "large_cities_2004" / "2004.xls")
    y10 = fbi_cius.load(fx / "table08_city" / "2010.xls", min_city_population=10_000)
    nc04 = y04[(y04["state"] == "NORTH CAROLINA") & (y04["agency"] != "Exactly Ten Thousand")]
    nc10 = y10[y10["state"] == "NORTH CAROLINA"]
    a = nc04.set_index("agency")[NC_COLUMNS].sort_index()
    b = nc10.set_index("agency")[NC_COLUMNS].sort_index()
    pd.testing.assert_frame_equal(a, b)
    assert "Nowhere Town" not in set(y10["agency"])
    assert (y10["population_floor"] == 10_000).all()


def test_large_cities_counts_what_it_removes(fx):
    full = fbi_cius.load(fx / "table08_city" / "2006.xls")
    big = fbi_cius.large_cities(full)
    assert len(full) - len(big) == 1  # Nowhere Town, 1,200 inhabitants
    rule = big.attrs["large_city_rule"]
    assert rule["min_population"] == 10_000
    assert rule["by_table_year"]["city 2006"] == {
        "rows_in": len(full),
        "kept": len(full) - 1,
        "below_min_population": 1,
        "population_blank": 0,
    }
    # still every sheet row accounted for
    assert len(big) + sum(big.attrs["rows_skipped"].values()) == big.attrs["sheet_rows"]
    assert big.attrs["rows_skipped"]["city_below_min_population"] == 1
    # the boundary: 10,000 stays, 9,999 goes; a blank population cannot be judged and goes
    edited = full.copy()
    edited.loc[edited["agency"] == "Cary", "population"] = 9_999
    edited.loc[edited["agency"] == "Matthews", "population"] = 10_000
    edited.loc[edited["agency"] == "Durham", "population"] = pd.NA
    kept = fbi_cius.large_cities(edited)
    assert set(full["agency"]) - set(kept["agency"]) == {"Cary", "Durham", "Nowhere Town"}
    assert kept.attrs["large_city_rule"]["by_table_year"]["city 2006"]["population_blank"] == 1
    # county (Table 10) rows are not touched
    county = fbi_cius.load(fx / "table10_county" / "2009.xls")
    both = fbi_cius.large_cities(pd.concat([full, county], ignore_index=True))
    assert (both["table"] == "county").sum() == len(county)
    assert both.attrs["large_city_rule"]["by_table_year"]["county 2009"]["kept"] == len(county)


def test_large_cities_refuses_a_rule_below_the_2004_floor(fx):
    y04 = fbi_cius.load(fx / "large_cities_2004" / "2004.xls")
    with pytest.raises(ValueError, match="2004 city table lists only cities of 10,000 and over"):
        fbi_cius.large_cities(y04, 5_000)
    with pytest.raises(ValueError, match="min_population must be >= 0"):
        fbi_cius.large_cities(y04, -1)
    with pytest.raises(ValueError, match=r"columns \['population_floor'\] missing"):
        fbi_cius.large_cities(y04.drop(columns="population_floor"))
    # the boundary is inclusive: a city of exactly 10,000 is "10,000 and over"
    assert "Exactly Ten Thousand" in set(fbi_cius.large_cities(y04)["agency"])


def test_year_from_the_file_names_fetch_prescribes(fx, tmp_path, monkeypatch):
    """``fetch`` writes ``<table>_<year>.xls``; the 2010 fixture has no title row to read a year from."""
    import enforcement_crime.sources._download as f

    names = []
    monkeypatch.setattr(f, "fetch_file", lambda url, dest, *a, **k: names.append(Path(dest).name))
    fbi_cius.fetch(tmp_path, years=[2010, 2011], tables=("city",), progress=False)
    assert names == ["city_2010.xls", "city_2011.xls"]
    data = (fx / "table08_city" / "2010.xls").read_bytes()
    for name in names + [
        "table_8_offenses_known_to_law_enforcement_by_state_by_city_2011.xls",
        "county_2016.xls",
    ]:
        path = tmp_path / name
        path.write_bytes(data)
        expect = int(re.findall(r"\d{4}", name)[-1])
        assert (fbi_cius.load(path)["year"] == expect).all(), name
    glued = tmp_path / "city_20101.xls"  # five digits: no year
    glued.write_bytes(data)
    with pytest.raises(SourceError, match="city_20101.xls: cannot tell the year"):
        fbi_cius.load(glued)


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("name", "pattern"),
    [
        ("renamed_column.xls", r"row 5: column 'Violent offenses': unexpected column header"),
        ("missing_column.xls", r"missing column\(s\) \['property'\]"),
        ("non_numeric.xls", r"row 7: column 'Robbery': expected a number, got '12a'"),
        ("negative.xls", r"row 7: column 'Forcible rape': expected a non-negative count, got -3"),
        ("duplicate.xls", r"rows 7, 8: column 'agency': duplicate agency"),
    ],
)
def test_bad_files_raise_naming_file_row_column(fx, name, pattern):
    with pytest.raises(SourceError, match=pattern) as info:
        fbi_cius.load(fx / "bad" / name)
    assert name in str(info.value)


def test_truncated_and_corrupt_files(fx, tmp_path):
    data = (fx / "table08_city" / "2006.xls").read_bytes()
    cut = tmp_path / "cut.xls"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(SourceError, match=r"cut\.xls: cannot be read as an Excel workbook"):
        fbi_cius.load(cut)
    junk = tmp_path / "junk.xls"
    junk.write_bytes(b"<html>not found</html>")
    with pytest.raises(SourceError, match="junk.xls"):
        fbi_cius.load(junk)
    with pytest.raises(FileNotFoundError):
        fbi_cius.load(tmp_path / "absent.xls")


def test_year_mismatch(fx):
    with pytest.raises(SourceError, match="title says year 2006 but year=2007"):
        fbi_cius.load(fx / "table08_city" / "2006.xls", year=2007)


def test_load_folder_refuses_two_copies_of_one_table(fx, tmp_path):
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "2006.xls").write_bytes((fx / "table08_city" / "2006.xls").read_bytes())
    with pytest.raises(ValueError, match="two files hold the CIUS city table of 2006"):
        fbi_cius.load_folder(tmp_path)


def test_url_patterns_and_fetch_without_network(monkeypatch, tmp_path):
    # patterns from fbi_cius_tables/PROVENANCE.md
    assert (
        fbi_cius.url_for("city", 2006)
        == "https://www2.fbi.gov/ucr/cius2006/data/documents/06tbl08.xls"
    )
    assert (
        fbi_cius.url_for("county", 2005)
        == "https://www2.fbi.gov/ucr/05cius/data/documents/05tbl10.xls"
    )
    assert (
        fbi_cius.url_for("city", 2004) == "https://www2.fbi.gov/ucr/cius_04/documents/04tbl08a.xls"
    )
    assert (
        fbi_cius.url_for("city", 2010)
        == "https://ucr.fbi.gov/crime-in-the-u.s/2010/crime-in-the-u.s.-2010/tables/10tbl08.xls"
    )
    assert fbi_cius.url_for("city", 2016).endswith(
        "/2016/crime-in-the-u.s.-2016/tables/table-6/table-6.xls"
    )
    with pytest.raises(ValueError, match="no known download URL"):
        fbi_cius.url_for("state_other", 2016)
    calls = []
    import enforcement_crime.sources._download as f

    monkeypatch.setattr(
        f,
        "fetch_file",
        lambda url, dest, *a, **k: calls.append((url, Path(dest).name)) or Path(dest),
    )
    got = fbi_cius.fetch(tmp_path, years=[2013], progress=False)
    assert [name for _, name in calls] == [
        "city_2013.xls",
        "county_2013.xls",
        "state_other_2013.xls",
    ]
    assert len(got) == 3


# ---------------------------------------------------------------- real copies


@pytest.fixture(scope="module")
def real(shared_data: Path) -> dict[Path, pd.DataFrame]:
    files = sorted(shared_data.glob("fbi_cius_table10_county_sheriff/*.xls")) + sorted(
        shared_data.glob("fbi_cius_tables/*/*.xls")
    )
    if not files:
        pytest.skip("no CIUS copies in the shared data folder")
    return {p: fbi_cius.load(p) for p in files}


# agency rows per file, from fbi_cius_tables/PROVENANCE.md ("rows / data rows", approximate there: +-2)
PROVENANCE_ROWS = {
    ("city", 2006): 8252,
    ("city", 2009): 9146,
    ("city", 2010): 9310,
    ("city", 2013): 9292,
    ("city", 2014): 9347,
    ("city", 2015): 9395,
    ("city", 2016): 9579,
    ("county", 2004): 1071,
    ("county", 2005): 2287,
}


@pytest.mark.shared_data
def test_real_copies_load_with_expected_tables_and_years(real):
    keys = {(df["table"].iloc[0], int(df["year"].iloc[0])) for df in real.values()}
    assert {("county", y) for y in range(2004, 2017)} <= keys
    assert {("city", y) for y in (2006, 2009, 2010, 2013, 2014, 2015, 2016)} <= keys
    assert {("state_other", y) for y in (2013, 2014, 2015)} <= keys
    for path, df in real.items():
        key = (df["table"].iloc[0], int(df["year"].iloc[0]))
        assert len(df) + sum(df.attrs["rows_skipped"].values()) == df.attrs["sheet_rows"], path
        if key in PROVENANCE_ROWS:
            # PROVENANCE gives "~N data rows": allow 2 rows either way for its rounding
            assert abs(len(df) - PROVENANCE_ROWS[key]) <= 2, (path, len(df))


@pytest.mark.shared_data
def test_real_names_clean_and_rape_definitions(real):
    for path, df in real.items():
        assert not df["agency"].str.contains(r"[A-Za-z]\d+$", regex=True).any(), (
            f"footnote digit left in {path}"
        )
        assert not df["state"].str.contains(r"\d").any(), path
        year = int(df["year"].iloc[0])
        if year < 2013:
            assert df["rape_revised"].isna().all(), path
        else:
            # most agencies report the revised definition from 2013 (PROVENANCE / the tables' footnotes)
            assert df["rape_revised"].notna().mean() > 0.5, path


@pytest.fixture(scope="module")
def real_2004(shared_data: Path) -> pd.DataFrame:
    path = shared_data / "fbi_cius_table8_2004_large_cities" / "2004.xls"
    if not path.is_file():
        pytest.skip(f"{path} absent")
    return fbi_cius.load(path)


@pytest.mark.shared_data
def test_real_2004_large_cities(real_2004):
    df = real_2004
    # PROVENANCE.md: "Sheet rows / city rows: 3005 / ~2944" (+-2 for its rounding)
    assert df.attrs["sheet_rows"] == 3005
    assert abs(len(df) - 2944) <= 2
    assert len(df) + sum(df.attrs["rows_skipped"].values()) == 3005
    assert df["state"].nunique() == 51  # 50 states and the District of Columbia
    assert not df["agency"].str.contains(r"[A-Za-z]\d+$", regex=True).any()
    assert (df["population"] >= 10_000).all(), "the title says 10,000 and over"
    assert (df["population_floor"] == 10_000).all()
    # the rule applied to the table that defines it removes nothing
    assert len(fbi_cius.large_cities(df)) == len(df)


@pytest.mark.shared_data
def test_real_2004_matches_2005_under_the_rule(real_2004, shared_data):
    """Cities of 10,000+ in 2005 (full table, rule applied) are nearly the 2004 list."""
    y05 = fbi_cius.load(
        shared_data / "fbi_cius_tables" / "table08_city" / "2005.xls", min_city_population=10_000
    )
    k04 = set(zip(real_2004["state"], real_2004["agency"], strict=True))
    k05 = set(zip(y05["state"], y05["agency"], strict=True))
    assert abs(len(k05) - len(k04)) / len(k04) < 0.05
    assert len(k04 & k05) / len(k04) > 0.9
    both = real_2004.merge(y05, on=["state", "agency"], suffixes=("04", "05"))
    growth = both["population05"] / both["population04"]
    assert growth.median() == pytest.approx(1.0, abs=0.02)


@pytest.mark.shared_data
def test_real_2004_agrees_with_xlrd(real_2004, shared_data):
    xlrd = pytest.importorskip("xlrd")
    path = shared_data / "fbi_cius_table8_2004_large_cities" / "2004.xls"
    sheet = xlrd.open_workbook(str(path)).sheet_by_index(0)
    names = [re.sub(r"\s+", " ", str(v)).strip() for v in sheet.row_values(3)]
    assert names[0] == "City by state"
    for row in (real_2004.iloc[len(real_2004) // 3], real_2004.iloc[-1]):
        values = sheet.row_values(int(row["sheet_row"]) - 1)
        assert re.sub(r"\d[\d, ]*$", "", str(values[0]).strip()).strip() == row["agency"]
        for name, ours in {"Population": "population", "Burglary": "burglary"}.items():
            assert row[ours] == int(values[names.index(name)])


@pytest.mark.shared_data
def test_real_mecklenburg_has_no_table10_row(real):
    for df in real.values():
        if df["table"].iloc[0] == "county":
            nc = df[df["state"] == "NORTH CAROLINA"]
            assert len(nc) > 50 and "Mecklenburg" not in set(nc["agency"])


@pytest.mark.shared_data
@pytest.mark.parametrize(
    "sub",
    [
        "fbi_cius_table10_county_sheriff/2006.xls",
        "fbi_cius_table10_county_sheriff/2013.xls",
        "fbi_cius_tables/table10_county/2005.xls",
        "fbi_cius_tables/table08_city/2013.xls",
    ],
)
def test_real_values_agree_with_xlrd(real, shared_data, sub):
    """An independent reader (xlrd) and our calamine-based loader give the same counts for a row."""
    xlrd = pytest.importorskip("xlrd")
    path = shared_data / sub
    df = real[path]
    sheet = xlrd.open_workbook(str(path)).sheet_by_index(0)
    header = next(i for i in range(10) if str(sheet.cell_value(i, 0)).strip() == "State")
    names = [re.sub(r"\s+", " ", str(v)).strip() for v in sheet.row_values(header)]
    row = df.iloc[len(df) // 2]  # a row from the middle of the table
    r = row["sheet_row"] - 1
    values = sheet.row_values(r)
    assert re.sub(r"\d[\d, ]*$", "", str(values[1]).strip()).strip() == row["agency"]
    col = {"Robbery": "robbery", "Burglary": "burglary"}
    for name, ours in col.items():
        j = names.index(name)
        raw = values[j]
        expect = pd.NA if raw in ("", None) else int(float(str(raw).replace(",", "")))
        assert (pd.isna(row[ours]) and pd.isna(expect)) or row[ours] == expect, (sub, name)


@pytest.mark.parametrize(
    "page",
    [
        b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>log in</body></html>\n",
        b"\xef\xbb\xbf\r\n  <html lang='en'><body>404 Not Found</body></html>",
        b"<?xml version='1.0'?>\n<!-- saved page -->\n<html><body>error</body></html>",
    ],
)
def test_a_web_page_saved_as_xls_is_named_as_an_html_page(tmp_path, page):
    path = tmp_path / "table08_2006.xls"
    path.write_bytes(page)
    with pytest.raises(SourceError) as info:
        fbi_cius.load(path)
    text = str(info.value)
    assert str(path) in text and "is an HTML page, not an Excel workbook" in text
    assert "OLE" not in text


def test_a_corrupt_workbook_is_not_called_an_html_page(fx, tmp_path):
    data = (fx / "table08_city" / "2006.xls").read_bytes()
    cut = tmp_path / "cut.xls"
    cut.write_bytes(data[: len(data) // 3])
    with pytest.raises(SourceError, match="cannot be read as an Excel workbook") as info:
        fbi_cius.load(cut)
    assert "HTML" not in str(info.value)
