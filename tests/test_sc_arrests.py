"""Arrests as a secondary outcome of the SC county design (panel ``icpsr_arrests``).

A planted county-year arrests panel, built through the panel's own builder from
frames in the loader's layout (values made up here: SYNTHETIC, never a study
result), checks that an arrest rate reaches the estimator with the Census
population as its denominator, that the years without a file are stated, and
that the verdict rows read it. The read-back of real county-years against the
ICPSR source lines is in ``tests/panels/test_icpsr_arrests.py`` (it reuses that
module's build of the shared copies).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from enforcement_crime import designs, synthetic
from enforcement_crime.designs import conclusions, evidence
from enforcement_crime.panels import icpsr_arrests
from enforcement_crime.panels.fips import known_county_fips

YEARS = [
    2004,
    2005,
    2006,
    2007,
    2008,
    2010,
    2012,
]  # 2009 and 2011: no file, as in the shared copies
EFFECT = 1.2  # arrests multiplied by this from the first fully treated year on
#: the covered population (ICPSR CPOPARST) as a share of the Census population: it rises when a
#: county is treated, so a rate on CPOPARST would be biased by log(0.6 / 0.9) against the planted effect
COVERED_BEFORE, COVERED_AFTER = 0.6, 0.9


def _counties() -> list[str]:
    """Four real county codes in each of twelve states (the builder keeps Census counties only)."""
    by_state: dict[str, list[str]] = {}
    for f in sorted(known_county_fips()):
        by_state.setdefault(f[:2], []).append(f)
    states = [s for s in sorted(by_state) if len(by_state[s]) >= 4][:12]
    return [f for s in states for f in by_state[s][:4]]


def _planted(effect: float = EFFECT, seed: int = 3):
    """Loader-layout frames (one per year), the Census population and the SC timing of 48 counties.

    Activation dates: mid-year 2008-2012 (first full years 2009-2013), spread within every
    state; arrests Poisson around a county level times a year trend times ``effect`` when treated.
    """
    rng = np.random.default_rng(seed)
    fips = _counties()
    act_year = np.array([2008, 2009, 2010, 2011, 2012, 2012] * 8)[: len(fips)]
    rng.shuffle(act_year)
    dates = pd.to_datetime([f"{y}-06-15" for y in act_year])
    cohort = act_year + 1
    census = rng.integers(100_000, 900_000, len(fips))
    level = rng.uniform(150, 450, len(fips))
    frames, pops = [], []
    for y in YEARS:
        treated = y >= cohort
        pop_y = (census * (1 + 0.01 * (y - 2004))).astype(np.int64)
        rate = level * (1 - 0.02 * (y - 2004)) * np.where(treated, effect, 1.0)
        violent = rng.poisson(rate * pop_y / 1e5)
        prop = rng.poisson(3 * rate * pop_y / 1e5)
        drug = rng.poisson(2 * rate * pop_y / 1e5)
        covered = (pop_y * np.where(treated, COVERED_AFTER, COVERED_BEFORE)).astype(np.int64)
        f = pd.DataFrame(
            {
                "fips": pd.array(fips, dtype="string"),
                "county_fips": pd.array([x[2:] for x in fips], dtype="string"),
                "year": y,
                "population": pd.array(covered, dtype="Int64"),
                "agencies": pd.array(np.full(len(fips), 3), dtype="Int64"),
                "coverage": 100.0,
                "no_data": False,
                "arrests_violent": pd.array(violent, dtype="Int64"),
                "arrests_property": pd.array(prop, dtype="Int64"),
                "arrests_part1": pd.array(violent + prop, dtype="Int64"),
                "arrests_drug": pd.array(drug, dtype="Int64"),
                "arrests_total": pd.array(violent + prop + drug + 1000, dtype="Int64"),
            }
        )
        f.attrs["source_file"] = f"planted-{y}.txt"
        frames.append(f)
        pops.append(pd.DataFrame({"fips": fips, "year": y, "population": pop_y}))
    timing = pd.DataFrame(
        {
            "fips": fips,
            "sc_activation_date": dates,
            "g287_start": pd.NaT,
            "g287_end": pd.NaT,
            "g287_model": pd.array([None] * len(fips), dtype="string"),
        }
    )
    return frames, pd.concat(pops, ignore_index=True), timing, dict(zip(fips, cohort, strict=True))


@pytest.fixture(scope="module")
def planted():
    frames, pops, timing, cohorts = _planted()
    panel, man = icpsr_arrests.icpsr_arrests_panel(frames, population=pops, timing=timing)
    return panel, man, pops, cohorts


@pytest.fixture(scope="module")
def design():
    # the design's own draw count: with 99 draws the 2.5% tails of the bootstrap interval rest on
    # two or three draws, too coarse for the coverage check below
    return designs.get("sc_county", n_boot=999, **conclusions.SC_ARRESTS_OPTIONS)


@pytest.fixture(scope="module")
def sample(planted, design):
    panel = planted[0]
    return design.prepare(
        panel, data_source="icpsr_arrests", label="SYNTHETIC DATA (planted arrests)"
    )


def test_arrest_rates_reach_the_estimator_per_census_population(planted, design, sample):
    panel, man, pops, _ = planted
    assert man.rules["population"].startswith("Census") and man.rules["years_missing"] == [
        2009,
        2011,
    ]
    census = pops.set_index(["fips", "year"])["population"]
    o = "arrests_violent_rate"
    call = design.headline_spec().call(design, sample.data, o)
    got = call.data.join(sample.data.loc[call.data.index, ["arrests_violent"]])
    assert call.args[1] == f"log_{o}" and len(got) > 0
    want = np.log1p(
        got["arrests_violent"].astype(float).to_numpy()
        / census.loc[list(zip(got["fips"], got["year"], strict=True))].to_numpy()
        * 1e5
    )
    np.testing.assert_allclose(got[f"log_{o}"].to_numpy(), want, rtol=1e-12)
    # the covered population (CPOPARST) is kept beside it and is not the denominator
    assert (sample.data["population_icpsr"] < sample.data["population"]).all()
    # the partly treated activation years are set aside from the TWFE sample (first-full-year rule)
    assert call.set_aside == int(sample.data["partial_year"].sum()) > 0


def test_planted_effect_is_recovered_and_a_covered_population_rate_would_miss_it(design, sample):
    truth = np.log(EFFECT)
    for o in ("arrests_violent_rate", "arrests_property_rate", "arrests_drug_rate"):
        h = designs.headline(design.headline(sample, o))
        assert h["estimate"] == pytest.approx(truth, abs=0.03), o
        assert h["conf_low"] < truth < h["conf_high"], o
    # the same counts per ICPSR's covered population: the rise in coverage at treatment moves the
    # estimate by log(0.6 / 0.9), far from the planted effect (the denominator matters)
    wrong = sample.data.assign(
        arrests_violent_rate=sample.data["arrests_violent"].astype(float)
        / sample.data["population_icpsr"].astype(float)
        * 1e5
    )
    wrong["log_arrests_violent_rate"] = np.log1p(wrong["arrests_violent_rate"])
    off = design.robust_spec().fit(sample, "arrests_violent_rate", data=wrong)
    assert off.estimate == pytest.approx(truth + np.log(COVERED_BEFORE / COVERED_AFTER), abs=0.05)


def test_missing_years_are_stated_never_interpolated(planted, design, sample):
    _, _, _, cohorts = planted
    assert sample.years == YEARS
    acc = sample.accounting_frame().set_index("rule")
    row = acc.loc["years without rows"]
    assert (
        row["rows_dropped"] == 0 and "2009, 2011" in row["why"] and "nothing imputed" in row["why"]
    )
    gaps = design.event_time_gaps(sample)
    lo, hi = design.event_window
    for g in sorted(set(cohorts.values())):
        expect = [e for e in range(lo, hi + 1) if g + e in (2009, 2011)]
        rows = gaps[gaps["cohort"] == g]
        if not (YEARS[0] < g <= YEARS[-1]) or not expect:  # 2013: never treated inside 2004-2012
            assert rows.empty, g
            continue
        r = rows.iloc[0]
        assert r["event_times_missing"] == ", ".join(map(str, expect)), g
        assert r["counties"] == sum(c == g for c in cohorts.values())
    assert not sample.data["year"].isin([2009, 2011]).any()
    assert any(
        "2009, 2011" in d and "nothing interpolated" in d for d in design.differences(sample)
    )
    # a panel with every year has no such rule and no gaps
    full = sample.data[sample.data["year"] <= 2008]
    assert design.event_time_gaps(designs.StudySample(design, full, full, "x", "x", False)).empty


def test_outcomes_available_lists_the_arrest_rates(planted, design):
    panel = planted[0]
    got = design.outcomes_available(panel)
    assert set(got) == set(icpsr_arrests.RATES)
    assert set(conclusions.ARREST_OUTCOMES) <= set(got)
    assert set(icpsr_arrests.RATES) <= set(design.outcomes_available())


def test_an_unknown_outcome_is_a_one_line_error(planted):
    panel = planted[0]
    crime = designs.get("sc_county")  # offense outcomes asked of the arrests panel
    with pytest.raises(ValueError) as err:
        crime.prepare(panel, data_source="icpsr_arrests")
    msg = str(err.value)
    assert "\n" not in msg and "'index_rate'" in msg and "has arrests, not offenses" in msg
    assert all(r in msg for r in icpsr_arrests.RATES)
    typo = designs.get("sc_county", outcomes=("arrests_violnt_rate",))
    with pytest.raises(ValueError) as err:
        typo.prepare(panel, data_source="icpsr_arrests")
    assert "\n" not in str(err.value) and "'arrests_violnt_rate'" in str(err.value)


def test_the_synthetic_panel_says_plainly_it_has_no_arrests():
    raw = synthetic.load_default_panel()
    d = designs.get("sc_county", **conclusions.SC_ARRESTS_OPTIONS)
    with pytest.raises(ValueError) as err:
        d.prepare(raw, data_source="synthetic")
    msg = str(err.value)
    assert "\n" not in msg
    assert "SYNTHETIC panel simulates offenses, not arrests" in msg and "'icpsr_arrests'" in msg


def test_verdict_rows_read_arrests_on_the_arrests_panel_only(design, sample):
    o = "arrests_violent_rate"
    robust = evidence.robustness(sample, o, choices=("headline", "within state"))
    diags = pd.DataFrame({"sample": ["all"], "outcome": [o], "pretrend_p": [np.nan]})
    t = evidence.verdict_table(sample, robust, diags).set_index(["conclusion", "outcome"])
    name = design.conclusions()[1].name
    assert name.startswith("SC county arrests")
    # the planted 20% rise, with a tight interval, against the benchmark "no effect on arrests"
    row = t.loc[(name, o)]
    assert row["verdict"] == "diverges" and row["conf_low"] > 0, row["reason"]
    crime = t.loc[("SC county crime", "index_rate, violent_rate, property_rate")]
    assert crime["verdict"] == "not testable with these data"
    assert "has arrests, not offenses" in crime["reason"]
    # on a crime panel the arrest conclusion is "not testable" and says where arrests are
    crime_d = designs.get("sc_county")
    s = crime_d.prepare(synthetic.load_default_panel(), data_source="synthetic")
    v = evidence.verdict_table(
        s, robust.iloc[:0], diags.iloc[:0], conclusions=[crime_d.conclusions()[1]]
    )
    assert list(v["verdict"]) == ["not testable with these data"]
    assert "icpsr_arrests" in v["reason"].iloc[0] and "SC_ARRESTS_OPTIONS" in v["reason"].iloc[0]
