"""The study designs (:mod:`enforcement_crime.designs`): declarations, sample accounting, known truths.

The numbers of the study notebooks come from these objects, so these tests
check that a design (a) refuses options it does not have, (b) accounts for
every row its sample rules drop, (c) recovers a known effect through its own
plumbing (treatment coding, weights, clusters), (d) turns an estimator's
refusal into a :class:`NotEstimable` record only on real panels, and (e)
puts only the research brief's words beside our numbers.
"""

from __future__ import annotations

import dataclasses
import math
import re

import numpy as np
import pandas as pd
import pytest

from enforcement_crime import config, designs
from enforcement_crime.designs import NotEstimable, Spec, headline, run
from enforcement_crime.designs.base import Design, StudySample, Treatment, balanced, estimable
from enforcement_crime.designs.conclusions import PAPER_CONCLUSIONS, study_vs_rebuild
from enforcement_crime.designs.mde import design_mde
from enforcement_crime.estimators import (
    EstimatorInputError,
    callaway_santanna,
    imputation,
    placebo_calibrated_mde,
    twfe,
)
from enforcement_crime.simulate import Effect, simulate_staggered

# --------------------------------------------------------------------------------------
# a small design over a simulated panel whose truth is known
# --------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Toy(Design):
    def headline_spec(self) -> Spec:
        return Spec("TWFE", twfe)

    def robustness_specs(self) -> tuple[Spec, ...]:
        return (
            Spec("imputation", imputation),
            Spec("CS", callaway_santanna, term="ATT(simple)", partial_year="anticipation"),
        )


TOY = _Toy(
    key="toy",
    title="toy",
    study="methods",
    notebook="notebooks/methods/01-run-multiverse.py",
    panels=(),
    treatment=Treatment("start", None, "p", "programme"),
    outcomes=("y",),
    years=(2000, 2010),
    unit="unit",
    time="time",
    cluster="state",
    weights="w",
    event_window=(-3, 3),
    transform="level",  # the simulated outcome is in levels (it can be negative)
)


def _sim(effect=1.0, seed=3, n_units=150):
    df = simulate_staggered(n_units=n_units, periods=(2000, 2010), cohorts={0: 0.4, 2004: 0.3, 2007: 0.3},
                            effect=Effect(att=effect), noise_sd=0.3, seed=seed)  # fmt: skip
    # adoption on 1 January: the first full year is the adoption year, no partial years
    df["start"] = pd.to_datetime(df["cohort"].where(df["cohort"] > 0).astype("Int64").astype(str) + "-01-01",
                                 errors="coerce")  # fmt: skip
    df["w"] = 1.0 + (df["unit"] % 5)
    df["is_synthetic"] = True
    return df


@pytest.fixture(scope="module")
def toy_sample() -> StudySample:
    return TOY.prepare(_sim(), data_source="simulated", label="SIMULATED")


def test_design_recovers_a_known_constant_effect(toy_sample):
    """Headline and robustness variants all estimate the constant effect of 1 (within 4 SE)."""
    table = TOY.robustness(toy_sample)
    assert list(table["specification"]) == ["TWFE", "imputation", "CS"]
    for _, row in table.iterrows():
        assert abs(row["estimate"] - 1.0) < 4 * row["std_error"], row.to_dict()
        assert (
            row["conf_low"] < 1.0 < row["conf_high"]
            or abs(row["estimate"] - 1) < 4 * row["std_error"]
        )
    # the treatment coding is the design's: cohort = adoption year under the first-full-year rule
    c = toy_sample.data.groupby("unit")[["p_cohort", "cohort"]].first()
    assert (c["p_cohort"].astype(int) == c["cohort"].astype(int)).all()


def test_spec_passes_the_design_weights_and_clusters(toy_sample):
    res = TOY.headline(toy_sample, "y")
    ref = twfe(toy_sample.data, "y", "unit", "time", "p_cohort", weights="w", cluster="state")
    assert res.estimate == ref.estimate and res.std_error == ref.std_error
    assert res.outcome == "y" and res.specification == "TWFE"
    unweighted = Spec("TWFE", twfe, weighted=False, clustered=False).fit(toy_sample, "y")
    assert unweighted.estimate != res.estimate  # the weights matter on this panel
    assert res.n_clusters == toy_sample.data["state"].nunique() != unweighted.n_clusters


def test_unknown_options_raise(toy_sample):
    with pytest.raises(TypeError, match="no_such_option"):
        Spec("bad", twfe, {"no_such_option": 1}).fit(toy_sample, "y")
    with pytest.raises(TypeError, match="unknown option"):
        TOY.with_options(yeers=(2001, 2005))
    with pytest.raises(ValueError, match="rule must be one of"):
        TOY.with_options(rule="half_year")
    with pytest.raises(ValueError, match="event_window"):
        TOY.with_options(event_window=(1, 3))
    with pytest.raises(KeyError, match="unknown design"):
        designs.get("nope")


def test_sample_rules_account_for_every_row():
    raw = _sim()
    design = TOY.with_options(years=(2002, 2009), require_start=True)
    s = design.prepare(raw, data_source="simulated")
    acc = s.accounting_frame()
    assert list(acc["rule"]) == ["window", "programme date", "partial adoption year"]
    assert int(acc["rows_dropped"].sum()) == len(raw) - len(s.data)
    never = raw.loc[raw["cohort"] == 0, "unit"].nunique()
    assert acc.set_index("rule").loc["programme date", "units_dropped"] == never
    with pytest.raises(ValueError, match="no rows left"):
        TOY.with_options(years=(1990, 1995)).prepare(raw, data_source="simulated")


def test_not_estimable_only_on_real_panels(toy_sample):
    real = dataclasses.replace(toy_sample, synthetic=False)
    spec = Spec("CS", callaway_santanna, {"control_group": "never_treated"})
    no_outcome = toy_sample.data.assign(y=np.nan)  # nothing to estimate: the estimator refuses
    with pytest.raises(EstimatorInputError):
        spec.fit(toy_sample, "y", data=no_outcome)
    rec = spec.fit(real, "y", data=no_outcome)
    assert isinstance(rec, NotEstimable) and "callaway_santanna" in str(rec)
    h = headline(rec)
    assert math.isnan(h["estimate"]) and h["note"].startswith("NOT ESTIMABLE")
    # any other error is raised even on real panels
    with pytest.raises(TypeError):
        run(twfe, real.data, "y", "unit", "time", "p_cohort", tolerate=True, no_such=1)


def test_headline_picks_named_or_first_static_term(toy_sample):
    cs = Spec("CS", callaway_santanna).fit(toy_sample, "y")
    h = headline(cs, "ATT(simple)")
    row = cs.to_frame().set_index("term").loc["ATT(simple)"]
    assert h["estimate"] == row["estimate"] and h["conf_low"] == row["conf_low"]
    first_static = cs.to_frame().loc[cs.to_frame()["event_time"].isna(), "term"].iloc[0]
    assert headline(cs)["term"] == first_static
    with pytest.raises(KeyError, match="no term"):
        headline(cs, "ATT(nope)")
    # the headline row is EstimationResult.term's row, read from the table without to_frame
    es = TOY.event_study(toy_sample, "y")
    for res, term in ((cs, "ATT(simple)"), (cs, None), (es, None), (es, "e2")):
        h, row = headline(res, term), res.term(term)
        assert h["term"] == row["term"]
        for k in ("estimate", "std_error", "conf_low", "conf_high"):
            assert h[k] == row[k] or (math.isnan(h[k]) and pd.isna(row[k])), (term, k)


def test_spec_fit_remembers_a_call_made_again(toy_sample):
    """The same estimator call (arguments and data content) is estimated once per sample; rows masks never."""
    sample = dataclasses.replace(toy_sample, fits={})
    spec = Spec("TWFE", twfe)
    first = spec.fit(sample, "y")
    assert len(sample.fits) == 1
    # the same rows in a new frame, under another label: the remembered estimate, its own labels
    again = Spec("TWFE again", twfe).fit(sample, "y", data=sample.data.copy())
    assert len(sample.fits) == 1 and again is not first
    assert again.table.equals(first.table) and again.specification == "TWFE again"
    assert first.specification == "TWFE"
    # other content, other options, or a rows mask: estimated
    changed = sample.data.assign(y=sample.data["y"] + 1.0)
    moved = spec.fit(sample, "y", data=changed)
    assert moved.estimate == pytest.approx(first.estimate) and len(sample.fits) == 2
    unweighted = Spec("TWFE", twfe, weighted=False).fit(sample, "y")
    assert unweighted.estimate != first.estimate and len(sample.fits) == 3
    keep = sample.data["unit"].to_numpy() != sample.data["unit"].iloc[0]
    spec.fit(sample, "y", rows=keep)
    assert len(sample.fits) == 3
    # a refit by hand gives the remembered numbers
    fresh = spec.fit(dataclasses.replace(toy_sample, fits={}), "y")
    assert fresh.table.equals(first.table)


def test_partly_treated_adoption_year_never_serves_as_reference():
    """First-full-year rule: the adoption year (partly treated) is flagged, counted and kept out of the reference."""
    from enforcement_crime.estimators import event_study

    df = _sim()
    df.loc[df["cohort"] > 0, "start"] += pd.Timedelta(days=40)  # mid-February adoptions
    s = TOY.prepare(df, data_source="simulated")
    acc = s.accounting_frame().set_index("rule")
    treated_units = df.loc[df["cohort"] > 0, "unit"].nunique()
    # one year per treated unit, set aside (kept for Callaway-Sant'Anna and the event study), none dropped
    assert acc.loc["partial adoption year", "rows_set_aside"] == treated_units
    assert acc.loc["partial adoption year", "rows_dropped"] == 0
    d = s.data
    assert (d.loc[d["partial_year"], "time"] == d.loc[d["partial_year"], "p_cohort"] - 1).all()
    # TWFE-type estimators: the partial year is left out of the sample they get
    res = Spec("TWFE", twfe).fit(s, "y")
    assert res.n_obs == len(d) - treated_units
    # Callaway-Sant'Anna declared with partial_year="anticipation": anticipation = 1 (base = the year
    # before signing), every row kept; the event study declared with "reference": reference e = -2
    cs = Spec("CS", callaway_santanna, partial_year="anticipation").fit(s, "y")
    ref = callaway_santanna(
        d, "y", "unit", "time", "p_cohort", weights="w", cluster="state", anticipation=1
    )
    assert cs.estimate == ref.estimate
    es = Spec("ES", event_study, {"window": (-3, 3)}, partial_year="reference").fit(s, "y")
    assert es.extra["reference_period"] == -2 and "e-1" in set(es.to_frame()["term"])
    assert es.extra["reference_period"] == TOY.event_spec().fit(s, "y").extra["reference_period"]
    # the rule is the spec's, not the estimator's: Callaway-Sant'Anna declared "drop" loses the rows
    cs_drop = Spec("CS", callaway_santanna).call(TOY, d, "y")
    assert cs_drop.set_aside == treated_units and len(cs_drop.data) == len(d) - treated_units
    assert "anticipation" not in cs_drop.kwargs
    # an explicit option wins over the rule's
    assert (
        Spec("CS", callaway_santanna, {"anticipation": 2}, partial_year="anticipation")
        .call(TOY, d, "y")
        .kwargs["anticipation"]
        == 2
    )
    # a rule whose options the estimator does not take is refused where the spec is declared
    with pytest.raises(ValueError, match="does not take"):
        Spec("TWFE", twfe, partial_year="reference")
    with pytest.raises(ValueError, match="partial_year must be one of"):
        Spec("TWFE", twfe, partial_year="keep")
    # the share-of-year rule has no partial year to set aside
    soy = s.with_rule("share_of_year")
    assert "partial_year" not in soy.data.columns
    kept = TOY.with_options(drop_partial_year=False).prepare(df, data_source="simulated")
    assert "partial_year" not in kept.data.columns


def test_with_rule_recodes_treatment():
    df = _sim()
    df.loc[df["cohort"] > 0, "start"] += pd.Timedelta(days=40)  # mid-February adoptions
    s = TOY.prepare(df, data_source="simulated")
    share = s.with_rule("share_of_year")
    c_ffy = s.data.groupby("unit")["p_cohort"].first()
    c_soy = share.data.groupby("unit")["p_cohort"].first()
    treated = c_ffy > 0
    assert ((c_ffy[treated] - c_soy[treated]) == 1).all()
    assert share.design.rule == "share_of_year" and s.design.rule == "first_full_year"


def test_design_mde_uses_its_own_placebo_draws(toy_sample):
    d = design_mde(toy_sample, "y", n_sim=40, seed=1)
    mde, _ = placebo_calibrated_mde(d["result"].extra["placebo_estimates"])
    assert d["mde_calibrated"] == mde and d["n_sim"] == 40 and d["mde"] > 0


def test_balanced_and_estimable_by_hand():
    u = pd.DataFrame({"u": list("aaabbccc"), "t": [1, 2, 3, 1, 2, 1, 2, 3],
                      "y": [1.0, 2.0, 3.0, 1.0, 2.0, 1.0, np.nan, 3.0]})  # fmt: skip
    out, left_out = balanced(u, "u", "t", "y")
    # b lacks period 3, c has a missing outcome in period 2: only a is balanced
    assert set(out["u"]) == {"a"} and left_out == 2
    rec = NotEstimable("x", "why")
    assert estimable({"a": 1, "b": rec}) == {"a": 1}


# --------------------------------------------------------------------------------------
# the four study designs
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(designs.DESIGNS))
def test_every_design_opens_on_the_synthetic_panel(key):
    design = designs.get(key)
    assert design.key == key and (config.project_root() / design.notebook).is_file()
    s = design.open("synthetic")
    assert s.synthetic and s.label.startswith("SYNTHETIC DATA")
    assert not s.data.empty and int(s.accounting_frame()["rows_dropped"].sum()) == len(s.raw) - len(
        s.data
    )
    assert {design.treatment.cohort, design.treatment.treated}.issubset(s.data.columns)
    assert design.headline_spec().label and design.robustness_specs()
    assert key in PAPER_CONCLUSIONS


def test_sc_city_stand_in_is_labelled():
    s = designs.get("sc_city").open("synthetic")
    assert s.design.stand_in and "stand in for cities" in s.label
    assert any("SYNTHETIC counties" in d for d in s.design.differences(s))


def test_nc_design_is_the_nine_jurisdictions():
    s = designs.get("287g_nc").open("synthetic")
    assert s.data["fips"].str.startswith("37").all() and s.data["fips"].nunique() == 100
    treated = s.data.loc[s.data["g287_ever"], "fips"].unique()
    assert len(treated) == 9
    assert s.years == list(range(2003, 2014))


# --------------------------------------------------------------------------------------
# study vs rebuild: only the brief's words
# --------------------------------------------------------------------------------------


def _studies_md():
    path = config.shared_data_dir().parent / "docs" / "STUDIES.md"
    if not path.is_file():
        pytest.skip(f"{path} absent")
    return " ".join(path.read_text().split())


def test_paper_conclusions_use_only_the_briefs_words():
    text = _studies_md()
    for key, entry in PAPER_CONCLUSIONS.items():
        for quoted in re.findall(r'"([^"]+)"', entry["conclusion"]):
            assert quoted in text, f"{key}: quoted words not in STUDIES.md: {quoted!r}"
        for number in re.findall(r"\d+(?:\.\d+)?", entry["conclusion"] + " " + entry["paper"]):
            assert number in text, f"{key}: number {number} does not come from STUDIES.md"


def test_study_vs_rebuild_rows(toy_sample):
    res = TOY.headline(toy_sample, "y")
    rows = [
        {"outcome": "y", "specification": "TWFE", "result": res, "mde": 0.5},
        {
            "outcome": "y",
            "specification": "missing",
            "result": NotEstimable("x", "gaps"),
            "mde": np.nan,
        },
    ]
    t = study_vs_rebuild("sc_county", rows, data_label="simulated", differences=["a", "b"])
    assert t.loc[0, "estimate"] == res.estimate and t.loc[0, "mde"] == 0.5
    assert t.loc[0, "paper_conclusion"] == PAPER_CONCLUSIONS["sc_county"]["conclusion"]
    assert math.isnan(t.loc[1, "estimate"]) and t.loc[1, "detectable"] == "not estimated"
    # the MDE sentence compares the estimate's interval with the MDE (no fixed phrase)
    assert "0.5" in t.loc[0, "detectable"] and "+/-MDE" not in t.loc[0, "detectable"]
    assert t.loc[1, "note"].startswith("NOT ESTIMABLE") and t["design_differences"].eq("a; b").all()
    # p-values: the estimator's own (bootstrap, permutations), a row's own, else NaN
    assert math.isnan(t.loc[0, "p_value"])  # analytic TWFE: no p-value of its own
    res.p_value = 0.321
    boot = study_vs_rebuild("sc_county", [{**rows[0], "result": res}, {**rows[1], "p_value": 0.5}],
                            data_label="", differences=[])  # fmt: skip
    assert boot["p_value"].tolist() == [0.321, 0.5]
    with pytest.raises(KeyError, match="study must be one of"):
        study_vs_rebuild("nope", rows, data_label="", differences=[])


def test_spec_choose_and_vary_make_labelled_variants():
    """Spec.vary (fixest's sw()): one variant per alternative, each changing one choice of the base
    (a Spec field replaced, any other name merged into the options); the base is unchanged."""
    base = Spec("TWFE", twfe, {"controls": ["x"]}, term="treated")
    vs = base.vary(
        weighted={"unweighted": False}, transform=["level", "log"], unit_trends={"trends": True}
    )
    assert [v.label for v in vs] == ["TWFE, unweighted", "TWFE, level", "TWFE, log", "TWFE, trends"]
    assert [v.choices for v in vs] == [(("weighted", "unweighted"),), (("transform", "level"),),
                                       (("transform", "log"),), (("unit_trends", "trends"),)]  # fmt: skip
    assert vs[0].weighted is False and vs[0].transform is None and vs[0].options == base.options
    assert vs[2].transform == "log" and vs[2].weighted is True
    assert dict(vs[3].options) == {"controls": ["x"], "unit_trends": True}
    assert all(v.term == "treated" and v.estimator is twfe for v in vs)
    assert base.options == {"controls": ["x"]} and base.choices == ()
    c = base.choose(weighted=False, controls=[], partial_year="drop")
    assert c.choices == (("weighted", "False"), ("controls", ""), ("partial_year", "drop"))
    assert c.options == {"controls": []} and c.label.startswith("TWFE; ")
    # a variant is refused as a declared spec would be
    with pytest.raises(ValueError, match="transform must be"):
        base.vary(transform=["sqrt"])


def test_spec_vary_fits_as_the_hand_written_variant(toy_sample):
    """A variant from vary fits exactly as the same Spec written out by hand."""
    unweighted = Spec("TWFE", twfe).vary(weighted={"unweighted": False})[0]
    by_hand = Spec("TWFE, unweighted", twfe, weighted=False)
    a, b = unweighted.fit(toy_sample, "y"), by_hand.fit(toy_sample, "y")
    assert a.estimate == b.estimate and a.std_error == b.std_error


# --------------------------------------------------------------------------------------
# national 287(g): adopters after the window, diagnostics per sample
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def late_adopters():
    """The SYNTHETIC panel with 30 never-adopting counties given jail agreements in 2018-2020."""
    from enforcement_crime import synthetic

    raw = synthetic.load_default_panel().copy()
    never = raw.groupby("fips")["g287_start"].first()
    late = never[never.isna()].index[:30]
    dates = pd.to_datetime([f"{2018 + i % 3}-05-01" for i in range(len(late))])
    m = raw["fips"].isin(late)
    raw.loc[m, "g287_start"] = raw.loc[m, "fips"].map(dict(zip(late, dates, strict=True)))
    raw.loc[m, "g287_model"] = "jail"
    d = designs.get("287g_national", n_boot=99)
    return d.prepare(
        raw, data_source="synthetic", label="SYNTHETIC DATA (late adopters planted)"
    ), late


def test_national_adopters_after_the_window_are_not_yet_treated(late_adopters):
    sample, late = late_adopters
    d, df = sample.design, sample.data
    rows = df[df["fips"].isin(late)]
    # no treated year inside 2000-2016: never a cohort, never treated, not "ever" in the window
    assert (rows["g287_cohort"].fillna(0) == 0).all() and not rows["g287_ever"].any()
    assert (rows["g287_treated"] == 0).all() and rows["g287_adopts_after_window"].all()
    assert rows["g287_start_after_window"].dt.year.between(2018, 2020).all()
    assert not df.loc[~df["fips"].isin(late), "g287_adopts_after_window"].any()
    # ... under the other partial-year rule too
    other = sample.with_rule("share_of_year").data
    assert (other.loc[other["fips"].isin(late), "g287_cohort"].fillna(0) == 0).all()
    acc = sample.accounting_frame().set_index("rule").loc["adoption after the window"]
    assert acc["rows_dropped"] == 0 and "30 counties" in acc["why"] and "(2018-2020)" in acc["why"]
    # they are controls of both models' samples
    for model in d.models:
        assert set(late) <= set(d.model_sample(sample, model)["fips"])


def test_national_diagnostics_are_computed_per_sample(late_adopters):
    from enforcement_crime.designs import evidence

    sample, _ = late_adopters
    d = sample.design
    samples = d.diagnostic_samples(sample)
    assert list(samples) == ["all adopters", *d.models] and samples["all adopters"] is None
    jail = samples["jail"]
    dg = evidence.diagnostics(sample, "index_rate", data=jail, label="jail")
    es = d.event_spec().fit(sample, "index_rate", data=jail)
    assert dg["sample"] == "jail"
    assert dg["pretrend_p"] == es.pretrend.p_value
    pooled = evidence.diagnostics(sample, "index_rate")
    assert pooled["sample"] == "all" and pooled["mde"] != dg["mde"]  # not copied across samples


def test_national_verdicts_per_model_use_their_own_numbers(late_adopters):
    from enforcement_crime.designs import evidence
    from enforcement_crime.designs.conclusions import Conclusion

    sample, _ = late_adopters
    d = sample.design
    robust = evidence.robustness(sample, "index_rate", choices=("headline", "within state"))
    diags = pd.DataFrame([evidence.diagnostics(sample, "index_rate", data=data, label=label)
                          for label, data in d.diagnostic_samples(sample).items()])  # fmt: skip
    concl = (Conclusion("national extension", "none", ("index_rate",), "no effect"),)
    t = evidence.verdict_table(sample, robust, diags, conclusions=concl).set_index("sample")
    assert list(t.index) == ["all adopters", "jail", "task force"]
    for label in ("jail", "task force"):
        own = diags.set_index("sample").loc[label, "pretrend_p"]
        assert t.loc[label, "pretrend_p"] == own
        data = d.model_sample(sample, label)
        res = d.headline_spec().fit(sample, "index_rate", data=data, seed=0)
        assert t.loc[label, "estimate"] == pytest.approx(res.estimate, rel=1e-12)
        ws = d.robust_spec().fit(sample, "index_rate", data=data, state="state", state_year_fe=True)
        assert t.loc[label, "within_state_estimate"] == pytest.approx(ws.estimate, rel=1e-12)
    assert t.loc["jail", "estimate"] != t.loc["all adopters", "estimate"]


def _declared_specs(d: Design) -> list[Spec]:
    """Every specification a design declares: its lists and every ``*_spec()`` method."""
    specs = [*getattr(d, "specs", tuple)(), *d.robustness_specs()]
    for name in dir(type(d)):
        if name.endswith("_spec") and callable(getattr(d, name)):
            try:
                specs.append(getattr(d, name)())
            except NotImplementedError:
                continue
    return specs


@pytest.mark.parametrize("key", list(designs.DESIGNS))
def test_every_declared_resampling_spec_has_a_seed(key):
    """A bootstrap or permutation specification fitted without ``seed=`` draws from a fixed seed.

    Otherwise the same call gives another interval each time (and the sample's fit cache
    would keep whichever came first).
    """
    d = designs.get(key)
    resampling = [
        s
        for s in _declared_specs(d)
        if {"n_boot", "n_perm"} & set(s.options) or s.options.get("inference") == "wild_cluster"
    ]
    assert resampling, key
    unseeded = [s.label for s in resampling if s.options.get("seed") is None]
    assert not unseeded, f"{key}: {unseeded}"


def test_a_headline_fitted_twice_without_a_seed_gives_the_same_interval(toy_sample):
    d = designs.get("sc_county", n_boot=49)
    spec = d.headline_spec()
    a = spec.fit(toy_sample, toy_sample.design.outcomes[0])
    b = spec.fit(dataclasses.replace(toy_sample, fits={}), toy_sample.design.outcomes[0])
    ha, hb = headline(a), headline(b)
    assert (ha["conf_low"], ha["conf_high"]) == (hb["conf_low"], hb["conf_high"])
