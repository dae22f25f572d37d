"""The panel registry: the built-in panels of ``PANEL_MODULES``, and a toy panel picked up by build and status."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pandas as pd
import pytest

from enforcement_crime.panels import commands, registry
from enforcement_crime.panels.context import BuildContext
from enforcement_crime.panels.manifest import Manifest, read_manifest
from enforcement_crime.panels.runner import BuildError
from enforcement_crime.panels.spec import Built, MissingInputs, PanelSpec


def test_builtin_panels_are_the_modules_of_panel_modules():
    specs = registry.panels()
    assert set(specs) == {
        "cius_county",
        "cius_county_constant",
        "cius_sheriff",
        "cius_sheriff_balanced",
        "kaplan_county",
        "icpsr_county",
        "icpsr_arrests",
        "city_sc",
        "nc_county",
        "nc_agency",
    }
    for name, spec in specs.items():
        mod = __import__(f"enforcement_crime.panels.{name}", fromlist=["SPEC"])
        assert mod.SPEC is spec and spec.name == name and spec.description
    assert specs["cius_county"].approximation and not specs["kaplan_county"].approximation
    assert tuple(specs) == registry.PANEL_MODULES  # one panel per module, in the tuple's order


def test_panel_modules_lists_every_module_that_defines_a_spec():
    """A panel module left out of the explicit tuple (or a stale entry) is caught here."""
    folder = Path(registry.__file__).parent
    with_spec = set()
    for info in pkgutil.iter_modules([str(folder)]):
        mod = importlib.import_module(f"enforcement_crime.panels.{info.name}")
        if isinstance(getattr(mod, "SPEC", None), PanelSpec):
            with_spec.add(info.name)
    assert len(set(registry.PANEL_MODULES)) == len(registry.PANEL_MODULES), "a module listed twice"
    missing = sorted(with_spec - set(registry.PANEL_MODULES))
    stale = sorted(set(registry.PANEL_MODULES) - with_spec)
    assert not missing, f"modules with a SPEC not in registry.PANEL_MODULES: {missing}"
    assert not stale, f"registry.PANEL_MODULES names modules without a SPEC: {stale}"


def test_a_listed_module_without_a_spec_is_refused(monkeypatch):
    monkeypatch.setattr(registry, "PANEL_MODULES", (*registry.PANEL_MODULES, "states"))
    monkeypatch.setattr(registry, "_BUILTIN", None)
    with pytest.raises(
        TypeError, match=r"enforcement_crime\.panels\.states .*no module-level SPEC"
    ):
        registry.panels()


def test_a_context_without_a_resolver_says_so():
    ctx = BuildContext(files={})
    with pytest.raises(RuntimeError, match="no resolver to find panel 'kaplan_county'"):
        ctx.panel("kaplan_county")
    ctx = BuildContext(files={}, resolve=registry.get)
    assert ctx.spec("kaplan_county") is registry.get("kaplan_county")


def test_buildable_follows_needs_alternatives_and_bases():
    cius = {"fbi_cius", "leaic", "census_population"}
    nc = registry.get("nc_county")
    city = registry.get("city_sc")
    get = registry.get
    assert nc.buildable(cius, get) and city.buildable(cius, get)
    assert not nc.buildable({"fbi_cius", "leaic"}, get)  # cius_county needs the population too
    assert city.buildable({"ucr_kaplan"}, get) and not city.buildable({"fbi_cius"}, get)
    assert nc.buildable({"ucr_icpsr_county"}, get)
    assert {"fbi_cius", "ucr_kaplan", "secure_communities"} <= set(nc.sources_used(get))


def _toy_build(ctx):
    """North Carolina rows of kaplan_county, 2006 only: a panel made from another one."""
    ctx.require("toy_nc_2006", "ucr_kaplan")
    base = ctx.panel("kaplan_county")
    df = base.panel[(base.panel["state"] == "NC") & (base.panel["year"] == 2006)]
    m = Manifest(panel="toy_nc_2006", unit="county-year", rows_in=len(base.panel))
    m.drop("not North Carolina 2006", len(base.panel) - len(df))
    m.rows_out = len(df)
    return Built(df.reset_index(drop=True), m, base.sources)


@pytest.fixture
def toy():
    spec = registry.register(
        PanelSpec(
            name="toy_nc_2006",
            needs=("ucr_kaplan", "census_population"),
            build=_toy_build,
            description="toy: NC counties in 2006",
        )
    )
    missing = registry.register(
        PanelSpec(
            name="toy_needs_nc_sbi",
            needs=("nc_sbi",),
            build=lambda ctx: (_ for _ in ()).throw(MissingInputs("never built")),
            description="toy: needs the NC SBI file",
        )
    )
    yield spec, missing
    registry.unregister("toy_nc_2006")
    registry.unregister("toy_needs_nc_sbi")


def test_a_registered_panel_is_built_and_listed(toy, tmp_path, raw_from_fixtures):
    out = tmp_path / "processed"
    lines: list[str] = []
    written = commands.build(
        raw=raw_from_fixtures, folder=out, accept_changed_raw=True, out=lines.append
    )
    assert "toy_nc_2006" in written and "toy_needs_nc_sbi" not in written
    assert any(ln.startswith("skipped toy_needs_nc_sbi: needs nc_sbi") for ln in lines)
    toy = read_manifest(written["toy_nc_2006"])
    kaplan = read_manifest(written["kaplan_county"])
    base = pd.read_parquet(written["kaplan_county"])
    expect = base[(base["state"] == "NC") & (base["year"] == 2006)]
    assert toy.rows_out == len(expect) > 0
    assert toy.rows_out + toy.dropped["not North Carolina 2006"] == kaplan.rows_out
    pd.testing.assert_frame_equal(
        pd.read_parquet(written["toy_nc_2006"]), expect.reset_index(drop=True)
    )
    assert not toy.approximation and "ucr_kaplan" in toy.rules["sources_read"]

    status_lines: list[str] = []
    commands.status(raw_from_fixtures, out=status_lines.append, folder=out)
    by = {ln.split()[0]: ln for ln in status_lines if ln.startswith("  toy_")}
    assert "inputs present; built" in by["toy_nc_2006"]
    assert "inputs missing; not built" in by["toy_needs_nc_sbi"]
    assert "(needs nc_sbi)" in by["toy_needs_nc_sbi"]
    with pytest.raises(BuildError, match="toy_needs_nc_sbi.*nc_sbi"):
        commands.build(["toy_needs_nc_sbi"], raw=raw_from_fixtures, folder=out)


def test_register_refuses_a_taken_name():
    spec = registry.get("nc_county")
    with pytest.raises(ValueError, match="already registered"):
        registry.register(spec)
    with pytest.raises(KeyError, match="not added by register"):
        registry.unregister("nc_county")
