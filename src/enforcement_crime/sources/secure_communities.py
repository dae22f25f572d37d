"""Secure Communities (SC) activation dates by county.

ICE published the county-by-county activation list ("Secure Communities:
Activated Jurisdictions", last version 22 Jan 2013, when all 3,181
jurisdictions were active; first activations Oct 2008, Harris County TX
first). Researchers circulate county extracts of it; two layouts are read:

``county_extract`` (``.csv`` or Stata ``.dta``)
    ``countyname, countyfips, state, statefips, activation_month,
    activation_year`` (and an undocumented flag ``l``), as in
    ``shared/data/sc_activation_hhadah/`` (H. Hadah's immigration-enforcement
    project; 3,242 rows). Month precision. ICE's list is national, so an
    extract must hold counties of all 50 states and DC (a file cut at a line
    boundary parses cleanly but loses the last states).
``plain`` (``.csv``)
    ``fips, activation_date`` with ISO dates ``YYYY-MM-DD`` (day precision) or
    ``YYYY-MM`` (month precision); other columns are ignored.

Rows without a date (in the extract: Puerto Rico, Alaska and Hawaii, which
ICE activated state-wide, and a few defunct or merged codes) are returned with
``activation_date`` NaT and a ``note``; they are never dropped.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from enforcement_crime import config
from enforcement_crime.sources._checks import SourceError, check_unique, require_columns, to_int
from enforcement_crime.sources._csv import read_csv_lines
from enforcement_crime.sources._download import fetch_all

__all__ = [
    "CITATION",
    "LICENSE",
    "URL",
    "URLS",
    "SHA256",
    "FIRST_ACTIVATION",
    "LAST_ACTIVATION",
    "STATE_FIPS",
    "load",
    "fetch",
]

CITATION = (
    "U.S. Immigration and Customs Enforcement, 'Secure Communities: Activated Jurisdictions' "
    "(2008-2013; final list 22 Jan 2013); county extract as circulated by H. Hadah, "
    "github.com/hhadah/immigration-enforcement-project, data/raw/activation_dates_makayla_revisedforbalance.dta."
)
LICENSE = "ICE list: public domain (U.S. federal government work); the county extract carries no licence statement."
URL = "http://www.ice.gov/doclib/secure-communities/pdf/sc-activated.pdf"
URLS: dict[str, str] = {
    "sc-activated.pdf (archived)": "https://web.archive.org/web/2013/http://www.ice.gov/doclib/secure-communities/pdf/sc-activated.pdf",
    "activation_dates_makayla_revisedforbalance.dta": (
        "https://github.com/hhadah/immigration-enforcement-project/raw/"
        "e9267eb6e79ea92d4dec90475e6b75a93800344c/data/raw/activation_dates_makayla_revisedforbalance.dta"
    ),
}
#: SC facts (STUDIES.md section 4): no activation before Oct 2008 or after 22 Jan 2013.
SHA256: dict[str, str] = {
    "activation_dates_makayla_revisedforbalance.dta": "cae8746b0a182e120d1433cb35068c64dede7ef0de54be2ff2d002c44c90817b",
}
FIRST_ACTIVATION = pd.Timestamp("2008-10-01")
LAST_ACTIVATION = pd.Timestamp("2013-01-22")

#: the 50 states and DC (2-digit FIPS): the county extract covers every one of them
STATE_FIPS: tuple[str, ...] = (
    "01 02 04 05 06 08 09 10 11 12 13 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 "
    "32 33 34 35 36 37 38 39 40 41 42 44 45 46 47 48 49 50 51 53 54 55 56"
).split()
_EXTRACT = ["countyname", "countyfips", "state", "statefips", "activation_month", "activation_year"]
_COLUMNS = ["fips", "activation_date", "date_precision", "state", "county_name", "note", "source"]
_NO_DATE = {
    "AK": "no date in source: Alaska was activated state-wide",
    "HI": "no date in source: Hawaii was activated state-wide",
    "PR": "no date in source: Puerto Rico (not in the county frame of the studies)",
}


def load(path: str | Path) -> pd.DataFrame:
    """Read an SC activation file (county extract ``.csv``/``.dta`` or plain ``fips,activation_date`` CSV).

    Parameters
    ----------
    path : str or Path
        The file; the layout is detected from its columns.

    Returns
    -------
    pandas.DataFrame
        One row per county in file order: ``fips`` (string, 5 digits),
        ``activation_date`` (datetime64; the first of the month at month
        precision; NaT when the source has no date), ``date_precision``
        (``"month"``, ``"day"`` or missing), ``state`` (postal code, missing in
        the plain layout), ``county_name`` (missing in the plain layout),
        ``note`` (why a date is missing, else missing) and ``source`` (file
        name). ``attrs["n_missing_date"]`` counts the rows without a date and
        ``attrs["missing_by_state"]`` breaks them down.

    Raises
    ------
    SourceError
        A CSV that is not complete (truncated last line, a row with a wrong
        number of fields, empty file, HTML page: see
        :func:`~enforcement_crime.sources._csv.read_csv_lines`; a cut county
        is never read as "never treated"), missing or renamed columns, a
        month without a year (or the reverse), non-numeric months or years,
        a month outside 1-12, a year outside 2008-2013 (the roll-out), an
        extract without counties of every state and DC,
        unparseable dates, dates outside Oct 2008 - 22 Jan 2013, or
        duplicated FIPS; the message names
        the file, the row (CSV: 1-based file line; ``.dta``: 1-based
        observation) and the column.
    """
    path = Path(path)
    if path.suffix.lower() == ".dta":
        try:
            raw = pd.read_stata(path, convert_categoricals=False)
        except Exception as exc:  # pandas raises several types on a corrupt .dta
            raise SourceError(
                path, f"cannot be read as a Stata .dta file (truncated or corrupt?): {exc}"
            ) from None
        raw.index = pd.RangeIndex(1, len(raw) + 1, name="observation")
        raw = raw.astype("string").replace({"": pd.NA, "nan": pd.NA})
    else:
        raw = read_csv_lines(path)
    if "countyfips" in raw.columns or "activation_month" in raw.columns:
        out = _extract(raw, path)
    elif "fips" in raw.columns or "activation_date" in raw.columns:
        out = _plain(raw, path)
    else:
        raise SourceError(
            path,
            f"unknown SC layout: expected columns {_EXTRACT} (county extract) or "
            f"['fips', 'activation_date'] (plain); found {list(raw.columns)}",
        )
    check_unique(out, ["fips"], path)
    dated = out["activation_date"].dropna()
    bad = (dated < FIRST_ACTIVATION) | (dated > LAST_ACTIVATION)
    if bad.any():
        raise SourceError(
            path,
            f"activation date {dated[bad].iloc[0].date()} outside the SC roll-out "
            f"({FIRST_ACTIVATION.date()} .. {LAST_ACTIVATION.date()})",
            row=dated.index[bad.to_numpy()],
            column="activation_date",
        )
    out["source"] = path.name
    missing = out["activation_date"].isna()
    out.attrs = {
        "path": str(path),
        "n_missing_date": int(missing.sum()),
        "missing_by_state": out.loc[missing, "state"].fillna("?").value_counts().to_dict(),
    }
    out = out[_COLUMNS].reset_index(drop=True)
    return out.astype(
        {c: "string" for c in ("fips", "date_precision", "state", "county_name", "note", "source")}
    )


def _fips5(s: pd.Series, path: Path, column: str) -> pd.Series:
    code = s.astype("string").str.strip().str.replace(r"\.0$", "", regex=True)
    bad = ~code.str.fullmatch(r"\d{4,5}").fillna(False)
    if bad.any():
        raise SourceError(
            path,
            f"expected a 4- or 5-digit county FIPS code, got {s[bad].iloc[0]!r}",
            row=s.index[bad.to_numpy()],
            column=column,
        )
    return code.str.zfill(5)


def _extract(raw: pd.DataFrame, path: Path) -> pd.DataFrame:
    require_columns(raw, _EXTRACT, path, "SC county extract")
    month_s = raw["activation_month"].astype("string").str.replace(r"\.0$", "", regex=True)
    year_s = raw["activation_year"].astype("string").str.replace(r"\.0$", "", regex=True)
    month = to_int(month_s, path, "activation_month", allow_na=True, min_value=1)
    year = to_int(year_s, path, "activation_year", allow_na=True, min_value=1)
    bad = (month > 12).fillna(False)
    if bad.any():
        raise SourceError(
            path,
            f"expected a month 1-12, got {month[bad].iloc[0]}",
            row=raw.index[bad.to_numpy()],
            column="activation_month",
        )
    lo, hi = FIRST_ACTIVATION.year, LAST_ACTIVATION.year
    bad = ((year < lo) | (year > hi)).fillna(False)
    if bad.any():
        raise SourceError(
            path,
            f"activation year {year[bad].iloc[0]} outside the SC roll-out: expected a year "
            f"{lo}-{hi} (activations ran from {FIRST_ACTIVATION.date()} to "
            f"{LAST_ACTIVATION.date()})",
            row=raw.index[bad.to_numpy()],
            column="activation_year",
        )
    half = month.isna() != year.isna()
    if half.any():
        col = "activation_year" if year.isna()[half].iloc[0] else "activation_month"
        raise SourceError(
            path,
            "month and year must be both given or both blank",
            row=raw.index[half.to_numpy()],
            column=col,
        )
    out = pd.DataFrame(index=raw.index)
    out["fips"] = _fips5(raw["countyfips"], path, "countyfips")
    sf = (
        raw["statefips"]
        .astype("string")
        .str.strip()
        .str.replace(r"\.0$", "", regex=True)
        .str.zfill(2)
    )
    bad = (sf != out["fips"].str[:2]).fillna(True)
    if bad.any():
        raise SourceError(
            path,
            f"statefips {raw.loc[bad, 'statefips'].iloc[0]!r} is not the first two digits of countyfips",
            row=raw.index[bad.to_numpy()],
            column="statefips",
        )
    out["activation_date"] = pd.to_datetime(
        {"year": year.astype("float64"), "month": month.astype("float64"), "day": 1},
        errors="coerce",
    ).astype("datetime64[ns]")
    present = set(out["fips"].str[:2])
    missing = [st for st in STATE_FIPS if st not in present]
    if missing:
        raise SourceError(
            path,
            f"incomplete county extract: no county of state FIPS {missing} (the extract is ICE's "
            f"national list, every county of the 50 states and DC); the file ends at line "
            f"{int(raw.index[-1])} (truncated?). For a subset of counties use the plain "
            "layout fips,activation_date",
            column="countyfips",
        )
    out["date_precision"] = np.where(out["activation_date"].notna(), "month", None)
    out["state"] = raw["state"].astype("string").str.strip()
    out["county_name"] = raw["countyname"].astype("string").str.strip()
    missing = out["activation_date"].isna()
    out["note"] = pd.Series(pd.NA, index=out.index, dtype="string")
    out.loc[missing, "note"] = (
        out.loc[missing, "state"]
        .map(_NO_DATE)
        .fillna("no date in source (defunct, merged or uncovered county code)")
    )
    return out


def _plain(raw: pd.DataFrame, path: Path) -> pd.DataFrame:
    require_columns(raw, ["fips", "activation_date"], path, "plain fips,activation_date")
    out = pd.DataFrame(index=raw.index)
    out["fips"] = _fips5(raw["fips"], path, "fips")
    s = raw["activation_date"].astype("string").str.strip()
    day = pd.to_datetime(
        s.where(s.str.fullmatch(r"\d{4}-\d{2}-\d{2}").fillna(False)),
        format="%Y-%m-%d",
        errors="coerce",
    )
    month = pd.to_datetime(
        s.where(s.str.fullmatch(r"\d{4}-\d{2}").fillna(False)), format="%Y-%m", errors="coerce"
    )
    date = day.fillna(month)
    bad = date.isna() & s.notna()
    if bad.any():
        raise SourceError(
            path,
            f"expected a date YYYY-MM-DD or YYYY-MM, got {s[bad].iloc[0]!r}",
            row=raw.index[bad.to_numpy()],
            column="activation_date",
        )
    out["activation_date"] = date.astype("datetime64[ns]")
    out["date_precision"] = np.select([day.notna(), month.notna()], ["day", "month"], None)
    out["state"] = raw["state"].astype("string") if "state" in raw.columns else pd.NA
    out["county_name"] = (
        raw["county_name"].astype("string") if "county_name" in raw.columns else pd.NA
    )
    out["note"] = pd.Series(pd.NA, index=out.index, dtype="string")
    out.loc[out["activation_date"].isna(), "note"] = "no date in source"
    return out


def fetch(dest: str | Path | None = None, *, progress: bool = True) -> list[Path]:
    """Download the county extract (``.dta``, public on GitHub) into ``dest``.

    Default ``dest`` is ``data/raw/secure_communities``. The file is verified
    against :data:`SHA256` (computed from the byte-identical copy in
    ``shared/data/sc_activation_hhadah``). ICE's PDF itself is only on the
    Wayback Machine (:data:`URLS`) and is not fetched: it needs transcription.
    """
    dest = Path(dest) if dest is not None else config.raw_dir("secure_communities")
    name = "activation_dates_makayla_revisedforbalance.dta"
    return fetch_all({name: (URLS[name], SHA256[name])}, dest, progress=progress)


#: 2010 county codes the extract gives under their later codes (Wade Hampton AK became
#: Kusilvak, Shannon SD became Oglala Lakota, both in 2015)
RENAMED_COUNTIES: dict[str, str] = {"02270": "02158", "46113": "46102"}


def _counties_2010() -> list[str]:
    """County FIPS of the 50 states and DC in ``addfips``' 2010 county list."""
    import io
    from importlib import resources

    text = (resources.files("addfips") / "data" / "counties_2010.csv").read_text()
    counties = pd.read_csv(io.StringIO(text), dtype=str)
    counties = counties[counties["statefp"].isin(STATE_FIPS)]
    return sorted((counties["statefp"] + counties["countyfp"]).unique())


def completeness(path: str | Path) -> str | None:
    """Why an SC activation file looks incomplete (counties of the roll-out absent), or None.

    Secure Communities reached every county by January 2013, so a county
    file lists every county of the 50 states and DC (with a date, or with a
    note when the source has none); a file the loader refuses gives None
    (the loader's own error names the problem).
    """
    try:
        have = set(load(path)["fips"].dropna().astype(str))
    except (SourceError, ValueError, OSError):
        return None
    missing = [f for f in _counties_2010() if f not in have and RENAMED_COUNTIES.get(f) not in have]
    if not missing:
        return None
    return (
        f"{len(missing)} of the {len(_counties_2010()):,} counties of the 50 states and DC are "
        f"absent (e.g. {', '.join(missing[:5])}); SC reached every county by January 2013, so "
        "their dates would be lost (cut short or filtered?)"
    )
