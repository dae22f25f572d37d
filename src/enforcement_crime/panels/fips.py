"""County FIPS repairs applied by every panel builder: one documented rule per change.

County codes change over 2000-2020; a county-year panel needs one stable code
per place. :func:`repair_fips` applies the rules in :data:`RULES` (in order)
and returns a report of how many rows each rule changed.

Rules and the choices made
--------------------------
``miami_dade_1997`` (rename)
    Dade County FL 12025 became Miami-Dade 12086 (1997): 12025 -> 12086.
``oglala_lakota_2015`` (rename)
    Shannon County SD 46113 was renamed Oglala Lakota County and recoded
    46102 in 2015. One code for all years: 46113 -> 46102.
``kusilvak_2015`` (rename)
    Wade Hampton Census Area AK 02270 became Kusilvak 02158 (2015): 02270 -> 02158.
``bedford_city_2013`` (merge)
    Bedford city VA 51515 (an independent city) became part of Bedford County
    51019 on 1 July 2013. For a stable unit over the whole panel, the city is
    merged into the county in every year: 51515 -> 51019, rows of the same
    year added together.
``virginia_defunct_cities`` (merge)
    Independent cities that reverted to or merged into a county before the
    study period but still appear in some county frames: Clifton Forge city
    51560 -> Alleghany 51005 (2001), South Boston city 51780 -> Halifax 51083
    (1995), Nansemond city 51695 -> Suffolk city 51800 (1974).
``virginia_independent_cities`` (keep)
    Every other Virginia independent city (51510-51840) stays a separate
    county-equivalent, as in Census and UCR county files. (Merging each city
    into its surrounding county would change crime rates of both, and several
    cities border more than one county.) The rule changes no row; the report
    counts the rows it kept.
``defunct_other`` (merge)
    Washabaugh County SD 46131 -> Jackson 46071 (annexed 1983); Yellowstone
    National Park MT 30113 -> Park County 30067 (annexed 1997 to Gallatin and
    Park; its resident population was a few dozen people, so assigning it
    whole to Park County is immaterial).
``alaska_splits`` (merge into the pre-split unit)
    Alaska census areas that split are kept as the pre-split unit, summing the
    successors: Prince of Wales-Hyder 02198 -> Prince of Wales-Outer Ketchikan
    02201 (2008; the small part that went to Ketchikan Gateway 02130 is not
    reallocated), Skagway 02230 and Hoonah-Angoon 02105 -> Skagway-Hoonah-Angoon
    02232 (2007), Wrangell 02275 and Petersburg 02195 -> Wrangell-Petersburg
    02280 (2008), Chugach 02063 and Copper River 02066 -> Valdez-Cordova 02261
    (2019). Alaska has no county SC dates and few UCR county rows; studies
    usually drop it, which stays the builder's choice.
``broomfield_pre2002`` (flag)
    Broomfield County CO 08014 was created in November 2001 from parts of
    Adams 08001, Boulder 08013, Jefferson 08059 and Weld 08123. No
    reallocation is possible without sub-county data, so 08014 is kept from
    2002 on and rows of 08014 *and of its four parent counties* for years
    before 2002 are flagged ``"broomfield_pre2002"`` in ``fips_repair``
    (their boundaries differ from later years). Builders may drop them; the
    rule changes no code.

Every changed or flagged row keeps its original code in ``fips_original`` and
the rule name in ``fips_repair``. A code that is neither in the Census county
lists 2000-2020 (as shipped by the ``addfips`` package) nor named by a rule
raises :class:`FipsError` naming the rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

__all__ = ["FipsError", "FipsRule", "RULES", "known_county_fips", "repair_fips"]


class FipsError(ValueError):
    """A county FIPS code is malformed or unknown, or a repair would collide."""


@dataclass(frozen=True)
class FipsRule:
    """One documented repair: ``kind`` is ``"rename"``, ``"merge"``, ``"keep"`` or ``"flag"``."""

    name: str
    kind: str
    mapping: dict[str, str]
    description: str


RULES: tuple[FipsRule, ...] = (
    FipsRule(
        "miami_dade_1997", "rename", {"12025": "12086"}, "Dade FL 12025 -> Miami-Dade 12086 (1997)"
    ),
    FipsRule(
        "oglala_lakota_2015",
        "rename",
        {"46113": "46102"},
        "Shannon SD 46113 -> Oglala Lakota 46102 (2015)",
    ),
    FipsRule(
        "kusilvak_2015",
        "rename",
        {"02270": "02158"},
        "Wade Hampton AK 02270 -> Kusilvak 02158 (2015)",
    ),
    FipsRule(
        "bedford_city_2013",
        "merge",
        {"51515": "51019"},
        "Bedford city VA 51515 merged into Bedford County 51019 (2013), all years",
    ),
    FipsRule(
        "virginia_defunct_cities",
        "merge",
        {"51560": "51005", "51780": "51083", "51695": "51800"},
        "Clifton Forge city -> Alleghany (2001), South Boston city -> Halifax (1995), Nansemond -> Suffolk (1974)",
    ),
    FipsRule(
        "virginia_independent_cities",
        "keep",
        {},
        "other Virginia independent cities (51510-51840) kept separate",
    ),
    FipsRule(
        "defunct_other",
        "merge",
        {"46131": "46071", "30113": "30067"},
        "Washabaugh SD -> Jackson (1983); Yellowstone NP MT -> Park (1997)",
    ),
    FipsRule(
        "alaska_splits",
        "merge",
        {
            "02198": "02201",
            "02230": "02232",
            "02105": "02232",
            "02275": "02280",
            "02195": "02280",
            "02063": "02261",
            "02066": "02261",
        },
        "Alaska split census areas kept as the pre-split unit (2007, 2008, 2019)",
    ),
    FipsRule(
        "broomfield_pre2002",
        "flag",
        {"08014": "08014", "08001": "08001", "08013": "08013", "08059": "08059", "08123": "08123"},
        "Broomfield CO 08014 (created Nov 2001) and its parents 08001/08013/08059/08123 flagged before 2002",
    ),
)
BROOMFIELD_FIRST_YEAR = 2002
_EXTRA_KNOWN = {"02063", "02066", "02130", "12025", "30113", "46131", "51560", "51780", "51695"}


@lru_cache(maxsize=1)
def known_county_fips() -> frozenset[str]:
    """Every county code in the Census county lists 2000, 2010, 2015, 2020 (``addfips`` data) plus those named by rules."""
    codes: set[str] = set()
    base = resources.files("addfips") / "data"
    for year in (2000, 2010, 2015, 2020):
        with resources.as_file(base / f"counties_{year}.csv") as p:
            t = pd.read_csv(p, dtype=str)
        codes.update((t["statefp"].str.zfill(2) + t["countyfp"].str.zfill(3)).tolist())
    for rule in RULES:
        codes.update(rule.mapping)
        codes.update(rule.mapping.values())
    return frozenset(codes | _EXTRA_KNOWN)


@lru_cache(maxsize=1)
def _known_county_array():
    import pyarrow as pa

    return pa.array(sorted(known_county_fips()), type=pa.string())


def is_known_county(codes: pd.Series) -> np.ndarray:
    """``codes.isin(known_county_fips())`` as a boolean array (a missing code is not known).

    A column of a string dtype is looked up in one pyarrow set lookup; pandas' ``isin`` turns
    each of the thousands of known codes into a scalar first, at every call. Any other dtype
    goes through ``isin`` itself (so, as there, the number 37001 is not the code ``"37001"``).
    """
    if not isinstance(codes.dtype, pd.StringDtype):
        return codes.isin(known_county_fips()).to_numpy(dtype=bool)
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pa.array(codes.to_numpy(dtype=object, na_value=None), type=pa.string())
    return pc.is_in(arr, value_set=_known_county_array()).to_numpy(zero_copy_only=False)


def _agg_min_count(s: pd.Series) -> object:
    return s.sum(min_count=len(s)) if s.notna().all() else pd.NA


def repair_fips(
    df: pd.DataFrame,
    fips_col: str = "fips",
    year_col: str | None = "year",
    agg: dict[str, str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Apply :data:`RULES` to a county frame.

    Parameters
    ----------
    df : pandas.DataFrame
        Rows keyed by ``fips_col`` (5-digit strings) and, when given, ``year_col``.
    fips_col, year_col : str
        Key columns. ``year_col=None`` for one-row-per-county frames (timing);
        the Broomfield flag then applies to no row.
    agg : dict, optional
        How to combine columns when a merge puts two rows on one key:
        ``{"column": "sum" | "min" | "max" | "first"}``. ``"sum"`` is missing
        when any part is missing (an unreported count never counts as zero).
        Columns not named take the first non-missing value, looking first at
        the row that already had the target code. Without ``agg`` a
        collision raises. Rows that do not collide are left as they are.

    Returns
    -------
    repaired : pandas.DataFrame
        The frame with codes repaired, one row per key, plus ``fips_original``
        (the input code) and ``fips_repair`` (the rule that changed or flagged
        the row; missing otherwise). Index reset; sorted by the keys when
        rows were merged, else in input order.
    report : pandas.DataFrame
        One row per rule: ``rule``, ``kind``, ``rows_changed`` (rows recoded
        or flagged; for ``keep``, rows kept as they are), ``rows_collapsed``
        (rows removed by merging into another row of the same key),
        ``description``.

    Raises
    ------
    FipsError
        Malformed or unknown codes (naming the rows), or a collision without
        ``agg``.
    """
    if fips_col not in df.columns:
        raise FipsError(f"repair_fips: no column {fips_col!r}")
    out = df.copy()
    fips = out[fips_col].astype("string")
    bad = ~fips.str.fullmatch(r"\d{5}").fillna(False)
    if bad.any():
        raise FipsError(
            f"repair_fips: column {fips_col!r}: expected 5-digit county FIPS strings; rows {list(out.index[bad.to_numpy()][:10])} "
            f"hold {fips[bad].head(5).tolist()}"
        )
    unknown = ~is_known_county(fips)
    if unknown.any():
        rows = out.loc[unknown, [c for c in (fips_col, year_col) if c]]
        raise FipsError(
            f"repair_fips: column {fips_col!r}: {int(unknown.sum())} row(s) with a code that is no county in the "
            f"Census lists 2000-2020 and is named by no rule:\n{rows.head(10).to_string()}"
        )
    out["fips_original"] = fips
    out["fips_repair"] = pd.Series(pd.NA, index=out.index, dtype="string")
    report = []
    present = set(out[fips_col].unique().tolist())  # the codes held now: rules skip absent codes
    for rule in RULES:
        changed = 0
        if rule.kind in ("rename", "merge"):
            for old, new in rule.mapping.items():
                if old not in present:
                    continue
                present.discard(old)
                present.add(new)
                m = (out[fips_col] == old).to_numpy()
                out.loc[m, fips_col] = new
                out.loc[m, "fips_repair"] = rule.name
                changed += int(m.sum())
        elif rule.kind == "keep":
            changed = int(
                out[fips_col].astype("string").str.fullmatch(r"51[5-8]\d\d").fillna(False).sum()
            )
        elif rule.kind == "flag" and year_col is not None:
            m = (
                out[fips_col].isin(list(rule.mapping)) & (out[year_col] < BROOMFIELD_FIRST_YEAR)
            ).to_numpy()
            out.loc[m & out["fips_repair"].isna().to_numpy(), "fips_repair"] = rule.name
            changed = int(m.sum())
        report.append(
            {
                "rule": rule.name,
                "kind": rule.kind,
                "rows_changed": changed,
                "rows_collapsed": 0,
                "description": rule.description,
            }
        )
    report = pd.DataFrame(report)

    keys = [fips_col] + ([year_col] if year_col else [])
    dup = out.duplicated(keys, keep=False)
    if dup.any():
        if agg is None:
            raise FipsError(
                "repair_fips: merging codes put several rows on one key and no `agg` was given:\n"
                f"{out.loc[dup.to_numpy(), keys + ['fips_original']].head(10).to_string()}"
            )
        # only the colliding rows are combined; the row that already had the target code comes first
        single, multi = out[~dup.to_numpy()], out[dup.to_numpy()].copy()
        multi["_target_first"] = (multi["fips_original"] != multi[fips_col]).astype(int)
        multi["_order"] = range(len(multi))
        multi = multi.sort_values(keys + ["_target_first", "_order"], kind="stable")
        collapsed = multi.groupby(keys, sort=False).cumcount() > 0
        for rule_name, n in multi.loc[collapsed.to_numpy(), "fips_repair"].value_counts().items():
            report.loc[report["rule"] == rule_name, "rows_collapsed"] = int(n)
        spec: dict[str, object] = {
            c: "first" for c in multi.columns if c not in keys
        }  # first non-missing
        for col, how in agg.items():
            if col not in multi.columns:
                raise FipsError(f"repair_fips: agg names column {col!r}, which is not in the frame")
            spec[col] = _agg_min_count if how == "sum" else how
        merged = multi.groupby(keys, sort=False).agg(spec).reset_index()
        merged = merged.drop(columns=["_target_first", "_order"]).astype(
            {
                c: single[c].dtype
                for c in single.columns
                if c in merged.columns and c != "fips_repair"
            },
            errors="ignore",
        )
        out = pd.concat([single, merged[single.columns]], ignore_index=True)
        out = out.sort_values(keys, kind="stable")
        out["fips_original"] = out["fips_original"].astype("string")
        out["fips_repair"] = out["fips_repair"].astype("string")
    out = out.reset_index(drop=True)
    out[fips_col] = out[fips_col].astype("string")
    cols = [c for c in df.columns] + ["fips_original", "fips_repair"]
    return out[cols], report
