"""The one command line: its help, its examples, and what each command hands to the code doing the work.

The working functions are replaced by recorders here; their own tests cover the work.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
import tomllib

import pytest

from enforcement_crime import cli, config

COMMANDS = {"data", "notebooks", "real", "teaching", "lab", "synthetic"}
PARSERS = cli._subparsers(cli.parser())


def _examples(p) -> list[str]:
    lines = (p.epilog or "").splitlines()
    assert lines and lines[0] == "examples:", f"{p.prog}: no examples in --help"
    return [ln.split("  #")[0].strip() for ln in lines[1:] if ln.strip()]


def test_one_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for command in COMMANDS:
        assert f"\n    {command} " in out or f"\n    {command}\n" in out, command
    top = PARSERS[0]
    assert set(top._subparsers._group_actions[0].choices) == COMMANDS


@pytest.mark.parametrize("p", PARSERS, ids=[p.prog.split(" ", 2)[-1] for p in PARSERS])
def test_every_help_has_examples_that_parse(p):
    examples = _examples(p)
    path = p.prog.split()[3:]  # the command words after "python -m enforcement_crime"
    assert any(shlex.split(e)[3 : 3 + len(path)] == path for e in examples), (
        f"{p.prog}: no example of this command"
    )
    for example in examples:
        words = shlex.split(example)
        assert words[:3] == ["python", "-m", "enforcement_crime"], example
        cli.parse(words[3:])  # exits (status 2) on an example that does not parse


@pytest.mark.parametrize("p", PARSERS, ids=[p.prog.split(" ", 2)[-1] for p in PARSERS])
def test_every_option_has_help(p):
    assert p.description, f"{p.prog}: no description"
    for action in p._actions:
        if action.dest in ("help", "command", "action"):
            continue
        assert action.help, f"{p.prog}: {action.option_strings or action.dest} has no help"


def test_module_and_console_script_run_the_same_main():
    scripts = tomllib.loads((config.project_root() / "pyproject.toml").read_text())["project"][
        "scripts"
    ]
    assert scripts == {"enforcement-crime": "enforcement_crime.cli:main"}
    done = subprocess.run(
        [sys.executable, "-m", "enforcement_crime", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and "examples:" in done.stdout
    assert all(c in done.stdout for c in COMMANDS)


def test_a_mistyped_option_is_named_with_the_closest_one(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["notebooks", "run", "--onyl", "287g"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "'--onyl'" in err and "did you mean --only?" in err
    with pytest.raises(SystemExit) as exc:
        cli.main(["notebook", "run"])
    assert exc.value.code == 2
    assert "invalid choice: 'notebook'" in capsys.readouterr().err


# --------------------------------------------------------------------------------------
# -p NAME VALUE
# --------------------------------------------------------------------------------------

DEFAULTS = [
    {"preset": "null", "seed": 7, "alpha": 0.05, "anything": None, "alt_panels": []},
    {"preset": "dynamic", "outcomes": ["violent_rate"]},
]


@pytest.mark.parametrize(
    "name, text, value",
    [
        ("preset", "null", "null"),  # a string parameter keeps the text, even JSON-looking
        ("preset", "3", "3"),
        ("preset", '"dynamic"', "dynamic"),  # a JSON string is decoded
        ("seed", "3", 3),
        ("seed", "abc", "abc"),  # left for the runner to refuse, naming the expected type
        ("alpha", "0.1", 0.1),
        ("anything", "null", None),  # default None: JSON null is None
        ("alt_panels", '["cius_county", "city_sc"]', ["cius_county", "city_sc"]),
        ("outcomes", "[]", []),
        ("not_defined", "true", True),  # unknown names keep JSON typing; the runner refuses them
    ],
)
def test_parameter_values_follow_the_notebook_types(name, text, value):
    got = cli.parse_parameters([(name, text)], DEFAULTS)[name]
    assert got == value and type(got) is type(value)


def test_a_name_that_is_a_string_in_one_notebook_only_is_parsed_as_json():
    mixed = [{"x": "a"}, {"x": 1}]
    assert cli.parse_parameters([("x", "1")], mixed) == {"x": 1}


TINY = """# %% tags=["parameters"]
data_source = "synthetic"
preset = "null"
seed = 7

# %%
print(preset, seed)
"""


@pytest.fixture
def tiny_project(tmp_path, monkeypatch):
    (tmp_path / "notebooks" / "demo").mkdir(parents=True)
    (tmp_path / "notebooks" / "demo" / "01-tiny.py").write_text(TINY)
    monkeypatch.setenv("ENFORCEMENT_CRIME_ROOT", str(tmp_path))
    monkeypatch.setenv("ENFORCEMENT_CRIME_REPORTS", str(tmp_path / "reports"))
    return tmp_path


def test_notebooks_run_hands_typed_parameters_to_the_runner(tiny_project, monkeypatch):
    from enforcement_crime import notebooks

    calls = []
    monkeypatch.setattr(notebooks, "run_all", lambda **kw: calls.append(kw))
    argv = ["notebooks", "run", "--only", "demo", "-p", "preset", "null", "-p", "seed", "3"]
    assert cli.main([*argv, "--no-html", "--jobs", "1"]) == 0
    assert calls == [
        {"pattern": "demo", "parameters": {"preset": "null", "seed": 3}, "html": False, "jobs": 1}
    ]
    assert type(calls[0]["parameters"]["seed"]) is int


def test_notebooks_run_refuses_a_wrong_type_before_any_kernel(tiny_project, monkeypatch, capsys):
    import papermill

    monkeypatch.setattr(papermill, "execute_notebook", lambda *a, **k: pytest.fail("kernel"))
    assert cli.main(["notebooks", "run", "-p", "seed", "null"]) == 2
    assert "parameter 'seed' must be int like its default 7, got NoneType None" in (
        capsys.readouterr().err
    )


# --------------------------------------------------------------------------------------
# what real, teaching and lab hand over
# --------------------------------------------------------------------------------------


def test_real_options(monkeypatch):
    from enforcement_crime import real

    calls = []
    monkeypatch.setattr(real, "run", lambda **kw: calls.append(kw) or 0)
    assert cli.main(["real", "--shared", "--only", "sc_county", "nc_287g", "--no-html"]) == 0
    assert cli.main(["real", "--no-build", "--readme", "--jobs", "1"]) == 0
    assert calls == [
        {"shared": True, "build": True, "only": ["sc_county", "nc_287g"], "readme": False,
         "html": False, "jobs": None},
        {"shared": False, "build": False, "only": None, "readme": True, "html": True, "jobs": 1},
    ]  # fmt: skip


def test_teaching_options_and_a_refused_build(monkeypatch, capsys):
    from enforcement_crime import teaching

    calls = []
    monkeypatch.setattr(teaching, "build_teaching", lambda **kw: calls.append(kw))
    assert cli.main(["teaching", "--only", "04", "--no-execute", "--no-html"]) == 0
    assert calls == [{"pattern": "04", "execute": False, "html": False, "jobs": None}]

    def refuse(**kw):
        raise FileNotFoundError("no teaching notebooks matching 'zz'")

    monkeypatch.setattr(teaching, "build_teaching", refuse)
    assert cli.main(["teaching", "--only", "zz"]) == 2
    assert "teaching: no teaching notebooks matching 'zz'" in capsys.readouterr().err


def test_lab_passes_every_argument_to_jupyterlab(monkeypatch, capsys):
    from enforcement_crime import teaching

    calls = []
    monkeypatch.setattr(
        teaching,
        "start_lab",
        lambda extra, student=False: calls.append((list(extra), student)),
    )
    assert cli.main(["lab"]) == 0
    assert cli.main(["lab", "--no-browser", "--port", "8899", "--ServerApp.token="]) == 0
    assert cli.main(["lab", "--no-browser", "--student"]) == 0
    assert calls == [
        ([], False),
        (["--no-browser", "--port", "8899", "--ServerApp.token="], False),
        (["--no-browser"], True),
    ]
    with pytest.raises(SystemExit) as exc:
        cli.main(["lab", "--help"])
    out = capsys.readouterr().out
    assert exc.value.code == 0 and "JUPYTER_ARG" in out and "--student" in out
    assert len(calls) == 3


def test_a_student_lab_without_student_copies_names_the_command(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("ENFORCEMENT_CRIME_REPORTS", str(tmp_path))
    assert cli.main(["lab", "--student"]) == 1
    err = capsys.readouterr().err
    assert "no student copies" in err and "teaching --no-execute" in err
