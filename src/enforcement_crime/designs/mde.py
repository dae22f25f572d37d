"""Minimum detectable effect of a design on its sample, by placebo adoption dates."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from enforcement_crime.designs.base import NotEstimable, StudySample, run
from enforcement_crime.estimators import minimum_detectable_effect, placebo_calibrated_mde
from enforcement_crime.estimators.power import percent_of_mean

__all__ = ["design_mde", "mde_table"]


def design_mde(
    sample: StudySample,
    outcome: str,
    *,
    data: pd.DataFrame | None = None,
    unit: str | None = None,
    cluster: str | None = None,
    n_sim: int = 200,
    seed: int = 0,
    power: float = 0.8,
    transform: str | None = None,
) -> dict:
    """Minimum detectable effect of the design's TWFE on this sample, by placebo adoption dates.

    On the design's headline scale unless ``transform`` ("log"/"level") says
    otherwise (log points for log(1 + rate)).

    Calls :func:`~enforcement_crime.estimators.minimum_detectable_effect`
    (placebo permutations of whole adoption dates, analytic t-test) with the
    design's unit, time, cohort, weights and clusters (``data``, ``unit`` and
    ``cluster`` override them, e.g. for a sub-sample); when power never
    reaches the target it widens the effect grid (up to three times, to three
    times the largest effect tried). Adds
    :func:`~enforcement_crime.estimators.placebo_calibrated_mde` on the same
    placebo draws (a test whose size is the level by construction).

    Returns
    -------
    dict
        ``mde`` (simulated, analytic t-test), ``mde_analytic`` ((z + z) x
        median placebo SE), ``mde_calibrated`` (placebo-calibrated test),
        ``size`` (the t-test's rejection rate under placebo dates), ``n_sim``,
        ``curve`` (effect, power_t_test), ``curve_calibrated`` and ``result``
        (the EstimationResult, or :class:`NotEstimable` on a real panel the
        estimator refuses).
    """
    d = sample.design
    df = sample.data if data is None else data
    if (
        "partial_year" in df.columns
    ):  # the partly treated adoption year is no control (designs.base)
        df = df[~df["partial_year"].to_numpy(dtype=bool)]
    kw = dict(weights=d.weights, cluster=d.cluster if cluster is None else cluster, n_sim=n_sim,
              seed=seed, alpha=d.alpha, power=power)  # fmt: skip
    args = (df, d.column(outcome, transform), unit or d.unit, d.time, d.treatment.cohort)
    res = run(minimum_detectable_effect, *args, tolerate=sample.tolerate, **kw)
    if isinstance(res, NotEstimable):
        return {"mde": math.nan, "mde_analytic": math.nan, "mde_calibrated": math.nan, "size": math.nan,
                "n_sim": 0, "curve": pd.DataFrame(), "curve_calibrated": pd.DataFrame(), "result": res}  # fmt: skip
    for _ in range(3):
        if np.isfinite(float(res.term("MDE")["estimate"])):
            break
        top = float(res.extra["power_curve"]["effect"].max())
        res = run(minimum_detectable_effect, *args, tolerate=sample.tolerate,
                  effects=list(np.linspace(0, 3 * top, 41)), **kw)  # fmt: skip
    calibrated, curve_c = placebo_calibrated_mde(
        res.extra["placebo_estimates"], alpha=d.alpha, power=power
    )
    curve = res.extra["power_curve"].rename(columns={"power": "power_t_test"})
    return {
        "mde": float(res.term("MDE")["estimate"]),
        "mde_analytic": float(res.term("MDE(analytic)")["estimate"]),
        "mde_calibrated": calibrated,
        "size": float(res.extra["size"]),
        "n_sim": int(res.extra["n_sim"]),
        "curve": curve,
        "curve_calibrated": curve_c,
        "result": res,
    }


def mde_table(
    samples: dict[str, StudySample],
    outcomes: list[str],
    *,
    n_sim: int = 200,
    seed: int = 0,
    power: float = 0.8,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Minimum detectable effects of several designs side by side, also in percent of the mean outcome.

    Parameters
    ----------
    samples : mapping of label -> StudySample
        Each design opened on its panel.
    outcomes : list of str
        Outcomes (every design's sample must have them).

    Returns
    -------
    table : pandas.DataFrame
        One row per design and outcome: ``units``, ``cluster``, the three MDEs
        (t-test, placebo-calibrated, analytic), the t-test's size under the
        placebo dates, the population-weighted mean outcome and the calibrated
        MDE in percent of it. Designs the estimator refuses on a real panel
        are printed and left out.
    curves : pandas.DataFrame
        The calibrated power curves (effects >= 0) with ``pct_of_mean``.
    """
    rows, curves = [], []
    for name, sample in samples.items():
        d, df = sample.design, sample.data
        for outcome in outcomes:
            r = design_mde(sample, outcome, n_sim=n_sim, seed=seed, power=power)
            if isinstance(r["result"], NotEstimable):
                print(f"{name}, {outcome}: {r['result']}")
                continue
            w = df.loc[df[outcome].notna(), d.weights]
            mean_y = float((df[outcome] * df[d.weights]).sum() / w.sum())
            rows.append({"design": name, "outcome": outcome, "units": df[d.unit].nunique(), "cluster": d.cluster,
                         "mde_t_test": r["mde"], "mde_calibrated": r["mde_calibrated"],
                         "mde_analytic": r["mde_analytic"], "t_test_size_under_placebo": r["size"],
                         "weighted_mean_outcome": mean_y,
                         "mde_calibrated_pct_of_mean": percent_of_mean(r["mde_calibrated"], mean_y, d.transform),
                         "n_sim": r["n_sim"]})  # fmt: skip
            c = r["curve_calibrated"]
            c = c[c["effect"] >= 0].assign(design=name, outcome=outcome)
            curves.append(c.assign(pct_of_mean=percent_of_mean(c["effect"], mean_y, d.transform)))
    curve = pd.concat(curves, ignore_index=True) if curves else pd.DataFrame()
    return pd.DataFrame(rows), curve
