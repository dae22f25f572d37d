"""Kaplan's crimedatatool agency-year CSVs (offenses and LEOKA): fixtures, mangled copies, real copies."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pandas as pd
import pytest

from enforcement_crime.sources import ucr_kaplan_agency as kag
from enforcement_crime.sources._checks import SourceError
from enforcement_crime.sources._download import LoginRequired

sys.path.insert(0, str(Path(__file__).parent))
from _mangle import replace_once, shared_folder, truncated, with_repeated_line  # noqa: E402

OFFENSES = "offenses_north_carolina_fixture.csv"
LEOKA = "leoka_north_carolina_fixture.csv"


@pytest.fixture(scope="module")
def fx(fixtures_dir: Path) -> Path:
    return fixtures_dir / "ucr_kaplan_agency"


def _raw(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def _count(text: str) -> int | None:
    """The independent reading of a count cell: empty and NA are missing, else a float's integer."""
    if text in ("", "NA"):
        return None
    value = float(text)
    assert value == int(value)
    return int(value)


def test_offenses_fixture_matches_an_independent_parse(fx):
    df = kag.load(fx / OFFENSES)
    raw = _raw(fx / OFFENSES)
    assert df.attrs["kind"] == "offenses" and len(df) == len(raw)
    assert list(df.index) == list(range(2, len(raw) + 2))  # file lines, header = 1
    for rec, (_, row) in zip(raw, df.iterrows(), strict=True):
        assert (row["ori"], row["year"], row["agency"]) == (
            rec["ORI"],
            int(rec["year"]),
            rec["agency"],
        )
        for col, text in rec.items():
            if col in ("agency", "state", "ORI", "year"):
                continue
            want = _count(text)
            assert pd.isna(row[col]) if want is None else row[col] == want, (col, rec["ORI"])
        parts = {k: _count(rec[c]) for k, c in kag.OFFENSE_PARTS.items()}
        viol = [parts[k] for k in ("murder", "rape", "robbery", "aggravated_assault")]
        prop = [parts[k] for k in ("burglary", "larceny", "motor_vehicle_theft")]
        if None in viol:
            assert pd.isna(row["violent"]) and pd.isna(row["index"])
        else:
            assert row["violent"] == sum(viol)
            assert row["index"] == sum(viol) + sum(prop)
        assert row["property"] == sum(prop)


def test_r_notation_missing_cells_and_unreported_clearances(fx):
    df = kag.load(fx / OFFENSES).set_index(["ori", "year"])
    assert df.loc[("NC00100", 2006), "act_theft_total"] == 1000  # written 1e3
    assert df.loc[("NC00100", 2006), "larceny"] == 1000
    ashe05 = df.loc[("NC00500", 2005)]
    assert pd.isna(ashe05["act_robbery_total"]) and pd.isna(ashe05["robbery"])
    assert pd.isna(ashe05["violent"])  # a missing part: the total is missing, not a smaller sum
    assert pd.isna(ashe05["clr_murder"]) and pd.isna(ashe05["cleared_violent"])
    assert ashe05["clearances_reported"]  # a missing cell is not "every clearance at 0"
    assert ashe05["cleared_property"] >= 0
    ashe07 = df.loc[("NC00500", 2007)]
    assert not ashe07["clearances_reported"]
    assert pd.isna(ashe07["cleared_violent"]) and pd.isna(ashe07["cleared_property"])
    assert ashe07["clr_burglary_total"] == 0  # the raw zeros are kept
    assert ashe07["burglary"] > 0
    assert df["clearances_reported"].sum() == len(df) - 1


def test_leoka_fixture(fx):
    df = kag.load(fx / LEOKA)
    raw = _raw(fx / LEOKA)
    assert df.attrs["kind"] == "leoka" and len(df) == len(raw)
    for rec, (_, row) in zip(raw, df.iterrows(), strict=True):
        assert row["officers"] == int(rec["total_officers"])
        assert row["officers"] == row["female_employees_officers"] + row["male_employees_officers"]
        want = _count(rec["total_assault_total"])
        assert (
            pd.isna(row["assaults_on_officers"])
            if want is None
            else row["assaults_on_officers"] == want
        )
        assert row["assaults_reported"] == (want is not None)
    wake = df.set_index(["ori", "year"]).loc[("NC09200", 2006)]
    assert not wake["assaults_reported"] and pd.isna(wake["assault_injury_total"])
    assert "NC06000" in set(df["ori"])  # the Mecklenburg sheriff: LEOKA rows, no offenses rows


def test_kind_is_checked(fx):
    with pytest.raises(SourceError, match="is a Kaplan leoka file, a offenses file"):
        kag.load_offenses(fx / LEOKA)
    with pytest.raises(SourceError, match="is a Kaplan offenses file"):
        kag.load_leoka(fx / OFFENSES)
    with pytest.raises(LoginRequired, match="crimedatatool_helper"):
        kag.fetch("somewhere")


# ----------------------------------------------------------------- mangled copies


def _cell_edit(path: Path, tmp_path: Path, line: int, column: str, value: str) -> Path:
    rows = list(csv.reader(path.read_text().splitlines()))
    rows[line - 1][rows[0].index(column)] = value
    out = tmp_path / path.name
    with open(out, "w", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    return out


@pytest.mark.parametrize("name", [OFFENSES, LEOKA])
def test_truncated_copy_fails(fx, tmp_path, name):
    cut = truncated(fx / name, tmp_path / name, 40)  # cut inside the last line, no newline
    with pytest.raises(SourceError, match=rf"{name}: row \d+: .*truncated"):
        kag.load(cut)


@pytest.mark.parametrize(
    ("name", "column"), [(OFFENSES, "clr_robbery_total"), (LEOKA, "total_assault_total")]
)
def test_renamed_column_fails(fx, tmp_path, name, column):
    bad = tmp_path / name
    bad.write_text((fx / name).read_text())
    replace_once(bad, f",{column},", f",{column}_x,")
    with pytest.raises(SourceError, match=rf"column '{column}': missing column"):
        kag.load(bad)


@pytest.mark.parametrize(
    ("name", "column"),
    [(OFFENSES, "act_burglary_total"), (OFFENSES, "population"), (LEOKA, "total_officers")],
)
def test_non_numeric_cell_fails(fx, tmp_path, name, column):
    bad = _cell_edit(fx / name, tmp_path, 5, column, "12a")
    with pytest.raises(SourceError, match=rf"{name}: row 5: column '{column}': .*'12a'"):
        kag.load(bad)


def test_fraction_and_negative_fail(fx, tmp_path):
    bad = _cell_edit(fx / OFFENSES, tmp_path, 3, "act_murder", "1.5")
    with pytest.raises(SourceError, match=r"row 3: column 'act_murder': expected a whole number"):
        kag.load(bad)
    bad = _cell_edit(fx / OFFENSES, tmp_path, 4, "clr_theft_total", "-2")
    with pytest.raises(
        SourceError, match=r"row 4: column 'clr_theft_total': expected a count >= 0"
    ):
        kag.load(bad)


@pytest.mark.parametrize("name", [OFFENSES, LEOKA])
def test_duplicated_agency_year_fails(fx, tmp_path, name):
    bad, n = with_repeated_line(fx / name, tmp_path / name, 3)
    with pytest.raises(SourceError, match=rf"rows 4, {n}: column 'ORI, year': agency-year"):
        kag.load(bad)


# ----------------------------------------------------------------- the real copies


@pytest.fixture(scope="module")
def real(shared_data: Path) -> Path:
    return shared_folder(shared_data, "kaplan_ucr_nc_agencies_2000_2016")


#: agency-years read back (ORI, year): sheriffs, the three police departments, an R 1e3 cell
PICKS = [
    ("NC00100", 2000),
    ("NC00100", 2016),
    ("NC06001", 2004),
    ("NC06001", 2010),
    ("NC03201", 2008),
    ("NC03605", 2007),
    ("NC09200", 2012),
    ("NC02600", 2000),
]


@pytest.mark.shared_data
@pytest.mark.parametrize("name", ["offenses", "leoka"])
def test_real_files_read_back(real, name):
    path = real / f"{name}_north_carolina_2000_2016.csv"
    df = kag.load(path).set_index(["ori", "year"])
    raw = {(r["ORI"], int(r["year"])): r for r in _raw(path)}
    assert len(df) == len(raw)  # PROVENANCE.md: 1,501 offenses and 1,742 LEOKA rows
    assert len(df) == {"offenses": 1501, "leoka": 1742}[name]
    for key in PICKS:
        rec, row = raw[key], df.loc[key]
        assert row["agency"] == rec["agency"] and row["population"] == int(rec["population"])
        for col, text in rec.items():
            if col in ("agency", "state", "ORI", "year"):
                continue
            want = _count(text)
            assert pd.isna(row[col]) if want is None else row[col] == want, (key, col)
    if name == "offenses":
        # 1e3 cells are 1000 (found here by the independent parse, not by the loader)
        r_cells = [
            (k, c)
            for k, r in raw.items()
            for c, t in r.items()
            if "e" in t and c != "agency" and c != "state"
        ]
        assert r_cells and all(df.loc[k, c] == int(float(raw[k][c])) for k, c in r_cells)
    else:
        # LEOKA: an empty assault total is missing and flagged, never zero
        empty = [k for k, r in raw.items() if r["total_assault_total"] == ""]
        assert empty and df.loc[empty, "assaults_on_officers"].isna().all()
        assert not df.loc[empty, "assaults_reported"].any()


@pytest.mark.shared_data
def test_real_rows_with_every_clearance_zero(real):
    path = real / "offenses_north_carolina_2000_2016.csv"
    df = kag.load(path).set_index(["ori", "year"])
    raw = _raw(path)
    zero = {
        (r["ORI"], int(r["year"]))
        for r in raw
        if all(t == "0" for c, t in r.items() if c.startswith("clr_"))
    }
    assert set(df.index[~df["clearances_reported"]]) == zero
    # the examples PROVENANCE.md lists: Cumberland 2000, Anson 2008-2009, Durham SO 2007-2009,
    # Randolph 2008 (matched by name here, not by ORI)
    names = {
        (r["agency"].split(" County")[0], int(r["year"]))
        for r in raw
        if (r["ORI"], int(r["year"])) in zero
    }
    for example in [("Cumberland", 2000), ("Anson", 2008), ("Anson", 2009), ("Durham", 2007)]:
        assert example in names
    assert df.loc[sorted(zero), "cleared_violent"].isna().all()


@pytest.mark.shared_data
def test_real_files_match_the_registered_sha256(real):
    from enforcement_crime.panels.rawfiles import checksum_states

    files = sorted(real.glob("*_north_carolina_2000_2016.csv"))
    assert len(files) == 2
    assert set(checksum_states("ucr_kaplan_agency", files).values()) == {"ok"}
