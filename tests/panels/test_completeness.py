"""Raw files cut exactly at a line end (or filtered) are caught where no sha256 is registered.

The real cases run on mangled copies of the shared real files (``shared_data``,
skipped when absent), made in ``tmp_path``: the SC county file without five
Wyoming counties, the OIG list and the LEAIC file cut in half at a line end,
the NC SBI export cut at a line. Each unmangled file passes. The fixture case
checks that ``data build`` refuses an incomplete file unless
``--accept-changed-raw``, and then says so in the manifests.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from enforcement_crime.panels import commands, runner
from enforcement_crime.panels.manifest import read_manifest
from enforcement_crime.panels.rawfiles import completeness_problems


def _cut_at_line_end(src: Path, dst: Path, keep: float = 0.5) -> int:
    """Copy ``src`` to ``dst`` keeping the header and the first ``keep`` share of lines."""
    lines = src.read_text(encoding="utf-8").splitlines(keepends=True)
    n = 1 + int((len(lines) - 1) * keep)
    dst.write_text("".join(lines[:n]), encoding="utf-8")
    return n - 1


@pytest.mark.parametrize(
    ("source", "folder", "name", "expect"),
    [
        (
            "g287",
            "ice_287g_deportationdata",
            "historical-oig-2009.csv",
            "33 data rows where the file pinned in g287.URLS has 67",
        ),
        (
            "g287",
            "ice_287g_deportationdata",
            "pre2018-agreements-best-guess.csv",
            "has 229",
        ),
        (
            "leaic",
            "leaic_2012_icpsr35158",
            "leaic2012_key_columns.csv",
            "18,245 agency records where LEAIC 2012 (ICPSR 35158) has 36,490",
        ),
        ("nc_sbi", "nc_sbi_forsythfutures", "crime_raw.csv", "place-year-estimate rows are absent"),
    ],
    ids=["oig-half", "roster-half", "leaic-half", "nc-sbi-export-half"],
)
def test_a_file_cut_at_a_line_end_is_incomplete(
    tmp_path, shared_data, source, folder, name, expect
):
    real = shared_data / folder / name
    assert completeness_problems(source, [real]) == {}  # the real file is complete
    cut = tmp_path / name
    _cut_at_line_end(real, cut)
    problems = completeness_problems(source, [cut])
    assert expect in problems[cut], problems


def test_sc_file_without_five_wyoming_counties_is_incomplete(tmp_path, shared_data):
    real = shared_data / "sc_activation_hhadah" / "sc_activation_dates_county.csv"
    assert completeness_problems("secure_communities", [real]) == {}
    lines = real.read_text().splitlines(keepends=True)
    wyoming = [i for i, ln in enumerate(lines) if ",WY,56," in ln][:5]
    assert len(wyoming) == 5
    cut = tmp_path / real.name
    cut.write_text("".join(ln for i, ln in enumerate(lines) if i not in wyoming))
    why = completeness_problems("secure_communities", [cut])[cut]
    gone = [lines[i].split(",")[1] for i in wyoming]
    assert why.startswith("5 of the 3,143 counties") and all(f in why for f in gone)


def test_data_build_refuses_an_incomplete_file_unless_accepted(
    tmp_path, raw_with_timing, monkeypatch
):
    # the fixture OIG list has 4 of the 67 rows of the pinned file: an incomplete file
    with pytest.raises(runner.RawChecksumError, match="look incomplete") as exc:
        runner.check_raw(
            {"g287": sorted((raw_with_timing / "g287").iterdir())}, ["g287"], out=lambda s: None
        )
    assert "historical-oig-2009.csv" in str(exc.value) and "--accept-changed-raw" in str(exc.value)
    lines: list[str] = []
    written = commands.build(
        ["cius_county"],
        raw=raw_with_timing,
        folder=tmp_path / "p",
        accept_changed_raw=True,
        out=lines.append,
    )
    assert any(ln.startswith("WARNING raw files look incomplete") for ln in lines)
    notes = read_manifest(written["cius_county"]).notes
    assert any("historical-oig-2009.csv (g287) looks incomplete: 4 data rows" in n for n in notes)
    assert any("35158-0001-Data.tsv (leaic) looks incomplete" in n for n in notes)


def _context(raw: Path, *, accept: bool):
    from enforcement_crime.panels import registry
    from enforcement_crime.panels.context import BuildContext, BuildOptions
    from enforcement_crime.panels.rawfiles import SOURCES, files_for

    files = {s: files_for(s, raw) for s in SOURCES}
    lines: list[str] = []
    ctx = BuildContext(
        files=files,
        options=BuildOptions(accept_changed_raw=accept),
        out=lines.append,
        resolve=registry.get,
    )
    return ctx, lines


def test_a_match_rate_below_the_floor_stops_cius_county(raw_from_fixtures):
    from enforcement_crime.panels.cius_county import MATCH_RATE_FLOOR
    from enforcement_crime.panels.context import InputError

    tsv = raw_from_fixtures / "leaic" / "35158-0001-Data.tsv"
    ctx, lines = _context(raw_from_fixtures, accept=False)
    ctx.panel("cius_county")  # the fixtures match 7 of 8 cities: above the floor
    assert MATCH_RATE_FLOOR == 0.8 and any("city 7/8" in ln for ln in lines)
    # drop the LEAIC rows of three city police departments: 4 of 8 cities match
    rows = tsv.read_text().splitlines(keepends=True)
    gone = ("BURLINGTON POLICE", "MATTHEWS POLICE", "CARY POLICE")
    tsv.write_text("".join(r for r in rows if not any(g in r for g in gone)))
    ctx, lines = _context(raw_from_fixtures, accept=False)
    with pytest.raises(InputError, match=r"fewer than 80% .* city 4/8 \(50\.0%\)") as exc:
        ctx.panel("cius_county")
    assert str(tsv) in str(exc.value) and "--accept-changed-raw" in str(exc.value)
    ctx, lines = _context(raw_from_fixtures, accept=True)
    built = ctx.panel("cius_county")
    assert any(ln.startswith("WARNING cius_county: LEAIC matches fewer than 80%") for ln in lines)
    assert any("built anyway (--accept-changed-raw)" in n for n in built.manifest.notes)
