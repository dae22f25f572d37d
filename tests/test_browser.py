"""JupyterLab as a user meets it: `make lab`'s server, a `.py` notebook, Run All, output and figure;
and every kind of notebook the suite writes (an executed study notebook, a student copy and an
instructor copy) opens, runs a cell, and shows a figure and a table with no JSON tree.

The server is started with the same command and config as ``make lab``
(:func:`enforcement_crime.teaching.lab_command`) plus ``--no-browser``, a free
localhost port, a token and temporary runtime/settings folders; the page is
driven by Playwright in Debian's headless chromium (installed by the set-up
when missing and the test runs as root; never a Playwright download). Every
wait is bounded. The generated notebooks are made here from two tiny
notebooks (a study-like one and a lesson with one checked exercise), so no
suite notebook is run for them. Screenshots are written to ``tmp_path``.
"""

from __future__ import annotations

import re

import pytest
from browser.lab import CHROMIUM, CHROMIUM_ARGS, LabServer, ensure_chromium

from enforcement_crime import config

pytestmark = pytest.mark.browser

# a small, fast notebook of the suite, relative to the project root (the lab's root)
NOTEBOOK = "notebooks/tour/01-explore-default-panel.py"


@pytest.fixture(scope="module")
def chromium():
    reason = ensure_chromium()
    if reason:
        pytest.skip(reason)
    return str(CHROMIUM)


@pytest.fixture
def lab(tmp_path, chromium):
    server = LabServer(
        tmp_path / "lab", env={"ENFORCEMENT_CRIME_REPORTS": str(tmp_path / "reports")}
    )
    server.start(timeout=60)
    try:
        yield server
    finally:
        server.stop()


def test_py_notebook_opens_as_notebook_and_runs_in_jupyterlab(lab, chromium, tmp_path):
    from playwright.sync_api import sync_playwright

    assert (config.project_root() / NOTEBOOK).is_file()
    name = NOTEBOOK.rsplit("/", 1)[-1]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(60_000)
            try:
                _open_and_run(page, lab, name, tmp_path)
            except Exception:
                page.screenshot(path=str(tmp_path / "lab-failure.png"))
                print(f"screenshot: {tmp_path / 'lab-failure.png'}\nserver log:\n{lab.log_text()}")
                raise
        finally:
            browser.close()
    # the kernel ran the notebook for real: its figure was saved through save_figure
    assert list((tmp_path / "reports" / "figures").rglob("*.png")), (
        "no figure was written by the notebook"
    )


def _open_and_run(page, lab, name, tmp_path):
    page.goto(lab.url(NOTEBOOK), wait_until="domcontentloaded")

    # the .py file opened in a notebook panel (jupytext), not in the text editor
    panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)").first
    panel.wait_for(state="visible", timeout=60_000)
    tab = page.locator(
        ".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel"
    ).first
    assert tab.inner_text().strip() == name
    panel.locator(".jp-Cell").nth(3).wait_for(timeout=30_000)  # several cells: parsed by jupytext
    assert page.locator(".jp-FileEditor:visible").count() == 0, "the .py file opened as a text file"
    # the kernel is connected and idle (status bar "<kernel> | Idle") before running
    page.locator(".jp-StatusBar-Widget", has_text="| Idle").first.wait_for(timeout=60_000)

    # Run > Run All Cells through the menu, as a user does
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(
        ".lm-Menu-item:not(.lm-mod-disabled) .lm-Menu-itemLabel", has_text="Run All Cells"
    ).first.click()

    # an output and a figure appear ("attached": JupyterLab may hide cells scrolled out of view),
    # then every cell has finished: no "[*]" prompt left and numbered prompts exist
    panel.locator(".jp-OutputArea-output").first.wait_for(state="attached", timeout=90_000)
    panel.locator(".jp-OutputArea-output img").first.wait_for(state="attached", timeout=90_000)
    page.wait_for_function(
        "() => { const p = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-InputPrompt')]"
        ".map(e => e.textContent); return p.length > 0 && p.every(t => !t.includes('*')) && p.some(t => /\\d/.test(t)); }",
        timeout=90_000,
    )
    page.screenshot(path=str(tmp_path / "lab.png"))
    errors = panel.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    tracebacks = [t for t in errors.all_inner_texts() if "Traceback" in t or "Error" in t]
    assert not tracebacks, f"a cell failed in the browser: {tracebacks[0][:2000]}"
    assert panel.locator(".jp-OutputArea-output img").count() >= 1


def test_without_root_a_missing_chromium_is_a_clear_skip_reason(monkeypatch, tmp_path):
    import browser.lab as lab_helpers

    monkeypatch.setattr(lab_helpers, "CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.setattr(lab_helpers.os, "geteuid", lambda: 1000)
    reason = lab_helpers.ensure_chromium()
    assert reason and "not root" in reason and "apt-get install -y chromium" in reason


# --------------------------------------------------------------------------------------
# the notebooks the suite writes: executed study notebook, student copy, instructor copy
# --------------------------------------------------------------------------------------

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

# one self-contained cell: a figure and a table, both through OutputLog, as the studies do
FIGURE_AND_TABLE = """
# %%
import matplotlib.pyplot as plt
import pandas as pd

from enforcement_crime import reports

log = reports.OutputLog("{study}", "notebooks/{study}/01-demo.py", True, "SYNTHETIC DATA")
table = pd.DataFrame({{"outcome": ["violent_rate", "property_rate"], "estimate": [0.125, -0.25]}})
fig, ax = plt.subplots(figsize=(3, 2))
ax.plot([2004, 2005, 2006], [1.0, 0.5, 0.75])
log.figure(fig, "fig_{study}_demo", table, description="a line")
log.table(table, "tab_{study}_demo", description="two rows")
plt.show()
table
"""

STUDY = (
    HEADER
    + """
# %% [markdown]
# # A tiny study

# %% tags=["parameters"]
seed = 1
"""
    + FIGURE_AND_TABLE.format(study="demo")
)

LESSON = (
    HEADER
    + """
# %% [markdown]
# # A tiny lesson

# %% tags=["parameters"]
interactive = True
"""
    + FIGURE_AND_TABLE.format(study="lesson")
    + """
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


@pytest.fixture(scope="module")
def generated(tmp_path_factory, chromium):
    """An executed study notebook, a student copy and an instructor copy, under a reports folder."""
    from enforcement_crime import notebooks, teaching

    base = tmp_path_factory.mktemp("generated")
    reports = base / "reports"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ENFORCEMENT_CRIME_REPORTS", str(reports))
        (base / "src").mkdir()
        (base / "src" / "01-demo.py").write_text(STUDY)
        study = notebooks.execute_notebook(
            base / "src" / "01-demo.py",
            reports / "notebooks" / "demo" / "01-demo.ipynb",
            html=False,
        )
        (base / "lessons").mkdir()
        (base / "lessons" / "01-lesson.py").write_text(LESSON)
        (lesson,) = teaching.build_teaching(
            root=base / "lessons", out=reports / "teaching", html=False, jobs=1
        )
    assert lesson.checks == 1
    return {
        "reports": reports,
        "study": study.output,
        "student": lesson.student_ipynb,
        "instructor": lesson.instructor,
    }


def _run_cell_and_check(page, lab, rel: str, shot):
    """Open ``rel``, run the figure-and-table cell in a fresh kernel, check what renders."""
    page.goto(lab.url(rel), wait_until="domcontentloaded")
    panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)").first
    panel.wait_for(state="visible", timeout=60_000)
    assert page.locator(".jp-Dialog", has_text="File Load Error").count() == 0
    # the figure-and-table cell (papermill adds a cell before it in the instructor copy)
    cell = panel.locator(".jp-CodeCell", has_text="log.table(").first
    cell.wait_for(timeout=30_000)
    page.locator(".jp-StatusBar-Widget", has_text="| Idle").first.wait_for(timeout=60_000)
    # a fresh kernel: the cell's prompt becomes [1] once it has run. Right after the tab opens,
    # the run shortcut can reach the lab before the notebook's kernel session is connected and be
    # dropped; send it again then (a second run shows [2])
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    ran = cell.locator(".jp-InputPrompt").filter(has_text=re.compile(r"\[(1|2)\]")).first
    for attempt in range(3):
        cell.scroll_into_view_if_needed()
        cell.locator(".jp-InputArea-editor").first.click()
        # the click selects the cell (JupyterLab marks it active) before the shortcut is sent
        panel.locator(".jp-CodeCell.jp-mod-active", has_text="log.table(").first.wait_for(
            timeout=30_000
        )
        page.keyboard.press("Control+Enter")  # run the selected cell, stay on it
        try:
            ran.wait_for(timeout=40_000 if attempt < 2 else 90_000)
            break
        except PlaywrightTimeout:
            if attempt == 2:
                raise
    cell.locator(".jp-OutputArea-output img").first.wait_for(state="attached", timeout=30_000)
    shot(rel)
    errors = cell.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    tracebacks = [t for t in errors.all_inner_texts() if "Traceback" in t or "Error" in t]
    assert not tracebacks, f"{rel}: the cell failed: {tracebacks[0][:2000]}"
    assert cell.locator(".jp-OutputArea-output img").count() >= 1, f"{rel}: no figure"
    table = cell.locator(".jp-OutputArea-output table")
    assert table.count() >= 1 and "violent_rate" in table.first.inner_text(), f"{rel}: no table"
    json_trees = panel.locator(
        ".jp-RenderedJSON, .jp-OutputArea-output[data-mime-type='application/json']"
    )
    assert json_trees.count() == 0, f"{rel}: a JSON tree is drawn"


def test_generated_notebooks_open_run_and_show_a_figure_and_a_table(
    generated, chromium, tmp_path, monkeypatch
):
    from playwright.sync_api import sync_playwright

    reports = generated["reports"]
    monkeypatch.setenv("ENFORCEMENT_CRIME_REPORTS", str(reports))
    env = {"ENFORCEMENT_CRIME_REPORTS": str(reports)}
    # the executed study notebook and the instructor copy, in a lab serving the reports folder
    # (make lab serves the project root, where reports/ sits; this one sees only this test's files)
    labs = [
        (LabServer(tmp_path / "lab", env, root=reports),
         [generated["study"], generated["instructor"]]),
        # the student lab (`lab --student`): rooted at the student copies
        (LabServer(tmp_path / "student-lab", env, student=True), [generated["student"]]),
    ]  # fmt: skip
    assert labs[1][0].root == generated["student"].parent
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        try:
            for server, paths in labs:
                server.start(timeout=60)
                try:
                    page = browser.new_page(viewport={"width": 1400, "height": 1000})
                    page.set_default_timeout(60_000)

                    def shot(rel, page=page):
                        page.screenshot(path=str(tmp_path / (rel.replace("/", "__") + ".png")))

                    for path in paths:
                        rel = path.relative_to(server.root).as_posix()
                        try:
                            _run_cell_and_check(page, server, rel, shot)
                        except Exception:
                            page.screenshot(path=str(tmp_path / "lab-failure.png"))
                            print(f"screenshot: {tmp_path / 'lab-failure.png'}\n"
                                  f"server log:\n{server.log_text()}")  # fmt: skip
                            raise
                    page.close()
                finally:
                    server.stop()
        finally:
            browser.close()
