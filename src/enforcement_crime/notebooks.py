"""Execute the suite's notebooks: jupytext ``.py`` sources -> papermill -> ``reports/notebooks``.

Notebook sources are jupytext percent-format ``.py`` files under
``notebooks/`` (files and folders starting with ``_`` are skipped). Each run
writes the executed notebook (``.ipynb``) and an HTML copy under
``reports/notebooks/<same relative path>``. Parameters are passed with
papermill to the cell tagged ``parameters``.

Where a run writes
    A run with the notebook's defaults writes the canonical outputs
    (``reports/figures``, ``reports/tables``, ``reports/notebooks``). A run
    with any parameter that differs from its default (``-p NAME VALUE``, a
    parameter file) is a *parameter run*: it writes into its own folder,
    ``reports/runs/<study>__<notebook>--<slug>--<hash>/`` (:func:`run_folder`),
    laid out like ``reports/`` (``figures/``, ``tables/``,
    ``notebooks/<study>/<notebook>.ipynb`` and ``.html``, ``OUTPUTS.md``) with
    a ``parameters.json`` saying which notebook ran with which values; the
    kernel gets that folder as ``ENFORCEMENT_CRIME_REPORTS``. A parameter run
    never touches the canonical outputs.
A failed run keeps the last good notebook
    papermill executes into a temporary folder; the cleaned notebook is moved
    into place (:func:`enforcement_crime.fileio.atomic_write`) only when every
    cell ran. A failed run's notebook is kept as ``<name>.failed.ipynb``
    beside the last good one (removed by the next good run).
The output map
    ``reports/OUTPUTS.md`` is tracked in git. Every writer of it merges
    (``write_outputs_md(merge=True)``): the sections of notebooks not run in
    this checkout are kept, so a partial run (``--only``) or a fresh clone
    never shrinks the map to a subset, and re-running a notebook whose outputs
    did not change leaves the file byte-identical. Parameter runs write the
    map of their own folder only.

Parameters are checked before a kernel starts
    :func:`notebook_parameters` reads a notebook's ``parameters`` cell;
    :func:`validate_parameters` refuses a name the cell does not define
    (suggesting close matches) and a value whose type differs from the
    default's (``int``, ``float``, ``str``, ``bool``, ``list``, ``dict``; an
    ``int`` is accepted where a ``float`` is expected; a default of ``None``
    or a non-literal expression accepts anything).
Parameter files
    :func:`param_files` lists ``params/*.yaml`` (one specification each,
    first line ``# notebook: notebooks/<study>/<name>.py``), reading each file
    alone: a malformed file is reported in its entry's ``error`` and does not
    stop the others. :func:`run_param_file` validates, then executes.
Quiet kernels
    Kernels are started over IPC (Unix-domain sockets in a private temporary
    folder) instead of TCP on localhost, so ipykernel has no reason to print
    its "running over TCP without encryption" warning and the traffic is not
    readable by other local users.

This module imports :mod:`enforcement_crime.reports` (for ``OUTPUTS.md``);
``reports`` imports nothing from here.
"""

from __future__ import annotations

import ast
import difflib
import hashlib
import json
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from traitlets import default

from enforcement_crime import config, reports
from enforcement_crime._lazy_imports import defer_iri_grammar as _defer_iri_grammar
from enforcement_crime.fileio import atomic_write, atomic_write_text
from enforcement_crime.workers import cores_shared_by

_defer_iri_grammar()

__all__ = [
    "KERNEL",
    "NotebookRun",
    "ParameterError",
    "PanelMissing",
    "HEARTBEAT_SECONDS",
    "discover",
    "to_notebook",
    "unpaired",
    "notebook_parameters",
    "validate_parameters",
    "panel_parameters",
    "check_panels",
    "execute_notebook",
    "is_parameter_run",
    "run_folder",
    "run_all",
    "run_parallel",
    "longest_first",
    "RUN_SECONDS",
    "resolve_jobs",
    "param_files",
    "run_param_file",
]

KERNEL = "python3"


@dataclass
class NotebookRun:
    """One executed notebook: its source, the executed ``.ipynb``, the HTML copy and the run time.

    ``folder`` is the run folder of a parameter run (:func:`run_folder`),
    None for a run that wrote the canonical outputs (or an explicit output).
    """

    source: Path
    output: Path
    html: Path | None
    seconds: float
    folder: Path | None = None


class ParameterError(ValueError):
    """A notebook parameter (from a parameter file or the command line) that the notebook does not take."""


class PanelMissing(FileNotFoundError):
    """A notebook would load a study panel that is not built (found before any kernel starts)."""


#: seconds between the "still running" lines printed while one notebook executes
HEARTBEAT_SECONDS = 60.0


class IPCKernelManager(AsyncKernelManager):
    """A kernel manager whose kernels listen on IPC sockets in a private temporary folder.

    Over TCP, ipykernel logs "Kernel is running over TCP without encryption"
    on every start (14 times in ``make all``). IPC sockets are files in a
    folder only this user can read (``tempfile.mkdtemp``: mode 0700), so the
    warning's concern does not apply and it is not printed. The folder is
    removed when the kernel's resources are cleaned up. A finished kernel is
    shut down without the SIGINT jupyter_client sends first (see
    ``_async_interrupt_kernel``).
    """

    #: environment variables set in the kernel on top of this process's (see :func:`execute_notebook`)
    extra_env: dict[str, str] = {}

    @default("transport")
    def _default_transport(self) -> str:
        return "ipc"

    async def _async_pre_start_kernel(self, **kw):
        if self.extra_env:  # per run, not through os.environ: runs in other threads are unaffected
            kw["env"] = {**(kw.get("env") or os.environ), **self.extra_env}
        return await super()._async_pre_start_kernel(**kw)

    @default("ip")
    def _default_ip(self) -> str:
        # absolute, short path (Unix socket paths are limited to ~100 bytes)
        self._ipc_dir = tempfile.mkdtemp(prefix="ec-kernel-")
        return os.path.join(self._ipc_dir, "k")

    async def _async_interrupt_kernel(self) -> None:
        # jupyter_client interrupts (SIGINT) every kernel before shutting it down; papermill shuts
        # down a kernel that has finished (idle), and the SIGINT then sometimes makes ipykernel log
        # "KeyboardInterrupt caught in kernel". Interrupts asked for while running (a cell timeout)
        # are sent as usual; the shutdown itself still ends in a kill if the kernel does not exit.
        if self.shutting_down:
            return
        await super()._async_interrupt_kernel()

    interrupt_kernel = _async_interrupt_kernel

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart and getattr(self, "_ipc_dir", None):
            shutil.rmtree(self._ipc_dir, ignore_errors=True)

    cleanup_resources = (
        _async_cleanup_resources  # the async manager's public name, as in jupyter_client
    )


#: notebook folders that need the real data (no synthetic route; they stop, naming what to
#: build or fetch, when it is absent): left out of the default runs, run when named or asked for
REAL_DATA_FOLDERS: tuple[str, ...] = ("validation",)


def discover(
    root: str | Path | None = None,
    pattern: str | None = None,
    exclude: Iterable[str] = ("teaching",),
    real_data: bool = False,
) -> list[Path]:
    """All notebook sources under ``root`` (default ``notebooks/``), sorted.

    ``pattern`` keeps paths containing that substring; folders named in
    ``exclude`` are skipped (teaching notebooks have their own build), and so
    are the :data:`REAL_DATA_FOLDERS` unless ``real_data`` is True or
    ``pattern`` names the folder.
    """
    root = Path(root) if root else config.notebooks_dir()
    skipped = set(exclude or ()) | (set() if real_data else set(REAL_DATA_FOLDERS))
    found = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        if any(part.startswith(("_", ".")) for part in rel.parts):
            continue
        if pattern and pattern not in str(rel):
            continue
        if rel.parts[0] in skipped and not (pattern and rel.parts[0] in pattern):
            continue
        found.append(path)
    return found


def to_notebook(source: Path):
    """Read a jupytext percent ``.py`` file as a notebook node (python3 kernelspec, cell ids ``cell-000``...).

    The node carries no jupytext metadata (see :func:`unpaired`), so an
    ``.ipynb`` written from it opens on its own in JupyterLab with jupytext
    and in plain Jupyter.
    """
    import jupytext

    nb = jupytext.read(source)
    for i, cell in enumerate(
        nb.cells
    ):  # stable ids (nbformat draws random ones): same source, same bytes
        cell["id"] = f"cell-{i:03d}"
    nb.metadata["kernelspec"] = {"name": KERNEL, "display_name": "Python 3", "language": "python"}
    return unpaired(nb)


def unpaired(nb):
    """Drop ``metadata.jupytext`` (pairing ``formats``, ``text_representation``) from ``nb``, in place.

    A ``.py`` source's header says ``formats: py:percent``; an ``.ipynb``
    that kept it would be refused by jupytext's contents manager ("Unable to
    read paired notebook ... matches none of the export formats"), so every
    ``.ipynb`` the suite writes goes through here. Returns ``nb``.
    """
    nb.metadata.pop("jupytext", None)
    return nb


# --------------------------------------------------------------------------------------
# parameters: read the notebook's cell, check names and types before any kernel starts
# --------------------------------------------------------------------------------------

_ANY = object()  # the default is an expression or None: any value is accepted


def notebook_parameters(source: str | Path) -> dict[str, object]:
    """The defaults of a notebook's ``parameters`` cell, by name.

    Each top-level assignment ``name = <literal>`` gives its value; a
    non-literal expression (e.g. ``Path(...)``) is recorded as "any type".

    Raises
    ------
    ValueError
        When the notebook has no cell tagged ``parameters`` or the cell is not
        valid Python.
    """
    import nbformat

    source = Path(source)
    nb = to_notebook(source) if source.suffix == ".py" else nbformat.read(source, as_version=4)
    cells = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if not cells:
        raise ValueError(f"{source}: no cell tagged 'parameters'")
    try:
        tree = ast.parse(cells[0].source)
    except SyntaxError as err:
        raise ValueError(f"{source}: the parameters cell is not valid Python: {err}") from err
    found: dict[str, object] = {}
    for node in tree.body:
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else [node.target]
            if isinstance(node, ast.AnnAssign) and node.value is not None
            else []
        )
        for t in targets:
            if isinstance(t, ast.Name):
                try:
                    found[t.id] = ast.literal_eval(node.value)
                except ValueError:
                    found[t.id] = _ANY
    return found


def _kind(value: object) -> str | None:
    """The parameter type of a default value (None: anything goes)."""
    if value is _ANY or value is None:
        return None
    for kind in (bool, int, float, str, list, dict):  # bool before int: True is an int
        if isinstance(value, kind):
            return kind.__name__
    if isinstance(value, tuple):
        return "list"
    return None


def _fits(value: object, kind: str) -> bool:
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "float":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "list":
        return isinstance(value, (list, tuple))
    return type(value).__name__ == kind


def validate_parameters(
    parameters: Mapping[str, object], defaults: Mapping[str, object], *, where: str
) -> None:
    """Refuse parameters a notebook does not define, or whose type differs from the default's.

    Parameters
    ----------
    parameters : mapping
        Values to pass (from a parameter file, ``-p NAME VALUE`` or code).
    defaults : mapping
        The notebook's defaults (:func:`notebook_parameters`).
    where : str
        What to name in the message (the parameter file, or the notebook).

    Raises
    ------
    ParameterError
        Listing every problem: the unknown names with close matches
        (``difflib``), and the names whose value has the wrong type, with the
        expected type and the default.
    """
    problems = []
    for name, value in parameters.items():
        if name not in defaults:
            close = difflib.get_close_matches(name, list(defaults), n=3, cutoff=0.6)
            hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
            problems.append(
                f"unknown parameter {name!r}{hint} (the notebook's parameters are: "
                f"{', '.join(sorted(defaults))})"
            )
            continue
        kind = _kind(defaults[name])
        if kind is not None and not _fits(value, kind):
            problems.append(
                f"parameter {name!r} must be {'a number (int or float)' if kind == 'float' else kind}"
                f" like its default {defaults[name]!r}, got {type(value).__name__} {value!r}"
            )
    if problems:
        raise ParameterError(f"{where}: " + "; ".join(problems))


# --------------------------------------------------------------------------------------
# panels: every panel a run would load is built, checked before any kernel starts
# --------------------------------------------------------------------------------------


def panel_parameters(values: Mapping[str, object]) -> dict[str, list[str]]:
    """The study panels named by a notebook's parameters, by parameter.

    Parameters whose name ends in ``_source`` (``data_source``,
    ``nc_source``...) name one panel (an empty string: none); parameters
    whose name ends in ``panels`` (``alt_panels``, ``panels``) name a list.
    """
    found: dict[str, list[str]] = {}
    for name, value in values.items():
        if name.endswith("_source") and isinstance(value, str) and value:
            found[name] = [value]
        elif name.endswith("panels") and isinstance(value, (list, tuple)):
            names = [v for v in value if isinstance(v, str) and v]
            if names:
                found[name] = names
    return found


def check_panels(runs: Mapping[Path, Mapping[str, object]]) -> None:
    """Refuse, in one line, a run that would load a panel not built in ``data/processed``.

    Parameters
    ----------
    runs : mapping
        Notebook source -> the parameters it will run with (the notebook's
        defaults are filled in here).

    Raises
    ------
    PanelMissing
        Naming each missing panel, the parameter and notebook asking for it,
        the file expected and the command that builds it; an unknown panel
        name gets the close matches among the registered panels.
    """
    wanted: dict[str, list[str]] = {}
    for path, params in runs.items():
        try:
            values = {**notebook_parameters(path), **dict(params)}
        except ValueError:
            values = dict(params)  # no parameters cell: the runner reports it
        for pname, names in panel_parameters(values).items():
            for name in names:
                if name == "synthetic":  # built in (drawn in memory when not written)
                    continue
                if not (config.processed_dir() / f"{name}.parquet").is_file():
                    wanted.setdefault(name, []).append(f"{pname} of {_show(path)}")
    if not wanted:
        return
    from enforcement_crime.panels import registry

    known = sorted(registry.panels())
    parts, buildable = [], []
    for name, where in wanted.items():
        if name in known:
            buildable.append(name)
            parts.append(f"panel {name!r} ({', '.join(where)}) is not built")
        else:
            close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
            hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
            parts.append(
                f"unknown panel {name!r} ({', '.join(where)}){hint} (known: {', '.join(known)})"
            )
    msg = "; ".join(parts) + f" (looked in {_show(config.processed_dir())})"
    if buildable:
        msg += (
            f"; build {'it' if len(buildable) == 1 else 'them'} with "
            f"`python -m enforcement_crime data build {' '.join(buildable)}`"
            " (`python -m enforcement_crime data status` lists the raw files each needs)"
        )
    raise PanelMissing(msg)


class _Heartbeat:
    """Print ``<label> still running (N s)`` every ``every`` seconds until the block ends."""

    def __init__(self, label: str, every: float | None = None) -> None:
        import threading

        self.label = label
        self.every = HEARTBEAT_SECONDS if every is None else every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True)

    def _beat(self) -> None:
        start = time.perf_counter()
        while not self._stop.wait(self.every):
            print(f"{self.label} still running ({time.perf_counter() - start:.0f} s)", flush=True)

    def __enter__(self) -> _Heartbeat:
        if self.every and self.every > 0:
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()


# --------------------------------------------------------------------------------------
# execution
# --------------------------------------------------------------------------------------


def _relative(source: Path) -> Path:
    """``source`` relative to ``notebooks/`` (its file name alone when outside it)."""
    try:
        return source.resolve().relative_to(config.notebooks_dir().resolve())
    except ValueError:
        return Path(source.name)


def is_parameter_run(source: str | Path, parameters: Mapping[str, object] | None) -> bool:
    """Whether ``parameters`` change anything in the notebook's defaults (then it is a parameter run).

    A value equal to its default (same type and value) changes nothing; a
    parameter whose default is not a literal, or that the notebook does not
    define, counts as a change. A notebook without a ``parameters`` cell with
    no parameters is a default run.
    """
    if not parameters:
        return False
    try:
        defaults = notebook_parameters(source)
    except ValueError:
        return True
    for name, value in parameters.items():
        default = defaults.get(name, _ANY)
        if default is _ANY or type(default) is not type(value) or default != value:
            return True
    return False


def _slug(parameters: Mapping[str, object]) -> str:
    parts = []
    for name, value in sorted(parameters.items()):
        text = (
            json.dumps(value, sort_keys=True, default=str) if not isinstance(value, str) else value
        )
        parts.append(f"{name}-{text}")
    return "__".join(parts)


def run_folder(
    source: str | Path, parameters: Mapping[str, object], label: str | None = None
) -> Path:
    """The folder of a parameter run: ``reports/runs/<study>__<notebook>--<slug>--<hash>``.

    ``<slug>`` is ``label`` (a parameter file's name) or the parameters as
    ``name-value`` pairs joined by ``__``, cut to 60 characters of letters,
    digits, ``.``, ``_`` and ``-``; ``<hash>`` is the first 8 hex digits of the
    SHA-256 of the parameters as sorted JSON, so different values never share
    a folder and the same values always reuse theirs.
    """
    rel = _relative(Path(source)).with_suffix("")
    text = json.dumps(dict(parameters), sort_keys=True, default=str)
    digest = hashlib.sha256(text.encode()).hexdigest()[:8]
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", label or _slug(parameters)).strip("-.")[:60]
    return config.reports_dir() / "runs" / f"{'__'.join(rel.parts)}--{slug or 'params'}--{digest}"


def execute_notebook(
    source: str | Path,
    output: str | Path | None = None,
    parameters: Mapping[str, object] | None = None,
    *,
    html: bool = True,
    cwd: str | Path | None = None,
    timeout: int = 1800,
    validate: bool = True,
    folder: str | Path | None = None,
    env: Mapping[str, str] | None = None,
) -> NotebookRun:
    """Execute one notebook source with papermill and (optionally) export HTML.

    Parameters
    ----------
    source : path
        A jupytext ``.py`` file (or an ``.ipynb``).
    output : path, optional
        The executed ``.ipynb``; default ``<reports>/notebooks/<relative
        path>.ipynb``, where ``<reports>`` is ``folder``, else the run folder
        of a parameter run (:func:`is_parameter_run`, :func:`run_folder`),
        else ``reports/``.
    parameters : mapping, optional
        Values for the ``parameters`` cell.
    html : bool
        Also write ``<output>.html``.
    cwd : path, optional
        Working directory of the kernel (default: the project root).
    validate : bool
        Check ``parameters`` against the notebook's parameters cell
        (:func:`validate_parameters`) before the kernel starts.
    folder : path, optional
        A reports folder for this run: the kernel writes its figures, tables
        and output records there (``ENFORCEMENT_CRIME_REPORTS``), a
        ``parameters.json`` names the notebook and the values, and its
        ``OUTPUTS.md`` is written after the run. Chosen by :func:`run_folder`
        when ``output`` is not given and the parameters are not the defaults.
    env : mapping, optional
        Environment variables set in the kernel on top of this process's (e.g.
        ``ENFORCEMENT_CRIME_REPORTS``), without changing ``os.environ``: runs in
        other threads are unaffected. ``folder`` sets ``ENFORCEMENT_CRIME_REPORTS``
        over a value given here.

    Notes
    -----
    papermill writes into a temporary folder; the cleaned notebook replaces
    ``output`` atomically only after every cell ran. The kernel is stopped
    at once when the last cell has run (nbclient's ``shutdown_kernel=
    "immediate"``): everything a notebook writes, it writes in its cells, and
    a graceful exit would only tear down the kernel's objects. When a cell fails, the
    executed notebook goes to ``<output stem>.failed.ipynb`` and ``output``
    (the last good run) is left as it was.

    Raises
    ------
    ParameterError
        (``validate``) an unknown or mistyped parameter; no kernel is started.
    """
    import nbformat
    import papermill as pm

    source = Path(source).resolve()
    parameters = dict(parameters or {})
    nb = to_notebook(source) if source.suffix == ".py" else nbformat.read(source, as_version=4)
    unpaired(nb)
    if validate and parameters:
        validate_parameters(parameters, notebook_parameters(source), where=str(source))
    if output is None:
        if folder is None and is_parameter_run(source, parameters):
            folder = run_folder(source, parameters)
        base = Path(folder) if folder is not None else config.reports_dir()
        output = base / "notebooks" / _relative(source).with_suffix(".ipynb")
    output = Path(output)
    manager = IPCKernelManager
    kernel_env = dict(env or {})
    if folder is not None:
        folder = Path(folder).resolve()
        record = {"notebook": _show(source), "parameters": parameters}
        atomic_write_text(
            folder / "parameters.json",
            json.dumps(record, indent=2, sort_keys=True, default=str) + "\n",
        )
        kernel_env["ENFORCEMENT_CRIME_REPORTS"] = str(folder)
    if kernel_env:
        manager = type("IPCKernelManager", (IPCKernelManager,), {"extra_env": kernel_env})
    output.parent.mkdir(parents=True, exist_ok=True)
    failed = output.with_name(f"{output.stem}.failed.ipynb")
    # the HTML exporter's imports take about as long as starting the kernel: they load in a
    # thread while the kernel runs the notebook (this process only waits on it meanwhile)
    exporter_ready = _load_html_exporter_in_background() if html else None
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="ec-run-") as tmp:
        staged, executed = Path(tmp) / "input.ipynb", Path(tmp) / output.name
        nbformat.write(nb, staged)
        try:
            pm.execute_notebook(
                str(staged), str(executed), parameters=parameters, kernel_name=KERNEL,
                cwd=str(cwd or config.project_root()), progress_bar=False, execution_timeout=timeout,
                kernel_manager_class=manager, shutdown_kernel="immediate",
            )  # fmt: skip
        except BaseException as err:
            if executed.is_file():
                _make_reproducible(executed, failed, source)
                kept = f"; {_show(output)} (the last good run) was left as it was"
                if hasattr(err, "add_note"):
                    err.add_note(
                        f"the failed run's notebook: {_show(failed)}"
                        + (kept if output.is_file() else "")
                    )
            raise
        seconds = time.perf_counter() - start
        _make_reproducible(executed, output, source)
    failed.unlink(missing_ok=True)
    html_path = None
    if html:
        if exporter_ready is not None:
            exporter_ready.join()
        from nbconvert import HTMLExporter

        body, _ = HTMLExporter().from_filename(str(output))
        html_path = atomic_write_text(output.with_suffix(".html"), body)
    if folder is not None:
        reports.write_outputs_md(folder, merge=True)
    return NotebookRun(source, output, html_path, seconds, folder)


def _load_html_exporter_in_background() -> threading.Thread:
    """Import nbconvert's HTML exporter in a daemon thread (returned, to join); an import error
    surfaces later, where the caller imports it again in its own thread."""

    def load() -> None:
        try:
            from nbconvert import HTMLExporter  # noqa: F401
        except Exception:  # noqa: BLE001 - re-raised by the caller's own import
            pass

    thread = threading.Thread(target=load, name="import-nbconvert", daemon=True)
    thread.start()
    return thread


_RUN_TIME_KEYS = ("start_time", "end_time", "duration")


_WIDGET = "application/vnd.jupyter.widget-view+json"
_PROGRESS = re.compile(r"\|\s*\d+/\d+ \[")  # tqdm's "| 12/96 [" in a progress bar's plain text


def _make_reproducible(path: Path, dest: Path | None = None, source: Path | None = None) -> None:
    """Remove wall-clock times and random ids from an executed notebook (byte-identical re-runs).

    papermill records ``start_time``, ``end_time`` and ``duration`` for the
    notebook and every cell, and nbclient the ``execution`` timestamps of each
    cell, and papermill gives the injected-parameters cell a random id; they
    are the parts of an executed notebook that differ between two runs with
    the same seed. The run time is kept in :class:`NotebookRun`
    and printed by :func:`run_all`. Progress-bar widgets (tqdm in a kernel)
    carry random model ids: their widget views are dropped (the plain-text
    rendering stays), and so is the saved widget state when no other widget
    (e.g. a teaching slider) needs it. Consecutive outputs of one stream
    (stdout or stderr) are merged into one, with carriage-return overwrites
    applied (nbconvert's ``CoalesceStreamsPreprocessor``): how the kernel's
    writes were split into messages depends on timing, not on the code. The
    cleaned notebook is written atomically to ``dest`` (default: back to
    ``path``); papermill's record of the paths it read and wrote names
    ``source`` and ``dest`` (not the temporary folder the kernel's notebook
    was written in).
    """
    import nbformat
    from nbconvert.preprocessors import CoalesceStreamsPreprocessor

    nb = nbformat.read(path, as_version=4)
    CoalesceStreamsPreprocessor().preprocess(nb, {})
    other_widgets = False
    for cell in nb.cells:
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell["id"] = "injected-parameters"  # papermill draws a random id for the cell it adds
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if _WIDGET in data:
                if _PROGRESS.search("".join(data.get("text/plain", ""))):
                    data.pop(_WIDGET)  # a tqdm progress bar: its plain-text rendering stays
                else:
                    other_widgets = True  # e.g. the teaching sliders of a live kernel: kept
    if not other_widgets:
        nb.metadata.pop("widgets", None)  # saved ipywidgets state: random model ids
    unpaired(nb)  # an .ipynb source may have carried a jupytext pairing
    for meta in [nb.metadata] + [c.metadata for c in nb.cells]:
        pm_meta = meta.get("papermill", {})
        for key in _RUN_TIME_KEYS:
            pm_meta.pop(key, None)
        meta.pop("execution", None)
    if "papermill" in nb.metadata:
        if source is not None:
            nb.metadata.papermill["input_path"] = str(source)
        nb.metadata.papermill["output_path"] = str(dest or path)
    atomic_write(dest or path, lambda p: nbformat.write(nb, str(p)))


def _show(path: Path) -> str:
    root = config.project_root().resolve()
    path = path.resolve()
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def _split_parameters(
    paths: list[Path], parameters: Mapping[str, object]
) -> dict[Path, dict[str, object]]:
    """Give each notebook the parameters its cell defines; refuse names no notebook defines.

    Every notebook's types are checked before any runs; all problems are
    reported in one :class:`ParameterError`.
    """
    defaults = {p: notebook_parameters(p) for p in paths}
    known = set().union(*defaults.values()) if defaults else set()
    problems, out = [], {}
    unknown = {n: v for n, v in parameters.items() if n not in known}
    if unknown:
        where = "the selected notebooks" if len(paths) > 1 else _show(paths[0])
        try:
            validate_parameters(unknown, dict.fromkeys(known), where=where)
        except ParameterError as err:
            problems.append(str(err))
    for p, d in defaults.items():
        out[p] = {k: v for k, v in parameters.items() if k in d}
        try:
            validate_parameters(out[p], d, where=_show(p))
        except ParameterError as err:
            problems.append(str(err))
    if problems:
        raise ParameterError("\n".join(problems))
    return out


def resolve_jobs(jobs: int | None, n_tasks: int) -> int:
    """How many notebooks to execute at once: ``jobs``, else ``ENFORCEMENT_CRIME_JOBS``, else the cores.

    Never more than ``n_tasks`` and never less than 1. Each notebook runs in its
    own kernel process, so notebooks run side by side use one core each.
    """
    if jobs is None:
        env = os.environ.get("ENFORCEMENT_CRIME_JOBS")
        jobs = int(env) if env else (os.cpu_count() or 1)
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    return max(1, min(int(jobs), n_tasks))


def run_parallel(fn, items, *, jobs: int | None = None) -> list:
    """``[fn(item) for item in items]``, up to ``jobs`` at a time (threads driving kernel processes).

    Results come back in the order of ``items``. Kernels started meanwhile compute with
    their share of the cores (:func:`~enforcement_crime.workers.cores_shared_by`). Every
    item is run even when an earlier one fails; the first failure is then raised, after the others have
    finished, with a count of how many failed.
    """
    from concurrent.futures import ThreadPoolExecutor

    items = list(items)
    n = resolve_jobs(jobs, len(items))
    if n == 1:
        return [fn(item) for item in items]
    # each kernel started meanwhile computes with its share of the cores (workers.run_tasks)
    with cores_shared_by(n), ThreadPoolExecutor(max_workers=n) as pool:
        futures = [pool.submit(fn, item) for item in items]
        errors = [f.exception() for f in futures]
    failed = [e for e in errors if e is not None]
    if failed:
        if len(failed) > 1:
            print(f"[notebooks] {len(failed)} of {len(items)} runs failed", flush=True)
        raise failed[0]
    return [f.result() for f in futures]


#: file in ``<reports>/notebooks/`` with the seconds of each notebook's last default run
RUN_SECONDS = "run_seconds.json"


def _run_seconds() -> dict[str, float]:
    """The recorded seconds of each notebook's last default run, by path under ``notebooks/`` ({} if none)."""
    path = config.reports_dir() / "notebooks" / RUN_SECONDS
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: float(v) for k, v in data.items() if isinstance(v, (int, float))}


#: tracked file beside the notebooks: the expected seconds of each default notebook run and of
#: each ``make real`` run (key ``"real: <notebook> on <panel>"``), so that a fresh clone, which has
#: no recorded run times yet, still starts the long runs first
EXPECTED_SECONDS = "run_seconds.json"


def expected_seconds(recorded: Mapping[str, float] | None = None) -> dict[str, float]:
    """Expected run seconds by key: the tracked :data:`EXPECTED_SECONDS`, updated by ``recorded``.

    The tracked file (``notebooks/run_seconds.json``) gives the order on a
    fresh clone; the run times recorded on this machine (``recorded``, by
    default :func:`_run_seconds`) take precedence. An unreadable tracked
    file counts as empty: the order only affects how long a run takes, never
    what it computes.
    """
    try:
        data = json.loads((config.notebooks_dir() / EXPECTED_SECONDS).read_text())
    except (OSError, ValueError):
        data = {}
    merged = (
        {k: float(v) for k, v in data.items() if isinstance(v, (int, float))}
        if isinstance(data, dict)
        else {}
    )
    merged.update(_run_seconds() if recorded is None else recorded)
    return merged


def _record_run_seconds(runs: Iterable[NotebookRun], seconds: Mapping[str, float]) -> None:
    """Merge the run times of default runs (not parameter runs) into :data:`RUN_SECONDS`."""
    merged = dict(seconds)
    for run in runs:
        if run.folder is None:
            merged[_relative(run.source).as_posix()] = round(run.seconds, 1)
    if merged != dict(seconds):
        path = config.reports_dir() / "notebooks" / RUN_SECONDS
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps(merged, indent=1, sort_keys=True) + "\n")


def longest_first(paths: Iterable[Path], seconds: Mapping[str, float]) -> list[Path]:
    """``paths`` ordered for running side by side: longest expected run first.

    ``seconds`` maps a notebook's path under ``notebooks/`` (``287g/01-x.py``)
    to its last run time; a notebook without one goes first (it may be the
    longest), and ties keep the order of ``paths``. On a fixed number of
    workers, starting the long runs first keeps one from starting last and
    running alone at the end.
    """
    paths = list(paths)
    unknown = float("inf")
    return sorted(paths, key=lambda p: -seconds.get(_relative(p).as_posix(), unknown))


def run_all(
    pattern: str | None = None,
    parameters: Mapping[str, object] | None = None,
    html: bool = True,
    *,
    jobs: int | None = None,
) -> list[NotebookRun]:
    """Execute every notebook (optionally those matching ``pattern``), printing a timing line each.

    Notebooks run side by side, ``jobs`` at a time (:func:`resolve_jobs`: by
    default one per core), the longest first (:func:`longest_first`, by the
    run times of the last default runs, kept in ``reports/notebooks/``
    :data:`RUN_SECONDS`, else by the tracked :data:`EXPECTED_SECONDS`), so a
    long notebook does not start last; each
    writes only its own outputs, and the output map (``OUTPUTS.md``) is
    merged once more after all have finished (the sections of notebooks not
    run are kept; see the module notes). The runs are returned, and their
    summary printed, in the order of :func:`discover`.

    ``parameters`` go to the notebooks whose parameters cell defines them; a
    notebook whose values differ from its defaults runs into its own run
    folder (:func:`run_folder`) and leaves the canonical outputs alone; a
    name no selected notebook defines, or a value of the wrong type, stops the
    run before any kernel starts (:class:`ParameterError`), and so does a
    panel that is not built (:func:`check_panels`). A notebook still running
    prints a "still running" line every :data:`HEARTBEAT_SECONDS`.

    Raises
    ------
    FileNotFoundError
        No notebook matches ``pattern``.
    ParameterError
        See above.
    PanelMissing
        See above.
    """
    paths = discover(pattern=pattern)
    if not paths:
        raise FileNotFoundError(
            f"no notebooks found under {config.notebooks_dir()} matching {pattern!r}"
        )
    per_notebook = _split_parameters(paths, dict(parameters or {}))
    check_panels(per_notebook)
    total = time.perf_counter()

    def one(path: Path) -> NotebookRun:
        rel = path.relative_to(config.notebooks_dir())
        print(f"[notebooks] {rel} ...", flush=True)
        with _Heartbeat(f"[notebooks] {rel}"):
            run = execute_notebook(path, parameters=per_notebook[path], html=html, validate=False)
        print(f"[notebooks] {rel}: {run.seconds:.1f} s -> {_show(run.output)}", flush=True)
        return run

    seconds = _run_seconds()
    order = longest_first(paths, expected_seconds(seconds))
    by_path = dict(zip(order, run_parallel(one, order, jobs=jobs), strict=True))
    runs = [by_path[p] for p in paths]
    _record_run_seconds(runs, seconds)
    print(
        f"[notebooks] {len(runs)} notebook(s) in {time.perf_counter() - total:.1f} s"
        f" ({resolve_jobs(jobs, len(paths))} at a time)",
        flush=True,
    )
    for run in runs:
        if run.folder is not None:
            print(f"[notebooks] parameter run: {_show(run.folder)}", flush=True)
    if any(run.folder is None for run in runs):
        print(f"[notebooks] output map: {reports.write_outputs_md(merge=True)}", flush=True)
    return runs


# --------------------------------------------------------------------------------------
# papermill parameter files (params/*.yaml), one per specification
# --------------------------------------------------------------------------------------


def _load_yaml_unique(text: str):
    """``yaml.safe_load`` that refuses a mapping key given twice (YAML would keep the last silently).

    Raises
    ------
    ParameterError
        A key appears twice in one mapping (the message names it and both lines).
    """
    import yaml

    class _Loader(yaml.SafeLoader):
        pass

    def mapping(loader, node, deep=False):
        seen: dict = {}
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                first = seen.setdefault(key, line)
            except TypeError:  # an unhashable key: YAML itself refuses it below
                continue
            if first != line:
                raise ParameterError(
                    f"key {key!r} appears twice (lines {first} and {line}); give each key once"
                )
        return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)

    _Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    return yaml.load(text, Loader=_Loader)  # noqa: S506 (a SafeLoader subclass)


def _read_param_file(path: Path) -> dict:
    """One parameter file: ``path``, ``notebook``, ``parameters``, ``error`` (None when valid)."""
    import yaml

    entry: dict = {"path": path, "notebook": None, "parameters": {}, "error": None}
    try:
        text = path.read_text()
        first = text.splitlines()[0] if text else ""
        if not first.startswith("# notebook:"):
            raise ParameterError(
                f"{path}: line 1 must be '# notebook: notebooks/<study>/<name>.py', got {first!r}"
            )
        notebook = first.split(":", 1)[1].strip()
        entry["notebook"] = notebook
        source = config.project_root() / notebook
        if not source.is_file():
            raise ParameterError(f"{path}: line 1 names {notebook!r}, which does not exist")
        try:
            params = _load_yaml_unique(text)
        except yaml.YAMLError as err:
            raise ParameterError(f"{path}: not valid YAML: {err}") from err
        except ParameterError as err:
            raise ParameterError(f"{path}: {err}") from None
        params = {} if params is None else params
        if not isinstance(params, dict):
            raise ParameterError(
                f"{path}: expected a mapping of parameter names to values, got {type(params).__name__}"
            )
        entry["parameters"] = params
        validate_parameters(params, notebook_parameters(source), where=str(path))
    except (ParameterError, ValueError, OSError, UnicodeDecodeError) as err:
        entry["error"] = str(err) if isinstance(err, ParameterError) else f"{path}: {err}"
    return entry


def param_files(folder: str | Path | None = None, *, strict: bool = False) -> list[dict]:
    """The parameter files in ``params/``: which notebook each is for, its parameters, and any error.

    Each file is YAML (papermill's ``-f`` format) whose first line is a
    comment ``# notebook: notebooks/<study>/<name>.py``. Each file is read and
    validated alone (:func:`validate_parameters` against the notebook's
    parameters cell), so one broken file does not hide the others.

    Parameters
    ----------
    folder : path, optional
        Default ``<project root>/params``.
    strict : bool
        Raise :class:`ParameterError` listing every broken file instead of
        reporting them in ``error``.

    Returns
    -------
    list of dict
        ``path``, ``notebook`` (path relative to the project root, None when
        line 1 is wrong), ``parameters`` (dict) and ``error`` (None, or the
        message naming the file, the parameter and what was expected),
        sorted by file name.
    """
    folder = Path(folder) if folder else config.project_root() / "params"
    entries = [_read_param_file(p) for p in sorted(folder.glob("*.yaml"))]
    bad = [e["error"] for e in entries if e["error"]]
    if strict and bad:
        raise ParameterError(f"{len(bad)} broken parameter file(s):\n" + "\n".join(bad))
    return entries


def run_param_file(
    path: str | Path,
    *,
    output: str | Path | None = None,
    html: bool = True,
    extra: Mapping[str, object] | None = None,
) -> NotebookRun:
    """Execute the notebook a parameter file is for, with its parameters (plus ``extra``).

    The file and ``extra`` are validated before the kernel starts. Unless
    ``output`` is given, the run writes into its own folder,
    ``reports/runs/<study>__<notebook>--<param file stem>--<hash>/``
    (:func:`run_folder`; the hash is of the parameters, ``extra`` included),
    and never into the canonical outputs; with ``output`` it writes that
    notebook and, from the kernel, the outputs of the current reports folder.

    Raises
    ------
    FileNotFoundError
        No such file.
    ParameterError
        The file is broken, or a parameter (its own or in ``extra``) is
        unknown to the notebook or of the wrong type.
    PanelMissing
        A panel it names is not built (:func:`check_panels`).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no parameter file {path}")
    spec = _read_param_file(path)
    if spec["error"]:
        raise ParameterError(spec["error"])
    src = config.project_root() / spec["notebook"]
    params = {**spec["parameters"], **dict(extra or {})}
    validate_parameters(params, notebook_parameters(src), where=str(path))
    check_panels({src: params})
    folder = run_folder(src, params, label=path.stem) if output is None else None
    with _Heartbeat(f"[params] {path.name}"):
        return execute_notebook(src, output, params, html=html, validate=False, folder=folder)
