"""The same memory code against a real ``chroma run`` server on loopback (PM_AGENT_CHROMA_URL)."""

from __future__ import annotations

import datetime as dt

import pytest
from memory_support import POSTMORTEM, chroma_executable, chroma_server, connections_to, memory_at, write_inputs

from pm_agent.embeddings.embedders import HashEmbedder
from pm_agent.errors import MemoryStoreError
from pm_agent.memory import Memory
from pm_agent.memory.records import record_from_postmortem
from pm_agent.settings import Settings


@pytest.fixture(scope="module")
def server_url(tmp_path_factory):
    if chroma_executable() is None:
        pytest.skip("the `chroma` executable (installed with chromadb) is not on this machine")
    with chroma_server(tmp_path_factory.mktemp("chroma-server") / "data") as url:
        yield url


@pytest.fixture(params=["embedded", "server"])
def open_memory(request, tmp_path):
    """Opens memories on one store: a directory, or the shared server (emptied after the test); closes them."""
    url = request.getfixturevalue("server_url") if request.param == "server" else None
    opened = []

    def open_():
        memory = memory_at(tmp_path / "memory", url=url)
        opened.append(memory)
        return memory

    yield open_
    if url and opened:
        opened[0].store.drop()
    for memory in opened:
        memory.close()


def test_the_server_is_used_when_a_chroma_url_is_set(server_url, tmp_path, monkeypatch):
    monkeypatch.setenv("PM_AGENT_CHROMA_URL", server_url)
    memory = Memory(Settings(), embedder=HashEmbedder())

    assert memory.store.location == server_url
    assert memory.ingest_paths([write_inputs(tmp_path / "in")["jsonl"]]).added == 4
    assert not (tmp_path / "memory").exists()
    memory.store.drop()
    memory.close()


def test_closing_a_server_memory_closes_its_connections(server_url, tmp_path):
    port = int(server_url.rsplit(":", 1)[1])
    if connections_to(port) is None:
        pytest.skip("no /proc/net/tcp to count connections on this machine")
    before = connections_to(port)
    memory = memory_at(tmp_path / "memory", url=server_url)
    memory.ingest_paths([write_inputs(tmp_path / "in")["jsonl"]])
    opened = connections_to(port)

    memory.store.drop()
    memory.close()

    assert (opened > before, connections_to(port)) == (True, before)


def test_ingest_is_idempotent_on_either_store(open_memory, tmp_path):
    files = list(write_inputs(tmp_path / "in").values())

    first = open_memory().ingest_paths(files)
    again = open_memory().ingest_paths(files)

    assert (first.added, again.added, again.already_stored) == (7, 0, 7)
    assert open_memory().count() == 7


def test_search_ranks_the_same_on_either_store(open_memory, tmp_path):
    memory = open_memory()
    memory.ingest_paths(list(write_inputs(tmp_path / "in").values()))

    hits = memory.search("DNS lookups failing, resolver cache empty", k=2)

    assert [hit.source_id for hit in hits] == ["dns-ttl-2025-01", "dns-resolver-2025-02"]


def test_action_tracking_and_remember_work_on_either_store(open_memory, tmp_path):
    memory = open_memory()
    memory.remember(POSTMORTEM)
    first = memory.list_actions(overdue=True)[0]

    memory.mark_action_done(first.id)

    reopened = open_memory()
    assert reopened.list_actions(overdue=True) == []
    statuses = [a.status for a in reopened.get_postmortem(POSTMORTEM.incident_id).action_items]
    assert statuses == ["done", "in_progress", "done"]
    assert reopened.patterns(since=dt.date(2025, 1, 1)).incidents == 1


def test_a_new_version_keeps_the_ids_and_a_reindex_works_on_either_store(open_memory):
    memory = open_memory()
    first = memory.remember(POSTMORTEM)
    memory.mark_action_done(first.action_items[0].id)
    revised = POSTMORTEM.model_copy(update={"summary": "Revised after review."})

    second = memory.remember(revised)
    report = memory.reindex()

    reopened = open_memory()
    assert second.id == first.id
    assert reopened.get_incident(record_from_postmortem(revised).id).summary == "Revised after review."
    assert [(a.id, a.status) for a in reopened.get_postmortem(first.id).action_items] == [
        (f"{first.id}.a1", "done"),
        (f"{first.id}.a2", "in_progress"),
        (f"{first.id}.a3", "done"),
    ]
    assert (report.records, reopened.count()) == (1, 1)


def test_an_unreachable_server_is_a_clear_store_error(tmp_path):
    memory = memory_at(tmp_path / "memory", url=f"http://127.0.0.1:{_closed_port()}")

    with pytest.raises(MemoryStoreError, match=r"cannot reach the incident memory at http://127\.0\.0\.1:"):
        memory.count()


def _closed_port() -> int:
    from memory_support import free_port

    return free_port()
