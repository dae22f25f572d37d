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
# **Choices** (`enforcement_crime.multiverse.ALL_CHOICES`). Choices that change
# the *sample*, each sample prepared once through the SC county design: the
# **panel** (approximate CIUS county totals `cius_county`, constant-composition
# counties `cius_county_constant`, the sheriff panel `cius_sheriff`; on the
# default data the synthetic panel only), the **window** (2004-2014, the
# design's; 2006-2014; 2004-2016) and the **treatment coding** (first full year
# after activation, the partly treated signing year kept out of the reference as
# in the design; or share of year: cohort = signing year, and TWFE takes the
# share of the year exposed as its treatment). Choices run on each sample: the
# **coverage rule** (all reported county-years; coverage indicator >= 90; full
# coverage: Maltz & Targonski's warning about imputed UCR counties, STUDIES.md
# §5), **population weights** or none, the **control group** (not yet treated;
# the last cohort, the panel cut before it is first exposed; never-treated is
# not applicable: every county is treated by 2013), county-specific linear
# **trends** (TWFE only), **controls** (none, or log population: time-varying in
# TWFE and imputation, its base-period value in Callaway-Sant'Anna), the
# **estimator** (TWFE, Callaway-Sant'Anna, imputation) and the **scale**
# (levels or log(1 + rate)). Incoherent combinations are listed, not run.
#
# **Grids.** `grid_scale = "moderate"` (default): the data source's panel and the
# design's window, both codings, the other lists below (96 specifications; add
# `"last_cohort"` to `control_groups` or `"log_population"` to `controls_options`
# to double it).
# `grid_scale = "research"` (what `make real` runs): every research panel that is
# built, three windows, both codings, three coverage rules, weights, controls,
# estimators with and without trends, both scales, not-yet-treated controls
# (`multiverse.research_choices`): 96 specifications per sample, 1,728 on the
# three real panels; on the synthetic panel 576.
#
# **How it runs.** `multiverse.plan_grid` lists the grid; `multiverse.run_samples`
# loads each panel once, prepares each
# (panel, window, coding) sample once, and sends batches of specifications that
# share their data choices to joblib workers (only the needed columns are
# shipped). `backend="dask"` runs the same call on a Dask cluster (here a local
# one; point `dask_address` at a real scheduler).
#
# **Inference.** Intervals are each estimator's analytic ones (CR1 by state for
# TWFE, the influence function clustered by state for Callaway-Sant'Anna, BJS's
# conservative variance for imputation). The size study finds that analytic CR1
# over-rejects on the realistic null in the few-state SC design, which is why the
# design's headline uses a wild cluster bootstrap: read the "share excluding
# zero" columns as an upper bound on significance. Estimates are not affected.
#
# **Inputs.** `data_source` (default: the built-in synthetic panel, true effect
# zero), `grid_scale`, `panels`. **Outputs.**
# `reports/figures/methods/fig_methods_spec_curve_{level,log}.*`,
# `reports/tables/methods/tab_methods_multiverse.*` (every specification, no
# timing columns), `tab_methods_multiverse_samples.*`,
# `tab_methods_multiverse_by_choice.*`. **Run time.** In the README's run-time
# table (`benchmarks/suite_timings.py`; `benchmarks/multiverse_scale.py` times the
# research grid).

# %% tags=["parameters"]
data_source = "synthetic"
seed = 20140101
preset = "null"
options = {}  # changes to the SC county design's declared fields, e.g. {"cluster": "state"}
outcome = "index_rate"
grid_scale = "moderate"  # or "research": panel x window x coding x ... (make real)
panels = []  # research grid: panels to use (empty: the research panels that are built; synthetic: synthetic)
# the moderate grid's choices (the research grid fixes its own: multiverse.research_choices)
treatment_rules = ["first_full_year", "share_of_year"]
coverage_rules = ["all_reported", "coverage_ge_90", "full_coverage"]
weights_options = ["population", "none"]
control_groups = ["not_yet_treated"]  # add "last_cohort" for the last cohort as the only control
trends_options = ["none", "unit_linear"]
controls_options = ["none"]  # add "log_population"
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
from enforcement_crime.reports import OutputLog

plots.use_style("paper")
design = designs.get("sc_county", **options)
sample = design.open(data_source, seed=seed, preset=preset)
print(sample.summary())
display(sample.accounting_frame())
data_banner(sample.raw)

# %% [markdown]
# ## The grid

# %%
plan = multiverse.plan_grid(sample, grid_scale, panels=panels, treatment_rule=treatment_rules,
                            coverage_rule=coverage_rules, weights=weights_options, control_group=control_groups,
                            trends=trends_options, controls=controls_options, estimator=estimators,
                            outcome_transform=transforms)  # fmt: skip
for note in plan.notes:
    print(note)
grid, shown = plan.grid, plan.shown
print(f"grid {grid_scale!r}: {len(plan.full)} combinations, {len(grid)} applicable; not run:")
display(plan.not_run())
{c: list(v) for c, v in plan.choices.items()}

# %% [markdown]
# ## Run (joblib; Dask when `backend == "dask"`)

# %%
client = None
if backend == "dask":
    from dask.distributed import Client, LocalCluster

    client = (
        Client(dask_address)
        if dask_address
        else Client(LocalCluster(n_workers=n_jobs, threads_per_worker=1, processes=True))
    )
    print(client)
results, samples = multiverse.run_samples(design, grid, outcome=outcome, seed=seed, preset=preset,
                                          n_jobs=n_jobs, backend=backend)  # fmt: skip
if client is not None:
    client.close()
status = results["status"].value_counts()
print(f"{int(status.get('ok', 0))} of {len(results)} specifications estimated ({status.to_dict()})")
# fit times vary run to run, so neither this notebook nor its tables show them (same seed, same bytes);
# benchmarks/multiverse_scale.py measures them
display(samples.drop(columns=["prepare_seconds", "label"]))

# %% [markdown]
# Every specification that did not give an estimate, with its reason (none is
# dropped: they are rows of the exported table with `status` and `note`).

# %%
not_ok = results[results["status"] != "ok"]
display(
    not_ok.groupby(["status", "note"]).size().rename("specifications").to_frame()
    if len(not_ok)
    else "all estimated"
)

# %%
log = OutputLog("methods", "notebooks/methods/01-run-multiverse.py", bool(samples["synthetic"].all()),
                multiverse.samples_label(samples))  # fmt: skip
log.table(results.drop(columns=["seconds"]), "tab_methods_multiverse",
          description="Every specification of the SC county multiverse: choices, estimate, SE, interval, N, clusters, status")  # fmt: skip
log.table(samples.drop(columns=["prepare_seconds"]), "tab_methods_multiverse_samples",
          description="The multiverse's samples (panel, window, treatment coding): units, rows, years, the design's sample rules")  # fmt: skip
results[
    ["spec_id", *shown, "outcome_transform", "estimate", "conf_low", "conf_high", "n_obs", "status"]
].head(10)

# %% [markdown]
# ## Specification curve
# Estimates sorted from lowest to highest with 95% intervals; below, the
# choices of each specification. Estimates in logs and levels are on
# different scales, so the curve is drawn per scale.

# %%
synthetic_null = bool(samples["synthetic"].all()) and preset == "null"
figure_names = {"level": "fig_methods_spec_curve_level", "log": "fig_methods_spec_curve_log"}
for transform in plan.choices["outcome_transform"]:
    sub = results[results["outcome_transform"] == transform]
    ok = sub[sub["status"] == "ok"]
    if ok["estimate"].notna().sum() == 0:
        print(f"{transform}: no estimate")
        continue
    unit = "log points" if transform == "log" else "per 100,000"
    fig, data = plots.spec_curve_plot(sub, choices=shown, reference=0.0,
                                      reference_label="zero (the synthetic panel's true effect)" if synthetic_null else "zero",
                                      ylabel=f"Effect on {outcome} ({unit})")  # fmt: skip
    fig.suptitle(f"Specification curve: Secure Communities, {outcome}, {transform}", y=1.05)
    n_note = (f"{len(ok)} of {len(sub)} specifications; N {int(ok['n_obs'].min()):,}-{int(ok['n_obs'].max()):,} "
              f"county-years; {int(ok['n_clusters'].min())}-{int(ok['n_clusters'].max())} state clusters")  # fmt: skip
    log.figure(fig, figure_names[transform], data, n_note=n_note,
               description=f"Specification curve ({transform}) of the SC county multiverse")  # fmt: skip
    plt.show()

# %% [markdown]
# ## Which choices move the estimate?
# For each option of each choice: the specifications, their mean, range and
# share whose interval excludes zero; and the paired change from switching
# from the choice's first option to this one with every other choice held
# fixed (`pairs` specifications estimated both ways). Levels and logs are
# summarised separately.

# %%
by_choice = multiverse.by_choice_all(results, choices=shown)
log.table(by_choice, "tab_methods_multiverse_by_choice",
          description="By option of each choice: mean, range, share significant, and the paired change from the first option")  # fmt: skip
by_choice

# %% [markdown]
# **Reading.** Computed from the table above: for each scale, the choices
# ordered by the largest mean paired change (in absolute value) any of their
# options makes.

# %%
print("\n".join(multiverse.choice_reading(by_choice)))

# %%
print(log.finish())
