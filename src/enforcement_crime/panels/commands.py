"""The ``data`` command: ``python -m enforcement_crime data status|fetch|build``.

``status``
    For each source: whether raw files are present in ``data/raw/<source>/``
    (or the folder given by ``--raw``), which files, and their checksum state
    against the source's sha256 registry (``ok``, ``MISMATCH``, ``unregistered``).
``fetch [SOURCE ...]``
    Downloads public sources into ``data/raw/<source>/``. Sources that need a
    login (LEAIC, Kaplan, ICPSR county files) print what to download, from
    where and where to put it; the command then exits non-zero.
``build [PANEL ...]``
    Builds every study panel whose inputs are present, from the real raw
    files, into ``data/processed/<panel>.parquet`` + ``.json`` manifest, and
    says which. When no real panel can be built it writes the built-in
    SYNTHETIC panel (``enforcement_crime.synthetic.write_default_panel``) and
    says so. ``--shared`` reads the real copies in ``../shared/data`` instead
    of ``data/raw`` (their folder names differ; see :data:`SHARED_LAYOUT`).

Panels: ``cius_county`` (approximation from CIUS Tables 8+10+11, needs
fbi_cius + leaic + census_population), ``kaplan_county`` (needs ucr_kaplan +
census_population; leaic recommended), ``icpsr_county`` (needs
ucr_icpsr_county), ``city_sc`` (needs fbi_cius + leaic), ``nc_county`` (from
the first county panel built, in the order kaplan, icpsr, cius). ``city_sc`` is
built from Kaplan's agency data when present, else from CIUS Table 8.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from enforcement_crime import config

__all__ = ["SOURCES", "PANELS", "SHARED_LAYOUT", "status", "fetch", "build", "main"]


@dataclass(frozen=True)
class SourceInfo:
    """A raw source: its module, whether it needs a login, the file patterns it reads."""

    module: str
    login: bool
    patterns: tuple[str, ...]
    what: str


SOURCES: dict[str, SourceInfo] = {
    "census_population": SourceInfo(
        "census_population", False, ("co-est*.csv",), "Census county population"
    ),
    "secure_communities": SourceInfo(
        "secure_communities", False, ("*.dta", "*.csv"), "SC activation dates"
    ),
    "g287": SourceInfo("g287", False, ("*.csv", "*.xlsx"), "287(g) agreements"),
    "nc_sbi": SourceInfo("nc_sbi", False, ("*.csv", "*.xls", "*.xlsx"), "NC SBI county crime"),
    "fbi_cius": SourceInfo("fbi_cius", False, ("**/*.xls", "**/*.xlsx"), "FBI CIUS Tables 8/10/11"),
    "leaic": SourceInfo(
        "leaic", True, ("*.rda", "*.dta", "*.tsv"), "LEAIC 2012 ORI-county crosswalk"
    ),
    "ucr_kaplan": SourceInfo(
        "ucr_kaplan", True, ("*.csv", "*.dta", "*.parquet"), "UCR Return A (Kaplan)"
    ),
    "ucr_icpsr_county": SourceInfo(
        "ucr_icpsr_county", True, ("*.txt", "*.dat", "*.tsv", "*.dta"), "ICPSR county UCR"
    ),
}
PANELS: tuple[str, ...] = ("cius_county", "kaplan_county", "icpsr_county", "city_sc", "nc_county")

#: where each source's real copy sits under ``../shared/data`` (for ``--shared``)
SHARED_LAYOUT: dict[str, tuple[str, ...]] = {
    "census_population": (
        "census_county_pop_tell/co-est2009-alldata.csv",
        "census_county_pop_tell/co-est2019-alldata.csv",
    ),
    "secure_communities": ("sc_activation_hhadah/activation_dates_makayla_revisedforbalance.dta",),
    "g287": (
        "ice_287g_deportationdata/pre2018-agreements-best-guess.csv",
        "ice_287g_deportationdata/historical-oig-2009.csv",
    ),
    "fbi_cius": ("fbi_cius_table10_county_sheriff/*.xls", "fbi_cius_tables/*/*.xls"),
    "leaic": ("leaic_2012_icpsr35158/35158-0001-Data.rda",),
}


def _module(name: str):
    return importlib.import_module(f"enforcement_crime.sources.{SOURCES[name].module}")


def _files(source: str, raw: Path | None = None, shared: bool = False) -> list[Path]:
    if shared:
        base = config.shared_data_dir()
        out: list[Path] = []
        for pattern in SHARED_LAYOUT.get(source, ()):
            out += sorted(base.glob(pattern))
        return out
    folder = (raw / source) if raw is not None else config.raw_dir(source)
    if not folder.is_dir():
        return []
    seen: list[Path] = []
    for pattern in SOURCES[source].patterns:
        for p in sorted(folder.glob(pattern)):
            if p.is_file() and p not in seen and not p.name.endswith(".part"):
                seen.append(p)
    return seen


def _checksum_state(source: str, files: list[Path]) -> str:
    from enforcement_crime.sources._fetch import sha256_of

    registry = getattr(_module(source), "SHA256", None)
    if not files:
        return "-"
    if not registry:
        return "no registry"
    states = []
    for f in files:
        want = registry.get(f.name)
        if want is None:
            states.append(f"{f.name}: unregistered")
        elif sha256_of(f) == want.lower():
            states.append(f"{f.name}: ok")
        else:
            states.append(f"{f.name}: MISMATCH")
    return "; ".join(states)


def status(raw: Path | None = None, out: Callable[[str], None] = print) -> list[dict]:
    """Print and return one record per source: found, where, files, checksum state, login."""
    rows = []
    for name, info in SOURCES.items():
        files = _files(name, raw)
        folder = (raw / name) if raw is not None else config.raw_dir(name)
        rows.append(
            {
                "source": name,
                "found": bool(files),
                "where": str(folder),
                "files": [f.name for f in files],
                "checksums": _checksum_state(name, files),
                "login": info.login,
            }
        )
    out(f"raw data folder: {raw if raw is not None else config.raw_dir()}")
    for r in rows:
        flag = "found  " if r["found"] else "missing"
        login = " (login needed)" if r["login"] else ""
        out(f"  {r['source']:<19} {flag} {r['where']}{login}")
        if r["found"]:
            out(f"      {len(r['files'])} file(s); checksums: {r['checksums']}")
    return rows


def fetch(
    sources: Iterable[str] | None = None,
    raw: Path | None = None,
    out: Callable[[str], None] = print,
) -> int:
    """Download public sources; print login instructions for the others.

    Returns
    -------
    int
        0 when every requested source was fetched; 1 when any needed a login
        or failed (the message says why).
    """
    from enforcement_crime.sources._fetch import LoginRequired

    names = list(sources) if sources else list(SOURCES)
    unknown = [s for s in names if s not in SOURCES]
    if unknown:
        out(f"unknown source(s) {unknown}; known: {list(SOURCES)}")
        return 2
    rc = 0
    for name in names:
        dest = (raw / name) if raw is not None else config.raw_dir(name)
        try:
            got = _module(name).fetch(dest)
            out(f"{name}: fetched {len(got) if got else 0} file(s) into {dest}")
        except LoginRequired as exc:
            out(str(exc))
            rc = 1
        except Exception as exc:  # network errors, checksum mismatches: report and go on
            out(f"{name}: FAILED: {type(exc).__name__}: {exc}")
            rc = 1
    return rc


# ---------------------------------------------------------------------------
# build
# ---------------------------------------------------------------------------


def _load_many(source: str, files: list[Path], loader: str = "load") -> list[pd.DataFrame]:
    fn = getattr(_module(source), loader)
    return [fn(f) for f in files]


def _population(files: list[Path], years: Iterable[int]) -> pd.DataFrame:
    from enforcement_crime.sources import census_population as cp

    frames = [cp.load(f) for f in files]
    have = sorted(set().union(*[set(f["year"]) for f in frames]))
    years = [y for y in years if y in have]
    return cp.county_population_panel(frames, years)


def _timing(files: dict[str, list[Path]], out: Callable[[str], None]) -> pd.DataFrame | None:
    if not files.get("secure_communities") and not files.get("g287"):
        out("timing: no SC or 287(g) raw files: treatment dates will be NaT (the manifests say so)")
        return None
    try:
        from enforcement_crime.panels import timing as tm
        from enforcement_crime.sources import g287, secure_communities

        sc = None
        if files.get("secure_communities"):
            sc = tm.sc_activation_by_county(secure_communities.load(files["secure_communities"][0]))
        g = None
        if files.get("g287"):
            g = tm.g287_first_adoption(*[g287.load(f) for f in files["g287"]])
        t = tm.county_timing(sc=sc, g287=g)
        t.attrs = {
            "rule": "build.timing.county_timing: SC activation month; 287(g) earliest date over sources"
        }
        used = [k for k in ("secure_communities", "g287") if files.get(k)]
        out(f"timing: built from {', '.join(used)} ({len(t)} counties)")
        return t
    except Exception as exc:  # timing is optional: say why and continue with NaT
        out(
            f"timing: could not be built ({type(exc).__name__}: {exc}); treatment dates will be NaT"
        )
        return None


def build(
    panels: Iterable[str] | None = None,
    raw: Path | None = None,
    shared: bool = False,
    coverage_rule: str = "scale",
    min_population: int = 50_000,
    out: Callable[[str], None] = print,
    folder: Path | None = None,
) -> dict[str, Path]:
    """Build the requested panels from real raw files; the synthetic default when none can be built.

    Parameters
    ----------
    panels : iterable of str, optional
        Subset of :data:`PANELS` (default all).
    raw : Path, optional
        Raw-data root (default :func:`config.raw_dir`).
    shared : bool
        Read the real copies in ``../shared/data`` (:data:`SHARED_LAYOUT`).
    coverage_rule : str
        For ``kaplan_county``.
    min_population : int
        For ``city_sc``.
    folder : Path, optional
        Output folder (default :func:`config.processed_dir`).

    Returns
    -------
    dict
        ``{panel name: parquet path}`` of what was written.
    """
    from enforcement_crime.panels import panels as pb
    from enforcement_crime.panels.manifest import input_record, write_panel

    wanted = list(panels) if panels else list(PANELS)
    unknown = [p for p in wanted if p not in PANELS]
    if unknown:
        raise ValueError(f"unknown panel(s) {unknown}; known: {list(PANELS)}")
    files = {s: _files(s, raw, shared) for s in SOURCES}
    where = config.shared_data_dir() if shared else (raw or config.raw_dir())
    out(f"building from real raw files in {where}" + (" (shared copies)" if shared else ""))
    written: dict[str, Path] = {}
    skipped: dict[str, str] = {}

    def inputs(*sources: str) -> list[dict]:
        return [input_record(f, source=s) for s in sources for f in files[s]]

    timing = _timing(files, out)
    crosswalk = _load_many("leaic", files["leaic"][:1])[0] if files["leaic"] else None
    need_population = bool(
        {"kaplan_county", "icpsr_county", "cius_county", "nc_county"} & set(wanted)
    )
    population = (
        _population(files["census_population"], range(1990, 2021))
        if files["census_population"] and need_population
        else None
    )
    county_panels: dict[str, pd.DataFrame] = {}

    if "kaplan_county" in wanted or "nc_county" in wanted:
        if files["ucr_kaplan"] and population is not None:
            agencies = pd.concat(_load_many("ucr_kaplan", files["ucr_kaplan"]), ignore_index=True)
            panel, man = pb.kaplan_county_panel(
                agencies, population, crosswalk, coverage_rule=coverage_rule, timing=timing
            )
            man.inputs = inputs("ucr_kaplan", "leaic", "census_population") + man.inputs
            county_panels["kaplan_county"] = panel
            if "kaplan_county" in wanted:
                written["kaplan_county"] = write_panel(panel, "kaplan_county", man, folder=folder)
        else:
            skipped["kaplan_county"] = "needs ucr_kaplan and census_population raw files"
    if "icpsr_county" in wanted or "nc_county" in wanted:
        if files["ucr_icpsr_county"]:
            frames = _load_many("ucr_icpsr_county", files["ucr_icpsr_county"])
            panel, man = pb.icpsr_county_panel(frames, population, timing=timing)
            man.inputs = inputs("ucr_icpsr_county", "census_population") + man.inputs
            county_panels["icpsr_county"] = panel
            if "icpsr_county" in wanted:
                written["icpsr_county"] = write_panel(panel, "icpsr_county", man, folder=folder)
        else:
            skipped["icpsr_county"] = "needs ucr_icpsr_county raw files"
    cius = None
    if files["fbi_cius"]:
        cius = pd.concat(_load_many("fbi_cius", files["fbi_cius"]), ignore_index=True)
    if "cius_county" in wanted or "nc_county" in wanted:
        if cius is not None and crosswalk is not None and population is not None:
            frames = [g for _, g in cius.groupby(["table", "year"])]
            panel, man, report = pb.cius_county_panel(
                frames, crosswalk, population, timing=timing, verbose=False
            )
            for y, g in report["match_rate"].groupby("year"):
                parts = ", ".join(
                    f"{r.table} {r.matched}/{r.agencies} ({r.rate:.1%})" for r in g.itertuples()
                )
                out(f"  cius_county {y}: match rate {parts}")
            man.inputs = inputs("fbi_cius", "leaic", "census_population") + man.inputs
            county_panels["cius_county"] = panel
            if "cius_county" in wanted:
                written["cius_county"] = write_panel(panel, "cius_county", man, folder=folder)
        else:
            skipped["cius_county"] = "needs fbi_cius, leaic and census_population raw files"
    if "city_sc" in wanted:
        if files["ucr_kaplan"]:
            agencies = pd.concat(_load_many("ucr_kaplan", files["ucr_kaplan"]), ignore_index=True)
            panel, man = pb.city_panel_from_agencies(
                agencies, crosswalk, timing=timing, min_population=min_population
            )
            man.inputs = inputs("ucr_kaplan", "leaic") + man.inputs
            written["city_sc"] = write_panel(panel, "city_sc", man, folder=folder, validate=False)
            out("  city_sc built from Kaplan's agency data (12-month reporters)")
        elif cius is not None and crosswalk is not None:
            panel, man = pb.city_panel(
                cius, crosswalk, timing=timing, min_population=min_population
            )
            man.inputs = inputs("fbi_cius", "leaic") + man.inputs
            pb.validate_city_panel(panel, name="city_sc")
            written["city_sc"] = write_panel(panel, "city_sc", man, folder=folder, validate=False)
        else:
            skipped["city_sc"] = "needs fbi_cius and leaic raw files"
    if "nc_county" in wanted:
        base = next(
            (k for k in ("kaplan_county", "icpsr_county", "cius_county") if k in county_panels),
            None,
        )
        if base is not None:
            panel, man = pb.nc_county_panel(county_panels[base], base_name=base)
            written["nc_county"] = write_panel(panel, "nc_county", man, folder=folder)
            out(f"  nc_county built from {base} ({len(panel)} county-years)")
        else:
            skipped["nc_county"] = "needs a county-year panel (kaplan, icpsr or cius inputs)"

    for name, path in written.items():
        out(f"built {name}: {path} (REAL data; manifest {path.with_suffix('.json').name})")
    for name, why in skipped.items():
        if name in wanted:
            out(f"skipped {name}: {why}")
    if not written:
        from enforcement_crime import synthetic

        path = synthetic.write_default_panel()
        out(
            f"no real panel could be built: wrote the SYNTHETIC default panel {path} (SYNTHETIC DATA, not a study result)"
        )
        written["synthetic"] = Path(path)
    return written


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m enforcement_crime data ...``; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m enforcement_crime data", description="raw sources and study panels"
    )
    parser.add_argument("--raw", type=Path, default=None, help="raw-data root (default data/raw)")
    sub = parser.add_subparsers(dest="action", required=True)
    sub.add_parser("status", help="list each source: found or not, where, checksum state")
    f = sub.add_parser(
        "fetch", help="download public sources; print login instructions for the others"
    )
    f.add_argument("sources", nargs="*", help=f"subset of {list(SOURCES)}")
    b = sub.add_parser(
        "build", help="build study panels (real raw files when present, else synthetic)"
    )
    b.add_argument("panels", nargs="*", help=f"subset of {list(PANELS)}")
    b.add_argument("--shared", action="store_true", help="read the real copies in ../shared/data")
    b.add_argument("--coverage-rule", default="scale", choices=["full12", "scale", "icpsr"])
    b.add_argument("--min-population", type=int, default=50_000)
    args = parser.parse_args(argv)
    if args.action == "status":
        status(args.raw)
        return 0
    if args.action == "fetch":
        return fetch(args.sources, args.raw)
    try:
        build(
            args.panels,
            args.raw,
            shared=args.shared,
            coverage_rule=args.coverage_rule,
            min_population=args.min_population,
        )
    except ValueError as exc:
        print(f"data build: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
