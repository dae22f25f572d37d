"""Loading study panels by name: the one validated load call notebooks make.

``load_panel("synthetic")`` returns the built-in synthetic panel (built into
``data/processed/synthetic.parquet`` by ``make data``, or drawn in memory).
Any other name reads ``data/processed/<name>.parquet`` written by a panel
builder (:mod:`enforcement_crime.panels`), validated against the schema; a
missing file raises an error that says how to build it.
"""

from __future__ import annotations

import pandas as pd

from enforcement_crime import config, synthetic
from enforcement_crime.schema import validate_panel

__all__ = ["load_panel", "is_synthetic", "data_banner"]


def load_panel(
    name: str = "synthetic", *, seed: int | None = None, preset: str = "null", validate: bool = True
) -> pd.DataFrame:
    """Load a study panel by name.

    Parameters
    ----------
    name : str
        ``"synthetic"`` (default) or the stem of a processed panel file, e.g.
        ``"cius_county"`` or ``"nc_county"``.
    seed, preset : optional
        For the synthetic panel: another seed or true-effect preset.
    validate : bool
        Validate county-year panels against the schema (city panels have
        their own checks in their builder).
    """
    if name == "synthetic":
        return synthetic.load_default_panel(
            seed=synthetic.DEFAULT_SEED if seed is None else seed, preset=preset
        )
    path = config.processed_dir() / f"{name}.parquet"
    if not path.is_file():
        available = sorted(p.stem for p in config.processed_dir().glob("*.parquet"))
        raise FileNotFoundError(
            f"panel {name!r} not found at {path}; build it with `make data` "
            f"(or `python -m enforcement_crime data build`); built panels: {available or 'none'}"
        )
    df = synthetic.read_panel(path)
    if validate and {"fips", "year"}.issubset(df.columns) and "ori" not in df.columns:
        validate_panel(df, name=str(path))
    return df


def is_synthetic(df: pd.DataFrame) -> bool:
    """True when the panel is synthetic (``is_synthetic`` column or metadata)."""
    if "is_synthetic" in df.columns and bool(df["is_synthetic"].any()):
        return True
    return bool(df.attrs.get("enforcement_crime", {}).get("synthetic", False))


def data_banner(df: pd.DataFrame):
    """An HTML banner for a notebook: red SYNTHETIC DATA for synthetic panels, the source otherwise."""
    from IPython.display import HTML

    sources = (
        ", ".join(sorted(map(str, df["source"].dropna().unique())))[:400]
        if "source" in df
        else "unknown"
    )
    if is_synthetic(df):
        return HTML(
            '<div style="border:3px solid #D55E00;padding:8px;color:#D55E00;font-weight:bold">'
            "SYNTHETIC DATA: the numbers below come from the built-in simulated panel with known true "
            f"effects. They are not results of any study.<br><small>{sources}</small></div>"
        )
    return HTML(f'<div style="border:2px solid #0072B2;padding:8px">Real data: {sources}</div>')
