"""The verdict rules: what our estimates say about each conclusion of a paper, written once.

:func:`verdict` reads one conclusion (the paper's claim: no effect, an effect,
or an effect of a sign) against our estimate, its calibrated interval and
p-value, the minimum detectable effect (MDE) and the diagnostics, and returns
one of four verdicts, each with its reason in numbers:

``reproduced``
    Claim "no effect": the calibrated interval covers 0, no diagnostic flags
    the design, and the MDE is at most the relevant effect (the data could
    have detected an effect of that size). Claim "an effect" (of a sign): the
    interval excludes 0 (with that sign) and no diagnostic flags the design.
``diverges: <the choice that drives it, with numbers>``
    The estimate contradicts the claim (an interval excluding 0 against "no
    effect"; the other sign; or, against a claimed effect, an interval covering
    0 with enough power), and no diagnostic explains it away. The reason names
    the robustness variants under which the interval covers 0 (the choices
    the divergence rests on), or says it survives every variant given.
``cannot tell: <why>``
    A diagnostic flags the design, so neither agreement nor divergence can be
    read from the estimate: the joint pre-trend test rejects at
    :data:`PRETREND_LEVEL` (1%, the level at which the size study reads it);
    the estimate does not survive within-state comparisons (with
    state-by-year fixed effects its interval covers 0 and it shrinks by more
    than half: only between-state variation identifies it); placebo adoption
    dates give an estimate at least as extreme in more than ``alpha`` of
    draws (these two only for an estimate that differs from 0); or (no
    effect found) the MDE exceeds the relevant effect (power below 80% for
    it); or nothing was estimated.
``not testable with these data: <what it would take>``
    The outcome is not in the data (the caller says what it would take).

The rules are applied in this order: not testable, not estimated, design
flags, then the comparison with the claim. :func:`mde_sentence` compares the
estimate, its interval and the MDE in words.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

__all__ = [
    "CLAIMS",
    "VERDICTS",
    "RELEVANT_LOG_EFFECT",
    "RELEVANT_LEVEL_SHARE",
    "WITHIN_STATE_SHRINK",
    "PRETREND_LEVEL",
    "Verdict",
    "verdict",
    "mde_sentence",
    "relevant_effect",
]

#: what a paper may claim about an outcome: no effect, an effect of either sign, or of a given sign
CLAIMS: tuple[str, ...] = ("none", "any", "negative", "positive")

#: the four verdicts (the first word(s) of every verdict's text)
VERDICTS: tuple[str, ...] = (
    "reproduced",
    "diverges",
    "cannot tell",
    "not testable with these data",
)

#: the smallest effect worth detecting on the log(1 + rate) scale: 0.10 log points (about 10%)
RELEVANT_LOG_EFFECT = 0.10
#: on the level scale: this share of the (population-weighted) mean outcome
RELEVANT_LEVEL_SHARE = 0.10
#: level at which the joint pre-trend test flags a design: 1%, the level at which the size study
#: reads the pre-trend tests (:mod:`.size`; a joint test of several leads read at 5% flags one null
#: design in twenty)
PRETREND_LEVEL = 0.01
#: within-state comparison: the estimate "does not survive" when the state-by-year interval covers 0
#: and the estimate shrinks to at most this share of the base estimate (in absolute value)
WITHIN_STATE_SHRINK = 0.5


def relevant_effect(scale: str, mean_outcome: float = math.nan) -> float:
    """The relevant effect on a scale: :data:`RELEVANT_LOG_EFFECT` in logs, else a share of the mean outcome."""
    if scale == "log":
        return RELEVANT_LOG_EFFECT
    return RELEVANT_LEVEL_SHARE * abs(float(mean_outcome))


@dataclass(frozen=True)
class Verdict:
    """A verdict: its kind (one of :data:`VERDICTS`) and the full text (kind, colon, reason)."""

    kind: str
    text: str

    def __str__(self) -> str:
        return self.text


def _n(x: float) -> str:
    return f"{x:.3g}"


def _interval(lo: float, hi: float) -> str:
    return f"[{_n(lo)}, {_n(hi)}]"


def _excludes_zero(lo: float, hi: float) -> bool | None:
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return None
    return bool(lo > 0 or hi < 0)


def mde_sentence(estimate: float, conf_low: float, conf_high: float, mde: float) -> str:
    """One sentence comparing the estimate, its interval and the minimum detectable effect.

    Cases: MDE or estimate unknown; the interval covers 0 and lies inside
    +-MDE (an effect of the MDE's size is ruled out); the interval covers 0
    and reaches +-MDE (an effect of that size is not ruled out); the interval
    excludes 0 with ``|estimate|`` at or above the MDE; the interval excludes
    0 with ``|estimate|`` below the MDE (significant, yet smaller than the
    effect the design detects with 80% power: said, not hidden).
    """
    if not np.isfinite(estimate):
        return "not estimated"
    if not (np.isfinite(mde) and mde > 0):
        return f"Estimate {_n(estimate)}; MDE unknown, so the power of the test is not known."
    iv = _interval(conf_low, conf_high)
    excl = _excludes_zero(conf_low, conf_high)
    if excl is None:
        return f"Estimate {_n(estimate)} (no interval); MDE {_n(mde)}."
    if not excl:
        if -mde < conf_low and conf_high < mde:
            return (f"The interval {iv} covers 0 and lies inside +-{_n(mde)} (the MDE): an effect as large "
                    "as the MDE is ruled out.")  # fmt: skip
        return (f"The interval {iv} covers 0 but reaches the MDE ({_n(mde)}): an effect of that size "
                "is not ruled out.")  # fmt: skip
    if abs(estimate) >= mde:
        return f"The interval {iv} excludes 0 and |estimate| {_n(abs(estimate))} is at least the MDE ({_n(mde)})."
    return (f"The interval {iv} excludes 0, yet |estimate| {_n(abs(estimate))} is below the MDE ({_n(mde)}): "
            "an effect of this size is detected less than 80% of the time, so the rejection is weak evidence.")  # fmt: skip


def _flags(
    estimate: float,
    conf_low: float,
    conf_high: float,
    *,
    pretrend_p: float,
    within_state: Mapping[str, float] | None,
    placebo_share: float,
    alpha: float,
    significant: bool,
    pretrend_level: float,
) -> list[str]:
    """The design flags (reasons for "cannot tell"), each with its numbers.

    The within-state and placebo flags concern an estimate that differs from
    0 (they say it may not be the programme's); the pre-trend flag concerns any.
    """
    out = []
    if np.isfinite(pretrend_p) and pretrend_p < pretrend_level:
        out.append(f"pre-trends (joint test p = {pretrend_p:.2g})")
    if within_state is not None and np.isfinite(within_state.get("estimate", math.nan)):
        w, wlo, whi = (
            float(within_state.get(k, math.nan)) for k in ("estimate", "conf_low", "conf_high")
        )
        covers = _excludes_zero(wlo, whi) is False
        shrinks = abs(w) <= WITHIN_STATE_SHRINK * abs(estimate)
        if covers and shrinks and significant:
            label = within_state.get("label", "state-by-year fixed effects")
            out.append(f"only between-state variation: with {label} the estimate is {_n(w)} "
                       f"{_interval(wlo, whi)} against {_n(estimate)}")  # fmt: skip
    if significant and np.isfinite(placebo_share) and placebo_share > alpha:
        out.append(f"placebo adoption dates give an estimate at least as extreme in "
                   f"{100 * placebo_share:.0f}% of draws")  # fmt: skip
    return out


def verdict(
    claim: str,
    estimate: float,
    conf_low: float,
    conf_high: float,
    *,
    p_value: float = math.nan,
    mde: float = math.nan,
    relevant: float = RELEVANT_LOG_EFFECT,
    pretrend_p: float = math.nan,
    within_state: Mapping[str, float] | None = None,
    placebo_share: float = math.nan,
    variants: Iterable[Mapping[str, object]] = (),
    alpha: float = 0.05,
    pretrend_level: float = PRETREND_LEVEL,
    not_testable: str | None = None,
    not_estimated: str = "",
) -> Verdict:
    """The verdict on one conclusion (see the module docstring for the rules).

    Parameters
    ----------
    claim : {"none", "any", "negative", "positive"}
        What the paper says about the outcome (:data:`CLAIMS`).
    estimate, conf_low, conf_high : float
        Our headline estimate and its calibrated interval (e.g. the wild
        cluster bootstrap); NaN when not estimated.
    p_value : float
        The calibrated p-value of "no effect" (NaN: the interval decides).
        Where both are given, the interval excludes 0 or ``p_value < alpha``
        counts as significant.
    mde : float
        Minimum detectable effect (80% power) on the estimate's scale.
    relevant : float
        The smallest effect worth detecting on that scale
        (:func:`relevant_effect`); "no effect" is reproduced only when
        ``mde <= relevant``.
    pretrend_p : float
        Joint pre-trend test p-value (flags the design below ``pretrend_level``).
    within_state : mapping, optional
        ``estimate``, ``conf_low``, ``conf_high`` (and ``label``) of the
        same specification with state-by-year fixed effects; None when not
        computed (e.g. a single-state design).
    placebo_share : float
        Share of placebo adoption-date draws with an estimate at least as
        extreme as ours (NaN when not computed).
    variants : iterable of mappings
        Robustness rows (``variant``, ``estimate``, ``conf_low``,
        ``conf_high``): a divergence names those whose interval covers 0.
    not_testable : str, optional
        What it would take to test the conclusion: the verdict is then "not
        testable with these data: <not_testable>".
    not_estimated : str
        Why nothing was estimated (used when ``estimate`` is NaN).
    """
    if claim not in CLAIMS:
        raise ValueError(f"claim must be one of {CLAIMS}, got {claim!r}")
    if not_testable:
        return Verdict(
            "not testable with these data", f"not testable with these data: {not_testable}"
        )
    if not np.isfinite(estimate):
        why = f"not estimated ({not_estimated})" if not_estimated else "not estimated"
        return Verdict("cannot tell", f"cannot tell: {why}")
    excl = _excludes_zero(conf_low, conf_high)
    significant = bool(excl) or (np.isfinite(p_value) and p_value < alpha)
    iv = f"{_n(estimate)} {_interval(conf_low, conf_high)}"
    if np.isfinite(p_value):
        iv += ", p < 0.001" if p_value < 0.001 else f", p = {p_value:.2g}"
    flags = _flags(estimate, conf_low, conf_high, pretrend_p=pretrend_p, within_state=within_state,
                   placebo_share=placebo_share, alpha=alpha, significant=significant,
                   pretrend_level=pretrend_level)  # fmt: skip
    if flags:
        return Verdict("cannot tell", f"cannot tell: estimate {iv}, but " + "; ".join(flags))
    powered = np.isfinite(mde) and mde <= relevant
    power_text = (f"MDE {_n(mde)} above the relevant effect {_n(relevant)} (power below 80% for it)"
                  if np.isfinite(mde) else "MDE unknown (power not known)")  # fmt: skip
    if claim == "none":
        if not significant:
            if powered:
                return Verdict("reproduced", f"reproduced: no effect, estimate {iv}; MDE {_n(mde)} "
                                             f"<= relevant effect {_n(relevant)}")  # fmt: skip
            return Verdict("cannot tell", f"cannot tell: no effect found ({iv}) but {power_text}")
        return Verdict(
            "diverges", f"diverges: estimate {iv} against no effect; " + _drivers(variants)
        )
    sign = np.sign(estimate)
    wrong_sign = (claim == "negative" and sign > 0) or (claim == "positive" and sign < 0)
    if significant and not wrong_sign:
        return Verdict("reproduced", f"reproduced: an effect, estimate {iv}")
    if significant:
        return Verdict("diverges", f"diverges: estimate {iv} has the opposite sign to the claimed "
                                   f"{claim} effect; " + _drivers(variants))  # fmt: skip
    if powered:
        return Verdict("diverges", f"diverges: no effect found ({iv}) where the paper reports one, with "
                                   f"MDE {_n(mde)} <= relevant effect {_n(relevant)}")  # fmt: skip
    return Verdict("cannot tell", f"cannot tell: no effect found ({iv}) but {power_text}")


def _drivers(variants: Iterable[Mapping[str, object]]) -> str:
    """The robustness variants under which the interval covers 0 (what the divergence rests on)."""
    rows = [v for v in variants if np.isfinite(float(v.get("estimate", math.nan)))]  # type: ignore[arg-type]
    covers = [v for v in rows
              if _excludes_zero(float(v["conf_low"]), float(v["conf_high"])) is False]  # type: ignore[arg-type]  # fmt: skip
    if not rows:
        return "no robustness variant given"
    if not covers:
        return f"the interval excludes 0 in all {len(rows)} robustness variants given"
    shown = "; ".join(f"{v['variant']}: {_n(float(v['estimate']))} "  # type: ignore[arg-type]
                      f"{_interval(float(v['conf_low']), float(v['conf_high']))}"  # type: ignore[arg-type]
                      for v in covers[:3])  # fmt: skip
    more = f" (and {len(covers) - 3} more)" if len(covers) > 3 else ""
    return f"it rests on choices: the interval covers 0 with {shown}{more}"
