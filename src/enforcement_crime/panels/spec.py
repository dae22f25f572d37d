"""What a panel declares and what its build returns: :class:`PanelSpec`, :class:`Built`, :class:`MissingInputs`.

A leaf of the panels package: it imports no panel module, no build context
and not the registry, so every panel module, :mod:`~enforcement_crime.panels.context`
and :mod:`~enforcement_crime.panels.registry` can import it without an import
cycle. Where a spec has to look at another panel (``derived_from``), the
caller hands it a resolver (a callable from a panel name to its
:class:`PanelSpec`, such as :func:`enforcement_crime.panels.registry.get`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from enforcement_crime.panels.manifest import Manifest

__all__ = ["APPROXIMATE_SOURCES", "Built", "MissingInputs", "PanelSpec", "Resolver"]

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
        ``build(ctx) -> Built``, ``ctx`` a
        :class:`~enforcement_crime.panels.context.BuildContext`.
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
    # the argument is a BuildContext (not imported here: context.py imports this module)
    build: Callable[[Any], Built]
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

    def buildable(
        self,
        present: set[str] | frozenset[str],
        resolve: Resolver,
        _seen: frozenset = frozenset(),
    ) -> bool:
        """True when the present sources suffice for some route (or some panel it derives from).

        ``resolve`` maps a panel name to its spec (e.g.
        :func:`enforcement_crime.panels.registry.get`); it is called only for
        the panels of ``derived_from``.
        """
        if any(set(r) <= set(present) for r in self.routes()):
            return True
        seen = _seen | {self.name}
        return any(
            resolve(p).buildable(present, resolve, seen) for p in self.derived_from if p not in seen
        )

    def sources_used(self, resolve: Resolver) -> tuple[str, ...]:
        """Every source this panel may read (needs, alternatives, optional, its bases' sources).

        ``resolve`` maps a panel name to its spec, as for :meth:`buildable`.
        """
        out: list[str] = []
        for group in (*self.routes(), self.optional):
            out += [s for s in group if s not in out]
        for p in self.derived_from:
            out += [s for s in resolve(p).sources_used(resolve) if s not in out]
        return tuple(out)


#: a panel name -> its :class:`PanelSpec` (``KeyError`` when unknown)
Resolver = Callable[[str], PanelSpec]
