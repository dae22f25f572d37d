"""The North Carolina agency-year panel: built from fixtures, the treatment rules, the real copies."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from enforcement_crime.panels import nc_agency
from enforcement_crime.panels.manifest import read_manifest, write_panel
from enforcement_crime.sources import leaic, ucr_kaplan_agency

# the real panels come from the session fixture real_build (tests/conftest.py), one build per
# worker: this module's tests and the other users of real_build run on one worker
pytestmark = [pytest.mark.xdist_group("real_data")]

FACTS = Path(nc_agency.__file__).parents[1] / "facts" / "nc_287g_table_a1.csv"


@pytest.fixture(scope="module")
def inputs(fixtures_dir: Path):
    fx = fixtures_dir / "ucr_kaplan_agency"
    off = ucr_kaplan_agency.load(fx / "offenses_north_carolina_fixture.csv")
    leo = ucr_kaplan_agency.load(fx / "leoka_north_carolina_fixture.csv")
    cw = leaic.load(fixtures_dir / "leaic" / "35158-0001-Data.tsv")
    return off, leo, cw, fx


@pytest.fixture(scope="module")
def built(inputs):
    off, leo, cw, _ = inputs
    return nc_agency.nc_agency_panel(off, leo, cw)


def _raw(path: Path) -> dict[tuple[str, int], dict[str, str]]:
    with open(path, newline="") as fh:
        return {(r["ORI"], int(r["year"])): r for r in csv.DictReader(fh)}


def _facts() -> dict[str, dict[str, str]]:
    with open(FACTS, newline="") as fh:
        return {r["fips"]: r for r in csv.DictReader(fh)}


def test_fixture_panel_agencies_and_row_accounting(built, inputs):
    panel, man = built
    off, leo, _, _ = inputs
    # Raleigh PD is not a panel agency; the Mecklenburg sheriff has LEOKA rows only
    assert set(panel["ori"]) == {"NC00100", "NC00500", "NC03200", "NC03201", "NC06001", "NC09200"}
    assert not panel.duplicated(["ori", "year"]).any() and len(panel) == 6 * 6
    assert man.rows_in == len(off) + len(leo)
    assert man.aggregated == len(panel)  # every fixture agency-year is in both files
    assert sum(man.dropped.values()) == 2 * 6 + 6  # Raleigh in both files, Mecklenburg SO in LEOKA
    man.check()
    assert (panel["state"] == "NC").all() and not panel["is_synthetic"].any()
    ca = panel.drop_duplicates("ori").set_index("ori")["county_agency"]
    assert ca.to_dict() == {
        "NC00100": True,
        "NC00500": True,
        "NC03200": True,
        "NC03201": False,  # Durham PD: a city agency
        "NC06001": True,  # Charlotte-Mecklenburg PD polices unincorporated Mecklenburg
        "NC09200": True,
    }
    assert panel.set_index("ori").loc["NC06001", "fips"].iloc[0] == "37119"


def test_fixture_outcomes_match_the_source_lines(built, inputs):
    (
        panel,
        _,
    ) = built
    _, _, _, fx = inputs
    off = _raw(fx / "offenses_north_carolina_fixture.csv")
    leo = _raw(fx / "leoka_north_carolina_fixture.csv")
    by = panel.set_index(["ori", "year"])
    for key in [("NC00100", 2006), ("NC06001", 2008), ("NC03201", 2004), ("NC09200", 2006)]:
        o, lo, row = off[key], leo[key], by.loc[key]
        n = {c: float(o[c]) for c in o if c.startswith(("act_", "clr_"))}
        violent = n["act_murder"] + n["act_rape_total"] + n["act_robbery_total"]
        violent += n["act_aggravated_assault"]
        prop = n["act_burglary_total"] + n["act_theft_total"] + n["act_mtr_vhc_theft_total"]
        pop = float(o["population"])
        assert row["violent"] == violent and row["property"] == prop
        assert row["index_rate"] == pytest.approx((violent + prop) / pop * 1e5)
        cleared = n["clr_burglary_total"] + n["clr_theft_total"] + n["clr_mtr_vhc_theft_total"]
        assert row["cleared_property"] == cleared
        assert row["clearance_rate_property"] == pytest.approx(cleared / prop)
        assert row["officers"] == int(lo["total_officers"])
        if lo["total_assault_total"] == "":
            assert pd.isna(row["assaults_on_officers"]) and pd.isna(row["assaults_per_100k"])
        else:
            a = int(lo["total_assault_total"])
            assert row["assaults_per_100_officers"] == pytest.approx(
                100 * a / int(lo["total_officers"])
            )
            assert row["assaults_per_100k"] == pytest.approx(a / pop * 1e5)
        assert row["officers_assaulted_return_a"] == int(o["officers_assaulted"])
    ashe = by.loc[("NC00500", 2007)]  # every clearance 0 in the source: not reported
    assert not ashe["clearances_reported"]
    assert pd.isna(ashe["clearance_rate_violent"]) and pd.isna(ashe["cleared_property"])
    assert ashe["violent"] > 0


def test_treatment_rules(inputs, built):
    off, leo, cw, _ = inputs
    facts = _facts()
    panel, man = built
    t = panel.drop_duplicates("ori").set_index("ori")
    for ori, fips, how in [
        ("NC00100", "37001", "signing agency"),
        ("NC03201", "37063", "signing agency"),  # Durham's task-force agreement: the city police
        ("NC06001", "37119", "county agency, jail model"),
        ("NC09200", "37183", "signing agency"),
    ]:
        assert t.loc[ori, "g287_start"] == pd.Timestamp(facts[fips]["signed"]), ori
        assert t.loc[ori, "g287_assigned_as"] == how
    assert t.loc[["NC00500", "NC03200"], "g287_start"].isna().all()  # Ashe; the Durham sheriff
    assert "37119 Sheriff" in man.reports["agreements_whose_signer_is_not_in_the_panel"]
    alt, alt_man = nc_agency.nc_agency_panel(off, leo, cw, rule="signing_agency")
    a = alt.drop_duplicates("ori").set_index("ori")
    assert pd.isna(a.loc["NC06001", "g287_start"])  # CMPD untreated under the alternative
    assert a.loc["NC00100", "g287_start"] == t.loc["NC00100", "g287_start"]
    assert alt_man.rules["treatment_rule"] == "signing_agency"
    assert "signing_agency" in man.rules["treatment_alternative"]
    with pytest.raises(ValueError, match="rule must be one of"):
        nc_agency.nc_agency_panel(off, leo, cw, rule="county")


def test_duplicated_input_and_bad_panel_fail(inputs, built):
    off, leo, cw, _ = inputs
    with pytest.raises(ValueError, match=r"offenses rows hold agency-year NC00100 2004 2 times"):
        nc_agency.nc_agency_panel(pd.concat([off, off.iloc[:1]]), leo, cw)
    panel, _ = built
    bad = panel.copy()
    bad.loc[3, "violent_rate"] = bad.loc[3, "violent_rate"] + 1
    with pytest.raises(ValueError, match=r"column 'violent_rate': expected violent / pop"):
        nc_agency.validate_nc_agency(bad)
    bad = panel.copy()
    bad.loc[5, "index"] = bad.loc[5, "index"] + 1
    with pytest.raises(ValueError, match=r"column 'index': expected the sum"):
        nc_agency.validate_nc_agency(bad)


def test_written_and_read_back(built, tmp_path):
    panel, man = built
    man.mark = nc_agency.MARK
    path = write_panel(
        panel, "nc_agency", man, folder=tmp_path, validate=nc_agency.validate_nc_agency
    )
    back = pd.read_parquet(path)
    assert len(back) == len(panel) and read_manifest(path).mark.startswith("REAL DATA")


# ----------------------------------------------------------------- the real copies


@pytest.fixture(scope="module")
def real(shared_data: Path, real_build):
    files = real_build.files
    if not files["ucr_kaplan_agency"] or not files["leaic"]:
        pytest.skip("the Kaplan NC agency files or LEAIC are absent from the shared data")
    b = real_build("nc_agency")
    return b, shared_data / "kaplan_ucr_nc_agencies_2000_2016"


@pytest.mark.shared_data
def test_real_panel_builds_with_100_agencies(real):
    b, _ = real
    panel, man = b.panel, b.manifest
    assert panel["ori"].nunique() >= 100
    assert set(panel["year"]) == set(range(2000, 2017))
    assert {"NC06001", "NC03605", "NC03201"} <= set(panel["ori"])
    assert (panel.loc[panel["agency_type"] == "sheriff", "ori"].nunique()) >= 97
    man.check()
    assert b.mark == nc_agency.MARK and b.sources == ("ucr_kaplan_agency", "leaic")
    # every one of the nine agreements reaches an agency under the default rule
    treated_fips = set(panel.dropna(subset=["g287_start"])["fips"])
    assert treated_fips == set(_facts())


@pytest.mark.shared_data
def test_real_panel_reads_back_the_source_lines(real):
    b, folder = real
    by = b.panel.set_index(["ori", "year"])
    off = _raw(folder / "offenses_north_carolina_2000_2016.csv")
    leo = _raw(folder / "leoka_north_carolina_2000_2016.csv")
    for key in [
        ("NC00100", 2000),
        ("NC06001", 2005),
        ("NC03605", 2007),
        ("NC03201", 2010),
        ("NC09200", 2016),
        ("NC02600", 2000),  # Cumberland 2000: every clearance 0 in the source
    ]:
        o, row = off[key], by.loc[key]
        n = {c: float(t) for c, t in o.items() if c.startswith(("act_", "clr_")) and t}
        violent = sum(n[c] for c in ("act_murder", "act_rape_total", "act_robbery_total"))
        violent += n["act_aggravated_assault"]
        prop = n["act_burglary_total"] + n["act_theft_total"] + n["act_mtr_vhc_theft_total"]
        assert (row["violent"], row["property"]) == (violent, prop), key
        assert row["violent_rate"] == pytest.approx(violent / float(o["population"]) * 1e5)
        clr = [t for c, t in o.items() if c.startswith("clr_")]
        if all(t == "0" for t in clr):
            assert not row["clearances_reported"] and pd.isna(row["clearance_rate_violent"])
        else:
            cv = n["clr_murder"] + n["clr_rape_total"] + n["clr_robbery_total"]
            cv += n["clr_aggravated_assault"]
            assert row["clearance_rate_violent"] == pytest.approx(cv / violent)
        if key in leo and leo[key]["total_assault_total"] != "":
            a, officers = int(leo[key]["total_assault_total"]), int(leo[key]["total_officers"])
            want = 100 * a / officers if officers else np.nan
            assert row["assaults_per_100_officers"] == pytest.approx(want, nan_ok=True)
    assert not by.loc[("NC02600", 2000), "clearances_reported"]


@pytest.mark.shared_data
def test_data_build_shared_writes_the_panel(shared_data, tmp_path):
    """``data build --shared nc_agency``: the registered panel, written with its mark and manifest."""
    from enforcement_crime.panels import commands, registry

    assert registry.get("nc_agency").mark == nc_agency.MARK
    lines: list[str] = []
    written = commands.build(["nc_agency"], shared=True, folder=tmp_path, out=lines.append)
    assert set(written) == {"nc_agency"}
    man = read_manifest(written["nc_agency"])
    assert man.mark == nc_agency.MARK and not man.approximation
    assert man.rows_in == man.aggregated + man.rows_out + sum(man.dropped.values())
    assert pd.read_parquet(written["nc_agency"])["ori"].nunique() >= 100
    assert not any("ucr_kaplan_agency have no registered sha256" in ln for ln in lines)
