"""``data build``: every requested panel built in memory, checked, then written as one transaction.

The steps, in order (nothing is written before the last):

1. options checked (:meth:`~enforcement_crime.panels.context.BuildOptions.check`);
   an explicit raw folder that does not exist is an error;
2. raw files found and compared with each source's sha256 registry
   (:func:`check_raw`): a MISMATCH stops the build unless
   ``accept_changed_raw``; unregistered files are reported loudly and
   checked for completeness (expected key sets and row counts), an
   incomplete one stopping the build the same way;
3. every requested panel whose inputs are present is built in memory through
   the registry (:mod:`enforcement_crime.panels.registry`); a broken input
   stops the build naming the file;
4. every panel is validated and its manifest checked
   (:func:`~enforcement_crime.panels.manifest.write_panels`), then all files
   are written under temporary names and renamed into place.

A failed or interrupted build (exception, Ctrl-C, SIGTERM, SIGHUP) leaves
``data/processed/`` byte-identical; one killed outright (SIGKILL, power loss)
leaves a rename journal that the next ``data build`` or ``data status`` rolls
back (:func:`~enforcement_crime.panels.manifest.recover`). A build holds the
folder's lock: a second build of the same folder meanwhile is refused.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from pathlib import Path

from enforcement_crime import config
from enforcement_crime.panels import registry
from enforcement_crime.panels.build_steps import TIMING_ABSENT_NOTE
from enforcement_crime.panels.context import BuildContext, BuildOptions
from enforcement_crime.panels.manifest import (
    build_lock,
    recover,
    signals_as_interrupts,
    write_panels,
)
from enforcement_crime.panels.rawfiles import (
    SOURCES,
    checksum_states,
    completeness_problems,
    files_for,
)
from enforcement_crime.panels.spec import APPROXIMATE_SOURCES

__all__ = ["BuildError", "RawChecksumError", "check_raw", "build"]


class BuildError(RuntimeError):
    """``data build`` cannot do what was asked (nothing was written)."""


class RawChecksumError(BuildError):
    """A raw file differs from its source's sha256 registry, or fails its completeness check."""


def check_raw(
    files: dict[str, list[Path]],
    sources: Iterable[str],
    *,
    accept_changed: bool = False,
    out: Callable[[str], None] = print,
) -> list[tuple[str, str]]:
    """Compare the raw files of ``sources`` with their sha256 registries.

    Returns
    -------
    list of (source, note)
        Notes for the manifests of the panels that read ``source`` (files
        used although unregistered or changed).

    Raises
    ------
    RawChecksumError
        A file differs from its registered sha256, or a file without a
        matching registered sha256 fails its source's completeness check
        (:func:`~enforcement_crime.panels.rawfiles.completeness_problems`),
        and ``accept_changed`` is False.
    """
    notes: list[tuple[str, str]] = []
    mismatched: list[tuple[str, Path]] = []
    incomplete: list[tuple[str, Path, str]] = []
    for source in sources:
        unregistered: list[Path] = []
        states = checksum_states(source, files.get(source, []))
        unverified = [p for p, state in states.items() if state != "ok"]
        for path, why in completeness_problems(source, unverified).items():
            incomplete.append((source, path, why))
        for path, state in states.items():
            if state == "MISMATCH":
                mismatched.append((source, path))
            elif state == "unregistered":
                unregistered.append(path)
                notes.append(
                    (
                        source,
                        f"raw file {path.name} ({source}) has no registered sha256 (unverified)",
                    )
                )
        if unregistered:
            shown = ", ".join(p.name for p in unregistered[:4])
            more = f" and {len(unregistered) - 4} more" if len(unregistered) > 4 else ""
            out(
                f"WARNING {len(unregistered)} raw file(s) of {source} have no registered sha256 and "
                f"cannot be verified; used anyway: {shown}{more} (in {unregistered[0].parent})"
            )
    changed = "; ".join(f"{s}: {p}" for s, p in mismatched)
    cut = "; ".join(f"{s}: {p}: {why}" for s, p, why in incomplete)
    if (mismatched or incomplete) and not accept_changed:
        parts = []
        if mismatched:
            parts.append(
                f"raw file(s) differ from the sha256 registry that `data status` checks: {changed}"
            )
        if incomplete:
            parts.append(f"raw file(s) look incomplete: {cut}")
        raise RawChecksumError(
            ". ".join(parts) + ". Replace them with the registered, complete files "
            "(`data fetch`), or pass --accept-changed-raw to build from them anyway (the "
            "manifests will say so)."
        )
    if mismatched:
        out(
            f"WARNING raw files differ from the sha256 registry, used (--accept-changed-raw): {changed}"
        )
        notes += [
            (
                s,
                f"raw file {p.name} ({s}) differs from the registered sha256 (used by --accept-changed-raw)",
            )
            for s, p in mismatched
        ]
    if incomplete:
        out(f"WARNING raw files look incomplete, used (--accept-changed-raw): {cut}")
        notes += [
            (s, f"raw file {p.name} ({s}) looks incomplete: {why} (used by --accept-changed-raw)")
            for s, p, why in incomplete
        ]
    return notes


def _mark_timing(manifest, skipped: str) -> None:
    """Say truthfully in a manifest that timing files were present but not used."""
    manifest.rules["timing"] = (
        f"not used: --allow-missing-timing, timing inputs could not be read ({skipped}); "
        "every date is NaT"
    )
    manifest.notes = [n for n in manifest.notes if n != TIMING_ABSENT_NOTE]
    manifest.notes.append(
        "Treatment timing columns are NaT: the timing files were present but unreadable and "
        "the build was asked to go on without them (--allow-missing-timing)."
    )


def build(
    panels: Iterable[str] | None = None,
    raw: Path | None = None,
    shared: bool = False,
    coverage_rule: str = "scale",
    min_population: int = 50_000,
    out: Callable[[str], None] = print,
    folder: Path | None = None,
    *,
    allow_missing_timing: bool = False,
    accept_changed_raw: bool = False,
    cius_city_floor: int | None = None,
    cius_table11: bool = False,
    verbose: bool = False,
) -> dict[str, Path]:
    """Build the requested panels from real raw files; the synthetic default when none can be built.

    When no real panel can be built from the default raw folder, the first
    line printed says that the built-in SYNTHETIC panel is used (no download,
    no login needed), and the panels not built are listed in one summary line
    (one ``skipped <panel>: needs ...`` line each with ``verbose``). When some
    real panels are built, each skipped panel gets its own line.

    Parameters
    ----------
    panels : iterable of str, optional
        Registered panel names (default: every registered panel whose inputs
        are present). A panel asked for by name whose inputs are absent is an
        error.
    raw : Path, optional
        Raw-data root (default :func:`config.raw_dir`); must exist when given.
    shared : bool
        Read the real copies in ``../shared/data``.
    coverage_rule, min_population : optional
        See :class:`~enforcement_crime.panels.context.BuildOptions`.
    folder : Path, optional
        Output folder (default :func:`config.processed_dir`).
    allow_missing_timing, accept_changed_raw, cius_city_floor, cius_table11 : optional
        See :class:`~enforcement_crime.panels.context.BuildOptions`.
    verbose : bool
        Print what each skipped panel needs even when the synthetic panel is used.

    Returns
    -------
    dict
        ``{panel name: parquet path}`` of what was written.

    Raises
    ------
    ValueError
        A bad option, an unknown panel or a missing raw folder (nothing written).
    BuildError, InputError, PanelSchemaError, ManifestError
        A build step failed; ``folder`` is unchanged.
    BuildLockedError
        Another build is writing ``folder`` (nothing written).
    BuildInterrupted
        SIGTERM or SIGHUP arrived (as ``KeyboardInterrupt`` on Ctrl-C):
        ``folder`` holds its last complete set of panels.

    Notes
    -----
    The build holds the lock of ``folder`` from start to end (when the
    folder exists; else from its first write) and first repairs a
    half-written set a killed build left there
    (:func:`~enforcement_crime.panels.manifest.recover`).
    """
    options = BuildOptions(
        coverage_rule=coverage_rule,
        min_population=min_population,
        allow_missing_timing=allow_missing_timing,
        accept_changed_raw=accept_changed_raw,
        cius_city_floor=cius_city_floor,
        cius_table11=cius_table11,
    )
    options.check()
    known = registry.panels()
    explicit = list(panels) if panels else []
    unknown = [p for p in explicit if p not in known]
    if unknown:
        raise ValueError(f"unknown panel(s) {unknown}; known: {sorted(known)}")
    if raw is not None and not shared and not Path(raw).is_dir():
        raise ValueError(f"raw-data folder {raw} does not exist (given with --raw)")
    wanted = explicit or list(known)

    target = Path(folder) if folder is not None else config.processed_dir()
    with contextlib.ExitStack() as stack:
        stack.enter_context(signals_as_interrupts())
        if target.is_dir():  # refuse a concurrent build before the long part; repair a killed one
            stack.enter_context(build_lock(target))
            recover(target, out=out)
        return _build(wanted, explicit, known, options, raw, shared, out, folder, verbose=verbose)


def _build(
    wanted: list[str],
    explicit: list[str],
    known: dict,
    options: BuildOptions,
    raw: Path | None,
    shared: bool,
    out: Callable[[str], None],
    folder: Path | None,
    *,
    verbose: bool = False,
) -> dict[str, Path]:
    """The steps of :func:`build` after its options were checked (see there)."""
    files = {s: files_for(s, raw, shared) for s in SOURCES}
    ctx = BuildContext(files=files, options=options, out=out, resolve=registry.get)
    where = config.shared_data_dir() if shared else (raw or config.raw_dir())

    present = ctx.present()
    buildable = [p for p in wanted if known[p].buildable(present, registry.get)]
    for p in explicit:
        if p not in buildable:
            need = " or ".join("+".join(r) for r in known[p].routes()) or "its base panels"
            raise BuildError(f"panel {p!r} cannot be built: it needs raw files of {need}")
    skipped = [p for p in wanted if p not in buildable]
    fallback = not buildable and raw is None and not shared  # the synthetic default follows
    if fallback:
        out(
            "using the built-in SYNTHETIC panel (no download, no login needed): "
            f"no real raw files in {where}"
        )
    else:
        out(f"building from real raw files in {where}" + (" (shared copies)" if shared else ""))

    used_sources = sorted({s for p in buildable for s in known[p].sources_used(registry.get)})
    raw_notes = check_raw(files, used_sources, accept_changed=options.accept_changed_raw, out=out)

    built = {name: ctx.panel(name) for name in buildable}
    items = []
    for name, b in built.items():
        spec = known[name]
        man = b.manifest
        man.approximation = bool(
            spec.approximation
            or man.approximation
            or any(s in APPROXIMATE_SOURCES for s in b.sources)
        )
        man.rules.setdefault("sources_read", list(b.sources))
        man.mark = b.mark or man.mark or spec.mark
        if ctx.timing_skipped is not None:
            _mark_timing(man, ctx.timing_skipped)
        man.notes += [note for source, note in raw_notes if source in b.sources]
        items.append((b.panel, name, man, spec.validate or True))

    written: dict[str, Path] = {}
    if items:
        written = write_panels(items, folder=folder)
    for name, path in written.items():
        mark = built[name].manifest.mark
        out(
            f"built {name}: {path} (REAL data, marked {mark!r}; manifest {path.with_suffix('.json').name})"
        )

    def report_skipped() -> None:
        if fallback and not verbose and skipped:
            out(
                f"real panels not built (no raw files): {', '.join(skipped)}; "
                "`data status` or `data build --verbose` shows what each needs"
            )
            return
        for name in skipped:
            spec = known[name]
            need = " or ".join("+".join(r) for r in spec.routes())
            need = (
                f"{need} raw files"
                if need
                else f"the inputs of one of {', '.join(spec.derived_from)}"
            )
            out(f"skipped {name}: needs {need}")

    if not fallback:
        report_skipped()
    if not written:
        if raw is not None or shared:
            raise BuildError(
                f"no panel could be built from {where}: no raw files of the sources the panels "
                "need (see `data status`); nothing was written"
            )
        from enforcement_crime import synthetic

        path = synthetic.write_default_panel()
        out(f"wrote the SYNTHETIC default panel {path} (SYNTHETIC DATA, not a study result)")
        written["synthetic"] = Path(path)
        report_skipped()
    return written
