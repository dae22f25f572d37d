"""Small simulated panels with known treatment effects, for estimator tests and teaching.

:class:`Effect` describes a true effect that may vary with event time (dynamic)
and adoption cohort (heterogeneous). It is used both here and by the built-in
synthetic county panel (:mod:`enforcement_crime.synthetic`).

:func:`simulate_staggered` draws a generic staggered-adoption panel in levels
with unit and time effects, optional state-level shocks (so clustering
matters), and a true effect per treated cell, stored in column
``true_effect``. The true ATT(g, t) is the mean of ``true_effect`` within a
cohort-period cell, so estimands can be computed exactly from the data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

__all__ = ["Effect", "simulate_staggered", "true_att"]


@dataclass(frozen=True)
class Effect:
    """A true treatment effect tau(g, e) for cohort g at event time e >= 0.

    ``tau(g, e) = att + dynamic_slope * e + cohort_slope * (g - ref_cohort)``
    and 0 before treatment (no anticipation).

    Parameters
    ----------
    att : float
        Effect at onset (e = 0) for the reference cohort.
    dynamic_slope : float
        Change in the effect per period of exposure (dynamic effects).
    cohort_slope : float
        Change in the effect per period of later adoption (heterogeneity
        across cohorts).
    ref_cohort : float
        The cohort at which ``cohort_slope`` contributes zero.
    """

    att: float = 0.0
    dynamic_slope: float = 0.0
    cohort_slope: float = 0.0
    ref_cohort: float = 0.0

    def __call__(self, cohort, event_time):
        """Vectorised tau(g, e); zero where ``event_time < 0`` or the unit is never treated."""
        g = np.asarray(cohort, dtype="float64")
        e = np.asarray(event_time, dtype="float64")
        tau = self.att + self.dynamic_slope * e + self.cohort_slope * (g - self.ref_cohort)
        treated = np.isfinite(e) & (e >= 0) & np.isfinite(g) & (g > 0)
        return np.where(treated, tau, 0.0)

    def to_dict(self) -> dict[str, float]:
        """Plain dict (stored in data metadata)."""
        return asdict(self)


def simulate_staggered(
    n_units: int = 400,
    periods: range | tuple[int, int] = (2000, 2016),
    cohorts: Mapping[int, float] | None = None,
    effect: Effect | None = None,
    *,
    n_states: int = 40,
    unit_sd: float = 1.0,
    time_sd: float = 0.3,
    state_shock_sd: float = 0.0,
    noise_sd: float = 0.5,
    rho: float = 0.0,
    seed: int = 0,
) -> pd.DataFrame:
    """Draw a balanced staggered-adoption panel with a known effect.

    Model (levels): ``y_it = a_i + b_t + s_{state(i),t} + tau(g_i, t - g_i) + u_it``
    with ``a_i ~ N(0, unit_sd^2)``, ``b_t ~ N(0, time_sd^2)``, state-year shocks
    ``s ~ N(0, state_shock_sd^2)``, and AR(1) errors ``u_it = rho u_i,t-1 + e_it``.

    Parameters
    ----------
    n_units : int
        Number of units.
    periods : range or (first, last)
        Calendar periods (inclusive bounds when a tuple).
    cohorts : mapping of cohort -> share
        Adoption period -> share of units; key 0 means never treated. Shares
        are normalised. Default: a third never treated, the rest in three
        cohorts spread over the panel.
    effect : Effect
        True effect; default zero.
    n_states, unit_sd, time_sd, state_shock_sd, noise_sd, rho : float
        Variance components (see the model).
    seed : int
        Seed of ``numpy.random.default_rng``; same seed, same panel.

    Returns
    -------
    pandas.DataFrame
        Columns ``unit``, ``state``, ``time``, ``cohort`` (0 = never treated),
        ``event_time`` (NA for never treated), ``treated`` (0/1),
        ``true_effect``, ``y0`` (untreated outcome) and ``y``.
    """
    if isinstance(periods, tuple):
        periods = range(periods[0], periods[1] + 1)
    times = np.asarray(list(periods))
    if cohorts is None:
        span = times[-1] - times[0]
        c = [int(times[0] + round(span * q)) for q in (0.3, 0.5, 0.7)]
        cohorts = {0: 1 / 3, c[0]: 2 / 9, c[1]: 2 / 9, c[2]: 2 / 9}
    effect = effect or Effect()
    rng = np.random.default_rng(seed)
    keys = np.array(list(cohorts.keys()), dtype="int64")
    shares = np.array(list(cohorts.values()), dtype="float64")
    counts = np.floor(shares / shares.sum() * n_units).astype(int)
    counts[0] += n_units - counts.sum()
    cohort_of_unit = rng.permutation(np.repeat(keys, counts))
    state_of_unit = rng.integers(0, n_states, size=n_units)

    T = len(times)
    a = rng.normal(0, unit_sd, n_units)
    b = rng.normal(0, time_sd, T)
    s = (
        rng.normal(0, state_shock_sd, (n_states, T))
        if state_shock_sd > 0
        else np.zeros((n_states, T))
    )
    e = rng.normal(0, noise_sd, (n_units, T))
    u = np.empty_like(e)
    u[:, 0] = e[:, 0] / np.sqrt(max(1 - rho**2, 1e-12))
    for t in range(1, T):
        u[:, t] = rho * u[:, t - 1] + e[:, t]

    unit = np.repeat(np.arange(n_units), T)
    time = np.tile(times, n_units)
    cohort = np.repeat(cohort_of_unit, T)
    event_time = np.where(cohort > 0, time - cohort, np.nan)
    tau = effect(cohort, event_time)
    y0 = (
        a[unit]
        + np.tile(b, n_units)
        + s[state_of_unit[unit], np.tile(np.arange(T), n_units)]
        + u.ravel()
    )
    df = pd.DataFrame(
        {
            "unit": unit,
            "state": state_of_unit[unit],
            "time": time,
            "cohort": cohort,
            "event_time": pd.array(
                np.where(np.isnan(event_time), pd.NA, event_time), dtype="Int64"
            ),
            "treated": ((cohort > 0) & (time >= cohort)).astype("int64"),
            "true_effect": tau,
            "y0": y0,
            "y": y0 + tau,
        }
    )
    return df


def true_att(
    df: pd.DataFrame, by: str | None = None, effect_col: str = "true_effect"
) -> pd.Series | float:
    """The true ATT over treated cells, overall or by ``"event_time"``, ``"cohort"`` or ``"time"``.

    Each treated unit-period counts once (the simple, observation-weighted
    ATT of the treated cells); estimators that aggregate differently state
    their own estimand.
    """
    treated = df[df["treated"] == 1]
    if by is None:
        return float(treated[effect_col].mean())
    return treated.groupby(by)[effect_col].mean()
