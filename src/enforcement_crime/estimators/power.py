"""Power and minimum detectable effect (MDE) of a staggered design.

:func:`minimum_detectable_effect`
    Power curve and MDE on a given panel by placebo adoption dates.
:func:`analytic_mde`
    The normal-approximation MDE of a given standard error.
:func:`placebo_calibrated_mde`
    The MDE of a test calibrated on placebo estimates (no standard errors).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats

from enforcement_crime.estimators._core import (
    TwoWayProjector,
    check_units_nested,
    cluster_sums,
    cr1_scale,
    permute_cohorts,
    sorted_codes,
)
from enforcement_crime.estimators._inputs import EstimatorInputError, prepare_panel
from enforcement_crime.results import EstimationResult

__all__ = [
    "analytic_mde",
    "minimum_detectable_effect",
    "percent_of_mean",
    "placebo_calibrated_mde",
]


def _interpolate_mde(effects: np.ndarray, pw: np.ndarray, target: float) -> float:
    """Smallest effect at which the (linearly interpolated) power curve reaches ``target``."""
    order = np.argsort(effects)
    e, p = effects[order], pw[order]
    above = np.flatnonzero(p >= target)
    if above.size == 0:
        return np.nan
    i = int(above[0])
    if i == 0:
        return float(e[0])
    e0, e1, p0, p1 = e[i - 1], e[i], p[i - 1], p[i]
    return float(e0 + (target - p0) * (e1 - e0) / (p1 - p0))


def _twfe_placebos(prep, perms: np.ndarray, ucode, tcode, gcode, G: int):
    r"""Placebo TWFE estimates and CR1 SEs (pyfixest's default correction) for many cohort assignments.

    Exact algebra on per-unit and per-cluster sums, no observations x draws
    matrix. In the space scaled by :math:`\sqrt{w}`, with :math:`z = D^p`
    scaled, :math:`\mu = M_U z` (unit-local: zero outside the placebo-treated
    units), :math:`r = T'\mu` and :math:`c = K^{+} r` the period effects of
    :math:`\mu`, the two-way residual is
    :math:`x_{it} = \mu_{it} - \sqrt{w_{it}}\,(c_t - h_i)` with
    :math:`h_i` the weighted mean of :math:`c` over unit :math:`i`'s periods.
    Then :math:`\hat\beta = z'\tilde y / x'x` with
    :math:`x'x = \mu'\mu - r'K^{+}r`, and the cluster score is
    :math:`s_g = \sum_{g} x\tilde y - \hat\beta \sum_{g} x^2`, where both
    cluster sums split into a treated-unit part (precomputed per unit and
    cohort) and a part linear or quadratic in :math:`c` (per-unit or
    per-cluster tables over periods).
    """
    df = prep.data
    w = df["w"].to_numpy(dtype="float64")
    proj = TwoWayProjector(ucode, tcode, w)
    sw = proj.sw
    yt = proj.resid(sw * df["y"].to_numpy(dtype="float64"))
    times = np.unique(df["time"].to_numpy())
    nu, T, Wi, Wmat = proj.n_units, proj.n_times, proj.Wi, proj.C
    N = len(df)
    ssc = cr1_scale(G, N, T + 1)
    ucl = np.empty(nu, dtype=np.intp)
    ucl[ucode] = gcode  # the cluster of each unit (units nest in clusters)
    swy = sw * yt
    Ymat = np.zeros((nu, T))
    np.add.at(Ymat, (ucode, tcode), swy)
    ysum = np.bincount(ucode, weights=swy, minlength=nu)  # sum of sqrt(w) y~ per unit
    Pg = np.zeros((G, T))
    np.add.at(Pg, (gcode, tcode), swy)
    Pg -= cluster_sums(Wmat * (ysum / Wi)[:, None], ucl, G)  # sum over g of sqrt(w) y~ (c_t - h_i)
    # per cohort value and unit: z'y~, mu'mu, z'z and the unit's term of mu'y~
    values = np.unique(perms[perms > 0])
    on = (times[None, :] >= values[:, None]).astype("float64")  # cohorts x periods
    dd = on @ Wmat.T
    num = on @ Ymat.T
    quad = dd - dd**2 / Wi
    muy = num - (dd / Wi) * ysum
    Kp = proj.Kp
    betas, ses = [], []
    for s in range(0, len(perms), 100):
        b, se = _placebo_chunk(perms[s : s + 100], values, on, dd, num, quad, muy, Wmat, Wi, Kp,
                               Pg, ucl, G, ssc)  # fmt: skip
        betas.append(b)
        ses.append(se)
    return np.concatenate(betas), np.concatenate(ses)


def _placebo_chunk(perms, values, on, dd, num, quad, muy, Wmat, Wi, Kp, Pg, ucl, G, ssc):
    """:func:`_twfe_placebos` for one chunk of draws (rows of ``perms``)."""
    B, nu = perms.shape
    nc = len(values)
    d_, u_ = np.nonzero(perms > 0)  # the placebo-treated (draw, unit) pairs
    k_ = np.searchsorted(values, perms[d_, u_])
    cell = k_ * nu + u_  # the pair's (cohort value, unit) entry of the per-unit tables
    Wc = dd.ravel()[cell]
    m = Wc / Wi[u_]  # the pair's treated share of the unit's weight
    dense = len(d_) > 0.1 * B * nu  # most units treated: dense products per cohort value
    if dense:
        kk = np.full((B, nu), -1)
        kk[d_, u_] = k_
    # r = T'mu per draw: sum over the draw's treated units of w_it (1{t >= g} - m)
    if dense:
        onW = np.stack([(kk == k).astype("float64") @ Wmat for k in range(nc)])
        Mm = np.zeros((B, nu))
        Mm[d_, u_] = m
        mW = Mm @ Wmat
    else:
        ind = sp.csr_matrix((np.ones(len(d_)), (k_ * B + d_, u_)), shape=(nc * B, nu))
        onW = (ind @ Wmat).reshape(nc, B, -1)
        mW = sp.csr_matrix((m, (d_, u_)), shape=(B, nu)) @ Wmat
    r = np.einsum("kt,kdt->dt", on, onW) - mW
    c = r @ Kp
    q_pair = quad.ravel()[cell]
    xx = np.bincount(d_, weights=q_pair, minlength=B) - np.einsum("dt,dt->d", r, c)
    zz = np.bincount(d_, weights=Wc, minlength=B)
    with np.errstate(divide="ignore", invalid="ignore"):
        b = np.bincount(d_, weights=num.ravel()[cell], minlength=B) / xx
    # per draw and cluster: sum of x y~ (A) and of x^2 (Q)
    cells = d_ * G + ucl[u_]
    A = np.bincount(cells, weights=muy.ravel()[cell], minlength=B * G).reshape(B, G) - c @ Pg.T
    Cc = Wmat @ c.T  # units x draws: sum over the unit's periods of w_it c_t
    # per pair, the sum over the unit's periods of w_it 1{t >= g} c_t
    if dense:
        oc = np.empty(len(d_))
        for k in range(nc):
            sel = np.flatnonzero(k_ == k)
            oc[sel] = (Wmat @ (on[k] * c).T)[u_[sel], d_[sel]]
    else:
        oc = np.einsum("pt,pt,pt->p", Wmat[u_], on[k_], c[d_])
    mux = q_pair - 2 * (oc - m * Cc[u_, d_])  # the pair's sum of mu x
    Q = np.bincount(cells, weights=mux, minlength=B * G).reshape(B, G)
    wcc = Wmat @ (c**2).T - Cc**2 / Wi[:, None]  # per unit: sum of w (c_t - h_i)^2
    Q += cluster_sums(wcc, ucl, G).T
    with np.errstate(divide="ignore", invalid="ignore"):
        sc = A - b[:, None] * Q
        se = np.sqrt(ssc * np.einsum("dg,dg->d", sc, sc)) / xx
    bad = xx <= 1e-10 * zz.clip(min=1.0)
    b[bad], se[bad] = np.nan, np.nan
    return b, se


class _PowerRun(NamedTuple):
    """What a power simulation returns: effect grid, power, placebo estimates and SEs, labels."""

    eff: np.ndarray
    pw: np.ndarray
    b0: np.ndarray
    se: np.ndarray
    se_typ: float
    n_eff: int
    name: str
    test: str


def minimum_detectable_effect(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    *,
    estimator: str | Callable[..., EstimationResult] = "twfe",
    effects: Sequence[float] | None = None,
    n_sim: int = 200,
    alpha: float = 0.05,
    power: float = 0.8,
    seed: int | None = None,
    n_jobs: int = 1,
    weights: str | None = None,
    cluster: str | None = None,
    controls: list[str] | None = None,
) -> EstimationResult:
    r"""Power curve and minimum detectable effect of the design, by placebo simulation on this panel.

    Parameters
    ----------
    data : pandas.DataFrame
        Long panel (ideally pre-treatment years, or outcomes believed
        unaffected; any real effect in ``data`` adds noise to the placebos).
    outcome, unit, time, cohort : str
        Column names; the cohort distribution (adoption dates and how many
        units adopt when) is the design whose power is measured.
    estimator : "twfe" or callable
        ``"twfe"``: static TWFE with CR1 standard errors clustered by
        ``cluster`` (default: unit), two-sided t-test with G-1 degrees of
        freedom. A callable is called as ``estimator(data, outcome, unit,
        time, cohort, weights=..., cluster=..., controls=...)`` and a
        simulated draw rejects when its first term's interval
        (``conf_low``, ``conf_high``) excludes 0.
    effects : sequence of float, optional
        Effect sizes (outcome units, added to every treated cell). Default:
        21 values from 0 to 4 times the median placebo standard error
        (TWFE) or 9 values from 0 to 4 standard errors of a first placebo
        fit (callable).
    n_sim : int
        Placebo assignments.
    alpha, power : float
        Test level and target power.
    seed : int, optional
        Seed of ``numpy.random.default_rng``.
    n_jobs : int
        joblib workers for a callable estimator (TWFE is vectorised; a value
        other than 1 with ``"twfe"`` raises).
    weights, cluster, controls : optional
        Passed to the estimator; ``cluster`` must nest units.

    Returns
    -------
    EstimationResult
        Terms ``"MDE"`` (simulated: smallest effect with power >= ``power``,
        linear interpolation on the grid; NaN when the grid never reaches
        it) and ``"MDE(analytic)"``, :math:`(z_{1-\alpha/2} + z_{power})
        \times \widetilde{se}` (about 2.8 SE). ``extra``: ``power_curve``
        (effect, power, mc_se), ``placebo_estimates``, ``placebo_se``,
        ``size`` (rejection rate at effect 0).

    Notes
    -----
    Each simulation permutes whole adoption dates across units (cohort
    sizes preserved, as in
    :func:`~enforcement_crime.estimators.randomization_inference`), adds
    :math:`\tau` to the outcome of every placebo-treated cell,
    :math:`y^{(\tau)}_{it} = y_{it} + \tau D^{p}_{it}`, estimates, and
    records a rejection of :math:`H_0: \text{ATT} = 0`. Power
    :math:`(\tau)` is the rejection rate, with Monte-Carlo standard error
    :math:`\sqrt{p(1-p)/n_{sim}}`.

    For TWFE the effect enters exactly linearly: with :math:`x = M D^p`,
    :math:`\hat\beta(\tau) = x'(y + \tau D^p)/x'x = \hat\beta(0) + \tau`
    (because :math:`x'D^p = x'x`), and the residuals, hence the standard
    error, do not change; so one fit per placebo gives the whole power
    curve exactly. ``\widetilde{se}`` for the analytic MDE is the median
    placebo standard error. Weights: weighted least squares with
    ``weights`` (the effect is added to every treated cell, so the simulated
    estimand is the weighted ATT). Standard errors: CR1 with
    :math:`\frac{G}{G-1}\frac{N-1}{N-K}`, :math:`K = T + 1`, as in
    :func:`~enforcement_crime.estimators.wild_cluster_bootstrap` (pyfixest's
    default).
    """
    if not 0 < alpha < 1 or not 0 < power < 1:
        raise EstimatorInputError("alpha and power must be in (0, 1)")
    if n_sim < 2:
        raise EstimatorInputError("n_sim must be at least 2")
    prep = prepare_panel(
        data, outcome, unit, time, cohort, weights=weights, cluster=cluster, controls=controls
    )
    df = prep.data
    units, first = np.unique(df["unit"].to_numpy(), return_index=True)
    unit_cohort = df["cohort"].to_numpy()[first]
    if not (unit_cohort > 0).any() or np.unique(unit_cohort).size < 2:
        raise EstimatorInputError(
            f"column {cohort!r} gives no treated units or no variation in adoption timing to simulate"
        )
    rng = np.random.default_rng(seed)
    perms = np.stack([permute_cohorts(unit_cohort, None, rng) for _ in range(n_sim)])
    z_a, z_p = stats.norm.ppf(1 - alpha / 2), stats.norm.ppf(power)

    if isinstance(estimator, str):
        run = _power_twfe(prep, perms, estimator, controls, n_jobs, effects, alpha)
    else:
        run = _power_callable(
            data,
            outcome,
            unit,
            time,
            cohort,
            estimator,
            perms,
            units,
            effects,
            n_sim,
            n_jobs,
            weights,
            cluster,
            controls,
        )
    eff, pw, b0, se, se_typ, n_eff, name, test = run
    mc = np.sqrt(pw * (1 - pw) / n_eff)
    mde = _interpolate_mde(eff, pw, power)
    analytic = float((z_a + z_p) * se_typ)
    notes = (
        f"power by {n_eff} placebo adoption-date permutations with {name}; {test}; alpha={alpha}, target power={power}; "
        f"analytic MDE = ({z_a:.3f} + {z_p:.3f}) x median SE {se_typ:.4g}"
    )
    if not np.isfinite(mde):
        notes += f"; power never reaches {power} on the effect grid (max {eff.max():.4g}): widen effects="
    if prep.drop_note():
        notes += "; " + prep.drop_note()
    table = pd.DataFrame(
        {
            "term": ["MDE", "MDE(analytic)"],
            "estimate": [mde, analytic],
            "std_error": [np.nan, np.nan],
            "conf_low": [np.nan, np.nan],
            "conf_high": [np.nan, np.nan],
        }
    )
    curve = pd.DataFrame({"effect": eff, "power": pw, "mc_se": mc})
    return EstimationResult(
        "minimum_detectable_effect",
        table,
        n_obs=prep.n_obs,
        n_clusters=prep.n_clusters,
        notes=notes,
        alpha=alpha,
        extra={
            "power_curve": curve,
            "placebo_estimates": b0,
            "placebo_se": se,
            "size": float(pw[np.argmin(np.abs(eff))]) if np.any(eff == 0) else np.nan,
            "n_sim": n_eff,
            "target_power": power,
        },
        outcome=outcome,
    )


def _power_twfe(prep, perms, estimator, controls, n_jobs, effects, alpha) -> _PowerRun:
    """Power curve of the built-in TWFE t-test: one vectorised placebo fit per permutation."""
    df = prep.data
    if estimator != "twfe":
        raise EstimatorInputError(f"estimator must be 'twfe' or a callable, not {estimator!r}")
    if controls:
        raise EstimatorInputError(
            "controls are not supported by the built-in 'twfe' simulation; pass a callable"
        )
    if n_jobs != 1:
        raise EstimatorInputError(
            f"n_jobs={n_jobs!r} only applies to a callable estimator (the built-in 'twfe' "
            "simulation is vectorised); drop n_jobs="
        )
    check_units_nested(df, "minimum_detectable_effect")
    _, ucode = sorted_codes(df["unit"])
    _, tcode = sorted_codes(df["time"])
    clus, gcode = sorted_codes(df["cluster"])
    G = len(clus)
    if G < 2:
        raise EstimatorInputError("need at least 2 clusters")
    b0, se = _twfe_placebos(prep, perms, ucode, tcode, gcode, G)
    ok = np.isfinite(b0) & np.isfinite(se) & (se > 0)
    if not ok.any():
        raise EstimatorInputError("no placebo assignment could be estimated")
    b0, se = b0[ok], se[ok]
    crit = stats.t.ppf(1 - alpha / 2, G - 1)
    se_typ = float(np.median(se))
    eff = np.asarray(
        effects if effects is not None else np.linspace(0, 4 * se_typ, 21), dtype="float64"
    )
    rej = np.abs(b0[:, None] + eff[None, :]) / se[:, None] > crit
    pw = rej.mean(axis=0)
    n_eff = int(ok.sum())
    name = "twfe"
    test = f"t-test, CR1 clustered by {prep.names['cluster']} ({G} clusters), t({G - 1}) critical value"
    return _PowerRun(eff, pw, b0, se, se_typ, n_eff, name, test)


def _power_callable(
    data,
    outcome,
    unit,
    time,
    cohort,
    estimator,
    perms,
    units,
    effects,
    n_sim,
    n_jobs,
    weights,
    cluster,
    controls,
) -> _PowerRun:
    """Power curve of a callable estimator: refit on every placebo assignment and effect."""
    from joblib import Parallel, delayed

    pos = pd.Index(units).get_indexer(data[unit].to_numpy())
    kw = {"weights": weights, "cluster": cluster, "controls": controls}

    def one(perm: np.ndarray, eff: np.ndarray):
        frame = data.copy()
        g = np.where(pos >= 0, perm[np.clip(pos, 0, None)], 0)
        frame[cohort] = g
        d = ((g > 0) & (pd.to_numeric(frame[time]).to_numpy() >= g)).astype("float64")
        out = []
        for e in eff:
            frame[outcome] = pd.to_numeric(data[outcome]) + e * d
            try:
                r = estimator(frame, outcome, unit, time, cohort, **kw).to_frame().iloc[0]
                out.append(
                    (
                        float(r["estimate"]),
                        float(r["std_error"]),
                        bool(r["conf_low"] > 0 or r["conf_high"] < 0),
                    )
                )
            except (EstimatorInputError, ValueError, np.linalg.LinAlgError):
                out.append((np.nan, np.nan, False))
        return out

    first_fit = one(perms[0], np.array([0.0]))[0]
    se_typ = float(first_fit[1])
    if effects is None:
        if not np.isfinite(se_typ) or se_typ <= 0:
            raise EstimatorInputError(
                "the estimator reported no standard error: pass effects= explicitly"
            )
        eff = np.linspace(0, 4 * se_typ, 9)
    else:
        eff = np.asarray(effects, dtype="float64")
    runs = Parallel(n_jobs=n_jobs)(delayed(one)(perms[b], eff) for b in range(n_sim))
    arr = np.array(runs)  # n_sim x n_eff x 3
    ok = np.isfinite(arr[:, 0, 0])
    if not ok.any():
        raise EstimatorInputError("the estimator failed on every placebo assignment")
    pw = arr[ok, :, 2].mean(axis=0)
    b0 = arr[ok, 0, 0] - eff[0]
    se = arr[ok, 0, 1]
    se_typ = float(np.nanmedian(se))
    n_eff = int(ok.sum())
    name = getattr(estimator, "__name__", "callable")
    test = "rejection when the estimator's interval excludes 0"
    return _PowerRun(eff, pw, b0, se, se_typ, n_eff, name, test)


def analytic_mde(std_error: float, alpha: float = 0.05, power: float = 0.8) -> float:
    r"""Minimum detectable effect from a standard error (two-sided test, normal approximation).

    Parameters
    ----------
    std_error : float
        Standard error of the estimator on the design.
    alpha, power : float
        Test level and target power.

    Returns
    -------
    float
        The MDE in outcome units; NaN when ``std_error`` is not finite or negative.

    Notes
    -----
    .. math:: \mathrm{MDE} = (z_{1-\alpha/2} + z_{\text{power}})\,\widehat{\mathrm{se}}

    (Bloom 1995): the true effect a two-sided level-:math:`\alpha` test rejects
    with probability ``power`` when the estimator is normal with that standard
    error. It takes the design's standard error as given (no simulation); the
    simulation-based :func:`minimum_detectable_effect` is preferred when it
    can be run.
    """
    if not np.isfinite(std_error) or std_error < 0:
        return math.nan
    return float((stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)) * std_error)


def percent_of_mean(effect, mean: float, scale: str):
    r"""An effect in percent of the mean outcome, from the scale it was estimated on.

    Parameters
    ----------
    effect : float or array-like
        Effect on the analysed scale.
    mean : float
        Mean outcome in levels (e.g. the population-weighted mean rate per 100,000).
    scale : {"level", "log"}
        ``"level"``: the effect is in outcome units, so the percentage is
        :math:`100\,b/\bar y`. ``"log"``: the effect is in log points of
        :math:`\log(1 + y)`, a proportional change, so the percentage is
        :math:`100\,(e^{b} - 1)` whatever the mean (for rates far above 1,
        the change of :math:`1 + y` is that of :math:`y`).

    Returns
    -------
    float or ndarray
    """
    if scale == "log":
        return 100 * np.expm1(effect)
    if scale == "level":
        return 100 * np.divide(effect, mean)
    raise ValueError(f"percent_of_mean: scale must be 'level' or 'log', got {scale!r}")


def placebo_calibrated_mde(
    placebo_estimates,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    effects: Iterable[float] | None = None,
) -> tuple[float, pd.DataFrame]:
    r"""Minimum detectable effect of a test calibrated on placebo estimates (no standard errors needed).

    Parameters
    ----------
    placebo_estimates : array-like of float
        Estimates under placebo adoption dates (no true effect), e.g.
        ``minimum_detectable_effect(...).extra["placebo_estimates"]``.
        Non-finite values are ignored.
    alpha, power : float
        Test level and target power.
    effects : iterable of float, optional
        Effect grid (absolute values); default 2,001 points from 0 to
        :math:`\max|\hat\beta| + 3q`.

    Returns
    -------
    mde : float
        The smallest :math:`|\tau|` on the grid whose power is at least
        ``power`` for both signs (NaN if none).
    curve : pandas.DataFrame
        ``effect`` (both signs) and ``power``.

    Raises
    ------
    ValueError
        Fewer than two finite placebo estimates.

    Notes
    -----
    The test rejects when :math:`|\hat\beta| > q`, :math:`q` the
    :math:`1-\alpha` quantile of the placebo :math:`|\hat\beta^{p}|`, so its
    size is :math:`\alpha` by construction (a randomization test). For an
    estimator that shifts by exactly :math:`\tau` under an additive effect
    :math:`\tau` on treated cells (TWFE, Callaway-Sant'Anna, imputation),
    :math:`\text{power}(\tau) = \frac{1}{S}\sum_s 1\{|\hat\beta^p_s + \tau| > q\}`.
    With few treated clusters the analytic cluster-robust t-test over-rejects,
    and an MDE computed from it is too optimistic; this one is not.
    """
    b = np.asarray(placebo_estimates, dtype=float)
    b = b[np.isfinite(b)]
    if len(b) < 2:
        raise ValueError("placebo_calibrated_mde: need at least two finite placebo estimates")
    q = float(np.quantile(np.abs(b), 1 - alpha))
    grid = np.asarray(
        list(effects) if effects is not None else np.linspace(0, np.abs(b).max() + 3 * q, 2001),
        dtype=float,
    )
    grid = np.unique(np.concatenate([-np.abs(grid), np.abs(grid)]))
    pw = (np.abs(b[None, :] + grid[:, None]) > q).mean(axis=1)
    curve = pd.DataFrame({"effect": grid, "power": pw})
    found = []
    for sign in (1, -1):
        hit = curve[(np.sign(curve["effect"]) == sign) & (curve["power"] >= power)]["effect"].abs()
        found.append(float(hit.min()) if len(hit) else math.nan)
    return (max(found) if all(np.isfinite(found)) else math.nan), curve
