"""Save functions write PDF + PNG + CSV (figures) and LaTeX + CSV (tables); synthetic figures are marked."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from enforcement_crime import plots, tables  # noqa: E402


def _fig():
    plots.use_style("paper")
    fig, ax = plt.subplots()
    ax.plot([1, 2, 3], [2, 1, 3])
    return fig, pd.DataFrame({"x": [1, 2, 3], "y": [2, 1, 3]})


def test_save_figure_writes_pdf_png_csv(tmp_path):
    fig, data = _fig()
    paths = plots.save_figure(fig, "fig_test_line", data, synthetic=False, outdir=tmp_path)
    assert set(paths) == {"pdf", "png", "csv"}
    for path in paths.values():
        assert path.is_file() and path.stat().st_size > 0
    assert paths["pdf"].read_bytes().startswith(b"%PDF")
    assert paths["png"].read_bytes().startswith(b"\x89PNG")
    back = pd.read_csv(paths["csv"])
    assert list(back["y"]) == [2, 1, 3] and not back["is_synthetic"].any()
    pdf = paths["pdf"].read_bytes()
    assert b"/FontFile2" in pdf  # TrueType fonts embedded (pdf.fonttype 42)
    assert b"/Type3" not in pdf
    plt.close(fig)


def test_synthetic_figures_carry_a_visible_mark(tmp_path):
    fig, data = _fig()
    paths = plots.save_figure(fig, "fig_test_synth", data, synthetic=True, outdir=tmp_path)
    texts = [t.get_text() for ax in fig.axes for t in ax.texts] + [t.get_text() for t in fig.texts]
    assert any("SYNTHETIC DATA" in t for t in texts)
    assert pd.read_csv(paths["csv"])["is_synthetic"].all()
    plt.close(fig)
    fig2, data2 = _fig()
    plots.save_figure(fig2, "fig_test_real", data2, synthetic=False, outdir=tmp_path)
    texts2 = [t.get_text() for ax in fig2.axes for t in ax.texts] + [
        t.get_text() for t in fig2.texts
    ]
    assert not any("SYNTHETIC" in t for t in texts2)
    plt.close(fig2)


def test_save_figure_requires_the_plotted_numbers(tmp_path):
    fig, _ = _fig()
    with pytest.raises(ValueError, match="plotted numbers"):
        plots.save_figure(fig, "fig_empty", pd.DataFrame(), synthetic=False, outdir=tmp_path)
    plt.close(fig)


def test_slides_style_is_16_by_9():
    plots.use_style("slides")
    w, h = plt.rcParams["figure.figsize"]
    assert w / h == pytest.approx(16 / 9)
    assert plt.rcParams["font.size"] > 12
    plots.use_style("paper")
    with pytest.raises(ValueError, match="unknown figure style"):
        plots.style_path("poster")


def test_save_table_writes_latex_and_csv_with_the_same_numbers(tmp_path):
    table = pd.DataFrame({"estimator": ["twfe", "cs"], "estimate": [0.12345678, -0.5]})
    paths = tables.save_table(table, "tab_test", synthetic=True, outdir=tmp_path)
    csv = pd.read_csv(paths["csv"])
    assert csv["estimate"].tolist() == [0.12345678, -0.5]
    tex = paths["tex"].read_text()
    assert (
        "0.123" in tex and "-0.500" in tex and "SYNTHETIC DATA" in tex and "\\begin{tabular}" in tex
    )


def test_rollout_plot_returns_cumulative_shares():
    dates = pd.Series(pd.to_datetime(["2008-10-27", "2009-03-01", "2009-03-15", "2010-01-01"]))
    fig, ax = plt.subplots()
    _, data = plots.rollout_plot(dates, pd.Series([1.0, 1.0, 2.0, 4.0]), ax=ax)
    by_month = data.set_index("month")["share"]
    assert by_month[pd.Timestamp("2008-10-01")] == pytest.approx(1 / 8)
    assert by_month[pd.Timestamp("2009-02-01")] == pytest.approx(1 / 8)
    assert by_month[pd.Timestamp("2009-03-01")] == pytest.approx(4 / 8)
    assert by_month.iloc[-1] == pytest.approx(1.0)
    plt.close(fig)
