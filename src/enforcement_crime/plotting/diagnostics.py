"""Diagnostic figures: Bacon, HonestDiD, power curves, synthetic control, distributions.

Public names are re-exported by :mod:`enforcement_crime.plots`; import from there.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping
from typing import Any

import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.collections import LineCollection
from scipy import stats

from enforcement_crime.plotting.base import (
    PALETTE,
    _corner_note,
    _finish,
    _grid,
    _headroom,
    _line_handle,
    _minus,
    _n_note,
    _nice,
    _notes_of,
    _require,
    _single_value,
    _sizes,
    _year_axis,
)
from enforcement_crime.results import EstimationResult

_BACON_TYPES = (
    "treated vs never treated",
    "earlier vs later treated",
    "later vs earlier treated (forbidden)",
    "treated vs always treated (forbidden)",
)


# ----------------------------------------------------------------------------- diagnostics
def _bacon_input(obj: Any, twfe: float | None, name: str) -> tuple[pd.DataFrame, float]:
    if isinstance(obj, EstimationResult):
        if "comparisons" not in (obj.extra or {}):
            raise ValueError(
                f"bacon_plot ({name}): result has no extra['comparisons'] "
                "(not a bacon_decomposition)"
            )
        comp = obj.extra["comparisons"].copy()
        beta = float(obj.extra["twfe"]) if twfe is None else float(twfe)
    elif isinstance(obj, pd.DataFrame):
        comp = obj.copy()
        _require(comp, ["type", "weight", "estimate"], f"bacon_plot ({name})")
        beta = float((comp["weight"] * comp["estimate"]).sum()) if twfe is None else float(twfe)
    else:
        raise TypeError(
            f"bacon_plot: got a {type(obj).__name__}; expected a bacon_decomposition result "
            "or its comparisons"
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
        sns.scatterplot(
            data=comp,
            x="weight",
            y="estimate",
            hue="type",
            style="type",
            hue_order=types,
            style_order=types,
            palette=colours,
            markers=markers,
            s=18,
            legend=False,
            ax=ax,
        )
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
                f"honest_did_plot ({name}): result has no extra['grid']/['original'] "
                "(not honest_did)"
            )
        grid = x["grid"]
        kind = str(grid.columns[0])
        return {
            "kind": kind,
            "values": grid[kind].astype(float).to_numpy(),
            "low": grid["conf_low"].to_numpy(float),
            "high": grid["conf_high"].to_numpy(float),
            "original": dict(x["original"]),
            "breakdown": float(x.get("breakdown", np.nan)),
            "n": (obj.n_obs, obj.n_clusters),
        }
    if isinstance(obj, pd.DataFrame):
        _require(
            obj,
            ["term", "estimate", "std_error", "conf_low", "conf_high"],
            f"honest_did_plot ({name})",
        )
        parts = obj["term"].astype(str).str.extract(r"^(Mbar|M)=(.+)$")
        if parts.isna().any().any():
            raise ValueError(
                f"honest_did_plot ({name}): terms must read 'Mbar=<v>' or 'M=<v>', "
                f"got {list(obj['term'])}"
            )
        est, se = float(obj["estimate"].iloc[0]), float(obj["std_error"].iloc[0])
        z = stats.norm.ppf(1 - alpha / 2)
        m = re.search(r"breakdown M(?:bar)?=([-+0-9.eE]+|nan)", _notes_of(obj))
        if "breakdown" in obj:  # the table's own breakdown column (one value per outcome)
            vals = obj["breakdown"].astype(float).unique()
            if len(vals) > 1 and not np.isnan(vals).all():
                raise ValueError(
                    f"honest_did_plot ({name}): several breakdown values {list(vals)} in one "
                    "panel; give one outcome per panel (an 'outcome' column splits the frame)"
                )
            bd_value = float(vals[0])
        else:
            bd_value = float(m.group(1)) if m else np.nan
        return {
            "kind": parts[0].iloc[0],
            "values": parts[1].astype(float).to_numpy(),
            "low": obj["conf_low"].to_numpy(float),
            "high": obj["conf_high"].to_numpy(float),
            "original": {
                "estimate": est,
                "std_error": se,
                "conf_low": est - z * se,
                "conf_high": est + z * se,
            },
            "breakdown": bd_value,
            "n": (_single_value(obj, "n_obs"), _single_value(obj, "n_clusters")),
        }
    raise TypeError(
        f"honest_did_plot: got a {type(obj).__name__}; expected an honest_did result "
        "or its to_frame()"
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
        title -> either. A frame with an ``outcome`` column (a design's
        HonestDiD table, several outcomes stacked) is split into one panel per
        outcome; its ``breakdown`` column, when present, is the breakdown
        value drawn and written in each panel (else the notes' "breakdown
        Mbar=<v>").
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
    if isinstance(result, pd.DataFrame) and "outcome" in result:
        result = {str(k): g for k, g in result.groupby("outcome", sort=False)}
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
        ax.errorbar(
            [x0],
            [o["estimate"]],
            yerr=[[o["estimate"] - o["conf_low"]], [o["conf_high"] - o["estimate"]]],
            fmt="o",
            color="black",
            ms=4,
            lw=1.2,
            capsize=0,
        )
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
                f"breakdown {sym} = {bd:.3g}"
                if np.isfinite(bd)
                else f"no breakdown up to {sym} = {vals.max():g}"
            )
            _corner_note(ax, "\n".join(filter(None, [_n_note([h["n"]]), bd_txt])))
            _headroom(ax)
        frames.append(
            pd.DataFrame(
                {
                    "panel": name,
                    "restriction": h["kind"],
                    "value": [np.nan, *vals],
                    "kind": ["original", *["robust"] * len(vals)],
                    "x": [x0, *vals],
                    "conf_low": [o["conf_low"], *h["low"]],
                    "conf_high": [o["conf_high"], *h["high"]],
                    "breakdown": bd,
                }
            )
        )
    handles = [
        _line_handle("black", marker="o", ms=4),
        _line_handle(PALETTE[0], lw=1.6),
        _line_handle(PALETTE[3], ls=":", lw=1.0),
    ]
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
        sns.lineplot(
            data=d,
            x=x,
            y=y,
            hue="_hue",
            hue_order=hues,
            palette=colours,
            estimator=None,
            errorbar=None,
            legend=False,
            ax=ax,
        )
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
    summary: pd.DataFrame | None = None,
    weights: pd.Series | pd.DataFrame | None = None,
    top_donors: int = 3,
    exact_fit: float = 0.02,
    unit_names: Mapping[Any, str] | pd.Series | None = None,
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
    summary : DataFrame, optional
        One row per panel (the ``row``/``col`` columns) with any of
        ``donors`` (number of donor units) and ``top_donors`` (text, e.g.
        ``"37063 (0.41), 37183 (0.22)"``), e.g. a design's synthetic-control
        table; written in the panel's fit note.
    weights : Series or DataFrame, optional
        Donor weights: a Series by donor (one panel), or a long frame with
        ``unit``, ``weight`` and the ``row``/``col`` columns. The
        ``top_donors`` largest are written in the fit note. A result's
        ``extra["weights"]`` is used when ``path`` is a result.
    top_donors : int
        How many donors the note names.
    exact_fit : float
        Pre-period RMSPE below this share of the treated unit's pre-period
        standard deviation, with at least as many donors as pre-periods,
        draws a warning in the panel: with that many donors the weights can
        reproduce any pre-period path (noise included), so a near-exact fit
        says nothing about the counterfactual.
    unit_names : mapping or Series, optional
        Donor code -> name (e.g. FIPS -> county name): the fit note names the
        largest donors by name rather than by code.
    figsize : (float, float), optional

    Returns
    -------
    fig : matplotlib.figure.Figure
    data : pandas.DataFrame
        Paths (``kind="paths"``), or the placebo gaps stacked with the treated
        gap (``unit`` = ``"treated"``), with ``row``, ``col`` and ``onset``,
        and per panel ``rmspe_pre``, ``rmspe_post``, ``ratio`` (post/pre), the
        pre-fit warning flag ``exact_pre_fit``; ``kind="gaps"`` adds each
        unit's ``ratio_rank`` (1 = largest post/pre ratio) and the panel's
        ``placebo_p`` = rank of the treated ratio / (placebos + 1).

    Notes
    -----
    Fit note in each panel: pre-period RMSPE, post/pre RMSPE ratio, number
    of donors and the largest donor weights (paths); the treated unit's rank
    of the post/pre RMSPE ratio among itself and the placebos and the implied
    permutation p-value (gaps; Abadie, Diamond and Hainmueller 2010), all
    computed from the drawn gaps with the onset of the panel.
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
                    "synthetic_control_plot: give `onsets` "
                    "(no 'from <period>' in the result's notes)"
                )
            onsets = float(m.group(1))
        pg = x.get("placebo_gaps")
        if gaps is None and pg is not None and not pg.empty:
            gaps = (
                pg.rename_axis(time)
                .reset_index()
                .melt(id_vars=time, var_name="unit", value_name="gap")
            )
        if weights is None and isinstance(x.get("weights"), pd.Series):
            weights = x["weights"]
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
                "synthetic_control_plot: give `onsets` "
                "(a number or {row value: first treated period}) "
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
        figsize = (
            _sizes()["full"][0] if len(cols) > 1 else _sizes()["column"][0],
            max(_sizes()["column"][1], 2.6 * len(rows)),
        )
    fig, axs = plt.subplots(len(rows), len(cols), figsize=figsize, squeeze=False)
    out = []
    for i, rv in enumerate(rows):
        for j, cv in enumerate(cols):
            ax = axs[i][j]
            d = p[(p["_row"] == rv) & (p["_col"] == cv)].sort_values(time)
            if d.empty:
                ax.set_axis_off()
                continue
            fit = _sc_fit_stats(d, time, onset_of[rv])
            if kind == "paths":
                ax.plot(d[time], d["treated"], color=PALETTE[0], marker="o", ms=2.5, gid="treated")
                ax.plot(d[time], d["synthetic"], color=PALETTE[1], ls="--", gid="synthetic")
                donors, named = _sc_donors(summary, weights, row, col, rv, cv, top_donors)
                named = _donor_names(named, unit_names)
                fit["donors"] = donors
                lines = [
                    f"pre-RMSPE {_stat(fit['rmspe_pre'])}; post/pre ratio {_stat(fit['ratio'])}"
                ]
                if donors is not None:
                    lines.append(f"{donors} donors" + (f"; top weights {named}" if named else ""))
                out.append(d.assign(**{k: fit[k] for k in ("rmspe_pre", "rmspe_post", "ratio")}))
            else:
                g = gp[(gp["_row"] == rv) & (gp["_col"] == cv)]
                segs = _unit_paths(g.sort_values(time), time)
                ax.add_collection(
                    LineCollection(
                        segs, colors="#999999", linewidths=0.4, alpha=0.6, gid="placebos"
                    )
                )
                ax.plot(d[time], d["gap"], color=PALETTE[3], lw=1.5, gid="treated-gap")
                ax.axhline(0, color="black", lw=0.8)
                ax.autoscale_view()
                ranks = _sc_ratio_ranks(g, d, time, onset_of[rv])
                fit["donors"] = len(ranks) - 1
                k, n_units = int(ranks.loc["treated", "ratio_rank"]), len(ranks)
                fit["placebo_p"] = k / n_units
                lines = [
                    f"post/pre RMSPE ratio: rank {k} of {n_units}, p = {k / n_units:.2f}",
                    f"pre-RMSPE {_stat(fit['rmspe_pre'])}",
                ]
                gg = g.merge(ranks, left_on="unit", right_index=True, how="left")
                tr = d[[time, "gap", "_row", "_col", "onset"]].assign(unit="treated")
                tr = tr.assign(**ranks.loc["treated"].to_dict())
                both = pd.concat([gg.assign(onset=onset_of[rv]), tr], ignore_index=True)
                out.append(both.assign(placebo_p=fit["placebo_p"]))
            ax.axvline(onset_of[rv] + onset_shift, color="grey", ls="--", lw=0.8, gid="onset")
            exact = _sc_exact(fit, exact_fit)
            out[-1] = out[-1].assign(exact_pre_fit=exact)
            if exact:
                many = fit["donors"] if fit["donors"] is not None else "many"
                lines.insert(0, f"near-exact pre-fit with {many} donors: may fit noise")
            width = 36 if len(cols) < 3 else 30  # three panels a row are about 1.6 in wide
            _corner_note(ax, "\n".join(textwrap.fill(x, width) for x in lines))
            _headroom(ax)
            if exact:  # the note says it in the warning colour
                note = [t for t in ax.texts if t.get_gid() == "n-note"][-1]
                note.set_color(PALETTE[3])
                note.set_gid("exact-fit-warning")
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
    data = pd.concat(out, ignore_index=True)
    data = data.drop(columns=[c for c in (row, col) if c and c in data])  # _row/_col hold them
    data = data.rename(columns={"_row": row or "row", "_col": col or "col"})
    return fig, data


def _unit_paths(g: pd.DataFrame, time: str) -> list[np.ndarray]:
    """Each unit's (time, gap) points in ``g``'s row order, the units in order of first appearance.

    The segments of ``[column_stack([u[time], u["gap"]]) for _, u in g.groupby("unit",
    sort=False)]`` (rows of a missing unit left out), cut from two arrays instead of a frame
    per unit.
    """
    codes, uniques = pd.factorize(g["unit"])
    xy = np.column_stack([g[time].to_numpy(float), g["gap"].to_numpy(float)])
    if not len(uniques):
        return []
    keep = codes >= 0
    codes, xy = codes[keep], xy[keep]
    order = np.argsort(codes, kind="stable")
    bounds = np.cumsum(np.bincount(codes, minlength=len(uniques)))[:-1]
    return np.split(xy[order], bounds)


def _sc_fit_stats(d: pd.DataFrame, time: str, onset: float) -> dict[str, Any]:
    """Pre/post RMSPE of the treated gap, their ratio, the pre-period count and SD of the treated."""
    pre = d[time].astype(float) < onset
    gap = d["gap"].astype(float)
    r_pre = float(np.sqrt(np.mean(gap[pre] ** 2))) if pre.any() else np.nan
    r_post = float(np.sqrt(np.mean(gap[~pre] ** 2))) if (~pre).any() else np.nan
    sd = float(d.loc[pre, "treated"].astype(float).std(ddof=1)) if "treated" in d else np.nan
    return {"rmspe_pre": r_pre, "rmspe_post": r_post,
            "ratio": r_post / r_pre if r_pre > 0 else np.inf, "n_pre": int(pre.sum()),
            "sd_pre": sd, "donors": None}  # fmt: skip


def _sc_exact(fit: dict[str, Any], share: float) -> bool:
    """Whether the pre-fit is suspiciously exact: tiny pre-RMSPE and donors >= pre-periods."""
    r, sd, donors = fit["rmspe_pre"], fit.get("sd_pre", np.nan), fit.get("donors")
    if not np.isfinite(r):
        return False
    scale = sd if np.isfinite(sd) and sd > 0 else np.nan
    tiny = r < 1e-9 or (np.isfinite(scale) and r < share * scale)
    many = donors is None or donors >= fit["n_pre"]
    return bool(tiny and many)


def top_donors(weights: pd.Series, top: int = 3) -> str:
    """The ``top`` largest donor weights as text, e.g. ``"37063 (0.41), 37183 (0.22)"``."""
    w = weights.astype(float)
    big = w[w > 1e-6].sort_values(ascending=False).head(top)
    return ", ".join(f"{u} ({v:.2f})" for u, v in big.items())


def _stat(v: float) -> str:
    """A fit statistic for a note: 3 significant digits, "< 0.001" / "> 10,000" at the extremes."""
    if not np.isfinite(v):
        return "inf" if v > 0 else "n/a"
    if v != 0 and abs(v) < 1e-3:
        return "< 0.001"
    if abs(v) >= 1e4:
        return "> 10,000"
    return f"{v:.3g}"


def _donor_names(text: str, names: Mapping[Any, str] | pd.Series | None) -> str:
    """``"37043 (0.67), ..."`` with each donor code replaced by its name (codes without one kept)."""
    if not text or names is None:
        return text
    lookup = {str(k): str(v) for k, v in dict(names).items() if isinstance(v, str) and v}
    return re.sub(r"([^\s,][^,]*?) \((\d+\.\d+)\)",
                  lambda m: f"{lookup.get(m.group(1).strip(), m.group(1))} ({m.group(2)})", text)  # fmt: skip


def _sc_donors(summary, weights, row, col, rv, cv, top: int) -> tuple[int | None, str]:
    """Number of donors and the largest weights as text, from ``weights`` or ``summary``."""
    donors, named = None, ""
    if isinstance(weights, pd.Series):
        w = weights.astype(float)
    elif isinstance(weights, pd.DataFrame):
        m = pd.Series(True, index=weights.index)
        for c, v in ((row, rv), (col, cv)):
            if c and c in weights:
                m &= weights[c].astype(str) == v
        w = weights.loc[m].set_index("unit")["weight"].astype(float)
    else:
        w = None
    if w is not None and len(w):
        donors = int(len(w))
        named = top_donors(w, top)
    if summary is not None and len(summary):
        m = pd.Series(True, index=summary.index)
        for c, v in ((row, rv), (col, cv)):
            if c and c in summary:
                m &= summary[c].astype(str) == v
        s = summary.loc[m]
        if len(s):
            if donors is None and "donors" in s and pd.notna(s["donors"].iloc[0]):
                donors = int(s["donors"].iloc[0])
            if not named and "top_donors" in s and isinstance(s["top_donors"].iloc[0], str):
                named = s["top_donors"].iloc[0]
    return donors, named


def _sc_ratio_ranks(g: pd.DataFrame, d: pd.DataFrame, time: str, onset: float) -> pd.DataFrame:
    """Post/pre RMSPE ratio of the treated gap and of each placebo, ranked (1 = largest)."""
    rows = {}
    # each placebo unit's rows in their order, units in order of appearance (as groupby(sort=False)
    # gives them; a missing unit label, code -1, is left out as groupby leaves it out), then the
    # treated unit's
    codes, units = pd.factorize(g["unit"])
    t_all, gap_all = g[time].to_numpy(float), g["gap"].to_numpy(float)
    rows_of = [np.flatnonzero(codes == k) for k in range(len(units))]
    parts = [(u, t_all[i], gap_all[i]) for u, i in zip(units, rows_of, strict=True)]
    parts.append(("treated", d[time].to_numpy(float), d["gap"].to_numpy(float)))
    for u, t, gap in parts:
        pre = t < onset
        rp = float(np.sqrt(np.mean(gap[pre] ** 2))) if pre.any() else np.nan
        rq = float(np.sqrt(np.mean(gap[~pre] ** 2))) if (~pre).any() else np.nan
        rows[u] = {"unit_rmspe_pre": rp, "unit_rmspe_post": rq,
                   "unit_ratio": rq / rp if rp > 0 else np.inf}  # fmt: skip
    r = pd.DataFrame.from_dict(rows, orient="index")
    # rank as the estimator counts it: units whose ratio is at least the unit's own
    vals = r["unit_ratio"].to_numpy(float)
    r["ratio_rank"] = [int(np.sum(vals >= v * (1 - 1e-12))) for v in vals]
    return r


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
        fig, ax = plt.subplots(figsize=figsize or _sizes()["column"])
    else:
        fig = ax.figure
    hues = list(dict.fromkeys(data[hue].astype(str))) if hue else None
    pal = {h: PALETTE[i % len(PALETTE)] for i, h in enumerate(hues)} if hues else None
    d = data.assign(**{hue: data[hue].astype(str)}) if hue else data
    if kind == "hist":
        sns.histplot(
            data=d,
            x=x,
            hue=hue,
            hue_order=hues,
            palette=pal,
            bins=bins,
            stat=stat,
            element="step" if hue else "bars",
            fill=not hue,
            color=PALETTE[0],
            ax=ax,
        )
    else:
        sns.ecdfplot(data=d, x=x, hue=hue, hue_order=hues, palette=pal, color=PALETTE[0], ax=ax)
    obs = {"observed": observed} if isinstance(observed, (int, float)) else dict(observed or {})
    for i, (name, v) in enumerate(obs.items()):
        ax.axvline(float(v), color=PALETTE[3 + i], lw=1.2, ls="--", gid="observed")
        ax.annotate(
            name,
            (float(v), 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(3, -3),
            textcoords="offset points",
            ha="left",
            va="top",
            fontsize=6.5,
            color=PALETTE[3 + i],
        )
    if n_missing:
        _corner_note(ax, f"{n_missing} missing value(s) not shown")
    ax.set_xlabel(xlabel or _nice(x))
    if own:
        _finish(fig, [ax])
    return fig, data.reset_index(drop=True)


def placebo_plot(
    draws: pd.DataFrame,
    table: pd.DataFrame,
    *,
    xlabel: str | None = None,
    bins: Any = 40,
    ncols: int | None = None,
    figsize: tuple[float, float] | None = None,
) -> tuple[plt.Figure, pd.DataFrame]:
    """Placebo estimates under each re-assignment scheme, with the actual estimate marked.

    Parameters
    ----------
    draws : DataFrame
        Columns ``scheme`` and ``estimate`` (one row per placebo draw), e.g.
        :func:`enforcement_crime.designs.evidence.placebo_tests`' draws.
    table : DataFrame
        One row per scheme: ``scheme``, ``estimate`` (the actual estimate),
        ``placebo_mean``, ``share_extreme``, ``n_draws``.
    xlabel : str, optional
    bins : passed to ``seaborn.histplot``.
    ncols : int, optional
        Panels per row (default up to 3).
    figsize : (float, float), optional

    Returns
    -------
    fig : matplotlib.figure.Figure
    data : pandas.DataFrame
        The draws drawn; draws that could not be estimated are not drawn and
        their number is written on their panel.
    """
    _require(draws, ["scheme", "estimate"], "placebo_plot")
    _require(table, ["scheme", "estimate", "placebo_mean", "share_extreme"], "placebo_plot")
    schemes = [s for s in dict.fromkeys(table["scheme"]) if (draws["scheme"] == s).any()]
    if not schemes:
        raise ValueError("placebo_plot: no scheme of `table` has draws")
    fig, axes = _grid(len(schemes), ncols, figsize)
    for ax, scheme in zip(axes, schemes, strict=True):
        d = draws[draws["scheme"] == scheme]
        ok = d[np.isfinite(d["estimate"].astype("float64"))]
        row = table[table["scheme"] == scheme].iloc[0]
        sns.histplot(data=ok, x="estimate", bins=bins, stat="density", element="bars",
                     color=PALETTE[0], alpha=0.6, ax=ax)  # fmt: skip
        actual = float(row["estimate"])
        ax.axvline(actual, color=PALETTE[3], lw=1.4, ls="--", gid="observed")
        ax.axvline(float(row["placebo_mean"]), color=PALETTE[1], lw=1.0, ls=":", gid="placebo-mean")
        ax.set_title(f"{_nice(scheme)}: share at least as extreme {float(row['share_extreme']):.3f}",
                     fontsize=8)  # fmt: skip
        ax.set_xlabel(xlabel or "Placebo estimate")
        ax.set_ylabel("Density")
        if len(ok) < len(d):
            _corner_note(ax, f"{len(d) - len(ok)} draw(s) not estimable, not shown")
    handles = [_line_handle(PALETTE[3], ls="--"), _line_handle(PALETTE[1], ls=":")]
    _finish(fig, axes, handles, ["actual estimate", "placebo mean"])
    return fig, draws[draws["scheme"].isin(schemes)].reset_index(drop=True)
