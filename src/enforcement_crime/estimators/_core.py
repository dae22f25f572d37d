"""Shared estimation machinery: the within-transformation and the cluster-robust variance.

Every estimator of the package that absorbs fixed effects or reports a
cluster-robust variance uses this module; no estimator module imports a
private name from another.

Within-transformation
---------------------
:func:`demean` residualises columns on any set of absorbed parameter
:class:`Block` s (unit effects, time effects, state-by-time effects,
unit-specific linear trends) with analytic weights: unit + period effects
in closed form by :class:`TwoWayProjector` (no iteration, exact on
unbalanced panels, in the sqrt-weight scaled space), any other set by
weighted alternating projections. The projector is also used where one
projection is applied to thousands of columns (placebo and bootstrap draws)
and where the wild bootstrap needs its pieces (the rank-``T`` correction).
The two methods agree to round-off. :class:`TwoWayUnitSubsets` gives the
closed form on the panels left when whole units are dropped (leave-one-out
fits) from the whole panel's per-unit pieces, number for number.

Cluster-robust variance (CR1)
-----------------------------
With scores :math:`s_i = x_i w_i e_i` (rows of the residualised design
times weighted residuals) and the bread :math:`B = (X'WX)^{-1}`, the raw
sandwich of one cluster dimension is :math:`V_d = B (\\sum_g S_g S_g') B`
with :math:`S_g = \\sum_{i \\in g} s_i` (:func:`cluster_sums`). The reported
variance is :math:`c_N \\sum_d \\pm s_d V_d` (two-way clustering, Cameron,
Gelbach & Miller 2011: ``+A``, ``+B``, ``-(A x B)``). The small-sample
correction is one value, :class:`Ssc`, the input of :func:`fit_within` and
:func:`cr1_vcov`, as fixest's ``ssc()``; the package's convention is
:data:`SSC` (this is the one place it is explained):

- :math:`c_N = (N-1)/(N-K)` (fixest ``adj=TRUE``), ``K`` counting the slope
  regressors and the absorbed parameters of the fixed effects **not nested in
  the clusters** (fixest ``fixef.K="nested"``, "the nested fixed effects are
  discarded"; the same rule is pyfixest's ``k_fixef="nonnested"``): a block is
  nested when each of its levels lies in one cluster of every clustering
  variable; the non-nested blocks count ``sum of their parameters - (number of
  non-nested blocks - 1)`` (a unit-trend block counts two per unit); when every
  block is nested one parameter, the absorbed constant, is counted
  (:func:`absorbed_params`). With unit and time effects and clusters
  containing units, ``K`` is the slopes plus ``T``. Further collinearities are
  not searched for, as in fixest.
- :math:`s_d = G_d/(G_d-1)` (fixest ``cluster.adj=TRUE``), each dimension with
  its own :math:`G_d` (fixest ``cluster.df="conventional"``, as linearmodels;
  fixest's default ``"min"`` uses the smaller ``G`` for all three terms).
- Intervals use Student's t with :math:`\\min_d G_d - 1` degrees of freedom
  (fixest ``t.df="min"``).

:func:`cr1_scale` returns :math:`G/(G-1)` times, when ``n_obs`` and
``n_params`` are given, :math:`(N-1)/(N-K)`: the scalar form used by the
estimators that do not go through :func:`fit_within`. Estimators whose
variance is an influence-function sum (imputation, Callaway-Sant'Anna) use
:func:`cluster_sums` and :func:`cr1_scale` without the ``N`` factor.
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats

from enforcement_crime.estimators._inputs import EstimatorInputError, PreparedPanel, prepare_panel

__all__ = [
    "FEW_TREATED_CLUSTERS",
    "SSC",
    "Block",
    "Ssc",
    "SscFactors",
    "TwoWayProjector",
    "TwoWayUnitSubsets",
    "WithinFit",
    "absorbed_params",
    "check_units_nested",
    "cluster_arrays",
    "cluster_meat",
    "cluster_sums",
    "coef_table",
    "count_treated_clusters",
    "count_treated_prepared",
    "cr1_scale",
    "cr1_vcov",
    "demean",
    "factorize",
    "FixedEffects",
    "fit_within",
    "is_nested",
    "panel_codes",
    "permute_cohorts",
    "prepare_fe_panel",
    "sorted_codes",
    "ssc_factors",
    "warn_few_treated",
]

#: fewer treated clusters than this: cluster-robust intervals are unreliable (warning + note)
FEW_TREATED_CLUSTERS = 5


# --------------------------------------------------------------------------------------
# integer codes
# --------------------------------------------------------------------------------------


def _values(values):
    """The array behind ``values`` (a Series' own array: arrow-backed strings stay arrow-backed)."""
    if isinstance(values, pd.Series | pd.Index):
        extension = isinstance(values.dtype, pd.api.extensions.ExtensionDtype)
        return values.array if extension else values.to_numpy()
    if isinstance(values, np.ndarray | pd.api.extensions.ExtensionArray):
        return values
    return pd.Series(values).to_numpy()


def factorize(values) -> tuple[np.ndarray, int]:
    """Integer codes ``0..n-1`` in order of first appearance, and ``n``; raises on missing values."""
    codes, uniques = pd.factorize(_values(values), sort=False)
    if (codes < 0).any():
        raise EstimatorInputError("missing values in a fixed-effect or cluster column")
    return codes.astype("int64"), len(uniques)


def panel_codes(p: PreparedPanel, column: str) -> tuple[np.ndarray, int]:
    """:func:`factorize` of a prepared panel's column, remembered on the panel for its current data.

    The codes are read-only: estimators fitting several models on one prepared panel (and
    :func:`prepare_panel`, which knows the unit codes) share them.
    """
    hit = p.remembered_codes(column)
    if hit is None:
        codes, n = factorize(p.column(column))
        p.remember_codes(column, codes, n)
        hit = p.remembered_codes(column)
    return hit


def sorted_codes(values) -> tuple[np.ndarray, np.ndarray]:
    """Sorted levels and the integer code of each value (``numpy.unique`` order)."""
    codes, uniq = pd.factorize(_values(values), sort=True)
    if (codes < 0).any():  # a missing value: numpy's own ordering (missing last)
        uniq, codes = np.unique(np.asarray(values), return_inverse=True)
        return uniq, codes.reshape(-1).astype("int64")
    return np.asarray(uniq), codes.astype("int64")


# --------------------------------------------------------------------------------------
# within-transformation
# --------------------------------------------------------------------------------------


@dataclass
class Block:
    """One absorbed set of parameters: fixed effects (``kind="fe"``) or unit intercept+slope (``"trend"``)."""

    name: str
    codes: np.ndarray  # int64 codes 0..n_levels-1
    n_levels: int
    kind: str = "fe"
    t: np.ndarray | None = None  # period, for trends

    @property
    def n_params(self) -> int:
        return self.n_levels * (2 if self.kind == "trend" else 1)


class _BlockProjector:
    """Weighted projection off one block, with per-level constants cached."""

    def __init__(self, block: Block, w: np.ndarray):
        self.b = block
        self.w = w
        self.sw = np.bincount(block.codes, weights=w, minlength=block.n_levels)
        self.sw_safe = np.where(self.sw > 0, self.sw, 1.0)
        if block.kind == "trend":
            tbar = (
                np.bincount(block.codes, weights=w * block.t, minlength=block.n_levels)
                / self.sw_safe
            )
            self.tc = block.t - tbar[block.codes]
            stt = np.bincount(block.codes, weights=w * self.tc**2, minlength=block.n_levels)
            # a unit observed in one period only has no slope: leave its trend at zero
            self.stt_inv = np.where(
                stt > 1e-12 * np.maximum(self.sw_safe, 1.0), 1.0 / np.where(stt > 0, stt, 1.0), 0.0
            )

    def apply(self, x: np.ndarray) -> None:
        """Residualise column ``x`` in place."""
        c, w = self.b.codes, self.w
        wx = w * x
        a = np.bincount(c, weights=wx, minlength=self.b.n_levels) / self.sw_safe
        if self.b.kind == "trend":
            s = np.bincount(c, weights=wx * self.tc, minlength=self.b.n_levels) * self.stt_inv
            x -= a[c] + s[c] * self.tc
        else:
            x -= a[c]


#: largest (units x periods) table the closed-form two-way projection builds in :func:`demean`
TWO_WAY_MAX_CELLS = 20_000_000
#: the change per sweep below which alternating projections stop at round-off (relative to the
#: column's largest value) once the change no longer shrinks
ROUNDOFF_FLOOR = 1e-11


def demean(
    M: np.ndarray, blocks: list[Block], w: np.ndarray, tol: float = 1e-14, maxiter: int = 100_000
) -> np.ndarray:
    """Residualise the columns of ``M`` on all ``blocks``.

    Unit + period fixed effects (the blocks ``unit`` and ``time``, positive
    weights) use the closed-form :class:`TwoWayProjector` (exact on
    unbalanced panels, no iteration; checked by one sweep of projections).
    Any other set of blocks uses weighted alternating projections, which
    converge to the weighted projection on the orthogonal complement of the
    sum of the block spaces (von Neumann / Halperin). A column stops when a
    sweep changes it by at most ``tol`` times its largest absolute value, or
    by at most :data:`ROUNDOFF_FLOOR` times that when the change has stopped
    shrinking (the round-off floor of a long column, where ``tol`` cannot be
    reached). Returns a new array (``M`` is not modified).

    Raises
    ------
    EstimatorInputError
        When the projections would not converge in ``maxiter`` sweeps: raised
        as soon as the observed rate of convergence says so, not after the
        last sweep.
    """
    M = np.array(M, dtype="float64", order="F", copy=True)
    if not blocks:
        return M
    projs = [_BlockProjector(b, w) for b in blocks]
    exact = _two_way_exact(M, blocks, w, projs)
    if exact is not None:
        return exact
    for j in range(M.shape[1]):
        x = M[:, j]
        scale = max(float(np.max(np.abs(x))), 1.0) if x.size else 1.0
        if len(projs) == 1:
            projs[0].apply(x)
            continue
        _alternate(x, projs, tol * scale, ROUNDOFF_FLOOR * scale, maxiter, j)
    return M


def _two_way_exact(
    M: np.ndarray, blocks: list[Block], w: np.ndarray, projs: list[_BlockProjector]
) -> np.ndarray | None:
    """The residuals of unit + period effects in closed form, or ``None`` when not applicable."""
    kinds = [(b.name, b.kind) for b in blocks]
    if kinds != [("unit", "fe"), ("time", "fe")] or not np.all(w > 0):
        return None
    if blocks[0].n_levels * blocks[1].n_levels > TWO_WAY_MAX_CELLS:
        return None
    proj = TwoWayProjector(blocks[0].codes, blocks[1].codes, w)
    out = np.asfortranarray(proj.resid(proj.sw[:, None] * M) / proj.sw[:, None])
    check = out.copy(order="F")  # one sweep must leave exact residuals where they are
    for j in range(check.shape[1]):
        for p in projs:
            p.apply(check[:, j])
    scale = np.maximum(np.max(np.abs(M), axis=0, initial=0.0), 1.0)
    if np.all(np.max(np.abs(check - out), axis=0, initial=0.0) <= 1e-9 * scale):
        return out
    return None  # a numerically delicate design: iterate instead


def _alternate(
    x: np.ndarray, projs: list[_BlockProjector], tol: float, floor: float, maxiter: int, j: int
) -> None:
    """Alternating projections on column ``x`` in place (see :func:`demean` for when it stops)."""
    changes: list[float] = []
    for k in range(maxiter):
        before = x.copy()
        for p in projs:
            p.apply(x)
        change = float(np.max(np.abs(x - before)))
        if change <= tol:
            return
        changes.append(change)
        if k >= 20 and change <= floor and change >= 0.5 * min(changes[-20:-1]):
            return  # round-off: the change no longer shrinks and is negligible
        if k >= 200 and k % 100 == 0:
            rate = (change / changes[-101]) ** 0.01 if changes[-101] > 0 else 0.0
            if rate >= 1.0:
                stalled = change > floor
                need = maxiter if stalled else 0
            else:
                need = int(np.log(floor / change) / np.log(rate)) if change > floor else 0
            if need > maxiter - k:
                raise EstimatorInputError(
                    f"fixed-effect demeaning would not converge in {maxiter} sweeps (column {j}: "
                    f"each sweep removes only {1 - min(rate, 1.0):.1e} of what is left, about "
                    f"{need:,} more needed); the panel may be very unbalanced or the fixed "
                    "effects nearly collinear"
                )
    raise EstimatorInputError(
        f"fixed-effect demeaning did not converge in {maxiter} sweeps (column {j}); the panel "
        "may be very unbalanced or the fixed effects nearly collinear"
    )


def _k_pinv(K: np.ndarray) -> np.ndarray:
    """Pseudo-inverse of the period x period matrix ``K`` of :class:`TwoWayProjector`.

    A generous cut-off: ``K`` always has one exact zero eigenvalue (the redundant period
    effect) that round-off makes ~1e-15 relative, at the edge of numpy's default cut-off.
    """
    vals, vecs = np.linalg.eigh(K)
    keep = vals > 1e-9 * max(vals.max(), 1e-300)
    return (vecs[:, keep] / vals[keep]) @ vecs[:, keep].T


#: matrices with at most this many columns are summed per unit and period by ``np.bincount``
#: (:class:`TwoWayProjector`), wider ones by a sparse indicator matrix
_NARROW_COLUMNS = 8


class TwoWayProjector:
    """Exact residual-maker ``M`` for unit + period fixed effects with analytic weights.

    Works in the sqrt-weight scaled space: a vector ``z`` there stands for
    ``sqrt(w) * z_original``. With ``U`` and ``T`` the scaled unit and period
    indicator matrices, ``M = M_U - M_U T K^+ T' M_U`` where
    ``K = T' M_U T`` (periods x periods, pseudo-inverted because one period
    effect is redundant). Exact for unbalanced panels, no iteration. The
    same projection as :func:`demean` with unit and time blocks.
    """

    def __init__(self, unit_codes: np.ndarray, time_codes: np.ndarray, w: np.ndarray):
        self.unit = unit_codes
        self.time = time_codes
        self.n_units = int(unit_codes.max()) + 1
        self.n_times = int(time_codes.max()) + 1
        self.sw = np.sqrt(w)
        self.Wi = np.bincount(unit_codes, weights=w, minlength=self.n_units)
        wt = np.bincount(time_codes, weights=w, minlength=self.n_times)
        # unit x period weight sums (the same sums, in row order, as ``np.add.at``)
        cell = unit_codes.astype("int64") * self.n_times + time_codes
        C = np.bincount(cell, weights=w, minlength=self.n_units * self.n_times)
        self.C = C = C.reshape(self.n_units, self.n_times)
        self.Kp = _k_pinv(np.diag(wt) - C.T @ (C / self.Wi[:, None]))

    @classmethod
    def from_panel(cls, df: pd.DataFrame) -> TwoWayProjector:
        """Projector for a prepared panel's ``unit``, ``time`` and ``w`` columns."""
        _, ucode = sorted_codes(df["unit"])
        _, tcode = sorted_codes(df["time"])
        return cls(ucode, tcode, df["w"].to_numpy(dtype="float64"))

    @functools.cached_property
    def Su(self) -> sp.csr_matrix:
        """``U'``: the scaled unit indicators (units x rows), built on first use."""
        rows = np.arange(len(self.unit))
        return sp.csr_matrix((self.sw, (self.unit, rows)), shape=(self.n_units, len(rows)))

    @functools.cached_property
    def St(self) -> sp.csr_matrix:
        """``T'``: the scaled period indicators (periods x rows), built on first use."""
        rows = np.arange(len(self.time))
        return sp.csr_matrix((self.sw, (self.time, rows)), shape=(self.n_times, len(rows)))

    def _sums(self, S: str, codes: np.ndarray, n_levels: int, z: np.ndarray) -> np.ndarray:
        """``S @ z`` (``S`` the name of :attr:`Su` or :attr:`St`, whose rows are ``codes``).

        A vector or a few columns are summed by ``np.bincount``, one column at a time; wider
        matrices by the sparse matrix. Both add each level's terms ``sw * z`` in row order
        from zero, so they give the same values.
        """
        if z.ndim == 1:
            return np.bincount(codes, weights=self.sw * z, minlength=n_levels)
        if z.shape[1] > _NARROW_COLUMNS:
            return getattr(self, S) @ z
        out = np.empty((n_levels, z.shape[1]))
        for j in range(z.shape[1]):
            out[:, j] = np.bincount(codes, weights=self.sw * z[:, j], minlength=n_levels)
        return out

    # rows are gathered with np.take (the same values as fancy indexing, much faster on matrices)

    def m_unit(self, z: np.ndarray) -> np.ndarray:
        """``M_U z``: remove (weighted) unit means."""
        means = self._sums("Su", self.unit, self.n_units, z) / (
            self.Wi if z.ndim == 1 else self.Wi[:, None]
        )
        sw = self.sw if z.ndim == 1 else self.sw[:, None]
        return z - sw * np.take(means, self.unit, axis=0)

    def resid(self, z: np.ndarray) -> np.ndarray:
        """``M z`` for a vector or an (n, k) matrix in the scaled space."""
        mu = self.m_unit(z)
        c = self.Kp @ self._sums("St", self.time, self.n_times, mu)
        cc = self.C @ c
        if z.ndim == 1:
            per_unit = cc / self.Wi
            return mu - self.sw * (np.take(c, self.time) - np.take(per_unit, self.unit))
        per_unit = cc / self.Wi[:, None]
        return mu - self.sw[:, None] * (
            np.take(c, self.time, axis=0) - np.take(per_unit, self.unit, axis=0)
        )


class TwoWayUnitSubsets:
    """:func:`demean` (unit and time blocks) of fixed columns on the panels left when whole
    units are dropped, each unit's sums read from the whole panel.

    Built once on a whole panel whose rows are grouped by unit (``unit_codes`` ``0, 0, 1, ...``
    non-decreasing): the columns ``M``, the unit and period codes, positive weights ``w``.
    :meth:`resid` gives, for the rows of the units kept, what :func:`demean` gives on those
    rows: the closed form of :class:`TwoWayProjector`, with the same operations on the same
    values. A unit kept whole keeps its rows, their order, its weight sum and its weighted
    means, so its unit-demeaned rows are the whole panel's; the period sums, the unit x period
    weight table and ``K`` are those of the rows kept. Leave-one-out fits (each state or
    treated unit left out in turn) use it.
    """

    def __init__(self, M: np.ndarray, unit_codes: np.ndarray, time_codes: np.ndarray,
                 w: np.ndarray):  # fmt: skip
        n, k = M.shape
        self.time, self.w = time_codes, w
        n_units = int(unit_codes.max()) + 1
        self.n_times = int(time_codes.max()) + 1
        self.starts = np.flatnonzero(np.r_[True, unit_codes[1:] != unit_codes[:-1]])
        self.sizes = np.diff(np.r_[self.starts, n])
        # TwoWayProjector's pieces, per unit (Wi, unit means) and per row (M_U z)
        self.sw = np.sqrt(w)
        self.W = np.bincount(unit_codes, weights=w, minlength=n_units)
        z = self.sw[:, None] * M
        sums = np.empty((n_units, k))
        for j in range(k):
            sums[:, j] = np.bincount(unit_codes, weights=self.sw * z[:, j], minlength=n_units)
        self.mu = z - self.sw[:, None] * np.take(sums / self.W[:, None], unit_codes, axis=0)
        cell = unit_codes.astype("int64") * self.n_times + time_codes
        self.C = np.bincount(cell, weights=w, minlength=n_units * self.n_times).reshape(
            n_units, self.n_times
        )
        # the largest absolute value of each column within each unit (the check's scale)
        self.top = np.asfortranarray(np.maximum.reduceat(np.abs(M), self.starts, axis=0))

    @classmethod
    def usable(cls, unit_codes: np.ndarray, n_times: int, w: np.ndarray) -> bool:
        """Whether :func:`demean` takes the closed form on such a panel, rows grouped by unit."""
        n_units = int(unit_codes.max(initial=-1)) + 1
        steps = np.diff(unit_codes)
        return (
            len(unit_codes) > 0
            and unit_codes[0] == 0
            and bool(np.all((steps >= 0) & (steps <= 1)))
            and n_units * n_times <= TWO_WAY_MAX_CELLS
            and bool(np.all(w > 0))
        )

    def resid(self, keep: np.ndarray, unit: Block, time: Block) -> np.ndarray | None:
        """``demean(M[keep], [unit, time], w[keep])``, or None when :func:`demean` should decide.

        ``keep`` is a boolean mask over the rows; ``unit`` and ``time`` are the blocks of the
        rows kept (codes in order of first appearance, as a prepared panel's). None when
        ``keep`` keeps part of a unit's rows, or when the closed form fails the check:
        :func:`demean` checks that one sweep of projections (unit means, then period means)
        leaves it in place, within ``1e-9`` of each column's largest value; the sweep moves
        row ``(i, t)`` by ``a_i + b_t``, ``a`` the units' weighted means of the residuals (zero
        by construction, up to round-off) and ``b`` the periods' weighted means of what is
        left, ``(r - K c) / period weight``: the residual of the normal equations ``K c = r``
        the pseudo-inverse solved, which is checked here instead (and ``a``'s round-off kept
        small by refusing period or unit terms far larger than the columns).
        """
        first = keep[self.starts]  # each unit is kept when its first row is, and then whole
        if not np.array_equal(keep, np.repeat(first, self.sizes)):
            return None
        kept = np.flatnonzero(first)
        if unit.n_levels != len(kept):
            return None
        rows = np.flatnonzero(keep)
        t, nt = time.codes, time.n_levels
        # the whole panel's period of each period code of the rows kept
        period = np.full(nt, -1, dtype=np.intp)
        head = min(len(rows), 4096)
        period[t[:head]] = self.time[rows[:head]]
        if (period < 0).any():
            period[t] = self.time[rows]
        sw, w = self.sw[rows], self.w[rows]
        Wi = self.W[kept]
        if nt == self.n_times and np.array_equal(period, np.arange(nt)):  # the same periods
            C = self.C[kept]
        else:
            C = np.ascontiguousarray(self.C[np.ix_(kept, period)])
        wt = np.bincount(t, weights=w, minlength=nt)
        K = np.diag(wt) - C.T @ (C / Wi[:, None])
        Kp = _k_pinv(K)
        mu = np.take(self.mu, rows, axis=0)
        k = mu.shape[1]
        r = np.empty((nt, k))
        for j in range(k):  # the products sw * mu of the rows kept, as TwoWayProjector forms them
            r[:, j] = np.bincount(t, weights=sw * mu[:, j], minlength=nt)
        c = Kp @ r
        per_unit = (C @ c) / Wi[:, None]
        b = (r - K @ c) / wt[:, None]
        scale = np.maximum([self.top[:, j][kept].max() for j in range(k)], 1.0)
        # a, zero by construction, is the round-off of rows made of the period and unit terms:
        # terms far larger than the columns (a nearly singular K) are left to demean's check
        big = np.max(np.abs(c), axis=0) + np.max(np.abs(per_unit), axis=0) > 1e4 * scale
        if np.any(np.max(np.abs(b), axis=0) > 1e-9 * scale) or np.any(big):
            return None
        # TwoWayProjector.resid's operations, in place where it makes new arrays
        g = np.take(c, t, axis=0)
        g -= np.repeat(per_unit, self.sizes[kept], axis=0)  # each kept unit's rows, in turn
        g *= sw[:, None]
        mu -= g
        return np.divide(mu, sw[:, None], out=np.empty(mu.shape, order="F"))


def is_nested(block: Block, cluster_codes: np.ndarray) -> bool:
    """True when each level of ``block`` lies in a single cluster."""
    first = np.empty(block.n_levels, dtype=cluster_codes.dtype)
    first[block.codes] = cluster_codes  # one cluster per level (the last written wins)
    return bool(np.array_equal(first[block.codes], cluster_codes))


def absorbed_params(blocks: list[Block], clusters: list[np.ndarray]) -> int:
    """Absorbed parameters counted in ``K`` of the CR1 factor ``(N-1)/(N-K)``.

    Blocks nested in every clustering variable are not counted; the
    non-nested ones count ``sum of their parameters - (number of non-nested
    blocks - 1)``; when every block is nested, one parameter (the absorbed
    constant) is counted, as fixest does.
    """
    if not blocks:
        return 0
    nested = [bool(clusters) and all(is_nested(b, c) for c in clusters) for b in blocks]
    non = [b for b, n in zip(blocks, nested, strict=True) if not n]
    if not non:
        return 1  # every block nested: the constant they absorb is still counted (as fixest does)
    return sum(b.n_params for b in non) - (len(non) - 1)


# --------------------------------------------------------------------------------------
# cluster-robust variance
# --------------------------------------------------------------------------------------


def cluster_sums(scores: np.ndarray, codes: np.ndarray, n_clusters: int) -> np.ndarray:
    """Per-cluster sums of score columns: ``(n_clusters, k)`` (or ``(n_clusters,)`` for a vector).

    Each cluster's sum adds its rows one after another in row order (the
    sparse indicator product does exactly that), as ``np.add.at`` would.
    """
    if scores.ndim == 1:
        return np.bincount(codes, weights=scores, minlength=n_clusters)
    n = len(codes)
    S = sp.csr_matrix((np.ones(n), (codes, np.arange(n))), shape=(n_clusters, n))
    return np.asarray(S @ scores, dtype="float64")


def cluster_meat(scores: np.ndarray, codes: np.ndarray, n_clusters: int) -> np.ndarray:
    """``sum_g S_g S_g'`` with ``S_g`` the per-cluster score sums."""
    S = np.column_stack(
        [
            np.bincount(codes, weights=scores[:, j], minlength=n_clusters)
            for j in range(scores.shape[1])
        ]
    )
    return S.T @ S


def cr1_scale(n_clusters: int, n_obs: int | None = None, n_params: int | None = None) -> float:
    """CR1 small-sample factor ``G/(G-1)`` times ``(N-1)/(N-K)`` when ``n_obs`` and ``n_params`` are given.

    ``G = 1`` gives 1 (no correction is defined; the variance is then
    meaningless and callers say so).
    """
    g = n_clusters / (n_clusters - 1) if n_clusters > 1 else 1.0
    if n_obs is None or n_params is None:
        return g
    return g * (n_obs - 1) / (n_obs - n_params)


@dataclass(frozen=True)
class Ssc:
    """Small-sample correction of the CR1 variance (fixest's ``ssc()``; see the module docstring).

    Parameters
    ----------
    adj : bool
        Multiply by ``(N-1)/(N-K)`` (fixest ``adj``).
    fixef_k : {"nested", "full", "none"}
        Absorbed parameters counted in ``K`` (fixest ``fixef.K``): those of
        the fixed effects not nested in the clusters, all of them, or none.
    cluster_adj : bool
        Multiply each dimension by ``G/(G-1)`` (fixest ``cluster.adj``).
    cluster_df : {"conventional", "min"}
        Two-way clustering: each dimension's own ``G``, or the smallest ``G``
        for all three terms (fixest ``cluster.df``).
    """

    adj: bool = True
    fixef_k: str = "nested"
    cluster_adj: bool = True
    cluster_df: str = "conventional"

    def __post_init__(self) -> None:
        if self.fixef_k not in ("nested", "full", "none"):
            raise EstimatorInputError(
                f"fixef_k must be 'nested', 'full' or 'none', not {self.fixef_k!r}"
            )
        if self.cluster_df not in ("conventional", "min"):
            raise EstimatorInputError(
                f"cluster_df must be 'conventional' or 'min', not {self.cluster_df!r}"
            )

    def n_absorbed(self, blocks: list[Block], clusters: list[np.ndarray]) -> int:
        """Absorbed parameters counted in ``K``."""
        if self.fixef_k == "none" or not blocks:
            return 0
        if self.fixef_k == "full":
            return sum(b.n_params for b in blocks) - (len(blocks) - 1)
        return absorbed_params(blocks, clusters)

    def c_n(self, n_obs: int, K: int) -> float:
        """``(N-1)/(N-K)``, or 1 without ``adj``."""
        return (n_obs - 1) / (n_obs - K) if self.adj else 1.0

    def cluster_factors(self, sizes: list[int]) -> list[float]:
        """``G/(G-1)`` of each raw sandwich (one-way; or ``A``, ``B``, ``A x B``)."""
        if not self.cluster_adj:
            return [1.0] * len(sizes)
        if self.cluster_df == "min" and len(sizes) == 3:
            sizes = [min(sizes[:2])] * 3
        return [g / (g - 1) if g > 1 else np.nan for g in sizes]


#: the package's convention: fixest's ssc(adj=TRUE, fixef.K="nested", cluster.adj=TRUE, cluster.df="conventional")
SSC = Ssc()


@dataclass(frozen=True)
class SscFactors:
    """The correction :class:`Ssc` applied to one fit: its ``N``, ``K``, clusters and ``c_N``."""

    ssc: Ssc
    n_obs: int
    K: int
    k_absorbed: int
    clusters: dict[str, int]
    c_N: float

    def scale(self, n_clusters: int) -> float:
        """``c_N`` times the one-way cluster factor of ``n_clusters`` clusters."""
        return self.c_N * self.ssc.cluster_factors([n_clusters])[0]

    def record(self) -> dict:
        """A plain description (``result.extra["ssc"]``)."""
        return {
            "rule": "CR1: (N-1)/(N-K) * G/(G-1) per cluster dimension; K counts FE not nested in the clusters",
            "N": self.n_obs,
            "K": self.K,
            "k_absorbed_counted": self.k_absorbed,
            "G": dict(self.clusters),
            "c_N": self.c_N,
        }


def cr1_vcov(raw: list[np.ndarray], sizes: list[int], c_n: float, ssc: Ssc = SSC) -> np.ndarray:
    """Combine raw cluster sandwiches into the CR1 variance (see the module docstring).

    ``raw`` holds one sandwich (one-way) or three (two-way: ``A``, ``B``,
    ``A x B``), ``sizes`` their numbers of clusters, ``c_n = (N-1)/(N-K)``;
    ``ssc`` gives each its cluster factor. The result is symmetrised.
    """
    s = ssc.cluster_factors(sizes)
    if len(raw) == 1:
        V = c_n * s[0] * raw[0]
    else:
        V = c_n * (s[0] * raw[0] + s[1] * raw[1] - s[2] * raw[2])
    return (V + V.T) / 2


def ssc_factors(ssc: Ssc, blocks, codes, sizes, cnames, n_obs: int, n_slopes: int) -> SscFactors:
    """Apply ``ssc`` to a fit with ``n_slopes`` regressors, absorbed ``blocks`` and clusters ``codes``."""
    base = codes[:2] if len(codes) == 3 else codes
    k_abs = ssc.n_absorbed(blocks, base)
    K = n_slopes + k_abs
    if n_obs - K <= 0:
        raise EstimatorInputError(f"too few observations ({n_obs}) for {K} parameters")
    G = dict(zip(cnames, sizes[:2] if len(sizes) == 3 else sizes, strict=True))
    return SscFactors(ssc, n_obs, K, k_abs, G, ssc.c_n(n_obs, K))


def cluster_arrays(p: PreparedPanel, cluster) -> tuple[list[np.ndarray], list[int], list[str]]:
    """Cluster codes: one array (one-way) or two plus their intersection (two-way)."""
    if isinstance(cluster, tuple):
        a, b = cluster
        ca, ga = panel_codes(p, a)
        cb, gb = panel_codes(p, b)
        cab, gab = factorize(ca * (gb + 1) + cb)
        return [ca, cb, cab], [ga, gb, gab], [a, b]
    c, g = panel_codes(p, "cluster")
    return [c], [g], [p.names["cluster"]]


@dataclass
class WithinFit:
    """Weighted least squares with absorbed fixed effects and a CR1 cluster-robust variance."""

    coef: np.ndarray
    vcov: np.ndarray
    names: list[str]
    n_obs: int
    n_clusters: int
    df_t: int
    ssc: SscFactors
    resid: np.ndarray
    Xd: np.ndarray


def fit_within(
    y, X, names, blocks, w, p: PreparedPanel, cluster, ssc: Ssc = SSC, demeaned=None
) -> WithinFit:
    """Weighted OLS of ``y`` on ``X`` with ``blocks`` absorbed and a CR1 clustered sandwich.

    ``cluster`` is ``None`` (the prepared panel's cluster column), a column
    name, or a tuple of two columns (two-way); ``ssc`` the small-sample
    correction; ``demeaned``, when given, ``demean([y, X], blocks, w)`` computed by the
    caller. Raises when a regressor is absorbed by the fixed effects or
    the regressors are collinear.
    """
    M = demean(np.column_stack([y, X]), blocks, w) if demeaned is None else demeaned
    yd, Xd = M[:, 0], M[:, 1:]
    # a regressor the fixed effects explain entirely cannot be estimated
    for j, nm in enumerate(names):
        orig = np.sqrt(np.sum(w * (X[:, j] - np.average(X[:, j], weights=w)) ** 2))
        left = np.sqrt(np.sum(w * Xd[:, j] ** 2))
        if left <= 1e-8 * max(orig, 1e-300) or left == 0:
            raise EstimatorInputError(
                f"regressor {nm!r} is absorbed by the fixed effects (no variation left after demeaning); "
                "e.g. every unit is treated in every period, or no unit changes treatment status"
            )
    sw = np.sqrt(w)
    Xw, yw = Xd * sw[:, None], yd * sw
    XtX = Xw.T @ Xw
    if np.linalg.matrix_rank(XtX) < XtX.shape[0]:
        raise EstimatorInputError(
            f"regressors {names} are collinear after absorbing the fixed effects"
        )
    bread = np.linalg.inv(XtX)
    coef = bread @ (Xw.T @ yw)
    resid = yd - Xd @ coef
    scores = Xd * (w * resid)[:, None]
    codes, sizes, cnames = cluster_arrays(p, cluster)
    raw = [bread @ cluster_meat(scores, c, g) @ bread for c, g in zip(codes, sizes, strict=True)]
    factors = ssc_factors(ssc, blocks, codes, sizes, cnames, len(y), X.shape[1])
    V = cr1_vcov(raw, sizes, factors.c_N, ssc)
    g_min = min(sizes[:2]) if len(sizes) == 3 else sizes[0]
    return WithinFit(coef, V, list(names), len(y), g_min, max(g_min - 1, 1), factors, resid, Xd)


# --------------------------------------------------------------------------------------
# panel helpers shared by the fixed-effects estimators
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FixedEffects:
    """The absorbed fixed effects of a two-way fit: unit effects (or unit-specific linear
    trends) and time effects (or ``state`` x time effects)."""

    state: str | None = None
    state_year_fe: bool = False
    unit_trends: bool = False

    @property
    def two_way(self) -> bool:
        """Unit and time effects only (what the refit-free inference methods need)."""
        return not (self.state_year_fe or self.unit_trends)

    def check(self, name: str) -> None:
        """``state=`` only serves ``state_year_fe``: refuse it alone rather than ignore it."""
        if self.state is not None and not self.state_year_fe:
            raise EstimatorInputError(
                f"{name}: state={self.state!r} is only used with state_year_fe=True "
                "(state-by-time effects); pass state_year_fe=True or drop state="
            )

    def blocks(self, p: PreparedPanel) -> list[Block]:
        """Unit (or unit x trend) block and time (or state x time) block of a prepared panel."""
        ucodes, nu = panel_codes(p, "unit")
        blocks = []
        if self.unit_trends:
            t = p.column("time").to_numpy(dtype="float64")
            blocks.append(Block("unit x trend", ucodes, nu, kind="trend", t=t))
        else:
            blocks.append(Block("unit", ucodes, nu))
        if self.state_year_fe:
            if self.state is None:
                raise EstimatorInputError(
                    "state_year_fe=True needs the state column: pass state=<column>"
                )
            df = p.data
            sy, nsy = factorize(df[self.state].astype(str) + "|" + df["time"].astype(str))
            blocks.append(Block(f"{self.state} x {p.names['time']}", sy, nsy))
        else:
            tcodes, nt = panel_codes(p, "time")
            blocks.append(Block("time", tcodes, nt))
        return blocks

    def notes(self, p: PreparedPanel, cluster) -> list[str]:
        """Convention notes of the fixed-effects estimators (FE, weights, clustering, drops)."""
        cl = " and ".join(cluster) if isinstance(cluster, tuple) else p.names["cluster"]
        fe = f"unit and {self.state} x time FE" if self.state_year_fe else "unit and time FE"
        if self.unit_trends:
            fe += " + unit-specific linear trends"
        notes = [
            fe,
            (f"weighted by {p.names['weights']}" if p.names["weights"] else "unweighted"),
            f"SE clustered by {cl} ({'two-way, CGM' if isinstance(cluster, tuple) else 'one-way'}); "
            "CR1 (N-1)/(N-K)*G/(G-1), FE nested in clusters not counted in K; t(G-1) intervals",
        ]
        if p.drop_note():
            notes.append(p.drop_note())
        return notes


def prepare_fe_panel(data, outcome, unit, time, cohort, weights, cluster, controls, extra):
    """:func:`prepare_panel` accepting one-way or two-way (tuple) ``cluster``."""
    one_way = None if isinstance(cluster, tuple) else cluster
    if isinstance(cluster, tuple) and len(cluster) != 2:
        raise EstimatorInputError(
            f"cluster must be a column name or a tuple of two columns, got {cluster!r}"
        )
    p = prepare_panel(
        data,
        outcome,
        unit,
        time,
        cohort,
        weights=weights,
        cluster=one_way,
        controls=controls,
        extra=extra,
    )
    if isinstance(cluster, tuple):
        for c in cluster:
            miss = p.data[c].isna()
            if miss.any():
                n = int(miss.sum())
                p.dropped[f"missing {c}"] = n
                p.data = p.data.loc[~miss].reset_index(drop=True)
    return p


@functools.lru_cache(maxsize=256)
def _t_quantile(p: float, df_t: float) -> float:
    """``stats.t.ppf(p, df_t)``, remembered (tables of one design share a few degrees of freedom)."""
    return stats.t.ppf(p, df_t)


def coef_table(names, coef, V, df_t, alpha, event_times=None) -> pd.DataFrame:
    """Result rows with Student-t(``df_t``) intervals."""
    se = np.sqrt(np.clip(np.diag(V), 0, None))
    q = _t_quantile(1 - alpha / 2, df_t)
    tab = pd.DataFrame(
        {
            "term": names,
            "estimate": coef,
            "std_error": se,
            "conf_low": coef - q * se,
            "conf_high": coef + q * se,
        }
    )
    if event_times is not None:
        tab.insert(1, "event_time", pd.array(event_times, dtype="Int64"))
    return tab


def check_units_nested(df: pd.DataFrame, what: str) -> None:
    """Raise unless the prepared panel's ``cluster`` is constant within each unit."""
    per_unit = df.groupby("unit")["cluster"].nunique()
    if (per_unit > 1).any():
        raise EstimatorInputError(
            f"{what}: the cluster variable must be constant within each unit (units nested in clusters); "
            f"it varies within unit(s) {list(per_unit[per_unit > 1].index[:5])}"
        )


def permute_cohorts(
    unit_cohort: np.ndarray, strata: np.ndarray | None, rng: np.random.Generator
) -> np.ndarray:
    """One permutation of whole adoption dates across units (within ``strata`` when given)."""
    if strata is None:
        return rng.permutation(unit_cohort)
    out = unit_cohort.copy()
    for s in np.unique(strata):
        idx = np.flatnonzero(strata == s)
        out[idx] = unit_cohort[rng.permutation(idx)]
    return out


def count_treated_clusters(df: pd.DataFrame, treated: np.ndarray, cluster) -> int:
    """Clusters (the smaller count of a two-way pair) with at least one treated row of ``df``."""
    mask = np.asarray(treated, dtype=bool)
    if isinstance(cluster, tuple):
        return min(int(df.loc[mask, c].nunique()) for c in cluster)
    return int(df.loc[mask, "cluster"].nunique())


def count_treated_prepared(p: PreparedPanel, treated: np.ndarray, cluster) -> int:
    """:func:`count_treated_clusters` of a prepared panel, counted on its cluster codes.

    ``cluster`` as in :func:`cluster_arrays` (None: the panel's cluster column).
    """
    mask = np.asarray(treated, dtype=bool)
    codes, sizes, _ = cluster_arrays(p, cluster)
    return min(
        int(np.count_nonzero(np.bincount(c[mask], minlength=g)))
        for c, g in zip(codes[:2], sizes[:2], strict=True)
    )


def warn_few_treated(
    n_treated: int, estimator: str, *, clustered: bool = True, stacklevel: int = 3
) -> str:
    """Warn when fewer than :data:`FEW_TREATED_CLUSTERS` treated clusters (or units) exist.

    Issues a :class:`UserWarning` and returns the sentence to append to the
    result's notes ("" when there are enough).
    """
    if n_treated >= FEW_TREATED_CLUSTERS:
        return ""
    what = "cluster(s)" if clustered else "unit(s)"
    se = "cluster-robust SEs" if clustered else "standard errors"
    msg = (
        f"only {n_treated} treated {what}: {se} unreliable; "
        "use wild_cluster_bootstrap or randomization_inference"
    )
    warnings.warn(f"{estimator}: {msg}", UserWarning, stacklevel=stacklevel)
    return msg
