"""The work behind ``python -m enforcement_crime data status|fetch|build``.

The options are parsed by :mod:`enforcement_crime.cli`; this module reports and
builds.

``status``
    For each source: whether raw files are present in ``data/raw/<source>/``
    (or the folder given by ``--raw``), which files, and their checksum state
    against the source's sha256 registry (``ok``, ``MISMATCH``, ``unregistered``);
    then each registered panel: whether its inputs are present, whether it is
    built, and whether it is an approximation.
``fetch [SOURCE ...]``
    Downloads public sources into ``data/raw/<source>/``. Sources that need a
    login (LEAIC, Kaplan, ICPSR county files) print what to download, from
    where and where to put it; the command then exits non-zero.
``build [PANEL ...]``
    Builds every registered panel whose inputs are present (or the panels
    named) into ``data/processed/<panel>.parquet`` + ``.json`` manifest, as
    one transaction (:mod:`enforcement_crime.panels.runner`): raw files are
    checked against the sha256 registry (``--accept-changed-raw`` to use
    changed ones), a broken input stops the build naming the file
    (``--allow-missing-timing`` to go on without treatment timing), and
    nothing is replaced unless every panel validates. When no real panel can
    be built from the default raw folder it writes the built-in SYNTHETIC
    panel and says so. ``--shared`` reads the real copies in
    ``../shared/data`` (:data:`~enforcement_crime.panels.rawfiles.SHARED_LAYOUT`).

Panels are declared in :mod:`enforcement_crime.panels.registry`, one module
per panel; ``data status`` lists them with what they need.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from enforcement_crime import config
from enforcement_crime.panels import registry
from enforcement_crime.panels.rawfiles import (
    SHARED_LAYOUT,
    SOURCES,
    checksum_states,
    files_for,
    source_module,
)
from enforcement_crime.panels.runner import build

__all__ = ["SOURCES", "SHARED_LAYOUT", "status", "fetch", "build", "build_command"]


def _checksum_state(source: str, files: list[Path]) -> str:
    if not files:
        return "-"
    states = checksum_states(source, files)
    return "; ".join(f"{f.name}: {state}" for f, state in states.items())


def status(
    raw: Path | None = None, out: Callable[[str], None] = print, folder: Path | None = None
) -> list[dict]:
    """Print the state of every source and every registered panel; return the source records.

    Source records: ``source, found, where, files, checksums, login``. The
    panel lines come from :func:`panel_status`.
    """
    rows: list[dict] = []
    for name, info in SOURCES.items():
        files = files_for(name, raw)
        folder_ = (raw / name) if raw is not None else config.raw_dir(name)
        rows.append(
            {
                "source": name,
                "found": bool(files),
                "where": str(folder_),
                "files": [f.name for f in files],
                "checksums": _checksum_state(name, files),
                "login": info.login,
            }
        )
    out(f"raw data folder: {raw if raw is not None else config.raw_dir()}")
    for r in rows:
        flag = "found  " if r["found"] else "missing"
        login = " (login needed)" if r["login"] else ""
        out(f"  {r['source']:<19} {flag} {r['where']}{login}")
        if r["found"]:
            out(f"      {len(r['files'])} file(s); checksums: {r['checksums']}")
    panel_status({r["source"] for r in rows if r["found"]}, folder=folder, out=out)
    return rows


def panel_status(
    present: set[str], folder: Path | None = None, out: Callable[[str], None] = print
) -> list[dict]:
    """Print and return one record per registered panel.

    Records: ``panel, buildable, built, state, approximation, needs, description``
    (``buildable``: the ``present`` sources suffice; ``built``:
    ``<folder>/<panel>.parquet`` exists with its JSON manifest from the same
    build and no build is replacing it; ``state`` says which when not;
    ``approximation`` from its manifest when built, else the registry's
    declaration).

    First repairs what a killed build left in the folder
    (:func:`~enforcement_crime.panels.manifest.recover`: a half-renamed set
    rolled back, stray temporary files removed) and says so.
    """
    import json

    from enforcement_crime.panels.manifest import (
        BuildLockedError,
        ManifestError,
        file_generation,
        journal_entries,
        recover,
    )

    rows: list[dict] = []
    processed = Path(folder) if folder is not None else config.processed_dir()
    try:
        recover(processed, out=out)
    except (BuildLockedError, ManifestError, OSError) as exc:
        out(f"WARNING {processed} not checked for an interrupted build: {exc}")
    in_flux = set(journal_entries(processed))  # a running (or unrepairable) build's files
    out(f"panels (registry; built panels in {processed}):")
    for name, spec in registry.panels().items():
        path = processed / f"{name}.parquet"
        approx = spec.approximation
        state = "built" if path.is_file() else "not built"
        if path.with_suffix(".json").is_file():
            try:
                approx = bool(json.loads(path.with_suffix(".json").read_text())["approximation"])
            except (ValueError, KeyError) as exc:
                out(f"  WARNING {path.with_suffix('.json')} unreadable: {exc}")
        if path.is_file() and in_flux & {path.name, path.with_suffix(".json").name}:
            state = "BEING REPLACED by a build in progress"
        elif path.is_file():
            state = _generation_state(path, file_generation) or state
        needs = " or ".join("+".join(r) for r in spec.routes()) or (
            "a panel of " + ", ".join(spec.derived_from)
        )
        rec = {
            "panel": name,
            "buildable": spec.buildable(present, registry.get),
            "built": state == "built",
            "state": state,
            "approximation": approx,
            "needs": needs,
            "description": spec.description,
        }
        rows.append(rec)
        out(
            f"  {name:<19} {'inputs present' if rec['buildable'] else 'inputs missing'}; "
            f"{state}"
            f"{'; APPROXIMATION' if approx else ''}  (needs {needs}) {spec.description}"
        )
    return rows


def _generation_state(path: Path, file_generation: Callable[[Path], str | None]) -> str | None:
    """``None`` when a panel's parquet and JSON come from one build, else what is wrong."""
    js = path.with_suffix(".json")
    if not js.is_file():
        return f"INCOMPLETE: {js.name} is missing; rebuild with `data build`"
    try:
        marks = {file_generation(path), file_generation(js)}
    except (OSError, ValueError) as exc:
        return f"UNREADABLE: {exc}; rebuild with `data build`"
    if None not in marks and len(marks) > 1:
        return f"MIXED: {path.name} and {js.name} come from different builds; rebuild with `data build`"
    return None


def fetch(
    sources: Iterable[str] | None = None,
    raw: Path | None = None,
    out: Callable[[str], None] = print,
) -> int:
    """Download public sources; print login instructions for the others.

    Returns
    -------
    int
        0 when every requested source was fetched; 1 when any needed a login
        or failed (the message says why).
    """
    from enforcement_crime.sources._download import LoginRequired

    names = list(sources) if sources else list(SOURCES)
    unknown = [s for s in names if s not in SOURCES]
    if unknown:
        out(f"unknown source(s) {unknown}; known: {list(SOURCES)}")
        return 2
    rc = 0
    for name in names:
        dest = (raw / name) if raw is not None else config.raw_dir(name)
        try:
            got = source_module(name).fetch(dest)
            out(f"{name}: fetched {len(got) if got else 0} file(s) into {dest}")
        except LoginRequired as exc:
            out(str(exc))
            rc = 1
        except Exception as exc:  # network errors, checksum mismatches: report and go on
            out(f"{name}: FAILED: {type(exc).__name__}: {exc}")
            rc = 1
    return rc


def build_command(
    panels: Iterable[str] = (), raw: Path | None = None, *, prog: str = "data build", **options
) -> int:
    """``data build``: :func:`build`, with a failure reported in one line; returns the exit code.

    ``options`` are :func:`build`'s keyword arguments. A build that stops
    (bad input, broken manifest, a panel failing its schema) prints
    ``<prog>: FAILED, nothing was written: panel <name>: <why>`` (the panel
    named when the failure came from building one) and returns 1.
    """
    from enforcement_crime.panels.context import InputError
    from enforcement_crime.panels.manifest import BuildLockedError, ManifestError
    from enforcement_crime.panels.runner import BuildError
    from enforcement_crime.schema import PanelSchemaError

    try:
        build(list(panels), raw, **options)
    except (ValueError, BuildError, InputError, ManifestError, PanelSchemaError) as exc:
        panel = getattr(exc, "panel", None)
        what = f"panel {panel!r}: {exc}" if panel else str(exc)
        print(f"{prog}: FAILED, nothing was written: {what}", file=sys.stderr)
        return 1
    except BuildLockedError as exc:
        print(f"{prog}: REFUSED, nothing was written: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # disk full, read-only folder, permissions: every old file kept
        what = exc.strerror or str(exc) or type(exc).__name__
        where = f": {exc.filename}" if exc.filename else ""
        print(
            f"{prog}: FAILED ({what}{where}); the processed folder holds its last complete "
            "set of panels (see `data status`)",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM/SIGHUP as BuildInterrupted
        signum = getattr(exc, "signum", 2)
        print(
            f"{prog}: interrupted ({signal.Signals(signum).name}); the processed folder holds "
            "its last complete set of panels (see `data status`)",
            file=sys.stderr,
        )
        return 128 + signum
    return 0
