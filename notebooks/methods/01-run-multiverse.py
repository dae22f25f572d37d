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
# # The multiverse: every open choice of the Secure Communities county design
#
# **Question.** How much do the choices the studies leave open move the
# estimated effect of Secure Communities on county crime?
#
# **Choices** (`enforcement_crime.multiverse.CHOICES`): the coverage rule
# (all reported county-years; coverage indicator >= 90; full coverage: Maltz &
# Targonski's warning about imputed UCR counties, STUDIES.md §5), population
# weights or none, the control group (not-yet-treated; the last cohort as
# the only control, with the panel cut before it adopts; never-treated is not
# applicable: every county is treated by 2013), county-specific linear trends
# (TWFE only), the estimator (TWFE, Callaway-Sant'Anna, imputation), and levels
# or log(1 + rate). Incoherent combinations are listed, not run.
#
# **How it runs.** `multiverse.run_multiverse` sends each specification to a
# joblib worker with a progress bar. `backend="dask"` runs the same call on a
# Dask cluster (here a local one; point `dask_address` at a real scheduler).
#
# **Inputs.** `data_source` (default: the built-in synthetic panel, true effect
# zero). **Outputs.** `reports/figures/methods/fig_methods_spec_curve_{level,log}.*`,
# `reports/tables/methods/tab_methods_multiverse.*`. **Run time.** About
# 10-30 s on 2 cores with the defaults (96 specifications).

# %% tags=["parameters"]
data_source = "synthetic"
seed = 20140101
preset = "null"
first_year = 2004
last_year = 2014
outcome = "index_rate"
exposure_rule = "first_full_year"
coverage_rules = ["all_reported", "coverage_ge_90", "full_coverage"]
weights_options = ["population", "none"]
control_groups = ["not_yet_treated", "last_cohort"]
trends_options = ["none", "unit_linear"]
estimators = ["twfe", "callaway_santanna", "imputation"]
transforms = ["level", "log"]
n_jobs = 2
backend = "loky"  # "loky", "threading" or "dask"
dask_address = ""  # a Dask scheduler address; empty: start a local cluster when backend is dask
study = "methods"

# %%
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display

from enforcement_crime import multiverse, plots, studies
from enforcement_crime.panels import data_banner

plots.use_style("paper")
study_data = studies.open_study(data_source, seed=seed, preset=preset)
raw, synthetic, data_label = study_data.raw, study_data.synthetic, study_data.label
panel = raw[raw["year"].between(first_year, last_year) & raw["sc_activation_date"].notna()].copy()
print(f"left out: {int((raw['year'].between(first_year, last_year) & raw['sc_activation_date'].isna()).sum())} rows without an SC date")
panel = studies.add_treatment(panel, "sc_activation_date", rule=exposure_rule, prefix="sc")
has_never = bool((panel.groupby("fips")["sc_cohort"].first() == 0).any())
log = studies.OutputLog(study, "notebooks/methods/01-run-multiverse.py", synthetic, data_label)
data_banner(raw)

# %% [markdown]
# ## The grid

# %%
choices = {"coverage_rule": coverage_rules, "weights": weights_options, "control_group": control_groups,
           "trends": trends_options, "estimator": estimators, "outcome_transform": transforms}  # fmt: skip
full = multiverse.spec_grid(choices, has_never_treated=has_never, drop_not_applicable=False)
grid = full[full["applicable"]].reset_index(drop=True)
grid["spec_id"] = range(len(grid))
print(f"{len(full)} combinations, {len(grid)} applicable; not run:")
display(full.loc[~full["applicable"], "why_not"].value_counts().rename("combinations").to_frame())

# %% [markdown]
# ## Run (joblib; Dask when `backend == "dask"`)

# %%
client = None
if backend == "dask":
    from dask.distributed import Client, LocalCluster

    client = Client(dask_address) if dask_address else Client(LocalCluster(n_workers=n_jobs, threads_per_worker=1, processes=True))
    print(client)
results = multiverse.run_multiverse(panel, grid, outcome=outcome, cohort="sc_cohort", unit="fips", time="year",
                                    weights="population", cluster="state", n_jobs=n_jobs, backend=backend,
                                    tolerate_input_error=not synthetic)  # on real panels: refusals reported, not raised
if client is not None:
    client.close()
print(f"{int((results['status'] == 'ok').sum())} of {len(results)} specifications estimated; "
      f"total fit time {results['seconds'].sum():.1f} s")  # fmt: skip
log.table(results, "tab_methods_multiverse", description="Every specification of the SC county multiverse with its estimate")
results[["spec_id", *multiverse.CHOICES, "estimate", "conf_low", "conf_high", "status"]].head(10)

# %% [markdown]
# ## Specification curve
# Estimates sorted from lowest to highest with 95% intervals; below, the
# choices of each specification. Estimates in logs and levels are on
# different scales, so the curve is drawn per transform.

# %%
for transform in transforms:
    sub = results[results["outcome_transform"] == transform]
    if sub["estimate"].notna().sum() == 0:
        print(f"{transform}: no estimate")
        continue
    label = "zero (the synthetic panel's true effect)" if synthetic and preset == "null" else "zero"
    fig, data = multiverse.spec_curve_plot(sub, reference=0.0, reference_label=label,
                                           ylabel=f"Effect on {outcome} ({'log points' if transform == 'log' else 'per 100,000'})")  # fmt: skip
    fig.suptitle(f"Specification curve: Secure Communities, {outcome}, {transform}")
    log.figure(fig, f"fig_methods_spec_curve_{transform}", data, description=f"Specification curve ({transform}) of the SC county multiverse")
    plt.show()

# %% [markdown]
# ## Which choices matter?
# Mean estimate by option of each choice (levels), and the share of
# specifications whose interval excludes zero.

# %%
lv = results[(results["outcome_transform"] == "level") & (results["status"] == "ok")].copy()
lv["excludes_zero"] = (lv["conf_low"] > 0) | (lv["conf_high"] < 0)
by_choice = pd.concat(
    [lv.groupby(c).agg(specs=("estimate", "size"), mean_estimate=("estimate", "mean"), min_estimate=("estimate", "min"),
                       max_estimate=("estimate", "max"), share_excluding_zero=("excludes_zero", "mean"))
       .reset_index().rename(columns={c: "option"}).assign(choice=c) for c in multiverse.CHOICES if c != "outcome_transform"],
    ignore_index=True,
)[["choice", "option", "specs", "mean_estimate", "min_estimate", "max_estimate", "share_excluding_zero"]]  # fmt: skip
log.table(by_choice, "tab_methods_multiverse_by_choice", description="Mean, range and share significant of the level estimates by option")
by_choice

# %%
print(log.finish())
