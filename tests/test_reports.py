"""enforcement_crime.reports: figure/table saving, the data mark, byte-identical outputs, regression tables,
the output registry and OUTPUTS.md, and exported numbers checked against independent computations.

Replaces ``tests/test_study_outputs.py``, whose main test compared a JSON and a CSV written from the same
DataFrame (it could not fail): here the exported numbers are recomputed independently (pyfixest on the same
panel) and OUTPUTS.md is checked against the files on disk and the notebook sources.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from enforcement_crime import _pdf_fonts, config, notebooks, plots, reports  # noqa: E402

# one worker builds this module's shared (module-scoped) inputs once, on the worker of the
# other tests that build from the shared copies (each file parsed once): `make test` runs with
# pytest-xdist --dist loadgroup
pytestmark = [pytest.mark.xdist_group("real_data")]

REAL_LABEL = "REAL DATA: FBI CIUS APPROXIMATION OF COUNTY TOTALS"


def _fig():
    plots.use_style("paper")
    fig, ax = plt.subplots()
    ax.plot([1, 2, 3], [2, 1, 3])
    return fig, pd.DataFrame({"x": [1, 2, 3], "y": [2, 1, 3]})


def _texts(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts] + [t.get_text() for t in fig.texts]


# --------------------------------------------------------------------------------------
# figures and tables
# --------------------------------------------------------------------------------------


def test_save_figure_writes_pdf_png_csv(tmp_path):
    fig, data = _fig()
    paths = reports.save_figure(fig, "fig_test_line", data, synthetic=False, outdir=tmp_path)
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
    assert b"/Subject (real data)" in pdf
    plt.close(fig)


def test_synthetic_figures_carry_a_visible_mark(tmp_path):
    fig, data = _fig()
    paths = reports.save_figure(fig, "fig_test_synth", data, synthetic=True, outdir=tmp_path)
    assert any("SYNTHETIC DATA" in t for t in _texts(fig))
    assert pd.read_csv(paths["csv"])["is_synthetic"].all()
    assert b"/Subject (SYNTHETIC DATA)" in paths["pdf"].read_bytes()
    plt.close(fig)
    fig2, data2 = _fig()
    reports.save_figure(fig2, "fig_test_real", data2, synthetic=False, outdir=tmp_path)
    assert not any("SYNTHETIC" in t for t in _texts(fig2))
    plt.close(fig2)


def test_data_label_is_drawn_and_written_into_pdf_metadata(tmp_path):
    fig, data = _fig()
    paths = reports.save_figure(fig, "fig_real", data, synthetic=False, data_label=REAL_LABEL,
                                n_note="N = 1,100 county-years, 100 clusters", outdir=tmp_path)  # fmt: skip
    texts = _texts(fig)
    assert REAL_LABEL in texts and "N = 1,100 county-years, 100 clusters" in texts
    assert f"/Subject ({REAL_LABEL})".encode() in paths["pdf"].read_bytes()
    # saving again does not draw the marks twice
    reports.save_figure(fig, "fig_real", data, synthetic=False, data_label=REAL_LABEL,
                        n_note="N = 1,100 county-years, 100 clusters", outdir=tmp_path)  # fmt: skip
    assert _texts(fig).count(REAL_LABEL) == 1
    plt.close(fig)
    fig, data = _fig()
    paths = reports.save_figure(
        fig, "fig_syn", data, synthetic=True, data_label="seed 7", outdir=tmp_path
    )
    assert b"/Subject (SYNTHETIC DATA: seed 7)" in paths["pdf"].read_bytes()
    with pytest.raises(ValueError, match="contradicts"):
        reports.save_figure(
            fig, "fig_bad", data, synthetic=True, data_label=REAL_LABEL, outdir=tmp_path
        )
    with pytest.raises(ValueError, match="contradicts"):
        reports.save_figure(
            fig, "fig_bad", data, synthetic=False, data_label="SYNTHETIC DATA", outdir=tmp_path
        )
    plt.close(fig)


def test_save_figure_requires_the_plotted_numbers(tmp_path):
    fig, _ = _fig()
    with pytest.raises(ValueError, match="plotted numbers"):
        reports.save_figure(fig, "fig_empty", pd.DataFrame(), synthetic=False, outdir=tmp_path)
    plt.close(fig)


def test_same_figure_gives_identical_bytes(tmp_path):
    """Issue 13: PDFs differed run to run by CreationDate; PDF, PNG and CSV must be byte-identical."""
    written = []
    for run in ("a", "b"):
        fig, data = _fig()
        fig.axes[0].set_title("same figure")
        written.append(reports.save_figure(fig, "fig_same", data, synthetic=True, data_label="seed 1",
                                           n_note="N = 3", outdir=tmp_path / run,
                                           formats=("pdf", "png", "svg")))  # fmt: skip
        plt.close(fig)
    for fmt in ("pdf", "png", "svg", "csv"):
        assert written[0][fmt].read_bytes() == written[1][fmt].read_bytes(), fmt
    assert b"CreationDate" not in written[0]["pdf"].read_bytes()
    # the same figure object saved twice (the mark is not drawn again)
    fig, data = _fig()
    one = reports.save_figure(fig, "f", data, synthetic=True, outdir=tmp_path / "c")
    two = reports.save_figure(fig, "f", data, synthetic=True, outdir=tmp_path / "d")
    plt.close(fig)
    for fmt in ("pdf", "png", "csv"):
        assert one[fmt].read_bytes() == two[fmt].read_bytes(), fmt


def _embedded_fonts(pdf: bytes) -> list:
    """The TrueType font programs embedded in a PDF matplotlib wrote (FontFile2 streams)."""
    import io
    import zlib

    from fontTools.ttLib import TTFont

    fonts = []
    for ref in re.findall(rb"/FontFile2 (\d+) 0 R", pdf):
        m = re.search(rb"\n" + ref + rb" 0 obj\n(.*?)\nstream\n(.*?)\nendstream", pdf, re.S)
        raw = m.group(2)
        fonts.append(
            TTFont(io.BytesIO(zlib.decompress(raw) if b"/FlateDecode" in m.group(1) else raw))
        )
    return fonts


def test_pdf_font_subset_hook_is_the_one_matplotlib_calls():
    """The private matplotlib function replaced while saving a PDF is still there, called and unchanged.

    When this fails (another matplotlib), PDFs are saved with matplotlib's own subsetting (slower,
    same glyphs): update _pdf_fonts._font_subset_hook / _MPL_DROPPED_TABLES to the new version.
    """
    import inspect

    from matplotlib.backends import _backend_pdf_ps as pdf_ps

    assert _pdf_fonts._font_subset_hook() is not None
    source = inspect.getsource(pdf_ps.get_glyphs_subset)
    block = source.split("options.drop_tables +=", 1)[1].split("]", 1)[0]
    assert tuple(re.findall(r"'([^']+)'", block)) == _pdf_fonts._MPL_DROPPED_TABLES
    assert "subset.Options(glyph_names=True, recommended_glyphs=True)" in source
    assert "options.font_number = fontfile.face_index" in source


def test_pdf_fonts_are_type42_subsets_without_layout_tables(tmp_path, monkeypatch):
    from matplotlib.backends import _backend_pdf_ps as pdf_ps

    original = pdf_ps.get_glyphs_subset
    calls = []
    monkeypatch.setattr(_pdf_fonts, "_SUBSETS", {})  # no subset made before
    lean = _pdf_fonts._lean_glyphs_subset
    monkeypatch.setattr(_pdf_fonts, "_lean_glyphs_subset", lambda *a: calls.append(a) or lean(*a))
    fig, data = _fig()
    fig.axes[0].set_title("fi fl office \u2212 1")  # ligature and minus glyphs
    paths = reports.save_figure(fig, "fig_fonts", data, synthetic=True, outdir=tmp_path)
    plt.close(fig)
    assert calls and pdf_ps.get_glyphs_subset is original  # used while saving, put back after
    pdf = paths["pdf"].read_bytes()
    assert b"/CIDFontType2" in pdf and b"/FontFile2" in pdf  # Type 42, embedded
    fonts = _embedded_fonts(pdf)
    assert fonts
    for font in fonts:
        assert {"glyf", "loca", "hmtx", "cmap"} <= set(font.keys())
        assert not {"GSUB", "GPOS", "GDEF", "MATH"} & set(font.keys())


def test_lean_font_subset_keeps_every_glyph_as_matplotlib_subsets_it():
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    path = font_manager.findfont("DejaVu Sans")
    ft = FT2Font(path)
    gids = {ft.get_char_index(ord(c)) for c in "Effect (log) \u2212 0.12 fi N = 1,100 SYNTHETIC"}
    _, original, results = _pdf_fonts._font_subset_hook()
    lean = _pdf_fonts._lean_glyphs_subset(path, gids, results)
    with original(path, gids) as full, lean.font:
        for gid in gids:
            a, b = full.glyph_index_map[gid], lean.glyph_index_map[gid]
            name_a, name_b = full.font.getGlyphName(a), lean.font.getGlyphName(b)
            ga, gb = full.font["glyf"][name_a], lean.font["glyf"][name_b]
            assert (
                ga.getCoordinates(full.font["glyf"])[0] == gb.getCoordinates(lean.font["glyf"])[0]
            )
            assert full.font["hmtx"][name_a] == lean.font["hmtx"][name_b]


@pytest.mark.parametrize("family,weight", [("DejaVu Sans", "normal"), ("DejaVu Sans", "bold")])
def test_tables_dropped_before_subsetting_give_the_same_subset(family, weight, monkeypatch):
    """The lean subset with the dropped tables deleted first saves to the bytes the subsetter
    gives when it drops them itself (kern included: the font has GPOS)."""
    import io

    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    path = font_manager.findfont(font_manager.FontProperties(family=family, weight=weight))
    ft = FT2Font(path)
    _, _, results = _pdf_fonts._font_subset_hook()

    def saved(text):
        gids = {ft.get_char_index(ord(c)) for c in text}
        sub = _pdf_fonts._lean_glyphs_subset(path, gids, results)
        with sub.font:
            buf = io.BytesIO()
            sub.font.save(buf, reorderTables=False)
        return buf.getvalue(), sub.glyph_index_map

    texts = ["Effect (log) \u2212 0.12 fi N = 1,100 SYNTHETIC", "AV To Wa ffi \u2264 \u03b2 2014"]
    lean = [saved(t) for t in texts]
    monkeypatch.setattr(_pdf_fonts, "_drop_before_subsetting", lambda font, options: None)
    assert [saved(t) for t in texts] == lean


def test_a_cached_font_subset_embeds_the_same_bytes(tmp_path, monkeypatch):
    """The second PDF with the same glyphs reuses the subset and is byte-identical to a fresh one."""
    monkeypatch.setattr(_pdf_fonts, "_SUBSETS", {})
    made = []
    lean = _pdf_fonts._lean_glyphs_subset
    monkeypatch.setattr(_pdf_fonts, "_lean_glyphs_subset", lambda *a: made.append(a) or lean(*a))
    written = []
    for run in ("a", "b"):
        fig, data = _fig()
        fig.axes[0].set_title("same glyphs")
        written.append(reports.save_figure(fig, "f", data, synthetic=True, outdir=tmp_path / run))
        plt.close(fig)
    fonts = len(made)
    assert fonts and len(_pdf_fonts._SUBSETS) == fonts  # the second save made no subset
    assert written[0]["pdf"].read_bytes() == written[1]["pdf"].read_bytes()
    monkeypatch.setattr(_pdf_fonts, "_SUBSETS", {})  # a fresh subset for the same figure
    fig, data = _fig()
    fig.axes[0].set_title("same glyphs")
    fresh = reports.save_figure(fig, "f", data, synthetic=True, outdir=tmp_path / "c")["pdf"]
    plt.close(fig)
    assert fresh.read_bytes() == written[1]["pdf"].read_bytes()


def test_pdf_saving_falls_back_to_matplotlibs_subsetting(tmp_path, monkeypatch):
    """A failing lean subset, or a changed hook, gives the PDF matplotlib itself writes."""
    fig, data = _fig()
    monkeypatch.setattr(_pdf_fonts, "_font_subset_hook", lambda: None)
    own = reports.save_figure(fig, "f", data, synthetic=True, outdir=tmp_path / "own")["pdf"]
    monkeypatch.undo()

    def broken(*args):
        raise RuntimeError("no subset")

    monkeypatch.setattr(_pdf_fonts, "_lean_glyphs_subset", broken)
    monkeypatch.setattr(_pdf_fonts, "_SUBSETS", {})  # no subset made before
    fallback = reports.save_figure(fig, "f", data, synthetic=True, outdir=tmp_path / "fb")["pdf"]
    plt.close(fig)
    assert fallback.read_bytes() == own.read_bytes()
    assert {"GSUB", "GPOS"} <= set(_embedded_fonts(own.read_bytes())[0].keys())


def test_save_figure_draws_once_per_format(tmp_path, monkeypatch):
    """No second draw per format for the placeholder engine tight_layout leaves; it stays on the figure."""
    from matplotlib.figure import Figure

    fig, data = _fig()
    fig.tight_layout()
    engine = fig.get_layout_engine()
    draws = []
    draw = Figure.draw
    monkeypatch.setattr(
        Figure, "draw", lambda self, renderer: draws.append(1) or draw(self, renderer)
    )
    reports.save_figure(fig, "fig_draws", data, synthetic=True, outdir=tmp_path)
    plt.close(fig)
    assert len(draws) == 2  # PDF, PNG (the saved box is measured without a draw)
    assert fig.get_layout_engine() is engine


def test_saved_box_is_the_box_a_draw_would_give():
    """_saved_bbox measures without drawing; the box equals the one measured after a draw."""
    plots.use_style("paper")
    fig, axs = plt.subplots(1, 2, figsize=plots.FIGSIZES["full"])
    for i, ax in enumerate(axs):
        ax.plot(np.arange(2000, 2015), np.linspace(0, 1e5 * (i + 1), 15), label=f"series {i}")
        ax.set_title(f"Panel {i}: violent crime rate")
        ax.set_ylabel("per 100,000")
    fig.supxlabel("Year")
    fig.legend(loc="upper center", ncols=2)
    fig.tight_layout(rect=(0, 0, 1, 0.9))
    reports.mark_data(fig, synthetic=True, n_note="N = 1,100 county-years, 100 clusters")
    box = reports._saved_bbox(fig)
    fig.draw_without_rendering()
    assert box.bounds == reports._saved_bbox(fig).bounds
    plt.close(fig)


def test_save_table_writes_latex_and_csv_with_the_same_numbers(tmp_path):
    table = pd.DataFrame({"estimator": ["twfe", "cs"], "estimate": [0.12345678, -0.5]})
    paths = reports.save_table(table, "tab_test", synthetic=True, outdir=tmp_path)
    csv = pd.read_csv(paths["csv"])
    assert csv["estimate"].tolist() == [0.12345678, -0.5]
    tex = paths["tex"].read_text()
    assert (
        "0.123" in tex and "-0.500" in tex and "SYNTHETIC DATA" in tex and "\\begin{tabular}" in tex
    )
    assert "\\caption{[SYNTHETIC DATA]}" in tex
    again = reports.save_table(table, "tab_test", synthetic=True, outdir=tmp_path / "again")
    for fmt in ("csv", "tex"):
        assert paths[fmt].read_bytes() == again[fmt].read_bytes()


def test_save_table_caption_carries_the_data_label(tmp_path):
    table = pd.DataFrame({"a": [1.0]})
    tex = reports.save_table(table, "t", synthetic=False, data_label=REAL_LABEL, caption="Counts & rates",
                             outdir=tmp_path)["tex"].read_text()  # fmt: skip
    assert f"\\caption{{Counts \\& rates [{REAL_LABEL}]}}" in tex
    bare = reports.save_table(table, "u", synthetic=False, outdir=tmp_path)["tex"].read_text()
    assert "\\caption" not in bare and "% data: real data" in bare
    with pytest.raises(ValueError, match="empty"):
        reports.save_table(pd.DataFrame(), "v", synthetic=False, outdir=tmp_path)


# --------------------------------------------------------------------------------------
# regression tables
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def nc_results():
    from enforcement_crime import synthetic
    from enforcement_crime.estimators import twfe
    from enforcement_crime.treatment import add_treatment

    d = synthetic.make_panel(seed=20140101, preset="dynamic")
    nc = d[d["fips"].str.startswith("37") & d["year"].between(2003, 2013)]
    p = add_treatment(nc, "g287_start", "g287_end", rule="first_full_year", prefix="g287")
    weighted = twfe(
        p, "violent_rate", "fips", "year", "g287_cohort", weights="population", cluster="fips"
    )
    plain = twfe(p, "property_rate", "fips", "year", "g287_cohort", cluster="fips")
    return p, weighted, plain


def _tex_cells(tex: str) -> dict[str, list[str]]:
    """Rows of a LaTeX tabular as label -> cells (makecell contents split on \\\\)."""
    rows = {}
    for line in tex.splitlines():
        if line.count("&") < 2 or not line.rstrip().endswith("\\\\"):
            continue
        cells = [c.strip() for c in line.rstrip()[:-2].split(" & ")]
        rows[cells[0]] = cells[1:]
    return rows


def test_regression_table_cells_equal_the_results(tmp_path, nc_results):
    _, weighted, plain = nc_results
    cols = [
        reports.RegressionColumn(weighted, "Weighted", ("county", "year"), "population"),
        reports.RegressionColumn(plain, "Unweighted", ("county",), None),
    ]
    paths = reports.regression_table(
        cols, "tab_reg", synthetic=True, outdir=tmp_path, caption="TWFE"
    )
    csv = pd.read_csv(paths["csv"]).set_index("row")
    for heading, res in (("Weighted", weighted), ("Unweighted", plain)):
        row = res.term("treated")
        assert float(csv.loc["treated", heading]) == row["estimate"]
        assert float(csv.loc["treated (SE)", heading]) == row["std_error"]
        assert float(csv.loc["treated CI low", heading]) == row["conf_low"]
        assert float(csv.loc["treated CI high", heading]) == row["conf_high"]
        assert int(csv.loc["Observations", heading]) == res.n_obs
        assert int(csv.loc["Clusters", heading]) == res.n_clusters
    assert csv.loc["FE: year"].tolist()[:2] == ["Yes", "No"]
    assert csv.loc["Weights"].tolist()[:2] == ["population", "none"]
    assert csv.loc["Outcome"].tolist()[:2] == ["violent_rate", "property_rate"]
    tex = paths["tex"].read_text()
    cells = _tex_cells(tex)
    for i, res in enumerate((weighted, plain)):
        r = res.term("treated")
        want = (f"\\makecell{{{r['estimate']:.3f} \\\\ ({r['std_error']:.3f}) \\\\ "
                f"{{[}}{r['conf_low']:.3f}, {r['conf_high']:.3f}]}}")  # fmt: skip
        assert cells["Treated"][i] == want
        assert (
            cells["Observations"][i] == f"{res.n_obs:,}"
            and cells["Clusters"][i] == f"{res.n_clusters:,}"
        )
    assert cells["Year"] == ["Yes", "No"] and cells["County"] == ["Yes", "Yes"]
    assert cells["Weights"] == ["Population", "none"]
    # human labels in the LaTeX (enforcement_crime.labels), code names only in the CSV
    assert "Violent crime rate" in tex and "violent" not in tex.replace("Violent", "")
    assert "95\\% confidence interval" in tex and "\\caption{TWFE [SYNTHETIC DATA]}" in tex


def test_regression_table_refuses_bad_input(tmp_path, nc_results):
    _, weighted, _ = nc_results
    with pytest.raises(TypeError, match="RegressionColumn"):
        reports.regression_table([weighted], "t", synthetic=True, outdir=tmp_path)
    with pytest.raises(KeyError, match="no column has the term 'nope'"):
        reports.regression_table([reports.RegressionColumn(weighted)], "t", terms=["nope"], synthetic=True,
                                 outdir=tmp_path)  # fmt: skip
    with pytest.raises(ValueError, match="no columns"):
        reports.regression_table([], "t", synthetic=True, outdir=tmp_path)


# --------------------------------------------------------------------------------------
# output registry and OUTPUTS.md
# --------------------------------------------------------------------------------------


def test_output_log_and_outputs_md(tmp_path, monkeypatch):
    monkeypatch.setenv("ENFORCEMENT_CRIME_REPORTS", str(tmp_path))
    log = reports.OutputLog(
        "demo", "notebooks/287g/01-estimate-nc-counties.py", True, "SYNTHETIC DATA (seed 1)"
    )
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    log.figure(fig, "fig_demo_line", pd.DataFrame({"x": [0, 1], "y": [0, 1]}), description="a line",
               n_note="N = 2")  # fmt: skip
    assert "N = 2" in _texts(fig)
    plt.close(fig)
    log.table(pd.DataFrame({"a": [1.5, np.nan]}), "tab_demo", description="a table")
    from enforcement_crime.results import EstimationResult

    res = EstimationResult("twfe", pd.DataFrame({"term": ["treated"], "estimate": [0.5], "std_error": [0.1],
                                                 "conf_low": [0.3], "conf_high": [0.7]}), n_obs=10, n_clusters=5)  # fmt: skip
    reg = log.regression(
        [reports.RegressionColumn(res, "main", ("county",), "population", "y")], "tab_demo_reg"
    )
    assert float(pd.read_csv(reg["csv"]).set_index("row").loc["treated", "main"]) == 0.5
    log.value("answer", 42.0)
    md = log.finish()
    rec = json.loads(
        (
            reports.outputs_registry_dir() / "notebooks__287g__01-estimate-nc-counties.json"
        ).read_text()
    )
    assert [e["name"] for e in rec["outputs"]] == ["fig_demo_line", "tab_demo", "tab_demo_reg"]
    assert rec["values"] == {"answer": 42.0}
    assert "SYNTHETIC DATA (seed 1)" in Path(rec["outputs"][1]["files"]["tex"]).read_text()
    text = md.read_text()
    assert "`notebooks/287g/01-estimate-nc-counties.py`" in text and "(SYNTHETIC DATA)" in text
    links = re.findall(r"\]\(([^)]+)\)", text)
    for link in links:
        if link.startswith("../notebooks/"):
            assert (config.project_root() / link.removeprefix("../")).is_file(), link
        elif not link.startswith("notebooks/"):  # executed notebooks exist only after a run
            assert (tmp_path / link).is_file(), link
    assert any(link.endswith("fig_demo_line.pdf") for link in links)
    assert any(link.endswith("tab_demo.tex") for link in links)


def test_notebook_tables_and_values_read_tagged_outputs(tmp_path):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [
        # as OutputLog writes them: the numbers in the output's metadata, one plain-text line shown
        nbformat.v4.new_output("display_data", data={"text/plain": "saved tab_y"},
                               metadata={reports.TABLE_JSON_KEY: {"name": "tab_y", "data": [{"b": 2}]}}),
        nbformat.v4.new_output("display_data", data={"text/plain": "j = 1"},
                               metadata={reports.VALUE_JSON_KEY: {"name": "j", "data": {"j": 1}}}),
        # notebooks executed before: an application/json bundle tagged in its metadata
        nbformat.v4.new_output("display_data", data={"application/json": [{"a": 1.0}, {"a": None}], "text/plain": "t"},
                               metadata={"application/json": {reports.TABLE_JSON_KEY: "tab_x"}}),
        nbformat.v4.new_output("display_data", data={"application/json": {"k": 3.5}, "text/plain": "v"},
                               metadata={"application/json": {reports.VALUE_JSON_KEY: "k"}}),
        nbformat.v4.new_output("display_data", data={"application/json": {"z": 1}, "text/plain": "other"}),
    ]  # fmt: skip
    nb.cells.append(cell)
    path = tmp_path / "x.ipynb"
    nbformat.write(nb, path)
    tables = reports.notebook_tables(path)
    assert sorted(tables) == ["tab_x", "tab_y"] and tables["tab_x"]["a"].tolist()[0] == 1.0
    assert pd.isna(tables["tab_x"]["a"].tolist()[1])
    assert tables["tab_y"]["b"].tolist() == [2]
    assert reports.notebook_values(path) == {"k": 3.5, "j": 1}


# --------------------------------------------------------------------------------------
# a notebook's exported numbers against an independent computation
# --------------------------------------------------------------------------------------

EXPORT_NOTEBOOK = """# %% tags=["parameters"]
seed = 20140101

# %%
from enforcement_crime import reports, synthetic
from enforcement_crime.estimators import twfe
from enforcement_crime.treatment import add_treatment

d = synthetic.make_panel(seed=seed, preset="dynamic")
nc = d[d["fips"].str.startswith("37") & d["year"].between(2003, 2013)]
p = add_treatment(nc, "g287_start", "g287_end", rule="first_full_year", prefix="g287")
log = reports.OutputLog("demo", "notebooks/demo/01-export.py", True, "SYNTHETIC DATA (seed %d)" % seed)
rows = []
for outcome in ["violent_rate", "property_rate"]:
    r = twfe(p, outcome, "fips", "year", "g287_cohort", weights="population", cluster="fips")
    rows.append(r.to_frame().assign(outcome=outcome))
import pandas as pd
log.table(pd.concat(rows)[["outcome", "term", "estimate", "std_error", "n_obs"]], "tab_demo_twfe")
log.finish()
"""


@pytest.mark.notebooks
def test_exported_estimates_equal_an_independent_pyfixest_fit(tmp_path, monkeypatch):
    """A kernel computes TWFE estimates and exports them through OutputLog; pyfixest refits them here."""
    import pyfixest as pf

    from enforcement_crime import synthetic
    from enforcement_crime.treatment import add_treatment

    src = tmp_path / "01-export.py"
    src.write_text(EXPORT_NOTEBOOK)
    monkeypatch.setenv("ENFORCEMENT_CRIME_REPORTS", str(tmp_path / "reports"))
    run = notebooks.execute_notebook(src, tmp_path / "out.ipynb", {"seed": 20140101}, html=False)
    assert run.output.is_file()
    exported = pd.read_csv(tmp_path / "reports" / "tables" / "demo" / "tab_demo_twfe.csv")
    d = synthetic.make_panel(seed=20140101, preset="dynamic")
    nc = d[d["fips"].str.startswith("37") & d["year"].between(2003, 2013)]
    p = add_treatment(nc, "g287_start", "g287_end", rule="first_full_year", prefix="g287")
    # absorbing treatment from the first full year: treated once year >= cohort
    p = p.assign(d_=(p["year"] >= p["g287_cohort"].fillna(np.inf)).astype(float))
    assert len(exported) == 2
    for outcome in ("violent_rate", "property_rate"):
        q = p.dropna(subset=[outcome])
        fit = pf.feols(
            f"{outcome} ~ d_ | fips + year", data=q, weights="population", vcov={"CRV1": "fips"}
        )
        row = exported[exported["outcome"] == outcome].iloc[0]
        assert row["estimate"] == pytest.approx(float(fit.coef()["d_"]), rel=1e-8)
        assert row["std_error"] == pytest.approx(float(fit.se()["d_"]), rel=1e-6)
        assert row["n_obs"] == fit._N and row["is_synthetic"]
    # OUTPUTS.md maps every file on disk to the notebook, and the notebook's source names each output
    text = (tmp_path / "reports" / "OUTPUTS.md").read_text()
    rec = json.loads(
        (
            tmp_path / "reports" / "notebooks" / "_outputs" / "notebooks__demo__01-export.json"
        ).read_text()
    )
    for e in rec["outputs"]:
        assert e["name"] in EXPORT_NOTEBOOK
        for f in e["files"].values():
            assert (
                Path(f).is_file() and Path(f).relative_to(tmp_path / "reports").as_posix() in text
            )


# --------------------------------------------------------------------------------------
# real CIUS-based panels from ../shared/data: every parameter file's outputs exist and say real data
# --------------------------------------------------------------------------------------

FAST = {
    "notebooks/287g/01-estimate-nc-counties.py": {"n_boot": 99, "n_perm": 49, "n_mde_sims": 50},
    "notebooks/287g/02-estimate-national-counties.py": {"n_boot": 99, "n_mde_sims": 50},
    "notebooks/secure_communities/01-estimate-county-crime.py": {"n_mde_sims": 50},
    "notebooks/secure_communities/02-estimate-city-crime.py": {"n_mde_sims": 50},
    "notebooks/methods/01-run-multiverse.py": {"coverage_rules": ["all_reported"], "weights_options": ["population"]},
    "notebooks/methods/02-compute-minimum-detectable-effects.py": {"n_sim": 50},
}  # fmt: skip


def _errors(nb_path: Path) -> list[str]:
    nb = nbformat.read(nb_path, as_version=4)
    return [f"{o.get('ename')}: {o.get('evalue')}" for c in nb.cells if c.cell_type == "code"
            for o in c.get("outputs", []) if o.get("output_type") == "error"]  # fmt: skip


@pytest.fixture(scope="module")
def real_runs(shared_data, tmp_path_factory):
    """Each parameter file on the real CIUS-based panels: its executed notebook and output record.

    The panels are built here from the shared copies. A parameter file using only those panels
    is run with :data:`FAST` settings into a temporary project, two notebooks at a time, unless
    ``make real`` has just made exactly that run: in CI, ``.ci/run`` runs ``make real`` (every
    notebook on every real panel, full settings) and then stamps its runs
    (``tests/real_stamp.py``). A stamped run stands for the parameter file's when its notebook
    and parameters are the file's (``make real``'s other runs, with extra panels or another
    grid, do not), the code, notebooks and packages are those of this checkout, the real copies
    are unchanged, every panel it read has the content of the panel built here, and its executed
    notebook and outputs are byte-for-byte as stamped (:func:`real_stamp.reusable`). Its outputs
    then go through the same checks as a run made here, with the notebook's full settings
    instead of :data:`FAST`. Returns ``[(spec, executed notebook, output record, how)]``,
    ``how`` being ``"run here"`` or ``"make real"``.
    """
    from concurrent.futures import ThreadPoolExecutor

    import real_stamp

    from enforcement_crime.panels import commands

    root = tmp_path_factory.mktemp("project")
    processed = root / "data" / "processed"
    processed.mkdir(parents=True)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ENFORCEMENT_CRIME_SHARED", str(shared_data))
        built = commands.build(["cius_county", "city_sc", "nc_county"], shared=True, folder=processed,
                               out=lambda s: None)  # fmt: skip
    built = {k: Path(p) for k, p in built.items() if k != "synthetic" and Path(p).is_file()}
    if not built:
        pytest.skip("no CIUS-based panel could be built from the shared data")
    specs = []
    for spec in notebooks.param_files():
        assert spec["error"] is None, spec["error"]
        panels = {v for k, v in spec["parameters"].items() if k.endswith("_source") and v}
        if panels and panels <= set(built):
            specs.append(spec)
    assert specs, f"no parameter file uses only the built panels {sorted(built)}"
    proj = config.project_root()
    stamp = config.reports_dir() / "real" / real_stamp.STAMP
    stamped, why = real_stamp.reusable(stamp, proj, shared_data, built)
    print(f"make real's stamped runs usable: {len(stamped)}" + (f" ({why})" if why else ""))
    reports_dir = root / "reports"
    record = reports_dir / "notebooks" / "_outputs"
    results: dict[int, tuple] = {}
    todo = []
    for i, s in enumerate(specs):
        run = stamped.get(real_stamp.params_key(s["notebook"], s["parameters"]))
        if run is not None:
            results[i] = (s, Path(run["executed"]), Path(run["record"]), "make real")
        else:
            todo.append(i)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ENFORCEMENT_CRIME_REPORTS", str(reports_dir))
        mp.setenv("ENFORCEMENT_CRIME_ROOT", str(root))
        mp.setenv("ENFORCEMENT_CRIME_SHARED", str(shared_data))
        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = {i: pool.submit(notebooks.execute_notebook, proj / specs[i]["notebook"],
                                      reports_dir / "nb" / (specs[i]["path"].stem + ".ipynb"),
                                      {**specs[i]["parameters"], **FAST[specs[i]["notebook"]]}, html=False,
                                      timeout=900, cwd=root, validate=True) for i in todo}  # fmt: skip
            for i, f in futures.items():
                stem = specs[i]["notebook"].replace("/", "__").removesuffix(".py")
                results[i] = (specs[i], f.result().output, record / f"{stem}.json", "run here")
    return [results[i] for i in range(len(specs))]


@pytest.mark.shared_data
@pytest.mark.notebooks
def test_study_notebooks_on_real_cius_panels(real_runs):
    specs = [spec for spec, *_ in real_runs]
    assert {s["notebook"] for s in specs} >= {
        "notebooks/287g/01-estimate-nc-counties.py",
        "notebooks/secure_communities/01-estimate-county-crime.py",
        "notebooks/secure_communities/02-estimate-city-crime.py",
    }
    for spec, executed, reg, how in real_runs:
        where = f"{spec['path'].name} ({how})"
        assert not _errors(executed), f"{where}: {_errors(executed)}"
        rec = json.loads(reg.read_text())
        assert rec["notebook"] == spec["notebook"], where
        assert rec["synthetic"] is False and "SYNTHETIC" not in rec["data"].upper(), where
        figures = [e for e in rec["outputs"] if e["kind"] == "figure"]
        tables = [e for e in rec["outputs"] if e["kind"] == "table"]
        assert figures and tables, f"{where}: no figure or no table"
        for e in figures + tables:
            for f in e["files"].values():
                assert Path(f).stat().st_size > 0, f"{where}: {Path(f).name} empty"
            csv = pd.read_csv(e["files"]["csv"])
            assert len(csv) > 0 and not csv["is_synthetic"].any(), f"{where}: {e['name']}"
