"""Human labels for the code names that reach figures and tables.

One map, :data:`LABELS`, from a code name (a column, outcome, estimator,
exposure rule or sample choice, e.g. ``"first_full_year"``, ``"violent_rate"``,
``"callaway_santanna"``) to the words a reader sees. Every figure function of
:mod:`enforcement_crime.plots` passes its titles, axis labels, legends and
tick labels through :func:`label` (and the saved figure through
:func:`humanize_figure`); the LaTeX of :func:`enforcement_crime.reports.save_table`
and :func:`enforcement_crime.reports.paper_table` uses the same words. CSV
files keep the code names, so a program can read them back.

Rules of :func:`label`: an exact entry of :data:`LABELS` wins; ``log_<x>``
reads "<label of x>, log(1 + rate)"; ``<offense>_rate`` of an offense
without an entry reads "<offense> rate"; any other identifier with
underscores has them replaced by spaces (so no label ever shows an
underscore). :func:`humanize` applies the same to every identifier inside a
longer text (``"rule: first_full_year"`` -> ``"rule: first full year treated"``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

__all__ = ["LABELS", "CODE_NAME", "label", "humanize", "is_code_name", "humanize_figure"]

#: An underscore-joined identifier (``violent_rate``, ``coverage_ge_90``): a code name.
#: Parts of paths and file names (``reports/tab_x.csv``) are left alone.
CODE_NAME = re.compile(r"(?<![\w\\/.])[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+(?![\w/]|\.\w)")

_OFFENSES = {
    "murder": "Murder",
    "rape": "Rape",
    "robbery": "Robbery",
    "aggravated_assault": "Aggravated assault",
    "burglary": "Burglary",
    "larceny": "Larceny-theft",
    "motor_vehicle_theft": "Motor vehicle theft",
    "violent": "Violent crime",
    "property": "Property crime",
    "index": "Index crime",
}

#: Code name -> label shown on figures and in LaTeX tables.
LABELS: dict[str, str] = {
    # outcomes: counts and rates per 100,000
    **_OFFENSES,
    **{f"{k}_rate": f"{v} rate" for k, v in _OFFENSES.items()},
    # exposure rules and treatment coding
    "first_full_year": "First full year treated",
    "share_of_year": "Share of year treated",
    "partial_year": "Partly treated adoption year",
    "first_treated_year": "First treated year",
    "sc_activation_date": "Secure Communities activation",
    "g287_start": "287(g) agreement start",
    "g287_end": "287(g) agreement end",
    "g287_model": "287(g) model",
    "not_yet": "Not-yet-treated controls",
    "not_yet_treated": "Not-yet-treated controls",
    "never_treated": "Never-treated controls",
    # sample choices
    "coverage_ge_90": "Reporting coverage \u2265 90%",
    "coverage_ge_50": "Reporting coverage \u2265 50%",
    "coverage_ge_75": "Reporting coverage \u2265 75%",
    "months_reported": "Months reported",
    "leave_one_out": "Leave one out",
    # estimators
    "twfe": "TWFE",
    "event_study": "TWFE event study",
    "callaway_santanna": "Callaway\u2013Sant'Anna",
    "cs": "Callaway\u2013Sant'Anna",
    "sun_abraham": "Sun\u2013Abraham",
    "imputation": "Imputation (Borusyak\u2013Jaravel\u2013Spiess)",
    "dcdh": "de Chaisemartin\u2013D'Haultf\u0153uille",
    "synthetic_control": "Synthetic control",
    "synthetic_did": "Synthetic DiD",
    "ppml": "Poisson (PPML)",
    "bacon_decomposition": "Goodman-Bacon decomposition",
    "honest_did": "HonestDiD",
    "wild_bootstrap": "Wild cluster bootstrap",
    # result columns and terms
    "treated": "Treated",
    "post": "Post",
    "term": "Term",
    "estimate": "Estimate",
    "std_error": "Std. error",
    "conf_low": "CI low",
    "conf_high": "CI high",
    "p_value": "p-value",
    "n_obs": "Observations",
    "n_clusters": "Clusters",
    "event_time": "Event time",
    "estimator": "Estimator",
    "estimator_label": "Estimator",
    "outcome": "Outcome",
    "specification": "Specification",
    "transform": "Scale",
    "att_mean_post_gap": "Mean post-period gap",
    "rmspe_pre": "Pre-period RMSPE",
    "rmspe_post": "Post-period RMSPE",
    "post_pre_ratio": "Post/pre RMSPE ratio",
    "placebo_p_value": "Placebo p-value",
    "donors_with_weight": "Donors with weight",
    "donors_left_out_incomplete": "Donors left out (incomplete)",
    "twfe_unweighted": "TWFE (unweighted)",
    "is_synthetic": "Synthetic data",
    # panel columns
    "population": "Population",
    "fips": "County",
    "city_id": "City",
    "state_fips": "State",
    "county_name": "County",
    "year": "Year",
    "coverage": "Reporting coverage (%)",
    "hispanic_share": "Hispanic share",
    "border_state": "Border state",
    # scales (axis labels of effects)
    "log": "log(1 + rate)",
    "level": "Rate per 100,000",
    "log points (log(1 + rate))": "Effect (log points)",
}


def label(name: Any) -> str:
    """The human label of a code name (see the module docstring for the rules)."""
    text = str(name)
    if text in LABELS:
        return LABELS[text]
    if text.startswith("log_") and len(text) > 4:
        return f"{label(text[4:])}, log(1 + rate)"
    if text.endswith("_rate") and text[:-5] in _OFFENSES:
        return f"{_OFFENSES[text[:-5]]} rate"
    if CODE_NAME.fullmatch(text):
        return text.replace("_", " ")
    return humanize(text)


def _sub(match: re.Match) -> str:
    word = match.group(0)
    if word in LABELS or word.startswith("log_") or word.endswith("_rate"):
        return label(word)
    return word.replace("_", " ")


def humanize(text: Any) -> str:
    """``text`` with every code name in it replaced by its label (exact entries first)."""
    s = str(text)
    if s in LABELS:
        return LABELS[s]
    s = s.replace("(log points (log(1 + rate)))", "(log points)")
    return CODE_NAME.sub(_sub, s)


def is_code_name(text: Any) -> bool:
    """Whether ``text`` contains an underscore-joined identifier (a raw code name).

    LaTeX-escaped underscores (``\\_``) count too, as do the space-joined
    forms of the code names that are not words (``"coverage ge 90"``,
    ``"callaway santanna"``, ``"std error"``), which read like code just the same.
    """
    s = str(text).replace("\\_", "_")
    if CODE_NAME.search(s):
        return True
    return s.strip().lower() in _SPACED


def _texts_of(fig) -> Iterable[Any]:
    yield from fig.texts
    for getter in ("_suptitle", "_supxlabel", "_supylabel"):
        t = getattr(fig, getter, None)
        if t is not None:
            yield t
    for leg in fig.legends:
        yield from leg.get_texts()
        yield leg.get_title()
    for ax in fig.axes:
        yield from ax.texts
        yield ax.title
        yield ax._left_title  # noqa: SLF001  (matplotlib keeps the three titles apart)
        yield ax._right_title  # noqa: SLF001
        yield ax.xaxis.label
        yield ax.yaxis.label
        leg = ax.get_legend()
        if leg is not None:
            yield from leg.get_texts()
            yield leg.get_title()


def humanize_figure(fig) -> None:
    """Replace code names in every text of ``fig`` (titles, labels, legends, notes, ticks) in place.

    Tick labels fixed by a :class:`matplotlib.ticker.FixedFormatter`
    (categorical ticks) are relabelled through the formatter, so they stay
    relabelled when the figure is drawn again; numeric tick labels carry no
    names and are left alone.
    """
    import matplotlib.ticker as mticker

    for t in _texts_of(fig):
        old = t.get_text()
        if old in _PHRASES:
            t.set_text(_PHRASES[old])
        elif "(log points (log(1 + rate)))" in old:
            t.set_text(humanize(old))
        elif old and (CODE_NAME.search(old) or old.strip().lower() in _SPACED):
            t.set_text(humanize(_SPACED.get(old.strip().lower(), old)))
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            fmt = axis.get_major_formatter()
            if isinstance(fmt, mticker.FixedFormatter):
                fmt.seq = [humanize(_SPACED.get(str(s).strip().lower(), s)) for s in fmt.seq]
            for tick in axis.get_major_ticks():
                old = tick.label1.get_text()
                if old and (CODE_NAME.search(old) or old.strip().lower() in _SPACED):
                    tick.label1.set_text(humanize(_SPACED.get(old.strip().lower(), old)))


#: Code names whose space-joined form still reads like code ("coverage ge 90" -> key).
_SPACED = {
    k.replace("_", " "): k
    for k in (
        "first_full_year", "share_of_year", "coverage_ge_90", "coverage_ge_50", "coverage_ge_75",
        "callaway_santanna", "sun_abraham", "std_error", "conf_low", "conf_high", "n_obs",
        "n_clusters", "p_value", "index_rate", "violent_rate", "property_rate", "rmspe_pre",
        "rmspe_post", "post_pre_ratio", "att_mean_post_gap", "honest_did",
        "g287_start", "g287_end", "sc_activation_date",
    )
}  # fmt: skip
#: Labels that are phrases (e.g. the log scale's axis label), replaced when a text is exactly one.
_PHRASES = {k: v for k, v in LABELS.items() if " " in k}
