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
# # What could each design have detected? Minimum detectable effects
#
# **Question.** Each study concluded "no effect". How large would an effect
# have had to be for each design, on the data used here, to be detected with
# 80% power at the 5% level?
#
# **Method.** For each main design, adoption dates are reassigned at random
# across units (cohort sizes kept; no true effect under these placebo dates),
# TWFE is re-estimated, and a constant effect is added to the placebo-treated
# observations (`enforcement_crime.estimators.minimum_detectable_effect`). Two
# tests: the design's clustered t-test (its rejection rate under placebo dates,
# the "size", shows whether it is trustworthy) and a test calibrated on the
# placebo draws (`studies.placebo_calibrated_mde`, 5% size by construction).
# The MDE is also given in percent of the mean outcome.
#
# **Designs.** 287(g) North Carolina (9 treated of 100 counties, county
# clusters); Secure Communities counties (every county, state clusters);
# Secure Communities cities (or, on the synthetic panel, counties of 50,000+ as
# stand-ins). **Inputs.** `data_source` (default synthetic), `city_source`.
# **Outputs.** `reports/figures/methods/fig_methods_power_curves.*`,
# `reports/tables/methods/tab_methods_mde.*`. **Run time.** About 10 s.

# %% tags=["parameters"]
data_source = "synthetic"  # county panel for the SC county design
nc_source = ""  # NC panel for the 287(g) design; empty: the NC counties of data_source
city_source = ""  # city panel, e.g. city_sc; empty: counties of 50,000+ of data_source as stand-ins
seed = 20140101
preset = "null"
outcomes = ["index_rate", "violent_rate", "property_rate"]
exposure_rule = "first_full_year"
n_sim = 200
alpha = 0.05
power = 0.8
study = "methods"

# %%
import matplotlib.pyplot as plt
import pandas as pd

from enforcement_crime import plots, studies
from enforcement_crime.panels import data_banner, load_panel

plots.use_style("paper")
study_data = studies.open_study(data_source, seed=seed, preset=preset)
raw, synthetic, data_label = study_data.raw, study_data.synthetic, study_data.label
estimate, design_mde = study_data.estimate, study_data.design_mde
nc_raw = load_panel(nc_source) if nc_source else raw
city_raw = load_panel(city_source) if city_source else raw
nc = nc_raw[nc_raw["fips"].str.startswith("37") & nc_raw["year"].between(2003, 2013)]
nc = studies.add_treatment(nc, "g287_start", "g287_end", rule=exposure_rule, prefix="g287")
sc = raw[raw["year"].between(2004, 2014) & raw["sc_activation_date"].notna()]
sc = studies.add_treatment(sc, "sc_activation_date", rule=exposure_rule, prefix="sc")
city_unit = "city_id" if "city_id" in city_raw.columns else "fips"
city = city_raw[city_raw["year"].between(2004, 2014) & city_raw["sc_activation_date"].notna()]
city = city[(city.groupby(city_unit)["population"].transform("median") >= 50_000).to_numpy()]
city = studies.add_treatment(city, "sc_activation_date", rule=exposure_rule, prefix="sc")
if "state" not in city.columns:
    city = city.assign(state=city["state_fips"])
designs = {
    "287(g) NC counties (Cato)": (nc, "fips", "g287_cohort", "fips"),
    "SC counties (Miles & Cox)": (sc, "fips", "sc_cohort", "state"),
    "SC cities (Treyger et al.)" + (" [county stand-ins]" if city_unit == "fips" else ""): (city, city_unit, "sc_cohort", "state"),
}
log = studies.OutputLog(study, "notebooks/methods/02-compute-minimum-detectable-effects.py", synthetic, data_label)
for name, (d, u, _, _) in designs.items():
    print(f"{name}: {d[u].nunique()} units, {d['year'].min()}-{d['year'].max()}")
data_banner(raw)

# %% [markdown]
# ## Minimum detectable effects

# %%
rows, curves = [], []
for name, (d, unit, cohort, cluster) in designs.items():
    for outcome in outcomes:
        r = design_mde(d, outcome, unit, "year", cohort, weights="population", cluster=cluster, n_sim=n_sim, seed=seed,
                               alpha=alpha, power=power)  # fmt: skip
        if isinstance(r["result"], studies.Unavailable):
            print(r["result"])
            continue
        mean_y = float((d[outcome] * d["population"]).sum() / d.loc[d[outcome].notna(), "population"].sum())
        rows.append({"design": name, "outcome": outcome, "units": d[unit].nunique(), "cluster": cluster,
                     "mde_t_test": r["mde"], "mde_calibrated": r["mde_calibrated"], "mde_analytic": r["mde_analytic"],
                     "t_test_size_under_placebo": r["size"], "weighted_mean_outcome": mean_y,
                     "mde_calibrated_pct_of_mean": 100 * r["mde_calibrated"] / mean_y, "n_sim": r["n_sim"]})  # fmt: skip
        c = r["curve_calibrated"]
        curves.append(c[c["effect"] >= 0].assign(design=name, outcome=outcome, pct_of_mean=lambda x, m=mean_y: 100 * x["effect"] / m))
mde = pd.DataFrame(rows)
log.table(mde, "tab_methods_mde", description="Minimum detectable effect of each main design (t-test, placebo-calibrated, analytic)")
mde[["design", "outcome", "mde_t_test", "mde_calibrated", "t_test_size_under_placebo", "mde_calibrated_pct_of_mean"]]

# %% [markdown]
# ## Power curves (placebo-calibrated test), in percent of the mean outcome

# %%
cur = pd.concat(curves, ignore_index=True)
fig, axes = plt.subplots(1, len(outcomes), figsize=plots.FIGSIZES["full"], squeeze=False, sharey=True)
for ax, outcome in zip(axes[0], outcomes, strict=True):
    for name, g in cur[cur["outcome"] == outcome].groupby("design", sort=False):
        g = g[g["pct_of_mean"] <= 60]
        ax.plot(g["pct_of_mean"], g["power"], label=name)
    ax.axhline(power, color="grey", lw=0.8, ls="--")
    ax.set_title(outcome.replace("_", " "))
    ax.set_xlabel("effect, % of mean outcome")
axes[0][0].set_ylabel("power")
axes[0][0].legend(fontsize=5)
studies.share_axis_labels(fig, fig.axes)
log.figure(fig, "fig_methods_power_curves", cur, description="Power of each design against effect size (% of mean), placebo-calibrated test")
plt.show()

# %%
print(log.finish())
