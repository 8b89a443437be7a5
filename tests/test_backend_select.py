"""Choosing the backend from PM_AGENT_BACKEND, the key, and the MCP client's sampling offer."""

from __future__ import annotations

import subprocess
import sys

import pytest
from fake_anthropic import FakeAnthropicServer, tool_use

from pm_agent.assisted import BlamelessText, rewrite_request
from pm_agent.backends import FakeBackend, OfflineBackend, select_backend
from pm_agent.errors import ConfigError
from pm_agent.models import BlamelessReport
from pm_agent.settings import Settings


async def client_model(**params):  # stands in for an MCP client's create_message
    raise AssertionError("not called when only selecting")


def chosen(**settings) -> str:
    sampling = settings.pop("sampling", None)
    override = settings.pop("override", None)
    return select_backend(Settings(**settings), override=override, sampling=sampling).name


def test_auto_picks_claude_with_a_key_then_the_clients_model_then_offline():
    assert chosen(anthropic_api_key="test", sampling=client_model) == "anthropic"
    assert chosen(anthropic_api_key=None, sampling=client_model) == "sampling"
    assert chosen(anthropic_api_key=None) == "offline"
    assert chosen(anthropic_api_key="  ") == "offline"


def test_an_explicit_choice_or_an_override_wins_over_auto():
    assert chosen(backend="offline", anthropic_api_key="test") == "offline"
    assert chosen(backend="auto", anthropic_api_key="test", override="offline") == "offline"
    assert isinstance(select_backend(Settings(), override="fake"), FakeBackend)
    assert isinstance(select_backend(Settings(), override="OFFLINE"), OfflineBackend)


def test_the_claude_backend_takes_model_and_limits_from_settings():
    backend = select_backend(
        Settings(
            backend="anthropic",
            anthropic_api_key="test",
            model="claude-haiku-4-5",
            max_attempts=2,
            deadline_s=9.0,
            max_tokens=1024,
        )
    )

    assert (backend.model, backend.max_tokens, backend.retry.max_attempts, backend.retry.deadline_s) == (
        "claude-haiku-4-5",
        1024,
        2,
        9.0,
    )


def test_the_backend_comes_from_pm_agent_backend(monkeypatch):
    monkeypatch.setenv("PM_AGENT_BACKEND", "offline")
    assert select_backend(Settings(anthropic_api_key="test")).name == "offline"


def test_claude_without_a_key_says_what_to_set():
    with pytest.raises(
        ConfigError, match="the anthropic backend needs ANTHROPIC_API_KEY; set it, or use --backend offline"
    ):
        select_backend(Settings(anthropic_api_key=None), override="anthropic")


def test_sampling_outside_an_mcp_session_says_where_it_works():
    with pytest.raises(ConfigError, match="it works only inside `pm-agent serve`"):
        select_backend(Settings(), override="sampling")


def test_an_unknown_backend_lists_the_choices():
    with pytest.raises(
        ConfigError, match="unknown backend 'gpt'; choose one of auto, offline, anthropic, sampling, fake"
    ):
        select_backend(Settings(), override="gpt")


def test_the_api_address_comes_from_anthropic_base_url(monkeypatch):
    answer = BlamelessText(rewritten="The check did not run.")
    with FakeAnthropicServer(tool_use("record_blameless_text", answer.model_dump())) as api:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", api.url)
        backend = select_backend(Settings(anthropic_api_key="test"))
        generation = backend.generate(rewrite_request("x", BlamelessReport(original="x", rewritten="x")))

    assert generation.value == answer
    assert len(api.requests) == 1


def test_starting_pm_agent_loads_no_model_sdk():
    code = (
        "import sys, pm_agent.cli, pm_agent.service, pm_agent.backends, pm_agent.assisted;"
        "from pm_agent.backends import select_backend; from pm_agent.settings import Settings;"
        "select_backend(Settings(anthropic_api_key=None));"
        "print(sorted(m for m in ('anthropic', 'httpx2') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
