"""Panel ``cius_county``: an APPROXIMATION of county-year crime totals from FBI CIUS Tables 8 + 10.

No login needed: CIUS agency tables (cities, sheriffs and county police, and
on request tribal and other agencies) are matched to counties by name through
LEAIC (:mod:`enforcement_crime.panels.matching`) and summed per county and
year. Needs ``fbi_cius``, ``leaic`` and ``census_population``; uses Secure
Communities and 287(g) timing when present. The manifest says
``approximation: true``; the mark is :data:`MARK`.

Options (``data build`` flags, recorded in ``rules``): ``--cius-city-floor N``
(cities of N and over in every year; 10,000 lets 2004 join),
``--cius-table11`` (add Table 11, 2013-2015 only). The constant-composition
version is its own panel, ``cius_county_constant``
(:mod:`enforcement_crime.panels.cius_county_constant`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from enforcement_crime.panels.build_steps import (
    attach_timing,
    county_names,
    county_population,
    finish_panel,
    rape_count,
    repair_codes,
    round_counts,
    strict_sum,
)
from enforcement_crime.panels.cius_rules import (
    agency_keys,
    city_floor_rule,
    composition_report,
    composition_summary,
    coverage,
    published,
    served_population,
    stack_tables,
    table11_rule,
)
from enforcement_crime.panels.context import TIMING_SOURCES, BuildContext, InputError
from enforcement_crime.panels.manifest import Manifest
from enforcement_crime.panels.matching import match_cius_agencies
from enforcement_crime.panels.spec import Built, PanelSpec
from enforcement_crime.schema import OFFENSES, validate_panel

#: the words every output made from ``cius_county`` carries
MARK = "REAL DATA: FBI CIUS APPROXIMATION OF COUNTY TOTALS"

#: the smallest share of a table's CIUS agencies LEAIC must match in a year: below it the
#: LEAIC or CIUS files are cut, filtered or of another vintage, and the build stops unless
#: ``--accept-changed-raw`` (the manifest then says so)
MATCH_RATE_FLOOR = 0.8
#: the rule of ``cius_county_constant``, as recorded in its manifest
CONSTANT_RULE = (
    "constant composition: only the agencies listed once, with both index totals (violent and "
    "property crime) published, in every year of the window; an agency blank, absent, listed "
    "twice or below "
    "the city floor in any year is left out of every year (the index-total rule, not one rule "
    "per offense: one agency set per county, so every offense column sums the same agencies)"
)


def cius_county_panel(
    tables: Mapping[tuple[str, int], pd.DataFrame] | Iterable[pd.DataFrame],
    crosswalk: pd.DataFrame,
    population: pd.DataFrame,
    timing: pd.DataFrame | None = None,
    years: Iterable[int] | None = None,
    verbose: bool = False,
    *,
    city_floor: int | None = None,
    table11: bool = False,
    constant: bool = False,
    name: str = "cius_county",
) -> tuple[pd.DataFrame, Manifest, dict[str, pd.DataFrame]]:
    r"""APPROXIMATE county-year crime totals from CIUS Tables 8 + 10 (+ 11 on request).

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
        Years to build; default every year with both a city table (of the
        kind the city rule asks for) and a county table.
    verbose : bool
        Print the match rate per year.
    city_floor : int, optional
        Keep only the Table 8 cities of ``city_floor`` residents and over, in
        every year (:func:`enforcement_crime.sources.fbi_cius.large_cities`).
        A year whose Table 8 lists only larger cities (2004: 10,000 and over)
        is built only when ``city_floor`` is at least its floor; without a
        rule it is left out and the manifest says why.
    table11 : bool
        Add the Table 11 tribal and other agencies (2013-2015 only). Default
        False: the same table set every year.
    constant : bool
        Constant composition (:data:`CONSTANT_RULE`): sum only the agencies
        published in every year of the window.
    name : str
        Panel name in the manifest (``cius_county`` or ``cius_county_constant``).

    Returns
    -------
    panel : pandas.DataFrame
        County-year panel (schema columns plus ``n_agencies``, ``n_cities``,
        ``has_county_agency``, ``served_population``); ``coverage`` filled;
        ``source`` says APPROXIMATION.
    manifest : Manifest
        ``approximation=True``; row unit "agency-year"; ``tables["composition"]``.
    report : dict of DataFrame
        ``"match_rate"`` (year, table: agencies, matched, rate = matched /
        agencies, statewide_not_allocated (Table 11 state agencies), and for
        cities the population-weighted rate), ``"unmatched"`` (the agencies
        whose name found no county) and ``"composition"``
        (:func:`~enforcement_crime.panels.cius_rules.composition_report`).

    Notes
    -----
    County total :math:`Y_{ct} = \sum_{a \in A_{ct}} y_{at}` over the city
    police departments (Table 8), the sheriff's office or county police
    (Table 10) and, with ``table11``, the tribal and other agencies matched to
    county :math:`c`; :math:`A_{ct}` is every matched agency listed in year
    :math:`t`, or with ``constant`` the agencies published in every year of
    the window. It is an approximation: agencies not listed by the FBI,
    unmatched names and statewide agencies are missing, and a city spanning
    counties is assigned wholly to LEAIC's county. Counts are missing when any
    contributing agency's count is missing. Rape uses the revised definition
    from 2013 where reported, else the legacy one.

    ``coverage`` :math:`= 100 \min(1, \sum_{a \in A_{ct}} p_{at} / P_{ct})`:
    :math:`p_{at}` is the population served (Table 8 population for a city,
    the LEAIC 2012 UCR population for a sheriff or county police, 0 for a
    Table 11 agency; :mod:`enforcement_crime.panels.cius_rules`) and
    :math:`P_{ct}` the Census county population. Counties with no counted
    agency have no row. Mecklenburg NC has no Table 10 row: its total is
    Charlotte-Mecklenburg PD and the other city agencies.
    """
    cius, m = stack_tables(tables, name, MARK)
    cius = table11_rule(cius, table11, m)
    cius = city_floor_rule(cius, city_floor, m)
    have = cius.groupby("table")["year"].unique().to_dict()
    city_years = set(map(int, have.get("city", [])))
    county_years = set(map(int, have.get("county", [])))
    build_years = (
        sorted(city_years & county_years) if years is None else sorted(int(y) for y in years)
    )
    m.rules.update(
        approximation="county totals approximated by summing CIUS agency rows matched to counties",
        tables="Table 8 (cities) + Table 10 (sheriffs/county police)"
        + (" + Table 11 (tribal/other) where present" if table11 else ""),
        rape="revised definition from 2013 where reported, else legacy",
        missing="a county count is missing when any contributing agency's count is missing",
        population="Census county population (input frame)",
        coverage=(
            "100 * min(1, population served by the agencies counted / Census county population); "
            "served: Table 8 city population; sheriff or county police: LEAIC 2012 UCR population "
            "(U_TPOP, largest row of that kind in the county); Table 11 agencies: 0"
        ),
        composition=CONSTANT_RULE if constant else "every matched agency listed that year",
        years=build_years,
    )
    m.notes += [
        "APPROXIMATION: built from FBI CIUS agency tables, not county totals. Table 10 lists the sheriff's office "
        "or county police only; cities are matched to counties through LEAIC agency names.",
        "Mecklenburg NC has no Table 10 row (Charlotte-Mecklenburg police is a city agency).",
    ]
    if 2004 in build_years:
        m.notes.append(
            "2004: Table 10 omits nonmetropolitan counties under 25,000 residents (about 1,070 "
            "county agencies listed, against 2,200+ from 2005): those counties have only their "
            "cities of 10,000+ in 2004 (cius_county_constant removes such changes)."
        )
    missing_years = [y for y in build_years if y not in city_years or y not in county_years]
    if missing_years:
        raise ValueError(
            f"{name}: years {missing_years} lack a city table (8) or a county table (10)"
        )
    out_of_years = ~cius["year"].isin(build_years)
    m.drop("year without both a city table and a county table (not built)", int(out_of_years.sum()))
    skipped = sorted(set(cius.loc[out_of_years, "year"].astype(int)))
    if skipped:
        m.notes.append(f"Years with a county or city table but not both are not built: {skipped}.")
    work = match_cius_agencies(cius[~out_of_years], crosswalk)

    rate = _match_rate(work)
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
    work["agency_key"] = agency_keys(work)
    work["published"] = published(work)
    listed = work
    if constant:
        # an agency identity held by two rows in one year (Clark IN listed as metropolitan and
        # nonmetropolitan in 2011; Oxford and Oxford Township MI on one LEAIC ORI) is not one
        # agency that year: it cannot count as constant
        rows = work.groupby(["agency_key", "year"])["agency"].transform("size")
        several = work[rows > 1]
        m.reports["agency_years_sharing_an_identity"] = (
            several[["year", "state", "agency", "agency_key"]].astype(str).to_dict(orient="records")
        )
        pub = work[work["published"] & (rows == 1)].groupby("agency_key")["year"].nunique()
        always = set(pub.index[pub == len(build_years)])
        keep = work["agency_key"].isin(always)
        m.drop(
            "agency not listed once with violent and property published in every year of the "
            "window (constant composition)",
            int((~keep).sum()),
        )
        work = work[keep].copy()
        m.reports["constant_agencies"] = len(always)
    work["served"] = served_population(work, crosswalk)
    work["rape"] = rape_count(work)
    work["is_city"] = work["table"] == "city"
    work["is_county"] = work["table"] == "county"
    sums = strict_sum(work, ["fips", "year"], OFFENSES)
    # an agency without a served population adds 0 (whole-number populations: sums are exact)
    served_or_0 = pd.to_numeric(work["served"]).astype("float64").fillna(0.0)
    extra = (
        work.assign(served_or_0=served_or_0)
        .groupby(["fips", "year"])
        .agg(
            n_agencies=("agency", "size"),
            n_cities=("is_city", "sum"),
            has_county_agency=("is_county", "any"),
            population=("county_population", "first"),
            served_population=("served_or_0", "sum"),
        )
    )
    panel = sums.merge(extra.reset_index(), on=["fips", "year"])
    panel = round_counts(panel, OFFENSES)
    panel["n_agencies"] = panel["n_agencies"].astype("int64")
    panel["n_cities"] = panel["n_cities"].astype("int64")
    panel["coverage"] = coverage(panel["served_population"], panel["population"], m)
    m.reports["county_agencies_without_a_leaic_population"] = int(
        (work["is_county"] & work["served"].isna()).sum()
    )
    m.aggregated = len(work) - len(panel)
    panel = attach_timing(panel, timing, m)
    panel = finish_panel(
        panel,
        "APPROXIMATION: FBI CIUS Tables 8+10"
        + ("+11" if table11 else "")
        + (" (constant composition)" if constant else "")
        + " matched to counties via LEAIC 2012",
        county_names(crosswalk, population),
    )
    comp = composition_report(listed, work, build_years)
    m.tables["composition"] = comp
    m.reports["composition"] = composition_summary(comp, f"{name}_composition.csv")
    m.rows_out = len(panel)
    m.check()
    validate_panel(panel, name=name)
    return (
        panel,
        m,
        {"match_rate": rate, "unmatched": unmatched.reset_index(drop=True), "composition": comp},
    )


def _match_rate(work: pd.DataFrame) -> pd.DataFrame:
    """Agencies, matched and rate per year and table (cities also population-weighted)."""
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
    return rate


def _check_match_rate(rates: pd.DataFrame, name: str, ctx: BuildContext, man: Manifest) -> None:
    """Stop (or, with ``--accept-changed-raw``, warn and note) when a match rate is below the floor."""
    low = rates[rates["rate"] < MATCH_RATE_FLOOR]
    if low.empty:
        return
    listing = ", ".join(
        f"{r.year} {r.table} {r.matched}/{r.agencies} ({r.rate:.1%})" for r in low.itertuples()
    )
    files = ", ".join(str(p) for s in ("leaic", "fbi_cius") for p in ctx.files.get(s, [])[:3])
    what = (
        f"{name}: LEAIC matches fewer than {MATCH_RATE_FLOOR:.0%} of the CIUS agencies in "
        f"{listing}; the LEAIC or CIUS files ({files}) look cut short, filtered or of another "
        "vintage"
    )
    if not ctx.options.accept_changed_raw:
        raise InputError(what + " (pass --accept-changed-raw to build from them anyway)")
    ctx.out(f"WARNING {what} (used: --accept-changed-raw)")
    man.notes.append(f"{what}; built anyway (--accept-changed-raw).")


def build_cius_county(ctx: BuildContext, name: str, constant: bool) -> Built:
    """Build ``cius_county`` or ``cius_county_constant`` from the run's raw files and options."""
    ctx.require(name, "fbi_cius", "leaic", "census_population")
    cius = ctx.cius()
    crosswalk, population, timing = ctx.crosswalk(), ctx.population(), ctx.timing()
    frames = [g for _, g in cius.groupby(["table", "year"])]
    opts = ctx.options
    panel, man, report = cius_county_panel(
        frames,
        crosswalk,
        population,
        timing=timing,
        city_floor=opts.cius_city_floor,
        table11=opts.cius_table11,
        constant=constant,
        name=name,
    )
    for y, g in report["match_rate"].groupby("year"):
        parts = ", ".join(
            f"{r.table} {r.matched}/{r.agencies} ({r.rate:.1%})" for r in g.itertuples()
        )
        ctx.out(f"  {name} {y}: match rate {parts}")
    _check_match_rate(report["match_rate"], name, ctx, man)
    comp = man.reports["composition"]
    ctx.out(
        f"  {name}: years {man.rules['years']}; coverage median "
        f"{panel['coverage'].median():.1f}; {comp['county_years_whose_counted_agencies_changed']} "
        f"of {comp['county_years']} county-years change their counted agencies"
    )
    man.rules["options"] = {
        "cius_city_floor": opts.cius_city_floor,
        "cius_table11": opts.cius_table11,
        "constant_composition": constant,
    }
    man.inputs = ctx.inputs("fbi_cius", "leaic", "census_population") + man.inputs
    return Built(panel, man, ("fbi_cius", "leaic", "census_population", *ctx.timing_sources()))


def build(ctx: BuildContext) -> Built:
    """Build ``cius_county`` from the run's raw files (see the module docstring)."""
    return build_cius_county(ctx, "cius_county", constant=False)


SPEC = PanelSpec(
    name="cius_county",
    needs=("fbi_cius", "leaic", "census_population"),
    optional=TIMING_SOURCES,
    build=build,
    description="county-year APPROXIMATION from CIUS Tables 8+10 matched through LEAIC "
    "(2005-2016; 2004 with --cius-city-floor 10000; Table 11 with --cius-table11)",
    approximation=True,
    mark=MARK,
)
