"""Panel ``icpsr_county``: county-year crime from ICPSR's county-level UCR files (NACJD).

Needs ``ucr_icpsr_county``; uses ``census_population`` (county population,
ICPSR's CPOPCRIM kept beside it) and the timing sources when present.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from enforcement_crime.panels.build_steps import (
    attach_timing,
    county_names,
    county_population,
    finish_panel,
    merge_county_codes,
)
from enforcement_crime.panels.context import TIMING_SOURCES, BuildContext
from enforcement_crime.panels.manifest import Manifest
from enforcement_crime.panels.spec import Built, PanelSpec
from enforcement_crime.schema import OFFENSES, validate_panel


def icpsr_county_panel(
    frames: Iterable[pd.DataFrame] | pd.DataFrame,
    population: pd.DataFrame | None = None,
    timing: pd.DataFrame | None = None,
    min_coverage: float | None = None,
) -> tuple[pd.DataFrame, Manifest]:
    """County-year panel from ICPSR county-level UCR files.

    Parameters
    ----------
    frames : DataFrame or iterable of DataFrame
        :func:`enforcement_crime.sources.ucr_icpsr_county.load` outputs (one per year).
    population : pandas.DataFrame, optional
        Census county population (``fips, year, population``). When given it
        is the rate denominator; otherwise ICPSR's ``CPOPCRIM``.
    timing : pandas.DataFrame, optional
        County treatment timing; NaT when omitted.
    min_coverage : float, optional
        Drop county-years whose coverage indicator is below this value
        (recorded in the manifest).

    Notes
    -----
    ICPSR's own rule applies (3-11 months scaled by 12/months, 0-2 months
    imputed); rows flagged ``no_data`` (coverage 0 and every offense 0) keep
    missing counts. Rows whose county code is 000 or 999 (statewide
    pseudo-counties) are dropped.
    """
    frames = [frames] if isinstance(frames, pd.DataFrame) else list(frames)
    if not frames:
        raise ValueError("icpsr_county_panel: no ICPSR frames given")
    df = pd.concat(frames, ignore_index=True)
    m = Manifest(panel="icpsr_county", unit="county-year")
    m.rows_in = len(df)
    m.inputs = [
        {
            "name": "ICPSR county-level UCR",
            "file": f.attrs.get("source_file"),
            "year": int(f["year"].iloc[0]),
            "rows": len(f),
        }
        for f in frames
    ]
    m.rules.update(
        coverage_rule="ICPSR's (scale 3-11 months by 12/months; impute 0-2 months)",
        no_data="coverage 0 with all offenses 0 -> counts missing",
    )
    dup = df.duplicated(["fips", "year"], keep=False)
    if dup.any():
        raise ValueError(
            f"icpsr_county_panel: duplicate county-years, e.g. {df.loc[dup, ['fips', 'year']].iloc[0].to_dict()} "
            "(the same year passed twice?)"
        )
    pseudo = df["county_fips"].isin(["000", "999"])
    m.drop("statewide pseudo-county (county code 000 or 999)", int(pseudo.sum()))
    df = df[~pseudo].copy()
    sums = [
        "population",
        "population_arrests",
        "agencies_offenses",
        "agencies_arrests",
        "index_total",
        "modified_index",
        "violent",
        "property",
        *OFFENSES,
        "arson",
    ]
    df = merge_county_codes(df, m, sums)
    if min_coverage is not None:
        low = (df["coverage"] < float(min_coverage)).fillna(True)
        m.drop(f"coverage indicator below {min_coverage}", int(low.sum()))
        df = df[~low].copy()
        m.rules["min_coverage"] = float(min_coverage)
    if population is not None:
        pop = county_population(population)
        df = df.merge(pop, on=["fips", "year"], how="left")
        nopop = df["county_population"].isna() | (df["county_population"] <= 0)
        m.drop("county without a Census population for the year", int(nopop.sum()))
        df = df[~nopop].copy()
        df["population_icpsr"] = df["population"]
        df["population"] = df["county_population"]
        m.rules["population"] = (
            "Census county population (input frame); ICPSR CPOPCRIM kept as population_icpsr"
        )
    else:
        nopop = df["population"].isna() | (df["population"] <= 0)
        m.drop("population (CPOPCRIM) missing or zero", int(nopop.sum()))
        df = df[~nopop].copy()
        m.rules["population"] = "ICPSR CPOPCRIM (population covered for offenses)"
    keep = [
        "fips",
        "year",
        "population",
        "coverage",
        "no_data",
        *OFFENSES,
        "arson",
        "agencies_offenses",
    ]
    if "population_icpsr" in df:
        keep.append("population_icpsr")
    panel = df[keep].copy()
    panel = attach_timing(panel, timing, m)
    panel = finish_panel(
        panel, "ICPSR county-level UCR files (NACJD)", county_names(None, population)
    )
    m.rows_out = len(panel)
    m.check()
    validate_panel(panel, name="icpsr_county")
    return panel, m


def build(ctx: BuildContext) -> Built:
    """Build ``icpsr_county`` from the run's raw files (see the module docstring)."""
    ctx.require("icpsr_county", *SPEC.needs)
    frames = ctx.load_all("ucr_icpsr_county")
    population = ctx.population()
    panel, man = icpsr_county_panel(frames, population, timing=ctx.timing())
    man.inputs = ctx.inputs("ucr_icpsr_county", "census_population") + man.inputs
    used = ("ucr_icpsr_county", *(("census_population",) if population is not None else ()))
    return Built(panel, man, (*used, *ctx.timing_sources()))


SPEC = PanelSpec(
    name="icpsr_county",
    needs=("ucr_icpsr_county",),
    optional=("census_population", *TIMING_SOURCES),
    build=build,
    description="county-year from ICPSR's county-level UCR files",
    mark="REAL DATA: ICPSR COUNTY-LEVEL UCR",
)
