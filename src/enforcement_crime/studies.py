"""Shared helpers for the study notebooks (287(g) and Secure Communities).

The study notebooks under ``notebooks/287g``, ``notebooks/secure_communities``
and ``notebooks/methods`` orchestrate and explain; the code they share lives
here:

Treatment timing on annual panels
    :func:`exposure_share`, :func:`annual_cohort` and :func:`add_treatment`
    turn adoption dates (month or day precision) into annual treatment
    variables under the two documented exposure rules of STUDIES.md §1:
    ``"first_full_year"`` (treated from the first full calendar year) and
    ``"share_of_year"`` (the share of the year exposed).
Estimators that may not exist yet
    :func:`find_estimator` and :func:`estimate` look estimators up by their
    public name in :mod:`enforcement_crime.estimators`; a missing one gives an
    :class:`Unavailable` record that a notebook shows plainly (never a fake
    number).
The "study vs rebuild" table
    :data:`PAPER_CONCLUSIONS` holds only the words of STUDIES.md;
    :func:`study_vs_rebuild` puts our estimate, interval and minimum detectable
    effect beside them.
Outputs registry
    :class:`OutputLog` saves every figure and table through
    :func:`enforcement_crime.plots.save_figure` /
    :func:`enforcement_crime.tables.save_table`, shows each exported table's
    numbers as a JSON output in the executed notebook (so a test can compare
    the notebook's numbers with the CSV), and records which notebook wrote which
    file; :func:`write_outputs_md` turns the records into ``reports/OUTPUTS.md``.
"""

from __future__ import annotations

import importlib
import json
import math
import pkgutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from enforcement_crime import config
from enforcement_crime.results import EstimationResult
from enforcement_crime.treatment import EXPOSURE_RULES, add_treatment, annual_cohort, exposure_share

__all__ = [
    "EXPOSURE_RULES",
    "PAPER_CONCLUSIONS",
    "TABLE_JSON_KEY",
    "VALUE_JSON_KEY",
    "Unavailable",
    "OutputLog",
    "exposure_share",
    "annual_cohort",
    "add_treatment",
    "find_estimator",
    "estimate",
    "headline",
    "analytic_mde",
    "study_vs_rebuild",
    "outputs_registry_dir",
    "write_outputs_md",
    "notebook_values",
    "notebook_tables",
    "twfe_exposure_share",
    "placebo_calibrated_mde",
    "design_mde",
    "param_files",
    "run_param_file",
    "share_axis_labels",
    "balanced",
]

TABLE_JSON_KEY = "enforcement_crime_table"
VALUE_JSON_KEY = "enforcement_crime_value"


# --------------------------------------------------------------------------------------
# treatment timing on annual panels
# --------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------
# estimators that may or may not exist yet
# --------------------------------------------------------------------------------------


@dataclass
class Unavailable:
    """An estimate that could not be computed because its estimator is not in the package yet.

    Notebooks display it (a plain statement, no number) and carry it into
    tables as a row with missing values and the reason.
    """

    name: str
    reason: str

    def __str__(self) -> str:
        return f"NOT AVAILABLE: {self.name}: {self.reason}"

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        return (
            '<div style="border:2px dashed #999;padding:6px"><b>Not available yet:</b> '
            f"<code>{self.name}</code>: {self.reason}</div>"
        )


_MODULE_ERRORS: dict[str, str] = {}


def find_estimator(name: str) -> Callable[..., EstimationResult] | None:
    """The public estimator ``name`` from :mod:`enforcement_crime.estimators`, or None.

    Looks at the package's exports first, then at each submodule (estimators
    being written may not be exported yet). Submodules that fail to import are
    remembered (:func:`estimate` reports them) and skipped.
    """
    pkg = importlib.import_module("enforcement_crime.estimators")
    fn = getattr(pkg, name, None)
    if callable(fn):
        return fn
    for info in pkgutil.iter_modules(pkg.__path__):
        if info.name.startswith("_"):
            continue
        modname = f"{pkg.__name__}.{info.name}"
        try:
            mod = importlib.import_module(modname)
        except Exception as err:  # a module being written by another engineer
            _MODULE_ERRORS[modname] = f"{type(err).__name__}: {err}"
            continue
        fn = getattr(mod, name, None)
        if callable(fn) and name in getattr(mod, "__all__", [name]):
            return fn
    return None


def estimate(name: str, *args, optional: Mapping[str, object] | None = None, requires: Iterable[str] = (),
             tolerate_input_error: bool = False, **kwargs) -> EstimationResult | Unavailable:  # fmt: skip
    """Call the estimator ``name`` (see :func:`find_estimator`), or return :class:`Unavailable`.

    Parameters
    ----------
    name : str
        Public estimator name.
    *args, **kwargs
        Passed on.
    optional : mapping, optional
        Keyword arguments passed only when the estimator's signature has them
        (e.g. ``n_boot``, ``seed``).
    requires : iterable of str
        Keyword arguments the call depends on; when the estimator's signature
        lacks one, the result is :class:`Unavailable` saying so.
    tolerate_input_error : bool
        When True, an :class:`~enforcement_crime.estimators.EstimatorInputError`
        (the estimator refuses this panel, e.g. years with gaps, too few
        cohorts) gives :class:`Unavailable` with the estimator's message
        instead of raising. Notebooks set it on real panels only, so that the
        built-in panel (the tests' data) still fails loudly.

    Only a missing estimator, a missing required argument or (when tolerated)
    a refused input gives :class:`Unavailable`; any other failure raises.
    """
    import inspect

    fn = find_estimator(name)
    if fn is None:
        why = f"enforcement_crime.estimators has no public function {name!r} yet"
        if _MODULE_ERRORS:
            why += (
                " (modules that failed to import: "
                + "; ".join(f"{m}: {e}" for m, e in _MODULE_ERRORS.items())
                + ")"
            )
        return Unavailable(name, why)
    params = inspect.signature(fn).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    missing = [r for r in requires if r not in params and not takes_any]
    if missing:
        return Unavailable(name, f"{name}() has no argument(s) {missing} that this analysis needs")
    extra = {k: v for k, v in (optional or {}).items() if k in params or takes_any}
    if not tolerate_input_error:
        return fn(*args, **kwargs, **extra)
    from enforcement_crime.estimators import EstimatorInputError

    try:
        return fn(*args, **kwargs, **extra)
    except EstimatorInputError as err:
        return Unavailable(name, f"not estimable on this panel: {err}")


def headline(result: EstimationResult | Unavailable, term: str | None = None) -> dict:
    """The headline row of a result as a dict (estimate, std_error, conf_low, conf_high, term).

    ``term``: a term name; default the first static term (no event time), else
    the first row. An :class:`Unavailable` result gives NaNs and its reason.
    """
    if isinstance(result, Unavailable):
        return {"term": None, "estimate": math.nan, "std_error": math.nan, "conf_low": math.nan,
                "conf_high": math.nan, "estimator": result.name, "note": str(result)}  # fmt: skip
    frame = result.to_frame()
    if term is not None:
        row = result.term(term)
    else:
        static = frame[frame["event_time"].isna()]
        row = (static if len(static) else frame).iloc[0]
    return {
        "term": str(row["term"]),
        "estimate": float(row["estimate"]),
        "std_error": float(row["std_error"]) if pd.notna(row["std_error"]) else math.nan,
        "conf_low": float(row["conf_low"]) if pd.notna(row["conf_low"]) else math.nan,
        "conf_high": float(row["conf_high"]) if pd.notna(row["conf_high"]) else math.nan,
        "estimator": result.estimator,
        "note": "",
    }


def analytic_mde(std_error: float, alpha: float = 0.05, power: float = 0.8) -> float:
    r"""Minimum detectable effect from a standard error (two-sided test, normal approximation).

    Notes
    -----
    .. math:: \mathrm{MDE} = (z_{1-\alpha/2} + z_{\text{power}})\,\widehat{\mathrm{se}}

    (Bloom 1995): the true effect a two-sided level-:math:`\alpha` test rejects
    with probability ``power`` when the estimator is normal with that standard
    error. It takes the design's standard error as given (no simulation); the
    simulation-based ``minimum_detectable_effect`` estimator is preferred when
    it exists.
    """
    from scipy.stats import norm

    if not np.isfinite(std_error) or std_error < 0:
        return math.nan
    return float((norm.ppf(1 - alpha / 2) + norm.ppf(power)) * std_error)


# --------------------------------------------------------------------------------------
# the "study vs rebuild" table
# --------------------------------------------------------------------------------------

# Only the words of ../shared/docs/STUDIES.md; no number is attributed to a paper.
PAPER_CONCLUSIONS: dict[str, dict[str, str]] = {
    "287g_nc": {
        "paper": "Forrester & Nowrasteh (2018), Cato Institute WP 52 (rev. CGO WP 2020.004)",
        "conclusion": "no causal relationship between 287(g) and crime rates or clearances; a significant "
        "relation between activation and assaults on officers (abstract). The coefficient tables are not "
        "available to us.",
    },
    "287g_national": {
        "paper": "(no national 287(g) county study is summarised in STUDIES.md)",
        "conclusion": "STUDIES.md quotes no finding for a national 287(g) county design; this notebook extends "
        "the North Carolina design (Forrester & Nowrasteh 2018: no causal relationship between 287(g) and crime "
        "rates) to every county and splits jail and task-force models.",
    },
    "sc_county": {
        "paper": "Miles & Cox (2014), Journal of Law and Economics 57(4):937-973",
        "conclusion": '"no observable effect on the overall crime rate"; no meaningful reductions in index or '
        "violent crime (abstract). Reported but unverified: the results are sensitive to county-specific "
        "linear trends.",
    },
    "sc_city": {
        "paper": "Treyger, Chalfin & Loeffler (2014), Criminology & Public Policy 13(2):285-322",
        "conclusion": 'no discernible effect on crime or arrests (the "medium and large municipalities" '
        "result).",
    },
}


def study_vs_rebuild(
    study: str,
    rows: Iterable[Mapping[str, object]],
    *,
    data_label: str,
    differences: Iterable[str],
) -> pd.DataFrame:
    """The "study vs rebuild" table: the paper's words beside our estimates.

    Parameters
    ----------
    study : str
        A key of :data:`PAPER_CONCLUSIONS`.
    rows : iterable of mappings
        One per estimate: ``outcome``, ``specification`` and either a
        ``result`` (:class:`EstimationResult` or :class:`Unavailable`, with an
        optional ``term``) or ``estimate``/``conf_low``/``conf_high``; plus
        ``mde`` (float, NaN when unknown) and optionally ``mde_method``.
    data_label : str
        Which data ran (e.g. "SYNTHETIC DATA (seed ...)" or the panel name).
    differences : iterable of str
        Design differences that remain between the paper and the rebuild.

    Returns
    -------
    pandas.DataFrame
        Columns ``paper``, ``paper_conclusion``, ``outcome``, ``specification``,
        ``estimator``, ``term``, ``estimate``, ``std_error``, ``conf_low``,
        ``conf_high``, ``mde``, ``mde_method``, ``detectable`` (``|estimate|``
        vs MDE in words), ``data``, ``design_differences``, ``note``.
    """
    if study not in PAPER_CONCLUSIONS:
        raise KeyError(f"study must be one of {sorted(PAPER_CONCLUSIONS)}, got {study!r}")
    paper = PAPER_CONCLUSIONS[study]
    diffs = "; ".join(differences)
    out = []
    for r in rows:
        if "result" in r:
            h = headline(r["result"], r.get("term"))  # type: ignore[arg-type]
        else:
            h = {
                k: float(r.get(k, math.nan))
                for k in ("estimate", "std_error", "conf_low", "conf_high")
            }
            h.update(term=r.get("term"), estimator=r.get("estimator", ""), note=r.get("note", ""))
        mde = float(r.get("mde", math.nan))
        est = h["estimate"]
        if not np.isfinite(est):
            verdict = "not estimated"
        elif not np.isfinite(mde):
            verdict = "MDE unknown"
        else:
            zero_in = h["conf_low"] <= 0 <= h["conf_high"] if np.isfinite(h["conf_low"]) else None
            verdict = (
                "interval covers 0; "
                if zero_in
                else "interval excludes 0; "
                if zero_in is False
                else ""
            ) + ("effects of +/-MDE or larger would likely have been detected" if mde > 0 else "")
        out.append(
            {
                "paper": paper["paper"],
                "paper_conclusion": paper["conclusion"],
                "outcome": r["outcome"],
                "specification": r["specification"],
                "estimator": h["estimator"],
                "term": h["term"],
                "estimate": est,
                "std_error": h["std_error"],
                "conf_low": h["conf_low"],
                "conf_high": h["conf_high"],
                "mde": mde,
                "mde_method": r.get("mde_method", ""),
                "detectable": verdict,
                "data": data_label,
                "design_differences": diffs,
                "note": h.get("note", ""),
            }
        )
    return pd.DataFrame(out)


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


def _display_json(payload, key: str, name: str) -> None:
    """Show ``payload`` as an ``application/json`` output tagged with ``{key: name}`` (a no-op outside IPython)."""
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # pragma: no cover
        return
    if get_ipython() is None:
        return
    display({"application/json": payload, "text/plain": f"[{key}: {name}]"}, raw=True,
            metadata={"application/json": {key: name}})  # fmt: skip


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
        Which data ran, in words.
    """

    study: str
    notebook: str
    synthetic: bool
    data_label: str = ""
    entries: list[dict] = field(default_factory=list)
    values: dict[str, object] = field(default_factory=dict)

    def figure(
        self, fig, name: str, data: pd.DataFrame, *, description: str = ""
    ) -> dict[str, Path]:
        """Save a figure (PDF + PNG + CSV) with :func:`~enforcement_crime.plots.save_figure` and record it."""
        from enforcement_crime import plots

        paths = plots.save_figure(fig, name, data, study=self.study, synthetic=self.synthetic)
        self.entries.append({"kind": "figure", "name": name, "description": description,
                             "files": {k: str(p) for k, p in paths.items()}})  # fmt: skip
        self._write()
        return paths

    def table(self, table: pd.DataFrame, name: str, *, description: str = "", caption: str | None = None,
              float_format: str = "{:.3f}") -> dict[str, Path]:  # fmt: skip
        """Save a table (LaTeX + CSV), record it, and show its numbers as a JSON output.

        The JSON output (``application/json`` tagged ``{TABLE_JSON_KEY: name}``)
        holds the numbers the notebook computed, so a test can compare the
        executed notebook with the exported CSV.
        """
        from enforcement_crime import tables

        paths = tables.save_table(table, name, study=self.study, synthetic=self.synthetic, caption=caption,
                                  float_format=float_format)  # fmt: skip
        self.entries.append({"kind": "table", "name": name, "description": description,
                             "files": {k: str(p) for k, p in paths.items()}})  # fmt: skip
        _display_json(_records(table), TABLE_JSON_KEY, name)
        self._write()
        return paths

    def value(self, key: str, value) -> None:
        """Record a scalar the notebook computed (shown as a tagged JSON output and kept in the registry)."""
        v = _jsonable(value)
        self.values[key] = v
        _display_json({key: v}, VALUE_JSON_KEY, key)
        self._write()

    def _write(self) -> Path:
        folder = outputs_registry_dir()
        folder.mkdir(parents=True, exist_ok=True)
        stem = self.notebook.replace("/", "__").removesuffix(".py")
        path = folder / f"{stem}.json"
        record = {"notebook": self.notebook, "study": self.study, "synthetic": self.synthetic,
                  "data": self.data_label, "outputs": self.entries, "values": self.values}  # fmt: skip
        path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
        return path

    def finish(self) -> Path:
        """Write the registry record and regenerate ``reports/OUTPUTS.md``; returns its path."""
        self._write()
        return write_outputs_md()


def _rel(path: Path, start: Path) -> str:
    import os

    return os.path.relpath(path, start).replace(os.sep, "/")


def write_outputs_md(reports: str | Path | None = None, *, project_root: str | Path | None = None,
                     out: str | Path | None = None) -> Path:  # fmt: skip
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

    Returns
    -------
    pathlib.Path
        The written file.
    """
    import re

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
        "Generated by `enforcement_crime.studies.write_outputs_md()` after the notebooks run",
        "(`make notebooks`, `make figures`, `make tables`); do not edit by hand. Figures are PDF + PNG +",
        "CSV of the plotted numbers; tables are LaTeX + CSV. Outputs made from the built-in synthetic panel",
        "are marked SYNTHETIC DATA: they are not results of any study.",
        "",
    ]
    covered: set[str] = set()
    for rec in sorted(records, key=lambda r: r["notebook"]):
        src = root / rec["notebook"]
        executed = (
            reports
            / "notebooks"
            / Path(rec["notebook"]).relative_to("notebooks").with_suffix(".html")
        )
        lines += [
            f"## `{rec['notebook']}`",
            "",
            f"Source: [{rec['notebook']}]({_rel(src, out.parent)}); executed: "
            f"[{_rel(executed, reports)}]({_rel(executed, reports)}). Data: {rec.get('data') or 'see notebook'}"
            + (" (SYNTHETIC DATA)" if rec.get("synthetic") else "")
            + ".",
            "",
            "| output | kind | files | what it shows |",
            "|---|---|---|---|",
        ]
        for e in rec["outputs"]:
            files = []
            for ext, f in sorted(e["files"].items()):
                fp = Path(f)
                covered.add(str(fp.resolve()))
                files.append(f"[{ext}]({_rel(fp, reports)})")
            lines.append(
                f"| `{e['name']}` | {e['kind']} | {' '.join(files)} | {e.get('description', '')} |"
            )
        lines.append("")
    # files written by notebooks that do not use OutputLog (e.g. the tour)
    loose: dict[str, list[Path]] = {}
    for kind in ("figures", "tables"):
        base = reports / kind
        for f in sorted(base.rglob("*.csv")) if base.is_dir() else []:
            if str(f.resolve()) not in covered:
                loose.setdefault(f.parent.name, []).append(f)
    if loose:
        lines += [
            "## Other outputs (by folder)",
            "",
            "| output | files | notebooks of that study folder |",
            "|---|---|---|",
        ]
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
                lines.append(f"| `{f.stem}` | {links} | {nb_links} |")
        lines.append("")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines))
    return out


# --------------------------------------------------------------------------------------
# reading executed notebooks (tests)
# --------------------------------------------------------------------------------------


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
            meta = out.get("metadata", {}).get("application/json", {})
            if key in meta:
                found[meta[key]] = out["data"]["application/json"]
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


# --------------------------------------------------------------------------------------
# the share-of-year exposure rule needs a continuous treatment
# --------------------------------------------------------------------------------------


def twfe_exposure_share(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    share: str,
    *,
    weights: str | None = None,
    cluster: str | None = None,
    alpha: float = 0.05,
) -> EstimationResult:
    r"""Two-way fixed effects regression on the share of the year exposed (the "share of year" rule).

    The package's ``twfe`` takes a 0/1 treatment; the share-of-year rule needs
    a treatment intensity in [0, 1], so this fits it with pyfixest.

    Parameters
    ----------
    data : pandas.DataFrame
        Long panel.
    outcome, unit, time, share : str
        Column names; ``share`` in [0, 1].
    weights : str, optional
        Analytic weights (e.g. population).
    cluster : str, optional
        Cluster variable (default: ``unit``).

    Returns
    -------
    EstimationResult
        One term ``"exposure_share"``.

    Notes
    -----
    .. math:: y_{it} = \alpha_i + \lambda_t + \beta\, s_{it} + \varepsilon_{it}

    :math:`\beta` is the effect of a full year of exposure under linearity in
    the share (a variance-weighted average of comparisons, like any TWFE
    coefficient). Standard errors: pyfixest's CRV1 (fixest's default
    small-sample correction, fixed effects nested in clusters not counted),
    t(G-1) intervals. Rows with a missing outcome are dropped and counted in
    the notes.
    """
    import pyfixest as pf
    from scipy import stats

    cols = [outcome, unit, time, share] + [c for c in (weights, cluster) if c]
    missing = [c for c in cols if c not in data.columns]
    if missing:
        raise KeyError(f"twfe_exposure_share: columns {missing} not in the data")
    d = data[list(dict.fromkeys(cols))].copy()
    bad = d[outcome].isna() | ~np.isfinite(d[outcome].astype("float64"))
    n_drop = int(bad.sum())
    d = d[~bad.to_numpy()]
    s = d[share].astype("float64")
    if s.isna().any() or (s < 0).any() or (s > 1).any():
        raise ValueError(f"twfe_exposure_share: {share!r} must be in [0, 1] without missing values")
    cl = cluster or unit
    d = d.rename(columns={outcome: "y__", share: "s__", unit: "u__", time: "t__", cl: "c__"} if cl != unit
                 else {outcome: "y__", share: "s__", unit: "u__", time: "t__"})  # fmt: skip
    if cl == unit:
        d["c__"] = d["u__"]
    d["y__"] = d["y__"].astype("float64")
    fit = pf.feols("y__ ~ s__ | u__ + t__", data=d, weights=weights, vcov={"CRV1": "c__"})
    b = float(fit.coef()["s__"])
    se = float(fit.se()["s__"])
    G = int(d["c__"].nunique())
    q = stats.t.ppf(1 - alpha / 2, G - 1)
    table = pd.DataFrame({"term": ["exposure_share"], "estimate": [b], "std_error": [se],
                          "conf_low": [b - q * se], "conf_high": [b + q * se]})  # fmt: skip
    notes = (f"TWFE on the share of the year exposed ({share}); unit and time FE; "
             f"{'weighted by ' + weights if weights else 'unweighted'}; CRV1 clustered by {cl}, t({G - 1}) intervals"
             + (f"; dropped: {n_drop} rows (missing {outcome})" if n_drop else ""))  # fmt: skip
    return EstimationResult(
        "twfe_exposure_share", table, n_obs=len(d), n_clusters=G, notes=notes, alpha=alpha
    )


# --------------------------------------------------------------------------------------
# minimum detectable effect of a design (the estimators' simulation, plus a calibrated variant)
# --------------------------------------------------------------------------------------


def placebo_calibrated_mde(placebo_estimates, *, alpha: float = 0.05, power: float = 0.8,
                           effects: Iterable[float] | None = None) -> tuple[float, pd.DataFrame]:  # fmt: skip
    r"""Minimum detectable effect of a test calibrated on placebo estimates (no standard errors needed).

    Parameters
    ----------
    placebo_estimates : array-like of float
        Estimates under placebo adoption dates (no true effect), e.g.
        ``minimum_detectable_effect(...).extra["placebo_estimates"]``.
    alpha, power : float
        Test level and target power.
    effects : iterable of float, optional
        Effect grid (absolute values); default 2,001 points from 0 to
        :math:`\max|\hateta| + 3q`.

    Returns
    -------
    mde : float
        The smallest :math:`|	au|` on the grid whose power is at least
        ``power`` for both signs (NaN if none).
    curve : pandas.DataFrame
        ``effect`` (both signs) and ``power``.

    Notes
    -----
    The test rejects when :math:`|\hateta| > q`, :math:`q` the
    :math:`1-lpha` quantile of the placebo :math:`|\hateta^{p}|`, so its
    size is :math:`lpha` by construction (a randomization test). For an
    estimator that shifts by exactly :math:`	au` under an additive effect
    :math:`	au` on treated cells (TWFE, Callaway-Sant'Anna, imputation),
    :math:`	ext{power}(	au) = rac{1}{S}\sum_s 1\{|\hateta^p_s + 	au| > q\}`.
    With few treated clusters the analytic cluster-robust t-test over-rejects,
    and an MDE computed from it is too optimistic; this one is not.
    """
    b = np.asarray(placebo_estimates, dtype=float)
    b = b[np.isfinite(b)]
    if len(b) < 2:
        raise ValueError("placebo_calibrated_mde: need at least two finite placebo estimates")
    q = float(np.quantile(np.abs(b), 1 - alpha))
    grid = np.asarray(
        list(effects) if effects is not None else np.linspace(0, np.abs(b).max() + 3 * q, 2001),
        dtype=float,
    )
    grid = np.unique(np.concatenate([-np.abs(grid), np.abs(grid)]))
    pw = (np.abs(b[None, :] + grid[:, None]) > q).mean(axis=1)
    curve = pd.DataFrame({"effect": grid, "power": pw})
    found = []
    for sign in (1, -1):
        hit = curve[(np.sign(curve["effect"]) == sign) & (curve["power"] >= power)]["effect"].abs()
        found.append(float(hit.min()) if len(hit) else math.nan)
    return (max(found) if all(np.isfinite(found)) else math.nan), curve


def design_mde(data: pd.DataFrame, outcome: str, unit: str, time: str, cohort: str, *, weights: str | None = None,
               cluster: str | None = None, n_sim: int = 200, seed: int = 0, alpha: float = 0.05,
               power: float = 0.8, tolerate_input_error: bool = False) -> dict:  # fmt: skip
    """Minimum detectable effect of the TWFE design on this panel, by placebo adoption dates.

    Calls the package's ``minimum_detectable_effect`` (placebo permutations
    of whole adoption dates, analytic t-test) and widens its effect grid
    (up to three times) when power never reaches the target; adds
    :func:`placebo_calibrated_mde` on the same placebo draws.

    Returns
    -------
    dict
        ``mde`` (simulated, analytic t-test), ``mde_analytic`` ((z + z) x
        median placebo SE), ``mde_calibrated`` (placebo-calibrated test),
        ``size`` (the t-test's rejection rate under placebo dates),
        ``n_sim``, ``curve`` (DataFrame: effect, power_t_test), ``curve_calibrated``,
        ``result`` (the EstimationResult, or :class:`Unavailable`).
        ``tolerate_input_error`` is passed to :func:`estimate`.
    """
    kw = dict(
        weights=weights,
        cluster=cluster,
        n_sim=n_sim,
        seed=seed,
        alpha=alpha,
        power=power,
        tolerate_input_error=tolerate_input_error,
    )
    res = estimate("minimum_detectable_effect", data, outcome, unit, time, cohort, **kw)
    if isinstance(res, Unavailable):
        return {"mde": math.nan, "mde_analytic": math.nan, "mde_calibrated": math.nan, "size": math.nan,
                "n_sim": 0, "curve": pd.DataFrame(), "curve_calibrated": pd.DataFrame(), "result": res}  # fmt: skip
    for _ in range(3):
        if np.isfinite(float(res.term("MDE")["estimate"])):
            break
        top = float(res.extra["power_curve"]["effect"].max())
        res = estimate(
            "minimum_detectable_effect",
            data,
            outcome,
            unit,
            time,
            cohort,
            effects=list(np.linspace(0, 3 * top, 41)),
            **kw,
        )
    calibrated, curve_c = placebo_calibrated_mde(
        res.extra["placebo_estimates"], alpha=alpha, power=power
    )
    curve = res.extra["power_curve"].rename(columns={"power": "power_t_test"})
    return {
        "mde": float(res.term("MDE")["estimate"]),
        "mde_analytic": float(res.term("MDE(analytic)")["estimate"]),
        "mde_calibrated": calibrated,
        "size": float(res.extra["size"]),
        "n_sim": int(res.extra["n_sim"]),
        "curve": curve,
        "curve_calibrated": curve_c,
        "result": res,
    }


# --------------------------------------------------------------------------------------
# papermill parameter files (params/*.yaml), one per specification
# --------------------------------------------------------------------------------------


def param_files(folder: str | Path | None = None) -> list[dict]:
    """The parameter files in ``params/``: which notebook each is for, and its parameters.

    Each file is YAML (papermill's ``-f`` format) whose first line is a
    comment ``# notebook: notebooks/<study>/<name>.py``.

    Returns
    -------
    list of dict
        ``path``, ``notebook`` (path relative to the project root) and
        ``parameters`` (dict), sorted by file name.

    Raises
    ------
    ValueError
        A file without the ``# notebook:`` line, naming a notebook that does
        not exist, or whose YAML is not a mapping.
    """
    import yaml

    folder = Path(folder) if folder else config.project_root() / "params"
    out = []
    for path in sorted(folder.glob("*.yaml")):
        text = path.read_text()
        first = text.splitlines()[0] if text else ""
        if not first.startswith("# notebook:"):
            raise ValueError(
                f"{path}: line 1 must be '# notebook: notebooks/<study>/<name>.py', got {first!r}"
            )
        notebook = first.split(":", 1)[1].strip()
        if not (config.project_root() / notebook).is_file():
            raise ValueError(f"{path}: line 1 names {notebook!r}, which does not exist")
        params = yaml.safe_load(text) or {}
        if not isinstance(params, dict):
            raise ValueError(
                f"{path}: expected a mapping of parameter names to values, got {type(params).__name__}"
            )
        out.append({"path": path, "notebook": notebook, "parameters": params})
    return out


def run_param_file(
    path: str | Path,
    *,
    output: str | Path | None = None,
    html: bool = True,
    extra: Mapping[str, object] | None = None,
):
    """Execute the notebook a parameter file is for, with its parameters (plus ``extra``).

    The executed copy goes to ``reports/notebooks/<study>/<notebook>--<param file stem>.ipynb``
    unless ``output`` is given. Returns :class:`enforcement_crime.notebooks.NotebookRun`.
    """
    from enforcement_crime import notebooks

    path = Path(path)
    spec = next((p for p in param_files(path.parent) if p["path"].name == path.name), None)
    if spec is None:
        raise FileNotFoundError(f"no parameter file {path}")
    src = config.project_root() / spec["notebook"]
    if output is None:
        rel = Path(spec["notebook"]).relative_to("notebooks")
        output = config.reports_dir() / "notebooks" / rel.parent / f"{rel.stem}--{path.stem}.ipynb"
    return notebooks.execute_notebook(
        src, output, {**spec["parameters"], **(extra or {})}, html=html
    )


def share_axis_labels(fig, axes) -> None:
    """One x label and one y label for a row or grid of panels that all carry the same label.

    When every labelled panel has the same x (or y) label, the panels' labels
    are cleared and the figure gets it once (``fig.supxlabel``/``fig.supylabel``);
    panels with different labels keep theirs. Then ``fig.tight_layout()``
    (before :func:`~enforcement_crime.plots.save_figure` adds the synthetic
    mark, which a layout engine would otherwise make room for).
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


def balanced(data: pd.DataFrame, unit: str, time: str, outcome: str) -> tuple[pd.DataFrame, int]:
    """Keep the units observed, with a non-missing ``outcome``, in every period present in ``data``.

    For estimators that need a balanced panel (Bacon decomposition, synthetic
    control). Returns the balanced frame and the number of units left out (to
    be reported: no unit is dropped silently).
    """
    periods = data[time].nunique()
    ok = data[data[outcome].notna()].groupby(unit)[time].nunique()
    keep = ok.index[ok == periods]
    out = data[data[unit].isin(keep)]
    return out, int(data[unit].nunique() - len(keep))


@dataclass
class StudyData:
    """What a study notebook opens with: the panel, whether it is synthetic, and estimator calls.

    ``estimate`` and ``design_mde`` are :func:`estimate` and :func:`design_mde`
    set to tolerate an estimator's refusal of the input (reported with its
    reason) on real panels only; on the built-in synthetic panel every refusal
    is an error, so tests catch it.
    """

    raw: pd.DataFrame
    synthetic: bool
    label: str
    estimate: Callable
    design_mde: Callable


def open_study(data_source: str, *, seed: int, preset: str = "null") -> StudyData:
    """Load the panel named ``data_source`` for a study notebook (see :class:`StudyData`)."""
    import functools
    import logging

    from enforcement_crime.panels import is_synthetic, load_panel

    logging.getLogger("fontTools").setLevel(logging.WARNING)  # PDF font subsetting chatter
    raw = load_panel(data_source, seed=seed, preset=preset)
    synthetic = is_synthetic(raw)
    label = (
        f"SYNTHETIC DATA (built-in panel, seed {seed}, preset {preset!r})"
        if synthetic
        else f"real panel {data_source!r}"
    )
    return StudyData(
        raw=raw,
        synthetic=synthetic,
        label=label,
        estimate=functools.partial(estimate, tolerate_input_error=not synthetic),
        design_mde=functools.partial(design_mde, tolerate_input_error=not synthetic),
    )
