"""ICPSR county-level UCR files: every distributed format, the year from the study number, bad input.

Fixtures: the documented fixed-width layout (``county_offenses_*``) and, in
``icpsr_2010/``, synthetic files in ICPSR's R, Stata, delimited and ASCII +
setup distributions of study 33523 (written by ``make_fixtures.py``). The real
R file in ``../shared/data/icpsr_county_ucr_2010/`` is tested when present.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from enforcement_crime.sources import ucr_icpsr_county as icpsr
from enforcement_crime.sources._checks import SourceError
from enforcement_crime.sources._download import LoginRequired


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


# ---------------------------------------------------------------- ICPSR's distributions

FORMATS = [
    "33523-0004-Data.rda",
    "33523-0004-Data.dta",
    "33523-0004-Data.tsv",
    "33523-0004-Data.txt",
    "ucr_county_synthetic.RData",
]


@pytest.fixture(scope="module")
def dist(fx: Path) -> Path:
    return fx / "icpsr_2010"


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(
        a.drop(columns="year").reset_index(drop=True), b.drop(columns="year").reset_index(drop=True)
    )


def test_every_format_gives_the_same_frame(dist, fx):
    """Four readers (pyreadr, pandas' Stata reader, the csv module, fixed width + setup) agree."""
    frames = {n: icpsr.load(dist / n) for n in FORMATS}
    for ext in ("sas", "sps", "dct"):
        frames[ext] = icpsr.load(
            dist / "33523-0004-Data.txt", setup=dist / f"33523-0004-Setup.{ext}"
        )
    ref = frames["33523-0004-Data.rda"]
    for name, df in frames.items():
        _same(ref, df)
        assert len(df) == 7, name
    # and the documented-layout fixture of the same made-up 2010 counts (another layout: INDEX
    # position holding VIOLENT, read without a setup file)
    _same(ref, icpsr.load(fx / "county_offenses_2010.txt"))
    wake = ref.set_index("fips").loc["37183"]
    # the generator's Wake (shift 1): murder 26, rape 111, robbery 601, assault 1001 -> VIOL 1739
    assert (wake["violent"], wake["murder"], wake["coverage"]) == (1739, 26, 100.0)
    assert ref.set_index("fips").loc["37119", "coverage"] == 87.25  # 8725 with 2 implied decimals


def test_year_from_the_study_number(dist):
    rda = icpsr.load(dist / "33523-0004-Data.rda")
    assert (rda["year"] == 2010).all() and rda.attrs["icpsr_study"] == 33523
    assert rda.attrs["year_source"].startswith("ICPSR study 33523 (file name")
    assert rda.attrs["violent_property_layout"] and rda["index_total"].isna().all()
    # a renamed R file: the object name da34582.0004 says study 34582 = 2011
    obj = icpsr.load(dist / "ucr_county_synthetic.RData")
    assert (obj["year"] == 2011).all() and "R object 'da34582.0004'" in obj.attrs["year_source"]
    assert icpsr.study_from_name("33523-0004-Data.rda") == (33523, 4)
    assert icpsr.study_from_name("da36399.0004") == (36399, 4)
    assert icpsr.study_from_name("county_offenses_2010.txt") is None
    # the table: ICPSR's numbers grow with the year, one study per year
    years = [icpsr.STUDY_YEARS[k] for k in sorted(icpsr.STUDY_YEARS, key=icpsr.STUDY_YEARS.get)]
    assert years == sorted(set(years))
    assert icpsr.STUDY_YEARS[33523] == 2010  # ../shared/data/icpsr_county_ucr_2010/PROVENANCE.md


def test_year_sources_must_agree(dist, tmp_path):
    with pytest.raises(SourceError, match="year= argument says 2012, ICPSR study 33523"):
        icpsr.load(dist / "33523-0004-Data.tsv", year=2012)
    assert (icpsr.load(dist / "33523-0004-Data.tsv", year=2010)["year"] == 2010).all()
    both = tmp_path / "33523-0004-Data_2011.tsv"
    shutil.copy(dist / "33523-0004-Data.tsv", both)
    with pytest.raises(SourceError, match=r"33523-0004-Data_2011.tsv: the year sources disagree"):
        icpsr.load(both)
    renamed = tmp_path / "34582-0004-Data.rda"  # file name says 34582, object da33523.0004
    shutil.copy(dist / "33523-0004-Data.rda", renamed)
    with pytest.raises(SourceError, match="study numbers disagree"):
        icpsr.load(renamed)
    unknown = tmp_path / "99999-0004-Data.tsv"
    shutil.copy(dist / "33523-0004-Data.tsv", unknown)
    with pytest.raises(SourceError, match="ICPSR study 99999 is not in STUDY_YEARS.*pass year="):
        icpsr.load(unknown)
    assert (icpsr.load(unknown, year=2010)["year"] == 2010).all()
    before = tmp_path / "county_2007.tsv"  # VIOL/PROPERTY totals exist from 2009
    shutil.copy(dist / "33523-0004-Data.tsv", before)
    with pytest.raises(SourceError, match=r"column 'VIOL': .* in a 2007 file"):
        icpsr.load(before)


def test_arrest_parts_are_refused(dist, tmp_path):
    arrests = tmp_path / "33523-0001-Data.tsv"
    shutil.copy(dist / "33523-0004-Data.tsv", arrests)
    with pytest.raises(
        SourceError, match="says ICPSR part 1; the county-level offenses are part 4"
    ):
        icpsr.load(arrests)
    df = pd.read_csv(dist / "33523-0004-Data.tsv", sep="\t", dtype=str)
    df["PART"] = "2"
    path = tmp_path / "offenses_2010.tsv"
    df.to_csv(path, sep="\t", index=False)
    with pytest.raises(SourceError, match="column 'PART': column PART is 2"):
        icpsr.load(path)


def test_ascii_needs_its_setup(dist, tmp_path):
    alone = tmp_path / "33523-0004-Data.txt"
    shutil.copy(dist / "33523-0004-Data.txt", alone)
    # without a setup file the documented 97-character layout is tried: these lines are 96
    with pytest.raises(SourceError, match=r"row 1: line has 96 characters, the fixed-width"):
        icpsr.load(alone)
    longer = tmp_path / "county_2010.txt"
    longer.write_text(
        "\n".join(ln + "  12" for ln in (dist / "33523-0004-Data.txt").read_text().splitlines())
    )
    with pytest.raises(SourceError, match="the documented layout has 97: another layout"):
        icpsr.load(longer)
    # setup files found beside the data must agree
    for p in dist.glob("33523-0004-Setup.*"):
        shutil.copy(p, tmp_path / p.name)
    sps = tmp_path / "33523-0004-Setup.sps"
    sps.write_text(sps.read_text().replace("ARSON 93-96", "ARSON 93-95"))
    with pytest.raises(SourceError, match="33523-0004-Setup.sps: its column positions differ"):
        icpsr.load(alone)
    sps.unlink()
    assert icpsr.load(alone).attrs["layout"] == (
        "setup file 33523-0004-Setup.dct, 33523-0004-Setup.sas"
    )


def test_read_setup_entries_and_bad_setups(dist, tmp_path):
    spans = {
        ext: icpsr.read_setup(dist / f"33523-0004-Setup.{ext}") for ext in ("sas", "sps", "dct")
    }
    assert spans["sas"] == spans["sps"] == spans["dct"]
    named = {n: (a, b, d) for n, a, b, d in spans["sas"]}
    assert named["STUDYNO"] == (1, 5, 0) and named["COVIND"] == (39, 43, 2)
    assert named["ARSON"] == (93, 96, 0)
    empty = tmp_path / "x-Setup.sas"
    empty.write_text("* INPUT comes later;\nDATA;\n")
    with pytest.raises(SourceError, match="x-Setup.sas: no INPUT statement"):
        icpsr.read_setup(empty)
    overlap = tmp_path / "y-Setup.sas"
    overlap.write_text("INPUT\n  FIPS_ST 1-2 FIPS_CTY 2-4\n;\n")
    with pytest.raises(SourceError, match="fields FIPS_ST .* and FIPS_CTY .* overlap"):
        icpsr.read_setup(overlap)
    with pytest.raises(SourceError, match="unknown setup file type '.txt'"):
        icpsr.read_setup(dist / "33523-0004-Data.txt")
    bad_dict = tmp_path / "z-Setup.dct"
    bad_dict.write_text("dictionary {\n}\n")
    with pytest.raises(SourceError, match="z-Setup.dct: no '_column"):
        icpsr.read_setup(bad_dict)


def test_bad_r_and_stata_files(dist, tmp_path):
    data = (dist / "33523-0004-Data.rda").read_bytes()
    cut = tmp_path / "33523-0004-Data.rda"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(SourceError, match="33523-0004-Data.rda: cannot be read as an R data file"):
        icpsr.load(cut)
    pyreadr = pytest.importorskip("pyreadr")
    df = pyreadr.read_r(str(dist / "33523-0004-Data.rda"))["da33523.0004"].reset_index(drop=True)
    no_cov = tmp_path / "da.rds"
    pyreadr.write_rds(str(no_cov), df.drop(columns="COVIND"))
    with pytest.raises(SourceError, match=r"da.rds: column 'COVIND': missing column"):
        icpsr.load(no_cov, year=2010)
    frac = df.copy()
    frac.loc[2, "MURDER"] = 1.5
    path = tmp_path / "frac.rds"
    pyreadr.write_rds(str(path), frac)
    with pytest.raises(SourceError, match=r"frac.rds: row 3: column 'MURDER': expected a whole"):
        icpsr.load(path, year=2010)
    wide = df.copy()
    wide.loc[0, "FIPS_CTY"] = 1001.0
    path = tmp_path / "wide.rds"
    pyreadr.write_rds(str(path), wide)
    with pytest.raises(SourceError, match=r"row 1: column 'FIPS_CTY': FIPS code 1001 has more"):
        icpsr.load(path, year=2010)
    with pytest.raises(SourceError, match="setup= is for ASCII fixed-width files"):
        icpsr.load(dist / "33523-0004-Data.rda", setup=dist / "33523-0004-Setup.sas")
    with pytest.raises(SourceError, match=r"unknown format '.sav'"):
        other = tmp_path / "county_2010.sav"
        other.write_bytes(b"x")
        icpsr.load(other)


# ---------------------------------------------------------------- the real R file


@pytest.fixture(scope="module")
def real_rda(shared_data: Path) -> Path:
    path = shared_data / "icpsr_county_ucr_2010" / "33523-0004-Data.rda"
    if not path.is_file():
        pytest.skip(f"{path} absent")
    return path


@pytest.mark.shared_data
def test_real_2010_rda(real_rda):
    df = icpsr.load(real_rda)
    # PROVENANCE.md: 3,177 rows; first row 01001, CPOPCRIM 54,571, COVIND 100, violent 143,
    # property 1,521; 3,112 rows have COVIND > 0
    assert len(df) == 3177 and df["fips"].is_unique
    assert (df["year"] == 2010).all() and df.attrs["icpsr_study"] == 33523
    first = df.iloc[0]
    assert first["fips"] == "01001" and first["population"] == 54571
    assert (first["coverage"], first["violent"], first["property"]) == (100.0, 143, 1521)
    assert (df["coverage"] > 0).sum() == 3112
    assert df["coverage"].between(0, 100).all()


@pytest.mark.shared_data
def test_real_2010_rda_against_the_raw_object(real_rda):
    """Every count equals the raw R object's column, except the no-data rows, derived here again."""
    pyreadr = pytest.importorskip("pyreadr")
    raw = pyreadr.read_r(str(real_rda))["da33523.0004"].reset_index(drop=True)
    df = icpsr.load(real_rda).reset_index(drop=True)
    pairs = {"VIOL": "violent", "PROPERTY": "property", "MURDER": "murder", "RAPE": "rape"}
    pairs |= {"AGASSLT": "aggravated_assault", "MVTHEFT": "motor_vehicle_theft"}
    offenses = ["VIOL", "PROPERTY", "MURDER", "RAPE", "ROBBERY", "AGASSLT", "BURGLRY"]
    offenses += ["LARCENY", "MVTHEFT", "ARSON"]
    no_data = (raw["COVIND"] == 0) & (raw[offenses] == 0).all(axis=1)
    assert (df["no_data"] == no_data).all()
    for src, dst in pairs.items():
        ours = df.loc[~no_data, dst].astype("float64")
        assert (ours == raw.loc[~no_data, src]).all(), src
        assert df.loc[no_data, dst].isna().all()
    fips = raw["FIPS_ST"].astype(int) * 1000 + raw["FIPS_CTY"].astype(int)
    assert (df["fips"].astype(int) == fips).all()
    assert (df["coverage"] == raw["COVIND"]).all()
    assert (df["population"].astype("float64") == raw["CPOPCRIM"]).all()


@pytest.mark.shared_data
def test_real_2012_tsv_reads_index_and_modindx_as_violent_and_property(shared_data):
    """ICPSR 35019 part 4: its INDEX/MODINDX columns hold violent/property (PROVENANCE.md)."""
    import csv

    path = shared_data / "icpsr_county_ucr_2012" / "35019-0004-Data.tsv"
    if not path.is_file():
        pytest.skip(f"{path} absent")
    df = icpsr.load(path)
    assert len(df) == 3178 and (df["year"] == 2012).all() and df.attrs["violent_property_layout"]
    assert df["index_total"].isna().all() and df["modified_index"].isna().all()
    with open(path, newline="") as fh:
        raw = {
            f"{int(r['FIPS_ST']):02d}{int(r['FIPS_CTY']):03d}": r
            for r in csv.DictReader(fh, delimiter="\t")
        }
    by = df.set_index("fips")
    for f in ("37183", "37119", "37063", "01001", "06037"):
        assert by.loc[f, "violent"] == int(raw[f]["INDEX"])
        assert by.loc[f, "property"] == int(raw[f]["MODINDX"])
        parts = sum(int(raw[f][c]) for c in ("MURDER", "RAPE", "ROBBERY", "AGASSLT"))
        assert abs(by.loc[f, "violent"] - parts) <= 1  # ICPSR rounds imputed counts
