"""Coverage of the 95% intervals of TWFE, Callaway-Sant'Anna and imputation over seeded replications.

Each estimator is run on a data-generating process where it is correctly
specified, and the share of replications whose interval covers the truth is
printed with its Monte Carlo standard error ``sqrt(p (1 - p) / R)``:

* TWFE (static, clustered by state): homogeneous constant effect (truth = 1.0).
* Callaway-Sant'Anna ATT(simple) and imputation ATT (clustered by state):
  heterogeneous, dynamic effects (effect grows 0.2 per period and differs by
  cohort); truth = the mean true effect over treated observations of that
  replication (both estimate it exactly in expectation on a balanced panel
  with never-treated units).

Panels: ``simulate_staggered`` with 500 units in 50 states, 12 periods, a
third never treated, state-by-year shocks (sd 0.3) and AR(1) unit errors
(rho 0.5), so clustering by state matters.

Usage::

    python benchmarks/coverage_study.py [--reps 200] [--jobs 2] [--seed 0]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd

from enforcement_crime.simulate import Effect, simulate_staggered, true_att

HOMOGENEOUS = Effect(att=1.0)
HETEROGENEOUS = Effect(att=1.0, dynamic_slope=0.2, cohort_slope=-0.1, ref_cohort=6)
DESIGN = dict(
    n_units=500,
    periods=(1, 12),
    cohorts={0: 1 / 3, 4: 2 / 9, 6: 2 / 9, 9: 2 / 9},
    n_states=50,
    state_shock_sd=0.3,
    rho=0.5,
    noise_sd=1.0,
)


def one_replication(seed: int, alpha: float = 0.05) -> list[dict]:
    """Fit the three estimators on the two panels of replication ``seed``; one row per estimator."""
    from enforcement_crime.estimators.callaway_santanna import callaway_santanna
    from enforcement_crime.estimators.imputation import imputation
    from enforcement_crime.estimators.twfe import twfe

    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hom = simulate_staggered(effect=HOMOGENEOUS, seed=seed, **DESIGN)
        het = simulate_staggered(effect=HETEROGENEOUS, seed=10_000 + seed, **DESIGN)
        fits = [
            (
                "twfe",
                twfe(hom, "y", "unit", "time", "cohort", cluster="state", alpha=alpha),
                "treated",
                1.0,
            ),
            (
                "callaway_santanna",
                callaway_santanna(
                    het,
                    "y",
                    "unit",
                    "time",
                    "cohort",
                    cluster="state",
                    aggregation="simple",
                    alpha=alpha,
                ),
                "ATT(simple)",
                true_att(het),
            ),
            (
                "imputation",
                imputation(het, "y", "unit", "time", "cohort", cluster="state", alpha=alpha),
                "ATT",
                true_att(het),
            ),
        ]
    for name, res, term, truth in fits:
        r = res.term(term)
        rows.append(
            {
                "seed": seed,
                "estimator": name,
                "estimate": r["estimate"],
                "std_error": r["std_error"],
                "truth": truth,
                "covered": bool(r["conf_low"] <= truth <= r["conf_high"]),
            }
        )
    return rows


def run_coverage(
    reps: int = 200, seed: int = 0, jobs: int = 1, alpha: float = 0.05
) -> pd.DataFrame:
    """Replications ``seed .. seed + reps - 1``; returns one row per estimator with coverage and its MC SE."""
    seeds = range(seed, seed + reps)
    if jobs > 1:
        from joblib import Parallel, delayed

        chunks = Parallel(n_jobs=jobs)(delayed(one_replication)(s, alpha) for s in seeds)
    else:
        chunks = [one_replication(s, alpha) for s in seeds]
    draws = pd.DataFrame([row for chunk in chunks for row in chunk])
    g = draws.groupby("estimator", sort=False)
    out = pd.DataFrame(
        {
            "coverage": g["covered"].mean(),
            "mc_se": g["covered"].apply(lambda c: np.sqrt(c.mean() * (1 - c.mean()) / len(c))),
            "bias": g.apply(lambda d: (d["estimate"] - d["truth"]).mean(), include_groups=False),
            "sd_estimate": g.apply(
                lambda d: (d["estimate"] - d["truth"]).std(), include_groups=False
            ),
            "mean_std_error": g["std_error"].mean(),
            "reps": g.size(),
        }
    )
    out.attrs["draws"] = draws
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=1)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    out = run_coverage(args.reps, args.seed, args.jobs)
    secs = time.perf_counter() - t0
    print(
        f"Coverage of nominal 95% intervals, {args.reps} replications (seeds {args.seed}..{args.seed + args.reps - 1}), {secs:.0f} s"
    )
    print(out.to_string(float_format=lambda v: f"{v:.4f}"))


if __name__ == "__main__":
    main()
