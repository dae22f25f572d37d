"""The comparison of the CIUS county approximation with ICPSR 33523 (2010) and the NC SBI rates.

The 2012 file beside 2010 is tested in ``test_validation_years.py``; the notebook test here
runs every section (2010 and 2012, SBI, the NC agency panel against the CIUS sheriff panel).

Hand-made frames check every comparison function against values worked out by hand (statuses,
ratios, shares) or by an independent computation (numpy's correlation); the real copies in
``../shared/data`` (skipped when absent) check the agreement measured when this was written,
with bounds that a broken matcher, loader or pairing would cross.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from pathlib import Path  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from enforcement_crime import validation as v  # noqa: E402

# one worker builds this module's shared (module-scoped) inputs once, on the worker of the
# other tests that build from the shared copies (each file parsed once): `make test` runs with
# pytest-xdist --dist loadgroup
pytestmark = [pytest.mark.xdist_group("real_data")]


def frame(values: dict[str, float | None], col: str = "index") -> pd.DataFrame:
    return pd.DataFrame(
        {"fips": list(values), col: pd.array(list(values.values()), dtype="Float64")}
    )


# ---------------------------------------------------------------- pairing


def test_compare_values_status_ratio_and_every_unit_kept():
    left = frame({"01001": 10, "01003": 0, "01005": None, "01007": 5, "01009": 0, "01011": 4})
    right = frame({"01001": 5, "01003": 3, "01005": 2, "01007": 0, "01009": 0, "01013": 7})
    p = v.compare_values(left, right, groups=("index",)).set_index("fips")
    assert p.loc["01001", "status"] == "compared" and p.loc["01001", "ratio"] == 2.0
    assert p.loc["01001", "log_ratio"] == pytest.approx(np.log(2))
    assert p.loc["01001", "difference"] == 5
    assert p.loc["01003", "status"] == "zero in cius" and p.loc["01003", "ratio"] == 0
    assert np.isnan(p.loc["01003", "log_ratio"])
    assert p.loc["01005", "status"] == "missing in cius"
    assert p.loc["01007", "status"] == "zero in icpsr" and np.isnan(p.loc["01007", "ratio"])
    assert p.loc["01009", "status"] == "zero in both"
    assert p.loc["01011", "status"] == "no icpsr row"
    assert p.loc["01013", "status"] == "no cius row"
    assert len(p) == 7, "the union of both sources' units, none dropped"
    counts = v.status_counts(p.reset_index()).set_index("status")["index"]
    assert counts["total"] == 7 and counts["compared"] == 1 and counts.drop("total").sum() == 7


def test_compare_values_refuses_negative_and_duplicated_units():
    with pytest.raises(ValueError, match="'index' has a negative value at \\{'fips': '01003'\\}"):
        v.compare_values(frame({"01001": 1, "01003": -2}), frame({"01001": 1}), groups=("index",))
    dup = pd.concat([frame({"01001": 1}), frame({"01001": 2})])
    with pytest.raises(ValueError, match="icpsr.*rows share a key"):
        v.compare_values(frame({"01001": 1}), dup, groups=("index",))
    with pytest.raises(ValueError, match="missing column"):
        v.compare_values(frame({"01001": 1}), frame({"01001": 1}), groups=("violent",))


def test_agreement_summary_known_ratios_and_correlation():
    # ratios 1, 1.05, 0.95, 1.2, 0.5 (three within +-10%, one above, one below)
    right = {f"0100{i}": float(x) for i, x in enumerate([100, 200, 400, 50, 1000])}
    ratios = [1.0, 1.05, 0.95, 1.2, 0.5]
    left = {k: r * right[k] for k, r in zip(right, ratios, strict=True)}
    p = v.compare_values(frame(left), frame(right), groups=("index",))
    s = v.agreement_summary(p).iloc[0]
    assert s["units"] == 5 and s["compared"] == 5
    assert s["median_ratio"] == pytest.approx(1.0)
    assert s["ratio_q25"] == pytest.approx(0.95) and s["ratio_q75"] == pytest.approx(1.05)
    assert s["share_within_10pct"] == pytest.approx(3 / 5)
    assert s["share_below_90pct"] == pytest.approx(1 / 5)
    assert s["share_above_110pct"] == pytest.approx(1 / 5)
    a, b = np.log(list(left.values())), np.log(list(right.values()))
    assert s["corr_log"] == pytest.approx(np.corrcoef(a, b)[0, 1])
    assert s["ratio_of_sums"] == pytest.approx(sum(left.values()) / sum(right.values()))


def test_agreement_summary_exact_proportion_has_correlation_one_and_zero_share():
    right = {f"0100{i}": float(10 * (i + 1) ** 2) for i in range(6)}
    left = {k: x / 2 for k, x in right.items()}
    s = v.agreement_summary(v.compare_values(frame(left), frame(right), groups=("index",)))
    assert s["corr_log"].iloc[0] == pytest.approx(1.0)
    assert s["median_ratio"].iloc[0] == pytest.approx(0.5)
    assert s["share_within_10pct"].iloc[0] == 0
    assert s["share_below_90pct"].iloc[0] == 1


def test_agreement_summary_by_state_counts_only_compared_pairs():
    left = pd.DataFrame({"fips": ["01001", "01003", "02001", "02003", "02005"],
                         "state": ["AL", "AL", "AK", "AK", "AK"],
                         "index": [10.0, 20.0, 30.0, 0.0, 45.0]})  # fmt: skip
    right = left.assign(index=[10.0, 10.0, 30.0, 5.0, 50.0])
    p = v.compare_values(left, right, groups=("index",), carry=("state",))
    s = v.agreement_summary(p, by=("state", "group")).set_index("state")
    assert s.loc["AL", "compared"] == 2 and s.loc["AL", "median_ratio"] == pytest.approx(1.5)
    assert s.loc["AK", "units"] == 3 and s.loc["AK", "compared"] == 2
    assert s.loc["AK", "median_ratio"] == pytest.approx((1.0 + 0.9) / 2)
    assert s.loc["AK", "share_within_10pct"] == 1.0
    # the state table: one row per state, unmatched agencies beside it (0 where none)
    agencies = pd.DataFrame({"state_fips": ["02"], "agency": ["Lost PD"], "population": [900.0],
                             "fips": [None], "violent": [3], "property": [9]})  # fmt: skip
    t = v.state_table(p.assign(state_fips=p["fips"].str[:2]), agencies).set_index("state")
    assert list(t.index) == ["AK", "AL"], "sorted by median ratio"
    assert t.loc["AK", "unmatched_agencies"] == 1 and t.loc["AK", "unmatched_violent"] == 3
    assert t.loc["AL", "unmatched_agencies"] == 0 and t.loc["AL", "largest_unmatched"] == ""


# ---------------------------------------------------------------- ICPSR preparation


def icpsr_raw() -> pd.DataFrame:
    fips = ["01001", "01777", "51019", "51515", "02999"]
    return pd.DataFrame(
        {
            "fips": pd.array(fips, dtype="string"),
            "county_fips": pd.array([f[2:] for f in fips], dtype="string"),
            "year": 2010,
            "population": pd.array([1000, 0, 60000, 6000, 5000], dtype="Int64"),
            "agencies_offenses": pd.array([2, 1, 3, 1, 1], dtype="Int64"),
            "coverage": [100.0, 100.0, 100.0, 90.0, 100.0],
            "violent": pd.array([10, 7, 200, 18, 3], dtype="Int64"),
            "property": pd.array([100, 70, 900, 50, 30], dtype="Int64"),
            "no_data": False,
        }
    )


def test_icpsr_counties_sets_aside_pseudo_counties_and_merges_repaired_codes():
    out, acc = v.icpsr_counties(icpsr_raw())
    assert list(out["fips"]) == ["01001", "51019"] and list(out["state"]) == ["AL", "VA"]
    bedford = out.set_index("fips").loc["51019"]
    assert bedford["violent"] == 218 and bedford["property"] == 950 and bedford["index"] == 1168
    assert bedford["coverage"] == 90.0 and bedford["population"] == 66000
    assert bedford["agencies"] == 4
    a = acc.set_index("step")["rows"]
    assert a["ICPSR rows in"] - a["set aside"] - a["merged"] == a["ICPSR counties out"] == 2
    assert (
        "they hold 10 violent and 100 property" in acc.set_index("step").loc["set aside", "reason"]
    )


def test_icpsr_counties_refuses_several_years_and_missing_columns():
    two = pd.concat([icpsr_raw(), icpsr_raw().assign(year=2011)])
    with pytest.raises(ValueError, match="one year"):
        v.icpsr_counties(two)
    with pytest.raises(ValueError, match="coverage"):
        v.icpsr_counties(icpsr_raw().drop(columns="coverage"))


# ---------------------------------------------------------------- diagnostics


def composition_panel() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "fips": ["01001", "01003", "01005"],
            "year": 2010,
            "n_agencies": [3, 1, 4],
            "n_cities": [2, 1, 2],
            "has_county_agency": [True, False, True],
            "population": [10000, 20000, 30000],
        }
    )


def test_cius_composition_and_diagnostic_flags():
    comp = v.cius_composition(composition_panel())
    assert list(comp["cius_other_rows"]) == [0, 0, 1]
    icpsr = pd.DataFrame({"fips": ["01001", "01003", "01005"], "year": 2010,
                          "agencies": [3, 4, 2], "coverage": [100.0, 80.0, 100.0],
                          "population": [10000, 20000, 36000]})  # fmt: skip
    d = v.county_diagnostics(comp, icpsr).set_index("fips")
    assert d.loc["01001", "reasons"] == "" and d.loc["01001", "agency_gap"] == 0
    assert d.loc["01003", "agency_gap"] == 3
    assert d.loc["01003", "reasons"] == (
        "ICPSR coverage 80.0 < 100 (agencies imputed or scaled by ICPSR); "
        "ICPSR counts 3 more agencies than CIUS lists; "
        "no sheriff/county police row in CIUS Table 10"
    )
    assert "CIUS lists 2 more agencies than ICPSR counts" in d.loc["01005", "reasons"]
    assert "ICPSR population differs from Census by +20%" in d.loc["01005", "reasons"]
    assert "1 other CIUS agency rows" in d.loc["01005", "reasons"]
    assert "fewer agencies" not in " ".join(d["reasons"]), "one year: no composition change"
    # two years of one county: the year with fewer agency rows is flagged, the fullest is not
    two = (
        composition_panel()
        .iloc[[0, 0]]
        .assign(year=[2014, 2015], n_agencies=[3, 1], n_cities=[2, 0])
    )
    d2 = v.county_diagnostics(v.cius_composition(two)).set_index("year")
    assert list(d2["cius_agencies_below_fullest"]) == [0, 2]
    assert d2.loc[2014, "reasons"] == ""
    assert (
        d2.loc[2015, "reasons"] == "CIUS lists 2 fewer agencies than in this county's fullest year"
    )


def test_agency_facts_multi_county_city_and_unlisted_agencies():
    agencies = pd.DataFrame(
        {
            "table": ["city", "city", "county", "city"],
            "agency": ["Big City", "Small Town", "Alpha", "Nowhere"],
            "population": [25000.0, 800.0, np.nan, 500.0],
            "fips": ["01001", "01001", "01001", None],
            "ori": ["AL00001", "AL00002", None, None],
        }
    )
    crosswalk = pd.DataFrame(
        {
            "ori7": ["AL00001", "AL00002", "AL00003", "AL00004", "AL00005", None],
            "fips": ["01001", "01001", "01001", "01003", "01003", "01003"],
            "agency_name": [
                "BIG CITY PD",
                "SMALL PD",
                "ALPHA SHERIFF",
                "BETA SHERIFF",
                "BETA CITY PD",
                "NO ORI PD",
            ],  # fmt: skip
            "agency_type": [
                "local police",
                "local police",
                "sheriff",
                "sheriff",
                "local police",
                "local police",
            ],  # fmt: skip
            "population": [25000, 800, 4000, 3000, 9000, 500],
        }
    )
    pop = pd.DataFrame({"fips": ["01001", "01003"], "population_census": [20000.0, 12000.0]})
    f = v.agency_facts(agencies, crosswalk, pop).set_index("fips")
    assert f.loc["01001", "largest_city"] == "Big City"
    assert f.loc["01001", "largest_city_share"] == pytest.approx(1.25)
    # Alpha's sheriff counts as listed (Table 10 row); Beta has no CIUS row: both its agencies
    assert f.loc["01001", "unlisted_agencies"] == 0
    assert f.loc["01003", "unlisted_agencies"] == 2
    assert f.loc["01003", "unlisted_share"] == pytest.approx(1.0)
    assert f.loc["01003", "largest_unlisted"] == "BETA CITY PD"
    comp = v.cius_composition(composition_panel().iloc[:2].assign(population=[20000, 12000]))
    reasons = v.county_diagnostics(comp, facts=f.reset_index()).set_index("fips")["reasons"]
    assert "CIUS city Big City (population 25,000) is 1.2 times" in reasons["01001"]
    assert "not in CIUS (largest: BETA CITY PD)" in reasons["01003"]
    unmatched = v.unmatched_by_state(
        agencies.assign(state_fips="01", violent=[1, 2, 3, 4], property=[5, 6, 7, 8])
    )
    assert unmatched.to_dict(orient="records") == [
        {"state_fips": "01", "unmatched_agencies": 1, "unmatched_population": 500.0,
         "unmatched_violent": 4, "unmatched_property": 8, "largest_unmatched": "Nowhere"}
    ]  # fmt: skip


def test_largest_differences_and_flag_summary():
    left = frame({"01001": 100.0, "01003": 11.0, "01005": 1000.0, "01007": 50.0})
    right = frame({"01001": 100.0, "01003": 1.0, "01005": 800.0, "01007": 0.0})
    p = v.compare_values(left, right, groups=("index",))
    by_diff = v.largest_differences(p, n=2)
    assert list(by_diff["fips"]) == ["01005", "01003"]
    by_log = v.largest_differences(p, n=3, rank="abs_log_ratio")
    assert list(by_log["fips"]) == ["01003", "01005", "01001"]
    diag = pd.DataFrame({"fips": ["01001", "01003", "01005", "01007"],
                         "icpsr_coverage": [100.0, 50.0, 100.0, 100.0],
                         "agency_gap": [0, 0, 2, 0],
                         "cius_has_sheriff": [True, True, True, True],
                         "cius_other_rows": [0, 0, 0, 0]})  # fmt: skip
    fs = v.flag_summary(p, diag).set_index("flag")
    assert fs.loc["ICPSR coverage < 100", "compared"] == 1
    assert fs.loc["ICPSR coverage < 100", "median_ratio"] == pytest.approx(11.0)
    assert fs.loc["ICPSR counts more agencies than CIUS lists", "median_ratio"] == pytest.approx(
        1.25
    )
    assert fs.loc["none of these flags", "compared"] == 1
    assert fs.loc["none of these flags", "median_ratio"] == 1.0
    assert "multi-county city counted wholly here" not in fs.index, "no column, no row"
    with pytest.raises(ValueError, match="no group"):
        v.largest_differences(p, group="violent")


def test_agreement_figure_draws_the_compared_pairs_only():
    left = frame({"01001": 10.0, "01003": 20.0, "01005": 0.0, "01007": 40.0})
    right = frame({"01001": 11.0, "01003": 18.0, "01005": 3.0, "01007": 40.0})
    p = v.compare_values(left, right, groups=("index",))
    fig, data = v.agreement_figure(p, title="test")
    try:
        assert len(fig.axes) == 2
        assert sorted(data["fips"]) == ["01001", "01003", "01007"]
        assert "N = 3 counties" in fig.axes[0].get_title()
        assert "1 not compared" in fig.axes[0].get_title()
    finally:
        plt.close(fig)


def test_real_inputs_names_what_is_absent(tmp_path, monkeypatch):
    monkeypatch.setenv("ENFORCEMENT_CRIME_ROOT", str(tmp_path))
    monkeypatch.setenv("ENFORCEMENT_CRIME_SHARED", str(tmp_path / "no-shared"))
    monkeypatch.delenv("ENFORCEMENT_CRIME_RAW", raising=False)
    with pytest.raises(v.MissingRealData) as err:
        v.real_inputs()
    text = str(err.value)
    assert "33523-0004-Data.rda" in text and "CrimeDataByCounty" in text
    assert "data build --shared cius_county" in text


# ---------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def real(shared_data, tmp_path_factory):
    from enforcement_crime import synthetic
    from enforcement_crime.panels import commands
    from enforcement_crime.sources import nc_sbi, ucr_icpsr_county

    rda = shared_data / "icpsr_county_ucr_2010" / "33523-0004-Data.rda"
    sbi_dir = shared_data / "nc_sbi_county_rates"
    if not rda.is_file() or not sbi_dir.is_dir():
        pytest.skip("ICPSR 2010 or NC SBI copies absent")
    folder = tmp_path_factory.mktemp("processed")
    written = commands.build(["cius_county"], shared=True, folder=folder, out=lambda s: None)
    panel = synthetic.read_panel(written["cius_county"])
    raw = ucr_icpsr_county.load(rda)
    return panel, raw, nc_sbi.load_county_rates(sbi_dir)


@pytest.mark.shared_data
def test_real_cius_vs_icpsr_2010(real):
    panel, raw, _ = real
    icpsr, acc = v.icpsr_counties(raw)
    a = acc.set_index("step")["rows"]
    assert a["ICPSR rows in"] == len(raw) == 3177
    assert a["ICPSR rows in"] - a["set aside"] - a["merged"] == len(icpsr)
    cius = panel[panel["year"] == 2010]
    pairs = v.compare_values(cius, icpsr)
    n_units = len(set(cius["fips"]) | set(icpsr["fips"]))
    assert (pairs.groupby("group").size() == n_units).all(), "every county of either source kept"
    s = v.agreement_summary(pairs).set_index("group")
    print("\n" + s.to_string())
    # measured when written: 2,746 counties compared (index), corr of logs 0.977, median ratio
    # 0.981, IQR 0.872-1.000, 70.5% within +-10%; bounds a broken matcher or pairing would cross
    assert s.loc["index", "compared"] > 2600
    assert (s["corr_log"] > 0.95).all()
    assert 0.95 <= s.loc["index", "median_ratio"] <= 1.0
    assert 0.60 <= s.loc["index", "share_within_10pct"] <= 0.80
    # CIUS lists published agencies only: it undercounts ICPSR in total (ratio of sums 0.93)
    assert 0.88 <= s.loc["index", "ratio_of_sums"] <= 0.98
    # the same median from an independent pairing (plain merge of the two files)
    m = cius.merge(raw[["fips", "violent", "property"]], on="fips", suffixes=("", "_i"))
    li, ri = m["index"].astype(float), (m["violent_i"] + m["property_i"]).astype(float)
    ok = (li > 0) & (ri > 0)
    assert np.median(li[ok] / ri[ok]) == pytest.approx(s.loc["index", "median_ratio"], rel=1e-3)
    # counties with none of the diagnostic flags agree almost exactly (measured: median 1.000,
    # 92% within +-10%): the flags account for the disagreement
    comp = v.cius_composition(cius)
    fs = v.flag_summary(pairs, v.county_diagnostics(comp, icpsr)).set_index("flag")
    none = fs.loc["none of these flags"]
    assert none["compared"] > 500
    assert none["median_ratio"] == pytest.approx(1.0, abs=0.01)
    assert none["share_within_10pct"] > 0.85
    assert fs.loc["ICPSR coverage < 100", "median_ratio"] < none["median_ratio"] - 0.05


@pytest.mark.shared_data
def test_real_cius_vs_nc_sbi_2014_2016(real):
    panel, _, sbi = real
    nc = panel[(panel["state_fips"] == "37") & panel["year"].between(2014, 2016)]
    sbi = sbi[sbi["year"].between(2014, 2016)]
    groups = ("violent_rate", "property_rate", "index_rate")
    pairs = v.compare_values(nc, sbi, keys=("fips", "year"), groups=groups, names=("cius", "sbi"))
    status = v.status_counts(pairs).set_index("status")
    keys = {(f, y) for f, y in nc[["fips", "year"]].itertuples(index=False)}
    n_units = len(keys | {(f, y) for f, y in sbi[["fips", "year"]].itertuples(index=False)})
    assert (status.loc["total"] == n_units).all()
    # SBI rows with every rate blank are "missing in sbi": 13 county-years in 2014-2016, less any
    # that CIUS lacks too
    assert status.loc["missing in sbi", "index_rate"] <= sum(
        len(sbi.attrs["unreported"][y]) for y in (2014, 2015, 2016)
    )
    s = v.agreement_summary(pairs, names=("cius", "sbi")).set_index("group")
    by_year = v.agreement_summary(pairs, by=("year", "group"), names=("cius", "sbi"))
    print("\n" + s.to_string() + "\n" + by_year.to_string())
    # measured when written: 263 county-years compared (index), corr of logs 0.52, median ratio
    # 0.93 (2014: 0.97; 2015: 0.84; 2016: 0.79), 53% within +-10%
    assert s.loc["index_rate", "compared"] > 240
    assert 0.85 <= s.loc["index_rate", "median_ratio"] <= 1.0
    assert 0.3 <= s.loc["index_rate", "corr_log"] <= 0.8
    y14 = by_year[(by_year["year"] == 2014) & (by_year["group"] == "index_rate")].iloc[0]
    assert 0.94 <= y14["median_ratio"] <= 1.0


# ---------------------------------------------------------------- the notebook

NOTEBOOK = (
    Path(__file__).resolve().parents[1]
    / "notebooks"
    / "validation"
    / ("01-compare-crime-sources.py")
)


def test_notebook_is_left_out_of_the_default_runs():
    from enforcement_crime import notebooks

    assert NOTEBOOK not in notebooks.discover()
    assert NOTEBOOK in notebooks.discover(pattern="validation")
    assert NOTEBOOK in notebooks.discover(real_data=True)


@pytest.mark.notebooks
def test_notebook_stops_naming_what_to_build_without_real_data(tmp_path, monkeypatch):
    from enforcement_crime import notebooks

    (tmp_path / "root").mkdir()  # the kernel's working directory
    monkeypatch.setenv("ENFORCEMENT_CRIME_ROOT", str(tmp_path / "root"))
    monkeypatch.setenv("ENFORCEMENT_CRIME_SHARED", str(tmp_path / "no-shared"))
    monkeypatch.setenv("ENFORCEMENT_CRIME_REPORTS", str(tmp_path / "reports"))
    monkeypatch.delenv("ENFORCEMENT_CRIME_RAW", raising=False)
    with pytest.raises(Exception) as err:
        notebooks.execute_notebook(NOTEBOOK, output=tmp_path / "nb.ipynb", html=False)
    text = str(err.value)
    assert "MissingRealData" in text and "data build --shared cius_county" in text
    assert not (tmp_path / "reports" / "figures").exists(), "nothing written"


@pytest.mark.slow
@pytest.mark.notebooks
@pytest.mark.shared_data
def test_notebook_on_the_real_copies(shared_data, tmp_path, monkeypatch):
    """The notebook end to end on the shared copies (about a minute: slow)."""
    from enforcement_crime import notebooks, reports
    from enforcement_crime.panels import commands

    processed = tmp_path / "root" / "data" / "processed"
    commands.build(
        ["cius_county", "nc_agency", "cius_sheriff"],
        shared=True,
        folder=processed,
        out=lambda s: None,
    )
    monkeypatch.setenv("ENFORCEMENT_CRIME_ROOT", str(tmp_path / "root"))
    monkeypatch.setenv("ENFORCEMENT_CRIME_SHARED", str(shared_data))
    monkeypatch.setenv("ENFORCEMENT_CRIME_REPORTS", str(tmp_path / "reports"))
    monkeypatch.delenv("ENFORCEMENT_CRIME_RAW", raising=False)
    # as `make real` calls it (enforcement_crime.real passes the panel as data_source)
    run = notebooks.execute_notebook(
        NOTEBOOK, tmp_path / "nb.ipynb", {"data_source": "cius_county"}, html=False
    )
    values = reports.notebook_values(run.output)
    tables = tmp_path / "reports" / "tables" / "validation"
    summary = pd.read_csv(tables / "tab_validation_icpsr_agreement.csv").set_index("group")
    for g in ("violent", "property", "index"):
        assert values[f"icpsr_{g}_median_ratio"] == pytest.approx(summary.loc[g, "median_ratio"])
    assert 0.95 <= values["icpsr_index_median_ratio"] <= 1.0
    assert 0.85 <= values["sbi_index_rate_median_ratio"] <= 1.0
    # 2012 beside 2010: the side-by-side table holds each year's own summary
    side = pd.read_csv(tables / "tab_validation_icpsr_years_side_by_side.csv")
    side = side.set_index(["group", "statistic"])
    s2012 = pd.read_csv(tables / "tab_validation_icpsr_agreement_2012.csv").set_index("group")
    for g in ("violent", "property", "index"):
        assert side.loc[(g, "median_ratio"), "2010"] == pytest.approx(
            summary.loc[g, "median_ratio"]
        )
        assert side.loc[(g, "median_ratio"), "2012"] == pytest.approx(s2012.loc[g, "median_ratio"])
        assert values[f"icpsr_2012_{g}_median_ratio"] == pytest.approx(s2012.loc[g, "median_ratio"])
    agency = pd.read_csv(tables / "tab_validation_nc_agency_vs_cius_sheriff.csv")
    assert agency.set_index("offense").loc["all", "share_identical"] > 0.99
    for name in (
        "fig_validation_cius_vs_icpsr",
        "fig_validation_cius_vs_icpsr_2012",
        "fig_validation_cius_vs_sbi",
    ):
        pdf = tmp_path / "reports" / "figures" / "validation" / f"{name}.pdf"
        assert pdf.is_file() and b"REAL DATA: FBI CIUS APPROXIMATION" in pdf.read_bytes()
