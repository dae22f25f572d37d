"""FBI *Crime in the United States* (CIUS) agency tables 8, 10 and 11 (legacy ``.xls``).

One call of :func:`load` reads one workbook into one tidy frame, one row per
listed agency. Three tables are understood, in every layout present in the
real copies (``../shared/data/fbi_cius_tables/`` and
``../shared/data/fbi_cius_table10_county_sheriff/``):

``city`` -- Table 8 "Offenses Known to Law Enforcement by State by City"
    (numbered Table 6 in CIUS 2016): city and town police departments, with
    the population they serve.
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

``df.attrs`` holds ``source_file``, ``sheet`` and ``rows_skipped``: a dict
counting the sheet rows that are not agencies (title, header, blank,
state-name and sub-header rows, footnote text) so that every sheet row is
accounted for: ``len(df) + sum(rows_skipped.values()) == sheet rows``.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from enforcement_crime import config
from enforcement_crime.sources._fetch import SourceError

__all__ = [
    "CITATION",
    "URL",
    "LICENSE",
    "SOURCE",
    "COUNT_COLUMNS",
    "TABLES",
    "load",
    "load_folder",
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

# normalised header text -> column name (footnote digits and line breaks removed first)
_HEADER_MAP: dict[str, str] = {
    "state": "state",
    "city": "agency",
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
_YEAR = re.compile(r"\b(19[89]\d|20[0-4]\d)\b")


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
    from enforcement_crime.sources._fetch import fetch_file

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


def _read_rows(path: Path) -> tuple[list[list], str]:
    try:
        from python_calamine import CalamineWorkbook

        wb = CalamineWorkbook.from_path(str(path))
        sheet = wb.sheet_names[0]
        rows = wb.get_sheet_by_name(sheet).to_python()
    except FileNotFoundError:
        raise
    except Exception as exc:  # calamine raises its own error types for corrupt files
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
        if first in ("state", "county by state"):
            return i
    raise SourceError(
        path,
        "no header row found in the first 15 rows (expected a first cell 'State' or 'County by state' "
        "as in CIUS Tables 8, 10 and 11)",
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
    text = raw.astype("string").str.strip().str.replace(",", "", regex=False)
    blank = (text.isna() | (text == "")).to_numpy(dtype=bool)
    num = pd.to_numeric(text.mask(blank), errors="coerce").astype("float64")
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


def load(path: str | Path, year: int | None = None) -> pd.DataFrame:
    """Read one CIUS Table 8, 10 or 11 workbook into a tidy agency frame.

    Parameters
    ----------
    path : str or Path
        An ``.xls`` (or ``.xlsx``) file as published by the FBI.
    year : int, optional
        The data year; read from the title row (or else the file name) when
        omitted. When given and the title names another year, an error is
        raised.

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
        same (state, group, agency, unit).
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
        cells = [_text(c) for c in row]
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
    out["footnotes"] = df["footnotes"].astype("string")
    out["sheet_row"] = df["sheet_row"].astype("int64")
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
    out.attrs.update(source_file=str(path), sheet=sheet, rows_skipped=skipped, sheet_rows=len(rows))
    return out


def load_folder(folder: str | Path) -> dict[tuple[str, int], pd.DataFrame]:
    """Load every ``.xls`` in ``folder`` (recursively); return ``{(table, year): frame}``.

    Two files holding the same table and year raise a ``ValueError`` naming
    both.
    """
    folder = Path(folder)
    out: dict[tuple[str, int], pd.DataFrame] = {}
    where: dict[tuple[str, int], Path] = {}
    for path in sorted(folder.rglob("*.xls*")):
        df = load(path)
        key = (str(df["table"].iloc[0]), int(df["year"].iloc[0]))
        if key in out:
            raise ValueError(
                f"{folder}: two files hold the CIUS {key[0]} table of {key[1]}: {where[key]} and {path}"
            )
        out[key], where[key] = df, path
    return out
