"""Estimator calls of the study designs: refusals as records, headline rows, the partial-year rule text.

A leaf of :mod:`enforcement_crime.designs` (imported by :mod:`.base` and
:mod:`.conclusions`, importing neither).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from enforcement_crime.estimators import EstimatorInputError
from enforcement_crime.results import EstimationResult

__all__ = [
    "NotEstimable",
    "Outcome",
    "run",
    "headline",
    "PARTIAL_YEAR_RULE",
]


# --------------------------------------------------------------------------------------
# estimator calls
# --------------------------------------------------------------------------------------

PARTIAL_YEAR_RULE = (
    "the adoption year, partly treated under the first-full-year rule, is never the reference: "
    "left out of TWFE-type and imputation estimates; Callaway-Sant'Anna uses anticipation = 1 "
    "(base = the year before signing); the event study's reference is e = -2 (the year before signing) "
    "and its pre-trend test covers e <= -2"
)


@dataclass(frozen=True)
class NotEstimable:
    """An estimate the estimator refused to compute on this (real) panel, with its reason.

    Tables carry it as a row with missing numbers and the reason in ``note``;
    nothing is ever filled in for it.
    """

    estimator: str
    reason: str

    def __str__(self) -> str:
        return f"NOT ESTIMABLE on this panel: {self.estimator}: {self.reason}"

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        return (
            '<div style="border:2px dashed #999;padding:6px"><b>Not estimable on this panel:</b> '
            f"<code>{self.estimator}</code>: {self.reason}</div>"
        )


Outcome = EstimationResult | NotEstimable


def run(
    estimator: Callable[..., EstimationResult], *args, tolerate: bool = False, **kwargs
) -> Outcome:
    """Call ``estimator(*args, **kwargs)``; with ``tolerate``, a refused input gives :class:`NotEstimable`.

    Only :class:`~enforcement_crime.estimators.EstimatorInputError` is ever
    turned into a record, and only when ``tolerate`` is true (designs set it
    on real panels). Unknown keyword arguments raise ``TypeError`` as in any
    Python call: nothing is dropped on the way.
    """
    try:
        return estimator(*args, **kwargs)
    except EstimatorInputError as err:
        if not tolerate:
            raise
        return NotEstimable(getattr(estimator, "__name__", str(estimator)), str(err))


def headline(result: Outcome, term: str | None = None) -> dict:
    """The headline row of a result as a dict (term, estimate, std_error, conf_low, conf_high, estimator, note).

    ``term``: a term name; default the first static term (no event time), else
    the first row (:meth:`~enforcement_crime.results.EstimationResult.term`).
    A :class:`NotEstimable` record gives NaNs and its reason; an estimate on
    fewer units or rows than it was given carries that reduction in ``note``
    (``extra["sample_reduction"]``, set by :meth:`.base.Spec.fit`).
    """
    if isinstance(result, NotEstimable):
        return {"term": None, "estimate": math.nan, "std_error": math.nan, "conf_low": math.nan,
                "conf_high": math.nan, "estimator": result.estimator, "note": str(result)}  # fmt: skip
    pos = _headline_position(result, term)

    def num(column: str) -> float:
        table = result.table
        v = table[column].iloc[pos] if column in table.columns else math.nan
        return float(v) if pd.notna(v) else math.nan

    return {
        "term": str(result.table["term"].iloc[pos]),
        "estimate": num("estimate"),
        "std_error": num("std_error"),
        "conf_low": num("conf_low"),
        "conf_high": num("conf_high"),
        "estimator": result.estimator,
        "note": str(result.extra.get("sample_reduction", "")),
    }


def _headline_position(result: EstimationResult, term: str | None) -> int:
    """The table row :meth:`EstimationResult.term` reads (the one headline-row rule), by position.

    ``term`` names the row; None: the first row without an event time, else
    the first row. Read from the result's table directly (the row's values
    are the table's), without building :meth:`~EstimationResult.to_frame`.
    """
    table = result.table
    if term is None:
        if table.empty:
            raise KeyError(f"{result.estimator}: the result has no terms")
        if "event_time" not in table.columns:
            return 0
        static = np.flatnonzero(pd.isna(table["event_time"]).to_numpy(dtype=bool))
        return int(static[0]) if len(static) else 0
    hit = np.flatnonzero((table["term"] == term).to_numpy(dtype=bool))
    if not len(hit):
        raise KeyError(f"{result.estimator}: no term {term!r}; terms are {list(table['term'])}")
    return int(hit[0])
