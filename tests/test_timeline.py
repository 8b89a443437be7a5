"""Phases of events and detection/response metrics."""

from __future__ import annotations

import datetime as dt

from pm_agent.analysis.timeline import classify_phases, compute_metrics
from pm_agent.models import Incident, TimelineEvent

UTC = dt.UTC


def at(hour, minute):
    return dt.datetime(2024, 3, 1, hour, minute, tzinfo=UTC)


def incident(events, **times):
    return Incident(
        id="i", title="t", events=[TimelineEvent(at=at(h, m), source=s, text=t) for h, m, s, t in events], **times
    )


STORY = [
    (13, 58, "deploy", "checkout v2.4 rolled out"),
    (14, 2, "metric", "checkout 5xx rate rises"),
    (14, 9, "alert", "FIRING CheckoutErrors"),
    (14, 11, "page", "Acknowledged by on-call"),
    (14, 16, "chat", "Incident declared, bridge opened"),
    (14, 24, "chat", "Investigating pool exhaustion"),
    (14, 38, "deploy", "Rolled back to v2.3"),
    (14, 44, "metric", "error rate back to normal, service restored"),
    (15, 5, "note", "Incident resolved"),
]


def test_every_event_gets_the_phase_its_words_and_position_imply():
    phases = [e.phase for e in classify_phases(incident(STORY, detected_at=at(14, 9), resolved_at=at(15, 5)))]
    assert phases == [
        "trigger",
        "trigger",
        "detection",
        "escalation",
        "escalation",
        "diagnosis",
        "mitigation",
        "mitigation",
        "resolution",
    ]


def test_a_deploy_before_detection_is_a_trigger_and_after_it_a_mitigation():
    events = classify_phases(
        incident([(14, 0, "deploy", "v1 out"), (14, 5, "alert", "firing"), (14, 9, "deploy", "v2 out")])
    )
    assert [e.phase for e in events] == ["trigger", "detection", "mitigation"]


def test_metrics_come_from_the_stated_times_and_say_where_from():
    metrics = {
        m.name: m
        for m in compute_metrics(incident(STORY, started_at=at(14, 2), detected_at=at(14, 9), resolved_at=at(15, 5)))
    }
    assert {name: m.minutes for name, m in metrics.items()} == {
        "time_to_detect": 7.0,
        "time_to_acknowledge": 2.0,
        "time_to_mitigate": 42.0,
        "time_to_resolve": 56.0,
        "duration": 63.0,
    }
    assert (
        metrics["time_to_detect"].basis
        == "started_at (input) 2024-03-01 14:02 UTC → detected_at (input) 2024-03-01 14:09 UTC"
    )
    assert metrics["time_to_acknowledge"].basis.startswith(
        "detected_at (input) 2024-03-01 14:09 UTC → first acknowledgement (page:"
    )


def test_a_metric_the_data_cannot_support_is_unknown_with_a_question():
    only_alerts = incident([(14, 9, "alert", "FIRING CheckoutErrors"), (14, 30, "chat", "still looking")])
    metrics = {m.name: m for m in compute_metrics(only_alerts)}
    assert metrics["time_to_detect"].minutes is None
    assert (
        metrics["time_to_detect"].question
        == "When did the impact begin (first failing request or first affected user)?"
    )
    assert metrics["time_to_resolve"].minutes is None
    assert (
        metrics["time_to_resolve"].question
        == "When was the incident resolved (impact over and no further action needed)?"
    )


def test_contradictory_times_are_questioned_not_reported_as_negative():
    contradictory = incident([(14, 0, "alert", "firing")], started_at=at(14, 30), detected_at=at(14, 0))
    metric = next(m for m in compute_metrics(contradictory) if m.name == "time_to_detect")
    assert metric.minutes is None
    assert "comes before" in metric.question


def test_a_report_of_not_found_errors_is_detection_not_a_finding():
    events = classify_phases(
        incident([(14, 0, "chat", "support is getting reports of 'not found' on every invoice link")])
    )
    assert [e.phase for e in events] == ["detection"]


def test_a_backlog_still_draining_after_the_fix_is_part_of_the_mitigation_not_of_the_diagnosis():
    events = [
        (9, 0, "alert", "FIRING ResizeQueueAge"),
        (9, 12, "chat", "bumped the resizer worker max to 20"),
        (9, 30, "chat", "thumbnail queue draining, oldest item now 12 minutes old"),
        (10, 5, "chat", "oldest item back under 30 seconds, backlog cleared"),
    ]
    phases = [(e.text[:15], e.phase) for e in classify_phases(incident(events))]
    assert phases == [
        ("FIRING ResizeQu", "detection"),
        ("bumped the resi", "mitigation"),
        ("thumbnail queue", "mitigation"),
        ("oldest item bac", "mitigation"),
    ]
