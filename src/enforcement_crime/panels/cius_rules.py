"""Steps shared by the CIUS county-year panels (``cius_county*``, ``cius_sheriff*``).

Conventions
-----------
* An **agency** is identified across years by :func:`agency_keys`: a Table 8
  city by the LEAIC ORI7 it matched (else ``city:<state>:<name>``), a Table 10
  agency by its county and kind (``county:<fips>:sheriff`` or
  ``county:<fips>:police``; the kind is "police" when the name contains
  POLICE or PUBLIC SAFETY), a Table 11 agency by state, name and unit.
* An agency-year is **published** when both index totals (``violent`` and
  ``property``) are printed; a blank cell is never read as zero.
* The **population served** by an agency (for ``coverage``): a Table 8 city's
  own population column that year; a Table 10 agency's UCR population in
  LEAIC 2012 (``U_TPOP``: for a sheriff, the population outside the cities
  with their own police; the largest value among the county's LEAIC
  sheriff rows, or among its local-police rows named "COUNTY ... POLICE" for
  a county police department); 0 for Table 11 agencies (airports, parks,
  tribal police: no resident population of their own in UCR terms).
  ``coverage = 100 * min(1, served / county population)`` over the agencies
  counted (capped rows are counted in the manifest).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from enforcement_crime.panels.manifest import Manifest
from enforcement_crime.panels.matching import map_unique, normalise_name

__all__ = [
    "COUNTY_POLICE",
    "table11_rule",
    "city_floor_rule",
    "agency_keys",
    "published",
    "county_agency_population",
    "served_population",
    "coverage",
    "composition_report",
    "composition_summary",
]

#: a Table 10 name that is a county police department (not the sheriff's office)
COUNTY_POLICE = re.compile(r"POLICE|PUBLIC SAFETY", re.IGNORECASE)


def stack_tables(tables, name: str, mark: str) -> tuple[pd.DataFrame, Manifest]:
    """Stack CIUS table frames (a mapping or a list), refuse duplicated agency rows, start the manifest.

    A duplicated (table, year, state, agency group, agency, unit) row means
    the same table and year was passed twice: refused, naming the first one.
    """
    frames = list(tables.values()) if isinstance(tables, Mapping) else list(tables)
    if not frames:
        raise ValueError(f"{name}: no CIUS tables given")
    cius = pd.concat(frames, ignore_index=True)
    dup = cius.duplicated(["table", "year", "state", "agency_group", "agency", "unit"], keep=False)
    if dup.any():
        first = cius.loc[dup, ["table", "year", "state", "agency"]].iloc[0].to_dict()
        raise ValueError(
            f"{name}: {int(dup.sum())} duplicated agency rows, e.g. {first} "
            "(the same table and year passed twice?)"
        )
    m = Manifest(panel=name, unit="agency-year", approximation=True, mark=mark)
    m.rows_in = len(cius)
    m.inputs = [
        {"name": f"CIUS {t} table {y}", "file": f.attrs.get("source_file"), "rows": len(f)}
        for f in frames
        for t, y in [(f["table"].iloc[0], int(f["year"].iloc[0]))]
    ]
    return cius, m


def table11_rule(cius: pd.DataFrame, include: bool, m: Manifest) -> pd.DataFrame:
    """Keep or drop the Table 11 rows (tribal and other agencies; 2013-2015 only) and record it."""
    t11 = (cius["table"] == "state_other").to_numpy(dtype=bool)
    years = sorted(map(int, set(cius.loc[t11, "year"])))
    if include:
        m.rules["table11"] = (
            f"included (--cius-table11): Table 11 tribal and other agencies in {years or 'no year'}"
        )
        if years:
            m.notes.append(
                f"Table 11 (tribal and other agencies) is included but exists only for {years}: "
                "county totals shift up in those years."
            )
        return cius
    m.rules["table11"] = (
        "left out (default): Table 11 exists only for 2013-2015, a level shift inside the "
        "post-period; --cius-table11 adds it"
    )
    m.drop(
        "Table 11 agency left out (the same table set every year; --cius-table11 adds it)",
        t11.sum(),
    )
    return cius[~t11]


def city_floor_rule(cius: pd.DataFrame, floor: int | None, m: Manifest) -> pd.DataFrame:
    """Apply the "cities of ``floor`` and over" rule to every year; leave out years it cannot cover.

    A Table 8 whose ``population_floor`` (the smallest city it lists by
    design: 10,000 for the 2004 copy) exceeds the rule's floor (0 without a
    rule) cannot give the same kind of city as the other years: its city rows
    are dropped, so the year is not built, and the manifest says why.
    """
    from enforcement_crime.sources import fbi_cius

    need = 0 if floor is None else int(floor)
    city = (cius["table"] == "city").to_numpy(dtype=bool)
    if "population_floor" in cius:
        floors = cius.loc[city].groupby("year")["population_floor"].max().fillna(0)
    else:
        floors = pd.Series(dtype="float64")
    partial = sorted(int(y) for y, f in floors.items() if int(f) > need)
    if partial:
        drop = city & cius["year"].isin(partial).to_numpy(dtype=bool)
        what = {y: int(floors[y]) for y in partial}
        m.drop(
            "Table 8 of a year that lists only larger cities than the rule keeps (year not built)",
            drop.sum(),
        )
        hint = (
            "--cius-city-floor 10000 builds every year under the cities-of-10,000-and-over rule"
            if floor is None
            else f"the rule's floor {need:,} is below the table's"
        )
        m.notes.append(
            f"Years {partial} left out: their Table 8 lists only cities of "
            + ", ".join(f"{v:,}+ ({y})" for y, v in what.items())
            + f" and over, not the cities the other years list ({hint})."
        )
        cius = cius[~drop]
    if floor is None:
        m.rules["city_floor"] = (
            "none: every city Table 8 lists (years listing only large cities left out)"
        )
        return cius
    before = len(cius)
    cius = fbi_cius.large_cities(cius, need)
    m.drop(
        f"Table 8 city under {need:,} residents or with a blank population (--cius-city-floor {need})",
        before - len(cius),
    )
    m.rules["city_floor"] = (
        f"cities of {need:,} and over in every year (fbi_cius.large_cities; a city of exactly "
        f"{need:,} stays); Tables 10 and 11 untouched"
    )
    return cius


def agency_keys(work: pd.DataFrame) -> pd.Series:
    """A key identifying each matched agency row across years (see the module docstring)."""
    table = work["table"].astype(str)
    name = map_unique(work["agency"], normalise_name)
    unit = (
        map_unique(work["unit"], normalise_name)
        if "unit" in work
        else pd.Series("", index=work.index)
    )
    st = work["state_fips"].astype("string").fillna("??")
    ori = work["ori"].astype("string") if "ori" in work else pd.Series(pd.NA, index=work.index)
    kind = np.where(
        work["agency"].astype("string").str.contains(COUNTY_POLICE).fillna(False),
        "police",
        "sheriff",
    )
    city_key = ("ori:" + ori).fillna("city:" + st + ":" + name)
    county_key = "county:" + work["fips"].astype("string") + ":" + pd.Series(kind, index=work.index)
    other_key = "other:" + st + ":" + name + ":" + unit
    out = np.where(table == "city", city_key, np.where(table == "county", county_key, other_key))
    return pd.Series(out, index=work.index, dtype="string")


def published(work: pd.DataFrame) -> pd.Series:
    """True where both index totals (violent and property crime) are printed."""
    return (work["violent"].notna() & work["property"].notna()).astype(bool)


def county_agency_population(crosswalk: pd.DataFrame) -> dict[tuple[str, str], float]:
    """``{(fips, "sheriff"|"police"): UCR population served in LEAIC 2012}`` (largest row per county)."""
    cw = crosswalk.dropna(subset=["fips"])
    cw = cw[cw["population"].notna()]
    if "part_of_larger" in cw:
        cw = cw[~cw["part_of_larger"].fillna(False).astype(bool)]
    sheriff = cw[cw["agency_type"] == "sheriff"]
    name = cw["agency_name"].astype("string").fillna("")
    police = cw[
        (cw["agency_type"] == "local police")
        & name.str.contains(r"\bCOUNTY\b", regex=True)
        & name.str.contains(COUNTY_POLICE)
    ]
    out: dict[tuple[str, str], float] = {}
    for kind, frame in (("sheriff", sheriff), ("police", police)):
        best = frame.groupby(frame["fips"].astype(str))["population"].max()
        out.update({(f, kind): float(v) for f, v in best.items()})
    return out


def served_population(work: pd.DataFrame, crosswalk: pd.DataFrame) -> pd.Series:
    """Population served by each agency row (see the module docstring); NaN when unknown."""
    lookup = county_agency_population(crosswalk)
    out = pd.Series(np.nan, index=work.index, dtype="float64")
    city = work["table"] == "city"
    out[city] = work.loc[city, "population"].astype("float64")
    county = work["table"] == "county"
    kinds = work.loc[county, "agency_key"].str.rsplit(":", n=1).str[-1]
    out[county] = [
        lookup.get((str(f), str(k)), np.nan)
        for f, k in zip(work.loc[county, "fips"].tolist(), kinds.tolist(), strict=True)
    ]
    out[work["table"] == "state_other"] = 0.0
    return out


def coverage(served: pd.Series, county_population: pd.Series, m: Manifest) -> pd.Series:
    """``100 * min(1, served / county population)``; capped county-years counted in the manifest."""
    share = 100.0 * served.astype("float64") / county_population.astype("float64")
    capped = int((share > 100).sum())
    m.reports["coverage_capped_at_100"] = capped
    return share.clip(upper=100.0)


def composition_report(
    listed: pd.DataFrame, counted: pd.DataFrame, years: list[int]
) -> pd.DataFrame:
    """Per county and build year: agencies listed, blank, counted; who entered, left, went blank.

    Parameters
    ----------
    listed : pandas.DataFrame
        Every matched agency row of the build window: ``fips, year,
        agency_key, agency, published``.
    counted : pandas.DataFrame
        The rows whose counts enter the county total (same columns).
    years : list of int
        The build years, in order: "entered" and "left" compare a year with
        the previous build year (none for the first).

    Returns
    -------
    pandas.DataFrame
        One row per county and build year from the county's first listed
        year on: ``fips, year, listed, blank, counted, entered, left,
        counted_entered, counted_left, entered_agencies, left_agencies,
        blank_agencies`` (names joined by "; ").
    """
    years = sorted(int(y) for y in years)
    nxt = dict(zip(years[:-1], years[1:], strict=True))

    def moves(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        pres = frame[["fips", "year", "agency_key", "agency"]].drop_duplicates(
            ["fips", "year", "agency_key"]
        )
        shifted = pres.assign(year=pres["year"].map(nxt)).dropna(subset=["year"])
        shifted["year"] = shifted["year"].astype("int64")
        k = ["fips", "year", "agency_key"]
        both = pres.merge(shifted[k], on=k, how="left", indicator=True)
        entered = both[(both["_merge"] == "left_only") & (both["year"] != years[0])]
        gone = shifted.merge(pres[k], on=k, how="left", indicator=True)
        left = gone[gone["_merge"] == "left_only"]
        return entered, left

    ent, lef = moves(listed)
    cent, clef = moves(counted)
    blank = listed[~listed["published"]]
    keys = ["fips", "year"]

    def n(frame: pd.DataFrame) -> pd.Series:
        return frame.drop_duplicates([*keys, "agency_key"]).groupby(keys).size()

    def names(frame: pd.DataFrame) -> pd.Series:
        # the agency names of each (fips, year), sorted and joined; rows missing a key are left out
        groups: dict[tuple, list[str]] = {}
        ok = frame[keys].notna().all(axis=1).to_numpy()
        cols = [frame[c][ok].tolist() for c in (*keys, "agency")]
        for f, y, a in zip(*cols, strict=True):
            groups.setdefault((f, y), []).append(str(a))
        if not groups:
            return frame.groupby(keys)["agency"].agg(lambda s: "; ".join(sorted(map(str, s))))
        joined = {k: "; ".join(sorted(v)) for k, v in groups.items()}
        return pd.Series(
            list(joined.values()), index=pd.MultiIndex.from_tuples(list(joined), names=keys)
        )

    first = listed.groupby("fips")["year"].min()
    grid = pd.DataFrame([(f, y) for f, y0 in first.items() for y in years if y >= y0], columns=keys)
    rep = grid.set_index(keys)
    for col, s in (
        ("listed", n(listed)),
        ("blank", n(blank)),
        ("counted", n(counted)),
        ("entered", n(ent)),
        ("left", n(lef)),
        ("counted_entered", n(cent)),
        ("counted_left", n(clef)),
    ):
        rep[col] = s.reindex(rep.index).fillna(0).astype("int64")
    for col, frame in (
        ("entered_agencies", ent),
        ("left_agencies", lef),
        ("blank_agencies", blank),
    ):
        rep[col] = names(frame).reindex(rep.index).fillna("")
    return rep.reset_index().sort_values(keys).reset_index(drop=True)


def composition_summary(rep: pd.DataFrame, file_name: str) -> dict:
    """The manifest's summary of a :func:`composition_report` (the CSV holds the detail)."""
    change = (rep["entered"] > 0) | (rep["left"] > 0) | (rep["blank"] > 0)
    cchange = (rep["counted_entered"] > 0) | (rep["counted_left"] > 0)
    by_year = (
        rep.groupby("year")[["listed", "blank", "counted", "entered", "left"]].sum().astype(int)
    )
    return {
        "file": file_name,
        "county_years": int(len(rep)),
        "county_years_with_a_listed_agency_entering_leaving_or_blank": int(change.sum()),
        "counties_with_any_such_change": int(rep.loc[change, "fips"].nunique()),
        "county_years_whose_counted_agencies_changed": int(cchange.sum()),
        "by_year": {int(y): r.to_dict() for y, r in by_year.iterrows()},
        "columns": (
            "listed (matched agencies listed), blank (listed without both index totals), counted "
            "(agencies summed), entered / left (listed vs the previous build year), "
            "counted_entered / counted_left (the same for the counted agencies), names"
        ),
    }
