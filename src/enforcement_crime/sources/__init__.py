"""One module per raw source: ``load(path) -> DataFrame`` and ``fetch(dest=None)``.

Sources read one raw file into a typed frame and do nothing else (no merging,
no repairs: those live in :mod:`enforcement_crime.panels`). Each module holds
``CITATION``, ``URL`` (or ``URLS``) and ``LICENSE``. Bad input raises
:class:`~enforcement_crime.sources._checks.SourceError` naming file, row and
column; a source behind a login raises
:class:`~enforcement_crime.sources._download.LoginRequired` from ``fetch`` with
what to download, from where and where to put it. See ``data/raw/README.md``.

Modules: ``census_population``, ``secure_communities``, ``g287``, ``nc_sbi``,
``ucr_kaplan``, ``ucr_kaplan_agency``, ``ucr_icpsr_county``, ``ucr_icpsr_arrests``,
``fbi_cius``, ``leaic``, ``census_adjacency`` (county neighbours: used by the
designs through the fact table ``facts/county_adjacency.csv``, not by the
panels). They are not
imported here, so importing one source does not import the others.
"""

SOURCES: tuple[str, ...] = (
    "census_population",
    "secure_communities",
    "g287",
    "ucr_kaplan",
    "ucr_kaplan_agency",
    "ucr_icpsr_county",
    "ucr_icpsr_arrests",
    "fbi_cius",
    "leaic",
    "nc_sbi",
    "census_adjacency",
)
