"""Command line: ``python -m enforcement_crime <command>``.

Commands
--------
``data status|fetch|build``
    Raw sources and study panels (see :mod:`enforcement_crime.panels.commands`).
``notebooks run [--only PATTERN] [-p NAME VALUE ...] [--no-html]``
    Execute notebooks with papermill into ``reports/notebooks/``.
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


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["data"]:
        from enforcement_crime.panels import commands

        return int(commands.main(argv[1:]) or 0)

    parser = argparse.ArgumentParser(
        prog="python -m enforcement_crime", description=__doc__.split("\n")[0]
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
    nb_sub.add_parser("teaching", help="student and instructor copies of the teaching notebooks")
    syn = sub.add_parser("synthetic", help="write a synthetic panel to parquet")
    syn.add_argument("--seed", type=int, default=None)
    syn.add_argument("--preset", default="null")
    syn.add_argument("--out", default=None)
    args = parser.parse_args(argv)

    if args.command == "notebooks" and args.action == "run":
        from enforcement_crime.notebooks import run_all

        params = {k: _parse_value(v) for k, v in args.parameter}
        run_all(pattern=args.only, parameters=params, html=not args.no_html)
        return 0
    if args.command == "notebooks" and args.action == "teaching":
        from enforcement_crime.teaching import build_teaching

        build_teaching()
        return 0
    if args.command == "synthetic":
        from enforcement_crime import synthetic

        seed = synthetic.DEFAULT_SEED if args.seed is None else args.seed
        path = synthetic.write_default_panel(args.out, seed=seed, preset=args.preset)
        print(f"wrote {path} (SYNTHETIC DATA, seed {seed}, preset {args.preset})")
        return 0
    parser.error("unknown command")
    return 2


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
