r"""Contiguous county-pair difference-in-differences (Dube, Lester & Reich 2010).

Every pair of adjacent units (counties) whose adoption periods differ is
stacked: the pair's two units appear once for each period in which both are
observed, with a pair-by-period fixed effect and a unit fixed effect,

.. math:: y_{ipt} = \alpha_i + \tau_{pt} + \beta D_{it} + \varepsilon_{ipt},

so that :math:`\beta` compares only neighbours in the same period. A unit
with :math:`k` kept pairs appears :math:`k` times in each period (its rows
repeated once per pair, as in DLR): the point estimate weights it :math:`k`
times, and the inference accounts for the repetition by clustering on
variables within which a unit's copies all lie (the unit, its state, or two-way
state and border segment, DLR's choice).

Computation: within a pair-period cell the pair-by-period effect leaves the
weighted difference of the two units, so the fit is the weighted least
squares of :math:`\Delta y_c` on :math:`\Delta D_c` and the unit-effect
differences :math:`\alpha_a - \alpha_b` (a graph Laplacian system, solved
exactly by a sparse factorisation with one unit fixed per connected
component), with cell weight :math:`w_a w_b / (w_a + w_b)`. The coefficient
and its residuals are those of the stacked regression; the stacked scores
(:math:`x_i w_i e_i` of each of the two rows) give the cluster-robust CR1
variance with the package's small-sample convention
(:data:`~enforcement_crime.estimators._core.SSC`: fixest's ``ssc()`` with
``fixef.K="nested"``, a fixed effect nested in either of two clustering
variables not counted, as pyfixest does: :func:`_c_n`), the same numbers as pyfixest's
``feols(y ~ D | unit + pair^period, cluster=...)`` on the stacked data
(tests/estimators/test_contiguous_pairs.py).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats
from scipy.sparse.csgraph import connected_components
from scipy.sparse.linalg import splu

from enforcement_crime.estimators._core import (
    SSC,
    Block,
    cluster_meat,
    coef_table,
    cr1_vcov,
    is_nested,
)
from enforcement_crime.estimators._inputs import EstimatorInputError
from enforcement_crime.results import EstimationResult

__all__ = ["contiguous_pairs", "PAIR", "SEGMENT", "PAIR_RULE"]

#: the cluster name of the pair (derived, not a data column)
PAIR = "pair"
#: the cluster name of the border segment: the pair's two states, sorted (derived; needs ``state``)
SEGMENT = "border segment"
#: which adjacent pairs are kept
PAIR_RULE = (
    "adjacent pairs whose adoption periods (cohorts) differ; never-treated counts as its own cohort"
)


def _per_unit(
    values: np.ndarray, ucode: np.ndarray, n_units: int, names, what: str, column: str
) -> np.ndarray:
    """The value of a column per unit (by unit code); raises when it varies within a unit."""
    out = np.empty(n_units, dtype=values.dtype)
    out[ucode] = values
    varies = out[ucode] != values
    if varies.any():
        bad = sorted({str(names[u]) for u in ucode[varies]})[:5]
        raise EstimatorInputError(
            f"contiguous_pairs: {what} {column!r} must be constant within each unit; it varies within {bad}"
        )
    return out


def _c_n(blocks: list[Block], codes: list[np.ndarray], n_obs: int) -> float:
    """``(N-1)/(N-K)``: ``K`` = the slope + the absorbed parameters of the blocks nested in no clustering.

    fixest's ``fixef.K="nested"`` as fixest and pyfixest apply it with two-way
    clusters: a block nested in either clustering variable is not counted
    (the package's :func:`~enforcement_crime.estimators._core.absorbed_params`
    asks for nesting in both). With two-way state and border-segment
    clusters the pair-by-period effects are nested in the segment and the unit
    effects in the state, so neither is counted; one-way by unit, the
    pair-by-period effects are counted (the two rows of a pair-period lie in
    two clusters).
    """
    non = [b for b in blocks if not any(is_nested(b, c) for c in codes)]
    k_abs = sum(b.n_params for b in non) - (len(non) - 1) if non else 1
    K = 1 + k_abs
    if n_obs - K <= 0:
        raise EstimatorInputError(
            f"contiguous_pairs: too few observations ({n_obs}) for {K} parameters"
        )
    return (n_obs - 1) / (n_obs - K)


def contiguous_pairs(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    *,
    pairs: pd.DataFrame,
    weights: str | None = None,
    cluster: str | tuple[str, str] | None = None,
    state: str | None = None,
    alpha: float = 0.05,
) -> EstimationResult:
    """Stacked contiguous-pair DiD with unit and pair-by-period fixed effects (module docstring).

    Parameters
    ----------
    data : DataFrame
        Unit-period panel, one row per (``unit``, ``time``).
    outcome, unit, time : str
        Columns.
    cohort : str
        First treated period (0 or missing = never treated); treatment is
        ``1{cohort > 0 and time >= cohort}``.
    pairs : DataFrame
        Adjacent units, columns ``unit_a`` and ``unit_b`` (order and
        duplicates do not matter; self-pairs are ignored). Pairs with a unit
        not in ``data`` are left out and counted.
    weights : str, optional
        Positive analytic weights of each unit-period.
    cluster : str or (str, str), optional
        Default the unit. A column constant within units (e.g. ``"state"``),
        :data:`PAIR`, :data:`SEGMENT`, or a tuple of two of those (two-way,
        Cameron-Gelbach-Miller), e.g. ``("state", SEGMENT)`` as in DLR.
    state : str, optional
        The units' state column, needed for :data:`SEGMENT`.
    alpha : float
        1 - confidence level.

    Returns
    -------
    EstimationResult
        Term ``"treated"``; ``n_obs`` counts the stacked rows used (two per
        pair-period). ``extra``: ``n_pairs`` (kept), ``n_pairs_adjacent``
        (both units in the data), ``n_pairs_same_cohort`` (left out),
        ``n_pairs_outside`` (a unit not in the data), ``pairs_per_unit``
        (mean and max of the kept pairs per unit), ``std_errors`` (the
        standard error under each clustering: unit, state when given, pair,
        and the chosen one), ``rows_one_unit`` (stacked rows of a pair-period
        in which the other unit is not observed: absorbed by the pair-period
        effect, left out), ``dropped`` (rows with a missing outcome or
        weight).

    Raises
    ------
    EstimatorInputError
        Missing columns, a cohort or cluster varying within a unit, duplicated
        (unit, time) rows, no kept pair, or a treatment the fixed effects absorb.
    """
    need = [outcome, unit, time, cohort, *(c for c in (weights, state) if c)]
    cl = cluster if isinstance(cluster, tuple) else (cluster,) if cluster else (unit,)
    if len(cl) > 2:
        raise EstimatorInputError(f"cluster must be a column or a tuple of two, got {cluster!r}")
    derived = {PAIR, SEGMENT}
    need += [c for c in cl if c not in derived and c not in need]
    missing = [c for c in need if c not in data.columns]
    if missing:
        raise EstimatorInputError(f"contiguous_pairs: missing column(s) {missing}")
    if SEGMENT in cl and state is None:
        raise EstimatorInputError("contiguous_pairs: the border segment needs state=<column>")
    if not {"unit_a", "unit_b"} <= set(pairs.columns):
        raise EstimatorInputError(
            f"contiguous_pairs: pairs needs columns 'unit_a' and 'unit_b', got {list(pairs.columns)}"
        )
    df = data[list(dict.fromkeys(need))]
    ucode, uniq = pd.factorize(df[unit].astype(str), sort=True)
    tcode, periods = pd.factorize(df[time], sort=True)
    n_u, n_t = len(uniq), len(periods)
    if np.bincount(ucode * n_t + tcode, minlength=n_u * n_t).max() > 1:
        raise EstimatorInputError(f"contiguous_pairs: ({unit}, {time}) must be unique")
    dropped: dict[str, int] = {}
    y = pd.to_numeric(df[outcome], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    bad = ~np.isfinite(y)
    dropped[f"missing or non-finite {outcome}"] = int(bad.sum())
    if weights:
        w = pd.to_numeric(df[weights], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        badw = ~bad & ~(w > 0)
        dropped[f"missing or non-positive {weights}"] = int(badw.sum())
    else:
        w, badw = np.ones(len(df)), np.zeros(len(df), dtype=bool)
    g = pd.to_numeric(df[cohort], errors="coerce").fillna(0).to_numpy(dtype="float64")
    cohort_of = _per_unit(g, ucode, n_u, uniq, "cohort", cohort)
    levels = {c: _per_unit(pd.factorize(df[c].astype(str))[0], ucode, n_u, uniq, "cluster", c)
              for c in cl if c not in derived and c != unit}  # fmt: skip
    state_of = (
        _per_unit(pd.factorize(df[state].astype(str))[0], ucode, n_u, uniq, "state", state)
        if state
        else None
    )
    t_num = pd.to_numeric(df[time], errors="coerce").to_numpy(dtype="float64")
    D = ((g > 0) & (t_num >= g)).astype("float64")
    keep = ~(bad | badw)
    pos = np.full((n_u, n_t), -1, dtype=np.int64)
    pos[ucode[keep], tcode[keep]] = np.nonzero(keep)[0]

    # ---- pairs ---------------------------------------------------------------------------
    index = pd.Index(uniq)
    ia = index.get_indexer(pairs["unit_a"].astype(str))
    ib = index.get_indexer(pairs["unit_b"].astype(str))
    lo, hi = np.minimum(ia, ib), np.maximum(ia, ib)
    distinct = lo != hi
    n_outside = int(((lo < 0) & distinct).sum())
    ok = distinct & (lo >= 0)
    pk = np.unique(lo[ok] * n_u + hi[ok])
    pa, pb = pk // n_u, pk % n_u
    same = cohort_of[pa] == cohort_of[pb]
    n_adjacent, n_same = len(pa), int(same.sum())
    pa, pb = pa[~same], pb[~same]
    if len(pa) == 0:
        raise EstimatorInputError(
            f"contiguous_pairs: no adjacent pair with different cohorts ({n_adjacent} adjacent pairs "
            f"in the data, {n_same} with the same cohort)"
        )

    # ---- pair-period cells ---------------------------------------------------------------
    PA, PB = pos[pa], pos[pb]
    both = (PA >= 0) & (PB >= 0)
    rows_one_unit = int(((PA >= 0) ^ (PB >= 0)).sum())
    cell_pair, cell_t = np.nonzero(both)
    n_cells = len(cell_pair)
    if n_cells == 0:
        raise EstimatorInputError(
            "contiguous_pairs: no period in which both units of a pair are observed"
        )
    ra, rb = PA[cell_pair, cell_t], PB[cell_pair, cell_t]
    ua, ub = pa[cell_pair], pb[cell_pair]
    wa, wb = w[ra], w[rb]
    W = wa + wb
    omega = wa * wb / W
    dy = y[ra] - y[rb]
    dD = D[ra] - D[rb]
    nodes, inv = np.unique(np.r_[ua, ub], return_inverse=True)
    na, nb = inv[:n_cells], inv[n_cells:]
    n_nodes = len(nodes)
    r = np.arange(n_cells)
    E = sp.csr_matrix((np.r_[np.ones(n_cells), -np.ones(n_cells)], (np.r_[r, r], np.r_[na, nb])),
                      shape=(n_cells, n_nodes))  # fmt: skip
    # unit effects: weighted LS on the incidence matrix, one unit fixed per connected component
    adj = sp.csr_matrix((np.ones(n_cells), (na, nb)), shape=(n_nodes, n_nodes))
    n_comp, comp = connected_components(adj, directed=False)
    _, first = np.unique(comp, return_index=True)
    free = np.setdiff1d(np.arange(n_nodes), first)
    Z = np.column_stack([dy, dD])
    if len(free):
        Er = E[:, free].tocsc()
        L = (Er.T @ sp.diags(omega) @ Er).tocsc()
        gamma = splu(L).solve(np.asarray(Er.T @ (omega[:, None] * Z)))
        R = Z - Er @ gamma
    else:
        R = Z
    ry, rD = R[:, 0], R[:, 1]
    sxx = float(np.sum(omega * rD**2))
    if sxx <= 1e-12 * max(float(np.sum(omega * dD**2)), 1e-300) or sxx == 0:
        raise EstimatorInputError(
            "contiguous_pairs: the treatment is absorbed by the unit and pair-by-period effects "
            "(no pair changes its treatment difference over time)"
        )
    beta = float(np.sum(omega * rD * ry) / sxx)
    e = ry - beta * rD

    # ---- stacked scores and cluster-robust variance ---------------------------------------
    scores = np.r_[wa * (wb / W) ** 2 * rD * e, wb * (wa / W) ** 2 * rD * e][:, None]
    row_unit = np.r_[ua, ub]
    row_pair = np.r_[cell_pair, cell_pair]
    blocks = [Block(unit, np.r_[na, nb], n_nodes), Block(f"pair x {time}", np.r_[r, r], n_cells)]

    def codes_of(name: str) -> np.ndarray:
        if name == unit:
            return np.r_[na, nb]
        if name == PAIR:
            values = row_pair
        elif name == SEGMENT:
            sa, sb = state_of[ua], state_of[ub]
            k = int(state_of.max()) + 1
            seg = np.minimum(sa, sb) * k + np.maximum(sa, sb)
            values = np.r_[seg, seg]
        elif name == state:
            values = state_of[row_unit]
        else:
            values = levels[name][row_unit]
        return np.unique(values, return_inverse=True)[1]

    def variance(names: tuple[str, ...]) -> tuple[float, int]:
        codes = [codes_of(n) for n in names]
        if len(codes) == 2:
            codes.append(
                np.unique(codes[0] * (codes[1].max() + 1) + codes[1], return_inverse=True)[1]
            )
        sizes = [int(c.max()) + 1 for c in codes]
        raw = [
            np.array([[cluster_meat(scores, c, n)[0, 0] / sxx**2]])
            for c, n in zip(codes, sizes, strict=True)
        ]
        V = cr1_vcov(raw, sizes, _c_n(blocks, codes[:2], 2 * n_cells), SSC)
        return float(np.sqrt(max(V[0, 0], 0.0))), min(sizes[:2])

    se, g = variance(tuple(cl))
    alternatives = {unit: (unit,), PAIR: (PAIR,)}
    if state:
        alternatives[state] = (state,)
        alternatives[f"{state} and {SEGMENT}"] = (state, SEGMENT)
    std_errors = {name: variance(c)[0] for name, c in alternatives.items() if c != tuple(cl)}
    chosen = " and ".join(cl)
    std_errors[chosen] = se
    table = coef_table(["treated"], np.array([beta]), np.array([[se**2]]), max(g - 1, 1), alpha)
    per_unit = np.bincount(np.r_[pa, pb])
    per_unit = per_unit[per_unit > 0]
    notes = [
        f"stacked contiguous pairs: {len(pa)} pairs kept ({PAIR_RULE}) of {n_adjacent} adjacent "
        f"pairs in the data ({n_same} with the same cohort left out)",
        f"{unit} FE + pair x {time} FE; each {unit} repeated once per kept pair "
        f"(mean {per_unit.mean():.2g}, max {int(per_unit.max())} pairs)",
        "weighted by " + (f"{weights} (cell weight w_a w_b / (w_a + w_b))" if weights else "nothing (unweighted)"),
        f"SE clustered by {chosen} ({'two-way, CGM' if len(cl) == 2 else 'one-way'}); every copy of a "
        f"{unit} lies in one cluster of " + ("its state" if state in cl else unit if unit in cl else "the clustering")
        + "; CR1 as fixest/pyfixest (FE nested in a clustering variable not counted in K); t(G-1) intervals",
        "other clusterings: " + ", ".join(f"{k} SE {v:.3g}" for k, v in std_errors.items() if k != chosen),
    ]  # fmt: skip
    if rows_one_unit:
        notes.append(f"{rows_one_unit} stacked rows whose pair partner is not observed that period "
                     "left out (absorbed by the pair-period effect)")  # fmt: skip
    drops = {k: v for k, v in dropped.items() if v}
    if drops:
        notes.append("rows dropped: " + ", ".join(f"{k}: {v}" for k, v in drops.items()))
    extra = {"n_pairs": len(pa), "n_pairs_adjacent": n_adjacent, "n_pairs_same_cohort": n_same,
             "n_pairs_outside": n_outside, "n_units": n_nodes, "n_components": int(n_comp),
             "pairs_per_unit": {"mean": float(per_unit.mean()), "max": int(per_unit.max())},
             "std_errors": std_errors, "rows_one_unit": int(rows_one_unit), "dropped": drops,
             "pair_rule": PAIR_RULE, "p_value_t": float(2 * stats.t.sf(abs(beta / se), max(g - 1, 1)))
             if se > 0 else float("nan")}  # fmt: skip
    return EstimationResult(
        "contiguous_pairs",
        table,
        2 * n_cells,
        g,
        "; ".join(notes),
        alpha,
        extra,
        outcome=outcome,
        vcov=pd.DataFrame([[se**2]], index=["treated"], columns=["treated"]),
    )
