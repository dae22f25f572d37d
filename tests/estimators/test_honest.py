"""honest_did: cross-check with diff-diff (smoothness FLCI), known properties, contract, coverage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from enforcement_crime.estimators import EstimatorInputError
from enforcement_crime.estimators.honest import honest_did
from enforcement_crime.results import EstimationResult

Z = stats.norm.ppf(0.975)


def _es(beta_pre, beta_post, sigma, ref=-1):
    """An event-study result in the estimators' contract (reference row with estimate 0, NaN SE)."""
    K, P = len(beta_pre), len(beta_post)
    ks = list(range(ref - K, ref)) + list(range(ref + 1, ref + 1 + P))
    names = [f"e{k}" for k in ks]
    tab = pd.DataFrame(
        {
            "term": names + [f"e{ref}"],
            "event_time": ks + [ref],
            "estimate": list(beta_pre) + list(beta_post) + [0.0],
            "std_error": list(np.sqrt(np.diag(sigma))) + [np.nan],
        }
    )
    vcov = pd.DataFrame(sigma, index=names, columns=names)
    return EstimationResult("event_study", tab, extra={"reference_period": ref}, vcov=vcov)


def _sigma(n, seed=0, scale=0.01):
    A = np.random.default_rng(seed).normal(size=(n, n))
    return A @ A.T * scale + np.eye(n) * scale


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("M", [0.0, 0.05, 0.3])
def test_smoothness_flci_matches_diff_diff(seed, M):
    from diff_diff.honest_did import _flci_solve

    K, P = 4, 3
    rng = np.random.default_rng(seed)
    sigma = _sigma(K + P, seed)
    bpre, bpost = rng.normal(0, 0.1, K), rng.normal(0.3, 0.1, P)
    res = honest_did(_es(bpre, bpost, sigma), method="smoothness", m_grid=[M])
    lb, ub, _ = _flci_solve(bpre, bpost, sigma, np.ones(P) / P, K, P, M, 0.05)
    ours = res.table[["conf_low", "conf_high"]].to_numpy()[0]
    # two numerical optimisers of the same (flat-near-optimum) half-length; diff-diff documents ~3e-4
    # agreement with R. Bound: 1e-4 of the interval width.
    np.testing.assert_allclose(ours, [lb, ub], atol=1e-4 * (ub - lb))


def test_smoothness_m0_extrapolates_linear_pretrend_exactly():
    """beta_k = c (k - ref) + tau 1{k >= 0}: at M = 0 the FLCI is centred exactly on tau."""
    K, P, c, tau = 4, 3, 0.07, 0.5
    ks = np.r_[np.arange(-1 - K, -1), np.arange(0, P)]
    beta = c * (ks + 1) + tau * (ks >= 0)
    sigma = _sigma(K + P, 3)
    res = honest_did(_es(beta[:K], beta[K:], sigma), method="smoothness", m_grid=[0.0])
    lo, hi = res.table[["conf_low", "conf_high"]].to_numpy()[0]
    assert 0.5 * (lo + hi) == pytest.approx(tau, abs=1e-10)  # exact algebra: w'trend = 0, l'1 = 1
    # and the naive estimate (average of post coefficients) is biased by the trend
    assert res.estimate == pytest.approx(tau + c * np.mean(np.arange(1, P + 1)), abs=1e-12)


def test_rm_mbar0_single_period_equals_parallel_trends_interval():
    K, P = 3, 3
    rng = np.random.default_rng(4)
    sigma = _sigma(K + P, 4)
    bpre, bpost = rng.normal(0, 0.1, K), rng.normal(0.3, 0.1, P)
    res = honest_did(
        _es(bpre, bpost, sigma),
        method="relative_magnitude",
        mbar_grid=[0.0],
        post=0,
        rm_test="conditional",
    )
    lo, hi = res.table[["conf_low", "conf_high"]].to_numpy()[0]
    se = np.sqrt(sigma[K, K])
    # the ARP conditional test reduces to the two-sided z-test here; the interval is found by bisection to 1e-9 se
    assert lo == pytest.approx(bpost[0] - Z * se, abs=1e-7)
    assert hi == pytest.approx(bpost[0] + Z * se, abs=1e-7)


@pytest.mark.parametrize("method", ["relative_magnitude", "smoothness"])
def test_intervals_nested_and_breakdown(method):
    K, P = 3, 2
    rng = np.random.default_rng(5)
    sigma = _sigma(K + P, 5, scale=0.002)
    bpre, bpost = rng.normal(0, 0.05, K), np.array([0.4, 0.45])
    grid = [0, 0.5, 1, 2, 4] if method == "relative_magnitude" else [0, 0.02, 0.05, 0.1, 0.3]
    kw = {"mbar_grid": grid} if method == "relative_magnitude" else {"m_grid": grid}
    res = honest_did(_es(bpre, bpost, sigma), method=method, **kw)
    lo = res.table["conf_low"].to_numpy()
    hi = res.table["conf_high"].to_numpy()
    # larger restriction sets, wider intervals (a tiny slack for the numerical optimiser)
    assert np.all(np.diff(lo) <= 1e-6) and np.all(np.diff(hi) >= -1e-6)
    assert lo[0] > 0  # the original effect is significant
    b = res.extra["breakdown"]
    assert np.isfinite(b), res.notes
    label = "mbar_grid" if method == "relative_magnitude" else "m_grid"
    at = honest_did(_es(bpre, bpost, sigma), method=method, **{label: [b * 1.001, b * 0.98]})
    l2, h2 = at.table["conf_low"].to_numpy(), at.table["conf_high"].to_numpy()
    assert l2[0] <= 0 <= h2[0]  # just above the breakdown value the interval contains 0
    assert l2[1] > 0  # just below it does not


def test_works_on_event_study_contract():
    from enforcement_crime.estimators import event_study
    from enforcement_crime.simulate import Effect, simulate_staggered

    df = simulate_staggered(
        n_units=300,
        periods=(2000, 2012),
        cohorts={0: 0.5, 2006: 0.5},
        effect=Effect(att=1.0),
        seed=2,
    )
    es = event_study(df, "y", "unit", "time", "cohort", window=(-4, 4), bin_endpoints=False)
    res = honest_did(es, method="relative_magnitude", mbar_grid=[0, 1])
    assert len(res.table) == 2
    row0 = res.table.iloc[0]
    assert row0["conf_low"] <= 1.0 <= row0["conf_high"]  # true effect 1 everywhere
    sd = honest_did(es, method="smoothness", m_grid=[0.0], post=2)
    assert sd.table["conf_low"].iloc[0] < sd.table["conf_high"].iloc[0]
    assert "caution" not in res.notes
    binned = event_study(df, "y", "unit", "time", "cohort", window=(-4, 4), bin_endpoints=True)
    assert "endpoint terms are bins" in honest_did(binned, mbar_grid=[0]).notes


def test_errors():
    sigma = _sigma(5)
    r = _es([0.1, 0.0], [0.2, 0.3, 0.1], sigma)
    with pytest.raises(EstimatorInputError, match="method"):
        honest_did(r, method="bounds")
    with pytest.raises(EstimatorInputError, match="post="):
        honest_did(r, post=7)
    no_pre = _es([], [0.2, 0.3], _sigma(2))
    with pytest.raises(EstimatorInputError, match="pre-reference"):
        honest_did(no_pre, method="smoothness", m_grid=[0.1])
    gap = _es([0.1, 0.0], [0.2, 0.3, 0.1], sigma)
    gap.vcov = gap.vcov.drop(index="e1", columns="e1")
    with pytest.raises(EstimatorInputError, match="consecutive"):
        honest_did(gap)
    with pytest.raises(EstimatorInputError, match="vcov"):
        honest_did(EstimationResult("x", pd.DataFrame({"term": ["ATT"], "estimate": [1.0]})))


@pytest.mark.slow
def test_rm_hybrid_coverage_simulation():
    """delta in Delta^RM(1): the hybrid interval covers theta in >= ~95% of 300 draws."""
    K, P = 3, 2
    sigma = _sigma(K + P, 7, scale=0.005)
    delta = np.array(
        [-0.1, -0.05, -0.02, 0.0, 0.03]
    )  # pre diffs up to 0.05; post diffs 0.02, 0.03 (Mbar 1 ok)
    tau = np.array([0, 0, 0, 0.2, 0.2])
    theta = 0.2
    rng = np.random.default_rng(0)
    covered = []
    for _ in range(300):
        b = rng.multivariate_normal(tau + delta, sigma)
        r = honest_did(_es(b[:K], b[K:], sigma), mbar_grid=[1.0])
        covered.append(r.table["conf_low"].iloc[0] <= theta <= r.table["conf_high"].iloc[0])
    # valid (conservative) test: coverage >= 95% up to Monte-Carlo error (binomial SD 1.3% at 300 draws)
    assert np.mean(covered) >= 0.92


# --------------------------------------------------------------------------------------
# degenerate covariance: a pre-period term with zero standard error
# --------------------------------------------------------------------------------------


def _hand_event_study(beta, V, ks, ref=-1):
    """A hand-built event-study result (synthetic numbers) in the estimators' contract."""
    terms = [f"e{k}" for k in ks]
    tab = pd.DataFrame(
        {
            "term": terms,
            "event_time": pd.array(ks, dtype="Int64"),
            "estimate": beta,
            "std_error": np.sqrt(np.diag(V)),
        }
    )
    vcov = pd.DataFrame(V, index=terms, columns=terms)
    return EstimationResult("event_study", tab, extra={"reference_period": ref}, vcov=vcov)


@pytest.mark.parametrize("pre", [0.02, -0.02])
@pytest.mark.parametrize("rm_test", ["conditional", "hybrid"])
def test_zero_variance_pre_period_is_exact_limit(pre, rm_test):
    """e-2 with zero variance made ``c = SG / s2`` divide by zero; now it is a deterministic
    constraint, and the interval is the limit of giving e-2 a vanishing variance."""
    import warnings

    ks = [-3, -2, 0, 1]
    beta = np.array([0.05, pre, 1.0, 1.0])

    def cov(eps):
        V = 0.01 * (np.eye(4) + 0.3)
        V[1, :] = 0.0
        V[:, 1] = 0.0
        V[1, 1] = eps
        return V

    grid = [0.0, 0.5, 2.0]
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        exact = honest_did(
            _hand_event_study(beta, cov(0.0), ks), mbar_grid=grid, rm_test=rm_test
        ).to_frame()
    near = honest_did(
        _hand_event_study(beta, cov(1e-8), ks), mbar_grid=grid, rm_test=rm_test
    ).to_frame()
    assert np.isfinite(exact[["conf_low", "conf_high"]].to_numpy()).all()
    np.testing.assert_allclose(
        exact[["conf_low", "conf_high"]].to_numpy(),
        near[["conf_low", "conf_high"]].to_numpy(),
        atol=1e-4,
    )
    # wider restrictions give wider intervals
    width = (exact["conf_high"] - exact["conf_low"]).to_numpy()
    assert np.all(np.diff(width) > 0)


def test_mbar_zero_has_no_division_warning():
    """At Mbar = 0 the restriction's +/- rows cancel (a zero-variance combination by construction)."""
    import warnings

    ks = [-3, -2, 0, 1, 2]
    V = 0.01 * (np.eye(5) + 0.3)
    beta = np.array([0.1, -0.05, 1.0, 1.0, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        res = honest_did(_hand_event_study(beta, V, ks), mbar_grid=[0.0])
    row = res.to_frame().iloc[0]
    assert row["conf_low"] < 1.0 < row["conf_high"]


def test_bisect_walks_the_same_midpoints_as_one_at_a_time():
    """The batched bisection returns exactly the one-midpoint-at-a-time result (also at the step cap)."""
    from enforcement_crime.estimators._honest_rm import bisect

    def sequential(accept, out, inn, tol):
        for _ in range(200):
            mid = 0.5 * (out + inn)
            if accept(np.array([mid]))[0]:
                inn = mid
            else:
                out = mid
            if abs(inn - out) < tol:
                break
        return 0.5 * (inn + out)

    rng = np.random.default_rng(0)
    for _ in range(50):
        a, b = np.sort(rng.normal(size=2) * 10)
        accept = lambda th, a=a, b=b: (th >= a) & (th <= b)  # noqa: E731
        for out, inn, tol in [(a - rng.uniform(0, 3), a + 1e-3, 1e-9), (b + 2.0, b - 1e-2, 1e-12),
                              (a - 1.0, 0.5 * (a + b), 0.0)]:  # fmt: skip
            assert bisect(accept, out, inn, tol) == sequential(accept, out, inn, tol)


def test_mvn_draws_equal_numpy_multivariate_normal_to_the_last_bit():
    """The hybrid test's draws with reused standard normals are numpy's eigh-method draws exactly."""
    from enforcement_crime.estimators._honest_rm import _mvn_draws

    normals: dict = {}
    for t in range(30):
        g = np.random.default_rng(t)
        m = int(g.integers(2, 12))
        A = g.normal(size=(m, m + int(g.integers(-1, 2))))
        cov = A @ A.T
        if t % 3 == 0:  # singular, as at Mbar = 0
            cov = cov - np.outer(cov[0], cov[0]) / cov[0, 0]
        seed = 100 + t % 4  # repeated seeds reuse the stored normals
        ref = np.random.default_rng(seed).multivariate_normal(
            np.zeros(m), cov, size=500, method="eigh"
        )
        np.testing.assert_array_equal(_mvn_draws(cov, seed, 500, normals), ref)
