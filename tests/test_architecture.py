"""The layers of docs/architecture.md hold: each folder imports only what its row allows, no two modules
import each other (directly or round a loop), and the domain core imports no SDK."""

from __future__ import annotations

import ast
from collections import defaultdict
from functools import cache
from pathlib import Path

from conftest import REPO

SOURCE = REPO / "src" / "pm_agent"
EVERYONE = {"errors", "models", "data"}
FOUNDATIONS = {"textscan", "settings", "resources"}
READING = {"ingest", "markdown"}
CORE = {"analysis", "render", "guards"}
ADAPTERS = {"embeddings", "memory", "backends", "sources", "handback"}
USE_CASES = {"assisted", "service"}
FRONT_ENDS = {"cli", "mcp_server", "automation", "evals", "__main__"}

# Each folder (or root module) and what it may import besides EVERYONE: docs/architecture.md's table.
ALLOWED = {
    "models": set(),
    "data": set(),
    "textscan": set(),
    "errors": {"guards"},
    "settings": set(),
    "resources": set(),
    "__init__": set(),
    "ingest": {"markdown", "textscan"},
    "markdown": {"ingest", "textscan"},
    "render": {"ingest"},
    "analysis": {"ingest", "markdown", "render", "textscan", "resources"},
    "guards": {"ingest", "render", "textscan"},
    "embeddings": set(),
    "memory": {"analysis", "embeddings", "guards", "ingest", "markdown", "settings"},
    "backends": {"guards", "resources", "settings"},
    "sources": {"backends", "guards", "ingest", "settings"},
    "handback": {"backends", "guards", "ingest", "memory", "render", "settings"},
    "assisted": {"analysis", "backends", "guards", "ingest", "render"},
    "service": FOUNDATIONS | READING | CORE | ADAPTERS | {"assisted"},
    "cli": {"service", "render", "settings", "guards", "backends", "ingest"} | FRONT_ENDS,
    "mcp_server": {"service", "render", "settings", "guards", "backends", "resources", "automation"},
    "automation": FOUNDATIONS | READING | CORE | ADAPTERS | USE_CASES,
    "evals": FOUNDATIONS | READING | CORE | ADAPTERS | USE_CASES | {"cli"},
    "__main__": {"cli"},
}
SDKS = {
    "anthropic",
    "mcp",
    "chromadb",
    "httpx",
    "httpx2",
    "httpcore2",
    "onnxruntime",
    "tokenizers",
    "numpy",
    "starlette",
    "uvicorn",
    "tenacity",
    "rich",
    "anyio",
}
DOMAIN_CORE = {"models", "textscan", "ingest", "markdown", "analysis", "render", "guards"}


def module_name(path: Path) -> str:
    parts = path.relative_to(SOURCE).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(("pm_agent", *parts))


def layer_of(module: str) -> str:
    """``pm_agent.analysis.rubric.scorer`` -> ``analysis``; ``pm_agent`` itself -> ``__init__``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def runtime_nodes(tree: ast.Module) -> list[ast.AST]:
    """Every node of ``tree`` but those under ``if TYPE_CHECKING:``: annotations only, never imported at run time."""
    nodes, pending = [], [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.If) and ast.unparse(node.test) in {"TYPE_CHECKING", "typing.TYPE_CHECKING"}:
            pending += node.orelse
            continue
        nodes.append(node)
        pending += ast.iter_child_nodes(node)
    return nodes


@cache
def imports() -> dict[str, set[str]]:
    """Every module and the names it imports at run time, at the top or inside a function alike."""
    found = {}
    for path in SOURCE.rglob("*.py"):
        names = set()
        for node in runtime_nodes(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module)
                names |= {f"{node.module}.{alias.name}" for alias in node.names}
        found[module_name(path)] = names
    return found


def internal_graph() -> dict[str, set[str]]:
    """Module -> the project modules it imports, leaving out its own parent packages (always loaded first)."""
    modules = imports()
    graph = defaultdict(set)
    for module, names in modules.items():
        for name in names:
            if name in modules and name != module and not module.startswith(name + "."):
                graph[module].add(name)
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iteratively)."""
    index, low, on_stack, stack, cycles = {}, {}, set(), [], []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        cycles.append(sorted(component))
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph[child]))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return cycles


def test_imports_for_annotations_only_are_left_out():
    tree = ast.parse(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import a\nelse:\n    import b\nimport c\n"
    )
    imported = {alias.name for node in runtime_nodes(tree) if isinstance(node, ast.Import) for alias in node.names}

    assert imported == {"b", "c"}


def test_the_cycle_finder_finds_a_loop_of_three_and_ignores_a_chain():
    loop = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    chain = {"a": {"b"}, "b": {"c"}, "c": set()}

    assert import_cycles(loop) == [["a", "b", "c"]]
    assert import_cycles(chain) == []


def test_no_two_modules_import_each_other_directly_or_round_a_loop():
    assert import_cycles(internal_graph()) == []


def test_every_folder_imports_only_the_layers_its_row_allows():
    crossings = defaultdict(set)
    for module, names in internal_graph().items():
        layer = layer_of(module)
        for name in names:
            target = layer_of(name)
            if target != layer and target not in EVERYONE and target not in ALLOWED[layer]:
                crossings[module].add(name)

    assert dict(crossings) == {}


def test_every_folder_of_the_package_has_a_row():
    layers = {layer_of(module) for module in imports()}

    assert layers - set(ALLOWED) == set()


def test_the_domain_core_imports_no_sdk():
    sdk_imports = {
        module: sorted(name for name in names if name.split(".")[0] in SDKS)
        for module, names in imports().items()
        if layer_of(module) in DOMAIN_CORE
    }

    assert {module: names for module, names in sdk_imports.items() if names} == {}


def test_at_most_six_modules_sit_at_the_package_root():
    root_modules = sorted(path.name for path in SOURCE.glob("*.py"))

    assert len(root_modules) <= 6, root_modules
