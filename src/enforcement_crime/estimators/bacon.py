"""Goodman-Bacon (2021) decomposition of the static TWFE coefficient into 2x2 comparisons."""

from __future__ import annotations

import numpy as np
import pandas as pd

from enforcement_crime.estimators._inputs import EstimatorInputError, prepare_panel
from enforcement_crime.results import EstimationResult

__all__ = ["bacon_decomposition"]

NEVER = "never treated"
ALWAYS = "always treated"


def _balanced_arrays(data, outcome, unit, time, cohort):
    """Unit x period outcomes of a balanced panel, unit cohorts and their labels (never/always/timing)."""
    p = prepare_panel(data, outcome, unit, time, cohort)
    if p.dropped:
        raise EstimatorInputError(
            f"bacon_decomposition needs a balanced panel without missing values; {p.drop_note()}"
        )
    df = p.data
    times = p.times
    T = len(times)
    counts = df.groupby("unit").size()
    if (counts != T).any():
        raise EstimatorInputError(
            f"bacon_decomposition needs a balanced panel: units {list(counts[counts != T].index[:5])} "
            f"are not observed in all {T} periods"
        )
    if not np.array_equal(times, np.arange(times[0], times[0] + T)):
        raise EstimatorInputError(f"periods of {time!r} must be consecutive integers")
    Y = df.pivot(index="unit", columns="time", values="y").to_numpy()
    g_unit = df.groupby("unit", sort=True)["cohort"].first().to_numpy()
    tmin, tmax = times[0], times[-1]
    label = np.where(
        (g_unit == 0) | (g_unit > tmax), NEVER, np.where(g_unit <= tmin, ALWAYS, "")
    ).astype(object)
    timing = sorted({int(g) for g, lab in zip(g_unit, label, strict=True) if lab == ""})
    if not timing:
        raise EstimatorInputError(
            "no cohort is first treated inside the panel: nothing to decompose"
        )
    for g in timing:
        label[g_unit == g] = g
    return p, Y, g_unit, label, timing


def _two_by_twos(Y, g_unit, label, timing, times) -> tuple[list[dict], float]:
    """Every 2x2 comparison with its weight and estimate, and the TWFE coefficient they decompose."""

    D = np.zeros_like(Y)
    for i, g in enumerate(g_unit):
        if label[i] == ALWAYS:
            D[i] = 1.0
        elif label[i] != NEVER:
            D[i] = (times >= g).astype(float)
    Dt = D - D.mean(1, keepdims=True) - D.mean(0, keepdims=True) + D.mean()
    VD = float((Dt**2).mean())
    Yt = Y - Y.mean(1, keepdims=True) - Y.mean(0, keepdims=True) + Y.mean()
    beta_twfe = float((Dt * Yt).sum() / (Dt**2).sum())

    def mean_path(lab):
        return Y[np.array([lb == lab for lb in label])].mean(0)

    share = {lab: float(np.mean([lb == lab for lb in label])) for lab in set(label)}
    dbar = {g: float((times >= g).mean()) for g in timing}
    rows = []

    def dd(a, b, pre, post):
        ya, yb = mean_path(a), mean_path(b)
        return (ya[post].mean() - ya[pre].mean()) - (yb[post].mean() - yb[pre].mean())

    for k in timing:
        for U in (NEVER, ALWAYS):
            if U not in share:
                continue
            nk, nu = share[k], share[U]
            nku = nk / (nk + nu)
            s = (nk + nu) ** 2 * nku * (1 - nku) * dbar[k] * (1 - dbar[k]) / VD
            b = dd(k, U, times < k, times >= k)
            typ = (
                "treated vs never treated"
                if U == NEVER
                else "treated vs always treated (forbidden)"
            )
            rows.append({"treated": str(k), "control": U, "type": typ, "weight": s, "estimate": b})
    for i, k in enumerate(timing):
        for l in timing[i + 1 :]:  # noqa: E741 (the paper's notation)
            nk, nl = share[k], share[l]
            nkl = nk / (nk + nl)
            Dk, Dl = dbar[k], dbar[l]
            s_k = (
                ((nk + nl) * (1 - Dl)) ** 2
                * nkl
                * (1 - nkl)
                * (Dk - Dl)
                / (1 - Dl)
                * (1 - Dk)
                / (1 - Dl)
                / VD
            )
            s_l = (nk + nl) ** 2 * Dk**2 * nkl * (1 - nkl) * (Dl / Dk) * (Dk - Dl) / Dk / VD
            mid = (times >= k) & (times < l)
            b_k = dd(k, l, times < k, mid)
            b_l = dd(l, k, mid, times >= l)
            rows.append(
                {
                    "treated": str(k),
                    "control": str(l),
                    "type": "earlier vs later treated",
                    "weight": s_k,
                    "estimate": b_k,
                }
            )
            rows.append(
                {
                    "treated": str(l),
                    "control": str(k),
                    "type": "later vs earlier treated (forbidden)",
                    "weight": s_l,
                    "estimate": b_l,
                }
            )
    return rows, beta_twfe


def bacon_decomposition(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    *,
    weights: str | None = None,
    cluster: str | None = None,
    controls: list[str] | None = None,
    alpha: float = 0.05,
) -> EstimationResult:
    r"""Every 2x2 DiD inside the static TWFE coefficient, with its weight and type.

    Parameters
    ----------
    data : pandas.DataFrame
        A **balanced** long panel (every unit in every period, no missing
        outcome); the decomposition is exact only there.
    outcome, unit, time, cohort : str
        Column names; ``cohort`` = first treated period, 0/missing = never.
        Cohorts after the last period count as never treated, cohorts at or
        before the first period as always treated.
    weights, controls : None
        Accepted for the common interface; the decomposition is of the
        unweighted TWFE without covariates, so giving either raises
        :class:`EstimatorInputError`.
    cluster : None
        Accepted for the common interface; the 2x2s carry no standard
        errors, so giving one raises :class:`EstimatorInputError`.
    alpha : float
        Kept for the common interface.

    Returns
    -------
    EstimationResult
        One row per 2x2 comparison (term ``"<treated> vs <control>"``,
        estimate = the 2x2 DiD; no standard errors).
        ``extra["comparisons"]``: columns ``treated``, ``control``, ``type``
        (``"treated vs never treated"``, ``"earlier vs later treated"``,
        ``"later vs earlier treated (forbidden)"``, ``"treated vs always
        treated (forbidden)"``), ``weight``, ``estimate``;
        ``extra["twfe"]`` the TWFE coefficient, ``extra["by_type"]`` weight
        and weighted mean per type, ``extra["decomposition_error"]``.

    Notes
    -----
    With timing groups :math:`k` (share :math:`n_k` of units, treated a
    share :math:`\bar D_k` of the periods) and groups with constant treatment
    :math:`U` (never or always treated), the unweighted TWFE coefficient is

    .. math:: \hat\beta^{DD} = \sum_{k}\sum_{U} s_{kU}\hat\beta_{kU}
        + \sum_{k<l} \left(s^k_{kl}\hat\beta^k_{kl} + s^l_{kl}\hat\beta^l_{kl}\right)

    with (Goodman-Bacon 2021, eq. 10-11; :math:`n_{ab} = n_a/(n_a+n_b)`,
    :math:`\hat V^D` the variance of the two-way-demeaned treatment)

    .. math::
        s_{kU} = (n_k+n_U)^2 n_{kU}(1-n_{kU}) \bar D_k (1-\bar D_k) / \hat V^D

        s^k_{kl} = ((n_k+n_l)(1-\bar D_l))^2 n_{kl}(1-n_{kl})
            \frac{\bar D_k-\bar D_l}{1-\bar D_l}\frac{1-\bar D_k}{1-\bar D_l} / \hat V^D

        s^l_{kl} = ((n_k+n_l)\bar D_k)^2 n_{kl}(1-n_{kl})
            \frac{\bar D_l}{\bar D_k}\frac{\bar D_k-\bar D_l}{\bar D_k} / \hat V^D

    :math:`\hat\beta^k_{kl}` compares the earlier group :math:`k` with the
    not-yet-treated later group over the periods before :math:`l`;
    :math:`\hat\beta^l_{kl}` compares :math:`l` with the already-treated
    :math:`k` after :math:`k` is treated (the "forbidden" comparison that
    biases TWFE when effects change over time). Always-treated units are
    kept as their own control group rather than merged into the never
    treated (Goodman-Bacon's footnote 11 merges them; diff-diff does);
    the sum is the same. Weights sum to one and the weighted sum equals the
    TWFE coefficient to rounding error (``extra["decomposition_error"]``).
    Unweighted only: with analytic weights the identity needs a weighted
    decomposition, which is not implemented.
    """
    given = [k for k, v in (("weights", weights), ("controls", controls)) if v]
    if given:
        raise EstimatorInputError(
            "bacon_decomposition decomposes the unweighted TWFE without covariates; "
            f"weights= and controls= are not supported (got {', '.join(k + '=' for k in given)})"
        )
    if cluster is not None:
        raise EstimatorInputError(
            "bacon_decomposition: cluster= is not used (the 2x2 comparisons carry no standard "
            "errors); drop cluster="
        )
    p, Y, g_unit, label, timing = _balanced_arrays(data, outcome, unit, time, cohort)
    df, times = p.data, p.times
    N = len(g_unit)
    rows, beta_twfe = _two_by_twos(Y, g_unit, label, timing, times)
    comp = pd.DataFrame(rows)
    comp = comp[comp["weight"] > 0].reset_index(drop=True)
    total = float((comp["weight"] * comp["estimate"]).sum())
    by_type = comp.groupby("type").apply(
        lambda d: pd.Series(
            {
                "weight": d["weight"].sum(),
                "estimate": np.average(d["estimate"], weights=d["weight"]),
            }
        ),
        include_groups=False,
    )
    tab = pd.DataFrame(
        {
            "term": comp["treated"] + " vs " + comp["control"],
            "estimate": comp["estimate"],
            "std_error": np.nan,
            "conf_low": np.nan,
            "conf_high": np.nan,
        }
    )
    forb = float(comp.loc[comp["type"].str.contains("forbidden"), "weight"].sum())
    notes = (
        f"Goodman-Bacon decomposition of unweighted TWFE ({beta_twfe:.6g}); {len(comp)} 2x2 comparisons; "
        f"weight on forbidden comparisons (already-treated controls) {forb:.3f}"
    )
    return EstimationResult(
        "bacon_decomposition",
        tab,
        n_obs=len(df),
        n_clusters=None,
        notes=notes,
        alpha=alpha,
        extra={
            "comparisons": comp,
            "twfe": beta_twfe,
            "by_type": by_type,
            "weight_sum": float(comp["weight"].sum()),
            "decomposition_error": total - beta_twfe,
            "n_units": N,
        },
        outcome=outcome,
    )
