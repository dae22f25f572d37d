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
The renames of one build are a journalled transaction under the folder's
lock (``.build.lock``): an interrupt rolls them back, and after a killed
process :func:`recover` (run by ``data build`` and ``data status``) rolls back
a half-renamed set left with its journal (``.build-journal.json``) and
removes stray temporary files. Each build's marker (``generation``) is
stored in its parquet metadata and JSON manifest.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import shutil
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from enforcement_crime import __version__, config
from enforcement_crime.fileio import (
    TEMP_PATTERN,
    atomic_write_text,
    fsync_dir,
    fsync_file,
    temp_name,
)
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
    "write_files",
    "read_manifest",
    "BuildLockedError",
    "BuildInterrupted",
    "build_lock",
    "signals_as_interrupts",
    "recover",
    "journal_entries",
    "file_generation",
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
    return temp_name(path)


def _write_temps(
    df: pd.DataFrame, manifest: Manifest, path: Path, generation: str = ""
) -> list[tuple[Path, Path]]:
    """Write the parquet and JSON under temporary names; return ``[(temp, final), ...]``.

    Every temporary file is flushed to disk before this returns; ``generation``
    (the build's marker) goes into the parquet metadata and the JSON.
    """
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
    if generation:
        record["generation"] = generation
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
    record = manifest.to_dict()
    if generation:
        record["generation"] = generation
    tmp_js.write_text(json.dumps(record, indent=2, default=_jsonable) + "\n")
    for t, _ in pairs:
        fsync_file(t)
    return pairs


# ------------------------------------------------------------------ lock, journal, recovery

#: the lock file of a processed folder (``fcntl.flock``; it holds the writer's pid)
LOCK_NAME = ".build.lock"
#: the journal of a rename phase in progress (present only between its first and last step)
JOURNAL_NAME = ".build-journal.json"
#: environment variables of the pause hook (:func:`_pause_point`), used by the interruption tests
PAUSE_AT_ENV = "ENFORCEMENT_CRIME_PAUSE_AT"
PAUSE_FILE_ENV = "ENFORCEMENT_CRIME_PAUSE_FILE"

_HELD_LOCKS: dict[str, list[int]] = {}  # real folder path -> [fd, depth]


class BuildLockedError(RuntimeError):
    """Another process is writing the same processed folder."""


class BuildInterrupted(KeyboardInterrupt):  # noqa: N818 (an interrupt, like KeyboardInterrupt)
    """The process received SIGTERM or SIGHUP while building or writing panels."""

    def __init__(self, signum: int):
        self.signum = int(signum)
        super().__init__(f"interrupted by {signal.Signals(self.signum).name}")


@contextlib.contextmanager
def build_lock(folder: str | Path) -> Iterator[None]:
    """Hold the write lock of ``folder`` (created when missing); refuse when another process holds it.

    Re-entrant within one process. The lock is an ``fcntl.flock`` on
    ``<folder>/.build.lock``; the operating system releases it when the
    holder ends, however it ends.

    Raises
    ------
    BuildLockedError
        Another process holds the lock (the message names its pid).
    """
    folder = Path(folder)
    key = os.path.realpath(folder)
    if key in _HELD_LOCKS:
        _HELD_LOCKS[key][1] += 1
        try:
            yield
        finally:
            _HELD_LOCKS[key][1] -= 1
        return
    folder.mkdir(parents=True, exist_ok=True)
    lock = folder / LOCK_NAME
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
        os.close(fd)
        raise BuildLockedError(
            f"another data build (pid {holder}) is writing {folder} (lock {lock}); "
            "wait for it to finish, then run this again"
        ) from None
    except BaseException:
        os.close(fd)
        raise
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        _HELD_LOCKS[key] = [fd, 1]
        yield
    finally:
        _HELD_LOCKS.pop(key, None)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _raise_interrupt(signum, frame):
    raise BuildInterrupted(signum)


@contextlib.contextmanager
def signals_as_interrupts() -> Iterator[None]:
    """Turn SIGTERM and SIGHUP into :class:`BuildInterrupted` (a ``KeyboardInterrupt``) meanwhile.

    So ``timeout``, ``kill`` and a CI runner's cancel run the same clean-up as
    Ctrl-C. Does nothing outside the main thread (where Python cannot set handlers).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = {s: signal.signal(s, _raise_interrupt) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h if h is not None else signal.SIG_DFL)


@contextlib.contextmanager
def _signals_blocked() -> Iterator[None]:
    """Hold SIGINT, SIGTERM and SIGHUP until the block ends (a roll-back or commit is not cut)."""
    sigs = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
    old = signal.pthread_sigmask(signal.SIG_BLOCK, sigs)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _pause_point(name: str) -> None:
    """Test hook: stop at the named step of a write when ``ENFORCEMENT_CRIME_PAUSE_AT`` names it.

    The process then creates the file named by ``ENFORCEMENT_CRIME_PAUSE_FILE``
    (holding its pid) and waits, at most two minutes, until ``<that file>.go``
    exists, so a test can signal or kill it at an exact step. Steps:
    ``temps`` (one panel written aside), ``journal`` (journal written, no
    rename yet), ``rename:K`` (before the K-th rename), ``renamed`` (every
    file renamed, journal still present), ``committed`` (journal removed,
    backups not yet).
    """
    if os.environ.get(PAUSE_AT_ENV) != name:
        return
    marker = Path(os.environ[PAUSE_FILE_ENV])
    atomic_write_text(marker, f"{os.getpid()}\n")  # whole when it appears
    go = marker.with_name(marker.name + ".go")
    deadline = time.monotonic() + 120
    while not go.exists() and time.monotonic() < deadline:
        time.sleep(0.02)


def _write_journal(folder: Path, entries: list[dict[str, str | None]], generation: str) -> None:
    record = {"pid": os.getpid(), "generation": generation, "entries": entries}
    atomic_write_text(folder / JOURNAL_NAME, json.dumps(record, indent=1) + "\n")


def _roll_back(folder: Path, entries: list[dict[str, str | None]]) -> int:
    """Put every old file back, remove every new one; return the number of files restored or removed.

    ``entries``: ``{"tmp", "final", "backup"}`` names in ``folder``
    (``backup`` None when ``final`` did not exist before). Every backup is
    made before the first rename, so a final whose temporary file is gone
    was replaced and its backup (when it had one) is complete.
    """
    n = 0
    for e in entries:
        tmp, final = folder / str(e["tmp"]), folder / str(e["final"])
        if e.get("backup"):
            bak = folder / str(e["backup"])
            if bak.exists():
                if final.exists() and os.path.samefile(bak, final):
                    bak.unlink()  # never replaced
                else:
                    os.replace(bak, final)
                    n += 1
        elif not tmp.exists() and final.exists():
            final.unlink()  # new in this build
            n += 1
        tmp.unlink(missing_ok=True)
    fsync_dir(folder)
    return n


def _stray_temps(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if TEMP_PATTERN.match(p.name))


def recover(
    folder: str | Path | None = None, out: Callable[[str], None] | None = print
) -> list[str]:
    """Repair ``folder`` after a build that was killed (SIGKILL, power loss) while writing.

    With the folder's write lock held: a rename journal left behind is rolled
    back (every old file restored, every file new in that build removed, so
    the folder holds the last complete set) and stray temporary files are
    removed. Returns the lines describing what was done (also passed to ``out``).

    Raises
    ------
    BuildLockedError
        Another process is writing the folder (nothing was touched).
    ManifestError
        The journal cannot be read (the folder is left alone).
    """
    folder = Path(folder) if folder is not None else config.processed_dir()
    done: list[str] = []
    if not folder.is_dir():
        return done
    if not (folder / JOURNAL_NAME).exists() and not _stray_temps(folder):
        return done  # nothing to repair (and no lock needed: a read-only folder stays readable)
    with build_lock(folder):
        journal = folder / JOURNAL_NAME
        if journal.exists():
            try:
                record = json.loads(journal.read_text())
                entries = list(record["entries"])
            except (ValueError, KeyError, TypeError) as exc:
                raise ManifestError(
                    f"{journal}: the journal of an interrupted build cannot be read ({exc}); "
                    "delete it and rebuild every panel with `data build`"
                ) from None
            with _signals_blocked():
                n = _roll_back(folder, entries)
                journal.unlink()
                fsync_dir(folder)
            finals = sorted({str(e["final"]) for e in entries})
            done.append(
                f"repaired {folder}: a build (pid {record.get('pid', '?')}) was stopped while "
                f"replacing {', '.join(finals)}; rolled back to the previous complete set "
                f"({n} file(s) restored or removed)"
            )
        stray = _stray_temps(folder)
        for p in stray:
            p.unlink(missing_ok=True)
        if stray:
            done.append(
                f"removed {len(stray)} temporary file(s) left in {folder} by an interrupted write"
            )
    if out is not None:
        for line in done:
            out(line)
    return done


def journal_entries(folder: str | Path | None = None) -> list[str]:
    """The final file names a rename journal in ``folder`` lists (empty when there is none)."""
    folder = Path(folder) if folder is not None else config.processed_dir()
    journal = folder / JOURNAL_NAME
    if not journal.exists():
        return []
    try:
        return sorted({str(e["final"]) for e in json.loads(journal.read_text())["entries"]})
    except (ValueError, KeyError, TypeError, OSError):
        return ["(unreadable journal)"]


def file_generation(path: str | Path) -> str | None:
    """The build marker of a panel's parquet (metadata) or JSON manifest; None when it has none."""
    path = Path(path)
    if path.suffix == ".json":
        value = json.loads(path.read_text()).get("generation")
    else:
        import pyarrow.parquet as pq

        raw = (pq.read_schema(path).metadata or {}).get(METADATA_KEY)
        value = json.loads(raw).get("generation") if raw else None
    return str(value) if value else None


def write_panels(
    items: Iterable[tuple[pd.DataFrame, str, Manifest, bool | Callable[..., object]]],
    *,
    folder: str | Path | None = None,
    generation: str | None = None,
) -> dict[str, Path]:
    """Write several panels as one transaction: all checked, all written aside, then all renamed.

    Parameters
    ----------
    items : iterable of (df, name, manifest, validate)
        One tuple per panel (``validate`` as in :func:`check_panel`).
    folder : str or Path, optional
        Default :func:`enforcement_crime.config.processed_dir`.
    generation : str, optional
        The build's marker, stored in every parquet's metadata and JSON
        manifest (default: a fresh random id); ``data status`` reports a
        panel whose two files carry different markers as mixed.

    Returns
    -------
    dict
        ``{name: parquet path}``.

    Raises
    ------
    BuildLockedError
        Another process is writing ``folder`` (nothing was written).

    Notes
    -----
    Every panel is checked before anything is written; every file is first
    written under a temporary name in ``folder`` and flushed to disk. Then,
    holding the folder's lock (:func:`build_lock`), a journal listing every
    rename is written, every old file is hard-linked to a backup name and
    the new files are moved over the old ones with :func:`os.replace`; the
    journal's removal is the commit. An exception, Ctrl-C, SIGTERM or
    SIGHUP before the commit puts every old file back and removes the new
    ones; after SIGKILL or a power loss the journal remains and the next
    :func:`recover` (run by ``data build`` and ``data status``) does the same.
    """
    items = list(items)
    names = [name for _, name, _, _ in items]
    if len(set(names)) != len(names):
        raise ValueError(f"write_panels: a panel name appears twice in {names}")
    for df, name, manifest, validate in items:
        check_panel(df, name, manifest, validate=validate)
    folder = Path(folder) if folder is not None else config.processed_dir()
    folder.mkdir(parents=True, exist_ok=True)
    generation = generation or uuid.uuid4().hex
    with signals_as_interrupts(), build_lock(folder):
        recover(folder)
        pairs: list[tuple[Path, Path]] = []
        try:
            for i, (df, name, manifest, _) in enumerate(items):
                pairs += _write_temps(df, manifest, folder / f"{name}.parquet", generation)
                if i == 0:
                    _pause_point("temps")
        except BaseException:
            with _signals_blocked():
                for tmp, _ in pairs:
                    tmp.unlink(missing_ok=True)
                for p in folder.glob(".*.tmp"):  # a temp cut short by the failure itself
                    if any(p.name.startswith((f".{n}.", f".{n}_")) for n in names):
                        p.unlink(missing_ok=True)
            raise
        _swap(pairs, generation)
    return {name: folder / f"{name}.parquet" for name in names}


def write_files(writers: dict[Path, Callable[[Path], object]]) -> list[Path]:
    """Write files of one folder as one transaction, as :func:`write_panels` writes a panel's files.

    Parameters
    ----------
    writers : dict of Path to callable
        ``{final path: write}``; ``write(temp)`` must create the temporary
        file given (e.g. ``lambda p: p.write_text(text)``). Every final path
        must be in one folder.

    Returns
    -------
    list of Path
        The final paths, in order.

    Notes
    -----
    Under the folder's lock every file is written aside and flushed, then
    all are renamed through the journal: an exception, Ctrl-C, SIGTERM or
    SIGHUP leaves every old file as it was; after SIGKILL the next
    :func:`recover` of that folder puts them back.
    """
    finals = [Path(p) for p in writers]
    folders = {p.parent for p in finals}
    if len(folders) != 1:
        raise ValueError(f"write_files: the files are in several folders: {sorted(folders)}")
    folder = folders.pop()
    folder.mkdir(parents=True, exist_ok=True)
    with signals_as_interrupts(), build_lock(folder):
        recover(folder, out=None)
        pairs: list[tuple[Path, Path]] = []
        try:
            for final, write in zip(finals, writers.values(), strict=True):
                tmp = temp_name(final)
                pairs.append((tmp, final))
                write(tmp)
                if not tmp.is_file():
                    raise OSError(f"writing {final}: the writer did not create {tmp}")
                fsync_file(tmp)
            _pause_point("temps")
        except BaseException:
            with _signals_blocked():
                for tmp, _ in pairs:
                    tmp.unlink(missing_ok=True)
            raise
        _swap(pairs)
    return finals


def _swap(pairs: list[tuple[Path, Path]], generation: str = "") -> None:
    """Move every temporary file over its final name as one journalled transaction.

    Each old file is first hard-linked (copied where links are not supported)
    to a backup name, so a failure between two renames can restore the
    folder exactly; the journal lists every temporary, final and backup
    name before the first backup is made and is removed once every rename
    succeeded (the commit); backups are removed after the commit.
    """
    if not pairs:
        return
    folder = pairs[0][1].parent
    entries: list[dict[str, str | None]] = []
    for tmp, final in pairs:
        bak = temp_name(final, ".bak.tmp").name if final.exists() else None
        entries.append({"tmp": tmp.name, "final": final.name, "backup": bak})
    try:
        _write_journal(folder, entries, generation)
        _pause_point("journal")
        for e in entries:
            if e["backup"]:
                final, bak = folder / str(e["final"]), folder / str(e["backup"])
                try:
                    os.link(final, bak)
                except OSError:
                    part = temp_name(bak)
                    shutil.copy2(final, part)
                    fsync_file(part)
                    os.replace(part, bak)  # a backup that exists is complete
        fsync_dir(folder)
        for k, (tmp, final) in enumerate(pairs, start=1):
            _pause_point(f"rename:{k}")
            os.replace(tmp, final)
        fsync_dir(folder)
        _pause_point("renamed")
    except BaseException:
        with _signals_blocked():
            _roll_back(folder, entries)
            (folder / JOURNAL_NAME).unlink(missing_ok=True)
            fsync_dir(folder)
        raise
    with _signals_blocked():
        (folder / JOURNAL_NAME).unlink()  # the commit
        fsync_dir(folder)
        _pause_point("committed")
        for e in entries:
            if e["backup"]:
                (folder / str(e["backup"])).unlink(missing_ok=True)


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
