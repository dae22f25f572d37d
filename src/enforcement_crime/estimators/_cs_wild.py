"""Wild cluster bootstrap-t for Callaway-Sant'Anna aggregations (few treated clusters).

Used by :func:`enforcement_crime.estimators.callaway_santanna` with
``inference="wild_cluster"``; the conventions are stated there. The
machinery rests on one fact: for fixed cohorts, weights and controls, every
group-time ATT, every aggregation and every influence function is *linear in
the outcome matrix* ``Y`` (units x periods). :class:`CSLinearMap` evaluates
the estimates and the cluster sums of the influence functions for a whole
stack of outcome matrices at once, so a bootstrap draw costs a matrix-vector
product and the bootstrap standard error is re-estimated in every draw with
the same formula as the analytic one (a studentised, percentile-t bootstrap).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from enforcement_crime.estimators._common import EstimatorInputError
from enforcement_crime.estimators._cs_aggregate import CSAggregator

__all__ = ["CSLinearMap", "WildTermTest", "saturated_fit"]

#: largest terms x clusters x clusters array the bootstrap may hold (floats)
MAX_ELEMENTS = 60_000_000


class CSLinearMap:
    """Estimates and clustered influence-function sums of every live term, linear in ``Y``.

    Parameters
    ----------
    U
        The unit arrays of ``callaway_santanna`` (``Y``, ``G``, ``w``, ``X``, ``tindex``).
    att_gt : pandas.DataFrame
        The estimated cells (``group``, ``time``, ``base``), in the order of ``PSI``'s columns.
    control_group, anticipation, controls
        As in ``callaway_santanna`` (the comparison set of each cell is rebuilt the same way).
    aggs, times, ref
        What :class:`CSAggregator` ran.
    codes, n_clusters
        Cluster code of each unit (units are their own clusters when not clustered).
    """

    def __init__(
        self, U, glist, att_gt, control_group, anticipation, controls, aggs, times, ref, codes,
        n_clusters,
    ):  # fmt: skip
        self.U = U
        self.cells = list(att_gt[["group", "time", "base"]].itertuples(index=False, name=None))
        self.controls = list(controls)
        n, J = U.n, len(self.cells)
        self.H = sp.csr_matrix((np.ones(n), (codes, np.arange(n))), shape=(n_clusters, n))
        self.codes, self.Gc = codes, n_clusters
        self.masks = []
        for g, t, b in self.cells:
            d = U.G == g
            if control_group == "never_treated":
                c = U.G == 0
            else:
                c = (U.G == 0) | ((U.G > max(t, b) + anticipation) & (U.G != g))
            self.masks.append((d, c))
        # aggregation weights W (terms x cells) and the weight-estimation part Omega of each
        # term's psi (its cluster sums: terms x clusters x cells), by feeding unit ATT vectors
        W, om = None, None
        zero = np.zeros((n, J))
        for j in range(J):
            e = att_gt[["group", "time"]].copy()
            e["estimate"] = 0.0
            e.loc[e.index[j], "estimate"] = 1.0
            agg = CSAggregator(U, glist, e, zero)
            agg.run(aggs, times, ref)
            live = [k for k, p in enumerate(agg.psi_terms) if p is not None]
            if W is None:
                self.live = live
                self.terms = [agg.terms[k]["term"] for k in live]
                W = np.zeros((len(live), J))
                om = np.zeros((len(live), n_clusters, J))
            for r, k in enumerate(live):
                W[r, j] = agg.terms[k]["estimate"]
                om[r, :, j] = self.H @ agg.psi_terms[k]
        self.W, self.om = W, om

    @property
    def n_terms(self) -> int:
        return len(self.terms)

    def _cell(self, j: int, dy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """ATT (m,) and psi (n, m) of cell ``j`` for ``m`` stacked outcome changes ``dy`` (n, m)."""
        d, c = self.masks[j]
        w = self.U.w
        if not self.controls:
            wd, wc = w * d, w * c
            sd, sc = wd.sum(), wc.sum()
            mu_d, mu_c = (wd @ dy) / sd, (wc @ dy) / sc
            psi = wd[:, None] * (dy - mu_d) / sd - wc[:, None] * (dy - mu_c) / sc
            return mu_d - mu_c, psi
        # outcome regression (DRDID reg_did_panel), as _reg_adjusted_cell, for a stack of columns
        g, t, b = self.cells[j]
        idx = np.flatnonzero(d | c)
        n1 = len(idx)
        ws = w[idx] / w[idx].mean()
        D = d[idx].astype("float64")
        Xs = np.column_stack([np.ones(n1), self.U.X[idx, self.U.tindex[b], :]])
        y = dy[idx]
        wc = ws * (1 - D)
        XtX = Xs.T @ (wc[:, None] * Xs)
        beta = np.linalg.solve(XtX, Xs.T @ (wc[:, None] * y))
        out = Xs @ beta
        wt = ws * D
        mwt = wt.mean()
        eta_t = (wt @ y) / n1 / mwt
        eta_c = (wt @ out) / n1 / mwt
        m1 = (wt[:, None] * Xs).mean(axis=0)
        lev = Xs @ (np.linalg.inv(XtX / n1) @ m1)
        asy_m1 = (wc[:, None] * (y - out)) * lev[:, None]
        inf = (wt[:, None] * (y - eta_t)) / mwt - (wt[:, None] * (out - eta_c) + asy_m1) / mwt
        psi = np.zeros((len(dy), dy.shape[1]))
        psi[idx] = inf / n1
        return eta_t - eta_c, psi

    def apply(self, Ys: np.ndarray, terms: np.ndarray | None = None):
        """Estimates ``(k, m)`` and influence-function cluster sums ``(k, G, m)`` for ``Ys`` (n, T, m).

        ``terms`` selects rows of the live terms (default: all).
        """
        sel = np.arange(self.n_terms) if terms is None else np.asarray(terms)
        W, om = self.W[sel], self.om[sel]
        m = Ys.shape[2]
        att = np.empty((len(self.cells), m))
        S = np.zeros((len(sel), self.Gc, m))
        ti = self.U.tindex
        for j, (_g, t, b) in enumerate(self.cells):
            dy = Ys[:, ti[t], :] - Ys[:, ti[b], :]
            att[j], psi = self._cell(j, dy)
            wj = W[:, j]
            if np.any(wj):
                S += wj[:, None, None] * np.asarray(self.H @ psi)[None]
        S += np.einsum("kgc,cm->kgm", om, att)
        return W @ att, S


def saturated_fit(U) -> np.ndarray:
    """Fitted values of the unit + cohort-by-period model (weighted, balanced panel): ``(n, T)``.

    :math:`\\hat Y_{it} = \\bar Y_{i\\cdot} + \\bar R_{G_i, t}` with
    :math:`R_{it} = Y_{it} - \\bar Y_{i\\cdot}` and :math:`\\bar R_{g,t}` its
    ``w``-weighted mean over the units of cohort ``g`` (exact least squares:
    within a cohort this is the balanced two-way model). Every unconditional
    ATT(g, t) of the fitted values equals that of the data.
    """
    ybar = U.Y.mean(axis=1, keepdims=True)
    R = U.Y - ybar
    fit = np.empty_like(U.Y)
    for g in np.unique(U.G):
        m = U.G == g
        fit[m] = ybar[m] + (U.w[m] @ R[m]) / U.w[m].sum()
    return fit


@dataclass
class _Pieces:
    """Per-draw numbers of one term: t*(c) = (n0 + c n1) / sqrt(f (d00 + 2c d01 + c^2 d11))."""

    n0: np.ndarray
    n1: np.ndarray
    d00: np.ndarray
    d01: np.ndarray
    d11: np.ndarray


class WildTermTest:
    """Restricted (or unrestricted) wild cluster bootstrap-t of one term, as a function of ``theta0``.

    Null imposed for ``H0: theta = theta0`` by the fitted values
    :math:`\\hat Y_0 = \\hat Y - c f` with :math:`c = (\\theta(\\hat Y) - \\theta_0)/\\theta(f)`,
    where :math:`\\hat Y` is :func:`saturated_fit` and :math:`f` the indicator
    of the treated unit-periods the term averages; residuals
    :math:`\\hat u_0 = Y - \\hat Y_0`; draws :math:`Y^* = \\hat Y_0 + v_{c(i)}\\hat u_0`.
    Both the estimate and its clustered influence-function SE are linear /
    quadratic in :math:`c`, so five numbers per draw give the test at every
    ``theta0``.
    """

    def __init__(self, est, se, factor, pieces: _Pieces, e_y, e_f, impose_null):
        self.est, self.se, self.factor = est, se, factor
        self.p, self.e_y, self.e_f = pieces, e_y, e_f
        self.impose_null = impose_null

    def tboot(self, theta0: float) -> np.ndarray:
        c = (self.e_y - theta0) / self.e_f if self.impose_null else 0.0
        p = self.p
        den = np.maximum(p.d00 + 2 * c * p.d01 + c * c * p.d11, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            return (p.n0 + c * p.n1) / np.sqrt(self.factor * den)

    def pval(self, theta0: float) -> float:
        t_obs = abs(self.est - theta0) / self.se
        tb = np.abs(self.tboot(theta0))
        tb = np.where(np.isfinite(tb), tb, np.inf)
        return float(np.mean(tb >= t_obs * (1 - 1e-9)))

    def interval(self, alpha: float) -> tuple[float, float]:
        if not self.impose_null:
            # percentile-t (symmetric): the t* do not depend on theta0
            tb = np.abs(self.tboot(0.0))
            tb = np.where(np.isfinite(tb), tb, np.inf)
            q = float(np.quantile(tb, 1 - alpha, method="higher"))
            return self.est - q * self.se, self.est + q * self.se
        return self._boundary(-1.0, alpha), self._boundary(1.0, alpha)

    def _boundary(self, direction: float, alpha: float) -> float:
        inside, step = self.est, self.se if self.se > 0 else 1.0
        outside = self.est + direction * step
        k = 0
        while self.pval(outside) > alpha:
            inside, step = outside, step * 2
            outside = self.est + direction * step
            k += 1
            if k > 60:
                return direction * np.inf
        for _ in range(100):
            mid = 0.5 * (inside + outside)
            if self.pval(mid) > alpha:
                inside = mid
            else:
                outside = mid
            if abs(outside - inside) <= 1e-10 * max(self.se, 1e-300):
                break
        return 0.5 * (inside + outside)


def term_tests(
    L: CSLinearMap, U, estimates, ses, factor, V: np.ndarray, impose_null: bool
) -> list[WildTermTest | None]:
    """One :class:`WildTermTest` per live term (``None`` where the term has no usable SE).

    ``V`` is the ``(G, B)`` matrix of cluster weights; ``estimates`` and
    ``ses`` the table's estimates and analytic standard errors of the live terms.
    """
    n, T = U.Y.shape
    Gc = L.Gc
    if L.n_terms * Gc * Gc > MAX_ELEMENTS:
        raise EstimatorInputError(
            f"inference='wild_cluster' would hold {L.n_terms} terms x {Gc}^2 clusters "
            f"({L.n_terms * Gc * Gc:,} numbers, limit {MAX_ELEMENTS:,}); ask for fewer "
            "aggregations (e.g. aggregation='simple') or cluster at a coarser level"
        )
    Yhat = saturated_fit(U)
    uhat = U.Y - Yhat
    chunk = max(1, int(4_000_000 // max(n * T, 1)))
    # Yhat and every cluster's residuals: all terms at once
    e_y, s_y = L.apply(Yhat[:, :, None])
    CU = np.zeros((L.n_terms, Gc, Gc))
    nU = np.zeros((L.n_terms, Gc))
    for s in range(0, Gc, chunk):
        hs = np.arange(s, min(Gc, s + chunk))
        Ys = uhat[:, :, None] * (L.codes[:, None] == hs[None, :])[:, None, :]
        est, S = L.apply(Ys)
        nU[:, hs], CU[:, :, hs] = est, S
    ti = U.tindex
    out: list[WildTermTest | None] = []
    for k in range(L.n_terms):
        if not np.isfinite(ses[k]) or ses[k] <= 0:
            out.append(None)
            continue
        f = np.zeros((n, T))
        for j, (g, t, _b) in enumerate(L.cells):
            if L.W[k, j] != 0:
                f[U.G == g, ti[t]] = 1.0
        e_f, s_f = L.apply(f[:, :, None], terms=[k])
        e_f, s_f = float(e_f[0, 0]), s_f[0, :, 0]
        if impose_null and abs(e_f) <= 1e-12:
            raise EstimatorInputError(
                f"term {L.terms[k]}: the null cannot be imposed (the term is not moved by an "
                "effect on its own treated cells)"
            )
        CF = np.zeros((Gc, Gc))
        nF = np.zeros(Gc)
        hits = np.unique(L.codes[f.any(axis=1)]) if impose_null else np.array([], dtype=int)
        for s in range(0, len(hits), chunk):
            hs = hits[s : s + chunk]
            Ys = f[:, :, None] * (L.codes[:, None] == hs[None, :])[:, None, :]
            est, S = L.apply(Ys, terms=[k])
            nF[hs], CF[:, hs] = est[0], S[0]
        # per draw: S* = (s_y + CU v) + c (CF v - s_f); numerator n0 + c n1
        P0 = s_y[k, :, 0][:, None] + CU[k] @ V
        P1 = CF @ V - s_f[:, None]
        pieces = _Pieces(
            n0=nU[k] @ V,
            n1=nF @ V,
            d00=np.einsum("gb,gb->b", P0, P0),
            d01=np.einsum("gb,gb->b", P0, P1),
            d11=np.einsum("gb,gb->b", P1, P1),
        )
        out.append(
            WildTermTest(
                float(estimates[k]),
                float(ses[k]),
                factor,
                pieces,
                float(e_y[k, 0]),
                e_f,
                impose_null,
            )  # fmt: skip
        )
    return out


def wild_summary(tests, terms, alpha) -> pd.DataFrame:
    """Per-term p-value of ``theta = 0`` and the test-inverted interval."""
    rows = []
    for term, tt in zip(terms, tests, strict=True):
        if tt is None:
            rows.append((term, np.nan, np.nan, np.nan))
            continue
        lo, hi = tt.interval(alpha)
        rows.append((term, tt.pval(0.0), lo, hi))
    return pd.DataFrame(rows, columns=["term", "p_value", "conf_low", "conf_high"])
