"""The built-in synthetic panel: determinism, truth fields, labels and realistic magnitudes."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from enforcement_crime import synthetic
from enforcement_crime.facts import (
    POPULATION_KNOTS,
    county_population,
    county_population_knots,
    nc_287g_agreements,
)
from enforcement_crime.simulate import Effect


@pytest.fixture(scope="module")
def panel():
    return synthetic.make_panel()


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_seed_same_bytes_and_other_seed_other_bytes(tmp_path):
    a = synthetic.write_panel(synthetic.make_panel(seed=7), tmp_path / "a.parquet")
    b = synthetic.write_panel(synthetic.make_panel(seed=7), tmp_path / "b.parquet")
    c = synthetic.write_panel(synthetic.make_panel(seed=8), tmp_path / "c.parquet")
    assert _sha(a) == _sha(b)
    assert _sha(a) != _sha(c)


def test_labelled_synthetic_in_data_and_file_metadata(panel, tmp_path):
    assert panel["is_synthetic"].all()
    assert panel["source"].str.startswith("synthetic").all()
    back = synthetic.read_panel(synthetic.write_panel(panel, tmp_path / "p.parquet"))
    meta = back.attrs["enforcement_crime"]
    assert meta["synthetic"] is True and meta["label"] == "SYNTHETIC DATA"
    assert meta["true_effects"] == synthetic.PRESETS["null"].to_dict()
    pd.testing.assert_frame_equal(back, panel, check_dtype=False)


def test_size_and_real_county_codes(panel):
    assert panel["fips"].nunique() >= 3100
    assert panel.groupby("fips").size().eq(17).all()
    names = panel.drop_duplicates("fips").set_index("fips")["county_name"]
    # real FIPS codes with their real names (from the addfips package)
    assert names["37119"] == "Mecklenburg County"
    assert names["48201"] == "Harris County"
    assert names["06037"] == "Los Angeles County"


def test_magnitudes_are_realistic(panel):
    rep = panel.dropna(subset=["violent", "property"])
    by_year = rep.groupby("year")[["violent", "property", "population"]].sum()
    violent = by_year["violent"] / by_year["population"] * 1e5
    prop = by_year["property"] / by_year["population"] * 1e5
    assert (
        360 < violent[2005] < 440
    )  # brief: ~400 around 2005 (Poisson and partial reporting noise)
    assert 2700 < prop[2005] < 3300  # brief: ~3,000
    assert violent[2016] < violent[2000] and prop[2016] < prop[2000]  # falling over the period
    county = rep[rep["year"] == 2005]
    assert county["violent_rate"].quantile(0.9) > 2 * county["violent_rate"].quantile(
        0.1
    )  # wide spread
    small = county[county["population"] < 5000]
    assert (small["murder"] == 0).mean() > 0.5  # zeros in small counties
    assert panel["population"].min() > 0


def test_unreported_county_years_are_missing_not_zero(panel):
    unreported = panel["months_reported"] == 0
    assert unreported.sum() > 0
    assert panel.loc[unreported, "index"].isna().all()
    assert (panel.loc[unreported, "coverage"] == 0).all()


def test_secure_communities_rollout(panel):
    sc = panel.groupby("fips")["sc_activation_date"].first()
    assert sc.notna().all()
    assert sc.idxmin() == "48201" and sc.min() == pd.Timestamp("2008-10-27")  # Harris County first
    assert 10 <= (sc < "2009-01-01").sum() <= 20  # ~14 in late 2008
    assert sc.max() == pd.Timestamp("2013-01-22")  # all by January 2013
    assert sc.dt.year.between(2010, 2012).mean() > 0.6  # most in 2010-2012
    county = panel.drop_duplicates("fips").set_index("fips")
    early = sc <= sc.quantile(0.25)
    assert county.loc[early, "hispanic_share"].mean() > county.loc[~early, "hispanic_share"].mean()
    assert county.loc[early, "population"].median() > county.loc[~early, "population"].median()
    assert county.loc[early, "border_state"].mean() > county.loc[~early, "border_state"].mean()


def test_287g_includes_the_nine_nc_jurisdictions_with_real_dates(panel):
    county = panel.drop_duplicates("fips").set_index("fips")
    nc = nc_287g_agreements().set_index("fips")
    for fips, row in nc.iterrows():
        assert county.loc[fips, "g287_start"] == row["signed"]
        assert county.loc[fips, "g287_model"] == row["model"]
        if pd.notna(row["end_date"]):
            assert county.loc[fips, "g287_end"] == row["end_date"]
    adopters = county[county["g287_start"].notna()]
    others = adopters[~adopters.index.isin(nc.index)]
    assert 20 <= len(others) <= 60
    assert others["g287_start"].dt.year.between(2006, 2009).all()
    ended = others["g287_end"].dropna()
    assert len(ended) > 0 and ended.dt.year.between(2010, 2012).all()


def test_null_preset_has_zero_truth(panel):
    assert (panel["sc_true_effect"] == 0).all() and (panel["g287_true_effect"] == 0).all()


def test_true_effect_follows_exposure_and_parameters():
    eff = synthetic.Effects(sc=Effect(att=-0.1, ref_cohort=2010))
    df = synthetic.make_panel(seed=3, effects=eff)
    county = df[df["fips"] == "48201"].set_index("year")  # Harris: activated 2008-10-27
    share_2008 = (
        pd.Timestamp("2009-01-01") - pd.Timestamp("2008-10-27")
    ).days / 366  # 2008 is a leap year
    assert county.loc[2007, "sc_true_effect"] == 0.0
    assert county.loc[2008, "sc_true_effect"] == pytest.approx(
        np.log1p(share_2008 * np.expm1(-0.1)), rel=1e-12
    )
    assert county.loc[2010, "sc_true_effect"] == pytest.approx(-0.1, abs=1e-12)
    assert df.attrs["enforcement_crime"]["true_effects"]["sc"]["att"] == -0.1


def test_true_effect_moves_the_counts():
    """A large true effect must show up in the data: treated-year log rates fall by about the effect."""
    null = synthetic.make_panel(seed=11, preset="null")
    eff = synthetic.make_panel(
        seed=11, effects=synthetic.Effects(sc=Effect(att=-0.5, ref_cohort=2010))
    )
    post = (null["year"] >= 2014).to_numpy()  # every county fully exposed from 2014
    ratio = eff.loc[post, "index"].sum() / null.loc[post, "index"].sum()
    # same seed, same draws except the Poisson means: the aggregate ratio is exp(-0.5) up to Poisson noise
    assert ratio == pytest.approx(np.exp(-0.5), rel=0.01)


def test_dynamic_preset_is_heterogeneous_and_dynamic():
    df = synthetic.make_panel(preset="dynamic")
    full = df[(df["year"] - df["sc_activation_date"].dt.year) >= 1]
    by_time = full.groupby(full["year"] - full["sc_activation_date"].dt.year)[
        "sc_true_effect"
    ].mean()
    assert by_time.is_monotonic_decreasing  # effects grow (more negative) with exposure
    assert df["sc_true_effect"].nunique() > 10


def test_unknown_preset_is_an_error():
    with pytest.raises(ValueError, match="preset must be one of"):
        synthetic.make_panel(preset="huge")


# ---- realistic null ----------------------------------------------------------------------


def test_populations_are_the_shipped_census_table(panel):
    table = county_population(range(2000, 2017))
    got = panel[["fips", "year", "population"]].astype({"fips": "string"})
    merged = got.merge(table, on=["fips", "year"], how="outer", indicator=True, validate="1:1")
    assert (merged["_merge"] == "both").all(), merged["_merge"].value_counts()
    assert (merged["population_x"] == merged["population_y"]).all()
    knots = county_population_knots().set_index("fips")
    by = panel.set_index(["fips", "year"])["population"]
    for y in POPULATION_KNOTS:  # the knot years are the Census values themselves
        assert (by.xs(y, level="year").loc[knots.index] == knots[f"pop{y}"]).all()
    # independent facts (2010 census counts, rounded): Los Angeles ~9.82 million, Loving TX ~82
    assert 9.7e6 < by[("06037", 2010)] < 9.9e6
    assert 50 < by[("48301", 2010)] < 120
    # national total close to the U.S. resident population (~309.3 million in July 2010)
    assert 308e6 < panel.loc[panel["year"] == 2010, "population"].sum() < 311e6


def test_nc_nine_have_real_dates_and_real_populations(panel):
    county = panel[panel["year"] == 2010].set_index("fips")
    knots = county_population_knots().set_index("fips")
    nc = nc_287g_agreements().set_index("fips")
    for fips, row in nc.iterrows():
        assert county.loc[fips, "g287_start"] == row["signed"]
        assert county.loc[fips, "population"] == knots.loc[fips, "pop2010"]
    # 2010 census: Mecklenburg 919,628, Wake 900,993, Cumberland 319,431, Henderson 106,740
    assert 0.9e6 < county.loc["37119", "population"] < 0.94e6
    assert 0.88e6 < county.loc["37183", "population"] < 0.92e6
    assert 0.3e6 < county.loc["37051", "population"] < 0.34e6
    assert 0.1e6 < county.loc["37089", "population"] < 0.115e6
    # North Carolina's adopters are exactly the nine
    nc_ever = county.index.str.startswith("37") & county["g287_start"].notna()
    assert set(county.index[nc_ever]) == set(nc.index)
    # the two largest NC counties are the two largest treated ones
    nc_all = county[county.index.str.startswith("37")]
    assert set(nc_all["population"].nlargest(2).index) == {"37119", "37183"}


def test_coverage_pattern_like_the_real_2010_file(panel):
    cov = panel["coverage"]
    # ICPSR 2010: 26.6% of counties below 100, 2.0% unreported (coverage 0)
    assert 0.20 < (cov < 100).mean() < 0.33
    assert 0.01 < (cov == 0).mean() < 0.035
    cls = synthetic.coverage_class(panel["population"].to_numpy())
    low = pd.Series((cov < 90).to_numpy()).groupby(cls).mean()
    # real shares below 90 by class: 17.2, 8.2, 5.9, 3.0, 2.2, 1.5 percent; gaps fall with size
    assert len(low) == 6 and low.is_monotonic_decreasing
    assert 0.10 < low[0] < 0.25 and low[5] < 0.04
    mean_cov = pd.Series(cov.to_numpy()).groupby(cls).mean()
    assert mean_cov[0] < mean_cov[2] < mean_cov[4]
    # months: 12 when complete, 0 when unreported, 1-11 otherwise
    m = panel["months_reported"]
    assert (m[cov == 100] == 12).all() and (m[cov == 0] == 0).all()
    assert m[(cov > 0) & (cov < 100)].between(1, 11).all()
    # reporting persists within a county: coverage below 100 in year t predicts it in t + 1
    wide = (panel.pivot(index="fips", columns="year", values="coverage") < 100).to_numpy()
    p_after_gap = wide[:, 1:][wide[:, :-1]].mean()
    p_after_full = wide[:, 1:][~wide[:, :-1]].mean()
    assert p_after_gap > p_after_full + 0.2


def test_partly_reported_counts_are_scaled_by_coverage(panel):
    """A county-year at coverage c has about c/100 of the crimes of the county's complete years."""
    df = panel.dropna(subset=["index"]).copy()
    df["rate"] = df["index"].astype(float) / df["population"]
    full = df[df["coverage"] == 100].groupby("fips")["rate"].mean()
    part = df[(df["coverage"] > 5) & (df["coverage"] < 80) & df["fips"].isin(full.index)]
    part = part[part["population"] > 20_000]  # enough crimes for the ratio to be stable
    assert len(part) > 50
    ratio = part["rate"] / part["fips"].map(full).to_numpy() / (part["coverage"] / 100)
    assert 0.85 < ratio.median() < 1.15
    # the rate column is crimes over the full population: partly covered years look lower
    assert part["index_rate"].median() < df.loc[df["coverage"] == 100, "index_rate"].median()


def test_sc_timing_correlated_with_size_and_state_like_the_real_rollout():
    from scipy.stats import spearmanr

    rhos, between = [], []
    for seed in (1, 2, 3):
        c = synthetic.make_panel(seed=seed)
        c = c[c["year"] == 2005].set_index("fips")
        month = (c["sc_activation_date"].dt.year - 2008) * 12 + c["sc_activation_date"].dt.month
        rhos.append(spearmanr(np.log(c["population"]), month)[0])
        dev = month - month.groupby(c["state_fips"]).transform("mean")
        between.append(1 - (dev**2).sum() / ((month - month.mean()) ** 2).sum())
    # real rollout: rank correlation -0.26, 69% of the variance between states
    assert -0.40 < np.mean(rhos) < -0.15
    assert max(rhos) < -0.05  # larger counties earlier in every seed
    assert 0.55 < np.mean(between) < 0.85


def test_287g_adopters_larger_and_south_west(panel):
    county = panel[panel["year"] == 2005].set_index("fips")
    nc = nc_287g_agreements()["fips"]
    others = county[county["g287_start"].notna() & ~county.index.isin(nc)]
    assert others["population"].min() > 50_000
    pool = county[(county["population"] > 50_000) & ~county.index.isin(nc)]
    assert others["population"].median() > 1.25 * pool["population"].median()
    assert others["state_fips"].isin(synthetic.SOUTH_WEST_STATES).mean() > 0.6


def _size_gradient(df: pd.DataFrame) -> dict:
    """OLS of log rate on log population (2010 cross-section) as in COUNTY_EFFECT_CALIBRATION."""
    lp = np.log(df["pop"].astype(float))
    out, resid = {}, {}
    for crime in ("violent", "property"):
        y = np.log(df[crime].astype(float) / df["pop"].astype(float))
        b = np.polyfit(lp, y, 1)
        resid[crime] = y - np.polyval(b, lp)
        out[f"{crime}_slope"], out[f"{crime}_residual_sd"] = b[0], resid[crime].std()
    out["residual_correlation"] = np.corrcoef(resid["violent"], resid["property"])[0, 1]
    out["counties"] = len(df)
    return out


def _calibration_sample(df: pd.DataFrame) -> pd.DataFrame:
    keep = (df["coverage"] >= 99) & (df["pop"] >= 5000) & (df["violent"] > 0) & (df["property"] > 0)
    return df[keep]


def test_county_crime_levels_like_the_real_2010_cross_section(panel):
    df = panel[panel["year"] == 2010].rename(columns={"population": "pop"})
    got = _size_gradient(_calibration_sample(df))
    want = synthetic.COUNTY_EFFECT_CALIBRATION
    for crime in ("violent", "property"):
        assert got[f"{crime}_slope"] == pytest.approx(want[f"{crime}_slope"], abs=0.05)
        assert got[f"{crime}_residual_sd"] == pytest.approx(want[f"{crime}_residual_sd"], abs=0.1)
    assert got["residual_correlation"] == pytest.approx(want["residual_correlation"], abs=0.1)


def test_make_panel_is_fast():
    import time

    t0 = time.perf_counter()
    synthetic.make_panel(seed=5)
    assert time.perf_counter() - t0 < 6.0  # about 1 s on one core


# ---- the calibration numbers against the real files (skip without ../shared/data) -------


def _load_script(name):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "benchmarks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_population_table_is_what_the_census_files_give(shared_data):
    raw = shared_data / "census_county_pop_tell"
    built = _load_script("make_county_population_table").build(raw)
    shipped = county_population_knots()
    pd.testing.assert_frame_equal(
        built.astype({"fips": "string", "note": "string"}), shipped, check_dtype=False
    )


def test_coverage_calibration_counts_are_the_icpsr_2010_file(shared_data):
    from enforcement_crime.sources import census_population, ucr_icpsr_county

    icpsr = ucr_icpsr_county.load(shared_data / "icpsr_county_ucr_2010" / "33523-0004-Data.rda")
    icpsr = icpsr[icpsr["county_fips"] != "999"]
    pop = census_population.load(shared_data / "census_county_pop_tell" / "co-est2019-alldata.csv")
    pop = pop.loc[pop["year"] == 2010, ["fips", "population"]].rename(columns={"population": "pop"})
    m = icpsr.merge(pop, on="fips", how="inner")
    assert len(m) == 3134
    # right-closed bands 0, (0, 50], (50, 75], (75, 90], (90, 99], (99, 99.995], above (= 100)
    edges = [0, 50, 75, 90, 99, 99.995]
    assert len(edges) + 1 == len(synthetic.COVERAGE_BANDS)
    band = np.searchsorted(np.asarray(edges), m["coverage"].to_numpy(), side="left")
    got = pd.crosstab(synthetic.coverage_class(m["pop"].to_numpy()), band)
    want = np.asarray([row for _, row in synthetic.COVERAGE_CALIBRATION])
    assert (got.reindex(columns=range(len(edges) + 1), fill_value=0).to_numpy() == want).all()


def test_sc_calibration_numbers_are_the_real_rollout(shared_data):
    from scipy.stats import spearmanr

    from enforcement_crime.sources import secure_communities

    sc = secure_communities.load(
        shared_data / "sc_activation_hhadah" / "sc_activation_dates_county.csv"
    )
    pop = county_population([2005])
    m = sc.merge(pop, on="fips").dropna(subset=["activation_date"])
    assert len(m) == 3102
    month = (m["activation_date"].dt.year - 2008) * 12 + m["activation_date"].dt.month
    cal = synthetic.SC_CALIBRATION
    rho = spearmanr(np.log(m["population"]), month)[0]
    assert rho == pytest.approx(cal["spearman_log_pop2005_vs_activation_month"], abs=5e-4)
    state = m["fips"].str[:2]
    r2 = (
        1
        - ((month - month.groupby(state).transform("mean")) ** 2).sum()
        / ((month - month.mean()) ** 2).sum()
    )
    assert r2 == pytest.approx(cal["share_of_activation_month_variance_between_states"], abs=5e-4)
    cum = m["activation_date"].dt.year.value_counts(normalize=True).sort_index().cumsum()
    assert np.allclose(cum.loc[[2009, 2010, 2011, 2012]], synthetic.SC_CUMULATIVE_SHARE, atol=5e-4)


def test_county_effect_calibration_numbers_are_the_icpsr_2010_file(shared_data):
    from enforcement_crime.sources import census_population, ucr_icpsr_county

    icpsr = ucr_icpsr_county.load(shared_data / "icpsr_county_ucr_2010" / "33523-0004-Data.rda")
    pop = census_population.load(shared_data / "census_county_pop_tell" / "co-est2019-alldata.csv")
    pop = pop.loc[pop["year"] == 2010, ["fips", "population"]].rename(columns={"population": "pop"})
    m = icpsr[icpsr["county_fips"] != "999"].merge(pop, on="fips", how="inner")
    got = _size_gradient(_calibration_sample(m.dropna(subset=["violent", "property"])))
    for key, value in synthetic.COUNTY_EFFECT_CALIBRATION.items():
        assert got[key] == pytest.approx(value, abs=5e-4), key


def test_real_city_rates_fell_by_similar_percentages_not_similar_levels(shared_data):
    """The claim of the module docstring: CIUS cities 2006-2014 look multiplicative."""
    folder = shared_data / "fbi_cius_tables" / "table08_city"
    ch = _load_script("synthetic_null_check").city_changes_by_size(
        folder / "2006.xls", folder / "2014.xls"
    )
    for crime, g in ch.groupby("crime"):
        logs, levels = g["aggregate_log_change"], g["median_change_per_100k"]
        assert logs.between(-0.35, -0.15).all(), crime  # every class fell by 15-35 percent
        assert logs.max() - logs.min() < 0.12, crime
        # per 100,000 the fall grows with size: >= 4 times (violent) / 2.5 times (property)
        assert levels.iloc[-2:].mean() / levels.iloc[0] > (4 if crime == "violent" else 2.5)


def test_county_population_interpolates_between_census_knots_and_refuses_other_years():
    knots = county_population_knots().set_index("fips")
    pop = county_population([2000, 2003, 2005]).set_index(["fips", "year"])["population"]
    a, b = knots.loc["37119", "pop2000"], knots.loc["37119", "pop2005"]
    assert pop[("37119", 2003)] == round(a * (b / a) ** 0.6)  # constant growth within 2000-2005
    with pytest.raises(ValueError, match="within 2000-2016"):
        county_population([1999, 2000])
    with pytest.raises(ValueError, match="within 2000-2016"):
        county_population([2017])


def test_every_offense_has_a_rate_per_100000(panel):
    from enforcement_crime.schema import OFFENSES

    for off in OFFENSES:
        count = panel[off].astype("Float64").astype("float64")
        want = count.to_numpy() / panel["population"].to_numpy(float) * 100_000
        got = panel[f"{off}_rate"].to_numpy(float)
        np.testing.assert_allclose(got, want, rtol=1e-12, equal_nan=True)  # same formula
        assert (np.isnan(got) == panel[off].isna().to_numpy()).all()  # unreported stays missing
