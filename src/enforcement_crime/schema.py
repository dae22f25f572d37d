"""The county-year and city-year panel schemas (pandera), shared by synthetic and real data.

Every county-year panel builder (synthetic or real) returns a frame that passes
:func:`validate_panel` (schema :data:`COUNTY_YEAR`); every city-year panel
passes :func:`validate_city_panel` (schema :data:`CITY_YEAR`). A failure raises
:class:`PanelSchemaError` naming the panel (or file), the column, the rule
that broke, what was expected and the offending rows (key values), so a user
can find the bad record in the source.

Columns
-------
Keys
    County-year: ``fips`` (5-character county FIPS string, e.g. ``"37119"``),
    ``year`` (int), unique and non-null together. City-year: ``city_id``
    (LEAIC ORI7 where matched) and ``year``, unique and non-null together;
    the city panel also has ``city`` (name) and ``ori``, and its ``fips`` is
    the city's county (5 digits, repeated across the cities of a county).
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
    ``violent_rate``, ``property_rate``, ``index_rate`` (relative tolerance 1e-6),
    each in ``[0, RATE_CEILING]`` (:data:`RATE_CEILING`) or missing; and one
    rate per offense, ``murder_rate`` ... ``motor_vehicle_theft_rate``
    (:data:`OFFENSE_RATE_COLUMNS`: made by :func:`add_totals_and_rates`,
    checked when present, not required of panels built before they existed).
Coverage
    ``coverage`` (float in [0, 100], share of the county population covered by
    reporting agencies weighted by months reported, ICPSR's CI; NaN when
    unknown) and ``months_reported`` (nullable ``Int64`` in [0, 12]).
Treatment timing (``datetime64``, NaT when never; one value per county or city)
    ``sc_activation_date`` (Secure Communities activation), ``g287_start`` and
    ``g287_end`` (first 287(g) agreement and its end), ``g287_model``
    (``"jail"``, ``"task force"``, ``"both"`` or missing).
Provenance
    ``source`` (non-empty string naming the builder and inputs) and
    ``is_synthetic`` (bool, constant within a panel).

Further columns (covariates, true effects of synthetic data) are allowed.

Notes
-----
Both schemas are :class:`pandera.pandas.DataFrameSchema` objects built by one
function, so each rule is written once. Every rule is a named pandera check
whose name is a rule id (``"<column>.<rule>"``, e.g. ``"violent.sum"``); the
schema's ``metadata["rules"]`` maps each id to the column an error names and
what was expected, in *reporting order*. Validation is lazy (every rule runs);
the error names the first broken rule in that order, because one bad cell
breaks several rules (a wrong ``violent`` breaks ``index`` and
``violent_rate`` too, a zero population every rate) and the first one is the
cause. The other broken rules are listed one line each. The same rule functions
first run directly on the frame, judged strictly (:func:`_all_hold`): a frame
they all pass is valid without pandera's fixed costs per check, and any other
frame goes through pandera, which gives the verdict and the report.

pandera expresses every rule here; the only hand-written code is the
message (pandera's own is a JSON dump without the key values of the rows).
Dtype rules that accept a *family* of dtypes (any integer dtype, any
datetime64 unit, all-missing counts of any dtype) are checks on the column
rather than pandera ``dtype=`` declarations, which pin one exact dtype. The
value rules are small vectorised checks that coerce to numbers first, rather
than pandera's built-in ``Check.ge`` / ``Check.in_range``, which raise on a
column of text instead of naming the rows that are not numbers.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaError, SchemaErrorReason, SchemaErrors

__all__ = [
    "PanelSchemaError",
    "OFFENSES",
    "VIOLENT",
    "PROPERTY",
    "TOTALS",
    "COUNT_COLUMNS",
    "RATE_COLUMNS",
    "OFFENSE_RATE_COLUMNS",
    "OUTCOME_RATE_COLUMNS",
    "DATE_COLUMNS",
    "REQUIRED_COLUMNS",
    "CITY_REQUIRED_COLUMNS",
    "G287_MODELS",
    "RATE_CEILING",
    "COUNTY_YEAR",
    "CITY_YEAR",
    "add_totals_and_rates",
    "add_offense_rates",
    "validate_panel",
    "validate_city_panel",
]

VIOLENT: tuple[str, ...] = ("murder", "rape", "robbery", "aggravated_assault")
PROPERTY: tuple[str, ...] = ("burglary", "larceny", "motor_vehicle_theft")
OFFENSES: tuple[str, ...] = VIOLENT + PROPERTY
TOTALS: tuple[str, ...] = ("violent", "property", "index")
COUNT_COLUMNS: tuple[str, ...] = OFFENSES + TOTALS
RATE_COLUMNS: tuple[str, ...] = tuple(f"{c}_rate" for c in TOTALS)
#: One rate per 100,000 per UCR offense (murder_rate ... motor_vehicle_theft_rate).
OFFENSE_RATE_COLUMNS: tuple[str, ...] = tuple(f"{c}_rate" for c in OFFENSES)
#: Every rate a design can take as an outcome: the totals' rates, then each offense's.
OUTCOME_RATE_COLUMNS: tuple[str, ...] = RATE_COLUMNS + OFFENSE_RATE_COLUMNS
DATE_COLUMNS: tuple[str, ...] = ("sc_activation_date", "g287_start", "g287_end")
TIMING_COLUMNS: tuple[str, ...] = DATE_COLUMNS + ("g287_model",)
G287_MODELS: frozenset[str] = frozenset({"jail", "task force", "both"})

_IDENTIFIERS: tuple[str, ...] = ("fips", "year", "state_fips", "state", "county_name")
_MEASURES: tuple[str, ...] = (
    ("population",)
    + COUNT_COLUMNS
    + RATE_COLUMNS
    + ("coverage", "months_reported")
    + TIMING_COLUMNS
    + ("source", "is_synthetic")
)
REQUIRED_COLUMNS: tuple[str, ...] = _IDENTIFIERS + _MEASURES
CITY_REQUIRED_COLUMNS: tuple[str, ...] = ("city_id", "city", "ori") + REQUIRED_COLUMNS

_TOTAL_PARTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("violent", VIOLENT),
    ("property", PROPERTY),
    ("index", ("violent", "property")),
)
RATE_CEILING: float = 1_000_000.0
"""Highest rate per 100,000 residents a panel may hold: ten offenses per resident in a year.

Offenses per resident have no hard physical limit (victims need not be
residents), but no real county or city comes near ten a year; a count typed
with extra digits, or a population that lost some, goes far beyond it.
Every rate column (the totals' and, when present, each offense's) is checked
against ``[0, RATE_CEILING]``.
"""

_MAX_ROWS_SHOWN = 5
_MAX_OTHERS_SHOWN = 8
_RATE_RTOL = 1e-6


# ---------------------------------------------------------------------------
# the error
# ---------------------------------------------------------------------------


class PanelSchemaError(ValueError):
    """A panel broke the schema; the message names the panel, column, rule and rows.

    Parameters
    ----------
    column : str
        The offending column (``"fips, year"`` for a key rule, a comma-separated
        list for missing columns).
    expected : str
        What the rule expects.
    rows : pandas.DataFrame, optional
        The offending rows (index: the panel's row labels, named ``row``;
        columns: the key columns and ``column``).
    name : str
        The panel or file, as named in the message.
    check : str, optional
        The rule id (pandera check name), e.g. ``"violent.sum"``.
    others : sequence of str
        One line per further broken rule.
    """

    def __init__(
        self,
        column: str,
        expected: str,
        rows: pd.DataFrame | None = None,
        name: str = "panel",
        *,
        check: str | None = None,
        others: tuple[str, ...] | list[str] = (),
    ):
        self.column = column
        self.expected = expected
        self.rows = rows
        self.check = check
        self.others = tuple(others)
        rule = f" [check {check}]" if check else ""
        msg = f"{name}: column {column!r}: expected {expected}{rule}"
        if rows is not None and len(rows):
            shown = rows.head(_MAX_ROWS_SHOWN)
            msg += f"; {len(rows)} offending row(s), first {len(shown)}:\n{shown.to_string()}"
        if self.others:
            listed = list(self.others[:_MAX_OTHERS_SHOWN])
            if len(self.others) > _MAX_OTHERS_SHOWN:
                listed.append(f"... and {len(self.others) - _MAX_OTHERS_SHOWN} more rule(s)")
            msg += "\nalso broken:\n  " + "\n  ".join(listed)
        super().__init__(msg)


# ---------------------------------------------------------------------------
# totals and rates
# ---------------------------------------------------------------------------


def add_totals_and_rates(df: pd.DataFrame) -> pd.DataFrame:
    """Return a copy with ``violent``, ``property``, ``index`` and every rate per 100,000.

    A total is missing when any of its parts is missing (``min_count`` rule):
    an unreported offense never counts as zero. Rates: the three totals'
    (:data:`RATE_COLUMNS`) and each offense's (:data:`OFFENSE_RATE_COLUMNS`),
    ``count / population * 1e5``, missing where the count is.
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
    return add_offense_rates(out)


def add_offense_rates(df: pd.DataFrame) -> pd.DataFrame:
    """Return a copy with one rate per 100,000 per offense (:data:`OFFENSE_RATE_COLUMNS`)."""
    out = df.copy()
    pop = out["population"].astype("float64")
    for off in OFFENSES:
        out[f"{off}_rate"] = out[off].astype("Float64").astype("float64") / pop * 1e5
    return out


# ---------------------------------------------------------------------------
# check functions (vectorised: a boolean Series, True = row passes; or a bool)
# ---------------------------------------------------------------------------


def _numeric(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s, errors="coerce").astype("float64")


def _fips5(s: pd.Series) -> pd.Series:
    return s.astype("string").str.fullmatch(r"\d{5}").fillna(False).astype(bool)


def _integer_dtype(s: pd.Series) -> bool:
    return bool(pd.api.types.is_integer_dtype(s))


def _integer_dtype_or_all_missing(s: pd.Series) -> bool:
    return bool(pd.api.types.is_integer_dtype(s) or s.isna().all())


def _numeric_dtype(s: pd.Series) -> bool:
    return bool(pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s))


def _whole(s: pd.Series) -> pd.Series:
    return (_numeric(s) % 1 == 0).astype(bool)


def _positive_whole(s: pd.Series) -> pd.Series:
    num = _numeric(s)
    return ((num > 0) & (num % 1 == 0)).astype(bool)


def _non_negative(s: pd.Series) -> pd.Series:
    num = _numeric(s)
    return ((num >= 0) | s.isna().to_numpy()).astype(bool)


def _in_range(low: float, high: float):
    def check(s: pd.Series) -> pd.Series:
        num = _numeric(s)
        return (num.between(low, high) | s.isna().to_numpy()).astype(bool)

    return check


def _datetime_dtype(s: pd.Series) -> bool:
    return bool(pd.api.types.is_datetime64_any_dtype(s))


def _g287_model_value(s: pd.Series) -> pd.Series:
    return (s.isna() | s.isin(G287_MODELS)).astype(bool)


def _non_empty(s: pd.Series) -> pd.Series:
    return (s.astype("string").str.strip().str.len() > 0).fillna(False).astype(bool)


def _bool_dtype(s: pd.Series) -> bool:
    return bool(pd.api.types.is_bool_dtype(s))


def _constant(s: pd.Series) -> bool:
    return bool(s.nunique(dropna=False) <= 1)


def _state_prefix(df: pd.DataFrame) -> pd.Series:
    got = df["state_fips"].astype("string")
    return (got == df["fips"].astype("string").str[:2]).fillna(False).astype(bool)


def _sum_of(total: str, parts: tuple[str, ...]):
    def check(df: pd.DataFrame) -> pd.Series:
        p = df[list(parts)].astype("Float64")
        expected = p.sum(axis=1, min_count=len(parts)).mask(p.isna().any(axis=1))
        got = df[total].astype("Float64")
        same = (got == expected).fillna(False) | (got.isna() & expected.isna())
        return same.astype(bool)

    return check


def _optional(column: str, fn):
    """A frame check applying the column check ``fn`` to ``column`` when the frame has it."""

    def check(df: pd.DataFrame) -> pd.Series:
        if column not in df:
            return pd.Series(True, index=df.index)
        return fn(df[column])

    return check


def _rate_of(total: str, optional: bool = False):
    def check(df: pd.DataFrame) -> pd.Series:
        if optional and f"{total}_rate" not in df:
            return pd.Series(True, index=df.index)
        expected = df[total].astype("Float64").astype("float64") / _numeric(df["population"]) * 1e5
        got = _numeric(df[f"{total}_rate"])
        ok = np.isclose(got, expected, rtol=_RATE_RTOL, equal_nan=True)
        return pd.Series(ok, index=df.index)

    return check


def _end_after_start(df: pd.DataFrame) -> pd.Series:
    return ~(df["g287_end"] < df["g287_start"]).fillna(False).astype(bool)


def _end_needs_start(df: pd.DataFrame) -> pd.Series:
    return ~(df["g287_end"].notna() & df["g287_start"].isna())


def _model_needs_start(df: pd.DataFrame) -> pd.Series:
    return ~(df["g287_model"].notna() & df["g287_start"].isna())


def _constant_within(unit: str, column: str):
    def check(df: pd.DataFrame) -> pd.Series:
        n = df.groupby(unit, sort=False, dropna=False)[column].nunique(dropna=False)
        return ~df[unit].isin(n.index[n.to_numpy() > 1])

    return check


# ---------------------------------------------------------------------------
# the schemas
# ---------------------------------------------------------------------------


def _all_or_rows(fn):
    """``fn`` answering ``True`` when every row passes, else its row-by-row answer.

    pandera collects failure cases from a row-by-row answer even when nothing failed, which
    costs more than the check itself; a single ``True`` for a clean column skips that, and a
    column with a broken row still gets its rows reported.
    """

    @functools.wraps(fn)
    def check(obj):
        out = fn(obj)
        if isinstance(out, pd.Series) and out.dtype == bool and bool(out.all()):
            return True
        return out

    return check


@dataclass(frozen=True)
class _Rule:
    """How a broken rule is reported: the column named and what was expected.

    ``expected`` may hold ``{dtype}``, filled with the column's dtype.
    """

    column: str
    expected: str


class _Rules:
    """The rules of one schema, kept in reporting order (insertion order), and each check's
    function with the column it reads (``None``: the whole frame), for :func:`_all_hold`."""

    def __init__(self) -> None:
        self.rules: dict[str, _Rule] = {}
        self.functions: list[tuple[str | None, object]] = []

    def add(self, rule_id: str, column: str, expected: str) -> None:
        if rule_id in self.rules:
            raise ValueError(f"duplicate rule id {rule_id!r}")
        self.rules[rule_id] = _Rule(column, expected)

    def check(
        self, rule_id: str, column: str, expected: str, fn, reads: str | None = None
    ) -> pa.Check:
        self.add(rule_id, column, expected)
        self.functions.append((reads, fn))
        return pa.Check(_all_or_rows(fn), name=rule_id, error=expected.replace("{dtype}", "?"))


def _build_schema(city: bool) -> pa.DataFrameSchema:
    """One schema for both unit types; ``city`` switches the key and its wording."""
    unit = "city_id" if city else "fips"
    unit_word = "city" if city else "county"
    rules = _Rules()
    columns: dict[str, pa.Column] = {}
    frame_checks: list[pa.Check] = []

    def column(name: str, *checks: tuple[str, str, object], not_null: str | None = None) -> None:
        """A required column; ``not_null`` is the expectation when missing values are banned."""
        if not_null is not None:
            rules.add(f"{name}.not_null", name, not_null)
        made = [rules.check(f"{name}.{rid}", name, exp, fn, reads=name) for rid, exp, fn in checks]
        columns[name] = pa.Column(nullable=not_null is None, checks=made, required=True)

    def frame(rule_id: str, col: str, expected: str, fn) -> None:
        frame_checks.append(rules.check(rule_id, col, expected, fn))

    what = "city-panel columns" if city else "columns"
    rules.add("missing", "", f"these required {what} to be present")

    # keys and identifiers
    if city:
        column("city_id", not_null="non-missing city identifiers")
        column("city")
        column("ori")
    column(
        "fips",
        ("format", "a 5-digit county FIPS string", _fips5),
        not_null="a 5-digit county FIPS string (not missing)",
    )
    column(
        "year",
        ("dtype", "non-null integers (an integer dtype), got {dtype}", _integer_dtype),
        ("whole", "non-null integers (an integer dtype)", _whole),
        not_null="non-null integers (an integer dtype)",
    )
    rules.add("key.unique", f"{unit}, year", "unique key pairs")
    column("state_fips")
    frame("state_fips.prefix", "state_fips", "the first two digits of fips", _state_prefix)
    column("state")
    column("county_name")

    # population, counts, totals, rates
    column(
        "population",
        ("dtype", "positive integers (a numeric dtype), got {dtype}", _numeric_dtype),
        ("positive", "positive integers", _positive_whole),
        not_null="positive integers (not missing)",
    )
    for col in COUNT_COLUMNS:
        column(
            col,
            (
                "dtype",
                "a nullable integer count (dtype Int64), got {dtype}",
                _integer_dtype_or_all_missing,
            ),
            ("non_negative", "non-negative counts", _non_negative),
        )
    for total, parts in _TOTAL_PARTS:
        frame(
            f"{total}.sum",
            total,
            f"the sum of {', '.join(parts)} (missing if any part is missing)",
            _sum_of(total, parts),
        )
    rate_range = (
        f"a rate per 100,000 in [0, {RATE_CEILING:,.0f}] (at most ten offenses per resident) "
        "or missing"
    )
    for col in RATE_COLUMNS:
        column(col, ("range", rate_range, _in_range(0, RATE_CEILING)))
        total = col.removesuffix("_rate")
        frame(f"{col}.derived", col, f"{total} / population * 100,000", _rate_of(total))
    for col in OFFENSE_RATE_COLUMNS:  # checked when present (older panels lack them)
        off = col.removesuffix("_rate")
        frame(f"{col}.range", col, rate_range, _optional(col, _in_range(0, RATE_CEILING)))
        frame(f"{col}.derived", col, f"{off} / population * 100,000", _rate_of(off, optional=True))

    # coverage
    column("coverage", ("range", "a number in [0, 100] or missing", _in_range(0, 100)))
    column(
        "months_reported",
        (
            "dtype",
            "nullable integers in [0, 12] (an integer dtype), got {dtype}",
            _integer_dtype_or_all_missing,
        ),
        ("range", "nullable integers in [0, 12]", _in_range(0, 12)),
    )

    # treatment timing
    for col in DATE_COLUMNS:
        column(
            col,
            ("dtype", "a datetime64 column (NaT when never treated), got {dtype}", _datetime_dtype),
        )
    frame("g287_end.order", "g287_end", "an end date on or after g287_start", _end_after_start)
    frame("g287_end.needs_start", "g287_end", "no end date without a g287_start", _end_needs_start)
    column(
        "g287_model",
        ("value", f"one of {sorted(G287_MODELS)} or missing", _g287_model_value),
    )
    frame(
        "g287_model.needs_start",
        "g287_model",
        "missing where g287_start is missing",
        _model_needs_start,
    )
    attribute = (
        "one value per city (timing is a city attribute, from its county)"
        if city
        else "one value per county (timing is a county attribute)"
    )
    for col in TIMING_COLUMNS:
        frame(f"{col}.per_{unit_word}", col, attribute, _constant_within(unit, col))

    # provenance
    column(
        "source",
        ("non_empty", "a non-empty source string", _non_empty),
        not_null="a non-empty source string",
    )
    column(
        "is_synthetic",
        ("dtype", "a bool column, constant within the panel; got {dtype}", _bool_dtype),
        ("constant", "a bool column, constant within the panel", _constant),
    )

    # the reporting order: keys first, then the rest in the order of the rules
    return pa.DataFrameSchema(
        columns,
        checks=frame_checks,
        unique=[unit, "year"],
        strict=False,
        ordered=False,
        name=f"{unit_word}-year panel",
        metadata={
            "rules": rules.rules,
            "functions": rules.functions,
            "show": ("city_id", "city", "year") if city else ("fips", "year"),
        },
    )


COUNTY_YEAR: pa.DataFrameSchema = _build_schema(city=False)
"""The county-year panel schema (key ``fips``, ``year``); see the module docstring."""

CITY_YEAR: pa.DataFrameSchema = _build_schema(city=True)
"""The city-year panel schema (key ``city_id``, ``year``; ``fips`` is the city's county)."""


# ---------------------------------------------------------------------------
# validation and the readable error
# ---------------------------------------------------------------------------


def validate_panel(df: pd.DataFrame, name: str = "panel") -> pd.DataFrame:
    """Check ``df`` against the county-year schema :data:`COUNTY_YEAR` and return it unchanged.

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
        Naming the first broken rule (column, rule id, expectation and the
        offending rows with their keys) and listing any other broken rule.
    """
    _validate(COUNTY_YEAR, df, name)
    return df


def validate_city_panel(df: pd.DataFrame, name: str = "city panel") -> pd.DataFrame:
    """Check ``df`` against the city-year schema :data:`CITY_YEAR` and return it unchanged.

    The city schema is the county schema with the key ``(city_id, year)``
    and the columns ``city_id`` (non-missing), ``city`` and ``ori``; ``fips``
    is the city's county (a 5-digit FIPS that may repeat within a year) and
    the treatment timing must be constant within each city.

    Parameters
    ----------
    df : pandas.DataFrame
        A city-year panel.
    name : str
        How the panel is named in error messages (e.g. a file name).

    Returns
    -------
    pandas.DataFrame
        ``df`` itself.

    Raises
    ------
    PanelSchemaError
        As :func:`validate_panel`, the rows shown by ``city_id``, ``city`` and ``year``.
    """
    _validate(CITY_YEAR, df, name)
    return df


def _validate(schema: pa.DataFrameSchema, df: pd.DataFrame, name: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{name}: expected a pandas DataFrame, got {type(df).__name__}")
    # the rules read values only: a view without attrs spares pandas a deep copy of them for
    # every column and intermediate result
    bare = df.copy(deep=False)
    bare.attrs = {}
    if _all_hold(schema, bare):
        return
    # pandera reports rows by index label and its duplicate-key check fails on
    # repeated labels, so validate a view with positions as labels (no data copy)
    view = bare.set_axis(pd.RangeIndex(len(df)), axis=0)
    try:
        schema.validate(view, lazy=True, inplace=True)
    except SchemaErrors as exc:
        raise _readable(exc, df, schema, name) from None


def _all_hold(schema: pa.DataFrameSchema, df: pd.DataFrame) -> bool:
    """Every rule of ``schema`` holds on ``df``, judged at least as strictly as pandera judges it.

    The rules' own functions run once on the frame: required columns present, no missing value
    where banned, every check's rows all passing (a missing value passes only where the check
    itself lets it, never by pandera's leniency for missing values), unique keys. True means
    pandera would pass the frame too; False, or a check that raises, leaves the verdict and the
    report to pandera, which is slower, mostly in fixed costs per check.
    """
    try:
        for name, col in schema.columns.items():
            if name not in df.columns or (not col.nullable and df[name].isna().any()):
                return False
        for reads, fn in schema.metadata["functions"]:
            out = fn(df if reads is None else df[reads])
            if isinstance(out, pd.Series):
                if out.dtype != bool or not out.all():
                    return False
            elif not (isinstance(out, (bool, np.bool_)) and out):
                return False
        return not df.duplicated(subset=list(schema.unique)).any()
    except Exception:  # pandera reports a check that cannot run
        return False


@dataclass
class _Broken:
    rule_id: str
    column: str
    expected: str
    positions: set[int]
    missing: list[str]
    rank: int


def _readable(
    exc: SchemaErrors, df: pd.DataFrame, schema: pa.DataFrameSchema, name: str
) -> PanelSchemaError:
    """Turn pandera's lazy failure cases into one :class:`PanelSchemaError`."""
    rules: dict[str, _Rule] = schema.metadata["rules"]
    order = {rid: k for k, rid in enumerate(rules)}
    broken: dict[str, _Broken] = {}
    for err in exc.schema_errors:
        rule_id = _rule_id(err)
        rule = rules.get(rule_id)
        if rule is None:  # a pandera-internal failure no rule of ours describes
            rule = _Rule(str(err.column_name or "?"), str(err).splitlines()[0])
        expected = rule.expected
        if "{dtype}" in expected and rule.column in df.columns:
            expected = expected.replace("{dtype}", str(df[rule.column].dtype))
        if err.reason_code == SchemaErrorReason.CHECK_ERROR:
            expected += f" (the check could not run: {_first_case(err)})"
        item = broken.setdefault(
            rule_id,
            _Broken(rule_id, rule.column, expected, set(), [], order.get(rule_id, len(order))),
        )
        if err.reason_code == SchemaErrorReason.COLUMN_NOT_IN_DATAFRAME:
            item.missing.append(str(_first_case(err)))
        else:
            item.positions.update(_positions(err, len(df)))
    if "missing" in broken:
        # every other failure is a consequence (checks that need the column)
        miss = broken["missing"]
        cols = [c for c in schema.columns if c in miss.missing]
        return PanelSchemaError(", ".join(cols), miss.expected, name=name, check="missing")
    first, *rest = sorted(broken.values(), key=lambda b: b.rank)
    others = [
        f"column {b.column!r} [check {b.rule_id}]: expected {b.expected}"
        + (f" ({len(b.positions)} row(s))" if b.positions else "")
        for b in rest
    ]
    return PanelSchemaError(
        first.column,
        first.expected,
        _offending(df, first.positions, first.column, schema.metadata["show"]),
        name,
        check=first.rule_id,
        others=others,
    )


def _rule_id(err: SchemaError) -> str:
    if err.reason_code == SchemaErrorReason.COLUMN_NOT_IN_DATAFRAME:
        return "missing"
    if err.reason_code == SchemaErrorReason.DUPLICATES:
        return "key.unique"
    if err.reason_code == SchemaErrorReason.SERIES_CONTAINS_NULLS:
        return f"{err.schema.name}.not_null"
    check = err.check
    return str(check.name if isinstance(check, pa.Check) else check)


def _first_case(err: SchemaError) -> object:
    cases = err.failure_cases
    if isinstance(cases, pd.DataFrame):
        return cases["failure_case"].iloc[0] if len(cases) else None
    return cases


def _positions(err: SchemaError, n: int) -> set[int]:
    """Row positions (the validated view's labels) that broke the rule."""
    out = err.check_output
    if isinstance(out, pd.Series) and len(out) == n and out.dtype == bool:
        return set(np.flatnonzero(~out.to_numpy()).tolist())
    cases = err.failure_cases
    if isinstance(cases, pd.DataFrame) and "index" in cases:
        return {int(i) for i in cases["index"].dropna().unique()}
    return set()  # a rule on the whole column (a dtype): no rows to show


def _offending(
    df: pd.DataFrame, positions: set[int], column: str, show: tuple[str, ...]
) -> pd.DataFrame | None:
    if not positions:
        return None
    cols = [c for c in show if c in df.columns and c != column]
    cols += [c for c in column.split(", ") if c in df.columns and c not in cols]
    rows = df.iloc[sorted(positions)][cols].copy()
    rows.index.name = "row"
    return rows
