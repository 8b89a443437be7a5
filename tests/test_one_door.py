"""One door: both front ends reach the memory through the service and show the same text for the same result.

The pairs run the real CLI (``main``) and the real MCP server (in-process SDK client) on one embedded Chroma
store in the test's memory folder, filled through the CLI.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from mcp import Client
from mcp_support import anyio_backend  # noqa: F401 - a fixture
from memory_support import write_inputs

from pm_agent.cli import main
from pm_agent.mcp_server.app import create_server

SRC = Path(__file__).resolve().parents[1] / "src" / "pm_agent"
FRONT_ENDS = ("cli", "mcp_server")
BEHIND_THE_SERVICE = (["pm_agent", "memory"], ["pm_agent", "analysis"])
"""Packages the front ends reach only through the service (use cases) and ``pm_agent.render`` (text)."""


@pytest.fixture
def filled_memory(tmp_path, monkeypatch, capsys):
    """The memory holding the invented incidents and postmortems (two with action items), ingested by the CLI."""
    monkeypatch.setenv("PM_AGENT_EMBEDDER", "lexical")
    assert main(["memory", "ingest", str(write_inputs(tmp_path / "in")["jsonl"].parent)]) == 0
    capsys.readouterr()


def cli_output(capsys, *argv: str) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out


async def tool_text(tool: str, arguments: dict) -> str:
    async with Client(create_server()) as client:
        result = await client.call_tool(tool, arguments)
    assert result.is_error is False
    (content,) = result.content
    return content.text


@pytest.mark.anyio
async def test_memory_search_shows_the_same_hits_in_the_cli_and_the_mcp_tool(filled_memory, capsys):
    printed = cli_output(capsys, "memory", "search", "resolver cache DNS TTL", "--k", "3")
    returned = await tool_text("find_related_incidents", {"query": "resolver cache DNS TTL", "limit": 3})

    assert printed == returned + "\n"
    first_hit = "1. Checkout: DNS records expired after a TTL change (2025-01-10)  [dns-ttl-2025-01, score 0."
    assert printed.startswith(first_hit)
    assert "\n   - shared terms: " in printed
    assert printed.count("\n") > 3


@pytest.mark.anyio
async def test_memory_patterns_show_the_same_markdown_in_the_cli_and_the_mcp_tool(filled_memory, capsys):
    printed = cli_output(capsys, "memory", "patterns", "--since", "2025-01-01")
    returned = await tool_text("recurring_patterns", {"since": "2025-01-01"})

    assert printed == returned
    assert printed.startswith("# Reliability patterns (since 2025-01-01)\n")
    assert "## Action items not completed" in printed


@pytest.mark.anyio
async def test_the_action_list_shows_the_same_lines_in_the_cli_and_the_mcp_tool(filled_memory, capsys):
    printed = cli_output(capsys, "actions", "list", "--all")
    returned = await tool_text("list_action_items", {"include_done": True})

    assert printed == returned + "\n"
    assert "] Add a canary stage for configuration pushes | owner: platform team lead | due: 2025-04-01 | " in printed
    assert len(printed.splitlines()) == 5


@pytest.mark.anyio
async def test_marking_an_action_done_says_the_same_in_the_cli_and_the_mcp_tool(filled_memory, capsys):
    first, second = json.loads(cli_output(capsys, "actions", "list", "--json"))[:2]

    printed = cli_output(capsys, "actions", "done", first["id"])
    returned = await tool_text("mark_action_done", {"action_id": second["id"]})

    assert printed == f"{first['id']} done: {first['title']} ({first['incident_id']})\n"
    assert returned == f"{second['id']} done: {second['title']} ({second['incident_id']})"


EMPTY_MEMORY = "The memory at {location} holds no incidents yet; {how_to_fill}."
CLI_FILLS = "`pm-agent memory ingest FILE...` stores past incidents and postmortems"
MCP_FILLS = "the remember_incident tool stores a finished postmortem"
READS_OF_AN_EMPTY_MEMORY = [
    pytest.param(
        ["memory", "search", "resolver cache"], "find_related_incidents", {"query": "resolver cache"}, id="search"
    ),
    pytest.param(["memory", "patterns"], "recurring_patterns", {}, id="patterns"),
    pytest.param(["actions", "list"], "list_action_items", {}, id="actions-list"),
    pytest.param(["actions", "list", "--overdue"], "list_action_items", {"overdue": True}, id="overdue-actions"),
    pytest.param(["actions", "list", "--all"], "list_action_items", {"include_done": True}, id="all-actions"),
]


@pytest.fixture(params=["never-created", "created-empty"])
def empty_memory(request, tmp_path, monkeypatch, capsys) -> Path:
    """The memory's folder, holding no incidents: never created, or created by an ingest that found nothing."""
    monkeypatch.setenv("PM_AGENT_EMBEDDER", "lexical")
    location = tmp_path / "memory"
    monkeypatch.setenv("PM_AGENT_MEMORY_DIR", str(location))
    if request.param == "created-empty":
        (tmp_path / "nothing").mkdir()
        assert main(["memory", "ingest", str(tmp_path / "nothing")]) == 2  # skipped: no files in it
        assert (location / "chroma.sqlite3").is_file()
        capsys.readouterr()
    return location


@pytest.mark.anyio
@pytest.mark.parametrize(("argv", "tool", "arguments"), READS_OF_AN_EMPTY_MEMORY)
async def test_an_empty_memory_says_the_same_in_the_cli_and_the_mcp_tool_each_naming_its_own_way_to_fill_it(
    empty_memory, capsys, argv, tool, arguments
):
    printed = cli_output(capsys, *argv)
    returned = await tool_text(tool, arguments)

    assert printed == EMPTY_MEMORY.format(location=empty_memory, how_to_fill=CLI_FILLS) + "\n"
    assert returned == EMPTY_MEMORY.format(location=empty_memory, how_to_fill=MCP_FILLS)


@pytest.mark.anyio
async def test_marking_an_action_done_in_an_empty_memory_is_the_same_error_in_the_cli_and_the_mcp_tool(
    empty_memory, capsys
):
    assert main(["actions", "done", "pm-0123456789abcdef.a1"]) == 2
    printed = capsys.readouterr()
    async with Client(create_server()) as client:
        result = await client.call_tool("mark_action_done", {"action_id": "pm-0123456789abcdef.a1"})

    unknown = "no action item 'pm-0123456789abcdef.a1': the memory holds no record 'pm-0123456789abcdef'"
    assert (printed.out, printed.err) == ("", f"pm-agent: error: {unknown}; `pm-agent actions list` shows the ids\n")
    assert result.is_error is True
    assert [content.text for content in result.content] == [
        f"Error executing tool mark_action_done: {unknown}. "
        "Find stored ids with find_related_incidents, and action ids with list_action_items."
    ]


def front_end_modules() -> list[Path]:
    return sorted(path for name in FRONT_ENDS for path in (SRC / name).rglob("*.py"))


def side_doors(path: Path) -> list[str]:
    """Where a module imports from the memory or the engines, or builds ``Settings()`` or ``Memory()`` itself."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[:2] in BEHIND_THE_SERVICE:
            found.append(f"line {node.lineno}: from {node.module} import ...")
        elif isinstance(node, ast.Import):
            found += [
                f"line {node.lineno}: import {a.name}"
                for a in node.names
                if a.name.split(".")[:2] in BEHIND_THE_SERVICE
            ]
        elif isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            if name in ("Settings", "Memory"):
                found.append(f"line {node.lineno}: {name}(...)")
    return [f"{path.relative_to(SRC)} {where}" for where in found]


def test_the_front_ends_reach_the_memory_the_engines_and_the_settings_only_through_the_service():
    modules = front_end_modules()

    assert len(modules) > 15
    assert [where for path in modules for where in side_doors(path)] == []


def test_the_memory_imports_none_of_its_renderers():
    imports = [
        f"{path.relative_to(SRC)}: {node.module}"
        for path in sorted((SRC / "memory").rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("pm_agent.render")
    ]

    assert imports == []
