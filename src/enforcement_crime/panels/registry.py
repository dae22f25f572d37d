"""The panel registry: every study panel declared once, looped over by ``data build|status``.

A panel is one module in :mod:`enforcement_crime.panels` that defines a
module-level ``SPEC = PanelSpec(...)``: its name, the raw sources it needs
(all of them, or one of its ``alternatives``), the sources it uses when they
are present (``optional``), the panels it can be derived from, whether its
numbers are an approximation of the target, and its build function. The
registry finds those modules itself, so adding a panel is one new module plus
its tests (see ``data/processed/README.md``).

The build function takes a :class:`~enforcement_crime.panels.context.BuildContext`
(the raw files found, loaded inputs cached, the options) and returns a
:class:`Built`: the panel, its manifest and the raw sources it actually read.
It raises :class:`MissingInputs` when its inputs are absent, never returns an
empty or partial panel, and never writes anything: the runner validates every
requested panel before it replaces any file.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from enforcement_crime.panels.context import BuildContext
    from enforcement_crime.panels.manifest import Manifest

__all__ = [
    "APPROXIMATE_SOURCES",
    "Built",
    "MissingInputs",
    "PanelSpec",
    "panels",
    "get",
    "register",
    "unregister",
]

#: raw sources whose agency tables only approximate county or city totals: a
#: panel that read any of them says ``approximation: true`` in its manifest
APPROXIMATE_SOURCES: frozenset[str] = frozenset({"fbi_cius"})


class MissingInputs(LookupError):
    """The raw files a panel needs are absent (not broken: broken files raise their own error)."""


@dataclass
class Built:
    """What a panel's build function returns.

    Parameters
    ----------
    panel : pandas.DataFrame
        The panel, validated by its builder.
    manifest : Manifest
        Its manifest (row accounting checked before writing).
    sources : tuple of str
        The raw sources actually read (for ``approximation`` and the record).
    mark : str, optional
        The words every output made from this panel carries, when they depend
        on the route taken (``nc_county`` takes its base panel's mark,
        ``city_sc`` the mark of the source it read); default the spec's
        :attr:`PanelSpec.mark`.
    """

    panel: pd.DataFrame
    manifest: Manifest
    sources: tuple[str, ...] = ()
    mark: str | None = None


@dataclass(frozen=True)
class PanelSpec:
    """One study panel.

    Parameters
    ----------
    name : str
        File stem in ``data/processed`` (``<name>.parquet`` + ``<name>.json``).
    needs : tuple of str
        Raw sources (keys of :data:`enforcement_crime.panels.rawfiles.SOURCES`)
        that must all be present.
    build : callable
        ``build(ctx) -> Built``.
    description : str
        One line for ``data status`` and the README.
    approximation : bool
        True when the panel approximates its target whatever route built it
        (a panel that read an :data:`APPROXIMATE_SOURCES` source, or was
        derived from an approximate panel, is marked as one too).
    optional : tuple of str
        Sources read when present (treatment timing, crosswalks). Optional
        means "may be absent": a present but broken file stops the build.
    alternatives : tuple of tuple of str
        Further source sets that can stand in for ``needs`` (another route).
    derived_from : tuple of str
        Panels this one can be made from (it is buildable when any of them is).
    validate : callable, optional
        ``validate(df, name=...)`` run before writing; default the county-year
        schema :func:`enforcement_crime.schema.validate_panel`.
    mark : str
        The words every output made from this panel carries (figures, tables,
        notebook banners), e.g. ``"REAL DATA: FBI CIUS APPROXIMATION OF COUNTY
        TOTALS"``. Written to the manifest (``"mark"``) and the parquet
        metadata; :func:`enforcement_crime.panels.load.load_panel` puts it in
        ``df.attrs["enforcement_crime"]["mark"]``. A build may override it
        (:attr:`Built.mark`).
    """

    name: str
    needs: tuple[str, ...]
    build: Callable[[BuildContext], Built]
    description: str
    approximation: bool = False
    optional: tuple[str, ...] = ()
    alternatives: tuple[tuple[str, ...], ...] = ()
    derived_from: tuple[str, ...] = ()
    validate: Callable[..., object] | None = field(default=None, compare=False)
    mark: str = "REAL DATA"

    def routes(self) -> tuple[tuple[str, ...], ...]:
        """The source sets that can build this panel directly (``needs`` first)."""
        direct = (self.needs,) if (self.needs or not self.derived_from) else ()
        return direct + tuple(self.alternatives)

    def buildable(self, present: set[str] | frozenset[str], _seen: frozenset = frozenset()) -> bool:
        """True when the present sources suffice for some route (or some panel it derives from)."""
        if any(set(r) <= set(present) for r in self.routes()):
            return True
        seen = _seen | {self.name}
        return any(get(p).buildable(present, seen) for p in self.derived_from if p not in seen)

    def sources_used(self) -> tuple[str, ...]:
        """Every source this panel may read (needs, alternatives, optional, its bases' sources)."""
        out: list[str] = []
        for group in (*self.routes(), self.optional):
            out += [s for s in group if s not in out]
        for p in self.derived_from:
            out += [s for s in get(p).sources_used() if s not in out]
        return tuple(out)


_BUILTIN: dict[str, PanelSpec] | None = None
_EXTRA: dict[str, PanelSpec] = {}

#: modules of this package that are not panels (skipped by discovery)
_NOT_PANELS = frozenset(
    {
        "cius_common",
        "commands",
        "common",
        "composition",
        "context",
        "exposure",
        "fips",
        "load",
        "manifest",
        "matching",
        "panels",
        "rawfiles",
        "registry",
        "runner",
        "states",
        "timing",
    }
)


def _discover() -> dict[str, PanelSpec]:
    # the package's own folder and name, without importing the package from here (no import cycle)
    folder, package = [str(Path(__file__).parent)], __name__.rsplit(".", 1)[0]
    found: dict[str, PanelSpec] = {}
    for info in sorted(pkgutil.iter_modules(folder), key=lambda i: i.name):
        if info.name in _NOT_PANELS or info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"{package}.{info.name}")
        spec = getattr(mod, "SPEC", None)
        if isinstance(spec, PanelSpec):
            if spec.name in found:
                raise ValueError(
                    f"panel {spec.name!r} declared twice ({mod.__name__} and another module)"
                )
            found[spec.name] = spec
    return found


def panels() -> dict[str, PanelSpec]:
    """Every registered panel by name (the modules of this package with a ``SPEC``, then extras)."""
    global _BUILTIN
    if _BUILTIN is None:
        _BUILTIN = _discover()
    return {**_BUILTIN, **_EXTRA}


def get(name: str) -> PanelSpec:
    """The spec of one panel; ``KeyError`` naming the known panels when unknown."""
    known = panels()
    if name not in known:
        raise KeyError(f"unknown panel {name!r}; known: {sorted(known)}")
    return known[name]


def register(spec: PanelSpec) -> PanelSpec:
    """Add a panel defined outside this package (e.g. a test's toy panel); returns ``spec``."""
    if spec.name in panels():
        raise ValueError(f"panel {spec.name!r} is already registered")
    _EXTRA[spec.name] = spec
    return spec


def unregister(name: str) -> None:
    """Remove a panel added by :func:`register` (built-in panels cannot be removed)."""
    if name not in _EXTRA:
        raise KeyError(f"{name!r} was not added by register()")
    del _EXTRA[name]
