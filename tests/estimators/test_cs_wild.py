"""Callaway-Sant'Anna with inference="wild_cluster": mechanics, refits, known truth, size (slow)."""

from __future__ import annotations

import importlib
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from enforcement_crime.estimators import EstimatorInputError, callaway_santanna
from enforcement_crime.estimators._bootstrap import draw_weights
from enforcement_crime.simulate import Effect, simulate_staggered

cs_wild = importlib.import_module("enforcement_crime.estimators._cs_wild")


def _few_treated(seed=0, att=0.0, n_states=100, cohorts=None):
    """SYNTHETIC NC-like panel: 100 units, 9 treated in three cohorts."""
    return simulate_staggered(
        n_units=100,
        periods=(2000, 2012),
        cohorts=cohorts or {0: 91, 2005: 3, 2006: 3, 2007: 3},
        n_states=n_states,
        effect=Effect(att=att),
        seed=seed,
    )


def _cs(df, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # few treated clusters (the point here)
        return callaway_santanna(df, "y", "unit", "time", "cohort", **kw)


def test_wild_cluster_keeps_estimates_and_analytic_ses():
    df = _few_treated(seed=1)
    a = _cs(df, cluster="unit")
    w = _cs(df, cluster="unit", inference="wild_cluster", n_boot=199, seed=3)
    pd.testing.assert_series_equal(a.table["estimate"], w.table["estimate"])
    pd.testing.assert_series_equal(a.table["std_error"], w.table["std_error"])
    pd.testing.assert_frame_equal(a.extra["att_gt"], w.extra["att_gt"])
    assert "wild cluster bootstrap-t" in w.notes and "seed 3" in w.notes


def test_wild_cluster_mechanics_seeds_pvalues_intervals():
    df = _few_treated(seed=2)
    kw = dict(cluster="state", inference="wild_cluster", n_boot=199)
    r1 = _cs(df.assign(state=df["unit"] % 9), seed=5, **kw)  # 9 clusters: Webb by the auto rule
    r2 = _cs(df.assign(state=df["unit"] % 9), seed=5, **kw)
    r3 = _cs(df.assign(state=df["unit"] % 9), seed=6, **kw)
    assert r1.extra["bootstrap_weights"] == "webb" and not r1.extra["full_enumeration"]
    pd.testing.assert_frame_equal(r1.extra["wild_cluster"], r2.extra["wild_cluster"])
    assert not r1.extra["wild_cluster"]["p_value"].equals(r3.extra["wild_cluster"]["p_value"])
    summ = r1.extra["wild_cluster"]
    assert summ["p_value"].between(0, 1).all()
    tab = r1.table.set_index("term").loc[summ["term"]]
    assert (tab["conf_low"] < tab["estimate"]).all() and (tab["estimate"] < tab["conf_high"]).all()
    # test inversion: 0 is outside the interval exactly when p(0) <= alpha
    outside = (tab["conf_low"] > 0) | (tab["conf_high"] < 0)
    np.testing.assert_array_equal(outside.to_numpy(), (summ["p_value"] <= 0.05).to_numpy())
    # Rademacher on 9 clusters: 512 sign vectors <= n_boot, fully enumerated (deterministic)
    e1 = _cs(
        df.assign(state=df["unit"] % 9), cluster="state", inference="wild_cluster",
        bootstrap_weights="rademacher", n_boot=999, seed=1, aggregation="simple",
    )  # fmt: skip
    e2 = _cs(
        df.assign(state=df["unit"] % 9), cluster="state", inference="wild_cluster",
        bootstrap_weights="rademacher", n_boot=999, seed=2, aggregation="simple",
    )  # fmt: skip
    assert e1.extra["full_enumeration"] and e1.extra["n_boot"] == 512
    assert e1.p_value == e2.p_value
    # unclustered: every unit its own cluster, 100 clusters -> Rademacher
    u = _cs(df, inference="wild_cluster", n_boot=99, seed=0, aggregation="simple")
    assert u.extra["bootstrap_weights"] == "rademacher" and 0 <= u.p_value <= 1
    assert "units as clusters" in u.notes


def _two_way_fit(df, y):
    """Unit + period least-squares fit of ``y`` on a balanced unweighted panel (pandas means)."""
    r = y - y.groupby(df["unit"]).transform("mean")
    return y - r + r.groupby(df["time"]).transform("mean")


def test_wild_cluster_t_boot_equals_refitting_bootstrap_data():
    """Independent check: build Y* by hand and refit the public estimator (analytic SE) per draw.

    Restricted model of H0: ATT(simple) = theta0: unit + period effects plus theta0 * h, with h the
    post-treatment indicator scaled so that ATT(simple) of h is 1; Y* = fit + v_g * residual.
    """
    df = _few_treated(seed=4).assign(state=lambda d: d["unit"] % 12)
    df = df.sort_values(["unit", "time"]).reset_index(drop=True)
    kw = dict(cluster="state", aggregation="simple")
    res = _cs(df, inference="wild_cluster", n_boot=50, seed=9, bootstrap_weights="webb", **kw)
    theta = lambda y: _cs(df.assign(y=y), **kw).term("ATT(simple)")  # noqa: E731
    f = df["treated"].astype(float)
    h = f / theta(f)["estimate"]
    clusters = pd.factorize(df.groupby("unit", sort=True)["state"].first())[0]
    V, _ = draw_weights("webb", 12, 50, np.random.default_rng(9))
    row0 = res.term("ATT(simple)")
    lo, hi = row0["conf_low"], row0["conf_high"]
    eps = 1e-6 * (hi - lo)
    units = df["unit"].to_numpy()

    def refit_p(theta0):
        z = df["y"] - theta0 * h
        fit = _two_way_fit(df, z) + theta0 * h
        u0 = z - _two_way_fit(df, z)
        t_star = []
        for b in range(V.shape[1]):
            row = theta(fit + V[clusters[units], b] * u0)
            t_star.append((row["estimate"] - theta0) / row["std_error"])
        t_obs = abs(row0["estimate"] - theta0) / row0["std_error"]
        return np.array(t_star), float(np.mean(np.abs(t_star) >= t_obs * (1 - 1e-9)))

    t0, p0 = refit_p(0.0)
    np.testing.assert_allclose(res.extra["t_boot"], t0, rtol=1e-8, atol=1e-10)
    assert res.p_value == pytest.approx(p0, abs=1e-12)
    # the interval is the inverted test: just inside its upper end the refitted test accepts,
    # just outside it rejects
    assert refit_p(hi - eps)[1] > 0.05 >= refit_p(hi + eps)[1]
    assert res.extra["t_stat"] == pytest.approx(row0["estimate"] / row0["std_error"], rel=1e-12)


@pytest.mark.parametrize(
    "opts",
    [
        dict(control_group="not_yet_treated", base_period="universal"),
        dict(weights="pop", controls=["x"]),
        dict(impose_null=False),
    ],
)
def test_wild_cluster_runs_with_options_and_detects_large_effect(opts):
    df = _few_treated(seed=5, att=3.0).assign(state=lambda d: d["unit"] % 20)
    rng = np.random.default_rng(0)
    df["pop"] = np.repeat(rng.uniform(1, 5, 100), df["time"].nunique())
    df["x"] = rng.normal(size=len(df))
    res = _cs(df, cluster="state", inference="wild_cluster", n_boot=199, seed=0, **opts)
    row = res.term("ATT(simple)")
    # true effect 3 on 9 treated units, noise SD 0.5: clearly detected and covered
    assert row["conf_low"] < 3.0 < row["conf_high"]
    assert row["conf_low"] > 0 and res.p_value <= 0.05
    assert res.extra["impose_null"] == opts.get("impose_null", True)


def test_wild_cluster_bad_options_raise():
    df = _few_treated(seed=0)
    for kw, msg in [
        (dict(inference="wild"), "inference must be"),
        (dict(inference="wild_cluster", bootstrap_weights="mammen"), "bootstrap_weights for"),
        (dict(inference="bootstrap", bootstrap_weights="webb"), "bootstrap_weights"),
        (dict(bootstrap_weights="webb"), "needs inference="),
        (dict(impose_null=False), "impose_null applies only"),
        (dict(inference="wild_cluster", n_boot=1), "n_boot"),
    ]:
        with pytest.raises(EstimatorInputError, match=msg):
            _cs(df, cluster="unit", **kw)


def test_wild_cluster_refuses_too_large_problems(monkeypatch):
    monkeypatch.setattr(cs_wild, "MAX_ELEMENTS", 1000)
    with pytest.raises(EstimatorInputError, match="fewer aggregations"):
        _cs(_few_treated(), cluster="unit", inference="wild_cluster", n_boot=9)


def test_wild_cluster_size_few_replications():
    """Mechanics of the size benchmark on a few replications (the bound is loose on purpose)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    import cs_wild_size

    rows = pd.DataFrame([cs_wild_size.one_replication(r, n_boot=99, rho=0.0) for r in range(4)])
    tab = cs_wild_size.size_table(rows)
    assert list(tab["method"]) == list(cs_wild_size.METHODS)
    assert tab["reject_5pct"].between(0, 1).all() and (tab["reps"] == 4).all()
    assert rows.filter(like="_p").stack().between(0, 1).all()


@pytest.mark.slow
def test_wild_cluster_fixes_size_with_nine_treated_of_hundred():
    """The benchmark's design (benchmarks/cs_wild_size.py), 200 null replications, 999 draws.

    Measured (seeds 0-199): analytic 10.5% rejections at 5%, restricted wild cluster 3.0%
    (Monte Carlo SE at 5%: 1.5 points). Bounds: the bootstrap within 1%-8.5% (5% +/- ~2.3 SE,
    allowing the known mild under-rejection of the restricted bootstrap with few treated
    clusters); the analytic test rejects at least 2 points more often on the same panels.
    """
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    import cs_wild_size

    methods = {k: cs_wild_size.METHODS[k] for k in ("analytic", "wild_cluster")}
    rows = pd.DataFrame(
        [cs_wild_size.one_replication(r, n_boot=999, rho=0.0, methods=methods) for r in range(200)]
    )
    tab = cs_wild_size.size_table(rows, methods).set_index("method")["reject_5pct"]
    assert 0.01 <= tab["wild_cluster"] <= 0.085, tab
    assert tab["analytic"] >= tab["wild_cluster"] + 0.02, tab
