"""Everything a notebook writes into ``reports/``: figures, tables, regression tables and the output map.

(About 800 lines, on purpose: the structure issue asked for the output registry, the OUTPUTS.md
writer and all saving in one module, so that reports/ has one writer; the regression-table
adapter cannot live elsewhere without an import cycle through ``OutputLog.regression``.)

Saving
    :func:`save_figure` writes a figure as PDF + PNG plus a CSV of the plotted
    numbers; :func:`save_table` writes a LaTeX fragment plus a CSV;
    :func:`regression_table` writes a regression table in the layout papers use
    (one column per specification). Every output says which data it was made
    from: synthetic figures carry a visible "SYNTHETIC DATA" mark, and a
    ``data_label`` (e.g. ``"REAL DATA: FBI CIUS APPROXIMATION OF COUNTY
    TOTALS"``) is drawn in the figure, written into the PDF metadata and into
    the LaTeX caption.
Reproducible bytes
    The same figure and numbers give byte-identical PDF, PNG and CSV files: the
    PDF carries no ``CreationDate`` and the PNG no timestamp, so two runs with
    the same seed can be compared with ``cmp``.
Output registry
    :class:`OutputLog` saves a notebook's figures and tables through the
    functions above, keeps each exported table's numbers in the metadata of
    a one-line ``saved ...`` output of the executed notebook (read back by
    :func:`notebook_tables` and :func:`notebook_values`; no ``application/json``
    output, which JupyterLab would draw as a JSON tree), and records which notebook wrote which file under
    :func:`outputs_registry_dir`; :func:`write_outputs_md` turns the records
    into ``reports/OUTPUTS.md``.

This module imports neither :mod:`enforcement_crime.notebooks` nor the study
code: the notebook runner imports it, never the other way round.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from enforcement_crime import config
from enforcement_crime._pdf_fonts import pdf_font_subsets_without_layout_tables
from enforcement_crime.fileio import atomic_write, atomic_write_bytes, atomic_write_text
from enforcement_crime.labels import humanize, humanize_figure
from enforcement_crime.labels import label as human_label

__all__ = [
    "SYNTHETIC_MARK",
    "TABLE_JSON_KEY",
    "VALUE_JSON_KEY",
    "PDF_CREATOR",
    "mark_data",
    "mark_synthetic",
    "save_figure",
    "show_saved_figure",
    "save_table",
    "RegressionColumn",
    "regression_table",
    "paper_table",
    "table_digits",
    "OutputLog",
    "outputs_registry_dir",
    "write_outputs_md",
    "notebook_tables",
    "notebook_values",
]

SYNTHETIC_MARK = "SYNTHETIC DATA"
TABLE_JSON_KEY = "enforcement_crime_table"
VALUE_JSON_KEY = "enforcement_crime_value"
PDF_CREATOR = "enforcement_crime"
_MARK_COLOUR = "#D55E00"
# footers sit just below the figure's drawing area; figures are saved with bbox_inches="tight",
# so the saved file grows a strip for them and they never overprint axis labels
FOOTER_Y = -0.01


# --------------------------------------------------------------------------------------
# the data-kind mark
# --------------------------------------------------------------------------------------


def _data_text(synthetic: bool, data_label: str | None, where: str) -> str:
    """The words that say which data an output was made from (PDF subject, LaTeX caption).

    Synthetic outputs always say ``SYNTHETIC DATA`` (prefixed when the label
    does not); a label starting with "REAL" on a synthetic output, or with
    "SYNTHETIC" on a real one, is refused.
    Without a label a real-data output says ``real data`` as before.
    """
    label = (data_label or "").strip()
    if synthetic:
        if label.upper().startswith("REAL"):
            raise ValueError(f"{where}: synthetic=True contradicts data_label {label!r}")
        if not label:
            return SYNTHETIC_MARK
        return label if SYNTHETIC_MARK in label.upper() else f"{SYNTHETIC_MARK}: {label}"
    if label.upper().startswith("SYNTHETIC"):
        raise ValueError(f"{where}: synthetic=False contradicts data_label {label!r}")
    return label or "real data"


def mark_synthetic(fig, text: str = SYNTHETIC_MARK) -> None:
    """Stamp one visible diagonal mark across ``fig`` and a footer (synthetic data).

    One mark per figure, not one per panel: a pale diagonal text centred on
    the figure, sized to stay inside it (so it never widens the saved file),
    and the footer "SYNTHETIC DATA: not a study result" bottom right.
    """
    if getattr(fig, "_enforcement_crime_synthetic", False):
        return
    width_in = fig.get_size_inches()[0]
    size = float(min(22.0, max(10.0, 4.0 * width_in)))  # about a third of the width on a column
    fig.text(
        0.5, 0.5, text, fontsize=size, color=_MARK_COLOUR, alpha=0.15, ha="center", va="center",
        rotation=20, fontweight="bold", zorder=10, gid="synthetic-mark",
    )  # fmt: skip
    fig.text(0.995, FOOTER_Y, f"{text}: not a study result", ha="right", va="top", fontsize=7,
             color=_MARK_COLOUR, gid="synthetic-footer")  # fmt: skip
    fig._enforcement_crime_synthetic = True  # type: ignore[attr-defined]


def mark_data(
    fig, *, synthetic: bool, data_label: str | None = None, n_note: str | None = None
) -> None:
    """Draw the data-kind mark (and the sample-size note) on ``fig``, once.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    synthetic : bool
        Synthetic figures get :func:`mark_synthetic` (diagonal mark and footer).
    data_label : str, optional
        Real-data figures get it as a footer in the bottom-right corner, e.g.
        ``"REAL DATA: FBI CIUS APPROXIMATION OF COUNTY TOTALS"``. On a
        synthetic figure the footer stays the synthetic one (the label goes to
        the PDF metadata).
    n_note : str, optional
        Sample size in words, e.g. ``"N = 1,100 county-years, 100 clusters"``,
        drawn in the bottom-left corner.

    Calling it again on the same figure adds nothing (saving twice gives the
    same picture).
    """
    drawn = getattr(fig, "_enforcement_crime_marks", set())
    if synthetic and not getattr(fig, "_enforcement_crime_synthetic", False):
        mark_synthetic(fig)
    label = (data_label or "").strip()
    if not synthetic and label and ("label", label) not in drawn:
        fig.text(0.995, FOOTER_Y, label, ha="right", va="top", fontsize=6.5, color="#555555",
                 gid="data-label-footer")  # fmt: skip
        drawn.add(("label", label))
    if n_note and ("n", n_note) not in drawn:
        fig.text(0.005, FOOTER_Y, n_note, ha="left", va="top", fontsize=6.5, color="#333333",
                 gid="n-note")  # fmt: skip
        drawn.add(("n", n_note))
    fig._enforcement_crime_marks = drawn  # type: ignore[attr-defined]


# --------------------------------------------------------------------------------------
# figures and tables
# --------------------------------------------------------------------------------------


def save_figure(
    fig,
    name: str,
    data: pd.DataFrame,
    *,
    study: str | None = None,
    synthetic: bool,
    data_label: str | None = None,
    n_note: str | None = None,
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
        The numbers drawn (written as ``<name>.csv`` with an ``is_synthetic``
        column), so a reader can redraw or check the figure.
    study : str, optional
        Sub-folder of ``reports/figures``.
    synthetic : bool
        Whether the figure was made from synthetic data; required so that no
        figure is saved without saying. When True the figure is marked
        (:func:`mark_synthetic`).
    data_label : str, optional
        Which data, in words (see :func:`mark_data`); written in the figure
        (real data), and always into the PDF ``Subject`` metadata.
    n_note : str, optional
        Sample size drawn in the bottom-left corner (see :func:`mark_data`).
    outdir : path, optional
        Overrides ``reports/figures/<study>``.

    Returns
    -------
    dict
        Format -> written path (``"pdf"``, ``"png"``, ``"csv"``).

    Notes
    -----
    Saved at the figure's own width at most (:func:`_saved_bbox`: the
    column and full widths of the style stay 3.5 and 7.0 in) and PNGs at
    :data:`PNG_DPI` (300) whatever style is active.
    Each figure is measured for the saved box (:func:`_saved_bbox`) and
    drawn once per format: the do-nothing layout engine that
    ``fig.tight_layout()`` leaves behind is taken off while saving
    (:func:`_without_idle_layout_engine`), and the PDF's embedded font
    subsets leave out the OpenType layout tables a PDF never reads
    (:func:`enforcement_crime._pdf_fonts.pdf_font_subsets_without_layout_tables`).
    Byte-reproducible: the PDF is written without ``CreationDate``, the PNG
    without a timestamp (only ``Software``) and an SVG (``formats`` may add
    ``"svg"``) without ``Date`` and with element ids salted by ``name``, so
    the same figure saved twice gives identical files.
    """
    if not isinstance(data, pd.DataFrame) or data.empty:
        raise ValueError(
            f"save_figure({name!r}): `data` must be a non-empty DataFrame of the plotted numbers"
        )
    subject = _data_text(synthetic, data_label, f"save_figure({name!r})")
    out = Path(outdir) if outdir else config.figures_dir(study)
    out.mkdir(parents=True, exist_ok=True)
    humanize_figure(fig)  # code names on the figure read as words (enforcement_crime.labels)
    mark_data(fig, synthetic=synthetic, data_label=data_label, n_note=n_note)
    meta: dict[str, dict[str, Any] | None] = {
        "pdf": {"Title": name, "Subject": subject, "Creator": PDF_CREATOR, "CreationDate": None},
        "png": {"Software": PDF_CREATOR},
    }
    meta["svg"] = {"Title": name, "Description": subject, "Creator": PDF_CREATOR, "Date": None}
    paths: dict[str, Path] = {}
    import matplotlib

    # SVG element ids are random unless salted: salt with the file name (same figure, same ids)
    bbox = _saved_bbox(fig)
    with matplotlib.rc_context({"svg.hashsalt": name}), _without_idle_layout_engine(fig):
        for fmt in formats:
            path = out / f"{name}.{fmt}"
            with pdf_font_subsets_without_layout_tables() if fmt == "pdf" else nullcontext():
                atomic_write(
                    path,
                    lambda tmp, fmt=fmt: fig.savefig(
                        tmp, format=fmt, metadata=meta.get(fmt), bbox_inches=bbox, pad_inches=0,
                        dpi=PNG_DPI,
                    ),
                )  # fmt: skip
            paths[fmt] = path
    csv = data.copy()
    csv["is_synthetic"] = bool(synthetic)
    paths["csv"] = out / f"{name}.csv"
    text = csv.to_csv(index=False)
    atomic_write_bytes(paths["csv"], text.encode("utf-8"))
    if "png" in paths:
        _show_as_saved(fig, paths["png"])
        _remember_png(text, paths["png"])
    return paths


#: Resolution of every saved PNG (journals ask for at least 300 dpi), whatever the active style.
PNG_DPI = 300

# --------------------------------------------------------------------------------------
# showing a saved figure in a notebook without drawing it again
# --------------------------------------------------------------------------------------

#: attribute of a figure that :func:`save_figure` saved and that has not changed since: its PNG
_SAVED_PNG = "_enforcement_crime_saved_png"


def _show_as_saved(fig, png: Path) -> None:
    """Let IPython show ``fig`` from its saved PNG, scaled down, until the figure changes.

    In a notebook, ``plt.show()`` after :func:`save_figure` would draw the
    figure once more (IPython's inline PNG at the figure's dpi, with a
    second layout pass for ``bbox_inches="tight"``). Instead the figure
    remembers the PNG just written, and the inline PNG formatter
    (:func:`_saved_png_formatter`) shows that file reduced by the whole
    factor closest to ``PNG_DPI / fig.dpi`` (box filter): the notebook shows
    the saved picture, crop included. Any change to the figure afterwards
    (an artist marked stale, which every matplotlib setter does) forgets the
    PNG, and the figure is drawn as usual; so is a figure whose PNG was
    rewritten since (:func:`_reduced_png`). Outside IPython, or when another
    PNG formatter is configured (``retina``, custom ``print_figure_kwargs``),
    nothing changes.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        return
    shell = get_ipython()
    if shell is None or not _saved_png_formatter(shell):
        return
    previous = fig.stale_callback

    def forget(artist, stale):
        if stale:
            fig.__dict__.pop(_SAVED_PNG, None)
            fig.stale_callback = previous
        if previous is not None:
            previous(artist, stale)

    stat = Path(png).stat()
    setattr(fig, _SAVED_PNG, (Path(png), stat.st_mtime_ns, stat.st_size))
    fig.stale_callback = forget


#: The PNG :func:`save_figure` last wrote for each CSV text of plotted numbers in this process
#: (key: SHA-256 of the CSV), with its modification time and size then.
_PNG_BY_NUMBERS: dict[str, tuple[Path, int, int]] = {}


def _numbers_key(csv_text: str) -> str:
    import hashlib

    return hashlib.sha256(csv_text.encode("utf-8")).hexdigest()


def _remember_png(csv_text: str, png: Path) -> None:
    stat = Path(png).stat()
    _PNG_BY_NUMBERS[_numbers_key(csv_text)] = (Path(png), stat.st_mtime_ns, stat.st_size)


def show_saved_figure(data: pd.DataFrame) -> bool:
    """Show the figure saved in this process with the plotted numbers ``data``, from its PNG.

    For code that would draw a figure only to show it again after
    :func:`save_figure` saved it (and closed it): the notebook shows the
    saved PNG, as the inline formatter shows a saved figure
    (:func:`_show_as_saved`: reduced to ``figure.dpi``), instead of a second
    drawing. The figure is found by ``data``, the same numbers (and
    columns) that were passed to :func:`save_figure`; the last one saved
    with them counts.

    Returns
    -------
    bool
        True when nothing is left to draw: the PNG was shown, or there is no
        notebook and the matplotlib backend is non-interactive (``plt.show()``
        would show nothing). False when the caller should draw and show the
        figure itself: no figure saved with these numbers, its PNG rewritten
        since, or a notebook with another PNG formatter (e.g. ``retina``).
    """
    saved = None
    for synthetic in (True, False):  # the CSV's is_synthetic column, as save_figure wrote it
        text = data.assign(is_synthetic=synthetic).to_csv(index=False)
        saved = _PNG_BY_NUMBERS.get(_numbers_key(text))
        if saved is not None:
            break
    if saved is None:
        return False
    import matplotlib
    from IPython import get_ipython
    from IPython.display import display
    from matplotlib.backends import BackendFilter, backend_registry

    shell = get_ipython()
    if shell is None:
        quiet = backend_registry.list_builtin(BackendFilter.NON_INTERACTIVE)
        return matplotlib.get_backend().lower() in quiet
    if not _saved_png_formatter(shell):
        return False
    png = _reduced_png(*saved, float(matplotlib.rcParams["figure.dpi"]))
    if png is None:
        return False
    display({"image/png": png}, raw=True)
    return True


def _saved_png_formatter(shell) -> bool:
    """Put the saved-PNG formatter in front of IPython's default inline PNG one; False if not default.

    Only IPython's own ``print_figure`` partial with the inline backend's
    default arguments (``fmt="png"``, ``bbox_inches="tight"``) is replaced;
    a figure without a remembered PNG (or whose PNG cannot be read) goes to
    it unchanged.
    """
    import functools

    from matplotlib.figure import Figure

    formatter = shell.display_formatter.formatters.get("image/png")
    if formatter is None:
        return False
    try:
        current = formatter.lookup_by_type(Figure)
    except KeyError:
        return False
    if getattr(current, "_enforcement_crime", False):
        return True
    if not (
        isinstance(current, functools.partial)
        and getattr(current.func, "__name__", "") == "print_figure"
        and not current.args
        and current.keywords == {"fmt": "png", "base64": True, "bbox_inches": "tight"}
    ):
        return False

    def png(fig, _default=current):
        saved = fig.__dict__.get(_SAVED_PNG)
        data = _reduced_png(*saved, fig.dpi) if saved is not None else None
        return data if data is not None else _default(fig)

    png._enforcement_crime = True  # type: ignore[attr-defined]
    formatter.for_type(Figure, png)
    return True


def _reduced_png(path: Path, mtime_ns: int, size: int, dpi: float) -> str | None:
    """The PNG at ``path`` reduced to about ``dpi`` (whole factor, box filter), base64.

    None when the file is gone, unreadable, or no longer the one saved
    (another modification time or size: e.g. a later figure saved under the
    same name).
    """
    import base64
    import io

    from PIL import Image

    try:
        stat = path.stat()
        if (stat.st_mtime_ns, stat.st_size) != (mtime_ns, size):
            return None
        with Image.open(path) as im:
            factor = max(1, round(PNG_DPI / float(dpi)))
            small = im.reduce(factor) if factor > 1 else im.copy()
    except (OSError, ValueError):
        return None
    buf = io.BytesIO()
    small.save(buf, format="png")
    return base64.b64encode(buf.getvalue()).decode("ascii")


#: Margin around the drawn content of a saved figure, inches.
SAVE_PAD = 0.04


def _saved_bbox(fig):
    """The area of ``fig`` to save, in inches: its tight box, never wider than the figure.

    Footers below the drawing area (data mark, sample size) widen the box
    downwards, which is what they need; a box wider than the figure (text
    sticking out left or right) is cut to the figure's width, so a figure
    made at 3.5 or 7.0 in is saved at most that wide.

    Measured without drawing the figure first: ``Figure.get_tightbbox``
    updates what it measures (tick labels, title positions, axis labels)
    as a draw would, and gives the box a draw followed by it gives.
    """
    from matplotlib.transforms import Bbox

    tight = fig.get_tightbbox(fig.canvas.get_renderer())
    w, h = fig.get_size_inches()
    x0 = max(tight.x0 - SAVE_PAD, 0.0)
    x1 = min(tight.x1 + SAVE_PAD, w)
    return Bbox([[x0, tight.y0 - SAVE_PAD], [x1, max(tight.y1 + SAVE_PAD, 0.0)]])


@contextmanager
def _without_idle_layout_engine(fig) -> Iterator[None]:
    """Save ``fig`` without the do-nothing layout engine ``fig.tight_layout()`` leaves on it.

    ``Figure.tight_layout`` ends by setting a ``PlaceHolderLayoutEngine``,
    which lays out nothing; ``savefig`` draws a figure that has any layout
    engine once more before printing, to run the layout, so each saved
    format cost two draws. The placeholder is taken off for the save and put
    back afterwards; a figure with a real layout engine (tight, constrained)
    keeps it and is saved as matplotlib does.
    """
    import matplotlib
    from matplotlib.layout_engine import PlaceHolderLayoutEngine

    engine = fig.get_layout_engine()
    if type(engine) is not PlaceHolderLayoutEngine:
        yield
        return
    # set_layout_engine(None) falls back to these rc settings; with both off it removes the engine
    with matplotlib.rc_context(
        {"figure.autolayout": False, "figure.constrained_layout.use": False}
    ):
        fig.set_layout_engine(None)
    try:
        yield
    finally:
        fig.set_layout_engine(engine)


def _latex_escape(text: str) -> str:
    repl = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
            "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\^{}",
            "\u2265": r"$\geq$", "\u2264": r"$\leq$", "\u2212": r"$-$"}  # fmt: skip
    return "".join(repl.get(c, c) for c in str(text))


def _human_frame(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with human column names and text cells (:mod:`enforcement_crime.labels`)."""
    out = table.copy()
    for c in out.columns:
        if out[c].dtype == object or pd.api.types.is_string_dtype(out[c]):
            out[c] = [v if not isinstance(v, str) else humanize(v) for v in out[c]]
    names = [human_label(c) for c in out.columns]
    twice = {n for n in names if names.count(n) > 1}  # two code names, one label: say which
    out.columns = [
        f"{n} ({str(c).replace('_', ' ')})" if n in twice else n
        for n, c in zip(names, out.columns, strict=True)
    ]
    return out


def save_table(
    table: pd.DataFrame,
    name: str,
    *,
    study: str | None = None,
    synthetic: bool,
    data_label: str | None = None,
    outdir: str | Path | None = None,
    float_format: str = "{:.3f}",
    caption: str | None = None,
) -> dict[str, Path]:
    """Write ``table`` as a LaTeX fragment (``<name>.tex``) and CSV (``<name>.csv``).

    The CSV holds full precision and an ``is_synthetic`` column; the LaTeX
    fragment rounds with ``float_format`` and shows human labels for column
    names and text cells (:mod:`enforcement_crime.labels`: ``std_error`` ->
    "Std. error", ``violent_rate`` -> "Violent crime rate"); the CSV keeps the
    code names. A synthetic table says so in a LaTeX comment. When a ``caption`` or a data label is given (synthetic
    tables always have one), the fragment is a ``table`` environment whose
    ``\\caption`` ends with the data label in brackets and whose ``\\label``
    is ``tab:<name>``; otherwise it is a bare ``tabular``.

    Returns
    -------
    dict
        ``{"csv": path, "tex": path}``.
    """
    if not isinstance(table, pd.DataFrame) or table.empty:
        raise ValueError(f"save_table({name!r}): the table is empty")
    label = _data_text(synthetic, data_label, f"save_table({name!r})")
    out = Path(outdir) if outdir else config.tables_dir(study)
    out.mkdir(parents=True, exist_ok=True)
    csv = table.copy()
    csv["is_synthetic"] = bool(synthetic)
    paths = {"csv": out / f"{name}.csv", "tex": out / f"{name}.tex"}
    atomic_write(paths["csv"], lambda tmp: csv.to_csv(tmp, index=False))
    labelled = synthetic or bool((data_label or "").strip())
    full_caption = None
    if caption or labelled:
        parts = [_latex_escape(caption)] if caption else []
        if labelled:
            parts.append(f"[{_latex_escape(label)}]")
        full_caption = " ".join(parts)
    body = _human_frame(table).to_latex(index=False, float_format=float_format.format, na_rep="",
                                        escape=True, caption=full_caption,
                                        label=f"tab:{name}" if full_caption else None)  # fmt: skip
    header = f"% {name}: generated by enforcement_crime.reports.save_table; do not edit by hand\n"
    if synthetic:
        header += "% SYNTHETIC DATA: these numbers are not results of any study\n"
    header += f"% data: {label}\n"
    if caption:
        header += f"% caption: {caption}\n"
    atomic_write_text(paths["tex"], header + body)
    return paths


# --------------------------------------------------------------------------------------
# regression tables (one column per specification)
# --------------------------------------------------------------------------------------


@dataclass
class RegressionColumn:
    """One column of :func:`regression_table`: a result and what the specification holds fixed.

    Parameters
    ----------
    result : EstimationResult
        Any estimator's result (:mod:`enforcement_crime.results`).
    label : str, optional
        Column heading; default the result's ``specification`` attribute when
        it has one, else its estimator name.
    fixed_effects : sequence of str
        Names of the fixed effects in this specification (e.g. ``("county",
        "year")``); each name becomes a row with "Yes"/"No".
    weights : str, optional
        Weight variable, or None for unweighted ("none" in the table).
    outcome : str, optional
        Dependent variable; default the result's ``outcome`` attribute when it
        has one.
    """

    result: Any
    label: str | None = None
    fixed_effects: Sequence[str] = ()
    weights: str | None = None
    outcome: str | None = None

    def heading(self) -> str:
        return str(
            self.label or getattr(self.result, "specification", None) or self.result.estimator
        )

    def depvar(self) -> str:
        return str(self.outcome or getattr(self.result, "outcome", None) or "")


class _MakeTablesModel:
    """Adapter presenting one :class:`RegressionColumn` through maketables' plug-in interface."""

    def __init__(self, column: RegressionColumn, terms: Sequence[str] | None, tex: bool) -> None:
        self.column = column
        frame = column.result.to_frame()
        if terms is not None:
            frame = frame[frame["term"].isin(terms)]
        self.frame = frame
        self.tex = tex

    def _t(self, text: str) -> str:
        if not self.tex:
            return text
        words = humanize(text)
        return _latex_escape(words[:1].upper() + words[1:])

    @property
    def __maketables_coef_table__(self) -> pd.DataFrame:
        f = self.frame
        return pd.DataFrame(
            {"b": f["estimate"].to_numpy(float), "se": f["std_error"].to_numpy(float),
             "p": np.full(len(f), np.nan), "cil": f["conf_low"].to_numpy(float),
             "ciu": f["conf_high"].to_numpy(float)},
            index=pd.Index([self._t(t) for t in f["term"]], name="Coefficient"),
        )  # fmt: skip

    @property
    def __maketables_depvar__(self) -> str:
        dep = self.column.depvar()
        return _latex_escape(human_label(dep)) if self.tex and dep else self._t(dep)

    @property
    def __maketables_fixef_string__(self) -> str | None:
        return "+".join(self._t(fe) for fe in self.column.fixed_effects) or None

    def __maketables_stat__(self, key: str):
        r = self.column.result
        return {"N": r.n_obs, "n_clusters": r.n_clusters}.get(key)


def _yes_no_etable():
    """maketables' ETable with "Yes"/"No" fixed-effect rows (as in the CSV) instead of "x"/"-"."""
    import maketables

    class _ETable(maketables.ETable):
        DEFAULT_FE_MARKER = ("Yes", "No")

    return _ETable


def regression_table(
    columns: Sequence[RegressionColumn],
    name: str,
    *,
    terms: Sequence[str] | None = None,
    study: str | None = None,
    synthetic: bool,
    data_label: str | None = None,
    outdir: str | Path | None = None,
    caption: str | None = None,
    digits: int | None = 3,
    scale: str | Sequence[str] | None = None,
    tex_label: str | None = None,
) -> dict[str, Path]:
    r"""Write a regression table in the layout papers use: one column per specification.

    Each column shows, for each term, the estimate, its standard error in
    parentheses and its confidence interval in brackets; then one row per
    fixed effect ("Yes"/"No"), the weights, the number of observations and of
    clusters. No significance stars: the interval is the estimator's own (it
    may be a t(G-1), bootstrap or randomization interval, which a p-value
    star from a normal approximation would contradict), and its level is
    stated in the note.

    Parameters
    ----------
    columns : sequence of RegressionColumn
        One per specification, in display order.
    name : str
        File stem, by convention ``tab_<study>_<content>``.
    terms : sequence of str, optional
        Terms to show, in this order (default: every term of every result).
    study, outdir
        Where to write, as :func:`save_table`.
    synthetic : bool
        Whether the results come from synthetic data (stated in the caption).
    data_label : str, optional
        Which data, in words: appended to the caption in brackets and written
        as a LaTeX comment, as in :func:`save_table`.
    caption : str, optional
        Caption; the data label is appended in brackets.
    digits : int or None
        Decimals in the LaTeX cells (the CSV keeps full precision). ``None``:
        by scale (:func:`table_digits`: at least 3 for log estimates, 2 for
        rates, more when the smallest standard error needs them).
    scale : str or sequence of str, optional
        The outcome's scale per column (``"log"``: log(1 + rate), ``"level"``:
        per 100,000, or any text), shown as a "Scale" row.
    tex_label : str, optional
        The ``\label`` of the table (default ``tab:<name>``).

    Returns
    -------
    dict
        ``{"csv": path, "tex": path}``. The CSV has one row per displayed
        quantity (``row``: ``"<term>"``, ``"<term> (SE)"``, ``"<term> CI low"``,
        ``"<term> CI high"``, ``"FE: <name>"``, ``"Weights"``,
        ``"Observations"``, ``"Clusters"``, ``"Outcome"``, ``"Estimator"``) and
        one column per specification, at full precision, plus ``is_synthetic``.

    Notes
    -----
    The LaTeX is rendered by maketables' ``ETable`` through its plug-in
    interface (``__maketables_coef_table__`` etc. on a small adapter, so
    :class:`~enforcement_crime.results.EstimationResult` itself is unchanged);
    the document needs the LaTeX packages booktabs, tabularx, threeparttable
    and makecell. Names are LaTeX-escaped (``violent_rate`` ->
    ``violent\_rate``); the CSV keeps them as they are.
    """
    if not columns:
        raise ValueError(f"regression_table({name!r}): no columns")
    columns = list(columns)
    for i, c in enumerate(columns):
        if not isinstance(c, RegressionColumn):
            raise TypeError(
                f"regression_table({name!r}): column {i} is a {type(c).__name__}, "
                "expected RegressionColumn(result, label=..., fixed_effects=..., weights=...)"
            )
    label = _data_text(synthetic, data_label, f"regression_table({name!r})")
    frames = [c.result.to_frame() for c in columns]
    shown = (
        list(terms)
        if terms is not None
        else list(dict.fromkeys(t for f in frames for t in f["term"]))
    )
    for t in shown:
        if not any((f["term"] == t).any() for f in frames):
            raise KeyError(f"regression_table({name!r}): no column has the term {t!r}")
    fes = list(dict.fromkeys(fe for c in columns for fe in c.fixed_effects))
    level = {int(round((1 - c.result.alpha) * 100)) for c in columns}
    level_text = "/".join(f"{lv}%" for lv in sorted(level))

    # the CSV: full precision, one row per displayed quantity
    rows: dict[str, list] = {}
    for t in shown:
        for key, col in (("", "estimate"), (" (SE)", "std_error"), (" CI low", "conf_low"),
                         (" CI high", "conf_high")):  # fmt: skip
            rows[f"{t}{key}"] = [
                float(f.loc[f["term"] == t, col].iloc[0]) if (f["term"] == t).any() else math.nan
                for f in frames
            ]
    for fe in fes:
        rows[f"FE: {fe}"] = ["Yes" if fe in c.fixed_effects else "No" for c in columns]
    rows["Weights"] = [c.weights or "none" for c in columns]
    scales = [scale] * len(columns) if isinstance(scale, str) or scale is None else list(scale)
    if len(scales) != len(columns):
        raise ValueError(
            f"regression_table({name!r}): {len(scales)} scales for {len(columns)} columns"
        )
    if scale is not None:
        rows["Scale"] = [_scale_text(v) for v in scales]
    rows["Observations"] = [c.result.n_obs for c in columns]
    rows["Clusters"] = [c.result.n_clusters for c in columns]
    rows["Outcome"] = [c.depvar() for c in columns]
    rows["Estimator"] = [c.result.estimator for c in columns]
    headings = [c.heading() for c in columns]
    keys = list(zip([c.depvar() for c in columns], headings, strict=True))
    if len(set(keys)) < len(keys):  # the same heading under the same outcome: number them
        headings = [f"({i + 1}) {h}" for i, h in enumerate(headings)]
    csv = pd.DataFrame(rows, index=headings).T.rename_axis("row").reset_index()
    csv["is_synthetic"] = bool(synthetic)
    out = Path(outdir) if outdir else config.tables_dir(study)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"csv": out / f"{name}.csv", "tex": out / f"{name}.tex"}
    atomic_write(paths["csv"], lambda tmp: csv.to_csv(tmp, index=False))

    # the LaTeX: maketables
    if digits is None:
        digits = table_digits([c.result for c in columns], scales)
    sep = "," if len(columns) >= 6 else ", "  # a narrow interval where six columns share the width
    fmt = f"b:.{digits}f \n (se:.{digits}f) \n [cil:.{digits}f{sep}ciu:.{digits}f]"
    models = [_MakeTablesModel(c, shown, tex=True) for c in columns]
    note = (f"Estimate, standard error in parentheses, {_latex_escape(level_text)} confidence interval in "
            "brackets (the estimator's own interval). No significance stars.")  # fmt: skip
    full_caption = " ".join(
        p for p in (_latex_escape(caption) if caption else "", f"[{_latex_escape(label)}]") if p
    )
    custom = {"Weights": [_latex_escape(human_label(c.weights) if c.weights else "none")
                          for c in columns]}  # fmt: skip
    if scale is not None:
        custom["Scale"] = [_latex_escape(_scale_text(v)) for v in scales]
    table = _yes_no_etable()(
        models, coef_fmt=fmt, model_stats=["N", "n_clusters"],
        model_stats_labels={"N": "Observations", "n_clusters": "Clusters"},
        custom_model_stats=custom,
        keep=[_latex_escape(humanize(t)) for t in shown], exact_match=True,
        model_heads=[_latex_escape(humanize(h)) for h in headings], notes=note,
        caption=full_caption, tab_label=tex_label or f"tab:{name}",
        feorder=[models[0]._t(fe) for fe in fes],
    )  # fmt: skip
    tex = table.make(type="tex")
    # a line break followed by "[" reads as \\[<length>] in LaTeX: brace the interval's bracket
    tex = tex.replace("\\\\ [", "\\\\ {[}")
    # many columns: a smaller type so the intervals fit the text width (no overfull cells)
    size = "\\scriptsize" if len(columns) >= 6 else "\\footnotesize" if len(columns) >= 4 else ""
    if size:
        tex = tex.replace("\\centering\n", f"\\centering\n{size}\n", 1)
    if len(columns) >= 6:
        tex = tex.replace("\\setlength{\\tabcolsep}{3pt}", "\\setlength{\\tabcolsep}{1.5pt}", 1)
    header = (
        f"% {name}: generated by enforcement_crime.reports.regression_table; do not edit by hand\n"
    )
    if synthetic:
        header += "% SYNTHETIC DATA: these numbers are not results of any study\n"
    header += f"% data: {label}\n"
    atomic_write_text(paths["tex"], header + tex + ("\n" if not tex.endswith("\n") else ""))
    return paths


def _scale_text(scale: str | None) -> str:
    """Words for a scale: ``"log"`` -> "log(1 + rate)", ``"level"`` -> "per 100,000"."""
    return {"log": "log(1 + rate)", "level": "per 100,000", None: ""}.get(scale, str(scale))


def table_digits(results: Sequence[Any], scales: Sequence[str | None] | str | None = None) -> int:
    """Decimals for a regression table: by scale, and enough for two significant SE digits.

    At least 3 decimals when any column is on the log scale (log points:
    0.012 is a 1.2% effect), else 2 (rates per 100,000); more when the
    smallest positive standard error needs them to show two significant
    digits; at most 6.
    """
    scales = [scales] if isinstance(scales, str) or scales is None else list(scales)
    base = 3 if any(str(s) == "log" or "log" in str(s) for s in scales if s) else 2
    ses = []
    for r in results:
        se = pd.to_numeric(r.to_frame()["std_error"], errors="coerce").abs()
        ses += [float(v) for v in se if np.isfinite(v) and v > 0]
    need = math.ceil(-math.log10(min(ses))) + 1 if ses else base
    return int(min(max(base, need), 6))


def paper_table(
    results: Sequence[Any],
    *,
    name: str,
    caption: str,
    fe: Sequence[str] | Sequence[Sequence[str]] = (),
    weights: str | None | Sequence[str | None] = None,
    scale: str | Sequence[str] | None = None,
    headings: Sequence[str] | None = None,
    terms: Sequence[str] | None = None,
    study: str | None = None,
    synthetic: bool,
    data_label: str | None = None,
    outdir: str | Path | None = None,
) -> dict[str, Path]:
    r"""A paper's main regression table from a list of results: ``<name>_regression.tex`` + CSV.

    Parameters
    ----------
    results : sequence of EstimationResult
        One column each, in display order.
    name : str
        File stem, ``tab_<study>_<content>``; ``_regression`` is appended
        when it does not end so.
    caption : str
        Caption (e.g. the table's description); the data label is appended
        in brackets. The ``\label`` is ``tab:<file stem>``.
    fe : sequence of str, or one sequence per column
        Fixed effects (code names, e.g. ``("fips", "year")``, shown as
        "County", "Year" with Yes/No).
    weights : str, None, or one per column
        Weight variable (``"population"``) or None (unweighted).
    scale : str or one per column
        ``"log"`` (log(1 + rate)) or ``"level"`` (per 100,000); sets the
        "Scale" row and the decimals (:func:`table_digits`).
    headings : sequence of str, optional
        Column headings (default: the estimator's human label, e.g. "TWFE").
    terms : sequence of str, optional
        Terms shown (default every term).
    study, synthetic, data_label, outdir
        As :func:`regression_table`.

    Returns
    -------
    dict
        ``{"csv": path, "tex": path}``.

    Notes
    -----
    Rows: each term's estimate, its standard error in parentheses and its
    interval in brackets; observations, clusters, fixed effects, weights and
    scale. Labels come from :mod:`enforcement_crime.labels` (no code names in
    the LaTeX; the CSV keeps them). LaTeX packages needed: booktabs,
    threeparttable, makecell and tabularx (maketables' output).
    """
    results = list(results)
    if not results:
        raise ValueError(f"paper_table({name!r}): no results")
    stem = name if name.endswith("_regression") else f"{name}_regression"
    n = len(results)
    fes = [list(f) for f in fe] if fe and not isinstance(fe[0], str) else [list(fe)] * n
    ws = list(weights) if weights is not None and not isinstance(weights, str) else [weights] * n
    for what, got in (("fe", fes), ("weights", ws)):
        if len(got) != n:
            raise ValueError(f"paper_table({name!r}): {len(got)} {what} entries for {n} results")
    heads = list(headings) if headings is not None else [human_label(r.estimator) for r in results]
    columns = [
        RegressionColumn(r, label=h, fixed_effects=f, weights=w)
        for r, h, f, w in zip(results, heads, fes, ws, strict=True)
    ]
    return regression_table(columns, stem, terms=terms, study=study, synthetic=synthetic,
                            data_label=data_label, outdir=outdir, caption=caption, digits=None,
                            scale=scale)  # fmt: skip


# --------------------------------------------------------------------------------------
# outputs registry
# --------------------------------------------------------------------------------------


def outputs_registry_dir() -> Path:
    """Where :class:`OutputLog` records which notebook wrote which file (``reports/notebooks/_outputs``)."""
    return config.reports_dir() / "notebooks" / "_outputs"


def _jsonable(v):
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating, float)):
        return None if not np.isfinite(v) else float(v)
    if isinstance(v, (np.bool_,)):
        return bool(v)
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    return v


def _records(table: pd.DataFrame) -> list[dict]:
    return [{k: _jsonable(v) for k, v in row.items()} for row in table.to_dict(orient="records")]


def _display_record(payload, key: str, name: str, text: str) -> None:
    """Show one line of ``text`` whose output metadata carries ``payload`` (no-op outside IPython).

    The numbers travel as output metadata ``{key: {"name": name, "data":
    payload}}`` (read back by :func:`notebook_tables` and
    :func:`notebook_values`), not as an ``application/json`` mime bundle,
    which JupyterLab would draw as a JSON tree.
    """
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # pragma: no cover
        return
    if get_ipython() is None:
        return
    display({"text/plain": text}, raw=True, metadata={key: {"name": name, "data": payload}})


def _saved_line(name: str, paths: Mapping[str, Path]) -> str:
    """``saved tab_x: reports/tables/s/tab_x.{csv,tex}`` (relative to the project root when inside it)."""
    first = Path(next(iter(paths.values())))
    try:
        shown = first.resolve().relative_to(config.project_root().resolve())
    except ValueError:
        shown = first
    exts = ",".join(sorted(paths))
    return f"saved {name}: {shown.with_suffix('')}.{{{exts}}}"


@dataclass
class OutputLog:
    """Save a notebook's figures and tables and record them for ``reports/OUTPUTS.md``.

    Parameters
    ----------
    study : str
        Sub-folder of ``reports/figures`` and ``reports/tables`` (e.g. ``"287g"``).
    notebook : str
        The notebook source, relative to the project root
        (e.g. ``"notebooks/287g/01-estimate-nc-counties.py"``).
    synthetic : bool
        Whether the notebook ran on synthetic data (marks every output).
    data_label : str
        Which data ran, in words; passed to every figure and table
        (see :func:`save_figure`, :func:`save_table`).
    """

    study: str
    notebook: str
    synthetic: bool
    data_label: str = ""
    entries: list[dict] = field(default_factory=list)
    values: dict[str, object] = field(default_factory=dict)

    def _record(self, kind: str, name: str, description: str, paths: Mapping[str, Path]) -> None:
        self.entries.append({"kind": kind, "name": name, "description": description,
                             "files": {k: str(p) for k, p in paths.items()}})  # fmt: skip
        self._write()

    def figure(self, fig, name: str, data: pd.DataFrame, *, description: str = "",
               n_note: str | None = None) -> dict[str, Path]:  # fmt: skip
        """Save a figure (PDF + PNG + CSV) with :func:`save_figure` and record it.

        ``n_note`` (e.g. ``"N = 1,100 county-years, 100 clusters"``) is drawn
        in the figure's bottom-left corner.
        """
        paths = save_figure(fig, name, data, study=self.study, synthetic=self.synthetic,
                            data_label=self.data_label or None, n_note=n_note)  # fmt: skip
        self._record("figure", name, description, paths)
        return paths

    def table(self, table: pd.DataFrame, name: str, *, description: str = "", caption: str | None = None,
              float_format: str = "{:.3f}") -> dict[str, Path]:  # fmt: skip
        """Save a table (LaTeX + CSV), record it, and show one ``saved ...`` line.

        The caption is ``caption``, else the ``description``.

        The line's output metadata (``{TABLE_JSON_KEY: {"name", "data"}}``)
        holds the numbers the notebook computed, so a test can compare the
        executed notebook with the exported CSV (:func:`notebook_tables`);
        nothing is drawn as a JSON tree.
        """
        caption = caption or description or None  # the table's description is its caption
        paths = save_table(table, name, study=self.study, synthetic=self.synthetic, caption=caption,
                           data_label=self.data_label or None, float_format=float_format)  # fmt: skip
        _display_record(_records(table), TABLE_JSON_KEY, name, _saved_line(name, paths))
        self._record("table", name, description, paths)
        return paths

    def regression(self, columns: Sequence[RegressionColumn], name: str, *, description: str = "",
                   terms: Sequence[str] | None = None, caption: str | None = None) -> dict[str, Path]:  # fmt: skip
        """Save a regression table (:func:`regression_table`) and record it."""
        paths = regression_table(columns, name, terms=terms, study=self.study, synthetic=self.synthetic,
                                 data_label=self.data_label or None, caption=caption)  # fmt: skip
        _display_record(
            _records(pd.read_csv(paths["csv"]).drop(columns="is_synthetic")),
            TABLE_JSON_KEY,
            name,
            _saved_line(name, paths),
        )
        self._record("table", name, description, paths)
        return paths

    def paper_table(self, results: Sequence[Any], name: str, *, description: str,
                    caption: str | None = None, **kw) -> dict[str, Path]:  # fmt: skip
        """Save a paper regression table (:func:`paper_table`; caption = description) and record it."""
        paths = paper_table(results, name=name, caption=caption or description, study=self.study,
                            synthetic=self.synthetic, data_label=self.data_label or None, **kw)  # fmt: skip
        stem = paths["tex"].stem
        _display_record(
            _records(pd.read_csv(paths["csv"]).drop(columns="is_synthetic")),
            TABLE_JSON_KEY,
            stem,
            _saved_line(stem, paths),
        )
        self._record("table", stem, description, paths)
        return paths

    def value(self, key: str, value) -> None:
        """Record a scalar the notebook computed (shown as ``key = value``, kept in the registry)."""
        v = _jsonable(value)
        self.values[key] = v
        _display_record({key: v}, VALUE_JSON_KEY, key, f"{key} = {v!r}")
        self._write()

    def _write(self) -> Path:
        folder = outputs_registry_dir()
        folder.mkdir(parents=True, exist_ok=True)
        stem = self.notebook.replace("/", "__").removesuffix(".py")
        path = folder / f"{stem}.json"
        record = {"notebook": self.notebook, "study": self.study, "synthetic": self.synthetic,
                  "data": self.data_label, "outputs": self.entries, "values": self.values}  # fmt: skip
        atomic_write_text(path, json.dumps(record, indent=2, sort_keys=True) + "\n")
        return path

    def finish(self) -> Path:
        """Write the registry record and merge this notebook's section into ``OUTPUTS.md``; returns its path.

        The map is written with ``merge=True`` (:func:`write_outputs_md`): the
        sections of notebooks that have no record in this reports folder (not
        run here yet) are kept as they were, so running one notebook never
        shrinks the map to that notebook.
        """
        self._write()
        return write_outputs_md(merge=True)


# --------------------------------------------------------------------------------------
# reports/OUTPUTS.md
# --------------------------------------------------------------------------------------


def _rel(path: Path, start: Path) -> str:
    return os.path.relpath(path, start).replace(os.sep, "/")


def write_outputs_md(reports: str | Path | None = None, *, project_root: str | Path | None = None,
                     out: str | Path | None = None, merge: bool = False) -> Path:  # fmt: skip
    """Write ``reports/OUTPUTS.md``: every figure and table, with the notebook that makes it.

    Reads the records written by :class:`OutputLog` (one per executed
    notebook) and, for the tour notebook and any notebook not using
    :class:`OutputLog`, lists the files found under ``reports/figures/<study>``
    and ``reports/tables/<study>`` with the notebook of that folder whose
    number matches the file name (``fig_<study>_07_...`` -> ``07-*.py``), or
    all the folder's notebooks when none does.

    Parameters
    ----------
    reports : path, optional
        The reports folder to scan (default :func:`config.reports_dir`).
        Links to outputs and executed notebooks are relative to it (as if
        OUTPUTS.md sat in it).
    project_root : path, optional
        Where the notebook sources are.
    out : path, optional
        Where to write (default ``<reports>/OUTPUTS.md``); links to notebook
        sources are relative to its folder.
    merge : bool
        Keep what the existing file lists and this folder cannot list again:
        the section of a notebook with no record here (not run in this
        folder, e.g. a fresh clone after ``notebooks run --only ...``) whose
        source still exists, and each "Other outputs" row whose files are
        not here (e.g. the teaching outputs when only the study notebooks
        ran). Sections and rows this folder does list are written from it.
        With every notebook's outputs present the result equals a plain
        rewrite. Default False: the map lists exactly what this folder holds.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    reports = Path(reports) if reports else config.reports_dir()
    root = Path(project_root) if project_root else config.project_root()
    out = Path(out) if out else reports / "OUTPUTS.md"
    records = []
    reg = reports / "notebooks" / "_outputs"
    for p in sorted(reg.glob("*.json")) if reg.is_dir() else []:
        records.append(json.loads(p.read_text()))
    lines = [
        "# Outputs: every figure and table, and the notebook that makes it",
        "",
        "Generated by `enforcement_crime.reports.write_outputs_md()` after the notebooks run",
        "(`make notebooks`, `make figures`, `make tables`); do not edit by hand. Figures are PDF + PNG +",
        "CSV of the plotted numbers; tables are LaTeX + CSV. Outputs made from the built-in synthetic panel",
        "are marked SYNTHETIC DATA: they are not results of any study.",
        "",
    ]
    failed = [r for r in records if str(r.get("status", "ok")).startswith("FAILED")]
    if failed:
        lines += [
            "**FAILED runs** (their sections below list only what the failed run wrote before it "
            "stopped; none of it is a result): "
            + "; ".join(f"`{r['notebook']}` ({r['status']})" for r in failed),
            "",
        ]
    covered: set[str] = set()
    sections: dict[str, list[str]] = {}
    for rec in sorted(records, key=lambda r: r["notebook"]):
        src = root / rec["notebook"]
        executed = (
            reports
            / "notebooks"
            / Path(rec["notebook"]).relative_to("notebooks").with_suffix(".html")
        )
        section = sections.setdefault(rec["notebook"], [])
        section += [
            f"## `{rec['notebook']}`",
            "",
            f"Source: [{rec['notebook']}]({_rel(src, out.parent)}); executed: "
            f"[{_rel(executed, reports)}]({_rel(executed, reports)}). Data: {rec.get('data') or 'see notebook'}"
            + (" (SYNTHETIC DATA)" if rec.get("synthetic") else "")
            + ".",
            "",
            *(
                [
                    f"**{rec['status']}**: the outputs below are partial (written before the failure).",
                    "",
                ]
                if rec in failed
                else []
            ),
            "| output | kind | files | what it shows |",
            "|---|---|---|---|",
        ]
        for e in rec["outputs"]:
            files = []
            for ext, f in sorted(e["files"].items()):
                fp = Path(f)
                covered.add(str(fp.resolve()))
                files.append(f"[{ext}]({_rel(fp, reports)})")
            section.append(
                f"| `{e['name']}` | {e['kind']} | {' '.join(files)} | {e.get('description', '')} |"
            )
        section.append("")
    # files written by notebooks that do not use OutputLog (e.g. the tour)
    loose: dict[str, list[Path]] = {}
    for kind in ("figures", "tables"):
        base = reports / kind
        for f in sorted(base.rglob("*.csv")) if base.is_dir() else []:
            if str(f.resolve()) not in covered:
                loose.setdefault(f.parent.name, []).append(f)
    other: dict[str, tuple[tuple, str]] = {}  # output name -> (sort key, table row)
    if loose:
        for study, files in sorted(loose.items()):
            nbs = (
                sorted((root / "notebooks" / study).glob("*.py"))
                if (root / "notebooks" / study).is_dir()
                else []
            )
            for f in files:
                num = re.match(rf"^(?:fig|tab)_{re.escape(study)}_(\d+)_", f.stem)
                mine = [n for n in nbs if num and n.name.startswith(f"{num.group(1)}-")] or nbs
                nb_links = (
                    ", ".join(f"[{_rel(n, root)}]({_rel(n, out.parent)})" for n in mine)
                    or "(none found)"
                )
                exts = [e for e in ("pdf", "png", "csv", "tex") if f.with_suffix("." + e).is_file()]
                links = " ".join(f"[{e}]({_rel(f.with_suffix('.' + e), reports)})" for e in exts)
                kind = f.relative_to(reports).parts[0]
                other[f.stem] = ((study, kind, f.name), f"| `{f.stem}` | {links} | {nb_links} |")
    if merge and out.is_file():
        old_sections, old_other = _parse_outputs_md(out.read_text(encoding="utf-8"))
        for notebook, section in old_sections.items():
            if notebook not in sections and (root / notebook).is_file():
                sections[notebook] = section
        recorded = {e["name"] for r in records for e in r["outputs"]}
        for name, row in old_other.items():
            if name not in other and name not in recorded:
                other[name] = row
    for notebook in sorted(sections):
        lines += sections[notebook]
    if other:
        lines += [
            "## Other outputs (by folder)",
            "",
            "| output | files | notebooks of that study folder |",
            "|---|---|---|",
            *(row for _, row in sorted(other.values())),
            "",
        ]
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out, "\n".join(lines))
    return out


# --------------------------------------------------------------------------------------
# reading executed notebooks (tests)
# --------------------------------------------------------------------------------------


_OTHER_ROW = re.compile(r"^\| `([^`]+)` \|")
_OTHER_CSV = re.compile(r"\]\((figures|tables)/(?:[^)]*/)?([^/)]+)/([^/)]+\.csv)\)")


def _parse_outputs_md(text: str) -> tuple[dict[str, list[str]], dict[str, tuple[tuple, str]]]:
    """An ``OUTPUTS.md`` as :func:`write_outputs_md` writes it, read back for ``merge``.

    Returns the notebook sections (notebook -> their lines, heading to the
    blank line before the next heading) and the "Other outputs" rows (output
    name -> (sort key, row)).
    """
    sections: dict[str, list[str]] = {}
    other: dict[str, tuple[tuple, str]] = {}
    current: list[str] | None = None
    in_other = False
    for line in text.split("\n"):
        if line.startswith("## "):
            m = re.fullmatch(r"## `(.+)`", line)
            in_other = m is None
            current = None if in_other else sections.setdefault(m.group(1), [])
        if current is not None:
            current.append(line)
        elif in_other and (row := _OTHER_ROW.match(line)):
            csv = _OTHER_CSV.search(line)
            key = (csv.group(2), csv.group(1), csv.group(3)) if csv else ("", "", row.group(1))
            other[row.group(1)] = (key, line)
    return sections, other


def _tagged_outputs(nb_path: str | Path, key: str) -> dict[str, object]:
    import nbformat

    nb = nbformat.read(str(nb_path), as_version=4)
    found: dict[str, object] = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") not in ("display_data", "execute_result"):
                continue
            meta = out.get("metadata", {})
            if isinstance(meta.get(key), dict) and "name" in meta[key]:
                found[meta[key]["name"]] = meta[key].get("data")
            elif key in meta.get("application/json", {}):  # notebooks executed before: JSON bundle
                found[meta["application/json"][key]] = out["data"]["application/json"]
    return found


def notebook_tables(nb_path: str | Path) -> dict[str, pd.DataFrame]:
    """The tables an executed notebook exported through :meth:`OutputLog.table`, as it computed them."""
    return {
        name: pd.DataFrame(rows) for name, rows in _tagged_outputs(nb_path, TABLE_JSON_KEY).items()
    }


def notebook_values(nb_path: str | Path) -> dict[str, object]:
    """The scalars an executed notebook recorded through :meth:`OutputLog.value`."""
    vals: dict[str, object] = {}
    for payload in _tagged_outputs(nb_path, VALUE_JSON_KEY).values():
        vals.update(payload)  # type: ignore[arg-type]
    return vals
