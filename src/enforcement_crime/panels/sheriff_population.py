"""The sheriff panel's estimated unincorporated population against a reported population served.

``cius_sheriff`` divides the sheriff's counts by ``population_served_est``,
an approximation (the county's Census population minus the Table 8
populations of its cities). For North Carolina the agency records give the
sheriff's own population served (``nc_agency``'s ``population_served``, the
offenses file's population). :func:`estimate_vs_population_served` pairs the
two per county and year; :func:`summarise` gives the ratio's spread and how
the two change over time.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["estimate_vs_population_served", "summarise"]


def estimate_vs_population_served(sheriff: pd.DataFrame, agency: pd.DataFrame) -> pd.DataFrame:
    """Pair ``cius_sheriff``'s estimate with ``nc_agency``'s population served, per county-year.

    Parameters
    ----------
    sheriff : pandas.DataFrame
        ``cius_sheriff`` rows: ``fips, year, county_agency, population_served_est,
        county_population``.
    agency : pandas.DataFrame
        ``nc_agency`` rows: ``fips, year, agency_type, county_agency, population_served``.

    Returns
    -------
    pandas.DataFrame
        One row per county-year present on both sides where both agencies are
        sheriff's offices, the agency row is the county's policing agency and
        both populations are positive: ``fips, year, population_served_est,
        population_served, county_population, ratio`` (estimate / served).
    """
    need_s = {"fips", "year", "county_agency", "population_served_est", "county_population"}
    need_a = {"fips", "year", "agency_type", "county_agency", "population_served"}
    for what, frame, need in (("sheriff", sheriff, need_s), ("agency", agency, need_a)):
        lack = sorted(need - set(frame.columns))
        if lack:
            raise ValueError(f"{what} panel: missing columns {lack}")
    s = sheriff[sheriff["county_agency"] == "sheriff"]
    s = s[["fips", "year", "population_served_est", "county_population"]].copy()
    a = agency[
        (agency["agency_type"] == "sheriff") & agency["county_agency"].fillna(False).astype(bool)
    ]
    a = a[["fips", "year", "population_served"]].copy()
    dup = a.duplicated(["fips", "year"], keep=False)
    if dup.any():
        first = a.loc[dup, ["fips", "year"]].iloc[0].to_dict()
        raise ValueError(
            f"agency panel: several county sheriff rows for one county-year, e.g. {first}"
        )
    for f in (s, a):
        f["fips"] = f["fips"].astype("string")
        f["year"] = f["year"].astype("int64")
    out = s.merge(a, on=["fips", "year"], how="inner")
    est = pd.to_numeric(out["population_served_est"], errors="coerce").astype("float64")
    served = pd.to_numeric(out["population_served"], errors="coerce").astype("float64")
    ok = (est > 0) & (served > 0)
    out = out[ok.to_numpy()].copy()
    out["population_served_est"] = est[ok]
    out["population_served"] = served[ok]
    out["ratio"] = out["population_served_est"] / out["population_served"]
    return out.sort_values(["fips", "year"]).reset_index(drop=True)


def summarise(pairs: pd.DataFrame, start: int | None = None, end: int | None = None) -> dict:
    """Spread of the ratio, and per county the change from ``start`` to ``end`` on both sides.

    ``log_change_gap`` is, per county present in both years, the change in
    log estimate minus the change in log population served; its median
    absolute value says whether the estimate follows the reported series over
    time (what a difference-in-differences on rates depends on), whatever the
    difference in levels (``ratio``).
    """
    r = pairs["ratio"]
    out = {
        "county_years": int(len(pairs)),
        "counties": int(pairs["fips"].nunique()),
        "ratio_median": float(r.median()) if len(r) else float("nan"),
        "ratio_p10": float(r.quantile(0.1)) if len(r) else float("nan"),
        "ratio_p90": float(r.quantile(0.9)) if len(r) else float("nan"),
    }
    if start is not None and end is not None:
        a = pairs[pairs["year"] == start].set_index("fips")
        b = pairs[pairs["year"] == end].set_index("fips")
        both = a.index.intersection(b.index)
        gap = np.log(b.loc[both, "population_served_est"] / a.loc[both, "population_served_est"])
        gap -= np.log(b.loc[both, "population_served"] / a.loc[both, "population_served"])
        out["change_years"] = [int(start), int(end)]
        out["counties_in_both_years"] = int(len(both))
        out["log_change_gap_median_abs"] = float(gap.abs().median()) if len(both) else float("nan")
    return out
