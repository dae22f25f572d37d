"""Relative-magnitude restrictions of HonestDiD: the ARP conditional / hybrid test and its inversion.

Used by :func:`enforcement_crime.estimators.honest_did` (``method="relative_magnitude"``);
see its docstring for the method. :func:`rm_components` builds one
:class:`RMComponent` (a polyhedron of :math:`\\Delta^{RM}(\bar M)`) per pre-period
first difference and sign; :func:`invert_test` inverts the union of their tests
over the target.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
from scipy.special import ndtr

from enforcement_crime.estimators._inputs import EstimatorInputError

__all__ = [
    "RMComponent",
    "bisect",
    "extreme_rays",
    "first_diff_rows",
    "invert_test",
    "rm_components",
]


def first_diff_rows(ks, ref):
    """Rows D (over non-ref terms) giving first differences delta_{e+1} - delta_e; split pre / post."""
    full = np.sort(np.append(ks, ref))
    keep = full != ref
    pre, post = [], []
    for j in range(len(full) - 1):
        r = np.zeros(len(full))
        r[j + 1], r[j] = 1.0, -1.0
        (pre if full[j + 1] <= ref else post).append(r[keep])
    return np.array(pre).reshape(-1, len(ks)), np.array(post).reshape(-1, len(ks))


def extreme_rays(X: np.ndarray) -> np.ndarray:
    """Extreme rays of the cone {g >= 0 : X' g = 0} (rows of the result), by support enumeration."""
    m = X.shape[0]
    if X.shape[1] == 0 or np.allclose(X, 0):
        return np.eye(m)
    U, s, _ = np.linalg.svd(X, full_matrices=False)
    r = int(np.sum(s > 1e-10 * s.max()))
    B = U[:, :r]  # same column space, orthonormal
    subs = np.array(list(combinations(range(m), r + 1)))
    rays = []
    for start in range(0, len(subs), 20_000):
        sb = subs[start : start + 20_000]
        mats = B[sb].transpose(0, 2, 1)  # n x r x (r+1)
        _, sv, vt = np.linalg.svd(mats)
        g = vt[:, -1, :]
        ok = np.sum(sv > 1e-10, axis=1) == r
        ok &= np.all(g >= -1e-12, axis=1) | np.all(g <= 1e-12, axis=1)
        g = np.abs(g[ok])
        full = np.zeros((len(g), m))
        np.put_along_axis(full, sb[ok], g / g.sum(axis=1, keepdims=True), axis=1)
        rays.append(full)
    rays = np.vstack(rays) if rays else np.zeros((0, m))
    if not len(rays):
        return np.zeros((0, m))
    R = np.unique(np.round(np.array(rays), 12), axis=0)
    return R


def _mvn_draws(cov: np.ndarray, seed: int, size: int, normals: dict) -> np.ndarray:
    """``default_rng(seed).multivariate_normal(0, cov, size, method="eigh")``, reusing the standard normals.

    That method draws ``size x m`` standard normals ``z`` and returns
    ``z @ (u * sqrt(|s|)).T`` with ``s, u = eigh(cov)`` (tested equal to the
    last bit); ``z`` depends only on the seed and the shape, so ``normals``
    keeps it for the next covariance with the same seed (the components of
    other restriction sizes).
    """
    key = (seed, size, cov.shape[0])
    if key not in normals:
        normals[key] = np.random.default_rng(seed).standard_normal((size, cov.shape[0]))
    s, u = np.linalg.eigh(cov)
    return normals[key] @ (u * np.sqrt(np.abs(s))).T


#: extreme rays by the bytes of X (a pure function of X; event studies with the same terms and
#: target share it), most recent last
_RAYS: dict[tuple, np.ndarray] = {}


def _extreme_rays_cached(X: np.ndarray) -> np.ndarray:
    """:func:`extreme_rays` of ``X``, kept for the next call with the same ``X`` (read-only)."""
    key = (X.shape, X.dtype.str, X.tobytes())
    rays = _RAYS.pop(key, None)
    if rays is None:
        rays = extreme_rays(X)
        rays.flags.writeable = False
    _RAYS[key] = rays
    while len(_RAYS) > 32:
        del _RAYS[next(iter(_RAYS))]
    return rays


class RMComponent:
    """One polyhedron of Delta^RM: |post first diff_t| <= Mbar * sign * (pre first diff_s), all t."""

    def __init__(
        self, A, beta, sigma, L_post_l, X, rays, alpha, kappa, rng_seed, method, normals=None
    ):
        self.SY = A @ sigma @ A.T
        sd = np.sqrt(np.clip(np.diag(self.SY), 0, None))
        ok = sd > 1e-12 * max(sd.max(), 1e-300)
        if not ok.all():
            raise EstimatorInputError(
                "a moment of the relative-magnitude restriction has zero variance: the event "
                "study's covariance gives a difference of coefficients a zero standard error "
                "(a pre-period or post-period term with zero variance, or perfectly collinear "
                "terms); check vcov of the event study"
            )
        self.sd = sd
        self.a = A @ beta
        self.b = A @ L_post_l  # Y(theta) = a - b * theta
        V = rays / (rays @ sd)[:, None]  # dual vertices, normalised so that v . sd = 1
        # Degenerate vertices: the moment v' Y(theta) = v'a - (v'b) theta has zero variance
        # (v' A Sigma A' v = 0). This happens exactly (i) at Mbar = 0, where rows +Dpost and
        # -Dpost of A cancel (v' A = 0, the moment is identically 0), and (ii) when the event
        # study's covariance is singular, e.g. a pre-period term with zero standard error (then
        # v' A is proportional to that pre-period difference). Dividing by that variance is
        # undefined; instead such a moment is a deterministic constraint v'a - (v'b) theta <= 0,
        # checked exactly (up to round-off), and only the informative vertices enter the
        # conditional / hybrid test. With v . sd = 1 the variance of a normalised combination is
        # at most 1, so 1e-10 is an absolute round-off threshold.
        s2 = np.einsum("vm,mk,vk->v", V, self.SY, V)
        informative = s2 > 1e-10
        self.V = V[informative]
        self.deg_a = V[~informative] @ self.a
        self.deg_b = V[~informative] @ self.b
        self.deg_tol = 1e-9 * max(float(np.abs(self.a).max()) if len(self.a) else 1.0, 1.0)
        self.alpha, self.kappa, self.method = alpha, kappa, method
        self._rng_seed = rng_seed
        self._normals = {} if normals is None else normals
        self._c_lf: float | None = None

    @property
    def c_lf(self) -> float:
        """The hybrid test's least-favourable critical value (its own seeded draws, made on first use)."""
        if self._c_lf is None:
            if self.method == "hybrid" and len(self.V):
                xi = _mvn_draws(self.SY, self._rng_seed, 2000, self._normals)
                eta = (xi @ self.V.T).max(axis=1)
                self._c_lf = float(np.quantile(eta, 1 - self.kappa))
            else:
                self._c_lf = np.inf
        return self._c_lf

    def accept(self, thetas: np.ndarray) -> np.ndarray:
        # deterministic (zero-variance) moments: satisfied or not, with certainty
        det_ok = np.all(self.deg_a[:, None] - np.outer(self.deg_b, thetas) <= self.deg_tol, axis=0)
        if not len(self.V):
            return det_ok
        return det_ok & self._accept_informative(thetas)

    def _accept_informative(self, thetas: np.ndarray) -> np.ndarray:
        Y = self.a[:, None] - np.outer(self.b, thetas)  # m x n
        vals = self.V @ Y  # nv x n
        j = np.argmax(vals, axis=0)
        eta = vals[j, np.arange(len(thetas))]
        G = self.V[j]  # n x m : gamma* per theta
        SG = G @ self.SY  # n x m
        s2 = np.einsum("nm,nm->n", SG, G)
        c = SG / s2[:, None]  # n x m
        S = Y.T - c * eta[:, None]
        vc = c @ self.V.T  # n x nv
        vS = S @ self.V.T
        den = 1 - vc
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = vS / den
        lo = np.where(den > 1e-10, ratio, -np.inf).max(axis=1)
        up = np.where(den < -1e-10, ratio, np.inf).min(axis=1)
        sg = np.sqrt(s2)
        if self.method == "hybrid":
            reject_lf = eta > self.c_lf
            up = np.minimum(up, self.c_lf)
            level = (self.alpha - self.kappa) / (1 - self.kappa)
        else:
            reject_lf = np.zeros(len(thetas), dtype=bool)
            level = self.alpha
        a_, b_ = lo / sg, up / sg
        x = eta / sg
        # standard normal tails: sf(v) = ndtr(-v) and cdf(v) = ndtr(v), each computed once
        # (what scipy.stats.norm.sf / .cdf return for loc 0 and scale 1, infinities included)
        sf_x, sf_a, sf_b = ndtr(-x), ndtr(-a_), ndtr(-b_)
        cdf_x, cdf_a, cdf_b = ndtr(x), ndtr(a_), ndtr(b_)
        with np.errstate(invalid="ignore", divide="ignore"):
            # P(Z > x | a < Z < b), computed on the upper tail for stability
            num = sf_x - sf_b
            den_p = sf_a - sf_b
            pv = np.where(den_p > 0, num / den_p, 0.0)
            # when x and the interval are deep in the lower tail, use cdf differences instead
            alt_num = cdf_b - cdf_x
            alt_den = cdf_b - cdf_a
            use_alt = a_ < -5
            pv = np.where(use_alt & (alt_den > 0), alt_num / alt_den, pv)
        pv = np.clip(np.nan_to_num(pv, nan=0.0), 0, 1)
        return (~reject_lf) & (pv > level)


def rm_components(ks, ref, beta, sigma, l_full, Mbar, alpha, method, kappa, seed, cache=None):
    Dpre, Dpost = first_diff_rows(ks, ref)
    if Dpre.shape[0] == 0:
        raise EstimatorInputError(
            "relative magnitudes need at least one estimated pre-reference term"
        )
    post = ks > ref
    Lp = np.zeros((len(ks), int(post.sum())))
    Lp[np.flatnonzero(post), np.arange(post.sum())] = 1.0
    lp = l_full[post]
    # tau_post = theta * lp/|lp|^2 + N xi with N an orthonormal basis of lp's complement
    if lp.size > 1:
        q, _ = np.linalg.qr(np.column_stack([lp, np.eye(lp.size)]))
        N = q[:, 1 : lp.size]
    else:
        N = np.zeros((1, 0))
    L_post_l = Lp @ (lp / (lp @ lp))
    comps = []
    rays = None if cache is None else cache.get("rays")
    for s in range(Dpre.shape[0]):
        for sign in (1.0, -1.0):
            A = np.vstack([Dpost - Mbar * sign * Dpre[s], -Dpost - Mbar * sign * Dpre[s]])
            X = A @ Lp @ N
            if rays is None:
                rays = _extreme_rays_cached(X)  # X does not depend on s, sign or Mbar
                if cache is not None:
                    cache["rays"] = rays
            comps.append(
                RMComponent(
                    A,
                    beta,
                    sigma,
                    L_post_l,
                    X,
                    rays,
                    alpha,
                    kappa,
                    seed + len(comps),
                    method,
                    None if cache is None else cache.setdefault("normals", {}),
                )
            )
    return comps


def invert_test(accept_fn, center: float, scale: float, tol: float):
    """[min, max] of accepted theta: grid search that widens until the set is interior, then bisection."""
    half = 10 * scale
    for _ in range(12):
        grid = np.linspace(center - half, center + half, 1001)
        acc = accept_fn(grid)
        if not acc.any():
            # the accepted set may be narrower than the grid spacing: look closer around the center
            fine = np.linspace(center - half / 50, center + half / 50, 1001)
            if accept_fn(fine).any():
                grid, acc = fine, accept_fn(fine)
            else:
                return np.nan, np.nan
        if acc[0] or acc[-1]:
            half *= 4
            continue
        i, j = np.flatnonzero(acc)[[0, -1]]

        return (
            bisect(accept_fn, grid[i - 1], grid[i], tol),
            bisect(accept_fn, grid[j + 1], grid[j], tol),
        )
    return -np.inf, np.inf


def bisect(accept_fn, out: float, inn: float, tol: float, depth: int = 6) -> float:
    """Bisection between a rejected ``out`` and an accepted ``inn`` until they are closer than ``tol``.

    Step by step: ``mid = (out + inn) / 2`` replaces ``inn`` when accepted,
    else ``out`` (at most 200 steps); returns the last midpoint of the two.
    The midpoints the next ``depth`` steps can visit (a binary tree of
    ``2**depth - 1`` points) are tested in one call of ``accept_fn`` and the
    steps are then walked through the tree: as ``accept_fn`` decides each
    point on its own, the points, decisions and result are those of testing
    one midpoint at a time.
    """
    steps = 0
    while True:
        # heap order, level by level: node k is a state (out, inn) with midpoint mids[k]; its
        # children 2k+1 and 2k+2 are the states after acceptance and after rejection
        lo, hi, levels = np.array([out]), np.array([inn]), []
        for _ in range(depth):
            m = 0.5 * (lo + hi)
            levels.append(m)
            lo, hi = np.column_stack([lo, m]).ravel(), np.column_stack([m, hi]).ravel()
        mids = np.concatenate(levels)
        acc = accept_fn(mids)
        k = 0
        for _ in range(depth):
            if acc[k]:
                inn, k = mids[k], 2 * k + 1
            else:
                out, k = mids[k], 2 * k + 2
            steps += 1
            if abs(inn - out) < tol or steps == 200:
                return 0.5 * (inn + out)
