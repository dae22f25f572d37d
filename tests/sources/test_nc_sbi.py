"""NC SBI county export loader: fixture, real sample, bad input."""

from __future__ import annotations

import csv
import shutil

import pandas as pd
import pytest

from enforcement_crime.sources import census_population, nc_sbi
from enforcement_crime.sources._checks import SourceError
from enforcement_crime.sources._download import LoginRequired

FIX = "nc_sbi"


def test_fixture_counts_and_rates(fixtures_dir):
    df = nc_sbi.load(fixtures_dir / FIX / "crime_raw.csv")
    assert len(df) == 3  # Alamance 2008, 2009 and the state 2008
    ala = df[(df["place"] == "Alamance") & (df["year"] == 2008)].iloc[0]
    assert ala["fips"] == "37001" and ala["level"] == "county"
    assert ala["burglary"] == 2050 and ala["aggravated_assault"] == 360  # "2,050" with a separator
    assert pd.isna(ala["violent"]) and pd.isna(
        ala["arson"]
    )  # blank in the export: missing, not zero
    assert ala["index_rate"] == pytest.approx(5000.5, abs=0)  # exact decimal parse, no arithmetic
    nc = df[df["place"] == "North Carolina"].iloc[0]
    assert nc["fips"] == "37000" and nc["level"] == "state" and nc["index"] == 400100
    for col in ("murder", "burglary", "index"):
        assert str(df[col].dtype) == "Int64"
    assert df["murder_rate"].dtype == "float64"


def test_nc_county_codes_match_census(fixtures_dir, shared_data):
    path = shared_data / "census_county_pop_tell" / "co-est2019-alldata.csv"
    if not path.exists():
        pytest.skip(f"{path} absent")
    pop = census_population.load(path)
    nc = pop[(pop["state_fips"] == "37") & (pop["year"] == 2010)]
    census = dict(zip(nc["county_name"].str.removesuffix(" County"), nc["fips"], strict=True))
    assert census == nc_sbi.NC_COUNTY_FIPS


@pytest.fixture()
def export(fixtures_dir, tmp_path):
    dst = tmp_path / "crime.csv"
    shutil.copy(fixtures_dir / FIX / "crime_raw.csv", dst)
    return dst


def _set(path, line, column, value):
    rows = list(csv.reader(open(path, newline="")))
    rows[line - 1][rows[0].index(column)] = value
    with open(path, "w", newline="") as fh:
        csv.writer(fh).writerows(rows)


def test_non_numeric(export):
    _set(export, 4, "robbery", "n/a")
    with pytest.raises(SourceError, match="row 4.*'robbery'.*n/a"):
        nc_sbi.load(export)


def test_negative(export):
    _set(export, 4, "murder", "-7")
    with pytest.raises(SourceError, match="row 4.*'murder'.*non-negative"):
        nc_sbi.load(export)


def test_fractional_count(export):
    _set(export, 4, "murder", "7.5")
    with pytest.raises(SourceError, match="row 4.*whole-number"):
        nc_sbi.load(export)


def test_unknown_county(export):
    _set(export, 2, "geo_description", "Alamanc")
    with pytest.raises(SourceError, match="row 2.*geo_description.*Alamanc"):
        nc_sbi.load(export)


def test_duplicate_and_missing_column(export):
    rows = list(csv.reader(open(export, newline="")))
    with open(export, "w", newline="") as fh:
        csv.writer(fh).writerows([*rows, rows[3]])
    with pytest.raises(SourceError, match="duplicate"):
        nc_sbi.load(export)
    with open(export, "w", newline="") as fh:
        csv.writer(fh).writerows([r[:-1] for r in rows])
    with pytest.raises(SourceError, match="estimate"):
        nc_sbi.load(export)


def test_bad_estimate_kind(export):
    _set(export, 2, "estimate", "percent")
    with pytest.raises(SourceError, match="row 2.*estimate"):
        nc_sbi.load(export)


def test_truncated(export):
    data = export.read_bytes()
    export.write_bytes(data[:-40])
    with pytest.raises(SourceError):
        nc_sbi.load(export)


@pytest.mark.shared_data
def test_real_sample(shared_data):
    path = shared_data / "nc_sbi_forsythfutures" / "crime_raw.csv"
    if not path.exists():
        pytest.skip(f"{path} absent")
    df = nc_sbi.load(path)
    # 80 export rows (PROVENANCE.md) = 4 places x 10 years x (rate, number)
    assert len(df) == 40
    assert set(df["place"]) == {"Durham", "Forsyth", "Guilford", "North Carolina"}
    assert sorted(df["year"].unique()) == list(range(2008, 2018))
    nc = df[df["level"] == "state"]
    # internal consistency of the SBI's own totals: violent = the four violent offenses,
    # property = burglary + larceny + motor-vehicle theft (exact integer arithmetic)
    assert (
        nc["violent"] == nc["murder"] + nc["rape"] + nc["robbery"] + nc["aggravated_assault"]
    ).all()
    assert (nc["property"] == nc["burglary"] + nc["larceny"] + nc["motor_vehicle_theft"]).all()
    assert (nc["index"] == nc["violent"] + nc["property"]).all()
    county = df[df["level"] == "county"]
    assert county["violent"].isna().all() and county["murder"].notna().all()
    assert county["violent_rate"].notna().all()


def test_export_cut_mid_line_names_the_last_line(export):
    data = export.read_bytes()
    cut = data[: data.rstrip().rindex(b"\n") + 20]  # 20 bytes of the last record
    export.write_bytes(cut)
    n_last = cut.count(b"\n") + 1
    with pytest.raises(SourceError, match=rf"crime.csv: row {n_last}: the last line"):
        nc_sbi.load(export)


def test_fetch_says_one_truthful_thing(tmp_path):
    with pytest.raises(LoginRequired) as err:
        nc_sbi.fetch(tmp_path)
    msg = str(err.value)
    assert "No account or login is needed" in msg and "needs a login" not in msg
    assert str(tmp_path) in msg and nc_sbi.URL in msg and "CrimeDataByCounty" in msg


# ---------------------------------------------------------------------------
# county-rates tables (CrimeDataByCounty<year>.csv)
# ---------------------------------------------------------------------------

RATE_COLS = dict(zip(nc_sbi.RATES_COLUMN_MAP, nc_sbi.RATES_COLUMN_MAP.values(), strict=True))


def _rate_rows(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_county_rates_fixture_folder(fixtures_dir):
    folder = fixtures_dir / FIX
    df = nc_sbi.load_county_rates(folder)
    files = sorted(folder.glob("CrimeDataByCounty*.csv"))
    # independent reading with the csv module: every county row, every rate cell
    expected = {}
    statewide = 0
    for f in files:
        for rec in _rate_rows(f):
            if rec["County"] == "Statewide County":
                statewide += 1
                continue
            key = (rec["County"].removesuffix(" County"), int(rec["Year"]))
            expected[key] = {
                dst: float(rec[src].replace(",", "")) if rec[src] else None
                for src, dst in RATE_COLS.items()
            }
    assert len(df) == len(expected) and statewide == len(df.attrs["statewide_rows"]) == 2
    for _, row in df.iterrows():
        want = expected[(row["county_name"], row["year"])]
        for col, v in want.items():
            assert (pd.isna(row[col]) and v is None) or row[col] == v, (row["county_name"], col)
        assert row["fips"] == nc_sbi.NC_COUNTY_FIPS[row["county_name"]]
    assert not df.duplicated(["fips", "year"]).any()
    assert (df["unit"] == nc_sbi.RATE_UNIT).all() and df.attrs["unit"] == nc_sbi.RATE_UNIT
    assert "per 100,000" in nc_sbi.RATE_UNIT and "SBI" in nc_sbi.RATE_UNIT
    for col in RATE_COLS.values():
        assert df[col].dtype == "float64"
    wake = df[df["county_name"] == "Wake"]
    assert (~wake["reported"]).all() and wake[list(RATE_COLS.values())].isna().all().all()
    for year in df["year"].unique():
        missing = df.attrs["missing_counties"][int(year)]
        present = set(df.loc[df["year"] == year, "county_name"])
        assert set(missing) | present == set(nc_sbi.NC_COUNTY_FIPS) and not set(missing) & present
        assert "Alamance" in missing and df.attrs["unreported"][int(year)] == ["Wake"]


def test_county_rates_one_file(fixtures_dir):
    df = nc_sbi.load_county_rates(fixtures_dir / FIX / "CrimeDataByCounty2016.csv")
    assert set(df["year"]) == {2016} and df["source"].eq("CrimeDataByCounty2016.csv").all()
    # the line column points back at the file
    rows = _rate_rows(fixtures_dir / FIX / "CrimeDataByCounty2016.csv")
    for _, r in df.iterrows():
        assert rows[r["line"] - 2]["County"] == f"{r['county_name']} County"


@pytest.fixture()
def rates(fixtures_dir, tmp_path):
    dst = tmp_path / "CrimeDataByCounty2015.csv"
    shutil.copy(fixtures_dir / FIX / "CrimeDataByCounty2015.csv", dst)
    return dst


def _set_rate(path, county, column, value):
    rows = list(csv.reader(open(path, newline="")))
    for r in rows:
        if r[0] == county:
            r[rows[0].index(column)] = value
    with open(path, "w", newline="") as fh:
        csv.writer(fh, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)


def test_county_rates_first_half_cut_mid_line(rates):
    data = rates.read_bytes()
    half = data[: len(data) // 2]
    if half.endswith(b"\n"):
        half = half[:-3]
    rates.write_bytes(half)
    n_last = half.count(b"\n") + 1
    with pytest.raises(SourceError, match=rf"row {n_last}: the last line has"):
        nc_sbi.load_county_rates(rates)


def test_county_rates_cut_at_a_line_boundary(rates):
    lines = rates.read_bytes().splitlines(keepends=True)
    rates.write_bytes(b"".join(lines[:5]))  # parses cleanly, stops at Stanly
    with pytest.raises(SourceError, match=r"incomplete file: the counties stop at 'Stanly'"):
        nc_sbi.load_county_rates(rates)


@pytest.mark.parametrize("value", ["n/a", "-3.0", "1.234,5", "12,34"])
def test_county_rates_bad_number(rates, value):
    _set_rate(rates, "Durham County", "Robbery Rate", value)
    with pytest.raises(SourceError, match=r"row 4: column 'Robbery Rate': expected a non-negative"):
        nc_sbi.load_county_rates(rates)


def test_county_rates_unknown_county_and_year(rates):
    _set_rate(rates, "Durham County", "County", "Durhm County")
    with pytest.raises(SourceError, match=r"row 4: column 'County'.*'Durhm County'"):
        nc_sbi.load_county_rates(rates)
    _set_rate(rates, "Durhm County", "County", "Durham County")
    _set_rate(rates, "Durham County", "Year", "2014")
    with pytest.raises(
        SourceError, match=r"row 4: column 'Year': Year 2014 in a file named for 2015"
    ):
        nc_sbi.load_county_rates(rates)


def test_county_rates_duplicates_and_missing_column(rates, tmp_path):
    rows = list(csv.reader(open(rates, newline="")))
    with open(rates, "w", newline="") as fh:
        csv.writer(fh, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows([*rows, rows[1]])
    with pytest.raises(SourceError, match="duplicate"):
        nc_sbi.load_county_rates(rates)
    with open(rates, "w", newline="") as fh:
        csv.writer(fh).writerows([r[:-1] for r in rows])
    with pytest.raises(SourceError, match="Arson Rate"):
        nc_sbi.load_county_rates(rates)


def test_county_rates_folder_errors(fixtures_dir, tmp_path):
    with pytest.raises(SourceError, match="no CrimeDataByCounty"):
        nc_sbi.load_county_rates(tmp_path)
    for name in ("CrimeDataByCounty2015.csv", "CrimeDataByCounty2015b.csv"):
        shutil.copy(fixtures_dir / FIX / "CrimeDataByCounty2015.csv", tmp_path / name)
    with pytest.raises(SourceError, match="appears in more than one file"):
        nc_sbi.load_county_rates(tmp_path)


@pytest.mark.shared_data
def test_real_county_rates(shared_data):
    folder = shared_data / "nc_sbi_county_rates"
    files = sorted(folder.glob("CrimeDataByCounty*.csv"))
    if not files:
        pytest.skip(f"{folder} holds no CrimeDataByCounty*.csv")
    df = nc_sbi.load_county_rates(folder)
    years = sorted(df["year"].unique())
    assert len(years) == len(files)  # one year per file, whatever years the folder holds
    assert {2014, 2015, 2016} <= set(years)  # the CIUS comparison years
    by_year = df.groupby("year")
    for y, part in by_year:
        # independent count with the csv module: every row of the file except the Statewide one
        recs = _rate_rows(folder / f"CrimeDataByCounty{y}.csv")
        assert len(part) == sum(r["County"] != "Statewide County" for r in recs)
        assert 90 <= len(part) <= 100 and part["fips"].is_unique
        assert len(df.attrs["missing_counties"][int(y)]) == 100 - len(part)
    assert set(df["fips"]) <= set(nc_sbi.NC_COUNTY_FIPS.values())
    rep = df[df["reported"]]
    assert (df.loc[~df["reported"], list(RATE_COLS.values())].isna().all(axis=1)).all()
    rates_ = rep[list(RATE_COLS.values())]
    assert (rates_.fillna(0) >= 0).all().all() and (rep["index_rate"] < 20_000).all()
    # the SBI's own arithmetic, within the rounding of one-decimal rates: a check of the parse
    # (thousands separators) and of reading blanks in reported rows as zero rates
    z = rep[list(RATE_COLS.values())].fillna(0)  # e.g. Jones 2017: violent blank, index = property
    violent = z[["murder_rate", "rape_rate", "robbery_rate", "aggravated_assault_rate"]]
    prop = z[["burglary_rate", "larceny_rate", "motor_vehicle_theft_rate"]]
    assert ((z["violent_rate"] - violent.sum(axis=1)).abs() <= 0.25 + 1e-9).all()
    assert ((z["property_rate"] - prop.sum(axis=1)).abs() <= 0.15 + 1e-9).all()
    assert ((z["index_rate"] - z["violent_rate"] - z["property_rate"]).abs() <= 0.1 + 1e-9).all()
    assert (rep["index_rate"] > 1000).mean() > 0.5  # thousands separators were parsed


def test_county_rates_names_are_canonical(rates):
    _set_rate(rates, "Durham County", "County", "DURHAM COUNTY")
    df = nc_sbi.load_county_rates(rates)
    assert "Durham" in set(df["county_name"]) and "Durham" not in df.attrs["missing_counties"][2015]
