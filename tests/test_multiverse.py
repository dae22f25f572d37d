"""Tests of the multiverse grid, runner (joblib, Dask) and specification curve."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from enforcement_crime import multiverse as mv  # noqa: E402
from enforcement_crime import plots  # noqa: E402
from enforcement_crime.simulate import Effect, simulate_staggered  # noqa: E402


@pytest.fixture(scope="module")
def panel():
    """A staggered panel where every unit is treated (as with Secure Communities), known effect 2."""
    df = simulate_staggered(n_units=150, periods=(2000, 2012), cohorts={2004: 0.3, 2007: 0.3, 2010: 0.4},
                            effect=Effect(att=2.0), noise_sd=0.5, n_states=15, seed=11)  # fmt: skip
    df["y"] = df["y"] + 10.0  # positive outcomes so log(1 + y) is defined
    rng = np.random.default_rng(5)
    df["population"] = rng.integers(1_000, 100_000, df["unit"].nunique())[df["unit"].to_numpy()]
    df["coverage"] = np.where(rng.random(len(df)) < 0.1, 80.0, 100.0)
    df.loc[df.index[:7], "coverage"] = np.nan  # coverage unknown
    return df.rename(columns={"time": "year"})


COLS = dict(
    outcome="y", cohort="cohort", unit="unit", time="year", weights="population", cluster="state"
)


def test_spec_grid_counts():
    # 3 coverage x 2 weights x 3 control x 2 trends x 3 estimators x 2 transforms = 216 combinations
    full = mv.spec_grid(has_never_treated=False, drop_not_applicable=False)
    assert len(full) == 216
    # not applicable: trends with CS or imputation (3*2*3*1*2*2 = 72); never-treated control among the
    # rest (3*2*1*2*(2 twfe trends + 1 cs + 1 imputation) = 48)
    assert (~full["applicable"]).sum() == 72 + 48
    with_never = mv.spec_grid(has_never_treated=True)
    # with never-treated units, twfe/imputation + never_treated duplicate not_yet_treated: 3*2*2*(2+1) = 36
    assert len(with_never) == 216 - 72 - 36
    assert with_never["spec_id"].tolist() == list(range(len(with_never)))


def test_spec_grid_rejects_unknown_choices():
    with pytest.raises(KeyError, match="unknown choice"):
        mv.spec_grid({"colour": ("red",)})
    with pytest.raises(ValueError, match="unknown option"):
        mv.spec_grid({"estimator": ("ols",)})


def test_prepare_spec_data_accounts_for_every_dropped_row(panel):
    spec = {
        "coverage_rule": "coverage_ge_90",
        "control_group": "last_cohort",
        "outcome_transform": "log",
    }
    data, y, dropped = mv.prepare_spec_data(panel, spec, outcome="y", cohort="cohort")
    assert dropped["coverage unknown (coverage_ge_90)"] == 7
    assert dropped["coverage below threshold (coverage_ge_90)"] == int(
        (panel["coverage"] < 90).sum()
    )
    assert len(panel) - len(data) == sum(dropped.values())
    assert data["year"].max() == 2009 and set(data["cohort_spec"]) == {
        0,
        2004,
        2007,
    }  # last cohort recoded never
    np.testing.assert_allclose(
        data[y], np.log1p(data["y"]), rtol=0, atol=0
    )  # the documented transform, exactly
    with pytest.raises(ValueError, match="unknown coverage_rule"):
        mv.prepare_spec_data(panel, {"coverage_rule": "most"}, outcome="y", cohort="cohort")


def test_run_spec_recovers_known_effect(panel):
    for est in ("twfe", "callaway_santanna", "imputation"):
        spec = {"spec_id": 0, "coverage_rule": "all_reported", "weights": "none", "control_group": "not_yet_treated",
                "trends": "none", "estimator": est, "outcome_transform": "level"}  # fmt: skip
        row = mv.run_spec(panel, spec, **COLS)
        assert row["status"] == "ok", row
        # constant effect 2, no heterogeneity: every estimator is unbiased; 4 SE leaves a 1-in-15,000 false alarm
        assert abs(row["estimate"] - 2.0) < 4 * row["std_error"], (
            est,
            row["estimate"],
            row["std_error"],
        )


def test_run_spec_refuses_an_unknown_estimator(panel):
    spec = {"spec_id": 0, "coverage_rule": "all_reported", "weights": "none", "control_group": "not_yet_treated",
            "trends": "none", "estimator": "twfee", "outcome_transform": "level"}  # fmt: skip
    with pytest.raises(ValueError, match="unknown estimator 'twfee'"):
        mv.run_spec(panel, spec, **COLS)


def test_run_spec_refusal_reported_only_when_tolerated(panel):
    """An estimator's refusal (here: non-positive weights) is raised on the synthetic panel's path and recorded
    as "not estimable" on the real panels' path."""
    spec = {"spec_id": 0, "coverage_rule": "all_reported", "weights": "population", "control_group": "not_yet_treated",
            "trends": "none", "estimator": "twfe", "outcome_transform": "level"}  # fmt: skip
    bad = panel.assign(population=-1.0)  # non-positive weights: the estimator refuses
    with pytest.raises(ValueError):
        mv.run_spec(bad, spec, **COLS)
    row = mv.run_spec(bad, spec, **COLS, tolerate_input_error=True)
    assert (
        row["status"] == "not estimable"
        and np.isnan(row["estimate"])
        and "NOT ESTIMABLE" in row["note"]
    )


def test_run_spec_empty_sample_is_not_estimable(panel):
    spec = {"spec_id": 0, "coverage_rule": "full_coverage", "weights": "none", "control_group": "not_yet_treated",
            "trends": "none", "estimator": "twfe", "outcome_transform": "level"}  # fmt: skip
    row = mv.run_spec(panel.assign(coverage=np.nan), spec, **COLS)
    assert (
        row["status"] == "not estimable" and row["n_obs"] == 0 and "coverage unknown" in row["note"]
    )


@pytest.fixture(scope="module")
def small_grid():
    return mv.spec_grid({"coverage_rule": ("all_reported", "coverage_ge_90"), "outcome_transform": ("level",),
                         "control_group": ("not_yet_treated",)}, has_never_treated=False)  # fmt: skip


@pytest.fixture(scope="module")
def sequential(panel, small_grid):
    rows = [mv.run_spec(panel, spec, **COLS) for spec in small_grid.to_dict("records")]
    return pd.DataFrame(rows).sort_values("spec_id").reset_index(drop=True)


NUMERIC = ["estimate", "std_error", "conf_low", "conf_high"]


def test_run_multiverse_loky_equals_sequential(panel, small_grid, sequential):
    res = mv.run_multiverse(panel, small_grid, n_jobs=2, backend="loky", progress=False, **COLS)
    assert (res["status"] == "ok").all() and len(res) == len(small_grid)
    # same deterministic computations in another process: identical up to floating-point noise
    np.testing.assert_allclose(
        res[NUMERIC].to_numpy(float), sequential[NUMERIC].to_numpy(float), rtol=1e-10, atol=1e-12
    )


def test_run_multiverse_on_local_dask_cluster(panel, small_grid, sequential):
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:  # fmt: skip
        with distributed.get_task_stream(client) as stream:
            res = mv.run_multiverse(panel, small_grid, backend="dask", progress=False, **COLS)
        assert client.scheduler_info()["workers"], "the Dask cluster had no worker"
        assert len(stream.data) >= 1, "no task ran on the Dask cluster"
    np.testing.assert_allclose(
        res[NUMERIC].to_numpy(float), sequential[NUMERIC].to_numpy(float), rtol=1e-10, atol=1e-12
    )


def test_by_choice_summarises_levels_only(sequential):
    table = mv.by_choice(sequential, transform="level")
    lv = sequential[(sequential["outcome_transform"] == "level") & (sequential["status"] == "ok")]
    for _, row in table.iterrows():
        sub = lv[lv[row["choice"]] == row["option"]]
        assert row["specs"] == len(sub) and row["mean_estimate"] == pytest.approx(
            sub["estimate"].mean()
        )
        excl = ((sub["conf_low"] > 0) | (sub["conf_high"] < 0)).mean()
        assert row["share_excluding_zero"] == pytest.approx(excl)
    assert "outcome_transform" not in set(table["choice"])


def test_spec_curve_plot(sequential):
    fig, data = plots.spec_curve_plot(sequential, choices=list(mv.CHOICES), reference=2.0)
    assert data["estimate"].is_monotonic_increasing and len(data) == len(sequential)
    assert {"estimator", "trends", "weights", "coverage_rule"} <= set(data.columns)
    plt.close(fig)
    with pytest.raises(ValueError, match="no specification has an estimate"):
        plots.spec_curve_plot(sequential.assign(status="not available"), choices=list(mv.CHOICES))
