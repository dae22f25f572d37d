"""Synthetic control (Abadie et al.) and synthetic difference-in-differences (Arkhangelsky et al. 2021).

Both are for one or a few treated units adopting at one date (e.g. a single
county's 287(g) agreement), take a balanced long panel and return an
:class:`EstimationResult` whose ``extra`` holds the weights and the paths
needed for plots.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import optimize, stats

from enforcement_crime.estimators._docs import shared_parameters
from enforcement_crime.estimators._inputs import EstimatorInputError, prepare_panel
from enforcement_crime.results import EstimationResult

__all__ = ["synthetic_control", "synthetic_did"]

#: a pre-period RMSPE at or below this share of the outcome's root mean square
#: in the pre-period is a fit to rounding: its post/pre ratio is not a number
#: the data determine (it changes with the floating-point path of the solver),
#: so it counts as infinite
EXACT_FIT_RTOL = 1e-8


# ------------------------------------------------------------------ shared pieces
def _simplex_ls(
    A: np.ndarray, b: np.ndarray, ridge: float = 0.0, intercept: bool = False
) -> np.ndarray:
    """argmin over the simplex of ||A w + c - b||^2 + ridge ||w||^2 (c a free intercept when asked).

    Solved as one non-negative least-squares problem (Lawson-Hanson active
    set, exact for the inequality constraints) with the ridge as extra rows
    and the adding-up constraint as a heavily weighted row
    (weight ``1e4 * (||A||_2 + sqrt(ridge) + 1)``, so the sum is 1 to about
    1e-8 before the final renormalisation).
    """
    if intercept:
        A = A - A.mean(axis=0, keepdims=True)
        b = b - b.mean()
    n = A.shape[1]
    if n == 1:
        return np.ones(1)
    big = 1e4 * (np.linalg.norm(A, 2) + np.sqrt(ridge) + 1.0)
    blocks = [A]
    rhs = [b]
    if ridge > 0:
        blocks.append(np.sqrt(ridge) * np.eye(n))
        rhs.append(np.zeros(n))
    blocks.append(np.full((1, n), big))
    rhs.append(np.array([big]))
    w, _ = optimize.nnls(np.vstack(blocks), np.concatenate(rhs), maxiter=50 * n)
    if w.sum() <= 0:
        raise EstimatorInputError("synthetic weights: the constrained least-squares problem failed")
    return w / w.sum()


def _wide(data, outcome, unit, time, treated_units, treatment_time, extra=None):
    prep = prepare_panel(data, outcome, unit, time, extra=extra)
    if prep.dropped:
        raise EstimatorInputError(
            f"synthetic methods need a balanced panel without missing outcomes; {prep.drop_note()}"
        )
    df = prep.data
    Y = df.pivot(index="unit", columns="time", values="y")
    if Y.isna().any().any():
        bad = list(Y.index[Y.isna().any(axis=1)][:5])
        raise EstimatorInputError(
            f"synthetic methods need a balanced panel; units with missing periods, e.g. {bad}"
        )
    tr = (
        list(np.atleast_1d(treated_units))
        if not isinstance(treated_units, str)
        else [treated_units]
    )
    missing = [u for u in tr if u not in Y.index]
    if missing:
        raise EstimatorInputError(f"treated unit(s) {missing} not found in column {unit!r}")
    times = Y.columns.to_numpy()
    pre = times < treatment_time
    if pre.sum() < 2 or (~pre).sum() < 1:
        raise EstimatorInputError(
            f"treatment_time={treatment_time} must leave at least 2 pre-periods and 1 post-period in {list(times)}"
        )
    is_tr = Y.index.isin(tr)
    if (~is_tr).sum() < 2:
        raise EstimatorInputError("need at least 2 control units")
    return prep, df, Y, is_tr, pre, times


# ------------------------------------------------------------------ synthetic control
def _sc_fit(Xtr: np.ndarray, Xco: np.ndarray) -> np.ndarray:
    return _simplex_ls(Xco, Xtr)


@shared_parameters
def synthetic_control(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    treated_units,
    treatment_time: int,
    *,
    predictors: Sequence[str] | None = None,
    placebo: bool = True,
    alpha: float = 0.05,
) -> EstimationResult:
    r"""Abadie-Diamond-Hainmueller synthetic control with in-space placebo inference.

    Parameters
    ----------
    data : pandas.DataFrame
        Balanced long panel.
    <outcome, unit, time>
    treated_units : label or list of labels
        The treated unit(s); several are averaged into one treated series.
    treatment_time : int
        First treated period.
    predictors : list of str, optional
        Unit-level predictors (their pre-period means are matched, each
        standardised by its standard deviation across units, equal
        importance). Default: every pre-period outcome (the common
        specification in which predictor weights do not matter).
    placebo : bool
        Run the in-space placebos (each control in turn treated, the other
        controls as donors).
    alpha : float
        Stored on the result.

    Returns
    -------
    EstimationResult
        Term ``"ATT"``: the mean post-period gap; std_error and interval NaN
        (inference is the placebo p-value, the result's ``p_value``).
        ``extra``: ``weights`` (Series by control unit), ``path`` (DataFrame
        time, treated, synthetic, gap), ``rmspe_pre``, ``rmspe_post``, ``ratio``,
        ``placebos`` (DataFrame unit, rmspe_pre, rmspe_post, ratio) and
        ``placebo_gaps`` (DataFrame time x unit).

    Notes
    -----
    Weights :math:`W = \arg\min_{w \ge 0, \sum w = 1}
    \lVert X_1 - X_0 w \rVert^2` (no intercept), solved exactly as a
    non-negative least-squares problem. Gap :math:`g_t = Y_{1t} - Y_{0t}'W`;
    ATT = mean of :math:`g_t` over post periods.
    :math:`\text{RMSPE}_{pre/post} = \sqrt{\text{mean}_{t \in pre/post}\, g_t^2}`.
    Placebo p-value (Abadie et al. 2010): the rank of the treated unit's
    post/pre RMSPE ratio among itself and all placebos,
    :math:`p = \#\{j : r_j \ge r_1\}/(J + 1)` counting the treated unit.
    A pre RMSPE at most :data:`EXACT_FIT_RTOL` times the root mean square of
    the pre-period outcomes is a fit to rounding (more donors than pre-periods
    can reproduce any path): its ratio is infinite, and the notes count such
    units.
    """
    extra_cols = list(predictors) if predictors else None
    prep, df, Y, is_tr, pre, times = _wide(
        data, outcome, unit, time, treated_units, treatment_time, extra_cols
    )
    Yv = Y.to_numpy()
    controls = Y.index[~is_tr]
    if predictors:
        pm = (
            df.loc[df["time"] < treatment_time]
            .groupby("unit")[list(predictors)]
            .mean()
            .loc[Y.index]
        )
        if pm.isna().any().any():
            raise EstimatorInputError(
                f"predictors {list(predictors)} have missing pre-period means for some units"
            )
        sd = pm.std(ddof=1).replace(0, 1.0)
        X = (pm / sd).to_numpy().T  # k x units
    else:
        X = Yv[:, pre].T  # T0 x units

    def fit_one(tr_mask: np.ndarray, donors: np.ndarray):
        x1 = X[:, tr_mask].mean(axis=1)
        w = _sc_fit(x1, X[:, donors])
        y1 = Yv[tr_mask].mean(axis=0)
        y0 = Yv[donors].T @ w
        gap = y1 - y0
        r_pre = float(np.sqrt(np.mean(gap[pre] ** 2)))
        r_post = float(np.sqrt(np.mean(gap[~pre] ** 2)))
        return w, y1, y0, gap, r_pre, r_post

    pre_scale = float(np.sqrt(np.mean(Yv[:, pre] ** 2)))
    floor = EXACT_FIT_RTOL * (pre_scale if pre_scale > 0 else 1.0)

    def ratio_of(post: float, pre_: float) -> float:
        return post / pre_ if pre_ > floor else np.inf

    w, y1, y0, gap, r_pre, r_post = fit_one(is_tr, ~is_tr)
    ratio = ratio_of(r_post, r_pre)
    att = float(gap[~pre].mean())
    plac_rows, plac_gaps = [], {}
    p_value = np.nan
    n_exact = 0
    if placebo:
        co_idx = np.flatnonzero(~is_tr)
        for j in co_idx:
            m = np.zeros(len(Yv), dtype=bool)
            m[j] = True
            donors = ~is_tr & ~m
            _, _, _, g, rp, rq = fit_one(m, donors)
            plac_rows.append(
                {
                    "unit": Y.index[j],
                    "rmspe_pre": rp,
                    "rmspe_post": rq,
                    "ratio": ratio_of(rq, rp),
                }
            )
            plac_gaps[Y.index[j]] = g
        ratios = np.array([r["ratio"] for r in plac_rows])
        n_exact = int(np.isinf(ratios).sum())
        p_value = float((1 + np.sum(ratios >= ratio * (1 - 1e-12))) / (1 + len(ratios)))
    path = pd.DataFrame({"time": times, "treated": y1, "synthetic": y0, "gap": gap})
    notes = (
        f"synthetic control for {list(Y.index[is_tr])} from {treatment_time}; {len(controls)} donors; "
        + (
            "matching pre-period outcomes"
            if not predictors
            else f"matching standardised predictors {list(predictors)}"
        )
        + f"; pre RMSPE {r_pre:.4g}; post/pre RMSPE ratio {ratio:.4g}"
        + (f"; in-space placebo p={p_value:.4g} ({len(plac_rows)} placebos)" if placebo else "")
        + (
            f"; {'the treated unit and ' if np.isinf(ratio) else ''}{n_exact} "
            "placebo(s) fit the pre-period to rounding (pre RMSPE <= "
            f"{EXACT_FIT_RTOL:g} x the outcome's scale): their ratio counts as infinite"
            if np.isinf(ratio) or (placebo and n_exact)
            else ""
        )
    )
    table = pd.DataFrame(
        {
            "term": ["ATT"],
            "estimate": [att],
            "std_error": [np.nan],
            "conf_low": [np.nan],
            "conf_high": [np.nan],
        }
    )
    return EstimationResult(
        "synthetic_control",
        table,
        n_obs=prep.n_obs,
        n_clusters=None,
        notes=notes,
        alpha=alpha,
        extra={
            "weights": pd.Series(w, index=controls, name="weight"),
            "path": path,
            "rmspe_pre": r_pre,
            "rmspe_post": r_post,
            "ratio": ratio,
            "placebos": pd.DataFrame(plac_rows),
            "placebo_gaps": pd.DataFrame(plac_gaps, index=times),
        },
        p_value=p_value,
        outcome=outcome,
    )


# ------------------------------------------------------------------ synthetic DiD
def _sdid_weights(Yco_pre: np.ndarray, Yco_post: np.ndarray, ytr_pre: np.ndarray, n_tr: int):
    """Unit and time weights with Arkhangelsky et al.'s regularisation (R synthdid's defaults)."""
    T0 = Yco_pre.shape[1]
    N0 = Yco_pre.shape[0]
    T1 = Yco_post.shape[1]
    diffs = np.diff(Yco_pre, axis=1)
    sigma = float(np.std(diffs, ddof=1)) if diffs.size > 1 else 0.0
    zeta_w = (n_tr * T1) ** 0.25 * sigma
    zeta_l = 1e-6 * sigma
    omega = _simplex_ls(Yco_pre.T, ytr_pre, ridge=zeta_w**2 * T0, intercept=True)
    lam = _simplex_ls(Yco_pre, Yco_post.mean(axis=1), ridge=zeta_l**2 * N0, intercept=True)
    return omega, lam, sigma, zeta_w


def _sdid_tau(
    Ytr: np.ndarray, Yco: np.ndarray, pre: np.ndarray, omega: np.ndarray, lam: np.ndarray
) -> float:
    ytr = Ytr.mean(axis=0)
    yco = Yco.T @ omega
    d = ytr - yco
    return float(d[~pre].mean() - d[pre] @ lam)


@shared_parameters
def synthetic_did(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    treated_units,
    treatment_time: int,
    *,
    se_method: str = "placebo",
    n_reps: int = 200,
    seed: int | None = None,
    alpha: float = 0.05,
) -> EstimationResult:
    r"""Synthetic difference-in-differences (Arkhangelsky, Athey, Hirshberg, Imbens & Wager 2021).

    Parameters
    ----------
    data : pandas.DataFrame
        Balanced long panel.
    <outcome, unit, time>
    treated_units : label or list of labels
        Treated unit(s), all adopting at ``treatment_time`` (block design).
    treatment_time : int
        First treated period.
    se_method : {"placebo", "jackknife"}
        Placebo (Algorithm 4; works with a single treated unit): re-estimate
        on ``n_reps`` random sets of controls relabelled as treated.
        Jackknife (Algorithm 3, fixed weights; needs at least 2 treated
        units).
    n_reps : int
        Placebo replications.
    seed : int, optional
        Seed of ``numpy.random.default_rng`` for the placebo draws.
    alpha : float
        Level of the normal interval ``estimate -/+ z * se``.

    Returns
    -------
    EstimationResult
        Term ``"ATT"``. ``extra``: ``unit_weights`` (Series by control),
        ``time_weights`` (Series by pre period), ``path`` (DataFrame time,
        treated, synthetic: the weighted control mean shifted by the
        weighted pre-period difference, gap), ``zeta_omega``,
        ``noise_sd``, ``se_method``, ``replicates``.

    Notes
    -----
    With :math:`N_0` controls, :math:`N_1` treated, :math:`T_0` pre and
    :math:`T_1` post periods, :math:`\hat\sigma` the standard deviation of
    first differences of control outcomes over the pre periods,
    :math:`\zeta = (N_1 T_1)^{1/4}\hat\sigma`:

    .. math:: \hat\omega = \arg\min_{\omega_0, \omega \in \Delta}
       \sum_{t \le T_0} (\omega_0 + \omega'Y_{co,t} - \bar Y_{tr,t})^2
       + \zeta^2 T_0 \lVert\omega\rVert^2,

    .. math:: \hat\lambda = \arg\min_{\lambda_0, \lambda \in \Delta}
       \sum_{i \in co} (\lambda_0 + \lambda'Y_{i,pre} - \bar Y_{i,post})^2
       + (10^{-6}\hat\sigma)^2 N_0 \lVert\lambda\rVert^2,

    .. math:: \hat\tau = (\bar Y_{tr,post} - \hat\lambda'\bar Y_{tr,pre})
       - \hat\omega'(\bar Y_{co,post} - Y_{co,pre}\hat\lambda).

    The weights are the exact minimisers (non-negative least squares);
    R's synthdid and diff-diff stop Frank-Wolfe early and sparsify, so their
    weights (and estimates) differ slightly. Placebo SE:
    :math:`\sqrt{(B-1)/B}\,\mathrm{sd}(\hat\tau^{(b)})`; jackknife SE:
    :math:`\sqrt{(n-1)/n \sum_i (\hat\tau_{(-i)} - \bar\tau)^2}` over all
    units with weights held fixed (renormalised).
    """
    if se_method not in ("placebo", "jackknife"):
        raise EstimatorInputError(f"se_method must be 'placebo' or 'jackknife', not {se_method!r}")
    prep, df, Y, is_tr, pre, times = _wide(data, outcome, unit, time, treated_units, treatment_time)
    Yv = Y.to_numpy()
    Ytr, Yco = Yv[is_tr], Yv[~is_tr]
    n_tr = int(is_tr.sum())
    omega, lam, sigma, zeta = _sdid_weights(
        Yco[:, pre], Yco[:, ~pre], Ytr[:, pre].mean(axis=0), n_tr
    )
    tau = _sdid_tau(Ytr, Yco, pre, omega, lam)

    reps = np.array([])
    if se_method == "placebo":
        if Yco.shape[0] <= n_tr:
            raise EstimatorInputError("placebo SE needs more controls than treated units")
        rng = np.random.default_rng(seed)
        reps = np.empty(n_reps)
        for b in range(n_reps):
            perm = rng.permutation(Yco.shape[0])
            ptr, pco = Yco[perm[:n_tr]], Yco[perm[n_tr:]]
            o, lm, _, _ = _sdid_weights(pco[:, pre], pco[:, ~pre], ptr[:, pre].mean(axis=0), n_tr)
            reps[b] = _sdid_tau(ptr, pco, pre, o, lm)
        se = float(np.sqrt((n_reps - 1) / n_reps) * np.std(reps, ddof=1))
    else:
        if n_tr < 2:
            raise EstimatorInputError(
                "jackknife SE needs at least 2 treated units; use se_method='placebo'"
            )
        vals = []
        for i in range(Yco.shape[0]):
            keep = np.ones(Yco.shape[0], dtype=bool)
            keep[i] = False
            o = omega[keep]
            if o.sum() <= 0:
                continue
            vals.append(_sdid_tau(Ytr, Yco[keep], pre, o / o.sum(), lam))
        for i in range(n_tr):
            keep = np.ones(n_tr, dtype=bool)
            keep[i] = False
            vals.append(_sdid_tau(Ytr[keep], Yco, pre, omega, lam))
        reps = np.array(vals)
        n = len(reps)
        se = float(np.sqrt((n - 1) / n * np.sum((reps - reps.mean()) ** 2)))
    z = stats.norm.ppf(1 - alpha / 2)
    ytr = Ytr.mean(axis=0)
    yco = Yco.T @ omega
    shift = float((ytr - yco)[pre] @ lam)
    path = pd.DataFrame(
        {"time": times, "treated": ytr, "synthetic": yco + shift, "gap": ytr - yco - shift}
    )
    notes = (
        f"synthetic DiD for {n_tr} treated unit(s) from {treatment_time}; {Yco.shape[0]} controls; "
        f"zeta={zeta:.4g} (noise sd {sigma:.4g}); {se_method} SE"
        + (f" ({n_reps} reps, seed={seed})" if se_method == "placebo" else "")
        + "; normal interval"
    )
    table = pd.DataFrame(
        {
            "term": ["ATT"],
            "estimate": [tau],
            "std_error": [se],
            "conf_low": [tau - z * se],
            "conf_high": [tau + z * se],
        }
    )
    return EstimationResult(
        "synthetic_did",
        table,
        n_obs=prep.n_obs,
        n_clusters=None,
        notes=notes,
        alpha=alpha,
        extra={
            "unit_weights": pd.Series(omega, index=Y.index[~is_tr], name="omega"),
            "time_weights": pd.Series(lam, index=times[pre], name="lambda"),
            "path": path,
            "zeta_omega": zeta,
            "noise_sd": sigma,
            "se_method": se_method,
            "replicates": reps,
        },
        outcome=outcome,
    )
