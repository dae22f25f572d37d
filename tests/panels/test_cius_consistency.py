"""CIUS county approximation made consistent: 2004 under the 10,000+ rule, Table 11
off by default, constant composition, coverage and the per-county composition report.

Fixture numbers are the made-up values of ``tests/fixtures/fbi_cius/make_fixtures.py`` and the
LEAIC fixture's UCR populations (Wake sheriff 150,000; Durham sheriff 40,000); county
populations are :data:`FX_POP`. Real-copy tests assert properties so they keep
passing as the shared folders gain years.
"""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from enforcement_crime import cli, config
from enforcement_crime.panels import commands
from enforcement_crime.panels.cius_county import cius_county_panel
from enforcement_crime.panels.manifest import read_manifest
from enforcement_crime.schema import validate_panel
from enforcement_crime.sources import fbi_cius, leaic

# one worker builds this module's shared (module-scoped) inputs once, their raw files loaded
# through real_build (tests/conftest.py) with the other modules of the group: `make test` runs
# with pytest-xdist --dist loadgroup
pytestmark = [pytest.mark.xdist_group("real_data")]

#: county populations of the fixture counties (the values test_panels.py uses)
FX_POP = {
    "37001": 150000,
    "37009": 27000,
    "37063": 270000,
    "37119": 950000,
    "37135": 140000,
    "37183": 900000,
    "01001": 55000,
}


def fx_population(years=range(2004, 2017)) -> pd.DataFrame:
    """Census-like county populations; Autauga (01001) has none for 2016."""
    return pd.DataFrame(
        [
            {"fips": f, "year": y, "population": p}
            for f, p in FX_POP.items()
            for y in years
            if not (f == "01001" and y == 2016)
        ]
    )


T11_DROP = "Table 11 agency left out (the same table set every year; --cius-table11 adds it)"
CONSTANT_DROP = (
    "agency not listed once with violent and property published in every year of the "
    "window (constant composition)"
)


@pytest.fixture(scope="module")
def crosswalk(fixtures_dir) -> pd.DataFrame:
    return leaic.load(fixtures_dir / "leaic" / "35158-0001-Data.rda")


@pytest.fixture(scope="module")
def tables(fixtures_dir) -> list[pd.DataFrame]:
    """Every fixture table, the 2004 large-city Table 8 included."""
    paths = sorted((fixtures_dir / "fbi_cius").glob("table*/*.xls"))
    paths.append(fixtures_dir / "fbi_cius" / "large_cities_2004" / "2004.xls")
    return [fbi_cius.load(p) for p in paths]


def build(tables, crosswalk, **kw):
    return cius_county_panel(tables, crosswalk, fx_population(), **kw)


@pytest.fixture(scope="module")
def default(tables, crosswalk):
    return build(tables, crosswalk)


@pytest.fixture(scope="module")
def floor10k(tables, crosswalk):
    return build(tables, crosswalk, city_floor=10_000)


# ------------------------------------------------------------------ 2004 and the city rule


def test_2004_left_out_without_the_city_rule_and_the_manifest_says_why(default, tables):
    panel, man, _ = default
    assert sorted(panel["year"].unique()) == [2013, 2016]
    assert man.rules["years"] == [2013, 2016]
    n2004 = sum(
        len(t) for t in tables if t["table"].iloc[0] == "city" and t["year"].iloc[0] == 2004
    )
    assert (
        man.dropped[
            "Table 8 of a year that lists only larger cities than the rule keeps (year not built)"
        ]
        == n2004
        == 10
    )
    assert any("[2004]" in n and "10,000+" in n and "--cius-city-floor" in n for n in man.notes)
    man.check()


def test_2004_built_under_the_10000_rule_applied_to_every_year(default, floor10k):
    panel, man, _ = floor10k
    assert sorted(panel["year"].unique()) == [2004, 2013, 2016]
    assert "10,000 and over" in man.rules["city_floor"]
    # Nowhere Town (1,200 residents) is removed in 2006, 2010, 2013 and 2016; it matches no
    # county, so the totals are unchanged; the blank-population check: none in the fixture
    assert (
        man.dropped[
            "Table 8 city under 10,000 residents or with a blank population "
            "(--cius-city-floor 10000)"
        ]
        == 4
    )
    got = panel.set_index(["fips", "year"])
    # 2004 Wake: Raleigh 1,400 + Cary 89 violent (2004 large-city fixture) + the sheriff's 213
    assert got.loc[("37183", 2004), "violent"] == 1400 + 89 + 213
    base = default[0].set_index(["fips", "year"])
    assert got.loc[("37183", 2016), "violent"] == base.loc[("37183", 2016), "violent"]
    validate_panel(panel)
    man.check()


def test_a_city_rule_below_the_2004_floor_leaves_2004_out(tables, crosswalk):
    panel, man, _ = build(tables, crosswalk, city_floor=5_000)
    assert 2004 not in set(panel["year"])
    assert any("[2004]" in n for n in man.notes)
    assert "5,000 and over" in man.rules["city_floor"]


# ------------------------------------------------------------------ Table 11


def test_table11_excluded_by_default_and_included_on_request(default, tables, crosswalk):
    panel, man, _ = default
    t11_rows = sum(len(t) for t in tables if t["table"].iloc[0] == "state_other")
    assert man.dropped[T11_DROP] == t11_rows == 5
    assert man.rules["table11"].startswith("left out")
    with_t11, man11, _ = build(tables, crosswalk, table11=True)
    assert T11_DROP not in man11.dropped and man11.rules["table11"].startswith("included")
    a = panel.set_index(["fips", "year"])
    b = with_t11.set_index(["fips", "year"])
    # the RDU airport police (Table 11 2013, matched to Wake): assault 1, larceny 30
    assert (
        b.loc[("37183", 2013), "aggravated_assault"] - a.loc[("37183", 2013), "aggravated_assault"]
        == 1
    )
    assert b.loc[("37183", 2013), "larceny"] - a.loc[("37183", 2013), "larceny"] == 30
    # 2016 has no Table 11: identical
    assert b.loc[("37183", 2016), "violent"] == a.loc[("37183", 2016), "violent"]
    assert any("[2013]" in n and "shift" in n for n in man11.notes)


# ------------------------------------------------------------------ coverage


def test_coverage_filled_in_range_and_equal_to_served_over_county_population(default):
    panel, man, _ = default
    assert panel["coverage"].notna().all()
    assert panel["coverage"].between(0, 100).all()
    got = panel.set_index(["fips", "year"])["coverage"]
    # Raleigh 420,000 + Cary 135,000 + Wake sheriff (LEAIC U_TPOP) 150,000 of 900,000
    assert got[("37183", 2016)] == pytest.approx(100 * 705_000 / 900_000)
    # Charlotte-Mecklenburg 800,000 + Matthews 28,000; the Mecklenburg sheriff is not in Table 10
    assert got[("37119", 2016)] == pytest.approx(100 * 828_000 / 950_000)
    # Durham 230,000 + the sheriff's 40,000 = the county's 270,000
    assert got[("37063", 2013)] == pytest.approx(100.0)
    # Alamance: Burlington 50,000 + sheriff 60,000 = 110,000 of 150,000
    assert got[("37001", 2013)] == pytest.approx(100 * 110_000 / 150_000)
    assert "LEAIC 2012" in man.rules["coverage"]


# ------------------------------------------------------------------ composition


def test_composition_report_records_agencies_leaving(default):
    panel, man, report = default
    comp = report["composition"].set_index(["fips", "year"])
    assert comp.equals(man.tables["composition"].set_index(["fips", "year"]))
    # Ashe's sheriff is in the 2013 Table 10 fixture, not in 2016: it left, and Ashe has no 2016 row
    assert comp.loc[("37009", 2016), "left"] == 1 and comp.loc[("37009", 2016), "listed"] == 0
    assert "Ashe" in comp.loc[("37009", 2016), "left_agencies"]
    assert ("37009", 2016) not in panel.set_index(["fips", "year"]).index
    # Wake keeps its three agencies
    assert comp.loc[("37183", 2016), ["entered", "left", "blank"]].tolist() == [0, 0, 0]
    assert comp.loc[("37183", 2016), "listed"] == 3
    summary = man.reports["composition"]
    assert summary["file"] == "cius_county_composition.csv"
    assert summary["county_years"] == len(comp)
    changed = ((comp["entered"] > 0) | (comp["left"] > 0) | (comp["blank"] > 0)).sum()
    assert summary["county_years_with_a_listed_agency_entering_leaving_or_blank"] == changed > 0


def test_constant_composition_keeps_the_same_agencies_every_year(floor10k, tables, crosswalk):
    panel, man, report = build(
        tables, crosswalk, city_floor=10_000, constant=True, name="cius_county_constant"
    )
    comp = report["composition"]
    assert (comp["counted_entered"] == 0).all() and (comp["counted_left"] == 0).all()
    counted = comp[comp["counted"] > 0].groupby("fips")["counted"].nunique()
    assert (counted == 1).all()
    # every county of the constant panel is there in every year, with the same number of agencies
    per = panel.groupby("fips").agg(years=("year", "nunique"), n=("n_agencies", "nunique"))
    assert (per["years"] == 3).all() and (per["n"] == 1).all()
    # Ashe's sheriff is absent in 2016: Ashe is out; Autauga has no 2016 population: out
    assert not {"37009", "01001"} & set(panel["fips"])
    assert man.dropped[CONSTANT_DROP] > 0
    assert man.reports["composition"]["county_years_whose_counted_agencies_changed"] == 0
    # Wake's agencies are listed every year: the same totals as the default panel
    a = floor10k[0].set_index(["fips", "year"])
    b = panel.set_index(["fips", "year"])
    for y in (2004, 2013, 2016):
        assert b.loc[("37183", y), "violent"] == a.loc[("37183", y), "violent"]
    validate_panel(panel)
    man.check()


# ------------------------------------------------------------------ through data build


def test_data_build_records_options_writes_the_report_and_marks(
    tmp_path, raw_from_fixtures, fixtures_dir, monkeypatch
):
    big = raw_from_fixtures / "fbi_cius" / "large_cities_2004"
    big.mkdir()
    shutil.copy(fixtures_dir / "fbi_cius" / "large_cities_2004" / "2004.xls", big)
    out = tmp_path / "processed"
    written = commands.build(
        ["cius_county", "cius_county_constant"],
        raw=raw_from_fixtures,
        folder=out,
        accept_changed_raw=True,
        cius_city_floor=10_000,
        out=lambda s: None,
    )
    man = read_manifest(written["cius_county"])
    assert man.rules["options"] == {
        "cius_city_floor": 10_000,
        "cius_table11": False,
        "constant_composition": False,
    }
    assert man.rules["years"] == [2004, 2013, 2016]
    assert man.mark == "REAL DATA: FBI CIUS APPROXIMATION OF COUNTY TOTALS"
    comp = pd.read_csv(out / "cius_county_composition.csv", dtype={"fips": str})
    assert len(comp) == man.reports["composition"]["county_years"]
    const = pd.read_csv(out / "cius_county_constant_composition.csv", dtype={"fips": str})
    assert (const["counted_entered"] == 0).all() and (const["counted_left"] == 0).all()
    cman = read_manifest(written["cius_county_constant"])
    assert cman.rules["options"]["constant_composition"] is True
    assert cman.mark.startswith(man.mark) and "CONSTANT" in cman.mark

    monkeypatch.setattr(config, "processed_dir", lambda: out)
    from enforcement_crime.panels import load_panel, panel_mark

    df = load_panel("cius_county")
    assert df.attrs["enforcement_crime"]["mark"] == man.mark == panel_mark(df)
    assert panel_mark(load_panel("cius_county_constant")) == cman.mark


def test_bad_city_floor_is_refused_before_anything_is_read(tmp_path, raw_from_fixtures):
    with pytest.raises(ValueError, match="--cius-city-floor"):
        commands.build(
            ["cius_county"], raw=raw_from_fixtures, folder=tmp_path / "p", cius_city_floor=-5
        )
    assert not (tmp_path / "p").exists()
    with pytest.raises(SystemExit) as exc:
        cli.main(["data", "build", "--cius-city-floor", "lots"])
    assert exc.value.code == 2


# ------------------------------------------------------------------ real copies


@pytest.fixture(scope="module")
def real(shared_data, real_build):
    from enforcement_crime.sources import census_population as cp

    files = (
        sorted(shared_data.glob("fbi_cius_table10_county_sheriff/*.xls"))
        + sorted(shared_data.glob("fbi_cius_tables/*/*.xls"))
        + sorted(shared_data.glob("fbi_cius_table8_2004_large_cities/*.xls"))
    )
    rda = shared_data / "leaic_2012_icpsr35158" / "35158-0001-Data.rda"
    census = [
        shared_data / "census_county_pop_tell" / n
        for n in ("co-est2009-alldata.csv", "co-est2019-alldata.csv")
    ]
    if not files or not rda.is_file() or not all(p.is_file() for p in census):
        pytest.skip("CIUS, LEAIC or Census copies absent")
    cius = [real_build.load("fbi_cius", p) for p in files]
    pop = cp.county_population_panel(
        [real_build.load("census_population", p) for p in census], range(2000, 2017)
    )
    return cius, real_build.load("leaic", rda), pop


def _years(cius, table, full_only=False):
    return {
        int(t["year"].iloc[0])
        for t in cius
        if t["table"].iloc[0] == table and (not full_only or int(t["population_floor"].max()) == 0)
    }


@pytest.mark.shared_data
def test_real_cius_county_default_and_10000_rule(real):
    cius, cw, pop = real
    panel, man, report = cius_county_panel(cius, cw, pop)
    full = sorted(_years(cius, "city", full_only=True) & _years(cius, "county"))
    assert sorted(panel["year"].unique()) == full
    assert set(range(2005, 2017)) <= set(full) and 2004 not in full
    assert panel["coverage"].notna().all() and panel["coverage"].between(0, 100).all()
    # most county-years are largely covered (median 99% when written); a broken served
    # population (all NaN, all zero) would sink it
    assert panel["coverage"].median() > 80
    assert man.dropped[T11_DROP] > 0 and not (panel["source"].str.contains(r"\+11")).any()
    comp = report["composition"]
    assert set(comp["year"]) == set(full)
    assert (comp["left"] > 0).any() and (comp["entered"] > 0).any()
    big, bman, _ = cius_county_panel(cius, cw, pop, city_floor=10_000)
    assert sorted(big["year"].unique()) == sorted(_years(cius, "city") & _years(cius, "county"))
    assert 2004 in set(big["year"]) and set(full) < set(big["year"])
    # the rule lowers coverage (small cities out) but never raises a county total
    a = panel.set_index(["fips", "year"])["violent"]
    b = big.set_index(["fips", "year"])["violent"]
    both = a.index.intersection(b.index)
    ok = a[both].notna() & b[both].notna()
    assert (b[both][ok] <= a[both][ok]).all()


@pytest.mark.shared_data
def test_real_constant_composition(real):
    cius, cw, pop = real
    panel, man, report = cius_county_panel(
        cius, cw, pop, constant=True, name="cius_county_constant"
    )
    years = man.rules["years"]
    comp = report["composition"]
    assert (comp["counted_entered"] == 0).all() and (comp["counted_left"] == 0).all()
    per = panel.groupby("fips").agg(y=("year", "nunique"), n=("n_agencies", "nunique"))
    assert (per["y"] == len(years)).all() and (per["n"] == 1).all()
    assert panel["violent"].notna().all() and panel["property"].notna().all()
    # over a thousand counties keep a constant agency set (1,910 for 2005-2016 when written)
    assert panel["fips"].nunique() > 1000
