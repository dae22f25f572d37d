"""Loading study panels by name: the one validated load call notebooks make.

``load_panel("synthetic")`` returns the built-in synthetic panel (built into
``data/processed/synthetic.parquet`` by ``make data``, or drawn in memory).
Any other name reads ``data/processed/<name>.parquet`` written by a panel
builder (:mod:`enforcement_crime.panels`), validated against the schema; a
missing file raises an error that says how to build it.

Every panel loaded carries its **mark** in ``df.attrs["enforcement_crime"]["mark"]``:
the words every figure and table made from it must show (``"SYNTHETIC DATA"``,
``"REAL DATA: FBI CIUS APPROXIMATION OF COUNTY TOTALS"``, ...). It comes from
the parquet metadata written by ``data build``, else the manifest beside the
file, else the panel's registry declaration. :func:`panel_mark` reads it.
"""

from __future__ import annotations

import json

import pandas as pd

from enforcement_crime import config, synthetic
from enforcement_crime.schema import validate_panel

__all__ = ["load_panel", "is_synthetic", "data_banner", "panel_mark", "SYNTHETIC_MARK"]

#: the mark of the synthetic panel
SYNTHETIC_MARK = "SYNTHETIC DATA"
#: the mark of a real panel whose file, manifest and registry entry record none
UNRECORDED_MARK = "REAL DATA (source mark not recorded)"


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
        Validate county-year panels: with the panel's own check when its
        registry entry declares one, else against the county-year schema
        (city panels have their own checks in their builder).
    """
    if name == "synthetic":
        df = synthetic.load_default_panel(
            seed=synthetic.DEFAULT_SEED if seed is None else seed, preset=preset
        )
        df.attrs.setdefault("enforcement_crime", {})["mark"] = SYNTHETIC_MARK
        return df
    path = config.processed_dir() / f"{name}.parquet"
    if not path.is_file():
        available = sorted(p.stem for p in config.processed_dir().glob("*.parquet"))
        raise FileNotFoundError(
            f"panel {name!r} not found at {path}; build it with `make data` "
            f"(or `python -m enforcement_crime data build`); built panels: {available or 'none'}"
        )
    df = synthetic.read_panel(path)
    if validate and {"fips", "year"}.issubset(df.columns) and "ori" not in df.columns:
        _check_of(name)(df, name=str(path))
    meta = df.attrs.setdefault("enforcement_crime", {})
    if not meta.get("mark"):
        meta["mark"] = _recorded_mark(name, path, df)
    return df


def _check_of(name: str):
    """The check of a registered panel that declares its own (e.g. the arrests panel, which holds
    arrests, not the offense counts of the county-year schema); else the county-year schema."""
    from enforcement_crime.panels import registry

    spec = registry.panels().get(name)
    return spec.validate if spec is not None and spec.validate is not None else validate_panel


def _recorded_mark(name: str, path, df: pd.DataFrame) -> str:
    """The mark of a panel file written without one: its manifest's, else its registry entry's."""
    if is_synthetic(df):
        return SYNTHETIC_MARK
    js = path.with_suffix(".json")
    if js.is_file():
        try:
            mark = json.loads(js.read_text()).get("mark")
        except ValueError:
            mark = None
        if mark:
            return str(mark)
    from enforcement_crime.panels import registry

    spec = registry.panels().get(name)
    return spec.mark if spec is not None else UNRECORDED_MARK


def panel_mark(df: pd.DataFrame) -> str:
    """The words every output made from ``df`` must carry (figure, table caption, banner).

    ``df.attrs["enforcement_crime"]["mark"]`` as set by :func:`load_panel`;
    for a frame that lost its attrs: ``"SYNTHETIC DATA"`` when it is synthetic
    (:func:`is_synthetic`), else ``"REAL DATA (source mark not recorded)"``.
    """
    mark = df.attrs.get("enforcement_crime", {}).get("mark")
    if mark:
        return str(mark)
    return SYNTHETIC_MARK if is_synthetic(df) else UNRECORDED_MARK


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
    return HTML(
        f'<div style="border:2px solid #0072B2;padding:8px"><b>{panel_mark(df)}</b><br>'
        f"<small>{sources}</small></div>"
    )
