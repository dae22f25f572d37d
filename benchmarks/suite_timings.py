"""Run times of the suite as a user meets them, against the project's budgets (prints a table).

Measured here, on this machine, each in a fresh subprocess:

* every study notebook alone on the built-in panel (``notebooks run --only <nb> --jobs 1``:
  kernel start, execution, HTML), against the 15 s budget;
* ``make notebooks`` (every default notebook, one per core) against 45 s, and
  ``make teaching`` against 30 s;
* with ``--tests``, ``make test`` against 4 min;
* with ``--profile``, where each study notebook's seconds go: the notebook's code is run
  as a script while a sampler thread reads the main thread's stack every 10 ms and
  files each sample under the innermost frame it recognises (bootstrap draws,
  HonestDiD, synthetic control, MDE simulations, figures, panel load, other estimation,
  imports); kernel start and papermill overhead are the notebook's run time minus the
  script's. The estimations the evidence section hands to a forked worker process
  (:mod:`enforcement_crime.workers`) are not sampled: the notebook's own process waits
  for them meanwhile, under the category of the call it waits in; their CPU seconds are
  in the script's.

Each step's note starts with its CPU seconds (user + system of the step's processes, the
kernels included): on a machine shared with other work the wall-clock seconds grow with
the load, the CPU seconds much less, so compare those between runs on a busy machine.
With ``--profile`` the script's CPU seconds are given too, and the kernel, papermill and
HTML overhead in CPU seconds is the notebook's CPU minus the script's.

The table is printed and written to ``reports/bench/suite_timings.csv``; ``--readme``
rewrites the README's run-time table from it. Nothing is extrapolated: a step that fails
prints its exit code.

Usage::

    python benchmarks/suite_timings.py [--profile] [--tests] [--readme]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import resource
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
STUDY_NOTEBOOKS = (
    "287g/01-estimate-nc-counties",
    "287g/02-estimate-national-counties",
    "secure_communities/01-estimate-county-crime",
    "secure_communities/02-estimate-city-crime",
    "methods/01-run-multiverse",
    "methods/02-compute-minimum-detectable-effects",
    "tour/01-explore-default-panel",
)
BUDGETS = {"notebook": 15.0, "make notebooks": 45.0, "make teaching": 30.0, "make test": 240.0}

#: (category, file-path fragments) in the order they are tried on each frame, innermost first
CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "bootstrap draws",
        (
            "estimators/inference.py",
            "estimators/_wild_wald.py",
            "estimators/_cs_wild.py",
            "estimators/_bootstrap.py",
        ),
    ),  # fmt: skip
    ("HonestDiD", ("estimators/honest.py", "estimators/_honest_rm.py")),
    ("synthetic control", ("estimators/synth.py",)),
    ("MDE simulations", ("estimators/power.py", "designs/mde.py")),
    (
        "figures",
        ("/matplotlib/", "/seaborn/", "enforcement_crime/plotting/", "/PIL/", "/fontTools/"),
    ),  # fmt: skip
    (
        "panel load",
        ("enforcement_crime/panels/", "enforcement_crime/synthetic.py", "/pyarrow/parquet"),
    ),  # fmt: skip
    ("other estimation", ("enforcement_crime/estimators/",)),
    (
        "designs and tables",
        (
            "enforcement_crime/designs/",
            "enforcement_crime/reports.py",
            "enforcement_crime/multiverse/",
        ),
    ),  # fmt: skip
    ("imports", ("<frozen importlib._bootstrap",)),
)


def _children_cpu() -> float:
    """CPU seconds (user + system) of every finished child process so far, their children included."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(cmd: list[str], env: dict | None = None) -> tuple[float, int, float]:
    """Run ``cmd`` at the project root: wall seconds, exit code, CPU seconds of it and its children."""
    start, cpu = time.perf_counter(), _children_cpu()
    proc = subprocess.run(cmd, cwd=ROOT, env={**os.environ, **(env or {})},
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # fmt: skip
    if proc.returncode:
        sys.stderr.write(proc.stderr[-2000:])
    return time.perf_counter() - start, proc.returncode, _children_cpu() - cpu


def classify(frames: list[str]) -> str:
    """The category of one stack sample (file names, innermost first)."""
    for filename in frames:
        name = filename.replace(os.sep, "/")
        for category, parts in CATEGORIES:
            if any(p in name for p in parts):
                return category
    return "other"


def profile_script(source: Path, interval: float = 0.01) -> tuple[float, Counter, float]:
    """Run a notebook's code as a script in this process; seconds, samples by category, CPU seconds."""
    import jupytext

    nb = jupytext.read(source)
    code = "\n".join(
        c.source for c in nb.cells if c.cell_type == "code" and not c.source.startswith("%")
    )
    main = threading.main_thread().ident
    counts: Counter = Counter()
    done = threading.Event()

    def sample() -> None:
        while not done.wait(interval):
            frame = sys._current_frames().get(main)
            files = []
            while frame is not None:
                files.append(frame.f_code.co_filename)
                frame = frame.f_back
            counts[classify(files)] += interval

    os.environ["MPLBACKEND"] = "Agg"
    sampler = threading.Thread(target=sample, daemon=True)
    cwd = os.getcwd()
    os.chdir(source.parent)
    start, cpu = time.perf_counter(), time.process_time() + _children_cpu()
    sampler.start()
    try:
        exec(compile(code, str(source), "exec"), {"__name__": "__main__"})
    finally:
        done.set()
        os.chdir(cwd)
    # the CPU of the worker processes the evidence section forks (enforcement_crime.workers) too
    return time.perf_counter() - start, counts, time.process_time() + _children_cpu() - cpu


def _profile_child(name: str) -> None:
    seconds, counts, cpu = profile_script(ROOT / "notebooks" / f"{name}.py")
    total = sum(counts.values()) or 1.0
    parts = ", ".join(f"{k} {v / total * seconds:.1f}" for k, v in counts.most_common())
    print(f"PROFILE\t{seconds:.2f}\t{parts}\t{cpu:.2f}")


def _profile(name: str) -> tuple[float, str, float]:
    """A notebook's code run as a script in a fresh process: wall seconds, where they go, CPU seconds."""
    proc = subprocess.run([PY, __file__, "--profile-child", name], cwd=ROOT,
                          capture_output=True, text=True)  # fmt: skip
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("PROFILE\t")), None)
    if line is None:
        sys.stderr.write(proc.stderr[-2000:])
        return float("nan"), f"failed (exit {proc.returncode})", float("nan")
    _, seconds, parts, cpu = line.split("\t")
    return float(seconds), parts, float(cpu)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profile", action="store_true", help="where each study notebook's time goes")
    ap.add_argument("--tests", action="store_true", help="also time `make test`")
    ap.add_argument("--readme", action="store_true", help="rewrite the README run-time table")
    ap.add_argument("--only", default=None, help="only notebooks whose name contains this text")
    ap.add_argument("--profile-child", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.profile_child:
        _profile_child(args.profile_child)
        return 0
    cli = [PY, "-m", "enforcement_crime"]
    rows: list[tuple[str, float, float | None, str]] = []

    def add(step: str, seconds: float, budget: float | None, note: str = "") -> None:
        rows.append((step, seconds, budget, note))
        mark = "" if budget is None else ("  ok" if seconds <= budget else "  OVER")
        print(f"{step:<55} {seconds:7.1f} s" + (f"  (budget {budget:.0f} s){mark}" if budget
              else "") + (f"  {note}" if note else ""), flush=True)  # fmt: skip

    def outcome(rc: int, cpu: float) -> str:
        return f"cpu {cpu:.1f} s" if rc == 0 else f"FAILED (exit {rc})"

    seconds, rc, cpu = _run([*cli, "data", "build"])
    add("data build", seconds, None, outcome(rc, cpu))
    names = [n for n in STUDY_NOTEBOOKS if not args.only or args.only in n]
    for name in names:
        seconds, rc, cpu = _run([*cli, "notebooks", "run", "--only", name, "--jobs", "1"])
        note = outcome(rc, cpu)
        if args.profile and rc == 0:
            script, parts, script_cpu = _profile(name)
            rest = seconds - script
            overhead = (
                f"kernel, papermill and HTML {rest:.1f} s (cpu {cpu - script_cpu:.1f} s)"
                if rest >= 0
                else "the profiled script run took longer than the notebook run (separate runs)"
                f"; kernel, papermill and HTML cpu {cpu - script_cpu:.1f} s"
            )
            note = f"{note}; script {script:.1f} s (cpu {script_cpu:.1f} s): {parts}; {overhead}"
        add(f"notebook {name}", seconds, BUDGETS["notebook"], note)
    if not args.only:
        # through make, as users run them: the Makefile gives each kernel one BLAS thread, which
        # matters when two notebooks share the two cores
        seconds, rc, cpu = _run(["make", "notebooks"])
        add(f"make notebooks ({os.cpu_count()} at a time)", seconds, BUDGETS["make notebooks"],
            outcome(rc, cpu))  # fmt: skip
        seconds, rc, cpu = _run(["make", "teaching"])
        add("make teaching", seconds, BUDGETS["make teaching"], outcome(rc, cpu))
    if args.tests:
        seconds, rc, cpu = _run(["make", "test"])
        add("make test", seconds, BUDGETS["make test"], outcome(rc, cpu))

    out = ROOT / "reports" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    import csv

    with open(out / "suite_timings.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["step", "seconds", "budget_seconds", "note"])
        w.writerows(rows)
    print(f"\n{platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"table in {out / 'suite_timings.csv'}")  # fmt: skip
    if args.readme:
        _write_readme(rows)
    return 0


def _write_readme(rows) -> None:
    readme = ROOT / "README.md"
    text = readme.read_text()
    begin, end = "<!-- suite-timings:begin -->", "<!-- suite-timings:end -->"
    lines = [begin, "", "| step | seconds | budget | where the time goes |", "|---|---:|---:|---|"]
    for step, seconds, budget, note in rows:
        b = f"{budget:.0f}" if budget else ""
        lines.append(f"| {step} | {seconds:.1f} | {b} | {note} |")
    lines += ["", end]
    block = "\n".join(lines)
    if begin in text:
        text = re.sub(re.escape(begin) + ".*?" + re.escape(end), block, text, flags=re.S)
    else:
        raise SystemExit(f"README.md has no {begin} ... {end} block to rewrite")
    readme.write_text(text)
    print("README run-time table rewritten")


if __name__ == "__main__":
    raise SystemExit(main())
