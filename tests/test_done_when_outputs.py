"""The outputs a full run leaves in the reports folder, checked as a reader of the paper would.

After ``make all`` (or any run into ``ENFORCEMENT_CRIME_REPORTS``), every
``tables/**/tab_*_regression*.tex`` has a caption, a ``\\label`` and no code
name where a reader looks, and every HonestDiD figure's CSV holds one
breakdown value per outcome, the one of the study's HonestDiD table beside it.
Skipped, with the reason, when the reports folder holds no such output (a
fresh clone before ``make all``); the layout itself is tested on fresh fits in
``test_paper_tables.py`` and ``test_honest_figure_matches_table.py``. Every
study notebook writes its paper table through ``OutputLog.paper_table``.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from enforcement_crime import config
from enforcement_crime.labels import is_code_name

STUDIES = ("287g", "secure_communities")


def test_every_study_notebook_writes_a_paper_regression_table():
    paths = sorted(p for s in STUDIES for p in (config.notebooks_dir() / s).glob("*.py"))
    assert len(paths) >= 4
    missing = [p.name for p in paths if "log.paper_table(" not in p.read_text()]
    assert not missing, f"study notebooks without a paper regression table: {missing}"


def test_regression_tex_files_have_caption_label_and_human_labels():
    tables = sorted((config.reports_dir() / "tables").glob("**/tab_*_regression*.tex"))
    if not tables:
        pytest.skip(
            f"no tab_*_regression*.tex under {config.reports_dir() / 'tables'} (run `make all`)"
        )
    for path in tables:
        body = "\n".join(
            ln for ln in path.read_text().splitlines() if not ln.lstrip().startswith("%")
        )
        assert "\\caption{" in body and f"\\label{{tab:{path.stem}}}" in body, path
        visible = re.sub(r"\\label\{[^}]*\}", " ", body)  # a \label key may hold underscores
        visible = re.sub(r"\\[A-Za-z]+", " ", visible)
        assert not is_code_name(visible), (path, [w for w in visible.split() if is_code_name(w)])


def test_honest_did_figure_csv_has_the_tables_breakdown_per_outcome():
    figures = sorted((config.reports_dir() / "figures").glob("**/fig_*_honest_did.csv"))
    if not figures:
        pytest.skip(
            f"no fig_*_honest_did.csv under {config.reports_dir() / 'figures'} (run `make all`)"
        )
    for fig in figures:
        rel = fig.relative_to(config.reports_dir() / "figures")
        tab = config.reports_dir() / "tables" / rel.parent / fig.name.replace("fig_", "tab_", 1)
        assert tab.is_file(), f"{fig}: no table {tab}"
        per_fig = pd.read_csv(fig).groupby("outcome")["breakdown"].unique()
        per_tab = pd.read_csv(tab).groupby("outcome")["breakdown"].unique()
        assert set(per_fig.index) == set(per_tab.index), fig
        for outcome in per_tab.index:
            assert len(per_fig[outcome]) == 1 and len(per_tab[outcome]) == 1, (fig, outcome)
            np.testing.assert_allclose(per_fig[outcome], per_tab[outcome], equal_nan=True,
                                       err_msg=f"{fig}: {outcome}")  # fmt: skip
