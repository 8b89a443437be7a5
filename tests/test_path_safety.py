"""Paths and ids from outside never reach a file outside the allowed folders: tool paths stay inside
the input roots, ids used as file names stay inside their folder, resource ids are never paths."""

from __future__ import annotations

import errno
import os
import shutil

import pytest
from conftest import EXAMPLE
from mcp import Client, MCPError
from mcp_support import anyio_backend  # noqa: F401 - a fixture

from pm_agent.errors import InputError
from pm_agent.guards.safe_paths import (
    SWAPPED,
    check_input_path,
    check_record_id,
    checked_input_files,
    input_roots,
    read_checked,
    safe_child,
)
from pm_agent.mcp_server import tools
from pm_agent.mcp_server.app import create_server

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


# --- folders expanded, files checked one by one, read without following links --------------------

SECRET = (
    "Title: Outside secret\n2026-03-10 14:02 UTC SECRET-OUTSIDE-MARKER alert fired\n2026-03-10 14:30 UTC resolved\n"
)


@pytest.fixture
def secret(root):
    """A readable incident outside the root, whose event text must never come back."""
    path = root.parent / "secret.txt"
    path.write_text(SECRET)
    return path


def test_a_folder_is_expanded_to_its_regular_files_each_checked_and_read(root):
    (root / "incidents" / "b.txt").write_text("b")
    (root / "incidents" / ".hidden").write_text("h")
    (root / "incidents" / "sub").mkdir()
    (root / "incidents" / "alias.json").symlink_to(root / "incidents" / "b.txt")  # a link that stays inside
    files = checked_input_files(["incidents"], [root])
    assert [(f.shown, f.real) for f in files] == [
        ("incidents/a.json", root / "incidents" / "a.json"),
        ("incidents/alias.json", root / "incidents" / "b.txt"),
        ("incidents/b.txt", root / "incidents" / "b.txt"),
    ]
    assert [read_checked(f, [root], max_bytes=100) for f in files] == [b"{}", b"b", b"b"]


def test_a_link_inside_a_folder_leading_out_of_the_roots_is_refused_naming_it(root, secret):
    (root / "incidents" / "leak.txt").symlink_to(secret)
    with pytest.raises(InputError) as refused:
        checked_input_files(["incidents"], [root])
    assert str(refused.value) == (
        f"incidents/leak.txt: is a symbolic link to {secret}, outside the folders this server reads incident files from "
        f"({root}); remove the link, or send the file's content in 'incident' instead"
    )


def test_a_case_folder_is_read_through_the_same_checks_its_case_json_and_every_file_it_lists(root, secret):
    (root / "incidents" / "case.json").write_text('{"inputs": ["a.json", "leak.txt"]}')
    (root / "incidents" / "leak.txt").symlink_to(secret)
    with pytest.raises(InputError) as listed_link:
        checked_input_files(["incidents"], [root])
    (root / "incidents" / "leak.txt").unlink()
    (root / "incidents" / "case.json").unlink()
    (root / "incidents" / "case.json").symlink_to(secret)  # its names would be read from outside the roots
    with pytest.raises(InputError) as linked_case:
        checked_input_files(["incidents"], [root])
    reason = "outside the folders this server reads incident files from"
    assert str(listed_link.value).startswith(f"incidents/leak.txt: is a symbolic link to {secret}, {reason}")
    assert str(linked_case.value).startswith(f"incidents/case.json: is a symbolic link to {secret}, {reason}")


# A swap between the check and the read is simulated deterministically: checked_input_files is the
# check, read_checked the read, and the test changes the file in between, as a racing process would.


def test_a_file_replaced_by_a_link_after_its_check_is_not_read(root, secret):
    [checked] = checked_input_files(["incidents/a.json"], [root])
    (root / "incidents" / "a.json").unlink()
    (root / "incidents" / "a.json").symlink_to(secret)
    with pytest.raises(InputError) as refused:
        read_checked(checked, [root], max_bytes=1000)
    assert str(refused.value) == f"incidents/a.json: {SWAPPED}"


def test_a_folder_on_the_way_replaced_by_a_link_after_the_check_is_not_read(root, secret):
    (secret.parent / "a.json").write_text(SECRET)  # the same name, outside
    [checked] = checked_input_files(["incidents/a.json"], [root])
    (root / "incidents").rename(root / "moved")
    (root / "incidents").symlink_to(secret.parent)  # O_NOFOLLOW guards only the last step; the inode check the rest
    with pytest.raises(InputError) as refused:
        read_checked(checked, [root], max_bytes=1000)
    assert str(refused.value) == f"incidents/a.json: {SWAPPED}"


def test_a_file_replaced_by_another_file_or_a_pipe_after_its_check_is_not_read(root):
    [checked] = checked_input_files(["incidents/a.json"], [root])
    (root / "other.json").write_text('{"other": true}')
    (root / "other.json").replace(root / "incidents" / "a.json")
    with pytest.raises(InputError) as replaced:
        read_checked(checked, [root], max_bytes=1000)
    (root / "incidents" / "a.json").unlink()
    os.mkfifo(root / "incidents" / "a.json")  # opening a pipe with no writer would wait forever
    with pytest.raises(InputError) as piped:
        read_checked(checked, [root], max_bytes=1000)
    assert str(replaced.value) == str(piped.value) == f"incidents/a.json: {SWAPPED}"


def test_a_loop_of_links_or_a_path_changing_while_it_is_resolved_is_a_clear_error(root, monkeypatch):
    (root / "incidents" / "loop.json").symlink_to(root / "incidents" / "loop2.json")
    (root / "incidents" / "loop2.json").symlink_to(root / "incidents" / "loop.json")
    with pytest.raises(InputError) as looped:
        check_input_path("incidents/loop.json", [root])
    with pytest.raises(InputError) as in_folder:
        checked_input_files(["incidents"], [root])

    def swapped_while_followed(path, *args, **kwargs):  # what a link swapped for a file mid-resolve gives
        raise OSError(errno.EINVAL, "Invalid argument", path)

    monkeypatch.setattr(os.path, "realpath", swapped_while_followed)
    with pytest.raises(InputError) as changed:
        check_input_path("incidents/a.json", [root])
    assert str(looped.value) in {
        "incidents/loop.json: is a loop of symbolic links; pass the file itself",
        "incidents/loop.json: cannot be followed to a file (Too many levels of symbolic links); pass the file itself, or send it again",
    }
    assert str(in_folder.value) == str(looped.value)
    assert (
        str(changed.value)
        == "incidents/a.json: cannot be followed to a file (Invalid argument); pass the file itself, or send it again"
    )


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
    assert (
        refused["../INC.md"]
        == "'../INC.md' is not a plain file name; ids used as file names may not hold '/', '\\' or '..'"
    )
    assert refused["escape.md"] == f"'escape.md' would leave {drafts}; ids used as file names may not point elsewhere"
    assert refused["%2e%2e%2fx.md"].endswith(
        "holds URL-encoded characters (%2e, %2f, %5c, %00 or %25); send it decoded"
    )
    assert len(refused) == 9


def test_record_ids_are_names_never_paths():
    assert check_record_id(" INC-2024-0301 ") == "INC-2024-0301"
    assert check_record_id("pm-0123456789abcdef") == "pm-0123456789abcdef"
    assert check_record_id("checkout outage 2024.03") == "checkout outage 2024.03"
    for bad in ("../etc/passwd", "a/b", "..", "~root", "a\\b", "x\x00", "%2e%2e", "x" * 201, ""):
        with pytest.raises(InputError):
            check_record_id(bad)


# --- through the MCP server ---------------------------------------------------------------------

PATH_TOOLS = [
    "draft_postmortem",
    "five_whys",
    "propose_actions",
    "fishbone",
    "find_related_incidents",
    "remember_incident",
]


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
async def test_a_folder_holding_a_link_out_of_the_roots_is_refused_by_the_tools(root, secret):
    shutil.copy(EXAMPLE, root / "incidents" / "a.json")
    (root / "incidents" / "leak.txt").symlink_to(secret)
    async with Client(create_server()) as client:
        result = await client.call_tool("draft_postmortem", {"paths": ["incidents"], "output_format": "json"})
    assert result.is_error is True
    assert "SECRET-OUTSIDE-MARKER" not in result.content[0].text
    assert result.content[0].text.startswith(
        f"Error executing tool draft_postmortem: incidents/leak.txt: is a symbolic link to {secret}, outside the folders"
    )


@pytest.mark.anyio
async def test_a_folder_holding_only_links_that_stay_inside_is_read_by_the_tools(root):
    shutil.copy(EXAMPLE, root / "payments.json")
    (root / "incidents" / "a.json").unlink()
    (root / "incidents" / "a.json").symlink_to(root / "payments.json")
    async with Client(create_server()) as client:
        result = await client.call_tool("draft_postmortem", {"paths": ["incidents"]})
    assert result.is_error is False and result.structured_content["title"]


@pytest.mark.anyio
async def test_a_file_swapped_for_a_link_after_the_tools_check_is_not_read(root, secret, monkeypatch):
    """The tool's early check passes; then a racing process swaps the file for a link leading out.
    Wrapping the check (a seam the tools call by name) makes the race happen every time."""
    shutil.copy(EXAMPLE, root / "incidents" / "a.json")
    real_check = tools.check_paths_allowed

    def check_then_swap(ctx, paths):
        roots = real_check(ctx, paths)
        (root / "incidents" / "a.json").unlink()
        (root / "incidents" / "a.json").symlink_to(secret)
        return roots

    monkeypatch.setattr(tools, "check_paths_allowed", check_then_swap)
    async with Client(create_server()) as client:
        result = await client.call_tool("draft_postmortem", {"paths": ["incidents/a.json"], "output_format": "json"})
    assert result.is_error is True
    assert result.content[0].text.startswith(
        f"Error executing tool draft_postmortem: {outside('incidents/a.json', root)}. "
    )
    assert "SECRET-OUTSIDE-MARKER" not in result.content[0].text


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
