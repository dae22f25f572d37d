"""Slow: interval coverage of TWFE, Callaway-Sant'Anna and imputation (benchmarks/coverage_study.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "coverage_study.py"


def _load():
    spec = importlib.util.spec_from_file_location("coverage_bench", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.slow
def test_coverage_200_replications():
    out = _load().run_coverage(reps=200, seed=0, jobs=2)
    assert set(out.index) == {"twfe", "callaway_santanna", "imputation"}
    assert (out["reps"] == 200).all()
    for name, row in out.iterrows():
        # Monte Carlo SE of a coverage near 0.95 with R = 200 is sqrt(.95 * .05 / 200) = 0.015:
        # the 92-98% band is about +/- 2 MC SE around the nominal level (seeds fixed, so the
        # result is reproducible; a correct method lands outside with probability ~5%)
        assert 0.92 <= row["coverage"] <= 0.98, f"{name}: coverage {row['coverage']:.3f}"
        # and the reported SEs track the Monte Carlo spread (within 20%: the SD itself is
        # estimated from 200 draws, relative SE 5%)
        assert row["mean_std_error"] == pytest.approx(row["sd_estimate"], rel=0.2), name


def test_coverage_script_smoke():
    """Fast check that the script runs and reports one row per estimator."""
    out = _load().run_coverage(reps=2, seed=0)
    assert list(out.index) == ["twfe", "callaway_santanna", "imputation"]
    assert out["coverage"].between(0, 1).all()
