"""The study designs: one module per study, each declaring what the study is.

================== ===================================================== ======================================
key                study                                                 module
================== ===================================================== ======================================
``287g_nc``        Forrester & Nowrasteh (2018), 287(g) in NC counties   :mod:`.nc_287g`
``287g_national``  287(g) in every county, jail vs task force models     :mod:`.national_287g`
``sc_county``      Miles & Cox (2014), Secure Communities, US counties   :mod:`.sc_counties`
``sc_city``        Treyger, Chalfin & Loeffler (2014), SC, cities        :mod:`.sc_cities`
================== ===================================================== ======================================

Use::

    from enforcement_crime import designs
    design = designs.get("287g_nc")
    sample = design.open("synthetic", seed=20140101)     # or a real panel, e.g. "nc_county"
    result = design.headline(sample, "violent_rate")

The building blocks (:class:`~.base.Design`, :class:`~.base.Spec`,
:class:`~.base.StudySample`) are in :mod:`.base`; the papers' conclusions in
:mod:`.conclusions`; the verdict rules in :mod:`.verdicts`; the minimum detectable
effect of a design in :mod:`.mde`.
"""

from __future__ import annotations

from enforcement_crime.designs.base import (
    Design,
    NotEstimable,
    Spec,
    StudySample,
    Treatment,
    estimable,
    headline,
    run,
)

__all__ = [
    "DESIGNS",
    "get",
    "Design",
    "NotEstimable",
    "Spec",
    "StudySample",
    "Treatment",
    "estimable",
    "headline",
    "run",
]

#: design key -> module that defines ``DESIGN``
DESIGNS: dict[str, str] = {
    "287g_nc": "enforcement_crime.designs.nc_287g",
    "287g_national": "enforcement_crime.designs.national_287g",
    "sc_county": "enforcement_crime.designs.sc_counties",
    "sc_city": "enforcement_crime.designs.sc_cities",
}


def get(key: str, **options) -> Design:
    """The design ``key`` (see :data:`DESIGNS`), with declared fields changed by ``options``."""
    import importlib

    if key not in DESIGNS:
        raise KeyError(f"unknown design {key!r}; designs are {sorted(DESIGNS)}")
    design = importlib.import_module(DESIGNS[key]).DESIGN
    return design.with_options(**options) if options else design
