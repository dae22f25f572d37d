"""JupyterLab as a user meets it: `make lab`'s server, a `.py` notebook, Run All, output and figure;
and every kind of notebook the suite writes opens, shows a figure and a table with no JSON tree,
and runs in the lab.

The server is started with the same command and config as ``make lab``
(:func:`enforcement_crime.teaching.lab_command`) plus ``--no-browser``, a free
localhost port, a token and temporary runtime/settings folders; the page is
driven by Playwright in Debian's headless chromium (installed by the set-up
when missing and the test runs as root; never a Playwright download; skipped,
with the reason, when it can be neither found nor installed). Every wait is
bounded. The generated notebooks are written by the suite's own commands
(:data:`GENERATE`: ``python -m enforcement_crime notebooks run`` for the tour
and for a parameter run of it, ``python -m enforcement_crime teaching`` for
the first lesson) into a temporary reports folder: the executed study
notebook, the parameter run's notebook in its run folder and the instructor
copy show their saved figure and table and run their first cell in a fresh
kernel; the student copy (outputs cleared) is run whole and then shows them.
Running the tracked ``.py`` notebook leaves it unchanged in git.
Screenshots are written to ``tmp_path``.
"""

from __future__ import annotations

from pathlib import Path

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
    before = (config.project_root() / NOTEBOOK).read_bytes()
    git_status = _git_status()
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
    # the tracked source is as it was (no jupytext header rewritten on open or run)
    assert (config.project_root() / NOTEBOOK).read_bytes() == before
    if git_status is not None:
        assert _git_status() == git_status, "the lab session changed a tracked file"
    # the kernel ran the notebook for real: its figure was saved through save_figure
    assert list((tmp_path / "reports" / "figures").rglob("*.png")), (
        "no figure was written by the notebook"
    )


def _git_status() -> str | None:
    """``git status --porcelain`` of the notebook (None outside a git checkout or without git)."""
    import shutil
    import subprocess

    if shutil.which("git") is None or not (config.project_root() / ".git").exists():
        return None
    done = subprocess.run(["git", "status", "--porcelain", "--", NOTEBOOK], cwd=config.project_root(),
                          capture_output=True, text=True)  # fmt: skip
    return done.stdout if done.returncode == 0 else None


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
# the notebooks the suite writes: executed study notebook, parameter run, instructor and
# student copies, each made by the suite's own commands
# --------------------------------------------------------------------------------------

#: the commands that write them (``python -m enforcement_crime ...``), run side by side into one
#: temporary reports folder: the tour (the smallest study notebook), the tour with another seed
#: (a parameter run: its own run folder), and the first lesson's instructor and student copies
GENERATE = {
    "study": ["notebooks", "run", "--only", "tour/01", "--no-html", "--jobs", "1"],
    "parameter run": ["notebooks", "run", "--only", "tour/01", "-p", "seed", "7", "--no-html",
                      "--jobs", "1"],
    "teaching": ["teaching", "--only", "01-estimate", "--no-html", "--jobs", "1"],
}  # fmt: skip
TOUR = "01-explore-default-panel"
LESSON = "01-estimate-two-by-two"


@pytest.fixture(scope="module")
def generated(tmp_path_factory, chromium):
    """The notebooks the commands of :data:`GENERATE` write, under a temporary reports folder."""
    import json
    import os
    import subprocess
    import sys

    base = tmp_path_factory.mktemp("generated")
    reports = base / "reports"
    # as `make all` runs them: no inherited MPLBACKEND (Agg would keep the figures out of the notebooks)
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    env["ENFORCEMENT_CRIME_REPORTS"] = str(reports)
    procs = {}
    for what, args in GENERATE.items():
        log = (base / f"{what.replace(' ', '-')}.log").open("w")
        procs[what] = (subprocess.Popen([sys.executable, "-m", "enforcement_crime", *args],
                                        env=env, stdout=log, stderr=subprocess.STDOUT,
                                        cwd=config.project_root()), log)  # fmt: skip
    for what, (proc, log) in procs.items():
        try:
            code = proc.wait(timeout=900)
        finally:
            log.close()
        text = Path(log.name).read_text(errors="replace")
        assert code == 0, f"`{' '.join(GENERATE[what])}` failed ({code}):\n{text[-3000:]}"
    (run,) = (reports / "runs").iterdir()  # the parameter run's own folder, parameters beside it
    saved = json.loads((run / "parameters.json").read_text())
    assert saved["parameters"] == {"seed": 7} and saved["notebook"].endswith(f"tour/{TOUR}.py")
    out = {
        "reports": reports,
        "study": reports / "notebooks" / "tour" / f"{TOUR}.ipynb",
        "parameter run": run / "notebooks" / "tour" / f"{TOUR}.ipynb",
        "instructor": reports / "teaching" / "instructor" / f"{LESSON}.ipynb",
        "student": reports / "teaching" / "student" / f"{LESSON}.ipynb",
    }
    missing = [k for k, v in out.items() if not Path(v).exists()]
    assert not missing, f"not written: {missing}"
    return out


def _open(page, lab, rel: str, workspace: str):
    """Open ``rel`` in the lab as a notebook (no load error), alone in ``workspace``; the notebook panel."""
    page.goto(lab.url(rel, workspace), wait_until="domcontentloaded")
    panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)").first
    panel.wait_for(state="visible", timeout=60_000)
    panel.locator(".jp-Cell").nth(3).wait_for(timeout=30_000)
    assert page.locator(".jp-Dialog", has_text="File Load Error").count() == 0, rel
    return panel


def _no_error_and_no_json_tree(panel, rel: str) -> None:
    errors = panel.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    tracebacks = [t for t in errors.all_inner_texts() if "Traceback" in t or "Error:" in t]
    assert not tracebacks, f"{rel}: a cell failed: {tracebacks[0][:2000]}"
    json_trees = panel.locator(
        ".jp-RenderedJSON, .jp-OutputArea-output[data-mime-type='application/json']"
    )
    assert json_trees.count() == 0, f"{rel}: a JSON tree is drawn"


def _figure_and_table(panel, rel: str, timeout: float = 30_000) -> None:
    """A figure (an image) and a table (an HTML table) render among the outputs."""
    panel.locator(".jp-OutputArea-output img").first.wait_for(state="attached", timeout=timeout)
    panel.locator(".jp-OutputArea-output table").first.wait_for(state="attached", timeout=timeout)
    assert panel.locator(".jp-OutputArea-output img").count() >= 1, f"{rel}: no figure"
    assert panel.locator(".jp-OutputArea-output table").count() >= 1, f"{rel}: no table"


def _run_first_cell(page, panel, rel: str) -> None:
    """Run the first code cell (the parameters), with a print added, in the notebook's fresh kernel.

    The saved prompts already carry numbers, so the proof that the lab's kernel ran the cell is the
    added line's output.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    mark = "ran in the lab"
    page.locator(".jp-StatusBar-Widget", has_text="| Idle").first.wait_for(timeout=60_000)
    cell = panel.locator(".jp-CodeCell").first
    cell.scroll_into_view_if_needed()
    cell.locator(".jp-InputArea-editor").first.click()
    page.keyboard.press("Control+End")
    page.keyboard.type(f"\nprint({mark!r})")
    out = cell.locator(".jp-OutputArea-output", has_text=mark).first
    # right after the tab opens the run shortcut can reach the lab before the kernel session is
    # connected and be dropped; send it again then
    for attempt in range(3):
        page.keyboard.press("Control+Enter")  # run the cell being edited, stay on it
        try:
            out.wait_for(timeout=40_000 if attempt < 2 else 90_000)
            break
        except PlaywrightTimeout:
            if attempt == 2:
                raise
            cell.locator(".jp-InputArea-editor").first.click()
    _no_error_and_no_json_tree(panel, rel)


def _run_all(page, panel, rel: str) -> None:
    """Run > Run All Cells, then wait until no cell is left running."""
    page.locator(".jp-StatusBar-Widget", has_text="| Idle").first.wait_for(timeout=60_000)
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(
        ".lm-Menu-item:not(.lm-mod-disabled) .lm-Menu-itemLabel", has_text="Run All Cells"
    ).first.click()
    panel.locator(".jp-OutputArea-output img").first.wait_for(state="attached", timeout=180_000)
    page.wait_for_function(
        "() => { const p = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-InputPrompt')]"
        ".map(e => e.textContent); return p.length > 0 && p.every(t => !t.includes('*')) && p.some(t => /\\d/.test(t)); }",
        timeout=180_000,
    )


def test_generated_notebooks_open_run_and_show_a_figure_and_a_table(generated, chromium, tmp_path,
                                                                    monkeypatch):  # fmt: skip
    """Executed notebooks show their saved figure and table and run a cell; the student copy runs whole."""
    from playwright.sync_api import sync_playwright

    reports = generated["reports"]
    monkeypatch.setenv("ENFORCEMENT_CRIME_REPORTS", str(reports))
    env = {"ENFORCEMENT_CRIME_REPORTS": str(reports)}
    executed = ["study", "parameter run", "instructor"]
    # the executed notebooks in a lab serving the reports folder (make lab serves the project root,
    # where reports/ sits; this one sees only this test's files), the student copy in the student
    # lab (`lab --student`), rooted at the student copies
    labs = [
        (LabServer(tmp_path / "lab", env, root=reports), executed),
        (LabServer(tmp_path / "student-lab", env, student=True), ["student"]),
    ]
    assert labs[1][0].root == generated["student"].parent
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        try:
            for server, kinds in labs:
                server.start(timeout=60)
                try:
                    for kind in kinds:
                        page = browser.new_page(viewport={"width": 1400, "height": 1000})
                        page.set_default_timeout(60_000)
                        rel = generated[kind].relative_to(server.root).as_posix()
                        try:
                            panel = _open(page, server, rel, kind.replace(" ", "-"))
                            if kind == "student":  # outputs cleared: run it, then look
                                _run_all(page, panel, rel)
                            else:  # the saved outputs render, then the kernel runs a cell
                                _figure_and_table(panel, rel)
                                _run_first_cell(page, panel, rel)
                            _figure_and_table(panel, rel)
                            _no_error_and_no_json_tree(panel, rel)
                            page.screenshot(path=str(tmp_path / (kind.replace(" ", "-") + ".png")))
                        except Exception:
                            page.screenshot(path=str(tmp_path / "lab-failure.png"))
                            print(f"{kind}: {rel}\nscreenshot: {tmp_path / 'lab-failure.png'}\n"
                                  f"server log:\n{server.log_text()}")  # fmt: skip
                            raise
                        page.close()
                finally:
                    server.stop()
        finally:
            browser.close()
