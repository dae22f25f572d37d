"""Panel ``nc_county``: North Carolina counties 2003-2013 with the Cato 287(g) timing.

Derived from the first county-year panel that can be built, in the order
``kaplan_county``, ``icpsr_county``, ``cius_county``; the 287(g) dates are
those of Forrester & Nowrasteh (2018), Table A1. When the base is
``cius_county`` the manifest says ``approximation: true``.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from enforcement_crime.panels.context import BuildContext
from enforcement_crime.panels.manifest import Manifest
from enforcement_crime.panels.spec import Built, MissingInputs, PanelSpec
from enforcement_crime.schema import validate_panel

#: the coverage rule: county-years whose listed agencies serve less than this share (percent) of the
#: county population are dropped (our threshold; a county whose sheriff or a large city is missing from a
#: year's table otherwise shows a collapse of its crime series that is a reporting artefact)
MIN_COVERAGE = 80.0


def nc_county_panel(
    panel: pd.DataFrame,
    years: Iterable[int] = range(2003, 2014),
    agreements: pd.DataFrame | None = None,
    base_name: str = "county panel",
    min_coverage: float | None = MIN_COVERAGE,
) -> tuple[pd.DataFrame, Manifest]:
    """North Carolina counties, 2003-2013, with the 287(g) timing of Cato WP 52, Table A1.

    Parameters
    ----------
    panel : pandas.DataFrame
        Any county-year panel passing the schema (Kaplan, ICPSR or CIUS built).
    years : iterable of int
        Default 2003-2013 (the study period).
    agreements : pandas.DataFrame, optional
        Default :func:`enforcement_crime.facts.nc_287g_agreements`.
    base_name : str
        Name of the input panel, for the manifest.
    min_coverage : float or None
        The coverage rule (default :data:`MIN_COVERAGE`): county-years whose
        ``coverage`` (percent of the county population served by the
        agencies listed for it) is below this are dropped, counted in the
        manifest under that reason, and listed (``reports["low_coverage"]``:
        each county with the years dropped); county-years with no coverage
        value are kept. None keeps every county-year.

    Notes
    -----
    ``g287_start`` is the MOA signing date, ``g287_end`` the end date of the
    fact table (NaT when active past 2015 with no known end; the first of
    the month, or 1 July when only the year is known), ``g287_model`` "jail"
    or "task force". Durham's agreement is the Durham Police Department's (a
    city agency) assigned to Durham County. The Secure Communities date is
    kept from the input panel. Counties without an agreement have NaT.
    """
    from enforcement_crime.facts import nc_287g_agreements

    years = sorted(int(y) for y in years)
    m = Manifest(panel="nc_county", unit="county-year")
    m.rows_in = len(panel)
    m.inputs.append(
        {
            "name": base_name,
            "rows": len(panel),
            "source": sorted(map(str, panel["source"].dropna().unique()))[:3],
        }
    )
    nc = panel["fips"].astype("string").str.startswith("37")
    m.drop("not a North Carolina county", int((~nc).sum()))
    inyears = panel["year"].isin(years)
    m.drop(f"North Carolina, outside {years[0]}-{years[-1]}", int((nc & ~inyears).sum()))
    out = panel[nc & inyears].copy()
    if min_coverage is not None:
        cov = pd.to_numeric(out["coverage"], errors="coerce")
        low = (cov < float(min_coverage)).fillna(False).to_numpy(dtype=bool)
        reason = (f"North Carolina, coverage below {min_coverage:g}% (the listed agencies serve less than "
                  f"{min_coverage:g}% of the county population)")  # fmt: skip
        m.drop(reason, int(low.sum()))
        gone = out.loc[low, ["fips", "year"]].astype({"year": "int64"})
        m.reports["low_coverage"] = {
            "rule": reason,
            "county_years_dropped": int(low.sum()),
            "counties": {
                str(f): sorted(int(y) for y in g["year"]) for f, g in gone.groupby("fips")
            },
        }
        out = out[~low]
    ag = nc_287g_agreements() if agreements is None else agreements
    t = pd.DataFrame(
        {
            "fips": ag["fips"].astype("string"),
            "g287_start": ag["signed"],
            "g287_end": ag["end_date"],
            "g287_model": ag["model"].astype("string"),
        }
    )
    out = out.drop(columns=["g287_start", "g287_end", "g287_model"]).merge(t, on="fips", how="left")
    for c in ("g287_start", "g287_end"):
        out[c] = pd.to_datetime(out[c]).astype("datetime64[ns]")
    out["g287_model"] = out["g287_model"].astype("string")
    out["source"] = (
        out["source"].astype("string") + "; NC 287(g) timing: Forrester & Nowrasteh (2018) Table A1"
    )
    out = out[list(panel.columns)].sort_values(["fips", "year"]).reset_index(drop=True)
    m.rules.update(
        years=[years[0], years[-1]],
        g287="signing dates and end dates of Forrester & Nowrasteh (2018), Table A1 (enforcement_crime.facts)",
        sc="kept from the input panel",
        min_coverage=None if min_coverage is None else float(min_coverage),
    )
    got = sorted(set(out["year"]))
    if got != years:
        m.notes.append(f"The input panel covers {len(got)} of the {len(years)} study years: {got}.")
    m.rows_out = len(out)
    m.check()
    validate_panel(out, name="nc_county")
    return out, m


#: the county panels ``nc_county`` can be derived from, in order of preference
BASES: tuple[str, ...] = ("kaplan_county", "icpsr_county", "cius_county")


def build(ctx: BuildContext) -> Built:
    """Build ``nc_county`` from the first base panel whose inputs are present (built in memory)."""
    base = next((b for b in BASES if ctx.spec(b).buildable(ctx.present(), ctx.spec)), None)
    if base is None:
        raise MissingInputs("nc_county needs a county-year panel (kaplan, icpsr or cius inputs)")
    built = ctx.panel(base)
    panel, man = nc_county_panel(built.panel, base_name=base)
    man.rules["base_panel"] = base
    ctx.out(f"  nc_county built from {base} ({len(panel)} county-years)")
    # the base panel's mark: "REAL DATA: FBI CIUS APPROXIMATION OF COUNTY TOTALS" from cius_county
    return Built(panel, man, built.sources, mark=built.mark or ctx.spec(base).mark)


SPEC = PanelSpec(
    name="nc_county",
    needs=(),
    derived_from=BASES,
    build=build,
    description="North Carolina counties 2003-2013 with Cato's 287(g) dates "
    "(from kaplan_county, else icpsr_county, else cius_county)",
)
