"""Manifest row accounting and write_panel."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest

from enforcement_crime.panels.manifest import (
    Manifest,
    ManifestError,
    input_record,
    read_manifest,
    write_panel,
)
from enforcement_crime.schema import OFFENSES, PanelSchemaError, add_totals_and_rates


def tiny_panel() -> pd.DataFrame:
    df = pd.DataFrame(
        {
            "fips": ["37001", "37001"],
            "year": [2010, 2011],
            "state_fips": "37",
            "state": "NC",
            "county_name": "Alamance County",
            "population": [150000, 151000],
        }
    )
    for i, c in enumerate(OFFENSES):
        df[c] = pd.array([i + 1, i + 2], dtype="Int64")
    df = add_totals_and_rates(df)
    df["coverage"] = np.nan
    df["months_reported"] = pd.array([pd.NA, pd.NA], dtype="Int64")
    for c in ("sc_activation_date", "g287_start", "g287_end"):
        df[c] = pd.Series([pd.NaT, pd.NaT], dtype="datetime64[ns]")
    df["g287_model"] = pd.array([pd.NA, pd.NA], dtype="string")
    df["source"] = "test"
    df["is_synthetic"] = False
    return df


def test_accounting_adds_up_or_raises():
    m = Manifest("p", rows_in=10, rows_out=6, aggregated=1, unit="agency-year")
    m.drop("reason a", 2)
    m.drop("reason a", 1)
    m.check()  # 10 == 3 + 1 + 6
    assert m.to_dict()["rows"] == {
        "unit": "agency-year",
        "in": 10,
        "added": 0,
        "dropped": {"reason a": 3},
        "aggregated": 1,
        "out": 6,
    }
    m.rows_out = 7
    with pytest.raises(
        ManifestError, match=r"p: row accounting does not add up: 10 agency-year rows in \+ 0 added"
    ):
        m.check()
    m.added = 1  # a split agency adds a row: 10 + 1 == 3 + 1 + 7
    m.check()
    with pytest.raises(ManifestError, match="negative"):
        m.drop("x", -1)


def test_write_panel_writes_parquet_and_json(tmp_path):
    df = tiny_panel()
    m = Manifest("ignored", rows_in=3, rows_out=2, rules={"rule": "x"}, notes=["n"])
    m.drop("duplicate", 1)
    path = write_panel(df, "tiny", m, folder=tmp_path)
    assert path == tmp_path / "tiny.parquet"
    back = pd.read_parquet(path)
    assert len(back) == 2 and back["fips"].tolist() == ["37001", "37001"]
    d = json.loads((tmp_path / "tiny.json").read_text())
    assert (
        d["panel"] == "tiny"
        and d["rows"]["dropped"] == {"duplicate": 1}
        and d["rules"] == {"rule": "x"}
    )
    assert d["created_by"].startswith("enforcement_crime ")
    assert read_manifest(path).rows_out == 2


def test_write_panel_refuses_bad_accounting_or_schema(tmp_path):
    df = tiny_panel()
    with pytest.raises(ManifestError, match="the manifest says 5 rows out but the panel has 2"):
        write_panel(df, "a", Manifest("a", rows_in=5, rows_out=5), folder=tmp_path)
    with pytest.raises(ManifestError, match="does not add up"):
        write_panel(df, "b", Manifest("b", rows_in=5, rows_out=2), folder=tmp_path)
    bad = df.copy()
    bad.loc[0, "murder"] = -1
    with pytest.raises(PanelSchemaError, match="murder"):
        write_panel(bad, "c", Manifest("c", rows_in=2, rows_out=2), folder=tmp_path)
    assert not list(tmp_path.iterdir()), "nothing is written when a check fails"


def test_input_record_hashes_the_file(tmp_path):
    f = tmp_path / "x.csv"
    f.write_bytes(b"a,b\n1,2\n")
    rec = input_record(f, source="s")
    assert rec["sha256"] == hashlib.sha256(b"a,b\n1,2\n").hexdigest()
    assert rec["bytes"] == 8 and rec["source"] == "s" and rec["name"] == "x.csv"


def test_read_manifest_rejects_a_tampered_file(tmp_path):
    write_panel(tiny_panel(), "t", Manifest("t", rows_in=2, rows_out=2), folder=tmp_path)
    d = json.loads((tmp_path / "t.json").read_text())
    d["rows"]["in"] = 9
    (tmp_path / "t.json").write_text(json.dumps(d))
    with pytest.raises(ManifestError, match="9 row rows in"):
        read_manifest(tmp_path / "t.parquet")
