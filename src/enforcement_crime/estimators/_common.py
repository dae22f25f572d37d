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
        Positive analytic weights (e.g. population).
    cluster : str, optional
        Cluster id; defaults to ``unit``.
    controls, extra : list of str, optional
        Further columns to carry (controls must be non-missing).

    Returns
    -------
    PreparedPanel

    Raises
    ------
    EstimatorInputError
        Missing columns, duplicate unit-period keys, non-integer periods, a
        cohort that varies within a unit, or non-positive weights.
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
    if data.duplicated([unit, time]).any():
        dups = data.loc[data.duplicated([unit, time], keep=False), [unit, time]].head()
        raise EstimatorInputError(
            f"({unit}, {time}) must be unique; duplicates, e.g.:\n{dups.to_string()}"
        )

    keep = list(dict.fromkeys(needed))
    df = data.loc[:, keep].copy()
    t = pd.to_numeric(df[time], errors="coerce")
    if t.isna().any() or (t % 1 != 0).any():
        raise EstimatorInputError(
            f"column {time!r} must hold integer periods without gaps in type (e.g. year)"
        )
    df["time"] = t.astype("int64")
    df["unit"] = df[unit]
    dropped: dict[str, int] = {}

    y = pd.to_numeric(df[outcome], errors="coerce").astype("float64")
    bad = ~np.isfinite(y)
    dropped[f"missing or non-finite {outcome}"] = int(bad.sum())
    df["y"] = y

    if cohort:
        g = pd.to_numeric(df[cohort], errors="coerce").astype("float64").fillna(0.0)
        if (g % 1 != 0).any() or (g < 0).any():
            raise EstimatorInputError(
                f"column {cohort!r} must be a first-treated period (integer) or 0/missing for never treated"
            )
        df["cohort"] = g.astype("int64")
        varies = df.groupby("unit")["cohort"].nunique() > 1
        if varies.any():
            raise EstimatorInputError(
                f"column {cohort!r} varies within unit(s) {list(varies[varies].index[:5])}"
            )
        df["event_time"] = np.where(df["cohort"] > 0, df["time"] - df["cohort"], np.nan)
    if weights:
        w = pd.to_numeric(df[weights], errors="coerce").astype("float64")
        miss = w.isna() & ~bad
        dropped[f"missing {weights}"] = int(miss.sum())
        bad = bad | miss
        if (w[~bad] <= 0).any():
            rows = df.loc[(w <= 0) & ~bad, [unit, time, weights]].head()
            raise EstimatorInputError(
                f"weights {weights!r} must be positive; e.g.:\n{rows.to_string()}"
            )
        df["w"] = w
    else:
        df["w"] = 1.0
    cl = cluster or unit
    miss = df[cl].isna() & ~bad
    dropped[f"missing {cl}"] = int(miss.sum())
    bad = bad | miss
    df["cluster"] = df[cl]
    for c in controls:
        miss = df[c].isna() & ~bad
        dropped[f"missing {c}"] = int(miss.sum())
        bad = bad | miss

    df = df.loc[~bad].sort_values(["unit", "time"], kind="stable").reset_index(drop=True)
    if df.empty:
        raise EstimatorInputError("no rows left after dropping missing values: " + repr(dropped))
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
