"""The built-in synthetic panel: determinism, truth fields, labels and realistic magnitudes."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from enforcement_crime import synthetic
from enforcement_crime.facts import nc_287g_agreements
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
