"""The choices of the multiverse and their grid: options, windows, research-scale choices, applicability."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from enforcement_crime.treatment import EXPOSURE_RULES

COVERAGE_RULES: dict[str, str] = {
    "all_reported": "every county-year with a reported outcome",
    "coverage_ge_90": "county-years whose coverage indicator is at least 90",
    "full_coverage": "county-years with coverage 100 (every agency, 12 months)",
}

#: control sets: name -> covariate columns (``log_population`` = log of the ``population`` column,
#: computed here; time-varying for TWFE and imputation, base-period values for Callaway-Sant'Anna)
CONTROL_SETS: dict[str, tuple[str, ...]] = {
    "none": (),
    "log_population": ("log_population",),
}

#: estimation choices with a fixed list of options (the first option of each is its reference)
CHOICES: dict[str, tuple[str, ...]] = {
    "treatment_rule": EXPOSURE_RULES,
    "coverage_rule": tuple(COVERAGE_RULES),
    "weights": ("population", "none"),
    "control_group": ("not_yet_treated", "never_treated", "last_cohort"),
    "trends": ("none", "unit_linear"),
    "controls": tuple(CONTROL_SETS),
    "estimator": ("twfe", "callaway_santanna", "imputation"),
    "outcome_transform": ("level", "log"),
}

#: choices that change the sample (prepared once each, through the study design)
SAMPLE_CHOICES: tuple[str, ...] = ("panel", "window", "treatment_rule")

#: every choice column, in grid order
ALL_CHOICES: tuple[str, ...] = ("panel", "window", *CHOICES)

#: the real panels of the research-scale grid: approximate county totals,
#: constant-composition counties, sheriff (county agency) panel
RESEARCH_PANELS: tuple[str, ...] = ("cius_county", "cius_county_constant", "cius_sheriff")

#: the research-scale windows: the design's 2004-2014, a later start, a longer end
RESEARCH_WINDOWS: tuple[str, ...] = ("2004-2014", "2006-2014", "2004-2016")

#: the columns of a result row besides the choices (``seconds`` is fit time, never exported)
RESULT_COLUMNS: tuple[str, ...] = (
    "estimate",
    "std_error",
    "conf_low",
    "conf_high",
    "term",
    "n_obs",
    "n_clusters",
    "first_year",
    "last_year",
    "rows_dropped",
    "status",
    "note",
    "seconds",
)

#: how each estimation choice's option changes a design's base specification: keywords of
#: :meth:`~enforcement_crime.designs.base.Spec.choose` (the base specs are the design's
#: :meth:`~enforcement_crime.designs.base.Design.multiverse_specs`, one per estimator option)
SPEC_CHOICES: dict[str, dict[str, dict[str, object]]] = {
    "weights": {"population": {"weighted": True}, "none": {"weighted": False}},
    "trends": {"none": {}, "unit_linear": {"unit_trends": True}},
    "controls": {
        name: ({"controls": list(cols)} if cols else {}) for name, cols in CONTROL_SETS.items()
    },
    "outcome_transform": {"level": {"transform": "level"}, "log": {"transform": "log"}},
}

#: the option a row without that choice takes
SPEC_DEFAULTS: dict[str, str] = {
    "weights": "none",
    "trends": "none",
    "controls": "none",
    "outcome_transform": "level",
}

#: the control group option of the specs that declare one (the last cohort is a sample cut whose
#: controls are then never treated inside the cut sample)
CONTROL_GROUP_OPTION: dict[str, str] = {
    "not_yet_treated": "not_yet_treated",
    "never_treated": "never_treated",
    "last_cohort": "never_treated",
}

# estimators that accept unit-specific linear trends
_TRENDS_OK = {"twfe"}

_WINDOW = re.compile(r"^\s*(\d{4})\s*-\s*(\d{4})\s*$")


def window_label(years: Sequence[int]) -> str:
    """``(2004, 2014)`` -> ``"2004-2014"`` (the form windows take in grids and results)."""
    a, b = (int(y) for y in years)
    return f"{a}-{b}"


def parse_window(window: str | Sequence[int]) -> tuple[int, int]:
    """``"2004-2014"`` (or ``(2004, 2014)``) -> ``(2004, 2014)``; anything else raises ``ValueError``."""
    if isinstance(window, str):
        m = _WINDOW.match(window)
        if not m:
            raise ValueError(f"window {window!r}: expected 'FIRST-LAST' years, e.g. '2004-2014'")
        a, b = int(m.group(1)), int(m.group(2))
    else:
        vals = tuple(window)
        if len(vals) != 2:
            raise ValueError(f"window {window!r}: expected (first, last) years")
        a, b = int(vals[0]), int(vals[1])
    if a > b:
        raise ValueError(f"window {window!r}: first year after last year")
    return a, b


def research_choices(panels: Sequence[str] = RESEARCH_PANELS) -> dict[str, tuple[str, ...]]:
    """The research-scale grid's choices on ``panels``.

    Panel x window (:data:`RESEARCH_WINDOWS`) x treatment coding (2) x
    coverage rule (3) x weights (2) x controls (none, log population) x
    estimator and trends (TWFE with and without county trends,
    Callaway-Sant'Anna, imputation) x scale (level, log): 96 specifications
    per (panel, window, coding) sample, 1,728 on the three research panels.
    The control group is the design's (not yet treated; every county is
    treated by 2013), so the grid has no last-cohort variant.
    """
    return {
        "panel": tuple(panels),
        "window": RESEARCH_WINDOWS,
        "treatment_rule": EXPOSURE_RULES,
        "coverage_rule": tuple(COVERAGE_RULES),
        "weights": ("population", "none"),
        "control_group": ("not_yet_treated",),
        "trends": ("none", "unit_linear"),
        "controls": ("none", "log_population"),
        "estimator": ("twfe", "callaway_santanna", "imputation"),
        "outcome_transform": ("level", "log"),
    }


def available_panels(names: Iterable[str]) -> tuple[list[str], list[str]]:
    """Split panel names into those that can be loaded and notes on the others.

    ``"synthetic"`` is always available; a real panel is available when its
    ``data/processed/<name>.parquet`` file exists.

    Returns
    -------
    available : list of str
    notes : list of str
        One sentence per skipped panel (what file is missing, how to build it).
    """
    from enforcement_crime import config

    have, notes = [], []
    for name in dict.fromkeys(names):
        if name == "synthetic" or (config.processed_dir() / f"{name}.parquet").is_file():
            have.append(name)
        else:
            notes.append(
                f"panel {name!r} skipped: {config.processed_dir() / (name + '.parquet')} is not built "
                f"(python -m enforcement_crime data build {name})"
            )
    return have, notes


def _check_panel_names(panels: Iterable[str]) -> None:
    """Refuse a panel name that is neither registered nor ``"synthetic"`` (closest one named)."""
    import difflib

    from enforcement_crime.panels import registry

    known = ["synthetic", *registry.panels()]
    for name in panels:
        if name not in known:
            near = difflib.get_close_matches(str(name), known, n=1)
            raise ValueError(
                f"unknown panel {name!r} in panels"
                + (f" (did you mean {near[0]!r}?)" if near else "")
                + f"; panels are {known}"
            )


def spec_grid(choices: Mapping[str, Iterable] | None = None, *, has_never_treated: bool = True,
              drop_not_applicable: bool = True) -> pd.DataFrame:  # fmt: skip
    """Every combination of the open choices, with a note on the ones that do not apply.

    Parameters
    ----------
    choices : mapping, optional
        Choice name -> options. Names of :data:`CHOICES` not given take every
        option; ``"panel"`` (panel names) and ``"window"`` (``"FIRST-LAST"``
        strings or ``(first, last)`` pairs) are columns of the grid only when
        given. Pass one-element tuples to fix a choice.
    has_never_treated : bool
        False for designs without never-treated units (Secure Communities):
        ``control_group="never_treated"`` is then not applicable.
    drop_not_applicable : bool
        Drop the combinations that do not apply (default) or keep them with
        ``applicable=False`` and the reason.

    Returns
    -------
    pandas.DataFrame
        One row per specification: ``spec_id`` and one column per choice (in
        :data:`ALL_CHOICES` order), plus ``applicable`` and ``why_not``.

    Notes
    -----
    Not applicable: unit trends with an estimator other than TWFE; the
    never-treated control group without never-treated units; TWFE or
    imputation with never-treated controls when not-yet-treated is also in
    the grid (both use every untreated observation: the same regression).
    Panel, window, treatment coding and controls add no rule of their own.
    """
    choices = dict(choices or {})
    merged: dict[str, tuple] = {}
    for k in ALL_CHOICES:
        if k in CHOICES:
            merged[k] = tuple(CHOICES[k])
        if k in choices:
            merged[k] = tuple(choices[k])
    for k, v in choices.items():
        if k not in ALL_CHOICES:
            raise KeyError(f"unknown choice {k!r}; choices are {list(ALL_CHOICES)}")
        if not v:
            raise ValueError(f"choice {k!r}: no option given")
        if k in CHOICES:
            bad = [o for o in v if o not in CHOICES[k]]
            if bad:
                raise ValueError(f"choice {k!r}: unknown option(s) {bad}; options are {CHOICES[k]}")
    if "window" in merged:
        merged["window"] = tuple(window_label(parse_window(w)) for w in merged["window"])
    if "panel" in merged:
        bad = [p for p in merged["panel"] if not isinstance(p, str) or not p]
        if bad:
            raise ValueError(f"choice 'panel': panel names must be non-empty strings, got {bad}")
    for k, v in merged.items():
        if len(set(v)) != len(v):
            raise ValueError(f"choice {k!r}: repeated option(s) in {v}")
    rows = [dict(zip(merged, combo, strict=True)) for combo in itertools.product(*merged.values())]
    grid = pd.DataFrame(rows, columns=list(merged))
    why = pd.Series("", index=grid.index, dtype="object")
    why[(grid["trends"] != "none") & ~grid["estimator"].isin(_TRENDS_OK)] = (
        "unit trends only with twfe"
    )
    if not has_never_treated:
        why[grid["control_group"] == "never_treated"] = "no never-treated units in this design"
    # TWFE and imputation use every untreated observation; their control group is a sample choice only
    # ("last_cohort" truncates the panel); never/not-yet are the same regression for them
    same = grid["estimator"].isin(["twfe", "imputation"]) & (
        grid["control_group"] == "never_treated"
    )
    if "not_yet_treated" in merged["control_group"]:
        why[same & (why == "")] = "same as not_yet_treated for this estimator"
    grid["applicable"] = why == ""
    grid["why_not"] = why
    if drop_not_applicable:
        grid = grid[grid["applicable"]]
    grid = grid.reset_index(drop=True)
    grid.insert(0, "spec_id", np.arange(len(grid)))
    return grid


@dataclass(frozen=True)
class GridPlan:
    """A study's multiverse grid: the choices, every combination, the specifications that run.

    ``full`` is :func:`spec_grid` with ``drop_not_applicable=False`` (every
    combination, ``applicable`` and ``why_not``); ``notes`` names the
    panels left out (not built).
    """

    scale: str
    choices: dict[str, tuple]
    full: pd.DataFrame
    notes: tuple[str, ...] = ()

    @property
    def grid(self) -> pd.DataFrame:
        """The applicable specifications, numbered 0, 1, ... (``spec_id``)."""
        g = self.full[self.full["applicable"]].reset_index(drop=True)
        return g.assign(spec_id=np.arange(len(g)))

    @property
    def shown(self) -> list[str]:
        """The choices the grid varies (more than one option), the outcome scale aside."""
        return [
            c
            for c in ALL_CHOICES
            if c != "outcome_transform" and c in self.full and self.full[c].nunique() > 1
        ]

    def not_run(self) -> pd.DataFrame:
        """The combinations that do not apply, counted by reason."""
        why = self.full.loc[~self.full["applicable"], "why_not"]
        return why.value_counts().rename("combinations").to_frame()


def plan_grid(
    sample, scale: str = "moderate", *, panels: Sequence[str] = (), **moderate: Sequence
) -> GridPlan:
    """The multiverse grid of a study sample (a design opened on a panel).

    ``scale="moderate"``: the sample's panel and design window, and the
    options given in ``moderate`` (choice name -> options, e.g.
    ``treatment_rule=[...]``, ``estimator=[...]``; a choice not given takes
    every option of :data:`CHOICES`). ``scale="research"``:
    :func:`research_choices` on ``panels`` (default: the research panels,
    or ``"synthetic"`` when the sample is synthetic), keeping those that are
    built (the others are named in ``notes``; none built raises
    ``FileNotFoundError``). Never-treated controls apply only when the
    sample has never-treated units. A name in ``panels`` that is not a
    registered panel (or ``"synthetic"``), or ``panels`` other than the
    sample's own under the moderate scale, raises ``ValueError``.
    """
    if scale not in ("moderate", "research"):
        raise ValueError(f"grid scale must be 'moderate' or 'research', got {scale!r}")
    _check_panel_names(panels)
    if scale == "moderate" and set(panels) - {sample.data_source}:
        raise ValueError(
            f"panels {list(panels)} apply to the research grid only: the moderate grid runs on "
            f"the sample's panel {sample.data_source!r}; set grid_scale = 'research' or "
            "panels = []"
        )
    design = sample.design
    notes: list[str] = []
    if scale == "research":
        wanted = list(panels) or (["synthetic"] if sample.synthetic else list(RESEARCH_PANELS))
        use, notes = available_panels(wanted)
        if not use:
            raise FileNotFoundError(f"none of the panels {wanted} is built; skipped: {notes}")
        choices = research_choices(use)
    else:
        choices = {"panel": (sample.data_source,), "window": (window_label(design.years),),
                   **{k: tuple(v) for k, v in moderate.items()}}  # fmt: skip
    full = spec_grid(
        choices, has_never_treated=design.has_never_treated(sample), drop_not_applicable=False
    )
    return GridPlan(scale, {k: tuple(v) for k, v in choices.items()}, full, tuple(notes))
