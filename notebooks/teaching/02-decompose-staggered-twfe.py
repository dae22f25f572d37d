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
# # 02 Staggered adoption: why two-way fixed effects can mislead
#
# **Learning goals** (about 50 minutes of class)
# 1. Write the static TWFE coefficient as a weighted sum of the true
#    cell-level effects, and find the cells that get **negative weight**.
# 2. Use the Goodman-Bacon decomposition to see which 2x2 comparisons TWFE
#    averages, including "forbidden" ones that use already-treated counties as
#    controls.
# 3. See TWFE miss the true ATT when effects grow with exposure, even though
#    every county's trends are parallel.
#
# **Data.** The built-in **synthetic** county panel
# (`enforcement_crime.synthetic.make_panel`, preset `"dynamic"`): Secure
# Communities (SC) rolls out 2008-2013 and its true effect on crime grows with
# exposure and differs by adoption cohort. The truth is stored in the data
# (`sc_true_effect`, log points), so we can check every number.
#
# **Outputs.** `reports/figures/teaching/fig_teaching_02_twfe_weights.*`,
# `fig_teaching_02_bacon.*` (slides style). **Run time.** In the README's run-time table (`benchmarks/suite_timings.py` measures it).

# %% tags=["parameters"]
preset = "dynamic"  # true SC effects: "dynamic" (grow with exposure), "homogeneous" or "null"
dynamic_slope = None  # override the preset: change of the effect per year of exposure, e.g. -0.03
cohort_slope = None  # override the preset: change of the effect per later adoption year, e.g. 0.015
min_population = 25_000  # keep counties at least this large in every year (log rates are noisy below)
seed = 20140101
interactive = True  # sliders when a live kernel is present (papermill runs pass False)

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import display

from enforcement_crime import estimators as est
from enforcement_crime import plots, reports, synthetic
from enforcement_crime.panels import data_banner
from enforcement_crime.simulate import Effect
from enforcement_crime.teaching import answered, check, check_that, explore, self_check

plots.use_style("slides")


def load(preset, dynamic_slope=None, cohort_slope=None, seed=seed):
    """The synthetic panel with the chosen SC effect; the study sample; an accounting of drops."""
    if dynamic_slope is None and cohort_slope is None:
        raw = synthetic.make_panel(seed=seed, preset=preset)
    else:
        base = synthetic.PRESETS[preset].sc
        sc = Effect(att=base.att, ref_cohort=2010,
                    dynamic_slope=base.dynamic_slope if dynamic_slope is None else dynamic_slope,
                    cohort_slope=base.cohort_slope if cohort_slope is None else cohort_slope)  # fmt: skip
        raw = synthetic.make_panel(seed=seed, effects=synthetic.Effects(sc=sc))
    by_county = raw.groupby("fips").agg(min_pop=("population", "min"), unreported=("index", lambda s: s.isna().sum()),
                                        zero=("index", lambda s: (s == 0).sum()))  # fmt: skip
    small = by_county["min_pop"] < min_population
    missing = ~small & ((by_county["unreported"] > 0) | (by_county["zero"] > 0))
    keep = by_county.index[~small & ~missing]
    drops = pd.DataFrame({
        "reason": [f"population below {min_population:,} in some year", "an unreported or zero index count in some year", "kept"],
        "counties": [int(small.sum()), int(missing.sum()), len(keep)],
    })  # fmt: skip
    df = raw[raw["fips"].isin(keep)].copy()
    df["log_index"] = np.log(df["index_rate"].astype(float))
    df["cohort"] = df["sc_activation_date"].dt.year.astype(int)
    df["D"] = (df["year"] >= df["cohort"]).astype(int)
    return raw, df, drops


raw, df, drops = load(preset, dynamic_slope, cohort_slope)
data_banner(raw)

# %% [markdown]
# ## The sample
# Every county is eventually treated (SC reached all counties by January 2013),
# so there is no never-treated group. No county is dropped silently:

# %%
drops

# %%
truth_att = df.loc[df["D"] == 1, "sc_true_effect"].mean()
truth_by_e = df[df["D"] == 1].assign(e=lambda x: x["year"] - x["cohort"]).groupby("e")["sc_true_effect"].mean()
print(f"true ATT over treated county-years: {truth_att:.4f} log points")
truth_by_e.rename("true effect by years since adoption").to_frame().T

# %% [markdown]
# ## What does TWFE estimate?
# The static TWFE coefficient of `log_index` on `D_it` with county and year
# effects is, by Frisch-Waugh-Lovell, `beta = sum_it w_it y_it` with
# `w_it = Dtilde_it / sum(Dtilde_it^2)`, where `Dtilde` is `D` after removing
# county and year means (in a balanced panel:
# `Dtilde_it = D_it - mean_i(D) - mean_t(D) + mean(D)`). The fixed effects
# drop out, so TWFE estimates `sum_it w_it tau_it`: a weighted average of the
# true effects, with weights that sum to one over treated cells but **can be
# negative**.

# %% [markdown] tags=["exercise"]
# ### Exercise 1: the implicit TWFE weights
# Compute `w_it` for every county-year. Check that the weights of treated cells
# sum to one, that TWFE run on the true effect itself (`outcome="sc_true_effect"`)
# returns exactly `sum_it w_it tau_it`, and find the share of treated cells
# with negative weight. Which cells are they?

# %% tags=["exercise"]
w = ...  # one weight per row of df

# %% tags=["solution"]
D = df["D"].astype(float)
Dt = D - D.groupby(df["fips"]).transform("mean") - D.groupby(df["year"]).transform("mean") + D.mean()
w = Dt / (Dt**2).sum()
df["w"] = w
implied = float((w * df["sc_true_effect"]).sum())
check("sum of treated weights", w[df["D"] == 1].sum(), 1.0, 1e-10, "identity: sum(w D) = 1; rounding only")
on_truth = est.twfe(df, "sc_true_effect", "fips", "year", "cohort")
check("TWFE on the true effect", on_truth.estimate, implied, 1e-8,
      "FWL identity on a balanced panel; iterative demeaning converges to ~1e-12", against="sum w*tau")  # fmt: skip
neg = df[(df["D"] == 1) & (df["w"] < 0)]
check_that("negative weights exist", len(neg) > 0,
           f"{len(neg) / (df['D'] == 1).sum():.1%} of treated cells have w < 0, "
           f"mostly early adopters late in the panel: {neg.groupby('cohort')['year'].min().to_dict()}")  # fmt: skip
print(f"TWFE targets {implied:.4f}; the true ATT is {truth_att:.4f}")

# %% tags=["self-check"]
def _weights_check():
    treated, total = float(w[df["D"] == 1].sum()), float(w.sum())
    ok = abs(treated - 1) < 1e-8 and abs(total) < 1e-8
    return ok, f"the treated cells' weights sum to {treated:.6g} and all weights to {total:.3g}"


self_check(
    "Exercise 1 (the implicit TWFE weights)",
    _weights_check,
    "residualize D on county and year (D minus its county mean minus its year mean plus the "
    "overall mean) and divide by the sum of the squared residuals: the treated cells' weights "
    "then sum to 1 and all weights to 0",
)

# %%
weights_by_e = (
    df[df["D"] == 1].assign(e=lambda x: x["year"] - x["cohort"])
    .groupby(["cohort", "e"])["w"].sum().reset_index()
) if "w" in df else pd.DataFrame()  # fmt: skip
if not weights_by_e.empty:
    fig, ax = plt.subplots()
    for g, part in weights_by_e.groupby("cohort"):
        ax.plot(part["e"], part["w"], marker="o", label=str(g))
    ax.axhline(0, color="black", lw=1)
    ax.set_xlabel("Years since SC activation")
    ax.set_ylabel("Total TWFE weight")
    ax.set_title("TWFE weights on treated cells, by adoption cohort")
    ax.legend(title="cohort", ncols=3)
    reports.save_figure(fig, "fig_teaching_02_twfe_weights", weights_by_e, study="teaching", synthetic=True)
    plt.show()

# %% [markdown]
# ## The estimate on the outcome
# Now TWFE on the noisy log index crime rate, standard errors clustered by state.

# %%
fit = est.twfe(df, "log_index", "fips", "year", "cohort", cluster="state")
print(fit.summary())
print(f"\ntrue ATT {truth_att:.4f}")

# %% [markdown] tags=["exercise"]
# ### Exercise 2: is TWFE wrong, or estimating something else?
# Compare the TWFE estimate with (a) the true ATT and (b) `sum w*tau`. Which
# one is it close to, relative to its standard error?

# %% tags=["exercise"]
closer_to = ...  # "true ATT" or "sum w*tau": which one is the TWFE estimate closer to?

# %% tags=["solution"]
check("TWFE on log_index", fit.estimate, implied, 4 * fit.std_error,
      "4 state-clustered SEs: sampling noise around its own estimand", against="sum w*tau")  # fmt: skip
print(f"TWFE's own estimand sum(w*tau) {implied:.4f}; true ATT {truth_att:.4f}, "
      f"{abs(fit.estimate - truth_att) / fit.std_error:.1f} standard errors from the estimate")  # fmt: skip
closer_to = "sum w*tau" if abs(fit.estimate - implied) < abs(fit.estimate - truth_att) else "true ATT"

# %% tags=["self-check"]
def _closer_check():
    implied_by_w = float((answered(w) * df["sc_true_effect"]).sum())
    nearer = "sum w*tau" if abs(fit.estimate - implied_by_w) < abs(fit.estimate - truth_att) else "true ATT"
    return answered(closer_to) == nearer, f"you said {closer_to!r}"


self_check(
    "Exercise 2 (TWFE's estimand)",
    _closer_check,
    'answer "true ATT" or "sum w*tau" (after Exercise 1): compare the distance of fit.estimate '
    "from truth_att and from sum(w * sc_true_effect), in standard errors",
)

# %% [markdown]
# ## The Goodman-Bacon decomposition
# The same coefficient is a weighted average of every 2x2 DiD between two
# adoption cohorts (earlier vs later, and later vs earlier: the "forbidden"
# comparison that uses already-treated counties as controls).

# %%
bacon = est.bacon_decomposition(df, "log_index", "fips", "year", "cohort")
comps = bacon.extra["comparisons"]
display(bacon.extra["by_type"])
fig, ax = plt.subplots()
for kind, part in comps.groupby("type"):
    ax.scatter(part["weight"], part["estimate"], label=kind, s=60)
ax.axhline(bacon.extra["twfe"], color="black", ls="--", label="TWFE")
ax.axhline(truth_att, color="#D55E00", ls=":", label="true ATT")
ax.set_xlabel("Weight of the 2x2 comparison")
ax.set_ylabel("2x2 DiD estimate")
ax.set_title("Goodman-Bacon decomposition of TWFE")
ax.legend(fontsize=11)
reports.save_figure(fig, "fig_teaching_02_bacon", comps, study="teaching", synthetic=True)
plt.show()

# %% [markdown] tags=["exercise"]
# ### Exercise 3: put the 2x2s back together
# Show that the weights sum to one and the weighted 2x2 estimates give back the
# TWFE coefficient. What weight do the forbidden comparisons get, and is their
# average 2x2 above or below the truth?

# %% tags=["exercise"]
total_weight = ...  # the sum of the Bacon weights
recombined = ...  # the weighted sum of the 2x2 estimates

# %% tags=["solution"]
check("sum of Bacon weights", comps["weight"].sum(), 1.0, 1e-10, "the weights are shares; rounding only")
check("weighted 2x2s", (comps["weight"] * comps["estimate"]).sum(), fit.estimate, 1e-8,
      "exact decomposition; demeaning converges to ~1e-12", against="TWFE")  # fmt: skip
forbidden = comps[comps["type"].str.contains("forbidden")]
print(f"forbidden comparisons: weight {forbidden['weight'].sum():.3f}, "
      f"weighted mean 2x2 {np.average(forbidden['estimate'], weights=forbidden['weight']):.4f} "
      f"vs true ATT {truth_att:.4f}")  # fmt: skip
total_weight = comps["weight"].sum()
recombined = (comps["weight"] * comps["estimate"]).sum()

# %% tags=["self-check"]
self_check(
    "Exercise 3 (the 2x2s put back together)",
    lambda: (
        abs(total_weight - 1) < 1e-8 and abs(recombined - fit.estimate) < 1e-8,
        f"the weights sum to {total_weight:.6g}; the weighted 2x2s give {recombined:.6g}",
    ),
    'sum comps["weight"], and sum comps["weight"] * comps["estimate"]: the first is 1 and the '
    "second is the TWFE coefficient fit.estimate",
)

# %% [markdown]
# ## Explore
# Set the effect to be constant (`dynamic_slope=0`, `cohort_slope=0`): TWFE's
# estimand and the true ATT then coincide. Make effects grow faster with
# exposure and watch them separate.


# %%
def show(dynamic_slope=-0.03, cohort_slope=0.015):
    _, sim, _ = load("dynamic", dynamic_slope, cohort_slope)
    Ds = sim["D"].astype(float)
    Dts = Ds - Ds.groupby(sim["fips"]).transform("mean") - Ds.groupby(sim["year"]).transform("mean") + Ds.mean()
    target = float((Dts * sim["sc_true_effect"]).sum() / (Dts**2).sum())
    print(f"TWFE estimand {target:+.4f}   true ATT {sim.loc[sim['D'] == 1, 'sc_true_effect'].mean():+.4f}")


explore(show, interactive, dynamic_slope=(-0.06, 0.0, 0.01), cohort_slope=(-0.03, 0.03, 0.005))

# %% [markdown]
# **Take-away.** With staggered adoption, TWFE compares newly treated counties
# with already-treated ones. When effects change over time those comparisons
# subtract part of the effect, some treated cells get negative weight, and the
# coefficient can be far from (even of the opposite sign to) the average effect,
# although no assumption about trends is violated. Notebook 03 shows estimators
# that avoid the forbidden comparisons.
