"""JupyterLab as a user meets it: `make lab`'s server, a `.py` notebook, Run All, output and figure.

The server is started with the same command and config as ``make lab``
(:func:`enforcement_crime.teaching.lab_command`) plus ``--no-browser``, a free
localhost port, a token and temporary runtime/settings folders; the page is
driven by Playwright in Debian's headless chromium (installed by the set-up
when missing and the test runs as root; never a Playwright download). Every
wait is bounded; the whole test takes well under two minutes once chromium is
there. A screenshot is written to ``tmp_path/lab.png``.
"""

from __future__ import annotations

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
