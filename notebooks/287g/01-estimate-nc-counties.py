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
# # 287(g) in North Carolina: the Cato design, rebuilt
#
# **Question.** Did the nine North Carolina 287(g) agreements signed 2006-2009
# change county crime rates?
#
# **Study.** Forrester & Nowrasteh (2018), "Do Immigration Enforcement Programs
# Reduce Crime? Evidence from the 287(g) Program in North Carolina", Cato
# Institute WP 52 (revised CGO WP 2020.004). Units: the 100 NC counties,
# 2003-2013, annual; outcomes: violent, property and index crime per 100,000.
# Their abstract: no causal relationship between 287(g) and crime rates; their
# coefficient tables are not available to us, so no paper number appears here.
#
# **Design here.** TWFE and an event study; Callaway-Sant'Anna (never-treated
# controls); de Chaisemartin-D'Haultfoeuille for agreements that ended; wild
# cluster bootstrap and randomization inference (9 treated of 100 clusters);
# synthetic control for Mecklenburg and for Wake with placebo inference; both
# partial-year rules (treated from the first full calendar year; share of the
# year exposed); the minimum detectable effect of the main design.
#
# **Inputs.** The panel named by `data_source`: `"synthetic"` (default, the
# built-in panel with the nine NC jurisdictions at their real dates and no true
# effect) or `"nc_county"` (built by `make data` from the real sources).
# **Outputs.** `reports/figures/287g/fig_287g_nc_*`, `reports/tables/287g/tab_287g_nc_*`
# (see `reports/OUTPUTS.md`). **Run time.** About 10-20 s with the defaults.

# %% tags=["parameters"]
data_source = "synthetic"  # "synthetic" or a processed panel, e.g. "nc_county"
seed = 20140101  # synthetic panel seed; also seeds bootstrap and permutations
preset = "null"  # synthetic true effects: "null", "homogeneous" or "dynamic"
first_year = 2003
last_year = 2013
outcomes = ["violent_rate", "property_rate", "index_rate"]
main_rule = "first_full_year"  # exposure rule of the main specification
event_window = [-4, 4]
n_boot = 999  # wild cluster bootstrap draws
n_perm = 199  # randomization-inference permutations
n_mde_sims = 50  # simulations for the minimum detectable effect (if the estimator exists)
case_studies = {"37119": "Mecklenburg", "37183": "Wake"}
alpha = 0.05
study = "287g"

# %%
import logging

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import display

from enforcement_crime import plots, studies
from enforcement_crime.facts import nc_287g_agreements
from enforcement_crime.panels import data_banner, is_synthetic, load_panel

logging.getLogger("fontTools").setLevel(logging.WARNING)  # PDF font subsetting chatter
plots.use_style("paper")
raw = load_panel(data_source, seed=seed, preset=preset)
synthetic = is_synthetic(raw)
data_label = (f"SYNTHETIC DATA (built-in panel, seed {seed}, preset {preset!r})" if synthetic
              else f"real panel {data_source!r}")  # fmt: skip
nc = raw[raw["fips"].str.startswith("37") & raw["year"].between(first_year, last_year)].copy()
if nc.empty:
    raise ValueError(f"panel {data_source!r} has no North Carolina county-years in {first_year}-{last_year}")
log = studies.OutputLog(study, "notebooks/287g/01-estimate-nc-counties.py", synthetic, data_label)
print(f"Data: {data_label}; {nc['fips'].nunique()} NC counties, {nc['year'].min()}-{nc['year'].max()}, {len(nc)} rows")
data_banner(raw)

# %% [markdown]
# ## Treatment: the nine jurisdictions and the two partial-year rules
# Agreement (MOA) signing dates from the paper's Table A1 (STUDIES.md §1;
# `enforcement_crime.facts`). Five agreements ended in 2010-2012: the absorbing
# estimators treat a county as treated from its first treated year on ("ever
# treated"); the de Chaisemartin-D'Haultfoeuille estimator and the switching
# TWFE let the treatment switch off.

# %%
panels = {rule: studies.add_treatment(nc, "g287_start", "g287_end", rule=rule, prefix="g287") for rule in studies.EXPOSURE_RULES}
main = panels[main_rule]
facts = nc_287g_agreements()
treated = facts[["fips", "county", "agency", "model", "signed", "end_date"]].copy()
for rule, p in panels.items():
    treated[f"cohort_{rule}"] = treated["fips"].map(p.groupby("fips")["g287_cohort"].first()).astype("Int64")
treated["in_panel"] = treated["fips"].isin(nc["fips"])
treated["signed"] = treated["signed"].dt.date.astype(str)
treated["end_date"] = treated["end_date"].dt.date.astype("string").fillna("active past 2015")
log.table(treated, "tab_287g_nc_treated", description="The nine treated jurisdictions, dates and annual cohorts under both rules")
treated

# %% [markdown]
# ## Raw trends
# Population-weighted rates of the nine treated counties and of the other 91,
# with the first signing (2006) marked.

# %%
rep = main.dropna(subset=["index"]).copy()
rep["group"] = np.where(rep["g287_ever"], "287(g) counties", "other NC counties")
sums = rep.groupby(["group", "year"])[["violent", "property", "index", "population"]].sum()
trends = pd.DataFrame({f"{c}_rate": sums[c] / sums["population"] * 1e5 for c in ("violent", "property", "index")}).reset_index()
fig, axes = plt.subplots(1, 3, figsize=plots.FIGSIZES["full"])
for ax, col in zip(axes, ["violent_rate", "property_rate", "index_rate"], strict=True):
    for name, g in trends.groupby("group"):
        ax.plot(g["year"], g[col], marker="o", ms=3, label=name)
    ax.axvline(2006 + 2 / 12, color="grey", ls="--", lw=0.8)
    ax.set_title(col.replace("_", " "))
    ax.set_xlabel("Year")
axes[0].set_ylabel("per 100,000")
axes[0].legend(fontsize=6)
log.figure(fig, "fig_287g_nc_raw_trends", trends, description="Rates in the nine 287(g) counties vs the other NC counties")
plt.show()

# %% [markdown]
# ## TWFE, both partial-year rules
# County and year fixed effects, population weights, standard errors clustered
# by county. Rule "first full year": the 0/1 indicator of a wholly exposed
# year (switching off after an agreement ends) and the absorbing "ever treated
# from the first full year" version; rule "share of year": the share of the year
# under an agreement (`studies.twfe_exposure_share`). With 9 treated clusters
# the analytic intervals are not reliable: see the bootstrap and permutation
# tests below.

# %%
twfe_rows, twfe_results = [], {}
for outcome in outcomes:
    fits = {
        "first full year, absorbing": studies.estimate("twfe", panels["first_full_year"], outcome, "fips", "year", "g287_cohort",
                                                       weights="population", cluster="fips"),
        "first full year, switching off": studies.estimate("twfe", panels["first_full_year"], outcome, "fips", "year",
                                                           treatment="g287_treated", weights="population", cluster="fips"),
        "share of year (switching off)": studies.twfe_exposure_share(panels["share_of_year"], outcome, "fips", "year", "g287_share",
                                                                     weights="population", cluster="fips"),
    }  # fmt: skip
    for spec, res in fits.items():
        twfe_results[(outcome, spec)] = res
        twfe_rows.append({"outcome": outcome, "specification": spec, **studies.headline(res)})
twfe_table = pd.DataFrame(twfe_rows)
log.table(twfe_table.drop(columns=["note"]), "tab_287g_nc_twfe", description="TWFE estimates under both partial-year rules")
twfe_table

# %% [markdown]
# ## Event study
# Leads and lags of the first full treated year, endpoints binned, reference
# year -1; absorbing treatment.

# %%
es_results, es_frames = {}, []
fig, axes = plt.subplots(1, len(outcomes), figsize=plots.FIGSIZES["full"], squeeze=False)
for ax, outcome in zip(axes[0], outcomes, strict=True):
    res = studies.estimate("event_study", main, outcome, "fips", "year", "g287_cohort", weights="population", cluster="fips",
                           window=tuple(event_window))  # fmt: skip
    es_results[outcome] = res
    if isinstance(res, studies.Unavailable):
        ax.text(0.5, 0.5, str(res), ha="center", va="center", wrap=True, fontsize=6, transform=ax.transAxes)
        continue
    frame = res.to_frame()
    plots.event_study_plot(frame, ax=ax, reference=res.extra.get("reference_period", -1), ylabel="per 100,000")
    ax.set_title(outcome.replace("_", " "))
    pt = res.extra.get("pretrend_test", {})
    es_frames.append(frame.assign(outcome=outcome, pretrend_p=pt.get("p_value", np.nan)))
es_data = pd.concat(es_frames, ignore_index=True) if es_frames else pd.DataFrame({"note": ["event study not available"]})
log.figure(fig, "fig_287g_nc_event_study", es_data, description="TWFE event study, reference year -1, onset at 0, 95% bands")
plt.show()
es_data[["outcome", "term", "estimate", "conf_low", "conf_high", "pretrend_p"]] if es_frames else es_data

# %% [markdown]
# ## Callaway-Sant'Anna (never-treated controls)
# Group-time ATTs of each adoption cohort against the 91 never-treated counties,
# aggregated into a simple ATT and an event-time profile.

# %%
cs_results = {}
cs_frames = []
for outcome in outcomes:
    res = studies.estimate("callaway_santanna", main, outcome, "fips", "year", "g287_cohort", control_group="never_treated",
                           weights="population", cluster="fips", optional={"seed": seed})  # fmt: skip
    cs_results[outcome] = res
    if not isinstance(res, studies.Unavailable):
        cs_frames.append(res.to_frame().assign(outcome=outcome))
if cs_frames:
    cs_all = pd.concat(cs_frames, ignore_index=True)
    fig, axes = plt.subplots(1, len(outcomes), figsize=plots.FIGSIZES["full"], squeeze=False)
    for ax, outcome in zip(axes[0], outcomes, strict=True):
        dyn = cs_all[(cs_all["outcome"] == outcome) & cs_all["term"].str.match(r"^e-?\d+$")]
        dyn = dyn[dyn["event_time"].between(event_window[0], event_window[1])]
        plots.event_study_plot(dyn, ax=ax, reference=None, ylabel="per 100,000")
        ax.set_title(outcome.replace("_", " "))
    log.figure(fig, "fig_287g_nc_callaway_santanna", cs_all[cs_all["term"].str.match(r"^e-?\d+$")],
               description="Callaway-Sant'Anna event-time ATTs (never-treated controls), 95% bands")  # fmt: skip
    plt.show()
    display(cs_all[cs_all["event_time"].isna()][["outcome", "term", "estimate", "std_error", "conf_low", "conf_high"]])
else:
    print(cs_results[outcomes[0]])

# %% [markdown]
# ## Agreements that ended: de Chaisemartin-D'Haultfoeuille
# Five of the nine agreements ended in 2010-2012 (STUDIES.md §1). The
# de Chaisemartin-D'Haultfoeuille estimator compares switchers (on or off)
# with units whose treatment did not change; treatment = a wholly exposed year.

# %%
dcdh_results = {}
for outcome in outcomes:
    dcdh_results[outcome] = studies.estimate("dcdh", main, outcome, "fips", "year", treatment="g287_treated",
                                             weights="population", cluster="fips", requires=("treatment",),
                                             optional={"seed": seed})  # fmt: skip
dcdh_frames = [r.to_frame().assign(outcome=o) for o, r in dcdh_results.items() if not isinstance(r, studies.Unavailable)]
if dcdh_frames:
    dcdh_table = pd.concat(dcdh_frames, ignore_index=True)[["outcome", "term", "estimate", "std_error", "conf_low", "conf_high", "n_obs", "notes"]]
    log.table(dcdh_table, "tab_287g_nc_dcdh", description="de Chaisemartin-D'Haultfoeuille estimates (switching treatment: agreements that ended)")
    display(dcdh_table.drop(columns=["notes"]))
else:
    print(dcdh_results[outcomes[0]])

# %% [markdown]
# ## Few-cluster inference: wild cluster bootstrap and randomization inference
# Nine treated counties of 100: the wild cluster restricted bootstrap
# (Rademacher/Webb weights, null imposed) and a permutation test that reassigns
# the nine adoption dates across the 100 counties (cohort sizes kept) test the
# TWFE coefficient without relying on many treated clusters.

# %%
inf_rows, wcb_results = [], {}
for outcome in outcomes:
    wcb = studies.estimate("wild_cluster_bootstrap", main, outcome, "fips", "year", "g287_cohort", cluster="fips",
                           weights="population", n_boot=n_boot, seed=seed)  # fmt: skip
    ri = studies.estimate("randomization_inference", main, outcome, "fips", "year", "g287_cohort", weights="population",
                          n_perm=n_perm, seed=seed)  # fmt: skip
    wcb_results[outcome] = wcb
    for name, res in (("wild cluster bootstrap", wcb), ("randomization inference", ri)):
        h = studies.headline(res)
        p = np.nan if isinstance(res, studies.Unavailable) else res.extra.get("p_value", np.nan)
        inf_rows.append({"outcome": outcome, "method": name, "estimate": h["estimate"], "conf_low": h["conf_low"],
                         "conf_high": h["conf_high"], "p_value": p, "draws": n_boot if "bootstrap" in name else n_perm,
                         "note": h["note"]})  # fmt: skip
inference = pd.DataFrame(inf_rows)
log.table(inference, "tab_287g_nc_inference", description="Wild cluster bootstrap and randomization-inference p-values for TWFE")
inference

# %% [markdown]
# ## Synthetic control: Mecklenburg and Wake
# Each county against a weighted combination of the never-treated NC counties,
# with in-space placebo inference (each donor in turn treated as if it had
# signed). Mecklenburg signed 2006-02-27 and Wake 2008-06-25.

# %%
donors = main[~main["g287_ever"]]
sc_results, sc_frames = {}, []
for fips, name in case_studies.items():
    one = pd.concat([donors, main[main["fips"] == fips]], ignore_index=True)
    res = {}
    for outcome in outcomes:
        res[outcome] = studies.estimate("synthetic_control", one, outcome, "fips", "year", "g287_cohort",
                                        optional={"placebo": True, "seed": seed})  # fmt: skip
        if not isinstance(res[outcome], studies.Unavailable):
            sc_frames.append(res[outcome].to_frame().assign(county=name, outcome=outcome))
    sc_results[name] = res
if sc_frames:
    sc_all = pd.concat(sc_frames, ignore_index=True)
    fig, axes = plt.subplots(len(case_studies), len(outcomes), figsize=plots.FIGSIZES["full"], squeeze=False)
    for i, name in enumerate(case_studies.values()):
        for j, outcome in enumerate(outcomes):
            gap = sc_all[(sc_all["county"] == name) & (sc_all["outcome"] == outcome) & sc_all["event_time"].notna()]
            ax = axes[i][j]
            ax.plot(gap["event_time"], gap["estimate"], marker="o", ms=3, label=f"{name}: treated - synthetic")
            placebo = sc_results[name][outcome].extra.get("placebo_gaps")
            if isinstance(placebo, pd.DataFrame) and not placebo.empty:
                for _, pg in placebo.groupby(placebo.columns[0]):
                    ax.plot(pg.iloc[:, 1], pg.iloc[:, 2], color="grey", lw=0.4, alpha=0.4, zorder=0)
            ax.axhline(0, color="black", lw=0.8)
            ax.axvline(-0.5, color="grey", ls="--", lw=0.8)
            ax.set_title(f"{name}: {outcome.replace('_', ' ')}", fontsize=7)
    log.figure(fig, "fig_287g_nc_synthetic_control", sc_all, description="Synthetic-control gaps for Mecklenburg and Wake with placebo gaps")
    plt.show()
else:
    print(next(iter(next(iter(sc_results.values())).values())))

# %% [markdown]
# ## Minimum detectable effect
# What effect could this design have detected? The package's simulation-based
# `minimum_detectable_effect` when it exists; otherwise the analytic
# approximation (z_{1-a/2} + z_{0.8}) x SE of the wild-bootstrap-tested TWFE
# coefficient, with the bootstrap interval's half-width translated into an SE
# (half-width / 1.96) because the analytic CR1 SE is unreliable with 9 treated
# clusters.

# %%
mde = {}
for outcome in outcomes:
    res = studies.estimate("minimum_detectable_effect", main, outcome, "fips", "year", "g287_cohort",
                           weights="population", cluster="fips",
                           optional={"n_sims": n_mde_sims, "n_simulations": n_mde_sims, "seed": seed, "alpha": alpha})  # fmt: skip
    if isinstance(res, studies.Unavailable):
        w = wcb_results[outcome]
        se = (w.term("treated")["conf_high"] - w.term("treated")["conf_low"]) / (2 * 1.959964) if not isinstance(w, studies.Unavailable) else np.nan
        mde[outcome] = (studies.analytic_mde(se, alpha), "analytic: (z_0.975 + z_0.8) x bootstrap-interval SE")
    else:
        mde[outcome] = (float(res.estimate), "simulation (minimum_detectable_effect)")
    log.value(f"mde_{outcome}", mde[outcome][0])
pd.DataFrame({"outcome": list(mde), "mde": [v[0] for v in mde.values()], "method": [v[1] for v in mde.values()]})

# %% [markdown]
# ## Study vs rebuild
# The paper's conclusion in the words of STUDIES.md, beside our main estimate
# (TWFE, first-full-year rule, interval from the wild cluster bootstrap), the
# Callaway-Sant'Anna ATT and the minimum detectable effect on the data used.

# %%
rows = []
for outcome in outcomes:
    rows.append({"outcome": outcome, "specification": "TWFE, first full year, absorbing; wild cluster bootstrap interval",
                 "result": wcb_results[outcome], "mde": mde[outcome][0], "mde_method": mde[outcome][1]})  # fmt: skip
    rows.append({"outcome": outcome, "specification": "Callaway-Sant'Anna, never-treated controls, simple ATT",
                 "result": cs_results[outcome], "term": None if isinstance(cs_results[outcome], studies.Unavailable) else "ATT(simple)",
                 "mde": mde[outcome][0], "mde_method": mde[outcome][1]})  # fmt: skip
differences = [
    "annual data with a documented partial-year rule (both rules shown)",
    "crime data: " + ("the built-in SYNTHETIC panel, not NC data" if synthetic else f"panel {data_source!r} (see its manifest)"),
    "outcomes limited to violent, property and index rates (no clearance rates or assaults on officers in the panel)",
    "the paper's exact specification (controls, weights, clustering) is not known to us: county and year FE, population weights, county clusters chosen here",
    "no refused-applicant control group (the list is not public)",
]
svr = studies.study_vs_rebuild("287g_nc", rows, data_label=data_label, differences=differences)
for i, r in svr.iterrows():
    log.value(f"svr_{r['outcome']}_{i}_estimate", r["estimate"])
log.table(svr, "tab_287g_nc_study_vs_rebuild", description="Paper conclusion vs our estimates, intervals and MDE")
svr[["outcome", "specification", "estimate", "conf_low", "conf_high", "mde", "detectable"]]

# %%
outputs_md = log.finish()
print(f"outputs recorded in {outputs_md}")
