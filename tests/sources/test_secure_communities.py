"""Secure Communities loader: county extract (csv, dta), plain fips,activation_date CSV, bad input, real copies."""

from __future__ import annotations

import csv
import shutil

import pandas as pd
import pytest

from enforcement_crime.sources import secure_communities as sc
from enforcement_crime.sources._checks import SourceError
from enforcement_crime.sources._download import sha256_of

FIX = "secure_communities"


def test_extract_csv_and_dta_fixtures_agree(fixtures_dir):
    a = sc.load(fixtures_dir / FIX / "sc_activation_dates_county.csv")
    b = sc.load(fixtures_dir / FIX / "sc_activation_county.dta")
    cols = ["fips", "activation_date", "date_precision", "state", "county_name", "note"]
    pd.testing.assert_frame_equal(a[cols], b[cols])
    assert list(a.columns) == [
        "fips",
        "activation_date",
        "date_precision",
        "state",
        "county_name",
        "note",
        "source",
    ]
    assert a["activation_date"].dtype == "datetime64[ns]"


def test_extract_values_month_precision(fixtures_dir):
    df = sc.load(fixtures_dir / FIX / "sc_activation_dates_county.csv").set_index("fips")
    # fixture rows written by make_fixtures.py: Wake 11/2008, Mecklenburg 10/2009, Cook 1/2013
    assert df.loc["37183", "activation_date"] == pd.Timestamp("2008-11-01")
    assert df.loc["37119", "activation_date"] == pd.Timestamp("2009-10-01")
    assert df.loc["17031", "activation_date"] == pd.Timestamp("2013-01-01")
    assert (df["date_precision"].dropna() == "month").all()


def test_blank_rows_are_kept_and_reported(fixtures_dir):
    df = sc.load(fixtures_dir / FIX / "sc_activation_dates_county.csv")
    missing = df[df["activation_date"].isna()]
    assert sorted(missing["state"]) == ["AK", "HI", "PR"]
    assert (
        missing["note"].notna().all() and df.loc[df["activation_date"].notna(), "note"].isna().all()
    )
    assert "Alaska" in missing.set_index("state").loc["AK", "note"]
    assert df.attrs["n_missing_date"] == 3
    assert df.attrs["missing_by_state"] == {"AK": 1, "HI": 1, "PR": 1}


def test_plain_layout_day_and_month_precision(fixtures_dir):
    df = sc.load(fixtures_dir / FIX / "sc_plain.csv").set_index("fips")
    assert df.loc["48201", "activation_date"] == pd.Timestamp("2008-10-27")
    assert df.loc["48201", "date_precision"] == "day"
    assert df.loc["37183", "activation_date"] == pd.Timestamp("2008-11-01")
    assert df.loc["37183", "date_precision"] == "month"
    assert "04013" in df.index  # 4-digit code zero-padded
    assert (
        pd.isna(df.loc["02020", "activation_date"])
        and df.loc["02020", "note"] == "no date in source"
    )


# ---------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------


def _rows(path):
    return list(csv.reader(open(path, newline="")))


def _write(path, rows):
    with open(path, "w", newline="") as fh:
        csv.writer(fh).writerows(rows)


@pytest.fixture()
def extract(fixtures_dir, tmp_path):
    dst = tmp_path / "sc.csv"
    shutil.copy(fixtures_dir / FIX / "sc_activation_dates_county.csv", dst)
    return dst


def _set(path, line, column, value):
    rows = _rows(path)
    rows[line - 1][rows[0].index(column)] = value
    _write(path, rows)


def test_missing_column(extract):
    rows = _rows(extract)
    _write(extract, [r[:4] + r[5:] for r in rows])  # drop activation_month
    with pytest.raises(SourceError, match="activation_month"):
        sc.load(extract)


def test_renamed_column(extract):
    rows = _rows(extract)
    rows[0][rows[0].index("activation_year")] = "act_year"
    _write(extract, rows)
    with pytest.raises(SourceError, match="activation_year"):
        sc.load(extract)


def test_non_numeric_month(extract):
    _set(extract, 3, "activation_month", "Oct")
    with pytest.raises(SourceError) as err:
        sc.load(extract)
    assert "row 3" in str(err.value) and "'activation_month'" in str(err.value)


def test_month_out_of_range(extract):
    _set(extract, 2, "activation_month", "13")
    with pytest.raises(SourceError, match="row 2.*1-12"):
        sc.load(extract)


def test_negative_year(extract):
    _set(extract, 2, "activation_year", "-2010")
    with pytest.raises(SourceError, match="row 2.*activation_year"):
        sc.load(extract)


def test_month_without_year(extract):
    _set(extract, 4, "activation_year", "")
    with pytest.raises(SourceError, match="row 4.*both given or both blank"):
        sc.load(extract)


def test_date_outside_rollout(extract):
    _set(extract, 2, "activation_year", "2007")
    with pytest.raises(SourceError, match="row 2.*outside the SC roll-out"):
        sc.load(extract)


def test_duplicate_fips(extract):
    rows = _rows(extract)
    _write(extract, [*rows, rows[1]])
    with pytest.raises(SourceError, match="duplicate"):
        sc.load(extract)


def test_statefips_mismatch(extract):
    _set(extract, 2, "statefips", "38")
    with pytest.raises(SourceError, match="row 2.*statefips"):
        sc.load(extract)


def test_truncated_file(extract):
    data = extract.read_bytes()
    extract.write_bytes(data[: data.index(b"BEDFORD CITY") + 8])  # cut inside a row
    with pytest.raises(SourceError) as err:
        sc.load(extract)
    assert "row 6" in str(err.value)


def test_truncated_dta(fixtures_dir, tmp_path):
    p = tmp_path / "x.dta"
    p.write_bytes((fixtures_dir / FIX / "sc_activation_county.dta").read_bytes()[:700])
    with pytest.raises(SourceError, match="x.dta"):
        sc.load(p)


def test_plain_bad_date(tmp_path):
    p = tmp_path / "plain.csv"
    p.write_text("fips,activation_date\n48201,2008-10-27\n37183,10/2008\n")
    with pytest.raises(SourceError, match="row 3.*activation_date.*10/2008"):
        sc.load(p)


def test_unknown_layout(tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("county,date\n1,2\n")
    with pytest.raises(SourceError, match="unknown SC layout"):
        sc.load(p)


# ---------------------------------------------------------------------------
# real copies
# ---------------------------------------------------------------------------


@pytest.mark.shared_data
@pytest.mark.parametrize(
    "name", ["activation_dates_makayla_revisedforbalance.dta", "sc_activation_dates_county.csv"]
)
def test_real_extract(shared_data, name):
    path = shared_data / "sc_activation_hhadah" / name
    if not path.exists():
        pytest.skip(f"{path} absent")
    df = sc.load(path)
    # counts from the folder's PROVENANCE.md (an independent description of the file)
    assert len(df) == 3242
    assert df.attrs["n_missing_date"] == 140
    assert df.attrs["missing_by_state"] == {
        "PR": 79,
        "AK": 44,
        "VA": 8,
        "HI": 5,
        "SD": 2,
        "MT": 1,
        "WV": 1,
    }
    assert df["activation_date"].dt.year.value_counts().to_dict() == {
        2008: 14,
        2009: 88,
        2010: 780,
        2011: 1098,
        2012: 1016,
        2013: 106,
    }
    # SC facts (STUDIES.md section 4): first activations Oct 2008, all by 22 Jan 2013
    assert df["activation_date"].min() == pd.Timestamp("2008-10-01")
    assert df["activation_date"].max() <= pd.Timestamp("2013-01-22")
    # spot checks listed in PROVENANCE.md against the published roll-out
    got = df.set_index("fips")["activation_date"]
    for fips, month in {
        "48201": "2008-10",
        "37183": "2008-11",
        "04013": "2009-01",
        "06037": "2009-08",
        "17031": "2013-01",
    }.items():
        assert got[fips] == pd.Timestamp(month + "-01"), fips
    if name.endswith(".dta"):
        assert sha256_of(path) == sc.SHA256[name]


@pytest.mark.shared_data
def test_real_csv_and_dta_agree(shared_data):
    d = shared_data / "sc_activation_hhadah"
    a = sc.load(d / "sc_activation_dates_county.csv").drop(columns="source")
    b = sc.load(d / "activation_dates_makayla_revisedforbalance.dta").drop(columns="source")
    pd.testing.assert_frame_equal(a, b)


# ---------------------------------------------------------------------------
# partial files and out-of-range years, made in the test
# ---------------------------------------------------------------------------


def test_year_201_is_named_not_a_pandas_error(extract):
    _set(extract, 3, "activation_year", "201")
    with pytest.raises(SourceError) as err:
        sc.load(extract)
    msg = str(err.value)
    assert "sc.csv: row 3: column 'activation_year'" in msg
    assert "activation year 201 outside the SC roll-out: expected a year 2008-2013" in msg


def test_year_201_in_a_dta(fixtures_dir, tmp_path):
    df = pd.read_stata(fixtures_dir / FIX / "sc_activation_county.dta")
    df.loc[1, "activation_year"] = "201"  # 2nd observation
    p = tmp_path / "y.dta"
    df.to_stata(p, write_index=False, version=118)
    with pytest.raises(SourceError, match=r"y.dta: row 2: column 'activation_year'.*2008-2013"):
        sc.load(p)


def test_cut_after_the_state_code_is_not_never_treated(extract):
    data = extract.read_bytes()
    cut = data.index(b"COOK,17031,IL") + len(b"COOK,17031,IL")  # the last record
    extract.write_bytes(data[:cut])
    with pytest.raises(SourceError) as err:
        sc.load(extract)
    n_last = data[:cut].count(b"\n") + 1
    assert f"row {n_last}: the last line has 3 fields but the header has 7" in str(err.value)
    assert "truncated" in str(err.value)


def test_first_half_of_the_extract_cut_mid_line(extract):
    data = extract.read_bytes()
    half = data[: len(data) // 2 - 5]
    assert not half.endswith((b"\n", b"\r"))  # mid-line (a cut at a line boundary is legal CSV)
    extract.write_bytes(half)
    with pytest.raises(SourceError, match=r"sc.csv: row \d+: the last line has \d+ fields"):
        sc.load(extract)


def test_row_with_missing_fields_in_the_middle(extract):
    rows = _rows(extract)
    rows[3] = rows[3][:4]
    _write(extract, rows)
    with pytest.raises(
        SourceError, match=r"row 4: line has 4 fields but the header \(line 1\) has 7"
    ):
        sc.load(extract)


def test_extract_cut_at_a_line_boundary_names_the_missing_states(extract):
    lines = extract.read_bytes().splitlines(keepends=True)
    extract.write_bytes(b"".join(lines[:-3]))  # parses cleanly: the last three counties lost
    with pytest.raises(SourceError) as err:
        sc.load(extract)
    msg = str(err.value)
    assert "sc.csv: column 'countyfips': incomplete county extract" in msg
    assert "['54', '55', '56']" in msg and f"line {len(lines) - 3}" in msg


def test_fixture_extract_covers_every_state(fixtures_dir):
    df = sc.load(fixtures_dir / FIX / "sc_activation_dates_county.csv")
    assert set(sc.STATE_FIPS) <= set(df["fips"].str[:2])
    assert len(sc.STATE_FIPS) == 51
