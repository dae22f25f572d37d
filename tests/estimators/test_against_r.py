"""The estimators against stored R outputs (no R needed to run these tests).

``tests/estimators/r_reference/make_r_reference.R`` simulates a SYNTHETIC
county-year panel with a fixed seed, writes it as ``panel.csv`` and fits it in
R: TWFE and the event study by ``lm`` with unit and year factor dummies,
PPML by ``glm(family = quasipoisson)`` with the same dummies, Sun & Abraham by
``lm`` on cohort x event-time dummies, the BJS imputation by ``lm`` on the
untreated rows, clustered variances by ``sandwich::vcovCL``; Callaway-Sant'Anna
by a base-R implementation of the formulas of R ``did``'s ``att_gt`` and
``aggte`` (``did`` itself was not installed; see the folder's README). The
outputs are committed CSV files; ``r_versions.json`` records the R and package
versions and the md5 of every file.

Standard errors: R's dummy regression gives the raw sandwich; the script
applies three conventions to it and stores all three: the package's
(:data:`~enforcement_crime.estimators._core.SSC`: ``G/(G-1)`` per cluster
dimension and ``(N-1)/(N-K)`` with ``K`` counting the fixed effects not nested
in the clusters, fixest's ``fixef.K="nested"``), ``vcovCL(type="HC1",
cadjust=TRUE)`` (``K`` = every coefficient of the dummy regression) and the
uncorrected ``HC0``.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from enforcement_crime.estimators import (
    callaway_santanna,
    event_study,
    imputation,
    ppml,
    sun_abraham,
    twfe,
)

REF = Path(__file__).parent / "r_reference"

# Tolerances (relative unless said otherwise), one reason each:
# least squares on both sides is exact linear algebra (R: QR of the full dummy design; here
# the within-transformation), so only floating-point round-off separates them
LS_RTOL = 1e-9
# PPML on both sides stops an iterative (IRLS) fit at a convergence tolerance (glm's
# epsilon 1e-12 on the deviance, the package's tol 1e-10); the variance depends on the fitted means
PPML_RTOL_EST = 1e-8
PPML_RTOL_SE = 1e-7
# estimates that can be close to zero (leads, ATT(g, t) cells): also an absolute tolerance far
# below the outcomes' scale (rates of order 100, log rates of order 0.1)
ABS = 1e-9


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / name)


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    df = _read("panel.csv")
    df["log_rate"] = np.log(df["rate"])  # the script's log(rate)
    return df


def _quiet(fn, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter(
            "ignore", UserWarning
        )  # few-treated-clusters warnings are not tested here
        return fn(*args, **kw)


def _case(frame: pd.DataFrame, case: str) -> pd.DataFrame:
    rows = frame.loc[frame["case"] == case]
    assert len(rows), f"case {case!r} missing from the R outputs"
    return rows.set_index("term")


# --------------------------------------------------------------------------------------
# the stored files
# --------------------------------------------------------------------------------------


def test_reference_files_are_the_scripts_outputs():
    """Each CSV has the md5 the R script recorded (no hand edits, no partial regeneration)."""
    meta = json.loads((REF / "r_versions.json").read_text())
    assert meta["r_version"].startswith("R version ")
    assert {"sandwich", "stats"} <= set(meta["packages"])
    assert "SYNTHETIC" in meta["data"]
    stored = sorted(p.name for p in REF.glob("*.csv"))
    assert stored == sorted(meta["md5"]), "a CSV in r_reference/ is not listed by r_versions.json"
    for name, md5 in meta["md5"].items():
        assert hashlib.md5((REF / name).read_bytes()).hexdigest() == md5, name
    assert (REF / "make_r_reference.R").is_file() and (REF / "README.md").is_file()
    assert sum(p.stat().st_size for p in REF.iterdir()) < 200_000


# --------------------------------------------------------------------------------------
# TWFE
# --------------------------------------------------------------------------------------

TWFE_CASES = {
    "rate_unweighted_cl_state": ("rate", {"cluster": "state"}),
    "rate_pop_weighted_cl_state": ("rate", {"cluster": "state", "weights": "pop"}),
    "lograte_pop_weighted_cl_state": ("log_rate", {"cluster": "state", "weights": "pop"}),
    "lograte_unweighted_cl_unit": ("log_rate", {}),  # default cluster: the unit
    "rate_pop_weighted_x_cl_state": (
        "rate",
        {"cluster": "state", "weights": "pop", "controls": ["x"]},
    ),
    "rate_pop_weighted_unbalanced_cl_state": ("rate", {"cluster": "state", "weights": "pop"}),
    "rate_unweighted_cl_state_year": ("rate", {"cluster": ("state", "year")}),
}


def _twfe(panel, case, backend="fast"):
    y, kw = TWFE_CASES[case]
    df = panel.loc[panel["in_unbalanced"] == 1] if "unbalanced" in case else panel
    return _quiet(twfe, df, y, "unit", "year", "first_treat", backend=backend, **kw)


@pytest.mark.parametrize("case", sorted(TWFE_CASES))
def test_twfe_matches_r_lm_with_dummies(panel, case):
    r = _case(_read("twfe_r.csv"), case)
    res = _twfe(panel, case)
    coefs = res.extra["coefficients"]
    assert sorted(coefs.index) == sorted(r.index)
    for term, row in r.iterrows():
        assert coefs.loc[term, "estimate"] == pytest.approx(row["estimate"], rel=LS_RTOL)
        assert coefs.loc[term, "std_error"] == pytest.approx(row["std_error"], rel=LS_RTOL)
    row = r.loc["treated"]
    t = res.table.iloc[0]
    # t(G-1) interval, G the (smallest) number of clusters, computed in R with qt()
    assert t["conf_low"] == pytest.approx(row["conf_low"], rel=LS_RTOL)
    assert t["conf_high"] == pytest.approx(row["conf_high"], rel=LS_RTOL)
    assert res.n_obs == row["n_obs"] and res.n_clusters == row["n_clusters"]
    assert res.extra["ssc"]["K"] == row["k_nested"]


@pytest.mark.parametrize("case", sorted(TWFE_CASES))
def test_twfe_other_conventions_differ_as_documented(panel, case):
    """R's HC1 (every dummy in K) and HC0 follow from the package SE by the stated factors."""
    r = _case(_read("twfe_r.csv"), case).loc["treated"]
    res = _twfe(panel, case)
    n, k_pkg, k_all = r["n_obs"], r["k_nested"], r["k_all"]
    hc1 = res.std_error * np.sqrt((n - k_pkg) / (n - k_all))
    assert hc1 == pytest.approx(r["std_error_hc1_all_fe"], rel=LS_RTOL)
    if isinstance(TWFE_CASES[case][1].get("cluster"), tuple):
        return  # two-way: no single G/(G-1) factor relates the package SE to HC0
    G = r["n_clusters"]
    hc0 = res.std_error / np.sqrt((n - 1) / (n - k_pkg) * G / (G - 1))
    assert hc0 == pytest.approx(r["std_error_hc0"], rel=LS_RTOL)
    if k_pkg < k_all:  # unit effects nested in the clusters: the package SE is the smaller
        assert res.std_error < r["std_error_hc1_all_fe"]


def test_twfe_linearmodels_backend_matches_r(panel):
    r = _case(_read("twfe_r.csv"), "rate_pop_weighted_cl_state").loc["treated"]
    res = _twfe(panel, "rate_pop_weighted_cl_state", backend="linearmodels")
    assert res.estimate == pytest.approx(r["estimate"], rel=LS_RTOL)
    assert res.std_error == pytest.approx(r["std_error"], rel=LS_RTOL)


# --------------------------------------------------------------------------------------
# event study
# --------------------------------------------------------------------------------------

ES_CASES = {
    "rate_unweighted_cl_state_ref-1": ("rate", {"cluster": "state"}),
    "lograte_pop_weighted_cl_state_ref-2": ("log_rate", {"cluster": "state", "weights": "pop"}),
}


@pytest.mark.parametrize("case", sorted(ES_CASES))
def test_event_study_matches_r_relative_time_dummies(panel, case):
    r = _case(_read("event_study_r.csv"), case)
    y, kw = ES_CASES[case]
    ref = int(r["reference"].iloc[0])
    window = (int(r["window_lo"].iloc[0]), int(r["window_hi"].iloc[0]))
    res = _quiet(
        event_study, panel, y, "unit", "year", "first_treat", window=window, reference=ref, **kw
    )
    tab = res.table.set_index("term")
    assert sorted(tab.index) == sorted([*r.index, f"e{ref}"])
    assert tab.loc[f"e{ref}", "estimate"] == 0 and np.isnan(tab.loc[f"e{ref}", "std_error"])
    got = tab.loc[r.index]
    assert (got["event_time"].to_numpy() == r["event_time"].to_numpy()).all()
    for col in ("estimate", "conf_low", "conf_high"):
        np.testing.assert_allclose(got[col], r[col], rtol=LS_RTOL, atol=ABS, err_msg=col)
    np.testing.assert_allclose(got["std_error"], r["std_error"], rtol=LS_RTOL)
    assert res.n_obs == r["n_obs"].iloc[0] and res.extra["ssc"]["K"] == r["k_nested"].iloc[0]


# --------------------------------------------------------------------------------------
# PPML
# --------------------------------------------------------------------------------------

PPML_CASES = {
    "counts_offset_logpop_cl_state": {"cluster": "state", "exposure": "pop"},
    "counts_no_offset_cl_unit": {},
    "counts_offset_pop_weighted_cl_state": {
        "cluster": "state",
        "exposure": "pop",
        "weights": "pop",
    },
}


@pytest.mark.parametrize("case", sorted(PPML_CASES))
def test_ppml_matches_r_glm_quasipoisson(panel, case):
    r = _case(_read("ppml_r.csv"), case).loc["treated"]
    res = _quiet(ppml, panel, "crimes", "unit", "year", "first_treat", **PPML_CASES[case])
    assert res.estimate == pytest.approx(r["estimate"], rel=PPML_RTOL_EST)
    assert res.std_error == pytest.approx(r["std_error"], rel=PPML_RTOL_SE)
    t = res.table.iloc[0]
    assert t["conf_low"] == pytest.approx(r["conf_low"], rel=PPML_RTOL_SE)
    assert t["conf_high"] == pytest.approx(r["conf_high"], rel=PPML_RTOL_SE, abs=ABS)
    assert res.n_obs == r["n_obs"]


# --------------------------------------------------------------------------------------
# Sun & Abraham, BJS imputation
# --------------------------------------------------------------------------------------

SA_CASES = {
    "rate_unweighted_cl_state_ref-1": ("rate", {"cluster": "state"}),
    "lograte_pop_weighted_cl_unit_ref-1": ("log_rate", {"weights": "pop"}),
}


@pytest.mark.parametrize("case", sorted(SA_CASES))
def test_sun_abraham_matches_r_interacted_lm(panel, case):
    r = _case(_read("sun_abraham_r.csv"), case)
    y, kw = SA_CASES[case]
    ref = int(r["reference"].iloc[0])
    res = _quiet(sun_abraham, panel, y, "unit", "year", "first_treat", reference=ref, **kw)
    tab = res.table.set_index("term")
    assert sorted(tab.index) == sorted([*r.index, f"e{ref}"])
    got = tab.loc[r.index]
    for col in ("estimate", "conf_low", "conf_high"):
        np.testing.assert_allclose(got[col], r[col], rtol=LS_RTOL, atol=ABS, err_msg=col)
    np.testing.assert_allclose(got["std_error"], r["std_error"], rtol=LS_RTOL)


IMP_CASES = {
    "rate_unweighted_cl_state": ("rate", {"cluster": "state"}),
    "lograte_pop_weighted_cl_unit": ("log_rate", {"weights": "pop"}),
}


@pytest.mark.parametrize("case", sorted(IMP_CASES))
def test_imputation_matches_r_untreated_lm_and_bjs_variance(panel, case):
    r = _case(_read("imputation_r.csv"), case)
    y, kw = IMP_CASES[case]
    horizons = sorted(int(t[1:]) for t in r.index if t.startswith("e"))
    res = _quiet(
        imputation, panel, y, "unit", "year", "first_treat", static=True, horizons=horizons, **kw
    )
    tab = res.table.set_index("term")
    assert sorted(tab.index) == sorted(r.index)
    got = tab.loc[r.index]
    np.testing.assert_allclose(got["estimate"], r["estimate"], rtol=LS_RTOL, atol=ABS)
    np.testing.assert_allclose(got["std_error"], r["std_error"], rtol=LS_RTOL)


# --------------------------------------------------------------------------------------
# Callaway-Sant'Anna
# --------------------------------------------------------------------------------------

CS_CASES = {
    "rate_never_treated": ("rate", {"control_group": "never_treated"}),
    "rate_not_yet_treated": ("rate", {"control_group": "not_yet_treated"}),
    "lograte_not_yet_treated_pop_weighted": (
        "log_rate",
        {"control_group": "not_yet_treated", "weights": "pop"},
    ),
    "rate_never_treated_pop_weighted": (
        "rate",
        {"control_group": "never_treated", "weights": "pop"},
    ),
}


@pytest.mark.parametrize("case", sorted(CS_CASES))
def test_callaway_santanna_matches_r_did_formulas(panel, case):
    y, kw = CS_CASES[case]
    res = _quiet(callaway_santanna, panel, y, "unit", "year", "first_treat", **kw)
    r_gt = _read("cs_att_gt_r.csv")
    r_gt = r_gt.loc[r_gt["case"] == case].sort_values(["group", "time"]).reset_index(drop=True)
    gt = res.extra["att_gt"].sort_values(["group", "time"]).reset_index(drop=True)
    assert len(r_gt) and len(gt) == len(r_gt)
    for col in ("group", "time", "base", "n_treated", "n_control"):
        assert (gt[col].to_numpy() == r_gt[col].to_numpy()).all(), col
    np.testing.assert_allclose(gt["estimate"], r_gt["estimate"], rtol=LS_RTOL, atol=ABS)
    np.testing.assert_allclose(gt["std_error"], r_gt["std_error"], rtol=LS_RTOL)

    r = _case(_read("cs_aggregate_r.csv"), case)
    tab = res.table.set_index("term")
    assert sorted(tab.index) == sorted(r.index)
    got = tab.loc[r.index]
    np.testing.assert_allclose(got["estimate"], r["estimate"], rtol=LS_RTOL, atol=ABS)
    # analytic influence-function SEs, unclustered (R did with bstrap = FALSE)
    np.testing.assert_allclose(got["std_error"], r["std_error"], rtol=LS_RTOL)
