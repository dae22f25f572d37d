r"""The wild cluster bootstrap of statistics that are linear in the outcome.

One engine for the three wild bootstraps of the package: the TWFE coefficient
(:func:`~enforcement_crime.estimators.wild_cluster_bootstrap`), the joint Wald
test of the event-study leads (``event_study(pretrend_inference="wild_cluster")``)
and the Callaway-Sant'Anna aggregates (``callaway_santanna(inference="wild_cluster")``).

Weights
    :func:`resolve_weights` and :class:`WeightDraws`: one weight per cluster
    and draw, Rademacher (+/-1) or Webb's six points; ``"auto"`` is Webb below
    :data:`WEBB_BELOW` clusters, Rademacher otherwise. Rademacher weights are
    fully enumerated (all ``2**G`` sign vectors) when ``2**G <= n_boot``;
    otherwise ``G * n_boot`` values are drawn with ``rng.choice`` and reshaped
    to ``(G, n_boot)``, exactly as ``wildboottest`` draws them (same seed, same
    draws).

The statistic
    For fixed regressors (or fixed cohorts and weights), each estimator is
    linear in the outcome, so a bootstrap outcome
    :math:`y^* = \hat y_0 + v_{g(i)} \hat u_0` (restricted fit plus
    cluster-signed restricted residuals) gives an estimate and cluster score
    sums that are linear in the weights :math:`v`. With the tested value
    :math:`\theta_0` imposed they are also affine in :math:`\theta_0`: per draw
    :math:`\theta^* - \theta_0 = n_0 + \theta_0 n_1` and
    :math:`S^*_h = P_{0h} + \theta_0 P_{1h}`, so

    .. math:: t^*(\theta_0) = \frac{n_0 + \theta_0 n_1}
              {\sqrt{f \sum_h (P_{0h} + \theta_0 P_{1h})^2}}

    and five numbers per draw (:class:`LinearWildT`) give the test at every
    :math:`\theta_0`, with ``f`` the small-sample factor of the studentising
    variance. The caller supplies the linear maps (``pieces``); this module
    evaluates them on the draws, in chunks. A joint test of ``m`` restrictions
    uses the same construction with vector numerators: :func:`wald_stats`.

p-value and interval
    :func:`share_extreme`: the share of bootstrap statistics at least as
    extreme as the observed one (a relative 1e-9 counts as a tie, which
    matters under full enumeration, where the all-ones draw reproduces the
    data). :func:`invert`: the interval of every :math:`\theta_0` not
    rejected at ``alpha``, each end bracketed by doubling steps of one
    standard error and located by :func:`scipy.optimize.brentq` to 1e-10
    standard errors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import product

import numpy as np
from scipy.optimize import brentq

from enforcement_crime.estimators._inputs import EstimatorInputError

__all__ = [
    "BOOTSTRAP_WEIGHTS",
    "WEBB_BELOW",
    "WEBB_POINTS",
    "LinearWildT",
    "WeightDraws",
    "draw_weights",
    "invert",
    "resolve_weights",
    "share_extreme",
    "wald_stats",
]

#: the values of ``bootstrap_weights`` a wild cluster bootstrap accepts
BOOTSTRAP_WEIGHTS = ("auto", "rademacher", "webb")

#: Webb's six-point distribution: +/-sqrt(1/2), +/-1, +/-sqrt(3/2), each with probability 1/6
WEBB_POINTS = np.concatenate(
    [-np.sqrt(np.array([3.0, 2.0, 1.0]) / 2), np.sqrt(np.array([1.0, 2.0, 3.0]) / 2)]
)

#: below this many clusters ``"auto"`` uses Webb's weights (Rademacher has too few sign vectors)
WEBB_BELOW = 12

#: relative tolerance under which a bootstrap statistic ties with the observed one
TIE = 1e-9


def resolve_weights(bootstrap_weights: str, n_clusters: int) -> str:
    """``"auto"`` -> Webb below :data:`WEBB_BELOW` clusters, else Rademacher; raises on unknown names."""
    if bootstrap_weights not in BOOTSTRAP_WEIGHTS:
        raise EstimatorInputError(
            f"bootstrap_weights must be 'auto', 'rademacher' or 'webb', not {bootstrap_weights!r}"
        )
    if bootstrap_weights != "auto":
        return bootstrap_weights
    return "webb" if n_clusters < WEBB_BELOW else "rademacher"


def draw_weights(
    kind: str, G: int, n_boot: int, rng: np.random.Generator
) -> tuple[np.ndarray, bool]:
    """Weights of ``kind`` (``"rademacher"``/``"webb"``): a ``(G, B)`` matrix and ``full_enumeration``."""
    if kind == "rademacher" and 2**G <= n_boot:
        return np.array(list(product([-1.0, 1.0], repeat=G))).T, True
    if kind == "rademacher":
        v = rng.choice(np.array([-1.0, 1.0]), size=G * n_boot, replace=True)
    elif kind == "webb":
        v = rng.choice(WEBB_POINTS, size=G * n_boot, replace=True)
    else:
        raise EstimatorInputError(
            f"wild bootstrap weights must be 'rademacher' or 'webb', not {kind!r}"
        )
    return v.reshape(G, n_boot), False


@dataclass(frozen=True)
class WeightDraws:
    """Wild bootstrap weights: ``V`` (clusters x draws), their distribution and how they were made."""

    V: np.ndarray
    kind: str
    full_enumeration: bool
    seed: int | None

    @property
    def n_boot(self) -> int:
        return int(self.V.shape[1])

    @classmethod
    def make(
        cls, bootstrap_weights: str, n_clusters: int, n_boot: int, seed: int | None
    ) -> WeightDraws:
        """Resolve ``bootstrap_weights`` for ``n_clusters`` and draw ``n_boot`` columns (or enumerate)."""
        kind = resolve_weights(bootstrap_weights, n_clusters)
        V, full = draw_weights(kind, int(n_clusters), int(n_boot), np.random.default_rng(seed))
        return cls(V, kind, bool(full), seed)

    def describe(self) -> str:
        """``"webb weights, 999 draws (seed=1)"`` or ``"rademacher weights, full enumeration of 512 draws"``."""
        how = (
            f"full enumeration of {self.n_boot} draws"
            if self.full_enumeration
            else f"{self.n_boot} draws (seed={self.seed})"
        )
        return f"{self.kind} weights, {how}"


def share_extreme(boot: np.ndarray, observed: float) -> float:
    """Share of ``boot`` at least ``observed`` (up to :data:`TIE`); non-finite draws count as extreme."""
    boot = np.where(np.isfinite(boot), boot, np.inf)
    return float(np.mean(boot >= observed * (1 - TIE)))


def invert(pval: Callable[[float], float], estimate: float, se: float, alpha: float):
    """``(low, high)``: the ends of ``{theta0: pval(theta0) > alpha}`` around ``estimate``.

    Each end is bracketed by steps of ``se`` doubling outwards from the
    estimate (``-inf``/``inf`` when still not rejected after 60 doublings) and
    located by :func:`scipy.optimize.brentq` on the sign of
    ``pval - alpha`` to ``1e-10 * se``.
    """
    step0 = se if se > 0 else 1.0

    def inside(x: float) -> float:
        return 0.5 if pval(x) > alpha else -0.5

    ends = []
    for direction in (-1.0, 1.0):
        near, step = estimate, step0
        far = estimate + direction * step
        k = 0
        while inside(far) > 0 and k <= 60:
            near, step = far, step * 2
            far = estimate + direction * step
            k += 1
        if k > 60:
            ends.append(direction * np.inf)
            continue
        a, b = (far, near) if direction < 0 else (near, far)
        xtol = 1e-10 * (se if se > 0 else 1.0)
        root = brentq(
            inside, a, b, xtol=xtol, rtol=4 * np.finfo(float).eps, maxiter=200, disp=False
        )
        ends.append(float(root))
    return ends[0], ends[1]


Pieces = Callable[[np.ndarray], tuple]


class LinearWildT:
    r"""Wild bootstrap-t of one scalar estimate as a function of the tested value ``theta0``.

    Parameters
    ----------
    estimate, se : float
        The observed estimate and its (analytic) standard error.
    draws : WeightDraws
        The cluster weights.
    pieces : callable
        ``pieces(v)`` for a block ``v`` of weight columns (``G x b``) returns
        ``(n0, n1, P0, P1)``: the numerators' parts ``(b,)`` and the score
        sums' parts ``(G, b)`` of the module docstring (``n1``, ``P1`` may be
        ``None`` when ``impose_null`` is false: the draws do not depend on
        ``theta0``).
    scale : float
        ``sqrt(f)``, the square root of the studentising variance's
        small-sample factor (times any constant the score sums omit).
    impose_null : bool
        Restricted (each ``theta0`` imposed) or unrestricted bootstrap (the
        draws are those of ``theta0 = 0``, centred at the estimate).
    """

    def __init__(
        self,
        estimate: float,
        se: float,
        draws: WeightDraws,
        pieces: Pieces,
        scale: float,
        impose_null: bool,
    ):
        self.estimate, self.se, self.impose_null = float(estimate), float(se), impose_null
        self.draws = draws
        V = draws.V
        G, B = V.shape
        self.n0, self.n1 = np.empty(B), np.zeros(B)
        self.d00, self.d01, self.d11 = np.empty(B), np.zeros(B), np.zeros(B)
        chunk = max(1, min(B, 2_000_000 // max(G, 1)))
        for s in range(0, B, chunk):
            sl = slice(s, s + chunk)
            n0, n1, P0, P1 = pieces(V[:, sl])
            self.n0[sl] = n0
            self.d00[sl] = np.einsum("gb,gb->b", P0, P0)
            if impose_null:
                self.n1[sl] = n1
                self.d01[sl] = np.einsum("gb,gb->b", P0, P1)
                self.d11[sl] = np.einsum("gb,gb->b", P1, P1)
        self.scale = float(scale)

    def tboot(self, theta0: float = 0.0) -> np.ndarray:
        """Bootstrap t statistics of ``H0: theta = theta0`` (of ``theta0 = 0`` when unrestricted)."""
        c = theta0 if self.impose_null else 0.0
        den = np.maximum(self.d00 + 2 * c * self.d01 + c * c * self.d11, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            return (self.n0 + c * self.n1) / (self.scale * np.sqrt(den))

    def pval(self, theta0: float) -> float:
        """Symmetric p-value ``P*(|t*| >= |t|)`` of ``H0: theta = theta0``."""
        return share_extreme(np.abs(self.tboot(theta0)), abs(self.estimate - theta0) / self.se)

    def interval(self, alpha: float) -> tuple[float, float]:
        """Every ``theta0`` not rejected at ``alpha`` (test inversion; percentile-t when unrestricted)."""
        return invert(self.pval, self.estimate, self.se, alpha)


def wald_stats(V: np.ndarray, pieces: Pieces, factor: float, chunk: int = 500) -> np.ndarray:
    r"""Bootstrap Wald statistics :math:`\delta^{*\prime} (f \sum_h D_h D_h')^{+} \delta^*` per draw.

    ``pieces(v)`` returns ``delta`` (``b x m``, the restricted coefficients'
    bootstrap deviations) and ``D`` (``G x b x m``, their score sums per
    cluster) for a block ``v`` of weight columns; a singular variance is
    pseudo-inverted.
    """
    B = V.shape[1]
    out = np.empty(B)
    for s in range(0, B, chunk):
        d, D = pieces(V[:, s : s + chunk])
        Vs = factor * np.einsum("hbj,hbk->bjk", D, D)
        Vs = (Vs + np.transpose(Vs, (0, 2, 1))) / 2
        out[s : s + chunk] = np.einsum("bj,bjk,bk->b", d, np.linalg.pinv(Vs, hermitian=True), d)
    return out
