"""Tests of the study notebooks' shared helpers (:mod:`enforcement_crime.studies`)."""

from __future__ import annotations

import json
import math
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from enforcement_crime import config, studies  # noqa: E402
from enforcement_crime.estimators import EstimatorInputError  # noqa: E402
from enforcement_crime.facts import nc_287g_agreements  # noqa: E402
from enforcement_crime.simulate import Effect, simulate_staggered  # noqa: E402

# --------------------------------------------------------------------------------------
# exposure rules
# --------------------------------------------------------------------------------------


def test_exposure_share_by_hand():
    # Mecklenburg signed 2006-02-27: 31 (Jan) + 26 (Feb 1-26) = 57 days unexposed of 365
    start = pd.to_datetime(["2006-02-27"] * 3 + ["2012-01-01", pd.NaT])
    end = pd.to_datetime([pd.NaT, pd.NaT, pd.NaT, "2012-07-01", pd.NaT])
    share = studies.exposure_share(start, end, [2005, 2006, 2007, 2012, 2010])
    # 2012 is a leap year: 1 Jan to 1 Jul = 182 of 366 days
    expected = [0.0, 308 / 365, 1.0, 182 / 366, 0.0]
    np.testing.assert_allclose(
        share, expected, rtol=0, atol=1e-15
    )  # exact day counts; float division only


def test_exposure_share_agrees_with_build_timing():
    """Two implementations of the share-of-year rule (ours is row-aligned, build.timing's is by unit x year)."""
    timing = pytest.importorskip("enforcement_crime.panels.timing")
    ag = nc_287g_agreements().set_index("fips")
    years = list(range(2003, 2019))
    ref = timing.exposure_share_of_year(ag["signed"], ag["end_date"], years)
    ours = studies.exposure_share(
        ag.loc[ref["fips"], "signed"], ag.loc[ref["fips"], "end_date"], ref["year"]
    )
    # both count days exactly; differences could only come from float division
    np.testing.assert_allclose(ours, ref["share"].to_numpy(), rtol=0, atol=1e-12)


def test_annual_cohort_rules():
    dates = pd.to_datetime(["2006-02-27", "2009-01-01", pd.NaT, "2013-01-22"])
    assert studies.annual_cohort(dates, "first_full_year").tolist() == [2007, 2009, 0, 2014]
    assert studies.annual_cohort(dates, "share_of_year").tolist() == [2006, 2009, 0, 2013]
    with pytest.raises(ValueError, match="rule must be one of"):
        studies.annual_cohort(dates, "half_year")


def test_add_treatment_switching_and_absorbing():
    ag = nc_287g_agreements()
    alamance = ag[ag["county"] == "Alamance"].iloc[0]  # signed 2007-01-10, ended 2012-09
    panel = pd.DataFrame(
        {
            "fips": "37001",
            "year": range(2005, 2015),
            "g287_start": alamance["signed"],
            "g287_end": alamance["end_date"],
        }
    )
    out = studies.add_treatment(panel, "g287_start", "g287_end", rule="first_full_year").set_index(
        "year"
    )
    assert set(out["g287_cohort"]) == {2008}
    # wholly exposed years: 2008-2011 (2007 starts 10 Jan, 2012 ends 1 Sep)
    assert out["g287_treated"].to_dict() == {y: float(2008 <= y <= 2011) for y in range(2005, 2015)}
    assert out.loc[2013, "g287_switch_off"] == 1.0 and out.loc[2012, "g287_switch_off"] == 0.0
    share = studies.add_treatment(panel, "g287_start", "g287_end", rule="share_of_year").set_index(
        "year"
    )
    assert share.loc[2007, "g287_treated"] == pytest.approx(
        356 / 365, abs=1e-15
    )  # 9 days unexposed
    assert share.loc[2010, "g287_treated"] == 1.0 and share.loc[2013, "g287_treated"] == 0.0
    assert set(share["g287_cohort"]) == {2007}


def test_add_treatment_bad_input():
    panel = pd.DataFrame(
        {
            "fips": ["1"],
            "year": [2008],
            "s": pd.to_datetime(["2008-05-01"]),
            "e": pd.to_datetime(["2008-01-01"]),
        }
    )
    with pytest.raises(ValueError, match="before 's'"):
        studies.add_treatment(panel, "s", "e")
    with pytest.raises(KeyError, match="'nope'"):
        studies.add_treatment(panel, "nope")


# --------------------------------------------------------------------------------------
# estimator lookup
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sim():
    df = simulate_staggered(n_units=120, periods=(2000, 2010), cohorts={0: 0.4, 2004: 0.3, 2007: 0.3},
                            effect=Effect(att=1.0), noise_sd=0.3, seed=3)  # fmt: skip
    df["w"] = 1.0 + (df["unit"] % 5)
    return df


def test_estimate_missing_and_present(sim):
    res = studies.estimate("no_such_estimator", sim, "y", "unit", "time", "cohort")
    assert isinstance(res, studies.Unavailable) and "no_such_estimator" in str(res)
    assert math.isnan(studies.headline(res)["estimate"])
    ok = studies.estimate("twfe", sim, "y", "unit", "time", "cohort")
    assert not isinstance(ok, studies.Unavailable)
    # noise-free parts aside, TWFE with a constant effect of 1 is unbiased: within 4 SE
    assert abs(ok.estimate - 1.0) < 4 * ok.std_error


def test_estimate_requires_and_optional(sim):
    res = studies.estimate(
        "twfe", sim, "y", "unit", "time", "cohort", requires=("no_such_argument",)
    )
    assert isinstance(res, studies.Unavailable) and "no_such_argument" in res.reason
    # an optional argument the estimator lacks is not passed (twfe has no n_boot)
    ok = studies.estimate("twfe", sim, "y", "unit", "time", "cohort", optional={"n_boot": 5})
    assert not isinstance(ok, studies.Unavailable)


def test_estimate_tolerates_input_errors_only_when_asked(sim):
    with pytest.raises(EstimatorInputError):
        studies.estimate("twfe", sim, "not_a_column", "unit", "time", "cohort")
    res = studies.estimate(
        "twfe", sim, "not_a_column", "unit", "time", "cohort", tolerate_input_error=True
    )
    assert isinstance(res, studies.Unavailable) and res.reason.startswith("not estimable")


def test_headline_picks_named_or_first_static_term(sim):
    cs = studies.estimate("callaway_santanna", sim, "y", "unit", "time", "cohort")
    h = studies.headline(cs, "ATT(simple)")
    row = cs.to_frame().set_index("term").loc["ATT(simple)"]
    assert h["estimate"] == row["estimate"] and h["conf_low"] == row["conf_low"]
    assert (
        studies.headline(cs)["term"]
        == cs.to_frame().loc[cs.to_frame()["event_time"].isna(), "term"].iloc[0]
    )


def test_twfe_exposure_share_matches_package_twfe_on_binary_treatment(sim):
    """pyfixest CRV1 (our helper) and the package's TWFE (CR1, FE nested in clusters) on the same 0/1 regressor."""
    d = sim.assign(D=sim["treated"].astype(float))
    ours = studies.twfe_exposure_share(d, "y", "unit", "time", "D", weights="w", cluster="state")
    ref = studies.estimate(
        "twfe", d, "y", "unit", "time", treatment="D", weights="w", cluster="state"
    )
    # same estimator and the same small-sample correction: agreement to floating-point accuracy
    assert ours.estimate == pytest.approx(ref.estimate, rel=1e-8)
    assert ours.std_error == pytest.approx(ref.std_error, rel=1e-8)
    with pytest.raises(ValueError, match=r"must be in \[0, 1\]"):
        studies.twfe_exposure_share(d.assign(D=2.0), "y", "unit", "time", "D")


# --------------------------------------------------------------------------------------
# minimum detectable effects
# --------------------------------------------------------------------------------------


def test_analytic_mde_constant():
    # z_0.975 + z_0.8 = 1.959964 + 0.841621 = 2.801585 (normal tables)
    assert studies.analytic_mde(1.0) == pytest.approx(2.801585, abs=1e-6)
    assert math.isnan(studies.analytic_mde(float("nan")))


def test_placebo_calibrated_mde_uniform_placebos():
    b = np.linspace(-1, 1, 101)
    q = np.quantile(np.abs(b), 0.95)  # 0.95 for this grid
    mde, curve = studies.placebo_calibrated_mde(b, alpha=0.05, power=0.8)
    # power(tau) ~ P(b > q - tau) = (1 - (q - tau)) / 2 >= 0.8  <=>  tau >= q + 0.6; the placebo
    # distribution is discrete in steps of 0.02, so the answer is within one step
    assert mde == pytest.approx(q + 0.6, abs=0.021)
    assert (
        curve.loc[curve["effect"] == 0, "power"].iloc[0] <= 0.05 + 1e-12
    )  # size at most alpha by construction
    with pytest.raises(ValueError, match="two finite"):
        studies.placebo_calibrated_mde([np.nan])


def test_design_mde_recovers_its_own_draws(sim):
    d = studies.design_mde(sim, "y", "unit", "time", "cohort", cluster="state", n_sim=60, seed=1)
    if isinstance(d["result"], studies.Unavailable):
        pytest.skip(str(d["result"]))
    mde, _ = studies.placebo_calibrated_mde(d["result"].extra["placebo_estimates"])
    assert d["mde_calibrated"] == mde
    assert d["mde"] > 0 and d["n_sim"] == 60


# --------------------------------------------------------------------------------------
# study vs rebuild
# --------------------------------------------------------------------------------------


def _studies_md():
    path = config.shared_data_dir().parent / "docs" / "STUDIES.md"
    if not path.is_file():
        pytest.skip(f"{path} absent")
    return " ".join(path.read_text().split())


def test_paper_conclusions_use_only_the_briefs_words():
    text = _studies_md()
    for key, entry in studies.PAPER_CONCLUSIONS.items():
        for quoted in re.findall(r'"([^"]+)"', entry["conclusion"]):
            assert quoted in text, f"{key}: quoted words not in STUDIES.md: {quoted!r}"
        for number in re.findall(r"\d+(?:\.\d+)?", entry["conclusion"] + " " + entry["paper"]):
            assert number in text, f"{key}: number {number} does not come from STUDIES.md"


def test_study_vs_rebuild_rows(sim):
    res = studies.estimate("twfe", sim, "y", "unit", "time", "cohort")
    rows = [
        {"outcome": "y", "specification": "TWFE", "result": res, "mde": 0.5},
        {
            "outcome": "y",
            "specification": "missing",
            "result": studies.Unavailable("x", "not there"),
            "mde": np.nan,
        },
    ]
    t = studies.study_vs_rebuild("sc_county", rows, data_label="simulated", differences=["a", "b"])
    assert t.loc[0, "estimate"] == res.estimate and t.loc[0, "mde"] == 0.5
    assert t.loc[0, "paper_conclusion"] == studies.PAPER_CONCLUSIONS["sc_county"]["conclusion"]
    assert math.isnan(t.loc[1, "estimate"]) and t.loc[1, "detectable"] == "not estimated"
    assert t.loc[1, "note"].startswith("NOT AVAILABLE") and t["design_differences"].eq("a; b").all()
    with pytest.raises(KeyError, match="study must be one of"):
        studies.study_vs_rebuild("nope", rows, data_label="", differences=[])


# --------------------------------------------------------------------------------------
# outputs registry
# --------------------------------------------------------------------------------------


def test_output_log_and_outputs_md(tmp_path, monkeypatch):
    monkeypatch.setenv("ENFORCEMENT_CRIME_REPORTS", str(tmp_path))
    log = studies.OutputLog(
        "demo", "notebooks/287g/01-estimate-nc-counties.py", synthetic=True, data_label="SYNTHETIC"
    )
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    log.figure(fig, "fig_demo_line", pd.DataFrame({"x": [0, 1], "y": [0, 1]}), description="a line")
    plt.close(fig)
    log.table(pd.DataFrame({"a": [1.5, np.nan]}), "tab_demo", description="a table")
    log.value("answer", 42.0)
    md = log.finish()
    rec = json.loads(
        (
            studies.outputs_registry_dir() / "notebooks__287g__01-estimate-nc-counties.json"
        ).read_text()
    )
    assert [e["name"] for e in rec["outputs"]] == ["fig_demo_line", "tab_demo"] and rec[
        "values"
    ] == {"answer": 42.0}
    text = md.read_text()
    assert "`notebooks/287g/01-estimate-nc-counties.py`" in text and "(SYNTHETIC DATA)" in text
    links = re.findall(r"\]\(([^)]+)\)", text)
    for link in links:
        if link.startswith("../notebooks/"):
            assert (config.project_root() / link.removeprefix("../")).is_file(), link
        elif not link.startswith("notebooks/"):  # executed notebooks exist only after a run
            assert (tmp_path / link).is_file(), link
    assert any(link.endswith("fig_demo_line.pdf") for link in links) and any(
        link.endswith("tab_demo.tex") for link in links
    )


def test_notebook_tables_and_values_read_tagged_outputs(tmp_path):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={"application/json": [{"a": 1.0}, {"a": None}], "text/plain": "t"},
            metadata={"application/json": {studies.TABLE_JSON_KEY: "tab_x"}},
        ),  # fmt: skip
        nbformat.v4.new_output(
            "display_data",
            data={"application/json": {"k": 3.5}, "text/plain": "v"},
            metadata={"application/json": {studies.VALUE_JSON_KEY: "k"}},
        ),  # fmt: skip
        nbformat.v4.new_output(
            "display_data", data={"application/json": {"z": 1}, "text/plain": "other"}
        ),
    ]
    nb.cells.append(cell)
    path = tmp_path / "x.ipynb"
    nbformat.write(nb, path)
    tables = studies.notebook_tables(path)
    assert (
        list(tables) == ["tab_x"]
        and tables["tab_x"]["a"].tolist()[0] == 1.0
        and pd.isna(tables["tab_x"]["a"].tolist()[1])
    )
    assert studies.notebook_values(path) == {"k": 3.5}


def test_param_files_name_existing_notebooks():
    specs = studies.param_files()
    assert specs, "no parameter files in params/"
    for s in specs:
        assert (config.project_root() / s["notebook"]).is_file()
        assert "data_source" in s["parameters"]


def test_param_files_reject_missing_header(tmp_path):
    (tmp_path / "x.yaml").write_text("data_source: synthetic\n")
    with pytest.raises(ValueError, match="line 1 must be"):
        studies.param_files(tmp_path)


def test_balanced_counts_units_left_out():
    df = pd.DataFrame(
        {
            "u": ["a", "a", "a", "b", "b", "c", "c", "c"],
            "t": [1, 2, 3, 1, 2, 1, 2, 3],
            "y": [1.0, 2.0, 3.0, 1.0, 2.0, 1.0, np.nan, 3.0],
        }
    )
    out, left_out = studies.balanced(df, "u", "t", "y")
    # b lacks period 3, c has a missing outcome in period 2: only a is balanced
    assert set(out["u"]) == {"a"} and left_out == 2


def test_share_axis_labels_only_when_identical():
    fig, axes = plt.subplots(1, 2)
    for ax in axes:
        ax.set_xlabel("Year")
    axes[0].set_ylabel("rate")
    axes[1].set_ylabel("share")
    studies.share_axis_labels(fig, axes)
    assert [a.get_xlabel() for a in axes] == ["", ""] and fig._supxlabel.get_text() == "Year"
    assert [a.get_ylabel() for a in axes] == ["rate", "share"]  # different labels are kept
    plt.close(fig)
