"""Study panels: loading them by name, and building them from raw files through a registry.

Loading (:mod:`~enforcement_crime.panels.load`): :func:`load_panel` opens a panel by
name, the synthetic one or a built one (study designs open their samples through
``Design.open``, which calls it); :func:`is_synthetic`, :func:`data_banner` and
:func:`panel_mark` (the words every output made from the panel carries) say what a
loaded panel is.

Building: one module per panel (``cius_county``, ``cius_county_constant``,
``cius_sheriff``, ``cius_sheriff_balanced``, ``kaplan_county``,
``icpsr_county``, ``icpsr_arrests``, ``city_sc``, ``nc_county``, ``nc_agency``),
each declaring a :class:`~enforcement_crime.panels.spec.PanelSpec` whose build
function takes a
:class:`~enforcement_crime.panels.context.BuildContext`. The registry
(:mod:`~enforcement_crime.panels.registry`) lists those modules in one explicit
tuple (``PANEL_MODULES``); ``data build`` (:mod:`~enforcement_crime.panels.runner`)
and ``data status`` (:mod:`~enforcement_crime.panels.commands`) loop over it, and
:mod:`~enforcement_crime.panels.manifest` records and writes what each build made
(one transaction). The panel modules import
:mod:`~enforcement_crime.panels.spec` and :mod:`~enforcement_crime.panels.context`,
never the registry; :mod:`~enforcement_crime.panels.context` holds what a build function
is given and :mod:`~enforcement_crime.panels.rawfiles` the raw files each source
expects and their checksums. Shared steps:
:mod:`~enforcement_crime.panels.build_steps`, :mod:`~enforcement_crime.panels.cius_rules`
(CIUS city rule, Table 11 rule, agency identities, coverage, composition report),
:mod:`~enforcement_crime.panels.matching`,
:mod:`~enforcement_crime.panels.states`, :mod:`~enforcement_crime.panels.fips`
(documented county-code repairs with a report), :mod:`~enforcement_crime.panels.timing`
(Secure Communities activation and 287(g) adoption per county) and
:mod:`~enforcement_crime.panels.exposure`. Build functions never read paths;
sources do.

The package import is light: the load functions are imported on first use
(PEP 562 ``__getattr__``), so ``import enforcement_crime.panels.fips`` does not
pull in the synthetic-panel machinery.
"""

from __future__ import annotations

__all__ = ["load_panel", "is_synthetic", "data_banner", "panel_mark"]


def __getattr__(name: str):
    if name in __all__:
        from enforcement_crime.panels import load

        return getattr(load, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
