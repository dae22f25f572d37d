"""Census county adjacency file: the hand-made fixture, mangled copies, the real 2010 file and the fact table."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from enforcement_crime.sources import census_adjacency as ca
from enforcement_crime.sources._checks import SourceError
from tests.sources._mangle import shared_folder, truncated


@pytest.fixture(scope="module")
def fx(fixtures_dir: Path) -> Path:
    return fixtures_dir / "census_adjacency" / "county_adjacency.txt"


def _lines(path: Path) -> list[str]:
    return path.read_bytes().decode("latin-1").split("\n")


def _write(tmp_path: Path, lines: list[str]) -> Path:
    out = tmp_path / "mangled.txt"
    out.write_bytes("\n".join(lines).encode("latin-1"))
    return out


def test_fixture_values(fx):
    df = ca.load(fx)
    # the fixture's blocks (README): 5 counties with 4 + 2 + 3 + 3 + 2 neighbours, each listed with itself
    assert len(df) == 19 and df["fips"].nunique() == 5
    assert df.index[0] == 1 and df.index.name == "row"
    first = df.loc[1]
    assert (first["fips"], first["county_name"], first["neighbor_fips"]) == (
        "35013",
        "Doña Ana County, NM",
        "35013",
    )
    # a continuation line carries its block's county down
    assert (df.loc[2, "fips"], df.loc[2, "neighbor_fips"], df.loc[2, "neighbor_name"]) == (
        "35013",
        "35029",
        "Luna County, NM",
    )
    assert df.attrs["names_with_lost_letters"] == 0


def test_pairs_are_undirected_without_self(fx):
    p = ca.pairs(ca.load(fx))
    expected = [("35013", "35029"), ("35013", "35035"), ("35013", "35051"), ("35013", "48141"),
                ("35029", "35051"), ("35035", "35051"), ("35035", "48141")]  # fmt: skip
    assert list(p.itertuples(index=False, name=None)) == expected


def test_completeness_flags_a_short_file(fx):
    why = ca.completeness(fx)
    assert why is not None and "5 counties and 19 lines" in why and "3,234" in why


def test_final_newline_is_accepted(fx, tmp_path):
    path = tmp_path / "nl.txt"
    path.write_bytes(fx.read_bytes() + b"\n")
    pd.testing.assert_frame_equal(ca.load(path), ca.load(fx), check_like=False)


def test_truncated_mid_line(fx, tmp_path):
    # cut inside the last line's neighbour FIPS: "35035" -> "350"
    with pytest.raises(
        SourceError,
        match=r"row 19: column 'neighbor_fips': expected a 5-digit neighbour FIPS, got '350'",
    ):
        ca.load(truncated(fx, tmp_path / "cut.txt", 2))


def test_truncated_at_a_line_break_breaks_symmetry(fx, tmp_path):
    lines = _lines(fx)[:-1]  # El Paso no longer lists Otero
    with pytest.raises(
        SourceError,
        match=r"row 12: column 'neighbor_fips': county 35035 lists 48141 .* 48141 does not list 35035",
    ):
        ca.load(_write(tmp_path, lines))


def test_cut_inside_the_fields(fx, tmp_path):
    lines = _lines(fx)
    lines[-1] = lines[-1].split("\t", 3)[0] + "\t"  # two fields left
    with pytest.raises(SourceError, match=r"row 19: expected 4 tab-separated fields .* got 2"):
        ca.load(_write(tmp_path, lines))


def test_non_numeric_county_fips(fx, tmp_path):
    lines = _lines(fx)
    assert lines[5].startswith('"Luna County, NM"\t35029')
    lines[5] = lines[5].replace("\t35029\t", "\t35O29\t", 1)
    with pytest.raises(
        SourceError, match=r"row 6: column 'fips': expected a 5-digit county FIPS, got '35O29'"
    ):
        ca.load(_write(tmp_path, lines))


def test_non_numeric_neighbour_fips(fx, tmp_path):
    lines = _lines(fx)
    lines[1] = lines[1].replace("35029", "3502x")
    with pytest.raises(
        SourceError,
        match=r"row 2: column 'neighbor_fips': expected a 5-digit neighbour FIPS, got '3502x'",
    ):
        ca.load(_write(tmp_path, lines))


def test_continuation_before_any_county(fx, tmp_path):
    lines = _lines(fx)
    with pytest.raises(SourceError, match=r"row 1: column 'fips': a continuation line"):
        ca.load(_write(tmp_path, lines[1:]))


def test_county_block_given_twice(fx, tmp_path):
    lines = _lines(fx)
    with pytest.raises(
        SourceError,
        match=r"row 20: column 'fips': county 35013 starts a second block \(first at line 1\)",
    ):
        ca.load(_write(tmp_path, [*lines, lines[0]]))


def test_neighbour_repeated(fx, tmp_path):
    lines = _lines(fx)
    with pytest.raises(
        SourceError,
        match=r"row 3: column 'neighbor_fips': neighbour 35029 listed twice for county 35013",
    ):
        ca.load(_write(tmp_path, [lines[0], lines[1], lines[1], *lines[2:]]))


def test_utf8_copy_with_lost_letters_is_read(fx, tmp_path):
    """The checked public copy replaced non-ASCII letters by U+FFFD (UTF-8 bytes EF BF BD)."""
    path = tmp_path / "utf8.txt"
    path.write_bytes(fx.read_bytes().replace("ñ".encode("latin-1"), "\ufffd".encode("utf-8")))
    df = ca.load(path)
    assert df.loc[1, "county_name"] == "Do\ufffda Ana County, NM"
    assert df.attrs["names_with_lost_letters"] == 1
    pd.testing.assert_frame_equal(ca.pairs(df), ca.pairs(ca.load(fx)))


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="county adjacency"):
        ca.load(tmp_path / "nope.txt")


def test_real_file_counts_and_fact_table(shared_data):
    """The real 2010 file: the counts of its PROVENANCE.md, and the committed fact table derived from it."""
    from enforcement_crime.facts import county_adjacency

    path = shared_folder(shared_data, "census_county_adjacency") / ca.FILE_NAME
    if not path.is_file():
        pytest.skip(f"{path} absent")
    df = ca.load(path)
    assert (df["fips"].nunique(), len(df)) == (ca.N_COUNTIES, ca.N_LINES)
    assert ca.completeness(path) is None
    nc = df[df["fips"].str.startswith("37")]
    assert nc["fips"].nunique() == 100  # all 100 North Carolina counties (PROVENANCE.md)
    assert df["fips"].str[:2].nunique() == 56
    pd.testing.assert_frame_equal(ca.pairs(df), county_adjacency())
