"""Placebo re-assignments of the adoption schedule (estimators.placebo), on simulated panels (SYNTHETIC)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from enforcement_crime.estimators import EstimatorInputError, placebo_schedules, twfe
from enforcement_crime.estimators.placebo import state_block_schedule, strata_schedules


def _panel(seed: int, effect: float = 0.0, n_states: int = 8, per_state: int = 5) -> pd.DataFrame:
    """A SYNTHETIC panel: units in states, 2001-2010, adoption dates assigned at random."""
    rng = np.random.default_rng(seed)
    n = n_states * per_state
    years = np.arange(2001, 2011)
    cohorts = rng.permutation(np.resize([0, 0, 2004, 2006, 2008], n))
    unit = np.repeat(np.arange(n), len(years))
    year = np.tile(years, n)
    g = cohorts[unit]
    d = (g > 0) & (year >= g)
    y = rng.normal(size=n)[unit] + 0.1 * (year - 2000) + rng.normal(size=unit.size) + effect * d
    return pd.DataFrame({"unit": unit, "year": year, "cohort": g, "y": y,
                         "state": unit // per_state, "pop": rng.uniform(1, 3, n)[unit],
                         "stratum": (unit % 2)})  # fmt: skip


def test_actual_estimate_is_twfe_and_schemes_are_reported():
    df = _panel(0, effect=0.3)
    res = placebo_schedules(df, "y", "unit", "year", "cohort", weights="pop", cluster="state",
                            state="state", strata="stratum", n_draws=50, seed=3)  # fmt: skip
    ref = twfe(df, "y", "unit", "year", "cohort", weights="pop", cluster="state")
    assert res.table["estimate"].iloc[0] == pytest.approx(ref.estimate, abs=1e-10)
    assert list(res.table["scheme"]) == [
        "all units",
        "state blocks",
        "within state",
        "within strata",
    ]
    assert (res.table["n_draws"] == 50).all()
    assert len(res.draws) == 200
    share = res.table["share_extreme"]
    assert ((share >= 1 / 51) & (share <= 1)).all()


def test_same_seed_same_draws_and_scheme_streams_independent():
    df = _panel(1)
    a = placebo_schedules(df, "y", "unit", "year", "cohort", state="state", n_draws=30, seed=7)
    b = placebo_schedules(df, "y", "unit", "year", "cohort", state="state", n_draws=30, seed=7)
    pd.testing.assert_frame_equal(a.draws, b.draws)
    c = placebo_schedules(df, "y", "unit", "year", "cohort", state="state", n_draws=30, seed=8)
    assert not np.allclose(a.draws["estimate"], c.draws["estimate"])


@pytest.mark.parametrize("few_treated", [False, True])  # dense and sparse sums over units
def test_schedules_drawn_once_per_inputs_equal_fresh_draws(few_treated):
    """A second outcome on the same units reuses the schedules and their denominators: the same
    estimates as computed anew."""
    from enforcement_crime.estimators import placebo

    df = _panel(4).assign(y2=lambda d: d["y"] * 2 + 1)
    if few_treated:  # 1 unit in 40 treated: under the dense-sum threshold
        df["cohort"] = np.where(
            df["unit"] == df.loc[df["cohort"] > 0, "unit"].min(), df["cohort"], 0
        )
    kw = dict(state="state", strata="stratum", n_draws=20, seed=11)
    with placebo.kept_draws():
        first = placebo_schedules(df, "y", "unit", "year", "cohort", **kw)
        second = placebo_schedules(df, "y2", "unit", "year", "cohort", **kw)  # reused schedules
        assert len(placebo._DRAWS) == 4 and len(placebo._DENOMINATORS) == 4
        assert all(not a.flags.writeable for a in placebo._DRAWS.values())
    assert not placebo._DRAWS and not placebo._DENOMINATORS  # dropped when the block ends
    fresh = placebo_schedules(df, "y2", "unit", "year", "cohort", **kw)
    assert not placebo._DRAWS  # nothing kept outside the block
    pd.testing.assert_frame_equal(second.draws, fresh.draws)
    pd.testing.assert_frame_equal(second.table, fresh.table)
    # the slope of y2 on the schedules is twice that of y: the same schedules were used
    np.testing.assert_allclose(second.draws["estimate"], 2 * first.draws["estimate"], rtol=1e-9)
    # a scheme's draws depend on its position, not on which schemes run with it
    alone = placebo_schedules(
        df, "y", "unit", "year", "cohort", schemes=["all units"], n_draws=20, seed=11
    )
    pd.testing.assert_frame_equal(
        alone.draws, first.draws[first.draws["scheme"] == "all units"].reset_index(drop=True)
    )


def test_vectorised_placebos_equal_refitting_twfe():
    """The draws' estimates equal twfe refitted on the same placebo schedules (replayed from the seed)."""
    df = _panel(2)
    df = df.sample(frac=0.9, random_state=1).sort_index()  # unbalanced
    df["pop"] = df["pop"] * (1 + 0.05 * (df["year"] - 2000))  # weights varying over time
    res = placebo_schedules(df, "y", "unit", "year", "cohort", weights="pop", state="state",
                            schemes=["within state", "state blocks"], n_draws=5, seed=11)  # fmt: skip
    units = np.sort(df["unit"].unique())
    uc = df.groupby("unit")["cohort"].first().loc[units].to_numpy()
    st = df.groupby("unit")["state"].first().loc[units].to_numpy()
    streams = np.random.default_rng(11).spawn(2)
    for scheme, rng in zip(["within state", "state blocks"], streams, strict=True):
        got = res.draws.loc[res.draws["scheme"] == scheme, "estimate"].to_numpy()
        if scheme == "within state":
            within = strata_schedules(uc, st, rng, 5)
        for k in range(5):
            if scheme == "within state":
                perm = within[k]
            else:
                perm = state_block_schedule(uc, st, rng)
            fake = df.assign(cohort=perm[df["unit"].to_numpy()])
            ref = twfe(fake, "y", "unit", "year", "cohort", weights="pop")
            assert got[k] == pytest.approx(ref.estimate, abs=1e-10)


def test_state_blocks_keep_each_states_units_together():
    rng = np.random.default_rng(0)
    state = np.repeat(np.arange(6), 4)
    cohort = np.concatenate([[0, 0, 0, 0], [2005] * 4, [2005, 2007, 0, 0], [2009, 0, 0, 0],
                             [2007] * 4, [0, 2005, 2005, 2009]])  # fmt: skip
    sources = {s: sorted(cohort[state == s]) for s in range(6)}
    for _ in range(50):
        out = state_block_schedule(cohort, state, rng)
        got = [sorted(out[state == s]) for s in range(6)]
        # every state's placebo schedule is one whole state's schedule, each used once
        matched = [next(k for k, v in sources.items() if v == g) for g in got]
        assert sorted(matched) == list(range(6))
        assert sorted(np.concatenate(got)) == sorted(cohort)


def test_state_blocks_of_unequal_sizes_draw_from_one_state():
    rng = np.random.default_rng(1)
    state = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2])
    cohort = np.array([2005, 2005, 2005, 2009, 2009, 0, 0, 0, 0])
    for _ in range(30):
        out = state_block_schedule(cohort, state, rng)
        for s in range(3):
            assert len(set(out[state == s])) == 1  # each source state here has a single date


def test_strata_schedules_permute_within_each_stratum():
    rng = np.random.default_rng(4)
    strata = np.array([2, 0, 1, 0, 2, 1, 0, 2])
    cohort = np.array([2001, 2002, 2003, 2004, 2005, 2006, 2007, 2008])
    draws = strata_schedules(cohort, strata, rng, 400)
    for s in range(3):
        want = sorted(cohort[strata == s])
        assert all(sorted(d[strata == s]) == want for d in draws)
    # every date of stratum 0 reaches every unit of stratum 0 (uniform: about a third each)
    share = (draws[:, 1][:, None] == cohort[strata == 0][None, :]).mean(axis=0)
    assert np.all(np.abs(share - 1 / 3) < 0.1)
    assert sorted(strata_schedules(cohort, None, rng, 1)[0]) == sorted(cohort)


def test_within_state_keeps_each_states_dates():
    df = _panel(3)
    res = placebo_schedules(df, "y", "unit", "year", "cohort", state="state",
                            schemes=["within state"], n_draws=20, seed=0)  # fmt: skip
    assert res.table["n_draws"].iloc[0] == 20
    with pytest.raises(EstimatorInputError, match="needs the state"):
        placebo_schedules(df, "y", "unit", "year", "cohort", schemes=["within state"], n_draws=5)
    with pytest.raises(EstimatorInputError, match="unknown placebo scheme"):
        placebo_schedules(df, "y", "unit", "year", "cohort", schemes=["nearby"], n_draws=5)


def test_size_under_no_effect():
    """With no effect the share is about uniform over panels: rejection at 10% in a binomial band."""
    shares = []
    for s in range(40):
        res = placebo_schedules(_panel(100 + s), "y", "unit", "year", "cohort",
                                schemes=["all units"], n_draws=199, seed=s)  # fmt: skip
        shares.append(res.share("all units"))
    shares = np.array(shares)
    rejections = int((shares <= 0.10).sum())
    lo, hi = stats.binom.ppf([0.001, 0.999], 40, 0.10)
    assert lo <= rejections <= hi
    assert abs(shares.mean() - 0.5) < 4 * np.sqrt(1 / 12 / 40)  # mean of 40 uniforms: 4 sd band


def test_large_planted_effect_share_near_zero():
    res = placebo_schedules(_panel(5, effect=3.0), "y", "unit", "year", "cohort", state="state",
                            n_draws=500, seed=0)  # fmt: skip
    assert res.share("all units") <= 0.01
    assert res.share("within state") <= 0.01
    assert abs(res.table["placebo_mean"].iloc[0]) < 1.0


def test_state_block_draws_consume_the_stream_as_one_permutation_per_state():
    """The batched draws equal permuting each source state's dates and each target state's units in turn."""
    from enforcement_crime.estimators.placebo import _state_block_draws

    def reference(unit_cohort, groups, rng):
        source = rng.permutation(len(groups))
        out = np.empty_like(unit_cohort)
        for idx, src in zip(groups, source, strict=True):
            dates = rng.permutation(unit_cohort[groups[src]])
            out[rng.permutation(idx)] = np.resize(dates, idx.size)
        return out

    for seed in range(12):
        gen = np.random.default_rng(seed)
        n = int(gen.integers(1, 60))
        state = gen.integers(0, int(gen.integers(1, 9)), n)
        cohort = gen.integers(2001, 2006, n) * (gen.random(n) < 0.5)
        groups = [np.flatnonzero(state == s) for s in np.unique(state)]
        r1, r2 = np.random.default_rng(seed + 50), np.random.default_rng(seed + 50)
        expected = np.stack([reference(cohort, groups, r1) for _ in range(5)])
        np.testing.assert_array_equal(_state_block_draws(cohort, groups, r2, 5), expected)
        assert r1.random() == r2.random()  # the stream is left where the reference leaves it


@pytest.mark.filterwarnings("ignore:twfe. only 3 treated:UserWarning")
def test_vectorised_placebos_with_few_treated_units_equal_refitting_twfe():
    """With few treated units (the pairwise sums), the draws equal twfe on the same schedules."""
    df = _panel(4).sample(frac=0.9, random_state=2).sort_index()  # unbalanced
    keep = df.loc[df["cohort"] > 0, "unit"].unique()[:3]
    df["cohort"] = df["cohort"].where(df["unit"].isin(keep), 0)
    df["pop"] = df["pop"] * (1 + 0.05 * (df["year"] - 2000))
    res = placebo_schedules(df, "y", "unit", "year", "cohort", weights="pop", n_draws=6, seed=5)
    ref = twfe(df, "y", "unit", "year", "cohort", weights="pop")
    assert res.table["estimate"].iloc[0] == pytest.approx(ref.estimate, abs=1e-10)
    units = np.sort(df["unit"].unique())
    uc = df.groupby("unit")["cohort"].first().loc[units].to_numpy()
    assert 0 < (uc > 0).mean() < 0.1
    perms = strata_schedules(uc, None, np.random.default_rng(5).spawn(1)[0], 6)
    for k in range(6):
        fake = df.assign(cohort=perms[k][df["unit"].to_numpy()])
        ref = twfe(fake, "y", "unit", "year", "cohort", weights="pop")
        assert res.draws["estimate"].iloc[k] == pytest.approx(ref.estimate, abs=1e-10)


def test_a_seed_sequence_draws_as_its_integer_seed():
    """Draws from a seed that is not an integer (not kept between calls) are those of the integer."""
    from enforcement_crime.estimators import placebo

    df = _panel(5)
    kw = dict(state="state", strata="stratum", n_draws=15)
    with placebo.kept_draws():
        a = placebo_schedules(df, "y", "unit", "year", "cohort", seed=9, **kw)
        b = placebo_schedules(
            df, "y", "unit", "year", "cohort", seed=np.random.SeedSequence(9), **kw
        )
    pd.testing.assert_frame_equal(a.draws, b.draws)
