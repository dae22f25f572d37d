"""Multiverse analysis: every combination of the choices a study leaves open, and a specification curve.

:func:`spec_grid` lists the combinations of the open choices
(:data:`CHOICES`: coverage rule, weights, control group, trends, estimator,
outcome transform), marking combinations that do not make sense (e.g. county
trends with an estimator that has none) instead of silently dropping them.
:func:`prepare_spec_data` applies one specification's data choices
(DataFrame -> DataFrame, with the rows it drops counted), :func:`run_spec`
estimates it, and :func:`run_multiverse` runs the whole grid through joblib
with a progress bar. The same call scales from a laptop's cores to a Dask
cluster by switching joblib's backend::

    from dask.distributed import Client
    import joblib
    client = Client(...)                      # a LocalCluster or a real cluster
    with joblib.parallel_config(backend="dask"):
        results = run_multiverse(panel, grid, ...)

(or pass ``backend="dask"``). :func:`enforcement_crime.plots.spec_curve_plot`
draws the sorted estimates with their intervals above a panel marking each
specification's choices; :func:`by_choice` tabulates which choices move the
estimate.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping
from time import perf_counter

import numpy as np
import pandas as pd

from enforcement_crime.designs.base import NotEstimable, StudySample, headline, run
from enforcement_crime.estimators import callaway_santanna, imputation, twfe
from enforcement_crime.results import EstimationResult

__all__ = [
    "CHOICES",
    "COVERAGE_RULES",
    "spec_grid",
    "prepare_spec_data",
    "run_spec",
    "run_multiverse",
    "run_design",
    "by_choice",
]

COVERAGE_RULES: dict[str, str] = {
    "all_reported": "every county-year with a reported outcome",
    "coverage_ge_90": "county-years whose coverage indicator is at least 90",
    "full_coverage": "county-years with coverage 100 (every agency, 12 months)",
}

CHOICES: dict[str, tuple[str, ...]] = {
    "coverage_rule": tuple(COVERAGE_RULES),
    "weights": ("population", "none"),
    "control_group": ("not_yet_treated", "never_treated", "last_cohort"),
    "trends": ("none", "unit_linear"),
    "estimator": ("twfe", "callaway_santanna", "imputation"),
    "outcome_transform": ("level", "log"),
}

# the estimator option of the grid -> the function (no name lookup elsewhere)
ESTIMATORS: dict[str, Callable[..., EstimationResult]] = {
    "twfe": twfe,
    "callaway_santanna": callaway_santanna,
    "imputation": imputation,
}

# estimators that accept unit-specific linear trends
_TRENDS_OK = {"twfe"}


def spec_grid(choices: Mapping[str, Iterable[str]] | None = None, *, has_never_treated: bool = True,
              drop_not_applicable: bool = True) -> pd.DataFrame:  # fmt: skip
    """Every combination of the open choices, with a note on the ones that do not apply.

    Parameters
    ----------
    choices : mapping, optional
        Choice name -> options; names not given take every option of
        :data:`CHOICES`. Pass one-element tuples to fix a choice.
    has_never_treated : bool
        False for designs without never-treated units (Secure Communities):
        ``control_group="never_treated"`` is then not applicable.
    drop_not_applicable : bool
        Drop the combinations that do not apply (default) or keep them with
        ``applicable=False`` and the reason.

    Returns
    -------
    pandas.DataFrame
        One row per specification: ``spec_id`` and one column per choice,
        plus ``applicable`` and ``why_not``.
    """
    merged = {k: tuple(v) for k, v in CHOICES.items()}
    for k, v in (choices or {}).items():
        if k not in CHOICES:
            raise KeyError(f"unknown choice {k!r}; choices are {list(CHOICES)}")
        bad = [o for o in v if o not in CHOICES[k]]
        if bad:
            raise ValueError(f"choice {k!r}: unknown option(s) {bad}; options are {CHOICES[k]}")
        merged[k] = tuple(v)
    rows = [dict(zip(merged, combo, strict=True)) for combo in itertools.product(*merged.values())]
    grid = pd.DataFrame(rows)
    why = pd.Series("", index=grid.index, dtype="object")
    why[(grid["trends"] != "none") & ~grid["estimator"].isin(_TRENDS_OK)] = (
        "unit trends only with twfe"
    )
    if not has_never_treated:
        why[grid["control_group"] == "never_treated"] = "no never-treated units in this design"
    # TWFE and imputation use every untreated observation; their control group is a sample choice only
    # ("last_cohort" truncates the panel); never/not-yet are the same regression for them
    same = grid["estimator"].isin(["twfe", "imputation"]) & (
        grid["control_group"] == "never_treated"
    )
    if "not_yet_treated" in merged["control_group"]:
        why[same & (why == "")] = "same as not_yet_treated for this estimator"
    grid["applicable"] = why == ""
    grid["why_not"] = why
    if drop_not_applicable:
        grid = grid[grid["applicable"]]
    grid = grid.reset_index(drop=True)
    grid.insert(0, "spec_id", np.arange(len(grid)))
    return grid


def prepare_spec_data(
    panel: pd.DataFrame,
    spec: Mapping[str, str],
    *,
    outcome: str,
    cohort: str,
    time: str = "year",
    coverage: str = "coverage",
) -> tuple[pd.DataFrame, str, dict[str, int]]:
    """Apply one specification's data choices (coverage rule, control-group sample, outcome transform).

    Parameters
    ----------
    panel : pandas.DataFrame
        Long panel with ``outcome``, ``cohort`` (0 = never treated),
        ``time`` and ``coverage`` columns.
    spec : mapping
        A row of :func:`spec_grid`.
    outcome, cohort, time, coverage : str
        Column names.

    Returns
    -------
    data : pandas.DataFrame
        The sample, with the analysed outcome in column ``"y_spec"`` and the
        cohort in ``"cohort_spec"``.
    outcome : str
        ``"y_spec"``.
    dropped : dict
        Reason -> rows dropped (every dropped row is counted).

    Notes
    -----
    ``outcome_transform="log"`` uses :math:`\\log(1 + y)` so that county-years
    with zero crimes stay in the sample (a documented choice; for rates per
    100,000 above about 50 it is within 2% of :math:`\\log y`).
    ``control_group="last_cohort"`` keeps the periods before the last cohort's
    adoption and recodes the last cohort as never treated.
    """
    df = panel.copy()
    dropped: dict[str, int] = {}
    rule = spec.get("coverage_rule", "all_reported")
    if rule not in COVERAGE_RULES:
        raise ValueError(f"unknown coverage_rule {rule!r}; options are {list(COVERAGE_RULES)}")
    if rule != "all_reported":
        if coverage not in df.columns:
            raise KeyError(f"coverage rule {rule!r} needs a {coverage!r} column")
        cov = df[coverage].astype("float64")
        unknown = cov.isna()
        if unknown.any():
            dropped[f"coverage unknown ({rule})"] = int(unknown.sum())
        keep = cov >= (90.0 if rule == "coverage_ge_90" else 100.0)
        dropped[f"coverage below threshold ({rule})"] = int((~keep & ~unknown).sum())
        df = df[keep.fillna(False).to_numpy()]
    y = df[outcome].astype("float64")
    if spec.get("outcome_transform", "level") == "log":
        if (y < 0).any():
            raise ValueError(f"log transform: {outcome!r} has negative values")
        y = np.log1p(y)
    df["y_spec"] = y
    c = df[cohort].astype("Float64").fillna(0).astype("int64")
    if spec.get("control_group") == "last_cohort" and len(df):
        last = int(c.max())
        if last <= 0:
            raise ValueError("control_group='last_cohort' needs at least one treated cohort")
        late = df[time] >= last
        dropped[f"periods from the last cohort's adoption ({last}) on"] = int(late.sum())
        df = df[~late.to_numpy()]
        c = c[~late.to_numpy()]
        c = c.where(c != last, 0)
    df["cohort_spec"] = c.to_numpy()
    return df, "y_spec", dropped


def run_spec(
    panel: pd.DataFrame,
    spec: Mapping[str, str],
    *,
    outcome: str,
    cohort: str,
    unit: str = "fips",
    time: str = "year",
    weights: str = "population",
    cluster: str | None = "state",
    coverage: str = "coverage",
    estimator_kwargs: Mapping[str, Mapping[str, object]] | None = None,
    tolerate_input_error: bool = False,
) -> dict:
    """Estimate one specification; returns a flat dict (the spec, the estimate, its interval, status).

    Estimators are the functions of :data:`ESTIMATORS` (an unknown name
    raises). The headline term is TWFE's static coefficient,
    Callaway-Sant'Anna's ``ATT(simple)`` and the imputation estimator's first
    static term. With ``tolerate_input_error``, an estimator that refuses the
    sample gives ``status="not estimable"`` and its message in ``note``.
    """
    start = perf_counter()
    row: dict[str, object] = dict(spec)
    data, y, dropped = prepare_spec_data(
        panel, spec, outcome=outcome, cohort=cohort, time=time, coverage=coverage
    )
    name = spec["estimator"]
    if name not in ESTIMATORS:
        raise ValueError(f"unknown estimator {name!r}; estimators are {sorted(ESTIMATORS)}")
    if data[y].notna().sum() == 0:
        why = "; ".join(f"{n} rows dropped: {r}" for r, n in dropped.items() if n)
        row.update(estimate=np.nan, std_error=np.nan, conf_low=np.nan, conf_high=np.nan, term=None, n_obs=0,
                   status="not estimable", note=f"no observation left ({why})", rows_dropped=int(sum(dropped.values())),
                   seconds=perf_counter() - start)  # fmt: skip
        return row
    kw: dict[str, object] = dict((estimator_kwargs or {}).get(name, {}))
    kw["weights"] = weights if spec.get("weights", "none") == "population" else None
    kw["cluster"] = cluster
    term = None
    if name == "twfe":
        kw["unit_trends"] = spec.get("trends", "none") == "unit_linear"
    elif name == "callaway_santanna":
        kw["control_group"] = (
            "never_treated"
            if spec.get("control_group") in ("never_treated", "last_cohort")
            else "not_yet_treated"
        )
        kw.setdefault("aggregation", "simple")
        term = "ATT(simple)"
    res = run(
        ESTIMATORS[name], data, y, unit, time, "cohort_spec", tolerate=tolerate_input_error, **kw
    )
    h = headline(res, None if isinstance(res, NotEstimable) else term)
    row.update(
        estimate=h["estimate"], std_error=h["std_error"], conf_low=h["conf_low"], conf_high=h["conf_high"],
        term=h["term"], n_obs=(None if isinstance(res, NotEstimable) else res.n_obs),
        status=("not estimable" if isinstance(res, NotEstimable) else "ok"),
        note=h["note"] or "; ".join(f"{n} rows dropped: {why}" for why, n in dropped.items() if n),
        rows_dropped=int(sum(dropped.values())), seconds=perf_counter() - start,
    )  # fmt: skip
    return row


def run_multiverse(
    panel: pd.DataFrame,
    grid: pd.DataFrame,
    *,
    outcome: str,
    cohort: str,
    unit: str = "fips",
    time: str = "year",
    weights: str = "population",
    cluster: str | None = "state",
    coverage: str = "coverage",
    fit: Callable[..., dict] = run_spec,
    n_jobs: int = 2,
    backend: str | None = None,
    progress: bool = True,
    estimator_kwargs: Mapping[str, Mapping[str, object]] | None = None,
    tolerate_input_error: bool = False,
) -> pd.DataFrame:
    """Run every specification of ``grid`` through joblib, with a progress bar.

    Parameters
    ----------
    panel : pandas.DataFrame
        The study panel (only the needed columns are shipped to workers).
    grid : pandas.DataFrame
        From :func:`spec_grid`.
    outcome, cohort, unit, time, weights, cluster, coverage : str
        Column names (``weights`` is used by specifications with
        ``weights="population"``).
    fit : callable
        ``fit(panel, spec, **columns)`` -> dict; default :func:`run_spec`.
    n_jobs : int
        joblib workers (ignored by the Dask backend, which uses the cluster).
    backend : str, optional
        A joblib backend (``"loky"``, ``"threading"``, ``"dask"``, ...). None
        uses the active ``joblib.parallel_config`` (loky by default).
    progress : bool
        Show a tqdm progress bar.
    tolerate_input_error : bool
        Passed to :func:`run_spec`.

    Returns
    -------
    pandas.DataFrame
        One row per specification (in ``spec_id`` order): the choices, the
        estimate, interval, status, note and seconds.
    """
    import contextlib

    import joblib
    from tqdm.auto import tqdm

    cols = [
        c
        for c in dict.fromkeys([unit, time, outcome, cohort, weights, cluster, coverage])
        if c and c in panel.columns
    ]
    slim = panel[cols].copy()
    kw = dict(outcome=outcome, cohort=cohort, unit=unit, time=time, weights=weights, cluster=cluster,
              coverage=coverage, estimator_kwargs=estimator_kwargs, tolerate_input_error=tolerate_input_error)  # fmt: skip
    specs = [row._asdict() for row in grid.itertuples(index=False)]
    ctx = joblib.parallel_config(backend=backend) if backend else contextlib.nullcontext()
    out = []
    with ctx:
        par = joblib.Parallel(n_jobs=n_jobs, return_as="generator")
        jobs = (joblib.delayed(fit)(slim, spec, **kw) for spec in specs)
        for row in tqdm(par(jobs), total=len(specs), desc="specifications", disable=not progress):
            out.append(row)
    res = pd.DataFrame(out)
    return res.sort_values("spec_id").reset_index(drop=True) if "spec_id" in res else res


def run_design(sample: StudySample, grid: pd.DataFrame, *, outcome: str, **kwargs) -> pd.DataFrame:
    """:func:`run_multiverse` with the columns of a study design (unit, time, cohort, weights, clusters).

    ``sample`` is a design opened on a panel (:meth:`enforcement_crime.designs.Design.open`);
    estimator refusals are reported (``status="not estimable"``) on real
    panels and raised on the synthetic one, as in the study notebooks.
    ``kwargs`` go to :func:`run_multiverse` (``n_jobs``, ``backend``, ...).
    """
    d = sample.design
    return run_multiverse(sample.data, grid, outcome=outcome, cohort=d.treatment.cohort, unit=d.unit,
                          time=d.time, weights=d.weights, cluster=d.cluster,
                          tolerate_input_error=sample.tolerate, **kwargs)  # fmt: skip


def by_choice(results: pd.DataFrame, *, transform: str = "level") -> pd.DataFrame:
    """Which choices move the estimate: by option of each choice, the specs, mean, range and share significant.

    Parameters
    ----------
    results : pandas.DataFrame
        From :func:`run_multiverse` (status ``"ok"`` rows are used).
    transform : str
        The outcome transform to summarise (estimates in levels and logs are
        on different scales and are never pooled).

    Returns
    -------
    pandas.DataFrame
        ``choice``, ``option``, ``specs``, ``mean_estimate``, ``min_estimate``,
        ``max_estimate`` and ``share_excluding_zero`` (share of the option's
        specifications whose interval excludes 0).
    """
    lv = results[(results["outcome_transform"] == transform) & (results["status"] == "ok")].copy()
    lv["excludes_zero"] = (lv["conf_low"] > 0) | (lv["conf_high"] < 0)
    frames = []
    for c in CHOICES:
        if c == "outcome_transform" or c not in lv.columns:
            continue
        g = lv.groupby(c).agg(specs=("estimate", "size"), mean_estimate=("estimate", "mean"),
                              min_estimate=("estimate", "min"), max_estimate=("estimate", "max"),
                              share_excluding_zero=("excludes_zero", "mean"))  # fmt: skip
        frames.append(g.reset_index().rename(columns={c: "option"}).assign(choice=c))
    cols = [
        "choice",
        "option",
        "specs",
        "mean_estimate",
        "min_estimate",
        "max_estimate",
        "share_excluding_zero",
    ]
    return pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)
