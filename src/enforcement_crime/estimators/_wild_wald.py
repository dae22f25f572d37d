r"""Restricted wild cluster bootstrap of a joint Wald test (e.g. "every event-study lead is 0").

The event study's chi-square Wald test of the leads uses a CR1 variance with
few clusters and several restrictions; on the built-in null panel it rejects
far more often than its level (``reports/size/size_table.md``). This module
calibrates the *same* statistic by the restricted wild cluster bootstrap
(WCR; Cameron, Gelbach & Miller 2008; Roodman, MacKinnon, Nielsen & Webb
2019, "mboottest"): the bootstrap samples are generated from the model with
the tested restrictions imposed, each sample's Wald statistic is computed
exactly as the observed one (CR1 variance with the same constants), and the
p-value is the share of bootstrap statistics at least as large as the
observed one.

Algebra (everything exact, no per-draw re-estimation)
-----------------------------------------------------
With :math:`X` the regressors after the fixed effects are absorbed (within
transformation ``M``, weights ``W``), :math:`\hat\beta_r` the restricted
estimate (tested columns removed, zeros in their places) and
:math:`u = \tilde y - X\hat\beta_r` its residuals, a bootstrap sample is
:math:`y^* = \hat y_r + u \circ v` with one weight :math:`v_g` per cluster.
Because :math:`X'WM = X'W`,

.. math:: \beta^* - \hat\beta_r = (X'WX)^{-1} \sum_g v_g c_g,
          \qquad c_g = X_g' W_g u_g,

and the bootstrap residuals are :math:`e^* = M(u\circ v) - X(\beta^*-\hat\beta_r)`.
Their score in cluster :math:`h` is linear in the weights,

.. math:: s_h^* = \sum_g v_g \bigl(X_h' W_h [M(u 1_g)]_h - H_h (X'WX)^{-1} c_g\bigr),
          \qquad H_h = X_h' W_h X_h,

where :math:`M(u 1_g)` is the fixed-effect residual of ``u`` kept in cluster
``g`` and zero elsewhere (one demeaning per cluster, not per draw: the
period effects mix clusters, which is why it is needed). With ``R`` the
tested rows of :math:`(X'WX)^{-1}`, the bootstrap Wald statistic is
:math:`\delta^{*\prime} (c\, \sum_h D_h D_h')^{-1} \delta^*` with
:math:`\delta^* = R \sum_g v_g c_g`, :math:`D_h = R s_h^*` and ``c`` the CR1
constant of the observed statistic. With every :math:`v_g = 1` the bootstrap
sample is the data and the statistic is the observed one exactly (tested).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from enforcement_crime.estimators._bootstrap import WeightDraws, share_extreme, wald_stats
from enforcement_crime.estimators._core import Block, TwoWayProjector, demean, is_nested
from enforcement_crime.estimators._inputs import EstimatorInputError

#: at most this many (observations x clusters) numbers for the per-cluster demeaning
MAX_CELLS = 60_000_000


def _residualise(Z: np.ndarray, blocks: list[Block], w: np.ndarray) -> np.ndarray:
    """Fixed-effect residuals of the columns of ``Z``: the exact two-way projector for unit + period
    effects (all columns at once), else weighted alternating projections (:func:`demean`)."""
    names = [(b.name, b.kind) for b in blocks]
    if names == [("unit", "fe"), ("time", "fe")] and np.all(w > 0):
        proj = TwoWayProjector(blocks[0].codes, blocks[1].codes, w)
        return proj.resid(proj.sw[:, None] * Z) / proj.sw[:, None]
    return demean(Z, blocks, w)


def _two_way_cluster_scores(
    XW: np.ndarray,
    u: np.ndarray,
    blocks: list[Block],
    w: np.ndarray,
    codes: np.ndarray,
    G: int,
    S: sp.csr_matrix,
) -> np.ndarray | None:
    r"""``C[h, g, :] = X_h' W_h M(u 1_g)_h`` for unit + period effects with units nested in clusters.

    ``None`` for other fixed effects (the caller demeans the n x G matrix).
    In the space scaled by :math:`\sqrt{w}`, the unit-demeaned
    :math:`\mu = M_U(\sqrt{w} u)` stays in its unit's cluster, and the
    period effects of the cluster-``g`` part are :math:`c_{\cdot g} = K^{+} r_{\cdot g}`
    with :math:`r_{tg}` the sum of :math:`\sqrt{w}\mu` over cluster ``g`` in
    period ``t``; so :math:`M(u 1_g)_i = 1\{g_i = g\}\mu_i/\sqrt{w_i} - (c_{t_i g} - h_{u_i g})`,
    :math:`h_{\cdot g}` the weighted unit means of :math:`c_{\cdot g}`. Each
    term's cluster sums against ``XW`` need per-cluster, per-(cluster,
    period) and per-unit sums of ``XW`` only, not the n x G residuals.
    """
    names = [(b.name, b.kind) for b in blocks]
    if names != [("unit", "fe"), ("time", "fe")] or not np.all(w > 0):
        return None
    if not is_nested(blocks[0], codes):
        return None
    ucode, tcode = blocks[0].codes, blocks[1].codes
    proj = TwoWayProjector(ucode, tcode, w)
    T, nu, K = proj.n_times, proj.n_units, XW.shape[1]
    sw = proj.sw
    mu = proj.m_unit(sw * u)
    r = np.bincount(tcode * G + codes, weights=sw * mu, minlength=T * G).reshape(T, G)
    c = proj.Kp @ r  # T x G
    h = (proj.C @ c) / proj.Wi[:, None]  # units x G
    ucl = np.empty(nu, dtype=np.intp)
    ucl[ucode] = codes
    n = len(u)
    rows = np.arange(n)
    cells = sp.csr_matrix((np.ones(n), (codes * T + tcode, rows)), shape=(G * T, n))
    P = (cells @ XW).reshape(G, T, K)  # XW summed by cluster and period
    Xu = sp.csr_matrix((np.ones(n), (ucode, rows)), shape=(nu, n)) @ XW  # by unit
    by_cluster = sp.csr_matrix((np.ones(nu), (ucl, np.arange(nu))), shape=(G, nu))
    Q = (by_cluster @ (Xu[:, :, None] * h[:, None, :]).reshape(nu, K * G)).reshape(G, K, G)
    C = Q.transpose(0, 2, 1) - np.einsum("htk,tg->hgk", P, c)
    C[np.arange(G), np.arange(G), :] += S @ (XW * (mu / sw)[:, None])
    return C


@dataclass
class WildWaldTest:
    """The pieces of the WCR joint Wald bootstrap; :meth:`stats` gives the statistic for weight draws."""

    delta_map: np.ndarray  # m x G: delta* = delta_map @ v
    F: np.ndarray  # G x G x m: D_h = sum_g v_g F[h, g]
    scale: float  # CR1 constant c of the observed variance
    stat: float  # observed Wald statistic

    @classmethod
    def build(
        cls,
        X: np.ndarray,
        y: np.ndarray,
        w: np.ndarray,
        blocks: list[Block],
        codes: np.ndarray,
        n_clusters: int,
        tested: list[int],
        scale: float,
    ) -> WildWaldTest:
        """Set up the test of ``coef[tested] = 0`` from within-transformed ``X`` (n x K) and ``y``.

        ``codes`` are 0-based cluster codes (units nested in clusters),
        ``scale`` the CR1 constant ``c`` with ``V = c (X'WX)^-1 meat (X'WX)^-1``.
        """
        n, K = X.shape
        G = int(n_clusters)
        if not tested:
            raise EstimatorInputError("wild bootstrap Wald test: no coefficient to test")
        if G < 2:
            raise EstimatorInputError(
                f"wild bootstrap Wald test needs at least 2 clusters; found {G}"
            )
        if n * G > MAX_CELLS:
            raise EstimatorInputError(
                f"wild bootstrap Wald test: {G} clusters x {n} rows is too large for the exact "
                f"per-cluster demeaning (limit {MAX_CELLS:,} cells); with this many clusters the "
                "chi-square Wald test needs no bootstrap (pretrend_inference='wald')"
            )
        X = np.ascontiguousarray(X)
        XW = X * w[:, None]
        XtWX = X.T @ XW
        bread = np.linalg.inv(XtWX)
        coef = bread @ (XW.T @ y)
        keep = [j for j in range(K) if j not in set(tested)]
        if keep:
            Xr = X[:, keep]
            br = np.linalg.solve(Xr.T @ (Xr * w[:, None]), (Xr * w[:, None]).T @ y)
            u = y - Xr @ br
        else:
            u = y.copy()
        S = sp.csr_matrix((np.ones(n), (codes, np.arange(n))), shape=(G, n))  # cluster sums
        # C[h, g, :] = X_h' W_h M(u 1_g)_h, with M(u 1_g) the fixed-effect residual of u
        # restricted to cluster g
        C = _two_way_cluster_scores(XW, u, blocks, w, codes, G, S)
        if C is None:
            U1 = np.zeros((n, G))
            U1[np.arange(n), codes] = u
            MU = _residualise(U1, blocks, w)  # n x G
            C = np.stack([S @ (XW[:, k, None] * MU) for k in range(K)], axis=2)
        cg = S @ (XW * u[:, None])  # G x K
        # H[h] = X_h' W_h X_h, cluster by cluster on the rows sorted by cluster
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(G + 1))
        Xs, XWs = X[order], XW[order]
        H = np.stack([XWs[a:b].T @ Xs[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)])
        E = C - np.einsum("hkl,lm,gm->hgk", H, bread, cg)
        Rb = bread[tested, :]  # m x K
        F = np.einsum("jk,hgk->hgj", Rb, E)
        delta_map = Rb @ cg.T  # m x G
        # observed statistic (the same formula as the chi-square test)
        delta = coef[tested]
        scores = S @ (XW * (y - X @ coef)[:, None])
        Dobs = scores @ Rb.T  # G x m
        Vobs = scale * Dobs.T @ Dobs
        stat = float(delta @ np.linalg.solve(Vobs, delta))
        return cls(delta_map, F, float(scale), stat)

    def stats(self, V: np.ndarray) -> np.ndarray:
        """Bootstrap Wald statistics for the weight draws ``V`` (G x B); pseudo-inverse when singular."""
        return wald_stats(
            V, lambda v: ((self.delta_map @ v).T, np.einsum("hgj,gb->hbj", self.F, v)), self.scale
        )

    def bootstrap(self, draws: WeightDraws) -> float:
        """WCR bootstrap p-value: share of bootstrap statistics at least the observed one."""
        return share_extreme(self.stats(draws.V), self.stat)
