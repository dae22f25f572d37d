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

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from enforcement_crime.results import PretrendTest

__all__ = ["EstimatorInputError", "PreparedPanel", "prepare_panel", "normal_ci", "joint_wald"]


class EstimatorInputError(ValueError):
    """The data handed to an estimator cannot be used; the message says which column and why."""


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

    @property
    def n_obs(self) -> int:
        return len(self.data)

    @property
    def n_clusters(self) -> int:
        return int(self.data["cluster"].nunique())

    @property
    def cohorts(self) -> np.ndarray:
        """Sorted treated cohorts (excludes 0)."""
        c = np.unique(self.data["cohort"].to_numpy())
        return c[c > 0]

    @property
    def times(self) -> np.ndarray:
        return np.unique(self.data["time"].to_numpy())

    @property
    def has_never_treated(self) -> bool:
        return bool((self.data["cohort"] == 0).any())

    def drop_note(self) -> str:
        """Text for the result's notes: what was dropped and why ("" when nothing)."""
        if not any(self.dropped.values()):
            return ""
        return "dropped: " + "; ".join(f"{n} rows ({why})" for why, n in self.dropped.items() if n)


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
    t = pd.to_numeric(data[time], errors="coerce")
    t_arr = t.to_numpy(dtype="float64", na_value=np.nan)
    not_period = np.isnan(t_arr) | (t_arr % 1 != 0)  # missing, text, fractional, infinite
    if not_period.any():
        rows = data.loc[not_period, [unit, time]].head()
        rows.index.name = "row"
        raise EstimatorInputError(
            f"column {time!r} must hold integer periods (e.g. year); {int(not_period.sum())} "
            f"row(s) do not (missing, text or fractional), e.g.:\n{rows.to_string()}"
        )
    # unit codes in sorted order of the labels, a missing label sorting last (as sort_values does)
    ucode, ulabels = pd.factorize(data[unit], sort=True, use_na_sentinel=False)
    tkey = pd.factorize(data[time], use_na_sentinel=False)[0]
    pair = ucode.astype("int64") * (int(tkey.max(initial=0)) + 1) + tkey
    sorted_pair = np.sort(pair)
    if (sorted_pair[1:] == sorted_pair[:-1]).any():
        dup = data.duplicated([unit, time], keep=False)
        dups = data.loc[dup, [unit, time]].head()
        raise EstimatorInputError(
            f"({unit}, {time}) must be unique; duplicates, e.g.:\n{dups.to_string()}"
        )
    t_int = t_arr.astype("int64")
    tcode = pd.factorize(t_int, sort=True)[0]
    key = ucode.astype("int64") * (int(tcode.max(initial=0)) + 1) + tcode
    cols["time"] = t_int
    cols["unit"] = cols[unit]
    dropped: dict[str, int] = {}

    y = pd.to_numeric(data[outcome], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    bad = ~np.isfinite(y)
    dropped[f"missing or non-finite {outcome}"] = int(bad.sum())
    cols["y"] = y

    if cohort:
        g = pd.to_numeric(data[cohort], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        g = np.where(np.isnan(g), 0.0, g)
        if (g % 1 != 0).any() or (g < 0).any():
            raise EstimatorInputError(
                f"column {cohort!r} must be a first-treated period (integer) or 0/missing for never treated"
            )
        g_int = g.astype("int64")
        known = np.asarray(pd.notna(ulabels), dtype=bool)[ucode]  # groupby leaves missing keys out
        lo = np.full(len(ulabels), np.iinfo("int64").max)
        hi = np.full(len(ulabels), np.iinfo("int64").min)
        np.minimum.at(lo, ucode[known], g_int[known])
        np.maximum.at(hi, ucode[known], g_int[known])
        varies = np.flatnonzero(lo < hi)  # label order, as groupby sorts
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
        dropped[f"missing {weights}"] = int(miss.sum())
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
    dropped[f"missing {cl}"] = int(miss.sum())
    bad = bad | miss
    cols["cluster"] = cols[cl]
    for c in controls:
        miss = np.asarray(pd.isna(cols[c]), dtype=bool) & ~bad
        dropped[f"missing {c}"] = int(miss.sum())
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
    # dtype given: an object column stays object (no string inference); a column that serves
    # twice (e.g. the unit column as "unit", or as the cluster) is reordered once
    taken: dict[int, object] = {}
    for arr in cols.values():
        if id(arr) not in taken:
            taken[id(arr)] = arr.take(order)
    df = pd.DataFrame({c: pd.Series(taken[id(arr)], dtype=arr.dtype) for c, arr in cols.items()})
    names = {
        "outcome": outcome,
        "unit": unit,
        "time": time,
        "cohort": cohort,
        "weights": weights,
        "cluster": cl,
    }
    return PreparedPanel(df, names, {k: v for k, v in dropped.items() if v}, controls)


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
