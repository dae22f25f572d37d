"""The command line: ``python -m enforcement_crime <command>`` (console script ``enforcement-crime``).

One argparse parser with one subcommand per step; ``--help`` at any level lists
the options with examples. The work is done by the modules named below; this
module only parses arguments and turns errors into exit codes and messages.

``data status|fetch|build``
    Raw sources and study panels (:mod:`enforcement_crime.panels.commands`).
``notebooks run|params``
    Execute the notebooks with papermill (:mod:`enforcement_crime.notebooks`).
``real``
    Build the real panels and run every study on each (:mod:`enforcement_crime.real`).
``teaching``
    Student and instructor copies of the teaching notebooks (:mod:`enforcement_crime.teaching`).
``lab``
    JupyterLab with the project kernel (:func:`enforcement_crime.teaching.start_lab`).
``synthetic``
    Write a synthetic panel to parquet (:mod:`enforcement_crime.synthetic`).

Exit codes: 0 success; 1 the command ran and something failed (a build, a
notebook, a login source); 2 the command line or its parameters were refused
before anything ran.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
import textwrap
from collections.abc import Iterable, Sequence
from pathlib import Path

__all__ = ["main", "parse", "parser", "parse_parameters", "population"]

PROG = "python -m enforcement_crime"


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the line breaks of the ``examples`` epilogs; a wider column for the options."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=32)


def _examples(*lines: str) -> str:
    return "examples:\n" + "\n".join(f"  {line}" for line in lines)


def _add(sub, name: str, help: str, description: str, examples: Sequence[str]):
    return sub.add_parser(
        name,
        help=help,
        description=textwrap.fill(description, 88),
        epilog=_examples(*examples),
        formatter_class=_Formatter,
        allow_abbrev=False,
    )


# --------------------------------------------------------------------------------------
# option types and parameter values
# --------------------------------------------------------------------------------------


def population(text: str) -> int:
    """argparse type of the population options: a whole number of residents, 0 to 10 million."""
    from enforcement_crime.panels.context import MAX_CITY_POPULATION

    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a whole number of residents (e.g. 50000), got {text!r}"
        ) from None
    if not 0 <= value <= MAX_CITY_POPULATION:
        raise argparse.ArgumentTypeError(
            f"expected 0 to {MAX_CITY_POPULATION:,} residents "
            f"(the largest US city has about 8.8 million), got {value:,}"
        )
    return value


def _json_or_text(text: str) -> object:
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse_parameters(
    pairs: Iterable[tuple[str, str]], defaults: Iterable[dict[str, object]] = ()
) -> dict[str, object]:
    """Values of ``-p NAME VALUE`` pairs, typed by the notebooks' parameters cells.

    A parameter whose default is a string in every notebook that defines it
    (``defaults``: one :func:`~enforcement_crime.notebooks.notebook_parameters`
    mapping per notebook) takes VALUE as the text given, so ``-p preset null``
    is the string ``"null"`` (a JSON string such as ``'"x"'`` is decoded).
    Every other VALUE is parsed as JSON when it parses (``-p seed 3`` is an
    int, ``-p alt_panels '["a", "b"]'`` a list, ``-p anything null`` None),
    else kept as text; the runner then checks names and types.
    """
    defaults = list(defaults)
    out: dict[str, object] = {}
    for name, text in pairs:
        given = [d[name] for d in defaults if name in d]
        value = _json_or_text(text)
        if given and all(isinstance(g, str) for g in given) and not isinstance(value, str):
            value = text
        out[name] = value
    return out


# --------------------------------------------------------------------------------------
# the parser
# --------------------------------------------------------------------------------------


def _data_parser(sub) -> None:
    from enforcement_crime.panels import registry
    from enforcement_crime.panels.rawfiles import SOURCES

    panels = list(registry.panels())
    data = _add(
        sub,
        "data",
        "raw sources and study panels: status | fetch | build",
        "Raw sources (data/raw/<source>/) and the study panels built from them "
        "(data/processed/<panel>.parquet with a .json manifest).",
        [
            f"{PROG} data status",
            f"{PROG} data fetch g287 secure_communities",
            f"{PROG} data build                  # every buildable panel (else the synthetic one)",
            f"{PROG} data build --shared cius_county city_sc",
            f"{PROG} data --raw /path/to/raw build --min-population 100000",
        ],
    )
    data.add_argument(
        "--raw",
        type=Path,
        default=None,
        help="raw-data root holding one folder per source (default data/raw); must exist",
    )
    actions = data.add_subparsers(dest="action", required=True, metavar="{status,fetch,build}")
    _add(
        actions,
        "status",
        "list each source (found, where, checksum state) and each panel",
        "For each source: whether its raw files are present, which, and their checksum state "
        "against the sha256 registry (ok, MISMATCH, unregistered); then each registered panel: "
        "inputs present, built, approximation.",
        [f"{PROG} data status", f"{PROG} data --raw /path/to/raw status"],
    )
    fetch = _add(
        actions,
        "fetch",
        "download public sources; print login instructions for the others",
        "Download public sources into data/raw/<source>/. Sources that need a login (LEAIC, "
        "Kaplan, ICPSR county files) print what to download, from where and where to put it; "
        "the command then exits 1.",
        [f"{PROG} data fetch", f"{PROG} data fetch census_population g287"],
    )
    fetch.add_argument("sources", nargs="*", help=f"subset of {list(SOURCES)} (default: all)")
    build = _add(
        actions,
        "build",
        "build study panels (real raw files when present, else synthetic)",
        "Build every registered panel whose inputs are present (or the panels named) as one "
        "transaction: raw files are checked against the sha256 registry, a broken input stops "
        "the build naming the file, and nothing is replaced unless every panel validates. When "
        "no real panel can be built from the default raw folder the SYNTHETIC panel is written "
        "and the output says so.",
        [
            f"{PROG} data build",
            f"{PROG} data build --shared",
            f"{PROG} data build --shared city_sc --min-population 100000",
            f"{PROG} data build --shared cius_county --cius-city-floor 10000",
        ],
    )
    build.add_argument("panels", nargs="*", help=f"subset of {panels} (default: all buildable)")
    build.add_argument(
        "--verbose",
        "-v",
        action="store_true",
        help="list what each panel not built needs (by default one summary line when the "
        "built-in synthetic panel is used)",
    )
    build.add_argument(
        "--shared", action="store_true", help="read the real copies in ../shared/data"
    )
    build.add_argument(
        "--coverage-rule",
        default="scale",
        choices=["full12", "scale", "icpsr"],
        help="kaplan_county: how agencies reporting under 12 months count (default scale)",
    )
    build.add_argument(
        "--min-population",
        type=population,
        default=50_000,
        help="city_sc: keep cities whose median population is at least this (default 50000)",
    )
    build.add_argument(
        "--cius-city-floor",
        type=population,
        default=None,
        metavar="N",
        help="cius_county, cius_county_constant: keep only Table 8 cities of N residents and over "
        "in every year (10000 lets the 2004 table, cities of 10,000+ only, join; default: "
        "every city, 2004 left out)",
    )
    build.add_argument(
        "--cius-table11",
        action="store_true",
        help="cius_county, cius_county_constant: add Table 11 tribal and other agencies "
        "(2013-2015 only: a level shift; default off)",
    )
    build.add_argument(
        "--allow-missing-timing",
        action="store_true",
        help="build without treatment timing when an SC or 287(g) file is broken "
        "(default: stop; the manifests say so)",
    )
    build.add_argument(
        "--accept-changed-raw",
        action="store_true",
        help="use raw files whose sha256 differs from the registry, that fail their "
        "completeness check (expected rows or keys), or whose LEAIC-CIUS match rate is below "
        "the floor (default: stop; with it, a warning and a note in the manifests)",
    )


def _notebooks_parser(sub) -> None:
    nb = _add(
        sub,
        "notebooks",
        "execute notebooks with papermill: run | params",
        "Execute the notebooks (jupytext .py files under notebooks/) with papermill into "
        "reports/notebooks/, with an HTML copy each; the teaching notebooks have their own "
        f"command ({PROG} teaching).",
        [
            f"{PROG} notebooks run",
            f"{PROG} notebooks run --only 287g -p data_source nc_county",
            f"{PROG} notebooks params --run --only 287g-nc-county",
        ],
    )
    actions = nb.add_subparsers(dest="action", required=True, metavar="{run,params}")
    run = _add(
        actions,
        "run",
        "execute every notebook (or those matching --only) into reports/notebooks/",
        "Execute the notebooks. Each -p parameter goes to the notebooks whose parameters cell "
        "defines it; VALUE is taken as text when that parameter's default is a string, else "
        'parsed as JSON when it parses (3, 0.1, true, null, ["a"]) and kept as text otherwise. '
        "An unknown name or a value of the wrong type stops before any kernel starts. A notebook "
        "run with values other than its defaults writes into its own folder, "
        "reports/runs/<study>__<notebook>--<parameters>--<hash>/ (with parameters.json), "
        "never into the canonical reports/figures, reports/tables or reports/notebooks.",
        [
            f"{PROG} notebooks run",
            f"{PROG} notebooks run --only teaching/01 --no-html",
            f"{PROG} notebooks run --only 287g/01 -p data_source nc_county -p preset null",
            f"{PROG} notebooks run --only methods/01 -p grid_scale research -p seed 7",
        ],
    )
    run.add_argument("--only", help="only notebooks whose path contains this text")
    run.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        metavar=("NAME", "VALUE"),
        default=[],
        help="papermill parameter (repeatable; VALUE typed as described above)",
    )
    run.add_argument("--no-html", action="store_true", help="skip the HTML copies")
    run.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="notebooks executed at once (default: one per core, or ENFORCEMENT_CRIME_JOBS)",
    )
    params = _add(
        actions,
        "params",
        "list (or --run) the parameter files in params/, each checked alone",
        "List the parameter files in params/ with their status (each file is checked alone "
        "against its notebook's parameters cell); --run executes every valid one, each into "
        "reports/runs/<study>__<notebook>--<file name>--<hash>/, a failing run not stopping "
        "the others, and ends with a summary (ok, failed, broken). Exits 1 when any file is "
        "broken (the broken ones are not run) or any run failed.",
        [
            f"{PROG} notebooks params",
            f"{PROG} notebooks params --run --only 287g-nc-county --no-html",
        ],
    )
    params.add_argument("--run", action="store_true", help="execute every valid parameter file")
    params.add_argument("--only", help="only parameter files whose name contains this text")
    params.add_argument("--no-html", action="store_true", help="skip the HTML copies")


def _real_parser(sub) -> None:
    real = _add(
        sub,
        "real",
        "build every real panel and run every study on each into reports/real/",
        "Build the real panels (from data/raw/, or with --shared from ../shared/data), execute "
        "each study notebook on every built panel it can use into reports/real/<panel>/, and "
        "write reports/real/OUTPUTS.md and RESULTS.md (the paper's conclusion next to our "
        "headline and diagnostics). Exits 1 when any run failed.",
        [
            f"{PROG} real --shared",
            f"{PROG} real --no-build --only sc_county --no-html",
            f"{PROG} real --shared --readme   # also update README.md's results section",
        ],
    )
    real.add_argument(
        "--shared", action="store_true", help="build the panels from ../shared/data (read-only)"
    )
    real.add_argument(
        "--no-build", action="store_true", help="use the panels already in data/processed"
    )
    real.add_argument(
        "--only",
        nargs="+",
        default=None,
        metavar="KEY",
        help="design keys (or methods, validation) to run (default: all)",
    )
    real.add_argument(
        "--readme", action="store_true", help="update README.md's 'Results on real data' section"
    )
    real.add_argument(
        "--no-html", action="store_true", help="skip the HTML copies of the executed notebooks"
    )
    real.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="notebooks executed at once (default: one per core, or ENFORCEMENT_CRIME_JOBS)",
    )


def _teaching_parsers(sub) -> None:
    teaching = _add(
        sub,
        "teaching",
        "student and instructor copies of the teaching notebooks in reports/teaching/",
        "Write reports/teaching/student/ (solution cells removed, outputs cleared; .ipynb and "
        ".py) and reports/teaching/instructor/ (the full notebook executed with "
        "interactive=False; .ipynb and .html). Exercises without a checked solution stop the "
        "build naming the notebook and cell.",
        [
            f"{PROG} teaching",
            f"{PROG} teaching --only 04 --no-html",
            f"{PROG} teaching --no-execute   # student copies only",
        ],
    )
    teaching.add_argument("--only", help="only notebooks whose file name contains this text")
    teaching.add_argument("--no-execute", action="store_true", help="write the student copies only")
    teaching.add_argument("--no-html", action="store_true", help="skip the HTML copies")
    teaching.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="notebooks executed at once (default: one per core, or ENFORCEMENT_CRIME_JOBS)",
    )
    lab = _add(
        sub,
        "lab",
        "start JupyterLab with the project kernel; .py notebooks open as notebooks",
        "Start JupyterLab with jupyter/jupyter_lab_config.py at the project root (study "
        "notebooks, reports/, README.md and src/ reachable), after copying the project's Lab "
        "settings (jupytext: .py files open as notebooks) into this environment's "
        "share/jupyter/lab/settings. With --student, the lab is rooted at the student copies "
        "(reports/teaching/student) only. Every other argument after `lab` goes to JupyterLab "
        "unchanged.",
        [
            f"{PROG} lab",
            f"{PROG} lab --student            # a lab showing the student copies only",
            f"{PROG} lab --no-browser --port 8899",
        ],
    )
    lab.add_argument(
        "--student",
        action="store_true",
        help="root the lab at the student copies (write them with `teaching --no-execute`)",
    )
    lab.add_argument(
        "jupyter_args", nargs="*", metavar="JUPYTER_ARG", help="passed to `jupyter lab` unchanged"
    )


def _synthetic_parser(sub) -> None:
    syn = _add(
        sub,
        "synthetic",
        "write a synthetic panel to parquet",
        "Write the suite's default SYNTHETIC county panel (true effects set by --preset) to "
        "parquet, with a JSON manifest next to it; every output made from it is labelled "
        "synthetic.",
        [
            f"{PROG} synthetic",
            f"{PROG} synthetic --seed 3 --preset dynamic --out /tmp/dynamic.parquet",
        ],
    )
    syn.add_argument(
        "--seed", type=int, default=None, help="random seed (default: the suite's seed)"
    )
    syn.add_argument(
        "--preset", default="null", help="true effects: null (default), homogeneous or dynamic"
    )
    syn.add_argument(
        "--out",
        default=None,
        help="parquet file to write (default: data/processed/synthetic.parquet)",
    )


def parser() -> argparse.ArgumentParser:
    """The whole command line: one parser, one subcommand per step."""
    top = argparse.ArgumentParser(
        prog=PROG,
        description=textwrap.fill(
            "Data, notebooks, real-data runs, teaching and JupyterLab of the enforcement-crime "
            "suite. `COMMAND --help` shows each command's options and examples.",
            88,
        ),
        epilog=_examples(
            f"{PROG} data status",
            f"{PROG} data build --shared",
            f"{PROG} notebooks run --only 287g -p data_source nc_county",
            f"{PROG} real --shared",
            f"{PROG} teaching",
            f"{PROG} lab",
            f"{PROG} synthetic --preset dynamic",
        ),
        formatter_class=_Formatter,
        allow_abbrev=False,
    )
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _data_parser(sub)
    _notebooks_parser(sub)
    _real_parser(sub)
    _teaching_parsers(sub)
    _synthetic_parser(sub)
    return top


def _subparsers(p: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """``p`` and every parser below it."""
    out = [p]
    for action in p._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                out += _subparsers(child)
    return out


def _unknown_option(p: argparse.ArgumentParser, argv: Sequence[str]) -> str | None:
    """A message naming the first ``--option`` no parser knows, with the closest known one.

    argparse alone would report ``--raww x`` as an invalid choice ``x``; this names
    the mistyped option. Tokens after ``--`` and negative numbers are left alone
    (:func:`parse` has already set JupyterLab's own options aside).
    """
    known = {opt for q in _subparsers(p) for opt in q._option_string_actions}
    for token in argv:
        if token == "--":
            break
        if token.startswith("-") and len(token) > 1 and not token[1:].replace(".", "").isdigit():
            opt = token.split("=", 1)[0]
            if opt not in known:
                near = difflib.get_close_matches(opt, sorted(known), n=1)
                return f"unrecognised option {opt!r}" + (
                    f"; did you mean {near[0]}?" if near else ""
                )
    return None


# --------------------------------------------------------------------------------------
# the commands
# --------------------------------------------------------------------------------------


def _data(args: argparse.Namespace) -> int:
    from enforcement_crime.panels import commands

    if args.action == "status":
        commands.status(args.raw)
        return 0
    if args.action == "fetch":
        return commands.fetch(args.sources, args.raw)
    return commands.build_command(
        args.panels,
        args.raw,
        shared=args.shared,
        coverage_rule=args.coverage_rule,
        min_population=args.min_population,
        allow_missing_timing=args.allow_missing_timing,
        accept_changed_raw=args.accept_changed_raw,
        cius_city_floor=args.cius_city_floor,
        cius_table11=args.cius_table11,
        verbose=args.verbose,
    )


def _notebooks_run(args: argparse.Namespace) -> int:
    from enforcement_crime.notebooks import ParameterError, discover, notebook_parameters, run_all

    try:
        defaults = []
        if args.parameter:
            for path in discover(pattern=args.only):
                try:
                    defaults.append(notebook_parameters(path))
                except ValueError:
                    continue  # the runner reports a notebook without a parameters cell
        params = parse_parameters(args.parameter, defaults)
        run_all(pattern=args.only, parameters=params, html=not args.no_html, jobs=args.jobs)
    except (FileNotFoundError, ParameterError) as err:
        print(f"notebooks run: {err}", file=sys.stderr)
        return 2
    except Exception as err:  # a cell raised in a kernel: its error in one line
        if not hasattr(err, "ename"):
            raise
        print(
            f"notebooks run: FAILED: {_failure_line(err)} (the executed notebook in the "
            "reports folder shows the cell and its traceback)",
            file=sys.stderr,
        )
        return 1
    return 0


def _failure_line(err: BaseException) -> str:
    """One line for a failed notebook run: papermill's ``ename: evalue``, else the last line."""
    if getattr(err, "ename", None):
        return f"{err.ename}: {err.evalue}".splitlines()[0]
    return (str(err).strip().splitlines() or [type(err).__name__])[-1]


def _notebooks_params(args: argparse.Namespace) -> int:
    from enforcement_crime import config
    from enforcement_crime.notebooks import PanelMissing, check_panels, param_files, run_param_file

    folder = config.project_root() / "params"
    specs = [s for s in param_files(folder) if not args.only or args.only in s["path"].name]
    if not specs:
        print(
            f"notebooks params: no parameter file in {folder} matching {args.only!r}",
            file=sys.stderr,
        )
        return 2
    for s in specs:
        status = f"BROKEN: {s['error']}" if s["error"] else f"ok -> {s['notebook']}"
        print(f"[params] {s['path'].name}: {status}", flush=True)
    if args.run:
        try:  # every panel the runs need is built, before any kernel starts
            check_panels(
                {
                    config.project_root() / s["notebook"]: s["parameters"]
                    for s in specs
                    if not s["error"]
                }
            )
        except PanelMissing as err:
            print(f"notebooks params: {err}", file=sys.stderr)
            return 2
    failed: list[str] = []
    ran = 0
    if args.run:
        for s in specs:
            if s["error"]:
                continue
            ran += 1
            try:  # a failing run is reported and the next file runs
                r = run_param_file(s["path"], html=not args.no_html)
            except Exception as err:  # noqa: BLE001 - every failure is listed in the summary
                print(
                    f"[params] {s['path'].name}: FAILED: {_failure_line(err)}",
                    file=sys.stderr,
                    flush=True,
                )
                failed.append(s["path"].name)
                continue
            print(f"[params] {s['path'].name}: {r.seconds:.1f} s -> {r.folder}", flush=True)
    broken = [s["path"].name for s in specs if s["error"]]
    if args.run:
        summary = f"[params] {ran - len(failed)} ok, {len(failed)} failed"
        summary += f" ({', '.join(failed)})" if failed else ""
        summary += f", {len(broken)} broken (not run: {', '.join(broken)})" if broken else ""
        print(summary, file=sys.stderr if failed or broken else sys.stdout, flush=True)
    elif broken:
        print(f"[params] {len(broken)} broken parameter file(s) (not run)", file=sys.stderr)
    return 1 if broken or failed else 0


def _real(args: argparse.Namespace) -> int:
    from enforcement_crime import real

    return real.run(
        shared=args.shared,
        build=not args.no_build,
        only=args.only,
        readme=args.readme,
        html=not args.no_html,
        jobs=args.jobs,
    )


def _teaching(args: argparse.Namespace) -> int:
    from enforcement_crime.teaching import build_teaching

    try:
        build_teaching(
            pattern=args.only, execute=not args.no_execute, html=not args.no_html, jobs=args.jobs
        )
    except (FileNotFoundError, ValueError) as err:
        print(f"teaching: {err}", file=sys.stderr)
        return 2
    return 0


def _lab(args: argparse.Namespace) -> int:
    from enforcement_crime.teaching import start_lab

    try:
        start_lab(args.jupyter_args, student=args.student)  # replaces this process
    except FileNotFoundError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0  # pragma: no cover


def _synthetic(args: argparse.Namespace) -> int:
    from enforcement_crime import synthetic

    if args.preset not in synthetic.PRESETS:
        close = difflib.get_close_matches(args.preset, list(synthetic.PRESETS), n=1)
        print(
            f"synthetic: unknown --preset {args.preset!r}"
            + (f" (did you mean {close[0]!r}?)" if close else "")
            + f"; choose from {', '.join(sorted(synthetic.PRESETS))}",
            file=sys.stderr,
        )
        return 2
    seed = synthetic.DEFAULT_SEED if args.seed is None else args.seed
    try:
        path = synthetic.write_default_panel(args.out, seed=seed, preset=args.preset)
    except ValueError as err:  # a bad --out: refused before anything was written
        print(err, file=sys.stderr)  # "synthetic panel: <path> ..."
        return 2
    except OSError as err:  # disk full, read-only folder, permissions: any old file kept
        what = err.strerror or str(err) or type(err).__name__
        where = f": {err.filename}" if err.filename else ""
        print(
            f"synthetic: FAILED ({what}{where}); nothing was replaced at "
            f"{args.out or 'data/processed/synthetic.parquet'}",
            file=sys.stderr,
        )
        return 1
    print(f"wrote {path} (SYNTHETIC DATA, seed {seed}, preset {args.preset})")
    return 0


def parse(argv: Sequence[str], top: argparse.ArgumentParser | None = None) -> argparse.Namespace:
    """Parse a command line (without the program name); refusals exit with status 2.

    A mistyped option is named with the closest known one; everything after
    ``lab`` (except a lone ``-h``/``--help``, and ``--student``) is kept unparsed
    for JupyterLab in ``jupyter_args``.
    """
    top = top or parser()
    argv = list(argv)
    lab_args: list[str] = []
    if argv[:1] == ["lab"] and not {"-h", "--help"} & set(argv[1:2]):
        rest = argv[1:]
        argv = ["lab", *(["--student"] if "--student" in rest else [])]
        lab_args = [a for a in rest if a != "--student"]
    bad = _unknown_option(top, argv)
    if bad:
        top.error(bad)
    args = top.parse_args(argv)
    if args.command == "lab":
        args.jupyter_args = [*args.jupyter_args, *lab_args]
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` (default ``sys.argv[1:]``), run the command, return its exit code."""
    top = parser()
    args = parse(sys.argv[1:] if argv is None else argv, top)
    if args.command == "lab":
        return _lab(args)
    if args.command == "data":
        return _data(args)
    if args.command == "notebooks":
        return _notebooks_run(args) if args.action == "run" else _notebooks_params(args)
    if args.command == "real":
        return _real(args)
    if args.command == "teaching":
        return _teaching(args)
    return _synthetic(args)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
