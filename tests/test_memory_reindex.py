"""Switching embedders: a memory built with one embedder is re-embedded with another by `pm-agent memory reindex`."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import EXAMPLE
from memory_support import PLAIN_ROWS, POSTMORTEM, memory_at

from pm_agent.cli import main
from pm_agent.embeddings.embedders import HashEmbedder
from pm_agent.errors import MemoryStoreError
from pm_agent.memory.records import record_from_plain
from pm_agent.service import PostmortemService
from pm_agent.settings import Settings

REINDEX_HINT = "run `pm-agent memory reindex` to re-embed every record with lexical-hash-v1"


class OtherEmbedder(HashEmbedder):
    """Stands for the embedder a memory was built with before a switch (MiniLM, or the lexical fallback)."""

    name = "other-embedder-v1"

    def __init__(self) -> None:
        super().__init__(dimension=64)


@pytest.fixture
def built_with_another_embedder(tmp_path, monkeypatch):
    """The memory directory the CLI uses, filled with another embedder's vectors; the CLI embeds lexically."""
    directory = tmp_path / "memory"
    monkeypatch.setenv("PM_AGENT_MEMORY_DIR", str(directory))
    monkeypatch.setenv("PM_AGENT_EMBEDDER", "lexical")
    memory = memory_at(directory, embedder=OtherEmbedder())
    memory.ingest_records([record_from_plain(row) for row in PLAIN_ROWS])
    memory.remember(POSTMORTEM)
    memory.close()
    return directory


def test_ingest_after_an_embedder_switch_names_reindex(built_with_another_embedder):
    memory = memory_at(built_with_another_embedder)

    with pytest.raises(MemoryStoreError) as refused:
        memory.remember(POSTMORTEM.model_copy(update={"summary": "Revised."}))

    assert str(refused.value) == (
        f"this memory holds other-embedder-v1 vectors but the embedder in use is lexical-hash-v1: {REINDEX_HINT} "
        "(or make other-embedder-v1 available again)"
    )


def test_reindex_re_embeds_every_record_and_ingest_works_again(built_with_another_embedder, capsys):
    before = memory_at(built_with_another_embedder).records()

    assert main(["memory", "reindex"]) == 0
    said = capsys.readouterr().out
    after = memory_at(built_with_another_embedder)
    same_records = after.records()
    ingested = main(["memory", "ingest", "--json", str(EXAMPLE)])
    report = json.loads(capsys.readouterr().out)

    assert said == "5 records embedded again with lexical-hash-v1 (they held other-embedder-v1 vectors)\n"
    assert same_records == before
    assert after.stats()["stored_vectors"] == "lexical-hash-v1"
    assert after.search("DNS resolver cache", k=1)[0].dense_rank is not None  # the vectors are searched again
    assert (ingested, report["added"], report["embedder"]) == (0, 1, "lexical-hash-v1")
    assert after.remember(POSTMORTEM.model_copy(update={"summary": "Revised."})).summary == "Revised."


def test_reindex_is_in_the_service_and_reports_json(built_with_another_embedder, capsys):
    report = PostmortemService(Settings()).reindex_memory()

    assert report.model_dump() == {
        "records": 5,
        "previous_embedder": "other-embedder-v1",
        "embedder": "lexical-hash-v1",
    }
    assert main(["memory", "reindex", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "records": 5,
        "previous_embedder": "lexical-hash-v1",
        "embedder": "lexical-hash-v1",
    }


def test_a_reindex_that_fails_half_way_leaves_the_memory_as_it_was(built_with_another_embedder, monkeypatch):
    memory = memory_at(built_with_another_embedder)
    before = memory.records()

    def broken(texts):
        raise MemoryStoreError("the embedder stopped")

    monkeypatch.setattr(memory.embedder, "embed_batch", broken)
    with pytest.raises(MemoryStoreError, match="the embedder stopped"):
        memory.reindex()

    reopened = memory_at(built_with_another_embedder, embedder=OtherEmbedder())
    assert reopened.records() == before
    assert reopened.stats()["stored_vectors"] == "other-embedder-v1"


def test_a_reindex_interrupted_between_dropping_and_renaming_is_finished_on_the_next_open(
    built_with_another_embedder, monkeypatch
):
    before = memory_at(built_with_another_embedder).records()
    memory = memory_at(built_with_another_embedder)
    real_modify = None

    def stop_before_rename(self, *args, **kwargs):
        if kwargs.get("name"):
            raise KeyboardInterrupt
        return real_modify(self, *args, **kwargs)

    import chromadb.api.models.Collection as collection_module

    real_modify = collection_module.Collection.modify
    monkeypatch.setattr(collection_module.Collection, "modify", stop_before_rename)
    with pytest.raises(KeyboardInterrupt):
        memory.reindex()
    monkeypatch.undo()
    memory.close()

    reopened = memory_at(built_with_another_embedder)
    assert reopened.records() == before
    assert reopened.stats()["stored_vectors"] == "lexical-hash-v1"


def test_watch_failing_after_an_embedder_switch_names_reindex(built_with_another_embedder, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "payments.json").write_text(EXAMPLE.read_text(), encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if not key.startswith("PM_AGENT_")} | {
        "PM_AGENT_MEMORY_DIR": str(built_with_another_embedder),
        "PM_AGENT_EMBEDDER": "lexical",
        "PM_AGENT_OUTPUT_DIR": str(tmp_path / "drafts"),
        "PM_AGENT_QUEUE_DIR": str(tmp_path / "queue"),
    }

    watched = subprocess.run(
        [sys.executable, "-m", "pm_agent", "watch", str(inbox), "--once"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert REINDEX_HINT in watched.stderr + watched.stdout
    (failed,) = (tmp_path / "queue" / "failed").glob("*.json")
    assert REINDEX_HINT in json.loads(failed.read_text(encoding="utf-8"))["error"]
