"""Panel ``cius_county``: an APPROXIMATION of county-year crime totals from FBI CIUS Tables 8 + 10 (+ 11).

No login needed: CIUS agency tables (cities, sheriffs and county police,
tribal and other agencies) are matched to counties by name through LEAIC
(:mod:`enforcement_crime.panels.matching`) and summed per county and year.
Needs ``fbi_cius``, ``leaic`` and ``census_population``; uses Secure
Communities and 287(g) timing when present. The manifest says
``approximation: true``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from enforcement_crime.panels.common import (
    attach_timing,
    county_names,
    county_population,
    finish_panel,
    rape_count,
    repair_codes,
    round_counts,
    strict_sum,
)
from enforcement_crime.panels.context import TIMING_SOURCES, BuildContext
from enforcement_crime.panels.manifest import Manifest
from enforcement_crime.panels.matching import match_cius_agencies
from enforcement_crime.panels.registry import Built, PanelSpec
from enforcement_crime.schema import OFFENSES, validate_panel


def cius_county_panel(
    tables: Mapping[tuple[str, int], pd.DataFrame] | Iterable[pd.DataFrame],
    crosswalk: pd.DataFrame,
    population: pd.DataFrame,
    timing: pd.DataFrame | None = None,
    years: Iterable[int] | None = None,
    verbose: bool = False,
) -> tuple[pd.DataFrame, Manifest, dict[str, pd.DataFrame]]:
    """APPROXIMATE county-year crime totals from CIUS Tables 8 + 10 (+ 11).

    Parameters
    ----------
    tables : mapping or iterable of DataFrame
        Loaded CIUS tables (:func:`enforcement_crime.sources.fbi_cius.load`).
    crosswalk : pandas.DataFrame
        LEAIC (:func:`enforcement_crime.sources.leaic.load`).
    population : pandas.DataFrame
        Census county population: ``fips, year, population`` (``county_name``
        optional), e.g. :func:`enforcement_crime.sources.census_population.county_population_panel`.
    timing : pandas.DataFrame, optional
        County treatment timing; NaT when omitted.
    years : iterable of int, optional
        Years to build; default every year with both a city table and a
        county table.
    verbose : bool
        Print the match rate per year.

    Returns
    -------
    panel : pandas.DataFrame
        County-year panel (schema columns plus ``n_agencies``, ``n_cities``,
        ``has_county_agency``); ``source`` says APPROXIMATION.
    manifest : Manifest
        ``approximation=True``; row unit "agency-year".
    report : dict of DataFrame
        ``"match_rate"`` (year, table: agencies, matched, rate = matched /
        agencies, statewide_not_allocated (Table 11 state agencies), and for
        cities the population-weighted rate) and ``"unmatched"`` (the
        agencies whose name found no county, with state and name).

    Notes
    -----
    County total :math:`Y_{ct} = \\sum_{a \\in c} y_{at}` over the city police
    departments (Table 8), the sheriff's office or county police (Table 10)
    and, when the year has a Table 11, the tribal and other agencies matched
    to county :math:`c`. It is an approximation: agencies not listed by the
    FBI (non-reporters, agencies below publication thresholds), unmatched
    names and statewide agencies are missing, and a city spanning counties is
    assigned wholly to LEAIC's county. Counts are missing when any
    contributing agency's count is missing. Rape uses the revised definition
    from 2013 where reported, else the legacy one. Coverage is unknown (NaN).
    Counties with no matched agency have no row. Mecklenburg NC has no Table 10
    row: its total is Charlotte-Mecklenburg PD and the other city agencies.
    """
    frames = list(tables.values()) if isinstance(tables, Mapping) else list(tables)
    if not frames:
        raise ValueError("cius_county_panel: no CIUS tables given")
    cius = pd.concat(frames, ignore_index=True)
    dup = cius.duplicated(["table", "year", "state", "agency_group", "agency", "unit"], keep=False)
    if dup.any():
        first = cius.loc[dup, ["table", "year", "state", "agency"]].iloc[0].to_dict()
        raise ValueError(
            f"cius_county_panel: {int(dup.sum())} duplicated agency rows, e.g. {first} "
            "(the same table and year passed twice?)"
        )
    have = cius.groupby("table")["year"].unique().to_dict()
    city_years = set(map(int, have.get("city", [])))
    county_years = set(map(int, have.get("county", [])))
    build_years = (
        sorted(city_years & county_years) if years is None else sorted(int(y) for y in years)
    )
    m = Manifest(panel="cius_county", unit="agency-year", approximation=True)
    m.rows_in = len(cius)
    m.inputs = [
        {"name": f"CIUS {t} table {y}", "file": f.attrs.get("source_file"), "rows": len(f)}
        for f in frames
        for t, y in [(f["table"].iloc[0], int(f["year"].iloc[0]))]
    ]
    m.rules.update(
        approximation="county totals approximated by summing CIUS agency rows matched to counties",
        tables="Table 8 (cities) + Table 10 (sheriffs/county police) + Table 11 (tribal/other) when present",
        rape="revised definition from 2013 where reported, else legacy",
        missing="a county count is missing when any contributing agency's count is missing",
        population="Census county population (input frame)",
        years=build_years,
    )
    m.notes += [
        "APPROXIMATION: built from FBI CIUS agency tables, not county totals. Table 10 lists the sheriff's office "
        "or county police only; cities are matched to counties through LEAIC agency names.",
        "Mecklenburg NC has no Table 10 row (Charlotte-Mecklenburg police is a city agency).",
    ]
    missing_years = [y for y in build_years if y not in city_years or y not in county_years]
    if missing_years:
        raise ValueError(
            f"cius_county_panel: years {missing_years} lack a city table (8) or a county table (10)"
        )
    out_of_years = ~cius["year"].isin(build_years)
    m.drop("year without both a city table and a county table (not built)", int(out_of_years.sum()))
    skipped = sorted(set(cius.loc[out_of_years, "year"].astype(int)))
    if skipped:
        m.notes.append(f"Years with a county table but no city table are not built: {skipped}.")
    work = match_cius_agencies(cius[~out_of_years], crosswalk)

    # match report
    rate = (
        work.assign(matched=work["fips"].notna())
        .groupby(["year", "table"])
        .agg(agencies=("matched", "size"), matched=("matched", "sum"))
    )
    rate["rate"] = rate["matched"] / rate["agencies"]
    city = work[work["table"] == "city"]
    if len(city):
        popw = (
            city.assign(mp=city["population"].where(city["fips"].notna(), 0))
            .groupby("year")[["mp", "population"]]
            .sum()
        )
        rate["population_rate"] = np.nan
        for y, r in popw.iterrows():
            rate.loc[(y, "city"), "population_rate"] = (
                float(r["mp"]) / float(r["population"]) if r["population"] else np.nan
            )
    rate = rate.reset_index()
    rate["statewide_not_allocated"] = (
        work.assign(s=work["match"] == "state agency (not allocated)")
        .groupby(["year", "table"])["s"]
        .sum()
        .to_numpy()
    )
    unmatched = work.loc[
        work["fips"].isna() & (work["match"] == "unmatched"),
        ["year", "table", "state", "agency_group", "agency", "unit", "population", "match"],
    ]
    if verbose:
        for y, g in rate.groupby("year"):
            parts = ", ".join(
                f"{r.table} {r.matched}/{r.agencies} ({r.rate:.1%})" for r in g.itertuples()
            )
            print(f"CIUS county approximation {y}: matched {parts}")
    m.reports["match_rate"] = rate.to_dict(orient="records")
    m.reports["unmatched_count"] = int(len(unmatched))
    m.reports["unmatched_examples"] = unmatched.head(50).astype(str).to_dict(orient="records")

    state_agency = work["match"] == "state agency (not allocated)"
    m.drop("Table 11 state agency (statewide; not allocated to a county)", int(state_agency.sum()))
    nomatch = work["fips"].isna() & ~state_agency
    m.drop("agency name not matched to a county through LEAIC", int(nomatch.sum()))
    work = work[work["fips"].notna()].copy()
    work = repair_codes(work, m)
    pop = county_population(population)
    work = work.merge(pop, on=["fips", "year"], how="left")
    nopop = work["county_population"].isna() | (work["county_population"] <= 0)
    m.drop("county without a Census population for the year", int(nopop.sum()))
    work = work[~nopop].copy()
    work["rape"] = rape_count(work)
    work["is_city"] = work["table"] == "city"
    work["is_county"] = work["table"] == "county"
    sums = strict_sum(work, ["fips", "year"], OFFENSES)
    extra = work.groupby(["fips", "year"]).agg(
        n_agencies=("agency", "size"),
        n_cities=("is_city", "sum"),
        has_county_agency=("is_county", "any"),
        population=("county_population", "first"),
    )
    panel = sums.merge(extra.reset_index(), on=["fips", "year"])
    panel = round_counts(panel, OFFENSES)
    panel["n_agencies"] = panel["n_agencies"].astype("int64")
    panel["n_cities"] = panel["n_cities"].astype("int64")
    panel["coverage"] = np.nan
    m.aggregated = len(work) - len(panel)
    panel = attach_timing(panel, timing, m)
    panel = finish_panel(
        panel,
        "APPROXIMATION: FBI CIUS Tables 8+10(+11) matched to counties via LEAIC 2012",
        county_names(crosswalk, population),
    )
    m.rows_out = len(panel)
    m.check()
    validate_panel(panel, name="cius_county")
    return panel, m, {"match_rate": rate, "unmatched": unmatched.reset_index(drop=True)}


def build(ctx: BuildContext) -> Built:
    """Build ``cius_county`` from the run's raw files (see the module docstring)."""
    ctx.require("cius_county", *SPEC.needs)
    cius = ctx.cius()
    crosswalk, population, timing = ctx.crosswalk(), ctx.population(), ctx.timing()
    frames = [g for _, g in cius.groupby(["table", "year"])]
    panel, man, report = cius_county_panel(frames, crosswalk, population, timing=timing)
    for y, g in report["match_rate"].groupby("year"):
        parts = ", ".join(
            f"{r.table} {r.matched}/{r.agencies} ({r.rate:.1%})" for r in g.itertuples()
        )
        ctx.out(f"  cius_county {y}: match rate {parts}")
    man.inputs = ctx.inputs(*SPEC.needs) + man.inputs
    return Built(panel, man, (*SPEC.needs, *ctx.timing_sources()))


SPEC = PanelSpec(
    name="cius_county",
    needs=("fbi_cius", "leaic", "census_population"),
    optional=TIMING_SOURCES,
    build=build,
    description="county-year APPROXIMATION from CIUS Tables 8+10(+11) matched through LEAIC",
    approximation=True,
)
