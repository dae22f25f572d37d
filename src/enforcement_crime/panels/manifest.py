"""Panel manifests: what went in, which rules were chosen, where every row went.

Every study panel is written as ``data/processed/<name>.parquet`` with a JSON
manifest ``data/processed/<name>.json`` beside it::

    {
      "panel": "cius_county",
      "created_by": "enforcement_crime 0.1.0",
      "created_at": "2026-11-28T22:00:00+00:00",
      "approximation": true,
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
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from enforcement_crime import __version__, config
from enforcement_crime.schema import validate_panel

__all__ = ["Manifest", "ManifestError", "input_record", "write_panel", "read_manifest"]


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
    from enforcement_crime.sources._fetch import sha256_of

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


def write_panel(
    df: pd.DataFrame,
    name: str,
    manifest: Manifest,
    *,
    folder: str | Path | None = None,
    validate: bool = True,
) -> Path:
    """Validate a panel, check its manifest and write ``<name>.parquet`` + ``<name>.json``.

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
    validate : bool
        Run :func:`enforcement_crime.schema.validate_panel` (county-year panels).
        City panels pass ``False`` after their own validation.

    Returns
    -------
    Path
        The parquet file written.

    Raises
    ------
    PanelSchemaError
        The panel breaks the schema (nothing is written).
    ManifestError
        Row accounting does not add up or ``rows_out != len(df)`` (nothing is written).
    """
    if validate:
        validate_panel(df, name=name)
    if int(manifest.rows_out) != len(df):
        raise ManifestError(
            f"{name}: the manifest says {manifest.rows_out} rows out but the panel has {len(df)}"
        )
    manifest.panel = name
    manifest.check()
    folder = Path(folder) if folder is not None else config.processed_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.parquet"
    out = df.reset_index(drop=True).copy()
    out.attrs = {}  # attrs may hold non-serialisable report objects; the manifest is the record
    out.to_parquet(path, index=False)
    path.with_suffix(".json").write_text(
        json.dumps(manifest.to_dict(), indent=2, default=_jsonable) + "\n"
    )
    return path


def read_manifest(path: str | Path) -> Manifest:
    """Read ``<name>.json`` (or the manifest beside ``<name>.parquet``) and check it adds up."""
    path = Path(path)
    if path.suffix == ".parquet":
        path = path.with_suffix(".json")
    m = Manifest.from_dict(json.loads(path.read_text()))
    m.check()
    return m
