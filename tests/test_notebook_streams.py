"""Executed notebooks do not depend on how the kernel's stream writes were split into messages."""

from __future__ import annotations

import nbformat
from nbformat.v4 import new_code_cell, new_notebook, new_output

from enforcement_crime import notebooks


def _executed(path, outputs) -> bytes:
    cell = new_code_cell("import warnings; warnings.warn('a'); warnings.warn('b'); print(1)")
    cell["id"] = "cell-1"
    cell.outputs = [new_output("stream", name=n, text=t) for n, t in outputs]
    cell.outputs.append(new_output("execute_result", data={"text/plain": "2"}, execution_count=1))
    nb = new_notebook(cells=[cell])
    nbformat.write(nb, path)
    notebooks._make_reproducible(path)
    return path.read_bytes()


def test_stderr_split_differently_in_two_runs_gives_the_same_notebook(tmp_path):
    one = _executed(
        tmp_path / "one.ipynb",
        [("stderr", "UserWarning: a\n"), ("stderr", "UserWarning: b\n"), ("stdout", "1\n")],
    )
    two = _executed(
        tmp_path / "two.ipynb", [("stderr", "UserWarning: a\nUserWarning: b\n"), ("stdout", "1\n")]
    )
    three = _executed(
        tmp_path / "three.ipynb",
        [("stderr", "UserWarning: a\nUserWar"), ("stderr", "ning: b\n"), ("stdout", "1\n")],
    )
    assert one == two == three
    outs = nbformat.reads(one.decode(), as_version=4).cells[0].outputs
    assert [(o.output_type, o.get("name")) for o in outs] == [
        ("stream", "stderr"),
        ("stream", "stdout"),
        ("execute_result", None),
    ]
    assert outs[0].text == "UserWarning: a\nUserWarning: b\n"


def test_streams_of_different_names_and_their_order_are_kept(tmp_path):
    got = _executed(
        tmp_path / "nb.ipynb", [("stdout", "x\n"), ("stderr", "w\n"), ("stdout", "y\n")]
    )
    outs = nbformat.reads(got.decode(), as_version=4).cells[0].outputs
    assert [(o.get("name"), o.get("text")) for o in outs[:3]] == [
        ("stdout", "x\n"),
        ("stderr", "w\n"),
        ("stdout", "y\n"),
    ]


def test_a_progress_bar_keeps_its_last_state_only(tmp_path):
    # how many intermediate states a progress bar writes depends on timing
    fast = _executed(tmp_path / "fast.ipynb", [("stderr", "  0%|    | 0/4\r100%|####| 4/4\n")])
    slow = _executed(
        tmp_path / "slow.ipynb",
        [
            ("stderr", "  0%|    | 0/4\r"),
            ("stderr", " 50%|##  | 2/4\r"),
            ("stderr", "100%|####| 4/4\n"),
        ],
    )
    assert fast == slow
    assert nbformat.reads(fast.decode(), as_version=4).cells[0].outputs[0].text == (
        "100%|####| 4/4\n"
    )
