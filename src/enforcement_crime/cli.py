"""Command line: ``python -m enforcement_crime <command>``.

Commands
--------
``data status|fetch|build``
    Raw sources and study panels (see :mod:`enforcement_crime.panels.commands`).
``notebooks run [--only PATTERN] [-p NAME VALUE ...] [--no-html]``
    Execute notebooks with papermill into ``reports/notebooks/``. Each ``-p``
    parameter goes to the notebooks whose parameters cell defines it; an
    unknown name or a value of the wrong type stops before any kernel starts.
``notebooks params [--run] [--only PATTERN] [--no-html]``
    List the parameter files in ``params/`` with their status (each file is
    checked alone against its notebook's parameters cell); ``--run`` executes
    the valid ones and reports the broken ones (exit 1 if any is broken).
``notebooks teaching``
    Student (solutions removed) and instructor (executed) copies in ``reports/teaching/``.
``synthetic [--seed N] [--preset NAME] [--out PATH]``
    Write a synthetic panel to parquet.
"""

from __future__ import annotations

import argparse
import sys

__all__ = ["main"]


def _parse_value(text: str):
    import json

    try:
        return json.loads(text)
    except ValueError:
        return text


def _params(run: bool, only: str | None, *, html: bool) -> int:
    """``notebooks params``: list the parameter files (status of each), optionally run the valid ones."""
    from enforcement_crime import config
    from enforcement_crime.notebooks import param_files, run_param_file

    folder = config.project_root() / "params"
    specs = [s for s in param_files(folder) if not only or only in s["path"].name]
    if not specs:
        print(f"notebooks params: no parameter file in {folder} matching {only!r}", file=sys.stderr)
        return 2
    for s in specs:
        status = f"BROKEN: {s['error']}" if s["error"] else f"ok -> {s['notebook']}"
        print(f"[params] {s['path'].name}: {status}", flush=True)
    if run:
        for s in specs:
            if not s["error"]:
                r = run_param_file(s["path"], html=html)
                print(f"[params] {s['path'].name}: {r.seconds:.1f} s -> {r.output}", flush=True)
        from enforcement_crime.reports import write_outputs_md

        print(f"[params] output map: {write_outputs_md()}", flush=True)
    broken = [s for s in specs if s["error"]]
    if broken:
        print(f"[params] {len(broken)} broken parameter file(s) (not run)", file=sys.stderr)
    return 1 if broken else 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["data"]:
        from enforcement_crime.panels import commands

        return int(commands.main(argv[1:]) or 0)

    parser = argparse.ArgumentParser(
        prog="python -m enforcement_crime",
        description="Data, notebooks and the synthetic panel of the enforcement-crime suite.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("data", help="raw sources and study panels: status | fetch | build")
    nb = sub.add_parser("notebooks", help="execute notebooks")
    nb_sub = nb.add_subparsers(dest="action", required=True)
    run = nb_sub.add_parser("run", help="execute every notebook into reports/notebooks/")
    run.add_argument("--only", help="only notebooks whose path contains this text")
    run.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        metavar=("NAME", "VALUE"),
        default=[],
        help="papermill parameter (VALUE parsed as JSON when possible)",
    )
    run.add_argument("--no-html", action="store_true", help="skip the HTML copies")
    par = nb_sub.add_parser(
        "params", help="list (or --run) the parameter files in params/, each checked alone"
    )
    par.add_argument("--run", action="store_true", help="execute every valid parameter file")
    par.add_argument("--only", help="only parameter files whose name contains this text")
    par.add_argument("--no-html", action="store_true", help="skip the HTML copies")
    nb_sub.add_parser("teaching", help="student and instructor copies of the teaching notebooks")
    syn = sub.add_parser("synthetic", help="write a synthetic panel to parquet")
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
    args = parser.parse_args(argv)

    if args.command == "notebooks" and args.action == "run":
        from enforcement_crime.notebooks import ParameterError, run_all

        params = {k: _parse_value(v) for k, v in args.parameter}
        try:
            run_all(pattern=args.only, parameters=params, html=not args.no_html)
        except (FileNotFoundError, ParameterError) as err:
            print(f"notebooks run: {err}", file=sys.stderr)
            return 2
        return 0
    if args.command == "notebooks" and args.action == "params":
        return _params(args.run, args.only, html=not args.no_html)
    if args.command == "notebooks" and args.action == "teaching":
        from enforcement_crime.teaching import build_teaching

        build_teaching()
        return 0
    if args.command == "synthetic":
        import difflib

        from enforcement_crime import synthetic

        if args.preset not in synthetic.PRESETS:
            close = difflib.get_close_matches(args.preset, list(synthetic.PRESETS), n=1)
            parser.error(
                f"synthetic: unknown --preset {args.preset!r}"
                + (f" (did you mean {close[0]!r}?)" if close else "")
                + f"; choose from {', '.join(sorted(synthetic.PRESETS))}"
            )
        seed = synthetic.DEFAULT_SEED if args.seed is None else args.seed
        path = synthetic.write_default_panel(args.out, seed=seed, preset=args.preset)
        print(f"wrote {path} (SYNTHETIC DATA, seed {seed}, preset {args.preset})")
        return 0
    parser.error("unknown command")
    return 2


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
