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
# placebo draws (`estimators.placebo_calibrated_mde`, 5% size by construction).
# The MDE is also given in percent of the mean outcome.
#
# **Designs.** 287(g) North Carolina (9 treated of 100 counties, county
# clusters); Secure Communities counties (every county, state clusters);
# Secure Communities cities (or, on the synthetic panel, counties of 50,000+ as
# stand-ins). **Inputs.** `data_source` (default synthetic), `city_source`.
# **Outputs.** `reports/figures/methods/fig_methods_power_curves.*`,
# `reports/tables/methods/tab_methods_mde.*`. **Run time.** In the README's run-time table (`benchmarks/suite_timings.py` measures it).

# %% tags=["parameters"]
data_source = "synthetic"  # county panel for the SC county design
nc_source = ""  # NC panel for the 287(g) design; empty: the NC counties of data_source
city_source = ""  # city panel, e.g. city_sc; empty: counties of 50,000+ of data_source as stand-ins
seed = 20140101
preset = "null"
rule = "first_full_year"  # the partial-year rule of all three designs
outcomes = ["index_rate", "violent_rate", "property_rate"]
n_sim = 200
power = 0.8

# %%
import matplotlib.pyplot as plt

from enforcement_crime import designs, plots
from enforcement_crime.designs.mde import mde_table
from enforcement_crime.panels import data_banner

plots.use_style("paper")
opened = {
    "287(g) NC counties (Cato)": designs.get("287g_nc", rule=rule).open(nc_source or data_source, seed=seed, preset=preset),
    "SC counties (Miles & Cox)": designs.get("sc_county", rule=rule).open(data_source, seed=seed, preset=preset),
    "SC cities (Treyger et al.)": designs.get("sc_city", rule=rule).open(city_source or data_source, seed=seed, preset=preset),
}
samples = {name + (" [county stand-ins]" if getattr(s.design, "stand_in", False) else ""): s for name, s in opened.items()}
sc = opened["SC counties (Miles & Cox)"]
log = sc.design.output_log(sc, study="methods", notebook="notebooks/methods/02-compute-minimum-detectable-effects.py")
for name, s in samples.items():
    print(f"{name}: {s.summary()}")
data_banner(sc.raw)

# %% [markdown]
# ## Minimum detectable effects

# %%
mde, curves = mde_table(samples, outcomes, n_sim=n_sim, seed=seed, power=power)
log.table(mde, "tab_methods_mde", description="Minimum detectable effect of each main design (t-test, placebo-calibrated, analytic)")
mde[["design", "outcome", "mde_t_test", "mde_calibrated", "t_test_size_under_placebo", "mde_calibrated_pct_of_mean"]]

# %% [markdown]
# ## Power curves (placebo-calibrated test), in percent of the mean outcome

# %%
fig, _ = plots.power_curve_plot(curves, x="pct_of_mean", hue="design", target=power, xmax=60,
                                xlabel="Effect (% of mean outcome)")  # fmt: skip
log.figure(fig, "fig_methods_power_curves", curves, description="Power of each design against effect size (% of mean), placebo-calibrated test")
plt.show()

# %%
print(log.finish())
