"""287(g) in North Carolina: the Cato design (Forrester & Nowrasteh 2018; STUDIES.md section 1).

Units: the 100 NC counties, 2003-2013, annual; outcomes: violent, property and
index crime per 100,000, analysed in log(1 + rate) for the headline (rates in
levels beside it): on the realistic null panel (:mod:`enforcement_crime.synthetic`)
parallel trends hold in logs, while in levels the larger adopting counties'
rates fall by more per 100,000, biasing a levels DiD (README, synthetic data). Treatment: the nine jurisdictions of the paper's
Table A1 (:func:`enforcement_crime.facts.nc_287g_agreements`), first full
calendar year of the agreement (or share of the year). Nine treated of 100
clusters: inference by wild cluster bootstrap and randomization inference;
single-county case studies by synthetic control. The paper's exact
specification (controls, weights, clustering) is not known to us: county and
year fixed effects, population weights and county clusters are our choices.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from enforcement_crime.designs.base import (
    Design,
    NotEstimable,
    Spec,
    StudySample,
    Treatment,
    balanced,
    headline,
    run,
)
from enforcement_crime.designs.mde import design_mde
from enforcement_crime.estimators import (
    analytic_mde,
    callaway_santanna,
    dcdh,
    randomization_inference,
    synthetic_control,
    twfe,
    wild_cluster_bootstrap,
)
from enforcement_crime.facts import nc_287g_agreements
from enforcement_crime.plots import cohort_trends, top_donors
from enforcement_crime.treatment import EXPOSURE_RULES

__all__ = ["NC287g", "DESIGN", "COUNT_MODELS", "CLEARANCE_RULE"]


def _normal_p(estimate: float, std_error: float) -> float:
    """Two-sided p-value of ``estimate / std_error`` against the normal (NaN when not finite)."""
    from scipy.stats import norm

    t = estimate / std_error if std_error and np.isfinite(std_error) else np.nan
    return float(2 * norm.sf(abs(t))) if np.isfinite(t) else np.nan


RATES = {"violent_rate": "violent", "property_rate": "property", "index_rate": "index"}

#: assault outcomes of the agency panel -> (count, exposure) of their count model (PPML)
COUNT_MODELS: dict[str, tuple[str, str]] = {
    "assaults_per_100_officers": ("assaults_on_officers", "officers"),
    "assaults_per_100k": ("assaults_on_officers", "population_served"),
}
#: the agency sample rule for clearance rates, as stated in the tables
CLEARANCE_RULE = (
    "agency-years whose clearances were not reported (every clearance cell 0) or with no "
    "offenses have no clearance rate and are left out of the clearance-rate estimates only"
)


@dataclass(frozen=True)
class NC287g(Design):
    """The NC county design; its own analyses are the methods below."""

    case_studies: tuple[tuple[str, str], ...] = (("37119", "Mecklenburg"), ("37183", "Wake"))
    n_boot: int = 999  # wild cluster bootstrap draws
    n_perm: int = 199  # randomization-inference permutations
    agency_rules: bool = False  # agency panel: drop rows without population served; clearance rule
    #: the coverage rule (:meth:`coverage_rule`), percent; None: not applied
    min_coverage: float | None = 80.0
    #: one-state design: the verdict's placebo permutes adoption dates within population quartiles
    placebo_scheme: ClassVar[str] = "within strata"
    placebo_strata: ClassVar[str | None] = "pop_stratum"

    def sample_rules(self, df: pd.DataFrame, log: list[dict]) -> pd.DataFrame:
        """The base rules; on an agency panel (``agency_rules``) also the agency rules.

        Agency-years with population served 0 or missing (e.g. the Gaston
        sheriff, whose county police department reports for the county) have
        no rate and no positive weight: they are dropped and counted. The
        clearance rule (:data:`CLEARANCE_RULE`) drops nothing from the sample:
        the rows it concerns are counted as set aside, since their clearance
        rates are missing and every estimator leaves them out of those outcomes.
        """
        from enforcement_crime.designs.base import _drop

        df = super().sample_rules(df, log)
        df = self.table_a1_dates(df, log)
        df = self.coverage_rule(df, log)
        if not self.agency_rules:
            return df
        pop = pd.to_numeric(df["population_served"], errors="coerce")
        df = _drop(df, ~(pop > 0).fillna(False), self.unit,
                   "population served", "agency-years with population served 0 or missing "
                   "(no rate, no positive weight)", log)  # fmt: skip
        clr = [o for o in self.outcomes if o.startswith("clearance_rate")]
        if clr:
            none = df[clr].isna().all(axis=1)
            units = set(df.loc[none, self.unit]) - set(df.loc[~none, self.unit])
            log.append({"rule": "clearances reported", "rows_dropped": 0,
                        "units_dropped": 0, "rows_set_aside": int(none.sum()),
                        "units_set_aside": len(units), "why": CLEARANCE_RULE})  # fmt: skip
        return df

    def coverage_rule(self, df: pd.DataFrame, log: list[dict]) -> pd.DataFrame:
        """Drop county-years whose listed agencies serve less than ``min_coverage`` percent of the county.

        The rule of the ``nc_county`` build
        (:data:`~enforcement_crime.panels.nc_county.MIN_COVERAGE`), applied
        again here so that it holds on every county panel the design opens
        (rows already dropped by the build are in its manifest). Not applied
        on agency panels, nor on the sheriff panels (column
        ``county_agency``), whose ``coverage`` is the sheriff's own share of
        the county, low by construction.
        """
        from enforcement_crime.designs.base import _drop

        if (self.min_coverage is None or self.unit != "fips" or "coverage" not in df.columns
                or "county_agency" in df.columns):  # fmt: skip
            return df
        cov = pd.to_numeric(df["coverage"], errors="coerce")
        return _drop(df, cov < self.min_coverage, self.unit, "coverage",
                     f"county-years whose listed agencies serve less than {self.min_coverage:g}% of the "
                     "county population (a missing agency, not a change in crime)", log)  # fmt: skip

    def table_a1_dates(self, df: pd.DataFrame, log: list[dict]) -> pd.DataFrame:
        """On a county panel, the 287(g) dates of Table A1 (:func:`~enforcement_crime.facts.nc_287g_agreements`).

        Every county panel gets the signing and end dates (and the model) of
        Forrester & Nowrasteh (2018), Table A1, the dates the notebook shows
        (:meth:`treated_table`): a panel built from the national rosters (e.g.
        ``cius_sheriff``) has other end dates, and agreements Table A1 does not
        list. The counties whose dates change, and those set to never treated,
        are named in the sample accounting (rule ``"Table A1 dates"``). Agency
        panels (``unit`` not ``fips``) carry Table A1 dates by construction and
        are left as they are.
        """
        if self.unit != "fips" or self.treatment.start not in df.columns:
            return df
        t = self.treatment
        facts = nc_287g_agreements().set_index("fips")
        fips = df["fips"].astype("string")
        new = {t.start: fips.map(facts["signed"]), t.end: fips.map(facts["end_date"])}
        changed: set[str] = set()
        for col, value in new.items():
            value = pd.to_datetime(value).astype("datetime64[ns]")
            old = pd.to_datetime(df[col]).astype("datetime64[ns]")
            differs = (old != value) & ~(old.isna() & value.isna())
            changed |= set(fips[differs.to_numpy()])
            df[col] = value.to_numpy()
        if "g287_model" in df.columns:
            df["g287_model"] = fips.map(facts["model"]).astype("string").to_numpy()
        gone = sorted(u for u in changed if u not in facts.index)
        moved = sorted(u for u in changed if u in facts.index)
        why = ("287(g) dates of Forrester & Nowrasteh (2018) Table A1 on every county: "
               + (f"dates changed for {len(moved)} Table A1 counties ({', '.join(moved)})" if moved
                  else "no Table A1 county's date changed")
               + (f"; {len(gone)} counties with a panel date not in Table A1 set to never treated "
                  f"({', '.join(gone)})" if gone else ""))  # fmt: skip
        log.append({"rule": "Table A1 dates", "rows_dropped": 0, "units_dropped": 0,
                    "rows_set_aside": 0, "units_changed": len(changed), "why": why})  # fmt: skip
        return df

    # ---- declared specifications ---------------------------------------------------
    def twfe_specs(self) -> tuple[Spec, ...]:
        """TWFE under both partial-year rules: absorbing, switching off, share of the year."""
        return (
            Spec("first full year, absorbing", twfe),
            Spec("first full year, switching off", twfe, treatment="treated"),
            Spec("share of year (switching off)", twfe, treatment="share"),
        )

    def headline_spec(self) -> Spec:
        return Spec(
            "TWFE, first full year, absorbing, log(1 + rate); wild cluster bootstrap interval",
            wild_cluster_bootstrap,
            {"n_boot": self.n_boot, "seed": self.boot_seed},
        )

    def cs_spec(self) -> Spec:
        """Callaway-Sant'Anna with a restricted wild cluster bootstrap (the analytic interval over-rejects
        with 9 treated clusters: ``benchmarks/cs_wild_size.py`` measures both)."""
        return Spec(
            "Callaway-Sant'Anna, never-treated controls, simple ATT; wild cluster bootstrap",
            callaway_santanna,
            {
                "control_group": "never_treated",
                "inference": "wild_cluster",
                "n_boot": self.n_boot,
                "seed": self.boot_seed,
            },
            term="ATT(simple)",
            partial_year="anticipation",
        )

    def dcdh_spec(self) -> Spec:
        return Spec("de Chaisemartin-D'Haultfoeuille (switching)", dcdh, treatment="treated")

    def ri_spec(self) -> Spec:
        """Adoption dates permuted within population quartiles (large counties trade dates with large ones)."""
        return Spec(
            "TWFE, randomization inference (adoption dates permuted within population quartiles)",
            randomization_inference,
            {"n_perm": self.n_perm, "stratify": "pop_stratum", "seed": self.boot_seed},
            clustered=False,
        )

    def finish(self, df: pd.DataFrame, log: list[dict]) -> pd.DataFrame:
        """Adds ``pop_stratum``: the unit's population quartile (mean over the window) among the units.

        The population is the design's weight column (``population``; e.g.
        ``population_served`` when the design is opened on agencies).
        """
        mean_pop = df.groupby(self.unit)[self.weights or "population"].mean()
        quartile = pd.qcut(mean_pop.rank(method="first"), 4, labels=False).astype(int)
        df["pop_stratum"] = df[self.unit].map(quartile).to_numpy()
        return df

    def robustness_specs(self) -> tuple[Spec, ...]:
        return (*self.twfe_specs(), self.cs_spec(), self.ri_spec())

    def robust_spec(self) -> Spec:
        """TWFE, first full year, absorbing (analytic CR1): the point estimate behind the bootstrap headline."""
        return self.twfe_specs()[0]

    side_table_keys: ClassVar[tuple[str, ...]] = ("spillovers",)

    def side_tables(
        self, sample: StudySample, *, seed: int = 0
    ) -> dict[str, tuple[str, pd.DataFrame]]:
        """Spillovers to neighbouring counties (:func:`.neighbours.spillover_table`)."""
        from enforcement_crime.designs.neighbours import spillover_table

        return {"spillovers": ("Spillovers: untreated counties with a neighbouring county under an active "
                               "agreement vs without (TWFE, CR1 and wild cluster bootstrap by county)",
                               spillover_table(sample, seed=seed))}  # fmt: skip

    # ---- the study's analyses -----------------------------------------------------
    def treated_table(self, sample: StudySample) -> pd.DataFrame:
        """The nine jurisdictions, their dates and their annual cohorts under both rules."""
        facts = nc_287g_agreements()
        out = facts[["fips", "county", "agency", "model", "signed", "end_date"]].copy()
        for rule in EXPOSURE_RULES:
            p = sample.with_rule(rule).data
            out[f"cohort_{rule}"] = (
                out["fips"].map(p.groupby("fips")[self.treatment.cohort].first()).astype("Int64")
            )
        out["in_panel"] = out["fips"].isin(sample.data["fips"])
        out["signed"] = out["signed"].dt.date.astype(str)
        out["end_date"] = out["end_date"].dt.date.astype("string").fillna("active past 2015")
        return out

    def raw_trends(self, sample: StudySample) -> pd.DataFrame:
        """Population-weighted rates of the treated units and of the others, by year (tidy).

        Crime rates are aggregated from their counts; the other outcomes (on
        an agency panel: clearance and assault rates) are weighted means.
        """
        unit = "counties" if self.unit == "fips" else self.unit_name
        df = sample.data.assign(
            group=np.where(sample.data[self.treatment.ever], f"287(g) {unit}", f"other NC {unit}")
        )
        outcomes = list(dict.fromkeys([*RATES, *self.outcomes]))
        return cohort_trends(df, outcomes, cohort=self.treatment.cohort, year=self.time, counts=RATES,
                             weights=self.weights or "population", groups="group")  # fmt: skip

    def twfe_rules(self, sample: StudySample) -> tuple[pd.DataFrame, dict]:
        """TWFE under both rules for every outcome: the table and the results by (outcome, specification)."""
        ffy = sample.with_rule("first_full_year")
        rows, results = [], {}
        for outcome in self.outcomes:
            for scale in ("log", "level"):  # the headline scale (logs), then rates per 100,000
                for spec in self.twfe_specs():
                    res = dataclasses.replace(spec, transform=scale).fit(ffy, outcome)
                    results[(outcome, spec.label, scale)] = res
                    rows.append(
                        {
                            "outcome": outcome,
                            "scale": scale,
                            "specification": spec.label,
                            **headline(res),
                        }
                    )
        return pd.DataFrame(rows), results

    def event_studies(self, sample: StudySample) -> tuple[dict, pd.DataFrame]:
        """The TWFE event study of every outcome and its coefficients with the pre-trend p-value."""
        results, frames = {}, []
        for outcome in self.outcomes:
            res = self.event_study(sample, outcome)
            results[outcome] = res
            if isinstance(res, NotEstimable):
                continue
            pt = res.pretrend
            frames.append(
                res.to_frame().assign(outcome=outcome, pretrend_p=pt.p_value if pt else np.nan)
            )
        data = (pd.concat(frames, ignore_index=True) if frames
                else pd.DataFrame({"note": ["event study not available"]}))  # fmt: skip
        return results, data

    def callaway_santanna(self, sample: StudySample, *, seed: int) -> tuple[dict, pd.DataFrame]:
        """Callaway-Sant'Anna of every outcome (never-treated controls): results and all terms.

        The terms carry the units the estimator used of those it was given
        (``units_used``, ``units_available``) and, when it left some out (it
        balances the panel), why (``sample_note``).
        """
        results = {o: self.cs_spec().fit(sample, o, seed=seed) for o in self.outcomes}
        n = sample.data[self.unit].nunique()
        frames = [
            r.to_frame().assign(
                outcome=o,
                units_used=r.extra.get("units_used", n),
                units_available=r.extra.get("units_available", n),
                sample_note=r.extra.get("sample_reduction", ""),
            )  # fmt: skip
            for o, r in results.items()
            if not isinstance(r, NotEstimable)
        ]
        return results, (pd.concat(frames, ignore_index=True) if frames else pd.DataFrame())

    def dcdh_table(self, sample: StudySample, *, seed: int) -> tuple[dict, pd.DataFrame]:
        """de Chaisemartin-D'Haultfoeuille for the agreements that ended (treatment may switch off)."""
        results = {o: self.dcdh_spec().fit(sample, o, seed=seed) for o in self.outcomes}
        frames = [
            r.to_frame().assign(outcome=o)
            for o, r in results.items()
            if not isinstance(r, NotEstimable)
        ]
        cols = [
            "outcome",
            "term",
            "estimate",
            "std_error",
            "conf_low",
            "conf_high",
            "n_obs",
            "notes",
        ]
        return results, (
            pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)
        )

    def few_cluster_inference(self, sample: StudySample, *, seed: int) -> tuple[pd.DataFrame, dict]:
        """Wild cluster bootstrap and randomization inference for the absorbing TWFE, every outcome."""
        rows, wcb_results = [], {}
        for outcome in self.outcomes:
            wcb = self.headline_spec().fit(sample, outcome, seed=seed)
            ri = self.ri_spec().fit(sample, outcome, seed=seed)
            wcb_results[outcome] = wcb
            for name, res, draws in (("wild cluster bootstrap", wcb, self.n_boot),
                                     ("randomization inference", ri, self.n_perm)):  # fmt: skip
                h = headline(res)
                p = np.nan if isinstance(res, NotEstimable) or res.p_value is None else res.p_value
                rows.append({"outcome": outcome, "method": name, "estimate": h["estimate"], "conf_low": h["conf_low"],
                             "conf_high": h["conf_high"], "p_value": p, "draws": draws, "note": h["note"]})  # fmt: skip
        return pd.DataFrame(rows), wcb_results

    def synthetic_controls(
        self, sample: StudySample
    ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """Synthetic control of each case-study county against the never-treated NC counties.

        Returns the summary table (mean post gap, RMSPEs, placebo p-value,
        donors), the treated and synthetic paths, and the in-space placebo
        gaps. Synthetic control needs a balanced panel: donors with any
        missing year are left out and counted (``donors_left_out_incomplete``).
        """
        main, ever, cohort = sample.data, self.treatment.ever, self.treatment.cohort
        rows, paths, gaps = [], [], []
        for fips, name in self.case_studies:
            here = main["fips"] == fips
            start = int(main.loc[here, cohort].iloc[0]) if here.any() else 0
            for outcome in self.outcomes:
                one, left_out = balanced(main[~main[ever] | here], "fips", self.time, outcome)
                if start == 0 or fips not in set(one["fips"]):
                    rows.append({"county": name, "outcome": outcome,
                                 "note": "treated county missing or with gaps in this panel"})  # fmt: skip
                    continue
                res = run(synthetic_control, one, outcome, "fips", self.time, fips, start, placebo=True,
                          alpha=self.alpha, tolerate=sample.tolerate)  # fmt: skip
                if isinstance(res, NotEstimable):
                    rows.append({"county": name, "outcome": outcome, "note": str(res)})
                    continue
                x = res.extra
                rows.append({"county": name, "outcome": outcome, "first_treated_year": start,
                             "att_mean_post_gap": res.estimate, "rmspe_pre": x["rmspe_pre"],
                             "rmspe_post": x["rmspe_post"], "post_pre_ratio": x["ratio"],
                             "placebo_p_value": res.p_value, "donors": int(len(x["weights"])),
                             "donors_with_weight": int((x["weights"] > 1e-6).sum()),
                             "donors_left_out_incomplete": left_out, "note": "",
                             "top_donors": top_donors(x["weights"])})  # fmt: skip
                paths.append(x["path"].assign(county=name, outcome=outcome))
                pg = x["placebo_gaps"]
                idx = pg.index.name or "index"
                long = pg.reset_index().melt(id_vars=idx, var_name="unit", value_name="gap")
                gaps.append(long.rename(columns={idx: "time"}).assign(county=name, outcome=outcome))
        path_df = pd.concat(paths, ignore_index=True) if paths else pd.DataFrame()
        gap_df = pd.concat(gaps, ignore_index=True) if gaps else pd.DataFrame()
        return pd.DataFrame(rows), path_df, gap_df

    def mde(
        self, sample: StudySample, *, n_sim: int, seed: int
    ) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
        """Minimum detectable effects (placebo adoption dates) and power curves of the absorbing TWFE.

        Returns ``{outcome: (mde, method)}`` (the placebo-calibrated MDE used
        in the study-vs-rebuild table), the MDE table and the power curves
        (calibrated test and CR1 t-test, effects >= 0).
        """
        mde, rows, curves = {}, [], []
        for outcome in self.outcomes:
            d = design_mde(sample, outcome, n_sim=n_sim, seed=seed)
            if isinstance(d["result"], NotEstimable):
                mde[outcome] = (np.nan, f"not estimable: {d['result']}")
                rows.append({"outcome": outcome, "note": f"not estimable: {d['result']}"})
                continue
            mde[outcome] = (
                d["mde_calibrated"],
                f"placebo-calibrated test, {d['n_sim']} placebo adoption-date draws",
            )
            rows.append({"outcome": outcome, "mde_t_test": d["mde"], "mde_analytic": d["mde_analytic"],
                         "mde_calibrated": d["mde_calibrated"], "t_test_size_under_placebo": d["size"],
                         "n_sim": d["n_sim"]})  # fmt: skip
            curves.append(d["curve_calibrated"].assign(outcome=outcome, test="placebo-calibrated"))
            t = d["curve"][["effect", "power_t_test"]].rename(columns={"power_t_test": "power"})
            curves.append(t.assign(outcome=outcome, test="CR1 t-test"))
        cur = (
            pd.concat(curves, ignore_index=True)
            if curves
            else pd.DataFrame(columns=["effect", "power"])
        )
        return mde, pd.DataFrame(rows), cur[cur["effect"] >= 0]

    def count_models(self, sample: StudySample, *, seed: int) -> tuple[pd.DataFrame, dict]:
        """PPML of assaults on officers with exposure, the headline of the assault outcomes.

        Assaults on officers are small counts with many zeros per agency-year:
        a rate per 100 officers or per 100,000 jumps with one assault in a
        small agency, and its log(1 + rate) is not a proportional effect.
        PPML (:func:`~enforcement_crime.estimators.ppml`) models the count
        with agency and year fixed effects and ``log(exposure)`` as offset
        (LEOKA officers employed, or population served), so its coefficient
        is a proportional change in the assault rate and zeros stay in.
        Inference: CR1 by agency, and randomization inference (adoption
        dates permuted within population quartiles, PPML re-estimated), the
        design's few-cluster test. Rows with a missing count or a non-positive
        exposure are left out and counted (``rows_left_out``).

        Returns the table (one row per assault outcome present: estimate,
        interval, CR1 and permutation p-values) and the PPML results by outcome.
        """
        import functools

        from enforcement_crime.estimators import ppml

        rows, results = [], {}
        df = sample.data
        if "partial_year" in df.columns:
            df = df[~df["partial_year"].to_numpy(dtype=bool)]
        for outcome in self.outcomes:
            if outcome not in COUNT_MODELS:
                continue
            count, exposure = COUNT_MODELS[outcome]
            y, e = (
                pd.to_numeric(df[count], errors="coerce"),
                pd.to_numeric(df[exposure], errors="coerce"),
            )
            ok = (y.notna() & (e > 0)).fillna(False).to_numpy(dtype=bool)
            data = df.loc[
                ok, [self.unit, self.time, self.treatment.cohort, count, exposure, "pop_stratum"]
            ].copy()
            data[count] = y[ok].astype("float64")
            data[exposure] = e[ok].astype("float64")
            label = f"PPML of {count}, exposure {exposure}, {self.unit_name} and year FE"
            res = run(ppml, data, count, self.unit, self.time, self.treatment.cohort,
                      exposure=exposure, cluster=self.unit, alpha=self.alpha, tolerate=sample.tolerate)  # fmt: skip
            ri = run(functools.partial(randomization_inference, estimator=functools.partial(ppml, exposure=exposure)),
                     data, count, self.unit, self.time, self.treatment.cohort, n_perm=self.n_perm, seed=seed,
                     stratify="pop_stratum", alpha=self.alpha, tolerate=sample.tolerate)  # fmt: skip
            results[outcome] = res
            h = headline(res)
            rows.append({"outcome": outcome, "specification": label, "count": count, "exposure": exposure,
                         "estimate": h["estimate"], "std_error": h["std_error"], "conf_low": h["conf_low"],
                         "conf_high": h["conf_high"],
                         "p_value_cr1": _normal_p(h["estimate"], h["std_error"]),
                         "p_value_randomization": np.nan if isinstance(ri, NotEstimable) else ri.p_value,
                         "n_perm": self.n_perm, "rows_used": int(ok.sum()),
                         "rows_left_out": int((~ok).sum()),
                         "zero_share": float((data[count] == 0).mean()) if len(data) else np.nan,
                         "note": h["note"] if isinstance(res, NotEstimable) else str(ri) if isinstance(ri, NotEstimable) else ""})  # fmt: skip
        return pd.DataFrame(rows), results

    def count_verdicts(self, verdicts: pd.DataFrame, counts: pd.DataFrame) -> pd.DataFrame:
        """The verdict rows of the assault outcomes redone on the PPML headline (:meth:`count_models`).

        Estimate and CR1 interval of PPML (log points: a proportional
        effect), the permutation p-value as placebo share, the MDE implied
        by the interval, the pre-trend p-value of the row it replaces; the
        verdict by :func:`~enforcement_crime.designs.verdicts.verdict`. Other
        rows are returned unchanged.
        """
        from scipy.stats import norm

        from enforcement_crime.designs.verdicts import relevant_effect, verdict
        from enforcement_crime.estimators import analytic_mde

        out = verdicts.copy()
        for col in ("verdict", "reason", "inference"):
            out[col] = out[col].astype(object)
        z = norm.ppf(1 - self.alpha / 2)
        for i, r in out.iterrows():
            c = counts[counts["outcome"] == r["outcome"]] if len(counts) else counts
            if not len(c):
                continue
            c = c.iloc[0]
            est, lo, hi = float(c["estimate"]), float(c["conf_low"]), float(c["conf_high"])
            mde = analytic_mde((hi - lo) / (2 * z), self.alpha) if np.isfinite(hi - lo) else np.nan
            v = verdict(r["claim"], est, lo, hi, p_value=float(c["p_value_cr1"]), mde=mde,
                        relevant=relevant_effect("log"), pretrend_p=float(r["pretrend_p"]),
                        placebo_share=float(c["p_value_randomization"]), alpha=self.alpha,
                        not_estimated=str(c["note"]))  # fmt: skip
            out.loc[i, ["verdict", "reason", "estimate", "conf_low", "conf_high", "p_value",
                        "inference", "mde", "relevant_effect", "placebo_share",
                        "within_state_estimate", "within_state_conf_low", "within_state_conf_high"]] = [
                v.kind, v.text, est, lo, hi, float(c["p_value_cr1"]),
                f"{c['specification']}; CR1 by {self.unit_name}; randomization inference "
                f"({int(c['n_perm'])} permutations)", mde, relevant_effect("log"),
                float(c["p_value_randomization"]), np.nan, np.nan, np.nan]  # fmt: skip
        return out

    def conclusion_table(self, verdicts: pd.DataFrame) -> pd.DataFrame:
        """One row per conclusion of the paper: its words, our estimate and interval, the verdict.

        The row of each conclusion is the verdict row of its first outcome
        (in :attr:`~.conclusions.Conclusion.outcomes` order) on the first
        sample; the other outcomes' rows stay in the verdict table.
        """
        cols = ["conclusion", "paper_words", "outcome", "estimate", "conf_low", "conf_high",
                "inference", "verdict", "reason"]  # fmt: skip
        rows = []
        for c in self.conclusions():
            v = verdicts[verdicts["conclusion"] == c.name]
            if not len(v):
                continue
            v = v[v["sample"] == v["sample"].iloc[0]]
            order = {o: i for i, o in enumerate(c.outcomes)}
            v = v.assign(_o=v["outcome"].map(order).fillna(len(order))).sort_values("_o")
            rows.append(v.iloc[0][cols].to_dict())
        return pd.DataFrame(rows, columns=cols)

    def rebuild_rows(
        self, wcb: dict, cs: dict, mde: dict, counts: pd.DataFrame | None = None
    ) -> list[dict]:
        """The rows of the study-vs-rebuild table: bootstrap headline and Callaway-Sant'Anna per outcome.

        ``counts`` (:meth:`count_models`) adds the PPML row of each assault outcome (its MDE
        analytic, from the CR1 standard error).
        """
        rows = []
        for _, c in (counts if counts is not None else pd.DataFrame()).iterrows():
            rows.append({"outcome": c["outcome"], "specification": c["specification"],
                         "estimate": c["estimate"], "std_error": c["std_error"], "conf_low": c["conf_low"],
                         "conf_high": c["conf_high"], "p_value": c["p_value_randomization"],
                         "estimator": "ppml", "note": c["note"],
                         "mde": analytic_mde(c["std_error"], self.alpha),
                         "mde_method": "analytic: (z_0.975 + z_0.8) x the PPML CR1 standard error"})  # fmt: skip
        for o in self.outcomes:
            m, how = mde[o]
            rows.append({"outcome": o, "specification": self.headline_spec().label, "result": wcb[o],
                         "mde": m, "mde_method": how})  # fmt: skip
            rows.append({"outcome": o, "specification": self.cs_spec().label, "result": cs[o],
                         "term": self.cs_spec()._term(cs[o]), "mde": m, "mde_method": how})  # fmt: skip
        return rows

    def differences(self, sample: StudySample) -> list[str]:
        return [
            "annual data with a documented partial-year rule (both rules shown)",
            "crime data: "
            + (
                "the built-in SYNTHETIC panel, not NC data"
                if sample.synthetic
                else f"panel {sample.data_source!r} (see its manifest)"
            ),  # fmt: skip
            (
                "agencies, not counties: the sheriffs' offices, Charlotte-Mecklenburg PD, Gaston "
                "County PD and Durham PD; assaults on officers by PPML with exposure"
                if self.agency_rules
                else "outcomes limited to violent, property and index rates (no clearance rates "
                "or assaults on officers in the panel)"
            ),
            "the paper's exact specification (controls, weights, clustering) is not known to us: county and year FE, population weights, county clusters chosen here",
            "no refused-applicant control group (the list is not public)",
        ]


DESIGN = NC287g(
    key="287g_nc",
    title="287(g) in North Carolina: the Cato design, rebuilt",
    study="287g",
    notebook="notebooks/287g/01-estimate-nc-counties.py",
    panels=("nc_county", "cius_sheriff", "kaplan_county", "icpsr_county", "nc_agency"),
    treatment=Treatment("g287_start", "g287_end", "g287", "287(g)"),
    outcomes=("violent_rate", "property_rate", "index_rate"),
    years=(2003, 2013),
    cluster="fips",
    alt_panels=("cius_sheriff",),
    event_window=(-4, 4),
    state_prefix="37",
    leave_one_out="treated",
)
