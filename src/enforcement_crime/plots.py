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
:func:`distribution_plot`, :func:`spec_curve_plot`, :func:`rollout_figure`
/ :func:`rollout_plot` and :func:`timing_plot`. Conventions: integer year and event-time ticks,
onset lines at each unit's or cohort's own date (event time -0.5, or
``cohort - 0.5`` in calendar years), "N = ..., clusters = ..." in a corner
of estimate figures, tick labels thinned rather than overprinted. Default
figure sizes are :data:`FIGSIZES` (journal column and full width), or the
slides size while the ``"slides"`` style is active.

The implementations live in :mod:`enforcement_crime.plotting` (``trends``,
``estimates``, ``robustness``, ``diagnostics``, ``base``), split to keep modules short;
import them from here. Saving (PDF + PNG + CSV, the data mark) lives in
:func:`enforcement_crime.reports.save_figure`.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import matplotlib.pyplot as plt
import seaborn as sns

from enforcement_crime.plotting.base import (
    FIGSIZES,
    NEVER_TREATED,
    PALETTE,
    share_axis_labels,
    thin_tick_labels,
)
from enforcement_crime.plotting.diagnostics import (
    bacon_plot,
    distribution_plot,
    honest_did_plot,
    placebo_plot,
    power_curve_plot,
    synthetic_control_plot,
    top_donors,
)
from enforcement_crime.plotting.estimates import event_study_plot
from enforcement_crime.plotting.robustness import coefficient_plot, spec_curve_plot
from enforcement_crime.plotting.trends import (
    cohort_trends,
    raw_trends_plot,
    rollout_figure,
    rollout_plot,
    timing_plot,
)

__all__ = [
    "FIGSIZES",
    "PALETTE",
    "NEVER_TREATED",
    "style_path",
    "use_style",
    "share_axis_labels",
    "thin_tick_labels",
    "cohort_trends",
    "raw_trends_plot",
    "event_study_plot",
    "coefficient_plot",
    "spec_curve_plot",
    "bacon_plot",
    "honest_did_plot",
    "power_curve_plot",
    "synthetic_control_plot",
    "top_donors",
    "distribution_plot",
    "placebo_plot",
    "rollout_plot",
    "rollout_figure",
    "timing_plot",
]


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
