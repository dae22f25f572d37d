"""Two-way fixed-effects difference-in-differences: static (:func:`twfe`) and dynamic (:func:`event_study`).

Both functions share one within-transformation engine
(:func:`~enforcement_crime.estimators._core.fit_within`): the outcome and the
regressors are residualised on the absorbed fixed effects by weighted
alternating projections (exact after one sweep on a balanced panel with unit
and time effects), then OLS and a cluster-robust sandwich are computed on the
residualised data. This scales to agency-month panels (18,000 units x 240
months) because no dummy matrix is ever formed. :func:`twfe` also offers
``backend="linearmodels"`` (``PanelOLS``) as the reference implementation;
the two agree to 1e-8 (tests/estimators/test_twfe.py).

Standard errors: CR1 with the package's small-sample correction
:data:`~enforcement_crime.estimators._core.SSC` (explained in
:mod:`enforcement_crime.estimators._core`; fixest's ``ssc(adj=TRUE,
fixef.K="nested", cluster.adj=TRUE, cluster.df="conventional")``, pyfixest's
``ssc(k_fixef="nonnested", G_df="conventional")``, tested to 1e-8), for both
backends and both functions. Two-way SEs therefore differ from fixest's
default (``cluster.df="min"``) by a few percent; the two-way variance is not
guaranteed positive (a negative diagonal gives SE 0 after clipping).

linearmodels ``PanelOLS`` (``debiased=True, group_debias=True``) instead
scales by ``(N - 1) / (N - d - k) * G / (G - 1)`` with ``d`` = *all*
estimated effects (``N_units + T - 1`` for unit and time effects), unless the
model has a single effect nested in the clusters. The linearmodels backend therefore
asks PanelOLS for the raw sandwich (no correction) and applies
:data:`~enforcement_crime.estimators._core.SSC`, so the two backends report the
same numbers; PanelOLS's own standard error is kept in
``result.extra["native_std_error"]``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from enforcement_crime.estimators._bootstrap import WeightDraws
from enforcement_crime.estimators._core import (
    SSC,
    Block,
    FixedEffects,
    TwoWayUnitSubsets,
    WithinFit,
    cluster_arrays,
    coef_table,
    count_treated_clusters,
    count_treated_prepared,
    cr1_vcov,
    fit_within,
    prepare_fe_panel,
    ssc_factors,
    warn_few_treated,
)
from enforcement_crime.estimators._docs import shared_parameters
from enforcement_crime.estimators._inputs import EstimatorInputError, PreparedPanel, joint_wald
from enforcement_crime.estimators._wild_wald import WildWaldTest
from enforcement_crime.estimators.inference import permute_prepared, wild_bootstrap_prepared
from enforcement_crime.results import EstimationResult, PretrendTest

__all__ = ["twfe", "twfe_on_rows", "event_study"]


def _treatment_values(p, treatment: str | None) -> tuple[np.ndarray, str, bool]:
    """Treatment regressor, its term name and whether it is continuous.

    Without ``treatment``: ``1{cohort > 0 and time >= cohort}``, term
    ``"treated"``. With ``treatment``: the column must lie in [0, 1] without
    missing values; 0/1 everywhere gives term ``"treated"``, any value
    strictly between 0 and 1 a continuous exposure share, term
    ``"exposure_share"``.
    """
    if treatment is None:
        cohort = p.column("cohort").to_numpy()
        D = ((cohort > 0) & (p.column("time").to_numpy() >= cohort)).astype("float64")
        return D, "treated", False
    d = pd.to_numeric(p.column(treatment), errors="coerce").astype("float64")
    bad = d.isna() | (d < 0) | (d > 1) | ~np.isfinite(d)
    if bad.any():
        rows = p.data.loc[bad, [p.names["unit"], p.names["time"], treatment]].head()
        raise EstimatorInputError(
            f"treatment column {treatment!r} must be 0/1 or a share in [0, 1] without missing "
            f"values; {int(bad.sum())} row(s) are not, e.g.:\n{rows.to_string()}"
        )
    continuous = bool((~d.isin([0.0, 1.0])).any())
    return d.to_numpy(dtype="float64"), ("exposure_share" if continuous else "treated"), continuous


def _extra_cols(treatment, state, cluster) -> list[str]:
    cols = [c for c in (treatment, state) if c]
    if isinstance(cluster, tuple):
        cols += list(cluster)
    return cols


# --------------------------------------------------------------------------------------
# public estimators
# --------------------------------------------------------------------------------------


@shared_parameters
def twfe(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str | None = None,
    *,
    treatment: str | None = None,
    weights: str | None = None,
    cluster: str | tuple[str, str] | None = None,
    controls: list[str] | None = None,
    state: str | None = None,
    state_year_fe: bool = False,
    unit_trends: bool = False,
    backend: str = "fast",
    alpha: float = 0.05,
) -> EstimationResult:
    r"""Static two-way fixed-effects difference-in-differences.

    Parameters
    ----------
    <data>
    <outcome, unit, time>
    cohort : str, optional
        First treated period (0 or missing = never treated). Treatment is then
        ``D_it = 1{g_i > 0 and t >= g_i}`` (absorbing).
    treatment : str, optional
        An explicit treatment column instead of ``cohort``: 0/1 (e.g. 287(g)
        agreements that end: ``D`` may switch off), or a continuous
        exposure share in [0, 1] (e.g. the share of the year an agreement
        was in force). Values outside [0, 1] or missing raise
        :class:`EstimatorInputError` naming the rows.
    weights : str, optional
        Positive analytic weights (e.g. population): weighted least squares.
    cluster : str or (str, str), optional
        Cluster column; default the unit. A tuple of two columns gives
        two-way clustering (Cameron, Gelbach & Miller 2011).
    controls : list of str, optional
        Time-varying covariates added linearly (their coefficients are in
        ``result.extra["coefficients"]``).
    state : str, optional
        State column, needed for ``state_year_fe`` (giving it without
        ``state_year_fe=True`` raises rather than being ignored).
    state_year_fe : bool
        Replace the time effects by state-by-time effects.
    unit_trends : bool
        Add a unit-specific linear trend in ``time``.
    backend : {"fast", "linearmodels"}
        ``"fast"``: this module's weighted demeaning (alternating
        projections), for large panels. ``"linearmodels"``: PanelOLS, the
        reference; state-by-time FE via ``other_effects``, unit trends as
        explicit ``unit x time`` regressors (slow for many units).
    <alpha>

    Returns
    -------
    EstimationResult
        One row, term ``"treated"`` (cohort, or a 0/1 ``treatment``) or
        ``"exposure_share"`` (a ``treatment`` column with any value strictly
        between 0 and 1; the rule is on the values, so a share column that
        happens to be 0/1 in the sample gives ``"treated"``). ``vcov``: the
        treatment coefficient's variance (1 x 1). ``extra``: ``vcov_all`` (all slope
        coefficients), ``coefficients``, ``ssc`` (the correction's parts),
        ``backend``; for linearmodels also ``native_std_error``.

    Notes
    -----
    Model:

    .. math:: y_{it} = \alpha_i + \lambda_t + \beta D_{it} + X_{it}'\gamma + \varepsilon_{it}

    (:math:`\lambda_t` becomes :math:`\lambda_{s(i)t}` with ``state_year_fe``;
    :math:`+ \delta_i t` with ``unit_trends``), estimated by (weighted) least
    squares. :math:`\hat\beta` equals the ATT only when effects are
    homogeneous across cohorts and event time: with staggered adoption it is
    a variance-weighted average of all 2x2 comparisons, including "forbidden"
    ones that use already-treated units as controls, and its weights can be
    negative when effects grow over time (Goodman-Bacon 2021; see
    :func:`~enforcement_crime.estimators.bacon_decomposition`).

    With a continuous share :math:`s_{it} \in [0, 1]` in place of
    :math:`D_{it}`, :math:`\beta` is the effect of a full period of
    exposure under linearity in the share (the "share of year" exposure
    rule); the estimate and standard error equal pyfixest's ``feols(y ~ s |
    unit + time)`` with CRV1 (tested).

    Standard errors: cluster-robust CR1 with fixest's small-sample correction
    (module docstring); rows with missing outcome, weight or cluster are
    dropped and counted in the notes. Singleton groups are kept (they do
    not change the coefficient but count in ``N``). Fewer than
    :data:`~enforcement_crime.estimators._core.FEW_TREATED_CLUSTERS` (5)
    clusters with a treated observation give a ``UserWarning`` and a note:
    cluster-robust intervals are unreliable then.

    Examples
    --------
    A simulated panel (synthetic data) whose true effect is 1.0 from adoption on:

    >>> from enforcement_crime.simulate import Effect, simulate_staggered
    >>> df = simulate_staggered(
    ...     n_units=60, periods=(2000, 2009), effect=Effect(att=1.0), n_states=12, seed=1
    ... )
    >>> res = twfe(df, "y", "unit", "time", "cohort", cluster="state")
    >>> res.table["term"].iloc[0], round(res.estimate, 2), round(res.std_error, 2)
    ('treated', 1.09, 0.06)
    """
    fe, controls = _twfe_options(treatment, cohort, backend, state, state_year_fe, unit_trends,
                                 controls)  # fmt: skip
    p = prepare_fe_panel(data, outcome, unit, time, cohort, weights, cluster, controls,
                         _extra_cols(treatment, state, cluster))  # fmt: skip
    return _twfe_prepared(p, outcome, treatment, cluster, controls, fe, backend, alpha)


def _twfe_options(treatment, cohort, backend, state, state_year_fe, unit_trends, controls):
    """Check :func:`twfe`'s options (before the data): its fixed effects and the controls list."""
    if treatment is None and cohort is None:
        raise EstimatorInputError(
            "twfe needs either cohort= (first treated period) or treatment= (a 0/1 or [0, 1] column)"
        )
    if backend not in ("fast", "linearmodels"):
        raise EstimatorInputError(f"backend must be 'fast' or 'linearmodels', got {backend!r}")
    fe = FixedEffects(state, state_year_fe, unit_trends)
    fe.check("twfe")
    return fe, list(controls or [])


def twfe_on_rows(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str | None = None,
    *,
    rows: list[np.ndarray],
    **options,
) -> list[Callable[[], EstimationResult]]:
    """:func:`twfe` on several row subsets of ``data``, the panel checked and prepared once.

    ``rows`` holds boolean masks over ``data``'s rows; ``options`` are :func:`twfe`'s keyword
    arguments. Returns one call per mask (named ``twfe``): calling it returns what
    ``twfe(data[mask], outcome, unit, time, cohort, **options)`` returns, or raises what it
    raises, from the panel prepared on all of ``data`` and restricted to the mask
    (:meth:`~enforcement_crime.estimators._inputs.PreparedPanel.restrict`). When the
    options or the whole frame are refused (or with two-way clusters), each call is that
    ``twfe`` call itself. Used for leave-one-out tables, where every fit is on the same
    panel less a few units: with unit and time effects (the fast backend), a mask that keeps
    or leaves each unit whole takes the within-transformation from the whole panel's per-unit
    pieces (:class:`~enforcement_crime.estimators._core.TwoWayUnitSubsets`: the same
    operations on the same values as ``twfe`` on the subset, so the same numbers).
    """

    def alone(mask: np.ndarray) -> EstimationResult:
        return twfe(data.loc[mask], outcome, unit, time, cohort, **options)

    direct = [_named_call(functools.partial(alone, np.asarray(r, dtype=bool))) for r in rows]
    o = {**_TWFE_DEFAULTS, **options}
    if set(o) != set(_TWFE_DEFAULTS) or isinstance(o["cluster"], tuple):
        return direct
    try:
        fe, controls = _twfe_options(o["treatment"], cohort, o["backend"], o["state"],
                                     o["state_year_fe"], o["unit_trends"], o["controls"])  # fmt: skip
        whole = prepare_fe_panel(data, outcome, unit, time, cohort, o["weights"], o["cluster"],
                                 controls, _extra_cols(o["treatment"], o["state"], o["cluster"]))  # fmt: skip
        # the codes of the clusters and fixed effects, carried to every restriction
        cluster_arrays(whole, o["cluster"])
        blocks = fe.blocks(whole)
    except EstimatorInputError:
        return direct
    fast = _unit_subsets(whole, o["treatment"], controls, fe, o["backend"], blocks)

    def fit(mask: np.ndarray) -> EstimationResult:
        p = whole.restrict(mask)
        if fast is None:
            return _twfe_prepared(p, outcome, o["treatment"], o["cluster"], controls, fe,
                                  o["backend"], o["alpha"])  # fmt: skip
        subsets, y, X = fast
        within = subsets.resid(p.kept, *fe.blocks(p))
        design = None
        if o["treatment"] is None:  # the whole panel's rows: a 0/1 treatment named "treated"
            rows = np.flatnonzero(p.kept)
            design = (y[rows], X[rows], ["treated", *controls], False)
        return _twfe_prepared(p, outcome, o["treatment"], o["cluster"], controls, fe,
                              o["backend"], o["alpha"], within, design)  # fmt: skip

    return [_named_call(functools.partial(fit, np.asarray(r, dtype=bool))) for r in rows]


def _unit_subsets(whole: PreparedPanel, treatment, controls, fe: FixedEffects, backend,
                  blocks: list[Block]):  # fmt: skip
    """The within-transformation of ``whole``'s outcome and regressors on its subsets of units
    (a :class:`TwoWayUnitSubsets`), with the outcome and the regressors.

    None unless :func:`~enforcement_crime.estimators._core.demean` would take the closed
    form (unit and time effects, the fast backend) and the regressors can be read on the
    whole panel.
    """
    if backend != "fast" or not fe.two_way:
        return None
    try:
        y, X, _, _ = _design(whole, treatment, controls)
    except (EstimatorInputError, ValueError, TypeError):
        return None  # e.g. a treatment value some subsets leave out: each subset checks its own
    w = whole.column("w").to_numpy(dtype="float64")
    if not TwoWayUnitSubsets.usable(blocks[0].codes, blocks[1].n_levels, w):
        return None
    return TwoWayUnitSubsets(np.column_stack([y, X]), blocks[0].codes, blocks[1].codes, w), y, X


def _design(
    p: PreparedPanel, treatment, controls
) -> tuple[np.ndarray, np.ndarray, list[str], bool]:
    """The outcome, the regressors (treatment, then the controls), their names, and whether
    the treatment is a continuous share."""
    D, term, continuous = _treatment_values(p, treatment)
    X = np.column_stack(
        [D] + [pd.to_numeric(p.column(c)).to_numpy(dtype="float64") for c in controls]
    )
    return p.column("y").to_numpy(), X, [term] + controls, continuous


#: the keyword arguments of :func:`twfe` and their defaults
_TWFE_DEFAULTS: dict[str, Any] = {
    "treatment": None,
    "weights": None,
    "cluster": None,
    "controls": None,
    "state": None,
    "state_year_fe": False,
    "unit_trends": False,
    "backend": "fast",
    "alpha": 0.05,
}


def _named_call(call: Callable[[], EstimationResult]) -> Callable[[], EstimationResult]:
    """``call`` as a function named ``twfe`` (what a refusal record names)."""

    def twfe_call() -> EstimationResult:
        return call()

    twfe_call.__name__ = twfe_call.__qualname__ = "twfe"
    return twfe_call


def _twfe_prepared(
    p: PreparedPanel,
    outcome,
    treatment,
    cluster,
    controls,
    fe: FixedEffects,
    backend,
    alpha,
    within: np.ndarray | None = None,
    design: tuple | None = None,
) -> EstimationResult:
    """:func:`twfe` on a prepared panel (its options checked by :func:`_twfe_options`).

    ``within``: the within-transformed outcome and regressors when already known (the fast
    backend), else None; ``design``: what :func:`_design` returns, when already known.
    """
    y, X, names, continuous = _design(p, treatment, controls) if design is None else design
    D = X[:, 0]
    w = p.column("w").to_numpy(dtype="float64")
    blocks = fe.blocks(p)

    if backend == "fast":
        fit = fit_within(y, X, names, blocks, w, p, cluster, demeaned=within)
        coef, V, extra = fit.coef, fit.vcov, {}
    else:
        fit, extra = _fit_linearmodels(p, y, X, names, w, blocks, cluster, fe)
        coef, V = fit.coef, fit.vcov
    vcov = pd.DataFrame(V, index=names, columns=names)
    tab = coef_table(names, coef, V, fit.df_t, alpha)
    notes = fe.notes(p, cluster)
    notes.insert(
        0, "estimand: variance-weighted average of 2x2 DiDs (= ATT only under homogeneous effects)"
    )
    if continuous:
        notes.insert(
            1,
            f"treatment = column {treatment!r}, a continuous exposure share in [0, 1]: the coefficient "
            "is the effect of a full period of exposure under linearity in the share",
        )
    elif treatment is not None:
        notes.insert(1, f"treatment = column {treatment!r} (may switch off)")
    few = warn_few_treated(count_treated_prepared(p, D > 0, cluster), "twfe", stacklevel=4)
    if few:
        notes.append(few)
    extra.update(
        {
            "vcov_all": vcov,
            "coefficients": tab.set_index("term"),
            "ssc": fit.ssc.record(),
            "backend": backend,
            "dropped": dict(p.dropped),
        }
    )
    # the treatment term's row and variance (a frame of one row: the table itself when no controls)
    head = tab if len(names) == 1 else tab.iloc[[0]].reset_index(drop=True)
    return EstimationResult(
        "twfe",
        head,
        fit.n_obs,
        fit.n_clusters,
        "; ".join(notes),
        alpha,
        extra,
        outcome=outcome,
        vcov=pd.DataFrame(V[:1, :1].copy(), index=names[:1], columns=names[:1]),
        model=WithinModel(
            "twfe",
            p,
            fit,
            blocks,
            w,
            cluster,
            treatment,
            tuple(controls),
            fe.two_way,
        ),
    )


def _fit_linearmodels(p, y, X, names, w, blocks, cluster, fe: FixedEffects):
    """PanelOLS reference fit; returns the same ``WithinFit`` with the module's correction applied."""
    from linearmodels.panel import PanelOLS

    df = p.data
    idx = pd.MultiIndex.from_arrays(
        [df["unit"].to_numpy(), df["time"].to_numpy()], names=["unit", "time"]
    )
    exog = pd.DataFrame(X, index=idx, columns=names)
    if fe.unit_trends:
        # unit-specific trends as explicit regressors (time centred; the last unit's trend is
        # collinear with the time effects and is left out)
        ucodes = blocks[0].codes
        t = df["time"].to_numpy(dtype="float64")
        t = t - t.mean()
        tr = np.zeros((len(df), blocks[0].n_levels - 1))
        rows = ucodes < blocks[0].n_levels - 1
        tr[np.nonzero(rows)[0], ucodes[rows]] = t[rows]
        exog = pd.concat(
            [exog, pd.DataFrame(tr, index=idx, columns=[f"_trend{j}" for j in range(tr.shape[1])])],
            axis=1,
        )
    kw = {"entity_effects": True, "weights": pd.Series(w, index=idx)}
    if fe.state_year_fe:
        kw["other_effects"] = pd.Series(blocks[1].codes, index=idx, name="state_year")
    else:
        kw["time_effects"] = True
    mod = PanelOLS(pd.Series(y, index=idx, name="y"), exog, **kw)
    codes, sizes, cnames = cluster_arrays(p, cluster)
    base = codes[:2] if len(codes) == 3 else codes
    cl = pd.DataFrame(np.column_stack(base), index=idx)
    raw = mod.fit(
        cov_type="clustered",
        clusters=cl,
        debiased=False,
        group_debias=False,
        auto_df=False,
        count_effects=False,
    )
    native = mod.fit(cov_type="clustered", clusters=cl, debiased=True, group_debias=True)
    k = len(names)
    coef = raw.params.to_numpy()[:k]
    V_raw_total = raw.cov.to_numpy()[:k, :k]
    # the package's correction (SSC) on the raw sandwich; with unit_trends the explicit trend
    # regressors count as absorbed parameters, as in the fast backend
    n = len(y)
    factors = ssc_factors(SSC, blocks, codes, sizes, cnames, n, k)
    if len(base) == 1:
        raw_parts = [V_raw_total]
    else:
        # two-way: PanelOLS's raw V = V_A + V_B - V_AB; the per-dimension G/(G-1) factors need
        # each part: refit the one-way raw sandwiches of A and B, and V_AB = V_A + V_B - V
        raw_parts = []
        for cc in codes[:2]:
            r = mod.fit(
                cov_type="clustered",
                clusters=pd.DataFrame(cc, index=idx),
                debiased=False,
                group_debias=False,
                auto_df=False,
                count_effects=False,
            )
            raw_parts.append(r.cov.to_numpy()[:k, :k])
        raw_parts.append(raw_parts[0] + raw_parts[1] - V_raw_total)
    V = cr1_vcov(raw_parts, sizes, factors.c_N, SSC)
    g_min = min(sizes[:2]) if len(sizes) == 3 else sizes[0]
    resid = np.asarray(raw.resids)
    fit = WithinFit(
        coef, V, list(names), n, g_min, max(g_min - 1, 1), factors, resid, np.empty((0, 0))
    )
    extra = {
        "native_std_error": pd.Series(native.std_errors.to_numpy()[:k], index=names),
        "native_rule": "linearmodels PanelOLS debiased=True, group_debias=True: N/(N-d-k) with d = all estimated effects "
        "(unless a single effect is nested in the clusters) times G/(G-1)",
        "linearmodels_result": native,
    }
    return fit, extra


def _event_dummies(et, lo: int, hi: int, reference: int, bin_endpoints: bool):
    """Event-time indicators of the window (endpoints binned or not) without the reference.

    Event times without any observation are left out (reported as NaN rows).
    """
    etb = np.clip(et, lo, hi) if bin_endpoints else et
    cols, kept = [], []
    for k in range(lo, hi + 1):
        if k == reference:
            continue
        col = (etb == k).astype("float64")
        if col.sum() == 0:
            continue  # no observation at this event time: not estimable, reported as NaN
        cols.append(col)
        kept.append(k)
    return cols, kept


def _event_rows(est: pd.DataFrame, lo: int, hi: int, reference: int, kept) -> pd.DataFrame:
    """One row per event time of the window: estimated, the reference (0), or NaN."""
    rows = []
    for k in range(lo, hi + 1):
        if k in kept:
            rows.append(est.loc[est["term"] == f"e{k}"].iloc[0].to_dict())
            continue
        rows.append(
            {
                "term": f"e{k}",
                "event_time": k,
                "estimate": 0.0 if k == reference else np.nan,
                "std_error": np.nan,
                "conf_low": np.nan,
                "conf_high": np.nan,
            }
        )
    tab = pd.DataFrame(rows)
    tab["event_time"] = tab["event_time"].astype("Int64")
    return tab


@dataclass(frozen=True)
class WithinModel:
    """A fitted two-way fixed-effects regression, kept on its result for inference without refitting.

    ``prep`` is the prepared panel, ``fit`` the within fit (within-transformed
    design ``fit.Xd``, residuals, CR1 correction), ``blocks`` the absorbed
    fixed effects and ``w`` the weights. :class:`~enforcement_crime.results.EstimationResult`
    calls :meth:`wild_bootstrap`, :meth:`permute` (static :func:`twfe`) and
    :meth:`pretrend_test` (:func:`event_study`).
    """

    estimator: str
    prep: PreparedPanel
    fit: WithinFit
    blocks: list[Block]
    w: np.ndarray
    cluster: str | tuple[str, str] | None
    treatment: str | None
    controls: tuple[str, ...]
    unit_time_fe: bool
    wald: PretrendTest | None = None

    def _static(self, what: str) -> None:
        if self.estimator != "twfe":
            raise EstimatorInputError(f"{what} tests the static TWFE coefficient: fit twfe(...)")
        if not self.unit_time_fe:
            raise EstimatorInputError(
                f"{what} needs unit and time fixed effects only (no state_year_fe, unit_trends)"
            )
        if self.fit.names[0] != "treated":
            raise EstimatorInputError(f"{what} needs a 0/1 treatment, not an exposure share")

    def wild_bootstrap(
        self,
        *,
        n_boot: int = 9999,
        bootstrap_weights: str = "auto",
        impose_null: bool = True,
        seed: int | None = None,
        alpha: float = 0.05,
    ) -> EstimationResult:
        """:func:`~enforcement_crime.estimators.wild_cluster_bootstrap` on this fit's panel."""
        self._static("wild_bootstrap")
        if isinstance(self.cluster, tuple):
            raise EstimatorInputError("wild_bootstrap needs one cluster column, not two-way")
        names = self.prep.names
        return wild_bootstrap_prepared(
            self.prep,
            outcome=names["outcome"],
            treatment=self.treatment,
            cluster=names["cluster"],
            weights=names["weights"],
            controls=list(self.controls),
            bootstrap_weights=bootstrap_weights,
            n_boot=n_boot,
            impose_null=impose_null,
            seed=seed,
            alpha=alpha,
        )

    def permute(
        self,
        *,
        n_perm: int = 999,
        seed: int | None = None,
        stratify: str | None = None,
        alpha: float = 0.05,
    ) -> EstimationResult:
        """:func:`~enforcement_crime.estimators.randomization_inference` (TWFE statistic) on this fit's panel."""
        self._static("permute")
        if self.treatment is not None or self.controls:
            raise EstimatorInputError(
                "permute reassigns adoption dates: it needs a fit on cohort= without controls"
            )
        names = self.prep.names
        return permute_prepared(
            self.prep,
            data=None,
            outcome=names["outcome"],
            unit=names["unit"],
            time=names["time"],
            cohort=names["cohort"],
            estimator="twfe",
            n_perm=n_perm,
            seed=seed,
            stratify=stratify,
            weights=names["weights"],
            cluster=None,
            controls=None,
            alpha=alpha,
        )

    def pretrend_test(
        self,
        *,
        inference: str = "wald",
        n_boot: int = 999,
        bootstrap_weights: str = "auto",
        seed: int | None = None,
    ) -> PretrendTest:
        """The joint test of the leads: chi-square (``"wald"``) or wild bootstrap (``"wild_cluster"``)."""
        if self.wald is None:
            raise EstimatorInputError("pretrend_test needs an event_study fit")
        if inference not in ("wald", "wild_cluster"):
            raise EstimatorInputError(
                f"pretrend_inference must be 'wald' or 'wild_cluster', not {inference!r}"
            )
        if inference == "wald" or not self.wald.terms:
            return self.wald
        if self.cluster is None or isinstance(self.cluster, tuple):
            raise EstimatorInputError(
                "pretrend_inference='wild_cluster' needs one cluster column (cluster=<column>), "
                f"got {self.cluster!r}"
            )
        return self._wild_pretrend(n_boot, bootstrap_weights, seed)

    def _wild_pretrend(self, n_boot: int, bootstrap_weights: str, seed: int | None) -> PretrendTest:
        """The joint Wald test of the leads with its restricted wild cluster bootstrap p-value."""
        pre, fit = self.wald, self.fit
        codes, sizes, _ = cluster_arrays(self.prep, self.cluster)
        G = sizes[0]
        y = fit.resid + fit.Xd @ fit.coef
        leads = [fit.names.index(n) for n in pre.terms]
        test = WildWaldTest.build(
            fit.Xd, y, self.w, self.blocks, codes[0], G, leads, fit.ssc.scale(G)
        )
        if not np.isclose(test.stat, pre.statistic, rtol=1e-6, atol=1e-10):
            raise RuntimeError(
                f"wild bootstrap pre-trend statistic {test.stat} differs from the Wald statistic "
                f"{pre.statistic}"
            )
        draws = WeightDraws.make(bootstrap_weights, G, n_boot, seed)
        return replace(
            pre,
            p_value=test.bootstrap(draws),
            p_value_chi2=pre.p_value,
            inference="wild_cluster",
            method=(
                f"restricted wild cluster bootstrap of the Wald statistic ({draws.n_boot} draws, "
                f"{draws.kind} weights{', fully enumerated' if draws.full_enumeration else ''}; "
                f"{G} clusters)"
            ),
            n_boot=draws.n_boot,
            bootstrap_weights=draws.kind,
            full_enumeration=draws.full_enumeration,
        )


@shared_parameters
def event_study(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    *,
    weights: str | None = None,
    cluster: str | tuple[str, str] | None = None,
    controls: list[str] | None = None,
    window: tuple[int, int] = (-5, 5),
    bin_endpoints: bool = True,
    reference: int = -1,
    state: str | None = None,
    state_year_fe: bool = False,
    unit_trends: bool = False,
    alpha: float = 0.05,
    pretrend_through: int = -1,
    pretrend_inference: str = "wald",
    n_boot: int = 999,
    bootstrap_weights: str = "auto",
    seed: int | None = None,
) -> EstimationResult:
    r"""Dynamic two-way fixed-effects event study (leads and lags of adoption).

    Parameters
    ----------
    <data>
    <outcome, unit, time>
    <cohort>
    <alpha>
    weights, cluster, controls, state, state_year_fe, unit_trends
        As in :func:`twfe` (weights work: this does not use pyfixest's
        ``event_study``, which takes none).
    window : (int, int)
        First and last event time reported, e.g. ``(-5, 5)``.
    bin_endpoints : bool
        True: the endpoint terms pool every event time beyond them
        (``e-5`` is "5 or more periods before", ``e5`` "5 or more after").
        False: treated-unit observations outside the window are dropped (and
        counted in the notes).
    reference : int
        The omitted event time (normalised to zero), default -1.
    pretrend_through : int
        The last event time in the joint pre-trend test (default -1: every
        estimated lead). Give -2 when e = -1 is partly treated (adoption
        during the year under a first-full-year coding).
    pretrend_inference : {"wald", "wild_cluster"}
        ``"wald"``: chi-square p-value of the joint Wald statistic (CR1
        variance). ``"wild_cluster"``: the same statistic calibrated by the
        restricted wild cluster bootstrap (every tested lead set to 0 in the
        bootstrap samples; :mod:`enforcement_crime.estimators._wild_wald`),
        for few clusters, where the chi-square test over-rejects. One-way
        clusters only.
    n_boot, bootstrap_weights, seed
        Draws, weight distribution (``"auto"``: Webb below 12 clusters,
        else Rademacher, fully enumerated when ``2**G <= n_boot``) and seed
        of the ``"wild_cluster"`` pre-trend test; ignored by ``"wald"``.

    Returns
    -------
    EstimationResult
        Rows ``e{k}`` for ``k`` in the window (the reference with estimate 0
        and NaN SE). ``vcov``: the estimated terms' covariance. ``pretrend``: a
        :class:`~enforcement_crime.results.PretrendTest`, the joint Wald test
        that every estimated lead with ``k <= pretrend_through`` is zero (with
        ``"wild_cluster"`` its bootstrap p-value, ``p_value_chi2``, ``n_boot``,
        ``bootstrap_weights``, ``full_enumeration``). ``extra``:
        ``reference_period``, ``binned``, ``ssc``.

    Notes
    -----
    Model, with :math:`E_{it} = t - g_i` for treated units:

    .. math:: y_{it} = \alpha_i + \lambda_t + \sum_{k \in W, k \ne r}
              \beta_k 1\{E_{it} = k\} + \varepsilon_{it}

    with the endpoint indicators :math:`1\{E_{it} \le \underline{k}\}`,
    :math:`1\{E_{it} \ge \bar{k}\}` when binned. Controls are never-treated
    units and the not-yet-treated observations of later cohorts outside
    the window (all of them when every event time is in some bin). Without
    never-treated units (Secure Communities) the coefficients remain
    identified from the timing differences between cohorts **and** the
    binning restriction (effects constant beyond the endpoints); without
    binning and without never-treated units, a linear trend in event time is
    not identified and the function raises. :math:`\beta_k` is the ATT at
    event time :math:`k` relative to :math:`r` only under homogeneous effects
    across cohorts (Sun & Abraham 2021): with heterogeneous cohorts use
    :func:`~enforcement_crime.estimators.sun_abraham` or
    Callaway-Sant'Anna. Standard errors and corrections as in :func:`twfe`.

    Examples
    --------
    A simulated panel (synthetic data) whose true effect is 1.0 from adoption on:

    >>> from enforcement_crime.simulate import Effect, simulate_staggered
    >>> df = simulate_staggered(
    ...     n_units=60, periods=(2000, 2009), effect=Effect(att=1.0), n_states=12, seed=1
    ... )
    >>> es = event_study(df, "y", "unit", "time", "cohort", cluster="state", window=(-3, 3))
    >>> es.table.set_index("term")["estimate"].round(1).to_dict()
    {'e-3': -0.1, 'e-2': -0.1, 'e-1': 0.0, 'e0': 1.0, 'e1': 1.0, 'e2': 1.0, 'e3': 1.0}
    >>> es.pretrend.terms, round(es.pretrend.p_value, 2)
    (('e-3', 'e-2'), 0.35)
    """
    lo, hi = window
    if not (lo <= reference <= hi) or lo >= hi:
        raise EstimatorInputError(
            f"reference {reference} must lie inside window {window} (with window[0] < window[1])"
        )
    if bin_endpoints and reference in (lo, hi):
        raise EstimatorInputError(
            "the reference period cannot be a binned endpoint; widen the window"
        )
    fe = FixedEffects(state, state_year_fe, unit_trends)
    fe.check("event_study")
    if pretrend_inference not in ("wald", "wild_cluster"):
        raise EstimatorInputError(
            f"pretrend_inference must be 'wald' or 'wild_cluster', not {pretrend_inference!r}"
        )
    if pretrend_inference == "wild_cluster" and (cluster is None or isinstance(cluster, tuple)):
        raise EstimatorInputError(
            "pretrend_inference='wild_cluster' needs one cluster column (cluster=<column>), "
            f"got {cluster!r}"
        )
    controls = list(controls or [])
    p = prepare_fe_panel(
        data,
        outcome,
        unit,
        time,
        cohort,
        weights,
        cluster,
        controls,
        _extra_cols(None, state, cluster),
    )
    df = p.data
    et = df["event_time"].to_numpy(dtype="float64")
    if not bin_endpoints:
        out = np.isfinite(et) & ((et < lo) | (et > hi))
        if out.any():
            p.dropped[f"treated-unit rows outside window {window} (bin_endpoints=False)"] = int(
                out.sum()
            )
            p.data = df = df.loc[~out].reset_index(drop=True)
            et = et[~out]
    if not p.cohorts.size:
        raise EstimatorInputError(f"no treated units: column {cohort!r} is 0/missing everywhere")
    cols, kept = _event_dummies(et, lo, hi, reference, bin_endpoints)
    if not p.has_never_treated and not bin_endpoints:
        raise EstimatorInputError(
            "no never-treated units and bin_endpoints=False: the event-time path is identified only up to a linear "
            "trend; use bin_endpoints=True (identification from binning) or an estimator with not-yet-treated controls"
        )
    names = [f"e{k}" for k in kept]
    X = np.column_stack(cols + [pd.to_numeric(df[c]).to_numpy(dtype="float64") for c in controls])
    allnames = names + controls
    blocks = fe.blocks(p)
    w = df["w"].to_numpy(dtype="float64")
    try:
        fit = fit_within(df["y"].to_numpy(), X, allnames, blocks, w, p, cluster)
    except EstimatorInputError as err:
        if "demeaning" not in str(err):
            raise
        raise EstimatorInputError(
            f"{err}; with window={window} the event-time terms may be nearly collinear with the "
            "fixed effects: try a narrower window, e.g. window=(-3, 3)"
        ) from None
    m = len(names)
    V = fit.vcov[:m, :m]
    est = coef_table(names, fit.coef[:m], V, fit.df_t, alpha, kept)
    tab = _event_rows(est, lo, hi, reference, kept)
    vcov = pd.DataFrame(V, index=names, columns=names)
    leads = [n for n, k in zip(names, kept, strict=True) if k < 0 and k <= pretrend_through]
    pre = joint_wald(
        fit.coef[[names.index(n) for n in leads]],
        vcov.loc[leads, leads].to_numpy(),
        leads,
        "Wald chi-square, CR1 variance",
    )
    model = WithinModel(
        "event_study",
        p,
        fit,
        blocks,
        w,
        cluster,
        None,
        tuple(controls),
        fe.two_way,
        pre,
    )
    pre = model.pretrend_test(
        inference=pretrend_inference, n_boot=n_boot, bootstrap_weights=bootstrap_weights, seed=seed
    )
    notes = fe.notes(p, cluster)
    few = warn_few_treated(
        count_treated_clusters(df, (df["cohort"] > 0).to_numpy(), cluster), "event_study"
    )
    if few:
        notes.append(few)
    notes.insert(
        0,
        f"dynamic TWFE; reference e{reference}; "
        + (
            f"endpoints binned (e{lo}: <= {lo}, e{hi}: >= {hi})"
            if bin_endpoints
            else "no binning, rows outside window dropped"
        ),
    )
    notes.insert(
        1,
        "controls: never-treated"
        + (" and " if p.has_never_treated else " none; ")
        + "not-yet-treated units"
        + ("" if p.has_never_treated else " (identified via binning)"),
    )
    return EstimationResult(
        "event_study",
        tab,
        fit.n_obs,
        fit.n_clusters,
        "; ".join(notes),
        alpha,
        {
            "reference_period": reference,
            "binned": {f"e{lo}": f"<= {lo}", f"e{hi}": f">= {hi}"} if bin_endpoints else {},
            "ssc": fit.ssc.record(),
            "controls": pd.Series(fit.coef[m:], index=controls, dtype="float64"),
            "dropped": dict(p.dropped),
        },
        outcome=outcome,
        pretrend=pre,
        vcov=vcov,
        model=model,
    )
