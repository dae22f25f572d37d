"""The evidence around a headline: robustness variants, diagnostics, and what they say.

Every study notebook shows its headline beside one robustness table and one
coefficient plot made here, from the design's declarations:

* **scale**: the headline in log(1 + rate) and in levels;
* **weights**: unweighted;
* **trends**: unit-specific linear trends (estimators that take them);
* **within state**: state-by-year fixed effects, and Census-division-by-year
  fixed effects (divisions from the committed
  :func:`~enforcement_crime.facts.census_divisions` table), for designs whose
  sample spans several states (estimators that take ``state_year_fe``): only
  comparisons of units in the same state (division) and year remain;
  these four are :meth:`~enforcement_crime.designs.base.Spec.vary` of the
  robustness base specification (:meth:`~.base.Design.robust_spec`);
* **panel**: the same design on other panels (e.g. a constant-composition or
  sheriff panel), when given;
* **leave one out**: each treated county (designs with few treated units) or
  each state left out;
* **placebo**: adoption dates shifted two years earlier, estimated on the
  years before the real adoption only (any "effect" is a pre-trend);
* **inference / estimator**: the design's other specifications
  (:meth:`~.base.Design.robustness_specs`).

:func:`diagnostics` adds the joint pre-trend test of the event study, the
HonestDiD breakdown value computed on the Callaway-Sant'Anna event study with
a universal base period (not on the TWFE event study, whose pre-period
coefficients are contaminated by heterogeneous effects), and the minimum
detectable effect of the robustness base specification, each computed on
every sample of :meth:`~.base.Design.diagnostic_samples`.
:func:`placebo_tests` re-assigns the real adoption schedule to other units
(all units, whole state blocks, within state, within the design's strata) and
reports where the actual TWFE estimate falls among the placebo ones.
:func:`reading_the_evidence` turns the numbers into a short paragraph: which
choices move the estimate and by how much, in units of the headline's
standard error. :func:`verdict_table` applies the verdict rules of
:mod:`~enforcement_crime.designs.verdicts` to each conclusion the design tests
(:meth:`~.base.Design.conclusions`). On the null synthetic panel
(:func:`null_truth`), :func:`false_positive_reading` follows each reading
paragraph: every test shown that rejects there is named a false positive, with
the nominal rate and the rates measured on null panels (the committed size
table); on any other panel nothing is added.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from enforcement_crime.designs.base import NotEstimable, Spec, StudySample, headline, takes
from enforcement_crime.designs.verdicts import mde_sentence
from enforcement_crime.estimators import (
    EstimatorInputError,
    analytic_mde,
    callaway_santanna,
    honest_did,
)

__all__ = [
    "Variant",
    "variants",
    "robustness",
    "diagnostics",
    "reading_the_evidence",
    "placebo_data",
    "plot_rows",
    "reading_table",
    "measured_size",
    "size_reading",
    "collect",
    "present",
    "verdict_table",
    "placebo_tests",
    "placebo_share",
    "census_division",
    "interval_counts",
    "interval_count_text",
    "Evidence",
    "null_truth",
    "false_positive_reading",
    "with_false_positives",
]

ROBUSTNESS_COLUMNS = ["outcome", "choice", "variant", "scale", "estimator", "estimate", "std_error", "conf_low",
                      "conf_high", "p_value", "n_obs", "n_clusters", "note"]  # fmt: skip


#: the robustness choices made by :meth:`~enforcement_crime.designs.base.Spec.vary`: the Spec choice
#: -> the name the robustness table gives it
SPEC_VARIANTS: dict[str, str] = {
    "transform": "scale",
    "weighted": "weights",
    "unit_trends": "trends",
    "state": "within state",
}


#: the robustness choice of the within-state comparisons (fixed effects of state, or Census division, by year)
WITHIN_STATE = SPEC_VARIANTS["state"]
#: the label of the state-by-year variant (the verdict's within-state comparison)
STATE_BY_YEAR = "state-by-year FE"
#: the label of the Census-division-by-year variant
DIVISION_BY_YEAR = "division-by-year FE"


def census_division(data: pd.DataFrame, unit: str = "fips") -> pd.Series | None:
    """The Census division (1-9) of each row, from ``state_fips``, else the unit's county FIPS.

    Uses the committed table :func:`enforcement_crime.facts.census_divisions`.
    None when the data carry neither column; a state code not in the table
    raises ``ValueError`` naming it.
    """
    from enforcement_crime.facts import census_divisions

    if "state_fips" in data.columns:
        st = data["state_fips"].astype("string").str.zfill(2)
    elif unit == "fips" and unit in data.columns:
        st = data[unit].astype("string").str.zfill(5).str[:2]
    else:
        return None
    table = census_divisions().set_index("state_fips")["division"]
    out = st.map(table)
    bad = sorted(st[out.isna()].dropna().unique())
    if bad or st.isna().any():
        raise ValueError(f"census_division: state FIPS codes not in facts/census_divisions.csv: {bad}"
                         + (" (and missing state codes)" if st.isna().any() else ""))  # fmt: skip
    return out.astype("int64")


@dataclass(frozen=True)
class Variant:
    """One robustness variant: the choice it changes, its label, and how it is estimated."""

    choice: str
    label: str
    spec: Spec
    data: pd.DataFrame | None = None  # a sub-sample of the design's sample
    rows: np.ndarray | None = None  # or the sample's rows it keeps (a boolean mask, no copy)
    sample: StudySample | None = None  # another panel opened with the same design


def placebo_data(sample: StudySample, shift: int = 2) -> pd.DataFrame:
    """The sample before each unit's real adoption, with adoption dates moved ``shift`` years earlier.

    Never-treated units keep every year; treated units keep only the years
    before their first treated year, and their placebo cohort is the real one
    minus ``shift`` (units whose placebo cohort would fall in or before the
    first sample year become never treated inside the placebo sample: they
    have no pre-placebo year to compare with).
    """
    d = sample.design
    df = sample.data
    cohort = df[d.treatment.cohort].astype("Float64").fillna(0).astype("int64")
    keep = (cohort == 0) | (df[d.time] < cohort)
    out = df[keep.to_numpy()].copy()
    c = cohort[keep.to_numpy()]
    fake = (c - shift).where(c > 0, 0)
    first = int(out[d.time].min())
    fake = fake.where(fake > first, 0)
    out[d.treatment.cohort] = pd.array(fake.to_numpy(), dtype="Int64")
    return out


def variants(
    sample: StudySample,
    *,
    alt_samples: Mapping[str, StudySample] | None = None,
    choices: tuple[str, ...] | None = None,
) -> list[Variant]:
    """The robustness variants of a design on a sample (see the module docstring).

    ``choices`` keeps only the variants of those choices (default: all), in
    the same order; the others are not built.
    """
    d = sample.design
    base = d.robust_spec()
    wanted = (lambda choice: True) if choices is None else (lambda choice: choice in choices)
    out = [Variant("headline", base.label, base)] if wanted("headline") else []
    alternatives: dict[str, dict[str, object]] = {}
    if d.log_outcomes:
        other = "level" if base.scale(d) == "log" else "log"
        alternatives["transform"] = {f"{other}s": other}
    if d.weights:
        alternatives["weighted"] = {"unweighted": False}
    if takes(base.estimator, "unit_trends"):
        alternatives["unit_trends"] = {"unit linear trends": True}
    division = None
    within = "state" in sample.data.columns and sample.data["state"].nunique() > 1
    if within and takes(base.estimator, "state_year_fe"):
        alternatives["state"] = {STATE_BY_YEAR: "state"}
        division = census_division(sample.data, d.unit)
        if division is not None and division.nunique() > 1:
            alternatives["state"][DIVISION_BY_YEAR] = "division"
    for spec in base.vary(**alternatives):
        name, label = spec.choices[-1]
        if not wanted(SPEC_VARIANTS[name]):
            continue
        data = None
        if name == "state":  # state- or division-by-year effects replace the year effects
            spec = dataclasses.replace(spec, options={**spec.options, "state_year_fe": True})
            if spec.options["state"] == "division":
                data = sample.data.assign(division=division.to_numpy())
        out.append(Variant(SPEC_VARIANTS[name], label, spec, data=data))
    if wanted(WITHIN_STATE):
        for label, spec, data in d.within_variants(sample):  # e.g. contiguous county pairs
            out.append(Variant(WITHIN_STATE, label, spec, data=data))
    for label, other_sample in (alt_samples or {}).items():
        if wanted("panel"):
            out.append(Variant("panel", label, base, sample=other_sample))
    df, unit, t = sample.data, d.unit, d.treatment
    if d.leave_one_out == "treated" and wanted("leave one out"):
        treated = sorted(df.loc[df[t.ever].astype(bool), unit].unique())
        units = df[unit].to_numpy()
        for u in treated:
            out.append(Variant("leave one out", f"without {u}", base, rows=units != u))
    elif d.leave_one_out == "state" and wanted("leave one out"):
        # the states in sorted order (numpy's order of strings is Python's), each row's state by
        # its position: a state's rows are those with its code
        states, code = np.unique(df["state"].astype(str).to_numpy(), return_inverse=True)
        for k, s in enumerate(states):
            out.append(Variant("leave one out", f"without state {s}", base, rows=code != k))
    if wanted("placebo"):
        out.append(Variant("placebo", "adoption 2 years earlier (pre-periods only)", base,
                           data=placebo_data(sample)))  # fmt: skip
    seen = {base.label}
    for spec in (d.headline_spec(), *d.robustness_specs()):
        if spec.label not in seen:
            seen.add(spec.label)
            if wanted("inference / estimator"):
                out.append(Variant("inference / estimator", spec.label, spec))
    clean = (
        d.clean_headline(sample)
        if wanted("inference / estimator") or wanted(WITHIN_STATE)
        else None
    )
    if clean is not None:  # the clean-control headline, and its window's within-state comparison
        if wanted("inference / estimator"):
            out.append(
                Variant("inference / estimator", clean.spec.label, clean.spec, rows=clean.rows)
            )
        ws = [v for v in out if v.choice == WITHIN_STATE and v.label.endswith(STATE_BY_YEAR)]
        if ws:
            out.append(Variant(WITHIN_STATE, clean_within_label(base, clean), ws[0].spec,
                               rows=clean.rows))  # fmt: skip
    return out


def clean_within_label(base: Spec, clean) -> str:
    """The label of the state-by-year variant on the window of a :class:`.clean.CleanHeadline`."""
    return f"{base.label}, years {clean.first}-{clean.last}, {STATE_BY_YEAR}"


class _SharedVariants:
    """The :func:`variants` of one sample, built on first use and kept for the other outcomes.

    The robustness tables of a design's outcomes (one task each,
    :func:`_collect_tasks`) hold one of these: the variants do not depend on
    the outcome, so a process computing several of the tables builds them
    once (the same objects each time); a forked worker builds its own.
    """

    def __init__(self, sample: StudySample, alt_samples: Mapping[str, StudySample] | None,
                 choices: tuple[str, ...] | None = None) -> None:  # fmt: skip
        self.sample, self.alt_samples, self.choices = sample, alt_samples, choices
        self._built: list[Variant] | None = None

    def get(self) -> list[Variant]:
        if self._built is None:
            self._built = variants(self.sample, alt_samples=self.alt_samples, choices=self.choices)
        return self._built


def robustness(sample: StudySample, outcome: str, *, seed: int = 0,
               alt_samples: Mapping[str, StudySample] | None = None,
               choices: tuple[str, ...] | None = None,
               _shared: _SharedVariants | None = None) -> pd.DataFrame:  # fmt: skip
    """Every robustness variant of ``outcome``: one row each (:data:`ROBUSTNESS_COLUMNS`).

    ``p_value`` is the estimator's own p-value of "no effect" where it computes
    one (wild cluster bootstrap, randomization inference), else NaN.
    ``choices`` keeps only the variants of those choices (default: all).

    Variants an estimator refuses on a real panel are rows without numbers and
    with the reason in ``note``; on the synthetic panel a refusal raises.
    ``_shared``: the variants of this sample, ``alt_samples`` and ``choices``,
    built once for every outcome (:class:`_SharedVariants`).
    """
    rows = []
    if _shared is not None and (
        _shared.sample is not sample or _shared.alt_samples is not alt_samples
        or _shared.choices != choices
    ):  # fmt: skip
        raise ValueError("robustness: the shared variants are of another sample or choices")
    vs = (
        _shared.get()
        if _shared is not None
        else variants(sample, alt_samples=alt_samples, choices=choices)
    )
    # variants that keep rows of the sample under one specification (leave one out) are fitted
    # together: the estimator may prepare the sample once for all of them (Spec.fit_rows)
    families: dict[int, list[int]] = {}
    for i, v in enumerate(vs):
        if v.rows is not None and v.data is None and v.sample is None:
            families.setdefault(id(v.spec), []).append(i)
    fitted: dict[int, object] = {}
    for members in families.values():
        spec = vs[members[0]].spec
        kw = {"seed": seed} if takes(spec.estimator, "seed") else {}
        outs = spec.fit_rows(sample, outcome, [vs[i].rows for i in members], **kw)
        fitted.update(zip(members, outs, strict=True))
    for i, v in enumerate(vs):
        s = v.sample or sample
        kw = {"seed": seed} if takes(v.spec.estimator, "seed") else {}
        res = fitted[i] if i in fitted else v.spec.fit(s, outcome, data=v.data, rows=v.rows, **kw)
        h = headline(res, v.spec._term(res))
        n_obs = None if isinstance(res, NotEstimable) else res.n_obs
        n_cl = None if isinstance(res, NotEstimable) else res.n_clusters
        p = _own_p_value(res)
        rows.append({"outcome": outcome, "choice": v.choice, "variant": v.label, "scale": v.spec.scale(sample.design),
                     "estimator": h["estimator"],
                     "estimate": h["estimate"], "std_error": h["std_error"], "conf_low": h["conf_low"],
                     "conf_high": h["conf_high"], "p_value": p, "n_obs": n_obs, "n_clusters": n_cl,
                     "note": h["note"]})  # fmt: skip
    out = pd.DataFrame(rows, columns=ROBUSTNESS_COLUMNS)
    out["n_obs"] = out["n_obs"].astype("Int64")
    out["n_clusters"] = out["n_clusters"].astype("Int64")
    return out


def _own_p_value(res) -> float:
    """The estimator's own p-value of "no effect" (``EstimationResult.p_value``: wild cluster bootstrap,
    randomization inference), else one kept in ``extra["p_value"]``, else NaN."""
    if isinstance(res, NotEstimable):
        return math.nan
    p = res.p_value if res.p_value is not None else res.extra.get("p_value", math.nan)
    return float(p) if p is not None else math.nan


def diagnostics(sample: StudySample, outcome: str, *, seed: int = 0,
                mbar: tuple[float, ...] = (0.0, 0.5, 1.0, 1.5, 2.0),
                data: pd.DataFrame | None = None, label: str = "all") -> dict:  # fmt: skip
    """Joint pre-trend test, HonestDiD breakdown value and MDE for ``outcome``.

    Every number is computed on ``data`` (a subset of the sample, e.g. one
    agreement model's counties; default the whole sample), named ``label``
    in the returned ``sample`` entry.

    Returns
    -------
    dict
        ``pretrend_p`` (joint test of the TWFE event study's leads: the Wald
        statistic calibrated by the restricted wild cluster bootstrap, as the
        design's :meth:`~enforcement_crime.designs.base.Design.event_spec` declares),
        ``honest_breakdown`` (smallest Mbar of the relative-magnitude
        restriction whose robust interval for the average post effect contains
        0, on the Callaway-Sant'Anna event study with a universal base period;
        NaN with the reason in ``notes`` when not computable), ``mde``
        (analytic, from the robustness base specification's standard error)
        and ``notes``.
    """
    d = sample.design
    notes = []
    es = d.event_study(sample, outcome, data=data)
    pretrend = math.nan
    if isinstance(es, NotEstimable):
        notes.append(f"event study: {es.reason}")
    else:
        pretrend = float(es.pretrend.p_value) if es.pretrend else math.nan
    breakdown = math.nan
    df = sample.data if data is None else data
    cohort = df[d.treatment.cohort].astype("Float64").fillna(0)
    control = "never_treated" if bool((cohort == 0).any()) else "not_yet_treated"
    cs = Spec("CS universal base", callaway_santanna, {"control_group": control, "base_period": "universal",
                                                         "aggregation": "dynamic",
                                                         "window": d.event_window},
              partial_year="anticipation").fit(sample, outcome, data=data)  # fmt: skip
    if isinstance(cs, NotEstimable):
        notes.append(f"HonestDiD: Callaway-Sant'Anna not estimable ({cs.reason})")
    else:
        try:
            h = honest_did(
                cs, method="relative_magnitude", mbar_grid=list(mbar), alpha=d.alpha, seed=seed
            )
            breakdown = float(h.extra.get("breakdown", math.nan))
            if not np.isfinite(breakdown):
                notes.append(f"HonestDiD: every robust interval excludes 0 up to Mbar = {max(mbar)} "
                             "(breakdown above the grid)")  # fmt: skip
        except EstimatorInputError as err:
            notes.append(f"HonestDiD: {err}")
    base = headline(d.robust_spec().fit(sample, outcome, data=data))
    mde = analytic_mde(base["std_error"], d.alpha)
    return {"sample": label, "outcome": outcome, "pretrend_p": pretrend, "honest_breakdown": breakdown,
            "honest_on": f"Callaway-Sant'Anna ({control}, universal base), window {d.event_window}",
            "mde": mde, "notes": "; ".join(notes)}  # fmt: skip


def reading_the_evidence(table: pd.DataFrame, diag: Mapping | None = None) -> str:
    """A short paragraph computed from a robustness table (and diagnostics): which choices move the estimate.

    Changes are measured from the headline row, in the headline's units and in
    its standard errors; a choice "moves" the estimate when its largest change
    exceeds one headline standard error. The intervals excluding 0 are counted
    by :func:`interval_counts`; rows estimated on fewer units or rows than
    the sample has (their note starts with :data:`REDUCED`) are named with
    the counts and the reason. Nothing here is typed by hand.
    """
    t = table[table["estimate"].notna()]
    if t.empty or not (t["choice"] == "headline").any():
        return "No headline estimate: nothing to read."
    h = t[t["choice"] == "headline"].iloc[0]
    if "scale" in t.columns:  # estimates on another scale (log points vs levels) are not comparable
        t = t[t["scale"] == h["scale"]]
    se = float(h["std_error"]) if pd.notna(h["std_error"]) and h["std_error"] > 0 else math.nan
    parts = [f"{h['outcome']}: robustness base ({h['variant']}, analytic interval) {h['estimate']:.3g} "
             f"[{h['conf_low']:.3g}, {h['conf_high']:.3g}]."]  # fmt: skip
    moves = []
    for choice, g in t[~t["choice"].isin(["headline", "scale"])].groupby("choice", sort=False):
        delta = (g["estimate"] - h["estimate"]).abs()
        i = delta.idxmax()
        if choice == "placebo":
            p = g.loc[i]
            verdict = "excludes 0" if (p["conf_low"] > 0 or p["conf_high"] < 0) else "covers 0"
            parts.append(
                f"Placebo (adoption 2 years earlier, pre-periods only): {p['estimate']:.3g}, interval {verdict}."
            )
            continue
        moves.append((float(delta[i]), choice, g.loc[i, "variant"], float(g.loc[i, "estimate"])))
    moves.sort(reverse=True)
    if moves and np.isfinite(se):
        big = [m for m in moves if m[0] > se]
        if big:
            parts.append("Choices that move it by more than one SE of the base: "
                         + "; ".join(f"{c} ({v}: {e:.3g}, {d / se:.1f} SE)" for d, c, v, e in big) + ".")  # fmt: skip
        small = [m[1] for m in moves if m[0] <= se]
        if small:
            parts.append("Within one SE: " + ", ".join(small) + ".")
    parts.append(interval_count_text(interval_counts(t)) + ".")
    # estimates on fewer units than the sample has (e.g. an estimator that balances the panel)
    if "note" in t.columns:
        red = t[t["note"].astype(str).str.startswith(REDUCED) & (t["choice"] != "leave one out")]
        if len(red):
            parts.append("Estimated on a reduced sample: " + "; ".join(
                f"{r['variant']}: {str(r['note']).removeprefix(REDUCED).lstrip(': ')}"
                for _, r in red.iterrows()) + ".")  # fmt: skip
    if diag:
        bits = []
        if np.isfinite(diag.get("pretrend_p", math.nan)):
            bits.append(f"joint pre-trend test p = {diag['pretrend_p']:.3g}")
        if np.isfinite(diag.get("honest_breakdown", math.nan)):
            bits.append(f"HonestDiD breakdown Mbar = {diag['honest_breakdown']:.2g}")
        if np.isfinite(diag.get("mde", math.nan)):
            bits.append(f"MDE = {diag['mde']:.3g}")
        if bits:
            parts.append("Diagnostics: " + ", ".join(bits) + ".")
        if np.isfinite(diag.get("mde", math.nan)):
            parts.append(mde_sentence(float(h["estimate"]), float(h["conf_low"]),
                                      float(h["conf_high"]), float(diag["mde"])))  # fmt: skip
    return " ".join(parts)


#: how a robustness row's note starts when the estimator used fewer units or rows than it was given
#: (:meth:`~.base.Spec.fit` records it; :func:`~.calls.headline` puts it in the note)
REDUCED = "sample reduced by the estimator"


def interval_counts(table: pd.DataFrame) -> dict[str, tuple[int, int]]:
    """How many robustness intervals exclude 0, over distinct specifications, by kind of inference.

    Rows without an estimate and the placebo row are not counted. The
    leave-one-out rows are one specification family (``"leave one out"``:
    how many of its rows exclude 0, counted apart); a row whose estimate and
    interval repeat an earlier row's (e.g. the headline's point estimator
    listed again among the estimators) is counted once (``"duplicates"``: how
    many were left out). The other rows are split by their inference:
    ``"calibrated"`` (the estimator computes its own p-value: wild cluster
    bootstrap, randomization inference) and ``"analytic"`` (the analytic
    cluster-robust interval, which over-rejects on the realistic null panels:
    :func:`measured_size`). Returns ``{kind: (excluding 0, rows)}``.
    """
    t = table[table["estimate"].notna() & (table["choice"] != "placebo")]
    excl = (t["conf_low"] > 0) | (t["conf_high"] < 0)
    loo = (t["choice"] == "leave one out").to_numpy()
    rest = t[~loo]
    nums = rest[["estimate", "conf_low", "conf_high"]].astype("float64").round(10)
    dup = nums.duplicated().to_numpy()
    kept = rest[~dup]
    own_p = kept["p_value"].notna() if "p_value" in kept.columns else pd.Series(False, kept.index)
    e = excl.loc[kept.index]
    return {"calibrated": (int(e[own_p].sum()), int(own_p.sum())),
            "analytic": (int(e[~own_p].sum()), int((~own_p).sum())),
            "leave one out": (int(excl[loo].sum()), int(loo.sum())),
            "duplicates": (0, int(dup.sum()))}  # fmt: skip


def interval_count_text(counts: Mapping[str, tuple[int, int]]) -> str:
    """The counts of :func:`interval_counts` in words (one sentence, no final period)."""
    k, n = counts["calibrated"]
    ka, na = counts["analytic"]
    kl, nl = counts["leave one out"]
    parts = [f"calibrated inference (bootstrap / randomization): {k} of {n} intervals exclude 0",
             f"analytic CR1 intervals (over-reject on the null panel, size study; not counted as tests): "
             f"{ka} of {na}"]  # fmt: skip
    if nl:
        parts.append(
            f"leave one out, one specification family: {kl} of its {nl} intervals exclude 0"
        )
    text = "Distinct specifications: " + "; ".join(parts)
    if counts["duplicates"][1]:
        text += f" ({counts['duplicates'][1]} rows repeating another row's numbers counted once)"
    return text


def plot_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The rows a coefficient plot draws: one scale, leave-one-out collapsed to its two extremes.

    Rows in another scale than the headline's (log points vs levels) are read
    in the table, not drawn on the same axis; the leave-one-out rows (up to 51
    states) are drawn as the smallest and the largest estimate (column
    ``left_out`` names the unit left out), so that rows align across outcomes.
    """
    frames = []
    for _, g in table.groupby("outcome", sort=False):
        head = g[g["choice"] == "headline"]
        scale = head["scale"].iloc[0] if len(head) else "level"
        g = g[g["scale"] == scale]
        loo = g[(g["choice"] == "leave one out") & g["estimate"].notna()]
        keep = g[g["choice"] != "leave one out"]
        if len(loo):
            lo, hi = loo.loc[loo["estimate"].idxmin()], loo.loc[loo["estimate"].idxmax()]
            ext = pd.DataFrame([lo, hi]).assign(variant=["smallest estimate", "largest estimate"],
                                                left_out=[lo["variant"], hi["variant"]])  # fmt: skip
            keep = pd.concat([keep, ext], ignore_index=True)
        frames.append(keep)
    return pd.concat(frames, ignore_index=True) if frames else table.iloc[0:0]


def _size_table(design_key: str, path=None) -> tuple[pd.DataFrame | None, Path]:
    """The size summary rows of ``design_key`` and the file read (None when absent)."""
    from enforcement_crime import config

    # a design re-run alone (reports/size/<key>/) replaces its rows of the main run
    if path is None:
        root = config.project_root() / "reports" / "size"
        path = root / design_key / "size_table.csv"
        path = path if path.is_file() else root / "size_table.csv"
    path = Path(path)
    if not path.is_file():
        return None, path
    t = pd.read_csv(path)
    return t.loc[t["design"] == design_key].reset_index(drop=True), path


def measured_size(design_key: str, path=None) -> pd.DataFrame:
    """The measured size of this design's tests on the null synthetic panel (``reports/size/size_table.csv``).

    Rejection rates at 1% and 5% (and the share of seeds whose 95% interval
    covers the true 0, and the size-corrected 5% level) of every test the
    notebook reports, over the seeds of the last ``benchmarks/size_study.py``
    run; read from the committed table, never typed. A design re-run alone
    (``reports/size/<key>/size_table.csv``, after a change to that design)
    takes precedence over the main table. An empty frame (with
    ``attrs["note"]``) when no table exists.
    """
    cols = ["case", "test", "scale", "outcome", "n_seeds", "reject_01", "reject_05", "mc_se_05",
            "coverage", "within_3_8", "level_05", "headline"]  # fmt: skip
    t, path = _size_table(design_key, path)
    if t is None:
        out = pd.DataFrame(columns=cols)
        out.attrs["note"] = f"{path} absent: run `python benchmarks/size_study.py`"
        return out
    return t[[c for c in cols if c in t.columns]]


def size_reading(design_key: str, path=None) -> list[str]:
    """What the measured size says for this design, computed from the size table.

    Which headline tests are within 3-8% at 5%, each exception with its
    remedy (the size-corrected level), the pre-trend tests at 1%, and which
    tests over-reject (:func:`~enforcement_crime.designs.size.size_findings`).
    """
    from enforcement_crime.designs.size import size_findings

    t, path = _size_table(design_key, path)
    if t is None:
        return [f"{path} absent: run `python benchmarks/size_study.py`"]
    return size_findings(t, design_key)


def reading_table(design, reading: list[str]) -> pd.DataFrame:
    """The reading paragraphs as a table (one row per outcome), for export beside the robustness table."""
    return pd.DataFrame({"outcome": list(design.outcomes), "reading": list(reading)})


def collect(sample: StudySample, *, seed: int = 0,
            alt_samples: Mapping[str, StudySample] | None = None) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:  # fmt: skip
    """Robustness table, diagnostics and the reading paragraph of every outcome of the design.

    The diagnostics have one row per outcome and sample of
    :meth:`~.base.Design.diagnostic_samples` (column ``sample``), each
    computed on that sample; the reading paragraph uses the first (the sample
    of the robustness table). The estimations run on the spare cores
    (:func:`_compute`).
    """
    subsamples = sample.design.diagnostic_samples(sample)
    done = _compute(_collect_tasks(sample, subsamples, seed, alt_samples))
    return _collected(sample, subsamples, done)


def _compute(tasks: Mapping[tuple, Callable[[], object]]) -> dict[tuple, object]:
    """Each task's result under its key, the tasks run side by side on the spare cores
    (:func:`~enforcement_crime.workers.run_tasks`). Put the longest tasks first.

    Fits a task makes in a worker process are not remembered in ``sample.fits``: a later
    call estimates again (the same numbers) rather than receive the workers' fitted
    models, which are far larger than the estimates.
    """
    from enforcement_crime.workers import run_tasks

    keys = list(tasks)
    return dict(zip(keys, run_tasks([tasks[k] for k in keys]), strict=True))


def _collect_tasks(sample: StudySample, subsamples: Mapping[str, pd.DataFrame | None], seed: int,
                   alt_samples: Mapping[str, StudySample] | None) -> dict[tuple, Callable[[], object]]:  # fmt: skip
    """The estimations of :func:`collect`: each outcome's robustness table, then its diagnostics."""
    outcomes = sample.design.outcomes
    shared = _SharedVariants(sample, alt_samples)  # the same variants for every outcome
    tasks: dict[tuple, Callable[[], object]] = {
        ("robustness", o): functools.partial(robustness, sample, o, seed=seed, alt_samples=alt_samples,
                                             _shared=shared)
        for o in outcomes
    }  # fmt: skip
    for o in outcomes:
        for label, data in subsamples.items():
            tasks[("diagnostics", o, label)] = functools.partial(
                diagnostics, sample, o, seed=seed, data=data, label=label
            )
    return tasks


def _collected(sample: StudySample, subsamples: Mapping[str, pd.DataFrame | None],
               done: Mapping[tuple, object]) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:  # fmt: skip
    """:func:`collect`'s tables and reading from the results of :func:`_collect_tasks`."""
    tables, diags, text = [], [], []
    for outcome in sample.design.outcomes:
        t = done[("robustness", outcome)]
        per = [done[("diagnostics", outcome, label)] for label in subsamples]
        tables.append(t)
        diags.extend(per)
        text.append(reading_the_evidence(t, per[0]))
    return pd.concat(tables, ignore_index=True), pd.DataFrame(diags), text


PLACEBO_TABLE_COLUMNS = ["outcome", "sample", "scheme", "n_draws", "estimate", "placebo_mean", "placebo_sd",
                         "share_extreme", "seed", "specification", "description", "note"]  # fmt: skip


def placebo_tests(sample: StudySample, outcome: str, *, data: pd.DataFrame | None = None,
                  label: str = "all", schemes: tuple[str, ...] | None = None,
                  seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:  # fmt: skip
    """Placebo re-assignments of the real adoption schedule for the robustness base TWFE of ``outcome``.

    The robustness base specification (:meth:`~.base.Design.robust_spec`, a
    TWFE: its outcome scale, weights, clusters and partial-year rule) is
    fitted by :func:`~enforcement_crime.estimators.placebo_schedules` on
    ``data`` (default the whole sample, named ``label``) with
    :attr:`~.base.Design.placebo_draws` schedules per scheme: all units, whole
    state blocks and within state (when the sample has a ``state`` column
    with several states), within the design's strata
    (:attr:`~.base.Design.placebo_strata`, e.g. NC population quartiles).
    ``schemes`` keeps only those. Returns the table
    (:data:`PLACEBO_TABLE_COLUMNS`, one row per scheme) and the draws
    (``outcome``, ``sample``, ``scheme``, ``draw``, ``estimate``). A
    specification the vectorised placebo cannot reproduce (not TWFE, or
    with controls, trends or other options) is one row with the reason in
    ``note``.
    """
    from enforcement_crime.estimators import twfe
    from enforcement_crime.estimators.placebo import placebo_schedules

    d = sample.design
    spec = d.robust_spec()
    df = sample.data if data is None else data
    empty = pd.DataFrame(columns=["outcome", "sample", "scheme", "draw", "estimate"])

    def refused(why: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        row = {"outcome": outcome, "sample": label, "scheme": d.placebo_scheme, "seed": seed,
               "specification": spec.label, "note": why}  # fmt: skip
        return pd.DataFrame([row], columns=PLACEBO_TABLE_COLUMNS), empty

    if spec.estimator is not twfe or spec.treatment != "cohort":
        return refused(f"the robustness base ({spec.label}) is not a TWFE on adoption cohorts")
    call = spec.call(d, df, outcome)
    other = sorted(set(call.kwargs) - {"weights", "cluster"})
    if other:
        return refused(f"the vectorised placebo takes no {other} option")
    frame = call.data
    state = "state" if "state" in df.columns and df["state"].nunique() > 1 else None
    strata = d.placebo_strata if d.placebo_strata in df.columns else None
    extra = {c: df.loc[frame.index, c].to_numpy() for c in (state, strata) if c}
    frame = frame.assign(**extra) if extra else frame
    if schemes is None:
        schemes = ("all units", *(("state blocks", "within state") if state else ()),
                   *(("within strata",) if strata else ()))  # fmt: skip
    else:
        schemes = tuple(s for s in schemes if s == "all units" or (s == "within strata" and strata)
                        or (s != "within strata" and state))  # fmt: skip
    try:
        res = placebo_schedules(frame, *call.args[1:], **call.kwargs, state=state, strata=strata,
                                schemes=list(schemes), n_draws=d.placebo_draws, seed=seed)  # fmt: skip
    except EstimatorInputError as err:
        if not sample.tolerate:
            raise
        return refused(str(err))
    table = res.table.assign(outcome=outcome, sample=label, specification=spec.label, note="")
    draws = res.draws.assign(outcome=outcome, sample=label)
    return table[PLACEBO_TABLE_COLUMNS], draws[["outcome", "sample", "scheme", "draw", "estimate"]]


def placebo_share(placebos: pd.DataFrame | None, design, outcome: str, label: str) -> float:
    """The share at least as extreme under the design's verdict scheme (:attr:`~.base.Design.placebo_scheme`).

    A one-state sample has no state scheme: "within state" then reads "all
    units" (the same permutations). NaN when the table has no such row.
    """
    if placebos is None or not len(placebos):
        return math.nan
    t = placebos[(placebos["outcome"] == outcome) & (placebos["sample"] == label)]
    for scheme in (design.placebo_scheme, "all units"):
        row = t[t["scheme"] == scheme]
        if len(row) and pd.notna(row["share_extreme"].iloc[0]):
            return float(row["share_extreme"].iloc[0])
    return math.nan


VERDICT_COLUMNS = ["conclusion", "outcome", "claim", "sample", "verdict", "reason", "estimate", "conf_low", "conf_high",
                   "p_value", "inference", "mde", "mde_method", "relevant_effect", "pretrend_p",
                   "within_state_estimate", "within_state_conf_low", "within_state_conf_high",
                   "placebo_share", "paper_words", "data"]  # fmt: skip


def _weighted_mean(sample: StudySample, outcome: str) -> float:
    d, df = sample.design, sample.data
    y = df[outcome].astype("float64")
    ok = y.notna()
    if d.weights and d.weights in df.columns:
        w = df.loc[ok, d.weights].astype("float64")
        return float((y[ok] * w).sum() / w.sum()) if w.sum() > 0 else math.nan
    return float(y[ok].mean())


def _with_outcomes(sample: StudySample, outcomes: list[str]) -> StudySample:
    """The sample with log(1 + rate) columns for outcomes the design did not declare (when it logs)."""
    import dataclasses

    d = sample.design
    missing = [o for o in outcomes if d.log_outcomes and f"log_{o}" not in sample.data.columns]
    if not missing:
        return sample
    data = sample.data.copy()
    for o in missing:
        data[f"log_{o}"] = np.log1p(data[o].astype("float64"))
    return dataclasses.replace(sample, data=data)


def _sample_robustness(
    sample: StudySample, data: pd.DataFrame, outcome: str, seed: int
) -> pd.DataFrame:
    """The rows a verdict reads, on a sub-sample: base, within-state variants and the headline spec."""
    sub = dataclasses.replace(sample, data=data)
    d = sample.design
    t = robustness(sub, outcome, seed=seed, choices=("headline", WITHIN_STATE))
    spec = d.headline_spec()
    res = spec.fit(sub, outcome, **({"seed": seed} if takes(spec.estimator, "seed") else {}))
    h = headline(res, spec._term(res))
    p = _own_p_value(res)
    row = {"outcome": outcome, "choice": "inference / estimator", "variant": spec.label,
           "scale": spec.scale(d), "estimator": h["estimator"], "estimate": h["estimate"],
           "std_error": h["std_error"], "conf_low": h["conf_low"], "conf_high": h["conf_high"],
           "p_value": p, "note": h["note"]}  # fmt: skip
    return pd.concat([t, pd.DataFrame([row])], ignore_index=True)


def _verdict_placebo(sample: StudySample, data: pd.DataFrame | None, outcome: str, label: str,
                     seed: int) -> pd.DataFrame:  # fmt: skip
    """The placebo table of the design's verdict scheme alone on one sample (``data``; None: the whole
    sample), for a verdict whose placebo share is not in the table it was given."""
    part = sample if data is None else dataclasses.replace(sample, data=data)
    tab, _ = placebo_tests(_with_outcomes(part, [outcome]), outcome, label=label,
                           schemes=(sample.design.placebo_scheme,), seed=seed)  # fmt: skip
    return tab


def _sample_tasks(sample: StudySample, subsamples: Mapping[str, pd.DataFrame | None],
                  seed: int) -> dict[tuple, Callable[[], pd.DataFrame]]:  # fmt: skip
    """What :func:`verdict_table` computes on each sample but the first, for the design's outcomes
    its conclusions read: the rows of :func:`_sample_robustness` (keys ``("sample robustness",
    label, outcome)``) and the placebo table of :func:`_verdict_placebo` (``("sample placebo",
    label, outcome)``)."""
    d = sample.design
    read = [o for o in d.outcomes if o in {o for c in d.conclusions() for o in c.outcomes}]
    others = list(subsamples.items())[1:]
    tasks: dict[tuple, Callable[[], pd.DataFrame]] = {}
    for o in read:
        for label, data in others:
            tasks[("sample robustness", label, o)] = functools.partial(
                _sample_robustness, sample, data, o, seed
            )
    for o in read:
        for label, data in others:
            tasks[("sample placebo", label, o)] = functools.partial(
                _verdict_placebo, sample, data, o, label, seed
            )
    return tasks


def verdict_table(sample: StudySample, robust: pd.DataFrame, diags: pd.DataFrame, *, seed: int = 0,
                  conclusions=None, placebos: pd.DataFrame | None = None,
                  sample_robustness: Mapping[tuple[str, str], pd.DataFrame] | None = None) -> pd.DataFrame:  # fmt: skip
    """The verdict on each conclusion the design tests, one row per conclusion, outcome and sample.

    Applies :func:`~enforcement_crime.designs.verdicts.verdict` (the rules are
    stated there) to numbers computed here:

    * estimate, interval and p-value: the design's headline specification
      (its calibrated inference, e.g. the wild cluster bootstrap) from the
      robustness table's "inference / estimator" rows, else the robustness
      base specification (analytic interval); for a design in which every
      unit is eventually treated, its clean-control headline
      (:meth:`~.base.Design.clean_headline`: not-yet-treated controls, the
      years up to the last one with a not-yet-treated unit), with the
      paper-style headline given beside it in the reason;
    * MDE: analytic, (z_0.975 + z_0.8) x the standard error implied by that
      interval (``mde_method`` says so); the relevant effect:
      :func:`~enforcement_crime.designs.verdicts.relevant_effect` on the
      headline scale;
    * pre-trend p-value: :func:`diagnostics` of the same sample;
    * within-state comparison: the robustness row with state-by-year fixed
      effects (:data:`STATE_BY_YEAR`), when the design has one (for a
      clean-control headline, the one on its window);
    * placebo share: the share of placebo adoption schedules with a TWFE
      estimate at least as extreme as the actual one, under the design's
      scheme (:attr:`~.base.Design.placebo_scheme`, e.g. within state), read
      from ``placebos`` (the table of :func:`placebo_tests`) when it has the
      outcome and sample, else computed here with that scheme alone;
    * divergence drivers: the other robustness rows on the headline scale.

    The first sample of :meth:`~.base.Design.diagnostic_samples` is the one
    of ``robust``; every other one (e.g. each 287(g) agreement model) gets its
    own rows, computed here on its own data (the base, within-state and
    headline specifications) and its own diagnostics row: nothing is copied
    across samples. A conclusion whose outcome columns are not in the sample
    is one row "not testable with these data"
    (:attr:`.conclusions.Conclusion.needs`); one whose columns are in the
    sample but not among the design's outcomes (e.g. clearances on an agency
    panel) gets its robustness table and diagnostics computed here (whole
    sample). ``conclusions`` defaults to :meth:`~.base.Design.conclusions`.
    ``sample_robustness`` holds rows of the other samples already computed
    (:func:`_sample_tasks`), by (sample label, outcome).
    """
    from scipy.stats import norm

    from enforcement_crime.designs.verdicts import relevant_effect, verdict

    d = sample.design
    conclusions = d.conclusions() if conclusions is None else tuple(conclusions)
    subsamples = d.diagnostic_samples(sample)
    first = next(iter(subsamples))
    rows = []
    head_label = d.headline_spec().label
    z = norm.ppf(1 - d.alpha / 2)
    by_sample: dict[tuple[str, str], pd.DataFrame] = dict(sample_robustness or {})
    cache: dict[tuple[str, str, str], float] = {}
    clean = d.clean_headline(sample)
    for c in conclusions:
        present_cols = [o for o in c.outcomes if o in sample.data.columns]
        if not present_cols:
            v = verdict(c.claim, math.nan, math.nan, math.nan,
                        not_testable=c.needs or "outcome not in the data")  # fmt: skip
            rows.append({"conclusion": c.name, "outcome": ", ".join(c.outcomes), "claim": c.claim,
                         "sample": first, "verdict": v.kind, "reason": v.text, "paper_words": c.words,
                         "data": sample.label})  # fmt: skip
            continue
        extra = [o for o in present_cols if o not in d.outcomes and o not in set(robust["outcome"])]
        if extra:
            s2 = _with_outcomes(sample, extra)
            robust = pd.concat(
                [robust, *(robustness(s2, o, seed=seed) for o in extra)], ignore_index=True
            )
            diags = pd.concat([diags, pd.DataFrame([diagnostics(s2, o, seed=seed, label=first) for o in extra])],
                              ignore_index=True)  # fmt: skip
        for outcome in present_cols:
            for label, data in subsamples.items():
                if label == first:
                    t = robust[robust["outcome"] == outcome]
                elif outcome in d.outcomes:
                    key = (label, outcome)
                    if key not in by_sample:
                        by_sample[key] = _sample_robustness(sample, data, outcome, seed)
                    t = by_sample[key]
                else:
                    continue
                dg = diags[diags["outcome"] == outcome] if len(diags) else diags
                if "sample" in dg.columns:
                    dg = dg[dg["sample"] == label]
                share = placebo_share(placebos, d, outcome, label)
                if not np.isfinite(share):
                    key = ("placebo", label, outcome)
                    if key not in cache:
                        tab = _verdict_placebo(sample, data, outcome, label, seed)
                        cache[key] = placebo_share(tab, d, outcome, label)
                    share = cache[key]
                rows.append(_verdict_row(c, outcome, label, t, dg, sample, data, head_label, z,
                                         relevant_effect, verdict, share,
                                         clean=clean if label == first else None))  # fmt: skip
    return pd.DataFrame(rows, columns=VERDICT_COLUMNS)


def _verdict_row(c, outcome, label, t, dg, sample, data, head_label, z, relevant_effect, verdict,
                 placebo, clean=None) -> dict:  # fmt: skip
    """One verdict-table row from the robustness rows ``t`` and diagnostics rows ``dg`` of one sample.

    With ``clean`` (the design's :class:`.clean.CleanHeadline`) and its row estimated, the verdict
    reads the clean-control headline, compares it with the state-by-year variant on the same window,
    and its reason gives the paper-style headline beside it; the placebo share (of re-estimated TWFE
    coefficients) is then given in the reason but not read by the rules (column ``placebo_share``
    NaN): it says nothing about the clean-control estimator.
    """
    d = sample.design
    base = t[t["choice"] == "headline"]
    paper = t[(t["choice"] == "inference / estimator") & (t["variant"] == head_label)]
    paper = paper if len(paper) and paper["estimate"].notna().any() else base
    head = paper
    within_label = None
    if clean is not None:
        cl = t[(t["choice"] == "inference / estimator") & (t["variant"] == clean.spec.label)]
        if len(cl) and cl["estimate"].notna().any():
            head, within_label = cl, clean_within_label(d.robust_spec(), clean)
    head = head if len(head) and head["estimate"].notna().any() else base
    h = head.iloc[0] if len(head) else pd.Series(dtype=object)
    est, lo, hi = (float(h.get(k, math.nan)) for k in ("estimate", "conf_low", "conf_high"))
    p = float(h.get("p_value", math.nan))
    scale = str(h.get("scale", d.transform))
    same = t[(t["scale"] == scale) & ~t["choice"].isin(["headline", "placebo"])]
    same = same[same["variant"] != h.get("variant")]
    within = t[
        (t["choice"] == WITHIN_STATE) & (t["variant"].astype(str).str.endswith(STATE_BY_YEAR))
    ]
    if within_label is not None:
        within = within[within["variant"] == within_label]
    ws = None
    if len(within) and np.isfinite(within["estimate"].iloc[0]):
        w = within.iloc[0]
        ws = {"estimate": float(w["estimate"]), "conf_low": float(w["conf_low"]),
              "conf_high": float(w["conf_high"]), "label": "state-by-year fixed effects"}  # fmt: skip
        if within_label is not None:
            ws["label"] = (
                f"TWFE with state-by-year fixed effects on the same years ({clean.first}-{clean.last})"
            )
    twfe_placebo = placebo
    # the placebo re-assignments re-estimate the TWFE, not the clean-control estimator
    if within_label is not None:
        placebo = math.nan
    mde = (analytic_mde((hi - lo) / (2 * z), d.alpha)
           if np.isfinite(lo) and np.isfinite(hi) else math.nan)  # fmt: skip
    pre = float(dg["pretrend_p"].iloc[0]) if len(dg) else math.nan
    part = sample if data is None else dataclasses.replace(sample, data=data)
    rel = relevant_effect(scale, _weighted_mean(part, outcome))
    note = str(h.get("note", "")).strip().splitlines()
    why = (note[0] if note else "") if len(head) else "no row in the robustness table"
    v = verdict(c.claim, est, lo, hi, p_value=p, mde=mde, relevant=rel, pretrend_p=pre,
                within_state=ws, placebo_share=placebo, variants=same.to_dict("records"),
                alpha=d.alpha, not_estimated=why)  # fmt: skip
    reason = v.text
    if within_label is not None:
        reason += f" (clean-control headline: {h['variant']}"
        if len(paper) and np.isfinite(float(paper["estimate"].iloc[0])):
            q = paper.iloc[0]
            reason += (f"; beside it the paper-style {q['variant']}: {float(q['estimate']):.3g} "
                       f"[{float(q['conf_low']):.3g}, {float(q['conf_high']):.3g}]")  # fmt: skip
        if np.isfinite(twfe_placebo):
            reason += (f"; its placebo share ({100 * twfe_placebo:.0f}% of placebo schedules at least as "
                       "extreme) is of the TWFE and is not read for the clean-control estimator")  # fmt: skip
        reason += ")"
    return {"conclusion": c.name, "outcome": outcome, "claim": c.claim, "sample": label, "verdict": v.kind,
            "reason": reason, "estimate": est, "conf_low": lo, "conf_high": hi, "p_value": p,
            "inference": str(h.get("variant", "")), "mde": mde,
            "mde_method": "analytic: (z_0.975 + z_0.8) x the SE implied by the interval",
            "relevant_effect": rel, "pretrend_p": pre,
            "within_state_estimate": ws["estimate"] if ws else math.nan,
            "within_state_conf_low": ws["conf_low"] if ws else math.nan,
            "within_state_conf_high": ws["conf_high"] if ws else math.nan,
            "placebo_share": placebo, "paper_words": c.words, "data": sample.label}  # fmt: skip


# --------------------------------------------------------------------------------------
# false positives on the null synthetic panel
# --------------------------------------------------------------------------------------


def null_truth(sample: StudySample) -> list[str] | None:
    """The true-effect columns of a synthetic panel whose every true effect is 0, else None.

    A panel is a known null when it is synthetic (:func:`~enforcement_crime.panels.is_synthetic`,
    :attr:`~.base.StudySample.synthetic`) and carries ``*_true_effect`` columns
    (the built-in panel's ``sc_true_effect`` and ``g287_true_effect``) equal to
    0 in every row. A real panel, a synthetic panel with any non-zero true
    effect (another preset) and a frame without true-effect columns are not.
    """
    if not sample.synthetic:
        return None
    cols = [c for c in sample.raw.columns if str(c).endswith("_true_effect")]
    if not cols:
        return None
    for c in cols:
        v = pd.to_numeric(sample.raw[c], errors="coerce").to_numpy(dtype="float64")
        if np.isnan(v).any() or (v != 0).any():
            return None
    return cols


def _spec_key(spec: Spec, design) -> tuple:
    """What makes two specifications the same test (labels and the record of choices aside)."""
    return (spec.estimator, spec.treatment, spec.term, spec.scale(design), spec.weighted,
            spec.clustered, spec.partial_year, repr(sorted(spec.options.items())))  # fmt: skip


def _size_case_names(sample: StudySample) -> dict[str, str]:
    """Robustness variant label -> the size table's name of the same test on the whole sample.

    A variant and a size case (:data:`~.size.SIZE_CASES`) are the same test
    when their specifications agree in everything but the label; variants on
    part of the sample, on other data or another panel have no size case.
    """
    from enforcement_crime.designs.size import SIZE_CASES

    d = sample.design
    cases = {}
    for case in SIZE_CASES.get(d.key, ()):
        if case.model is not None:
            continue
        try:
            cases[_spec_key(case.spec(d, sample), d)] = case.name
        except (AttributeError, TypeError, ValueError, KeyError):
            continue  # a case this design (with these options) cannot build
    out = {}
    for v in variants(sample):
        if v.data is None and v.rows is None and v.sample is None:
            name = cases.get(_spec_key(v.spec, d))
            if name is not None:
                out.setdefault(v.label, name)
    return out


def _measured(size: pd.DataFrame | None, outcome: str, rows: pd.Series) -> str:
    """'<case>: measured x% at 5% over n null seeds' for the one size-table row ``rows`` selects, else ''."""
    if size is None or not len(size):
        return ""
    hit = size[rows & (size["outcome"] == outcome)]
    if len(hit) != 1:
        return ""
    r = hit.iloc[0]
    return (f"{r['case']}: rejects {100 * r['reject_05']:.1f}% (MC s.e. {100 * r['mc_se_05']:.1f}) "
            f"at 5% over {int(r['n_seeds'])} null seeds")  # fmt: skip


def false_positive_reading(sample: StudySample, robust: pd.DataFrame, diag: Mapping | None = None,
                           placebos: pd.DataFrame | None = None, *, size_path=None,
                           case_names: Mapping[str, str] | None = None) -> str:  # fmt: skip
    """On the null synthetic panel, which tests shown for one outcome reject, said to be false positives.

    ``robust`` holds the robustness rows of one outcome (:func:`robustness`),
    ``diag`` its diagnostics row (:func:`diagnostics`), ``placebos`` the
    placebo re-assignment table (:func:`placebo_tests`). On a panel that is
    not a known null (:func:`null_truth`: a real panel, or a synthetic one
    with a true effect) the result is ``""``. Otherwise the paragraph lists
    every rejection at the design's level ``alpha``: the joint pre-trend test
    (p below ``alpha``), each robustness interval excluding 0 (the rows of
    other panels left out: their truth is not this panel's), the placebo
    re-assignment share below ``alpha``; says that each is a false positive,
    since this panel has no true effect, that a test of nominal size
    ``alpha`` rejects a true null in about 1 run in ``1/alpha``, and how many
    rejections chance alone gives for the number of tests shown; and, for
    each rejecting test measured by ``benchmarks/size_study.py``, its
    rejection rate on null panels read from the committed size table
    (``reports/size/size_table.csv``, or ``size_path``). With no rejection it
    says so in one sentence.
    """
    truth = null_truth(sample)
    if truth is None:
        return ""
    d = sample.design
    alpha = float(d.alpha)
    size, path = _size_table(d.key, size_path)
    names = _size_case_names(sample) if case_names is None else case_names
    outcome = (
        str(robust["outcome"].iloc[0]) if len(robust) else str((diag or {}).get("outcome", ""))
    )
    found, measured = [], []
    n_tests = 0
    p = float((diag or {}).get("pretrend_p", math.nan))
    if np.isfinite(p):
        n_tests += 1
        if p < alpha:
            found.append(f"the joint pre-trend test (p = {p:.3g})")
            if size is not None:
                label = str((diag or {}).get("sample", ""))
                pre = (size["test"] == "pretrend") & ~size["case"].str.contains(
                    "not used", regex=False
                )
                pre_here = pre & size["case"].str.startswith(f"{label}: ")
                measured.append(_measured(size, outcome, pre_here if (pre_here & (size["outcome"] == outcome)).any() else pre))  # fmt: skip
    t = robust[(robust["choice"] != "panel") & robust["estimate"].notna()]
    t = t[t["conf_low"].notna() & t["conf_high"].notna()]
    n_tests += len(t)
    excl = t[(t["conf_low"] > 0) | (t["conf_high"] < 0)]
    for choice, g in excl.groupby("choice", sort=False):
        of = int((t["choice"] == choice).sum())
        what = "robustness base" if choice == "headline" else choice
        if len(g) <= 3:
            found.append(f"{what} " + " and ".join(f'"{v}"' for v in g["variant"]) + ": "
                         + ("interval excludes 0" if len(g) == 1 else "intervals exclude 0")
                         + (f" ({len(g)} of {of})" if of > 1 else ""))  # fmt: skip
        else:
            found.append(f"{what}: {len(g)} of {of} intervals exclude 0")
        if size is not None:
            for v in g["variant"]:
                if v in names:
                    measured.append(_measured(size, outcome, size["case"] == names[v]))
    if placebos is not None and len(placebos):
        pl = placebos[(placebos["outcome"] == outcome) & placebos["share_extreme"].notna()]
        if "sample" in pl.columns and diag is not None and "sample" in diag:
            pl = pl[pl["sample"] == diag["sample"]]
        n_tests += len(pl)
        low = pl[pl["share_extreme"] < alpha]
        if len(low):
            found.append("placebo re-assignment (" + "; ".join(
                f"{s}: share as extreme {x:.3g}" for s, x in zip(low["scheme"], low["share_extreme"], strict=True)) + ")")  # fmt: skip
    one_in = round(1 / alpha)
    null = (f"This panel is synthetic with no true effect (every true-effect column, {', '.join(truth)}, is 0), "
            f"so for {outcome}")  # fmt: skip
    if not found:
        return (f"{null} a p-value below {alpha:g} or an interval excluding 0 would be a false positive; "
                f"none of the {n_tests} tests and intervals above rejects (a test of nominal size "
                f"{alpha:.0%} rejects in about 1 run in {one_in}).")  # fmt: skip
    measured = [m for m in dict.fromkeys(measured) if m]
    text = (f"{null} each of these rejections is a false positive, not an effect: {'; '.join(found)}. "
            f"A test of nominal size {alpha:.0%} rejects a true null in about 1 run in {one_in}, so among "
            f"the {n_tests} tests and intervals above about {alpha * n_tests:.2g} false positives are expected "
            "on average by chance alone (and more where a test over-rejects).")  # fmt: skip
    if measured:
        text += f" Measured on null panels ({_display_path(path)}): " + "; ".join(measured) + "."
    elif size is None:
        text += f" ({_display_path(path)} absent: no measured size to compare.)"
    return text


def with_false_positives(sample: StudySample, reading: list[str], robust: pd.DataFrame,
                         diags: pd.DataFrame, placebos: pd.DataFrame | None = None, *,
                         size_path=None) -> list[str]:  # fmt: skip
    """The reading paragraphs (one per outcome of the design), each followed by its :func:`false_positive_reading`.

    The diagnostics row of each outcome is the one of the first sample of
    :meth:`~.base.Design.diagnostic_samples` (the sample of the robustness
    table). Unchanged on a panel that is not a known null (:func:`null_truth`).
    """
    if null_truth(sample) is None:
        return list(reading)
    d = sample.design
    first = next(iter(d.diagnostic_samples(sample)))
    names = _size_case_names(sample)
    out = []
    for text, o in zip(reading, d.outcomes, strict=True):
        dg = diags[diags["outcome"] == o] if len(diags) else diags
        if "sample" in dg.columns:
            dg = dg[dg["sample"] == first]
        note = false_positive_reading(sample, robust[robust["outcome"] == o],
                                      dg.iloc[0].to_dict() if len(dg) else None, placebos,
                                      size_path=size_path, case_names=names)  # fmt: skip
        out.append(f"{text} {note}" if note else text)
    return out


def _display_path(path: Path) -> str:
    """``path`` relative to the project root when under it."""
    from enforcement_crime import config

    try:
        return Path(path).resolve().relative_to(config.project_root().resolve()).as_posix()
    except ValueError:
        return str(path)


#: the outputs :func:`present` writes: name (after the design's prefix, :meth:`~.base.Design.output_name`)
#: -> description
PRESENTED: dict[str, str] = {
    "tab_verdicts": "Verdict on each conclusion of the papers, by the stated rules (designs.verdicts)",
    "tab_robustness": "Robustness variants of the headline, every outcome",
    "tab_diagnostics": "Joint pre-trend test, HonestDiD breakdown value, MDE",
    "fig_robustness": "Coefficient plot of the robustness variants",
    "tab_reading": "Reading the evidence: computed paragraph per outcome",
    "tab_placebos": "Placebo re-assignments of the real adoption schedule: where the actual estimate falls",
    "fig_placebos": "Placebo estimates per re-assignment scheme, the actual estimate marked",
}


@dataclass(frozen=True)
class Evidence:
    """What :func:`present` computed: verdicts, robustness table, diagnostics and reading paragraphs."""

    robustness: pd.DataFrame
    diagnostics: pd.DataFrame
    reading: list[str]
    verdicts: pd.DataFrame | None = None
    scale_label: str = ""
    placebos: pd.DataFrame | None = None
    placebo_draws: pd.DataFrame | None = None
    side: Mapping[str, pd.DataFrame] = dataclasses.field(default_factory=dict)  # Design.side_tables

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        return self.diagnostics.to_html(index=False)

    def show(self) -> None:
        """Show the coefficient plot of :func:`plot_rows` and print the reading paragraphs.

        The plot is the one :func:`present` saved, shown from its PNG
        (:func:`~enforcement_crime.reports.show_saved_figure`); it is drawn
        anew only when no figure of these rows was saved in this session.
        """
        import matplotlib.pyplot as plt

        from enforcement_crime import plots, reports

        rows = plot_rows(self.robustness)
        if not reports.show_saved_figure(rows):
            plots.coefficient_plot(rows, label="variant", xlabel=f"Effect ({self.scale_label})")
            plt.show()
        print("\n\n".join(self.reading))
        for name, table in self.side.items():
            print(f"\n{name}:\n{table.to_string(index=False)}")


def present(sample: StudySample, log, *, seed: int = 0, alt_panels: tuple[str, ...] = (),
            preset: str = "null", show: bool = True, adjust_verdicts=None) -> Evidence:  # fmt: skip
    """The evidence section of a study notebook: compute, export and show it in one call.

    Opens the design on ``alt_panels`` (:meth:`~.base.Design.open_alternatives`:
    a panel not built is reported and left out), runs :func:`collect` and
    :func:`verdict_table`, and records with ``log`` (an
    :class:`~enforcement_crime.reports.OutputLog`) the verdict table, the
    robustness table, the diagnostics, the coefficient plot of
    :func:`plot_rows` and the reading table, named by the design
    (``tab_<key>_verdicts``, unless the design declares no conclusion, ``tab_<key>_robustness``,
    ``tab_<key>_diagnostics``, ``fig_<key>_robustness``, ``tab_<key>_reading``,
    and the placebo re-assignments of :func:`placebo_tests` of every outcome,
    ``tab_<key>_placebos``, with ``fig_<key>_placebos`` of the first outcome;
    :data:`PRESENTED`). The verdicts read the placebo share of that table.
    Every estimation of the section is computed first, side by side on the spare
    cores (:func:`_compute`: the same numbers as one after the other).
    On the null synthetic panel each reading paragraph ends with its
    :func:`false_positive_reading` (:func:`with_false_positives`). With ``show``, the verdicts are printed, the plot is
    shown and the reading printed; with ``show=False`` a notebook shows the
    verdicts at its top and calls :meth:`Evidence.show` where it discusses
    the robustness. ``adjust_verdicts`` (a function of the verdict table
    returning one) replaces rows before they are exported, e.g. the assault
    rows redone on a count model (:meth:`.nc_287g.NC287g.count_verdicts`).
    """
    import matplotlib.pyplot as plt

    from enforcement_crime import plots

    d = sample.design
    alternatives = d.open_alternatives(alt_panels, seed=seed, preset=preset)
    subsamples = d.diagnostic_samples(sample)
    first = next(iter(subsamples))
    # every estimation of the section at once, on the spare cores: the longest first
    tasks = _collect_tasks(sample, subsamples, seed, alternatives)
    tasks.update(_sample_tasks(sample, subsamples, seed))
    for o in d.outcomes:
        tasks[("placebo", o)] = functools.partial(placebo_tests, sample, o, label=first, seed=seed)
    from enforcement_crime.estimators.placebo import kept_draws

    with kept_draws():  # each outcome's placebo tests reuse the schedules of the first
        done = _compute(tasks)
    robust, diags, reading = _collected(sample, subsamples, done)
    runs = [done[("placebo", o)] for o in d.outcomes]
    placebos = pd.concat([t for t, _ in runs], ignore_index=True)
    draws = pd.concat([dr for _, dr in runs], ignore_index=True)
    by_sample = {k[1:]: v for k, v in done.items() if k[0] == "sample robustness"}
    # the verdicts read the other samples' placebo shares from their own tables
    read = pd.concat([placebos, *(v for k, v in done.items() if k[0] == "sample placebo")],
                     ignore_index=True)  # fmt: skip
    verdicts = verdict_table(sample, robust, diags, seed=seed, placebos=read,
                             sample_robustness=by_sample)  # fmt: skip
    if adjust_verdicts is not None:
        verdicts = adjust_verdicts(verdicts)
    reading = with_false_positives(sample, reading, robust, diags, placebos)
    name = {k: d.output_name(*k.split("_", 1)) for k in PRESENTED}
    if len(verdicts):  # a design that declares no paper conclusion has no verdict table
        log.table(verdicts, name["tab_verdicts"], description=PRESENTED["tab_verdicts"])
    if show and len(verdicts):
        shown = verdicts[["conclusion", "outcome", "sample", "verdict", "reason"]]
        print(shown.to_string(index=False))
    log.table(robust, name["tab_robustness"], description=PRESENTED["tab_robustness"])
    log.table(diags, name["tab_diagnostics"], description=PRESENTED["tab_diagnostics"])
    rows = plot_rows(robust)
    hl = d.headline_spec().label  # the headline row is the headline spec's
    fig, _ = plots.coefficient_plot(rows, label="variant", xlabel=f"Effect ({d.scale_label})",
                                    headline=hl if (rows["variant"] == hl).any() else "auto")  # fmt: skip
    log.figure(fig, name["fig_robustness"], rows, description=PRESENTED["fig_robustness"])
    if show:
        plt.show()
    else:
        plt.close(fig)
    log.table(reading_table(d, reading), name["tab_reading"], description=PRESENTED["tab_reading"])
    log.table(placebos, name["tab_placebos"], description=PRESENTED["tab_placebos"])
    if len(draws):
        o = next(o for o in d.outcomes if (draws["outcome"] == o).any())
        fig, shown = plots.placebo_plot(draws[draws["outcome"] == o], placebos[placebos["outcome"] == o],
                                        xlabel=f"Placebo estimate, {o} ({d.scale_label})")  # fmt: skip
        log.figure(fig, name["fig_placebos"], shown, description=PRESENTED["fig_placebos"])
        if show:
            plt.show()
        else:
            plt.close(fig)
    side = {}
    tables = d.side_tables(sample, seed=seed)
    if set(tables) != set(d.side_table_keys):
        raise ValueError(f"{type(d).__name__}.side_tables gave {sorted(tables)}, its "
                         f"side_table_keys declare {sorted(d.side_table_keys)}")  # fmt: skip
    for key, (description, table) in tables.items():
        side[d.output_name("tab", key)] = table
        log.table(table, d.output_name("tab", key), description=description)
    if show:
        print("\n\n".join(reading))
        for key, table in side.items():
            print(f"\n{key}:\n{table.to_string(index=False)}")
    return Evidence(robust, diags, reading, verdicts, d.scale_label, placebos, draws, side)
