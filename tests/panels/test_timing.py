"""Treatment timing: exposure rules on hand-checked cases, SC per county, 287(g) first adoption and disagreements."""

from __future__ import annotations

import pandas as pd
import pytest

from enforcement_crime.facts import nc_287g_agreements
from enforcement_crime.panels import timing as t
from enforcement_crime.schema import G287_MODELS
from enforcement_crime.sources import g287, secure_communities

TS = pd.Timestamp

# ---------------------------------------------------------------------------
# exposure rules (hand-checked)
# ---------------------------------------------------------------------------


def test_first_full_year_hand_cases():
    dates = pd.Series(
        pd.to_datetime(["2006-02-27", "2007-01-01", "2008-12-31", None]),
        index=["37119", "a", "b", "never"],
    )
    cohort = t.exposure_first_full_year(dates)
    # Mecklenburg signed 2006-02-27: 2006 is partial, 2007 the first full year
    assert cohort["37119"] == 2007
    assert cohort["a"] == 2007  # a 1 January start makes that year full
    assert cohort["b"] == 2009
    assert pd.isna(cohort["never"])
    assert str(cohort.dtype) == "Int64"


def test_first_full_year_after_panel_is_missing_and_counted():
    dates = pd.Series(pd.to_datetime(["2013-05-01", "2009-10-15"]), index=["late", "guilford"])
    cohort = t.exposure_first_full_year(dates, years=range(2003, 2014))
    assert pd.isna(cohort["late"]) and cohort["guilford"] == 2010
    assert cohort.attrs["after_panel"] == 1


def _share(df, unit, year):
    return df[(df.iloc[:, 0] == unit) & (df["year"] == year)]["share"].item()


def test_share_of_year_mecklenburg():
    start = pd.Series([TS("2006-02-27")], index=pd.Index(["37119"], name="fips"))
    out = t.exposure_share_of_year(start, None, range(2005, 2009))
    assert list(out.columns) == ["fips", "year", "share"]
    # Feb 27-28 (2 days) + March..December (306 days) = 308 of 365 days; exact ratio of integers
    assert _share(out, "37119", 2006) == 308 / 365
    assert _share(out, "37119", 2005) == 0.0
    assert _share(out, "37119", 2007) == 1.0 and _share(out, "37119", 2008) == 1.0


def test_share_of_year_leap_year_and_end_dates():
    start = pd.Series(
        [TS("2008-02-29"), TS("2007-01-10"), TS("2010-03-01"), pd.NaT],
        index=["leap", "alamance", "short", "never"],
    )
    end = pd.Series([pd.NaT, TS("2012-09-01"), TS("2010-03-11"), pd.NaT], index=start.index)
    out = t.exposure_share_of_year(start, end, range(2007, 2014))
    assert _share(out, "leap", 2008) == 307 / 366  # Feb 29 + 306 days of Mar-Dec, leap year
    # Alamance: Jan 10 2007 to Dec 31 2007 = 356 days; 2012 exposed Jan 1 - Aug 31 (end is the first day not in force)
    assert _share(out, "alamance", 2007) == 356 / 365
    assert _share(out, "alamance", 2012) == (31 + 29 + 31 + 30 + 31 + 30 + 31 + 31) / 366
    assert _share(out, "alamance", 2013) == 0.0
    assert _share(out, "short", 2010) == 10 / 365
    assert out.loc[out.iloc[:, 0] == "never", "share"].eq(0).all()
    assert out["share"].between(0, 1).all()


def test_share_end_before_start_is_an_error():
    with pytest.raises(ValueError, match="end before start"):
        t.exposure_share_of_year(
            pd.Series([TS("2010-01-01")]), pd.Series([TS("2009-01-01")]), [2010]
        )


# ---------------------------------------------------------------------------
# Secure Communities per county
# ---------------------------------------------------------------------------


def test_sc_by_county_fixture(fixtures_dir):
    raw = secure_communities.load(
        fixtures_dir / "secure_communities" / "sc_activation_dates_county.csv"
    )
    sc = t.sc_activation_by_county(raw)
    got = sc.set_index("fips")["sc_activation_date"]
    # Bedford city (2010-03) merged into Bedford County (2010-06): earliest activation of the parts
    assert got["51019"] == TS("2010-03-01") and "51515" not in got.index
    assert pd.isna(got["02020"]) and sc.set_index("fips").loc["02020", "note"].startswith("no date")
    assert sc.attrs["n_missing_date"] == 3
    report = pd.DataFrame(sc.attrs["fips_report"]).set_index("rule")
    assert report.loc["bedford_city_2013", "rows_collapsed"] == 1
    assert len(sc) == len(raw) - 1


def test_sc_day_dates_floored_to_month(fixtures_dir):
    sc = t.sc_activation_by_county(
        secure_communities.load(fixtures_dir / "secure_communities" / "sc_plain.csv")
    )
    assert sc.set_index("fips").loc["48201", "sc_activation_date"] == TS("2008-10-01")


# ---------------------------------------------------------------------------
# 287(g) first adoption on fixtures (expected values worked out by hand from make_fixtures.py)
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fixture_frames(fixtures_dir):
    d = fixtures_dir / "g287"
    return [
        g287.load(d / n)
        for n in (
            "pre2018-agreements-best-guess.csv",
            "historical-oig-2009.csv",
            "287g_curated_2019.xlsx",
            "participatingAgencies07182025pm.xlsx",
            "pendingAgencies07182025pm.xlsx",
        )
    ]


def test_first_adoption_fixture(fixture_frames):
    fa = t.g287_first_adoption(*fixture_frames).set_index("fips")
    meck = fa.loc["37119"]  # roster + OIG 2006-02-20 (WaPo from 2007 is only year precision)
    assert (
        meck["g287_start"] == TS("2006-02-20")
        and pd.isna(meck["g287_end"])
        and meck["g287_model"] == "jail"
    )
    assert meck["n_sources"] == 3 and meck["start_source"] == "oig2009;roster"
    durham = fa.loc["37063"]  # city PD, roster only: ended (terminated, last seen 2012-09-30)
    assert (durham["g287_start"], durham["g287_end"], durham["g287_model"]) == (
        TS("2008-02-03"),
        TS("2012-09-30"),
        "task force",
    )
    # Alamance: WaPo 2007-2012 (no roster/OIG date), then an ICE agreement signed 2020-05-01: a re-entry
    ala = fa.loc["37001"]
    assert ala["g287_start"] == TS("2007-01-01") and ala["start_precision"] == "year"
    assert ala["g287_end"] == TS("2013-01-01") and ala["g287_reentry"] == TS("2020-05-01")
    # a roster agency covering two counties gives both the same timing; model "both"
    for fips in ("48113", "48085"):
        assert (
            fa.loc[fips, "g287_start"] == TS("2008-09-01") and fa.loc[fips, "g287_model"] == "both"
        )
    # ICE city police department, county from the sheet's COUNTY column (Marion County FL)
    assert (
        fa.loc["12083", "g287_start"] == TS("2025-07-07")
        and fa.loc["12083", "g287_model"] == "task force"
    )
    assert set(fa["g287_model"].dropna()) <= G287_MODELS


def test_first_adoption_accounts_for_every_record(fixture_frames):
    fa = t.g287_first_adoption(*fixture_frames)
    unmatched = pd.DataFrame(fa.attrs["unmatched"])
    excluded = pd.DataFrame(fa.attrs["excluded"])
    # OIG rows naming no county (Durham PD) or a made-up county; the GAO-only roster row without a date
    assert set(unmatched["agency"]) >= {"Durham Police Department", "Testa County Sheriff's Office"}
    reasons = excluded.groupby("source")["reason"].apply(set).to_dict()
    assert "pending or repeated listing" in reasons["oig2009"]  # Hall County GA, pending
    assert "no start date" in reasons["ice_current"]  # Tooele, implausible SIGNED set missing
    assert "pending or repeated listing" in reasons["ice_current"]  # the pending sheet


def test_spells_and_models_from_records():
    rec = pd.DataFrame(
        {
            "fips": ["01001"] * 4 + ["01003"] * 2,
            "start": pd.to_datetime(
                ["2008-07-08", "2013-06-28", "2008-07-08", "2019-03-01", "2007-01-01", "2008-05-01"]
            ),
            "end": pd.to_datetime([None, None, None, None, "2010-01-01", None]),
            "end_observed": [True, True, False, True, True, True],
            "model": ["jail", "jail", "task force", "task force", "jail", "task force"],
            "source": ["roster", "ice_current", "oig2009", "ice_current", "roster", "roster"],
            "precision": ["day"] * 6,
        }
    )
    rec.loc[0, "end"] = TS("2012-01-01")  # first agreement ended; the 2013 renewal is a re-entry
    fa = t.g287_first_adoption(rec).set_index("fips")
    a = fa.loc["01001"]
    assert a["g287_start"] == TS("2008-07-08") and a["g287_end"] == TS("2012-01-01")
    assert a["g287_reentry"] == TS("2013-06-28")
    assert a["g287_model"] == "both"  # jail (roster) + task force (OIG) in the first spell
    b = fa.loc["01003"]
    assert pd.isna(b["g287_end"]) and pd.isna(
        b["g287_reentry"]
    )  # 2008 agreement is open and overlaps nothing later


def test_disagreements_fixture(fixture_frames):
    dis = t.g287_disagreements(*fixture_frames).set_index("fips")
    # Mecklenburg: roster and OIG agree (2006-02-20) but WaPo's first year is 2007
    assert dis.loc["37119", "year_mismatch"] and dis.loc["37119", "date_spread_days"] == 0
    assert not dis.loc["37119", "model_disagree"]
    assert "37063" not in dis.index  # one source only


def test_nc_timing_equals_fact_table():
    nc = t.nc_287g_timing()
    facts = nc_287g_agreements()
    assert list(nc["fips"]) == list(facts["fips"])
    assert (nc["g287_start"].to_numpy() == facts["signed"].to_numpy()).all()
    assert nc.set_index("fips").loc["37119", "g287_start"] == TS("2006-02-27")
    assert set(nc["g287_model"]) <= G287_MODELS


def test_county_timing_universe_and_columns(fixtures_dir):
    sc = t.sc_activation_by_county(
        secure_communities.load(
            fixtures_dir / "secure_communities" / "sc_activation_dates_county.csv"
        )
    )
    nc = t.nc_287g_timing()
    universe = [f for f in sc["fips"] if f.startswith("37")] + ["37063"]
    ct = t.county_timing(universe, sc=sc, g287=nc)
    assert list(ct.columns) == [
        "fips",
        "sc_activation_date",
        "g287_start",
        "g287_end",
        "g287_model",
    ]
    assert list(ct["fips"]) == sorted(set(universe))
    row = ct.set_index("fips").loc["37119"]
    assert row["sc_activation_date"] == TS("2009-10-01") and row["g287_start"] == TS("2006-02-27")
    assert pd.isna(ct.set_index("fips").loc["37063", "sc_activation_date"])
    # counties of the inputs outside the universe are listed, not silently lost
    assert "17031" in ct.attrs["outside_universe"]["sc_activation_date"]
    assert "37081" in ct.attrs["outside_universe"]["g287_start"]
    for col in ("sc_activation_date", "g287_start", "g287_end"):
        assert ct[col].dtype == "datetime64[ns]"


def test_attach_county_fips_rules():
    df = pd.DataFrame(
        {
            "state": ["ALABAMA", "FLORIDA", "NORTH CAROLINA", "VIRGINIA"],
            "agency": [
                "Etowah County Sheriff's Office",
                "Jacksonville Sheriff's Office",
                "City of Durham Police Department",
                "Prince William County Police Department",
            ],
            "county_name": [None, None, None, None],
        }
    )
    out = t.attach_county_fips(df)
    assert list(out["fips"].fillna("-")) == ["01055", "-", "-", "51153"]
    assert list(out["fips_match"].fillna("-")) == ["agency_name", "-", "-", "agency_name"]


# ---------------------------------------------------------------------------
# real data
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_frames(shared_data):
    d = shared_data
    paths = [
        d / "ice_287g_deportationdata" / "pre2018-agreements-best-guess.csv",
        d / "ice_287g_deportationdata" / "historical-oig-2009.csv",
        d / "wapo_sheriffs_287g" / "287g_curated_2019.xlsx",
        d / "ice_287g_current_appelson" / "participatingAgencies07182025pm.xlsx",
    ]
    if not all(p.exists() for p in paths):
        pytest.skip("287(g) real files absent")
    return t.g287_records(*[g287.load(p) for p in paths])  # normalised once for the tests below


@pytest.mark.shared_data
def test_real_first_adoption_reproduces_table_a1(real_frames):
    fa = t.g287_first_adoption(real_frames).set_index("fips")
    facts = nc_287g_agreements().set_index("fips")
    # the earliest date over all sources equals Forrester & Nowrasteh's signing date for all nine counties
    for fips, row in facts.iterrows():
        assert fa.loc[fips, "g287_start"] == row["signed"], fips
    # models agree where the sources give one (Cumberland has none in the roster)
    for fips in facts.index.drop("37051"):
        assert fa.loc[fips, "g287_model"] == facts.loc[fips, "model"], fips
    assert fa.index.is_unique and set(fa["g287_model"].dropna()) <= G287_MODELS


@pytest.mark.shared_data
def test_real_disagreements_report(real_frames):
    dis = t.g287_disagreements(real_frames)
    assert len(dis) > 0 and dis["fips"].is_unique
    assert (dis["date_disagree"] | dis["model_disagree"]).all()
    # Wake NC: WaPo flags 2007, the MOA is dated 2008-06-25 (a known disagreement)
    wake = dis.set_index("fips").loc["37183"]
    assert wake["year_mismatch"]


@pytest.mark.shared_data
def test_real_sc_by_county_row_accounting(shared_data):
    path = shared_data / "sc_activation_hhadah" / "sc_activation_dates_county.csv"
    if not path.exists():
        pytest.skip(f"{path} absent")
    raw = secure_communities.load(path)
    sc = t.sc_activation_by_county(raw)
    collapsed = sum(r["rows_collapsed"] for r in sc.attrs["fips_report"])
    assert len(sc) + collapsed + len(sc.attrs["not_a_county"]) == len(raw)
    assert sc["fips"].is_unique
    assert sc["sc_activation_date"].min() == TS("2008-10-01")
    assert sc["sc_activation_date"].max() <= TS("2013-01-22")


def test_agency_list_and_scrape_history_are_handled(fixtures_dir, fixture_frames):
    d = fixtures_dir / "g287"
    agencies = g287.load(d / "ucr_agencies_list.csv")
    scrape = g287.load(d / "agreements.csv")
    rec = t.g287_records(*fixture_frames, agencies, scrape)
    assert rec.attrs["ignored_frames"] == ["ucr_agencies (2 rows of ucr_agencies_list.csv)"]
    # Colbert County AL listed on 2025-05-16 and 2025-05-19: one record dated by the first listing
    colbert = rec[(rec["source"] == "ice_agreements") & (rec["fips"] == "01033")]
    assert list(colbert["start"]) == [TS("2025-05-16")]


def test_disagreements_tolerance_and_source_choice():
    rec = pd.DataFrame(
        {
            "fips": ["01001"] * 3,
            "start": pd.to_datetime(["2008-07-08", "2008-07-10", "2016-06-08"]),
            "end": pd.to_datetime([None, None, None]),
            "end_observed": [True, False, True],
            "model": ["jail", "jail", "jail"],
            "source": ["roster", "oig2009", "ice_current"],
            "precision": ["day"] * 3,
        }
    )
    assert t.g287_disagreements(rec).loc[0, "date_spread_days"] == 2  # 8 July vs 10 July
    assert t.g287_disagreements(rec, tolerance_days=2).empty  # within tolerance: not reported
    # ICE's current sheet (re-signed 2016) is left out by default, compared when asked
    assert (
        t.g287_disagreements(rec, sources=None).loc[0, "date_spread_days"]
        == (TS("2016-06-08") - TS("2008-07-08")).days
    )
