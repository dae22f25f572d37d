"""The county-year arrests panel (ICPSR part 1): fixtures, row accounting, the real copies read back."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from enforcement_crime.panels import icpsr_arrests
from enforcement_crime.panels.context import BuildContext
from enforcement_crime.panels.rawfiles import SOURCES, files_for
from enforcement_crime.sources import ucr_icpsr_arrests

#: the real-data tests share one build of the shared copies (module fixture ``real``): one worker
pytestmark = [pytest.mark.xdist_group("real_data")]

FIXTURE_FILES = ("03451-0001-Data.txt", "27644-0001-Data.txt", "35019-0001-Data.rda")
#: the panel's count -> the ICPSR variable (from the codebook, typed here on purpose)
VARIABLES = {
    "arrests_total": "GRNDTOT",
    "arrests_part1": "P1TOT",
    "arrests_violent": "P1VLNT",
    "arrests_property": "P1PRPTY",
    "arrests_drug": "DRUGTOT",
}


def _spans(layout: Path) -> dict[str, tuple[int, int]]:
    """The layout file read with the csv module (not the loader's reader)."""
    with open(layout, newline="") as fh:
        return {r["variable"]: (int(r["start_col"]), int(r["end_col"])) for r in csv.DictReader(fh)}


def _lines(path: Path, layout: Path) -> dict[str, dict[str, str]]:
    """Fixed-width lines by 5-digit FIPS: ``{fips: {variable: stripped cell}}``."""
    spans = _spans(layout)
    out = {}
    for text in path.read_text().splitlines():
        cells = {v: text[a - 1 : b].strip() for v, (a, b) in spans.items()}
        out[f"{int(cells['FIPS_ST']):02d}{int(cells['FIPS_CTY']):03d}"] = cells
    return out


def _rda(path: Path) -> dict[str, dict[str, float]]:
    pyreadr = pytest.importorskip("pyreadr")
    raw = next(iter(pyreadr.read_r(str(path)).values()))
    return {
        f"{int(r['FIPS_ST']):02d}{int(r['FIPS_CTY']):03d}": r.to_dict() for _, r in raw.iterrows()
    }


# ----------------------------------------------------------------- fixtures (synthetic values)


@pytest.fixture(scope="module")
def fx(fixtures_dir: Path) -> Path:
    return fixtures_dir / "ucr_icpsr_arrests"


@pytest.fixture(scope="module")
def frames(fx: Path) -> list[pd.DataFrame]:
    return [ucr_icpsr_arrests.load(fx / n) for n in FIXTURE_FILES]


def test_fixture_panel_rows_years_and_accounting(frames):
    panel, man = icpsr_arrests.icpsr_arrests_panel(frames)
    # 5 + 6 + 5 rows; the 2008 file's statewide pseudo-county 34999 is dropped and counted
    assert man.rows_in == 16 and len(panel) == 15 and man.rows_out == 15
    assert sum(man.dropped.values()) == 1 and "pseudo-county" in next(iter(man.dropped))
    assert man.rows_in == sum(man.dropped.values()) + man.aggregated + man.rows_out
    assert "34999" not in set(panel["fips"])
    assert set(panel["year"]) == {2000, 2008, 2012}
    # every year between the first and the last without a file is stated, none silently absent
    gaps = [y for y in range(2000, 2013) if y not in (2000, 2008, 2012)]
    assert man.rules["years_missing"] == gaps
    assert sorted(map(int, man.reports["years_missing"])) == gaps
    assert "study 30763" in man.reports["years_missing"]["2009"]
    assert any("2009" in n and "nothing imputed" in n for n in man.notes)
    # Ashe is a no-data row in every file: kept, counts and rates missing (never zero)
    ashe = panel[panel["fips"] == "37009"]
    assert len(ashe) == 3 and ashe["no_data"].all()
    assert ashe[list(icpsr_arrests.COUNTS) + list(icpsr_arrests.RATES)].isna().all().all()
    assert not panel["is_synthetic"].any() and panel["sc_activation_date"].isna().all()


def test_fixture_counts_and_rates_match_the_source_lines(fx, frames):
    panel, _ = icpsr_arrests.icpsr_arrests_panel(frames)
    by = panel.set_index(["fips", "year"])
    layout = fx / "layout_part1_arrests_all_ages.csv"
    checked = 0
    for name, year in (("03451-0001-Data.txt", 2000), ("27644-0001-Data.txt", 2008)):
        for fips, cells in _lines(fx / name, layout).items():
            if fips == "34999" or fips == "37009":
                continue
            row = by.loc[(fips, year)]
            pop = int(cells["CPOPARST"])
            assert row["population"] == pop == row["population_icpsr"]  # no Census frame given
            for col, var in VARIABLES.items():
                assert row[col] == int(cells[var]), (fips, year, var)
                assert row[f"{col}_rate"] == pytest.approx(int(cells[var]) / pop * 1e5)
            checked += 1
    for fips, rec in _rda(fx / "35019-0001-Data.rda").items():
        if fips == "37009":
            continue
        row = by.loc[(fips, 2012)]
        for col, var in VARIABLES.items():
            assert row[col] == rec[var], (fips, 2012, var)
        assert row["coverage"] == pytest.approx(rec["COVIND"])
        checked += 1
    assert checked == 4 + 4 + 4


def test_census_population_is_the_denominator(frames):
    pop = pd.DataFrame(
        {"fips": ["37001", "37063"], "year": [2000, 2000], "population": [200_000, 400_000]}
    )
    panel, man = icpsr_arrests.icpsr_arrests_panel(frames[:1], population=pop)
    # the other counties have no Census population: dropped and counted, not kept with no rate
    assert set(panel["fips"]) == {"37001", "37063"}
    assert man.dropped == {"county without a Census population for the year": 3}
    row = panel.set_index("fips").loc["37001"]
    assert row["population"] == 200_000 and row["population_icpsr"] == 150_000
    assert row["arrests_total_rate"] == pytest.approx(row["arrests_total"] / 2)
    assert man.rules["years_missing"] == []


def test_a_year_given_twice_and_a_broken_panel_fail(frames):
    with pytest.raises(ValueError, match="year 2000 comes from 2 files"):
        icpsr_arrests.icpsr_arrests_panel([frames[0], frames[0]])
    with pytest.raises(ValueError, match="lacks column"):
        icpsr_arrests.icpsr_arrests_panel([frames[0].drop(columns="arrests_drug")])
    panel, _ = icpsr_arrests.icpsr_arrests_panel(frames)
    bad = panel.copy()
    bad.loc[0, "arrests_violent_rate"] = 1.0
    with pytest.raises(ValueError, match="'arrests_violent_rate'.*37001"):
        icpsr_arrests.validate_icpsr_arrests(bad)
    bad = pd.concat([panel, panel.iloc[[0]]], ignore_index=True)
    with pytest.raises(ValueError, match=r"\(fips, year\) must be unique"):
        icpsr_arrests.validate_icpsr_arrests(bad)
    bad = panel.copy()
    bad["arrests_drug"] = bad["arrests_drug"].astype("float64")
    with pytest.raises(ValueError, match="'arrests_drug': expected integer counts"):
        icpsr_arrests.validate_icpsr_arrests(bad)


def test_registered_as_a_panel_and_its_source_as_a_raw_source():
    from enforcement_crime.panels import registry

    spec = registry.get("icpsr_arrests")
    assert spec.needs == ("ucr_icpsr_arrests",) and spec.mark == icpsr_arrests.MARK
    assert spec.mark.startswith("REAL DATA") and not spec.approximation
    assert SOURCES["ucr_icpsr_arrests"].module == "ucr_icpsr_arrests"
    assert SOURCES["ucr_icpsr_arrests"].login


def test_raw_folder_files_are_found(tmp_path, fx):
    """In ``data/raw/ucr_icpsr_arrests`` the data files are the source's; the layout is not."""
    folder = tmp_path / "ucr_icpsr_arrests"
    folder.mkdir()
    for p in fx.iterdir():
        if p.suffix != ".py":
            (folder / p.name).write_bytes(p.read_bytes())
    found = files_for("ucr_icpsr_arrests", raw=tmp_path)
    assert sorted(p.name for p in found) == sorted(FIXTURE_FILES)
    b = icpsr_arrests.build(BuildContext(files={"ucr_icpsr_arrests": found}, out=lambda s: None))
    assert len(b.panel) == 15 and b.sources == ("ucr_icpsr_arrests",)


# ----------------------------------------------------------------- the real copies


@pytest.fixture(scope="module")
def real(shared_data: Path):
    files = {s: files_for(s, shared=True) for s in SOURCES}
    if not files["ucr_icpsr_arrests"]:
        pytest.skip("the ICPSR county arrests files are absent from the shared data")
    lines: list[str] = []
    b = icpsr_arrests.build(BuildContext(files=files, out=lines.append))
    return b, shared_data / "icpsr_county_ucr_arrests_2000_2012", lines


@pytest.mark.shared_data
def test_real_panel_years_and_accounting(real):
    b, folder, lines = real
    panel, man = b.panel, b.manifest
    man.check()
    # PROVENANCE.md: 2000-2008, 2010 and 2012; 2009 and 2011 were not found
    assert sorted(set(panel["year"])) == [*range(2000, 2009), 2010, 2012]
    assert man.rules["years_missing"] == [2009, 2011]
    assert any("no file for 2009, 2011" in ln for ln in lines)
    assert panel.groupby("year")["fips"].nunique().min() >= 3000
    assert b.mark == icpsr_arrests.MARK and b.sources[0] == "ucr_icpsr_arrests"
    assert "census_population" in b.sources and man.rules["population"].startswith("Census")
    # the file's record counts (PROVENANCE.md) are the rows in
    assert man.rows_in == 3146 + 3147 * 7 + 3172 + 3177 + 3178


@pytest.mark.shared_data
def test_real_panel_reads_back_the_source_lines(real):
    b, folder, _ = real
    by = b.panel.set_index(["fips", "year"])
    layout = folder / "layout_part1_arrests_all_ages.csv"
    picks = {
        ("03451-0001-Data.txt", 2000): ["37119", "37183"],  # Mecklenburg, Wake
        ("04717-0001-Data.txt", 2005): ["37063", "06037"],  # Durham, Los Angeles
        ("27644-0001-Data.txt", 2008): ["37071", "48201"],  # Gaston, Harris
        ("33523-0001-Data.rda", 2010): ["37119", "17031"],  # Cook
        ("35019-0001-Data.rda", 2012): ["37183", "04013"],  # Maricopa
    }
    for (name, year), counties in picks.items():
        if name.endswith(".txt"):
            src = {
                f: {v: float(c) if c else np.nan for v, c in cells.items() if v != "COVIND"}
                for f, cells in _lines(folder / name, layout).items()
                if f in counties
            }
        else:
            src = {f: r for f, r in _rda(folder / name).items() if f in counties}
        for f in counties:
            row, rec = by.loc[(f, year)], src[f]
            assert row["population_icpsr"] == rec["CPOPARST"], (f, year)
            for col, var in VARIABLES.items():
                assert row[col] == rec[var], (f, year, var)
                assert row[f"{col}_rate"] == pytest.approx(rec[var] / row["population"] * 1e5)
            # the Census population is near the population ICPSR covers for a fully covered county
            assert 0.5 < row["population"] / rec["CPOPARST"] < 2, (f, year)


@pytest.mark.shared_data
def test_data_build_shared_writes_the_panel(shared_data, tmp_path):
    """``data build --shared icpsr_arrests``: written with its mark and the missing years stated."""
    from enforcement_crime.panels import commands

    written = commands.build(["icpsr_arrests"], shared=True, folder=tmp_path, out=lambda s: None)
    assert set(written) == {"icpsr_arrests"}
    man = json.loads(written["icpsr_arrests"].with_suffix(".json").read_text())
    assert man["mark"] == icpsr_arrests.MARK and not man["approximation"]
    assert man["rules"]["years_missing"] == [2009, 2011]
    assert set(man["reports"]["years_missing"]) == {"2009", "2011"}
    back = pd.read_parquet(written["icpsr_arrests"])
    assert len(back) == man["rows"]["out"] and not back["is_synthetic"].any()
    # load_panel reads it back with the panel's own check (not the offense schema it lacks)
    from enforcement_crime import config
    from enforcement_crime.panels.load import load_panel

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(config, "processed_dir", lambda: tmp_path)
        loaded = load_panel("icpsr_arrests")
    assert len(loaded) == len(back) and "arrests_violent_rate" in loaded.columns


@pytest.mark.shared_data
def test_sc_design_on_the_real_panel_reads_back_the_source_lines(real):
    """The SC county design on the real arrests panel: a few county-years of the analysed rates are
    the source line's count over the Census population; 2009 and 2011 are stated, not filled."""
    from enforcement_crime import designs
    from enforcement_crime.designs import conclusions
    from enforcement_crime.sources import census_population

    b, folder, _ = real
    d = designs.get("sc_county", **conclusions.SC_ARRESTS_OPTIONS)
    s = d.prepare(b.panel, data_source="icpsr_arrests")
    assert s.years == [2004, 2005, 2006, 2007, 2008, 2010, 2012]
    why = s.accounting_frame().set_index("rule").loc["years without rows", "why"]
    assert "2009, 2011" in why
    assert set(d.event_time_gaps(s)["years_missing"]) == {"2009, 2011"}
    # the denominator: the Census county population of the year, read from the Census file
    # (up to 2009 the panel's rule takes the intercensal series, else Vintage 2009: the shared copies
    # have no intercensal file)
    files = {p.name: p for p in files_for("census_population", shared=True)}
    assert not any("co-est00int" in n for n in files), "an intercensal file: read it here instead"
    census = census_population.load(files["co-est2009-alldata.csv"])
    census = census.set_index(["fips", "year"])["population"]
    layout = folder / "layout_part1_arrests_all_ages.csv"
    by = s.data.set_index(["fips", "year"])
    picks = {
        ("04717-0001-Data.txt", 2005): ["37063", "06037"],  # Durham, Los Angeles
        ("27644-0001-Data.txt", 2008): ["37071", "48201", "37183"],  # Gaston, Harris, Wake
    }
    for (name, year), counties in picks.items():
        src = {
            f: {v: float(c[v]) for v in ("P1VLNT", "DRUGTOT")}
            for f, c in _lines(folder / name, layout).items()
            if f in counties
        }
        for f in counties:
            row, pop = by.loc[(f, year)], float(census.loc[(f, year)])
            for col, var in (("arrests_violent_rate", "P1VLNT"), ("arrests_drug_rate", "DRUGTOT")):
                want = float(src[f][var]) / pop * 1e5
                assert row[col] == pytest.approx(want, rel=1e-9), (f, year, col)
                assert row[f"log_{col}"] == pytest.approx(np.log1p(want), rel=1e-9)
            assert row["population"] == pop
