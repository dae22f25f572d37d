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
# # 287(g) across US counties: jail vs task-force agreements
#
# **Question.** Did counties that signed 287(g) agreements see crime change,
# and does it differ between the jail model (screening people already booked)
# and the task-force model (street enforcement by deputised officers)?
#
# **Study.** An extension of the North Carolina design of Forrester & Nowrasteh
# (2018) to every US county. STUDIES.md summarises no national 287(g) county
# study, so the "study vs rebuild" table quotes only the NC conclusion as the
# benchmark and says so.
#
# **Design.** County-year panel; 287(g) first adoption (earliest date over the
# rosters, STUDIES.md §4) as the cohort under the chosen partial-year rule;
# never-adopting counties as controls; TWFE (with and without a Secure
# Communities exposure control, since SC rolled out over the same years),
# event study and Callaway-Sant'Anna, separately for jail and task-force
# agreements; wild cluster bootstrap by state.
#
# **Inputs.** The panel named by `data_source` (default the built-in synthetic
# panel; real: e.g. `"cius_county"`). **Outputs.** `reports/figures/287g/fig_287g_national_*`,
# `reports/tables/287g/tab_287g_national_*`. **Run time.** About 10-20 s.

# %% tags=["parameters"]
data_source = "synthetic"  # "synthetic" or a processed county panel, e.g. "cius_county"
seed = 20140101
preset = "null"
first_year = 2000
last_year = 2016
outcomes = ["violent_rate", "property_rate", "index_rate"]
exposure_rule = "first_full_year"  # or "share_of_year"
models = ["jail", "task force"]  # "both" agreements are counted in each model's sample
event_window = [-5, 5]
n_boot = 999
n_mde_sims = 200  # placebo adoption-date draws for the minimum detectable effect
alpha = 0.05
study = "287g"

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import display

from enforcement_crime import plots, studies
from enforcement_crime.panels import data_banner

plots.use_style("paper")
study_data = studies.open_study(data_source, seed=seed, preset=preset)
raw, synthetic, data_label = study_data.raw, study_data.synthetic, study_data.label
estimate, design_mde = study_data.estimate, study_data.design_mde
panel = raw[raw["year"].between(first_year, last_year)].copy()
panel = studies.add_treatment(panel, "g287_start", "g287_end", rule=exposure_rule, prefix="g287")
panel = studies.add_treatment(panel, "sc_activation_date", rule=exposure_rule, prefix="sc")
log = studies.OutputLog(study, "notebooks/287g/02-estimate-national-counties.py", synthetic, data_label)
n_adopt = panel.loc[panel["g287_ever"], "fips"].nunique()
print(f"Data: {data_label}; {panel['fips'].nunique()} counties, years present {sorted(panel['year'].unique().tolist())}; "
      f"{n_adopt} ever adopted 287(g)")
if n_adopt == 0:
    raise ValueError(f"panel {data_source!r} has no 287(g) adoption dates (g287_start is empty): build it with timing")
data_banner(raw)

# %% [markdown]
# ## Adoption by model
# Cumulative share of adopting counties by agreement model.

# %%
counties = panel.groupby("fips").agg(start=("g287_start", "first"), model=("g287_model", "first"), pop=("population", "last"))
adopters = counties.dropna(subset=["start"])
fig, ax = plt.subplots()
roll = []
for model, g in adopters.groupby(adopters["model"].fillna("unknown")):
    _, r = plots.rollout_plot(g["start"], ax=ax, label=f"{model} ({len(g)})")
    roll.append(r)
ax.set_title("287(g) first adoption, share of each model's adopters")
ax.legend()
studies.share_axis_labels(fig, fig.axes)
log.figure(fig, "fig_287g_national_rollout", pd.concat(roll, ignore_index=True), description="287(g) adoption over time by model")
plt.show()
summary = adopters.assign(model=adopters["model"].fillna("unknown"), ended=panel.groupby("fips")["g287_end"].first().reindex(adopters.index).notna())
summary = summary.groupby("model").agg(counties=("start", "size"), first=("start", "min"), last=("start", "max"), ended=("ended", "sum")).reset_index()
summary["first"] = summary["first"].dt.date.astype(str)
summary["last"] = summary["last"].dt.date.astype(str)
log.table(summary, "tab_287g_national_adopters", description="Adopting counties by model: number, first and last adoption, ended")
summary

# %% [markdown]
# ## TWFE by model
# Each model's adopters against the never-adopting counties (adopters of the
# other model are left out of that sample and counted). County and year FE,
# population weights, state clusters. "+ SC control" adds the Secure
# Communities exposure indicator of the same rule.

# %%
def model_sample(model: str) -> pd.DataFrame:
    m = panel["g287_model"].fillna("unknown")
    keep = ~panel["g287_ever"] | m.isin([model, "both"])
    return panel[keep.to_numpy()]


rows, results = [], {}
for model in models:
    data = model_sample(model)
    left_out = panel["fips"].nunique() - data["fips"].nunique()
    for outcome in outcomes:
        for spec, kw in (("TWFE", {}), ("TWFE + SC control", {"controls": ["sc_treated"]})):
            res = estimate("twfe", data, outcome, "fips", "year", "g287_cohort", weights="population", cluster="state", **kw)
            results[(model, outcome, spec)] = res
            rows.append({"model": model, "outcome": outcome, "specification": spec, "counties_left_out": left_out,
                         **studies.headline(res)})  # fmt: skip
        res = estimate("callaway_santanna", data, outcome, "fips", "year", "g287_cohort", control_group="never_treated",
                               weights="population", cluster="state")  # fmt: skip
        results[(model, outcome, "CS")] = res
        rows.append({"model": model, "outcome": outcome, "specification": "Callaway-Sant'Anna (never treated)",
                     "counties_left_out": left_out,
                     **studies.headline(res, None if isinstance(res, studies.Unavailable) else "ATT(simple)")})  # fmt: skip
by_model = pd.DataFrame(rows)
log.table(by_model.drop(columns=["note"]), "tab_287g_national_by_model", description="TWFE and Callaway-Sant'Anna estimates, jail vs task force")
by_model[["model", "outcome", "specification", "estimate", "conf_low", "conf_high"]]

# %% [markdown]
# ## Event studies by model

# %%
frames = []
fig, axes = plt.subplots(1, len(outcomes), figsize=plots.FIGSIZES["full"], squeeze=False)
for ax, outcome in zip(axes[0], outcomes, strict=True):
    for k, model in enumerate(models):
        res = estimate("event_study", model_sample(model), outcome, "fips", "year", "g287_cohort", weights="population",
                               cluster="state", window=tuple(event_window))  # fmt: skip
        if isinstance(res, studies.Unavailable):
            ax.text(0.5, 0.5, str(res), ha="center", fontsize=6, transform=ax.transAxes)
            continue
        f = res.to_frame()
        plots.event_study_plot(f, ax=ax, label=model, offset=0.15 * (k - 0.5), reference=res.extra.get("reference_period", -1),
                               ylabel="per 100,000")  # fmt: skip
        frames.append(f.assign(model=model, outcome=outcome))
    ax.set_title(outcome.replace("_", " "))
axes[0][0].legend(fontsize=6)
es_data = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame({"note": ["event study not available"]})
studies.share_axis_labels(fig, fig.axes)
log.figure(fig, "fig_287g_national_event_study", es_data, description="Event studies of jail vs task-force adopters, reference -1")
plt.show()

# %% [markdown]
# ## Few-cluster check and minimum detectable effect
# Task-force agreements are few, so the state-clustered analytic interval is
# checked with a wild cluster bootstrap (state clusters). The minimum
# detectable effect comes from placebo adoption dates (`studies.design_mde`:
# the package's `minimum_detectable_effect` draws, a test calibrated on them).

# %%
rows_inf, mde = [], {}
for model in models:
    data = model_sample(model)
    for outcome in outcomes:
        wcb = estimate("wild_cluster_bootstrap", data, outcome, "fips", "year", "g287_cohort", cluster="state",
                               weights="population", n_boot=n_boot, seed=seed)  # fmt: skip
        results[(model, outcome, "WCB")] = wcb
        h = studies.headline(wcb)
        se = (h["conf_high"] - h["conf_low"]) / (2 * 1.959964)
        d = design_mde(data, outcome, "fips", "year", "g287_cohort", weights="population", cluster="state",
                               n_sim=n_mde_sims, seed=seed, alpha=alpha)  # fmt: skip
        if isinstance(d["result"], studies.Unavailable):
            mde[(model, outcome)] = (studies.analytic_mde(se, alpha), "analytic: (z_0.975 + z_0.8) x bootstrap-interval SE")
        else:
            mde[(model, outcome)] = (d["mde_calibrated"], f"placebo-calibrated test, {d['n_sim']} placebo adoption-date draws "
                                     f"(t-test size under placebo dates {d['size']:.2f})")  # fmt: skip
        p = np.nan if isinstance(wcb, studies.Unavailable) else wcb.extra.get("p_value", np.nan)
        rows_inf.append({"model": model, "outcome": outcome, "estimate": h["estimate"], "conf_low": h["conf_low"],
                         "conf_high": h["conf_high"], "p_value": p, "mde": mde[(model, outcome)][0],
                         "mde_method": mde[(model, outcome)][1]})  # fmt: skip
inference = pd.DataFrame(rows_inf)
log.table(inference, "tab_287g_national_inference", description="Wild cluster bootstrap (state clusters) and MDE by model")
inference

# %% [markdown]
# ## Study vs rebuild

# %%
svr_rows = []
for model in models:
    for outcome in outcomes:
        svr_rows.append({"outcome": outcome, "specification": f"{model}: TWFE, wild cluster bootstrap interval (state clusters)",
                         "result": results[(model, outcome, "WCB")], "mde": mde[(model, outcome)][0],
                         "mde_method": mde[(model, outcome)][1]})  # fmt: skip
differences = [
    "national extension: no national 287(g) county study is summarised in STUDIES.md",
    "crime data: " + ("the built-in SYNTHETIC panel" if synthetic else f"panel {data_source!r} (see its manifest)"),
    f"annual data, partial-year rule {exposure_rule!r}; first adoption = earliest date over rosters; ended agreements treated as ever treated",
    "'both' agreements counted in the jail and in the task-force samples",
]
svr = studies.study_vs_rebuild("287g_national", svr_rows, data_label=data_label, differences=differences)
log.table(svr, "tab_287g_national_study_vs_rebuild", description="Benchmark conclusion vs our estimates by model, intervals and MDE")
display(svr[["specification", "outcome", "estimate", "conf_low", "conf_high", "mde"]])
print(log.finish())
