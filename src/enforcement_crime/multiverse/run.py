"""Running the multiverse: one specification's data and estimate, the grid through joblib or Dask, per sample.

A grid row (:func:`~enforcement_crime.multiverse.grid.spec_grid`) is two
things: its *data choices* (coverage rule, control-group sample, controls'
columns, outcome scale), applied by :func:`prepare_spec_data` to the rows of
a design's sample, and its *estimation choices*, which :func:`spec_of` turns
into a :class:`~enforcement_crime.designs.base.Spec` of the design (its
:meth:`~enforcement_crime.designs.base.Design.multiverse_specs` base, changed
by :meth:`~enforcement_crime.designs.base.Spec.choose`). :func:`run_spec`
fits that Spec; nothing here calls an estimator itself.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Callable, Mapping
from time import perf_counter

import numpy as np
import pandas as pd

from enforcement_crime.designs.base import Design, NotEstimable, Spec, StudySample, headline, takes
from enforcement_crime.multiverse.grid import (
    CONTROL_GROUP_OPTION,
    CONTROL_SETS,
    COVERAGE_RULES,
    RESULT_COLUMNS,
    SPEC_CHOICES,
    SPEC_DEFAULTS,
    parse_window,
    window_label,
)
from enforcement_crime.treatment import EXPOSURE_RULES

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
    design: Design, data: pd.DataFrame, spec: Mapping[str, str], *, outcome: str
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Apply one specification's data choices (coverage rule, controls, control-group sample, scale).

    Parameters
    ----------
    design : Design
        The design whose sample ``data`` is: its unit, time, treatment
        (cohort and share-of-year columns) and ``coverage``/``population``
        columns.
    data : pandas.DataFrame
        Rows of the design's sample (one panel, window and treatment coding).
    spec : mapping
        A row of :func:`spec_grid`.
    outcome : str
        The outcome (a level column).

    Returns
    -------
    data : pandas.DataFrame
        A copy: the rows kept, the analysed outcome column
        (``design.column(outcome, scale)``) as float64 (:math:`\\log(1 + y)`
        in logs), the cohort column as integers (0: never treated, the last
        cohort recoded 0 under ``control_group="last_cohort"``) and the
        control columns of the spec's :data:`CONTROL_SETS` entry.
    dropped : dict
        Reason -> rows dropped (every dropped row is counted).

    Notes
    -----
    ``outcome_transform="log"`` uses :math:`\\log(1 + y)` so that county-years
    with zero crimes stay in the sample (a documented choice; for rates per
    100,000 above about 50 it is within 2% of :math:`\\log y`).
    ``control_group="last_cohort"`` keeps the periods before the last cohort's
    first exposure (its first year with a positive share of year: the partly
    treated signing year under the first-full-year rule) and recodes the last
    cohort as never treated. ``controls="log_population"`` adds
    :math:`\\log(\\text{population})`; rows without a positive population are
    dropped and counted.
    """
    time, cohort, share = design.time, design.treatment.cohort, design.treatment.share
    df = data.copy()
    dropped: dict[str, int] = {}
    rule = spec.get("coverage_rule", "all_reported")
    if rule not in COVERAGE_RULES:
        raise ValueError(f"unknown coverage_rule {rule!r}; options are {list(COVERAGE_RULES)}")
    if rule != "all_reported":
        if "coverage" not in df.columns:
            raise KeyError(f"coverage rule {rule!r} needs a 'coverage' column")
        cov = df["coverage"].astype("float64")
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
        if "population" not in df.columns:
            raise KeyError(f"controls {controls!r} need a 'population' column")
        pop = pd.to_numeric(df["population"], errors="coerce").astype("float64")
        ok = (pop > 0).to_numpy()
        if (~ok).any():
            dropped[f"no positive population (controls {controls})"] = int((~ok).sum())
        df = df[ok]
        df["log_population"] = np.log(pop[ok].to_numpy())
    y = df[outcome].astype("float64")
    transform = spec.get("outcome_transform", "level")
    if transform == "log":
        if (y < 0).any():
            raise ValueError(f"log transform: {outcome!r} has negative values")
        y = np.log1p(y)
    df[design.column(outcome, transform)] = y
    c = df[cohort].astype("Float64").fillna(0).astype("int64")
    if spec.get("control_group") == "last_cohort" and len(df):
        last = int(c.max())
        if last <= 0:
            raise ValueError("control_group='last_cohort' needs at least one treated cohort")
        cut = last
        if share in df.columns:
            exposed = (c == last).to_numpy() & (df[share].astype("float64") > 0).to_numpy()
            if exposed.any():
                cut = min(cut, int(df.loc[exposed, time].min()))
        late = (df[time] >= cut).to_numpy()
        dropped[f"periods from the last cohort's first exposure ({cut}) on"] = int(late.sum())
        df = df[~late]
        c = c[~late]
        c = c.where(c != last, 0)
    df[cohort] = c.to_numpy()
    return df, dropped


def spec_of(design: Design, spec: Mapping[str, str]) -> Spec:
    """A grid row's estimation choices as a :class:`~enforcement_crime.designs.base.Spec` of ``design``.

    The base is the design's specification of the row's estimator
    (:meth:`~enforcement_crime.designs.base.Design.multiverse_specs`); each
    choice of :data:`~enforcement_crime.multiverse.grid.SPEC_CHOICES` changes it
    through :meth:`~enforcement_crime.designs.base.Spec.choose` (a choice
    missing from the row takes :data:`~enforcement_crime.multiverse.grid.SPEC_DEFAULTS`).
    The control group is an option of the specs that declare one
    (Callaway-Sant'Anna; ``"last_cohort"``: never-treated controls on the
    cut sample); the share-of-year coding gives the share as treatment to
    the specs whose estimator takes a ``treatment`` column (TWFE), the
    others take the cohort, which that coding sets to the signing year. The
    partly treated adoption year is handled as the base spec declares.
    """
    bases = design.multiverse_specs()
    name = spec["estimator"]
    if name not in bases:
        raise ValueError(f"unknown estimator {name!r}; estimators are {sorted(bases)}")
    rule = spec.get("treatment_rule")
    if rule is not None and rule not in EXPOSURE_RULES:
        raise ValueError(f"unknown treatment_rule {rule!r}; options are {list(EXPOSURE_RULES)}")
    base = bases[name]
    choices: dict[str, object] = {}
    for choice, table in SPEC_CHOICES.items():
        option = spec.get(choice, SPEC_DEFAULTS[choice])
        if option not in table:
            raise ValueError(f"unknown {choice} {option!r}; options are {list(table)}")
        choices.update(table[option])
    group = spec.get("control_group")
    if group is not None and "control_group" in base.options:
        choices["control_group"] = CONTROL_GROUP_OPTION[group]
    if rule == "share_of_year" and takes(base.estimator, "treatment"):
        choices["treatment"] = "share"
    return base.choose(**choices)


def _row(spec, start, **values) -> dict:
    row: dict[str, object] = dict(spec)
    row.update({k: values.get(k) for k in RESULT_COLUMNS})
    row["seconds"] = perf_counter() - start
    return row


def run_spec(
    design: Design,
    data: pd.DataFrame,
    spec: Mapping[str, str],
    *,
    outcome: str,
    estimator_kwargs: Mapping[str, Mapping[str, object]] | None = None,
    tolerate_input_error: bool = False,
    cache: dict | None = None,
) -> dict:
    """Estimate one specification; returns a flat dict (the spec, the estimate, its interval, status).

    Parameters
    ----------
    design : Design
        The design whose sample ``data`` is.
    data : pandas.DataFrame
        Rows of one sample (one panel, window and treatment coding).
    spec : mapping
        A row of :func:`spec_grid`: :func:`prepare_spec_data` applies its data
        choices, :func:`spec_of` makes the Spec that is fitted.
    outcome : str
        The outcome (a level column).
    estimator_kwargs : mapping, optional
        Estimator name (as in the grid) -> extra keyword arguments.
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
    """
    start = perf_counter()
    fitted = spec_of(design, spec)
    key = _data_key(spec)
    if cache is not None and key in cache:
        prepared, dropped = cache[key]
    else:
        prepared, dropped = prepare_spec_data(design, data, spec, outcome=outcome)
        if cache is not None:
            cache[key] = (prepared, dropped)
    dropped = dict(dropped)
    y = design.column(outcome, fitted.scale(design))
    if prepared[y].notna().sum() == 0:
        why = "; ".join(f"{n} rows dropped: {r}" for r, n in dropped.items() if n)
        return _row(spec, start, n_obs=0, status="not estimable", note=f"no observation left ({why})",
                    rows_dropped=int(sum(dropped.values())), estimate=np.nan, std_error=np.nan,
                    conf_low=np.nan, conf_high=np.nan)  # fmt: skip
    call = fitted.call(
        design, prepared, outcome, **(estimator_kwargs or {}).get(spec["estimator"], {})
    )
    if call.set_aside:
        dropped["partly treated adoption year (first-full-year rule)"] = call.set_aside
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = call.run(tolerate=tolerate_input_error)
    except Exception as err:  # noqa: BLE001 - real panels only: recorded as status "error", never dropped
        if not tolerate_input_error:
            raise
        return _row(spec, start, status="error", estimate=np.nan, std_error=np.nan, conf_low=np.nan,
                    conf_high=np.nan, rows_dropped=int(sum(dropped.values())),
                    note=f"ESTIMATOR ERROR (not an input refusal; report it): {type(err).__name__}: {err}")  # fmt: skip
    bad = isinstance(res, NotEstimable)
    h = headline(res, fitted._term(res))
    said = [f"warning: {m}" for m in dict.fromkeys(str(w.message) for w in caught)]
    note = "; ".join([h["note"]] if h["note"] else
                     [*(f"{n} rows dropped: {why}" for why, n in dropped.items() if n), *said])  # fmt: skip
    years = call.data.loc[call.data[y].notna(), design.time]
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


def _slim(design: Design, data: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """The columns a specification of ``design`` can use, with unit and cluster labels as integer codes
    (labels do not enter any estimate; integer codes are cheaper to group on and to ship)."""
    d, t = design, design.treatment
    cols = [d.unit, d.time, outcome, f"log_{outcome}", t.cohort, t.treated, t.share, d.weights,
            d.cluster, "coverage", "population", "partial_year"]  # fmt: skip
    keep = [c for c in dict.fromkeys(cols) if c and c in data.columns]
    slim = data[keep].copy()
    for c in dict.fromkeys([d.unit, d.cluster]):
        if c and c in slim.columns and slim[c].notna().all():  # missing labels: left as they are
            slim[c] = pd.factorize(slim[c])[0].astype("int64")
    return slim


def _run_batch(design: Design, data: pd.DataFrame, specs: list[dict], fit: Callable[..., dict],
               kw: dict) -> list[dict]:  # fmt: skip
    """Run specifications that share their data choices on one sample (the prepared data are reused)."""
    if fit is run_spec:
        cache: dict = {}
        return [run_spec(design, data, spec, cache=cache, **kw) for spec in specs]
    return [fit(design, data, spec, **kw) for spec in specs]


def _tasks(design: Design, data: pd.DataFrame, specs: list[dict], fit, kw: dict,
           batch_size: int) -> list[tuple]:  # fmt: skip
    """Group ``specs`` by their data choices into batches of at most ``batch_size``."""
    groups: dict[tuple, list[dict]] = {}
    for spec in specs:
        groups.setdefault(_data_key(spec), []).append(spec)
    out = []
    for members in groups.values():
        for i in range(0, len(members), batch_size):
            out.append((design, data, members[i : i + batch_size], fit, kw))
    return out


def _processes(n_jobs: int, backend: str | None) -> int:
    """``n_jobs``, at most :envvar:`ENFORCEMENT_CRIME_WORKERS` when that is set (a Dask cluster
    is not capped).

    The variable is the number of processes this one may compute with: its share of the cores
    when notebooks run side by side (or under pytest-xdist), or what the user set. With 1,
    joblib runs the tasks in this process and starts no worker.
    """
    from enforcement_crime import workers

    if backend == "dask" or not os.environ.get(workers.WORKERS_ENV, "").strip():
        return n_jobs
    limit = workers.worker_count()
    return limit if n_jobs < 0 else min(n_jobs, limit)


def _execute(
    tasks: list[tuple], *, n_jobs: int, backend: str | None, progress: bool
) -> pd.DataFrame:
    import joblib
    from tqdm.auto import tqdm

    n_jobs = _processes(n_jobs, backend)
    total = sum(len(t[2]) for t in tasks)
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
    design: Design,
    data: pd.DataFrame,
    grid: pd.DataFrame,
    *,
    outcome: str,
    fit: Callable[..., dict] = run_spec,
    n_jobs: int = 2,
    backend: str | None = None,
    progress: bool = True,
    batch_size: int = 16,
    estimator_kwargs: Mapping[str, Mapping[str, object]] | None = None,
    tolerate_input_error: bool = False,
) -> pd.DataFrame:
    """Run every specification of ``grid`` on rows of one sample of ``design`` through joblib.

    Parameters
    ----------
    design : Design
        The design whose sample ``data`` is (its columns: unit, time,
        treatment, weights, clusters).
    data : pandas.DataFrame
        The sample (only the needed columns are shipped to workers, unit and
        cluster labels as integer codes).
    grid : pandas.DataFrame
        From :func:`spec_grid`; its ``panel``/``window``/``treatment_rule``
        columns, if any, must describe ``data`` (use :func:`run_design` or
        :func:`run_samples` to vary them).
    outcome : str
        The outcome (a level column).
    fit : callable
        ``fit(design, data, spec, outcome=..., ...)`` -> dict; default :func:`run_spec`.
    n_jobs : int
        joblib workers (ignored by the Dask backend, which uses the cluster); at most
        :envvar:`ENFORCEMENT_CRIME_WORKERS` when it is set (see :func:`_processes`).
    backend : str, optional
        A joblib backend (``"loky"``, ``"threading"``, ``"dask"``, ...). None
        uses the active ``joblib.parallel_config`` (loky by default).
    progress : bool
        Show a tqdm progress bar.
    batch_size : int
        Specifications per task (specifications of a task share their data
        choices, so their prepared sample is built once).
    estimator_kwargs, tolerate_input_error
        Passed to :func:`run_spec`.

    Returns
    -------
    pandas.DataFrame
        One row per specification (in ``spec_id`` order): the choices and
        :data:`RESULT_COLUMNS`.
    """
    kw = dict(outcome=outcome, estimator_kwargs=estimator_kwargs,
              tolerate_input_error=tolerate_input_error)  # fmt: skip
    specs = [row._asdict() for row in grid.itertuples(index=False)]
    tasks = _tasks(design, _slim(design, data, outcome), specs, fit, kw, batch_size)
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
        kw = dict(
            outcome=outcome, estimator_kwargs=estimator_kwargs, tolerate_input_error=s.tolerate
        )
        specs = [row._asdict() for row in sub.itertuples(index=False)]
        tasks += _tasks(s.design, _slim(s.design, s.data, outcome), specs, fit, kw, batch_size)
    return tasks


def run_design(sample: StudySample, grid: pd.DataFrame, *, outcome: str, n_jobs: int = 2,
               backend: str | None = None, progress: bool = True, batch_size: int = 16,
               fit: Callable[..., dict] = run_spec,
               estimator_kwargs: Mapping[str, Mapping[str, object]] | None = None) -> pd.DataFrame:  # fmt: skip
    """:func:`run_multiverse` on an opened design, one treatment coding per ``treatment_rule`` of the grid.

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
