"""287(g) agreement rosters: four public layouts, each to a tidy typed frame.

``roster`` (:func:`load_roster`)
    The Deportation Data Project's compiled pre-2018 roster
    (``pre2018-agreements-best-guess.csv``): one row per agency with first and
    latest signing date, all signing dates, model, the window observed on ICE
    rosters, termination, county FIPS (unpadded, ``"; "``-separated when an
    agency covers several counties) and the sources that list it.
``oig2009`` (:func:`load_oig_2009`)
    DHS OIG-10-63 (Mar 2010) Appendix E Table 3, agreements as of 28 Oct 2009
    (``historical-oig-2009.csv``): state, agency, model, original signing date.
``wapo`` (:func:`load_wapo`)
    The Washington Post's curated agency x year flags 2005-2019
    (``287g_curated_2018.xlsx`` / ``_2019.xlsx``), returned long (one row per
    agency and year) with the FIPS where the sheet has it; plus
    :func:`load_ucr_agencies` for the FBI agency roster shipped with it
    (``ucr_agencies_list.csv``: ORI -> county *name*).
``ice_current`` (:func:`load_ice_current`, :func:`load_ice_agreements`)
    ICE's current participating / pending agency sheets (xlsx) and
    E. Appelson's scrape history ``agreements.csv``. ``SIGNED`` there is the
    current MOA's date (re-signing overwrites it), so these cannot date
    2006-2012 entry.

:func:`load` detects the layout from the columns. Models are normalised to
``"jail"`` (Jail Enforcement Model), ``"task force"``, ``"both"`` (OIG
"Hybrid", or a roster model history "Jail Enforcement -> Task Force") and
``"warrant service officer"`` (WSO, 2019+). Every frame carries ``source``
and ``line`` (the 1-based line / spreadsheet row of the record).

Sources read one file and do nothing else: county FIPS are attached to
agency names (OIG, ICE sheets) in :mod:`enforcement_crime.panels.timing`.
"""

from __future__ import annotations

import re
import warnings
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
    "MODEL_MAP",
    "EARLIEST_DATE",
    "load",
    "load_roster",
    "load_oig_2009",
    "load_wapo",
    "load_ucr_agencies",
    "load_ice_current",
    "load_ice_agreements",
    "fetch",
]

CITATION = (
    "Deportation Data Project, 'ice-287g' (github.com/deportationdata/ice-287g): pre-2018 287(g) agreements "
    "compiled from ICE rosters, GAO-09-109, CRS RL32270, DHS OIG-10-63 (Mar 2010) and others; "
    "Washington Post (A. Ba Tran), 'sheriffs_287g' (github.com/wpinvestigative/sheriffs_287g), curated 287(g) list; "
    "U.S. Immigration and Customs Enforcement, 287(g) participating and pending agencies "
    "(ice.gov/identify-and-arrest/287g), scraped by E. Appelson (github.com/appelson/Tracking_287g)."
)
LICENSE = (
    "ICE and DHS OIG lists: public domain (U.S. federal government works). Washington Post data: CC BY-NC-SA 4.0. "
    "Deportation Data Project and Appelson compilations: see their repositories."
)
URL = "https://www.ice.gov/identify-and-arrest/287g"
_DDP = "https://raw.githubusercontent.com/deportationdata/ice-287g"
_WAPO = "https://raw.githubusercontent.com/wpinvestigative/sheriffs_287g"
URLS: dict[str, str] = {
    "pre2018-agreements-best-guess.csv": f"{_DDP}/92556ed51e6084d8672c45611063fc2e2956160a/data/pre2018-agreements-best-guess.csv",
    "historical-oig-2009.csv": f"{_DDP}/919d29993cc51e9faf9f3dad5419f5b3e25cb6c9/data/intermediate/historical-oig-2009.csv",
    "287g_curated_2018.xlsx": f"{_WAPO}/9dbc96243f78b4481d4a14311e20181a8e7a2677/data/raw_data/287g_curated_2018.xlsx",
    "287g_curated_2019.xlsx": f"{_WAPO}/9dbc96243f78b4481d4a14311e20181a8e7a2677/data/raw_data/287g_curated_2019.xlsx",
    "ucr_agencies_list.csv": f"{_WAPO}/1a4d8cb2c9f4844f08fd8fdba7fac9e0b355c17b/data/raw_data/ucr_agencies_list.csv",
}
#: sha256 of every file pinned above, computed from the copies in shared/data
#: (the WaPo files are byte-identical to the repository's; the two DDP csv are
#: the repository's text at the pinned commits, copied page by page, see their
#: PROVENANCE.md). A file whose sha256 differs stops ``data build`` (and a
#: download is refused) unless the change is accepted explicitly.
SHA256: dict[str, str] = {
    "pre2018-agreements-best-guess.csv": "6801e6dd52617ea746af7dde2dd44be34cd2deb3351c1c811e6a6afd6562f2c6",
    "historical-oig-2009.csv": "d347ee7e2aad15609431cea82080f275e653e5515defdf211290e993fdb923a8",
    "287g_curated_2018.xlsx": "aa21266bb7cec1810c7b56ad3f7ed2164ac0f4236e72628a321a45f5bf6182fb",
    "287g_curated_2019.xlsx": "b25571a4a13531c9d10b9de5b9ec0f5f5817e07bf4f97be09a8891c49c6e2350",
    "ucr_agencies_list.csv": "a4446ef0572dd00585a5b400c5673eaebea9950d0c656baf1a28d460399ae818",
}

MODEL_MAP: dict[str, str] = {
    "jail enforcement": "jail",
    "jail enforcement model": "jail",
    "jail": "jail",
    "task force": "task force",
    "task force model": "task force",
    "hybrid": "both",
    "jail enforcement -> task force": "both",
    "task force -> jail enforcement": "both",
    "warrant service officer": "warrant service officer",
}

_ROSTER = [
    "state",
    "agency",
    "jurisdiction_level",
    "county_fips",
    "county_name",
    "first_signed_best",
    "first_signed_source",
    "latest_signed",
    "signing_dates",
    "models",
    "active_from",
    "active_to",
    "terminated",
    "n_sources",
    "confidence",
]
_OIG = ["source", "as_of", "state", "agency", "model", "date_signed_original", "status"]
_WAPO_COLS = ["State", "County", "FIPS"]
_ICE = ["STATE", "LAW ENFORCEMENT AGENCY", "TYPE", "COUNTY", "SUPPORT TYPE"]
_AGREEMENTS = ["date", "state", "county", "agency", "ori", "type", "agency_type"]
_UCR = ["ori", "agency_name", "agency_type_name", "state_abbr", "county_name"]


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


#: the earliest possible 287(g) date: section 287(g) was added to the INA by IIRIRA,
#: enacted 30 September 1996 (no agreement, roster or list can predate it)
EARLIEST_DATE = pd.Timestamp("1996-09-30")


def _dates(s: pd.Series, path: Path, column: str, fmt: str = "%Y-%m-%d") -> pd.Series:
    """Parse a date column; refuse a value that is not a date or lies outside 1996-09-30 .. today."""
    raw = s.astype("string").str.strip()
    out = pd.to_datetime(raw, format=fmt, errors="coerce")
    bad = out.isna() & raw.notna()
    if bad.any():
        raise SourceError(
            path,
            f"expected a date {fmt.replace('%', '')}, got {raw[bad].iloc[0]!r}",
            row=s.index[bad.to_numpy()],
            column=column,
        )
    today = pd.Timestamp.today().normalize()
    bad = out.notna() & ((out < EARLIEST_DATE) | (out > today))
    if bad.any():
        raise SourceError(
            path,
            f"implausible 287(g) date {raw[bad].iloc[0]!r}: expected {EARLIEST_DATE.date()} "
            f"(IIRIRA created 287(g)) to {today.date()} (today)",
            row=s.index[bad.to_numpy()],
            column=column,
        )
    return out.astype("datetime64[ns]")


def _model(s: pd.Series, path: Path, column: str) -> pd.Series:
    raw = s.astype("string").str.strip()
    out = raw.str.lower().map(MODEL_MAP)
    bad = out.isna() & raw.notna()
    if bad.any():
        raise SourceError(
            path,
            f"unknown 287(g) model {raw[bad].iloc[0]!r}; known: {sorted(MODEL_MAP)}",
            row=s.index[bad.to_numpy()],
            column=column,
        )
    return out.astype("string")


def _bool(s: pd.Series, path: Path, column: str) -> pd.Series:
    raw = s.astype("string").str.strip().str.upper()
    out = raw.map({"TRUE": True, "FALSE": False, "1": True, "0": False})
    bad = out.isna() & raw.notna()
    if bad.any():
        raise SourceError(
            path,
            f"expected TRUE/FALSE, got {s[bad].iloc[0]!r}",
            row=s.index[bad.to_numpy()],
            column=column,
        )
    return out.astype("boolean")


def _read_xlsx(path: Path) -> pd.DataFrame:
    try:
        df = pd.read_excel(path, engine="calamine", dtype=object)
    except Exception as exc:  # calamine raises its own error types on corrupt files
        raise SourceError(
            path, f"cannot be read as a spreadsheet (truncated or corrupt?): {exc}"
        ) from None
    df.columns = [str(c).strip() for c in df.columns]
    df.index = pd.RangeIndex(2, len(df) + 2, name="line")  # spreadsheet row; the header is row 1
    return df


def _finish(out: pd.DataFrame, source: str, path: Path) -> pd.DataFrame:
    out = out.copy()
    out["source"] = pd.Series(source, index=out.index, dtype="string")
    out["file"] = pd.Series(path.name, index=out.index, dtype="string")
    out["line"] = out.index.astype("int64")
    out = out.reset_index(drop=True)
    out.attrs = {"path": str(path), "layout": source}
    return out


# ---------------------------------------------------------------------------
# layouts
# ---------------------------------------------------------------------------


def load_roster(path: str | Path) -> pd.DataFrame:
    """Read the compiled pre-2018 roster (``pre2018-agreements-best-guess.csv``).

    Returns
    -------
    pandas.DataFrame
        One row per agency and county it covers (an agency listed with
        several FIPS gives one row per distinct FIPS; an agency without FIPS
        one row with ``fips`` missing): ``state``, ``agency``,
        ``jurisdiction_level``, ``fips`` (5-digit string or missing),
        ``county_name``, ``first_signed``, ``latest_signed``, ``active_from``,
        ``active_to`` (datetime64), ``signing_dates`` (string as in the file),
        ``model`` (normalised, see :data:`MODEL_MAP`), ``terminated`` (boolean),
        ``n_sources`` (Int64), ``confidence``, ``first_signed_source``,
        ``source`` (``"roster"``), ``file``, ``line``.

    Notes
    -----
    ``state`` is blank in the file for rows known only from GAO-09-109, whose
    agency names end in the state in brackets ("... (North Carolina)"): the
    state is taken from there and the bracket removed. ``active_from`` and
    ``active_to`` are roster observation dates (fiscal-year starts), not exact
    start or end dates.
    """
    path = Path(path)
    raw = read_csv_lines(path)
    require_columns(raw, _ROSTER, path, "287(g) compiled roster")
    check_unique(raw, ["state", "agency"], path)
    out = pd.DataFrame(index=raw.index)
    agency = raw["agency"].astype("string").str.strip()
    bracket = agency.str.extract(r"^(.*?)\s*\(([A-Za-z .]+)\)$")
    state = raw["state"].astype("string").str.strip().str.upper()
    use = state.isna() & bracket[1].notna()
    out["state"] = state.mask(use, bracket[1].str.upper())
    out["agency"] = agency.mask(use, bracket[0])
    out["jurisdiction_level"] = raw["jurisdiction_level"].astype("string")
    out["county_name"] = raw["county_name"].astype("string")
    for src, dst in (
        ("first_signed_best", "first_signed"),
        ("latest_signed", "latest_signed"),
        ("active_from", "active_from"),
        ("active_to", "active_to"),
    ):
        out[dst] = _dates(raw[src], path, src)
    bad = (out["latest_signed"] < out["first_signed"]).fillna(False)
    if bad.any():
        raise SourceError(
            path,
            "latest_signed before first_signed_best",
            row=raw.index[bad.to_numpy()],
            column="latest_signed",
        )
    out["signing_dates"] = raw["signing_dates"].astype("string")
    out["model"] = _model(raw["models"], path, "models")
    out["terminated"] = _bool(raw["terminated"], path, "terminated")
    out["n_sources"] = to_int(raw["n_sources"], path, "n_sources", allow_na=True)
    out["confidence"] = raw["confidence"].astype("string")
    out["first_signed_source"] = raw["first_signed_source"].astype("string")
    fips_lists = raw["county_fips"].astype("string").str.split(";")
    rows = []
    for line, codes in fips_lists.items():
        if not isinstance(codes, list):
            rows.append((line, pd.NA))
            continue
        seen: list[str] = []
        for code in codes:
            code = code.strip()
            if not re.fullmatch(r"\d{4,5}", code):
                raise SourceError(
                    path,
                    f"expected county FIPS codes (4-5 digits, '; '-separated), got {raw.at[line, 'county_fips']!r}",
                    row=line,
                    column="county_fips",
                )
            if code.zfill(5) not in seen:
                seen.append(code.zfill(5))
        rows.extend((line, c) for c in seen)
    idx = pd.DataFrame(rows, columns=["line", "fips"])
    out = out.loc[idx["line"]]
    out.insert(2, "fips", pd.array(idx["fips"].to_numpy(), dtype="string"))
    return _finish(out, "roster", path)


def load_oig_2009(path: str | Path) -> pd.DataFrame:
    """Read the DHS OIG-10-63 list (``historical-oig-2009.csv``).

    Returns
    -------
    pandas.DataFrame
        ``state`` (upper case), ``agency``, ``model`` (normalised; OIG
        "Hybrid" -> ``"both"``), ``signed`` (datetime64, the original signing
        date as OIG reports it), ``status`` (``"signed"``/``"pending"``),
        ``as_of`` (datetime64), ``citation`` (the file's ``source`` text),
        ``source`` (``"oig2009"``), ``file``, ``line``.
    """
    path = Path(path)
    raw = read_csv_lines(path)
    require_columns(raw, _OIG, path, "DHS OIG 2009 list")
    check_unique(raw, ["state", "agency"], path)
    out = pd.DataFrame(index=raw.index)
    out["state"] = raw["state"].astype("string").str.strip().str.upper()
    out["agency"] = raw["agency"].astype("string").str.strip()
    out["model"] = _model(raw["model"], path, "model")
    out["signed"] = _dates(raw["date_signed_original"], path, "date_signed_original")
    out["status"] = raw["status"].astype("string").str.strip().str.lower()
    out["as_of"] = _dates(raw["as_of"], path, "as_of")
    out["citation"] = raw["source"].astype("string")
    return _finish(out, "oig2009", path)


def load_wapo(path: str | Path) -> pd.DataFrame:
    """Read a Washington Post curated sheet (``287g_curated_2018.xlsx`` / ``_2019.xlsx``) to long form.

    Returns
    -------
    pandas.DataFrame
        One row per sheet row and year ``y2005``..``y2019`` present:
        ``state`` (upper case), ``agency`` (the sheet's "County" column, which
        holds the agency name), ``sheriff``, ``ori`` (from ``ori``, else an
        ORI-looking value in ``ignore``), ``fips`` (5-digit string or missing),
        ``year`` (int64), ``in_287g`` (bool, "X" in the year column),
        ``joined_after_2018`` (the raw Y/N text), ``notes``, ``source``
        (``"wapo"``), ``file``, ``line`` (spreadsheet row).
        ``attrs["exact_duplicates_dropped"]`` counts the sheet rows dropped as
        exact copies and ``attrs["exact_duplicate_lines"]`` maps each dropped
        row to the row it repeats.

    Notes
    -----
    An agency can span two sheet rows (e.g. a change of sheriff: Gallatin
    County MT); rows are kept as they are and carry their ``line``.

    A sheet row identical to an earlier one in every cell (an exact copy,
    absent from the published sheets but easy to make when editing one) is
    dropped, never silently: the count and the rows are in ``attrs`` and a
    :class:`UserWarning` names the file and the rows. Rows that share an
    agency but differ in any cell are all kept.
    """
    path = Path(path)
    raw = _read_xlsx(path)
    require_columns(raw, _WAPO_COLS, path, "Washington Post 287(g) sheet")
    dup = raw.duplicated(keep="first")
    copies: dict[int, int] = {}
    if dup.any():
        for line in raw.index[dup.to_numpy()]:
            row = raw.loc[line]
            earlier = raw.loc[raw.index < line]
            same = ((earlier == row) | (earlier.isna() & row.isna())).all(axis=1)
            copies[int(line)] = int(same.idxmax())
        raw = raw.loc[~dup.to_numpy()]
        warnings.warn(
            f"{path}: dropped {len(copies)} sheet row(s) that repeat an earlier row exactly "
            f"(row: repeated row) {copies}",
            UserWarning,
            stacklevel=2,
        )
    years = sorted(int(m.group(1)) for c in raw.columns if (m := re.fullmatch(r"y(\d{4})", c)))
    if not years:
        raise SourceError(path, "no year-flag columns y2005..y2019 found", column="y2005")
    base = pd.DataFrame(index=raw.index)
    base["state"] = raw["State"].astype("string").str.strip().str.upper()
    base["agency"] = raw["County"].astype("string").str.strip()
    base["sheriff"] = (
        raw["Sheriff"].astype("string").str.strip() if "Sheriff" in raw.columns else pd.NA
    )
    ori = (
        raw["ori"].astype("string").str.strip()
        if "ori" in raw.columns
        else pd.Series(pd.NA, index=raw.index, dtype="string")
    )
    if "ignore" in raw.columns:
        alt = raw["ignore"].astype("string").str.strip()
        ori = ori.fillna(alt.where(alt.str.fullmatch(r"[A-Z]{2}[0-9A-Z]{5}(00)?").fillna(False)))
    base["ori"] = ori
    fips = pd.to_numeric(raw["FIPS"].astype("string").str.strip(), errors="coerce")
    bad = (
        (fips.isna() & raw["FIPS"].notna())
        | ((fips % 1) != 0).fillna(False)
        | (fips > 99999).fillna(False)
        | (fips < 1000).fillna(False)
    )
    if bad.any():
        raise SourceError(
            path,
            f"expected a county FIPS number, got {raw.loc[bad, 'FIPS'].iloc[0]!r}",
            row=raw.index[bad.to_numpy()],
            column="FIPS",
        )
    base["fips"] = fips.astype("Int64").astype("string").str.zfill(5)
    jcol = next((c for c in raw.columns if c.lower().startswith("joined after")), None)
    base["joined_after_2018"] = raw[jcol].astype("string") if jcol else pd.NA
    base["notes"] = raw["NOTES"].astype("string") if "NOTES" in raw.columns else pd.NA
    parts = []
    for y in years:
        col = f"y{y}"
        flag = raw[col].astype("string").str.strip().str.upper()
        bad = flag.notna() & (flag != "X")
        if bad.any():
            raise SourceError(
                path,
                f"expected 'X' or blank, got {raw.loc[bad, col].iloc[0]!r}",
                row=raw.index[bad.to_numpy()],
                column=col,
            )
        part = base.copy()
        part["year"] = y
        part["in_287g"] = flag.eq("X").fillna(False).astype(bool)
        parts.append(part)
    out = pd.concat(parts).sort_index(kind="stable")
    out = _finish(out, "wapo", path)
    out.attrs["exact_duplicates_dropped"] = len(copies)
    out.attrs["exact_duplicate_lines"] = copies
    return out


def load_ucr_agencies(path: str | Path) -> pd.DataFrame:
    """Read the FBI Crime Data Explorer agency roster shipped with the WaPo data (``ucr_agencies_list.csv``).

    Returns
    -------
    pandas.DataFrame
        ``ori``, ``agency_name``, ``agency_type``, ``state`` (postal),
        ``state_name``, ``county_name`` (upper case as in the file; several
        counties are comma-separated), ``source`` (``"ucr_agencies"``),
        ``file``, ``line``. ORIs are unique.
    """
    path = Path(path)
    raw = read_csv_lines(path)
    require_columns(raw, _UCR, path, "FBI CDE agency list")
    check_unique(raw, ["ori"], path)
    bad = ~raw["ori"].astype("string").str.fullmatch(r"[A-Z0-9]{9}").fillna(False)
    if bad.any():
        raise SourceError(
            path,
            f"expected a 9-character ORI, got {raw.loc[bad, 'ori'].iloc[0]!r}",
            row=raw.index[bad.to_numpy()],
            column="ori",
        )
    out = pd.DataFrame(index=raw.index)
    out["ori"] = raw["ori"].astype("string")
    out["agency_name"] = raw["agency_name"].astype("string")
    out["agency_type"] = raw["agency_type_name"].astype("string")
    out["state"] = raw["state_abbr"].astype("string")
    out["state_name"] = raw["state_name"].astype("string") if "state_name" in raw.columns else pd.NA
    out["county_name"] = raw["county_name"].astype("string")
    return _finish(out, "ucr_agencies", path)


_SLASHLESS = re.compile(r"^(\d{1,2})/(\d{1,2})(\d{4})$")


#: first 287(g) agreement (Florida, July 2002); earlier or far-future SIGNED values are typos
_FIRST_287G = pd.Timestamp("2002-01-01")
_LAST_PLAUSIBLE = pd.Timestamp("2100-01-01")


def _ice_signed(s: pd.Series, path: Path) -> tuple[pd.Series, pd.Series]:
    """Parse SIGNED cells (datetimes, or text m/d/yyyy) with two documented repairs.

    Returns the dates and a string Series describing the repair of each
    repaired cell (missing elsewhere):

    * a text date missing the slash before the year (``"7/72025"``,
      ``"05/082025"``) is read as ``7/7/2025``, ``05/08/2025``;
    * a date before 2002 (the first 287(g) agreement) or in another century
      (``5025-07-07``) is implausible: set to NaT, the row kept.

    Any other unreadable cell raises :class:`SourceError`.
    """
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    issue = pd.Series(pd.NA, index=s.index, dtype="string")
    for line, v in s.items():
        if v is None or v is pd.NaT or (isinstance(v, float) and np.isnan(v)):
            continue
        if hasattr(v, "year") and hasattr(v, "month"):
            if not (_FIRST_287G.year <= v.year < _LAST_PLAUSIBLE.year):
                issue[line] = f"implausible date {v.isoformat()[:10]} set missing"
                continue
            out[line] = pd.Timestamp(v)
            continue
        text = str(v).strip()
        m = _SLASHLESS.fullmatch(text)
        if m:
            text = f"{m.group(1)}/{m.group(2)}/{m.group(3)}"
            issue[line] = f"text {str(v)!r} read as {text}"
        for fmt in ("%m/%d/%Y", "%Y-%m-%d", "%Y-%m-%d %H:%M:%S"):
            d = pd.to_datetime(text, format=fmt, errors="coerce")
            if not pd.isna(d):
                break
        else:
            raise SourceError(path, f"expected a date, got {v!r}", row=line, column="SIGNED")
        if not (_FIRST_287G <= d < _LAST_PLAUSIBLE):
            issue[line] = f"implausible date {str(v)!r} set missing"
            continue
        out[line] = d
    return out, issue


def load_ice_current(path: str | Path) -> pd.DataFrame:
    """Read an ICE participating or pending 287(g) sheet (xlsx).

    Returns
    -------
    pandas.DataFrame
        ``state`` (upper case), ``agency``, ``agency_type`` (County /
        Municipality / State Agency), ``county_name``, ``support_type`` (as in
        the sheet), ``model`` (normalised), ``signed`` (datetime64; NaT on a
        pending sheet), ``signed_issue`` (string, missing unless the cell was
        repaired: a text date missing the slash before the year, e.g.
        ``"7/72025"``, read as 7/7/2025; or an implausible date such as
        5025-07-07 set to NaT; see ``_ice_signed``), ``status`` (``"participating"`` when the sheet has
        ``SIGNED``, else ``"pending"``), ``sheet_date`` (datetime64 from an
        ICE file name such as ``participatingAgencies07182025pm.xlsx``, else
        NaT), ``source`` (``"ice_current"``), ``file``, ``line``.
    """
    path = Path(path)
    raw = _read_xlsx(path)
    require_columns(raw, _ICE, path, "ICE 287(g) agency sheet")
    out = pd.DataFrame(index=raw.index)
    out["state"] = raw["STATE"].astype("string").str.strip().str.upper()
    out["agency"] = raw["LAW ENFORCEMENT AGENCY"].astype("string").str.strip()
    out["agency_type"] = raw["TYPE"].astype("string").str.strip()
    out["county_name"] = raw["COUNTY"].astype("string").str.strip()
    out["support_type"] = raw["SUPPORT TYPE"].astype("string").str.strip()
    out["model"] = _model(raw["SUPPORT TYPE"], path, "SUPPORT TYPE")
    for col in ("state", "agency"):
        bad = out[col].isna()
        if bad.any():
            raise SourceError(
                path,
                "blank cell where a value is required (truncated sheet?)",
                row=raw.index[bad.to_numpy()],
                column="STATE" if col == "state" else "LAW ENFORCEMENT AGENCY",
            )
    if "SIGNED" in raw.columns:
        out["signed"], out["signed_issue"] = _ice_signed(raw["SIGNED"], path)
        out["status"] = pd.Series("participating", index=raw.index, dtype="string")
    else:
        out["signed"] = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
        out["signed_issue"] = pd.Series(pd.NA, index=raw.index, dtype="string")
        out["status"] = pd.Series("pending", index=raw.index, dtype="string")
    check_unique(out, ["state", "agency", "support_type"], path)
    m = re.search(r"(\d{2})(\d{2})(\d{4})", path.name)
    out["sheet_date"] = pd.Timestamp(f"{m.group(3)}-{m.group(1)}-{m.group(2)}") if m else pd.NaT
    out["sheet_date"] = out["sheet_date"].astype("datetime64[ns]")
    return _finish(out, "ice_current", path)


def load_ice_agreements(path: str | Path) -> pd.DataFrame:
    """Read Appelson's scrape history ``agreements.csv`` (agreement x scrape date).

    Returns
    -------
    pandas.DataFrame
        ``scrape_date`` (datetime64), ``scrape_time`` (``"am"``/``"pm"``),
        ``state``, ``county_name``, ``agency``, ``ori`` (CSLLEA 2018 join by
        the author; may be missing), ``model`` (normalised from ``type``),
        ``agency_type``, ``population_policed`` (Int64), ``n_copies`` (how many identical
        copies of the record the file holds; exact repeats are kept once and
        counted in ``attrs["exact_duplicates_dropped"]``), ``source``
        (``"ice_agreements"``), ``file``, ``line``.
    """
    path = Path(path)
    raw = read_csv_lines(path)
    require_columns(raw, _AGREEMENTS, path, "ICE 287(g) scrape history")
    raw = raw.replace({"NA": pd.NA})  # R's write.csv marks missing values "NA"
    # Documented rule: byte-identical repeated records (the scrape joined some
    # agencies twice, e.g. 'st cloud police') are kept once; their number is in
    # attrs["exact_duplicates_dropped"] and each kept row has n_copies. Rows
    # that share the key but differ elsewhere are an error.
    copies = raw.groupby(list(raw.columns), dropna=False, sort=False)[raw.columns[0]].transform(
        "size"
    )
    exact = raw.duplicated(keep="first")
    n_exact = int(exact.sum())
    raw = raw.loc[~exact.to_numpy()]
    check_unique(raw, ["date", "state", "agency", "type"], path)
    d = raw["date"].astype("string").str.strip().str.extract(r"^(\d{4}-\d{2}-\d{2})\s*(am|pm)?$")
    out = pd.DataFrame(index=raw.index)
    out["scrape_date"] = _dates(d[0].where(d[0].notna(), raw["date"]), path, "date")
    out["scrape_time"] = d[1].astype("string")
    out["state"] = raw["state"].astype("string").str.strip().str.upper()
    out["county_name"] = raw["county"].astype("string").str.strip()
    out["agency"] = raw["agency"].astype("string").str.strip()
    out["ori"] = raw["ori"].astype("string").str.strip()
    out["model"] = _model(raw["type"], path, "type")
    out["agency_type"] = raw["agency_type"].astype("string")
    if "population_policed" in raw.columns:
        out["population_policed"] = to_int(
            raw["population_policed"], path, "population_policed", allow_na=True
        )
    out["n_copies"] = copies.loc[out.index].astype("int64")
    out = _finish(out, "ice_agreements", path)
    out.attrs["exact_duplicates_dropped"] = n_exact
    return out


def load(path: str | Path) -> pd.DataFrame:
    """Read any of the 287(g) layouts, detected from the columns (see the module notes)."""
    path = Path(path)
    if path.suffix.lower() in (".xlsx", ".xls"):
        cols = set(_read_xlsx(path).columns)
        if "SUPPORT TYPE" in cols:
            return load_ice_current(path)
        if "State" in cols and "County" in cols:
            return load_wapo(path)
    else:
        cols = set(read_csv_lines(path, nrows=1).columns)
        if "first_signed_best" in cols:
            return load_roster(path)
        if "date_signed_original" in cols:
            return load_oig_2009(path)
        if "population_policed" in cols or ("type" in cols and "agency_type" in cols):
            return load_ice_agreements(path)
        if "agency_type_name" in cols:
            return load_ucr_agencies(path)
    raise SourceError(path, f"unknown 287(g) layout; columns found: {sorted(cols)[:20]}")


def fetch(dest: str | Path | None = None, *, progress: bool = True) -> list[Path]:
    """Download the compiled roster, the OIG list and the WaPo files into ``dest``.

    Default ``dest`` is ``data/raw/g287``. ICE's current sheets change daily
    and are linked from :data:`URL`; download them by hand (they carry the
    date in their file names).
    """
    dest = Path(dest) if dest is not None else config.raw_dir("g287")
    return fetch_all(
        {name: (url, SHA256[name]) for name, url in URLS.items()}, dest, progress=progress
    )


#: data rows of the two files pinned in :data:`URLS` (the Deportation Data Project's roster
#: at its pinned commit; the transcription of DHS OIG-10-63 App. E Table 3, agreements as of
#: 28 Oct 2009); a file whose sha256 does not match :data:`SHA256` (a re-issued or
#: edited copy accepted with ``--accept-changed-raw``) is still checked by its row
#: count, so a file cut at a line end is named as incomplete
EXPECTED_ROWS: dict[str, int] = {
    "pre2018-agreements-best-guess.csv": 229,
    "historical-oig-2009.csv": 67,
}


def completeness(path: str | Path) -> str | None:
    """Why a roster file of :data:`EXPECTED_ROWS` looks incomplete, or None.

    Other files, and files the loader refuses anyway, give None (the loader's
    own error names the problem).
    """
    path = Path(path)
    want = EXPECTED_ROWS.get(path.name)
    if want is None:
        return None
    try:
        n = len(read_csv_lines(path))
    except (SourceError, ValueError, OSError):
        return None
    if n == want:
        return None
    return f"{n} data rows where the file pinned in g287.URLS has {want} (cut short or edited?)"
