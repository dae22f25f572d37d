"""The multiverse ``panels`` list: refused where it cannot apply, a misspelled name is an error."""

from __future__ import annotations

import pytest

from enforcement_crime import multiverse as mv


@pytest.fixture(scope="module")
def sample():
    """The SC county design on the built-in SYNTHETIC panel."""
    from enforcement_crime import designs
    from enforcement_crime.synthetic import make_panel

    design = designs.get("sc_county").with_options(outcomes=("index_rate",))
    return design.prepare(make_panel(), data_source="synthetic", label="SYNTHETIC DATA")


def test_panels_under_the_moderate_grid_are_refused_not_ignored(sample):
    with pytest.raises(ValueError) as err:
        mv.plan_grid(sample, "moderate", panels=["cius_county"])
    text = str(err.value)
    assert "research grid only" in text and "'synthetic'" in text and "grid_scale" in text
    # the sample's own panel named alone is what the moderate grid does anyway
    plan = mv.plan_grid(sample, "moderate", panels=["synthetic"], estimator=["twfe"])
    assert set(plan.grid["panel"]) == {"synthetic"}


@pytest.mark.parametrize("scale", ["moderate", "research"])
def test_a_misspelled_panel_is_an_error_naming_the_closest(sample, scale):
    with pytest.raises(ValueError, match=r"unknown panel 'cius_conty'.*did you mean 'cius_county'"):
        mv.plan_grid(sample, scale, panels=["synthetic", "cius_conty"])


def test_the_hint_for_a_panel_not_built_names_a_command_that_exists(tmp_path, monkeypatch):
    from enforcement_crime import cli, config

    monkeypatch.setattr(config, "processed_dir", lambda: tmp_path)
    _, notes = mv.available_panels(["cius_sheriff"])
    command = notes[0].split("(python -m enforcement_crime ")[1].rstrip(")").split()
    assert command == ["data", "build", "cius_sheriff"]
    args = cli.parse(command)  # the hint parses as a command line
    assert args.command == "data" and args.action == "build" and args.panels == ["cius_sheriff"]
