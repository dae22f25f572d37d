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
# # A tour of the default panel
#
# **Question.** What does the county-year panel the studies use look like: how did
# Secure Communities (SC) and 287(g) roll out, and how did crime move in counties
# that adopted early or late?
#
# **Inputs.** The panel named by `data_source` (default: the built-in
# *synthetic* panel, `enforcement_crime.synthetic`; no download needed).
# **Outputs.** `reports/figures/tour/fig_tour_sc_rollout.*`,
# `fig_tour_trends_by_cohort.*`, `reports/tables/tour/tab_tour_panel_summary.*`
# (mapped in `reports/OUTPUTS.md`).
# **Run time.** In the README's run-time table (`benchmarks/suite_timings.py` measures it).

# %% tags=["parameters"]
data_source = "synthetic"  # "synthetic" or a processed panel name, e.g. "cius_county"
seed = 20140101  # synthetic panel seed

# %%
import matplotlib.pyplot as plt
import pandas as pd

from enforcement_crime import plots, reports
from enforcement_crime.designs.base import data_label_of
from enforcement_crime.panels import data_banner, is_synthetic, load_panel

plots.use_style("paper")
panel = load_panel(data_source, seed=seed)
synthetic = is_synthetic(panel)
log = reports.OutputLog("tour", "notebooks/tour/01-explore-default-panel.py", synthetic, data_label_of(data_source, synthetic, seed, "null"))
data_banner(panel)

# %% [markdown]
# ## The panel
# One row per county and year; keys `fips` and `year` are unique, counts are
# nullable integers (missing = not reported, never zero), rates are per 100,000.

# %%
first = panel[panel["year"] == panel["year"].min()]
reporting = first["violent"].notna()
summary = pd.DataFrame(
    {
        "counties": [panel["fips"].nunique()],
        "years": [f"{panel['year'].min()}-{panel['year'].max()}"],
        "rows": [len(panel)],
        "county-years unreported": [int(panel["index"].isna().sum())],
        "violent rate per 100k (first year, reporting counties)": [
            first.loc[reporting, "violent"].sum() / first.loc[reporting, "population"].sum() * 1e5
        ],
        "counties ever under 287(g)": [panel.groupby("fips")["g287_start"].first().notna().sum()],
    }
)
log.table(summary, "tab_tour_panel_summary", description="The panel in numbers")
summary

# %% [markdown]
# ## Secure Communities rollout
# Share of counties and of the population covered by month.

# %%
counties = panel.sort_values("year").groupby("fips").agg(sc=("sc_activation_date", "first"), pop=("population", "last"))
fig, rollout = plots.rollout_figure(counties.dropna(subset=["sc"]), date="sc", weights="pop", unit_label="counties",
                                    title="Secure Communities activation")  # fmt: skip
log.figure(fig, "fig_tour_sc_rollout", rollout, description="Share of counties and of population under SC, by month")
plt.show()

# %% [markdown]
# ## Raw crime trends by SC adoption cohort
# Population-weighted violent and property rates per 100,000, by the calendar
# year a county's SC was activated (a line at each cohort's year). Parallel
# movement before 2008 is what the difference-in-differences designs lean on.

# %%
rates = {"violent_rate": "violent", "property_rate": "property"}
with_cohort = panel.assign(sc_cohort=panel["sc_activation_date"].dt.year.fillna(0))
trends = plots.cohort_trends(with_cohort, list(rates), cohort="sc_cohort", counts=rates)
fig, _ = plots.raw_trends_plot(trends, onset_shift=0.0, legend_title="SC cohort")
log.figure(fig, "fig_tour_trends_by_cohort", trends, description="Violent and property rates by SC activation year")
plt.show()

# %%
print(log.finish())
