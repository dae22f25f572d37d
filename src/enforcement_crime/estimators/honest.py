"""Rambachan & Roth (2023) sensitivity analysis for event studies ("HonestDiD").

:func:`honest_did` takes an event-study :class:`EstimationResult` (any
estimator that follows the contract: terms ``e{k}``, the variance matrix of
the estimated terms in ``result.vcov``, the reference event time in
``extra["reference_period"]``) and returns robust confidence intervals for a
post-treatment effect over a grid of restriction sizes, plus the breakdown
value.

Two restrictions on the post-treatment violation of parallel trends
:math:`\\delta`:

* smoothness :math:`\\Delta^{SD}(M)`: second differences of :math:`\\delta`
  at most :math:`M` in absolute value; inference by the optimal fixed-length
  confidence interval (FLCI, Rambachan & Roth Section 4.1).
* relative magnitudes :math:`\\Delta^{RM}(\\bar M)`: every post-treatment
  first difference at most :math:`\\bar M` times the largest pre-treatment
  first difference; inference by the Andrews-Roth-Pakes (ARP) conditional
  or hybrid moment-inequality test, inverted over a grid (Section 3.2), on
  the union of polyhedra (Lemma 2.2).

The ``honestdid`` PyPI package is not used (it pulls torch/CUDA and its RM
bounds crash under numpy 2.4); the smoothness FLCI is cross-checked against
diff-diff's implementation in the tests.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize, stats

from enforcement_crime.estimators._honest_rm import invert_test, rm_components
from enforcement_crime.estimators._inputs import EstimatorInputError
from enforcement_crime.results import EstimationResult

__all__ = ["honest_did"]


# ------------------------------------------------------------------ event-study extraction
def _extract(result: EstimationResult):
    extra = getattr(result, "extra", None) or {}
    V = getattr(result, "vcov", None)
    if V is None or "reference_period" not in extra:
        raise EstimatorInputError(
            "honest_did needs an event-study result with vcov (DataFrame by term 'e{k}') "
            "and extra['reference_period']"
        )
    if not isinstance(V, pd.DataFrame):
        raise EstimatorInputError("vcov must be a DataFrame indexed and columned by term names")
    ref = int(extra["reference_period"])
    tab = result.to_frame().set_index("term")
    terms = [t for t in V.index if isinstance(t, str) and t.startswith("e") and t in tab.index]
    if not terms:
        raise EstimatorInputError("no event-time terms 'e{k}' found in both the table and vcov")
    ks = np.array([int(tab.loc[t, "event_time"]) for t in terms])
    order = np.argsort(ks)
    ks = ks[order]
    terms = [terms[i] for i in order]
    beta = tab.loc[terms, "estimate"].to_numpy(dtype="float64")
    sigma = V.loc[terms, terms].to_numpy(dtype="float64")
    if not (np.all(np.isfinite(beta)) and np.all(np.isfinite(sigma))):
        raise EstimatorInputError(f"non-finite estimates or variances among terms {terms}")
    full = np.sort(np.append(ks, ref))
    if ref in ks or np.any(np.diff(full) != 1):
        raise EstimatorInputError(
            f"event times {list(ks)} with reference {ref} must be consecutive (no gaps; reference not estimated)"
        )
    if not np.any(ks > ref):
        raise EstimatorInputError("no post-reference event-time terms to bound")
    sigma = (sigma + sigma.T) / 2
    return ks, beta, sigma, ref


def _target(ks: np.ndarray, ref: int, post) -> np.ndarray:
    l_full = np.zeros(len(ks))
    if isinstance(post, str):
        if post != "average":
            raise EstimatorInputError(f"post must be 'average' or an event time, not {post!r}")
        sel = (ks >= 0) & (ks > ref)
        if not sel.any():
            raise EstimatorInputError("post='average': no estimated event times >= 0")
        l_full[sel] = 1.0 / sel.sum()
    else:
        k = int(post)
        if k <= ref or k not in ks:
            raise EstimatorInputError(
                f"post={k} must be an estimated event time after the reference {ref}; have {list(ks)}"
            )
        l_full[list(ks).index(k)] = 1.0
    return l_full


def _cv_folded(b: float, alpha: float) -> float:
    """1 - alpha quantile of |N(b, 1)|."""
    b = abs(b)
    z = stats.norm.ppf(1 - alpha / 2)

    def f(c):
        return stats.norm.cdf(c - b) - stats.norm.cdf(-c - b) - (1 - alpha)

    return float(optimize.brentq(f, 0.0, b + z + 10.0, xtol=1e-14, rtol=1e-14))


# ------------------------------------------------------------------ smoothness FLCI
class _SDProblem:
    """Optimal FLCI ingredients for Delta^SD: bias = M * ||G'w||_1, var = w' Sigma w, w'trend = 0."""

    def __init__(self, ks, ref, sigma, l_full):
        full = np.sort(np.append(ks, ref))
        n = len(full)
        iref = int(np.flatnonzero(full == ref)[0])
        rows = []
        for j in range(1, n - 1):
            r = np.zeros(n)
            r[j - 1], r[j], r[j + 1] = 1.0, -2.0, 1.0
            rows.append(r)
        r = np.zeros(n)
        r[iref] = 1.0
        rows.append(r)
        slope = np.zeros(n)
        if iref + 1 < n:
            slope[iref + 1], slope[iref] = 1.0, -1.0
        else:
            slope[iref], slope[iref - 1] = 1.0, -1.0
        rows.append(slope)
        Qi = np.linalg.inv(np.array(rows))
        keep = np.flatnonzero(full != ref)
        self.G = Qi[keep, : n - 2]  # delta (non-ref) = G s + trend * c
        self.trend = Qi[keep, n - 1]
        self.pre = ks < ref
        self.sigma = sigma
        self.l = l_full
        self.K = int(self.pre.sum())
        if self.K == 0 or np.allclose(self.trend[self.pre], 0):
            raise EstimatorInputError(
                "smoothness bounds need at least one estimated pre-reference term"
            )
        # w = l_full + E v (v = weights on pre terms); constraint a'v = -l'trend
        self.E = np.zeros((len(ks), self.K))
        self.E[np.flatnonzero(self.pre), np.arange(self.K)] = 1.0
        self.a = self.trend[self.pre]
        self.rhs = -float(self.l @ self.trend)
        self.S = self.E.T @ sigma @ self.E
        self.s1 = self.E.T @ sigma @ self.l
        self.s0 = float(self.l @ sigma @ self.l)
        self.Gt = self.G.T  # (n-2) x m
        self.GtE = self.Gt @ self.E
        self.Gtl = self.Gt @ self.l

    def w(self, v):
        return self.l + self.E @ v

    def var(self, v):
        return float(v @ self.S @ v + 2 * self.s1 @ v + self.s0)

    def bias1(self, v):
        return float(np.abs(self.GtE @ v + self.Gtl).sum())

    def v_minvar(self):
        K = self.K
        kkt = np.zeros((K + 1, K + 1))
        kkt[:K, :K] = 2 * self.S
        kkt[:K, K] = self.a
        kkt[K, :K] = self.a
        rhs = np.concatenate([-2 * self.s1, [self.rhs]])
        return np.linalg.lstsq(kkt, rhs, rcond=None)[0][:K]

    def v_minbias(self):
        # LP: min sum u  s.t. -u <= GtE v + Gtl <= u, a'v = rhs
        K, R = self.K, self.GtE.shape[0]
        c = np.concatenate([np.zeros(K), np.ones(R)])
        A_ub = np.block([[self.GtE, -np.eye(R)], [-self.GtE, -np.eye(R)]])
        b_ub = np.concatenate([-self.Gtl, self.Gtl])
        A_eq = np.concatenate([self.a, np.zeros(R)])[None, :]
        res = optimize.linprog(
            c,
            A_ub=A_ub,
            b_ub=b_ub,
            A_eq=A_eq,
            b_eq=[self.rhs],
            bounds=[(None, None)] * (K + R),
            method="highs",
        )
        return res.x[:K]

    def v_minbias_given_h(self, h, v0):
        """min ||G'w||_1 s.t. var <= h^2, a'v = rhs (convex; SLSQP on the epigraph form)."""
        K, R = self.K, self.GtE.shape[0]
        x0 = np.concatenate([v0, np.abs(self.GtE @ v0 + self.Gtl) + 1e-9])
        c = np.concatenate([np.zeros(K), np.ones(R)])
        cons = [
            {
                "type": "ineq",
                "fun": lambda x: x[K:] - (self.GtE @ x[:K] + self.Gtl),
                "jac": lambda x: np.hstack([-self.GtE, np.eye(R)]),
            },
            {
                "type": "ineq",
                "fun": lambda x: x[K:] + (self.GtE @ x[:K] + self.Gtl),
                "jac": lambda x: np.hstack([self.GtE, np.eye(R)]),
            },
            {
                "type": "eq",
                "fun": lambda x: float(self.a @ x[:K] - self.rhs),
                "jac": lambda x: np.concatenate([self.a, np.zeros(R)]),
            },
            {
                "type": "ineq",
                "fun": lambda x: h * h - self.var(x[:K]),
                "jac": lambda x: np.concatenate([-(2 * self.S @ x[:K] + 2 * self.s1), np.zeros(R)]),
            },
        ]
        res = optimize.minimize(
            lambda x: c @ x,
            x0,
            jac=lambda x: c,
            constraints=cons,
            method="SLSQP",
            options={"ftol": 1e-13, "maxiter": 1000},
        )
        v = res.x[:K]
        if self.var(v) > h * h * (1 + 1e-6) + 1e-14:  # infeasible drift: fall back to the start
            v = v0
        return v


def _flci_frontier(P: _SDProblem, n_grid: int = 40):
    """The bias-sd frontier b(h): for h from min sd to the sd of the min-bias estimator."""
    v_lo = P.v_minvar()
    h_lo = np.sqrt(max(P.var(v_lo), 0.0))
    v_hi = P.v_minbias()
    h_hi = np.sqrt(max(P.var(v_hi), 0.0))
    if h_hi <= h_lo * (1 + 1e-10):
        return np.array([h_lo]), [v_lo]
    hs = np.linspace(h_lo, h_hi, n_grid)
    vs = [v_lo]
    for h in hs[1:]:
        vs.append(P.v_minbias_given_h(h, vs[-1]))
    return hs, vs


def _flci(P: _SDProblem, M: float, alpha: float, frontier, beta: np.ndarray):
    hs, vs = frontier
    if M == 0:
        v = vs[0]
        sd = np.sqrt(P.var(v))
        chi = stats.norm.ppf(1 - alpha / 2) * sd
    else:
        vals = [
            np.sqrt(P.var(v)) * _cv_folded(M * P.bias1(v) / np.sqrt(P.var(v)), alpha) for v in vs
        ]
        i = int(np.argmin(vals))
        lo_h, hi_h = hs[max(i - 1, 0)], hs[min(i + 1, len(hs) - 1)]
        v_start = vs[max(i - 1, 0)]

        def chi_of(h):
            v = P.v_minbias_given_h(h, v_start)
            sd = np.sqrt(P.var(v))
            return sd * _cv_folded(M * P.bias1(v) / sd, alpha), v

        best_val, v = vals[i], vs[i]
        if hi_h > lo_h:
            r = optimize.minimize_scalar(
                lambda h: chi_of(h)[0],
                bounds=(lo_h, hi_h),
                method="bounded",
                options={"xatol": 1e-7 * hi_h},
            )
            val, vv = chi_of(r.x)
            if val < best_val:
                best_val, v = val, vv
        chi = best_val
    center = float(P.w(v) @ beta)
    return center - chi, center + chi, P.w(v)


# ------------------------------------------------------------------ relative magnitudes (ARP)
# ------------------------------------------------------------------ public function
def honest_did(
    event_study_result: EstimationResult,
    *,
    method: str = "relative_magnitude",
    mbar_grid=None,
    m_grid=None,
    alpha: float = 0.05,
    post="average",
    rm_test: str = "hybrid",
    seed: int = 0,
) -> EstimationResult:
    r"""Robust confidence intervals under bounded violations of parallel trends.

    Parameters
    ----------
    event_study_result : EstimationResult
        An event study following the estimators' contract (terms ``e{k}``,
        ``vcov``, ``extra["reference_period"]``); event times must
        be consecutive. Terms before the reference are "pre", after it "post".
    method : {"relative_magnitude", "smoothness"}
        The restriction :math:`\Delta^{RM}(\bar M)` or :math:`\Delta^{SD}(M)`.
    mbar_grid : sequence of float, optional
        :math:`\bar M` values for ``relative_magnitude``; default
        0, 0.25, ..., 2.
    m_grid : sequence of float, optional
        :math:`M` values for ``smoothness`` (units of the outcome per
        period squared); default 10 values from 0 to the standard error of
        the target (a scale-aware start; choose your own).
    alpha : float
        1 - coverage.
    post : "average" or int
        Target :math:`\theta = l'\tau_{post}`: the equal-weight average of
        the post-treatment effects at event times ``>= 0``, or the effect at
        one event time.
    rm_test : {"hybrid", "conditional"}
        ARP test for relative magnitudes: the conditional test, or the
        conditional-least-favourable hybrid with :math:`\kappa = \alpha/10`
        (Rambachan & Roth's recommendation; its least-favourable critical
        value is simulated with ``seed``).
    seed : int
        Seed for the hybrid's least-favourable simulation.

    Returns
    -------
    EstimationResult
        One row per grid value, term ``"Mbar=<value>"`` or ``"M=<value>"``:
        ``estimate`` and ``std_error`` are :math:`\hat\theta = l'\hat\beta`
        and its standard error (parallel trends), ``conf_low``/``conf_high``
        the robust interval. ``extra``: ``grid`` (DataFrame), ``breakdown``
        (smallest restriction size whose interval contains 0; NaN when
        every interval in the grid excludes 0... then ``breakdown_note`` says
        it is beyond the grid), ``original`` (estimate, se, interval under
        parallel trends), ``l_vec``, ``method``, ``ci_method``.

    Notes
    -----
    Write :math:`\hat\beta = (\hat\beta_{pre}, \hat\beta_{post})
    \sim N(\tau + \delta, \Sigma)` with :math:`\tau_{pre} = 0` and
    :math:`\delta_{ref} = 0`. The target is :math:`\theta = l'\tau_{post}`.

    *Smoothness*, :math:`\Delta^{SD}(M) = \{\delta : |(\delta_{t+1} -
    \delta_t) - (\delta_t - \delta_{t-1})| \le M\ \forall t\}` over the whole
    event-time sequence including the reference. The FLCI is
    :math:`w'\hat\beta \pm \chi`, :math:`w = (v, l)`; finite worst-case bias
    requires :math:`w'\ell = 0` for the linear trend :math:`\ell` (so the
    estimator extrapolates linear pre-trends), and then the worst-case bias
    is :math:`M \lVert G'w \rVert_1` where :math:`\delta = G s + c\,\ell` maps
    second differences :math:`s` to levels. :math:`\chi = \sigma_w\,
    cv_\alpha(\text{bias}/\sigma_w)` with :math:`cv_\alpha(b)` the
    :math:`1-\alpha` quantile of :math:`|N(b, 1)|`; :math:`v` minimises
    :math:`\chi` by tracing the bias-standard-deviation frontier (convex
    sub-problems) and a bounded scalar search. At :math:`M = 0` this is the
    minimum-variance linear-trend-robust estimator with :math:`\chi =
    z_{1-\alpha/2}\sigma_w`.

    *Relative magnitudes*, :math:`\Delta^{RM}(\bar M) = \{\delta :
    \max_{t \ge ref} |\delta_{t+1} - \delta_t| \le \bar M \max_{s < ref}
    |\delta_{s+1} - \delta_s|\}`, the union over pre first differences
    :math:`s` and signs of polyhedra :math:`\{\delta: |\Delta\delta_t| \le
    \bar M \cdot \pm\Delta\delta_s\ \forall t\}`. Each :math:`\bar\theta` is
    tested by ARP: moments :math:`Y(\bar\theta) = A\hat\beta - A L_{post}
    \tau(\bar\theta, \xi)` with nuisance :math:`\xi`, statistic
    :math:`\hat\eta = \min_{\eta,\xi}\{\eta : Y - \tilde X\xi \le \eta
    \sigma_Y\}` computed through its dual vertices (enumerated exactly), and
    a truncated-normal conditional critical value (hybrid: plus a simulated
    least-favourable first stage at :math:`\kappa`). The interval is the
    convex hull of the :math:`\bar\theta` accepted by any polyhedron,
    found on a 1,001-point grid and refined by bisection. At
    :math:`\bar M = 0` with a single target period at event time 0 the
    conditional test reduces to the two-sided z-test, so the interval is
    :math:`\hat\beta_0 \pm z_{1-\alpha/2}\,se`.

    Breakdown value: the first grid value whose interval contains 0, refined
    by bisection between it and the previous grid value (the restriction
    sets, hence the intervals, are nested in the restriction size); inside
    the bisection, relative magnitudes check only whether
    :math:`\bar\theta = 0` is accepted by some polyhedron, which avoids
    inverting the test at every step.

    Degenerate moments: a dual vertex :math:`v` whose moment has zero
    variance, :math:`v'A\Sigma A'v = 0`, cannot be standardised. This
    happens by construction at :math:`\bar M = 0` (the rows
    :math:`\pm\Delta\delta_{post}` cancel, the moment is identically 0)
    and when the event study's covariance is singular, e.g. a pre-period
    term with zero standard error. Such a moment is treated exactly, as a
    deterministic constraint :math:`v'Y(\bar\theta) \le 0` (a polyhedron
    whose constraint fails rejects every :math:`\bar\theta`); the
    conditional and hybrid tests use the informative vertices. The result
    is the limit of giving the zero-variance term a vanishing variance
    (tested). A moment row with zero variance (a zero-variance difference
    of post terms) raises :class:`EstimatorInputError`.
    """
    _check_honest_options(method, rm_test, mbar_grid, m_grid)
    ks, beta, sigma, ref = _extract(event_study_result)
    l_full = _target(ks, ref, post)
    theta = float(l_full @ beta)
    se = float(np.sqrt(l_full @ sigma @ l_full))
    z = stats.norm.ppf(1 - alpha / 2)
    if method == "smoothness":
        grid, ci, zero_not_rejected, label, ci_method = _smoothness_tests(
            ks, ref, beta, sigma, l_full, se, alpha, m_grid
        )
    else:
        grid, ci, zero_not_rejected, label, ci_method = _rm_tests(
            ks, ref, beta, sigma, l_full, theta, se, alpha, mbar_grid, rm_test, seed
        )
    if np.any(grid < 0):
        raise EstimatorInputError(f"{label} grid values must be non-negative")
    cis = [ci(m) for m in grid]
    lows = np.array([c[0] for c in cis])
    highs = np.array([c[1] for c in cis])
    covers = (lows <= 0) & (highs >= 0)
    breakdown, bnote = _breakdown(grid, covers, zero_not_rejected, label)

    table = pd.DataFrame(
        {
            "term": [f"{label}={m:g}" for m in grid],
            "estimate": theta,
            "std_error": se,
            "conf_low": lows,
            "conf_high": highs,
        }
    )
    target = (
        "average of post event times >= 0" if isinstance(post, str) else f"event time {int(post)}"
    )
    notes = (
        f"HonestDiD {method} ({ci_method}); target: {target}; reference e{ref}; "
        f"breakdown {label}={breakdown:.4g}" + (f" ({bnote})" if bnote else "")
    )
    binned = (getattr(event_study_result, "extra", None) or {}).get("binned") or {}
    if binned:
        notes += (
            f"; caution: endpoint terms are bins ({', '.join(f'{k} {v}' for k, v in binned.items())}) "
            "but the restrictions treat them as single periods; refit with bin_endpoints=False to avoid this"
        )
    return EstimationResult(
        "honest_did",
        table,
        n_obs=event_study_result.n_obs,
        n_clusters=event_study_result.n_clusters,
        notes=notes,
        alpha=alpha,
        extra={
            "grid": pd.DataFrame(
                {label: grid, "conf_low": lows, "conf_high": highs, "contains_zero": covers}
            ),
            "breakdown": breakdown,
            "breakdown_note": bnote,
            "original": {
                "estimate": theta,
                "std_error": se,
                "conf_low": theta - z * se,
                "conf_high": theta + z * se,
            },
            "l_vec": pd.Series(l_full, index=[f"e{k}" for k in ks]),
            "method": method,
            "ci_method": ci_method,
        },
        outcome=event_study_result.outcome,
    )


def _check_honest_options(method, rm_test, mbar_grid, m_grid) -> None:
    if method not in ("relative_magnitude", "smoothness"):
        raise EstimatorInputError(
            f"method must be 'relative_magnitude' or 'smoothness', not {method!r}"
        )
    if rm_test not in ("hybrid", "conditional"):
        raise EstimatorInputError(f"rm_test must be 'hybrid' or 'conditional', not {rm_test!r}")
    if method == "smoothness" and mbar_grid is not None:
        raise EstimatorInputError(
            "honest_did: mbar_grid= belongs to method='relative_magnitude'; use m_grid= with "
            "method='smoothness'"
        )
    if method == "relative_magnitude" and m_grid is not None:
        raise EstimatorInputError(
            "honest_did: m_grid= belongs to method='smoothness'; use mbar_grid= with "
            "method='relative_magnitude'"
        )


def _smoothness_tests(ks, ref, beta, sigma, l_full, se, alpha, m_grid):
    """Grid, interval function and zero test of the smoothness restriction (optimal FLCI)."""
    grid = np.asarray(m_grid if m_grid is not None else np.linspace(0, 1, 10) * se, dtype="float64")
    P = _SDProblem(ks, ref, sigma, l_full)
    frontier = _flci_frontier(P)

    def ci(M):
        lo, hi, _ = _flci(P, float(M), alpha, frontier, beta)
        return lo, hi

    def zero_not_rejected(M):
        lo, hi = ci(M)
        return lo <= 0 <= hi

    return grid, ci, zero_not_rejected, "M", "optimal FLCI (Rambachan & Roth 2023, Sec. 4.1)"


def _rm_tests(ks, ref, beta, sigma, l_full, theta, se, alpha, mbar_grid, rm_test, seed):
    """Grid, interval function and zero test of the relative-magnitude restriction (ARP)."""
    grid = np.asarray(
        mbar_grid if mbar_grid is not None else np.arange(0, 2.01, 0.25), dtype="float64"
    )
    kappa = alpha / 10
    ray_cache: dict = {}
    tol = 1e-9 * max(se, 1e-300)

    def components(Mbar):
        return rm_components(
            ks, ref, beta, sigma, l_full, float(Mbar), alpha, rm_test, kappa, seed, ray_cache
        )

    def ci(Mbar):
        comps = components(Mbar)

        def acc(th):
            out = np.zeros(len(th), dtype=bool)
            for c in comps:
                if len(th) == 1 and out[0]:
                    break  # one theta already accepted by a polyhedron: the union accepts it
                out |= c.accept(th)
            return out

        return invert_test(acc, theta, se * (1 + float(Mbar) * len(ks)), tol)

    def zero_not_rejected(Mbar):
        return any(bool(c.accept(np.array([0.0]))[0]) for c in components(Mbar))

    ci_method = f"ARP {rm_test} test inverted over theta (Rambachan & Roth 2023, Sec. 3.2)"
    return grid, ci, zero_not_rejected, "Mbar", ci_method


def _breakdown(grid, covers, zero_not_rejected, label) -> tuple[float, str]:
    """Smallest restriction size whose interval contains 0 (bisection between grid values)."""
    if not covers.any():
        return (
            np.nan,
            f"every interval excludes 0 up to {label}={grid.max():g}: breakdown value beyond the grid",
        )
    i = int(np.argmax(covers))
    if i == 0:
        return float(
            grid[0]
        ), f"the interval at the smallest {label}={grid[0]:g} already contains 0"
    lo_m, hi_m = float(grid[i - 1]), float(grid[i])
    for _ in range(30):
        mid = 0.5 * (lo_m + hi_m)
        if zero_not_rejected(mid):
            hi_m = mid
        else:
            lo_m = mid
        if hi_m - lo_m < 1e-4 * max(hi_m, 1e-12):
            break
    return hi_m, ""
