"""Every notebook file the suite writes opens in JupyterLab (with jupytext) and in plain Jupyter.

The files are opened through the contents manager JupyterLab's server uses
here: jupytext's, built on jupyter_server's ``LargeFileManager`` (as the
jupytext server extension does). A generated ``.ipynb`` that kept the
``.py`` source's ``formats: py:percent`` is refused by it ("Unable to read
paired notebook ... matches none of the export formats"). Plain Jupyter
is ``nbformat.validate``.

The notebooks are tiny ones written here (a study-like notebook and a
teaching notebook with one exercise and its checked solution), so each
kernel run takes seconds.
"""

from __future__ import annotations

import nbformat
import pandas as pd
import pytest

from enforcement_crime import notebooks, teaching

HEADER = """# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---
"""

STUDY = (
    HEADER
    + """
# %% [markdown]
# # A tiny study

# %% tags=["parameters"]
seed = 1

# %%
print("seed", seed)
"""
)

LESSON = (
    HEADER
    + """
# %% [markdown]
# # A tiny lesson

# %% tags=["parameters"]
interactive = True

# %% tags=["exercise"]
answer = ...  # 1 + 1

# %% tags=["solution"]
from enforcement_crime.teaching import check

answer = 1 + 1
check("sum", answer, 2, 0.5, "integers add exactly")

# %% tags=["self-check"]
from enforcement_crime.teaching import answered, near, self_check

self_check("the sum", lambda: near(answered(answer), 2, 0.5, "your answer"), "add 1 and 1")
"""
)


def lab_contents_manager(root):
    """The contents manager of the project's JupyterLab server (jupytext's), rooted at ``root``."""
    from jupyter_server.services.contents.largefilemanager import LargeFileManager
    from jupytext.sync_contentsmanager import build_sync_jupytext_contents_manager_class

    return build_sync_jupytext_contents_manager_class(LargeFileManager)(root_dir=str(root))


def assert_opens(path, root):
    """``path`` opens as a notebook in Lab (jupytext) and is a valid plain notebook."""
    model = lab_contents_manager(root).get(str(path.relative_to(root)))
    assert model["type"] == "notebook" and model["content"].cells, path
    if path.suffix == ".ipynb":
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        assert "formats" not in nb.metadata.get("jupytext", {}), path


def test_the_check_sees_the_pairing_error(tmp_path):
    """Control: an .ipynb that keeps the source's ``formats: py:percent`` is refused."""
    import jupytext

    src = tmp_path / "study.py"
    src.write_text(STUDY)
    nbformat.write(jupytext.read(src), tmp_path / "paired.ipynb")
    with pytest.raises(Exception, match="Unable to read paired notebook"):
        assert_opens(tmp_path / "paired.ipynb", tmp_path)


def test_to_notebook_keeps_no_pairing(tmp_path):
    src = tmp_path / "study.py"
    src.write_text(STUDY)
    nb = notebooks.to_notebook(src)
    assert "jupytext" not in nb.metadata
    nbformat.write(nb, tmp_path / "study.ipynb")
    assert_opens(tmp_path / "study.ipynb", tmp_path)


@pytest.mark.notebooks
def test_executed_notebooks_open_in_lab(tmp_path, monkeypatch):
    monkeypatch.setenv("ENFORCEMENT_CRIME_REPORTS", str(tmp_path / "reports"))
    src = tmp_path / "study.py"
    src.write_text(STUDY)
    run = notebooks.execute_notebook(src, tmp_path / "reports" / "study.ipynb", html=False)
    assert_opens(run.output, tmp_path)
    # an .ipynb source that carries a pairing: the executed copy does not keep it
    import jupytext

    nbformat.write(jupytext.read(src), tmp_path / "paired.ipynb")
    run = notebooks.execute_notebook(
        tmp_path / "paired.ipynb", tmp_path / "reports" / "from-ipynb.ipynb", html=False
    )
    assert_opens(run.output, tmp_path)


@pytest.mark.notebooks
def test_student_and_instructor_copies_open_in_lab(tmp_path, monkeypatch):
    monkeypatch.setenv("ENFORCEMENT_CRIME_REPORTS", str(tmp_path / "reports"))
    (tmp_path / "lessons").mkdir()
    (tmp_path / "lessons" / "01-tiny.py").write_text(LESSON)
    (b,) = teaching.build_teaching(
        root=tmp_path / "lessons", out=tmp_path / "teaching", html=False, jobs=1
    )
    assert b.checks == 1
    for path in (b.student_ipynb, b.student_py, b.instructor):
        assert_opens(path, tmp_path)


OUTPUTS = (
    HEADER
    + """
# %%
import pandas as pd

from enforcement_crime import reports

log = reports.OutputLog("demo", "notebooks/demo/01-outputs.py", True, "SYNTHETIC DATA")
table = pd.DataFrame({"outcome": ["a", "b"], "estimate": [0.125, -2.5]})
log.table(table, "tab_demo_outputs", description="two rows")
log.value("answer", 0.375)
table
"""
)


@pytest.mark.notebooks
def test_output_log_draws_no_json_tree_and_its_numbers_can_still_be_read(tmp_path, monkeypatch):
    """log.table/log.value show plain text only; notebook_tables/values still read the numbers."""
    from enforcement_crime import reports

    monkeypatch.setenv("ENFORCEMENT_CRIME_REPORTS", str(tmp_path / "reports"))
    src = tmp_path / "outputs.py"
    src.write_text(OUTPUTS)
    run = notebooks.execute_notebook(src, tmp_path / "outputs.ipynb", html=False)
    nb = nbformat.read(run.output, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    mimes = {m for o in outputs for m in o.get("data", {})}
    # JupyterLab draws application/json (and any +json type but widgets) as a JSON tree
    trees = {m for m in mimes if m.endswith("json") and "widget" not in m}
    assert not trees, f"an output Lab would draw as a JSON tree: {sorted(trees)}"
    assert "text/html" in mimes, "the table itself is still shown"
    texts = "".join(str(o.get("data", {}).get("text/plain", "")) for o in outputs)
    assert "saved tab_demo_outputs" in texts and "answer = 0.375" in texts
    # what read the JSON outputs still works, and agrees with the exported CSV
    tables = reports.notebook_tables(run.output)
    csv = pd.read_csv(tmp_path / "reports" / "tables" / "demo" / "tab_demo_outputs.csv")
    assert tables["tab_demo_outputs"]["estimate"].tolist() == [0.125, -2.5]
    assert csv["estimate"].tolist() == tables["tab_demo_outputs"]["estimate"].tolist()
    assert reports.notebook_values(run.output) == {"answer": 0.375}
