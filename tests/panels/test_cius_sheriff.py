"""``cius_sheriff`` and ``cius_sheriff_balanced``: the county agency of CIUS Table 10.

Fixture values: ``tests/fixtures/fbi_cius/table10_county/*.xls`` (made-up counts, Table 10 for
2004, 2005, 2009, 2013 and 2016; Ashe is not in the 2016 table) and the LEAIC fixture. Gaston NC
is added by hand (sheriff + county police, as in the real 2007, 2011, 2012 and 2014 tables).
"""

from __future__ import annotations

import pandas as pd
import pytest

from enforcement_crime.panels import commands
from enforcement_crime.panels.cius_sheriff import MARK, RATE_CAVEAT, cius_sheriff_panel
from enforcement_crime.panels.manifest import read_manifest
from enforcement_crime.schema import validate_panel
from enforcement_crime.sources import fbi_cius, leaic

# one worker builds this module's shared (module-scoped) inputs once, their raw files loaded
# through real_build (tests/conftest.py) with the other modules of the group: `make test` runs
# with pytest-xdist --dist loadgroup
pytestmark = [pytest.mark.xdist_group("real_data")]

POP = {
    "37001": 150000,
    "37009": 27000,
    "37063": 270000,
    "37119": 950000,
    "37135": 140000,
    "37183": 900000,
    "01001": 55000,
    "37071": 210000,
}
SET_ASIDE = (
    "sheriff's office of a county whose county police department is the county agency "
    "(both listed in some year)"
)


def population(pop=POP, years=range(2004, 2017)) -> pd.DataFrame:
    """County populations; Autauga (01001) has none for 2016."""
    return pd.DataFrame(
        [
            {"fips": f, "year": y, "population": p}
            for f, p in pop.items()
            for y in years
            if not (f == "01001" and y == 2016)
        ]
    )


@pytest.fixture(scope="module")
def crosswalk(fixtures_dir) -> pd.DataFrame:
    return leaic.load(fixtures_dir / "leaic" / "35158-0001-Data.rda")


@pytest.fixture(scope="module")
def tables(fixtures_dir) -> list[pd.DataFrame]:
    return [fbi_cius.load(p) for p in sorted((fixtures_dir / "fbi_cius").glob("table*/*.xls"))]


@pytest.fixture(scope="module")
def sheriff(tables, crosswalk):
    # the county denominator builds every Table 10 year (the fixture's Table 8 covers only some)
    return cius_sheriff_panel(tables, crosswalk, population(), denominator="county")


def test_one_row_per_county_year_from_table10_only(sheriff, tables):
    panel, man = sheriff
    assert sorted(panel["year"].unique()) == [2004, 2005, 2009, 2013, 2016]
    assert not panel.duplicated(["fips", "year"]).any()
    other = sum(len(t) for t in tables if t["table"].iloc[0] != "county")
    assert man.dropped["not a Table 10 row (the sheriff panel reads Table 10 only)"] == other
    got = panel.set_index(["fips", "year"])
    # the Wake sheriff's own row (fixture: 213 violent, 3,050 property), not a county total
    assert got.loc[("37183", 2013), "violent"] == 213
    assert got.loc[("37183", 2013), "property"] == 3050
    # the rate divides by the whole county's population: indicative
    assert got.loc[("37183", 2013), "violent_rate"] == pytest.approx(213 / 900_000 * 1e5)
    # coverage = the sheriff's LEAIC population (150,000) over the county's (900,000)
    assert got.loc[("37183", 2013), "coverage"] == pytest.approx(100 * 150_000 / 900_000)
    assert (got["county_agency"] == "sheriff").all()
    # Mecklenburg has no Table 10 row; Autauga 2016 has no population; Ashe is absent in 2016
    assert "37119" not in set(panel["fips"])
    assert ("01001", 2016) not in got.index and ("37009", 2016) not in got.index
    assert man.dropped["county without a Census population for the year"] == 1
    validate_panel(panel)
    man.check()


def test_rates_are_labelled_indicative_and_the_mark(sheriff):
    panel, man = sheriff
    assert man.mark == MARK == "REAL DATA: FBI CIUS SHERIFF JURISDICTIONS"
    assert man.rules["rates"] == RATE_CAVEAT and "INDICATIVE" in RATE_CAVEAT
    assert any("NOT COUNTY TOTALS" in n for n in man.notes)
    assert panel["source"].str.contains("NOT county totals").all()
    assert panel["source"].str.contains("indicative").all()


def test_balanced_one_row_per_county_for_every_year(tables, crosswalk):
    panel, man = cius_sheriff_panel(
        tables,
        crosswalk,
        population(),
        balanced=True,
        name="cius_sheriff_balanced",
        denominator="county",
    )
    years = [2004, 2005, 2009, 2013, 2016]
    # Ashe (no 2016 row) and Autauga (no 2016 population) are out
    assert set(panel["fips"]) == {"37001", "37063", "37183"}
    assert len(panel) == 3 * len(years)
    assert all(sorted(g) == years for _, g in panel.groupby("fips")["year"])
    # Ashe's 2004, 2005, 2009 and 2013 rows and Autauga's (its 2016 row has no population)
    assert man.dropped["county whose agency is not published in all 5 years (balanced)"] == 4 + 4
    man.check()


def gaston_inputs(tables, crosswalk, rows=None):
    """The fixture tables plus Gaston NC rows ``(year, agency, violent, property)``; by default
    as in the real 2007 table: sheriff and county police in 2013, the sheriff alone in 2016."""
    if rows is None:
        rows = [
            (2013, "Gaston", 16, 6),
            (2013, "Gaston County Police Department", 289, 1956),
            (2016, "Gaston", 15, 0),
        ]

    def add(frame, agency, violent, prop):
        row = frame[frame["state"] == "NORTH CAROLINA"].iloc[[0]].copy()
        row["agency"] = agency
        row["agency_group"] = "Metropolitan Counties"
        for c in fbi_cius.COUNT_COLUMNS:
            row[c] = pd.array([pd.NA], dtype="Int64")
        row["murder"], row["robbery"], row["aggravated_assault"] = 0, 0, violent
        row["rape_revised"] = 0
        row["burglary"], row["larceny"], row["motor_vehicle_theft"] = 0, prop, 0
        row["violent"], row["property"] = violent, prop
        return pd.concat([frame, row], ignore_index=True)

    out = []
    for t in tables:
        year = int(t["year"].iloc[0])
        if t["table"].iloc[0] == "county":
            for y, agency, v, p in rows:
                if y == year:
                    t = add(t, agency, v, p)
        out.append(t)
    extra = crosswalk.iloc[[0, 0]].copy()
    extra["agency_name"] = ["GASTON COUNTY SHERIFF'S OFFICE", "GASTON COUNTY POLICE DEPARTMENT"]
    extra["agency_type"] = ["sheriff", "local police"]
    extra["fips"], extra["county_fips"], extra["state_fips"] = "37071", "071", "37"
    extra["county_name"] = "GASTON"
    extra["population"] = pd.array([3_000, 86_000], dtype=crosswalk["population"].dtype)
    extra["ori7"] = ["NC03600", "NC03605"]
    extra["part_of_larger"] = False
    return out, pd.concat([crosswalk, extra], ignore_index=True)


def test_a_county_police_never_listed_beside_the_sheriff_continues_its_series(tables, crosswalk):
    # a police department that took over the sheriff's patrol (Salt Lake UT 2011): both kept
    tabs, cw = gaston_inputs(
        tables,
        crosswalk,
        [(2013, "Gaston", 300, 2000), (2016, "Gaston County Police Department", 310, 2100)],
    )
    panel, man = cius_sheriff_panel(tabs, cw, population(), denominator="county")
    g = panel[panel["fips"] == "37071"].set_index("year")
    assert list(g.index) == [2013, 2016]
    assert g["county_agency"].tolist() == ["sheriff", "county police"]
    assert g["violent"].tolist() == [300, 310]
    assert SET_ASIDE not in man.dropped
    assert man.reports["county_police_without_a_sheriff_alongside"] == ["37071"]
    assert man.reports["county_police_counties"] == []


def test_known_fbi_misspellings_find_their_county(crosswalk):
    from enforcement_crime.panels.matching import match_cius_agencies

    cw = crosswalk.iloc[[0, 0]].copy()
    cw["state_fips"], cw["fips"] = ["36", "47"], ["36079", "47169"]
    cw["county_name"] = ["PUTNAM", "TROUSDALE"]
    rows = pd.DataFrame(
        {
            "year": [2005, 2009],
            "table": "county",
            "state": ["NEW YORK", "TENNESSEE"],
            "agency_group": "Nonmetropolitan Counties",
            "agency": ["Putman", "Hartsville/Trousdale"],
            "unit": pd.NA,
            "population": pd.NA,
        }
    )
    got = match_cius_agencies(rows, pd.concat([crosswalk, cw], ignore_index=True))
    assert got["fips"].tolist() == ["36079", "47169"]


def test_gaston_county_police_is_the_county_agency(tables, crosswalk):
    tabs, cw = gaston_inputs(tables, crosswalk)
    panel, man = cius_sheriff_panel(tabs, cw, population(), denominator="county")
    g = panel[panel["fips"] == "37071"].set_index("year")
    # 2013: the county police's counts alone (the sheriff's 16 and 6 are set aside)
    assert list(g.index) == [2013]
    assert (g.loc[2013, "violent"], g.loc[2013, "property"]) == (289, 1956)
    assert g.loc[2013, "county_agency"] == "county police"
    assert g.loc[2013, "agency"] == "Gaston County Police Department"
    assert g.loc[2013, "coverage"] == pytest.approx(100 * 86_000 / 210_000)
    # 2016: only the sheriff is listed: no row (a sheriff-only count is another agency)
    assert man.dropped[SET_ASIDE] == 2
    rep = {r["fips"]: r for r in man.reports["county_police_counties"]}
    assert rep["37071"]["police_years"] == [2013]
    assert rep["37071"]["sheriff_years_set_aside"] == [2013, 2016]
    assert any("Gaston" in n for n in man.notes)
    man.check()
    # the county approximation keeps both agencies (it sums every agency of the county)
    from enforcement_crime.panels.cius_county import cius_county_panel

    county, _, _ = cius_county_panel(tabs, cw, population())
    c = county.set_index(["fips", "year"])
    assert c.loc[("37071", 2013), "violent"] == 289 + 16


def test_data_build_writes_both_sheriff_panels_with_marks(tmp_path, raw_from_fixtures):
    written = commands.build(
        ["cius_sheriff", "cius_sheriff_balanced"],
        raw=raw_from_fixtures,
        folder=tmp_path,
        accept_changed_raw=True,
        out=lambda s: None,
    )
    a, b = read_manifest(written["cius_sheriff"]), read_manifest(written["cius_sheriff_balanced"])
    assert a.mark == MARK and b.mark == MARK + " (BALANCED)"
    assert (tmp_path / "cius_sheriff_composition.csv").is_file()
    bal = pd.read_parquet(written["cius_sheriff_balanced"])
    per = bal.groupby("fips")["year"].nunique()
    assert (per == len(b.rules["years"])).all() and len(bal) == len(per) * len(b.rules["years"])


# ------------------------------------------------------------------ real copies


@pytest.fixture(scope="module")
def real(shared_data, real_build):
    from enforcement_crime.sources import census_population as cp

    files = sorted(shared_data.glob("fbi_cius_table10_county_sheriff/*.xls")) + sorted(
        shared_data.glob("fbi_cius_tables/table10_county/*.xls")
    )
    rda = shared_data / "leaic_2012_icpsr35158" / "35158-0001-Data.rda"
    census = [
        shared_data / "census_county_pop_tell" / n
        for n in ("co-est2009-alldata.csv", "co-est2019-alldata.csv")
    ]
    if not files or not rda.is_file() or not all(p.is_file() for p in census):
        pytest.skip("CIUS Table 10, LEAIC or Census copies absent")
    cius = [real_build.load("fbi_cius", p) for p in files]
    pop = cp.county_population_panel(
        [real_build.load("census_population", p) for p in census], range(2000, 2017)
    )
    return cius, real_build.load("leaic", rda), pop


@pytest.mark.shared_data
def test_real_sheriff_panels(real):
    cius, cw, pop = real
    have = sorted({int(t["year"].iloc[0]) for t in cius})
    assert set(range(2004, 2017)) <= set(have)
    # Table 10 only (no Table 8): the whole-county denominator builds every year
    panel, man = cius_sheriff_panel(cius, cw, pop, denominator="county")
    assert sorted(panel["year"].unique()) == have
    assert not panel.duplicated(["fips", "year"]).any()
    # 2004 lists about 1,070 county agencies (no nonmetropolitan county under 25,000), later
    # years 2,200+
    n = panel.groupby("year")["fips"].nunique()
    assert n[2004] > 900 and (n[n.index >= 2005] > 2000).all()
    g = panel[panel["fips"] == "37071"]
    assert (g["county_agency"] == "county police").all() and len(g) >= 1
    assert g["agency"].str.contains("Police").all()
    assert man.dropped[SET_ASIDE] > 0
    validate_panel(panel)
    bal, bman = cius_sheriff_panel(
        cius, cw, pop, balanced=True, name="cius_sheriff_balanced", denominator="county"
    )
    per = bal.groupby("fips")["year"].nunique()
    assert (per == len(have)).all() and len(bal) == len(per) * len(have)
    assert bal["violent"].notna().all() and bal["property"].notna().all()
    # 540 counties for 2004-2016 when written; hundreds at least
    assert len(per) > 300
    assert "37071" not in set(bal["fips"])  # Gaston's police is listed in 6 of 13 years


# ------------------------------------------------- the unincorporated-population denominator


def annexing_inputs(tables):
    """The fixture tables with Raleigh's 2016 Table 8 population raised from 420,000 to 520,000
    (SYNTHETIC: an annexation), and populations where Wake grows by exactly that much."""
    out = []
    for t in tables:
        if t["table"].iloc[0] == "city" and int(t["year"].iloc[0]) == 2016:
            t = t.copy()
            t.loc[t["agency"] == "Raleigh", "population"] = 520_000
        out.append(t)
    pop = population()
    pop.loc[(pop["fips"] == "37183") & (pop["year"] == 2016), "population"] = 1_000_000
    return out, pop


def test_annexation_leaves_the_sheriff_rate_flat(tables, crosswalk):
    """Wake's cities (Cary 135,000, Raleigh 420,000 -> 520,000) grow by the county's growth
    (900,000 -> 1,000,000); the sheriff's counts (213, 3,050) are the same in 2013 and 2016."""
    tabs, pop = annexing_inputs(tables)
    panel, man = cius_sheriff_panel(tabs, crosswalk, pop)
    w = panel[panel["fips"] == "37183"].set_index("year")
    assert w.loc[2013, "property"] == w.loc[2016, "property"] == 3050
    # flat on the new denominator (the old code divides by the county and fails here)
    assert w.loc[2016, "property_rate"] == pytest.approx(w.loc[2013, "property_rate"])
    assert list(w.index) == [2013, 2016]  # the Table 10 years with a Table 8
    unincorporated = {2013: 900_000 - 135_000 - 420_000, 2016: 1_000_000 - 135_000 - 520_000}
    for y, u in unincorporated.items():
        assert w.loc[y, "population_served_est"] == u == w.loc[y, "population"]
        assert w.loc[y, "property_rate"] == pytest.approx(3050 / u * 1e5)
    # falling on the whole county's
    assert w.loc[2016, "property_rate_county_pop"] == pytest.approx(3050 / 1_000_000 * 1e5)
    assert w.loc[2016, "property_rate_county_pop"] < 0.95 * w.loc[2013, "property_rate_county_pop"]
    assert w["county_population"].tolist() == [900_000, 1_000_000]
    old, _ = cius_sheriff_panel(tabs, crosswalk, pop, denominator="county")
    o = old[old["fips"] == "37183"].set_index("year")
    assert o.loc[2016, "property_rate"] < 0.95 * o.loc[2013, "property_rate"]
    validate_panel(panel)
    man.check()


def test_years_without_a_complete_table8_are_not_built_and_said_so(sheriff, tables, crosswalk):
    panel, man = cius_sheriff_panel(tables, crosswalk, population())
    assert man.rules["years"] == [2013, 2016]
    why = (
        "Table 10 row of a year without a complete Table 8 (no unincorporated-population "
        "estimate; year not built)"
    )
    t10 = [t for t in tables if t["table"].iloc[0] == "county"]
    assert man.dropped[why] == sum(len(t) for t in t10 if int(t["year"].iloc[0]) < 2013)
    assert any("[2004, 2005, 2009] not built" in n for n in man.notes)
    rep = man.reports["population_served_est"]
    assert rep["table10_years_not_built_without_a_complete_table8"] == [2004, 2005, 2009]
    with pytest.raises(ValueError, match="no complete Table 8 for years \\[2005\\]"):
        cius_sheriff_panel(tables, crosswalk, population(), years=[2005, 2013])
    # the county denominator builds them; the estimate is missing there, never filled
    old = sheriff[0].set_index(["fips", "year"])
    assert pd.isna(old.loc[("37183", 2005), "population_served_est"])
    assert old.loc[("37183", 2013), "population_served_est"] == 900_000 - 135_000 - 420_000
    assert old.loc[("37183", 2005), "population"] == 900_000
    man.check()


def test_a_city_left_out_of_one_table8_is_still_subtracted(tables, crosswalk):
    """Cary (135,000 in the 2010 and 2016 tables) dropped from the 2013 table: interpolated."""
    cut = [
        t[t["agency"] != "Cary"] if (t["table"].iloc[0], int(t["year"].iloc[0])) == ("city", 2013)
        else t
        for t in tables
    ]  # fmt: skip
    panel, man = cius_sheriff_panel(cut, crosswalk, population())
    w = panel[panel["fips"] == "37183"].set_index("year")
    assert w.loc[2013, "population_served_est"] == 900_000 - 135_000 - 420_000
    assert man.reports["population_served_est"]["city_years_filled_between_listings"] >= 1


def test_estimate_floored_at_a_share_of_the_county(tables, crosswalk):
    """Durham city (230,000) in a county of 235,000: 5,000 raised to 5% of the county."""
    pop = population()
    pop.loc[pop["fips"] == "37063", "population"] = 235_000
    panel, man = cius_sheriff_panel(tables, crosswalk, pop)
    d = panel[panel["fips"] == "37063"].set_index("year")
    assert (d["population_served_est"] == round(0.05 * 235_000)).all()
    assert d["population_est_floored"].all()
    assert man.reports["population_served_est"]["county_years_floored"] >= len(d)


@pytest.fixture(scope="module")
def real_table8(shared_data, real_build):
    files = sorted(shared_data.glob("fbi_cius_tables/table08_city/*.xls"))
    if not files:
        pytest.skip("CIUS Table 8 copies absent")
    return [real_build.load("fbi_cius", p) for p in files]


@pytest.mark.shared_data
def test_real_wake_unincorporated_population_moves_far_less_than_the_county(real, real_table8):
    """Wake NC annexes fast: its county population grows, the land outside its cities does not."""
    from enforcement_crime.panels.build_steps import county_population
    from enforcement_crime.panels.cius_sheriff import unincorporated_population
    from enforcement_crime.panels.manifest import Manifest

    _, cw, pop = real
    nc = pd.concat(real_table8, ignore_index=True)
    nc = nc[nc["state"].str.upper() == "NORTH CAROLINA"]
    est = unincorporated_population(
        nc, cw, county_population(pop), range(2005, 2017), Manifest(panel="t", unit="t")
    )
    w = est[est["fips"] == "37183"].set_index("year")
    county = w.loc[2013, "county_population"] / w.loc[2005, "county_population"] - 1
    served = w.loc[2013, "population_served_est"] / w.loc[2005, "population_served_est"] - 1
    assert county > 0.2
    assert abs(served) < county / 3
    assert not w.loc[2005:2013, "est_floored"].any()
