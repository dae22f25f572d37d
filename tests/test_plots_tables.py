"""Figure styles and the standard displays (saving is tested in tests/test_reports.py)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from enforcement_crime import plots  # noqa: E402


def test_slides_style_is_16_by_9():
    plots.use_style("slides")
    w, h = plt.rcParams["figure.figsize"]
    assert w / h == pytest.approx(16 / 9)
    assert plt.rcParams["font.size"] > 12
    plots.use_style("paper")
    with pytest.raises(ValueError, match="unknown figure style"):
        plots.style_path("poster")


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
