"""Census Bureau county adjacency file (2010 vintage): every county's neighbours.

Reads ``county_adjacency.txt`` in its original layout: tab-separated, no
header, **Latin-1** encoded (e.g. ``"Doña Ana County, NM"``), four fields per
line: county name (quoted), county FIPS (5 digits), neighbour name (quoted),
neighbour FIPS. The first two fields are filled only on the first line of each
county's block; the following lines of the block leave them empty (the line
starts with two tabs). Each county lists itself as its own first neighbour.

Encoding: the Census file is Latin-1. The public byte copy the project checked
(:data:`MIRROR_URL`, :data:`SHA256`) is not: its 17 names with a non-ASCII
letter (Doña Ana NM and 16 Puerto Rico municipios) carry the UTF-8 bytes of
U+FFFD (the replacement character) in place of that letter, so the copy is
valid UTF-8 and its checksum cannot be the Census file's. The loader decodes a
file that is valid UTF-8 as UTF-8, any other as Latin-1; names with a lost
letter keep U+FFFD and are counted in ``attrs["names_with_lost_letters"]``.
The FIPS codes, the only fields the designs use, are ASCII in both.

Columns of the returned frame
-----------------------------
``fips`` and ``county_name`` (the block's county, carried down its
continuation lines), ``neighbor_fips`` and ``neighbor_name`` (quotes
removed); one row per line of the file (self-pairs included), the index is
the 1-based line of the file (``row``).

Checks
------
:func:`load` refuses a line without four fields (a cut last line), a FIPS
that is not five digits, a continuation line before any county, a county whose
block appears twice, a repeated neighbour in a block, and an asymmetric
relation (``A`` lists ``B`` but ``B`` does not list ``A``): each error names
file, line and column. :func:`completeness` compares the full file with the
counts the Census file has (:data:`N_COUNTIES` counties, :data:`N_LINES`
lines). :func:`pairs` turns the frame into undirected county pairs.

Geography is that of 2010: later FIPS changes (46113 Shannon SD -> 46102
Oglala Lakota, 02270 Wade Hampton AK -> 02158 Kusilvak, Bedford city VA 51515
merged into 51019 in 2013) are not in the file; :data:`FIPS_TO_2010` maps the
renamed codes back.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from enforcement_crime import config
from enforcement_crime.sources._checks import SourceError
from enforcement_crime.sources._download import fetch_file

__all__ = [
    "CITATION",
    "URL",
    "MIRROR_URL",
    "LICENSE",
    "SHA256",
    "SOURCE",
    "FILE_NAME",
    "N_COUNTIES",
    "N_LINES",
    "FIPS_TO_2010",
    "load",
    "fetch",
    "pairs",
    "completeness",
]

SOURCE = "census_adjacency"
FILE_NAME = "county_adjacency.txt"
CITATION = (
    "U.S. Census Bureau. County Adjacency File (2010 vintage), county_adjacency.txt. "
    "https://www.census.gov/geographies/reference-files/2010/geo/county-adjacency.html"
)
#: the Census Bureau's public copy of the 2010 file (Latin-1; no checksum on record: see the module docstring)
URL = "https://www2.census.gov/geo/docs/reference/county_adjacency.txt"
#: a public copy of the same file at a fixed commit (the bytes :data:`SHA256` registers; its
#: non-ASCII letters replaced by U+FFFD)
MIRROR_URL = (
    "https://raw.githubusercontent.com/dingkimberly/us-counties/"
    "92b1c56f7f8877db7cf8b64939d2ce069c82735a/county_adjacency.txt"
)
LICENSE = "Public domain (U.S. federal government work, 17 U.S.C. 105)."
#: sha256 of the mirror copy (:data:`MIRROR_URL`), as recorded in the PROVENANCE.md of the
#: project's read-only copy; the Census file itself differs in its 17 non-ASCII names
SHA256: dict[str, str | None] = {
    FILE_NAME: "d026dac6f1bc59a4b43c88a1cfbcd1dd3c17c935bb7d5e8aefa302290d801a46",
}
#: counties (blocks) and lines of the full 2010 file (PROVENANCE.md of the shared copy)
N_COUNTIES = 3_234
N_LINES = 22_200
#: FIPS codes created after 2010 -> the 2010 code of the same area
FIPS_TO_2010: dict[str, str] = {"46102": "46113", "02158": "02270"}

COLUMNS = ("county_name", "fips", "neighbor_name", "neighbor_fips")
_FIPS = re.compile(r"\d{5}")


def fetch(dest: str | Path | None = None, *, mirror: bool = False, progress: bool = True) -> Path:
    """Download ``county_adjacency.txt`` into ``dest`` (default ``data/raw/census_adjacency``).

    By default from the Census Bureau (:data:`URL`), unverified: no checksum
    of the Census bytes is on record (the loader's symmetry check and
    :func:`completeness` check the content). ``mirror=True`` downloads the
    copy the project checked (:data:`MIRROR_URL`), verified against
    :data:`SHA256`.
    """
    dest = Path(dest) if dest is not None else config.raw_dir(SOURCE)
    dest.mkdir(parents=True, exist_ok=True)
    if mirror:
        return fetch_file(MIRROR_URL, dest / FILE_NAME, SHA256[FILE_NAME], progress=progress)
    return fetch_file(URL, dest / FILE_NAME, None, progress=progress)


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        return text[1:-1]
    return text


def load(path: str | Path) -> pd.DataFrame:
    """Read a county adjacency file in the Census layout (see the module docstring).

    Parameters
    ----------
    path : str or Path
        ``county_adjacency.txt`` (or a file in the same layout).

    Returns
    -------
    pandas.DataFrame
        One row per line: ``fips``, ``county_name``, ``neighbor_fips``,
        ``neighbor_name``; index ``row``, the 1-based line of the file.

    Raises
    ------
    SourceError
        A line with another number of fields, a FIPS that is not five
        digits, a continuation line before the first county, a county block
        given twice, a neighbour repeated within a block, an asymmetric pair,
        or no line at all; each names file, line and column.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file (Census county adjacency file expected)")
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")  # the checked mirror copy (see the module docstring)
    except UnicodeDecodeError:
        text = data.decode("latin-1")  # the Census file
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the final newline (the Census file has none)
    if not lines:
        raise SourceError(path, "no lines (empty file)")
    records: list[tuple[str, str, str, str]] = []
    rows: list[int] = []
    county = name = None
    blocks: dict[str, int] = {}
    seen: set[tuple[str, str]] = set()
    for i, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r")
        fields = line.split("\t")
        if len(fields) != 4:
            raise SourceError(
                path,
                f"expected 4 tab-separated fields (county name, county FIPS, neighbour name, "
                f"neighbour FIPS), got {len(fields)}: {line[:60]!r} (truncated or not the Census layout?)",
                row=i,
            )
        c_name, c_fips, n_name, n_fips = (f.strip() for f in fields)
        if c_name or c_fips:
            if not _FIPS.fullmatch(c_fips):
                raise SourceError(path, f"expected a 5-digit county FIPS, got {c_fips!r}",
                                  row=i, column="fips")  # fmt: skip
            if c_fips in blocks:
                raise SourceError(path, f"county {c_fips} starts a second block (first at line "
                                        f"{blocks[c_fips]})", row=i, column="fips")  # fmt: skip
            blocks[c_fips] = i
            county, name = c_fips, _unquote(c_name)
        elif county is None:
            raise SourceError(path, "a continuation line (empty county fields) before any county",
                              row=i, column="fips")  # fmt: skip
        if not _FIPS.fullmatch(n_fips):
            raise SourceError(path, f"expected a 5-digit neighbour FIPS, got {n_fips!r}",
                              row=i, column="neighbor_fips")  # fmt: skip
        if (county, n_fips) in seen:
            raise SourceError(path, f"neighbour {n_fips} listed twice for county {county}",
                              row=i, column="neighbor_fips")  # fmt: skip
        seen.add((county, n_fips))
        records.append((county, name, n_fips, _unquote(n_name)))
        rows.append(i)
    out = pd.DataFrame(records, columns=["fips", "county_name", "neighbor_fips", "neighbor_name"],
                       index=pd.Index(rows, name="row")).astype("string")  # fmt: skip
    asym = [r for (a, b), r in zip(_pairs_of(out), rows, strict=True) if (b, a) not in seen]
    if asym:
        r = asym[0]
        a, b = out.loc[r, "fips"], out.loc[r, "neighbor_fips"]
        raise SourceError(path, f"county {a} lists {b} as a neighbour but {b} does not list {a} "
                                "(the relation must be symmetric; truncated file?)",
                          row=asym, column="neighbor_fips")  # fmt: skip
    names = set(out["county_name"].dropna()) | set(out["neighbor_name"].dropna())
    lost = sum("\ufffd" in n for n in names)
    out.attrs.update(source_file=str(path), names_with_lost_letters=lost)
    return out


def _pairs_of(frame: pd.DataFrame) -> list[tuple[str, str]]:
    """The (county, neighbour) pairs of a loaded frame, in its row order."""
    return list(zip(frame["fips"].tolist(), frame["neighbor_fips"].tolist(), strict=True))


def pairs(frame: pd.DataFrame) -> pd.DataFrame:
    """Undirected pairs of distinct adjacent counties: ``fips_a < fips_b``, one row each, sorted."""
    a, b = frame["fips"].astype(str), frame["neighbor_fips"].astype(str)
    keep = (a < b).to_numpy()
    out = pd.DataFrame({"fips_a": a[keep].to_numpy(), "fips_b": b[keep].to_numpy()})
    return out.sort_values(["fips_a", "fips_b"]).reset_index(drop=True).astype("string")


def completeness(path: str | Path) -> str | None:
    """Why a file named ``county_adjacency.txt`` looks incomplete (not the 2010 counts), or None.

    Other file names, and files the loader refuses anyway, give None.
    """
    path = Path(path)
    if path.name != FILE_NAME:
        return None
    try:
        df = load(path)
    except (SourceError, OSError):
        return None
    n_counties, n_lines = df["fips"].nunique(), len(df)
    if (n_counties, n_lines) == (N_COUNTIES, N_LINES):
        return None
    return (
        f"{n_counties:,} counties and {n_lines:,} lines where the 2010 Census file has "
        f"{N_COUNTIES:,} and {N_LINES:,} (cut short or filtered?)"
    )
