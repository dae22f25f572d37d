"""Panel ``nc_agency``: North Carolina agency-years 2000-2016 with the nine 287(g) agreements.

Built from Kaplan's crimedatatool agency-year files
(:mod:`enforcement_crime.sources.ucr_kaplan_agency`: Return A offenses known
and clearances, and LEOKA officers and assaults on officers), joined to the
LEAIC 2012 crosswalk (ORI7 -> county FIPS and agency type). One row per
agency and year in which the offenses or the LEOKA file has the agency (an
outer join of the two files: a year present in one file only has the other
file's columns missing). Real agency data, not county totals.

The agencies
------------
* every North Carolina **sheriff's office** with at least one offenses row in
  the window (LEAIC agency type "sheriff");
* **Charlotte-Mecklenburg PD** (ORI NC06001), which polices Charlotte and the
  unincorporated county (the Mecklenburg sheriff reports no offenses);
* **Gaston County PD** (NC03605), which polices unincorporated Gaston (the
  Gaston sheriff's rows have population served 0);
* **Durham PD** (NC03201), the city agency that signed Durham's agreement.

Every other agency of the files (other Charlotte-Mecklenburg ORIs, sheriffs
with LEOKA rows only) is dropped and counted in the manifest by reason.
``county_agency`` is True for the agency that polices the county's
unincorporated area: the sheriff, except in Mecklenburg (NC06001) and Gaston
(NC03605) (:data:`COUNTY_POLICE`).

Treatment
---------
The nine agreements are those of Forrester & Nowrasteh (2018), Table A1
(:func:`enforcement_crime.panels.timing.nc_287g_timing`): the signing date is
``g287_start``, the end ``g287_end``. Rule ``"signing_and_county_agency"``
(default): an agreement is assigned to the agency that **signed** it and, for
a **jail** agreement, also to the county's policing agency
(``county_agency``), because the jail screens everyone booked into the county
jail, whoever arrested them: Charlotte-Mecklenburg PD takes Mecklenburg's
agreement and Gaston County PD Gaston's. Alternative ``"signing_agency"``:
the signing agency only (then CMPD and Gaston County PD are untreated,
although their arrestees were screened). Durham's agreement is a task-force
agreement of Durham PD and goes to Durham PD under both rules.
``g287_assigned_as`` says why a row is treated (``"signing agency"`` or
``"county agency, jail model"``).

Outcomes
--------
Counts as in the source loader (``violent``, ``property``, ``index``; a total
is missing when a part is) and, per 100,000 **population served** (the
offenses file's ``population``; missing when it is 0 or missing):
``violent_rate``, ``property_rate``, ``index_rate``. Clearances:
``cleared_violent``, ``cleared_property`` (counts kept) and
``clearance_rate_violent`` = ``cleared_violent / violent`` (likewise
property), missing when the offenses are 0 or the row's clearances were not
reported (every clearance cell 0: ``clearances_reported`` False); a rate
can exceed 1, since a year's clearances include offenses of earlier years. Officers
assaulted: ``assaults_on_officers`` (LEOKA's assault total; missing when
LEOKA leaves it empty: ``assaults_reported`` False), ``officers`` (LEOKA
officers employed), ``assaults_per_100_officers`` (missing when officers is
0 or missing) and ``assaults_per_100k`` (per 100,000 population served).
The offenses file's own ``officers_assaulted`` (another FBI collection that
usually agrees) is kept as ``officers_assaulted_return_a``.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from enforcement_crime.panels.build_steps import check_counts, row_failure
from enforcement_crime.panels.context import BuildContext
from enforcement_crime.panels.manifest import Manifest
from enforcement_crime.panels.spec import Built, PanelSpec
from enforcement_crime.schema import OFFENSES, TOTALS

__all__ = [
    "MARK",
    "YEARS",
    "POLICE",
    "COUNTY_POLICE",
    "TREATMENT_RULES",
    "COUNTS",
    "nc_agency_panel",
    "validate_nc_agency",
    "build",
    "SPEC",
]

#: the words every output made from ``nc_agency`` carries
MARK = "REAL DATA: UCR AGENCY-YEAR FILES (KAPLAN), NORTH CAROLINA AGENCIES (NOT COUNTY TOTALS)"
#: the panel's years
YEARS: tuple[int, ...] = tuple(range(2000, 2017))
#: the police departments in the panel: ORI -> why
POLICE: dict[str, str] = {
    "NC06001": "Charlotte-Mecklenburg PD: polices Charlotte and unincorporated Mecklenburg",
    "NC03605": "Gaston County PD: polices unincorporated Gaston",
    "NC03201": "Durham PD: the city agency that signed Durham's 287(g) agreement",
}
#: counties whose unincorporated area is policed by a police department, not the sheriff
COUNTY_POLICE: dict[str, str] = {"37119": "NC06001", "37071": "NC03605"}
#: how the agreements are assigned to agencies (the first is the default)
TREATMENT_RULES: tuple[str, ...] = ("signing_and_county_agency", "signing_agency")
#: count columns of the panel (nullable integers)
COUNTS: tuple[str, ...] = (
    *OFFENSES,
    *TOTALS,
    "cleared_violent",
    "cleared_property",
    "officers_assaulted_return_a",
    "officers",
    "assaults_on_officers",
    "assaults_with_injury",
)
_RATES = {
    "violent_rate": ("violent", "population_served", 1e5),
    "property_rate": ("property", "population_served", 1e5),
    "index_rate": ("index", "population_served", 1e5),
    "clearance_rate_violent": ("cleared_violent", "violent", 1.0),
    "clearance_rate_property": ("cleared_property", "property", 1.0),
    "assaults_per_100_officers": ("assaults_on_officers", "officers", 100.0),
    "assaults_per_100k": ("assaults_on_officers", "population_served", 1e5),
}


def _check_unique(df: pd.DataFrame, what: str) -> None:
    dup = df.duplicated(["ori", "year"], keep=False)
    if dup.any():
        first = df.loc[dup, ["ori", "year"]].iloc[0]
        raise ValueError(
            f"nc_agency: the {what} rows hold agency-year {first['ori']} {int(first['year'])} "
            f"{int(dup.sum())} times (the same file loaded twice?)"
        )


def _signing_oris(agreements: pd.DataFrame, agencies: pd.DataFrame) -> pd.Series:
    """The ORI of the agency that signed each agreement (``"Sheriff"`` or a named police department).

    Missing when the signer is not among ``agencies`` (the Mecklenburg sheriff,
    who reports no offenses); several matches raise.
    """
    oris = []
    for _, a in agreements.iterrows():
        here = agencies[agencies["fips"] == a["fips"]]
        if str(a["agency"]).strip().lower() == "sheriff":
            cand = here[here["agency_type"] == "sheriff"]
        else:
            first = str(a["agency"]).split()[0].lower()
            cand = here[
                (here["agency_type"] != "sheriff")
                & here["agency"].str.lower().str.startswith(first).fillna(False)
            ]
        found = sorted(set(cand["ori"]))
        if len(found) > 1:
            raise ValueError(
                f"nc_agency: the agreement of {a['agency']!r} in county {a['fips']} matches "
                f"{len(found)} panel agencies ({found}); one expected"
            )
        oris.append(found[0] if found else pd.NA)
    return pd.Series(oris, index=agreements.index, dtype="string")


def _rate(num: pd.Series, den: pd.Series, per: float) -> pd.Series:
    n = num.astype("Float64")
    d = den.astype("Float64")
    return (n / d.where(d > 0) * per).astype("float64")


def nc_agency_panel(
    offenses: pd.DataFrame,
    leoka: pd.DataFrame,
    crosswalk: pd.DataFrame,
    agreements: pd.DataFrame | None = None,
    years: Iterable[int] = YEARS,
    rule: str = TREATMENT_RULES[0],
) -> tuple[pd.DataFrame, Manifest]:
    """North Carolina agency-year panel (see the module docstring).

    Parameters
    ----------
    offenses, leoka : pandas.DataFrame
        :func:`enforcement_crime.sources.ucr_kaplan_agency.load` output of
        each kind (any number of files stacked).
    crosswalk : pandas.DataFrame
        LEAIC 2012 (:func:`enforcement_crime.sources.leaic.load`).
    agreements : pandas.DataFrame, optional
        ``fips, agency, g287_start, g287_end, g287_model``; default
        :func:`enforcement_crime.panels.timing.nc_287g_timing`.
    years : iterable of int
        Default 2000-2016.
    rule : {"signing_and_county_agency", "signing_agency"}
        How agreements are assigned to agencies.

    Returns
    -------
    panel : pandas.DataFrame
        One row per ``(ori, year)``; columns in the module docstring plus
        ``fips``, ``county_name``, ``state`` ("NC"), ``agency_type``
        ("sheriff" or "police"), ``county_agency``, ``in_offenses``,
        ``in_leoka``, ``source`` and ``is_synthetic`` (False).
    manifest : Manifest
        Unit "agency-year row of either file": rows in = offenses rows + LEOKA
        rows; an offenses row and a LEOKA row of the same agency-year make one
        panel row (the LEOKA row counted as aggregated).

    Raises
    ------
    ValueError
        Unknown rule, a duplicated agency-year within a file kind, an ORI of
        the panel's agencies not in LEAIC, an agreement that matches no agency.
    """
    from enforcement_crime.panels.timing import nc_287g_timing

    if rule not in TREATMENT_RULES:
        raise ValueError(f"nc_agency: rule must be one of {TREATMENT_RULES}, got {rule!r}")
    years = sorted(int(y) for y in years)
    _check_unique(offenses, "offenses")
    _check_unique(leoka, "LEOKA")
    m = Manifest(panel="nc_agency", unit="agency-year row of the offenses or the LEOKA file")
    m.rows_in = len(offenses) + len(leoka)
    for frame, what in ((offenses, "offenses"), (leoka, "LEOKA")):
        m.inputs.append(
            {
                "name": f"Kaplan agency-year {what} rows",
                "files": sorted({str(frame.attrs.get("source_file", "in memory"))}),
                "rows": len(frame),
            }
        )
    cw = crosswalk.dropna(subset=["ori7"]).drop_duplicates("ori7").set_index("ori7")
    parts = {}
    for key, frame in (("offenses", offenses), ("leoka", leoka)):
        f = frame.reset_index(drop=True).copy()
        f["ori"] = f["ori"].astype("string")
        f["fips"] = f["ori"].map(cw["fips"]).astype("string")
        f["leaic_type"] = f["ori"].map(cw["agency_type"]).astype("string")
        f["county_name"] = f["ori"].map(cw["county_name"]).astype("string")
        missing = f.loc[f["fips"].isna() & f["ori"].str.startswith("NC").fillna(False)]
        if len(missing):
            raise ValueError(
                f"nc_agency: ORI(s) {sorted(set(missing['ori']))[:5]} of the {key} rows are not "
                "in the LEAIC crosswalk (no county FIPS); is the crosswalk LEAIC 2012?"
            )
        not_nc = ~f["fips"].str.startswith("37").fillna(False)
        m.drop(f"{key} row of an agency outside North Carolina", int(not_nc.sum()))
        f = f[~not_nc]
        out_years = ~f["year"].isin(years)
        m.drop(f"{key} row outside {years[0]}-{years[-1]}", int(out_years.sum()))
        f = f[~out_years]
        keep = (f["leaic_type"] == "sheriff") | f["ori"].isin(POLICE)
        other = sorted(set(f.loc[~keep, "agency"].astype(str)))
        if other:
            m.reports[f"other_agencies_dropped_{key}"] = other
        m.drop(
            f"{key} row of an agency not in the panel (not a sheriff's office nor one of "
            f"{sorted(POLICE)})",
            int((~keep).sum()),
        )
        parts[key] = f[keep].copy()
    off, leo = parts["offenses"], parts["leoka"]
    with_offenses = set(off["ori"])
    no_off = ~leo["ori"].isin(with_offenses)
    m.reports["agencies_without_offenses_rows"] = sorted(set(leo.loc[no_off, "agency"].astype(str)))
    m.drop(
        "LEOKA row of an agency with no offenses row in the window (e.g. the Mecklenburg "
        "sheriff, who reports no offenses)",
        int(no_off.sum()),
    )
    leo = leo[~no_off]
    ids = ["ori", "year", "agency", "fips", "county_name", "leaic_type", "population"]
    off_cols = [
        *ids,
        *OFFENSES,
        *TOTALS,
        "cleared_violent",
        "cleared_property",
        "clearances_reported",
        "officers_assaulted",
    ]
    leo_cols = [
        *ids,
        "officers",
        "assaults_on_officers",
        "assaults_with_injury",
        "assaults_reported",
    ]
    a = off[off_cols].rename(columns={"officers_assaulted": "officers_assaulted_return_a"})
    a["in_offenses"] = True
    b = leo[leo_cols].rename(columns={"population": "population_leoka"})
    b["in_leoka"] = True
    panel = a.merge(b, on=["ori", "year"], how="outer", suffixes=("", "_l"), validate="one_to_one")
    for c in ("agency", "fips", "county_name", "leaic_type"):
        panel[c] = panel[c].fillna(panel.pop(f"{c}_l"))
    panel["in_offenses"] = panel["in_offenses"].fillna(False).astype(bool)
    panel["in_leoka"] = panel["in_leoka"].fillna(False).astype(bool)
    m.aggregated = int((panel["in_offenses"] & panel["in_leoka"]).sum())
    panel["population_served"] = (
        panel["population"].astype("Int64").fillna(panel["population_leoka"].astype("Int64"))
    )
    panel = panel.drop(columns=["population", "population_leoka"])
    panel["clearances_reported"] = panel["clearances_reported"].astype("boolean")
    panel["assaults_reported"] = panel["assaults_reported"].astype("boolean")
    for c in COUNTS:
        panel[c] = panel[c].astype("Int64")
    panel["agency_type"] = np.where(panel["leaic_type"] == "sheriff", "sheriff", "police")
    panel["agency_type"] = panel["agency_type"].astype("string")
    panel = panel.drop(columns="leaic_type")
    fips = panel["fips"].astype(str)
    is_sheriff = (panel["agency_type"] == "sheriff").to_numpy(dtype=bool)
    has_police = fips.isin(list(COUNTY_POLICE)).to_numpy(dtype=bool)
    is_county_police = (panel["ori"].astype(str) == fips.map(COUNTY_POLICE)).to_numpy(dtype=bool)
    panel["county_agency"] = (is_sheriff & ~has_police) | is_county_police
    for name, (num, den, per) in _RATES.items():
        panel[name] = _rate(panel[num], panel[den], per)
    no_pop = panel["population_served"].isna() | (panel["population_served"] <= 0)
    m.reports["rows_without_population_served"] = int(no_pop.sum())
    m.reports["rows_with_clearances_not_reported"] = int(
        panel["clearances_reported"].eq(False).fillna(False).sum()
    )
    m.reports["rows_with_assaults_not_reported"] = int(
        panel["assaults_reported"].eq(False).fillna(False).sum()
    )
    # treatment
    ag = nc_287g_timing() if agreements is None else agreements
    agencies = panel.drop_duplicates("ori")[
        ["ori", "agency", "fips", "agency_type", "county_agency"]
    ]
    ag = ag.assign(signing_ori=_signing_oris(ag, agencies))
    assign = [
        (r["signing_ori"], r, "signing agency")
        for _, r in ag.iterrows()
        if pd.notna(r["signing_ori"])
    ]
    m.reports["agreements_whose_signer_is_not_in_the_panel"] = [
        f"{r['fips']} {r['agency']}" for _, r in ag.iterrows() if pd.isna(r["signing_ori"])
    ]
    if rule == "signing_and_county_agency":
        for _, r in ag.iterrows():
            if r["g287_model"] != "jail":
                continue
            here = agencies[(agencies["fips"] == r["fips"]) & agencies["county_agency"]]
            assign += [
                (o, r, "county agency, jail model")
                for o in here["ori"]
                if pd.isna(r["signing_ori"]) or o != r["signing_ori"]
            ]
    t = pd.DataFrame(
        {
            "ori": pd.array([o for o, _, _ in assign], dtype="string"),
            "g287_start": [r["g287_start"] for _, r, _ in assign],
            "g287_end": [r["g287_end"] for _, r, _ in assign],
            "g287_model": pd.array([r["g287_model"] for _, r, _ in assign], dtype="string"),
            "g287_assigned_as": pd.array([w for _, _, w in assign], dtype="string"),
        }
    )
    if t["ori"].duplicated().any():
        raise ValueError(
            f"nc_agency: agencies assigned two agreements: {sorted(set(t.loc[t['ori'].duplicated(), 'ori']))}"
        )
    panel = panel.merge(t, on="ori", how="left", validate="many_to_one")
    for c in ("g287_start", "g287_end"):
        panel[c] = pd.to_datetime(panel[c]).astype("datetime64[ns]")
    panel["state"] = pd.Series("NC", index=panel.index, dtype="string")
    panel["source"] = pd.Series(
        "Kaplan crimedatatool agency-year files (Return A offenses and LEOKA) via LEAIC 2012; "
        "NC 287(g): Forrester & Nowrasteh (2018) Table A1",
        index=panel.index,
        dtype="string",
    )
    panel["is_synthetic"] = False
    first = ["ori", "agency", "year", "fips", "county_name", "state", "agency_type"]
    first += ["county_agency", "population_served"]
    rest = [c for c in panel.columns if c not in first]
    panel = panel[first + rest].sort_values(["ori", "year"]).reset_index(drop=True)
    m.rules.update(
        years=[years[0], years[-1]],
        agencies="NC sheriffs' offices with an offenses row in the window, plus "
        + "; ".join(f"{o} ({w})" for o, w in POLICE.items()),
        county_agency="the sheriff, except Mecklenburg (NC06001) and Gaston (NC03605) whose "
        "county police departments police the unincorporated county",
        county="LEAIC 2012 ORI7 -> FIPS_ST + FIPS_COUNTY",
        treatment_rule=rule,
        treatment=(
            "the signing agency and, for jail agreements, the county's policing agency (the "
            "jail screens everyone booked)"
            if rule == "signing_and_county_agency"
            else "the signing agency only"
        ),
        treatment_alternative=(
            "signing_agency: the signing agency only"
            if rule == "signing_and_county_agency"
            else "signing_and_county_agency: also the county's policing agency under a jail "
            "agreement"
        ),
        g287_dates="signing and end dates of Forrester & Nowrasteh (2018) Table A1",
        rates="per 100,000 population served (the offenses file's population; LEOKA's where "
        "the offenses row is absent); missing where it is 0 or missing",
        rape="legacy definition in every year (the files' act_rape_total)",
        clearances="cleared by arrest / offenses known; a row with every clearance cell 0 "
        "counts as not reported (clearance counts and rates missing)",
        assaults="LEOKA total assaults on officers; empty = not reported (missing); per 100 "
        "LEOKA officers and per 100,000 population served",
        rows="one row per agency-year present in the offenses or LEOKA file (outer join)",
    )
    m.notes += [
        "Agency-year data: the counts are each agency's own, NOT county totals.",
        "The Gaston sheriff's rows have population served 0 (Gaston County PD reports for the "
        "unincorporated county): their rates are missing.",
        "Clearances: rows with every clearance cell 0 are treated as not reported "
        "(clearances_reported False).",
    ]
    m.reports["agencies"] = int(panel["ori"].nunique())
    m.reports["treated_agencies"] = (
        panel.dropna(subset=["g287_start"])
        .drop_duplicates("ori")[["ori", "agency", "g287_assigned_as"]]
        .astype(str)
        .to_dict(orient="records")
    )
    m.rows_out = len(panel)
    m.check()
    validate_nc_agency(panel, name="nc_agency")
    return panel, m


def validate_nc_agency(df: pd.DataFrame, name: str = "nc_agency") -> None:
    """Check the agency-year panel; raise ``ValueError`` naming the column and the rows.

    Keys ``(ori, year)`` unique and non-null; ``fips`` 5 digits in North
    Carolina; counts non-negative integers; every total the sum of its parts
    (missing when a part is); every rate its numerator / denominator; one
    treatment date per agency; ``is_synthetic`` False.
    """

    fail = row_failure(df, name, ["ori", "year"])
    need = ["ori", "year", "fips", "population_served", *COUNTS, *_RATES, "g287_start"]
    need += ["is_synthetic", "source", "county_agency"]
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise ValueError(f"{name}: missing column(s) {missing}")
    if df["ori"].isna().any() or df["year"].isna().any():
        fail("ori", "missing key", df["ori"].isna() | df["year"].isna())
    dup = df.duplicated(["ori", "year"], keep=False)
    if dup.any():
        fail("ori", "(ori, year) must be unique", dup)
    fips = df["fips"].astype("string")
    bad = ~fips.str.fullmatch(r"37\d{3}").fillna(False)
    if bad.any():
        fail("fips", "expected a North Carolina county FIPS (37xxx)", bad)
    check_counts(df, COUNTS, name, fail)
    for total, parts in (
        ("violent", OFFENSES[:4]),
        ("property", OFFENSES[4:]),
        ("index", ("violent", "property")),
    ):
        want = df[list(parts)].sum(axis=1, min_count=1).mask(df[list(parts)].isna().any(axis=1))
        bad = ~((df[total] == want) | (df[total].isna() & want.isna())).fillna(False)
        if bad.any():
            fail(total, f"expected the sum of {list(parts)} (missing when a part is)", bad)
    for rate, (num, den, per) in _RATES.items():
        want = _rate(df[num], df[den], per)
        got = df[rate].astype("float64")
        bad = ~(np.isclose(got, want, rtol=1e-9) | (np.isnan(got) & np.isnan(want)))
        if bad.any():
            fail(
                rate,
                f"expected {num} / {den} * {per:g} (missing when {den} is 0)",
                pd.Series(bad, index=df.index),
            )
    per = df.groupby("ori")["g287_start"].nunique(dropna=False)
    if (per > 1).any():
        raise ValueError(
            f"{name}: column 'g287_start': several dates for {list(per[per > 1].index)[:5]}"
        )
    if df["is_synthetic"].astype(bool).any():
        raise ValueError(f"{name}: column 'is_synthetic': real agency data must say False")


def build(ctx: BuildContext) -> Built:
    """Build ``nc_agency`` from the run's raw files (Kaplan agency CSVs and LEAIC)."""
    ctx.require("nc_agency", "ucr_kaplan_agency", "leaic")
    frames = ctx.load_all("ucr_kaplan_agency")
    offenses = [f for f in frames if f.attrs.get("kind") == "offenses"]
    leoka = [f for f in frames if f.attrs.get("kind") == "leoka"]
    if not offenses or not leoka:
        raise ValueError(
            "nc_agency needs an offenses file and a LEOKA file of Kaplan's agency CSVs; found "
            f"{len(offenses)} offenses and {len(leoka)} LEOKA file(s)"
        )

    def stack(fs: list[pd.DataFrame]) -> pd.DataFrame:
        out = pd.concat(fs, ignore_index=True)
        out.attrs["source_file"] = "; ".join(str(f.attrs.get("source_file")) for f in fs)
        return out

    panel, man = nc_agency_panel(stack(offenses), stack(leoka), ctx.crosswalk())
    ctx.out(
        f"  nc_agency: {panel['ori'].nunique()} agencies, {len(panel)} agency-years "
        f"({man.rules['years'][0]}-{man.rules['years'][1]})"
    )
    man.inputs = ctx.inputs("ucr_kaplan_agency", "leaic") + man.inputs
    return Built(panel, man, ("ucr_kaplan_agency", "leaic"), mark=MARK)


SPEC = PanelSpec(
    name="nc_agency",
    needs=("ucr_kaplan_agency", "leaic"),
    build=build,
    description="North Carolina agency-years 2000-2016 (sheriffs, Charlotte-Mecklenburg, Gaston "
    "County and Durham PDs) from Kaplan's agency files: crime, clearances, assaults on officers; "
    "the nine 287(g) agreements",
    validate=validate_nc_agency,
    mark=MARK,
)
