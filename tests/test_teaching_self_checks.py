"""Student copies keep a self-check per exercise that answers in plain words, and the null
notebooks say what a false positive at the nominal rate looks like."""

from __future__ import annotations

import json

import nbformat
import pytest

from enforcement_crime import teaching
from enforcement_crime.notebooks import to_notebook

SOURCES = teaching.teaching_sources()


def _tags(cell):
    return cell.get("metadata", {}).get("tags", [])


# --------------------------------------------------------------------------------------
# self_check: never raises, says pass / not answered / not yet, with the hint
# --------------------------------------------------------------------------------------


def test_self_check_reports_each_case_in_words_and_never_raises(capsys):
    hint = "subtract the changes"
    answer = ...
    assert not teaching.self_check("Ex 1", lambda: teaching.near(answer, 1.0, 0.1), hint)
    out = capsys.readouterr().out
    assert out.startswith("SELF-CHECK NOT ANSWERED YET: Ex 1") and hint in out
    assert "Traceback" not in out
    # an arithmetic test on `...` is caught the same way, and so is a name not defined yet
    assert not teaching.self_check("Ex 1", lambda: answer * 2 > 1, hint)
    assert "NOT ANSWERED YET" in capsys.readouterr().out
    assert not teaching.self_check("Ex 2", lambda: undefined_name > 0, hint)  # noqa: F821
    out = capsys.readouterr().out
    assert "NOT ANSWERED YET" in out and "`undefined_name` is not defined" in out
    # a comparison would call `...` merely wrong; answered() makes it "not answered"
    assert not teaching.self_check("Ex 3", lambda: teaching.answered(answer) == "x", hint)
    assert "NOT ANSWERED YET" in capsys.readouterr().out
    # wrong: says which side, not the target
    assert not teaching.self_check("Ex 4", lambda: teaching.near(1.5, 1.234567, 0.1), hint)
    out = capsys.readouterr().out
    assert "NOT YET: Ex 4" in out and "too high" in out and hint in out and "1.23" not in out
    assert not teaching.self_check("Ex 4", lambda: teaching.near(1.0, 1.234567, 0.1), hint)
    assert "too low" in capsys.readouterr().out
    # right
    assert teaching.self_check("Ex 5", lambda: teaching.near(1.2, 1.234567, 0.1), hint)
    out = capsys.readouterr().out
    assert out.startswith("SELF-CHECK PASS: Ex 5") and hint not in out
    assert teaching.self_check("Ex 6", lambda: True, hint)
    # an answer of the wrong kind
    assert not teaching.self_check("Ex 7", lambda: teaching.near("abc", 1.0, 0.1), hint)
    out = capsys.readouterr().out
    assert "COULD NOT CHECK: Ex 7" in out and "ValueError" in out and hint in out
    assert not teaching.self_check("Ex 8", lambda: teaching.near(float("nan"), 1.0, 0.1), hint)
    assert "not a finite number" in capsys.readouterr().out


def test_false_positive_note_counts_rejections_against_the_nominal_rate():
    # 2 of 4 p-values below 0.05; chance alone: 0.05 * 4 = 0.2
    text = teaching.false_positive_note([0.01, 0.2, 0.5, 0.03], 0.05, what="pre-trend test")
    assert text.startswith(
        "2 of 4 pre-trend tests have p < 0.05 (chance alone gives about 0.2)"
    )  # 0.05 x 4
    assert "about 5% of tests" in text and "false positive" in text
    none = teaching.false_positive_note([0.3, 0.6], 0.05)
    assert none.startswith("0 of 2 tests") and "none did here" in none
    one = teaching.false_positive_note(0.012, 0.10, what="test of no effect", null="no effect")
    assert one.startswith("The test of no effect has p = 0.012, below 0.1.")
    assert "about 10% of tests" in one and "With no effect" in one
    nan = teaching.false_positive_note([float("nan"), 0.5, 0.7], 0.05)
    assert "1 without a p-value left out" in nan and nan.startswith("0 of 2 tests")


# --------------------------------------------------------------------------------------
# the notebooks: one self-check per exercise, kept in the student copy
# --------------------------------------------------------------------------------------


def test_every_exercise_has_a_self_check_the_student_copy_keeps(tmp_path):
    builds = teaching.build_teaching(out=tmp_path, execute=False)
    for b in builds:
        nb = to_notebook(b.source)
        n = teaching.validate_exercises(nb, name=b.source.name)
        student = nbformat.read(b.student_ipynb, as_version=4)
        mine = [c for c in student.cells if teaching.SELF_CHECK_TAG in _tags(c)]
        assert len(mine) == n, b.source.name
        assert all("self_check(" in c.source for c in mine)
        # each self-check comes after its exercise's cells, before the next exercise
        tags = [_tags(c) for c in student.cells]
        order = [
            "E" if teaching.EXERCISE_TAG in t else "S"
            for t in tags
            if teaching.EXERCISE_TAG in t or teaching.SELF_CHECK_TAG in t
        ]
        assert "".join(order).replace("EE", "E").replace("EE", "E") == "ES" * n, b.source.name


def test_null_notebooks_say_what_a_false_positive_looks_like():
    for stem in ("05-infer-few-treated-clusters", "06-compute-minimum-detectable-effect"):
        (source,) = [p for p in SOURCES if p.stem == stem]
        assert "false_positive_note(" in source.read_text(), stem


@pytest.mark.notebooks
def test_student_copy_self_checks_say_not_answered_without_a_traceback(tmp_path, monkeypatch):
    from enforcement_crime.notebooks import execute_notebook

    monkeypatch.setenv("ENFORCEMENT_CRIME_REPORTS", str(tmp_path))
    (b,) = teaching.build_teaching(pattern="01-", out=tmp_path / "teaching", execute=False)
    run = execute_notebook(b.student_ipynb, output=tmp_path / "student-run.ipynb",
                           parameters={"interactive": False}, html=False)  # fmt: skip
    nb = nbformat.read(run.output, as_version=4)
    assert not [o for c in nb.cells for o in c.get("outputs", []) if o["output_type"] == "error"]
    said = [
        "".join(o.get("text", "") for o in c.get("outputs", []))
        for c in nb.cells
        if teaching.SELF_CHECK_TAG in _tags(c)
    ]
    assert len(said) == b.exercises
    for text in said:
        assert text.startswith("SELF-CHECK NOT ANSWERED YET") and "Hint:" in text, text
    assert teaching.CHECK_MARK not in json.dumps(nb.cells)


TINY = """# %% [markdown]
# Learning goals: SYNTHETIC DATA.

# %% tags=["parameters"]
interactive = True

# %% tags=["exercise"]
answer = ...

# %% tags=["solution"]
from enforcement_crime.teaching import check, self_check

answer = 2
check("answer", answer, 2, 0.1, "exact")

# %% tags=["self-check"]
self_check("Exercise 1", lambda: answer == {wanted}, "two")
"""


@pytest.mark.notebooks
def test_the_build_refuses_a_self_check_the_solution_does_not_pass(tmp_path, monkeypatch):
    monkeypatch.setenv("ENFORCEMENT_CRIME_REPORTS", str(tmp_path / "reports"))
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "01-tiny.py").write_text(TINY.format(wanted=3))
    with pytest.raises(ValueError, match="self-checks must pass.*NOT YET: Exercise 1"):
        teaching.build_teaching(root=tmp_path / "src", out=tmp_path / "out", html=False)
    (tmp_path / "src" / "01-tiny.py").write_text(TINY.format(wanted=2))
    (b,) = teaching.build_teaching(root=tmp_path / "src", out=tmp_path / "out", html=False)
    assert b.self_checks == b.exercises == 1
