"""Study panels built from loaded sources (DataFrames in, panel + manifest out).

Every builder takes loaded frames (the outputs of :mod:`enforcement_crime.sources`
loaders), never paths, and returns ``(panel, manifest)`` (the CIUS builder also
a match report). County-year panels pass
:func:`enforcement_crime.schema.validate_panel`; the city-year panel passes
:func:`validate_city_panel`. Write them with
:func:`enforcement_crime.panels.manifest.write_panel`.

Builders
--------
:func:`kaplan_county_panel`
    county-year from Kaplan's agency-year Return A files through the LEAIC
    crosswalk, agencies serving several counties split by population share,
    a selectable coverage rule (``"full12"``, ``"scale"``, ``"icpsr"``) and
    ICPSR's coverage indicator.
:func:`icpsr_county_panel`
    county-year from ICPSR's county-level files.
:func:`cius_county_panel`
    a no-login APPROXIMATION of county totals from CIUS Tables 8 + 10 (+ 11),
    agencies matched to counties by normalised names through LEAIC, with a
    match report.
:func:`city_panel`, :func:`city_panel_from_agencies`
    city-year for municipal police agencies above a population threshold with
    the Secure Communities date of their county (Treyger, Chalfin & Loeffler
    2014 design), from CIUS Table 8 (no login) or Kaplan's agency data.
:func:`nc_county_panel`
    North Carolina counties 2003-2013 with the 287(g) timing of Forrester &
    Nowrasteh (2018), Table A1 (the Cato design).

Treatment timing comes in as a frame (``fips, sc_activation_date, g287_start,
g287_end, g287_model``; see :func:`enforcement_crime.panels.timing.county_timing`)
or ``None``, in which case every date is NaT and the manifest says so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache

import numpy as np
import pandas as pd

from enforcement_crime.panels.manifest import Manifest
from enforcement_crime.schema import (
    DATE_COLUMNS,
    OFFENSES,
    REQUIRED_COLUMNS,
    add_totals_and_rates,
    validate_panel,
)

__all__ = [
    "COVERAGE_RULES",
    "STATE_POSTAL",
    "STATE_NAMES",
    "CITY_REQUIRED_COLUMNS",
    "attach_timing",
    "normalise_name",
    "match_cius_agencies",
    "cius_county_panel",
    "kaplan_county_panel",
    "icpsr_county_panel",
    "city_panel",
    "city_panel_from_agencies",
    "validate_city_panel",
    "nc_county_panel",
    "pop_group_of",
]

COVERAGE_RULES: tuple[str, ...] = ("full12", "scale", "icpsr")

# state FIPS -> (postal, name); the 50 states, DC and Puerto Rico
_STATES = {
    "01": ("AL", "ALABAMA"),
    "02": ("AK", "ALASKA"),
    "04": ("AZ", "ARIZONA"),
    "05": ("AR", "ARKANSAS"),
    "06": ("CA", "CALIFORNIA"),
    "08": ("CO", "COLORADO"),
    "09": ("CT", "CONNECTICUT"),
    "10": ("DE", "DELAWARE"),
    "11": ("DC", "DISTRICT OF COLUMBIA"),
    "12": ("FL", "FLORIDA"),
    "13": ("GA", "GEORGIA"),
    "15": ("HI", "HAWAII"),
    "16": ("ID", "IDAHO"),
    "17": ("IL", "ILLINOIS"),
    "18": ("IN", "INDIANA"),
    "19": ("IA", "IOWA"),
    "20": ("KS", "KANSAS"),
    "21": ("KY", "KENTUCKY"),
    "22": ("LA", "LOUISIANA"),
    "23": ("ME", "MAINE"),
    "24": ("MD", "MARYLAND"),
    "25": ("MA", "MASSACHUSETTS"),
    "26": ("MI", "MICHIGAN"),
    "27": ("MN", "MINNESOTA"),
    "28": ("MS", "MISSISSIPPI"),
    "29": ("MO", "MISSOURI"),
    "30": ("MT", "MONTANA"),
    "31": ("NE", "NEBRASKA"),
    "32": ("NV", "NEVADA"),
    "33": ("NH", "NEW HAMPSHIRE"),
    "34": ("NJ", "NEW JERSEY"),
    "35": ("NM", "NEW MEXICO"),
    "36": ("NY", "NEW YORK"),
    "37": ("NC", "NORTH CAROLINA"),
    "38": ("ND", "NORTH DAKOTA"),
    "39": ("OH", "OHIO"),
    "40": ("OK", "OKLAHOMA"),
    "41": ("OR", "OREGON"),
    "42": ("PA", "PENNSYLVANIA"),
    "44": ("RI", "RHODE ISLAND"),
    "45": ("SC", "SOUTH CAROLINA"),
    "46": ("SD", "SOUTH DAKOTA"),
    "47": ("TN", "TENNESSEE"),
    "48": ("TX", "TEXAS"),
    "49": ("UT", "UTAH"),
    "50": ("VT", "VERMONT"),
    "51": ("VA", "VIRGINIA"),
    "53": ("WA", "WASHINGTON"),
    "54": ("WV", "WEST VIRGINIA"),
    "55": ("WI", "WISCONSIN"),
    "56": ("WY", "WYOMING"),
    "72": ("PR", "PUERTO RICO"),
}
STATE_POSTAL: dict[str, str] = {k: v[0] for k, v in _STATES.items()}
STATE_NAMES: dict[str, str] = {v[1]: k for k, v in _STATES.items()}

CITY_REQUIRED_COLUMNS: tuple[str, ...] = (
    "city_id",
    "city",
    "ori",
    "fips",
    "year",
    "state_fips",
    "state",
    "county_name",
    "population",
) + tuple(
    c
    for c in REQUIRED_COLUMNS
    if c not in ("fips", "year", "state_fips", "state", "county_name", "population")
)


# ---------------------------------------------------------------------------
# shared helpers
# ---------------------------------------------------------------------------


def _empty_timing() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "fips": pd.Series([], dtype="string"),
            **{c: pd.Series([], dtype="datetime64[ns]") for c in DATE_COLUMNS},
            "g287_model": pd.Series([], dtype="string"),
        }
    )


def attach_timing(
    df: pd.DataFrame, timing: pd.DataFrame | None, manifest: Manifest
) -> pd.DataFrame:
    """Merge county treatment timing onto ``df`` by ``fips`` (NaT when absent) and record it.

    Parameters
    ----------
    df : pandas.DataFrame
        A frame with a ``fips`` column (county or city rows).
    timing : pandas.DataFrame or None
        One row per county: ``fips, sc_activation_date, g287_start, g287_end,
        g287_model``. ``None`` gives NaT everywhere.
    manifest : Manifest
        ``rules["timing"]`` records which.

    Raises
    ------
    ValueError
        ``timing`` lacks a column or has two rows for one county.
    """
    out = df.drop(columns=[c for c in (*DATE_COLUMNS, "g287_model") if c in df.columns])
    if timing is None:
        manifest.rules["timing"] = (
            "not available (treatment timing inputs absent): every date is NaT"
        )
        manifest.notes.append(
            "Treatment timing columns are NaT: build.timing inputs were not available."
        )
        timing = _empty_timing()
    else:
        need = ["fips", *DATE_COLUMNS, "g287_model"]
        missing = [c for c in need if c not in timing.columns]
        if missing:
            raise ValueError(f"timing frame: missing column(s) {missing}; expected {need}")
        dup = timing["fips"].duplicated(keep=False)
        if dup.any():
            raise ValueError(
                f"timing frame: {int(dup.sum())} rows share a county, e.g. fips {timing.loc[dup, 'fips'].iloc[0]!r}"
            )
        manifest.rules.setdefault(
            "timing", timing.attrs.get("rule", "county timing frame passed in (build.timing)")
        )
        timing = timing[need].copy()
    timing["fips"] = timing["fips"].astype("string")
    out = out.merge(timing, on="fips", how="left", validate="many_to_one")
    for c in DATE_COLUMNS:
        out[c] = pd.to_datetime(out[c]).astype("datetime64[ns]")
    out["g287_model"] = out["g287_model"].astype("string")
    return out


def _county_names(crosswalk: pd.DataFrame | None, population: pd.DataFrame | None) -> pd.Series:
    names = pd.Series(dtype="string")
    if population is not None and "county_name" in population:
        names = (
            population.dropna(subset=["county_name"])
            .drop_duplicates("fips", keep="last")
            .set_index("fips")["county_name"]
        )
    if crosswalk is not None and "county_name" in crosswalk:
        cw = _modal(crosswalk.dropna(subset=["fips", "county_name"]), ["fips"], "county_name")
        cw = cw.str.title()
        names = names.combine_first(cw) if len(names) else cw
    return names.astype("string")


def _finish(df: pd.DataFrame, source: str, names: pd.Series) -> pd.DataFrame:
    """Add identifiers, totals, rates and provenance; order the columns."""
    out = df.copy()
    out["fips"] = out["fips"].astype("string")
    out["year"] = out["year"].astype("int64")
    out["state_fips"] = out["fips"].str[:2]
    out["state"] = out["state_fips"].map(STATE_POSTAL).astype("string")
    if "county_name" not in out:
        out["county_name"] = out["fips"].map(names).astype("string")
    for c in OFFENSES:
        out[c] = out[c].astype("Int64")
    out["population"] = out["population"].astype("int64")
    out = add_totals_and_rates(out)
    if "coverage" not in out:
        out["coverage"] = np.nan
    out["coverage"] = out["coverage"].astype("float64")
    if "months_reported" not in out:
        out["months_reported"] = pd.NA
    out["months_reported"] = out["months_reported"].astype("Int64")
    out["source"] = source
    out["is_synthetic"] = False
    lead = [c for c in REQUIRED_COLUMNS if c in out.columns]
    rest = [c for c in out.columns if c not in lead]
    return out[lead + rest].sort_values(["fips", "year"]).reset_index(drop=True)


def _county_population(population: pd.DataFrame) -> pd.DataFrame:
    need = {"fips", "year", "population"}
    if not need <= set(population.columns):
        raise ValueError(
            f"population frame: expected columns {sorted(need)}, got {list(population.columns)}"
        )
    pop = population[["fips", "year", "population"]].copy()
    pop["fips"] = pop["fips"].astype("string")
    pop["year"] = pop["year"].astype("int64")
    dup = pop.duplicated(["fips", "year"], keep=False)
    if dup.any():
        raise ValueError(
            f"population frame: duplicate (fips, year), e.g. {pop.loc[dup, ['fips', 'year']].iloc[0].to_dict()}"
        )
    return _repair_population(pop.rename(columns={"population": "county_population"}))


def _repair_codes(df: pd.DataFrame, manifest: Manifest, col: str = "fips") -> pd.DataFrame:
    """Recode agency-level county codes with :func:`enforcement_crime.panels.fips.repair_fips`'s rules.

    Agency rows share counties, so the rules are applied to the distinct codes
    and mapped back. Rows whose code is no Census county (2000-2020) and no
    rule's are dropped and counted in the manifest. The number of rows
    recoded per rule goes to ``manifest.reports["fips_repairs"]``.
    """
    from enforcement_crime.panels.fips import known_county_fips, repair_fips

    codes = df[col].astype("string")
    known = codes.isin(known_county_fips()).fillna(False).to_numpy()
    manifest.drop(
        "county FIPS code is no Census county (2000-2020) and no repair rule's", int((~known).sum())
    )
    out = df[known].copy()
    codes = sorted(set(out[col].astype(str)))
    # one row per distinct code, each with its own dummy year (after 2002, so no Broomfield flag): merges
    # (e.g. 51515 -> 51019) then never collide and every code keeps its own mapping
    uniq = pd.DataFrame(
        {"fips": pd.array(codes, dtype="string"), "year": range(3000, 3000 + len(codes))}
    )
    if len(uniq):
        rep, _ = repair_fips(uniq, year_col="year")
        mapping = dict(zip(rep["fips_original"], rep["fips"], strict=True))
        rule = dict(zip(rep["fips_original"], rep["fips_repair"], strict=True))
        before = out[col].astype("string")
        out[col] = before.map(mapping).astype("string")
        changed = before != out[col]
        if changed.any():
            counts = before[changed].map(rule).value_counts()
            rep_counts = manifest.reports.setdefault("fips_repairs", {})
            for k, v in counts.items():
                rep_counts[str(k)] = rep_counts.get(str(k), 0) + int(v)
    manifest.rules.setdefault(
        "fips_repair",
        "enforcement_crime.panels.fips rules (renames and merges) applied to county codes",
    )
    return out


def _repair_population(pop: pd.DataFrame) -> pd.DataFrame:
    """Census population on repaired codes (merged codes summed, e.g. Bedford city into Bedford County)."""
    from enforcement_crime.panels.fips import known_county_fips, repair_fips

    p = pop[pop["fips"].isin(known_county_fips())]
    rep, _ = repair_fips(p[["fips", "year", "county_population"]], agg={"county_population": "sum"})
    return rep[["fips", "year", "county_population"]].astype({"fips": "string", "year": "int64"})


def _strict_sum(df: pd.DataFrame, by: list[str], cols: Iterable[str]) -> pd.DataFrame:
    """Group sums that are missing when any part is missing (an unreported offense never counts as zero)."""
    cols = list(cols)
    g = df.groupby(by, sort=True, dropna=False)
    sums = g[cols].sum(min_count=1)
    anyna = df[cols].isna().groupby([df[b] for b in by], sort=True, dropna=False).any()
    for c in cols:
        sums[c] = sums[c].astype("Float64").mask(anyna[c].to_numpy())
    return sums.reset_index()


def _round_counts(df: pd.DataFrame, cols: Iterable[str]) -> pd.DataFrame:
    for c in cols:
        df[c] = df[c].astype("Float64").round().astype("Int64")
    return df


# ---------------------------------------------------------------------------
# name matching (CIUS -> LEAIC)
# ---------------------------------------------------------------------------

_POLICE = re.compile(
    r"\s+(POLICE|PD|DEPARTMENT OF PUBLIC SAFETY|DEPT OF PUBLIC SAFETY|DEPT PUBLIC SAFETY|PUBLIC SAFETY|DPS|"
    r"TOWN MARSHAL|CITY MARSHAL|MARSHALS?'? OFFICE|SHERIFF'?S? OFFICE|SHERIFF'?S? DEPARTMENT|SHERIFF)\b.*$"
)
_MUNI = re.compile(r"\s+(CITY|TOWN|VILLAGE|BOROUGH|TOWNSHIP|CHARTER TOWNSHIP|CITY AND BOROUGH)$")
_COUNTY_SUFFIX = re.compile(
    r"\s+(COUNTY POLICE DEPARTMENT|COUNTY POLICE|POLICE DEPARTMENT|COUNTY|PARISH|BOROUGH|"
    r"CENSUS AREA|MUNICIPALITY|CITY AND BOROUGH)$"
)


def _modal(df: pd.DataFrame, keys: list[str], value: str) -> pd.Series:
    """The most frequent ``value`` per ``keys`` (ties: the smallest value), as a Series indexed by ``keys``."""
    n = df.groupby([*keys, value]).size().rename("_n").reset_index()
    n = n.sort_values([*keys, "_n", value], ascending=[True] * len(keys) + [False, True])
    return n.drop_duplicates(keys).set_index(keys)[value]


def normalise_name(name: str | None) -> str:
    """Upper case, ``&`` -> AND, ``SAINT`` -> ST, ``MOUNT`` -> MT, ``FORT`` -> FT, punctuation and hyphens to spaces."""
    if name is None or (isinstance(name, float) and np.isnan(name)) or name is pd.NA:
        return ""
    return _normalise(str(name))


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
        k["key"] = k["name"].map(_agency_key if col == "agency_name" else normalise_name)
        keys.append(k)
    k = pd.concat(keys, ignore_index=True)
    k = k[k["key"] != ""]
    k["key2"] = k["key"].map(_muni_key)
    return k


def _pick(cands: pd.DataFrame, population: float | None) -> tuple[pd.Series, str]:
    """One LEAIC candidate for a name: unique county, else the closest UCR population."""
    if cands["fips"].nunique() == 1:
        best = cands.sort_values("population", ascending=False, na_position="last").iloc[0]
        return best, "unique"
    with_pop = cands[cands["population"].fillna(0) > 0]
    if population is not None and population > 0 and len(with_pop):
        ratio = (np.log(with_pop["population"].astype("float64") / float(population))).abs()
        return with_pop.loc[ratio.idxmin()], "ambiguous: closest population"
    return cands.sort_values("population", ascending=False, na_position="last").iloc[
        0
    ], "ambiguous: largest population"


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
        ``"county name"``, ``"agency name"``, ``"unmatched"``,
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
    (after removing "County Police Department", "County", "Parish"...). Table
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

    # cities: vectorised candidate merge, first on the full key, then without town/village suffixes
    keys = _leaic_city_keys(crosswalk)
    cn = (
        crosswalk.dropna(subset=["fips", "county_name"])[["fips", "county_name"]]
        .drop_duplicates("fips")
        .copy()
    )
    keys = keys.merge(
        cn.assign(county_key=cn["county_name"].map(_county_key))[["fips", "county_key"]],
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
    city["key"] = base.map(normalise_name)
    city["key2"] = city["key"].map(_muni_key)
    city["county_hint"] = split["county"].map(
        lambda v: _county_key(v) if isinstance(v, str) else ""
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

    # counties (sheriffs, county police)
    cn = crosswalk.dropna(subset=["fips", "county_name"]).copy()
    cn["key"] = cn["county_name"].map(_county_key)
    cmap = _modal(cn, ["state_fips", "key"], "fips").to_dict()
    counties = out["table"] == "county"
    ck = [
        (s, _county_key(a))
        for s, a in zip(out.loc[counties, "state_fips"], out.loc[counties, "agency"], strict=True)
    ]
    hit = pd.Series([cmap.get(k, pd.NA) for k in ck], index=out.index[counties], dtype="string")
    out.loc[counties, "fips"] = hit
    out.loc[counties & out["fips"].notna(), "match"] = "county name"

    # state, tribal and other agencies
    names = crosswalk.dropna(subset=["fips", "agency_name"])[
        ["state_fips", "agency_name", "fips", "ori7"]
    ].copy()
    names["key"] = names["agency_name"].map(normalise_name)
    names["key_short"] = names["agency_name"].map(_agency_key)
    exact: dict[tuple[str, str], set] = {}
    ori_of: dict[tuple[str, str], str] = {}
    for col in ("key", "key_short"):
        for st, k, f, o in names[["state_fips", col, "fips", "ori7"]].itertuples(index=False):
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


def _rape(df: pd.DataFrame, year_revised: int = 2013) -> pd.Series:
    """Rape count: revised definition from 2013 where reported, else the legacy definition."""
    revised = df["rape_revised"].astype("Float64")
    legacy = df["rape_legacy"].astype("Float64")
    use_rev = (df["year"] >= year_revised) & revised.notna()
    return revised.where(use_rev, legacy)


def cius_county_panel(
    tables: Mapping[tuple[str, int], pd.DataFrame] | Iterable[pd.DataFrame],
    crosswalk: pd.DataFrame,
    population: pd.DataFrame,
    timing: pd.DataFrame | None = None,
    years: Iterable[int] | None = None,
    verbose: bool = False,
) -> tuple[pd.DataFrame, Manifest, dict[str, pd.DataFrame]]:
    """APPROXIMATE county-year crime totals from CIUS Tables 8 + 10 (+ 11).

    Parameters
    ----------
    tables : mapping or iterable of DataFrame
        Loaded CIUS tables (:func:`enforcement_crime.sources.fbi_cius.load`).
    crosswalk : pandas.DataFrame
        LEAIC (:func:`enforcement_crime.sources.leaic.load`).
    population : pandas.DataFrame
        Census county population: ``fips, year, population`` (``county_name``
        optional), e.g. :func:`enforcement_crime.sources.census_population.county_population_panel`.
    timing : pandas.DataFrame, optional
        County treatment timing; NaT when omitted.
    years : iterable of int, optional
        Years to build; default every year with both a city table and a
        county table.
    verbose : bool
        Print the match rate per year.

    Returns
    -------
    panel : pandas.DataFrame
        County-year panel (schema columns plus ``n_agencies``, ``n_cities``,
        ``has_county_agency``); ``source`` says APPROXIMATION.
    manifest : Manifest
        ``approximation=True``; row unit "agency-year".
    report : dict of DataFrame
        ``"match_rate"`` (year, table: agencies, matched, rate = matched /
        agencies, statewide_not_allocated (Table 11 state agencies), and for
        cities the population-weighted rate) and ``"unmatched"`` (the
        agencies whose name found no county, with state and name).

    Notes
    -----
    County total :math:`Y_{ct} = \\sum_{a \\in c} y_{at}` over the city police
    departments (Table 8), the sheriff's office or county police (Table 10)
    and, when the year has a Table 11, the tribal and other agencies matched
    to county :math:`c`. It is an approximation: agencies not listed by the
    FBI (non-reporters, agencies below publication thresholds), unmatched
    names and statewide agencies are missing, and a city spanning counties is
    assigned wholly to LEAIC's county. Counts are missing when any
    contributing agency's count is missing. Rape uses the revised definition
    from 2013 where reported, else the legacy one. Coverage is unknown (NaN).
    Counties with no matched agency have no row. Mecklenburg NC has no Table 10
    row: its total is Charlotte-Mecklenburg PD and the other city agencies.
    """
    frames = list(tables.values()) if isinstance(tables, Mapping) else list(tables)
    if not frames:
        raise ValueError("cius_county_panel: no CIUS tables given")
    cius = pd.concat(frames, ignore_index=True)
    dup = cius.duplicated(["table", "year", "state", "agency_group", "agency", "unit"], keep=False)
    if dup.any():
        first = cius.loc[dup, ["table", "year", "state", "agency"]].iloc[0].to_dict()
        raise ValueError(
            f"cius_county_panel: {int(dup.sum())} duplicated agency rows, e.g. {first} "
            "(the same table and year passed twice?)"
        )
    have = cius.groupby("table")["year"].unique().to_dict()
    city_years = set(map(int, have.get("city", [])))
    county_years = set(map(int, have.get("county", [])))
    build_years = (
        sorted(city_years & county_years) if years is None else sorted(int(y) for y in years)
    )
    m = Manifest(panel="cius_county", unit="agency-year", approximation=True)
    m.rows_in = len(cius)
    m.inputs = [
        {"name": f"CIUS {t} table {y}", "file": f.attrs.get("source_file"), "rows": len(f)}
        for f in frames
        for t, y in [(f["table"].iloc[0], int(f["year"].iloc[0]))]
    ]
    m.rules.update(
        approximation="county totals approximated by summing CIUS agency rows matched to counties",
        tables="Table 8 (cities) + Table 10 (sheriffs/county police) + Table 11 (tribal/other) when present",
        rape="revised definition from 2013 where reported, else legacy",
        missing="a county count is missing when any contributing agency's count is missing",
        population="Census county population (input frame)",
        years=build_years,
    )
    m.notes += [
        "APPROXIMATION: built from FBI CIUS agency tables, not county totals. Table 10 lists the sheriff's office "
        "or county police only; cities are matched to counties through LEAIC agency names.",
        "Mecklenburg NC has no Table 10 row (Charlotte-Mecklenburg police is a city agency).",
    ]
    missing_years = [y for y in build_years if y not in city_years or y not in county_years]
    if missing_years:
        raise ValueError(
            f"cius_county_panel: years {missing_years} lack a city table (8) or a county table (10)"
        )
    out_of_years = ~cius["year"].isin(build_years)
    m.drop("year without both a city table and a county table (not built)", int(out_of_years.sum()))
    skipped = sorted(set(cius.loc[out_of_years, "year"].astype(int)))
    if skipped:
        m.notes.append(f"Years with a county table but no city table are not built: {skipped}.")
    work = match_cius_agencies(cius[~out_of_years], crosswalk)

    # match report
    rate = (
        work.assign(matched=work["fips"].notna())
        .groupby(["year", "table"])
        .agg(agencies=("matched", "size"), matched=("matched", "sum"))
    )
    rate["rate"] = rate["matched"] / rate["agencies"]
    city = work[work["table"] == "city"]
    if len(city):
        popw = (
            city.assign(mp=city["population"].where(city["fips"].notna(), 0))
            .groupby("year")[["mp", "population"]]
            .sum()
        )
        rate["population_rate"] = np.nan
        for y, r in popw.iterrows():
            rate.loc[(y, "city"), "population_rate"] = (
                float(r["mp"]) / float(r["population"]) if r["population"] else np.nan
            )
    rate = rate.reset_index()
    rate["statewide_not_allocated"] = (
        work.assign(s=work["match"] == "state agency (not allocated)")
        .groupby(["year", "table"])["s"]
        .sum()
        .to_numpy()
    )
    unmatched = work.loc[
        work["fips"].isna() & (work["match"] == "unmatched"),
        ["year", "table", "state", "agency_group", "agency", "unit", "population", "match"],
    ]
    if verbose:
        for y, g in rate.groupby("year"):
            parts = ", ".join(
                f"{r.table} {r.matched}/{r.agencies} ({r.rate:.1%})" for r in g.itertuples()
            )
            print(f"CIUS county approximation {y}: matched {parts}")
    m.reports["match_rate"] = rate.to_dict(orient="records")
    m.reports["unmatched_count"] = int(len(unmatched))
    m.reports["unmatched_examples"] = unmatched.head(50).astype(str).to_dict(orient="records")

    state_agency = work["match"] == "state agency (not allocated)"
    m.drop("Table 11 state agency (statewide; not allocated to a county)", int(state_agency.sum()))
    nomatch = work["fips"].isna() & ~state_agency
    m.drop("agency name not matched to a county through LEAIC", int(nomatch.sum()))
    work = work[work["fips"].notna()].copy()
    work = _repair_codes(work, m)
    pop = _county_population(population)
    work = work.merge(pop, on=["fips", "year"], how="left")
    nopop = work["county_population"].isna() | (work["county_population"] <= 0)
    m.drop("county without a Census population for the year", int(nopop.sum()))
    work = work[~nopop].copy()
    work["rape"] = _rape(work)
    work["is_city"] = work["table"] == "city"
    work["is_county"] = work["table"] == "county"
    sums = _strict_sum(work, ["fips", "year"], OFFENSES)
    extra = work.groupby(["fips", "year"]).agg(
        n_agencies=("agency", "size"),
        n_cities=("is_city", "sum"),
        has_county_agency=("is_county", "any"),
        population=("county_population", "first"),
    )
    panel = sums.merge(extra.reset_index(), on=["fips", "year"])
    panel = _round_counts(panel, OFFENSES)
    panel["n_agencies"] = panel["n_agencies"].astype("int64")
    panel["n_cities"] = panel["n_cities"].astype("int64")
    panel["coverage"] = np.nan
    m.aggregated = len(work) - len(panel)
    panel = attach_timing(panel, timing, m)
    panel = _finish(
        panel,
        "APPROXIMATION: FBI CIUS Tables 8+10(+11) matched to counties via LEAIC 2012",
        _county_names(crosswalk, population),
    )
    m.rows_out = len(panel)
    m.check()
    validate_panel(panel, name="cius_county")
    return panel, m, {"match_rate": rate, "unmatched": unmatched.reset_index(drop=True)}


# ---------------------------------------------------------------------------
# Kaplan agency-year -> county-year
# ---------------------------------------------------------------------------


def pop_group_of(population: pd.Series, county_agency: pd.Series | None = None) -> pd.Series:
    """UCR population group from agency population.

    Cities: 1 (250,000+), 2 (100,000-249,999), 3 (50,000-99,999), 4 (25,000-49,999),
    5 (10,000-24,999), 6 (under 10,000); county agencies (sheriffs, county police) ``"8/9"``.
    Only used when the crosswalk has no ``pop_group`` (UCR's own group) for an agency.
    """
    p = pd.to_numeric(population, errors="coerce")
    grp = pd.cut(
        p,
        [-np.inf, 9_999, 24_999, 49_999, 99_999, 249_999, np.inf],
        labels=["6", "5", "4", "3", "2", "1"],
    )
    grp = grp.astype("string")
    if county_agency is not None:
        grp = grp.mask(county_agency.fillna(False).astype(bool), "8/9")
    return grp


def kaplan_county_panel(
    agencies: pd.DataFrame,
    population: pd.DataFrame,
    crosswalk: pd.DataFrame | None = None,
    coverage_rule: str = "scale",
    splits: pd.DataFrame | None = None,
    timing: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, Manifest]:
    """County-year panel from Kaplan's agency-year Return A data.

    Parameters
    ----------
    agencies : pandas.DataFrame
        :func:`enforcement_crime.sources.ucr_kaplan.load` output (one or many years).
    population : pandas.DataFrame
        Census county population ``fips, year, population``.
    crosswalk : pandas.DataFrame, optional
        LEAIC (:func:`enforcement_crime.sources.leaic.load`): ``ori7 -> fips``;
        also its ``pop_group`` and agency type for the ``"icpsr"`` rule. Without
        it the agency file's own FIPS codes are used.
    coverage_rule : {"full12", "scale", "icpsr"}
        ``"full12"``: only agencies reporting 12 months. ``"scale"``: agencies
        reporting 3-11 months scaled by 12/months, 0-2 months excluded.
        ``"icpsr"``: as ``"scale"``, and agencies reporting 0-2 months imputed
        from the full reporters of the same state, year and population group.
    splits : pandas.DataFrame, optional
        Agencies serving several counties: ``ori, fips, population`` (the
        agency's population in each county). Their crimes are split by
        population share.
    timing : pandas.DataFrame, optional
        County treatment timing; NaT when omitted.

    Returns
    -------
    panel, manifest

    Notes
    -----
    For agency :math:`a` in county :math:`c` with months reported :math:`m_a`,
    population :math:`p_a`, county share :math:`s_{ac}` and counts :math:`y_a`:

    .. math::

        Y_c = \\sum_a s_{ac}\\, w_a\\, y_a, \\qquad
        w_a = \\begin{cases} 1 & m_a = 12 \\\\ 12/m_a & 3 \\le m_a \\le 11
              \\text{ (scale, icpsr)} \\end{cases}

    and, under ``"icpsr"``, for :math:`m_a \\le 2`,
    :math:`\\hat y_a = p_a \\sum_{b \\in F} y_b / \\sum_{b \\in F} p_b`
    with :math:`F` the 12-month reporters of the same state, year and
    population group (falling back to the state and year when the group has
    none). The coverage indicator is ICPSR's

    .. math:: CI_c = 100 \\Big(1 - \\sum_a \\frac{s_{ac} p_a}{P_c}\\frac{12 - m_a}{12}\\Big)

    over every agency of the county, whatever the rule, clipped to [0, 100]
    (:math:`P_c` the Census county population). ``months_reported`` is the
    fewest months any agency of the county reported. A county none of whose
    agencies is left under the rule has no row (counted in the manifest's
    dropped agency-years). Kaplan's
    ``number_of_months_reported`` is the *last* month reported, so
    :math:`m_a` may overstate coverage in older years.
    """
    if coverage_rule not in COVERAGE_RULES:
        raise ValueError(f"coverage_rule must be one of {COVERAGE_RULES}, got {coverage_rule!r}")
    dup = agencies.duplicated(["ori", "year"], keep=False)
    if dup.any():
        first = agencies.loc[dup, ["ori", "year"]].iloc[0].to_dict()
        raise ValueError(
            f"kaplan_county_panel: {int(dup.sum())} rows share an (ori, year), e.g. {first} "
            "(the same year loaded from two files?)"
        )
    m = Manifest(panel=f"kaplan_county_{coverage_rule}", unit="agency-year")
    m.rows_in = len(agencies)
    m.inputs.append(
        {
            "name": "Kaplan Return A agency-year",
            "files": sorted({str(agencies.attrs.get("source_file", "in memory"))}),
            "rows": len(agencies),
        }
    )
    m.rules.update(
        coverage_rule=coverage_rule,
        months="number_of_months_reported (the last month reported) or 12 - number_of_months_missing",
        coverage_indicator="ICPSR CI = 100 * (1 - sum(agency_pop/county_pop * (12 - months)/12))",
        population="Census county population (input frame)",
    )
    a = agencies.reset_index(drop=True).copy()
    a["ori"] = a["ori"].astype("string")
    # county assignment
    a["county_agency"] = False
    if crosswalk is not None:
        cw = crosswalk.dropna(subset=["ori7"]).set_index("ori7")
        a["fips_cw"] = a["ori"].map(cw["fips"]).astype("string")
        a["pop_group"] = (
            a["ori"].map(cw["pop_group"]).astype("string") if "pop_group" in cw else pd.NA
        )
        a["county_agency"] = (
            a["ori"].map(cw["agency_type"]).isin(["sheriff", "county police"]).astype(bool)
        )
        m.rules["county_assignment"] = (
            "LEAIC 2012 ORI7 -> county FIPS; the agency file's FIPS where LEAIC has no ORI"
        )
        a["fips"] = a["fips_cw"].fillna(a["fips"])
        m.inputs.append(
            {
                "name": "LEAIC 2012 crosswalk",
                "file": crosswalk.attrs.get("source_file"),
                "rows": len(crosswalk),
            }
        )
    else:
        m.rules["county_assignment"] = "the agency file's fips_state_code + fips_county_code"
        a["pop_group"] = pd.NA
    nofips = (
        a["fips"].isna()
        | ~a["fips"].astype("string").str.fullmatch(r"\d{5}").fillna(False)
        | a["fips"].astype("string").str.endswith("000")
    )
    m.drop("no county for the ORI (not in LEAIC, no county FIPS)", int(nofips.sum()))
    a = a[~nofips].copy()
    a = _repair_codes(a, m)
    a["pop_group"] = (
        a["pop_group"].astype("string").fillna(pop_group_of(a["population"], a["county_agency"]))
    )

    # coverage rule
    months = a["months_reported"]
    if months.isna().any():
        m.drop("months reported missing", int(months.isna().sum()))
        a = a[months.notna()].copy()
        months = a["months_reported"]
    mo = months.astype("int64")
    a["weight"] = 1.0
    a["imputed"] = False
    a["months_int"] = mo
    counts = list(OFFENSES)
    cov_rows = a[
        ["ori", "year", "fips", "population", "months_int"]
    ].copy()  # every agency counts in the CI
    if coverage_rule == "full12":
        drop = mo < 12
        m.drop("agency reported fewer than 12 months (rule full12)", int(drop.sum()))
        a = a[~drop]
    else:
        low = mo <= 2
        a.loc[(mo >= 3) & (mo <= 11), "weight"] = 12.0 / a.loc[(mo >= 3) & (mo <= 11), "months_int"]
        if coverage_rule == "scale":
            m.drop("agency reported 0-2 months (excluded under rule scale)", int(low.sum()))
            a = a[~low]
        else:
            a["state_fips_"] = a["fips"].str[:2]
            full = a[a["months_int"] == 12].copy()
            full["_p"] = full["population"].astype("float64")

            def rates(keys: list[str]) -> pd.DataFrame:
                g = full.groupby(keys)
                num = g[counts].sum(min_count=1).astype("float64")
                den = g["_p"].sum()
                return num.div(den.where(den > 0), axis=0)

            low_rows = a.loc[low, ["state_fips_", "year", "pop_group", "population"]]
            by_group = rates(["state_fips_", "year", "pop_group"])
            by_state = rates(["state_fips_", "year"])
            rg = by_group.reindex(
                pd.MultiIndex.from_frame(low_rows[["state_fips_", "year", "pop_group"]])
            )
            rs = by_state.reindex(pd.MultiIndex.from_frame(low_rows[["state_fips_", "year"]]))
            rg.index, rs.index = low_rows.index, low_rows.index
            use_state = rg.isna().any(axis=1)
            rate = rg.where(~use_state, rs, axis=0) if len(rg) else rg
            ok = ~rate.isna().any(axis=1) & low_rows["population"].notna()
            failed = list(low_rows.index[~ok])
            est = rate[ok].mul(low_rows.loc[ok, "population"].astype("float64"), axis=0).round()
            for c in counts:
                a.loc[est.index, c] = est[c].astype("Int64")
            a.loc[est.index, "imputed"] = True
            imputed_n = int(ok.sum())
            m.reports["imputed_from_state_rate"] = int((use_state & ok).sum())
            m.drop(
                "agency reported 0-2 months and no full reporter to impute from (rule icpsr)",
                len(failed),
            )
            a = a.drop(index=failed)
            m.reports["imputed_agency_years"] = imputed_n
            m.rules["imputation"] = (
                "0-2 month reporters: population x crime rate of the 12-month reporters of the same "
                "state, year and UCR population group (state and year when the group has none)"
            )

    # splits across counties
    if splits is not None:
        need = {"ori", "fips", "population"}
        if not need <= set(splits.columns):
            raise ValueError(
                f"splits frame: expected columns {sorted(need)}, got {list(splits.columns)}"
            )
        sp = splits[["ori", "fips", "population"]].copy()
        sp = _repair_codes(sp, Manifest("splits")).rename(
            columns={"fips": "fips_split", "population": "pop_part"}
        )
        sp["ori"] = sp["ori"].astype("string")
        sp["share"] = sp["pop_part"] / sp.groupby("ori")["pop_part"].transform("sum")
        a = a.merge(sp[["ori", "fips_split", "share"]], on="ori", how="left")
        a["fips"] = a["fips_split"].fillna(a["fips"]).astype("string")
        a["share"] = a["share"].fillna(1.0)
        before = cov_rows
        cov_rows = before.merge(sp[["ori", "fips_split", "share"]], on="ori", how="left")
        cov_rows["fips"] = cov_rows["fips_split"].fillna(cov_rows["fips"]).astype("string")
        cov_rows["share"] = cov_rows["share"].fillna(1.0)
        m.added = int(len(a) - a[["ori", "year"]].drop_duplicates().shape[0])
        m.rules["splits"] = (
            "agencies serving several counties split by their population share in each county"
        )
    else:
        a["share"] = 1.0
        cov_rows["share"] = 1.0

    pop = _county_population(population)
    a = a.merge(pop, on=["fips", "year"], how="left")
    nopop = a["county_population"].isna() | (a["county_population"] <= 0)
    m.drop("county without a Census population for the year", int(nopop.sum()))
    a = a[~nopop].copy()
    for c in counts:
        a[c] = a[c].astype("Float64") * a["weight"] * a["share"]
    sums = _strict_sum(a, ["fips", "year"], counts)
    sums = _round_counts(sums, counts)
    # coverage indicator over every agency of the county
    cov = cov_rows.merge(pop, on=["fips", "year"], how="inner")
    cov["loss"] = (
        cov["population"].astype("float64").fillna(0)
        * cov["share"]
        / cov["county_population"].astype("float64")
        * (12 - cov["months_int"])
        / 12
    )
    ci = cov.groupby(["fips", "year"]).agg(
        loss=("loss", "sum"), months_reported=("months_int", "min")
    )
    ci["coverage"] = (100 * (1 - ci["loss"])).clip(0, 100)
    panel = sums.merge(
        ci[["coverage", "months_reported"]].reset_index(), on=["fips", "year"], how="left"
    )
    extra = a.groupby(["fips", "year"]).agg(
        population=("county_population", "first"),
        n_agencies=("ori", "nunique"),
        n_imputed=("imputed", "sum"),
    )
    panel = panel.merge(extra.reset_index(), on=["fips", "year"])
    panel["n_imputed"] = panel["n_imputed"].astype("int64")
    m.aggregated = len(a) - len(panel)
    panel = attach_timing(panel, timing, m)
    panel = _finish(
        panel,
        f"UCR Return A agency-year (Kaplan, openICPSR 100707) via LEAIC; coverage rule {coverage_rule}",
        _county_names(crosswalk, population),
    )
    m.rows_out = len(panel)
    m.check()
    validate_panel(panel, name=m.panel)
    return panel, m


# ---------------------------------------------------------------------------
# ICPSR county files
# ---------------------------------------------------------------------------


def icpsr_county_panel(
    frames: Iterable[pd.DataFrame] | pd.DataFrame,
    population: pd.DataFrame | None = None,
    timing: pd.DataFrame | None = None,
    min_coverage: float | None = None,
) -> tuple[pd.DataFrame, Manifest]:
    """County-year panel from ICPSR county-level UCR files.

    Parameters
    ----------
    frames : DataFrame or iterable of DataFrame
        :func:`enforcement_crime.sources.ucr_icpsr_county.load` outputs (one per year).
    population : pandas.DataFrame, optional
        Census county population (``fips, year, population``). When given it
        is the rate denominator; otherwise ICPSR's ``CPOPCRIM``.
    timing : pandas.DataFrame, optional
        County treatment timing; NaT when omitted.
    min_coverage : float, optional
        Drop county-years whose coverage indicator is below this value
        (recorded in the manifest).

    Notes
    -----
    ICPSR's own rule applies (3-11 months scaled by 12/months, 0-2 months
    imputed); rows flagged ``no_data`` (coverage 0 and every offense 0) keep
    missing counts. Rows whose county code is 000 or 999 (statewide
    pseudo-counties) are dropped.
    """
    frames = [frames] if isinstance(frames, pd.DataFrame) else list(frames)
    if not frames:
        raise ValueError("icpsr_county_panel: no ICPSR frames given")
    df = pd.concat(frames, ignore_index=True)
    m = Manifest(panel="icpsr_county", unit="county-year")
    m.rows_in = len(df)
    m.inputs = [
        {
            "name": "ICPSR county-level UCR",
            "file": f.attrs.get("source_file"),
            "year": int(f["year"].iloc[0]),
            "rows": len(f),
        }
        for f in frames
    ]
    m.rules.update(
        coverage_rule="ICPSR's (scale 3-11 months by 12/months; impute 0-2 months)",
        no_data="coverage 0 with all offenses 0 -> counts missing",
    )
    dup = df.duplicated(["fips", "year"], keep=False)
    if dup.any():
        raise ValueError(
            f"icpsr_county_panel: duplicate county-years, e.g. {df.loc[dup, ['fips', 'year']].iloc[0].to_dict()} "
            "(the same year passed twice?)"
        )
    pseudo = df["county_fips"].isin(["000", "999"])
    m.drop("statewide pseudo-county (county code 000 or 999)", int(pseudo.sum()))
    df = df[~pseudo].copy()
    from enforcement_crime.panels.fips import known_county_fips, repair_fips

    known = df["fips"].isin(known_county_fips()).to_numpy()
    m.drop(
        "county FIPS code is no Census county (2000-2020) and no repair rule's", int((~known).sum())
    )
    sums = {
        c: "sum"
        for c in [
            "population",
            "population_arrests",
            "agencies_offenses",
            "agencies_arrests",
            "index_total",
            "modified_index",
            "violent",
            "property",
            *OFFENSES,
            "arson",
        ]
    }
    n_before = int(known.sum())
    df, report = repair_fips(df[known], agg={**sums, "coverage": "min", "no_data": "max"})
    m.aggregated += n_before - len(df)
    changed = report[report["rows_changed"] > 0]
    if len(changed):
        m.reports["fips_repairs"] = {r.rule: int(r.rows_changed) for r in changed.itertuples()}
    m.rules["fips_repair"] = (
        "enforcement_crime.panels.fips rules; merged counties summed, coverage the minimum"
    )
    if min_coverage is not None:
        low = (df["coverage"] < float(min_coverage)).fillna(True)
        m.drop(f"coverage indicator below {min_coverage}", int(low.sum()))
        df = df[~low].copy()
        m.rules["min_coverage"] = float(min_coverage)
    if population is not None:
        pop = _county_population(population)
        df = df.merge(pop, on=["fips", "year"], how="left")
        nopop = df["county_population"].isna() | (df["county_population"] <= 0)
        m.drop("county without a Census population for the year", int(nopop.sum()))
        df = df[~nopop].copy()
        df["population_icpsr"] = df["population"]
        df["population"] = df["county_population"]
        m.rules["population"] = (
            "Census county population (input frame); ICPSR CPOPCRIM kept as population_icpsr"
        )
    else:
        nopop = df["population"].isna() | (df["population"] <= 0)
        m.drop("population (CPOPCRIM) missing or zero", int(nopop.sum()))
        df = df[~nopop].copy()
        m.rules["population"] = "ICPSR CPOPCRIM (population covered for offenses)"
    keep = [
        "fips",
        "year",
        "population",
        "coverage",
        "no_data",
        *OFFENSES,
        "arson",
        "agencies_offenses",
    ]
    if "population_icpsr" in df:
        keep.append("population_icpsr")
    panel = df[keep].copy()
    panel = attach_timing(panel, timing, m)
    panel = _finish(panel, "ICPSR county-level UCR files (NACJD)", _county_names(None, population))
    m.rows_out = len(panel)
    m.check()
    validate_panel(panel, name="icpsr_county")
    return panel, m


# ---------------------------------------------------------------------------
# city-year panel (Treyger et al.)
# ---------------------------------------------------------------------------


def validate_city_panel(df: pd.DataFrame, name: str = "city panel") -> pd.DataFrame:
    """Check a city-year panel: the county schema's rules with the key ``(city_id, year)``.

    The city schema is the county schema plus ``city_id`` (LEAIC ORI7 where
    matched), ``city`` and ``ori``; ``fips`` is the county of the city and
    may repeat within a year. Counts, totals, rates, population, coverage,
    timing and provenance follow :func:`enforcement_crime.schema.validate_panel`,
    which is run on a copy whose ``fips`` is replaced by a per-city code
    (state FIPS + a 3-digit city number) so its key rules apply to cities.

    Raises
    ------
    PanelSchemaError
        As :func:`validate_panel`, naming the city rows.
    """
    from enforcement_crime.schema import PanelSchemaError

    missing = [c for c in CITY_REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise PanelSchemaError(
            ", ".join(missing), "these required city-panel columns to be present", name=name
        )
    bad = df["city_id"].isna()
    if bad.any():
        raise PanelSchemaError(
            "city_id", "non-missing city identifiers", df.loc[bad, ["city", "year"]], name
        )
    dup = df.duplicated(["city_id", "year"], keep=False)
    if dup.any():
        raise PanelSchemaError(
            "city_id, year", "unique key pairs", df.loc[dup, ["city_id", "city", "year"]], name
        )
    codes = df.groupby("state_fips")["city_id"].transform(lambda s: pd.factorize(s)[0] + 1)
    if (codes > 999).any():
        raise PanelSchemaError("city_id", "at most 999 cities per state", name=name)
    copy = df.copy()
    copy["fips"] = df["state_fips"].astype("string") + codes.astype("int64").astype(
        "string"
    ).str.zfill(3)
    validate_panel(copy, name=name)
    return df


def city_panel(
    cities: pd.DataFrame,
    crosswalk: pd.DataFrame,
    timing: pd.DataFrame | None = None,
    min_population: int = 50_000,
) -> tuple[pd.DataFrame, Manifest]:
    """City-year panel of municipal police agencies above a population threshold.

    Parameters
    ----------
    cities : pandas.DataFrame
        CIUS Table 8 rows (:func:`enforcement_crime.sources.fbi_cius.load`, any years).
    crosswalk : pandas.DataFrame
        LEAIC, to find each city's county (and ORI).
    timing : pandas.DataFrame, optional
        County timing; each city gets its county's SC activation date (and
        287(g) dates, for reference).
    min_population : int
        Keep a city when its median population over the years listed is at
        least this (default 50,000; Treyger et al. studied "medium and large"
        cities, a threshold the brief does not give: 50,000 is the UCR
        population group 3 lower bound and is our choice). Membership is
        fixed over years so the panel does not gain or lose cities as
        populations cross the threshold.

    Returns
    -------
    panel, manifest
        Passes :func:`validate_city_panel`.
    """
    c = cities[cities["table"] == "city"].copy() if "table" in cities else cities.copy()
    m = Manifest(panel="city_sc", unit="city-year")
    m.rows_in = len(cities)
    m.drop("not a Table 8 city row", len(cities) - len(c))
    m.rules.update(
        min_population=int(min_population),
        membership="median population over the years listed >= min_population",
        rape="revised definition from 2013 where reported, else legacy",
        county="LEAIC 2012 county of the matched local police department",
    )
    m.inputs.append(
        {"name": "CIUS Table 8 (cities)", "years": sorted(map(int, c["year"].unique()))}
    )
    matched = match_cius_agencies(c, crosswalk)
    unmatched = matched["fips"].isna()
    m.drop("city not matched to a county through LEAIC", int(unmatched.sum()))
    matched = matched[~unmatched].copy()
    matched = _repair_codes(matched, m)
    nopop = matched["population"].isna() | (matched["population"] <= 0)
    m.drop("population missing or zero", int(nopop.sum()))
    matched = matched[~nopop].copy()
    matched["city_id"] = (
        matched["ori"]
        .fillna(matched["state_fips"] + ":" + matched["agency"].map(normalise_name))
        .astype("string")
    )
    med = matched.groupby("city_id")["population"].transform("median")
    small = med < min_population
    m.drop(f"median population below {min_population}", int(small.sum()))
    matched = matched[~small].copy()
    dup = matched.duplicated(["city_id", "year"], keep=False)
    if dup.any():
        # two CIUS rows matched to one LEAIC agency: keep them apart by name
        matched.loc[dup, "city_id"] = (
            matched.loc[dup, "city_id"] + ":" + matched.loc[dup, "agency"].map(normalise_name)
        )
        m.notes.append(
            f"{int(dup.sum())} city rows shared a LEAIC ORI; their city_id adds the name."
        )
    matched["rape"] = _rape(matched)
    panel = matched[
        ["city_id", "ori", "agency", "fips", "year", "population", *OFFENSES, "match"]
    ].rename(columns={"agency": "city"})
    panel = _round_counts(panel, OFFENSES)
    panel = attach_timing(panel, timing, m)
    panel = _finish(
        panel, "FBI CIUS Table 8 cities, county via LEAIC 2012", _county_names(crosswalk, None)
    )
    panel = panel.sort_values(["city_id", "year"]).reset_index(drop=True)
    lead = list(CITY_REQUIRED_COLUMNS)
    panel = panel[lead + [c for c in panel.columns if c not in lead]]
    m.rows_out = len(panel)
    m.check()
    validate_city_panel(panel, name="city_sc")
    return panel, m


def city_panel_from_agencies(
    agencies: pd.DataFrame,
    crosswalk: pd.DataFrame | None = None,
    timing: pd.DataFrame | None = None,
    min_population: int = 50_000,
    coverage_rule: str = "full12",
) -> tuple[pd.DataFrame, Manifest]:
    """City-year panel of municipal police agencies from Kaplan's agency-year Return A data.

    Parameters
    ----------
    agencies : pandas.DataFrame
        :func:`enforcement_crime.sources.ucr_kaplan.load` output.
    crosswalk : pandas.DataFrame, optional
        LEAIC: the agency type (``"local police"``) and county of each ORI.
        Without it, Kaplan's ``agency_type`` (containing "local police" or
        "city") and the file's FIPS are used.
    timing : pandas.DataFrame, optional
        County timing; each city gets its county's dates.
    min_population : int
        Median population over the years at least this (default 50,000, as
        :func:`city_panel`).
    coverage_rule : {"full12", "scale"}
        ``"full12"`` keeps agency-years with 12 months reported; ``"scale"``
        also keeps 3-11 months scaled by 12/months. (ICPSR-style imputation
        is a county-level device and is not offered for cities.)

    Returns
    -------
    panel, manifest
        Passes :func:`validate_city_panel`; ``coverage`` is 100 * months / 12
        and ``months_reported`` the agency's months.
    """
    if coverage_rule not in ("full12", "scale"):
        raise ValueError(
            f"coverage_rule must be 'full12' or 'scale' for cities, got {coverage_rule!r}"
        )
    dup = agencies.duplicated(["ori", "year"], keep=False)
    if dup.any():
        raise ValueError(
            f"city_panel_from_agencies: rows share an (ori, year), e.g. {agencies.loc[dup, ['ori', 'year']].iloc[0].to_dict()}"
        )
    m = Manifest(panel="city_sc", unit="agency-year")
    m.rows_in = len(agencies)
    m.rules.update(
        min_population=int(min_population),
        coverage_rule=coverage_rule,
        membership="median population over the years listed >= min_population",
        agencies="municipal (local) police departments",
    )
    a = agencies.reset_index(drop=True).copy()
    a["ori"] = a["ori"].astype("string")
    if crosswalk is not None:
        cw = crosswalk.dropna(subset=["ori7"]).set_index("ori7")
        kind = a["ori"].map(cw["agency_type"])
        local = (kind == "local police").fillna(False).to_numpy(dtype=bool)
        a["fips"] = a["ori"].map(cw["fips"]).astype("string").fillna(a["fips"])
        m.rules["agency_type"] = "LEAIC 2012 AGCYTYPE local police department"
    else:
        local = (
            a["agency_type"]
            .astype("string")
            .str.contains("local police|city", case=False, regex=True)
            .fillna(False)
            .to_numpy(dtype=bool)
        )
        m.rules["agency_type"] = "Kaplan agency_type containing 'local police' or 'city'"
    m.drop("not a municipal police agency", int((~local).sum()))
    a = a[local].copy()
    nofips = ~a["fips"].astype("string").str.fullmatch(r"\d{5}").fillna(False).to_numpy(dtype=bool)
    m.drop("no county for the ORI", int(nofips.sum()))
    a = _repair_codes(a[~nofips].copy(), m)
    nopop = (a["population"].isna() | (a["population"] <= 0)).to_numpy(dtype=bool)
    m.drop("population missing or zero", int(nopop.sum()))
    a = a[~nopop].copy()
    med = a.groupby("ori")["population"].transform("median")
    small = (med < min_population).to_numpy(dtype=bool)
    m.drop(f"median population below {min_population}", int(small.sum()))
    a = a[~small].copy()
    months = a["months_reported"].astype("Int64")
    keep = (months == 12) if coverage_rule == "full12" else (months >= 3)
    keep = keep.fillna(False).to_numpy(dtype=bool)
    m.drop(f"months reported below the rule {coverage_rule}", int((~keep).sum()))
    a = a[keep].copy()
    w = 12.0 / a["months_reported"].astype("float64")
    for c in OFFENSES:
        a[c] = (a[c].astype("Float64") * w).round().astype("Int64")
    a["coverage"] = 100.0 * a["months_reported"].astype("float64") / 12
    panel = a[
        [
            "ori",
            "agency_name",
            "fips",
            "year",
            "population",
            "months_reported",
            "coverage",
            *OFFENSES,
        ]
    ].rename(columns={"agency_name": "city"})
    panel["city_id"] = panel["ori"]
    panel = attach_timing(panel, timing, m)
    panel = _finish(
        panel,
        f"UCR Return A (Kaplan) municipal police; rule {coverage_rule}",
        _county_names(crosswalk, None),
    )
    panel = panel.sort_values(["city_id", "year"]).reset_index(drop=True)
    panel = panel[
        list(CITY_REQUIRED_COLUMNS) + [c for c in panel.columns if c not in CITY_REQUIRED_COLUMNS]
    ]
    m.rows_out = len(panel)
    m.check()
    validate_city_panel(panel, name="city_sc")
    return panel, m


# ---------------------------------------------------------------------------
# North Carolina (Cato design)
# ---------------------------------------------------------------------------


def nc_county_panel(
    panel: pd.DataFrame,
    years: Iterable[int] = range(2003, 2014),
    agreements: pd.DataFrame | None = None,
    base_name: str = "county panel",
) -> tuple[pd.DataFrame, Manifest]:
    """North Carolina counties, 2003-2013, with the 287(g) timing of Cato WP 52, Table A1.

    Parameters
    ----------
    panel : pandas.DataFrame
        Any county-year panel passing the schema (Kaplan, ICPSR or CIUS built).
    years : iterable of int
        Default 2003-2013 (the study period).
    agreements : pandas.DataFrame, optional
        Default :func:`enforcement_crime.facts.nc_287g_agreements`.
    base_name : str
        Name of the input panel, for the manifest.

    Notes
    -----
    ``g287_start`` is the MOA signing date, ``g287_end`` the end date of the
    fact table (NaT when active past 2015 with no known end; the first of
    the month, or 1 July when only the year is known), ``g287_model`` "jail"
    or "task force". Durham's agreement is the Durham Police Department's (a
    city agency) assigned to Durham County. The Secure Communities date is
    kept from the input panel. Counties without an agreement have NaT.
    """
    from enforcement_crime.facts import nc_287g_agreements

    years = sorted(int(y) for y in years)
    m = Manifest(panel="nc_county", unit="county-year")
    m.rows_in = len(panel)
    m.inputs.append(
        {
            "name": base_name,
            "rows": len(panel),
            "source": sorted(map(str, panel["source"].dropna().unique()))[:3],
        }
    )
    nc = panel["fips"].astype("string").str.startswith("37")
    m.drop("not a North Carolina county", int((~nc).sum()))
    inyears = panel["year"].isin(years)
    m.drop(f"North Carolina, outside {years[0]}-{years[-1]}", int((nc & ~inyears).sum()))
    out = panel[nc & inyears].copy()
    ag = nc_287g_agreements() if agreements is None else agreements
    t = pd.DataFrame(
        {
            "fips": ag["fips"].astype("string"),
            "g287_start": ag["signed"],
            "g287_end": ag["end_date"],
            "g287_model": ag["model"].astype("string"),
        }
    )
    out = out.drop(columns=["g287_start", "g287_end", "g287_model"]).merge(t, on="fips", how="left")
    for c in ("g287_start", "g287_end"):
        out[c] = pd.to_datetime(out[c]).astype("datetime64[ns]")
    out["g287_model"] = out["g287_model"].astype("string")
    out["source"] = (
        out["source"].astype("string") + "; NC 287(g) timing: Forrester & Nowrasteh (2018) Table A1"
    )
    out = out[list(panel.columns)].sort_values(["fips", "year"]).reset_index(drop=True)
    m.rules.update(
        years=[years[0], years[-1]],
        g287="signing dates and end dates of Forrester & Nowrasteh (2018), Table A1 (enforcement_crime.facts)",
        sc="kept from the input panel",
    )
    got = sorted(set(out["year"]))
    if got != years:
        m.notes.append(f"The input panel covers {len(got)} of the {len(years)} study years: {got}.")
    m.rows_out = len(out)
    m.check()
    validate_panel(out, name="nc_county")
    return out, m
