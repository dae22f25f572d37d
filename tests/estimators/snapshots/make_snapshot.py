"""Write ``estimators.json``: a SNAPSHOT of every public estimator's numbers on fixed inputs.

Run from the repository root (``PYTHONPATH=src python tests/estimators/snapshots/make_snapshot.py``)
to (re)write the snapshot. The inputs are SYNTHETIC DATA: a small staggered panel from
:func:`enforcement_crime.simulate.simulate_staggered` and a few Southern states of the built-in
synthetic county panel (:func:`enforcement_crime.synthetic.make_panel`).

This is not a validation: the stored numbers are the code's own output at the commit that wrote
them. ``tests/estimators/test_snapshot.py`` compares the current output with them, so a refactor
that moves a number fails loudly; a deliberate change of a number rewrites the file with this
script, and the commit says why.
"""

from __future__ import annotations

import json
import sys
import warnings
from collections.abc import Callable
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from enforcement_crime import estimators as est
from enforcement_crime.results import EstimationResult
from enforcement_crime.simulate import Effect, simulate_staggered
from enforcement_crime.synthetic import make_panel

OUT = Path(__file__).with_name("estimators.json")

#: arrays longer than this are stored as summaries (length, mean, s.d., min, max, first values)
MAX_ARRAY = 40


@cache
def small_panel() -> pd.DataFrame:
    """SYNTHETIC staggered panel: 90 units in 12 states, 2000-2011, effect 0.4 growing 0.1/year."""
    df = simulate_staggered(
        90,
        periods=(2000, 2011),
        cohorts={0: 0.4, 2004: 0.2, 2006: 0.2, 2008: 0.2},
        effect=Effect(att=0.4, dynamic_slope=0.1),
        n_states=12,
        state_shock_sd=0.3,
        rho=0.4,
        seed=11,
    )
    rng = np.random.default_rng(12)
    df["pop"] = rng.lognormal(0, 0.8, df["unit"].max() + 1)[df["unit"]]
    df["x"] = rng.normal(size=len(df)) + 0.1 * (df["time"] - 2000)
    df["d"] = ((df["cohort"] > 0) & (df["time"] >= df["cohort"])).astype(int)
    return df


@cache
def county_panel() -> pd.DataFrame:
    """SYNTHETIC county-year panel of six states; cohort = first 287(g) year (0 = never)."""
    p = make_panel(seed=7, preset="homogeneous")
    p = p[p["state"].isin(["NC", "SC", "GA", "VA", "TN", "AL"])].copy()
    start = pd.to_datetime(p["g287_start"]).dt.year
    p["cohort"] = start.fillna(0).astype(int)
    p["log_violent"] = np.log1p(p["violent_rate"])
    return p[
        ["fips", "year", "state", "population", "cohort", "log_violent", "hispanic_share"]
    ].reset_index(drop=True)


def _sp(**kw):
    """Call an estimator on the small panel."""
    return dict(data=small_panel(), outcome="y", unit="unit", time="time", cohort="cohort", **kw)


def _cp(**kw):
    """Call an estimator on the county panel."""
    return dict(
        data=county_panel(), outcome="log_violent", unit="fips", time="year", cohort="cohort", **kw
    )


def _event_study_small():
    return est.event_study(**_sp(cluster="state", window=(-4, 3)))


def cases() -> dict[str, Callable[[], EstimationResult]]:
    """Name -> zero-argument call of one public estimator with fixed inputs and seeds."""
    c = {
        "twfe": lambda: est.twfe(**_sp(cluster="state")),
        "twfe_weighted_controls": lambda: est.twfe(**_sp(cluster="state", weights="pop", controls=["x"])),
        "twfe_twoway_cluster": lambda: est.twfe(**_sp(cluster=("state", "unit"))),
        "twfe_county": lambda: est.twfe(**_cp(cluster="state", weights="population")),
        "event_study_wald": _event_study_small,
        "event_study_wild": lambda: est.event_study(
            **_sp(cluster="state", window=(-4, 3), pretrend_inference="wild_cluster",
                  n_boot=499, seed=3)
        ),
        "event_study_wild_rademacher_weighted": lambda: est.event_study(
            **_sp(cluster="state", weights="pop", controls=["x"], window=(-4, 3),
                  pretrend_inference="wild_cluster", n_boot=999, bootstrap_weights="rademacher",
                  seed=4)
        ),
        "event_study_county_wild": lambda: est.event_study(
            **_cp(cluster="state", window=(-3, 3), pretrend_inference="wild_cluster", n_boot=99,
                  seed=5)
        ),
        "wcb_auto": lambda: est.wild_cluster_bootstrap(**_sp(cluster="state", n_boot=999, seed=1)),
        "wcb_rademacher_enum": lambda: est.wild_cluster_bootstrap(
            **_sp(cluster="state", bootstrap_weights="rademacher", n_boot=9999, seed=1)
        ),
        "wcb_webb_weighted_controls": lambda: est.wild_cluster_bootstrap(
            **_sp(cluster="state", weights="pop", controls=["x"], bootstrap_weights="webb", n_boot=499,
                  seed=2)
        ),
        "wcb_unrestricted": lambda: est.wild_cluster_bootstrap(
            **_sp(cluster="state", impose_null=False, n_boot=499, seed=2)
        ),
        "wcb_treatment_column": lambda: est.wild_cluster_bootstrap(
            **_sp(cluster="state", treatment="d", n_boot=299, seed=6)
        ),
        "wcb_county": lambda: est.wild_cluster_bootstrap(
            **_cp(cluster="state", weights="population", n_boot=199, seed=8)
        ),
        "ri_twfe": lambda: est.randomization_inference(**_sp(n_perm=199, seed=4)),
        "ri_twfe_stratified": lambda: est.randomization_inference(
            **_sp(n_perm=99, seed=5, stratify="state", weights="pop")
        ),
        "ri_callable_cs": lambda: est.randomization_inference(
            **_sp(estimator=est.callaway_santanna, n_perm=19, seed=6)
        ),
        "cs_analytic": lambda: est.callaway_santanna(**_sp(cluster="state")),
        "cs_not_yet_universal": lambda: est.callaway_santanna(
            **_sp(control_group="not_yet_treated", base_period="universal", weights="pop")
        ),
        "cs_controls": lambda: est.callaway_santanna(**_sp(cluster="state", controls=["x"])),
        "cs_bootstrap": lambda: est.callaway_santanna(
            **_sp(cluster="state", inference="bootstrap", n_boot=199, seed=2)
        ),
        "cs_wild": lambda: est.callaway_santanna(
            **_sp(cluster="state", inference="wild_cluster", n_boot=499, seed=3)
        ),
        "cs_wild_rademacher_simple": lambda: est.callaway_santanna(
            **_sp(cluster="state", inference="wild_cluster", aggregation="simple", n_boot=9999,
                  bootstrap_weights="rademacher", weights="pop", seed=3)
        ),
        "cs_wild_unrestricted": lambda: est.callaway_santanna(
            **_sp(cluster="state", inference="wild_cluster", aggregation=("simple", "dynamic"),
                  impose_null=False, n_boot=299, seed=4)
        ),
        "cs_wild_controls": lambda: est.callaway_santanna(
            **_sp(cluster="state", inference="wild_cluster", aggregation="simple",
                  controls=["x"], n_boot=199, seed=5)
        ),
        "cs_wild_county": lambda: est.callaway_santanna(
            **_cp(cluster="state", inference="wild_cluster", aggregation="simple", n_boot=199,
                  seed=9)
        ),
        "sun_abraham": lambda: est.sun_abraham(**_sp(cluster="state")),
        "imputation": lambda: est.imputation(**_sp(cluster="state", horizons=[0, 1, 2], pretrends=2)),
        "two_stage": lambda: est.two_stage(**_sp(cluster="state", horizons=[0, 1, 2])),
        "dcdh": lambda: est.dcdh(
            small_panel(), "y", "unit", "time", "d", cluster="state", effects=2, placebos=1,
            n_boot=49, seed=1,
        ),
        "ppml": lambda: est.ppml(
            data=small_panel().assign(count=lambda d: np.round(np.exp(d["y"] / 2) * 5)),
            outcome="count", unit="unit", time="time", cohort="cohort", cluster="state",
        ),
        "bacon": lambda: est.bacon_decomposition(**_sp()),
        "honest_rm": lambda: est.honest_did(_event_study_small(), mbar_grid=[0.0, 0.5, 1.0]),
        "honest_sd": lambda: est.honest_did(
            _event_study_small(), method="smoothness", m_grid=[0.0, 0.05]
        ),
        "synthetic_control": lambda: est.synthetic_control(
            small_panel()[small_panel()["cohort"].isin([0, 2006])], "y", "unit", "time",
            treated_units=sorted(small_panel().loc[small_panel()["cohort"] == 2006, "unit"].unique())[:1],
            treatment_time=2006,
        ),
        "synthetic_did": lambda: est.synthetic_did(
            small_panel()[small_panel()["cohort"].isin([0, 2006])], "y", "unit", "time",
            treated_units=sorted(small_panel().loc[small_panel()["cohort"] == 2006, "unit"].unique()),
            treatment_time=2006, n_reps=20, seed=1,
        ),
    }  # fmt: skip
    return c


def _value(v):
    """A JSON-able, comparable form of one number, array or small table (None: not stored)."""
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, str):
        return v if len(v) <= 20 else None  # short labels (weight type, backend), not prose
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return float(v)
    if isinstance(v, (pd.Series, pd.DataFrame)):
        frame = v.to_frame() if isinstance(v, pd.Series) else v
        num = frame.select_dtypes("number")
        if num.empty or num.size > 400:
            return None
        return {str(k): _value(np.asarray(col, dtype="float64")) for k, col in num.items()}
    if isinstance(v, np.ndarray) and v.dtype.kind in "fiub" and v.ndim >= 1:
        a = v.astype("float64").ravel()
        if a.size <= MAX_ARRAY:
            return [float(x) for x in a]
        fin = a[np.isfinite(a)]
        return {
            "size": int(a.size),
            "n_finite": int(fin.size),
            "mean": float(fin.mean()) if fin.size else None,
            "sd": float(fin.std()) if fin.size else None,
            "min": float(fin.min()) if fin.size else None,
            "max": float(fin.max()) if fin.size else None,
            "head": [float(x) for x in a[:10]],
        }
    if isinstance(v, dict):
        out = {str(k): _value(x) for k, x in v.items()}
        return {k: x for k, x in out.items() if x is not None} or None
    return None


#: ``extra`` keys whose content is bookkeeping, not a number of the method
SKIP_EXTRA = {"dropped", "units", "clusters", "linearmodels_result", "influence", "boot_draws"}


def summarise(res: EstimationResult) -> dict:
    """The numbers of one result: its tidy table, ``n_obs``/``n_clusters`` and numeric ``extra``."""
    frame = res.to_frame()
    table = {
        col: [None if pd.isna(x) else float(x) for x in frame[col]]
        for col in ("estimate", "std_error", "conf_low", "conf_high")
    }
    table["term"] = [str(t) for t in frame["term"]]
    extra = {}
    for k, v in res.extra.items():
        if k in SKIP_EXTRA:
            continue
        val = _value(v)
        if val is not None:
            extra[str(k)] = val
    # the typed fields, stored under the keys they had in ``extra`` when the snapshot was written
    for key in ("p_value", "vcov"):
        val = _value(getattr(res, key))
        if val is not None:
            extra[key] = val
    pre = res.pretrend
    if pre is not None:
        stat_key = "statistic" if res.estimator == "imputation" else "stat"  # its old dict's key
        old = {stat_key: pre.statistic, "df": pre.df, "p_value": pre.p_value,
               "p_value_chi2": pre.p_value_chi2, "n_boot": pre.n_boot,
               "bootstrap_weights": pre.bootstrap_weights,
               "full_enumeration": pre.full_enumeration}  # fmt: skip
        extra["pretrend_test"] = {k: _value(v) for k, v in old.items() if v is not None}
    return {
        "estimator": res.estimator,
        "n_obs": None if res.n_obs is None else int(res.n_obs),
        "n_clusters": None if res.n_clusters is None else int(res.n_clusters),
        "table": table,
        "extra": extra,
    }


def run_all() -> dict:
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, call in cases().items():
            out[name] = summarise(call())
    return out


def main() -> int:
    snap = run_all()
    OUT.write_text(json.dumps(snap, indent=1, sort_keys=True, allow_nan=True) + "\n")
    print(f"wrote {OUT} ({len(snap)} cases)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
