"""A stamp of ``make real``'s runs, so that a test can check those runs instead of repeating them.

CI (``.ci/run``) runs ``make real`` (every study notebook on every real panel it can use, with the
notebooks' full settings) and then ``make test``, whose ``test_study_notebooks_on_real_cius_panels``
executes the notebook of each parameter file in ``params/`` on the real CIUS-based panels. Where a
parameter file asks for exactly a run ``make real`` has just made (same notebook, same
parameters), that test may check ``make real``'s executed notebook and outputs instead of running
the notebook again, provided nothing they depend on has changed since. This module records and
checks that.

:func:`write` (``python tests/real_stamp.py``, run by ``.ci/run`` right after its full ``make
real`` in the same checkout) writes ``reports/real/stamp.json`` (:data:`STAMP` in
``enforcement_crime.real.real_dir()``) with

* ``tree``: a hash of every file under ``src/``, ``notebooks/``, ``params/`` and ``jupyter/``
  (caches and the egg-info pip derives from ``pyproject.toml`` left out) and of
  ``pyproject.toml`` and ``requirements/constraints.txt`` (the code and notebooks that ran, the
  pinned packages), with the Python version;
* ``shared``: a fingerprint of the real copies (every file's path, size and modification time);
* ``panels``: a hash of each processed panel's content (its parquet frame, column types and
  manifest without its build time), as the runs read them;
* ``runs``: for each run whose status is ``ok`` (``reports/real/runs.json``): its notebook,
  panel and parameters (``enforcement_crime.real.planned_runs`` of the built panels, which must
  list exactly the runs of ``runs.json``, else nothing is stamped), and the SHA-256 of its
  executed notebook, its output record and every output file the record lists.

:func:`reusable` gives the stamped runs a test can use: none unless the stamp exists, the tree
hash and the shared-data fingerprint equal the current ones, and each run's files are unchanged;
a run counts only when every panel its parameters name has the same content hash as the panel
the test built itself from the same shared copies.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

from enforcement_crime.real import executed_notebook, output_record
from enforcement_crime.sources._download import sha256_of

STAMP = "stamp.json"  # in reports/real/ (enforcement_crime.real.real_dir)
TREE_DIRS = ("src", "notebooks", "params", "jupyter")
TREE_FILES = ("pyproject.toml", "requirements/constraints.txt")
SKIP_PARTS = {"__pycache__", ".ipynb_checkpoints"}
VOLATILE_MANIFEST_KEYS = {"created_at", "generation"}


def tree_hash(root: Path) -> str:
    """Hash of the code, notebooks, parameter files and pinned packages under ``root``."""
    h = hashlib.sha256(sys.version.encode())
    files = [root / f for f in TREE_FILES if (root / f).is_file()]
    for d in TREE_DIRS:
        files += [p for p in sorted((root / d).rglob("*")) if p.is_file()
                  and not any(part in SKIP_PARTS or part.endswith(".egg-info") for part in p.parts)]  # fmt: skip
    for p in files:
        h.update(p.relative_to(root).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def shared_fingerprint(shared: Path) -> str:
    """Every file of the real copies: relative path, size and modification time (hashed)."""
    h = hashlib.sha256()
    for p in sorted(Path(shared).rglob("*")):
        if p.is_file():
            st = p.stat()
            h.update(
                f"{p.relative_to(shared).as_posix()}\0{st.st_size}\0{st.st_mtime_ns}\n".encode()
            )
    return h.hexdigest()


def panel_hash(parquet: Path) -> str:
    """Hash of a processed panel's content: its frame, column types and manifest (no build time)."""
    import pandas as pd

    df = pd.read_parquet(parquet)
    h = hashlib.sha256(json.dumps([[str(c), str(t)] for c, t in df.dtypes.items()]).encode())
    h.update(pd.util.hash_pandas_object(df, index=True).to_numpy().tobytes())
    manifest = Path(parquet).with_suffix(".json")
    if manifest.is_file():
        meta = {k: v for k, v in json.loads(manifest.read_text()).items()
                if k not in VOLATILE_MANIFEST_KEYS}  # fmt: skip
        h.update(json.dumps(meta, sort_keys=True, default=str).encode())
    return h.hexdigest()


def params_key(notebook: str, parameters: dict) -> str:
    return notebook + "\0" + json.dumps(parameters, sort_keys=True)


def _panels_of(parameters: dict) -> set[str]:
    names = {v for k, v in parameters.items() if k.endswith("_source") and v}
    return names | set(parameters.get("alt_panels") or [])


def _run_files(folder: Path, notebook: str) -> dict[str, str]:
    """Path -> SHA-256 of a run's executed notebook, output record and every output file listed."""
    record = output_record(folder, notebook)
    files = [executed_notebook(folder, notebook), record]
    for entry in json.loads(record.read_text()).get("outputs", []):
        files += [Path(f) for f in entry.get("files", {}).values()]
    return {str(p): sha256_of(p) for p in files}


def write() -> Path | None:
    """Write ``reports/real/stamp.json`` for the runs ``make real`` just made (see the module docstring)."""
    from enforcement_crime import config, real

    root = config.project_root()
    runs_json = real.real_dir() / "runs.json"
    if not runs_json.is_file():
        print(f"real_stamp: {runs_json} absent: no stamp written")
        return None
    records = json.loads(runs_json.read_text())
    planned = real.planned_runs(real.built_panels())
    if [(r.notebook, r.panel) for r in planned] != [(r["notebook"], r["panel"]) for r in records]:
        print(
            "real_stamp: runs.json does not list exactly the runs make real plans: no stamp written"
        )
        return None
    panels = {p: panel_hash(config.processed_dir() / f"{p}.parquet") for p in real.built_panels()}
    runs = []
    for plan, rec in zip(planned, records, strict=True):
        if rec["status"] != "ok":
            continue
        folder = Path(rec["folder"])
        runs.append({"notebook": plan.notebook, "panel": plan.panel, "parameters": plan.parameters,
                     "folder": str(folder), "executed": str(executed_notebook(folder, plan.notebook)),
                     "record": str(output_record(folder, plan.notebook)),
                     "files": _run_files(folder, plan.notebook)})  # fmt: skip
    stamp = {"tree": tree_hash(root), "shared": shared_fingerprint(config.shared_data_dir()),
             "panels": panels, "runs": runs}  # fmt: skip
    path = real.real_dir() / STAMP
    path.write_text(json.dumps(stamp, indent=1) + "\n")
    print(f"real_stamp: {len(runs)} runs stamped in {path}")
    return path


def reusable(
    path: Path, root: Path, shared: Path, built: dict[str, Path]
) -> tuple[dict[str, dict], str]:
    """The runs of the stamp ``path`` usable now, by :func:`params_key`, and why none (or some) are not.

    ``root``: the project root whose tree the stamp must match; ``built``: panel name -> parquet
    the caller built itself from the real copies ``shared``. A run is usable
    when the stamp's tree hash and shared-data fingerprint are today's, every panel named by
    its parameters is in ``built`` with the stamped content hash, and every file of the run has
    its stamped SHA-256.
    """
    if not path.is_file():
        return {}, f"no {path}"
    stamp = json.loads(path.read_text())
    if stamp.get("tree") != tree_hash(root):
        return {}, "the code, notebooks or packages changed since make real"
    if stamp.get("shared") != shared_fingerprint(shared):
        return {}, "the shared real copies changed since make real"
    hashes = {name: panel_hash(p) for name, p in built.items()}
    usable, notes = {}, []
    for run in stamp.get("runs", []):
        names = _panels_of(run["parameters"])
        if not names <= set(hashes) or any(hashes[n] != stamp["panels"].get(n) for n in names):
            continue
        changed = [
            f
            for f, sha in run["files"].items()
            if not Path(f).is_file() or sha256_of(Path(f)) != sha
        ]
        if changed:
            notes.append(f"{run['notebook']} on {run['panel']}: {len(changed)} files changed")
            continue
        usable[params_key(run["notebook"], run["parameters"])] = run
    return usable, "; ".join(notes)


if __name__ == "__main__":
    write()
