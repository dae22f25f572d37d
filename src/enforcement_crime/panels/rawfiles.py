"""Raw sources: where their files are, and whether they are the bytes the sha256 registry expects.

:data:`SOURCES` lists every raw source the panels read (its loader module in
:mod:`enforcement_crime.sources`, whether it needs a login, the file patterns
read from ``data/raw/<source>/``). :data:`SHARED_LAYOUT` says where the real
copies sit under ``../shared/data`` (for ``data build --shared``).

:func:`checksum_states` compares files with the source module's ``SHA256``
registry (``{file name: hex digest}``): ``"ok"``, ``"MISMATCH"`` or
``"unregistered"`` (no entry, or the source has no registry).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path

from enforcement_crime import config
from enforcement_crime.sources._download import sha256_of

__all__ = [
    "SourceInfo",
    "SOURCES",
    "SHARED_LAYOUT",
    "source_module",
    "files_for",
    "sha256_of",
    "checksum_states",
    "completeness_problems",
]


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
    "ucr_kaplan_agency": SourceInfo(
        "ucr_kaplan_agency",
        False,
        ("*offenses*.csv", "*leoka*.csv"),
        "Kaplan agency-year CSVs (offenses, LEOKA)",
    ),
    "ucr_icpsr_county": SourceInfo(
        "ucr_icpsr_county", True, ("*.txt", "*.dat", "*.tsv", "*.dta"), "ICPSR county UCR"
    ),
    # fixed-width files are read with the layout*.csv beside them (not a pattern: not a year)
    "ucr_icpsr_arrests": SourceInfo(
        "ucr_icpsr_arrests",
        True,
        ("*.txt", "*.dat", "*.asc", "*.rda", "*.RData"),
        "ICPSR county UCR arrests (part 1)",
    ),
}

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
    "fbi_cius": (
        "fbi_cius_table10_county_sheriff/*.xls",
        "fbi_cius_tables/*/*.xls",
        # cities of 10,000 and over only: used by the CIUS county panels under --cius-city-floor
        "fbi_cius_table8_2004_large_cities/*.xls",
    ),
    "leaic": ("leaic_2012_icpsr35158/35158-0001-Data.rda",),
    "ucr_kaplan_agency": (
        "kaplan_ucr_nc_agencies_2000_2016/offenses_north_carolina_2000_2016.csv",
        "kaplan_ucr_nc_agencies_2000_2016/leoka_north_carolina_2000_2016.csv",
    ),
    "ucr_icpsr_arrests": (
        "icpsr_county_ucr_arrests_2000_2012/*-0001-Data.txt",
        "icpsr_county_ucr_arrests_2000_2012/*-0001-Data.rda",
    ),
}


def source_module(name: str):
    """The loader module of a source (``enforcement_crime.sources.<module>``)."""
    return importlib.import_module(f"enforcement_crime.sources.{SOURCES[name].module}")


def files_for(source: str, raw: Path | None = None, shared: bool = False) -> list[Path]:
    """The raw files of ``source`` (sorted; ``.part`` downloads left out).

    Parameters
    ----------
    source : str
        A key of :data:`SOURCES`.
    raw : Path, optional
        Raw-data root (default :func:`enforcement_crime.config.raw_dir`).
    shared : bool
        Read the real copies under :func:`enforcement_crime.config.shared_data_dir`.
    """
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


def checksum_states(source: str, files: list[Path]) -> dict[Path, str]:
    """``{file: "ok" | "MISMATCH" | "unregistered"}`` against the source's ``SHA256`` registry."""
    registry = getattr(source_module(source), "SHA256", None) or {}
    states: dict[Path, str] = {}
    for f in files:
        want = registry.get(f.name)
        if want is None:
            states[f] = "unregistered"
        else:
            states[f] = "ok" if sha256_of(f) == want.lower() else "MISMATCH"
    return states


def completeness_problems(source: str, files: list[Path]) -> dict[Path, str]:
    """``{file: why it looks incomplete}`` from the source's ``completeness`` check (when it has one).

    Each source module may define ``completeness(path) -> str | None``:
    expected key sets or row counts for files without a registered sha256
    (all SC counties of the roll-out, the OIG list's rows, LEAIC's agency
    records, an NC SBI export's place x year grid).
    """
    check = getattr(source_module(source), "completeness", None)
    if check is None:
        return {}
    problems: dict[Path, str] = {}
    for f in files:
        why = check(f)
        if why:
            problems[f] = why
    return problems
