"""Comparisons of neighbouring counties: contiguous county pairs and spillovers to neighbours.

Both use the Census county adjacency of 2010
(:func:`enforcement_crime.facts.county_adjacency`, derived from
:mod:`enforcement_crime.sources.census_adjacency`). The built-in synthetic
panel's counties are the real 2010 counties (:mod:`enforcement_crime.synthetic`),
so the real adjacency applies to it as to the real panels: only the crimes
and programme dates of that panel are drawn, never its geography; its numbers
carry the panel's SYNTHETIC DATA label like every other output. FIPS codes
created after 2010 are mapped to their 2010 codes
(:data:`~enforcement_crime.sources.census_adjacency.FIPS_TO_2010`); a county
of a sample in no pair of the table (an island, or a code unknown in 2010)
is in no comparison of neighbours and is counted.

* :func:`pair_variant`: the within-state robustness row "contiguous county
  pairs" of a county design whose units are counties in several states
  (Dube, Lester & Reich 2010): adjacent counties whose adoption years differ
  are stacked, with county and pair-by-year fixed effects
  (:func:`~enforcement_crime.estimators.contiguous_pairs.contiguous_pairs`);
  standard errors two-way by state and border segment (DLR's choice), the
  county- and pair-clustered ones in the estimator's notes.
* :func:`neighbour_exposure` and :func:`spillover_table`: for counties (or
  agencies) whose own county has no active agreement, whether a neighbouring
  county of the sample has one in that year; the TWFE of the outcome on that
  exposure, among the never-covered units only, says whether untreated
  neighbours move.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable

import pandas as pd

from enforcement_crime.designs.base import NotEstimable, Spec, StudySample, headline, run
from enforcement_crime.estimators.contiguous_pairs import SEGMENT, contiguous_pairs
from enforcement_crime.sources.census_adjacency import FIPS_TO_2010

__all__ = [
    "PAIR_LABEL",
    "SPILLOVER_COLUMNS",
    "adjacent_pairs",
    "pair_spec",
    "pair_variant",
    "neighbour_exposure",
    "spillover_table",
]

#: the robustness row's name (the number of pairs is appended)
PAIR_LABEL = "contiguous county pairs"


def _to_2010(fips: pd.Series) -> pd.Series:
    f = fips.astype("string").str.zfill(5)
    return f.replace(FIPS_TO_2010)


@functools.lru_cache(maxsize=1)
def _adjacency() -> tuple[pd.DataFrame, frozenset[str]]:
    """The committed adjacency table (read once) and the set of its counties."""
    from enforcement_crime.facts import county_adjacency

    table = county_adjacency()
    return table, frozenset(table["fips_a"]) | frozenset(table["fips_b"])


def adjacent_pairs(units: Iterable[str]) -> tuple[pd.DataFrame, list[str]]:
    """The adjacent pairs among ``units`` (county FIPS): ``unit_a``, ``unit_b`` in the units' own codes.

    Returns the pairs and the units in no pair of the table (island counties
    such as Hawaii's, or codes the 2010 file does not have): they are in no
    comparison of neighbours, and are listed so that callers can count them.
    """
    units = pd.Series(sorted({str(u) for u in units}), dtype="string")
    code = _to_2010(units)
    back = dict(zip(code.tolist(), units.tolist(), strict=True))
    table, known = _adjacency()
    unknown = sorted(u for u, c in zip(units, code, strict=True) if c not in known)
    keep = table["fips_a"].isin(back) & table["fips_b"].isin(back)
    out = pd.DataFrame({"unit_a": table.loc[keep, "fips_a"].map(back).to_numpy(),
                        "unit_b": table.loc[keep, "fips_b"].map(back).to_numpy()})  # fmt: skip
    return out.astype("string"), unknown


def _kept_pairs(sample: StudySample, pairs: pd.DataFrame) -> int:
    """Pairs whose two counties have different adoption years (the estimator's rule)."""
    d = sample.design
    cohort = sample.data.groupby(d.unit)[d.treatment.cohort].first().astype("Float64").fillna(0)
    cohort.index = cohort.index.astype(str)
    ca = pairs["unit_a"].map(cohort).to_numpy()
    cb = pairs["unit_b"].map(cohort).to_numpy()
    return int((ca != cb).sum())


def pair_spec(sample: StudySample) -> tuple[Spec, int, list[str]] | None:
    """The contiguous-pair specification on ``sample``, its number of kept pairs and the unmatched units.

    None when the design's units are not counties (``fips``), the sample has
    no ``state`` column, or no adjacent pair with different adoption years.
    """
    d = sample.design
    if d.unit != "fips" or "state" not in sample.data.columns:
        return None
    pairs, unknown = adjacent_pairs(sample.data[d.unit].unique())
    n = _kept_pairs(sample, pairs) if len(pairs) else 0
    if n == 0:
        return None
    label = (f"{PAIR_LABEL} ({n:,} pairs): county + pair-by-year FE, "
             f"clusters state and border segment")  # fmt: skip
    spec = Spec(label, contiguous_pairs,
                {"pairs": pairs, "cluster": ("state", SEGMENT), "state": "state"})  # fmt: skip
    return spec, n, unknown


def pair_variant(sample: StudySample) -> list[tuple[str, Spec, pd.DataFrame | None]]:
    """The "contiguous county pairs" robustness row of a county design: ``[(label, spec, None)]`` or ``[]``."""
    made = pair_spec(sample)
    if made is None:
        return []
    spec, _, _ = made
    return [(spec.label, spec, None)]


# --------------------------------------------------------------------------------------
# spillovers to neighbouring counties
# --------------------------------------------------------------------------------------


def neighbour_exposure(data: pd.DataFrame, pairs: pd.DataFrame, *, county: str = "fips",
                       time: str = "year", treated: str, share: str | None = None) -> pd.DataFrame:  # fmt: skip
    """Whether each county's own programme, and a neighbour's, is active in each period.

    A county is *covered* in a period when any row of it (any unit located
    in it: the county itself, or its agencies) has ``treated`` = 1, and
    *partly covered* when none has but some row has ``share`` strictly
    between 0 and 1 (a partly treated adoption or end year). Neighbours are
    the counties adjacent to it in ``pairs`` (``unit_a``, ``unit_b``) that
    are in ``data``: a neighbour outside the data counts as not covered.

    Returns
    -------
    pandas.DataFrame
        One row per (``county``, ``time``) of ``data``: ``covered``
        (bool), ``ever_covered`` (covered in some period), ``neighbours``
        (adjacent counties in the data), ``neighbours_covered`` (how many are
        covered), ``exposed`` (1 when at least one is, else 0) and
        ``exposure_partial`` (no neighbour covered but one partly covered:
        the period is neither exposed nor unexposed).
    """
    cols = [county, time, treated, *([share] if share else [])]
    df = data[cols].copy()
    df[county] = df[county].astype(str)
    g = df.groupby([county, time], sort=True)
    out = pd.DataFrame({"covered": g[treated].max().astype(float) > 0})
    if share:
        s = g[share].max().astype(float)
        out["partly_covered"] = ~out["covered"] & (s > 0) & (s < 1)
    else:
        out["partly_covered"] = False
    out = out.reset_index()
    out["ever_covered"] = out.groupby(county)["covered"].transform("max").astype(bool)
    both = pd.concat([pairs.rename(columns={"unit_a": "c", "unit_b": "n"}),
                      pairs.rename(columns={"unit_b": "c", "unit_a": "n"})], ignore_index=True)  # fmt: skip
    both = both.astype(str)
    present = set(out[county])
    both = both[both["c"].isin(present) & both["n"].isin(present)]
    n_nb = both.groupby("c").size()
    status = out.rename(columns={county: "n"})[["n", time, "covered", "partly_covered"]]
    links = both.merge(status, on="n")
    agg = links.groupby(["c", time]).agg(neighbours_covered=("covered", "sum"),
                                         neighbours_partly=("partly_covered", "sum"))  # fmt: skip
    agg.index = agg.index.set_names([county, time])
    out = out.merge(agg.reset_index(), on=[county, time], how="left")
    out["neighbours"] = out[county].map(n_nb).fillna(0).astype(int)
    out["neighbours_covered"] = out["neighbours_covered"].fillna(0).astype(int)
    partly = out["neighbours_partly"].fillna(0).astype(int) > 0
    out["exposed"] = (out["neighbours_covered"] > 0).astype(int)
    out["exposure_partial"] = (out["exposed"] == 0) & partly
    return out[[county, time, "covered", "partly_covered", "ever_covered", "neighbours",
                "neighbours_covered", "exposed", "exposure_partial"]]  # fmt: skip


SPILLOVER_COLUMNS = ["outcome", "scale", "specification", "estimate", "std_error", "conf_low", "conf_high",
                     "p_value", "n_obs", "n_units", "n_clusters", "units_exposed", "unit_years_exposed",
                     "rows_partly_exposed_left_out", "units_without_adjacency", "note"]  # fmt: skip


def spillover_table(sample: StudySample, *, seed: int = 0) -> pd.DataFrame:
    """Spillovers to neighbouring counties: does an untreated county move when a neighbour's agreement is active?

    Sample: the units whose county is never covered in the window
    (:func:`neighbour_exposure`: no unit of the county ever treated), each
    unit-year with its exposure (a neighbouring county of the sample has an
    active agreement under the design's exposure rule). Unit-years whose only
    exposure is a neighbour's partly treated adoption or end year are left
    out and counted; neighbours outside the sample (another state) are not
    coded. For each outcome, on the design's headline scale: the TWFE of the
    outcome on the exposure (unit and year effects, the design's weights,
    clusters by county), analytic CR1 interval, and the wild cluster bootstrap
    p-value and interval of the same coefficient (the design's ``n_boot``
    draws). One row per outcome and method, :data:`SPILLOVER_COLUMNS`.
    """
    from enforcement_crime.estimators import twfe, wild_cluster_bootstrap

    d = sample.design
    df = sample.data
    if "fips" not in df.columns:
        return pd.DataFrame([{"note": "no county (fips) column: exposure to neighbours not coded"}],
                            columns=SPILLOVER_COLUMNS)  # fmt: skip
    pairs, unknown = adjacent_pairs(df["fips"].unique())
    t = d.treatment
    exp = neighbour_exposure(
        df, pairs, county="fips", time=d.time, treated=t.treated, share=t.share
    )
    ys = [d.column(o) for o in d.outcomes]
    cols = list(dict.fromkeys([*ys, d.unit, d.time, "fips", *([d.weights] if d.weights else [])]))
    data = df[cols].assign(fips=df["fips"].astype(str))
    data = data.merge(exp[["fips", d.time, "exposed", "exposure_partial", "ever_covered"]],
                      on=["fips", d.time], how="left", validate="many_to_one")  # fmt: skip
    never = data[~data["ever_covered"].to_numpy(dtype=bool)]
    partial = never["exposure_partial"].to_numpy(dtype=bool)
    est = never[~partial].rename(columns={"exposed": "_exposed"})
    n_boot = getattr(d, "n_boot", 999)
    rows = []
    units_exposed = int(est.loc[est["_exposed"] == 1, d.unit].nunique())
    for outcome in d.outcomes:
        y = d.column(outcome)
        common = {"weights": d.weights, "cluster": "fips", "treatment": "_exposed"}
        frame = est[list(dict.fromkeys([y, d.unit, d.time, "fips", "_exposed",
                                        *([d.weights] if d.weights else [])]))]  # fmt: skip
        for name, fn, kw in (("TWFE on neighbour exposure, CR1 by county", twfe, {}),
                             (f"same, wild cluster bootstrap by county ({n_boot} draws)", wild_cluster_bootstrap,
                              {"n_boot": n_boot, "seed": seed})):  # fmt: skip
            res = run(fn, frame, y, d.unit, d.time, **common, **kw, tolerate=sample.tolerate)
            h = headline(res)
            p = (
                math.nan
                if isinstance(res, NotEstimable) or res.p_value is None
                else float(res.p_value)
            )
            rows.append({"outcome": outcome, "scale": d.transform, "specification": name,
                         "estimate": h["estimate"], "std_error": h["std_error"], "conf_low": h["conf_low"],
                         "conf_high": h["conf_high"], "p_value": p,
                         "n_obs": None if isinstance(res, NotEstimable) else res.n_obs,
                         "n_units": int(frame[d.unit].nunique()),
                         "n_clusters": None if isinstance(res, NotEstimable) else res.n_clusters,
                         "units_exposed": units_exposed,
                         "unit_years_exposed": int((frame["_exposed"] == 1).sum()),
                         "rows_partly_exposed_left_out": int(partial.sum()),
                         "units_without_adjacency": len(unknown),
                         "note": h["note"] or _scope_note(d, sample)})  # fmt: skip
    out = pd.DataFrame(rows, columns=SPILLOVER_COLUMNS)
    for c in ("n_obs", "n_clusters"):
        out[c] = out[c].astype("Int64")
    return out


def _scope_note(design, sample: StudySample) -> str:
    states = sorted(sample.data["fips"].astype(str).str[:2].unique())
    one = len(states) == 1
    return (
        "units in counties never covered in the window; exposure = a neighbouring county "
        + ("of the same state " if one else "in the sample ")
        + "has an active agreement (first full year / share rule of the design); neighbours "
        + ("in other states are not coded" if one else "outside the sample are not coded")
    )
