"""Study panels: loading them by name, and the DataFrame -> DataFrame steps that build them.

``from enforcement_crime.panels import load_panel, is_synthetic, data_banner``
is the one load call notebooks make (:mod:`~enforcement_crime.panels.load`).
The build steps live in submodules: :mod:`~enforcement_crime.panels.fips`
(documented county-code repairs with a report), :mod:`~enforcement_crime.panels.timing`
(Secure Communities activation and 287(g) adoption per county, exposure rules
for annual panels) and the panel builders. Build functions never read paths;
sources do.

The package import is light: the load functions are imported on first use
(PEP 562 ``__getattr__``), so ``import enforcement_crime.panels.fips`` does not
pull in the synthetic-panel machinery.
"""

from __future__ import annotations

__all__ = ["load_panel", "is_synthetic", "data_banner"]


def __getattr__(name: str):
    if name in __all__:
        from enforcement_crime.panels import load

        return getattr(load, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
