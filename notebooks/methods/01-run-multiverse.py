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
# **Specification.** The sample, treatment coding, unit, clusters and weights
# are those of the SC county design ([`enforcement_crime.designs.sc_counties`](../../src/enforcement_crime/designs/sc_counties.py));
# the grid below varies the choices it leaves open.
#
# **Inputs.** `data_source` (default: the built-in synthetic panel, true effect
# zero). **Outputs.** `reports/figures/methods/fig_methods_spec_curve_{level,log}.*`,
# `reports/tables/methods/tab_methods_multiverse.*`. **Run time.** About
# 10-30 s on 2 cores with the defaults (96 specifications).

# %% tags=["parameters"]
data_source = "synthetic"
seed = 20140101
preset = "null"
options = {}  # changes to the SC county design's declared fields, e.g. {"rule": "share_of_year"}
outcome = "index_rate"
coverage_rules = ["all_reported", "coverage_ge_90", "full_coverage"]
weights_options = ["population", "none"]
control_groups = ["not_yet_treated", "last_cohort"]
trends_options = ["none", "unit_linear"]
estimators = ["twfe", "callaway_santanna", "imputation"]
transforms = ["level", "log"]
n_jobs = 2
backend = "loky"  # "loky", "threading" or "dask"
dask_address = ""  # a Dask scheduler address; empty: start a local cluster when backend is dask

# %%
import matplotlib.pyplot as plt
from IPython.display import display

from enforcement_crime import designs, multiverse, plots
from enforcement_crime.panels import data_banner

plots.use_style("paper")
design = designs.get("sc_county", **options)
sample = design.open(data_source, seed=seed, preset=preset)
log = sample.design.output_log(sample, study="methods", notebook="notebooks/methods/01-run-multiverse.py")
print(sample.summary())
display(sample.accounting_frame())
data_banner(sample.raw)

# %% [markdown]
# ## The grid

# %%
choices = {"coverage_rule": coverage_rules, "weights": weights_options, "control_group": control_groups,
           "trends": trends_options, "estimator": estimators, "outcome_transform": transforms}  # fmt: skip
has_never = bool((sample.data.groupby("fips")["sc_cohort"].first() == 0).any())
full = multiverse.spec_grid(choices, has_never_treated=has_never, drop_not_applicable=False)
grid = full[full["applicable"]].reset_index(drop=True).assign(spec_id=lambda g: range(len(g)))
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
results = multiverse.run_design(sample, grid, outcome=outcome, n_jobs=n_jobs, backend=backend)
if client is not None:
    client.close()
print(f"{int((results['status'] == 'ok').sum())} of {len(results)} specifications estimated; "
      f"total fit time {results['seconds'].sum():.1f} s")  # fmt: skip
# fit times vary run to run: shown here, not exported (the exported table is byte-identical for a seed)
log.table(results.drop(columns=["seconds"]), "tab_methods_multiverse", description="Every specification of the SC county multiverse with its estimate")
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
    label = "zero (the synthetic panel's true effect)" if sample.synthetic and preset == "null" else "zero"
    unit = "log points" if transform == "log" else "per 100,000"
    fig, data = plots.spec_curve_plot(sub, choices=[c for c in choices if c != "outcome_transform"], reference=0.0,
                                      reference_label=label, ylabel=f"Effect on {outcome} ({unit})")  # fmt: skip
    fig.suptitle(f"Specification curve: Secure Communities, {outcome}, {transform}")
    log.figure(fig, f"fig_methods_spec_curve_{transform}", data, description=f"Specification curve ({transform}) of the SC county multiverse")
    plt.show()

# %% [markdown]
# ## Which choices matter?
# Mean estimate by option of each choice (levels), and the share of
# specifications whose interval excludes zero.

# %%
by_choice = multiverse.by_choice(results, transform="level")
log.table(by_choice, "tab_methods_multiverse_by_choice", description="Mean, range and share significant of the level estimates by option")
by_choice

# %%
print(log.finish())
