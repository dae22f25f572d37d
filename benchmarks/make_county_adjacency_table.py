"""Regenerate the county adjacency fact table ``src/enforcement_crime/facts/county_adjacency.csv``.

Reads the Census Bureau's county adjacency file (2010 vintage,
``county_adjacency.txt``) through the project's loader
(:mod:`enforcement_crime.sources.census_adjacency`, which checks the layout,
the FIPS codes and that the relation is symmetric) and writes one row per
undirected pair of distinct adjacent counties, ``fips_a < fips_b``, sorted
(self-pairs, which the file lists, are left out). Only the FIPS codes are
kept: the names are not needed and the checked copy has lost its non-ASCII
letters (see the loader's docstring).

Usage::

    python benchmarks/make_county_adjacency_table.py [--raw-dir DIR] [--out PATH] [--check]

``--raw-dir`` defaults to ``data/raw/census_adjacency`` (``fetch()`` of the
loader downloads the file there) and falls back to
``../shared/data/census_county_adjacency``; ``--check`` compares the table
that would be written with the committed one and exits 1 when they differ.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from enforcement_crime import config
from enforcement_crime.fileio import write_or_check_text
from enforcement_crime.sources import census_adjacency

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "enforcement_crime" / "facts" / "county_adjacency.csv"


def _raw_dir(arg: str | None) -> Path:
    if arg:
        return Path(arg)
    own = config.raw_dir(census_adjacency.SOURCE)
    if (own / census_adjacency.FILE_NAME).is_file():
        return own
    return config.shared_data_dir() / "census_county_adjacency"


def build(raw_dir: Path) -> pd.DataFrame:
    """The table: ``fips_a, fips_b`` (see the module docstring)."""
    path = raw_dir / census_adjacency.FILE_NAME
    if not path.is_file():
        raise FileNotFoundError(
            f"{path}: Census county adjacency file not found (URL: {census_adjacency.URL}); "
            "pass --raw-dir"
        )
    why = census_adjacency.completeness(path)
    if why:
        raise ValueError(f"{path}: {why}")
    return census_adjacency.pairs(census_adjacency.load(path))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--raw-dir", default=None)
    parser.add_argument("--out", default=str(OUT))
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    raw = _raw_dir(args.raw_dir)
    table = build(raw)
    text = table.to_csv(index=False, lineterminator="\n")
    out = Path(args.out)
    same = write_or_check_text(out, text, check=args.check)
    if args.check:
        print(f"{out}: {'up to date' if same else 'DIFFERS from the table built from ' + str(raw)}")
        return 0 if same else 1
    print(f"wrote {out} ({len(table)} pairs, {len(text):,} bytes) from {raw}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
