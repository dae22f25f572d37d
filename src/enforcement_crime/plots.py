"""Figure style and the one save function every notebook uses.

:func:`use_style` applies a packaged matplotlib style (``"paper"``: embedded
TrueType fonts, no TeX, colour-blind-safe Okabe-Ito palette; ``"slides"``:
16:9, larger type). :func:`save_figure` writes a figure as PDF and PNG plus a
CSV of the plotted numbers, and stamps a visible "SYNTHETIC DATA" mark on
figures made from synthetic data. :func:`event_study_plot` and
:func:`rollout_plot` draw the suite's standard displays.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from enforcement_crime import config

__all__ = [
    "FIGSIZES",
    "SYNTHETIC_MARK",
    "style_path",
    "use_style",
    "mark_synthetic",
    "save_figure",
    "event_study_plot",
    "rollout_plot",
]

SYNTHETIC_MARK = "SYNTHETIC DATA"
FIGSIZES = {"column": (3.5, 2.6), "full": (7.0, 4.3), "slides": (10.0, 5.625)}


def style_path(name: str = "paper") -> Path:
    """Path of a packaged style file (``"paper"`` or ``"slides"``)."""
    res = resources.files("enforcement_crime") / "styles" / f"{name}.mplstyle"
    path = Path(str(res))
    if not path.is_file():
        raise ValueError(f"unknown figure style {name!r}; available: paper, slides")
    return path


def use_style(name: str = "paper") -> None:
    """Apply a packaged style globally (``plt.style.use``)."""
    plt.style.use(str(style_path(name)))


def mark_synthetic(fig: plt.Figure, text: str = SYNTHETIC_MARK) -> None:
    """Stamp a visible diagonal mark and a footer on every axes of ``fig``."""
    for ax in fig.axes:
        ax.text(
            0.5, 0.5, text, transform=ax.transAxes, fontsize=22, color="#D55E00", alpha=0.18,
            ha="center", va="center", rotation=25, fontweight="bold", zorder=0, gid="synthetic-mark",
        )  # fmt: skip
    fig.text(0.995, 0.005, f"{text}: not a study result", ha="right", va="bottom", fontsize=7,
             color="#D55E00", gid="synthetic-footer")  # fmt: skip
    fig._enforcement_crime_synthetic = True  # type: ignore[attr-defined]


def save_figure(
    fig: plt.Figure,
    name: str,
    data: pd.DataFrame,
    *,
    study: str | None = None,
    synthetic: bool,
    outdir: str | Path | None = None,
    formats: tuple[str, ...] = ("pdf", "png"),
) -> dict[str, Path]:
    """Save ``fig`` as PDF + PNG and the plotted numbers as CSV.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    name : str
        File stem, by convention ``fig_<study>_<content>``.
    data : pandas.DataFrame
        The numbers drawn (written as ``<name>.csv``), so a reader can redraw
        or check the figure.
    study : str, optional
        Sub-folder of ``reports/figures``.
    synthetic : bool
        Whether the figure was made from synthetic data; required so that no
        figure is saved without saying. When True the figure is marked
        (:func:`mark_synthetic`) and the CSV gets an ``is_synthetic`` column.
    outdir : path, optional
        Overrides ``reports/figures/<study>``.

    Returns
    -------
    dict
        Format -> written path (``"pdf"``, ``"png"``, ``"csv"``).
    """
    if not isinstance(data, pd.DataFrame) or data.empty:
        raise ValueError(
            f"save_figure({name!r}): `data` must be a non-empty DataFrame of the plotted numbers"
        )
    out = Path(outdir) if outdir else config.figures_dir(study)
    out.mkdir(parents=True, exist_ok=True)
    if synthetic and not getattr(fig, "_enforcement_crime_synthetic", False):
        mark_synthetic(fig)
    paths: dict[str, Path] = {}
    meta = {
        "Title": name,
        "Subject": SYNTHETIC_MARK if synthetic else "real data",
        "Creator": "enforcement_crime",
    }
    for fmt in formats:
        path = out / f"{name}.{fmt}"
        fig.savefig(path, metadata=meta if fmt == "pdf" else None)
        paths[fmt] = path
    csv = data.copy()
    csv["is_synthetic"] = bool(synthetic)
    paths["csv"] = out / f"{name}.csv"
    csv.to_csv(paths["csv"], index=False)
    return paths


def event_study_plot(
    table: pd.DataFrame,
    *,
    ax: plt.Axes | None = None,
    reference: int | None = -1,
    label: str | None = None,
    offset: float = 0.0,
    ylabel: str = "Estimate",
) -> plt.Axes:
    """Coefficients with confidence bands by event time, the reference period and the onset marked.

    ``table`` is an estimator's ``to_frame()`` (rows with ``event_time``,
    ``estimate``, ``conf_low``, ``conf_high``).
    """
    ax = ax or plt.gca()
    t = table.dropna(subset=["event_time"]).sort_values("event_time")
    x = t["event_time"].astype(float).to_numpy() + offset
    ax.axhline(0, color="black", lw=0.8)
    ax.axvline(-0.5, color="grey", ls="--", lw=0.8)
    line = ax.plot(x, t["estimate"], marker="o", label=label)[0]
    ax.fill_between(
        x,
        t["conf_low"].astype(float),
        t["conf_high"].astype(float),
        color=line.get_color(),
        alpha=0.2,
        lw=0,
    )
    if reference is not None:
        ax.plot([reference + offset], [0], marker="o", mfc="white", color=line.get_color())
        ax.annotate(
            "reference",
            (reference, 0),
            textcoords="offset points",
            xytext=(0, -12),
            ha="center",
            fontsize=7,
        )
    ax.set_xlabel("Years relative to adoption (onset at 0)")
    ax.set_ylabel(ylabel)
    return ax


def rollout_plot(
    dates: pd.Series,
    weights: pd.Series | None = None,
    *,
    ax: plt.Axes | None = None,
    label: str | None = None,
    freq: str = "MS",
) -> tuple[plt.Axes, pd.DataFrame]:
    """Cumulative share of units (or of ``weights``, e.g. population) treated by date.

    Returns the axes and the plotted numbers (date, share).
    """
    ax = ax or plt.gca()
    d = pd.to_datetime(dates)
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
    return ax, pd.DataFrame({"month": grid, "share": share, "series": label or ""})
