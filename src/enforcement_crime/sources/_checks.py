"""Errors and checks shared by every source loader.

Bad input anywhere in a loader raises :class:`SourceError`, a ``ValueError``
whose message names the file, the row (1-based line of the file where
possible) and the column; :func:`require_columns`, :func:`to_int` and
:func:`check_unique` are the checks the loaders share.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

__all__ = ["SourceError", "check_unique", "require_columns", "to_int"]


class SourceError(ValueError):
    """Bad input in a raw source file.

    Parameters
    ----------
    path : str or Path
        The file being read.
    message : str
        What was expected and what was found.
    row : int or sequence of int, optional
        1-based line number(s) in the file (the header is line 1 for a CSV).
    column : str, optional
        The offending column.
    """

    def __init__(
        self,
        path: str | Path,
        message: str,
        *,
        row: int | Iterable[int] | None = None,
        column: str | None = None,
    ):
        self.path = Path(path)
        self.column = column
        if row is None:
            self.rows: list[int] = []
        elif isinstance(row, Iterable):
            self.rows = [int(r) for r in row]
        else:
            self.rows = [int(row)]
        where = [f"{self.path}"]
        if self.rows:
            shown = ", ".join(str(r) for r in self.rows[:10])
            more = f" (+{len(self.rows) - 10} more)" if len(self.rows) > 10 else ""
            where.append(f"row {shown}{more}" if len(self.rows) == 1 else f"rows {shown}{more}")
        if column is not None:
            where.append(f"column {column!r}")
        super().__init__(f"{': '.join(where)}: {message}")


def require_columns(
    df: pd.DataFrame, columns: Iterable[str], path: str | Path, layout: str = ""
) -> None:
    """Raise :class:`SourceError` naming every missing column (and the layout expected)."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        what = f" of the {layout} layout" if layout else ""
        raise SourceError(
            path,
            f"missing column(s) {missing}{what}; found {list(df.columns)[:30]}",
            column=missing[0],
        )


def to_int(
    s: pd.Series,
    path: str | Path,
    column: str,
    *,
    allow_na: bool = False,
    min_value: int | None = 0,
    thousands: bool = False,
    expected: str = "an integer",
    at_least: str = "a value",
) -> pd.Series:
    """Parse a string column to ``Int64``; bad cells raise :class:`SourceError`.

    ``s.index`` must hold the file line numbers (as from :func:`~enforcement_crime.sources._csv.read_csv_lines`).
    A cell that is not an integer (after removing thousands separators when
    ``thousands``), a missing cell (unless ``allow_na``) or a value below
    ``min_value`` (e.g. a negative count) is reported with its line(s). The
    messages say "expected ``expected``, got ..." and "expected ``at_least`` >=
    ``min_value``, got ...".
    """
    raw = s.astype("string").str.strip()
    if thousands:
        raw = raw.str.replace(",", "", regex=False)
    num = pd.to_numeric(raw, errors="coerce")
    bad = (num.isna() & raw.notna()) | ((num % 1) != 0).fillna(False)
    if bad.any():
        rows = s.index[bad.to_numpy()]
        raise SourceError(
            path, f"expected {expected}, got {s[bad].iloc[0]!r}", row=rows, column=column
        )
    if not allow_na and num.isna().any():
        rows = s.index[num.isna().to_numpy()]
        raise SourceError(
            path,
            "missing value where a number is required (truncated file?)",
            row=rows,
            column=column,
        )
    if min_value is not None:
        low = (num < min_value).fillna(False)
        if low.any():
            rows = s.index[low.to_numpy()]
            raise SourceError(
                path,
                f"expected {at_least} >= {min_value}, got {num[low].iloc[0]:g}",
                row=rows,
                column=column,
            )
    return num.round().astype("Int64")


def check_unique(df: pd.DataFrame, keys: list[str], path: str | Path) -> None:
    """Raise :class:`SourceError` naming the lines of duplicated ``keys``."""
    dup = df.duplicated(keys, keep=False)
    if dup.any():
        first = df.loc[dup, keys].iloc[0].to_dict()
        raise SourceError(
            path,
            f"duplicate key {first} (keys must be unique)",
            row=df.index[dup.to_numpy()],
            column=", ".join(keys),
        )
