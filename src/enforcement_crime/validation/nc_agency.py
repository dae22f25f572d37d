"""Agreement between the NC agency panel (Kaplan's files) and the CIUS sheriff panel.

The two panels count the same thing for the county agencies of North
Carolina: ``nc_agency`` reads the FBI's Return A agency-year records as
concatenated by Kaplan, ``cius_sheriff`` the FBI's published Table 10 (the
sheriff's office, or the county police where there is one). For the same
agency and year the counts should be identical; :func:`agency_vs_cius_sheriff`
pairs them cell by cell and says how many agree.

Pairing
-------
An ``nc_agency`` row takes part when it is its county's policing agency
(``county_agency``) and that agency is listed in Table 10: every sheriff's
office, and Gaston County PD. Charlotte-Mecklenburg PD is a city agency
(Table 8), so Mecklenburg is left out on both sides (:data:`NOT_IN_TABLE10`). Rows are
paired on ``(fips, year)`` over the years asked for (default 2005-2016), and
the CIUS row must be of the same kind of agency (a sheriff's row against a
sheriff, a county police row against Gaston County PD); a pair whose kinds
differ is reported, not compared.

Offenses compared: murder, robbery, aggravated assault, burglary, larceny,
motor vehicle theft and property crime in every year; rape and violent crime
before 2013 only (from 2013 CIUS prints the revised rape definition where the
agency reports it, Kaplan's files keep the legacy one).

Every pair keeps its row with a ``status``: ``"compared"`` (both values
present), ``"no CIUS row"``, ``"no agency row"``, ``"missing value"``,
``"agency kinds differ"`` or ``"rape definitions differ"``.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

__all__ = [
    "NOT_IN_TABLE10",
    "ALWAYS",
    "LEGACY_ONLY",
    "agency_vs_cius_sheriff",
    "agreement_by_offense",
]

#: county agencies of ``nc_agency`` that CIUS lists in Table 8 (cities), not Table 10
NOT_IN_TABLE10: dict[str, str] = {
    "NC06001": "Charlotte-Mecklenburg PD: a city agency, listed in CIUS Table 8",
}
#: offenses compared in every year
ALWAYS: tuple[str, ...] = (
    "murder",
    "robbery",
    "aggravated_assault",
    "burglary",
    "larceny",
    "motor_vehicle_theft",
    "property",
)
#: offenses compared before 2013 only (rape definitions differ from 2013)
LEGACY_ONLY: tuple[str, ...] = ("rape", "violent")


def agency_vs_cius_sheriff(
    agency: pd.DataFrame,
    sheriff: pd.DataFrame,
    years: Iterable[int] = range(2005, 2017),
) -> pd.DataFrame:
    """Pair the county agencies of ``nc_agency`` with ``cius_sheriff`` offense by offense.

    Parameters
    ----------
    agency : pandas.DataFrame
        The ``nc_agency`` panel.
    sheriff : pandas.DataFrame
        The ``cius_sheriff`` panel (any states; North Carolina is taken).
    years : iterable of int
        Default 2005-2016.

    Returns
    -------
    pandas.DataFrame
        One row per county, year and offense: ``fips``, ``year``,
        ``offense``, ``agency`` (nc_agency name), ``cius_agency`` (Table 10
        name), ``kaplan``, ``cius`` (the two counts, float, NaN when absent),
        ``status``, ``identical`` (bool; False unless compared),
        ``difference`` (kaplan - cius, NaN unless compared).
    """
    years = sorted(int(y) for y in years)
    need_a = {"ori", "fips", "year", "agency", "agency_type", "county_agency"}
    need_s = {"fips", "year", "agency", "county_agency"}
    for frame, need, what in ((agency, need_a, "nc_agency"), (sheriff, need_s, "cius_sheriff")):
        missing = sorted(need - set(frame.columns))
        if missing:
            raise ValueError(f"agency_vs_cius_sheriff: the {what} frame lacks {missing}")
    offenses = ALWAYS + LEGACY_ONLY
    a = agency[
        agency["county_agency"].astype(bool)
        & ~agency["ori"].isin(list(NOT_IN_TABLE10))
        & agency["year"].isin(years)
    ].copy()
    a["kind"] = np.where(a["agency_type"] == "sheriff", "sheriff", "county police")
    a = a[["fips", "year", "agency", "kind", *offenses]].astype({"fips": "string"})
    # the counties of the agencies left out (Mecklenburg) are left out on the CIUS side too
    left_out = set(agency.loc[agency["ori"].isin(list(NOT_IN_TABLE10)), "fips"].astype(str))
    s = sheriff[
        sheriff["fips"].astype("string").str.startswith("37").fillna(False)
        & sheriff["year"].isin(years)
        & ~sheriff["fips"].astype(str).isin(left_out)
    ].copy()
    s = s[["fips", "year", "agency", "county_agency", *offenses]].rename(
        columns={"agency": "cius_agency", "county_agency": "cius_kind"}
    )
    s["fips"] = s["fips"].astype("string")
    both = a.merge(s, on=["fips", "year"], how="outer", suffixes=("_k", "_c"), indicator=True)
    rows = []
    for off in offenses:
        part = pd.DataFrame(
            {
                "fips": both["fips"],
                "year": both["year"].astype("int64"),
                "offense": off,
                "agency": both["agency"],
                "cius_agency": both["cius_agency"],
                "kaplan": pd.to_numeric(both[f"{off}_k"], errors="coerce").astype("float64"),
                "cius": pd.to_numeric(both[f"{off}_c"], errors="coerce").astype("float64"),
            }
        )
        status = pd.Series("compared", index=both.index, dtype="object")
        status[part["kaplan"].isna() | part["cius"].isna()] = "missing value"
        status[(both["kind"] != both["cius_kind"]).fillna(False).to_numpy(dtype=bool)] = (
            "agency kinds differ"
        )
        if off in LEGACY_ONLY:
            status[(part["year"] >= 2013).to_numpy(dtype=bool)] = "rape definitions differ"
        status[(both["_merge"] == "left_only").to_numpy(dtype=bool)] = "no CIUS row"
        status[(both["_merge"] == "right_only").to_numpy(dtype=bool)] = "no agency row"
        part["status"] = status.astype("string")
        ok = part["status"] == "compared"
        part["identical"] = (ok & (part["kaplan"] == part["cius"])).astype(bool)
        part["difference"] = (part["kaplan"] - part["cius"]).where(ok)
        rows.append(part)
    out = pd.concat(rows, ignore_index=True)
    return out.sort_values(["offense", "fips", "year"], ignore_index=True)


def agreement_by_offense(pairs: pd.DataFrame) -> pd.DataFrame:
    """Summarise :func:`agency_vs_cius_sheriff` per offense, with an ``all`` row.

    Returns
    -------
    pandas.DataFrame
        Index ``offense`` (plus ``"all"``): ``compared``, ``identical``,
        ``share_identical``, ``within_1_percent`` (share of compared cells
        with ``|difference| <= 1%`` of the CIUS count, or 0 difference),
        ``median_abs_difference`` and one column per other status (cells not
        compared, by reason).
    """

    def summary(g: pd.DataFrame) -> dict[str, float]:
        c = g[g["status"] == "compared"]
        n = len(c)
        near = (c["difference"].abs() <= 0.01 * c["cius"].abs()) | (c["difference"] == 0)
        rec: dict[str, float] = {
            "compared": n,
            "identical": int(c["identical"].sum()),
            "share_identical": c["identical"].mean() if n else np.nan,
            "within_1_percent": near.mean() if n else np.nan,
            "median_abs_difference": c["difference"].abs().median() if n else np.nan,
        }
        for status, k in g.loc[g["status"] != "compared", "status"].value_counts().items():
            rec[str(status)] = int(k)
        return rec

    table = {off: summary(g) for off, g in pairs.groupby("offense", sort=False)}
    table["all"] = summary(pairs)
    out = pd.DataFrame.from_dict(table, orient="index")
    out.index.name = "offense"
    counts = [
        c
        for c in out.columns
        if c not in ("share_identical", "within_1_percent", "median_abs_difference")
    ]
    out[counts] = out[counts].fillna(0).astype("int64")
    return out
