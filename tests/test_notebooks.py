"""Every notebook executes from a clean state on the built-in data and writes its outputs.

Each notebook runs in a fresh kernel with reports redirected to a temporary
folder (``ENFORCEMENT_CRIME_REPORTS``), so nothing left over from an earlier
run can make a notebook pass.
"""

from __future__ import annotations

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


def test_tour_notebook_is_found():
    assert any(p.name == "01-explore-default-panel.py" for p in SOURCES)
