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

import numpy as np
import pandas as pd
import scipy.sparse as sp

from enforcement_crime.estimators._bootstrap import LinearWildT, WeightDraws
from enforcement_crime.estimators._core import cr1_scale
from enforcement_crime.estimators._cs_aggregate import CSAggregator
from enforcement_crime.estimators._inputs import EstimatorInputError

__all__ = [
    "apply_wild_cluster",
    "check_boot_options",
    "wild_note",
    "CSLinearMap",
    "saturated_fit",
    "term_tests",
    "two_way_fit",
    "wild_summary",
]

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
    aggs, times, ref, window
        What :class:`CSAggregator` ran.
    codes, n_clusters
        Cluster code of each unit (units are their own clusters when not clustered).
    """

    def __init__(
        self,
        U,
        glist,
        att_gt,
        control_group,
        anticipation,
        controls,
        aggs,
        times,
        ref,
        codes,
        n_clusters,
        window=None,
    ):
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
        agg = CSAggregator(U, glist, att_gt.assign(estimate=0.0), zero)
        for j in range(J):
            e = np.zeros(J)
            e[j] = 1.0
            agg.restart(e)
            agg.run(aggs, times, ref, window)
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
        if m == 1 and not self.controls:
            return self._apply_one(Ys[:, :, 0], W, om)
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

    def _apply_one(self, Y: np.ndarray, W: np.ndarray, om: np.ndarray):
        """:meth:`apply` for one outcome matrix ``Y`` (n, T) without controls: every cell at once."""
        if not hasattr(self, "_cols"):
            ti = self.U.tindex
            self._cols = (
                np.array([ti[t] for _g, t, _b in self.cells], dtype="int64"),
                np.array([ti[b] for _g, _t, b in self.cells], dtype="int64"),
            )
            w = self.U.w[:, None]
            self._wd = w * np.column_stack([d for d, _ in self.masks])
            self._wc = w * np.column_stack([c for _, c in self.masks])
            self._sd, self._sc = self._wd.sum(axis=0), self._wc.sum(axis=0)
        tcol, bcol = self._cols
        DY = Y[:, tcol] - Y[:, bcol]  # each cell's outcome change (n, J)
        mu_d = np.einsum("nj,nj->j", self._wd, DY) / self._sd
        mu_c = np.einsum("nj,nj->j", self._wc, DY) / self._sc
        att = mu_d - mu_c
        used = np.flatnonzero(np.any(W != 0, axis=0))
        psi = (
            self._wd[:, used] * (DY[:, used] - mu_d[used]) / self._sd[used]
            - self._wc[:, used] * (DY[:, used] - mu_c[used]) / self._sc[used]
        )
        S = (np.asarray(self.H @ psi) @ W[:, used].T).T[:, :, None]
        S = S + np.einsum("kgc,c->kg", om, att)[:, :, None]
        return (W @ att)[:, None], S

    def per_cluster(self, Z: np.ndarray, terms=None) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`apply` to ``Z`` (n, T) cut by cluster, all clusters at once (no controls only).

        Column ``h`` of the cut is ``Z`` on the units of cluster ``h`` and 0 elsewhere. Without
        controls a cell's ATT of column ``h`` is ``mu_d[h] - mu_c[h]``, the weighted sums of the
        outcome changes of cluster ``h``'s treated and comparison units over the groups' weights,
        and the cluster sums of its influence function are, in cluster ``g``,
        ``[g = h] (mu_d[h] - mu_c[h]) - Wd[g] mu_d[h] / sd + Wc[g] mu_c[h] / sc``
        (``Wd``, ``Wc``: each cluster's treated and comparison weights): no column is
        materialised. Returns estimates ``(k, G)`` and cluster sums ``(k, G, G)`` as
        :meth:`apply` does on the stacked columns.
        """
        if self.controls:
            raise ValueError("per_cluster: only without controls (use apply on the cut columns)")
        sel = np.arange(self.n_terms) if terms is None else np.asarray(terms)
        W, om = self.W[sel], self.om[sel]
        G, codes, w = self.Gc, self.codes, self.U.w
        ti = self.U.tindex
        att = np.empty((len(self.cells), G))
        S = np.zeros((len(sel), G, G))
        for j, (_g, t, b) in enumerate(self.cells):
            d, c = self.masks[j]
            dy = Z[:, ti[t]] - Z[:, ti[b]]
            wd, wc = w * d, w * c
            sd, sc = wd.sum(), wc.sum()
            mu_d = np.bincount(codes, weights=wd * dy, minlength=G) / sd
            mu_c = np.bincount(codes, weights=wc * dy, minlength=G) / sc
            att[j] = mu_d - mu_c
            wj = W[:, j]
            if np.any(wj):
                hd = np.bincount(codes, weights=wd, minlength=G) / sd
                hc = np.bincount(codes, weights=wc, minlength=G) / sc
                sums = np.diag(att[j]) - np.outer(hd, mu_d) + np.outer(hc, mu_c)
                S += wj[:, None, None] * sums[None]
        S += np.einsum("kgc,cm->kgm", om, att)
        return W @ att, S


def two_way_fit(U, Y: np.ndarray | None = None) -> np.ndarray:
    r"""Fitted values of the unit + period model (weighted, balanced panel, no treatment): ``(n, T)``.

    :math:`\hat Y_{it} = \bar Y_{i\cdot} + \bar R_{\cdot t}`, with
    :math:`R_{it} = Y_{it} - \bar Y_{i\cdot}` and :math:`\bar R_{\cdot t}`
    its ``w``-weighted mean over all units (exact least squares on a balanced
    panel with unit-level weights). Every ATT(g, t) of these fitted values is 0.
    """
    Y = U.Y if Y is None else Y
    ybar = Y.mean(axis=1, keepdims=True)
    return ybar + (U.w @ (Y - ybar)) / U.w.sum()


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


def _cluster_columns(L: CSLinearMap, Z: np.ndarray, hs: np.ndarray) -> np.ndarray:
    """Stack ``Z`` restricted to each cluster in ``hs``: ``(n, T, len(hs))``."""
    return Z[:, :, None] * (L.codes[:, None] == hs[None, :])[:, None, :]


def _per_cluster(L: CSLinearMap, Z: np.ndarray, hs: np.ndarray, terms, chunk: int):
    """Estimates ``(k, G)`` and cluster-sum matrices ``(k, G, G)`` of ``Z`` cut by cluster."""
    if not L.controls and np.array_equal(hs, np.arange(L.Gc)):
        return L.per_cluster(Z, terms)
    k = L.n_terms if terms is None else len(terms)
    est = np.zeros((k, L.Gc))
    C = np.zeros((k, L.Gc, L.Gc))
    for s in range(0, len(hs), chunk):
        h = hs[s : s + chunk]
        e, S = L.apply(_cluster_columns(L, Z, h), terms=terms)
        est[:, h], C[:, :, h] = e, S
    return est, C


def term_tests(
    L: CSLinearMap, U, estimates, ses, factor, draws: WeightDraws, impose_null: bool
) -> list[LinearWildT | None]:
    r"""One :class:`~._bootstrap.LinearWildT` per live term (``None`` where the term has no usable SE).

    ``estimates`` and ``ses`` are the table's estimates and analytic standard
    errors of the live terms, ``factor`` the small-sample factor of the
    variance. Restricted (``impose_null``) bootstrap data of
    ``H0: theta = theta0``: :math:`Y^* = \hat Y_0 + v_{g(i)} \hat u_0` with
    :math:`\hat Y_0 = P Y + \theta_0 h` and :math:`\hat u_0 = M (Y - \theta_0 h)`,
    where :math:`P`/:math:`M` fit/residualise the unit + period model
    (:func:`two_way_fit`) and :math:`h = f/\theta(f)` spreads an effect of one
    over the treated unit-periods :math:`f` the term averages, so
    :math:`\theta(\hat Y_0) = \theta_0` exactly. Unrestricted: residuals of
    :func:`saturated_fit`. The draw's estimate and clustered influence-function
    sums are linear in the weights and affine in :math:`\theta_0`.
    """
    n, T = U.Y.shape
    Gc = L.Gc
    if L.n_terms * Gc * Gc > MAX_ELEMENTS:
        raise EstimatorInputError(
            f"inference='wild_cluster' would hold {L.n_terms} terms x {Gc}^2 clusters "
            f"({L.n_terms * Gc * Gc:,} numbers, limit {MAX_ELEMENTS:,}); ask for fewer "
            "aggregations (e.g. aggregation='simple') or cluster at a coarser level"
        )
    chunk = max(1, int(4_000_000 // max(n * T, 1)))
    allh = np.arange(Gc)
    fit = two_way_fit(U) if impose_null else saturated_fit(U)
    # fitted values and every cluster's residuals: all terms at once
    _, s_fit = L.apply(fit[:, :, None])
    nA, CA = _per_cluster(L, U.Y - fit, allh, None, chunk)
    ti = U.tindex
    out: list[LinearWildT | None] = []
    for k in range(L.n_terms):
        if not np.isfinite(ses[k]) or ses[k] <= 0:
            out.append(None)
            continue
        c0 = s_fit[k, :, 0][:, None]
        nAk, CAk = nA[k], CA[k]
        if impose_null:
            f = np.zeros((n, T))
            for j, (g, t, _b) in enumerate(L.cells):
                if L.W[k, j] != 0:
                    f[U.G == g, ti[t]] = 1.0
            e_f, _ = L.apply(f[:, :, None], terms=[k])
            e_f = float(e_f[0, 0])
            if abs(e_f) <= 1e-12:
                raise EstimatorInputError(
                    f"term {L.terms[k]}: the null cannot be imposed (the term is not moved by an "
                    "effect on its own treated cells)"
                )
            h = f / e_f
            _, s_h = L.apply(h[:, :, None], terms=[k])
            nB, CB = _per_cluster(L, h - two_way_fit(U, h), allh, [k], chunk)

            # Y* = PY + c h + v (MY - c Mh): sums S* = P0 + c (s_h - CB v), estimate - c = n0 - c nB v
            def pieces(v, nAk=nAk, CAk=CAk, c0=c0, nB=nB[0], CB=CB[0], c1=s_h[0]):
                return nAk @ v, -(nB @ v), c0 + CAk @ v, c1 - CB @ v
        else:

            def pieces(v, nAk=nAk, CAk=CAk, c0=c0):
                return nAk @ v, None, c0 + CAk @ v, None

        scale = np.sqrt(factor)
        out.append(LinearWildT(estimates[k], ses[k], draws, pieces, scale, impose_null))
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


def check_boot_options(inference, bootstrap_weights, impose_null, n_boot) -> str | None:
    """Resolve the default bootstrap weights; refuse options that the chosen inference ignores."""
    if impose_null is not True and inference != "wild_cluster":
        raise EstimatorInputError(
            f"impose_null applies only to inference='wild_cluster' (got inference={inference!r})"
        )
    if inference == "bootstrap":
        return "mammen" if bootstrap_weights is None else bootstrap_weights
    if inference == "wild_cluster":
        bw = "auto" if bootstrap_weights is None else bootstrap_weights
        if bw not in ("auto", "webb", "rademacher"):
            raise EstimatorInputError(
                f"bootstrap_weights for inference='wild_cluster' must be 'auto', 'webb' or "
                f"'rademacher', got {bw!r}"
            )
        if n_boot < 2:
            raise EstimatorInputError(f"n_boot must be at least 2, got {n_boot}")
        return bw
    if bootstrap_weights is not None:
        raise EstimatorInputError(
            f"bootstrap_weights={bootstrap_weights!r} needs inference='bootstrap' or 'wild_cluster'"
        )
    return None


def apply_wild_cluster(
    table, extra, L, U, clustered, n_boot, bootstrap_weights, impose_null, seed, alpha
):
    """Replace the aggregated terms' intervals by wild cluster bootstrap-t intervals (in place).

    Returns the weight distribution used and the p-value of ``ATT(simple) = 0``
    (NaN without that term).
    """
    Gc = L.Gc
    draws = WeightDraws.make(bootstrap_weights, Gc, n_boot, seed)
    rows = table.set_index("term").loc[L.terms]
    factor = cr1_scale(Gc) if clustered else 1.0
    tests = term_tests(
        L, U, rows["estimate"].to_numpy(), rows["std_error"].to_numpy(), factor, draws, impose_null
    )
    summ = wild_summary(tests, L.terms, alpha)
    pos = pd.Index(table["term"]).get_indexer(summ["term"])
    table.loc[pos, "conf_low"] = summ["conf_low"].to_numpy()
    table.loc[pos, "conf_high"] = summ["conf_high"].to_numpy()
    extra["wild_cluster"] = summ
    k = L.terms.index("ATT(simple)") if "ATT(simple)" in L.terms else None
    ok = k is not None and tests[k] is not None
    extra["t_stat"] = tests[k].estimate / tests[k].se if ok else np.nan
    extra["t_boot"] = tests[k].tboot(0.0) if ok else None
    extra.update(
        n_boot=draws.n_boot,
        full_enumeration=draws.full_enumeration,
        bootstrap_weights=draws.kind,
        impose_null=impose_null,
    )
    return draws.kind, (float(summ["p_value"].iloc[k]) if ok else np.nan)


def wild_note(extra, cluster_name, seed) -> str:
    """Notes text of the wild cluster bootstrap."""
    draws = (
        f"full enumeration of {extra['n_boot']} draws"
        if extra["full_enumeration"]
        else f"{extra['n_boot']} draws, seed {seed}"
    )
    by = f"clusters of {cluster_name}" if cluster_name else "units as clusters"
    kind = (
        "restricted (null imposed), intervals by test inversion"
        if extra["impose_null"]
        else ("unrestricted, symmetric percentile-t intervals")
    )
    return (
        f"wild cluster bootstrap-t ({extra['bootstrap_weights']} weights on {by}, {draws}; {kind}); "
        "std_error is the analytic clustered SE used to studentise"
    )
