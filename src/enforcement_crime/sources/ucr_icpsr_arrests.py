"""ICPSR/NACJD county-level UCR files, part 1: arrests, all ages (one study per year).

*Uniform Crime Reporting Program Data: County-Level Detailed Arrest and
Offense Data* (NACJD series 57), data set 1 ("Arrests, All Ages"): one row per
county with the county's arrests by offence. The offenses part (part 4) is
read by :mod:`enforcement_crime.sources.ucr_icpsr_county`; this module reads
part 1 only and refuses another part. Two formats are read:

* ASCII fixed width (``<study>-0001-Data.txt``, 246 characters a record in
  2000-2012) with a **column layout file** read at load time: a CSV with the
  columns ``variable, start_col, end_col, width, decimals`` (1-based,
  inclusive), such as ``layout_part1_arrests_all_ages.csv`` of
  ``../shared/data/icpsr_county_ucr_arrests_2000_2012/`` (made from the
  codebook). It is passed as ``layout=`` or found beside the data file (the
  one ``layout*.csv`` there). A field with implied decimals and no decimal
  point is divided by ``10**decimals``, as SAS and SPSS read it;
* R (``.rda``/``.RData``, one object named like ``da35019.0001``), read with
  :mod:`pyreadr`; its columns are the layout's variables.

The year comes, in this order, from the ``year`` argument, the ICPSR study
number (file name, R object name or a ``STUDYNO`` other than the placeholder
9999) through :data:`STUDY_YEARS`, or a 4-digit year in the file name; two
sources that disagree raise.

Columns of the returned frame
-----------------------------
``fips`` (5 digits), ``state_fips``, ``county_fips``, ``year``,
``population`` (``CPOPARST``, population covered for arrests, ``Int64``),
``agencies`` (``AG_ARRST``), ``jurisdiction_flag`` (``JURFLAG``),
``coverage`` (``COVIND``, ICPSR's coverage indicator in [0, 100], float),
every arrest count of the layout under its own lower-case name (``grndtot``,
``p1tot``, ``p1vlnt``, ``murder``, ..., ``drugtot``, ``runaway``; ``Int64``),
the aliases ``arrests_total`` (``GRNDTOT``), ``arrests_part1`` (``P1TOT``),
``arrests_violent`` (``P1VLNT``), ``arrests_property`` (``P1PRPTY``) and
``arrests_drug`` (``DRUGTOT``; use it rather than the sale and possession
sums, which some agencies leave empty), and ``no_data`` (bool). The index is
``row``: the file line for fixed width, the record number for R files.

Notes
-----
As in the offenses part, a row with coverage 0 and every count 0 holds no
data (not zero arrests): ``no_data`` is True and its counts are missing. Rows
with coverage 0 that hold counts keep them. Statewide pseudo-counties (county
code 999) are returned; a panel builder decides what to do with them. A blank
fixed-width field is missing, never zero. ``df.attrs``: ``source_file``,
``format``, ``layout`` (the layout file, for fixed width), ``year_source``,
``icpsr_study``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from enforcement_crime import config
from enforcement_crime.sources import _icpsr
from enforcement_crime.sources._checks import SourceError, require_columns
from enforcement_crime.sources._csv import read_csv_lines
from enforcement_crime.sources._download import login_required

__all__ = [
    "CITATION",
    "URL",
    "LICENSE",
    "SOURCE",
    "LOGIN",
    "ARRESTS_PART",
    "STUDY_YEARS",
    "ALIASES",
    "SHA256",
    "load",
    "read_layout",
    "fetch",
]

SOURCE = "ucr_icpsr_arrests"
CITATION = _icpsr.CITATION_STEM + "(part 1, arrests all ages; e.g. ICPSR 35019 for 2012)"
URL = _icpsr.URL
LICENSE = _icpsr.LICENSE
LOGIN = {
    "what": "UCR County-Level Detailed Arrest and Offense Data, <year>: part 1 ('arrests, all "
    "ages') as ASCII (<study>-0001-Data.txt, with a layout CSV beside it) or R "
    "(<study>-0001-Data.rda); keep ICPSR's file names",
    "where_from": f"{URL} (free ICPSR account; one study per year)",
}

#: ICPSR part (data set) number of the county arrests, all ages
ARRESTS_PART = 1

#: ICPSR study number -> data year of the series' files read here; the numbers and
#: years are those of ``../shared/data/icpsr_county_ucr_arrests_2000_2012/PROVENANCE.md``
#: (each checked there against the codebook's title or ICPSR's manifest)
STUDY_YEARS: dict[int, int] = {
    3451: 2000,
    3721: 2001,
    4009: 2002,
    4360: 2003,
    4466: 2004,
    4717: 2005,
    23780: 2006,
    25114: 2007,
    27644: 2008,
    30763: 2009,
    33523: 2010,
    34582: 2011,
    35019: 2012,
}

#: sha256 of ICPSR's data files (file name -> hex digest), as listed in
#: ``../shared/data/icpsr_county_ucr_arrests_2000_2012/PROVENANCE.md`` (the 2010 and
#: 2012 ``.rda`` files are those whose MD5s match ICPSR's manifests)
SHA256: dict[str, str] = {
    "03451-0001-Data.txt": "464c065acf0970af4380d89d5beb6a9c22e9488569ece7d86c7cbed310b63866",
    "03721-0001-Data.txt": "d1253bed67045cf6af6ad6742c0d3ae826118e0f8b7f405956770bf02ea7101a",
    "04009-0001-Data.txt": "bbb21b4e4f56489c5098d9b68920fe34cc511e98d6c8b68ae8084370cefe5d49",
    "04360-0001-Data.txt": "1de30394611010b83a394311ec181bd031addb6f439dd3f0e344c940a2e80623",
    "04466-0001-Data.txt": "3dff04252e66ff13352d05b215eafd0d30ddfe9440c35a2b207c703812466f15",
    "04717-0001-Data.txt": "58dbd436587aee19412079c254540583c4a7054354d7f47e1aabe944ae2c2008",
    "23780-0001-Data.txt": "ab677249abf03787089778d5f7eee164daa45ce45c91f5a57fa129d37a76d60c",
    "25114-0001-Data.txt": "988064b3575db8fb977152161538c65efbc84719598e33929f393eb3cf5202da",
    "27644-0001-Data.txt": "ed3d86556f44e18ea022693d138cf2c748ad57dd131f31dc1ed4e7b838eac8da",
    "33523-0001-Data.rda": "592bc02eb549d3f575e809d3d350ab2b69de23f5ec0624586cc302be48386122",
    "35019-0001-Data.rda": "5568aca7c19c284210e7fbea861a971b35754af0275c4173bcc137bde377d61c",
}

#: our alias -> the layout's variable
ALIASES: dict[str, str] = {
    "arrests_total": "GRNDTOT",
    "arrests_part1": "P1TOT",
    "arrests_violent": "P1VLNT",
    "arrests_property": "P1PRPTY",
    "arrests_drug": "DRUGTOT",
}
_ID = ("STUDYNO", "EDITION", "PART", "IDNO", "FIPS_ST", "FIPS_CTY")
_REQUIRED = ("FIPS_ST", "FIPS_CTY", "CPOPARST", "AG_ARRST", "COVIND", *ALIASES.values())
_NOT_COUNTS = frozenset({*_ID, "CPOPARST", "AG_ARRST", "JURFLAG", "COVIND"})
_R = (".rda", ".rdata")


def fetch(dest: str | Path | None = None) -> None:
    """ICPSR needs a login: raise :class:`LoginRequired` saying what to download and where."""
    dest = Path(dest) if dest is not None else config.raw_dir(SOURCE)
    login_required(SOURCE, LOGIN["what"], LOGIN["where_from"], dest)


def read_layout(path: str | Path) -> list[tuple[str, int, int, int]]:
    """Read a column layout CSV (``variable, start_col, end_col, width, decimals``).

    Returns
    -------
    list of (name, start, end, decimals)
        Upper-case names, 1-based inclusive positions, implied decimals.

    Raises
    ------
    SourceError
        Missing columns, a non-numeric position, ``width`` not equal to
        ``end_col - start_col + 1``, overlapping fields or a name given twice
        (the message names the layout file, its line and column).
    """
    path = Path(path)
    df = read_csv_lines(path, index_name="line")
    need = ["variable", "start_col", "end_col", "width", "decimals"]
    require_columns(df, need, path, layout="column")
    if df.empty:
        raise SourceError(path, "the layout file lists no variables")
    nums = {}
    for col in need[1:]:
        raw = df[col].astype("string").str.strip()
        ok = raw.str.fullmatch(r"\d+").fillna(False).to_numpy(dtype=bool)
        if not ok.all():
            raise SourceError(
                path,
                f"expected a whole number, got {df[col][~ok].iloc[0]!r}",
                row=df.index[~ok],
                column=col,
            )
        nums[col] = raw.astype("int64")
    out: list[tuple[str, int, int, int]] = []
    for line, name, start, end, width, dec in zip(
        df.index,
        df["variable"],
        nums["start_col"],
        nums["end_col"],
        nums["width"],
        nums["decimals"],
        strict=True,
    ):
        if pd.isna(name) or not str(name).strip():
            raise SourceError(path, "a variable without a name", row=line, column="variable")
        if start < 1 or end < start or width != end - start + 1:
            raise SourceError(
                path,
                f"variable {name}: columns {start}-{end} do not make width {width}",
                row=line,
                column="width",
            )
        out.append((str(name).strip().upper(), int(start), int(end), int(dec)))
    names = [n for n, *_ in out]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise SourceError(path, f"variable(s) {dup} listed twice", column="variable")
    spans = sorted(out, key=lambda t: t[1])
    for a, b in zip(spans, spans[1:], strict=False):
        if b[1] <= a[2]:
            raise SourceError(
                path,
                f"fields {a[0]} (columns {a[1]}-{a[2]}) and {b[0]} (columns {b[1]}-{b[2]}) overlap",
                column="start_col",
            )
    return out


def _layout_for(path: Path, layout: str | Path | None) -> Path:
    if layout is not None:
        return Path(layout)
    found = sorted(p for p in path.parent.glob("layout*.csv") if p.is_file())
    if len(found) != 1:
        what = "none" if not found else ", ".join(p.name for p in found)
        raise SourceError(
            path,
            f"a fixed-width file needs its column layout (a layout*.csv beside it, or layout=); "
            f"found {what}",
        )
    return found[0]


def _read_fixed(path: Path, layout: str | Path | None) -> tuple[pd.DataFrame, str]:
    lay_path = _layout_for(path, layout)
    spans = read_layout(lay_path)
    need = max(end for _, _, end, _ in spans)

    def check_line(n: int, line: str) -> None:
        if len(line) != need:
            cut = " (truncated?)" if len(line) < need else ""
            raise SourceError(
                path,
                f"line has {len(line)} characters, the layout {lay_path.name} gives {need}{cut}",
                row=n,
            )

    return _icpsr.cut_fixed(path, _icpsr.read_ascii(path), spans, check_line), str(lay_path)


def _year(
    df: pd.DataFrame, path: Path, obj: str | None, year: int | None
) -> tuple[int, str, int | None]:
    study, _ = _icpsr.study(
        df,
        path,
        obj,
        part=ARRESTS_PART,
        what="the county arrests (all ages)",
        name_note=" (part 4, crimes reported, is read by ucr_icpsr_county)",
        column_note="",
        use_studyno=lambda s: s != 9999,
    )
    candidates: list[tuple[str, int]] = []
    if year is not None:
        candidates.append(("year= argument", int(year)))
    if study is not None and study in STUDY_YEARS:
        candidates.append((f"ICPSR study {study}", STUDY_YEARS[study]))
    year_, where = _icpsr.year(
        path,
        candidates,
        "cannot tell the year: keep ICPSR's file name (e.g. 35019-0001-Data.rda), put the "
        "year in the file name or pass year=",
    )
    return year_, where, study


def load(
    path: str | Path, year: int | None = None, layout: str | Path | None = None
) -> pd.DataFrame:
    """Read one ICPSR county arrests file (part 1, all ages): fixed width or R.

    Parameters
    ----------
    path : str or Path
        ``<study>-0001-Data.txt`` (fixed width) or ``<study>-0001-Data.rda``.
    year : int, optional
        The data year; by default from the study number or the file name.
    layout : str or Path, optional
        The column layout CSV of a fixed-width file; by default the one
        ``layout*.csv`` beside it.

    Returns
    -------
    pandas.DataFrame
        One row per county (file row); columns as in the module docstring.

    Raises
    ------
    SourceError
        No or bad layout, a line of the wrong length (a truncated file), a
        missing variable, a non-numeric, fractional or negative cell,
        coverage above 100, a duplicated county, a part other than 1,
        disagreeing study numbers or years. Messages name the file, the row
        and the column.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file (ICPSR county arrests file expected)")
    suffix = path.suffix.lower()
    obj = None
    if suffix in _icpsr.FIXED:
        df, lay = _read_fixed(path, layout)
        fmt = "fixed width"
    elif suffix in _R:
        if layout is not None:
            raise SourceError(path, "layout= is for fixed-width files (.txt, .dat, .asc)")
        df, obj = _icpsr.read_r(path, "da<study>.0001")
        lay, fmt = None, "R"
    else:
        raise SourceError(
            path, f"unknown format {suffix!r} (expected .txt/.dat/.asc with a layout, or .rda)"
        )
    if df.empty:
        raise SourceError(path, "no data rows (truncated file?)")
    missing = [c for c in _REQUIRED if c not in df.columns]
    if missing:
        raise SourceError(
            path,
            f"missing variable(s) {missing} of the ICPSR county arrests layout; found "
            f"{list(df.columns)[:20]}",
            column=missing[0],
        )
    year_, year_source, study = _year(df, path, obj, year)
    out = pd.DataFrame(index=df.index)
    out["state_fips"], out["county_fips"] = _icpsr.fips(df, path)
    out["fips"] = (out["state_fips"] + out["county_fips"]).astype("string")
    out["year"] = np.int64(year_)
    out["population"] = _icpsr.num(df, "CPOPARST", path).astype("Int64")
    out["agencies"] = _icpsr.num(df, "AG_ARRST", path).astype("Int64")
    out["jurisdiction_flag"] = _icpsr.num_or_missing(df, "JURFLAG", path)
    out["coverage"] = _icpsr.coverage(df, path)
    counts = [c for c in df.columns if c not in _NOT_COUNTS]
    for c in counts:
        out[c.lower()] = _icpsr.num(df, c, path).astype("Int64")
    low = [c.lower() for c in counts]
    no_data = (out["coverage"] == 0).to_numpy(dtype=bool) & (
        (out[low].fillna(0) == 0).all(axis=1).to_numpy(dtype=bool)
    )
    out.loc[no_data, low] = pd.NA
    for alias, var in ALIASES.items():
        out[alias] = out[var.lower()]
    out["no_data"] = no_data
    dup = out.duplicated(["fips"], keep=False).to_numpy(dtype=bool)
    if dup.any():
        raise SourceError(
            path,
            f"county {out.loc[dup, 'fips'].iloc[0]} appears more than once (one row per county)",
            row=out.index[dup],
            column="FIPS_ST, FIPS_CTY",
        )
    out.attrs.update(
        source_file=str(path),
        format=fmt,
        layout=lay,
        year_source=year_source,
        icpsr_study=study,
    )
    return out
