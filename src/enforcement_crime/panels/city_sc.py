"""Panel ``city_sc``: city-year crime of municipal police agencies with their county's SC date.

The Treyger, Chalfin & Loeffler (2014) design: cities above a population
threshold (``--min-population``, default 50,000, median over the years),
each with the Secure Communities activation date of its county. Built from
Kaplan's agency data (``ucr_kaplan``, 12-month reporters) when present, else
from CIUS Table 8 (``fbi_cius`` + ``leaic``; then ``approximation: true``,
because the county of a city comes from name matching). The key is
``(city_id, year)``; :func:`validate_city_panel` checks it.
"""

from __future__ import annotations

import pandas as pd

from enforcement_crime.panels.build_steps import (
    attach_timing,
    county_names,
    finish_panel,
    rape_count,
    repair_codes,
    round_counts,
)
from enforcement_crime.panels.context import TIMING_SOURCES, BuildContext
from enforcement_crime.panels.manifest import Manifest
from enforcement_crime.panels.matching import map_unique, match_cius_agencies, normalise_name
from enforcement_crime.panels.spec import Built, PanelSpec
from enforcement_crime.schema import OFFENSES, REQUIRED_COLUMNS
from enforcement_crime.schema import validate_city_panel as schema_validate_city_panel

#: column order of the city panel's leading columns (the schema's required columns, reordered
#: so the city's identifiers and its county come first)
CITY_REQUIRED_COLUMNS: tuple[str, ...] = (
    "city_id",
    "city",
    "ori",
    "fips",
    "year",
    "state_fips",
    "state",
    "county_name",
    "population",
) + tuple(
    c
    for c in REQUIRED_COLUMNS
    if c not in ("fips", "year", "state_fips", "state", "county_name", "population")
)


def validate_city_panel(df: pd.DataFrame, name: str = "city panel") -> pd.DataFrame:
    """Check a city-year panel against the pandera city-year schema; return it unchanged.

    Delegates to :func:`enforcement_crime.schema.validate_city_panel`
    (:data:`enforcement_crime.schema.CITY_YEAR`: the county schema with the
    key ``(city_id, year)``, ``fips`` the city's county). Kept here so that
    the panel's registry entry and older imports name one function.

    Raises
    ------
    PanelSchemaError
        As :func:`enforcement_crime.schema.validate_panel`, naming the city rows.
    """
    return schema_validate_city_panel(df, name=name)


def city_panel(
    cities: pd.DataFrame,
    crosswalk: pd.DataFrame,
    timing: pd.DataFrame | None = None,
    min_population: int = 50_000,
) -> tuple[pd.DataFrame, Manifest]:
    """City-year panel of municipal police agencies above a population threshold.

    Parameters
    ----------
    cities : pandas.DataFrame
        CIUS Table 8 rows (:func:`enforcement_crime.sources.fbi_cius.load`, any years).
    crosswalk : pandas.DataFrame
        LEAIC, to find each city's county (and ORI).
    timing : pandas.DataFrame, optional
        County timing; each city gets its county's SC activation date (and
        287(g) dates, for reference).
    min_population : int
        Keep a city when its median population over the years listed is at
        least this (default 50,000; Treyger et al. studied "medium and large"
        cities, a threshold the brief does not give: 50,000 is the UCR
        population group 3 lower bound and is our choice). Membership is
        fixed over years so the panel does not gain or lose cities as
        populations cross the threshold.

    Returns
    -------
    panel, manifest
        Passes :func:`validate_city_panel`.
    """
    c = cities[cities["table"] == "city"].copy() if "table" in cities else cities.copy()
    m = Manifest(panel="city_sc", unit="city-year")
    m.rows_in = len(cities)
    m.drop("not a Table 8 city row", len(cities) - len(c))
    m.rules.update(
        min_population=int(min_population),
        membership="median population over the years listed >= min_population",
        rape="revised definition from 2013 where reported, else legacy",
        county="LEAIC 2012 county of the matched local police department",
    )
    m.inputs.append(
        {"name": "CIUS Table 8 (cities)", "years": sorted(map(int, c["year"].unique()))}
    )
    matched = match_cius_agencies(c, crosswalk)
    unmatched = matched["fips"].isna()
    m.drop("city not matched to a county through LEAIC", int(unmatched.sum()))
    matched = matched[~unmatched].copy()
    matched = repair_codes(matched, m)
    nopop = matched["population"].isna() | (matched["population"] <= 0)
    m.drop("population missing or zero", int(nopop.sum()))
    matched = matched[~nopop].copy()
    matched["city_id"] = (
        matched["ori"]
        .fillna(matched["state_fips"] + ":" + map_unique(matched["agency"], normalise_name))
        .astype("string")
    )
    med = matched.groupby("city_id")["population"].transform("median")
    small = med < min_population
    m.drop(f"median population below {min_population}", int(small.sum()))
    matched = matched[~small].copy()
    dup = matched.duplicated(["city_id", "year"], keep=False)
    if dup.any():
        # two CIUS rows matched to one LEAIC agency: keep them apart by name
        matched.loc[dup, "city_id"] = (
            matched.loc[dup, "city_id"]
            + ":"
            + map_unique(matched.loc[dup, "agency"], normalise_name)
        )
        m.notes.append(
            f"{int(dup.sum())} city rows shared a LEAIC ORI; their city_id adds the name."
        )
    matched["rape"] = rape_count(matched)
    panel = matched[
        ["city_id", "ori", "agency", "fips", "year", "population", *OFFENSES, "match"]
    ].rename(columns={"agency": "city"})
    panel = round_counts(panel, OFFENSES)
    panel = attach_timing(panel, timing, m)
    panel = finish_panel(
        panel, "FBI CIUS Table 8 cities, county via LEAIC 2012", county_names(crosswalk, None)
    )
    panel = panel.sort_values(["city_id", "year"]).reset_index(drop=True)
    lead = list(CITY_REQUIRED_COLUMNS)
    panel = panel[lead + [c for c in panel.columns if c not in lead]]
    m.rows_out = len(panel)
    m.check()
    validate_city_panel(panel, name="city_sc")
    return panel, m


def city_panel_from_agencies(
    agencies: pd.DataFrame,
    crosswalk: pd.DataFrame | None = None,
    timing: pd.DataFrame | None = None,
    min_population: int = 50_000,
    coverage_rule: str = "full12",
) -> tuple[pd.DataFrame, Manifest]:
    """City-year panel of municipal police agencies from Kaplan's agency-year Return A data.

    Parameters
    ----------
    agencies : pandas.DataFrame
        :func:`enforcement_crime.sources.ucr_kaplan.load` output.
    crosswalk : pandas.DataFrame, optional
        LEAIC: the agency type (``"local police"``) and county of each ORI.
        Without it, Kaplan's ``agency_type`` (containing "local police" or
        "city") and the file's FIPS are used.
    timing : pandas.DataFrame, optional
        County timing; each city gets its county's dates.
    min_population : int
        Median population over the years at least this (default 50,000, as
        :func:`city_panel`).
    coverage_rule : {"full12", "scale"}
        ``"full12"`` keeps agency-years with 12 months reported; ``"scale"``
        also keeps 3-11 months scaled by 12/months. (ICPSR-style imputation
        is a county-level device and is not offered for cities.)

    Returns
    -------
    panel, manifest
        Passes :func:`validate_city_panel`; ``coverage`` is 100 * months / 12
        and ``months_reported`` the agency's months.
    """
    if coverage_rule not in ("full12", "scale"):
        raise ValueError(
            f"coverage_rule must be 'full12' or 'scale' for cities, got {coverage_rule!r}"
        )
    dup = agencies.duplicated(["ori", "year"], keep=False)
    if dup.any():
        raise ValueError(
            f"city_panel_from_agencies: rows share an (ori, year), e.g. {agencies.loc[dup, ['ori', 'year']].iloc[0].to_dict()}"
        )
    m = Manifest(panel="city_sc", unit="agency-year")
    m.rows_in = len(agencies)
    m.rules.update(
        min_population=int(min_population),
        coverage_rule=coverage_rule,
        membership="median population over the years listed >= min_population",
        agencies="municipal (local) police departments",
    )
    a = agencies.reset_index(drop=True).copy()
    a["ori"] = a["ori"].astype("string")
    if crosswalk is not None:
        cw = crosswalk.dropna(subset=["ori7"]).set_index("ori7")
        kind = a["ori"].map(cw["agency_type"])
        local = (kind == "local police").fillna(False).to_numpy(dtype=bool)
        a["fips"] = a["ori"].map(cw["fips"]).astype("string").fillna(a["fips"])
        m.rules["agency_type"] = "LEAIC 2012 AGCYTYPE local police department"
    else:
        local = (
            a["agency_type"]
            .astype("string")
            .str.contains("local police|city", case=False, regex=True)
            .fillna(False)
            .to_numpy(dtype=bool)
        )
        m.rules["agency_type"] = "Kaplan agency_type containing 'local police' or 'city'"
    m.drop("not a municipal police agency", int((~local).sum()))
    a = a[local].copy()
    nofips = ~a["fips"].astype("string").str.fullmatch(r"\d{5}").fillna(False).to_numpy(dtype=bool)
    m.drop("no county for the ORI", int(nofips.sum()))
    a = repair_codes(a[~nofips].copy(), m)
    nopop = (a["population"].isna() | (a["population"] <= 0)).to_numpy(dtype=bool)
    m.drop("population missing or zero", int(nopop.sum()))
    a = a[~nopop].copy()
    med = a.groupby("ori")["population"].transform("median")
    small = (med < min_population).to_numpy(dtype=bool)
    m.drop(f"median population below {min_population}", int(small.sum()))
    a = a[~small].copy()
    months = a["months_reported"].astype("Int64")
    keep = (months == 12) if coverage_rule == "full12" else (months >= 3)
    keep = keep.fillna(False).to_numpy(dtype=bool)
    m.drop(f"months reported below the rule {coverage_rule}", int((~keep).sum()))
    a = a[keep].copy()
    w = 12.0 / a["months_reported"].astype("float64")
    for c in OFFENSES:
        a[c] = (a[c].astype("Float64") * w).round().astype("Int64")
    a["coverage"] = 100.0 * a["months_reported"].astype("float64") / 12
    panel = a[
        [
            "ori",
            "agency_name",
            "fips",
            "year",
            "population",
            "months_reported",
            "coverage",
            *OFFENSES,
        ]
    ].rename(columns={"agency_name": "city"})
    panel["city_id"] = panel["ori"]
    panel = attach_timing(panel, timing, m)
    panel = finish_panel(
        panel,
        f"UCR Return A (Kaplan) municipal police; rule {coverage_rule}",
        county_names(crosswalk, None),
    )
    panel = panel.sort_values(["city_id", "year"]).reset_index(drop=True)
    panel = panel[
        list(CITY_REQUIRED_COLUMNS) + [c for c in panel.columns if c not in CITY_REQUIRED_COLUMNS]
    ]
    m.rows_out = len(panel)
    m.check()
    validate_city_panel(panel, name="city_sc")
    return panel, m


def build(ctx: BuildContext) -> Built:
    """Build ``city_sc``: from Kaplan's agency data when present, else from CIUS Table 8."""
    min_population = ctx.options.min_population
    crosswalk = ctx.crosswalk()
    if ctx.has("ucr_kaplan"):
        panel, man = city_panel_from_agencies(
            ctx.kaplan(), crosswalk, timing=ctx.timing(), min_population=min_population
        )
        man.inputs = ctx.inputs("ucr_kaplan", "leaic") + man.inputs
        ctx.out("  city_sc built from Kaplan's agency data (12-month reporters)")
        used = ("ucr_kaplan", *(("leaic",) if crosswalk is not None else ()))
    else:
        ctx.require("city_sc", "fbi_cius", "leaic")
        panel, man = city_panel(
            ctx.cius(), crosswalk, timing=ctx.timing(), min_population=min_population
        )
        man.inputs = ctx.inputs("fbi_cius", "leaic") + man.inputs
        used = ("fbi_cius", "leaic")
        return Built(panel, man, (*used, *ctx.timing_sources()), mark=CIUS_MARK)
    return Built(panel, man, (*used, *ctx.timing_sources()), mark=KAPLAN_MARK)


#: the mark of ``city_sc`` built from CIUS Table 8
CIUS_MARK = "REAL DATA: FBI CIUS TABLE 8 CITIES"
#: the mark of ``city_sc`` built from Kaplan's Return A agency files
KAPLAN_MARK = "REAL DATA: UCR RETURN A CITIES (KAPLAN AGENCY FILES)"


SPEC = PanelSpec(
    name="city_sc",
    needs=("ucr_kaplan",),
    alternatives=(("fbi_cius", "leaic"),),
    optional=("leaic", *TIMING_SOURCES),
    build=build,
    description="city-year, municipal police above --min-population, county SC date "
    "(Kaplan agencies, else CIUS Table 8)",
    validate=validate_city_panel,
    mark=KAPLAN_MARK,
)
