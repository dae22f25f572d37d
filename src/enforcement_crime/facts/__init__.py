"""Small committed fact tables (see ``facts/README.md`` for sources)."""

from __future__ import annotations

from importlib import resources

import numpy as np
import pandas as pd

__all__ = [
    "census_divisions",
    "county_adjacency",
    "nc_287g_agreements",
    "county_population",
    "county_population_knots",
    "POPULATION_KNOTS",
]

#: years whose July-1 Census estimates ``county_population.csv`` holds (see facts/README.md)
POPULATION_KNOTS: tuple[int, ...] = (2000, 2005, 2010, 2016)


def census_divisions() -> pd.DataFrame:
    """The Census division of each of the 50 states and DC (``facts/census_divisions.csv``).

    Returns
    -------
    pandas.DataFrame
        51 rows: ``state_fips`` (2-character string), ``state`` (postal
        code), ``division`` (int, 1-9) and ``division_name``.
    """
    path = resources.files(__package__) / "census_divisions.csv"
    with resources.as_file(path) as p:
        return pd.read_csv(p, dtype={"state_fips": "string", "state": "string"})


def county_adjacency() -> pd.DataFrame:
    """Pairs of adjacent counties, 2010 geography (``facts/county_adjacency.csv``).

    Derived from the Census Bureau's county adjacency file by
    ``benchmarks/make_county_adjacency_table.py`` through
    :mod:`enforcement_crime.sources.census_adjacency` (``facts/README.md``).

    Returns
    -------
    pandas.DataFrame
        One row per undirected pair of distinct adjacent counties:
        ``fips_a`` < ``fips_b`` (5-character strings), every state, DC,
        Puerto Rico and the island areas.
    """
    path = resources.files(__package__) / "county_adjacency.csv"
    with resources.as_file(path) as p:
        return pd.read_csv(p, dtype="string")


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


def county_population_knots() -> pd.DataFrame:
    """The shipped county population table as it is (``facts/county_population.csv``).

    Returns
    -------
    pandas.DataFrame
        One row per county of the 50 states and DC under its 2010 FIPS code
        (3,143 rows): ``fips`` (string), ``pop2000``, ``pop2005``, ``pop2010``,
        ``pop2016`` (int64, Census PEP July-1 estimates; 2000 and 2005 from
        Vintage 2009, 2010 and 2016 from Vintage 2019) and ``note`` (the rule
        applied where a county changed between the vintages, else empty).

    Raises
    ------
    ValueError
        A population that is missing, not a positive whole number, or a
        duplicated county (the message names the column and the row).
    """
    path = resources.files(__package__) / "county_population.csv"
    cols = [f"pop{y}" for y in POPULATION_KNOTS]
    with resources.as_file(path) as p:
        df = pd.read_csv(p, dtype={"fips": "string", "note": "string"}, keep_default_na=False)
        for col in ["fips", *cols, "note"]:
            if col not in df.columns:
                raise ValueError(f"{p}: column {col!r} missing; columns are {list(df.columns)}")
        for col in cols:
            num = pd.to_numeric(df[col], errors="coerce")
            bad = num.isna() | (num <= 0) | (num != num.round())
            if bad.any():
                row = int(np.flatnonzero(bad.to_numpy())[0]) + 2  # file line (header is line 1)
                raise ValueError(
                    f"{p}: line {row}, column {col!r}: expected a positive whole number, "
                    f"got {df.loc[bad, col].iloc[0]!r}"
                )
            df[col] = num.astype("int64")
        dup = df["fips"].duplicated()
        if dup.any():
            raise ValueError(f"{p}: county {df.loc[dup, 'fips'].iloc[0]!r} appears twice")
    return df


def county_population(years=range(2000, 2017)) -> pd.DataFrame:
    """Yearly county populations, log-linearly interpolated between the Census knot years.

    Parameters
    ----------
    years : iterable of int
        Years wanted, each within 2000-2016 (the knots are 2000, 2005, 2010
        and 2016: :data:`POPULATION_KNOTS`).

    Returns
    -------
    pandas.DataFrame
        ``fips`` (string), ``year`` (int64), ``population`` (int64), sorted by
        ``fips, year``. At a knot year the population is the Census value;
        between knots :math:`k_0 < t < k_1` it is
        :math:`\\mathrm{round}(p_{k_0} (p_{k_1}/p_{k_0})^{(t-k_0)/(k_1-k_0)})`,
        a constant growth rate per county and period. The 2005-2010 period
        joins Vintage 2009 to Vintage 2019, so the revision between the two
        vintages is spread over 2006-2009 (no level break at 2010).

    Raises
    ------
    ValueError
        A year outside 2000-2016.
    """
    years = np.asarray(sorted({int(y) for y in years}), dtype="int64")
    lo, hi = POPULATION_KNOTS[0], POPULATION_KNOTS[-1]
    if len(years) == 0 or years.min() < lo or years.max() > hi:
        raise ValueError(f"county_population: years must be within {lo}-{hi}, got {years.tolist()}")
    knots = county_population_knots()
    logp = np.log(knots[[f"pop{y}" for y in POPULATION_KNOTS]].to_numpy(dtype="float64"))
    k = np.asarray(POPULATION_KNOTS, dtype="float64")
    seg = np.clip(np.searchsorted(k, years, side="right") - 1, 0, len(k) - 2)
    frac = (years - k[seg]) / (k[seg + 1] - k[seg])
    vals = logp[:, seg] * (1 - frac) + logp[:, seg + 1] * frac
    pop = np.rint(np.exp(vals)).astype("int64")
    return pd.DataFrame(
        {
            "fips": np.repeat(knots["fips"].to_numpy(), len(years)),
            "year": np.tile(years, len(knots)),
            "population": pop.ravel(),
        }
    ).astype({"fips": "string"})
