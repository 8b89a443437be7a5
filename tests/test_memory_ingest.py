"""Ingest into the incident memory: every format, the metadata kept, idempotence and resume."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from memory_support import (
    INCIDENT_WITH_TIMELINE,
    PLAIN_ROWS,
    POSTMORTEM,
    memory_at,
    write_inputs,
)

from pm_agent.memory.records import MemoryRecord


def by_source(memory) -> dict[str, MemoryRecord]:
    return {record.source_id: record for record in memory.records()}


def test_every_format_is_ingested_into_one_record_per_incident(tmp_path):
    files = write_inputs(tmp_path / "in")
    memory = memory_at(tmp_path / "memory")

    report = memory.ingest_paths(list(files.values()))

    assert (report.files, report.read, report.added, report.already_stored, report.problems) == (4, 7, 7, 0, [])
    assert sorted(by_source(memory)) == sorted(
        [row["id"] for row in PLAIN_ROWS] + [POSTMORTEM.incident_id, INCIDENT_WITH_TIMELINE["id"], "queue-stall"]
    )
    assert memory.count() == 7


def test_a_directory_stands_for_the_files_under_it(tmp_path):
    write_inputs(tmp_path / "in")
    memory = memory_at(tmp_path / "memory")

    report = memory.ingest_paths([tmp_path / "in"])

    assert (report.files, report.added, report.problems) == (4, 7, [])


def test_jsonl_rows_keep_date_severity_services_and_extra_facts(tmp_path):
    files = write_inputs(tmp_path / "in")
    memory = memory_at(tmp_path / "memory")
    memory.ingest_paths([files["jsonl"]])

    record = by_source(memory)["dns-ttl-2025-01"]

    assert (record.kind, record.title, record.date, record.severity, record.services) == (
        "incident",
        PLAIN_ROWS[0]["title"],
        dt.date(2025, 1, 10),
        "SEV2",
        ["checkout", "dns"],
    )
    assert record.extra == {"company": "Example Shop"}
    assert record.source.endswith("incidents.jsonl:1")
    assert record.id.startswith("inc-") and len(record.id) == 20


def test_postmortem_json_keeps_factors_actions_and_resolve_time(tmp_path):
    files = write_inputs(tmp_path / "in")
    memory = memory_at(tmp_path / "memory")
    memory.ingest_paths([files["postmortem"]])

    record = by_source(memory)[POSTMORTEM.incident_id]

    assert record.kind == "postmortem"
    assert (record.date, record.severity, record.services) == (dt.date(2025, 3, 4), "SEV1", ["orders-api", "orders-db"])
    assert record.contributing_factors == POSTMORTEM.contributing_factors
    assert [(a.id, a.title, a.owner, a.due, a.status) for a in record.action_items] == [
        (
            f"{record.id}.a1",
            "Add a canary stage for configuration pushes",
            "platform team lead",
            dt.date(2025, 4, 1),
            "open",
        ),
        (
            f"{record.id}.a2",
            "Alert when the connection pool is over 90% used",
            "Dana",
            dt.date(2025, 9, 1),
            "in_progress",
        ),
        (f"{record.id}.a3", "Document the pool sizing rule", "Lee", dt.date(2025, 3, 20), "done"),
    ]
    assert memory.get_postmortem(POSTMORTEM.incident_id).summary == POSTMORTEM.summary


def test_cause_categories_come_from_the_text(tmp_path):
    files = write_inputs(tmp_path / "in")
    memory = memory_at(tmp_path / "memory")
    memory.ingest_paths(list(files.values()))
    records = by_source(memory)

    assert "config" in records[POSTMORTEM.incident_id].causes
    assert "database" in records["disk-full-2024-11"].causes
    assert all(len(record.causes) <= 3 for record in records.values())


def test_incident_json_with_a_timeline_is_read_by_the_core_ingest(tmp_path):
    files = write_inputs(tmp_path / "in")
    memory = memory_at(tmp_path / "memory")
    memory.ingest_paths([files["incident"]])

    record = by_source(memory)["cache-stampede-2025-05"]

    assert (record.kind, record.date, record.severity, record.services) == (
        "incident",
        dt.date(2025, 5, 12),
        "SEV3",
        ["catalog", "redis-cache"],
    )
    assert record.resolve_minutes == 90
    assert record.summary == INCIDENT_WITH_TIMELINE["notes"]
    assert "Deploy flushed the redis cache for catalog" in record.text()


def test_markdown_sections_become_fields(tmp_path):
    files = write_inputs(tmp_path / "in")
    memory = memory_at(tmp_path / "memory")
    memory.ingest_paths([files["markdown"]])

    record = by_source(memory)["queue-stall"]

    assert (record.kind, record.title, record.date, record.severity) == (
        "postmortem",
        "Queue consumers stalled after broker upgrade",
        dt.date(2025, 4, 22),
        "SEV2",
    )
    assert record.services == ["billing-worker", "rabbitmq"]
    assert record.resolve_minutes == 135
    assert record.summary.startswith("After the message broker was upgraded")
    assert record.root_causes == [
        "The upgrade changed the default prefetch setting, and the consumers' configuration relied on the old default."
    ]
    assert record.contributing_factors == ["No alert on queue depth", "The config change skipped canary review"]
    assert [(a.title, a.owner, a.due, a.status) for a in record.action_items] == [
        ("Alert on queue depth above 10k messages", "Priya", dt.date(2025, 5, 15), "open"),
        ("Pin the prefetch setting explicitly", "Marco", dt.date(2025, 5, 1), "done"),
    ]


def test_stored_metadata_can_be_filtered_in_chroma(tmp_path):
    files = write_inputs(tmp_path / "in")
    memory = memory_at(tmp_path / "memory")
    memory.ingest_paths(list(files.values()))

    postmortems = memory.store.find({"kind": "postmortem"})
    dns = memory.store.find({"services": {"$contains": "dns"}})

    assert sorted(item.metadata["source_id"] for item in postmortems) == ["pool-exhaustion-2025-03", "queue-stall"]
    assert sorted(item.metadata["source_id"] for item in dns) == ["dns-resolver-2025-02", "dns-ttl-2025-01"]
    assert {item.metadata["date"] for item in dns} == {"2025-01-10", "2025-02-20"}


def test_label_fields_of_a_data_set_are_never_stored(tmp_path):
    row = {
        **PLAIN_ROWS[0],
        "categories": ["danluu:Config Errors"],
        "category_norm": ["config"],
        "category_primary": "config",
        "category_primary_basis": "source label",
    }
    source = tmp_path / "labelled.jsonl"
    source.write_text(json.dumps(row) + "\n", encoding="utf-8")
    memory = memory_at(tmp_path / "memory")
    memory.ingest_paths([source])

    (item,) = list(memory.store.all_items())

    assert "danluu" not in item.document and "source label" not in item.document
    assert "category_primary" not in item.metadata["record"] and "danluu" not in item.metadata["record"]


def test_ingesting_the_same_content_again_adds_nothing(tmp_path):
    files = write_inputs(tmp_path / "in")
    memory = memory_at(tmp_path / "memory")
    memory.ingest_paths(list(files.values()))

    again = memory_at(tmp_path / "memory").ingest_paths(list(files.values()))

    assert (again.read, again.added, again.already_stored) == (7, 0, 7)
    assert memory.count() == 7


def test_rows_repeated_in_one_input_are_stored_once(tmp_path):
    source = tmp_path / "twice.jsonl"
    source.write_text((json.dumps(PLAIN_ROWS[0]) + "\n") * 3, encoding="utf-8")
    memory = memory_at(tmp_path / "memory")

    report = memory.ingest_paths([source])

    assert (report.read, report.added, report.repeated_in_input) == (3, 1, 2)


class Interrupted(Exception):
    pass


def interrupt_after(limit: int):
    """A progress wrapper that stops the ingest after ``limit`` records, like Ctrl-C would."""

    def progress(items, total, label):
        for done, item in enumerate(items):
            if done == limit:
                raise Interrupted
            yield item

    return progress


def test_an_interrupted_ingest_resumed_later_ends_with_exactly_one_copy_of_each(tmp_path):
    rows = [
        {"id": f"row-{n}", "title": f"Incident number {n}", "summary": f"Service {n % 7} failed in way {n}."}
        for n in range(450)
    ]
    source = tmp_path / "many.jsonl"
    source.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    memory = memory_at(tmp_path / "memory")
    memory.ingest_batch = 100

    with pytest.raises(Interrupted):
        memory.ingest_paths([source], progress=interrupt_after(250))  # a stop during the third batch
    stored_before_resume = memory.count()
    resumed = memory_at(tmp_path / "memory").ingest_paths([source])

    assert stored_before_resume == 300  # the batch holding record 250 was stored before it was counted
    assert (resumed.added, resumed.already_stored) == (150, 300)
    ids = [item.id for item in memory.store.all_items()]
    assert len(ids) == len(set(ids)) == 450
    assert sorted(record.source_id for record in memory.records()) == sorted(row["id"] for row in rows)


def test_unreadable_files_are_reported_and_the_rest_is_stored(tmp_path):
    files = write_inputs(tmp_path / "in")
    broken = tmp_path / "in" / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    not_an_incident = tmp_path / "in" / "truth.json"
    not_an_incident.write_text(json.dumps({"root_causes": ["x"]}), encoding="utf-8")
    memory = memory_at(tmp_path / "memory")

    report = memory.ingest_paths([*files.values(), broken, not_an_incident, tmp_path / "missing.json"])

    assert report.added == 7
    assert report.problems == [
        f"{tmp_path / 'missing.json'}: no such file",
        f"{broken}: malformed JSON at line 1, column 2: Expecting property name enclosed in double quotes",
        f"{not_an_incident}: no title or summary: not an incident or postmortem",
    ]


def test_a_json_array_and_json_lines_without_the_extension_are_read_too(tmp_path):
    array = tmp_path / "several.json"
    array.write_text(json.dumps(PLAIN_ROWS[:2]), encoding="utf-8")
    lines = tmp_path / "export.txt"
    lines.write_text("".join(json.dumps(row) + "\n" for row in PLAIN_ROWS[2:]), encoding="utf-8")
    memory = memory_at(tmp_path / "memory")

    report = memory.ingest_paths([array, lines])

    assert (report.added, report.problems) == (4, [])
    assert sorted(r.source for r in memory.records()) == sorted(
        [f"{array}[0]", f"{array}[1]", f"{lines}:1", f"{lines}:2"]
    )


def test_a_secret_in_an_ingested_file_is_redacted_before_it_is_embedded_or_stored(tmp_path, caplog):
    token = "xo" + "xb-" + "123456789012-1234567890123-" + "A1b2C3d4E5f6G7h8I9j0K1l2"
    row = {**PLAIN_ROWS[0], "summary": f"The bot token {token} was pasted in the channel at 14:02; 40 minutes of 502s."}
    source = tmp_path / "leaky.jsonl"
    source.write_text(json.dumps(row) + "\n")
    memory = memory_at(tmp_path / "memory")

    with caplog.at_level("WARNING", logger="pm_agent.guards.redaction"):
        memory.ingest_paths([source])

    [record] = memory.records()
    assert (
        record.summary == "The bot token [REDACTED:slack-token] was pasted in the channel at 14:02; 40 minutes of 502s."
    )
    assert token not in "".join(
        path.read_bytes().decode("latin-1") for path in (tmp_path / "memory").rglob("*") if path.is_file()
    )
    assert caplog.messages == ["redacted from the memory records before use: 1 slack-token"]
