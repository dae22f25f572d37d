"""Paper regression tables: the layout, human labels, digits by scale, caption and label.

Results are TWFE fits on the built-in SYNTHETIC panel (North Carolina
counties). The LaTeX is checked for its structure and, when ``pdflatex`` is
installed (Debian: texlive-latex-base, -recommended, -extra), compiled inside
a minimal document with the packages the README lists.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from enforcement_crime import estimators, reports, synthetic
from enforcement_crime.labels import is_code_name

PACKAGES = ("booktabs", "threeparttable", "makecell", "tabularx")


@pytest.fixture(scope="module")
def results():
    df = synthetic.load_default_panel()
    df = df[df["fips"].str.startswith("37") & df["year"].between(2004, 2012)].copy()
    df["cohort"] = df["sc_activation_date"].dt.year.fillna(0).astype(int)
    df = df.dropna(subset=["violent_rate"])
    df["log_violent_rate"] = np.log1p(df["violent_rate"])
    level = estimators.twfe(df, "violent_rate", "fips", "year", "cohort", weights="population",
                            cluster="fips")  # fmt: skip
    log = estimators.twfe(df, "log_violent_rate", "fips", "year", "cohort",
                          weights="population", cluster="fips")  # fmt: skip
    return level, log


def _body(tex: str) -> str:
    return "\n".join(line for line in tex.splitlines() if not line.lstrip().startswith("%"))


def test_paper_table_layout_labels_digits_caption_and_label(results, tmp_path):
    level, log = results
    paths = reports.paper_table(
        [log, level], name="tab_x_twfe", caption="TWFE estimates of the violent crime rate",
        fe=("fips", "year"), weights="population", scale=["log", "level"], synthetic=True,
        outdir=tmp_path,
    )  # fmt: skip
    assert paths["tex"].name == "tab_x_twfe_regression.tex"
    tex = paths["tex"].read_text()
    body = _body(tex)
    assert "\\begin{table}" in body and "\\end{table}" in body
    assert "\\label{tab:tab_x_twfe_regression}" in body
    assert re.search(r"\\caption\{TWFE estimates of the violent crime rate \[SYNTHETIC DATA\]\}",
                     body)  # fmt: skip
    assert body.count("{") == body.count("}")
    for row in ("Observations", "Clusters", "Weights", "Scale", "County", "Year", "Population",
                "log(1 + rate)", "per 100,000", "Violent crime rate", "TWFE"):  # fmt: skip
        assert row in body, row
    # no code name in what a reader sees (labels and text cells)
    visible = re.sub(r"\\label\{[^}]*\}", " ", body)  # a \label key may hold underscores
    visible = re.sub(r"\\[A-Za-z]+", " ", visible)
    assert not is_code_name(visible), [w for w in visible.split() if is_code_name(w)]
    # digits by scale: the log column's estimate has at least three decimals
    est = float(log.to_frame()["estimate"].iloc[0])
    digits = reports.table_digits([log, level], ["log", "level"])
    assert digits >= 3
    assert f"{est:.{digits}f}" in body
    csv = pd.read_csv(paths["csv"])
    assert csv.loc[csv["row"] == "Scale"].iloc[0, 1:3].tolist() == ["log(1 + rate)", "per 100,000"]


def test_table_digits_follow_the_scale_and_the_standard_errors(results):
    level, log = results
    assert reports.table_digits([level], "level") >= 2
    assert reports.table_digits([log], "log") >= 3
    se = float(log.to_frame()["std_error"].iloc[0])
    # two significant digits of the smallest standard error are shown
    d = reports.table_digits([log], "log")
    assert round(se, d) != 0 and f"{se:.{d}f}".lstrip("0.").__len__() >= 2


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex not installed")
def test_paper_table_compiles_with_the_listed_packages(results, tmp_path):
    level, log = results
    paths = reports.paper_table(
        [log, level], name="tab_x_twfe", caption="TWFE estimates & intervals (95%)",
        fe=("fips", "year"), weights="population", scale=["log", "level"], synthetic=True,
        outdir=tmp_path,
    )  # fmt: skip
    doc = tmp_path / "doc.tex"
    doc.write_text(
        "\\documentclass{article}\n"
        + "".join(f"\\usepackage{{{p}}}\n" for p in PACKAGES)
        + f"\\begin{{document}}\n\\input{{{paths['tex'].name}}}\n\\end{{document}}\n"
    )
    run = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", doc.name],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-3000:]
    assert (tmp_path / "doc.pdf").is_file()


def test_output_log_tables_take_their_caption_and_label_from_the_description(
    results, tmp_path, monkeypatch
):
    monkeypatch.setenv("ENFORCEMENT_CRIME_REPORTS", str(tmp_path))
    level, log_res = results
    log = reports.OutputLog("demo", "notebooks/demo/01-x.py", True, "SYNTHETIC DATA (seed 1)")
    t = log.table(pd.DataFrame({"outcome": ["violent_rate"], "estimate": [0.1]}), "tab_demo_t",
                  description="Static ATT by estimator")  # fmt: skip
    body = _body(t["tex"].read_text())
    assert "\\caption{Static ATT by estimator [SYNTHETIC DATA (seed 1)]}" in body
    assert "\\label{tab:tab_demo_t}" in body
    p = log.paper_table([log_res], "tab_demo_twfe", description="TWFE, log scale",
                        fe=("fips", "year"), weights="population", scale="log")  # fmt: skip
    assert p["tex"].name == "tab_demo_twfe_regression.tex"
    assert "\\caption{TWFE, log scale [SYNTHETIC DATA (seed 1)]}" in p["tex"].read_text()
    assert [e["name"] for e in log.entries] == ["tab_demo_t", "tab_demo_twfe_regression"]


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex not installed")
@pytest.mark.parametrize("n_columns", [2, 4, 6])
def test_paper_table_fits_the_text_width(results, tmp_path, n_columns):
    """Up to six columns (a study's outcomes by two specifications) set without overfull cells."""
    level, log = results
    paths = reports.paper_table(
        [log] * n_columns, name="tab_x_wide", caption="TWFE, every outcome and rule",
        fe=("fips", "year"), weights="population", scale="log", synthetic=True, outdir=tmp_path,
        headings=[f"Rule {i % 2 + 1}" for i in range(n_columns)],
    )  # fmt: skip
    doc = tmp_path / "doc.tex"
    doc.write_text(
        "\\documentclass{article}\n"
        + "".join(f"\\usepackage{{{p}}}\n" for p in PACKAGES)
        + f"\\begin{{document}}\n\\input{{{paths['tex'].name}}}\n\\end{{document}}\n"
    )
    run = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", doc.name],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-3000:]
    log_text = (tmp_path / "doc.log").read_text(errors="replace")
    assert "Overfull \\hbox" not in log_text, [
        line for line in log_text.splitlines() if "Overfull" in line
    ][:3]
