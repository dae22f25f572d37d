"""Run several DiD estimators on the same sample and stack their headline ATT into one table."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Mapping

import numpy as np
import pandas as pd

from enforcement_crime.estimators._inputs import EstimatorInputError, prepare_panel

__all__ = ["compare_estimators", "ESTIMANDS"]

#: estimator -> (module, headline term, what that number estimates)
ESTIMANDS: dict[str, tuple[str, str, str]] = {
    "twfe": (
        "twfe",
        "treated",
        "static TWFE coefficient: variance-weighted average of all 2x2 DiDs, including already-treated "
        "controls; equals the ATT only when effects are homogeneous",
    ),
    "sun_abraham": (
        "sun_abraham",
        "ATT",
        "mean of CATT(g,e) over post-treatment cells weighted by cell size (= ATT over treated "
        "observations); control: never treated (else last treated)",
    ),
    "callaway_santanna": (
        "callaway_santanna",
        "ATT(simple)",
        "ATT(g,t) over post periods weighted by cohort size (= ATT over treated observations "
        "in a balanced panel); control group as chosen (default never treated)",
    ),
    "imputation": (
        "imputation",
        "ATT",
        "Borusyak-Jaravel-Spiess: mean of imputed effects over all treated observations (weights if "
        "given); controls: all untreated observations",
    ),
    "two_stage": (
        "imputation",
        "ATT",
        "Gardner two-stage: same estimand as imputation (treated-observation ATT)",
    ),
}

COLUMNS = [
    "estimator",
    "term",
    "estimate",
    "std_error",
    "conf_low",
    "conf_high",
    "n_obs",
    "n_clusters",
    "estimand",
    "notes",
    "error",
]


_POSITIONAL = ("data", "outcome", "unit", "time", "cohort")


def _estimator_function(name: str):
    module = ESTIMANDS[name][0]
    return getattr(importlib.import_module(f"enforcement_crime.estimators.{module}"), name)


def _check_options(name: str, opts) -> None:
    """Refuse per-estimator options the estimator does not accept (before anything runs)."""
    if not isinstance(opts, Mapping):
        raise TypeError(
            f"compare_estimators: {name}= must be a dict of keyword arguments for {name}, "
            f"got {type(opts).__name__}"
        )
    params = inspect.signature(_estimator_function(name)).parameters
    accepted = [k for k in params if k not in _POSITIONAL]
    bad = [k for k in opts if k not in accepted]
    if bad:
        raise TypeError(
            f"compare_estimators: {name} does not accept option(s) {bad}; its options are {accepted}"
        )


def compare_estimators(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    *,
    weights: str | None = None,
    cluster: str | None = None,
    controls: list[str] | None = None,
    estimators: tuple[str, ...] | list[str] = (
        "twfe",
        "sun_abraham",
        "callaway_santanna",
        "imputation",
    ),
    alpha: float = 0.05,
    raise_errors: bool = False,
    **options: dict,
) -> pd.DataFrame:
    """Headline (static / overall) ATT of several estimators on the same sample, in one table.

    Parameters
    ----------
    data, outcome, unit, time, cohort : DataFrame and str
        Long panel; ``cohort`` = first treated period, 0/missing = never.
    weights, cluster, controls : optional
        Passed identically to every estimator.
    estimators : sequence of str
        Names from :data:`ESTIMANDS` (``"twfe"``, ``"sun_abraham"``,
        ``"callaway_santanna"``, ``"imputation"``, ``"two_stage"``).
    alpha : float
        1 - confidence level for every interval.
    raise_errors : bool
        False (default): an estimator that fails gets a row with NaN numbers
        and its error message in column ``error``; True: the error is raised.
    **options : dict
        Per-estimator keyword arguments keyed by estimator name, e.g.
        ``callaway_santanna={"control_group": "not_yet_treated"}``. Options
        for an estimator not requested raise :class:`EstimatorInputError`; an
        option the estimator does not accept raises ``TypeError`` naming it,
        before any estimator runs (even with ``raise_errors=False``).

    Returns
    -------
    pandas.DataFrame
        One row per estimator: ``estimator``, ``term`` (the row taken from
        its result), ``estimate``, ``std_error``, ``conf_low``, ``conf_high``,
        ``n_obs``, ``n_clusters``, ``estimand`` (what the number estimates),
        ``notes`` (the estimator's conventions), ``error``. ``attrs["results"]``
        holds the full :class:`~enforcement_crime.results.EstimationResult`
        of each and ``attrs["sample"]`` what was dropped to form the common
        sample.

    Notes
    -----
    The common sample is formed once: rows with a missing outcome, weight,
    cluster or control are dropped (counted in ``attrs["sample"]``) before
    any estimator sees the data, so differences between rows come from the
    estimators, not from their missing-value handling. Estimators may still
    restrict the sample further by design (e.g. Sun-Abraham with a
    last-treated control drops the periods after its adoption); ``n_obs``
    shows it. The estimands differ (column ``estimand``): under homogeneous
    effects all coincide; under heterogeneous dynamic effects TWFE departs
    from the others (see :func:`~enforcement_crime.estimators.bacon_decomposition`).
    """
    not_names = sorted(set(options) - set(ESTIMANDS))
    if not_names:
        raise TypeError(
            f"compare_estimators() got unexpected keyword argument(s) {not_names}: extra keywords "
            f"must be estimator names from {list(ESTIMANDS)} with a dict of options"
        )
    unknown = set(options) - set(estimators)
    if unknown:
        raise EstimatorInputError(
            f"options given for estimators not requested: {sorted(unknown)}; requested {list(estimators)}"
        )
    bad = [e for e in estimators if e not in ESTIMANDS]
    if bad:
        raise EstimatorInputError(f"unknown estimator(s) {bad}; choose from {list(ESTIMANDS)}")
    for name, opts in options.items():
        _check_options(name, opts)
    p = prepare_panel(
        data, outcome, unit, time, cohort, weights=weights, cluster=cluster, controls=controls
    )
    kept_cols = list(
        dict.fromkeys(
            c for c in [outcome, unit, time, cohort, weights, cluster, *(controls or [])] if c
        )
    )
    sample = p.data[kept_cols]
    rows, results = [], {}
    for name in estimators:
        module, term, estimand = ESTIMANDS[name]
        fn = _estimator_function(name)
        kw = {
            "weights": weights,
            "cluster": cluster,
            "controls": controls,
            "alpha": alpha,
            **options.get(name, {}),
        }
        try:
            res = fn(sample, outcome, unit, time, cohort, **kw)
        except Exception as err:  # noqa: BLE001 - reported in the table unless raise_errors
            if raise_errors:
                raise
            rows.append(
                {
                    "estimator": name,
                    "term": term,
                    "estimand": estimand,
                    "error": f"{type(err).__name__}: {err}",
                }
            )
            continue
        results[name] = res
        row = res.term(term)
        rows.append(
            {
                "estimator": name,
                "term": term,
                "estimate": row["estimate"],
                "std_error": row["std_error"],
                "conf_low": row["conf_low"],
                "conf_high": row["conf_high"],
                "n_obs": row["n_obs"],
                "n_clusters": row["n_clusters"],
                "estimand": estimand,
                "notes": res.notes,
                "error": "",
            }
        )
    out = pd.DataFrame(rows).reindex(columns=COLUMNS)
    for c in ("estimate", "std_error", "conf_low", "conf_high"):
        out[c] = out[c].astype("float64")
    out["n_obs"] = out["n_obs"].astype("Int64")
    out["n_clusters"] = out["n_clusters"].astype("Int64")
    out["error"] = out["error"].fillna("")
    out.attrs["results"] = results
    out.attrs["sample"] = {"n_obs": len(sample), "dropped": dict(p.dropped)}
    if np.all(out["error"] != ""):
        raise EstimatorInputError("every estimator failed:\n" + "\n".join(out["error"]))
    return out
