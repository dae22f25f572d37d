"""287(g) in every US county, jail vs task-force agreements (an extension of the NC design).

No national 287(g) county study is summarised in STUDIES.md; this design
extends the North Carolina design (section 1) to every county, 2000-2016, and
splits the agreement models (section 4: first adoption is the earliest date
over all rosters; agreements can end, and "ever treated" is the absorbing
definition used here). Each model's adopters are compared with the
never-adopting counties ("both" agreements count in each model's sample);
Secure Communities exposure of the same rule is an optional control.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from enforcement_crime.designs.base import (
    Design,
    NotEstimable,
    Spec,
    StudySample,
    Treatment,
    headline,
)
from enforcement_crime.designs.mde import design_mde
from enforcement_crime.estimators import (
    analytic_mde,
    callaway_santanna,
    twfe,
    wild_cluster_bootstrap,
)

__all__ = ["National287g", "DESIGN"]

SC = Treatment("sc_activation_date", None, "sc", "Secure Communities")


@dataclass(frozen=True)
class National287g(Design):
    """The national 287(g) design; its own analyses are the methods below."""

    models: tuple[str, ...] = (
        "jail",
        "task force",
    )  # "both" agreements count in each model's sample
    n_boot: int = 999

    def finish(self, df: pd.DataFrame, log: list[dict]) -> pd.DataFrame:
        """Adds the Secure Communities treatment columns (a control) and refuses a panel without 287(g) dates."""
        if df[self.treatment.start].notna().sum() == 0:
            raise ValueError(
                "the panel has no 287(g) adoption dates (g287_start is empty): build it with timing"
            )
        return SC.code(df, self.rule, self.time)

    def sample_rules(self, df: pd.DataFrame, log: list[dict]) -> pd.DataFrame:
        """The window rules, then: counties that first adopt after the window are not yet treated in it.

        A county whose first 287(g) adoption falls after the last year of the
        sample (e.g. 2017-2021 for a window ending in 2016) has no treated
        year in the window; coded as a cohort, all its years would be leads
        (binned into the earliest lead of the event study). Its adoption and
        end dates are moved to ``g287_start_after_window`` /
        ``g287_end_after_window`` (the treatment columns then code it as
        untreated throughout, under either partial-year rule), it counts as a
        control of every model, and the accounting says how many counties
        this is (flag ``g287_adopts_after_window``).
        """
        df = super().sample_rules(df, log)
        t = self.treatment
        last = int(df[self.time].max()) if len(df) else self.years[1]
        start = pd.to_datetime(df[t.start])
        after = (start.dt.year > last).fillna(False).to_numpy(dtype=bool)
        df = df.copy()
        df["g287_adopts_after_window"] = after
        df[f"{t.start}_after_window"] = start.where(after)
        df[t.start] = start.where(~after)
        if t.end is not None:
            end = pd.to_datetime(df[t.end])
            df[f"{t.end}_after_window"] = end.where(after)
            df[t.end] = end.where(~after)
        n = int(df.loc[after, self.unit].nunique())
        years = start[after].dt.year
        span = f" ({int(years.min())}-{int(years.max())})" if n else ""
        log.append({"rule": "adoption after the window", "rows_dropped": 0, "units_dropped": 0,
                    "rows_set_aside": 0,
                    "why": f"{n} counties first adopt 287(g) after {last}{span}: coded as not yet treated in "
                           "the window (no adoption date inside it; controls of every model), not as "
                           "cohorts whose years all fall in the earliest lead"})  # fmt: skip
        return df

    def diagnostic_samples(self, sample: StudySample) -> dict[str, pd.DataFrame | None]:
        """Diagnostics per sample: every adopter pooled, then each model's sample (:meth:`model_sample`)."""
        return {
            "all adopters": None,
            **{model: self.model_sample(sample, model) for model in self.models},
        }

    # ---- declared specifications ---------------------------------------------------
    def specs(self) -> tuple[Spec, ...]:
        return (
            Spec("TWFE", twfe),
            Spec("TWFE + SC control", twfe, {"controls": [SC.treated]}),
            Spec(
                "TWFE + SC control; wild cluster bootstrap (state clusters)",
                wild_cluster_bootstrap,
                {"controls": [SC.treated], "n_boot": self.n_boot, "seed": self.boot_seed},
            ),  # fmt: skip
            Spec(
                "Callaway-Sant'Anna (never treated)",
                callaway_santanna,
                {"control_group": "never_treated"},
                term="ATT(simple)",
                partial_year="anticipation",
            ),  # fmt: skip
        )

    def headline_spec(self) -> Spec:
        return Spec("TWFE, log(1 + rate); wild cluster bootstrap interval (state clusters)", wild_cluster_bootstrap,
                    {"n_boot": self.n_boot, "seed": self.boot_seed})  # fmt: skip

    def robustness_specs(self) -> tuple[Spec, ...]:
        return self.specs()

    def robust_spec(self) -> Spec:
        """TWFE on every adopter (both models pooled) against the never-adopting counties."""
        return self.specs()[0]

    # ---- the study's analyses -----------------------------------------------------
    def model_sample(self, sample: StudySample, model: str) -> pd.DataFrame:
        """The model's adopters (and "both") with the never-adopting counties."""
        p = sample.data
        m = p["g287_model"].fillna("unknown")
        keep = ~p[self.treatment.ever] | m.isin([model, "both"])
        return p[keep.to_numpy()]

    def adopters(self, sample: StudySample) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Adopting counties (start, model, population) and the summary by model."""
        p = sample.data
        counties = p.groupby(self.unit).agg(start=(self.treatment.start, "first"), model=("g287_model", "first"),
                                            pop=("population", "last"))  # fmt: skip
        adopters = counties.dropna(subset=["start"])
        ended = p.groupby(self.unit)[self.treatment.end].first().reindex(adopters.index).notna()
        s = adopters.assign(model=adopters["model"].fillna("unknown"), ended=ended)
        s = s.groupby("model").agg(counties=("start", "size"), first=("start", "min"), last=("start", "max"),
                                   ended=("ended", "sum")).reset_index()  # fmt: skip
        s["first"] = s["first"].dt.date.astype(str)
        s["last"] = s["last"].dt.date.astype(str)
        return adopters, s

    def by_model(self, sample: StudySample, *, seed: int = 0) -> tuple[pd.DataFrame, dict]:
        """TWFE, TWFE + SC control (analytic and wild bootstrap) and Callaway-Sant'Anna per model and outcome."""
        rows, results = [], {}
        for model in self.models:
            data = self.model_sample(sample, model)
            left_out = sample.data[self.unit].nunique() - data[self.unit].nunique()
            for outcome in self.outcomes:
                for spec in self.specs():
                    kw = {"seed": seed} if spec.estimator is wild_cluster_bootstrap else {}
                    res = spec.fit(sample, outcome, data=data, **kw)
                    results[(model, outcome, spec.label)] = res
                    rows.append({"model": model, "outcome": outcome, "specification": spec.label,
                                 "counties_left_out": left_out, **headline(res, spec._term(res))})  # fmt: skip
        return pd.DataFrame(rows), results

    def event_studies(self, sample: StudySample) -> tuple[dict, pd.DataFrame]:
        """The TWFE event study of each model and outcome."""
        results, frames = {}, []
        for outcome in self.outcomes:
            for model in self.models:
                res = self.event_spec().fit(sample, outcome, data=self.model_sample(sample, model))
                results[(model, outcome)] = res
                if not isinstance(res, NotEstimable):
                    frames.append(res.to_frame().assign(model=model, outcome=outcome))
        data = (pd.concat(frames, ignore_index=True) if frames
                else pd.DataFrame({"note": ["event study not available"]}))  # fmt: skip
        return results, data

    def inference(
        self, sample: StudySample, *, n_sim: int, seed: int
    ) -> tuple[pd.DataFrame, dict, dict]:
        """Wild cluster bootstrap (state clusters) and the minimum detectable effect by model and outcome."""
        rows, wcb_results, mde = [], {}, {}
        for model in self.models:
            data = self.model_sample(sample, model)
            for outcome in self.outcomes:
                wcb = self.headline_spec().fit(sample, outcome, data=data, seed=seed)
                wcb_results[(model, outcome)] = wcb
                h = headline(wcb)
                se = (h["conf_high"] - h["conf_low"]) / (2 * 1.959964)
                d = design_mde(sample, outcome, data=data, n_sim=n_sim, seed=seed)
                if isinstance(d["result"], NotEstimable):
                    mde[(model, outcome)] = (analytic_mde(se, self.alpha),
                                             "analytic: (z_0.975 + z_0.8) x bootstrap-interval SE")  # fmt: skip
                else:
                    mde[(model, outcome)] = (d["mde_calibrated"],
                                             f"placebo-calibrated test, {d['n_sim']} placebo adoption-date draws "
                                             f"(t-test size under placebo dates {d['size']:.2f})")  # fmt: skip
                p = np.nan if isinstance(wcb, NotEstimable) or wcb.p_value is None else wcb.p_value
                rows.append({"model": model, "outcome": outcome, "estimate": h["estimate"], "conf_low": h["conf_low"],
                             "conf_high": h["conf_high"], "p_value": p, "mde": mde[(model, outcome)][0],
                             "mde_method": mde[(model, outcome)][1]})  # fmt: skip
        return pd.DataFrame(rows), wcb_results, mde

    def rebuild_rows(self, wcb: dict, mde: dict) -> list[dict]:
        return [
            {
                "outcome": o,
                "specification": f"{m}: {self.headline_spec().label}",
                "result": wcb[(m, o)],
                "mde": mde[(m, o)][0],
                "mde_method": mde[(m, o)][1],
            }  # fmt: skip
            for m in self.models
            for o in self.outcomes
        ]

    def differences(self, sample: StudySample) -> list[str]:
        return [
            "national extension: no national 287(g) county study is summarised in STUDIES.md",
            "crime data: "
            + (
                "the built-in SYNTHETIC panel"
                if sample.synthetic
                else f"panel {sample.data_source!r} (see its manifest)"
            ),  # fmt: skip
            f"annual data, partial-year rule {self.rule!r}; first adoption = earliest date over rosters; "
            "ended agreements treated as ever treated; counties first adopting after the window coded as "
            "not yet treated in it",
            "'both' agreements counted in the jail and in the task-force samples",
        ]


DESIGN = National287g(
    key="287g_national",
    title="287(g) in US counties: jail vs task-force agreements",
    study="287g",
    notebook="notebooks/287g/02-estimate-national-counties.py",
    panels=("cius_county", "kaplan_county", "icpsr_county"),
    treatment=Treatment("g287_start", "g287_end", "g287", "287(g)"),
    outcomes=("violent_rate", "property_rate", "index_rate"),
    years=(2000, 2016),
    cluster="state",
    event_window=(-5, 5),
)
