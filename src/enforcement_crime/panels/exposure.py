"""Exposure rules for annual panels: the cohort year and the share of each year treated.

Thin wrappers, for county start and end dates, of the one rule in
:mod:`enforcement_crime.treatment` (``first_full_year`` and
``exposure_share``); re-exported by :mod:`enforcement_crime.panels.timing`.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from enforcement_crime.treatment import exposure_share, first_full_year

__all__ = ["exposure_first_full_year", "exposure_share_of_year"]


# ---------------------------------------------------------------------------
# exposure rules for annual panels (the rule itself is enforcement_crime.treatment)
# ---------------------------------------------------------------------------


def exposure_first_full_year(dates: pd.Series, years: Iterable[int] | None = None) -> pd.Series:
    """Cohort year under the rule "treated from the first full calendar year of exposure".

    Parameters
    ----------
    dates : pandas.Series
        Start dates (datetime64; NaT = never treated), indexed by unit.
    years : iterable of int, optional
        The panel's years. When given, a cohort after the last panel year is
        returned as missing (not treated within the panel); the number of such
        units is in ``attrs["after_panel"]``.

    Returns
    -------
    pandas.Series
        ``Int64`` cohort year, same index; missing when never treated.

    Notes
    -----
    For a start date :math:`d` in year :math:`y`, the cohort is :math:`y` when
    :math:`d` is 1 January and :math:`y + 1` otherwise; unit :math:`i` is
    treated in year :math:`t` iff :math:`t \\ge cohort_i` (an absorbing,
    "ever treated" definition: end dates are ignored, see
    :func:`exposure_share_of_year` for exposure that switches off). E.g.
    Mecklenburg NC, signed 2006-02-27: cohort 2007.
    """
    cohort = first_full_year(pd.to_datetime(dates))
    after = 0
    if years is not None:
        last = max(int(y) for y in years)
        late = (cohort > last).fillna(False)
        after = int(late.sum())
        cohort = cohort.mask(late, pd.NA)
    cohort.attrs = {"after_panel": after}
    return cohort.rename("cohort")


def exposure_share_of_year(
    start: pd.Series, end: pd.Series | None, years: Iterable[int]
) -> pd.DataFrame:
    """Share of each calendar year a unit was exposed (0..1), with end dates.

    Parameters
    ----------
    start : pandas.Series
        Start dates (datetime64; NaT = never), indexed by unit.
    end : pandas.Series or None
        End dates aligned with ``start`` (NaT or None = still in force).
    years : iterable of int
        Calendar years wanted.

    Returns
    -------
    pandas.DataFrame
        Long frame: the unit (column named as ``start.index`` or ``"unit"``),
        ``year`` (int64), ``share`` (float64 in [0, 1]).

    Notes
    -----
    A unit is exposed on day :math:`s` when :math:`start \\le s < end` (the
    start day counts, the end date is the first day no longer in force). For
    year :math:`t` with :math:`D_t` days (365 or 366),

    .. math:: share_{it} = \\frac{|\\{s \\in t : start_i \\le s < end_i\\}|}{D_t}.

    E.g. Mecklenburg, signed 2006-02-27: 308 of 365 days in 2006, 1 from 2007.
    """
    years = sorted({int(y) for y in years})
    s = pd.to_datetime(start)
    e = (
        pd.to_datetime(end).reindex(s.index)
        if end is not None
        else pd.Series(pd.NaT, index=s.index)
    )
    bad = (e < s).fillna(False)
    if bad.any():
        raise ValueError(
            f"exposure_share_of_year: end before start for units {list(s.index[bad.to_numpy()][:5])}"
        )
    name = s.index.name or "unit"
    units = np.repeat(s.index.to_numpy(), len(years))
    yy = np.tile(np.asarray(years, dtype="int64"), len(s))
    share = exposure_share(
        np.repeat(s.to_numpy(), len(years)), np.repeat(e.to_numpy(), len(years)), yy
    )
    out = pd.DataFrame({name: units, "year": yy, "share": share})
    out["year"] = out["year"].astype("int64")
    out["share"] = out["share"].astype("float64")
    return out.sort_values([name, "year"], ignore_index=True)
