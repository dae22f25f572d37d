"""Raw files parsed once per process: the same loader, path and bytes give a copy; changed bytes are read again."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from enforcement_crime.panels.context import ParsedFiles


def _counting_loader(calls: list):
    def load(path):
        calls.append(path)
        text = path.read_text()
        if "warn" in text:
            warnings.warn(f"{path}: a repeated row was dropped", UserWarning, stacklevel=2)
        frame = pd.DataFrame({"line": text.splitlines()})
        frame.attrs.update(source_file=str(path), rows_skipped={"blank": 0})
        return frame

    return load


def test_same_bytes_are_parsed_once_and_a_copy_is_returned(tmp_path):
    f = tmp_path / "t.csv"
    f.write_text("a\nb\n")
    calls: list = []
    load, cache = _counting_loader(calls), ParsedFiles()
    first = cache.load(load, f)
    second = cache.load(load, f)
    assert len(calls) == 1
    pd.testing.assert_frame_equal(first, second, check_exact=True)
    assert second.attrs == first.attrs
    # the copy is the caller's own: changing it (attrs included) changes no later result
    second.loc[0, "line"] = "changed"
    second.attrs["rows_skipped"]["blank"] = 99
    third = cache.load(load, f)
    assert third.loc[0, "line"] == "a" and third.attrs["rows_skipped"] == {"blank": 0}


def test_a_changed_file_is_read_again(tmp_path):
    f = tmp_path / "t.csv"
    f.write_text("a\nb\n")
    calls: list = []
    load, cache = _counting_loader(calls), ParsedFiles()
    cache.load(load, f)
    f.write_text("a\nc\n")  # same size: only the bytes tell
    again = cache.load(load, f)
    assert len(calls) == 2 and again["line"].tolist() == ["a", "c"]


def test_another_path_or_loader_is_parsed_anew(tmp_path):
    f, g = tmp_path / "t.csv", tmp_path / "u.csv"
    f.write_text("a\n")
    g.write_text("a\n")
    calls: list = []
    load, cache = _counting_loader(calls), ParsedFiles()
    assert cache.load(load, f).attrs["source_file"] == str(f)
    assert cache.load(load, g).attrs["source_file"] == str(g)
    cache.load(_counting_loader(calls), f)
    assert len(calls) == 3


def test_the_loaders_warnings_are_issued_again(tmp_path):
    f = tmp_path / "t.csv"
    f.write_text("warn\n")
    calls: list = []
    load, cache = _counting_loader(calls), ParsedFiles()
    for _ in range(2):
        with pytest.warns(UserWarning, match="a repeated row was dropped"):
            cache.load(load, f)
    assert len(calls) == 1


def test_the_cache_is_bounded(tmp_path):
    calls: list = []
    load, cache = _counting_loader(calls), ParsedFiles(max_entries=2)
    files = [tmp_path / f"{i}.csv" for i in range(3)]
    for p in files:
        p.write_text(p.name)
        cache.load(load, p)
    assert len(cache) == 2
    cache.load(load, files[0])  # the oldest was dropped: parsed again
    assert len(calls) == 4
