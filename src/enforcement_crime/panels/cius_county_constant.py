"""Panel ``cius_county_constant``: ``cius_county`` with a constant set of agencies per county.

The same APPROXIMATION of county totals as :mod:`enforcement_crime.panels.cius_county`,
summing only the agencies listed with both index totals (violent and property
crime) published in **every** year of the window
(:data:`~enforcement_crime.panels.cius_county.CONSTANT_RULE`), so that a county
total does not jump when an agency appears, disappears or leaves a cell blank.
The same options apply (``--cius-city-floor``, ``--cius-table11``); with
Table 11 (2013-2015 only) no Table 11 agency can be constant over a longer
window. Its composition report (``cius_county_constant_composition.csv``)
shows the counted agencies unchanged from year to year.
"""

from __future__ import annotations

from enforcement_crime.panels.cius_county import MARK, build_cius_county
from enforcement_crime.panels.context import TIMING_SOURCES, BuildContext
from enforcement_crime.panels.spec import Built, PanelSpec

#: the words every output made from ``cius_county_constant`` carries
CONSTANT_MARK = f"{MARK} (CONSTANT COMPOSITION)"


def build(ctx: BuildContext) -> Built:
    """Build ``cius_county_constant`` from the run's raw files and options."""
    built = build_cius_county(ctx, "cius_county_constant", constant=True)
    built.manifest.mark = CONSTANT_MARK
    built.mark = CONSTANT_MARK
    return built


SPEC = PanelSpec(
    name="cius_county_constant",
    needs=("fbi_cius", "leaic", "census_population"),
    optional=TIMING_SOURCES,
    build=build,
    description="cius_county with the agencies published in every year of the window only "
    "(constant composition)",
    approximation=True,
    mark=CONSTANT_MARK,
)
