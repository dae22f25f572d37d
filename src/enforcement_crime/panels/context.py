"""What a panel's build function is given: the raw files found, loaded inputs (cached), the options.

Every loader call goes through :meth:`BuildContext.load`, which names the
file in any error (:class:`InputError`). Inputs are loaded once per build and
shared by the panels that need them (a file parsed earlier in the same
process, by the same loader, at the same path and with the same bytes, is
taken from :class:`ParsedFiles`); a panel built from another panel
(``nc_county`` from a county panel) asks :meth:`BuildContext.panel`, which
builds it in memory once. The context finds other panels through the
resolver it is given (``resolve``, a panel name -> its
:class:`~enforcement_crime.panels.spec.PanelSpec`; the runner passes
:func:`enforcement_crime.panels.registry.get`): it never imports the registry.

Treatment timing (:meth:`BuildContext.timing`) is optional only when its raw
files are absent: a Secure Communities or 287(g) file that is present but
cannot be read stops the build, unless the user passed
``--allow-missing-timing`` (``allow_missing_timing=True``), in which case
every panel is built without timing and its manifest says why.
"""

from __future__ import annotations

import copy
import hashlib
import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from enforcement_crime.panels.build_steps import COVERAGE_RULES
from enforcement_crime.panels.manifest import input_record
from enforcement_crime.panels.rawfiles import SOURCES, source_module
from enforcement_crime.panels.spec import Built, MissingInputs, PanelSpec, Resolver

__all__ = ["BuildContext", "BuildOptions", "InputError", "TIMING_SOURCES"]

TIMING_SOURCES: tuple[str, ...] = ("secure_communities", "g287")

#: largest accepted ``min_population`` (the largest US city has about 8.8 million residents)
MAX_CITY_POPULATION = 10_000_000


class InputError(ValueError):
    """A raw input file that is present but cannot be used; the message names the file."""


def _describe(what: str, path: Path, exc: BaseException) -> str:
    """``"<what> file <path>: <problem>"``, without repeating a path the loader already named."""
    text = str(exc)
    if str(path) in text:
        return f"{what}: {text}"
    return f"{what} file {path}: {type(exc).__name__}: {text}"


def _copy(value: Any) -> Any:
    """A deep copy of a loader's result, a frame's ``attrs`` included."""
    if isinstance(value, pd.DataFrame):
        out = value.copy(deep=True)
        out.attrs = copy.deepcopy(value.attrs)
        return out
    return copy.deepcopy(value)


def _file_sha256(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _stat_key(path: Path) -> tuple[int, int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns, st.st_ino


class ParsedFiles:
    """Loader results kept for the life of the process, keyed on loader, path and sha256 of the bytes.

    A file parsed again in the same process by the same loader function, at
    the same path and with the same bytes, is not parsed again: the caller
    gets a deep copy of the first result (``attrs`` included), and the
    warnings the loader gave the first time are issued again. A file whose
    bytes changed has another sha256 and is read anew; a file that changed
    while it was parsed is not kept. At most ``max_entries`` results are
    kept, holding at most ``max_bytes`` of frames, the least recently used
    dropped first.
    """

    def __init__(self, max_entries: int = 64, max_bytes: int = 512 * 2**20) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple, tuple[Any, list, int]] = OrderedDict()

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def load(self, fn: Callable[[Path], Any], path: Path) -> Any:
        """``fn(path)``, or a copy of the result kept for the same loader, path and bytes."""
        try:
            before = _stat_key(Path(path))
            key = (fn, str(path), _file_sha256(Path(path)))
        except OSError:  # unreadable or absent: the loader says so in its own words
            return fn(path)
        hit = self._entries.get(key)
        if hit is not None:
            self._entries.move_to_end(key)
            value, caught, _ = hit
            _reissue(caught)
            return _copy(value)
        caught: list = []
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                value = fn(path)
        finally:  # issued as the loader gave them, even when it failed
            _reissue(caught)
        try:
            unchanged = _stat_key(Path(path)) == before
        except OSError:
            unchanged = False
        size = _nbytes(value)
        if unchanged and self.max_entries > 0 and size <= self.max_bytes:
            self._entries[key] = (_copy(value), list(caught), size)
            while (
                len(self._entries) > self.max_entries
                or sum(e[2] for e in self._entries.values()) > self.max_bytes
            ):
                self._entries.popitem(last=False)
        return value


def _nbytes(value: Any) -> int:
    if isinstance(value, pd.DataFrame):
        return int(value.memory_usage(deep=True, index=True).sum())
    return 0


def _reissue(caught: list) -> None:
    for w in caught:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno, source=w.source)


#: the process's parsed raw files (see :class:`ParsedFiles`)
_PARSED = ParsedFiles()


@dataclass(frozen=True)
class BuildOptions:
    """Choices that change the numbers or the strictness of ``data build``.

    Parameters
    ----------
    coverage_rule : {"full12", "scale", "icpsr"}
        Kaplan county panel: how agencies reporting fewer than 12 months count.
    min_population : int
        City panel: median population threshold, 0 to 10,000,000 residents.
    allow_missing_timing : bool
        Build without treatment timing when its files are broken (the
        manifests say so); default False (a broken timing file stops the build).
    accept_changed_raw : bool
        Use raw files whose sha256 differs from the registry, that fail their
        completeness check, or whose LEAIC-CIUS match rate is below the floor
        (the manifests say so); default False (the build stops).
    cius_city_floor : int, optional
        CIUS county panels: keep only the Table 8 cities of this population
        and over, every year (:func:`enforcement_crime.sources.fbi_cius.large_cities`);
        ``10_000`` lets the 2004 table (cities of 10,000 and over only) join
        the series. Default None: every listed city, and 2004 left out.
    cius_table11 : bool
        CIUS county panels: add the Table 11 tribal and other agencies (a
        table that exists for 2013-2015 only). Default False.
    """

    coverage_rule: str = "scale"
    min_population: int = 50_000
    allow_missing_timing: bool = False
    accept_changed_raw: bool = False
    cius_city_floor: int | None = None
    cius_table11: bool = False

    def check(self) -> None:
        """Raise ``ValueError`` with a clear message for an option out of range (before any work)."""
        if self.coverage_rule not in COVERAGE_RULES:
            raise ValueError(
                f"--coverage-rule must be one of {list(COVERAGE_RULES)}, got {self.coverage_rule!r}"
            )
        mp = self.min_population
        if isinstance(mp, bool) or not isinstance(mp, int):
            raise ValueError(
                f"--min-population must be a whole number of residents, got {mp!r} "
                f"({type(mp).__name__})"
            )
        if not 0 <= mp <= MAX_CITY_POPULATION:
            raise ValueError(
                f"--min-population must be between 0 and {MAX_CITY_POPULATION:,} residents "
                f"(the largest US city has about 8.8 million), got {mp:,}"
            )
        floor = self.cius_city_floor
        if floor is not None:
            if isinstance(floor, bool) or not isinstance(floor, int):
                raise ValueError(
                    f"--cius-city-floor must be a whole number of residents, got {floor!r} "
                    f"({type(floor).__name__})"
                )
            if not 0 <= floor <= MAX_CITY_POPULATION:
                raise ValueError(
                    f"--cius-city-floor must be between 0 and {MAX_CITY_POPULATION:,} residents, "
                    f"got {floor:,}"
                )


@dataclass
class BuildContext:
    """Raw files, options and cached inputs of one ``data build`` run.

    Parameters
    ----------
    files : dict of str to list of Path
        Raw files per source (every key of :data:`~enforcement_crime.panels.rawfiles.SOURCES`).
    options : BuildOptions
    out : callable
        Progress printer.
    resolve : callable, optional
        A panel name -> its :class:`~enforcement_crime.panels.spec.PanelSpec`
        (:func:`enforcement_crime.panels.registry.get` in ``data build``);
        needed by :meth:`spec` and :meth:`panel` only.
    """

    files: dict[str, list[Path]]
    options: BuildOptions = field(default_factory=BuildOptions)
    out: Callable[[str], None] = print
    resolve: Resolver | None = None
    timing_skipped: str | None = None
    _cache: dict[Any, Any] = field(default_factory=dict, repr=False)
    _building: list[str] = field(default_factory=list, repr=False)

    # -- raw files --------------------------------------------------------
    def has(self, *sources: str) -> bool:
        """True when every named source has at least one raw file."""
        return all(self.files.get(s) for s in sources)

    def present(self) -> frozenset[str]:
        """The sources with at least one raw file."""
        return frozenset(s for s, fs in self.files.items() if fs)

    def require(self, panel: str, *sources: str) -> None:
        """Raise :class:`~enforcement_crime.panels.spec.MissingInputs` naming the absent sources."""
        missing = [s for s in sources if not self.files.get(s)]
        if missing:
            raise MissingInputs(f"{panel} needs raw files of {', '.join(missing)}")

    def inputs(self, *sources: str) -> list[dict]:
        """Manifest input records (name, path, sha256, bytes) of every file of the sources."""
        return [input_record(f, source=s) for s in sources for f in self.files.get(s, [])]

    def load(self, source: str, path: Path, loader: str = "load") -> pd.DataFrame:
        """Load one raw file with its source's loader (cached); errors name the file.

        Raises
        ------
        InputError
            The loader failed, with the file, the error type and its message.
        """
        key = ("load", source, str(path), loader)
        if key not in self._cache:
            fn = getattr(source_module(source), loader)
            try:
                self._cache[key] = _PARSED.load(fn, path)
            except Exception as exc:  # re-raised with the file named; nothing is swallowed
                raise InputError(_describe(SOURCES[source].what, path, exc)) from exc
        return self._cache[key]

    def load_all(self, source: str, loader: str = "load") -> list[pd.DataFrame]:
        """Every raw file of ``source`` loaded (see :meth:`load`)."""
        return [self.load(source, f, loader) for f in self.files.get(source, [])]

    def _cached(self, key: str, make: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    # -- shared inputs ----------------------------------------------------
    def single(self, source: str) -> Path | None:
        """The one raw file of a source read as a whole (LEAIC, SC), or None when absent.

        Raises
        ------
        InputError
            Several files: which one to use is the user's choice, never a silent pick.
        """
        files = self.files.get(source, [])
        if len(files) > 1:
            names = ", ".join(str(f) for f in files)
            raise InputError(
                f"{SOURCES[source].what}: {len(files)} files found ({names}); the build reads "
                "exactly one: keep one of them in the folder"
            )
        return files[0] if files else None

    def crosswalk(self) -> pd.DataFrame | None:
        """LEAIC 2012 (the one LEAIC file), or None when absent."""
        path = self.single("leaic")
        return None if path is None else self.load("leaic", path)

    def population(self, years: Iterable[int] = range(1990, 2021)) -> pd.DataFrame | None:
        """Census county population for the years the files cover, or None when absent."""
        if not self.has("census_population"):
            return None

        def make() -> pd.DataFrame:
            from enforcement_crime.sources import census_population as cp

            frames = self.load_all("census_population")
            have = sorted(set().union(*[set(f["year"]) for f in frames]))
            try:
                return cp.county_population_panel(frames, [y for y in years if y in have])
            except Exception as exc:
                names = ", ".join(str(f) for f in self.files["census_population"])
                raise InputError(
                    f"Census county population files {names}: {type(exc).__name__}: {exc}"
                ) from exc

        return self._cached(f"population:{tuple(years)}", make)

    def cius(self) -> pd.DataFrame | None:
        """Every FBI CIUS table loaded and stacked (one file per table and year), or None when absent.

        Two files holding the same table and year (e.g. ``county_2010.xls`` and
        ``table10_county/2010.xls``) are read once when their bytes are
        identical (the duplicate is reported) and refused otherwise.

        Raises
        ------
        InputError
            Two different files for one table and year.
        """
        if not self.has("fbi_cius"):
            return None
        return self._cached("cius", self._load_cius)

    def _load_cius(self) -> pd.DataFrame:
        from enforcement_crime.panels.rawfiles import sha256_of

        seen: dict[tuple[str, int], Path] = {}
        frames = []
        for path in self.files["fbi_cius"]:
            frame = self.load("fbi_cius", path)
            if frame.empty:
                frames.append(frame)
                continue
            key = (str(frame["table"].iloc[0]), int(frame["year"].iloc[0]))
            if key in seen:
                first = seen[key]
                if sha256_of(first) != sha256_of(path):
                    raise InputError(
                        f"{SOURCES['fbi_cius'].what}: {first} and {path} both hold table "
                        f"{key[0]} for {key[1]} but differ; keep one of them"
                    )
                self.out(f"fbi_cius: {path} is a byte-identical copy of {first}; read once")
                continue
            seen[key] = path
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)

    def kaplan(self) -> pd.DataFrame | None:
        """Kaplan's agency-year Return A files stacked, or None when absent."""
        if not self.has("ucr_kaplan"):
            return None
        return self._cached(
            "kaplan", lambda: pd.concat(self.load_all("ucr_kaplan"), ignore_index=True)
        )

    def timing(self) -> pd.DataFrame | None:
        """County treatment timing from the SC and 287(g) files (cached).

        Returns None when neither source has a file (the manifests then say
        timing was not available), or when a file is broken and
        ``allow_missing_timing`` is set (:attr:`timing_skipped` says why).

        Raises
        ------
        InputError
            A present SC or 287(g) file cannot be read or gives impossible dates.
        """
        if "timing" in self._cache:
            return self._cache["timing"]
        if not any(self.has(s) for s in TIMING_SOURCES):
            self.out(
                "timing: no SC or 287(g) raw files: treatment dates will be NaT (the manifests say so)"
            )
            self._cache["timing"] = None
            return None
        try:
            t = self._build_timing()
        except InputError as exc:
            if not self.options.allow_missing_timing:
                raise
            self.timing_skipped = str(exc)
            self.out(
                f"WARNING timing: {exc}; building WITHOUT treatment timing "
                "(--allow-missing-timing; the manifests say so)"
            )
            t = None
        self._cache["timing"] = t
        return t

    def _build_timing(self) -> pd.DataFrame:
        from enforcement_crime.panels import timing as tm

        sc = None
        path = self.single("secure_communities")
        if path is not None:
            frame = self.load("secure_communities", path)
            try:
                sc = tm.sc_activation_by_county(frame)
            except Exception as exc:
                raise InputError(
                    f"{SOURCES['secure_communities'].what} file {path}: {type(exc).__name__}: {exc}"
                ) from exc
        g = None
        if self.has("g287"):
            frames = self.load_all("g287")
            try:
                g = tm.g287_first_adoption(*frames)
            except Exception as exc:
                names = ", ".join(str(f) for f in self.files["g287"])
                raise InputError(
                    f"{SOURCES['g287'].what} files {names}: {type(exc).__name__}: {exc}"
                ) from exc
        t = tm.county_timing(sc=sc, g287=g)
        rule = "panels.timing.county_timing: SC activation month; 287(g) earliest date over sources"
        used = [k for k in TIMING_SOURCES if self.has(k)]
        absent = [k for k in TIMING_SOURCES if not self.has(k)]
        if absent:  # one timing source without the other: its columns are empty, said loudly
            columns = {
                "secure_communities": "sc_activation_date",
                "g287": "g287_start, g287_end and g287_model",
            }
            lost = "; ".join(
                f"no {SOURCES[k].what} file was present, so every {columns[k]} is empty (NaT)"
                for k in absent
            )
            rule = f"panels.timing.county_timing from {', '.join(used)} only: {lost}"
            self.out(f"WARNING timing: {lost} (the manifests say so)")
        t.attrs = {"rule": rule}
        self.out(f"timing: built from {', '.join(used)} ({len(t)} counties)")
        return t

    def timing_sources(self) -> tuple[str, ...]:
        """The timing sources read (empty when timing is absent or skipped)."""
        if self.timing() is None:
            return ()
        return tuple(s for s in TIMING_SOURCES if self.has(s))

    # -- panels built from panels -----------------------------------------
    def spec(self, name: str) -> PanelSpec:
        """The spec of a registered panel, through :attr:`resolve`.

        Raises
        ------
        RuntimeError
            This context was made without a resolver.
        """
        if self.resolve is None:
            raise RuntimeError(
                f"BuildContext has no resolver to find panel {name!r}: make it with "
                "resolve=enforcement_crime.panels.registry.get"
            )
        return self.resolve(name)

    def panel(self, name: str) -> Built:
        """Build another registered panel in memory (once per run) and return it.

        An exception raised while building it carries the panel's name as
        ``exc.panel`` (the innermost panel when one derives from another).
        """
        key = ("panel", name)
        if key not in self._cache:
            if name in self._building:
                raise RuntimeError(f"panels derive from each other in a cycle: {self._building}")
            self._building.append(name)
            try:
                self._cache[key] = self.spec(name).build(self)
            except Exception as exc:  # the innermost panel being built is named in reports
                if getattr(exc, "panel", None) is None:
                    exc.panel = name
                raise
            finally:
                self._building.remove(name)
        return self._cache[key]
