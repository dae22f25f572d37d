"""The panel registry: every study panel declared once, looped over by ``data build|status``.

A panel is one module in :mod:`enforcement_crime.panels` that defines a
module-level ``SPEC = PanelSpec(...)`` (:class:`~enforcement_crime.panels.spec.PanelSpec`):
its name, the raw sources it needs (all of them, or one of its
``alternatives``), the sources it uses when they are present (``optional``),
the panels it can be derived from, whether its numbers are an approximation
of the target, and its build function.

The registry knows the panel modules from one explicit tuple,
:data:`PANEL_MODULES`. Adding a panel is one new module plus its tests and
one line here: the module's name appended to :data:`PANEL_MODULES` (see
``data/processed/README.md``). A test checks that the tuple lists exactly
the modules of the package that define a ``SPEC``.

The build function takes a :class:`~enforcement_crime.panels.context.BuildContext`
(the raw files found, loaded inputs cached, the options, and :func:`get` as
its resolver for panels built from panels) and returns a
:class:`~enforcement_crime.panels.spec.Built`: the panel, its manifest and the
raw sources it actually read. It raises
:class:`~enforcement_crime.panels.spec.MissingInputs` when its inputs are
absent, never returns an empty or partial panel, and never writes anything:
the runner validates every requested panel before it replaces any file.

The panel modules are imported on the first call of :func:`panels` or
:func:`get` (importing this module stays light); they import
:mod:`~enforcement_crime.panels.spec` and
:mod:`~enforcement_crime.panels.context`, never this module.
"""

from __future__ import annotations

import importlib

from enforcement_crime.panels.spec import PanelSpec

__all__ = ["PANEL_MODULES", "panels", "get", "register", "unregister"]

#: the modules of this package that each define one panel's ``SPEC``, in the
#: order ``data status`` lists the panels and ``data build`` builds them;
#: adding a panel is adding its module's name here
PANEL_MODULES: tuple[str, ...] = (
    "city_sc",
    "cius_county",
    "cius_county_constant",
    "cius_sheriff",
    "cius_sheriff_balanced",
    "icpsr_arrests",
    "icpsr_county",
    "kaplan_county",
    "nc_agency",
    "nc_county",
)

_BUILTIN: dict[str, PanelSpec] | None = None
_EXTRA: dict[str, PanelSpec] = {}


def _builtin() -> dict[str, PanelSpec]:
    found: dict[str, PanelSpec] = {}
    for module_name in PANEL_MODULES:
        mod = importlib.import_module(f".{module_name}", __package__)
        spec = getattr(mod, "SPEC", None)
        if not isinstance(spec, PanelSpec):
            raise TypeError(
                f"{mod.__name__} is listed in registry.PANEL_MODULES but defines no "
                f"module-level SPEC = PanelSpec(...) (found {type(spec).__name__})"
            )
        if spec.name in found:
            raise ValueError(
                f"panel {spec.name!r} declared twice ({mod.__name__} and another module "
                "of registry.PANEL_MODULES)"
            )
        found[spec.name] = spec
    return found


def panels() -> dict[str, PanelSpec]:
    """Every registered panel by name (those of :data:`PANEL_MODULES`, then the registered extras)."""
    global _BUILTIN
    if _BUILTIN is None:
        _BUILTIN = _builtin()
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
