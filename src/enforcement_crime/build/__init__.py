"""DataFrame -> DataFrame build steps: county FIPS repairs, treatment timing, study panels.

:mod:`~enforcement_crime.build.fips` (documented county-code repairs with a
report), :mod:`~enforcement_crime.build.timing` (Secure Communities activation
and 287(g) adoption per county, exposure rules for annual panels) and the
panel builders. Build functions never read paths; sources do.
"""
