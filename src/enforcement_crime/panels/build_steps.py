"""Steps shared by the panel builders: timing merge, county names and population, FIPS repairs, sums.

Every function takes and returns DataFrames. Conventions: ``fips`` is the
5-digit county code as a string; a group sum is missing when any part is
missing (an unreported offense never counts as zero); counts are rounded to
whole numbers only at the end of a build.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import NoReturn

import numpy as np
import pandas as pd

from enforcement_crime.panels.manifest import Manifest
from enforcement_crime.panels.states import STATE_POSTAL
from enforcement_crime.schema import DATE_COLUMNS, OFFENSES, REQUIRED_COLUMNS, add_totals_and_rates

#: coverage rules of the agency-file panels (Kaplan): every agency-month, scaled, ICPSR-style imputation
COVERAGE_RULES: tuple[str, ...] = ("full12", "scale", "icpsr")

#: the manifest note of a panel built without timing inputs
TIMING_ABSENT_NOTE = (
    "Treatment timing columns are NaT: the timing inputs (SC, 287(g)) were not available."
)

__all__ = [
    "TIMING_ABSENT_NOTE",
    "empty_timing",
    "attach_timing",
    "county_names",
    "finish_panel",
    "county_population",
    "repair_codes",
    "merge_county_codes",
    "row_failure",
    "check_counts",
    "repair_population",
    "strict_sum",
    "round_counts",
    "modal",
    "rape_count",
]


def empty_timing() -> pd.DataFrame:
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
        manifest.notes.append(TIMING_ABSENT_NOTE)
        timing = empty_timing()
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
            "timing", timing.attrs.get("rule", "county timing frame passed in (panels.timing)")
        )
        timing = timing[need].copy()
    timing["fips"] = timing["fips"].astype("string")
    out = out.merge(timing, on="fips", how="left", validate="many_to_one")
    for c in DATE_COLUMNS:
        out[c] = pd.to_datetime(out[c]).astype("datetime64[ns]")
    out["g287_model"] = out["g287_model"].astype("string")
    return out


def county_names(crosswalk: pd.DataFrame | None, population: pd.DataFrame | None) -> pd.Series:
    names = pd.Series(dtype="string")
    if population is not None and "county_name" in population:
        names = (
            population.dropna(subset=["county_name"])
            .drop_duplicates("fips", keep="last")
            .set_index("fips")["county_name"]
        )
    if crosswalk is not None and "county_name" in crosswalk:
        cw = modal(crosswalk.dropna(subset=["fips", "county_name"]), ["fips"], "county_name")
        cw = cw.str.title()
        names = names.combine_first(cw) if len(names) else cw
    return names.astype("string")


def finish_panel(df: pd.DataFrame, source: str, names: pd.Series) -> pd.DataFrame:
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


def county_population(population: pd.DataFrame) -> pd.DataFrame:
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
    return repair_population(pop.rename(columns={"population": "county_population"}))


def repair_codes(df: pd.DataFrame, manifest: Manifest, col: str = "fips") -> pd.DataFrame:
    """Recode agency-level county codes with :func:`enforcement_crime.panels.fips.repair_fips`'s rules.

    Agency rows share counties, so the rules are applied to the distinct codes
    and mapped back. Rows whose code is no Census county (2000-2020) and no
    rule's are dropped and counted in the manifest. The number of rows
    recoded per rule goes to ``manifest.reports["fips_repairs"]``.
    """
    from enforcement_crime.panels.fips import is_known_county, repair_fips

    known = is_known_county(df[col].astype("string"))
    manifest.drop(
        "county FIPS code is no Census county (2000-2020) and no repair rule's", int((~known).sum())
    )
    out = df[known].copy()
    codes = sorted(set(out[col].astype(str).unique().tolist()))
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


def merge_county_codes(df: pd.DataFrame, manifest: Manifest, sums: Iterable[str]) -> pd.DataFrame:
    """Drop county-year rows whose code is no county, then merge counties by the FIPS rules.

    A ``fips`` that is no Census county (2000-2020) and no repair rule's is
    dropped and recorded; :func:`enforcement_crime.panels.fips.repair_fips`
    then recodes the rest, and county-years it puts on one code are merged:
    ``sums`` summed (missing when every part is), ``coverage`` the minimum,
    ``no_data`` the maximum. The merged rows go to ``manifest.aggregated``,
    the rows each rule changed to ``manifest.reports["fips_repairs"]``.
    """
    from enforcement_crime.panels.fips import is_known_county, repair_fips

    known = is_known_county(df["fips"])
    manifest.drop(
        "county FIPS code is no Census county (2000-2020) and no repair rule's",
        int((~known).sum()),
    )
    df = df[known].reset_index(drop=True)
    agg = {**{c: "sum" for c in sums}, "coverage": "min", "no_data": "max"}
    n_before = len(df)
    df, report = repair_fips(df, agg=agg)
    manifest.aggregated += n_before - len(df)
    changed = report[report["rows_changed"] > 0]
    if len(changed):
        manifest.reports["fips_repairs"] = {
            r.rule: int(r.rows_changed) for r in changed.itertuples()
        }
    manifest.rules["fips_repair"] = (
        "enforcement_crime.panels.fips rules; merged counties summed, coverage the minimum"
    )
    return df


def repair_population(pop: pd.DataFrame) -> pd.DataFrame:
    """Census population on repaired codes (merged codes summed, e.g. Bedford city into Bedford County)."""
    from enforcement_crime.panels.fips import is_known_county, repair_fips

    p = pop[is_known_county(pop["fips"])]
    rep, _ = repair_fips(p[["fips", "year", "county_population"]], agg={"county_population": "sum"})
    return rep[["fips", "year", "county_population"]].astype({"fips": "string", "year": "int64"})


def strict_sum(df: pd.DataFrame, by: list[str], cols: Iterable[str]) -> pd.DataFrame:
    """Group sums that are missing when any part is missing (an unreported offense never counts as zero)."""
    cols = list(cols)
    g = df.groupby(by, sort=True, dropna=False)
    sums = g[cols].sum(min_count=1)
    anyna = df[cols].isna().groupby([df[b] for b in by], sort=True, dropna=False).any()
    for c in cols:
        sums[c] = sums[c].astype("Float64").mask(anyna[c].to_numpy())
    return sums.reset_index()


def round_counts(df: pd.DataFrame, cols: Iterable[str]) -> pd.DataFrame:
    for c in cols:
        df[c] = df[c].astype("Float64").round().astype("Int64")
    return df


def modal(df: pd.DataFrame, keys: list[str], value: str) -> pd.Series:
    """The most frequent ``value`` per ``keys`` (ties: the smallest value), as a Series indexed by ``keys``."""
    n = df.groupby([*keys, value]).size().rename("_n").reset_index()
    n = n.sort_values([*keys, "_n", value], ascending=[True] * len(keys) + [False, True])
    return n.drop_duplicates(keys).set_index(keys)[value]


def rape_count(df: pd.DataFrame, year_revised: int = 2013) -> pd.Series:
    """Rape count: revised definition from 2013 where reported, else the legacy definition."""
    revised = df["rape_revised"].astype("Float64")
    legacy = df["rape_legacy"].astype("Float64")
    use_rev = (df["year"] >= year_revised) & revised.notna()
    return revised.where(use_rev, legacy)


def row_failure(df: pd.DataFrame, name: str, keys: list[str]) -> Callable[..., NoReturn]:
    """A panel validator's ``fail(col, what, bad)``: raise ``ValueError`` naming the rows.

    The message reads ``"<name>: column '<col>': <what>; rows (<keys>) [...]"``
    with the keys of the first five rows where ``bad`` (a boolean mask over
    ``df``'s rows; missing counts as bad) is True.
    """

    def fail(col: str, what: str, bad) -> NoReturn:
        bad = np.asarray(pd.Series(bad, index=df.index).fillna(True), dtype=bool)
        rows = df.loc[bad, keys].head(5).astype(str).to_numpy()
        raise ValueError(
            f"{name}: column {col!r}: {what}; rows ({', '.join(keys)}) {[tuple(r) for r in rows]}"
        )

    return fail


def check_counts(
    df: pd.DataFrame, cols: Iterable[str], name: str, fail: Callable[..., NoReturn]
) -> None:
    """Each count column of an integer dtype and never negative (``fail`` names the rows)."""
    for c in cols:
        s = df[c]
        if not pd.api.types.is_integer_dtype(s):
            raise ValueError(f"{name}: column {c!r}: expected integer counts, got {s.dtype}")
        if (s < 0).fillna(False).any():
            fail(c, "expected counts >= 0", (s < 0).fillna(False))
