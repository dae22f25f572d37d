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
# # 07 Capstone: rebuild a Secure Communities study end to end (on synthetic data)
#
# **Learning goals** (about 60 minutes of class)
# 1. Go from a county-year panel to a documented estimation sample, with every
#    dropped county accounted for.
# 2. Choose a design for a programme that reaches **every** county (no
#    never-treated group): not-yet-treated comparisons and imputation.
# 3. Report a headline estimate with its estimand, an event study, a HonestDiD
#    sensitivity analysis and the minimum detectable effect, and check each
#    against the truth.
#
# **The study.** Miles and Cox (2014) ask whether Secure Communities (SC)
# reduced county crime rates, using its staggered activation 2008-2013 across
# more than 3,000 counties; they find no observable effect on the overall crime
# rate. We rebuild the design on the built-in **synthetic** panel, where the
# true effect is known (preset `"homogeneous"`: a 5% reduction from
# activation, or any preset you choose). **These numbers are not the paper's
# results, and not results of any study.**
#
# **Choices (stated, as the brief asks).** Outcome: log index crime rate per
# 100,000. Adoption year: the calendar year of activation (the activation year
# counts as treated; its true effect is partial). Sample years 2000-2012: SC
# reached the last counties on 2013-01-22, so from 2013 no county is untreated;
# the counties activated in 2013 serve as the not-yet-treated comparison group
# throughout. Counties below `min_population` in any year, or with an
# unreported or zero index count, are dropped (log rates of tiny counties are
# mostly noise), and counted. Unweighted; standard errors clustered by state.
#
# **Outputs.** `reports/figures/teaching/fig_teaching_07_*`,
# `reports/tables/teaching/tab_teaching_07_*`. **Run time.** In the README's run-time table (`benchmarks/suite_timings.py` measures it).

# %% tags=["parameters"]
data_source = "synthetic"  # the built-in panel
preset = "homogeneous"  # true SC effects: "homogeneous", "dynamic" or "null"
last_year = 2012  # the last year with untreated counties
min_population = 25_000
window = [-5, 4]  # event-study window; endpoints bin the event times beyond them
seed = 20140101
interactive = True  # sliders when a live kernel is present (papermill runs pass False)

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import display

from enforcement_crime import estimators as est
from enforcement_crime import plots, reports
from enforcement_crime.panels import data_banner, is_synthetic, load_panel
from enforcement_crime.teaching import answered, check, check_that, explore, self_check

plots.use_style("paper")
panel = load_panel(data_source, seed=seed, preset=preset)
synthetic = is_synthetic(panel)
assert synthetic, "this capstone checks against true effects, which only the synthetic panel has"
data_banner(panel)

# %% [markdown]
# ## Step 1: the estimation sample

# %%
def build_sample(panel, last_year=last_year, min_population=min_population):
    """County-years of the study, the adoption cohort, the outcome; and a table of what was dropped."""
    p = panel[panel["year"] <= last_year].copy()
    p["cohort"] = p["sc_activation_date"].dt.year.astype(int)
    by = p.groupby("fips").agg(min_pop=("population", "min"), bad=("index", lambda s: int((s.isna() | (s == 0)).sum())))
    small = by["min_pop"] < min_population
    bad = ~small & (by["bad"] > 0)
    keep = by.index[~small & ~bad]
    out = p[p["fips"].isin(keep)].copy()
    # activated after the sample ends: not yet treated throughout (cohort 0 for the estimators)
    out.loc[out["cohort"] > last_year, "cohort"] = 0
    out["log_index"] = np.log(out["index_rate"].astype(float))
    out["D"] = ((out["cohort"] > 0) & (out["year"] >= out["cohort"])).astype(int)
    drops = pd.DataFrame({
        "step": [f"years after {last_year} (no untreated county left)",
                 f"counties below {min_population:,} people in some year",
                 "counties with an unreported or zero index count", "kept"],
        "counties": [np.nan, int(small.sum()), int(bad.sum()), len(keep)],
        "county_years": [int((panel["year"] > last_year).sum()), int(small.sum()) * p["year"].nunique(),
                         int(bad.sum()) * p["year"].nunique(), len(out)],
    })  # fmt: skip
    return out, drops


df, drops = build_sample(panel)
assert drops["county_years"].sum() == len(panel), "every county-year is kept or dropped for a stated reason"
reports.save_table(drops, "tab_teaching_07_sample", study="teaching", synthetic=synthetic)
display(drops)
truth = float(df.loc[df["D"] == 1, "sc_true_effect"].mean())
print(f"true ATT over treated county-years in the sample: {truth:.4f} log points")

# %%
counties = df.groupby("fips").agg(sc=("sc_activation_date", "first"), pop=("population", "last"))
fig, ax = plt.subplots()
_, by_c = plots.rollout_plot(counties["sc"], ax=ax, label="counties")
_, by_p = plots.rollout_plot(counties["sc"], counties["pop"], ax=ax, label="population")
ax.set_title("Secure Communities activation, sample counties")
ax.legend()
reports.save_figure(fig, "fig_teaching_07_rollout", pd.concat([by_c, by_p]), study="teaching", synthetic=synthetic)
plt.show()

# %% [markdown]
# ## Step 2: headline estimates
# TWFE (with and without county-specific linear trends, as Miles and Cox's
# robustness check), Callaway-Sant'Anna with not-yet-treated controls, and
# the imputation estimator.

# %%
fits = {
    "TWFE": est.twfe(df, "log_index", "fips", "year", "cohort", cluster="state"),
    "TWFE + county trends": est.twfe(df, "log_index", "fips", "year", "cohort", cluster="state", unit_trends=True),
    "Callaway-Sant'Anna (not yet treated)": est.callaway_santanna(
        df, "log_index", "fips", "year", "cohort", cluster="state", control_group="not_yet_treated",
        aggregation="simple"),
    "imputation (BJS)": est.imputation(df, "log_index", "fips", "year", "cohort", cluster="state"),
}  # fmt: skip
headline = pd.DataFrame(
    [{"model": k, **r.to_frame().iloc[0][["term", "estimate", "std_error", "conf_low", "conf_high"]].to_dict()}
     for k, r in fits.items()]
).assign(truth=truth)  # fmt: skip
reports.save_table(headline, "tab_teaching_07_headline", study="teaching", synthetic=synthetic)
display(headline)

# %% [markdown] tags=["exercise"]
# ### Exercise 1: does the design recover the truth?
# Which headline estimates are within 4 standard errors of the true ATT? For
# the two heterogeneity-robust estimators, check it. (With preset `"dynamic"`,
# which of the four would you no longer trust, and why?)

# %% tags=["exercise"]
within = ...  # a dict: estimator name (as in fits) -> True when within 4 standard errors of truth

# %% tags=["solution"]
# imputation targets the mean effect over all treated county-years of the sample
imp = fits["imputation (BJS)"]
check("imputation ATT", imp.estimate, truth, 4 * imp.std_error, "4 state-clustered SEs: sampling noise")
# CS simple aggregation: ATT(g,t) over post cells weighted by cohort size = the same treated-cell
# mean in a balanced panel
cs = fits["Callaway-Sant'Anna (not yet treated)"]
check("Callaway-Sant'Anna ATT(simple)", cs.estimate, truth, 4 * cs.std_error, "4 state-clustered SEs: sampling noise")
within = {name: bool(abs(f.estimate - truth) <= 4 * f.std_error) for name, f in fits.items()}

# %% tags=["self-check"]
def _within_check():
    given = {k: bool(v) for k, v in dict(answered(within)).items()}
    wrong = [n for n, f in fits.items() if given.get(n) != (abs(f.estimate - truth) <= 4 * f.std_error)]
    return not wrong, "every estimator judged right" if not wrong else f"look again at {', '.join(wrong)}"


self_check(
    "Exercise 1 (does the design recover the truth)",
    _within_check,
    "one entry per key of fits; an estimate is within 4 standard errors when "
    "|fit.estimate - truth| <= 4 * fit.std_error",
)

# %% [markdown]
# ## Step 3: event study and sensitivity
# The endpoint terms bin every event time beyond the window (`e-5` is "5 or
# more years before"); HonestDiD treats each term as one period and says so in
# a warning: an approximation at the endpoints, kept here because dropping the
# binned observations instead leaves the early adopters' county effects
# estimated from few years and the event study much noisier (try
# `bin_endpoints=False`).

# %%
es = est.event_study(df, "log_index", "fips", "year", "cohort", cluster="state", window=tuple(window))
frame = es.to_frame()
truth_e = df[df["D"] == 1].assign(e=lambda x: (x["year"] - x["cohort"]).clip(upper=window[1])).groupby("e")["sc_true_effect"].mean()
fig, ax = plt.subplots()
plots.event_study_plot(frame, ax=ax, reference=-1, label="event study")
ax.plot(truth_e.index, truth_e.to_numpy(), color="#D55E00", ls="--", label="true effect")
ax.legend()
reports.save_figure(fig, "fig_teaching_07_event_study", frame[["event_time", "estimate", "conf_low", "conf_high"]],
                  study="teaching", synthetic=synthetic)  # fmt: skip
plt.show()
print("pre-trend test:", es.pretrend)
honest = est.honest_did(es, method="relative_magnitude", mbar_grid=[0.0, 0.5, 1.0, 1.5])
display(honest.to_frame()[["term", "estimate", "conf_low", "conf_high"]])
print(f"breakdown Mbar: {honest.extra['breakdown']:.3g}")

# %% [markdown] tags=["exercise"]
# ### Exercise 2: the effect path
# For event times 1 to 3 (full years of exposure), is each event-study
# coefficient within 4 standard errors of the true effect at that event time?
# Why is the event time 0 effect smaller in magnitude?

# %% tags=["exercise"]
within_path = ...  # a dict: event time (1 to 3) -> True when within 4 standard errors of the truth

# %% tags=["solution"]
for e in (1, 2, 3):
    row = frame[frame["event_time"] == e].iloc[0]
    check(f"event study e{e}", row["estimate"], truth_e.loc[e], 4 * row["std_error"], "4 state-clustered SEs: sampling noise")
print(f"true effect at e=0: {truth_e.loc[0]:.4f}: SC was active for only part of the activation year")
within_path = {e: bool(abs(r["estimate"] - truth_e.loc[e]) <= 4 * r["std_error"])
               for e, r in frame.set_index("event_time").loc[1:3].iterrows()}  # fmt: skip

# %% tags=["self-check"]
def _path_check():
    given = {int(k): bool(v) for k, v in dict(answered(within_path)).items()}
    rows = frame.set_index("event_time").loc[1:3]
    wrong = [
        int(e) for e, r in rows.iterrows() if given.get(int(e)) != (abs(r["estimate"] - truth_e.loc[e]) <= 4 * r["std_error"])
    ]
    return not wrong, "every event time judged right" if not wrong else f"look again at event times {wrong}"


self_check(
    "Exercise 2 (the effect path)",
    _path_check,
    "one entry per event time 1, 2, 3: compare frame's estimate at that event time with "
    "truth_e at the same event time, in units of its std_error",
)

# %% [markdown]
# ## Step 4: what could this design detect?
# A placebo panel without any effect: the years before any activation
# (2000-2007), with the adoption design shifted six years earlier (cohorts
# 2008-2012 become 2002-2006; the not-yet-treated stay untreated). The
# simulated MDE is then the smallest effect the TWFE test detects 80% of the
# time with this cohort structure and this panel's noise.

# %%
pre = df[df["year"] < 2008].copy()  # years before any activation: the panel's noise without any effect
pre["placebo_cohort"] = np.where(pre["cohort"] > 0, pre["cohort"] - 6, 0)
mde = est.minimum_detectable_effect(pre, "log_index", "fips", "year", "placebo_cohort", cluster="state",
                                    n_sim=200, seed=7)  # fmt: skip
display(mde.to_frame()[["term", "estimate"]])

# %% [markdown] tags=["exercise"]
# ### Exercise 3: is the sensitivity analysis consistent with the truth?
# Under relative magnitudes with `Mbar = 0` (post-period violations no larger
# than zero times the pre-period ones: exact parallel trends), does the robust
# interval for the average post effect cover the true average of the event-time
# effects 0 to 4?

# %% tags=["exercise"]
covers = ...  # True or False: does the Mbar = 0 interval cover the true average of e = 0 to 4?

# %% tags=["solution"]
target = float(truth_e.loc[0:window[1]].mean())  # equal-weight average over e = 0..4, as honest_did's "average"
row = honest.to_frame().iloc[0]
check_that("Mbar=0 interval covers the true average effect", row["conf_low"] <= target <= row["conf_high"],
           f"[{row['conf_low']:.4f}, {row['conf_high']:.4f}] contains {target:.4f} (parallel trends hold by construction)")  # fmt: skip
covers = bool(row["conf_low"] <= target <= row["conf_high"])

# %% tags=["self-check"]
def _covers_check():
    row0 = honest.to_frame().iloc[0]
    average = float(truth_e.loc[0 : window[1]].mean())
    right = bool(row0["conf_low"] <= average <= row0["conf_high"])
    return answered(covers) == right, f"you said {covers!r}"


self_check(
    "Exercise 3 (the sensitivity analysis)",
    _covers_check,
    "the Mbar = 0 interval is the first row of honest.to_frame(); the true average is the mean "
    "of truth_e over event times 0 to 4; answer True or False",
)

# %% [markdown]
# ## Explore
# Rebuild with another preset or another population threshold and see which
# conclusions move.


# %%
def show(preset="homogeneous", min_population=25_000):
    sim, _ = build_sample(load_panel("synthetic", seed=seed, preset=preset), min_population=min_population)
    r = est.imputation(sim, "log_index", "fips", "year", "cohort", cluster="state")
    print(f"imputation {r.estimate:+.4f} (se {r.std_error:.4f}); truth {sim.loc[sim['D'] == 1, 'sc_true_effect'].mean():+.4f}")


explore(show, interactive, preset=["homogeneous", "dynamic", "null"], min_population=(5_000, 100_000, 5_000))

# %% [markdown]
# **Write-up checklist.** Sample and drops (table 1); rollout (figure 1);
# headline estimates with estimands (table 2); event study with the reference
# year and pre-trend test (figure 2); HonestDiD breakdown value; MDE. On real
# data (`data_source = "cius_county"` after `make data`) the truth columns are
# absent, so the checks above are what the synthetic run teaches you to trust.
