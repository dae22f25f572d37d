"""The one reader of delimited text (CSV, TSV) for every source loader.

:func:`read_csv_lines` parses the whole file with the :mod:`csv` module,
checks its structure and returns every column as strings with the 1-based
file line of each record as the index (the header is line 1, so the first
data row is line 2). Loaders report bad cells with these line numbers.

It refuses, with a :class:`~enforcement_crime.sources._checks.SourceError`
naming the file, the line and what was expected:

* an empty file (no header row);
* an HTML or XML page saved under a data file's name (a login or error page);
* a binary file (NUL bytes: a spreadsheet, a Stata file, a zip);
* text that is not in the stated encoding;
* a truncated file: one that does not end in a newline and whose last record
  has fewer fields than the header or ends inside an open quote (a download
  cut short);
* any record whose number of fields differs from the header's (pandas pads a
  short row with missing values and, for a long row, may shift the columns);
* duplicated column names.

Blank lines are skipped (they hold no record) and do not shift the line
numbers of the records after them; a quoted field spanning several lines is
one record, indexed by the line it starts on.

:func:`check_last_line` is the narrower check used by loaders that read with
another parser (ICPSR fixed-width, tab-separated files read by pandas).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from enforcement_crime.sources._checks import SourceError

__all__ = ["read_csv_lines", "check_last_line", "sniff_html"]

_HTML_MARKS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<?xml", b"<!--")


def _error(path: Path, message: str, *, row=None, column=None) -> SourceError:
    return SourceError(path, message, row=row, column=column)


def sniff_html(data: bytes) -> bool:
    """Return True when ``data`` (the start of a file) looks like an HTML or XML page."""
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith(_HTML_MARKS) or (head.startswith(b"<") and b"<html" in head)


def read_csv_lines(
    path: str | Path,
    *,
    encoding: str = "utf-8",
    sep: str = ",",
    na_values: Iterable[str] = ("",),
    nrows: int | None = None,
    index_name: str = "line",
) -> pd.DataFrame:
    """Read a delimited text file, every column as string, indexed by file line.

    Parameters
    ----------
    path : str or Path
        The file.
    encoding : str
        Text encoding (``"utf-8"`` also accepts a leading byte-order mark).
    sep : str
        Field delimiter (``","`` or ``"\\t"``).
    na_values : iterable of str
        Cell texts read as missing (``NaN``); by default only the empty cell.
        Cells are not stripped before the comparison.
    nrows : int, optional
        Read only the header and the first ``nrows`` records (to detect a
        layout); the structural checks then cover those records only.
    index_name : str
        Name of the index (the 1-based file line of each record).

    Returns
    -------
    pandas.DataFrame
        One row per record, columns named by the header (names stripped of
        surrounding blanks), values ``str`` or ``NaN`` (object dtype). The
        index holds the file line on which each record starts.
        ``attrs["ends_in_newline"]`` says whether the file ends in a newline.

    Raises
    ------
    SourceError
        Empty file, HTML/XML page, binary file, wrong encoding, truncated
        last record, a record with a wrong number of fields, duplicated
        column names; the message names the file, the line(s) and what was
        expected.
    """
    path = Path(path)
    data = path.read_bytes()
    if not data.strip():
        raise _error(path, "the file is empty (no header row)")
    if sniff_html(data):
        raise _error(
            path,
            "is an HTML/XML page, not a delimited data file (a login or error page "
            "saved under the data file's name?); download the file again",
        )
    nul = data.find(b"\x00")
    if nul >= 0:
        raise _error(
            path,
            "holds NUL bytes: a binary file (spreadsheet, Stata, zip?), not delimited text",
            row=data.count(b"\n", 0, nul) + 1,
        )
    codec = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        raise _error(
            path,
            f"is not {encoding} text (corrupt or not a delimited file?): {exc.reason} "
            f"at byte {exc.start}",
            row=data.count(b"\n", 0, exc.start) + 1,
        ) from None
    ends_in_newline = text.endswith(("\n", "\r"))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    records: list[list[str]] = []
    lines: list[int] = []
    header: list[str] | None = None
    header_line = 0
    prev = 0
    try:
        for rec in reader:
            start, prev = prev + 1, reader.line_num
            if not rec:  # a blank line
                continue
            if header is None:
                header, header_line = rec, start
                continue
            records.append(rec)
            lines.append(start)
            if nrows is not None and len(records) >= nrows:
                break
    except csv.Error as exc:
        raise _error(
            path, f"cannot be parsed as delimited text: {exc}", row=reader.line_num
        ) from None
    if header is None:
        raise _error(path, "the file is empty (no header row)")
    n_head = len(header)
    complete = nrows is None or len(records) < nrows
    if records and complete and not ends_in_newline:
        last = records[-1]
        start = lines[-1]
        tail = "\n".join(re.split(r"\r\n|\r|\n", text)[start - 1 :])
        open_quote = False
        try:
            list(csv.reader(io.StringIO(tail, newline=""), delimiter=sep, strict=True))
        except csv.Error as exc:
            open_quote = "unexpected end of data" in str(exc)
        if len(last) < n_head or open_quote:
            what = "ends inside a quoted field" if open_quote else ""
            raise _error(
                path,
                f"the last line has {len(last)} fields but the header has {n_head}"
                + (f" and {what}" if what else "")
                + " (truncated: the file does not end in a newline; download cut short?)",
                row=start,
            )
    counts = np.fromiter((len(r) for r in records), dtype=np.int64, count=len(records))
    bad = np.flatnonzero(counts != n_head)
    if bad.size:
        first = int(bad[0])
        where = "the last line" if first == len(records) - 1 else "line"
        raise _error(
            path,
            f"{where} has {int(counts[first])} fields but the header (line {header_line}) has "
            f"{n_head}: every record must have as many fields as the header "
            "(truncated, or a delimiter inside an unquoted field?)",
            row=[lines[i] for i in bad],
        )
    columns = [c.strip() for c in header]
    seen: dict[str, int] = {}
    for c in columns:
        seen[c] = seen.get(c, 0) + 1
    dups = [c for c, k in seen.items() if k > 1]
    if dups:
        raise _error(
            path,
            f"duplicated column name(s) {dups} in the header: each column must be named once",
            row=header_line,
            column=dups[0],
        )
    na = set(na_values)
    cols = list(zip(*records, strict=True)) if records else [() for _ in columns]
    frame = {}
    for name, values in zip(columns, cols, strict=True):
        arr = np.array(values, dtype=object)
        if na and arr.size:
            mask = np.fromiter((v in na for v in values), dtype=bool, count=len(values))
            arr[mask] = np.nan
        frame[name] = arr
    df = pd.DataFrame(frame, index=pd.Index(lines, dtype="int64", name=index_name))
    df.attrs["ends_in_newline"] = ends_in_newline
    return df


def check_last_line(path: str | Path, sep: str = ",", *, encoding: str = "utf-8") -> None:
    """Refuse a delimited file whose last line has fewer or more fields than the header.

    For loaders that parse with another reader: a download cut mid-line leaves
    a short last line that pandas would pad with missing values. Also refuses
    an empty file (no header) and an HTML/XML page.

    Raises
    ------
    SourceError
        Names the file and the last line (1-based, blank lines counted).
    """
    path = Path(path)
    with open(path, "rb") as fh:
        start = fh.read(2048)
        fh.seek(0)
        head = fh.readline()
        fh.seek(0, 2)
        size = fh.tell()
        fh.seek(max(0, size - 65536))
        tail = fh.read()
    if not start.strip():
        raise _error(path, "the file is empty (no header row)")
    if sniff_html(start):
        raise _error(
            path,
            "is an HTML/XML page, not a delimited data file (a login or error page "
            "saved under the data file's name?); download the file again",
        )
    lines = [ln for ln in tail.splitlines() if ln.strip()]
    if not head.strip() or not lines:
        return
    text_head = head.decode(encoding, "replace").lstrip("\ufeff")
    n_head = len(next(csv.reader([text_head], delimiter=sep)))
    n_last = len(next(csv.reader([lines[-1].decode(encoding, "replace")], delimiter=sep)))
    if n_last != n_head:
        with open(path, "rb") as fh:
            n_lines = max(i for i, ln in enumerate(fh, start=1) if ln.strip())
        cut = "" if tail.endswith((b"\n", b"\r")) else "; the file does not end in a newline"
        raise _error(
            path,
            f"the last line has {n_last} fields but the header has {n_head} "
            f"(truncated download?{cut})",
            row=n_lines,
        )
