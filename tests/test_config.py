"""Paths come from one place and honour the environment overrides."""

from __future__ import annotations

from pathlib import Path

from enforcement_crime import config


def test_root_is_the_checkout():
    root = config.project_root()
    assert (root / "pyproject.toml").is_file()
    assert config.processed_dir() == root / "data" / "processed"
    assert config.figures_dir("tour") == root / "reports" / "figures" / "tour"


def test_raw_dir_override(monkeypatch, tmp_path):
    monkeypatch.setenv("ENFORCEMENT_CRIME_RAW", str(tmp_path))
    assert config.raw_dir() == tmp_path.resolve()
    assert config.raw_dir("leaic") == tmp_path.resolve() / "leaic"


def test_reports_and_shared_overrides(monkeypatch, tmp_path):
    monkeypatch.setenv("ENFORCEMENT_CRIME_REPORTS", str(tmp_path / "r"))
    monkeypatch.setenv("ENFORCEMENT_CRIME_SHARED", str(tmp_path / "s"))
    assert config.tables_dir("x") == (tmp_path / "r").resolve() / "tables" / "x"
    assert config.shared_data_dir() == (tmp_path / "s").resolve()
    monkeypatch.delenv("ENFORCEMENT_CRIME_SHARED")
    assert config.shared_data_dir() == (config.project_root().parent / "shared" / "data").resolve()
    assert isinstance(config.notebooks_dir(), Path)
