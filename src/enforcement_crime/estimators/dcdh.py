"""de Chaisemartin and D'Haultfoeuille (2020) DID_M for treatments that switch on and off.

The estimator compares, period by period, units whose treatment switches
between ``t - 1`` and ``t`` (joiners 0 -> 1, leavers 1 -> 0) with units whose
treatment is stable over the same two periods, and averages these
comparisons over all switching cells. It needs no absorbing treatment, so it
suits 287(g) agreements that were signed and later ended. Inference is a
seeded cluster bootstrap, vectorised over draws.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from enforcement_crime.estimators._core import warn_few_treated
from enforcement_crime.estimators._docs import shared_parameters
from enforcement_crime.estimators._inputs import EstimatorInputError, normal_ci, prepare_panel
from enforcement_crime.results import EstimationResult

__all__ = ["dcdh"]

# category codes of a unit in a pair of periods
_J, _S0, _L, _S1 = 0, 1, 2, 3


def _stats_from_sums(sw: np.ndarray, swy: np.ndarray) -> np.ndarray:
    """DID_M, DID_+, DID_- from (weighted) counts and sums per period and category.

    ``sw`` and ``swy`` have shape (..., n_periods, 4) for categories joiner,
    stable-untreated, leaver, stable-treated. Returns (..., 3).
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = swy / sw
    ok_p = (sw[..., _J] > 0) & (sw[..., _S0] > 0)
    ok_m = (sw[..., _L] > 0) & (sw[..., _S1] > 0)
    d_plus = np.where(ok_p, mean[..., _J] - mean[..., _S0], 0.0)
    d_minus = np.where(ok_m, mean[..., _S1] - mean[..., _L], 0.0)
    n_p = np.where(ok_p, sw[..., _J], 0.0)
    n_m = np.where(ok_m, sw[..., _L], 0.0)
    Np, Nm = n_p.sum(axis=-1), n_m.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        did_m = ((n_p * d_plus).sum(axis=-1) + (n_m * d_minus).sum(axis=-1)) / (Np + Nm)
        plus = (n_p * d_plus).sum(axis=-1) / Np
        minus = (n_m * d_minus).sum(axis=-1) / Nm
    return np.stack([did_m, plus, minus], axis=-1)


def _dynamic_contributions(
    Y: np.ndarray, D: np.ndarray, Wt: np.ndarray, effects: int, placebos: int
) -> tuple[list[tuple[str, int]], np.ndarray, np.ndarray, int, int]:
    """Unit-level sums behind DID_l (l = 1..effects) and the placebos DID^pl_l (l = 1..placebos).

    Returns the horizons [(kind, l)], a unit x (4 H C) matrix of contributions ordered
    [switcher weight, switcher weighted change, control weight, control weighted change] x
    horizon x cohort, the cohort signs (+1 joiners, -1 leavers), H and C.
    """
    n, T = Y.shape
    obs_d = np.isfinite(D)
    first = np.argmax(obs_d, axis=1)
    base = D[np.arange(n), first]
    diff = obs_d & (D != base[:, None]) & (np.arange(T)[None, :] > first[:, None])
    F = np.where(diff.any(axis=1), np.argmax(diff, axis=1), T + 10**6)  # first switch (index)
    cohorts = sorted({(int(b), int(f)) for b, f in zip(base, F, strict=True) if f < T})
    horizons = [("effect", k) for k in range(1, effects + 1)] + [
        ("placebo", k) for k in range(1, placebos + 1)
    ]
    H, C = len(horizons), len(cohorts)
    out = np.zeros((n, 4, H, C))
    for c, (b, f) in enumerate(cohorts):
        sw = (base == b) & (F == f)
        for h, (kind, ell) in enumerate(horizons):
            t_out = f - 1 + ell
            t_ref = f - 1
            t_y = t_out if kind == "effect" else f - 1 - ell
            if t_out >= T or t_y < 0:
                continue
            dy = Y[:, t_y] - Y[:, t_ref]
            w = Wt[:, t_out] if kind == "effect" else Wt[:, t_ref]
            ok = np.isfinite(dy) & np.isfinite(w)
            if kind == "effect":
                ok &= np.isfinite(Y[:, t_out])
            ctrl = (base == b) & (F > t_out) & ok
            s_ = sw & ok
            if not ctrl.any() or not s_.any():
                continue
            out[s_, 0, h, c] = w[s_]
            out[s_, 1, h, c] = w[s_] * dy[s_]
            out[ctrl, 2, h, c] = w[ctrl]
            out[ctrl, 3, h, c] = w[ctrl] * dy[ctrl]
    signs = np.array([1.0 if b == 0 else -1.0 for b, _ in cohorts])
    return horizons, out.reshape(n, -1), signs, H, C


def _dynamic_stats(S: np.ndarray, signs: np.ndarray, H: int, C: int) -> np.ndarray:
    """DID_l per horizon from (..., 4 H C) sums: sum_c s_c (SY_c - W_c * ctrl mean_c) / sum_c W_c."""
    S = S.reshape(S.shape[:-1] + (4, H, C))
    sw_w, sw_wy, ct_w, ct_wy = S[..., 0, :, :], S[..., 1, :, :], S[..., 2, :, :], S[..., 3, :, :]
    ok = (sw_w > 0) & (ct_w > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        contrib = np.where(ok, signs * (sw_wy - sw_w * ct_wy / ct_w), 0.0)
        return contrib.sum(axis=-1) / np.where(ok, sw_w, 0.0).sum(axis=-1)


@shared_parameters
def dcdh(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    treatment: str,
    *,
    weights: str | None = None,
    cluster: str | None = None,
    controls: list[str] | None = None,
    placebo: bool = True,
    effects: int = 0,
    placebos: int = 0,
    n_boot: int = 500,
    seed: int | None = None,
    alpha: float = 0.05,
) -> EstimationResult:
    r"""de Chaisemartin-D'Haultfoeuille DID_M (AER 2020) with joiners/leavers split, placebo and cluster bootstrap.

    Parameters
    ----------
    data : pandas.DataFrame
        Long panel; may be unbalanced (a unit contributes to period ``t``
        only when observed at ``t - 1`` and ``t``).
    outcome, unit, time : str
        Column names; ``time`` holds consecutive integer periods.
    treatment : str
        Binary (0/1) treatment in each unit-period; it may switch on and
        off.
    weights : str, optional
        Positive cell sizes (e.g. population) :math:`N_{g,t}`; period
        ``t``'s weight is used for the ``t - 1``-to-``t`` comparison.
    cluster : str, optional
        Bootstrap resampling unit (e.g. state); default the unit.
    controls : None
        Not supported; passing any raises :class:`EstimatorInputError`.
    placebo : bool
        Also compute the placebo :math:`DID_M^{pl}`.
    effects, placebos : int
        Also compute the dynamic effects :math:`DID_\ell`, :math:`\ell =
        1..` ``effects`` and placebos :math:`DID^{pl}_\ell`, :math:`\ell =
        1..` ``placebos`` of de Chaisemartin and D'Haultfoeuille (2024), as
        event-study rows ``e{l-1}`` and ``e{-l-1}`` around the reference row
        ``e-1`` (the last period before the first switch).
    n_boot : int
        Cluster-bootstrap replications (0 for point estimates only).
    seed : int, optional
        Seed of ``numpy.random.default_rng``.
    <alpha>

    Returns
    -------
    EstimationResult
        Terms ``"ATT"`` (:math:`DID_M`), ``"ATT(joiners)"``
        (:math:`DID_+`), ``"ATT(leavers)"`` (:math:`DID_-`) and, with
        ``placebo``, ``"placebo"``, ``"placebo(joiners)"``,
        ``"placebo(leavers)"``; with ``effects``/``placebos`` the event-study
        rows, ``vcov`` (bootstrap covariance of those rows) and
        ``extra["reference_period"] = -1``. ``extra["periods"]`` holds the per-period
        components (counts and :math:`DID_{+,t}`, :math:`DID_{-,t}`),
        ``extra["boot"]`` the bootstrap draws.

    Raises
    ------
    EstimatorInputError
        Non-binary treatment, covariates, or no switching cell with a
        stable comparison group.

    Notes
    -----
    **Estimator.** For :math:`t \ge 2` let :math:`N_{d,d',t}` be the
    (weighted) number of units with :math:`D_{t-1}=d`, :math:`D_t=d'`, and
    :math:`\bar{\Delta Y}_{d,d',t}` their mean of :math:`Y_t - Y_{t-1}`.

    .. math::

        DID_{+,t} = \bar{\Delta Y}_{0,1,t} - \bar{\Delta Y}_{0,0,t},\qquad
        DID_{-,t} = \bar{\Delta Y}_{1,1,t} - \bar{\Delta Y}_{1,0,t},

        DID_M = \sum_t \frac{N_{0,1,t}}{N_S} DID_{+,t}
              + \frac{N_{1,0,t}}{N_S} DID_{-,t},
        \qquad N_S = \sum_t (N_{0,1,t} + N_{1,0,t}).

    Switching cells without a stable comparison group in the same period
    (no :math:`0,0` units for joiners, no :math:`1,1` units for leavers)
    are left out of both sums and counted in the notes.

    **Estimand.** Under parallel trends for the stable groups, no
    anticipation and no dynamic effects (effects of past treatment on
    current outcomes), :math:`DID_M` is unbiased for the average effect of
    the current treatment in the switching cells,
    :math:`\delta_S = E[\frac{1}{N_S}\sum_{(g,t): D_{g,t}\ne D_{g,t-1}}
    N_{g,t}(Y_{g,t}(1) - Y_{g,t}(0))]`; joiners contribute their effect of
    turning treatment on, leavers of turning it off (signed so that both
    measure :math:`Y(1) - Y(0)`). Lasting effects after treatment ends
    (e.g. of an ended 287(g) agreement) bias :math:`DID_-`.

    **Placebo.** :math:`DID_M^{pl}` repeats the computation on
    :math:`Y_{t-1} - Y_{t-2}` for units stable between :math:`t-2` and
    :math:`t-1` (joiners: :math:`0,0,1` vs :math:`0,0,0`; leavers:
    :math:`1,1,0` vs :math:`1,1,1`); it is centred on zero under parallel
    pre-trends.

    **Dynamic effects** (dCDH 2024, binary treatment). With baseline
    :math:`D_{g,1}` (first observed period) and first switch :math:`F_g`,
    for each switcher observed at :math:`F_g-1+\ell`:
    :math:`DID_{g,\ell} = Y_{g,F_g-1+\ell} - Y_{g,F_g-1} -` the (weighted)
    mean of the same change over units with the same baseline that have not
    switched by :math:`F_g-1+\ell`; :math:`DID_\ell = \sum_g N_g S_g
    DID_{g,\ell} / \sum_g N_g` with :math:`S_g = +1` for joiners and
    :math:`-1` for leavers (weights :math:`N_g` of period
    :math:`F_g-1+\ell`). It estimates the effect of having switched
    :math:`\ell` periods earlier, whatever happened to the treatment since
    (e.g. an agreement that ended). Placebos use :math:`Y_{g,F_g-1-\ell} -
    Y_{g,F_g-1}` with the controls of horizon :math:`\ell` (event-study
    sign: the ``e{-l-1}`` row is the outcome at :math:`F_g-1-\ell` relative
    to :math:`F_g-1`; the AER ``"placebo"`` row has the opposite sign
    convention, :math:`Y_{t-1}-Y_{t-2}`). Switchers without a control
    group at a horizon are left out of it.

    **Inference.** Clusters (default units) are resampled with replacement
    ``n_boot`` times and the estimator recomputed on each draw; the standard
    error is the standard deviation of the draws (ddof 1) and intervals are
    normal. Draws in which a term is not defined (e.g. no joiners sampled)
    are left out of that term's SD; the notes say how many.
    """
    if controls:
        raise EstimatorInputError(
            "dcdh: covariates (controls=) are not supported; pass controls=None"
        )
    pp, A = _dcdh_arrays(data, outcome, unit, time, treatment, weights, cluster)
    Y, D, Wt, times, n = A.Y, A.D, A.Wt, A.times, A.n
    W4, WY4, _ = _cell_arrays(Y, D, Wt, 0)
    sw, swy = W4.sum(axis=0), WY4.sum(axis=0)
    est = _stats_from_sums(sw, swy)
    names = ["ATT", "ATT(joiners)", "ATT(leavers)"]
    blocks = [_did_m_block(W4, WY4, n)]
    ets: list = [pd.NA] * 3
    if placebo and len(times) >= 3:
        W4p, WY4p, _ = _cell_arrays(Y, D, Wt, 1)
        est = np.concatenate([est, _stats_from_sums(W4p.sum(axis=0), WY4p.sum(axis=0))])
        names += ["placebo", "placebo(joiners)", "placebo(leavers)"]
        ets += [pd.NA] * 3
        blocks.append(_did_m_block(W4p, WY4p, n))
    n_static = len(est)
    if effects or placebos:
        if effects < 0 or placebos < 0:
            raise EstimatorInputError("effects and placebos must be non-negative integers")
        horizons, U, signs, H, C = _dynamic_contributions(Y, D, Wt, int(effects), int(placebos))
        dyn = _dynamic_stats(U.sum(axis=0), signs, H, C)
        for (kind, ell), v in zip(horizons, dyn, strict=True):
            if not np.isfinite(v):
                raise EstimatorInputError(
                    f"dcdh: {kind} at horizon {ell} has no switcher with a not-yet-switched comparison group; lower effects/placebos"
                )
        dyn_names = [f"e{-ell - 1}" if k == "placebo" else f"e{ell - 1}" for k, ell in horizons]
        est = np.concatenate([est, dyn])
        names += dyn_names
        ets += [int(nm[1:]) for nm in dyn_names]
        blocks.append((U, lambda S, signs=signs, H=H, C=C: _dynamic_stats(S, signs, H, C)))
    cnt = (W4 > 0).sum(axis=0)
    n_join, n_leave = int(cnt[:, _J].sum()), int(cnt[:, _L].sum())
    no_ctrl_j = int(cnt[:, _J][cnt[:, _S0] == 0].sum())
    no_ctrl_l = int(cnt[:, _L][cnt[:, _S1] == 0].sum())
    if not np.isfinite(est[0]):
        raise EstimatorInputError(
            f"no switching cell with a stable comparison group in the same period ({n_join} joiner and {n_leave} leaver cells)"
        )
    extra: dict = {"periods": _period_table(times, cnt, sw, swy)}
    notes = [
        "DID_M (de Chaisemartin-D'Haultfoeuille 2020): switchers vs units with stable treatment between t-1 and t",
        f"weights: {weights} (cell sizes N_g,t of period t)" if weights else "unweighted",
        f"{n_join} joiner and {n_leave} leaver unit-periods",
    ]
    if no_ctrl_j or no_ctrl_l:
        notes.append(
            f"left out for lack of a stable comparison group: {no_ctrl_j} joiner and {no_ctrl_l} leaver unit-periods"
        )
    switcher = ((W4[:, :, _J] > 0) | (W4[:, :, _L] > 0)).any(axis=1)
    n_sw = int(np.unique(A.c_codes[switcher]).size) if cluster else int(switcher.sum())
    few = warn_few_treated(n_sw, "dcdh", clustered=cluster is not None)
    if few:
        notes.append(few)
    if n_boot:
        se = _bootstrap_se(blocks, A.c_codes, len(A.c_labels), n_boot, seed, names, extra, notes)
        notes.append(
            f"SE: cluster bootstrap ({n_boot} draws, resampling {pp.names['cluster']}, seed {seed})"
        )
    else:
        se = np.full(len(est), np.nan)
        notes.append("no standard errors (n_boot=0)")
    if pp.dropped:
        notes.append(pp.drop_note())
    table = _dcdh_table(names, ets, est, se, alpha, n_static, n_boot, extra)
    if len(est) > n_static:
        notes.append(
            f"event study: DID_l (dCDH 2024) for l = 1..{effects}, placebos l = 1..{placebos}; reference e-1 = period before the first switch"
        )
    return EstimationResult(
        estimator="dcdh",
        table=table,
        n_obs=pp.n_obs,
        n_clusters=len(A.c_labels),
        notes="; ".join(notes),
        alpha=alpha,
        extra=extra,
        outcome=outcome,
        vcov=extra.pop("vcov", None),
    )


# --------------------------------------------------------------------------------------
# steps
# --------------------------------------------------------------------------------------


@dataclass
class _Arrays:
    """Unit x period matrices (NaN where a unit is not observed) and unit clusters."""

    Y: np.ndarray
    D: np.ndarray
    Wt: np.ndarray
    times: np.ndarray
    c_codes: np.ndarray
    c_labels: object

    @property
    def n(self) -> int:
        return self.Y.shape[0]


def _dcdh_arrays(data, outcome, unit, time, treatment, weights, cluster):
    """Check the panel and the 0/1 treatment; return the prepared panel and the unit x period arrays."""
    pp = prepare_panel(
        data, outcome, unit, time, None, weights=weights, cluster=cluster, extra=[treatment]
    )
    df = pp.data
    d = pd.to_numeric(df[treatment], errors="coerce")
    bad = d.isna() | ~d.isin([0, 1])
    if bad.any():
        rows = df.loc[bad, [pp.names["unit"], pp.names["time"], treatment]].head()
        raise EstimatorInputError(
            f"treatment {treatment!r} must be 0/1 in every row; e.g.:\n{rows.to_string()}"
        )
    cl = df.groupby("unit")["cluster"].nunique()
    if (cl > 1).any():
        raise EstimatorInputError(
            f"cluster column {pp.names['cluster']!r} must be constant within each unit"
        )
    times = pp.times
    if len(times) < 2:
        raise EstimatorInputError("dcdh needs at least two periods")
    u_codes, u_labels = pd.factorize(df["unit"])
    t_codes = np.searchsorted(times, df["time"].to_numpy())
    n, T = len(u_labels), len(times)
    Y = np.full((n, T), np.nan)
    D = np.full((n, T), np.nan)
    Wt = np.full((n, T), np.nan)
    Y[u_codes, t_codes] = df["y"].to_numpy()
    D[u_codes, t_codes] = d.to_numpy(dtype="float64")
    Wt[u_codes, t_codes] = df["w"].to_numpy()
    gaps = np.diff(times) != 1
    if gaps.any():
        raise EstimatorInputError(
            f"column {pp.names['time']!r} must hold consecutive periods; gaps after {times[:-1][gaps].tolist()}"
        )
    cl_unit = df.groupby(u_codes)["cluster"].first().to_numpy()
    c_codes, c_labels = pd.factorize(cl_unit)
    return pp, _Arrays(Y, D, Wt, times, c_codes, c_labels)


def _cell_arrays(Y, D, Wt, lag: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unit x period x category contributions: weights and weighted outcome changes.

    lag=0: categories of (D_{t-1}, D_t) with dY = Y_t - Y_{t-1}, t = 1..T-1.
    lag=1 (placebo): categories of (D_{t-2}, D_{t-1}, D_t) with D_{t-2} = D_{t-1} and
    dY = Y_{t-1} - Y_{t-2}, t = 2..T-1.
    """
    n = Y.shape[0]
    if lag == 0:
        d0, d1 = D[:, :-1], D[:, 1:]
        dy = Y[:, 1:] - Y[:, :-1]
        w = Wt[:, 1:]
        cat = np.where(d0 == 0, np.where(d1 == 1, _J, _S0), np.where(d1 == 0, _L, _S1))
        valid = np.isfinite(dy) & np.isfinite(d0) & np.isfinite(d1)
    else:
        d00, d0, d1 = D[:, :-2], D[:, 1:-1], D[:, 2:]
        dy = Y[:, 1:-1] - Y[:, :-2]
        w = Wt[:, 2:]
        cat = np.where(d0 == 0, np.where(d1 == 1, _J, _S0), np.where(d1 == 0, _L, _S1))
        valid = (
            np.isfinite(dy)
            & np.isfinite(d00)
            & np.isfinite(d0)
            & np.isfinite(d1)
            & (d00 == d0)
            & np.isfinite(w)
        )
    valid = valid & np.isfinite(w)
    P = dy.shape[1]
    W4 = np.zeros((n, P, 4))
    WY4 = np.zeros((n, P, 4))
    ii, pp_ = np.nonzero(valid)
    W4[ii, pp_, cat[ii, pp_]] = w[ii, pp_]
    WY4[ii, pp_, cat[ii, pp_]] = w[ii, pp_] * dy[ii, pp_]
    return W4, WY4, cat


def _did_m_block(W_: np.ndarray, WY_: np.ndarray, n: int):
    """Unit contributions and the function mapping their (resampled) sums to the DID_M terms."""
    P = W_.shape[1]
    U = np.concatenate([W_.reshape(n, -1), WY_.reshape(n, -1)], axis=1)
    return U, lambda S: _stats_from_sums(
        S[:, : P * 4].reshape(-1, P, 4), S[:, P * 4 :].reshape(-1, P, 4)
    )


def _period_table(times, cnt, sw, swy) -> pd.DataFrame:
    """Per-period counts of joiners, leavers and stable units, and the period DIDs."""
    periods = pd.DataFrame(
        {
            "time": times[1:],
            "n_joiners": cnt[:, _J],
            "n_stable_untreated": cnt[:, _S0],
            "n_leavers": cnt[:, _L],
            "n_stable_treated": cnt[:, _S1],
        }
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        m = swy / sw
    periods["did_plus"] = np.where((sw[:, _J] > 0) & (sw[:, _S0] > 0), m[:, _J] - m[:, _S0], np.nan)
    periods["did_minus"] = np.where(
        (sw[:, _L] > 0) & (sw[:, _S1] > 0), m[:, _S1] - m[:, _L], np.nan
    )
    return periods


def _bootstrap_se(blocks, c_codes, G: int, n_boot: int, seed, names, extra, notes) -> np.ndarray:
    """Cluster bootstrap (clusters resampled with replacement) standard errors of every term."""
    if n_boot < 2:
        raise EstimatorInputError(f"n_boot must be 0 or at least 2, got {n_boot}")
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(G, np.full(G, 1.0 / G), size=n_boot).astype("float64")  # B x G
    M = counts[:, c_codes]  # B x n unit multiplicities
    draws = np.concatenate([fn(M @ U_) for U_, fn in blocks], axis=1)  # B x terms
    finite = np.isfinite(draws)
    k_terms = draws.shape[1]
    se = np.array(
        [
            np.std(draws[finite[:, k], k], ddof=1) if finite[:, k].sum() > 1 else np.nan
            for k in range(k_terms)
        ]
    )
    n_undef = (~finite).sum(axis=0)
    if n_undef.any():
        notes.append(
            "bootstrap draws without a defined term: "
            + ", ".join(f"{names[k]} {int(n_undef[k])}" for k in range(k_terms) if n_undef[k])
        )
    extra["boot"] = pd.DataFrame(draws, columns=names)
    return se


def _dcdh_table(names, ets, est, se, alpha, n_static, n_boot, extra) -> pd.DataFrame:
    """Result rows; with dynamic terms, the reference row e-1 and their bootstrap vcov."""
    lo, hi = normal_ci(est, se, alpha)
    table = pd.DataFrame(
        {
            "term": names,
            "event_time": pd.array(ets, dtype="Int64"),
            "estimate": est,
            "std_error": se,
            "conf_low": lo,
            "conf_high": hi,
        }
    )
    if len(est) <= n_static:
        return table
    static_rows, dyn_rows = table.iloc[:n_static], table.iloc[n_static:]
    dyn_terms = list(dyn_rows["term"])
    ref = pd.DataFrame(
        {
            "term": ["e-1"],
            "event_time": pd.array([-1], dtype="Int64"),
            "estimate": [0.0],
            "std_error": [np.nan],
            "conf_low": [np.nan],
            "conf_high": [np.nan],
        }
    )
    table = (
        pd.concat([static_rows, dyn_rows, ref], ignore_index=True)
        .sort_values("event_time", na_position="first", kind="stable")
        .reset_index(drop=True)
    )
    if n_boot:
        bd = extra["boot"][dyn_terms].dropna()
        extra["vcov"] = (
            bd.cov() if len(bd) > 1 else pd.DataFrame(np.nan, index=dyn_terms, columns=dyn_terms)
        )
    else:
        extra["vcov"] = pd.DataFrame(np.nan, index=dyn_terms, columns=dyn_terms)
    order = table.loc[table["term"].isin(dyn_terms), "term"].tolist()
    extra["vcov"] = extra["vcov"].loc[order, order]
    extra["reference_period"] = -1
    return table
