"""On the null synthetic panel the evidence paragraph names every rejection a false positive; elsewhere not.

:func:`enforcement_crime.designs.evidence.false_positive_reading` is checked
on hand-made robustness rows (so each rejection is known), with the committed
size table and with a planted one (so the measured rate is shown to be read
from the file), at two levels; and :func:`~.evidence.with_false_positives`
(what :func:`~.evidence.present` calls) on the toy design's sample with and
without a true-effect column.
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from enforcement_crime import config, designs
from enforcement_crime.designs import evidence
from enforcement_crime.designs.base import StudySample

COMMITTED = config.project_root() / "reports" / "size" / "size_table.csv"


def _sample(truth=0.0, synthetic=True, **options) -> StudySample:
    """The SC county design on a stand-in panel: only the parts the reading reads (truth columns)."""
    raw = pd.DataFrame({"fips": [1, 2], "year": [2005, 2006],
                        "sc_true_effect": [0.0, truth], "g287_true_effect": [0.0, 0.0]})  # fmt: skip
    d = designs.get("sc_county", **options)
    return StudySample(d, raw, raw, "synthetic", "SYNTHETIC DATA", synthetic)


def _row(choice, variant, lo, hi):
    return {"outcome": "index_rate", "choice": choice, "variant": variant, "scale": "log",
            "estimate": (lo + hi) / 2, "conf_low": lo, "conf_high": hi}  # fmt: skip


ROBUST = pd.DataFrame([
    _row("headline", "TWFE base", -0.03, 0.02),  # covers 0
    _row("placebo", "adoption 2 years earlier (pre-periods only)", 0.005, 0.03),  # excludes 0
    _row("inference / estimator", "TWFE, level, no trends", -140.0, -5.0),  # excludes 0
    _row("panel", "panel cius_county", 0.01, 0.05),  # another panel: not this panel's truth
    _row("leave one out", "without state 01", -0.02, 0.02),
])  # fmt: skip
DIAG = {"sample": "all", "outcome": "index_rate", "pretrend_p": 0.044}
NAMES = {"TWFE, level, no trends": "TWFE, level, no trends"}  # robustness label -> size case


def test_null_panel_rejections_are_named_false_positives_with_the_measured_size():
    if not COMMITTED.is_file():
        pytest.skip(f"{COMMITTED} absent")
    text = evidence.false_positive_reading(_sample(), ROBUST, DIAG, case_names=NAMES)
    assert "no true effect" in text and "false positive" in text
    assert "the joint pre-trend test (p = 0.044)" in text
    assert 'placebo "adoption 2 years earlier (pre-periods only)": interval excludes 0' in text
    assert 'inference / estimator "TWFE, level, no trends": interval excludes 0.' in text
    assert "cius_county" not in text and "TWFE base" not in text  # other panel; interval covers 0
    # nominal rate from the design's level; expected count: 4 intervals of this panel + 1 test
    assert "nominal size 5%" in text and "about 1 run in 20" in text
    assert "among the 5 tests and intervals above about 0.25 false positives" in text
    # the measured rates are the committed table's rows of this design and outcome
    size = pd.read_csv(COMMITTED)
    mine = size[(size["design"] == "sc_county") & (size["outcome"] == "index_rate")]
    pre = mine[(mine["test"] == "pretrend") & ~mine["case"].str.contains("not used")].iloc[0]
    lev = mine[mine["case"] == "TWFE, level, no trends"].iloc[0]
    for r in (pre, lev):
        assert f"{r['case']}: rejects {100 * r['reject_05']:.1f}% " in text
        assert f"over {int(r['n_seeds'])} null seeds" in text
    assert "reports/size/size_table.csv" in text


def test_the_measured_rate_and_the_level_come_from_the_table_and_the_design(tmp_path):
    planted = pd.DataFrame([{"design": "sc_county", "case": "TWFE, level, no trends",
                             "outcome": "index_rate", "test": "interval", "reject_05": 0.123,
                             "mc_se_05": 0.02, "n_seeds": 37}])  # fmt: skip
    path = tmp_path / "size_table.csv"
    planted.to_csv(path, index=False)
    text = evidence.false_positive_reading(_sample(alpha=0.10), ROBUST, {**DIAG, "pretrend_p": 0.08},
                                           size_path=path, case_names=NAMES)  # fmt: skip
    assert "rejects 12.3% (MC s.e. 2.0) at 5% over 37 null seeds" in text
    assert "nominal size 10%" in text and "about 1 run in 10" in text
    assert "p = 0.08" in text  # below 0.10
    # no table: said so, no rate made up
    gone = evidence.false_positive_reading(_sample(), ROBUST, DIAG, size_path=tmp_path / "none.csv",
                                           case_names=NAMES)  # fmt: skip
    assert "absent: no measured size" in gone and "null seeds" not in gone


def test_no_rejection_on_the_null_panel_is_one_sentence():
    calm = ROBUST[ROBUST["choice"].isin(["headline", "leave one out"])]
    text = evidence.false_positive_reading(
        _sample(), calm, {**DIAG, "pretrend_p": 0.5}, case_names={}
    )
    assert "none of the 3 tests and intervals above rejects" in text
    assert "about 1 run in 20" in text


def test_real_panels_and_panels_with_a_true_effect_get_no_false_positive_sentence():
    assert evidence.false_positive_reading(_sample(synthetic=False), ROBUST, DIAG) == ""
    assert evidence.false_positive_reading(_sample(truth=-0.05), ROBUST, DIAG) == ""
    bare = _sample()
    bare = dataclasses.replace(
        bare, raw=bare.raw.drop(columns=["sc_true_effect", "g287_true_effect"])
    )
    assert evidence.null_truth(bare) is None
    assert evidence.false_positive_reading(bare, ROBUST, DIAG, case_names={}) == ""
    assert evidence.null_truth(_sample()) == ["sc_true_effect", "g287_true_effect"]


def test_present_appends_the_sentence_on_a_null_panel_only():
    """with_false_positives is what present() runs on the reading paragraphs."""
    from tests.test_designs import TOY, _sim

    df = _sim(effect=0.0, seed=5, n_units=60)
    robust = pd.DataFrame(
        [{**_row("placebo", "adoption 2 years earlier", 0.1, 0.4), "outcome": "y"}]
    )
    diags = pd.DataFrame([{"sample": "all", "outcome": "y", "pretrend_p": 0.3}])
    null = TOY.prepare(df.assign(p_true_effect=0.0), data_source="simulated", label="SIMULATED")
    (text,) = evidence.with_false_positives(null, ["para"], robust, diags)
    assert text.startswith("para This panel is synthetic with no true effect")
    assert 'placebo "adoption 2 years earlier": interval excludes 0' in text
    real = TOY.prepare(df.assign(p_true_effect=0.0, is_synthetic=False), data_source="x", label="X")
    assert evidence.with_false_positives(real, ["para"], robust, diags) == ["para"]
    src = (config.project_root() / "src/enforcement_crime/designs/evidence.py").read_text()
    assert "reading = with_false_positives(sample, reading, robust, diags, placebos)" in src
