"""Placebo tests of a TWFE estimate: the real adoption schedule re-assigned to other units.

:func:`placebo_schedules`
    Placebo TWFE estimates under several re-assignment schemes (all units,
    whole state blocks, within state, within strata), vectorised, with the
    share of placebo estimates at least as extreme as the actual one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from enforcement_crime.estimators._core import (
    TwoWayProjector,
    check_units_nested,
    sorted_codes,
)
from enforcement_crime.estimators._inputs import EstimatorInputError, prepare_panel

__all__ = [
    "PLACEBO_SCHEMES",
    "PlaceboTest",
    "placebo_schedules",
    "state_block_schedule",
    "strata_schedules",
]

#: the re-assignment schemes: name -> what a draw does
PLACEBO_SCHEMES: dict[str, str] = {
    "all units": "the units' adoption dates permuted across all units",
    "state blocks": "each state's schedule (its units' adoption dates) moved, whole, to another state",
    "within state": "adoption dates permuted among the units of the same state",
    "within strata": "adoption dates permuted among the units of the same stratum",
}

PLACEBO_COLUMNS = ["scheme", "n_draws", "estimate", "placebo_mean", "placebo_sd", "share_extreme",
                   "seed", "description"]  # fmt: skip


@dataclass(frozen=True)
class PlaceboTest:
    """What :func:`placebo_schedules` returns.

    ``table``: one row per scheme (:data:`PLACEBO_COLUMNS`); ``draws``: one
    row per scheme and draw (``scheme``, ``draw``, ``estimate``), for a figure.
    """

    table: pd.DataFrame
    draws: pd.DataFrame

    def share(self, scheme: str) -> float:
        """The share of placebo estimates at least as extreme under ``scheme`` (NaN if not run)."""
        row = self.table[self.table["scheme"] == scheme]
        return float(row["share_extreme"].iloc[0]) if len(row) else float("nan")


class _PlaceboBetas:
    r"""Static TWFE coefficients for many cohort assignments, from per-unit sums (no n x draws matrix).

    In the space scaled by :math:`\sqrt{w}`, partial out the unit effects
    (:math:`M_U`, unit-local) and then the period effects (Frisch-Waugh):
    :math:`x'x = D'M_U D - r'K^{+}r` with :math:`r = T'M_U D` and
    :math:`K = T'M_U T`, and :math:`\hat\beta = D'\tilde y / x'x`. Each of
    :math:`D'\tilde y`, :math:`D'M_U D` and :math:`r` is a sum over units of a
    term that depends only on the unit and its cohort, precomputed once for
    every cohort value; a draw costs a sum over units.
    """

    def __init__(self, prep, ucode: np.ndarray, tcode: np.ndarray, cohorts: np.ndarray):
        df = prep.data
        w = df["w"].to_numpy(dtype="float64")
        proj = TwoWayProjector(ucode, tcode, w)
        yt = proj.resid(proj.sw * df["y"].to_numpy(dtype="float64"))
        times = np.unique(df["time"].to_numpy())
        n, T = proj.n_units, proj.n_times
        Wmat = proj.C  # unit x period weights (0 where not observed)
        Ymat = np.zeros((n, T))
        np.add.at(Ymat, (ucode, tcode), proj.sw * yt)
        self.values = np.unique(cohorts[cohorts > 0])
        C = len(self.values) + 1  # column 0: never treated (no treated cell)
        self.num, self.quad, self.dd = np.zeros((n, C)), np.zeros((n, C)), np.zeros((n, C))
        self.R = np.zeros((C, n, T))
        Wi = proj.Wi
        for k, c in enumerate(self.values, start=1):
            on = (times >= c).astype("float64")
            Wc = Wmat @ on
            self.num[:, k] = Ymat @ on
            self.dd[:, k] = Wc
            self.quad[:, k] = Wc - Wc**2 / Wi
            self.R[k] = Wmat * (on[None, :] - (Wc / Wi)[:, None])
        self.Kp = proj.Kp
        self.rows = np.arange(n)
        # what the denominators depend on: units, periods, weights and cohort values (not y)
        digest = hashlib.blake2b(digest_size=16)
        for a in (ucode, tcode, w, times, self.values):
            a = np.ascontiguousarray(a)
            digest.update(f"{a.dtype.str}{a.shape}".encode())
            digest.update(a.tobytes())
        self.key = digest.hexdigest()

    def __call__(self, perms: np.ndarray, *, remember: bool = False) -> np.ndarray:
        """The coefficient of each row of ``perms`` (draws x units, cohorts in unit-code order).

        With ``remember``, the denominators :math:`x'x` of these draws are kept for this
        panel's units, periods, weights and cohort values (:data:`_DENOMINATORS`): they do not
        depend on the outcome, so another outcome observed on the same rows and fitted on the
        same ``perms`` object reuses them (the same numbers) and sums only its numerators.
        """
        treated = perms > 0
        C, n, T = self.R.shape
        key = (self.key, id(perms))
        hit = _DENOMINATORS.get(key) if remember else None
        if hit is not None and hit[0] is not perms:
            hit = None
        if treated.mean() > 0.1:  # most units treated: dense sums, one product per cohort value
            idx = np.searchsorted(self.values, perms) + 1
            idx[~treated] = 0
            num = self.num[self.rows, idx].sum(axis=1)
            if hit is None:
                quad = self.quad[self.rows, idx].sum(axis=1)
                dd = self.dd[self.rows, idx].sum(axis=1)
                r = np.zeros((len(perms), T))
                for k in range(1, C):
                    r += (idx == k).astype("float64") @ self.R[k]
        else:  # few treated units: sums over the (draw, treated unit) pairs only
            d_, u_ = np.nonzero(treated)  # row-major: the pairs of each draw are contiguous
            k_ = np.searchsorted(self.values, perms[d_, u_]) + 1
            cell = u_ * C + k_
            num = np.bincount(d_, weights=self.num.ravel()[cell], minlength=len(perms))
            if hit is None:
                quad = np.bincount(d_, weights=self.quad.ravel()[cell], minlength=len(perms))
                dd = np.bincount(d_, weights=self.dd.ravel()[cell], minlength=len(perms))
                # r = sum over the draw's treated units of R[cohort, unit]: a sparse indicator product
                indptr = np.concatenate([[0], np.cumsum(treated.sum(axis=1))])
                ind = sp.csr_matrix(
                    (np.ones(len(d_)), k_ * n + u_, indptr), shape=(len(perms), C * n)
                )
                r = np.asarray(ind @ self.R.reshape(C * n, T))
        if hit is None:
            xx = quad - np.einsum("dt,ts,ds->d", r, self.Kp, r)
            void = xx <= 1e-10 * np.clip(dd, 1.0, None)
            if remember:
                if len(_DENOMINATORS) >= _DENOMINATORS_MAX:
                    _DENOMINATORS.pop(next(iter(_DENOMINATORS)))
                _DENOMINATORS[key] = (perms, xx, void)
        else:
            _, xx, void = hit
        with np.errstate(divide="ignore", invalid="ignore"):
            b = num / xx
        b[void] = np.nan
        return b


#: The denominators of placebo draws already computed (:meth:`_PlaceboBetas.__call__` with
#: ``remember``), oldest first: (panel key, id of the draws) -> (the draws, x'x, unusable draws).
#: Each entry holds its draws, so the id names the same array while the entry is kept.
_DENOMINATORS: dict[tuple, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
_DENOMINATORS_MAX = 8


def strata_schedules(
    unit_cohort: np.ndarray, strata: np.ndarray | None, rng: np.random.Generator, n_draws: int
) -> np.ndarray:
    """``n_draws`` permutations of the units' adoption dates within ``strata`` (None: across all units).

    Returns a draws x units array. Each draw sorts the units by stratum and
    by a uniform random key within stratum, and gives the k-th unit of a
    stratum the date of the k-th unit of that random order: a uniform
    permutation within each stratum (cohort sizes per stratum preserved).
    """
    n = unit_cohort.size
    keys = rng.random((n_draws, n))
    if strata is None:
        return unit_cohort[np.argsort(keys, axis=1)]
    codes = sorted_codes(strata)[1].astype("float64")  # integer codes: code + key sorts by both
    idx = np.argsort(codes[None, :] + 0.5 * keys, axis=1)  # keys in [0, 0.5): no rounding up
    out = np.empty((n_draws, n), dtype=unit_cohort.dtype)
    out[:, np.argsort(codes, kind="stable")] = unit_cohort[idx]
    return out


def state_block_schedule(
    unit_cohort: np.ndarray, state_code: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """One state-block draw: every state's units receive the schedule of one other (permuted) state.

    States are permuted; state ``s`` receives the adoption dates of the units
    of state ``pi(s)`` in random order. When the two states have different
    numbers of units, the source dates are shuffled and repeated (or cut) to
    the target's size, so each state's units keep a schedule drawn from a
    single state's.
    """
    groups = [np.flatnonzero(state_code == s) for s in np.unique(state_code)]
    return _state_block_draws(unit_cohort, groups, rng, 1)[0]


def _state_block_draws(
    unit_cohort: np.ndarray, groups: list[np.ndarray], rng: np.random.Generator, n_draws: int
) -> np.ndarray:
    """``n_draws`` state-block draws (draws x units), each state's unit positions in ``groups``.

    Draw by draw, the random stream is consumed as by one permutation of the
    states and then, state by state, a permutation of the source state's
    dates and one of the target state's units; a permutation of an array
    draws the same numbers as a shuffle of that many positions, so each draw
    shuffles slices of position arrays (one Python call per state) and the
    dates are placed for all draws at once.
    """
    S = len(groups)
    sizes = np.array([len(g) for g in groups])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    order = np.concatenate(groups)  # unit positions, state by state
    n = order.size
    src_pos = np.tile(order, (n_draws, 1))  # source states' units, shuffled within state
    tgt_pos = np.tile(order, (n_draws, 1))  # target states' units, shuffled within state
    sources = np.empty((n_draws, S), dtype=np.intp)
    bounds = [slice(int(a), int(a + m)) for a, m in zip(starts, sizes, strict=True)]
    shuffle = rng.shuffle
    for d in range(n_draws):
        source = rng.permutation(S)
        sources[d] = source
        src_row, tgt_row = src_pos[d], tgt_pos[d]
        for tgt, src in zip(bounds, source.tolist(), strict=True):
            shuffle(src_row[bounds[src]])
            shuffle(tgt_row[tgt])
    # target state j's k-th (shuffled) unit receives the date of source unit k mod (source size)
    state_of = np.repeat(np.arange(S), sizes)  # the state of each position of ``order``
    within = np.arange(n) - starts[state_of]
    src_state = sources[:, state_of]
    gather = starts[src_state] + within[None, :] % sizes[src_state]
    dates = unit_cohort[np.take_along_axis(src_pos, gather, axis=1)]
    out = np.empty((n_draws, unit_cohort.size), dtype=unit_cohort.dtype)
    np.put_along_axis(out, tgt_pos, dates, axis=1)
    return out


#: Placebo schedules already drawn inside :func:`kept_draws` (:func:`_scheme_draws`), oldest first.
_DRAWS: dict[tuple, np.ndarray] = {}
_DRAWS_MAX = 8
_keeping = 0  # depth of the kept_draws blocks entered


@contextmanager
def kept_draws() -> Iterator[None]:
    """Inside this block, :func:`placebo_schedules` keeps its draws for the next calls.

    With an integer seed, each scheme's schedules (:func:`_scheme_draws`) and
    their denominators (:meth:`_PlaceboBetas.__call__`) are kept, so each
    further outcome fitted on the same units draws nothing and sums only its
    numerators: the same estimates as without the block. Everything kept is
    dropped when the outermost block ends.
    """
    global _keeping
    _keeping += 1
    try:
        yield
    finally:
        _keeping -= 1
        if _keeping == 0:
            _DRAWS.clear()
            _DENOMINATORS.clear()


def _scheme_draws(
    scheme: str,
    unit_cohort: np.ndarray,
    codes: np.ndarray | None,
    seed: int,
    position: int,
    n_draws: int,
) -> np.ndarray:
    """The draws x units schedules of ``scheme``, the ``position``-th scheme of a call with ``seed``.

    The draws come from the stream spawned ``position``-th from
    ``numpy.random.default_rng(seed)`` (an integer seed) and depend on nothing
    else than the units' cohorts and their state or stratum ``codes`` (None
    for "all units"), so they are drawn once per process for the same inputs
    (e.g. each outcome of a design on the same units) and handed back
    read-only: the same arrays as drawn anew.
    """
    digest = hashlib.blake2b(digest_size=16)
    for a in (unit_cohort, codes):
        if a is not None:
            digest.update(f"{a.dtype.str}{a.shape}".encode())
            digest.update(np.ascontiguousarray(a).tobytes())
        else:
            digest.update(b"none")
    key = (scheme, int(seed), position, n_draws, digest.hexdigest())
    hit = _DRAWS.get(key)
    if hit is not None:
        return hit
    rng = np.random.default_rng(seed).spawn(position + 1)[position]
    perms = _draw_schedules(scheme, unit_cohort, codes, rng, n_draws)
    perms.setflags(write=False)
    if len(_DRAWS) >= _DRAWS_MAX:
        _DRAWS.pop(next(iter(_DRAWS)))
    _DRAWS[key] = perms
    return perms


def _draw_schedules(
    scheme: str,
    unit_cohort: np.ndarray,
    codes: np.ndarray | None,
    rng: np.random.Generator,
    n_draws: int,
) -> np.ndarray:
    """``n_draws`` schedules of ``scheme`` from ``rng`` (draws x units)."""
    if scheme == "state blocks":
        groups = [np.flatnonzero(codes == s) for s in np.unique(codes)]
        return _state_block_draws(unit_cohort, groups, rng, n_draws)
    return strata_schedules(unit_cohort, codes, rng, n_draws)


def placebo_schedules(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    *,
    weights: str | None = None,
    cluster: str | None = None,
    state: str | None = None,
    strata: str | None = None,
    schemes: Sequence[str] | None = None,
    n_draws: int = 500,
    seed: int = 0,
) -> PlaceboTest:
    r"""Placebo TWFE estimates with the real adoption schedule re-assigned to other units.

    Parameters
    ----------
    data : pandas.DataFrame
        Long panel.
    outcome, unit, time, cohort : str
        Column names (cohort: first treated period, 0 or missing = never treated).
    weights : str, optional
        Analytic weights, as in :func:`~enforcement_crime.estimators.twfe`.
    cluster : str, optional
        Checked to nest units (the point estimates do not depend on it).
    state, strata : str, optional
        Columns constant within a unit: the state (for ``"state blocks"`` and
        ``"within state"``) and a stratum (``"within strata"``).
    schemes : sequence of str, optional
        Keys of :data:`PLACEBO_SCHEMES`; default: ``"all units"``, the two
        state schemes when ``state`` is given, ``"within strata"`` when
        ``strata`` is given.
    n_draws : int
        Placebo schedules per scheme.
    seed : int
        Seed of ``numpy.random.default_rng``; scheme ``k`` (in the order
        given) draws from the stream spawned ``k``-th, so a scheme's draws do
        not depend on which other schemes run.

    Returns
    -------
    PlaceboTest

    Notes
    -----
    Each draw assigns placebo cohorts to units; the placebo TWFE coefficient
    on :math:`D^p_{it} = 1\{g^p_i > 0, t \ge g^p_i\}` with unit and period
    fixed effects (weighted least squares with ``weights``) is computed for
    all draws at once on the within-transformed outcome. The actual estimate
    is the same computation on the real cohorts (equal to
    :func:`~enforcement_crime.estimators.twfe`'s coefficient). The share at
    least as extreme is two-sided, with the +1 correction,
    :math:`(1 + \#\{|\hat\beta^p| \ge |\hat\beta|\}) / (1 + S)`, over the
    :math:`S` draws that could be estimated. A scheme with one stratum
    (e.g. "within state" on a one-state panel) is the "all units" scheme and
    is still reported.
    """
    if n_draws < 1:
        raise EstimatorInputError("n_draws must be at least 1")
    extra = [c for c in dict.fromkeys((state, strata)) if c]
    prep = prepare_panel(
        data, outcome, unit, time, cohort, weights=weights, cluster=cluster, extra=extra
    )
    df = prep.data
    check_units_nested(df, "placebo_schedules")
    _, ucode = sorted_codes(df["unit"])
    _, tcode = sorted_codes(df["time"])
    n_units = int(ucode.max()) + 1
    first = np.full(n_units, -1)
    first[ucode[::-1]] = np.arange(len(ucode))[::-1]
    unit_cohort = df["cohort"].to_numpy()[first]
    if not (unit_cohort > 0).any():
        raise EstimatorInputError(f"column {cohort!r} gives no treated unit to re-assign")

    def per_unit(col: str | None, what: str) -> np.ndarray | None:
        if col is None:
            return None
        nun = df.groupby("unit")[col].nunique(dropna=False)
        if (nun > 1).any():
            raise EstimatorInputError(
                f"placebo_schedules: column {col!r} ({what}) varies within unit(s) "
                f"{list(nun.index[nun > 1][:5])}"
            )
        return sorted_codes(df[col].to_numpy()[first])[1]

    state_code = per_unit(state, "state")
    strata_code = per_unit(strata, "stratum")
    if schemes is None:
        schemes = ["all units"]
        if state_code is not None:
            schemes += ["state blocks", "within state"]
        if strata_code is not None:
            schemes.append("within strata")
    unknown = [s for s in schemes if s not in PLACEBO_SCHEMES]
    if unknown:
        raise EstimatorInputError(
            f"unknown placebo scheme(s) {unknown}; choose from {list(PLACEBO_SCHEMES)}"
        )
    needs = {"state blocks": state_code, "within state": state_code, "within strata": strata_code}
    for s in schemes:
        if s in needs and needs[s] is None:
            raise EstimatorInputError(
                f"placebo scheme {s!r} needs the {'strata' if s == 'within strata' else 'state'} column"
            )

    betas = _PlaceboBetas(prep, ucode, tcode, unit_cohort)
    actual = float(betas(unit_cohort[None, :])[0])
    # inside kept_draws and with an integer seed, each scheme's draws are kept for the next
    # outcome (_scheme_draws), with their denominators; otherwise every scheme is drawn afresh
    kept = _keeping > 0 and isinstance(seed, int | np.integer)
    streams = None if kept else np.random.default_rng(seed).spawn(len(schemes))
    rows, draws = [], []
    for k, scheme in enumerate(schemes):
        codes = {"state blocks": state_code, "within state": state_code,
                 "within strata": strata_code}.get(scheme)  # fmt: skip
        if kept:
            perms = _scheme_draws(scheme, unit_cohort, codes, seed, k, n_draws)
        else:
            perms = _draw_schedules(scheme, unit_cohort, codes, streams[k], n_draws)
        b = betas(perms, remember=kept)
        ok = b[np.isfinite(b)]
        tol = 1e-12 * max(1.0, abs(actual))
        share = (1 + int((np.abs(ok) >= abs(actual) - tol).sum())) / (1 + ok.size)
        rows.append({"scheme": scheme, "n_draws": int(ok.size), "estimate": actual,
                     "placebo_mean": float(ok.mean()) if ok.size else np.nan,
                     "placebo_sd": float(ok.std(ddof=1)) if ok.size > 1 else np.nan,
                     "share_extreme": share if np.isfinite(actual) else np.nan, "seed": seed,
                     "description": PLACEBO_SCHEMES[scheme]})  # fmt: skip
        draws.append(pd.DataFrame({"scheme": scheme, "draw": np.arange(b.size), "estimate": b}))
    return PlaceboTest(
        pd.DataFrame(rows, columns=PLACEBO_COLUMNS), pd.concat(draws, ignore_index=True)
    )
