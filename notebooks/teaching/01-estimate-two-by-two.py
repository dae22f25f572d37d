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
# # 01 The 2x2 difference-in-differences and parallel trends
#
# **Learning goals** (about 40 minutes of class)
# 1. Compute the 2x2 DiD from four group means and say what it estimates.
# 2. See that, with one adoption date, the two-way fixed-effects (TWFE)
#    regression gives exactly the same number.
# 3. See how a violation of parallel trends biases the DiD, by exactly the
#    differential trend, and how a placebo (pre-period) DiD reveals it.
#
# **Setting.** Think of counties that sign a 287(g) agreement in 2009 and
# counties that never do; the outcome is a log crime rate. The data are
# **simulated** (`enforcement_crime.simulate.simulate_staggered`): we set the
# true effect, so every answer can be checked against the truth.
#
# **Outputs.** `reports/figures/teaching/fig_teaching_01_group_means.*` (slides style).
# **Run time.** In the README's run-time table (`benchmarks/suite_timings.py` measures it).
#
# Exercises are in cells marked *Exercise*; the instructor copy has the
# solution right after each one, checked against the truth.

# %% tags=["parameters"]
true_effect = -0.10  # true effect of adoption on the log crime rate (the knob to turn)
trend_gap = 0.0  # extra yearly trend of adopters in log points; 0 means parallel trends hold
n_units = 200  # counties, half of them adopt in 2009
noise_sd = 0.10  # county-year noise
seed = 1
interactive = True  # sliders when a live kernel is present (papermill runs pass False)

# %%
import matplotlib.pyplot as plt
import numpy as np

from enforcement_crime import estimators as est
from enforcement_crime import plots, reports
from enforcement_crime.panels import data_banner
from enforcement_crime.simulate import Effect, simulate_staggered
from enforcement_crime.teaching import answered, check, explore, label_synthetic, near, self_check

plots.use_style("slides")


def simulate(true_effect, trend_gap, n_units=n_units, noise_sd=noise_sd, seed=seed):
    """Counties 2005-2012, half adopting in 2009; adopters may trend differently (trend_gap)."""
    df = simulate_staggered(
        n_units=n_units, periods=(2005, 2012), cohorts={0: 0.5, 2009: 0.5}, effect=Effect(att=true_effect),
        unit_sd=0.5, time_sd=0.1, noise_sd=noise_sd, seed=seed,
    )  # fmt: skip
    df["group"] = np.where(df["cohort"] > 0, "adopters", "never")
    df["y"] = df["y"] + trend_gap * (df["time"] - 2005) * (df["cohort"] > 0)
    df["post"] = df["time"] >= 2009
    return label_synthetic(df, f"simulate_staggered, seed {seed}, true effect {true_effect}, trend gap {trend_gap}")


df = simulate(true_effect, trend_gap)
data_banner(df)

# %% [markdown]
# ## The four means
# Average outcome of adopters and never-adopters, before (2005-2008) and after
# (2009-2012) adoption.

# %%
means = df.groupby(["group", "post"])["y"].mean().unstack("post").rename(columns={False: "pre", True: "post"})
means

# %%
by_year = df.groupby(["group", "time"])["y"].mean().reset_index()
fig, ax = plt.subplots()
for name, g in by_year.groupby("group"):
    ax.plot(g["time"], g["y"], marker="o", label=name)
ax.axvline(2008.5, color="grey", ls="--")
ax.set_xlabel("Year")
ax.set_ylabel("Mean log crime rate")
ax.set_title("Adopters and never-adopters (adoption in 2009)")
ax.legend()
reports.save_figure(fig, "fig_teaching_01_group_means", by_year, study="teaching", synthetic=True)
plt.show()

# %% [markdown] tags=["exercise"]
# ### Exercise 1: the 2x2 DiD by hand
# From `means`, compute `did = (adopters post - adopters pre) - (never post - never pre)`.
# Also compute its standard error from the county-level changes
# `d_i = mean(post) - mean(pre)`: `se = sqrt(var_adopters(d)/n_adopters + var_never(d)/n_never)`.
# What should `did` be close to when `trend_gap = 0`? And otherwise?

# %% tags=["exercise"]
did = ...  # your answer
se = ...

# %% tags=["solution"]
did = (means.loc["adopters", "post"] - means.loc["adopters", "pre"]) - (means.loc["never", "post"] - means.loc["never", "pre"])
d = df.groupby(["unit", "group", "post"])["y"].mean().unstack("post")
d = (d[True] - d[False]).rename("d").reset_index()
v = d.groupby("group")["d"].agg(["var", "count"])
se = float(np.sqrt((v["var"] / v["count"]).sum()))
# the DiD estimates the true effect plus the differential trend times the gap between the mean
# post year (2010.5) and the mean pre year (2006.5): 4 years
expected = true_effect + trend_gap * 4
print(f"did = {did:.4f} (se {se:.4f}); true effect {true_effect}; bias from trends {trend_gap * 4:+.4f}")
check("2x2 DiD", did, expected, 4 * se, "4 standard errors: sampling noise of the county changes")

# %% tags=["self-check"]
self_check(
    "Exercise 1 (the 2x2 DiD)",
    lambda: near(did, true_effect + 4 * trend_gap, 4 * se, "your did"),
    "subtract the never-adopters' change (post minus pre) from the adopters' change, reading "
    "means.loc[group, 'post'] and means.loc[group, 'pre']; with trend_gap = 0 did should be "
    "close to true_effect, and se comes from the county-level changes d_i",
)

# %% [markdown] tags=["exercise"]
# ### Exercise 2: the same number by regression
# Fit the static TWFE regression `y_it = a_i + b_t + beta D_it + e_it` with
# `est.twfe(df, "y", "unit", "time", "cohort")`. Show that `beta` equals your
# `did` (to rounding error). Why is this exact here?

# %% tags=["exercise"]
fit = ...  # your regression

# %% tags=["solution"]
fit = est.twfe(df, "y", "unit", "time", "cohort")
print(fit.summary())
# one adoption date, balanced panel: the TWFE coefficient is algebraically the 2x2 DiD of means
check("TWFE coefficient", fit.estimate, did, 1e-10, "same algebra; only floating-point rounding differs", against="the 2x2 DiD")

# %% tags=["self-check"]
self_check(
    "Exercise 2 (the same number by regression)",
    lambda: near(fit.estimate, answered(did), 1e-8, "your TWFE coefficient"),
    'fit est.twfe(df, "y", "unit", "time", "cohort") and compare fit.estimate with your did '
    "from Exercise 1 (answer Exercise 1 first)",
)

# %% [markdown] tags=["exercise"]
# ### Exercise 3: a placebo test of parallel trends
# Use only the pre-adoption years 2005-2008 and pretend adoption happened in
# 2007. Compute the placebo DiD and its standard error as in Exercise 1. What
# should it be if trends are parallel? What if `trend_gap != 0`?

# %% tags=["exercise"]
placebo = ...  # your answer
se_placebo = ...

# %% tags=["solution"]
pre = df[df["time"] <= 2008].assign(fake_post=lambda x: x["time"] >= 2007)
dp = pre.groupby(["unit", "group", "fake_post"])["y"].mean().unstack("fake_post")
dp = (dp[True] - dp[False]).rename("d").reset_index()
g = dp.groupby("group")["d"].agg(["mean", "var", "count"])
placebo = g.loc["adopters", "mean"] - g.loc["never", "mean"]
se_placebo = float(np.sqrt((g["var"] / g["count"]).sum()))
# no one is treated before 2009, so the placebo picks up only the differential trend:
# trend_gap times the gap between mean years 2007.5 and 2005.5 (2 years)
check("placebo DiD", placebo, trend_gap * 2, 4 * se_placebo, "4 standard errors: sampling noise")

# %% tags=["self-check"]
self_check(
    "Exercise 3 (a placebo test)",
    lambda: near(placebo, 2 * trend_gap, 4 * se_placebo, "your placebo DiD"),
    "keep the years 2005-2008, call 2007-2008 'post', and compute the DiD and its standard error "
    "from the county changes as in Exercise 1; no one is treated yet, so only the trend gap "
    "over the 2 years between the mean placebo-post and placebo-pre years remains",
)

# %% [markdown]
# ## Explore
# Move the true effect and the trend gap: the DiD follows `true_effect + 4 * trend_gap`,
# and the placebo follows `2 * trend_gap`. A placebo near zero does not prove
# parallel trends, but a clearly non-zero one is a warning.


# %%
def show(true_effect=true_effect, trend_gap=trend_gap):
    sim = simulate(true_effect, trend_gap)
    m = sim.groupby(["group", "post"])["y"].mean().unstack("post")
    est_did = (m.loc["adopters", True] - m.loc["adopters", False]) - (m.loc["never", True] - m.loc["never", False])
    print(f"DiD {est_did:+.3f}   truth {true_effect:+.3f}   truth + 4 x trend gap {true_effect + 4 * trend_gap:+.3f}")


if explore(show, interactive, true_effect=(-0.3, 0.3, 0.01), trend_gap=(-0.05, 0.05, 0.005)) is None:
    show(true_effect, trend_gap)  # no sliders: one run at the parameters

# %% [markdown]
# **Take-away.** The 2x2 DiD is an average change of the treated minus the
# average change of the controls. It recovers the effect when the untreated
# outcomes of the two groups would have moved in parallel; when they would not,
# the bias is the difference in trends, and nothing in the post-period data
# alone can tell you so.
