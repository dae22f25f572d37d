"""The teaching track: notebook structure, the student build (no solution survives), and the
instructor copies (each executed from a clean state, every solution's check passing).

Instructor runs use papermill with ``interactive=False`` and reports redirected to ``tmp_path``
(``ENFORCEMENT_CRIME_REPORTS``). The size/power simulations of notebooks 05 and 06 run with fewer
replications here (:data:`FAST`); their tolerances are Monte-Carlo standard errors computed from
the replication count inside the notebook, so the checks stay honest at any size. ``make
teaching`` runs them at full size.
"""

from __future__ import annotations

import json
import re
import struct

import jupytext
import nbformat
import pytest

from enforcement_crime import config, teaching
from enforcement_crime.notebooks import to_notebook

# one worker builds this module's shared (module-scoped) inputs once: `make test` runs with
# pytest-xdist --dist loadgroup
pytestmark = [pytest.mark.xdist_group("teaching")]

SOURCES = teaching.teaching_sources()
IDS = [p.stem for p in SOURCES]
FAST = {
    "05-infer-few-treated-clusters": {"n_reps": 40, "n_boot": 199, "n_perm": 99},
    "06-compute-minimum-detectable-effect": {"n_sim": 150, "n_reps": 80},
}
TOPICS = [
    "two-by-two",
    "staggered",
    "modern-estimators",
    "pretrends",
    "clusters",
    "detectable-effect",
    "capstone",
]


def _tags(cell):
    return cell.get("metadata", {}).get("tags", [])


def _solution_lines(nb) -> set[str]:
    """Lines that occur in solution cells and nowhere else in the notebook (the solution's own text)."""
    other = {
        ln.strip()
        for c in nb.cells
        if teaching.SOLUTION_TAG not in _tags(c)
        for ln in c.source.splitlines()
    }
    own = {
        ln.strip()
        for c in nb.cells
        if teaching.SOLUTION_TAG in _tags(c)
        for ln in c.source.splitlines()
    }
    return {ln for ln in own - other if len(ln) >= 8}


def test_the_course_has_seven_numbered_notebooks_in_order():
    assert [p.name[:2] for p in SOURCES] == [f"{i:02d}" for i in range(1, 8)]
    for path, topic in zip(SOURCES, TOPICS, strict=True):
        assert re.fullmatch(r"\d\d-[a-z]+(-[a-z0-9]+)+\.py", path.name), path.name
        assert topic in path.stem, f"{path.name} should be the {topic!r} notebook"


@pytest.mark.parametrize("source", SOURCES, ids=IDS)
def test_notebook_structure(source):
    nb = to_notebook(source)
    first = nb.cells[0]
    assert first.cell_type == "markdown" and "Learning goals" in first.source, (
        "learning goals at the top"
    )
    assert re.search(r"synthetic|simulated", first.source, re.I), (
        "the header says the data are synthetic"
    )
    params = [c for c in nb.cells if "parameters" in _tags(c)]
    assert len(params) == 1, "exactly one papermill parameters cell"
    assert "interactive = True" in params[0].source, (
        "an `interactive` knob (widgets only with a live kernel)"
    )
    n = teaching.validate_exercises(
        nb, name=source.name
    )  # every exercise has a checked solution after it
    assert n >= 2
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "explore(" in code, "interactive knobs through teaching.explore"
    assert 'study="teaching"' in code and "save_figure(" in code, (
        "figures saved through save_figure under study teaching"
    )
    assert "data_banner(" in code, "a synthetic-data banner"
    for bad in ("!pip", "np.random.seed(", "/work/shared", "requests."):
        assert bad not in code, f"{source.name} uses {bad!r}"


def test_some_teaching_figure_uses_the_slides_style():
    users = [p.name for p in SOURCES if 'use_style("slides")' in p.read_text()]
    assert len(users) >= 2, users


def test_validate_exercises_rejects_unpaired_and_unchecked_solutions():
    def nb_of(*cells):
        return nbformat.v4.new_notebook(cells=list(cells))

    ex = nbformat.v4.new_code_cell("answer = ...", metadata={"tags": ["exercise"]})
    sol = nbformat.v4.new_code_cell("check('x', 1, 1, 0.1, 'r')", metadata={"tags": ["solution"]})
    unchecked = nbformat.v4.new_code_cell("answer = 1", metadata={"tags": ["solution"]})
    plain = nbformat.v4.new_code_cell("x = 1")
    mine = nbformat.v4.new_code_cell(
        "self_check('Exercise 1', lambda: answer == 1, 'hint')", metadata={"tags": ["self-check"]}
    )
    assert teaching.validate_exercises(nb_of(ex, sol, mine)) == 1
    with pytest.raises(ValueError, match="not followed by a cell tagged 'self-check'"):
        teaching.validate_exercises(nb_of(ex, sol, plain), name="demo")
    with pytest.raises(ValueError, match="has no solution cell right after it"):
        teaching.validate_exercises(nb_of(ex, plain, sol), name="demo")
    with pytest.raises(ValueError, match="checks nothing"):
        teaching.validate_exercises(nb_of(ex, unchecked))
    with pytest.raises(ValueError, match="does not follow an exercise"):
        teaching.validate_exercises(nb_of(plain, sol))


def test_student_copies_hold_no_solution(tmp_path):
    builds = teaching.build_teaching(out=tmp_path, execute=False)
    assert [b.source for b in builds] == SOURCES
    for b in builds:
        source_nb = to_notebook(b.source)
        secret = _solution_lines(source_nb)
        assert secret, f"{b.source.name}: no solution text found to test with"
        student = nbformat.read(b.student_ipynb, as_version=4)
        # by tag
        assert not [c for c in student.cells if teaching.SOLUTION_TAG in _tags(c)]
        # by text: in the .ipynb cells and in the .py file
        student_lines = {ln.strip() for c in student.cells for ln in c.source.splitlines()}
        py_text = b.student_py.read_text()
        leaked = sorted(ln for ln in secret if ln in student_lines or ln in py_text)
        assert not leaked, f"{b.student_ipynb.name}: solution text survives: {leaked[:3]}"
        assert '"solution"' not in py_text
        # exercises are kept, outputs cleared, and the .py copy reads back as the same cells
        n_ex = sum(teaching.EXERCISE_TAG in _tags(c) for c in source_nb.cells)
        assert sum(teaching.EXERCISE_TAG in _tags(c) for c in student.cells) == n_ex
        assert all(not c.get("outputs") for c in student.cells if c.cell_type == "code")
        assert len(jupytext.read(b.student_py).cells) == len(student.cells)
        assert len(student.cells) == len(source_nb.cells) - sum(
            teaching.SOLUTION_TAG in _tags(c) for c in source_nb.cells
        )


def _png_size(path):
    with open(path, "rb") as fh:
        head = fh.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


@pytest.fixture(scope="module")
def instructor_runs(tmp_path_factory):
    """Every instructor copy built once into a fresh temporary reports folder, two at a time.

    Each notebook runs in its own new kernel (papermill), so every run starts from a clean
    state; running two at once only uses both cores. Returns (reports root, {source: build or
    the exception it raised}).
    """
    from concurrent.futures import ThreadPoolExecutor

    root = tmp_path_factory.mktemp("teaching-reports")

    def build(source):
        try:
            (b,) = teaching.build_teaching(
                pattern=source.name, out=root / "teaching", parameters=FAST.get(source.stem)
            )
            return b
        except Exception as exc:  # reported by that notebook's test
            return exc

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ENFORCEMENT_CRIME_REPORTS", str(root))
        with ThreadPoolExecutor(max_workers=2) as pool:
            results = dict(zip(SOURCES, pool.map(build, SOURCES), strict=True))
    return root, results


@pytest.mark.notebooks
@pytest.mark.parametrize("source", SOURCES, ids=IDS)
def test_instructor_copy_runs_and_every_solution_checks_out(source, instructor_runs):
    root, results = instructor_runs
    b = results[source]
    if isinstance(b, Exception):
        raise b
    assert b.instructor.is_file() and b.html.is_file()
    nb = nbformat.read(b.instructor, as_version=4)
    errors = [
        o
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    assert not errors, errors[:1]
    injected = [c for c in nb.cells if "injected-parameters" in _tags(c)]
    assert injected and "interactive = False" in injected[0].source
    # each exercise's solution printed at least one CHECKED line, right after the exercise
    for ex, sol in teaching.exercise_pairs(nb):
        printed = "".join(
            o.get("text", "")
            for i in sol
            for o in nb.cells[i].get("outputs", [])
            if o.get("output_type") == "stream"
        )
        assert teaching.CHECK_MARK in printed, f"solution after cell {ex[0]} checked nothing"
    assert b.checks >= b.exercises
    # figures: saved under study "teaching", marked synthetic, with their numbers
    pngs = sorted((root / "figures" / "teaching").glob(f"fig_teaching_{source.name[:2]}_*.png"))
    assert pngs, "no figure saved under reports/figures/teaching"
    for png in pngs:
        csv = png.with_suffix(".csv")
        assert png.with_suffix(".pdf").stat().st_size > 0
        assert "is_synthetic" in csv.read_text().splitlines()[0] and ",True" in csv.read_text()
    if 'use_style("slides")' in source.read_text():
        w, h = _png_size(pngs[0])
        # slides style is 10 x 5.625 in (16:9); bbox="tight" trims margins, so allow 1.4-2.2
        assert 1.4 < w / h < 2.2, (png.name, w, h)


def test_check_helpers(capsys):
    assert teaching.check("x", 1.05, 1.0, 0.1, "reason")
    assert teaching.CHECK_MARK in capsys.readouterr().out
    with pytest.raises(AssertionError, match="check failed"):
        teaching.check("x", 1.5, 1.0, 0.1, "reason")
    with pytest.raises(AssertionError):
        teaching.check("x", float("nan"), 1.0, 0.1, "reason")
    with pytest.raises(ValueError):
        teaching.check("x", 1.0, 1.0, 0.0, "reason")
    assert (
        teaching.explore(lambda a=1: a, False, a=(0, 2)) is None
    )  # never a widget without interactive


def test_every_estimator_the_course_uses_exists():
    from enforcement_crime import estimators

    used = set()
    for p in SOURCES:
        text = p.read_text()
        assert "from enforcement_crime import estimators as est" in text, p.name
        used |= set(re.findall(r"\best\.([a-z_]+)\(", text))
    assert used, "the course calls no estimator through est.<name>(...)"
    missing = sorted(n for n in used if not callable(getattr(estimators, n, None)))
    assert not missing, (
        f"the course calls estimators that enforcement_crime.estimators lacks: {missing}"
    )


def test_lab_settings_open_py_files_as_notebooks(tmp_path):
    target = tmp_path / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    target.parent.mkdir(parents=True)
    target.write_text(
        json.dumps({"@jupyterlab/apputils-extension:themes": {"theme": "JupyterLab Dark"}})
    )
    path = teaching.install_lab_settings(prefix=tmp_path)
    data = json.loads(path.read_text())
    assert (
        data["@jupyterlab/docmanager-extension:plugin"]["defaultViewers"]["python"]
        == "Jupytext Notebook"
    )
    assert data["@jupyterlab/apputils-extension:themes"]["theme"] == "JupyterLab Dark", (
        "other settings kept"
    )
    cmd = teaching.lab_command(["--no-browser"])
    config_file = config.project_root() / "jupyter" / "jupyter_lab_config.py"
    assert f"--config={config_file}" in cmd and cmd[-1] == "--no-browser"
    assert f"--ServerApp.root_dir={config.project_root()}" in cmd
    assert 'default_kernel_name = "enforcement-crime"' in config_file.read_text()


def test_lab_opens_at_the_project_root_and_notebook_links_resolve_inside_it():
    """Study notebooks, reports/, README.md and every relative link of a study notebook are in the lab."""
    root = teaching.lab_root()
    assert root == config.project_root()
    for reachable in (config.notebooks_dir(), config.project_root() / "README.md"):
        assert reachable.exists() and reachable.resolve().is_relative_to(root.resolve())
    assert (root / "reports").is_dir(), (
        "reports/ (figures, tables, executed notebooks) is reachable"
    )
    links = 0
    for source in config.notebooks_dir().rglob("*.py"):
        for target in re.findall(r"\]\((\.\.?/[^)#\s]+)", source.read_text()):
            path = (source.parent / target).resolve()
            assert path.exists(), f"{source.name}: link {target} does not exist"
            assert path.is_relative_to(root.resolve()), (
                f"{source.name}: {target} is outside the lab"
            )
            links += 1
    assert links, "no relative link found to check"


def test_a_student_lab_is_rooted_at_the_student_copies(tmp_path, monkeypatch):
    monkeypatch.setenv("ENFORCEMENT_CRIME_REPORTS", str(tmp_path))
    cmd = teaching.lab_command(student=True)
    assert f"--ServerApp.root_dir={tmp_path / 'teaching' / 'student'}" in cmd
    with pytest.raises(FileNotFoundError, match="teaching --no-execute"):
        teaching.start_lab(student=True)


def test_makefile_runs_the_teaching_build_and_the_lab_command():
    text = (config.project_root() / "Makefile").read_text()
    assert re.search(r"^all:.*\bteaching\b", text, re.M), "`make all` runs the teaching notebooks"
    assert re.search(r"^teaching:.*\n\t.*-m enforcement_crime teaching\b", text, re.M)
    assert re.search(r"^lab:.*\n\t.*-m enforcement_crime lab\b", text, re.M)


@pytest.mark.notebooks
def test_a_live_kernel_gets_widgets_and_a_papermill_run_does_not_block(tmp_path, monkeypatch):
    """With interactive=True in a real kernel, explore() draws ipywidgets sliders and returns."""
    from enforcement_crime.notebooks import execute_notebook

    monkeypatch.setenv("ENFORCEMENT_CRIME_REPORTS", str(tmp_path))
    run = execute_notebook(
        SOURCES[0],
        output=tmp_path / "live.ipynb",
        parameters={"interactive": True},
        html=False,
        timeout=120,
    )
    nb = nbformat.read(run.output, as_version=4)
    mimes = {
        m
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        for m in o.get("data", {})
    }
    assert "application/vnd.jupyter.widget-view+json" in mimes, sorted(mimes)


@pytest.mark.slow
@pytest.mark.parametrize("source", SOURCES, ids=IDS)
def test_student_copy_runs_top_to_bottom(source, tmp_path, monkeypatch):
    """A student copy (solutions removed, exercises left as `...`) still executes without error."""
    from enforcement_crime.notebooks import execute_notebook

    monkeypatch.setenv("ENFORCEMENT_CRIME_REPORTS", str(tmp_path))
    (b,) = teaching.build_teaching(pattern=source.name, out=tmp_path / "teaching", execute=False)
    run = execute_notebook(b.student_ipynb, output=tmp_path / "student-run.ipynb",
                           parameters={"interactive": False, **FAST.get(source.stem, {})}, html=False)  # fmt: skip
    nb = nbformat.read(run.output, as_version=4)
    errors = [
        o
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    assert not errors, errors[:1]
    assert teaching.CHECK_MARK not in json.dumps(nb.cells), "a check ran in the student copy"
