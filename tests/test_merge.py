"""Merging several files into one timeline."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from guards import finishes_in_reasonable_time

from pm_agent.errors import InputError
from pm_agent.ingest import load_incident, load_incident_text
from pm_agent.ingest.merge import collapse_duplicates
from pm_agent.models import SourceRef, TimelineEvent

UTC = dt.UTC


def event(minute, text, source="chat", second=0, ref="f"):
    return TimelineEvent(
        at=dt.datetime(2024, 3, 1, 14, minute, second, tzinfo=UTC), source=source, text=text, refs=[SourceRef(file=ref)]
    )


def test_exact_duplicates_collapse_and_keep_both_references():
    merged = collapse_duplicates([event(5, "DB failover started", ref="a"), event(5, "DB failover started", ref="b")])
    assert [(e.text, e.refs) for e in merged] == [("DB failover started", [SourceRef(file="a"), SourceRef(file="b")])]


def test_near_duplicates_within_two_minutes_collapse():
    merged = collapse_duplicates(
        [
            event(5, "FIRING CheckoutLatencyHigh service=checkout p99 above 2s", source="alert", ref="am"),
            event(
                5,
                "[FIRING:1] CheckoutLatencyHigh service=checkout p99 above 2s",
                source="alert",
                second=40,
                ref="slack",
            ),
        ]
    )
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
    a.write_text(
        json.dumps(
            {
                "title": "Checkout slow",
                "services": ["checkout"],
                "started_at": "2024-03-01T14:00:00Z",
                "events": [{"at": "2024-03-01T15:10:00+01:00", "source": "alert", "text": "p99 high"}],
            }
        )
    )
    b.write_text(
        json.dumps(
            {
                "title": "other",
                "services": ["checkout", "payments"],
                "events": [{"at": "2024-03-01T14:02:00Z", "source": "deploy", "text": "v2 rolled out"}],
            }
        )
    )
    incident = load_incident([b, a])
    assert incident.title == "other"  # the first native file given wins
    assert incident.services == ["checkout", "payments"]
    assert [(e.at.strftime("%H:%M"), e.text) for e in incident.events] == [
        ("14:02", "v2 rolled out"),
        ("14:10", "p99 high"),
    ]
    assert incident.sources == [str(b), str(a)]


def test_resolved_before_started_is_refused(tmp_path):
    path = tmp_path / "a.json"
    path.write_text(
        json.dumps(
            {
                "title": "x",
                "started_at": "2024-03-01T14:00:00Z",
                "resolved_at": "2024-03-01T13:00:00Z",
                "events": [{"at": "2024-03-01T14:00:00Z", "source": "note", "text": "x"}],
            }
        )
    )
    with pytest.raises(InputError, match=r"resolved_at .* is before started_at"):
        load_incident([path])


# --- large and hostile inputs: folding costs O(n log n), and the event limit comes first ---------------


def test_fifty_thousand_copies_of_one_line_fold_into_one_event_that_keeps_every_reference():
    text = "\n".join(["2026-03-10T14:00:00Z [chat] the checkout api is down"] * 50_000)
    with finishes_in_reasonable_time():
        incident = load_incident_text(text, "copies.txt")
    assert [(e.text, len(e.refs)) for e in incident.events] == [("the checkout api is down", 50_000)]
    assert incident.events[0].refs[-1] == SourceRef(file="copies.txt", locator="line 50000")


def test_fifty_thousand_copies_of_one_undated_line_fold_into_one_undated_event():
    text = "2026-03-10T14:00:00Z [chat] paged\n" + "\n".join(["~14:05 the checkout api is down"] * 49_999)
    with finishes_in_reasonable_time():
        incident = load_incident_text(text, "copies.txt")
    assert [(e.text, len(e.refs)) for e in incident.undated_events] == [("the checkout api is down", 49_999)]


def test_fifty_thousand_events_given_twice_each_fold_in_pairs():
    start = dt.datetime(2026, 3, 10, 14, 0, tzinfo=UTC)
    events = [
        {
            "at": (start + dt.timedelta(seconds=n // 2)).isoformat(),
            "source": "chat",
            "text": f"checkout api error on pod {n // 2} again",
        }
        for n in range(50_000)
    ]
    with finishes_in_reasonable_time():
        incident = load_incident_text(json.dumps({"title": "Pairs", "events": events}), "pairs.json")
    assert len(incident.events) == 25_000
    assert {len(e.refs) for e in incident.events} == {2}


def test_a_burst_of_different_events_sharing_a_word_within_two_minutes_is_kept_whole():
    """Each shares "error" with every other; none is similar to another. Comparing each with all
    before it is 200 million comparisons; only the latest few that share a word are compared."""
    start = dt.datetime(2026, 3, 10, 14, 0, tzinfo=UTC)
    events = [
        TimelineEvent(
            at=start + dt.timedelta(milliseconds=n),
            source="chat",
            text=f"error w{n} x{n} y{n} z{n}",
            refs=[SourceRef(file="burst", locator=str(n))],
        )
        for n in range(20_000)
    ]
    with finishes_in_reasonable_time():
        kept = collapse_duplicates(events)
    assert [e.text for e in kept] == [e.text for e in events]


def test_a_copy_far_behind_a_burst_of_other_events_still_folds_into_its_twin():
    """Past the bound on compared events, the same text in the window is still found."""
    start = dt.datetime(2026, 3, 10, 14, 0, tzinfo=UTC)
    burst = [
        TimelineEvent(
            at=start + dt.timedelta(milliseconds=n + 1), source="alert", text=f"FIRING HighLatency instance=pod-{n}"
        )
        for n in range(500)
    ]
    again = TimelineEvent(
        at=start + dt.timedelta(seconds=60),
        source="alert",
        text="FIRING HighLatency instance=pod-0",
        refs=[SourceRef(file="again")],
    )
    kept = collapse_duplicates([*burst, again])
    assert len(kept) == 500
    assert kept[0].refs == [SourceRef(file="again")]


def test_the_event_limit_counts_events_as_read_before_folding_them():
    text = "\n".join(["2026-03-10T14:00:00Z [chat] the checkout api is down"] * 6)
    with pytest.raises(InputError, match=r"^6 events, over the limit of 5 \(raise PM_AGENT_MAX_EVENTS\)$"):
        load_incident_text(text, max_events=5)
