"""Property tests over every MCP tool: any arguments within the schema give a result or a readable tool error.

Each tool is called in process through the SDK's own client with arguments hypothesis builds from
the tool's parameters: hostile incident documents in every format, odd dates and zones, paths to
devices and directories, junk postmortems and action lists. A call must return a result, or a
tool error whose text says what was wrong. It must never crash (the SDK then answers only
``Error executing tool <name>``), and it must never write to the process's stdout, which in stdio
mode carries the protocol. One test speaks raw JSON-RPC to a real ``pm-agent serve`` over stdio.
"""

from __future__ import annotations

import json
import subprocess

import anyio
import anyio.from_thread
import anyio.to_thread
import pytest
from conftest import EXAMPLE, FIXTURES
from hypothesis import given, settings
from hypothesis import strategies as st
from incident_strategies import (
    good_incidents,
    good_text,
    incident_documents,
    junk,
    long_texts,
    plain_words,
    words,
)
from mcp import Client
from mcp_support import SERVE, anyio_backend, state_env  # noqa: F401 - anyio_backend is a fixture

from pm_agent.mcp_server.app import create_server
from pm_agent.service import PostmortemService
from pm_agent.settings import Settings

pytestmark = pytest.mark.anyio
CALL_TIMEOUT = 60
BLAMEFUL = "Dave forgot to run the migration and should have checked the dashboard at 14:05 before deploying v2.3.1."

# --- argument strategies -------------------------------------------------------------------------
texts = st.one_of(
    words,
    plain_words,
    good_text,
    long_texts,
    st.sampled_from([BLAMEFUL, "", " ", "\x00", "\u202e\u0301", "# Postmortem\n\n## Timeline\n- 14:05 paged"]),
)
incident_data = st.one_of(good_incidents, good_incidents, incident_documents, st.just(EXAMPLE.read_text()), texts)
paths = st.one_of(
    st.lists(
        st.one_of(
            st.sampled_from(
                [
                    str(EXAMPLE),
                    str(FIXTURES / "inputs"),
                    "/dev/zero",
                    "/dev/null",
                    "/",
                    "",
                    ".",
                    "missing.json",
                    "/proc/self/status",
                    "a\x00b",
                    "~",
                    "../../etc/passwd",
                ]
            ),
            words,
        ),
        min_size=1,
        max_size=2,
    ),
)
dates = st.one_of(
    st.none(),
    st.none(),
    st.just("2024-03-01"),
    st.sampled_from(["2024-02-30", "0001-01-01", "9999-12-31", "today", ""]) | words,
)
zones = st.one_of(
    st.none(),
    st.none(),
    st.sampled_from(["UTC", "Europe/Oslo", "+02:00"]),
    st.sampled_from(["+99:00", "Mars/Base", "../../etc/passwd", ""]) | words,
)
rosters = st.one_of(st.none(), st.dictionaries(words, words, max_size=3), st.just({"platform": "Dana Ortiz"}))
incident_given = st.one_of(  # mostly inline data; else paths, both (an error) or neither
    st.fixed_dictionaries({"incident": incident_data}),
    st.fixed_dictionaries({"incident": incident_data}),
    st.fixed_dictionaries({"incident": incident_data}),
    st.fixed_dictionaries({"paths": paths}),
    st.fixed_dictionaries({"incident": incident_data, "paths": paths}),
    st.just({}),
)
action_objects = st.fixed_dictionaries(
    {"title": texts},
    optional={
        "owner": st.one_of(st.none(), texts),
        "due": st.one_of(st.none(), st.sampled_from(["2024-03-01", "2030-12-31"])),
        "done_when": texts,
        "status": st.sampled_from(["open", "in_progress", "done"]),
        "automated_check": st.booleans(),
    },
)


def draft_json() -> dict:
    service = PostmortemService()
    return service.draft(service.load([EXAMPLE]), score=False, use_memory=False).model_dump(mode="json")


DRAFT = draft_json()
postmortems = st.one_of(
    st.none(),
    st.just(DRAFT),
    st.builds(lambda key, value: {**DRAFT, key: value}, st.sampled_from(sorted(DRAFT)), st.one_of(texts, junk)),
    st.builds(lambda title, summary: {**DRAFT, "incident_id": title, "title": title, "summary": summary}, texts, texts),
)


def arguments(required: dict | None = None, *, incident: bool = False, **optional) -> st.SearchStrategy[dict]:
    """Arguments with the ``required`` keys, any of the ``optional`` ones and, for tools reading an
    incident, the incident given inline, by path, both or neither, with or without a date and zone."""
    if incident:
        optional |= {"date": dates, "timezone": zones}
    own = st.fixed_dictionaries(required or {}, optional=optional)
    return st.builds(lambda given, more: {**given, **more}, incident_given, own) if incident else own


TOOL_ARGUMENTS = {
    "draft_postmortem": arguments(incident=True, roster=rosters, output_format=st.sampled_from(["markdown", "json"])),
    "five_whys": arguments(problem=texts, facts=st.lists(texts, max_size=3), incident=True),
    "review_why_chain": arguments({"steps": st.lists(texts, min_size=1, max_size=6)}),
    "rewrite_blameless": arguments({"text": texts.filter(bool)}),
    "propose_actions": arguments(incident=True, roster=rosters),
    "check_actions": arguments({"actions": st.lists(st.one_of(texts, action_objects), min_size=1, max_size=4)}),
    "score_postmortem": arguments(
        {
            "markdown": st.one_of(
                texts, st.just(PostmortemService.render(PostmortemService().draft(PostmortemService().load([EXAMPLE]))))
            ).filter(bool)
        }
    ),
    "fishbone": arguments(incident=True, fault_tree=st.booleans()),
    "find_related_incidents": arguments(
        query=texts,
        incident_id=st.one_of(texts, st.just(DRAFT["incident_id"])),
        limit=st.integers(1, 20),
        incident=True,
    ),
    "remember_incident": arguments(postmortem=postmortems, roster=rosters, incident=True),
    "recurring_patterns": arguments(since=st.one_of(st.none(), st.dates().map(str))),
    "list_action_items": arguments(overdue=st.booleans(), include_done=st.booleans()),
    "mark_action_done": arguments({"action_id": st.one_of(texts.filter(bool), st.just(f"{DRAFT['incident_id']}.a1"))}),
}
MEMORY_TOOLS = {
    "find_related_incidents",
    "remember_incident",
    "recurring_patterns",
    "list_action_items",
    "mark_action_done",
}


def examples(tool: str) -> int:
    """The profile's count (conftest.py), fewer for the tools that write to the vector store."""
    return max(5, settings.default.max_examples // (5 if tool in MEMORY_TOOLS else 4))


def assert_readable(tool: str, result) -> None:
    """A result with content, or a tool error whose text says what was wrong (not the SDK's bare crash text)."""
    text = "".join(block.text for block in result.content if block.type == "text")
    if result.is_error:
        prefix = f"Error executing tool {tool}: "
        assert text.startswith(prefix) and text[len(prefix) :].strip(), f"the tool crashed: {text!r}"
    else:
        assert text.strip() and isinstance(result.structured_content, dict)


async def test_every_listed_tool_has_an_argument_strategy():
    async with Client(create_server()) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
    assert names == set(TOOL_ARGUMENTS)


@pytest.mark.parametrize("tool", sorted(TOOL_ARGUMENTS))
async def test_any_arguments_give_a_result_or_a_readable_tool_error_and_nothing_on_stdout(tool, capfd, tmp_path):
    server = create_server(Settings(memory_dir=tmp_path / "memory", embedder="lexical", backend="offline"))
    calls: list[dict] = []
    async with Client(server) as client:

        @settings(max_examples=examples(tool))
        @given(TOOL_ARGUMENTS[tool])
        def call_with(args: dict) -> None:
            calls.append(args)
            assert_readable(tool, anyio.from_thread.run(client.call_tool, tool, args))

        with anyio.fail_after(CALL_TIMEOUT * 3):
            await anyio.to_thread.run_sync(call_with)
    out, _ = capfd.readouterr()
    assert calls and out == ""


# --- a real stdio server -----------------------------------------------------------------------------
HOSTILE_CALLS = [
    ("draft_postmortem", {"incident": '\x00\x01{"events": [{"at": 1e400}]}'}),
    (
        "draft_postmortem",
        {"incident": json.dumps({"title": "t", "events": [{"at": "2024-03-01T14:00:00Z", "text": "x" * 30_000}]})},
    ),
    ("draft_postmortem", {"paths": ["/dev/zero"]}),
    ("five_whys", {"problem": "\u202e" * 50, "facts": ["", "\n\n"]}),
    ("rewrite_blameless", {"text": "print('hello')\n" + BLAMEFUL}),
    ("check_actions", {"actions": [{"title": "", "due": "2024-02-30"}]}),
    ("score_postmortem", {"markdown": "#" * 5000}),
    ("review_why_chain", {"steps": ["Because Dave.", "\x1b[31mred\x1b[0m"]}),
    ("fishbone", {"incident": "[deploy] 14:05 x", "timezone": "../../etc/passwd"}),
    ("mark_action_done", {"action_id": "'; DROP TABLE actions; --"}),
]


async def test_hostile_calls_to_the_stdio_server_leave_only_json_rpc_on_stdout():
    session = [
        {
            "jsonrpc": "2.0",
            "id": 0,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "probe", "version": "0"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        *(
            {"jsonrpc": "2.0", "id": number, "method": "tools/call", "params": {"name": name, "arguments": args}}
            for number, (name, args) in enumerate(HOSTILE_CALLS, start=1)
        ),
    ]
    env = {**state_env(), "PATH": "/usr/bin:/bin", "PM_AGENT_EMBEDDER": "lexical"}
    with anyio.fail_after(CALL_TIMEOUT * 2):
        async with await anyio.open_process(SERVE, env=env, stderr=subprocess.DEVNULL) as process:
            await process.stdin.send("".join(json.dumps(m) + "\n" for m in session).encode())
            received = b""
            while received.count(b"\n") < len(HOSTILE_CALLS) + 1:
                received += await process.stdout.receive()
            await process.stdin.aclose()
            received += b"".join([chunk async for chunk in process.stdout])
    replies = [json.loads(line) for line in received.splitlines()]
    assert all(reply["jsonrpc"] == "2.0" for reply in replies)
    assert sorted(reply["id"] for reply in replies) == list(range(len(HOSTILE_CALLS) + 1))
    for reply in replies[1:]:
        name = HOSTILE_CALLS[reply["id"] - 1][0]
        text = reply["result"]["content"][0]["text"]
        assert text != f"Error executing tool {name}", f"{name} crashed on {HOSTILE_CALLS[reply['id'] - 1][1]!r}"
