"""Descriptive figures: raw trends by adoption cohort, rollout over time, adoption timing.

Public names are re-exported by :mod:`enforcement_crime.plots`; import from there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from enforcement_crime.plotting.base import (
    NEVER_TREATED,
    PALETTE,
    _finish,
    _grid,
    _line_handle,
    _nice,
    _require,
    _sizes,
    _year_axis,
)


# ----------------------------------------------------------------------------- raw trends
def cohort_trends(
    panel: pd.DataFrame,
    outcomes: str | Sequence[str],
    *,
    cohort: str,
    year: str = "year",
    weights: str | None = "population",
    counts: Mapping[str, str] | None = None,
    groups: Mapping[Any, str] | Callable[[int], str] | str | None = None,
) -> pd.DataFrame:
    """Population-weighted outcome by adoption-cohort group and year (one row per group-year).

    Parameters
    ----------
    panel : pandas.DataFrame
        Long unit-year panel.
    outcomes : str or list of str
        Outcome names (the ``outcome`` values of the result).
    cohort : str
        Column with the first treated year (numeric; 0 or missing = never
        treated, the estimators' convention).
    year : str
        Year column (integer years; a missing year raises).
    weights : str or None
        Weight column (population). ``None``: unweighted means.
    counts : mapping outcome -> count column, optional
        For these outcomes the value is a rate per 100,000,
        ``sum(count) / sum(weights) * 1e5`` over the rows of the group-year
        whose count and weight are both present (units that did not report
        are left out of numerator and denominator alike). Other outcomes are
        the ``weights``-weighted mean of the outcome column over the rows
        where it and the weight are present. For a rate defined as
        count / population * 1e5 both give the same number.
    groups : mapping, callable or str, optional
        ``None``: one group per cohort, labelled by its year, never-treated
        units as ``"never treated"``. A mapping cohort value -> label pools
        cohorts (give 0 for the never treated; every cohort present must be
        mapped, else ``ValueError`` naming the unmapped ones). A callable
        maps a cohort (int, 0 = never treated) to its label, e.g.
        ``lambda c: "287(g) counties" if c else "other NC counties"``. A
        string names a column of ``panel`` holding each row's group label.

    Returns
    -------
    pandas.DataFrame
        Columns ``group``, ``year``, ``outcome``, ``value``, ``n_units``
        (rows used), ``n_missing`` (rows of the group-year left out because
        the outcome or the weight is missing: nothing is dropped silently),
        ``weight`` (sum of the weights used), ``cohorts`` (the group's
        first treated years joined by ``";"``, empty for never-treated
        groups: :func:`raw_trends_plot` draws an onset line at each) and
        ``order`` (groups sorted by first cohort, never treated last).
    """
    outcomes = [outcomes] if isinstance(outcomes, str) else list(outcomes)
    counts = dict(counts or {})
    extra = set(counts) - set(outcomes)
    if extra:
        raise ValueError(
            f"cohort_trends: counts given for {sorted(extra)}, not in outcomes {outcomes}"
        )
    if counts and weights is None:
        raise ValueError("cohort_trends: rates from counts need `weights` (the population column)")
    need = [year, cohort, *[o for o in outcomes if o not in counts], *counts.values()]
    need += [weights] if weights else []
    need += [groups] if isinstance(groups, str) else []
    _require(panel, need, "cohort_trends")
    if panel[year].isna().any():
        raise ValueError(
            f"cohort_trends: {int(panel[year].isna().sum())} row(s) with missing {year!r}"
        )
    if not pd.api.types.is_numeric_dtype(panel[cohort]):
        raise TypeError(
            f"cohort_trends: column {cohort!r} must hold the first treated year "
            "(numeric, 0 = never); "
            f"got dtype {panel[cohort].dtype}"
        )
    coh = panel[cohort].astype("float64").fillna(0.0).to_numpy()
    never = coh == 0
    if groups is None:
        label = np.where(never, NEVER_TREATED, pd.Series(coh).map(lambda c: f"{int(c)}").to_numpy())
    elif isinstance(groups, str):
        lab = panel[groups]
        if lab.isna().any():
            raise ValueError(
                f"cohort_trends: {int(lab.isna().sum())} row(s) with no group in {groups!r}"
            )
        label = lab.astype(str).to_numpy()
    elif callable(groups):
        names = {c: str(groups(int(c))) for c in np.unique(coh)}
        label = np.array([names[c] for c in coh], dtype=object)
    else:
        keyed = {float(k): v for k, v in groups.items()}
        unmapped = sorted({int(c) for c in np.unique(coh)} - {int(k) for k in keyed})
        if unmapped:
            raise ValueError(
                f"cohort_trends: cohort value(s) {unmapped} of {cohort!r} have no label "
                "in `groups` (0 = never treated)"
            )
        label = np.array([keyed[c] for c in coh], dtype=object)
    w = panel[weights].astype("float64").to_numpy() if weights else np.ones(len(panel))
    base = pd.DataFrame({"group": label, "year": panel[year].astype(int).to_numpy(), "cohort": coh})
    frames = []
    for outcome in outcomes:
        if outcome in counts:
            y = panel[counts[outcome]].astype("float64").to_numpy()
            ok = ~np.isnan(y) & ~np.isnan(w)
            num, den = np.where(ok, y, 0.0), np.where(ok, w, 0.0)
            scale = 1e5
        else:
            y = panel[outcome].astype("float64").to_numpy()
            ok = ~np.isnan(y) & ~np.isnan(w)
            num, den = np.where(ok, y * w, 0.0), np.where(ok, w, 0.0)
            scale = 1.0
        g = base.assign(num=num, den=den, ok=ok).groupby(["group", "year"], sort=False)
        agg = g.agg(
            num=("num", "sum"), weight=("den", "sum"), n_units=("ok", "sum"), n=("ok", "size")
        )
        agg["value"] = np.where(
            agg["weight"] > 0, agg["num"] / agg["weight"].where(agg["weight"] > 0) * scale, np.nan
        )
        agg["n_missing"] = agg["n"] - agg["n_units"]
        frames.append(agg.reset_index().assign(outcome=outcome))
    out = pd.concat(frames, ignore_index=True)
    treated = base[base["cohort"] > 0].groupby("group")["cohort"].unique()
    cohorts = {g: ";".join(str(int(c)) for c in sorted(v)) for g, v in treated.items()}
    first = {g: min(int(c) for c in v) for g, v in treated.items()}
    out["cohorts"] = out["group"].map(cohorts).fillna("")
    ranked = sorted(out["group"].unique(), key=lambda g: (g not in first, first.get(g, 0), str(g)))
    out["order"] = out["group"].map({g: i for i, g in enumerate(ranked)}).astype(int)
    out = out.sort_values(
        ["outcome", "order", "year"],
        key=lambda s: s.map({o: i for i, o in enumerate(outcomes)}) if s.name == "outcome" else s,
    )
    cols = [
        "group",
        "year",
        "outcome",
        "value",
        "n_units",
        "n_missing",
        "weight",
        "cohorts",
        "order",
    ]
    out = out[cols].reset_index(drop=True)
    out["n_units"] = out["n_units"].astype(int)
    out["n_missing"] = out["n_missing"].astype(int)
    return out


def _group_colours(groups: Sequence[str], cohorts: Mapping[str, str]) -> dict[str, Any]:
    """Okabe-Ito per treated group (viridis beyond seven), black for never-treated groups."""
    treated = [g for g in groups if cohorts.get(g, "")]
    cyc = [c for c in PALETTE if c != "#000000"]
    cols = cyc if len(treated) <= len(cyc) else sns.color_palette("viridis", len(treated))
    out: dict[str, Any] = {g: cols[i] for i, g in enumerate(treated)}
    never = [g for g in groups if g not in out]
    greys = ["#000000", "#777777", "#BBBBBB"]
    for i, g in enumerate(never):
        out[g] = greys[i % len(greys)]
    return out


def raw_trends_plot(
    trends: pd.DataFrame,
    *,
    outcomes: Sequence[str] | None = None,
    ylabel: str = "per 100,000",
    onset_shift: float = -0.5,
    titles: Mapping[str, str] | None = None,
    legend_title: str | None = None,
    ncols: int | None = None,
    figsize: tuple[float, float] | None = None,
) -> tuple[plt.Figure, pd.DataFrame]:
    """Raw trends by cohort group, one panel per outcome, onset lines at each cohort's own date.

    Parameters
    ----------
    trends : pandas.DataFrame
        From :func:`cohort_trends` (columns ``group``, ``year``, ``outcome``,
        ``value``; ``cohorts`` and ``order`` when present).
    outcomes : list of str, optional
        Outcomes to draw, in panel order (default: all, in order of appearance).
    ylabel : str
        Y-axis label.
    onset_shift : float
        An onset line is drawn at ``cohort + onset_shift`` for every cohort
        of a group, in the group's colour. The default -0.5 is the boundary
        between the last untreated and the first treated year (cohort = first
        treated year, the estimators' convention); use 0 when ``cohort`` is
        the calendar year of adoption. Cohorts outside the drawn years get
        no line.
    titles : mapping, optional
        Outcome -> panel title (default: the name with spaces).
    legend_title : str, optional
        Title of the figure legend (e.g. ``"SC cohort"``).
    ncols : int, optional
        Panels per row (default up to three).
    figsize : (float, float), optional

    Returns
    -------
    fig : matplotlib.figure.Figure
    data : pandas.DataFrame
        The rows drawn (``trends`` restricted to ``outcomes``).

    Notes
    -----
    Lines are drawn with ``seaborn.lineplot`` (one line per group, no
    aggregation: a group-year must appear once per outcome, else
    ``ValueError``); colours are Okabe-Ito for treated groups in cohort
    order and black for the never treated; year ticks are integers and
    thinned when they would overprint.
    """
    _require(trends, ["group", "year", "outcome", "value"], "raw_trends_plot")
    outs = list(outcomes) if outcomes is not None else list(dict.fromkeys(trends["outcome"]))
    absent = [o for o in outs if o not in set(trends["outcome"])]
    if absent:
        raise ValueError(
            f"raw_trends_plot: outcome(s) {absent} not in trends {sorted(set(trends['outcome']))}"
        )
    data = trends[trends["outcome"].isin(outs)].copy()
    dup = data.duplicated(["group", "year", "outcome"])
    if dup.any():
        raise ValueError(
            f"raw_trends_plot: {int(dup.sum())} duplicated group-year-outcome row(s), e.g. "
            f"{data.loc[dup, ['group', 'year', 'outcome']].iloc[0].to_dict()}"
        )
    if "order" in data:
        order = list(data.sort_values("order")["group"].drop_duplicates())
    else:
        order = list(dict.fromkeys(data["group"]))
    cohorts = (
        data.groupby("group")["cohorts"].first().fillna("").astype(str).to_dict()
        if "cohorts" in data
        else {g: "" for g in order}
    )
    colours = _group_colours(order, cohorts)
    fig, axes = _grid(len(outs), ncols, figsize)
    ymin, ymax = int(data["year"].min()), int(data["year"].max())
    for ax, outcome in zip(axes, outs, strict=True):
        d = data[data["outcome"] == outcome]
        sns.lineplot(
            data=d,
            x="year",
            y="value",
            hue="group",
            hue_order=order,
            palette=colours,
            marker="o",
            markersize=3,
            markeredgewidth=0,
            estimator=None,
            errorbar=None,
            legend=False,
            ax=ax,
        )
        for g in order:
            for c in filter(None, cohorts.get(g, "").split(";")):
                xpos = float(c) + onset_shift
                if ymin - 0.5 <= xpos <= ymax + 0.5:
                    ax.axvline(xpos, color=colours[g], ls=":", lw=1.0, gid="onset")
        _year_axis(ax)
        ax.set_xlim(ymin - 0.6, ymax + 0.6)
        ax.set_title((titles or {}).get(outcome, _nice(outcome)))
        ax.set_xlabel("Year")
        ax.set_ylabel(ylabel)
    handles = [_line_handle(colours[g], marker="o", ms=3) for g in order]
    if any(cohorts.values()):
        handles.append(_line_handle("grey", ls=":", lw=1.0))
        labels = [*order, "onset (each cohort)"]
    else:
        labels = order
    _finish(fig, axes, handles, labels, legend_title)
    return fig, data.reset_index(drop=True)


# ----------------------------------------------------------------------------- rollout
def rollout_plot(
    dates: pd.Series,
    weights: pd.Series | None = None,
    *,
    ax: plt.Axes | None = None,
    label: str | None = None,
    freq: str = "MS",
) -> tuple[plt.Axes, pd.DataFrame]:
    """Cumulative share of units (or of ``weights``, e.g. population) treated by date.

    Parameters
    ----------
    dates : pandas.Series
        One adoption date per unit. Missing dates raise ``ValueError``
        (drop and count them first; :func:`rollout_figure` does).
    weights : pandas.Series, optional
        Weight per unit (population): the share of total weight covered.
    ax : matplotlib.axes.Axes, optional
        Default the current axes.
    label : str, optional
        Legend label, also the ``series`` column of the data.
    freq : str
        Grid frequency (pandas offset alias, default month starts).

    Returns
    -------
    ax : matplotlib.axes.Axes
    data : pandas.DataFrame
        ``month``, ``share``, ``series``: the share of units (or weight) whose
        date is on or before the end of each grid month, drawn as a step line.

    Notes
    -----
    Dates on the x axis use matplotlib's concise date labels (no overprinting).
    :func:`rollout_figure` draws the usual figure in one call.
    """
    ax = ax or plt.gca()
    d = pd.to_datetime(dates)
    if d.isna().any():
        raise ValueError(
            f"rollout_plot: {int(d.isna().sum())} missing date(s); drop (and count) them first"
        )
    w = pd.Series(1.0, index=d.index) if weights is None else weights.astype(float)
    total = w.sum()
    grid = pd.date_range(
        d.min().to_period("M").to_timestamp(), d.max() + pd.offsets.MonthBegin(1), freq=freq
    )
    order = np.argsort(d.to_numpy())
    sd = d.to_numpy()[order]
    cw = np.cumsum(w.to_numpy()[order])
    # share activated on or before the end of each grid month
    ends = (grid + pd.offsets.MonthEnd(0)).to_numpy()
    pos = np.searchsorted(sd, ends, side="right")
    share = np.where(pos > 0, cw[np.maximum(pos - 1, 0)], 0.0) / total
    ax.step(grid, share, where="post", label=label)
    ax.set_ylim(0, 1.02)
    ax.set_ylabel("Share covered")
    loc = mdates.AutoDateLocator(minticks=3, maxticks=6)
    ax.xaxis.set_major_locator(loc)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(loc))
    return ax, pd.DataFrame({"month": grid, "share": share, "series": label or ""})


def rollout_figure(
    units: pd.DataFrame,
    *,
    date: str,
    weights: str | None = None,
    by: str | None = None,
    unit_label: str = "units",
    weight_label: str = "population",
    title: str | None = None,
    figsize: tuple[float, float] | None = None,
) -> tuple[plt.Figure, pd.DataFrame]:
    """Rollout of a programme: cumulative share of units (and of population) covered, one call.

    Parameters
    ----------
    units : pandas.DataFrame
        One row per unit with its adoption ``date``. Units without a date
        are not drawn and their number is written on the figure.
    date : str
        Adoption date column.
    weights : str, optional
        Weight column (population): adds the share of total weight covered.
    by : str, optional
        One line per value (share of that group's units), e.g. agreement
        model; the legend gives each group's number of units.
    unit_label, weight_label : str
        Legend labels.
    title : str, optional
    figsize : (float, float), optional

    Returns
    -------
    fig : matplotlib.figure.Figure
    data : pandas.DataFrame
        month, share, series (from :func:`rollout_plot`).
    """
    _require(units, [c for c in (date, weights, by) if c], "rollout_figure")
    missing = int(units[date].isna().sum())
    u = units.dropna(subset=[date])
    if u.empty:
        raise ValueError(f"rollout_figure: no unit has a {date!r}")
    fig, ax = plt.subplots(figsize=figsize or _sizes()["column"])
    frames = []
    if by:
        for name, g in u.groupby(u[by].astype("string").fillna("unknown"), sort=True):
            frames.append(rollout_plot(g[date], ax=ax, label=f"{name} ({len(g)})")[1])
    else:
        frames.append(rollout_plot(u[date], ax=ax, label=unit_label)[1])
        if weights:
            frames.append(rollout_plot(u[date], u[weights], ax=ax, label=weight_label)[1])
    foot = f"{missing} unit(s) without a date not drawn" if missing else None
    if title:
        ax.set_title(title)
    if len(frames) > 1:
        ax.legend(loc="lower right", fontsize="small")
    _finish(fig, [ax], footnote=foot)
    return fig, pd.concat(frames, ignore_index=True)


def timing_plot(
    units: pd.DataFrame,
    *,
    x: str,
    date: str,
    xlabel: str | None = None,
    ylabel: str = "Adoption date",
    figsize: tuple[float, float] | None = None,
) -> tuple[plt.Figure, pd.DataFrame]:
    """Adoption date against a unit characteristic (is the timing related to it?), seaborn scatter.

    Parameters
    ----------
    units : pandas.DataFrame
        One row per unit.
    x : str
        The characteristic (e.g. ``"hispanic_share"``).
    date : str
        Adoption date column (drawn on the y axis with concise date labels).
    xlabel, ylabel : str, optional
    figsize : (float, float), optional
        Default ``FIGSIZES["column"]``.

    Returns
    -------
    fig : matplotlib.figure.Figure
    data : pandas.DataFrame
        The rows drawn. Units missing ``x`` or ``date`` are not drawn; their
        number is written as a footnote on the figure.
    """
    _require(units, [x, date], "timing_plot")
    ok = units[x].notna() & units[date].notna()
    data = units[ok]
    fig, ax = plt.subplots(figsize=figsize or _sizes()["column"])
    sns.scatterplot(data=data, x=x, y=date, s=6, alpha=0.5, linewidth=0, color=PALETTE[0], ax=ax)
    loc = mdates.AutoDateLocator(minticks=3, maxticks=6)
    ax.yaxis.set_major_locator(loc)
    ax.yaxis.set_major_formatter(mdates.ConciseDateFormatter(loc))
    n_out = int((~ok).sum())
    foot = f"{n_out} unit(s) with missing {x} or {date} not drawn" if n_out else None
    ax.set_xlabel(xlabel or _nice(x))
    ax.set_ylabel(ylabel)
    _finish(fig, [ax], footnote=foot)
    return fig, data.reset_index(drop=True)
