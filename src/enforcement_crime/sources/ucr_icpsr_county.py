"""ICPSR/NACJD county-level UCR files (offenses part), 1994-2016.

*Uniform Crime Reporting Program Data: County-Level Detailed Arrest and
Offense Data* (one ICPSR study per year, e.g. 33523, 34582, 35019, 36117,
36399). Formats read: the fixed-width ASCII file with the widths listed in
``../shared/docs/DATA_SOURCES.md``, the tab-separated file and the Stata file
(same variable names). No real copy is available to the project: the
committed fixtures are made up in that layout, to be verified against the
codebook when a user has the files.

Fixed-width layout (characters): STUDYNO 4, EDITION 1, PART 1, IDNO 4,
FIPS_ST 2, FIPS_CTY 3, CPOPARST 8, CPOPCRIM 8, AG_ARRST 3, AG_OFF 3, COVIND 8,
INDEX 6, MODINDX 6, MURDER 4, RAPE 4, ROBBERY 5, AGASSLT 5, BURGLRY 6,
LARCENY 6, MVTHEFT 6, ARSON 4 (97 characters). In the 2009-2014 files the
fields in the INDEX and MODINDX positions hold VIOLENT and PROPERTY totals.

Columns of the returned frame
-----------------------------
``fips`` (5 digits), ``state_fips``, ``county_fips``, ``year``,
``population`` (``CPOPCRIM``, population covered for offenses),
``population_arrests`` (``CPOPARST``), ``agencies_offenses`` (``AG_OFF``),
``agencies_arrests`` (``AG_ARRST``), ``coverage`` (``COVIND``, ICPSR's coverage
indicator in [0, 100]), ``index_total`` and ``modified_index`` (before 2009;
missing from 2009), ``violent`` and ``property`` (from 2009 when the file
holds them; missing before), ``murder``, ``rape``, ``robbery``,
``aggravated_assault``, ``burglary``, ``larceny``, ``motor_vehicle_theft``,
``arson`` (``Int64``) and ``no_data`` (bool).

Notes
-----
The codebooks say a coverage indicator of 0 with every offense field 0 means
*no data*, not zero crime: such rows keep their place, get ``no_data = True``
and every count set to missing. ICPSR scales agencies reporting 3-11 months by
12/months and imputes agencies reporting 0-2 months from full reporters in the
same state and population group; Maltz & Targonski (2002) judge this
inadequate for policy work, so ``coverage`` is kept for filtering.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from enforcement_crime import config
from enforcement_crime.sources._fetch import SourceError, login_required
from enforcement_crime.sources.ucr_kaplan import check_last_line

__all__ = ["CITATION", "URL", "LICENSE", "SOURCE", "LOGIN", "WIDTHS", "load", "fetch"]

SOURCE = "ucr_icpsr_county"
CITATION = (
    "United States Department of Justice. Office of Justice Programs. Federal Bureau of "
    "Investigation. Uniform Crime Reporting Program Data: County-Level Detailed Arrest and "
    "Offense Data, <year>. Inter-university Consortium for Political and Social Research "
    "[distributor]. (e.g. ICPSR 33523, 34582, 35019, 36117, 36399)"
)
URL = "https://www.icpsr.umich.edu/web/NACJD/series/57"
LICENSE = "ICPSR terms of use (free account; no redistribution; cite ICPSR)."
LOGIN = {
    "what": "UCR County-Level Detailed Arrest and Offense Data, <year>: the 'County-level offenses' "
    "data set (DS4 in most years) as ASCII, Delimited (tsv) or Stata, one file per year; keep the "
    "year in the file name (e.g. county_offenses_2010.txt)",
    "where_from": f"{URL} (free ICPSR account; one study per year)",
}

WIDTHS: tuple[tuple[str, int], ...] = (
    ("STUDYNO", 4),
    ("EDITION", 1),
    ("PART", 1),
    ("IDNO", 4),
    ("FIPS_ST", 2),
    ("FIPS_CTY", 3),
    ("CPOPARST", 8),
    ("CPOPCRIM", 8),
    ("AG_ARRST", 3),
    ("AG_OFF", 3),
    ("COVIND", 8),
    ("INDEX", 6),
    ("MODINDX", 6),
    ("MURDER", 4),
    ("RAPE", 4),
    ("ROBBERY", 5),
    ("AGASSLT", 5),
    ("BURGLRY", 6),
    ("LARCENY", 6),
    ("MVTHEFT", 6),
    ("ARSON", 4),
)
_LINE = sum(w for _, w in WIDTHS)
_OFFENSES = {
    "MURDER": "murder",
    "RAPE": "rape",
    "ROBBERY": "robbery",
    "AGASSLT": "aggravated_assault",
    "BURGLRY": "burglary",
    "LARCENY": "larceny",
    "MVTHEFT": "motor_vehicle_theft",
    "ARSON": "arson",
}
_YEAR = re.compile(r"(?<!\d)(199[4-9]|20[01]\d)(?!\d)")


def fetch(dest: str | Path | None = None) -> None:
    """ICPSR needs a login: raise :class:`LoginRequired` saying what to download and where to put it."""
    dest = Path(dest) if dest is not None else config.raw_dir(SOURCE)
    login_required(SOURCE, LOGIN["what"], LOGIN["where_from"], dest)


def violent_property_layout(year: int) -> bool:
    """True when the INDEX/MODINDX positions hold VIOLENT/PROPERTY (the 2009-2014 files)."""
    return 2009 <= int(year) <= 2014


def _read_fixed(path: Path) -> pd.DataFrame:
    try:
        text = path.read_text(encoding="ascii")
    except UnicodeDecodeError as exc:
        raise SourceError(
            path, f"is not ASCII text (corrupt, or not the fixed-width file?): {exc}"
        ) from None
    lines = text.splitlines()
    rows = []
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if len(line.rstrip("\r")) < _LINE:
            raise SourceError(
                path,
                f"line has {len(line)} characters, the fixed-width layout needs {_LINE} "
                "(truncated file or another layout?)",
                row=n,
            )
        rec, pos = {"_line": n}, 0
        for name, width in WIDTHS:
            rec[name] = line[pos : pos + width].strip()
            pos += width
        rows.append(rec)
    if not rows:
        raise SourceError(path, "the file has no data lines")
    df = pd.DataFrame(rows).set_index("_line")
    df.index.name = "row"
    return df


def _read(path: Path) -> pd.DataFrame:
    suffix = path.suffix.lower()
    if suffix in (".txt", ".dat", ".asc"):
        return _read_fixed(path)
    try:
        if suffix in (".tsv", ".tab"):
            check_last_line(path, "\t")
            df = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, na_values=[""])
        elif suffix == ".dta":
            df = pd.read_stata(path, convert_categoricals=False)
        else:
            raise SourceError(
                path, f"unknown format {suffix!r} (expected .txt fixed width, .tsv or .dta)"
            )
    except SourceError:
        raise
    except Exception as exc:
        raise SourceError(
            path, f"cannot be read as an ICPSR county {suffix} file (truncated or corrupt?): {exc}"
        ) from None
    df.columns = [str(c).strip().upper() for c in df.columns]
    df = df.reset_index(drop=True)
    df.index = pd.RangeIndex(2, len(df) + 2, name="row")
    return df


def _num(df: pd.DataFrame, col: str, path: Path, *, integer: bool = True) -> pd.Series:
    s = df[col]
    raw = s.astype("string").str.strip()
    num = pd.to_numeric(raw, errors="coerce")
    bad = num.isna() & raw.notna() & (raw != "")
    if integer:
        bad |= (((num % 1) != 0) & num.notna()).fillna(False)
    if bad.any():
        raise SourceError(
            path,
            f"expected a {'whole ' if integer else ''}number, got {s[bad].iloc[0]!r}",
            row=df.index[bad.to_numpy()],
            column=col,
        )
    low = (num < 0).fillna(False)
    if low.any():
        raise SourceError(
            path,
            f"expected a non-negative value, got {num[low].iloc[0]:g}",
            row=df.index[low.to_numpy()],
            column=col,
        )
    return num


def load(path: str | Path, year: int | None = None) -> pd.DataFrame:
    """Read one ICPSR county-level UCR offense file (fixed width, tsv or dta).

    Parameters
    ----------
    path : str or Path
        The data file. Fixed width: ``.txt``, ``.dat`` or ``.asc``.
    year : int, optional
        The data year. The files carry no year variable; when omitted, a
        ``YEAR`` column or a 4-digit year (1994-2019) in the file name is used.

    Returns
    -------
    pandas.DataFrame
        One row per county; columns as in the module docstring.

    Raises
    ------
    SourceError
        Unreadable or truncated file, short fixed-width lines, missing
        columns, non-numeric or negative cells, coverage outside [0, 100],
        duplicate counties, or no way to tell the year.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file (ICPSR county-level UCR file expected)")
    df = _read(path)
    if year is None:
        if "YEAR" in df.columns:
            years = pd.to_numeric(df["YEAR"], errors="coerce").dropna().unique()
            if len(years) != 1:
                raise SourceError(
                    path,
                    f"expected one year in column YEAR, found {sorted(years)[:5]}",
                    column="YEAR",
                )
            year = int(years[0])
        else:
            found = _YEAR.findall(path.name)
            if not found:
                raise SourceError(
                    path,
                    "cannot tell the year: the files carry none; pass year= or put the year in the file name",
                )
            year = int(found[-1])
    year = int(year)
    vp = violent_property_layout(year)
    cols = set(df.columns)
    # tsv/dta files of 2009-2014 may name the fields VIOLENT/PROPERTY instead of INDEX/MODINDX
    first, second = (
        ("VIOLENT", "PROPERTY") if {"VIOLENT", "PROPERTY"} <= cols else ("INDEX", "MODINDX")
    )
    required = ["FIPS_ST", "FIPS_CTY", "CPOPCRIM", "COVIND", first, second, *_OFFENSES]
    missing = [c for c in required if c not in cols]
    if missing:
        raise SourceError(
            path,
            f"missing column(s) {missing} of the ICPSR county-level layout; found {sorted(cols)[:25]}",
            column=missing[0],
        )
    if df.empty:
        raise SourceError(path, "no data rows (truncated file?)")
    out = pd.DataFrame(index=df.index)
    st = _num(df, "FIPS_ST", path)
    co = _num(df, "FIPS_CTY", path)
    if st.isna().any() or co.isna().any():
        bad = st.isna() | co.isna()
        raise SourceError(
            path,
            "missing FIPS code",
            row=df.index[bad.to_numpy()],
            column="FIPS_ST" if st.isna().any() else "FIPS_CTY",
        )
    out["state_fips"] = st.astype("int64").astype("string").str.zfill(2)
    out["county_fips"] = co.astype("int64").astype("string").str.zfill(3)
    out["fips"] = (out["state_fips"] + out["county_fips"]).astype("string")
    out["year"] = np.int64(year)
    out["population"] = _num(df, "CPOPCRIM", path).round().astype("Int64")
    out["population_arrests"] = (
        _num(df, "CPOPARST", path).round().astype("Int64")
        if "CPOPARST" in cols
        else pd.array([pd.NA] * len(df), dtype="Int64")
    )
    for src, dst in (("AG_OFF", "agencies_offenses"), ("AG_ARRST", "agencies_arrests")):
        out[dst] = (
            _num(df, src, path).astype("Int64")
            if src in cols
            else pd.array([pd.NA] * len(df), dtype="Int64")
        )
    cov = _num(df, "COVIND", path, integer=False).astype("float64")
    high = (cov > 100).fillna(False)
    if high.any():
        raise SourceError(
            path,
            f"coverage indicator above 100: {cov[high].iloc[0]:g}",
            row=df.index[high.to_numpy()],
            column="COVIND",
        )
    out["coverage"] = cov
    a = _num(df, first, path).astype("Int64")
    b = _num(df, second, path).astype("Int64")
    na = pd.array([pd.NA] * len(df), dtype="Int64")
    if vp or first == "VIOLENT":
        out["index_total"], out["modified_index"], out["violent"], out["property"] = na, na, a, b
    else:
        out["index_total"], out["modified_index"], out["violent"], out["property"] = a, b, na, na
    for src, dst in _OFFENSES.items():
        out[dst] = _num(df, src, path).astype("Int64")
    counts = ["index_total", "modified_index", "violent", "property", *_OFFENSES.values()]
    all_zero = (out[counts].fillna(0) == 0).all(axis=1)
    no_data = (out["coverage"] == 0).fillna(False) & all_zero
    out["no_data"] = no_data.astype(bool)
    for c in counts:
        out.loc[no_data, c] = pd.NA
    dup = out.duplicated(["fips"], keep=False)
    if dup.any():
        raise SourceError(
            path,
            f"duplicate county {out.loc[dup, 'fips'].iloc[0]!r} (one row per county expected)",
            row=out.index[dup.to_numpy()],
            column="FIPS_ST, FIPS_CTY",
        )
    out.attrs.update(source_file=str(path), violent_property_layout=vp)
    return out
