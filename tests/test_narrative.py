"""The summary and the impact in words: what a reader of the draft is told users saw, and what the data says of why."""

from __future__ import annotations

import datetime as dt

from pm_agent.analysis.evidence import read_incident
from pm_agent.analysis.narrative import impact_in_words
from pm_agent.models import Incident, TimelineEvent
from pm_agent.models.analysis import TITLE_CITATION


def at(hhmm: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"2024-05-14T{hhmm}:00+00:00")


def event(hhmm: str, source: str, text: str) -> TimelineEvent:
    return TimelineEvent(at=at(hhmm), source=source, text=text)


def gateway_outage() -> Incident:
    """A module change breaks the gateway; a retried pipeline, a revert and a pipeline step bring it back."""
    return Incident(
        id="gw-1", title="All tenants getting 502 from the edge gateway", services=["edge gateway"],
        started_at=at("09:00"), detected_at=at("09:06"), resolved_at=at("09:40"),
        events=[
            event("09:00", "deploy", "Gateway module reference bumped by the pipeline"),
            event("09:06", "alert", "Issue detected as a result of alerts"),
            event("09:09", "chat", "Issue reported by a customer"),
            event("09:15", "deploy", "Fix committed to revert the gateway module reference"),
            event("09:22", "deploy", "Pipeline re-triggered due to a registry timeout"),
            event("09:40", "deploy", "Listeners reattached to the load balancer by the pipeline (resolved)"),
        ],
    )


def test_impact_in_words_quotes_a_title_that_states_the_impact_and_the_reports_never_a_response_step():
    quoted = [(e.source, e.time_text, e.excerpt) for e in impact_in_words(read_incident(gateway_outage()))]
    assert quoted == [
        ("note", TITLE_CITATION, "All tenants getting 502 from the edge gateway"),
        ("chat", "", "Issue reported by a customer"),
    ]


def test_a_title_that_only_names_the_incident_is_not_quoted_as_impact():
    incident = gateway_outage().model_copy(update={"title": "Edge gateway incident of 14 May"})
    assert [e.excerpt for e in impact_in_words(read_incident(incident))] == ["Issue reported by a customer"]


def test_the_rendered_impact_cites_the_title_as_the_title():
    from pm_agent.service import PostmortemService

    service = PostmortemService()
    markdown = service.render(service.draft(gateway_outage(), score=False, use_memory=False))
    impact = markdown.split("## Impact")[1].split("##")[0]
    assert impact.splitlines()[2:5] == [
        "What the data says users and systems saw:",
        "- the incident's title: \"All tenants getting 502 from the edge gateway\"",
        "- 2024-05-14 09:09 UTC chat: \"Issue reported by a customer\"",
    ]
