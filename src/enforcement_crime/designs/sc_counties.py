"""Secure Communities and county crime: the Miles & Cox (2014) design (STUDIES.md section 2).

Units: US counties with an SC activation date, 2004-2014 (our window: the
paper's exact window is not in the brief; it includes the first full year of
the January 2013 activations), annual (the paper used county-months).
Outcomes: index, violent and property crime per 100,000; the headline is in
log(1 + rate), where the null holds on the realistic null panel (in levels the
larger, earlier-activated counties' rates fall by more per 100,000), with a
wild cluster bootstrap by state (the analytic interval over-rejects on that
panel: README, size study); levels are shown beside it. Every county is treated by 2013, so there is no never-treated
group: not-yet-treated controls (Callaway-Sant'Anna) and imputation. The brief
reports (unverified) that results are sensitive to county-specific linear
trends: shown with and without, beside a HonestDiD sensitivity analysis.
Activation was not random (Cox & Miles 2013): a timing-balance regression.

Arrests, a secondary outcome: on panel ``icpsr_arrests`` (ICPSR county
arrests, 2000-2012 without 2009 and 2011) the same design runs with
:data:`~.conclusions.SC_ARRESTS_OPTIONS`: Part I violent, Part I property,
drug and all arrests per 100,000 Census county population, window 2004-2012.
The years without a file have no rows (nothing is interpolated): the sample
accounting names them and :meth:`SCCounties.event_time_gaps` lists, per
activation cohort, the event times they take away. Counties first treated
after 2012 are not-yet-treated controls throughout that window.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

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
from enforcement_crime.designs.conclusions import ARREST_OUTCOMES
from enforcement_crime.designs.mde import design_mde
from enforcement_crime.estimators import (
    analytic_mde,
    bacon_decomposition,
    callaway_santanna,
    honest_did,
    imputation,
    twfe,
    wild_cluster_bootstrap,
)
from enforcement_crime.plots import cohort_trends

__all__ = ["SCCounties", "DESIGN"]


@dataclass(frozen=True)
class SCCounties(Design):
    """The SC county design; its own analyses are the methods below."""

    honest_mbar: tuple[float, ...] = (0.0, 0.5, 1.0, 1.5, 2.0)
    n_boot: int = 999  # wild cluster bootstrap draws of the headline
    timing_covariates: tuple[str, ...] = (
        "hispanic_share",
        "border_state",
    )  # used when the panel has them

    # ---- declared specifications ---------------------------------------------------
    def headline_spec(self) -> Spec:
        """TWFE in log(1 + rate) with a wild cluster bootstrap by state (analytic CR1 over-rejects: size study)."""
        return Spec("TWFE, log(1 + rate), county+year FE, population weights; wild cluster bootstrap (state)",
                    wild_cluster_bootstrap, {"n_boot": self.n_boot, "seed": self.boot_seed})  # fmt: skip

    def robust_spec(self) -> Spec:
        return Spec("TWFE, county+year FE, population weights, state clusters", twfe)

    def trends_spec(self) -> Spec:
        return Spec("TWFE with county linear trends", twfe, {"unit_trends": True})

    def cs_spec(self) -> Spec:
        """Callaway-Sant'Anna simple ATT with a restricted wild cluster bootstrap by state.

        The analytic interval over-rejects on the null panel in logs (size
        study); the bootstrap is the few-cluster inference. Only
        the simple aggregation is bootstrapped (the same draws and p-value as
        with every aggregation, a tenth of the time).
        """
        return Spec("Callaway-Sant'Anna, not-yet-treated controls; wild cluster bootstrap (state)",
                    callaway_santanna, {"control_group": "not_yet_treated", "base_period": "universal",
                                        "aggregation": "simple", "inference": "wild_cluster",
                                        "n_boot": self.n_boot, "seed": self.boot_seed},
                    term="ATT(simple)", partial_year="anticipation")  # fmt: skip

    def clean_headline(self, sample: StudySample):
        """:meth:`cs_spec` (not-yet-treated controls, wild cluster bootstrap) on the years up to the last one
        with a not-yet-treated unit (:func:`.clean.clean_headline`): every unit is eventually treated, so
        the years after it have no clean comparison."""
        from enforcement_crime.designs.clean import clean_headline

        return clean_headline(sample, self.cs_spec())

    def cs_event_spec(self) -> Spec:
        """Callaway-Sant'Anna event study (analytic pointwise intervals), universal base period.

        Its pre-period points are drawn beside the TWFE event study (same
        reference) and it feeds HonestDiD; its ATT is not the reported one
        (:meth:`cs_spec` carries the bootstrap interval).
        """
        return Spec("Callaway-Sant'Anna event study, not-yet-treated controls", callaway_santanna,
                    {"control_group": "not_yet_treated", "base_period": "universal"}, term="ATT(simple)",
                    partial_year="anticipation")  # fmt: skip

    def imputation_spec(self, horizons: list[int] | None = None) -> Spec:
        return Spec("imputation (Borusyak-Jaravel-Spiess)", imputation,
                    {"horizons": horizons} if horizons is not None else {})  # fmt: skip

    @property
    def transform_label(self) -> str:
        """The headline scale as the TWFE table names it."""
        return "log(1+rate)" if self.transform == "log" else "level"

    def twfe_grid(self) -> tuple[tuple[str, str, Spec], ...]:
        """TWFE in levels and logs, with and without county trends: (transform, trends, spec)."""
        out = []
        for transform, tr in (("level", "level"), ("log(1+rate)", "log")):
            for trends, ut in (("no trends", False), ("county linear trends", True)):
                out.append((transform, trends, Spec(f"TWFE, {transform}, {trends}", twfe,
                                                    {"unit_trends": ut}, transform=tr)))  # fmt: skip
        return tuple(out)

    def robustness_specs(self) -> tuple[Spec, ...]:
        return (*(s for _, _, s in self.twfe_grid()), self.cs_spec(), self.imputation_spec())

    def within_variants(self, sample: StudySample) -> list[tuple[str, Spec, pd.DataFrame | None]]:
        """The contiguous county-pair comparison (:func:`.neighbours.pair_variant`)."""
        from enforcement_crime.designs.neighbours import pair_variant

        return pair_variant(sample)

    # ---- the study's analyses -----------------------------------------------------
    def counties(self, sample: StudySample) -> pd.DataFrame:
        """One row per county: activation date, population (last year), cohort."""
        df = sample.data.sort_values(self.time)
        return df.groupby(self.unit).agg(sc=(self.treatment.start, "first"), pop=("population", "last"),
                                         cohort=(self.treatment.cohort, "first"))  # fmt: skip

    def trend_outcome(self, sample: StudySample) -> str:
        """The outcome of the raw-trends figure: the index crime rate, else the design's first outcome."""
        return "index_rate" if "index_rate" in sample.data.columns else self.outcomes[0]

    def raw_trends(self, sample: StudySample) -> pd.DataFrame:
        """Population-weighted rate of :meth:`trend_outcome` by activation cohort and year (tidy).

        The rate is the sum of the counts over the sum of the populations
        (per 100,000) when the panel has the count column (``<name>`` of
        ``<name>_rate``), else the population-weighted mean rate.
        """
        o = self.trend_outcome(sample)
        count = o.removesuffix("_rate")
        counts = {o: count} if count != o and count in sample.data.columns else None
        return cohort_trends(sample.data, [o], cohort=self.treatment.cohort, year=self.time,
                             counts=counts)  # fmt: skip

    def event_time_gaps(self, sample: StudySample) -> pd.DataFrame:
        """Per activation cohort, the event times inside the window that no row of the sample has.

        One row per cohort first treated inside the sample's years with at
        least one such event time: ``cohort``, ``counties``,
        ``event_times_missing`` and ``years_missing`` (the calendar years,
        from :meth:`~.base.Design.missing_years`). Empty when the sample has
        every year. Nothing is interpolated: the estimators use the
        event times observed.
        """
        cols = ["cohort", "counties", "event_times_missing", "years_missing"]
        gaps = self.missing_years(sample.data)
        if not gaps:
            return pd.DataFrame(columns=cols)
        df = sample.data
        c = df[self.treatment.cohort].astype("Float64")
        years = sample.years
        lo, hi = self.event_window
        rows = []
        for g in sorted(int(x) for x in c.dropna().unique() if years[0] < x <= years[-1]):
            missing = [(e, g + e) for e in range(lo, hi + 1) if g + e in gaps]
            if missing:
                rows.append({"cohort": g, "counties": int(df.loc[(c == g).fillna(False), self.unit].nunique()),
                             "event_times_missing": ", ".join(str(e) for e, _ in missing),
                             "years_missing": ", ".join(str(y) for _, y in missing)})  # fmt: skip
        return pd.DataFrame(rows, columns=cols)

    def twfe_table(self, sample: StudySample) -> tuple[pd.DataFrame, dict]:
        """TWFE for every outcome in levels and logs, with and without county trends."""
        rows, results = [], {}
        for outcome in self.outcomes:
            for transform, trends, spec in self.twfe_grid():
                res = spec.fit(sample, outcome)
                results[(outcome, transform, trends != "no trends")] = res
                rows.append(
                    {"outcome": outcome, "transform": transform, "trends": trends, **headline(res)}
                )
        return pd.DataFrame(rows), results

    def horizons(self, sample: StudySample) -> list[int]:
        """Post-treatment event times (0 .. window end) that the sample actually has."""
        df, c = sample.data, sample.data[self.treatment.cohort]
        et = (df[self.time] - c)[(c > 0) & (df[self.time] >= c)].astype(int)
        return [h for h in range(0, self.event_window[1] + 1) if h in set(et)]

    def dynamic_estimators(self, sample: StudySample) -> tuple[dict, pd.DataFrame]:
        """Event study, Callaway-Sant'Anna (not yet treated) and imputation for every outcome.

        Returns ``{outcome: {"es": ..., "cs": ..., "cs_att": ..., "imputation": ...}}``
        (``cs``: the Callaway-Sant'Anna event study; ``cs_att``: its simple ATT
        with the wild cluster bootstrap interval, :meth:`cs_spec`) and the
        event-time coefficients inside the window with ``estimator_label``.
        When the imputation event-time horizons are not estimable on a real
        panel (gapped years), the static imputation ATT is kept and the
        reason is in ``notes``.
        """
        horizons, results, frames = self.horizons(sample), {}, []
        for outcome in self.outcomes:
            r = {"es": self.event_study(sample, outcome), "cs": self.cs_event_spec().fit(sample, outcome),
                 "cs_att": self.cs_spec().fit(sample, outcome),
                 "imputation": self.imputation_spec(horizons).fit(sample, outcome)}  # fmt: skip
            if isinstance(r["imputation"], NotEstimable):
                r["imputation_horizons"] = r["imputation"]
                r["imputation"] = self.imputation_spec().fit(sample, outcome)
            results[outcome] = r
            for name, key in (("TWFE event study", "es"), ("Callaway-Sant'Anna (not yet)", "cs"),
                              ("imputation", "imputation")):  # fmt: skip
                if isinstance(r[key], NotEstimable):
                    continue
                f = r[key].dynamic() if hasattr(r[key], "dynamic") else r[key].to_frame()
                f = f[f["event_time"].notna() & f["event_time"].between(*self.event_window)]
                if len(f):
                    frames.append(f.assign(outcome=outcome, estimator_label=name))
        return results, (pd.concat(frames, ignore_index=True) if frames else pd.DataFrame())

    def static_table(self, twfe_results: dict, dyn: dict) -> pd.DataFrame:
        """Static ATT by estimator (levels): TWFE, Callaway-Sant'Anna, imputation."""
        rows = []
        for o in self.outcomes:
            for name, res, term in (("TWFE", twfe_results[(o, self.transform_label, False)], None),
                                    ("Callaway-Sant'Anna (not yet)", dyn[o]["cs_att"], "ATT(simple)"),
                                    ("imputation", dyn[o]["imputation"], None)):  # fmt: skip
                t = None if isinstance(res, NotEstimable) else term
                rows.append({"outcome": o, "specification": name, **headline(res, t)})
        return pd.DataFrame(rows)

    def bacon(self, sample: StudySample) -> tuple[pd.DataFrame, pd.DataFrame | None]:
        """Goodman-Bacon decomposition (unweighted, balanced counties) of every outcome.

        Returns the weight and mean estimate by comparison type, and the 2x2
        comparisons of the first outcome (None when not estimable).
        """
        rows, comps = [], None
        for outcome in self.outcomes:
            bal, left_out = balanced(sample.data, self.unit, self.time, outcome)
            res = run(bacon_decomposition, bal, outcome, self.unit, self.time, self.treatment.cohort,
                      tolerate=sample.tolerate)  # fmt: skip
            if isinstance(res, NotEstimable):
                continue
            bt = res.extra["by_type"]
            bt = bt.reset_index() if "type" not in bt.columns else bt.copy()
            rows.append(
                bt.assign(
                    outcome=outcome, twfe_unweighted=res.extra["twfe"], counties_left_out=left_out
                )
            )
            if outcome == self.outcomes[0]:
                comps = res.extra["comparisons"].assign(outcome=outcome)
        return (pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()), comps

    def honest(self, dyn: dict, *, seed: int) -> pd.DataFrame:
        """HonestDiD relative-magnitude robust intervals (average post effect) of each Callaway-Sant'Anna event study.

        On the Callaway-Sant'Anna event study (not-yet-treated controls,
        universal base period, the design's window), not on the TWFE event
        study, whose leads are contaminated by heterogeneous effects.
        """
        rows = []
        lo, hi = self.event_window
        for outcome in self.outcomes:
            cs = dyn[outcome]["cs"]
            if isinstance(cs, NotEstimable):
                continue
            keep = [t for t in cs.vcov.index if t.startswith("e") and lo <= int(t[1:]) <= hi]
            window = dataclasses.replace(cs, table=cs.table[cs.table["term"].isin(keep)],
                                         vcov=cs.vcov.loc[keep, keep])  # fmt: skip
            res = honest_did(window, method="relative_magnitude", mbar_grid=list(self.honest_mbar),
                             alpha=self.alpha, seed=seed)  # fmt: skip
            f = res.to_frame()[["term", "estimate", "std_error", "conf_low", "conf_high", "n_obs", "n_clusters"]]  # fmt: skip
            rows.append(f.assign(outcome=outcome, breakdown=res.extra.get("breakdown", np.nan)))
        if not rows:
            return pd.DataFrame()
        out = pd.concat(rows, ignore_index=True)
        out["mbar"] = out["term"].str.replace("Mbar=", "", regex=False).astype(float)
        return out

    def timing_balance(self, sample: StudySample) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
        """Activation month regressed on pre-period county characteristics (OLS, state clusters).

        The characteristics: log population and the pre-2008 mean of
        :meth:`trend_outcome` (the index crime rate; on an arrests panel the
        first arrest rate), plus :attr:`timing_covariates` the panel has.

        Returns the coefficient table, the county data used, and the
        characteristics the panel lacks (left out and listed).
        """
        import statsmodels.formula.api as smf

        panel = sample.data
        pre = panel[panel[self.time] < 2008]
        c = panel.groupby(self.unit).agg(
            sc=(self.treatment.start, "first"), state=("state", "first")
        )
        c["months_since_oct2008"] = (c["sc"].dt.year - 2008) * 12 + c["sc"].dt.month - 10
        c["log_population"] = np.log(pre.groupby(self.unit)["population"].mean())
        o = self.trend_outcome(sample)
        c[f"pre_{o}"] = pre.groupby(self.unit)[o].mean()
        covariates = ["log_population", f"pre_{o}"]
        for extra in self.timing_covariates:
            if extra in panel.columns:
                c[extra] = panel.groupby(self.unit)[extra].first().astype(float)
                covariates.append(extra)
        missing = [x for x in self.timing_covariates if x not in covariates]
        c = c.dropna(subset=["months_since_oct2008", *covariates])
        fit = smf.ols("months_since_oct2008 ~ " + " + ".join(covariates), data=c).fit(
            cov_type="cluster", cov_kwds={"groups": c["state"]}
        )
        table = pd.DataFrame({"term": fit.params.index, "estimate": fit.params.values, "std_error": fit.bse.values,
                              "p_value": fit.pvalues.values, "n_counties": int(fit.nobs),
                              "r_squared": fit.rsquared})  # fmt: skip
        return table, c, missing

    def rebuild_rows(
        self, sample: StudySample, twfe_results: dict, dyn: dict, *, n_sim: int, seed: int
    ) -> list[dict]:
        """Study-vs-rebuild rows with the MDE of each (simulated for TWFE, analytic otherwise).

        The paper-style TWFE headline is followed by the clean-control headline
        (:meth:`clean_headline`: its window and controls in its label).
        """
        rows = []
        clean = self.clean_headline(sample)
        for o in self.outcomes:
            d = design_mde(sample, o, n_sim=n_sim, seed=seed)
            head = self.headline_spec().fit(sample, o, seed=seed)
            beside = (((clean.spec.label, clean.fit(sample, o, seed=seed), clean.spec.term),)
                      if clean is not None else ())  # fmt: skip
            for name, r, term in ((self.headline_spec().label, head, None), *beside,
                                  (self.trends_spec().label, twfe_results[(o, self.transform_label, True)], None),
                                  (self.cs_spec().label, dyn[o]["cs_att"], "ATT(simple)"),
                                  (self.imputation_spec().label, dyn[o]["imputation"], None)):  # fmt: skip
                h = headline(r, None if isinstance(r, NotEstimable) else term)
                if name == self.headline_spec().label and not isinstance(d["result"], NotEstimable):
                    m = d["mde"]
                    how = (f"simulation: {d['n_sim']} placebo adoption-date draws, state-clustered t-test "
                           f"(size {d['size']:.2f})")  # fmt: skip
                else:
                    m, how = (
                        analytic_mde(h["std_error"], self.alpha),
                        "analytic: (z_0.975 + z_0.8) x SE of this estimate",
                    )
                rows.append({"outcome": o, "specification": name, "result": r, "term": h["term"], "mde": m,
                             "mde_method": how})  # fmt: skip
        return rows

    def differences(self, sample: StudySample) -> list[str]:
        arrests = [o for o in self.outcomes if o in ARREST_OUTCOMES]
        extra = []
        if arrests:
            raw = sample.raw
            census = (
                "population_icpsr" in raw
                and not (raw["population"] == raw["population_icpsr"]).all()
            )
            denominator = ("the Census county population (ICPSR's covered population CPOPARST kept as "
                           "population_icpsr)" if census else "ICPSR's covered population (CPOPARST)")  # fmt: skip
            gaps = self.missing_years(sample.data)
            extra = [
                "outcomes: arrests (ICPSR county files, part 1), not offenses; Miles & Cox report no "
                "arrest result, the verdict's benchmark is Treyger et al.'s city finding",
                f"arrest rates per 100,000 {denominator}; ICPSR's imputation for partial reporting applies",
                *([f"no rows for {', '.join(map(str, gaps))} (no ICPSR file): nothing interpolated"] if gaps else []),
            ]  # fmt: skip
        return [
            "annual county-year data (the paper used county-month data)",
            ("arrest data: " if arrests else "crime data: ")
            + (
                "the built-in SYNTHETIC panel"
                if sample.synthetic
                else f"panel {sample.data_source!r} (see its manifest)"
            ),  # fmt: skip
            f"years {self.years[0]}-{self.years[1]} and partial-year rule {self.rule!r} are our choices",
            "log outcome is log(1 + rate)",
            "no ICE-detention intensity design (the paper's elasticity analysis)",
            *extra,
        ]


DESIGN = SCCounties(
    key="sc_county",
    title="Secure Communities and county crime: the Miles & Cox design, rebuilt",
    study="secure_communities",
    notebook="notebooks/secure_communities/01-estimate-county-crime.py",
    panels=("cius_county", "cius_sheriff", "kaplan_county", "icpsr_county", "icpsr_arrests"),
    treatment=Treatment("sc_activation_date", None, "sc", "Secure Communities"),
    outcomes=("index_rate", "violent_rate", "property_rate"),
    years=(2004, 2014),
    cluster="state",
    alt_panels=("cius_county_constant", "cius_sheriff"),
    event_window=(-4, 3),
    require_start=True,
    log_outcomes=True,
)
