"""US states: FIPS code, postal code and upper-case name (the 50 states, DC and Puerto Rico).

``STATE_POSTAL`` maps the 2-digit state FIPS code to the postal code
(``"37" -> "NC"``); ``STATE_NAMES`` maps the upper-case name as CIUS tables
print it to the FIPS code (``"NORTH CAROLINA" -> "37"``).
"""

from __future__ import annotations

__all__ = ["STATE_POSTAL", "STATE_NAMES"]

# state FIPS -> (postal, name); the 50 states, DC and Puerto Rico
_STATES = {
    "01": ("AL", "ALABAMA"),
    "02": ("AK", "ALASKA"),
    "04": ("AZ", "ARIZONA"),
    "05": ("AR", "ARKANSAS"),
    "06": ("CA", "CALIFORNIA"),
    "08": ("CO", "COLORADO"),
    "09": ("CT", "CONNECTICUT"),
    "10": ("DE", "DELAWARE"),
    "11": ("DC", "DISTRICT OF COLUMBIA"),
    "12": ("FL", "FLORIDA"),
    "13": ("GA", "GEORGIA"),
    "15": ("HI", "HAWAII"),
    "16": ("ID", "IDAHO"),
    "17": ("IL", "ILLINOIS"),
    "18": ("IN", "INDIANA"),
    "19": ("IA", "IOWA"),
    "20": ("KS", "KANSAS"),
    "21": ("KY", "KENTUCKY"),
    "22": ("LA", "LOUISIANA"),
    "23": ("ME", "MAINE"),
    "24": ("MD", "MARYLAND"),
    "25": ("MA", "MASSACHUSETTS"),
    "26": ("MI", "MICHIGAN"),
    "27": ("MN", "MINNESOTA"),
    "28": ("MS", "MISSISSIPPI"),
    "29": ("MO", "MISSOURI"),
    "30": ("MT", "MONTANA"),
    "31": ("NE", "NEBRASKA"),
    "32": ("NV", "NEVADA"),
    "33": ("NH", "NEW HAMPSHIRE"),
    "34": ("NJ", "NEW JERSEY"),
    "35": ("NM", "NEW MEXICO"),
    "36": ("NY", "NEW YORK"),
    "37": ("NC", "NORTH CAROLINA"),
    "38": ("ND", "NORTH DAKOTA"),
    "39": ("OH", "OHIO"),
    "40": ("OK", "OKLAHOMA"),
    "41": ("OR", "OREGON"),
    "42": ("PA", "PENNSYLVANIA"),
    "44": ("RI", "RHODE ISLAND"),
    "45": ("SC", "SOUTH CAROLINA"),
    "46": ("SD", "SOUTH DAKOTA"),
    "47": ("TN", "TENNESSEE"),
    "48": ("TX", "TEXAS"),
    "49": ("UT", "UTAH"),
    "50": ("VT", "VERMONT"),
    "51": ("VA", "VIRGINIA"),
    "53": ("WA", "WASHINGTON"),
    "54": ("WV", "WEST VIRGINIA"),
    "55": ("WI", "WISCONSIN"),
    "56": ("WY", "WYOMING"),
    "72": ("PR", "PUERTO RICO"),
}
STATE_POSTAL: dict[str, str] = {k: v[0] for k, v in _STATES.items()}
STATE_NAMES: dict[str, str] = {v[1]: k for k, v in _STATES.items()}
