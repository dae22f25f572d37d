"""Download and error helpers shared by every source module.

``fetch_file`` streams a public file into ``data/raw/<source>/`` with a tqdm
progress bar, resumes a partial download (``<name>.part``) with an HTTP
``Range`` header, retries with exponential back-off and verifies a sha256
checksum. A file already present with the right checksum is not downloaded
again (the cache).

Where a source needs a login (openICPSR, ICPSR), :func:`login_required` raises
:class:`LoginRequired` whose message says exactly what to download, from where,
and where to put it; the ``data`` CLI turns it into a non-zero exit with that
message.

Bad input anywhere in a loader raises :class:`SourceError`, a ``ValueError``
whose message names the file, the row (1-based line of the file where
possible) and the column.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable
from pathlib import Path
from typing import NoReturn

import pandas as pd
import requests
from tqdm.auto import tqdm

__all__ = [
    "ChecksumMismatch",
    "LoginRequired",
    "SourceError",
    "fetch_file",
    "login_required",
    "check_unique",
    "fetch_all",
    "read_csv_lines",
    "require_columns",
    "sha256_of",
    "to_int",
]

_CHUNK = 1 << 16


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


class ChecksumMismatch(SourceError):
    """A downloaded or cached file does not have the registered sha256."""


class LoginRequired(Exception):
    """A source needs a (free) login; the message says what to download and where to put it."""


def login_required(source: str, what: str, where_from: str, put_in: str | Path) -> NoReturn:
    """Raise :class:`LoginRequired` with a message a user can act on.

    Parameters
    ----------
    source : str
        The source name (e.g. ``"ucr_kaplan"``).
    what : str
        The file(s) to download, by name.
    where_from : str
        The page to download them from (and the account needed).
    put_in : str or Path
        The folder to put them in (``data/raw/<source>/``).

    Raises
    ------
    LoginRequired
        Always.
    """
    raise LoginRequired(
        f"{source}: this source needs a login and cannot be downloaded automatically.\n"
        f"  Download: {what}\n"
        f"  From:     {where_from}\n"
        f"  Put in:   {Path(put_in)}/\n"
        f"then run the command again."
    )


def sha256_of(path: str | Path) -> str:
    """Return the hex sha256 of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def fetch_file(
    url: str,
    dest: str | Path,
    sha256: str | None = None,
    *,
    retries: int = 3,
    progress: bool = True,
    timeout: float = 60.0,
    backoff: float = 1.0,
) -> Path:
    """Download ``url`` to ``dest`` with resume, retries and checksum verification.

    Parameters
    ----------
    url : str
        The file's public URL.
    dest : str or Path
        The target file, or an existing folder (the URL's last path segment is
        then used as the file name).
    sha256 : str, optional
        Expected hex sha256. When given, a file already at ``dest`` with this
        checksum is returned without any network access, and the download is
        verified (a mismatch deletes the partial file and raises).
    retries : int
        Further attempts after a failed one (network error or HTTP 5xx),
        waiting ``backoff * 2**k`` seconds before attempt ``k + 1``.
    progress : bool
        Show a tqdm progress bar.
    timeout : float
        Seconds for the connection and each read.
    backoff : float
        Base of the exponential back-off, seconds.

    Returns
    -------
    Path
        The downloaded (or cached) file.

    Raises
    ------
    ChecksumMismatch
        The download (or an existing file) does not match ``sha256``; the
        message names the file, the expected and the obtained checksum.
    requests.HTTPError
        A 4xx answer, or a 5xx after all retries.
    requests.ConnectionError, requests.Timeout
        After all retries.

    Notes
    -----
    The download streams into ``<dest>.part``. When that file exists, the next
    attempt asks for the rest with ``Range: bytes=<size>-``; a server that
    ignores the header (status 200) restarts the file from zero. Only after a
    complete download (and checksum check) is the ``.part`` renamed to
    ``dest``. Without ``sha256``, an existing ``dest`` is taken as cached.
    """
    dest = Path(dest)
    if dest.is_dir():
        dest = dest / url.rstrip("/").rsplit("/", 1)[-1]
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.exists():
        if sha256 is None or sha256_of(dest) == sha256.lower():
            return dest
        # wrong content: download again rather than trust it
        dest.unlink()
    part = dest.with_name(dest.name + ".part")
    attempt = 0
    while True:
        try:
            _download(url, part, progress=progress, timeout=timeout)
            break
        except requests.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else None
            if status == 416:  # range not satisfiable: the .part is complete or corrupt
                part.unlink(missing_ok=True)
            elif status is not None and status < 500:
                raise
            if attempt >= retries:
                raise
        except (
            requests.ConnectionError,
            requests.Timeout,
            requests.exceptions.ChunkedEncodingError,
        ):
            if attempt >= retries:
                raise
        time.sleep(backoff * 2**attempt)
        attempt += 1
    if sha256 is not None:
        got = sha256_of(part)
        if got != sha256.lower():
            part.unlink(missing_ok=True)
            raise ChecksumMismatch(
                dest, f"download from {url}: sha256 mismatch: expected {sha256.lower()}, got {got}"
            )
    part.replace(dest)
    return dest


def fetch_all(
    files: dict[str, tuple[str, str | None]], dest: str | Path, *, progress: bool = True
) -> list[Path]:
    """Fetch every ``{file name: (url, sha256 or None)}`` of a source's registry into ``dest``.

    Returns the local paths in registry order. See :func:`fetch_file`.
    """
    dest = Path(dest)
    return [
        fetch_file(url, dest / name, sha, progress=progress) for name, (url, sha) in files.items()
    ]


def _download(url: str, part: Path, *, progress: bool, timeout: float) -> None:
    have = part.stat().st_size if part.exists() else 0
    headers = {"Range": f"bytes={have}-"} if have else {}
    with requests.get(url, stream=True, timeout=timeout, headers=headers) as resp:
        resp.raise_for_status()
        if have and resp.status_code != 206:
            have = 0  # the server ignored the range: start again
        mode = "ab" if have else "wb"
        length = resp.headers.get("Content-Length")
        total = int(length) + have if length is not None else None
        with (
            open(part, mode) as fh,
            tqdm(
                total=total,
                initial=have,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                desc=part.name.removesuffix(".part"),
                disable=not progress,
                leave=False,
            ) as bar,
        ):
            for chunk in resp.iter_content(_CHUNK):
                fh.write(chunk)
                bar.update(len(chunk))
        if total is not None and part.stat().st_size < total:
            raise requests.exceptions.ChunkedEncodingError(
                f"{url}: connection closed after {part.stat().st_size} of {total} bytes"
            )


# ---------------------------------------------------------------------------
# helpers for loaders: read a raw file keeping file line numbers, check it
# ---------------------------------------------------------------------------


def read_csv_lines(path: str | Path, *, encoding: str = "utf-8", **kwargs) -> pd.DataFrame:
    """Read a CSV with every column as string and the file line number as index.

    The header is line 1, so the first data row has index 2 (assumes no
    quoted field spans lines, true of every source read this way). Parser
    errors (a truncated quoted field, a row with too many fields) become a
    :class:`SourceError` naming the file. An empty file is an error too.
    """
    path = Path(path)
    try:
        df = pd.read_csv(
            path, dtype=str, keep_default_na=False, na_values=[""], encoding=encoding, **kwargs
        )
    except pd.errors.EmptyDataError:
        raise SourceError(path, "the file is empty (no header row)") from None
    except pd.errors.ParserError as exc:
        raise SourceError(path, f"cannot be parsed as CSV (truncated or corrupt?): {exc}") from None
    except UnicodeDecodeError as exc:
        raise SourceError(path, f"is not {encoding} text (corrupt or not a CSV?): {exc}") from None
    df.index = pd.RangeIndex(2, len(df) + 2, name="line")
    df.columns = [str(c).strip() for c in df.columns]
    return df


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
) -> pd.Series:
    """Parse a string column to ``Int64``; bad cells raise :class:`SourceError`.

    ``s.index`` must hold the file line numbers (as from :func:`read_csv_lines`).
    A cell that is not an integer (after removing thousands separators when
    ``thousands``), a missing cell (unless ``allow_na``) or a value below
    ``min_value`` (e.g. a negative count) is reported with its line(s).
    """
    raw = s.astype("string").str.strip()
    if thousands:
        raw = raw.str.replace(",", "", regex=False)
    num = pd.to_numeric(raw, errors="coerce")
    bad = (num.isna() & raw.notna()) | ((num % 1) != 0).fillna(False)
    if bad.any():
        rows = s.index[bad.to_numpy()]
        raise SourceError(
            path, f"expected an integer, got {s[bad].iloc[0]!r}", row=rows, column=column
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
                f"expected a value >= {min_value}, got {num[low].iloc[0]:g}",
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
