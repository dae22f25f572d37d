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
# # Secure Communities and county crime: the Miles & Cox design, rebuilt
#
# **Question.** Did the staggered activation of Secure Communities (SC),
# October 2008 to January 2013, reduce crime in US counties?
#
# **Study.** Miles & Cox (2014), "Does Immigration Enforcement Reduce Crime?
# Evidence from Secure Communities", *Journal of Law and Economics*
# 57(4):937-973: more than 3,000 counties, county-month data, index, violent
# and property crime rates. Abstract: "no observable effect on the overall crime
# rate". Reported but unverified: sensitivity to county-specific linear trends.
#
# **Design here.** Annual county panel (the built-in or a real one); levels and
# logs; county and year fixed effects, population weights, state clusters, with
# and without county-specific linear trends; event study; since every county
# is treated by 2013 there is no never-treated group: Callaway-Sant'Anna with
# not-yet-treated controls and the imputation estimator; the Goodman-Bacon
# decomposition of the TWFE estimate; HonestDiD sensitivity to violations of
# parallel trends (instead of trends alone); activation timing against county
# characteristics (early activation correlates with Hispanic share, STUDIES.md
# §4); and the minimum detectable effect.
#
# **Inputs.** `data_source`: `"synthetic"` (default) or a processed county panel
# (e.g. `"cius_county"`, `"kaplan_county_full12"`, `"icpsr_county"`).
# **Outputs.** `reports/figures/secure_communities/fig_sc_county_*`,
# `reports/tables/secure_communities/tab_sc_county_*`. **Run time.** About 10-30 s.

# %% tags=["parameters"]
data_source = "synthetic"  # "synthetic" or a processed county panel, e.g. "cius_county"
seed = 20140101
preset = "null"
first_year = 2004  # our choice: the paper's exact window is not in STUDIES.md
last_year = 2014  # includes the first full year of the January 2013 activations
outcomes = ["index_rate", "violent_rate", "property_rate"]
exposure_rule = "first_full_year"  # or "share_of_year"
event_window = [-4, 3]
honest_mbar = [0.0, 0.5, 1.0, 1.5, 2.0]
n_mde_sims = 200  # placebo adoption-date draws for the minimum detectable effect
alpha = 0.05
study = "secure_communities"

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from IPython.display import display

from enforcement_crime import plots, studies
from enforcement_crime.panels import data_banner

plots.use_style("paper")
study_data = studies.open_study(data_source, seed=seed, preset=preset)
raw, synthetic, data_label = study_data.raw, study_data.synthetic, study_data.label
estimate, design_mde = study_data.estimate, study_data.design_mde
panel = raw[raw["year"].between(first_year, last_year)].copy()
no_date = panel["sc_activation_date"].isna()
print(f"{panel.loc[no_date, 'fips'].nunique()} counties without an SC activation date dropped ({int(no_date.sum())} rows)")
panel = panel[~no_date.to_numpy()]
if panel.empty:
    raise ValueError(f"panel {data_source!r} has no county with an SC activation date in {first_year}-{last_year}")
panel = studies.add_treatment(panel, "sc_activation_date", rule=exposure_rule, prefix="sc")
for col in outcomes:  # log(1 + rate) keeps zero-crime county-years (documented choice)
    panel[f"log_{col}"] = np.log1p(panel[col].astype("float64"))
log = studies.OutputLog(study, "notebooks/secure_communities/01-estimate-county-crime.py", synthetic, data_label)
print(f"Data: {data_label}; {panel['fips'].nunique()} counties, years present {sorted(panel['year'].unique().tolist())}, {len(panel)} rows; "
      f"never-treated counties in the window: {int((panel.groupby('fips')['sc_cohort'].first() == 0).sum())}")  # fmt: skip
data_banner(raw)

# %% [markdown]
# ## Rollout and raw trends

# %%
counties = panel.sort_values("year").groupby("fips").agg(sc=("sc_activation_date", "first"), pop=("population", "last"),
                                                          cohort=("sc_cohort", "first"))  # fmt: skip
fig, axes = plt.subplots(1, 2, figsize=plots.FIGSIZES["full"])
_, by_c = plots.rollout_plot(counties["sc"], ax=axes[0], label="counties")
_, by_p = plots.rollout_plot(counties["sc"], counties["pop"], ax=axes[0], label="population")
axes[0].set_title("SC activation")
axes[0].legend()
rep = panel.dropna(subset=["index"])
sums = rep.groupby(["sc_cohort", "year"])[["index", "population"]].sum()
trends = (sums["index"] / sums["population"] * 1e5).rename("index_rate").reset_index()
for cohort, g in trends.groupby("sc_cohort"):
    axes[1].plot(g["year"], g["index_rate"], label=str(cohort))
axes[1].set_title("Index crime rate by SC cohort")
axes[1].set_ylabel("per 100,000")
axes[1].legend(title="cohort", fontsize=6, ncols=2)
fig_data = pd.concat([by_c, by_p, trends.assign(series="index_rate by cohort")], ignore_index=True)
studies.share_axis_labels(fig, fig.axes)
log.figure(fig, "fig_sc_county_rollout_trends", fig_data, description="SC rollout (counties, population) and index rate by cohort")
plt.show()

# %% [markdown]
# ## TWFE: levels and logs, with and without county trends
# County and year FE, population weights, state clusters.

# %%
rows, twfe_res = [], {}
for outcome in outcomes:
    for transform, y in (("level", outcome), ("log(1+rate)", f"log_{outcome}")):
        for trends_label, ut in (("no trends", False), ("county linear trends", True)):
            res = estimate("twfe", panel, y, "fips", "year", "sc_cohort", weights="population", cluster="state", unit_trends=ut)
            twfe_res[(outcome, transform, ut)] = res
            rows.append({"outcome": outcome, "transform": transform, "trends": trends_label, **studies.headline(res)})
twfe_table = pd.DataFrame(rows)
log.table(twfe_table.drop(columns=["note"]), "tab_sc_county_twfe", description="TWFE: levels and logs, with and without county trends")
twfe_table[["outcome", "transform", "trends", "estimate", "std_error", "conf_low", "conf_high"]]

# %% [markdown]
# ## Event study, Callaway-Sant'Anna (not yet treated) and imputation
# Dynamic TWFE (reference year -1, endpoints binned), Callaway-Sant'Anna with
# not-yet-treated controls, and the Borusyak-Jaravel-Spiess imputation
# estimator, side by side for each outcome (levels).

# %%
es, cs, imp, frames = {}, {}, {}, []
fig, axes = plt.subplots(1, len(outcomes), figsize=plots.FIGSIZES["full"], squeeze=False)
treated_et = (panel["year"] - panel["sc_cohort"])[(panel["sc_cohort"] > 0) & (panel["year"] >= panel["sc_cohort"])]
horizons = [h for h in range(0, event_window[1] + 1) if h in set(treated_et.astype(int))]  # event times the panel has
for ax, outcome in zip(axes[0], outcomes, strict=True):
    es[outcome] = estimate("event_study", panel, outcome, "fips", "year", "sc_cohort", weights="population",
                                   cluster="state", window=tuple(event_window))  # fmt: skip
    cs[outcome] = estimate("callaway_santanna", panel, outcome, "fips", "year", "sc_cohort",
                                   control_group="not_yet_treated", weights="population", cluster="state")  # fmt: skip
    imp[outcome] = estimate("imputation", panel, outcome, "fips", "year", "sc_cohort", weights="population",
                                    cluster="state", optional={"horizons": horizons})  # fmt: skip
    if isinstance(imp[outcome], studies.Unavailable):  # e.g. gapped real years: keep the static ATT
        print(f"{outcome}: {imp[outcome]}; static imputation ATT only")
        imp[outcome] = estimate("imputation", panel, outcome, "fips", "year", "sc_cohort", weights="population", cluster="state")
    for k, (name, res) in enumerate((("TWFE event study", es[outcome]), ("Callaway-Sant'Anna (not yet)", cs[outcome]),
                                      ("imputation", imp[outcome]))):  # fmt: skip
        if isinstance(res, studies.Unavailable):
            print(res)
            continue
        f = res.to_frame()
        f = f[f["term"].str.match(r"^e-?\d+$") & f["event_time"].between(event_window[0], event_window[1])]
        if f.empty:
            continue
        ref = res.extra.get("reference_period") if name == "TWFE event study" else None
        plots.event_study_plot(f, ax=ax, label=name, offset=0.15 * (k - 1), reference=ref, ylabel="per 100,000")
        frames.append(f.assign(outcome=outcome, estimator_label=name))
    ax.set_title(outcome.replace("_", " "))
axes[0][0].legend(fontsize=6)
es_data = pd.concat(frames, ignore_index=True)
studies.share_axis_labels(fig, fig.axes)
log.figure(fig, "fig_sc_county_event_study", es_data, description="Event-time effects: TWFE (ref -1), CS not-yet-treated, imputation; 95% bands")
plt.show()
static_rows = []
for outcome in outcomes:
    for name, res, term in (("TWFE", twfe_res[(outcome, "level", False)], None), ("Callaway-Sant'Anna (not yet)", cs[outcome], "ATT(simple)"),
                            ("imputation", imp[outcome], None)):  # fmt: skip
        static_rows.append({"outcome": outcome, "specification": name,
                            **studies.headline(res, None if isinstance(res, studies.Unavailable) else term)})  # fmt: skip
static = pd.DataFrame(static_rows)
log.table(static.drop(columns=["note"]), "tab_sc_county_estimators", description="Static ATT by estimator (levels)")
static[["outcome", "specification", "term", "estimate", "conf_low", "conf_high"]]

# %% [markdown]
# ## Goodman-Bacon decomposition of the TWFE estimate
# Which 2x2 comparisons make up the (unweighted) TWFE coefficient, and how much
# weight goes to "forbidden" comparisons of later- against earlier-treated
# counties. The decomposition needs a balanced panel: counties with any
# unreported year are left out (and counted).

# %%
bacon_rows = []
for outcome in outcomes:
    balanced, left_out = studies.balanced(panel, "fips", "year", outcome)
    res = estimate("bacon_decomposition", balanced, outcome, "fips", "year", "sc_cohort")
    if isinstance(res, studies.Unavailable):
        print(res)
        continue
    bt = res.extra["by_type"].reset_index() if "type" not in res.extra["by_type"].columns else res.extra["by_type"].copy()
    bt = bt.assign(outcome=outcome, twfe_unweighted=res.extra["twfe"],
                   counties_left_out=left_out)  # fmt: skip
    bacon_rows.append(bt)
    comps = res.extra["comparisons"]
    if outcome == outcomes[0]:
        fig, ax = plt.subplots()
        for t, g in comps.groupby("type"):
            ax.scatter(g["weight"], g["estimate"], s=12, label=t)
        ax.axhline(res.extra["twfe"], color="black", lw=0.8, ls="--", label="TWFE (unweighted)")
        ax.set_xlabel("Weight")
        ax.set_ylabel("2x2 DiD estimate")
        ax.set_title(f"Bacon decomposition: {outcome.replace('_', ' ')}")
        ax.legend(fontsize=6)
        studies.share_axis_labels(fig, fig.axes)
        log.figure(fig, "fig_sc_county_bacon", comps.assign(outcome=outcome), description="Goodman-Bacon 2x2 comparisons, weight vs estimate")
        plt.show()
if bacon_rows:
    bacon = pd.concat(bacon_rows, ignore_index=True)
    log.table(bacon, "tab_sc_county_bacon", description="Bacon decomposition: weight and mean estimate by comparison type")
    display(bacon)

# %% [markdown]
# ## HonestDiD: how large a violation of parallel trends would overturn the conclusion?
# Relative-magnitude restriction (Rambachan & Roth): post-period violations at
# most Mbar times the largest pre-period one; the target is the average of the
# post-period effects of the TWFE event study. The breakdown value is the
# smallest Mbar whose robust interval contains zero. Caveat: with no
# never-treated counties the event study is identified only with binned
# endpoints, and HonestDiD reads the two end bins as single periods (it warns
# about this); the bounds on the interior periods are the informative part.

# %%
hd_rows = []
for outcome in outcomes:
    if isinstance(es[outcome], studies.Unavailable):
        continue
    res = estimate("honest_did", es[outcome], method="relative_magnitude", mbar_grid=honest_mbar, alpha=alpha, seed=seed)
    if isinstance(res, studies.Unavailable):
        print(res)
        break
    f = res.to_frame()[["term", "estimate", "std_error", "conf_low", "conf_high"]]
    hd_rows.append(f.assign(outcome=outcome, breakdown=res.extra.get("breakdown", np.nan)))
if hd_rows:
    honest = pd.concat(hd_rows, ignore_index=True)
    honest["mbar"] = honest["term"].str.replace("Mbar=", "", regex=False).astype(float)
    fig, axes = plt.subplots(1, len(outcomes), figsize=plots.FIGSIZES["full"], squeeze=False)
    for ax, (outcome, g) in zip(axes[0], honest.groupby("outcome", sort=False), strict=False):
        ax.errorbar(g["mbar"], (g["conf_low"] + g["conf_high"]) / 2, yerr=(g["conf_high"] - g["conf_low"]) / 2, fmt="none", capsize=3)
        ax.axhline(0, color="black", lw=0.8)
        ax.set_title(outcome.replace("_", " "))
        ax.set_xlabel("Mbar")
    axes[0][0].set_ylabel("robust 95% interval, average post effect")
    studies.share_axis_labels(fig, fig.axes)
    log.figure(fig, "fig_sc_county_honest_did", honest, description="HonestDiD relative-magnitude robust intervals by Mbar")
    plt.show()
    log.table(honest, "tab_sc_county_honest_did", description="HonestDiD robust intervals and breakdown values")
    display(honest)

# %% [markdown]
# ## Activation timing against county characteristics
# SC was not randomly timed: early activation correlates with Hispanic share
# (Cox & Miles 2013, STUDIES.md §4). OLS of the activation month (months since
# October 2008) on pre-period characteristics, state-clustered standard errors.
# Characteristics the panel lacks are left out and listed.

# %%
pre = panel[panel["year"] < 2008]
c = panel.groupby("fips").agg(sc=("sc_activation_date", "first"), state=("state", "first"))
c["months_since_oct2008"] = (c["sc"].dt.year - 2008) * 12 + c["sc"].dt.month - 10
c["log_population"] = np.log(pre.groupby("fips")["population"].mean())
c["pre_index_rate"] = pre.groupby("fips")["index_rate"].mean()
covariates = ["log_population", "pre_index_rate"]
for extra in ("hispanic_share", "border_state"):
    if extra in panel.columns:
        c[extra] = panel.groupby("fips")[extra].first().astype(float)
        covariates.append(extra)
missing_cov = [x for x in ("hispanic_share", "border_state") if x not in covariates]
c = c.dropna(subset=["months_since_oct2008", *covariates])
print(f"{len(c)} counties with every characteristic; not in this panel: {missing_cov or 'none'}")
fit = smf.ols("months_since_oct2008 ~ " + " + ".join(covariates), data=c).fit(cov_type="cluster", cov_kwds={"groups": c["state"]})
balance = pd.DataFrame({"term": fit.params.index, "estimate": fit.params.values, "std_error": fit.bse.values,
                        "p_value": fit.pvalues.values, "n_counties": int(fit.nobs), "r_squared": fit.rsquared})  # fmt: skip
log.table(balance, "tab_sc_county_timing_balance", description="Activation month regressed on county characteristics (state clusters)")
xcol = "hispanic_share" if "hispanic_share" in covariates else "log_population"
fig, ax = plt.subplots()
ax.scatter(c[xcol], c["sc"], s=3, alpha=0.4)
ax.set_xlabel(xcol.replace("_", " "))
ax.set_ylabel("SC activation date")
studies.share_axis_labels(fig, fig.axes)
log.figure(fig, "fig_sc_county_timing", c[[xcol, "sc", "months_since_oct2008"]].reset_index(), description=f"SC activation date against {xcol}")
plt.show()
balance

# %% [markdown]
# ## Minimum detectable effect and study vs rebuild
# TWFE rows: the package's `minimum_detectable_effect` (placebo adoption
# dates, state-clustered t-test; its size under the placebo dates is shown).
# Other estimators: (z_{0.975} + z_{0.8}) x the estimate's standard error.

# %%
svr_rows = []
for outcome in outcomes:
    d = design_mde(panel, outcome, "fips", "year", "sc_cohort", weights="population", cluster="state",
                           n_sim=n_mde_sims, seed=seed, alpha=alpha)  # fmt: skip
    for name, r, term in (("TWFE, county+year FE, population weights, state clusters", twfe_res[(outcome, "level", False)], None),
                          ("TWFE with county linear trends", twfe_res[(outcome, "level", True)], None),
                          ("Callaway-Sant'Anna, not-yet-treated controls", cs[outcome], "ATT(simple)"),
                          ("imputation (Borusyak-Jaravel-Spiess)", imp[outcome], None)):  # fmt: skip
        h = studies.headline(r, None if isinstance(r, studies.Unavailable) else term)
        if name.startswith("TWFE,") and not isinstance(d["result"], studies.Unavailable):
            m, how = d["mde"], f"simulation: {d['n_sim']} placebo adoption-date draws, state-clustered t-test (size {d['size']:.2f})"
        else:
            m, how = studies.analytic_mde(h["std_error"], alpha), "analytic: (z_0.975 + z_0.8) x SE of this estimate"
        svr_rows.append({"outcome": outcome, "specification": name, "result": r, "term": h["term"], "mde": m, "mde_method": how})
differences = [
    "annual county-year data (the paper used county-month data)",
    "crime data: " + ("the built-in SYNTHETIC panel" if synthetic else f"panel {data_source!r} (see its manifest)"),
    f"years {first_year}-{last_year} and partial-year rule {exposure_rule!r} are our choices",
    "log outcome is log(1 + rate)",
    "no ICE-detention intensity design (the paper's elasticity analysis)",
]
svr = studies.study_vs_rebuild("sc_county", svr_rows, data_label=data_label, differences=differences)
log.table(svr, "tab_sc_county_study_vs_rebuild", description="Paper conclusion vs our estimates, intervals and MDE")
display(svr[["outcome", "specification", "estimate", "conf_low", "conf_high", "mde"]])
print(log.finish())
