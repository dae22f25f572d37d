"""Estimate figures: event studies, robustness coefficient plots, specification curves.

Public names are re-exported by :mod:`enforcement_crime.plots`; import from there.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import matplotlib.transforms as mtransforms
import numpy as np
import pandas as pd

from enforcement_crime.plotting.base import (
    PALETTE,
    _bin_label,
    _corner_note,
    _finish,
    _headroom,
    _line_handle,
    _minus,
    _n_note,
    _nice,
    _notes_of,
    _require,
    _single_value,
    _sizes,
)
from enforcement_crime.results import EstimationResult


# ----------------------------------------------------------------------------- event studies
def _es_input(obj: Any, name: str) -> tuple[pd.DataFrame, dict[str, Any]]:
    if isinstance(obj, EstimationResult):
        frame = obj.to_frame()
        extra = obj.extra or {}
        ref = extra.get("reference_period")
        binned = {int(str(k).lstrip("e")): v for k, v in (extra.get("binned") or {}).items()}
        meta = {
            "reference": None if ref is None else int(ref),
            "binned": binned,
            "n_obs": obj.n_obs,
            "n_clusters": obj.n_clusters,
        }
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


def _has_values(frame: pd.DataFrame, col: str) -> bool:
    return col in frame and bool(frame[col].notna().any())


def _outcome_of(frame: pd.DataFrame) -> str:
    """The frame's single outcome name (result frames carry one), else ""."""
    if _has_values(frame, "outcome") and frame["outcome"].dropna().nunique() == 1:
        return str(frame["outcome"].dropna().iloc[0])
    return ""


def _event_study_items(obj, *, label, panel, hue, keys):
    """(panel, series, frame, meta) for every series to draw; a result's outcome names its panel."""
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
                if keys == "series":
                    items.append((_outcome_of(f), str(k), f, m))
                else:
                    items.append((str(k), label or "", f, m))
        return items
    if isinstance(obj, EstimationResult):
        f, m = _es_input(obj, label or "")
        return [(_outcome_of(f), label or "", f, m)]
    if isinstance(obj, pd.DataFrame):
        pcol = panel or ("outcome" if _has_values(obj, "outcome") else None)
        candidates = ("label", "estimator_label", "model", "specification")
        hcol = hue or next((c for c in candidates if _has_values(obj, c)), None)
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
            pv = "" if not pcol or pd.isna(key[0]) else str(key[0])
            hv = (label or "") if not hcol or pd.isna(key[-1]) else str(key[-1])
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
    """Event-time coefficients with intervals; reference, onset, binned endpoints and N marked.

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
        size = figsize or (_sizes()["full"] if len(panels) > 1 else _sizes()["column"])
        fig, axs = plt.subplots(1, len(panels), figsize=size, squeeze=False)
        axes = dict(zip(panels, axs[0], strict=True))
    else:
        fig = ax.figure
        axes = {panels[0]: ax}
    frames = []
    handles: dict[str, Any] = {}
    panel_notes: dict[str, str] = {}
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
                    x[ok],
                    est[ok],
                    yerr=np.vstack([est[ok] - lo[ok], hi[ok] - est[ok]]),
                    fmt="o",
                    color=colour,
                    ms=3.5,
                    lw=1.0,
                    capsize=0,
                    label=text,
                )
                cont._es_series = True  # type: ignore[attr-defined]
                handle = cont
            if is_ref.any():
                a.plot(
                    x[is_ref],
                    est[is_ref],
                    "o",
                    mfc="white",
                    color=colour,
                    ms=4.5,
                    zorder=4,
                    gid="es-reference",
                )
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
            a.annotate(
                "ref.",
                (r, 0),
                xycoords=("data", "axes fraction"),
                textcoords="offset points",
                xytext=(0, 2),
                ha="center",
                va="bottom",
                fontsize=6,
                gid="es-reference-label",
            )
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
        panel_notes[pname] = text if note else ""
    # one note for the figure when every panel would carry the same; else one per panel
    texts = set(panel_notes.values())
    footnote = next(iter(texts)) if own and len(panels) > 1 and len(texts) == 1 else None
    if note and footnote is None:
        for pname, a in axes.items():
            for old_note in [t for t in a.texts if t.get_gid() == "n-note"]:
                old_note.remove()
            _corner_note(a, panel_notes[pname])
            if own:
                _headroom(a)
    data = pd.concat(frames, ignore_index=True)
    data["tick_label"] = [
        axes[p]._es_ticks.get(int(k), "")  # type: ignore[attr-defined]
        for p, k in zip(data["panel"], data["event_time"], strict=True)
    ]
    if own:
        several = len(handles) > 1
        _finish(
            fig,
            list(axes.values()),
            list(handles.values()) if several else None,
            list(handles.keys()) if several else None,
            footnote=footnote.replace("\n", "; ") if footnote else None,
        )
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
    for gv in groups_seen:
        rows = data[data[group].astype(str) == gv] if group else data
        if group:
            ticks.append((y, _nice(gv), True))
            y += 1
        for lv in dict.fromkeys(rows[label].astype(str)):
            text = textwrap.fill(lv, wrap)  # long labels on two or more lines
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
    if "headline" in data:
        flag |= data["headline"].fillna(False).astype(bool)
    if headline == "auto":
        for c in key_cols:
            flag |= data[c].astype(str).str.lower().eq("headline")
    data["is_headline"] = flag & (headline == "auto")
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
                        fontsize=6, color="#777777", gid="not-estimated")  # fmt: skip
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
        ax.xaxis.set_major_locator(mticker.MaxNLocator(nbins=4))
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


# ----------------------------------------------------------------------------- specification curve
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
    bottom.set_yticks(range(len(levels)), [f"{_nice(c)}: {v}" for c, v in levels], fontsize=6)
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
