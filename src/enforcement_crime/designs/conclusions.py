"""The papers' conclusions, in the words of the research brief, and the "study vs rebuild" table.

Every conclusion below is quoted or paraphrased from ``../shared/docs/STUDIES.md``
(the section is named beside each entry); no number is attributed to a paper
unless the brief quotes it. :func:`study_vs_rebuild` puts our estimate,
interval and minimum detectable effect beside the paper's words.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from enforcement_crime.designs.calls import headline
from enforcement_crime.designs.verdicts import mde_sentence

__all__ = [
    "PAPER_CONCLUSIONS",
    "Conclusion",
    "CONCLUSIONS",
    "NC_AGENCY_OPTIONS",
    "ARREST_OUTCOMES",
    "ARRESTS_PANELS",
    "SC_ARRESTS_OPTIONS",
    "study_vs_rebuild",
]

# Only the words of ../shared/docs/STUDIES.md; no number is attributed to a paper.
PAPER_CONCLUSIONS: dict[str, dict[str, str]] = {
    "287g_nc": {  # STUDIES.md section 1
        "paper": "Forrester & Nowrasteh (2018), Cato Institute WP 52 (rev. CGO WP 2020.004)",
        "conclusion": "no causal relationship between 287(g) and crime rates or clearances; a significant "
        "relation between activation and assaults on officers (abstract). The coefficient tables are not "
        "available to us.",
    },
    "287g_national": {  # STUDIES.md sections 1 and 4 (no national study is summarised)
        "paper": "(no national 287(g) county study is summarised in STUDIES.md)",
        "conclusion": "STUDIES.md quotes no finding for a national 287(g) county design; this notebook extends "
        "the North Carolina design (Forrester & Nowrasteh 2018: no causal relationship between 287(g) and crime "
        "rates) to every county and splits jail and task-force models.",
    },
    "sc_county": {  # STUDIES.md section 2
        "paper": "Miles & Cox (2014), Journal of Law and Economics 57(4):937-973",
        "conclusion": '"no observable effect on the overall crime rate"; no meaningful reductions in index or '
        "violent crime (abstract). Reported but unverified: the results are sensitive to county-specific "
        "linear trends. Arrests (a secondary outcome here, panel 'icpsr_arrests'): the brief quotes no arrest "
        "result of Miles & Cox; the benchmark is Treyger et al.'s city finding of no discernible effect on "
        "arrests.",
    },
    "sc_city": {  # STUDIES.md section 3
        "paper": "Treyger, Chalfin & Loeffler (2014), Criminology & Public Policy 13(2):285-322",
        "conclusion": 'no discernible effect on crime or arrests (the "medium and large municipalities" '
        "result).",
    },
}


@dataclass(frozen=True)
class Conclusion:
    """One conclusion of a paper, as the verdict table reads it (:mod:`.verdicts`).

    ``claim`` is one of :data:`~.verdicts.CLAIMS` ("none": no effect; "any":
    an effect of a sign the brief does not give). ``outcomes`` are the sample
    columns that test it; when none of them is in the data the verdict is
    "not testable with these data: ``needs``".
    """

    name: str
    claim: str
    outcomes: tuple[str, ...]
    words: str
    needs: str = ""


_CRIME = ("index_rate", "violent_rate", "property_rate")

#: how the NC clearance and assault conclusions become testable: the NC design on the agency panel
#: (agencies, 2000-2016 so that the 2006-2009 agreements have six or more pre-years; the
#: three outcome families; no county case studies; the agency sample rules of the design)
NC_AGENCY_OPTIONS: dict[str, object] = {
    "unit": "ori",
    "unit_name": "agencies",
    "weights": "population_served",
    "state_prefix": None,
    "years": (2000, 2016),
    "event_window": (-6, 6),
    "outcomes": (
        "violent_rate",
        "property_rate",
        "index_rate",
        "clearance_rate_violent",
        "clearance_rate_property",
        "assaults_per_100_officers",
        "assaults_per_100k",
    ),
    "case_studies": (),
    "agency_rules": True,
}
_NC_AGENCY_HOOK = (
    "open the NC design on it, designs.get('287g_nc', **conclusions.NC_AGENCY_OPTIONS)"
    ".open('nc_agency') (agencies serving no population, e.g. state agencies, have no "
    "positive weight and must be left out for the weighted estimators)"
)

#: the arrest outcomes of the SC county design on the arrests panel (rates per 100,000 population,
#: panel 'icpsr_arrests': Part I violent, Part I property, drug, all arrests)
ARREST_OUTCOMES: tuple[str, ...] = (
    "arrests_violent_rate",
    "arrests_property_rate",
    "arrests_drug_rate",
    "arrests_total_rate",
)
#: panels of arrests, not offenses: the SC county design runs on them with :data:`SC_ARRESTS_OPTIONS`
ARRESTS_PANELS: frozenset[str] = frozenset({"icpsr_arrests"})
#: how the SC county design runs on the arrests panel: its arrest outcomes, and the window cut at
#: 2012, the last year of the ICPSR arrests files (2009 and 2011 have no file: no rows, nothing imputed)
SC_ARRESTS_OPTIONS: dict[str, object] = {"outcomes": ARREST_OUTCOMES, "years": (2004, 2012)}
_SC_ARRESTS_HOOK = (
    "open the SC county design on it, designs.get('sc_county', **conclusions.SC_ARRESTS_OPTIONS)"
    ".open('icpsr_arrests')"
)

#: design key -> its papers' conclusions, one verdict-table row per conclusion and outcome
#: (the words are those of ``PAPER_CONCLUSIONS``; the outcomes are the columns that test them)
CONCLUSIONS: dict[str, tuple[Conclusion, ...]] = {
    "287g_nc": (
        Conclusion(
            "NC crime", "none", _CRIME, "no causal relationship between 287(g) and crime rates"
        ),
        Conclusion(
            "NC clearances",
            "none",
            ("clearance_rate_violent", "clearance_rate_property"),
            "no causal relationship between 287(g) and clearances",
            needs="clearance rates per unit-year: the county panels carry none; panel 'nc_agency' "
            f"(Kaplan NC agency files) has them per agency: {_NC_AGENCY_HOOK}",
        ),
        Conclusion(
            "NC assaults on officers",
            "any",
            ("assaults_per_100k", "assaults_per_100_officers"),
            "a significant relation between activation and assaults on officers",
            needs="assaults on officers per unit-year (LEOKA): the county panels carry none; panel "
            f"'nc_agency' has them per agency: {_NC_AGENCY_HOOK}",
        ),
    ),
    "287g_national": (
        Conclusion(
            "national extension",
            "none",
            _CRIME,
            "no national study; benchmark: the NC finding of no causal relationship with crime rates",
        ),
    ),
    "sc_county": (
        Conclusion(
            "SC county crime",
            "none",
            _CRIME,
            '"no observable effect on the overall crime rate"',
            needs="offense rates per county-year: panel 'icpsr_arrests' has arrests, not offenses "
            "known; run the design on a crime panel (e.g. 'cius_county')",
        ),
        Conclusion(
            "SC county arrests (benchmark: Treyger et al., cities)",
            "none",
            ARREST_OUTCOMES,
            "no discernible effect on arrests (Treyger et al. 2014, medium and large cities; Miles & "
            "Cox report no arrest result): the city finding read on county arrests",
            needs="arrests per county-year: the crime panels carry none; panel 'icpsr_arrests' "
            f"(ICPSR county arrests) has them: {_SC_ARRESTS_HOOK}",
        ),
    ),
    "sc_city": (
        Conclusion("SC city crime", "none", _CRIME, "no discernible effect on crime"),
        Conclusion(
            "SC city arrests",
            "none",
            ("arrest_rate",),
            "no discernible effect on arrests",
            needs="city (agency) arrest counts per year joined to the city panel; panel 'city_sc' has "
            "no arrests, and the ICPSR files read here (sources.ucr_icpsr_arrests) are county totals: "
            "the county analogue is the sc_county design on panel 'icpsr_arrests'",
        ),
    ),
}


def study_vs_rebuild(
    study: str,
    rows: Iterable[Mapping[str, object]],
    *,
    data_label: str,
    differences: Iterable[str],
) -> pd.DataFrame:
    """The "study vs rebuild" table: the paper's words beside our estimates.

    Parameters
    ----------
    study : str
        A key of :data:`PAPER_CONCLUSIONS`.
    rows : iterable of mappings
        One per estimate: ``outcome``, ``specification`` and either a
        ``result`` (:class:`EstimationResult` or :class:`NotEstimable`, with an
        optional ``term``) or ``estimate``/``conf_low``/``conf_high``; plus
        ``mde`` (float, NaN when unknown) and optionally ``mde_method``.
    data_label : str
        Which data ran (e.g. "SYNTHETIC DATA (seed ...)" or the panel name).
    differences : iterable of str
        Design differences that remain between the paper and the rebuild.

    Returns
    -------
    pandas.DataFrame
        Columns ``paper``, ``paper_conclusion``, ``outcome``, ``specification``,
        ``estimator``, ``term``, ``estimate``, ``std_error``, ``conf_low``,
        ``conf_high``, ``p_value`` (of "no effect", where the estimator
        computes one: wild cluster bootstrap, randomization inference; else a
        row's own ``p_value``, else NaN), ``mde``, ``mde_method``,
        ``detectable`` (the estimate, its interval and the MDE compared in words:
        :func:`~.verdicts.mde_sentence`), ``data``,
        ``design_differences``, ``note``.
    """
    if study not in PAPER_CONCLUSIONS:
        raise KeyError(f"study must be one of {sorted(PAPER_CONCLUSIONS)}, got {study!r}")
    paper = PAPER_CONCLUSIONS[study]
    diffs = "; ".join(differences)
    out = []
    for r in rows:
        if "result" in r:
            h = headline(r["result"], r.get("term"))  # type: ignore[arg-type]
        else:
            h = {
                k: float(r.get(k, math.nan))
                for k in ("estimate", "std_error", "conf_low", "conf_high")
            }
            h.update(term=r.get("term"), estimator=r.get("estimator", ""), note=r.get("note", ""))
        mde = float(r.get("mde", math.nan))
        own = getattr(r.get("result"), "p_value", None)
        p_value = float(r.get("p_value", math.nan if own is None else own))
        est = h["estimate"]
        verdict = mde_sentence(est, h["conf_low"], h["conf_high"], mde)
        out.append(
            {
                "paper": paper["paper"],
                "paper_conclusion": paper["conclusion"],
                "outcome": r["outcome"],
                "specification": r["specification"],
                "estimator": h["estimator"],
                "term": h["term"],
                "estimate": est,
                "std_error": h["std_error"],
                "conf_low": h["conf_low"],
                "conf_high": h["conf_high"],
                "p_value": p_value,
                "mde": mde,
                "mde_method": r.get("mde_method", ""),
                "detectable": verdict,
                "data": data_label,
                "design_differences": diffs,
                "note": h.get("note", ""),
            }
        )
    return pd.DataFrame(out)
