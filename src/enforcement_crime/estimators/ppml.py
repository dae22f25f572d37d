"""Poisson pseudo-maximum likelihood (PPML) with unit and time fixed effects, for crime counts."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from enforcement_crime.estimators._core import warn_few_treated
from enforcement_crime.estimators._docs import shared_parameters
from enforcement_crime.estimators._inputs import EstimatorInputError, prepare_panel
from enforcement_crime.results import EstimationResult

__all__ = ["ppml"]


def _work_frame(p, outcome, unit, time, treatment, exposure, weights, controls):
    """The estimation frame handed to pyfixest (treatment, controls, offset, weights).

    Rows with a missing exposure and units with zero counts in every period
    are dropped and counted in ``p.dropped``.
    """
    df = p.data
    if (df["y"] < 0).any():
        bad = df.loc[df["y"] < 0, [unit, time, outcome]].head()
        raise EstimatorInputError(
            f"ppml: {outcome!r} must be a non-negative count; e.g.:\n{bad.to_string()}"
        )
    if treatment is not None:
        d = pd.to_numeric(df[treatment], errors="coerce")
        if d.isna().any() or not d.isin([0, 1]).all():
            raise EstimatorInputError(
                f"treatment column {treatment!r} must be 0/1 without missing values"
            )
        D = d.to_numpy(dtype="float64")
    else:
        D = ((df["cohort"] > 0) & (df["time"] >= df["cohort"])).to_numpy(dtype="float64")
    work = pd.DataFrame(
        {
            "y": df["y"].to_numpy(),
            "treated": D,
            "unit": df["unit"].to_numpy(),
            "time": df["time"].to_numpy(),
        }
    )
    work["cl"] = pd.factorize(df["cluster"])[0]
    for j, c in enumerate(controls):
        work[f"x{j}"] = pd.to_numeric(df[c]).to_numpy(dtype="float64")
    kw = {}
    if exposure:
        e = pd.to_numeric(df[exposure], errors="coerce")
        miss = e.isna()
        if miss.any():
            p.dropped[f"missing {exposure}"] = int(miss.sum())
        if (e[~miss] <= 0).any():
            bad = df.loc[~miss & (e <= 0), [unit, time, exposure]].head()
            raise EstimatorInputError(
                f"ppml: exposure {exposure!r} must be positive; e.g.:\n{bad.to_string()}"
            )
        work["offset"] = np.log(e.where(~miss, 1.0))
        work = work.loc[~miss.to_numpy()]
        kw["offset"] = "offset"
    if weights:
        work["w"] = df.loc[work.index, "w"].to_numpy()
        kw["weights"] = "w"
    allzero = work.groupby("unit")["y"].transform("sum") == 0
    if allzero.all():
        raise EstimatorInputError(f"ppml: {outcome!r} is zero everywhere")
    if allzero.any():
        p.dropped["rows of units with zero counts in every period (no information in PPML)"] = int(
            allzero.sum()
        )
        work = work.loc[~allzero]
    return work, kw


@shared_parameters
def ppml(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str | None = None,
    *,
    treatment: str | None = None,
    exposure: str | None = None,
    weights: str | None = None,
    cluster: str | None = None,
    controls: list[str] | None = None,
    alpha: float = 0.05,
    tol: float = 1e-10,
) -> EstimationResult:
    r"""Poisson regression with unit and time fixed effects (pyfixest ``fepois``).

    A robustness check to rate regressions: the outcome is a count (e.g.
    violent crimes), and ``exposure`` (e.g. population) enters as the offset
    :math:`\log(\text{exposure})`, so the coefficient is a proportional effect
    on the crime *rate* without taking logs of zeros.

    Parameters
    ----------
    data, outcome, unit, time : DataFrame and str
        Long panel; ``outcome`` a non-negative count (non-integers are
        allowed: PPML needs only the conditional mean).
    cohort : str, optional
        First treated period (0/missing = never); treatment
        ``D = 1{t >= g}``. Or give ``treatment``, a 0/1 column.
    treatment : str, optional
        Explicit 0/1 treatment (may switch off).
    exposure : str, optional
        Positive exposure; ``log(exposure)`` is the offset.
    weights : str, optional
        Positive weights of the pseudo-likelihood.
    cluster : str, optional
        Cluster column; default the unit.
    controls : list of str, optional
        Covariates entering the log-mean linearly.
    <alpha>
    tol : float
        Convergence tolerance of the IRLS iterations.

    Returns
    -------
    EstimationResult
        Row ``"treated"``: the log-rate coefficient :math:`\beta`;
        ``extra["rate_ratio"]`` = :math:`e^\beta` with its interval and
        ``extra["percent_effect"]`` = :math:`100(e^\beta - 1)`.

    Notes
    -----
    Model: :math:`E[y_{it} \mid \cdot] = \exp(\alpha_i + \lambda_t + \beta D_{it}
    + X_{it}'\gamma + \log \text{exposure}_{it})`. :math:`\beta` is the log of
    the ratio of the treated units' expected count with and without
    treatment, assumed common (homogeneous) across units and periods;
    consistent whenever the mean is correctly specified, whatever the
    distribution of the counts. Units whose outcome is zero in every period
    carry no information (their fixed effect is :math:`-\infty`) and are
    dropped by pyfixest; they are counted in the notes. Standard errors:
    cluster-robust sandwich with the same small-sample convention as
    :func:`~enforcement_crime.estimators.twfe` (``(N-1)/(N-K) * G/(G-1)``,
    fixed effects nested in the clusters not counted), t(G-1) intervals.
    """
    import pyfixest as pf

    if treatment is None and cohort is None:
        raise EstimatorInputError(
            "ppml needs either cohort= (first treated period) or treatment= (a 0/1 column)"
        )
    controls = list(controls or [])
    extra = [c for c in (treatment, exposure) if c]
    p = prepare_panel(
        data,
        outcome,
        unit,
        time,
        cohort,
        weights=weights,
        cluster=cluster,
        controls=controls,
        extra=extra,
    )
    work, kw = _work_frame(p, outcome, unit, time, treatment, exposure, weights, controls)
    rhs = " + ".join(["treated"] + [f"x{j}" for j in range(len(controls))])
    fit = pf.fepois(
        f"y ~ {rhs} | unit + time",
        work,
        vcov={"CRV1": "cl"},
        ssc=pf.ssc(k_fixef="nonnested", G_df="conventional"),
        iwls_tol=tol,
        iwls_maxiter=1000,
        demeaner=pf.MapDemeaner(fixef_tol=tol * 1e-2),
        **kw,
    )
    n_used = int(fit._N)
    if n_used < len(work):
        p.dropped["rows dropped by pyfixest (separation or singletons)"] = len(work) - n_used
    b = float(fit.coef()["treated"])
    se = float(fit.se()["treated"])
    G = int(work["cl"].nunique())
    q = stats.t.ppf(1 - alpha / 2, max(G - 1, 1))
    tab = pd.DataFrame(
        {
            "term": ["treated"],
            "estimate": [b],
            "std_error": [se],
            "conf_low": [b - q * se],
            "conf_high": [b + q * se],
        }
    )
    names = ["treated"] + controls
    V = pd.DataFrame(np.asarray(fit._vcov), index=names, columns=names)
    notes = [
        "estimand: log rate ratio (homogeneous proportional effect); PPML with unit and time FE (pyfixest fepois)",
        f"offset log({exposure})" if exposure else "no exposure offset (counts, not rates)",
        f"weighted by {weights}" if weights else "unweighted",
        f"SE clustered by {p.names['cluster']}; CR1 (N-1)/(N-K)*G/(G-1), FE nested in clusters not counted; t(G-1) intervals",
    ]
    few = warn_few_treated(int(work.loc[work["treated"] > 0, "cl"].nunique()), "ppml")
    if few:
        notes.append(few)
    if p.drop_note():
        notes.append(p.drop_note())
    return EstimationResult(
        "ppml",
        tab,
        n_used,
        G,
        "; ".join(notes),
        alpha,
        {
            "vcov_all": V,
            "rate_ratio": {
                "estimate": np.exp(b),
                "conf_low": np.exp(b - q * se),
                "conf_high": np.exp(b + q * se),
            },
            "percent_effect": 100 * (np.exp(b) - 1),
            "coefficients": pd.Series(np.asarray(fit.coef()), index=names),
            "dropped": dict(p.dropped),
            "fit": fit,
        },
        outcome=outcome,
        vcov=V.loc[["treated"], ["treated"]],
    )
