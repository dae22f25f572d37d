"""Tests of :func:`enforcement_crime.estimators.twfe`.

References: linearmodels PanelOLS (the reference backend), pyfixest feols (an
independent demeaning implementation) and statsmodels WLS with explicit
dummies (no demeaning at all); noise-free simulated panels where exact
recovery is expected.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from enforcement_crime.estimators import EstimatorInputError
from enforcement_crime.estimators.twfe import twfe
from enforcement_crime.simulate import Effect, simulate_staggered, true_att


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    df = simulate_staggered(40, effect=Effect(att=1.0), state_shock_sd=0.2, n_states=10, seed=3)
    rng = np.random.default_rng(7)
    df["pop"] = rng.uniform(1, 9, df["unit"].nunique())[df["unit"]]
    df["x"] = rng.normal(size=len(df))
    df["y"] = df["y"] + 0.5 * df["x"]
    return df


def _unbalanced(df: pd.DataFrame) -> pd.DataFrame:
    rng = np.random.default_rng(11)
    out = df.loc[rng.uniform(size=len(df)) > 0.15].copy()
    out.loc[out.sample(20, random_state=1).index, "y"] = np.nan
    return out


CONFIGS = [
    {},
    {"weights": "pop"},
    {"cluster": "state"},
    {"cluster": ("state", "time")},
    {"state": "state", "state_year_fe": True, "cluster": "state"},
    {"unit_trends": True},
    {"unit_trends": True, "weights": "pop", "cluster": ("unit", "time")},
    {"controls": ["x"], "weights": "pop"},
]


@pytest.mark.parametrize(
    "kw", CONFIGS, ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items()) or "default"
)
@pytest.mark.parametrize("balanced", [True, False], ids=["balanced", "unbalanced"])
def test_backends_agree(panel, kw, balanced):
    df = panel if balanced else _unbalanced(panel)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        fast = twfe(df, "y", "unit", "time", "cohort", **kw)
        ref = twfe(df, "y", "unit", "time", "cohort", backend="linearmodels", **kw)
    # same estimator, two algorithms (alternating projections vs PanelOLS): 1e-8
    assert fast.estimate == pytest.approx(ref.estimate, rel=1e-8, abs=1e-10)
    # same raw sandwich and the same documented correction applied to both: 1e-8
    assert fast.std_error == pytest.approx(ref.std_error, rel=1e-8)
    assert fast.n_obs == ref.n_obs
    if not balanced:
        assert "dropped: " in fast.notes and "missing or non-finite y" in fast.notes


def test_linearmodels_native_correction_documented(panel):
    """PanelOLS's own SE = raw sandwich * (N-1)/(N-d-k) * G/(G-1), d = all effects (docstring)."""
    r = twfe(panel, "y", "unit", "time", "cohort", cluster="state", backend="linearmodels")
    n, G = len(panel), panel["state"].nunique()
    d = panel["unit"].nunique() + panel["time"].nunique() - 1
    ssc = r.extra["ssc"]
    raw_se = r.std_error / np.sqrt(ssc["c_N"] * G / (G - 1))
    expected = raw_se * np.sqrt((n - 1) / (n - d - 1) * G / (G - 1))
    assert r.extra["native_std_error"]["treated"] == pytest.approx(
        expected, rel=1e-10
    )  # algebra only
    # linearmodels counts all 56 effects, we count the 17 time levels: its SE is larger
    assert r.extra["native_std_error"]["treated"] > r.std_error


@pytest.mark.parametrize("cl", ["unit", "state", "time"])
@pytest.mark.parametrize("sy", [False, True])
@pytest.mark.parametrize("wt", [None, "pop"])
def test_agrees_with_pyfixest(panel, cl, sy, wt):
    pf = pytest.importorskip("pyfixest")
    df = panel.assign(sy=panel["state"].astype(str) + "_" + panel["time"].astype(str))
    r = twfe(
        df,
        "y",
        "unit",
        "time",
        "cohort",
        cluster=cl,
        state="state" if sy else None,
        state_year_fe=sy,
        weights=wt,
    )
    f = pf.feols(
        "y ~ treated | unit + " + ("sy" if sy else "time"),
        df,
        vcov={"CRV1": cl},
        weights=wt,
        ssc=pf.ssc(k_fixef="nonnested", G_df="conventional"),
    )
    # same estimator, independent demeaning (pyfixest's own MAP at its default 1e-8 tolerance)
    assert r.estimate == pytest.approx(f.coef()["treated"], rel=1e-7)
    # fixest's small-sample convention is ours by design (module docstring): SEs to 1e-6
    # (pyfixest's demeaning tolerance limits the agreement, not the formula)
    assert r.std_error == pytest.approx(f.se()["treated"], rel=1e-6)


def test_agrees_with_dummy_regression_weighted_trends():
    """statsmodels WLS with explicit unit, time and unit x time dummies (no demeaning)."""
    df = simulate_staggered(30, periods=(1, 10), effect=Effect(att=2.0), seed=5)
    df["pop"] = np.random.default_rng(1).uniform(1, 5, 30)[df["unit"]]
    r = twfe(df, "y", "unit", "time", "cohort", weights="pop", unit_trends=True)
    U = pd.get_dummies(df["unit"], prefix="u", dtype=float)
    T = pd.get_dummies(df["time"], prefix="t", dtype=float).iloc[:, 1:]
    TR = U.mul(df["time"], axis=0).iloc[:, 1:].add_prefix("tr_")
    X = pd.concat([df[["treated"]].astype(float), U, T, TR], axis=1)
    m = sm.WLS(df["y"], X, weights=df["pop"]).fit()
    # the dummy design has ~70 columns: lstsq conditioning allows 1e-8
    assert r.estimate == pytest.approx(m.params["treated"], rel=1e-8)


def test_noise_free_exact_recovery_homogeneous():
    df = simulate_staggered(60, effect=Effect(att=1.5), noise_sd=0.0, seed=2)
    r = twfe(df, "y", "unit", "time", "cohort")
    assert r.estimate == pytest.approx(1.5, abs=1e-10)  # y = a_i + b_t + 1.5 D exactly


def test_recovery_with_noise_within_se():
    df = simulate_staggered(400, effect=Effect(att=1.0), seed=8)
    r = twfe(df, "y", "unit", "time", "cohort")
    assert abs(r.estimate - 1.0) < 4 * r.std_error  # 4 SE: fails by chance with p < 1e-4


def test_known_bias_heterogeneous_dynamic_effects():
    """Growing effects + staggered timing: TWFE misses the ATT (Goodman-Bacon 2021)."""
    df = simulate_staggered(300, effect=Effect(att=0.0, dynamic_slope=0.5), noise_sd=0.0, seed=4)
    truth = true_att(df)
    r = twfe(df, "y", "unit", "time", "cohort")
    assert truth > 1.0
    # downward bias of more than a quarter of the truth (noise-free, so no sampling error)
    assert r.estimate < 0.75 * truth


def test_explicit_treatment_switching_off():
    df = simulate_staggered(80, effect=Effect(att=1.0), noise_sd=0.0, seed=6)
    # treatment ends after 4 periods for units of the first cohort
    first = df["cohort"].replace(0, np.nan).min()
    on = (df["treated"] == 1) & ~((df["cohort"] == first) & (df["time"] >= first + 4))
    df["d"] = on.astype(int)
    df["y"] = df["y0"] + 1.0 * df["d"]
    r = twfe(df, "y", "unit", "time", treatment="d")
    assert r.estimate == pytest.approx(1.0, abs=1e-10)
    assert "may switch off" in r.notes
    ref = twfe(df, "y", "unit", "time", treatment="d", backend="linearmodels")
    assert r.std_error == pytest.approx(ref.std_error, rel=1e-8)


def test_edge_no_never_treated_and_first_period_cohort():
    df = simulate_staggered(
        90,
        periods=(1, 10),
        cohorts={1: 0.3, 4: 0.3, 7: 0.4},
        effect=Effect(att=2.0),
        noise_sd=0.0,
        seed=1,
    )
    assert (df["cohort"] > 0).all() and (df["cohort"] == 1).any()
    r = twfe(df, "y", "unit", "time", "cohort")
    assert r.estimate == pytest.approx(2.0, abs=1e-10)  # noise-free, homogeneous effect


def test_edge_single_treated_unit():
    df = simulate_staggered(
        50, cohorts={0: 49 / 50, 2008: 1 / 50}, effect=Effect(att=1.0), noise_sd=0.0, seed=2
    )
    assert df.loc[df["cohort"] > 0, "unit"].nunique() == 1
    with pytest.warns(UserWarning, match="only 1 treated cluster"):
        r = twfe(df, "y", "unit", "time", "cohort")
    assert r.estimate == pytest.approx(1.0, abs=1e-10)
    assert "only 1 treated cluster(s)" in r.notes  # the few-cluster warning


def test_edge_bad_inputs(panel):
    df = panel.copy()
    df.loc[df["unit"] == 3, "pop"] = 0.0
    with pytest.raises(EstimatorInputError, match="positive"):
        twfe(df, "y", "unit", "time", "cohort", weights="pop")
    with pytest.raises(EstimatorInputError, match="cohort= .* or treatment="):
        twfe(panel, "y", "unit", "time")
    with pytest.raises(EstimatorInputError, match="absorbed"):
        twfe(panel.assign(d=1), "y", "unit", "time", treatment="d")
    with pytest.raises(EstimatorInputError, match="0/1"):
        twfe(panel.assign(d=panel["treated"] * 2), "y", "unit", "time", treatment="d")
    with pytest.raises(EstimatorInputError, match="state="):
        twfe(panel, "y", "unit", "time", "cohort", state_year_fe=True)
    with pytest.raises(EstimatorInputError, match="not in the data"):
        twfe(panel, "nope", "unit", "time", "cohort")


def test_result_shape(panel):
    r = twfe(panel, "y", "unit", "time", "cohort", controls=["x"])
    f = r.to_frame()
    assert list(f["term"]) == ["treated"]
    # 680 rows, noise sd 0.5: the slope's SE is about 0.02, so 0.08 is 4 SE
    assert r.extra["coefficients"].loc["x", "estimate"] == pytest.approx(0.5, abs=0.08)
    assert r.vcov.loc["treated", "treated"] == pytest.approx(r.std_error**2, rel=1e-12)
    assert f["conf_low"].iloc[0] < r.estimate < f["conf_high"].iloc[0]


# --------------------------------------------------------------------------------------
# continuous (share-of-period) treatment
# --------------------------------------------------------------------------------------


def _with_share(panel: pd.DataFrame) -> pd.DataFrame:
    """Synthetic panel with a share-of-year exposure: the adoption year is partly exposed."""
    rng = np.random.default_rng(5)
    frac = pd.Series(rng.uniform(0.05, 0.95, panel["unit"].nunique()))[panel["unit"]].to_numpy()
    share = np.where(
        panel["cohort"] > 0,
        np.where(
            panel["time"] > panel["cohort"],
            1.0,
            np.where(panel["time"] == panel["cohort"], frac, 0.0),
        ),
        0.0,
    )
    out = panel.assign(share=share)
    out["y"] = out["y"] + 0.7 * out["share"]
    return out


@pytest.mark.parametrize("cl", [None, "state"])
@pytest.mark.parametrize("wt", [None, "pop"])
def test_continuous_share_matches_pyfixest_and_linearmodels(panel, cl, wt):
    pf = pytest.importorskip("pyfixest")
    df = _with_share(panel)
    r = twfe(df, "y", "unit", "time", treatment="share", cluster=cl, weights=wt)
    assert r.to_frame()["term"].tolist() == ["exposure_share"]
    assert "continuous exposure share" in r.notes
    f = pf.feols("y ~ share | unit + time", df, vcov={"CRV1": cl or "unit"}, weights=wt)
    assert r.estimate == pytest.approx(f.coef()["share"], rel=1e-7)
    assert r.std_error == pytest.approx(f.se()["share"], rel=1e-6)
    lm = twfe(
        df, "y", "unit", "time", treatment="share", cluster=cl, weights=wt, backend="linearmodels"
    )
    assert lm.estimate == pytest.approx(r.estimate, rel=1e-8)
    assert lm.std_error == pytest.approx(r.std_error, rel=1e-8)


def _former_twfe_exposure_share(df, outcome, unit, time, share, *, weights=None, cluster=None):
    """The computation of the former ``studies.twfe_exposure_share`` (removed with studies.py):
    pyfixest feols on the share with unit and time effects, CRV1 at its default small-sample
    correction, Student t(G-1) intervals; rows with a missing outcome dropped."""
    from scipy import stats

    pf = pytest.importorskip("pyfixest")
    d = df[~df[outcome].isna()].copy()
    cl = cluster or unit
    fit = pf.feols(f"{outcome} ~ {share} | {unit} + {time}", data=d, weights=weights,
                   vcov={"CRV1": cl})  # fmt: skip
    b, se = float(fit.coef()[share]), float(fit.se()[share])
    G = int(d[cl].nunique())
    q = stats.t.ppf(0.975, G - 1)
    return {"estimate": b, "std_error": se, "conf_low": b - q * se, "conf_high": b + q * se,
            "n_obs": len(d), "n_clusters": G}  # fmt: skip


@pytest.mark.parametrize("cl, wt", [(None, None), ("state", "pop")])
def test_continuous_share_equals_former_twfe_exposure_share(panel, cl, wt):
    """Same numbers as studies.twfe_exposure_share had (checked against it while it existed)."""
    df = _with_share(panel)
    df.loc[df.index[:7], "y"] = np.nan  # a few missing outcomes, dropped by both
    ref = _former_twfe_exposure_share(df, "y", "unit", "time", "share", weights=wt, cluster=cl)
    studies = None
    try:
        from enforcement_crime import studies  # noqa: PLC0415 - only while it still exists
    except ImportError:
        pass
    if studies is not None and hasattr(studies, "twfe_exposure_share"):
        old = studies.twfe_exposure_share(df, "y", "unit", "time", "share", weights=wt, cluster=cl)
        for col in ("estimate", "std_error", "conf_low", "conf_high"):
            assert old.to_frame().iloc[0][col] == pytest.approx(ref[col], rel=1e-9), col
    a = twfe(df, "y", "unit", "time", treatment="share", cluster=cl, weights=wt).to_frame().iloc[0]
    assert a["term"] == "exposure_share"
    for col in ("estimate", "std_error", "conf_low", "conf_high"):
        assert a[col] == pytest.approx(ref[col], rel=1e-6), col
    assert a["n_obs"] == ref["n_obs"] and a["n_clusters"] == ref["n_clusters"]


def test_continuous_share_recovers_known_effect():
    """Noise-free synthetic panel: y = unit + time effects + 0.7 * share, recovered exactly."""
    df = simulate_staggered(60, noise_sd=0.0, seed=4)
    df = _with_share(df.assign(pop=1.0))
    r = twfe(df, "y", "unit", "time", treatment="share")
    assert r.estimate == pytest.approx(0.7, abs=1e-10)


def test_continuous_share_refuses_bad_values(panel):
    df = _with_share(panel)
    with pytest.raises(EstimatorInputError, match=r"'share' must be 0/1 or a share in \[0, 1\]"):
        twfe(df.assign(share=df["share"] * 1.5), "y", "unit", "time", treatment="share")
    with pytest.raises(EstimatorInputError, match="1 row"):
        twfe(
            df.assign(share=df["share"].mask(df.index == 3)), "y", "unit", "time", treatment="share"
        )
    with pytest.raises(EstimatorInputError, match="share"):
        twfe(df.assign(share=-df["share"]), "y", "unit", "time", treatment="share")


def _same_result(a, b) -> None:
    """Two twfe results agree in every number, note and record (the same estimation)."""
    pd.testing.assert_frame_equal(a.table, b.table, check_exact=True)
    pd.testing.assert_frame_equal(a.vcov, b.vcov, check_exact=True)
    pd.testing.assert_frame_equal(a.extra["vcov_all"], b.extra["vcov_all"], check_exact=True)
    pd.testing.assert_frame_equal(
        a.extra["coefficients"], b.extra["coefficients"], check_exact=True
    )
    assert (a.n_obs, a.n_clusters, a.notes) == (b.n_obs, b.n_clusters, b.notes)
    assert a.extra["dropped"] == b.extra["dropped"] and a.extra["ssc"] == b.extra["ssc"]
    pd.testing.assert_frame_equal(a.model.prep.data, b.model.prep.data)
    np.testing.assert_array_equal(a.model.fit.resid, b.model.fit.resid)
    np.testing.assert_array_equal(a.model.fit.Xd, b.model.fit.Xd)
    np.testing.assert_array_equal(a.model.w, b.model.w)


@pytest.mark.parametrize(
    "options",
    [
        {"weights": "pop", "cluster": "state"},
        {"cluster": "state", "controls": ["x"]},
        {"weights": "pop", "unit_trends": True},
        {"state": "state", "state_year_fe": True, "cluster": "state"},
        {"treatment": "d", "cluster": ("state", "unit")},
    ],
)
def test_twfe_on_rows_is_twfe_on_each_subset(panel, options, monkeypatch):
    """One preparation restricted to each mask gives what twfe gives on that subset of rows."""
    from enforcement_crime.estimators._inputs import PreparedPanel
    from enforcement_crime.estimators.twfe import twfe_on_rows

    restricted = []
    restrict = PreparedPanel.restrict
    monkeypatch.setattr(
        PreparedPanel, "restrict", lambda self, keep: restricted.append(1) or restrict(self, keep)
    )

    df = _unbalanced(panel)
    df["d"] = ((df["cohort"] > 0) & (df["time"] >= df["cohort"])).astype(float)
    df.loc[df.sample(15, random_state=4).index, "pop"] = np.nan  # dropped rows, counted per subset
    df = df.sample(frac=1, random_state=2)  # rows in no particular order
    states = df["state"].to_numpy()
    masks = [states != s for s in np.unique(states)[:4]] + [df["time"].to_numpy() < 2006]
    cohort = None if "treatment" in options else "cohort"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        calls = twfe_on_rows(df, "y", "unit", "time", cohort, rows=masks, **options)
        for call, mask in zip(calls, masks, strict=True):
            assert call.__name__ == "twfe"
            _same_result(call(), twfe(df.loc[mask], "y", "unit", "time", cohort, **options))
    # two-way clusters: each subset is fitted on its own
    assert len(restricted) == (0 if isinstance(options.get("cluster"), tuple) else len(masks))


@pytest.mark.parametrize("options", [{"weights": "pop", "cluster": "state"}, {"controls": ["x"]}])
def test_twfe_on_rows_leaving_units_out_is_twfe_alone(options, monkeypatch):
    """Masks leaving whole units out take the within-transformation from the whole panel's sums
    (TwoWayUnitSubsets); the results are twfe's on the rows left, number for number.

    An unbalanced panel, weights varying within units, singleton units, and a period only one
    state's units observe (left without rows when that state is left out); a mask keeping part
    of some units' rows is left to demean.
    """
    from enforcement_crime.estimators._core import TwoWayUnitSubsets
    from enforcement_crime.estimators.twfe import twfe_on_rows

    used = []
    resid = TwoWayUnitSubsets.resid
    monkeypatch.setattr(
        TwoWayUnitSubsets, "resid", lambda self, *a: used.append(r := resid(self, *a)) or r
    )
    df = simulate_staggered(60, periods=(2000, 2011), n_states=6, effect=Effect(att=0.5), seed=5)
    rng = np.random.default_rng(3)
    df["pop"] = rng.lognormal(8, 1, len(df))
    df["x"] = rng.normal(size=len(df))
    df = df.loc[rng.uniform(size=len(df)) > 0.2]
    units = df["unit"].unique()
    singles = df["unit"].isin(units[:3]) & df.duplicated("unit")
    df = df.loc[~singles]  # three units keep their first row only
    df = df.loc[(df["time"] < 2011) | (df["state"] == df["state"].iloc[-1])]
    df = df.sample(frac=1, random_state=1)  # rows in no particular order
    assert (df["unit"].value_counts() == 1).sum() >= 3
    states, unit = df["state"].to_numpy(), df["unit"].to_numpy()
    treated = df.loc[df["cohort"] > 0, "unit"].unique()
    masks = [states != s for s in np.unique(states)] + [unit != u for u in treated[:3]]
    masks += [unit != units[0], df["time"].to_numpy() != 2005]  # a singleton unit; part of units
    cohort = "cohort"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        calls = twfe_on_rows(df, "y", "unit", "time", cohort, rows=masks, **options)
        fits = [
            (call(), twfe(df.loc[mask], "y", "unit", "time", cohort, **options))
            for call, mask in zip(calls, masks, strict=True)
        ]
        for together, alone in fits:
            _same_result(together, alone)
        # the fitted model (a state left out) serves inference as the separate fit's does
        together, alone = fits[0]
        pd.testing.assert_frame_equal(
            together.wild_bootstrap(n_boot=99, seed=1).table,
            alone.wild_bootstrap(n_boot=99, seed=1).table,
            check_exact=True,
        )
    # every mask of whole units went through the whole panel's sums; the last one did not
    assert all(r is not None for r in used[:-1]) and used[-1] is None
    assert len(used) == len(masks)
    # leaving the state out that alone observes the last period leaves that period without rows
    last = df["time"] == 2011
    assert last.any() and df.loc[last, "state"].nunique() == 1


def test_twfe_on_rows_refuses_as_twfe_does(panel):
    """A subset the estimator refuses raises the same error; refused options refuse every subset."""
    from enforcement_crime.estimators.twfe import twfe_on_rows

    df = panel.copy()
    df.loc[df["state"] == df["state"].iloc[0], "y"] = np.nan
    only = (df["state"] == df["state"].iloc[0]).to_numpy()
    calls = twfe_on_rows(df, "y", "unit", "time", "cohort", rows=[only, ~only], cluster="state")
    with pytest.raises(EstimatorInputError) as restricted:
        calls[0]()
    with pytest.raises(EstimatorInputError) as alone:
        twfe(df.loc[only], "y", "unit", "time", "cohort", cluster="state")
    assert str(restricted.value) == str(alone.value)
    _same_result(calls[1](), twfe(df.loc[~only], "y", "unit", "time", "cohort", cluster="state"))
    bad = twfe_on_rows(df, "y", "unit", "time", rows=[~only])  # neither cohort nor treatment
    with pytest.raises(EstimatorInputError, match="cohort="):
        bad[0]()


def test_twfe_on_rows_knows_every_twfe_option():
    """twfe_on_rows prepares once only for the options it knows: they are twfe's, defaults included."""
    import importlib
    import inspect

    twfe_module = importlib.import_module("enforcement_crime.estimators.twfe")

    params = inspect.signature(twfe).parameters
    options = {k: p.default for k, p in params.items() if p.kind is inspect.Parameter.KEYWORD_ONLY}
    assert options == twfe_module._TWFE_DEFAULTS
