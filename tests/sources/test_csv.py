"""sources._csv: the one delimited-text reader; every partial or foreign input is refused.

Files are written in the test (tmp_path); the results on well-formed files are
compared with pandas' own C parser (an independent implementation).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from enforcement_crime.sources import (
    _checks,
    _download,
    census_population,
    g287,
    leaic,
    nc_sbi,
    secure_communities,
    ucr_kaplan,
)
from enforcement_crime.sources._checks import SourceError
from enforcement_crime.sources._csv import check_last_line, read_csv_lines


def _write(tmp_path, data: bytes, name="t.csv"):
    p = tmp_path / name
    p.write_bytes(data)
    return p


def test_matches_pandas_on_a_clean_file(tmp_path, fixtures_dir):
    p = fixtures_dir / "census_population" / "co-est2009-alldata.csv"
    got = read_csv_lines(p, encoding="latin-1")
    ref = pd.read_csv(p, dtype=str, keep_default_na=False, na_values=[""], encoding="latin-1")
    assert list(got.columns) == list(ref.columns)
    assert list(got.index) == list(range(2, len(ref) + 2)) and got.index.name == "line"
    np.testing.assert_array_equal(got.fillna("<NA>").to_numpy(), ref.fillna("<NA>").to_numpy())
    assert got.attrs["ends_in_newline"] is True


@pytest.mark.parametrize(
    "module", [census_population, secure_communities, g287, nc_sbi, leaic, ucr_kaplan]
)
def test_every_delimited_loader_uses_the_one_reader(module):
    assert module.read_csv_lines is read_csv_lines
    assert not hasattr(_checks, "read_csv_lines")  # no second copy to drift
    assert not hasattr(_download, "read_csv_lines")


def test_blank_lines_and_multiline_fields_keep_file_line_numbers(tmp_path):
    p = _write(tmp_path, b'a,b\n1,2\n\n3,"x\ny"\n4,5\n')
    df = read_csv_lines(p)
    assert list(df.index) == [2, 4, 6]  # line 3 is blank; the record on line 4 spans 4-5
    assert df.loc[4, "b"] == "x\ny" and df.loc[6, "a"] == "4"


def test_na_values_bom_sep_nrows_index_name(tmp_path):
    p = _write(tmp_path, b"\xef\xbb\xbfa\tb\n1\tNA\n\t3\n5\t6\n", "t.tsv")
    df = read_csv_lines(p, sep="\t", na_values=("", "NA"), index_name="row")
    assert list(df.columns) == ["a", "b"] and df.index.name == "row"
    assert pd.isna(df.loc[2, "b"]) and pd.isna(df.loc[3, "a"]) and df.loc[4, "b"] == "6"
    assert len(read_csv_lines(p, sep="\t", nrows=1)) == 1


@pytest.mark.parametrize("data", [b"", b"  \n\n", b"\r\n"])
def test_empty(tmp_path, data):
    with pytest.raises(SourceError, match=r"t.csv: the file is empty \(no header row\)"):
        read_csv_lines(_write(tmp_path, data))


@pytest.mark.parametrize(
    "data",
    [
        b"<!DOCTYPE html>\n<html><body>Sign in</body></html>",
        b"\n  <html lang='en'><head></head></html>\n",
        b'<?xml version="1.0"?><error>denied</error>',
    ],
)
def test_html_or_xml_page(tmp_path, data):
    with pytest.raises(SourceError, match=r"t.csv: is an HTML/XML page"):
        read_csv_lines(_write(tmp_path, data))


def test_binary_file(tmp_path):
    with pytest.raises(SourceError, match=r"t.csv: row 1: holds NUL bytes"):
        read_csv_lines(_write(tmp_path, b"PK\x03\x04\x00\x00rest"))


def test_wrong_encoding_names_the_line(tmp_path):
    p = _write(tmp_path, "a,b\n1,2\nDo\xf1a Ana,3\n".encode("latin-1"))
    with pytest.raises(SourceError, match=r"t.csv: row 3: is not utf-8 text"):
        read_csv_lines(p)
    assert read_csv_lines(p, encoding="latin-1").loc[3, "a"] == "Do\xf1a Ana"


def test_truncated_last_record(tmp_path):
    p = _write(tmp_path, b"a,b,c\n1,2,3\n4,5")
    with pytest.raises(
        SourceError,
        match=r"t.csv: row 3: the last line has 2 fields but the header has 3 .*"
        r"does not end in a newline",
    ):
        read_csv_lines(p)


def test_truncated_inside_a_quoted_field(tmp_path):
    p = _write(tmp_path, b'"a","b"\n"1","2"\n"3","4,0')  # as many fields, but an open quote
    with pytest.raises(SourceError, match=r"row 3: the last line has 2 fields .*quoted field"):
        read_csv_lines(p)


def test_complete_last_record_without_newline_is_fine(tmp_path):
    df = read_csv_lines(_write(tmp_path, b'a,b\n1,2\n"3","4"'))
    assert df.loc[3, "b"] == "4" and df.attrs["ends_in_newline"] is False


def test_short_and_long_rows_anywhere(tmp_path):
    p = _write(tmp_path, b"a,b,c\n1,2,3\n4,5\n6,7,8,9\n10,11,12\n")
    with pytest.raises(SourceError) as err:
        read_csv_lines(p)
    msg = str(err.value)
    assert "t.csv: rows 3, 4: line has 2 fields but the header (line 1) has 3" in msg


def test_short_last_line_with_a_newline(tmp_path):
    with pytest.raises(SourceError, match=r"row 3: the last line has 1 fields but the header"):
        read_csv_lines(_write(tmp_path, b"a,b\n1,2\n3\n"))


def test_duplicated_column_names(tmp_path):
    with pytest.raises(SourceError, match=r"row 1: column 'b': duplicated column name"):
        read_csv_lines(_write(tmp_path, b"a,b, b\n1,2,3\n"))


def test_header_only_gives_an_empty_frame(tmp_path):
    df = read_csv_lines(_write(tmp_path, b"a,b\n"))
    assert list(df.columns) == ["a", "b"] and df.empty


def test_check_last_line(tmp_path):
    check_last_line(_write(tmp_path, b"a\tb\n1\t2\n\n", "ok.tsv"), "\t")  # no error
    with pytest.raises(SourceError, match=r"cut.tsv: row 3: the last line has 1 fields .*newline"):
        check_last_line(_write(tmp_path, b"a\tb\n1\t2\n3", "cut.tsv"), "\t")
    with pytest.raises(SourceError, match="empty"):
        check_last_line(_write(tmp_path, b"", "e.tsv"), "\t")
    with pytest.raises(SourceError, match="HTML"):
        check_last_line(_write(tmp_path, b"<html></html>", "h.tsv"), "\t")
