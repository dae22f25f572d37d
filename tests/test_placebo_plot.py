"""plots.placebo_plot: one panel per scheme, the actual estimate and the placebo mean marked (SYNTHETIC draws)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from enforcement_crime import plots  # noqa: E402


def test_one_panel_per_scheme_with_the_actual_estimate_marked():
    rng = np.random.default_rng(0)
    draws = pd.DataFrame({"scheme": np.repeat(["all units", "within state"], 100),
                          "draw": np.tile(np.arange(100), 2), "estimate": rng.normal(size=200)})  # fmt: skip
    draws.loc[3, "estimate"] = np.nan
    table = pd.DataFrame({"scheme": ["all units", "within state"], "estimate": [1.7, 1.7],
                          "placebo_mean": [0.02, -0.05], "share_extreme": [0.08, 0.3]})  # fmt: skip
    fig, shown = plots.placebo_plot(draws, table)
    axes = [a for a in fig.axes if a.get_visible() and a.get_title()]
    assert len(axes) == 2 and len(shown) == 200
    for ax in axes:
        xs = [ln.get_xdata()[0] for ln in ax.get_lines() if ln.get_gid() == "observed"]
        assert xs == [1.7]
    assert "0.080" in axes[0].get_title()
    texts = [t.get_text() for t in axes[0].texts]
    assert any("1 draw(s) not estimable" in t for t in texts)
    plt.close(fig)
    with pytest.raises(ValueError, match="no scheme"):
        plots.placebo_plot(draws.assign(scheme="other"), table)
