"""Law Enforcement Agency Identifiers Crosswalk (LEAIC), 2012: ORI -> county (ICPSR 35158).

Reads the ICPSR distribution files in any of their formats: R data
(``35158-0001-Data.rda``, object ``da35158.0001``, factors labelled
``"(001) Sheriff's office"``), tab-separated (``35158-0001-Data.tsv``,
numeric codes) and Stata (``35158-0001-Data.dta``, codes or value labels).
A comma-separated file with the same column names is read too (the key-column
extract in ``../shared/data/leaic_2012_icpsr35158/`` is one).

Columns of the returned frame
-----------------------------
``ori7`` (7-character ORI as in UCR Return A files; missing for agencies that
do not report to UCR, coded ``-1``), ``ori9``, ``fips`` (5-digit county FIPS),
``state_fips``, ``county_fips``, ``agency_name``, ``local_government``
(``LG_NAME``, e.g. ``"PRATTVILLE CITY"``; missing when the file has no such
column), ``state_name``, ``county_name`` (upper case, stripped),
``agency_type`` (``"local police"``, ``"sheriff"``, ``"state"``, ``"special"``,
``"constable"``, ``"federal"``), ``agency_type_code`` (``AGCYTYPE``),
``part_of_larger`` (bool: ``PARTOF`` = 1, a sub-unit of another agency),
``population`` (``U_TPOP``, UCR population served, ``Int64``; missing when coded
negative), ``pop_group`` (``U_POPGRP``, UCR population group such as ``"1A"``;
missing when -1) and ``place_fips`` (``FPLACE``; missing when -1).

Notes
-----
LEAIC assigns every agency to one county; agencies serving several counties
are therefore not split here (the panel builders take an optional split
table). ICPSR terms of use apply: the file may not be redistributed, so the
suite never copies it; a user downloads it after a free login.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from enforcement_crime import config
from enforcement_crime.sources._checks import SourceError
from enforcement_crime.sources._csv import read_csv_lines
from enforcement_crime.sources._download import login_required

__all__ = ["CITATION", "URL", "LICENSE", "SOURCE", "AGENCY_TYPES", "load", "fetch", "LOGIN"]

SOURCE = "leaic"
CITATION = (
    "United States Department of Justice. Office of Justice Programs. Bureau of Justice "
    "Statistics. Law Enforcement Agency Identifiers Crosswalk, United States, 2012. "
    "Inter-university Consortium for Political and Social Research [distributor], 2018. "
    "https://doi.org/10.3886/ICPSR35158.v2"
)
URL = "https://www.icpsr.umich.edu/web/NACJD/studies/35158"
LICENSE = "ICPSR terms of use (free account; no redistribution; cite ICPSR)."
LOGIN = {
    "what": "LEAIC 2012 (ICPSR 35158), DS1 in R, Stata or delimited format: 35158-0001-Data.rda (or .dta / .tsv)",
    "where_from": f"{URL} (free ICPSR account; 'Download' > R / Stata / Delimited)",
}

AGENCY_TYPES: dict[int, str] = {
    0: "local police",
    1: "sheriff",
    2: "county police",
    3: "tribal",
    4: "primary state",
    5: "state",
    6: "special",
    7: "constable",
    997: "federal",
}
_REQUIRED = (
    "ORI7",
    "ORI9",
    "FIPS_ST",
    "FIPS_COUNTY",
    "NAME",
    "STATENAME",
    "COUNTYNAME",
    "AGCYTYPE",
    "U_TPOP",
)
_CODE = re.compile(r"^\s*\((-?\d+)\)")


def fetch(dest: str | Path | None = None) -> None:
    """LEAIC needs an ICPSR login: raise :class:`LoginRequired` saying what to download and where."""
    dest = Path(dest) if dest is not None else config.raw_dir(SOURCE)
    login_required(SOURCE, LOGIN["what"], LOGIN["where_from"], dest)


def _read(path: Path) -> pd.DataFrame:
    suffix = path.suffix.lower()
    try:
        if suffix in (".rda", ".rdata"):
            import pyreadr

            objs = pyreadr.read_r(str(path))
            if not objs:
                raise SourceError(
                    path, "the R data file holds no data frame (expected object da35158.0001)"
                )
            df = next(iter(objs.values()))
        elif suffix == ".dta":
            df = pd.read_stata(path, convert_categoricals=True)
        elif suffix in (".tsv", ".txt", ".csv"):
            sep = "," if suffix == ".csv" else "\t"
            # the shared reader: refuses a cut last line or any row with a wrong field count;
            # the index is the file line (header = row 1)
            return read_csv_lines(path, sep=sep, index_name="row")
        else:
            raise SourceError(
                path, f"unknown LEAIC format {suffix!r} (expected .rda, .dta, .tsv or .csv)"
            )
    except SourceError:
        raise
    except FileNotFoundError:
        raise
    except Exception as exc:
        raise SourceError(
            path, f"cannot be read as a LEAIC {suffix} file (truncated or corrupt?): {exc}"
        ) from None
    df = df.reset_index(drop=True)
    df.index = pd.RangeIndex(2, len(df) + 2, name="row")  # row 1 is the header (as in the tsv)
    return df


def _str(s: pd.Series) -> pd.Series:
    return s.astype("string").str.strip()


def _code(s: pd.Series, path: Path, column: str) -> pd.Series:
    """Numeric code from ``"(001) Sheriff's office"`` labels or from plain numbers."""
    raw = _str(s)
    from_label = raw.str.extract(_CODE, expand=False)
    raw = from_label.fillna(raw)
    num = pd.to_numeric(raw, errors="coerce")
    bad = num.isna() & raw.notna() & (raw != "")
    if bad.any():
        raise SourceError(
            path,
            f"expected a numeric code or '(NNN) label', got {s[bad].iloc[0]!r}",
            row=s.index[bad.to_numpy()],
            column=column,
        )
    return num.astype("Int64")


def _padded(s: pd.Series, width: int, path: Path, column: str) -> pd.Series:
    raw = _str(s)
    from_label = raw.str.extract(_CODE, expand=False)
    raw = from_label.fillna(raw)
    raw = raw.str.replace(r"\.0$", "", regex=True)
    neg = raw.str.startswith("-").fillna(False)
    raw = raw.mask(neg | (raw == ""))
    bad = raw.notna() & ~raw.str.fullmatch(rf"\d{{1,{width}}}").fillna(False)
    if bad.any():
        raise SourceError(
            path,
            f"expected a code of at most {width} digits, got {s[bad].iloc[0]!r}",
            row=s.index[bad.to_numpy()],
            column=column,
        )
    return raw.str.zfill(width)


def load(path: str | Path) -> pd.DataFrame:
    """Read the LEAIC 2012 crosswalk (rda, dta, tsv or csv) into a typed frame.

    Parameters
    ----------
    path : str or Path
        ``35158-0001-Data.rda`` / ``.dta`` / ``.tsv`` (or a csv with the same columns).

    Returns
    -------
    pandas.DataFrame
        One row per agency record, columns as in the module docstring; the
        index is the 1-based row of the file (header = row 1).

    Raises
    ------
    SourceError
        Unreadable file, missing columns, non-numeric codes or populations,
        a duplicated (non-missing) ORI7.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file (LEAIC 2012, ICPSR 35158, expected)")
    df = _read(path)
    missing = [c for c in _REQUIRED if c not in df.columns]
    if missing:
        raise SourceError(
            path,
            f"missing column(s) {missing} of the LEAIC 2012 layout; found {list(df.columns)[:25]}",
            column=missing[0],
        )
    if df.empty:
        raise SourceError(path, "no agency rows (truncated file?)")
    out = pd.DataFrame(index=df.index)
    ori7 = _str(df["ORI7"])
    out["ori7"] = ori7.mask(ori7.isin(["-1", ""]))
    ori9 = _str(df["ORI9"])
    out["ori9"] = ori9.mask(ori9.isin(["-1", ""]))
    bad = out["ori7"].notna() & ~out["ori7"].str.fullmatch(r"[A-Z0-9]{7}").fillna(False)
    if bad.any():
        raise SourceError(
            path,
            f"expected a 7-character ORI, got {df['ORI7'][bad].iloc[0]!r}",
            row=df.index[bad.to_numpy()],
            column="ORI7",
        )
    out["state_fips"] = _padded(df["FIPS_ST"], 2, path, "FIPS_ST")
    out["county_fips"] = _padded(df["FIPS_COUNTY"], 3, path, "FIPS_COUNTY")
    out["fips"] = (out["state_fips"] + out["county_fips"]).astype("string")
    out["agency_name"] = _str(df["NAME"]).str.upper().str.replace(r"\s+", " ", regex=True)
    out["local_government"] = (
        _str(df["LG_NAME"]).str.upper().str.replace(r"\s+", " ", regex=True).replace("", pd.NA)
        if "LG_NAME" in df
        else pd.Series(pd.NA, index=df.index, dtype="string")
    )
    out["state_name"] = _str(df["STATENAME"]).str.upper()
    out["county_name"] = _str(df["COUNTYNAME"]).str.upper()
    code = _code(df["AGCYTYPE"], path, "AGCYTYPE")
    out["agency_type_code"] = code
    out["agency_type"] = code.map(
        lambda c: AGENCY_TYPES.get(int(c), f"code {int(c)}") if pd.notna(c) else pd.NA
    ).astype("string")
    out["part_of_larger"] = (
        (_code(df["PARTOF"], path, "PARTOF") == 1).fillna(False).astype(bool)
        if "PARTOF" in df
        else False
    )
    pop = pd.to_numeric(_str(df["U_TPOP"]), errors="coerce")
    bad = pop.isna() & _str(df["U_TPOP"]).notna() & (_str(df["U_TPOP"]) != "")
    if bad.any():
        raise SourceError(
            path,
            f"expected a number, got {df['U_TPOP'][bad].iloc[0]!r}",
            row=df.index[bad.to_numpy()],
            column="U_TPOP",
        )
    out["population"] = pop.where(pop >= 0).round().astype("Int64")
    if "U_POPGRP" in df:
        grp = _str(df["U_POPGRP"]).str.strip()
        out["pop_group"] = grp.mask(grp.isin(["-1", ""]))
    else:
        out["pop_group"] = pd.Series(pd.NA, index=df.index, dtype="string")
    out["place_fips"] = (
        pd.to_numeric(df["FPLACE"], errors="coerce").where(lambda x: x >= 0).astype("Int64")
        if "FPLACE" in df
        else pd.array([pd.NA] * len(df), dtype="Int64")
    )
    dup = out["ori7"].notna() & out["ori7"].duplicated(keep=False)
    if dup.any():
        raise SourceError(
            path,
            f"duplicate ORI7 {out.loc[dup, 'ori7'].iloc[0]!r} (ORI7 must be unique)",
            row=out.index[dup.to_numpy()],
            column="ORI7",
        )
    out.attrs.update(source_file=str(path))
    return out


#: agency records of LEAIC 2012 (ICPSR 35158 documents 36,490); every layout of it (the
#: ICPSR TSV or R file, or a column subset with the same rows) has that many
LEAIC_2012_RECORDS = 36_490


def completeness(path: str | Path) -> str | None:
    """Why a LEAIC 2012 file (ICPSR 35158) looks incomplete, or None.

    Files of other vintages, and files the loader refuses anyway, give None.
    """
    path = Path(path)
    if "35158" not in path.name and "leaic2012" not in path.name.lower():
        return None
    try:
        n = len(load(path))
    except (SourceError, ValueError, OSError):
        return None
    if n == LEAIC_2012_RECORDS:
        return None
    return (
        f"{n:,} agency records where LEAIC 2012 (ICPSR 35158) has {LEAIC_2012_RECORDS:,} "
        "(cut short or filtered?)"
    )
