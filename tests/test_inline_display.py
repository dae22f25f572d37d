"""A notebook shows a figure that save_figure wrote from the saved PNG, until the figure changes.

The shell is a stand-in with IPython's own PNG formatter set up as the inline backend sets it
(``print_figure`` with ``fmt="png"``, ``base64=True``, ``bbox_inches="tight"``), so no kernel starts.
"""

from __future__ import annotations

import base64
import functools
import io
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from IPython.core.formatters import PNGFormatter  # noqa: E402
from IPython.core.pylabtools import print_figure, retina_figure  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from PIL import Image  # noqa: E402

from enforcement_crime import plots, reports  # noqa: E402


def _shell(monkeypatch, default):
    png = PNGFormatter()
    png.for_type(Figure, default)
    shell = SimpleNamespace(display_formatter=SimpleNamespace(formatters={"image/png": png}))
    monkeypatch.setattr("IPython.get_ipython", lambda: shell)
    return png


def _inline_default():
    return functools.partial(print_figure, fmt="png", base64=True, bbox_inches="tight")


def _fig():
    plots.use_style("paper")
    fig, ax = plt.subplots(figsize=plots.FIGSIZES["column"])
    ax.plot([1, 2, 3], [2, 1, 3])
    return fig, ax, pd.DataFrame({"x": [1, 2, 3], "y": [2, 1, 3]})


def _pixels(b64: str) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(b64))))


def test_saved_figure_is_shown_from_its_png_reduced_to_the_figure_dpi(tmp_path, monkeypatch):
    fig, _, data = _fig()  # before the stand-in shell: pyplot hooks into a real one
    png = _shell(monkeypatch, _inline_default())
    paths = reports.save_figure(fig, "fig_shown", data, synthetic=True, outdir=tmp_path)
    shown = _pixels(png(fig))
    saved = Image.open(paths["png"])
    factor = round(reports.PNG_DPI / fig.dpi)
    assert factor == 3  # the paper style draws at 100 dpi on screen, saves at 300
    expected = np.asarray(saved.reduce(factor))
    assert shown.shape == expected.shape
    assert np.array_equal(shown, expected)  # the saved picture, box-filtered
    plt.close(fig)


def test_a_figure_changed_after_saving_is_drawn_again(tmp_path, monkeypatch):
    fig, ax, data = _fig()
    png = _shell(monkeypatch, _inline_default())
    reports.save_figure(fig, "fig_changed", data, synthetic=True, outdir=tmp_path)
    ax.set_title("added after saving")
    assert not hasattr(fig, "_enforcement_crime_saved_png")
    # what the inline backend itself draws now (the title is in it)
    assert np.array_equal(_pixels(png(fig)), _pixels(_inline_default()(fig)))
    plt.close(fig)


def test_other_png_formatters_are_left_alone(tmp_path, monkeypatch):
    retina = functools.partial(retina_figure, base64=True, bbox_inches="tight")
    fig, _, data = _fig()
    png = _shell(monkeypatch, retina)
    reports.save_figure(fig, "fig_retina", data, synthetic=True, outdir=tmp_path)
    assert png.lookup_by_type(Figure) is retina
    assert not hasattr(fig, "_enforcement_crime_saved_png")
    plt.close(fig)


def test_outside_ipython_nothing_is_remembered(tmp_path, monkeypatch):
    fig, _, data = _fig()
    monkeypatch.setattr("IPython.get_ipython", lambda: None)
    callback = fig.stale_callback
    reports.save_figure(fig, "fig_plain", data, synthetic=True, outdir=tmp_path)
    assert not hasattr(fig, "_enforcement_crime_saved_png")
    assert fig.stale_callback is callback
    plt.close(fig)


def test_a_png_overwritten_since_saving_is_not_shown(tmp_path, monkeypatch):
    first, _, data = _fig()
    png = _shell(monkeypatch, _inline_default())
    reports.save_figure(first, "fig_same_name", data, synthetic=True, outdir=tmp_path)
    second, ax, _ = _fig()
    ax.set_title("another figure, same file name")
    reports.save_figure(second, "fig_same_name", data, synthetic=True, outdir=tmp_path)
    assert np.array_equal(_pixels(png(first)), _pixels(_inline_default()(first)))
    plt.close(first)
    plt.close(second)


def test_show_saved_figure_shows_the_png_of_the_same_numbers(tmp_path, monkeypatch):
    fig, _, data = _fig()
    png = _shell(monkeypatch, _inline_default())
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, raw=False: shown.append(obj))
    reports.save_figure(fig, "fig_again", data, synthetic=True, outdir=tmp_path)
    assert reports.show_saved_figure(data.copy())
    assert len(shown) == 1 and np.array_equal(_pixels(shown[0]["image/png"]), _pixels(png(fig)))
    assert not reports.show_saved_figure(data.assign(y=[3, 2, 1]))  # other numbers: not saved
    plt.close(fig)


def test_show_saved_figure_outside_ipython_draws_nothing_on_agg(tmp_path, monkeypatch):
    fig, _, data = _fig()
    monkeypatch.setattr("IPython.get_ipython", lambda: None)
    reports.save_figure(fig, "fig_plain_again", data, synthetic=False, outdir=tmp_path)
    plt.close(fig)
    assert reports.show_saved_figure(data)  # plt.show() on Agg would show nothing either
    assert not reports.show_saved_figure(data.iloc[:2])
