"""The fast panel preparation gives the same frame, drops and errors as a plain pandas version.

:func:`prepare_panel` builds the estimation frame on arrays because every fit
calls it (inference loops and robustness tables call it hundreds of times).
``reference_prepare`` below is the straightforward pandas formulation of the
same rules (column by column assignment, ``sort_values``, ``groupby``); both
must agree exactly, column order and dtypes included, on panels with string,
integer and missing unit labels, missing outcomes, weights and clusters,
unsorted rows and columns named like the canonical ones.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from enforcement_crime.estimators._inputs import EstimatorInputError, prepare_panel


def reference_prepare(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str | None = None,
    *,
    weights: str | None = None,
    cluster: str | None = None,
    controls: list[str] | tuple[str, ...] | None = None,
    extra: list[str] | tuple[str, ...] | None = None,
) -> tuple:
    controls = tuple(controls or ())
    extra = tuple(extra or ())
    needed = (
        [outcome, unit, time]
        + [c for c in (cohort, weights, cluster) if c]
        + list(controls)
        + list(extra)
    )
    missing = [c for c in dict.fromkeys(needed) if c not in data.columns]
    if missing:
        raise EstimatorInputError(
            f"columns not in the data: {missing}; available: {list(data.columns)}"
        )
    t = pd.to_numeric(data[time], errors="coerce")
    not_period = t.isna() | (t % 1 != 0)
    if not_period.any():
        rows = data.loc[not_period, [unit, time]].head()
        rows.index.name = "row"
        raise EstimatorInputError(
            f"column {time!r} must hold integer periods (e.g. year); {int(not_period.sum())} "
            f"row(s) do not (missing, text or fractional), e.g.:\n{rows.to_string()}"
        )
    if data.duplicated([unit, time]).any():
        dups = data.loc[data.duplicated([unit, time], keep=False), [unit, time]].head()
        raise EstimatorInputError(
            f"({unit}, {time}) must be unique; duplicates, e.g.:\n{dups.to_string()}"
        )

    keep = list(dict.fromkeys(needed))
    df = data.loc[:, keep].copy()
    df["time"] = t.astype("int64")
    df["unit"] = df[unit]
    dropped: dict[str, int] = {}

    y = pd.to_numeric(df[outcome], errors="coerce").astype("float64")
    bad = ~np.isfinite(y)
    dropped[f"missing or non-finite {outcome}"] = int(bad.sum())
    df["y"] = y

    if cohort:
        g = pd.to_numeric(df[cohort], errors="coerce").astype("float64").fillna(0.0)
        if (g % 1 != 0).any() or (g < 0).any():
            raise EstimatorInputError(
                f"column {cohort!r} must be a first-treated period (integer) or 0/missing for never treated"
            )
        df["cohort"] = g.astype("int64")
        varies = df.groupby("unit")["cohort"].nunique() > 1
        if varies.any():
            raise EstimatorInputError(
                f"column {cohort!r} varies within unit(s) {list(varies[varies].index[:5])}"
            )
        df["event_time"] = np.where(df["cohort"] > 0, df["time"] - df["cohort"], np.nan)
    if weights:
        w = pd.to_numeric(df[weights], errors="coerce").astype("float64")
        miss = w.isna() & ~bad
        dropped[f"missing {weights}"] = int(miss.sum())
        bad = bad | miss
        wrong = ~bad & ((w <= 0) | ~np.isfinite(w))
        if wrong.any():
            rows = df.loc[wrong, [unit, time, weights]].head()
            raise EstimatorInputError(
                f"weights {weights!r} must be positive and finite; {int(wrong.sum())} row(s) "
                f"are not, e.g.:\n{rows.to_string()}"
            )
        df["w"] = w
    else:
        df["w"] = 1.0
    cl = cluster or unit
    miss = df[cl].isna() & ~bad
    dropped[f"missing {cl}"] = int(miss.sum())
    bad = bad | miss
    df["cluster"] = df[cl]
    for c in controls:
        miss = df[c].isna() & ~bad
        dropped[f"missing {c}"] = int(miss.sum())
        bad = bad | miss
        if pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c]):
            inf = ~bad & np.isinf(df[c].astype("float64"))
            if inf.any():
                rows = df.loc[inf, [unit, time, c]].head()
                raise EstimatorInputError(
                    f"control {c!r} must be finite; {int(inf.sum())} row(s) hold inf, "
                    f"e.g.:\n{rows.to_string()}"
                )

    df = df.loc[~bad].sort_values(["unit", "time"], kind="stable").reset_index(drop=True)
    if df.empty:
        raise EstimatorInputError("no rows left after dropping missing values: " + repr(dropped))
    names = {
        "outcome": outcome,
        "unit": unit,
        "time": time,
        "cohort": cohort,
        "weights": weights,
        "cluster": cl,
    }
    return (df, names, {k: v for k, v in dropped.items() if v}, controls)


def _panel(seed: int, *, string_units: bool = True) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    units = [f"u{i:02d}" for i in range(12)] if string_units else list(range(100, 112))
    rows = [(u, t) for u in units for t in range(2001, 2009)]
    df = pd.DataFrame(rows, columns=["county", "year"])
    cohorts = dict(zip(units, rng.choice([0, 2004, 2006, np.nan], len(units)), strict=True))
    df["first"] = df["county"].map(cohorts)
    df["crime"] = rng.normal(size=len(df))
    df.loc[rng.choice(len(df), 5, replace=False), "crime"] = np.nan
    df.loc[3, "crime"] = np.inf
    df["pop"] = rng.uniform(1, 5, len(df))
    df.loc[rng.choice(len(df), 3, replace=False), "pop"] = np.nan
    df["state"] = df["county"].map(lambda u: str(u)[:2])
    df.loc[7, "state"] = None
    df["x"] = rng.normal(size=len(df))
    df.loc[11, "x"] = np.nan
    if string_units:
        df["county"] = df["county"].astype("string")
        df["state"] = df["state"].astype("string")
    return df.sample(frac=1.0, random_state=seed)  # unsorted rows


CASES = [
    dict(outcome="crime", unit="county", time="year"),
    dict(outcome="crime", unit="county", time="year", cohort="first"),
    dict(
        outcome="crime",
        unit="county",
        time="year",
        cohort="first",
        weights="pop",
        cluster="state",
        controls=["x"],
        extra=["pop"],
    ),  # fmt: skip
]


@pytest.mark.parametrize("string_units", [True, False])
@pytest.mark.parametrize("case", range(len(CASES)))
def test_same_frame_and_drops_as_the_pandas_formulation(case, string_units):
    data = _panel(case, string_units=string_units)
    kw = CASES[case]
    got = prepare_panel(data, **kw)
    want_df, want_names, want_dropped, want_controls = reference_prepare(data, **kw)
    pd.testing.assert_frame_equal(got.data, want_df)
    assert got.names == want_names
    assert got.dropped == {k: v for k, v in want_dropped.items() if v}
    assert got.controls == want_controls


def test_canonical_column_names_and_a_missing_unit_label():
    """Columns already called unit/time/cohort/y/w are replaced in place, as assignment does."""
    data = _panel(3).rename(columns={"county": "unit", "year": "time", "first": "cohort",
                                     "crime": "y", "pop": "w"})  # fmt: skip
    data["unit"] = data["unit"].astype(object)
    data.iloc[0, data.columns.get_loc("unit")] = None
    kw = dict(outcome="y", unit="unit", time="time", cohort="cohort", weights="w")
    got = prepare_panel(data, **kw)
    pd.testing.assert_frame_equal(got.data, reference_prepare(data, **kw)[0])


@pytest.mark.parametrize(
    "mangle, message",
    [
        (lambda d: pd.concat([d, d.iloc[[0]]]), "must be unique"),
        (lambda d: d.assign(year=d["year"] + 0.5), "integer periods"),
        (lambda d: d.assign(year=d["year"].astype(object).where(d.index != 3, "20O5")), "20O5"),
        (lambda d: d.assign(year=d["year"].where(d.index % 4 != 1)), r"row\(s\) do not"),
        (lambda d: d.assign(first=np.where(np.arange(len(d)) == 0, 2005, d["first"])), "varies"),
        (lambda d: d.assign(pop=-d["pop"]), "must be positive"),
        (lambda d: d.assign(pop=np.where(np.arange(len(d)) == 2, np.inf, d["pop"])), "finite"),
        (lambda d: d.assign(x=np.where(np.arange(len(d)) == 2, -np.inf, d["x"])), "finite"),
        (lambda d: d.assign(crime=np.nan), "no rows left"),
    ],
)
def test_same_refusals(mangle, message):
    data = mangle(_panel(5))
    kw = CASES[2]
    with pytest.raises(EstimatorInputError, match=message) as got:
        prepare_panel(data, **kw)
    with pytest.raises(EstimatorInputError) as want:
        reference_prepare(data, **kw)
    assert str(got.value) == str(want.value)


def test_a_junk_or_missing_period_is_named_with_its_row():
    data = _panel(5)
    data["year"] = data["year"].astype(object)
    data.loc[7, "year"] = "2005?"
    data.loc[11, "year"] = np.nan
    with pytest.raises(EstimatorInputError) as err:
        prepare_panel(data, outcome="crime", unit="county", time="year")
    text = str(err.value)
    assert "column 'year' must hold integer periods" in text and "2 row(s) do not" in text
    shown = text.split("e.g.:\n")[1].splitlines()
    assert shown[0].split() == ["county", "year"] and shown[1].split() == ["row"]
    body = {ln.split()[0]: ln.split()[1:] for ln in shown[2:]}
    assert body["7"] == [str(data.loc[7, "county"]), "2005?"]
    assert body["11"] == [str(data.loc[11, "county"]), "NaN"]
