# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # How close is the CIUS county approximation to the county sources?
#
# **Question.** The `cius_county` panel approximates county crime totals by
# summing the FBI CIUS agency tables (Table 8 cities, Table 10 sheriffs and
# county police, Table 11 in 2013-2015) matched to counties through LEAIC. How
# far is it, county by county, from (1) the ICPSR county files of 2010 (study
# 33523, part 4) and 2012 (study 35019, part 4), side by side, and (2) the NC
# SBI county rates of 2014-2016? And (3) do the NC agency panel (`nc_agency`,
# Kaplan's agency-year files) and the CIUS sheriff panel (`cius_sheriff`,
# Table 10) give the same counts for the same agencies, 2005-2016?
#
# **Conventions.** Every ratio is CIUS / reference (below 1: CIUS counts fewer
# offenses). A county is *compared* when both values are positive; the
# correlation is that of the logs, the ratio statistics are over compared
# counties, and every other county is counted by status (no row in one
# source, a missing value, a zero). Index = violent + property (arson
# excluded). ICPSR imputes agencies reporting 0-2 months, scales those
# reporting 3-11 months (STUDIES.md section 5) and allocates multi-county
# agencies by population; CIUS lists only the agencies that published counts.
#
# **Inputs.** REAL DATA only: the built panels `data/processed/cius_county.parquet`,
# `nc_agency.parquet` and `cius_sheriff.parquet` (`python -m enforcement_crime
# data build --shared`), the ICPSR files `33523-0004-Data.rda` (2010) and
# `35019-0004-Data.tsv` (2012), the SBI files `CrimeDataByCounty<year>.csv`, and
# the 2010 and 2012 CIUS tables and LEAIC (for the agency-level diagnostics),
# from `data/raw/` or `../shared/data/`. Without them the first cell stops and
# says what to build or fetch.
# **Outputs.** `reports/figures/validation/fig_validation_*`,
# `reports/tables/validation/tab_validation_*` (see `reports/OUTPUTS.md`).
# **Run time.** In the README's run-time table (`benchmarks/suite_timings.py` measures it).

# %% tags=["parameters"]
data_source = "cius_county"  # the processed CIUS county panel (real data only)
icpsr_file = None  # ICPSR 33523 part 4; None: data/raw/ucr_icpsr_county, else the shared copy
sbi_folder = None  # folder of CrimeDataByCounty<year>.csv; None: data/raw, else the shared copy
year = 2010  # the first ICPSR year (outputs named without a year)
agency_years = [2005, 2016]  # first and last year of the NC agency vs CIUS sheriff comparison
nc_years = [2014, 2016]  # first and last year of the NC SBI comparison
n_top = 20  # counties listed among those that differ most

# %%
import matplotlib.pyplot as plt
from IPython.display import display

from enforcement_crime import plots, reports, validation
from enforcement_crime.panels import data_banner, load_panel
from enforcement_crime.sources import nc_sbi, ucr_icpsr_county

# stops here (MissingRealData) naming what to build or fetch when a real input is absent
inputs = validation.real_inputs(
    icpsr_file,
    sbi_folder,
    data_source,
    icpsr_years=[2012],
    panels=("nc_agency", "cius_sheriff"),
)
plots.use_style("paper")
LABEL = (
    "REAL DATA: FBI CIUS APPROXIMATION OF COUNTY TOTALS vs ICPSR 33523 (2010) and 35019 (2012) "
    "and NC SBI RATES; UCR AGENCY-YEAR FILES (KAPLAN) vs CIUS TABLE 10, NC"
)
log = reports.OutputLog(
    "validation", "notebooks/validation/01-compare-crime-sources.py", False, LABEL
)
cius = load_panel(data_source)
data_banner(cius)

# %% [markdown]
# ## 1. CIUS vs ICPSR, 2010, county by county
# The ICPSR file as one row per county: pseudo-counties (codes 777 and 999,
# agencies ICPSR did not allocate to a county) are set aside and counted, and
# county codes repaired with the panels' rules.

# %%
icpsr_raw = {year: ucr_icpsr_county.load(inputs["icpsr"])}
icpsr, icpsr_accounting = validation.icpsr_counties(icpsr_raw[year])
display(icpsr_accounting)
cius_year = cius[cius["year"] == year]
pairs = validation.compare_values(cius_year, icpsr, carry=("state_fips", "state", "county_name"))
status = validation.status_counts(pairs)
log.table(
    status,
    "tab_validation_icpsr_status",
    description=f"Counties by comparison status and offense group, CIUS vs ICPSR {year}",
)
status

# %% [markdown]
# Agreement over the compared counties, per offense group: correlation of
# log counts, the ratio's median and quartiles, the shares within, below and
# above +/-10%, and the ratio of the summed counts.

# %%
summary = validation.agreement_summary(pairs)
log.table(
    summary,
    "tab_validation_icpsr_agreement",
    description=f"Agreement of CIUS and ICPSR county counts, {year}",
)
for r in summary.itertuples():
    log.value(f"icpsr_{r.group}_corr_log", r.corr_log)
    log.value(f"icpsr_{r.group}_median_ratio", r.median_ratio)
    log.value(f"icpsr_{r.group}_share_within_10pct", r.share_within_10pct)
summary

# %%
title = f"REAL DATA: FBI CIUS APPROXIMATION OF COUNTY TOTALS vs ICPSR 33523: county counts {year}"
fig, drawn = validation.agreement_figure(pairs, title=title)
n_counties = int(drawn["fips"].nunique())
log.figure(fig, "fig_validation_cius_vs_icpsr", drawn, description=f"CIUS vs ICPSR county counts {year}: log-log scatter with 45-degree line, log-ratio distribution",
           n_note=f"N = {n_counties:,} counties compared in at least one group")  # fmt: skip
plt.show()

# %% [markdown]
# ## By state
# The same statistics per state (index crimes), beside the CIUS agencies of
# the state that matched no county: their published offenses are in no
# county total.

# %%
agencies, crosswalk = validation.cius_agency_rows(year)
by_state = validation.state_table(pairs, agencies)
log.table(
    by_state,
    "tab_validation_icpsr_by_state",
    description=f"CIUS vs ICPSR index crimes by state, {year}, with the CIUS agencies matched to no county",
)
columns = ["state", "compared", "corr_log", "median_ratio", "share_within_10pct", "ratio_of_sums", "unmatched_agencies", "largest_unmatched"]  # fmt: skip
by_state[columns]

# %% [markdown]
# ## Why counties differ
# Each county's diagnostics, computed from the sources: ICPSR's coverage
# indicator (below 100: agencies imputed or scaled), ICPSR's agency count
# against the CIUS agency rows, a missing Table 10 row, LEAIC agencies with a
# population served that CIUS does not list, and a CIUS city larger than its
# county (a multi-county city counted wholly in one county). First the
# agreement among the counties carrying each flag, then the counties that
# differ most (largest absolute difference in index crimes).

# %%
composition = validation.cius_composition(cius_year)
facts = validation.agency_facts(agencies, crosswalk, composition)
diagnostics = validation.county_diagnostics(composition, icpsr, facts)
flags = validation.flag_summary(pairs, diagnostics)
log.table(
    flags,
    "tab_validation_icpsr_flags",
    description=f"CIUS vs ICPSR agreement by diagnostic flag (index crimes), {year}",
)
flags

# %%
top = validation.largest_differences(pairs, diagnostics, n=n_top)
columns = [
    "fips",
    "state",
    "county_name",
    "cius",
    "icpsr",
    "ratio",
    "difference",
    "icpsr_coverage",
    "agency_gap",
    "unlisted_share",
    "largest_city_share",
    "reasons",
]
log.table(
    top[columns],
    "tab_validation_icpsr_largest_differences",
    description=f"The {n_top} counties whose CIUS and ICPSR index counts differ most, {year}, with their diagnostics",
)
top[columns]

# %% [markdown]
# ## 1b. 2012, and the two years side by side
# The same comparison for 2012 (ICPSR 35019, whose `INDEX`/`MODINDX` columns
# hold violent and property crime; the loader reads them so): status counts,
# agreement, figure, diagnostic flags and the counties that differ most. Then
# the agreement statistics of both years in columns, with the change from
# 2010 to 2012.

# %%
second_year = 2012  # fixed: the output names of this section say 2012
icpsr_raw[second_year] = ucr_icpsr_county.load(inputs["icpsr_by_year"][second_year])
years_pairs, years_accounting = validation.compare_icpsr_years(
    cius, icpsr_raw, carry=("state_fips", "state", "county_name")
)
display(years_accounting)
pairs_2012 = years_pairs[years_pairs["year"] == second_year].drop(columns="year")
log.table(
    validation.status_counts(pairs_2012),
    "tab_validation_icpsr_status_2012",
    description="Counties by comparison status and offense group, CIUS vs ICPSR 2012",
)
summary_2012 = validation.agreement_summary(pairs_2012)
log.table(
    summary_2012,
    "tab_validation_icpsr_agreement_2012",
    description="Agreement of CIUS and ICPSR county counts, 2012",
)
for r in summary_2012.itertuples():
    log.value(f"icpsr_2012_{r.group}_corr_log", r.corr_log)
    log.value(f"icpsr_2012_{r.group}_median_ratio", r.median_ratio)
    log.value(f"icpsr_2012_{r.group}_share_within_10pct", r.share_within_10pct)
summary_2012

# %%
fig, drawn_2012 = validation.agreement_figure(
    pairs_2012,
    labels=("CIUS approximation", "ICPSR 35019"),
    title="REAL DATA: FBI CIUS APPROXIMATION OF COUNTY TOTALS vs ICPSR 35019: county counts 2012",
)
log.figure(fig, "fig_validation_cius_vs_icpsr_2012", drawn_2012, description="CIUS vs ICPSR county counts 2012: log-log scatter with 45-degree line, log-ratio distribution",
           n_note=f"N = {drawn_2012['fips'].nunique():,} counties compared in at least one group")  # fmt: skip
plt.show()

# %%
side = validation.side_by_side(years_pairs)
log.table(
    side,
    "tab_validation_icpsr_years_side_by_side",
    description="Agreement of CIUS and ICPSR county counts, 2010 and 2012 side by side (change: 2012 minus 2010)",
)
side

# %% [markdown]
# Why counties differ in 2012: the same diagnostic flags and the counties
# that differ most, from the 2012 CIUS tables and ICPSR file.

# %%
icpsr_2012, _ = validation.icpsr_counties(icpsr_raw[second_year])
composition_2012 = validation.cius_composition(cius[cius["year"] == second_year])
agencies_2012, crosswalk_2012 = validation.cius_agency_rows(second_year)
facts_2012 = validation.agency_facts(agencies_2012, crosswalk_2012, composition_2012)
diagnostics_2012 = validation.county_diagnostics(composition_2012, icpsr_2012, facts_2012)
flags_2012 = validation.flag_summary(pairs_2012, diagnostics_2012)
log.table(
    flags_2012,
    "tab_validation_icpsr_flags_2012",
    description="CIUS vs ICPSR agreement by diagnostic flag (index crimes), 2012",
)
display(flags_2012)
top_2012 = validation.largest_differences(pairs_2012, diagnostics_2012, n=n_top)
top_columns = ["fips", "state", "county_name", "cius", "icpsr", "ratio", "difference",
               "icpsr_coverage", "agency_gap", "unlisted_share", "largest_city_share",
               "reasons"]  # fmt: skip
log.table(
    top_2012[top_columns],
    "tab_validation_icpsr_largest_differences_2012",
    description=f"The {n_top} counties whose CIUS and ICPSR index counts differ most, 2012, with their diagnostics",
)
top_2012[top_columns]

# %% [markdown]
# ## 2. CIUS vs NC SBI county rates, 2014-2016
# Rates per 100,000: CIUS counts over the Census county population against
# the SBI's published rates (no counts or populations in the SBI files).
# Counties absent from an SBI file, or with every rate blank, keep their row
# with the status "no sbi row" or "missing in sbi".

# %%
sbi = nc_sbi.load_county_rates(inputs["sbi"])
years = range(nc_years[0], nc_years[-1] + 1)
nc = cius[(cius["state_fips"] == "37") & cius["year"].isin(years)]
sbi_years = sbi[sbi["year"].isin(years)]
nc_pairs = validation.compare_values(
    nc,
    sbi_years,
    keys=("fips", "year"),
    groups=("violent_rate", "property_rate", "index_rate"),
    names=("cius", "sbi"),
    carry=("county_name",),
)
nc_status = validation.status_counts(nc_pairs)
log.table(
    nc_status,
    "tab_validation_sbi_status",
    description=f"NC county-years by comparison status, CIUS vs SBI {nc_years[0]}-{nc_years[-1]}",
)
nc_status

# %%
nc_summary = validation.agreement_summary(nc_pairs, names=("cius", "sbi"))
nc_by_year = validation.agreement_summary(nc_pairs, by=("year", "group"), names=("cius", "sbi"))
log.table(
    nc_summary,
    "tab_validation_sbi_agreement",
    description=f"Agreement of CIUS and SBI NC county rates, {nc_years[0]}-{nc_years[-1]}",
)
log.table(
    nc_by_year,
    "tab_validation_sbi_agreement_by_year",
    description="Agreement of CIUS and SBI NC county rates, by year",
)
for r in nc_summary.itertuples():
    log.value(f"sbi_{r.group}_corr_log", r.corr_log)
    log.value(f"sbi_{r.group}_median_ratio", r.median_ratio)
display(nc_summary)
nc_by_year

# %%
fig, nc_drawn = validation.agreement_figure(nc_pairs, names=("cius", "sbi"), labels=("CIUS approximation", "NC SBI"), unit_label="county-years",
                                            title=f"REAL DATA: FBI CIUS APPROXIMATION OF COUNTY TOTALS vs NC SBI: county rates per 100,000, {nc_years[0]}-{nc_years[-1]}")  # fmt: skip
log.figure(fig, "fig_validation_cius_vs_sbi", nc_drawn, description="CIUS vs NC SBI county rates: log-log scatter with 45-degree line, log-ratio distribution",
           n_note=f"N = {nc_drawn['fips'].nunique()} NC counties, {len(nc_drawn[['fips', 'year']].drop_duplicates())} county-years")  # fmt: skip
plt.show()

# %% [markdown]
# The NC county-years that differ most (index rate, largest absolute log
# ratio), with what the CIUS total is made of: agency rows, a Table 10
# sheriff row, other rows, and how many fewer agency rows than in the
# county's fullest year of 2014-2016 (the SBI files hold no agency counts, so
# only the CIUS flags are available).

# %%
nc_diagnostics = validation.county_diagnostics(validation.cius_composition(nc))
nc_flags = validation.flag_summary(
    nc_pairs, nc_diagnostics, group="index_rate", keys=("fips", "year"), names=("cius", "sbi")
)
nc_top = validation.largest_differences(
    nc_pairs,
    nc_diagnostics,
    group="index_rate",
    n=n_top,
    rank="abs_log_ratio",
    keys=("fips", "year"),
)
log.table(
    nc_flags,
    "tab_validation_sbi_flags",
    description="CIUS vs SBI agreement by CIUS composition flag (index rate)",
)
log.table(
    nc_top,
    "tab_validation_sbi_largest_differences",
    description=f"The {n_top} NC county-years whose CIUS and SBI index rates differ most",
)
display(nc_flags)
nc_top[
    [
        "fips",
        "year",
        "county_name",
        "cius",
        "sbi",
        "ratio",
        "cius_agencies",
        "cius_has_sheriff",
        "cius_other_rows",
        "cius_agencies_below_fullest",
        "reasons",
    ]
]

# %% [markdown]
# ## 3. The NC agency panel vs the CIUS sheriff panel
# The county policing agencies of `nc_agency` (Kaplan's agency-year files:
# every sheriff's office, and Gaston County PD) against the same agencies'
# rows in `cius_sheriff` (CIUS Table 10), county-year by county-year and
# offense by offense. The counts should be identical: both are the FBI's
# Return A counts of the same agency. Charlotte-Mecklenburg PD is a Table 8
# city, so Mecklenburg is left out on both sides; rape and violent crime are
# compared before 2013 only (from 2013 CIUS prints the revised rape
# definition, Kaplan's files the legacy one). Every cell that is not compared
# is counted by reason.

# %%
agency_pairs = validation.agency_vs_cius_sheriff(
    load_panel("nc_agency"),
    load_panel("cius_sheriff"),
    years=range(agency_years[0], agency_years[-1] + 1),
)
agency_table = validation.agreement_by_offense(agency_pairs).reset_index()
log.table(
    agency_table,
    "tab_validation_nc_agency_vs_cius_sheriff",
    description=f"NC agency panel vs CIUS sheriff panel, same agencies, {agency_years[0]}-{agency_years[-1]}: cells compared and identical, by offense",
)
for r in agency_table.itertuples():
    log.value(f"nc_agency_{r.offense}_share_identical", r.share_identical)
agency_table

# %% [markdown]
# The compared cells whose counts differ.

# %%
agency_differ = agency_pairs[
    (agency_pairs["status"] == "compared") & ~agency_pairs["identical"]
].sort_values(["year", "fips", "offense"])
log.table(
    agency_differ,
    "tab_validation_nc_agency_differences",
    description=f"The cells where the NC agency panel and the CIUS sheriff panel differ, {agency_years[0]}-{agency_years[-1]}",
)
agency_differ

# %%
print(log.finish())
