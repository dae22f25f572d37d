"""The estimators' docstrings: their ``Examples`` run, and the shared parameter text is filled in.

The examples are doctests on a small simulated (synthetic) panel; running
them here keeps the documented outputs true to the code.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import re

import pytest

import enforcement_crime.estimators as estimators
from enforcement_crime.estimators._docs import COMMON_PARAMETERS, shared_parameters

MODULES = sorted(
    f"enforcement_crime.estimators.{m.name}" for m in pkgutil.iter_modules(estimators.__path__)
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, (
        f"{result.failed} of {result.attempted} doctest lines failed in {name}"
    )


def test_the_four_documented_estimators_have_examples():
    for name in ("twfe", "event_study", "callaway_santanna", "wild_cluster_bootstrap"):
        doc = getattr(estimators, name).__doc__
        assert "Examples\n    --------" in doc and ">>> " in doc, name


@pytest.mark.parametrize("name", estimators.__all__)
def test_no_marker_is_left_in_a_public_docstring(name):
    doc = getattr(estimators, name).__doc__ or ""
    assert not re.search(r"^\s*<[^<>\n]+>\s*$", doc, re.MULTILINE), name


def test_markers_are_replaced_with_the_shared_text_at_their_indentation():
    def f():
        """Do nothing.

        Parameters
        ----------
        <outcome, unit, time>
        <alpha>
        """

    doc = shared_parameters(f).__doc__
    for key in ("outcome, unit, time", "alpha"):
        first, *rest = COMMON_PARAMETERS[key].splitlines()
        assert f"\n        {first}\n" in doc
        assert all(f"\n        {line}" in doc for line in rest)
    assert "<" not in doc


def test_an_unknown_marker_raises_naming_it():
    def g():
        """Parameters
        ----------
        <outcme>
        """

    with pytest.raises(KeyError, match="outcme"):
        shared_parameters(g)
