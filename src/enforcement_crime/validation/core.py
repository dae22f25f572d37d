"""Inputs and county-by-county comparison of two crime sources (agreement measures)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from enforcement_crime import config

#: offense groups compared (schema totals; index = violent + property, arson excluded)
GROUPS: tuple[str, ...] = ("violent", "property", "index")

#: ICPSR county codes that are no county: 777 and 999 hold agencies ICPSR did not
#: allocate to a county (state police and other statewide agencies)
ICPSR_PSEUDO_COUNTIES: tuple[str, ...] = ("777", "999")

#: half-width of the "agrees" band of a ratio: |ratio - 1| <= WITHIN
WITHIN = 0.10

_ICPSR_FILE = "33523-0004-Data.rda"

#: ICPSR county offenses files (part 4) the validation knows by year: the folder of
#: ``../shared/data`` and the file name (also looked for in ``data/raw/ucr_icpsr_county``)
ICPSR_OFFENSE_FILES: dict[int, tuple[str, str]] = {
    2010: ("icpsr_county_ucr_2010", _ICPSR_FILE),
    2012: ("icpsr_county_ucr_2012", "35019-0004-Data.tsv"),
}


class MissingRealData(FileNotFoundError):
    """A real input of the validation is absent; the message says how to build or fetch it."""


# --------------------------------------------------------------------------------------
# inputs
# --------------------------------------------------------------------------------------


def icpsr_file_for(year: int) -> Path:
    """Where the ICPSR county offenses file of ``year`` is expected (it may be absent).

    ``data/raw/ucr_icpsr_county/<file>`` when present, else the shared copy
    ``<shared>/<folder>/<file>`` (:data:`ICPSR_OFFENSE_FILES`).

    Raises
    ------
    KeyError
        A year the validation has no ICPSR file name for.
    """
    if year not in ICPSR_OFFENSE_FILES:
        raise KeyError(
            f"no ICPSR county offenses file known for {year}; known years: "
            f"{sorted(ICPSR_OFFENSE_FILES)} (pass the file itself instead)"
        )
    folder, name = ICPSR_OFFENSE_FILES[year]
    own = config.raw_dir("ucr_icpsr_county") / name
    return own if own.is_file() else config.shared_data_dir() / folder / name


def real_inputs(
    icpsr_file: str | Path | None = None,
    sbi_folder: str | Path | None = None,
    panel: str = "cius_county",
    icpsr_years: Sequence[int] = (),
    panels: Sequence[str] = (),
) -> dict:
    """Locate the real files the validation needs; raise naming every absent one.

    Parameters
    ----------
    icpsr_file : path, optional
        ICPSR 33523 part 4 (any format :func:`enforcement_crime.sources.ucr_icpsr_county.load`
        reads). Default: ``data/raw/ucr_icpsr_county/33523-0004-Data.rda`` when
        present, else the shared copy ``<shared>/icpsr_county_ucr_2010/33523-0004-Data.rda``.
    sbi_folder : path, optional
        Folder of ``CrimeDataByCounty<year>.csv``. Default:
        ``data/raw/nc_sbi`` when it holds such files, else
        ``<shared>/nc_sbi_county_rates``.
    panel : str
        The processed CIUS panel (``data/processed/<panel>.parquet``).
    icpsr_years : sequence of int
        Further years whose ICPSR county offenses file is needed besides
        2010's (e.g. ``[2012]``), located by :func:`icpsr_file_for`.
    panels : sequence of str
        Further processed panels needed (e.g. ``["nc_agency", "cius_sheriff"]``).

    Returns
    -------
    dict
        ``{"icpsr": path, "sbi": folder, "panel": parquet path, "icpsr_by_year":
        {2010: path, <year>: path, ...}, "panels": {name: parquet path}}``.

    Raises
    ------
    MissingRealData
        One line per absent input, with the command or download that makes it.
    """
    shared = config.shared_data_dir()
    if icpsr_file is None:
        own = config.raw_dir("ucr_icpsr_county") / _ICPSR_FILE
        icpsr = own if own.is_file() else shared / "icpsr_county_ucr_2010" / _ICPSR_FILE
    else:
        icpsr = Path(icpsr_file)
    if sbi_folder is None:
        own = config.raw_dir("nc_sbi")
        sbi = own if any(own.glob("CrimeDataByCounty*.csv")) else shared / "nc_sbi_county_rates"
    else:
        sbi = Path(sbi_folder)
    parquet = config.processed_dir() / f"{panel}.parquet"
    problems = []
    if not icpsr.is_file():
        problems.append(
            f"ICPSR county file {icpsr} is absent: download ICPSR 33523 part 4 (free login, "
            "https://www.icpsr.umich.edu/web/NACJD/studies/33523) into data/raw/ucr_icpsr_county/, "
            f"or provide the shared copies ({shared})"
        )
    if not sbi.is_dir() or not any(sbi.glob("CrimeDataByCounty*.csv")):
        problems.append(
            f"NC SBI county rates (CrimeDataByCounty<year>.csv) are absent from {sbi}: export them "
            "from crimereporting.ncsbi.gov into data/raw/nc_sbi/ (see `python -m enforcement_crime "
            "data fetch nc_sbi`) "
            f"or provide the shared copies ({shared})"
        )
    if not parquet.is_file():
        problems.append(
            f"panel {panel!r} is not built ({parquet} absent): run "
            f"`python -m enforcement_crime data build --shared {panel}` (or `make data` with the "
            "CIUS, LEAIC and Census files in data/raw)"
        )
    by_year = {2010: icpsr}
    for y in icpsr_years:
        if int(y) == 2010:
            continue
        path = icpsr_file_for(int(y))
        by_year[int(y)] = path
        if not path.is_file():
            problems.append(
                f"ICPSR county file of {y} ({path.name}) is absent from data/raw/ucr_icpsr_county "
                f"and {path.parent}: download it (free ICPSR login, "
                "https://www.icpsr.umich.edu/web/NACJD/series/57) or provide the shared copies"
            )
    others = {}
    for name in panels:
        others[name] = config.processed_dir() / f"{name}.parquet"
        if not others[name].is_file():
            problems.append(
                f"panel {name!r} is not built ({others[name]} absent): run "
                f"`python -m enforcement_crime data build --shared {name}`"
            )
    if problems:
        raise MissingRealData(
            "the validation notebook compares REAL data only and cannot run:\n- "
            + "\n- ".join(problems)
        )
    return {
        "icpsr": icpsr,
        "sbi": sbi,
        "panel": parquet,
        "icpsr_by_year": by_year,
        "panels": others,
    }


def _require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what}: missing column(s) {missing}; has {list(frame.columns)}")


def icpsr_counties(icpsr: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ICPSR county file as one row per Census county, with the rows set aside accounted for.

    Parameters
    ----------
    icpsr : pandas.DataFrame
        :func:`enforcement_crime.sources.ucr_icpsr_county.load` output (one
        year): ``fips, county_fips, year, population, agencies_offenses,
        coverage, violent, property, no_data``.

    Returns
    -------
    counties : pandas.DataFrame
        ``fips, state_fips, state`` (postal code), ``year, population,
        agencies, coverage, violent, property, index, no_data,
        fips_repair``: ``index = violent + property`` (missing when either
        is); county codes repaired with the
        panels' rules (:func:`enforcement_crime.panels.fips.repair_fips`, the
        same ones the CIUS panel applies: Shannon SD 46113 -> 46102, Bedford
        city VA 51515 merged into 51019; a merge sums counts, populations and
        agencies and keeps the lower coverage).
    accounting : pandas.DataFrame
        ``step, rows, reason``: rows in, pseudo-counties set aside (with the
        offenses they hold), rows merged by a repair, rows out.

    Notes
    -----
    Pseudo-counties (county code 777 or 999, :data:`ICPSR_PSEUDO_COUNTIES`)
    hold agencies ICPSR did not allocate to a county; they are no county and
    are set aside, their violent and property counts reported in
    ``accounting``. Rows the loader flagged ``no_data`` (COVIND 0 and every
    count 0) stay, with missing counts, so that the comparison lists them.
    """
    from enforcement_crime.panels.fips import repair_fips
    from enforcement_crime.panels.states import STATE_POSTAL

    need = [
        "fips",
        "county_fips",
        "year",
        "population",
        "agencies_offenses",
        "coverage",
        "violent",
        "property",
        "no_data",
    ]
    _require(icpsr, need, "icpsr_counties")
    years = icpsr["year"].dropna().unique()
    if len(years) != 1:
        raise ValueError(f"icpsr_counties: expected one year, got {sorted(years)}")
    df = icpsr.reset_index(drop=True)
    pseudo = df["county_fips"].astype("string").isin(ICPSR_PSEUDO_COUNTIES).fillna(False)
    acc = [{"step": "ICPSR rows in", "rows": len(df), "reason": ""}]
    held = df.loc[pseudo, ["violent", "property"]].sum()
    acc.append(
        {
            "step": "set aside",
            "rows": int(pseudo.sum()),
            "reason": "pseudo-county (county code 777/999: agencies not allocated to a county); "
            f"they hold {int(held['violent'])} violent and {int(held['property'])} property "
            "offenses",
        }
    )
    out = pd.DataFrame(
        {
            "fips": df["fips"].astype("string"),
            "year": df["year"].astype("int64"),
            "population": df["population"].astype("Int64"),
            "agencies": df["agencies_offenses"].astype("Int64"),
            "coverage": df["coverage"].astype(float),
            "violent": df["violent"].astype("Int64"),
            "property": df["property"].astype("Int64"),
            "no_data": df["no_data"].astype(bool),
        }
    )[~pseudo.to_numpy()]
    n_before = len(out)
    agg = {
        "population": "sum",
        "agencies": "sum",
        "violent": "sum",
        "property": "sum",
        "coverage": "min",
        "no_data": "max",
    }
    out, _ = repair_fips(out.reset_index(drop=True), agg=agg)
    acc.append(
        {
            "step": "merged",
            "rows": n_before - len(out),
            "reason": "county code merged into another by a repair rule (e.g. Bedford city VA "
            "51515 into 51019)",
        }
    )
    out["index"] = (out["violent"] + out["property"]).astype("Int64")
    out["state_fips"] = out["fips"].str[:2]
    out["state"] = out["state_fips"].map(STATE_POSTAL).astype("string")
    order = [
        "fips",
        "state_fips",
        "state",
        "year",
        "population",
        "agencies",
        "coverage",
        "violent",
        "property",
        "index",
        "no_data",
        "fips_repair",
    ]
    out = out[order]
    out = out.sort_values("fips", ignore_index=True)
    acc.append({"step": "ICPSR counties out", "rows": len(out), "reason": ""})
    return out, pd.DataFrame(acc)


# --------------------------------------------------------------------------------------
# pairing and agreement
# --------------------------------------------------------------------------------------


def compare_values(
    left: pd.DataFrame,
    right: pd.DataFrame,
    *,
    keys: Sequence[str] = ("fips",),
    groups: Sequence[str] = GROUPS,
    names: tuple[str, str] = ("cius", "icpsr"),
    carry: Sequence[str] = (),
) -> pd.DataFrame:
    """Pair two sources unit by unit: one row per key and group, with the ratio left / right.

    Parameters
    ----------
    left, right : pandas.DataFrame
        One row per ``keys``; the ``groups`` columns hold non-negative
        numbers (counts or rates), missing where unknown.
    keys : sequence of str
        Unit keys present in both frames (e.g. ``("fips",)`` or ``("fips", "year")``).
    groups : sequence of str
        Value columns present in both frames; each becomes a ``group``.
    names : (str, str)
        Names of the two sources, used in ``status`` and as column names of
        the two values.
    carry : sequence of str
        Columns of ``left`` to keep (e.g. ``"state"``, ``"county_name"``);
        filled from ``right`` where ``left`` has no row and ``right`` has the column.

    Returns
    -------
    pandas.DataFrame
        ``keys..., carry..., group, <left name>, <right name>, ratio,
        log_ratio, difference, status``. ``ratio = left / right`` where both
        are present and right > 0; ``log_ratio = ln(left) - ln(right)`` where
        both are positive; ``difference = left - right``. ``status`` is one
        of ``"compared"`` (both positive), ``"zero in both"``,
        ``"zero in <name>"``, ``"missing in <name>"`` (row present, value
        missing) or ``"no <name> row"``. Sorted by keys and group.

    Raises
    ------
    ValueError
        A key or group column is absent, a key is duplicated, or a value is
        negative (naming the source, column and unit).
    """
    ln, rn = names
    keys, groups = list(keys), list(groups)
    for frame, name in ((left, ln), (right, rn)):
        _require(frame, keys + groups, f"compare_values ({name})")
        dup = frame.duplicated(keys, keep=False)
        if dup.any():
            first = frame.loc[dup, keys].iloc[0].to_dict()
            raise ValueError(
                f"compare_values ({name}): {int(dup.sum())} rows share a key, e.g. {first}"
            )
        for g in groups:
            v = pd.to_numeric(frame[g], errors="raise").astype(float)
            if (v < 0).any():
                first = frame.loc[(v < 0).to_numpy(), keys].iloc[0].to_dict()
                raise ValueError(
                    f"compare_values ({name}): column {g!r} has a negative value at {first}"
                )
    carry = [c for c in carry if c not in keys]
    _require(left, carry, f"compare_values ({ln}) carry")
    lk = left[keys + carry + groups].copy()
    rk = right[keys + [c for c in carry if c in right.columns] + groups].copy()
    for k in keys:  # key dtypes must agree for the merge: numbers stay, anything else as strings
        numeric = pd.api.types.is_numeric_dtype(lk[k]) and pd.api.types.is_numeric_dtype(rk[k])
        if not numeric:
            lk[k], rk[k] = lk[k].astype("string"), rk[k].astype("string")
    both = lk.merge(rk, on=keys, how="outer", suffixes=("__l", "__r"), indicator=True)
    for c in carry:
        if f"{c}__r" in both.columns:
            both[c] = both[f"{c}__l"].fillna(both[f"{c}__r"])
    parts = []
    for g in groups:
        lv = pd.to_numeric(both[f"{g}__l"]).astype(float)
        rv = pd.to_numeric(both[f"{g}__r"]).astype(float)
        status = np.select(
            [
                both["_merge"].eq("right_only"),
                both["_merge"].eq("left_only"),
                lv.isna(),
                rv.isna(),
                (lv == 0) & (rv == 0),
                lv == 0,
                rv == 0,
            ],
            [
                f"no {ln} row",
                f"no {rn} row",
                f"missing in {ln}",
                f"missing in {rn}",
                "zero in both",
                f"zero in {ln}",
                f"zero in {rn}",
            ],
            default="compared",
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(rv > 0, lv / rv, np.nan)
            logr = np.where((lv > 0) & (rv > 0), np.log(lv) - np.log(rv), np.nan)
        part = both[keys + carry].copy()
        part["group"] = g
        part[ln] = lv.to_numpy()
        part[rn] = rv.to_numpy()
        part["ratio"] = ratio
        part["log_ratio"] = logr
        part["difference"] = (lv - rv).to_numpy()
        part["status"] = status
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    order = {g: i for i, g in enumerate(groups)}
    out = out.sort_values(keys + ["group"], key=lambda s: s.map(order) if s.name == "group" else s)
    return out.reset_index(drop=True)


def status_counts(pairs: pd.DataFrame) -> pd.DataFrame:
    """Units per ``status`` and ``group`` of a :func:`compare_values` frame (every unit counted).

    Returns
    -------
    pandas.DataFrame
        One row per status, one column per group (in the pairs' order), plus
        a ``total`` row; the columns sum to the units of each group.
    """
    _require(pairs, ["group", "status"], "status_counts")
    groups = list(dict.fromkeys(pairs["group"]))
    tab = pd.crosstab(pairs["status"], pairs["group"]).reindex(columns=groups, fill_value=0)
    tab.loc["total"] = tab.sum()
    tab.columns.name = None
    return tab.rename_axis("status").reset_index()


def _agreement(g: pd.DataFrame, ln: str, rn: str) -> dict[str, float]:
    ok = g[g["status"] == "compared"]
    n = len(ok)
    la, lb = np.log(ok[ln].to_numpy(float)), np.log(ok[rn].to_numpy(float))
    corr = float(np.corrcoef(la, lb)[0, 1]) if n >= 3 and la.std() > 0 and lb.std() > 0 else np.nan
    r = ok["ratio"].to_numpy(float)
    q = np.quantile(r, [0.25, 0.5, 0.75]) if n else [np.nan] * 3
    return {
        "units": int(len(g)),
        "compared": n,
        "corr_log": corr,
        "median_ratio": float(q[1]),
        "ratio_q25": float(q[0]),
        "ratio_q75": float(q[2]),
        "share_within_10pct": float(np.mean(np.abs(r - 1) <= WITHIN + 1e-12)) if n else np.nan,
        "share_below_90pct": float(np.mean(r < 1 - WITHIN - 1e-12)) if n else np.nan,
        "share_above_110pct": float(np.mean(r > 1 + WITHIN + 1e-12)) if n else np.nan,
        f"sum_{ln}": float(ok[ln].sum()),
        f"sum_{rn}": float(ok[rn].sum()),
        "ratio_of_sums": float(ok[ln].sum() / ok[rn].sum()) if n and ok[rn].sum() > 0 else np.nan,
    }


def agreement_summary(
    pairs: pd.DataFrame,
    by: Sequence[str] = ("group",),
    names: tuple[str, str] = ("cius", "icpsr"),
) -> pd.DataFrame:
    """Agreement of two sources per group (and e.g. per state): correlation and ratio distribution.

    Parameters
    ----------
    pairs : pandas.DataFrame
        :func:`compare_values` output.
    by : sequence of str
        Grouping columns (``("group",)``, ``("state", "group")``, ...).
    names : (str, str)
        The two sources' value columns, as given to :func:`compare_values`.

    Returns
    -------
    pandas.DataFrame
        One row per ``by`` cell: ``units`` (pairs in the cell, any status),
        ``compared`` (both values positive), ``corr_log`` (Pearson
        correlation of the logs of compared pairs; NaN with fewer than 3 or
        no variation), ``median_ratio``, ``ratio_q25``, ``ratio_q75``,
        ``share_within_10pct`` (:math:`|r - 1| \\le 0.10`),
        ``share_below_90pct``, ``share_above_110pct`` (ratios of compared
        pairs), ``sum_<left>``, ``sum_<right>`` and ``ratio_of_sums`` over
        compared pairs.
    """
    ln, rn = names
    by = list(by)
    _require(pairs, by + [ln, rn, "ratio", "status"], "agreement_summary")
    rows = []
    for key, g in pairs.groupby(by, sort=False, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        rows.append({**dict(zip(by, key, strict=True)), **_agreement(g, ln, rn)})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------
# several years side by side
# --------------------------------------------------------------------------------------

#: statistics of :func:`agreement_summary` shown side by side by :func:`side_by_side`
SIDE_BY_SIDE: tuple[str, ...] = (
    "units",
    "compared",
    "corr_log",
    "median_ratio",
    "ratio_q25",
    "ratio_q75",
    "share_within_10pct",
    "share_below_90pct",
    "share_above_110pct",
    "ratio_of_sums",
)


def compare_icpsr_years(
    cius: pd.DataFrame,
    icpsr_by_year: Mapping[int, pd.DataFrame],
    carry: Sequence[str] = ("state_fips", "state", "county_name"),
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pair the CIUS county panel with the ICPSR county file of each year, county by county.

    Parameters
    ----------
    cius : pandas.DataFrame
        The CIUS county panel (every year; the years of ``icpsr_by_year`` are taken).
    icpsr_by_year : mapping of int to DataFrame
        One :func:`enforcement_crime.sources.ucr_icpsr_county.load` output
        per year, keyed by its year (each checked against the frame's ``year``).
    carry : sequence of str
        Columns of the panel kept in the pairs (as :func:`compare_values`).

    Returns
    -------
    pairs : pandas.DataFrame
        :func:`compare_values` output keyed by ``(fips, year)``: every county
        of either source in each year, with its status.
    accounting : pandas.DataFrame
        :func:`icpsr_counties` accounting of each year, with a ``year`` column first.

    Raises
    ------
    ValueError
        No year given, or a frame whose ``year`` is not its key.
    """
    if not icpsr_by_year:
        raise ValueError("compare_icpsr_years: no ICPSR year given")
    counties, accounting = [], []
    for year, raw in sorted(icpsr_by_year.items()):
        got = sorted(int(y) for y in raw["year"].dropna().unique())
        if got != [int(year)]:
            raise ValueError(
                f"compare_icpsr_years: the frame given for {year} holds year(s) {got} "
                f"({raw.attrs.get('source_file', 'in memory')})"
            )
        c, acc = icpsr_counties(raw)
        counties.append(c)
        accounting.append(acc.assign(year=int(year))[["year", *acc.columns]])
    _require(cius, ["fips", "year"], "compare_icpsr_years (cius)")
    years = sorted(int(y) for y in icpsr_by_year)
    left = cius[cius["year"].isin(years)]
    pairs = compare_values(
        left, pd.concat(counties, ignore_index=True), keys=("fips", "year"), carry=carry
    )
    return pairs, pd.concat(accounting, ignore_index=True)


def side_by_side(
    pairs: pd.DataFrame,
    names: tuple[str, str] = ("cius", "icpsr"),
    statistics: Sequence[str] = SIDE_BY_SIDE,
) -> pd.DataFrame:
    """The agreement statistics of each year in columns, side by side, per group.

    Parameters
    ----------
    pairs : pandas.DataFrame
        :func:`compare_values` output with a ``year`` key (e.g. from
        :func:`compare_icpsr_years`).
    names : (str, str)
        The two sources' value columns.
    statistics : sequence of str
        Columns of :func:`agreement_summary` to show (default :data:`SIDE_BY_SIDE`).

    Returns
    -------
    pandas.DataFrame
        ``group, statistic``, one column per year (named by the year as a
        string) and, with two years or more, ``change`` (last year minus first
        year). Each cell is :func:`agreement_summary` of that year and group.
    """
    _require(pairs, ["year", "group"], "side_by_side")
    summary = agreement_summary(pairs, by=("year", "group"), names=names)
    missing = [c for c in statistics if c not in summary.columns]
    if missing:
        raise ValueError(f"side_by_side: unknown statistic(s) {missing}")
    years = sorted(int(y) for y in summary["year"].unique())
    groups = list(dict.fromkeys(pairs["group"]))
    rows = []
    for g in groups:
        for stat in statistics:
            rec = {"group": g, "statistic": stat}
            for y in years:
                cell = summary[(summary["year"] == y) & (summary["group"] == g)]
                rec[str(y)] = float(cell[stat].iloc[0]) if len(cell) else np.nan
            if len(years) > 1:
                rec["change"] = rec[str(years[-1])] - rec[str(years[0])]
            rows.append(rec)
    return pd.DataFrame(rows)
