"""A real ``pm-agent serve --transport http`` subprocess: the bearer token, DNS-rebinding checks, and tools."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import urllib.error
import urllib.request

import anyio
import httpx2
import pytest
from conftest import EXAMPLE
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp_support import SERVE, anyio_backend, http_server, serving_http, state_env  # noqa: F401 - anyio_backend is a fixture

from pm_agent.mcp_server.binding import allowed_host_headers, is_loopback
from pm_agent.service import PostmortemService

TOKEN = secrets.token_hex(16)
CALL_TIMEOUT = 60
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "probe", "version": "0"}},
}


@pytest.fixture(scope="module")
def server():
    with http_server(token=TOKEN) as running:
        yield running


def post_initialize(url: str, headers: dict[str, str]) -> int:
    """The HTTP status of a raw ``initialize`` POST."""
    return post_initialize_answer(url, headers)[0]


def post_initialize_answer(url: str, headers: dict[str, str]) -> tuple[int, bytes]:
    """The HTTP status and body of a raw ``initialize`` POST."""
    request = urllib.request.Request(
        url,
        data=json.dumps(INITIALIZE).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Accept": "application/json, text/event-stream", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=CALL_TIMEOUT) as response:
            return response.status, b""
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read()


def serve_refused(host: str, token: str) -> subprocess.CompletedProcess:
    """``pm-agent serve --transport http --host HOST`` with ``token`` as PM_AGENT_HTTP_TOKEN, expected to refuse."""
    env = {key: value for key, value in os.environ.items() if key != "PM_AGENT_HTTP_TOKEN"}
    return subprocess.run(
        [*SERVE, "--transport", "http", "--host", host],
        env=env | {"PM_AGENT_HTTP_TOKEN": token},
        capture_output=True,
        text=True,
        timeout=CALL_TIMEOUT,
    )


@pytest.mark.anyio
async def test_with_the_token_a_client_lists_tools_and_gets_structured_results(server):
    service = PostmortemService()
    incident = EXAMPLE.read_text()
    expected = service.draft(service.load_text(incident)).model_dump(mode="json")
    with anyio.fail_after(CALL_TIMEOUT):
        async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=CALL_TIMEOUT) as http:
            async with Client(streamable_http_client(server.url, http_client=http)) as client:
                names = {tool.name for tool in (await client.list_tools()).tools}
                result = await client.call_tool("draft_postmortem", {"incident": incident})
    assert "draft_postmortem" in names
    assert result.is_error is False
    assert result.structured_content == expected


def test_a_request_without_the_token_or_with_a_wrong_one_gets_401(server):
    assert post_initialize(server.url, {}) == 401
    assert post_initialize(server.url, {"Authorization": "Bearer not-the-token"}) == 401
    assert post_initialize(server.url, {"Authorization": TOKEN}) == 401
    assert post_initialize(server.url, {"Authorization": f"Bearer {TOKEN}"}) == 200


def test_dns_rebinding_protection_refuses_a_foreign_host_or_origin_even_with_the_token(server):
    authorized = {"Authorization": f"Bearer {TOKEN}"}
    assert post_initialize(server.url, {**authorized, "Host": "attacker.example:80"}) == 421
    assert post_initialize(server.url, {**authorized, "Origin": "http://attacker.example"}) == 403


def test_binding_every_interface_without_a_token_is_refused_with_exit_status_2():
    env = {key: value for key, value in os.environ.items() if key != "PM_AGENT_HTTP_TOKEN"}
    run = subprocess.run(
        [*SERVE, "--transport", "http", "--host", "0.0.0.0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=CALL_TIMEOUT,
    )
    assert run.returncode == 2
    assert run.stdout == ""
    assert run.stderr.startswith("pm-agent: error: --host 0.0.0.0 makes the server reachable from other machines")
    assert "PM_AGENT_HTTP_TOKEN" in run.stderr


def test_the_dns_rebinding_check_accepts_loopback_the_bound_address_and_the_names_given():
    loopback = ["127.0.0.1:*", "localhost:*", "[::1]:*"]
    assert allowed_host_headers("127.0.0.1", []) == loopback
    assert allowed_host_headers("0.0.0.0", []) == loopback
    assert allowed_host_headers("192.0.2.7", ["pm.example.internal"]) == [
        *loopback,
        "192.0.2.7",
        "192.0.2.7:*",
        "pm.example.internal",
        "pm.example.internal:*",
    ]
    assert allowed_host_headers("::", ["2001:db8::7"]) == [*loopback, "[2001:db8::7]", "[2001:db8::7]:*"]


def test_only_localhost_and_loopback_addresses_count_as_loopback():
    assert [is_loopback(h) for h in ("127.0.0.1", "127.8.0.1", "localhost", "::1", "[::1]")] == [True] * 5
    assert [is_loopback(h) for h in ("0.0.0.0", "::", "192.0.2.7", "example.com")] == [False] * 4


def test_off_loopback_a_token_shorter_than_32_characters_is_refused_saying_how_to_make_one():
    run = serve_refused("0.0.0.0", "x")
    assert (run.returncode, run.stdout) == (2, "")
    assert run.stderr == (
        "pm-agent: error: PM_AGENT_HTTP_TOKEN is 1 character long; --host 0.0.0.0 makes the server reachable from "
        "other machines, so the token must be at least 32 characters: make one with "
        '`python -c "import secrets; print(secrets.token_urlsafe(32))"`\n'
    )


def test_a_token_of_only_spaces_is_refused_even_on_loopback():
    run = serve_refused("127.0.0.1", "   ")
    assert (run.returncode, run.stdout) == (2, "")
    assert run.stderr == (
        "pm-agent: error: PM_AGENT_HTTP_TOKEN is only whitespace, which no client can send: unset it, "
        'or make a token with `python -c "import secrets; print(secrets.token_urlsafe(32))"`\n'
    )


def test_the_bearer_scheme_is_accepted_in_any_letter_case(server):
    assert post_initialize(server.url, {"Authorization": f"bearer {TOKEN}"}) == 200
    assert post_initialize(server.url, {"Authorization": f"BEARER {TOKEN}"}) == 200
    assert post_initialize(server.url, {"Authorization": f"bearer  {TOKEN}x"}) == 401


def test_bound_to_every_interface_the_machine_name_is_a_host_and_a_foreign_one_is_told_about_allowed_host():
    token = secrets.token_urlsafe(32)
    env = {**os.environ, **state_env(), "PM_AGENT_HTTP_TOKEN": token}
    with serving_http(env, path="/mcp", host="0.0.0.0") as running:
        port = running.url.split(":")[2].split("/")[0]
        authorized = {"Authorization": f"Bearer {token}"}
        by_name = post_initialize_answer(running.url, {**authorized, "Host": f"{socket.gethostname()}:{port}"})
        foreign = post_initialize_answer(running.url, {**authorized, "Host": f"pm.example.internal:{port}"})
    assert by_name[0] == 200
    assert (foreign[0], json.loads(foreign[1])) == (
        421,
        {
            "error": "misdirected_request",
            "error_description": (
                f"this server does not answer to the host 'pm.example.internal:{port}' (DNS-rebinding protection); "
                "start it with --allowed-host pm.example.internal to accept that name"
            ),
        },
    )
