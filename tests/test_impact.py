"""Impact figures are read only from the input, quoted, and missing ones become questions."""

from __future__ import annotations

import datetime as dt

from pm_agent.analysis.impact import extract_impact, impact_questions
from pm_agent.models import Incident, TimelineEvent

NOTES = (
    "Support reported 37 tickets about failed card payments. Analytics: 1,240 checkout attempts failed during the "
    "incident, about 8% of active customers saw an error. The payment-success SLO was breached for the day. "
    "Estimated lost revenue $18,500."
)


def incident(notes="", events=(), impact=None):
    return Incident(
        id="i",
        title="t",
        notes=notes,
        impact=impact or {},
        events=[
            TimelineEvent(at=dt.datetime(2024, 3, 1, 14, 0, tzinfo=dt.UTC), source="metric", text=t) for t in events
        ],
    )


def test_figures_are_found_with_their_verbatim_phrase():
    impact = extract_impact(incident(NOTES, events=["5xx rate 11% over 5 min"]))
    found = {f.kind: (f.value, f.quote) for f in impact.figures()}
    assert found == {
        "user_share": (
            8.0,
            "Analytics: 1,240 checkout attempts failed during the incident, about 8% of active customers saw an error",
        ),
        "requests_failed": (
            1240.0,
            "Analytics: 1,240 checkout attempts failed during the incident, about 8% of active customers saw an error",
        ),
        "error_rate": (11.0, "5xx rate 11% over 5 min"),
        "revenue": (18500.0, "Estimated lost revenue $18,500"),
        "sla_breach": (None, "The payment-success SLO was breached for the day"),
        "support_tickets": (37.0, "Support reported 37 tickets about failed card payments"),
    }


def test_explicit_impact_figures_win_over_extracted_ones():
    impact = extract_impact(incident("about 40 tickets", impact={"support_tickets": 52}))
    assert impact.support_tickets.value == 52


def test_nothing_is_invented_when_the_input_states_no_figures():
    impact = extract_impact(incident("The team restarted the service.", events=["pods restarted"]))
    assert impact.figures() == []
    assert [q.topic for q in impact_questions(impact)] == [
        "impact: users affected",
        "impact: user share",
        "impact: duration",
        "impact: requests failed",
        "impact: error rate",
        "impact: revenue",
        "impact: sla breach",
        "impact: support tickets",
    ]


def test_the_window_an_alert_waits_before_firing_is_not_how_long_the_impact_lasted():
    impact = extract_impact(
        incident(events=["FIRING CartLatency: checkout p99 above 2s for 10 minutes", "Carts failed for 25 minutes"])
    )
    assert [(f.kind, f.value, f.quote) for f in impact.figures()] == [
        ("duration", 25.0, "Carts failed for 25 minutes"),
    ]


def test_a_latency_in_milliseconds_after_a_share_of_requests_is_no_error_rate():
    impact = extract_impact(incident(events=["after the cache flush, 12% of requests 500 ms slower than the baseline"]))
    assert impact.error_rate is None


def test_a_share_of_requests_answered_with_a_server_error_is_an_error_rate():
    impact = extract_impact(incident(events=["during the failover 8% of requests 503ed at the edge"]))
    assert (impact.error_rate.value, impact.error_rate.quote) == (
        8.0,
        "during the failover 8% of requests 503ed at the edge",
    )
