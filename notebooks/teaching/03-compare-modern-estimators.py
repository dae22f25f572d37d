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
# # 03 Modern DiD estimators side by side, against the truth
#
# **Learning goals** (about 45 minutes of class)
# 1. Run TWFE, Sun-Abraham, Callaway-Sant'Anna, the Borusyak-Jaravel-Spiess
#    imputation estimator and Gardner's two-stage estimator on one panel with
#    one call (`compare_estimators`).
# 2. Know each estimator's estimand and why the heterogeneity-robust ones agree
#    with the true ATT while TWFE need not.
# 3. Read a dynamic (event-time) aggregation against the true effect path.
#
# **Data.** A **simulated** staggered panel (`simulate_staggered`) with a
# never-treated group and a true effect that may grow with exposure
# (`dynamic_slope`) and differ by cohort (`cohort_slope`); the truth of every
# county-year is in column `true_effect`.
#
# **Outputs.** `reports/figures/teaching/fig_teaching_03_estimators.*`,
# `reports/tables/teaching/tab_teaching_03_estimators.*`. **Run time.** In the README's run-time table (`benchmarks/suite_timings.py` measures it).

# %% tags=["parameters"]
att = -0.02  # true effect in the adoption year for the 2010 cohort (log points)
dynamic_slope = -0.03  # change of the effect per year of exposure
cohort_slope = 0.015  # change of the effect per later adoption year
rollout = "spread"  # adoption timing: "spread", "early" or "late"
n_units = 600
seed = 3
interactive = True  # sliders when a live kernel is present (papermill runs pass False)

# %%
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display

from enforcement_crime import estimators as est
from enforcement_crime import plots, reports
from enforcement_crime.panels import data_banner
from enforcement_crime.simulate import Effect, simulate_staggered, true_att
from enforcement_crime.teaching import answered, check, explore, label_synthetic, self_check

plots.use_style("paper")

ROLLOUTS = {  # cohort (adoption year) -> share of counties; 0 = never treated
    "spread": {0: 0.3, 2006: 0.2, 2008: 0.2, 2010: 0.15, 2012: 0.15},
    "early": {0: 0.3, 2004: 0.4, 2006: 0.2, 2012: 0.1},
    "late": {0: 0.3, 2009: 0.1, 2011: 0.3, 2013: 0.3},
}


def simulate(att=att, dynamic_slope=dynamic_slope, cohort_slope=cohort_slope, rollout=rollout, seed=seed):
    effect = Effect(att=att, dynamic_slope=dynamic_slope, cohort_slope=cohort_slope, ref_cohort=2010)
    df = simulate_staggered(n_units=n_units, periods=(2000, 2015), cohorts=ROLLOUTS[rollout], effect=effect,
                            n_states=40, state_shock_sd=0.02, noise_sd=0.05, rho=0.3, seed=seed)  # fmt: skip
    return label_synthetic(df, f"simulate_staggered, seed {seed}, {effect}, rollout {rollout}")


df = simulate()
truth = true_att(df)
data_banner(df)

# %% [markdown]
# ## One call, five estimators
# `compare_estimators` fits each estimator on the same sample with the same
# clustering (by state) and returns the headline ATT of each, with the estimand
# it targets.

# %%
table = est.compare_estimators(
    df, "y", "unit", "time", "cohort", cluster="state",
    estimators=("twfe", "sun_abraham", "callaway_santanna", "imputation", "two_stage"),
)  # fmt: skip
table["truth"] = truth
display(table[["estimator", "term", "estimate", "std_error", "conf_low", "conf_high", "estimand"]])
reports.save_table(table[["estimator", "term", "estimate", "std_error", "conf_low", "conf_high", "truth"]],
                  "tab_teaching_03_estimators", study="teaching", synthetic=True)  # fmt: skip
fig, ax = plt.subplots(figsize=plots.FIGSIZES["full"])
y = np.arange(len(table))
ax.errorbar(table["estimate"], y, xerr=[table["estimate"] - table["conf_low"], table["conf_high"] - table["estimate"]],
            fmt="o", capsize=3)  # fmt: skip
ax.axvline(truth, color="#D55E00", ls="--", label=f"true ATT {truth:.3f}")
ax.set_yticks(y, table["estimator"])
ax.set_xlabel("Estimated ATT (95% CI)")
ax.legend()
reports.save_figure(fig, "fig_teaching_03_estimators", table[["estimator", "estimate", "conf_low", "conf_high", "truth"]],
                  study="teaching", synthetic=True)  # fmt: skip
plt.show()

# %% [markdown] tags=["exercise"]
# ### Exercise 1: which estimators find the truth?
# The true ATT over treated county-years is `truth` (computed from the data's
# `true_effect`). For every estimator, is its estimate within 4 standard
# errors of the truth? Explain the one that is not, using notebook 02.

# %% tags=["exercise"]
within = ...  # a dict: estimator name -> True when its estimate is within 4 standard errors of truth

# %% tags=["solution"]
robust = table[table["estimator"] != "twfe"]
for _, row in robust.iterrows():
    # each of these targets the mean effect over treated observations in a balanced panel
    check(f"{row['estimator']} ATT", row["estimate"], truth, 4 * row["std_error"], "4 clustered SEs: sampling noise")
tw = table[table["estimator"] == "twfe"].iloc[0]
print(f"TWFE: {tw['estimate']:.4f}, {abs(tw['estimate'] - truth) / tw['std_error']:.1f} SEs from the truth "
      "(it averages 2x2s including forbidden comparisons)")  # fmt: skip
within = {r["estimator"]: bool(abs(r["estimate"] - truth) <= 4 * r["std_error"]) for _, r in table.iterrows()}

# %% tags=["self-check"]
def _within_check():
    given = {k: bool(v) for k, v in dict(answered(within)).items()}
    wrong = [
        r["estimator"]
        for _, r in table.iterrows()
        if given.get(r["estimator"]) != (abs(r["estimate"] - truth) <= 4 * r["std_error"])
    ]
    return not wrong, "every estimator judged right" if not wrong else f"look again at {', '.join(wrong)}"


self_check(
    "Exercise 1 (which estimators find the truth)",
    _within_check,
    "one entry per row of table, keyed by its estimator column; an estimate is within 4 "
    "standard errors when |estimate - truth| <= 4 * std_error",
)

# %% [markdown]
# ## The effect path
# Callaway-Sant'Anna's dynamic aggregation averages ATT(g, g+e) over cohorts
# observed at event time e (cohort-size weights). The truth at each e is the
# mean `true_effect` of treated cells at that event time.

# %%
cs = est.callaway_santanna(df, "y", "unit", "time", "cohort", cluster="state", aggregation="dynamic")
path = cs.to_frame().dropna(subset=["event_time"])
truth_e = true_att(df, by="event_time")
fig, ax = plt.subplots(figsize=plots.FIGSIZES["full"])
plots.event_study_plot(path, ax=ax, reference=None, label="Callaway-Sant'Anna")
ax.plot(truth_e.index.astype(float), truth_e.to_numpy(), color="#D55E00", ls="--", label="truth")
ax.legend()
reports.save_figure(fig, "fig_teaching_03_cs_dynamic",
                  path[["event_time", "estimate", "conf_low", "conf_high"]].merge(
                      truth_e.rename("truth").reset_index(), on="event_time", how="left"),
                  study="teaching", synthetic=True)  # fmt: skip
plt.show()

# %% [markdown] tags=["exercise"]
# ### Exercise 2: check the path
# For event times 0 to 3, is each dynamic estimate within 4 standard errors of
# the true effect at that event time?

# %% tags=["exercise"]
within_path = ...  # a dict: event time (0 to 3) -> True when within 4 standard errors of the truth

# %% tags=["solution"]
for e in range(4):
    row = path[path["event_time"] == e].iloc[0]
    check(f"CS e={e}", row["estimate"], truth_e.loc[e], 4 * row["std_error"], "4 clustered SEs: sampling noise")
within_path = {e: bool(abs(r["estimate"] - truth_e.loc[e]) <= 4 * r["std_error"])
               for e, r in path.set_index("event_time").loc[0:3].iterrows()}  # fmt: skip

# %% tags=["self-check"]
def _path_check():
    given = {int(k): bool(v) for k, v in dict(answered(within_path)).items()}
    rows = path.set_index("event_time").loc[0:3]
    wrong = [
        int(e) for e, r in rows.iterrows() if given.get(int(e)) != (abs(r["estimate"] - truth_e.loc[e]) <= 4 * r["std_error"])
    ]
    return not wrong, "every event time judged right" if not wrong else f"look again at event times {wrong}"


self_check(
    "Exercise 2 (the path)",
    _path_check,
    "one entry per event time 0, 1, 2, 3: compare path's estimate at that event time with "
    "truth_e at the same event time, in units of its std_error",
)

# %% [markdown]
# ## Explore
# Switch off heterogeneity (`dynamic_slope=0`, `cohort_slope=0`): all five
# agree. Try the `"early"` rollout, where most adopters are treated for a long
# time and TWFE leans hardest on forbidden comparisons.


# %%
def show(att=att, dynamic_slope=dynamic_slope, cohort_slope=cohort_slope, rollout=rollout):
    sim = simulate(att, dynamic_slope, cohort_slope, rollout)
    t = est.compare_estimators(sim, "y", "unit", "time", "cohort", cluster="state")
    print(f"true ATT {true_att(sim):+.4f}")
    print(t[["estimator", "estimate", "std_error"]].to_string(index=False))


explore(show, interactive, att=(-0.1, 0.1, 0.01), dynamic_slope=(-0.05, 0.05, 0.01),
        cohort_slope=(-0.03, 0.03, 0.005), rollout=list(ROLLOUTS))  # fmt: skip

# %% [markdown]
# **Take-away.** Callaway-Sant'Anna, Sun-Abraham, imputation and two-stage
# only compare treated cells with not-yet- or never-treated ones, so under
# parallel trends they recover the average effect whatever its heterogeneity.
# They differ in efficiency and in how they weight cells (read each estimand);
# TWFE is a special case that is right only when effects are homogeneous.
