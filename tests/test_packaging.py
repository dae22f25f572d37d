"""Packaging consistency: environment.yml, pyproject.toml and the pinned constraints agree."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(req: str) -> str:
    """Normalised distribution name of a requirement string (PEP 503), extras kept."""
    m = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?", req)
    assert m, f"cannot parse requirement {req!r}"
    return re.sub(r"[-_.]+", "-", m.group(1)).lower() + (m.group(2) or "")


def _pyproject_deps() -> set[str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return {_name(r) for r in data["project"]["dependencies"]}


def _environment_pip() -> tuple[set[str], list[str]]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    options = [p for p in pip if p.startswith("-")]
    return {_name(p) for p in pip if not p.startswith("-")}, options


def test_environment_yml_lists_the_pyproject_dependencies():
    env_deps, _ = _environment_pip()
    py_deps = _pyproject_deps()
    assert env_deps == py_deps, (
        f"only in environment.yml: {sorted(env_deps - py_deps)}; only in pyproject.toml: {sorted(py_deps - env_deps)}"
    )


def test_environment_yml_uses_the_pins_and_installs_the_package():
    _, options = _environment_pip()
    assert "-c requirements/constraints.txt" in options
    assert "-e ." in options


def test_every_dependency_is_pinned_exactly():
    pins = {}
    for line in (ROOT / "requirements" / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: {line!r} is not an exact pin"
            pins[_name(name)] = version
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    wanted = {_name(r).split("[")[0] for r in data["project"]["dependencies"]}
    wanted |= {_name(r).split("[")[0] for r in data["project"]["optional-dependencies"]["dev"]}
    unpinned = sorted(wanted - set(pins))
    assert not unpinned, f"not pinned in requirements/constraints.txt: {unpinned} (run `make lock`)"
