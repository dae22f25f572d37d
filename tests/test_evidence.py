"""Robustness variants, diagnostics and the reading paragraph (:mod:`enforcement_crime.designs.evidence`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from enforcement_crime.designs import evidence
from tests.test_designs import TOY, _sim


@pytest.fixture(scope="module")
def sample():
    return TOY.prepare(_sim(effect=1.0, seed=7), data_source="simulated", label="SIMULATED")


def test_placebo_data_by_hand(sample):
    p = evidence.placebo_data(sample, shift=2)
    d = sample.data
    # treated units keep only their years before adoption; never-treated keep every year
    treated = d[d["p_cohort"] > 0]
    assert len(p) == len(d) - int((treated["time"] >= treated["p_cohort"]).sum())
    real = d.groupby("unit")["p_cohort"].first()
    fake = p.groupby("unit")["p_cohort"].first()
    moved = real[real > 0]
    # cohort 2004 -> 2002, 2007 -> 2005 (both after the first year, 2000)
    assert (fake[moved.index] == moved - 2).all()
    assert (fake[real[real == 0].index] == 0).all()


def test_variants_change_one_choice(sample):
    vs = evidence.variants(sample)
    choices = [v.choice for v in vs]
    assert choices[0] == "headline" and choices.count("headline") == 1
    assert {
        "scale",
        "weights",
        "trends",
        "leave one out",
        "placebo",
        "inference / estimator",
        "within state",
    } <= set(choices)
    n_states = sample.data["state"].nunique()
    assert choices.count("leave one out") == n_states
    w = next(v for v in vs if v.choice == "weights")
    assert w.spec.weighted is False and w.spec.estimator is vs[0].spec.estimator
    # scale, weights and trends are Spec.vary of the base: each changes that one choice
    base = vs[0].spec
    for v in vs:
        if v.choice in ("scale", "weights", "trends"):
            assert len(v.spec.choices) == 1 and v.spec.term == base.term
    s = next(v for v in vs if v.choice == "scale")
    assert s.spec.scale(sample.design) != base.scale(sample.design) and s.spec.weighted
    t = next(v for v in vs if v.choice == "trends")
    assert t.spec.options == {**base.options, "unit_trends": True}
    # within state: state-by-year effects (the toy sample has no state FIPS: no division variant)
    (w,) = [v for v in vs if v.choice == "within state"]
    assert w.label == evidence.STATE_BY_YEAR and w.spec.choices == (
        ("state", evidence.STATE_BY_YEAR),
    )
    assert w.spec.options == {**base.options, "state": "state", "state_year_fe": True}


def test_variants_of_some_choices_are_those_of_all(sample):
    """``choices`` builds only those variants: the same ones, in the same order, leave-one-out masks included."""
    every = evidence.variants(sample)
    for choices in (("headline", "within state"), ("leave one out",), ("placebo", "scale")):
        some = evidence.variants(sample, choices=choices)
        kept = [v for v in every if v.choice in choices]
        assert [(v.choice, v.label, v.spec) for v in some] == [
            (v.choice, v.label, v.spec) for v in kept
        ]
        for a, b in zip(some, kept, strict=True):
            assert (a.rows is None) == (b.rows is None)
            if a.rows is not None:
                assert np.array_equal(a.rows, b.rows)
            if a.data is not None:
                pd.testing.assert_frame_equal(a.data, b.data)
    # a left-out state's rows are exactly the rows without that state
    loo = [v for v in every if v.choice == "leave one out"]
    states = sample.data["state"].astype(str).to_numpy()
    for v in loo:
        assert np.array_equal(v.rows, states != v.label.removeprefix("without state "))
    assert [v.label for v in loo] == [f"without state {s}" for s in sorted(set(states))]


def test_within_state_variant_is_the_state_by_year_twfe(sample):
    from enforcement_crime.estimators import twfe

    t = evidence.robustness(sample, "y", seed=1, choices=("headline", "within state"))
    assert t["choice"].tolist() == ["headline", "within state"]
    direct = twfe(sample.data, "y", "unit", "time", "p_cohort", weights="w", cluster="state",
                  state="state", state_year_fe=True)  # fmt: skip
    assert t.loc[1, "estimate"] == pytest.approx(direct.estimate, rel=1e-10)
    assert t.loc[1, "estimate"] != pytest.approx(t.loc[0, "estimate"], rel=1e-6)


def test_census_division_from_state_fips_or_county_fips():
    df = pd.DataFrame({"fips": ["37119", "06037", "11001"], "state_fips": ["37", "06", "11"]})
    # NC and DC are South Atlantic (5), California Pacific (9): Census Bureau divisions
    assert evidence.census_division(df).tolist() == [5, 9, 5]
    assert evidence.census_division(df.drop(columns="state_fips")).tolist() == [5, 9, 5]
    assert evidence.census_division(pd.DataFrame({"unit": [1]}), "unit") is None
    with pytest.raises(ValueError, match="not in facts/census_divisions.csv"):
        evidence.census_division(pd.DataFrame({"state_fips": ["72"]}))


def test_robustness_recovers_the_effect_and_the_placebo_is_null(sample):
    t = evidence.robustness(sample, "y", seed=1)
    head = t[t["choice"] == "headline"].iloc[0]
    assert abs(head["estimate"] - 1.0) < 4 * head["std_error"]
    plac = t[t["choice"] == "placebo"].iloc[0]
    assert abs(plac["estimate"]) < 4 * plac["std_error"]  # no effect before adoption
    assert list(t.columns) == evidence.ROBUSTNESS_COLUMNS
    assert set(t["scale"]) == {"level", "log"}


def test_plot_rows_keep_one_scale_and_loo_extremes():
    t = pd.DataFrame({
        "outcome": ["y"] * 6, "choice": ["headline", "scale", "leave one out", "leave one out", "leave one out", "weights"],
        "variant": ["h", "logs", "without A", "without B", "without C", "unweighted"],
        "scale": ["level", "log", "level", "level", "level", "level"],
        "estimate": [1.0, 0.1, 0.5, 2.0, 1.2, 0.9], "conf_low": [0.0] * 6, "conf_high": [2.0] * 6,
    })  # fmt: skip
    r = evidence.plot_rows(t)
    assert "logs" not in set(r["variant"])
    ext = r[r["choice"] == "leave one out"].set_index("variant")["left_out"].to_dict()
    assert ext == {"smallest estimate": "without A", "largest estimate": "without B"}


def test_reading_the_evidence_is_computed_from_the_numbers():
    t = pd.DataFrame({
        "outcome": ["y"] * 5, "choice": ["headline", "weights", "trends", "placebo", "inference / estimator"],
        "variant": ["TWFE", "unweighted", "unit trends", "shifted", "CS"], "scale": ["level"] * 5,
        "estimate": [1.0, 3.0, 1.2, 0.1, 1.1], "std_error": [0.5, 0.5, 0.5, 0.5, 0.5],
        "conf_low": [0.02, 2.0, 0.2, -0.9, 0.1], "conf_high": [1.98, 4.0, 2.2, 1.1, 2.1],
    })  # fmt: skip
    text = evidence.reading_the_evidence(
        t, {"pretrend_p": 0.4, "honest_breakdown": 1.5, "mde": 1.4}
    )
    # weights move it by 2.0 = 4.0 SE; trends (0.2) and the estimator (0.1) stay within one SE
    assert "weights (unweighted: 3, 4.0 SE)" in text
    assert "Within one SE: trends, inference / estimator" in text
    # no row has an estimator p-value: the four distinct intervals are analytic, counted apart
    assert "calibrated inference (bootstrap / randomization): 0 of 0 intervals exclude 0" in text
    assert "not counted as tests): 4 of 4" in text and "interval covers 0" in text
    assert "p = 0.4" in text and "Mbar = 1.5" in text and "MDE = 1.4" in text
    # the MDE compared with the base interval [0.02, 1.98]: it excludes 0, |1.0| is below the MDE 1.4
    assert "excludes 0, yet |estimate| 1 is below the MDE (1.4)" in text
    assert evidence.reading_the_evidence(t.iloc[1:]) == "No headline estimate: nothing to read."


def test_diagnostics_on_a_known_design(sample):
    dg = evidence.diagnostics(sample, "y", seed=1)
    assert 0 <= dg["pretrend_p"] <= 1 and dg["mde"] > 0
    # a true effect of 1 with small noise: no violation up to Mbar = 2 overturns it
    assert not np.isfinite(dg["honest_breakdown"]) and "breakdown above the grid" in dg["notes"]


def test_measured_size_reads_the_committed_table(tmp_path):
    table = pd.DataFrame({"design": ["sc_county", "287g_nc"], "case": ["TWFE", "CS"], "test": ["interval"] * 2,
                          "scale": ["log"] * 2, "outcome": ["y"] * 2, "n_seeds": [200, 200],
                          "reject_05": [0.07, 0.15], "mc_se_05": [0.018, 0.025], "coverage": [0.93, 0.85],
                          "within_3_8": [True, False], "headline": [True, False]})  # fmt: skip
    table.to_csv(tmp_path / "size.csv", index=False)
    got = evidence.measured_size("287g_nc", tmp_path / "size.csv")
    assert got["case"].tolist() == ["CS"] and got["reject_05"].tolist() == [0.15]
    missing = evidence.measured_size("287g_nc", tmp_path / "absent.csv")
    assert missing.empty and "size_study.py" in missing.attrs["note"]
    # the reading is computed from the same rows: the 15% CS row over-rejects
    reading = evidence.size_reading("287g_nc", tmp_path / "size.csv")
    assert reading == ["Over-reject at 5% (15.0-15.0%), so read as descriptions, not tests: CS."]
    assert "size_study.py" in evidence.size_reading("287g_nc", tmp_path / "absent.csv")[0]


def test_present_exports_the_evidence_under_the_designs_names(sample, tmp_path, monkeypatch):
    """evidence.present: the robustness table, diagnostics, coefficient plot and reading, each recorded
    under the name the design gives it (Design.output_name), with the numbers collect computes."""
    import json

    import matplotlib

    matplotlib.use("Agg")
    from enforcement_crime import reports

    monkeypatch.setenv("ENFORCEMENT_CRIME_REPORTS", str(tmp_path))
    d = sample.design
    log = d.output_log(sample, study="demo", notebook="notebooks/demo/01-evidence.py")
    ev = evidence.present(sample, log, seed=1, show=False)
    rec = json.loads(
        (reports.outputs_registry_dir() / "notebooks__demo__01-evidence.json").read_text()
    )
    names = [e["name"] for e in rec["outputs"]]
    assert names == [
        "tab_toy_robustness",
        "tab_toy_diagnostics",
        "fig_toy_robustness",
        "tab_toy_reading",
        "tab_toy_placebos",
        "fig_toy_placebos",
    ]
    # every name present gives (the toy design declares no conclusion: no verdict table)
    assert names == [
        d.output_name(*k.split("_", 1)) for k in evidence.PRESENTED if k != "tab_verdicts"
    ]
    robust, diags, reading = evidence.collect(sample, seed=1)
    pd.testing.assert_frame_equal(ev.robustness, robust)
    assert ev.reading == reading and len(ev.diagnostics) == len(diags)
    # the toy design declares no paper conclusion: an empty verdict table with the verdict columns
    assert list(ev.verdicts.columns) == evidence.VERDICT_COLUMNS and ev.verdicts.empty
    exported = pd.read_csv(tmp_path / "tables" / "demo" / "tab_toy_robustness.csv")
    np.testing.assert_allclose(exported["estimate"], robust["estimate"], rtol=1e-6)
    with pytest.raises(ValueError, match="output kind"):
        d.output_name("figure", "x")
    # the placebo table: every scheme the sample allows, the design's draws each, seeded
    p = ev.placebos
    assert set(p["scheme"]) >= {"all units"} and (p["n_draws"] == d.placebo_draws).all()
    assert d.placebo_draws >= 500 and (p["seed"] == 1).all()
    again, _ = evidence.placebo_tests(sample, d.outcomes[0], seed=1)
    pd.testing.assert_frame_equal(
        again.reset_index(drop=True), p[p["outcome"] == d.outcomes[0]].reset_index(drop=True)
    )
    # Evidence.show finds the saved coefficient plot by its rows: nothing is drawn again
    import matplotlib.pyplot as plt

    open_figures = plt.get_fignums()
    ev.show()
    assert plt.get_fignums() == open_figures
    assert reports.show_saved_figure(evidence.plot_rows(ev.robustness))


def test_verdict_table_reads_the_rules_off_the_evidence(sample):
    """One row per conclusion and outcome; the numbers are the robustness table's; a conclusion whose
    outcome is not in the data is "not testable" with what it would take."""
    from enforcement_crime.designs.conclusions import Conclusion

    robust, diags, _ = evidence.collect(sample, seed=1)
    concl = (
        Conclusion("toy effect", "any", ("y",), "an effect"),
        Conclusion("toy null", "none", ("y",), "no effect"),
        Conclusion("toy arrests", "none", ("arrests",), "no effect", needs="arrest counts"),
    )
    t = evidence.verdict_table(sample, robust, diags, conclusions=concl)
    assert t["conclusion"].tolist() == ["toy effect", "toy null", "toy arrests"]
    head = robust[(robust["outcome"] == "y") & (robust["choice"] == "headline")].iloc[0]
    assert t.loc[0, "estimate"] == head["estimate"] and t.loc[0, "conf_low"] == head["conf_low"]
    # the planted effect (1.0, interval far from 0): an effect is reproduced, "no effect" diverges
    assert head["conf_low"] > 0
    assert t["verdict"].tolist() == ["reproduced", "diverges", "not testable with these data"]
    assert t.loc[2, "reason"] == "not testable with these data: arrest counts"
    # the placebo share is the design's scheme's share of placebo_tests, on the same seed
    tab, _ = evidence.placebo_tests(sample, "y", seed=0)
    assert t.loc[0, "placebo_share"] == evidence.placebo_share(tab, sample.design, "y", "all")
    assert 0 < t.loc[0, "placebo_share"] <= 1
    # the MDE is (z_0.975 + z_0.8) x the SE the interval implies
    se = (head["conf_high"] - head["conf_low"]) / (2 * 1.959964)
    assert t.loc[0, "mde"] == pytest.approx(2.801585 * se, rel=1e-4)


def test_leave_one_out_fitted_together_is_fitted_alone(sample):
    """Spec.fit_rows (one preparation for every left-out group) gives each Spec.fit(rows=...)."""
    vs = [v for v in evidence.variants(sample) if v.choice == "leave one out"]
    assert len(vs) > 1
    spec = vs[0].spec
    together = spec.fit_rows(sample, "y", [v.rows for v in vs])
    for v, res in zip(vs, together, strict=True):
        alone = spec.fit(sample, "y", rows=v.rows)
        pd.testing.assert_frame_equal(res.table, alone.table)
        assert (res.n_obs, res.notes, res.specification, res.outcome) == (
            alone.n_obs, alone.notes, alone.specification, alone.outcome)  # fmt: skip
        assert set(res.extra) == set(alone.extra)
        assert evidence.headline(res) == evidence.headline(alone)


def test_the_evidence_section_computed_on_two_processes_is_the_serial_one(tmp_path, monkeypatch):
    """present() runs its estimations side by side (workers.run_tasks): with two processes the
    tables, the reading and the verdicts are exactly those of one, for a design with a second
    diagnostic sample and a conclusion (the verdicts' own sample rows and placebo shares are
    computed beside the rest)."""
    import dataclasses

    import matplotlib

    matplotlib.use("Agg")
    from enforcement_crime.designs.conclusions import Conclusion
    from enforcement_crime.workers import WORKERS_ENV, fork_available
    from tests.test_designs import _Toy

    if not fork_available():
        pytest.skip("worker processes are forked (Linux only)")

    @dataclasses.dataclass(frozen=True)
    class TwoSamples(_Toy):
        def diagnostic_samples(self, sample):
            states = sorted(sample.data["state"].unique())
            half = sample.data[sample.data["state"].isin(states[: len(states) // 2])]
            return {"all": None, "half of the states": half}

        def conclusions(self):
            return (Conclusion("toy effect", "any", ("y",), "an effect"),)

    design = TwoSamples(**{f.name: getattr(TOY, f.name) for f in dataclasses.fields(TOY)})
    runs = {}
    for n in ("1", "2"):
        monkeypatch.setenv(WORKERS_ENV, n)
        monkeypatch.setenv("ENFORCEMENT_CRIME_REPORTS", str(tmp_path / n))
        sample = design.prepare(
            _sim(effect=1.0, seed=7), data_source="simulated", label="SIMULATED"
        )
        log = design.output_log(sample, study="demo", notebook="notebooks/demo/01-evidence.py")
        runs[n] = evidence.present(sample, log, seed=1, show=False)
    serial, parallel = runs["1"], runs["2"]
    assert set(serial.verdicts["sample"]) == {"all", "half of the states"}
    for name in ("robustness", "diagnostics", "verdicts", "placebos", "placebo_draws"):
        pd.testing.assert_frame_equal(
            getattr(parallel, name), getattr(serial, name), check_exact=True
        )
    assert parallel.reading == serial.reading
    # the other sample's rows computed beside the rest are those verdict_table computes itself
    alone = evidence.verdict_table(sample, serial.robustness, serial.diagnostics, seed=1,
                                   placebos=serial.placebos)  # fmt: skip
    pd.testing.assert_frame_equal(alone, serial.verdicts, check_exact=True)
