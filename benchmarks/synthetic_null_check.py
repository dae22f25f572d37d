"""Null check of the built-in synthetic panel: DiD estimates in logs and levels over many seeds.

The panel's true effects are zero (preset "null"). Parallel trends hold in log
rates by construction, not in levels (see ``enforcement_crime.synthetic``).
This prints the mean estimate and its Monte Carlo standard error for TWFE and
the imputation estimator, population-weighted, state-clustered, Secure
Communities cohorts by first full calendar year, 2004-2014 (the county
notebook's defaults).

    python benchmarks/synthetic_null_check.py [--seeds 20]
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from enforcement_crime.estimators import imputation, twfe
from enforcement_crime.synthetic import make_panel


def one_seed(seed: int) -> dict[str, float]:
    df = make_panel(seed=seed)
    d = df[df["year"].between(2004, 2014)].dropna(subset=["index_rate"])
    d = d[d["index_rate"] > 0].copy()
    a = d["sc_activation_date"]
    starts_on_jan1 = (a.dt.month == 1) & (a.dt.day == 1)
    cohort = np.where(starts_on_jan1, a.dt.year, a.dt.year + 1)
    d["cohort"] = np.where(cohort > 2014, 0, cohort)
    d["log_index_rate"] = np.log(d["index_rate"].astype(float))
    out = {}
    for outcome in ("log_index_rate", "index_rate"):
        for name, fn in (("twfe", twfe), ("imputation", imputation)):
            res = fn(d, outcome, "fips", "year", "cohort", weights="population", cluster="state")
            out[f"{name} {outcome}"] = res.estimate
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=20)
    args = parser.parse_args()
    rows = pd.DataFrame([one_seed(s) for s in range(args.seeds)])
    summary = pd.DataFrame({"mean": rows.mean(), "mc_se": rows.std(ddof=1) / np.sqrt(len(rows))})
    print(f"SYNTHETIC DATA, preset 'null' (true effect 0), {args.seeds} seeds")
    print(summary.to_string(float_format=lambda v: f"{v:.4f}"))


if __name__ == "__main__":
    main()
