"""SNAPSHOT test of every public estimator: guards against numbers moving, it does not validate them.

``snapshots/estimators.json`` holds the estimates, standard errors, intervals, p-values, pre-trend
tests and bootstrap results of each public estimator on fixed SYNTHETIC inputs with fixed seeds,
as written by ``snapshots/make_snapshot.py`` at the commit that wrote it. The numbers were copied
from the code's own output, so they say nothing about correctness (the other test files do that,
against independent derivations and reference libraries); this file only fails when a change
moves a number. After a deliberate change of a number, rerun the script and say why in the commit.

Tolerance: relative 1e-8 (absolute 1e-10 for numbers near zero). A pure refactor changes only the
order of floating-point operations (sums, matrix products, which projector or root finder is used),
which moves results by round-off, far below 1e-8 relative even after the ill-conditioned steps
(inverse of the Wald variance, two-way projections); bootstrap interval ends are found by root
finding to 1e-10 standard errors. Any change of method, draw or small-sample factor moves numbers
by far more than 1e-8.
"""

from __future__ import annotations

import importlib.util
import json
import math
import warnings
from pathlib import Path

import pytest

HERE = Path(__file__).parent / "snapshots"
_spec = importlib.util.spec_from_file_location("make_snapshot", HERE / "make_snapshot.py")
make_snapshot = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_snapshot)

STORED = json.loads((HERE / "estimators.json").read_text())
RTOL, ATOL = 1e-8, 1e-10


def _diffs(stored, now, path: str) -> list[str]:
    """Paths where ``now`` differs from ``stored`` (numbers at RTOL/ATOL, everything else exactly)."""
    if isinstance(stored, dict):
        if not isinstance(now, dict):
            return [f"{path}: stored a mapping, now {type(now).__name__}"]
        out = [f"{path}.{k}: missing now" for k in stored if k not in now]
        out += [f"{path}.{k}: new, not in the snapshot" for k in now if k not in stored]
        for k in stored:
            if k in now:
                out += _diffs(stored[k], now[k], f"{path}.{k}")
        return out
    if isinstance(stored, list):
        if not isinstance(now, list) or len(now) != len(stored):
            return [f"{path}: stored {len(stored)} values, now {now!r:.80}"]
        return [d for i, (a, b) in enumerate(zip(stored, now, strict=True))
                for d in _diffs(a, b, f"{path}[{i}]")]  # fmt: skip
    if isinstance(stored, float) or isinstance(now, float):
        if stored is None or now is None:
            return [] if stored is now else [f"{path}: stored {stored}, now {now}"]
        a, b = float(stored), float(now)
        if math.isnan(a) and math.isnan(b):
            return []
        if a == b or abs(a - b) <= ATOL + RTOL * abs(a):
            return []
        return [
            f"{path}: stored {a!r}, now {b!r} (relative {abs(a - b) / max(abs(a), 1e-300):.2e})"
        ]
    return [] if stored == now else [f"{path}: stored {stored!r}, now {now!r}"]


def test_snapshot_covers_every_case():
    assert sorted(STORED) == sorted(make_snapshot.cases())


@pytest.mark.parametrize("name", sorted(STORED))
def test_estimator_numbers_unchanged(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        now = make_snapshot.summarise(make_snapshot.cases()[name]())
    now = json.loads(json.dumps(now, allow_nan=True))
    diffs = _diffs(STORED[name], now, name)
    assert not diffs, "numbers moved:\n" + "\n".join(diffs[:20])


def test_comparison_detects_a_moved_number():
    stored = {"table": {"estimate": [1.0, 2.0]}, "extra": {"p_value": 0.05}}
    assert not _diffs(
        stored, {"table": {"estimate": [1.0, 2.0 + 1e-12]}, "extra": {"p_value": 0.05}}, "x"
    )
    assert _diffs(
        stored, {"table": {"estimate": [1.0, 2.0 + 1e-6]}, "extra": {"p_value": 0.05}}, "x"
    )
    assert _diffs(stored, {"table": {"estimate": [1.0, 2.0]}, "extra": {}}, "x")
