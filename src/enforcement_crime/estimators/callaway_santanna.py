"""Callaway and Sant'Anna (2021) group-time ATTs, their aggregations and influence-function inference.

Unconditional (or outcome-regression adjusted) estimator on a balanced panel,
vectorised over units: every group-time ATT(g, t) is a difference of (weighted) mean changes
between cohort ``g`` and its comparison group, and every reported number
carries its influence function, so analytic standard errors (clustered at any
level) and the multiplier bootstrap cost one matrix product.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

from enforcement_crime.estimators._core import cluster_sums, cr1_scale, warn_few_treated
from enforcement_crime.estimators._cs_aggregate import CSAggregator
from enforcement_crime.estimators._cs_wild import (
    CSLinearMap,
    apply_wild_cluster,
    check_boot_options,
    wild_note,
)
from enforcement_crime.estimators._docs import shared_parameters
from enforcement_crime.estimators._inputs import EstimatorInputError, normal_ci, prepare_panel
from enforcement_crime.results import EstimationResult

__all__ = ["GroupTimeATT", "aggregate", "att_gt", "callaway_santanna"]

_AGGREGATIONS = ("simple", "dynamic", "group", "calendar")


def _balance(pp_data: pd.DataFrame, times: np.ndarray) -> tuple[pd.DataFrame, int, int]:
    """Keep units observed in every period; return (data, rows dropped, units dropped)."""
    counts = pp_data.groupby("unit", sort=False)["time"].transform("size")
    full = counts == len(times)
    n_units_dropped = int(pp_data.loc[~full, "unit"].nunique())
    return pp_data.loc[full].reset_index(drop=True), int((~full).sum()), n_units_dropped


def _multiplier(rng: np.random.Generator, shape: tuple[int, int], kind: str) -> np.ndarray:
    """Mean-zero, variance-one multiplier weights (Mammen two-point or Rademacher)."""
    if kind == "rademacher":
        return rng.choice(np.array([-1.0, 1.0]), size=shape)
    if kind == "mammen":
        s5 = np.sqrt(5.0)
        lo, hi = -(s5 - 1) / 2, (s5 + 1) / 2
        p_lo = (s5 + 1) / (2 * s5)
        return np.where(rng.random(shape) < p_lo, lo, hi)
    raise EstimatorInputError(f"bootstrap_weights must be 'mammen' or 'rademacher', got {kind!r}")


def _reg_adjusted_cell(dy, d, c, w, X, cell) -> tuple[float, np.ndarray]:
    """Outcome-regression ATT(g,t) and its psi (DRDID ``reg_did_panel``), covariates X at the base period."""
    idx = np.flatnonzero(d | c)
    n, n1 = len(dy), len(idx)
    ws = w[idx] / w[idx].mean()
    D = d[idx].astype("float64")
    Xs = np.column_stack([np.ones(n1), X[idx]])
    y = dy[idx]
    wc = ws * (1 - D)
    XtX = Xs.T @ (wc[:, None] * Xs)
    if np.linalg.matrix_rank(Xs[D == 0]) < Xs.shape[1]:
        raise EstimatorInputError(
            f"cell (g={cell[0]}, t={cell[1]}): controls are collinear (or constant) among its comparison units; "
            "drop or recode controls, or restrict the periods"
        )
    beta = np.linalg.solve(XtX, Xs.T @ (wc * y))
    out = Xs @ beta
    wt = ws * D
    mwt = wt.mean()
    eta_t = (wt * y).mean() / mwt
    eta_c = (wt * out).mean() / mwt
    asy = ((wc * (y - out))[:, None] * Xs) @ np.linalg.inv(XtX / n1)
    m1 = (wt[:, None] * Xs).mean(axis=0)
    inf = (wt * y - wt * eta_t) / mwt - (wt * out - wt * eta_c + asy @ m1) / mwt
    psi = np.zeros(n)
    psi[idx] = inf / n1
    return float(eta_t - eta_c), psi


@shared_parameters
def callaway_santanna(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    *,
    control_group: str = "never_treated",
    anticipation: int = 0,
    base_period: str = "varying",
    weights: str | None = None,
    cluster: str | None = None,
    controls: list[str] | None = None,
    aggregation: str | Iterable[str] = _AGGREGATIONS,
    window: tuple[int, int] | None = None,
    inference: str = "analytic",
    n_boot: int = 999,
    bootstrap_weights: str | None = None,
    impose_null: bool = True,
    seed: int | None = None,
    alpha: float = 0.05,
) -> EstimationResult:
    r"""Callaway-Sant'Anna group-time ATTs and their simple, dynamic, group and calendar aggregations.

    The two steps of R ``did`` in one call: ``aggregate(att_gt(data, ...),
    aggregation, window=..., inference=...)`` (:func:`att_gt`,
    :func:`aggregate`). To aggregate the same cells several ways, call them
    directly.

    Parameters
    ----------
    <data>
    <outcome, unit, time>
    <cohort>
    control_group : {"never_treated", "not_yet_treated"}
        Comparison units for cohort ``g`` at period ``t``: never treated only,
        or never treated plus units with ``G > max(t, b) + anticipation``
        (excluding cohort ``g``), where ``b`` is the base period.
    anticipation : int
        Periods of anticipation; the post-treatment base is
        ``g - 1 - anticipation``.
    base_period : {"varying", "universal"}
        ``"varying"`` (R ``did`` default): pre-treatment cells compare ``t``
        with ``t - 1`` (placebo period-to-period changes), post-treatment
        cells with ``g - 1 - anticipation``. ``"universal"``: every cell
        compares with ``g - 1 - anticipation``; that cell is reported as 0 and
        the dynamic aggregation then has a reference row at
        ``e = -1 - anticipation``.
    weights : str, optional
        Positive sampling weights (e.g. population). They must describe units:
        each unit's weight is its weight in the first period of the panel
        (R ``did`` takes unit-level data from the first period); the notes say
        when weights varied within units.
    cluster : str, optional
        Cluster id (e.g. state), constant within unit. Default: units
        (heteroskedasticity-robust, no clustering).
    controls : list of str, optional
        Covariates for conditional parallel trends by outcome regression
        (DRDID ``reg_did_panel``, R ``did`` ``est_method="reg"``): in each
        cell, :math:`\Delta Y` is regressed on the covariates (values at the
        base period, with an intercept) among comparison units and the
        prediction is subtracted for the treated. Default: unconditional.
    aggregation : str or iterable of str
        Any of ``"simple"``, ``"dynamic"``, ``"group"``, ``"calendar"``.
    window : (int, int), optional
        Event times of the dynamic aggregation (R ``did``'s ``min_e``,
        ``max_e``; see :func:`aggregate`). Default: all.
    inference : {"analytic", "bootstrap", "wild_cluster"}
        Standard errors from the influence function; the multiplier
        bootstrap of that influence function (which also gives uniform sup-t
        bands for the dynamic aggregation); or ``"wild_cluster"``, a
        studentised wild cluster bootstrap with the null imposed, for designs
        with few treated clusters (see Notes). With ``"wild_cluster"`` the
        table's ``std_error`` is the analytic one (the bootstrap's
        studentising SE) and ``conf_low``/``conf_high`` of every aggregated
        term are the bootstrap intervals; ``att_gt`` keeps analytic intervals.
    n_boot : int
        Bootstrap draws (with ``"wild_cluster"`` and Rademacher weights all
        ``2**G`` sign vectors are used instead when ``2**G <= n_boot``).
    bootstrap_weights : str, optional
        ``inference="bootstrap"``: ``"mammen"`` (default, as R ``did``) or
        ``"rademacher"``. ``inference="wild_cluster"``: ``"auto"`` (default:
        Webb's six-point weights with fewer than 12 clusters, Rademacher
        otherwise), ``"webb"`` or ``"rademacher"``.
    impose_null : bool
        ``inference="wild_cluster"`` only: ``True`` (default) imposes each
        tested value (restricted bootstrap, intervals by test inversion);
        ``False`` resamples unrestricted residuals (symmetric percentile-t
        intervals). Setting it to ``False`` with another inference raises.
    seed : int, optional
        Seed of ``numpy.random.default_rng`` for the bootstrap.
    <alpha>

    Returns
    -------
    EstimationResult
        Table rows in the order of ``aggregation``: ``"ATT(simple)"``;
        ``f"e{k}"`` (event_time ``k``) and ``"ATT(dynamic)"``; ``f"g{g}"`` and
        ``"ATT(group)"``; ``f"t{t}"`` and ``"ATT(calendar)"``. ``extra`` holds
        ``"att_gt"`` (group, time, base, estimate, std_error, n_treated,
        n_control); the result's ``vcov`` is that of the dynamic terms (analytic, from the
        influence function, also when ``inference="bootstrap"``), ``"reference_period"``
        (``-1 - anticipation`` for a universal base, ``None`` for a varying
        base), ``"influence"`` (unit x term matrix :math:`\psi`, see Notes),
        ``"units"``, ``"clusters"``, ``"pg"`` (weighted cohort shares) and,
        with the bootstrap, ``"uniform_band"`` (sup-t band of the dynamic
        terms; the table's intervals stay pointwise), ``"boot_se"`` and
        ``"boot_draws"``; with ``inference="wild_cluster"``, ``"wild_cluster"``
        (term, ``p_value`` of ``H0: term = 0``, ``conf_low``, ``conf_high``),
        the result's ``p_value``, ``"t_stat"`` and ``"t_boot"`` (bootstrap t statistics
        under ``H0: ATT(simple) = 0``; NaN/None without that term), ``"n_boot"``,
        ``"full_enumeration"``, ``"bootstrap_weights"`` and ``"impose_null"``.
        ``att_gt`` standard errors are always analytic.

    Raises
    ------
    EstimatorInputError
        Unknown options, collinear covariates, cluster varying within a unit, no
        never-treated units with ``control_group="never_treated"``, no
        estimable cell, or no treated cohort left (the message names cohorts
        that start at or before the first period, which have no pre-period).

    Warns
    -----
    UserWarning
        Fewer than 5 treated clusters (treated units when not clustered):
        the analytic intervals are then unreliable (also in the notes).

    Notes
    -----
    **Estimand.** For cohort :math:`g` and period :math:`t`,
    :math:`ATT(g,t) = E_w[Y_t(g) - Y_t(0) \mid G = g]`, identified under
    parallel trends with respect to the comparison group :math:`C_{g,t}` by

    .. math::

        \widehat{ATT}(g,t) = \frac{\sum_i w_i D_i \Delta Y_i}{\sum_i w_i D_i}
            - \frac{\sum_i w_i C_i \Delta Y_i}{\sum_i w_i C_i},
        \qquad \Delta Y_i = Y_{it} - Y_{ib},

    with :math:`D_i = 1\{G_i = g\}` and :math:`b` the base period. With
    ``controls``, the comparison mean is replaced by
    :math:`\sum_i w_i D_i (1, X_{ib})'\hat\beta / \sum_i w_i D_i`, where
    :math:`\hat\beta` is the (weighted) regression of :math:`\Delta Y` on
    :math:`(1, X_{ib})` among comparison units; :math:`\psi` then adds the
    estimation effect of :math:`\hat\beta` (DRDID ``reg_did_panel``). Weights
    enter as sampling weights, exactly as in R ``did`` (``weightsname``) and
    ``DRDID::reg_did_panel`` without covariates.

    **Influence function.** We store :math:`\psi_i = IF_i / n`, so that
    :math:`\hat\theta - \theta \approx \sum_i \psi_i`:

    .. math::

        \psi_i = \frac{w_i D_i (\Delta Y_i - \bar{\Delta Y}_D)}{\sum_j w_j D_j}
            - \frac{w_i C_i (\Delta Y_i - \bar{\Delta Y}_C)}{\sum_j w_j C_j}.

    **Aggregation.** With :math:`p_g = \sum_i w_i 1\{G_i=g\} / \sum_i w_i`
    (weighted cohort shares, R ``did``'s ``pg``): simple =
    :math:`\sum_{t \ge g} p_g ATT(g,t) / \sum_{t\ge g} p_g`; dynamic
    :math:`\theta(e) = \sum_g p_g ATT(g, g+e) / \sum_g p_g` over cohorts
    observed at :math:`g+e`, and ATT(dynamic) = mean of :math:`\theta(e)`
    over :math:`e \ge 0`; group :math:`\theta(g)` = mean of
    :math:`ATT(g,t)` over :math:`t \ge g`, ATT(group) =
    :math:`\sum_g p_g \theta(g) / \sum_g p_g`; calendar :math:`\theta(t)` =
    :math:`\sum_{g \le t} p_g ATT(g,t)/\sum_{g\le t} p_g`, ATT(calendar) =
    mean over :math:`t`. The influence function of an aggregate adds the
    estimation error of the weights (R ``did``'s ``wif``).

    **Variance.** Analytic: :math:`\hat V = \frac{G}{G-1} \sum_c \big(\sum_{i
    \in c} \psi_i\big)^2` when ``cluster`` is given (:math:`G` clusters, a
    CR1-type correction; identical to the CR1 cluster-robust variance of the
    2x2 regression for a single cell), and :math:`\sum_i \psi_i^2` without
    clustering (no correction; R ``did``'s analytic SE). Clustering *sums*
    the influence function within clusters: this is the variance of
    :math:`\sum_c \sum_{i\in c}\psi_i` under independence across clusters.
    R ``did``'s multiplier bootstrap (and ports of it) perturbs cluster
    *means* of the influence function scaled by the number of clusters,
    which equals the sum version only when all clusters have the same number
    of units; with states of very different sizes it can differ by tens of
    percent (see tests; diff-diff 3.13 sums, as we do, and agrees to 1e-10).
    With ``anticipation > 0`` the simple and group aggregates keep cells with
    :math:`t \ge g` as R ``did`` does (diff-diff also averages the
    anticipation cells). Bootstrap: :math:`\theta^*_b = \sum_c V_{bc}
    \sum_{i\in c}\psi_i` with Mammen or Rademacher :math:`V`; the standard
    error is the normalised interquartile range of the draws (R ``did``);
    the sup-t critical value is the :math:`1-\alpha` quantile of
    :math:`\max_e |\theta^*_b(e)| / \hat\sigma(e)`; the bootstrap applies no
    small-sample correction.

    **Wild cluster bootstrap** (``inference="wild_cluster"``). With few
    treated clusters the analytic interval is too short and over-rejects a
    true null (``benchmarks/cs_wild_size.py`` measures the rejection rates of
    both on an NC-like design). For fixed cohorts, weights and
    controls, every ATT(g, t), aggregation and influence function is linear
    in the outcome matrix, so the estimator can be re-run exactly on
    bootstrap outcomes. Restricted model of :math:`H_0: \theta = \theta_0`
    (the analogue of the TWFE WCR): :math:`Y = \alpha_i + \lambda_t +
    \theta_0 h + u`, where :math:`h = f/\theta(f)` and :math:`f` indicates the
    treated unit-periods the term averages, so :math:`\theta(h) = 1` and the
    unit + period part has every ATT(g, t) equal to 0. Fitted values
    :math:`\hat Y_0` and residuals :math:`\hat u_0` by least squares
    (closed form on the balanced panel, weighted by ``weights``). Draw
    :math:`v_g` per cluster (Webb or
    Rademacher), set :math:`Y^* = \hat Y_0 + v_{g(i)} \hat u_0`, recompute
    the term and its analytic clustered SE exactly as above (with
    :math:`G/(G-1)`), and :math:`t^* = (\theta^* - \theta_0)/\mathrm{se}^*`.
    p-value :math:`P^*(|t^*| \ge |t|)` with :math:`t = (\hat\theta-\theta_0)/\mathrm{se}`
    (ties within 1e-9 relative count as extreme); the interval collects the
    :math:`\theta_0` not rejected at ``alpha``. Unclustered, every unit is its
    own cluster. ``impose_null=False``: residuals of the unit +
    cohort-by-period model (which reproduces every unconditional ATT(g, t)),
    :math:`t^*` centred at the fitted values' estimate, symmetric
    percentile-t interval. Cost: the estimator is evaluated on about
    ``G * (1 + n_terms)`` outcome matrices (``G`` clusters), once, before
    the draws.

    **Sample.** The panel is balanced first (units missing any period are
    dropped and counted, as R ``did`` does by default); units treated in the
    first period (no pre-period) are dropped and counted; units first
    treated after the last period + anticipation are treated as never
    treated Base periods are calendar
    periods (``t - 1``, ``g - 1 - anticipation``); when the panel lacks one
    (gapped periods) the cell is not estimated and counted in the notes (R
    ``did`` instead uses the nearest earlier observed period).

    Examples
    --------
    A simulated panel (synthetic data) whose true effect is 1.0 from adoption on:

    >>> from enforcement_crime.simulate import Effect, simulate_staggered
    >>> df = simulate_staggered(
    ...     n_units=60, periods=(2000, 2009), effect=Effect(att=1.0), n_states=12, seed=1
    ... )
    >>> cs = callaway_santanna(
    ...     df, "y", "unit", "time", "cohort", cluster="state", aggregation="dynamic", window=(-2, 2)
    ... )
    >>> cs.table.set_index("term")["estimate"].round(2).to_dict()
    {'e-2': -0.22, 'e-1': 0.14, 'e0': 1.13, 'e1': 1.06, 'e2': 1.01, 'ATT(dynamic)': 1.07}
    """
    _check_options(control_group, base_period, inference, anticipation, aggregation)
    check_boot_options(inference, bootstrap_weights, impose_null, n_boot)
    gt = att_gt(
        data,
        outcome,
        unit,
        time,
        cohort,
        control_group=control_group,
        anticipation=anticipation,
        base_period=base_period,
        weights=weights,
        cluster=cluster,
        controls=controls,
    )
    return aggregate(
        gt,
        aggregation,
        window=window,
        inference=inference,
        n_boot=n_boot,
        bootstrap_weights=bootstrap_weights,
        impose_null=impose_null,
        seed=seed,
        alpha=alpha,
    )


@dataclass(frozen=True)
class GroupTimeATT:
    """Callaway-Sant'Anna group-time ATTs of one panel: the input of :func:`aggregate`.

    Made by :func:`att_gt` (R ``did``'s ``att_gt``, whose result ``aggte``
    aggregates). ``cells`` has one row per estimated cell (``group``,
    ``time``, ``base``, ``estimate``, ``n_treated``, ``n_control``) and
    ``psi`` its influence functions (units x cells); the remaining fields
    are the options and the estimation sample the aggregation and its
    inference need. Never modified by :func:`aggregate`.
    """

    cells: pd.DataFrame
    psi: np.ndarray
    units: _Units
    cohorts: np.ndarray
    times: np.ndarray
    control_group: str
    anticipation: int
    base_period: str
    controls: tuple[str, ...]
    weights: str | None
    cluster: str | None
    cluster_name: str | None
    outcome: str
    notes: tuple[str, ...]
    dropped: dict
    n_skipped: int
    n_no_base: int


def att_gt(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    *,
    control_group: str = "never_treated",
    anticipation: int = 0,
    base_period: str = "varying",
    weights: str | None = None,
    cluster: str | None = None,
    controls: list[str] | None = None,
) -> GroupTimeATT:
    """Callaway-Sant'Anna group-time ATTs and their influence functions (no aggregation yet).

    Parameters are those of :func:`callaway_santanna` (same meaning and
    conventions); :func:`aggregate` turns the result into an
    :class:`~enforcement_crime.results.EstimationResult`.
    """
    _check_options(control_group, base_period, "analytic", anticipation, ())
    controls = list(controls or ())
    s = _sample(data, outcome, unit, time, cohort, weights, cluster, controls, anticipation)
    U = _unit_arrays(s, weights, controls)
    if control_group == "never_treated" and not (U.G == 0).any():
        raise EstimatorInputError(
            "no never-treated units: use control_group='not_yet_treated' (or drop periods from the last "
            "cohort's adoption on and use the last-treated cohort as the comparison group)"
        )
    glist = np.unique(U.G[U.G > 0])
    if len(glist) == 0:
        raise EstimatorInputError(_no_treated_message(s, cohort, anticipation))
    cells, no_base = _cells(glist, s.times, base_period, anticipation)
    cell_table, PSI, skipped = _group_time_atts(U, cells, control_group, anticipation, controls)
    if no_base:
        s.notes.append(
            f"{no_base} group-time cell(s) not estimated: base period not in the panel (gapped periods)"
        )
    if skipped:
        s.notes.append(f"{skipped} group-time cell(s) without comparison units not estimated")
    return GroupTimeATT(
        cell_table,
        PSI,
        U,
        glist,
        s.times,
        control_group,
        anticipation,
        base_period,
        tuple(controls),
        weights,
        cluster,
        s.pp.names["cluster"] if cluster is not None else None,
        outcome,
        tuple(s.notes),
        dict(s.dropped),
        skipped,
        no_base,
    )


def aggregate(
    gt: GroupTimeATT,
    type: str | Iterable[str] = _AGGREGATIONS,
    *,
    window: tuple[int, int] | None = None,
    inference: str = "analytic",
    n_boot: int = 999,
    bootstrap_weights: str | None = None,
    impose_null: bool = True,
    seed: int | None = None,
    alpha: float = 0.05,
) -> EstimationResult:
    """Aggregate group-time ATTs (R ``did``'s ``aggte``) with their inference.

    Parameters
    ----------
    gt : GroupTimeATT
        From :func:`att_gt`; not modified.
    type : str or iterable of str
        Any of ``"simple"``, ``"dynamic"``, ``"group"``, ``"calendar"``
        (``aggregation`` of :func:`callaway_santanna`).
    window : (int, int), optional
        Event times kept by the dynamic aggregation (R ``did``'s ``min_e``,
        ``max_e``): only ``e{k}`` with ``window[0] <= k <= window[1]`` are
        reported, in ``vcov`` too, and ``ATT(dynamic)`` averages the kept
        ``k >= 0``. Default: every event time.
    inference, n_boot, bootstrap_weights, impose_null, seed, alpha
        As in :func:`callaway_santanna`.
    """
    aggs = _check_options(gt.control_group, gt.base_period, inference, gt.anticipation, type)
    bootstrap_weights = check_boot_options(inference, bootstrap_weights, impose_null, n_boot)
    if window is not None and (len(window) != 2 or window[0] > window[1]):
        raise EstimatorInputError(f"window must be (first, last) event time, got {window!r}")
    U, glist, controls, cluster = gt.units, gt.cohorts, list(gt.controls), gt.cluster
    att_gt_cells = gt.cells.copy()
    PSI = gt.psi
    ref = -1 - gt.anticipation if gt.base_period == "universal" else None
    agg = CSAggregator(U, glist, att_gt_cells, PSI)
    agg.run(aggs, gt.times, ref, window)
    if not any(p is not None for p in agg.psi_terms):
        raise EstimatorInputError(
            f"no aggregate of {sorted(aggs)} is estimable: {len(att_gt_cells)} group-time cell(s) "
            f"estimated, none of them after adoption with comparison units ({gt.n_skipped} cell(s) "
            f"without comparison units, {gt.n_no_base} without a base period); e.g. every unit is "
            "treated from the panel's first period, or no not-yet-treated unit is left"
        )
    clustered = cluster is not None
    table, extra, vcov = _inference(
        agg,
        U,
        att_gt_cells,
        PSI,
        clustered,
        "analytic" if inference == "wild_cluster" else inference,
        n_boot,
        bootstrap_weights,
        seed,
        alpha,
    )
    p_value = None
    if inference == "wild_cluster":
        L = CSLinearMap(
            U,
            glist,
            att_gt_cells,
            gt.control_group,
            gt.anticipation,
            controls,
            aggs,
            gt.times,
            ref,
            U.cl_codes if clustered else np.arange(U.n),
            U.n_cl if clustered else U.n,
            window,
        )
        bootstrap_weights, p_value = apply_wild_cluster(
            table, extra, L, U, clustered, n_boot, bootstrap_weights, impose_null, seed, alpha
        )
    extra["reference_period"] = ref
    extra["units"] = U.units
    extra["clusters"] = np.asarray(U.cl_labels)[U.cl_codes]
    extra["pg"] = pd.Series(agg.pg)

    n_treated = int(np.unique(U.cl_codes[U.G > 0]).size) if clustered else int((U.G > 0).sum())
    few = warn_few_treated(n_treated, "callaway_santanna", clustered=clustered)
    weights = gt.weights
    note_parts = [
        f"control group: {gt.control_group.replace('_', '-')}",
        f"base period: {gt.base_period}",
        f"anticipation: {gt.anticipation}",
        f"outcome regression on {controls} (base-period values)" if controls else "unconditional",
        f"weights: {weights} (sampling weights; aggregation by weighted cohort size)"
        if weights
        else "unweighted",
        (
            f"SE clustered by {gt.cluster_name} (sum of influence function within cluster, G/(G-1))"
            if clustered
            else "SE from unit influence function (no clustering)"
        )
        if inference == "analytic"
        else wild_note(extra, gt.cluster_name, seed)
        if inference == "wild_cluster"
        else f"multiplier bootstrap ({bootstrap_weights}, {n_boot} draws, seed {seed}, "
        + (f"clustered by {gt.cluster_name})" if clustered else "by unit)"),
    ]
    if ref is None and "dynamic" in aggs:
        note_parts.append(
            "pre-period terms are period-to-period placebo changes (varying base, no reference row)"
        )
    if window is not None and "dynamic" in aggs:
        note_parts.append(f"event times {window[0]}..{window[1]} (ATT(dynamic) over those >= 0)")
    note_parts += list(gt.notes)
    if few:
        note_parts.append(few)
    if gt.dropped:
        note_parts.append(
            "dropped: " + "; ".join(f"{v} rows ({k})" for k, v in gt.dropped.items() if v)
        )
    return EstimationResult(
        estimator="callaway_santanna",
        table=table,
        n_obs=U.n * U.T,
        n_clusters=U.n_cl if clustered else None,
        notes="; ".join(note_parts),
        alpha=alpha,
        extra=extra,
        outcome=gt.outcome,
        p_value=p_value,
        vcov=vcov,
    )


# --------------------------------------------------------------------------------------
# steps
# --------------------------------------------------------------------------------------


def _check_options(control_group, base_period, inference, anticipation, aggregation) -> tuple:
    """Validate the option values; return the aggregations as a tuple."""
    if control_group not in ("never_treated", "not_yet_treated"):
        raise EstimatorInputError(
            f"control_group must be 'never_treated' or 'not_yet_treated', got {control_group!r}"
        )
    if base_period not in ("varying", "universal"):
        raise EstimatorInputError(
            f"base_period must be 'varying' or 'universal', got {base_period!r}"
        )
    if inference not in ("analytic", "bootstrap", "wild_cluster"):
        raise EstimatorInputError(
            f"inference must be 'analytic', 'bootstrap' or 'wild_cluster', got {inference!r}"
        )
    if (
        not isinstance(anticipation, (int, np.integer))
        or isinstance(anticipation, bool)
        or anticipation < 0
    ):
        raise EstimatorInputError(
            f"anticipation must be a non-negative integer, got {anticipation!r}"
        )
    aggs = (aggregation,) if isinstance(aggregation, str) else tuple(aggregation)
    bad = [a for a in aggs if a not in _AGGREGATIONS]
    if bad:
        raise EstimatorInputError(f"unknown aggregation(s) {bad}; choose from {_AGGREGATIONS}")
    return aggs


@dataclass
class _Sample:
    """The estimation sample: balanced, late cohorts recoded, first-period cohorts dropped."""

    pp: object
    df: pd.DataFrame
    times: np.ndarray
    first: int
    dropped: dict
    notes: list
    early_cohorts: list
    had_treated: bool


def _sample(data, outcome, unit, time, cohort, weights, cluster, controls, anticipation):
    pp = prepare_panel(
        data, outcome, unit, time, cohort, weights=weights, cluster=cluster, controls=controls
    )
    dropped = dict(pp.dropped)
    notes: list[str] = []
    df = pp.data
    times = pp.times
    df, rows_out, units_out = _balance(df, times)
    if rows_out:
        dropped[f"{units_out} unit(s) not observed in every period (panel balanced)"] = rows_out
    if df.empty:
        raise EstimatorInputError(
            "no unit is observed in every period; callaway_santanna needs a balanced panel"
        )
    first, last = int(times[0]), int(times[-1])
    had_treated = bool((df["cohort"] > 0).any())
    late = df["cohort"] > last + anticipation
    if late.any():
        notes.append(
            f"{df.loc[late, 'unit'].nunique()} unit(s) first treated after the last period treated as never treated"
        )
        df.loc[late, "cohort"] = 0
    early = (df["cohort"] > 0) & (df["cohort"] - anticipation <= first)
    early_cohorts = sorted(int(g) for g in df.loc[early, "cohort"].unique())
    if early.any():
        dropped[
            f"{df.loc[early, 'unit'].nunique()} unit(s) treated in the first period (no pre-period)"
        ] = int(early.sum())
        df = df.loc[~early].reset_index(drop=True)
    s = _Sample(pp, df, times, first, dropped, notes, early_cohorts, had_treated)
    if df.empty:
        raise EstimatorInputError(
            "no units left after dropping units treated in the first period: "
            + _no_treated_message(s, pp.names["cohort"], anticipation)
        )
    return s


def _no_treated_message(s: _Sample, cohort: str, anticipation: int) -> str:
    """Why no treated cohort is left (cohorts before the data, after it, or none at all)."""
    if s.early_cohorts:
        shift = f" + anticipation {anticipation}" if anticipation else ""
        return (
            f"no treated cohort can be estimated: cohort(s) {s.early_cohorts} of column {cohort!r} "
            f"start at or before the first period {s.first}{shift} (no pre-period to compare with); "
            "the data must include periods before adoption"
        )
    if s.had_treated:
        return (
            f"no treated cohort can be estimated: every cohort of column {cohort!r} starts after the "
            f"last period {int(s.times[-1])} (treated as never treated)"
        )
    return f"no treated units (every cohort in column {cohort!r} is 0/missing)"


@dataclass
class _Units:
    """Unit x period arrays of the balanced sample (rows sorted by unit, columns by time)."""

    Y: np.ndarray
    G: np.ndarray
    w: np.ndarray
    units: np.ndarray
    X: np.ndarray | None
    cl_codes: np.ndarray
    cl_labels: object
    tindex: dict

    @property
    def n(self) -> int:
        return self.Y.shape[0]

    @property
    def T(self) -> int:
        return self.Y.shape[1]

    @property
    def n_cl(self) -> int:
        return len(self.cl_labels)


def _unit_arrays(s: _Sample, weights, controls) -> _Units:
    df, times = s.df, s.times
    T = len(times)
    n = len(df) // T
    Y = df["y"].to_numpy().reshape(n, T)
    G = df["cohort"].to_numpy().reshape(n, T)[:, 0]
    W_all = df["w"].to_numpy().reshape(n, T)
    w = W_all[:, 0].copy()
    if weights and not np.allclose(W_all, w[:, None], rtol=0, atol=0):
        s.notes.append(
            f"weights {weights!r} vary within units: each unit weighted by its first-period value"
        )
    cl_all = df["cluster"].to_numpy().reshape(n, T)
    if not (cl_all == cl_all[:, :1]).all():
        raise EstimatorInputError(
            f"cluster column {s.pp.names['cluster']!r} must be constant within each unit"
        )
    units = df["unit"].to_numpy().reshape(n, T)[:, 0]
    X = None
    if controls:
        try:
            X = df[controls].to_numpy(dtype="float64").reshape(n, T, len(controls))
        except (TypeError, ValueError) as err:
            raise EstimatorInputError(f"controls {controls} must be numeric: {err}") from err
    cl_codes, cl_labels = pd.factorize(cl_all[:, 0])
    tindex = {int(t): k for k, t in enumerate(times)}
    return _Units(Y, G, w, units, X, cl_codes, cl_labels, tindex)


def _cells(glist, times, base_period: str, anticipation: int):
    """Group-time cells ``(g, t, base)`` and the number skipped for a base period outside the panel."""
    first = int(times[0])
    tindex = {int(t) for t in times}
    cells: list[tuple[int, int, int]] = []
    no_base = 0
    for g in glist:
        g = int(g)
        b_post = g - 1 - anticipation
        for t in times:
            t = int(t)
            if base_period == "universal":
                b = b_post
                if t == b:
                    continue
            else:
                if t == first:
                    continue
                b = b_post if t >= g else t - 1
            if b not in tindex:
                no_base += 1
                continue
            cells.append((g, t, b))
    return cells, no_base


def _group_time_atts(U: _Units, cells, control_group, anticipation, controls):
    """ATT(g, t) of every cell with its influence function (columns of ``PSI``)."""
    G, Y, w, tindex = U.G, U.Y, U.w, U.tindex
    gt_rows = []
    psi_cols = []
    skipped = 0
    for g, t, b in cells:
        d = G == g
        if control_group == "never_treated":
            c = G == 0
        else:
            c = (G == 0) | ((G > max(t, b) + anticipation) & (G != g))
        if not d.any() or not c.any():
            skipped += 1
            continue
        dy = Y[:, tindex[t]] - Y[:, tindex[b]]
        if controls:
            att_c, psi = _reg_adjusted_cell(dy, d, c, w, U.X[:, tindex[b], :], (g, t))
            psi_cols.append(psi)
            gt_rows.append((g, t, b, att_c, int(d.sum()), int(c.sum())))
            continue
        wd, wc = w * d, w * c
        sd, sc = wd.sum(), wc.sum()
        mu_d, mu_c = (wd @ dy) / sd, (wc @ dy) / sc
        psi = wd * (dy - mu_d) / sd - wc * (dy - mu_c) / sc
        psi_cols.append(psi)
        gt_rows.append((g, t, b, mu_d - mu_c, int(d.sum()), int(c.sum())))
    if not gt_rows:
        raise EstimatorInputError(
            "no estimable group-time cell (each needs treated and comparison units)"
        )
    att_gt = pd.DataFrame(
        gt_rows, columns=["group", "time", "base", "estimate", "n_treated", "n_control"]
    )
    return att_gt, np.column_stack(psi_cols), skipped


def _inference(
    agg: CSAggregator,
    U: _Units,
    att_gt,
    PSI,
    clustered,
    inference,
    n_boot,
    bootstrap_weights,
    seed,
    alpha,
):
    """Analytic (clustered) or multiplier-bootstrap standard errors and normal intervals."""
    terms, psi_terms = agg.terms, agg.psi_terms
    live = [k for k, p in enumerate(psi_terms) if p is not None]
    PSI_T = np.column_stack([psi_terms[k] for k in live]) if live else np.zeros((U.n, 0))

    S_T = cluster_sums(PSI_T, U.cl_codes, U.n_cl) if clustered else PSI_T
    S_gt = cluster_sums(PSI, U.cl_codes, U.n_cl) if clustered else PSI
    factor = cr1_scale(U.n_cl) if clustered else 1.0
    V = factor * (S_T.T @ S_T)
    se_an = np.sqrt(np.diag(V))
    att_gt["std_error"] = np.sqrt(factor * np.einsum("ck,ck->k", S_gt, S_gt))

    table = pd.DataFrame(terms)
    table["std_error"] = np.nan
    table.loc[live, "std_error"] = se_an
    extra: dict = {}
    if inference == "bootstrap":
        if n_boot < 2:
            raise EstimatorInputError(f"n_boot must be at least 2, got {n_boot}")
        rng = np.random.default_rng(seed)
        draws = _multiplier(rng, (n_boot, S_T.shape[0]), bootstrap_weights) @ S_T  # B x K
        iqr = np.quantile(draws, 0.75, axis=0) - np.quantile(draws, 0.25, axis=0)
        se_b = iqr / (norm.ppf(0.75) - norm.ppf(0.25))
        se_b = np.where(se_b > 0, se_b, np.nan)
        table.loc[live, "std_error"] = se_b
        extra["boot_se"] = pd.Series(se_b, index=table.loc[live, "term"].to_numpy())
        dyn = [j for j, k in enumerate(live) if terms[k]["kind"] == "dynamic"]
        if dyn:
            tstat = np.abs(draws[:, dyn]) / se_b[dyn]
            crit = float(np.quantile(np.nanmax(tstat, axis=1), 1 - alpha))
            est = table.loc[[live[j] for j in dyn], "estimate"].to_numpy()
            extra["uniform_band"] = pd.DataFrame(
                {
                    "term": table.loc[[live[j] for j in dyn], "term"].to_numpy(),
                    "conf_low": est - crit * se_b[dyn],
                    "conf_high": est + crit * se_b[dyn],
                    "crit": crit,
                }
            )
        extra["boot_draws"] = pd.DataFrame(draws, columns=table.loc[live, "term"].to_numpy())
    lo, hi = normal_ci(table["estimate"], table["std_error"], alpha)
    table["conf_low"], table["conf_high"] = lo, hi
    table.loc[table["kind"] == "ref", ["std_error", "conf_low", "conf_high"]] = np.nan
    table["event_time"] = table["event_time"].astype("Int64")

    dyn_terms = [terms[k]["term"] for k in live if terms[k]["kind"] == "dynamic"]
    pos = {terms[k]["term"]: j for j, k in enumerate(live)}
    sel = [pos[t] for t in dyn_terms]
    vcov = pd.DataFrame(V[np.ix_(sel, sel)], index=dyn_terms, columns=dyn_terms)
    lo_gt, hi_gt = normal_ci(att_gt["estimate"], att_gt["std_error"], alpha)
    att_gt["conf_low"], att_gt["conf_high"] = lo_gt, hi_gt
    extra["att_gt"] = att_gt
    extra["influence"] = pd.DataFrame(PSI_T, columns=table.loc[live, "term"].to_numpy())
    return table.drop(columns="kind"), extra, vcov
