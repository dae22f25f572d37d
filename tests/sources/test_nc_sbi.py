"""NC SBI county export loader: fixture, real sample, bad input."""

from __future__ import annotations

import csv
import shutil

import pandas as pd
import pytest

from enforcement_crime.sources import census_population, nc_sbi
from enforcement_crime.sources._fetch import SourceError

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
