"""The verdict rules (:mod:`enforcement_crime.designs.verdicts`) on planted cases.

The rule cases use hand-made numbers whose verdict follows from the rules as
the module docstring states them; the planted-panel cases run the Secure
Communities county design on the built-in SYNTHETIC panel (no true effect)
with and without a planted state-level trend correlated with activation.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from enforcement_crime import designs, synthetic
from enforcement_crime.designs.base import headline
from enforcement_crime.designs.verdicts import (
    RELEVANT_LOG_EFFECT,
    VERDICTS,
    mde_sentence,
    relevant_effect,
    verdict,
)
from enforcement_crime.estimators import analytic_mde

# ---- the rules on hand-made numbers -------------------------------------------------


def test_no_effect_claim_reproduced_only_with_power():
    ok = verdict("none", 0.01, -0.03, 0.05, mde=0.06, relevant=0.10)
    assert ok.kind == "reproduced" and ok.text.startswith("reproduced:")
    weak = verdict("none", 0.01, -0.20, 0.22, mde=0.30, relevant=0.10)
    assert weak.kind == "cannot tell" and "0.3" in weak.text and "power below 80%" in weak.text
    unknown = verdict("none", 0.01, -0.03, 0.05)
    assert unknown.kind == "cannot tell" and "MDE unknown" in unknown.text


def test_divergence_names_the_variants_it_rests_on():
    rows = [
        {"variant": "unweighted", "estimate": -0.05, "conf_low": -0.09, "conf_high": -0.01},
        {"variant": "sheriff panel", "estimate": -0.01, "conf_low": -0.04, "conf_high": 0.02},
    ]
    v = verdict("none", -0.08, -0.12, -0.04, mde=0.05, variants=rows)
    assert v.kind == "diverges" and "sheriff panel: -0.01 [-0.04, 0.02]" in v.text
    assert "unweighted" not in v.text  # its interval excludes 0 too: not a driver
    robust = verdict("none", -0.08, -0.12, -0.04, variants=rows[:1])
    assert robust.kind == "diverges" and "excludes 0 in all 1" in robust.text
    # a calibrated p-value below alpha is significant even without an interval
    assert verdict("none", -0.08, math.nan, math.nan, p_value=0.01).kind == "diverges"
    assert "p < 0.001" in verdict("none", -0.08, -0.12, -0.04, p_value=0.0).text  # bootstrap p of 0


def test_design_flags_give_cannot_tell_with_their_numbers():
    pre = verdict("none", -0.08, -0.12, -0.04, pretrend_p=0.003, mde=0.05)
    assert pre.kind == "cannot tell" and "p = 0.003" in pre.text
    # the pre-trend test flags at 1% (the level at which the size study reads it), not at 5%
    assert verdict("none", 0.01, -0.03, 0.05, pretrend_p=0.03, mde=0.05).kind == "reproduced"
    within = {"estimate": 0.01, "conf_low": -0.03, "conf_high": 0.05}
    ws = verdict("none", -0.08, -0.12, -0.04, within_state=within, mde=0.05)
    assert (
        ws.kind == "cannot tell" and "only between-state variation" in ws.text and "0.01" in ws.text
    )
    # a within-state estimate that keeps most of the effect is no flag
    kept = {"estimate": -0.07, "conf_low": -0.15, "conf_high": 0.01}
    assert verdict("none", -0.08, -0.12, -0.04, within_state=kept).kind == "diverges"
    plac = verdict("none", -0.08, -0.12, -0.04, placebo_share=0.20)
    assert plac.kind == "cannot tell" and "20% of draws" in plac.text
    assert verdict("none", -0.08, -0.12, -0.04, placebo_share=0.01).kind == "diverges"
    # a null estimate is no less credible because placebo draws are often as extreme
    assert verdict("none", 0.01, -0.03, 0.05, placebo_share=0.6, mde=0.05).kind == "reproduced"


def test_effect_claims_and_the_other_two_verdicts():
    assert verdict("any", 0.2, 0.1, 0.3).kind == "reproduced"
    assert verdict("positive", 0.2, 0.1, 0.3).kind == "reproduced"
    assert verdict("negative", 0.2, 0.1, 0.3).kind == "diverges"
    assert verdict("any", 0.01, -0.03, 0.05, mde=0.06).kind == "diverges"  # powered null
    assert verdict("any", 0.01, -0.3, 0.3, mde=0.4).kind == "cannot tell"
    nt = verdict("any", math.nan, math.nan, math.nan, not_testable="needs assault counts")
    assert nt.kind == "not testable with these data" and nt.text.endswith("needs assault counts")
    ne = verdict("none", math.nan, math.nan, math.nan, not_estimated="gaps")
    assert ne.kind == "cannot tell" and "gaps" in ne.text
    assert {v.kind for v in (nt, ne)} <= set(VERDICTS)
    with pytest.raises(ValueError, match="claim must be one of"):
        verdict("maybe", 0.0, -1.0, 1.0)


def test_mde_sentence_compares_estimate_interval_and_mde():
    inside = mde_sentence(0.01, -0.03, 0.05, 0.08)
    assert "ruled out" in inside and "not ruled out" not in inside
    assert "not ruled out" in mde_sentence(0.01, -0.10, 0.12, 0.08)
    assert "at least the MDE" in mde_sentence(-0.2, -0.3, -0.1, 0.08)
    assert "below the MDE" in mde_sentence(-0.05, -0.09, -0.01, 0.08)
    assert "MDE unknown" in mde_sentence(0.01, -0.03, 0.05, math.nan)
    assert relevant_effect("log") == RELEVANT_LOG_EFFECT
    assert relevant_effect("level", 400.0) == pytest.approx(40.0)


# ---- planted cases on the synthetic panel ---------------------------------------------


def _state_trend_panel(strength: float):
    """The null SYNTHETIC panel with state trends in log crime, steeper in later-activating states."""
    raw = synthetic.load_default_panel()
    act = raw.groupby("state")["sc_activation_date"].apply(lambda s: s.dt.year.mean())
    z = (act - act.mean()) / act.std()
    trend = np.exp(raw["state"].map(strength * z).astype(float) * (raw["year"] - 2008))
    out = raw.copy()
    for c in ("index_rate", "violent_rate", "property_rate"):
        out[c] = out[c] * trend.to_numpy()
    return out


def _verdict_on(raw, outcome="index_rate"):
    d = designs.get("sc_county")
    s = d.prepare(raw, data_source="synthetic", label="SYNTHETIC DATA (planted state trends)")
    base = headline(d.robust_spec().fit(s, outcome))
    within = headline(d.robust_spec().choose(state="state", state_year_fe=True).fit(s, outcome))
    mde = analytic_mde(base["std_error"], d.alpha)
    return base, verdict(
        "none",
        base["estimate"],
        base["conf_low"],
        base["conf_high"],
        mde=mde,
        within_state={**within, "label": "state-by-year fixed effects"},
    )


def test_planted_state_trend_without_effect_is_cannot_tell_not_diverges():
    base, v = _verdict_on(_state_trend_panel(0.02))
    # the planted trend alone makes the between-state TWFE "significant" ...
    assert base["conf_high"] < 0
    # ... and the rules see that only between-state variation carries it
    assert v.kind == "cannot tell", v.text
    assert "only between-state variation" in v.text


def test_null_synthetic_panel_reproduces_no_effect():
    _, v = _verdict_on(synthetic.load_default_panel())
    assert v.kind == "reproduced", v.text


def test_planted_state_trend_through_the_evidence_tables():
    """The same planted panel through evidence.robustness (state- and division-by-year variants) and
    evidence.verdict_table: the SC county crime rows are "cannot tell", none "diverges"."""
    from enforcement_crime.designs import evidence

    d = designs.get("sc_county")
    s = d.prepare(
        _state_trend_panel(0.02), data_source="synthetic", label="SYNTHETIC DATA (planted)"
    )
    robust = evidence.robustness(s, "index_rate", choices=("headline", "within state"))
    from enforcement_crime.designs.neighbours import PAIR_LABEL

    # the state- and division-by-year variants, the contiguous county pairs, then the state-by-year
    # variant on the window of the clean-control headline (every county is treated by its end)
    assert robust["variant"].tolist()[1:3] == [evidence.STATE_BY_YEAR, evidence.DIVISION_BY_YEAR]
    assert len(robust) == 5 and robust["variant"].iloc[3].startswith(PAIR_LABEL)
    assert robust["variant"].iloc[4] == evidence.clean_within_label(
        d.robust_spec(), d.clean_headline(s)
    )
    head, state_year = robust.iloc[0], robust.iloc[1]
    assert head["conf_high"] < 0 and state_year["conf_low"] < 0 < state_year["conf_high"]
    diags = pd.DataFrame({"sample": ["all"], "outcome": ["index_rate"], "pretrend_p": [np.nan]})
    t = evidence.verdict_table(s, robust, diags)
    row = t[(t["conclusion"] == "SC county crime") & (t["outcome"] == "index_rate")].iloc[0]
    assert row["verdict"] == "cannot tell" and "only between-state variation" in row["reason"]
    assert row["within_state_estimate"] == state_year["estimate"]
    # outcomes of the design absent from the robustness table are "not estimated", never estimated here
    crime = t[t["conclusion"] == "SC county crime"]
    assert set(crime.loc[crime["outcome"] != "index_rate", "reason"]) == {
        "cannot tell: not estimated (no row in the robustness table)"
    }
    # the arrest conclusion: a crime panel has no arrests, one row says where they are
    arrests = t[t["conclusion"] != "SC county crime"]
    assert list(arrests["verdict"]) == ["not testable with these data"]
    assert "'icpsr_arrests'" in arrests["reason"].iloc[0]


def test_nc_assault_conclusion_is_testable_on_an_agency_panel():
    """The hook of the NC clearance and assault rows: "not testable" on a county panel; on an
    agency-like panel (a SYNTHETIC stand-in for 'nc_agency': ORI units, population served, an
    assaults column) the NC design opens with NC_AGENCY_OPTIONS and the assault rows are estimated."""
    from enforcement_crime.designs import evidence
    from enforcement_crime.designs.conclusions import NC_AGENCY_OPTIONS

    raw = synthetic.load_default_panel()
    raw = raw[raw["fips"].str.startswith("37")].rename(columns={"population": "population_served"})
    rng = np.random.default_rng(0)
    raw = raw.assign(
        ori="NC" + raw["fips"].str[2:] + "00",
        assaults_per_100k=rng.gamma(4.0, 10.0, len(raw)),
    )
    crime = ("violent_rate", "property_rate", "index_rate")  # the stand-in has no clearances
    d = designs.get("287g_nc", n_boot=99, n_perm=99, **{**NC_AGENCY_OPTIONS, "outcomes": crime})
    s = d.prepare(raw, data_source="synthetic", label="SYNTHETIC DATA (agency stand-in)")
    assert s.data["ori"].nunique() == 100 and "pop_stratum" in s.data.columns
    empty_r = pd.DataFrame(columns=evidence.ROBUSTNESS_COLUMNS)
    empty_d = pd.DataFrame(columns=["sample", "outcome", "pretrend_p"])
    t = evidence.verdict_table(s, empty_r, empty_d).set_index(["conclusion", "outcome"])
    assault = t.loc[("NC assaults on officers", "assaults_per_100k")]
    assert np.isfinite(assault["estimate"]) and assault["verdict"] in (
        "reproduced",
        "diverges",
        "cannot tell",
    )
    clear = t.xs("NC clearances", level="conclusion")
    assert (clear["verdict"] == "not testable with these data").all()
    assert "NC_AGENCY_OPTIONS" in clear["reason"].iloc[0]


# ---- the NC design on agencies: sample rules, the assault count model, one row per conclusion ----


def _agency_stand_in(rng):
    """A SYNTHETIC stand-in for 'nc_agency': ORI units, population served, officers, the three families."""
    raw = synthetic.load_default_panel()
    raw = raw[raw["fips"].str.startswith("37")].rename(columns={"population": "population_served"})
    n = len(raw)
    clr_v, clr_p = rng.uniform(0.3, 0.6, n), rng.uniform(0.1, 0.3, n)
    clr_v[:10] = np.nan  # ten agency-years without clearances reported
    clr_p[:10] = np.nan
    return raw.assign(
        ori="NC" + raw["fips"].str[2:] + "00",
        officers=(raw["population_served"] / 400).round().clip(lower=1),
        assaults_on_officers=0.0,  # filled after the treatment is coded
        assaults_per_100_officers=0.0,
        assaults_per_100k=0.0,
        clearance_rate_violent=clr_v,
        clearance_rate_property=clr_p,
    ).reset_index(drop=True)


def test_agency_sample_rules_drop_unpopulated_rows_and_count_the_clearance_rule():
    from enforcement_crime.designs.conclusions import NC_AGENCY_OPTIONS

    raw = _agency_stand_in(np.random.default_rng(1))
    raw.loc[raw.index[-5:], "population_served"] = 0  # five agency-years serve no population
    d = designs.get("287g_nc", n_boot=9, n_perm=9, **NC_AGENCY_OPTIONS)
    s = d.prepare(raw, data_source="synthetic", label="SYNTHETIC DATA (agency stand-in)")
    acc = {r["rule"]: r for r in s.accounting}
    assert acc["population served"]["rows_dropped"] == 5
    assert (s.data["population_served"] > 0).all()
    # the clearance rule drops nothing and counts the ten rows without clearance rates
    assert acc["clearances reported"]["rows_dropped"] == 0
    assert acc["clearances reported"]["rows_set_aside"] == 10
    assert len(s.data) == len(raw) - 5


def test_ppml_count_model_recovers_a_known_proportional_effect_on_assaults():
    """SYNTHETIC counts: assaults ~ Poisson(0.2 x officers x exp(0.4 x treated)); PPML with the
    officers exposure recovers 0.4 within three standard errors and its interval excludes 0."""
    import dataclasses

    from enforcement_crime.designs.conclusions import NC_AGENCY_OPTIONS

    rng = np.random.default_rng(7)
    d = designs.get("287g_nc", n_boot=9, n_perm=19, **NC_AGENCY_OPTIONS)
    s = d.prepare(_agency_stand_in(rng), data_source="synthetic", label="SYNTHETIC DATA")
    df = s.data.copy()
    cohort = df[d.treatment.cohort].fillna(0).astype(int)
    treated = ((cohort > 0) & (df["year"] >= cohort)).to_numpy(dtype=float)
    df["assaults_on_officers"] = rng.poisson(0.2 * df["officers"] * np.exp(0.4 * treated))
    s = dataclasses.replace(s, data=df)
    table, results = d.count_models(s, seed=0)
    assert list(table["outcome"]) == ["assaults_per_100_officers", "assaults_per_100k"]
    row = table.set_index("outcome").loc["assaults_per_100_officers"]
    assert row["exposure"] == "officers" and row["rows_left_out"] == 0
    assert abs(row["estimate"] - 0.4) < 3 * row["std_error"]
    assert row["conf_low"] > 0 and row["p_value_cr1"] < 0.05
    assert 0 <= row["p_value_randomization"] <= 1
    used = df[~df["partial_year"]] if "partial_year" in df else df
    assert row["zero_share"] == pytest.approx(float((used["assaults_on_officers"] == 0).mean()))


def test_count_verdicts_replace_only_the_assault_rows():
    from enforcement_crime.designs.conclusions import NC_AGENCY_OPTIONS
    from enforcement_crime.designs.evidence import VERDICT_COLUMNS

    d = designs.get("287g_nc", **NC_AGENCY_OPTIONS)
    base = dict.fromkeys(VERDICT_COLUMNS, np.nan)
    v = pd.DataFrame([
        {**base, "conclusion": "NC crime", "outcome": "index_rate", "claim": "none", "sample": "s",
         "verdict": "reproduced", "reason": "old", "estimate": 0.01, "pretrend_p": 0.5},
        {**base, "conclusion": "NC assaults on officers", "outcome": "assaults_per_100k", "claim": "any",
         "sample": "s", "verdict": "cannot tell", "reason": "old", "estimate": 0.0, "pretrend_p": 0.5},
    ])  # fmt: skip
    counts = pd.DataFrame([{"outcome": "assaults_per_100k", "specification": "PPML of assaults",
                            "estimate": 0.4, "std_error": 0.1, "conf_low": 0.2, "conf_high": 0.6,
                            "p_value_cr1": 1e-4, "p_value_randomization": 0.01, "n_perm": 99,
                            "note": ""}])  # fmt: skip
    out = d.count_verdicts(v, counts)
    assert out.iloc[0].equals(v.iloc[0])  # the crime row is unchanged
    a = out.iloc[1]
    assert (a["estimate"], a["conf_low"], a["conf_high"]) == (0.4, 0.2, 0.6)
    assert a["placebo_share"] == 0.01 and "PPML" in a["inference"]
    assert a["mde"] == pytest.approx(analytic_mde(0.4 / (2 * 1.959964), 0.05), rel=1e-4)
    assert a["reason"] != "old"


def test_conclusion_table_has_one_row_per_conclusion_with_its_first_outcome():
    from enforcement_crime.designs.evidence import VERDICT_COLUMNS

    d = designs.get("287g_nc")
    base = dict.fromkeys(VERDICT_COLUMNS, np.nan)
    rows = [("NC crime", "violent_rate", "s"), ("NC crime", "index_rate", "s"),
            ("NC crime", "index_rate", "other sample"), ("NC clearances", "clearance_rate_violent", "s"),
            ("NC assaults on officers", "assaults_per_100_officers", "s"),
            ("NC assaults on officers", "assaults_per_100k", "s")]  # fmt: skip
    v = pd.DataFrame([{**base, "conclusion": c, "outcome": o, "sample": smp, "verdict": "x"}
                      for c, o, smp in rows])  # fmt: skip
    t = d.conclusion_table(v)
    assert list(t["conclusion"]) == ["NC crime", "NC clearances", "NC assaults on officers"]
    first = {c.name: c.outcomes[0] for c in d.conclusions()}
    assert list(t["outcome"]) == [first[c] for c in t["conclusion"]]
