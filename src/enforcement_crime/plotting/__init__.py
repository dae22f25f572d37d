"""The figure functions behind :mod:`enforcement_crime.plots` (import them from there).

``base``: palette, sizes and layout helpers; ``trends``: raw trends, rollout,
timing; ``estimates``: event studies; ``robustness``: coefficient plots,
specification curves; ``diagnostics``: Bacon, HonestDiD, power, synthetic control,
distributions.
"""
