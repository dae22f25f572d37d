"""Size of every headline test on the null synthetic panel (issue 12, point 2): SYNTHETIC DATA.

For each seed the built-in synthetic panel (preset ``"null"``: every true
effect is 0) is drawn once, every requested study design is opened on it and
its headline tests (:data:`enforcement_crime.designs.size.SIZE_CASES`, built
from the designs' own specifications, run as the notebooks run them) are
estimated for every outcome, with (``--pretrends also``, the default) the joint
pre-trend test of each notebook's TWFE event study (``PRETREND_CASES``). Seeds run in parallel with joblib (each worker
draws its own panels). Printed: the size table in Markdown (rejection rates at
5% and 10% with Monte Carlo standard errors, interval coverage of 0, mean
estimate), the share of seeds in which a test rejects for all outcomes at
once, the wall time and the seconds per seed per design.

Written to ``--out`` (default ``reports/size``):

* ``size_rows.csv``: one row per seed, design, test and outcome (every seed);
* ``size_table.csv`` and ``size_table.md``: the summary (the README's table).

Conventions (rejection ``p <= level``; analytic p-values from the estimator's
own critical value; bootstrap and permutations seeded with the panel seed) are
those of :mod:`enforcement_crime.designs.size`. Estimator warnings are not
printed (their content is in each result's notes). An estimator that refuses a
panel is recorded as a refused row and reported in the table (``--strict``:
raise instead).

Usage::

    python benchmarks/size_study.py [--seeds 200] [--first-seed 0]
        [--designs 287g_nc 287g_national sc_county sc_city] [--n-jobs 2]
        [--n-boot 999] [--n-perm 199] [--out reports/size] [--pretrends also|no|only]
        [--resume] [--strict] [--table-only]

``--resume`` keeps the seeds already in ``size_rows.csv`` (same designs,
draws, generator version and source hash of ``synthetic.py`` and ``designs/``) and runs only the missing ones; rows are saved
every ``--save-every`` seeds, so an interrupted run can be resumed.
``--table-only`` rebuilds the tables from ``size_rows.csv`` without running.
``--readme`` also writes the summary (:func:`enforcement_crime.designs.size.readme_summary`:
ranges over outcomes and the findings computed from them) into ``README.md``
between ``<!-- size-summary:start -->`` and ``<!-- size-summary:end -->``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
import warnings
from pathlib import Path

import pandas as pd


def one_seed(
    keys: list[str], seed: int, n_boot: int, n_perm: int, strict: bool, pretrends: str
) -> pd.DataFrame:
    """Every requested design's size cases on the null panel of ``seed`` (drawn once)."""
    from enforcement_crime.designs.size import run_panel

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # estimator warnings: their content is in the notes
        return run_panel(keys, seed, n_boot=n_boot, n_perm=n_perm, pretrends=pretrends,
                         on_refusal="raise" if strict else "record")  # fmt: skip


def _source_hash() -> str:
    """SHA-256 (first 12 hex digits) of the synthetic generator's and the designs' source files."""
    import hashlib

    import enforcement_crime

    root = Path(enforcement_crime.__file__).parent
    h = hashlib.sha256()
    for path in [root / "synthetic.py", *sorted((root / "designs").glob("*.py"))]:
        h.update(path.read_bytes())
    return h.hexdigest()[:12]


def _settings(args, generator_version: str) -> dict:
    return {"designs": sorted(args.designs), "n_boot": args.n_boot, "n_perm": args.n_perm,
            "preset": "null", "generator_version": generator_version,
            "source_sha256": _source_hash(), "pretrends": args.pretrends}  # fmt: skip


def _bad_argument(args) -> str | None:
    """The first argument that cannot work, as one line naming it and what is expected; else None."""
    cpus = os.cpu_count() or 1
    if args.seeds < 1:
        return f"--seeds must be at least 1, got {args.seeds}"
    if args.first_seed < 0 or args.first_seed + args.seeds > 2**32:
        return (
            f"--first-seed must be 0 or more (numpy seeds are non-negative) and first-seed + seeds "
            f"at most 2**32, got --first-seed {args.first_seed}"
        )
    if args.n_jobs == 0 or args.n_jobs < -cpus:
        return f"--n-jobs must be 1 or more (or -1 for every CPU, -2 for all but one ...), got {args.n_jobs}"
    if args.n_boot < 1:
        return (
            f"--n-boot must be at least 1 wild bootstrap draw (notebooks: 999), got {args.n_boot}"
        )
    if args.n_perm < 1:
        return f"--n-perm must be at least 1 permutation (notebooks: 199), got {args.n_perm}"
    if args.save_every < 1:
        return f"--save-every must be at least 1 seed, got {args.save_every}"
    out = args.out
    if out.exists() and not out.is_dir():
        return f"--out must be a folder (it gets size_rows.csv, size_settings.json, ...); {out} is a file"
    for parent in (out, *out.parents):
        if parent.exists():
            if not parent.is_dir():
                return f"--out {out}: {parent} is a file, not a folder"
            if not os.access(parent, os.W_OK):
                return f"--out {out}: {parent} is not writable"
            break
    return None


def _timing(rows: pd.DataFrame) -> pd.DataFrame:
    """Mean seconds per seed: drawing the panel, and each design (opening it and all its fits)."""
    per = rows.drop_duplicates(["seed", "design"])
    out = per.groupby("design", sort=False)["design_seconds"].agg(["mean", "max"])
    draw = rows.drop_duplicates("seed")["draw_seconds"]
    out.loc["(drawing the panel)"] = [draw.mean(), draw.max()]
    out.loc["total per seed"] = [out["mean"].sum(), float("nan")]
    return out.rename(columns={"mean": "mean_seconds_per_seed", "max": "max_seconds"})


def main(argv: list[str] | None = None) -> int:
    from enforcement_crime.designs.size import (
        SIZE_CASES,
        all_outcomes_reject,
        markdown_table,
        readme_summary,
        summarise,
    )
    from enforcement_crime.fileio import atomic_write, atomic_write_text
    from enforcement_crime.synthetic import GENERATOR_VERSION

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=200, help="number of seeds (default 200)")
    parser.add_argument("--first-seed", type=int, default=0, help="seeds are first .. first+n-1")
    parser.add_argument("--designs", nargs="+", default=list(SIZE_CASES), choices=list(SIZE_CASES))
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument(
        "--n-boot", type=int, default=999, help="wild bootstrap draws (notebooks: 999)"
    )
    parser.add_argument("--n-perm", type=int, default=199, help="RI permutations (notebooks: 199)")
    parser.add_argument("--out", type=Path, default=Path("reports/size"))
    parser.add_argument(
        "--resume", action="store_true", help="keep the seeds already in size_rows.csv"
    )
    parser.add_argument("--save-every", type=int, default=10, help="save the rows every n seeds")
    parser.add_argument("--strict", action="store_true", help="an estimator refusal raises")
    parser.add_argument("--pretrends", choices=["also", "no", "only"], default="also",
                        help="the event studies' joint pre-trend tests: also (default), no, only")  # fmt: skip
    parser.add_argument("--table-only", action="store_true",
                        help="no new seeds: rebuild the tables from the seeds in size_rows.csv "
                             "(with the settings recorded in size_settings.json)")  # fmt: skip
    parser.add_argument("--readme", action="store_true",
                        help="write the summary into README.md between the size-summary markers")  # fmt: skip
    args = parser.parse_args(argv)
    bad = _bad_argument(args)
    if bad:  # one line, before anything is written
        print(f"size_study.py: {bad}", file=sys.stderr)
        return 2

    from joblib import Parallel, delayed
    from tqdm import tqdm

    args.out.mkdir(parents=True, exist_ok=True)
    rows_path = args.out / "size_rows.csv"
    settings_path = args.out / "size_settings.json"
    settings = _settings(args, GENERATOR_VERSION)
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    done: list[pd.DataFrame] = []
    if args.table_only:
        if not (rows_path.is_file() and settings_path.is_file()):
            sys.exit(f"--table-only: needs {rows_path} and {settings_path} from an earlier run")
        settings = json.loads(settings_path.read_text())
        args.designs, args.n_boot, args.n_perm = (
            settings[k] for k in ("designs", "n_boot", "n_perm")
        )
        args.pretrends = settings.get(
            "pretrends", "no"
        )  # runs before the option: no pre-trend tests
        done.append(pd.read_csv(rows_path, dtype={"note": "string"}))
        seeds = []
        print(f"--table-only: {done[0]['seed'].nunique()} seeds from {rows_path}")
    elif args.resume and rows_path.is_file():
        old = json.loads(settings_path.read_text()) if settings_path.is_file() else None
        if old is None or {k: v for k, v in old.items() if k != "wall_line"} != settings:
            sys.exit(f"--resume: {rows_path} was made with settings {old}, not {settings}; "
                     "run without --resume (it overwrites) or with the same settings")  # fmt: skip
        prev = pd.read_csv(rows_path, dtype={"note": "string"})
        prev = prev[prev["seed"].isin(seeds)]
        complete = prev.groupby("seed")["design"].nunique()
        keep = set(complete.index[complete == len(args.designs)])
        done.append(prev[prev["seed"].isin(keep)])
        seeds = [s for s in seeds if s not in keep]
        print(f"resuming: {len(keep)} seeds already in {rows_path}, {len(seeds)} to run")
    if not args.table_only:
        atomic_write_text(settings_path, json.dumps(settings, indent=1) + "\n")

    print(
        f"SYNTHETIC DATA (built-in panel, generator v{GENERATOR_VERSION}, preset 'null': true effect 0)"
    )
    print(f"designs {args.designs}; {len(seeds)} seeds; n_boot={args.n_boot}, n_perm={args.n_perm}; "
          f"{args.n_jobs} jobs; {os.cpu_count()} CPUs")  # fmt: skip
    t0 = time.perf_counter()
    new: list[pd.DataFrame] = []
    if seeds:
        jobs = (
            delayed(one_seed)(
                args.designs, s, args.n_boot, args.n_perm, args.strict, args.pretrends
            )
            for s in seeds
        )
        results = Parallel(n_jobs=args.n_jobs, return_as="generator_unordered")(jobs)
        for i, frame in enumerate(tqdm(results, total=len(seeds), desc="seeds", unit="seed"), 1):
            new.append(frame)
            if i % args.save_every == 0:
                part = pd.concat([*done, *new], ignore_index=True)
                atomic_write(rows_path, lambda tmp, part=part: part.to_csv(tmp, index=False))
    wall = time.perf_counter() - t0

    rows = pd.concat([*done, *new], ignore_index=True)
    order = {k: i for i, k in enumerate(SIZE_CASES)}  # designs in SIZE_CASES order, cases as run
    rows = rows.sort_values(["seed"], kind="stable").sort_values(
        "design", key=lambda s: s.map(order), kind="stable"
    )
    atomic_write(rows_path, lambda tmp: rows.to_csv(tmp, index=False))
    summary = summarise(rows)
    atomic_write(args.out / "size_table.csv", lambda tmp: summary.to_csv(tmp, index=False))
    joint = all_outcomes_reject(rows)
    timing = _timing(rows)
    n_seeds = rows["seed"].nunique()
    table = markdown_table(summary)
    header = (
        f"# Size of the headline tests on the null synthetic panel (SYNTHETIC DATA)\n\n"
        f"Built-in synthetic panel, generator v{GENERATOR_VERSION}, preset 'null' (every true effect 0), "
        f"{n_seeds} seeds ({rows['seed'].min()}-{rows['seed'].max()}); wild bootstrap {args.n_boot} draws, "
        f"randomization inference {args.n_perm} permutations, seeded as the notebooks seed them (the "
        f"panel seed; the design's fixed seed for the pre-trend tests and SC Callaway-Sant'Anna); source "
        f"hash {settings['source_sha256']} (synthetic.py and designs/). Made by "
        f"`python benchmarks/size_study.py --seeds {n_seeds} --first-seed {rows['seed'].min()} "
        f"--designs {' '.join(args.designs)} --pretrends {args.pretrends}` on "
        f"{dt.date.today().isoformat()}.\n\n"
        "Rates in %, Monte Carlo s.e. in parentheses (sqrt(p(1-p)/n)). Reject: p <= level (bootstrap and "
        "permutation p-values; analytic p-values from the estimator's own critical value, so 5% / 10% = "
        "the 95% / 90% interval excludes 0). Coverage: the 95% interval contains 0 (none for "
        "randomization inference). 3-8%: the 5% rate (point estimate) within [3%, 8%]. Size-corrected "
        "5% level: the largest p-value threshold that rejects at most 5% of these null seeds. Levels are "
        "per 100,000; logs are log(1 + rate).\n\n"
    )
    joint_md = "\n".join(
        ["| design | test | seeds | all outcomes reject at 5% |", "|---|---|---:|---:|"]
        + [f"| {r.design} | {r.case} | {r.n_seeds} | {100 * r.all_reject:.1f} ({100 * r.mc_se:.1f}) |"
           for r in joint.itertuples(index=False)]
    )  # fmt: skip
    timing_md = timing.to_markdown(floatfmt=".2f")
    if seeds:
        wall_line = (
            f"Wall time of this run: {wall:.0f} s for {len(seeds)} new seeds on {args.n_jobs} jobs."
        )
        atomic_write_text(
            settings_path, json.dumps({**settings, "wall_line": wall_line}, indent=1) + "\n"
        )
    else:
        wall_line = (
            settings.get("wall_line", "") + " Tables rebuilt from size_rows.csv (no new seeds)."
        )
    if args.readme:
        from enforcement_crime.real import write_readme_section

        lead = (f"Summary of the last run ({n_seeds} seeds; Monte Carlo s.e. of a 5% "
                "rate about 1.5-2 points; full table in [`reports/size/size_table.md`](reports/size/size_table.md)). "
                "Generated by `python benchmarks/size_study.py --table-only --readme`:\n")  # fmt: skip
        write_readme_section(lead + "\n" + readme_summary(summary), start="<!-- size-summary:start -->",
                             end="<!-- size-summary:end -->")  # fmt: skip
        print("README.md: size summary written")
    md = (f"{header}{table}\n\n## Seeds in which a test rejects for every outcome at once\n\n{joint_md}\n\n"
          f"## Seconds per seed (one process)\n\n{timing_md}\n\n{wall_line}\n")  # fmt: skip
    atomic_write_text(args.out / "size_table.md", md)

    print(table)
    print()
    print(joint_md)
    print()
    print(timing_md)
    print(wall_line)
    refused = int(rows["refused"].astype(bool).sum())
    if refused:
        print(
            f"WARNING: {refused} estimates refused by their estimator (rows with refused=True; see note)"
        )
    print(f"written: {rows_path}, {args.out / 'size_table.csv'}, {args.out / 'size_table.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
