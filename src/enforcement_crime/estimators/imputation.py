"""Imputation (Borusyak, Jaravel and Spiess 2024) and two-stage (Gardner 2021) DiD estimators.

Both fit unit and period fixed effects (and optional controls) on the
untreated observations only -- never treated units and not-yet-treated
periods -- and take the treated observations' differences from the fitted
untreated outcome as unit-period treatment effects. They give the same point
estimates; they differ in inference: :func:`imputation` uses BJS's
conservative clustered variance (Theorem 3), :func:`two_stage` the GMM
sandwich that accounts for the first stage (Gardner 2021; R ``did2s``,
pyfixest ``did2s``).

The first stage solves the sparse normal equations of the fixed-effects
regression directly (one sparse LU factorisation), so a 3,100-county x
17-year panel takes well under a second.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from scipy.sparse.linalg import splu

from enforcement_crime.estimators._core import (
    cluster_sums,
    count_treated_clusters,
    cr1_scale,
    warn_few_treated,
)
from enforcement_crime.estimators._docs import shared_parameters
from enforcement_crime.estimators._inputs import EstimatorInputError, normal_ci, prepare_panel
from enforcement_crime.results import EstimationResult, PretrendTest

__all__ = ["imputation", "two_stage"]


@dataclass
class _FirstStage:
    """Untreated fixed-effects fit shared by both estimators."""

    df: (
        pd.DataFrame
    )  # estimation sample (identifiable rows only), with columns treated, u_code, t_code
    Z: sp.csr_matrix  # design (unit dummies, time dummies without the first, controls) for all rows
    lu: object  # LU of Z0' W Z0
    coef: np.ndarray
    resid0: (
        np.ndarray
    )  # y - Z coef on every row (first-stage residual on untreated, tau_hat on treated)
    untreated: np.ndarray  # bool mask of rows in the first stage
    dropped: dict[str, int]
    notes: list[str]


def _first_stage(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    weights: str | None,
    cluster: str | None,
    controls: list[str] | None,
    anticipation: int,
) -> tuple[_FirstStage, object]:
    if (
        not isinstance(anticipation, (int, np.integer))
        or isinstance(anticipation, bool)
        or anticipation < 0
    ):
        raise EstimatorInputError(
            f"anticipation must be a non-negative integer, got {anticipation!r}"
        )
    pp = prepare_panel(
        data, outcome, unit, time, cohort, weights=weights, cluster=cluster, controls=controls
    )
    df = pp.data.copy()
    dropped = dict(pp.dropped)
    notes: list[str] = []
    controls = list(controls or ())
    for c in controls:
        df[c] = pd.to_numeric(df[c], errors="coerce").astype("float64")
    df["treated"] = (df["cohort"] > 0) & (df["time"] >= df["cohort"] - anticipation)
    if not df["treated"].any():
        raise EstimatorInputError(
            f"no treated observations (column {cohort!r} has no cohort within the panel)"
        )
    unt = ~df["treated"].to_numpy()
    if not unt.any():
        raise EstimatorInputError(
            "no untreated observations: unit and period effects cannot be estimated"
        )
    # identifiable fixed effects: units and periods with at least one untreated observation
    ok_unit = df.loc[unt, "unit"].unique()
    ok_time = df.loc[unt, "time"].unique()
    no_unit = ~df["unit"].isin(ok_unit)
    no_time = ~df["time"].isin(ok_time)
    if no_unit.any():
        dropped[
            f"treated obs of {df.loc[no_unit, 'unit'].nunique()} unit(s) never observed untreated (no unit effect)"
        ] = int(no_unit.sum())
    if (no_time & ~no_unit).any():
        dropped["treated obs in periods without untreated observations (no period effect)"] = int(
            (no_time & ~no_unit).sum()
        )
    df = df.loc[~(no_unit | no_time)].reset_index(drop=True)
    if not df["treated"].any():
        raise EstimatorInputError("no treated observation has an imputable untreated outcome")
    df["u_code"], ulev = pd.factorize(df["unit"])
    df["t_code"], tlev = pd.factorize(df["time"], sort=True)
    nU, nT, n = len(ulev), len(tlev), len(df)
    unt = ~df["treated"].to_numpy()

    # connectivity of the untreated unit-period graph (else the fixed effects are not identified)
    adj = sp.coo_matrix(
        (
            np.ones(int(unt.sum())),
            (df["u_code"].to_numpy()[unt], nU + df["t_code"].to_numpy()[unt]),
        ),
        shape=(nU + nT, nU + nT),
    )
    ncomp, _ = connected_components(adj, directed=False)
    if ncomp > 1:
        raise EstimatorInputError(
            f"the untreated observations split into {ncomp} disconnected unit-period sets; unit and period effects are not identified"
        )
    rows = np.arange(n)
    Zu = sp.csr_matrix((np.ones(n), (rows, df["u_code"].to_numpy())), shape=(n, nU))
    tc = df["t_code"].to_numpy()
    keep_t = tc > 0
    Zt = sp.csr_matrix(
        (np.ones(int(keep_t.sum())), (rows[keep_t], tc[keep_t] - 1)), shape=(n, nT - 1)
    )
    blocks = [Zu, Zt]
    if controls:
        blocks.append(sp.csr_matrix(df[controls].to_numpy()))
    Z = sp.hstack(blocks, format="csr")
    w = df["w"].to_numpy()
    y = df["y"].to_numpy()
    Z0 = Z[unt]
    A = (Z0.T @ sp.diags(w[unt]) @ Z0).tocsc()
    try:
        lu = splu(A)
    except RuntimeError as err:  # singular: collinear controls
        raise EstimatorInputError(
            f"first-stage design is singular (collinear controls {controls}?): {err}"
        ) from err
    coef = lu.solve(Z0.T @ (w[unt] * y[unt]))
    if not np.all(np.isfinite(coef)):
        raise EstimatorInputError(
            f"first-stage design is singular (collinear controls {controls}?)"
        )
    resid0 = y - Z @ coef
    if controls and np.abs(Z0.T @ (w[unt] * resid0[unt])).max() > 1e-6 * max(
        1.0, np.abs(Z0.T @ (w[unt] * y[unt])).max()
    ):
        raise EstimatorInputError(
            f"first-stage design is numerically singular (collinear controls {controls}?)"
        )
    return _FirstStage(df, Z, lu, coef, resid0, unt, dropped, notes), pp


def _estimands(df: pd.DataFrame, horizons, static: bool) -> tuple[list[str], list, np.ndarray]:
    """Names, event times and weight matrix (rows x estimands, each column sums to 1 on treated rows)."""
    tr = df["treated"].to_numpy()
    w = df["w"].to_numpy()
    e = (df["time"] - df["cohort"]).to_numpy()
    names, ets, cols = [], [], []
    if static:
        names.append("ATT")
        ets.append(pd.NA)
        cols.append(np.where(tr, w, 0.0))
    evs = np.unique(e[tr])
    if horizons is not None:
        wanted = set(int(h) for h in horizons)
        missing = sorted(wanted - set(int(v) for v in evs))
        if missing:
            raise EstimatorInputError(
                f"horizons {missing} have no treated observations; available event times {evs.tolist()}"
            )
        evs = np.array(sorted(wanted))
    if horizons is not None or not static:
        for k in evs:
            names.append(f"e{int(k)}")
            ets.append(int(k))
            cols.append(np.where(tr & (e == k), w, 0.0))
    Om = np.column_stack(cols)
    Om = Om / Om.sum(axis=0)
    return names, ets, Om


def _pretrend_leads(
    fs: _FirstStage, n_leads: int, anticipation: int
) -> tuple[list[int], np.ndarray, np.ndarray, dict]:
    """BJS Test 1: lead coefficients added to the untreated model, with CR1 cluster-robust variance."""
    from scipy.stats import chi2

    df = fs.df
    unt = fs.untreated
    e = (df["time"] - df["cohort"]).to_numpy()
    ever = df["cohort"].to_numpy() > 0
    ks = list(range(-n_leads - anticipation, -anticipation))
    L = np.column_stack([(unt & ever & (e == k)).astype("float64") for k in ks])
    empty = [k for k, c in zip(ks, L.sum(axis=0), strict=True) if c == 0]
    if empty:
        raise EstimatorInputError(
            f"pretrends: no untreated observations of treated units at event time(s) {empty}"
        )
    Z0 = sp.hstack([fs.Z, sp.csr_matrix(L)], format="csr")[unt]
    w0 = df["w"].to_numpy()[unt]
    y0 = df["y"].to_numpy()[unt]
    A = (Z0.T @ sp.diags(w0) @ Z0).tocsc()
    try:
        lu = splu(A)
    except RuntimeError as err:
        raise EstimatorInputError(
            f"pretrends: leads are collinear with the fixed effects ({err}); use fewer leads"
        ) from err
    coef = lu.solve(Z0.T @ (w0 * y0))
    if not np.all(np.isfinite(coef)):
        raise EstimatorInputError(
            "pretrends: leads are collinear with the fixed effects; use fewer leads"
        )
    resid = y0 - Z0 @ coef
    p = Z0.shape[1]
    E = np.zeros((p, n_leads))
    E[np.arange(p - n_leads, p), np.arange(n_leads)] = 1.0
    Ainv_cols = lu.solve(E)
    infl = (w0 * resid)[:, None] * np.asarray(Z0 @ Ainv_cols)
    codes, labels = pd.factorize(df["cluster"].to_numpy()[unt])
    G = len(labels)
    S = cluster_sums(infl, codes, G)
    V = cr1_scale(G) * (S.T @ S)
    gamma = coef[-n_leads:]
    stat = float(gamma @ np.linalg.solve(V, gamma))
    terms = tuple(f"e{k}" for k in ks)
    test = PretrendTest(
        stat,
        n_leads,
        float(chi2.sf(stat, n_leads)),
        terms,
        "wald",
        "Wald chi2, leads = 0 (BJS Test 1)",
    )
    return ks, gamma, V, test


def _few_treated(df: pd.DataFrame, tr: np.ndarray, cluster, name: str) -> list[str]:
    """The shared few-treated-clusters warning (clusters, or units when not clustered)."""
    n = count_treated_clusters(df, tr, cluster)
    msg = warn_few_treated(n, name, clustered=cluster is not None, stacklevel=4)
    return [msg] if msg else []


def _finish(
    name, names, ets, est, V, n_obs, n_cl, notes, alpha, extra, outcome
) -> EstimationResult:
    se = np.sqrt(np.clip(np.diag(V), 0, None))
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
    dyn = [k for k, t in enumerate(names) if t.startswith("e")]
    dn = [names[k] for k in dyn]
    extra["reference_period"] = None
    return EstimationResult(
        estimator=name,
        table=table,
        n_obs=n_obs,
        n_clusters=n_cl,
        notes="; ".join(notes),
        alpha=alpha,
        extra=extra,
        outcome=outcome,
        pretrend=extra.pop("pretrend", None),
        vcov=pd.DataFrame(V[np.ix_(dyn, dyn)], index=dn, columns=dn),
    )


def _bjs_weights_and_residuals(fs: _FirstStage, Om: np.ndarray, k: int, leave_one_out: bool):
    """Implied weights ``v`` of every row and the auxiliary residuals of BJS's variance (Theorem 3).

    Returns ``v`` (rows x estimands), ``eps`` (rows x estimands: first-stage
    residuals on untreated rows, ``tau_hat - tau_bar(g, e)`` on treated rows,
    leave-one-out corrected when asked) and ``tau_hat`` of the treated rows.
    """
    df = fs.df
    tr = df["treated"].to_numpy()
    unt = fs.untreated
    w = df["w"].to_numpy()
    # implied weights on untreated rows: v0 = -W0 Z0 A^{-1} Z1' omega1
    Z = fs.Z
    rhs = np.asarray(Z[tr].T @ Om[tr])
    X = fs.lu.solve(rhs)
    v = Om.copy()
    v[unt] = -(w[unt][:, None] * np.asarray(Z[unt] @ X))

    # auxiliary residuals on treated rows, per estimand
    eps = np.repeat(fs.resid0[:, None], k, axis=1)
    cell = pd.factorize(pd.MultiIndex.from_arrays([df["cohort"], df["time"] - df["cohort"]]))[0]
    ct = cell[tr]
    ncell = ct.max() + 1
    tau = fs.resid0[tr]
    vt = v[tr]
    num = np.zeros((ncell, k))
    den = np.zeros((ncell, k))
    np.add.at(num, ct, vt**2 * tau[:, None])
    np.add.at(den, ct, vt**2)
    tau_bar = np.divide(num, den, out=np.zeros_like(num), where=den > 0)
    e_tr = tau[:, None] - tau_bar[ct]
    if leave_one_out:
        share = np.divide(vt**2, den[ct], out=np.zeros_like(vt), where=den[ct] > 0)
        single = share >= 1 - 1e-12
        factor = np.where(single, 1.0, 1.0 / np.where(single, 1.0, 1 - share))
        e_tr = e_tr * factor
        if single[vt != 0].any():
            fs.notes.append(
                "leave-one-out undefined for cohort x event-time cells with one unit: plain residual used there"
            )
    eps[tr] = e_tr
    return v, eps, tau


@shared_parameters
def imputation(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    *,
    weights: str | None = None,
    cluster: str | None = None,
    controls: list[str] | None = None,
    horizons: list[int] | None = None,
    static: bool = True,
    anticipation: int = 0,
    leave_one_out: bool = False,
    pretrends: int = 0,
    alpha: float = 0.05,
) -> EstimationResult:
    r"""Borusyak-Jaravel-Spiess imputation estimator with their conservative clustered variance.

    Parameters
    ----------
    data : pandas.DataFrame
        Long panel (may be unbalanced).
    outcome, unit, time, cohort : str
        Column names; ``cohort`` is the first treated period, 0/missing = never.
    weights : str, optional
        Positive weights (e.g. population), used both in the first-stage
        regression (WLS) and as the estimand weights of the treated
        observations.
    cluster : str, optional
        Cluster id; defaults to the unit.
    controls : list of str, optional
        Time-varying controls added to the untreated model.
    horizons : list of int, optional
        Event times to report (``e{k}`` terms). Default: every event time
        with treated observations when ``static=False``, none when
        ``static=True`` and ``horizons`` is not given.
    static : bool
        Report the overall ``"ATT"`` (first row).
    anticipation : int
        Observations from ``cohort - anticipation`` on count as treated.
    leave_one_out : bool
        Apply BJS's leave-one-out refinement (Supplementary Appendix A.9)
        to the treated auxiliary residuals.
    pretrends : int
        Number of leads for BJS's pre-trend test (Test 1): the untreated
        model is re-fitted with dummies for event times ``-1 .. -pretrends``
        (shifted by ``anticipation``) of not-yet-treated units; their
        coefficients are reported as ``e{k}`` rows (k < 0) with CR1
        (G/(G-1)) cluster-robust SEs, and ``pretrend`` holds
        the joint Wald test. The effect estimates do not use the leads.
    <alpha>

    Returns
    -------
    EstimationResult
        Terms ``"ATT"`` and/or ``f"e{k}"``; ``vcov`` (event-time
        terms), ``extra["reference_period"] = None`` (effects are relative to
        the fitted untreated outcome, not to one period),
        ``extra["tau_hat"]`` (unit, time, cohort, tau_hat of treated rows),
        ``extra["weights_v"]`` (the implied weights :math:`v_{it}` per row and
        estimand), ``extra["cluster_scores"]`` (cluster x estimand sums
        :math:`\sum_{it \in c} v_{it}\tilde\varepsilon_{it}`), with ``pretrends`` also ``pretrend``. Lead
        rows follow ``"ATT"`` and precede ``e0``; ``vcov`` is block-diagonal between leads
        and effects (separate regressions; their covariance is not
        estimated).

    Raises
    ------
    EstimatorInputError
        No treated or no untreated observations, disconnected untreated
        sample, collinear controls, unknown horizons.

    Notes
    -----
    **Model.** :math:`Y_{it}(0) = \alpha_i + \lambda_t + X_{it}'\delta +
    \varepsilon_{it}`, fitted by (weighted) least squares on
    :math:`\Omega_0 = \{it: t < g_i - a\}` (never treated and not yet
    treated). Each treated observation gets :math:`\hat\tau_{it} = Y_{it} -
    \hat Y_{it}(0)`; the estimand is :math:`\tau_\omega = \sum_{it \in
    \Omega_1} \omega_{it}\tau_{it}` with :math:`\omega_{it} = w_{it} /
    \sum_{\Omega_1} w` over all treated observations (``ATT``) or those at
    event time :math:`k` (``e{k}``). Treated observations of units never
    observed untreated (or in periods without untreated observations) have
    no imputation and are dropped and counted.

    **Variance** (BJS 2024, Theorem 3, without small-sample correction):
    :math:`\hat\tau_\omega = \sum_{it} v_{it} Y_{it}` with :math:`v_{it} =
    \omega_{it}` on treated rows and :math:`v_0 = -W_0 Z_0 (Z_0'W_0Z_0)^{-1}
    Z_1'\omega_1` on untreated rows; :math:`\hat V = \sum_c (\sum_{it \in c}
    v_{it}\tilde\varepsilon_{it})^2`, where :math:`\tilde\varepsilon` is the
    first-stage residual on untreated rows and :math:`\hat\tau_{it} -
    \bar\tau_{g,e}` on treated rows, :math:`\bar\tau_{g,e} = \sum v^2\hat\tau
    / \sum v^2` within cohort x event-time cells (R ``didimputation``,
    diff-diff ``ImputationDiD`` default); with ``leave_one_out`` the treated
    residuals are divided by :math:`1 - v_{it}^2/\sum_{g,e} v^2`. The
    estimator is conservative (biased upward) under heterogeneous effects.
    """
    fs, pp = _first_stage(
        data, outcome, unit, time, cohort, weights, cluster, controls, anticipation
    )
    df = fs.df
    if horizons is None and not static:
        horizons_use = None
    else:
        horizons_use = horizons
    names, ets, Om = _estimands(df, horizons_use, static)
    tr = df["treated"].to_numpy()
    est = Om[tr].T @ fs.resid0[tr]

    v, eps, tau = _bjs_weights_and_residuals(fs, Om, len(names), leave_one_out)

    codes, labels = pd.factorize(df["cluster"])
    S = cluster_sums(v * eps, codes, len(labels))
    V = S.T @ S
    notes = [
        "BJS imputation: unit + period FE"
        + (f" + {list(controls)}" if controls else "")
        + " fitted on untreated observations",
        f"weights: {weights} (first-stage WLS and estimand weights)" if weights else "unweighted",
        f"SE: BJS conservative variance, clustered by {pp.names['cluster']}, cohort x event-time auxiliary averages"
        + (", leave-one-out" if leave_one_out else "")
        + ", no small-sample correction",
    ]
    notes += _few_treated(df, tr, cluster, "imputation")
    if anticipation:
        notes.append(f"anticipation: {anticipation}")
    notes += fs.notes
    if fs.dropped:
        notes.append(
            "dropped: " + "; ".join(f"{k2} rows ({k})" for k, k2 in fs.dropped.items() if k2)
        )
    extra = {
        "tau_hat": df.loc[tr, ["unit", "time", "cohort"]]
        .assign(tau_hat=tau)
        .reset_index(drop=True),
        "weights_v": pd.DataFrame(v, columns=names).assign(
            unit=df["unit"].to_numpy(), time=df["time"].to_numpy()
        ),
        "cluster_scores": pd.DataFrame(S, index=labels, columns=names),
    }
    if pretrends:
        ks, gamma, Vg, test = _pretrend_leads(fs, int(pretrends), anticipation)
        h = 1 if static else 0  # the headline ATT stays first; leads go before e0
        m = len(ks)
        names = names[:h] + [f"e{k}" for k in ks] + names[h:]
        ets = ets[:h] + ks + ets[h:]
        est = np.concatenate([est[:h], gamma, est[h:]])
        order = list(range(h)) + list(range(len(V), len(V) + m)) + list(range(h, len(V)))
        Vb = np.zeros((len(V) + m, len(V) + m))
        Vb[: len(V), : len(V)] = V
        Vb[len(V) :, len(V) :] = Vg
        V = Vb[np.ix_(order, order)]
        extra["pretrend"] = test
        notes.append(
            f"leads e{ks[0]}..e{ks[-1]}: BJS Test 1 coefficients from the untreated model, CR1 SEs; joint p = {test.p_value:.3g}"
        )
    return _finish(
        "imputation", names, ets, est, V, len(df), len(labels), notes, alpha, extra, outcome
    )


def two_stage(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    *,
    weights: str | None = None,
    cluster: str | None = None,
    controls: list[str] | None = None,
    horizons: list[int] | None = None,
    static: bool = True,
    anticipation: int = 0,
    alpha: float = 0.05,
) -> EstimationResult:
    r"""Gardner's two-stage DiD with the GMM (first-stage-corrected) clustered variance.

    Parameters
    ----------
    data, outcome, unit, time, cohort, weights, cluster, controls, horizons, static, anticipation, alpha
        As in :func:`imputation`. ``static=True`` regresses on the treatment
        dummy (term ``"ATT"``); event-time terms ``e{k}`` come from a separate
        second stage on event-time dummies (``horizons``; all treated event
        times when ``static=False``). Each second stage has its own GMM
        variance.

    Returns
    -------
    EstimationResult
        Same layout as :func:`imputation`; point estimates are identical to it.

    Notes
    -----
    **Stage 1**: :math:`Y_{it} = \alpha_i + \lambda_t + X_{it}'\delta +
    \varepsilon_{it}` on untreated observations (weighted least squares),
    giving :math:`\tilde Y_{it} = Y_{it} - \hat\alpha_i - \hat\lambda_t -
    X_{it}'\hat\delta` on all rows. **Stage 2**: (W)LS of :math:`\tilde Y` on
    the treatment dummy :math:`D_{it}` or on event-time dummies
    :math:`1\{t - g_i = k\}` without intercept, so each coefficient is the
    weighted mean of :math:`\tilde Y` over its treated rows -- the
    imputation estimate.

    **Variance** (Gardner 2021; R ``did2s``; pyfixest ``did2s``):
    :math:`\hat V = B^{-1} \big[\sum_c \psi_c\psi_c'\big] B^{-1}` with
    :math:`B = X_2'WX_2` and :math:`\psi_c = X_{2c}'W_c e_{2c} - X_2'WX_1
    (X_{10}'WX_{10})^{-1} X_{10c}'W_c e_{1c}`, where :math:`X_1` is the
    first-stage design, :math:`X_{10}` the same with treated rows set to
    zero, :math:`e_1` the first-stage and :math:`e_2` the second-stage
    residuals. No small-sample correction (as ``did2s``).
    """
    fs, pp = _first_stage(
        data, outcome, unit, time, cohort, weights, cluster, controls, anticipation
    )
    df = fs.df
    tr = df["treated"].to_numpy()
    unt = fs.untreated
    w = df["w"].to_numpy()
    Z = fs.Z
    codes, labels = pd.factorize(df["cluster"])
    ytil = fs.resid0
    e = (df["time"] - df["cohort"]).to_numpy()

    def gmm(X2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        B = X2.T @ (w[:, None] * X2)
        beta = np.linalg.solve(B, X2.T @ (w * ytil))
        e2 = ytil - X2 @ beta
        cross = np.asarray(Z.T @ (w[:, None] * X2))  # X1' W X2  (p x k)
        Gm = fs.lu.solve(cross)  # (X10'WX10)^{-1} X1'WX2
        e1 = np.where(unt, ytil, 0.0)
        corr = np.asarray(Z @ Gm) * (w * e1)[:, None]  # rows of X10 W e1 times G
        psi = X2 * (w * e2)[:, None] - corr
        S = cluster_sums(psi, codes, len(labels))
        Binv = np.linalg.inv(B)
        return beta, Binv @ (S.T @ S) @ Binv

    names, ets, ests, blocks = [], [], [], []
    if static:
        b, V = gmm(tr.astype("float64")[:, None])
        names.append("ATT")
        ets.append(pd.NA)
        ests.append(b)
        blocks.append(V)
    evs = np.unique(e[tr])
    if horizons is not None:
        missing = sorted(set(int(h) for h in horizons) - set(int(k) for k in evs))
        if missing:
            raise EstimatorInputError(
                f"horizons {missing} have no treated observations; available event times {evs.tolist()}"
            )
        evs = np.array(sorted(set(int(h) for h in horizons)))
    if horizons is not None or not static:
        X2 = np.column_stack([(tr & (e == k)).astype("float64") for k in evs])
        b, V = gmm(X2)
        names += [f"e{int(k)}" for k in evs]
        ets += [int(k) for k in evs]
        ests.append(b)
        blocks.append(V)
    est = np.concatenate(ests)
    Vfull = np.zeros((len(est), len(est)))
    o = 0
    for B in blocks:
        k = B.shape[0]
        Vfull[o : o + k, o : o + k] = B
        o += k
    notes = [
        "Gardner two-stage: unit + period FE"
        + (f" + {list(controls)}" if controls else "")
        + " fitted on untreated observations",
        f"weights: {weights} (both stages WLS)" if weights else "unweighted",
        f"SE: GMM sandwich with first-stage correction, clustered by {pp.names['cluster']}, no small-sample correction",
    ]
    notes += _few_treated(df, tr, cluster, "two_stage")
    if horizons is not None and static:
        notes.append(
            "ATT and event-time terms come from separate second stages (no covariance between them)"
        )
    if anticipation:
        notes.append(f"anticipation: {anticipation}")
    notes += fs.notes
    if fs.dropped:
        notes.append(
            "dropped: " + "; ".join(f"{k2} rows ({k})" for k, k2 in fs.dropped.items() if k2)
        )
    return _finish(
        "two_stage", names, ets, est, Vfull, len(df), len(labels), notes, alpha, {}, outcome
    )
