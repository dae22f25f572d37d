"""Panel ``icpsr_arrests``: county-year arrests from ICPSR's county-level UCR files, part 1.

Built from *Uniform Crime Reporting Program Data: County-Level Detailed
Arrest and Offense Data*, data set 1 ("Arrests, All Ages"), one ICPSR study
per year (:mod:`enforcement_crime.sources.ucr_icpsr_arrests`). Needs
``ucr_icpsr_arrests``; uses ``census_population`` (the rate denominator) and
the treatment timing sources when present. These are **arrests**, not
offenses known: an outcome beside the crime panels, never a crime rate.

Columns
-------
``fips``, ``year``, ``state_fips``, ``state``, ``county_name``;
``population`` (the Census county population when ``census_population`` is
read, else ICPSR's ``CPOPARST``), ``population_icpsr`` (``CPOPARST``, the
population covered for arrests), ``agencies`` (``AG_ARRST``), ``coverage``
(ICPSR's coverage indicator, 0-100), ``no_data``; the counts
(:data:`COUNTS`, nullable integers) ``arrests_total`` (``GRNDTOT``),
``arrests_part1`` (``P1TOT``), ``arrests_violent`` (``P1VLNT``),
``arrests_property`` (``P1PRPTY``, arson included as in ICPSR's Part I
property arrests) and ``arrests_drug`` (``DRUGTOT``); each count per 100,000
``population`` as ``<count>_rate``; the county treatment timing
(``sc_activation_date``, ``g287_start``, ``g287_end``, ``g287_model``;
NaT when the timing inputs are absent); ``source``; ``is_synthetic``
(False).

Rows
----
One row per county and year of the files read. Statewide pseudo-counties
(county codes 000, 777 and 999: agencies ICPSR did not allocate to a county)
and codes that are no Census county are dropped and counted; county codes are
repaired with :mod:`enforcement_crime.panels.fips` (a merge sums the counts,
missing when a part is, and keeps the lower coverage); county-years without a
population are dropped and counted. Rows the loader flags ``no_data``
(coverage 0 and every count 0) stay, with missing counts. ICPSR's own
imputation applies (agencies reporting 0-2 months imputed, 3-11 months
scaled). A year between the first and the last year read that has no file
(2009 and 2011 in the shared copies: ICPSR 30763 and 34582 were not found)
has no rows: the manifest states it (``rules.years_missing``,
``reports.years_missing``, a note); nothing is imputed.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from enforcement_crime.panels.build_steps import (
    attach_timing,
    check_counts,
    county_names,
    county_population,
    merge_county_codes,
    row_failure,
)
from enforcement_crime.panels.context import TIMING_SOURCES, BuildContext
from enforcement_crime.panels.manifest import Manifest
from enforcement_crime.panels.spec import Built, PanelSpec
from enforcement_crime.panels.states import STATE_POSTAL

__all__ = [
    "MARK",
    "COUNTS",
    "RATES",
    "PSEUDO_COUNTIES",
    "icpsr_arrests_panel",
    "validate_icpsr_arrests",
    "build",
    "SPEC",
]

#: the words every output made from ``icpsr_arrests`` carries
MARK = "REAL DATA: ICPSR COUNTY-LEVEL UCR ARRESTS (ARRESTS, NOT OFFENSES)"
#: the arrest counts of the panel (the loader's aliases)
COUNTS: tuple[str, ...] = (
    "arrests_total",
    "arrests_part1",
    "arrests_violent",
    "arrests_property",
    "arrests_drug",
)
#: the rates per 100,000 population, one per count
RATES: tuple[str, ...] = tuple(f"{c}_rate" for c in COUNTS)
#: ICPSR county codes that are no county (statewide and unallocated agencies)
PSEUDO_COUNTIES: tuple[str, ...] = ("000", "777", "999")
_SOURCE = "ICPSR county-level UCR files, part 1: arrests, all ages (NACJD)"


def _rate(count: pd.Series, population: pd.Series) -> pd.Series:
    n = count.astype("Float64")
    d = population.astype("Float64")
    return (n / d.where(d > 0) * 1e5).astype("float64")


def icpsr_arrests_panel(
    frames: Iterable[pd.DataFrame] | pd.DataFrame,
    population: pd.DataFrame | None = None,
    timing: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, Manifest]:
    """County-year arrests panel from ICPSR part 1 files (see the module docstring).

    Parameters
    ----------
    frames : DataFrame or iterable of DataFrame
        :func:`enforcement_crime.sources.ucr_icpsr_arrests.load` outputs, one per year.
    population : pandas.DataFrame, optional
        Census county population (``fips, year, population``): the rate
        denominator. Without it, ICPSR's ``CPOPARST``.
    timing : pandas.DataFrame, optional
        County treatment timing; NaT when omitted.

    Returns
    -------
    panel : pandas.DataFrame
        One row per ``(fips, year)``.
    manifest : Manifest
        Unit "county-year row of an ICPSR arrests file"; the years read, the
        years missing between the first and the last, every dropped row by
        reason.

    Raises
    ------
    ValueError
        No frame, a year given twice, a missing column.
    """
    from enforcement_crime.sources.ucr_icpsr_arrests import STUDY_YEARS

    frames = [frames] if isinstance(frames, pd.DataFrame) else list(frames)
    if not frames:
        raise ValueError("icpsr_arrests_panel: no ICPSR arrests frames given")
    need = ["fips", "county_fips", "year", "population", "agencies", "coverage", "no_data"]
    for f in frames:
        missing = [c for c in [*need, *COUNTS] if c not in f.columns]
        if missing:
            raise ValueError(
                f"icpsr_arrests_panel: {f.attrs.get('source_file', 'a frame')} lacks column(s) "
                f"{missing} (not a ucr_icpsr_arrests.load output?)"
            )
    years_of = [sorted({int(y) for y in f["year"].dropna()}) for f in frames]
    flat = [y for ys in years_of for y in ys]
    twice = sorted({y for y in flat if flat.count(y) > 1})
    if twice:
        files = [
            str(f.attrs.get("source_file"))
            for f, ys in zip(frames, years_of, strict=True)
            if twice[0] in ys
        ]
        raise ValueError(
            f"icpsr_arrests_panel: year {twice[0]} comes from {len(files)} files ({files}); "
            "one file per year expected"
        )
    df = pd.concat(frames, ignore_index=True)
    m = Manifest(panel="icpsr_arrests", unit="county-year row of an ICPSR arrests file")
    m.rows_in = len(df)
    m.inputs = [
        {
            "name": "ICPSR county-level UCR arrests (part 1)",
            "file": f.attrs.get("source_file"),
            "layout": f.attrs.get("layout"),
            "year": ys[0] if ys else None,
            "rows": len(f),
        }
        for f, ys in zip(frames, years_of, strict=True)
    ]
    present = sorted(set(flat))
    gaps = [y for y in range(present[0], present[-1] + 1) if y not in present]
    study_of = {y: s for s, y in STUDY_YEARS.items()}
    m.rules.update(
        years=present,
        years_missing=gaps,
        counts="GRNDTOT, P1TOT, P1VLNT, P1PRPTY (arson included), DRUGTOT as arrests_total, "
        "arrests_part1, arrests_violent, arrests_property, arrests_drug",
        coverage_rule="ICPSR's (agencies reporting 0-2 months imputed, 3-11 months scaled)",
        no_data="coverage 0 with every count 0 -> counts missing (kept as rows)",
    )
    if gaps:
        m.reports["years_missing"] = {
            str(y): f"no ICPSR arrests file for {y}"
            + (f" (study {study_of[y]})" if y in study_of else "")
            + " among the raw files: no rows, nothing imputed"
            for y in gaps
        }
        m.notes.append(
            f"Years without a file between {present[0]} and {present[-1]}: "
            f"{', '.join(map(str, gaps))} (no rows for them; nothing imputed)."
        )
    pseudo = df["county_fips"].astype("string").isin(PSEUDO_COUNTIES).fillna(False)
    m.drop(
        "statewide pseudo-county (county code 000, 777 or 999: agencies not allocated to a county)",
        int(pseudo.sum()),
    )
    df = df[~pseudo.to_numpy()].copy()
    df["fips"] = df["fips"].astype("string")
    df = df[["fips", "year", "population", "agencies", "coverage", "no_data", *COUNTS]]
    df = merge_county_codes(df, m, ("population", "agencies", *COUNTS))
    df["population_icpsr"] = df["population"].astype("Int64")
    if population is not None:
        pop = county_population(population)
        df = df.merge(pop, on=["fips", "year"], how="left")
        df["population"] = df.pop("county_population")
        m.rules["population"] = (
            "Census county population (input frame); ICPSR CPOPARST kept as population_icpsr"
        )
        why = "county without a Census population for the year"
    else:
        m.rules["population"] = "ICPSR CPOPARST (population covered for arrests)"
        why = "population (CPOPARST) missing or zero"
    nopop = (df["population"].isna() | (df["population"] <= 0)).to_numpy(dtype=bool)
    m.drop(why, int(nopop.sum()))
    df = df[~nopop].copy()
    df["population"] = df["population"].astype("int64")
    for c in COUNTS:
        df[c] = df[c].astype("Int64")
        df[f"{c}_rate"] = _rate(df[c], df["population"])
    df["agencies"] = df["agencies"].astype("Int64")
    df["coverage"] = df["coverage"].astype("float64")
    df["no_data"] = df["no_data"].astype(bool)
    gap = (df["arrests_part1"] - df["arrests_violent"] - df["arrests_property"]).abs()
    m.reports["rows_part1_not_violent_plus_property"] = {
        "by_1": int((gap == 1).sum()),
        "by_more_than_1": int((gap > 1).sum()),
    }
    m.rules["arrests_part1"] = (
        "ICPSR's P1TOT as published (not recomputed): ICPSR rounds each imputed count on its "
        "own, so P1TOT can differ from P1VLNT + P1PRPTY by one"
    )
    m.reports["rows_no_data"] = int(df["no_data"].sum())
    m.reports["rows_coverage_below_100"] = int((df["coverage"] < 100).sum())
    panel = attach_timing(df, timing, m)
    panel["year"] = panel["year"].astype("int64")
    panel["state_fips"] = panel["fips"].str[:2]
    panel["state"] = panel["state_fips"].map(STATE_POSTAL).astype("string")
    panel["county_name"] = panel["fips"].map(county_names(None, population)).astype("string")
    panel["source"] = _SOURCE
    panel["is_synthetic"] = False
    lead = ["fips", "year", "state_fips", "state", "county_name", "population"]
    lead += ["population_icpsr", "agencies", "coverage", "no_data", *COUNTS, *RATES]
    rest = [c for c in panel.columns if c not in lead]
    panel = panel[lead + rest].sort_values(["fips", "year"]).reset_index(drop=True)
    m.notes.append(
        "Arrests, not offenses known: an outcome beside the crime panels, not a crime rate."
    )
    m.rows_out = len(panel)
    m.check()
    validate_icpsr_arrests(panel, name="icpsr_arrests")
    return panel, m


def validate_icpsr_arrests(df: pd.DataFrame, name: str = "icpsr_arrests") -> None:
    """Check the arrests panel; raise ``ValueError`` naming the column and the rows.

    Keys ``(fips, year)`` unique and non-null, ``fips`` 5 digits; population
    positive; counts non-negative integers; every rate its count / population
    * 100,000; coverage in [0, 100]; ``is_synthetic`` False. ``arrests_part1``
    is not checked against violent + property: ICPSR rounds each imputed count
    on its own, so the identity is off by one in some rows (the manifest
    counts them).
    """

    fail = row_failure(df, name, ["fips", "year"])
    need = ["fips", "year", "population", "coverage", *COUNTS, *RATES, "is_synthetic"]
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise ValueError(f"{name}: missing column(s) {missing}")
    if df["fips"].isna().any() or df["year"].isna().any():
        fail("fips", "missing key", df["fips"].isna() | df["year"].isna())
    bad = ~df["fips"].astype("string").str.fullmatch(r"\d{5}").fillna(False)
    if bad.any():
        fail("fips", "expected a 5-digit county FIPS", bad)
    dup = df.duplicated(["fips", "year"], keep=False)
    if dup.any():
        fail("fips", "(fips, year) must be unique", dup)
    pop = pd.to_numeric(df["population"], errors="coerce")
    if not (pop > 0).all():
        fail("population", "expected a population > 0", ~(pop > 0))
    check_counts(df, COUNTS, name, fail)
    for c in COUNTS:
        want = _rate(df[c], df["population"])
        got = df[f"{c}_rate"].astype("float64")
        ok = np.isclose(got, want, rtol=1e-9) | (np.isnan(got) & np.isnan(want))
        if not ok.all():
            fail(f"{c}_rate", f"expected {c} / population * 100,000", ~ok)
    cov = df["coverage"].astype("float64")
    bad = (cov < 0) | (cov > 100)
    if bad.any():
        fail("coverage", "expected a coverage indicator in [0, 100]", bad)
    if df["is_synthetic"].astype(bool).any():
        raise ValueError(f"{name}: column 'is_synthetic': real data must say False")


def build(ctx: BuildContext) -> Built:
    """Build ``icpsr_arrests`` from the run's raw files (see the module docstring)."""
    ctx.require("icpsr_arrests", *SPEC.needs)
    frames = ctx.load_all("ucr_icpsr_arrests")
    population = ctx.population()
    panel, man = icpsr_arrests_panel(frames, population, timing=ctx.timing())
    years = man.rules["years"]
    gaps = man.rules["years_missing"]
    ctx.out(
        f"  icpsr_arrests: {panel['fips'].nunique()} counties, {len(panel)} county-years "
        f"({years[0]}-{years[-1]}"
        + (f"; no file for {', '.join(map(str, gaps))}" if gaps else "")
        + ")"
    )
    man.inputs = ctx.inputs("ucr_icpsr_arrests", "census_population") + man.inputs
    used = ("ucr_icpsr_arrests", *(("census_population",) if population is not None else ()))
    return Built(panel, man, (*used, *ctx.timing_sources()), mark=MARK)


SPEC = PanelSpec(
    name="icpsr_arrests",
    needs=("ucr_icpsr_arrests",),
    optional=("census_population", *TIMING_SOURCES),
    build=build,
    description="county-year arrests (total, Part I violent and property, drug) from ICPSR's "
    "county-level UCR files, part 1; years without a file stated in the manifest",
    validate=validate_icpsr_arrests,
    mark=MARK,
)
