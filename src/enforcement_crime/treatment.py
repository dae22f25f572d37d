r"""Treatment coding on annual panels: the two partial-year exposure rules, once.

Programme adoption dates have month (Secure Communities) or day (287(g))
precision while the crime panels are annual, so every study needs a rule for
the year of adoption (STUDIES.md §1). This module is the only implementation of
those rules in the package; the panel builders (:mod:`enforcement_crime.panels.timing`),
the synthetic panel and the study designs all call it.

``"first_full_year"``
    A unit is treated from the first calendar year wholly exposed: the adoption
    year when adoption is on 1 January, else the next year. The partial first
    year counts as untreated.
``"share_of_year"``
    A unit is treated from the first calendar year with any exposure, with the
    partial year's intensity equal to the share of its days exposed.

The share of year :math:`t` inside the exposure spell :math:`[a_i, e_i)` is

.. math:: s_{it} = \frac{|[\max(a_i, J_t), \min(e_i, J_{t+1}))|}{|[J_t, J_{t+1})|}

with :math:`J_t` = 1 January of year :math:`t`, measured in days (a leap year
has 366). The start day counts as exposed, the end date is the first day no
longer in force.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["EXPOSURE_RULES", "exposure_share", "first_full_year", "annual_cohort", "add_treatment"]

EXPOSURE_RULES: tuple[str, ...] = ("first_full_year", "share_of_year")


def _ns(values, n: int | None = None) -> np.ndarray:
    """datetime64[ns] array of ``values`` (None = all NaT of length ``n``)."""
    if values is None:
        return np.full(n or 0, np.datetime64("NaT"), dtype="datetime64[ns]")
    return pd.to_datetime(pd.Series(np.asarray(values))).astype("datetime64[ns]").to_numpy()


def exposure_share(start, end, year) -> np.ndarray:
    """Share of each calendar year inside the exposure spell ``[start, end)``.

    Parameters
    ----------
    start : array-like of datetime
        Spell start (NaT = never exposed).
    end : array-like of datetime or None
        Spell end, the first day no longer in force (NaT or None = still active).
    year : array-like of int
        Calendar years, aligned with ``start`` and ``end``.

    Returns
    -------
    numpy.ndarray
        Floats in [0, 1].

    Raises
    ------
    ValueError
        When the three inputs differ in length.
    """
    y = np.asarray(year, dtype="int64")
    s = _ns(start)
    e = _ns(end, len(y))
    if not (len(s) == len(e) == len(y)):
        raise ValueError(
            f"exposure_share: start, end and year must align (lengths {len(s)}, {len(e)}, {len(y)})"
        )
    y0 = pd.to_datetime(pd.DataFrame({"year": y, "month": 1, "day": 1})).to_numpy(
        dtype="datetime64[ns]"
    )
    y1 = pd.to_datetime(pd.DataFrame({"year": y + 1, "month": 1, "day": 1})).to_numpy(
        dtype="datetime64[ns]"
    )
    s = np.where(np.isnat(s), y1, s)  # never exposed: an empty spell
    e = np.where(np.isnat(e), y1, e)  # still active: open to the end of the year
    lo = np.maximum(s, y0)
    hi = np.minimum(e, y1)
    return np.clip((hi - lo) / (y1 - y0), 0.0, 1.0)


def first_full_year(dates) -> pd.Series:
    """First calendar year wholly exposed for each adoption date (``Int64``; NA = never).

    For a date :math:`d` in year :math:`y` the answer is :math:`y` when
    :math:`d` is 1 January and :math:`y + 1` otherwise. E.g. Mecklenburg NC,
    signed 2006-02-27: 2007.
    """
    d = pd.to_datetime(pd.Series(dates) if not isinstance(dates, pd.Series) else dates)
    jan1 = (d.dt.month == 1) & (d.dt.day == 1)
    cohort = (d.dt.year + (~jan1).astype(int)).astype("Int64")
    return cohort.where(d.notna(), pd.NA)


def annual_cohort(dates, rule: str = "first_full_year") -> pd.Series:
    """First treated year of each adoption date under an exposure rule.

    Parameters
    ----------
    dates : array-like of datetime
        Adoption dates (NaT = never adopted).
    rule : {"first_full_year", "share_of_year"}
        See the module docstring.

    Returns
    -------
    pandas.Series
        ``Int64`` first treated year named ``"cohort"``, 0 for never adopted
        (the estimators' convention).
    """
    if rule not in EXPOSURE_RULES:
        raise ValueError(f"rule must be one of {EXPOSURE_RULES}, got {rule!r}")
    d = pd.to_datetime(pd.Series(dates))
    if rule == "first_full_year":
        return first_full_year(d).fillna(0).astype("Int64").rename("cohort")
    return d.dt.year.astype("Int64").fillna(0).rename("cohort")


def add_treatment(
    panel: pd.DataFrame,
    start: str,
    end: str | None = None,
    *,
    rule: str = "first_full_year",
    prefix: str | None = None,
    year: str = "year",
) -> pd.DataFrame:
    """Add annual treatment columns derived from adoption (and end) dates.

    Parameters
    ----------
    panel : pandas.DataFrame
        County-year (or city-year) panel with a date column ``start``.
    start : str
        Adoption date column (e.g. ``"sc_activation_date"``, ``"g287_start"``).
    end : str, optional
        End date column (e.g. ``"g287_end"``); NaT = still active.
    rule : {"first_full_year", "share_of_year"}
        The exposure rule (:func:`annual_cohort`).
    prefix : str, optional
        Column prefix; default: ``start`` without ``_activation_date`` /
        ``_start``.
    year : str
        The year column.

    Returns
    -------
    pandas.DataFrame
        A copy with ``<prefix>_cohort`` (Int64 first treated year, 0 = never),
        ``<prefix>_share`` (share of the year exposed, ignores the rule),
        ``<prefix>_treated`` (the rule's treatment: 1 in wholly exposed years
        for ``"first_full_year"``, the share for ``"share_of_year"``) and
        ``<prefix>_ever`` (bool, ever adopted). Also ``<prefix>_switch_off``
        when ``end`` is given (1 from the first year after the spell ends).

    Notes
    -----
    With an end date, ``_treated`` follows the spell (it may switch off), while
    ``_cohort`` is the first treated year ("ever treated from then on" for
    absorbing-treatment estimators).
    """
    if rule not in EXPOSURE_RULES:
        raise ValueError(f"add_treatment: rule must be one of {EXPOSURE_RULES}, got {rule!r}")
    for col in (start, end, year):
        if col is not None and col not in panel.columns:
            raise KeyError(
                f"add_treatment: column {col!r} not in the panel; columns are {list(panel.columns)}"
            )
    if prefix is None:
        prefix = start.removesuffix("_activation_date").removesuffix("_start")
    out = panel.copy()
    ends = out[end] if end else pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
    starts = pd.to_datetime(out[start])
    bad = ends.notna() & starts.notna() & (pd.to_datetime(ends) < starts)
    if bad.any():
        rows = out.loc[bad, [c for c in ("fips", year, start, end) if c in out.columns]].head()
        raise ValueError(
            f"add_treatment: {int(bad.sum())} row(s) with {end!r} before {start!r}, first:\n{rows}"
        )
    share = exposure_share(starts, ends, out[year].to_numpy())
    cohort = annual_cohort(starts, rule).to_numpy()
    out[f"{prefix}_cohort"] = pd.array(cohort, dtype="Int64")
    out[f"{prefix}_share"] = share
    if rule == "first_full_year":
        out[f"{prefix}_treated"] = (share >= 1.0 - 1e-12).astype("float64")
    else:
        out[f"{prefix}_treated"] = share
    out[f"{prefix}_ever"] = starts.notna().to_numpy()
    if end:
        e = pd.to_datetime(ends)
        # the first calendar year with no exposure after the spell ended
        after = e.dt.year + ((e.dt.month > 1) | (e.dt.day > 1)).astype(int)
        out[f"{prefix}_switch_off"] = (
            (out[year] >= after).fillna(False).astype("float64").to_numpy()
        )
    return out
