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
# # 05 Inference with few treated clusters: the North Carolina setting
#
# **Learning goals** (about 45 minutes of class)
# 1. See why cluster-robust standard errors mislead when only a few clusters
#    are treated, even with 100 clusters in all.
# 2. Use the wild cluster bootstrap (null imposed) and randomization inference
#    (permuting whole adoption dates) instead, and know what each assumes.
# 3. Measure the size of each test by simulation, where the truth (no effect)
#    is known.
#
# **Setting.** Forrester and Nowrasteh (2018) study 287(g) in North Carolina:
# 100 counties, 2003-2013, nine treated jurisdictions whose agreements were
# signed 2006-2009 (`enforcement_crime.facts.nc_287g_agreements`, Table A1).
# Here adoption years are those signing years (a county is counted treated
# from the year it signed, partial first year included: a choice, stated).
# The outcomes are **simulated** (log crime rates with county and year effects
# and serially correlated noise), so we know the true effect.
#
# **Outputs.** `reports/figures/teaching/fig_teaching_05_size.*` (slides style),
# `reports/tables/teaching/tab_teaching_05_inference.*`. **Run time.** In the README's run-time table (`benchmarks/suite_timings.py` measures it).

# %% tags=["parameters"]
true_effect = 0.0  # true effect of 287(g) on the log crime rate
noise_sd = 0.10  # county-year noise of the log crime rate
rho = 0.5  # serial correlation of the noise
n_reps = 400  # simulated panels for the size study (Monte-Carlo SE of a 5% rate: 1.1 points)
n_boot = 399  # wild bootstrap draws per panel
n_perm = 199  # permutations per panel
alpha = 0.05
seed = 5
interactive = True  # sliders when a live kernel is present (papermill runs pass False)

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import display
from scipy import stats

from enforcement_crime import estimators as est
from enforcement_crime import plots, reports
from enforcement_crime.facts import nc_287g_agreements
from enforcement_crime.panels import data_banner
from enforcement_crime.simulate import Effect, simulate_staggered
from enforcement_crime.teaching import (
    answered,
    check,
    check_that,
    explore,
    false_positive_note,
    label_synthetic,
    near,
    self_check,
)

plots.use_style("slides")

nc = nc_287g_agreements()
cohorts = nc["signed"].dt.year.value_counts().sort_index()
COHORTS = {0: 100 - int(cohorts.sum()), **{int(y): int(n) for y, n in cohorts.items()}}
print("counties by adoption year (0 = never):", COHORTS)


def simulate(true_effect=true_effect, seed=seed):
    df = simulate_staggered(n_units=100, periods=(2003, 2013), cohorts=COHORTS, effect=Effect(att=true_effect),
                            n_states=1, unit_sd=0.4, time_sd=0.05, noise_sd=noise_sd, rho=rho, seed=seed)  # fmt: skip
    return label_synthetic(df, f"simulate_staggered (NC design), seed {seed}, true effect {true_effect}")


df = simulate()
got = df.groupby("unit")["cohort"].first().value_counts().to_dict()
assert got == COHORTS, f"the simulated design {got} is not the NC design {COHORTS}"
data_banner(df)


def three_tests(d, seed):
    """p-values of H0: no effect by cluster-robust t (CR1, t(G-1)), wild cluster bootstrap, randomization.

    One fit; the bootstrap and the permutations are inference on that fitted model (no refit),
    the same numbers as `est.wild_cluster_bootstrap(...)` and `est.randomization_inference(...)`.
    """
    fit = est.twfe(d, "y", "unit", "time", "cohort", cluster="unit")
    t = fit.estimate / fit.std_error
    p_cr = 2 * stats.t.sf(abs(t), df=fit.n_clusters - 1)
    wcb = fit.wild_bootstrap(n_boot=n_boot, seed=seed)
    ri = fit.permute(n_perm=n_perm, seed=seed)
    return {"estimate": fit.estimate, "cluster-robust": p_cr, "wild bootstrap": wcb.p_value,
            "randomization": ri.p_value}  # fmt: skip


# %% [markdown]
# ## One panel, three answers

# %%
one = pd.Series(three_tests(df, seed)).rename("value").to_frame()
one.loc["true effect"] = true_effect
display(one)
print(false_positive_note(one.loc[["cluster-robust", "wild bootstrap", "randomization"], "value"], alpha,
                          what="test", null=f"a true effect of {true_effect:g}"))  # fmt: skip
reports.save_table(one.reset_index(names="quantity"), "tab_teaching_05_inference", study="teaching", synthetic=True)

# %% [markdown] tags=["exercise"]
# ### Exercise 1: how often does each test reject a true null?
# Simulate `n_reps` panels with **no** effect (`simulate(0.0, seed=...)`, a
# different seed each), run `three_tests` on each and compute each method's
# rejection rate at `alpha`. A correct test rejects about 5% of the time.
# Which one can you trust? Why is randomization inference exact here?

# %% tags=["exercise"]
rates = ...  # rejection rate by method

# %% tags=["solution"]
rows = [three_tests(simulate(0.0, seed=1000 + r), seed=r) for r in range(n_reps)]
sims = pd.DataFrame(rows)
methods = ["cluster-robust", "wild bootstrap", "randomization"]
rates = (sims[methods] < alpha).mean()
mc_se = np.sqrt(alpha * (1 - alpha) / n_reps)  # Monte-Carlo SE of a rejection rate at the nominal level
display(rates.rename("rejection rate").to_frame().assign(mc_se=mc_se))
# adoption dates were assigned at random and the sharp null holds: permuting whole adoption
# dates gives a test of exact size (up to the 1/(n_perm+1) grid of p-values)
check("randomization-inference size", rates["randomization"], alpha, 3 * mc_se + 1 / (n_perm + 1),
      "3 Monte-Carlo SEs of a rate plus the p-value grid")  # fmt: skip
# the wild cluster bootstrap: its size is close to nominal here (within 3 Monte-Carlo SEs either
# way); with fewer replications its measured rate is too noisy to say more
check_that("wild bootstrap size", abs(rates["wild bootstrap"] - alpha) <= 3 * mc_se,
           f"rate {rates['wild bootstrap']:.3f} within {alpha:.2f} +/- {3 * mc_se:.3f} (3 Monte-Carlo SEs)")  # fmt: skip
print(f"cluster-robust rejects {rates['cluster-robust']:.1%} of true nulls (nominal {alpha:.0%})")
fig, ax = plt.subplots()
ax.bar(rates.index, rates.to_numpy(), yerr=1.96 * mc_se, capsize=8, color=["#D55E00", "#0072B2", "#009E73"])
ax.axhline(alpha, color="black", ls="--", label=f"nominal {alpha:.0%}")
ax.set_ylabel("Rejection rate of a true null")
ax.set_title(f"9 treated of 100 clusters, {n_reps} simulated panels")
ax.legend()
reports.save_figure(fig, "fig_teaching_05_size", rates.rename("rate").rename_axis("method").reset_index().assign(mc_se=mc_se),
                  study="teaching", synthetic=True)  # fmt: skip
plt.show()

# %% tags=["self-check"]
self_check(
    "Exercise 1 (rejection rates under the null)",
    lambda: near(
        answered(rates)["randomization"],
        alpha,
        3 * np.sqrt(alpha * (1 - alpha) / n_reps) + 1 / (n_perm + 1),
        "your randomization-inference rejection rate",
    ),
    "rates should be a pandas Series (or dict) keyed by 'cluster-robust', 'wild bootstrap' and "
    "'randomization': the share of the n_reps null panels whose p-value is below alpha",
)

# %% [markdown] tags=["exercise"]
# ### Exercise 2: the randomization p-value by hand
# `randomization_inference` returns the permuted estimates in
# `extra["permutation_distribution"]`. Recompute its two-sided p-value
# `(1 + #{|b_perm| >= |b_obs|}) / (1 + B)` yourself.

# %% tags=["exercise"]
ri = ...  # est.randomization_inference(...) on df with n_perm and seed
p_by_hand = ...

# %% tags=["solution"]
ri = est.randomization_inference(df, "y", "unit", "time", "cohort", n_perm=n_perm, seed=seed)
dist = np.asarray(ri.extra["permutation_distribution"])
p_by_hand = (1 + np.sum(np.abs(dist) >= abs(ri.estimate))) / (1 + dist.size)
check("RI p-value", p_by_hand, ri.p_value, 1e-12, "same formula; exact arithmetic on counts",
      against="randomization_inference's p-value")  # fmt: skip

# %% tags=["self-check"]
self_check(
    "Exercise 2 (the randomization p-value by hand)",
    lambda: near(p_by_hand, ri.p_value, 1e-12, "your p-value"),
    'count the permuted estimates in ri.extra["permutation_distribution"] at least as large in '
    "absolute value as ri.estimate, add 1, and divide by the number of permutations plus 1",
)

# %% [markdown]
# ## Explore
# Give 287(g) a true effect and see which tests detect it (power), or raise the
# serial correlation `rho`, which makes the cluster-robust test worse.


# %%
def show(true_effect=-0.1, seed=seed):
    print(pd.Series(three_tests(simulate(true_effect, seed=seed), seed)).to_string())


explore(show, interactive, true_effect=(-0.3, 0.3, 0.01), seed=(0, 50, 1))

# %% [markdown]
# **Take-away.** With nine treated counties, the variance of the estimate is
# driven by nine clusters, not one hundred; cluster-robust t-tests then reject
# true nulls too often. Randomization inference is exact when adoption is as
# good as random across counties (the sharp null is what it tests); the wild
# cluster bootstrap needs no such design assumption, and its measured rate
# (above, with its Monte-Carlo SE) is close to nominal in this design. With
# very few treated clusters it can be conservative or liberal (MacKinnon and
# Webb 2017): measure it on your own design, with enough replications that the
# Monte-Carlo SE is small next to the distance you care about.
