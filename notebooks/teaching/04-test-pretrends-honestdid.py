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
# # 04 Event studies, pre-trends and HonestDiD
#
# **Learning goals** (about 50 minutes of class)
# 1. Estimate an event study (leads and lags around adoption, reference year
#    -1) and read its pre-period coefficients.
# 2. Know what a differential trend does to every coefficient, before and
#    after adoption, and what the joint pre-trend test can and cannot tell you.
# 3. Replace "the pre-trends look flat" by a sensitivity analysis
#    (Rambachan and Roth's HonestDiD): intervals that stay valid when parallel
#    trends fail by a bounded amount, and the breakdown value.
#
# Miles and Cox (2014) report results sensitive to county-specific trends;
# this is the tool the suite uses instead of trends alone.
#
# **Data.** A **simulated** panel: counties adopting in 2008 and never-adopters,
# 2002-2013, a true effect growing with exposure, and (the knob) a linear
# differential trend of adopters that violates parallel trends.
#
# **Outputs.** `reports/figures/teaching/fig_teaching_04_event_study.*`,
# `fig_teaching_04_honest.*`. **Run time.** In the README's run-time table (`benchmarks/suite_timings.py` measures it).

# %% tags=["parameters"]
att = -0.05  # true effect at adoption (log points)
dynamic_slope = -0.01  # change of the true effect per year of exposure
pretrend_slope = 0.01  # yearly differential trend of adopters; 0 means parallel trends hold
n_units = 400  # counties, half adopt in 2008
seed = 4
interactive = True  # sliders when a live kernel is present (papermill runs pass False)

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import display

from enforcement_crime import estimators as est
from enforcement_crime import plots, reports
from enforcement_crime.panels import data_banner
from enforcement_crime.simulate import Effect, simulate_staggered
from enforcement_crime.teaching import (
    answered,
    check,
    check_that,
    explore,
    label_synthetic,
    near,
    self_check,
)

plots.use_style("slides")
WINDOW = (-6, 5)  # every event time of the 2008 cohort in 2002-2013: nothing is binned


def simulate(att=att, dynamic_slope=dynamic_slope, pretrend_slope=pretrend_slope, seed=seed):
    df = simulate_staggered(n_units=n_units, periods=(2002, 2013), cohorts={0: 0.5, 2008: 0.5},
                            effect=Effect(att=att, dynamic_slope=dynamic_slope), n_states=40,
                            noise_sd=0.05, rho=0.3, seed=seed)  # fmt: skip
    # the violation: adopters' untreated outcome drifts by pretrend_slope a year
    df["y"] = df["y"] + pretrend_slope * (df["time"] - 2008) * (df["cohort"] > 0)
    return label_synthetic(df, f"simulate_staggered, seed {seed}, effect {att}+{dynamic_slope}e, pretrend {pretrend_slope}")


df = simulate()
data_banner(df)
# truth by event time e >= 0: att + dynamic_slope * e; the estimate at e is also shifted by the
# differential trend relative to the reference year -1: pretrend_slope * (e + 1)
events = np.arange(WINDOW[0], WINDOW[1] + 1)
truth_e = pd.Series(np.where(events >= 0, att + dynamic_slope * events, 0.0), index=events)
expected_e = truth_e + pretrend_slope * (events + 1)

# %%
es = est.event_study(df, "y", "unit", "time", "cohort", cluster="unit", window=WINDOW, reference=-1)
frame = es.to_frame()
display(frame[["term", "event_time", "estimate", "std_error", "conf_low", "conf_high"]])
print("joint pre-trend test:", es.pretrend)
fig, ax = plt.subplots()
plots.event_study_plot(frame, ax=ax, reference=-1, label="event study (TWFE)")
ax.plot(events, truth_e.to_numpy(), color="#D55E00", ls="--", label="true effect")
ax.legend()
reports.save_figure(fig, "fig_teaching_04_event_study",
                  frame[["event_time", "estimate", "conf_low", "conf_high"]].assign(truth=truth_e.to_numpy()),
                  study="teaching", synthetic=True)  # fmt: skip
plt.show()

# %% [markdown] tags=["exercise"]
# ### Exercise 1: what do the leads measure?
# With a differential trend of `pretrend_slope` a year, what is the expected
# value of the lead coefficient `e{k}` (k < -1), given the reference year -1?
# Check your formula against every estimated lead.

# %% tags=["exercise"]
lead_formula = ...  # a function of k: the expected lead coefficient e{k} for k < -1

# %% tags=["solution"]
# E[e_k] = pretrend_slope * (k - (-1)) for k < -1: the trend relative to the reference year
for k in range(WINDOW[0], -1):
    row = frame[frame["event_time"] == k].iloc[0]
    check(f"lead e{k}", row["estimate"], expected_e[k], 4 * row["std_error"], "4 unit-clustered SEs: sampling noise",
          against="the trend slope x (k + 1)")
lead_formula = np.vectorize(lambda k: pretrend_slope * (k + 1))

# %% tags=["self-check"]
self_check(
    "Exercise 1 (what the leads measure)",
    lambda: (
        all(abs(answered(lead_formula)(k) - expected_e[k]) < 1e-12 for k in range(WINDOW[0], -1)),
        "your formula against the expected lead at every k < -1",
    ),
    "the leads are measured relative to the reference year -1: a trend of pretrend_slope a year "
    "puts lead k at pretrend_slope times the number of years between k and -1 (negative for k < -1)",
)

# %% [markdown] tags=["exercise"]
# ### Exercise 2: and the lags?
# What does `e3` estimate: the true effect three years after adoption, or
# something else? By how much is it off?

# %% tags=["exercise"]
e3_bias = ...  # the expected difference between e3 and the true effect three years after adoption

# %% tags=["solution"]
row = frame[frame["event_time"] == 3].iloc[0]
# the trend keeps going after adoption: bias pretrend_slope * (3 + 1)
check("lag e3", row["estimate"], truth_e[3] + 4 * pretrend_slope, 4 * row["std_error"],
      "4 unit-clustered SEs: sampling noise", against="truth + trend bias")  # fmt: skip
print(f"true effect at e=3: {truth_e[3]:.3f}; bias from the trend: {4 * pretrend_slope:+.3f}")
e3_bias = 4 * pretrend_slope

# %% tags=["self-check"]
self_check(
    "Exercise 2 (the lags)",
    lambda: near(
        e3_bias,
        expected_e[3] - truth_e[3],
        4 * frame.loc[frame["event_time"] == 3, "std_error"].iloc[0],
        "your bias of e3",
    ),
    "the differential trend does not stop at adoption: e3 picks up pretrend_slope times the years "
    "between event time 3 and the reference year -1",
)

# %% [markdown]
# ## HonestDiD
# Target: the average effect over event times 0-5. *Smoothness* restrictions
# (`M`) bound how much the slope of the differential trend may change from one
# year to the next: `M = 0` allows any **linear** trend, extrapolated from the
# pre-period. *Relative magnitudes* (`Mbar`) bound post-period violations by
# `Mbar` times the largest pre-period one. The breakdown value is the largest
# `M` (or `Mbar`) at which the interval still excludes zero.

# %%
truth_avg = float(truth_e[truth_e.index >= 0].mean())
sd = est.honest_did(es, method="smoothness", m_grid=[0.0, 0.0025, 0.005, 0.01, 0.02])
rm = est.honest_did(es, method="relative_magnitude", mbar_grid=[0.0, 0.5, 1.0, 1.5, 2.0])
grid = pd.concat([sd.to_frame(), rm.to_frame()], ignore_index=True)
display(grid[["term", "estimate", "conf_low", "conf_high"]])
print(f"breakdown: M = {sd.extra['breakdown']:.4g}, Mbar = {rm.extra['breakdown']:.4g}; "
      f"true average effect {truth_avg:.4f}; conventional CI {sd.extra['original']}")  # fmt: skip
fig, ax = plt.subplots()
part = sd.to_frame()
x = np.arange(len(part))
ax.vlines(x, part["conf_low"], part["conf_high"], lw=6)
ax.axhline(truth_avg, color="#D55E00", ls="--", label="true average effect")
ax.axhline(0, color="black", lw=1)
ax.set_xticks(x, part["term"])
ax.set_ylabel("Robust 95% CI, average effect e=0..5")
ax.set_title("HonestDiD: smoothness restriction")
ax.legend()
reports.save_figure(fig, "fig_teaching_04_honest", part[["term", "conf_low", "conf_high"]].assign(truth=truth_avg),
                  study="teaching", synthetic=True)  # fmt: skip
plt.show()

# %% [markdown] tags=["exercise"]
# ### Exercise 3: which interval can you trust here?
# The violation in this simulation is a linear trend. Does the conventional
# interval for the average effect cover the true average? Does the HonestDiD
# interval with `M = 0`? Why should the latter?

# %% tags=["exercise"]
covers = ...  # a dict: {"conventional": True/False, "M=0": True/False}, does each cover truth_avg?

# %% tags=["solution"]
m0 = sd.to_frame().iloc[0]
orig = sd.extra["original"]
print(f"conventional CI [{orig['conf_low']:.4f}, {orig['conf_high']:.4f}], "
      f"covers truth: {orig['conf_low'] <= truth_avg <= orig['conf_high']}")  # fmt: skip
# Delta^SD(0) contains every linear trend, so this 95% interval is valid for this design
check_that("M=0 interval covers the true average effect", m0["conf_low"] <= truth_avg <= m0["conf_high"],
           f"[{m0['conf_low']:.4f}, {m0['conf_high']:.4f}] contains {truth_avg:.4f}")  # fmt: skip
covers = {"conventional": bool(orig["conf_low"] <= truth_avg <= orig["conf_high"]),
          "M=0": bool(m0["conf_low"] <= truth_avg <= m0["conf_high"])}  # fmt: skip

# %% tags=["self-check"]
def _covers_check():
    m0_row, original = sd.to_frame().iloc[0], sd.extra["original"]
    right = {
        "conventional": bool(original["conf_low"] <= truth_avg <= original["conf_high"]),
        "M=0": bool(m0_row["conf_low"] <= truth_avg <= m0_row["conf_high"]),
    }
    given = {k: bool(v) for k, v in dict(answered(covers)).items()}
    wrong = [k for k in right if given.get(k) != right[k]]
    return not wrong, "both intervals judged right" if not wrong else f"look again at {', '.join(wrong)}"


self_check(
    "Exercise 3 (which interval to trust)",
    _covers_check,
    'the conventional interval is sd.extra["original"]; the M = 0 interval is the first row of '
    "sd.to_frame(); an interval covers truth_avg when conf_low <= truth_avg <= conf_high",
)

# %% [markdown]
# ## Explore
# Set `pretrend_slope = 0`: the leads are flat and the conventional interval is
# fine. Increase it: the joint pre-trend test may still fail to reject when the
# trend is small relative to the noise (low power), yet the lags are biased.


# %%
def show(pretrend_slope=pretrend_slope, att=att):
    sim = simulate(att, dynamic_slope, pretrend_slope)
    r = est.event_study(sim, "y", "unit", "time", "cohort", cluster="unit", window=WINDOW)
    f = r.to_frame()
    fig, ax = plt.subplots()
    plots.event_study_plot(f, ax=ax)
    ax.plot(events, np.where(events >= 0, att + dynamic_slope * events, 0.0), color="#D55E00", ls="--")
    ax.set_title(f"pre-trend test p = {r.pretrend.p_value:.3f}")
    plt.show()


explore(show, interactive, pretrend_slope=(-0.03, 0.03, 0.0025), att=(-0.2, 0.2, 0.01))

# %% [markdown]
# **Take-away.** Flat leads are not proof of parallel trends (the test has
# limited power, and testing then conditioning distorts inference). State how
# large a violation would overturn the conclusion: HonestDiD's breakdown value
# does exactly that.
