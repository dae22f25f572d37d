"""Regenerate the county population fact table ``src/enforcement_crime/facts/county_population.csv``.

Reads the two public Census Bureau PEP county files through the project's
loader (:mod:`enforcement_crime.sources.census_population`):

* ``co-est2009-alldata.csv`` (Vintage 2009): July-1 estimates 2000 and 2005;
* ``co-est2019-alldata.csv`` (Vintage 2019): July-1 estimates 2010 and 2016,

and writes one row per county of the synthetic panel's county list
(:func:`enforcement_crime.synthetic.county_list`, the 3,143 counties of the 50
states and DC under their 2010 FIPS codes) with the four July-1 populations
``pop2000, pop2005, pop2010, pop2016``. The package interpolates the other
years log-linearly between these knots
(:func:`enforcement_crime.facts.county_population`).

County changes between the vintages (each row says which rule applied in
``note``; every other county is the Census value under its own FIPS code):

* 02270 Wade Hampton Census Area is 02158 Kusilvak Census Area in Vintage 2019
  (renamed 2015, same area); 46113 Shannon County SD is 46102 Oglala Lakota
  County (renamed 2015, same area): the 2010 and 2016 values are taken from
  the new code.
* 51515 Bedford city VA merged into 51019 Bedford County in 2013; Vintage 2019
  has no row for it (its people are inside 51019 in every year). 51515 keeps
  its 2009 Vintage-2009 value in 2010 and 2016, and that value is subtracted
  from 51019's 2010 and 2016 values, so that the total is the Census total.

Usage::

    python benchmarks/make_county_population_table.py [--raw-dir DIR] [--out PATH] [--check]

``--raw-dir`` defaults to ``data/raw/census_population`` (``python -m
enforcement_crime data fetch`` downloads the files there) and falls back to
``../shared/data/census_county_pop_tell``; ``--check`` compares the table that
would be written with the committed one and exits 1 when they differ.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from enforcement_crime import config
from enforcement_crime.fileio import write_or_check_text
from enforcement_crime.sources import census_population
from enforcement_crime.synthetic import county_list

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "enforcement_crime" / "facts" / "county_population.csv"
KNOTS = (2000, 2005, 2010, 2016)
RENAMED = {"02270": "02158", "46113": "46102"}  # 2010 FIPS -> Vintage 2019 FIPS (same area)
MERGED = ("51515", "51019")  # Bedford city -> Bedford County (2013)


def _raw_dir(arg: str | None) -> Path:
    if arg:
        return Path(arg)
    own = config.raw_dir("census_population")
    if (own / "co-est2019-alldata.csv").is_file():
        return own
    return ROOT.parent / "shared" / "data" / "census_county_pop_tell"


def build(raw_dir: Path) -> pd.DataFrame:
    """The table: ``fips, pop2000, pop2005, pop2010, pop2016, note`` (see the module docstring)."""
    files = {v: raw_dir / f"co-est{v}-alldata.csv" for v in ("2009", "2019")}
    for path in files.values():
        if not path.is_file():
            raise FileNotFoundError(
                f"{path}: Census county file not found (URL: "
                f"{census_population.URLS[path.name]}); pass --raw-dir"
            )
    v2009 = census_population.load(files["2009"])
    v2019 = census_population.load(files["2019"])
    wide09 = v2009.pivot(index="fips", columns="year", values="population")
    wide19 = v2019.pivot(index="fips", columns="year", values="population")
    counties = county_list()["fips"].astype(str).tolist()
    rows = []
    for fips in counties:
        note = ""
        if fips not in wide09.index:
            raise ValueError(f"{files['2009']}: county {fips} of the county list has no row")
        p2000, p2005, p2009 = (int(wide09.loc[fips, y]) for y in (2000, 2005, 2009))
        if fips in RENAMED:
            src = RENAMED[fips]
            p2010, p2016 = (int(wide19.loc[src, y]) for y in (2010, 2016))
            note = f"2010, 2016: Vintage 2019 FIPS {src} (renamed, same area)"
        elif fips == MERGED[0]:
            p2010 = p2016 = p2009
            note = f"merged into {MERGED[1]} in 2013: 2010, 2016 held at the 2009 value"
        elif fips in wide19.index:
            p2010, p2016 = (int(wide19.loc[fips, y]) for y in (2010, 2016))
            if fips == MERGED[1]:
                held = int(wide09.loc[MERGED[0], 2009])
                p2010, p2016 = p2010 - held, p2016 - held
                note = f"2010, 2016: Vintage 2019 value minus {MERGED[0]}'s 2009 value ({held})"
        else:
            raise ValueError(f"{files['2019']}: county {fips} has no row and no rule")
        rows.append((fips, p2000, p2005, p2010, p2016, note))
    out = pd.DataFrame(rows, columns=["fips", *(f"pop{y}" for y in KNOTS), "note"])
    used = set(counties) | set(RENAMED.values())
    unused = sorted(set(wide19.index) - used)
    if unused:
        raise ValueError(f"{files['2019']}: counties not matched to the county list: {unused}")
    # the table's national totals are the Census totals in every knot year
    for y, frame in ((2000, v2009), (2005, v2009), (2010, v2019), (2016, v2019)):
        census = int(frame.loc[frame["year"] == y, "population"].sum())
        assert int(out[f"pop{y}"].sum()) == census, (y, int(out[f"pop{y}"].sum()), census)
    return out


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
    print(f"wrote {out} ({len(table)} counties, {len(text):,} bytes) from {raw}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
