"""Compatibility face: the panel builders once lived in this one module (1,557 lines).

They now live one module per panel (:mod:`~enforcement_crime.panels.cius_county`,
:mod:`~enforcement_crime.panels.kaplan_county`,
:mod:`~enforcement_crime.panels.icpsr_county`,
:mod:`~enforcement_crime.panels.city_sc`, :mod:`~enforcement_crime.panels.nc_county`)
with shared steps in :mod:`~enforcement_crime.panels.common`,
:mod:`~enforcement_crime.panels.matching` and :mod:`~enforcement_crime.panels.states`.
New code imports from those modules; this one only re-exports.
"""

from __future__ import annotations

from enforcement_crime.panels.city_sc import (
    CITY_REQUIRED_COLUMNS,
    city_panel,
    city_panel_from_agencies,
    validate_city_panel,
)
from enforcement_crime.panels.cius_county import cius_county_panel
from enforcement_crime.panels.common import attach_timing
from enforcement_crime.panels.icpsr_county import icpsr_county_panel
from enforcement_crime.panels.kaplan_county import COVERAGE_RULES, kaplan_county_panel, pop_group_of
from enforcement_crime.panels.manifest import Manifest
from enforcement_crime.panels.matching import match_cius_agencies, normalise_name
from enforcement_crime.panels.nc_county import nc_county_panel
from enforcement_crime.panels.states import STATE_NAMES, STATE_POSTAL

__all__ = [
    "COVERAGE_RULES",
    "STATE_POSTAL",
    "STATE_NAMES",
    "CITY_REQUIRED_COLUMNS",
    "Manifest",
    "attach_timing",
    "normalise_name",
    "match_cius_agencies",
    "cius_county_panel",
    "kaplan_county_panel",
    "icpsr_county_panel",
    "city_panel",
    "city_panel_from_agencies",
    "validate_city_panel",
    "nc_county_panel",
    "pop_group_of",
]
