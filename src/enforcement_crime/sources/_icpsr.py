"""Reading steps shared by the ICPSR county-level UCR loaders (NACJD series 57).

:mod:`enforcement_crime.sources.ucr_icpsr_county` (part 4, offenses) and
:mod:`enforcement_crime.sources.ucr_icpsr_arrests` (part 1, arrests) read the
same kind of files: ASCII fixed width cut by a column layout, or an R file
holding one ``da<study>.<part>`` data frame. This module holds what they do
alike: cutting fixed-width records, reading the R file, checking numeric
cells, the FIPS codes and the coverage indicator, and telling the ICPSR study,
part and year. Each loader keeps its own column meanings and the words that
say which part it reads.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from enforcement_crime.sources._checks import SourceError

#: the series' page at NACJD
URL = "https://www.icpsr.umich.edu/web/NACJD/series/57"
LICENSE = "ICPSR terms of use (free account; no redistribution; cite ICPSR)."
#: the citation of one study of the series; each loader adds the part it reads
CITATION_STEM = (
    "United States Department of Justice. Office of Justice Programs. Federal Bureau of "
    "Investigation. Uniform Crime Reporting Program Data: County-Level Detailed Arrest and "
    "Offense Data, <year>. Inter-university Consortium for Political and Social Research "
    "[distributor]. "
)
#: a 4-digit data year (1994-2019) in a file name
YEAR = re.compile(r"(?<!\d)(199[4-9]|20[01]\d)(?!\d)")
#: suffixes of ASCII fixed-width data files
FIXED = (".txt", ".dat", ".asc")
# ICPSR file names: 33523-0004-Data.rda, 33523-0004-Setup.sas; R objects: da33523.0004
_ICPSR_NAME = re.compile(
    r"^(?:ICPSR_?)?(\d{4,5})-(\d{4})-(?:Data|Setup)(?![A-Za-z])", re.IGNORECASE
)
_R_OBJECT = re.compile(r"^da(\d{4,5})\.(\d{4})$")


def study_from_name(name: str) -> tuple[int, int] | None:
    """Return ``(study, part)`` from an ICPSR file or R object name, else None.

    ``"33523-0004-Data.rda"`` and ``"da33523.0004"`` give ``(33523, 4)``.
    """
    m = _ICPSR_NAME.match(name) or _R_OBJECT.match(name)
    return (int(m.group(1)), int(m.group(2))) if m else None


# ---------------------------------------------------------------- reading


def read_ascii(path: Path) -> str:
    """The text of a fixed-width file; a byte outside ASCII raises."""
    try:
        return path.read_text(encoding="ascii")
    except UnicodeDecodeError as exc:
        raise SourceError(
            path, f"is not ASCII text (corrupt, or not the fixed-width file?): {exc}"
        ) from None


def cut_fixed(
    path: Path,
    text: str,
    spans: Iterable[tuple[str, int, int, int]],
    check_line: Callable[[int, str], None],
) -> pd.DataFrame:
    """Cut fixed-width lines into text cells by ``spans`` (name, start, end, decimals).

    Blank lines are skipped; ``check_line(line_number, line)`` raises for a line
    of the wrong length. A field with implied decimals and no decimal point is
    divided by ``10**decimals``, as SAS, SPSS and Stata read it; a field that is
    not a number is left as text for the numeric check to name. The index is
    the file line, named ``row``.
    """
    spans = list(spans)
    rows = []
    for n, line in enumerate(text.splitlines(), start=1):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        check_line(n, line)
        rec: dict[str, object] = {"_line": n}
        for name, start, stop, dec in spans:
            cell = line[start - 1 : stop].strip()
            if dec and cell and "." not in cell:
                try:
                    cell = repr(int(cell) / 10**dec)
                except ValueError:
                    pass  # left as text: the numeric check names the cell
            rec[name] = cell
        rows.append(rec)
    if not rows:
        raise SourceError(path, "the file has no data lines")
    df = pd.DataFrame(rows).set_index("_line")
    df.index.name = "row"
    return df


def read_r(path: Path, object_name: str) -> tuple[pd.DataFrame, str]:
    """Read an R file holding one data frame; return it (upper-case columns, rows from 1).

    ``object_name`` is how the error message calls ICPSR's object
    (e.g. ``da<study>.<part>``).
    """
    import pyreadr

    try:
        objects = pyreadr.read_r(str(path))
    except Exception as exc:  # pyreadr raises LibrdataError / PyreadrError for corrupt files
        raise SourceError(
            path, f"cannot be read as an R data file (truncated or corrupt?): {exc}"
        ) from None
    frames = {k: v for k, v in objects.items() if isinstance(v, pd.DataFrame)}
    if len(frames) != 1:
        raise SourceError(
            path,
            f"expected one data frame in the R file (ICPSR's {object_name}), found "
            f"{len(frames)}: {sorted(str(k) for k in frames)}",
        )
    name, df = next(iter(frames.items()))
    return numbered(df), str(name)


def numbered(df: pd.DataFrame) -> pd.DataFrame:
    """Upper-case, stripped column names and a ``row`` index counting records from 1."""
    df = df.reset_index(drop=True)
    df.columns = [str(c).strip().upper() for c in df.columns]
    df.index = pd.RangeIndex(1, len(df) + 1, name="row")
    return df


# ---------------------------------------------------------------- checks


def num(df: pd.DataFrame, col: str, path: Path, *, integer: bool = True) -> pd.Series:
    """One column as non-negative float numbers (whole ones unless ``integer=False``).

    A blank cell is missing; a cell that is not a number, a fraction where a
    whole number is expected, or a negative value raises naming the row and
    column.
    """
    s = df[col]
    if pd.api.types.is_numeric_dtype(s):
        values = s.astype("float64")
        bad = np.zeros(len(s), dtype=bool)
    else:
        raw = s.astype("string").str.strip().replace("", pd.NA)
        values = pd.to_numeric(raw, errors="coerce").astype("float64")
        bad = (values.isna() & raw.notna()).to_numpy(dtype=bool)
    if integer:
        bad = bad | ((values % 1 != 0) & values.notna()).to_numpy(dtype=bool)
    if bad.any():
        raise SourceError(
            path,
            f"expected a {'whole ' if integer else ''}number, got {s[bad].iloc[0]!r}",
            row=df.index[bad],
            column=col,
        )
    low = (values < 0).to_numpy(dtype=bool)
    if low.any():
        raise SourceError(
            path,
            f"expected a non-negative value, got {values[low].iloc[0]:g}",
            row=df.index[low],
            column=col,
        )
    return values


def num_or_missing(
    df: pd.DataFrame, col: str, path: Path
) -> pd.Series | pd.api.extensions.ExtensionArray:
    """A whole-number column as ``Int64``, or all missing when the file lacks it."""
    if col in df.columns:
        return num(df, col, path).astype("Int64")
    return pd.array([pd.NA] * len(df), dtype="Int64")


def single(df: pd.DataFrame, col: str, path: Path) -> int | None:
    """The one value of an ID column (STUDYNO, PART, YEAR), None when absent; several raise."""
    if col not in df.columns:
        return None
    vals = num(df, col, path).dropna().unique()
    if len(vals) > 1:
        raise SourceError(
            path,
            f"expected one value in column {col} (one study, part and year per file), "
            f"found {sorted(int(v) for v in vals)[:5]}",
            column=col,
        )
    return int(vals[0]) if len(vals) else None


def fips(df: pd.DataFrame, path: Path) -> tuple[pd.Series, pd.Series]:
    """``state_fips`` (2 digits) and ``county_fips`` (3 digits) from FIPS_ST and FIPS_CTY.

    A missing code or one with too many digits raises.
    """
    st = num(df, "FIPS_ST", path)
    co = num(df, "FIPS_CTY", path)
    if st.isna().any() or co.isna().any():
        bad = st.isna() | co.isna()
        raise SourceError(
            path,
            "missing FIPS code",
            row=df.index[bad.to_numpy()],
            column="FIPS_ST" if st.isna().any() else "FIPS_CTY",
        )
    for name, s, top in (("FIPS_ST", st, 99), ("FIPS_CTY", co, 999)):
        over = s > top
        if over.any():
            raise SourceError(
                path,
                f"FIPS code {s[over].iloc[0]:g} has more than {len(str(top))} digits",
                row=df.index[over.to_numpy()],
                column=name,
            )
    return (
        st.astype("int64").astype("string").str.zfill(2),
        co.astype("int64").astype("string").str.zfill(3),
    )


def coverage(df: pd.DataFrame, path: Path) -> pd.Series:
    """ICPSR's coverage indicator COVIND as float in [0, 100]; above 100 raises."""
    cov = num(df, "COVIND", path, integer=False)
    high = (cov > 100).to_numpy(dtype=bool)
    if high.any():
        raise SourceError(
            path,
            f"coverage indicator above 100: {cov[high].iloc[0]:g}",
            row=df.index[high],
            column="COVIND",
        )
    return cov


# ---------------------------------------------------------------- study, part and year


def study(
    df: pd.DataFrame,
    path: Path,
    obj: str | None,
    *,
    part: int,
    what: str,
    name_note: str,
    column_note: str,
    use_studyno: Callable[[int], bool],
) -> tuple[int | None, list[tuple[str, int, int]]]:
    """The ICPSR study of a file, from its name, R object name and STUDYNO column.

    A part other than ``part`` (in a name or the PART column) raises with
    "``what`` are part ``part``" and the note; the STUDYNO column counts only
    when ``use_studyno`` accepts it (ICPSR writes a placeholder there in some
    files). Study numbers that disagree raise. Returns the study (or None) and
    the (where, study, part) list it came from.
    """
    studies: list[tuple[str, int, int]] = []  # (where, study, part)
    for where, name in ((f"file name {path.name!r}", path.name), (f"R object {obj!r}", obj)):
        got = study_from_name(name) if name else None
        if got:
            studies.append((where, *got))
    studyno = single(df, "STUDYNO", path)
    if studyno is not None and use_studyno(studyno):
        studies.append(("column STUDYNO", studyno, -1))
    in_column = single(df, "PART", path)
    for where, _, p in studies:
        if p not in (-1, part):
            raise SourceError(
                path, f"{where} says ICPSR part {p}; {what} are part {part}{name_note}"
            )
    if in_column is not None and in_column != part:
        raise SourceError(
            path,
            f"column PART is {in_column}; {what} are part {part}{column_note}",
            column="PART",
        )
    numbers = sorted({s for _, s, _ in studies})
    if len(numbers) > 1:
        raise SourceError(
            path,
            "the ICPSR study numbers disagree: " + ", ".join(f"{w}: {s}" for w, s, _ in studies),
        )
    return (numbers[0] if numbers else None), studies


def year(path: Path, candidates: list[tuple[str, int]], cannot: str) -> tuple[int, str]:
    """The year from (where, year) candidates in order of precedence, then the file name.

    None at all raises ``cannot``; candidates that disagree raise. Returns
    (year, where it came from).
    """
    candidates = list(candidates)
    in_name = YEAR.findall(path.name)
    if in_name:
        candidates.append((f"file name {path.name!r}", int(in_name[-1])))
    if not candidates:
        raise SourceError(path, cannot)
    if len({y for _, y in candidates}) > 1:
        raise SourceError(
            path,
            "the year sources disagree: " + ", ".join(f"{w} says {y}" for w, y in candidates),
        )
    where, value = candidates[0]
    return value, where
