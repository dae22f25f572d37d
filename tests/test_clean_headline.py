"""The clean-control headline of all-eventually-treated designs, and the interval counts of the evidence.

Simulated panels (:func:`enforcement_crime.simulate.simulate_staggered`, labelled SIMULATED) with a known
effect: every unit adopts inside the window and the effect grows with exposure, the case in which TWFE's
comparisons of later- against earlier-treated units bias it.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest

from enforcement_crime import designs
from enforcement_crime.designs import evidence
from enforcement_crime.designs.base import Spec, headline
from enforcement_crime.designs.clean import CLEAN_MARK, clean_headline, clean_window
from enforcement_crime.estimators import callaway_santanna, twfe
from enforcement_crime.simulate import Effect, simulate_staggered
from tests.test_designs import TOY

pytestmark = [pytest.mark.xdist_group("clean_headline")]

CS = Spec("CS, not-yet-treated controls", callaway_santanna,
          {"control_group": "not_yet_treated", "aggregation": "simple"}, term="ATT(simple)")  # fmt: skip


@dataclasses.dataclass(frozen=True)
class _AllTreated(type(TOY)):
    """The toy design with a clean-control headline (as the SC designs declare one)."""

    placebo_draws: ClassVar[int] = 50

    def robustness_specs(self) -> tuple[Spec, ...]:
        return (CS,)

    def clean_headline(self, sample):
        return clean_headline(sample, CS)


ALL = _AllTreated(**{f.name: getattr(TOY, f.name) for f in dataclasses.fields(TOY)})


def _all_treated(seed=11):
    df = simulate_staggered(n_units=240, periods=(2000, 2010), cohorts={2003: 0.3, 2005: 0.3, 2009: 0.4},
                            effect=Effect(att=0.0, dynamic_slope=0.5), n_states=24, noise_sd=0.3,
                            seed=seed)  # fmt: skip
    df["start"] = pd.to_datetime(df["cohort"].astype(str) + "-01-01")
    df["w"] = 1.0 + (df["unit"] % 5)
    df["is_synthetic"] = True
    return df


@pytest.fixture(scope="module")
def sample():
    return ALL.prepare(_all_treated(), data_source="simulated", label="SIMULATED")


def test_clean_window_is_the_last_year_with_a_not_yet_treated_unit(sample):
    assert clean_window(sample) == 2008  # the 2009 cohort is untreated through 2008
    c = ALL.clean_headline(sample)
    assert (c.first, c.last, c.years_left_out) == (2000, 2008, (2009, 2010))
    assert c.spec.label == (f"CS, not-yet-treated controls, years 2000-2008 ({CLEAN_MARK}; 2009, 2010 "
                            "left out)")  # fmt: skip
    assert c.rows.sum() == (sample.data["time"] <= 2008).sum()
    # with never-treated units every year has a clean control: no clean headline
    never = ALL.prepare(_all_treated().assign(start=lambda d: d["start"].where(d["unit"] % 4 > 0)),
                        data_source="simulated", label="SIMULATED")  # fmt: skip
    assert clean_window(never) == 2010 and ALL.clean_headline(never) is None


def test_clean_headline_recovers_the_effect_twfe_misses(sample):
    c = ALL.clean_headline(sample)
    got = headline(c.fit(sample, "y"), "ATT(simple)")
    # the same estimator called directly on the window's rows (an independent path to the number)
    d = sample.data[sample.data["time"] <= 2008]
    direct = callaway_santanna(d, "y", "unit", "time", "p_cohort", weights="w", cluster="state",
                               control_group="not_yet_treated", aggregation="simple")  # fmt: skip
    assert got["estimate"] == pytest.approx(direct.term("ATT(simple)")["estimate"], rel=1e-12)
    # the truth: the weighted mean of the planted effect over the treated cells of the window
    tr = d[d["treated"] == 1]
    truth = float(np.average(tr["true_effect"], weights=tr["w"]))
    assert abs(got["estimate"] - truth) < 3 * got["std_error"]
    # the paper-style TWFE on every year is far from any average of the planted effects
    tw = headline(twfe(sample.data, "y", "unit", "time", "p_cohort", weights="w", cluster="state"))
    assert abs(tw["estimate"] - truth) > 5 * tw["std_error"]


def test_sc_designs_declare_a_clean_headline_with_window_and_controls(sample):
    for key in ("sc_county", "sc_city"):
        d = designs.get(key)
        c = d.clean_headline(sample)
        assert c.spec.estimator is callaway_santanna
        assert c.spec.options["control_group"] == "not_yet_treated"
        assert c.spec.options["inference"] == "wild_cluster"
        assert c.spec.label.startswith(
            "Callaway-Sant'Anna, not-yet-treated controls, years 2000-2008"
        )
        assert (
            c.spec.label.endswith("; wild cluster bootstrap (state)") and CLEAN_MARK in c.spec.label
        )
    # the national and NC designs have never-treated units: no clean headline declared
    assert designs.get("287g_nc").clean_headline(sample) is None


def test_verdict_reads_the_clean_headline_beside_the_paper_style_one(sample):
    vs = evidence.variants(sample)
    c = ALL.clean_headline(sample)
    clean_rows = [v for v in vs if v.label == c.spec.label]
    assert [v.choice for v in clean_rows] == ["inference / estimator"]
    ws = [v for v in vs if v.label == evidence.clean_within_label(ALL.robust_spec(), c)]
    assert (
        len(ws) == 1
        and ws[0].choice == evidence.WITHIN_STATE
        and ws[0].spec.options["state_year_fe"]
    )
    assert (ws[0].rows == c.rows).all()
    robust = evidence.robustness(
        sample, "y", choices=("headline", evidence.WITHIN_STATE, "inference / estimator")
    )
    diags = pd.DataFrame({"sample": ["all"], "outcome": ["y"], "pretrend_p": [np.nan]})
    from enforcement_crime.designs.conclusions import Conclusion

    t = evidence.verdict_table(
        sample, robust, diags, conclusions=[Conclusion("toy", "none", ("y",), "none")]
    )
    row = t.iloc[0]
    clean = robust[robust["variant"] == c.spec.label].iloc[0]
    assert row["inference"] == c.spec.label and row["estimate"] == clean["estimate"]
    within = robust[robust["variant"] == ws[0].label].iloc[0]
    assert row["within_state_estimate"] == within["estimate"]
    assert (
        "clean-control headline" in row["reason"] and "beside it the paper-style" in row["reason"]
    )
    # the placebo share re-estimates the TWFE: given in the reason, not read for this estimator
    assert np.isnan(row["placebo_share"]) and "is of the TWFE and is not read" in row["reason"]


def _row(choice, variant, est, lo, hi, p=np.nan):
    return {"outcome": "y", "choice": choice, "variant": variant, "scale": "log", "estimate": est,
            "std_error": (hi - lo) / 3.92, "conf_low": lo, "conf_high": hi, "p_value": p}  # fmt: skip


def test_interval_counts_over_distinct_specifications_and_calibrated_inference():
    t = pd.DataFrame([
        _row("headline", "TWFE (analytic)", -0.07, -0.10, -0.04),
        _row("weights", "unweighted", -0.05, -0.09, -0.01),
        *(_row("leave one out", f"without state {s}", -0.07, -0.10, -0.04) for s in range(40)),
        _row("inference / estimator", "TWFE again", -0.07, -0.10, -0.04),  # the headline repeated
        _row("inference / estimator", "TWFE; wild cluster bootstrap", -0.07, -0.11, 0.01, p=0.09),
        _row("inference / estimator", "CS; wild cluster bootstrap", -0.06, -0.09, -0.02, p=0.01),
        _row("placebo", "placebo", -0.3, -0.5, -0.1),
        _row("scale", "levels", np.nan, np.nan, np.nan),
    ])  # fmt: skip
    c = evidence.interval_counts(t)
    assert c == {
        "calibrated": (1, 2),
        "analytic": (2, 2),
        "leave one out": (40, 40),
        "duplicates": (0, 1),
    }
    text = evidence.reading_the_evidence(t)
    assert "calibrated inference (bootstrap / randomization): 1 of 2 intervals exclude 0" in text
    assert (
        "analytic CR1 intervals (over-reject on the null panel, size study; not counted as tests): 2 of 2"
        in text
    )
    assert "leave one out, one specification family: 40 of its 40 intervals exclude 0" in text
    assert "1 rows repeating another row's numbers counted once" in text
    # the old count (every row but the placebo, leave-one-out and duplicates included) is gone
    assert "44 of 44" not in text and "45 of" not in text


def test_real_results_summary_counts_distinct_specifications():
    from enforcement_crime.real import _robustness_summary

    t = pd.DataFrame([
        _row("headline", "TWFE (analytic)", -0.07, -0.10, -0.04),
        *(_row("leave one out", f"without state {s}", -0.07, -0.10, -0.04) for s in range(3)),
        _row("inference / estimator", "TWFE; wild cluster bootstrap", -0.07, -0.11, 0.01, p=0.09),
        _row("inference / estimator", "TWFE; wild cluster bootstrap, again", -0.07, -0.11, 0.01, p=0.09),
    ])  # fmt: skip
    s = _robustness_summary(t, "y")
    assert s.startswith("calibrated 0 of 1, analytic (over-rejects) 1 of 1, leave one out 3 of 3")
    assert "p < 0.05 in 0 of 1 with a p-value" in s


def test_robustness_rows_carry_the_bootstrap_p_value_and_count_as_calibrated(sample):
    """The wild cluster bootstrap's p-value (``EstimationResult.p_value``) reaches the robustness table, so
    its row counts as calibrated inference (before, the table read ``extra["p_value"]`` and had none)."""
    from enforcement_crime.estimators import wild_cluster_bootstrap

    boot = Spec("TWFE; wild cluster bootstrap", wild_cluster_bootstrap, {"n_boot": 199})

    @dataclasses.dataclass(frozen=True)
    class _Boot(_AllTreated):
        def headline_spec(self):
            return boot

        def robust_spec(self):
            return Spec("TWFE", twfe)

    design = _Boot(**{f.name: getattr(ALL, f.name) for f in dataclasses.fields(ALL)})
    s = dataclasses.replace(sample, design=design)
    t = evidence.robustness(s, "y", seed=3, choices=("headline", "inference / estimator"))
    row = t[t["variant"] == boot.label].iloc[0]
    direct = boot.fit(s, "y", seed=3)
    assert row["p_value"] == pytest.approx(direct.p_value) and np.isfinite(row["p_value"])
    assert t.loc[t["variant"] == "TWFE", "p_value"].isna().all()  # analytic: no p-value of its own
    c = evidence.interval_counts(t)
    assert c["calibrated"][1] == 1 and c["analytic"][1] == len(t) - 1 - c["duplicates"][1]
