"""FBI *Crime in the United States* (CIUS) agency tables 8, 10 and 11 (legacy ``.xls``).

(Over 700 lines, on purpose: one loader for every layout of the three tables, including the 2004
large-city layout, so that every year and table comes out in the same tidy frame with the same
checks; splitting it by layout would duplicate those checks.)

One call of :func:`load` reads one workbook into one tidy frame, one row per
listed agency. Three tables are understood, in every layout present in the
real copies (``../shared/data/fbi_cius_tables/`` and
``../shared/data/fbi_cius_table10_county_sheriff/``):

``city`` -- Table 8 "Offenses Known to Law Enforcement by State by City"
    (numbered Table 6 in CIUS 2016): city and town police departments, with
    the population they serve. The 2004 copy
    (``../shared/data/fbi_cius_table8_2004_large_cities/2004.xls``) is the
    edition's table "by City 10,000 and over in Population": **cities of
    10,000 and over only** (the small-city part was not found), in a
    one-column layout of its own (first column "City by state"; state names
    are rows of their own, with no numbers). It is read into the same tidy
    frame; its ``population_floor`` is 10,000 (see below).
``county`` -- Table 10 "... by State by Metropolitan and Nonmetropolitan
    Counties" (numbered Table 8 in CIUS 2016): **the sheriff's office or
    county police only, not county totals** (the FBI's own caveat). 2004 has
    a one-column layout ("County by state") with a state-name row followed by
    "Metropolitan Counties" / "Nonmetropolitan Counties" sub-header rows and
    omits nonmetropolitan counties under 25,000; 2005-2008 join the state and
    the group in the first column with a private-use character (U+E83A);
    2009-2016 with " - ".
``state_other`` -- Table 11 "... by State by State, Tribal, and Other
    Agencies": state police, tribal and other agencies (airports, parks,
    universities); the first column joins the state and the group with an
    en-dash.

Layout rules handled here: title rows above the header (none in the 2010
Table 8 copy, whose uploader deleted them and filled the state down), the
state shown only on the first row of its block (filled down), footnote digits
appended to state and agency names (``"Walker2"``, ``"Chicago7, 8"``; stripped
into the ``footnotes`` column), footnote text rows at the bottom, blank rows,
numbers stored as text in some rows, and the two rape definitions (to 2012
"Forcible rape", the legacy definition; from 2013 "Rape (revised
definition)" and "Rape (legacy definition)" side by side): they are kept
apart as ``rape_revised`` and ``rape_legacy``.

Columns of the returned frame
-----------------------------
``year`` (int), ``table`` (``"city"``, ``"county"`` or ``"state_other"``),
``table_number`` (as printed: ``"8"``, ``"6"``, ``"10"``, ``"11"``; missing when
the title rows were deleted), ``state`` (upper-case name), ``agency_group``
(``"Metropolitan Counties"``, ``"Nonmetropolitan Counties"``, ``"State
Agencies"``, ``"Tribal Agencies"``, ``"Other Agencies"``...; missing for
cities), ``agency`` (city, county or agency name), ``unit`` (Table 11
"Unit/Office"; missing otherwise), ``population`` (``Int64``, cities only),
the counts ``violent``, ``murder``, ``rape_revised``, ``rape_legacy``,
``robbery``, ``aggravated_assault``, ``property``, ``burglary``, ``larceny``,
``motor_vehicle_theft``, ``arson`` (``Int64``; a blank cell stays missing,
never zero), ``footnotes`` (the stripped footnote digits, comma-separated,
missing when none) and ``sheet_row`` (1-based row in the sheet, for tracing).

``population_floor`` (``Int64``) is the smallest city population the table
lists *by design*: 0 for a full Table 8 (every city), the "N and over" of the
title for a large-city table (10,000 for 2004), raised by
:func:`large_cities` to the rule's threshold; missing for Tables 10 and 11.
It travels with the rows through ``pd.concat``, so a multi-year frame still
says which years cover only large cities.

``df.attrs`` holds ``source_file``, ``sheet``, ``coverage`` (text: "all
cities", "cities of 10,000 and over only", or the Table 10/11 scope) and
``rows_skipped``: a dict counting the sheet rows that are not agencies (title,
header, blank, state-name and sub-header rows, footnote text, and city rows
removed by ``min_city_population``) so that every sheet row is accounted for:
``len(df) + sum(rows_skipped.values()) == sheet rows``.

A consistent city series across years
-------------------------------------
2004 exists only for cities of 10,000 and over. :func:`large_cities` (or
``load(..., min_city_population=10_000)``) applies the same rule to any year:
keep the Table 8 rows whose population is 10,000 or more (the FBI's own cut:
"10,000 and over", so a city of exactly 10,000 stays); rows of Tables 10 and 11
are not touched. Every removed row is counted (below the threshold, or
population blank so the rule cannot be applied) in ``attrs``. A series built
from such frames lists the same kind of city every year 2004-2016.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from enforcement_crime import config
from enforcement_crime.sources._checks import SourceError

__all__ = [
    "CITATION",
    "URL",
    "LICENSE",
    "SOURCE",
    "COUNT_COLUMNS",
    "TABLES",
    "LARGE_CITY_MIN_POPULATION",
    "load",
    "load_folder",
    "large_cities",
    "url_for",
    "fetch",
]

SOURCE = "fbi_cius"
CITATION = (
    "Federal Bureau of Investigation, Uniform Crime Reporting Program. Crime in the United "
    "States, <year>: Tables 8 (offenses known to law enforcement by state by city), 10 (by "
    "metropolitan and nonmetropolitan counties) and 11 (by state, tribal and other agencies). "
    "Washington, DC: U.S. Department of Justice."
)
URL = "https://ucr.fbi.gov/crime-in-the-u.s/"
LICENSE = "Public domain (U.S. federal government work, 17 U.S.C. 105)."

COUNT_COLUMNS: tuple[str, ...] = (
    "violent",
    "murder",
    "rape_revised",
    "rape_legacy",
    "robbery",
    "aggravated_assault",
    "property",
    "burglary",
    "larceny",
    "motor_vehicle_theft",
    "arson",
)
TABLES: tuple[str, ...] = ("city", "county", "state_other")
# CIUS 2004 Table 8 lists "City 10,000 and over in Population" (title of the 2004 copy)
LARGE_CITY_MIN_POPULATION = 10_000

# normalised header text -> column name (footnote digits and line breaks removed first)
_HEADER_MAP: dict[str, str] = {
    "state": "state",
    "city": "agency",
    "city by state": "agency",
    "county": "agency",
    "county by state": "agency",
    "state/tribal/other agencies": "agency",
    "unit/office": "unit",
    "population": "population",
    "violent crime": "violent",
    "murder and nonnegligent manslaughter": "murder",
    "murder and non-negligent man-slaughter": "murder",
    "forcible rape": "rape_legacy",
    "rape (legacy definition)": "rape_legacy",
    "rape (revised definition)": "rape_revised",
    "robbery": "robbery",
    "aggravated assault": "aggravated_assault",
    "property crime": "property",
    "burglary": "burglary",
    "larceny-theft": "larceny",
    "larceny- theft": "larceny",
    "motor vehicle theft": "motor_vehicle_theft",
    "arson": "arson",
}
# columns every layout of a table must have (rape is required in neither definition: years differ)
_REQUIRED_COUNTS: tuple[str, ...] = (
    "violent",
    "murder",
    "robbery",
    "aggravated_assault",
    "property",
    "burglary",
    "larceny",
    "motor_vehicle_theft",
)
_REQUIRED = {
    "city": ("agency", "population", *_REQUIRED_COUNTS),
    "county": ("agency", *_REQUIRED_COUNTS),
    "state_other": ("agency", *_REQUIRED_COUNTS),
}
_GROUP_SEP = re.compile(r"\s*(?:\ue83a|\u2013|\u2014| - |-)\s*")
_FOOTNOTE = re.compile(r"(?<=[^\d\s,])(\d+(?:\s*,\s*\d+)*)\s*$")
_FOOTNOTE_ROW = re.compile(r"^\s*\d+\s*\S")
_SUBHEADER = re.compile(r"^(non)?metropolitan counties$", re.IGNORECASE)
# digits, not word boundaries, delimit the year: "_" is a word character, so r"\b2010\b"
# misses "city_2010.xls", the name fbi_cius.fetch and data/raw/README.md prescribe
_YEAR = re.compile(r"(?<!\d)(19[89]\d|20[0-4]\d)(?!\d)")
_AND_OVER = re.compile(r"(\d{1,3}(?:,\d{3})+|\d+)\s+and\s+over", re.IGNORECASE)


def url_for(table: str, year: int) -> str:
    """Return the FBI download URL of a table and year (patterns in ``fbi_cius_tables/PROVENANCE.md``).

    Parameters
    ----------
    table : {"city", "county", "state_other"}
        Table 8 (6 in 2016), 10 (8 in 2016) or 11 (2013-2015; its 2016 number is not
        recorded here, so 2016 raises).
    year : int
        2004 to 2016.

    Raises
    ------
    ValueError
        For a year or table whose URL pattern is not known.
    """
    if table not in TABLES:
        raise ValueError(f"table must be one of {TABLES}, got {table!r}")
    number = {"city": 8, "county": 10, "state_other": 11}[table]
    yy = f"{year % 100:02d}"
    if year == 2004:
        return f"https://www2.fbi.gov/ucr/cius_04/documents/04tbl{number:02d}a.xls"
    if year == 2005:
        return f"https://www2.fbi.gov/ucr/05cius/data/documents/05tbl{number:02d}.xls"
    if 2006 <= year <= 2009:
        return f"https://www2.fbi.gov/ucr/cius{year}/data/documents/{yy}tbl{number:02d}.xls"
    if year == 2010:
        return f"https://ucr.fbi.gov/crime-in-the-u.s/2010/crime-in-the-u.s.-2010/tables/10tbl{number:02d}.xls"
    names = {
        "city": "offenses_known_to_law_enforcement_by_state_by_city",
        "county": "offenses_known_to_law_enforcement_by_state_by_metropolitan_and_nonmetropolitan_counties",
        "state_other": "offenses_known_to_law_enforcement_by_state_by_state_tribal_and_other_agencies",
    }
    base = f"https://ucr.fbi.gov/crime-in-the-u.s/{year}/crime-in-the-u.s.-{year}/tables"
    if year == 2011:
        return f"{base}/table_{number}_{names[table]}_{year}.xls"
    if year == 2012:
        return f"{base}/{number}tabledatadecpdf/table_{number}_{names[table]}_{year}.xls"
    if 2013 <= year <= 2015:
        return f"{base}/table-{number}/table_{number}_{names[table]}_{year}.xls"
    if year == 2016 and table != "state_other":
        number16 = {"city": 6, "county": 8}[table]
        return f"{base}/table-{number16}/table-{number16}.xls"
    raise ValueError(f"no known download URL for CIUS {table} table of {year} (2004-2016 only)")


def fetch(
    dest: str | Path | None = None, years=range(2004, 2017), tables=TABLES, progress: bool = True
) -> list[Path]:
    """Download CIUS tables into ``dest`` (default ``data/raw/fbi_cius/``) as ``<table>_<year>.xls``.

    No checksums are registered (the FBI has re-issued files); an existing
    file is kept (the cache). Tests never call this function.

    Returns
    -------
    list of Path
        The files downloaded or already present.
    """
    from enforcement_crime.sources._download import fetch_file

    dest = Path(dest) if dest is not None else config.raw_dir(SOURCE)
    out = []
    for year in years:
        for table in tables:
            if table == "state_other" and not 2013 <= year <= 2015:
                continue  # Table 11: only the 2013-2015 URL pattern is known
            out.append(
                fetch_file(url_for(table, year), dest / f"{table}_{year}.xls", progress=progress)
            )
    return out


# ---------------------------------------------------------------------------


def _is_html(path: Path) -> bool:
    """Whether the file starts like a web page (``<!DOCTYPE html``, ``<html``, ...)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(2048)
    except OSError:
        return False
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return text.startswith((b"<!doctype html", b"<html", b"<head", b"<body")) or (
        text.startswith(b"<") and b"<html" in text
    )


def _read_rows(path: Path) -> tuple[list[list], str]:
    try:
        from python_calamine import CalamineWorkbook

        wb = CalamineWorkbook.from_path(str(path))
        sheet = wb.sheet_names[0]
        rows = wb.get_sheet_by_name(sheet).to_python()
    except FileNotFoundError:
        raise
    except Exception as exc:  # calamine raises its own error types for corrupt files
        if _is_html(path):
            raise SourceError(
                path,
                "is an HTML page, not an Excel workbook (a login, error or landing page saved "
                "under the workbook's name?); download the table again",
            ) from None
        raise SourceError(
            path, f"cannot be read as an Excel workbook (truncated or corrupt?): {exc}"
        ) from None
    if not rows:
        raise SourceError(path, "the first sheet is empty")
    return rows, sheet


def _text(v) -> str:
    cls = v.__class__
    if cls is str:
        return v.strip()
    if v is None:
        return ""
    if cls is float:
        return "" if v != v else repr(v)
    return str(v).strip()


def _norm_header(v) -> str:
    s = _text(v).replace("\n", " ").lower()
    s = re.sub(r"\s+", " ", s)
    s = re.sub(
        r"(?<=[a-z\)])\d+$", "", s
    ).strip()  # footnote digit on the header (Arson1, Rape ...1)
    s = s.replace("( ", "(").replace(" )", ")")
    return s


def _strip_footnote(name: str) -> tuple[str, str | None]:
    m = _FOOTNOTE.search(name)
    if not m:
        return name.strip(), None
    digits = re.sub(r"\s+", "", m.group(1))
    return name[: m.start()].strip().rstrip(","), digits


def _find_header(rows: list[list], path: Path) -> int:
    for i, row in enumerate(rows[:15]):
        first = _norm_header(row[0]) if row else ""
        if first in ("state", "county by state", "city by state"):
            return i
    raise SourceError(
        path,
        "no header row found in the first 15 rows (expected a first cell 'State', 'County by "
        "state' or 'City by state' as in CIUS Tables 8, 10 and 11)",
        column="State",
    )


def _year_from(
    rows: list[list], header: int, path: Path, year: int | None
) -> tuple[int, str | None]:
    title = " ".join(_text(c) for r in rows[:header] for c in r if _text(c))
    number = None
    m = re.search(r"\bTable\s+(\d+)", title, re.IGNORECASE)
    if m:
        number = m.group(1)
    found = _YEAR.findall(title)
    if year is not None:
        if found and int(found[-1]) != int(year):
            raise SourceError(
                path, f"the title says year {found[-1]} but year={year} was passed", row=1
            )
        return int(year), number
    if found:
        return int(found[-1]), number
    stem = _YEAR.findall(path.stem)
    if stem:
        return int(stem[-1]), number
    raise SourceError(
        path,
        "cannot tell the year: no title row with a year and no year in the file name; pass year=",
    )


def _parse_column(values: pd.Series, sheet_rows: pd.Series, path: Path, column: str) -> pd.Series:
    """Parse one column of raw cells (floats, numeric text, blanks) to ``Int64``; bad cells raise.

    Vectorised; the first offending cell is re-parsed by :func:`_parse_count`
    for its message (file, sheet row, column header, value).
    """
    raw = values.astype("object")
    cells = raw.to_numpy()
    # float cells (most of them) are their own value; the rest are parsed as text
    is_float = np.fromiter((v.__class__ is float for v in cells), dtype=bool, count=len(cells))
    num_ = np.full(len(cells), np.nan)
    blank_ = np.zeros(len(cells), dtype=bool)
    floats = cells[is_float].astype("float64")
    num_[is_float] = floats
    blank_[is_float] = np.isnan(floats)
    if not is_float.all():
        other = ~is_float
        text = raw[other].astype("string").str.strip().str.replace(",", "", regex=False)
        tblank = (text.isna() | (text == "")).to_numpy(dtype=bool)
        num_[other] = pd.to_numeric(text.mask(tblank), errors="coerce").astype("float64")
        blank_[other] = tblank
    blank = blank_
    num = pd.Series(num_, index=raw.index)
    bad = (num.isna() & ~blank) | (num < 0) | (((num % 1) != 0) & num.notna())
    if bad.any():
        i = bad.to_numpy().nonzero()[0][0]
        _parse_count(raw.iloc[i], path, int(sheet_rows.iloc[i]), column)
        raise SourceError(
            path, f"unexpected cell {raw.iloc[i]!r}", row=int(sheet_rows.iloc[i]), column=column
        )  # pragma: no cover
    return num.round().astype("Int64")


def _parse_count(v, path: Path, row: int, column: str) -> float:
    """Parse one cell to a float (NaN when blank); raise naming the cell otherwise."""
    if v is None or v == "":
        return np.nan
    if isinstance(v, bool):
        raise SourceError(path, f"expected a count, got {v!r}", row=row, column=column)
    if isinstance(v, int | float):
        x = float(v)
    else:
        s = str(v).strip().replace(",", "")
        if s == "":
            return np.nan
        try:
            x = float(s)
        except ValueError:
            raise SourceError(
                path, f"expected a number, got {v!r}", row=row, column=column
            ) from None
    if np.isnan(x):
        return np.nan
    if x < 0:
        raise SourceError(path, f"expected a non-negative count, got {x:g}", row=row, column=column)
    if x % 1 != 0:
        raise SourceError(path, f"expected a whole number, got {x:g}", row=row, column=column)
    return x


def load(
    path: str | Path, year: int | None = None, min_city_population: int | None = None
) -> pd.DataFrame:
    """Read one CIUS Table 8, 10 or 11 workbook into a tidy agency frame.

    Parameters
    ----------
    path : str or Path
        An ``.xls`` (or ``.xlsx``) file as published by the FBI.
    year : int, optional
        The data year; read from the title row (or else the file name, e.g.
        ``city_2010.xls``) when omitted. When given and the title names
        another year, an error is raised.
    min_city_population : int, optional
        Apply :func:`large_cities` with this threshold (e.g. ``10_000``, the
        rule that makes every year comparable with the 2004 table). The
        removed city rows are counted in ``attrs["rows_skipped"]``.

    Returns
    -------
    pandas.DataFrame
        One row per agency; columns as in the module docstring.

    Raises
    ------
    SourceError
        Unreadable or truncated workbook; no header row; a required column
        missing or renamed; a cell that is not a number, negative or
        fractional; an agency row before any state name; two rows with the
        same (state, group, agency, unit); a violent or property total
        grossly unlike the sum of its parts (:func:`_check_totals`); a
        ``min_city_population`` below the table's own ``population_floor``.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file (CIUS table expected)")
    rows, sheet = _read_rows(path)
    header = _find_header(rows, path)
    year, number = _year_from(rows, header, path, year)

    colmap: dict[int, str] = {}
    unknown: dict[int, str] = {}
    for j, h in enumerate(rows[header]):
        key = _norm_header(h)
        if not key:
            continue
        if key in _HEADER_MAP:
            colmap[j] = _HEADER_MAP[key]
        else:
            unknown[j] = _text(h)
    names = set(colmap.values())
    first = _norm_header(rows[header][0])
    if first == "county by state":
        table, layout = "county", "one_column"
    elif first == "city by state":
        table, layout = "city", "one_column"
    elif "unit" in names or any(
        _norm_header(h) == "state/tribal/other agencies" for h in rows[header]
    ):
        table, layout = "state_other", "state_column"
    elif any(_norm_header(h) == "city" for h in rows[header]):
        table, layout = "city", "state_column"
    elif any(_norm_header(h) == "county" for h in rows[header]):
        table, layout = "county", "state_column"
    else:
        raise SourceError(
            path,
            f"header row {header + 1} names neither 'City', 'County' nor 'State/Tribal/Other Agencies'",
            row=header + 1,
        )
    if unknown:
        j, h = next(iter(unknown.items()))
        raise SourceError(
            path,
            f"unexpected column header {h!r} (renamed column?); known headers: {sorted(_HEADER_MAP)}",
            row=header + 1,
            column=h,
        )
    missing = [c for c in _REQUIRED[table] if c not in names]
    if "rape_legacy" not in names and "rape_revised" not in names:
        missing.append("rape (forcible, legacy or revised)")
    if missing:
        raise SourceError(
            path,
            f"missing column(s) {missing} of the CIUS {table} table layout",
            row=header + 1,
            column=missing[0],
        )
    if table == "county" and year == 2016 and number is None:
        number = "8"
    by_name = {v: j for j, v in colmap.items()}
    ncol = len(rows[header])

    skipped = {
        "title_and_header": header + 1,
        "blank": 0,
        "footnote_text": 0,
        "state_or_group_heading": 0,
    }
    records = []
    state: str | None = None
    group: str | None = None
    state_notes: str | None = None
    for i in range(header + 1, len(rows)):
        row = list(rows[i]) + [""] * max(0, ncol - len(rows[i]))
        sheet_row = i + 1
        cells = [c.strip() if c.__class__ is str else _text(c) for c in row]
        if not any(cells):
            skipped["blank"] += 1
            continue
        # footnote text rows: a leading footnote number in the first column, nothing else
        if _FOOTNOTE_ROW.match(cells[0]) and not any(cells[1:]):
            skipped["footnote_text"] += 1
            continue
        if layout == "one_column":
            label = cells[0]
            values_blank = not any(cells[1:])
            if values_blank and _SUBHEADER.match(label):
                group = label.title()
                skipped["state_or_group_heading"] += 1
                continue
            if values_blank and label.upper() == label:
                state, state_notes = _strip_footnote(label)
                state = state.upper()
                group = None
                skipped["state_or_group_heading"] += 1
                continue
            agency_raw, unit_raw = label, ""
        else:
            scell = cells[by_name["state"]]
            if scell:
                parts = _GROUP_SEP.split(scell, maxsplit=1)
                sname, state_notes = _strip_footnote(parts[0])
                state = sname.upper()
                if len(parts) > 1:
                    group, gnotes = _strip_footnote(parts[1])
                    state_notes = ",".join(x for x in (state_notes, gnotes) if x) or None
                else:
                    group = None
            agency_raw = cells[by_name["agency"]]
            unit_raw = cells[by_name["unit"]] if "unit" in by_name else ""
            if not agency_raw and not unit_raw:
                if any(cells[j] for j, c in colmap.items() if c not in ("state", "agency", "unit")):
                    raise SourceError(
                        path,
                        "a row with counts but no agency name",
                        row=sheet_row,
                        column=_text(rows[header][by_name["agency"]]),
                    )
                skipped["state_or_group_heading"] += 1
                continue
        if state is None:
            raise SourceError(
                path, "an agency row before any state name", row=sheet_row, column="State"
            )
        agency, notes = _strip_footnote(agency_raw)
        unit, unotes = _strip_footnote(unit_raw) if unit_raw else ("", None)
        rec = {
            "state": state,
            "agency_group": group,
            "agency": agency if agency else None,
            "unit": unit or None,
            "footnotes": ",".join(x for x in (notes, unotes) if x) or None,
            "sheet_row": sheet_row,
        }
        if layout == "one_column":
            offset = {c: j for j, c in colmap.items()}
        else:
            offset = by_name
        for col in ("population",) + COUNT_COLUMNS:
            if col in offset:
                rec[col] = row[offset[col]]
        records.append(rec)

    df = pd.DataFrame.from_records(records)
    if df.empty:
        raise SourceError(path, "no agency rows found below the header (truncated file?)")
    # Table 11 lists a unit under the agency named on an earlier row: fill the agency down
    if table == "state_other":
        df["agency"] = df.groupby((df["agency"].notna()).cumsum())["agency"].transform("first")
    out = pd.DataFrame(
        {
            "year": np.full(len(df), year, dtype="int64"),
            "table": table,
            "table_number": number,
            "state": df["state"].astype("string"),
            "agency_group": df["agency_group"].astype("string"),
            "agency": df["agency"].astype("string"),
            "unit": df["unit"].astype("string"),
        }
    )
    out["table_number"] = out["table_number"].astype("string")
    offset = {c: j for j, c in colmap.items()}
    for col in ("population",) + COUNT_COLUMNS:
        if col in df:
            out[col] = _parse_column(
                df[col], df["sheet_row"], path, _text(rows[header][offset[col]])
            )
        else:
            out[col] = pd.array([pd.NA] * len(df), dtype="Int64")
    title = " ".join(_text(c) for r in rows[:header] for c in r if _text(c))
    floor, coverage = _population_floor(table, title, path)
    out["population_floor"] = pd.array([floor] * len(df), dtype="Int64")
    out["footnotes"] = df["footnotes"].astype("string")
    out["sheet_row"] = df["sheet_row"].astype("int64")
    _check_totals(out, path, {c: _text(rows[header][offset[c]]) for c in offset if c in out})
    keys = ["state", "agency_group", "agency", "unit"]
    dup = out.duplicated(keys, keep=False)
    if dup.any():
        first_dup = out.loc[dup, keys].iloc[0].to_dict()
        raise SourceError(
            path,
            f"duplicate agency {first_dup}: each agency may appear once per table",
            row=out.loc[dup, "sheet_row"].tolist(),
            column="agency",
        )
    out.attrs.update(
        source_file=str(path),
        sheet=sheet,
        rows_skipped=skipped,
        sheet_rows=len(rows),
        coverage=coverage,
    )
    if min_city_population is not None:
        out = large_cities(out, min_city_population)
    return out


#: how far a table's own total may lie from the sum of its parts before the row is refused:
#: the published tables have a few small disagreements (a property total left at 0, a part
#: miscounted), which are kept; a gross one (a cell with extra digits) is refused
TOTAL_TOLERANCE_ABS = 100
TOTAL_TOLERANCE_REL = 0.5


def _check_totals(out: pd.DataFrame, path: Path, headers: dict[str, str]) -> None:
    """Refuse a row whose violent or property total is grossly unlike the sum of its parts.

    ``violent`` against murder + rape + robbery + aggravated assault (rape in
    either definition, whichever is closer), ``property`` against burglary +
    larceny + motor vehicle theft (arson is not part of it); rows with a
    missing cell are not compared. A difference above both
    :data:`TOTAL_TOLERANCE_ABS` offences and :data:`TOTAL_TOLERANCE_REL` of
    the larger of total and sum is refused, naming the file, sheet row,
    column and values.
    """

    def f(col: str) -> np.ndarray:
        return out[col].astype("Float64").to_numpy(float, na_value=np.nan)

    base = f("murder") + f("robbery") + f("aggravated_assault")
    with_revised, with_legacy = base + f("rape_revised"), base + f("rape_legacy")
    d_rev, d_leg = np.abs(with_revised - f("violent")), np.abs(with_legacy - f("violent"))
    use_legacy = np.isnan(d_rev) | (d_leg < d_rev)
    parts_p = f("burglary") + f("larceny") + f("motor_vehicle_theft")
    checks = [
        (
            "violent",
            "murder, rape, robbery and aggravated assault",
            np.where(use_legacy, with_legacy, with_revised),
        ),
        ("property", "burglary, larceny-theft and motor vehicle theft", parts_p),
    ]
    for total, words, parts in checks:
        diff = np.abs(parts - f(total))
        limit = np.maximum(TOTAL_TOLERANCE_ABS, TOTAL_TOLERANCE_REL * np.fmax(f(total), parts))
        bad = ~np.isnan(diff) & (diff > limit)
        if bad.any():
            rows_bad = np.flatnonzero(bad)
            i = int(rows_bad[0])
            raise SourceError(
                path,
                f"{out['agency'].iloc[i]} ({out['state'].iloc[i]}): the table's {total} total is "
                f"{f(total)[i]:,.0f} but its parts ({words}) sum to {parts[i]:,.0f}",
                row=out["sheet_row"].iloc[rows_bad].tolist(),
                column=headers.get(total, total),
            )


def _population_floor(table: str, title: str, path: Path) -> tuple[object, str]:
    """The smallest city population a table lists by design, and a coverage text."""
    if table == "county":
        return pd.NA, "sheriff's offices and county police (Table 10), not county totals"
    if table == "state_other":
        return pd.NA, "state, tribal and other agencies (Table 11)"
    m = _AND_OVER.search(title)
    if m is None:
        return 0, "all cities"
    floor = int(m.group(1).replace(",", ""))
    return floor, f"cities of {floor:,} and over only (title: {title!r})"


def large_cities(df: pd.DataFrame, min_population: int = LARGE_CITY_MIN_POPULATION) -> pd.DataFrame:
    """Keep the Table 8 cities of ``min_population`` and over: the 2004-compatible rule.

    CIUS 2004 lists only cities of 10,000 and over. Applying the same rule to
    every year gives a city series of one kind from 2004 to 2016.

    Parameters
    ----------
    df : pandas.DataFrame
        :func:`load` output (one or several tables and years, concatenated).
    min_population : int, default 10_000
        Keep city rows with ``population >= min_population`` (the FBI's
        "10,000 and over" includes 10,000).

    Returns
    -------
    pandas.DataFrame
        A copy without the smaller cities. Rows of Tables 10 and 11 are kept
        unchanged (the rule is about cities). City rows whose population is
        blank cannot be judged and are removed too. ``population_floor`` of
        the kept city rows becomes ``max(floor, min_population)``.
        ``attrs["large_city_rule"]`` records the threshold and, per (table,
        year), the rows in, kept, removed below the threshold and removed for
        a blank population; when ``attrs["rows_skipped"]`` exists (a single
        :func:`load` output), the removed rows are added to it
        (``city_below_min_population``, ``city_population_blank``) so every
        sheet row stays accounted for.

    Raises
    ------
    ValueError
        ``min_population`` is negative, or below the ``population_floor`` of a
        table in ``df`` (the 2004 table cannot give cities of 5,000 and over:
        they are not in it), or ``df`` lacks the columns of :func:`load`.
    """
    need = {"table", "year", "population", "population_floor"}
    if not need <= set(df.columns):
        raise ValueError(
            f"large_cities: columns {sorted(need - set(df.columns))} missing; expected "
            "fbi_cius.load output"
        )
    min_population = int(min_population)
    if min_population < 0:
        raise ValueError(f"large_cities: min_population must be >= 0, got {min_population}")
    city = (df["table"] == "city").to_numpy(dtype=bool)
    floors = df.loc[city, "population_floor"]
    too_low = floors.notna() & (floors > min_population)
    if too_low.any():
        bad = df.loc[city].loc[too_low.to_numpy()].iloc[0]
        raise ValueError(
            f"large_cities: the {int(bad['year'])} city table lists only cities of "
            f"{int(bad['population_floor']):,} and over (file {df.attrs.get('source_file', '?')}); "
            f"a rule of {min_population:,} cannot be applied to it consistently"
        )
    pop = df["population"]
    blank = city & pop.isna().to_numpy(dtype=bool)
    below = city & ~blank & (pop.fillna(0) < min_population).to_numpy(dtype=bool)
    drop = blank | below
    report = {}
    for (table, year), idx in df.groupby(["table", "year"]).indices.items():
        report[f"{table} {int(year)}"] = {
            "rows_in": len(idx),
            "kept": int((~drop[idx]).sum()),
            "below_min_population": int(below[idx].sum()),
            "population_blank": int(blank[idx].sum()),
        }
    out = df.loc[~drop].copy()
    keep_city = city[~drop]
    out.loc[keep_city, "population_floor"] = (
        out.loc[keep_city, "population_floor"].fillna(0).clip(lower=min_population)
    )
    attrs = {k: (dict(v) if isinstance(v, dict) else v) for k, v in df.attrs.items()}
    if "rows_skipped" in attrs:
        attrs["rows_skipped"]["city_below_min_population"] = int(below.sum())
        attrs["rows_skipped"]["city_population_blank"] = int(blank.sum())
    if city.any():
        attrs["coverage"] = f"cities of {min_population:,} and over (large_cities rule)"
    attrs["large_city_rule"] = {"min_population": min_population, "by_table_year": report}
    out.attrs = attrs
    return out


def load_folder(
    folder: str | Path, min_city_population: int | None = None
) -> dict[tuple[str, int], pd.DataFrame]:
    """Load every ``.xls`` in ``folder`` (recursively); return ``{(table, year): frame}``.

    Two files holding the same table and year raise a ``ValueError`` naming
    both. ``min_city_population`` is passed to :func:`load` (e.g. ``10_000``
    for a city series that 2004 can join).
    """
    folder = Path(folder)
    out: dict[tuple[str, int], pd.DataFrame] = {}
    where: dict[tuple[str, int], Path] = {}
    for path in sorted(folder.rglob("*.xls*")):
        df = load(path, min_city_population=min_city_population)
        key = (str(df["table"].iloc[0]), int(df["year"].iloc[0]))
        if key in out:
            raise ValueError(
                f"{folder}: two files hold the CIUS {key[0]} table of {key[1]}: {where[key]} and {path}"
            )
        out[key], where[key] = df, path
    return out
