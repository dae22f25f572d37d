"""``data build`` never loses data: broken inputs stop it, bad options are refused, writes are a transaction.

Every case is built from small mangled copies of the committed fixtures made
inside the test (``tmp_path``). ``data/processed`` stand-in: a folder filled
by a first good build; after each failed build its bytes must be unchanged.
"""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from enforcement_crime import cli
from enforcement_crime.panels import commands, manifest, registry, runner
from enforcement_crime.panels.manifest import ManifestError, read_manifest

# one worker builds this module's shared (module-scoped) inputs once: `make test` runs with
# pytest-xdist --dist loadgroup
pytestmark = [pytest.mark.xdist_group("build_reliability")]


def _snapshot(folder: Path) -> dict[str, str]:
    """``{file name: sha256}`` of every file in ``folder`` (temporary files included)."""
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file()
    }


@pytest.fixture(scope="module")
def _good_build(tmp_path_factory, fixtures_dir, raw_tree_maker):
    """One good build of every panel from the fixtures (built once per module)."""
    base = tmp_path_factory.mktemp("good")
    raw = raw_tree_maker(base / "raw", fixtures_dir, timing=True)
    out = base / "processed"
    written = commands.build(
        raw=raw, folder=out, min_population=100_000, accept_changed_raw=True, out=lambda s: None
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
    return raw, out


@pytest.fixture
def built(tmp_path, _good_build):
    """A private copy of the good build: its raw tree and its processed folder."""
    raw, out = (tmp_path / "raw", tmp_path / "processed")
    shutil.copytree(_good_build[0], raw)
    shutil.copytree(_good_build[1], out)
    return raw, out


def _cli(raw: Path, out: Path, *extra: str, monkeypatch) -> int:
    """``data --raw RAW build ...`` with the processed folder redirected to ``out``."""
    from enforcement_crime import cli, config

    monkeypatch.setattr(config, "processed_dir", lambda: out)
    return cli.main(["data", "--raw", str(raw), "build", "--accept-changed-raw", *extra])


# ------------------------------------------------------------ broken timing inputs


def test_good_build_has_timing_and_says_where_it_came_from(built):
    _, out = built
    nc = pd.read_parquet(out / "kaplan_county.parquet")
    # the SC fixture activates Alamance in January 2010 and Mecklenburg in October 2009
    sc = nc.groupby("fips")["sc_activation_date"].first()
    assert sc["37001"] == pd.Timestamp("2010-01-01") and sc["37119"] == pd.Timestamp("2009-10-01")
    m = read_manifest(out / "kaplan_county.parquet")
    assert m.rules["timing"].startswith("panels.timing.county_timing")
    assert {"secure_communities", "g287"} <= set(m.rules["sources_read"])


@pytest.mark.parametrize(
    ("source", "mangle", "expect"),
    [
        (
            "secure_communities",
            lambda p: p.write_text(p.read_text().replace(",2010,", ",201,")),
            "activation year 201",
        ),
        ("secure_communities", lambda p: p.write_bytes(b"\x00\x01garbage" * 50), "SC activation"),
        (
            "g287",
            lambda p: p.write_text(p.read_text()[: len(p.read_text()) // 2]),
            "287(g) agreements",
        ),
    ],
    ids=["sc-year-201", "sc-binary-garbage", "g287-cut-in-half"],
)
def test_broken_timing_file_stops_the_build(built, monkeypatch, capsys, source, mangle, expect):
    raw, out = built
    before = _snapshot(out)
    target = sorted((raw / source).iterdir())[0]
    mangle(target)
    rc = _cli(raw, out, monkeypatch=monkeypatch)
    err = capsys.readouterr().err
    assert rc == 1
    assert str(target) in err and expect in err and "nothing was written" in err
    assert _snapshot(out) == before


def test_allow_missing_timing_builds_without_timing_and_says_so(built, monkeypatch, capsys):
    raw, out = built
    sc = raw / "secure_communities" / "sc_activation_dates_county.csv"
    sc.write_text(sc.read_text().replace(",2010,", ",201,"))
    rc = _cli(raw, out, "--allow-missing-timing", monkeypatch=monkeypatch)
    text = capsys.readouterr().out
    assert rc == 0
    assert "WARNING timing" in text and str(sc) in text
    panel = pd.read_parquet(out / "cius_county.parquet")
    assert panel["sc_activation_date"].isna().all() and panel["g287_start"].isna().all()
    m = json.loads((out / "cius_county.json").read_text())
    assert "--allow-missing-timing" in m["rules"]["timing"] and str(sc) in m["rules"]["timing"]
    assert not any("were not available" in n for n in m["notes"])  # absent is not what happened


def test_absent_timing_is_still_optional(tmp_path, raw_from_fixtures):
    written = commands.build(
        ["cius_county"],
        raw=raw_from_fixtures,
        folder=tmp_path / "p",
        min_population=100_000,
        accept_changed_raw=True,
        out=lambda s: None,
    )
    m = read_manifest(written["cius_county"])
    assert m.rules["timing"].startswith("not available (treatment timing inputs absent)")


@pytest.mark.parametrize(
    ("absent", "empty", "filled"),
    [
        ("secure_communities", ["sc_activation_date"], "g287_start"),
        ("g287", ["g287_start", "g287_end"], "sc_activation_date"),
    ],
)
def test_one_timing_source_without_the_other_is_said_in_the_manifest(
    tmp_path, raw_with_timing, absent, empty, filled
):
    shutil.rmtree(raw_with_timing / absent)
    lines: list[str] = []
    written = commands.build(
        ["cius_county"],
        raw=raw_with_timing,
        folder=tmp_path / "p",
        min_population=100_000,
        accept_changed_raw=True,
        out=lines.append,
    )
    panel = pd.read_parquet(written["cius_county"])
    assert all(panel[c].isna().all() for c in empty) and panel[filled].notna().any()
    rule = read_manifest(written["cius_county"]).rules["timing"]
    what = {"secure_communities": "SC activation dates", "g287": "287(g) agreements"}[absent]
    assert f"no {what} file was present" in rule and empty[0] in rule
    assert not rule.startswith("panels.timing.county_timing: SC activation month")
    assert any(ln.startswith("WARNING timing") and what in ln for ln in lines)


def test_broken_required_input_names_the_file(built, monkeypatch, capsys):
    raw, out = built
    before = _snapshot(out)
    leaic = raw / "leaic" / "35158-0001-Data.tsv"
    leaic.write_text("<html><body>Please log in</body></html>\n")
    assert _cli(raw, out, monkeypatch=monkeypatch) == 1
    err = capsys.readouterr().err
    assert str(leaic) in err
    assert _snapshot(out) == before


def test_two_files_of_a_one_file_source_are_refused(built, monkeypatch, capsys, fixtures_dir):
    raw, out = built
    before = _snapshot(out)
    extra = raw / "secure_communities" / "sc_plain.csv"
    shutil.copy(fixtures_dir / "secure_communities" / "sc_plain.csv", extra)
    assert _cli(raw, out, monkeypatch=monkeypatch) == 1
    err = capsys.readouterr().err
    assert "2 files found" in err and str(extra) in err
    assert _snapshot(out) == before


def test_one_cius_table_and_year_in_two_files(tmp_path, raw_from_fixtures, monkeypatch):
    cius = raw_from_fixtures / "fbi_cius"
    copy = cius / "county_2013.xls"
    shutil.copy(cius / "table10_county" / "2013.xls", copy)
    lines: list[str] = []
    written = commands.build(
        ["cius_county"],
        raw=raw_from_fixtures,
        folder=tmp_path / "a",
        accept_changed_raw=True,
        out=lines.append,
    )
    assert any("byte-identical copy" in ln and "county_2013.xls" in ln for ln in lines)
    assert read_manifest(written["cius_county"]).rows_out > 0
    # two files for one table and year that differ: which one is right is the user's call
    from enforcement_crime.panels import rawfiles

    monkeypatch.setattr(rawfiles, "sha256_of", lambda path: str(path))  # every file "differs"
    with pytest.raises(ValueError, match="county_2013.xls.*differ"):
        commands.build(
            ["cius_county"],
            raw=raw_from_fixtures,
            folder=tmp_path / "b",
            accept_changed_raw=True,
            out=lambda s: None,
        )
    assert not (tmp_path / "b").exists()


# ------------------------------------------------------------ sha256 registry


def test_changed_raw_file_stops_the_build_unless_accepted(built, monkeypatch, capsys):
    raw, out = built
    before = _snapshot(out)
    from enforcement_crime import config

    monkeypatch.setattr(config, "processed_dir", lambda: out)
    # the census fixtures are not the registered Census bytes: `data status` says MISMATCH
    rows = {r["source"]: r for r in commands.status(raw, out=lambda s: None)}
    assert "MISMATCH" in rows["census_population"]["checksums"]
    assert cli.main(["data", "--raw", str(raw), "build"]) == 1
    err = capsys.readouterr().err
    assert "co-est2009-alldata.csv" in err and "--accept-changed-raw" in err
    assert _snapshot(out) == before
    with pytest.raises(runner.RawChecksumError, match="co-est2019-alldata.csv"):
        commands.build(raw=raw, folder=out, out=lambda s: None)


def test_unregistered_files_are_reported_loudly(tmp_path, raw_from_fixtures):
    lines: list[str] = []
    written = commands.build(
        ["cius_county"],
        raw=raw_from_fixtures,
        folder=tmp_path / "p",
        min_population=100_000,
        accept_changed_raw=True,
        out=lines.append,
    )
    warn = [ln for ln in lines if ln.startswith("WARNING") and "no registered sha256" in ln]
    assert any("of leaic" in ln and "35158-0001-Data.tsv" in ln for ln in warn)
    notes = read_manifest(written["cius_county"]).notes
    assert any("35158-0001-Data.tsv (leaic) has no registered sha256" in n for n in notes)


def test_check_raw_passes_registered_bytes(tmp_path, monkeypatch):
    from enforcement_crime.panels import rawfiles

    f = tmp_path / "co-est2009-alldata.csv"
    f.write_bytes(b"exactly these bytes\n")
    digest = hashlib.sha256(b"exactly these bytes\n").hexdigest()

    class Mod:
        SHA256 = {"co-est2009-alldata.csv": digest}

    monkeypatch.setattr(rawfiles, "source_module", lambda name: Mod)
    lines: list[str] = []
    notes = runner.check_raw({"census_population": [f]}, ["census_population"], out=lines.append)
    assert notes == [] and lines == []
    f.write_bytes(b"other bytes\n")
    with pytest.raises(runner.RawChecksumError, match="co-est2009-alldata.csv"):
        runner.check_raw({"census_population": [f]}, ["census_population"], out=lines.append)


# ------------------------------------------------------------ atomic, transactional


def _failing(name: str, exc: BaseException, monkeypatch):
    """Make the registered panel ``name`` raise ``exc`` when built."""
    spec = registry.get(name)

    def boom(ctx):
        raise exc

    panels = registry.panels()
    monkeypatch.setattr(
        registry, "_BUILTIN", {**panels, name: dataclasses.replace(spec, build=boom)}
    )


def test_a_failing_panel_leaves_every_old_file_unchanged(built, monkeypatch):
    raw, out = built
    before = _snapshot(out)
    # city_sc is built first (registry order), kaplan_county later: the first must not be replaced
    _failing("kaplan_county", RuntimeError("kaplan build broke"), monkeypatch)
    with pytest.raises(RuntimeError, match="kaplan build broke"):
        commands.build(
            raw=raw, folder=out, min_population=100_000, accept_changed_raw=True, out=print
        )
    assert _snapshot(out) == before


def test_a_panel_failing_validation_leaves_every_old_file_unchanged(built, monkeypatch):
    raw, out = built
    before = _snapshot(out)
    spec = registry.get("nc_county")  # the last panel: every other one validated first

    def bad(ctx):
        b = spec.build(ctx)
        b.panel.loc[0, "population"] = -1
        return b

    panels = registry.panels()
    monkeypatch.setattr(
        registry, "_BUILTIN", {**panels, "nc_county": dataclasses.replace(spec, build=bad)}
    )
    from enforcement_crime.schema import PanelSchemaError

    with pytest.raises(PanelSchemaError, match="population"):
        commands.build(
            raw=raw, folder=out, min_population=100_000, accept_changed_raw=True, out=print
        )
    assert _snapshot(out) == before


def test_an_interrupt_while_writing_leaves_the_folder_as_it_was(built, monkeypatch):
    raw, out = built
    before = _snapshot(out)
    real = manifest._write_temps
    calls = []

    def interrupted(df, m, path, *rest):
        calls.append(path.name)
        if len(calls) == 3:  # two panels written aside, the third cut short
            path.with_name(f".{path.name}.cut.tmp").write_bytes(b"half a file")
            raise KeyboardInterrupt
        return real(df, m, path, *rest)

    monkeypatch.setattr(manifest, "_write_temps", interrupted)
    with pytest.raises(KeyboardInterrupt):
        commands.build(
            raw=raw, folder=out, min_population=100_000, accept_changed_raw=True, out=print
        )
    assert len(calls) == 3
    assert _snapshot(out) == before  # no new file, no temporary file left


def test_a_failure_between_two_renames_restores_every_old_file(built, monkeypatch):
    raw, out = built
    before = _snapshot(out)
    real = manifest.os.replace
    calls = []

    def third_fails(src, dst):
        calls.append(Path(dst).name)
        if len(calls) == 3 and Path(src).name.endswith(".tmp") and ".bak." not in Path(src).name:
            raise OSError("disk full")
        return real(src, dst)

    monkeypatch.setattr(manifest.os, "replace", third_fails)
    with pytest.raises(OSError, match="disk full"):
        commands.build(
            raw=raw, folder=out, min_population=100_000, accept_changed_raw=True, out=print
        )
    assert len(calls) > 3  # two files were replaced, then put back
    assert _snapshot(out) == before


def test_write_panel_replaces_atomically(tmp_path, monkeypatch):
    """The old file stays whole until the new one is complete: written aside, then os.replace."""
    df = pd.DataFrame({"fips": ["37001", "37119"], "year": [2010, 2010]})
    m = manifest.Manifest(panel="x", rows_in=2, rows_out=2)
    replaced = []
    real_replace = manifest.os.replace

    def spy(src, dst):
        assert Path(src).parent == Path(dst).parent and Path(src).name.endswith(".tmp")
        replaced.append(Path(dst).name)
        return real_replace(src, dst)

    monkeypatch.setattr(manifest.os, "replace", spy)
    path = manifest.write_panel(df, "x", m, folder=tmp_path, validate=False)
    assert [n for n in replaced if n != manifest.JOURNAL_NAME] == ["x.parquet", "x.json"]
    left = sorted(p.name for p in tmp_path.iterdir() if p.name != manifest.LOCK_NAME)
    assert left == ["x.json", "x.parquet"]  # no journal, no temporary or backup file
    assert len(pd.read_parquet(path)) == len(df)


# ------------------------------------------------------------ options, empty panels


@pytest.mark.parametrize("value", ["-5", "1e12", "12000000", "lots"])
def test_bad_min_population_is_refused_before_anything_is_written(
    built, monkeypatch, capsys, value
):
    raw, out = built
    before = _snapshot(out)
    with pytest.raises(SystemExit) as exc:
        _cli(raw, out, "--min-population", value, monkeypatch=monkeypatch)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "--min-population" in err and value in err.replace(",", "")
    assert _snapshot(out) == before


@pytest.mark.parametrize("value", [-5, 1e12, 10_000_001, True, 50_000.5])
def test_bad_min_population_in_python_is_refused(built, value):
    raw, out = built
    before = _snapshot(out)
    with pytest.raises(ValueError, match="min-population"):
        commands.build(raw=raw, folder=out, min_population=value, accept_changed_raw=True)
    assert _snapshot(out) == before


def test_bad_coverage_rule_is_refused(tmp_path):
    with pytest.raises(ValueError, match="coverage-rule"):
        commands.build(raw=tmp_path, folder=tmp_path, coverage_rule="most")


def test_an_empty_panel_is_never_written_over_an_old_one(built):
    raw, out = built
    before = _snapshot(out)
    # no fixture city reaches ten million residents: city_sc would be empty
    with pytest.raises(ManifestError, match="city_sc: the panel has no rows"):
        commands.build(
            ["cius_county", "city_sc"],
            raw=raw,
            folder=out,
            min_population=10_000_000,
            accept_changed_raw=True,
            out=print,
        )
    assert _snapshot(out) == before


# ------------------------------------------------------------ error messages name what is wrong


def test_missing_raw_folder_fails_instead_of_writing_synthetic(tmp_path, monkeypatch, capsys):
    from enforcement_crime import synthetic

    monkeypatch.setattr(
        synthetic, "write_default_panel", lambda *a, **k: pytest.fail("synthetic written")
    )
    out = tmp_path / "processed"
    rc = _cli(tmp_path / "no-such-folder", out, monkeypatch=monkeypatch)
    assert rc == 1
    assert "no-such-folder does not exist" in capsys.readouterr().err
    assert not out.exists()
    # an existing raw folder with nothing buildable fails too (stale real panels stay alone)
    (tmp_path / "empty").mkdir()
    assert _cli(tmp_path / "empty", out, monkeypatch=monkeypatch) == 1
    assert "no panel could be built" in capsys.readouterr().err


def test_a_panel_asked_for_by_name_without_inputs_fails(tmp_path, raw_from_fixtures):
    shutil.rmtree(raw_from_fixtures / "ucr_icpsr_county")
    with pytest.raises(runner.BuildError, match="icpsr_county.*ucr_icpsr_county"):
        commands.build(["icpsr_county"], raw=raw_from_fixtures, folder=tmp_path / "p")
    assert not (tmp_path / "p").exists()


def test_approximation_is_true_for_every_panel_that_read_cius(tmp_path, raw_with_timing):
    # Kaplan present: the city panel comes from Kaplan, nc_county from kaplan_county
    written = commands.build(
        raw=raw_with_timing,
        folder=tmp_path / "a",
        min_population=100_000,
        accept_changed_raw=True,
        out=lambda s: None,
    )
    approx = {n: read_manifest(p).approximation for n, p in written.items()}
    assert approx == {
        "cius_county": True,
        "cius_county_constant": True,
        "cius_sheriff": True,
        "cius_sheriff_balanced": True,
        "kaplan_county": False,
        "icpsr_county": False,
        "city_sc": False,
        "nc_county": False,
    }
    # without Kaplan and ICPSR: city_sc from CIUS Table 8, nc_county from cius_county
    shutil.rmtree(raw_with_timing / "ucr_kaplan")
    shutil.rmtree(raw_with_timing / "ucr_icpsr_county")
    written = commands.build(
        raw=raw_with_timing,
        folder=tmp_path / "b",
        min_population=100_000,
        accept_changed_raw=True,
        out=lambda s: None,
    )
    approx = {n: read_manifest(p).approximation for n, p in written.items()}
    assert approx == {
        "cius_county": True,
        "cius_county_constant": True,
        "cius_sheriff": True,
        "cius_sheriff_balanced": True,
        "city_sc": True,
        "nc_county": True,
    }
    assert read_manifest(written["nc_county"]).rules["base_panel"] == "cius_county"


def test_mistyped_option_is_named(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["data", "--raww", "x"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "'--raww'" in err and "did you mean --raw" in err
    with pytest.raises(SystemExit):
        cli.main(["data", "build", "--min-populaton", "5"])
    assert "'--min-populaton'" in capsys.readouterr().err


def test_every_data_option_has_help():
    data = next(
        p for p in cli._subparsers(cli.parser()) if p.prog.endswith("enforcement_crime data")
    )
    parsers = cli._subparsers(data)
    assert {p.prog.rsplit(" ", 1)[-1] for p in parsers} == {"data", "status", "fetch", "build"}
    for p in parsers:
        for action in p._actions:
            if action.dest in ("help", "action"):
                continue
            assert action.help, f"{p.prog}: {action.option_strings or action.dest} has no help"


@pytest.mark.parametrize(
    ("err", "words"),
    [
        (errno.ENOSPC, "No space left on device"),
        (errno.EROFS, "Read-only file system"),
    ],
    ids=["disk-full", "read-only"],
)
def test_a_write_failure_ends_in_one_line_and_keeps_the_folder(
    built, monkeypatch, capsys, err, words
):
    raw, out = built
    before = _snapshot(out)
    real = manifest._write_temps
    calls = []

    def fails_on_second_panel(df, m, path, *rest):
        calls.append(path.name)
        if len(calls) == 2:
            path.with_name(f".{path.name}.1-0123abcd.tmp").write_bytes(b"PAR")  # cut short
            raise OSError(err, os.strerror(err), str(path))
        return real(df, m, path, *rest)

    monkeypatch.setattr(manifest, "_write_temps", fails_on_second_panel)
    assert _cli(raw, out, monkeypatch=monkeypatch) == 1
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in captured.err
    assert lines[0].startswith("data build: FAILED") and words in lines[0]
    assert str(out) in lines[0]  # the file that could not be written
    assert _snapshot(out) == before
