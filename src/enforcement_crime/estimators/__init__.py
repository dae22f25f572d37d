"""Classic and modern difference-in-differences estimators behind one interface.

Every public function takes a DataFrame and column names (``outcome``,
``unit``, ``time``, ``cohort`` = first treated period, 0 or missing for never
treated), optional ``weights``, ``cluster`` and ``controls``, and returns an
:class:`enforcement_crime.results.EstimationResult`.

The common contract (tested in ``tests/estimators/test_api_contract.py``):

- the result's ``outcome`` is the outcome column; dynamic terms carry their
  ``event_time`` (use ``result.dynamic()`` / ``result.aggregate()``, never
  parse term names);
- an unknown keyword raises ``TypeError``; an option the estimator accepts
  but cannot honour in that combination (weights in a decomposition of the
  unweighted TWFE, ``state=`` without ``state_year_fe``...) raises
  :class:`EstimatorInputError` naming it, never silently ignored;
- fewer than 5 treated clusters (units when not clustered) give a
  ``UserWarning`` and a sentence in the notes;
- fixed effects are absorbed by one within-transformation and cluster-robust
  variances use one CR1 convention (``estimators/_core.py``).

Callaway-Sant'Anna in two steps, as R ``did``'s ``att_gt`` and ``aggte``:
``callaway_santanna.att_gt(...)`` gives the group-time ATTs and
``callaway_santanna.aggregate(gt, type, window=..., inference=...)`` the
result; :func:`callaway_santanna` calls both.

Few-cluster inference: :func:`wild_cluster_bootstrap` (TWFE coefficient,
optional ``controls``), ``callaway_santanna(..., inference="wild_cluster")``
(restricted wild cluster bootstrap-t of every aggregated term) and
:func:`randomization_inference`. The same inference on a fitted model, without
refitting: ``twfe(...).wild_bootstrap(...)``, ``twfe(...).permute(...)`` and
``event_study(...).pretrend_test(inference="wild_cluster", ...)``; the
functions share the methods' code.

Power helpers: :func:`minimum_detectable_effect` (simulation),
:func:`analytic_mde` and :func:`placebo_calibrated_mde`.
"""

from enforcement_crime.estimators._inputs import EstimatorInputError, prepare_panel
from enforcement_crime.estimators.bacon import bacon_decomposition
from enforcement_crime.estimators.callaway_santanna import callaway_santanna
from enforcement_crime.estimators.compare import compare_estimators
from enforcement_crime.estimators.dcdh import dcdh
from enforcement_crime.estimators.honest import honest_did
from enforcement_crime.estimators.imputation import imputation, two_stage
from enforcement_crime.estimators.inference import randomization_inference, wild_cluster_bootstrap
from enforcement_crime.estimators.placebo import PlaceboTest, placebo_schedules
from enforcement_crime.estimators.power import (
    analytic_mde,
    minimum_detectable_effect,
    percent_of_mean,
    placebo_calibrated_mde,
)
from enforcement_crime.estimators.ppml import ppml
from enforcement_crime.estimators.sun_abraham import sun_abraham
from enforcement_crime.estimators.synth import synthetic_control, synthetic_did
from enforcement_crime.estimators.twfe import event_study, twfe
from enforcement_crime.results import EstimationResult, compare

__all__ = [
    "EstimationResult",
    "EstimatorInputError",
    "PlaceboTest",
    "analytic_mde",
    "percent_of_mean",
    "bacon_decomposition",
    "callaway_santanna",
    "compare",
    "compare_estimators",
    "dcdh",
    "event_study",
    "honest_did",
    "imputation",
    "minimum_detectable_effect",
    "placebo_calibrated_mde",
    "placebo_schedules",
    "ppml",
    "prepare_panel",
    "randomization_inference",
    "sun_abraham",
    "synthetic_control",
    "synthetic_did",
    "twfe",
    "two_stage",
    "wild_cluster_bootstrap",
]
