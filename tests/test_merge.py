"""Merging several files into one timeline."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from pm_agent.errors import InputError
from pm_agent.ingest import load_incident
from pm_agent.ingest.merge import collapse_duplicates
from pm_agent.models import SourceRef, TimelineEvent

UTC = dt.timezone.utc


def event(minute, text, source="chat", second=0, ref="f"):
    return TimelineEvent(at=dt.datetime(2024, 3, 1, 14, minute, second, tzinfo=UTC), source=source, text=text,
                         refs=[SourceRef(file=ref)])


def test_exact_duplicates_collapse_and_keep_both_references():
    merged = collapse_duplicates([event(5, "DB failover started", ref="a"), event(5, "DB failover started", ref="b")])
    assert [(e.text, e.refs) for e in merged] == [("DB failover started", [SourceRef(file="a"), SourceRef(file="b")])]


def test_near_duplicates_within_two_minutes_collapse():
    merged = collapse_duplicates([
        event(5, "FIRING CheckoutLatencyHigh service=checkout p99 above 2s", source="alert", ref="am"),
        event(5, "[FIRING:1] CheckoutLatencyHigh service=checkout p99 above 2s", source="alert", second=40, ref="slack"),
    ])
    assert len(merged) == 1
    assert merged[0].refs == [SourceRef(file="am"), SourceRef(file="slack")]


def test_similar_words_far_apart_in_time_stay_separate():
    merged = collapse_duplicates([event(5, "restarted the api pods"), event(15, "restarted the api pods")])
    assert len(merged) == 2


def test_different_events_at_the_same_time_stay_separate():
    merged = collapse_duplicates([event(5, "rollback started"), event(5, "error rate at 12%")])
    assert [e.text for e in merged] == ["rollback started", "error rate at 12%"]


def test_files_merge_sorted_in_utc_with_titles_and_services_unioned(tmp_path):
    a = tmp_path / "a.json"
    b = tmp_path / "b.json"
    a.write_text(json.dumps({"title": "Checkout slow", "services": ["checkout"], "started_at": "2024-03-01T14:00:00Z",
                             "events": [{"at": "2024-03-01T15:10:00+01:00", "source": "alert", "text": "p99 high"}]}))
    b.write_text(json.dumps({"title": "other", "services": ["checkout", "payments"],
                             "events": [{"at": "2024-03-01T14:02:00Z", "source": "deploy", "text": "v2 rolled out"}]}))
    incident = load_incident([b, a])
    assert incident.title == "other"  # the first native file given wins
    assert incident.services == ["checkout", "payments"]
    assert [(e.at.strftime("%H:%M"), e.text) for e in incident.events] == [("14:02", "v2 rolled out"), ("14:10", "p99 high")]
    assert incident.sources == [str(b), str(a)]


def test_resolved_before_started_is_refused(tmp_path):
    path = tmp_path / "a.json"
    path.write_text(json.dumps({"title": "x", "started_at": "2024-03-01T14:00:00Z", "resolved_at": "2024-03-01T13:00:00Z",
                                "events": [{"at": "2024-03-01T14:00:00Z", "source": "note", "text": "x"}]}))
    with pytest.raises(InputError, match="resolved_at .* is before started_at"):
        load_incident([path])
