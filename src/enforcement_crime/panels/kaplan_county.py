"""Panel ``kaplan_county``: county-year crime from Kaplan's agency-year UCR Return A files.

Agencies are assigned to counties through the LEAIC crosswalk (when present;
else the file's own FIPS), agencies serving several counties are split by
population share, and a coverage rule (``"full12"``, ``"scale"``,
``"icpsr"``) says how partial reporters count, with ICPSR's coverage
indicator. Needs ``ucr_kaplan`` and ``census_population``; uses ``leaic``
and the timing sources when present.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from enforcement_crime.panels.build_steps import (
    COVERAGE_RULES,
    attach_timing,
    county_names,
    county_population,
    finish_panel,
    repair_codes,
    round_counts,
    strict_sum,
)
from enforcement_crime.panels.context import TIMING_SOURCES, BuildContext
from enforcement_crime.panels.manifest import Manifest
from enforcement_crime.panels.spec import Built, PanelSpec
from enforcement_crime.schema import OFFENSES, validate_panel


def pop_group_of(population: pd.Series, county_agency: pd.Series | None = None) -> pd.Series:
    """UCR population group from agency population.

    Cities: 1 (250,000+), 2 (100,000-249,999), 3 (50,000-99,999), 4 (25,000-49,999),
    5 (10,000-24,999), 6 (under 10,000); county agencies (sheriffs, county police) ``"8/9"``.
    Only used when the crosswalk has no ``pop_group`` (UCR's own group) for an agency.
    """
    p = pd.to_numeric(population, errors="coerce")
    grp = pd.cut(
        p,
        [-np.inf, 9_999, 24_999, 49_999, 99_999, 249_999, np.inf],
        labels=["6", "5", "4", "3", "2", "1"],
    )
    grp = grp.astype("string")
    if county_agency is not None:
        grp = grp.mask(county_agency.fillna(False).astype(bool), "8/9")
    return grp


def kaplan_county_panel(
    agencies: pd.DataFrame,
    population: pd.DataFrame,
    crosswalk: pd.DataFrame | None = None,
    coverage_rule: str = "scale",
    splits: pd.DataFrame | None = None,
    timing: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, Manifest]:
    """County-year panel from Kaplan's agency-year Return A data.

    Parameters
    ----------
    agencies : pandas.DataFrame
        :func:`enforcement_crime.sources.ucr_kaplan.load` output (one or many years).
    population : pandas.DataFrame
        Census county population ``fips, year, population``.
    crosswalk : pandas.DataFrame, optional
        LEAIC (:func:`enforcement_crime.sources.leaic.load`): ``ori7 -> fips``;
        also its ``pop_group`` and agency type for the ``"icpsr"`` rule. Without
        it the agency file's own FIPS codes are used.
    coverage_rule : {"full12", "scale", "icpsr"}
        ``"full12"``: only agencies reporting 12 months. ``"scale"``: agencies
        reporting 3-11 months scaled by 12/months, 0-2 months excluded.
        ``"icpsr"``: as ``"scale"``, and agencies reporting 0-2 months imputed
        from the full reporters of the same state, year and population group.
    splits : pandas.DataFrame, optional
        Agencies serving several counties: ``ori, fips, population`` (the
        agency's population in each county). Their crimes are split by
        population share.
    timing : pandas.DataFrame, optional
        County treatment timing; NaT when omitted.

    Returns
    -------
    panel, manifest

    Notes
    -----
    For agency :math:`a` in county :math:`c` with months reported :math:`m_a`,
    population :math:`p_a`, county share :math:`s_{ac}` and counts :math:`y_a`:

    .. math::

        Y_c = \\sum_a s_{ac}\\, w_a\\, y_a, \\qquad
        w_a = \\begin{cases} 1 & m_a = 12 \\\\ 12/m_a & 3 \\le m_a \\le 11
              \\text{ (scale, icpsr)} \\end{cases}

    and, under ``"icpsr"``, for :math:`m_a \\le 2`,
    :math:`\\hat y_a = p_a \\sum_{b \\in F} y_b / \\sum_{b \\in F} p_b`
    with :math:`F` the 12-month reporters of the same state, year and
    population group (falling back to the state and year when the group has
    none). The coverage indicator is ICPSR's

    .. math:: CI_c = 100 \\Big(1 - \\sum_a \\frac{s_{ac} p_a}{P_c}\\frac{12 - m_a}{12}\\Big)

    over every agency of the county, whatever the rule, clipped to [0, 100]
    (:math:`P_c` the Census county population). ``months_reported`` is the
    fewest months any agency of the county reported. A county none of whose
    agencies is left under the rule has no row (counted in the manifest's
    dropped agency-years). Kaplan's
    ``number_of_months_reported`` is the *last* month reported, so
    :math:`m_a` may overstate coverage in older years.
    """
    if coverage_rule not in COVERAGE_RULES:
        raise ValueError(f"coverage_rule must be one of {COVERAGE_RULES}, got {coverage_rule!r}")
    dup = agencies.duplicated(["ori", "year"], keep=False)
    if dup.any():
        first = agencies.loc[dup, ["ori", "year"]].iloc[0].to_dict()
        raise ValueError(
            f"kaplan_county_panel: {int(dup.sum())} rows share an (ori, year), e.g. {first} "
            "(the same year loaded from two files?)"
        )
    m = Manifest(panel=f"kaplan_county_{coverage_rule}", unit="agency-year")
    m.rows_in = len(agencies)
    m.inputs.append(
        {
            "name": "Kaplan Return A agency-year",
            "files": sorted({str(agencies.attrs.get("source_file", "in memory"))}),
            "rows": len(agencies),
        }
    )
    m.rules.update(
        coverage_rule=coverage_rule,
        months="number_of_months_reported (the last month reported) or 12 - number_of_months_missing",
        coverage_indicator="ICPSR CI = 100 * (1 - sum(agency_pop/county_pop * (12 - months)/12))",
        population="Census county population (input frame)",
    )
    a = agencies.reset_index(drop=True).copy()
    a["ori"] = a["ori"].astype("string")
    # county assignment
    a["county_agency"] = False
    if crosswalk is not None:
        cw = crosswalk.dropna(subset=["ori7"]).set_index("ori7")
        a["fips_cw"] = a["ori"].map(cw["fips"]).astype("string")
        a["pop_group"] = (
            a["ori"].map(cw["pop_group"]).astype("string") if "pop_group" in cw else pd.NA
        )
        a["county_agency"] = (
            a["ori"].map(cw["agency_type"]).isin(["sheriff", "county police"]).astype(bool)
        )
        m.rules["county_assignment"] = (
            "LEAIC 2012 ORI7 -> county FIPS; the agency file's FIPS where LEAIC has no ORI"
        )
        a["fips"] = a["fips_cw"].fillna(a["fips"])
        m.inputs.append(
            {
                "name": "LEAIC 2012 crosswalk",
                "file": crosswalk.attrs.get("source_file"),
                "rows": len(crosswalk),
            }
        )
    else:
        m.rules["county_assignment"] = "the agency file's fips_state_code + fips_county_code"
        a["pop_group"] = pd.NA
    nofips = (
        a["fips"].isna()
        | ~a["fips"].astype("string").str.fullmatch(r"\d{5}").fillna(False)
        | a["fips"].astype("string").str.endswith("000")
    )
    m.drop("no county for the ORI (not in LEAIC, no county FIPS)", int(nofips.sum()))
    a = a[~nofips].copy()
    a = repair_codes(a, m)
    a["pop_group"] = (
        a["pop_group"].astype("string").fillna(pop_group_of(a["population"], a["county_agency"]))
    )

    # coverage rule
    months = a["months_reported"]
    if months.isna().any():
        m.drop("months reported missing", int(months.isna().sum()))
        a = a[months.notna()].copy()
        months = a["months_reported"]
    mo = months.astype("int64")
    a["weight"] = 1.0
    a["imputed"] = False
    a["months_int"] = mo
    counts = list(OFFENSES)
    cov_rows = a[
        ["ori", "year", "fips", "population", "months_int"]
    ].copy()  # every agency counts in the CI
    if coverage_rule == "full12":
        drop = mo < 12
        m.drop("agency reported fewer than 12 months (rule full12)", int(drop.sum()))
        a = a[~drop]
    else:
        low = mo <= 2
        a.loc[(mo >= 3) & (mo <= 11), "weight"] = 12.0 / a.loc[(mo >= 3) & (mo <= 11), "months_int"]
        if coverage_rule == "scale":
            m.drop("agency reported 0-2 months (excluded under rule scale)", int(low.sum()))
            a = a[~low]
        else:
            a["state_fips_"] = a["fips"].str[:2]
            full = a[a["months_int"] == 12].copy()
            full["_p"] = full["population"].astype("float64")

            def rates(keys: list[str]) -> pd.DataFrame:
                g = full.groupby(keys)
                num = g[counts].sum(min_count=1).astype("float64")
                den = g["_p"].sum()
                return num.div(den.where(den > 0), axis=0)

            low_rows = a.loc[low, ["state_fips_", "year", "pop_group", "population"]]
            by_group = rates(["state_fips_", "year", "pop_group"])
            by_state = rates(["state_fips_", "year"])
            rg = by_group.reindex(
                pd.MultiIndex.from_frame(low_rows[["state_fips_", "year", "pop_group"]])
            )
            rs = by_state.reindex(pd.MultiIndex.from_frame(low_rows[["state_fips_", "year"]]))
            rg.index, rs.index = low_rows.index, low_rows.index
            use_state = rg.isna().any(axis=1)
            rate = rg.where(~use_state, rs, axis=0) if len(rg) else rg
            ok = ~rate.isna().any(axis=1) & low_rows["population"].notna()
            failed = list(low_rows.index[~ok])
            est = rate[ok].mul(low_rows.loc[ok, "population"].astype("float64"), axis=0).round()
            for c in counts:
                a.loc[est.index, c] = est[c].astype("Int64")
            a.loc[est.index, "imputed"] = True
            imputed_n = int(ok.sum())
            m.reports["imputed_from_state_rate"] = int((use_state & ok).sum())
            m.drop(
                "agency reported 0-2 months and no full reporter to impute from (rule icpsr)",
                len(failed),
            )
            a = a.drop(index=failed)
            m.reports["imputed_agency_years"] = imputed_n
            m.rules["imputation"] = (
                "0-2 month reporters: population x crime rate of the 12-month reporters of the same "
                "state, year and UCR population group (state and year when the group has none)"
            )

    # splits across counties
    if splits is not None:
        need = {"ori", "fips", "population"}
        if not need <= set(splits.columns):
            raise ValueError(
                f"splits frame: expected columns {sorted(need)}, got {list(splits.columns)}"
            )
        sp = splits[["ori", "fips", "population"]].copy()
        sp = repair_codes(sp, Manifest("splits")).rename(
            columns={"fips": "fips_split", "population": "pop_part"}
        )
        sp["ori"] = sp["ori"].astype("string")
        sp["share"] = sp["pop_part"] / sp.groupby("ori")["pop_part"].transform("sum")
        a = a.merge(sp[["ori", "fips_split", "share"]], on="ori", how="left")
        a["fips"] = a["fips_split"].fillna(a["fips"]).astype("string")
        a["share"] = a["share"].fillna(1.0)
        before = cov_rows
        cov_rows = before.merge(sp[["ori", "fips_split", "share"]], on="ori", how="left")
        cov_rows["fips"] = cov_rows["fips_split"].fillna(cov_rows["fips"]).astype("string")
        cov_rows["share"] = cov_rows["share"].fillna(1.0)
        m.added = int(len(a) - a[["ori", "year"]].drop_duplicates().shape[0])
        m.rules["splits"] = (
            "agencies serving several counties split by their population share in each county"
        )
    else:
        a["share"] = 1.0
        cov_rows["share"] = 1.0

    pop = county_population(population)
    a = a.merge(pop, on=["fips", "year"], how="left")
    nopop = a["county_population"].isna() | (a["county_population"] <= 0)
    m.drop("county without a Census population for the year", int(nopop.sum()))
    a = a[~nopop].copy()
    for c in counts:
        a[c] = a[c].astype("Float64") * a["weight"] * a["share"]
    sums = strict_sum(a, ["fips", "year"], counts)
    sums = round_counts(sums, counts)
    # coverage indicator over every agency of the county
    cov = cov_rows.merge(pop, on=["fips", "year"], how="inner")
    cov["loss"] = (
        cov["population"].astype("float64").fillna(0)
        * cov["share"]
        / cov["county_population"].astype("float64")
        * (12 - cov["months_int"])
        / 12
    )
    ci = cov.groupby(["fips", "year"]).agg(
        loss=("loss", "sum"), months_reported=("months_int", "min")
    )
    ci["coverage"] = (100 * (1 - ci["loss"])).clip(0, 100)
    panel = sums.merge(
        ci[["coverage", "months_reported"]].reset_index(), on=["fips", "year"], how="left"
    )
    extra = a.groupby(["fips", "year"]).agg(
        population=("county_population", "first"),
        n_agencies=("ori", "nunique"),
        n_imputed=("imputed", "sum"),
    )
    panel = panel.merge(extra.reset_index(), on=["fips", "year"])
    panel["n_imputed"] = panel["n_imputed"].astype("int64")
    m.aggregated = len(a) - len(panel)
    panel = attach_timing(panel, timing, m)
    panel = finish_panel(
        panel,
        f"UCR Return A agency-year (Kaplan, openICPSR 100707) via LEAIC; coverage rule {coverage_rule}",
        county_names(crosswalk, population),
    )
    m.rows_out = len(panel)
    m.check()
    validate_panel(panel, name=m.panel)
    return panel, m


def build(ctx: BuildContext) -> Built:
    """Build ``kaplan_county`` from the run's raw files (see the module docstring)."""
    ctx.require("kaplan_county", *SPEC.needs)
    agencies, population, crosswalk = ctx.kaplan(), ctx.population(), ctx.crosswalk()
    panel, man = kaplan_county_panel(
        agencies,
        population,
        crosswalk,
        coverage_rule=ctx.options.coverage_rule,
        timing=ctx.timing(),
    )
    man.inputs = ctx.inputs("ucr_kaplan", "leaic", "census_population") + man.inputs
    used = ("ucr_kaplan", "census_population", *(("leaic",) if crosswalk is not None else ()))
    return Built(panel, man, (*used, *ctx.timing_sources()))


SPEC = PanelSpec(
    name="kaplan_county",
    needs=("ucr_kaplan", "census_population"),
    optional=("leaic", *TIMING_SOURCES),
    build=build,
    description="county-year from Kaplan's agency-year Return A files (coverage rule selectable)",
    mark="REAL DATA: UCR RETURN A AGENCY FILES (KAPLAN) SUMMED TO COUNTIES",
)
