"""The teaching track: helpers the course notebooks call, the student/instructor build, JupyterLab.

Teaching notebooks live in ``notebooks/teaching/`` as jupytext percent ``.py``
files. Exercise cells are tagged ``exercise`` and each exercise is followed by
its answer in cells tagged ``solution``, then by a self-check cell tagged
``self-check``. Every code solution checks its answer against the truth the
simulation knows with :func:`check` (which prints a ``CHECKED`` line or
raises ``AssertionError``). The self-check cell stays in the student copy:
it calls :func:`self_check`, which says in plain words whether the student's
answer passes, is still ``...``, or is off, with a hint, and never raises.
The build requires every self-check to pass on the instructor copy (run on
the solution's answer).

:func:`build_teaching` (``make teaching``) writes

* ``reports/teaching/student/<name>.ipynb`` and ``.py``: solution cells
  removed, outputs cleared;
* ``reports/teaching/instructor/<name>.ipynb`` and ``.html``: the full
  notebook executed with papermill (``interactive=False``, so no widget is
  drawn and nothing waits for a user).

Notebook helpers
----------------
:func:`check`
    Compare an answer with the truth within a stated tolerance and reason.
:func:`explore`
    ``ipywidgets.interact`` when ``interactive`` and a live kernel with
    ipywidgets is present; otherwise a note on which parameters to change.

JupyterLab
----------
:func:`lab_command` is the one command ``make lab`` runs (through
``python -m enforcement_crime lab`` and :func:`start_lab`; the browser test
starts it with extra arguments): JupyterLab with ``jupyter/jupyter_lab_config.py``
(project kernel ``enforcement-crime`` by default, the project root as root; with
``student=True``, ``python -m enforcement_crime lab --student``, the student
copies' folder instead) after
:func:`install_lab_settings` has copied ``jupyter/lab/overrides.json`` into
``<sys.prefix>/share/jupyter/lab/settings`` so that ``.py`` files open as
notebooks (jupytext) by default. Nothing is written to the user's home.
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from enforcement_crime import config

__all__ = [
    "EXERCISE_TAG",
    "SOLUTION_TAG",
    "SELF_CHECK_TAG",
    "CHECK_MARK",
    "SELF_CHECK_MARK",
    "TeachingBuild",
    "check",
    "check_that",
    "self_check",
    "near",
    "answered",
    "false_positive_note",
    "explore",
    "live_kernel",
    "label_synthetic",
    "teaching_sources",
    "exercise_pairs",
    "validate_exercises",
    "student_notebook",
    "build_teaching",
    "install_lab_settings",
    "student_lab_root",
    "lab_root",
    "lab_command",
    "start_lab",
]

EXERCISE_TAG = "exercise"
SOLUTION_TAG = "solution"
SELF_CHECK_TAG = "self-check"
CHECK_MARK = "CHECKED"
#: first word of every line :func:`self_check` prints
SELF_CHECK_MARK = "SELF-CHECK"


# --------------------------------------------------------------------------------------------
# helpers called by the notebooks
# --------------------------------------------------------------------------------------------
def check(
    name: str, value: float, truth: float, tol: float, reason: str, *, against: str = "truth"
) -> bool:
    """Assert ``|value - truth| <= tol`` and print a ``CHECKED`` line.

    Parameters
    ----------
    name : str
        What is checked.
    value, truth : float
        The answer and the truth the simulation knows.
    tol : float
        The tolerance (positive, finite).
    reason : str
        Why this tolerance (e.g. "4 standard errors: sampling noise").
    against : str
        What ``truth`` is, for the printed line (default ``"truth"``; e.g.
        ``"the 2x2 DiD"`` when an identity is checked).

    Raises
    ------
    AssertionError
        When the answer is off by more than ``tol`` or is not finite.
    """
    value, truth, tol = float(value), float(truth), float(tol)
    if not (math.isfinite(tol) and tol > 0):
        raise ValueError(f"check({name!r}): tolerance must be positive and finite, got {tol}")
    diff = abs(value - truth)
    ok = math.isfinite(value) and diff <= tol
    line = f"{name}: {value:.5g} vs {against} {truth:.5g}, |diff| = {diff:.3g} {'<=' if ok else '>'} {tol:.3g} ({reason})"
    if not ok:
        raise AssertionError(f"check failed: {line}")
    print(f"{CHECK_MARK} {line}")
    return True


def check_that(name: str, condition: bool, detail: str) -> bool:
    """Assert a condition about the truth (e.g. an interval covers it) and print a ``CHECKED`` line."""
    if not bool(condition):
        raise AssertionError(f"check failed: {name}: {detail}")
    print(f"{CHECK_MARK} {name}: {detail}")
    return True


def answered(value):
    """``value``, or ``TypeError`` when it is still the exercise's ``...`` (for a :func:`self_check` test).

    A test that only compares (``answer == expected``) would quietly call an
    unanswered ``...`` wrong; wrapping the answer in ``answered(...)`` makes
    :func:`self_check` say "not answered yet" instead.
    """
    if value is Ellipsis:
        raise TypeError("the answer is still ellipsis (...)")
    return value


def near(value, target, tol: float, what: str = "your answer") -> tuple[bool, str]:
    """Whether ``value`` is within ``tol`` of ``target``, and a sentence saying so without the target.

    For :func:`self_check`: the sentence says "too high" or "too low" and by
    more than how much, never the target itself (the student should find it).
    A value that is not a number raises ``TypeError``/``ValueError`` (which
    :func:`self_check` turns into plain words).
    """
    value, target = float(value), float(target)
    if not math.isfinite(value):
        return False, f"{what} is {value}, not a finite number"
    if abs(value - target) <= tol:
        return True, f"{what} ({value:.4g}) is within {tol:.2g} of the expected value"
    side = "too high" if value > target else "too low"
    return False, f"{what} ({value:.4g}) is {side} by more than {tol:.2g}"


def self_check(exercise: str, test: Callable[[], object], hint: str) -> bool:
    """The student-side check of an exercise: pass or not, in plain words, with a hint; never raises.

    Parameters
    ----------
    exercise : str
        Which exercise (e.g. ``"Exercise 1 (the 2x2 DiD)"``).
    test : callable
        Called with no argument; returns True/False or ``(bool, sentence)``
        (e.g. from :func:`near`). It reads the student's variables, so an
        answer still ``...``, a name not defined yet or a value of the wrong
        kind makes it raise: that is reported, not raised.
    hint : str
        What to try when the answer does not pass yet.

    Returns
    -------
    bool
        Whether the answer passed. One line is printed, starting with
        :data:`SELF_CHECK_MARK` and then ``PASS``, ``NOT ANSWERED YET``,
        ``NOT YET`` or ``COULD NOT CHECK``.
    """
    try:
        result = test()
    except NameError as err:
        missing = getattr(err, "name", None) or str(err)
        print(
            f"{SELF_CHECK_MARK} NOT ANSWERED YET: {exercise}: `{missing}` is not defined; "
            f"write your answer in the exercise cell and run it. Hint: {hint}"
        )
        return False
    except Exception as err:  # noqa: BLE001 - reported in words, never raised to a student
        if "ellipsis" in str(err).lower():
            print(
                f"{SELF_CHECK_MARK} NOT ANSWERED YET: {exercise}: an answer is still `...`; "
                f"replace it with your answer and run the cell. Hint: {hint}"
            )
        else:
            print(
                f"{SELF_CHECK_MARK} COULD NOT CHECK: {exercise}: your answer could not be read "
                f"({type(err).__name__}: {err}). Hint: {hint}"
            )
        return False
    ok, detail = result if isinstance(result, tuple) else (bool(result), "")
    ok = bool(ok)
    detail = f": {detail}" if detail else ""
    if ok:
        print(f"{SELF_CHECK_MARK} PASS: {exercise}{detail}")
    else:
        print(f"{SELF_CHECK_MARK} NOT YET: {exercise}{detail}. Hint: {hint}")
    return ok


def false_positive_note(
    p_values, alpha: float = 0.05, *, what: str = "test", null: str = "no true effect"
) -> str:
    """A sentence on how many of ``p_values`` are below ``alpha`` and how many chance alone gives.

    On a panel with ``null`` (e.g. the built-in null preset), a test of size
    ``alpha`` still rejects in about ``alpha`` of cases: one p-value below
    0.05 among twenty is what no effect looks like (and so is a 95% interval
    excluding 0, the same event for a t-test). The sentence states the
    count, the expected count and, when at least one rejects, that this is
    expected in about ``alpha`` of tests even with no effect. NaN p-values are
    left out and said so.

    Parameters
    ----------
    p_values : float or iterable of float
        The p-values of the tests shown (one test: a single number).
    alpha : float
        The nominal level.
    what : str
        What one test is, in words (e.g. ``"pre-trend test"``).
    null : str
        What is true of the data, in words.
    """
    import numpy as np

    p = np.atleast_1d(np.asarray(p_values, dtype=float))
    n_nan = int(np.isnan(p).sum())
    p = p[~np.isnan(p)]
    n, k = p.size, int((p < alpha).sum())
    skipped = f" ({n_nan} without a p-value left out)" if n_nan else ""
    if n == 0:
        return f"No {what} has a p-value to read{skipped}."
    share = f"about {alpha:.0%} of tests"
    if n == 1:
        head = f"The {what} has p = {p[0]:.3g}, {'below' if k else 'not below'} {alpha:g}{skipped}."
    else:
        head = (
            f"{k} of {n} {what}s have p < {alpha:g} (chance alone gives about "
            f"{alpha * n:.2g}){skipped}."
        )
    if k:
        tail = (
            f" With {null}, a test at the {alpha:g} level still rejects in {share}: "
            "a p-value below it is what a false positive at the nominal rate looks like, "
            "not evidence of an effect by itself."
        )
    else:
        tail = f" With {null}, {share} would still reject by chance; none did here."
    return head + tail


def live_kernel() -> bool:
    """True inside an IPython kernel (a notebook), False in plain Python."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def _slider(fn, name, abbrev, ipywidgets):
    """A slider that recomputes on release (simulations are not instant) for a (min, max[, step]) tuple."""
    import inspect

    if not (
        isinstance(abbrev, tuple)
        and 2 <= len(abbrev) <= 3
        and all(isinstance(x, int | float) for x in abbrev)
    ):
        return abbrev  # lists (dropdowns) and widgets as given
    default = inspect.signature(fn).parameters[name].default
    lo, hi = abbrev[0], abbrev[1]
    kind = (
        ipywidgets.IntSlider if all(isinstance(x, int) for x in abbrev) else ipywidgets.FloatSlider
    )
    step = (
        abbrev[2] if len(abbrev) == 3 else (1 if kind is ipywidgets.IntSlider else (hi - lo) / 20)
    )
    value = default if isinstance(default, int | float) and lo <= default <= hi else lo
    return kind(value=value, min=lo, max=hi, step=step, continuous_update=False, description=name)


def explore(fn: Callable[..., object], interactive: bool, **knobs):
    """Sliders for ``fn``'s knobs when a person is at a live kernel; a plain note otherwise.

    Parameters
    ----------
    fn : callable
        Redraws/recomputes from keyword arguments named as ``knobs``.
    interactive : bool
        The notebook's ``interactive`` parameter (``build_teaching`` and the
        tests pass False so papermill runs never draw widgets).
    **knobs
        ``ipywidgets.interact`` abbreviations, e.g. ``effect=(-0.3, 0.3, 0.01)``.

    Returns
    -------
    The ``interact`` widget, or None when not interactive.
    """
    if interactive and live_kernel():
        try:
            import ipywidgets
        except ImportError:
            print("ipywidgets is not installed: change the parameters cell and re-run instead.")
            return None
        return ipywidgets.interact(
            fn, **{k: _slider(fn, k, v, ipywidgets) for k, v in knobs.items()}
        )
    print(
        "Not interactive (interactive=False or no live kernel): change "
        + ", ".join(knobs)
        + " in the parameters cell and re-run to explore."
    )
    return None


def label_synthetic(df, source: str):
    """Mark a simulated teaching panel as synthetic (``is_synthetic``, ``source``) for banners and saves.

    Returns a copy; :func:`enforcement_crime.panels.data_banner` then shows
    the red SYNTHETIC DATA banner naming ``source``.
    """
    return df.assign(is_synthetic=True, source=f"synthetic: {source}")


# --------------------------------------------------------------------------------------------
# the build
# --------------------------------------------------------------------------------------------
def teaching_sources(root: str | Path | None = None, pattern: str | None = None) -> list[Path]:
    """Teaching notebook sources (``notebooks/teaching/NN-*.py``), sorted."""
    root = Path(root) if root else config.notebooks_dir() / "teaching"
    paths = sorted(p for p in root.glob("*.py") if not p.name.startswith(("_", ".")))
    if pattern:
        paths = [p for p in paths if pattern in p.name]
    return paths


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def exercise_pairs(nb) -> list[tuple[list[int], list[int]]]:
    """Group cells into (exercise cell indices, following solution cell indices) pairs.

    An exercise is a run of consecutive cells tagged ``exercise``; its
    solution is the run of ``solution`` cells immediately after it (empty when
    there is none).
    """
    cells = nb.cells
    pairs: list[tuple[list[int], list[int]]] = []
    i = 0
    while i < len(cells):
        if EXERCISE_TAG in _tags(cells[i]):
            ex = []
            while i < len(cells) and EXERCISE_TAG in _tags(cells[i]):
                ex.append(i)
                i += 1
            sol = []
            while i < len(cells) and SOLUTION_TAG in _tags(cells[i]):
                sol.append(i)
                i += 1
            pairs.append((ex, sol))
        else:
            i += 1
    return pairs


def validate_exercises(nb, name: str = "notebook") -> int:
    """Check the exercise/solution/self-check structure; return the number of exercises.

    Raises
    ------
    ValueError
        Naming the notebook and cell when an exercise has no solution right
        after it, a cell is tagged both, a solution has no exercise before it,
        a solution's code does no :func:`check`, or a solution is not followed
        by a cell tagged ``self-check`` that calls :func:`self_check` (the
        check the student copy keeps).
    """
    pairs = exercise_pairs(nb)
    problems = []
    paired = {i for _, sol in pairs for i in sol}
    for k, cell in enumerate(nb.cells):
        tags = _tags(cell)
        if EXERCISE_TAG in tags and SOLUTION_TAG in tags:
            problems.append(f"cell {k} is tagged both exercise and solution")
        if SOLUTION_TAG in tags and k not in paired:
            problems.append(f"solution cell {k} does not follow an exercise")
    for ex, sol in pairs:
        if not sol:
            problems.append(f"exercise at cell {ex[0]} has no solution cell right after it")
            continue
        code = "\n".join(nb.cells[i].source for i in sol if nb.cells[i].cell_type == "code")
        if "check(" not in code and "check_that(" not in code:
            problems.append(
                f"solution at cells {sol} checks nothing against the truth (no check()/check_that())"
            )
        after = sol[-1] + 1
        if not (
            after < len(nb.cells)
            and SELF_CHECK_TAG in _tags(nb.cells[after])
            and "self_check(" in nb.cells[after].source
        ):
            problems.append(
                f"solution at cells {sol} is not followed by a cell tagged {SELF_CHECK_TAG!r} "
                "calling self_check() (the student copy's check)"
            )
    if not pairs:
        problems.append("no exercise cells")
    if problems:
        raise ValueError(f"{name}: " + "; ".join(problems))
    return len(pairs)


def student_notebook(nb):
    """A copy of ``nb`` without solution cells and with outputs cleared."""
    import copy

    out = copy.deepcopy(nb)
    out.cells = [c for c in out.cells if SOLUTION_TAG not in _tags(c)]
    for c in out.cells:
        if c.cell_type == "code":
            c.outputs = []
            c.execution_count = None
    return out


@dataclass
class TeachingBuild:
    """What :func:`build_teaching` wrote for one notebook."""

    source: Path
    student_ipynb: Path
    student_py: Path
    instructor: Path | None = None
    html: Path | None = None
    seconds: float = float("nan")
    exercises: int = 0
    checks: int = 0
    self_checks: int = 0


def _output_text(nb) -> list[str]:
    lines = []
    for c in nb.cells:
        if c.cell_type != "code":
            continue
        for o in c.get("outputs", []):
            if o.get("output_type") == "stream":
                lines.extend(str(o.get("text", "")).splitlines())
    return lines


def build_teaching(
    root: str | Path | None = None,
    out: str | Path | None = None,
    *,
    pattern: str | None = None,
    parameters: Mapping[str, object] | None = None,
    execute: bool = True,
    html: bool = True,
    jobs: int | None = None,
) -> list[TeachingBuild]:
    """Write student copies (no solutions) and executed instructor copies of the teaching notebooks.

    Parameters
    ----------
    root : path, optional
        Folder of teaching sources (default ``notebooks/teaching``).
    out : path, optional
        Output folder (default ``reports/teaching``, which follows
        ``ENFORCEMENT_CRIME_REPORTS``).
    pattern : str, optional
        Only notebooks whose file name contains this text.
    parameters : mapping, optional
        Papermill parameters for every instructor run, on top of
        ``interactive=False``.
    execute, html : bool
        Execute the instructor copies / also write their HTML.
    jobs : int, optional
        Instructor copies executed at once (default: one per core; see
        :func:`enforcement_crime.notebooks.resolve_jobs`).

    Returns
    -------
    list of TeachingBuild

    Raises
    ------
    FileNotFoundError
        When no teaching notebook is found.
    ValueError
        When a notebook's exercises and solutions are not paired (see
        :func:`validate_exercises`), or when an instructor copy's self-check
        (:func:`self_check`, run on the solution's answer) does not pass.
    """
    # the notebook runner first: it defers a slow import of nbformat's (_lazy_imports.defer_iri_grammar)
    from enforcement_crime.notebooks import _Heartbeat, execute_notebook, run_parallel, to_notebook

    import jupytext  # isort: skip
    import nbformat  # isort: skip

    sources = teaching_sources(root, pattern)
    if not sources:
        raise FileNotFoundError(
            f"no teaching notebooks under {root or config.notebooks_dir() / 'teaching'} matching {pattern!r}"
        )
    out = Path(out) if out else config.reports_dir() / "teaching"
    student_dir, instructor_dir = out / "student", out / "instructor"
    student_dir.mkdir(parents=True, exist_ok=True)
    instructor_dir.mkdir(parents=True, exist_ok=True)
    params = {"interactive": False, **dict(parameters or {})}
    builds = []
    for source in sources:
        nb = to_notebook(source)
        n_ex = validate_exercises(nb, name=str(source))
        student = student_notebook(nb)
        b = TeachingBuild(
            source,
            student_dir / f"{source.stem}.ipynb",
            student_dir / f"{source.stem}.py",
            exercises=n_ex,
        )
        nbformat.write(student, b.student_ipynb)
        jupytext.write(student, b.student_py, fmt="py:percent")
        print(
            f"[teaching] {source.name}: student copy ({n_ex} exercises, solutions removed)",
            flush=True,
        )
        builds.append(b)

    def instructor(b: TeachingBuild) -> None:
        with _Heartbeat(f"[teaching] {b.source.name}"):
            run = execute_notebook(
                b.source,
                output=instructor_dir / f"{b.source.stem}.ipynb",
                parameters=params,
                html=html,
            )
        b.instructor, b.html, b.seconds = run.output, run.html, run.seconds
        lines = _output_text(nbformat.read(run.output, as_version=4))
        b.checks = sum(line.startswith(CHECK_MARK) for line in lines)
        mine = [line for line in lines if line.startswith(SELF_CHECK_MARK)]
        b.self_checks = sum(line.startswith(f"{SELF_CHECK_MARK} PASS") for line in mine)
        if len(mine) < b.exercises or b.self_checks < len(mine):
            failing = [line for line in mine if not line.startswith(f"{SELF_CHECK_MARK} PASS")]
            raise ValueError(
                f"{b.source}: the student self-checks must pass on the solutions' answers "
                f"({b.self_checks} of {len(mine)} passed, {b.exercises} exercises): "
                + "; ".join(failing[:3])
            )
        print(
            f"[teaching] {b.source.name}: instructor copy in {run.seconds:.1f} s, "
            f"{b.checks} checks passed",
            flush=True,
        )

    if execute:
        # longest first, so the two cores finish together
        order = sorted(builds, key=lambda b: -b.source.stat().st_size)
        run_parallel(instructor, order, jobs=jobs)
    return builds


# --------------------------------------------------------------------------------------------
# JupyterLab
# --------------------------------------------------------------------------------------------
def _jupyter_dir() -> Path:
    return config.project_root() / "jupyter"


def install_lab_settings(prefix: str | Path | None = None) -> Path:
    """Merge ``jupyter/lab/overrides.json`` into ``<prefix>/share/jupyter/lab/settings/overrides.json``.

    ``prefix`` defaults to ``sys.prefix`` (the project's ``.venv``), never the
    user's home. Keys already there for other plugins are kept.
    """
    prefix = Path(prefix or sys.prefix)
    ours = json.loads((_jupyter_dir() / "lab" / "overrides.json").read_text())
    target = prefix / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    merged = json.loads(target.read_text()) if target.is_file() else {}
    for plugin, settings in ours.items():
        current = merged.setdefault(plugin, {})
        for key, value in settings.items():
            if isinstance(value, dict) and isinstance(current.get(key), dict):
                current[key] = {**current[key], **value}
            else:
                current[key] = value
    target.write_text(json.dumps(merged, indent=2, sort_keys=True) + "\n")
    return target


def student_lab_root() -> Path:
    """The folder a student's JupyterLab shows: the student copies (``reports/teaching/student``)."""
    return config.reports_dir() / "teaching" / "student"


def lab_root(student: bool = False) -> Path:
    """JupyterLab's root folder: the project root, or :func:`student_lab_root` for students.

    At the project root the study notebooks, ``reports/`` (figures, tables,
    executed notebooks), ``README.md`` and ``src/`` are all reachable, so the
    notebooks' relative links into ``src/`` open. A student's lab shows the
    student copies only (no solutions, no instructor copies).
    """
    return student_lab_root() if student else config.project_root()


def lab_command(extra: Iterable[str] = (), *, student: bool = False) -> list[str]:
    """The JupyterLab command ``make lab`` runs, with ``extra`` arguments appended.

    The server is rooted at :func:`lab_root` (``student``: the student
    copies). As root (containers, CI) ``--allow-root`` is added: JupyterLab
    refuses to start as root otherwise.
    """
    root = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    return [
        sys.executable, "-m", "jupyter", "lab",
        f"--config={_jupyter_dir() / 'jupyter_lab_config.py'}",
        f"--ServerApp.root_dir={lab_root(student)}",
        *root,
        *extra,
    ]  # fmt: skip


def start_lab(extra: Iterable[str] = (), *, student: bool = False) -> None:
    """Install the Lab settings and replace this process with :func:`lab_command` (``make lab``).

    Raises
    ------
    FileNotFoundError
        (``student``) When there are no student copies yet, naming the
        command that writes them.
    """
    if student and not any(student_lab_root().glob("*.ipynb")):
        raise FileNotFoundError(
            f"no student copies in {student_lab_root()}: write them first with "
            "`python -m enforcement_crime teaching --no-execute` (or `make teaching`)"
        )
    install_lab_settings()
    cmd = lab_command(extra, student=student)
    print("[lab] " + " ".join(cmd), flush=True)
    # a non-interactive MPLBACKEND (e.g. Agg, common in CI shells) would reach every kernel
    # and hide all figures; JupyterLab kernels choose the inline backend themselves
    os.environ.pop("MPLBACKEND", None)
    os.execv(cmd[0], cmd)  # pragma: no cover - replaces the process
