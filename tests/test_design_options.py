"""Design options of the wrong kind are refused in one line naming the option and what it expects."""

from __future__ import annotations

import pytest

from enforcement_crime import designs


@pytest.mark.parametrize(
    "key, options, expected",
    [
        ("287g_nc", {"n_boot": -5}, "option 'n_boot' must be a whole number of at least 1, got -5"),
        ("287g_nc", {"n_perm": 0}, "option 'n_perm' must be a whole number of at least 1"),
        ("sc_county", {"n_boot": 9.5}, "option 'n_boot' must be a whole number"),
        ("sc_county", {"outcomes": [1, 2]}, "option 'outcomes' must be a list of names"),
        ("sc_county", {"outcomes": "violent_rate"}, "option 'outcomes' must be a list of names"),
        ("sc_county", {"outcomes": []}, "option 'outcomes' must be at least one name"),
        (
            "sc_county",
            {"years": ["2004", "2014"]},
            "option 'years' must be a list of whole numbers",
        ),
        ("sc_county", {"alpha": 5}, "option 'alpha' must be a level between 0 and 1"),
        ("sc_county", {"log_outcomes": "yes"}, "option 'log_outcomes' must be true or false"),
        ("sc_county", {"rule": None}, "option 'rule' must be a value (not null)"),
    ],
)
def test_a_wrong_kind_of_option_is_one_line_naming_it(key, options, expected):
    with pytest.raises(ValueError) as err:
        designs.get(key, **options)
    text = str(err.value)
    assert "\n" not in text and text.startswith(f"design {key!r}: ") and expected in text


@pytest.mark.parametrize(
    "key, options",
    [
        ("287g_nc", {"n_boot": 99, "n_perm": 19}),
        ("sc_county", {"outcomes": ["violent_rate"], "years": [2005, 2012], "cluster": None}),
        ("sc_county", {"alpha": 0.1, "log_outcomes": False, "weights": None}),
    ],
)
def test_options_of_the_right_kind_pass(key, options):
    design = designs.get(key, **options)
    for name, value in options.items():
        got = getattr(design, name)
        assert got == (tuple(value) if isinstance(value, list) else value)
