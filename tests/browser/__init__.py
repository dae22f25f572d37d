"""Helpers for tests/test_browser.py: Debian chromium and a JupyterLab server started as `make lab` does."""
