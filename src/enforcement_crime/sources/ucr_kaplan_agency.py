"""Jacob Kaplan's agency-year CSVs of crimedatatool.com: offenses known (Return A) and LEOKA.

Kaplan's repository ``jacobkap/crimedatatool_helper`` holds one CSV per
agency, written from his concatenated UCR files: ``data/offenses/<State>_<Agency>.csv``
(Return A offenses known, clearances by arrest, unfounded reports and the
officers killed or assaulted columns) and ``data/leoka/<State>_<Agency>.csv``
(LEOKA: police employees and assaults on officers). Agency files of one state
concatenated under one header (the shared copies in
``../shared/data/kaplan_ucr_nc_agencies_2000_2016/``) are read the same way.
This layout is not the one of Kaplan's yearly openICPSR files
(``actual_*`` columns, :mod:`enforcement_crime.sources.ucr_kaplan`): its
counts are ``act_*`` (offenses known), ``clr_*`` (cleared by arrest),
``clr_18_*`` (cleared, every offender under 18) and ``unfound_*``.

:func:`load` tells the two kinds apart by their columns (``act_murder`` for
offenses, ``total_officers`` for LEOKA); :func:`load_offenses` and
:func:`load_leoka` insist on one kind.

Cells
-----
Every numeric cell is read as written: an empty cell or ``NA`` stays missing
(never zero), R's scientific notation is a number (``1e3`` is 1000), and
anything else that is not a whole non-negative number raises a
:class:`~enforcement_crime.sources._checks.SourceError` naming the file, the
line (header = line 1) and the column. ``(ori, year)`` must be unique.

Columns of the returned frame (offenses)
----------------------------------------
``ori`` (7 characters, ``ORI`` of the file), ``agency``, ``state``, ``year``
(int), ``population`` (population served, ``Int64``), every numeric column of
the file under its own name (``Int64``), and:

* ``murder`` (``act_murder``: murder and non-negligent manslaughter),
  ``rape`` (``act_rape_total``, the legacy definition these files carry in
  every year), ``robbery``, ``aggravated_assault``, ``burglary``,
  ``larceny`` (``act_theft_total``), ``motor_vehicle_theft``
  (``act_mtr_vhc_theft_total``), ``violent`` (murder + rape + robbery +
  aggravated assault), ``property`` (burglary + larceny + motor vehicle
  theft; arson is not in the file) and ``index`` (violent + property);
* ``cleared_violent`` and ``cleared_property``, the same sums over the
  ``clr_*`` columns;
* ``clearances_reported`` (bool, see below).

A total is missing when any of its parts is.

Rows with every clearance at 0
------------------------------
Some agency-years hold 0 in **every** ``clr_*`` and ``clr_18_*`` column
(e.g. a sheriff's office with hundreds of burglaries and not one cleared).
These are taken to mean that clearances were **not reported**, not that none
was made: ``clearances_reported`` is False and ``cleared_violent`` and
``cleared_property`` are missing (the raw ``clr_*`` columns keep their
zeros). A row with no offense at all is flagged too (it has nothing to clear;
a clearance rate is undefined there anyway). A row with a missing clearance
cell is not flagged: its totals are missing by the rule above.

Columns of the returned frame (LEOKA)
-------------------------------------
``ori``, ``agency``, ``state``, ``year``, ``population``, every numeric
column of the file under its own name (``Int64``), and ``officers``
(``total_officers``), ``civilians`` (``total_civilians``),
``assaults_on_officers`` (``total_assault_total``), ``assaults_with_injury``
(``assault_injury_total``) and ``assaults_reported`` (bool: False when the
assault total is empty, which in these files means not reported).

The index is the file line of each record (header = line 1).
``df.attrs``: ``source_file`` and ``kind`` (``"offenses"`` or ``"leoka"``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from enforcement_crime import config
from enforcement_crime.sources._checks import SourceError, require_columns, to_int
from enforcement_crime.sources._csv import read_csv_lines
from enforcement_crime.sources._download import LoginRequired

__all__ = [
    "CITATION",
    "URL",
    "LICENSE",
    "SOURCE",
    "SHA256",
    "OFFENSE_PARTS",
    "CLEARED_PARTS",
    "load",
    "load_offenses",
    "load_leoka",
    "fetch",
]

SOURCE = "ucr_kaplan_agency"
CITATION = (
    "Kaplan, Jacob. Uniform Crime Reporting (UCR) Program Data: Offenses Known and Clearances "
    "by Arrest, 1960- (openICPSR 100707) and Law Enforcement Officers Killed and Assaulted "
    "(LEOKA), 1960- (openICPSR 102180); agency-year files of crimedatatool.com, "
    "https://github.com/jacobkap/crimedatatool_helper"
)
URL = "https://github.com/jacobkap/crimedatatool_helper"
LICENSE = "Public FBI UCR data as concatenated by Jacob Kaplan; cite his openICPSR projects."

#: sha256 of the North Carolina files transcribed from the repository (their PROVENANCE.md);
#: ``data build`` says when a file of that name differs
SHA256: dict[str, str] = {
    "offenses_north_carolina_2000_2016.csv": (
        "290649a50635e83b68fbbc4c762e3520c78ed2107fd55217a672268a08d585cc"
    ),
    "leoka_north_carolina_2000_2016.csv": (
        "049a2948cc110f77beccedc399bcc078f21e6b765356e29df5b92afc33a6f0f4"
    ),
}

#: our count -> the file's offenses-known column
OFFENSE_PARTS: dict[str, str] = {
    "murder": "act_murder",
    "rape": "act_rape_total",
    "robbery": "act_robbery_total",
    "aggravated_assault": "act_aggravated_assault",
    "burglary": "act_burglary_total",
    "larceny": "act_theft_total",
    "motor_vehicle_theft": "act_mtr_vhc_theft_total",
}
_VIOLENT = ("murder", "rape", "robbery", "aggravated_assault")
_PROPERTY = ("burglary", "larceny", "motor_vehicle_theft")
#: cleared total -> the file's cleared-by-arrest columns summed
CLEARED_PARTS: dict[str, tuple[str, ...]] = {
    "cleared_violent": tuple("clr_" + OFFENSE_PARTS[k][4:] for k in _VIOLENT),
    "cleared_property": tuple("clr_" + OFFENSE_PARTS[k][4:] for k in _PROPERTY),
}
_LEOKA_MAP = {
    "officers": "total_officers",
    "civilians": "total_civilians",
    "assaults_on_officers": "total_assault_total",
    "assaults_with_injury": "assault_injury_total",
}
_ID = ("agency", "year", "state", "population", "ORI")
_TEXT = ("agency", "state", "ORI")


def fetch(dest: str | Path | None = None) -> None:
    """Say which agency files to download by hand, and where to put them.

    Raises
    ------
    LoginRequired
        Always (the exception the ``data fetch`` command reports as manual
        instructions): the repository is too large to fetch whole and holds
        one file per agency; no account is needed.
    """
    dest = Path(dest) if dest is not None else config.raw_dir(SOURCE)
    raise LoginRequired(
        f"{SOURCE}: cannot be downloaded automatically (one file per agency in a very large "
        "repository); no account or login is needed.\n"
        "  Download: data/offenses/<State>_<Agency>.csv and data/leoka/<State>_<Agency>.csv "
        "for the agencies you need (files of one kind may be concatenated under one header)\n"
        f"  From:     {URL}\n"
        f"  Put in:   {dest}/ (file names containing 'offenses' or 'leoka')\n"
        "then run the command again."
    )


def _kind(columns: list[str]) -> str | None:
    if "act_murder" in columns:
        return "offenses"
    if "total_officers" in columns:
        return "leoka"
    return None


def _numbers(df: pd.DataFrame, col: str, path: Path) -> pd.Series:
    """One column as whole non-negative numbers (``Int64``); empty and ``NA`` stay missing."""
    return to_int(
        df[col],
        path,
        col,
        allow_na=True,
        expected="a whole number (empty or NA for missing)",
        at_least="a count",
    )


def _strict_sum(out: pd.DataFrame, cols: tuple[str, ...]) -> pd.Series:
    """Row sum that is missing when any part is missing."""
    parts = out[list(cols)]
    total = parts.sum(axis=1, min_count=1).astype("Int64")
    return total.mask(parts.isna().any(axis=1))


def load(path: str | Path, kind: str | None = None) -> pd.DataFrame:
    """Read one agency-year CSV of Kaplan's crimedatatool files (offenses or LEOKA).

    Parameters
    ----------
    path : str or Path
        An offenses or LEOKA CSV (one agency, or several under one header).
    kind : {"offenses", "leoka"}, optional
        Insist on one kind; by default told from the columns.

    Returns
    -------
    pandas.DataFrame
        One row per agency-year; columns as in the module docstring.

    Raises
    ------
    SourceError
        Truncated or malformed CSV, a missing column, a non-numeric,
        fractional or negative count, a bad ORI or year, a duplicated
        agency-year, a file of the other kind. The message names the file,
        the line and the column.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file (Kaplan agency-year CSV expected)")
    df = read_csv_lines(path, na_values=("", "NA"))
    columns = list(df.columns)
    found = _kind(columns)
    if found is None:
        raise SourceError(
            path,
            "neither Kaplan's offenses layout (column act_murder) nor his LEOKA layout "
            f"(column total_officers); found {columns[:12]}",
            column="act_murder" if kind != "leoka" else "total_officers",
        )
    if kind is not None and kind != found:
        raise SourceError(path, f"is a Kaplan {found} file, a {kind} file was expected")
    need = list(_ID)
    if found == "offenses":
        need += list(OFFENSE_PARTS.values()) + [c for cs in CLEARED_PARTS.values() for c in cs]
    else:
        need += list(_LEOKA_MAP.values())
    require_columns(df, need, path, layout=f"Kaplan {found}")
    if df.empty:
        raise SourceError(path, "no data rows (truncated file?)")
    out = pd.DataFrame(index=df.index)
    ori = df["ORI"].astype("string").str.strip().str.upper()
    bad = (ori.isna() | ~ori.str.fullmatch(r"[A-Z0-9]{7}").fillna(False)).to_numpy(dtype=bool)
    if bad.any():
        raise SourceError(
            path,
            f"expected a 7-character ORI, got {df['ORI'][bad].iloc[0]!r}",
            row=df.index[bad],
            column="ORI",
        )
    out["ori"] = ori
    out["agency"] = df["agency"].astype("string").str.strip()
    out["state"] = df["state"].astype("string").str.strip()
    year = _numbers(df, "year", path)
    odd = (year.isna() | (year < 1960) | (year > 2100)).to_numpy(dtype=bool)
    if odd.any():
        raise SourceError(
            path,
            f"expected a year 1960-2100, got {df['year'][odd].iloc[0]!r}",
            row=df.index[odd],
            column="year",
        )
    out["year"] = year.astype("int64")
    numeric = {c: _numbers(df, c, path) for c in columns if c not in _TEXT and c != "year"}
    out = pd.concat([out, pd.DataFrame(numeric, index=df.index)], axis=1)
    if found == "offenses":
        for ours, col in OFFENSE_PARTS.items():
            out[ours] = out[col]
        out["violent"] = _strict_sum(out, _VIOLENT)
        out["property"] = _strict_sum(out, _PROPERTY)
        out["index"] = _strict_sum(out, ("violent", "property"))
        clr = [c for c in columns if c.startswith("clr_")]
        all_zero = (out[clr].notna() & (out[clr] == 0)).all(axis=1).to_numpy(dtype=bool)
        out["clearances_reported"] = ~all_zero
        for ours, cols in CLEARED_PARTS.items():
            out[ours] = _strict_sum(out, cols).mask(all_zero)
    else:
        for ours, col in _LEOKA_MAP.items():
            out[ours] = out[col]
        out["assaults_reported"] = out["assaults_on_officers"].notna().to_numpy(dtype=bool)
    dup = out.duplicated(["ori", "year"], keep=False).to_numpy(dtype=bool)
    if dup.any():
        first = out.loc[dup, ["ori", "year"]].iloc[0]
        raise SourceError(
            path,
            f"agency-year {first['ori']} {int(first['year'])} appears more than once "
            "(one row per ORI and year expected)",
            row=df.index[dup],
            column="ORI, year",
        )
    out.attrs.update(source_file=str(path), kind=found)
    return out


def load_offenses(path: str | Path) -> pd.DataFrame:
    """Read an offenses CSV (see :func:`load`); a LEOKA file raises."""
    return load(path, kind="offenses")


def load_leoka(path: str | Path) -> pd.DataFrame:
    """Read a LEOKA CSV (see :func:`load`); an offenses file raises."""
    return load(path, kind="leoka")
