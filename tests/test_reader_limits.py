"""Every reader holds its input to the same limits: memory ingest, remember_incident, score."""

from __future__ import annotations

import json

import pytest
from conftest import EXAMPLE
from mcp import Client
from mcp_support import anyio_backend  # noqa: F401 - anyio_backend is a fixture

from pm_agent.mcp_server.app import create_server
from pm_agent.memory.sources import read_paths
from pm_agent.service import PostmortemService

ROW = {"title": "Checkout down", "summary": "502s for 40 minutes", "date": "2024-03-01"}


def test_memory_ingest_refuses_a_file_over_the_byte_limit_before_reading_it(tmp_path, monkeypatch):
    monkeypatch.setenv("PM_AGENT_MAX_INPUT_BYTES", "1000")
    path = tmp_path / "rows.jsonl"
    path.write_text("\n".join(json.dumps(ROW | {"title": f"Incident {n}"}) for n in range(40)))
    result = read_paths([path])
    assert (result.records, result.problems) == (
        [],
        [
            f"{path}: {path.stat().st_size:,} bytes, over the 1,000-byte limit "
            "(shorten or split it, or raise PM_AGENT_MAX_INPUT_BYTES)"
        ],
    )


def test_memory_ingest_refuses_a_row_with_a_text_over_the_field_limit(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text(json.dumps(ROW) + "\n" + json.dumps(ROW | {"summary": "x" * 20_001}) + "\n")
    result = read_paths([path])
    assert [r.title for r in result.records] == ["Checkout down"]
    assert result.problems == [
        f"{path}:2: summary is 20,001 characters, over the limit of 20,000 per field "
        "(shorten it, or raise PM_AGENT_MAX_FIELD_CHARS)"
    ]


@pytest.mark.anyio
async def test_remember_incident_refuses_a_postmortem_over_the_event_limit(monkeypatch):
    monkeypatch.setenv("PM_AGENT_EMBEDDER", "lexical")
    service = PostmortemService()
    postmortem = service.draft(service.load([EXAMPLE]), score=False)
    monkeypatch.setenv("PM_AGENT_MAX_EVENTS", "3")
    assert len(postmortem.timeline) > 3
    async with Client(create_server()) as client:
        result = await client.call_tool("remember_incident", {"postmortem": postmortem.model_dump(mode="json")})
    assert result.is_error is True
    assert (
        f"the postmortem has {len(postmortem.timeline)} timeline events, over the limit of 3" in result.content[0].text
    )


@pytest.mark.anyio
async def test_remember_incident_refuses_a_postmortem_over_the_byte_limit(monkeypatch):
    monkeypatch.setenv("PM_AGENT_EMBEDDER", "lexical")
    service = PostmortemService()
    postmortem = service.draft(service.load([EXAMPLE]), score=False)
    monkeypatch.setenv("PM_AGENT_MAX_INPUT_BYTES", "2000")
    async with Client(create_server()) as client:
        result = await client.call_tool("remember_incident", {"postmortem": postmortem.model_dump(mode="json")})
    assert result.is_error is True
    assert "over the limit of 2,000 bytes" in result.content[0].text
