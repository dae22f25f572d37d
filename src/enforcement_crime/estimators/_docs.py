"""Parameter descriptions the public estimators share, written once.

A docstring names a shared parameter by a marker line ``<name>`` in its
Parameters section; :func:`shared_parameters` replaces each marker by the text
in :data:`COMMON_PARAMETERS`, indented as the marker is. The signature and the
function object are unchanged (only ``__doc__`` is filled in), so
``help()``, Sphinx and doctest all see the full text::

    @shared_parameters
    def twfe(data, outcome, unit, time, cohort=None, *, alpha=0.05):
        '''Static two-way fixed-effects difference-in-differences.

        Parameters
        ----------
        <data>
        <outcome, unit, time>
        alpha : float
            ...
        '''

A marker that names no shared parameter raises at import, so a typo cannot
leave a bare ``<...>`` line in the documentation.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

__all__ = ["COMMON_PARAMETERS", "shared_parameters"]

F = TypeVar("F", bound=Callable)

#: marker name -> the numpydoc entry (first line: names and type; then the description)
COMMON_PARAMETERS: dict[str, str] = {
    "data": """data : pandas.DataFrame
    Long panel, one row per unit and period.""",
    "outcome, unit, time": """outcome, unit, time : str
    Column names: the outcome, the unit identifier and the period
    (``time`` holds integer periods).""",
    "cohort": """cohort : str
    First treated period of the unit; 0 or missing for never treated.""",
    "alpha": """alpha : float
    1 - confidence level: intervals have coverage ``1 - alpha``.""",
}

_MARKER = re.compile(r"^(?P<indent>[ \t]*)<(?P<name>[^<>\n]+)>[ \t]*$", re.MULTILINE)


def _fill(doc: str, owner: str) -> str:
    def replace(m: re.Match) -> str:
        name = m["name"]
        if name not in COMMON_PARAMETERS:
            raise KeyError(
                f"{owner}: docstring marker <{name}> names no shared parameter; "
                f"known: {sorted(COMMON_PARAMETERS)}"
            )
        return "\n".join(m["indent"] + line for line in COMMON_PARAMETERS[name].splitlines())

    return _MARKER.sub(replace, doc)


def shared_parameters(func: F) -> F:
    """Fill the ``<name>`` marker lines of ``func``'s docstring from :data:`COMMON_PARAMETERS`."""
    if func.__doc__:  # None under ``python -OO``
        func.__doc__ = _fill(func.__doc__, func.__qualname__)
    return func
