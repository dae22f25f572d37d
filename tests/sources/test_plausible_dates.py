"""Dates and years outside a source's possible window are refused naming file, line, column, value.

Mangled copies of the committed fixtures, made in ``tmp_path``: a 287(g)
signing date before 287(g) existed (IIRIRA, 30 September 1996) or in the
future, and an NC SBI year before the UCR program (1930) or in the future.
"""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from enforcement_crime.sources import g287, nc_sbi
from enforcement_crime.sources._checks import SourceError

NEXT_YEAR = pd.Timestamp.today().year + 1


@pytest.mark.parametrize("bad", ["1899-05-01", f"{NEXT_YEAR + 72}-05-01", "1996-09-29"])
def test_a_287g_signing_date_outside_the_programme_is_refused(tmp_path, fixtures_dir, bad):
    path = tmp_path / "pre2018-agreements-best-guess.csv"
    shutil.copy(fixtures_dir / "g287" / path.name, path)
    g287.load(path)  # the fixture itself loads
    path.write_text(path.read_text().replace('"2006-02-20","CRS', f'"{bad}","CRS', 1))
    with pytest.raises(SourceError, match=bad) as exc:
        g287.load(path)
    text = str(exc.value)
    assert str(path) in text and "first_signed_best" in text and "row 3" in text
    assert "1996-09-30" in text


def test_an_oig_date_in_the_future_is_refused(tmp_path, fixtures_dir):
    path = tmp_path / "historical-oig-2009.csv"
    shutil.copy(fixtures_dir / "g287" / path.name, path)
    path.write_text(path.read_text().replace(",2006-02-20,", f",{NEXT_YEAR}-02-20,", 1))
    with pytest.raises(SourceError, match=f"{NEXT_YEAR}-02-20") as exc:
        g287.load(path)
    assert "date_signed_original" in str(exc.value) and str(path) in str(exc.value)


@pytest.mark.parametrize(
    ("name", "old", "new", "column"),
    [
        ("crime_raw.csv", "\n2008,", "\n1899,", "'year'"),
        (
            "CrimeDataByCounty2015.csv",
            '"Alexander County","2015"',
            '"Alexander County","1925"',
            "'Year'",
        ),
        ("crime_raw.csv", "\n2008,", f"\n{NEXT_YEAR},", "'year'"),
    ],
    ids=["sbi-export-1899", "county-rates-1925", "sbi-export-next-year"],
)
def test_an_nc_sbi_year_outside_the_ucr_era_is_refused(
    tmp_path, fixtures_dir, name, old, new, column
):
    path = tmp_path / name
    shutil.copy(fixtures_dir / "nc_sbi" / name, path)
    load = nc_sbi.load_county_rates if name.startswith("CrimeData") else nc_sbi.load
    load(path)  # the fixture itself loads
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new, 1))
    with pytest.raises(SourceError, match="implausible year") as exc:
        load(path)
    text = str(exc.value)
    assert str(path) in text and column in text and "row 2" in text and "1930" in text
