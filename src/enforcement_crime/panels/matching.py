"""Agency-name matching: CIUS agency rows -> county FIPS through LEAIC names (within a state).

:func:`match_cius_agencies` runs three named steps, one per CIUS table:
:func:`match_cities` (Table 8), :func:`match_county_agencies` (Table 10) and
:func:`match_other_agencies` (Table 11). Names are compared after
:func:`normalise_name`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from enforcement_crime.panels.build_steps import modal
from enforcement_crime.panels.states import STATE_NAMES

__all__ = [
    "COUNTY_ALIASES",
    "normalise_name",
    "map_unique",
    "match_cius_agencies",
    "match_cities",
    "match_county_agencies",
    "match_other_agencies",
]

_POLICE = re.compile(
    r"\s+(POLICE|PD|DEPARTMENT OF PUBLIC SAFETY|DEPT OF PUBLIC SAFETY|DEPT PUBLIC SAFETY|PUBLIC SAFETY|DPS|"
    r"TOWN MARSHAL|CITY MARSHAL|MARSHALS?'? OFFICE|SHERIFF'?S? OFFICE|SHERIFF'?S? DEPARTMENT|SHERIFF)\b.*$"
)
_MUNI = re.compile(r"\s+(CITY|TOWN|VILLAGE|BOROUGH|TOWNSHIP|CHARTER TOWNSHIP|CITY AND BOROUGH)$")
_COUNTY_SUFFIX = re.compile(
    r"\s+(COUNTY POLICE DEPARTMENT|COUNTY POLICE|POLICE DEPARTMENT|COUNTY|PARISH|BOROUGH|"
    r"CENSUS AREA|MUNICIPALITY|CITY AND BOROUGH)$"
)


def normalise_name(name: str | None) -> str:
    """Upper case, ``&`` -> AND, ``SAINT`` -> ST, ``MOUNT`` -> MT, ``FORT`` -> FT, punctuation and hyphens to spaces."""
    if name is None or (isinstance(name, float) and np.isnan(name)) or name is pd.NA:
        return ""
    return _normalise(str(name))


def map_unique(values: pd.Series, func: Callable[[Any], Any]) -> pd.Series:
    """``values.map(func)``, with ``func`` called once per distinct string (NA cells one by one).

    Names repeat across years and tables: each distinct value is mapped once and
    the results are broadcast back, with the dtype ``values.map(func)`` gives.
    A column holding anything but strings and NA is mapped cell by cell.
    """
    if pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):
        return values.map(func)
    codes, uniques = pd.factorize(values)
    codes = codes.copy()
    na = np.flatnonzero(codes < 0)
    codes[na] = len(uniques) + np.arange(len(na))
    _, first = np.unique(codes, return_index=True)
    mapped = values.iloc[first].map(func)
    out = mapped.iloc[codes]
    out.index = values.index
    return out


@lru_cache(maxsize=200_000)
def _normalise(name: str) -> str:
    s = name.upper().replace("&", " AND ")
    s = re.sub(r"[.,'’`:;()\"/-]", " ", s)
    s = re.sub(r"\bSAINT\b", "ST", s)
    s = re.sub(r"\bSTE\b", "ST", s)
    s = re.sub(r"\bMOUNT\b", "MT", s)
    s = re.sub(r"\bFORT\b", "FT", s)
    s = re.sub(r"\s+", " ", s).strip()
    return s


@lru_cache(maxsize=200_000)
def _agency_key(name: str) -> str:
    s = normalise_name(name)
    s = re.sub(r"^(CITY|TOWN|VILLAGE|BOROUGH|TOWNSHIP) OF ", "", s)
    return _POLICE.sub("", s).strip()


@lru_cache(maxsize=200_000)
def _muni_key(s: str) -> str:
    return _MUNI.sub("", s).strip()


@lru_cache(maxsize=200_000)
def _county_key(name: str) -> str:
    s = normalise_name(name)
    prev = None
    while prev != s:
        prev = s
        s = _COUNTY_SUFFIX.sub("", s).strip()
    return s


def _leaic_city_keys(crosswalk: pd.DataFrame) -> pd.DataFrame:
    cw = crosswalk[
        crosswalk["agency_type"].isin(["local police", "county police"]) & crosswalk["fips"].notna()
    ].copy()
    keys = []
    for col in ("agency_name", "local_government"):
        if col not in cw:
            continue
        k = (
            cw[[col, "state_fips", "fips", "ori7", "population"]]
            .rename(columns={col: "name"})
            .dropna(subset=["name"])
        )
        k["key"] = map_unique(k["name"], _agency_key if col == "agency_name" else normalise_name)
        keys.append(k)
    k = pd.concat(keys, ignore_index=True)
    k = k[k["key"] != ""]
    k["key2"] = map_unique(k["key"], _muni_key)
    return k


def match_cius_agencies(cius: pd.DataFrame, crosswalk: pd.DataFrame) -> pd.DataFrame:
    """Assign each CIUS agency row a county FIPS through LEAIC names (within state).

    Parameters
    ----------
    cius : pandas.DataFrame
        Rows of :func:`enforcement_crime.sources.fbi_cius.load` (any tables).
    crosswalk : pandas.DataFrame
        :func:`enforcement_crime.sources.leaic.load` output.

    Returns
    -------
    pandas.DataFrame
        ``cius`` plus ``state_fips``, ``fips`` (missing when unmatched),
        ``ori`` (LEAIC ORI7 of the matched agency, cities and Table 11 only),
        ``match`` (how: ``"city name"``, ``"city name without town/village"``,
        ``"county name"``, ``"county name without spaces"``, ``"agency name"``, ``"unmatched"``,
        ``"state agency (not allocated)"``) and ``match_detail``.

    Notes
    -----
    Names are compared after :func:`normalise_name`. Cities (Table 8) are
    matched to LEAIC local police departments by their name without "POLICE
    DEPARTMENT" and similar suffixes, or by the local government name; a
    second pass drops a trailing CITY/TOWN/VILLAGE/BOROUGH/TOWNSHIP on both
    sides. When one name points to several counties, the LEAIC agency whose
    UCR population is closest to the CIUS population wins (recorded in
    ``match_detail``). Table 10 rows match LEAIC county names within the state
    (after removing "County Police Department", "County", "Parish"...; then,
    for the rest, with spaces ignored when that points to one county:
    "DeKalb" = "DE KALB"). Table
    11 rows in "State Agencies" groups serve the whole state and are not
    allocated to a county; other Table 11 rows match LEAIC agency names
    (agency + unit, then agency alone; LEAIC names are cut at 50 characters,
    so a cut LEAIC name matches when one name is a prefix of the other, both
    longer than 20 characters, and they point to one county; the agency name
    alone, tried when agency + unit fails, must match exactly).
    """
    out = cius.reset_index(drop=True).copy()
    out["state_fips"] = out["state"].map(STATE_NAMES).astype("string")
    out["fips"] = pd.Series(pd.NA, index=out.index, dtype="string")
    out["ori"] = pd.Series(pd.NA, index=out.index, dtype="string")
    out["match"] = "unmatched"
    out["match_detail"] = ""

    out = match_cities(out, crosswalk)
    out = match_county_agencies(out, crosswalk)
    return match_other_agencies(out, crosswalk)


def match_cities(out: pd.DataFrame, crosswalk: pd.DataFrame) -> pd.DataFrame:
    """Step 1 of :func:`match_cius_agencies`: Table 8 cities -> LEAIC local police (in place on ``out``).

    A vectorised candidate merge, first on the full name key, then without a
    trailing CITY/TOWN/VILLAGE/BOROUGH/TOWNSHIP; a "City, X County" name must
    match county X; ties between counties go to the closest UCR population.
    """
    keys = _leaic_city_keys(crosswalk)
    cn = (
        crosswalk.dropna(subset=["fips", "county_name"])[["fips", "county_name"]]
        .drop_duplicates("fips")
        .copy()
    )
    keys = keys.merge(
        cn.assign(county_key=map_unique(cn["county_name"], _county_key))[["fips", "county_key"]],
        on="fips",
        how="left",
    )
    city = out.loc[out["table"] == "city", ["state_fips", "agency", "population"]].copy()
    split = (
        city["agency"]
        .astype("string")
        .str.extract(r"^(?P<name>.*?),\s*(?P<county>[^,]+?)\s+(?:County|Parish)$")
    )
    base = split["name"].fillna(city["agency"].astype("string"))
    city["key"] = map_unique(base, normalise_name)
    city["key2"] = map_unique(city["key"], _muni_key)
    city["county_hint"] = map_unique(
        split["county"], lambda v: _county_key(v) if isinstance(v, str) else ""
    )
    city["row"] = city.index
    bad_state = city["state_fips"].isna()
    out.loc[city.index[bad_state], "match_detail"] = "state not a US state"
    city = city[~bad_state]
    done: set = set()
    for how, left, right in (
        ("city name", "key", "key"),
        ("city name without town/village", "key2", "key2"),
    ):
        todo = city[~city["row"].isin(done)]
        if todo.empty:
            break
        cand = todo[["row", "state_fips", left, "population", "county_hint"]].merge(
            keys[["state_fips", right, "fips", "ori7", "population", "county_key"]].rename(
                columns={"population": "ucr_pop"}
            ),
            left_on=["state_fips", left],
            right_on=["state_fips", right],
            how="inner",
        )
        cand = cand[(cand["county_hint"] == "") | (cand["county_hint"] == cand["county_key"])]
        if cand.empty:
            continue
        nf = cand.groupby("row")["fips"].transform("nunique")
        ratio = np.log(
            cand["ucr_pop"].astype("float64").where(cand["ucr_pop"] > 0)
            / cand["population"].astype("float64")
        )
        cand["score"] = ratio.abs().fillna(np.inf)
        cand["neg_pop"] = -cand["ucr_pop"].astype("float64").fillna(-1)
        cand["has_ori"] = cand["ori7"].isna()
        best = (
            cand.assign(nf=nf)
            .sort_values(["row", "score", "has_ori", "neg_pop"])
            .drop_duplicates("row")
        )
        idx = best["row"].to_numpy()
        out.loc[idx, "fips"] = best["fips"].to_numpy()
        out.loc[idx, "ori"] = best["ori7"].to_numpy()
        out.loc[idx, "match"] = how
        out.loc[idx, "match_detail"] = np.where(
            best["nf"].to_numpy() > 1, "ambiguous: closest UCR population", "unique county"
        )
        done |= set(idx.tolist())

    return out


#: Table 10 names that are no LEAIC county name: (state FIPS, CIUS name key) -> LEAIC county key.
#: FBI misspellings and consolidated governments seen in the 2004-2016 copies.
COUNTY_ALIASES: dict[tuple[str, str], str] = {
    ("13", "AUGUSTA RICHMOND"): "RICHMOND",  # Augusta-Richmond County consolidated government
    ("18", "BARTHOLEMEW"): "BARTHOLOMEW",  # 2016 misspelling
    ("20", "POTTAWATTAMIE"): "POTTAWATOMIE",  # 2008: Kansas's county (Pottawattamie is Iowa's)
    ("24", "ALLEGHENY COUNTY BUREAU OF POLICE"): "ALLEGANY",  # Maryland, 2009 misspelling
    ("24", "ALLEGANY COUNTY BUREAU OF POLICE"): "ALLEGANY",
    ("26", "ALLEGANY"): "ALLEGAN",  # Michigan, 2011 misspelling
    ("32", "CARSON CITY"): "CARSON CITY CITY",  # LEAIC: "CARSON CITY (CITY)", consolidated
    ("46", "OGLALA LAKOTA"): "SHANNON",  # renamed in 2015 (FIPS 46113 -> 46102, panels.fips)
    ("32", "STORY"): "STOREY",  # 2015 misspelling
    ("36", "DUCHESS"): "DUTCHESS",  # 2015 misspelling
    ("36", "PUTMAN"): "PUTNAM",  # 2005 misspelling
    ("36", "WESTCHESTER PUBLIC SAFETY"): "WESTCHESTER",  # Westchester County Dept of Public Safety
    ("47", "HARTSVILLE TROUSDALE"): "TROUSDALE",  # Hartsville/Trousdale metropolitan government
    # the Unified Police Department of Greater Salt Lake took over the sheriff's patrol (2011-)
    ("49", "SALT LAKE COUNTY UNIFIED"): "SALT LAKE",
}


def match_county_agencies(out: pd.DataFrame, crosswalk: pd.DataFrame) -> pd.DataFrame:
    """Step 2 of :func:`match_cius_agencies`: Table 10 sheriffs and county police -> county by name.

    The name key (:func:`_county_key`) is looked up among LEAIC's county names in the state,
    through :data:`COUNTY_ALIASES` for known FBI misspellings, then with spaces ignored.
    """
    cn = crosswalk.dropna(subset=["fips", "county_name"]).copy()
    cn["key"] = map_unique(cn["county_name"], _county_key)
    cmap = modal(cn, ["state_fips", "key"], "fips").to_dict()
    counties = out["table"] == "county"
    ck = [
        (s, COUNTY_ALIASES.get((s, k), k))
        for s, k in (
            (s, _county_key(a))
            for s, a in zip(
                out.loc[counties, "state_fips"].tolist(),
                out.loc[counties, "agency"].tolist(),
                strict=True,
            )
        )
    ]
    hit = pd.Series([cmap.get(k, pd.NA) for k in ck], index=out.index[counties], dtype="string")
    out.loc[counties, "fips"] = hit
    out.loc[counties & out["fips"].notna(), "match"] = "county name"
    # second pass, spaces ignored: "DeKalb" / "DE KALB", "Desoto" / "DE SOTO", "Lagrange" / "LA GRANGE"
    squeezed: dict[tuple[str, str], set] = {}
    for (st, k), f in cmap.items():
        squeezed.setdefault((st, k.replace(" ", "")), set()).add(f)
    todo = counties & out["fips"].isna()
    for i in out.index[todo]:
        key = (out.at[i, "state_fips"], _county_key(out.at[i, "agency"]).replace(" ", ""))
        found = squeezed.get(key, set())
        if len(found) == 1:
            out.at[i, "fips"] = next(iter(found))
            out.at[i, "match"] = "county name without spaces"

    return out


def match_other_agencies(out: pd.DataFrame, crosswalk: pd.DataFrame) -> pd.DataFrame:
    """Step 3 of :func:`match_cius_agencies`: Table 11 tribal and other agencies -> county by agency name.

    "State Agencies" groups are statewide and not allocated; other rows match
    LEAIC agency names exactly (agency + unit, then agency alone) or, for the
    full name only, by prefix against LEAIC names cut at 50 characters.
    """
    names = crosswalk.dropna(subset=["fips", "agency_name"])[
        ["state_fips", "agency_name", "fips", "ori7"]
    ].copy()
    names["key"] = map_unique(names["agency_name"], normalise_name)
    names["key_short"] = map_unique(names["agency_name"], _agency_key)
    exact: dict[tuple[str, str], set] = {}
    ori_of: dict[tuple[str, str], str] = {}
    for col in ("key", "key_short"):
        for st, k, f, o in zip(
            names["state_fips"].tolist(),
            names[col].tolist(),
            names["fips"].tolist(),
            names["ori7"].tolist(),
            strict=True,
        ):
            exact.setdefault((st, k), set()).add(f)
            if isinstance(o, str):
                ori_of.setdefault((st, k), o)
    cut = names[
        names["agency_name"].str.len() >= 49
    ]  # NAME is padded to 50: a cut name has 49-50 characters left
    cut_by_state = {
        st: list(zip(g["key"], g["fips"], g["ori7"], strict=True))
        for st, g in cut.groupby("state_fips")
    }
    other = out.loc[out["table"] == "state_other", ["agency_group", "state_fips", "agency", "unit"]]
    res_fips, res_ori, res_match = {}, {}, {}
    for i, group, st, agency_raw, unit_raw in other.itertuples():
        if not pd.isna(group) and str(group).lower().startswith("state agenc"):
            res_match[i] = "state agency (not allocated)"
            continue
        if pd.isna(st):
            continue
        agency = normalise_name(agency_raw)
        unit = normalise_name(unit_raw) if pd.notna(unit_raw) else ""
        for n, key in enumerate([f"{agency} {unit}", agency] if unit else [agency]):
            fips = exact.get((st, key)) or exact.get((st, _agency_key(key)))
            ori = ori_of.get((st, key)) or ori_of.get((st, _agency_key(key)))
            if (
                not fips and n == 0
            ):  # prefix matches for the full name only (an agency alone is too vague)
                pre = [
                    (f, o)
                    for k, f, o in cut_by_state.get(st, [])
                    if min(len(k), len(key)) > 20 and (key.startswith(k) or k.startswith(key))
                ]
                fips = {f for f, _ in pre}
                ori = next((o for _, o in pre if isinstance(o, str)), None)
            if fips and len(fips) == 1:
                res_fips[i], res_ori[i], res_match[i] = next(iter(fips)), ori, "agency name"
                break
    if res_match:
        out.loc[list(res_match), "match"] = pd.Series(res_match)
    if res_fips:
        out.loc[list(res_fips), "fips"] = pd.Series(res_fips, dtype="string")
        out.loc[list(res_ori), "ori"] = pd.Series(res_ori, dtype="object").astype("string")
    return out
