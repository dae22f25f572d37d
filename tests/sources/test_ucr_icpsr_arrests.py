"""ICPSR county arrests (part 1): fixed width with a layout file, R files; mangled copies; real copies."""

from __future__ import annotations

import csv
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest

from enforcement_crime.sources import ucr_icpsr_arrests as arr
from enforcement_crime.sources._checks import SourceError
from enforcement_crime.sources._download import LoginRequired

sys.path.insert(0, str(Path(__file__).parent))
from _mangle import replace_once, shared_folder, truncated, with_repeated_line  # noqa: E402

TXT_2000 = "03451-0001-Data.txt"
TXT_2008 = "27644-0001-Data.txt"
RDA_2012 = "35019-0001-Data.rda"
LAYOUT = "layout_part1_arrests_all_ages.csv"


@pytest.fixture(scope="module")
def fx(fixtures_dir: Path) -> Path:
    return fixtures_dir / "ucr_icpsr_arrests"


def _layout(path: Path) -> list[tuple[str, int, int, int]]:
    """The layout read independently (csv module)."""
    with open(path, newline="") as fh:
        return [
            (r["variable"], int(r["start_col"]), int(r["end_col"]), int(r["decimals"]))
            for r in csv.DictReader(fh)
        ]


def _slice(line: str, spans, name: str) -> float | None:
    _, start, end, dec = next(s for s in spans if s[0] == name)
    cell = line[start - 1 : end].strip()
    if not cell:
        return None
    return float(cell) if "." in cell else int(cell) / 10**dec


def test_fixed_width_matches_an_independent_slice(fx):
    spans = _layout(fx / LAYOUT)
    for name, year in ((TXT_2000, 2000), (TXT_2008, 2008)):
        df = arr.load(fx / name)
        assert (df["year"] == year).all() and df.attrs["icpsr_study"] == int(name[:5])
        lines = (fx / name).read_text().splitlines()
        assert len(df) == len(lines) and list(df.index) == list(range(1, len(lines) + 1))
        for text, (_, row) in zip(lines, df.iterrows(), strict=True):
            fips = f"{int(_slice(text, spans, 'FIPS_ST')):02d}{int(_slice(text, spans, 'FIPS_CTY')):03d}"
            assert row["fips"] == fips
            assert row["coverage"] == pytest.approx(_slice(text, spans, "COVIND"))
            if row["no_data"]:
                continue
            for var in ("GRNDTOT", "P1VLNT", "P1PRPTY", "DRUGTOT", "ARSON", "RUNAWAY"):
                want = _slice(text, spans, var)
                got = row[var.lower()]
                assert pd.isna(got) if want is None else got == want, (name, fips, var)
            assert row["arrests_total"] == _slice(text, spans, "GRNDTOT")
            assert row["arrests_violent"] == _slice(text, spans, "P1VLNT")


def test_blank_field_no_data_rows_and_statewide_rows(fx):
    df = arr.load(fx / TXT_2008).set_index("fips")
    assert pd.isna(df.loc["37063", "arson"])  # blank field: missing, never zero
    assert df.loc["37063", "arrests_property"] > 0
    ashe = df.loc["37009"]
    assert ashe["no_data"] and ashe["coverage"] == 0 and pd.isna(ashe["arrests_total"])
    assert df.loc["34999", "arrests_total"] > 0  # statewide pseudo-county kept
    assert df["no_data"].sum() == 1


def test_r_file_matches_the_raw_object(fx):
    pyreadr = pytest.importorskip("pyreadr")
    raw = pyreadr.read_r(str(fx / RDA_2012))["da35019.0001"].reset_index(drop=True)
    df = arr.load(fx / RDA_2012).reset_index(drop=True)
    assert (df["year"] == 2012).all() and df.attrs["format"] == "R"
    keep = ~df["no_data"]
    for var in ("GRNDTOT", "P1TOT", "P1VLNT", "P1PRPTY", "DRUGTOT", "DUI"):
        assert (df.loc[keep, var.lower()].astype("float64") == raw.loc[keep, var]).all(), var
    assert (df["coverage"] == raw["COVIND"]).all()


def test_year_layout_and_part_checks(fx, tmp_path):
    with pytest.raises(SourceError, match="year sources disagree"):
        arr.load(fx / TXT_2000, year=2001)
    lone = tmp_path / TXT_2000
    shutil.copy(fx / TXT_2000, lone)
    with pytest.raises(SourceError, match="needs its column layout"):
        arr.load(lone)
    assert len(arr.load(lone, layout=fx / LAYOUT)) == 5
    part4 = tmp_path / "03451-0004-Data.txt"
    shutil.copy(fx / TXT_2000, part4)
    with pytest.raises(SourceError, match="part 4"):
        arr.load(part4, layout=fx / LAYOUT)
    with pytest.raises(LoginRequired, match="part 1"):
        arr.fetch(tmp_path)


# ----------------------------------------------------------------- mangled copies


def _copy(fx: Path, tmp_path: Path, name: str, text: str | None = None) -> Path:
    shutil.copy(fx / LAYOUT, tmp_path / LAYOUT)
    out = tmp_path / name
    out.write_text(text if text is not None else (fx / name).read_text())
    return out


def test_truncated_fixed_width_fails(fx, tmp_path):
    bad = truncated(fx / TXT_2000, _copy(fx, tmp_path, TXT_2000), 100)
    with pytest.raises(
        SourceError, match=rf"{TXT_2000}: row 5: line has 147 characters.*truncated"
    ):
        arr.load(bad)


def test_truncated_r_file_fails(fx, tmp_path):
    size = (fx / RDA_2012).stat().st_size
    bad = truncated(fx / RDA_2012, tmp_path / RDA_2012, size - 1500)
    with pytest.raises(SourceError, match=rf"{RDA_2012}: cannot be read as an R data file"):
        arr.load(bad)


def test_renamed_r_column_fails(fx, tmp_path):
    pyreadr = pytest.importorskip("pyreadr")
    raw = pyreadr.read_r(str(fx / RDA_2012))["da35019.0001"].rename(columns={"P1VLNT": "P1VIOL"})
    bad = tmp_path / RDA_2012
    pyreadr.write_rdata(str(bad), raw, df_name="da35019.0001")
    with pytest.raises(SourceError, match=r"column 'P1VLNT': missing variable"):
        arr.load(bad)


def test_non_numeric_cell_fails(fx, tmp_path):
    spans = _layout(fx / LAYOUT)
    _, start, end, _ = next(s for s in spans if s[0] == "DUI")
    lines = (fx / TXT_2000).read_text().splitlines()
    lines[2] = lines[2][: start - 1] + "12x".rjust(end - start + 1) + lines[2][end:]
    bad = _copy(fx, tmp_path, TXT_2000, "\n".join(lines) + "\n")
    with pytest.raises(SourceError, match=rf"{TXT_2000}: row 3: column 'DUI': .*'12x'"):
        arr.load(bad)


def test_duplicated_county_fails(fx, tmp_path):
    bad, n = with_repeated_line(fx / TXT_2008, _copy(fx, tmp_path, TXT_2008), 0)
    with pytest.raises(
        SourceError, match=rf"rows 1, {n}: column 'FIPS_ST, FIPS_CTY': county 37001"
    ):
        arr.load(bad)


@pytest.mark.parametrize(
    ("old", "new", "match"),
    [
        ("DRUGTOT,", "DRUGTOTL,", rf"{TXT_2000}: column 'DRUGTOT': missing variable"),
        (
            "P1TOT,42,47,6,0",
            "P1TOT,42,47,5,0",
            rf"{LAYOUT}: row 13: column 'width': variable P1TOT",
        ),
        (",width,", ",wdth,", rf"{LAYOUT}: column 'width': missing column"),
    ],
    ids=["renamed variable", "width not end - start + 1", "renamed layout column"],
)
def test_mangled_layout_fails(fx, tmp_path, old, new, match):
    bad = _copy(fx, tmp_path, TXT_2000)
    replace_once(tmp_path / LAYOUT, old, new)
    with pytest.raises(SourceError, match=match):
        arr.load(bad)


# ----------------------------------------------------------------- the real copies


@pytest.fixture(scope="module")
def real(shared_data: Path) -> Path:
    return shared_folder(shared_data, "icpsr_county_ucr_arrests_2000_2012")


#: (file, year, records) from PROVENANCE.md
REAL = [
    ("03451-0001-Data.txt", 2000, 3146),
    ("04466-0001-Data.txt", 2004, 3147),
    ("27644-0001-Data.txt", 2008, 3172),
    ("33523-0001-Data.rda", 2010, 3177),
    ("35019-0001-Data.rda", 2012, 3178),
]
#: counties read back: Wake, Mecklenburg, Durham, Gaston NC; Los Angeles CA
COUNTIES = ["37183", "37119", "37063", "37071", "06037"]


@pytest.mark.shared_data
@pytest.mark.parametrize(("name", "year", "records"), REAL)
def test_real_files_read_back(real, name, year, records):
    df = arr.load(real / name)
    assert len(df) == records and (df["year"] == year).all() and df["fips"].is_unique
    by = df.set_index("fips")
    if name.endswith(".txt"):
        spans = _layout(real / LAYOUT)
        lines = {}
        for text in (real / name).read_text().splitlines():
            st, co = int(_slice(text, spans, "FIPS_ST")), int(_slice(text, spans, "FIPS_CTY"))
            lines[f"{st:02d}{co:03d}"] = text
        for f in COUNTIES:
            for var in ("GRNDTOT", "P1VLNT", "P1PRPTY", "DRUGTOT", "CPOPARST"):
                ours = by.loc[f, "population" if var == "CPOPARST" else var.lower()]
                assert ours == _slice(lines[f], spans, var), (f, var)
            assert by.loc[f, "coverage"] == pytest.approx(_slice(lines[f], spans, "COVIND"))
    else:
        pyreadr = pytest.importorskip("pyreadr")
        raw = next(iter(pyreadr.read_r(str(real / name)).values()))
        raw.index = [
            f"{int(s):02d}{int(c):03d}"
            for s, c in zip(raw["FIPS_ST"], raw["FIPS_CTY"], strict=True)
        ]
        for f in COUNTIES:
            for var in ("GRNDTOT", "P1VLNT", "P1PRPTY", "DRUGTOT"):
                assert by.loc[f, var.lower()] == raw.loc[f, var], (f, var)
    # PROVENANCE.md: P1TOT = P1VLNT + P1PRPTY within 1 (ICPSR rounds imputed counts) in every row
    ok = df[~df["no_data"]]
    assert ((ok["p1tot"] - ok["p1vlnt"] - ok["p1prpty"]).abs() <= 1).all()
