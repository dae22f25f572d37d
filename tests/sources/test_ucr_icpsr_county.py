"""ICPSR county-level UCR files: fixed width / tsv / dta fixtures (no real copy exists), bad input, login."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from enforcement_crime.sources import ucr_icpsr_county as icpsr
from enforcement_crime.sources._fetch import LoginRequired, SourceError


@pytest.fixture(scope="module")
def fx(fixtures_dir: Path) -> Path:
    return fixtures_dir / "ucr_icpsr_county"


def test_layout_widths_sum_to_97():
    assert sum(w for _, w in icpsr.WIDTHS) == 97  # DATA_SOURCES.md widths add up to 97 characters


def test_fixed_width_index_layout_2008(fx):
    df = icpsr.load(fx / "county_offenses_2008.txt")
    assert (df["year"] == 2008).all()
    wake = df.set_index("fips").loc["37183"]
    # cut by hand from the fixture's Wake line: COVIND '  100.00', INDEX ' 18135', MURDER '  25'
    line = next(
        ln
        for ln in (fx / "county_offenses_2008.txt").read_text().splitlines()
        if ln[10:15] == "37183"
    )
    assert float(line[37:45]) == wake["coverage"] == 100.0
    assert int(line[45:51]) == wake["index_total"] == 18135
    assert int(line[57:61]) == wake["murder"] == 25
    assert pd.isna(wake["violent"]) and pd.isna(wake["property"]), (
        "before 2009 the fields hold INDEX/MODINDX"
    )


def test_fixed_width_violent_property_layout_2010_and_tsv(fx):
    a = icpsr.load(fx / "county_offenses_2010.txt")
    b = icpsr.load(fx / "county_offenses_2010.tsv")
    pd.testing.assert_frame_equal(
        a.reset_index(drop=True), b.reset_index(drop=True), check_dtype=False
    )
    wake = a.set_index("fips").loc["37183"]
    parts = wake[["murder", "rape", "robbery", "aggravated_assault"]].sum()
    assert wake["violent"] == parts, (
        "2009-2014: the INDEX position holds VIOLENT (= sum of its parts in the fixture)"
    )
    assert pd.isna(wake["index_total"])


def test_dta(fx):
    df = icpsr.load(fx / "county_offenses_2007.dta")
    assert (df["year"] == 2007).all() and len(df) == 7


def test_no_data_rows_become_missing(fx):
    df = icpsr.load(fx / "county_offenses_2008.txt").set_index("fips")
    ashe = df.loc["37009"]  # COVIND 0 and every offense 0 in the fixture
    assert bool(ashe["no_data"]) and ashe["coverage"] == 0
    assert ashe[["murder", "larceny", "index_total", "arson"]].isna().all()
    # a county with coverage > 0 keeps its zeros and counts
    assert not df.loc["37183", "no_data"]


def test_year_rules(fx, tmp_path):
    nameless = tmp_path / "data.txt"
    nameless.write_text((fx / "county_offenses_2008.txt").read_text())
    with pytest.raises(SourceError, match="cannot tell the year"):
        icpsr.load(nameless)
    assert (icpsr.load(nameless, year=2012)["violent"].notna()).any(), (
        "year=2012 -> violent/property layout"
    )


def _edit_line(fx: Path, tmp_path: Path, fn) -> Path:
    lines = (fx / "county_offenses_2008.txt").read_text().splitlines()
    lines = fn(lines)
    out = tmp_path / "county_2008.txt"
    out.write_text("\n".join(lines) + "\n")
    return out


def test_bad_fixed_width(fx, tmp_path):
    short = _edit_line(fx, tmp_path, lambda ls: ls[:-1] + [ls[-1][:60]])
    with pytest.raises(
        SourceError,
        match=r"county_2008.txt: row 7: line has 60 characters, the fixed-width layout needs 97",
    ):
        icpsr.load(short)
    text = _edit_line(fx, tmp_path, lambda ls: [ls[0][:57] + "  x1" + ls[0][61:]] + ls[1:])
    with pytest.raises(
        SourceError, match=r"row 1: column 'MURDER': expected a whole number, got 'x1'"
    ):
        icpsr.load(text)
    neg = _edit_line(fx, tmp_path, lambda ls: [ls[0][:57] + "  -1" + ls[0][61:]] + ls[1:])
    with pytest.raises(
        SourceError, match=r"row 1: column 'MURDER': expected a non-negative value, got -1"
    ):
        icpsr.load(neg)
    dup = _edit_line(fx, tmp_path, lambda ls: ls + [ls[0]])
    with pytest.raises(
        SourceError, match=r"rows 1, 8: column 'FIPS_ST, FIPS_CTY': duplicate county '01001'"
    ):
        icpsr.load(dup)
    cov = _edit_line(fx, tmp_path, lambda ls: [ls[0][:37] + "  250.00" + ls[0][45:]] + ls[1:])
    with pytest.raises(SourceError, match=r"column 'COVIND': coverage indicator above 100"):
        icpsr.load(cov)


def test_bad_tsv(fx, tmp_path):
    df = pd.read_csv(fx / "county_offenses_2010.tsv", sep="\t", dtype=str).drop(columns=["COVIND"])
    path = tmp_path / "c_2010.tsv"
    df.to_csv(path, sep="\t", index=False)
    with pytest.raises(SourceError, match=r"column 'COVIND': missing column\(s\) \['COVIND'\]"):
        icpsr.load(path)
    text = (fx / "county_offenses_2010.tsv").read_text()
    cut = tmp_path / "cut_2010.tsv"
    cut.write_text(text[:-20])
    with pytest.raises(SourceError, match="cut_2010.tsv: row 8: the last line has"):
        icpsr.load(cut)
    junk = tmp_path / "junk_2010.dta"
    junk.write_bytes(b"\x00\x01garbage")
    with pytest.raises(SourceError, match="junk_2010.dta: cannot be read"):
        icpsr.load(junk)


def test_fetch_needs_login(tmp_path):
    with pytest.raises(LoginRequired) as info:
        icpsr.fetch(tmp_path)
    assert "icpsr.umich.edu" in str(info.value) and str(tmp_path) in str(info.value)
