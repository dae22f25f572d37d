"""Panel ``cius_sheriff``: the county agency (sheriff's office or county police) from CIUS Table 10.

FBI CIUS Table 10 lists, per county, the offenses known to the **sheriff's
office or county police department only**: "The data shown in this table do
not reflect county totals" (the FBI's caveat, printed in every table). This
panel keeps exactly that unit, one row per county and year (2005-2016 in the
shared copies; 2004 with ``denominator="county"``): the natural unit for programmes that run through the county
jail (Secure Communities, jail-model 287(g) agreements, which are the
sheriff's). A sheriff's jurisdiction is the county outside the cities with
their own police: rates per 100,000 (``*_rate``, INDICATIVE) use an
APPROXIMATE unincorporated population, ``population_served_est`` (the
county's Census population minus the Table 8 populations of the cities LEAIC
places in the county that year; :func:`unincorporated_population`), so a
city annexing county land does not lower the sheriff's rate by itself; years
without a complete Table 8 are not built. ``*_rate_county_pop`` divide by the
whole county's Census population (``county_population``). The sheriff's UCR
population in LEAIC 2012 is in ``served_population``; ``coverage`` = its
share of the county.

The county agency
-----------------
In the shared copies 31 counties list a sheriff's office **and** a county
police department in the same year (Maryland's large counties, Georgia's
Cobb, Clayton, DeKalb..., Suffolk NY, Horry SC, Gaston NC). There the county
police patrols the unincorporated county and reports almost all of the Table
10 crime; the sheriff's office runs the jail and the courts (Gaston 2007:
police 289 violent and 1,956 property crimes, sheriff 16 and 6). Rule: **in
a county where both are listed in some year of the window, the county police
department is the county agency in every year**, and the sheriff's rows are
set aside (counted in the manifest and listed in
``reports["county_police_counties"]``); a year in which that police
department is not listed has no row (a sheriff-only count would be another
agency, with a tenth of the crime). Summing both would make the county total
jump whenever one of them is not listed (Gaston's police is listed in 2004,
2005, 2007, 2011, 2012 and 2014 only; its sheriff in 2007-2014 and 2016).
Where the two are never listed in the same year, each year's Table 10 row is
the county agency: a county police that is the only county agency (New Castle
DE, Hawaii's and Virginia's county police) or that took over the sheriff's
patrol (Salt Lake UT: the sheriff to 2010, the Unified Police Department from
2011; ``reports["county_police_without_a_sheriff_alongside"]``; the
composition report shows the change).

Gaston County NC (37071) is one of the nine NC 287(g) counties; its
agreement (jail model) is the Gaston County **sheriff's**. The jail books the
arrestees of every agency in the county, the county police's included, so
the county police's jurisdiction (unincorporated Gaston) is exposed to the
agreement like any other part of the county; its series has the six years
above and is therefore not in ``cius_sheriff_balanced``.

Options: ``cius_sheriff_balanced`` (:mod:`enforcement_crime.panels.cius_sheriff_balanced`)
keeps the counties whose county agency is published in every year of the
window. The 2004 Table 10 omits nonmetropolitan counties under 25,000
residents (about 1,070 county agencies listed in 2004, 2,200-2,600 later), so
those counties cannot be balanced over a window with 2004 in it
(``denominator="county"``; the default window starts in 2005).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

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
    composition_report,
    composition_summary,
    coverage,
    published,
    served_population,
    stack_tables,
)
from enforcement_crime.panels.context import TIMING_SOURCES, BuildContext
from enforcement_crime.panels.manifest import Manifest
from enforcement_crime.panels.matching import map_unique, match_cius_agencies, normalise_name
from enforcement_crime.panels.spec import Built, PanelSpec
from enforcement_crime.schema import OFFENSES, validate_panel

__all__ = [
    "MARK",
    "RATE_CAVEAT",
    "UNINCORPORATED_FLOOR_SHARE",
    "complete_table8_years",
    "unincorporated_population",
    "cius_sheriff_panel",
    "build",
    "SPEC",
]

#: the words every output made from ``cius_sheriff`` carries
MARK = "REAL DATA: FBI CIUS SHERIFF JURISDICTIONS"
#: the FBI's caveat, as the manifests and notebooks print it
RATE_CAVEAT = (
    "INDICATIVE RATES: counts are the sheriff's office or county police only (FBI: 'do not "
    "reflect county totals'); *_rate divides them by an APPROXIMATE unincorporated population "
    "(population_served_est = the county's Census population minus the Table 8 populations of "
    "the cities LEAIC places in the county that year, floored at a share of the county); "
    "*_rate_county_pop divides them by the whole county's Census population (county_population)"
)
#: the smallest estimated unincorporated population, as a share of the county's Census
#: population (a county whose Table 8 cities hold nearly all its residents would otherwise get
#: a denominator near or below zero)
UNINCORPORATED_FLOOR_SHARE = 0.05
#: the totals whose rates are also given per whole-county population
_TOTALS = ("violent", "property", "index")


def complete_table8_years(cius: pd.DataFrame) -> list[int]:
    """Years with a Table 8 that lists every reporting city (``population_floor`` 0 or blank)."""
    city = cius[cius["table"] == "city"]
    years = set(map(int, set(city["year"])))
    if "population_floor" in city:
        floors = city.groupby("year")["population_floor"].max().fillna(0)
        years -= {int(y) for y, f in floors.items() if int(f) > 0}
    return sorted(years)


def unincorporated_population(
    cius: pd.DataFrame,
    crosswalk: pd.DataFrame,
    county_pop: pd.DataFrame,
    years: Iterable[int],
    m: Manifest,
    floor_share: float = UNINCORPORATED_FLOOR_SHARE,
) -> pd.DataFrame:
    """Estimated unincorporated population per county and year (an approximation).

    ``population_served_est = county_population - cities_population``, where
    ``cities_population`` sums the ``population`` column of the Table 8 rows
    of that year that LEAIC places in the county (0 when none). A year whose
    Table 8 is absent or lists only larger cities by design
    (``population_floor`` above 0) has no estimate (NaN): the cities it leaves
    out cannot be subtracted, and nothing is filled in. An estimate below
    ``floor_share`` times the county population is raised to it (counted in
    ``m.reports``). Table 8 cities LEAIC does not place in a county are not
    subtracted (counted). A city is followed across years by its LEAIC ORI
    (else its county and name); a year it is not listed in (or listed with a
    blank population) takes the linear interpolation of its listed
    populations, or the nearest listed one before its first or after its
    last listing: a city's police does not stop existing when a year's table
    leaves it out (counted in ``n_cities_filled`` and the reports).

    Parameters
    ----------
    cius : pandas.DataFrame
        Stacked CIUS rows (any tables; the Table 8 rows are read).
    crosswalk : pandas.DataFrame
        LEAIC (places each Table 8 city in a county).
    county_pop : pandas.DataFrame
        ``fips, year, county_population`` (:func:`county_population`).
    years : iterable of int
        The build years.
    m : Manifest
        Receives the rule and the counts (reports only: Table 8 rows are not
        the panel's rows).
    floor_share : float
        The floor as a share of the county population.

    Returns
    -------
    pandas.DataFrame
        ``fips, year, county_population, cities_population, n_cities,
        n_cities_filled, population_served_est, est_floored`` for every county-year of
        ``county_pop`` in ``years``.
    """
    years = sorted(int(y) for y in years)
    city = cius[(cius["table"] == "city") & cius["year"].isin(years)]
    complete = set(complete_table8_years(cius)) & set(years)
    partial = sorted(set(map(int, set(city["year"]))) - complete)
    absent = sorted(set(years) - set(map(int, set(city["year"]))))
    # every complete Table 8 (inside the build years or not) follows a city across years
    every = complete_table8_years(cius)
    city = cius[(cius["table"] == "city") & cius["year"].isin(every)]
    sums = pd.DataFrame(
        columns=["fips", "year", "cities_population", "n_cities", "n_cities_filled"]
    )
    unmatched = blank = 0
    filled_inside = filled_edge = 0
    if len(city):
        work = match_cius_agencies(city, crosswalk)
        nomatch = work["fips"].isna()
        unmatched = int(nomatch.sum())
        work = repair_codes(work[~nomatch].copy(), Manifest(panel="table8 cities", unit="city"))
        blank = int(work["population"].isna().sum())
        name = map_unique(work["agency"], normalise_name)
        ori = work["ori"].astype("string") if "ori" in work else pd.Series(pd.NA, index=work.index)
        work["city"] = work["fips"].astype("string") + ":" + ori.fillna("name:" + name)
        work["population"] = pd.to_numeric(work["population"], errors="coerce").astype("float64")
        listed = work.groupby(["city", "year"])["population"].sum(min_count=1).unstack("year")
        listed = listed.reindex(columns=every)
        inside = listed.interpolate(axis=1, limit_area="inside")
        full = inside.ffill(axis=1).bfill(axis=1)
        cols = sorted(complete)
        listed, inside, full = listed[cols], inside[cols], full[cols]
        filled_inside = int((listed.isna() & inside.notna()).sum().sum())
        filled_edge = int((inside.isna() & full.notna()).sum().sum())
        long = full.stack().rename("population").reset_index()
        long["fips"] = long["city"].str.split(":", n=1).str[0]
        miss = listed.isna().stack().rename("filled").reset_index()
        long = long.merge(miss, on=["city", "year"], how="left")
        sums = (
            long.groupby(["fips", "year"])
            .agg(
                cities_population=("population", "sum"),
                n_cities=("population", "size"),
                n_cities_filled=("filled", "sum"),
            )
            .reset_index()
        )
    sums["fips"] = sums["fips"].astype("string")
    sums["year"] = sums["year"].astype("int64")
    out = county_pop[county_pop["year"].isin(years)].merge(sums, on=["fips", "year"], how="left")
    has = out["year"].isin(sorted(complete))
    out["cities_population"] = out["cities_population"].astype("float64")
    out.loc[has, "cities_population"] = out.loc[has, "cities_population"].fillna(0.0)
    out["n_cities"] = out["n_cities"].astype("Float64")
    out.loc[has, "n_cities"] = out.loc[has, "n_cities"].fillna(0)
    out["n_cities"] = out["n_cities"].astype("Int64")
    out["n_cities_filled"] = out["n_cities_filled"].astype("Float64")
    out.loc[has, "n_cities_filled"] = out.loc[has, "n_cities_filled"].fillna(0)
    out["n_cities_filled"] = out["n_cities_filled"].astype("Int64")
    raw = out["county_population"].astype("float64") - out["cities_population"]
    floor = floor_share * out["county_population"].astype("float64")
    out["est_floored"] = (raw < floor).fillna(False).astype(bool)
    out["population_served_est"] = raw.where(~out["est_floored"], floor).round()
    m.rules["population_served_est"] = (
        "APPROXIMATION of the sheriff's (unincorporated) population: Census county population "
        "minus the summed Table 8 populations of the cities LEAIC places in the county that "
        f"year; floored at {floor_share:.0%} of the county population; missing (the county-year "
        "is not built) where the year's Table 8 is absent or lists only larger cities; cities "
        "that are not listed in a year (not reporting) are not subtracted that year, and a city "
        "straddling counties is subtracted whole from its LEAIC county; a city (LEAIC ORI, else "
        "county and name) missing from a year's Table 8, or listed with a blank population, "
        "between two years that list it takes the linear interpolation of its populations, and "
        "before its first or after its last listing the nearest listed population (its police "
        "is assumed to exist in every build year; counted in reports)"
    )
    m.reports["population_served_est"] = {
        "years_with_table8": sorted(complete),
        "years_without_table8_estimate_missing": absent,
        "years_with_a_partial_table8_estimate_missing": partial,
        "table8_rows_not_placed_in_a_county_not_subtracted": unmatched,
        "table8_rows_with_a_blank_population_filled": blank,
        "city_years_filled_between_listings": filled_inside,
        "city_years_filled_before_first_or_after_last_listing": filled_edge,
        "county_years_floored": int(out["est_floored"].sum()),
        "floor_share_of_county_population": floor_share,
    }
    return out


def cius_sheriff_panel(
    tables: Mapping[tuple[str, int], pd.DataFrame] | Iterable[pd.DataFrame],
    crosswalk: pd.DataFrame,
    population: pd.DataFrame,
    timing: pd.DataFrame | None = None,
    years: Iterable[int] | None = None,
    *,
    balanced: bool = False,
    name: str = "cius_sheriff",
    denominator: str = "unincorporated",
) -> tuple[pd.DataFrame, Manifest]:
    """County-year counts of the county agency (sheriff or county police) from CIUS Table 10.

    Parameters
    ----------
    tables : mapping or iterable of DataFrame
        Loaded CIUS tables (:func:`enforcement_crime.sources.fbi_cius.load`);
        rows of Tables 8 and 11 are counted as dropped (not this panel's unit).
    crosswalk : pandas.DataFrame
        LEAIC (county names, the agencies' UCR populations).
    population : pandas.DataFrame
        Census county population ``fips, year, population``.
    timing : pandas.DataFrame, optional
        County treatment timing; NaT when omitted.
    years : iterable of int, optional
        Years to build; default every year with a Table 10.
    balanced : bool
        Keep only the counties whose county agency is published (violent and
        property crime) in every year of the window: one row per county and year.
    name : str
        Panel name in the manifest.
    denominator : {"unincorporated", "county"}
        ``population`` (the denominator of ``*_rate``): the estimated
        unincorporated population (:func:`unincorporated_population`; a
        county-year without an estimate is not built, counted in the
        manifest), or the whole county's Census population (every county-year
        built; ``population_served_est`` missing where there is no estimate).

    Returns
    -------
    panel : pandas.DataFrame
        Schema columns plus ``county_agency`` ("sheriff" or "county police"),
        ``agency`` (Table 10 name), ``n_agencies`` (Table 10 rows summed),
        ``served_population`` (LEAIC 2012 UCR population of the agency; NaN
        when LEAIC has none), ``coverage`` = 100 min(1, served / county
        population), ``county_population`` (Census),
        ``population_served_est`` (approximate unincorporated population,
        ``Int64``, missing where not estimated), ``population_est_floored``
        and ``*_rate_county_pop`` (per 100,000 county residents).
        ``population`` and ``*_rate`` follow ``denominator``. All rates are
        indicative (:data:`RATE_CAVEAT`).
    manifest : Manifest
        Row unit "agency-year"; ``tables["composition"]`` (per county-year:
        agencies listed, counted, entering, leaving, blank).

    Notes
    -----
    The county agency rule and Gaston NC are explained in the module docstring.
    """
    if denominator not in ("unincorporated", "county"):
        raise ValueError(
            f"{name}: denominator must be 'unincorporated' or 'county', got {denominator!r}"
        )
    cius, m = stack_tables(tables, name, MARK)
    stacked = cius
    is10 = (cius["table"] == "county").to_numpy(dtype=bool)
    m.drop("not a Table 10 row (the sheriff panel reads Table 10 only)", int((~is10).sum()))
    cius = cius[is10]
    have = sorted(map(int, set(cius["year"])))
    build_years = have if years is None else sorted(int(y) for y in years)
    missing = [y for y in build_years if y not in have]
    if missing:
        raise ValueError(f"{name}: no Table 10 for years {missing} (have {have})")
    no_estimate: list[int] = []
    if denominator == "unincorporated":
        t8 = complete_table8_years(stacked)
        no_estimate = [y for y in build_years if y not in t8]
        if years is not None and no_estimate:
            raise ValueError(
                f"{name}: no complete Table 8 for years {no_estimate} (complete: {t8}): the "
                "unincorporated population cannot be estimated; denominator='county' builds them"
            )
        build_years = [y for y in build_years if y in t8]
        if not build_years:
            raise ValueError(
                f"{name}: no Table 10 year has a complete Table 8 (Table 10: {have}; complete "
                f"Table 8: {t8}); denominator='county' builds without the estimate"
            )
    unestimated = cius["year"].isin(no_estimate)
    m.drop(
        "Table 10 row of a year without a complete Table 8 (no unincorporated-population "
        "estimate; year not built)",
        int(unestimated.sum()),
    )
    if no_estimate:
        m.notes.append(
            f"Years {no_estimate} not built: their Table 8 is absent or lists only larger cities, "
            "so the unincorporated population (the rates' denominator) cannot be estimated; "
            "denominator='county' builds them with the whole county's population."
        )
    out_of_years = ~cius["year"].isin(build_years) & ~unestimated
    m.drop("Table 10 row of a year not built", int(out_of_years.sum()))
    out_of_years = out_of_years | unestimated
    m.rules.update(
        unit="the county agency of CIUS Table 10: the sheriff's office, or the county police "
        "department where both are listed in some year (then the sheriff's rows are set aside)",
        rates=RATE_CAVEAT,
        rape="revised definition from 2013 where reported, else legacy",
        missing="a county count is missing when the agency's count is blank",
        denominator=denominator,
        population=(
            "population_served_est (see that rule)"
            if denominator == "unincorporated"
            else "Census county population (denominator='county')"
        )
        + "; county_population = Census county "
        "population (input frame), the denominator of *_rate_county_pop",
        coverage="100 * min(1, LEAIC 2012 UCR population of the county agency (U_TPOP) / Census "
        "county population)",
        years=build_years,
        balanced=(
            "counties whose county agency is published (violent and property) in every year"
            if balanced
            else "no (every county-year listed)"
        ),
    )
    m.notes += [
        "NOT COUNTY TOTALS: FBI CIUS Table 10 counts the sheriff's office or county police only. "
        + RATE_CAVEAT
        + ".",
        "Counties listing a sheriff's office and a county police department in the same year "
        "use the county police as the county agency in every year (the sheriff's rows are set "
        "aside); Gaston NC (37071, a 287(g) county whose jail "
        "agreement is the sheriff's) is one: its county police is listed in 2004, 2005, 2007, "
        "2011, 2012 and 2014 only (see reports.county_police_counties).",
    ]
    if 2004 in build_years:
        m.notes.append(
            "2004: Table 10 omits nonmetropolitan counties under 25,000 residents (about 1,070 "
            "county agencies listed, 2,200-2,600 in later years)."
        )
    work = match_cius_agencies(cius[~out_of_years], crosswalk)
    nomatch = work["fips"].isna()
    m.reports["unmatched"] = (
        work.loc[nomatch, ["year", "state", "agency"]].astype(str).to_dict(orient="records")
    )
    m.drop("agency name not matched to a county through LEAIC", int(nomatch.sum()))
    work = work[~nomatch].copy()
    work = repair_codes(work, m)
    pop = county_population(population)
    work = work.merge(pop, on=["fips", "year"], how="left")
    nopop = work["county_population"].isna() | (work["county_population"] <= 0)
    m.drop("county without a Census population for the year", int(nopop.sum()))
    work = work[~nopop].copy()
    est = unincorporated_population(stacked, crosswalk, pop, build_years, m)
    m.reports["population_served_est"]["table10_years_not_built_without_a_complete_table8"] = (
        no_estimate
    )
    work = work.merge(
        est[["fips", "year", "population_served_est", "est_floored"]],
        on=["fips", "year"],
        how="left",
    )
    noest = work["population_served_est"].isna()
    if denominator == "county":
        noest[:] = False
    m.drop(
        "county-year without an estimated unincorporated population (no complete Table 8 "
        "that year)",
        int(noest.sum()),
    )
    work = work[~noest].copy()
    work["agency_key"] = agency_keys(work)
    work["kind"] = work["agency_key"].str.rsplit(":", n=1).str[-1]
    work["published"] = published(work)
    listed = work

    kinds = work.groupby(["fips", "year"])["kind"].nunique()
    police_counties = set(kinds[kinds > 1].index.get_level_values("fips"))
    aside = (work["kind"] == "sheriff") & work["fips"].isin(police_counties)
    alone = set(work.loc[work["kind"] == "police", "fips"]) - police_counties
    m.reports["county_police_without_a_sheriff_alongside"] = sorted(alone)
    m.drop(
        "sheriff's office of a county whose county police department is the county agency "
        "(both listed in some year)",
        int(aside.sum()),
    )
    both = []
    for f in sorted(police_counties):
        g = work[work["fips"] == f]
        both.append(
            {
                "fips": f,
                "police": str(g.loc[g["kind"] == "police", "agency"].iloc[0]),
                "police_years": sorted(map(int, g.loc[g["kind"] == "police", "year"])),
                "sheriff_years_set_aside": sorted(map(int, g.loc[g["kind"] == "sheriff", "year"])),
            }
        )
    m.reports["county_police_counties"] = both
    work = work[~aside].copy()
    multi = work.groupby(["fips", "year"]).size()
    m.reports["county_years_with_several_table10_rows_summed"] = [
        {"fips": f, "year": int(y), "rows": int(n)} for (f, y), n in multi[multi > 1].items()
    ]
    if balanced:
        pub = work[work["published"]].groupby("fips")["year"].nunique()
        full = set(pub.index[pub == len(build_years)])
        keep = work["fips"].isin(full)
        m.drop(
            f"county whose agency is not published in all {len(build_years)} years (balanced)",
            int((~keep).sum()),
        )
        work = work[keep].copy()
    work["served"] = served_population(work, crosswalk)
    work["rape"] = rape_count(work)
    sums = strict_sum(work, ["fips", "year"], OFFENSES)
    extra = work.groupby(["fips", "year"]).agg(
        n_agencies=("agency", "size"),
        agency=("agency", "first"),
        kind=("kind", "first"),
        county_population=("county_population", "first"),
        population_served_est=("population_served_est", "first"),
        population_est_floored=("est_floored", "first"),
        served_population=("served", "first"),
    )
    panel = sums.merge(extra.reset_index(), on=["fips", "year"])
    panel["population"] = (
        panel["population_served_est"]
        if denominator == "unincorporated"
        else panel["county_population"]
    ).astype("int64")
    panel = round_counts(panel, OFFENSES)
    panel["n_agencies"] = panel["n_agencies"].astype("int64")
    panel["county_agency"] = panel.pop("kind").map(
        {"sheriff": "sheriff", "police": "county police"}
    )
    panel["agency"] = panel["agency"].astype("string")
    panel["coverage"] = coverage(
        panel["served_population"].fillna(0), panel["county_population"], m
    )
    panel.loc[panel["served_population"].isna(), "coverage"] = float("nan")
    m.reports["county_years_without_a_leaic_population"] = int(
        panel["served_population"].isna().sum()
    )
    m.aggregated = len(work) - len(panel)
    panel = attach_timing(panel, timing, m)
    panel = finish_panel(
        panel,
        "FBI CIUS Table 10 county agency (sheriff or county police; NOT county totals; "
        "rates per county population are indicative)",
        county_names(crosswalk, population),
    )
    panel["county_population"] = panel["county_population"].astype("int64")
    panel["population_served_est"] = panel["population_served_est"].round().astype("Int64")
    panel["population_est_floored"] = panel["population_est_floored"].astype("boolean")
    panel.loc[panel["population_served_est"].isna(), "population_est_floored"] = pd.NA
    for total in _TOTALS:
        panel[f"{total}_rate_county_pop"] = (
            panel[total].astype("Float64").astype("float64")
            / panel["county_population"].astype("float64")
            * 1e5
        )
    if balanced:
        per = panel.groupby("fips")["year"].nunique()
        if not (per == len(build_years)).all() or len(panel) != len(per) * len(build_years):
            raise AssertionError(f"{name}: the balanced panel is not one row per county and year")
    comp = composition_report(listed, work, build_years)
    m.tables["composition"] = comp
    m.reports["composition"] = composition_summary(comp, f"{name}_composition.csv")
    m.rows_out = len(panel)
    m.check()
    validate_panel(panel, name=name)
    return panel, m


def build_sheriff(ctx: BuildContext, name: str, balanced: bool) -> Built:
    """Build ``cius_sheriff`` or ``cius_sheriff_balanced`` from the run's raw files."""
    ctx.require(name, "fbi_cius", "leaic", "census_population")
    cius = ctx.cius()
    frames = [g for _, g in cius.groupby(["table", "year"])]
    panel, man = cius_sheriff_panel(
        frames,
        ctx.crosswalk(),
        ctx.population(),
        timing=ctx.timing(),
        balanced=balanced,
        name=name,
    )
    ctx.out(
        f"  {name}: years {man.rules['years']}; {panel['fips'].nunique()} counties, "
        f"{len(panel)} county-years (rates indicative: sheriff jurisdictions)"
    )
    man.inputs = ctx.inputs("fbi_cius", "leaic", "census_population") + man.inputs
    extra: tuple[str, ...] = ()
    if ctx.has("ucr_kaplan_agency", "leaic"):
        compare_with_nc_agency(ctx, panel, man)
        extra = ("ucr_kaplan_agency",)
    else:
        man.notes.append(
            "population_served_est not compared with an agency-reported population served "
            "(ucr_kaplan_agency absent: enforcement_crime.validation.sheriff_population)"
        )
    return Built(
        panel, man, ("fbi_cius", "leaic", "census_population", *extra, *ctx.timing_sources())
    )


def compare_with_nc_agency(ctx: BuildContext, panel: pd.DataFrame, man: Manifest) -> None:
    """Put the NC comparison of ``population_served_est`` with ``nc_agency``'s population served
    into ``man.reports["population_served_est_vs_nc_agency"]`` and a note.

    :func:`enforcement_crime.panels.sheriff_population.summarise` over 2005-2013; an error
    building ``nc_agency`` is recorded there (the comparison is a check, not an input).
    """
    from enforcement_crime.panels.sheriff_population import (
        estimate_vs_population_served,
        summarise,
    )

    try:
        if ctx.resolve is not None:
            agency = ctx.panel("nc_agency").panel
        else:
            from enforcement_crime.panels import nc_agency

            agency = nc_agency.build(ctx).panel
        rep = summarise(estimate_vs_population_served(panel, agency), 2005, 2013)
    except Exception as exc:  # noqa: BLE001 - reported, the sheriff panel does not depend on it
        man.reports["population_served_est_vs_nc_agency"] = {
            "error": f"{type(exc).__name__}: {exc}"
        }
        man.notes.append(
            f"population_served_est could not be compared with nc_agency: {type(exc).__name__}"
        )
        return
    man.reports["population_served_est_vs_nc_agency"] = rep
    man.notes.append(
        "NC check of the approximate unincorporated population (population_served_est) against "
        "the sheriffs' own population served (nc_agency, FBI Return A): over "
        f"{rep['county_years']} county-years of {rep['counties']} counties the ratio estimate / "
        f"served has median {rep['ratio_median']:.3f} (10th-90th percentile "
        f"{rep['ratio_p10']:.3f}-{rep['ratio_p90']:.3f}); the median absolute gap between the "
        f"two log changes 2005-2013 is {rep.get('log_change_gap_median_abs', float('nan')):.3f} "
        "(reports.population_served_est_vs_nc_agency)."
    )


def build(ctx: BuildContext) -> Built:
    """Build ``cius_sheriff`` (see the module docstring)."""
    return build_sheriff(ctx, "cius_sheriff", balanced=False)


SPEC = PanelSpec(
    name="cius_sheriff",
    needs=("fbi_cius", "leaic", "census_population"),
    optional=(*TIMING_SOURCES, "ucr_kaplan_agency"),
    build=build,
    description="county-year sheriff's office or county police from CIUS Table 10 (2005-2016; "
    "not county totals, rates per estimated unincorporated population, indicative)",
    approximation=True,
    mark=MARK,
)
