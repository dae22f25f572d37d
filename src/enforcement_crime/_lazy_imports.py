"""Imports deferred to first use: a module whose import is slow is replaced by a stand-in until called."""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types

__all__ = ["defer_iri_grammar"]


def defer_iri_grammar(name: str = "rfc3987_syntax") -> None:
    """Build ``rfc3987_syntax``'s IRI parser when an IRI is first checked, not when nbformat is imported.

    nbformat's validator imports jsonschema, whose format checkers import
    ``rfc3987_syntax`` (installed for jupyter-events); that module builds an
    Earley parser from its grammar at import time, the largest single part
    of importing nbformat (papermill, jupytext and nbconvert all do). No
    notebook schema uses the ``iri`` formats, so here the module is a stand-in
    whose ``is_valid_syntax`` imports the real module on its first call and
    hands over to it: jsonschema's IRI checks behave as before, and a process
    that never checks an IRI never builds the parser. Does nothing when the
    module is already imported or not installed.
    """
    spec = None if name in sys.modules else importlib.util.find_spec(name)
    if spec is None:
        return
    stand_in = types.ModuleType(name, "stand-in: the real module is imported on first use")
    if spec.submodule_search_locations is not None:  # its submodules import from the real place
        stand_in.__path__ = list(spec.submodule_search_locations)

    def real():
        if sys.modules.get(name) is stand_in:
            del sys.modules[name]
        return importlib.import_module(name)

    def is_valid_syntax(term: str, value: str) -> bool:
        return real().is_valid_syntax(term, value)

    def __getattr__(attr: str):  # anything else the real module defines
        return getattr(real(), attr)

    stand_in.is_valid_syntax = is_valid_syntax
    stand_in.__getattr__ = __getattr__
    sys.modules[name] = stand_in
