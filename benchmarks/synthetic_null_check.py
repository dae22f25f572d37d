"""Null check of the built-in synthetic panel: DiD estimates in logs and levels over many seeds.

The panel's true effects are zero (preset "null"); see
``enforcement_crime.synthetic`` for the data-generating process and why
levels and logs can differ. For each seed the panel is drawn, each study
design is opened on it exactly as the notebooks open it
(:meth:`Design.prepare`: the design's window, sample rules, treatment coding,
weights and clusters), and TWFE and the imputation estimator are fitted to the
index crime rate in levels (per 100,000) and in log(1 + rate):

* SC counties (``designs.sc_counties``): every county, 2004-2014, first full
  calendar year of activation, population weights, state clusters;
* NC 287(g) (``designs.nc_287g``): the 100 NC counties, 2003-2013, nine treated,
  population weights, county clusters (log outcomes added through the
  design option ``log_outcomes=True``).

Printed per (design, estimator, scale): the mean estimate over seeds with its
Monte Carlo standard error (s.d. / sqrt(seeds)), the mean standard error the
estimator reports, and the share of seeds whose 95% interval excludes 0 (a
rough size; the size study of issue 12 point 2 is the proper one).

Why levels are not null (``--real``, needs ``../shared/data``): the FBI's
Table 8 city counts of 2006 and 2014 (cities of 10,000 or more in both years,
matched by state and name) show crime rates falling by similar *percentages*
in every size class but by far more *per 100,000* in the larger, higher-crime
cities: the multiplicative model of the synthetic panel. Printed by size class:
cities, the 2006 median rate, the aggregate log change and the median change
per 100,000.

    python benchmarks/synthetic_null_check.py [--seeds 20] [--first-seed 0] [--csv PATH] [--real]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd

from enforcement_crime.designs.base import Spec
from enforcement_crime.designs.nc_287g import DESIGN as NC
from enforcement_crime.designs.sc_counties import DESIGN as SC
from enforcement_crime.estimators import imputation, twfe
from enforcement_crime.synthetic import make_panel

OUTCOME = "index_rate"
DESIGNS = (("SC counties", SC), ("NC 287(g)", NC.with_options(log_outcomes=True)))
SPECS = tuple(
    Spec(f"{name}, {transform}", fn, transform=transform)
    for name, fn in (("TWFE", twfe), ("imputation", imputation))
    for transform in ("level", "log")
)


def one_seed(seed: int) -> list[dict]:
    """Every (design, estimator, scale) estimate on the null panel of ``seed``."""
    panel = make_panel(seed=seed, preset="null")
    rows = []
    for dname, design in DESIGNS:
        sample = design.prepare(panel, label=f"SYNTHETIC DATA seed {seed}")
        for spec in SPECS:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = spec.fit(sample, OUTCOME)
            h = res.to_frame().iloc[0]
            rows.append(
                {
                    "seed": seed,
                    "design": dname,
                    "estimator": spec.label.split(",")[0],
                    "scale": "per 100,000" if spec.transform == "level" else "log(1 + rate)",
                    "estimate": float(h["estimate"]),
                    "std_error": float(h["std_error"]),
                    "excludes_0": bool(h["conf_low"] > 0 or h["conf_high"] < 0),
                }
            )
    return rows


def city_changes_by_size(table8_2006, table8_2014) -> pd.DataFrame:
    """Log and per-100,000 changes of city crime rates 2006 -> 2014 by 2006 size class (CIUS Table 8)."""
    from enforcement_crime.sources import fbi_cius

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a, b = fbi_cius.load(table8_2006), fbi_cius.load(table8_2014)
    m = a.merge(b, on=["state", "agency"], suffixes=("_a", "_b"), validate="1:1")
    m = m[(m["population_a"] >= 10_000) & (m["population_b"] > 0)]
    size = pd.cut(m["population_a"], [1e4, 25e3, 5e4, 1e5, 2.5e5, 1e6, 1e8], right=False)
    rows = []
    for crime in ("violent", "property"):
        ok = (m[f"{crime}_a"] > 0) & (m[f"{crime}_b"] > 0)
        d = m[ok].assign(size=size[ok])
        for cls, g in d.groupby("size", observed=True):
            ra = g[f"{crime}_a"] / g["population_a"] * 1e5
            rb = g[f"{crime}_b"] / g["population_b"] * 1e5
            agg_a = g[f"{crime}_a"].sum() / g["population_a"].sum()
            agg_b = g[f"{crime}_b"].sum() / g["population_b"].sum()
            rows.append({"crime": crime, "size_2006": str(cls), "cities": len(g),
                         "median_rate_2006": float(ra.median()),
                         "aggregate_log_change": float(np.log(agg_b / agg_a)),
                         "median_change_per_100k": float((rb - ra).median())})  # fmt: skip
    return pd.DataFrame(rows)


def summarise(rows: pd.DataFrame) -> pd.DataFrame:
    """Mean estimate, its Monte Carlo s.e., mean reported s.e. and rejection share per cell."""
    g = rows.groupby(["design", "estimator", "scale"], sort=False)
    return pd.DataFrame(
        {
            "seeds": g.size(),
            "mean": g["estimate"].mean(),
            "mc_se": g["estimate"].std(ddof=1) / np.sqrt(g.size()),
            "mean_reported_se": g["std_error"].mean(),
            "sd_over_seeds": g["estimate"].std(ddof=1),
            "share_95ci_excludes_0": g["excludes_0"].mean(),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--csv", default=None, help="also write the per-seed estimates here")
    parser.add_argument("--real", action="store_true", help="also print the CIUS city check")
    args = parser.parse_args()
    if args.real:
        from enforcement_crime import config

        t8 = config.shared_data_dir() / "fbi_cius_tables" / "table08_city"
        print("REAL DATA, FBI CIUS Table 8, cities of 10,000+ in 2006 and 2014:")
        changes = city_changes_by_size(t8 / "2006.xls", t8 / "2014.xls")
        print(changes.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    t0 = time.perf_counter()
    rows = pd.DataFrame(
        [r for s in range(args.first_seed, args.first_seed + args.seeds) for r in one_seed(s)]
    )
    if args.csv:
        rows.to_csv(args.csv, index=False)
    summary = summarise(rows)
    print(
        f"SYNTHETIC DATA, preset 'null' (true effect 0), seeds {args.first_seed}.."
        f"{args.first_seed + args.seeds - 1}, outcome {OUTCOME}; {time.perf_counter() - t0:.0f} s"
    )
    with pd.option_context("display.width", 160):
        print(summary.to_string(float_format=lambda v: f"{v:.4f}"))


if __name__ == "__main__":
    main()
