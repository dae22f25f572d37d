"""Transition shim: table export moved to :func:`enforcement_crime.reports.save_table`.

Kept only while ``studies.py`` and ``notebooks/tour`` still import
``enforcement_crime.tables``; delete this module once they use ``reports``.
"""

from __future__ import annotations

from enforcement_crime.reports import save_table

__all__ = ["save_table"]
