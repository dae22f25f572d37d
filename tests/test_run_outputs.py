"""Where notebook runs write: parameter runs into their own folder, failed runs keep the last good
notebook, and running notebooks leaves a git checkout's tracked files unchanged.

A tiny project (two notebooks using ``OutputLog``, the repository's ``.gitignore``) is made a git
checkout in a temporary folder; real kernels execute its notebooks through the runner.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from enforcement_crime import notebooks, reports

REPO = Path(__file__).resolve().parents[1]

NOTEBOOK = """# %% tags=["parameters"]
seed = 1
label = "{name}"

# %%
from pathlib import Path

import pandas as pd

from enforcement_crime import reports

if Path("FAIL").exists():
    raise RuntimeError("asked to fail")
log = reports.OutputLog("demo", "notebooks/demo/{name}.py", True, f"SYNTHETIC DATA (seed {{seed}})")
log.table(pd.DataFrame({{"seed": [seed], "label": [label]}}), "tab_demo_{short}", description="seed")
print(log.finish())
"""


def _git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=test", "-c", "user.email=test@example.org", *args],
        cwd=root, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip


@pytest.fixture
def checkout(tmp_path, monkeypatch):
    """A git checkout of a two-notebook project whose tracked OUTPUTS.md lists both (committed)."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    root = tmp_path / "project"
    (root / "notebooks" / "demo").mkdir(parents=True)
    for name, short in (("01-first", "first"), ("02-second", "second")):
        text = NOTEBOOK.format(name=name, short=short)
        (root / "notebooks" / "demo" / f"{name}.py").write_text(text)
    shutil.copy(REPO / ".gitignore", root / ".gitignore")
    monkeypatch.setenv("ENFORCEMENT_CRIME_ROOT", str(root))
    monkeypatch.delenv("ENFORCEMENT_CRIME_REPORTS", raising=False)
    _git(root, "init", "-q")
    notebooks.run_all(html=False, jobs=1)  # the full default run writes the map of both
    md = (root / "reports" / "OUTPUTS.md").read_text()
    assert "notebooks/demo/01-first.py" in md and "notebooks/demo/02-second.py" in md
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "project with its output map")
    return root


def _status(root: Path) -> str:
    return _git(root, "status", "--porcelain", "--untracked-files=all")


@pytest.mark.notebooks
def test_runs_leave_tracked_files_alone_and_parameter_runs_get_their_own_folder(checkout):
    root = checkout
    assert _status(root) == ""
    # a fresh clone: nothing generated is present (only tracked files), then one notebook runs
    _git(root, "clean", "-q", "-fdX")
    assert not (root / "reports" / "notebooks").exists()
    notebooks.run_all(pattern="demo/01", html=False, jobs=1)
    assert _status(root) == "", "a partial run changed tracked files (OUTPUTS.md lost a section?)"
    canonical = root / "reports" / "tables" / "demo" / "tab_demo_first.csv"
    before = canonical.read_bytes()
    # a run with non-default parameters: its own folder, the canonical outputs untouched
    runs = notebooks.run_all(pattern="demo/01", parameters={"seed": 5}, html=True, jobs=1)
    folder = runs[0].folder
    assert folder is not None and folder.parent == (root / "reports" / "runs").resolve()
    assert folder.name.startswith("demo__01-first--seed-5--")
    assert canonical.read_bytes() == before
    assert pd.read_csv(folder / "tables" / "demo" / "tab_demo_first.csv")["seed"].tolist() == [5]
    assert runs[0].output.resolve() == folder / "notebooks" / "demo" / "01-first.ipynb"
    assert runs[0].output.is_file() and runs[0].html.is_file()
    assert json.loads((folder / "parameters.json").read_text()) == {
        "notebook": "notebooks/demo/01-first.py",
        "parameters": {"seed": 5},
    }
    assert "tab_demo_first" in (folder / "OUTPUTS.md").read_text()
    # the same values reuse the folder, other values get another
    assert notebooks.run_folder(root / "notebooks/demo/01-first.py", {"seed": 5}) == folder
    assert notebooks.run_folder(root / "notebooks/demo/01-first.py", {"seed": 6}) != folder
    assert _status(root) == ""
    # passing a default value is a default run
    assert not notebooks.is_parameter_run(root / "notebooks/demo/01-first.py", {"seed": 1})


@pytest.mark.notebooks
def test_a_parameter_file_runs_into_its_own_folder(checkout):
    root = checkout
    (root / "params").mkdir()
    spec = root / "params" / "demo-seed-9.yaml"
    spec.write_text("# notebook: notebooks/demo/02-second.py\nseed: 9\n")
    tracked_md = (root / "reports" / "OUTPUTS.md").read_bytes()
    run = notebooks.run_param_file(spec, html=False)
    assert run.folder.name.startswith("demo__02-second--demo-seed-9--")
    assert run.output.is_relative_to(run.folder)
    assert (run.folder / "tables" / "demo" / "tab_demo_second.csv").is_file()
    assert (root / "reports" / "OUTPUTS.md").read_bytes() == tracked_md
    assert not (root / "reports" / "notebooks" / "demo" / "02-second--demo-seed-9.ipynb").exists()
    _git(root, "add", "params")
    _git(root, "commit", "-q", "-m", "parameter file")
    assert _status(root) == ""


@pytest.mark.notebooks
def test_a_failed_run_keeps_the_last_good_notebook(checkout):
    root = checkout
    good = root / "reports" / "notebooks" / "demo" / "01-first.ipynb"
    before = good.read_bytes()
    (root / "FAIL").write_text("")
    with pytest.raises(Exception, match="asked to fail"):
        notebooks.execute_notebook(root / "notebooks" / "demo" / "01-first.py", html=False)
    assert good.read_bytes() == before
    failed = good.with_name("01-first.failed.ipynb")
    assert "asked to fail" in failed.read_text()
    (root / "FAIL").unlink()
    notebooks.execute_notebook(root / "notebooks" / "demo" / "01-first.py", html=False)
    assert not failed.exists() and good.read_bytes() == before


def test_merge_keeps_sections_of_notebooks_not_run_here(tmp_path):
    """``write_outputs_md(merge=True)`` on a folder holding no record keeps the existing map."""
    (tmp_path / "notebooks" / "demo").mkdir(parents=True)
    (tmp_path / "notebooks" / "demo" / "01-first.py").write_text("")
    out = tmp_path / "reports" / "OUTPUTS.md"
    section = [
        "## `notebooks/demo/01-first.py`", "", "Source: x.", "",
        "| output | kind | files | what it shows |", "|---|---|---|---|",
        "| `tab_demo_first` | table | [csv](tables/demo/tab_demo_first.csv) | seed |", "",
    ]  # fmt: skip
    gone = ["## `notebooks/demo/09-removed.py`", "", "| `tab_demo_gone` | table | x | y |", ""]
    other = [
        "## Other outputs (by folder)", "", "| output | files | notebooks of that study folder |",
        "|---|---|---|", "| `fig_teaching_05_size` | [csv](figures/teaching/fig_teaching_05_size.csv) | t |",
        "",
    ]  # fmt: skip
    out.parent.mkdir()
    out.write_text("# head\n\n" + "\n".join(section + gone + other))
    reports.write_outputs_md(tmp_path / "reports", project_root=tmp_path, merge=True)
    text = out.read_text()
    assert "\n".join(section) in text  # kept: its source exists, no record here
    assert "09-removed" not in text  # dropped: its source is gone
    assert "fig_teaching_05_size" in text
    reports.write_outputs_md(tmp_path / "reports", project_root=tmp_path)  # no merge: what is here
    assert "tab_demo_first" not in out.read_text()
