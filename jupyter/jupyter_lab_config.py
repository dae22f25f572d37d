# JupyterLab configuration used by `make lab` (and by tests/test_browser.py).
# Loaded with `jupyter lab --config=jupyter/jupyter_lab_config.py`; nothing is written to ~/.jupyter.
# .py files open as notebooks through jupytext: jupyter/lab/overrides.json (copied into
# .venv/share/jupyter/lab/settings by `python -m enforcement_crime lab`) sets the
# default viewer of Python files to "Jupytext Notebook".
c = get_config()  # noqa: F821

# new notebooks start the project kernel installed by `make setup`
c.MultiKernelManager.default_kernel_name = "enforcement-crime"
# (the jupytext server extension, which reads percent-format .py files as notebooks, is enabled
# by its own pip-installed file in .venv/etc/jupyter/jupyter_server_config.d/jupytext.json)
# the root folder is given on the command line by enforcement_crime.teaching.lab_command: the
# project root (study notebooks, reports/, README.md, src/), or the student copies with --student
