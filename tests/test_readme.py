"""README.md: the generated blocks keep their anchors, and every command it shows exists.

Three scripts rewrite parts of the README between markers (``real --readme``,
``benchmarks/size_study.py --readme``, ``benchmarks/suite_timings.py --readme``);
these tests run each writer on a copy of the real README and check that it finds
its block and changes nothing outside it. The command tests parse every
``python -m enforcement_crime ...`` line with the real command-line parser and
check every ``make <target>`` against the Makefile's targets.
"""

from __future__ import annotations

import importlib.util
import re
import shlex

import pytest

from enforcement_crime import cli, config, real

ROOT = config.project_root()
README = ROOT / "README.md"

MARKERS = {
    "real results": (real.README_START, real.README_END),
    "size summary": ("<!-- size-summary:start -->", "<!-- size-summary:end -->"),
    "suite timings": ("<!-- suite-timings:begin -->", "<!-- suite-timings:end -->"),
}


def _suite_timings():
    spec = importlib.util.spec_from_file_location(
        "suite_timings_for_test", ROOT / "benchmarks" / "suite_timings.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _outside(text: str, start: str, end: str) -> tuple[str, str]:
    head, rest = text.split(start, 1)
    return head, rest.split(end, 1)[1]


@pytest.mark.parametrize("block", sorted(MARKERS))
def test_each_generated_block_has_its_markers_once_and_in_order(block):
    text = README.read_text()
    start, end = MARKERS[block]
    assert text.count(start) == 1, f"README.md: {start} appears {text.count(start)} times"
    assert text.count(end) == 1, f"README.md: {end} appears {text.count(end)} times"
    assert text.index(start) < text.index(end)


@pytest.mark.parametrize("block", ["real results", "size summary"])
def test_write_readme_section_rewrites_only_its_block_of_the_real_readme(block, tmp_path):
    copy = tmp_path / "README.md"
    original = README.read_text()
    copy.write_text(original)
    start, end = MARKERS[block]
    real.write_readme_section("NEW BLOCK TEXT", copy, start=start, end=end)
    new = copy.read_text()
    assert f"{start}\nNEW BLOCK TEXT\n{end}" in new
    assert _outside(new, start, end) == _outside(original, start, end)


def test_suite_timings_rewrites_only_its_block_of_the_real_readme(tmp_path, monkeypatch):
    module = _suite_timings()
    original = README.read_text()
    (tmp_path / "README.md").write_text(original)
    monkeypatch.setattr(module, "ROOT", tmp_path)
    module._write_readme([("make teaching", 12.5, 30.0, "")])
    new = (tmp_path / "README.md").read_text()
    start, end = MARKERS["suite timings"]
    block = new.split(start, 1)[1].split(end, 1)[0]
    assert "| make teaching | 12.5 | 30 |  |" in block
    assert "1 min 13 s" not in block  # the rows written before are replaced
    assert _outside(new, start, end) == _outside(original, start, end)


def _code(text: str) -> list[str]:
    """Every line of the README's fenced code blocks and every inline code span."""
    blocks = re.findall(r"^```[^\n]*\n(.*?)^```", text, flags=re.S | re.M)
    outside = re.sub(r"^```[^\n]*\n.*?^```", "", text, flags=re.S | re.M)
    spans = [" ".join(s.split()) for s in re.findall(r"`([^`]+)`", outside)]
    return [ln for b in blocks for ln in b.splitlines()] + spans


def _cli_commands(text: str) -> list[str]:
    found = []
    for piece in _code(text):
        m = re.search(r"python -m enforcement_crime(?P<args>[^#]*)", piece)
        if m:
            found.append(m["args"].strip())
    return found


def test_readme_shows_commands_of_the_command_line():
    assert len(_cli_commands(README.read_text())) >= 10


@pytest.mark.parametrize("args", sorted(set(_cli_commands(README.read_text()))))
def test_every_command_line_in_the_readme_parses(args, capsys):
    argv = shlex.split(args)
    try:
        cli.parse(argv)
    except SystemExit as stop:  # --help exits 0; a refusal exits 2
        assert stop.code == 0, f"README: `python -m enforcement_crime {args}` is refused"


def test_every_make_target_in_the_readme_exists():
    targets = set(re.findall(r"^([a-z][\w-]*):", (ROOT / "Makefile").read_text(), flags=re.M))
    named = {
        m
        for piece in _code(README.read_text())
        for m in re.findall(r"(?:^|\s)make ([a-z][\w-]*)", piece)
    }
    assert named, "no `make <target>` found in README.md"
    assert named <= targets, f"README names make targets that do not exist: {named - targets}"


def test_a_missing_target_is_caught():
    """The check above can fail: a made-up target is not among the Makefile's."""
    targets = set(re.findall(r"^([a-z][\w-]*):", (ROOT / "Makefile").read_text(), flags=re.M))
    assert "notebook" not in targets and "notebooks" in targets
