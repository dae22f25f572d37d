"""Why two sources differ (composition, unmatched agencies, flags), the largest differences, the figure."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from enforcement_crime import config
from enforcement_crime.validation.core import (
    WITHIN,
    MissingRealData,
    _agreement,
    _require,
    agreement_summary,
)

# --------------------------------------------------------------------------------------
# why counties differ
# --------------------------------------------------------------------------------------


def cius_composition(panel: pd.DataFrame) -> pd.DataFrame:
    """What each CIUS county-year total is made of, from the ``cius_county`` panel's columns.

    Returns
    -------
    pandas.DataFrame
        ``fips, year, cius_agencies`` (agency rows summed), ``cius_cities``
        (Table 8), ``cius_has_sheriff`` (a Table 10 sheriff or county police
        row), ``cius_other_rows`` (the other agency rows: Table 11 tribal and
        other agencies, or a second Table 10 row such as a county police beside
        the sheriff; = agencies - cities - one Table 10 row),
        ``cius_agencies_below_fullest`` (agency rows fewer than in the county's
        fullest year among the rows given: 0 in that year; a composition
        change when the frame spans several years) and ``population_census``
        (the Census county population of the panel).
    """
    _require(
        panel,
        ["fips", "year", "n_agencies", "n_cities", "has_county_agency", "population"],
        "cius_composition",
    )
    sheriff = panel["has_county_agency"].astype(bool)
    out = pd.DataFrame(
        {
            "fips": panel["fips"].astype("string"),
            "year": panel["year"].astype("int64"),
            "cius_agencies": panel["n_agencies"].astype("int64"),
            "cius_cities": panel["n_cities"].astype("int64"),
            "cius_has_sheriff": sheriff,
            "cius_other_rows": (
                panel["n_agencies"] - panel["n_cities"] - sheriff.astype(int)
            ).astype("int64"),
            "population_census": panel["population"].astype(float),
        }
    )
    fullest = out.groupby("fips")["cius_agencies"].transform("max")
    out["cius_agencies_below_fullest"] = (fullest - out["cius_agencies"]).astype("int64")
    bad = out["cius_other_rows"] < 0
    if bad.any():
        raise ValueError(
            "cius_composition: n_agencies < n_cities + sheriff row for "
            f"{out.loc[bad, ['fips', 'year']].head(3).to_dict(orient='records')}"
        )
    return out.reset_index(drop=True)


def cius_agency_rows(year: int, *, shared: bool | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One year's CIUS agency rows matched to counties, and the LEAIC crosswalk used.

    Parameters
    ----------
    year : int
        CIUS year (files whose name holds the 4-digit year, or starts with the
        2-digit year as the FBI's ``10tbl08.xls``).
    shared : bool, optional
        Read ``../shared/data`` (True) or ``data/raw`` (False); default
        ``data/raw`` when it holds CIUS and LEAIC files, else the shared copies.

    Returns
    -------
    agencies : pandas.DataFrame
        :func:`enforcement_crime.panels.matching.match_cius_agencies` output
        (the same matching the ``cius_county`` panel uses): one row per
        agency, ``fips`` missing when unmatched.
    crosswalk : pandas.DataFrame
        :func:`enforcement_crime.sources.leaic.load` output.
    """
    from enforcement_crime.panels.matching import match_cius_agencies
    from enforcement_crime.panels.rawfiles import files_for
    from enforcement_crime.sources import fbi_cius, leaic

    if shared is None:
        shared = not (files_for("fbi_cius") and files_for("leaic"))
    yy = f"{year % 100:02d}"
    files = [
        p
        for p in files_for("fbi_cius", shared=shared)
        if str(year) in p.stem or p.stem.startswith(f"{yy}tbl")
    ]
    lea = files_for("leaic", shared=shared)
    where = config.shared_data_dir() if shared else config.raw_dir()
    if not files or not lea:
        raise MissingRealData(
            f"cius_agency_rows({year}): CIUS tables of {year} or the LEAIC file not found under "
            f"{where} (CIUS: {len(files)} file(s), LEAIC: {len(lea)})"
        )
    tables = [t for t in (fbi_cius.load(p) for p in files) if (t["year"] == year).all()]
    kinds = {str(t["table"].iloc[0]) for t in tables}
    if not {"city", "county"} <= kinds:
        raise MissingRealData(
            f"cius_agency_rows({year}): need a city table (8) and a county table (10) of {year} "
            f"under {where}; found {sorted(kinds)} in {[p.name for p in files]}"
        )
    crosswalk = leaic.load(lea[0])
    agencies = match_cius_agencies(pd.concat(tables, ignore_index=True), crosswalk)
    return agencies, crosswalk


def agency_facts(
    agencies: pd.DataFrame, crosswalk: pd.DataFrame, population: pd.DataFrame
) -> pd.DataFrame:
    """County facts from the agency rows: multi-county cities and agencies CIUS does not list.

    Parameters
    ----------
    agencies : pandas.DataFrame
        :func:`cius_agency_rows` output (one year): ``table, agency,
        population, fips, ori``.
    crosswalk : pandas.DataFrame
        LEAIC: ``ori7, fips, agency_name, agency_type, population`` (U_TPOP,
        population served as UCR records it).
    population : pandas.DataFrame
        ``fips, population_census`` (e.g. :func:`cius_composition` output).

    Returns
    -------
    pandas.DataFrame
        One row per county of ``population``: ``largest_city``,
        ``largest_city_population`` (Table 8 population of the county's
        largest matched city), ``largest_city_share`` (/ Census county
        population; above 1 the city spans other counties and CIUS counts it
        wholly here, while ICPSR allocates it by population),
        ``unlisted_agencies``, ``unlisted_population`` and ``largest_unlisted``:
        LEAIC agencies of the county with an ORI and a positive population
        served that no CIUS row of the year matched (non-reporters or
        agencies the FBI did not publish; ICPSR imputes them; Table 10 rows
        carry no ORI, so a county's sheriff and county police count as
        listed when CIUS has a Table 10 row for the county), and
        ``unlisted_share`` = unlisted population / Census population.
    """
    _require(agencies, ["table", "agency", "population", "fips", "ori"], "agency_facts (agencies)")
    _require(
        crosswalk,
        ["ori7", "fips", "agency_name", "agency_type", "population"],
        "agency_facts (crosswalk)",
    )
    _require(population, ["fips", "population_census"], "agency_facts (population)")
    pop = population[["fips", "population_census"]].drop_duplicates("fips").copy()
    pop["fips"] = pop["fips"].astype("string")
    city = agencies[(agencies["table"] == "city") & agencies["fips"].notna()].copy()
    city["population"] = pd.to_numeric(city["population"]).astype(float)
    city = city.sort_values(["fips", "population"], ascending=[True, False])
    big = city.groupby("fips").head(1)[["fips", "agency", "population"]]
    big = big.rename(columns={"agency": "largest_city", "population": "largest_city_population"})
    big["fips"] = big["fips"].astype("string")
    listed = set(agencies["ori"].dropna().astype(str))
    with_t10 = set(agencies.loc[(agencies["table"] == "county"), "fips"].dropna().astype(str))
    cw = crosswalk[crosswalk["ori7"].notna() & crosswalk["fips"].notna()].copy()
    cw["population"] = pd.to_numeric(cw["population"]).astype(float)
    # Table 10 rows carry no ORI: a county's sheriff and county police count as listed when
    # CIUS has a Table 10 row for the county
    county_agency = cw["agency_type"].isin(["sheriff", "county police"]) & cw["fips"].astype(
        str
    ).isin(with_t10)
    cw = cw[(cw["population"] > 0) & ~cw["ori7"].astype(str).isin(listed) & ~county_agency]
    cw = cw.sort_values(["fips", "population"], ascending=[True, False])
    cw["fips"] = cw["fips"].astype("string")
    unl = cw.groupby("fips").agg(
        unlisted_agencies=("ori7", "size"),
        unlisted_population=("population", "sum"),
        largest_unlisted=("agency_name", "first"),
    )
    out = pop.merge(big, on="fips", how="left").merge(unl.reset_index(), on="fips", how="left")
    out["largest_city_share"] = out["largest_city_population"] / out["population_census"]
    out["unlisted_agencies"] = out["unlisted_agencies"].fillna(0).astype("int64")
    out["unlisted_population"] = out["unlisted_population"].fillna(0.0)
    out["unlisted_share"] = out["unlisted_population"] / out["population_census"]
    return out.drop(columns="population_census")


def unmatched_by_state(agencies: pd.DataFrame) -> pd.DataFrame:
    """CIUS agency rows matched to no county, per state: how many, whom, and the offenses they hold.

    Returns
    -------
    pandas.DataFrame
        ``state_fips, unmatched_agencies, unmatched_population`` (Table 8
        population; sheriffs have none), ``unmatched_violent``,
        ``unmatched_property`` (their published counts: offenses missing
        from every county total of the state) and ``largest_unmatched``.
        States without an unmatched agency have no row.
    """
    _require(
        agencies,
        ["state_fips", "agency", "population", "fips", "violent", "property"],
        "unmatched_by_state",
    )
    u = agencies[agencies["fips"].isna()].copy()
    u["population"] = pd.to_numeric(u["population"]).astype(float)
    u = u.sort_values(["state_fips", "population"], ascending=[True, False])
    out = u.groupby("state_fips").agg(
        unmatched_agencies=("agency", "size"),
        unmatched_population=("population", "sum"),
        unmatched_violent=("violent", "sum"),
        unmatched_property=("property", "sum"),
        largest_unmatched=("agency", "first"),
    )
    return out.reset_index()


def state_table(
    pairs: pd.DataFrame,
    agencies: pd.DataFrame | None = None,
    *,
    group: str = "index",
    names: tuple[str, str] = ("cius", "icpsr"),
) -> pd.DataFrame:
    """:func:`agreement_summary` per state for one group, beside its unmatched CIUS agencies.

    Parameters
    ----------
    pairs : pandas.DataFrame
        :func:`compare_values` output carrying ``state_fips`` and ``state``.
    agencies : pandas.DataFrame, optional
        :func:`cius_agency_rows` output; adds :func:`unmatched_by_state`'s
        columns (0 and "" for a state without an unmatched agency).
    group : str
        The group summarised.

    Returns
    -------
    pandas.DataFrame
        One row per state, sorted by ``median_ratio`` (states with no
        compared county last).
    """
    _require(pairs, ["state_fips", "state", "group"], "state_table")
    d = pairs[pairs["group"] == group]
    out = agreement_summary(d, by=("state_fips", "state"), names=names)
    if agencies is not None:
        un = unmatched_by_state(agencies)
        out = out.merge(un, on="state_fips", how="left")
        for c in (
            "unmatched_agencies",
            "unmatched_population",
            "unmatched_violent",
            "unmatched_property",
        ):
            out[c] = out[c].fillna(0)
        out["unmatched_agencies"] = out["unmatched_agencies"].astype("int64")
        out["largest_unmatched"] = out["largest_unmatched"].fillna("")
    out.insert(2, "group", group)
    return out.sort_values(["median_ratio", "state_fips"], na_position="last", ignore_index=True)


def county_diagnostics(
    composition: pd.DataFrame,
    icpsr: pd.DataFrame | None = None,
    facts: pd.DataFrame | None = None,
    *,
    population_tolerance: float = 0.05,
    unlisted_tolerance: float = 0.05,
) -> pd.DataFrame:
    """Facts that can explain a county's CIUS-vs-reference difference, and a ``reasons`` string.

    Parameters
    ----------
    composition : pandas.DataFrame
        :func:`cius_composition` output (keys ``fips, year``).
    icpsr : pandas.DataFrame, optional
        :func:`icpsr_counties` output; without it only the CIUS flags are set
        (the NC SBI files hold no agency counts or populations).
    facts : pandas.DataFrame, optional
        :func:`agency_facts` output (keys ``fips``), for the multi-county
        city and unlisted-agency flags.
    population_tolerance : float
        An ICPSR population (CPOPCRIM) further than this share from the
        Census population is flagged.
    unlisted_tolerance : float
        LEAIC agencies absent from CIUS are flagged when they serve more
        than this share of the county population.

    Returns
    -------
    pandas.DataFrame
        ``composition``'s columns, and with ``icpsr``: ``icpsr_agencies``
        (AG_OFF), ``agency_gap`` (ICPSR agencies - CIUS agency rows),
        ``icpsr_coverage`` (COVIND), ``population_icpsr`` and
        ``population_ratio`` (ICPSR / Census); then ``reasons``: the flags that
        hold, separated by "; ", "" when none. Flags: "ICPSR coverage c < 100
        (agencies imputed or scaled by ICPSR)", "ICPSR counts k more agencies
        than CIUS lists" / "CIUS lists k more agencies than ICPSR counts",
        "no sheriff/county police row in CIUS Table 10", "k other CIUS agency rows
        (Table 11 or a 2nd Table 10 row)", "CIUS lists k fewer agencies than
        in this county's fullest year", "ICPSR population differs from Census by x%", and with
        ``facts``: "CIUS city X (population p) is k times the county
        population: a multi-county city counted wholly here" and "LEAIC
        agencies serving x% of the county population are not in CIUS
        (largest: X)".
    """
    comp = composition.copy()
    if icpsr is not None:
        cols = ["fips", "year", "agencies", "coverage", "population"]
        _require(icpsr, cols, "county_diagnostics (icpsr)")
        ic = icpsr[cols].rename(
            columns={
                "agencies": "icpsr_agencies",
                "coverage": "icpsr_coverage",
                "population": "population_icpsr",
            }
        )
        ic["fips"] = ic["fips"].astype("string")
        comp = comp.merge(ic, on=["fips", "year"], how="left")
        comp["icpsr_agencies"] = comp["icpsr_agencies"].astype("Int64")
        comp["agency_gap"] = (comp["icpsr_agencies"] - comp["cius_agencies"]).astype("Int64")
        comp["population_icpsr"] = comp["population_icpsr"].astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            comp["population_ratio"] = comp["population_icpsr"] / comp["population_census"]
    if facts is not None:
        _require(
            facts,
            ["fips", "largest_city", "largest_city_share", "unlisted_share", "largest_unlisted"],
            "county_diagnostics (facts)",
        )
        f = facts.copy()
        f["fips"] = f["fips"].astype("string")
        comp = comp.merge(f, on="fips", how="left")
    reasons = []
    for r in comp.itertuples(index=False):
        flags = []
        if icpsr is not None:
            if pd.notna(r.icpsr_coverage) and r.icpsr_coverage < 100:
                flags.append(
                    f"ICPSR coverage {r.icpsr_coverage:.1f} < 100 "
                    "(agencies imputed or scaled by ICPSR)"
                )
            if pd.notna(r.agency_gap) and r.agency_gap > 0:
                flags.append(f"ICPSR counts {int(r.agency_gap)} more agencies than CIUS lists")
            elif pd.notna(r.agency_gap) and r.agency_gap < 0:
                flags.append(f"CIUS lists {-int(r.agency_gap)} more agencies than ICPSR counts")
        if not r.cius_has_sheriff:
            flags.append("no sheriff/county police row in CIUS Table 10")
        if r.cius_agencies_below_fullest > 0:
            flags.append(
                f"CIUS lists {int(r.cius_agencies_below_fullest)} fewer agencies than in this "
                "county's fullest year"
            )
        if r.cius_other_rows > 0:
            flags.append(
                f"{int(r.cius_other_rows)} other CIUS agency rows (Table 11 or a 2nd Table 10 row)"
            )
        if icpsr is not None and pd.notna(r.population_ratio):
            if abs(r.population_ratio - 1) > population_tolerance:
                flags.append(
                    f"ICPSR population differs from Census by {r.population_ratio - 1:+.0%}"
                )
        if facts is not None:
            if pd.notna(r.largest_city_share) and r.largest_city_share > 1:
                flags.append(
                    f"CIUS city {r.largest_city} (population {r.largest_city_population:,.0f}) is "
                    f"{r.largest_city_share:.1f} times the county population: a multi-county city "
                    "counted wholly here"
                )
            if pd.notna(r.unlisted_share) and r.unlisted_share > unlisted_tolerance:
                flags.append(
                    f"LEAIC agencies serving {r.unlisted_share:.0%} of the county population are "
                    f"not in CIUS (largest: {r.largest_unlisted})"
                )
        reasons.append("; ".join(flags))
    comp["reasons"] = reasons
    return comp


#: flag name -> test on a :func:`county_diagnostics` frame (columns used must be present)
_FLAGS = {
    "ICPSR coverage < 100": lambda d: d["icpsr_coverage"] < 100,
    "ICPSR counts more agencies than CIUS lists": lambda d: d["agency_gap"] > 0,
    "no Table 10 sheriff/county police row": lambda d: ~d["cius_has_sheriff"].astype(bool),
    "other CIUS agency rows (Table 11 or a 2nd Table 10 row)": lambda d: d["cius_other_rows"] > 0,
    "fewer CIUS agencies than in the county's fullest year": lambda d: (
        d["cius_agencies_below_fullest"] > 0
    ),
    "LEAIC agencies absent from CIUS serve > 5% of population": lambda d: (
        d["unlisted_share"] > 0.05
    ),
    "multi-county city counted wholly here": lambda d: d["largest_city_share"] > 1,
}


def flag_summary(
    pairs: pd.DataFrame,
    diagnostics: pd.DataFrame,
    *,
    group: str = "index",
    keys: Sequence[str] = ("fips",),
    names: tuple[str, str] = ("cius", "icpsr"),
) -> pd.DataFrame:
    """Agreement among the compared units carrying each diagnostic flag, and among those with none.

    Parameters
    ----------
    pairs : pandas.DataFrame
        :func:`compare_values` output.
    diagnostics : pandas.DataFrame
        :func:`county_diagnostics` output; flags whose columns are absent are skipped.
    group : str
        The group compared.

    Returns
    -------
    pandas.DataFrame
        One row per flag (a unit can carry several) and a row "none of these
        flags": :func:`agreement_summary`'s columns for the units concerned.
        Missing diagnostic values count as "flag not set".
    """
    d = pairs[(pairs["group"] == group) & (pairs["status"] == "compared")]
    d = d.merge(diagnostics, on=list(keys), how="left", suffixes=("", "_diag"))
    rows, any_flag = [], pd.Series(False, index=d.index)
    for name, test in _FLAGS.items():
        try:
            hit = test(d).fillna(False).astype(bool)
        except KeyError:
            continue
        any_flag |= hit
        rows.append({"flag": name, **_agreement(d[hit], *names)})
    rows.append({"flag": "none of these flags", **_agreement(d[~any_flag], *names)})
    return pd.DataFrame(rows)


def largest_differences(
    pairs: pd.DataFrame,
    diagnostics: pd.DataFrame | None = None,
    *,
    group: str = "index",
    n: int = 20,
    rank: str = "abs_difference",
    keys: Sequence[str] = ("fips",),
) -> pd.DataFrame:
    """The compared units of one group that differ most, with their diagnostics.

    Parameters
    ----------
    pairs : pandas.DataFrame
        :func:`compare_values` output.
    diagnostics : pandas.DataFrame, optional
        :func:`county_diagnostics` output, merged on ``keys``.
    group : str
        Which group to rank.
    n : int
        Rows returned.
    rank : {"abs_difference", "abs_log_ratio"}
        Rank by the absolute difference in the values (offenses misplaced;
        large counties first) or by the absolute log ratio (relative gaps;
        small counties first).
    keys : sequence of str
        Unit keys shared with ``diagnostics``.
    """
    if rank not in ("abs_difference", "abs_log_ratio"):
        raise ValueError(
            f"largest_differences: rank must be 'abs_difference' or 'abs_log_ratio', not {rank!r}"
        )
    if group not in set(pairs["group"]):
        raise ValueError(
            f"largest_differences: no group {group!r}; has {sorted(set(pairs['group']))}"
        )
    d = pairs[(pairs["group"] == group) & (pairs["status"] == "compared")].copy()
    col = "difference" if rank == "abs_difference" else "log_ratio"
    d = d.assign(_k=d[col].abs()).sort_values(["_k", *keys], ascending=[False] + [True] * len(keys))
    d = d.drop(columns="_k").head(n)
    if diagnostics is not None:
        extra = [c for c in diagnostics.columns if c not in d.columns or c in keys]
        d = d.merge(diagnostics[extra], on=list(keys), how="left")
    return d.reset_index(drop=True)


# --------------------------------------------------------------------------------------
# figure
# --------------------------------------------------------------------------------------


def agreement_figure(
    pairs: pd.DataFrame,
    *,
    names: tuple[str, str] = ("cius", "icpsr"),
    labels: tuple[str, str] = ("CIUS approximation", "ICPSR 33523"),
    unit_label: str = "counties",
    title: str | None = None,
) -> tuple[plt.Figure, pd.DataFrame]:
    """One scatter per group (log scales, 45-degree line) and the distribution of the log ratio.

    Parameters
    ----------
    pairs : pandas.DataFrame
        :func:`compare_values` output; only ``status == "compared"`` pairs
        are drawn (positive on both sides); the number of other pairs is
        written on each panel.
    names, labels : (str, str)
        The value columns and their axis labels (left source on the y axis).
    unit_label : str
        What a point is, for the "N = ..." notes.
    title : str, optional

    Returns
    -------
    fig : matplotlib.figure.Figure
    data : pandas.DataFrame
        The compared pairs drawn (``group``, the two values, ``ratio``, ``log_ratio`` and keys).

    Notes
    -----
    The right panel is :func:`enforcement_crime.plots.distribution_plot` (ECDF) of
    :math:`\\ln(\\text{left}/\\text{right})` by group, a dashed line at 0
    (ratio 1) and the +/-10% band shaded; its title gives each group's share
    within the band.
    """
    from enforcement_crime.plots import PALETTE, distribution_plot

    ln, rn = names
    groups = list(dict.fromkeys(pairs["group"]))
    drawn = pairs[pairs["status"] == "compared"]
    if drawn.empty:
        raise ValueError("agreement_figure: no compared pair (both values positive) to draw")
    fig, axes = plt.subplots(1, len(groups) + 1, figsize=(3.0 * (len(groups) + 1), 3.2))
    for i, (ax, g) in enumerate(zip(axes[:-1], groups, strict=True)):
        d = drawn[drawn["group"] == g]
        n_other = int(((pairs["group"] == g) & (pairs["status"] != "compared")).sum())
        if len(d):
            ax.scatter(d[rn], d[ln], s=4, alpha=0.4, color=PALETTE[i % len(PALETTE)], lw=0)
            lo = float(min(d[rn].min(), d[ln].min()))
            hi = float(max(d[rn].max(), d[ln].max()))
            ax.plot([lo, hi], [lo, hi], color="black", lw=0.8, ls="--", label="45-degree line")
            ax.set_xscale("log")
            ax.set_yscale("log")
            corr = np.corrcoef(np.log(d[rn]), np.log(d[ln]))[0, 1] if len(d) >= 3 else np.nan
            ax.set_title(
                f"{g}: N = {len(d):,} {unit_label}\nr(log) = {corr:.3f}; {n_other:,} not compared",
                fontsize=7,
            )
        ax.set_xlabel(f"{labels[1]} ({g})")
        if i == 0:
            ax.set_ylabel(labels[0])
    distribution_plot(
        drawn,
        x="log_ratio",
        hue="group",
        kind="ecdf",
        ax=axes[-1],
        observed={"ratio 1": 0.0},
        xlabel=f"ln({labels[0]} / {labels[1]})",
    )
    axes[-1].axvspan(
        np.log(1 - WITHIN),
        np.log(1 + WITHIN),
        color="0.5",
        alpha=0.2,
        lw=0,
        label=f"+/-{WITHIN:.0%}",
    )
    within = drawn.groupby("group", sort=False)["ratio"].agg(
        lambda r: float(np.mean(np.abs(r - 1) <= WITHIN + 1e-12))
    )
    axes[-1].set_title(
        f"ECDF of the log ratio (N per group as left)\nwithin +/-{WITHIN:.0%} (grey): "
        + ", ".join(f"{g} {within[g]:.0%}" for g in groups if g in within.index),
        fontsize=7,
    )
    if title:
        fig.suptitle(title, fontsize=8)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    return fig, drawn.reset_index(drop=True)
