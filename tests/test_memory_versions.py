"""A postmortem's versions: a new one never costs the stored one, and every id handed out keeps working."""

from __future__ import annotations

import pytest
from memory_support import PLAIN_ROWS, POSTMORTEM, memory_at

from pm_agent.errors import MemoryStoreError
from pm_agent.memory.api import record_metadata
from pm_agent.memory.causes import with_causes
from pm_agent.memory.records import record_from_plain, record_from_postmortem
from pm_agent.models import ActionItem

REVISED = POSTMORTEM.model_copy(
    update={
        "title": "Orders API pool exhausted: a config push cut the pool from 80 to 20 (zebra crossing)",
        "action_items": [*POSTMORTEM.action_items, ActionItem(title="Load-test the pool at 2x peak", owner="Ana")],
    }
)


class FailingWrites:
    """A store whose writes of records fail (a full disk, a server gone), reads and everything else as usual."""

    def __init__(self, store) -> None:
        self._store = store

    def add(self, *args, **kwargs):
        raise MemoryStoreError("cannot write to the incident memory: disk full")

    def __getattr__(self, name):
        return getattr(self._store, name)


def test_a_failed_write_of_a_new_version_keeps_the_stored_one_and_its_tracked_actions(tmp_path):
    memory = memory_at(tmp_path / "memory")
    first = memory.remember(POSTMORTEM)
    memory.mark_action_done(first.action_items[0].id)
    before = memory.get_incident(first.id)
    memory._store = FailingWrites(memory.store)

    with pytest.raises(MemoryStoreError, match="disk full"):
        memory.remember(REVISED)

    reopened = memory_at(tmp_path / "memory")
    assert reopened.get_incident(POSTMORTEM.incident_id) == before
    assert [(a.id, a.status) for a in reopened.list_actions(include_done=True)] == [
        (f"{first.id}.a3", "done"),
        (f"{first.id}.a1", "done"),
        (f"{first.id}.a2", "in_progress"),
    ]


def test_every_version_keeps_the_record_id_and_the_action_ids_handed_out_for_the_first(tmp_path):
    memory = memory_at(tmp_path / "memory")
    first = memory.remember(POSTMORTEM)

    second = memory.remember(REVISED)
    done = memory.mark_action_done(first.action_items[1].id)

    assert second.id == first.id
    assert memory.get_incident(first.id).title == REVISED.title
    assert (done.id, done.title, done.status) == (
        f"{first.id}.a2",
        "Alert when the connection pool is over 90% used",
        "done",
    )
    assert [a.id for a in memory.get_postmortem(first.id).action_items] == [f"{first.id}.a{n}" for n in (1, 2, 3, 4)]


def test_the_content_id_of_any_version_finds_the_current_version(tmp_path):
    memory = memory_at(tmp_path / "memory")
    first = memory.remember(POSTMORTEM)
    memory.remember(REVISED)
    third = REVISED.model_copy(update={"summary": REVISED.summary + " Reviewed again on 2025-04-01."})
    memory.remember(third)

    for version in (POSTMORTEM, REVISED, third):
        found = memory.get_incident(record_from_postmortem(version).id)
        assert (found.id, found.summary) == (first.id, third.summary)


def test_ingesting_the_current_version_again_adds_nothing_and_an_earlier_one_becomes_the_next_version(tmp_path):
    memory = memory_at(tmp_path / "memory")
    memory.remember(POSTMORTEM)
    memory.remember(REVISED)

    again = memory.ingest_records([record_from_postmortem(REVISED)])
    back = memory.ingest_records([record_from_postmortem(POSTMORTEM)])

    assert (again.added, again.already_stored) == (0, 1)
    assert (back.added, back.already_stored, memory.count()) == (1, 0, 1)
    assert memory.get_incident(POSTMORTEM.incident_id).title == POSTMORTEM.title


def test_an_action_dropped_in_one_version_never_lends_its_id_to_an_action_added_later(tmp_path):
    memory = memory_at(tmp_path / "memory")
    first = memory.remember(POSTMORTEM)
    memory.remember(POSTMORTEM.model_copy(update={"action_items": POSTMORTEM.action_items[:2]}))

    third = memory.remember(
        POSTMORTEM.model_copy(
            update={
                "action_items": [
                    *POSTMORTEM.action_items[:2],
                    ActionItem(title="Page on pool saturation", owner="Dana"),
                ],
            }
        )
    )

    assert [(a.id, a.title) for a in third.action_items] == [
        (f"{first.id}.a1", "Add a canary stage for configuration pushes"),
        (f"{first.id}.a2", "Alert when the connection pool is over 90% used"),
        (f"{first.id}.a4", "Page on pool saturation"),
    ]


def test_a_long_running_memory_sees_a_version_another_process_wrote_though_the_count_is_the_same(tmp_path):
    server = memory_at(tmp_path / "memory")
    server.ingest_records([record_from_plain(row) for row in PLAIN_ROWS])
    server.remember(POSTMORTEM)
    assert server.search("zebra crossing", k=1)[0].matched_terms == []
    other_process = memory_at(tmp_path / "memory")

    other_process.remember(REVISED)

    (hit,) = server.search("zebra crossing", k=1)
    assert (hit.title, hit.matched_terms) == (REVISED.title, ["zebra", "crossing"])


def test_a_memory_that_writes_after_another_process_replaced_a_version_still_sees_that_version(tmp_path):
    server = memory_at(tmp_path / "memory")
    server.ingest_records([record_from_plain(row) for row in PLAIN_ROWS[1:]])
    server.remember(POSTMORTEM)
    server.search("zebra crossing", k=1)  # its lexical index is built
    memory_at(tmp_path / "memory").remember(REVISED)  # another process

    server.ingest_records([record_from_plain(PLAIN_ROWS[0])])

    (hit,) = server.search("zebra crossing", k=1)
    assert (hit.title, hit.matched_terms) == (REVISED.title, ["zebra", "crossing"])


def test_two_postmortems_of_one_incident_from_an_older_memory_become_versions_of_one_record(tmp_path):
    memory = memory_at(tmp_path / "memory")
    first = memory.remember(POSTMORTEM)
    older_copy = with_causes(record_from_postmortem(POSTMORTEM.model_copy(update={"summary": "An older copy."})))
    vectors = memory.embedder.embed_batch([older_copy.text()])
    memory.store.add([older_copy.id], vectors, [older_copy.text()], [record_metadata(older_copy)])  # as before versions

    current = memory.remember(REVISED)
    done = memory.mark_action_done(older_copy.action_items[1].id)

    assert (current.id, memory.count()) == (first.id, 1)
    assert memory.get_incident(older_copy.id).id == first.id
    assert (done.id, done.title) == (f"{first.id}.a2", "Alert when the connection pool is over 90% used")
