"""Drafting the bundled example end to end: what the reviewer gets, and nothing invented."""

from __future__ import annotations

import json

from conftest import EXAMPLE

from pm_agent.cli import main
from pm_agent.fidelity import unsupported_numbers
from pm_agent.service import PostmortemService


def draft_example():
    service = PostmortemService()
    incident = service.load([EXAMPLE])
    postmortem = service.draft(incident)
    return incident, postmortem, service.render(postmortem)


def test_the_example_draft_traces_the_config_change_to_a_missing_safeguard():
    _, postmortem, _ = draft_example()
    trigger = postmortem.root_cause.branches[0]
    assert trigger.label == "trigger"
    assert trigger.systemic_kind == "safeguard"
    assert trigger.root_cause == "Configuration changes reach production without automated validation and a canary stage."
    cited = [(e.at.strftime("%H:%M"), e.source) for step in trigger.steps for e in step.evidence]
    assert cited[:2] == [("14:02", "metric"), ("13:58", "deploy")]


def test_a_gap_the_timeline_states_becomes_a_contributing_factor_with_its_time():
    _, postmortem, _ = draft_example()
    assert postmortem.contributing_factors == [
        'Candidate: the timeline states a gap in safeguards, at 2026-03-10 14:31 UTC: "Identified config v412 as the '
        'likely trigger; the pool_size change was not covered by the load test".'
    ]


def test_actions_are_owned_by_roles_dated_from_the_incident_and_include_an_automated_check():
    _, postmortem, _ = draft_example()
    assert [(a.id, a.owner, a.due.isoformat(), a.automated_check) for a in postmortem.action_items] == [
        ("A1", "Platform engineering lead", "2026-04-21", True),
        ("A2", "Service owner of payments-api", "2026-04-21", True),
    ]


def test_impact_is_quoted_from_the_notes_and_the_rest_is_asked():
    _, postmortem, _ = draft_example()
    assert {f.kind: f.value for f in postmortem.impact.figures()} == {
        "user_share": 8.0, "requests_failed": 1240.0, "error_rate": 2.0, "sla_breach": None, "support_tickets": 37.0,
    }
    assert [q.topic for q in postmortem.open_questions if q.topic.startswith("impact")] == [
        "impact: users affected", "impact: duration", "impact: revenue",
    ]


def test_the_example_draft_states_no_number_the_input_lacks():
    incident, postmortem, markdown = draft_example()
    assert unsupported_numbers(markdown, incident, postmortem) == []


def test_an_invented_figure_is_caught_by_the_fidelity_check():
    incident, postmortem, markdown = draft_example()
    tampered = markdown.replace("## Summary\n\n", "## Summary\n\nAbout 52,000 users were affected. ")
    assert unsupported_numbers(tampered, incident, postmortem) == ["52000"]


def test_json_output_is_the_postmortem_model(capsys):
    assert main(["draft", str(EXAMPLE), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    _, postmortem, _ = draft_example()
    assert data == json.loads(postmortem.model_dump_json())


def test_output_goes_to_a_file_when_asked(tmp_path, capsys):
    out = tmp_path / "pm.md"
    assert main(["draft", str(EXAMPLE), "-o", str(out)]) == 0
    assert capsys.readouterr().err == f"wrote {out}\n"
    assert out.read_text().startswith("# Postmortem: Payments API returned 502s")


def test_line_numbers_in_source_references_are_provenance_not_invented_figures(tmp_path):
    timeline = tmp_path / "timeline-2031.md"
    timeline.write_text(
        "Date: 2026-03-10\n\n" + "\n".join(f"- 14:{m:02d} UTC note {m}" for m in range(0, 12))
        + "\n- 14:20 UTC 5xx rate 11% on payments-api; 1,240 checkout attempts failed\n- 14:40 UTC resolved\n"
    )
    service = PostmortemService()
    incident = service.load([timeline])
    postmortem = service.draft(incident)
    markdown = service.render(postmortem)
    assert f"{timeline}:line 15" in markdown  # the impact table cites the line
    assert unsupported_numbers(markdown, incident, postmortem) == []
