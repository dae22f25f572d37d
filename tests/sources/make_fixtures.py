"""Write the small committed fixtures of the timing and population sources.

Run from the project root: ``.venv/bin/python tests/sources/make_fixtures.py``.
Every value is made up; only the layouts (column names and order, encodings,
cell types) follow the real files. Nothing is copied from ../shared/data.
"""

from __future__ import annotations

import csv
import datetime as dt
import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _xlsx import write_xlsx  # noqa: E402

FIX = HERE.parent / "fixtures"

# ---------------------------------------------------------------------------
# Census PEP county files. Component columns (births, deaths, migration) are
# present for each year in the official files; the fixtures keep the first
# blocks (NPOPCHG_, BIRTHS, DEATHS) in their real order, enough for the layout.
# ---------------------------------------------------------------------------
ID = ["SUMLEV", "REGION", "DIVISION", "STATE", "COUNTY", "STNAME", "CTYNAME"]
# (state, county, state name, county name) and a made-up base population
COUNTIES = [
    ("37", "001", "North Carolina", "Alamance County", 130000),
    ("37", "119", "North Carolina", "Mecklenburg County", 700000),
    ("51", "019", "Virginia", "Bedford County", 60000),
    ("51", "515", "Virginia", "Bedford city", 6000),
    (
        "35",
        "013",
        "New Mexico",
        "Do\xf1a Ana County",
        175000,
    ),  # latin-1 n-tilde, as in the real files
]
#: every PEP county file holds the 50 states and DC, each with a state row (SUMLEV 040)
#: equal to the sum of its counties; the other states get one made-up county each
STATE_NAMES = {
    "01": "Alabama", "02": "Alaska", "04": "Arizona", "05": "Arkansas", "06": "California",
    "08": "Colorado", "09": "Connecticut", "10": "Delaware", "11": "District of Columbia",
    "12": "Florida", "13": "Georgia", "15": "Hawaii", "16": "Idaho", "17": "Illinois",
    "18": "Indiana", "19": "Iowa", "20": "Kansas", "21": "Kentucky", "22": "Louisiana",
    "23": "Maine", "24": "Maryland", "25": "Massachusetts", "26": "Michigan", "27": "Minnesota",
    "28": "Mississippi", "29": "Missouri", "30": "Montana", "31": "Nebraska", "32": "Nevada",
    "33": "New Hampshire", "34": "New Jersey", "35": "New Mexico", "36": "New York",
    "37": "North Carolina", "38": "North Dakota", "39": "Ohio", "40": "Oklahoma", "41": "Oregon",
    "42": "Pennsylvania", "44": "Rhode Island", "45": "South Carolina", "46": "South Dakota",
    "47": "Tennessee", "48": "Texas", "49": "Utah", "50": "Vermont", "51": "Virginia",
    "53": "Washington", "54": "West Virginia", "55": "Wisconsin", "56": "Wyoming",
}  # fmt: skip
#: a code that is a county in the Census lists 2000-2020 (Alaska and South Dakota have no 001)
FIRST_COUNTY = {st: {"02": "013", "46": "003"}.get(st, "001") for st in STATE_NAMES}
for _st, _name in STATE_NAMES.items():
    if not any(c[0] == _st for c in COUNTIES):
        COUNTIES.append((_st, FIRST_COUNTY[_st], _name, "Testa County", 10000 + 100 * int(_st)))
COUNTIES.sort()


def pop(base: int, year: int) -> int:
    return base + 1000 * (year - 2000) + 7  # made up: +1000 a year


def places(value) -> list[tuple[str, str, str, str, dict]]:
    """State rows then their counties, in state order; ``value(base, col)`` gives a county cell.

    Returns (state, county, state name, county name, {column: int}) with the
    state row's numeric cells the sum of its counties' (as in the PEP files).
    """
    out = []
    for st, name in sorted(STATE_NAMES.items()):
        cty = [(c[1], c[3], value(c[4])) for c in COUNTIES if c[0] == st]
        total = {k: sum(v[k] for _, _, v in cty) for k in cty[0][2]}
        out.append((st, "000", name, name, total))
        out.extend((st, co, name, cname, v) for co, cname, v in cty)
    return out


def census(
    name: str, header_extra: list[str], years: range, extra_pop: list[str] | None = None
) -> None:
    header = ID + header_extra + [f"POPESTIMATE{y}" for y in years] + (extra_pop or [])
    comps = [f"{k}{y}" for k in ("NPOPCHG_", "BIRTHS", "DEATHS") for y in years]
    header += comps
    path = FIX / "census_population" / f"{name}.csv"

    def value(base: int) -> dict:
        v = {c: base for c in header_extra}
        v.update({f"POPESTIMATE{y}": pop(base, y) for y in years})
        v.update({c: base + 19999 for c in extra_pop or []})
        v.update({c: 10 for c in comps})
        return v

    with open(path, "w", newline="", encoding="latin-1") as fh:
        w = csv.writer(fh, lineterminator="\r\n")
        w.writerow(header)
        for st, co, stname, ctyname, vals in places(value):
            row = {
                "SUMLEV": "040" if co == "000" else "050",
                "REGION": "3",
                "DIVISION": "5",
                "STATE": st,
                "COUNTY": co,
                "STNAME": stname,
                "CTYNAME": ctyname,
            }
            row.update({c: str(v) for c, v in vals.items()})
            w.writerow([row[c] for c in header])


def make_census() -> None:
    census("co-est2009-alldata", ["CENSUS2000POP", "ESTIMATESBASE2000"], range(2000, 2010))
    census("co-est2019-alldata", ["CENSUS2010POP", "ESTIMATESBASE2010"], range(2010, 2020))
    # Vintage 2020 adds the April 1 2020 estimate before POPESTIMATE2020
    header_years = range(2010, 2021)
    census("co-est2020-alldata", ["CENSUS2010POP", "ESTIMATESBASE2010"], header_years)
    # intercensal 2000-2010 totals: base, 2000..2009, census 2010, 2010 (no components)
    path = FIX / "census_population" / "co-est00int-tot.csv"
    header = (
        ID
        + ["ESTIMATESBASE2000"]
        + [f"POPESTIMATE{y}" for y in range(2000, 2010)]
        + ["CENSUS2010POP", "POPESTIMATE2010"]
    )
    years = range(2000, 2010)

    def value(base: int) -> dict:
        v = {"ESTIMATESBASE2000": base}
        v.update({f"POPESTIMATE{y}": pop(base, y) + 3 for y in years})  # intercensal = v2009 + 3
        v.update({"CENSUS2010POP": pop(base, 2010) + 1, "POPESTIMATE2010": pop(base, 2010) + 3})
        return v

    with open(path, "w", newline="", encoding="latin-1") as fh:
        w = csv.writer(fh, lineterminator="\r\n")
        w.writerow(header)
        for st, co, stname, ctyname, vals in places(value):
            sumlev = "040" if co == "000" else "050"
            w.writerow([sumlev, "3", "5", st, co, stname, ctyname, *(vals[c] for c in header[7:])])


def fix_2020_header() -> None:
    """Insert POPESTIMATE042020 before POPESTIMATE2020, as in co-est2020-alldata."""
    path = FIX / "census_population" / "co-est2020-alldata.csv"
    df = pd.read_csv(path, dtype=str, encoding="latin-1")
    cols = list(df.columns)
    df.insert(cols.index("POPESTIMATE2020"), "POPESTIMATE042020", df["POPESTIMATE2019"])
    df.to_csv(path, index=False, encoding="latin-1", lineterminator="\r\n")


# ---------------------------------------------------------------------------
# Secure Communities
# ---------------------------------------------------------------------------
SC_ROWS = [
    # countyname, countyfips, state, statefips, month, year, l
    ("ALAMANCE", "37001", "NC", "37", "1", "2010", ""),
    ("MECKLENBURG", "37119", "NC", "37", "10", "2009", "L"),
    ("WAKE", "37183", "NC", "37", "11", "2008", "L"),
    ("BEDFORD", "51019", "VA", "51", "6", "2010", ""),
    ("BEDFORD CITY", "51515", "VA", "51", "3", "2010", ""),
    ("ANCHORAGE", "02020", "AK", "02", "", "", ""),
    ("HONOLULU", "15003", "HI", "15", "", "", ""),
    ("ADJUNTAS", "72001", "PR", "72", "", "", ""),
    ("COOK", "17031", "IL", "17", "1", "2013", "L"),
]
#: ICE's list is national: one made-up county (code 001, dated) for every other state and DC
_POSTAL = dict(zip(
    STATE_NAMES,
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ "
    "NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY".split(),
    strict=True,
))  # fmt: skip
SC_ROWS += [
    (
        "TESTA",
        st + FIRST_COUNTY[st],
        _POSTAL[st],
        st,
        str(1 + int(st) % 12),
        str(2010 + int(st) % 3),
        "",
    )
    for st in STATE_NAMES
    if not any(r[3] == st for r in SC_ROWS)
]


def make_sc() -> None:
    d = FIX / "secure_communities"
    with open(d / "sc_activation_dates_county.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(
            [
                "countyname",
                "countyfips",
                "state",
                "statefips",
                "activation_month",
                "activation_year",
                "l",
            ]
        )
        w.writerows(SC_ROWS)
    # .dta as in the real extract: fips numeric, month/year stored as strings
    df = pd.DataFrame(
        SC_ROWS,
        columns=[
            "countyname",
            "countyfips",
            "state",
            "statefips",
            "activation_month",
            "activation_year",
            "l",
        ],
    )
    df["countyfips"] = df["countyfips"].astype("int32")
    df["statefips"] = df["statefips"].astype("int8")
    df = df.astype(
        {c: object for c in ("countyname", "state", "activation_month", "activation_year", "l")}
    )
    df.to_stata(
        d / "sc_activation_county.dta",
        write_index=False,
        version=118,
        variable_labels={
            "activation_month": "Month of SC Activation - ICE SC Dates",
            "activation_year": "Year of SC Activation - ICE SC Dates",
            "l": "Lugar",
        },
    )
    with open(d / "sc_plain.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["fips", "activation_date"])
        w.writerows(
            [("48201", "2008-10-27"), ("37183", "2008-11"), ("4013", "2009-01"), ("02020", "")]
        )


# ---------------------------------------------------------------------------
# 287(g)
# ---------------------------------------------------------------------------
ROSTER_HEADER = [
    "state",
    "agency",
    "jurisdiction_level",
    "county_fips",
    "county_name",
    "first_signed_best",
    "first_signed_source",
    "latest_signed",
    "signing_dates",
    "models",
    "active_from",
    "active_to",
    "terminated",
    "n_rosters",
    "in_ice_roster",
    "in_gao_2007",
    "in_kostandini",
    "in_yale_2008",
    "in_ice_removals",
    "rem_fy_first",
    "rem_fy_last",
    "rem_identified",
    "rem_removed",
    "in_secondary",
    "n_secondary_sources",
    "secondary_sources",
    "n_sources",
    "confidence",
    "moa_files",
    "moa_pdf_present",
    "moa_archived_url",
]


def roster_row(**kw: str) -> list[str]:
    base = dict.fromkeys(ROSTER_HEADER, "")
    base.update(
        terminated="FALSE",
        in_ice_roster="TRUE",
        in_gao_2007="FALSE",
        in_kostandini="FALSE",
        in_yale_2008="FALSE",
        in_ice_removals="FALSE",
        in_secondary="FALSE",
        n_sources="2",
        confidence="high",
    )
    base.update(kw)
    return [base[c] for c in ROSTER_HEADER]


def make_g287() -> None:
    d = FIX / "g287"
    rows = [
        roster_row(
            agency="Testa County Sheriff's Office (North Carolina)",
            active_from="2007-09-01",
            active_to="2007-09-01",
            terminated="TRUE",
            in_ice_roster="FALSE",
            in_gao_2007="TRUE",
            n_sources="1",
            confidence="medium",
        ),
        roster_row(
            state="NORTH CAROLINA",
            agency="Mecklenburg County Sheriff's Office",
            jurisdiction_level="local",
            county_fips="37119",
            county_name="Mecklenburg County, NC",
            first_signed_best="2006-02-20",
            first_signed_source="CRS RL32270 App. A (11 Mar 2009)",
            latest_signed="2016-06-01",
            signing_dates="2006-02-20; 2013-06-01; 2016-06-01",
            models="Jail Enforcement",
            active_from="2005-10-01",
            active_to="2017-08-01",
            n_rosters="9",
        ),
        roster_row(
            state="NORTH CAROLINA",
            agency="City of Durham Police Department",
            jurisdiction_level="local",
            county_fips="37063; 37063",
            county_name="Durham County, NC; Durham County, NC",
            first_signed_best="2008-02-03",
            latest_signed="2008-02-03",
            signing_dates="2008-02-03",
            models="Task Force",
            active_from="2007-10-01",
            active_to="2012-09-30",
            terminated="TRUE",
        ),
        roster_row(
            state="TEXAS",
            agency="Testville Police Department",
            jurisdiction_level="local",
            county_fips="48113; 48085",
            county_name="Dallas County, TX; Collin County, TX",
            first_signed_best="2008-09-01",
            latest_signed="2013-07-01",
            signing_dates="2008-09-01; 2013-07-01",
            models="Jail Enforcement -> Task Force",
            active_from="2008-10-01",
            active_to="2017-08-01",
        ),
    ]
    with open(d / "pre2018-agreements-best-guess.csv", "w", newline="") as fh:
        w = csv.writer(fh, quoting=csv.QUOTE_NONNUMERIC)
        w.writerow(ROSTER_HEADER)
        w.writerows(rows)
    oig = [
        (
            "DHS OIG-10-63 App. E Table 3 (28 Oct 2009)",
            "2009-10-28",
            "North Carolina",
            "Mecklenburg County Sheriff's Office",
            "Jail Enforcement",
            "2006-02-20",
            "signed",
        ),
        (
            "DHS OIG-10-63 App. E Table 3 (28 Oct 2009)",
            "2009-10-28",
            "North Carolina",
            "Durham Police Department",
            "Task Force",
            "2008-02-03",
            "signed",
        ),
        (
            "DHS OIG-10-63 App. E Table 3 (28 Oct 2009)",
            "2009-10-28",
            "Virginia",
            "Testa County Sheriff's Office",
            "Hybrid",
            "2008-05-05",
            "signed",
        ),
        (
            "DHS OIG-10-63 App. E Table 3 (28 Oct 2009)",
            "2009-10-28",
            "Georgia",
            "Hall County Sheriff's Office",
            "Jail Enforcement",
            "2009-09-01",
            "pending",
        ),
    ]
    with open(d / "historical-oig-2009.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(
            ["source", "as_of", "state", "agency", "model", "date_signed_original", "status"]
        )
        w.writerows(oig)
    years = [f"y{y}" for y in range(2005, 2020)]
    header = [
        "Sheriff",
        "State",
        "County",
        "ori",
        "bsu",
        "FIPS",
        "SUBSET",
        "ignore",
        "Joined after 2018? (Y/N)",
        *years,
        "NOTES",
        "SHERIFF? (for counties that ended agreements) ",
    ]

    def flags(first: int, last: int) -> list[str]:
        return ["X" if first <= y <= last else "" for y in range(2005, 2020)]

    wapo = [
        [
            "A. Sheriff",
            "NORTH CAROLINA",
            "Mecklenburg County Sheriff's Office",
            "NC0600000",
            "y",
            37119,
            "x",
            "",
            "N",
            *flags(2007, 2019),
            "",
            "",
        ],
        [
            "B. Sheriff",
            "NORTH CAROLINA",
            "Alamance County Sheriff's Office",
            "",
            "y",
            37001,
            "x",
            "NC0010000",
            "N",
            *flags(2007, 2012),
            "",
            "Yes",
        ],
        [
            "",
            "ALASKA",
            "Department of Corrections",
            "",
            "",
            None,
            "",
            "",
            "",
            *flags(3000, 0),
            "made-up note",
            "",
        ],
        [
            "C. Sheriff",
            "TEXAS",
            "Testa County Sheriff's Office",
            "TX0000000",
            "n",
            None,
            "",
            "",
            "Y",
            *flags(2019, 2019),
            "",
            "",
        ],
    ]
    write_xlsx(d / "287g_curated_2019.xlsx", header, wapo)
    ice_header = [
        "STATE",
        "LAW ENFORCEMENT AGENCY",
        "TYPE",
        "COUNTY",
        "SUPPORT TYPE",
        "SIGNED",
        "MOA",
        "ADDENDUM",
    ]
    ice = [
        [
            "NORTH CAROLINA",
            "Alamance County Sheriff's Office",
            "County",
            "Alamance County",
            "Jail Enforcement Model",
            dt.date(2020, 5, 1),
            "link",
            "",
        ],
        [
            "NORTH CAROLINA",
            "Alamance County Sheriff's Office",
            "County",
            "Alamance County",
            "Warrant Service Officer",
            dt.date(2020, 5, 1),
            "link",
            "",
        ],
        [
            "FLORIDA",
            "Testa Police Department",
            "Municipality",
            "Marion County",
            "Task Force Model",
            "7/72025",
            "link pending",
            "",
        ],
        [
            "UTAH",
            "Tooele County Sheriff's Office",
            "County",
            "Tooele County",
            "Task Force Model",
            dt.date(5025, 7, 7),
            "link pending",
            "",
        ],
    ]
    write_xlsx(d / "participatingAgencies07182025pm.xlsx", ice_header, ice)
    write_xlsx(
        d / "pendingAgencies07182025pm.xlsx",
        ice_header[:5],
        [
            [
                "ALABAMA",
                "Madison County Sheriff's Office",
                "County",
                "Madison County",
                "Task Force Model",
            ]
        ],
    )
    with open(d / "agreements.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(
            [
                "date",
                "state",
                "county",
                "zip",
                "agency",
                "agency_id",
                "ori",
                "type",
                "population_policed",
                "operating_budget",
                "agency_type",
            ]
        )
        w.writerows(
            [
                [
                    "2025-05-16 am",
                    "ALABAMA",
                    "Colbert County",
                    "35000",
                    "colbert county sheriff",
                    "1",
                    "AL0200000",
                    "Jail Enforcement Model",
                    "50000",
                    "100",
                    "(001) Sheriff",
                ],
                [
                    "2025-05-16 am",
                    "FLORIDA",
                    "NA",
                    "34000",
                    "testa police",
                    "2",
                    "FL0000000",
                    "Task Force Model",
                    "5000",
                    "10",
                    "(003) Local Police",
                ],
                [
                    "2025-05-16 am",
                    "FLORIDA",
                    "NA",
                    "34000",
                    "testa police",
                    "2",
                    "FL0000000",
                    "Task Force Model",
                    "5000",
                    "10",
                    "(003) Local Police",
                ],
                [
                    "2025-05-19 pm",
                    "ALABAMA",
                    "Colbert County",
                    "35000",
                    "colbert county sheriff",
                    "1",
                    "AL0200000",
                    "Jail Enforcement Model",
                    "50000",
                    "100",
                    "(001) Sheriff",
                ],
            ]
        )
    with open(d / "ucr_agencies_list.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(
            [
                "ori",
                "agency_name",
                "agency_type_name",
                "state_name",
                "state_abbr",
                "division_name",
                "region_name",
                "region_desc",
                "county_name",
                "nibrs",
                "latitude",
                "longitude",
                "nibrs_start_date",
            ]
        )
        w.writerows(
            [
                [
                    "NC0600000",
                    "Mecklenburg County Sheriff's Office",
                    "County",
                    "North Carolina",
                    "NC",
                    "South Atlantic",
                    "South",
                    "Region III",
                    "MECKLENBURG",
                    "TRUE",
                    "35.2",
                    "-80.8",
                    "2020-01-01T00:00:00.000Z",
                ],
                [
                    "NC0010000",
                    "Alamance County Sheriff's Office",
                    "County",
                    "North Carolina",
                    "NC",
                    "South Atlantic",
                    "South",
                    "Region III",
                    "ALAMANCE",
                    "FALSE",
                    "36.0",
                    "-79.4",
                    "",
                ],
            ]
        )


# ---------------------------------------------------------------------------
# NC SBI
# ---------------------------------------------------------------------------


def make_nc_sbi() -> None:
    header = [
        "year",
        "index_rate",
        "violent",
        "property",
        "murder",
        "rape",
        "robbery",
        "assault",
        "burglary",
        "larceny",
        "mtv",
        "arson",
        "geo_description",
        "estimate",
    ]
    rows = [
        [
            "2008",
            "5,000.50",
            "500.5",
            "4,500.00",
            "5.5",
            "30",
            "200",
            "265",
            "1,500.00",
            "2,700.00",
            "300",
            "10.1",
            "Alamance",
            "rate",
        ],
        [
            "2009",
            "4,900.00",
            "480",
            "4,420.00",
            "5",
            "29",
            "190",
            "256",
            "1,400.00",
            "2,720.00",
            "300",
            "9",
            "Alamance",
            "rate",
        ],
        [
            "2008",
            "",
            "",
            "",
            "7",
            "40",
            "270",
            "360",
            "2,050",
            "3,700",
            "410",
            "",
            "Alamance",
            "number",
        ],
        [
            "2009",
            "",
            "",
            "",
            "6",
            "39",
            "260",
            "350",
            "1,950",
            "3,760",
            "405",
            "",
            "Alamance",
            "number",
        ],
        [
            "2008",
            "4,000.00",
            "400",
            "3,600.00",
            "6",
            "25",
            "150",
            "219",
            "1,200.00",
            "2,100.00",
            "300",
            "20",
            "North Carolina",
            "rate",
        ],
        [
            "2008",
            "400,100",
            "40,000",
            "360,100",
            "600",
            "2,400",
            "14,000",
            "23,000",
            "110,000",
            "225,000",
            "25,100",
            "2,000",
            "North Carolina",
            "number",
        ],
    ]
    path = FIX / "nc_sbi" / "crime_raw.csv"
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\r\n")
        w.writerow(header)
        w.writerows(rows)


RATES_HEADER = [
    "County", "Year", "Index Rate", "Violent Rate", "Property Rate", "Murder Rate", "Rape Rate",
    "Robbery Rate", "Assault Rate", "Burglary Rate", "Larceny Rate", "MVT Rate", "Arson Rate",
]  # fmt: skip
# county -> made-up rates per 100,000 (murder, rape, robbery, assault, burglary, larceny, mvt,
# arson); None = a blank cell; a county absent here is absent from the file (as Alamance is
# in the real tables). "Statewide County" is the SBI's row for statewide agencies.
RATES = {
    "Alexander": (5.0, 12.0, 11.5, 100.0, 800.0, 1200.5, 80.0, 20.0),
    "Bertie": (None, 14.0, 25.0, 80.0, 1000.0, 1100.0, 70.0, None),
    "Durham": (10.1, 25.2, 180.3, 400.4, 1100.0, 3000.5, 200.2, 12.0),
    "Stanly": (3.3, 20.1, 10.0, 150.5, 700.7, 1500.1, 60.6, 5.5),
    "Statewide": "blank",
    "Stokes": (2.2, None, 4.4, 90.9, 500.0, 800.8, 40.4, 8.8),
    "Wake": "blank",  # every rate blank, as for some counties in the real tables
    "Yancey": (None, None, None, 30.0, 300.0, 450.0, 20.0, None),
}


def _rate(x: float | None) -> str:
    return "" if x is None else f"{x:,.1f}"


def make_nc_sbi_rates() -> None:
    """The SBI county-rates table layout: every cell quoted, LF line ends, thousands separators."""
    for year, shift in ((2015, 0.0), (2016, 1.0)):
        path = FIX / "nc_sbi" / f"CrimeDataByCounty{year}.csv"
        with open(path, "w", newline="") as fh:
            w = csv.writer(fh, quoting=csv.QUOTE_ALL, lineterminator="\n")
            w.writerow(RATES_HEADER)
            for county, vals in RATES.items():
                if vals == "blank":
                    w.writerow([f"{county} County", str(year)] + [""] * 11)
                    continue
                v = [None if x is None else round(x + shift, 1) for x in vals]
                violent = round(sum(x or 0 for x in v[:4]), 1)
                prop = round(sum(x or 0 for x in v[4:7]), 1)
                row = [violent + prop, violent, prop, *v]
                w.writerow([f"{county} County", str(year)] + [_rate(x) for x in row])


if __name__ == "__main__":
    for sub in ("census_population", "secure_communities", "g287", "nc_sbi"):
        (FIX / sub).mkdir(parents=True, exist_ok=True)
    make_census()
    fix_2020_header()
    make_sc()
    make_g287()
    make_nc_sbi()
    make_nc_sbi_rates()
    print("fixtures written under", FIX)
