"""``make real``: build every real panel, run every study on each real panel it can use, report.

Steps:

1. build the real panels from ``data/raw/`` (or, with ``--shared``, from the
   read-only copies in ``../shared/data``) through the panel registry;
2. for every study design (:mod:`enforcement_crime.designs`) and every panel it
   declares that was built, execute its notebook with ``data_source=<panel>``
   into ``reports/real/<panel>/`` (figures, tables, executed notebook, its own
   ``OUTPUTS.md``); the methods and validation notebooks run on their panels too.
   The outputs of a notebook's earlier run there are removed first; a failed
   run is marked FAILED in that folder's ``OUTPUTS.md``;
3. write ``reports/real/OUTPUTS.md`` (an index of every run; with ``--only``
   the other designs' earlier runs stay listed) and
   ``reports/real/RESULTS.md``: first one verdict table over every run
   (each run's ``tab_<key>_verdicts.csv``), then one table per study with the
   paper's conclusion, our headline estimate and interval, and the
   diagnostics of the row's own sample and outcome (pre-trend test, HonestDiD
   breakdown, MDE) and a robustness summary, read back from the exported
   tables; ``--readme`` also puts it in the README between the markers
   ``<!-- real-results:start -->`` and ``<!-- real-results:end -->``.

Every output carries its panel's mark ("REAL DATA: FBI CIUS APPROXIMATION OF
COUNTY TOTALS", ...), set by the panel registry.

    python -m enforcement_crime real [--shared] [--only sc_county] [--readme]

(:func:`run`; the options are parsed by :mod:`enforcement_crime.cli`.)
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from enforcement_crime import config, designs
from enforcement_crime.designs import conclusions

__all__ = [
    "RUNS",
    "RealRun",
    "planned_runs",
    "run_real",
    "run_key",
    "clear_run_outputs",
    "results_markdown",
    "merge_records",
    "write_index",
    "run",
]

README_START = "<!-- real-results:start -->"
README_END = "<!-- real-results:end -->"


@dataclass(frozen=True)
class RealRun:
    """One notebook executed on one real panel."""

    key: str  # a design key, or "methods" / "validation"
    notebook: str
    panel: str
    parameters: dict


#: notebooks beyond the four study designs: (key, notebook, panel, parameters)
EXTRA_RUNS: tuple[tuple[str, str, str, dict], ...] = (
    (
        "methods",
        "notebooks/methods/01-run-multiverse.py",
        "cius_county",
        {"grid_scale": "research"},
    ),
    (
        "methods",
        "notebooks/methods/02-compute-minimum-detectable-effects.py",
        "cius_county",
        {"nc_source": "nc_county", "city_source": "city_sc"},
    ),  # fmt: skip
    ("validation", "notebooks/validation/01-compare-crime-sources.py", "cius_county", {}),
)

RUNS = EXTRA_RUNS

#: panels of agencies, not counties: a design runs on them without the county panels as
#: alternatives (the notebook opens the design with its agency options)
AGENCY_PANELS: frozenset[str] = frozenset({"nc_agency"})
#: panels of arrests, not offenses: a design runs on them without the crime panels as alternatives
#: (the notebook opens the design with its arrest outcomes, ``conclusions.SC_ARRESTS_OPTIONS``)
ARRESTS_PANELS: frozenset[str] = conclusions.ARRESTS_PANELS


def real_dir() -> Path:
    """``reports/real`` (under ``ENFORCEMENT_CRIME_REPORTS`` when set)."""
    return config.reports_dir() / "real"


def built_panels() -> list[str]:
    """Names of the processed panels present in ``data/processed``."""
    return sorted(p.stem for p in config.processed_dir().glob("*.parquet") if p.stem != "synthetic")


def planned_runs(available: Iterable[str], *, only: Iterable[str] | None = None) -> list[RealRun]:
    """Every (notebook, panel) pair whose panel is built; ``only`` keeps some design keys."""
    have, keep = set(available), set(only or [])
    runs = []
    for key in designs.DESIGNS:
        d = designs.get(key)
        for panel in d.panels:
            if panel in have:
                params: dict = {"data_source": panel}
                alts = [a for a in d.alt_panels if a in have and a != panel]
                if panel in AGENCY_PANELS:  # the alternatives are county panels: other units
                    alts = []
                if panel in ARRESTS_PANELS:  # the alternatives are crime panels: other outcomes
                    alts = []
                if alts:
                    params["alt_panels"] = alts
                runs.append(RealRun(key, d.notebook, panel, params))
    for key, nb, panel, params in EXTRA_RUNS:
        needed = {panel, *(v for k, v in params.items() if k.endswith("_source"))}
        if needed <= have and (config.project_root() / nb).is_file():
            runs.append(RealRun(key, nb, panel, {"data_source": panel, **params}))
    return [r for r in runs if not keep or r.key in keep]


def executed_notebook(folder: Path, notebook: str) -> Path:
    """The executed copy of ``notebook`` (``notebooks/...py``) in the panel folder ``folder``."""
    return folder / "notebooks" / Path(notebook).relative_to("notebooks").with_suffix(".ipynb")


def output_record(folder: Path, notebook: str) -> Path:
    """The :class:`~enforcement_crime.reports.OutputLog` record of ``notebook`` in a panel folder."""
    stem = notebook.replace("/", "__").removesuffix(".py")
    return folder / "notebooks" / "_outputs" / f"{stem}.json"


def clear_run_outputs(folder: Path, notebook: str) -> list[Path]:
    """Remove what an earlier run of ``notebook`` left in the panel folder ``folder``.

    That is every file its output record lists (figures, tables), the
    record itself, and the executed notebook with its HTML copy; files of
    other notebooks stay. Returns the removed paths.
    """
    removed: list[Path] = []
    record = output_record(folder, notebook)
    root = folder.resolve()
    if record.is_file():
        try:
            outputs = json.loads(record.read_text()).get("outputs", [])
        except ValueError:
            outputs = []
        for entry in outputs:
            for f in entry.get("files", {}).values():
                p = Path(f)
                if p.is_file() and p.resolve().is_relative_to(root):
                    p.unlink()
                    removed.append(p)
        record.unlink()
        removed.append(record)
    executed = executed_notebook(folder, notebook)
    for p in (executed, executed.with_suffix(".html")):
        if p.is_file():
            p.unlink()
            removed.append(p)
    return removed


def _mark_failed(folder: Path, notebook: str, status: str) -> None:
    """Say in the output record of ``notebook`` that its run failed (written when it has none)."""
    from enforcement_crime.fileio import atomic_write_text

    path = output_record(folder, notebook)
    record: dict = {"notebook": notebook, "outputs": [], "values": {}}
    if path.is_file():
        try:
            record = json.loads(path.read_text())
        except ValueError:
            pass
    record["status"] = status
    atomic_write_text(path, json.dumps(record, indent=2, sort_keys=True) + "\n")


#: file in ``reports/real/`` with the seconds of each run's last execution on this machine
RUN_SECONDS = "run_seconds.json"


def run_key(r: RealRun) -> str:
    """The key of a run in the expected-seconds tables: ``"real: <notebook> on <panel>"``."""
    return f"real: {r.notebook} on {r.panel}"


def _recorded_seconds(root: Path) -> dict[str, float]:
    """The seconds recorded in ``root/`` :data:`RUN_SECONDS` ({} if none or unreadable)."""
    try:
        data = json.loads((root / RUN_SECONDS).read_text())
    except (OSError, ValueError):
        return {}
    return (
        {k: float(v) for k, v in data.items() if isinstance(v, (int, float))}
        if isinstance(data, dict)
        else {}
    )


def _record_seconds(root: Path, records: list[dict]) -> None:
    """Merge the seconds of the successful runs in ``records`` into ``root/`` :data:`RUN_SECONDS`."""
    from enforcement_crime.fileio import atomic_write_text

    merged = _recorded_seconds(root)
    merged.update(
        {
            f"real: {r['notebook']} on {r['panel']}": float(r["seconds"])
            for r in records
            if r["status"] == "ok"
        }
    )
    root.mkdir(parents=True, exist_ok=True)
    atomic_write_text(root / RUN_SECONDS, json.dumps(merged, indent=1, sort_keys=True) + "\n")


def run_real(
    runs: list[RealRun],
    *,
    out: Callable[[str], None] = print,
    html: bool = True,
    jobs: int | None = None,
) -> list[dict]:
    """Execute each run into its panel's folder under ``reports/real``; returns one record per run.

    Runs execute ``jobs`` at a time (:func:`enforcement_crime.notebooks.resolve_jobs`: by
    default one per core), the longest expected first (the seconds recorded in
    ``reports/real/`` :data:`RUN_SECONDS` by earlier runs on this machine, else the tracked
    :func:`enforcement_crime.notebooks.expected_seconds`), each notebook in its own kernel whose ``ENFORCEMENT_CRIME_REPORTS``
    is its panel's folder; the records come back in the order of ``runs``. Before any run
    starts, the outputs of each notebook's earlier run on its panel are removed
    (:func:`clear_run_outputs`), so nothing stale is listed as current; a failed run is marked
    FAILED in its output record and so in the panel's ``OUTPUTS.md`` (what it wrote before it
    stopped is listed as partial). Each panel's ``OUTPUTS.md`` is written once every run has
    finished, from the files its folder then holds.
    """
    from enforcement_crime import notebooks, reports

    root = real_dir()

    def one(r: RealRun) -> dict:
        folder = root / r.panel
        target = executed_notebook(folder, r.notebook)
        start = time.perf_counter()
        out(f"[real] {r.notebook} on {r.panel} ...")
        try:
            notebooks.execute_notebook(
                config.project_root() / r.notebook,
                target,
                r.parameters,
                html=html,
                env={"ENFORCEMENT_CRIME_REPORTS": str(folder)},
            )
            status = "ok"
        except Exception as err:  # reported in the index and re-raised at the end
            last = (str(err).strip().splitlines() or [""])[-1][:300]
            status = f"FAILED: {type(err).__name__}: {last}"
            _mark_failed(folder, r.notebook, status)
        seconds = time.perf_counter() - start
        out(f"[real]   {r.notebook} on {r.panel}: {status} ({seconds:.0f} s)")
        return {"key": r.key, "notebook": r.notebook, "panel": r.panel, "status": status,
                "seconds": round(seconds), "folder": str(folder)}  # fmt: skip

    # every earlier output goes before any kernel starts: no run deletes files while another
    # run's kernel lists its panel folder
    for r in runs:
        clear_run_outputs(root / r.panel, r.notebook)
    # a failed run is a record, not an exception: every run finishes; the longest expected run
    # starts first (recorded times of this machine, else the tracked ones), records keep `runs` order
    expected = notebooks.expected_seconds(_recorded_seconds(root))
    order = sorted(range(len(runs)), key=lambda i: -expected.get(run_key(runs[i]), float("inf")))
    done = notebooks.run_parallel(one, [runs[i] for i in order], jobs=jobs)
    records = [rec for _, rec in sorted(zip(order, done, strict=True))]
    _record_seconds(root, records)
    old = os.environ.get("ENFORCEMENT_CRIME_REPORTS")
    try:
        for panel in sorted({r.panel for r in runs}):
            os.environ["ENFORCEMENT_CRIME_REPORTS"] = str(root / panel)
            reports.write_outputs_md()
    finally:
        if old is None:
            os.environ.pop("ENFORCEMENT_CRIME_REPORTS", None)
        else:
            os.environ["ENFORCEMENT_CRIME_REPORTS"] = old
    return records


def _read(path: Path) -> pd.DataFrame | None:
    return pd.read_csv(path) if path.is_file() else None


def _verdict_rows(records: list[dict]) -> list[str]:
    """The rows of the verdict table: every ``tab_<key>_verdicts.csv`` of the runs, in design order."""
    lines = []
    for key in designs.DESIGNS:
        d = designs.get(key)
        for r in (r for r in records if r["key"] == key):
            if r["status"] != "ok":
                lines.append(f"| {d.title} | {r['panel']} | | | | {r['status']} | | |")
                continue
            v = _read(Path(r["folder"]) / "tables" / d.study / f"tab_{key}_verdicts.csv")
            if v is None:
                lines.append(f"| {d.title} | {r['panel']} | | | | no verdict table exported | | |")
                continue
            for _, row in v.iterrows():
                reason = " ".join(str(row.get("reason", "")).split()).replace("|", "/")
                interval = (f"{_num(row.get('estimate'))} [{_num(row.get('conf_low'))}, "
                            f"{_num(row.get('conf_high'))}]")  # fmt: skip
                lines.append(f"| {d.title} | {r['panel']} | {row['conclusion']} | {row['outcome']} | "
                             f"{row.get('sample', '')} | {row['verdict']} | {interval} | {reason} |")  # fmt: skip
    return lines


def _sample_of(spec: str, head_label: str, samples: list[str]) -> str:
    """The diagnostic sample a study-vs-rebuild row belongs to: its ``"<sample>: "`` prefix, else the first."""
    prefix = spec[: -len(head_label)].rstrip(": ").strip() if spec.endswith(head_label) else ""
    if prefix in samples:
        return prefix
    return samples[0] if samples else ""


def _robustness_summary(rob: pd.DataFrame | None, outcome: str) -> str:
    """Intervals excluding 0, p-values below 0.05 and the within-state row of one outcome's robustness rows.

    The intervals are counted over distinct specifications, calibrated and
    analytic apart, the leave-one-out family apart
    (:func:`~enforcement_crime.designs.evidence.interval_counts`); the
    p-values over the distinct rows that have one.
    """
    from enforcement_crime.designs.evidence import STATE_BY_YEAR, WITHIN_STATE, interval_counts

    if rob is None or not len(rob):
        return ""
    rb = rob[(rob["outcome"] == outcome) & (rob["choice"] != "placebo")]
    if not len(rb):
        return ""
    c = interval_counts(rb)
    parts = [f"calibrated {c['calibrated'][0]} of {c['calibrated'][1]}, analytic (over-rejects) "
             f"{c['analytic'][0]} of {c['analytic'][1]}"]  # fmt: skip
    if c["leave one out"][1]:
        parts[0] += f", leave one out {c['leave one out'][0]} of {c['leave one out'][1]}"
    if "p_value" in rb.columns and rb["p_value"].notna().any():
        p = rb[rb["choice"] != "leave one out"]
        nums = p[["estimate", "conf_low", "conf_high"]].astype("float64").round(10)
        p = p.loc[~nums.duplicated().to_numpy(), "p_value"].dropna()
        parts.append(f"p < 0.05 in {int((p < 0.05).sum())} of {len(p)} with a p-value")
    if "variant" in rb.columns:
        ws = rb[(rb["choice"] == WITHIN_STATE)
                & rb["variant"].astype(str).str.endswith(STATE_BY_YEAR)]  # fmt: skip
        if len(ws) and pd.notna(ws["estimate"].iloc[0]):
            w = ws.iloc[0]
            parts.append(f"within state (state-by-year FE) {_num(w['estimate'])} "
                         f"[{_num(w['conf_low'])}, {_num(w['conf_high'])}]")  # fmt: skip
    return "; ".join(parts)


def results_markdown(records: list[dict]) -> str:
    """The "Results on real data" section, every number read from the runs' exported tables.

    First one verdict table over every run (each run's ``tab_<key>_verdicts.csv``:
    conclusion, outcome, sample, verdict, estimate and interval, reason); then
    per study and panel the paper's words and the headline rows of the
    study-vs-rebuild table, each with the diagnostics of its own sample and
    outcome (the sample is the row's ``"<sample>: "`` prefix, else the first
    sample of the diagnostics), and, for the robustness table's sample, how
    many robustness intervals exclude 0, how many p-values are below 0.05 and
    the within-state (state-by-year) estimate; then the reading paragraphs.
    """
    from enforcement_crime.designs.clean import CLEAN_MARK
    from enforcement_crime.designs.conclusions import PAPER_CONCLUSIONS

    lines = ["## Results on real data", "",
             "Generated by `make real` (`python -m enforcement_crime real`) from the real copies; every number "
             "below is read from the exported tables in `reports/real/<panel>/` (index: "
             "[reports/real/OUTPUTS.md](reports/real/OUTPUTS.md)). The county panels are approximations of county "
             "totals built from FBI *Crime in the United States* agency tables; see `data/processed/README.md`."
             + ("".join(f" Panel `{p}` holds arrests (ICPSR county files), not offenses: a secondary outcome."
                        for p in sorted({r["panel"] for r in records} & ARRESTS_PANELS))), ""]  # fmt: skip
    verdict_rows = _verdict_rows(records)
    lines += ["### Verdicts", "",
              "One row per conclusion of the papers, outcome and sample, by the rules of "
              "`designs.verdicts` (each run's verdict table).", ""]  # fmt: skip
    if verdict_rows:
        lines += ["| study | panel | conclusion | outcome | sample | verdict | estimate [95% interval] | reason |",
                  "|---|---|---|---|---|---|---|---|", *verdict_rows, ""]  # fmt: skip
    else:
        lines += ["No run has exported a verdict table.", ""]
    for key in designs.DESIGNS:
        runs = [r for r in records if r["key"] == key]
        if not runs:
            continue
        d = designs.get(key)
        paper = PAPER_CONCLUSIONS[key]
        lines += [
            f"### {d.title}",
            "",
            f"Paper: {paper['paper']}. Conclusion: {paper['conclusion']}",
            "",
        ]
        lines += ["| panel | sample | outcome | our headline | estimate [95% interval] | pre-trend p "
                  "| HonestDiD breakdown | MDE | robustness (intervals excluding 0 over distinct specifications; p-values; within state) |",
                  "|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
        for r in runs:
            tables = Path(r["folder"]) / "tables" / d.study
            svr = _read(tables / f"tab_{key}_study_vs_rebuild.csv")
            diag = _read(tables / f"tab_{key}_diagnostics.csv")
            rob = _read(tables / f"tab_{key}_robustness.csv")
            if r["status"] != "ok" or svr is None:
                lines.append(f"| {r['panel']} | | | {r['status']} | | | | | |")
                continue
            head_label = d.headline_spec().label
            spec = svr["specification"].astype(str)
            # the headline rows, and the clean-control headline beside them where the design has one
            first = svr[spec.str.endswith(head_label) | spec.str.contains(CLEAN_MARK, regex=False)]
            has_sample = diag is not None and "sample" in diag.columns
            samples = list(dict.fromkeys(diag["sample"].astype(str))) if has_sample else []
            for _, row in first.iterrows():
                sample = _sample_of(str(row["specification"]), head_label, samples)
                dg = None
                if diag is not None and len(diag):
                    m = diag["outcome"] == row["outcome"]
                    if has_sample:
                        m &= diag["sample"].astype(str) == sample
                    dg = diag[m].iloc[0] if m.any() else None
                summary = (_robustness_summary(rob, row["outcome"])
                           if not samples or sample == samples[0] else "")  # fmt: skip
                lines.append(
                    f"| {r['panel']} | {sample} | {row['outcome']} | {row['specification']} | "
                    f"{_num(row['estimate'])} [{_num(row['conf_low'])}, {_num(row['conf_high'])}] | "
                    f"{_num(dg['pretrend_p']) if dg is not None else ''} | "
                    f"{_num(dg['honest_breakdown']) if dg is not None else ''} | {_num(row['mde'])} | "
                    f"{summary} |"
                )
        lines.append("")
        for r in runs:
            reading = _read(Path(r["folder"]) / "tables" / d.study / f"tab_{key}_reading.csv")
            if r["status"] == "ok" and reading is not None:
                lines.append(
                    f"Reading the evidence on `{r['panel']}` (computed from the robustness table):"
                )
                lines.append("")
                lines += [f"- {text}" for text in reading["reading"]]
                lines.append("")
        lines.append("")
    return "\n".join(lines)


def _num(v) -> str:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return str(v)
    if x != x:
        return "n/a"
    return f"{x:.3g}" if abs(x) < 1e4 else f"{x:,.0f}"


def write_readme_section(text: str, readme: Path | None = None, *, start: str = README_START,
                         end: str = README_END) -> Path:  # fmt: skip
    """Replace the README's text between the markers ``start`` and ``end`` (default: real results) with ``text``."""
    readme = readme or config.project_root() / "README.md"
    body = readme.read_text()
    if start not in body or end not in body:
        raise ValueError(f"{readme}: markers {start} / {end} not found")
    head, rest = body.split(start, 1)
    _, tail = rest.split(end, 1)
    from enforcement_crime.fileio import atomic_write_text

    atomic_write_text(readme, f"{head}{start}\n{text}\n{end}{tail}")
    return readme


def merge_records(records: list[dict], previous: list[dict] | None, *, partial: bool) -> list[dict]:
    """The runs the index lists: ``records``, plus (when ``partial``, e.g. ``--only``) every
    earlier run of another (notebook, panel) from ``previous``, in their earlier order."""
    if not partial or not previous:
        return list(records)
    new = {(r["notebook"], r["panel"]): r for r in records}
    merged = [new.pop((r["notebook"], r["panel"]), r) for r in previous]
    return merged + list(new.values())


def write_index(records: list[dict], *, partial: bool = False) -> tuple[Path, list[dict]]:
    """Write ``reports/real/OUTPUTS.md`` and ``RESULTS.md`` (and ``runs.json``, the runs they list).

    With ``partial`` (a run of some designs only, ``--only``) the runs of the
    other designs recorded by the previous run stay in the index; else the
    index lists ``records`` only. Returns the index path and the listed runs.
    """
    from enforcement_crime.fileio import atomic_write_text

    store = real_dir() / "runs.json"
    previous = None
    if store.is_file():
        try:
            previous = json.loads(store.read_text())
        except ValueError:
            previous = None
    listed = merge_records(records, previous, partial=partial)
    index = real_dir() / "OUTPUTS.md"
    rows = "\n".join(f"| `{r['notebook']}` | `{r['panel']}` | {r['status']} | {r['seconds']} s | "
                     f"[outputs]({r['panel']}/OUTPUTS.md) |" for r in listed)  # fmt: skip
    atomic_write_text(
        index,
        "# Real-data runs (`make real`)\n\nEach study notebook on each real panel it can use; "
        "each panel folder has its own OUTPUTS.md.\n\n| notebook | panel | status | time | map |\n"
        f"|---|---|---|---|---|\n{rows}\n",
    )
    atomic_write_text(real_dir() / "RESULTS.md", results_markdown(listed) + "\n")
    atomic_write_text(store, json.dumps(listed, indent=1) + "\n")
    return index, listed


def run(
    *,
    shared: bool = False,
    build: bool = True,
    only: Iterable[str] | None = None,
    readme: bool = False,
    html: bool = True,
    jobs: int | None = None,
) -> int:
    """``python -m enforcement_crime real``: build, run every study on every real panel, report.

    Parameters
    ----------
    shared : bool
        Build the panels from ``../shared/data`` instead of ``data/raw``.
    build : bool
        Build the panels first (False: use those already in ``data/processed``).
    only : iterable of str, optional
        Design keys (or ``methods``, ``validation``) to run.
    readme : bool
        Also write the results section into README.md.
    html : bool
        Write HTML copies of the executed notebooks.
    jobs : int, optional
        Notebooks executed at once (default: one per core, or ``ENFORCEMENT_CRIME_JOBS``).

    Returns
    -------
    int
        The exit code: 0 when every run succeeded, 1 otherwise (a failed
        panel build stops before any run, in one line naming the panel and
        the file).
    """
    if build:  # a failed build ends in one line naming the panel and the file
        from enforcement_crime.panels import commands

        code = commands.build_command(shared=shared, prog="make real: data build")
        if code:
            return code
    runs = planned_runs(built_panels(), only=only)
    if not runs:
        print("make real: no real panel is built; put raw files in data/raw/ (see data/raw/README.md) "
              "or run with --shared when ../shared/data is present", file=sys.stderr)  # fmt: skip
        return 1
    records = run_real(runs, html=html, jobs=jobs)
    index, listed = write_index(records, partial=bool(only))
    if readme:
        write_readme_section(results_markdown(listed))
    failed = [r for r in records if r["status"] != "ok"]
    for r in failed:
        print(f"make real: {r['notebook']} on {r['panel']}: {r['status']}", file=sys.stderr)
    print(f"make real: {len(records) - len(failed)} of {len(records)} runs ok; index {index}")
    return 1 if failed else 0
