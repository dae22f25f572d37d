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
# `fig_tour_trends_by_cohort.*`, `reports/tables/tour/tab_tour_panel_summary.*`.
# **Run time.** A few seconds.

# %% tags=["parameters"]
data_source = "synthetic"  # "synthetic" or a processed panel name, e.g. "cius_county"
seed = 20140101  # synthetic panel seed
study = "tour"

# %%
import matplotlib.pyplot as plt
import pandas as pd

from enforcement_crime import plots, tables
from enforcement_crime.panels import data_banner, is_synthetic, load_panel

plots.use_style("paper")
panel = load_panel(data_source, seed=seed)
synthetic = is_synthetic(panel)
data_banner(panel)

# %% [markdown]
# ## The panel
# One row per county and year; keys `fips` and `year` are unique, counts are
# nullable integers (missing = not reported, never zero), rates are per 100,000.

# %%
first = panel[panel["year"] == panel["year"].min()]
summary = pd.DataFrame(
    {
        "counties": [panel["fips"].nunique()],
        "years": [f"{panel['year'].min()}-{panel['year'].max()}"],
        "rows": [len(panel)],
        "county-years unreported": [int(panel["index"].isna().sum())],
        "violent rate per 100k (first year, reporting counties)": [
            first.loc[first["violent"].notna(), "violent"].sum()
            / first.loc[first["violent"].notna(), "population"].sum() * 1e5
        ],
        "counties ever under 287(g)": [panel.groupby("fips")["g287_start"].first().notna().sum()],
    }
)
tables.save_table(summary, "tab_tour_panel_summary", study=study, synthetic=synthetic)
summary

# %% [markdown]
# ## Secure Communities rollout
# Share of counties and of the population covered by month.

# %%
counties = panel.sort_values("year").groupby("fips").agg(
    sc=("sc_activation_date", "first"), pop=("population", "last"), g287=("g287_start", "first")
)
counties = counties.dropna(subset=["sc"])
fig, ax = plt.subplots()
_, by_county = plots.rollout_plot(counties["sc"], ax=ax, label="counties")
_, by_pop = plots.rollout_plot(counties["sc"], counties["pop"], ax=ax, label="population")
ax.set_title("Secure Communities activation")
ax.legend()
rollout = pd.concat([by_county, by_pop], ignore_index=True)
plots.save_figure(fig, "fig_tour_sc_rollout", rollout, study=study, synthetic=synthetic)
plt.show()

# %% [markdown]
# ## Raw crime trends by SC adoption cohort
# Population-weighted violent and property rates per 100,000, by the year a
# county's SC was activated. Parallel movement before 2008 is what the
# difference-in-differences designs lean on.

# %%
cohort = panel["sc_activation_date"].dt.year.rename("sc_cohort")
reported = panel.dropna(subset=["violent", "property"]).assign(sc_cohort=cohort)
trends = (
    reported.groupby(["sc_cohort", "year"])[["violent", "property", "population"]].sum()
    .assign(violent_rate=lambda d: d["violent"] / d["population"] * 1e5,
            property_rate=lambda d: d["property"] / d["population"] * 1e5)
    .reset_index()
)  # fmt: skip
fig, axes = plt.subplots(1, 2, figsize=plots.FIGSIZES["full"])
for (name, group) in trends.groupby("sc_cohort"):
    axes[0].plot(group["year"], group["violent_rate"], label=str(name))
    axes[1].plot(group["year"], group["property_rate"], label=str(name))
axes[0].set_title("Violent crime rate")
axes[1].set_title("Property crime rate")
for ax in axes:
    ax.axvline(2008.8, color="grey", ls="--", lw=0.8)
    ax.set_xlabel("Year")
axes[0].set_ylabel("per 100,000")
axes[1].legend(title="SC cohort", ncols=2)
plots.save_figure(fig, "fig_tour_trends_by_cohort", trends, study=study, synthetic=synthetic)
plt.show()
