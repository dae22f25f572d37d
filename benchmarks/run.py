"""Speed and memory benchmarks of the estimators against the issue's targets (``make bench``).

Every task runs in a fresh subprocess (so peak memory is that task's own), on
the built-in synthetic county panel (``enforcement_crime.synthetic.make_panel``:
3,143 counties x 17 years, Secure Communities adoption years as cohorts, state
clusters). Each implementation is run once to warm up (imports, JIT
compilation) and timed on a second run, unless the first run already took
longer than ``--repeat-below`` seconds. Peers are the best installed package
for the same task, measured in the same run; peers expected to be slow are
skipped unless ``--slow-peers`` is given, and every subprocess has a time
budget (``--budget``). A task whose estimator is missing prints "not
available"; nothing is extrapolated.

Usage::

    python benchmarks/run.py [--slow-peers] [--budget 300] [--only twfe,wcb]

The table is printed and saved to ``reports/bench/bench.csv``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# task -> (description, target seconds, target memory GB or None)
TASKS = {
    "twfe": ("TWFE, state-clustered", 0.5, None),
    "event_study": ("event study (-5..5), state-clustered", 1.0, None),
    "cs_analytic": ("Callaway-Sant'Anna, analytic SE", 1.0, None),
    "cs_boot999": ("Callaway-Sant'Anna, 999 bootstrap draws", 3.0, None),
    "imputation": ("imputation (BJS)", 2.0, None),
    "wcb9999": ("wild cluster bootstrap, 9,999 draws, state clusters", 5.0, None),
    "pretrend_wild999": (
        "event study + wild bootstrap pre-trend test, 999 draws, state clusters",
        3.0,
        None,
    ),
    "ri999": ("randomization inference, 999 permutations (TWFE)", 10.0, None),
    "honest_rm10": ("HonestDiD relative magnitudes, 10-value grid", 5.0, None),
    "honest_sd10": ("HonestDiD smoothness, 10-value grid", 5.0, None),
    "agency_twfe": ("agency-month panel 18,000 x 240: TWFE", 10.0, 4.0),
}
SLOW_PEERS = {"ri999", "agency_twfe"}


# --------------------------------------------------------------------------- child side
def _county_panel():
    import numpy as np

    from enforcement_crime.synthetic import make_panel

    df = make_panel(seed=20240101, preset="dynamic")
    df = df.loc[
        :, ["fips", "year", "state", "violent_rate", "population", "sc_activation_date"]
    ].copy()
    df["cohort"] = df["sc_activation_date"].dt.year.fillna(0).astype("int64")
    df["unit"] = df["fips"].astype(str)
    df["state"] = df["state"].astype(str)
    df["treated"] = ((df["cohort"] > 0) & (df["year"] >= df["cohort"])).astype("int64")
    df["y"] = df["violent_rate"].astype("float64")
    df["rel"] = np.where(df["cohort"] > 0, np.clip(df["year"] - df["cohort"], -5, 5), -1).astype(
        "int64"
    )
    return df


def _agency_panel():
    from enforcement_crime.simulate import Effect, simulate_staggered

    df = simulate_staggered(
        n_units=18_000,
        periods=(1, 240),
        cohorts={0: 0.4, 60: 0.2, 120: 0.2, 180: 0.2},
        effect=Effect(att=0.1),
        n_states=50,
        seed=1,
    )
    return df[["unit", "state", "time", "cohort", "treated", "y"]]


def _job(task: str, impl: str):
    """Return (callable to time, note). Raises ImportError when the implementation is missing."""
    if task == "agency_twfe":
        df = _agency_panel()
        if impl == "ours":
            from enforcement_crime.estimators import twfe

            return (
                lambda: twfe(df, "y", "unit", "time", "cohort", cluster="state")
            ), "enforcement_crime twfe"
        import pyfixest as pf

        return (
            lambda: pf.feols("y ~ treated | unit + time", data=df, vcov={"CRV1": "state"})
        ), "pyfixest feols"

    df = _county_panel()
    if impl == "ours":
        import enforcement_crime.estimators as est

        if task == "twfe":
            f = est.twfe
            return (lambda: f(df, "y", "unit", "year", "cohort", cluster="state")), "twfe"
        if task in ("event_study", "pretrend_wild999"):
            f = est.event_study
            wild = task == "pretrend_wild999"
            kw = {"pretrend_inference": "wild_cluster", "n_boot": 999, "seed": 1} if wild else {}
            return (
                lambda: f(df, "y", "unit", "year", "cohort", cluster="state", window=(-5, 5), **kw)
            ), ("event_study(pretrend_inference='wild_cluster')" if wild else "event_study")
        if task in ("cs_analytic", "cs_boot999"):
            f = est.callaway_santanna
            kw = (
                {"inference": "bootstrap", "n_boot": 999, "seed": 1} if task == "cs_boot999" else {}
            )
            return (
                lambda: f(
                    df,
                    "y",
                    "unit",
                    "year",
                    "cohort",
                    cluster="state",
                    control_group="not_yet_treated",
                    **kw,
                )
            ), "callaway_santanna (not-yet-treated controls)"
        if task == "imputation":
            f = est.imputation
            return (lambda: f(df, "y", "unit", "year", "cohort", cluster="state")), "imputation"
        if task == "wcb9999":
            f = est.wild_cluster_bootstrap
            return (
                lambda: f(df, "y", "unit", "year", "cohort", cluster="state", n_boot=9999, seed=1)
            ), "wild_cluster_bootstrap"
        if task == "ri999":
            f = est.randomization_inference
            return (
                lambda: f(df, "y", "unit", "year", "cohort", n_perm=999, seed=1)
            ), "randomization_inference"
        if task in ("honest_rm10", "honest_sd10"):
            es = est.event_study(df, "y", "unit", "year", "cohort", cluster="state", window=(-5, 5))
            h = est.honest_did
            if task == "honest_rm10":
                return (
                    lambda: h(
                        es, method="relative_magnitude", mbar_grid=[i * 0.2 for i in range(10)]
                    )
                ), "honest_did RM (event study fitted outside the timer)"
            se = float(es.term("e0")["std_error"])
            return (
                lambda: h(es, method="smoothness", m_grid=[i * se / 10 for i in range(10)])
            ), "honest_did SD (event study fitted outside the timer)"
        raise KeyError(task)

    # peers
    if task == "twfe":
        import pyfixest as pf

        return (
            lambda: pf.feols("y ~ treated | unit + year", data=df, vcov={"CRV1": "state"})
        ), "pyfixest feols"
    if task == "event_study":
        import pyfixest as pf

        return (
            lambda: pf.feols("y ~ i(rel, ref=-1) | unit + year", data=df, vcov={"CRV1": "state"})
        ), "pyfixest feols i(rel)"
    if task in ("cs_analytic", "cs_boot999"):
        from diff_diff import CallawaySantAnna

        nb = 999 if task == "cs_boot999" else 0
        d = df.assign(first_treat=df["cohort"])

        def run():
            m = CallawaySantAnna(
                control_group="not_yet_treated", n_bootstrap=nb, seed=1, cluster="state"
            )
            return m.fit(
                d, outcome="y", unit="unit", time="year", first_treat="first_treat", aggregate="all"
            )

        return run, "diff-diff CallawaySantAnna"
    if task == "imputation":
        from diff_diff import ImputationDiD

        d = df.assign(first_treat=df["cohort"])

        def run():
            return ImputationDiD(cluster="state").fit(
                d, outcome="y", unit="unit", time="year", first_treat="first_treat"
            )

        return run, "diff-diff ImputationDiD"
    if task == "wcb9999":
        import numpy as np
        from wildboottest.wildboottest import WildboottestCL

        from enforcement_crime.estimators._core import TwoWayProjector, sorted_codes
        from enforcement_crime.estimators._inputs import prepare_panel

        p = prepare_panel(df, "y", "unit", "year", "cohort", cluster="state").data
        _, u = sorted_codes(p["unit"])
        _, t = sorted_codes(p["time"])
        proj = TwoWayProjector(u, t, np.ones(len(p)))
        yt = proj.resid(p["y"].to_numpy())
        xt = proj.resid(((p["cohort"] > 0) & (p["time"] >= p["cohort"])).to_numpy(float))
        cl = sorted_codes(p["cluster"])[1]  # integer codes: numba cannot type string arrays

        def run():
            wb = WildboottestCL(X=xt[:, None], Y=yt, cluster=cl, R=np.array([1.0]), B=9999, seed=1)
            wb.get_scores("11", impose_null=True)
            wb.get_weights("rademacher")
            wb.get_numer()
            wb.get_denom()
            wb.get_tboot()
            wb.get_vcov()
            wb.get_tstat()
            wb.get_pvalue()
            return wb.pvalue

        return run, "wildboottest on demeaned data (no FE re-projection)"
    if task == "ri999":
        import numpy as np
        import pyfixest as pf

        def run():
            fit = pf.feols(
                "y~treated|unit+year", data=df
            )  # ritest mis-parses spaces in the FE part
            return fit.ritest(resampvar="treated", reps=999, rng=np.random.default_rng(1))

        return run, "pyfixest ritest (cell-by-cell permutation: a different design)"
    if task == "honest_sd10":
        import numpy as np
        from diff_diff.honest_did import _flci_solve

        import enforcement_crime.estimators as est

        es = est.event_study(df, "y", "unit", "year", "cohort", cluster="state", window=(-5, 5))
        names = [f"e{k}" for k in range(-5, 6) if k != -1]
        b = es.to_frame().set_index("term").loc[names, "estimate"].to_numpy()
        S = es.vcov.loc[names, names].to_numpy()
        se = float(np.sqrt(S[4, 4]))
        lv = np.ones(6) / 6

        def run():
            return [_flci_solve(b[:4], b[4:], S, lv, 4, 6, i * se / 10, 0.05) for i in range(10)]

        return run, "diff-diff FLCI (_flci_solve)"
    raise ImportError("no peer package for this task")


def child(task: str, impl: str, repeat_below: float) -> None:
    import resource

    out = {"task": task, "impl": impl}
    try:
        fn, note = _job(task, impl)
    except (ImportError, AttributeError) as exc:
        print(json.dumps({**out, "status": "not available", "note": str(exc)[:120]}))
        return
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    try:
        t0 = time.perf_counter()
        fn()
        first = time.perf_counter() - t0
        secs = first
        if first < repeat_below:
            t0 = time.perf_counter()
            fn()
            secs = time.perf_counter() - t0
    except Exception as exc:  # noqa: BLE001 - report any failure as a table entry
        print(
            json.dumps(
                {**out, "status": "failed", "note": f"{type(exc).__name__}: {str(exc)[:150]}"}
            )
        )
        return
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                **out,
                "status": "ok",
                "seconds": secs,
                "first_run": first,
                "peak_mb": peak,
                "base_mb": base,
                "note": note,
            }
        )
    )


# --------------------------------------------------------------------------- parent side
def run_one(task: str, impl: str, budget: float, repeat_below: float) -> dict:
    cmd = [sys.executable, __file__, "--child", task, impl, "--repeat-below", str(repeat_below)]
    env = dict(os.environ)
    env.setdefault("PYTHONWARNINGS", "ignore")
    try:
        cp = subprocess.run(cmd, capture_output=True, text=True, timeout=budget, cwd=ROOT, env=env)
    except subprocess.TimeoutExpired:
        return {"task": task, "impl": impl, "status": f"over budget ({budget:.0f} s)"}
    lines = [ln for ln in cp.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        return {
            "task": task,
            "impl": impl,
            "status": "failed",
            "note": (cp.stderr.strip().splitlines() or ["?"])[-1][:150],
        }
    return json.loads(lines[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--child", nargs=2, metavar=("TASK", "IMPL"), help=argparse.SUPPRESS)
    ap.add_argument("--slow-peers", action="store_true", help="also time peers expected to be slow")
    ap.add_argument("--budget", type=float, default=300.0, help="seconds allowed per subprocess")
    ap.add_argument(
        "--repeat-below",
        type=float,
        default=20.0,
        help="re-time (warm) runs whose first run was shorter",
    )
    ap.add_argument("--only", default="", help="comma-separated task names")
    ap.add_argument("--out", default=str(ROOT / "reports" / "bench" / "bench.csv"))
    args = ap.parse_args(argv)
    if args.child:
        child(args.child[0], args.child[1], args.repeat_below)
        return 0

    import pandas as pd

    tasks = [t for t in TASKS if not args.only or t in args.only.split(",")]
    rows = []
    print(
        f"enforcement-crime benchmarks: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"python {platform.python_version()}; county panel = synthetic.make_panel (3,143 x 17)",
        flush=True,
    )
    for task in tasks:
        desc, target_s, target_gb = TASKS[task]
        ours = run_one(task, "ours", args.budget, args.repeat_below)
        if task in SLOW_PEERS and not args.slow_peers:
            peer = {"status": "skipped (use --slow-peers)"}
        else:
            peer = run_one(task, "peer", args.budget, args.repeat_below)
        ok = ours.get("status") == "ok"
        met = ""
        if ok:
            met = "yes" if ours["seconds"] < target_s else "NO"
            if target_gb is not None and ours["peak_mb"] / 1024 >= target_gb:
                met = "NO (memory)"
        rows.append(
            {
                "task": task,
                "description": desc,
                "ours_s": round(ours["seconds"], 3) if ok else ours.get("status"),
                "ours_first_run_s": round(ours["first_run"], 3) if ok else None,
                "ours_peak_mem_mb": round(ours["peak_mb"]) if ok else None,
                "peer": peer.get("note", "")
                if peer.get("status") == "ok"
                else peer.get("note", ""),
                "peer_s": round(peer["seconds"], 3)
                if peer.get("status") == "ok"
                else peer.get("status"),
                "peer_peak_mem_mb": round(peer["peak_mb"]) if peer.get("status") == "ok" else None,
                "target": f"< {target_s:g} s" + (f", < {target_gb:g} GB" if target_gb else ""),
                "met": met
                if ok
                else "not available"
                if ours.get("status") == "not available"
                else "no result",
                "ours_note": ours.get("note", ""),
            }
        )
        r = rows[-1]
        print(
            f"  {task:<12} ours={r['ours_s']!s:<10} peer={r['peer_s']!s:<28} target {r['target']:<14} met={r['met']}",
            flush=True,
        )
    table = pd.DataFrame(rows)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out, index=False)
    shown = table[
        ["task", "ours_s", "ours_peak_mem_mb", "peer_s", "peer_peak_mem_mb", "target", "met"]
    ]
    print()
    print(shown.to_string(index=False))
    print()
    for r in rows:
        print(f"{r['task']}: ours = {r['ours_note']}; peer = {r['peer'] or '-'}")
    print(f"\nsaved {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
