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
# # 06 Power, and what a null result means
#
# **Learning goals** (about 35 minutes of class)
# 1. Read "no significant effect" correctly: an interval, not a zero.
# 2. Compute the minimum detectable effect (MDE) of a design, by simulation on
#    the panel itself and by the textbook approximation
#    `MDE ~ (z_{1-alpha/2} + z_{power}) x SE`.
# 3. Check an MDE against the truth: at a true effect equal to the MDE, the
#    test should reject about `power` of the time.
#
# **Setting.** The North Carolina 287(g) design of notebook 05 (100 counties,
# nine adopting 2006-2009, 2003-2013) with **simulated** log crime rates and
# no true effect, as the studies found.
#
# **Outputs.** `reports/figures/teaching/fig_teaching_06_power_curve.*`.
# **Run time.** In the README's run-time table (`benchmarks/suite_timings.py` measures it).

# %% tags=["parameters"]
true_effect = 0.0  # the effect in the "observed" panel
noise_sd = 0.10  # county-year noise of the log crime rate
rho = 0.5  # serial correlation of the noise
power = 0.8  # target power
alpha = 0.05
n_sim = 300  # placebo assignments for the power curve
n_reps = 200  # fresh panels to check the MDE
seed = 6
interactive = True  # sliders when a live kernel is present (papermill runs pass False)

# %%
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display
from scipy import stats

from enforcement_crime import estimators as est
from enforcement_crime import plots, reports
from enforcement_crime.facts import nc_287g_agreements
from enforcement_crime.panels import data_banner
from enforcement_crime.simulate import Effect, simulate_staggered
from enforcement_crime.teaching import (
    check,
    explore,
    false_positive_note,
    label_synthetic,
    near,
    self_check,
)

plots.use_style("paper")

years = nc_287g_agreements()["signed"].dt.year.value_counts().sort_index()
COHORTS = {0: 100 - int(years.sum()), **{int(y): int(n) for y, n in years.items()}}


def simulate(true_effect=true_effect, noise_sd=noise_sd, seed=seed):
    df = simulate_staggered(n_units=100, periods=(2003, 2013), cohorts=COHORTS, effect=Effect(att=true_effect),
                            n_states=1, unit_sd=0.4, time_sd=0.05, noise_sd=noise_sd, rho=rho, seed=seed)  # fmt: skip
    return label_synthetic(df, f"simulate_staggered (NC design), seed {seed}, true effect {true_effect}")


def rejects(d):
    """Two-sided CR1 t-test of the TWFE coefficient, t(G-1), as minimum_detectable_effect's "twfe"."""
    fit = est.twfe(d, "y", "unit", "time", "cohort", cluster="unit")
    return 2 * stats.t.sf(abs(fit.estimate / fit.std_error), df=fit.n_clusters - 1) < alpha


df = simulate()
data_banner(df)

# %%
fit = est.twfe(df, "y", "unit", "time", "cohort", cluster="unit")
print(fit.summary())
p_fit = 2 * stats.t.sf(abs(fit.estimate / fit.std_error), df=fit.n_clusters - 1)  # the test rejects() applies
print(false_positive_note(p_fit, alpha, what="t-test of no effect", null=f"a true effect of {true_effect:g}"))
print(f"\n'No significant effect' here means: effects between {fit.to_frame()['conf_low'][0]:.3f} and "
      f"{fit.to_frame()['conf_high'][0]:.3f} log points are consistent with the data.")  # fmt: skip

# %% [markdown]
# ## The power curve of this design
# `minimum_detectable_effect` reassigns the nine adoption dates at random
# (placebo designs with the same cohort sizes), adds an effect `tau` to the
# placebo-treated cells, and records how often the test rejects.

# %%
mde = est.minimum_detectable_effect(df, "y", "unit", "time", "cohort", cluster="unit", n_sim=n_sim,
                                    power=power, alpha=alpha, seed=seed)  # fmt: skip
display(mde.to_frame()[["term", "estimate", "notes"]])
curve = mde.extra["power_curve"]
mde_sim = float(mde.term("MDE")["estimate"])
fig, ax = plt.subplots()
ax.errorbar(curve["effect"], curve["power"], yerr=1.96 * curve["mc_se"], marker="o", capsize=2)
ax.axhline(power, color="grey", ls="--")
ax.axvline(mde_sim, color="#D55E00", ls=":", label=f"MDE {mde_sim:.3f}")
ax.set_xlabel("True effect (log points)")
ax.set_ylabel("Rejection rate")
ax.set_title("Power of the NC 287(g) design")
ax.legend()
reports.save_figure(fig, "fig_teaching_06_power_curve", curve, study="teaching", synthetic=True)
plt.show()

# %% [markdown] tags=["exercise"]
# ### Exercise 1: the textbook approximation
# Compute `(t_{1-alpha/2} + t_{power}) x SE` with the TWFE standard error and
# `G - 1` degrees of freedom. How close is it to the simulated MDE? Why might
# they differ?

# %% tags=["exercise"]
mde_formula = ...

# %% tags=["solution"]
dof = fit.n_clusters - 1
mde_formula = (stats.t.ppf(1 - alpha / 2, dof) + stats.t.ppf(power, dof)) * fit.std_error
print(f"formula {mde_formula:.4f}; simulated {mde_sim:.4f}; package's analytic {mde.term('MDE(analytic)')['estimate']:.4f}")
# the formula uses this panel's SE; the simulation uses placebo SEs and the t-test's true size
# (cluster-robust tests over-reject with 9 treated clusters, notebook 05): agreement within 25%
check("MDE formula", mde_formula, mde_sim, 0.25 * mde_sim, "approximation: one SE vs the placebo SE distribution",
      against="the simulated MDE")  # fmt: skip

# %% tags=["self-check"]
self_check(
    "Exercise 1 (the textbook approximation)",
    lambda: near(mde_formula, mde_sim, 0.25 * mde_sim, "your formula's MDE"),
    "add the t quantiles at 1 - alpha/2 and at power with G - 1 degrees of freedom "
    "(G = fit.n_clusters; scipy's stats.t.ppf) and multiply by fit.std_error; it should land "
    "within 25% of the simulated MDE",
)

# %% [markdown] tags=["exercise"]
# ### Exercise 2: check the MDE against the truth
# Simulate `n_reps` fresh panels with a true effect equal to the simulated MDE
# and compute how often the test rejects. It should be close to `power`.

# %% tags=["exercise"]
power_at_mde = ...

# %% tags=["solution"]
power_at_mde = np.mean([rejects(simulate(mde_sim, seed=2000 + r)) for r in range(n_reps)])
mc_se = np.sqrt(power * (1 - power) / n_reps)
print(f"rejection rate at the MDE: {power_at_mde:.3f} (target {power}, Monte-Carlo SE {mc_se:.3f})")
check("power at the MDE", power_at_mde, power, 3 * mc_se, "3 Monte-Carlo SEs of a rate over n_reps panels")

# %% tags=["self-check"]
self_check(
    "Exercise 2 (the MDE against the truth)",
    lambda: near(power_at_mde, power, 3 * np.sqrt(power * (1 - power) / n_reps), "your rejection rate"),
    "simulate n_reps panels with simulate(mde_sim, seed=...) (a different seed each), apply "
    "rejects() to each and take the mean: it should be close to power",
)

# %% [markdown]
# ## Explore
# Noisier outcomes (rare crimes, small counties) raise the MDE; so would fewer
# treated counties. Compare the MDE with effect sizes that would matter for
# policy before calling a null result "no effect".


# %%
def show(noise_sd=noise_sd):
    r = est.minimum_detectable_effect(simulate(0.0, noise_sd), "y", "unit", "time", "cohort", cluster="unit",
                                      n_sim=100, seed=seed)  # fmt: skip
    print(r.to_frame()[["term", "estimate"]].to_string(index=False))


explore(show, interactive, noise_sd=(0.02, 0.3, 0.02))

# %% [markdown]
# **Take-away.** "No significant effect" with an MDE of, say, 8% says the
# design could not see effects smaller than that; the interval, not the
# p-value, is the finding. Report both.
