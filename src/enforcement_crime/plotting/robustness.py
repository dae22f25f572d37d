"""Robustness figures: the coefficient plot of a design's robustness table, the specification curve.

Public names are re-exported by :mod:`enforcement_crime.plots`; import from there.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import matplotlib.transforms as mtransforms
import numpy as np
import pandas as pd

from enforcement_crime.labels import LABELS, humanize
from enforcement_crime.plotting.base import (
    PALETTE,
    _corner_note,
    _finish,
    _line_handle,
    _n_note,
    _nice,
    _require,
    _sizes,
)


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
    wrap: int = 34,
    figsize: tuple[float, float] | None = None,
) -> tuple[plt.Figure, pd.DataFrame]:
    """Robustness coefficient plot: one row per specification, grouped by the choice varied.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per specification with ``estimate``, ``conf_low``,
        ``conf_high``, a label column and optionally the choice varied,
        ``n_obs``, ``n_clusters`` and ``outcome`` (e.g.
        ``designs.evidence.plot_rows(robustness_table)``). A row without an
        estimate keeps its place and reads "not estimated".
    label : str, optional
        Row label column (default the first of ``"label"``, ``"variant"``
        (the designs' robustness tables), ``"specification"``).
    group : str, optional
        Column of the choice varied (default ``"choice"`` when present); rows
        are grouped under a bold header per choice, in order of appearance.
    panel : str, optional
        One panel per value of this column, rows aligned across panels
        (default ``"outcome"`` when it has several values).
    headline : float, str or None
        A dashed line at the headline estimate, whose row is drawn in black.
        A row label (e.g. the design's ``headline_spec().label``): the row
        with that label (per panel) is the headline; a group called
        ``"headline"`` that does not hold it is shown as "baseline of the
        variants" (it is what the other rows vary, not the headline).
        ``"auto"``: the row whose ``headline`` column is true, else whose
        choice or label is ``"headline"``. A float draws the line there in
        every panel. ``None``: no line.
    reference : float or None
        A solid line (default at 0).
    xlabel : str
        X-axis label.
    note : bool
        Write ``N = ..., clusters = ...`` (``n_obs``, ``n_clusters``) at the right
        of each row of the last panel when the columns are present.
    titles : mapping, optional
        Panel value -> title.
    wrap : int
        Row labels longer than this many characters are wrapped onto more lines.
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
    label = label or next((c for c in ("label", "variant", "specification") if c in table), None)
    if label is None:
        raise ValueError(
            "coefficient_plot: no label column ('label', 'variant' or 'specification'); "
            f"columns are {list(table.columns)}"
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
            f"coefficient_plot: {int(dup.sum())} duplicated row(s) for "
            f"{['panel', *key_cols]}, e.g. "
            f"{data.loc[dup, key_cols].iloc[0].to_dict()}"
        )
    # row layout: a header per group, then its rows
    positions: dict[tuple, float] = {}
    ticks: list[tuple[float, str, bool]] = []
    y = 0.0
    groups_seen = list(dict.fromkeys(data[group].astype(str))) if group else [None]
    by_label = isinstance(headline, str) and headline != "auto"
    for gv in groups_seen:
        rows = data[data[group].astype(str) == gv] if group else data
        if group:
            header = _nice(gv)
            if by_label and str(gv).lower() == "headline" and not (rows[label] == headline).any():
                header = "baseline of the variants"
            ticks.append((y, header, True))
            y += 1
        for lv in dict.fromkeys(rows[label].astype(str)):
            text = textwrap.fill(humanize(lv), wrap)  # long labels on two or more lines
            extra = 0.85 * text.count("\n")
            positions[(gv, lv)] = y + extra / 2
            ticks.append((y + extra / 2, text, False))
            y += 1 + extra
        y += 0.4
    data["y"] = [
        positions[(str(g) if group else None, str(lv))]
        for g, lv in zip(data[group] if group else [None] * len(data), data[label], strict=True)
    ]
    flag = pd.Series(False, index=data.index)
    if by_label:
        flag |= data[label].astype(str).eq(headline)
        if not flag.any():
            raise ValueError(
                f"coefficient_plot: no row labelled {headline!r} (the headline); "
                f"labels are {list(dict.fromkeys(data[label].astype(str)))}"
            )
    elif headline == "auto":
        if "headline" in data and data["headline"].fillna(False).astype(bool).any():
            flag |= data["headline"].fillna(False).astype(bool)
        else:
            for c in key_cols:
                flag |= data[c].astype(str).str.lower().eq("headline")
    data["is_headline"] = flag
    panels = list(dict.fromkeys(data["panel"]))
    n_rows = y
    if figsize is None:
        w = _sizes()["full"][0] if len(panels) > 1 or note else _sizes()["column"][0]
        figsize = (w, max(2.4, 0.17 * n_rows * plt.rcParams["font.size"] / 9 + 1.1))
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
                ax.errorbar(
                    est[mask],
                    d["y"].to_numpy()[mask],
                    xerr=np.vstack([est[mask] - lo[mask], hi[mask] - est[mask]]),
                    fmt="o",
                    color=colour,
                    ms=ms,
                    lw=1.0,
                    capsize=0,
                )
        missing = np.isnan(est)
        if missing.any():  # rows without an estimate keep their place and say so
            trans = mtransforms.blended_transform_factory(ax.transAxes, ax.transData)
            for yv in d["y"].to_numpy()[missing]:
                ax.text(0.02, yv, "not estimated", transform=trans, va="center", ha="left",
                        fontsize=6.5, color="#777777", gid="not-estimated")  # fmt: skip
        if reference is not None:
            ax.axvline(reference, color="black", lw=0.8, gid="reference")
        value = (
            float(headline)
            if isinstance(headline, (int, float)) and not isinstance(headline, bool)
            else (float(est[hl][0]) if hl.any() else None)
        )
        if value is not None:
            hl_handle = ax.axvline(value, color=PALETTE[3], ls="--", lw=0.9, gid="headline")
        ax.set_title((titles or {}).get(pv, _nice(pv)) if panel else "")
        ax.set_xlabel(xlabel)
        ax.grid(axis="y", visible=False)
        ax.xaxis.set_major_locator(mticker.MaxNLocator(nbins=3))
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
            txt = _n_note([(r.get("n_obs"), r.get("n_clusters"))])
            last.text(
                1.02,
                r["y"],
                txt,
                transform=trans,
                va="center",
                ha="left",
                fontsize=6.5,
                gid="n-note",
            )
    if hl_handle is not None:
        _finish(fig, axes, [hl_handle], ["headline estimate"])
    else:
        _finish(fig, axes)
    return fig, data.reset_index(drop=True)


# ----------------------------------------------------------------------------- specification curve
def _sentence(text: str) -> str:
    """First letter upper case (group names of the specification curve read alike)."""
    return text[:1].upper() + text[1:]


def spec_curve_plot(
    results: pd.DataFrame,
    *,
    choices: Sequence[str],
    reference: float | None = 0.0,
    reference_label: str = "zero",
    headline: float | None = None,
    ylabel: str = "Estimate",
    figsize: tuple[float, float] | None = None,
) -> tuple[plt.Figure, pd.DataFrame]:
    """Specification curve: sorted estimates with intervals, each specification's choices below.

    Parameters
    ----------
    results : pandas.DataFrame
        One row per specification with ``estimate``, ``conf_low``,
        ``conf_high`` and the ``choices`` columns; rows with a ``status``
        other than ``"ok"`` or a missing estimate are not drawn, and their
        number is written on the figure.
    choices : list of str
        Choice columns shown in the lower panel, one row per value.
    reference : float or None
        Horizontal reference line (zero, or a synthetic panel's true effect).
    reference_label : str
    headline : float, optional
        A dashed line at the headline estimate.
    ylabel : str
    figsize : (float, float), optional
        Default full width, taller with more choice values.

    Returns
    -------
    fig : matplotlib.figure.Figure
    data : pandas.DataFrame
        ``rank`` (1 = smallest estimate), ``estimate``, ``conf_low``,
        ``conf_high``, ``excludes_reference`` and the choices (and
        ``spec_id`` when present).

    Notes
    -----
    Points whose interval excludes the reference are drawn in vermillion,
    the others in blue (both in the lower panel too); intervals are error
    bars up to 80 specifications and a shaded band beyond. Rank ticks are
    integers.
    """
    choices = list(choices)
    _require(results, ["estimate", "conf_low", "conf_high", *choices], "spec_curve_plot")
    ok = results["estimate"].notna()
    if "status" in results:
        ok &= results["status"].eq("ok")
    left_out = int((~ok).sum())
    d = results[ok].sort_values("estimate", kind="stable").reset_index(drop=True)
    if d.empty:
        raise ValueError("spec_curve_plot: no specification has an estimate")
    d["rank"] = np.arange(1, len(d) + 1)
    ref = 0.0 if reference is None else float(reference)
    d["excludes_reference"] = (d["conf_low"] > ref) | (d["conf_high"] < ref)
    levels = [(c, v) for c in choices for v in sorted(d[c].astype(str).unique())]
    if figsize is None:
        figsize = (_sizes()["full"][0], _sizes()["full"][1] + 0.12 * len(levels))
    fig, (top, bottom) = plt.subplots(
        2,
        1,
        sharex=True,
        figsize=figsize,
        gridspec_kw={"height_ratios": [2.2, max(1.0, 0.18 * len(levels))]},
    )
    colour = np.where(d["excludes_reference"], PALETTE[3], PALETTE[0])
    x = d["rank"].to_numpy()
    est = d["estimate"].to_numpy(float)
    if len(d) <= 80:
        for c in (PALETTE[0], PALETTE[3]):
            m = colour == c
            if m.any():
                top.errorbar(
                    x[m],
                    est[m],
                    yerr=np.vstack(
                        [
                            est[m] - d["conf_low"].to_numpy(float)[m],
                            d["conf_high"].to_numpy(float)[m] - est[m],
                        ]
                    ),
                    fmt="o",
                    ms=3,
                    lw=0.8,
                    color=c,
                    capsize=0,
                )
    else:
        top.fill_between(
            x,
            d["conf_low"],
            d["conf_high"],
            color=PALETTE[0],
            alpha=0.25,
            lw=0,
            step="mid",
            gid="spec-band",
        )
        top.scatter(x, est, s=6, c=colour, zorder=3)
    handles, labels = [], []
    if reference is not None:
        handles.append(top.axhline(ref, color="black", lw=0.8, ls="--", gid="reference"))
        labels.append(reference_label)
    if headline is not None:
        handles.append(
            top.axhline(float(headline), color=PALETTE[2], lw=0.9, ls="-.", gid="headline")
        )
        labels.append("headline")
    handles += [
        _line_handle(PALETTE[3], marker="o", ls="none", ms=3),
        _line_handle(PALETTE[0], marker="o", ls="none", ms=3),
    ]
    labels += ["interval excludes " + reference_label, "interval includes " + reference_label]
    top.set_ylabel(ylabel)
    note = f"{len(d):,} specifications" + (
        f"; {left_out:,} without an estimate not drawn" if left_out else ""
    )
    _corner_note(top, note)
    for i, (c, v) in enumerate(levels):
        hit = (d[c].astype(str) == v).to_numpy()
        bottom.scatter(
            x[hit], np.full(int(hit.sum()), i), marker="|", s=30, c=colour[hit], linewidths=1
        )
    names = [f"{_sentence(_nice(c))}: {humanize(v) if '_' in v or v in LABELS else v}"
             for c, v in levels]  # fmt: skip
    bottom.set_yticks(range(len(levels)), names, fontsize=6.5)
    bottom.set_ylim(-0.5, len(levels) - 0.5)
    bottom.invert_yaxis()
    bottom.grid(axis="y", visible=False)
    bottom.set_xlabel("Specification (sorted by estimate)")
    bottom.xaxis.set_major_locator(mticker.MaxNLocator(nbins=8, integer=True))
    bottom.set_xlim(0.5, len(d) + 0.5)
    _finish(fig, [top, bottom], handles, labels, share=False)
    cols = [
        c
        for c in ("rank", "spec_id", "estimate", "conf_low", "conf_high", "excludes_reference")
        if c in d
    ]
    return fig, d[cols + [c for c in choices if c not in cols]]
