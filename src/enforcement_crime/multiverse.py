"""Multiverse analysis: every combination of the choices a study leaves open, and a specification curve.

The choices (one column each in a grid and in the results):

* **data choices** that define a *sample*, :data:`SAMPLE_CHOICES`: the panel
  (``"cius_county"``, ``"cius_county_constant"``, ``"cius_sheriff"``, or
  ``"synthetic"``), the window (``"2004-2014"``: the design's ``years``) and
  the treatment coding (``treatment_rule``: first full year or share of year,
  :data:`enforcement_crime.treatment.EXPOSURE_RULES`). Each distinct sample
  is prepared once through the study design
  (``design.with_options(years=..., rule=...).prepare(panel)``);
* **estimation choices** run on a sample, :data:`CHOICES`: coverage rule,
  population weights, control group, unit-specific linear trends, controls
  (:data:`CONTROL_SETS`), estimator and outcome scale (level or
  :math:`\\log(1 + \\text{rate})`).

:func:`spec_grid` lists the combinations, marking those that do not make sense
(e.g. county trends with an estimator that has none) instead of silently
dropping them. :func:`prepare_spec_data` applies one specification's data
choices (DataFrame -> DataFrame, every dropped row counted), :func:`run_spec`
estimates it, and :func:`run_multiverse` (one panel), :func:`run_design` (one
opened design) and :func:`run_samples` (many panels, windows and codings)
run a grid through joblib with a progress bar. Work is sent in batches of
specifications that share their data choices (the prepared sample is reused
inside a batch); only the needed columns are shipped. The same call scales
from a laptop's cores to a Dask cluster by switching joblib's backend::

    from dask.distributed import Client
    import joblib
    client = Client(...)                      # a LocalCluster or a real cluster
    with joblib.parallel_config(backend="dask"):
        results = run_design(sample, grid, outcome="index_rate")

(or pass ``backend="dask"``). :func:`enforcement_crime.plots.spec_curve_plot`
draws the sorted estimates with their intervals above a panel marking each
specification's choices; :func:`by_choice` tabulates which choices move the
estimate (by option, and the paired change from switching one choice with all
others held fixed).
"""

from __future__ import annotations

import contextlib
import itertools
import re
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from time import perf_counter

import numpy as np
import pandas as pd

from enforcement_crime.designs.base import Design, NotEstimable, StudySample, headline, run
from enforcement_crime.designs.calls import partial_year_handling
from enforcement_crime.estimators import callaway_santanna, imputation, twfe
from enforcement_crime.results import EstimationResult
from enforcement_crime.treatment import EXPOSURE_RULES

__all__ = [
    "CHOICES",
    "SAMPLE_CHOICES",
    "ALL_CHOICES",
    "COVERAGE_RULES",
    "CONTROL_SETS",
    "RESEARCH_PANELS",
    "RESEARCH_WINDOWS",
    "research_choices",
    "window_label",
    "parse_window",
    "available_panels",
    "spec_grid",
    "prepare_spec_data",
    "run_spec",
    "run_multiverse",
    "run_design",
    "run_samples",
    "by_choice",
    "RESULT_COLUMNS",
]

COVERAGE_RULES: dict[str, str] = {
    "all_reported": "every county-year with a reported outcome",
    "coverage_ge_90": "county-years whose coverage indicator is at least 90",
    "full_coverage": "county-years with coverage 100 (every agency, 12 months)",
}

#: control sets: name -> covariate columns (``log_population`` = log of the ``population`` column,
#: computed here; time-varying for TWFE and imputation, base-period values for Callaway-Sant'Anna)
CONTROL_SETS: dict[str, tuple[str, ...]] = {
    "none": (),
    "log_population": ("log_population",),
}

#: estimation choices with a fixed list of options (the first option of each is its reference)
CHOICES: dict[str, tuple[str, ...]] = {
    "treatment_rule": EXPOSURE_RULES,
    "coverage_rule": tuple(COVERAGE_RULES),
    "weights": ("population", "none"),
    "control_group": ("not_yet_treated", "never_treated", "last_cohort"),
    "trends": ("none", "unit_linear"),
    "controls": tuple(CONTROL_SETS),
    "estimator": ("twfe", "callaway_santanna", "imputation"),
    "outcome_transform": ("level", "log"),
}

#: choices that change the sample (prepared once each, through the study design)
SAMPLE_CHOICES: tuple[str, ...] = ("panel", "window", "treatment_rule")

#: every choice column, in grid order
ALL_CHOICES: tuple[str, ...] = ("panel", "window", *CHOICES)

#: the real panels of the research-scale grid (issue 12 point 5): approximate county totals,
#: constant-composition counties, sheriff (county agency) panel
RESEARCH_PANELS: tuple[str, ...] = ("cius_county", "cius_county_constant", "cius_sheriff")

#: the research-scale windows: the design's 2004-2014, a later start, a longer end
RESEARCH_WINDOWS: tuple[str, ...] = ("2004-2014", "2006-2014", "2004-2016")

#: the columns of a result row besides the choices (``seconds`` is fit time, never exported)
RESULT_COLUMNS: tuple[str, ...] = (
    "estimate",
    "std_error",
    "conf_low",
    "conf_high",
    "term",
    "n_obs",
    "n_clusters",
    "first_year",
    "last_year",
    "rows_dropped",
    "status",
    "note",
    "seconds",
)

# the estimator option of the grid -> the function (no name lookup elsewhere)
ESTIMATORS: dict[str, Callable[..., EstimationResult]] = {
    "twfe": twfe,
    "callaway_santanna": callaway_santanna,
    "imputation": imputation,
}

# estimators that accept unit-specific linear trends
_TRENDS_OK = {"twfe"}

_WINDOW = re.compile(r"^\s*(\d{4})\s*-\s*(\d{4})\s*$")


def window_label(years: Sequence[int]) -> str:
    """``(2004, 2014)`` -> ``"2004-2014"`` (the form windows take in grids and results)."""
    a, b = (int(y) for y in years)
    return f"{a}-{b}"


def parse_window(window: str | Sequence[int]) -> tuple[int, int]:
    """``"2004-2014"`` (or ``(2004, 2014)``) -> ``(2004, 2014)``; anything else raises ``ValueError``."""
    if isinstance(window, str):
        m = _WINDOW.match(window)
        if not m:
            raise ValueError(f"window {window!r}: expected 'FIRST-LAST' years, e.g. '2004-2014'")
        a, b = int(m.group(1)), int(m.group(2))
    else:
        vals = tuple(window)
        if len(vals) != 2:
            raise ValueError(f"window {window!r}: expected (first, last) years")
        a, b = int(vals[0]), int(vals[1])
    if a > b:
        raise ValueError(f"window {window!r}: first year after last year")
    return a, b


def research_choices(panels: Sequence[str] = RESEARCH_PANELS) -> dict[str, tuple[str, ...]]:
    """The research-scale grid's choices on ``panels``.

    Panel x window (:data:`RESEARCH_WINDOWS`) x treatment coding (2) x
    coverage rule (3) x weights (2) x controls (none, log population) x
    estimator and trends (TWFE with and without county trends,
    Callaway-Sant'Anna, imputation) x scale (level, log): 96 specifications
    per (panel, window, coding) sample, 1,728 on the three research panels.
    The control group is the design's (not yet treated; every county is
    treated by 2013), so the grid has no last-cohort variant.
    """
    return {
        "panel": tuple(panels),
        "window": RESEARCH_WINDOWS,
        "treatment_rule": EXPOSURE_RULES,
        "coverage_rule": tuple(COVERAGE_RULES),
        "weights": ("population", "none"),
        "control_group": ("not_yet_treated",),
        "trends": ("none", "unit_linear"),
        "controls": ("none", "log_population"),
        "estimator": ("twfe", "callaway_santanna", "imputation"),
        "outcome_transform": ("level", "log"),
    }


def available_panels(names: Iterable[str]) -> tuple[list[str], list[str]]:
    """Split panel names into those that can be loaded and notes on the others.

    ``"synthetic"`` is always available; a real panel is available when its
    ``data/processed/<name>.parquet`` file exists.

    Returns
    -------
    available : list of str
    notes : list of str
        One sentence per skipped panel (what file is missing, how to build it).
    """
    from enforcement_crime import config

    have, notes = [], []
    for name in dict.fromkeys(names):
        if name == "synthetic" or (config.processed_dir() / f"{name}.parquet").is_file():
            have.append(name)
        else:
            notes.append(
                f"panel {name!r} skipped: {config.processed_dir() / (name + '.parquet')} is not built "
                f"(python -m enforcement_crime panels build {name})"
            )
    return have, notes


def spec_grid(choices: Mapping[str, Iterable] | None = None, *, has_never_treated: bool = True,
              drop_not_applicable: bool = True) -> pd.DataFrame:  # fmt: skip
    """Every combination of the open choices, with a note on the ones that do not apply.

    Parameters
    ----------
    choices : mapping, optional
        Choice name -> options. Names of :data:`CHOICES` not given take every
        option; ``"panel"`` (panel names) and ``"window"`` (``"FIRST-LAST"``
        strings or ``(first, last)`` pairs) are columns of the grid only when
        given. Pass one-element tuples to fix a choice.
    has_never_treated : bool
        False for designs without never-treated units (Secure Communities):
        ``control_group="never_treated"`` is then not applicable.
    drop_not_applicable : bool
        Drop the combinations that do not apply (default) or keep them with
        ``applicable=False`` and the reason.

    Returns
    -------
    pandas.DataFrame
        One row per specification: ``spec_id`` and one column per choice (in
        :data:`ALL_CHOICES` order), plus ``applicable`` and ``why_not``.

    Notes
    -----
    Not applicable: unit trends with an estimator other than TWFE; the
    never-treated control group without never-treated units; TWFE or
    imputation with never-treated controls when not-yet-treated is also in
    the grid (both use every untreated observation: the same regression).
    Panel, window, treatment coding and controls add no rule of their own.
    """
    choices = dict(choices or {})
    merged: dict[str, tuple] = {}
    for k in ALL_CHOICES:
        if k in CHOICES:
            merged[k] = tuple(CHOICES[k])
        if k in choices:
            merged[k] = tuple(choices[k])
    for k, v in choices.items():
        if k not in ALL_CHOICES:
            raise KeyError(f"unknown choice {k!r}; choices are {list(ALL_CHOICES)}")
        if not v:
            raise ValueError(f"choice {k!r}: no option given")
        if k in CHOICES:
            bad = [o for o in v if o not in CHOICES[k]]
            if bad:
                raise ValueError(f"choice {k!r}: unknown option(s) {bad}; options are {CHOICES[k]}")
    if "window" in merged:
        merged["window"] = tuple(window_label(parse_window(w)) for w in merged["window"])
    if "panel" in merged:
        bad = [p for p in merged["panel"] if not isinstance(p, str) or not p]
        if bad:
            raise ValueError(f"choice 'panel': panel names must be non-empty strings, got {bad}")
    for k, v in merged.items():
        if len(set(v)) != len(v):
            raise ValueError(f"choice {k!r}: repeated option(s) in {v}")
    rows = [dict(zip(merged, combo, strict=True)) for combo in itertools.product(*merged.values())]
    grid = pd.DataFrame(rows, columns=list(merged))
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


# --------------------------------------------------------------------------------------
# one specification
# --------------------------------------------------------------------------------------


def _data_key(spec: Mapping[str, object]) -> tuple:
    """The choices :func:`prepare_spec_data` depends on (specifications sharing them share a sample)."""
    return (
        spec.get("coverage_rule", "all_reported"),
        spec.get("control_group"),
        spec.get("outcome_transform", "level"),
        spec.get("controls", "none"),
    )


def prepare_spec_data(
    panel: pd.DataFrame,
    spec: Mapping[str, str],
    *,
    outcome: str,
    cohort: str,
    time: str = "year",
    coverage: str = "coverage",
    share: str | None = None,
    population: str = "population",
) -> tuple[pd.DataFrame, str, dict[str, int]]:
    """Apply one specification's data choices (coverage rule, controls, control-group sample, transform).

    Parameters
    ----------
    panel : pandas.DataFrame
        Long panel with ``outcome``, ``cohort`` (0 = never treated),
        ``time`` and ``coverage`` columns.
    spec : mapping
        A row of :func:`spec_grid`.
    outcome, cohort, time, coverage : str
        Column names.
    share : str, optional
        The share-of-year exposure column (``<prefix>_share``); with it,
        ``control_group="last_cohort"`` cuts the panel at the last cohort's
        first exposed year (its partly treated signing year under the
        first-full-year rule) rather than at its cohort year.
    population : str
        The population column ``controls="log_population"`` takes the log of.

    Returns
    -------
    data : pandas.DataFrame
        The sample, with the analysed outcome in column ``"y_spec"``, the
        cohort in ``"cohort_spec"`` and the control columns of the spec's
        :data:`CONTROL_SETS` entry.
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
    first exposure and recodes the last cohort as never treated.
    ``controls="log_population"`` adds :math:`\\log(\\text{population})`;
    rows without a positive population are dropped and counted.
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
    controls = spec.get("controls", "none")
    if controls not in CONTROL_SETS:
        raise ValueError(f"unknown controls {controls!r}; options are {list(CONTROL_SETS)}")
    if "log_population" in CONTROL_SETS[controls]:
        if population not in df.columns:
            raise KeyError(f"controls {controls!r} need a {population!r} column")
        pop = pd.to_numeric(df[population], errors="coerce").astype("float64")
        ok = (pop > 0).to_numpy()
        if (~ok).any():
            dropped[f"no positive {population} (controls {controls})"] = int((~ok).sum())
        df = df[ok]
        df["log_population"] = np.log(pop[ok].to_numpy())
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
        cut = last
        if share is not None and share in df.columns:
            exposed = (c == last).to_numpy() & (df[share].astype("float64") > 0).to_numpy()
            if exposed.any():
                cut = min(cut, int(df.loc[exposed, time].min()))
        late = (df[time] >= cut).to_numpy()
        dropped[f"periods from the last cohort's first exposure ({cut}) on"] = int(late.sum())
        df = df[~late]
        c = c[~late]
        c = c.where(c != last, 0)
    df["cohort_spec"] = c.to_numpy()
    return df, "y_spec", dropped


def _row(spec, start, **values) -> dict:
    row: dict[str, object] = dict(spec)
    row.update({k: values.get(k) for k in RESULT_COLUMNS})
    row["seconds"] = perf_counter() - start
    return row


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
    share: str | None = None,
    population: str = "population",
    estimator_kwargs: Mapping[str, Mapping[str, object]] | None = None,
    tolerate_input_error: bool = False,
    cache: dict | None = None,
) -> dict:
    """Estimate one specification; returns a flat dict (the spec, the estimate, its interval, status).

    Parameters
    ----------
    panel : pandas.DataFrame
        One sample (one panel, window and treatment coding).
    spec : mapping
        A row of :func:`spec_grid`.
    outcome, cohort, unit, time, weights, cluster, coverage, population : str
        Column names.
    share : str, optional
        The share-of-year exposure column. Needed when
        ``spec["treatment_rule"] == "share_of_year"``: TWFE then takes the
        share as its (continuous) treatment; Callaway-Sant'Anna and
        imputation take the cohort column, which the share-of-year coding
        sets to the signing year.
    estimator_kwargs : mapping, optional
        Estimator name -> extra keyword arguments.
    tolerate_input_error : bool
        An estimator that refuses the sample gives ``status="not estimable"``
        and its message in ``note`` (else it raises). Any other exception
        then gives ``status="error"`` with its type and message (a defect of
        the estimator to report; one failing cell does not stop a research
        run, and its row stays in the results). Without it, both raise.
    cache : dict, optional
        Prepared samples keyed by their data choices (reused across calls).

    Returns
    -------
    dict
        The spec's choices and :data:`RESULT_COLUMNS`: ``estimate``,
        ``std_error``, ``conf_low``, ``conf_high``, ``term``, ``n_obs``,
        ``n_clusters``, ``first_year``/``last_year`` of the estimation
        sample, ``rows_dropped`` (by the spec's data choices and the partial
        adoption year), ``status`` (``"ok"`` / ``"not estimable"`` /
        ``"error"``), ``note`` (the reason; else what was dropped and the
        estimator's warnings, e.g. few treated clusters, recorded rather than
        printed) and ``seconds``.

    Notes
    -----
    The headline term is TWFE's static coefficient, Callaway-Sant'Anna's
    ``ATT(simple)`` and the imputation estimator's overall ATT. A partly
    treated adoption year (column ``partial_year``, set by the design under
    the first-full-year rule) is kept out of the reference as the study
    designs do (:func:`enforcement_crime.designs.calls.partial_year_handling`:
    left out of TWFE and imputation, ``anticipation=1`` for
    Callaway-Sant'Anna).
    """
    start = perf_counter()
    name = spec["estimator"]
    if name not in ESTIMATORS:
        raise ValueError(f"unknown estimator {name!r}; estimators are {sorted(ESTIMATORS)}")
    rule = spec.get("treatment_rule")
    if rule is not None and rule not in EXPOSURE_RULES:
        raise ValueError(f"unknown treatment_rule {rule!r}; options are {list(EXPOSURE_RULES)}")
    continuous = rule == "share_of_year" and name == "twfe"
    if continuous and (share is None or share not in panel.columns):
        raise KeyError(
            f"treatment_rule 'share_of_year' with twfe needs the share-of-year column (share={share!r})"
        )
    key = _data_key(spec)
    if cache is not None and key in cache:
        data, y, dropped = cache[key]
    else:
        data, y, dropped = prepare_spec_data(panel, spec, outcome=outcome, cohort=cohort, time=time,
                                             coverage=coverage, share=share, population=population)  # fmt: skip
        if cache is not None:
            cache[key] = (data, y, dropped)
    dropped = dict(dropped)
    if data[y].notna().sum() == 0:
        why = "; ".join(f"{n} rows dropped: {r}" for r, n in dropped.items() if n)
        return _row(spec, start, n_obs=0, status="not estimable", note=f"no observation left ({why})",
                    rows_dropped=int(sum(dropped.values())), estimate=np.nan, std_error=np.nan,
                    conf_low=np.nan, conf_high=np.nan)  # fmt: skip
    kw: dict[str, object] = dict((estimator_kwargs or {}).get(name, {}))
    kw["weights"] = weights if spec.get("weights", "none") == "population" else None
    kw["cluster"] = cluster
    controls = list(CONTROL_SETS[spec.get("controls", "none")])
    if controls:
        kw["controls"] = controls
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
    est = ESTIMATORS[name]
    n_before = len(data)
    data, kw = partial_year_handling(est, data, kw)
    if len(data) < n_before:
        dropped["partly treated adoption year (first-full-year rule)"] = n_before - len(data)
    args = (data, y, unit, time) if continuous else (data, y, unit, time, "cohort_spec")
    if continuous:
        kw["treatment"] = share
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = run(est, *args, tolerate=tolerate_input_error, **kw)
    except Exception as err:  # noqa: BLE001 - real panels only: recorded as status "error", never dropped
        if not tolerate_input_error:
            raise
        return _row(spec, start, status="error", estimate=np.nan, std_error=np.nan, conf_low=np.nan,
                    conf_high=np.nan, rows_dropped=int(sum(dropped.values())),
                    note=f"ESTIMATOR ERROR (not an input refusal; report it): {type(err).__name__}: {err}")  # fmt: skip
    bad = isinstance(res, NotEstimable)
    h = headline(res, None if bad else term)
    said = [f"warning: {m}" for m in dict.fromkeys(str(w.message) for w in caught)]
    note = "; ".join([h["note"]] if h["note"] else
                     [*(f"{n} rows dropped: {why}" for why, n in dropped.items() if n), *said])  # fmt: skip
    years = data.loc[data[y].notna(), time]
    return _row(
        spec, start, estimate=h["estimate"], std_error=h["std_error"], conf_low=h["conf_low"],
        conf_high=h["conf_high"], term=h["term"], n_obs=(None if bad else res.n_obs),
        n_clusters=(None if bad else res.n_clusters),
        first_year=int(years.min()) if len(years) else None,
        last_year=int(years.max()) if len(years) else None,
        status=("not estimable" if bad else "ok"),
        note=note,
        rows_dropped=int(sum(dropped.values())),
    )  # fmt: skip


# --------------------------------------------------------------------------------------
# many specifications: batches through joblib (loky, threading, dask)
# --------------------------------------------------------------------------------------


def _slim(panel: pd.DataFrame, cols: Iterable[str | None], unit: str, cluster: str | None):
    """The needed columns only, with unit and cluster labels as integer codes (labels do not enter
    any estimate; integer codes are cheaper to group on and to ship)."""
    keep = [c for c in dict.fromkeys(cols) if c and c in panel.columns]
    slim = panel[keep].copy()
    for c in dict.fromkeys([unit, cluster]):
        if c and c in slim.columns and slim[c].notna().all():  # missing labels: left as they are
            slim[c] = pd.factorize(slim[c])[0].astype("int64")
    return slim


def _run_batch(
    data: pd.DataFrame, specs: list[dict], fit: Callable[..., dict], kw: dict
) -> list[dict]:
    """Run specifications that share their data choices on one sample (the prepared data are reused)."""
    if fit is run_spec:
        cache: dict = {}
        return [run_spec(data, spec, cache=cache, **kw) for spec in specs]
    return [fit(data, spec, **kw) for spec in specs]


def _tasks(data: pd.DataFrame, specs: list[dict], fit, kw: dict, batch_size: int) -> list[tuple]:
    """Group ``specs`` by their data choices into batches of at most ``batch_size``."""
    groups: dict[tuple, list[dict]] = {}
    for spec in specs:
        groups.setdefault(_data_key(spec), []).append(spec)
    out = []
    for members in groups.values():
        for i in range(0, len(members), batch_size):
            out.append((data, members[i : i + batch_size], fit, kw))
    return out


def _execute(
    tasks: list[tuple], *, n_jobs: int, backend: str | None, progress: bool
) -> pd.DataFrame:
    import joblib
    from tqdm.auto import tqdm

    total = sum(len(t[1]) for t in tasks)
    ctx = joblib.parallel_config(backend=backend) if backend else contextlib.nullcontext()
    out: list[dict] = []
    with ctx, tqdm(total=total, desc="specifications", disable=not progress) as bar:
        par = joblib.Parallel(n_jobs=n_jobs, return_as="generator")
        for rows in par(joblib.delayed(_run_batch)(*t) for t in tasks):
            out.extend(rows)
            bar.update(len(rows))
    res = pd.DataFrame(out)
    return res.sort_values("spec_id").reset_index(drop=True) if "spec_id" in res else res


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
    share: str | None = None,
    population: str = "population",
    fit: Callable[..., dict] = run_spec,
    n_jobs: int = 2,
    backend: str | None = None,
    progress: bool = True,
    batch_size: int = 16,
    estimator_kwargs: Mapping[str, Mapping[str, object]] | None = None,
    tolerate_input_error: bool = False,
) -> pd.DataFrame:
    """Run every specification of ``grid`` on one sample through joblib, with a progress bar.

    Parameters
    ----------
    panel : pandas.DataFrame
        The sample (only the needed columns are shipped to workers, unit and
        cluster labels as integer codes).
    grid : pandas.DataFrame
        From :func:`spec_grid`; its ``panel``/``window``/``treatment_rule``
        columns, if any, must describe ``panel`` (use :func:`run_design` or
        :func:`run_samples` to vary them).
    outcome, cohort, unit, time, weights, cluster, coverage, share, population : str
        Column names (``weights`` is used by specifications with
        ``weights="population"``; see :func:`run_spec` for ``share``).
    fit : callable
        ``fit(panel, spec, **columns)`` -> dict; default :func:`run_spec`.
    n_jobs : int
        joblib workers (ignored by the Dask backend, which uses the cluster).
    backend : str, optional
        A joblib backend (``"loky"``, ``"threading"``, ``"dask"``, ...). None
        uses the active ``joblib.parallel_config`` (loky by default).
    progress : bool
        Show a tqdm progress bar.
    batch_size : int
        Specifications per task (specifications of a task share their data
        choices, so their prepared sample is built once).
    tolerate_input_error : bool
        Passed to :func:`run_spec`.

    Returns
    -------
    pandas.DataFrame
        One row per specification (in ``spec_id`` order): the choices and
        :data:`RESULT_COLUMNS`.
    """
    cols = [unit, time, outcome, cohort, weights, cluster, coverage, share, population,
            "partial_year"]  # fmt: skip
    slim = _slim(panel, cols, unit, cluster)
    kw = dict(outcome=outcome, cohort=cohort, unit=unit, time=time, weights=weights, cluster=cluster,
              coverage=coverage, share=share, population=population, estimator_kwargs=estimator_kwargs,
              tolerate_input_error=tolerate_input_error)  # fmt: skip
    specs = [row._asdict() for row in grid.itertuples(index=False)]
    tasks = _tasks(slim, specs, fit, kw, batch_size)
    return _execute(tasks, n_jobs=n_jobs, backend=backend, progress=progress)


def _sample_tasks(sample: StudySample, grid: pd.DataFrame, outcome: str, fit, batch_size: int,
                  estimator_kwargs) -> list[tuple]:  # fmt: skip
    """Tasks of ``grid`` on an opened design, one coding per ``treatment_rule`` of the grid."""
    d = sample.design
    if "panel" in grid and (grid["panel"] != sample.data_source).any():
        raise ValueError(
            f"grid has panel(s) {sorted(set(grid['panel']) - {sample.data_source})} but the sample is "
            f"{sample.data_source!r}; use run_samples to vary the panel"
        )
    if "window" in grid and (grid["window"] != window_label(d.years)).any():
        raise ValueError(
            f"grid has window(s) {sorted(set(grid['window']) - {window_label(d.years)})} but the sample's "
            f"design window is {window_label(d.years)}; use run_samples to vary the window"
        )
    rules = grid["treatment_rule"].unique() if "treatment_rule" in grid else [d.rule]
    tasks = []
    for rule in rules:
        s = sample if rule == d.rule else sample.with_rule(rule)
        sub = grid[grid["treatment_rule"] == rule] if "treatment_rule" in grid else grid
        sd = s.design
        t = sd.treatment
        cols = [sd.unit, sd.time, outcome, t.cohort, t.share, sd.weights, sd.cluster, "coverage",
                "population", "partial_year"]  # fmt: skip
        slim = _slim(s.data, cols, sd.unit, sd.cluster)
        kw = dict(outcome=outcome, cohort=t.cohort, unit=sd.unit, time=sd.time, weights=sd.weights,
                  cluster=sd.cluster, share=t.share, estimator_kwargs=estimator_kwargs,
                  tolerate_input_error=s.tolerate)  # fmt: skip
        specs = [row._asdict() for row in sub.itertuples(index=False)]
        tasks += _tasks(slim, specs, fit, kw, batch_size)
    return tasks


def run_design(sample: StudySample, grid: pd.DataFrame, *, outcome: str, n_jobs: int = 2,
               backend: str | None = None, progress: bool = True, batch_size: int = 16,
               fit: Callable[..., dict] = run_spec,
               estimator_kwargs: Mapping[str, Mapping[str, object]] | None = None) -> pd.DataFrame:  # fmt: skip
    """:func:`run_multiverse` with the columns of a study design (unit, time, cohort, share, weights, clusters).

    ``sample`` is a design opened on a panel (:meth:`enforcement_crime.designs.Design.open`).
    A ``treatment_rule`` column in ``grid`` recodes the sample under each
    rule (:meth:`~enforcement_crime.designs.base.StudySample.with_rule`);
    ``panel`` and ``window`` columns, if present, must be the sample's own.
    Estimator refusals are reported (``status="not estimable"``) on real
    panels and raised on the synthetic one, as in the study notebooks.
    """
    tasks = _sample_tasks(sample, grid, outcome, fit, batch_size, estimator_kwargs)
    return _execute(tasks, n_jobs=n_jobs, backend=backend, progress=progress)


def run_samples(
    design: Design,
    grid: pd.DataFrame,
    *,
    outcome: str,
    seed: int | None = None,
    preset: str = "null",
    n_jobs: int = 2,
    backend: str | None = None,
    progress: bool = True,
    batch_size: int = 16,
    fit: Callable[..., dict] = run_spec,
    estimator_kwargs: Mapping[str, Mapping[str, object]] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run a grid spanning panels, windows and treatment codings: each sample prepared once, all in parallel.

    Parameters
    ----------
    design : Design
        The study design (e.g. ``designs.get("sc_county")``): unit, time,
        cohort, weights and clusters, and its sample rules.
    grid : pandas.DataFrame
        From :func:`spec_grid` with ``panel`` and ``window`` columns (e.g.
        :func:`research_choices`).
    outcome : str
        The outcome (a level column of the panel; ``outcome_transform="log"``
        takes :math:`\\log(1 + y)` of it).
    seed, preset : optional
        The synthetic panel's seed and preset (when ``"synthetic"`` is a panel).
    n_jobs, backend, progress, batch_size, fit, estimator_kwargs
        As in :func:`run_multiverse`; one joblib call runs every sample's
        batches, so workers stay busy across samples.

    Returns
    -------
    results : pandas.DataFrame
        One row per specification of ``grid`` (``spec_id`` order). A sample
        the design cannot be applied to (e.g. no rows in the window) gives
        its specifications ``status="not estimable"`` with the reason.
    samples : pandas.DataFrame
        One row per (panel, window, treatment_rule) sample: ``label`` (the
        words its outputs carry), ``synthetic``, ``units``, ``rows``,
        ``years`` present, ``specs``, ``prepare_seconds`` and ``note``
        (the design's sample rules and what they dropped).

    Notes
    -----
    Each panel is loaded once (:func:`enforcement_crime.panels.load_panel`)
    and each distinct (window, coding) applied to it with
    ``design.with_options(years=..., rule=...).prepare(...)``, exactly what
    ``design.open(panel, years=..., rule=...)`` does.
    """
    from enforcement_crime.designs.base import data_label_of
    from enforcement_crime.panels import is_synthetic, load_panel
    from enforcement_crime.synthetic import DEFAULT_SEED

    missing = [c for c in ("panel", "window") if c not in grid.columns]
    if missing:
        raise KeyError(
            f"run_samples: the grid needs column(s) {missing} (spec_grid with those choices)"
        )
    seed = DEFAULT_SEED if seed is None else seed
    rules = "treatment_rule" in grid.columns
    tasks, samples, failed = [], [], []
    keys = ["panel", "window", *(["treatment_rule"] if rules else [])]
    for panel, by_panel in grid.groupby("panel", sort=False):
        raw = load_panel(panel, seed=seed, preset=preset)
        syn = is_synthetic(raw)
        label = data_label_of(
            panel, syn, seed, preset, raw.attrs.get("enforcement_crime", {}).get("mark")
        )
        for key, sub in by_panel.groupby(keys, sort=False):
            window, rule = key[1], (key[2] if rules else design.rule)
            start = perf_counter()
            info = {"panel": panel, "window": window, "treatment_rule": rule, "label": label,
                    "synthetic": syn, "specs": len(sub)}  # fmt: skip
            try:
                d = design.with_options(years=parse_window(window), rule=rule)
                s = d.prepare(raw, data_source=panel, label=label)
            except ValueError as err:
                info.update(units=0, rows=0, years="", prepare_seconds=perf_counter() - start,
                            note=f"sample not built: {err}")  # fmt: skip
                samples.append(info)
                for spec in sub.to_dict("records"):
                    failed.append({**spec, **{k: None for k in RESULT_COLUMNS}, "status": "not estimable",
                                   "note": f"sample not built: {err}", "seconds": 0.0,
                                   "estimate": np.nan, "std_error": np.nan, "conf_low": np.nan,
                                   "conf_high": np.nan})  # fmt: skip
                continue
            tasks += _sample_tasks(s, sub, outcome, fit, batch_size, estimator_kwargs)
            acc = s.accounting_frame()
            note = "; ".join(f"{r.rule}: {r.rows_dropped} rows dropped, {r.rows_set_aside} set aside ({r.why})"
                             for r in acc.itertuples())  # fmt: skip
            info.update(units=int(s.data[d.unit].nunique()), rows=len(s.data),
                        years=f"{min(s.years)}-{max(s.years)}" if s.years else "",
                        prepare_seconds=perf_counter() - start, note=note)  # fmt: skip
            samples.append(info)
    res = (
        _execute(tasks, n_jobs=n_jobs, backend=backend, progress=progress)
        if tasks
        else pd.DataFrame()
    )
    if failed:
        res = pd.concat([res, pd.DataFrame(failed)], ignore_index=True)
        res = res.sort_values("spec_id").reset_index(drop=True)
    return res, pd.DataFrame(samples)


# --------------------------------------------------------------------------------------
# which choices move the estimate
# --------------------------------------------------------------------------------------


def by_choice(
    results: pd.DataFrame,
    *,
    transform: str = "level",
    choices: Sequence[str] | None = None,
    reference: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Which choices move the estimate: by option of each choice, and the change from switching one choice.

    Parameters
    ----------
    results : pandas.DataFrame
        From :func:`run_multiverse` / :func:`run_design` / :func:`run_samples`
        (status ``"ok"`` rows with an estimate are used).
    transform : str
        The outcome transform to summarise (estimates in levels and logs are
        on different scales and are never pooled; without an
        ``outcome_transform`` column every row is used).
    choices : list of str, optional
        Choice columns to summarise; default every column of
        :data:`ALL_CHOICES` in ``results`` except ``outcome_transform``.
    reference : mapping, optional
        Choice -> the option switches are measured from; default the first
        option in ``spec_id`` order (the first option given to
        :func:`spec_grid`).

    Returns
    -------
    pandas.DataFrame
        One row per (choice, option): ``specs``, ``mean_estimate``,
        ``min_estimate``, ``max_estimate``, ``range_estimate`` (max - min),
        ``share_excluding_zero`` (share of the option's specifications whose
        interval excludes 0); and the paired switch from ``reference_option``
        to this option with every other choice held fixed: ``pairs`` (the
        number of specifications estimated under both), ``mean_change``,
        ``median_change``, ``min_change``, ``max_change`` (option estimate
        minus reference estimate). The reference option's own row has
        ``pairs = 0`` and missing changes.
    """
    cols = ["choice", "option", "specs", "mean_estimate", "min_estimate", "max_estimate",
            "range_estimate", "share_excluding_zero", "reference_option", "pairs", "mean_change",
            "median_change", "min_change", "max_change"]  # fmt: skip
    lv = results[(results["status"] == "ok") & results["estimate"].notna()].copy()
    if "outcome_transform" in lv.columns:
        lv = lv[lv["outcome_transform"] == transform]
    if "spec_id" in lv.columns:
        lv = lv.sort_values("spec_id")
    present = [c for c in ALL_CHOICES if c in results.columns and c != "outcome_transform"]
    choices = present if choices is None else list(choices)
    unknown = [c for c in choices if c not in results.columns]
    if unknown:
        raise KeyError(f"by_choice: no column(s) {unknown} in the results")
    lv["excludes_zero"] = (lv["conf_low"] > 0) | (lv["conf_high"] < 0)
    frames = []
    for c in choices:
        if lv.empty:
            break
        g = lv.groupby(c, sort=False).agg(specs=("estimate", "size"), mean_estimate=("estimate", "mean"),
                                          min_estimate=("estimate", "min"), max_estimate=("estimate", "max"),
                                          share_excluding_zero=("excludes_zero", "mean"))  # fmt: skip
        g["range_estimate"] = g["max_estimate"] - g["min_estimate"]
        ref = (reference or {}).get(c, lv[c].iloc[0])
        others = [o for o in present if o != c]
        wide = lv.set_index(others + [c])["estimate"] if others else lv.set_index(c)["estimate"]
        if wide.index.duplicated().any():
            raise ValueError(
                f"by_choice: specifications are not unique given the choices {others + [c]}; "
                "pass the choice columns that tell them apart"
            )
        wide = wide.unstack(c)
        change = {}
        for opt in g.index:
            if opt == ref or ref not in wide.columns:
                change[opt] = pd.Series(dtype="float64")
            else:
                change[opt] = (wide[opt] - wide[ref]).dropna()
        g["reference_option"] = ref
        g["pairs"] = [len(change[o]) for o in g.index]
        for stat in ("mean", "median", "min", "max"):
            g[f"{stat}_change"] = [
                getattr(change[o], stat)() if len(change[o]) else np.nan for o in g.index
            ]
        frames.append(g.reset_index().rename(columns={c: "option"}).assign(choice=c))
    return pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)
