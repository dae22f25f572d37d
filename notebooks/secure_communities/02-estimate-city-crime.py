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
# # Secure Communities and city crime: the Treyger, Chalfin & Loeffler design, rebuilt
#
# **Question.** Did Secure Communities change crime (and, where the data has
# them, clearances) in medium and large US cities?
#
# **Study.** Treyger, Chalfin & Loeffler (2014), "Immigration Enforcement,
# Policing, and Crime: Evidence from the Secure Communities Program",
# *Criminology & Public Policy* 13(2):285-322: municipal police agencies of
# medium and large cities, each given the SC activation date of its county.
# Finding: no discernible effect on crime or arrests.
#
# **Design here.** City-year panel; cohort = first treated year of the
# county's activation date; city and year FE, population weights, clustered by
# state; event study; Callaway-Sant'Anna with not-yet-treated controls and the
# imputation estimator (no never-treated cities); clearance rates when the
# panel has cleared-offense columns.
#
# **Inputs.** `data_source`: `"synthetic"` (default) or `"city_sc"` (the
# city-year panel built by `make data` from CIUS Table 8 and LEAIC). The
# built-in synthetic panel has no cities: on it, this notebook uses synthetic
# *counties* of at least `min_population` residents as stand-ins for cities
# and says so in every output. **Outputs.** `reports/figures/secure_communities/fig_sc_city_*`,
# `reports/tables/secure_communities/tab_sc_city_*`. **Run time.** About 10-20 s.

# %% tags=["parameters"]
data_source = "synthetic"  # "synthetic" or a processed city panel, e.g. "city_sc"
seed = 20140101
preset = "null"
first_year = 2004
last_year = 2014
min_population = 50_000  # "medium and large": our threshold (UCR population group 3 lower bound)
outcomes = ["index_rate", "violent_rate", "property_rate"]
exposure_rule = "first_full_year"
event_window = [-4, 3]
n_mde_sims = 200  # placebo adoption-date draws for the minimum detectable effect
alpha = 0.05
study = "secure_communities"

# %%
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display

from enforcement_crime import plots, studies
from enforcement_crime.panels import data_banner

plots.use_style("paper")
study_data = studies.open_study(data_source, seed=seed, preset=preset)
raw, synthetic, data_label = study_data.raw, study_data.synthetic, study_data.label
estimate, design_mde = study_data.estimate, study_data.design_mde
unit = "city_id" if "city_id" in raw.columns else "fips"
stand_in = unit == "fips"
if stand_in:
    data_label += f"; no city panel: counties of {min_population:,}+ residents stand in for cities"
panel = raw[raw["year"].between(first_year, last_year)].copy()
size = panel.groupby(unit)["population"].transform("median")
small = size < min_population
print(f"{panel.loc[small, unit].nunique()} units below the median population threshold {min_population:,} left out ({int(small.sum())} rows)")
panel = panel[~small.to_numpy()]
no_date = panel["sc_activation_date"].isna()
print(f"{panel.loc[no_date, unit].nunique()} units without an SC date of their county left out ({int(no_date.sum())} rows)")
panel = panel[~no_date.to_numpy()]
if panel.empty:
    raise ValueError(f"panel {data_source!r}: no unit of {min_population}+ residents with an SC date in {first_year}-{last_year}")
panel = studies.add_treatment(panel, "sc_activation_date", rule=exposure_rule, prefix="sc")
if "state" not in panel.columns:
    panel["state"] = panel["state_fips"]
clearance_cols = [c for c in panel.columns if c.startswith(("tot_clr", "clr_", "cleared")) or c.endswith("_cleared")]
if clearance_cols:
    for c in clearance_cols:
        base = c.replace("tot_clr_", "").replace("clr_", "").replace("cleared_", "").replace("_cleared", "")
        if base in panel.columns:
            panel[f"clearance_{base}"] = panel[c] / panel[base].where(panel[base] > 0)
clearance_outcomes = [c for c in panel.columns if c.startswith("clearance_")]
log = studies.OutputLog(study, "notebooks/secure_communities/02-estimate-city-crime.py", synthetic, data_label)
print(f"Data: {data_label}; {panel[unit].nunique()} units, years present {sorted(panel['year'].unique().tolist())}, {len(panel)} rows; "
      f"clearance outcomes: {clearance_outcomes or 'none in this panel'}")  # fmt: skip
data_banner(raw)

# %% [markdown]
# ## Raw trends by activation cohort

# %%
rep = panel.dropna(subset=["index"])
sums = rep.groupby(["sc_cohort", "year"])[["violent", "property", "population"]].sum()
trends = pd.DataFrame({"violent_rate": sums["violent"] / sums["population"] * 1e5,
                       "property_rate": sums["property"] / sums["population"] * 1e5}).reset_index()  # fmt: skip
fig, axes = plt.subplots(1, 2, figsize=plots.FIGSIZES["full"])
for cohort, g in trends.groupby("sc_cohort"):
    axes[0].plot(g["year"], g["violent_rate"], label=str(cohort))
    axes[1].plot(g["year"], g["property_rate"], label=str(cohort))
axes[0].set_title("Violent crime rate")
axes[1].set_title("Property crime rate")
axes[0].set_ylabel("per 100,000")
axes[1].legend(title="SC cohort", fontsize=6, ncols=2)
studies.share_axis_labels(fig, fig.axes)
log.figure(fig, "fig_sc_city_trends", trends, description="City crime rates by SC cohort" + (" (county stand-ins)" if stand_in else ""))
plt.show()

# %% [markdown]
# ## Estimates: TWFE, event study, Callaway-Sant'Anna (not yet treated), imputation

# %%
rows, es_frames, res_all = [], [], {}
all_outcomes = outcomes + clearance_outcomes
fig, axes = plt.subplots(1, len(outcomes), figsize=plots.FIGSIZES["full"], squeeze=False)
for i, outcome in enumerate(all_outcomes):
    twfe = estimate("twfe", panel, outcome, unit, "year", "sc_cohort", weights="population", cluster="state")
    es = estimate("event_study", panel, outcome, unit, "year", "sc_cohort", weights="population", cluster="state",
                          window=tuple(event_window))  # fmt: skip
    cs = estimate("callaway_santanna", panel, outcome, unit, "year", "sc_cohort", control_group="not_yet_treated",
                          weights="population", cluster="state")  # fmt: skip
    imp = estimate("imputation", panel, outcome, unit, "year", "sc_cohort", weights="population", cluster="state")
    res_all[outcome] = {"twfe": twfe, "cs": cs, "imputation": imp}
    for name, r, term in (("TWFE", twfe, None), ("Callaway-Sant'Anna (not yet)", cs, "ATT(simple)"), ("imputation", imp, None)):
        rows.append({"outcome": outcome, "specification": name,
                     **studies.headline(r, None if isinstance(r, studies.Unavailable) else term)})  # fmt: skip
    if i < len(outcomes) and not isinstance(es, studies.Unavailable):
        f = es.to_frame()
        plots.event_study_plot(f, ax=axes[0][i], reference=es.extra.get("reference_period", -1), ylabel="per 100,000")
        axes[0][i].set_title(outcome.replace("_", " "))
        es_frames.append(f.assign(outcome=outcome))
studies.share_axis_labels(fig, fig.axes)
log.figure(fig, "fig_sc_city_event_study", pd.concat(es_frames, ignore_index=True),
           description="City event study (TWFE, reference -1, 95% bands)")  # fmt: skip
plt.show()
estimates = pd.DataFrame(rows)
log.table(estimates.drop(columns=["note"]), "tab_sc_city_estimators", description="Static ATT by estimator, city panel")
estimates[["outcome", "specification", "estimate", "conf_low", "conf_high"]]

# %% [markdown]
# ## Minimum detectable effect and study vs rebuild
# TWFE rows: the package's `minimum_detectable_effect` (placebo adoption
# dates, state-clustered t-test; its size under the placebo dates is shown).
# Other estimators: (z_{0.975} + z_{0.8}) x the estimate's standard error.

# %%
svr_rows = []
for outcome in all_outcomes:
    d = design_mde(panel, outcome, unit, "year", "sc_cohort", weights="population", cluster="state",
                           n_sim=n_mde_sims, seed=seed, alpha=alpha)  # fmt: skip
    for name, key, term in (("TWFE, city+year FE, population weights, state clusters", "twfe", None),
                            ("Callaway-Sant'Anna, not-yet-treated controls", "cs", "ATT(simple)"),
                            ("imputation", "imputation", None)):  # fmt: skip
        r = res_all[outcome][key]
        h = studies.headline(r, None if isinstance(r, studies.Unavailable) else term)
        if name.startswith("TWFE,") and not isinstance(d["result"], studies.Unavailable):
            m, how = d["mde"], f"simulation: {d['n_sim']} placebo adoption-date draws, state-clustered t-test (size {d['size']:.2f})"
        else:
            m, how = studies.analytic_mde(h["std_error"], alpha), "analytic: (z_0.975 + z_0.8) x SE of this estimate"
        svr_rows.append({"outcome": outcome, "specification": name, "result": r, "term": h["term"], "mde": m, "mde_method": how})
differences = [
    ("no city panel in the synthetic data: SYNTHETIC counties of 50,000+ stand in for cities" if stand_in
     else f"city panel {data_source!r} from CIUS Table 8 matched to counties through LEAIC (see its manifest)"),
    f"medium and large = median population >= {min_population:,} (our threshold; the paper's is not in STUDIES.md)",
    "annual data; arrests (pretextual-arrest hypothesis) not in the panel" + ("" if clearance_outcomes else "; no clearance data in this panel"),
    f"years {first_year}-{last_year}, partial-year rule {exposure_rule!r}",
]
svr = studies.study_vs_rebuild("sc_city", svr_rows, data_label=data_label, differences=differences)
log.table(svr, "tab_sc_city_study_vs_rebuild", description="Paper conclusion vs our estimates, intervals and MDE (city design)")
display(svr[["outcome", "specification", "estimate", "conf_low", "conf_high", "mde"]])
print(log.finish())
