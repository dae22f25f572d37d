"""Wall time of the research-scale multiverse (issue 12, point 5) on the real panels.

Runs :func:`enforcement_crime.multiverse.run_samples` with the research grid
(:func:`enforcement_crime.multiverse.research_choices`: panel x window x
treatment coding x coverage rule x weights x controls x estimator/trends x
scale) of the Secure Communities county design on every research panel built
in ``data/processed`` (the others are skipped and named), with ``--n-jobs``
joblib workers (default 2, the target machine), and prints:

* the wall time of the whole run (loading panels, preparing the samples,
  every specification) against the target of 5 minutes;
* specifications by status (valid = ``"ok"``);
* fit seconds per estimator (mean, total, share of all fit time), which say
  what dominates.

The results are written to ``reports/bench/multiverse_research.csv`` (without
fit times: the same data give the same file) and the timing lines to
``reports/bench/multiverse_scale.csv``. Without real panels it says so and
exits 1, unless ``--synthetic`` is given (the built-in synthetic panel: one
panel, 576 specifications, labelled as such).

Usage::

    python benchmarks/multiverse_scale.py [--n-jobs 2] [--outcome index_rate] [--backend loky]
                                          [--panels cius_county,cius_sheriff] [--synthetic]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import warnings
from pathlib import Path

TARGET_SECONDS = 300.0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n-jobs", type=int, default=2)
    ap.add_argument("--outcome", default="index_rate")
    ap.add_argument("--backend", default="loky")
    ap.add_argument(
        "--panels", default=None, help="comma-separated panels (default: the research panels)"
    )
    ap.add_argument("--synthetic", action="store_true", help="run on the built-in synthetic panel")
    ap.add_argument("--out", default=None, help="output folder (default reports/bench)")
    a = ap.parse_args(argv)

    start = time.perf_counter()
    import pandas as pd

    from enforcement_crime import config, designs
    from enforcement_crime import multiverse as mv

    warnings.filterwarnings(
        "ignore", category=UserWarning
    )  # few-treated-cluster warnings: in notes
    wanted = (
        ["synthetic"]
        if a.synthetic
        else (a.panels.split(",") if a.panels else list(mv.RESEARCH_PANELS))
    )
    panels, notes = mv.available_panels(wanted)
    for n in notes:
        print(f"[multiverse-scale] {n}")
    if not panels:
        print("[multiverse-scale] no research panel is built: build them (make real) or pass --synthetic",
              file=sys.stderr)  # fmt: skip
        return 1
    design = designs.get("sc_county")
    grid = mv.spec_grid(mv.research_choices(panels), has_never_treated=False)
    print(f"[multiverse-scale] {len(grid)} specifications on {panels}, n_jobs={a.n_jobs}, "
          f"backend={a.backend}, {os.cpu_count()} CPUs visible, {platform.python_version()}")  # fmt: skip
    res, samples = mv.run_samples(design, grid, outcome=a.outcome, n_jobs=a.n_jobs, backend=a.backend,
                                  progress=sys.stderr.isatty())  # fmt: skip
    wall = time.perf_counter() - start

    status = res["status"].value_counts()
    fit = res.groupby("estimator")["seconds"].agg(specs="size", mean="mean", total="sum")
    fit["share_of_fit_time"] = fit["total"] / fit["total"].sum()
    prep = float(samples["prepare_seconds"].sum())
    valid = int(status.get("ok", 0))
    print(f"[multiverse-scale] wall time {wall:.1f} s for {len(res)} specifications ({valid} valid) on "
          f"{a.n_jobs} workers: {'within' if wall <= TARGET_SECONDS else 'ABOVE'} the {TARGET_SECONDS:.0f} s "
          f"target; {wall / max(len(res), 1):.3f} s wall per specification")  # fmt: skip
    print(f"[multiverse-scale] status: {status.to_dict()}")
    print(f"[multiverse-scale] sample preparation {prep:.1f} s for {len(samples)} samples")
    print("[multiverse-scale] fit seconds per estimator (single worker):")
    print(fit.round(3).to_string())
    for note in (
        res.loc[res["status"] != "ok", "note"].str.slice(0, 160).value_counts().head(8).items()
    ):
        print(f"[multiverse-scale]   not ok x{note[1]}: {note[0]}")

    out = Path(a.out) if a.out else config.reports_dir() / "bench"
    out.mkdir(parents=True, exist_ok=True)
    res.drop(columns=["seconds"]).to_csv(out / "multiverse_research.csv", index=False)
    timing = pd.DataFrame([
        {"item": "wall_seconds", "value": round(wall, 1)},
        {"item": "specifications", "value": len(res)},
        {"item": "valid_specifications", "value": valid},
        {"item": "n_jobs", "value": a.n_jobs},
        {"item": "panels", "value": ",".join(panels)},
        {"item": "sample_prepare_seconds", "value": round(prep, 1)},
        *({"item": f"fit_mean_seconds_{k}", "value": round(v, 3)} for k, v in fit["mean"].items()),
    ])  # fmt: skip
    timing.to_csv(out / "multiverse_scale.csv", index=False)
    print(
        f"[multiverse-scale] wrote {out / 'multiverse_research.csv'} and {out / 'multiverse_scale.csv'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
