"""Shared pieces of the figure functions: palette, sizes, notes, legends, layout, tick thinning.

Public names are re-exported by :mod:`enforcement_crime.plots`; import from there.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from enforcement_crime.labels import CODE_NAME, humanize, humanize_figure, label

#: Figure sizes in inches: single column, full width, 16:9 slides.
FIGSIZES = {"column": (3.5, 2.6), "full": (7.0, 4.3), "slides": (10.0, 5.625)}

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


def _nice(name: Any) -> str:
    """The human label of a code name (:func:`enforcement_crime.labels.label`)."""
    return label(name)


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
    """Small boxed note in the upper-left corner (long N notes wrap before "clusters")."""
    if text and max(len(line) for line in text.split("\n")) > 38:
        text = text.replace(", clusters =", "\nclusters =")
    if text:
        ax.text(
            0.02,
            0.98,
            text,
            transform=ax.transAxes,
            ha="left",
            va="top",
            fontsize=6.5,
            zorder=5,
            gid="n-note",
            bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.85},
        )


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

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        Laid out once to measure the labels (unless it was drawn since its
        last change), so call it after the final layout; after each
        thinning step only the thinned axis's tick labels are measured
        again (``Axis.get_tightbbox`` updates them as a draw would; nothing
        else on the figure changed).
    axes : iterable of Axes, optional
        Axes to check (default every axes of ``fig``).

    Notes
    -----
    For each axes, finds the smallest ``k`` such that the labels at ticks
    ``anchor + j*k`` do not overlap (``anchor`` = the tick at 0 when there is
    one, else the first) and fixes the ticks with those labels; the ticks
    themselves stay at every position. Axes whose labels do not overlap are
    left as they are.
    """
    canvas = fig.canvas
    if fig.stale:  # not drawn since its last change (a draw leaves the figure not stale)
        fig.draw_without_rendering()  # lays out and measures the text without rasterising
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
            ax.xaxis.get_tightbbox(renderer)  # updates this axis's tick labels, as a draw would
            if not _labels_overlap(_shown_xticklabels(ax), renderer):
                break


def share_axis_labels(fig: plt.Figure, axes: Any) -> None:
    """One x label and one y label for a row or grid of panels that all carry the same label.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    axes : Axes or array-like of Axes
        The panels.

    Notes
    -----
    When every labelled panel has the same x (or y) label, the panels' labels
    are cleared and the figure gets it once (``fig.supxlabel``/``fig.supylabel``);
    panels with different labels keep theirs. Then ``fig.tight_layout()``
    (before ``save_figure`` adds the synthetic mark, which a layout engine
    would otherwise make room for). With a single panel only the layout is
    tightened. Same behaviour as ``studies.share_axis_labels``, which it
    replaces.
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
    share: bool = True,
    footnote: str | None = None,
) -> None:
    """Human labels, shared labels, a legend on top, a footnote bottom left, tight layout, thinned ticks."""
    humanize_figure(fig)
    if labels is not None:  # code names only: plain words keep their case
        labels = [humanize(t) if CODE_NAME.search(str(t)) else t for t in labels]
    if legend_title:
        legend_title = humanize(legend_title)
    if share:
        share_axis_labels(fig, list(axes))
    else:
        fig.tight_layout()
    top, bottom = 1.0, 0.0
    # the note's and the legend's sizes need no draw: each is measured from its own text
    renderer = fig.canvas.get_renderer()
    if footnote:
        note = fig.text(0.01, 0.005, footnote, ha="left", va="bottom", fontsize=6.5, gid="n-note")
        bottom = note.get_window_extent(renderer).height / fig.bbox.height + 0.01
        sup = fig.get_supxlabel() and fig._supxlabel  # type: ignore[attr-defined]
        if sup:  # the shared x label sits above the note; the layout then avoids it
            sup.set_y(bottom)
            bottom = 0.0
    if handles:
        for ncols in range(min(len(labels or []), 7), 0, -1):  # widest legend that fits
            leg = fig.legend(
                handles,
                labels,
                loc="upper center",
                bbox_to_anchor=(0.5, 1.0),
                ncols=ncols,
                frameon=False,
                fontsize="small",
                title=legend_title,
                title_fontsize="small",
            )
            leg.set_gid("figure-legend")
            if ncols == 1 or leg.get_window_extent(renderer).width <= 0.98 * fig.bbox.width:
                break
            leg.remove()
        top = 1 - leg.get_window_extent(renderer).height / fig.bbox.height - 0.01
    if footnote or handles:
        fig.tight_layout(rect=(0, bottom, 1, top))
    if separate_titles(fig, axes) and (footnote or handles):
        fig.tight_layout(rect=(0, bottom, 1, top))
    if clear_corner_notes(fig, axes) and (footnote or handles):
        fig.tight_layout(rect=(0, bottom, 1, top))  # tick labels of a raised axis may be wider
        clear_corner_notes(fig, axes)
    thin_tick_labels(fig, axes)


_NOTE_GIDS = ("n-note", "exact-fit-warning")


def _titles_overlap(axes: Sequence[plt.Axes], renderer: Any, pad: float = 4.0) -> bool:
    boxes = [a.title.get_window_extent(renderer) for a in axes if a.get_title()]
    return any(
        a.x0 < b.x1 + pad and b.x0 < a.x1 + pad and a.y0 < b.y1 and b.y0 < a.y1
        for i, a in enumerate(boxes)
        for b in boxes[i + 1 :]
    )


def separate_titles(fig: plt.Figure, axes: Iterable[plt.Axes]) -> bool:
    """Keep panel titles apart: smaller, then wrapped onto two lines, until none touch; True if changed.

    Titles of neighbouring panels that run into each other read as one line
    ("Violent crime rateProperty crime rate"); each title is first set one
    font size smaller, then broken at the word nearest its middle.
    """
    axes = [a for a in axes if a.get_title()]
    if len(axes) < 2:
        return False
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    if not _titles_overlap(axes, renderer):
        return False
    for a in axes:
        a.title.set_fontsize("small")
    fig.draw_without_rendering()
    if _titles_overlap(axes, renderer):
        for a in axes:
            words = a.get_title().split()
            if len(words) > 1 and "\n" not in a.get_title():
                cut = min(range(1, len(words)), key=lambda k: abs(
                    len(" ".join(words[:k])) - len(" ".join(words[k:]))))  # fmt: skip
                a.set_title(" ".join(words[:cut]) + "\n" + " ".join(words[cut:]),
                            fontsize="small")  # fmt: skip
    return True


def _data_paths(ax: plt.Axes) -> list[np.ndarray]:
    """Display coordinates of the data drawn on ``ax``, one array per line, band or marker set.

    Lines in axes coordinates (``axvline``/``axhline``) are not data and are left out.
    """
    out = []
    for line in ax.lines:
        if line.get_transform() != ax.transData or not line.get_visible():
            continue
        out.append(ax.transData.transform(np.asarray(line.get_xydata(), float)))
    for coll in ax.collections:
        if not coll.get_visible():
            continue
        trans = coll.get_transform()
        out.extend(trans.transform(np.asarray(p.vertices, float)) for p in coll.get_paths())
        offs = np.asarray(coll.get_offsets(), float)
        if len(offs) and coll.get_offset_transform() == ax.transData:
            out.append(ax.transData.transform(offs))
    return [q for q in out if len(q)]


def _points_under(paths: list[np.ndarray], x0: float, x1: float) -> np.ndarray:
    """Vertices inside ``[x0, x1]`` and their neighbours along each path (so a segment
    crossing the span counts by its end points)."""
    keep = []
    for q in paths:
        inside = (q[:, 0] >= x0) & (q[:, 0] <= x1)
        near = inside | np.r_[inside[1:], False] | np.r_[False, inside[:-1]]
        # a segment spanning the whole range has no vertex inside: keep both ends
        cross = np.r_[
            (q[:-1, 0] < x0) & (q[1:, 0] > x1) | (q[:-1, 0] > x1) & (q[1:, 0] < x0), False
        ]
        near |= cross | np.r_[False, cross[:-1]]
        keep.append(q[near & np.isfinite(q).all(axis=1)])
    return np.vstack(keep) if keep else np.empty((0, 2))


def clear_corner_notes(fig: plt.Figure, axes: Iterable[plt.Axes], pad: float = 0.03) -> bool:
    """Raise the top of each axis so no drawn data lies under its corner note; True if any moved.

    The note's box is measured as drawn; every line, band and marker vertex
    within the note's horizontal span, and its neighbours along the same path
    (a segment crossing the span counts by its ends), is put below the note's
    bottom edge, ``pad`` of the axis height under it. A note taller than three
    quarters of the axis is left as it is (rather than squash the data into a
    strip).
    """
    renderer = fig.canvas.get_renderer()
    moved = False
    for ax in axes:
        notes = [t for t in ax.texts if t.get_gid() in _NOTE_GIDS and t.get_visible()]
        if not notes or ax.yaxis_inverted():
            continue
        box = ax.get_window_extent(renderer)
        nb = [t.get_window_extent(renderer) for t in notes]
        nb = [b for b in nb if b.x0 < box.x1 and b.x1 > box.x0]  # notes drawn inside the panel
        if not nb:
            continue
        frac = (min(b.y0 for b in nb) - box.y0) / box.height - pad
        if frac <= 0.25:
            continue
        under = _points_under(_data_paths(ax), min(b.x0 for b in nb), max(b.x1 for b in nb))
        if not len(under):
            continue
        ymax = float(ax.transData.inverted().transform(under)[:, 1].max())
        lo, hi = ax.get_ylim()
        if hi <= lo or (ymax - lo) / (hi - lo) <= frac:
            continue
        ax.set_ylim(lo, lo + (ymax - lo) / frac)
        moved = True
    return moved


def _headroom(ax: plt.Axes) -> None:
    """Raise the top of the y axis so a corner note does not cover the data."""
    notes = [t for t in ax.texts if t.get_gid() == "n-note"]
    if notes:
        n_lines = max(t.get_text().count("\n") + 1 for t in notes)
        lo, hi = ax.get_ylim()
        ax.set_ylim(lo, hi + (hi - lo) * (0.02 + 0.07 * n_lines))


def _slides() -> bool:
    """Whether the slides style is active (its figure size is the current default)."""
    return tuple(plt.rcParams["figure.figsize"]) == FIGSIZES["slides"]


def _sizes() -> dict[str, tuple[float, float]]:
    """:data:`FIGSIZES`, with every size the slides size while the slides style is active."""
    if _slides():
        return {k: FIGSIZES["slides"] for k in FIGSIZES}
    return dict(FIGSIZES)


def _grid(n: int, ncols: int | None, figsize, height: float | None = None):
    ncols = ncols or min(n, 3)
    nrows = int(np.ceil(n / ncols))
    if figsize is None:
        w = FIGSIZES["full"][0] if ncols > 1 else FIGSIZES["column"][0]
        figsize = (w, height or (FIGSIZES["column"][1] if nrows == 1 else 2.3 * nrows))
        if _slides():
            figsize = FIGSIZES["slides"]
    fig, axs = plt.subplots(nrows, ncols, figsize=figsize, squeeze=False)
    flat = list(axs.ravel())
    for a in flat[n:]:
        a.remove()
    return fig, flat[:n]


def _line_handle(colour: str, **kw: Any) -> Line2D:
    return Line2D([], [], color=colour, **kw)


def _notes_of(frame: pd.DataFrame) -> str:
    if "notes" in frame and frame["notes"].notna().any():
        return str(frame["notes"].dropna().iloc[0])
    return ""


def _single_value(frame: pd.DataFrame, col: str) -> Any:
    if col not in frame:
        return None
    vals = frame[col].dropna().unique()
    return vals[0] if len(vals) else None
