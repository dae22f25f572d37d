"""Every notebook executes from a clean state on the built-in data and writes its outputs.

Each notebook runs in a fresh kernel with reports redirected to a temporary
folder (``ENFORCEMENT_CRIME_REPORTS``), so nothing left over from an earlier
run can make a notebook pass.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import numpy as np
import pytest

from enforcement_crime import config, notebooks

SOURCES = notebooks.discover(exclude=("teaching",))


@pytest.mark.notebooks
@pytest.mark.parametrize(
    "source", SOURCES, ids=[str(p.relative_to(config.notebooks_dir())) for p in SOURCES]
)
def test_notebook_executes_from_clean_state(source, tmp_path, monkeypatch):
    monkeypatch.setenv("ENFORCEMENT_CRIME_REPORTS", str(tmp_path))
    run = notebooks.execute_notebook(
        source, output=tmp_path / "nb" / (source.stem + ".ipynb"), html=True
    )
    assert run.output.is_file() and run.html.is_file()
    import nbformat

    nb = nbformat.read(run.output, as_version=4)
    errors = [
        o
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    assert not errors
    assert any("parameters" in c.metadata.get("tags", []) for c in nb.cells), (
        "no papermill parameters cell"
    )
    written = list((tmp_path / "figures").rglob("*.pdf")) + list(
        (tmp_path / "tables").rglob("*.csv")
    )
    assert written, f"{source.name} wrote no figure or table"
    for pdf in (tmp_path / "figures").rglob("*.pdf"):
        for ext in (".png", ".csv"):
            assert pdf.with_suffix(ext).stat().st_size > 0
    # the output map (OutputLog records, from which OUTPUTS.md is written) against the files on
    # disk and the notebook's source: every recorded file exists and every output name is in the source
    import json

    code = source.read_text()
    for rec_path in (tmp_path / "notebooks" / "_outputs").glob("*.json"):
        rec = json.loads(rec_path.read_text())
        assert (config.project_root() / rec["notebook"]).resolve() == source.resolve()
        for e in rec["outputs"]:
            assert e["name"] in named_in(source, code), f"{source.name} does not name {e['name']}"
            for f in e["files"].values():
                assert Path(f).is_file() and Path(f).is_relative_to(tmp_path), f


def named_in(source: Path, code: str) -> set[str]:
    """The output names a notebook's source gives: written out (``"fig_..."``), through its design's
    ``design.output_name("fig", "...")``, or the names ``evidence.present(...)`` gives them."""
    import re

    from enforcement_crime import designs
    from enforcement_crime.designs import evidence

    names = set(re.findall(r"[\"']((?:fig|tab)_\w+)[\"']", code))
    # log.paper_table(results, "tab_x", ...) writes tab_x_regression
    for lit in re.findall(r"paper_table\([^\n]*?[\"'](tab_\w+)[\"']", code):
        names.add(lit if lit.endswith("_regression") else f"{lit}_regression")
    rel = source.resolve().relative_to(config.project_root().resolve()).as_posix()
    for key in designs.DESIGNS:
        d = designs.get(key)
        if d.notebook != rel:
            continue
        for kind, name in re.findall(r"design\.output_name\(\"(fig|tab)\", \"(\w+)\"\)", code):
            names.add(d.output_name(kind, name))
        # a paper table's file stem ends in _regression (reports.paper_table)
        for name in re.findall(r"paper_table\(.*?design\.output_name\(\"tab\", \"(\w+)\"\)", code):
            names.add(d.output_name("tab", name) + "_regression")
        if "evidence.present(" in code:
            names |= {d.output_name(*k.split("_", 1)) for k in evidence.PRESENTED}
            names |= {d.output_name("tab", k) for k in d.side_table_keys}
    return names


def test_named_in_reads_literal_and_design_names():
    """The helper of the output-name check: literal names, the notebook's design's output_name calls
    and evidence.present's names, and nothing else."""
    src = config.notebooks_dir() / "287g" / "01-estimate-nc-counties.py"
    code = 'log.table(t, "tab_demo_x")\nlog.figure(f, design.output_name("fig", "power"), d)\n'
    assert named_in(src, code) == {"tab_demo_x", "fig_287g_nc_power"}
    paper = 'log.paper_table([r], design.output_name("tab", "twfe"), description="d")\n'
    assert "tab_287g_nc_twfe_regression" in named_in(src, paper)
    got = named_in(src, code + "evidence.present(sample, log)\n")
    assert {"tab_287g_nc_robustness", "fig_287g_nc_robustness", "tab_287g_nc_reading"} <= got
    paper = 'log.paper_table(res, design.output_name("tab", "twfe"), description="x")\n'
    assert named_in(src, paper) == {"tab_287g_nc_twfe", "tab_287g_nc_twfe_regression"}
    other = config.notebooks_dir() / "methods" / "01-run-multiverse.py"
    assert named_in(other, code) == {"tab_demo_x"}  # not a design's notebook: no design names
    # every design's notebook exists under the name its Design declares
    from enforcement_crime import designs

    for key in designs.DESIGNS:
        assert (config.project_root() / designs.get(key).notebook).is_file(), key


def test_tour_notebook_is_found():
    assert any(p.name == "01-explore-default-panel.py" for p in SOURCES)


# --------------------------------------------------------------------------------------
# parameters: checked against the notebook's parameters cell before any kernel starts
# --------------------------------------------------------------------------------------

TINY = """# %% tags=["parameters"]
data_source = "synthetic"
seed = 7
first_year = 2004
alpha = 0.05
interactive = True
outcomes = ["violent_rate"]
case_studies = {"37119": "Mecklenburg"}
anything = None

# %%
print("seed", seed, "alpha", alpha)
"""


@pytest.fixture
def tiny_project(tmp_path, monkeypatch):
    """A project root with one tiny notebook and a params/ folder; papermill must not be reached."""
    (tmp_path / "notebooks" / "demo").mkdir(parents=True)
    (tmp_path / "notebooks" / "demo" / "01-tiny.py").write_text(TINY)
    (tmp_path / "params").mkdir()
    monkeypatch.setenv("ENFORCEMENT_CRIME_ROOT", str(tmp_path))
    monkeypatch.setenv("ENFORCEMENT_CRIME_REPORTS", str(tmp_path / "reports"))
    return tmp_path


@pytest.fixture
def no_kernel(monkeypatch):
    import papermill

    def refuse(*a, **k):
        raise AssertionError("a kernel was started although the parameters are invalid")

    monkeypatch.setattr(papermill, "execute_notebook", refuse)


def _param_file(root, name, body):
    path = root / "params" / name
    path.write_text("# notebook: notebooks/demo/01-tiny.py\n" + body)
    return path


def test_notebook_parameters_reads_the_defaults(tiny_project):
    d = notebooks.notebook_parameters(tiny_project / "notebooks" / "demo" / "01-tiny.py")
    assert d["seed"] == 7 and d["alpha"] == 0.05 and d["interactive"] is True
    assert d["outcomes"] == ["violent_rate"] and d["case_studies"] == {"37119": "Mecklenburg"}


@pytest.mark.parametrize(
    "body, message",
    [
        (
            "data_sorce: cius_county\n",
            r"unknown parameter 'data_sorce'; did you mean 'data_source'\?",
        ),
        ('seed: "abc"\n', r"parameter 'seed' must be int like its default 7, got str 'abc'"),
        ('first_year: "2004"\n', r"parameter 'first_year' must be int .* got str '2004'"),
        ("seed: 1.5\n", r"'seed' must be int"),
        ("seed: true\n", r"'seed' must be int .* got bool"),
        ("interactive: 1\n", r"'interactive' must be bool"),
        ("alpha: true\n", r"'alpha' must be a number"),
        ("outcomes: violent_rate\n", r"'outcomes' must be list"),
        ("case_studies: [1]\n", r"'case_studies' must be dict"),
        ("seed: 1\nalpha: 0.1\nseed: 2\n", r"key 'seed' appears twice \(lines 2 and 4\)"),
        (
            "case_studies:\n  '37119': a\n  '37119': b\n",
            r"key '37119' appears twice \(lines 3 and 4\)",
        ),
    ],
)
def test_bad_parameter_file_is_refused_before_the_kernel(tiny_project, no_kernel, body, message):
    path = _param_file(tiny_project, "bad.yaml", body)
    (entry,) = notebooks.param_files()
    assert entry["error"] and str(path) in entry["error"]
    import re

    assert re.search(message, entry["error"]), entry["error"]
    with pytest.raises(notebooks.ParameterError, match=message):
        notebooks.run_param_file(path)


def test_good_values_pass_validation(tiny_project):
    defaults = notebooks.notebook_parameters(tiny_project / "notebooks" / "demo" / "01-tiny.py")
    notebooks.validate_parameters(
        {"alpha": 1, "seed": 3, "outcomes": ["a"], "anything": "x", "interactive": False},
        defaults,
        where="t",
    )  # an int where a float is expected, anything where the default is None


def test_one_broken_file_does_not_hide_the_others(tiny_project, no_kernel):
    _param_file(tiny_project, "a-good.yaml", "seed: 3\n")
    _param_file(tiny_project, "b-malformed.yaml", "seed: [1,\n")
    (tiny_project / "params" / "c-noheader.yaml").write_text("seed: 3\n")
    _param_file(tiny_project, "d-list.yaml", "- 1\n- 2\n")
    entries = {e["path"].name: e for e in notebooks.param_files()}
    assert entries["a-good.yaml"]["error"] is None and entries["a-good.yaml"]["parameters"] == {
        "seed": 3
    }
    assert "not valid YAML" in entries["b-malformed.yaml"]["error"]
    assert "line 1 must be" in entries["c-noheader.yaml"]["error"]
    assert "expected a mapping" in entries["d-list.yaml"]["error"]
    with pytest.raises(notebooks.ParameterError, match="3 broken parameter file"):
        notebooks.param_files(strict=True)


def test_execute_notebook_validates_parameters(tiny_project, no_kernel):
    src = tiny_project / "notebooks" / "demo" / "01-tiny.py"
    with pytest.raises(notebooks.ParameterError, match="did you mean 'seed'"):
        notebooks.execute_notebook(src, tiny_project / "o.ipynb", {"sed": 3})
    with pytest.raises(notebooks.ParameterError, match="unknown parameter 'n_boot'"):
        notebooks.run_param_file(
            _param_file(tiny_project, "x.yaml", "seed: 3\n"), extra={"n_boot": 9}
        )


def test_cli_refuses_bad_parameters_and_missing_notebooks(tiny_project, no_kernel, capsys):
    from enforcement_crime.cli import main

    assert main(["notebooks", "run", "-p", "data_sorce", "cius_county"]) == 2
    err = capsys.readouterr().err
    assert (
        "unknown parameter 'data_sorce'; did you mean 'data_source'?" in err
        and "Traceback" not in err
    )
    assert main(["notebooks", "run", "-p", "seed", "abc"]) == 2
    assert (
        "parameter 'seed' must be int like its default 7, got str 'abc'" in capsys.readouterr().err
    )
    assert main(["notebooks", "run", "--only", "no-such-notebook"]) == 2
    assert "no notebooks found" in capsys.readouterr().err
    _param_file(tiny_project, "bad.yaml", "data_sorce: x\n")
    _param_file(tiny_project, "good.yaml", "seed: 1\n")
    assert main(["notebooks", "params"]) == 1
    out = capsys.readouterr()
    assert "good.yaml: ok" in out.out and "bad.yaml: BROKEN" in out.out and "1 broken" in out.err


# --------------------------------------------------------------------------------------
# panels: a run that would load a panel not built stops before any kernel starts
# --------------------------------------------------------------------------------------


def test_a_missing_panel_stops_the_run_in_one_line_before_a_kernel(tiny_project, no_kernel, capsys):
    from enforcement_crime.cli import main

    assert main(["notebooks", "run", "-p", "data_source", "nc_county"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert "panel 'nc_county' (data_source of notebooks/demo/01-tiny.py) is not built" in err
    assert "`python -m enforcement_crime data build nc_county`" in err
    # a mistyped panel name gets the close registered names
    assert main(["notebooks", "run", "-p", "data_source", "nc_conty"]) == 2
    assert "unknown panel 'nc_conty'" in (err := capsys.readouterr().err)
    assert "did you mean 'nc_county'" in err
    # a parameter file's panel is checked before its run too
    _param_file(tiny_project, "real.yaml", "data_source: cius_county\n")
    assert main(["notebooks", "params", "--run"]) == 2
    assert "panel 'cius_county'" in capsys.readouterr().err


def test_check_panels_reads_every_panel_parameter_and_accepts_built_ones(tiny_project):
    src = tiny_project / "notebooks" / "demo" / "01-tiny.py"
    assert notebooks.panel_parameters(
        {"data_source": "a", "nc_source": "", "alt_panels": ["b", "c"], "seed": 3}
    ) == {"data_source": ["a"], "alt_panels": ["b", "c"]}
    notebooks.check_panels({src: {}})  # the default: synthetic, built in
    with pytest.raises(notebooks.PanelMissing, match="panel 'cius_sheriff'"):
        notebooks.check_panels({src: {"data_source": "synthetic", "alt_panels": ["cius_sheriff"]}})
    processed = tiny_project / "data" / "processed"
    processed.mkdir(parents=True)
    (processed / "nc_county.parquet").write_bytes(b"")
    notebooks.check_panels({src: {"data_source": "nc_county"}})


def test_a_long_notebook_prints_a_heartbeat(tiny_project, monkeypatch, capsys):
    import time

    def slow(source, output=None, parameters=None, **kw):
        time.sleep(0.5)
        return notebooks.NotebookRun(Path(source), tiny_project / "x.ipynb", None, 0.5)

    monkeypatch.setattr(notebooks, "HEARTBEAT_SECONDS", 0.1)
    monkeypatch.setattr(notebooks, "execute_notebook", slow)
    notebooks.run_all(html=False, jobs=1)
    out = capsys.readouterr().out
    assert "[notebooks] demo/01-tiny.py ..." in out
    assert "[notebooks] demo/01-tiny.py still running (0 s)" in out
    assert out.index("still running") < out.index("demo/01-tiny.py: 0.5 s")


def test_cli_unknown_preset_is_a_clear_message(capsys):
    from enforcement_crime.cli import main

    assert main(["synthetic", "--preset", "nul"]) == 2
    err = capsys.readouterr().err
    assert "unknown --preset 'nul' (did you mean 'null'?)" in err and "Traceback" not in err


def test_every_parameter_file_in_the_repository_is_valid():
    entries = notebooks.param_files()
    assert entries, "no parameter files in params/"
    for e in entries:
        assert e["error"] is None, e["error"]
        assert "data_source" in e["parameters"]


# --------------------------------------------------------------------------------------
# quiet kernels
# --------------------------------------------------------------------------------------

WARNING = "without encryption"


@pytest.mark.notebooks
def test_kernels_do_not_print_the_tcp_encryption_warning(tiny_project, capfd, caplog):
    """The runner's kernels (IPC) are quiet; the same capture sees the warning from a TCP kernel."""
    import logging

    import papermill

    src = tiny_project / "notebooks" / "demo" / "01-tiny.py"
    with caplog.at_level(logging.DEBUG):
        run = notebooks.execute_notebook(src, tiny_project / "o.ipynb", {"seed": 11}, html=False)
    out, err = capfd.readouterr()
    assert WARNING not in out + err + caplog.text
    nb = nbformat.read(run.output, as_version=4)
    assert "seed 11" in "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert not list(tiny_project.rglob("*ipc*"))  # the sockets live in a private temporary folder
    # control: a default (TCP) kernel does print it where this test looks
    nbformat.write(notebooks.to_notebook(src), tiny_project / "in.ipynb")
    papermill.execute_notebook(str(tiny_project / "in.ipynb"), str(tiny_project / "tcp.ipynb"),
                               kernel_name="python3", progress_bar=False)  # fmt: skip
    out, err = capfd.readouterr()
    assert WARNING in out + err + caplog.text


# --------------------------------------------------------------------------------------
# params/287g-nc-synthetic-dynamic.yaml: the check it promises
# --------------------------------------------------------------------------------------


def test_synthetic_dynamic_param_file_recovers_the_true_effect():
    """The NC design on the dynamic-effects synthetic panel: Callaway-Sant'Anna's ATT covers the truth.

    Uses the parameter file's data source and preset, the notebook's seed and the design's years,
    state and rule (``designs.nc_287g.DESIGN``). The truth is the mean true effect
    (``g287_true_effect``, log points) over the treated county-years. The check is "within three
    standard errors" (a 99.7% band), not "inside the 95% interval": one draw of a 95% interval
    misses the truth one time in twenty, so that would fail for some seeds or generator versions
    without anything being wrong.
    """
    from enforcement_crime.designs.nc_287g import DESIGN
    from enforcement_crime.estimators import callaway_santanna
    from enforcement_crime.panels import load_panel
    from enforcement_crime.treatment import add_treatment

    (spec,) = [
        e for e in notebooks.param_files() if e["path"].name == "287g-nc-synthetic-dynamic.yaml"
    ]
    assert spec["error"] is None and spec["notebook"] == DESIGN.notebook
    defaults = notebooks.notebook_parameters(config.project_root() / spec["notebook"])
    p = {**defaults, **spec["parameters"]}
    assert p["data_source"] == "synthetic" and p["preset"] == "dynamic"
    raw = load_panel(p["data_source"], seed=p["seed"], preset=p["preset"])
    first, last = DESIGN.years
    nc = raw[raw["fips"].str.startswith(DESIGN.state_prefix) & raw["year"].between(first, last)]
    panel = add_treatment(nc, "g287_start", "g287_end", rule=DESIGN.rule, prefix="g287")
    # log(1 + rate), the designs' log convention (a county-year with no index crime stays finite);
    # the true effect is multiplicative on the rate, so it is (to within 1/rate) a shift in this log
    panel = panel.assign(log_index_rate=np.log1p(panel["index_rate"]))
    res = callaway_santanna(panel, "log_index_rate", "fips", "year", "g287_cohort")
    att = res.term("ATT(simple)")
    post = panel[(panel["g287_cohort"] > 0) & (panel["year"] >= panel["g287_cohort"])]  # 0 = never
    truth = float(post["g287_true_effect"].mean())
    assert truth < -0.03  # there is an effect to see
    assert abs(att["estimate"] - truth) <= 3 * att["std_error"], (
        att["estimate"],
        att["std_error"],
        truth,
    )
    assert att["std_error"] < abs(
        truth
    )  # and the design is not so noisy that any estimate would pass


FIGURE_NOTEBOOK = """# %% tags=["parameters"]
seed = 1

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from enforcement_crime import reports

x = np.random.default_rng(seed).normal(size=10)
fig, ax = plt.subplots()
ax.plot(x)
reports.save_figure(fig, "fig_demo_noise", pd.DataFrame({"x": x}), study="demo", synthetic=True)
plt.show()
print(x.sum())
"""


@pytest.mark.notebooks
def test_same_seed_gives_byte_identical_notebook_and_outputs(tmp_path, monkeypatch):
    """Issue 13: two runs with the same seed give identical executed notebooks, HTML, PDF, PNG and CSV."""
    src = tmp_path / "01-noise.py"
    src.write_text(FIGURE_NOTEBOOK)
    got = []
    for run in ("a", "b"):
        monkeypatch.setenv("ENFORCEMENT_CRIME_REPORTS", str(tmp_path / run))
        r = notebooks.execute_notebook(
            src, tmp_path / "nb" / "01-noise.ipynb", {"seed": 3}, cwd=tmp_path
        )
        files = {"ipynb": r.output.read_bytes(), "html": r.html.read_bytes()}
        for ext in ("pdf", "png", "csv"):
            files[ext] = (
                tmp_path / run / "figures" / "demo" / f"fig_demo_noise.{ext}"
            ).read_bytes()
        got.append(files)
    for kind in got[0]:
        assert got[0][kind] == got[1][kind], kind
    assert b"image/png" in got[0]["ipynb"]  # the inline figure is part of what is compared


def test_env_goes_to_the_kernel_not_to_this_process(tiny_project, monkeypatch):
    """``execute_notebook(env=...)`` hands the variables to the kernel manager (the kernel's
    environment, as a parameter run's folder is handed over), leaving ``os.environ`` alone."""
    import os

    import papermill

    seen = {}

    class Stop(Exception):
        pass

    def capture(*a, kernel_manager_class=None, **k):
        seen["manager"] = kernel_manager_class
        raise Stop

    monkeypatch.setattr(papermill, "execute_notebook", capture)
    src = tiny_project / "notebooks" / "demo" / "01-tiny.py"
    before = os.environ["ENFORCEMENT_CRIME_REPORTS"]
    with pytest.raises(Stop):
        notebooks.execute_notebook(src, tiny_project / "o.ipynb", html=False,
                                   env={"ENFORCEMENT_CRIME_REPORTS": "/elsewhere"})  # fmt: skip
    assert issubclass(seen["manager"], notebooks.IPCKernelManager)
    assert seen["manager"].extra_env == {"ENFORCEMENT_CRIME_REPORTS": "/elsewhere"}
    assert os.environ["ENFORCEMENT_CRIME_REPORTS"] == before
    with pytest.raises(Stop):  # without env (and folder) the plain manager: nothing added
        notebooks.execute_notebook(src, tiny_project / "o.ipynb", html=False)
    assert seen["manager"] is notebooks.IPCKernelManager and not seen["manager"].extra_env
