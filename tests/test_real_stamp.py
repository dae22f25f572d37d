"""tests/real_stamp.py: a stamped ``make real`` run stands for a test's run only when nothing changed."""

from __future__ import annotations

import json

import pandas as pd
import real_stamp


def _tree(root):
    for d in real_stamp.TREE_DIRS:
        (root / d).mkdir(parents=True)
    (root / "src" / "m.py").write_text("x = 1\n")
    (root / "notebooks" / "n.py").write_text("# %%\n")
    (root / "pyproject.toml").write_text("[project]\n")


def _panel(path, value=1.0, created="2026-01-01"):
    pd.DataFrame({"fips": ["01001"], "year": [2010], "y": [value]}).to_parquet(path)
    path.with_suffix(".json").write_text(
        json.dumps({"rows": 1, "created_at": created, "generation": created})
    )
    return path


def test_tree_hash_follows_code_and_notebooks_not_caches(tmp_path):
    _tree(tmp_path)
    first = real_stamp.tree_hash(tmp_path)
    (tmp_path / "src" / "__pycache__").mkdir()
    (tmp_path / "src" / "__pycache__" / "m.pyc").write_bytes(b"cache")
    (tmp_path / "src" / "x.egg-info").mkdir()
    (tmp_path / "src" / "x.egg-info" / "PKG-INFO").write_text("derived")
    assert real_stamp.tree_hash(tmp_path) == first
    for changed in ("src/m.py", "notebooks/n.py", "pyproject.toml"):
        before = (tmp_path / changed).read_text()
        (tmp_path / changed).write_text(before + "# edit\n")
        assert real_stamp.tree_hash(tmp_path) != first, changed
        (tmp_path / changed).write_text(before)
    assert real_stamp.tree_hash(tmp_path) == first


def test_panel_hash_is_the_content_without_the_build_time(tmp_path):
    a = _panel(tmp_path / "a.parquet", created="2026-01-01")
    b = _panel(tmp_path / "b.parquet", created="2026-02-02")
    c = _panel(tmp_path / "c.parquet", value=2.0)
    assert real_stamp.panel_hash(a) == real_stamp.panel_hash(b) != real_stamp.panel_hash(c)


def test_reusable_runs_need_the_same_tree_data_panels_and_files(tmp_path):
    root, shared, out = tmp_path / "root", tmp_path / "shared", tmp_path / "out"
    _tree(root)
    shared.mkdir()
    (shared / "raw.csv").write_text("a\n")
    out.mkdir()
    panel = _panel(tmp_path / "cius_county.parquet")
    executed = out / "nb.ipynb"
    executed.write_text("{}")
    params = {"data_source": "cius_county"}
    stamp = out / "stamp.json"

    def write_stamp(**change):
        run = {"notebook": "notebooks/n.py", "panel": "cius_county", "parameters": params,
               "executed": str(executed), "record": str(executed), "files": {str(executed): real_stamp.sha256_of(executed)}}  # fmt: skip
        body = {"tree": real_stamp.tree_hash(root), "shared": real_stamp.shared_fingerprint(shared),
                "panels": {"cius_county": real_stamp.panel_hash(panel)}, "runs": [run]}  # fmt: skip
        body.update(change)
        stamp.write_text(json.dumps(body))

    key = real_stamp.params_key("notebooks/n.py", params)
    assert real_stamp.reusable(stamp, root, shared, {"cius_county": panel})[0] == {}  # no stamp
    write_stamp()
    usable, why = real_stamp.reusable(stamp, root, shared, {"cius_county": panel})
    assert list(usable) == [key] and not why
    # another panel content, a panel not built here, other code, other real copies, a changed output
    other = _panel(tmp_path / "other.parquet", value=3.0)
    assert real_stamp.reusable(stamp, root, shared, {"cius_county": other})[0] == {}
    assert real_stamp.reusable(stamp, root, shared, {})[0] == {}
    write_stamp(tree="0")
    assert real_stamp.reusable(stamp, root, shared, {"cius_county": panel})[0] == {}
    write_stamp(shared="0")
    assert real_stamp.reusable(stamp, root, shared, {"cius_county": panel})[0] == {}
    write_stamp()
    executed.write_text('{"changed": 1}')
    usable, why = real_stamp.reusable(stamp, root, shared, {"cius_county": panel})
    assert usable == {} and "1 files changed" in why
