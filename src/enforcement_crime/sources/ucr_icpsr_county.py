"""ICPSR/NACJD county-level UCR files (offenses part), 1994-2016.

*Uniform Crime Reporting Program Data: County-Level Detailed Arrest and
Offense Data* (one ICPSR study per year, e.g. 33523 for 2010). The county
offenses are part 4 ("crimes reported"); parts 1-3 are arrests and are
refused. Every format ICPSR distributes the part in is read:

* R (``.rda``/``.RData``, one object named like ``da33523.0004``; ``.rds``),
  read with :mod:`pyreadr`; this is the format of the real copy in
  ``../shared/data/icpsr_county_ucr_2010/33523-0004-Data.rda``;
* Stata ``.dta`` (read with pandas);
* delimited ``.tsv``/``.tab`` (ICPSR's "Delimited" download: tab-separated
  with a header row), read with the project's checked reader
  (:func:`enforcement_crime.sources._csv.read_csv_lines`);
* ASCII fixed width (``.txt``, ``.dat``, ``.asc``) **with its setup file**:
  ICPSR ships ``<study>-<part>-Setup.sas``, ``.sps`` (SPSS) and ``.dct``
  (Stata dictionary) beside ``<study>-<part>-Data.txt``; the column positions
  are read from them (see :func:`read_setup`). Without a setup file the
  widths of ``../shared/docs/DATA_SOURCES.md`` (:data:`WIDTHS`, 97
  characters) are used, and a line of another length is refused.

Variable names: STUDYNO, EDITION, PART, IDNO, FIPS_ST, FIPS_CTY, CPOPARST,
CPOPCRIM, AG_ARRST, AG_OFF, COVIND, then the two totals, then MURDER, RAPE,
ROBBERY, AGASSLT, BURGLRY, LARCENY, MVTHEFT, ARSON. The totals are INDEX and
MODINDX before 2009 and violent/property from 2009: named ``VIOL`` and
``PROPERTY`` in the real 2010 R file (``VIOLENT`` is accepted too); in the
documented fixed-width layout the 2009-2014 files hold them in the INDEX and
MODINDX positions.

The year
--------
The files carry no year variable. It is taken, in this order, from the
``year`` argument, a ``YEAR`` column, the ICPSR study number, or a 4-digit
year (1994-2019) in the file name; two sources that disagree raise. The study
number is read from ICPSR's file name (``33523-0004-Data.rda``), the R object
name (``da33523.0004``) or the ``STUDYNO`` column (a 4-character field: the
real 2010 file holds the placeholder 9999 there, which is ignored). Study
numbers are mapped to years by :data:`STUDY_YEARS`, which lists only the
numbers whose year could be checked (sources there); another study number
without a year from elsewhere raises, asking for ``year=``.

Columns of the returned frame
-----------------------------
``fips`` (5 digits), ``state_fips``, ``county_fips``, ``year``,
``population`` (``CPOPCRIM``, population covered for offenses),
``population_arrests`` (``CPOPARST``), ``agencies_offenses`` (``AG_OFF``),
``agencies_arrests`` (``AG_ARRST``), ``coverage`` (``COVIND``, ICPSR's coverage
indicator in [0, 100], kept as a float), ``index_total`` and
``modified_index`` (before 2009; missing from 2009), ``violent`` and
``property`` (from 2009 when the file holds them; missing before),
``murder``, ``rape``, ``robbery``, ``aggravated_assault``, ``burglary``,
``larceny``, ``motor_vehicle_theft``, ``arson`` (``Int64``) and ``no_data``
(bool). The index is ``row``: the file line for text files, the 1-based
record number for R and Stata files. Every row of the file is returned
(statewide pseudo-counties with county code 999 included: the panel builder
drops and counts them).

``df.attrs``: ``source_file``, ``format``, ``layout`` (for fixed width: the
setup file used, or the documented widths), ``year_source`` (where the year
came from), ``icpsr_study`` (or None) and ``violent_property_layout``.

Notes
-----
The codebooks say a coverage indicator of 0 with every offense field 0 means
*no data*, not zero crime: such rows keep their place, get ``no_data = True``
and every count set to missing. (In the 2010 file 53 of the 65 rows with
COVIND 0 are such rows; the other 12 hold counts and keep them.) ICPSR scales
agencies reporting 3-11 months by 12/months and imputes agencies reporting
0-2 months from full reporters in the same state and population group, and
allocates multi-county agencies by population; Maltz & Targonski (2002) judge
this inadequate for policy work, so ``coverage`` is kept for filtering.
Counts are whole numbers in every file seen; a fractional count raises.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from enforcement_crime import config
from enforcement_crime.sources import _icpsr
from enforcement_crime.sources._checks import SourceError
from enforcement_crime.sources._csv import read_csv_lines
from enforcement_crime.sources._download import login_required
from enforcement_crime.sources._icpsr import study_from_name

__all__ = [
    "CITATION",
    "URL",
    "LICENSE",
    "SOURCE",
    "LOGIN",
    "WIDTHS",
    "STUDY_YEARS",
    "OFFENSE_PART",
    "load",
    "read_setup",
    "study_from_name",
    "fetch",
]

SOURCE = "ucr_icpsr_county"
CITATION = _icpsr.CITATION_STEM + "(e.g. ICPSR 33523 for 2010)"
URL = _icpsr.URL
LICENSE = _icpsr.LICENSE
LOGIN = {
    "what": "UCR County-Level Detailed Arrest and Offense Data, <year>: part 4 ('crimes "
    "reported', the county-level offenses) in R, Stata, Delimited or ASCII format, one study "
    "per year; keep ICPSR's file names (e.g. 33523-0004-Data.rda; for ASCII also the "
    "33523-0004-Setup.sas/.sps/.dct beside the data file) or put the year in the name",
    "where_from": f"{URL} (free ICPSR account; one study per year)",
}

#: ICPSR part (data set) number of the county-level offenses ("crimes reported")
OFFENSE_PART = 4

#: ICPSR study number -> data year, UCR county-level series (NACJD series 57).
#: Only numbers whose year was checked are listed. Sources: ICPSR's own study
#: pages or metadata records for 6669 (1994), 3721 (2001), 23780 (2006), 25114
#: (2007), 30763 (2009); 33523 (2010): ``../shared/data/icpsr_county_ucr_2010/
#: PROVENANCE.md`` and Social Explorer's copy of the ICPSR description
#: ("ICPSR33523-v1"); 34582 (2011), 35019 (2012), 36117 (2013), 36399 (2014),
#: 37059 (2016): public analysis scripts that load ``<study>-0004-Data.rda`` and
#: label each year (two independent scripts agree on 30763-35019 = 2009-2012),
#: and the order 33523, 34582, 35019, 36117, 36399 of the project's
#: DATA_SOURCES.md. Not listed (unknown here): 1995-2000, 2002-2005, 2008, 2015.
STUDY_YEARS: dict[int, int] = {
    6669: 1994,
    3721: 2001,
    23780: 2006,
    25114: 2007,
    30763: 2009,
    33523: 2010,
    34582: 2011,
    35019: 2012,
    36117: 2013,
    36399: 2014,
    37059: 2016,
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
_R = (".rda", ".rdata", ".rds")
_SETUP_SUFFIXES = (".dct", ".sps", ".sas")


def fetch(dest: str | Path | None = None) -> None:
    """ICPSR needs a login: raise :class:`LoginRequired` saying what to download and where to put it."""
    dest = Path(dest) if dest is not None else config.raw_dir(SOURCE)
    login_required(SOURCE, LOGIN["what"], LOGIN["where_from"], dest)


def violent_property_layout(year: int) -> bool:
    """True when the INDEX/MODINDX positions hold VIOLENT/PROPERTY (the 2009-2014 files)."""
    return 2009 <= int(year) <= 2014


# ---------------------------------------------------------------- setup files

# SAS INPUT / SPSS DATA LIST entries: NAME [$] start[-end] [.d | (d) | (A)]
_ENTRY = re.compile(
    r"(?<![\w.$])([A-Za-z_][A-Za-z0-9_]*)\s+(\$\s*)?(\d+)(?:\s*-\s*(\d+))?"
    r"(?:\s*\.(\d+)|\s*\((\d+|A)\))?",
)
# Stata dictionary lines: _column(start) [type] NAME %width[.d]f|s|g ["label"]
_DCT = re.compile(
    r"_column\((\d+)\)\s+(?:(?:byte|int|long|float|double|str\d+)\s+)?([A-Za-z_]\w*)"
    r"\s+%(\d+)(?:\.(\d+))?([fgsed])",
    re.IGNORECASE,
)


def read_setup(path: str | Path) -> list[tuple[str, int, int, int]]:
    """Read column positions from an ICPSR setup file (SAS, SPSS or Stata dictionary).

    Parameters
    ----------
    path : str or Path
        ``*-Setup.sas`` (the ``INPUT`` statement), ``*-Setup.sps`` (the ``DATA
        LIST`` command) or ``*-Setup.dct`` (a Stata dictionary with
        ``_column(n)`` entries).

    Returns
    -------
    list of (name, start, end, decimals)
        1-based inclusive character positions, upper-case names, and the
        implied decimals (``.2`` in SAS, ``(2)`` in SPSS, ``%8.2f`` in Stata;
        0 when none): a field without a decimal point is divided by
        ``10**decimals``, as SAS, SPSS and Stata read it.

    Raises
    ------
    SourceError
        Unknown suffix, no INPUT / DATA LIST / _column entries, overlapping
        fields, or a name given twice.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        text = path.read_text(encoding="latin-1")
    except OSError as exc:
        raise SourceError(path, f"cannot read the setup file: {exc}") from None
    out: list[tuple[str, int, int, int]] = []
    if suffix == ".dct":
        for m in _DCT.finditer(text):
            start, width = int(m.group(1)), int(m.group(3))
            out.append((m.group(2).upper(), start, start + width - 1, int(m.group(4) or 0)))
        what = "no '_column(n) type NAME %wf' entries (a Stata dictionary expected)"
    elif suffix in (".sas", ".sps"):
        keyword = r"\bINPUT\b" if suffix == ".sas" else r"\bDATA\s+LIST\b[^/]*/"
        end = ";" if suffix == ".sas" else r"\.\s*$"
        # the first INPUT / DATA LIST with entries (the words may also occur in comments)
        flags = re.IGNORECASE | re.DOTALL | re.MULTILINE
        for m in re.finditer(keyword + r"(.*?)" + end, text, flags):
            for e in _ENTRY.finditer(m.group(1)):
                start = int(e.group(3))
                stop = int(e.group(4)) if e.group(4) else start
                dec = e.group(5) or (e.group(6) if e.group(6) not in (None, "A") else None)
                out.append((e.group(1).upper(), start, stop, int(dec or 0)))
            if out:
                break
        what = (
            "no INPUT statement with 'NAME start-end' entries (a SAS setup expected)"
            if suffix == ".sas"
            else "no DATA LIST command with 'NAME start-end' entries (an SPSS setup expected)"
        )
    else:
        raise SourceError(
            path, f"unknown setup file type {suffix!r} (expected {', '.join(_SETUP_SUFFIXES)})"
        )
    if not out:
        raise SourceError(path, what)
    names = [n for n, *_ in out]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise SourceError(path, f"variable(s) {dup} defined twice", column=dup[0])
    spans = sorted(out, key=lambda t: t[1])
    for a, b in zip(spans, spans[1:], strict=False):
        if b[1] <= a[2] or a[2] < a[1]:
            raise SourceError(
                path,
                f"fields {a[0]} (columns {a[1]}-{a[2]}) and {b[0]} (columns {b[1]}-{b[2]}) overlap",
                column=b[0],
            )
    return out


def _setup_for(path: Path) -> list[Path]:
    """ICPSR setup files beside a data file: ``X-Data.txt`` -> ``X-Setup.{dct,sps,sas}``."""
    stem = path.stem
    if not re.search(r"-Data$", stem, re.IGNORECASE):
        return []
    base = stem[: -len("Data")]
    found = []
    for p in sorted(path.parent.iterdir()):
        if p.stem.lower() == (base + "Setup").lower() and p.suffix.lower() in _SETUP_SUFFIXES:
            found.append(p)
    return found


def _layout(path: Path, setup: str | Path | None) -> tuple[list, str]:
    """The fixed-width layout: from ``setup``, from setup files found beside ``path``, or WIDTHS."""
    files = [Path(setup)] if setup is not None else _setup_for(path)
    if not files:
        spans, pos = [], 1
        for name, width in WIDTHS:
            spans.append((name, pos, pos + width - 1, 0))
            pos += width
        return spans, "documented widths (DATA_SOURCES.md, 97 characters)"
    layouts = [(f, read_setup(f)) for f in files]
    first_file, first = layouts[0]
    for other_file, other in layouts[1:]:
        if sorted(other) != sorted(first):
            diff = sorted(set(other) ^ set(first))[:3]
            raise SourceError(
                other_file,
                f"its column positions differ from {first_file.name}'s (e.g. {diff}); "
                "which setup file describes the data? pass setup=",
            )
    return first, "setup file " + ", ".join(f.name for f, _ in layouts)


def _read_fixed(path: Path, setup: str | Path | None) -> tuple[pd.DataFrame, str]:
    spans, layout = _layout(path, setup)
    documented = layout.startswith("documented")
    need = max(stop for _, _, stop, _ in spans)

    def check_line(n: int, line: str) -> None:
        if len(line) < need:
            raise SourceError(
                path,
                f"line has {len(line)} characters, the fixed-width layout needs {need} "
                f"(truncated file or another layout?; layout: {layout})",
                row=n,
            )
        if documented and len(line.rstrip()) > need:
            raise SourceError(
                path,
                f"line has {len(line.rstrip())} characters, the documented layout has {need}: "
                "another layout; put ICPSR's setup file (<study>-<part>-Setup.sas, .sps or "
                ".dct) beside the data file or pass setup=",
                row=n,
            )

    return _icpsr.cut_fixed(path, _icpsr.read_ascii(path), spans, check_line), layout


def _read(path: Path, setup: str | Path | None) -> tuple[pd.DataFrame, dict]:
    suffix = path.suffix.lower()
    info: dict[str, object] = {"format": suffix.lstrip("."), "layout": None, "object": None}
    if suffix in _icpsr.FIXED:
        df, info["layout"] = _read_fixed(path, setup)
        return df, info
    if setup is not None:
        raise SourceError(path, "setup= is for ASCII fixed-width files (.txt, .dat, .asc)")
    if suffix in (".tsv", ".tab"):
        df = read_csv_lines(path, sep="\t", index_name="row")
        df.columns = [str(c).strip().upper() for c in df.columns]
        return df, info
    if suffix in _R:
        df, info["object"] = _icpsr.read_r(path, "da<study>.<part>")
        return df, info
    if suffix == ".dta":
        try:
            df = pd.read_stata(path, convert_categoricals=False)
        except Exception as exc:
            raise SourceError(
                path, f"cannot be read as a Stata file (truncated or corrupt?): {exc}"
            ) from None
    else:
        raise SourceError(
            path,
            f"unknown format {suffix!r} (expected R .rda/.RData/.rds, Stata .dta, delimited "
            ".tsv, or ASCII .txt/.dat/.asc with its ICPSR setup file)",
        )
    return _icpsr.numbered(df), info


# ---------------------------------------------------------------- checks


def _year_and_study(
    df: pd.DataFrame, path: Path, info: dict, year: int | None
) -> tuple[int, str, int | None]:
    """Work out the year (see the module docstring); return (year, where from, study)."""
    candidates: list[tuple[str, int]] = []  # (source, year), in order of precedence
    if year is not None:
        candidates.append(("year= argument", int(year)))
    col_year = _icpsr.single(df, "YEAR", path)
    if col_year is not None:
        candidates.append(("column YEAR", col_year))
    note = " ('crimes reported'), parts 1-3 are arrests"
    study, studies = _icpsr.study(
        df,
        path,
        info.get("object"),
        part=OFFENSE_PART,
        what="the county-level offenses",
        name_note=note,
        column_note=note,
        use_studyno=lambda s: s in STUDY_YEARS,
    )
    if study is not None and study in STUDY_YEARS:
        where = next(w for w, s, _ in studies if s == study)
        candidates.append((f"ICPSR study {study} ({where})", STUDY_YEARS[study]))
    if study is not None:
        cannot = (
            f"cannot tell the year: ICPSR study {study} is not in STUDY_YEARS (only "
            "numbers whose year was checked are listed); pass year="
        )
    else:
        cannot = (
            "cannot tell the year: the files carry none; pass year=, keep ICPSR's file name "
            "(e.g. 33523-0004-Data.rda) or put the year in the file name"
        )
    value, where = _icpsr.year(path, candidates, cannot)
    return value, where, study


def load(
    path: str | Path, year: int | None = None, setup: str | Path | None = None
) -> pd.DataFrame:
    """Read one ICPSR county-level UCR offense file (R, Stata, delimited or ASCII).

    Parameters
    ----------
    path : str or Path
        The data file: ``.rda``/``.RData``/``.rds``, ``.dta``, ``.tsv``/``.tab``,
        or fixed-width ``.txt``/``.dat``/``.asc``.
    year : int, optional
        The data year. When omitted it comes from a ``YEAR`` column, the ICPSR
        study number (:data:`STUDY_YEARS`) or a year in the file name; when
        given it must agree with them.
    setup : str or Path, optional
        ICPSR setup file (``.sas``, ``.sps`` or ``.dct``) giving the column
        positions of a fixed-width file. When omitted, ``<study>-<part>-Setup.*``
        beside ``<study>-<part>-Data.txt`` is used (several must agree), else
        the documented 97-character layout (:data:`WIDTHS`).

    Returns
    -------
    pandas.DataFrame
        One row per file row (county); columns and attrs as in the module
        docstring.

    Raises
    ------
    SourceError
        Unreadable, truncated or corrupt file; short or over-long fixed-width
        lines; an unreadable setup file; missing columns; non-numeric,
        fractional or negative cells; coverage outside [0, 100]; duplicate
        counties; a part other than 4 (arrests); disagreeing study numbers
        or years; no way to tell the year. Each message names the file, and
        the row and column where there is one.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file (ICPSR county-level UCR file expected)")
    df, info = _read(path, setup)
    if df.empty:
        raise SourceError(path, "no data rows (truncated file?)")
    year, year_source, study = _year_and_study(df, path, info, year)
    vp = violent_property_layout(year)
    cols = set(df.columns)
    # the totals: VIOL/PROPERTY (R files), VIOLENT/PROPERTY, or the INDEX/MODINDX positions
    if {"VIOL", "PROPERTY"} <= cols:
        first, second = "VIOL", "PROPERTY"
    elif {"VIOLENT", "PROPERTY"} <= cols:
        first, second = "VIOLENT", "PROPERTY"
    else:
        first, second = "INDEX", "MODINDX"
    named_vp = first != "INDEX"
    required = ["FIPS_ST", "FIPS_CTY", "CPOPCRIM", "COVIND", first, second, *_OFFENSES]
    missing = [c for c in required if c not in cols]
    if missing:
        raise SourceError(
            path,
            f"missing column(s) {missing} of the ICPSR county-level offense layout; found "
            f"{sorted(cols)[:25]}",
            column=missing[0],
        )
    if named_vp and year < 2009:
        raise SourceError(
            path,
            f"columns {first}/{second} (violent/property totals) in a {year} file: these "
            "totals exist from 2009 (INDEX/MODINDX before); wrong year?",
            column=first,
        )
    out = pd.DataFrame(index=df.index)
    out["state_fips"], out["county_fips"] = _icpsr.fips(df, path)
    out["fips"] = (out["state_fips"] + out["county_fips"]).astype("string")
    out["year"] = np.int64(year)
    out["population"] = _icpsr.num(df, "CPOPCRIM", path).astype("Int64")
    out["population_arrests"] = _icpsr.num_or_missing(df, "CPOPARST", path)
    out["agencies_offenses"] = _icpsr.num_or_missing(df, "AG_OFF", path)
    out["agencies_arrests"] = _icpsr.num_or_missing(df, "AG_ARRST", path)
    out["coverage"] = _icpsr.coverage(df, path)
    a = _icpsr.num(df, first, path).astype("Int64")
    b = _icpsr.num(df, second, path).astype("Int64")
    na = pd.array([pd.NA] * len(df), dtype="Int64")
    if vp or named_vp:
        out["index_total"], out["modified_index"], out["violent"], out["property"] = na, na, a, b
    else:
        out["index_total"], out["modified_index"], out["violent"], out["property"] = a, b, na, na
    for src, dst in _OFFENSES.items():
        out[dst] = _icpsr.num(df, src, path).astype("Int64")
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
    out.attrs.update(
        source_file=str(path),
        format=info["format"],
        layout=info["layout"],
        year_source=year_source,
        icpsr_study=study,
        violent_property_layout=vp or named_vp,
    )
    return out
