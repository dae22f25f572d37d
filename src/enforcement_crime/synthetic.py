"""The built-in synthetic county-year panel (SYNTHETIC DATA, not a study result).

:func:`make_panel` draws a county-year panel, 2000-2016, for every county of
the 50 states and DC (real FIPS codes and names from the ``addfips``
package's 2010 county list) with seven UCR Part I offense counts. Its
structure is taken from public data wherever the project has it; only the
crimes, the reporting pattern and the programme dates are drawn. Every row
carries ``is_synthetic = True`` and a ``source`` naming the generator; the
effect parameters, seed and generator version are stored in the frame's
``attrs`` and in the parquet file's metadata. Same seed and parameters, same
bytes.

Populations (real)
    The Census Bureau's county estimates, from the package's fact table
    (:func:`enforcement_crime.facts.county_population`: Vintage 2009 values
    for 2000 and 2005, Vintage 2019 for 2010 and 2016, log-linear between;
    ``facts/README.md``). No jitter: Mecklenburg has 919,628 people in
    2010 as in the Census, Loving County TX 82.

Crime (drawn, calibrated)
    Expected count of offense o in county i, year t (before treatment)::

        log E[count] = log(pop_it / 1e5) + log(base_o) + trend_o (t - 2005)
                       + year_shock_ot + county_o(i) + slope_i (t - 2005)
                       + state_year_s(i)t + u_it + log(coverage_it / 100)

    ``county_o(i)`` = the violent or property component
    ``COUNTY_EFFECT_SLOPE * (log pop2005_i - mean) + N(0, sd)`` (correlated
    across the two groups) plus an offense-specific N(0, 0.2) deviation;
    the slope on log population (0.25: larger counties have higher rates),
    the s.d.s and the correlation reproduce the 2010 cross-section of the
    ICPSR county file (:data:`COUNTY_EFFECT_CALIBRATION`). ``slope_i`` ~
    N(0, 0.01) county trends independent of everything else; ``u`` AR(1)
    (0.5) county-year noise, innovation s.d. 0.07; ``state_year`` AR(1)
    (:data:`STATE_YEAR_RHO`) state-by-year shocks, s.d. :data:`STATE_YEAR_SD`;
    Poisson draws. The offense bases are rescaled so the national 2005 rates
    are ~400 (violent) and ~3,000 (property) per 100,000, falling over the
    period by the same percentage everywhere (``TREND``).

Reporting (drawn, calibrated to ICPSR 2010)
    ``coverage`` is drawn per county-year from the real distribution of the
    ICPSR coverage indicator in 2010 within six population classes
    (:data:`COVERAGE_CALIBRATION`, bands :data:`COVERAGE_BANDS`): about 27%
    of county-years below 100, 2% unreported (coverage 0: counts missing,
    never zero), gaps larger and more frequent in small counties (below 90:
    17% of county-years under 10,000 people, 1.5% above 250,000). A latent
    Gaussian propensity with state, county and county-year parts
    (:data:`COVERAGE_LATENT_SHARES`; the state share approximates the 2010
    between-state clustering, the county share is an assumption: one year of
    real data cannot show persistence) makes gaps recur in the same counties
    and states. Expected counts of a partly reported county-year are scaled by
    coverage/100 (agencies that do not report are missing from the county
    total, as in a county sum without imputation), and the ``coverage`` column
    says so, so coverage rules can act on it. ``months_reported`` is 12 when
    complete, 0 when unreported, else the months of the least-reporting
    agency (1 to 12 x coverage/100, at most 11).

Secure Communities (drawn, calibrated to the real rollout)
    Harris County TX first (2008-10-27), ~14 counties in October-December
    2008, then the real cumulative share activated by the end of each year
    (:data:`SC_CUMULATIVE_SHARE`), all by 2013-01-22. Counties are activated
    in order of a score with a state part (border states AZ, CA, NM, TX
    earlier) and county parts (larger and more Hispanic counties earlier;
    ``_sc_rollout``); the weights reproduce the real rollout's rank
    correlation between log population and activation month (-0.26) and its
    share of activation-month variance between states (0.69)
    (:data:`SC_CALIBRATION`).

287(g) (drawn, with the real NC nine)
    The nine North Carolina jurisdictions of Table A1 with their real dates
    and ends (``enforcement_crime.facts``) and their real populations;
    40 other adopters (2006-2009, about a third ending 2010-2012) drawn
    among larger counties, three times as likely in the South and West
    (``_g287_agreements``); no other NC county.

True effects
    Parameters (:class:`Effects`; zero by default, as the studies found;
    :data:`PRESETS` has heterogeneous, dynamic effects for teaching). They
    act proportionally on every offense's expected count during exposed
    months; the true effect of a county-year is stored as
    ``sc_true_effect`` and ``g287_true_effect`` (log of the multiplier on the
    year's expected counts; 0 when unexposed).

Which scale is null
    Untreated log rates follow parallel paths in expectation whatever the
    adoption date (county slopes and noise are independent of timing), so
    the null holds in logs. It cannot hold in levels with realistic
    heterogeneity: adopters are larger counties, larger counties have higher
    rates (slope 0.25 in the real 2010 data), and rates fell by similar
    percentages everywhere, so adopters' rates fall by more per 100,000.
    The real data show the same: in the FBI's Table 8, 2006 to 2014, city
    violent crime rates fell by 0.20-0.31 log points in every size class
    from 10,000 to over a million people while the fall per 100,000 grew
    from 29 to 166-192 with size (``benchmarks/synthetic_null_check.py
    --real``; property: 0.22-0.31 log points, 480 to 1,280 per 100,000).
    ``benchmarks/synthetic_null_check.py`` measures the mean TWFE and
    imputation estimates over many null seeds (each design opened as its
    notebook opens it): in log(1 + rate) they are within Monte Carlo error of
    0, per 100,000 they are negative. The null is null in logs, not in levels; the
    study designs should take logs as the headline scale for that reason
    (levels remain a robustness row that leans negative by
    construction, as real levels DiDs do when adopters are larger).

Random streams: population is not drawn; timing, county effects and noise
come from one stream, the Poisson draws and the reporting pattern from two
others (spawned from the same seed), so panels that differ only in their true
effects share every structural draw.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import special

from enforcement_crime import config
from enforcement_crime.facts import county_population, nc_287g_agreements
from enforcement_crime.schema import (
    OFFENSE_RATE_COLUMNS,
    OFFENSES,
    add_offense_rates,
    add_totals_and_rates,
    validate_panel,
)
from enforcement_crime.simulate import Effect
from enforcement_crime.treatment import exposure_share

__all__ = [
    "GENERATOR_VERSION",
    "DEFAULT_SEED",
    "Effects",
    "PRESETS",
    "SYNTHETIC_LABEL",
    "county_list",
    "make_panel",
    "panel_metadata",
    "write_panel",
    "write_default_panel",
    "load_default_panel",
]

GENERATOR_VERSION = "2"
DEFAULT_SEED = 20140101
SYNTHETIC_LABEL = "SYNTHETIC DATA"
METADATA_KEY = b"enforcement_crime"
YEARS = range(2000, 2017)

# national rates per 100,000 around 2005 (violent ~400, property ~3,000)
BASE_RATE_2005 = {
    "murder": 5.5,
    "rape": 31.0,
    "robbery": 125.0,
    "aggravated_assault": 238.5,
    "burglary": 700.0,
    "larceny": 1950.0,
    "motor_vehicle_theft": 350.0,
}
# log-rate change per year (crime fell over 2000-2016)
TREND = {
    "murder": -0.012,
    "rape": -0.010,
    "robbery": -0.025,
    "aggravated_assault": -0.022,
    "burglary": -0.025,
    "larceny": -0.022,
    "motor_vehicle_theft": -0.060,
}
BORDER_STATES = ("04", "06", "35", "48")  # AZ, CA, NM, TX
HARRIS_COUNTY = "48201"  # first Secure Communities activation, 2008-10-27
#: Census regions South and West (state FIPS)
SOUTH_WEST_STATES = (
    "01 05 10 11 12 13 21 22 24 28 37 40 45 47 48 51 54 "  # South
    "02 04 06 08 15 16 30 32 35 41 49 53 56"  # West
).split()
#: relative weight of South/West counties in the draw of 287(g)-like adopters
G287_REGION_WEIGHT = 3.0

#: cumulative share of counties activated by the end of 2009, 2010, 2011 and 2012 in the real
#: rollout (3,102 counties with a date and a population in the hhadah extract of ICE's
#: activation list, ``../shared/data/sc_activation_hhadah``: 0.5% in 2008, 2.8% in 2009, 25.1%
#: in 2010, 35.4% in 2011, 32.8% in 2012, 3.4% in January 2013)
SC_CUMULATIVE_SHARE = (0.033, 0.284, 0.638, 0.966)
#: SC timing score weights (see ``_sc_rollout``)
SC_STATE_WEIGHT = 1.5
SC_BORDER_SHIFT = 1.8
SC_SIZE_WEIGHT = 0.65
SC_HISPANIC_WEIGHT = 0.25
#: what the timing weights reproduce: statistics of the real rollout (same 3,102 counties;
#: activation month counted from January 2008; population: this package's 2005 table)
SC_CALIBRATION = {
    "spearman_log_pop2005_vs_activation_month": -0.264,
    "share_of_activation_month_variance_between_states": 0.687,
    "border_states_mean_month": 29.7,
    "other_states_mean_month": 44.6,
}

#: population classes of the reporting model: upper edges (people)
COVERAGE_CLASS_EDGES = (10_000, 25_000, 50_000, 100_000, 250_000)
#: coverage bands: 0 (nothing reported), (0, 50], (50, 75], (75, 90], (90, 99], (99, 100), 100
#: (calibration: a COVIND above 99.995, i.e. 100 to two decimals, counts as 100)
COVERAGE_BANDS = (
    (0.0, 0.0),
    (0.01, 50.0),
    (50.0, 75.0),
    (75.0, 90.0),
    (90.0, 99.0),
    (99.0, 99.99),
    (100.0, 100.0),
)
#: number of counties per coverage band (columns as COVERAGE_BANDS) in the ICPSR 2010 county
#: file (study 33523, part 4, COVIND; 3,134 counties matched to a 2010 Census population, the
#: four statewide 999 rows and 39 codes without a Census 2010 county left out), by population
#: class; the synthetic reporting pattern draws from these shares
COVERAGE_CALIBRATION: tuple[tuple[str, tuple[int, ...]], ...] = (
    ("under 10,000", (47, 20, 22, 29, 67, 4, 499)),
    ("10,000-24,999", (12, 13, 20, 24, 91, 33, 652)),
    ("25,000-49,999", (1, 4, 11, 21, 66, 52, 468)),
    ("50,000-99,999", (0, 3, 0, 9, 61, 51, 275)),
    ("100,000-249,999", (0, 0, 2, 5, 43, 51, 217)),
    ("250,000 and over", (3, 0, 0, 1, 19, 54, 184)),
)
#: variance shares of the latent reporting propensity: state, county (persistent), county-year
COVERAGE_LATENT_SHARES = (0.15, 0.55, 0.30)
#: county effects on log crime rates: slope on log population (2005), s.d. of the violent and
#: property components around it, and their correlation (see ``COUNTY_EFFECT_CALIBRATION``)
COUNTY_EFFECT_SLOPE = 0.25
COUNTY_EFFECT_SD = (0.72, 0.57)
COUNTY_EFFECT_CORR = 0.70
#: what the county effects reproduce: the 2010 cross-section of counties in the ICPSR 2010 file
#: with coverage >= 99, 2010 population >= 5,000 (Vintage 2019) and violent and property counts
#: > 0 (2,306 counties): OLS of log rate on log population, slope and residual s.d., and the
#: correlation of the violent and property residuals (the synthetic panel's same statistics
#: include its Poisson and year noise, as the real ones do)
COUNTY_EFFECT_CALIBRATION = {
    "counties": 2306,
    "violent_slope": 0.253,
    "violent_residual_sd": 0.796,
    "property_slope": 0.257,
    "property_residual_sd": 0.595,
    "residual_correlation": 0.628,
}
#: state-by-year shocks to log crime: AR(1) coefficient and innovation s.d.
STATE_YEAR_RHO = 0.5
STATE_YEAR_SD = 0.03


@dataclass(frozen=True)
class Effects:
    """True effects of the two programmes (log points on expected crime counts).

    Parameters
    ----------
    sc : Effect
        Secure Communities. ``Effect.ref_cohort`` is in calendar years
        (adoption year), event time in years since the adoption year.
    g287 : Effect
        287(g) agreements; the effect stops when an agreement ends.
    """

    sc: Effect = field(default_factory=Effect)
    g287: Effect = field(default_factory=Effect)

    def to_dict(self) -> dict:
        return {"sc": self.sc.to_dict(), "g287": self.g287.to_dict()}


PRESETS: dict[str, Effects] = {
    # what the studies found: no effect
    "null": Effects(),
    # a constant 5% reduction from activation on: TWFE is fine here
    "homogeneous": Effects(
        sc=Effect(att=-0.05, ref_cohort=2010), g287=Effect(att=-0.05, ref_cohort=2007)
    ),
    # effects that grow with exposure and differ by cohort: TWFE is biased here
    "dynamic": Effects(
        sc=Effect(att=-0.02, dynamic_slope=-0.03, cohort_slope=0.015, ref_cohort=2010),
        g287=Effect(att=0.0, dynamic_slope=-0.02, cohort_slope=0.01, ref_cohort=2007),
    ),
}


def county_list() -> pd.DataFrame:
    """Counties of the 50 states and DC from ``addfips``' 2010 list.

    Returns
    -------
    pandas.DataFrame
        ``fips``, ``state_fips``, ``state`` (postal), ``county_name``.
    """
    data = resources.files("addfips") / "data"
    counties = pd.read_csv(io.StringIO((data / "counties_2010.csv").read_text()), dtype=str)
    states = pd.read_csv(io.StringIO((data / "states.csv").read_text()), dtype=str)
    counties = counties[counties["statefp"].astype(int) <= 56]
    # states.csv lists alternative names too (e.g. "D.C."): one postal code per state FIPS
    states = states.drop_duplicates("fips")[["fips", "postal"]].rename(columns={"fips": "statefp"})
    out = counties.merge(states, on="statefp", how="left", validate="many_to_one")
    if out["postal"].isna().any():
        raise ValueError(
            f"addfips: state FIPS without a state: {sorted(out.loc[out['postal'].isna(), 'statefp'].unique())}"
        )
    out = pd.DataFrame(
        {
            "fips": (out["statefp"] + out["countyfp"]).astype("string"),
            "state_fips": out["statefp"].astype("string"),
            "state": out["postal"].astype("string"),
            "county_name": out["name"].astype("string"),
        }
    )
    out = out.drop_duplicates("fips").sort_values("fips").reset_index(drop=True)
    return out


def _sc_rollout(counties: pd.DataFrame, rng: np.random.Generator) -> pd.Series:
    """Activation date per county: state batches, earlier in larger, border-state, more-Hispanic counties.

    A county's score is ``SC_STATE_WEIGHT * s_state + SC_SIZE_WEIGHT * z(log pop 2005)
    + SC_HISPANIC_WEIGHT * z(hispanic share) + e``, with the state component
    ``s_state = SC_BORDER_SHIFT * border + N(0, 1)`` and ``e ~ N(0, 1)``;
    counties are activated in order of score (Harris County first), following
    the real cumulative share activated by month (:data:`SC_CUMULATIVE_SHARE`).
    The weights were chosen so that two statistics of the real rollout are
    matched on average (see :data:`SC_CALIBRATION`), not to favour any estimator.
    """
    n = len(counties)
    z = lambda x: (x - x.mean()) / x.std()  # noqa: E731
    states, state_idx = np.unique(counties["state_fips"].to_numpy(), return_inverse=True)
    border_state = np.isin(states, BORDER_STATES)
    s_state = SC_BORDER_SHIFT * border_state + rng.normal(0, 1.0, len(states))
    score = (
        SC_STATE_WEIGHT * s_state[state_idx]
        + SC_SIZE_WEIGHT * z(np.log(counties["pop2005"].to_numpy()))
        + SC_HISPANIC_WEIGHT * z(counties["hispanic_share"].to_numpy())
        + rng.normal(0, 1.0, n)
    )
    order = np.argsort(-score, kind="stable")
    is_harris = counties["fips"].to_numpy() == HARRIS_COUNTY
    # Harris County first, then the rest by score
    order = np.concatenate([np.flatnonzero(is_harris), order[~is_harris[order]]])
    dates = np.empty(n, dtype="datetime64[D]")
    # ~14 counties in Oct-Dec 2008
    early = order[:14]
    dates[early[0]] = np.datetime64("2008-10-27")
    # the other 13 follow Harris within the last two months of 2008
    offsets = np.sort(rng.integers(1, 65, size=13))
    dates[early[1:]] = np.datetime64("2008-10-27") + offsets.astype("timedelta64[D]")
    rest = order[14:]
    # cumulative share of all counties activated by the end of each year (real rollout)
    months = pd.date_range("2009-01-01", "2012-12-01", freq="MS")
    knots_t = np.array([0, 12, 24, 36, 48])  # month index at Jan 2009 ... Jan 2013
    knots_share = np.array([14 / n, *SC_CUMULATIVE_SHARE])
    cum = np.interp(np.arange(1, 49), knots_t, knots_share)  # by the end of each month
    cum_counts = np.round(cum * n).astype(int) - 14
    cum_counts = np.clip(cum_counts, 0, len(rest))
    start = 0
    for k, month in enumerate(months):
        stop = cum_counts[k]
        dates[rest[start:stop]] = np.datetime64(month.date(), "D")
        start = max(start, stop)
    dates[rest[start:]] = np.datetime64("2013-01-22")  # all remaining on the last day
    return pd.Series(pd.to_datetime(dates), index=counties.index, name="sc_activation_date")


def _g287_agreements(
    counties: pd.DataFrame, rng: np.random.Generator, n_other: int = 40
) -> pd.DataFrame:
    """287(g)-like agreements: the nine NC jurisdictions (real dates) plus ``n_other`` drawn counties.

    The others are drawn without replacement among counties outside North
    Carolina (whose adopters are exactly the nine of Table A1) of more than
    50,000 people (2005), with probability proportional to
    ``(hispanic_share + 0.05) * sqrt(pop2005 / 1e5) * w_region``, ``w_region``
    = :data:`G287_REGION_WEIGHT` in the South and West census regions and 1
    elsewhere: adopters are larger, more Hispanic and mostly Southern or
    Western counties, as in the pre-2010 agreements.
    """
    nc = nc_287g_agreements()
    nc_rows = pd.DataFrame(
        {
            "fips": nc["fips"],
            "g287_start": nc["signed"],
            "g287_end": nc["end_date"],
            "g287_model": nc["model"],
        }
    )
    # North Carolina's adopters are exactly Table A1's nine: no other NC county is drawn
    pool = counties[(counties["state_fips"] != "37") & (counties["pop2005"] > 50_000)]
    south_west = pool["state_fips"].isin(SOUTH_WEST_STATES).to_numpy()
    p = (
        (pool["hispanic_share"].to_numpy() + 0.05)
        * np.sqrt(pool["pop2005"].to_numpy() / 1e5)
        * np.where(south_west, G287_REGION_WEIGHT, 1.0)
    )
    pick = rng.choice(pool.index.to_numpy(), size=n_other, replace=False, p=p / p.sum())
    start_days = rng.integers(0, 4 * 365, size=n_other)
    starts = pd.Timestamp("2006-01-01") + pd.to_timedelta(start_days, unit="D")
    ends_early = rng.random(n_other) < 0.35
    end_days = rng.integers(0, 3 * 365, size=n_other)
    ends = pd.Series(pd.Timestamp("2010-01-01") + pd.to_timedelta(end_days, unit="D"))
    ends[~ends_early] = pd.NaT
    model = rng.choice(np.array(["jail", "task force", "both"]), size=n_other, p=[0.7, 0.2, 0.1])
    other = pd.DataFrame(
        {
            "fips": pool.loc[pick, "fips"].to_numpy(),
            "g287_start": starts.normalize(),
            "g287_end": ends.to_numpy(),
            "g287_model": model,
        }
    )
    out = pd.concat([nc_rows, other], ignore_index=True)
    out["g287_model"] = out["g287_model"].astype("string")
    return out


def coverage_class(population) -> np.ndarray:
    """Index of the population class of :data:`COVERAGE_CALIBRATION` (0 = under 10,000)."""
    return np.searchsorted(np.asarray(COVERAGE_CLASS_EDGES), np.asarray(population), side="right")


def _reporting(
    pop: np.ndarray,
    county_idx: np.ndarray,
    state_idx: np.ndarray,
    n_counties: int,
    n_states: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Coverage (0-100) and months reported per county-year (see the module docstring)."""
    w_state, w_county, w_year = COVERAGE_LATENT_SHARES
    latent = (
        np.sqrt(w_state) * rng.normal(0, 1, n_states)[state_idx]
        + np.sqrt(w_county) * rng.normal(0, 1, n_counties)[county_idx]
        + np.sqrt(w_year) * rng.normal(0, 1, len(pop))
    )
    u = special.ndtr(latent)  # uniform(0, 1) marginally; low u = poor reporting
    table = np.asarray([row for _, row in COVERAGE_CALIBRATION], dtype="float64")
    cum = np.cumsum(table / table.sum(axis=1, keepdims=True), axis=1)
    cls = coverage_class(pop)
    band = (u[:, None] > cum[cls]).sum(axis=1)  # 0 .. len(bands) - 1
    band = np.minimum(band, len(COVERAGE_BANDS) - 1)
    lo = np.asarray([b[0] for b in COVERAGE_BANDS])[band]
    hi = np.asarray([b[1] for b in COVERAGE_BANDS])[band]
    v = rng.random(len(pop))
    coverage = np.round(lo + (hi - lo) * v, 2)
    coverage = np.where(band == len(COVERAGE_BANDS) - 1, 100.0, coverage)
    coverage = np.where(band == 0, 0.0, coverage)
    # months of the least-reporting agency: 12 when complete, 0 when nothing is reported, else
    # 1 .. floor(12 * coverage / 100) (an agency with population share s reporting m months
    # loses s (12 - m) / 12 of the county, so m <= 12 * coverage / 100), at most 11
    top = np.clip(np.floor(12 * coverage / 100), 1, 11).astype("int64")
    months = 1 + np.floor(rng.random(len(pop)) * top).astype("int64")
    months = np.where(coverage >= 100, 12, np.where(coverage <= 0, 0, months))
    return coverage, months


def _true_effect(effect: Effect, start, end, years: np.ndarray) -> np.ndarray:
    """log of the year's expected-count multiplier: 1 - s + s * exp(tau(g, t - g))."""
    share = exposure_share(start, end, years)
    start_year = pd.DatetimeIndex(pd.to_datetime(pd.Series(start))).year.to_numpy(dtype="float64")
    cohort = np.where(np.isnan(start_year), 0.0, start_year)
    event_time = np.where(cohort > 0, years - cohort, np.nan)
    tau = effect(cohort, event_time)
    return np.log1p(share * np.expm1(tau))


def make_panel(
    seed: int = DEFAULT_SEED, preset: str | None = "null", effects: Effects | None = None
) -> pd.DataFrame:
    """Draw the synthetic county-year panel (labelled synthetic in data and metadata).

    Parameters
    ----------
    seed : int
        Seed for ``numpy.random.default_rng``; the same seed and effects give
        the same panel (and the same parquet bytes through :func:`write_panel`).
    preset : {"null", "homogeneous", "dynamic"}
        Named true effects (:data:`PRESETS`); ignored when ``effects`` is given.
    effects : Effects, optional
        Explicit true effects.

    Returns
    -------
    pandas.DataFrame
        A panel passing :func:`enforcement_crime.schema.validate_panel`, with
        extra columns ``hispanic_share`` (drawn, not a Census share: beta
        distributed, higher in the border states), ``border_state``,
        ``sc_true_effect`` and ``g287_true_effect``; ``attrs`` holds
        :func:`panel_metadata`. ``population`` is the real Census county
        population (:func:`enforcement_crime.facts.county_population`), the
        same for every seed.
    """
    if effects is None:
        if preset not in PRESETS:
            raise ValueError(f"preset must be one of {sorted(PRESETS)}, got {preset!r}")
        effects = PRESETS[preset]
    else:
        preset = "custom"
    # independent streams: the structure (population, timing, county effects, noise) does not
    # depend on the effect sizes, so two panels that differ only in effects differ only in the
    # Poisson draws (numpy's Poisson sampler uses a data-dependent number of uniforms)
    rng, rng_counts, rng_report = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3)
    )
    counties = county_list()
    n = len(counties)
    years = np.asarray(list(YEARS))
    T = len(years)

    # population: the real Census county populations (facts/county_population.csv)
    pops = county_population(years)
    wide = pops.pivot(index="fips", columns="year", values="population")
    missing = sorted(set(counties["fips"]) - set(wide.index))
    if missing:
        raise ValueError(f"county population table: no row for counties {missing[:10]}")
    wide = wide.loc[counties["fips"].to_numpy()]
    pop2005 = wide[2005].to_numpy(dtype="float64")
    counties["pop2005"] = pop2005
    border = counties["state_fips"].isin(BORDER_STATES).to_numpy()
    counties["border_state"] = border
    hisp = np.where(border, rng.beta(2.5, 3.5, n), rng.beta(1.1, 14.0, n))
    counties["hispanic_share"] = np.round(hisp, 4)
    states, state_of = np.unique(counties["state_fips"].to_numpy(), return_inverse=True)

    sc_date = _sc_rollout(counties, rng)
    g287 = _g287_agreements(counties, rng)

    # panel skeleton
    idx = np.repeat(np.arange(n), T)
    yr = np.tile(years, n)
    pop = wide.to_numpy(dtype="int64").ravel()  # county-major, years ascending: matches idx, yr

    # county effects: violent and property components, correlated, plus offense-specific deviations
    lp = np.log(pop2005)
    z1, z2 = rng.normal(0, 1, n), rng.normal(0, 1, n)
    sd_v, sd_p = COUNTY_EFFECT_SD
    r = COUNTY_EFFECT_CORR
    v_eff = COUNTY_EFFECT_SLOPE * (lp - lp.mean()) + sd_v * z1
    p_eff = COUNTY_EFFECT_SLOPE * (lp - lp.mean()) + sd_p * (r * z1 + np.sqrt(1 - r**2) * z2)
    slope = rng.normal(0, 0.01, n)
    u = np.empty((n, T))
    e = rng.normal(0, 0.07, (n, T))
    u[:, 0] = e[:, 0] / np.sqrt(1 - 0.5**2)
    for t in range(1, T):
        u[:, t] = 0.5 * u[:, t - 1] + e[:, t]
    # state-by-year shocks (AR(1)), shared by the counties of a state
    sy = np.empty((len(states), T))
    es = rng.normal(0, STATE_YEAR_SD, (len(states), T))
    sy[:, 0] = es[:, 0] / np.sqrt(1 - STATE_YEAR_RHO**2)
    for t in range(1, T):
        sy[:, t] = STATE_YEAR_RHO * sy[:, t - 1] + es[:, t]

    df = counties.loc[
        idx, ["fips", "state_fips", "state", "county_name", "hispanic_share", "border_state"]
    ].reset_index(drop=True)
    df["year"] = yr.astype("int64")
    df["population"] = pop
    df["sc_activation_date"] = sc_date.to_numpy()[idx]
    g = counties[["fips"]].merge(g287, on="fips", how="left")
    df["g287_start"] = g["g287_start"].to_numpy()[idx]
    df["g287_end"] = g["g287_end"].to_numpy()[idx]
    df["g287_model"] = pd.array(g["g287_model"].to_numpy()[idx], dtype="string")
    df["sc_true_effect"] = _true_effect(effects.sc, df["sc_activation_date"].to_numpy(), None, yr)
    df["g287_true_effect"] = _true_effect(
        effects.g287, df["g287_start"].to_numpy(), df["g287_end"].to_numpy(), yr
    )

    # reporting: coverage drawn from the real 2010 pattern by population class (persistent within
    # county and state); counts of partly covered county-years scaled by coverage / 100 (agencies
    # that do not report are missing from the county total); unreported: counts missing, never 0
    coverage, months = _reporting(pop, idx, state_of[idx], n, len(states), rng_report)
    unreported = coverage <= 0
    log_exposure = (
        np.log(pop / 1e5) + u.ravel() + slope[idx] * (yr - 2005) + sy[state_of[idx], yr - years[0]]
    )
    devs = {off: rng.normal(0, 0.2, n) for off in OFFENSES}
    shocks = {off: rng.normal(0, 0.015, T) for off in OFFENSES}
    for off in OFFENSES:
        group = v_eff if off in ("murder", "rape", "robbery", "aggravated_assault") else p_eff
        year_shock = shocks[off]
        county = group + devs[off]
        log_rate = TREND[off] * (yr - 2005) + np.tile(year_shock, n) + county[idx]
        # rescale so that the national 2005 rate equals the base rate
        in05 = yr == 2005
        national = np.exp(log_rate[in05] + log_exposure[in05]).sum() / pop[in05].sum() * 1e5
        log_mu = np.log(BASE_RATE_2005[off] / national) + log_rate + log_exposure
        log_mu = log_mu + df["sc_true_effect"].to_numpy() + df["g287_true_effect"].to_numpy()
        log_mu = log_mu + np.log(np.maximum(coverage, 0.01) / 100.0)
        counts = pd.array(rng_counts.poisson(np.exp(log_mu)), dtype="Int64")
        counts[unreported] = pd.NA
        df[off] = counts

    df["coverage"] = coverage
    df["months_reported"] = pd.array(months, dtype="Int64")
    df["source"] = pd.array(
        np.full(
            len(df),
            f"synthetic: enforcement_crime.synthetic v{GENERATOR_VERSION}, seed {seed}, preset {preset}",
        ),
        dtype="string",
    )
    df["is_synthetic"] = True
    df = add_totals_and_rates(df)
    meta = panel_metadata(seed, preset, effects)
    df.attrs = {"enforcement_crime": meta}
    order = [
        "fips",
        "year",
        "state_fips",
        "state",
        "county_name",
        "population",
        *OFFENSES,
        "violent",
        "property",
        "index",
        "violent_rate",
        "property_rate",
        "index_rate",
        *OFFENSE_RATE_COLUMNS,
        "coverage",
        "months_reported",
        "sc_activation_date",
        "g287_start",
        "g287_end",
        "g287_model",
        "hispanic_share",
        "border_state",
        "sc_true_effect",
        "g287_true_effect",
        "source",
        "is_synthetic",
    ]
    df = df[order]
    for col in ("sc_activation_date", "g287_start", "g287_end"):
        df[col] = df[col].astype("datetime64[ns]")
    return validate_panel(df, name="synthetic panel")


def panel_metadata(seed: int, preset: str | None, effects: Effects) -> dict:
    """Metadata stored with the synthetic panel (in ``attrs`` and the parquet file)."""
    return {
        "synthetic": True,
        "label": SYNTHETIC_LABEL,
        "generator": "enforcement_crime.synthetic.make_panel",
        "generator_version": GENERATOR_VERSION,
        "seed": int(seed),
        "preset": preset,
        "true_effects": effects.to_dict(),
        "true_effect_columns": {
            "sc_true_effect": "log multiplier of expected counts from Secure Communities in the county-year",
            "g287_true_effect": "log multiplier of expected counts from 287(g) in the county-year",
        },
        "note": "Synthetic data with known true effects; numbers computed on it are not results of any study.",
    }


def write_panel(df: pd.DataFrame, path: str | Path) -> Path:
    """Write a panel to parquet with its ``attrs`` metadata under the key ``enforcement_crime``.

    Deterministic: the same frame gives the same bytes. Atomic
    (:func:`enforcement_crime.fileio.atomic_write`): an old file at ``path``
    is replaced whole or left as it was.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    from enforcement_crime.fileio import atomic_write

    path = Path(path)
    frame = df.copy()
    frame.attrs = {}
    table = pa.Table.from_pandas(frame, preserve_index=False)
    meta = dict(table.schema.metadata or {})
    meta[METADATA_KEY] = json.dumps(df.attrs.get("enforcement_crime", {}), sort_keys=True).encode()
    table = table.replace_schema_metadata(meta)
    return atomic_write(path, lambda tmp: pq.write_table(table, tmp, compression="zstd"))


def read_panel(path: str | Path) -> pd.DataFrame:
    """Read a panel written by :func:`write_panel`, restoring its metadata into ``attrs``."""
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    df = table.to_pandas()
    raw = (table.schema.metadata or {}).get(METADATA_KEY)
    df.attrs = {"enforcement_crime": json.loads(raw)} if raw else {}
    return df


def write_default_panel(
    path: str | Path | None = None, seed: int = DEFAULT_SEED, preset: str = "null"
) -> Path:
    """Build the default synthetic panel into ``data/processed/synthetic.parquet`` (+ JSON manifest).

    ``path`` (default ``data/processed/synthetic.parquet``) must end in
    ``.parquet`` and must not be a folder; ``preset`` must be one of
    :data:`PRESETS`. Both are checked, and the panel drawn, before anything
    is written; the parquet and its JSON are then replaced together as one
    transaction (:func:`enforcement_crime.panels.manifest.write_files`), so an
    interrupt or a full disk leaves any old pair as it was.

    Raises
    ------
    ValueError
        A bad ``path`` or ``preset`` (nothing written).
    """
    from enforcement_crime.panels.manifest import write_files

    path = Path(path) if path else config.processed_dir() / "synthetic.parquet"
    if path.suffix != ".parquet":
        raise ValueError(
            f"synthetic panel: {path} must end in .parquet (a JSON manifest goes beside it)"
        )
    if path.is_dir():
        raise ValueError(f"synthetic panel: {path} is a folder; give a .parquet file path")
    if path.parent.exists() and not path.parent.is_dir():
        raise ValueError(f"synthetic panel: {path.parent} is a file, not a folder")
    if preset not in PRESETS:
        raise ValueError(
            f"synthetic panel: unknown preset {preset!r}; choose from {sorted(PRESETS)}"
        )
    df = make_panel(seed=seed, preset=preset)
    manifest = {
        "panel": path.stem,
        "inputs": [
            {
                "name": "addfips counties_2010.csv (county FIPS codes and names)",
                "package": "addfips",
            },
            {
                "name": "county_population.csv (Census PEP county population estimates, "
                "2000/2005 Vintage 2009, 2010/2016 Vintage 2019; see facts/README.md)",
                "package": "enforcement_crime.facts",
                "sha256": hashlib.sha256(
                    (
                        resources.files("enforcement_crime.facts") / "county_population.csv"
                    ).read_bytes()
                ).hexdigest(),
            },
        ],
        "rules": df.attrs["enforcement_crime"],
        "rows": {"in": int(len(df)), "dropped": {}, "out": int(len(df))},
    }
    text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    write_files(
        {
            path: lambda tmp: write_panel(df, tmp),
            path.with_suffix(".json"): lambda tmp: tmp.write_text(text),
        }
    )
    return path


def load_default_panel(seed: int = DEFAULT_SEED, preset: str = "null") -> pd.DataFrame:
    """The default synthetic panel: read from ``data/processed`` when built there with these settings, else drawn."""
    path = config.processed_dir() / "synthetic.parquet"
    if seed == DEFAULT_SEED and preset == "null" and path.is_file():
        df = read_panel(path)
        meta = df.attrs.get("enforcement_crime", {})
        if meta.get("generator_version") == GENERATOR_VERSION and meta.get("seed") == seed:
            if any(c not in df for c in OFFENSE_RATE_COLUMNS):  # built before offense rates
                attrs = df.attrs
                df = add_offense_rates(df)
                df.attrs = attrs
            return validate_panel(df, name=str(path))
    return make_panel(seed=seed, preset=preset)
