"""Multiverse analysis: every combination of the choices a study leaves open, and a specification curve.

The choices (one column each in a grid and in the results):

* **data choices** that define a *sample*, :data:`SAMPLE_CHOICES`: the panel
  (``"cius_county"``, ``"cius_county_constant"``, ``"cius_sheriff"``, or
  ``"synthetic"``), the window (``"2004-2014"``: the design's ``years``) and
  the treatment coding (``treatment_rule``: first full year or share of year,
  :data:`enforcement_crime.treatment.EXPOSURE_RULES`). Each distinct sample
  is prepared once through the study design
  (``design.with_options(years=..., rule=...).prepare(panel)``);
* **estimation choices** run on a sample, :data:`CHOICES`: coverage rule,
  population weights, control group, unit-specific linear trends, controls
  (:data:`CONTROL_SETS`), estimator and outcome scale (level or
  :math:`\\log(1 + \\text{rate})`).

:func:`spec_grid` lists the combinations, marking those that do not make sense
(e.g. county trends with an estimator that has none) instead of silently
dropping them. :func:`prepare_spec_data` applies one specification's data
choices (DataFrame -> DataFrame, every dropped row counted), :func:`spec_of`
turns its estimation choices into a :class:`~enforcement_crime.designs.base.Spec`
of the study design, :func:`run_spec` fits it, and :func:`run_multiverse`
(rows of one sample), :func:`run_design` (one opened design) and
:func:`run_samples` (many panels, windows and codings)
run a grid through joblib with a progress bar. Work is sent in batches of
specifications that share their data choices (the prepared sample is reused
inside a batch); only the needed columns are shipped. The same call scales
from a laptop's cores to a Dask cluster by switching joblib's backend::

    from dask.distributed import Client
    import joblib
    client = Client(...)                      # a LocalCluster or a real cluster
    with joblib.parallel_config(backend="dask"):
        results = run_design(sample, grid, outcome="index_rate")

(or pass ``backend="dask"``). :func:`enforcement_crime.plots.spec_curve_plot`
draws the sorted estimates with their intervals above a panel marking each
specification's choices; :func:`by_choice` tabulates which choices move the
estimate (by option, and the paired change from switching one choice with all
others held fixed). :func:`plan_grid` makes a study notebook's grid (moderate or
research scale) from an opened design.
"""

from __future__ import annotations

from enforcement_crime.multiverse.grid import (
    ALL_CHOICES,
    CHOICES,
    CONTROL_SETS,
    COVERAGE_RULES,
    RESEARCH_PANELS,
    RESEARCH_WINDOWS,
    RESULT_COLUMNS,
    SAMPLE_CHOICES,
    SPEC_CHOICES,
    GridPlan,
    available_panels,
    parse_window,
    plan_grid,
    research_choices,
    spec_grid,
    window_label,
)
from enforcement_crime.multiverse.run import (
    prepare_spec_data,
    run_design,
    run_multiverse,
    run_samples,
    run_spec,
    spec_of,
)
from enforcement_crime.multiverse.summary import (
    by_choice,
    by_choice_all,
    choice_reading,
    samples_label,
)

__all__ = [
    "CHOICES",
    "SPEC_CHOICES",
    "SAMPLE_CHOICES",
    "ALL_CHOICES",
    "COVERAGE_RULES",
    "CONTROL_SETS",
    "RESEARCH_PANELS",
    "RESEARCH_WINDOWS",
    "research_choices",
    "window_label",
    "parse_window",
    "available_panels",
    "spec_grid",
    "plan_grid",
    "GridPlan",
    "prepare_spec_data",
    "run_spec",
    "spec_of",
    "run_multiverse",
    "run_design",
    "run_samples",
    "by_choice",
    "by_choice_all",
    "choice_reading",
    "samples_label",
    "RESULT_COLUMNS",
]
