"""What every study design is made of: the declared specification and the calls built on it.

A study design (:class:`Design`) declares, as data, what a study is: the panels
it can run on, its sample rules, its treatment coding (both partial-year rules
of :mod:`enforcement_crime.treatment`), its outcomes and their scale, the
headline specification (estimator, options, weights, clusters, inference) and
its robustness variants. Notebooks, the multiverse, the parameter files and
the benchmark scripts all go through a design object, so a specification is
written once.

A design is opened on a panel (:meth:`Design.open` / :meth:`Design.prepare`)
into a :class:`StudySample`: the analysis sample, with its treatment columns,
the rows every sample rule dropped (``accounting``), and whether the data are
synthetic. Estimator calls go through :meth:`Spec.fit` / :func:`run`: an
estimator that refuses a *real* panel (an
:class:`~enforcement_crime.estimators.EstimatorInputError`, e.g. years with
gaps) gives a :class:`NotEstimable` record with the estimator's reason, which
tables show as a row without numbers; on the built-in synthetic panel every
refusal is raised, so tests catch it. Any other error is always raised.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from enforcement_crime.designs.calls import (
    PARTIAL_YEAR_RULE,
    NotEstimable,
    Outcome,
    headline,
    run,
)
from enforcement_crime.designs.conclusions import (
    ARRESTS_PANELS,
    CONCLUSIONS,
    Conclusion,
    study_vs_rebuild,
)
from enforcement_crime.results import EstimationResult
from enforcement_crime.treatment import EXPOSURE_RULES, add_treatment

__all__ = [
    "NotEstimable",
    "run",
    "headline",
    "Treatment",
    "Spec",
    "EstimatorCall",
    "PARTIAL_YEAR_OPTIONS",
    "takes",
    "StudySample",
    "Design",
    "balanced",
    "estimable",
    "data_label_of",
]


def balanced(data: pd.DataFrame, unit: str, time: str, outcome: str) -> tuple[pd.DataFrame, int]:
    """Keep the units observed, with a non-missing ``outcome``, in every period present in ``data``.

    For estimators that need a balanced panel (Bacon decomposition, synthetic
    control). Returns the balanced frame and the number of units left out (to
    be reported: no unit is dropped silently).
    """
    periods = data[time].nunique()
    ok = data[data[outcome].notna()].groupby(unit)[time].nunique()
    keep = ok.index[ok == periods]
    out = data[data[unit].isin(keep)]
    return out, int(data[unit].nunique() - len(keep))


def estimable(results: Mapping) -> dict:
    """The entries of ``{key: result}`` that were estimated (no :class:`NotEstimable` records)."""
    return {k: r for k, r in results.items() if not isinstance(r, NotEstimable)}


# --------------------------------------------------------------------------------------
# declarations
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Treatment:
    """How a programme's dates become annual treatment columns.

    ``start``/``end`` are the date columns of the panel, ``prefix`` names the
    columns :func:`~enforcement_crime.treatment.add_treatment` adds
    (``<prefix>_cohort``, ``_treated``, ``_share``, ``_ever``,
    ``_switch_off``).
    """

    start: str
    end: str | None
    prefix: str
    programme: str

    @property
    def cohort(self) -> str:
        return f"{self.prefix}_cohort"

    @property
    def treated(self) -> str:
        return f"{self.prefix}_treated"

    @property
    def share(self) -> str:
        return f"{self.prefix}_share"

    @property
    def ever(self) -> str:
        return f"{self.prefix}_ever"

    def code(self, panel: pd.DataFrame, rule: str, year: str = "year") -> pd.DataFrame:
        """``panel`` with this programme's treatment columns under ``rule`` (``year``: the time column)."""
        return add_treatment(panel, self.start, self.end, rule=rule, prefix=self.prefix, year=year)


#: what each ``Spec.partial_year`` value does when the sample has partly treated adoption years
#: (column ``partial_year``, set by :meth:`Design.mark_partial_year` under the first-full-year rule):
#: the options it adds (an option the spec gives explicitly wins), or ``"drop"``: the partial years are
#: left out of the estimation sample
PARTIAL_YEAR_OPTIONS: dict[str, dict[str, Any]] = {
    "drop": {},
    "reference": {"reference": -2, "pretrend_through": -2},
    "anticipation": {"anticipation": 1},
}

#: the fields of :class:`Spec` that :meth:`Spec.choose` replaces (any other name is an estimator option)
_CHOOSABLE = (
    "estimator",
    "treatment",
    "term",
    "transform",
    "weighted",
    "clustered",
    "partial_year",
)


@dataclass(frozen=True)
class EstimatorCall:
    """One estimator call as a :class:`Spec` resolves it: the function, its arguments and its data.

    ``set_aside`` counts the partly treated adoption years the spec left out
    of ``data`` (``partial_year="drop"``).
    """

    estimator: Callable[..., EstimationResult]
    args: tuple
    kwargs: dict[str, Any]
    set_aside: int = 0

    @property
    def data(self) -> pd.DataFrame:
        return self.args[0]

    def run(self, *, tolerate: bool = False) -> Outcome:
        """Call the estimator (:func:`run`: with ``tolerate``, a refused input is a :class:`NotEstimable`)."""
        return run(self.estimator, *self.args, tolerate=tolerate, **self.kwargs)


def _key_value(value: Any) -> Any:
    """A hashable stand-in for an estimator argument, or :data:`_UNKEYED` when it has none."""
    if value is None or isinstance(value, str | bool | int | float):
        return (type(value).__name__, value)
    if isinstance(value, list | tuple):
        items = tuple(_key_value(v) for v in value)
        return _UNKEYED if _UNKEYED in items else (type(value).__name__, items)
    if isinstance(value, Mapping):
        items = tuple(
            (k, _key_value(v)) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))
        )
        return _UNKEYED if any(v is _UNKEYED for _, v in items) else ("mapping", items)
    return _UNKEYED


_UNKEYED = object()


def call_key(call: EstimatorCall, tolerate: bool) -> tuple | None:
    """The identity of an estimator call: estimator, arguments and the data's content.

    The data enter through a hash of every row (values and index,
    :func:`pandas.util.hash_pandas_object`), the column names and dtypes.
    None (never remembered) when an argument is not a plain value (a
    string, number, boolean, None, or a list, tuple or mapping of them).
    """
    import hashlib

    frame, *names = call.args
    parts = tuple(_key_value(v) for v in (*names, *sorted(call.kwargs.items())))
    if any(p is _UNKEYED for p in parts):
        return None
    digest = hashlib.blake2b(
        pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes(), digest_size=16
    )
    digest.update(repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode())
    return (call.estimator, parts, len(frame), digest.hexdigest(), call.set_aside, bool(tolerate))


def _columns_named(data: pd.DataFrame, rows, values) -> pd.DataFrame:
    """``data`` (its ``rows`` when given) with only the columns an estimator call names.

    Estimators read the columns named by their arguments (a column name, or a
    list of them, e.g. controls or strata) and no other, so the call gets those
    columns alone, in the frame's order: copying a row subset of a wide panel
    is most of the cost of a fit on it.
    """
    named: set[str] = set()
    for v in values:
        for name in v if isinstance(v, list | tuple) else (v,):
            if isinstance(name, str) and name in data.columns:
                named.add(name)
    cols = [c for c in data.columns if c in named]
    out = data.loc[rows, cols] if rows is not None else data.loc[:, cols]
    # no estimator reads a frame's attrs (the panel's provenance): without them pandas does not
    # deep-copy that metadata into every column and subset the estimator takes
    out.attrs = {}
    return out


@dataclass(frozen=True)
class Spec:
    """One specification: an estimator (the function itself) and its exact options.

    Parameters
    ----------
    label : str
        How tables name it.
    estimator : callable
        A public function of :mod:`enforcement_crime.estimators`.
    options : mapping
        Keyword arguments passed as they are (an option the estimator does not
        take raises ``TypeError``). ``weights``/``cluster`` come from the
        design unless given here.
    treatment : {"cohort", "treated", "share"}
        Which treatment column the estimator gets: the absorbing first treated
        year (positional ``cohort``), or the rule's switching indicator /
        share of year as ``treatment=``.
    term : str, optional
        The headline term (default: the first static term).
    transform : {"level", "log"} or None
        ``"log"`` analyses ``log_<outcome>`` (log(1 + rate), a column the
        design adds); None (default): the design's headline scale
        (``Design.transform``).
    weighted, clustered : bool
        Pass the design's weights / cluster variable.
    partial_year : {"drop", "reference", "anticipation"}
        How the partly treated adoption year (first-full-year rule) is kept
        out of the reference period, when the sample has one
        (:data:`PARTIAL_YEAR_OPTIONS`): ``"drop"`` leaves those rows out of
        the estimation sample; ``"reference"`` keeps them and sets the event
        study's ``reference=-2`` and ``pretrend_through=-2`` (e = -1, the
        partial year, is estimated and shown, outside the joint pre-trend
        test); ``"anticipation"`` keeps them and sets ``anticipation=1``
        (Callaway-Sant'Anna's base period becomes the year before signing).
        Without partial years nothing is added or dropped.
    choices : tuple of (name, label)
        The choices :meth:`choose` / :meth:`vary` changed from the spec it
        was made from (empty for a declared spec).
    """

    label: str
    estimator: Callable[..., EstimationResult]
    options: Mapping[str, Any] = field(default_factory=dict)
    treatment: str = "cohort"
    term: str | None = None
    transform: str | None = None
    weighted: bool = True
    clustered: bool = True
    partial_year: str = "drop"
    choices: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if self.treatment not in ("cohort", "treated", "share"):
            raise ValueError(
                f"Spec {self.label!r}: treatment must be 'cohort', 'treated' or 'share', got {self.treatment!r}"
            )
        if self.transform not in (None, "level", "log"):
            raise ValueError(
                f"Spec {self.label!r}: transform must be 'level' or 'log', got {self.transform!r}"
            )
        if self.partial_year not in PARTIAL_YEAR_OPTIONS:
            raise ValueError(
                f"Spec {self.label!r}: partial_year must be one of {list(PARTIAL_YEAR_OPTIONS)}, "
                f"got {self.partial_year!r}"
            )
        missing = [
            k for k in PARTIAL_YEAR_OPTIONS[self.partial_year] if not takes(self.estimator, k)
        ]
        if missing:
            raise ValueError(
                f"Spec {self.label!r}: partial_year={self.partial_year!r} sets {missing}, which "
                f"{getattr(self.estimator, '__name__', self.estimator)} does not take"
            )

    # ---- variants -------------------------------------------------------------------
    def choose(self, label: str | None = None, **choices) -> Spec:
        """This specification with some choices changed (a new :class:`Spec`; this one is unchanged).

        A keyword naming a field (``estimator``, ``treatment``, ``term``,
        ``transform``, ``weighted``, ``clustered``, ``partial_year``) replaces
        it; any other keyword is an estimator option, merged into
        ``options``. ``label`` names the new spec (default: this label and
        the choices). The choices are recorded in :attr:`choices`.
        """
        fields = {k: v for k, v in choices.items() if k in _CHOOSABLE}
        options = {k: v for k, v in choices.items() if k not in _CHOOSABLE}
        made = tuple((k, _show(v)) for k, v in choices.items())
        if label is None:
            label = (
                f"{self.label}; " + ", ".join(f"{k}={v}" for k, v in made) if made else self.label
            )
        return dataclasses.replace(self, label=label, options={**self.options, **options},
                                   choices=(*self.choices, *made), **fields)  # fmt: skip

    def vary(self, **alternatives: Mapping[str, Any] | Sequence[Any]) -> list[Spec]:
        """One variant per alternative, each changing one choice (fixest's ``sw()``).

        ``alternatives``: choice name (as in :meth:`choose`) -> the
        alternatives, either a mapping ``{label: value}`` or a sequence of
        values (labelled by their text). Returns the variants in the order
        given; each records ``(name, label)`` after this spec's own
        :attr:`choices` and is labelled ``"<this label>, <label>"``.

        >>> from enforcement_crime.estimators import twfe
        >>> [s.label for s in Spec("TWFE", twfe).vary(weighted={"unweighted": False},
        ...                                           transform=["level", "log"])]
        ['TWFE, unweighted', 'TWFE, level', 'TWFE, log']
        """
        out = []
        for name, alts in alternatives.items():
            labelled = alts.items() if isinstance(alts, Mapping) else ((_show(v), v) for v in alts)
            for text, value in labelled:
                spec = self.choose(label=f"{self.label}, {text}", **{name: value})
                out.append(dataclasses.replace(spec, choices=(*self.choices, (name, text))))
        return out

    # ---- estimation -----------------------------------------------------------------
    def call(self, design: Design, data: pd.DataFrame, outcome: str, *,
             rows: np.ndarray | None = None, **overrides) -> EstimatorCall:  # fmt: skip
        """The estimator call this spec makes for ``outcome`` on ``data`` (rows of ``design``'s sample).

        Weights and clusters come from the design (unless the spec turns them
        off or its options give them), then the spec's options, then
        ``overrides``; the partly treated adoption year is handled as
        :attr:`partial_year` says. ``rows`` (a boolean mask over ``data``)
        keeps a subset of the rows, e.g. a leave-one-out sample.
        """
        names, kw, rows, set_aside = self._resolve(design, data, outcome, rows, overrides)
        data = _columns_named(data, rows, (*names, *kw.values()))
        return EstimatorCall(self.estimator, (data, *names), kw, set_aside)

    def _resolve(self, design: Design, data: pd.DataFrame, outcome: str, rows, overrides):
        """What :meth:`call` passes: column names, options, the rows kept and the partial years set aside."""
        d = design
        y = d.column(outcome, self.scale(d))
        kw: dict[str, Any] = {}
        if self.weighted and d.weights:
            kw["weights"] = d.weights
        if self.clustered and d.cluster is not None:
            kw["cluster"] = d.cluster
        kw.update(self.options)
        kw.update(overrides)
        set_aside = 0
        if rows is not None:
            rows = np.asarray(rows, dtype=bool)
            if rows.shape != (len(data),):
                raise ValueError(
                    f"rows: a boolean mask of {len(data)} rows, got shape {rows.shape}"
                )
        if "partial_year" in data.columns and data["partial_year"].any():
            if self.partial_year == "drop":
                partial = data["partial_year"].to_numpy(dtype=bool)
                kept = ~partial if rows is None else rows & ~partial
                set_aside = int((partial if rows is None else rows & partial).sum())
                rows = kept
            else:
                kw = {**PARTIAL_YEAR_OPTIONS[self.partial_year], **kw}
        t = d.treatment
        if self.treatment == "cohort":
            names = (y, d.unit, d.time, t.cohort)
        else:
            names = (y, d.unit, d.time)
            kw["treatment"] = t.treated if self.treatment == "treated" else t.share
        return names, kw, rows, set_aside

    def fit(self, sample: StudySample, outcome: str, *, data: pd.DataFrame | None = None,
            rows: np.ndarray | None = None, **overrides) -> Outcome:  # fmt: skip
        """Estimate this specification for ``outcome`` on ``sample`` (or on ``data``, a subset of it).

        ``rows``: a boolean mask over the sample's (or ``data``'s) rows to keep.

        A fit without ``rows`` is remembered in the sample's :attr:`StudySample.fits`
        under the exact estimator call (:func:`call_key`: the estimator, its
        arguments and the content of the columns it gets): the same call made
        again, e.g. by the verdicts and by a notebook's own table, returns a
        copy of the first result instead of estimating again (estimators are
        deterministic given their arguments, seeds included).
        """
        df = sample.data if data is None else data
        call = self.call(sample.design, df, outcome, rows=rows, **overrides)
        key = None if rows is not None else call_key(call, sample.tolerate)
        res = sample.fits.get(key) if key is not None else None
        if res is None:
            res = call.run(tolerate=sample.tolerate)
            if key is not None:
                sample.fits[key] = res
        if isinstance(res, EstimationResult):
            res = copy.copy(res)  # the remembered result keeps its own labels
            res.outcome = outcome
            res.specification = self.label
            _record_reduction(res, call.data, call.args[2], sample.design)
        return res

    def fit_rows(self, sample: StudySample, outcome: str, rows: Sequence[np.ndarray],
                 **overrides) -> list[Outcome]:  # fmt: skip
        """``[self.fit(sample, outcome, rows=r, **overrides) for r in rows]``, preparing the sample once.

        For a TWFE specification the estimator checks and prepares the sample once and
        restricts it to each mask (:func:`~enforcement_crime.estimators.twfe.twfe_on_rows`:
        the same results as separate fits); any other estimator fits each mask in turn.
        """
        from enforcement_crime.estimators.twfe import twfe, twfe_on_rows

        if self.estimator is not twfe or len(rows) < 2:
            return [self.fit(sample, outcome, rows=r, **overrides) for r in rows]
        d, df = sample.design, sample.data
        names, kw, base_rows, _ = self._resolve(d, df, outcome, None, overrides)
        frame = _columns_named(df, base_rows, (*names, *kw.values()))
        keeps = []
        for r in rows:
            kept = self._resolve(d, df, outcome, r, overrides)[2]
            keeps.append(kept if base_rows is None else kept[base_rows])
        out = []
        fits = twfe_on_rows(frame, *names, rows=keeps, **kw)
        for fit, keep in zip(fits, keeps, strict=True):
            res = run(fit, tolerate=sample.tolerate)
            if isinstance(res, EstimationResult):
                res.outcome = outcome
                res.specification = self.label
                _record_reduction(res, _RowsOf(frame, keep), names[1], d)
            out.append(res)
        return out

    def scale(self, design: Design) -> str:
        """``"log"`` or ``"level"``: this spec's own transform, else the design's headline scale."""
        return self.transform or design.transform

    def headline(self, sample: StudySample, outcome: str, **overrides) -> dict:
        """:func:`headline` of :meth:`fit`, with the outcome and specification label."""
        res = self.fit(sample, outcome, **overrides)
        return {"outcome": outcome, "specification": self.label, **headline(res, self._term(res))}

    def _term(self, res: Outcome) -> str | None:
        return None if isinstance(res, NotEstimable) else self.term


class _RowsOf:
    """The rows ``keep`` of ``frame`` as :func:`_record_reduction` reads them (a frame's length
    and one column), without copying the other rows."""

    def __init__(self, frame: pd.DataFrame, keep: np.ndarray):
        self.frame, self.keep = frame, keep

    def __len__(self) -> int:
        return int(self.keep.sum())

    def __getitem__(self, column: str) -> pd.Series:
        return self.frame.loc[self.keep, column]


def _record_reduction(res: EstimationResult, data, unit: str, design: Design) -> None:
    """Record in ``res.extra`` when the estimator used fewer units or rows than the call gave it.

    ``units_used`` / ``units_available`` (estimators that report the units
    they used, ``extra["units"]``: Callaway-Sant'Anna balances the panel and
    drops units treated in the first period), ``rows_used`` /
    ``rows_available``, and, when units were left out, ``sample_reduction``:
    one sentence with the counts and the estimator's own account of what it
    dropped (the ``dropped: ...`` part of its notes), which :func:`headline`
    puts in its ``note`` (rows with a missing outcome left out of units that
    stay are in the counts and the estimator's notes only). Nothing is
    recorded when nothing was left out.
    """
    bits = []
    units = res.extra.get("units")
    available = int(data[unit].nunique()) if units is not None else 0
    if units is not None and len(units) < available:
        res.extra.update(units_used=int(len(units)), units_available=available)
        bits.append(f"{len(units)} of {available} {design.unit_name}")
    if res.n_obs is not None and int(res.n_obs) < len(data):
        res.extra.update(rows_used=int(res.n_obs), rows_available=len(data))
        bits.append(f"{int(res.n_obs)} of {len(data)} rows")
    if "units_used" in res.extra:
        at = res.notes.find("dropped: ")
        why = f" ({res.notes[at:].strip()})" if at >= 0 else ""
        res.extra["sample_reduction"] = (
            f"sample reduced by the estimator: {' and '.join(bits)} used{why}"
        )


def takes(estimator: Callable, option: str) -> bool:
    """Whether ``estimator`` has a parameter named ``option``."""
    import inspect

    return option in inspect.signature(estimator).parameters


def _show(value: Any) -> str:
    """A choice's value as text (``True`` -> ``"True"``, ``["a", "b"]`` -> ``"a+b"``)."""
    if isinstance(value, (list, tuple)):
        return "+".join(str(v) for v in value)
    return str(value)


def data_label_of(
    data_source: str, synthetic: bool, seed: int, preset: str, mark: str | None = None
) -> str:
    """The words every output made from this panel carries.

    Synthetic panels: "SYNTHETIC DATA (built-in panel, seed ..., preset ...)".
    Real panels: the panel's mark from the registry (e.g. "REAL DATA: FBI CIUS
    APPROXIMATION OF COUNTY TOTALS"), with the panel's name.
    """
    if synthetic:
        return f"SYNTHETIC DATA (built-in panel, seed {seed}, preset {preset!r})"
    return f"{mark or 'REAL DATA'} (panel {data_source!r})"


@dataclass
class StudySample:
    """A design opened on a panel: the analysis sample and what was done to get it.

    Attributes
    ----------
    design : Design
    data : pandas.DataFrame
        The analysis sample, treatment columns added.
    raw : pandas.DataFrame
        The panel as loaded (for banners and raw descriptions).
    data_source, label : str
        The panel's name and the words outputs carry.
    synthetic : bool
    accounting : list of dict
        One entry per sample rule: ``rule``, ``rows_dropped``,
        ``units_dropped``, ``rows_set_aside`` (kept in the sample but left
        out of some estimates, e.g. the partly treated adoption year) and
        ``why``. Nothing leaves the sample unrecorded.
    """

    design: Design
    data: pd.DataFrame
    raw: pd.DataFrame
    data_source: str
    label: str
    synthetic: bool
    accounting: list[dict] = field(default_factory=list)
    #: estimates already made on this sample, by :func:`call_key` (:meth:`Spec.fit`); shared by the
    #: samples :func:`dataclasses.replace` makes from it (the key is the call's content)
    fits: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def tolerate(self) -> bool:
        """Estimator refusals become :class:`NotEstimable` records on real panels only."""
        return not self.synthetic

    @property
    def years(self) -> list[int]:
        return sorted(int(y) for y in self.data[self.design.time].unique())

    def with_rule(self, rule: str) -> StudySample:
        """The same sample with the treatment columns coded under another exposure rule."""
        design = self.design.with_options(rule=rule)
        data = design.mark_partial_year(design.treatment.code(self.data, rule, design.time))
        return dataclasses.replace(self, design=design, data=data)

    def accounting_frame(self) -> pd.DataFrame:
        """The sample rules and what each dropped, as a table."""
        cols = ["rule", "rows_dropped", "units_dropped", "rows_set_aside", "why"]
        out = pd.DataFrame(self.accounting, columns=cols)
        out["rows_set_aside"] = out["rows_set_aside"].fillna(0).astype(int)
        return out

    def summary(self) -> str:
        """One line: data, units, rows, years present."""
        d = self.design
        return (
            f"Data: {self.label}; {self.data[d.unit].nunique()} {d.unit_name}, {len(self.data)} rows; "
            f"years present: {self.years}"
        )


def _drop(
    df: pd.DataFrame, bad: pd.Series, unit: str, rule: str, why: str, log: list[dict]
) -> pd.DataFrame:
    """Drop the rows flagged ``bad`` and record how many rows and units went."""
    bad = bad.fillna(False).astype(bool).to_numpy()
    n_units = df[unit].nunique()
    out = df[~bad]
    log.append(
        {
            "rule": rule,
            "rows_dropped": int(bad.sum()),
            "units_dropped": int(n_units - out[unit].nunique()),
            "why": why,
        }
    )
    return out


def _option_expectation(design: Design, name: str, value: object) -> str | None:
    """What option ``name`` of ``design`` expects when ``value`` does not fit, else ``None``.

    The kind is read from the field's declared value and type: a bool, a
    whole number (a positive one for counts named ``n_*``), a number (a
    level in (0, 1) for ``alpha``), text, or a list of names (``outcomes``:
    at least one) or of whole numbers.
    """
    current = getattr(design, name)
    hint = str(next(f.type for f in dataclasses.fields(design) if f.name == name))
    if value is None:
        return None if "None" in hint else "a value (not null)"
    whole = isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)
    if isinstance(current, bool):
        return None if isinstance(value, bool | np.bool_) else "true or false"
    if isinstance(current, int):
        if name.startswith("n_"):
            return None if whole and value >= 1 else "a whole number of at least 1"
        return None if whole else "a whole number"
    if isinstance(current, float):
        if not (whole or isinstance(value, float)):
            return "a number"
        return None if name != "alpha" or 0 < value < 1 else "a level between 0 and 1"
    if isinstance(current, str):
        return None if isinstance(value, str) else "text"
    if isinstance(current, tuple) and ("str" in hint or "int" in hint):
        items = list(value) if isinstance(value, list | tuple) else None
        if "str" in hint:
            if items is None or not all(isinstance(v, str) for v in items):
                return "a list of names (text), e.g. " + repr(list(current)[:2])
            return "at least one name" if name == "outcomes" and not items else None
        if items is None or not all(
            isinstance(v, int | np.integer) and not isinstance(v, bool) for v in items
        ):
            return "a list of whole numbers, e.g. " + repr(list(current))
    return None


@dataclass(frozen=True)
class Design:
    """A study design, declared as data (see the module docstring).

    Subclasses (one module per study under :mod:`enforcement_crime.designs`)
    fill the fields and add the study's own analyses; the fields can be
    changed per run with :meth:`with_options` (an unknown option raises).
    """

    key: str
    title: str
    study: str  # reports sub-folder: "287g", "secure_communities"
    notebook: str  # the notebook that presents it
    panels: tuple[str, ...]  # panels it can run on, besides "synthetic"
    treatment: Treatment
    outcomes: tuple[str, ...]
    years: tuple[int, int]
    rule: str = "first_full_year"
    transform: str = "log"  # headline scale: "log" (log(1 + rate)) or "level" (per 100,000)
    unit: str = "fips"
    unit_name: str = "counties"
    time: str = "year"
    weights: str | None = "population"
    cluster: str | None = "state"
    event_window: tuple[int, int] = (-4, 4)
    alpha: float = 0.05
    state_prefix: str | None = None  # keep units whose FIPS starts with this (e.g. "37": NC)
    require_start: bool = False  # drop units without a programme date
    log_outcomes: bool = True  # add log(1 + rate) columns
    leave_one_out: str | None = "state"  # robustness: leave out each "state" or each "treated" unit
    alt_panels: tuple[str, ...] = ()  # real panels whose estimates are robustness rows (make real)
    drop_partial_year: bool = (
        True  # first-full-year rule: keep the partly treated adoption year out of the reference
    )

    # ---- options ------------------------------------------------------------------
    def with_options(self, **options) -> Design:
        """A copy with some declared fields changed.

        An unknown field raises ``TypeError``; a value of the wrong kind for
        its field (a number where names are expected, a draw count below 1,
        ...) raises ``ValueError`` naming the option and what it expects.
        """
        names = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(options) - names)
        if unknown:
            raise TypeError(
                f"design {self.key!r}: unknown option(s) {unknown}; options are {sorted(names)}"
            )
        for name, value in options.items():
            expected = _option_expectation(self, name, value)
            if expected:
                raise ValueError(
                    f"design {self.key!r}: option {name!r} must be {expected}, got {value!r}"
                )
        conv = {k: tuple(v) if isinstance(v, list) else v for k, v in options.items()}
        out = dataclasses.replace(self, **conv)
        out.check()
        return out

    def outcomes_available(
        self, panel: StudySample | pd.DataFrame | None = None
    ) -> tuple[str, ...]:
        """The outcomes this design accepts (``options={"outcomes": [...]}``) on a panel.

        Rates per 100,000: the totals' (index, violent, property) and each
        UCR offense's (:data:`enforcement_crime.schema.OUTCOME_RATE_COLUMNS`),
        then the arrest rates of an arrests panel
        (:data:`enforcement_crime.panels.icpsr_arrests.RATES`: arrests per
        100,000 population, not offenses); those present with at least one
        value in ``panel`` (a loaded panel or an opened sample); without a
        panel, all of them.
        """
        from enforcement_crime.panels.icpsr_arrests import RATES as ARREST_RATES
        from enforcement_crime.schema import OUTCOME_RATE_COLUMNS

        every = OUTCOME_RATE_COLUMNS + ARREST_RATES
        if panel is None:
            return every
        df = panel.raw if isinstance(panel, StudySample) else panel
        return tuple(c for c in every if c in df and df[c].notna().any())

    def outcome_hint(self, unknown: Sequence[str], *, synthetic: bool, data_source: str) -> str:
        """Why outcomes are not on a panel, in a few words (empty when nothing more can be said).

        Arrest rates asked of a panel without arrests: the built-in synthetic
        panel simulates offenses, not arrests; arrests are on panel
        ``icpsr_arrests``. Offense rates asked of an arrests panel
        (:data:`.conclusions.ARRESTS_PANELS`): it has arrests, not offenses
        known.
        """
        from enforcement_crime.panels.icpsr_arrests import RATES as ARREST_RATES
        from enforcement_crime.schema import OUTCOME_RATE_COLUMNS

        if any(o in ARREST_RATES for o in unknown):
            where = ("the built-in SYNTHETIC panel simulates offenses, not arrests"
                     if synthetic else f"panel {data_source!r} has no arrests")  # fmt: skip
            return f"{where}; arrest rates are on panel 'icpsr_arrests' (ICPSR county arrests)"
        if data_source in ARRESTS_PANELS and any(o in OUTCOME_RATE_COLUMNS for o in unknown):
            return f"panel {data_source!r} has arrests, not offenses known"
        return ""

    def column(self, outcome: str, transform: str | None = None) -> str:
        """The analysed column of ``outcome`` on a scale (default: the headline scale)."""
        return f"log_{outcome}" if (transform or self.transform) == "log" else outcome

    @property
    def scale_label(self) -> str:
        """Axis label of effects on the headline scale."""
        return "log points (log(1 + rate))" if self.transform == "log" else "per 100,000"

    def check(self) -> None:
        """Refuse an inconsistent declaration (wrong rule, reversed years or window)."""
        if self.rule not in EXPOSURE_RULES:
            raise ValueError(
                f"design {self.key!r}: rule must be one of {EXPOSURE_RULES}, got {self.rule!r}"
            )
        if len(self.years) != 2 or self.years[0] > self.years[1]:
            raise ValueError(
                f"design {self.key!r}: years must be (first, last), got {self.years!r}"
            )
        if len(self.event_window) != 2 or self.event_window[0] >= 0 or self.event_window[1] < 0:
            raise ValueError(
                f"design {self.key!r}: event_window must be (lead < 0, lag >= 0), got {self.event_window!r}"
            )

    # ---- opening on a panel --------------------------------------------------------
    def open(self, data_source: str = "synthetic", *, seed: int | None = None, preset: str = "null",
             **options) -> StudySample:  # fmt: skip
        """Load the panel ``data_source`` and apply this design (:meth:`prepare`)."""
        import logging

        from enforcement_crime import synthetic as synth
        from enforcement_crime.panels import is_synthetic, load_panel

        logging.getLogger("fontTools").setLevel(logging.WARNING)  # PDF font subsetting chatter
        design = self.with_options(**options) if options else self
        seed = synth.DEFAULT_SEED if seed is None else seed
        raw = load_panel(data_source, seed=seed, preset=preset)
        syn = is_synthetic(raw)
        mark = raw.attrs.get("enforcement_crime", {}).get("mark")
        label = data_label_of(data_source, syn, seed, preset, mark)
        return design.prepare(raw, data_source=data_source, label=label)

    def open_alternatives(self, names: Iterable[str], *, seed: int | None = None,
                          preset: str = "null") -> dict[str, StudySample]:  # fmt: skip
        """This design on other panels (robustness: e.g. constant composition, sheriff panel).

        A panel that is not built is reported (printed, with how to build it)
        and left out; any other error raises.
        """
        out = {}
        for name in names:
            try:
                out[f"panel {name}"] = self.open(name, seed=seed, preset=preset)
            except FileNotFoundError as err:
                print(f"alternative panel {name!r} left out: {err}")
        return out

    def sample_rules(self, df: pd.DataFrame, log: list[dict]) -> pd.DataFrame:
        """The design's sample rules (window, state, programme dates); subclasses add their own."""
        t = self.time
        df = _drop(df, ~df[t].between(*self.years), self.unit, "window",
                   f"years outside {self.years[0]}-{self.years[1]}", log)  # fmt: skip
        if self.state_prefix:
            df = _drop(df, ~df[self.unit].astype(str).str.startswith(self.state_prefix), self.unit,
                       "state", f"units outside state FIPS {self.state_prefix}", log)  # fmt: skip
        if self.require_start:
            df = _drop(df, df[self.treatment.start].isna(), self.unit, "programme date",
                       f"units without a {self.treatment.programme} date ({self.treatment.start})", log)  # fmt: skip
        return df

    def prepare(
        self, raw: pd.DataFrame, *, data_source: str = "synthetic", label: str | None = None
    ) -> StudySample:
        """Apply the sample rules and the treatment coding to a loaded panel."""
        from enforcement_crime.panels import is_synthetic

        self.check()
        syn = is_synthetic(raw)
        unknown = [o for o in self.outcomes if o not in raw.columns]
        if unknown:
            hint = self.outcome_hint(unknown, synthetic=syn, data_source=data_source)
            raise ValueError(
                f"design {self.key!r}: unknown outcome(s) {unknown} on panel {data_source!r}"
                + (f" ({hint})" if hint else "")
                + f"; choose from {list(self.outcomes_available(raw))}"
            )
        log: list[dict] = []
        df = self.sample_rules(raw.copy(), log)
        if df.empty:
            raise ValueError(
                f"design {self.key!r}: panel {data_source!r} has no rows left after the sample rules: "
                + "; ".join(f"{r['rule']}: {r['rows_dropped']} rows ({r['why']})" for r in log)
            )
        gaps = self.missing_years(df)
        if gaps:
            log.append({"rule": "years without rows", "rows_dropped": 0, "units_dropped": 0,
                        "why": f"no rows for {', '.join(map(str, gaps))} inside the window "
                               f"{self.years[0]}-{self.years[1]} (panel {data_source!r}): nothing "
                               "imputed; the event times those years would give are not observed"})  # fmt: skip
        df = self.treatment.code(df, self.rule, self.time)
        df = self.mark_partial_year(df)
        if "partial_year" in df.columns:
            log.append({"rule": "partial adoption year", "rows_dropped": 0, "units_dropped": 0,
                        "rows_set_aside": int(df["partial_year"].sum()), "why": PARTIAL_YEAR_RULE})  # fmt: skip
        if self.log_outcomes:  # log(1 + rate) keeps zero-crime unit-years (documented choice)
            for col in self.outcomes:
                df[f"log_{col}"] = np.log1p(df[col].astype("float64"))
        df = self.finish(df, log)
        return StudySample(self, df, raw, data_source, label or data_source, syn, log)

    def missing_years(self, data: pd.DataFrame) -> list[int]:
        """The years between the first and the last year of ``data`` (inside the window) without a row.

        E.g. 2009 and 2011 on the ICPSR arrests panel, whose files for those
        years were not found; nothing is imputed for them.
        """
        years = pd.to_numeric(data[self.time], errors="coerce").dropna().astype(int)
        if years.empty:
            return []
        have = set(years)
        return [y for y in range(min(have), max(have) + 1) if y not in have]

    def mark_partial_year(self, df: pd.DataFrame) -> pd.DataFrame:
        """Flag (column ``partial_year``) the partly treated adoption year under the first-full-year rule.

        Under the share-of-year rule (or with ``drop_partial_year=False``) no
        flag is set and the column is removed. Each :class:`Spec` declares how it keeps
        the flagged years out of its reference period (:attr:`Spec.partial_year`).
        """
        df = df.drop(columns=["partial_year"], errors="ignore")
        if self.rule != "first_full_year" or not self.drop_partial_year:
            return df
        t = self.treatment
        share, cohort = df[t.share], df[t.cohort].astype("Float64")
        df["partial_year"] = (
            ((share > 0) & (share < 1) & (df[self.time] < cohort))
            .fillna(False)
            .to_numpy(dtype=bool)
        )
        return df

    def finish(self, df: pd.DataFrame, log: list[dict]) -> pd.DataFrame:
        """Hook for study-specific columns after treatment coding (default: none)."""
        return df

    # ---- the calls every consumer makes ---------------------------------------------
    def headline_spec(self) -> Spec:
        """The headline specification (subclasses declare it)."""
        raise NotImplementedError(f"design {self.key!r} declares no headline specification")

    #: seed of the bootstrap and permutation draws of specifications fitted without a ``seed`` (every
    #: declared resampling specification carries it): fixed, so the same call gives the same interval
    #: and a notebook's output is reproducible; ``fit(..., seed=)`` overrides
    boot_seed: ClassVar[int] = 0
    #: the placebo re-assignment scheme (:data:`~enforcement_crime.estimators.placebo.PLACEBO_SCHEMES`)
    #: whose share at least as extreme the verdict reads (:func:`.evidence.placebo_tests`)
    placebo_scheme: ClassVar[str] = "within state"
    #: the column of the strata of the "within strata" placebo scheme (None: no such scheme)
    placebo_strata: ClassVar[str | None] = None
    #: placebo schedules per scheme
    placebo_draws: ClassVar[int] = 500

    def event_spec(self) -> Spec:
        """The event-study specification: TWFE leads and lags, binned endpoints, reference -1.

        The joint pre-trend test is the Wald statistic of the leads calibrated
        by the restricted wild cluster bootstrap (``pretrend_inference=
        "wild_cluster"``, the design's ``n_boot`` draws, seed
        :attr:`boot_seed`): with the design's few (or few treated) clusters
        the chi-square p-value over-rejects on the null panel (the size table
        keeps a "chi-square (not used)" row). When e = -1 is partly treated
        (first-full-year rule), ``partial_year="reference"`` moves the
        reference and the last lead tested to e = -2 (``reference=-2``,
        ``pretrend_through=-2``).
        """
        from enforcement_crime.estimators import event_study

        return Spec("TWFE event study", event_study, {
            "window": tuple(self.event_window), "pretrend_inference": "wild_cluster",
            "n_boot": getattr(self, "n_boot", 999), "seed": self.boot_seed,
        }, partial_year="reference")  # fmt: skip

    def multiverse_specs(self) -> dict[str, Spec]:
        """The base specification of each estimator the multiverse grid chooses (analytic inference).

        The grid's other estimation choices change these through
        :meth:`Spec.choose` (:func:`enforcement_crime.multiverse.spec_of`).
        """
        from enforcement_crime.estimators import callaway_santanna, imputation, twfe

        return {
            "twfe": Spec("TWFE", twfe),
            "callaway_santanna": Spec("Callaway-Sant'Anna, simple ATT", callaway_santanna,
                                      {"control_group": "not_yet_treated", "aggregation": "simple"},
                                      term="ATT(simple)", partial_year="anticipation"),
            "imputation": Spec("imputation", imputation),
        }  # fmt: skip

    def robustness_specs(self) -> tuple[Spec, ...]:
        """The robustness variants of the headline (subclasses declare them)."""
        return ()

    def robust_spec(self) -> Spec:
        """The point estimator the robustness variants change one choice of (default: the headline)."""
        return self.headline_spec()

    def within_variants(self, sample: StudySample) -> list[tuple[str, Spec, pd.DataFrame | None]]:
        """Within-state comparisons beyond the state- and division-by-year effects: ``(label, spec, data)``.

        Robustness rows of the "within state" choice (e.g. contiguous county
        pairs, :mod:`.neighbours`); ``data`` is a sub-sample or None. Default: none.
        """
        return []

    #: the names (``output_name("tab", key)``) of the tables :meth:`side_tables` gives, known
    #: before any sample is opened (outputs listings, the notebook checks)
    side_table_keys: ClassVar[tuple[str, ...]] = ()

    def side_tables(
        self, sample: StudySample, *, seed: int = 0
    ) -> dict[str, tuple[str, pd.DataFrame]]:
        """Further evidence tables the evidence section exports: ``{name: (description, table)}``.

        Their keys are :attr:`side_table_keys`.

        Default: none (e.g. the NC design's spillovers to neighbouring counties).
        """
        return {}

    def clean_headline(self, sample: StudySample):
        """The heterogeneity-robust headline with clean controls (:class:`.clean.CleanHeadline`), or None.

        Designs in which every unit is eventually treated declare one (shown
        beside the paper-style TWFE and read by the verdict); the default is
        None (the headline's controls are clean).
        """
        return None

    def has_never_treated(self, sample: StudySample) -> bool:
        """Whether the sample has units never treated inside the window."""
        c = sample.data[self.treatment.cohort].astype("Float64").fillna(0)
        return bool((c == 0).any())

    def diagnostic_samples(self, sample: StudySample) -> dict[str, pd.DataFrame | None]:
        """The samples the diagnostics are computed on, each on its own: label -> rows (None: the whole sample).

        The default is the whole sample (``"all"``); a design whose tables
        report sub-samples (e.g. agreement models) lists them, so that no
        diagnostic of one sample is shown beside another's estimate.
        """
        return {"all": None}

    def headline(self, sample: StudySample, outcome: str) -> Outcome:
        """The headline estimate for ``outcome``."""
        return self.headline_spec().fit(sample, outcome)

    def event_study(
        self, sample: StudySample, outcome: str, *, data: pd.DataFrame | None = None
    ) -> Outcome:
        """The event study for ``outcome`` (on ``data``, a subset of the sample, when given)."""
        return self.event_spec().fit(sample, outcome, data=data)

    def robustness(
        self, sample: StudySample, outcomes: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """One row per (outcome, robustness variant): the headline numbers of each variant."""
        rows = []
        for outcome in outcomes or self.outcomes:
            for spec in (self.headline_spec(), *self.robustness_specs()):
                rows.append(spec.headline(sample, outcome))
        return pd.DataFrame(rows)

    def study_vs_rebuild(
        self, sample: StudySample, rows: Iterable[Mapping[str, object]]
    ) -> pd.DataFrame:
        """The paper's conclusion (:mod:`.conclusions`) beside our estimates; see :func:`.conclusions.study_vs_rebuild`."""
        return study_vs_rebuild(
            self.key, rows, data_label=sample.label, differences=self.differences(sample)
        )

    def conclusions(self) -> tuple[Conclusion, ...]:
        """The papers' conclusions this design tests (:data:`.conclusions.CONCLUSIONS`; none for others)."""
        return CONCLUSIONS.get(self.key, ())

    def differences(self, sample: StudySample) -> list[str]:
        """Design differences that remain between the paper and the rebuild."""
        return []

    def output_name(self, kind: str, name: str) -> str:
        """The exported name of an output of this design: ``fig_<key>_<name>`` / ``tab_<key>_<name>``.

        ``kind`` is ``"fig"`` or ``"tab"`` (anything else raises ``ValueError``).
        """
        if kind not in ("fig", "tab"):
            raise ValueError(
                f"design {self.key!r}: output kind must be 'fig' or 'tab', got {kind!r}"
            )
        return f"{kind}_{self.key}_{name}"

    def output_log(
        self, sample: StudySample, *, study: str | None = None, notebook: str | None = None
    ):
        """The output registry of the notebook presenting this design (or of ``notebook`` under ``study``)."""
        from enforcement_crime.reports import OutputLog

        return OutputLog(
            study or self.study, notebook or self.notebook, sample.synthetic, sample.label
        )
