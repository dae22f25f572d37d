"""Neighbour comparisons: exposure coding on a hand-checked example, the SC pair row, the NC spillover table."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from enforcement_crime import designs
from enforcement_crime.designs import evidence, neighbours

pytestmark = [pytest.mark.xdist_group("neighbours")]


def test_neighbour_exposure_hand_checked():
    # a line of counties A - B - C - D; A active from 2006 (partly in 2005), C from 2008 (partly in 2007);
    # D has two units (agencies), neither treated
    years = [2005, 2006, 2007, 2008]
    rows = []
    for fips, treated, share in (("A", [0, 1, 1, 1], [0.5, 1, 1, 1]), ("B", [0] * 4, [0] * 4),
                                 ("C", [0, 0, 0, 1], [0, 0, 0.4, 1]), ("D", [0] * 4, [0] * 4),
                                 ("D", [0] * 4, [0] * 4)):  # fmt: skip
        rows += [
            {"fips": fips, "year": y, "t": t, "s": s}
            for y, t, s in zip(years, treated, share, strict=True)
        ]
    pairs = pd.DataFrame({"unit_a": ["A", "B", "C"], "unit_b": ["B", "C", "D"]})
    out = neighbours.neighbour_exposure(pd.DataFrame(rows), pairs, treated="t", share="s")
    got = out.set_index(["fips", "year"])
    assert len(out) == 16  # one row per county-year, D's two units collapsed
    # B: 2005 only a partly active neighbour (A) -> not exposed, partial; 2006-07 A; 2008 A and C
    assert got.loc["B", "exposed"].tolist() == [0, 1, 1, 1]
    assert got.loc["B", "exposure_partial"].tolist() == [True, False, False, False]
    assert got.loc["B", "neighbours_covered"].tolist() == [0, 1, 1, 2]
    assert set(got.loc["B", "neighbours"]) == {2}
    # D: C partly active in 2007, fully in 2008
    assert got.loc["D", "exposed"].tolist() == [0, 0, 0, 1]
    assert got.loc["D", "exposure_partial"].tolist() == [False, False, True, False]
    # A's neighbour B is never active; A itself is covered from 2006, partly in 2005
    assert got.loc["A", "exposed"].tolist() == [0, 0, 0, 0]
    assert got.loc["A", "covered"].tolist() == [False, True, True, True]
    assert got.loc["A", "partly_covered"].tolist() == [True, False, False, False]
    assert got["ever_covered"].groupby(level=0).first().to_dict() == {
        "A": True,
        "B": False,
        "C": True,
        "D": False,
    }


def test_adjacent_pairs_maps_post_2010_codes():
    pairs, unknown = neighbours.adjacent_pairs(["46102", "46071", "46007", "99999"])
    # Oglala Lakota (46102, 2010 code 46113) touches Jackson (46071) and Bennett (46007) in the 2010 file
    got = {frozenset(p) for p in pairs.itertuples(index=False)}
    assert {frozenset({"46102", "46071"}), frozenset({"46102", "46007"})} <= got
    assert unknown == ["99999"]


def test_sc_design_has_the_pair_row_on_the_builtin_panel():
    """SYNTHETIC panel (real 2010 counties): the pair row is a within-state variant with its pair count."""
    s = designs.get("sc_county").open("synthetic")
    spec, n, unknown = neighbours.pair_spec(s)
    v = [x for x in evidence.variants(s) if x.label.startswith(neighbours.PAIR_LABEL)]
    assert len(v) == 1 and v[0].choice == evidence.WITHIN_STATE
    assert f"({n:,} pairs)" in v[0].label and n > 1000
    res = v[0].spec.fit(s, "index_rate")
    assert res.estimator == "contiguous_pairs" and res.extra["n_pairs"] <= n
    assert res.extra["n_pairs_same_cohort"] + n == res.extra["n_pairs_adjacent"] + (
        n - res.extra["n_pairs"]
    )
    # every county of the built-in panel touches another in the 2010 table but Hawaii's islands
    assert unknown and all(u.startswith("15") for u in unknown)


def test_nc_spillover_table_on_the_builtin_panel():
    """SYNTHETIC panel: one CR1 and one bootstrap row per outcome, on never-covered counties only."""
    d = designs.get("287g_nc", n_boot=99)
    s = d.open("synthetic")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tab = d.side_tables(s)["spillovers"][1]
    assert list(tab.columns) == neighbours.SPILLOVER_COLUMNS
    assert len(tab) == 2 * len(d.outcomes) and tab["estimate"].notna().all()
    treated = set(s.data.loc[s.data[d.treatment.ever].astype(bool), "fips"])
    assert (tab["n_units"] == s.data["fips"].nunique() - len(treated)).all()
    assert (tab["units_exposed"] > 0).all() and (tab["units_exposed"] < tab["n_units"]).all()
    boot = tab[tab["specification"].str.contains("bootstrap")]
    assert boot["p_value"].between(0, 1).all()
