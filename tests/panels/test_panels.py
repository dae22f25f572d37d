"""Panel builders: hand-computed coverage rules, fixture builds, real CIUS/LEAIC/Census builds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from enforcement_crime.panels.build_steps import COVERAGE_RULES, attach_timing
from enforcement_crime.panels.city_sc import (
    city_panel,
    city_panel_from_agencies,
    validate_city_panel,
)
from enforcement_crime.panels.cius_county import cius_county_panel
from enforcement_crime.panels.icpsr_county import icpsr_county_panel
from enforcement_crime.panels.kaplan_county import kaplan_county_panel
from enforcement_crime.panels.manifest import Manifest
from enforcement_crime.panels.matching import normalise_name
from enforcement_crime.panels.nc_county import nc_county_panel
from enforcement_crime.schema import OFFENSES, PanelSchemaError, validate_panel
from enforcement_crime.sources import fbi_cius, leaic, ucr_icpsr_county, ucr_kaplan

# one worker builds this module's shared (module-scoped) inputs once, their raw files loaded
# through real_build (tests/conftest.py) with the other modules of the group: `make test` runs
# with pytest-xdist --dist loadgroup
pytestmark = [pytest.mark.xdist_group("real_data")]

# ---------------------------------------------------------------- helpers


def agency(ori, fips, pop, months, count, year=2010):
    """One agency-year in the Kaplan loader's output layout, every offense = ``count``."""
    rec = {"ori": ori, "year": year, "fips": fips, "population": pop, "months_reported": months}
    rec.update({c: count for c in OFFENSES})
    return rec


def kaplan_frame(rows) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    df["ori"] = df["ori"].astype("string")
    df["fips"] = df["fips"].astype("string")
    for c in ["population", "months_reported", *OFFENSES]:
        df[c] = df[c].astype("Int64")
    return df


def population(pairs: dict[str, int], years=(2010,)) -> pd.DataFrame:
    return pd.DataFrame(
        [{"fips": f, "year": y, "population": p} for f, p in pairs.items() for y in years]
    )


# county A 37001 (Census 100,000): X 60,000 people, 12 months, 10 of each offense; Y 40,000, 6 months, 5.
# county B 37063 (Census 50,000): Z 50,000, 1 month, 3 of each offense.
HAND = [
    agency("NC00001", "37001", 60000, 12, 10),
    agency("NC00002", "37001", 40000, 6, 5),
    agency("NC00003", "37063", 50000, 1, 3),
]
POP = {"37001": 100000, "37063": 50000}


def test_full12_rule_and_coverage_indicator():
    panel, man = kaplan_county_panel(kaplan_frame(HAND), population(POP), coverage_rule="full12")
    a = panel.set_index("fips").loc["37001"]
    assert a["murder"] == 10  # only X reported 12 months
    # CI = 100 * (1 - 40,000/100,000 * (12 - 6)/12) = 80
    assert a["coverage"] == pytest.approx(
        80.0, abs=1e-12
    )  # exact arithmetic; 1e-12 allows float rounding
    assert a["months_reported"] == 6
    assert "37063" not in set(panel["fips"]), (
        "B's only agency reported 1 month: no county row under full12"
    )
    assert man.dropped == {"agency reported fewer than 12 months (rule full12)": 2}
    assert man.rows_in == 3 and man.rows_out == 1 and man.aggregated == 0


def test_scale_rule():
    panel, man = kaplan_county_panel(kaplan_frame(HAND), population(POP), coverage_rule="scale")
    a = panel.set_index("fips").loc["37001"]
    assert a["murder"] == 10 + 5 * 12 // 6  # Y scaled by 12/6
    assert a["violent"] == 4 * 20 and a["violent_rate"] == pytest.approx(
        80 / 100000 * 1e5, rel=1e-12
    )
    assert man.dropped == {"agency reported 0-2 months (excluded under rule scale)": 1}
    assert man.aggregated == 1  # X and Y summed into one row


def test_icpsr_rule_imputes_from_full_reporters_of_state_and_group():
    panel, man = kaplan_county_panel(kaplan_frame(HAND), population(POP), coverage_rule="icpsr")
    got = panel.set_index("fips")
    # Z (50,000: population group 3, like X with 60,000) gets X's rate: 50,000 * 10/60,000 = 8.33 -> 8
    assert got.loc["37063", "murder"] == 8
    assert got.loc["37001", "murder"] == 20
    # B's coverage: 100 * (1 - 50,000/50,000 * 11/12) = 8.333...
    assert got.loc["37063", "coverage"] == pytest.approx(
        100 / 12, rel=1e-12
    )  # float arithmetic only
    assert got.loc["37063", "n_imputed"] == 1 and man.reports["imputed_agency_years"] == 1
    assert man.dropped == {}


def test_icpsr_rule_falls_back_to_state_rate_and_drops_without_donor():
    rows = HAND + [
        agency("NC00004", "37063", 500000, 0, 0)
    ]  # group 1: no 12-month reporter in its group
    rows.append(agency("AL00001", "01001", 1000, 2, 1))  # Alabama: no full reporter at all
    pop = {**POP, "01001": 5000}
    panel, man = kaplan_county_panel(kaplan_frame(rows), population(pop), coverage_rule="icpsr")
    # NC00004 falls back to the state rate of full reporters: X only -> 500,000 * 10/60,000 = 83.3 -> 83
    assert panel.set_index("fips").loc["37063", "murder"] == 8 + 83
    assert man.reports["imputed_from_state_rate"] == 1
    assert man.dropped == {
        "agency reported 0-2 months and no full reporter to impute from (rule icpsr)": 1
    }


def test_split_agencies_by_population_share():
    rows = HAND[:1] + [agency("NC00009", "37001", 10000, 12, 20)]
    splits = pd.DataFrame(
        {"ori": ["NC00009", "NC00009"], "fips": ["37001", "37063"], "population": [7500, 2500]}
    )
    panel, man = kaplan_county_panel(
        kaplan_frame(rows), population(POP), coverage_rule="scale", splits=splits
    )
    got = panel.set_index("fips")["murder"]
    assert got["37001"] == 10 + 15 and got["37063"] == 5  # 20 * 3/4 and 20 * 1/4
    assert man.added == 1 and man.rows_in == 2 and man.rows_out == 2
    man.check()


def test_missing_offense_makes_the_county_count_missing():
    rows = kaplan_frame(HAND[:2])
    rows.loc[1, "larceny"] = pd.NA
    panel, _ = kaplan_county_panel(rows, population(POP), coverage_rule="scale")
    a = panel.iloc[0]
    assert pd.isna(a["larceny"]) and pd.isna(a["property"]) and a["murder"] == 20


def test_bad_rule_and_population():
    with pytest.raises(ValueError, match="coverage_rule must be one of"):
        kaplan_county_panel(kaplan_frame(HAND), population(POP), coverage_rule="all")
    pop = pd.concat([population(POP), population(POP)])
    with pytest.raises(ValueError, match="population frame: duplicate"):
        kaplan_county_panel(kaplan_frame(HAND), pop)


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def fx(fixtures_dir: Path) -> Path:
    return fixtures_dir


@pytest.fixture(scope="module")
def crosswalk(fx) -> pd.DataFrame:
    return leaic.load(fx / "leaic" / "35158-0001-Data.rda")


@pytest.fixture(scope="module")
def cius_fx(fx) -> list[pd.DataFrame]:
    return [fbi_cius.load(p) for p in sorted((fx / "fbi_cius").glob("table*/*.xls"))]


FX_POP = {
    "37001": 150000,
    "37009": 27000,
    "37063": 270000,
    "37119": 950000,
    "37135": 140000,
    "37183": 900000,
}


def fx_population(years=range(2004, 2017), drop_autauga_2016=True) -> pd.DataFrame:
    pop = population({**FX_POP, "01001": 55000}, years)
    if drop_autauga_2016:
        pop = pop[~((pop["fips"] == "01001") & (pop["year"] == 2016))]
    return pop


def test_kaplan_fixture_all_rules(fx, crosswalk):
    agencies = ucr_kaplan.load(fx / "ucr_kaplan" / "offenses_known_yearly_2005_2007.csv")
    for rule in COVERAGE_RULES:
        panel, man = kaplan_county_panel(
            agencies, fx_population(range(2005, 2008)), crosswalk, coverage_rule=rule
        )
        validate_panel(panel)
        man.check()
        assert man.rows_in == len(agencies)
        # the state highway patrol has county code 000 but LEAIC places it in Wake; NC099ZZ is not in LEAIC
        # and keeps its own FIPS 37183: nothing is dropped for want of a county
        assert "no county for the ORI (not in LEAIC, no county FIPS)" not in man.dropped
        assert panel["sc_activation_date"].isna().all()
        assert "NaT" in man.rules["timing"] or "not available" in man.rules["timing"]
    full, _ = kaplan_county_panel(
        agencies, fx_population(range(2005, 2008)), crosswalk, coverage_rule="full12"
    )
    scale, _ = kaplan_county_panel(
        agencies, fx_population(range(2005, 2008)), crosswalk, coverage_rule="scale"
    )
    wake06 = lambda p: p.set_index(["fips", "year"]).loc[("37183", 2006), "murder"]  # noqa: E731
    cary = agencies.set_index(["ori", "year"]).loc[("NC09203", 2006), "murder"]
    assert wake06(scale) - wake06(full) == cary * 2, (
        "Cary (6 months in 2006) is scaled by 12/6 or left out"
    )


def test_icpsr_fixture_panel(fx):
    frames = [
        ucr_icpsr_county.load(fx / "ucr_icpsr_county" / n)
        for n in (
            "county_offenses_2007.dta",
            "county_offenses_2008.txt",
            "county_offenses_2010.txt",
        )
    ]
    panel, man = icpsr_county_panel(frames)
    assert man.dropped == {"statewide pseudo-county (county code 000 or 999)": 3}
    assert man.rows_out == 18 and len(panel) == 18
    ashe = panel[panel["fips"] == "37009"]
    assert ashe["murder"].isna().all() and ashe["no_data"].all()
    wake10 = panel.set_index(["fips", "year"]).loc[("37183", 2010)]
    assert wake10["violent"] == 26 + 111 + 601 + 1001 and wake10["coverage"] == 100
    panel2, man2 = icpsr_county_panel(frames, min_coverage=90)
    # below 90: Ashe (0) and Mecklenburg (87.25), three years each
    assert man2.dropped["coverage indicator below 90"] == 6
    with pytest.raises(ValueError, match="duplicate county-years"):
        icpsr_county_panel(frames + frames[:1])


@pytest.fixture(scope="module")
def cius_panel(cius_fx, crosswalk):
    # with Table 11 (off by default; tests/panels/test_cius_consistency.py checks that)
    return cius_county_panel(cius_fx, crosswalk, fx_population(), verbose=True, table11=True)


def test_cius_fixture_panel_values(cius_panel):
    panel, man, report = cius_panel
    assert sorted(panel["year"].unique()) == [2013, 2016], (
        "only years with a city and a county table"
    )
    assert man.approximation and panel["source"].str.startswith("APPROXIMATION").all()
    got = panel.set_index(["fips", "year"])
    # 2016 Wake = Raleigh + Cary + Wake sheriff (generator values)
    wake = got.loc[("37183", 2016)]
    assert (wake["murder"], wake["rape"], wake["larceny"]) == (
        20 + 1 + 3,
        80 + 8 + 20,
        9000 + 1800 + 2000,
    )
    assert wake["n_agencies"] == 3 and bool(wake["has_county_agency"])
    # 2013 Wake adds the RDU airport police (Table 11, matched by name): assault 1, larceny 30
    assert got.loc[("37183", 2013), "aggravated_assault"] == 800 + 60 + 150 + 1
    # 2013 Durham: the city reports legacy rape (60), the sheriff revised (3): each agency's own definition
    assert got.loc[("37063", 2013), "rape"] == 63
    # Mecklenburg has no Table 10 row: Charlotte-Mecklenburg + Matthews
    meck = got.loc[("37119", 2016)]
    assert (meck["murder"], meck["rape"], bool(meck["has_county_agency"])) == (60, 152, False)
    # UNC Chapel Hill (a cut LEAIC name) -> Orange 37135
    assert got.loc[("37135", 2013), "n_agencies"] == 1
    # coverage: Raleigh 420,000 + Cary 135,000 + the Wake sheriff's LEAIC population 150,000
    # over Wake's 900,000 residents
    assert got.loc[("37183", 2016), "coverage"] == pytest.approx(100 * 705_000 / 900_000)
    validate_panel(panel)


def test_cius_fixture_accounting_and_match_report(cius_panel, cius_fx, capsys):
    panel, man, report = cius_panel
    man.check()
    assert man.rows_in == sum(len(f) for f in cius_fx)
    # tables of years without both city and county tables: city 2006 + 2010 (8 rows each), county 2004/2005/2009 (5 each)
    assert (
        man.dropped["year without both a city table and a county table (not built)"]
        == 8 + 8 + 5 + 5 + 5
    )
    # Table 11 2013: the State Highway Patrol is statewide
    assert man.dropped["Table 11 state agency (statewide; not allocated to a county)"] == 1
    # unmatched: Nowhere Town (2013, 2016), Poarch Creek Tribal and UNC Charlotte (absent from the LEAIC fixture)
    assert man.dropped["agency name not matched to a county through LEAIC"] == 4
    # Autauga has no 2016 population in the fixture: its sheriff and Prattville are dropped
    assert man.dropped["county without a Census population for the year"] == 2
    rate = report["match_rate"].set_index(["year", "table"])
    assert rate.loc[(2016, "city"), "matched"] == 7 and rate.loc[
        (2016, "city"), "rate"
    ] == pytest.approx(7 / 8)
    assert set(report["unmatched"]["agency"]) == {
        "Nowhere Town",
        "Poarch Creek Tribal",
        "University of North Carolina:",
    }


def test_cius_match_rate_is_printed(cius_fx, crosswalk, capsys):
    cius_county_panel(cius_fx, crosswalk, fx_population(), verbose=True)
    out = capsys.readouterr().out
    assert "CIUS county approximation 2013: matched city 7/8 (87.5%)" in out
    assert "CIUS county approximation 2016" in out


def test_city_panel_fixture(cius_fx, crosswalk):
    timing = pd.DataFrame(
        {
            "fips": ["37183", "37119"],
            "sc_activation_date": pd.to_datetime(["2008-11-01", "2009-10-01"]),
            "g287_start": pd.to_datetime(["2008-06-25", "2006-02-27"]),
            "g287_end": pd.NaT,
            "g287_model": ["jail", "jail"],
        }
    )
    panel, man = city_panel(pd.concat(cius_fx), crosswalk, timing=timing, min_population=100_000)
    # Cary 135k, Charlotte-Mecklenburg 800k, Durham 230k, Raleigh 420k: 4 cities x 4 city tables
    assert sorted(panel["city"].unique()) == ["Cary", "Charlotte-Mecklenburg", "Durham", "Raleigh"]
    assert len(panel) == 16 and man.rows_out == 16
    assert set(panel.loc[panel["city"] == "Raleigh", "sc_activation_date"]) == {
        pd.Timestamp("2008-11-01")
    }
    assert panel.loc[panel["city"] == "Durham", "sc_activation_date"].isna().all()
    assert set(panel.loc[panel["city"] == "Cary", "fips"]) == {"37183"}
    assert panel["city_id"].str.len().eq(7).all(), "ORI7 of the matched LEAIC agency"
    man.check()
    validate_city_panel(panel)
    bad = pd.concat([panel, panel.iloc[[0]]])
    with pytest.raises(PanelSchemaError, match="city_id, year"):
        validate_city_panel(bad)
    neg = panel.copy()
    neg.loc[0, "murder"] = -1
    with pytest.raises(PanelSchemaError, match="murder"):
        validate_city_panel(neg)


def test_nc_panel_from_cius_fixture(cius_panel):
    panel, _, _ = cius_panel
    nc, man = nc_county_panel(panel, min_coverage=None)  # the coverage rule has its own test below
    assert set(nc["year"]) == {2013} and nc["fips"].str.startswith("37").all()
    got = nc.set_index("fips")
    assert got.loc["37183", "g287_start"] == pd.Timestamp("2008-06-25")  # Wake, Table A1
    assert got.loc["37001", "g287_end"] == pd.Timestamp("2012-09-01")  # Alamance ended Sept 2012
    assert got.loc["37063", "g287_model"] == "task force"  # Durham PD
    assert pd.isna(got.loc["37135", "g287_start"])  # Orange: no agreement
    assert man.dropped == {
        "not a North Carolina county": int((~panel["fips"].str.startswith("37")).sum()),
        "North Carolina, outside 2003-2013": int(
            (panel["fips"].str.startswith("37") & (panel["year"] > 2013)).sum()
        ),
    }
    assert "covers 1 of the 11 study years" in man.notes[-1]
    man.check()


def test_attach_timing_rejects_bad_frames():
    m = Manifest("x")
    df = pd.DataFrame({"fips": ["37001"]})
    with pytest.raises(ValueError, match="missing column"):
        attach_timing(df, pd.DataFrame({"fips": ["37001"]}), m)
    t = pd.DataFrame(
        {
            "fips": ["37001", "37001"],
            "sc_activation_date": pd.NaT,
            "g287_start": pd.NaT,
            "g287_end": pd.NaT,
            "g287_model": pd.NA,
        }
    )
    with pytest.raises(ValueError, match="share a county"):
        attach_timing(df, t, m)


def test_normalise_name():
    assert normalise_name("Saint Mary's") == "ST MARY S"
    assert normalise_name("Charlotte-Mecklenburg") == normalise_name("CHARLOTTE - MECKLENBURG")
    assert normalise_name(None) == "" and normalise_name(np.nan) == ""


# ---------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def real_inputs(shared_data, real_build):
    from enforcement_crime.sources import census_population as cp

    files = sorted(shared_data.glob("fbi_cius_table10_county_sheriff/*.xls")) + sorted(
        shared_data.glob("fbi_cius_tables/*/*.xls")
    )
    rda = shared_data / "leaic_2012_icpsr35158" / "35158-0001-Data.rda"
    census = [
        shared_data / "census_county_pop_tell" / n
        for n in ("co-est2009-alldata.csv", "co-est2019-alldata.csv")
    ]
    if not files or not rda.is_file() or not all(p.is_file() for p in census):
        pytest.skip("CIUS, LEAIC or Census copies absent")
    cius = [real_build.load("fbi_cius", p) for p in files]
    cw = real_build.load("leaic", rda)
    pop = cp.county_population_panel(
        [real_build.load("census_population", p) for p in census], range(2000, 2017)
    )
    return cius, cw, pop


@pytest.fixture(scope="module")
def real_cius_panel(real_inputs):
    cius, cw, pop = real_inputs
    return cius_county_panel(cius, cw, pop, verbose=True)


@pytest.mark.shared_data
def test_real_cius_approximation_every_year(real_inputs, real_cius_panel, capsys):
    panel, man, report = real_cius_panel
    # the years with both a Table 8 (cities) and a Table 10 (counties) copy, read from the copies
    # themselves so the test follows the shared folder as it gains years
    cius, _, _ = real_inputs
    have: dict[str, set[int]] = {}
    for f in cius:
        have.setdefault(f["table"].iloc[0], set()).add(int(f["year"].iloc[0]))
    expected_years = sorted(have["city"] & have["county"])
    # 2006, 2009, 2010 and 2013-2016 at least, when this was written
    assert len(expected_years) >= 7
    assert sorted(panel["year"].unique()) == expected_years
    validate_panel(panel)
    man.check()
    rate = report["match_rate"]
    print("\n" + rate.to_string())  # the match rate per year, shown with -s
    city = rate[rate["table"] == "city"].set_index("year")
    county = rate[rate["table"] == "county"].set_index("year")
    assert sorted(city.index) == expected_years
    # floors set well below the rates seen when this was written (99% cities, 99% counties): they catch a broken matcher
    assert (city["rate"] > 0.95).all() and (county["rate"] > 0.95).all()
    # every county-year row comes from at least one matched agency; NC has 100 counties, most present every year
    nc = panel[panel["state_fips"] == "37"]
    assert nc.groupby("year")["fips"].nunique().min() >= 90
    meck = panel.set_index(["fips", "year"]).loc[("37119", 2010)]
    assert not meck["has_county_agency"] and meck["n_cities"] >= 1


@pytest.mark.shared_data
def test_real_city_and_nc_panels(real_inputs, real_cius_panel, shared_data):
    cius, cw, _ = real_inputs
    panel, man = city_panel(pd.concat(cius, ignore_index=True), cw)
    validate_city_panel(panel)
    man.check()
    assert panel["population"].groupby(panel["city_id"]).median().min() >= 50_000
    assert {"Raleigh", "Durham", "Charlotte-Mecklenburg"} <= set(
        panel.loc[panel["state"] == "NC", "city"]
    )
    nc, nman = nc_county_panel(real_cius_panel[0], min_coverage=None)
    nman.check()
    validate_panel(nc)
    # the coverage rule: every county-year below the threshold dropped, counted and listed
    covered, cman = nc_county_panel(real_cius_panel[0])
    cman.check()
    low = cman.reports["low_coverage"]
    assert low["county_years_dropped"] == len(nc) - len(covered) == int((nc["coverage"] < 80).sum())
    assert sum(map(len, low["counties"].values())) == low["county_years_dropped"]
    assert (covered["coverage"] >= 80).all()
    # the study years 2003-2013 that the CIUS panel has (it has 2006, 2009, 2010 and 2013 at least)
    built = {int(y) for y in real_cius_panel[0]["year"].unique()}
    assert sorted(nc["year"].unique()) == sorted(built & set(range(2003, 2014)))
    assert {2006, 2009, 2010, 2013} <= set(nc["year"])
    assert (
        nc["fips"].str.startswith("37").all() and nc.groupby("year")["fips"].nunique().min() >= 90
    )
    assert nc.loc[nc["fips"] == "37119", "g287_start"].eq(pd.Timestamp("2006-02-27")).all()


def test_county_codes_are_repaired_before_aggregation():
    """Shannon SD 46113 is recoded 46102 and Bedford city VA 51515 merged into Bedford County 51019 (build.fips rules)."""
    rows = [
        agency("SD00001", "46113", 5000, 12, 2),
        agency("VA00001", "51515", 6000, 12, 3),
        agency("VA00002", "51019", 60000, 12, 4),
        agency("XX00001", "99999", 100, 12, 1),
    ]
    pop = population({"46102": 14000, "51019": 75000, "51515": 6000})
    panel, man = kaplan_county_panel(kaplan_frame(rows), pop, coverage_rule="full12")
    got = panel.set_index("fips")
    assert set(got.index) == {"46102", "51019"}
    assert got.loc["51019", "murder"] == 3 + 4, "the city's agency is added to the county"
    assert got.loc["51019", "population"] == 75000 + 6000, "the city's population is merged too"
    assert man.dropped == {
        "county FIPS code is no Census county (2000-2020) and no repair rule's": 1
    }
    assert man.reports["fips_repairs"] == {"oglala_lakota_2015": 1, "bedford_city_2013": 1}
    man.check()


def test_city_panel_from_kaplan_agencies(fx, crosswalk):
    agencies = ucr_kaplan.load(fx / "ucr_kaplan" / "offenses_known_yearly_2005_2007.csv")
    timing = pd.DataFrame(
        {
            "fips": ["37183"],
            "sc_activation_date": pd.to_datetime(["2008-11-01"]),
            "g287_start": pd.NaT,
            "g287_end": pd.NaT,
            "g287_model": pd.array([pd.NA], dtype="string"),
        }
    )
    panel, man = city_panel_from_agencies(
        agencies, crosswalk, timing=timing, min_population=100_000
    )
    # local police with 100,000+: Durham, Charlotte-Mecklenburg, Raleigh, Cary; Cary reported 6 months in 2006
    assert sorted(panel["city_id"].unique()) == ["NC03201", "NC06001", "NC09201", "NC09203"]
    assert len(panel) == 4 * 3 - 1
    assert man.dropped["months reported below the rule full12"] == 1
    assert set(panel.loc[panel["fips"] == "37183", "sc_activation_date"]) == {
        pd.Timestamp("2008-11-01")
    }
    validate_city_panel(panel)
    man.check()
    scaled, _ = city_panel_from_agencies(
        agencies, crosswalk, min_population=100_000, coverage_rule="scale"
    )
    cary06 = scaled.set_index(["city_id", "year"]).loc[("NC09203", 2006)]
    raw = agencies.set_index(["ori", "year"]).loc[("NC09203", 2006)]
    assert cary06["robbery"] == raw["robbery"] * 2 and cary06["coverage"] == 50.0
    no_cw, _ = city_panel_from_agencies(agencies, None, min_population=100_000)
    assert set(no_cw["city_id"]) == set(panel["city_id"]), (
        "Kaplan's agency_type gives the same cities here"
    )
    with pytest.raises(ValueError, match="share an"):
        city_panel_from_agencies(pd.concat([agencies, agencies.iloc[:1]]), crosswalk)


def test_builders_refuse_duplicated_inputs(fx, crosswalk, cius_fx):
    agencies = ucr_kaplan.load(fx / "ucr_kaplan" / "offenses_known_yearly_2005_2007.csv")
    with pytest.raises(ValueError, match=r"rows share an \(ori, year\)"):
        kaplan_county_panel(
            pd.concat([agencies, agencies.iloc[:2]]), fx_population(range(2005, 2008)), crosswalk
        )
    with pytest.raises(ValueError, match="the same table and year passed twice"):
        cius_county_panel(cius_fx + cius_fx[:1], crosswalk, fx_population())


def test_nc_coverage_rule_drops_a_county_year_with_a_missing_city_agency(cius_fx, crosswalk):
    """A planted missing city agency (Durham city left out of the 2013 city table): Durham County 2013
    keeps only its sheriff, 40,000 of 270,000 residents, and its crime series would collapse; the
    coverage rule drops that county-year and the manifest says so (reason, count, county and year)."""
    from enforcement_crime.panels.nc_county import MIN_COVERAGE

    def durham_2013(frame):
        return (frame["fips"] == "37063") & (frame["year"] == 2013)

    full, _, _ = cius_county_panel(cius_fx, crosswalk, fx_population())
    assert full.loc[durham_2013(full), "coverage"].item() == pytest.approx(100.0)
    planted = [f[~((f["table"] == "city") & (f["year"] == 2013) & (f["agency"] == "Durham"))]
               for f in cius_fx]  # fmt: skip
    assert sum(map(len, planted)) == sum(map(len, cius_fx)) - 1
    panel, _, _ = cius_county_panel(planted, crosswalk, fx_population())
    assert panel.loc[durham_2013(panel), "coverage"].item() == pytest.approx(100 * 40_000 / 270_000)
    before, _ = nc_county_panel(full)
    assert durham_2013(before).sum() == 1  # complete: kept
    nc, man = nc_county_panel(panel)
    man.check()
    assert durham_2013(nc).sum() == 0
    low = {k: v for k, v in man.dropped.items() if "coverage below" in k}
    # Alamance (73%) and Wake (78%) of the fixture are below the threshold too, with or without the plant
    assert list(low.values()) == [3] and f"{MIN_COVERAGE:g}%" in next(iter(low))
    assert man.reports["low_coverage"]["counties"] == {
        "37001": [2013],
        "37063": [2013],
        "37183": [2013],
    }
    assert man.rules["min_coverage"] == MIN_COVERAGE
    # without the rule the county-year stays, with its collapsed count, and nothing is dropped for coverage
    kept, man0 = nc_county_panel(panel, min_coverage=None)
    assert durham_2013(kept).sum() == 1
    assert not any("coverage below" in k for k in man0.dropped)
