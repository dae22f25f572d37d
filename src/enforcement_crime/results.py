"""One tidy result type returned by every estimator.

Every estimator in :mod:`enforcement_crime.estimators` returns an
:class:`EstimationResult`. Its :meth:`~EstimationResult.to_frame` has the
columns of :data:`RESULT_COLUMNS`, one row per reported term (a static ATT,
an event-time coefficient, a group or calendar aggregate), so results from
different estimators stack into one comparison table with ``pandas.concat``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["RESULT_COLUMNS", "EstimationResult", "PretrendTest", "compare"]

RESULT_COLUMNS: tuple[str, ...] = (
    "term",
    "event_time",
    "estimate",
    "std_error",
    "conf_low",
    "conf_high",
    "n_obs",
    "n_clusters",
    "estimator",
    "notes",
    "outcome",
    "specification",
)


@dataclass(frozen=True)
class PretrendTest:
    """Joint test that every tested pre-treatment coefficient (lead) is zero.

    Parameters
    ----------
    statistic : float
        The Wald statistic ``b' V^{-1} b`` of the tested leads.
    df : int
        Number of tested leads.
    p_value : float
        ``inference="wald"``: the chi-square(``df``) p-value;
        ``"wild_cluster"``: the restricted wild cluster bootstrap p-value of
        the same statistic.
    terms : tuple of str
        The tested terms (``"e-3"``, ``"e-2"``, ...).
    inference : {"wald", "wild_cluster"}
        How the p-value was computed.
    method : str
        One line describing the test.
    p_value_chi2 : float, optional
        With the bootstrap, the chi-square p-value of the same statistic.
    n_boot, bootstrap_weights, full_enumeration : optional
        With the bootstrap: draws, weight distribution, and whether every
        Rademacher sign vector was used.
    """

    statistic: float
    df: int
    p_value: float
    terms: tuple[str, ...] = ()
    inference: str = "wald"
    method: str = ""
    p_value_chi2: float | None = None
    n_boot: int | None = None
    bootstrap_weights: str | None = None
    full_enumeration: bool | None = None


@dataclass
class EstimationResult:
    """Estimates of one estimator on one panel.

    Parameters
    ----------
    estimator : str
        Short name, e.g. ``"twfe"``, ``"callaway_santanna"``.
    table : pandas.DataFrame
        One row per term with at least ``term``, ``estimate``, ``std_error``,
        ``conf_low``, ``conf_high``; ``event_time`` (nullable int) for dynamic
        terms. Missing columns of :data:`RESULT_COLUMNS` are filled.
    n_obs, n_clusters : int
        Observations used and clusters (``None`` when not clustered).
    notes : str
        Conventions that matter for comparison (control group, weights,
        clustering, small-sample correction, reference period, backend).
    alpha : float
        1 - confidence level of the intervals.
    extra : dict
        Anything else worth keeping (draws, coefficients of controls, the
        fitted backend object); what callers read has its own field below.
    outcome : str, optional
        The outcome column the estimator was run on (set by every estimator).
    specification : str, optional
        Free text or a short label of the specification, set by callers
        (e.g. a study design: ``"main"``, ``"no controls"``); ``None`` by
        default.
    p_value : float, optional
        p-value of the headline term's test of zero when the estimator
        computes one itself (wild bootstrap, permutation, placebo tests).
    pretrend : PretrendTest, optional
        The joint pre-trend test of estimators that report one.
    vcov : pandas.DataFrame, optional
        Covariance of the estimated terms, indexed and columned by term
        (static estimators: the headline term; dynamic ones: the event-time
        terms).
    model : object, optional
        The fitted model behind :meth:`wild_bootstrap`, :meth:`permute` and
        :meth:`pretrend_test` (set by estimators that offer them).

    Notes
    -----
    Dynamic terms (event-time coefficients, including a normalised
    reference period) carry their integer event time in ``event_time``;
    aggregate terms (an overall ATT, group or calendar aggregates, power
    summaries) have a missing ``event_time``. Use :meth:`dynamic` and
    :meth:`aggregate` instead of parsing term names.
    """

    estimator: str
    table: pd.DataFrame
    n_obs: int | None = None
    n_clusters: int | None = None
    notes: str = ""
    alpha: float = 0.05
    extra: dict[str, Any] = field(default_factory=dict)
    outcome: str | None = None
    specification: str | None = None
    p_value: float | None = None
    pretrend: PretrendTest | None = None
    vcov: pd.DataFrame | None = None
    model: Any = field(default=None, repr=False, compare=False)

    def _fitted(self, method: str):
        if self.model is None or not hasattr(self.model, method):
            raise ValueError(
                f"{self.estimator}: this result keeps no fitted model offering {method}() "
                "(twfe and event_study results do)"
            )
        return getattr(self.model, method)

    def wild_bootstrap(self, **options) -> EstimationResult:
        """Wild cluster bootstrap of the headline coefficient on the fitted model, without refitting.

        Options as :func:`~enforcement_crime.estimators.wild_cluster_bootstrap`
        (``n_boot``, ``bootstrap_weights``, ``impose_null``, ``seed``,
        ``alpha``); returns its result. Offered by :func:`twfe` results.
        """
        return self._fitted("wild_bootstrap")(**options)

    def permute(self, **options) -> EstimationResult:
        """Randomization inference on the fitted model's adoption dates (``n_perm``, ``seed``, ``stratify``, ``alpha``).

        As :func:`~enforcement_crime.estimators.randomization_inference` with
        the TWFE statistic; offered by :func:`twfe` results fitted on ``cohort``.
        """
        return self._fitted("permute")(**options)

    def pretrend_test(self, **options) -> PretrendTest:
        """The joint pre-trend test recomputed on the fitted model (``inference``, ``n_boot``, ``bootstrap_weights``, ``seed``).

        ``inference="wild_cluster"`` calibrates the Wald statistic by the
        restricted wild cluster bootstrap; offered by :func:`event_study` results.
        """
        return self._fitted("pretrend_test")(**options)

    def to_frame(self) -> pd.DataFrame:
        """Return the tidy table with exactly the columns of :data:`RESULT_COLUMNS`."""
        out = self.table.copy()
        if "event_time" not in out:
            out["event_time"] = pd.NA
        out["event_time"] = out["event_time"].astype("Int64")
        out["n_obs"] = self.n_obs if "n_obs" not in out else out["n_obs"]
        out["n_clusters"] = self.n_clusters if "n_clusters" not in out else out["n_clusters"]
        out["estimator"] = self.estimator
        out["notes"] = self.notes if "notes" not in out else out["notes"]
        out["outcome"] = self.outcome
        out["specification"] = self.specification
        out["outcome"] = out["outcome"].astype("object")
        out["specification"] = out["specification"].astype("object")
        for col in ("std_error", "conf_low", "conf_high"):
            if col not in out:
                out[col] = np.nan
        out["n_obs"] = out["n_obs"].astype("Int64")
        out["n_clusters"] = out["n_clusters"].astype("Int64")
        return out.loc[:, list(RESULT_COLUMNS)].reset_index(drop=True)

    def dynamic(self) -> pd.DataFrame:
        """Rows with an event time, sorted by it, with the columns of :meth:`to_frame`."""
        frame = self.to_frame()
        dyn = frame[frame["event_time"].notna()]
        return dyn.sort_values("event_time", kind="stable").reset_index(drop=True)

    def aggregate(self) -> pd.DataFrame:
        """Rows without an event time (overall, group, calendar aggregates), in table order."""
        frame = self.to_frame()
        return frame[frame["event_time"].isna()].reset_index(drop=True)

    def term(self, name: str | None = None) -> dict[str, Any]:
        """One row of the table as a dict.

        Parameters
        ----------
        name : str, optional
            The term. ``None``: the headline term, i.e. the first term
            without an event time (the first row when every term has one).

        Returns
        -------
        dict
            The columns of :meth:`to_frame` (``term``, ``estimate``,
            ``std_error``, ``conf_low``, ``conf_high``, ...), plus
            ``p_value`` when available: a ``p_value`` column of the table,
            or for the headline (first) row the result's :attr:`p_value`
            (e.g. the wild bootstrap's or the permutation test's).

        Raises
        ------
        KeyError
            No such term (the message names the available ones).
        """
        frame = self.to_frame()
        if name is None:
            static = frame.index[frame["event_time"].isna()]
            pos = int(static[0]) if len(static) else 0
            if frame.empty:
                raise KeyError(f"{self.estimator}: the result has no terms")
        else:
            hit = frame.index[frame["term"] == name]
            if not len(hit):
                raise KeyError(
                    f"{self.estimator}: no term {name!r}; terms are {list(frame['term'])}"
                )
            pos = int(hit[0])
        row = frame.iloc[pos].to_dict()
        if "p_value" in self.table.columns:
            row["p_value"] = float(self.table["p_value"].iloc[pos])
        elif pos == 0 and self.p_value is not None:
            row["p_value"] = float(self.p_value)
        return row

    @property
    def estimate(self) -> float:
        """The estimate of the first term (the headline ATT for static estimators)."""
        return float(self.table["estimate"].iloc[0])

    @property
    def std_error(self) -> float:
        """The standard error of the first term."""
        return float(self.table["std_error"].iloc[0]) if "std_error" in self.table else np.nan

    def summary(self) -> str:
        """A plain-text summary: estimator, sample, notes and the table."""
        frame = self.to_frame()
        shown = frame[["term", "event_time", "estimate", "std_error", "conf_low", "conf_high"]]
        level = int(round((1 - self.alpha) * 100))
        lines = [
            f"{self.estimator}: {len(frame)} term(s); n_obs={self.n_obs}, n_clusters={self.n_clusters}; {level}% intervals",
        ]
        if self.notes:
            lines.append(f"notes: {self.notes}")
        lines.append(shown.to_string(index=False, float_format=lambda v: f"{v:.5g}"))
        return "\n".join(lines)

    def __str__(self) -> str:  # pragma: no cover - delegates to summary
        return self.summary()

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        return f"<p><b>{self.estimator}</b> {self.notes}</p>" + self.to_frame().to_html(index=False)


def compare(*results: EstimationResult) -> pd.DataFrame:
    """Stack several results into one comparison table (one row per estimator and term)."""
    return pd.concat([r.to_frame() for r in results], ignore_index=True)
