"""Input checks and panel preparation shared by every estimator.

Every public estimator calls :func:`prepare_panel` first. It checks that the
named columns exist, normalises the cohort (first treated period, ``0`` for
never treated; missing is read as never treated), drops rows with a missing
outcome, weight or cluster *and records how many and why* in
:attr:`PreparedPanel.dropped` (shown in the result's notes), and refuses
inputs that cannot be estimated on (non-positive weights, duplicate
unit-period keys, a cohort that changes within a unit).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from enforcement_crime.results import PretrendTest

__all__ = ["EstimatorInputError", "PreparedPanel", "prepare_panel", "normal_ci", "joint_wald"]


class EstimatorInputError(ValueError):
    """The data handed to an estimator cannot be used; the message says which column and why."""


@dataclass(frozen=True)
class _Source:
    """How :func:`prepare_panel` made a panel from its input frame (for :meth:`PreparedPanel.restrict`).

    ``data`` is the frame it made, ``n_rows`` the number of input rows, ``order`` the input
    row of each of its rows, ``reason`` each input row's drop reason (an index into
    ``reasons``, in the order they were counted; -1 for a kept row), ``same`` the columns
    that repeat another one (name -> the first column holding the same values).
    """

    data: pd.DataFrame
    n_rows: int
    order: np.ndarray
    reason: np.ndarray
    reasons: tuple[str, ...]
    same: dict[str, str]
    #: column -> (its remembered codes, whether they are in increasing order)
    increasing: dict[str, tuple[np.ndarray, bool]] = field(default_factory=dict)

    @functools.cached_property
    def dropped_rows(self) -> np.ndarray:
        """The input rows dropped (those with a reason)."""
        return np.flatnonzero(self.reason >= 0)

    def dropped(self, keep: np.ndarray) -> dict[str, int]:
        """Reason -> number of the rows ``keep`` dropped for it (every reason, zeros included)."""
        rows = self.dropped_rows
        counts = np.bincount(self.reason[rows[keep[rows]]], minlength=len(self.reasons))
        return {why: int(n) for why, n in zip(self.reasons, counts, strict=True)}


@dataclass
class _Rows:
    """The rows ``kept`` (a boolean mask) of the frame ``of``, each column taken on first use
    (``same``: columns that repeat another one, as in :class:`_Source`)."""

    of: pd.DataFrame
    kept: np.ndarray
    same: dict[str, str]
    taken: dict[str, object] = field(default_factory=dict)

    def column(self, name: str):
        """The rows of column ``name`` (its array, as ``of[name].array.take(rows)``)."""
        base = self.same.get(name, name)
        if base not in self.taken:
            col = self.of[base]
            if isinstance(col.dtype, pd.api.extensions.ExtensionDtype):
                self.taken[base] = col.array.take(np.flatnonzero(self.kept))
            else:  # the same values, without the extension array's checks
                self.taken[base] = col.to_numpy()[self.kept]
        return self.taken[base]

    def frame(self) -> pd.DataFrame:
        """The rows of every column, as a frame (a repeated column is a copy, as in prepare_panel)."""
        columns = {
            c: self.column(c).copy() if c in self.same else self.column(c) for c in self.of.columns
        }
        return pd.DataFrame({c: _frame_column(v) for c, v in columns.items()}, copy=False)


@dataclass
class PreparedPanel:
    """A checked panel with canonical column names.

    Attributes
    ----------
    data : pandas.DataFrame
        Columns ``y``, ``unit``, ``time``, ``cohort`` (int, 0 = never
        treated), ``event_time`` (float, NaN for never treated), ``w``
        (weights, 1 when none), ``cluster`` (the cluster id; the unit when not
        given), the controls under their own names, and the original columns
        under their original names. Sorted by unit and time.
    names : dict
        The user's column names for ``outcome``, ``unit``, ``time``, ``cohort``,
        ``weights``, ``cluster``.
    dropped : dict
        Reason -> number of rows dropped.
    """

    data: pd.DataFrame
    names: dict[str, str | None]
    dropped: dict[str, int] = field(default_factory=dict)
    controls: tuple[str, ...] = ()
    #: integer codes of columns of :attr:`data` (see :meth:`remembered_codes`), and the frame they
    #: belong to
    _codes: dict[str, tuple[np.ndarray, int]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _codes_of: pd.DataFrame | None = field(default=None, init=False, repr=False, compare=False)
    #: what :meth:`restrict` needs (set by :func:`prepare_panel`)
    _source: _Source | None = field(default=None, init=False, repr=False, compare=False)

    def restrict(self, keep: np.ndarray) -> PreparedPanel:
        """The panel :func:`prepare_panel` prepares from the rows ``keep`` of the frame it was given.

        ``keep`` is a boolean mask over the rows of the frame this panel was prepared from.
        The result equals ``prepare_panel(frame[keep], <the same arguments>)``: every check
        that passed on the whole frame passes on a subset of its rows, a subset's rows keep
        their order (unit, then period), and each dropped row is counted under the reason it
        was dropped for. Codes remembered here are carried over. Raises ``ValueError`` when
        this panel was not made by :func:`prepare_panel` or its data has been replaced since,
        and :class:`EstimatorInputError` as :func:`prepare_panel` does when no row is left.
        """
        src = self._source
        if src is None or src.data is not self.data:
            raise ValueError("restrict: only a panel as prepare_panel returned it")
        keep = np.asarray(keep, dtype=bool)
        if keep.shape != (src.n_rows,):
            raise ValueError(f"restrict: a boolean mask of {src.n_rows} rows, got {keep.shape}")
        dropped = src.dropped(keep)
        kept = keep[src.order]
        rows = np.flatnonzero(kept)
        if not len(rows):
            raise EstimatorInputError(
                "no rows left after dropping missing values: " + repr(dropped)
            )
        out = _RestrictedPanel(
            None, dict(self.names), {k: v for k, v in dropped.items() if v}, self.controls
        )
        out._rows = _Rows(self.data, kept, src.same)
        out.kept = kept
        carried: dict[int, tuple[np.ndarray, int]] = {}
        for column, (codes, _) in (self._codes if self._codes_of is self.data else {}).items():
            if id(codes) not in carried:
                # codes in increasing order (the units, sorted) are so on every subset
                seen = src.increasing.get(column)
                if seen is None or seen[0] is not codes:
                    seen = src.increasing[column] = (codes, _increasing(codes))
                carried[id(codes)] = _first_appearance_codes(codes[rows], seen[1])
            out.remember_codes(column, *carried[id(codes)])
        return out

    def remembered_codes(self, column: str) -> tuple[np.ndarray, int] | None:
        """The codes of ``column`` remembered by :meth:`remember_codes` for the current :attr:`data`.

        None when none are remembered, or when :attr:`data` has been replaced since (codes
        belong to one frame: a new frame, e.g. with rows dropped, forgets them).
        """
        if self._codes_of is not self._frame_key():
            return None
        return self._codes.get(column)

    def remember_codes(self, column: str, codes: np.ndarray, n_levels: int) -> None:
        """Remember the integer codes (read-only) of ``column`` of the current :attr:`data`."""
        if self._codes_of is not self._frame_key():
            self._codes, self._codes_of = {}, self._frame_key()
        codes.flags.writeable = False
        self._codes[column] = (codes, int(n_levels))

    def _frame_key(self) -> object:
        """What remembered codes belong to: the current :attr:`data`."""
        return self.data

    def column(self, name: str) -> pd.Series:
        """The column ``name`` of :attr:`data` (``data[name]``)."""
        return self.data[name]

    @property
    def n_obs(self) -> int:
        return len(self.data)

    @property
    def n_clusters(self) -> int:
        return int(self.column("cluster").nunique())

    @property
    def cohorts(self) -> np.ndarray:
        """Sorted treated cohorts (excludes 0)."""
        c = np.unique(self.column("cohort").to_numpy())
        return c[c > 0]

    @property
    def times(self) -> np.ndarray:
        return np.unique(self.column("time").to_numpy())

    @property
    def has_never_treated(self) -> bool:
        return bool((self.column("cohort") == 0).any())

    def drop_note(self) -> str:
        """Text for the result's notes: what was dropped and why ("" when nothing)."""
        if not any(self.dropped.values()):
            return ""
        return "dropped: " + "; ".join(f"{n} rows ({why})" for why, n in self.dropped.items() if n)


class _RestrictedPanel(PreparedPanel):
    """A panel :meth:`PreparedPanel.restrict` returns: its columns are taken from the whole
    panel's frame when read (:meth:`column`), its :attr:`data` built when first read.

    A fit that reads only a few columns (and the remembered codes) never takes the others.
    """

    _rows: _Rows | None = None
    #: the rows of the whole panel it keeps (a boolean mask over them)
    kept: np.ndarray | None = None

    @property
    def data(self) -> pd.DataFrame:
        rows = self._rows
        if rows is not None:
            frame = rows.frame()
            if self._codes_of is rows:  # the codes remembered so far belong to this frame
                self._codes_of = frame
            self.__dict__["_data"], self._rows = frame, None
        return self.__dict__["_data"]

    @data.setter
    def data(self, frame: pd.DataFrame) -> None:
        self.__dict__["_data"], self._rows = frame, None

    def _frame_key(self) -> object:
        return self._rows if self._rows is not None else self.__dict__["_data"]

    def column(self, name: str) -> pd.Series:
        if self._rows is None:
            return self.data[name]
        return pd.Series(_frame_column(self._rows.column(name)), name=name, copy=False)

    @property
    def n_obs(self) -> int:
        return int(np.count_nonzero(self.kept)) if self._rows is not None else len(self.data)


def prepare_panel(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str | None = None,
    *,
    weights: str | None = None,
    cluster: str | None = None,
    controls: list[str] | tuple[str, ...] | None = None,
    extra: list[str] | tuple[str, ...] | None = None,
) -> PreparedPanel:
    """Check and standardise a long panel for estimation.

    Parameters
    ----------
    data : pandas.DataFrame
        Long panel, one row per unit and period.
    outcome, unit, time : str
        Column names. ``time`` must be integer-valued (e.g. year, or a month
        counter).
    cohort : str, optional
        First treated period (same units as ``time``); 0 or missing = never
        treated. Optional for estimators that take a treatment indicator.
    weights : str, optional
        Positive, finite analytic weights (e.g. population).
    cluster : str, optional
        Cluster id; defaults to ``unit``.
    controls, extra : list of str, optional
        Further columns to carry (rows with a missing control are dropped
        and counted; an infinite control is refused).

    Returns
    -------
    PreparedPanel

    Raises
    ------
    EstimatorInputError
        Missing columns, non-integer periods (missing, text or fractional:
        the rows named), duplicate unit-period keys, a
        cohort that varies within a unit, non-positive or infinite weights,
        or an infinite control (the message names the column).
    """
    controls = tuple(controls or ())
    extra = tuple(extra or ())
    needed = (
        [outcome, unit, time]
        + [c for c in (cohort, weights, cluster) if c]
        + list(controls)
        + list(extra)
    )
    missing = [c for c in dict.fromkeys(needed) if c not in data.columns]
    if missing:
        raise EstimatorInputError(
            f"columns not in the data: {missing}; available: {list(data.columns)}"
        )
    # Built column by column on arrays (one DataFrame at the end): estimators call this once per
    # fit, and inference loops and robustness tables fit hundreds of times.
    cols: dict[str, object] = {c: data[c].array for c in dict.fromkeys(needed)}
    t_raw = data[time]
    if t_raw.dtype.kind in "iu":
        # integer periods: nothing to check, and the codes of the values serve both checks
        t_int = t_raw.to_numpy().astype("int64")
        tcode, n_times = _period_codes(t_int)
        tkey = tcode
    else:
        t_arr = pd.to_numeric(t_raw, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        # missing, text, fractional, infinite
        not_period = ~np.isfinite(t_arr) | (t_arr != np.floor(t_arr))
        if not_period.any():
            rows = data.loc[not_period, [unit, time]].head()
            rows.index.name = "row"
            raise EstimatorInputError(
                f"column {time!r} must hold integer periods (e.g. year); {int(not_period.sum())} "
                f"row(s) do not (missing, text or fractional), e.g.:\n{rows.to_string()}"
            )
        tkey = pd.factorize(t_raw, use_na_sentinel=False)[0]
        t_int = t_arr.astype("int64")
        tcode, n_times = _period_codes(t_int)
    # unit codes in sorted order of the labels, a missing label sorting last (as sort_values does)
    ucode, ulabels = pd.factorize(data[unit], sort=True, use_na_sentinel=False)
    if _has_duplicates(ucode, len(ulabels), tkey):
        dup = data.duplicated([unit, time], keep=False)
        dups = data.loc[dup, [unit, time]].head()
        raise EstimatorInputError(
            f"({unit}, {time}) must be unique; duplicates, e.g.:\n{dups.to_string()}"
        )
    key = ucode.astype("int64") * max(n_times, 1) + tcode
    cols["time"] = t_int
    cols["unit"] = cols[unit]
    dropped: dict[str, int] = {}
    # the reason each dropped row was dropped for (an index into ``reasons``; -1: kept), so that
    # the panel of a subset of the rows can be read from this one (PreparedPanel.restrict)
    reasons: list[str] = []
    reason = np.full(len(data), -1, dtype="int16")

    def drop(why: str, rows: np.ndarray) -> None:
        dropped[why] = int(rows.sum())
        reason[rows] = len(reasons)
        reasons.append(why)

    y = pd.to_numeric(data[outcome], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    bad = ~np.isfinite(y)
    drop(f"missing or non-finite {outcome}", bad)
    cols["y"] = y

    if cohort:
        g_raw = data[cohort]
        if g_raw.dtype.kind in "iu":  # integers (numpy or nullable): missing is never treated
            g_int = g_raw.to_numpy(dtype="int64", na_value=0)
            wrong = bool((g_int < 0).any())
        else:
            g = pd.to_numeric(g_raw, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
            g = np.where(np.isnan(g), 0.0, g)
            wrong = bool((np.isinf(g) | (g != np.floor(g)) | (g < 0)).any())
            g_int = g.astype("int64")
        if wrong:
            raise EstimatorInputError(
                f"column {cohort!r} must be a first-treated period (integer) or 0/missing for never treated"
            )
        # a unit varies when one of its rows differs from the value stored for it (any of its
        # values); a missing unit label is left out, as groupby leaves missing keys out
        first = np.zeros(len(ulabels), dtype="int64")
        first[ucode] = g_int
        differs = g_int != first[ucode]
        if pd.isna(ulabels).any():
            differs &= np.asarray(pd.notna(ulabels), dtype=bool)[ucode]
        varies = np.unique(ucode[differs])  # label order, as groupby sorts
        if len(varies):
            raise EstimatorInputError(
                f"column {cohort!r} varies within unit(s) {list(ulabels[varies[:5]])}"
            )
        cols["cohort"] = g_int
        cols["event_time"] = np.where(g_int > 0, t_int - g_int, np.nan)
    if weights:
        w = pd.to_numeric(pd.Series(cols[weights]), errors="coerce").to_numpy(
            dtype="float64", na_value=np.nan
        )
        miss = np.isnan(w) & ~bad
        drop(f"missing {weights}", miss)
        bad = bad | miss
        wrong = ~bad & ((w <= 0) | ~np.isfinite(w))
        if wrong.any():
            rows = data.loc[wrong, [unit, time, weights]].head()
            raise EstimatorInputError(
                f"weights {weights!r} must be positive and finite; {int(wrong.sum())} row(s) "
                f"are not, e.g.:\n{rows.to_string()}"
            )
        cols["w"] = w
    else:
        cols["w"] = np.ones(len(data))
    cl = cluster or unit
    miss = np.asarray(pd.isna(cols[cl]), dtype=bool) & ~bad
    drop(f"missing {cl}", miss)
    bad = bad | miss
    cols["cluster"] = cols[cl]
    for c in controls:
        miss = np.asarray(pd.isna(cols[c]), dtype=bool) & ~bad
        drop(f"missing {c}", miss)
        bad = bad | miss
        col = pd.Series(cols[c])
        if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            inf = ~bad & np.isinf(col.to_numpy(dtype="float64", na_value=np.nan))
            if inf.any():
                rows = data.loc[inf, [unit, time, c]].head()
                raise EstimatorInputError(
                    f"control {c!r} must be finite; {int(inf.sum())} row(s) hold inf, "
                    f"e.g.:\n{rows.to_string()}"
                )

    keep_rows = np.flatnonzero(~bad)
    if not len(keep_rows):
        raise EstimatorInputError("no rows left after dropping missing values: " + repr(dropped))
    order = keep_rows[np.argsort(key[keep_rows], kind="stable")]  # by unit, then time
    # a column that serves twice (e.g. the unit column as "unit", or as the cluster) is reordered
    # once and copied for its other names: every array is new, so the frame is built on them
    # without copying (or consolidating) them again
    taken: dict[int, object] = {}
    first_name: dict[int, str] = {}
    columns: dict[str, object] = {}
    for c, arr in cols.items():
        if id(arr) in taken:
            values = taken[id(arr)].copy()
        else:
            values = taken[id(arr)] = arr.take(order)
            first_name[id(arr)] = c
        columns[c] = _frame_column(values)
    df = pd.DataFrame(columns, copy=False)
    same = {c: first_name[id(arr)] for c, arr in cols.items() if first_name[id(arr)] != c}
    names = {
        "outcome": outcome,
        "unit": unit,
        "time": time,
        "cohort": cohort,
        "weights": weights,
        "cluster": cl,
    }
    prepared = PreparedPanel(df, names, {k: v for k, v in dropped.items() if v}, controls)
    prepared._source = _Source(df, len(data), order, reason, tuple(reasons), same)
    sorted_units = ucode[order]
    if not pd.isna(ulabels[sorted_units[-1]]):  # a missing unit label sorts last
        # the rows are sorted by unit label: codes in order of first appearance count the changes
        unit_codes, n_units = _run_codes(sorted_units)
        prepared.remember_codes("unit", unit_codes, n_units)
        if cl == unit:
            prepared.remember_codes("cluster", unit_codes, n_units)
    return prepared


#: :func:`_first_appearance_codes` reads the order of first appearance from these many first
#: rows when every level appears there (e.g. the periods of a panel sorted by unit)
_HEADS = (256, 4096)


def _run_codes(codes: np.ndarray) -> tuple[np.ndarray, int]:
    """Codes ``0..n-1`` of the runs of equal values of ``codes`` (not empty), and ``n``."""
    starts = np.empty(len(codes), dtype=bool)
    starts[0] = True
    np.not_equal(codes[1:], codes[:-1], out=starts[1:])
    first = np.flatnonzero(starts)
    runs = np.arange(len(first), dtype="int64")
    return np.repeat(runs, np.diff(np.append(first, len(codes)))), len(first)


def _increasing(codes: np.ndarray) -> bool:
    """Whether ``codes`` never decrease."""
    return bool(np.all(codes[1:] >= codes[:-1]))


def _first_appearance_codes(
    codes: np.ndarray, increasing: bool | None = None
) -> tuple[np.ndarray, int]:
    """Codes ``0..n-1`` in order of first appearance of the integer ``codes`` (as ``pd.factorize``).

    Codes that already appear in increasing order (a subset of first-appearance codes usually
    does; ``increasing`` says whether they do, when known) are only renumbered densely;
    codes whose levels all appear in the first rows are numbered in their order there.
    """
    if not len(codes):
        return np.zeros(0, dtype="int64"), 0
    if increasing is None:
        increasing = _increasing(codes)
    if increasing:  # e.g. the units of a panel sorted by unit
        return _run_codes(codes)
    present = np.bincount(codes) > 0
    n_levels = int(np.count_nonzero(present))
    for head in _HEADS:
        levels, first = np.unique(codes[:head], return_index=True)
        if len(levels) == n_levels:  # every level appears in the first rows: their order is known
            lookup = np.empty(len(present), dtype="int64")
            lookup[levels[np.argsort(first)]] = np.arange(n_levels)
            return lookup[codes], n_levels
    dense = (np.cumsum(present) - 1)[codes]
    top = np.maximum.accumulate(dense)
    if dense[0] == 0 and np.all(dense[1:] <= top[:-1] + 1):
        return dense.astype("int64"), int(present.sum())
    sub, levels = pd.factorize(codes)
    return sub.astype("int64"), len(levels)


def _frame_column(values):
    """``values`` as a frame column keeping its dtype: an object array stays object (no string inference)."""
    if isinstance(values, pd.api.extensions.ExtensionArray) and not isinstance(
        values, pd.arrays.NumpyExtensionArray
    ):
        return values
    values = np.asarray(values)
    return pd.Series(values, dtype=object, copy=False) if values.dtype == object else values


def _period_codes(t: np.ndarray) -> tuple[np.ndarray, int]:
    """Codes of integer periods in sorted order (``0..n-1``) and their number ``n``."""
    if not len(t):
        return np.zeros(0, dtype="int64"), 0
    lo, hi = int(t.min()), int(t.max())
    if hi - lo <= 4 * len(t):  # a short range (years, months): a lookup table
        present = np.bincount(t - lo, minlength=hi - lo + 1) > 0
        lookup = np.cumsum(present) - 1
        return lookup[t - lo], int(present.sum())
    codes, levels = pd.factorize(t, sort=True)
    return codes.astype("int64"), len(levels)


def _has_duplicates(ucode: np.ndarray, n_units: int, tkey: np.ndarray) -> bool:
    """Whether two rows share a unit code and a period code (counted, or sorted when the table is large)."""
    n_times = int(tkey.max(initial=-1)) + 1
    pair = ucode.astype("int64") * n_times + tkey
    if n_units * n_times <= max(4 * len(pair), 1 << 16):
        return bool(len(pair)) and int(np.bincount(pair).max()) > 1
    sorted_pair = np.sort(pair)
    return bool((sorted_pair[1:] == sorted_pair[:-1]).any())


def normal_ci(estimate, std_error, alpha: float = 0.05):
    """Normal-approximation interval ``estimate -/+ z_{1-alpha/2} * std_error``."""
    from scipy.stats import norm

    z = norm.ppf(1 - alpha / 2)
    est = np.asarray(estimate, dtype="float64")
    se = np.asarray(std_error, dtype="float64")
    return est - z * se, est + z * se


def joint_wald(estimates, vcov, terms: list[str], method: str = "Wald chi-square") -> PretrendTest:
    """Joint Wald test that the coefficients ``terms`` are all zero (e.g. event-study leads).

    ``estimates`` (length k) and ``vcov`` (k x k) belong to ``terms``. The
    statistic is ``b' V^{-1} b`` with a chi-squared(k) p-value; NaN and
    ``df = 0`` when there are no terms.
    """
    from scipy.stats import chi2

    if not terms:
        return PretrendTest(np.nan, 0, np.nan, (), "wald", method)
    b = np.asarray(estimates, dtype="float64")
    stat = float(b @ np.linalg.solve(np.asarray(vcov, dtype="float64"), b))
    return PretrendTest(
        stat, len(terms), float(chi2.sf(stat, len(terms))), tuple(terms), "wald", method
    )
