"""Execute the suite's notebooks: jupytext ``.py`` sources -> papermill -> ``reports/notebooks``.

Notebook sources are jupytext percent-format ``.py`` files under
``notebooks/`` (files and folders starting with ``_`` are skipped). Each run
writes the executed notebook (``.ipynb``) and an HTML copy under
``reports/notebooks/<same relative path>``. Parameters are passed with
papermill to the cell tagged ``parameters``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from enforcement_crime import config

__all__ = ["discover", "execute_notebook", "run_all", "NotebookRun"]

KERNEL = "python3"


@dataclass
class NotebookRun:
    source: Path
    output: Path
    html: Path | None
    seconds: float


def discover(
    root: str | Path | None = None,
    pattern: str | None = None,
    exclude: Iterable[str] = ("teaching",),
) -> list[Path]:
    """All notebook sources under ``root`` (default ``notebooks/``), sorted.

    ``pattern`` keeps paths containing that substring; folders named in
    ``exclude`` are skipped (teaching notebooks have their own build).
    """
    root = Path(root) if root else config.notebooks_dir()
    found = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        if any(part.startswith(("_", ".")) for part in rel.parts):
            continue
        if pattern and pattern not in str(rel):
            continue
        if exclude and rel.parts[0] in set(exclude) and not (pattern and rel.parts[0] in pattern):
            continue
        found.append(path)
    return found


def to_notebook(source: Path):
    """Read a jupytext percent ``.py`` file as a notebook node (with a python3 kernelspec)."""
    import jupytext

    nb = jupytext.read(source)
    nb.metadata["kernelspec"] = {"name": KERNEL, "display_name": "Python 3", "language": "python"}
    nb.metadata.setdefault("jupytext", {})["text_representation"] = {
        "format_name": "percent",
        "extension": ".py",
    }
    return nb


def execute_notebook(
    source: str | Path,
    output: str | Path | None = None,
    parameters: Mapping[str, object] | None = None,
    *,
    html: bool = True,
    cwd: str | Path | None = None,
    timeout: int = 1800,
) -> NotebookRun:
    """Execute one notebook source with papermill and (optionally) export HTML.

    Parameters
    ----------
    source : path
        A jupytext ``.py`` file (or an ``.ipynb``).
    output : path, optional
        The executed ``.ipynb``; default ``reports/notebooks/<relative path>.ipynb``.
    parameters : mapping, optional
        Values for the ``parameters`` cell.
    html : bool
        Also write ``<output>.html``.
    cwd : path, optional
        Working directory of the kernel (default: the project root).
    """
    import nbformat
    import papermill as pm

    source = Path(source).resolve()
    if output is None:
        try:
            rel = source.relative_to(config.notebooks_dir().resolve())
        except ValueError:
            rel = Path(source.name)
        output = config.reports_dir() / "notebooks" / rel.with_suffix(".ipynb")
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    nb = to_notebook(source) if source.suffix == ".py" else nbformat.read(source, as_version=4)
    staged = output.with_suffix(".input.ipynb")
    nbformat.write(nb, staged)
    start = time.perf_counter()
    try:
        pm.execute_notebook(
            str(staged), str(output), parameters=dict(parameters or {}), kernel_name=KERNEL,
            cwd=str(cwd or config.project_root()), progress_bar=False, execution_timeout=timeout,
        )  # fmt: skip
    finally:
        staged.unlink(missing_ok=True)
    seconds = time.perf_counter() - start
    html_path = None
    if html:
        from nbconvert import HTMLExporter

        body, _ = HTMLExporter().from_filename(str(output))
        html_path = output.with_suffix(".html")
        html_path.write_text(body, encoding="utf-8")
    return NotebookRun(source, output, html_path, seconds)


def run_all(
    pattern: str | None = None, parameters: Mapping[str, object] | None = None, html: bool = True
) -> list[NotebookRun]:
    """Execute every notebook (optionally those matching ``pattern``), printing a timing line each."""
    runs = []
    paths = discover(pattern=pattern)
    if not paths:
        raise FileNotFoundError(
            f"no notebooks found under {config.notebooks_dir()} matching {pattern!r}"
        )
    total = time.perf_counter()
    for path in paths:
        rel = path.relative_to(config.notebooks_dir())
        print(f"[notebooks] {rel} ...", flush=True)
        run = execute_notebook(path, parameters=parameters, html=html)
        print(f"[notebooks] {rel}: {run.seconds:.1f} s -> {run.output}", flush=True)
        runs.append(run)
    print(f"[notebooks] {len(runs)} notebook(s) in {time.perf_counter() - total:.1f} s", flush=True)
    from enforcement_crime.studies import write_outputs_md

    print(f"[notebooks] output map: {write_outputs_md()}", flush=True)
    return runs
