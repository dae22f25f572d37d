"""The notebook runner defers a module that is slow to import until it is used, and it then behaves as before."""

from __future__ import annotations

import importlib
import os
import sys
import textwrap

from enforcement_crime import _lazy_imports


def _package(tmp_path, name: str) -> None:
    pkg = tmp_path / name
    pkg.mkdir()
    (pkg / "__init__.py").write_text(
        textwrap.dedent(
            """
            from .helpers import *
            """
        )
    )
    (pkg / "helpers.py").write_text(
        textwrap.dedent(
            """
            import os
            os.environ["EC_TEST_DEFERRED_IMPORTED"] = "1"  # the expensive part, done on import
            PARSER = "built"

            def is_valid_syntax(term, value):
                return term == "iri" and ":" in value
            """
        )
    )


def test_deferred_module_is_imported_on_first_use(tmp_path, monkeypatch):
    name = "ec_test_deferred_iri"
    _package(tmp_path, name)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("EC_TEST_DEFERRED_IMPORTED", raising=False)
    try:
        _lazy_imports.defer_iri_grammar(name)
        stand_in = importlib.import_module(name)  # what jsonschema's `from ... import` gets

        check = stand_in.is_valid_syntax
        assert "EC_TEST_DEFERRED_IMPORTED" not in os.environ
        assert check("iri", "http://example.org") is True
        assert check("iri", "no colon") is False
        assert os.environ["EC_TEST_DEFERRED_IMPORTED"] == "1"
        assert sys.modules[name] is not stand_in  # the real module took its place
        assert stand_in.PARSER == "built"  # other names come from the real module
    finally:
        for mod in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
            del sys.modules[mod]


def test_deferral_leaves_an_imported_or_missing_module_alone():
    before = dict(sys.modules)
    _lazy_imports.defer_iri_grammar("json")  # already imported
    _lazy_imports.defer_iri_grammar("ec_no_such_module_anywhere")
    assert sys.modules.get("json") is before["json"]
    assert "ec_no_such_module_anywhere" not in sys.modules
