"""Size of every headline test on the built-in null synthetic panel.

Each study design's headline tests are run exactly as its notebook runs them,
through the design object (the specifications come from the design's own
methods; no option is typed here), on panels whose true effects are zero
(synthetic preset ``"null"``). Over many seeds, the share of seeds in which a
test rejects is its size; the share of intervals covering the truth (0) is the
coverage.

:data:`SIZE_CASES` lists the tests by design key (:class:`SizeCase`);
:data:`PRETREND_CASES` the joint pre-trend test of each notebook's TWFE event
study (opt-in: ``run_seed(..., pretrends=True)``; on the null panel it
should not reject at 1%);
:func:`run_seed` runs one design's tests on one seed (one row per test and
outcome); :func:`run_panel` runs several designs on one drawn panel (the panel
is drawn once); :func:`summarise` aggregates the rows into rejection rates
with Monte Carlo standard errors. ``benchmarks/size_study.py`` is the command
line.

Conventions
-----------
* Rejection at level ``a`` (1%, 5% and 10%) is ``p_value <= a``.
* ``p_value`` is the estimator's own p-value where it computes one: the wild
  cluster bootstrap (``result.p_value``, WCR, ``H0: beta = 0``) and
  randomization inference (``result.p_value``, +1 correction, so
  ``p <= a`` has exact size ``a`` when ``a (1 + n_perm)`` is an integer).
* For the analytic intervals (TWFE CR1, Callaway-Sant'Anna and imputation
  influence-function standard errors) ``p_value`` is computed from the
  estimate, its standard error and the estimator's *own* critical value, read
  off its 95% interval: ``c = (conf_high - conf_low) / (2 std_error)``. If
  ``c`` is the normal quantile ``z_0.975`` the reference distribution is
  normal, otherwise it is the Student t whose 0.975 quantile is ``c`` (TWFE
  uses t with G - 1 degrees of freedom). Then
  ``p = 2 P(|T| >= |estimate / std_error|)``, so ``p <= 0.05`` if and only if
  the 95% interval excludes 0 and ``p <= 0.10`` if and only if the estimator's
  90% interval (same distribution, ``alpha=0.10``) excludes 0. This avoids a
  second fit at ``alpha=0.10``; ``tests/test_size.py`` checks it against one.
* Pre-trend cases: ``p_value`` is the event study's joint test that every
  tested lead is 0 (``result.pretrend``): the Wald statistic
  calibrated by the restricted wild cluster bootstrap, as the notebooks
  report it, and (a comparison row) its chi-square p-value; no estimate or
  interval is kept for them (NaN). The bootstrap draws use the design's fixed
  pre-trend seed, as the notebooks do.
* An ``"interval"`` case whose result carries its own ``p_value``
  (the design gave the estimator a bootstrap, e.g. NC Callaway-Sant'Anna with
  ``inference="wild_cluster"``) uses that p-value and is recorded with
  ``test = "bootstrap"``.
* ``covers_truth``: the estimator's 95% interval contains the true effect, 0
  (the panel's ``sc_true_effect`` and ``g287_true_effect`` columns are checked
  to be 0 everywhere). Randomization inference has no interval: NaN.
* The bootstrap and the permutations are seeded with the panel seed, as the
  notebooks do (one ``seed`` for the panel and the draws).

A test whose estimator refuses a seed's panel raises (on the synthetic panel
:meth:`~enforcement_crime.designs.base.Spec.fit` raises every
:class:`~enforcement_crime.estimators.EstimatorInputError`). With
``on_refusal="record"`` the refusal becomes a row with ``refused=True``, no
numbers and the estimator's reason in ``note``; :func:`summarise` counts such
rows in ``n_refused`` and computes no rate from them.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from enforcement_crime.designs.base import Design, Spec, StudySample, data_label_of, headline
from enforcement_crime.estimators import EstimatorInputError
from enforcement_crime.results import EstimationResult

__all__ = [
    "SizeCase",
    "SIZE_CASES",
    "PRETREND_CASES",
    "TRUTH",
    "ROW_COLUMNS",
    "SUMMARY_COLUMNS",
    "design_for",
    "draw_null_panel",
    "open_null",
    "run_seed",
    "run_panel",
    "summarise",
    "all_outcomes_reject",
    "markdown_table",
    "readme_summary",
    "size_findings",
    "corrected_level",
    "analytic_p_value",
    "is_headline",
]

#: the true effect of every treatment on the null panel, on every scale
TRUTH = 0.0
_Z975 = float(stats.norm.ppf(0.975))
_TESTS = ("interval", "bootstrap", "permutation", "pretrend")


@dataclass(frozen=True)
class SizeCase:
    """One headline test of a design: which of the design's own specifications, on which sample.

    Parameters
    ----------
    name : str
        How the size table names the test.
    method : str
        The design method that returns the specification (e.g. ``"headline_spec"``,
        ``"ri_spec"``), or a tuple of specifications / ``(transform, trends, spec)``
        rows (``"twfe_grid"``, ``"specs"``) from which ``pick`` selects one.
    test : {"interval", "bootstrap", "permutation"}
        Where the p-value comes from (module docstring).
    pick : int, optional
        Index into the tuple ``method`` returns.
    transform : {"level", "log"}, optional
        ``"log"``: the specification with ``dataclasses.replace(spec, transform="log")``
        (log(1 + rate)); ``None``: as the design declares it.
    model : str, optional
        National 287(g): the model sample (``design.model_sample(sample, model)``).
    horizons : bool
        Pass ``design.horizons(sample)`` to ``method`` (the SC county notebook's
        imputation call in ``dynamic_estimators``).
    seeded : bool
        Pass ``seed=`` to the fit, as the notebook does (bootstrap, permutations,
        and NC Callaway-Sant'Anna).
    overrides : tuple of (str, value) pairs
        Options replaced in the design's specification, for a comparison row
        that the notebook does not run (e.g. the chi-square pre-trend test
        beside the bootstrap one the notebook reports).
    """

    name: str
    method: str
    test: str = "interval"
    pick: int | None = None
    transform: str | None = None
    model: str | None = None
    horizons: bool = False
    seeded: bool = False
    overrides: tuple[tuple[str, Any], ...] = ()

    def __post_init__(self) -> None:
        if self.test not in _TESTS:
            raise ValueError(
                f"SizeCase {self.name!r}: test must be one of {_TESTS}, got {self.test!r}"
            )
        if self.transform not in (None, "level", "log"):
            raise ValueError(
                f"SizeCase {self.name!r}: transform must be None, 'level' or 'log', got {self.transform!r}"
            )

    def spec(self, design: Design, sample: StudySample | None = None) -> Spec:
        """The design's own specification for this case (``sample`` is needed when ``horizons``)."""
        fn = getattr(design, self.method, None)
        if fn is None:
            raise AttributeError(
                f"size case {self.name!r}: design {design.key!r} has no method {self.method!r}"
            )
        if self.horizons:
            if sample is None:
                raise ValueError(f"size case {self.name!r}: needs the sample (horizons)")
            out = fn(design.horizons(sample))
        else:
            out = fn()
        if self.pick is not None:
            out = out[self.pick]
            if isinstance(out, tuple):  # a grid row (transform, trends, spec)
                out = out[-1]
        if not isinstance(out, Spec):
            raise TypeError(
                f"size case {self.name!r}: {design.key}.{self.method}() gave {type(out).__name__}, "
                "not a Spec (give pick=)"
            )
        if self.transform is not None and out.transform != self.transform:
            out = dataclasses.replace(out, transform=self.transform)
        if self.overrides:
            out = dataclasses.replace(out, options={**out.options, **dict(self.overrides)})
        return out

    def data(self, design: Design, sample: StudySample) -> pd.DataFrame | None:
        """The estimation data: the model sample (national design) or ``None`` (the whole sample)."""
        return None if self.model is None else design.model_sample(sample, self.model)


def _national_cases() -> tuple[SizeCase, ...]:
    from enforcement_crime.designs import get

    out: list[SizeCase] = []
    for model in get("287g_national").models:
        out += [
            SizeCase(f"{model}: TWFE, analytic CR1", "specs", pick=0, model=model),
            SizeCase(
                f"{model}: TWFE, wild cluster bootstrap",
                "headline_spec",
                "bootstrap",
                model=model,
                seeded=True,
            ),  # fmt: skip
        ]
    return tuple(out)


def _sc_county_cases() -> tuple[SizeCase, ...]:
    out = [
        SizeCase(f"TWFE, {lab}, {tr}", "twfe_grid", pick=i)
        for i, (lab, tr) in enumerate(
            [
                (a, b)
                for a in ("level", "log(1+rate)")
                for b in ("no trends", "county linear trends")
            ]
        )
    ]
    out.append(SizeCase("TWFE, wild cluster bootstrap", "headline_spec", "bootstrap", seeded=True))
    for tr in ("level", "log"):
        out += _sc_cs_cases(tr)
        out.append(SizeCase(f"imputation, {tr}", "imputation_spec", transform=tr, horizons=True))
    return tuple(out)


def _sc_cs_cases(tr: str) -> list[SizeCase]:
    """Callaway-Sant'Anna as the SC notebooks report it (wild cluster bootstrap; the design's seed),
    and in logs its analytic interval for comparison."""
    out = [SizeCase(f"Callaway-Sant'Anna, not yet treated, wild cluster bootstrap, {tr}", "cs_spec",
                    "bootstrap", transform=tr)]  # fmt: skip
    if tr == "log":
        out.append(SizeCase("Callaway-Sant'Anna, not yet treated, analytic (not used), log", "cs_spec",
                            transform=tr, overrides=(("inference", "analytic"), ("n_boot", 999),
                                                     ("seed", None))))  # fmt: skip
    return out


def _sc_city_cases() -> tuple[SizeCase, ...]:
    out = [SizeCase("TWFE, wild cluster bootstrap", "headline_spec", "bootstrap", seeded=True)]
    for tr in ("level", "log"):
        out += [
            SizeCase(f"TWFE, analytic CR1, {tr}", "robust_spec", transform=tr),
            *_sc_cs_cases(tr),
            SizeCase(f"imputation, {tr}", "imputation_spec", transform=tr),
        ]
    return tuple(out)


#: design key -> the headline tests of its notebook
SIZE_CASES: dict[str, tuple[SizeCase, ...]] = {
    "287g_nc": (
        SizeCase("TWFE, analytic CR1", "robust_spec"),
        SizeCase("TWFE, analytic CR1, level", "robust_spec", transform="level"),
        SizeCase("TWFE, wild cluster bootstrap", "headline_spec", "bootstrap", seeded=True),
        SizeCase(
            "TWFE, randomization inference (population strata)",
            "ri_spec",
            "permutation",
            seeded=True,
        ),  # fmt: skip
        SizeCase("Callaway-Sant'Anna, never treated", "cs_spec", seeded=True),
    ),
    "287g_national": _national_cases(),
    "sc_county": _sc_county_cases(),
    "sc_city": _sc_city_cases(),
}


def _pretrend_cases() -> dict[str, tuple[SizeCase, ...]]:
    from enforcement_crime.designs import get

    names = (
        ("TWFE event study: joint pre-trend test, wild cluster bootstrap", ()),
        ("TWFE event study: joint pre-trend test, chi-square (not used)",
         (("pretrend_inference", "wald"),)),
    )  # fmt: skip

    def cases(model: str | None = None) -> tuple[SizeCase, ...]:
        pre = f"{model}: " if model else ""
        return tuple(SizeCase(pre + n, "event_spec", "pretrend", model=model, overrides=o)
                     for n, o in names)  # fmt: skip

    out = {k: cases() for k in SIZE_CASES}
    out["287g_national"] = sum((cases(m) for m in get("287g_national").models), ())
    return out


#: design key -> the joint pre-trend test of its notebook's TWFE event study (Wald statistic that
#: every estimated lead is 0, calibrated by the restricted wild cluster bootstrap as the notebooks
#: report it, and its chi-square p-value for comparison; on the null panel it should not reject
#: at 1%)
PRETREND_CASES: dict[str, tuple[SizeCase, ...]] = _pretrend_cases()

#: columns of :func:`run_seed`'s frame
ROW_COLUMNS = (
    "design", "case", "outcome", "test", "headline", "specification", "transform", "seed",
    "term", "estimate", "std_error", "conf_low", "conf_high", "p_value", "p_source",
    "reject_05", "reject_10", "covers_truth", "n_obs", "n_clusters", "seconds", "refused", "note",
)  # fmt: skip

#: columns of :func:`summarise`'s frame
SUMMARY_COLUMNS = (
    "design", "case", "outcome", "test", "scale", "headline", "n_seeds", "n_refused",
    "reject_01", "mc_se_01", "reject_05", "mc_se_05", "reject_10", "mc_se_10", "coverage",
    "mc_se_coverage",
    "mean_estimate", "mc_se_estimate", "mean_seconds", "within_3_8", "level_05",
)  # fmt: skip


# --------------------------------------------------------------------------------------
# p-values
# --------------------------------------------------------------------------------------


def analytic_p_value(estimate: float, std_error: float, conf_low: float, conf_high: float,
                     alpha: float = 0.05) -> tuple[float, str]:  # fmt: skip
    """Two-sided p-value of ``H0: effect = 0`` with the distribution behind an analytic interval.

    The critical value is read off the interval,
    ``c = (conf_high - conf_low) / (2 std_error)``: normal if ``c`` is the
    normal ``1 - alpha/2`` quantile (relative 1e-6), else Student t with the
    degrees of freedom whose ``1 - alpha/2`` quantile is ``c``. Returns the
    p-value and the distribution (``"normal"`` or ``"t(df)"``). Raises
    ``ValueError`` for an interval that is not ``estimate +/- c std_error``.
    """
    vals = (estimate, std_error, conf_low, conf_high)
    if not all(math.isfinite(v) for v in vals) or std_error <= 0:
        raise ValueError(f"analytic p-value needs a finite estimate, SE > 0 and interval: {vals}")
    half = (conf_high - conf_low) / 2
    mid = (conf_high + conf_low) / 2
    if abs(mid - estimate) > 1e-6 * max(abs(half), abs(estimate), 1e-12):
        raise ValueError(
            f"interval [{conf_low}, {conf_high}] is not symmetric around the estimate {estimate}"
        )
    c = half / std_error
    q = 1 - alpha / 2
    z = float(stats.norm.ppf(q))
    stat = abs(estimate / std_error)
    if abs(c - z) <= 1e-6 * z:
        return float(2 * stats.norm.sf(stat)), "normal"
    if c < z:
        raise ValueError(
            f"critical value {c:.6g} below the normal quantile {z:.6g}: not a t interval"
        )
    df = optimize.brentq(lambda v: stats.t.ppf(q, v) - c, 0.5, 1e9, xtol=1e-10, rtol=1e-12)
    return float(2 * stats.t.sf(stat, df)), f"t({df:.4g})"


# --------------------------------------------------------------------------------------
# running
# --------------------------------------------------------------------------------------


def design_for(key: str, *, n_boot: int | None = None, n_perm: int | None = None) -> Design:
    """The design ``key`` with the bootstrap / permutation draws set (only fields it declares)."""
    from enforcement_crime.designs import get

    design = get(key)
    names = {f.name for f in dataclasses.fields(design)}
    opts = {
        k: v for k, v in (("n_boot", n_boot), ("n_perm", n_perm)) if v is not None and k in names
    }
    return design.with_options(**opts) if opts else design


def draw_null_panel(seed: int, preset: str = "null") -> pd.DataFrame:
    """The built-in synthetic panel of ``seed``; raises unless every true effect is 0 (a null panel)."""
    from enforcement_crime.synthetic import make_panel

    raw = make_panel(seed=seed, preset=preset)
    _check_null(raw, f"synthetic panel seed {seed}, preset {preset!r}")
    return raw


def _check_null(raw: pd.DataFrame, what: str) -> None:
    cols = [c for c in raw.columns if c.endswith("_true_effect")]
    if not cols:
        raise ValueError(
            f"{what}: no *_true_effect columns; the size study needs a known null panel"
        )
    for c in cols:
        v = raw[c].astype("float64")
        if v.isna().any() or (v != TRUTH).any():
            raise ValueError(
                f"{what}: column {c!r} is not {TRUTH} everywhere "
                f"({int((v != TRUTH).sum())} rows differ): not a null panel"
            )


def open_null(design: Design, raw: pd.DataFrame, seed: int, preset: str = "null") -> StudySample:
    """``design`` applied to a drawn null panel, labelled synthetic (as :meth:`Design.open` does)."""
    return design.prepare(
        raw, data_source="synthetic", label=data_label_of("synthetic", True, seed, preset)
    )


def _explicit_options(spec: Spec) -> dict:
    """``spec.options`` without the options set to the estimator's own default."""
    params = inspect.signature(spec.estimator).parameters
    return {
        k: v
        for k, v in spec.options.items()
        if not (k in params and params[k].default is not inspect.Parameter.empty
                and params[k].default == v)
    }  # fmt: skip


def is_headline(design: Design, spec: Spec) -> bool:
    """Whether ``spec`` is the design's headline test: same estimator, data and options.

    Labels are ignored, the scale is compared after resolving the design's
    default (:meth:`~enforcement_crime.designs.base.Spec.scale`), an
    option set to the estimator's default counts as absent (``unit_trends=False`` is plain TWFE),
    and so does ``seed``: which draws a run makes does not change which test it is (the size
    study gives every replication its own seed).
    """
    h = design.headline_spec()
    same = ("estimator", "treatment", "weighted", "clustered", "term", "partial_year")

    def options(sp: Spec) -> dict:
        return {k: v for k, v in _explicit_options(sp).items() if k != "seed"}

    return (
        all(getattr(spec, f) == getattr(h, f) for f in same)
        and spec.scale(design) == h.scale(design)
        and options(spec) == options(h)
    )


def _finite(v) -> bool:
    try:
        return v is not None and math.isfinite(float(v))
    except (TypeError, ValueError):
        return False


def _row(design, case, spec, outcome, seed, res, seconds) -> dict:
    kind = case.test
    h = headline(res, spec._term(res))
    est, se, lo, hi = h["estimate"], h["std_error"], h["conf_low"], h["conf_high"]
    if case.test == "pretrend":  # a test, not an estimate: no estimate or interval is kept
        pt = res.pretrend
        p = None if pt is None else pt.p_value
        if p is None or not math.isfinite(p):
            raise ValueError(f"{case.name}: {res.estimator} returned no pre-trend test")
        est = se = lo = hi = math.nan
        h["term"] = "all leads = 0"
        p = float(p)
        source = (
            "wild bootstrap Wald" if pt.inference == "wild_cluster" else "Wald chi2"
        ) + f"({pt.df})"
    elif case.test == "interval" and _finite(res.p_value):
        # a spec with its own bootstrap (e.g. NC Callaway-Sant'Anna with inference="wild_cluster"):
        # its p-value and its interval, as the notebook shows them
        p, source, kind = float(res.p_value), "bootstrap", "bootstrap"
    elif case.test == "interval":
        if res.alpha != 0.05:
            raise ValueError(f"{case.name}: interval at alpha={res.alpha}, expected 0.05")
        p, source = analytic_p_value(est, se, lo, hi)
    else:
        p = res.p_value
        if p is None or not math.isfinite(p):
            raise ValueError(f"{case.name}: {res.estimator} returned no p_value")
        p, source = float(p), case.test
    has_ci = math.isfinite(lo) and math.isfinite(hi)
    return {
        "design": design.key, "case": case.name, "outcome": outcome, "test": kind,
        "headline": is_headline(design, spec), "specification": spec.label,
        "transform": spec.scale(design), "seed": seed, "term": h["term"], "estimate": est,
        "std_error": se, "conf_low": lo, "conf_high": hi, "p_value": p, "p_source": source,
        "reject_05": p <= 0.05, "reject_10": p <= 0.10,
        "covers_truth": (lo <= TRUTH <= hi) if has_ci else np.nan,
        "n_obs": res.n_obs, "n_clusters": res.n_clusters, "seconds": seconds, "refused": False,
        "note": "",
    }  # fmt: skip


def _refused_row(design, case, spec, outcome, seed, err, seconds) -> dict:
    row = dict.fromkeys(ROW_COLUMNS, np.nan)
    row.update(design=design.key, case=case.name, outcome=outcome, test=case.test,
               headline=is_headline(design, spec), specification=spec.label,
               transform=spec.scale(design), seed=seed, seconds=seconds, refused=True,
               note=f"estimator refused the panel: {err}")  # fmt: skip
    return row


def run_seed(
    key: str,
    seed: int,
    *,
    outcomes: Sequence[str] | None = None,
    n_boot: int | None = 999,
    n_perm: int | None = 199,
    cases: Iterable[str] | None = None,
    raw: pd.DataFrame | None = None,
    preset: str = "null",
    on_refusal: str = "raise",
    pretrends: bool = False,
) -> pd.DataFrame:
    """Run design ``key``'s size cases on the null panel of ``seed``: one row per case and outcome.

    Parameters
    ----------
    key : str
        Design key (:data:`SIZE_CASES`).
    seed : int
        Panel seed; also the seed of the bootstrap and permutation draws (as in the notebooks).
    outcomes : sequence of str, optional
        Default: the design's outcomes.
    n_boot, n_perm : int, optional
        Wild-bootstrap draws and permutations (the notebooks' 999 and 199);
        set on designs that declare them, ``None`` keeps the design's default.
    cases : iterable of str, optional
        Case names to run, from :data:`SIZE_CASES` and :data:`PRETREND_CASES`
        (default: all of :data:`SIZE_CASES`; an unknown name raises).
    raw : pandas.DataFrame, optional
        The panel already drawn for ``seed`` (:func:`draw_null_panel`); drawn here if not given.
    preset : str
        Synthetic preset; it must be a null panel (checked on the true-effect columns).
    on_refusal : {"raise", "record"}
        What an estimator's refusal does (module docstring).
    pretrends : bool
        Also run the design's :data:`PRETREND_CASES` (ignored when ``cases`` is given).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`ROW_COLUMNS`; ``seconds`` is the time of that fit.
    """
    if key not in SIZE_CASES:
        raise KeyError(f"no size cases for design {key!r}; designs are {sorted(SIZE_CASES)}")
    if on_refusal not in ("raise", "record"):
        raise ValueError(f"on_refusal must be 'raise' or 'record', got {on_refusal!r}")
    todo = list(SIZE_CASES[key])
    if pretrends:
        todo += PRETREND_CASES[key]
    if cases is not None:
        wanted = list(cases)
        every = [*SIZE_CASES[key], *PRETREND_CASES[key]]
        unknown = sorted(set(wanted) - {c.name for c in every})
        if unknown:
            raise KeyError(
                f"design {key!r}: unknown size case(s) {unknown}; cases are {[c.name for c in every]}"
            )
        todo = [c for c in every if c.name in wanted]
    design = design_for(key, n_boot=n_boot, n_perm=n_perm)
    if raw is None:
        raw = draw_null_panel(seed, preset)
    else:
        _check_null(raw, f"panel given for seed {seed}")
    sample = open_null(design, raw, seed, preset)
    if not sample.synthetic:
        raise ValueError(f"design {key!r}: the panel for seed {seed} is not labelled synthetic")
    outs = list(outcomes) if outcomes is not None else list(design.outcomes)
    bad = sorted(set(outs) - set(design.outcomes))
    if bad:
        raise KeyError(
            f"design {key!r}: unknown outcome(s) {bad}; outcomes are {list(design.outcomes)}"
        )
    rows = []
    for case in todo:
        spec = case.spec(sample.design, sample)
        data = case.data(sample.design, sample)
        kw = {"seed": seed} if case.seeded else {}
        for outcome in outs:
            t0 = time.perf_counter()
            try:
                res = spec.fit(sample, outcome, data=data, **kw)
            except EstimatorInputError as err:
                if on_refusal == "raise":
                    raise EstimatorInputError(
                        f"size case {key} / {case.name!r} / {outcome}, seed {seed}: {err}"
                    ) from err
                rows.append(_refused_row(sample.design, case, spec, outcome, seed, err,
                                         time.perf_counter() - t0))  # fmt: skip
                continue
            if not isinstance(
                res, EstimationResult
            ):  # a NotEstimable record: never on synthetic data
                raise TypeError(f"size case {key} / {case.name!r} / {outcome}: got {res!r}")
            rows.append(
                _row(sample.design, case, spec, outcome, seed, res, time.perf_counter() - t0)
            )
    return pd.DataFrame(rows, columns=list(ROW_COLUMNS))


def run_panel(keys: Sequence[str], seed: int, *, pretrends: str = "no", **kwargs) -> pd.DataFrame:
    """:func:`run_seed` for several designs on one panel, drawn once for ``seed``.

    ``pretrends``: ``"no"`` (the :data:`SIZE_CASES`), ``"also"`` (and the
    :data:`PRETREND_CASES`) or ``"only"`` (the pre-trend tests alone). Other
    ``kwargs`` go to :func:`run_seed` (not ``raw``, ``cases``). Added columns:
    ``draw_seconds`` (drawing the panel; the same on every row of the seed)
    and ``design_seconds`` (opening the design and all its fits; the same on
    every row of the design and seed).
    """
    if pretrends not in ("no", "also", "only"):
        raise ValueError(f"pretrends must be 'no', 'also' or 'only', got {pretrends!r}")
    t0 = time.perf_counter()
    raw = draw_null_panel(seed, kwargs.get("preset", "null"))
    draw = time.perf_counter() - t0
    frames = []
    for k in keys:
        t1 = time.perf_counter()
        if pretrends == "only":
            kw = {"cases": [c.name for c in PRETREND_CASES[k]]}
        else:
            kw = {"pretrends": pretrends == "also"}
        rows = run_seed(k, seed, raw=raw, **kw, **kwargs)
        frames.append(rows.assign(design_seconds=time.perf_counter() - t1))
    return pd.concat(frames, ignore_index=True).assign(draw_seconds=draw)


# --------------------------------------------------------------------------------------
# aggregation
# --------------------------------------------------------------------------------------


def _rate(x: pd.Series) -> tuple[float, float]:
    """Mean of a 0/1 series and its Monte Carlo s.e. ``sqrt(p (1 - p) / n)`` (NaN when empty)."""
    x = x.dropna().astype(float)
    n = len(x)
    if n == 0:
        return math.nan, math.nan
    p = float(x.mean())
    return p, math.sqrt(p * (1 - p) / n)


def corrected_level(p_values: pd.Series, level: float = 0.05) -> float:
    """Size-corrected level: the largest observed p-value ``a`` with ``share(p <= a) <= level``.

    Over the null seeds, rejecting when ``p <= a`` rejects at most ``level``
    of them (``0.0`` when even the smallest p-value is shared by more than
    ``level`` of the seeds). For a test with correct size it is close to
    ``level``; for an over-rejecting one it is the stricter threshold a
    reader should use instead (its own sampling error is that of an
    empirical quantile: with 200 seeds it is the 10th smallest p-value).
    """
    p = np.sort(pd.to_numeric(p_values, errors="coerce").dropna().to_numpy(dtype="float64"))
    if not len(p):
        return math.nan
    share = np.searchsorted(p, p, side="right") / len(p)  # share(p <= p_i)
    ok = p[share <= level + 1e-12]
    return float(ok.max()) if len(ok) else 0.0


def summarise(rows: pd.DataFrame) -> pd.DataFrame:
    """Rejection rates by design, case and outcome over the seeds in ``rows``.

    Returns one row per (design, case, outcome) in the order first seen, with
    ``n_seeds`` (seeds with an estimate), ``n_refused``, the 1% (from
    ``p_value``), 5% and 10% rejection rates with their Monte Carlo standard errors
    ``sqrt(p (1 - p) / n)``, the interval coverage of the truth (NaN for
    randomization inference) with its MC s.e., the mean estimate with its MC
    s.e. ``sd / sqrt(n)`` (ddof 1), the mean fit time, ``within_3_8``:
    whether the 5% rate (point estimate) is in [0.03, 0.08] (``None`` without
    estimates), and ``level_05``: the size-corrected level of
    :func:`corrected_level` (reject only when ``p <= level_05`` for a 5% test
    on this null). A seed appearing twice for one test raises.
    """
    need = {"design", "case", "outcome", "test", "headline", "seed", "estimate", "p_value", "reject_05",
            "reject_10", "covers_truth", "seconds", "refused"}  # fmt: skip
    missing = sorted(need - set(rows.columns))
    if missing:
        raise KeyError(f"size rows lack column(s) {missing}")
    keys = ["design", "case", "outcome"]
    dup = rows.duplicated([*keys, "seed"])
    if dup.any():
        first = rows.loc[dup, [*keys, "seed"]].iloc[0].tolist()
        raise ValueError(
            f"size rows: {int(dup.sum())} duplicated (design, case, outcome, seed), e.g. {first}"
        )
    out = []
    for (design, case, outcome), g in rows.groupby(keys, sort=False):
        refused = g["refused"].astype(bool)
        ok = g[~refused]
        n = len(ok)
        r05, s05 = _rate(ok["reject_05"])
        r10, s10 = _rate(ok["reject_10"])
        r01, s01 = _rate(ok["p_value"].astype(float) <= 0.01)
        cov, scov = _rate(ok["covers_truth"])
        est = ok["estimate"].astype(float)
        out.append({
            "design": design, "case": case, "outcome": outcome, "test": g["test"].iloc[0],
            "scale": g["transform"].iloc[0] if "transform" in g else None,
            "headline": bool(g["headline"].iloc[0]), "n_seeds": n, "n_refused": int(refused.sum()),
            "reject_01": r01, "mc_se_01": s01, "reject_05": r05, "mc_se_05": s05,
            "reject_10": r10, "mc_se_10": s10,
            "coverage": cov, "mc_se_coverage": scov,
            "mean_estimate": float(est.mean()) if n else math.nan,
            "mc_se_estimate": float(est.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan,
            "mean_seconds": float(g["seconds"].mean()),
            "within_3_8": (0.03 <= r05 <= 0.08) if n else None,
            "level_05": corrected_level(ok["p_value"], 0.05) if n else math.nan,
        })  # fmt: skip
    return pd.DataFrame(out, columns=list(SUMMARY_COLUMNS))


def all_outcomes_reject(rows: pd.DataFrame, level: str = "reject_05") -> pd.DataFrame:
    """Share of seeds in which a test rejects for *every* outcome at once, by design and case.

    On the null panel no headline should exclude 0 for all outcomes at once. Returns ``design``, ``case``, ``n_seeds``,
    ``all_reject`` (share) and ``mc_se``; seeds with a refused outcome are left
    out and counted in ``n_seeds_incomplete``.
    """
    out = []
    for (design, case), g in rows.groupby(["design", "case"], sort=False):
        per_seed = g.groupby("seed").agg(
            refused=("refused", "any"), all_reject=(level, lambda s: bool(s.astype(bool).all()))
        )
        ok = per_seed[~per_seed["refused"]]
        p, se = _rate(ok["all_reject"])
        out.append({"design": design, "case": case, "n_seeds": len(ok),
                    "n_seeds_incomplete": int(per_seed["refused"].sum()), "all_reject": p,
                    "mc_se": se})  # fmt: skip
    return pd.DataFrame(out)


def readme_summary(summary: pd.DataFrame) -> str:
    """The README's size summary: one row per design and test, ranges over outcomes, then the findings.

    Every number comes from ``summary`` (:func:`summarise` of a run); the
    bullet points are computed from it too (headline tests inside / outside
    3-8%, the pre-trend tests at 1%, the analytic intervals), so the README
    cannot drift from the table.
    """

    def rng(col: str, g: pd.DataFrame) -> str:
        v = 100 * g[col].astype(float)
        v = v[np.isfinite(v)]
        if not len(v):
            return ""
        lo, hi = v.min(), v.max()
        return f"{lo:.1f}" if math.isclose(lo, hi) else f"{lo:.1f}-{hi:.1f}"

    lines = [
        "| design | test | scale | reject at 1%, % | reject at 5%, % | 95% coverage, % | outcomes within 3-8% "
        "| size-corrected 5% level |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for (design, case), g in summary.groupby(["design", "case"], sort=False):
        name = f"**{case}** (headline)" if bool(g["headline"].iloc[0]) else case
        inside = int(g["within_3_8"].fillna(False).astype(bool).sum())
        lev = g["level_05"].astype(float)
        lev_txt = f"{lev.min():.3f}-{lev.max():.3f}" if len(lev.dropna()) else ""
        lines.append(f"| {design} | {name} | {g['scale'].iloc[0]} | {rng('reject_01', g)} | {rng('reject_05', g)} "
                     f"| {rng('coverage', g)} | {inside} of {len(g)} | {lev_txt} |")  # fmt: skip
    lines += ["", *(f"- {b}" for b in size_findings(summary))]
    return "\n".join(lines)


def size_findings(summary: pd.DataFrame, design: str | None = None) -> list[str]:
    """Plain-language findings computed from a size summary (all designs, or ``design``'s rows).

    One sentence per headline test outside 3-8% at 5% (with its remedy: the
    size-corrected level), one for the headline tests inside, one for the
    pre-trend tests at 1%, one for the non-headline tests that over-reject.
    """
    t = summary if design is None else summary[summary["design"] == design]
    t = t[t["n_seeds"] > 0]
    out: list[str] = []
    if t.empty:
        return ["no measured test"]

    def where(r) -> str:
        return (
            f"{r.design} / {r.case} / {r.outcome}" if design is None else f"{r.case} / {r.outcome}"
        )

    head = t[t["headline"].astype(bool)]
    ok = head[head["within_3_8"].fillna(False).astype(bool)]
    bad = head[~head["within_3_8"].fillna(False).astype(bool)]
    if len(ok):
        out.append(f"{len(ok)} of {len(head)} headline tests reject within 3-8% at the 5% level "
                   f"({100 * ok['reject_05'].min():.1f}-{100 * ok['reject_05'].max():.1f}%).")  # fmt: skip
    for r in bad.itertuples(index=False):
        side = "above" if r.reject_05 > 0.08 else "below"
        out.append(
            f"Exception: the headline {where(r)} rejects {100 * r.reject_05:.1f}% "
            f"(MC s.e. {100 * r.mc_se_05:.1f}) at 5%, {side} 3-8%"
            + (f"; remedy: read its p-value (column p_value of the study-vs-rebuild table) against the "
               f"size-corrected level {r.level_05:.3f} "
               f"(rejecting when p <= {r.level_05:.3f} rejects at most 5% of these null panels)"
               if side == "above" else "; the test is conservative here (its intervals are too wide, not too narrow)")
            + "."
        )  # fmt: skip
    pre = t[t["test"] == "pretrend"]
    if len(pre):
        boot = pre[pre["case"].str.contains("bootstrap")]
        other = pre[~pre["case"].str.contains("bootstrap")]
        if len(boot):
            out.append(f"The joint pre-trend tests the notebooks report (wild cluster bootstrap) reject "
                       f"{100 * boot['reject_01'].min():.1f}-{100 * boot['reject_01'].max():.1f}% at 1% and "
                       f"{100 * boot['reject_05'].min():.1f}-{100 * boot['reject_05'].max():.1f}% at 5%"
                       + (f"; the chi-square p-value of the same statistic (not used) rejects "
                          f"{100 * other['reject_05'].min():.1f}-{100 * other['reject_05'].max():.1f}% at 5%"
                          if len(other) else "") + ".")  # fmt: skip
    rest = t[~t["headline"].astype(bool) & (t["test"] != "pretrend") & (t["reject_05"] > 0.08)]
    if len(rest):
        names = sorted({r.case for r in rest.itertuples(index=False)})
        out.append(f"Over-reject at 5% ({100 * rest['reject_05'].min():.1f}-{100 * rest['reject_05'].max():.1f}%), "
                   f"so read as descriptions, not tests: " + "; ".join(names) + ".")  # fmt: skip
    return out


def markdown_table(summary: pd.DataFrame) -> str:
    """The size table in Markdown (percentages, MC s.e. in parentheses; the headline test marked)."""

    def pct(p, se) -> str:
        return "" if not math.isfinite(p) else f"{100 * p:.1f} ({100 * se:.1f})"

    lines = [
        "| design | test | scale | outcome | seeds | reject 1% | reject 5% | reject 10% | coverage 95% "
        "| mean estimate | 3-8% | size-corrected 5% level |",
        "|---|---|---|---|---:|---:|---:|---:|---:|---:|:---:|---:|",
    ]
    for r in summary.itertuples(index=False):
        name = f"**{r.case}** (headline)" if r.headline else r.case
        if r.n_seeds == 0:
            lines.append(f"| {r.design} | {name} | {r.scale} | {r.outcome} | 0 | refused on {r.n_refused} seeds "
                         "| | | | | | |")  # fmt: skip
            continue
        est = (
            f"{r.mean_estimate:.3g} ({r.mc_se_estimate:.2g})"
            if math.isfinite(r.mean_estimate)
            else ""
        )
        flag = "yes" if r.within_3_8 else "**no**"
        ref = f" (+{r.n_refused} refused)" if r.n_refused else ""
        lines.append(
            f"| {r.design} | {name} | {r.scale} | {r.outcome} | {r.n_seeds}{ref} | {pct(r.reject_01, r.mc_se_01)} "
            f"| {pct(r.reject_05, r.mc_se_05)} "
            f"| {pct(r.reject_10, r.mc_se_10)} | {pct(r.coverage, r.mc_se_coverage)} | {est} | {flag} "
            f"| {'' if not math.isfinite(r.level_05) else f'{r.level_05:.3f}'} |"
        )
    return "\n".join(lines)
