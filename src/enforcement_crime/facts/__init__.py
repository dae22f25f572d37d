"""Small committed fact tables (see ``facts/README.md`` for sources)."""

from __future__ import annotations

from importlib import resources

import pandas as pd

__all__ = ["nc_287g_agreements"]


def nc_287g_agreements() -> pd.DataFrame:
    """The nine North Carolina 287(g) jurisdictions of Forrester & Nowrasteh (2018), Table A1.

    Returns
    -------
    pandas.DataFrame
        One row per jurisdiction: ``fips``, ``county``, ``agency``, ``model``,
        ``signed`` and ``signed_alt`` (datetime), ``end_date`` (datetime; first
        day of the end month, 1 July when only the year is known, NaT when the
        agreement was active past 2015 with no known end), ``end_precision``
        (``"month"``, ``"year"`` or missing) and ``end_note``.
    """
    path = resources.files(__package__) / "nc_287g_table_a1.csv"
    with resources.as_file(path) as p:
        df = pd.read_csv(p, dtype={"fips": "string", "end_year": "Int64", "end_month": "Int64"})
    for col in ("signed", "signed_alt"):
        df[col] = pd.to_datetime(df[col], format="%Y-%m-%d")
    month = df["end_month"].fillna(7)
    df["end_date"] = pd.to_datetime(
        {"year": df["end_year"].astype("float64"), "month": month.astype("float64"), "day": 1},
        errors="coerce",
    )
    df["end_precision"] = (
        pd.Series(pd.NA, index=df.index, dtype="string")
        .mask(df["end_year"].notna(), "year")
        .mask(df["end_month"].notna(), "month")
    )
    return df.drop(columns=["end_year", "end_month"])
