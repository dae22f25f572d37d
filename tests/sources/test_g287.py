"""287(g) loaders: roster, OIG 2009, WaPo flags, FBI agency list, ICE current sheets and scrape history."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest

from enforcement_crime.facts import nc_287g_agreements
from enforcement_crime.sources import g287
from enforcement_crime.sources._checks import SourceError
from enforcement_crime.sources._download import sha256_of

sys.path.insert(0, str(Path(__file__).parent))
from _xlsx import write_xlsx  # noqa: E402

FIX = "g287"


def _rows(path):
    return list(csv.reader(open(path, newline="")))


def _write(path, rows):
    with open(path, "w", newline="") as fh:
        csv.writer(fh).writerows(rows)


# ---------------------------------------------------------------------------
# fixtures
# ---------------------------------------------------------------------------


def test_roster_fixture(fixtures_dir):
    df = g287.load(fixtures_dir / FIX / "pre2018-agreements-best-guess.csv")
    assert set(df["source"]) == {"roster"}
    # 4 agencies; Durham's duplicated FIPS collapse to one row, Testville's two counties give two
    assert len(df) == 5
    assert sorted(df.loc[df["agency"] == "Testville Police Department", "fips"]) == [
        "48085",
        "48113",
    ]
    assert list(df.loc[df["agency"] == "City of Durham Police Department", "fips"]) == ["37063"]
    gao = df[df["agency"] == "Testa County Sheriff's Office"].iloc[0]
    assert gao["state"] == "NORTH CAROLINA" and pd.isna(gao["fips"])  # state taken from the bracket
    meck = df[df["fips"] == "37119"].iloc[0]
    assert meck["first_signed"] == pd.Timestamp("2006-02-20") and meck["model"] == "jail"
    assert df.loc[df["agency"] == "Testville Police Department", "model"].iloc[0] == "both"
    assert df["terminated"].dtype == "boolean" and df["first_signed"].dtype == "datetime64[ns]"
    assert df.loc[df["fips"] == "37119", "line"].item() == 3  # 1-based file line


def test_oig_fixture(fixtures_dir):
    df = g287.load(fixtures_dir / FIX / "historical-oig-2009.csv")
    assert set(df["source"]) == {"oig2009"} and len(df) == 4
    assert (
        df.loc[df["agency"] == "Testa County Sheriff's Office", "model"].item() == "both"
    )  # Hybrid
    assert df["signed"].min() == pd.Timestamp("2006-02-20")
    assert set(df["status"]) == {"signed", "pending"}


def test_wapo_fixture_long(fixtures_dir):
    df = g287.load(fixtures_dir / FIX / "287g_curated_2019.xlsx")
    assert set(df["source"]) == {"wapo"}
    assert len(df) == 4 * 15  # 4 sheet rows x y2005..y2019
    meck = df[df["agency"] == "Mecklenburg County Sheriff's Office"]
    assert meck.loc[meck["in_287g"], "year"].tolist() == list(range(2007, 2020))
    assert set(meck["fips"]) == {"37119"}
    ala = df[df["agency"] == "Alamance County Sheriff's Office"]
    assert set(ala["ori"]) == {"NC0010000"}  # taken from the `ignore` column
    assert df.loc[df["agency"] == "Department of Corrections", "fips"].isna().all()


def test_ice_current_fixture_with_repairs(fixtures_dir):
    df = g287.load(fixtures_dir / FIX / "participatingAgencies07182025pm.xlsx")
    assert set(df["status"]) == {"participating"} and len(df) == 4
    assert (df["sheet_date"] == pd.Timestamp("2025-07-18")).all()
    got = df.set_index("agency")
    assert got.loc["Testa Police Department", "signed"] == pd.Timestamp("2025-07-07")  # "7/72025"
    assert "7/72025" in got.loc["Testa Police Department", "signed_issue"]
    assert pd.isna(got.loc["Tooele County Sheriff's Office", "signed"])  # year 5025: implausible
    assert "implausible" in got.loc["Tooele County Sheriff's Office", "signed_issue"]
    ala = df[df["agency"] == "Alamance County Sheriff's Office"]
    assert sorted(ala["model"]) == ["jail", "warrant service officer"]
    assert (ala["signed"] == pd.Timestamp("2020-05-01")).all() and ala["signed_issue"].isna().all()


def test_ice_pending_fixture(fixtures_dir):
    df = g287.load(fixtures_dir / FIX / "pendingAgencies07182025pm.xlsx")
    assert set(df["status"]) == {"pending"} and df["signed"].isna().all()


def test_ice_agreements_fixture(fixtures_dir):
    df = g287.load(fixtures_dir / FIX / "agreements.csv")
    assert len(df) == 3 and df.attrs["exact_duplicates_dropped"] == 1
    testa = df[df["agency"] == "testa police"]
    assert testa["n_copies"].item() == 2 and pd.isna(testa["county_name"].item())  # "NA" is missing
    assert df["scrape_date"].min() == pd.Timestamp("2025-05-16")


def test_ucr_agencies_fixture(fixtures_dir):
    df = g287.load(fixtures_dir / FIX / "ucr_agencies_list.csv")
    assert list(df["ori"]) == ["NC0600000", "NC0010000"] and list(df["county_name"]) == [
        "MECKLENBURG",
        "ALAMANCE",
    ]


# ---------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------


@pytest.fixture()
def roster(fixtures_dir, tmp_path):
    dst = tmp_path / "roster.csv"
    shutil.copy(fixtures_dir / FIX / "pre2018-agreements-best-guess.csv", dst)
    return dst


def _set(path, line, column, value):
    rows = _rows(path)
    rows[line - 1][rows[0].index(column)] = value
    _write(path, rows)


def test_roster_missing_column(roster):
    rows = _rows(roster)
    i = rows[0].index("first_signed_best")
    _write(roster, [r[:i] + r[i + 1 :] for r in rows])
    with pytest.raises(SourceError, match="first_signed_best"):
        g287.load_roster(roster)


def test_roster_bad_date(roster):
    _set(roster, 3, "first_signed_best", "2006-02-30")
    with pytest.raises(SourceError, match="row 3.*first_signed_best.*2006-02-30"):
        g287.load(roster)


def test_roster_unknown_model(roster):
    _set(roster, 3, "models", "Jail Model X")
    with pytest.raises(SourceError, match="row 3.*models.*unknown 287"):
        g287.load(roster)


def test_roster_bad_fips(roster):
    _set(roster, 4, "county_fips", "37063; Durham")
    with pytest.raises(SourceError, match="row 4.*county_fips"):
        g287.load(roster)


def test_roster_negative_and_non_numeric_count(roster):
    _set(roster, 3, "n_sources", "-1")
    with pytest.raises(SourceError, match="row 3.*n_sources"):
        g287.load(roster)
    _set(roster, 3, "n_sources", "two")
    with pytest.raises(SourceError, match="row 3.*n_sources.*'two'"):
        g287.load(roster)


def test_roster_duplicate_agency(roster):
    rows = _rows(roster)
    _write(roster, [*rows, rows[2]])
    with pytest.raises(SourceError, match="duplicate"):
        g287.load(roster)


def test_roster_truncated(roster):
    data = roster.read_bytes()
    roster.write_bytes(data[: data.index(b"Testville") + 5])
    with pytest.raises(SourceError, match="roster.csv"):
        g287.load_roster(roster)


def test_oig_duplicate_and_missing(fixtures_dir, tmp_path):
    p = tmp_path / "oig.csv"
    shutil.copy(fixtures_dir / FIX / "historical-oig-2009.csv", p)
    rows = _rows(p)
    _write(p, [*rows, rows[1]])
    with pytest.raises(SourceError, match="duplicate"):
        g287.load_oig_2009(p)
    _write(p, [r[:-1] for r in rows])  # no status column
    with pytest.raises(SourceError, match="status"):
        g287.load_oig_2009(p)


def test_wapo_bad_flag_and_fips(tmp_path):
    header = ["Sheriff", "State", "County", "ori", "FIPS", "y2005", "y2006"]
    p = write_xlsx(tmp_path / "w.xlsx", header, [["A", "TEXAS", "X County", "", 48001, "X", "yes"]])
    with pytest.raises(SourceError, match="row 2.*y2006.*'yes'"):
        g287.load_wapo(p)
    p = write_xlsx(tmp_path / "w.xlsx", header, [["A", "TEXAS", "X County", "", "forty", "X", ""]])
    with pytest.raises(SourceError, match="row 2.*FIPS"):
        g287.load_wapo(p)


def test_ice_bad_date_and_missing_column(tmp_path):
    header = ["STATE", "LAW ENFORCEMENT AGENCY", "TYPE", "COUNTY", "SUPPORT TYPE", "SIGNED"]
    p = write_xlsx(
        tmp_path / "s.xlsx",
        header,
        [["UTAH", "A", "County", "B County", "Task Force Model", "soon"]],
    )
    with pytest.raises(SourceError, match="row 2.*SIGNED.*'soon'"):
        g287.load_ice_current(p)
    p = write_xlsx(
        tmp_path / "s.xlsx",
        header[:4] + ["SIGNED"],
        [["UTAH", "A", "County", "B County", dt.date(2025, 1, 2)]],
    )
    with pytest.raises(SourceError, match="SUPPORT TYPE"):
        g287.load_ice_current(p)
    p = write_xlsx(
        tmp_path / "s.xlsx",
        header,
        [["UTAH", "A", "County", "B County", "Task Force Model", dt.date(2025, 1, 2)]] * 2,
    )
    with pytest.raises(SourceError, match="duplicate"):
        g287.load_ice_current(p)


def test_corrupt_xlsx(tmp_path):
    p = tmp_path / "participatingAgencies.xlsx"
    p.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(SourceError, match="participatingAgencies.xlsx"):
        g287.load_ice_current(p)


def test_agreements_conflicting_duplicate(fixtures_dir, tmp_path):
    p = tmp_path / "agreements.csv"
    shutil.copy(fixtures_dir / FIX / "agreements.csv", p)
    rows = _rows(p)
    changed = list(rows[1])
    changed[rows[0].index("population_policed")] = "1"
    _write(p, [*rows, changed])
    with pytest.raises(SourceError, match="duplicate"):
        g287.load_ice_agreements(p)


def test_unknown_layout(tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("a,b\n1,2\n")
    with pytest.raises(SourceError, match="unknown 287"):
        g287.load(p)


# ---------------------------------------------------------------------------
# real copies
# ---------------------------------------------------------------------------

DDP = "ice_287g_deportationdata"


def _real(shared_data, folder, name):
    path = shared_data / folder / name
    if not path.exists():
        pytest.skip(f"{path} absent")
    return path


@pytest.mark.shared_data
def test_real_roster_matches_table_a1(shared_data):
    df = g287.load(_real(shared_data, DDP, "pre2018-agreements-best-guess.csv"))
    assert df["line"].nunique() == 229  # agency rows (PROVENANCE.md)
    assert (df["jurisdiction_level"] == "local").groupby(df["line"]).first().sum() == 87
    # the NC signing dates equal Forrester & Nowrasteh's Table A1 (committed fact table)
    facts = nc_287g_agreements().set_index("fips")["signed"]
    got = df[df["fips"].isin(facts.index)].groupby("fips")["first_signed"].min()
    for fips in got.index:
        assert got[fips] == facts[fips], fips
    assert set(got.index) == set(facts.index) - {
        "37051"
    }  # Cumberland has no FIPS in the file (PROVENANCE.md)


@pytest.mark.shared_data
def test_real_oig(shared_data):
    df = g287.load(_real(shared_data, DDP, "historical-oig-2009.csv"))
    assert len(df) == 67 and df["status"].value_counts().to_dict() == {"signed": 61, "pending": 6}
    assert df["model"].value_counts().to_dict() == {"jail": 28, "task force": 27, "both": 12}


@pytest.mark.shared_data
@pytest.mark.parametrize("name", ["287g_curated_2018.xlsx", "287g_curated_2019.xlsx"])
def test_real_wapo(shared_data, name):
    path = _real(shared_data, "wapo_sheriffs_287g", name)
    df = g287.load(path)
    assert df["line"].nunique() == 202
    # year-flag counts from PROVENANCE.md
    expected = {
        2005: 6,
        2006: 9,
        2007: 32,
        2008: 55,
        2009: 64,
        2010: 63,
        2011: 63,
        2012: 62,
        2013: 40,
        2014: 39,
        2015: 36,
        2016: 38,
        2017: 66,
        2018: 83,
        2019: 128,
    }
    assert df[df["in_287g"]].groupby("year").size().to_dict() == expected
    assert sha256_of(path) == g287.SHA256[name]


@pytest.mark.shared_data
def test_real_ucr_agencies(shared_data):
    path = _real(shared_data, "wapo_sheriffs_287g", "ucr_agencies_list.csv")
    df = g287.load(path)
    assert len(df) == 18459 and df["ori"].is_unique
    assert sha256_of(path) == g287.SHA256["ucr_agencies_list.csv"]


@pytest.mark.shared_data
@pytest.mark.parametrize(
    "name,n,status",
    [
        ("participatingAgencies05162025am.xlsx", 571, "participating"),
        ("participatingAgencies07182025pm.xlsx", 832, "participating"),
        ("pendingAgencies07182025pm.xlsx", 26, "pending"),
    ],
)
def test_real_ice_sheets(shared_data, name, n, status):
    df = g287.load(_real(shared_data, "ice_287g_current_appelson", name))
    assert len(df) == n and set(df["status"]) == {status}
    if status == "participating":
        # every SIGNED cell is read or explicitly repaired; none silently lost
        assert (df["signed"].notna() | df["signed_issue"].notna()).all()
        assert df["signed"].max() <= df["sheet_date"].iloc[0]


@pytest.mark.shared_data
def test_real_agreements(shared_data):
    df = g287.load(_real(shared_data, "ice_287g_current_appelson", "agreements.csv"))
    # 11,257 records (PROVENANCE.md) = kept rows + exact repeats
    assert len(df) + df.attrs["exact_duplicates_dropped"] == 11257
    # "17 scrape dates" (PROVENANCE.md): day plus am/pm
    assert len(df[["scrape_date", "scrape_time"]].drop_duplicates()) == 17


# ---------------------------------------------------------------------------
# exact duplicate WaPo rows, partial CSV files (made in the test)
# ---------------------------------------------------------------------------


def test_wapo_exact_duplicate_row_dropped_and_reported(tmp_path):
    header = ["Sheriff", "State", "County", "ori", "FIPS", "y2005", "y2006"]
    rows = [
        ["A", "TEXAS", "X County", "", 48001, "X", ""],
        ["B", "TEXAS", "Y County", "", 48003, "", "X"],
        ["A", "TEXAS", "X County", "", 48001, "X", ""],  # exact copy of row 2
        ["A", "TEXAS", "X County", "", 48001, "X", "X"],  # same agency, differs: kept
    ]
    p = write_xlsx(tmp_path / "w.xlsx", header, rows)
    with pytest.warns(UserWarning, match=r"w.xlsx: dropped 1 sheet row.*\{4: 2\}"):
        df = g287.load_wapo(p)
    assert df.attrs["exact_duplicates_dropped"] == 1
    assert df.attrs["exact_duplicate_lines"] == {4: 2}
    assert sorted(df["line"].unique()) == [2, 3, 5]
    assert len(df) == 3 * 2  # three sheet rows kept x two years


def test_wapo_without_duplicates_reports_zero(fixtures_dir):
    df = g287.load_wapo(fixtures_dir / FIX / "287g_curated_2019.xlsx")
    assert df.attrs["exact_duplicates_dropped"] == 0 and df.attrs["exact_duplicate_lines"] == {}


@pytest.mark.parametrize(
    "name,loader",
    [
        ("pre2018-agreements-best-guess.csv", g287.load_roster),
        ("historical-oig-2009.csv", g287.load_oig_2009),
        ("agreements.csv", g287.load_ice_agreements),
        ("ucr_agencies_list.csv", g287.load_ucr_agencies),
    ],
)
def test_csv_layouts_refuse_a_cut_last_line(fixtures_dir, tmp_path, name, loader):
    data = (fixtures_dir / FIX / name).read_bytes()
    last = data.rstrip(b"\r\n").rindex(b"\n") + 1  # start of the last record
    p = tmp_path / name
    p.write_bytes(data[: last + 12])  # 12 bytes of the last record, no newline
    n_last = data[:last].count(b"\n") + 1
    with pytest.raises(SourceError, match=rf"{name}: row {n_last}: the last line has \d+ fields"):
        loader(p)
    with pytest.raises(SourceError, match="the last line has"):
        g287.load(p)  # layout detection reads the header only; the loader then refuses


def test_oig_list_with_a_short_row_in_the_middle(fixtures_dir, tmp_path):
    rows = _rows(fixtures_dir / FIX / "historical-oig-2009.csv")
    rows[2] = rows[2][:3]
    p = tmp_path / "oig.csv"
    _write(p, rows)
    with pytest.raises(SourceError, match=r"oig.csv: row 3: line has 3 fields but the header"):
        g287.load_oig_2009(p)


def test_html_login_page_saved_as_the_roster(tmp_path):
    p = tmp_path / "pre2018-agreements-best-guess.csv"
    p.write_text("\n<html><body>Please sign in</body></html>")
    with pytest.raises(SourceError, match="HTML"):
        g287.load(p)


def test_every_file_fetched_from_a_pinned_commit_has_a_registered_sha256():
    import re

    pinned = {n for n, url in g287.URLS.items() if re.search(r"/[0-9a-f]{40}/", url)}
    assert pinned == set(g287.URLS)  # every 287(g) source file is fetched from a pinned commit
    for name in pinned:
        assert re.fullmatch(r"[0-9a-f]{64}", g287.SHA256[name] or ""), name


def test_the_shared_roster_copies_match_their_registered_sha256_and_a_cut_copy_does_not(
    tmp_path, shared_data
):
    from enforcement_crime.panels.rawfiles import checksum_states

    for name in ("pre2018-agreements-best-guess.csv", "historical-oig-2009.csv"):
        real = shared_data / DDP / name
        cut = tmp_path / name
        lines = real.read_bytes().splitlines(keepends=True)
        cut.write_bytes(b"".join(lines[: len(lines) // 2]))  # cut exactly at a line end
        assert checksum_states("g287", [real, cut]) == {real: "ok", cut: "MISMATCH"}
