"""Paths and ids from outside never reach a file outside the allowed folders: tool paths stay inside
the input roots, ids used as file names stay inside their folder, resource ids are never paths."""

from __future__ import annotations

import os
import shutil

import pytest
from conftest import EXAMPLE
from mcp import Client, MCPError
from mcp_support import anyio_backend  # noqa: F401 - a fixture

from pm_agent.errors import InputError
from pm_agent.mcp_server.app import create_server
from pm_agent.safe_paths import (
    check_input_path,
    check_record_id,
    input_roots,
    safe_child,
)

ENCODED = "the path {!r} holds URL-encoded characters (%2e, %2f, %5c, %00 or %25); send it decoded"
CLIMBS = "{!r} climbs out of its folder with '..'; give the path without '..'"


@pytest.fixture
def root(tmp_path, monkeypatch):
    """A working folder holding incidents/a.json, beside a secret.json outside it."""
    inside = tmp_path / "work"
    (inside / "incidents").mkdir(parents=True)
    (inside / "incidents" / "a.json").write_text("{}")
    (tmp_path / "secret.json").write_text("{}")
    monkeypatch.chdir(inside)
    return inside


def outside(raw: str, root) -> str:
    return (
        f"{raw!r} is outside the folders this server reads incident files from ({root}); "
        "send the file's content in 'incident' instead, or add its folder to PM_AGENT_INPUT_ROOTS"
    )


def test_paths_inside_the_root_are_accepted_relative_or_absolute(root):
    assert check_input_path("incidents/a.json", [root]) == root / "incidents" / "a.json"
    assert check_input_path(str(root / "incidents" / "a.json"), [root]) == root / "incidents" / "a.json"
    assert check_input_path("./incidents/./a.json", [root]) == root / "incidents" / "a.json"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("../secret.json", CLIMBS),
        ("incidents/../../secret.json", CLIMBS),
        ("incidents/../a.json", CLIMBS),
        ("..\\secret.json", CLIMBS),
        ("%2e%2e/secret.json", ENCODED),
        ("..%2Fsecret.json", ENCODED),
        ("%252e%252e%252fsecret.json", ENCODED),
        ("incidents%5c..%5c..%5csecret.json", ENCODED),
        ("incidents/a.json\x00.txt", "the path {!r} holds a control character (such as NUL); send it as plain text"),
    ],
)
def test_traversal_nul_bytes_and_encoded_traversal_are_refused(root, raw, message):
    with pytest.raises(InputError) as refused:
        check_input_path(raw, [root])
    assert str(refused.value) == message.format(raw)


def test_absolute_paths_and_links_leading_out_of_the_root_are_refused(root):
    (root / "link.json").symlink_to(root.parent / "secret.json")
    for raw in ("/etc/passwd", str(root.parent / "secret.json"), "link.json"):
        with pytest.raises(InputError) as refused:
            check_input_path(raw, [root])
        assert str(refused.value) == outside(raw, root)


def test_input_roots_come_from_the_setting_or_default_to_the_working_folder(root, tmp_path):
    assert input_roots("") == [root]
    assert input_roots(f"{tmp_path}{os.pathsep}{root}/incidents") == [tmp_path, root / "incidents"]


def test_an_id_used_as_a_file_name_stays_in_its_folder(tmp_path):
    drafts = tmp_path / "drafts"
    drafts.mkdir()
    (drafts / "escape.md").symlink_to(tmp_path / "elsewhere.md")
    assert safe_child(drafts, "INC-2024-0301.md") == drafts / "INC-2024-0301.md"
    refused = {}
    for name in ("../INC.md", "a/b.md", "..", "", "/etc/passwd", "a\\b.md", "%2e%2e%2fx.md", "x\x00.md", "escape.md"):
        with pytest.raises(InputError) as caught:
            safe_child(drafts, name)
        refused[name] = str(caught.value)
    assert refused["../INC.md"] == "'../INC.md' is not a plain file name; ids used as file names may not hold '/', '\\' or '..'"
    assert refused["escape.md"] == f"'escape.md' would leave {drafts}; ids used as file names may not point elsewhere"
    assert refused["%2e%2e%2fx.md"].endswith("holds URL-encoded characters (%2e, %2f, %5c, %00 or %25); send it decoded")
    assert len(refused) == 9


def test_record_ids_are_names_never_paths():
    assert check_record_id(" INC-2024-0301 ") == "INC-2024-0301"
    assert check_record_id("pm-0123456789abcdef") == "pm-0123456789abcdef"
    assert check_record_id("checkout outage 2024.03") == "checkout outage 2024.03"
    for bad in ("../etc/passwd", "a/b", "..", "~root", "a\\b", "x\x00", "%2e%2e", "x" * 201, ""):
        with pytest.raises(InputError):
            check_record_id(bad)


# --- through the MCP server ---------------------------------------------------------------------

PATH_TOOLS = ["draft_postmortem", "five_whys", "propose_actions", "fishbone", "find_related_incidents", "remember_incident"]


@pytest.mark.anyio
@pytest.mark.parametrize("tool", PATH_TOOLS)
async def test_every_tool_taking_paths_refuses_traversal_with_a_clear_error(tool, root):
    async with Client(create_server()) as client:
        result = await client.call_tool(tool, {"paths": ["../secret.json"]})
    assert result.is_error is True
    assert result.content[0].text == f"Error executing tool {tool}: {CLIMBS.format('../secret.json')}"


@pytest.mark.anyio
async def test_tools_refuse_files_outside_the_roots_nul_bytes_and_encoded_paths(root):
    async with Client(create_server()) as client:
        results = [
            (await client.call_tool("draft_postmortem", {"paths": [raw]})).content[0].text
            for raw in ("/etc/passwd", "incidents/a.json\x00", "..%2fsecret.json")
        ]
    prefix = "Error executing tool draft_postmortem: "
    assert results == [
        prefix + outside("/etc/passwd", root),
        prefix + "the path 'incidents/a.json\\x00' holds a control character (such as NUL); send it as plain text",
        prefix + ENCODED.format("..%2fsecret.json"),
    ]


@pytest.mark.anyio
async def test_a_folder_added_to_the_input_roots_can_be_read(root, tmp_path, monkeypatch):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copy(EXAMPLE, elsewhere / "incident.json")
    async with Client(create_server()) as client:
        before = await client.call_tool("draft_postmortem", {"paths": [str(elsewhere / "incident.json")]})
    monkeypatch.setenv("PM_AGENT_INPUT_ROOTS", f"{root}{os.pathsep}{elsewhere}")
    async with Client(create_server()) as client:
        after = await client.call_tool("draft_postmortem", {"paths": [str(elsewhere / "incident.json")]})
    assert before.is_error is True and "add its folder to PM_AGENT_INPUT_ROOTS" in before.content[0].text
    assert after.is_error is False and after.structured_content["title"]


@pytest.mark.anyio
@pytest.mark.parametrize(
    "uri",
    [
        "incident://..%2F..%2Fetc%2Fpasswd",
        "postmortem://%2e%2e",
        "incident://%2Fetc%2Fpasswd",
        "postmortem://INC-1%00",
        "incident://..",
    ],
)
async def test_resource_ids_that_traverse_are_unknown_resources(uri):
    async with Client(create_server()) as client:
        with pytest.raises(MCPError) as refused:
            await client.read_resource(uri)
    assert str(refused.value) == f"Unknown resource: {uri}"


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("uri", "shown"),
    [
        ("incident://a%2Fb", "'a/b'"),
        ("postmortem://a%5C..%5Cb", "'a\\\\..\\\\b'"),
        ("incident://~root", "'~root'"),
    ],
)
async def test_resource_ids_holding_separators_are_refused_as_no_id(uri, shown):
    async with Client(create_server()) as client:
        with pytest.raises(MCPError) as refused:
            await client.read_resource(uri)
    assert str(refused.value) == (
        f"{shown} is not an incident id: ids name stored records (e.g. INC-2024-0301 or pm-0123456789abcdef), "
        "never paths; find ids with find_related_incidents"
    )
