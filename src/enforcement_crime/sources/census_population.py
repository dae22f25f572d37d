"""Census Bureau county population estimates (PEP), four file layouts -> long frame.

Layouts (detected from the header; all latin-1 CSV, one row per geography,
``SUMLEV`` 040 = state, 050 = county, ``STATE`` and ``COUNTY`` FIPS parts):

``co-est00int-tot``  (vintage ``"intercensal2000"``)
    2000-2010 intercensal county totals: ``ESTIMATESBASE2000``,
    ``POPESTIMATE2000`` ... ``POPESTIMATE2009``, ``CENSUS2010POP``,
    ``POPESTIMATE2010``. The series DiD papers usually use for 2000-2009.
``co-est2009-alldata``  (vintage ``"v2009"``)
    Vintage 2009 postcensal totals and components: ``CENSUS2000POP``,
    ``ESTIMATESBASE2000``, ``POPESTIMATE2000`` ... ``POPESTIMATE2009``,
    ``NPOPCHG_2000`` ...
``co-est2019-alldata``  (vintage ``"v2019"``)
    ``CENSUS2010POP``, ``ESTIMATESBASE2010``, ``POPESTIMATE2010`` ...
    ``POPESTIMATE2019`` + components.
``co-est2020-alldata``  (vintage ``"v2020"``)
    as v2019 plus ``POPESTIMATE042020`` (1 April 2020) and ``POPESTIMATE2020``.

Only the July-1 ``POPESTIMATE<yyyy>`` columns are returned (not the census
counts, the April bases or ``POPESTIMATE042020``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from enforcement_crime import config
from enforcement_crime.sources._checks import SourceError, check_unique, require_columns, to_int
from enforcement_crime.sources._csv import read_csv_lines
from enforcement_crime.sources._download import fetch_all

__all__ = [
    "CITATION",
    "LICENSE",
    "URLS",
    "SHA256",
    "LAYOUTS",
    "STATE_FIPS",
    "detect_layout",
    "load",
    "fetch",
    "county_population_panel",
]

CITATION = (
    "U.S. Census Bureau, Population Division. County Population Totals (Population Estimates "
    "Program): Intercensal Estimates 2000-2010 (co-est00int-tot), Vintage 2009 (co-est2009-alldata), "
    "Vintage 2019 (co-est2019-alldata) and Vintage 2020 (co-est2020-alldata)."
)
LICENSE = "Public domain (U.S. federal government work, 17 U.S.C. 105)."
_BASE = "https://www2.census.gov/programs-surveys/popest/datasets"
URLS: dict[str, str] = {
    "co-est00int-tot.csv": f"{_BASE}/2000-2010/intercensal/county/co-est00int-tot.csv",
    "co-est2009-alldata.csv": f"{_BASE}/2000-2009/counties/totals/co-est2009-alldata.csv",
    "co-est2019-alldata.csv": f"{_BASE}/2010-2019/counties/totals/co-est2019-alldata.csv",
    "co-est2020-alldata.csv": f"{_BASE}/2010-2020/counties/totals/co-est2020-alldata.csv",
}
URL = URLS["co-est2019-alldata.csv"]
#: sha256 of the official files. The two known values were computed from byte
#: copies of the official files (shared/data/census_county_pop_tell, see its
#: PROVENANCE.md); None = not yet recorded (downloaded without verification;
#: record the value after checking the file).
SHA256: dict[str, str | None] = {
    "co-est00int-tot.csv": None,
    "co-est2009-alldata.csv": "e33e150ef30497085e1c287b994dfad6cf0b553bee1921916e55b0cf35174f26",
    "co-est2019-alldata.csv": "654032fbb805bc9a7c124ba04ad47e170f5d9dc9d4974a73edfc20598fde77d8",
    "co-est2020-alldata.csv": None,
}

_ID = ["SUMLEV", "STATE", "COUNTY", "STNAME", "CTYNAME"]
#: layout name -> (vintage label, marker columns that identify it, population years)
LAYOUTS: dict[str, tuple[str, tuple[str, ...], range]] = {
    "co-est00int-tot": (
        "intercensal2000",
        ("ESTIMATESBASE2000", "CENSUS2010POP"),
        range(2000, 2011),
    ),
    "co-est2009-alldata": ("v2009", ("CENSUS2000POP", "NPOPCHG_2000"), range(2000, 2010)),
    "co-est2020-alldata": ("v2020", ("CENSUS2010POP", "POPESTIMATE2020"), range(2010, 2021)),
    "co-est2019-alldata": ("v2019", ("CENSUS2010POP", "POPESTIMATE2019"), range(2010, 2020)),
}
_POP = re.compile(r"POPESTIMATE(\d{4})")
#: the 50 states and DC (2-digit FIPS): every PEP county file covers exactly these
#: (Puerto Rico is published separately)
STATE_FIPS: tuple[str, ...] = (
    "01 02 04 05 06 08 09 10 11 12 13 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 "
    "32 33 34 35 36 37 38 39 40 41 42 44 45 46 47 48 49 50 51 53 54 55 56"
).split()


def detect_layout(columns: list[str], path: str | Path = "<frame>") -> str:
    """Return the layout name of a PEP county file from its header.

    Raises
    ------
    SourceError
        The header matches none of :data:`LAYOUTS`.
    """
    cols = set(columns)
    years = {int(m.group(1)) for c in columns if (m := _POP.fullmatch(c))}
    if "POPESTIMATE2000" in cols and "CENSUS2010POP" in cols and "CENSUS2000POP" not in cols:
        return "co-est00int-tot"
    if "CENSUS2000POP" in cols and "NPOPCHG_2000" in cols:
        return "co-est2009-alldata"
    if "CENSUS2010POP" in cols and "POPESTIMATE2000" not in cols:
        if 2020 in years:
            return "co-est2020-alldata"
        if 2019 in years:
            return "co-est2019-alldata"
    raise SourceError(
        path,
        "unknown Census county-estimates layout: expected the header of co-est00int-tot, "
        "co-est2009-alldata, co-est2019-alldata or co-est2020-alldata "
        f"(SUMLEV, STATE, COUNTY, STNAME, CTYNAME, POPESTIMATE<year>...); got {sorted(cols)[:20]}",
    )


def load(path: str | Path) -> pd.DataFrame:
    """Read one Census PEP county file into a long county-year frame.

    Parameters
    ----------
    path : str or Path
        A ``co-est00int-tot``, ``co-est2009-alldata``, ``co-est2019-alldata`` or
        ``co-est2020-alldata`` CSV (latin-1, as published).

    Returns
    -------
    pandas.DataFrame
        One row per county (``SUMLEV`` 050) and July-1 estimate year, sorted by
        ``fips, year``: ``fips`` (string, 5 digits), ``year`` (int64),
        ``population`` (Int64, >= 0), ``county_name``, ``state_name``,
        ``state_fips`` (string, 2 digits), ``vintage`` (``"intercensal2000"``,
        ``"v2009"``, ``"v2019"`` or ``"v2020"``). ``attrs["layout"]`` holds the
        layout and ``attrs["rows_not_county"]`` the number of non-county rows
        (state and nation totals, ``SUMLEV`` != 050) that are not returned.

    Raises
    ------
    SourceError
        Not a complete CSV (empty, HTML page, truncated last line, a row with
        a wrong number of fields: see :func:`~enforcement_crime.sources._csv.read_csv_lines`),
        unknown layout, missing column, non-numeric or negative population,
        a blank cell, a bad ``STATE``/``COUNTY`` code, a duplicated county,
        or an incomplete file (see Notes); the message names the file, line
        and column.

    Notes
    -----
    Completeness is checked against the file itself, so that a file cut at a
    line boundary (which parses cleanly) is refused: every PEP county file
    has one state row (``SUMLEV`` 040) for each of the 50 states and DC
    (:data:`STATE_FIPS`), and the July-1 estimates of a state's counties add
    up exactly to its state row (the Census controls county estimates to the
    state totals). A missing state, a state row without its counties or
    counties without their state row, and a county sum that differs from the
    state total in any year (a county lost) are errors naming the state, the
    year and the state row's line.
    """
    path = Path(path)
    raw = read_csv_lines(path, encoding="latin-1")
    layout = detect_layout(list(raw.columns), path)
    vintage, _, years = LAYOUTS[layout]
    pop_cols = [f"POPESTIMATE{y}" for y in years]
    require_columns(raw, _ID + pop_cols, path, layout)
    sumlev = to_int(raw["SUMLEV"], path, "SUMLEV")
    county = raw.loc[(sumlev == 50).to_numpy()]
    if county.empty:
        raise SourceError(path, "no county rows (SUMLEV 050): not a county file?", column="SUMLEV")
    for col, width in (("STATE", 2), ("COUNTY", 3)):
        code = county[col].astype("string").str.strip()
        bad = ~code.str.fullmatch(rf"\d{{1,{width}}}").fillna(False)
        if bad.any():
            raise SourceError(
                path,
                f"expected a FIPS code of up to {width} digits, got {county.loc[bad, col].iloc[0]!r}",
                row=county.index[bad.to_numpy()],
                column=col,
            )
    state_fips = county["STATE"].str.strip().str.zfill(2)
    fips = state_fips + county["COUNTY"].str.strip().str.zfill(3)
    ids = pd.DataFrame(
        {
            "fips": fips,
            "state_fips": state_fips,
            "county_name": county["CTYNAME"],
            "state_name": county["STNAME"],
        },
        index=county.index,
    )
    check_unique(ids, ["fips"], path)
    _check_complete(raw, sumlev, county, pop_cols, path)
    parts = []
    for y, col in zip(years, pop_cols, strict=True):
        part = ids.copy()
        part["year"] = y
        part["population"] = to_int(county[col], path, col)
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    out["vintage"] = vintage
    out = out[["fips", "year", "population", "county_name", "state_name", "state_fips", "vintage"]]
    out = out.astype(
        {
            "fips": "string",
            "state_fips": "string",
            "county_name": "string",
            "state_name": "string",
            "vintage": "string",
            "year": "int64",
        }
    )
    out = out.sort_values(["fips", "year"], ignore_index=True)
    out.attrs = {
        "layout": layout,
        "path": str(path),
        "rows_not_county": int(len(raw) - len(county)),
    }
    return out


def _check_complete(
    raw: pd.DataFrame, sumlev: pd.Series, county: pd.DataFrame, pop_cols: list[str], path: Path
) -> None:
    """Refuse a file whose states are not all there or whose counties do not add up (see ``load``)."""
    states = raw.loc[(sumlev == 40).to_numpy()]
    st_code = states["STATE"].astype("string").str.strip().str.zfill(2)
    check_unique(pd.DataFrame({"STATE": st_code}, index=states.index), ["STATE"], path)
    co_code = county["STATE"].astype("string").str.strip().str.zfill(2)
    missing = [s for s in STATE_FIPS if s not in set(st_code)]
    if missing:
        last = int(raw.index[-1])
        raise SourceError(
            path,
            f"incomplete file: no state row (SUMLEV 040) for state FIPS {missing} "
            f"({len(missing)} of the 50 states and DC, which every PEP county file holds); "
            f"the file ends at line {last} (truncated?)",
            column="STATE",
        )
    without_state = sorted(set(co_code) - set(st_code))
    if without_state:
        rows = county.index[co_code.isin(without_state).to_numpy()]
        raise SourceError(
            path,
            f"county rows of state(s) {without_state} have no state row (SUMLEV 040)",
            row=rows,
            column="STATE",
        )
    st_line = pd.Series(states.index, index=st_code.to_numpy())
    st_name = pd.Series(states["STNAME"].to_numpy(), index=st_code.to_numpy())
    for col in pop_cols:
        total = pd.Series(to_int(states[col], path, col).to_numpy(), index=st_code.to_numpy())
        summed = (
            pd.Series(to_int(county[col], path, col).to_numpy(), index=co_code.to_numpy())
            .groupby(level=0)
            .sum()
            .reindex(total.index, fill_value=0)
        )
        off = total[summed != total]
        if len(off):
            s = off.index[0]
            n_cty = int((co_code == s).sum())
            raise SourceError(
                path,
                f"incomplete file: the {n_cty} county rows of state {s} ({st_name[s]}) add up to "
                f"{int(summed[s]):,} but its state row says {int(total[s]):,} "
                f"(a county missing or cut short; truncated file?); states affected: "
                f"{list(off.index)}",
                row=[int(st_line[k]) for k in off.index],
                column=col,
            )


def fetch(dest: str | Path | None = None, *, progress: bool = True) -> list[Path]:
    """Download the four county files into ``dest`` (default ``data/raw/census_population``).

    Files with a registered :data:`SHA256` are verified; a file already there
    with the right checksum is not downloaded again.
    """
    dest = Path(dest) if dest is not None else config.raw_dir("census_population")
    return fetch_all(
        {name: (url, SHA256[name]) for name, url in URLS.items()}, dest, progress=progress
    )


#: vintage preference per period (first available wins), see county_population_panel
PREFERENCE_2000S: tuple[str, ...] = ("intercensal2000", "v2009")
PREFERENCE_2010S: tuple[str, ...] = ("v2020", "v2019", "intercensal2000")


def county_population_panel(frames: list[pd.DataFrame] | pd.DataFrame, years) -> pd.DataFrame:
    """Combine loaded vintages into one population per county and year.

    Parameters
    ----------
    frames : list of DataFrame or DataFrame
        Outputs of :func:`load` (any mix of vintages).
    years : iterable of int
        The years wanted.

    Returns
    -------
    pandas.DataFrame
        ``fips, year, population, county_name, state_fips, vintage`` with one
        row per county and year present in the chosen vintage, sorted.

    Raises
    ------
    ValueError
        A requested year is covered by none of the frames.

    Notes
    -----
    The rule, per year :math:`t`:

    * :math:`t \\le 2009`: the 2000-2010 intercensal series when loaded, else
      Vintage 2009. Intercensal estimates are revised to the 2010 census; the
      postcensal Vintage 2009 is not, so expect a level break at 2009/2010
      when it is used (shown in ``vintage``).
    * :math:`t \\ge 2010`: Vintage 2020, else Vintage 2019 (the later vintage
      revises the earlier one), else the intercensal file's July 2010 value.

    The vintage is chosen per year for all counties at once (not per county),
    so the series for a year is never a mix of vintages; counties absent from
    that vintage (e.g. 08014 Broomfield in 2000-2001) are absent from the result.
    """
    if isinstance(frames, pd.DataFrame):
        frames = [frames]
    allv = pd.concat(frames, ignore_index=True)
    out = []
    for y in sorted(set(int(y) for y in years)):
        pref = PREFERENCE_2000S if y <= 2009 else PREFERENCE_2010S
        have = set(allv.loc[allv["year"] == y, "vintage"])
        chosen = next((v for v in pref if v in have), None)
        if chosen is None:
            raise ValueError(
                f"county_population_panel: no loaded vintage covers year {y} (have {sorted(set(allv['vintage']))})"
            )
        out.append(allv[(allv["year"] == y) & (allv["vintage"] == chosen)])
    res = pd.concat(out, ignore_index=True)
    if res.duplicated(["fips", "year"]).any():
        raise ValueError(
            "county_population_panel: the same vintage was passed twice (duplicate fips, year)"
        )
    cols = ["fips", "year", "population", "county_name", "state_fips", "vintage"]
    return res[cols].sort_values(["fips", "year"], ignore_index=True)
