"""Few-cluster and design-based inference for the TWFE treatment coefficient.

:func:`wild_cluster_bootstrap`
    Wild cluster restricted (WCR) bootstrap of the two-way fixed effects
    coefficient, with the unit and period effects partialled out exactly
    (Frisch-Waugh-Lovell) so that no dummy matrix is ever built.
:func:`randomization_inference`
    Permutation of whole adoption dates across units (cohort sizes preserved),
    the design-based test for staggered adoption.

Both use :class:`~enforcement_crime.estimators._core.TwoWayProjector`, an
exact (closed-form, not iterative) residual-maker for unit + period fixed
effects in weighted, possibly unbalanced panels; the weights, p-value and
test inversion of the bootstrap are :mod:`enforcement_crime.estimators._bootstrap`'s.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from enforcement_crime.estimators._bootstrap import (
    WEBB_BELOW,
    LinearWildT,
    WeightDraws,
    resolve_weights,
)
from enforcement_crime.estimators._core import (
    TwoWayProjector,
    check_units_nested,
    cluster_sums,
    cr1_scale,
    permute_cohorts,
    sorted_codes,
)
from enforcement_crime.estimators._docs import shared_parameters
from enforcement_crime.estimators._inputs import EstimatorInputError, prepare_panel
from enforcement_crime.results import EstimationResult

__all__ = ["wild_cluster_bootstrap", "randomization_inference"]


def _treatment_indicator(df: pd.DataFrame, treatment: str | None) -> np.ndarray:
    if treatment is not None:
        d = pd.to_numeric(df[treatment], errors="coerce")
        if d.isna().any() or not d.isin([0, 1]).all():
            raise EstimatorInputError(
                f"treatment column {treatment!r} must be 0/1 without missing values"
            )
        return d.to_numpy(dtype="float64")
    return (
        (df["cohort"].to_numpy() > 0) & (df["time"].to_numpy() >= df["cohort"].to_numpy())
    ).astype("float64")


@shared_parameters
def wild_cluster_bootstrap(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str | None = None,
    *,
    treatment: str | None = None,
    cluster: str,
    weights: str | None = None,
    controls: list[str] | None = None,
    bootstrap_weights: str = "auto",
    n_boot: int = 9999,
    impose_null: bool = True,
    seed: int | None = None,
    alpha: float = 0.05,
) -> EstimationResult:
    r"""Wild cluster bootstrap p-value and test-inverted interval for the TWFE coefficient.

    Parameters
    ----------
    <data>
    <outcome, unit, time>
    cohort : str, optional
        First treated period (0/missing = never); the treatment is then
        ``1{time >= cohort}`` for treated units. Give ``cohort`` or
        ``treatment``.
    treatment : str, optional
        A 0/1 treatment column (may switch off); overrides ``cohort``.
    cluster : str
        Cluster column (required; e.g. state). Units must be nested in
        clusters.
    weights : str, optional
        Positive analytic weights (e.g. population): weighted least squares.
    controls : list of str, optional
        Numeric time-varying covariates entering the regression linearly
        beside the fixed effects (e.g. a Secure Communities indicator). They
        are partialled out with the fixed effects (Frisch-Waugh-Lovell) and
        kept in both the restricted and the unrestricted model; rows with a
        missing control are dropped and counted in the notes.
    bootstrap_weights : {"auto", "rademacher", "webb"}
        Bootstrap weight distribution. ``"auto"`` uses Webb's six-point
        weights when there are fewer than 12 clusters, Rademacher otherwise.
        Rademacher weights are fully enumerated (all ``2**G`` sign vectors,
        a deterministic p-value) whenever ``2**G <= n_boot``.
    n_boot : int
        Number of bootstrap draws (ignored under full enumeration).
    impose_null : bool
        ``True`` (WCR, recommended): the bootstrap data are generated with
        the tested value imposed. ``False`` (WCU): unrestricted residuals;
        the p-value then tests 0 and the interval is the percentile-t
        interval.
    seed : int, optional
        Seed of ``numpy.random.default_rng``; draws are made exactly as
        ``wildboottest`` makes them (same seed, same draws).
    alpha : float
        Test level; the interval has coverage ``1 - alpha``.

    Returns
    -------
    EstimationResult
        One term ``"treated"`` with the TWFE estimate, its CR1 standard
        error and the bootstrap interval; ``p_value`` of ``H0: beta = 0``;
        ``extra`` holds ``t_stat``, ``t_boot`` (bootstrap t statistics
        under ``H0: beta = 0``), ``n_boot``, ``full_enumeration``,
        ``bootstrap_weights`` (the distribution used), ``se_cr1``.

    Notes
    -----
    Model: :math:`y_{it} = \alpha_i + \gamma_t + \beta D_{it} + z_{it}'\delta + u_{it}`
    (:math:`z` = ``controls``, absent by default), estimated by (weighted)
    least squares. With :math:`M` the residual maker of the two sets of fixed
    effects and the controls, :math:`\tilde x = M D`,
    :math:`\tilde y = M y` and :math:`\hat\beta = \tilde x'\tilde y / \tilde x'\tilde x`.

    WCR bootstrap of :math:`H_0: \beta = b_0` (Cameron, Gelbach & Miller
    2008; Roodman et al. 2019): restricted residuals
    :math:`r = \tilde y - b_0 \tilde x`; draw :math:`v_g` per cluster;
    :math:`y^* = \text{FE} + b_0 D + v_g r`; refit the *full* model
    (fixed effects included) and compute
    :math:`t^* = (\beta^* - b_0)/\text{se}^*_{CR1}`. The fixed effects are
    partialled out exactly: the bootstrap residuals are re-projected on the
    fixed effects, so the result equals a bootstrap with unit and period
    dummies (tested against ``wildboottest`` on the dummy regression).
    Because units are nested in clusters, only the period effects enter the
    cluster scores, through a rank-:math:`T` correction, which makes every
    draw :math:`O(G T)`. Controls add a rank-:math:`k` correction: with
    :math:`\tilde Z` the fixed-effect residuals of the controls,
    :math:`M = M_{FE} - \tilde Z(\tilde Z'\tilde Z)^{-1}\tilde Z'`, so a
    cluster's score also loses
    :math:`(\tilde x_g'\tilde Z_g)(\tilde Z'\tilde Z)^{-1}\sum_h v_h \tilde Z_h' r_h`
    (tested against ``wildboottest`` on the dummy regression with the
    controls as regressors).

    p-value :math:`P^*(|t^*| \ge |t|)` and the interval by test inversion
    (each :math:`b_0` re-imposes its own null with the same draws), as
    :mod:`~enforcement_crime.estimators._bootstrap` computes them for every
    wild bootstrap of the package.

    Standard error: CR1 with the package's correction
    (:data:`~enforcement_crime.estimators._core.SSC`), here
    :math:`K = T + 1 + k` (the :math:`T` period-effect levels, the
    coefficient and the :math:`k` controls; the unit effects are nested in
    the clusters and not counted). The scalar correction cancels from the
    bootstrap p-value and interval.

    Examples
    --------
    A simulated panel (synthetic data) with 8 state clusters and a true effect
    of 0.2: the ``2**8 = 256`` Rademacher sign vectors are all enumerated, so
    the p-value needs no seed and is a multiple of 1/256.

    >>> from enforcement_crime.simulate import Effect, simulate_staggered
    >>> df = simulate_staggered(
    ...     n_units=60, periods=(2000, 2009), effect=Effect(att=0.2), n_states=8, seed=1
    ... )
    >>> res = wild_cluster_bootstrap(
    ...     df, "y", "unit", "time", "cohort", cluster="state", bootstrap_weights="rademacher"
    ... )
    >>> res.extra["full_enumeration"], res.extra["n_boot"], res.p_value * 256
    (True, 256, 2.0)
    >>> round(res.estimate, 2), res.table[["conf_low", "conf_high"]].iloc[0].round(1).tolist()
    (0.29, [0.2, 0.4])
    """
    resolve_weights(bootstrap_weights, 2)  # refuse an unknown name before any work
    if cohort is None and treatment is None:
        raise EstimatorInputError(
            "give either cohort= (first treated period) or treatment= (0/1 column)"
        )
    if not 0 < alpha < 1:
        raise EstimatorInputError(f"alpha must be in (0, 1), got {alpha}")
    prep = prepare_panel(
        data,
        outcome,
        unit,
        time,
        cohort,
        weights=weights,
        cluster=cluster,
        controls=controls,
        extra=[treatment] if treatment else None,
    )
    return wild_bootstrap_prepared(
        prep,
        outcome=outcome,
        treatment=treatment,
        cluster=cluster,
        weights=weights,
        controls=controls,
        bootstrap_weights=bootstrap_weights,
        n_boot=n_boot,
        impose_null=impose_null,
        seed=seed,
        alpha=alpha,
    )


def wild_bootstrap_prepared(
    prep,
    *,
    outcome,
    treatment,
    cluster,
    weights,
    controls,
    bootstrap_weights,
    n_boot,
    impose_null,
    seed,
    alpha,
) -> EstimationResult:
    """:func:`wild_cluster_bootstrap` on a prepared panel (shared with ``twfe(...).wild_bootstrap()``)."""
    resolve_weights(bootstrap_weights, 2)
    fit = _wcb_fit(prep, treatment, cluster, list(controls or ()))
    G = fit.G
    draws = WeightDraws.make(bootstrap_weights, G, n_boot, seed)
    wt, B, full_enum = draws.kind, draws.n_boot, draws.full_enumeration
    scale = np.sqrt(fit.ssc) / fit.xx
    test = LinearWildT(fit.beta, fit.se, draws, _wcb_pieces(fit, impose_null), scale, impose_null)
    p0_value = test.pval(0.0)
    t_boot0 = test.tboot(0.0)
    lo, hi = test.interval(alpha)
    note_bits = [
        f"WC{'R' if impose_null else 'U'} bootstrap, {draws.describe()}",
        f"{G} clusters ({cluster}); CR1 SE with G/(G-1)(N-1)/(N-K), K={fit.K}; interval by test inversion; p(beta=0)={p0_value:.4g}",
    ]
    if wt == "rademacher" and G < WEBB_BELOW:
        note_bits.append("fewer than 12 clusters: Webb weights are recommended")
    treated_clusters = int(np.unique(fit.gcode[fit.d > 0]).size)
    if treated_clusters <= 3:
        note_bits.append(
            f"only {treated_clusters} treated cluster(s): the WCR bootstrap is unreliable with so few "
            "(MacKinnon & Webb 2017, it under-rejects); consider randomization_inference"
        )
    if weights:
        note_bits.append(f"weighted by {weights}")
    if controls:
        note_bits.append(f"controls {list(controls)} partialled out with the fixed effects (FWL)")
    if prep.drop_note():
        note_bits.append(prep.drop_note())
    table = pd.DataFrame(
        {
            "term": ["treated"],
            "estimate": [fit.beta],
            "std_error": [fit.se],
            "conf_low": [lo],
            "conf_high": [hi],
        }
    )
    return EstimationResult(
        "wild_cluster_bootstrap",
        table,
        n_obs=fit.N,
        n_clusters=G,
        notes="; ".join(note_bits),
        alpha=alpha,
        p_value=p0_value,
        extra={
            "t_stat": fit.beta / fit.se,
            "t_boot": t_boot0,
            "n_boot": B,
            "full_enumeration": full_enum,
            "bootstrap_weights": wt,
            "se_cr1": fit.se,
            "impose_null": impose_null,
            "treated_clusters": treated_clusters,
            "controls": list(controls or ()),
            "coef_controls": fit.delta,
        },
        outcome=outcome,
    )


@dataclass
class _WCBFit:
    """The TWFE fit on the FE-residualised data and the per-cluster pieces the bootstrap needs."""

    beta: float
    se: float
    xx: float
    ssc: float
    K: int
    N: int
    G: int
    d: np.ndarray
    gcode: np.ndarray
    score: np.ndarray  # per-cluster x~'e
    A: np.ndarray  # per-cluster x~'x~
    Sy: np.ndarray  # per-cluster x~'y~
    Xg: np.ndarray  # G x T: T' x~ by cluster
    Yg: np.ndarray  # G x T: T' y~ by cluster
    Eg: np.ndarray  # G x T: T' e by cluster
    XgK: np.ndarray  # Xg K^+
    # controls (k columns; empty when none): FWL pieces of the rank-k correction
    ZX: np.ndarray  # G x k: per-cluster Z~'x~
    ZY: np.ndarray  # G x k: per-cluster Z~'y~
    ZE: np.ndarray  # G x k: per-cluster Z~'e
    ZZi: np.ndarray  # k x k: (Z~'Z~)^{-1}
    delta: dict  # control coefficients of the full model


def _partial_controls(proj: TwoWayProjector, df: pd.DataFrame, controls: list[str]):
    """Fixed-effect residuals of the controls (scaled space) and ``(Z~'Z~)^{-1}``; raises when collinear."""
    if not controls:
        return np.zeros((len(df), 0)), np.zeros((0, 0))
    try:
        Z = df[controls].to_numpy(dtype="float64")
    except (TypeError, ValueError) as err:
        raise EstimatorInputError(f"controls {controls} must be numeric: {err}") from err
    Zt = proj.resid(proj.sw[:, None] * Z)
    ZZ = Zt.T @ Zt
    scale = np.sum((proj.sw[:, None] * Z) ** 2, axis=0)
    left = np.diag(ZZ)
    gone = [c for c, a, b in zip(controls, left, scale, strict=True) if a <= 1e-10 * max(b, 1.0)]
    if gone:
        raise EstimatorInputError(
            f"control(s) {gone} have no variation left after unit and period fixed effects "
            "(constant within units or periods); drop them"
        )
    if np.linalg.matrix_rank(ZZ) < len(controls):
        raise EstimatorInputError(
            f"controls {controls} are collinear after absorbing unit and period fixed effects"
        )
    return Zt, np.linalg.inv(ZZ)


def _wcb_fit(prep, treatment, cluster, controls=()) -> _WCBFit:
    df = prep.data
    check_units_nested(df, "wild_cluster_bootstrap")
    d = _treatment_indicator(df, treatment)
    _, ucode = sorted_codes(df["unit"])
    _, tcode = sorted_codes(df["time"])
    clus, gcode = sorted_codes(df["cluster"])
    G = len(clus)
    if G < 2:
        raise EstimatorInputError(
            f"wild_cluster_bootstrap needs at least 2 clusters in {cluster!r}; found {G}"
        )
    w = df["w"].to_numpy(dtype="float64")
    proj = TwoWayProjector(ucode, tcode, w)
    sw = proj.sw
    controls = list(controls)
    Zt, ZZi = _partial_controls(proj, df, controls)
    yt = proj.resid(sw * df["y"].to_numpy(dtype="float64"))
    xt = proj.resid(sw * d)
    if controls:
        # FWL: residualise the FE-demeaned outcome and treatment on the demeaned controls
        yt = yt - Zt @ (ZZi @ (Zt.T @ yt))
        xt = xt - Zt @ (ZZi @ (Zt.T @ xt))
    xx = float(xt @ xt)
    if xx <= 1e-12 * max(1.0, float((sw * d) @ (sw * d))):
        raise EstimatorInputError(
            "the treatment indicator has no variation left after unit and period fixed effects"
            + (" and the controls" if controls else "")
        )
    beta = float(xt @ yt) / xx
    N = len(df)
    n_times = proj.n_times
    K = n_times + 1 + len(controls)
    ssc = cr1_scale(G, N, K)
    e = yt - xt * beta
    score = cluster_sums(xt * e, gcode, G)
    se = float(np.sqrt(ssc * np.sum(score**2)) / xx)
    # per-cluster pieces
    A = np.bincount(gcode, weights=xt * xt, minlength=G)
    Sy = np.bincount(gcode, weights=xt * yt, minlength=G)
    # T' x_(g), T' y_(g) and T' e_(g): G x T matrices
    Xg = np.zeros((G, n_times))
    Yg = np.zeros((G, n_times))
    Eg = np.zeros((G, n_times))
    np.add.at(Xg, (gcode, tcode), sw * xt)
    np.add.at(Yg, (gcode, tcode), sw * yt)
    np.add.at(Eg, (gcode, tcode), sw * e)
    XgK = Xg @ proj.Kp
    ZX = cluster_sums(Zt * xt[:, None], gcode, G)
    ZY = cluster_sums(Zt * yt[:, None], gcode, G)
    ZE = cluster_sums(Zt * e[:, None], gcode, G)
    delta = {}
    if controls:
        # full-model control coefficients: (Z~'Z~)^{-1} Z~'(y~_FE - beta x~_FE) with FE-only residuals
        y_fe = proj.resid(sw * df["y"].to_numpy(dtype="float64"))
        x_fe = proj.resid(sw * d)
        delta = dict(zip(controls, ZZi @ (Zt.T @ (y_fe - beta * x_fe)), strict=True))
    return _WCBFit(
        beta,
        se,
        xx,
        ssc,
        K,
        N,
        G,
        d,
        gcode,
        score,
        A,
        Sy,
        Xg,
        Yg,
        Eg,
        XgK,
        ZX,
        ZY,
        ZE,
        ZZi,
        delta,
    )


def _wcb_pieces(fit: _WCBFit, impose_null: bool):
    """The linear maps of :class:`~._bootstrap.LinearWildT` for the TWFE coefficient.

    Restricted: residuals ``y~ - b0 x~``; per cluster the bootstrap score is
    ``P0 + b0 P1`` and ``beta* - b0 = n0 + b0 n1``. Unrestricted: residuals
    ``e``, no ``b0``. The period effects enter the scores through the rank-``T``
    correction ``XgK``, the controls through the rank-``k`` correction ``ZX (Z'Z)^-1``.
    """
    xx, A, XgK = fit.xx, fit.A, fit.XgK
    ZXi = fit.ZX @ fit.ZZi  # G x k

    def score(v, S, Tg, Z):
        """Per-cluster score of residuals with cluster sums ``S``, period sums ``Tg``, control sums ``Z``."""
        p = v * S[:, None] - XgK @ (Tg.T @ v) - np.outer(A, S @ v) / xx
        if fit.ZZi.size:
            p -= ZXi @ (Z.T @ v)
        return p

    if impose_null:
        return lambda v: (
            (fit.Sy @ v) / xx,
            -((A @ v) / xx),
            score(v, fit.Sy, fit.Yg, fit.ZY),
            -score(v, A, fit.Xg, fit.ZX),
        )
    return lambda v: ((fit.score @ v) / xx, None, score(v, fit.score, fit.Eg, fit.ZE), None)


def _fwl_setup(prep):
    df = prep.data
    _, ucode = sorted_codes(df["unit"])
    _, tcode = sorted_codes(df["time"])
    w = df["w"].to_numpy(dtype="float64")
    proj = TwoWayProjector(ucode, tcode, w)
    yt = proj.resid(proj.sw * df["y"].to_numpy(dtype="float64"))
    return proj, ucode, tcode, yt


def _ri_twfe(prep, estimator, unit_cohort, perms, n_perm, controls, cluster):
    """Observed and permuted TWFE coefficients by FWL (the outcome is residualised once)."""
    df = prep.data
    if estimator != "twfe":
        raise EstimatorInputError(f"estimator must be 'twfe' or a callable, not {estimator!r}")
    unused = [k for k, v in (("controls", controls), ("cluster", cluster)) if v]
    if unused:
        raise EstimatorInputError(
            f"randomization_inference with estimator='twfe' does not use "
            f"{', '.join(k + '=' for k in unused)} (the built-in statistic is the TWFE coefficient "
            "without controls, and a permutation test needs no standard error; use stratify= for "
            "assignment within groups); pass a callable estimator to use them"
        )
    proj, ucode, tcode, yt = _fwl_setup(prep)
    times = df["time"].to_numpy()

    def fit_many(cohorts_by_unit: np.ndarray) -> np.ndarray:
        # cohorts_by_unit: (k, n_units) -> estimates (k,)
        g = cohorts_by_unit[:, ucode].T  # n x k
        D = ((g > 0) & (times[:, None] >= g)).astype("float64") * proj.sw[:, None]
        X = proj.resid(D)
        xx = np.einsum("nk,nk->k", X, X)
        xy = D.T @ yt
        with np.errstate(divide="ignore", invalid="ignore"):
            out = xy / xx
        out[xx <= 1e-10 * np.einsum("nk,nk->k", D, D).clip(min=1.0)] = np.nan
        return out

    observed = float(fit_many(unit_cohort[None, :])[0])
    if not np.isfinite(observed):
        raise EstimatorInputError(
            "the treatment indicator has no variation left after unit and period fixed effects"
        )
    dist = np.concatenate([fit_many(perms[s : s + 100]) for s in range(0, n_perm, 100)])
    term = "treated"
    name = "twfe"
    return observed, dist, term, name


def _ri_callable(
    data, outcome, unit, time, cohort, estimator, units, perms, n_perm, weights, cluster, controls
):
    """Observed and permuted first-term estimates of a callable estimator (failures are NaN)."""
    base = data.loc[:, :].copy()
    ukey = data[unit].to_numpy()
    pos = pd.Index(units).get_indexer(ukey)

    def stat(cohort_by_unit: np.ndarray | None) -> float:
        frame = base
        if cohort_by_unit is not None:
            frame = base.copy()
            vals = np.where(pos >= 0, cohort_by_unit[np.clip(pos, 0, None)], 0)
            frame[cohort] = vals
        kw = {"weights": weights, "cluster": cluster, "controls": controls}
        res = estimator(frame, outcome, unit, time, cohort, **kw)
        return float(res.estimate)

    observed = stat(None)
    dist = np.empty(n_perm)
    for b in range(n_perm):
        try:
            dist[b] = stat(perms[b])
        except (EstimatorInputError, np.linalg.LinAlgError, ValueError):
            dist[b] = np.nan
    term = "ATT"
    name = getattr(estimator, "__name__", "callable")
    return observed, dist, term, name


def randomization_inference(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    *,
    estimator: str | Callable[..., EstimationResult] = "twfe",
    n_perm: int = 999,
    seed: int | None = None,
    stratify: str | None = None,
    weights: str | None = None,
    cluster: str | None = None,
    controls: list[str] | None = None,
    alpha: float = 0.05,
) -> EstimationResult:
    r"""Randomization (permutation) inference by reassigning whole adoption dates across units.

    Parameters
    ----------
    data : pandas.DataFrame
        Long panel.
    outcome, unit, time, cohort : str
        Column names; ``cohort`` = first treated period, 0/missing = never.
    estimator : "twfe" or callable
        ``"twfe"``: the static TWFE coefficient, computed by the FWL trick
        (outcome demeaned once, only the permuted treatment is re-projected).
        A callable is called as ``estimator(data, outcome, unit, time,
        cohort, weights=..., cluster=..., controls=...)`` and must return an
        :class:`EstimationResult`; the statistic is its first term's
        estimate (e.g. ``callaway_santanna``'s simple ATT).
    n_perm : int
        Number of permutations.
    seed : int, optional
        Seed of ``numpy.random.default_rng``.
    stratify : str, optional
        A unit-level column (e.g. state): permute cohorts only within its
        values.
    weights, cluster, controls : optional
        Passed to the estimator. ``cluster`` and ``controls`` only apply to
        a callable: with ``"twfe"`` giving either raises
        :class:`EstimatorInputError` instead of being ignored.
    alpha : float
        Stored on the result.

    Returns
    -------
    EstimationResult
        Term ``"ATT"`` (``"treated"`` for TWFE) with the observed estimate;
        ``std_error``/``conf_*`` are NaN (this is a test, not an interval).
        ``p_value``; ``extra``: ``permutation_distribution`` (array of
        ``n_perm`` permuted estimates), ``n_perm``, ``n_failed``.

    Notes
    -----
    Design: under the sharp null of no effect for any unit, the vector of
    unit adoption dates :math:`(G_1, \dots, G_n)` is exchangeable across
    units (within strata). Each permutation draws
    :math:`\pi` uniformly and gives unit :math:`i` the whole adoption date
    :math:`G_{\pi(i)}`, so the number of units in every cohort (including
    never treated) is preserved and each unit stays treated from its new
    date on. This differs from permuting the treatment cell by cell
    (``pyfixest``'s ``ritest``), which breaks the staggered design.

    Two-sided p-value with the +1 correction (the observed assignment counts
    as one draw):
    :math:`p = \left(1 + \#\{b: |\hat\beta_b| \ge |\hat\beta|\}\right)/(1 + B)`.
    It is exact (size at most alpha) under the sharp null for any
    estimator; permutations whose estimator fails are excluded and counted
    in ``n_failed``.

    The built-in statistic is the static TWFE coefficient
    :math:`\hat\beta = \tilde x'\tilde y/\tilde x'\tilde x` (unit and
    period effects partialled out exactly; weighted least squares with
    ``weights``). No standard error or small-sample correction enters: the
    test uses the coefficient itself, so clustering is irrelevant to its
    validity (stratify instead when assignment was within groups).
    """
    if n_perm < 1:
        raise EstimatorInputError("n_perm must be at least 1")
    extra_cols = [stratify] if stratify else None
    prep = prepare_panel(
        data,
        outcome,
        unit,
        time,
        cohort,
        weights=weights,
        cluster=cluster,
        controls=controls,
        extra=extra_cols,
    )
    return permute_prepared(
        prep,
        data=data,
        outcome=outcome,
        unit=unit,
        time=time,
        cohort=cohort,
        estimator=estimator,
        n_perm=n_perm,
        seed=seed,
        stratify=stratify,
        weights=weights,
        cluster=cluster,
        controls=controls,
        alpha=alpha,
    )


def permute_prepared(
    prep,
    *,
    data,
    outcome,
    unit,
    time,
    cohort,
    estimator,
    n_perm,
    seed,
    stratify,
    weights,
    cluster,
    controls,
    alpha,
) -> EstimationResult:
    """:func:`randomization_inference` on a prepared panel (shared with ``twfe(...).permute()``)."""
    if n_perm < 1:
        raise EstimatorInputError("n_perm must be at least 1")
    df = prep.data
    if stratify and stratify not in df:
        raise EstimatorInputError(
            f"stratify column {stratify!r} is not in the fitted panel; use randomization_inference("
            "data, ..., stratify=...) on the data"
        )
    units, first = np.unique(df["unit"].to_numpy(), return_index=True)
    unit_cohort = df["cohort"].to_numpy()[first]
    strata = None
    if stratify:
        if (df.groupby("unit")[stratify].nunique(dropna=False) > 1).any():
            raise EstimatorInputError(
                f"stratify column {stratify!r} must be constant within each unit"
            )
        strata = df[stratify].to_numpy()[first]
    if np.unique(unit_cohort).size < 2:
        raise EstimatorInputError(
            "all units share one cohort: permuting adoption dates changes nothing"
        )
    rng = np.random.default_rng(seed)
    perms = np.empty((n_perm, len(units)), dtype="int64")
    for b in range(n_perm):
        perms[b] = permute_cohorts(unit_cohort, strata, rng)

    if isinstance(estimator, str):
        observed, dist, term, name = _ri_twfe(
            prep, estimator, unit_cohort, perms, n_perm, controls, cluster
        )
    else:
        observed, dist, term, name = _ri_callable(
            data,
            outcome,
            unit,
            time,
            cohort,
            estimator,
            units,
            perms,
            n_perm,
            weights,
            cluster,
            controls,
        )
    ok = np.isfinite(dist)
    n_failed = int((~ok).sum())
    n_ok = int(ok.sum())
    if n_ok == 0:
        raise EstimatorInputError("every permutation failed to estimate")
    tol = 1e-12 * max(1.0, abs(observed))
    p = (1 + int(np.sum(np.abs(dist[ok]) >= abs(observed) - tol))) / (1 + n_ok)
    notes = [
        f"randomization inference with {name}: {n_ok} permutations of whole adoption dates across units"
        + (f" within {stratify}" if stratify else "")
        + f" (seed={seed}); two-sided p={p:.4g} with +1 correction",
    ]
    if n_failed:
        notes.append(f"{n_failed} permutations failed and were excluded")
    if prep.drop_note():
        notes.append(prep.drop_note())
    table = pd.DataFrame(
        {
            "term": [term],
            "estimate": [observed],
            "std_error": [np.nan],
            "conf_low": [np.nan],
            "conf_high": [np.nan],
        }
    )
    return EstimationResult(
        "randomization_inference",
        table,
        n_obs=prep.n_obs,
        n_clusters=None,
        notes="; ".join(notes),
        alpha=alpha,
        p_value=p,
        extra={
            "permutation_distribution": dist,
            "n_perm": n_ok,
            "n_failed": n_failed,
            "statistic": name,
        },
        outcome=outcome,
    )
