"""Drafting the ten real public postmortems in ../shared/data/fulltext (skipped where absent).

Checked against each case's input and published truth: every event time is in the timeline,
duration and time to detect match the input's times, no number appears that the input does
not support, and impact is never invented.
"""

from __future__ import annotations

import json

import pytest
from conftest import SHARED_DATA, fulltext_case_params, fulltext_cases

from pm_agent.analysis.claims import causal_claims
from pm_agent.evals.grounded import leaked_lines
from pm_agent.guards.fidelity import unsupported_numbers
from pm_agent.ingest.timeparse import format_utc, parse_timestamp
from pm_agent.models import Incident
from pm_agent.service import PostmortemService

pytestmark = pytest.mark.shared_data
CASES = fulltext_cases()


def load_case(name: str):
    folder = SHARED_DATA / "fulltext"
    service = PostmortemService()
    incident = service.load([folder / f"{name}.input.json"])
    raw = json.loads((folder / f"{name}.input.json").read_text())
    truth = json.loads((folder / f"{name}.truth.json").read_text())
    postmortem = service.draft(incident)
    return raw, truth, incident, postmortem, service.render(postmortem)


def minutes_between(raw: dict, start: str, end: str) -> float | None:
    if not raw.get(start) or not raw.get(end):
        return None
    return (parse_timestamp(raw[end]) - parse_timestamp(raw[start])).total_seconds() / 60


def test_the_real_cases_are_present(shared_data):
    assert len(CASES) == 10


@pytest.mark.parametrize("name", fulltext_case_params())
def test_every_input_event_time_is_in_the_drafted_timeline(shared_data, name):
    raw, _, _, postmortem, markdown = load_case(name)
    timeline_times = {event.at for event in postmortem.timeline}
    for event in raw["events"]:
        if event["at"] is None:
            assert event["text"] in markdown  # undated events are shown, with their time asked about
            continue
        moment = parse_timestamp(event["at"])
        assert moment in timeline_times
        assert format_utc(moment).removesuffix(" UTC") in markdown


@pytest.mark.parametrize("name", fulltext_case_params())
def test_duration_and_time_to_detect_match_the_input_times(shared_data, name):
    raw, _, _, postmortem, _ = load_case(name)
    metrics = {m.name: m for m in postmortem.metrics}
    expected_duration = minutes_between(raw, "started_at", "resolved_at")
    expected_ttd = minutes_between(raw, "started_at", "detected_at")
    if expected_duration is not None:
        assert metrics["duration"].minutes == expected_duration
    if expected_ttd is not None:
        assert metrics["time_to_detect"].minutes == expected_ttd


@pytest.mark.parametrize("name", fulltext_case_params())
def test_no_number_appears_that_the_input_does_not_support(shared_data, name):
    _, _, incident, postmortem, markdown = load_case(name)
    assert unsupported_numbers(markdown, incident, postmortem) == []


@pytest.mark.parametrize("name", fulltext_case_params())
def test_impact_figures_are_quoted_from_the_input_or_asked_for(shared_data, name):
    raw, _truth, _, postmortem, markdown = load_case(name)
    input_text = json.dumps(raw, ensure_ascii=False)
    for figure in postmortem.impact.figures():
        assert figure.quote in input_text or figure.quote in raw.get("notes", "")
    asked = {q.topic for q in postmortem.open_questions}
    assert {f"impact: {kind.replace('_', ' ')}" for kind in postmortem.impact.missing()} <= asked
    assert "## Open questions" in markdown


@pytest.mark.parametrize("name", fulltext_case_params())
def test_the_draft_is_complete_and_blameless(shared_data, name):
    _, _, _, postmortem, markdown = load_case(name)
    for heading in (
        "Summary",
        "Impact",
        "Timeline (UTC)",
        "Detection and response",
        "Root cause",
        "Contributing factors",
        "Action items",
        "What went well",
        "Lessons learned",
        "Open questions",
    ):
        assert f"## {heading}" in markdown
    assert postmortem.root_cause and all(len(b.steps) >= 2 for b in postmortem.root_cause.branches)
    still_to_do = [a for a in postmortem.action_items if a.status != "done"]
    assert still_to_do and all(a.owner and a.due for a in still_to_do)
    assert all(a.due for a in postmortem.action_items)
    assert postmortem.score is not None and postmortem.score.criteria


@pytest.mark.parametrize("name", fulltext_case_params())
def test_every_causal_statement_quotes_the_incident_or_asks(shared_data, name):
    _, _, incident, postmortem, _ = load_case(name)
    claims = causal_claims(postmortem, incident)
    assert claims and [c.text for c in claims if not c.supported] == []


def test_no_line_of_analysis_is_shared_by_most_of_the_real_drafts(shared_data):
    drafts = [(name, load_case(name)[3]) for name in CASES]
    leaks = leaked_lines(drafts)
    leaked, total = sum(n for n, _ in leaks.values()), sum(t for _, t in leaks.values())
    assert leaked / total <= 0.1


def test_the_drafted_incident_keeps_the_input_services(shared_data):
    for name in CASES:
        raw, _, incident, postmortem, _ = load_case(name)
        assert isinstance(incident, Incident)
        assert postmortem.services == raw["services"]
