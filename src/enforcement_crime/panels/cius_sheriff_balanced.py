"""Panel ``cius_sheriff_balanced``: ``cius_sheriff`` restricted to counties present every year.

The counties whose county agency (sheriff's office or county police, see
:mod:`enforcement_crime.panels.cius_sheriff`) is listed with both index
totals (violent and property crime) published in **every** year of the
window: one row per county and year. The window is the Table 10 years with
a complete Table 8 (the rates' denominator, the estimated unincorporated
population, needs it), so 2004, whose Table 10 omits nonmetropolitan counties
under 25,000, is not in it. Rates are indicative
(:data:`~enforcement_crime.panels.cius_sheriff.RATE_CAVEAT`).
"""

from __future__ import annotations

from enforcement_crime.panels.cius_sheriff import MARK, build_sheriff
from enforcement_crime.panels.context import TIMING_SOURCES, BuildContext
from enforcement_crime.panels.spec import Built, PanelSpec

#: the words every output made from ``cius_sheriff_balanced`` carries
BALANCED_MARK = f"{MARK} (BALANCED)"


def build(ctx: BuildContext) -> Built:
    """Build ``cius_sheriff_balanced`` from the run's raw files."""
    built = build_sheriff(ctx, "cius_sheriff_balanced", balanced=True)
    built.manifest.mark = BALANCED_MARK
    built.mark = BALANCED_MARK
    return built


SPEC = PanelSpec(
    name="cius_sheriff_balanced",
    needs=("fbi_cius", "leaic", "census_population"),
    optional=(*TIMING_SOURCES, "ucr_kaplan_agency"),
    build=build,
    description="cius_sheriff, counties with a published count in every year (one row per "
    "county and year)",
    approximation=True,
    mark=BALANCED_MARK,
)
