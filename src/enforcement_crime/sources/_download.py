"""Downloads shared by every source module, and the login message.

``fetch_file`` downloads a public file into ``data/raw/<source>/`` through
:func:`pooch.retrieve`: pooch decides whether the file is already there with
the registered sha256 (the cache: no network access), otherwise downloads it
into a temporary file beside the target, verifies the sha256 and only then
moves it over the target. The bytes come from :class:`ResumingDownloader`
(a :class:`pooch.HTTPDownloader`) which streams into ``<name>.part`` with a
tqdm progress bar, resumes a partial ``.part`` with an HTTP ``Range`` header,
retries with exponential back-off and refuses an HTML page (a login or error
page) where a data file was expected, even when no checksum is registered.

An existing file is never removed or truncated by a failed fetch: a checksum
mismatch, a refused HTML page, a server that is down or a lost connection all
leave the old file as it was (the error says so).

Where a source needs a login (openICPSR, ICPSR), :func:`login_required` raises
:class:`LoginRequired` whose message says exactly what to download, from where,
and where to put it; the ``data`` CLI turns it into a non-zero exit with that
message.

Download failures are :class:`~enforcement_crime.sources._checks.SourceError`
subclasses (:class:`ChecksumMismatch`, :class:`NotADataFile`) naming the file.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pooch
import requests
from tqdm.auto import tqdm

from enforcement_crime.sources._checks import SourceError

__all__ = [
    "ChecksumMismatch",
    "LoginRequired",
    "NotADataFile",
    "ResumingDownloader",
    "fetch_file",
    "fetch_all",
    "login_required",
    "sha256_of",
]

_CHUNK = 1 << 16
_SNIFF = 4096  # bytes read from the start of a file to recognise an HTML page


class ChecksumMismatch(SourceError):
    """A downloaded or cached file does not have the registered sha256."""


class NotADataFile(SourceError):
    """An HTML page (a login or error page) arrived, or sits, where a data file was expected."""


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
    """Return the hex sha256 of a file (the package's one file-checksum function)."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


# ---------------------------------------------------------------------------
# downloads (pooch)
# ---------------------------------------------------------------------------


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
        checksum is returned without any network access, and a download
        replaces ``dest`` only once it has this checksum.
    retries : int
        Further attempts after a failed one (network error, lost connection or
        HTTP 5xx), waiting ``backoff * 2**k`` seconds before attempt ``k + 1``.
        A 4xx answer is not retried.
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
        The download does not match ``sha256``; the message names the file,
        the expected and the obtained checksum. ``dest`` is unchanged.
    NotADataFile
        The server sent an HTML page (a login or error page), or, without
        ``sha256``, the cached ``dest`` is one. ``dest`` is unchanged.
    requests.HTTPError
        A 4xx answer, or a 5xx after all retries (``dest`` unchanged).
    requests.ConnectionError, requests.Timeout
        After all retries (``dest`` unchanged).

    Notes
    -----
    The bytes stream into ``<dest>.part``; when that file exists (an earlier
    attempt was cut), the next attempt asks for the rest with
    ``Range: bytes=<size>-`` and a server that ignores the header (status 200)
    restarts the file from zero. A complete ``.part`` is handed to
    :func:`pooch.retrieve`, which checks the sha256 and only then moves it
    over ``dest``. A checksum mismatch after a resumed download is retried
    once from zero (the kept part may have been a stale version of the file).
    Without ``sha256``, an existing ``dest`` is taken as cached unless it is
    an HTML page.
    """
    dest = Path(dest)
    if dest.is_dir():
        dest = dest / url.rstrip("/").rsplit("/", 1)[-1]
    dest.parent.mkdir(parents=True, exist_ok=True)
    expected = sha256.strip().lower() if sha256 else None
    if expected is None and dest.is_file():
        _refuse_cached_html(dest, url)
        return dest
    for fresh_start in (False, True):
        existed = dest.is_file()
        downloader = ResumingDownloader(
            dest, retries=retries, backoff=backoff, timeout=timeout, progressbar=progress
        )
        try:
            with _quiet_pooch():
                pooch.retrieve(
                    url,
                    known_hash=f"sha256:{expected}" if expected else None,
                    fname=dest.name,
                    path=dest.parent,
                    downloader=downloader,
                )
            return dest
        except SourceError:
            raise
        except ValueError:
            # pooch's hash check failed (it raises a plain ValueError and has
            # already deleted its temporary file; dest is untouched)
            got = downloader.sha256
            if expected is None or got is None or got == expected:
                raise
            if downloader.resumed and not fresh_start:
                continue
            kept = "the existing file was kept unchanged" if existed else "nothing was written"
            raise ChecksumMismatch(
                dest,
                f"download from {url}: sha256 mismatch: expected {expected}, got {got}; {kept}. "
                "If the publisher re-issued the file, check it and update the source's "
                "SHA256 registry.",
            ) from None
        except requests.RequestException as exc:
            raise _kept(exc, url, dest, existed, downloader) from exc
    raise AssertionError("unreachable")  # pragma: no cover


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


class ResumingDownloader(pooch.HTTPDownloader):
    """A :class:`pooch.HTTPDownloader` that resumes, retries and refuses HTML pages.

    pooch calls it with a temporary file name beside the target; it streams
    the URL into ``<dest>.part`` (kept between attempts and between runs),
    checks that what arrived is no HTML page, records its sha256 and moves it
    onto pooch's temporary file, which pooch verifies and moves over ``dest``.

    Parameters
    ----------
    dest : Path
        The final file (its ``.part`` sibling holds the bytes in transit).
    retries, backoff, timeout
        As :func:`fetch_file`.
    progressbar : bool
        Show a tqdm progress bar (it starts at the resumed size).

    Notes
    -----
    Kept by hand rather than taken from pooch, because pooch cannot do it:

    - *resume*: pooch streams every attempt into a fresh temporary file, so a
      cut transfer of a large file starts again from zero; here the ``.part``
      survives and the next request asks only for the missing bytes;
    - *retries*: pooch's ``retry_if_failed`` (only on :class:`pooch.Pooch`, not
      :func:`pooch.retrieve`) retries every request error, a 404 or 403
      included, and a checksum mismatch, with fixed 1-10 s waits; here a 4xx is
      final, 5xx and network errors back off exponentially, and each retry
      resumes the ``.part``;
    - *truncation*: a body shorter than its ``Content-Length`` is an error
      (then resumed), not a short file;
    - *HTML refusal*: pooch saves whatever the server sends.
    """

    def __init__(
        self,
        dest: Path,
        *,
        retries: int = 3,
        backoff: float = 1.0,
        timeout: float = 60.0,
        progressbar: bool = True,
    ):
        super().__init__(progressbar=progressbar, chunk_size=_CHUNK, timeout=timeout)
        self.dest = Path(dest)
        self.part = self.dest.with_name(self.dest.name + ".part")
        self.retries = retries
        self.backoff = backoff
        self.resumed = False  # whether any bytes came from a Range request
        self.attempts = 0
        self.sha256: str | None = None  # of the complete download handed to pooch

    def __call__(self, url, output_file, pooch_obj, check_only=False):
        """Download ``url`` into ``output_file`` (pooch's downloader protocol)."""
        if check_only:
            return super().__call__(url, output_file, pooch_obj, check_only=True)
        content_type = self._with_retries(url)
        try:
            _refuse_html(self.part, url, self.dest, content_type)
        except NotADataFile:
            self.part.unlink(missing_ok=True)  # an HTML page is no prefix to resume
            raise
        self.sha256 = sha256_of(self.part)
        os.replace(self.part, output_file)
        return None

    def _with_retries(self, url: str) -> str | None:
        attempt = 0
        while True:
            self.attempts = attempt + 1
            try:
                return self._once(url)
            except requests.HTTPError as exc:
                status = exc.response.status_code if exc.response is not None else None
                if status == 416:  # range not satisfiable: the .part is complete or corrupt
                    self.part.unlink(missing_ok=True)
                elif status is not None and status < 500:
                    raise
                if attempt >= self.retries:
                    raise
            except (
                requests.ConnectionError,
                requests.Timeout,
                requests.exceptions.ChunkedEncodingError,
            ):
                if attempt >= self.retries:
                    raise
            time.sleep(self.backoff * 2**attempt)
            attempt += 1

    def _once(self, url: str) -> str | None:
        """One request; appends to the ``.part``; returns the Content-Type."""
        have = self.part.stat().st_size if self.part.exists() else 0
        headers = {"Range": f"bytes={have}-"} if have else {}
        with requests.get(url, stream=True, headers=headers, **self.kwargs) as resp:
            resp.raise_for_status()
            if have and resp.status_code != 206:
                have = 0  # the server ignored the range: start again
            if have:
                self.resumed = True
            length = resp.headers.get("Content-Length")
            total = int(length) + have if length is not None else None
            with (
                open(self.part, "ab" if have else "wb") as fh,
                tqdm(
                    total=total,
                    initial=have,
                    unit="B",
                    unit_scale=True,
                    unit_divisor=1024,
                    desc=self.dest.name,
                    disable=not self.progressbar,
                    leave=False,
                ) as bar,
            ):
                for chunk in resp.iter_content(self.chunk_size):
                    fh.write(chunk)
                    bar.update(len(chunk))
            if total is not None and self.part.stat().st_size < total:
                raise requests.exceptions.ChunkedEncodingError(
                    f"{url}: connection closed after {self.part.stat().st_size} of {total} bytes"
                )
            return resp.headers.get("Content-Type")


@contextlib.contextmanager
def _quiet_pooch() -> Iterator[None]:
    """Mute pooch's INFO lines (they advise calling pooch.retrieve, which users do not)."""
    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def _kept(
    exc: requests.RequestException,
    url: str,
    dest: Path,
    existed: bool,
    downloader: ResumingDownloader,
) -> requests.RequestException:
    """The same exception type, its message saying that nothing was lost."""
    kept = f"the existing {dest} was kept unchanged" if existed else f"{dest} was not created"
    partial = ""
    if downloader.part.exists() and downloader.part.stat().st_size:
        partial = f"; {downloader.part.stat().st_size:,} bytes kept in {downloader.part.name}"
        partial += " are resumed next time"
    msg = f"{url}: download failed after {downloader.attempts} attempt(s): {exc}; {kept}{partial}"
    try:
        return type(exc)(msg, request=exc.request, response=exc.response)
    except TypeError:  # pragma: no cover - every requests exception takes these
        return exc


_HTML_START = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body)\b", re.I | re.S)
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.I | re.S)


def _html_head(path: Path, content_type: str | None) -> bytes | None:
    """The first bytes of ``path`` when it is an HTML page, else None.

    An HTML page is recognised by its first tag (``<!doctype html``, ``<html``,
    ``<head``, ``<body``, after a byte-order mark, white space or comments), or
    by a ``text/html`` Content-Type together with a first character ``<``: a
    CSV, Excel or parquet file never starts with ``<``, so a data file that a
    misconfigured server labels ``text/html`` still passes.
    """
    if path.suffix.lower() in {".html", ".htm"}:
        return None  # an HTML file was asked for
    with open(path, "rb") as fh:
        head = fh.read(_SNIFF)
    text = head.removeprefix(b"\xef\xbb\xbf")
    ctype = (content_type or "").split(";")[0].strip().lower()
    if _HTML_START.match(text):
        return head
    if ctype in {"text/html", "application/xhtml+xml"} and text.lstrip().startswith(b"<"):
        return head
    return None


def _describe_html(head: bytes) -> str:
    title = _TITLE.search(head)
    if title:
        text = " ".join(title.group(1).decode("utf-8", "replace").split())[:80]
        return f"an HTML page titled {text!r}"
    return "an HTML page"


def _refuse_html(part: Path, url: str, dest: Path, content_type: str | None) -> None:
    head = _html_head(part, content_type)
    if head is None:
        return
    kept = "the existing file was kept unchanged" if dest.is_file() else "nothing was written"
    raise NotADataFile(
        dest,
        f"the server sent {_describe_html(head)} (Content-Type {content_type or 'not given'}) "
        f"instead of a data file: the site probably asks for a login or shows an error, or "
        f"the address moved; {kept}.\n"
        f"  Download: {dest.name} (by hand, in a browser)\n"
        f"  From:     {url}\n"
        f"  Put in:   {dest.parent}/\n"
        f"then run the command again.",
    )


def _refuse_cached_html(dest: Path, url: str) -> None:
    head = _html_head(dest, None)
    if head is None:
        return
    raise NotADataFile(
        dest,
        f"is {_describe_html(head)}, not a data file (a login or error page saved by an "
        f"earlier download?). It was left in place: delete it and fetch again, or\n"
        f"  Download: {dest.name} (by hand, in a browser)\n"
        f"  From:     {url}\n"
        f"  Put in:   {dest.parent}/",
    )
