"""Kaplan Return A agency-year files: csv/dta/parquet fixtures (no real copy exists), bad input, login."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from enforcement_crime.sources import ucr_kaplan
from enforcement_crime.sources._checks import SourceError
from enforcement_crime.sources._download import LoginRequired

STEM = "offenses_known_yearly_2005_2007"


@pytest.fixture(scope="module")
def fx(fixtures_dir: Path) -> Path:
    return fixtures_dir / "ucr_kaplan"


def test_formats_agree(fx):
    a = ucr_kaplan.load(fx / f"{STEM}.csv")
    pd.testing.assert_frame_equal(a, ucr_kaplan.load(fx / f"{STEM}.parquet"), check_dtype=False)
    old = ucr_kaplan.load(fx / f"{STEM}.dta")
    assert set(a["months_rule"]) == {"12 - missing"} and set(old["months_rule"]) == {"reported"}
    pd.testing.assert_frame_equal(
        a.drop(columns="months_rule"), old.drop(columns="months_rule"), check_dtype=False
    )


def test_values_match_the_raw_csv(fx):
    """Read the csv with the standard library (an independent parser) and compare every mapped cell."""
    df = ucr_kaplan.load(fx / f"{STEM}.csv")
    with open(fx / f"{STEM}.csv", newline="") as fh:
        raw = list(csv.DictReader(fh))
    assert len(raw) == len(df)
    for rec, (_, row) in zip(raw, df.iterrows(), strict=True):
        assert row["ori"] == rec["ori"] and row["year"] == int(rec["year"])
        assert row["months_reported"] == 12 - int(rec["number_of_months_missing"])
        assert row["fips"] == rec["fips_state_code"].zfill(2) + rec["fips_county_code"].zfill(3)
        for src, dst in ucr_kaplan.COLUMN_MAP.items():
            assert row[dst] == int(rec[src]), (src, rec["ori"])
    # the generator's special months: Cary 6 in 2006, Ashe 1 in 2006, Matthews 0 in 2007
    got = df.set_index(["ori", "year"])["months_reported"]
    assert (got[("NC09203", 2006)], got[("NC00500", 2006)], got[("NC06003", 2007)]) == (6, 1, 0)


def _csv(fx: Path, tmp_path: Path, edit) -> Path:
    df = pd.read_csv(fx / f"{STEM}.csv", dtype=str)
    df = edit(df)
    out = tmp_path / "edited.csv"
    df.to_csv(out, index=False)
    return out


@pytest.mark.parametrize(
    ("edit", "pattern"),
    [
        (
            lambda d: d.drop(columns=["actual_murder"]),
            r"column 'actual_murder': missing column\(s\) \['actual_murder'\]",
        ),
        (
            lambda d: d.drop(columns=["number_of_months_missing"]),
            r"number_of_months_missing or number_of_months_reported",
        ),
        (
            lambda d: d.assign(
                actual_robbery_total=d["actual_robbery_total"].where(d.index != 4, "1O")
            ),
            r"row 6: column 'actual_robbery_total': expected an integer, got '1O'",
        ),
        (
            lambda d: d.assign(actual_burg_total=d["actual_burg_total"].where(d.index != 0, "-2")),
            r"row 2: column 'actual_burg_total': expected a value >= 0, got -2 \(a negative count\)",
        ),
        (
            lambda d: d.assign(
                number_of_months_missing=d["number_of_months_missing"].where(d.index != 1, "13")
            ),
            r"row 3: column 'number_of_months_missing': expected a value <= 12",
        ),
        (lambda d: pd.concat([d, d.iloc[[3]]]), r"rows 5, \d+: column 'ori, year': duplicate key"),
        (
            lambda d: d.assign(ori=d["ori"].where(d.index != 2, "NC1")),
            r"row 4: column 'ori': expected a 7-character ORI",
        ),
    ],
    ids=["missing", "no-months", "non-numeric", "negative", "months>12", "duplicate", "bad-ori"],
)
def test_bad_input(fx, tmp_path, edit, pattern):
    with pytest.raises(SourceError, match=pattern):
        ucr_kaplan.load(_csv(fx, tmp_path, edit))


def test_truncated_and_corrupt(fx, tmp_path):
    text = (fx / f"{STEM}.csv").read_text()
    cut = tmp_path / "cut.csv"
    cut.write_text(text[: len(text) - 30])
    with pytest.raises(
        SourceError, match=r"cut.csv: row 46: the last line has \d+ fields but the header has"
    ):
        ucr_kaplan.load(cut)
    pq = tmp_path / "bad.parquet"
    pq.write_bytes((fx / f"{STEM}.parquet").read_bytes()[:500])
    with pytest.raises(
        SourceError, match=r"bad.parquet: cannot be read as a Kaplan Return A .parquet file"
    ):
        ucr_kaplan.load(pq)


def test_fetch_needs_login(tmp_path):
    with pytest.raises(LoginRequired) as info:
        ucr_kaplan.fetch(tmp_path)
    msg = str(info.value)
    assert (
        "openicpsr.org/openicpsr/project/100707" in msg
        and str(tmp_path) in msg
        and "offenses_known_yearly" in msg
    )


def test_blank_cells_stay_missing(fx, tmp_path):
    def blank(d):
        d.loc[3, "officers_assaulted"] = ""
        d.loc[4, "actual_murder"] = ""
        return d

    df = ucr_kaplan.load(_csv(fx, tmp_path, blank))
    assert pd.isna(df.loc[5, "officers_assaulted"]) and pd.isna(df.loc[6, "murder"])
    assert df.loc[6, "robbery"] >= 0 and str(df["murder"].dtype) == "Int64"


def test_short_row_in_the_middle_is_refused_not_padded(fx, tmp_path):
    """Issue 13: a row with missing fields mid-file used to be padded with missing counts."""
    lines = (fx / f"{STEM}.csv").read_text().splitlines()
    lines[4] = ",".join(lines[4].split(",")[:-5])
    p = tmp_path / "short.csv"
    p.write_text("\n".join(lines) + "\n")
    with pytest.raises(SourceError, match=r"short.csv: row 5: line has \d+ fields but the header"):
        ucr_kaplan.load(p)


def test_html_page_saved_as_the_csv(tmp_path):
    p = tmp_path / "offenses_known_yearly_2010.csv"
    p.write_text("<!DOCTYPE html><html><body>openICPSR sign in</body></html>\n")
    with pytest.raises(SourceError, match=r"offenses_known_yearly_2010.csv: is an HTML/XML page"):
        ucr_kaplan.load(p)
