"""Reliability patterns and action tracking over the memory."""

from __future__ import annotations

import datetime as dt

import pytest
from memory_support import POSTMORTEM, TODAY, memory_at, write_inputs

from pm_agent.errors import NotFoundError
from pm_agent.memory.patterns import QuarterTrend, Recurring, Repeat
from pm_agent.render.patterns import render_markdown


def loaded_memory(tmp_path):
    memory = memory_at(tmp_path / "memory")
    memory.ingest_paths(list(write_inputs(tmp_path / "in").values()))
    return memory


def test_recurring_services_and_factors_are_counted_with_their_incidents(tmp_path):
    report = loaded_memory(tmp_path).patterns()

    assert (report.incidents, report.undated, report.today) == (7, 0, TODAY)
    assert report.services == [
        Recurring(name="dns", count=2, incidents=["dns-ttl-2025-01", "dns-resolver-2025-02"]),
        Recurring(name="orders-db", count=2, incidents=["disk-full-2024-11", "pool-exhaustion-2025-03"]),
    ]
    assert report.factors == [
        Recurring(
            name="The config change skipped canary review",
            count=2,
            incidents=["pool-exhaustion-2025-03", "queue-stall"],
        ),
    ]
    config = next(row for row in report.causes if row.name == "config")
    assert {"pool-exhaustion-2025-03", "queue-stall", "dns-ttl-2025-01"} <= set(config.incidents)
    assert config.count == len(config.incidents)


def test_repeats_within_ninety_days_name_both_incidents(tmp_path):
    report = loaded_memory(tmp_path).patterns()

    dns_repeat = Repeat(
        kind="service",
        name="dns",
        first="dns-ttl-2025-01",
        first_date=dt.date(2025, 1, 10),
        again="dns-resolver-2025-02",
        again_date=dt.date(2025, 2, 20),
        days_apart=41,
    )
    assert dns_repeat in report.repeats
    assert all(repeat.days_apart <= 90 for repeat in report.repeats)
    assert not any(repeat.name == "public-api" for repeat in report.repeats)


def test_the_quarterly_trend_counts_incidents_and_median_time_to_resolve(tmp_path):
    report = loaded_memory(tmp_path).patterns()

    assert report.quarters == [
        QuarterTrend(quarter="2024-Q3", incidents=1, with_resolve_time=0),
        QuarterTrend(quarter="2024-Q4", incidents=1, with_resolve_time=0),
        QuarterTrend(quarter="2025-Q1", incidents=3, with_resolve_time=0),
        QuarterTrend(quarter="2025-Q2", incidents=2, with_resolve_time=2, median_resolve_minutes=112.5),
    ]


def test_since_keeps_only_incidents_on_or_after_the_date(tmp_path):
    report = loaded_memory(tmp_path).patterns(since=dt.date(2025, 3, 1))

    assert report.incidents == 3
    assert [q.quarter for q in report.quarters] == ["2025-Q1", "2025-Q2"]
    assert report.services == []


def test_the_report_renders_markdown_tables_and_a_mermaid_chart(tmp_path):
    markdown = render_markdown(loaded_memory(tmp_path).patterns())

    assert markdown.startswith("# Reliability patterns (all time)\n\n7 incidents (0 undated), as of 2025-06-30.\n")
    assert "| dns | 2 | dns-ttl-2025-01, dns-resolver-2025-02 |" in markdown
    assert "| service | dns | dns-ttl-2025-01 (2025-01-10) | dns-resolver-2025-02 (2025-02-20) | 41 |" in markdown
    assert "| 2025-Q2 | 2 | 112.5 (of 2) |" in markdown
    assert "```mermaid\nxychart-beta\n" in markdown
    assert '    x-axis ["2024-Q3", "2024-Q4", "2025-Q1", "2025-Q2"]\n' in markdown
    assert "    bar [1, 1, 3, 2]\n```" in markdown
    assert "## Action items not completed\n\n3 open, 2 overdue." in markdown


def test_open_actions_list_overdue_first_with_their_incident(tmp_path):
    memory = loaded_memory(tmp_path)

    actions = memory.list_actions()

    assert [(a.title, a.owner, a.due, a.status, a.overdue, a.incident_id) for a in actions] == [
        (
            "Add a canary stage for configuration pushes",
            "platform team lead",
            dt.date(2025, 4, 1),
            "open",
            True,
            "pool-exhaustion-2025-03",
        ),
        ("Alert on queue depth above 10k messages", "Priya", dt.date(2025, 5, 15), "open", True, "queue-stall"),
        (
            "Alert when the connection pool is over 90% used",
            "Dana",
            dt.date(2025, 9, 1),
            "in_progress",
            False,
            "pool-exhaustion-2025-03",
        ),
    ]
    assert [a.title for a in memory.list_actions(overdue=True)] == [
        "Add a canary stage for configuration pushes",
        "Alert on queue depth above 10k messages",
    ]
    assert len(memory.list_actions(include_done=True)) == 5


def test_marking_an_action_done_is_stored_and_dated(tmp_path):
    memory = loaded_memory(tmp_path)
    overdue = memory.list_actions(overdue=True)[0]

    done = memory.mark_action_done(overdue.id)

    assert (done.id, done.status, done.overdue, done.done_on) == (overdue.id, "done", False, TODAY)
    reopened = memory_at(tmp_path / "memory")
    assert [a.title for a in reopened.list_actions(overdue=True)] == ["Alert on queue depth above 10k messages"]
    assert reopened.patterns().open_actions == reopened.list_actions()
    postmortem = reopened.get_postmortem(POSTMORTEM.incident_id)
    assert [a.status for a in postmortem.action_items] == ["done", "in_progress", "done"]


def test_marking_done_survives_re_ingesting_the_original_file(tmp_path):
    memory = loaded_memory(tmp_path)
    action = memory.list_actions(overdue=True)[0]
    memory.mark_action_done(action.id)

    memory.ingest_paths([tmp_path / "in"])

    assert action.id not in [a.id for a in memory.list_actions()]


def test_unknown_action_ids_are_not_found(tmp_path):
    memory = loaded_memory(tmp_path)

    with pytest.raises(NotFoundError, match="action ids look like"):
        memory.mark_action_done("no-such-action")
    with pytest.raises(NotFoundError, match="holds no record 'pm-0000000000000000'"):
        memory.mark_action_done("pm-0000000000000000.a1")
    with pytest.raises(NotFoundError, match="no action item"):
        memory.mark_action_done(memory.list_actions()[0].id.replace(".a1", ".a9"))


def test_get_incident_by_record_or_incident_id_and_not_found(tmp_path):
    memory = loaded_memory(tmp_path)
    record = memory.get_incident("dns-ttl-2025-01")

    assert memory.get_incident(record.id) == record
    with pytest.raises(NotFoundError):
        memory.get_incident("nothing-like-this")
    with pytest.raises(NotFoundError, match="no postmortem"):
        memory.get_postmortem("dns-ttl-2025-01")
