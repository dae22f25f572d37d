"""A headline with clean controls for designs in which every unit is eventually treated.

When every unit of a staggered design adopts inside the window (Secure
Communities: every county by 2013), TWFE identifies its coefficient partly
from comparisons of later- against earlier-treated units and from the years
when every unit is treated, which carry no untreated comparison at all.
:func:`clean_window` finds the last year in which some unit is still not yet
treated (neither treated nor in its partly treated adoption year under the
first-full-year rule); :class:`CleanHeadline` is a heterogeneity-robust
specification (the design's own, e.g. Callaway-Sant'Anna with not-yet-treated
controls and its wild cluster bootstrap) fitted on the years up to that one,
its label stating the window and the controls. Tables show it beside the
paper-style TWFE; the verdict reads it (:func:`.evidence.verdict_table`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from enforcement_crime.designs.base import Spec, StudySample

__all__ = ["CLEAN_MARK", "clean_window", "CleanHeadline", "clean_headline"]

#: the words every clean-control headline's label carries (tables find its rows by them)
CLEAN_MARK = "the last year with a not-yet-treated unit"


def clean_window(sample: StudySample) -> int | None:
    """The last year of ``sample`` in which some unit is not yet treated; None when none is.

    A row is "not yet treated" when its unit's first treated year (the
    design's cohort column, 0 / missing for never treated) is after the
    row's year and the row is not the partly treated adoption year (column
    ``partial_year``, first-full-year rule). Never-treated units count as not
    yet treated in every year, so with one the window is the whole sample.
    """
    d = sample.design
    df = sample.data
    year = df[d.time].astype("int64").to_numpy()
    cohort = df[d.treatment.cohort].astype("Float64").fillna(0).to_numpy(dtype="float64")
    untreated = (cohort == 0) | (cohort > year)
    if "partial_year" in df.columns:
        untreated &= ~df["partial_year"].to_numpy(dtype=bool)
    if not untreated.any():
        return None
    return int(year[untreated].max())


@dataclass(frozen=True)
class CleanHeadline:
    """A specification fitted on the years up to the last one with a not-yet-treated unit.

    ``spec`` carries the label the tables show (the window and the controls
    stated); ``rows`` is the boolean mask of the sample's rows it uses;
    ``first``/``last`` the years of the window; ``years_left_out`` the
    sample's years after ``last`` (every unit treated, or partly treated).
    """

    spec: Spec
    rows: np.ndarray
    first: int
    last: int
    years_left_out: tuple[int, ...]

    def fit(self, sample: StudySample, outcome: str, **overrides):
        """Fit the spec on the window's rows of ``sample`` (the same sample the mask was made on)."""
        return self.spec.fit(sample, outcome, rows=self.rows, **overrides)


def clean_headline(sample: StudySample, spec: Spec) -> CleanHeadline | None:
    """``spec`` (its label naming its controls) restricted to the years up to :func:`clean_window`.

    The label states the window: ``"<spec label before ';'>, years F-L (the
    last year with a not-yet-treated unit; years left out); <rest of the
    label>"``. None when the sample has a never-treated unit (the design has
    a clean control group in every year) or no not-yet-treated year at all.
    """
    d = sample.design
    if d.has_never_treated(sample):
        return None
    last = clean_window(sample)
    if last is None:
        return None
    year = sample.data[d.time].astype("int64")
    first = int(year.min())
    left_out = tuple(sorted(int(y) for y in year.unique() if y > last))
    head, _, rest = spec.label.partition(";")
    out = "; " + ", ".join(map(str, left_out)) + " left out" if left_out else ""
    label = f"{head}, years {first}-{last} ({CLEAN_MARK}{out})"
    label += f";{rest}" if rest else ""
    return CleanHeadline(dataclasses.replace(spec, label=label), (year <= last).to_numpy(), first,
                         last, left_out)  # fmt: skip
