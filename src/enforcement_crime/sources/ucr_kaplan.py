"""UCR Return A (offenses known and clearances), agency-year, Jacob Kaplan's concatenation.

Jacob Kaplan, *Uniform Crime Reporting (UCR) Program Data: Offenses Known and
Clearances by Arrest (Return A), 1960-*, openICPSR project 100707. One file
per year (or all years) in csv, dta, parquet or rds; this loader reads csv,
dta and parquet. The column layout follows ``../shared/docs/DATA_SOURCES.md``
("Layout facts"); no real copy is available to the project, so the committed
fixtures are made up in that layout and the layout must be verified against
the codebook when a user has the files.

Columns of the returned frame
-----------------------------
``ori`` (7 characters), ``ori9``, ``agency_name``, ``state``, ``state_abb``,
``year`` (int), ``months_reported`` (``Int64`` in [0, 12]), ``months_rule``
(``"reported"`` when read from ``number_of_months_reported`` -- in Kaplan's
files this is the *last* month reported, not a count -- or ``"12 - missing"``
when derived from ``number_of_months_missing``), ``population`` (``Int64``),
``fips`` (5-digit county FIPS built from ``fips_state_code`` and
``fips_county_code``; missing when either is), ``agency_type``, the counts
``murder``, ``rape``, ``robbery``, ``aggravated_assault``, ``burglary``,
``larceny``, ``motor_vehicle_theft``, ``violent``, ``property``, ``index``
(the file's ``actual_index_*``), ``cleared_violent``, ``cleared_property`` and
``officers_assaulted`` (``Int64``; absent columns are missing, never zero).
The index is the 1-based data row (header = 1 for csv).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from enforcement_crime import config
from enforcement_crime.sources._checks import SourceError
from enforcement_crime.sources._csv import read_csv_lines
from enforcement_crime.sources._download import login_required

__all__ = [
    "CITATION",
    "URL",
    "LICENSE",
    "SOURCE",
    "LOGIN",
    "COLUMN_MAP",
    "load",
    "fetch",
]

SOURCE = "ucr_kaplan"
CITATION = (
    "Kaplan, Jacob. Jacob Kaplan's Concatenated Files: Uniform Crime Reporting (UCR) Program "
    "Data: Offenses Known and Clearances by Arrest (Return A), 1960-. Ann Arbor, MI: "
    "Inter-university Consortium for Political and Social Research [distributor]. "
    "https://doi.org/10.3886/E100707"
)
URL = "https://www.openicpsr.org/openicpsr/project/100707"
LICENSE = "openICPSR terms of use (free account); CC BY 4.0 as stated on the project page."
LOGIN = {
    "what": "the yearly Return A files (offenses_known_yearly_<year>.csv, .dta or .parquet) for the years you need",
    "where_from": f"{URL} (free openICPSR account; 'Download this project' or single files)",
}

# Kaplan column -> our column (counts)
COLUMN_MAP: dict[str, str] = {
    "actual_murder": "murder",
    "actual_rape_total": "rape",
    "actual_robbery_total": "robbery",
    "actual_assault_aggravated": "aggravated_assault",
    "actual_burg_total": "burglary",
    "actual_theft_total": "larceny",
    "actual_mtr_veh_theft_total": "motor_vehicle_theft",
    "actual_index_violent": "violent",
    "actual_index_property": "property",
    "actual_index_total": "index",
    "tot_clr_index_violent": "cleared_violent",
    "tot_clr_index_property": "cleared_property",
    "officers_assaulted": "officers_assaulted",
}
_REQUIRED = (
    "ori",
    "year",
    "population",
    "fips_state_code",
    "fips_county_code",
    "actual_murder",
    "actual_rape_total",
    "actual_robbery_total",
    "actual_assault_aggravated",
    "actual_burg_total",
    "actual_theft_total",
    "actual_mtr_veh_theft_total",
)


def fetch(dest: str | Path | None = None) -> None:
    """Kaplan's files need an openICPSR login: raise :class:`LoginRequired` with instructions."""
    dest = Path(dest) if dest is not None else config.raw_dir(SOURCE)
    login_required(SOURCE, LOGIN["what"], LOGIN["where_from"], dest)


def _read(path: Path) -> pd.DataFrame:
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            # the shared reader: refuses a cut last line or any row with a wrong field count
            df = read_csv_lines(path, na_values=("", "NA"), index_name="row")
        elif suffix == ".dta":
            df = pd.read_stata(path, convert_categoricals=False)
        elif suffix == ".parquet":
            df = pd.read_parquet(path)
        else:
            raise SourceError(path, f"unknown format {suffix!r} (expected .csv, .dta or .parquet)")
    except SourceError:
        raise
    except FileNotFoundError:
        raise
    except Exception as exc:
        raise SourceError(
            path,
            f"cannot be read as a Kaplan Return A {suffix} file (truncated or corrupt?): {exc}",
        ) from None
    df.columns = [str(c).strip().lower() for c in df.columns]
    if suffix != ".csv":  # a csv keeps its file line numbers (header = 1)
        df = df.reset_index(drop=True)
        df.index = pd.RangeIndex(2, len(df) + 2, name="row")
    return df


def _int(
    df: pd.DataFrame,
    col: str,
    path: Path,
    *,
    min_value: int | None = 0,
    max_value: int | None = None,
) -> pd.Series:
    s = df[col]
    raw = s.astype("string").str.strip()
    num = pd.to_numeric(raw, errors="coerce")
    bad = (num.isna() & raw.notna() & (raw != "")) | (((num % 1) != 0) & num.notna()).fillna(False)
    if bad.any():
        raise SourceError(
            path,
            f"expected an integer, got {s[bad].iloc[0]!r}",
            row=df.index[bad.to_numpy()],
            column=col,
        )
    if min_value is not None:
        low = (num < min_value).fillna(False)
        if low.any():
            raise SourceError(
                path,
                f"expected a value >= {min_value}, got {num[low].iloc[0]:g}"
                + (" (a negative count)" if min_value == 0 else ""),
                row=df.index[low.to_numpy()],
                column=col,
            )
    if max_value is not None:
        high = (num > max_value).fillna(False)
        if high.any():
            raise SourceError(
                path,
                f"expected a value <= {max_value}, got {num[high].iloc[0]:g}",
                row=df.index[high.to_numpy()],
                column=col,
            )
    return num.round().astype("Int64")


def load(path: str | Path) -> pd.DataFrame:
    """Read one Kaplan Return A agency-year file (csv, dta or parquet).

    Parameters
    ----------
    path : str or Path
        E.g. ``offenses_known_yearly_2010.csv``.

    Returns
    -------
    pandas.DataFrame
        One row per agency and year; columns as in the module docstring.

    Raises
    ------
    SourceError
        Unreadable file, missing columns (including both month columns
        absent), non-numeric cells, negative counts, months outside [0, 12],
        duplicate (ori, year) keys.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file (Kaplan Return A agency-year file expected)")
    df = _read(path)
    missing = [c for c in _REQUIRED if c not in df.columns]
    if (
        "number_of_months_missing" not in df.columns
        and "number_of_months_reported" not in df.columns
    ):
        missing.append("number_of_months_missing or number_of_months_reported")
    if missing:
        raise SourceError(
            path,
            f"missing column(s) {missing} of Kaplan's Return A layout; found {list(df.columns)[:25]}",
            column=missing[0],
        )
    if df.empty:
        raise SourceError(path, "no data rows (truncated file?)")
    out = pd.DataFrame(index=df.index)
    ori = df["ori"].astype("string").str.strip().str.upper()
    bad = ori.isna() | ~ori.str.fullmatch(r"[A-Z0-9]{7}").fillna(False)
    if bad.any():
        raise SourceError(
            path,
            f"expected a 7-character ORI, got {df['ori'][bad].iloc[0]!r}",
            row=df.index[bad.to_numpy()],
            column="ori",
        )
    out["ori"] = ori
    for col in ("ori9", "agency_name", "state", "state_abb", "agency_type"):
        out[col] = (
            df[col].astype("string").str.strip()
            if col in df
            else pd.Series(pd.NA, index=df.index, dtype="string")
        )
    year = _int(df, "year", path, min_value=1960, max_value=2100)
    if year.isna().any():
        raise SourceError(path, "missing year", row=df.index[year.isna().to_numpy()], column="year")
    out["year"] = year.astype("int64")
    if "number_of_months_missing" in df:
        out["months_reported"] = (
            12 - _int(df, "number_of_months_missing", path, max_value=12)
        ).astype("Int64")
        out["months_rule"] = "12 - missing"
    else:
        out["months_reported"] = _int(df, "number_of_months_reported", path, max_value=12)
        out["months_rule"] = "reported"
    out["months_rule"] = out["months_rule"].astype("string")
    out["population"] = _int(df, "population", path)
    st = _int(df, "fips_state_code", path)
    co = _int(df, "fips_county_code", path)
    out["fips"] = (st.astype("string").str.zfill(2) + co.astype("string").str.zfill(3)).astype(
        "string"
    )
    for src, dst in COLUMN_MAP.items():
        out[dst] = _int(df, src, path) if src in df else pd.array([pd.NA] * len(df), dtype="Int64")
    dup = out.duplicated(["ori", "year"], keep=False)
    if dup.any():
        first = out.loc[dup, ["ori", "year"]].iloc[0].to_dict()
        raise SourceError(
            path,
            f"duplicate key {first} (ori and year must be unique)",
            row=out.index[dup.to_numpy()],
            column="ori, year",
        )
    out.attrs.update(source_file=str(path))
    return out
