"""Sun & Abraham (2021) interaction-weighted event-study estimator."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from enforcement_crime.estimators._core import (
    FixedEffects,
    count_treated_clusters,
    fit_within,
    prepare_fe_panel,
    warn_few_treated,
)
from enforcement_crime.estimators._docs import shared_parameters
from enforcement_crime.estimators._inputs import EstimatorInputError, joint_wald
from enforcement_crime.results import EstimationResult

__all__ = ["sun_abraham"]


@shared_parameters
def sun_abraham(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    *,
    weights: str | None = None,
    cluster: str | tuple[str, str] | None = None,
    controls: list[str] | None = None,
    control_group: str | None = None,
    reference: int = -1,
    window: tuple[int, int] | None = None,
    alpha: float = 0.05,
) -> EstimationResult:
    r"""Interaction-weighted (IW) event-study estimator of Sun & Abraham (2021).

    Parameters
    ----------
    <data>
    <outcome, unit, time>
    <cohort>
    weights : str, optional
        Analytic weights: the regression is weighted and so are the cohort
        shares (sums of weights instead of counts).
    cluster : str or (str, str), optional
        Cluster column(s); default the unit. Same CR1 correction as
        :func:`~enforcement_crime.estimators.twfe`.
    controls : list of str, optional
        Time-varying covariates added linearly.
    control_group : {"never_treated", "last_treated"}, optional
        Default: never-treated units when there are any, else the last
        treated cohort (Secure Communities). With ``"last_treated"`` the
        periods from that cohort's adoption on are dropped (counted in the
        notes) and it serves as the control.
    reference : int
        The relative period excluded for every cohort (default -1).
    window : (int, int), optional
        Event times reported (estimation is always fully saturated).
    <alpha>

    Returns
    -------
    EstimationResult
        Row ``"ATT"`` (the post-treatment average, see Notes), then rows
        ``e{k}`` per event time with the reference row (estimate 0, NaN SE).
        ``vcov`` (event-time terms) and ``pretrend`` (joint Wald test of the
        leads). ``extra``: ``reference_period``,
        ``cohort_effects`` (``cohort``, ``event_time``, ``estimate``,
        ``std_error``, ``weight`` = cohort share at that event time),
        ``control_group``.

    Notes
    -----
    Step 1, the saturated regression on treated cohorts :math:`g` and the
    control cohort :math:`C` (never or last treated):

    .. math:: y_{it} = \alpha_i + \lambda_t + \sum_{g \ne C}\sum_{e \ne r}
        \delta_{g,e} 1\{G_i = g\}1\{t - G_i = e\} + \varepsilon_{it}

    :math:`\delta_{g,e}` is :math:`CATT_{g,e}` relative to period :math:`r`
    (parallel trends and no anticipation). Step 2, the IW estimate at event
    time :math:`e` is

    .. math:: \hat\nu_e = \sum_g \hat\delta_{g,e}\,\widehat{\Pr}(G_i = g \mid G_i \in \mathcal G_e)

    with the share of cohort :math:`g` among the (weighted) observations at
    event time :math:`e`. ``"ATT"`` averages :math:`\hat\delta_{g,e}` over
    all post-treatment cells (:math:`e \ge 0`) with weights proportional to
    the cells' (weighted) observations: the average effect on the treated
    observations, as fixest's ``aggregate(..., agg = "ATT")``. Standard
    errors: delta method :math:`w' \hat V_\delta w` from the clustered
    variance of :math:`\hat\delta`, treating the shares as known (as
    fixest's ``sunab``; Sun & Abraham's extra term for estimated shares is
    omitted). Always-treated units (first treated at or before the first
    period) have no pre-period and are dropped, and counted.
    """
    controls = list(controls or [])
    p = prepare_fe_panel(
        data, outcome, unit, time, cohort, weights, cluster, controls, _extra(cluster)
    )
    df, control_group = _sa_sample(p, cohort, control_group)
    names, keys, cells, X = _sa_design(df, reference, controls)
    blocks = FixedEffects().blocks(p)
    fit = fit_within(
        df["y"].to_numpy(),
        X,
        names + controls,
        blocks,
        df["w"].to_numpy(dtype="float64"),
        p,
        cluster,
    )
    m = len(names)
    delta, Vd = fit.coef[:m], fit.vcov[:m, :m]
    ce = pd.DataFrame(keys, columns=["cohort", "event_time"])
    ce["estimate"] = delta
    ce["std_error"] = np.sqrt(np.clip(np.diag(Vd), 0, None))
    ce["cell_weight"] = cells["sum"].to_numpy()
    ce["weight"] = ce["cell_weight"] / ce.groupby("event_time")["cell_weight"].transform("sum")
    terms, ets, est, V = _sa_aggregate(ce, delta, Vd)
    tab = _sa_table(terms, ets, est, V, fit.df_t, alpha, reference, window)
    Vev = pd.DataFrame(V[1:, 1:], index=terms[1:], columns=terms[1:])
    leads = [f"e{e}" for e in ets if e < 0]
    pre = joint_wald([est[terms.index(t)] for t in leads], Vev.loc[leads, leads].to_numpy(), leads)
    notes = FixedEffects().notes(p, cluster)
    few = warn_few_treated(
        count_treated_clusters(df, (df["cohort"] > 0).to_numpy(), cluster), "sun_abraham"
    )
    if few:
        notes.append(few)
    notes.insert(
        0,
        f"Sun-Abraham IW; control: {control_group.replace('_', ' ')}; reference e{reference}; "
        "e{k} = cohort-share-weighted CATT(g,k); ATT = treated-cell-weighted mean of post CATT(g,e); "
        "delta-method SE with shares fixed",
    )
    return EstimationResult(
        "sun_abraham",
        tab,
        fit.n_obs,
        fit.n_clusters,
        "; ".join(notes),
        alpha,
        {
            "vcov_att": float(V[0, 0]),
            "reference_period": reference,
            "cohort_effects": ce.drop(columns="cell_weight"),
            "cohort_vcov": pd.DataFrame(Vd, index=names, columns=names),
            "control_group": control_group,
            "dropped": dict(p.dropped),
        },
        outcome=outcome,
        pretrend=pre,
        vcov=Vev,
    )


def _sa_sample(p, cohort: str, control_group: str | None) -> tuple[pd.DataFrame, str]:
    """Recode late cohorts, drop always-treated units and set up the control cohort (counted)."""
    df = p.data
    tmin, tmax = int(df["time"].min()), int(df["time"].max())
    df.loc[df["cohort"] > tmax, "cohort"] = 0  # adopted after the sample: never treated in it
    always = (df["cohort"] > 0) & (df["cohort"] <= tmin)
    if always.any():
        p.dropped[f"always-treated units' rows ({cohort} <= {tmin}, no pre-period)"] = int(
            always.sum()
        )
        df = df.loc[~always]
    has_never = bool((df["cohort"] == 0).any())
    if control_group is None:
        control_group = "never_treated" if has_never else "last_treated"
    if control_group not in ("never_treated", "last_treated"):
        raise EstimatorInputError(
            f"control_group must be 'never_treated' or 'last_treated', got {control_group!r}"
        )
    if control_group == "never_treated" and not has_never:
        raise EstimatorInputError("no never-treated units: use control_group='last_treated'")
    if control_group == "last_treated":
        last = int(df.loc[df["cohort"] > 0, "cohort"].max())
        late = df["time"] >= last
        p.dropped[f"rows from the last cohort's adoption ({last}) on (last-treated control)"] = int(
            late.sum()
        )
        df = df.loc[~late].copy()
        df.loc[df["cohort"] == last, "cohort"] = 0
        if df.loc[df["cohort"] == 0].empty:
            raise EstimatorInputError("no control units left")
    df = df.reset_index(drop=True)
    df["event_time"] = np.where(df["cohort"] > 0, df["time"] - df["cohort"], np.nan)
    p.data = df
    if not (df["cohort"] > 0).any():
        raise EstimatorInputError(f"no treated cohort left to estimate (column {cohort!r})")
    return df, control_group


def _sa_design(df: pd.DataFrame, reference: int, controls: list[str]):
    """Cohort x event-time indicators (all but the reference) and the controls."""
    tr = df["cohort"] > 0
    cells = (
        df.loc[tr & (df["event_time"] != reference)]
        .groupby(["cohort", "event_time"])["w"]
        .agg(["sum", "size"])
        .reset_index()
    )
    cohort_v = df["cohort"].to_numpy()
    et_v = df["event_time"].to_numpy()
    cols, keys = [], []
    for g, e in zip(cells["cohort"].astype(int), cells["event_time"].astype(int), strict=True):
        cols.append(((cohort_v == g) & (et_v == e)).astype("float64"))
        keys.append((g, e))
    no_ref = sorted(
        set(df.loc[tr, "cohort"]) - set(df.loc[tr & (df["event_time"] == reference), "cohort"])
    )
    if no_ref:
        raise EstimatorInputError(
            f"cohorts {no_ref} are not observed at the reference period {reference}"
        )
    names = [f"g{g}_e{e}" for g, e in keys]
    X = np.column_stack(cols + [pd.to_numeric(df[c]).to_numpy(dtype="float64") for c in controls])
    return names, keys, cells, X


def _sa_aggregate(ce: pd.DataFrame, delta: np.ndarray, Vd: np.ndarray):
    """IW event-time estimates and the ATT as linear combinations of the CATT(g, e), delta method."""
    m = len(delta)
    ets = sorted(ce["event_time"].unique())
    W = np.zeros((len(ets), m))
    for j, e in enumerate(ets):
        idx = np.nonzero(ce["event_time"].to_numpy() == e)[0]
        W[j, idx] = ce["weight"].to_numpy()[idx]
    post = ce["event_time"].to_numpy() >= 0
    w_att = np.where(post, ce["cell_weight"].to_numpy(), 0.0)
    if w_att.sum() <= 0:
        raise EstimatorInputError("no post-treatment observations of a treated cohort")
    w_att = w_att / w_att.sum()
    A = np.vstack([w_att, W])
    est = A @ delta
    V = A @ Vd @ A.T
    terms = ["ATT"] + [f"e{e}" for e in ets]
    return terms, ets, est, V


def _sa_table(terms, ets, est, V, df_t, alpha, reference, window) -> pd.DataFrame:
    """ATT row, then event-time rows with the reference (estimate 0), within ``window``."""
    se = np.sqrt(np.clip(np.diag(V), 0, None))
    q = stats.t.ppf(1 - alpha / 2, df_t)
    tab = pd.DataFrame(
        {
            "term": terms,
            "event_time": pd.array([pd.NA] + ets, dtype="Int64"),
            "estimate": est,
            "std_error": se,
            "conf_low": est - q * se,
            "conf_high": est + q * se,
        }
    )
    ref_row = pd.DataFrame(
        {
            "term": [f"e{reference}"],
            "event_time": pd.array([reference], dtype="Int64"),
            "estimate": [0.0],
            "std_error": [np.nan],
            "conf_low": [np.nan],
            "conf_high": [np.nan],
        }
    )
    dyn = pd.concat([tab.iloc[1:], ref_row], ignore_index=True).sort_values("event_time")
    if window is not None:
        dyn = dyn[(dyn["event_time"] >= window[0]) & (dyn["event_time"] <= window[1])]
    return pd.concat([tab.iloc[[0]], dyn], ignore_index=True)


def _extra(cluster):
    return list(cluster) if isinstance(cluster, tuple) else []
