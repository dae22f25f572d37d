"""``make real`` (the ``real`` command): a failed panel build ends in one line naming the panel and file."""

from __future__ import annotations

import pytest

from enforcement_crime import cli, config


def test_a_broken_input_ends_make_real_in_one_line(
    raw_from_fixtures, tmp_path, monkeypatch, capsys
):
    from enforcement_crime import real
    from enforcement_crime.panels import runner

    leaic = raw_from_fixtures / "leaic" / "35158-0001-Data.tsv"
    leaic.write_text("<html><body>Please log in</body></html>\n")
    processed = tmp_path / "processed"
    monkeypatch.setenv("ENFORCEMENT_CRIME_RAW", str(raw_from_fixtures))
    monkeypatch.setattr(config, "processed_dir", lambda: processed)
    # the mangled file would first be refused by the sha256 registry; here it reaches its loader
    monkeypatch.setattr(runner, "check_raw", lambda *a, **k: [])
    monkeypatch.setattr(
        real, "run_real", lambda *a, **k: pytest.fail("no run after a failed build")
    )
    assert cli.main(["real", "--no-html"]) == 1
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith("make real: data build: FAILED, nothing was written: panel '")
    assert str(leaic) in lines[0]
    assert not processed.exists() or not any(processed.glob("*.parquet"))
