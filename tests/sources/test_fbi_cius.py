"""CIUS Tables 8, 10, 11: committed fixtures in every layout, bad input, and the real copies."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from enforcement_crime.sources import fbi_cius
from enforcement_crime.sources._fetch import SourceError

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
    for path in sorted(fx.glob("table*/*.xls")):
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
    import enforcement_crime.sources._fetch as f

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
