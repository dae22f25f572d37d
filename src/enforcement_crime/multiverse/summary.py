"""Which choices move the estimate (summaries of a multiverse run)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from enforcement_crime.multiverse.grid import ALL_CHOICES

# --------------------------------------------------------------------------------------
# which choices move the estimate
# --------------------------------------------------------------------------------------


def by_choice(
    results: pd.DataFrame,
    *,
    transform: str = "level",
    choices: Sequence[str] | None = None,
    reference: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Which choices move the estimate: by option of each choice, and the change from switching one choice.

    Parameters
    ----------
    results : pandas.DataFrame
        From :func:`run_multiverse` / :func:`run_design` / :func:`run_samples`
        (status ``"ok"`` rows with an estimate are used).
    transform : str
        The outcome transform to summarise (estimates in levels and logs are
        on different scales and are never pooled; without an
        ``outcome_transform`` column every row is used).
    choices : list of str, optional
        Choice columns to summarise; default every column of
        :data:`ALL_CHOICES` in ``results`` except ``outcome_transform``.
    reference : mapping, optional
        Choice -> the option switches are measured from; default the first
        option in ``spec_id`` order (the first option given to
        :func:`spec_grid`).

    Returns
    -------
    pandas.DataFrame
        One row per (choice, option): ``specs``, ``mean_estimate``,
        ``min_estimate``, ``max_estimate``, ``range_estimate`` (max - min),
        ``share_excluding_zero`` (share of the option's specifications whose
        interval excludes 0); and the paired switch from ``reference_option``
        to this option with every other choice held fixed: ``pairs`` (the
        number of specifications estimated under both), ``mean_change``,
        ``median_change``, ``min_change``, ``max_change`` (option estimate
        minus reference estimate). The reference option's own row has
        ``pairs = 0`` and missing changes.
    """
    cols = ["choice", "option", "specs", "mean_estimate", "min_estimate", "max_estimate",
            "range_estimate", "share_excluding_zero", "reference_option", "pairs", "mean_change",
            "median_change", "min_change", "max_change"]  # fmt: skip
    lv = results[(results["status"] == "ok") & results["estimate"].notna()].copy()
    if "outcome_transform" in lv.columns:
        lv = lv[lv["outcome_transform"] == transform]
    if "spec_id" in lv.columns:
        lv = lv.sort_values("spec_id")
    present = [c for c in ALL_CHOICES if c in results.columns and c != "outcome_transform"]
    choices = present if choices is None else list(choices)
    unknown = [c for c in choices if c not in results.columns]
    if unknown:
        raise KeyError(f"by_choice: no column(s) {unknown} in the results")
    lv["excludes_zero"] = (lv["conf_low"] > 0) | (lv["conf_high"] < 0)
    frames = []
    for c in choices:
        if lv.empty:
            break
        g = lv.groupby(c, sort=False).agg(specs=("estimate", "size"), mean_estimate=("estimate", "mean"),
                                          min_estimate=("estimate", "min"), max_estimate=("estimate", "max"),
                                          share_excluding_zero=("excludes_zero", "mean"))  # fmt: skip
        g["range_estimate"] = g["max_estimate"] - g["min_estimate"]
        ref = (reference or {}).get(c, lv[c].iloc[0])
        others = [o for o in present if o != c]
        wide = lv.set_index(others + [c])["estimate"] if others else lv.set_index(c)["estimate"]
        if wide.index.duplicated().any():
            raise ValueError(
                f"by_choice: specifications are not unique given the choices {others + [c]}; "
                "pass the choice columns that tell them apart"
            )
        wide = wide.unstack(c)
        change = {}
        for opt in g.index:
            if opt == ref or ref not in wide.columns:
                change[opt] = pd.Series(dtype="float64")
            else:
                change[opt] = (wide[opt] - wide[ref]).dropna()
        g["reference_option"] = ref
        g["pairs"] = [len(change[o]) for o in g.index]
        for stat in ("mean", "median", "min", "max"):
            g[f"{stat}_change"] = [
                getattr(change[o], stat)() if len(change[o]) else np.nan for o in g.index
            ]
        frames.append(g.reset_index().rename(columns={c: "option"}).assign(choice=c))
    return pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)


def by_choice_all(results: pd.DataFrame, *, choices: Sequence[str] | None = None) -> pd.DataFrame:
    """:func:`by_choice` for each outcome scale of ``results``, stacked (column ``outcome_transform``)."""
    return pd.concat(
        [
            by_choice(results, transform=t, choices=choices).assign(outcome_transform=t)
            for t in dict.fromkeys(results["outcome_transform"])
        ],
        ignore_index=True,
    )


def choice_reading(table: pd.DataFrame, top: int = 4) -> list[str]:
    """One line per scale, computed from :func:`by_choice_all`: the ``top`` choices ordered by the
    largest mean paired change (in absolute value) any of their options makes."""
    lines = []
    for t, g in table.dropna(subset=["mean_change"]).groupby("outcome_transform", sort=False):
        best = g.assign(size=g["mean_change"].abs()).sort_values("size", ascending=False).head(top)
        unit = "log points" if t == "log" else "per 100,000"
        parts = [f"{r.choice} {r.reference_option} -> {r.option}: {r.mean_change:+.3g} {unit} on average "
                 f"(from {r.min_change:+.3g} to {r.max_change:+.3g}, {int(r.pairs)} pairs)"
                 for r in best.itertuples()]  # fmt: skip
        lines.append(f"{t}: " + "; ".join(parts))
    return lines


def samples_label(samples: pd.DataFrame) -> str:
    """The words the outputs of a multiverse run carry (from :func:`run_samples`' samples table).

    One panel: its own label; several: one short line naming them (each
    panel's label is in the samples table).
    """
    labels = list(dict.fromkeys(samples["label"]))
    if len(labels) == 1:
        return labels[0]
    kind = "REAL DATA" if not samples["synthetic"].any() else "SYNTHETIC AND REAL DATA"
    return (f"{kind}, {len(labels)} panels: " + ", ".join(dict.fromkeys(samples["panel"]))
            + " (each panel's mark: tab_methods_multiverse_samples)")  # fmt: skip
