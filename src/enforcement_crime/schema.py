"""The one county-year panel schema shared by synthetic and real data.

Every panel builder (synthetic or real) returns a frame that passes
:func:`validate_panel`. A failure raises :class:`PanelSchemaError` naming the
column, what was expected and the offending rows (key values), so a user can
find the bad record in the source.

Columns
-------
Keys
    ``fips`` (5-character county FIPS string, e.g. ``"37119"``), ``year`` (int).
    Unique and non-null together.
Identifiers
    ``state_fips`` (2 characters, the first two of ``fips``), ``state`` (postal
    abbreviation), ``county_name``.
Counts (nullable ``Int64``, non-negative; missing means *unreported*, never zero)
    ``murder``, ``rape``, ``robbery``, ``aggravated_assault``, ``burglary``,
    ``larceny``, ``motor_vehicle_theft`` and the totals ``violent``
    (murder + rape + robbery + aggravated assault), ``property`` (burglary +
    larceny + motor-vehicle theft) and ``index`` (violent + property).
Population
    ``population`` (positive integer).
Rates (float, per 100,000 residents, derived as ``count / population * 1e5``)
    ``violent_rate``, ``property_rate``, ``index_rate``.
Coverage
    ``coverage`` (float in [0, 100], share of the county population covered by
    reporting agencies weighted by months reported, ICPSR's CI; NaN when
    unknown) and ``months_reported`` (nullable ``Int64`` in [0, 12]).
Treatment timing (``datetime64[ns]``, NaT when never)
    ``sc_activation_date`` (Secure Communities activation), ``g287_start`` and
    ``g287_end`` (first 287(g) agreement and its end), ``g287_model``
    (``"jail"``, ``"task force"``, ``"both"`` or missing).
Provenance
    ``source`` (string naming the builder and inputs) and ``is_synthetic``
    (bool, constant within a panel).

Further columns (covariates, true effects of synthetic data) are allowed.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

__all__ = [
    "PanelSchemaError",
    "OFFENSES",
    "VIOLENT",
    "PROPERTY",
    "COUNT_COLUMNS",
    "RATE_COLUMNS",
    "REQUIRED_COLUMNS",
    "G287_MODELS",
    "add_totals_and_rates",
    "validate_panel",
]

VIOLENT: tuple[str, ...] = ("murder", "rape", "robbery", "aggravated_assault")
PROPERTY: tuple[str, ...] = ("burglary", "larceny", "motor_vehicle_theft")
OFFENSES: tuple[str, ...] = VIOLENT + PROPERTY
TOTALS: tuple[str, ...] = ("violent", "property", "index")
COUNT_COLUMNS: tuple[str, ...] = OFFENSES + TOTALS
RATE_COLUMNS: tuple[str, ...] = tuple(f"{c}_rate" for c in TOTALS)
DATE_COLUMNS: tuple[str, ...] = ("sc_activation_date", "g287_start", "g287_end")
G287_MODELS: frozenset[str] = frozenset({"jail", "task force", "both"})

REQUIRED_COLUMNS: tuple[str, ...] = (
    ("fips", "year", "state_fips", "state", "county_name", "population")
    + COUNT_COLUMNS
    + RATE_COLUMNS
    + ("coverage", "months_reported")
    + DATE_COLUMNS
    + ("g287_model", "source", "is_synthetic")
)

_MAX_ROWS_SHOWN = 5
_RATE_RTOL = 1e-6


class PanelSchemaError(ValueError):
    """A panel broke the schema; the message names the column and the rows."""

    def __init__(
        self, column: str, expected: str, rows: pd.DataFrame | None = None, name: str = "panel"
    ):
        self.column = column
        self.expected = expected
        self.rows = rows
        msg = f"{name}: column {column!r}: expected {expected}"
        if rows is not None and len(rows):
            shown = rows.head(_MAX_ROWS_SHOWN)
            msg += f"; {len(rows)} offending row(s), first {len(shown)}:\n{shown.to_string()}"
        super().__init__(msg)


def add_totals_and_rates(df: pd.DataFrame) -> pd.DataFrame:
    """Return a copy with ``violent``, ``property``, ``index`` and their rates per 100,000.

    A total is missing when any of its parts is missing (``min_count`` rule):
    an unreported offense never counts as zero.
    """
    out = df.copy()
    for total, parts in (("violent", VIOLENT), ("property", PROPERTY)):
        out[total] = out[list(parts)].astype("Int64").sum(axis=1, min_count=len(parts))
        out.loc[out[list(parts)].isna().any(axis=1), total] = pd.NA
        out[total] = out[total].astype("Int64")
    out["index"] = (out["violent"] + out["property"]).astype("Int64")
    pop = out["population"].astype("float64")
    for total in TOTALS:
        out[f"{total}_rate"] = out[total].astype("Float64").astype("float64") / pop * 1e5
    return out


def _offending(df: pd.DataFrame, mask: Iterable[bool], column: str) -> pd.DataFrame:
    mask = np.asarray(mask, dtype=bool)
    cols = [c for c in ("fips", "year") if c in df.columns and c != column] + [column]
    rows = df.loc[mask, cols].copy()
    rows.index.name = "row"
    return rows


def validate_panel(df: pd.DataFrame, name: str = "panel") -> pd.DataFrame:
    """Check ``df`` against the county-year schema and return it unchanged.

    Parameters
    ----------
    df : pandas.DataFrame
        A county-year panel.
    name : str
        How the panel is named in error messages (e.g. a file name).

    Returns
    -------
    pandas.DataFrame
        ``df`` itself, so calls can be chained.

    Raises
    ------
    PanelSchemaError
        On the first broken rule, naming the column, the rule and the rows.
    """
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise PanelSchemaError(
            ", ".join(missing), "these required columns to be present", name=name
        )

    # keys
    fips = df["fips"]
    bad = fips.isna() | ~fips.astype("string").str.fullmatch(r"\d{5}").fillna(False).astype(bool)
    if bad.any():
        raise PanelSchemaError(
            "fips", "a 5-digit county FIPS string", _offending(df, bad, "fips"), name
        )
    if not pd.api.types.is_integer_dtype(df["year"]) or df["year"].isna().any():
        bad = df["year"].isna() | (pd.to_numeric(df["year"], errors="coerce") % 1 != 0)
        raise PanelSchemaError(
            "year", "non-null integers (an integer dtype)", _offending(df, bad, "year"), name
        )
    dup = df.duplicated(["fips", "year"], keep=False)
    if dup.any():
        raise PanelSchemaError("fips, year", "unique key pairs", _offending(df, dup, "year"), name)
    bad = df["state_fips"].astype("string") != fips.astype("string").str[:2]
    if bad.fillna(True).any():
        raise PanelSchemaError(
            "state_fips",
            "the first two digits of fips",
            _offending(df, bad.fillna(True), "state_fips"),
            name,
        )

    # population
    pop = pd.to_numeric(df["population"], errors="coerce")
    bad = pop.isna() | (pop <= 0) | (pop % 1 != 0)
    if bad.any():
        raise PanelSchemaError(
            "population", "positive integers", _offending(df, bad, "population"), name
        )

    # counts
    for col in COUNT_COLUMNS:
        s = df[col]
        if not (pd.api.types.is_integer_dtype(s) or s.isna().all()):
            numeric = pd.to_numeric(s, errors="coerce")
            bad = (numeric.isna() & s.notna()) | (numeric % 1 != 0)
            raise PanelSchemaError(
                col,
                f"a nullable integer count (dtype Int64), got {s.dtype}",
                _offending(df, bad.fillna(False), col),
                name,
            )
        bad = (s < 0).fillna(False)
        if bad.any():
            raise PanelSchemaError(col, "non-negative counts", _offending(df, bad, col), name)
    for total, parts in (
        ("violent", VIOLENT),
        ("property", PROPERTY),
        ("index", ("violent", "property")),
    ):
        expected = df[list(parts)].astype("Float64").sum(axis=1, min_count=len(parts))
        expected[df[list(parts)].isna().any(axis=1)] = pd.NA
        bad = (df[total].astype("Float64") != expected).fillna(False) | (
            df[total].isna() != expected.isna()
        )
        if bad.any():
            raise PanelSchemaError(
                total,
                f"the sum of {', '.join(parts)} (missing if any part is missing)",
                _offending(df, bad, total),
                name,
            )

    # rates
    for col in RATE_COLUMNS:
        total = col.removesuffix("_rate")
        expected = df[total].astype("Float64").astype("float64") / pop * 1e5
        got = pd.to_numeric(df[col], errors="coerce").astype("float64")
        bad = ~np.isclose(got, expected, rtol=_RATE_RTOL, equal_nan=True)
        if bad.any():
            raise PanelSchemaError(
                col, f"{total} / population * 100,000", _offending(df, bad, col), name
            )

    # coverage
    cov = pd.to_numeric(df["coverage"], errors="coerce")
    bad = ((cov < 0) | (cov > 100)).fillna(False) | (cov.isna() & df["coverage"].notna())
    if bad.any():
        raise PanelSchemaError(
            "coverage", "a number in [0, 100] or missing", _offending(df, bad, "coverage"), name
        )
    months = df["months_reported"]
    bad = ((months < 0) | (months > 12)).fillna(False)
    if bad.any() or not (pd.api.types.is_integer_dtype(months) or months.isna().all()):
        raise PanelSchemaError(
            "months_reported",
            "nullable integers in [0, 12]",
            _offending(df, bad, "months_reported"),
            name,
        )

    # treatment timing
    for col in DATE_COLUMNS:
        if not pd.api.types.is_datetime64_any_dtype(df[col]):
            raise PanelSchemaError(
                col, f"a datetime64 column (NaT when never treated), got {df[col].dtype}", name=name
            )
    bad = (df["g287_end"] < df["g287_start"]).fillna(False)
    if bad.any():
        raise PanelSchemaError(
            "g287_end", "an end date on or after g287_start", _offending(df, bad, "g287_end"), name
        )
    bad = df["g287_end"].notna() & df["g287_start"].isna()
    if bad.any():
        raise PanelSchemaError(
            "g287_end", "no end date without a g287_start", _offending(df, bad, "g287_end"), name
        )
    model = df["g287_model"]
    bad = model.notna() & ~model.isin(G287_MODELS)
    if bad.any():
        raise PanelSchemaError(
            "g287_model",
            f"one of {sorted(G287_MODELS)} or missing",
            _offending(df, bad, "g287_model"),
            name,
        )
    bad = model.notna() & df["g287_start"].isna()
    if bad.any():
        raise PanelSchemaError(
            "g287_model",
            "missing where g287_start is missing",
            _offending(df, bad, "g287_model"),
            name,
        )
    for col in ("sc_activation_date", "g287_start", "g287_end", "g287_model"):
        varies = df.groupby("fips", sort=False)[col].nunique(dropna=False) > 1
        if varies.any():
            bad = df["fips"].isin(varies[varies].index)
            raise PanelSchemaError(
                col,
                "one value per county (timing is a county attribute)",
                _offending(df, bad, col),
                name,
            )

    # provenance
    if df["source"].isna().any():
        raise PanelSchemaError(
            "source",
            "a non-empty source string",
            _offending(df, df["source"].isna(), "source"),
            name,
        )
    if not pd.api.types.is_bool_dtype(df["is_synthetic"]) or df["is_synthetic"].nunique() > 1:
        raise PanelSchemaError(
            "is_synthetic", "a bool column, constant within the panel", name=name
        )
    return df
