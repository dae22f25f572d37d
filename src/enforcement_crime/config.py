"""Every path the suite uses, derived from the project root in one place.

The project root is the folder holding ``pyproject.toml`` above this package
(a source checkout, as ``make setup`` installs it). Environment variables
override the defaults:

``ENFORCEMENT_CRIME_ROOT``
    the project root (for an installed, non-editable copy of the package).
``ENFORCEMENT_CRIME_RAW``
    the raw-data folder (default ``<root>/data/raw``), e.g. a shared drive
    holding the original public files.
``ENFORCEMENT_CRIME_SHARED``
    read-only real copies used by tests and CI (default ``<root>/../shared/data``).
``ENFORCEMENT_CRIME_REPORTS``
    where figures, tables and executed notebooks go (default ``<root>/reports``).

Functions rather than module constants are used so that tests (and users)
can change an environment variable without re-importing the package.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "project_root",
    "raw_dir",
    "interim_dir",
    "processed_dir",
    "reports_dir",
    "figures_dir",
    "tables_dir",
    "notebooks_dir",
    "shared_data_dir",
]

_PACKAGE_DIR = Path(__file__).resolve().parent


def _find_root() -> Path:
    for candidate in (_PACKAGE_DIR, *_PACKAGE_DIR.parents):
        if (candidate / "pyproject.toml").is_file() and (candidate / "src").is_dir():
            return candidate
    return Path.cwd()


def project_root() -> Path:
    """Return the project root (``ENFORCEMENT_CRIME_ROOT`` or the checkout holding this package)."""
    env = os.environ.get("ENFORCEMENT_CRIME_ROOT")
    return Path(env).resolve() if env else _find_root()


def raw_dir(source: str | None = None) -> Path:
    """Raw, immutable inputs as obtained (``ENFORCEMENT_CRIME_RAW`` or ``<root>/data/raw``).

    Parameters
    ----------
    source : str, optional
        A source name; returns ``<raw>/<source>``.
    """
    env = os.environ.get("ENFORCEMENT_CRIME_RAW")
    base = Path(env).resolve() if env else project_root() / "data" / "raw"
    return base / source if source else base


def interim_dir() -> Path:
    """Intermediate files (``<root>/data/interim``)."""
    return project_root() / "data" / "interim"


def processed_dir() -> Path:
    """Study panels with their JSON manifests (``<root>/data/processed``)."""
    return project_root() / "data" / "processed"


def reports_dir() -> Path:
    """Generated outputs (``ENFORCEMENT_CRIME_REPORTS`` or ``<root>/reports``)."""
    env = os.environ.get("ENFORCEMENT_CRIME_REPORTS")
    return Path(env).resolve() if env else project_root() / "reports"


def figures_dir(study: str | None = None) -> Path:
    """``reports/figures`` or ``reports/figures/<study>``."""
    base = reports_dir() / "figures"
    return base / study if study else base


def tables_dir(study: str | None = None) -> Path:
    """``reports/tables`` or ``reports/tables/<study>``."""
    base = reports_dir() / "tables"
    return base / study if study else base


def notebooks_dir() -> Path:
    """Notebook sources (jupytext percent ``.py`` files)."""
    return project_root() / "notebooks"


def shared_data_dir() -> Path:
    """Read-only real copies of the sources (``ENFORCEMENT_CRIME_SHARED`` or ``<root>/../shared/data``).

    Tests that read it skip when it does not exist (a user's clone).
    """
    env = os.environ.get("ENFORCEMENT_CRIME_SHARED")
    return Path(env).resolve() if env else (project_root().parent / "shared" / "data").resolve()
