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
(``index_rate`` holds the index total in both kinds of row.) Read by :func:`load`.

The site's county-rates table, one file per year (``CrimeDataByCounty<year>.csv``,
as scraped into ``shared/data/nc_sbi_county_rates/``), is read by
:func:`load_county_rates`::

    "County","Year","Index Rate","Violent Rate","Property Rate","Murder Rate",
    "Rape Rate","Robbery Rate","Assault Rate","Burglary Rate","Larceny Rate",
    "MVT Rate","Arson Rate"

one row per county (``"Alexander County"``), every cell quoted, numbers with
thousands separators (``"2,289.2"``), rates per 100,000 residents only (no
counts, no population), counties in alphabetical order.

The SBI site builds these tables in an interactive form with no direct file
links: :func:`fetch` cannot download them, but no account or login is needed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from enforcement_crime import config
from enforcement_crime.sources._checks import SourceError, check_unique, require_columns
from enforcement_crime.sources._csv import read_csv_lines
from enforcement_crime.sources._download import LoginRequired

__all__ = [
    "CITATION",
    "LICENSE",
    "URL",
    "COLUMN_MAP",
    "RATES_COLUMN_MAP",
    "RATE_UNIT",
    "NC_COUNTY_FIPS",
    "load",
    "load_county_rates",
    "fetch",
]

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

#: county-rates table column -> rate column of the returned frame (as in :func:`load`)
RATES_COLUMN_MAP: dict[str, str] = {
    "Index Rate": "index_rate",
    "Violent Rate": "violent_rate",
    "Property Rate": "property_rate",
    "Murder Rate": "murder_rate",
    "Rape Rate": "rape_rate",
    "Robbery Rate": "robbery_rate",
    "Assault Rate": "aggravated_assault_rate",
    "Burglary Rate": "burglary_rate",
    "Larceny Rate": "larceny_rate",
    "MVT Rate": "motor_vehicle_theft_rate",
    "Arson Rate": "arson_rate",
}
#: the unit of every ``*_rate`` column of :func:`load_county_rates`
RATE_UNIT = "offenses known per 100,000 residents, as published by the NC SBI"

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


#: the first year a crime report can be for: the FBI's Uniform Crime Reporting program,
#: which the NC SBI reports under, began in 1930
FIRST_YEAR = 1930


def _check_year_window(year: pd.Series, raw: pd.Series, path: Path, column: str) -> None:
    """Refuse a year before :data:`FIRST_YEAR` or after the current year, naming row and value."""
    last = pd.Timestamp.today().year
    bad = (year < FIRST_YEAR) | (year > last)
    if bad.any():
        raise SourceError(
            path,
            f"implausible year {raw[bad].iloc[0]!r}: expected {FIRST_YEAR} (the UCR program's "
            f"first year) to {last} (this year)",
            row=raw.index[bad.to_numpy()],
            column=column,
        )


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
    _check_year_window(year, raw["year"], path, "year")
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


def _rates_file(path: Path) -> pd.DataFrame:
    raw = read_csv_lines(path)
    require_columns(raw, ["County", "Year", *RATES_COLUMN_MAP], path, "NC SBI county-rates table")
    if raw.empty:
        raise SourceError(path, "no county rows (truncated file?)")
    name = raw["County"].astype("string").str.strip()
    lookup = {k.lower(): v for k, v in NC_COUNTY_FIPS.items()}
    fips = name.str.lower().str.removesuffix(" county").map(lookup)
    statewide = name.str.lower().str.fullmatch(r"statewide( county)?").fillna(False)
    bad = fips.isna() & ~statewide
    if bad.any():
        raise SourceError(
            path,
            f"expected a North Carolina county ('Alamance County' ... 'Yancey County'), "
            f"got {raw.loc[bad, 'County'].iloc[0]!r}",
            row=raw.index[bad.to_numpy()],
            column="County",
        )
    ytxt = raw["Year"].astype("string").str.strip()
    bad = ~ytxt.str.fullmatch(r"(19|20)\d\d").fillna(False)
    if bad.any():
        raise SourceError(
            path,
            f"expected a four-digit year, got {raw.loc[bad, 'Year'].iloc[0]!r}",
            row=raw.index[bad.to_numpy()],
            column="Year",
        )
    year = ytxt.astype("int64")
    _check_year_window(year, raw["Year"], path, "Year")
    m = re.search(r"((?:19|20)\d\d)\D*$", path.stem)
    if m:
        bad = year != int(m.group(1))
        if bad.any():
            raise SourceError(
                path,
                f"Year {int(year[bad].iloc[0])} in a file named for {m.group(1)} "
                "(one year per file: renamed or concatenated export?)",
                row=raw.index[bad.to_numpy()],
                column="Year",
            )
    out = pd.DataFrame(index=raw.index)
    canonical = {v: k for k, v in NC_COUNTY_FIPS.items()}
    out["county_name"] = fips.map(canonical).fillna(name)  # "Statewide County" kept as is
    out["fips"] = fips
    out["year"] = year
    for col, dst in RATES_COLUMN_MAP.items():
        txt = raw[col].astype("string").str.strip()
        ok = txt.str.fullmatch(r"\d{1,3}(,\d{3})*(\.\d+)?|\d+(\.\d+)?").fillna(True)
        num = pd.to_numeric(txt.str.replace(",", "", regex=False), errors="coerce")
        bad = ~ok | (num.isna() & txt.notna())
        if bad.any():
            raise SourceError(
                path,
                "expected a non-negative rate such as '2,289.2' or a blank cell, "
                f"got {raw.loc[bad, col].iloc[0]!r}",
                row=raw.index[bad.to_numpy()],
                column=col,
            )
        out[dst] = num.astype("float64")
    rates = list(RATES_COLUMN_MAP.values())
    out["reported"] = out[rates].notna().any(axis=1)
    out["unit"] = RATE_UNIT
    out["source"] = path.name
    out["line"] = out.index.astype("int64")
    # "Statewide County": the SBI's row for statewide agencies (not a county); set aside
    out.attrs["statewide_rows"] = [
        {k: (None if pd.isna(v) else v) for k, v in rec.items()}
        for rec in out.loc[statewide.to_numpy()]
        .drop(columns=["fips", "unit", "county_name"])
        .to_dict("records")
    ]
    out = out.loc[~statewide.to_numpy()]
    check_unique(out, ["fips", "year"], path)
    present = set(out["county_name"].str.lower())
    order = list(NC_COUNTY_FIPS)
    last = max(order.index(n) for n in order if n.lower() in present)
    if last < len(order) - 1:
        raise SourceError(
            path,
            f"incomplete file: the counties stop at {order[last]!r} (line {int(raw.index[-1])}); "
            f"the SBI table lists the counties alphabetically down to 'Yancey', so "
            f"{order[last + 1 :]} are missing (truncated at a line boundary?)",
            row=int(raw.index[-1]),
            column="County",
        )
    return out


def load_county_rates(path: str | Path) -> pd.DataFrame:
    """Read NC SBI county-rates tables (``CrimeDataByCounty<year>.csv``) into county-years.

    Parameters
    ----------
    path : str or Path
        One file, or a folder: every ``CrimeDataByCounty*.csv`` in it is read
        (in name order) and stacked.

    Returns
    -------
    pandas.DataFrame
        One row per county and year, sorted by ``fips, year``: ``county_name``
        (the name in :data:`NC_COUNTY_FIPS`, e.g. ``"New Hanover"``), ``fips`` (5-digit county FIPS,
        string), ``year`` (int64), the rates ``index_rate, violent_rate,
        property_rate, murder_rate, rape_rate, robbery_rate,
        aggravated_assault_rate, burglary_rate, larceny_rate,
        motor_vehicle_theft_rate, arson_rate`` (float64, offenses known per
        100,000 residents as published by the SBI, NaN where the cell is
        blank), ``reported`` (False when every rate of the row is blank: the
        row is kept), ``unit`` (:data:`RATE_UNIT`), ``source`` (file name) and
        ``line`` (file line). ``attrs``: ``unit``, ``citation``, ``files``,
        ``missing_counties`` (year -> NC counties absent from that year's
        file), ``unreported`` (year -> counties whose rates are all blank) and
        ``statewide_rows`` (the SBI's "Statewide County" rows, statewide
        agencies that belong to no county: not in the frame, each kept here
        with its year, rates, file and line).

    Raises
    ------
    SourceError
        Not a complete CSV (see
        :func:`~enforcement_crime.sources._csv.read_csv_lines`), missing
        columns, an unknown county, a year that is not four digits or differs
        from the year in the file name, a rate that is not a non-negative
        number, a duplicated county-year, a file whose alphabetical county list
        stops before Yancey (cut at a line boundary), or a folder without
        ``CrimeDataByCounty*.csv``; the message names the file, line and column.

    Notes
    -----
    The rates are the SBI's own (offenses known to the reporting agencies of
    the county per 100,000 residents); no counts or populations are in these
    files, so nothing here is recomputed. A blank cell is returned missing.
    In rows with some rates, the SBI leaves a zero rate blank (the violent
    rate then equals the sum of the given component rates), but the file
    does not say so, so blanks are not filled with zero here. Counties absent
    from a file (Alamance in every scraped year) are listed in
    ``attrs["missing_counties"]``, not invented.
    """
    path = Path(path)
    if path.is_dir():
        files = sorted(path.glob("CrimeDataByCounty*.csv"))
        if not files:
            raise SourceError(path, "no CrimeDataByCounty*.csv files in this folder")
    else:
        files = [path]
    parts = [_rates_file(f) for f in files]
    statewide = [rec for part in parts for rec in part.attrs["statewide_rows"]]
    out = pd.concat(parts, ignore_index=True)
    dup = out.duplicated(["fips", "year"], keep=False)
    if dup.any():
        first = out.loc[dup].iloc[0]
        where = sorted(set(out.loc[dup, "source"]))
        raise SourceError(
            path,
            f"county {first['county_name']} {first['year']} appears in more than one file "
            f"{where} (one year per file)",
            column="Year",
        )
    out = out.astype(
        {"county_name": "string", "fips": "string", "unit": "string", "source": "string"}
    )
    out = out.sort_values(["fips", "year"], ignore_index=True)
    years = sorted(out["year"].unique())
    out.attrs = {
        "unit": RATE_UNIT,
        "citation": CITATION,
        "files": [str(f) for f in files],
        "missing_counties": {
            int(y): sorted(set(NC_COUNTY_FIPS) - set(out.loc[out["year"] == y, "county_name"]))
            for y in years
        },
        "statewide_rows": statewide,
        "unreported": {
            int(y): sorted(out.loc[(out["year"] == y) & ~out["reported"], "county_name"])
            for y in years
        },
    }
    return out


def fetch(dest: str | Path | None = None, *, progress: bool = True) -> list[Path]:
    """Say what to export from the SBI site, and where to put it: it cannot be downloaded.

    The SBI site builds its tables in an interactive form with no direct file
    links, so nothing can be fetched automatically; no account or login is
    needed to export them by hand.

    Raises
    ------
    LoginRequired
        Always (the exception the ``data fetch`` command reports as manual
        instructions); the message names the tables, the site and the folder
        (default ``data/raw/nc_sbi``) and says that no login is needed.
    """
    dest = Path(dest) if dest is not None else config.raw_dir("nc_sbi")
    raise LoginRequired(
        "nc_sbi: cannot be downloaded automatically: the SBI site builds its tables in an "
        "interactive form and has no direct file links. No account or login is needed; "
        "export the tables by hand.\n"
        "  Export:   'County Rates, Ten Year Trend' and 'County Offenses, Ten Year Trend' for "
        "every NC county, as CSV in the layout "
        "year,index_rate,violent,property,murder,rape,robbery,assault,burglary,larceny,mtv,arson,"
        "geo_description,estimate (read by nc_sbi.load), or the one-year county-rates table "
        "as CrimeDataByCounty<year>.csv (read by nc_sbi.load_county_rates)\n"
        f"  From:     {URL}\n"
        f"  Put in:   {dest}/\n"
        "then run the command again."
    )


def completeness(path: str | Path) -> str | None:
    """Why an NC SBI export looks incomplete (its place x year grid has holes), or None.

    An export (:func:`load`) covers each place it names in every year from
    its first to its last year, with both the rate and the number rows; a
    missing place-year-estimate row means a cut or filtered file. The county-rates
    tables (one file per year, some counties legitimately absent: see
    :func:`load_county_rates`) and files the loader refuses give None.
    """
    path = Path(path)
    if path.name.startswith("CrimeDataByCounty"):
        return None
    try:
        raw = read_csv_lines(path)
        frame = load(path)
    except (SourceError, ValueError, OSError):
        return None
    if "estimate" not in raw.columns or frame.empty:
        return None
    years = range(int(frame["year"].min()), int(frame["year"].max()) + 1)
    places = sorted(frame["place"].unique())
    have = set(
        zip(
            raw["geo_description"].astype(str).str.strip(),
            pd.to_numeric(raw["year"], errors="coerce"),
            raw["estimate"].astype(str).str.strip().str.lower(),
            strict=True,
        )
    )
    estimates = ["number", "rate"]  # an export gives both for every place and year
    holes = [
        f"{p} {y} {e}"
        for p in sorted({p for p, _, _ in have})
        for y in years
        for e in estimates
        if (p, y, e) not in have
    ]
    if not holes:
        return None
    return (
        f"{len(holes)} of {len(places) * len(years) * len(estimates)} place-year-estimate rows "
        f"are absent (e.g. {', '.join(holes[:3])}); an export covers each place in every year "
        f"{years.start}-{years.stop - 1} (cut short or filtered?)"
    )
