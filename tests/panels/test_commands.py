"""The data CLI: status, fetch (no network: login sources only), build from fixtures, shared copies, synthetic."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from enforcement_crime import cli
from enforcement_crime.panels import commands
from enforcement_crime.panels.manifest import read_manifest


def test_status_lists_every_source(tmp_path, raw_from_fixtures):
    lines: list[str] = []
    rows = commands.status(raw_from_fixtures, out=lines.append)
    by = {r["source"]: r for r in rows}
    assert set(by) == set(commands.SOURCES)
    assert (
        by["leaic"]["found"]
        and by["leaic"]["files"] == ["35158-0001-Data.tsv"]
        and by["leaic"]["login"]
    )
    assert not by["secure_communities"]["found"]
    # the census fixtures are not the official bytes: the sha256 registry says so
    assert "co-est2009-alldata.csv: MISMATCH" in by["census_population"]["checksums"]
    assert any("leaic" in ln and "found" in ln and "login needed" in ln for ln in lines)
    empty = commands.status(tmp_path / "nothing", out=lambda s: None)
    assert not any(r["found"] for r in empty)


def test_fetch_login_sources_exit_nonzero_with_instructions(tmp_path, capsys):
    rc = cli.main(
        ["data", "--raw", str(tmp_path), "fetch", "leaic", "ucr_kaplan", "ucr_icpsr_county"]
    )
    out = capsys.readouterr().out
    assert rc == 1
    assert out.count("needs a login") == 3
    assert str(tmp_path / "leaic") in out and "openicpsr.org/openicpsr/project/100707" in out
    assert cli.main(["data", "--raw", str(tmp_path), "fetch", "nonsense"]) == 2


def test_build_from_fixture_raw_files(tmp_path, raw_from_fixtures):
    lines: list[str] = []
    out_dir = tmp_path / "processed"
    # the census fixtures are not the registered bytes: accepted explicitly, and the manifests say so
    written = commands.build(
        raw=raw_from_fixtures,
        folder=out_dir,
        min_population=100_000,
        out=lines.append,
        accept_changed_raw=True,
    )
    assert set(written) == {
        "cius_county",
        "cius_county_constant",
        "cius_sheriff",
        "cius_sheriff_balanced",
        "kaplan_county",
        "icpsr_county",
        "city_sc",
        "nc_county",
    }
    for name, path in written.items():
        m = read_manifest(path)  # raises unless the accounting adds up
        assert m.rows_out == len(pd.read_parquet(path)), name
        assert all(
            "sha256" in rec
            for rec in json.loads(path.with_suffix(".json").read_text())["inputs"]
            if "path" in rec
        )
    text = "\n".join(lines)
    assert "REAL data" in text and "SYNTHETIC" not in text
    assert "cius_county 2013: match rate city 7/8 (87.5%)" in text
    assert "timing: no SC or 287(g) raw files" in text
    # every county of the CIUS panel has a Census population row; Alamance and Mecklenburg NC are in
    from enforcement_crime.sources import census_population as cp

    census = cp.load(raw_from_fixtures / "census_population" / "co-est2009-alldata.csv")
    got = set(pd.read_parquet(written["cius_county"])["fips"])
    assert {"37001", "37119"} <= got <= set(census["fips"])
    # the changed census files are named in the manifests that read them
    for path in written.values():
        notes = read_manifest(path).notes
        if "census_population" in read_manifest(path).rules.get("sources_read", []):
            assert any("co-est2009-alldata.csv" in n and "--accept-changed-raw" in n for n in notes)
    assert "nc_county built from kaplan_county" in text


def test_build_without_raw_files_writes_the_synthetic_panel(tmp_path, monkeypatch):
    """The default raw folder holds nothing: the SYNTHETIC panel is written and labelled so."""
    from enforcement_crime import synthetic

    target = tmp_path / "synthetic.parquet"
    monkeypatch.setattr(synthetic, "write_default_panel", lambda *a, **k: target)
    monkeypatch.setenv("ENFORCEMENT_CRIME_RAW", str(tmp_path / "empty"))
    lines: list[str] = []
    written = commands.build(folder=tmp_path, out=lines.append)
    assert written == {"synthetic": target}
    # the first line says plainly that the built-in panel is used; nothing says "real raw files"
    assert lines[0].startswith("using the built-in SYNTHETIC panel (no download, no login needed)")
    assert not [ln for ln in lines if "building from real raw files" in ln]
    assert any("SYNTHETIC default panel" in ln for ln in lines)
    # the panels not built: one summary line naming each, the details with verbose
    assert not [ln for ln in lines if ln.startswith("skipped ")]
    (summary,) = [ln for ln in lines if ln.startswith("real panels not built")]
    assert "cius_county" in summary and "--verbose" in summary
    assert len(lines) == 3
    lines.clear()
    commands.build(folder=tmp_path, out=lines.append, verbose=True)
    assert lines[0].startswith("using the built-in SYNTHETIC panel")
    assert any(ln.startswith("skipped cius_county: needs") for ln in lines)


def test_data_build_verbose_option_reaches_the_build(monkeypatch):
    from enforcement_crime.panels import runner

    seen = {}
    monkeypatch.setattr(runner, "build", lambda panels, raw, **kw: seen.update(kw) or {})
    monkeypatch.setattr(commands, "build", runner.build)
    assert cli.main(["data", "build", "--verbose"]) == 0
    assert seen["verbose"] is True
    assert cli.main(["data", "build"]) == 0
    assert seen["verbose"] is False


def test_unknown_panel():
    with pytest.raises(ValueError, match="unknown panel"):
        commands.build(["everything"])
    assert cli.main(["data", "build", "everything"]) == 1


@pytest.mark.slow
@pytest.mark.shared_data
def test_cli_build_all_on_shared_copies(shared_data, tmp_path, capsys):
    """The full ``data build --shared`` path: every panel the shared copies allow, with treatment timing.

    Slow (it loads every shared copy); the default run covers the same code on the fixtures
    (``test_build_from_fixture_raw_files``) and the real CIUS panel in ``test_panels.py``.
    """
    written = commands.build(shared=True, folder=tmp_path)
    out = capsys.readouterr().out
    assert {"cius_county", "city_sc", "nc_county"} <= set(written)
    for y in (2006, 2009, 2010, 2013, 2014, 2015, 2016):
        assert f"cius_county {y}: match rate city" in out
    for path in written.values():
        read_manifest(path)
    nc = pd.read_parquet(written["nc_county"])
    if "timing: built from" in out:
        assert nc.loc[nc["fips"] == "37183", "sc_activation_date"].notna().all()
