"""Census PEP county loader: real copies (shared data), made-up fixtures in all four layouts, bad input.

co-est00int-tot and co-est2020-alldata have no real copy in shared/data: their
fixtures follow the documented layouts (column naming convention of the PEP
files; POPESTIMATE042020 in Vintage 2020) and are checked by detection and load.
"""

from __future__ import annotations

import csv
import shutil

import pandas as pd
import pytest

from enforcement_crime.sources import census_population as cp
from enforcement_crime.sources._checks import SourceError
from enforcement_crime.sources._download import sha256_of

LAYOUT_FILES = {
    "co-est00int-tot": ("co-est00int-tot.csv", "intercensal2000", range(2000, 2011)),
    "co-est2009-alldata": ("co-est2009-alldata.csv", "v2009", range(2000, 2010)),
    "co-est2019-alldata": ("co-est2019-alldata.csv", "v2019", range(2010, 2020)),
    "co-est2020-alldata": ("co-est2020-alldata.csv", "v2020", range(2010, 2021)),
}


def _csv_rows(path):
    with open(path, encoding="latin-1", newline="") as fh:
        return list(csv.DictReader(fh))


# ---------------------------------------------------------------------------
# fixtures: every layout
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("layout", list(LAYOUT_FILES))
def test_fixture_layout_loads(fixtures_dir, layout):
    name, vintage, years = LAYOUT_FILES[layout]
    path = fixtures_dir / "census_population" / name
    df = cp.load(path)
    assert df.attrs["layout"] == layout
    assert set(df["vintage"]) == {vintage}
    assert sorted(df["year"].unique()) == list(years)
    # independent reading with the csv module: county rows only, every July-1 value
    rows = [r for r in _csv_rows(path) if r["SUMLEV"] == "050"]
    assert df.attrs["rows_not_county"] == len(_csv_rows(path)) - len(rows)
    assert len(df) == len(rows) * len(years)
    got = df.set_index(["fips", "year"])["population"]
    for r in rows:
        fips = r["STATE"].zfill(2) + r["COUNTY"].zfill(3)
        for y in years:
            assert got[(fips, y)] == int(r[f"POPESTIMATE{y}"])
    assert str(df["population"].dtype) == "Int64"
    assert df["fips"].str.fullmatch(r"\d{5}").all()
    assert (df["state_fips"] == df["fips"].str[:2]).all()
    assert "Do\u00f1a Ana County" in set(df["county_name"])  # latin-1 decoded


def test_v2020_ignores_april_estimate(fixtures_dir):
    df = cp.load(fixtures_dir / "census_population" / "co-est2020-alldata.csv")
    rows = {
        r["STATE"] + r["COUNTY"]: r
        for r in _csv_rows(fixtures_dir / "census_population" / "co-est2020-alldata.csv")
    }
    v = df[(df["fips"] == "37119") & (df["year"] == 2020)]["population"].item()
    assert v == int(rows["37119"]["POPESTIMATE2020"]) != int(rows["37119"]["POPESTIMATE042020"])


def test_unknown_layout_is_an_error(tmp_path):
    p = tmp_path / "x.csv"
    p.write_text(
        "SUMLEV,STATE,COUNTY,STNAME,CTYNAME,POP2005\n050,37,001,NC,A,5\n", encoding="latin-1"
    )
    with pytest.raises(SourceError, match="unknown Census county-estimates layout"):
        cp.load(p)


# ---------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------


def _copy(fixtures_dir, tmp_path, name="co-est2009-alldata.csv"):
    dst = tmp_path / name
    shutil.copy(fixtures_dir / "census_population" / name, dst)
    return dst


def _edit(path, line, column, value):
    rows = list(csv.reader(open(path, encoding="latin-1", newline="")))
    col = rows[0].index(column)
    rows[line - 1][col] = value
    with open(path, "w", encoding="latin-1", newline="") as fh:
        csv.writer(fh).writerows(rows)


def test_truncated_file(fixtures_dir, tmp_path):
    p = _copy(fixtures_dir, tmp_path)
    text = p.read_bytes()
    p.write_bytes(text[: len(text) - 150])  # cut inside the last line
    n_lines = p.read_bytes().count(b"\n") + 1
    with pytest.raises(SourceError) as err:
        cp.load(p)
    assert f"row {n_lines}" in str(err.value) and "co-est2009-alldata.csv" in str(err.value)


def test_empty_file(tmp_path):
    p = tmp_path / "co-est2009-alldata.csv"
    p.write_bytes(b"")
    with pytest.raises(SourceError, match="empty"):
        cp.load(p)


def test_missing_column(fixtures_dir, tmp_path):
    p = _copy(fixtures_dir, tmp_path)
    df = pd.read_csv(p, dtype=str, encoding="latin-1").drop(columns=["POPESTIMATE2004"])
    df.to_csv(p, index=False, encoding="latin-1")
    with pytest.raises(SourceError, match="POPESTIMATE2004"):
        cp.load(p)


def test_renamed_column(fixtures_dir, tmp_path):
    p = _copy(fixtures_dir, tmp_path)
    df = pd.read_csv(p, dtype=str, encoding="latin-1").rename(columns={"COUNTY": "CNTY"})
    df.to_csv(p, index=False, encoding="latin-1")
    with pytest.raises(SourceError, match="'COUNTY'"):
        cp.load(p)


def test_non_numeric_cell(fixtures_dir, tmp_path):
    p = _copy(fixtures_dir, tmp_path)
    _edit(p, 3, "POPESTIMATE2003", "12a45")
    with pytest.raises(SourceError) as err:
        cp.load(p)
    assert (
        "row 3" in str(err.value)
        and "'POPESTIMATE2003'" in str(err.value)
        and "12a45" in str(err.value)
    )


def test_negative_population(fixtures_dir, tmp_path):
    p = _copy(fixtures_dir, tmp_path)
    _edit(p, 4, "POPESTIMATE2007", "-5")
    with pytest.raises(SourceError) as err:
        cp.load(p)
    assert "row 4" in str(err.value) and "POPESTIMATE2007" in str(err.value)


def test_duplicate_county(fixtures_dir, tmp_path):
    p = _copy(fixtures_dir, tmp_path)
    lines = p.read_text(encoding="latin-1").splitlines()
    p.write_text("\n".join([*lines, lines[2]]) + "\n", encoding="latin-1")
    with pytest.raises(SourceError) as err:
        cp.load(p)
    assert "duplicate" in str(err.value) and "rows 3, " in str(err.value)


# ---------------------------------------------------------------------------
# vintage choice
# ---------------------------------------------------------------------------


def test_population_panel_prefers_intercensal_and_latest_vintage(fixtures_dir):
    frames = [cp.load(fixtures_dir / "census_population" / n) for n, _, _ in LAYOUT_FILES.values()]
    panel = cp.county_population_panel(frames, range(2000, 2021))
    by_year = panel.groupby("year")["vintage"].unique()
    for y in range(2000, 2010):
        assert list(by_year[y]) == ["intercensal2000"]
    for y in range(2010, 2021):
        assert list(by_year[y]) == ["v2020"]
    assert not panel.duplicated(["fips", "year"]).any()
    # without the intercensal and v2020 files: v2009 then v2019
    panel = cp.county_population_panel([frames[1], frames[2]], range(2005, 2015))
    assert set(panel.loc[panel["year"] < 2010, "vintage"]) == {"v2009"}
    assert set(panel.loc[panel["year"] >= 2010, "vintage"]) == {"v2019"}
    with pytest.raises(ValueError, match="2020"):
        cp.county_population_panel([frames[1], frames[2]], [2020])


# ---------------------------------------------------------------------------
# real copies
# ---------------------------------------------------------------------------


@pytest.mark.shared_data
@pytest.mark.parametrize(
    "name,n_counties,years",
    [
        (
            "co-est2009-alldata.csv",
            3143,
            range(2000, 2010),
        ),  # counts from PROVENANCE.md (SUMLEV 50 rows)
        ("co-est2019-alldata.csv", 3142, range(2010, 2020)),
    ],
)
def test_real_file_loads(shared_data, name, n_counties, years):
    path = shared_data / "census_county_pop_tell" / name
    if not path.exists():
        pytest.skip(f"{path} absent")
    df = cp.load(path)
    assert df["fips"].nunique() == n_counties
    assert sorted(df["year"].unique()) == list(years)
    assert len(df) == n_counties * len(years)
    # the registry holds the checksum of the official file, so fetch() verifies downloads
    assert sha256_of(path) == cp.SHA256[name]
    # independent reading of a few counties with the csv module
    rows = {r["STATE"] + r["COUNTY"]: r for r in _csv_rows(path) if r["SUMLEV"] == "050"}
    got = df.set_index(["fips", "year"])["population"]
    for fips in ("37119", "06037", "08014", "51515"):
        if fips in rows:
            for y in years:
                assert got[(fips, y)] == int(rows[fips][f"POPESTIMATE{y}"])


@pytest.mark.shared_data
def test_real_population_panel_2000_2019(shared_data):
    d = shared_data / "census_county_pop_tell"
    frames = [cp.load(d / "co-est2009-alldata.csv"), cp.load(d / "co-est2019-alldata.csv")]
    panel = cp.county_population_panel(frames, range(2003, 2014))
    assert set(panel.loc[panel["year"] <= 2009, "vintage"]) == {"v2009"}
    assert set(panel.loc[panel["year"] >= 2010, "vintage"]) == {"v2019"}
    assert (
        panel.loc[panel["fips"].str.startswith("37"), "fips"].nunique() == 100
    )  # NC has 100 counties


# ---------------------------------------------------------------------------
# partial files: made in the test from the committed fixtures
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", [v[0] for v in LAYOUT_FILES.values()])
def test_first_half_at_a_line_boundary_is_refused(fixtures_dir, tmp_path, name):
    p = _copy(fixtures_dir, tmp_path, name)
    lines = p.read_bytes().splitlines(keepends=True)
    p.write_bytes(b"".join(lines[: len(lines) // 2]))  # ends in a newline: parses cleanly
    with pytest.raises(SourceError, match=r"incomplete file") as err:
        cp.load(p)
    assert name in str(err.value)


def test_cut_just_before_a_state_row_names_the_missing_states(fixtures_dir, tmp_path):
    p = _copy(fixtures_dir, tmp_path)
    rows = _csv_rows(p)
    wy = next(i for i, r in enumerate(rows) if r["SUMLEV"] == "040" and r["STATE"] == "56")
    lines = p.read_bytes().splitlines(keepends=True)
    p.write_bytes(b"".join(lines[: wy + 1]))  # header + every row before Wyoming's state row
    with pytest.raises(SourceError, match=r"no state row .* \['56'\]"):
        cp.load(p)


def test_county_missing_inside_a_state(fixtures_dir, tmp_path):
    p = _copy(fixtures_dir, tmp_path)
    lines = p.read_bytes().splitlines(keepends=True)
    rows = _csv_rows(p)
    meck = next(i for i, r in enumerate(rows) if r["STATE"] + r["COUNTY"] == "37119")
    nc_line = 2 + next(i for i, r in enumerate(rows) if r["SUMLEV"] == "040" and r["STATE"] == "37")
    del lines[meck + 1]  # lines[0] is the header
    p.write_bytes(b"".join(lines))
    with pytest.raises(SourceError) as err:
        cp.load(p)
    msg = str(err.value)
    assert "state 37 (North Carolina)" in msg and f"row {nc_line}" in msg
    assert "'POPESTIMATE2000'" in msg  # the first year checked


def test_last_line_cut_mid_line_names_the_line_and_field_counts(fixtures_dir, tmp_path):
    p = _copy(fixtures_dir, tmp_path)
    data = p.read_bytes()
    n_lines = data.count(b"\n")  # the last line ends in CRLF
    p.write_bytes(data[: data.rindex(b"\r\n", 0, len(data) - 2) + 30])  # 30 bytes of the last line
    with pytest.raises(
        SourceError,
        match=rf"row {n_lines}: the last line has \d+ fields but the header has \d+ .*truncated",
    ):
        cp.load(p)


def test_html_page_saved_as_the_csv(tmp_path):
    p = tmp_path / "co-est2009-alldata.csv"
    p.write_text("<!DOCTYPE html>\n<html><head><title>Sign in</title></head></html>\n")
    with pytest.raises(SourceError, match=r"co-est2009-alldata.csv: is an HTML/XML page"):
        cp.load(p)


def test_short_row_in_the_middle(fixtures_dir, tmp_path):
    p = _copy(fixtures_dir, tmp_path)
    lines = p.read_text(encoding="latin-1").splitlines()
    lines[5] = ",".join(lines[5].split(",")[:-3])
    p.write_text("\r\n".join(lines) + "\r\n", encoding="latin-1")
    with pytest.raises(
        SourceError, match=r"row 6: line has \d+ fields but the header \(line 1\) has"
    ):
        cp.load(p)
