"""A CIUS row whose parts are grossly unlike the table's own total is refused.

Mangled copies of the committed Table 10 fixture, rewritten in ``tmp_path``
as a one-sheet workbook (``tests/sources/_xlsx.py``; the loader reads the
sheet the same way): a robbery cell of 10,000,000 (the violent total says
56), and a burglary cell with extra digits. A small disagreement (as the
published tables have) is kept.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from enforcement_crime.sources import fbi_cius
from enforcement_crime.sources._checks import SourceError

sys.path.insert(0, str(Path(__file__).parent))
from _xlsx import write_xlsx  # noqa: E402


def _mangled(fixtures_dir: Path, tmp_path: Path, row: int, column: str, value) -> Path:
    src = fixtures_dir / "fbi_cius" / "table10_county" / "2009.xls"
    rows, _ = fbi_cius._read_rows(src)
    header = rows[4]
    rows[row][header.index(column)] = value
    out = tmp_path / "table10_county" / "2009.xlsx"
    out.parent.mkdir()
    return write_xlsx(out, rows[0], rows[1:])


def test_the_unmangled_copy_loads(fixtures_dir, tmp_path):
    path = _mangled(fixtures_dir, tmp_path, 6, "Robbery", 10)  # the fixture's own value
    assert fbi_cius.load(path).set_index("agency").loc["Alamance", "robbery"] == 10


def test_a_robbery_cell_of_ten_million_is_refused(fixtures_dir, tmp_path):
    path = _mangled(fixtures_dir, tmp_path, 6, "Robbery", 10_000_000)
    with pytest.raises(SourceError) as exc:
        fbi_cius.load(path)
    text = str(exc.value)
    assert str(path) in text and "row 7" in text and "'Violent crime'" in text
    # Alamance 2009: murder 1 + rape 5 + robbery 10,000,000 + aggravated assault 40
    assert "Alamance" in text and "total is 56" in text and "sum to 10,000,046" in text


def test_a_burglary_cell_with_extra_digits_is_refused(fixtures_dir, tmp_path):
    path = _mangled(fixtures_dir, tmp_path, 8, "Burglary", 900_000)
    with pytest.raises(SourceError, match=r"row 9: column 'Property crime'.*Wake.*3,050"):
        fbi_cius.load(path)


def test_a_small_disagreement_is_kept(fixtures_dir, tmp_path):
    # the published tables have a few totals a little off their parts: kept as printed
    path = _mangled(fixtures_dir, tmp_path, 8, "Burglary", 930)
    wake = fbi_cius.load(path).set_index("agency").loc["Wake"]
    assert wake["property"] == 3050 and wake["burglary"] == 930
