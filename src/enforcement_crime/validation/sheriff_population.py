"""The estimated unincorporated population of a county beside a sheriff's own population served.

The comparison itself lives in :mod:`enforcement_crime.panels.sheriff_population` (the
sheriff panel build runs it and records it in its manifest); this module is its name in
the validation package, beside the other comparisons of sources.
"""

from enforcement_crime.panels.sheriff_population import estimate_vs_population_served, summarise

__all__ = ["estimate_vs_population_served", "summarise"]
