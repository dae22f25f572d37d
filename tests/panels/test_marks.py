"""Panel marks: the words every output made from a panel carries.

Declared per panel (``PanelSpec.mark``), chosen by route where the route changes what the data
are (``city_sc``, ``nc_county``), written to the manifest and the parquet metadata, and read back
by ``load_panel`` into ``df.attrs["enforcement_crime"]["mark"]`` / ``panel_mark(df)``.
"""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pyarrow.parquet as pq
import pytest

from enforcement_crime import config
from enforcement_crime.panels import commands, data_banner, load_panel, panel_mark, registry
from enforcement_crime.panels.load import SYNTHETIC_MARK, UNRECORDED_MARK
from enforcement_crime.panels.manifest import read_manifest

# one worker builds this module's shared (module-scoped) inputs once: `make test` runs with
# pytest-xdist --dist loadgroup
pytestmark = [pytest.mark.xdist_group("marks")]

COUNTY = "REAL DATA: FBI CIUS APPROXIMATION OF COUNTY TOTALS"
SHERIFF = "REAL DATA: FBI CIUS SHERIFF JURISDICTIONS"
CITIES = "REAL DATA: FBI CIUS TABLE 8 CITIES"


def test_declared_marks():
    specs = registry.panels()
    assert specs["cius_county"].mark == COUNTY
    assert specs["cius_sheriff"].mark == SHERIFF
    assert specs["cius_county_constant"].mark.startswith(COUNTY)
    assert specs["cius_sheriff_balanced"].mark.startswith(SHERIFF)
    for name, spec in specs.items():
        assert spec.mark.startswith("REAL DATA"), name


@pytest.fixture(scope="module")
def cius_only_build(tmp_path_factory, fixtures_dir, raw_tree_maker):
    """Every panel buildable from CIUS + LEAIC + Census (no Kaplan, no ICPSR): city_sc and
    nc_county then come from the CIUS route."""
    tmp = tmp_path_factory.mktemp("marks")
    raw = raw_tree_maker(tmp / "raw", fixtures_dir)
    shutil.rmtree(raw / "ucr_kaplan")
    shutil.rmtree(raw / "ucr_icpsr_county")
    out = tmp / "processed"
    written = commands.build(
        raw=raw, folder=out, min_population=100_000, accept_changed_raw=True, out=lambda s: None
    )
    return out, written


def test_marks_by_route_in_manifest_and_parquet_metadata(cius_only_build):
    _, written = cius_only_build
    want = {
        "cius_county": COUNTY,
        "cius_county_constant": COUNTY + " (CONSTANT COMPOSITION)",
        "cius_sheriff": SHERIFF,
        "cius_sheriff_balanced": SHERIFF + " (BALANCED)",
        "city_sc": CITIES,
        "nc_county": COUNTY,  # derived from cius_county
    }
    assert set(written) == set(want)
    for name, path in written.items():
        assert read_manifest(path).mark == want[name], name
        meta = json.loads(pq.read_schema(path).metadata[b"enforcement_crime"])
        assert meta["mark"] == want[name] and meta["synthetic"] is False, name
    assert read_manifest(written["nc_county"]).rules["base_panel"] == "cius_county"


def test_load_panel_puts_the_mark_in_attrs(cius_only_build, monkeypatch):
    out, written = cius_only_build
    monkeypatch.setattr(config, "processed_dir", lambda: out)
    for name in written:
        df = load_panel(name)
        assert df.attrs["enforcement_crime"]["mark"] == read_manifest(written[name]).mark
        assert panel_mark(df) == df.attrs["enforcement_crime"]["mark"]
    html = data_banner(load_panel("cius_sheriff")).data
    assert SHERIFF in html


def test_a_file_written_without_a_mark_gets_its_manifests_or_its_registry_mark(
    tmp_path, monkeypatch, cius_only_build
):
    _, written = cius_only_build
    df = pd.read_parquet(written["cius_county"])
    monkeypatch.setattr(config, "processed_dir", lambda: tmp_path)
    df.to_parquet(tmp_path / "cius_sheriff.parquet")  # an old build: no metadata, no manifest
    assert panel_mark(load_panel("cius_sheriff")) == SHERIFF
    (tmp_path / "cius_sheriff.json").write_text(json.dumps({"mark": "FROM THE MANIFEST"}))
    assert panel_mark(load_panel("cius_sheriff")) == "FROM THE MANIFEST"
    df.to_parquet(tmp_path / "somebody_elses.parquet")
    assert panel_mark(load_panel("somebody_elses")) == UNRECORDED_MARK


def test_synthetic_mark():
    df = load_panel("synthetic")
    assert df.attrs["enforcement_crime"]["mark"] == SYNTHETIC_MARK == "SYNTHETIC DATA"
    assert panel_mark(df) == SYNTHETIC_MARK
    bare = pd.DataFrame(df).copy()
    bare.attrs = {}
    assert panel_mark(bare) == SYNTHETIC_MARK  # the is_synthetic column still says so
    assert panel_mark(pd.DataFrame({"x": [1]})) == UNRECORDED_MARK
