"""Estimate figures: event studies (one or several estimators, one panel per outcome).

Public names are re-exported by :mod:`enforcement_crime.plots`; import from there.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import numpy as np
import pandas as pd

from enforcement_crime.plotting.base import (
    PALETTE,
    _bin_label,
    _corner_note,
    _finish,
    _headroom,
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
            text = _nice(series) if series else None
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
                fontsize=6.5,
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
