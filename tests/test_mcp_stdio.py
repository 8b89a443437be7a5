"""A real ``pm-agent serve`` subprocess over stdio, spoken to the way Claude Desktop does (``mode="legacy"``)."""

from __future__ import annotations

import json
import subprocess
import sys

import anyio
import pytest
from conftest import EXAMPLE, fulltext_cases
from mcp import Client
from mcp_support import SERVE, anyio_backend, expected_draft, state_env, stdio_params  # noqa: F401

pytestmark = pytest.mark.anyio
CALL_TIMEOUT = 60


async def test_stdio_server_lists_its_tools_and_drafts_the_same_postmortem_as_the_cli():
    with anyio.fail_after(CALL_TIMEOUT):
        async with Client(stdio_params(), mode="legacy") as client:
            names = {tool.name for tool in (await client.list_tools()).tools}
            result = await client.call_tool("draft_postmortem", {"paths": [str(EXAMPLE)]})
    assert {"draft_postmortem", "five_whys", "score_postmortem"} <= names
    assert result.is_error is False
    assert result.structured_content == expected_draft(EXAMPLE)


@pytest.mark.shared_data
async def test_a_real_incident_drafted_through_the_stdio_server_is_a_complete_postmortem(shared_data):
    case = shared_data / "fulltext" / f"{fulltext_cases()[0]}.input.json"
    raw = json.loads(case.read_text())
    params = stdio_params()
    params.env["PM_AGENT_INPUT_ROOTS"] = str(shared_data)  # the server reads files only inside its input roots
    with anyio.fail_after(CALL_TIMEOUT):
        async with Client(params, mode="legacy") as client:
            result = await client.call_tool("draft_postmortem", {"paths": [str(case)]})
    postmortem = result.structured_content
    assert result.is_error is False
    assert postmortem == expected_draft(case)
    assert postmortem["title"] == raw["title"] and postmortem["summary"]
    assert len(postmortem["timeline"]) >= 1 and {m["name"] for m in postmortem["metrics"]} >= {"duration"}
    assert postmortem["root_cause"]["branches"] and postmortem["action_items"] and postmortem["open_questions"]
    assert postmortem["score"]["criteria"]
    assert result.content[0].text.startswith(f"# Postmortem: {raw['title']}")


async def test_stdout_carries_nothing_but_json_rpc_messages():
    """Raw JSON-RPC, including a call that fails: every byte on stdout belongs to a protocol message."""
    with anyio.fail_after(CALL_TIMEOUT):
        async with await anyio.open_process(
            SERVE, env={**state_env(), "PATH": "/usr/bin:/bin"}, stderr=subprocess.DEVNULL
        ) as process:
            await process.stdin.send("".join(json.dumps(m) + "\n" for m in RAW_SESSION).encode())
            first = await read_lines(process.stdout, count=3)
            await process.stdin.aclose()
            rest = b"".join([chunk async for chunk in process.stdout])
    replies = [json.loads(line) for line in (first + rest).splitlines()]
    assert [(reply["jsonrpc"], reply["id"]) for reply in replies] == [("2.0", 1), ("2.0", 2), ("2.0", 3)]
    assert replies[2]["result"]["isError"] is True


RAW_SESSION = [
    {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "probe", "version": "0"},
        },
    },
    {"jsonrpc": "2.0", "method": "notifications/initialized"},
    {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
    {
        "jsonrpc": "2.0",
        "id": 3,
        "method": "tools/call",
        "params": {"name": "draft_postmortem", "arguments": {"incident": "not an incident"}},
    },
]


async def test_bad_prompt_arguments_are_invalid_params_errors_and_log_no_traceback():
    """Over stdio the SDK answers a prompt's exception with code 0 and logs its traceback; pm-agent answers -32602."""
    with anyio.fail_after(CALL_TIMEOUT):
        async with await anyio.open_process(SERVE, env={**state_env(), "PATH": "/usr/bin:/bin"}) as process:
            await process.stdin.send("".join(json.dumps(m) + "\n" for m in BAD_PROMPTS).encode())
            replies = await read_lines(process.stdout, count=3)
            await process.stdin.aclose()
            stderr = b"".join([chunk async for chunk in process.stderr]).decode()
    errors = [json.loads(line)["error"] for line in replies.splitlines()[1:]]
    assert errors == [
        {"code": -32602, "message": "prompt five_whys_session: missing argument 'problem'"},
        {"code": -32602, "message": "unknown prompt 'postmortem'; prompts: guided_postmortem, five_whys_session"},
    ]
    assert "Traceback" not in stderr


BAD_PROMPTS = [
    RAW_SESSION[0],
    RAW_SESSION[1],
    {"jsonrpc": "2.0", "id": 2, "method": "prompts/get", "params": {"name": "five_whys_session", "arguments": {}}},
    {"jsonrpc": "2.0", "id": 3, "method": "prompts/get", "params": {"name": "postmortem", "arguments": {}}},
]


async def read_lines(stream, count: int) -> bytes:
    """What ``stream`` gives until it has given ``count`` whole lines."""
    buffer = b""
    while buffer.count(b"\n") < count:
        buffer += await stream.receive()
    return buffer


def test_starting_the_server_imports_no_vector_store_llm_or_onnx_sdk():
    """Start-up stays fast: chromadb, anthropic and onnxruntime load only when a tool needs them."""
    run = subprocess.run(
        [sys.executable, "-X", "importtime", *SERVE[1:]],
        input="",
        capture_output=True,
        text=True,
        timeout=CALL_TIMEOUT,
        env={**state_env(), "PATH": "/usr/bin:/bin"},
    )
    imported = {line.rsplit("|", 1)[-1].strip() for line in run.stderr.splitlines() if line.startswith("import time:")}
    assert "mcp.server.mcpserver" in imported and "pm_agent.mcp_server.tools" in imported
    heavy = {name for name in imported if name.split(".")[0] in ("chromadb", "anthropic", "onnxruntime")}
    assert heavy == set()
