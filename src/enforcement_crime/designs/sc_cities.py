"""Secure Communities and city crime: the Treyger, Chalfin & Loeffler (2014) design (STUDIES.md section 3).

Units: municipal police agencies of medium and large cities (median
population of at least 50,000 over the window: our threshold, the lower bound
of UCR population group 3; the paper's is not in the brief), 2004-2014,
annual. SC activation is by county and is assigned to each city of the
county. Outcomes: crime rates per 100,000, and clearance rates when the panel
has cleared-offense columns. The built-in synthetic panel has no cities: on
it, synthetic *counties* of 50,000+ residents stand in for cities, and every
output says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from enforcement_crime.designs.base import (
    Design,
    NotEstimable,
    Spec,
    StudySample,
    Treatment,
    _drop,
    headline,
)
from enforcement_crime.designs.mde import design_mde
from enforcement_crime.estimators import (
    analytic_mde,
    callaway_santanna,
    imputation,
    twfe,
    wild_cluster_bootstrap,
)
from enforcement_crime.plots import cohort_trends

__all__ = ["SCCities", "DESIGN"]


@dataclass(frozen=True)
class SCCities(Design):
    """The SC city design; its own analyses are the methods below."""

    min_population: int = 50_000  # "medium and large": median population over the window
    n_boot: int = 999  # wild cluster bootstrap draws of the headline

    def prepare(
        self, raw: pd.DataFrame, *, data_source: str = "synthetic", label: str | None = None
    ) -> StudySample:
        """City panels use ``city_id``; without one (the synthetic panel) counties stand in, labelled so."""
        if "city_id" in raw.columns:
            design = self.with_options(unit="city_id", unit_name="cities")
        else:
            design = self.with_options(unit="fips", unit_name="counties standing in for cities")
            label = (label or data_source) + (
                f"; no city panel: counties of {self.min_population:,}+ residents stand in for cities"
            )
        return Design.prepare(design, raw, data_source=data_source, label=label)

    @property
    def stand_in(self) -> bool:
        return self.unit == "fips"

    def sample_rules(self, df: pd.DataFrame, log: list[dict]) -> pd.DataFrame:
        df = _drop(df, ~df[self.time].between(*self.years), self.unit, "window",
                   f"years outside {self.years[0]}-{self.years[1]}", log)  # fmt: skip
        size = df.groupby(self.unit)["population"].transform("median")
        df = _drop(df, size < self.min_population, self.unit, "size",
                   f"median population below {self.min_population:,}", log)  # fmt: skip
        df = _drop(df, df[self.treatment.start].isna(), self.unit, "programme date",
                   "units without an SC date of their county", log)  # fmt: skip
        return df

    def finish(self, df: pd.DataFrame, log: list[dict]) -> pd.DataFrame:
        """State clusters from ``state_fips`` when needed; clearance rates from cleared-offense columns."""
        if "state" not in df.columns:
            df["state"] = df["state_fips"]
        for c in [
            c
            for c in df.columns
            if c.startswith(("tot_clr", "clr_", "cleared")) or c.endswith("_cleared")
        ]:
            base = (
                c.replace("tot_clr_", "")
                .replace("clr_", "")
                .replace("cleared_", "")
                .replace("_cleared", "")
            )
            if base in df.columns:
                df[f"clearance_{base}"] = df[c] / df[base].where(df[base] > 0)
        return df

    def clearance_outcomes(self, sample: StudySample) -> list[str]:
        return [c for c in sample.data.columns if c.startswith("clearance_")]

    def all_outcomes(self, sample: StudySample) -> list[str]:
        return [*self.outcomes, *self.clearance_outcomes(sample)]

    # ---- declared specifications ---------------------------------------------------
    def headline_spec(self) -> Spec:
        """TWFE in log(1 + rate) with a wild cluster bootstrap by state (as the county design)."""
        return Spec("TWFE, log(1 + rate), city+year FE, population weights; wild cluster bootstrap (state)",
                    wild_cluster_bootstrap, {"n_boot": self.n_boot, "seed": self.boot_seed})  # fmt: skip

    def robust_spec(self) -> Spec:
        return Spec("TWFE, city+year FE, population weights, state clusters", twfe)

    def cs_spec(self) -> Spec:
        """Callaway-Sant'Anna simple ATT with a restricted wild cluster bootstrap by state (as the county design)."""
        return Spec("Callaway-Sant'Anna, not-yet-treated controls; wild cluster bootstrap (state)",
                    callaway_santanna, {"control_group": "not_yet_treated", "aggregation": "simple",
                                        "inference": "wild_cluster", "n_boot": self.n_boot,
                                        "seed": self.boot_seed}, term="ATT(simple)",
                    partial_year="anticipation")  # fmt: skip

    def clean_headline(self, sample: StudySample):
        """:meth:`cs_spec` (not-yet-treated controls, wild cluster bootstrap) on the years up to the last one
        with a not-yet-treated unit (:func:`.clean.clean_headline`): every unit is eventually treated, so
        the years after it have no clean comparison."""
        from enforcement_crime.designs.clean import clean_headline

        return clean_headline(sample, self.cs_spec())

    def imputation_spec(self) -> Spec:
        return Spec("imputation", imputation)

    def robustness_specs(self) -> tuple[Spec, ...]:
        return (self.cs_spec(), self.imputation_spec())

    # ---- the study's analyses -----------------------------------------------------
    def raw_trends(self, sample: StudySample) -> pd.DataFrame:
        """Population-weighted violent and property rates by activation cohort and year (tidy)."""
        rates = {"violent_rate": "violent", "property_rate": "property"}
        return cohort_trends(
            sample.data, list(rates), cohort=self.treatment.cohort, year=self.time, counts=rates
        )

    def estimates(self, sample: StudySample) -> tuple[pd.DataFrame, dict, pd.DataFrame]:
        """TWFE, Callaway-Sant'Anna and imputation for every outcome; TWFE event studies of the crime rates."""
        rows, results, frames = [], {}, []
        labels = (
            ("TWFE", "twfe"),
            ("Callaway-Sant'Anna (not yet)", "cs"),
            ("imputation", "imputation"),
        )
        specs = {
            "twfe": self.robust_spec(),
            "cs": self.cs_spec(),
            "imputation": self.imputation_spec(),
        }
        for outcome in self.all_outcomes(sample):
            r = {k: s.fit(sample, outcome) for k, s in specs.items()}
            es = self.event_study(sample, outcome)
            results[outcome] = {**r, "es": es}
            for name, key in labels:
                rows.append({"outcome": outcome, "specification": name,
                             **headline(r[key], specs[key]._term(r[key]))})  # fmt: skip
            if outcome in self.outcomes and not isinstance(es, NotEstimable):
                frames.append(es.to_frame().assign(outcome=outcome))
        es_data = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        return pd.DataFrame(rows), results, es_data

    def rebuild_rows(
        self, sample: StudySample, results: dict, *, n_sim: int, seed: int
    ) -> list[dict]:
        """Study-vs-rebuild rows with the MDE of each (simulated for TWFE, analytic otherwise).

        The paper-style TWFE headline is followed by the clean-control headline
        (:meth:`clean_headline`: its window and controls in its label).
        """
        rows = []
        clean = self.clean_headline(sample)
        for o in self.all_outcomes(sample):
            d = design_mde(sample, o, n_sim=n_sim, seed=seed)
            results[o]["headline"] = self.headline_spec().fit(sample, o, seed=seed)
            beside = ()
            if clean is not None:
                results[o]["clean"] = clean.fit(sample, o, seed=seed)
                beside = ((clean.spec, "clean"),)
            for spec, key in (
                (self.headline_spec(), "headline"),
                *beside,
                (self.cs_spec(), "cs"),
                (self.imputation_spec(), "imputation"),
            ):
                r = results[o][key]
                h = headline(r, spec._term(r))
                if key == "headline" and not isinstance(d["result"], NotEstimable):
                    m = d["mde"]
                    how = (f"simulation: {d['n_sim']} placebo adoption-date draws, state-clustered t-test "
                           f"(size {d['size']:.2f})")  # fmt: skip
                else:
                    m, how = (
                        analytic_mde(h["std_error"], self.alpha),
                        "analytic: (z_0.975 + z_0.8) x SE of this estimate",
                    )
                rows.append({"outcome": o, "specification": spec.label, "result": r, "term": h["term"], "mde": m,
                             "mde_method": how})  # fmt: skip
        return rows

    def differences(self, sample: StudySample) -> list[str]:
        clear = self.clearance_outcomes(sample)
        return [
            (
                "no city panel in the synthetic data: SYNTHETIC counties of 50,000+ stand in for cities"
                if sample.design.stand_in
                else f"city panel {sample.data_source!r} from CIUS Table 8 matched to counties through LEAIC (see its manifest)"
            ),  # fmt: skip
            f"medium and large = median population >= {self.min_population:,} (our threshold; the paper's is not in STUDIES.md)",
            "annual data; arrests (pretextual-arrest hypothesis) not in the panel"
            + ("" if clear else "; no clearance data in this panel"),
            f"years {self.years[0]}-{self.years[1]}, partial-year rule {self.rule!r}",
        ]


DESIGN = SCCities(
    key="sc_city",
    title="Secure Communities and city crime: the Treyger, Chalfin & Loeffler design, rebuilt",
    study="secure_communities",
    notebook="notebooks/secure_communities/02-estimate-city-crime.py",
    panels=("city_sc",),
    treatment=Treatment("sc_activation_date", None, "sc", "Secure Communities"),
    outcomes=("index_rate", "violent_rate", "property_rate"),
    years=(2004, 2014),
    cluster="state",
    event_window=(-4, 3),
    require_start=True,
)
