"""North Carolina State Bureau of Investigation (SBI) county crime tables.

The SBI's UCR site (crimereporting.ncsbi.gov, "County Rates, Ten Year Trend"
and "County Offenses, Ten Year Trend") publishes, per county and for the state,
index, violent and property crime and the seven Part I offenses (plus arson),
as counts ("number") and rates per 100,000 ("rate"). The export layout read
here is the one kept by Forsyth Futures (sample in
``shared/data/nc_sbi_forsythfutures/crime_raw.csv``)::

    year, index_rate, violent, property, murder, rape, robbery, assault,
    burglary, larceny, mtv, arson, geo_description, estimate

one row per place, year and ``estimate`` (``"rate"`` or ``"number"``); numbers
carry thousands separators; a blank cell means "not in the export", never zero.
(``index_rate`` holds the index total in both kinds of row.)
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from enforcement_crime import config
from enforcement_crime.sources._fetch import (
    SourceError,
    check_unique,
    login_required,
    read_csv_lines,
    require_columns,
)

__all__ = ["CITATION", "LICENSE", "URL", "COLUMN_MAP", "NC_COUNTY_FIPS", "load", "fetch"]

CITATION = (
    "North Carolina State Bureau of Investigation, Uniform Crime Reporting: County Rates and County Offenses, "
    "Ten Year Trend (crimereporting.ncsbi.gov); export layout as kept by Forsyth Futures "
    "(github.com/forsythfuture/indicators-new, safety/violent_crime/raw_data/crime_raw.csv)."
)
LICENSE = "Public records of the State of North Carolina (N.C.G.S. 132); no licence statement on the site."
URL = "http://crimereporting.ncsbi.gov/Reports.aspx"

#: export column -> schema offense name
COLUMN_MAP: dict[str, str] = {
    "index_rate": "index",
    "violent": "violent",
    "property": "property",
    "murder": "murder",
    "rape": "rape",
    "robbery": "robbery",
    "assault": "aggravated_assault",
    "burglary": "burglary",
    "larceny": "larceny",
    "mtv": "motor_vehicle_theft",
    "arson": "arson",
}
_ID = ["year", "geo_description", "estimate"]

_NC_COUNTIES = (
    "Alamance, Alexander, Alleghany, Anson, Ashe, Avery, Beaufort, Bertie, Bladen, Brunswick, Buncombe, "
    "Burke, Cabarrus, Caldwell, Camden, Carteret, Caswell, Catawba, Chatham, Cherokee, Chowan, Clay, "
    "Cleveland, Columbus, Craven, Cumberland, Currituck, Dare, Davidson, Davie, Duplin, Durham, Edgecombe, "
    "Forsyth, Franklin, Gaston, Gates, Graham, Granville, Greene, Guilford, Halifax, Harnett, Haywood, "
    "Henderson, Hertford, Hoke, Hyde, Iredell, Jackson, Johnston, Jones, Lee, Lenoir, Lincoln, McDowell, "
    "Macon, Madison, Martin, Mecklenburg, Mitchell, Montgomery, Moore, Nash, New Hanover, Northampton, "
    "Onslow, Orange, Pamlico, Pasquotank, Pender, Perquimans, Person, Pitt, Polk, Randolph, Richmond, "
    "Robeson, Rockingham, Rowan, Rutherford, Sampson, Scotland, Stanly, Stokes, Surry, Swain, "
    "Transylvania, Tyrrell, Union, Vance, Wake, Warren, Washington, Watauga, Wayne, Wilkes, Wilson, "
    "Yadkin, Yancey"
).split(", ")
#: the 100 North Carolina counties, name -> county FIPS: Census numbers them
#: alphabetically with odd codes 001..199 (checked against the Census file in tests)
NC_COUNTY_FIPS: dict[str, str] = {name: f"37{2 * i + 1:03d}" for i, name in enumerate(_NC_COUNTIES)}


def load(path: str | Path) -> pd.DataFrame:
    """Read an NC SBI county export into one row per place and year.

    Parameters
    ----------
    path : str or Path
        The CSV export.

    Returns
    -------
    pandas.DataFrame
        Sorted by ``place, year``: ``place`` (county name as in the file, or
        ``"North Carolina"``), ``level`` (``"county"`` or ``"state"``),
        ``fips`` (county FIPS, ``"37000"`` for the state), ``year`` (int64);
        counts ``index, violent, property, murder, rape, robbery,
        aggravated_assault, burglary, larceny, motor_vehicle_theft, arson``
        (Int64; missing when the export has no "number" row or a blank cell)
        and rates ``<offense>_rate`` (float64 per 100,000; NaN when absent),
        and ``source`` (file name).

    Raises
    ------
    SourceError
        Missing columns, an unknown place name, an ``estimate`` other than
        rate/number, non-numeric or negative values, a non-integer count, or a
        duplicated (place, year, estimate); names the file line and column.
    """
    path = Path(path)
    raw = read_csv_lines(path)
    require_columns(raw, _ID + list(COLUMN_MAP), path, "NC SBI export")
    check_unique(raw, _ID, path)
    est = raw["estimate"].astype("string").str.strip().str.lower()
    bad = ~est.isin(["rate", "number"]).fillna(False)
    if bad.any():
        raise SourceError(
            path,
            f"expected 'rate' or 'number', got {raw.loc[bad, 'estimate'].iloc[0]!r}",
            row=raw.index[bad.to_numpy()],
            column="estimate",
        )
    place = raw["geo_description"].astype("string").str.strip()
    is_state = place.str.lower().eq("north carolina").fillna(False)
    lookup = {k.lower(): v for k, v in NC_COUNTY_FIPS.items()}
    fips = place.str.lower().str.removesuffix(" county").map(lookup)
    bad = fips.isna() & ~is_state
    if bad.any():
        raise SourceError(
            path,
            f"unknown North Carolina county {place[bad].iloc[0]!r}",
            row=raw.index[bad.to_numpy()],
            column="geo_description",
        )
    year = pd.to_numeric(raw["year"], errors="coerce")
    bad = year.isna() | (year % 1 != 0)
    if bad.any():
        raise SourceError(
            path,
            f"expected a year, got {raw.loc[bad, 'year'].iloc[0]!r}",
            row=raw.index[bad.to_numpy()],
            column="year",
        )
    values = {}
    for col in COLUMN_MAP:
        txt = raw[col].astype("string").str.strip().str.replace(",", "", regex=False)
        num = pd.to_numeric(txt, errors="coerce")
        bad = num.isna() & txt.notna()
        if bad.any():
            raise SourceError(
                path,
                f"expected a number, got {raw.loc[bad, col].iloc[0]!r}",
                row=raw.index[bad.to_numpy()],
                column=col,
            )
        bad = (num < 0).fillna(False)
        if bad.any():
            raise SourceError(
                path,
                f"expected a non-negative value, got {num[bad].iloc[0]:g}",
                row=raw.index[bad.to_numpy()],
                column=col,
            )
        bad = (est == "number") & ((num % 1) != 0).fillna(False)
        if bad.any():
            raise SourceError(
                path,
                f"expected a whole-number count in a 'number' row, got {raw.loc[bad, col].iloc[0]!r}",
                row=raw.index[bad.to_numpy()],
                column=col,
            )
        values[col] = num
    keys = pd.DataFrame({"place": place, "year": year.astype("int64"), "estimate": est})
    keys["fips"] = fips.where(~is_state, "37000")
    keys["level"] = is_state.map({True: "state", False: "county"})
    vals = pd.DataFrame(values)
    counts = vals[est.eq("number").to_numpy()].rename(columns=COLUMN_MAP)
    rates = vals[est.eq("rate").to_numpy()].rename(
        columns={c: f"{v}_rate" for c, v in COLUMN_MAP.items()}
    )
    ids = keys[["place", "level", "fips", "year"]]
    c = ids.loc[counts.index].join(counts.round().astype("Int64"))
    r = ids.loc[rates.index].join(rates.astype("float64"))
    out = c.merge(r, on=["place", "level", "fips", "year"], how="outer")
    for col in COLUMN_MAP.values():
        if col not in out:
            out[col] = pd.array([pd.NA] * len(out), dtype="Int64")
        out[col] = out[col].astype("Int64")
        if f"{col}_rate" not in out:
            out[f"{col}_rate"] = float("nan")
    out["source"] = path.name
    out = out.astype({"place": "string", "level": "string", "fips": "string", "source": "string"})
    cols = [
        "place",
        "level",
        "fips",
        "year",
        *COLUMN_MAP.values(),
        *(f"{v}_rate" for v in COLUMN_MAP.values()),
        "source",
    ]
    out = out[cols].sort_values(["place", "year"], ignore_index=True)
    out.attrs = {"path": str(path)}
    return out


def fetch(dest: str | Path | None = None, *, progress: bool = True) -> list[Path]:
    """The SBI site serves its tables through an interactive form: say what to export and where to put it.

    Raises
    ------
    LoginRequired
        Always; the message names the reports, the site and the folder
        (default ``data/raw/nc_sbi``). No account is needed, but the export is
        manual.
    """
    dest = Path(dest) if dest is not None else config.raw_dir("nc_sbi")
    login_required(
        "nc_sbi",
        "the 'County Offenses, Ten Year Trend' and 'County Rates, Ten Year Trend' tables for every NC county "
        "(no account needed; the site has no direct file links), saved as CSV in the layout "
        "year,index_rate,violent,property,murder,rape,robbery,assault,burglary,larceny,mtv,arson,geo_description,estimate",
        URL,
        dest,
    )
