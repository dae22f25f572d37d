"""LEAIC 2012 crosswalk: rda/tsv/dta fixtures, bad input, the real ICPSR rda."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from enforcement_crime.sources import leaic
from enforcement_crime.sources._checks import SourceError
from enforcement_crime.sources._download import LoginRequired


@pytest.fixture(scope="module")
def fx(fixtures_dir: Path) -> Path:
    return fixtures_dir / "leaic"


def test_three_formats_give_the_same_frame(fx):
    rda = leaic.load(fx / "35158-0001-Data.rda")
    for ext in ("tsv", "dta"):
        pd.testing.assert_frame_equal(
            rda, leaic.load(fx / f"35158-0001-Data.{ext}"), check_dtype=False
        )


def test_fixture_values(fx):
    df = leaic.load(fx / "35158-0001-Data.tsv")
    # the generator's rows: Raleigh PD NC09201 in Wake (37183), local police, U_TPOP 420000
    r = df[df["ori7"] == "NC09201"].iloc[0]
    assert (r["fips"], r["agency_type"], r["population"], r["pop_group"]) == (
        "37183",
        "local police",
        420000,
        "1C",
    )
    # the ORI-less record (coded -1) keeps its row with a missing ORI and a missing (negative) population
    sub = df[df["ori9"] == "NC0920400"].iloc[0]
    assert pd.isna(sub["ori7"]) and pd.isna(sub["population"]) and bool(sub["part_of_larger"])
    assert set(df["agency_type"]) == {"local police", "sheriff", "special", "state"}
    assert df["fips"].str.fullmatch(r"\d{5}").all()
    assert df.index[0] == 2, "the index is the file row (header = row 1)"


def _tsv(fx: Path, tmp_path: Path, edit) -> Path:
    df = pd.read_csv(fx / "35158-0001-Data.tsv", sep="\t", dtype=str)
    df = edit(df)
    out = tmp_path / "edited.tsv"
    df.to_csv(out, sep="\t", index=False)
    return out


def test_missing_column(fx, tmp_path):
    path = _tsv(fx, tmp_path, lambda d: d.drop(columns=["AGCYTYPE"]))
    with pytest.raises(
        SourceError, match=r"edited.tsv: column 'AGCYTYPE': missing column\(s\) \['AGCYTYPE'\]"
    ):
        leaic.load(path)


def test_renamed_column(fx, tmp_path):
    path = _tsv(fx, tmp_path, lambda d: d.rename(columns={"ORI7": "ori_7"}))
    with pytest.raises(SourceError, match=r"missing column\(s\) \['ORI7'\]"):
        leaic.load(path)


def test_duplicate_ori(fx, tmp_path):
    def dup(d):
        d.loc[3, "ORI7"] = d.loc[2, "ORI7"]
        return d

    with pytest.raises(SourceError, match=r"rows 4, 5: column 'ORI7': duplicate ORI7 'NC00500'"):
        leaic.load(_tsv(fx, tmp_path, dup))


def test_non_numeric_population(fx, tmp_path):
    def bad(d):
        d.loc[1, "U_TPOP"] = "many"
        return d

    with pytest.raises(SourceError, match=r"row 3: column 'U_TPOP': expected a number, got 'many'"):
        leaic.load(_tsv(fx, tmp_path, bad))


def test_bad_fips_and_ori(fx, tmp_path):
    def bad(d):
        d.loc[0, "FIPS_COUNTY"] = "1A"
        return d

    with pytest.raises(SourceError, match=r"row 2: column 'FIPS_COUNTY'"):
        leaic.load(_tsv(fx, tmp_path, bad))

    def bad_ori(d):
        d.loc[0, "ORI7"] = "NC1"
        return d

    with pytest.raises(SourceError, match=r"row 2: column 'ORI7': expected a 7-character ORI"):
        leaic.load(_tsv(fx, tmp_path, bad_ori))


def test_truncated_and_corrupt(fx, tmp_path):
    text = (fx / "35158-0001-Data.tsv").read_text()
    cut = tmp_path / "cut.tsv"
    cut.write_text(text[: len(text) - 40])  # cut inside the last line
    with pytest.raises(
        SourceError, match=r"cut.tsv: row \d+: the last line has \d+ fields but the header has 14"
    ):
        leaic.load(cut)
    rda = tmp_path / "bad.rda"
    rda.write_bytes((fx / "35158-0001-Data.rda").read_bytes()[:300])
    with pytest.raises(SourceError, match="bad.rda: cannot be read as a LEAIC .rda file"):
        leaic.load(rda)
    with pytest.raises(SourceError, match="unknown LEAIC format '.xlsx'"):
        (tmp_path / "x.xlsx").write_bytes(b"x")
        leaic.load(tmp_path / "x.xlsx")


def test_fetch_prints_what_where_and_where_to(tmp_path):
    with pytest.raises(LoginRequired) as info:
        leaic.fetch(tmp_path / "leaic")
    msg = str(info.value)
    assert "35158-0001-Data.rda" in msg and leaic.URL in msg and str(tmp_path / "leaic") in msg


@pytest.mark.shared_data
def test_real_rda_and_key_column_extract(shared_data):
    folder = shared_data / "leaic_2012_icpsr35158"
    if not (folder / "35158-0001-Data.rda").is_file():
        pytest.skip("LEAIC copy absent")
    df = leaic.load(folder / "35158-0001-Data.rda")
    # counts from the folder's PROVENANCE.md: 36,490 records, 3,299 sheriffs, 1,043 NC records
    assert len(df) == 36490
    assert (df["agency_type"] == "sheriff").sum() == 3299
    assert (df["state_fips"] == "37").sum() == 1043
    assert df["ori7"].dropna().is_unique
    assert df["fips"].str.fullmatch(r"\d{5}").all()
    extract = leaic.load(folder / "leaic2012_key_columns.csv")
    shared = ["ori7", "ori9", "fips", "agency_name", "agency_type", "population", "county_name"]
    pd.testing.assert_frame_equal(df[shared], extract[shared], check_dtype=False)
    # Charlotte-Mecklenburg PD (NC06001) is a Mecklenburg (37119) agency
    assert df.loc[df["ori7"] == "NC06001", "fips"].item() == "37119"


def test_short_row_in_the_middle_is_refused_not_padded(fx, tmp_path):
    """Issue 13: a tsv row with missing fields mid-file used to be padded with missing values."""
    lines = (fx / "35158-0001-Data.tsv").read_text().splitlines()
    lines[2] = "\t".join(lines[2].split("\t")[:-4])
    p = tmp_path / "short.tsv"
    p.write_text("\n".join(lines) + "\n")
    with pytest.raises(SourceError, match=r"short.tsv: row 3: line has 10 fields but the header"):
        leaic.load(p)


def test_empty_and_html_files(tmp_path):
    p = tmp_path / "35158-0001-Data.tsv"
    p.write_text("")
    with pytest.raises(SourceError, match="empty"):
        leaic.load(p)
    p.write_text("<html><head><title>ICPSR login</title></head></html>")
    with pytest.raises(SourceError, match="HTML"):
        leaic.load(p)
