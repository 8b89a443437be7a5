"""Helpers for the MCP tests: the expected results, and a real ``pm-agent serve`` subprocess."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from mcp import StdioServerParameters

from pm_agent.service import PostmortemService

SERVE = [sys.executable, "-m", "pm_agent", "serve"]
STATE_VARIABLES = ("PM_AGENT_MEMORY_DIR", "PM_AGENT_OUTPUT_DIR", "PM_AGENT_QUEUE_DIR")
READY_MARKER = "Uvicorn running on"
START_TIMEOUT = 20.0


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def expected_draft(path: Path) -> dict:
    """What ``pm-agent draft PATH --format json`` prints, as data."""
    service = PostmortemService()
    return json.loads(service.render(service.draft(service.load([path])), "json"))


def state_env() -> dict[str, str]:
    """The isolated state directories the autouse fixture set, to hand to a server subprocess, and
    PYTHONPATH when set, so the subprocess runs the code under test (a worktree's ``src``)."""
    names = (*STATE_VARIABLES, "PYTHONPATH")
    return {name: os.environ[name] for name in names if name in os.environ}


def stdio_params() -> StdioServerParameters:
    """``pm-agent serve`` over stdio with a minimal environment, as Claude Desktop launches it."""
    return StdioServerParameters(command=sys.executable, args=SERVE[1:], env=state_env())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class HttpServer:
    """A running ``pm-agent serve --transport http`` and what it wrote to stderr."""

    process: subprocess.Popen
    url: str
    stderr_lines: list[str] = field(default_factory=list)
    ready: threading.Event = field(default_factory=threading.Event)

    def drain_stderr(self) -> None:
        """Read stderr to the end (so the pipe never fills), noting when uvicorn is listening."""
        for line in self.process.stderr:
            self.stderr_lines.append(line)
            if READY_MARKER in line:
                self.ready.set()
        self.ready.set()  # the process ended: stop waiting

    def stderr(self) -> str:
        return "".join(self.stderr_lines)


@contextmanager
def http_server(token: str | None) -> Iterator[HttpServer]:
    """Start ``pm-agent serve --transport http`` on a free loopback port with the test's state; stop it afterwards."""
    env = {**os.environ, **state_env()}
    env.pop("PM_AGENT_HTTP_TOKEN", None)
    if token:
        env["PM_AGENT_HTTP_TOKEN"] = token
    with serving_http(env, path="/mcp") as server:
        yield server


@contextmanager
def serving_http(env: dict[str, str], path: str = "", host: str = "127.0.0.1") -> Iterator[HttpServer]:
    """``pm-agent serve --transport http`` with exactly ``env`` on a free port bound to ``host`` (reached over
    loopback); its URL ends in ``path``."""
    port = free_port()
    command = [*SERVE, "--transport", "http", "--host", host, "--port", str(port)]
    process = subprocess.Popen(
        command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    server = HttpServer(process, f"http://127.0.0.1:{port}{path}")
    reader = threading.Thread(target=server.drain_stderr, daemon=True)
    reader.start()
    try:
        if not server.ready.wait(START_TIMEOUT) or process.poll() is not None:
            raise AssertionError(f"pm-agent serve did not start:\n{server.stderr()}")
        yield server
    finally:
        process.terminate()
        process.wait(timeout=30)  # the webhook worker finishes the job in hand before it stops
        reader.join(timeout=10)
        process.stderr.close()
