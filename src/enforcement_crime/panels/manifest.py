"""Panel manifests: what went in, which rules were chosen, where every row went.

Every study panel is written as ``data/processed/<name>.parquet`` with a JSON
manifest ``data/processed/<name>.json`` beside it::

    {
      "panel": "cius_county",
      "created_by": "enforcement_crime 0.1.0",
      "created_at": "2026-11-28T22:00:00+00:00",
      "approximation": true,
      "mark": "REAL DATA: FBI CIUS APPROXIMATION OF COUNTY TOTALS",
      "inputs": [{"name": ..., "path": ..., "sha256": ..., "bytes": ...}],
      "rules": {"coverage_rule": "scale", ...},
      "rows": {"unit": "agency-year", "in": 120, "added": 0, "dropped": {"reason": n},
               "aggregated": 10, "out": 100},
      "notes": [...],
      "reports": {...}
    }

Row accounting must add up: ``in + added == sum(dropped) + aggregated + out``,
where ``added`` counts rows created by splitting an input row (an agency
serving two counties becomes two agency-county pieces: one added) and
``aggregated`` counts rows merged into another output row (agency rows summed
into one county row: 1,000 agency rows of 100 counties give ``aggregated``
900). :meth:`Manifest.check` raises
when it does not, and :func:`write_panel` calls it before writing anything.

Tables of a manifest (:attr:`Manifest.tables`, e.g. the per-county
composition report of the CIUS panels) are written beside it as
``<name>_<key>.csv``; the mark is also stored in the parquet metadata under
the key ``enforcement_crime`` (read back into ``df.attrs`` by
:func:`enforcement_crime.synthetic.read_panel`).

Writes are atomic: each file is written under a temporary name in the same
folder and renamed into place; :func:`write_panels` checks every panel of a
build before it renames any, so a failed build leaves the folder as it was.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from enforcement_crime import __version__, config
from enforcement_crime.schema import validate_panel

#: parquet metadata key of the panel record (the same key the synthetic panel uses)
METADATA_KEY = b"enforcement_crime"

__all__ = [
    "Manifest",
    "ManifestError",
    "input_record",
    "check_panel",
    "write_panel",
    "write_panels",
    "read_manifest",
]


class ManifestError(ValueError):
    """A manifest whose row accounting does not add up, or that is incomplete."""


def input_record(path: str | Path, name: str | None = None, **extra: Any) -> dict[str, Any]:
    """Describe one input file: name, path, sha256 and size.

    Parameters
    ----------
    path : str or Path
        The raw file read.
    name : str, optional
        A short label (default: the file name).
    **extra
        Further fields (e.g. ``source="fbi_cius"``, ``year=2013``).
    """
    from enforcement_crime.panels.rawfiles import sha256_of

    path = Path(path)
    rec = {
        "name": name or path.name,
        "path": str(path),
        "sha256": sha256_of(path),
        "bytes": path.stat().st_size,
    }
    rec.update(extra)
    return rec


@dataclass
class Manifest:
    """How one panel was built.

    Parameters
    ----------
    panel : str
        The panel's name (the file stem in ``data/processed``).
    inputs : list of dict
        One record per input file (see :func:`input_record`) or in-memory
        input (name and a description, no sha256).
    rules : dict
        Every choice that changes the numbers (coverage rule, rape
        definition, population vintage, exposure rule, thresholds).
    rows_in : int
        Rows entering the build (in ``unit``).
    dropped : dict of str to int
        Rows dropped, by reason.
    added : int
        Rows created by splitting an input row (agencies serving several counties).
    aggregated : int
        Input rows merged into other output rows (not dropped, not one output row each).
    rows_out : int
        Rows of the panel written.
    unit : str
        What one input row is (e.g. ``"agency-year"``).
    approximation : bool
        True when the panel approximates its target (e.g. county totals built
        from CIUS agency tables).
    notes : list of str
        Plain-language caveats.
    reports : dict
        Further structured reports (match report, timing availability).
    mark : str
        The words every output made from the panel carries (see
        :attr:`enforcement_crime.panels.spec.PanelSpec.mark`); empty when
        not set.
    tables : dict of str to DataFrame
        Reports too long for the JSON, written beside it as
        ``<panel>_<key>.csv`` in the same transaction (not part of
        :meth:`to_dict`; ``reports`` should summarise them and name the file).
    """

    panel: str
    inputs: list[dict[str, Any]] = field(default_factory=list)
    rules: dict[str, Any] = field(default_factory=dict)
    rows_in: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    added: int = 0
    aggregated: int = 0
    rows_out: int = 0
    unit: str = "row"
    approximation: bool = False
    notes: list[str] = field(default_factory=list)
    reports: dict[str, Any] = field(default_factory=dict)
    mark: str = ""
    tables: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False, compare=False)
    created_by: str = f"enforcement_crime {__version__}"
    created_at: str = field(
        default_factory=lambda: dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    )

    def drop(self, reason: str, n: int) -> None:
        """Record ``n`` rows dropped for ``reason`` (adds to an existing reason)."""
        n = int(n)
        if n < 0:
            raise ManifestError(
                f"{self.panel}: cannot drop a negative number of rows ({n}) for {reason!r}"
            )
        if n:
            self.dropped[reason] = self.dropped.get(reason, 0) + n

    def check(self) -> None:
        """Raise :class:`ManifestError` unless ``rows_in + added == sum(dropped) + aggregated + rows_out``."""
        total = (
            sum(int(v) for v in self.dropped.values()) + int(self.aggregated) + int(self.rows_out)
        )
        if int(self.rows_in) + int(self.added) != total:
            raise ManifestError(
                f"{self.panel}: row accounting does not add up: {self.rows_in} {self.unit} rows in "
                f"+ {self.added} added by splits, but "
                f"dropped {sum(self.dropped.values())} ({self.dropped}) + aggregated {self.aggregated} + "
                f"out {self.rows_out} = {total}"
            )
        if (
            any(int(v) < 0 for v in self.dropped.values())
            or min(self.aggregated, self.rows_out, self.added) < 0
        ):
            raise ManifestError(f"{self.panel}: negative row counts in {self.to_dict()['rows']}")

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready dictionary (see the module docstring)."""
        return {
            "panel": self.panel,
            "created_by": self.created_by,
            "created_at": self.created_at,
            "approximation": bool(self.approximation),
            "mark": self.mark,
            "inputs": self.inputs,
            "rules": self.rules,
            "rows": {
                "unit": self.unit,
                "in": int(self.rows_in),
                "added": int(self.added),
                "dropped": {k: int(v) for k, v in self.dropped.items()},
                "aggregated": int(self.aggregated),
                "out": int(self.rows_out),
            },
            "notes": list(self.notes),
            "reports": self.reports,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Manifest:
        """Rebuild a manifest from :meth:`to_dict` output (e.g. a JSON file)."""
        rows = d.get("rows", {})
        return cls(
            panel=d["panel"],
            inputs=d.get("inputs", []),
            rules=d.get("rules", {}),
            rows_in=rows.get("in", 0),
            dropped=dict(rows.get("dropped", {})),
            added=rows.get("added", 0),
            aggregated=rows.get("aggregated", 0),
            rows_out=rows.get("out", 0),
            unit=rows.get("unit", "row"),
            approximation=d.get("approximation", False),
            mark=d.get("mark", ""),
            notes=d.get("notes", []),
            reports=d.get("reports", {}),
            created_by=d.get("created_by", ""),
            created_at=d.get("created_at", ""),
        )


def _jsonable(o: Any) -> Any:
    if isinstance(o, pd.Timestamp | dt.date):
        return o.isoformat()
    if isinstance(o, set | frozenset | tuple):
        return list(o)
    if hasattr(o, "item"):
        return o.item()
    if o is pd.NA or o is pd.NaT:
        return None
    return str(o)


def check_panel(
    df: pd.DataFrame,
    name: str,
    manifest: Manifest,
    *,
    validate: bool | Callable[..., object] = True,
) -> None:
    """Everything :func:`write_panel` checks before it writes: schema, non-empty, row accounting.

    Parameters
    ----------
    df, name, manifest
        As :func:`write_panel`.
    validate : bool or callable
        ``True``: :func:`enforcement_crime.schema.validate_panel` (county-year
        panels); a callable ``validate(df, name=...)`` (e.g. the city-panel
        check); ``False``: the caller validated already.

    Raises
    ------
    PanelSchemaError, ManifestError
        Nothing may be written.
    """
    if len(df) == 0:
        raise ManifestError(
            f"{name}: the panel has no rows; an empty panel is never written (any old file is kept)"
        )
    if validate is True:
        validate_panel(df, name=name)
    elif callable(validate):
        validate(df, name=name)
    if int(manifest.rows_out) != len(df):
        raise ManifestError(
            f"{name}: the manifest says {manifest.rows_out} rows out but the panel has {len(df)}"
        )
    manifest.panel = name
    manifest.check()


def _temp_name(path: Path) -> Path:
    # same folder (so os.replace is an atomic rename), a name no reader globs for
    return path.with_name(f".{path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp")


def _write_temps(df: pd.DataFrame, manifest: Manifest, path: Path) -> list[tuple[Path, Path]]:
    """Write the parquet and JSON under temporary names; return ``[(temp, final), ...]``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    pairs: list[tuple[Path, Path]] = []
    out = df.reset_index(drop=True).copy()
    out.attrs = {}  # attrs may hold non-serialisable report objects; the manifest is the record
    tmp = _temp_name(path)
    pairs.append((tmp, path))
    table = pa.Table.from_pandas(out, preserve_index=False)
    meta = dict(table.schema.metadata or {})
    record = {
        "panel": path.stem,
        "approximation": bool(manifest.approximation),
        "synthetic": False,
    }
    if manifest.mark:
        record["mark"] = manifest.mark
    meta[METADATA_KEY] = json.dumps(record, sort_keys=True).encode()
    pq.write_table(table.replace_schema_metadata(meta), tmp)
    for key, frame in manifest.tables.items():
        csv = path.with_name(f"{path.stem}_{key}.csv")
        tmp_csv = _temp_name(csv)
        pairs.append((tmp_csv, csv))
        frame.to_csv(tmp_csv, index=False)
    js = path.with_suffix(".json")
    tmp_js = _temp_name(js)
    pairs.append((tmp_js, js))
    tmp_js.write_text(json.dumps(manifest.to_dict(), indent=2, default=_jsonable) + "\n")
    return pairs


def write_panels(
    items: Iterable[tuple[pd.DataFrame, str, Manifest, bool | Callable[..., object]]],
    *,
    folder: str | Path | None = None,
) -> dict[str, Path]:
    """Write several panels as one transaction: all checked, all written aside, then all renamed.

    Parameters
    ----------
    items : iterable of (df, name, manifest, validate)
        One tuple per panel (``validate`` as in :func:`check_panel`).
    folder : str or Path, optional
        Default :func:`enforcement_crime.config.processed_dir`.

    Returns
    -------
    dict
        ``{name: parquet path}``.

    Notes
    -----
    Every panel is checked before anything is written; every file is first
    written under a temporary name in ``folder`` and only then moved over
    the old one with :func:`os.replace` (atomic on one file system). A
    failure or an interrupt before the renames removes the temporary files
    and leaves ``folder`` as it was.
    """
    items = list(items)
    names = [name for _, name, _, _ in items]
    if len(set(names)) != len(names):
        raise ValueError(f"write_panels: a panel name appears twice in {names}")
    for df, name, manifest, validate in items:
        check_panel(df, name, manifest, validate=validate)
    folder = Path(folder) if folder is not None else config.processed_dir()
    folder.mkdir(parents=True, exist_ok=True)
    pairs: list[tuple[Path, Path]] = []
    try:
        for df, name, manifest, _ in items:
            pairs += _write_temps(df, manifest, folder / f"{name}.parquet")
    except BaseException:
        for tmp, _ in pairs:
            tmp.unlink(missing_ok=True)
        for p in folder.glob(".*.tmp"):  # a temp cut short by the failure itself
            if any(p.name.startswith((f".{n}.", f".{n}_")) for n in names):
                p.unlink(missing_ok=True)
        raise
    _swap(pairs)
    return {name: folder / f"{name}.parquet" for name in names}


def _swap(pairs: list[tuple[Path, Path]]) -> None:
    """Move every temporary file over its final name; on any failure put every old file back.

    Each old file is first hard-linked (copied where links are not supported)
    to a backup name, so a failure between two renames can restore the
    folder exactly; backups are removed once every rename succeeded.
    """
    backups: list[tuple[Path, Path]] = []
    created: list[Path] = []
    try:
        for tmp, final in pairs:
            if final.exists():
                bak = final.with_name(f".{final.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.bak.tmp")
                try:
                    os.link(final, bak)
                except OSError:
                    shutil.copy2(final, bak)
                backups.append((bak, final))
            else:
                created.append(final)
            os.replace(tmp, final)
    except BaseException:
        for bak, final in backups:
            if final.exists() and os.path.samefile(bak, final):
                bak.unlink()  # never replaced (rename of two links to one file does nothing)
            else:
                os.replace(bak, final)
        for final in created:
            final.unlink(missing_ok=True)
        for tmp, _ in pairs:
            tmp.unlink(missing_ok=True)
        raise
    for bak, _ in backups:
        bak.unlink(missing_ok=True)


def write_panel(
    df: pd.DataFrame,
    name: str,
    manifest: Manifest,
    *,
    folder: str | Path | None = None,
    validate: bool | Callable[..., object] = True,
) -> Path:
    """Validate a panel, check its manifest and write ``<name>.parquet`` + ``<name>.json`` atomically.

    Parameters
    ----------
    df : pandas.DataFrame
        The panel.
    name : str
        File stem (e.g. ``"cius_county"``).
    manifest : Manifest
        Its manifest; ``rows_out`` must equal ``len(df)``.
    folder : str or Path, optional
        Default :func:`enforcement_crime.config.processed_dir`.
    validate : bool or callable
        As :func:`check_panel` (``True``: the county-year schema).

    Returns
    -------
    Path
        The parquet file written.

    Raises
    ------
    PanelSchemaError
        The panel breaks the schema (nothing is written).
    ManifestError
        The panel is empty, row accounting does not add up or
        ``rows_out != len(df)`` (nothing is written).
    """
    return write_panels([(df, name, manifest, validate)], folder=folder)[name]


def read_manifest(path: str | Path) -> Manifest:
    """Read ``<name>.json`` (or the manifest beside ``<name>.parquet``) and check it adds up."""
    path = Path(path)
    if path.suffix == ".parquet":
        path = path.with_suffix(".json")
    m = Manifest.from_dict(json.loads(path.read_text()))
    m.check()
    return m
