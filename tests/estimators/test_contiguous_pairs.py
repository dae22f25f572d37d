"""Contiguous county-pair DiD: pyfixest on the stacked data, planted effects and a null, input errors."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from enforcement_crime.estimators._inputs import EstimatorInputError
from enforcement_crime.estimators.contiguous_pairs import PAIR, SEGMENT, contiguous_pairs

pytestmark = [pytest.mark.xdist_group("contiguous_pairs")]


def grid_panel(
    seed: int, effect: float = 0.0, n: int = 12, years: int = 10
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """SYNTHETIC: an n x n grid of counties in 2 x 2 states, rook adjacency, staggered adoption.

    Half the states adopt as a block, in the others each county draws its own
    year (0 = never); y = unit effect + year effect + region-year shock (per
    3 x 3 region: absorbed only by comparisons inside a region) + effect x D + noise.
    """
    rng = np.random.default_rng(seed)
    r, c = np.divmod(np.arange(n * n), n)
    unit = np.char.add(np.char.add(r.astype(str), "-"), c.astype(str))
    state = (r // 2) * (n // 2) + c // 2
    region = (r // 3) * (n // 3) + c // 3
    years_pool = np.array([0, 4, 6, 8])
    block = rng.random(state.max() + 1) < 0.5
    state_cohort = rng.choice(years_pool, state.max() + 1)
    cohort = np.where(block[state], state_cohort[state], rng.choice(years_pool, n * n))
    t = np.arange(1, years + 1)
    shock = rng.normal(0, 0.3, (region.max() + 1, years))
    U, T = np.meshgrid(np.arange(n * n), t, indexing="ij")
    U, T = U.ravel(), T.ravel()
    D = (cohort[U] > 0) & (T >= cohort[U])
    y = (rng.normal(0, 1, n * n)[U] + 0.1 * T + shock[region[U], T - 1] + effect * D
         + rng.normal(0, 0.5, len(U)))  # fmt: skip
    df = pd.DataFrame({"unit": unit[U], "time": T, "cohort": cohort[U], "state": state[U].astype(str),
                       "y": y, "w": rng.uniform(1, 4, n * n)[U]})  # fmt: skip
    right = [(i, i + 1) for i in range(n * n) if c[i] < n - 1]
    down = [(i, i + n) for i in range(n * n) if r[i] < n - 1]
    pairs = pd.DataFrame(
        [(unit[a], unit[b]) for a, b in right + down], columns=["unit_a", "unit_b"]
    )
    return df, pairs


def _stacked(df: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    """The stacked data by brute force (one block of rows per kept pair), for pyfixest."""
    coh = df.groupby("unit")["cohort"].first()
    st_of = df.groupby("unit")["state"].first()
    kept = pairs[pairs["unit_a"].map(coh) != pairs["unit_b"].map(coh)].reset_index(drop=True)
    out = []
    for k, (a, b) in enumerate(kept.itertuples(index=False)):
        da, db = df[df["unit"] == a], df[df["unit"] == b]
        common = set(da["time"]) & set(db["time"])
        seg = "|".join(sorted([st_of[a], st_of[b]]))
        for part in (da, db):
            out.append(part[part["time"].isin(common)].assign(pair=k, seg=seg))
    st = pd.concat(out, ignore_index=True)
    st["D"] = ((st["cohort"] > 0) & (st["time"] >= st["cohort"])).astype(float)
    st["pt"] = st["pair"].astype(str) + "_" + st["time"].astype(str)
    return st


def test_agrees_with_pyfixest_on_the_stacked_data():
    """Coefficient and CR1 standard errors (four clusterings) = pyfixest's feols(y ~ D | unit + pair^year)."""
    pf = pytest.importorskip("pyfixest")
    df, pairs = grid_panel(1, effect=0.2, n=8, years=7)
    df = df.drop(index=[3, 40, 41, 200]).reset_index(
        drop=True
    )  # unbalanced: some pair-years lose a partner
    st = _stacked(df, pairs)
    for cluster, vcov in (
        (None, "unit"),
        ("state", "state"),
        (PAIR, "pair"),
        (("state", SEGMENT), "state+seg"),
    ):
        res = contiguous_pairs(df, "y", "unit", "time", "cohort", pairs=pairs, weights="w", cluster=cluster,
                               state="state")  # fmt: skip
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = pf.feols("y ~ D | unit + pt", data=st, weights="w", vcov={"CRV1": vcov},
                         ssc=pf.ssc(k_fixef="nonnested", G_df="conventional"))  # fmt: skip
        assert res.n_obs == len(st)
        assert res.estimate == pytest.approx(float(m.coef()["D"]), rel=1e-6)
        assert res.std_error == pytest.approx(float(m.se()["D"]), rel=1e-5), cluster


def test_planted_effect_and_null():
    """SYNTHETIC grid panels: mean estimate near the truth, the 95% interval covering it about 95% of the time."""
    for effect in (0.3, 0.0):
        est, cover = [], []
        for seed in range(20):
            df, pairs = grid_panel(seed, effect=effect, n=10, years=8)
            r = contiguous_pairs(df, "y", "unit", "time", "cohort", pairs=pairs, weights="w",
                                 cluster=("state", SEGMENT), state="state")  # fmt: skip
            est.append(r.estimate)
            row = r.table.iloc[0]
            cover.append(row["conf_low"] <= effect <= row["conf_high"])
        est = np.asarray(est)
        # the Monte Carlo error of the mean is sd / sqrt(20); 4 of them is a loose but failing bound
        assert abs(est.mean() - effect) < 4 * est.std(ddof=1) / np.sqrt(len(est)) + 1e-3, (
            effect,
            est.mean(),
        )
        # 20 draws of a 95% interval: fewer than 16 covering has probability < 0.3% if coverage is 95%
        assert sum(cover) >= 16, (effect, sum(cover))


def test_pairs_rule_and_counts():
    df, pairs = grid_panel(3)
    r = contiguous_pairs(df, "y", "unit", "time", "cohort", pairs=pairs)
    coh = df.groupby("unit")["cohort"].first()
    differ = int((pairs["unit_a"].map(coh) != pairs["unit_b"].map(coh)).sum())
    assert r.extra["n_pairs"] == differ
    assert r.extra["n_pairs_adjacent"] == len(pairs)
    assert r.extra["n_pairs_same_cohort"] == len(pairs) - differ
    assert r.n_obs == 2 * differ * df["time"].nunique()
    # the same pairs given twice and reversed, with self-pairs, change nothing
    noisy = pd.concat([pairs, pairs.rename(columns={"unit_a": "unit_b", "unit_b": "unit_a"}),
                       pd.DataFrame({"unit_a": ["0-0"], "unit_b": ["0-0"]})], ignore_index=True)  # fmt: skip
    r2 = contiguous_pairs(df, "y", "unit", "time", "cohort", pairs=noisy)
    assert r2.estimate == r.estimate and r2.extra["n_pairs"] == r.extra["n_pairs"]


def test_errors():
    df, pairs = grid_panel(2)
    same = df.assign(cohort=4)
    with pytest.raises(EstimatorInputError, match="no adjacent pair with different cohorts"):
        contiguous_pairs(same, "y", "unit", "time", "cohort", pairs=pairs)
    bad = df.copy()
    bad.loc[0, "cohort"] = 99
    with pytest.raises(
        EstimatorInputError, match="cohort 'cohort' must be constant within each unit"
    ):
        contiguous_pairs(bad, "y", "unit", "time", "cohort", pairs=pairs)
    with pytest.raises(EstimatorInputError, match="border segment needs state"):
        contiguous_pairs(df, "y", "unit", "time", "cohort", pairs=pairs, cluster=SEGMENT)
    with pytest.raises(EstimatorInputError, match=r"\(unit, time\) must be unique"):
        contiguous_pairs(pd.concat([df, df.iloc[:1]]), "y", "unit", "time", "cohort", pairs=pairs)
