"""Figure style and the suite's standard displays.

:func:`use_style` applies a packaged matplotlib style (``"paper"``: embedded
TrueType fonts, no TeX, colour-blind-safe Okabe-Ito palette; ``"slides"``:
16:9, larger type) on top of a seaborn theme with the same palette.

Every figure function takes tidy data (or estimator results) and returns
``(fig, data)``: the figure and the numbers drawn, so a notebook can save
both with one call. Standard displays: :func:`raw_trends_plot` (from
:func:`cohort_trends`), :func:`event_study_plot`, :func:`coefficient_plot`
(robustness), :func:`bacon_plot`, :func:`honest_did_plot`,
:func:`power_curve_plot`, :func:`synthetic_control_plot`,
:func:`distribution_plot`, :func:`rollout_figure` / :func:`rollout_plot`
and :func:`timing_plot`. Conventions: integer year and event-time ticks,
onset lines at each unit's or cohort's own date (event time -0.5, or
``cohort - 0.5`` in calendar years), "N = ..., clusters = ..." in a corner
of estimate figures, tick labels thinned rather than overprinted.

Saving (PDF + PNG + CSV, the data mark) lives in
:func:`enforcement_crime.reports.save_figure`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import matplotlib.transforms as mtransforms
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.collections import LineCollection
from matplotlib.lines import Line2D
from scipy import stats

from enforcement_crime.results import EstimationResult

__all__ = [
    "FIGSIZES",
    "style_path",
    "use_style",
    "PALETTE",
    "NEVER_TREATED",
    "share_axis_labels",
    "thin_tick_labels",
    "cohort_trends",
    "raw_trends_plot",
    "event_study_plot",
    "coefficient_plot",
    "bacon_plot",
    "honest_did_plot",
    "power_curve_plot",
    "synthetic_control_plot",
    "distribution_plot",
    "rollout_plot",
    "rollout_figure",
    "timing_plot",
]

# Transition re-exports: saving moved to enforcement_crime.reports. Kept only while
# studies.py and notebooks/tour still call plots.save_figure; delete once they use reports.
from enforcement_crime.reports import SYNTHETIC_MARK, mark_synthetic, save_figure  # noqa: E402, F401

FIGSIZES = {"column": (3.5, 2.6), "full": (7.0, 4.3), "slides": (10.0, 5.625)}


def style_path(name: str = "paper") -> Path:
    """Path of a packaged style file (``"paper"`` or ``"slides"``)."""
    res = resources.files("enforcement_crime") / "styles" / f"{name}.mplstyle"
    path = Path(str(res))
    if not path.is_file():
        raise ValueError(f"unknown figure style {name!r}; available: paper, slides")
    return path


def use_style(name: str = "paper") -> None:
    """Apply a seaborn theme, then the packaged matplotlib style, globally.

    ``seaborn.set_theme`` (context ``"paper"`` or ``"talk"``, white background
    with ticks, the Okabe-Ito :data:`PALETTE`) sets what the mplstyle does not
    say; the packaged style (``style_path(name)``) is applied after it, so
    its sizes, fonts (TrueType embedded, no TeX) and grid win.
    """
    path = style_path(name)
    sns.set_theme(
        context="talk" if name == "slides" else "paper", style="ticks", palette=list(PALETTE)
    )
    plt.style.use(str(path))


# ----------------------------------------------------------------------------- shared helpers
#: Okabe-Ito colours in the order series get them (yellow last: weakest on white).
PALETTE: tuple[str, ...] = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#56B4E9",
    "#000000",
    "#F0E442",
)
#: Label of units that are never treated (cohort 0 or missing) in :func:`cohort_trends`.
NEVER_TREATED = "never treated"
_BACON_TYPES = (
    "treated vs never treated",
    "earlier vs later treated",
    "later vs earlier treated (forbidden)",
    "treated vs always treated (forbidden)",
)


def _nice(name: Any) -> str:
    return str(name).replace("_", " ")


def _minus(text: str) -> str:
    """Typographic minus, as matplotlib writes negative tick labels."""
    return text.replace("-", "\u2212")


def _bin_label(spec: str, k: int) -> str:
    spec = str(spec).strip()
    if spec.startswith("<"):
        return "\u2264" + _minus(str(k))
    if spec.startswith(">"):
        return "\u2265" + _minus(str(k))
    return _minus(spec)


def _fmt_int(v: Any) -> str:
    return f"{int(v):,}"


def _require(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{what}: missing column(s) {missing}; the frame has {list(frame.columns)}"
        )


def _corner_note(ax: plt.Axes, text: str) -> None:
    if text:
        ax.text(
            0.02, 0.98, text, transform=ax.transAxes, ha="left", va="top", fontsize=6, zorder=5,
            gid="n-note", bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.85},
        )  # fmt: skip


def _n_note(pairs: Sequence[tuple[Any, Any]]) -> str:
    """'N = 1,100, clusters = 100' (several distinct values joined by ' / ')."""

    def join(vals):
        vals = [v for v in vals if v is not None and not pd.isna(v)]
        return " / ".join(dict.fromkeys(_fmt_int(v) for v in vals))

    n = join([p[0] for p in pairs])
    g = join([p[1] for p in pairs])
    parts = ([f"N = {n}"] if n else []) + ([f"clusters = {g}"] if g else [])
    return ", ".join(parts)


def _year_axis(ax: plt.Axes) -> None:
    ax.xaxis.set_major_locator(mticker.MaxNLocator(nbins=6, integer=True, steps=[1, 2, 5, 10]))
    ax.xaxis.set_minor_locator(mticker.NullLocator())


def _labels_overlap(texts: Sequence[Any], renderer: Any, pad: float = 2.0) -> bool:
    boxes = sorted((t.get_window_extent(renderer) for t in texts), key=lambda b: b.x0)
    return any(b.x0 < a.x1 + pad for a, b in zip(boxes, boxes[1:], strict=False))


def _shown_xticklabels(ax: plt.Axes) -> list[Any]:
    lo, hi = sorted(ax.get_xlim())
    out = []
    for tick in ax.xaxis.get_major_ticks():
        lab = tick.label1
        if lab.get_visible() and lab.get_text() and lo - 1e-9 <= tick.get_loc() <= hi + 1e-9:
            out.append(lab)
    return out


def thin_tick_labels(fig: plt.Figure, axes: Iterable[plt.Axes] | None = None) -> None:
    """Blank x tick labels that would overprint, keeping every k-th label (and the one at 0).

    Draws the figure once to measure the labels; for each axes finds the
    smallest ``k`` such that labels at ticks ``anchor + j*k`` do not overlap
    (``anchor`` = the tick at 0 when there is one, else the first) and fixes
    the ticks with those labels. Ticks themselves stay at every position.
    """
    canvas = fig.canvas
    canvas.draw()
    renderer = canvas.get_renderer()
    for ax in list(axes) if axes is not None else fig.axes:
        labs = _shown_xticklabels(ax)
        if len(labs) < 2 or not _labels_overlap(labs, renderer):
            continue
        lo, hi = sorted(ax.get_xlim())
        locs = [float(t) for t in ax.get_xticks() if lo - 1e-9 <= t <= hi + 1e-9]
        texts = {round(t.get_position()[0], 9): t.get_text() for t in ax.get_xticklabels()}
        names = [texts.get(round(v, 9), "") for v in locs]
        anchor = next((i for i, v in enumerate(locs) if abs(v) < 1e-9), 0)
        for k in range(2, len(locs) + 1):
            keep = [n if (i - anchor) % k == 0 else "" for i, n in enumerate(names)]
            ax.set_xticks(locs, keep)
            canvas.draw()
            if not _labels_overlap(_shown_xticklabels(ax), renderer):
                break


def share_axis_labels(fig: plt.Figure, axes: Any) -> None:
    """One x label and one y label for a row or grid of panels that all carry the same label.

    When every labelled panel has the same x (or y) label, the panels' labels
    are cleared and the figure gets it once (``fig.supxlabel``/``fig.supylabel``);
    panels with different labels keep theirs. Then ``fig.tight_layout()``
    (before ``save_figure`` adds the synthetic mark, which a layout engine
    would otherwise make room for).
    """
    flat = list(np.ravel(axes))
    if len(flat) < 2:
        fig.tight_layout()
        return
    for get, set_, sup in (
        ("get_xlabel", "set_xlabel", fig.supxlabel),
        ("get_ylabel", "set_ylabel", fig.supylabel),
    ):
        labels = {getattr(a, get)() for a in flat} - {""}
        if len(labels) == 1:
            for a in flat:
                getattr(a, set_)("")
            sup(labels.pop(), fontsize="medium")
    fig.tight_layout()


def _finish(
    fig: plt.Figure,
    axes: Sequence[plt.Axes],
    handles: Sequence[Any] | None = None,
    labels: Sequence[str] | None = None,
    legend_title: str | None = None,
) -> None:
    """Shared labels, one figure legend on top, tight layout, no overprinted tick labels."""
    share_axis_labels(fig, list(axes))
    if handles:
        for ncols in range(min(len(labels or []), 7), 0, -1):  # widest legend that fits
            leg = fig.legend(
                handles, labels, loc="upper center", bbox_to_anchor=(0.5, 1.0), ncols=ncols,
                frameon=False, fontsize="small", title=legend_title, title_fontsize="small",
            )  # fmt: skip
            leg.set_gid("figure-legend")
            fig.canvas.draw()
            if ncols == 1 or leg.get_window_extent().width <= 0.98 * fig.bbox.width:
                break
            leg.remove()
        h = leg.get_window_extent().height / fig.bbox.height
        fig.tight_layout(rect=(0, 0, 1, 1 - h - 0.01))
    thin_tick_labels(fig, axes)


def _grid(n: int, ncols: int | None, figsize, height: float | None = None):
    ncols = ncols or min(n, 3)
    nrows = int(np.ceil(n / ncols))
    if figsize is None:
        w = FIGSIZES["full"][0] if ncols > 1 else FIGSIZES["column"][0]
        figsize = (w, height or (FIGSIZES["column"][1] if nrows == 1 else 2.3 * nrows))
    fig, axs = plt.subplots(nrows, ncols, figsize=figsize, squeeze=False)
    flat = list(axs.ravel())
    for a in flat[n:]:
        a.remove()
    return fig, flat[:n]


def _line_handle(colour: str, **kw: Any) -> Line2D:
    return Line2D([], [], color=colour, **kw)


# ----------------------------------------------------------------------------- raw trends
def cohort_trends(
    panel: pd.DataFrame,
    outcomes: str | Sequence[str],
    *,
    cohort: str,
    year: str = "year",
    weights: str | None = "population",
    counts: Mapping[str, str] | None = None,
    groups: Mapping[Any, str] | str | None = None,
) -> pd.DataFrame:
    """Population-weighted outcome by adoption-cohort group and year (tidy, one row per group-year-outcome).

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
    groups : mapping or str, optional
        ``None``: one group per cohort, labelled by its year, never-treated
        units as ``"never treated"``. A mapping cohort value -> label pools
        cohorts (give 0 for the never treated; every cohort present must be
        mapped, else ``ValueError`` naming the unmapped ones). A string names
        a column of ``panel`` holding each row's group label.

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
            f"cohort_trends: column {cohort!r} must hold the first treated year (numeric, 0 = never); "
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
    else:
        keyed = {float(k): v for k, v in groups.items()}
        unmapped = sorted({int(c) for c in np.unique(coh)} - {int(k) for k in keyed})
        if unmapped:
            raise ValueError(
                f"cohort_trends: cohort value(s) {unmapped} of {cohort!r} have no label in `groups` "
                "(0 = never treated)"
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
    """Raw outcome trends by cohort group, one panel per outcome, onset lines at each cohort's own date.

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
            data=d, x="year", y="value", hue="group", hue_order=order, palette=colours, marker="o",
            markersize=3, markeredgewidth=0, estimator=None, errorbar=None, legend=False, ax=ax,
        )  # fmt: skip
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


# ----------------------------------------------------------------------------- event studies
def _notes_of(frame: pd.DataFrame) -> str:
    if "notes" in frame and frame["notes"].notna().any():
        return str(frame["notes"].dropna().iloc[0])
    return ""


def _single_value(frame: pd.DataFrame, col: str) -> Any:
    if col not in frame:
        return None
    vals = frame[col].dropna().unique()
    return vals[0] if len(vals) else None


def _es_input(obj: Any, name: str) -> tuple[pd.DataFrame, dict[str, Any]]:
    if isinstance(obj, EstimationResult):
        frame = obj.to_frame()
        extra = obj.extra or {}
        ref = extra.get("reference_period")
        binned = {int(str(k).lstrip("e")): v for k, v in (extra.get("binned") or {}).items()}
        meta = {"reference": None if ref is None else int(ref), "binned": binned,
                "n_obs": obj.n_obs, "n_clusters": obj.n_clusters}  # fmt: skip
    elif isinstance(obj, pd.DataFrame):
        frame = obj
        notes = _notes_of(frame)
        m = re.search(r"\breference e(-?\d+)", notes)
        b = re.search(r"endpoints binned \(e(-?\d+): <= -?\d+, e(-?\d+): >= -?\d+\)", notes)
        meta = {
            "reference": int(m.group(1)) if m else None,
            "binned": {int(b.group(1)): "<=", int(b.group(2)): ">="} if b else {},
            "n_obs": _single_value(frame, "n_obs"),
            "n_clusters": _single_value(frame, "n_clusters"),
        }
    else:
        raise TypeError(
            f"event_study_plot: {name or 'input'} is a {type(obj).__name__}; expected an "
            "EstimationResult or its to_frame() DataFrame"
        )
    _require(
        frame,
        ["event_time", "estimate", "conf_low", "conf_high"],
        f"event_study_plot ({name or 'input'})",
    )
    return frame, meta


def _event_study_items(obj, *, label, panel, hue, keys):
    if keys not in ("series", "panel"):
        raise ValueError(f"event_study_plot: keys must be 'series' or 'panel', not {keys!r}")
    if isinstance(obj, Mapping):
        if not obj:
            raise ValueError("event_study_plot: empty mapping")
        items = []
        for k, v in obj.items():
            if isinstance(v, Mapping):
                for s, w in v.items():
                    f, m = _es_input(w, f"{k}/{s}")
                    items.append((str(k), str(s), f, m))
            else:
                f, m = _es_input(v, str(k))
                items.append(
                    ("", str(k), f, m) if keys == "series" else (str(k), label or "", f, m)
                )
        return items
    if isinstance(obj, EstimationResult):
        f, m = _es_input(obj, label or "")
        return [("", label or "", f, m)]
    if isinstance(obj, pd.DataFrame):
        pcol = panel or ("outcome" if "outcome" in obj else None)
        hcol = hue or next((c for c in ("label", "estimator_label", "model") if c in obj), None)
        if hcol is None and "estimator" in obj and obj["estimator"].nunique() > 1:
            hcol = "estimator"
        _require(obj, [c for c in (pcol, hcol) if c], "event_study_plot")
        by = [c for c in (pcol, hcol) if c]
        if not by:
            f, m = _es_input(obj, label or "")
            return [("", label or "", f, m)]
        items = []
        for key, g in obj.groupby(by, sort=False, dropna=False):
            key = key if isinstance(key, tuple) else (key,)
            pv = str(key[0]) if pcol else ""
            hv = str(key[-1]) if hcol else (label or "")
            f, m = _es_input(g, f"{pv}/{hv}")
            items.append((pv, hv, f, m))
        return items
    raise TypeError(
        f"event_study_plot: got a {type(obj).__name__}; expected an EstimationResult, a DataFrame "
        "or a mapping of them"
    )


def event_study_plot(
    table: pd.DataFrame | EstimationResult | Mapping[str, Any],
    *,
    ax: plt.Axes | None = None,
    reference: int | str | None = "auto",
    label: str | None = None,
    offset: float = 0.0,
    ylabel: str = "Estimate",
    style: str = "auto",
    window: tuple[int, int] | None = None,
    binned: Mapping[int, str] | None = None,
    panel: str | None = None,
    hue: str | None = None,
    keys: str = "series",
    titles: Mapping[str, str] | None = None,
    note: bool | str = True,
    figsize: tuple[float, float] | None = None,
) -> tuple[plt.Figure, pd.DataFrame]:
    """Event-time coefficients with intervals: reference period, onset, binned endpoints and N marked.

    Parameters
    ----------
    table : DataFrame, EstimationResult or mapping
        What to draw. A result or an estimator's ``to_frame()`` (rows with
        ``event_time``, ``estimate``, ``conf_low``, ``conf_high``; rows whose
        ``event_time`` is missing, e.g. a static ATT, are not drawn and not
        returned); a mapping ``{series label: result or frame}`` (several
        estimators on one panel, ``keys="series"``) or ``{panel title:
        result or frame}`` (``keys="panel"``, e.g. one panel per outcome);
        or a nested mapping ``{panel: {series: result or frame}}``. A long
        frame is split into panels by the column ``panel`` (default
        ``"outcome"`` when it has several values) and into series by ``hue``
        (default the first of ``"label"``, ``"estimator_label"``, ``"model"``
        present, else ``"estimator"`` when it has several values).
    ax : matplotlib.axes.Axes, optional
        Draw into this axes (one panel only); further calls on the same axes
        add series in the next colour (the old calling convention, with
        ``offset`` for manual dodging). Without ``ax`` a new figure is made,
        one panel per panel key, full width.
    reference : int, "auto" or None
        Reference event time (normalised to zero), drawn as a hollow marker
        labelled "ref.". ``"auto"``: ``extra["reference_period"]`` of a
        result, else ``"reference e<k>"`` in the notes, else none (e.g.
        varying-base Callaway-Sant'Anna pre-periods have no reference).
    label : str, optional
        Series label of a single result or frame.
    offset : float
        Horizontal shift of a single series (manual dodging).
    ylabel : str
        Y-axis label (the outcome's scale, e.g. ``"per 100,000"``).
    style : {"auto", "band", "points"}
        ``"band"``: line and shaded interval (at most two series per panel,
        else ``ValueError``); ``"points"``: points with error bars, dodged
        horizontally when there are several series; ``"auto"``: a band for a
        lone series, dodged points otherwise.
    window : (int, int), optional
        Draw only event times in this closed range.
    binned : mapping int -> str, optional
        Tick labels of binned endpoints, e.g. ``{-4: "<= -4", 4: ">= 4"}``.
        Default: ``extra["binned"]`` of a result (``{"e-4": "<= -4", ...}``),
        else the ``"endpoints binned (e-4: <= -4, e4: >= 4)"`` phrase of the
        notes; the ticks then read "≤−4" and "≥4".
    panel, hue : str, optional
        Columns of a long frame that define panels and series (see above).
    keys : {"series", "panel"}
        Meaning of the keys of a flat mapping.
    titles : mapping, optional
        Panel key -> title (default: the key with underscores as spaces).
    note : bool or str
        Write "N = ..., clusters = ..." (from ``n_obs``/``n_clusters``) in
        the upper-left corner of each panel; a string replaces the text.
    figsize : (float, float), optional
        Default ``FIGSIZES["full"]`` for several panels, ``FIGSIZES["column"]``
        for one.

    Returns
    -------
    fig : matplotlib.figure.Figure
    data : pandas.DataFrame
        The drawn numbers, one row per panel, series and event time:
        ``panel``, ``series``, ``event_time``, ``x`` (dodged position),
        ``estimate``, ``std_error``, ``conf_low``, ``conf_high``, ``n_obs``,
        ``n_clusters``, ``is_reference``, ``tick_label``.

    Notes
    -----
    Conventions: event time 0 is the first treated period; the dashed
    vertical line at -0.5 is the onset. Ticks sit on every integer event
    time (never at fractions); when labels would overprint, every other
    label is shown, keeping 0. The reference period has estimate 0 and no
    interval by construction.
    """
    if style not in ("auto", "band", "points"):
        raise ValueError(
            f"event_study_plot: style must be 'auto', 'band' or 'points', not {style!r}"
        )
    items = _event_study_items(table, label=label, panel=panel, hue=hue, keys=keys)
    panels = list(dict.fromkeys(p for p, _, _, _ in items))
    if ax is not None and len(panels) > 1:
        raise ValueError(
            f"event_study_plot: {len(panels)} panels ({panels}) cannot be drawn into one `ax`; "
            "leave ax=None to get one panel each"
        )
    own = ax is None
    if own:
        size = figsize or (FIGSIZES["full"] if len(panels) > 1 else FIGSIZES["column"])
        fig, axs = plt.subplots(1, len(panels), figsize=size, squeeze=False)
        axes = dict(zip(panels, axs[0], strict=True))
    else:
        fig = ax.figure
        axes = {panels[0]: ax}
    frames = []
    handles: dict[str, Any] = {}
    for pname in panels:
        a = axes[pname]
        mine = [(s, f, m) for p, s, f, m in items if p == pname]
        prior = sum(1 for line in a.get_lines() if line.get_gid() == "es-series")
        prior += sum(1 for c in a.containers if getattr(c, "_es_series", False))
        n_series = len(mine)
        use = style
        if use == "auto":
            use = "band" if n_series == 1 and prior == 0 and offset == 0 else "points"
        if use == "band" and n_series + prior > 2:
            raise ValueError(
                f"event_study_plot: {n_series + prior} series in panel {pname!r}; at most two "
                "bands per panel: use style='points' (dodged points with error bars)"
            )
        step = min(0.22, 0.66 / max(n_series, 1)) if use == "points" else 0.0
        ticks: dict[int, str] = {}
        refs: set[int] = set()
        notes_n: list[tuple[Any, Any]] = []
        at_tick: dict[int, int] = {}
        bin_at: dict[int, list[tuple[str, str]]] = {}
        for i, (series, frame, meta) in enumerate(mine):
            ref = meta["reference"] if reference == "auto" else reference
            bins = dict(binned) if binned is not None else meta["binned"]
            t = frame.dropna(subset=["event_time"]).copy()
            t["event_time"] = t["event_time"].astype(int)
            if window is not None:
                t = t[t["event_time"].between(window[0], window[1])]
            if t.empty:
                raise ValueError(
                    f"event_study_plot: series {series!r} in panel {pname!r} has no event-time rows"
                    + (f" in window {window}" if window is not None else "")
                )
            t = t.sort_values("event_time")
            colour = PALETTE[(prior + i) % len(PALETTE)]
            dx = offset + (i - (n_series - 1) / 2) * step
            x = t["event_time"].to_numpy(dtype=float) + dx
            est = t["estimate"].astype(float).to_numpy()
            lo = t["conf_low"].astype(float).to_numpy()
            hi = t["conf_high"].astype(float).to_numpy()
            is_ref = (
                (t["event_time"] == ref).to_numpy() if ref is not None else np.zeros(len(t), bool)
            )
            text = series if series else None
            if use == "band":
                (line,) = a.plot(x, est, marker="o", color=colour, label=text, gid="es-series")
                a.fill_between(x, lo, hi, color=colour, alpha=0.2, lw=0, gid="es-band")
                handle = line
            else:
                ok = ~is_ref
                cont = a.errorbar(
                    x[ok], est[ok], yerr=np.vstack([est[ok] - lo[ok], hi[ok] - est[ok]]),
                    fmt="o", color=colour, ms=3.5, lw=1.0, capsize=0, label=text,
                )  # fmt: skip
                cont._es_series = True  # type: ignore[attr-defined]
                handle = cont
            if is_ref.any():
                a.plot(x[is_ref], est[is_ref], "o", mfc="white", color=colour, ms=4.5, zorder=4,
                       gid="es-reference")  # fmt: skip
                refs.add(int(ref))
            if text and text not in handles:
                handles[text] = handle
            for k in t["event_time"]:
                ticks.setdefault(int(k), _minus(str(int(k))))
                at_tick[int(k)] = at_tick.get(int(k), 0) + 1
            for k, lab in bins.items():
                if int(k) in set(t["event_time"]):
                    bin_at.setdefault(int(k), []).append((series, _bin_label(lab, int(k))))
            notes_n.append((meta["n_obs"], meta["n_clusters"]))
            frames.append(
                pd.DataFrame(
                    {
                        "panel": pname,
                        "series": series,
                        "event_time": t["event_time"].to_numpy(),
                        "x": x,
                        "estimate": est,
                        "std_error": t["std_error"].astype(float).to_numpy()
                        if "std_error" in t
                        else np.nan,
                        "conf_low": lo,
                        "conf_high": hi,
                        "n_obs": meta["n_obs"],
                        "n_clusters": meta["n_clusters"],
                        "is_reference": is_ref,
                    }
                )
            )
        for r in sorted(refs):
            a.annotate("ref.", (r, 0), textcoords="offset points", xytext=(0, -11), ha="center",
                       fontsize=6, gid="es-reference-label")  # fmt: skip
        if not any(line.get_gid() == "es-zero" for line in a.get_lines()):
            a.axhline(0, color="black", lw=0.8, gid="es-zero")
            a.axvline(-0.5, color="grey", ls="--", lw=0.8, gid="es-onset")
        a.xaxis.set_minor_locator(mticker.NullLocator())
        a.set_xlabel("Years relative to adoption (onset at 0)")
        a.set_ylabel(ylabel)
        if own:
            a.set_title((titles or {}).get(pname, _nice(pname)) if pname else "")
        # a binned endpoint gets a "<=k"/">=k" tick only when every series drawn there is binned
        partial: dict[str, list[str]] = {}
        for k, lst in sorted(bin_at.items()):
            if len(lst) == at_tick[k]:
                ticks[k] = lst[0][1]
            else:
                for series, lab in lst:
                    partial.setdefault(series, []).append(lab)
        notes_n = [*getattr(a, "_es_n", []), *notes_n]  # earlier calls on the same axes
        a._es_n = notes_n  # type: ignore[attr-defined]
        text = note if isinstance(note, str) else _n_note(notes_n)
        if partial and note is not False:
            text = "\n".join(
                filter(None, [text, *(f"{s}: {', '.join(v)} binned" for s, v in partial.items())])
            )
        if not own and getattr(a, "_es_ticks", None):
            ticks = {**a._es_ticks, **ticks}  # type: ignore[attr-defined]
        a._es_ticks = ticks  # type: ignore[attr-defined]
        ks = sorted(ticks)
        a.set_xticks(ks, [ticks[k] for k in ks])
        a.set_xlim(min(ks) - 0.6, max(ks) + 0.6)
        if note:
            for old_note in [t for t in a.texts if t.get_gid() == "n-note"]:
                old_note.remove()
            _corner_note(a, text)
    data = pd.concat(frames, ignore_index=True)
    data["tick_label"] = [
        axes[p]._es_ticks.get(int(k), "")  # type: ignore[attr-defined]
        for p, k in zip(data["panel"], data["event_time"], strict=True)
    ]
    if own:
        if len(handles) > 1:
            _finish(fig, list(axes.values()), list(handles.values()), list(handles.keys()))
        else:
            _finish(fig, list(axes.values()))
    return fig, data


# ----------------------------------------------------------------------------- robustness
def coefficient_plot(
    table: pd.DataFrame,
    *,
    label: str | None = None,
    group: str | None = None,
    panel: str | None = None,
    headline: float | str | None = "auto",
    reference: float | None = 0.0,
    xlabel: str = "Estimate",
    note: bool = True,
    titles: Mapping[str, str] | None = None,
    figsize: tuple[float, float] | None = None,
) -> tuple[plt.Figure, pd.DataFrame]:
    """Robustness coefficient plot: one row per specification, grouped by the choice varied.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per specification with ``estimate``, ``conf_low``,
        ``conf_high``, a label column and optionally the choice varied,
        ``n_obs``, ``n_clusters`` and ``outcome``.
    label : str, optional
        Row label column (default ``"label"``, else ``"specification"``).
    group : str, optional
        Column of the choice varied (default ``"choice"`` when present); rows
        are grouped under a bold header per choice, in order of appearance.
    panel : str, optional
        One panel per value of this column, rows aligned across panels
        (default ``"outcome"`` when it has several values).
    headline : float, "auto" or None
        A dashed line at the headline estimate. ``"auto"``: the estimate of
        the row whose ``headline`` column is true, or whose choice or label is
        ``"headline"`` (per panel); that row is drawn in black. A float draws
        the line there in every panel. ``None``: no line.
    reference : float or None
        A solid line (default at 0).
    xlabel : str
        X-axis label.
    note : bool
        Write ``N = ..., G = ...`` (``n_obs``, ``n_clusters``) at the right
        of each row of the last panel when the columns are present.
    titles : mapping, optional
        Panel value -> title.
    figsize : (float, float), optional
        Default: full width for several panels, column width for one; the
        height grows with the number of rows.

    Returns
    -------
    fig : matplotlib.figure.Figure
    data : pandas.DataFrame
        ``table`` with ``panel``, ``y`` (row position, 0 at top) and
        ``is_headline`` added.
    """
    label = label or next((c for c in ("label", "specification") if c in table), None)
    if label is None:
        raise ValueError(
            f"coefficient_plot: no label column ('label' or 'specification'); columns are {list(table.columns)}"
        )
    group = group if group is not None else ("choice" if "choice" in table else None)
    if panel is None and "outcome" in table and table["outcome"].nunique() > 1:
        panel = "outcome"
    _require(
        table,
        [c for c in ("estimate", "conf_low", "conf_high", label, group, panel) if c],
        "coefficient_plot",
    )
    if table.empty:
        raise ValueError("coefficient_plot: the table has no rows")
    data = table.copy()
    data["panel"] = data[panel].astype(str) if panel else ""
    key_cols = [c for c in (group, label) if c]
    dup = data.duplicated(["panel", *key_cols])
    if dup.any():
        raise ValueError(
            f"coefficient_plot: {int(dup.sum())} duplicated row(s) for {['panel', *key_cols]}, e.g. "
            f"{data.loc[dup, key_cols].iloc[0].to_dict()}"
        )
    # row layout: a header per group, then its rows
    positions: dict[tuple, float] = {}
    ticks: list[tuple[float, str, bool]] = []
    y = 0.0
    groups_seen = list(dict.fromkeys(data[group].astype(str))) if group else [None]
    for gv in groups_seen:
        rows = data[data[group].astype(str) == gv] if group else data
        if group:
            ticks.append((y, _nice(gv), True))
            y += 1
        for lv in dict.fromkeys(rows[label].astype(str)):
            positions[(gv, lv)] = y
            ticks.append((y, lv, False))
            y += 1
        y += 0.4
    data["y"] = [
        positions[(str(g) if group else None, str(lv))]
        for g, lv in zip(data[group] if group else [None] * len(data), data[label], strict=True)
    ]
    flag = pd.Series(False, index=data.index)
    if "headline" in data:
        flag |= data["headline"].fillna(False).astype(bool)
    if headline == "auto":
        for c in key_cols:
            flag |= data[c].astype(str).str.lower().eq("headline")
    data["is_headline"] = flag & (headline == "auto")
    panels = list(dict.fromkeys(data["panel"]))
    n_rows = len(ticks)
    if figsize is None:
        w = FIGSIZES["full"][0] if len(panels) > 1 or note else FIGSIZES["column"][0]
        figsize = (w, max(2.4, 0.17 * n_rows + 1.1))
    fig, axs = plt.subplots(1, len(panels), figsize=figsize, squeeze=False, sharey=True)
    axes = list(axs[0])
    hl_handle = None
    for ax, pv in zip(axes, panels, strict=True):
        d = data[data["panel"] == pv]
        est = d["estimate"].astype(float).to_numpy()
        lo = d["conf_low"].astype(float).to_numpy()
        hi = d["conf_high"].astype(float).to_numpy()
        hl = d["is_headline"].to_numpy()
        for mask, colour, ms in ((~hl, PALETTE[0], 3.5), (hl, "#000000", 4.5)):
            if mask.any():
                ax.errorbar(est[mask], d["y"].to_numpy()[mask], xerr=np.vstack([est[mask] - lo[mask], hi[mask] - est[mask]]),
                            fmt="o", color=colour, ms=ms, lw=1.0, capsize=0)  # fmt: skip
        if reference is not None:
            ax.axvline(reference, color="black", lw=0.8, gid="reference")
        value = float(headline) if isinstance(headline, (int, float)) and not isinstance(headline, bool) else (
            float(est[hl][0]) if hl.any() else None
        )  # fmt: skip
        if value is not None:
            hl_handle = ax.axvline(value, color=PALETTE[3], ls="--", lw=0.9, gid="headline")
        ax.set_title((titles or {}).get(pv, _nice(pv)) if panel else "")
        ax.set_xlabel(xlabel)
        ax.grid(axis="y", visible=False)
    ax0 = axes[0]
    ax0.set_yticks([t[0] for t in ticks], [t[1] for t in ticks])
    for lab, t in zip(ax0.get_yticklabels(), ticks, strict=True):
        if t[2]:
            lab.set_fontweight("bold")
    ax0.tick_params(axis="y", length=0)
    ax0.set_ylim(y - 0.4 + 0.2, -0.8)
    if note and "n_obs" in data:
        last = axes[-1]
        d = data[data["panel"] == panels[-1]]
        trans = mtransforms.blended_transform_factory(last.transAxes, last.transData)
        for _, r in d.iterrows():
            txt = _n_note([(r.get("n_obs"), r.get("n_clusters"))]).replace("clusters", "G")
            last.text(
                1.02,
                r["y"],
                txt,
                transform=trans,
                va="center",
                ha="left",
                fontsize=5.5,
                gid="n-note",
            )
    if hl_handle is not None:
        _finish(fig, axes, [hl_handle], ["headline estimate"])
    else:
        _finish(fig, axes)
    return fig, data.reset_index(drop=True)


# ----------------------------------------------------------------------------- diagnostics
def _bacon_input(obj: Any, twfe: float | None, name: str) -> tuple[pd.DataFrame, float]:
    if isinstance(obj, EstimationResult):
        if "comparisons" not in (obj.extra or {}):
            raise ValueError(
                f"bacon_plot ({name}): result has no extra['comparisons'] (not a bacon_decomposition)"
            )
        comp = obj.extra["comparisons"].copy()
        beta = float(obj.extra["twfe"]) if twfe is None else float(twfe)
    elif isinstance(obj, pd.DataFrame):
        comp = obj.copy()
        _require(comp, ["type", "weight", "estimate"], f"bacon_plot ({name})")
        beta = float((comp["weight"] * comp["estimate"]).sum()) if twfe is None else float(twfe)
    else:
        raise TypeError(
            f"bacon_plot: got a {type(obj).__name__}; expected a bacon_decomposition result or its comparisons"
        )
    return comp, beta


def bacon_plot(
    result: EstimationResult | pd.DataFrame | Mapping[str, Any],
    *,
    twfe: float | None = None,
    titles: Mapping[str, str] | None = None,
    ylabel: str = "2x2 DiD estimate",
    figsize: tuple[float, float] | None = None,
) -> tuple[plt.Figure, pd.DataFrame]:
    """Goodman-Bacon decomposition: each 2x2 estimate against its weight, by comparison type.

    Parameters
    ----------
    result : EstimationResult, DataFrame or mapping
        A :func:`~enforcement_crime.estimators.bacon_decomposition` result
        (its ``extra["comparisons"]`` and ``extra["twfe"]`` are drawn), the
        comparisons frame (``type``, ``weight``, ``estimate``), or a mapping
        panel title (e.g. outcome) -> either, one panel each.
    twfe : float, optional
        The TWFE coefficient line; default the result's, or for a bare frame
        the weighted sum of the 2x2 estimates (equal to it by the
        decomposition identity).
    titles : mapping, optional
    ylabel : str
    figsize : (float, float), optional

    Returns
    -------
    fig : matplotlib.figure.Figure
    data : pandas.DataFrame
        The comparisons drawn with ``panel`` and ``twfe`` columns.

    Notes
    -----
    Scatter by ``seaborn.scatterplot``, colour and marker by comparison type
    (the "forbidden" types compare with already-treated units); dashed line:
    the TWFE coefficient (the weight-weighted mean of the points). The
    decomposition is of the unweighted TWFE; say so in the caption when the
    headline is weighted.
    """
    items = result.items() if isinstance(result, Mapping) else [("", result)]
    parsed = [(str(k), *_bacon_input(v, twfe, str(k))) for k, v in items]
    fig, axes = _grid(len(parsed), None, figsize)
    types = [t for t in _BACON_TYPES if any(t in set(c["type"]) for _, c, _ in parsed)]
    types += sorted({t for _, c, _ in parsed for t in c["type"]} - set(types))
    colours = {t: PALETTE[i % len(PALETTE)] for i, t in enumerate(types)}
    markers = dict(zip(types, ["o", "s", "^", "D", "v", "P"], strict=False))
    frames = []
    for ax, (name, comp, beta) in zip(axes, parsed, strict=True):
        sns.scatterplot(data=comp, x="weight", y="estimate", hue="type", style="type", hue_order=types,
                        style_order=types, palette=colours, markers=markers, s=18, legend=False, ax=ax)  # fmt: skip
        ax.axhline(beta, color="black", ls="--", lw=0.9, gid="twfe")
        ax.axhline(0, color="grey", lw=0.6)
        ax.set_xlabel("Weight")
        ax.set_ylabel(ylabel)
        ax.set_xlim(left=0)
        if name:
            ax.set_title((titles or {}).get(name, _nice(name)))
        frames.append(comp.assign(panel=name, twfe=beta))
    handles = [_line_handle(colours[t], marker=markers[t], ls="none", ms=4) for t in types]
    handles.append(_line_handle("black", ls="--", lw=0.9))
    _finish(fig, axes, handles, [*types, "TWFE (unweighted)"])
    return fig, pd.concat(frames, ignore_index=True)


def _honest_input(obj: Any, alpha: float, name: str) -> dict[str, Any]:
    if isinstance(obj, EstimationResult):
        x = obj.extra or {}
        if "grid" not in x or "original" not in x:
            raise ValueError(
                f"honest_did_plot ({name}): result has no extra['grid']/['original'] (not honest_did)"
            )
        grid = x["grid"]
        kind = str(grid.columns[0])
        return {
            "kind": kind, "values": grid[kind].astype(float).to_numpy(),
            "low": grid["conf_low"].to_numpy(float), "high": grid["conf_high"].to_numpy(float),
            "original": dict(x["original"]), "breakdown": float(x.get("breakdown", np.nan)),
            "n": (obj.n_obs, obj.n_clusters),
        }  # fmt: skip
    if isinstance(obj, pd.DataFrame):
        _require(
            obj,
            ["term", "estimate", "std_error", "conf_low", "conf_high"],
            f"honest_did_plot ({name})",
        )
        parts = obj["term"].astype(str).str.extract(r"^(Mbar|M)=(.+)$")
        if parts.isna().any().any():
            raise ValueError(
                f"honest_did_plot ({name}): terms must read 'Mbar=<v>' or 'M=<v>', got {list(obj['term'])}"
            )
        est, se = float(obj["estimate"].iloc[0]), float(obj["std_error"].iloc[0])
        z = stats.norm.ppf(1 - alpha / 2)
        m = re.search(r"breakdown M(?:bar)?=([-+0-9.eE]+|nan)", _notes_of(obj))
        return {
            "kind": parts[0].iloc[0], "values": parts[1].astype(float).to_numpy(),
            "low": obj["conf_low"].to_numpy(float), "high": obj["conf_high"].to_numpy(float),
            "original": {"estimate": est, "std_error": se, "conf_low": est - z * se, "conf_high": est + z * se},
            "breakdown": float(m.group(1)) if m else np.nan,
            "n": (_single_value(obj, "n_obs"), _single_value(obj, "n_clusters")),
        }  # fmt: skip
    raise TypeError(
        f"honest_did_plot: got a {type(obj).__name__}; expected an honest_did result or its to_frame()"
    )


def honest_did_plot(
    result: EstimationResult | pd.DataFrame | Mapping[str, Any],
    *,
    alpha: float = 0.05,
    ylabel: str = "Average post-period effect",
    titles: Mapping[str, str] | None = None,
    note: bool = True,
    figsize: tuple[float, float] | None = None,
) -> tuple[plt.Figure, pd.DataFrame]:
    """HonestDiD sensitivity: robust intervals against Mbar (or M) beside the original interval.

    Parameters
    ----------
    result : EstimationResult, DataFrame or mapping
        A :func:`~enforcement_crime.estimators.honest_did` result or its
        ``to_frame()`` (terms ``"Mbar=<v>"``/``"M=<v>"``), or a mapping panel
        title -> either.
    alpha : float
        Level of the original interval when it is rebuilt from a frame
        (estimate +/- z * std_error); a result carries its own.
    ylabel : str
    titles : mapping, optional
    note : bool
        "N = ..., clusters = ..." of the underlying event study in a corner.
    figsize : (float, float), optional

    Returns
    -------
    fig : matplotlib.figure.Figure
    data : pandas.DataFrame
        ``panel``, ``restriction`` ("Mbar" or "M"), ``value`` (NaN for the
        original), ``kind`` ("original" or "robust"), ``x``, ``conf_low``,
        ``conf_high``, ``breakdown``.

    Notes
    -----
    The original (parallel-trends) interval is drawn in black one grid step
    left of the smallest restriction value, tick "orig."; the robust
    intervals in blue at their values; the dotted vertical line is the
    breakdown value (smallest restriction size whose interval contains 0)
    when it is finite.
    """
    items = result.items() if isinstance(result, Mapping) else [("", result)]
    parsed = [(str(k), _honest_input(v, alpha, str(k))) for k, v in items]
    fig, axes = _grid(len(parsed), None, figsize)
    frames = []
    for ax, (name, h) in zip(axes, parsed, strict=True):
        vals = h["values"]
        diffs = np.diff(np.unique(vals))
        step = float(diffs.min()) if len(diffs) else 1.0
        x0 = float(vals.min()) - step
        o = h["original"]
        ax.errorbar([x0], [o["estimate"]], yerr=[[o["estimate"] - o["conf_low"]], [o["conf_high"] - o["estimate"]]],
                    fmt="o", color="black", ms=4, lw=1.2, capsize=0)  # fmt: skip
        mid = (h["low"] + h["high"]) / 2
        ax.errorbar(
            vals,
            mid,
            yerr=(h["high"] - h["low"]) / 2,
            fmt="none",
            color=PALETTE[0],
            lw=1.6,
            capsize=0,
        )
        ax.axhline(0, color="black", lw=0.8)
        bd = h["breakdown"]
        if np.isfinite(bd):
            ax.axvline(bd, color=PALETTE[3], ls=":", lw=1.0, gid="breakdown")
        sym = r"$\bar{M}$" if h["kind"] == "Mbar" else "$M$"
        ax.set_xticks([x0, *vals], ["orig.", *[_minus(f"{v:g}") for v in vals]])
        ax.xaxis.set_minor_locator(mticker.NullLocator())
        ax.set_xlim(x0 - 0.6 * step, float(vals.max()) + 0.6 * step)
        ax.set_xlabel(sym + (" (relative magnitudes)" if h["kind"] == "Mbar" else " (smoothness)"))
        ax.set_ylabel(ylabel)
        if name:
            ax.set_title((titles or {}).get(name, _nice(name)))
        if note:
            bd_txt = (
                f"breakdown {h['kind']} = {bd:.3g}"
                if np.isfinite(bd)
                else f"no breakdown up to {vals.max():g}"
            )
            _corner_note(ax, "; ".join(filter(None, [_n_note([h["n"]]), bd_txt])))
        frames.append(pd.DataFrame({
            "panel": name, "restriction": h["kind"], "value": [np.nan, *vals],
            "kind": ["original", *["robust"] * len(vals)], "x": [x0, *vals],
            "conf_low": [o["conf_low"], *h["low"]], "conf_high": [o["conf_high"], *h["high"]],
            "breakdown": bd,
        }))  # fmt: skip
    handles = [
        _line_handle("black", marker="o", ms=4), _line_handle(PALETTE[0], lw=1.6),
        _line_handle(PALETTE[3], ls=":", lw=1.0),
    ]  # fmt: skip
    _finish(fig, axes, handles, ["original interval", "robust interval", "breakdown value"])
    return fig, pd.concat(frames, ignore_index=True)


def _crossing(x: np.ndarray, y: np.ndarray, target: float) -> float:
    """Smallest x at which the piecewise-linear curve (sorted by x) first reaches ``target``."""
    order = np.argsort(x)
    x, y = x[order], y[order]
    above = np.flatnonzero(y >= target)
    if len(above) == 0:
        return np.nan
    i = int(above[0])
    if i == 0:
        return float(x[0])
    x0, x1, y0, y1 = x[i - 1], x[i], y[i - 1], y[i]
    return float(x0 + (target - y0) * (x1 - x0) / (y1 - y0))


def power_curve_plot(
    curves: pd.DataFrame,
    *,
    x: str = "effect",
    y: str = "power",
    hue: str | None = "test",
    panel: str | None = "outcome",
    target: float = 0.8,
    xlabel: str = "Effect (per 100,000)",
    xmax: float | None = None,
    titles: Mapping[str, str] | None = None,
    figsize: tuple[float, float] | None = None,
) -> tuple[plt.Figure, pd.DataFrame]:
    """Power against effect size, one line per test (``hue``), one panel per ``panel`` value.

    Parameters
    ----------
    curves : pandas.DataFrame
        Long frame of power curves (e.g. ``design_mde``'s ``curve`` and
        ``curve_calibrated`` stacked with ``test`` and ``outcome`` columns).
    x, y : str
        Effect and power columns.
    hue : str or None
        Column naming the test or design (one line each); ignored when absent.
    panel : str or None
        Column giving panels; ignored when absent.
    target : float
        Power level drawn as a dashed line (0.8); the effect at which each
        curve first reaches it (linear interpolation between grid points,
        NaN when it never does) is marked and returned as ``effect_at_target``.
    xlabel : str
    xmax : float, optional
        Draw only effects ``<= xmax`` (the returned data is what is drawn).
    titles : mapping, optional
    figsize : (float, float), optional

    Returns
    -------
    fig : matplotlib.figure.Figure
    data : pandas.DataFrame
        The drawn rows with ``effect_at_target``.
    """
    hue = hue if hue and hue in curves else None
    panel = panel if panel and panel in curves else None
    _require(curves, [x, y], "power_curve_plot")
    data = curves if xmax is None else curves[curves[x] <= xmax]
    if data.empty:
        raise ValueError(
            "power_curve_plot: no rows to draw"
            + (f" with {x} <= {xmax}" if xmax is not None else "")
        )
    data = data.copy()
    data["_panel"] = data[panel].astype(str) if panel else ""
    data["_hue"] = data[hue].astype(str) if hue else ""
    hues = list(dict.fromkeys(data["_hue"]))
    colours = {h: PALETTE[i % len(PALETTE)] for i, h in enumerate(hues)}
    panels = list(dict.fromkeys(data["_panel"]))
    fig, axes = _grid(len(panels), None, figsize)
    cross: dict[tuple[str, str], float] = {}
    for ax, pv in zip(axes, panels, strict=True):
        d = data[data["_panel"] == pv]
        sns.lineplot(data=d, x=x, y=y, hue="_hue", hue_order=hues, palette=colours, estimator=None,
                     errorbar=None, legend=False, ax=ax)  # fmt: skip
        ax.axhline(target, color="grey", ls="--", lw=0.8, gid="target")
        for h in hues:
            g = d[d["_hue"] == h]
            c = _crossing(g[x].to_numpy(float), g[y].to_numpy(float), target) if len(g) else np.nan
            cross[(pv, h)] = c
            if np.isfinite(c):
                ax.plot([c], [target], marker="|", ms=9, mew=1.5, color=colours[h], gid="crossing")
        ax.set_ylim(0, 1.02)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("Power")
        if pv:
            ax.set_title((titles or {}).get(pv, _nice(pv)))
    data["effect_at_target"] = [
        cross[(p, h)] for p, h in zip(data["_panel"], data["_hue"], strict=True)
    ]
    handles = [_line_handle(colours[h]) for h in hues] if hue else None
    _finish(fig, axes, handles, hues if hue else None)
    return fig, data.drop(columns=["_panel", "_hue"]).reset_index(drop=True)


# ----------------------------------------------------------------------------- synthetic control
def synthetic_control_plot(
    path: pd.DataFrame | EstimationResult,
    gaps: pd.DataFrame | None = None,
    *,
    kind: str = "paths",
    onsets: float | Mapping[Any, float] | None = None,
    row: str | None = None,
    col: str | None = None,
    time: str = "time",
    onset_shift: float = -0.5,
    treated_label: str = "treated",
    ylabel: str = "per 100,000",
    figsize: tuple[float, float] | None = None,
) -> tuple[plt.Figure, pd.DataFrame]:
    """Synthetic control: treated vs synthetic paths, or the treated gap among placebo gaps.

    Parameters
    ----------
    path : DataFrame or EstimationResult
        Long frame with ``time``, ``treated``, ``synthetic``, ``gap`` (the
        estimator's ``extra["path"]``), stacked over units/outcomes with the
        ``row``/``col`` columns; or one
        :func:`~enforcement_crime.estimators.synthetic_control` result (its
        path and ``placebo_gaps``; the first treated period is read from its
        notes when ``onsets`` is not given).
    gaps : DataFrame, optional
        Placebo gaps, long: ``time``, ``unit``, ``gap`` and the ``row``/``col``
        columns (needed for ``kind="gaps"`` unless ``path`` is a result).
    kind : {"paths", "gaps"}
        What to draw.
    onsets : float or mapping, optional
        First treated period: one number for all panels, or row value ->
        number; default a ``first_treated_year``/``onset`` column of
        ``path``. The onset line is drawn at ``onset + onset_shift`` (-0.5:
        between the last untreated and the first treated year) in every
        panel of that row: each unit at its own date.
    row, col : str, optional
        Columns laying out the grid (default ``"county"`` and ``"outcome"``
        when present).
    time : str
        Time column.
    treated_label : str
        Legend text of the treated series.
    ylabel : str
    figsize : (float, float), optional

    Returns
    -------
    fig : matplotlib.figure.Figure
    data : pandas.DataFrame
        Paths (``kind="paths"``), or the placebo gaps stacked with the treated
        gap (``unit`` = ``"treated"``), with ``row``, ``col`` and ``onset``.
    """
    if kind not in ("paths", "gaps"):
        raise ValueError(f"synthetic_control_plot: kind must be 'paths' or 'gaps', not {kind!r}")
    if isinstance(path, EstimationResult):
        x = path.extra or {}
        if "path" not in x:
            raise ValueError(
                "synthetic_control_plot: result has no extra['path'] (not a synthetic control)"
            )
        if onsets is None:
            m = re.search(r"\bfrom (-?\d+)", path.notes or "")
            if not m:
                raise ValueError(
                    "synthetic_control_plot: give `onsets` (no 'from <period>' in the result's notes)"
                )
            onsets = float(m.group(1))
        pg = x.get("placebo_gaps")
        if gaps is None and pg is not None and not pg.empty:
            gaps = (
                pg.rename_axis(time)
                .reset_index()
                .melt(id_vars=time, var_name="unit", value_name="gap")
            )
        path = x["path"].rename(columns={"time": time})
    _require(path, [time, "treated", "synthetic", "gap"], "synthetic_control_plot (path)")
    row = row if row is not None else ("county" if "county" in path else None)
    col = col if col is not None else ("outcome" if "outcome" in path else None)
    _require(path, [c for c in (row, col) if c], "synthetic_control_plot (path)")
    p = path.copy()
    p["_row"] = p[row].astype(str) if row else ""
    p["_col"] = p[col].astype(str) if col else ""
    rows, cols = list(dict.fromkeys(p["_row"])), list(dict.fromkeys(p["_col"]))
    if onsets is None:
        oc = next((c for c in ("first_treated_year", "onset") if c in p), None)
        if oc is None:
            raise ValueError(
                "synthetic_control_plot: give `onsets` (a number or {row value: first treated period}) "
                "or a 'first_treated_year' column: the onset line is drawn at each unit's own date"
            )
        onset_of = p.groupby("_row")[oc].first().astype(float).to_dict()
    elif isinstance(onsets, Mapping):
        onset_of = {str(k): float(v) for k, v in onsets.items()}
        absent = [r for r in rows if r not in onset_of]
        if absent:
            raise ValueError(
                f"synthetic_control_plot: no onset for row(s) {absent}; onsets has {list(onset_of)}"
            )
    else:
        onset_of = {r: float(onsets) for r in rows}
    p["onset"] = p["_row"].map(onset_of)
    if kind == "gaps":
        if gaps is None:
            raise ValueError(
                "synthetic_control_plot: kind='gaps' needs `gaps` (placebo gaps, long)"
            )
        _require(gaps, [time, "unit", "gap"], "synthetic_control_plot (gaps)")
        gp = gaps.copy()
        gp["_row"] = (
            gp[row].astype(str) if row and row in gp else (rows[0] if len(rows) == 1 else None)
        )
        gp["_col"] = (
            gp[col].astype(str) if col and col in gp else (cols[0] if len(cols) == 1 else None)
        )
        if gp["_row"].isna().any() or gp["_col"].isna().any():
            raise ValueError(
                f"synthetic_control_plot: `gaps` needs the columns {[c for c in (row, col) if c]}"
            )
    if figsize is None:
        figsize = (FIGSIZES["full"][0] if len(cols) > 1 else FIGSIZES["column"][0],
                   max(FIGSIZES["column"][1], 2.1 * len(rows)))  # fmt: skip
    fig, axs = plt.subplots(len(rows), len(cols), figsize=figsize, squeeze=False)
    out = []
    for i, rv in enumerate(rows):
        for j, cv in enumerate(cols):
            ax = axs[i][j]
            d = p[(p["_row"] == rv) & (p["_col"] == cv)].sort_values(time)
            if d.empty:
                ax.set_axis_off()
                continue
            if kind == "paths":
                ax.plot(d[time], d["treated"], color=PALETTE[0], marker="o", ms=2.5, gid="treated")
                ax.plot(d[time], d["synthetic"], color=PALETTE[1], ls="--", gid="synthetic")
                out.append(d)
            else:
                g = gp[(gp["_row"] == rv) & (gp["_col"] == cv)]
                segs = [np.column_stack([u[time].to_numpy(float), u["gap"].to_numpy(float)])
                        for _, u in g.sort_values(time).groupby("unit", sort=False)]  # fmt: skip
                ax.add_collection(
                    LineCollection(
                        segs, colors="#999999", linewidths=0.4, alpha=0.6, gid="placebos"
                    )
                )
                ax.plot(d[time], d["gap"], color=PALETTE[3], lw=1.5, gid="treated-gap")
                ax.axhline(0, color="black", lw=0.8)
                ax.autoscale_view()
                out.append(g.assign(onset=onset_of[rv]))
                out.append(d[[time, "gap", "_row", "_col", "onset"]].assign(unit="treated"))
            ax.axvline(onset_of[rv] + onset_shift, color="grey", ls="--", lw=0.8, gid="onset")
            _year_axis(ax)
            title = ": ".join(_nice(v) for v in (rv, cv) if v)
            if title:
                ax.set_title(title, fontsize="small")
            ax.set_xlabel("Year")
            ax.set_ylabel(ylabel if kind == "paths" else f"Gap, {ylabel}")
    if kind == "paths":
        handles = [_line_handle(PALETTE[0], marker="o", ms=2.5), _line_handle(PALETTE[1], ls="--")]
        labels = [treated_label, "synthetic control"]
    else:
        handles = [_line_handle(PALETTE[3], lw=1.5), _line_handle("#999999", lw=0.6)]
        labels = [f"{treated_label} gap", "placebo gaps (donors)"]
    handles.append(_line_handle("grey", ls="--", lw=0.8))
    labels.append("onset")
    _finish(fig, [a for a in axs.ravel() if a.axison], handles, labels)
    data = pd.concat(out, ignore_index=True).rename(
        columns={"_row": row or "row", "_col": col or "col"}
    )
    return fig, data.loc[:, ~data.columns.duplicated()]


# ----------------------------------------------------------------------------- distributions
def distribution_plot(
    values: pd.Series | pd.DataFrame,
    *,
    x: str | None = None,
    hue: str | None = None,
    kind: str = "hist",
    observed: float | Mapping[str, float] | None = None,
    xlabel: str | None = None,
    bins: Any = "auto",
    stat: str = "count",
    ax: plt.Axes | None = None,
    figsize: tuple[float, float] | None = None,
) -> tuple[plt.Figure, pd.DataFrame]:
    """Distribution of a quantity (placebo estimates, source ratios): seaborn histogram or ECDF.

    Parameters
    ----------
    values : Series or DataFrame
        The values, or a frame with column ``x`` (and ``hue``).
    x, hue : str, optional
        Columns of a frame; ``hue`` draws one distribution per value.
    kind : {"hist", "ecdf"}
        ``seaborn.histplot`` (step outlines when ``hue`` is given) or
        ``seaborn.ecdfplot``.
    observed : float or mapping label -> float, optional
        Vertical line(s), e.g. the observed estimate among placebo ones.
    xlabel : str, optional
    bins, stat :
        Passed to ``seaborn.histplot``.
    ax : matplotlib.axes.Axes, optional
    figsize : (float, float), optional

    Returns
    -------
    fig : matplotlib.figure.Figure
    data : pandas.DataFrame
        The values drawn; missing values are not drawn and their number is
        written on the figure (none is left out silently).
    """
    if kind not in ("hist", "ecdf"):
        raise ValueError(f"distribution_plot: kind must be 'hist' or 'ecdf', not {kind!r}")
    if isinstance(values, pd.Series):
        x = x or (values.name if values.name is not None else "value")
        frame = values.rename(x).to_frame()
    elif isinstance(values, pd.DataFrame):
        if x is None:
            raise ValueError("distribution_plot: give `x`, the column to draw")
        frame = values.copy()
    else:
        raise TypeError(
            f"distribution_plot: got a {type(values).__name__}; expected a Series or DataFrame"
        )
    _require(frame, [c for c in (x, hue) if c], "distribution_plot")
    n_missing = int(frame[x].isna().sum())
    data = frame.dropna(subset=[x])
    if data.empty:
        raise ValueError(f"distribution_plot: column {x!r} has no non-missing value")
    own = ax is None
    if own:
        fig, ax = plt.subplots(figsize=figsize or FIGSIZES["column"])
    else:
        fig = ax.figure
    hues = list(dict.fromkeys(data[hue].astype(str))) if hue else None
    pal = {h: PALETTE[i % len(PALETTE)] for i, h in enumerate(hues)} if hues else None
    d = data.assign(**{hue: data[hue].astype(str)}) if hue else data
    if kind == "hist":
        sns.histplot(data=d, x=x, hue=hue, hue_order=hues, palette=pal, bins=bins, stat=stat,
                     element="step" if hue else "bars", fill=not hue, color=PALETTE[0], ax=ax)  # fmt: skip
    else:
        sns.ecdfplot(data=d, x=x, hue=hue, hue_order=hues, palette=pal, color=PALETTE[0], ax=ax)
    obs = {"observed": observed} if isinstance(observed, (int, float)) else dict(observed or {})
    for i, (name, v) in enumerate(obs.items()):
        ax.axvline(float(v), color=PALETTE[3 + i], lw=1.2, ls="--", gid="observed")
        ax.annotate(name, (float(v), 1.0), xycoords=("data", "axes fraction"), xytext=(3, -3),
                    textcoords="offset points", ha="left", va="top", fontsize=6, color=PALETTE[3 + i])  # fmt: skip
    if n_missing:
        _corner_note(ax, f"{n_missing} missing value(s) not shown")
    ax.set_xlabel(xlabel or _nice(x))
    if own:
        _finish(fig, [ax])
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

    A step line: the share of units (or of the total weight) whose date is on
    or before the end of each month of the grid. Missing dates are not
    allowed (``ValueError``: drop and count them first). Dates on the x axis
    use matplotlib's concise date labels (no overprinting).

    Returns the axes and the plotted numbers (month, share, series).
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
    fig, ax = plt.subplots(figsize=figsize or FIGSIZES["column"])
    frames = []
    if by:
        for name, g in u.groupby(u[by].astype("string").fillna("unknown"), sort=True):
            frames.append(rollout_plot(g[date], ax=ax, label=f"{name} ({len(g)})")[1])
    else:
        frames.append(rollout_plot(u[date], ax=ax, label=unit_label)[1])
        if weights:
            frames.append(rollout_plot(u[date], u[weights], ax=ax, label=weight_label)[1])
    if missing:
        _corner_note(ax, f"{missing} unit(s) without a date not drawn")
    if title:
        ax.set_title(title)
    if len(frames) > 1:
        ax.legend(loc="lower right", fontsize="small")
    _finish(fig, [ax])
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

    Units missing ``x`` or ``date`` are not drawn; their number is written on
    the figure. Returns the figure and the rows drawn.
    """
    _require(units, [x, date], "timing_plot")
    ok = units[x].notna() & units[date].notna()
    data = units[ok]
    fig, ax = plt.subplots(figsize=figsize or FIGSIZES["column"])
    sns.scatterplot(data=data, x=x, y=date, s=6, alpha=0.5, linewidth=0, color=PALETTE[0], ax=ax)
    loc = mdates.AutoDateLocator(minticks=3, maxticks=6)
    ax.yaxis.set_major_locator(loc)
    ax.yaxis.set_major_formatter(mdates.ConciseDateFormatter(loc))
    if (~ok).any():
        _corner_note(ax, f"{int((~ok).sum())} unit(s) with missing {x} or {date} not drawn")
    ax.set_xlabel(xlabel or _nice(x))
    ax.set_ylabel(ylabel)
    _finish(fig, [ax])
    return fig, data.reset_index(drop=True)
