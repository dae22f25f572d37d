"""Treatment timing per county: Secure Communities activation and 287(g) adoption, and annual exposure rules.

All functions take and return DataFrames (no paths). County codes are passed
through :func:`enforcement_crime.panels.fips.repair_fips`, so timing uses the
same stable codes as the panels.

287(g) facts used (STUDIES.md section 4, DATA_SOURCES.md): ICE rosters
overwrite the "date signed" when an agreement is re-signed (2009
standardisation, 2013, 2016), so the first adoption of a county is the
*earliest* date over all sources; single rosters miss agreements that ended
early; agreements can end.

An agreement of a city police department (e.g. Durham PD, a task force) is
assigned to the county the source names for it, as in Forrester & Nowrasteh
(2018) and Treyger et al. (2014); statewide agencies (departments of
corrections, state police) have no county and are reported as unmatched.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from enforcement_crime.facts import nc_287g_agreements
from enforcement_crime.panels.exposure import exposure_first_full_year, exposure_share_of_year
from enforcement_crime.panels.fips import known_county_fips, repair_fips

__all__ = [
    "attach_county_fips",
    "sc_activation_by_county",
    "g287_records",
    "g287_first_adoption",
    "g287_disagreements",
    "nc_287g_timing",
    "county_timing",
    "exposure_first_full_year",
    "exposure_share_of_year",
    "HISTORICAL_SOURCES",
]

#: loader model values -> schema g287_model values. A Warrant Service Officer
#: agreement (2019+) delegates warrant service inside the jail: counted as jail.
_SCHEMA_MODEL = {
    "jail": "jail",
    "task force": "task force",
    "both": "both",
    "warrant service officer": "jail",
}
_COUNTY_IN_NAME = re.compile(r"^(?:city of\s+)?(.+?\s+(?:county|parish|borough))\b", re.IGNORECASE)


# ---------------------------------------------------------------------------
# county codes for agency-level lists
# ---------------------------------------------------------------------------


def attach_county_fips(
    df: pd.DataFrame,
    state_col: str = "state",
    county_col: str | None = "county_name",
    agency_col: str = "agency",
) -> pd.DataFrame:
    """Fill a ``fips`` column from county names (Census names via the ``addfips`` package).

    Parameters
    ----------
    df : pandas.DataFrame
        Rows with a state (name or postal code) and a county name and/or an
        agency name. An existing non-missing ``fips`` is kept.
    state_col, county_col, agency_col : str
        Column names; ``county_col`` may be None or absent.

    Returns
    -------
    pandas.DataFrame
        A copy with ``fips`` (string or missing) and ``fips_match``:
        ``"given"`` (already present), ``"county_name"`` (matched from the
        county column), ``"agency_name"`` (a "<Name> County/Parish/Borough"
        found at the start of the agency name, e.g. "Etowah County Sheriff's
        Office") or missing when nothing matched (city police departments,
        state agencies, consolidated sheriffs such as Jacksonville's). Nothing
        is guessed beyond these rules.
    """
    import addfips

    af = addfips.AddFIPS()
    out = df.copy()
    if "fips" not in out.columns:
        out["fips"] = pd.Series(pd.NA, index=out.index, dtype="string")
    out["fips"] = out["fips"].astype("string")
    match = pd.Series(pd.NA, index=out.index, dtype="string").mask(out["fips"].notna(), "given")
    cache: dict[tuple[str, str], str | None] = {}

    def look(name: object, state: object) -> str | None:
        if pd.isna(name) or pd.isna(state):
            return None
        key = (str(name).strip(), str(state).strip())
        if key not in cache:
            try:
                cache[key] = af.get_county_fips(key[0], state=key[1])
            except (KeyError, ValueError, TypeError):
                cache[key] = None
        return cache[key]

    cols = [c for c in (state_col, county_col, agency_col) if c and c in out.columns]
    todo = out.loc[out["fips"].isna().to_numpy(), cols].drop_duplicates()
    found: dict[tuple, tuple[str, str]] = {}
    for _, row in todo.iterrows():
        state = row[state_col]
        code, how = None, None
        if county_col and county_col in row.index:
            code = look(row[county_col], state)
            how = "county_name" if code else None
        if code is None and agency_col in row.index and not pd.isna(row[agency_col]):
            m = _COUNTY_IN_NAME.match(str(row[agency_col]).strip())
            if m:
                code = look(m.group(1), state)
                how = "agency_name" if code else None
        if code:
            found[tuple(row.fillna("<missing>"))] = (code, how)
    if found:
        key = out[cols].astype(object).fillna("<missing>").apply(tuple, axis=1)
        hit = key.map(lambda k: found.get(k, (None, None)))
        fill = out["fips"].isna() & hit.map(lambda h: h[0] is not None)
        out.loc[fill, "fips"] = hit[fill].map(lambda h: h[0])
        match[fill] = hit[fill].map(lambda h: h[1])
    out["fips_match"] = match
    return out


# ---------------------------------------------------------------------------
# Secure Communities
# ---------------------------------------------------------------------------


def sc_activation_by_county(sc_frame: pd.DataFrame) -> pd.DataFrame:
    """One SC activation date per county (month precision) from :func:`secure_communities.load` output.

    Parameters
    ----------
    sc_frame : pandas.DataFrame
        ``fips``, ``activation_date`` and optionally ``state``,
        ``county_name``, ``note``.

    Returns
    -------
    pandas.DataFrame
        ``fips``, ``sc_activation_date`` (datetime64, first day of the
        activation month; NaT when the source has no date), ``state``,
        ``county_name``, ``note``, ``fips_original``, ``fips_repair``; one row
        per (repaired) county. ``attrs["fips_report"]`` is the repair report
        (as a list of records; attrs hold no DataFrames so that pandas can
        compare them),
        ``attrs["n_missing_date"]`` the number of counties without a date and
        ``attrs["not_a_county"]`` the input rows set aside: codes that are no
        county in 2000-2020 (e.g. Alaska census divisions abolished before
        1980, "Puerto Rico, NFD") and have no date.

    Notes
    -----
    Counties merged by a FIPS rule (e.g. Bedford city into Bedford County)
    take the earliest activation of their parts. Day-precision dates are
    floored to the month, the precision of ICE's list for most counties.
    """
    need = {"fips", "activation_date"}
    if not need <= set(sc_frame.columns):
        raise ValueError(
            f"sc_activation_by_county: missing columns {sorted(need - set(sc_frame.columns))}"
        )
    df = sc_frame.copy()
    for col in ("state", "county_name", "note"):
        if col not in df.columns:
            df[col] = pd.Series(pd.NA, index=df.index, dtype="string")
    df["sc_activation_date"] = (
        pd.to_datetime(df["activation_date"])
        .dt.to_period("M")
        .dt.to_timestamp()
        .astype("datetime64[ns]")
    )
    df = df[["fips", "sc_activation_date", "state", "county_name", "note"]]
    # Codes that are no county in 2000-2020 (pre-1980 Alaska census divisions,
    # "Puerto Rico, NFD") carry no information when they have no date: set
    # aside and reported. With a date they are an error (in repair_fips).
    defunct = ~df["fips"].isin(known_county_fips()) & df["sc_activation_date"].isna()
    set_aside = df[defunct.to_numpy()].reset_index(drop=True)
    out, report = repair_fips(
        df[~defunct.to_numpy()], year_col=None, agg={"sc_activation_date": "min"}
    )
    out.loc[out["sc_activation_date"].notna(), "note"] = pd.NA
    out = out.sort_values("fips", ignore_index=True)
    out.attrs = {
        "fips_report": report.to_dict("records"),
        "n_missing_date": int(out["sc_activation_date"].isna().sum()),
        "not_a_county": set_aside.astype(object).to_dict("records"),
    }
    return out


# ---------------------------------------------------------------------------
# 287(g)
# ---------------------------------------------------------------------------

_RECORD_COLUMNS = [
    "fips",
    "start",
    "end",
    "end_observed",
    "model",
    "source",
    "precision",
    "agency",
    "state",
    "file",
    "line",
]
#: sources whose dates mean "first signed" (compared by g287_disagreements); ICE's current
#: sheets carry the current MOA's date and the scrape its listing date.
HISTORICAL_SOURCES: tuple[str, ...] = ("roster", "oig2009", "wapo")


def g287_records(*frames: pd.DataFrame) -> pd.DataFrame:
    """Normalise 287(g) loader outputs to one record per agency-county agreement.

    Parameters
    ----------
    *frames : pandas.DataFrame
        Outputs of :mod:`enforcement_crime.sources.g287` loaders (told apart by
        their ``source`` column: ``roster``, ``oig2009``, ``wapo``,
        ``ice_current``, ``ice_agreements``), or any frame with ``fips``,
        ``start`` and a ``source`` (and optionally ``end``, ``model``).

    Returns
    -------
    pandas.DataFrame
        ``fips`` (repaired; missing when no county could be attached),
        ``start``, ``end`` (datetime64; ``end`` NaT = not known to have
        ended), ``end_observed`` (False for a snapshot that cannot see ends,
        the OIG list), ``model`` (schema values), ``source``, ``precision``
        (``"day"`` or ``"year"``), ``agency``, ``state``, ``file``, ``line``.
        ``attrs["excluded"]`` lists (as records) those not usable as adoption
        evidence with the reason (pending agreements, no date);
        ``attrs["ignored_frames"]`` names frames that hold no agreements (the
        FBI agency list of :func:`g287.load_ucr_agencies`).

    Notes
    -----
    Per source:

    * ``roster``: start = ``first_signed``; end = ``active_to`` when
      ``terminated`` (the last roster observation; open otherwise); an agency
      never observed on a roster (no ``active_to``) has an unknown end.
    * ``oig2009``: start = original signing date; pending agreements excluded.
    * ``wapo``: year flags -> start = 1 January of the first flagged year and
      end = 1 January after the last flagged year when that is before the
      sheet's last year; ``precision = "year"``. Year-precision records only
      set a county's start when no day-precision record exists.
    * ``ice_current``: start = ``SIGNED`` (the current MOA, so a re-signed
      agreement shows a late date; harmless under the earliest-date rule);
      pending excluded.
    * ``ice_agreements``: start = the first scrape date listing the agreement
      (a date by which it was in force).
    """
    recs: list[pd.DataFrame] = []
    excluded: list[pd.DataFrame] = []
    ignored: list[str] = []
    for frame in frames:
        if "source" not in frame.columns or frame.empty:
            raise ValueError(
                "g287_records: each frame needs a non-empty 'source' column (use the g287 loaders)"
            )
        for source, f in frame.groupby("source", sort=False):
            if source == "ucr_agencies":  # the FBI agency list is a crosswalk, not agreements
                ignored.append(
                    f"{source} ({len(f)} rows of {f['file'].iloc[0] if 'file' in f else 'a frame'})"
                )
                continue
            f = f.copy()
            f.attrs = {}
            if "fips" not in f.columns or f["fips"].isna().any():
                f = attach_county_fips(
                    f, county_col="county_name" if "county_name" in f.columns else None
                )
            r = pd.DataFrame(index=f.index)
            r["fips"] = f["fips"].astype("string")
            r["model"] = f["model"] if "model" in f.columns else pd.NA
            r["precision"] = "day"
            r["end"] = pd.NaT
            r["end_observed"] = True
            keep = pd.Series(True, index=f.index)
            if source == "roster":
                r["start"] = f["first_signed"]
                r["end"] = f["active_to"].where(f["terminated"].fillna(False).astype(bool))
                # never observed on an ICE roster (e.g. known from Cato only): end unknown
                r["end_observed"] = f["active_to"].notna()
            elif source == "oig2009":
                r["start"] = f["signed"]
                r["end_observed"] = False  # a snapshot: says nothing about ends
                keep = f["status"].ne("pending")
            elif source == "ice_current":
                r["start"] = f["signed"]
                keep = f["status"].ne("pending")
            elif source == "ice_agreements":
                g = f.groupby(["state", "agency", "model"], dropna=False)
                first = g["scrape_date"].transform("min")
                keep = f["scrape_date"].eq(first) & ~f.duplicated(["state", "agency", "model"])
                r["start"] = first
            elif source == "wapo":
                flagged = f[f["in_287g"]]
                last_year = int(f["year"].max())
                span = flagged.groupby("line").agg(first=("year", "min"), last=("year", "max"))
                one = f.drop_duplicates("line").set_index("line")
                r = pd.DataFrame(
                    {
                        "fips": one.loc[span.index, "fips"].astype("string"),
                        "start": pd.to_datetime(span["first"].astype(str) + "-01-01"),
                        "end": pd.to_datetime((span["last"] + 1).astype(str) + "-01-01").where(
                            span["last"] < last_year
                        ),
                        "model": pd.NA,
                        "precision": "year",
                        "end_observed": True,
                    }
                )
                f = one.loc[span.index].reset_index()
                r.index = f.index
                keep = pd.Series(True, index=f.index)
            else:
                if "start" not in f.columns:
                    raise ValueError(
                        f"g287_records: unknown source {source!r} without a 'start' column"
                    )
                r["start"] = f["start"]
                if "end" in f.columns:
                    r["end"] = f["end"]
                else:
                    r["end_observed"] = False
            r["source"] = source
            r["agency"] = f["agency"] if "agency" in f.columns else pd.NA
            r["state"] = f["state"] if "state" in f.columns else pd.NA
            r["file"] = f["file"] if "file" in f.columns else pd.NA
            r["line"] = f["line"] if "line" in f.columns else pd.NA
            no_date = r["start"].isna()
            ex = r[~keep | no_date].copy()
            ex["reason"] = np.where(~keep[ex.index], "pending or repeated listing", "no start date")
            excluded.append(ex)
            recs.append(r[keep & ~no_date])
    out = pd.concat(recs, ignore_index=True)
    out["model"] = out["model"].astype("string").map(_SCHEMA_MODEL).astype("string")
    for col in ("start", "end"):
        out[col] = pd.to_datetime(out[col]).astype("datetime64[ns]")
    has = out["fips"].notna()
    repaired, _ = repair_fips(
        out[has].reset_index(drop=True).assign(_k=range(int(has.sum()))), year_col="_k"
    )
    out = pd.concat(
        [repaired.drop(columns=["_k", "fips_original", "fips_repair"]), out[~has]],
        ignore_index=True,
    )
    out = out[_RECORD_COLUMNS]
    out["end_observed"] = out["end_observed"].astype(bool)
    ex = pd.concat(excluded, ignore_index=True) if excluded else pd.DataFrame()
    out.attrs = {"excluded": ex.astype(object).to_dict("records"), "ignored_frames": ignored}
    return out


def _spells(recs: list[dict]) -> tuple[pd.Timestamp, pd.Timestamp, pd.Timestamp, list[dict]]:
    """Merge a county's records (dicts) into spells; return first spell start/end, re-entry, members."""
    recs = sorted(recs, key=lambda r: r["start"])
    start = recs[0]["start"]
    # a record that cannot observe ends (a snapshot) counts as a point in time
    end = recs[0]["end"] if recs[0]["end_observed"] else recs[0]["start"]
    members = [recs[0]]
    for r in recs[1:]:
        r_end = r["end"] if r["end_observed"] else r["start"]
        if pd.isna(end) or r["start"] <= end:
            members.append(r)
            end = pd.NaT if (pd.isna(end) or pd.isna(r_end)) else max(end, r_end)
        else:
            return start, end, r["start"], members
    return start, end, pd.NaT, members


def g287_first_adoption(*frames: pd.DataFrame) -> pd.DataFrame:
    """First 287(g) adoption per county: earliest start over all sources, end and model.

    Parameters
    ----------
    *frames : pandas.DataFrame
        287(g) loader outputs (see :func:`g287_records`), or the output of
        :func:`g287_records` itself (a frame with ``start`` and
        ``precision``).

    Returns
    -------
    pandas.DataFrame
        One row per county: ``fips``, ``g287_start``, ``g287_end``,
        ``g287_model`` (``"jail"``, ``"task force"`` or ``"both"``; missing when
        no source gives a model), ``g287_reentry`` (start of a later agreement
        after the first spell ended, else NaT), ``start_source``,
        ``start_precision``, ``n_sources`` (distinct sources with a record for
        the county), ``sources``. ``attrs["unmatched"]`` holds (as records)
        those without a county (city and state agencies whose county could
        not be attached) and ``attrs["excluded"]`` those without a usable date.

    Notes
    -----
    Let :math:`R_c` be the records of county :math:`c` (all agencies in the
    county, all sources). When a historical dated source (the compiled
    roster or the OIG list, which date the MOA to the day) covers the county,
    only day-precision records define the dates; otherwise the year-precision
    WaPo records are used too (a WaPo start is 1 January of its first flagged
    year, ``start_precision`` ``"year"``). So an earlier WaPo year never
    overrides a dated MOA (e.g. WaPo flags Wake NC in 2007, the MOA is dated
    2008-06-25); :func:`g287_disagreements` reports such cases. Records sorted by
    start are merged into spells: a record whose start falls after the
    current spell's end (an ended agreement) opens a new spell; an open end
    (not known to have ended) makes the spell open; a record from a snapshot
    that cannot see ends (the OIG list) counts as the single day of its start.
    Then

    .. math:: g287\\_start_c = \\min_{r \\in R_c} start_r,

    ``g287_end`` is the end of the first spell (NaT if open) and the model is
    the union over the first spell's records (jail + task force = both).
    """
    if len(frames) == 1 and "precision" in frames[0].columns and "start" in frames[0].columns:
        rec = frames[0]
        attrs = dict(rec.attrs)
    else:
        rec = g287_records(*frames)
        attrs = dict(rec.attrs)
    rec = rec.copy()
    rec.attrs = {}  # attrs are deep-copied by every pandas operation: keep them off the working frame
    unmatched = rec[rec["fips"].isna()]
    rec = rec[rec["fips"].notna()]
    rows = []
    for fips, g in rec.groupby("fips", sort=True):
        recs = g[["start", "end", "end_observed", "model", "source", "precision"]].to_dict(
            "records"
        )
        day = [r for r in recs if r["precision"] == "day"]
        # year-precision records count only when no historical dated record (roster, OIG) exists
        historical = any(r["source"] in ("roster", "oig2009") for r in day)
        use = day if historical else recs
        start, end, reentry, members = _spells(use)
        models = {r["model"] for r in members if not pd.isna(r["model"])}
        model = (
            "both"
            if ("both" in models or {"jail", "task force"} <= models)
            else (models.pop() if models else pd.NA)
        )
        firsts = [r for r in use if r["start"] == start]
        rows.append(
            {
                "fips": fips,
                "g287_start": start,
                "g287_end": end,
                "g287_model": model,
                "g287_reentry": reentry,
                "start_source": ";".join(sorted({r["source"] for r in firsts})),
                "start_precision": "day"
                if any(r["precision"] == "day" for r in firsts)
                else "year",
                "n_sources": g["source"].nunique(),
                "sources": ";".join(sorted(set(g["source"]))),
            }
        )
    out = pd.DataFrame(
        rows,
        columns=[
            "fips",
            "g287_start",
            "g287_end",
            "g287_model",
            "g287_reentry",
            "start_source",
            "start_precision",
            "n_sources",
            "sources",
        ],
    )
    for col in ("g287_start", "g287_end", "g287_reentry"):
        out[col] = pd.to_datetime(out[col]).astype("datetime64[ns]")
    out = out.astype(
        {
            "fips": "string",
            "g287_model": "string",
            "start_source": "string",
            "start_precision": "string",
            "sources": "string",
            "n_sources": "int64",
        }
    )
    out.attrs = {
        "unmatched": unmatched.astype(object).to_dict("records"),
        "excluded": attrs.get("excluded", []),
    }
    return out


def g287_disagreements(
    *frames: pd.DataFrame,
    tolerance_days: int = 0,
    sources: Iterable[str] | None = HISTORICAL_SOURCES,
) -> pd.DataFrame:
    """Counties where 287(g) sources disagree on the first date or the model.

    Parameters
    ----------
    *frames : pandas.DataFrame
        As for :func:`g287_first_adoption`.
    tolerance_days : int
        Day-precision dates closer than this count as agreeing.
    sources : iterable of str or None
        The sources compared (default :data:`HISTORICAL_SOURCES`: ICE's
        current sheets carry re-signed dates by design, so comparing them
        would flag every county that renewed); None compares all.

    Returns
    -------
    pandas.DataFrame
        One row per county with at least two sources and a disagreement:
        ``fips``, ``n_sources``, ``earliest_by_source`` (``"source=date; ..."``,
        each source's earliest start in the county), ``date_spread_days``
        (latest minus earliest of those, day-precision sources only),
        ``year_mismatch`` (a year-precision source's first year differs from
        the earliest day-precision year), ``models_by_source``,
        ``date_disagree``, ``model_disagree``. Sorted by spread, largest first.
    """
    rec = (
        frames[0]
        if (len(frames) == 1 and "precision" in frames[0].columns)
        else g287_records(*frames)
    )
    rec = rec[rec["fips"].notna()].copy()
    rec.attrs = {}  # see g287_first_adoption
    if sources is not None:
        rec = rec[rec["source"].isin(list(sources))]
    rows = []
    for fips, g in rec.groupby("fips", sort=True):
        if g["source"].nunique() < 2:
            continue
        first = g.groupby("source")["start"].min()
        prec = g.groupby("source")["precision"].first()
        day = first[prec == "day"]
        spread = int((day.max() - day.min()).days) if len(day) else 0
        yr = first[prec == "year"]
        year_mismatch = bool(len(day) and len(yr) and (yr.dt.year != day.min().year).any())
        models = (
            g.dropna(subset=["model"])
            .groupby("source")["model"]
            .agg(lambda s: "+".join(sorted(set(s))))
        )
        model_dis = models.nunique() > 1
        date_dis = spread > tolerance_days or year_mismatch
        if date_dis or model_dis:
            rows.append(
                {
                    "fips": fips,
                    "n_sources": int(g["source"].nunique()),
                    "earliest_by_source": "; ".join(
                        f"{s}={d.date()}" for s, d in first.sort_values().items()
                    ),
                    "date_spread_days": spread,
                    "year_mismatch": year_mismatch,
                    "models_by_source": "; ".join(f"{s}={m}" for s, m in models.items()),
                    "date_disagree": bool(date_dis),
                    "model_disagree": bool(model_dis),
                }
            )
    cols = [
        "fips",
        "n_sources",
        "earliest_by_source",
        "date_spread_days",
        "year_mismatch",
        "models_by_source",
        "date_disagree",
        "model_disagree",
    ]
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values(["date_spread_days", "fips"], ascending=[False, True], ignore_index=True)


def nc_287g_timing() -> pd.DataFrame:
    """The nine North Carolina 287(g) counties of Forrester & Nowrasteh (2018) Table A1, in timing columns.

    Returns
    -------
    pandas.DataFrame
        ``fips``, ``g287_start`` (the MOA signing date), ``g287_end``
        (``end_date`` of the fact table: first day of the end month, 1 July
        when only the year is known, NaT when active past 2015 with no known
        end), ``g287_model``, ``end_precision``, ``agency``, ``source``.
    """
    f = nc_287g_agreements()
    out = pd.DataFrame(
        {
            "fips": f["fips"].astype("string"),
            "g287_start": f["signed"].astype("datetime64[ns]"),
            "g287_end": f["end_date"].astype("datetime64[ns]"),
            "g287_model": f["model"].astype("string"),
            "end_precision": f["end_precision"].astype("string"),
            "agency": f["agency"].astype("string"),
        }
    )
    out["source"] = pd.Series(
        "Forrester & Nowrasteh (2018) Table A1 (facts/nc_287g_table_a1.csv)",
        index=out.index,
        dtype="string",
    )
    return out


def county_timing(
    counties: Iterable[str] | pd.Series | None = None,
    sc: pd.DataFrame | None = None,
    g287: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per county with the schema's timing columns.

    Parameters
    ----------
    counties : iterable of str, optional
        The county universe (5-digit FIPS, already repaired). Default: every
        county in ``sc`` or ``g287``.
    sc : pandas.DataFrame, optional
        :func:`sc_activation_by_county` output (``fips``, ``sc_activation_date``).
    g287 : pandas.DataFrame, optional
        :func:`g287_first_adoption` or :func:`nc_287g_timing` output
        (``fips``, ``g287_start``, ``g287_end``, ``g287_model``).

    Returns
    -------
    pandas.DataFrame
        ``fips``, ``sc_activation_date``, ``g287_start``, ``g287_end``
        (datetime64, NaT = never / not known), ``g287_model`` (string or
        missing), one row per county of the universe, sorted. Counties of
        ``sc``/``g287`` outside the universe are not returned and are listed
        in ``attrs["outside_universe"]``.
    """
    parts = []
    if sc is not None:
        parts.append(sc[["fips", "sc_activation_date"]])
    if g287 is not None:
        parts.append(g287[["fips", "g287_start", "g287_end", "g287_model"]])
    parts = [p.copy() for p in parts]
    for p in parts:
        p.attrs = {}
        if p["fips"].duplicated().any():
            raise ValueError(
                f"county_timing: duplicate fips in an input: {p.loc[p['fips'].duplicated(), 'fips'].head().tolist()}"
            )
    if counties is None:
        universe = sorted(set().union(*[set(p["fips"]) for p in parts])) if parts else []
    else:
        universe = sorted(set(pd.Series(list(counties), dtype="string")))
    out = pd.DataFrame({"fips": pd.array(universe, dtype="string")})
    outside: dict[str, list[str]] = {}
    for p in parts:
        extra = sorted(set(p["fips"]) - set(universe))
        if extra:
            outside[p.columns[1]] = extra
        out = out.merge(p.astype({"fips": "string"}), on="fips", how="left")
    for col in ("sc_activation_date", "g287_start", "g287_end"):
        if col not in out.columns:
            out[col] = pd.NaT
        out[col] = pd.to_datetime(out[col]).astype("datetime64[ns]")
    if "g287_model" not in out.columns:
        out["g287_model"] = pd.NA
    out["g287_model"] = out["g287_model"].astype("string")
    out = out[["fips", "sc_activation_date", "g287_start", "g287_end", "g287_model"]]
    out.attrs = {"outside_universe": outside}
    return out
