"""Validation of the real-data approximations: compare two sources county by county.

The CIUS county panel (``cius_county``) approximates county crime totals by
summing the FBI's published agency rows (Tables 8 + 10, + 11 in 2013-2015)
matched to counties. This module measures how far that approximation is from
two independent county sources:

* **ICPSR 33523 and 35019** (UCR county-level files, 2010 and 2012; counts by
  offense, coverage indicator COVIND): :func:`icpsr_counties` prepares one
  year, :func:`compare_values` pairs it with the CIUS counts county by county;
  :func:`compare_icpsr_years` pairs several years at once and
  :func:`side_by_side` puts each year's agreement statistics in columns;
* **NC SBI county rates** (per 100,000, 2014-2017):
  :func:`compare_values` pairs them with the CIUS-based NC rates.

The NC agency panel (Kaplan's agency files) is compared with the CIUS sheriff
panel agency by agency and offense by offense
(:func:`agency_vs_cius_sheriff`, :func:`agreement_by_offense`, from
:mod:`enforcement_crime.validation.nc_agency`).

Conventions
-----------
Comparisons are ``left`` over ``right``: the approximation (CIUS) is always
``left`` and the reference source (ICPSR, SBI) ``right``, so a ratio below 1
means CIUS counts fewer offenses than the reference. A pair is *compared*
when both values are present and positive; correlations are Pearson
correlations of the natural logs of compared pairs, and the ratio statistics
(median, quartiles, share within +/-10%, i.e. :math:`|r - 1| \\le 0.10`) are
computed over compared pairs too. Every other pair keeps its row with a
``status`` saying why it is not compared (no row in one source, a missing
value, a zero); :func:`status_counts` tabulates them, so no county is left
out silently.

The "why" of a difference (:func:`county_diagnostics`) is a set of columns
computed from the two sources (ICPSR coverage below 100, agency counts, a
missing sheriff row, other agency rows, population differences) and a
``reasons`` string listing the flags that hold; it states facts about the
county, not a causal attribution.

Only :func:`real_inputs` and :func:`icpsr_file_for` (which locate the files;
the first says what to build or fetch when they are absent) and
:func:`cius_agency_rows` (which loads one year's CIUS agency tables and LEAIC
with the project's loaders) touch files.
"""

from __future__ import annotations

from enforcement_crime.validation.core import (
    GROUPS,
    ICPSR_OFFENSE_FILES,
    ICPSR_PSEUDO_COUNTIES,
    SIDE_BY_SIDE,
    WITHIN,
    MissingRealData,
    agreement_summary,
    compare_icpsr_years,
    compare_values,
    icpsr_counties,
    icpsr_file_for,
    real_inputs,
    side_by_side,
    status_counts,
)
from enforcement_crime.validation.differences import (
    agency_facts,
    agreement_figure,
    cius_agency_rows,
    cius_composition,
    county_diagnostics,
    flag_summary,
    largest_differences,
    state_table,
    unmatched_by_state,
)
from enforcement_crime.validation.nc_agency import agency_vs_cius_sheriff, agreement_by_offense

__all__ = [
    "GROUPS",
    "ICPSR_OFFENSE_FILES",
    "ICPSR_PSEUDO_COUNTIES",
    "SIDE_BY_SIDE",
    "WITHIN",
    "MissingRealData",
    "real_inputs",
    "icpsr_file_for",
    "icpsr_counties",
    "compare_values",
    "compare_icpsr_years",
    "side_by_side",
    "status_counts",
    "agreement_summary",
    "cius_composition",
    "cius_agency_rows",
    "agency_facts",
    "unmatched_by_state",
    "state_table",
    "county_diagnostics",
    "flag_summary",
    "largest_differences",
    "agreement_figure",
    "agency_vs_cius_sheriff",
    "agreement_by_offense",
]
