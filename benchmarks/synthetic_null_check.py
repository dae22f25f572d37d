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

    python benchmarks/synthetic_null_check.py [--seeds 20] [--first-seed 0] [--csv PATH]
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
    args = parser.parse_args()
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
