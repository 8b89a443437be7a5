"""Drafting end to end: the bundled example, the project's eval cases and small incidents; what the reviewer gets,
every causal statement resting on the data, and nothing invented."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from conftest import EXAMPLE, REPO

from pm_agent.analysis.claims import unsupported_claims
from pm_agent.analysis.drafting import draft_postmortem
from pm_agent.cli import main
from pm_agent.evals.cases import load_cases
from pm_agent.guards.fidelity import unsupported_numbers
from pm_agent.models import Incident, TimelineEvent
from pm_agent.service import PostmortemService

GAP = (
    "Identified config v412 as the likely trigger; the pool_size change was not covered by the load test "
    "(chat, 2026-03-10 14:31 UTC)"
)
GAP_CLAUSE = "… the pool_size change was not covered by the load test (chat, 2026-03-10 14:31 UTC)"  # the gap alone
CHANGE = "payments-api config v412 rolled out: pgbouncer pool_size lowered from 80 to 20 (deploy, 2026-03-10 13:58 UTC)"
PROBLEM = "Payments API returned 502s after a connection-pool change"


def draft_example():
    service = PostmortemService()
    incident = service.load([EXAMPLE])
    postmortem = service.draft(incident)
    return incident, postmortem, service.render(postmortem)


def at(hhmm: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"2024-05-14T{hhmm}:00+00:00")


def event(hhmm: str, source: str, text: str) -> TimelineEvent:
    return TimelineEvent(at=at(hhmm), source=source, text=text)


def failed_rollback() -> Incident:
    return Incident(
        id="bill-1",
        title="Invoices emailed with wrong totals",
        services=["billing"],
        severity="SEV2",
        events=[
            event("08:00", "deploy", "billing 5.1 rolled out with the new tax rounding"),
            event("09:40", "chat", "Support: a customer reports their invoice total is wrong"),
            event("09:55", "chat", "Incident declared; paged the billing on-call"),
            event("10:10", "deploy", "Rollback to billing 5.0 failed: the migration could not be reversed"),
            event("10:45", "deploy", "Hotfix 5.1.1 deployed restoring the old rounding"),
            event("10:50", "metric", "New invoices match expected totals again; recovered"),
        ],
    )


# --- the bundled example --------------------------------------------------------------------


def test_the_example_chain_is_headed_by_the_symptom_then_cites_the_finding_the_change_and_the_gap_the_data_records():
    _, postmortem, _ = draft_example()

    trigger = postmortem.root_cause.branches[0]
    assert postmortem.root_cause.first_signal.excerpt == "payments-api 5xx rate rises above 2%; p99 latency 4.8 s"
    assert [(step.why, step.because) for step in trigger.steps] == [
        (f'Why did "{PROBLEM}" happen?', f"The data suggests a cause: {GAP}."),
        (
            'What set "Identified config v412 as the likely trigger; the pool_size change…" off?',
            f"The last change before it began: {CHANGE}.",
        ),
        (
            f'Why was "{PROBLEM}" not caught earlier?',
            "The data records a missing safeguard in the same event: The pool_size change was not covered by the load "
            "test (chat, 2026-03-10 14:31 UTC).",
        ),
    ]


def test_the_markdown_chain_is_headed_by_the_problem_and_its_first_signal_and_each_because_reads_on_lower_case():
    _, _, markdown = draft_example()

    head = markdown[markdown.index("**Five Whys**") :].splitlines()
    assert head[:6] == [
        f"**Five Whys** for: {PROBLEM}  ",
        'First signal: 2026-03-10 14:02 UTC metric: "payments-api 5xx rate rises above 2%; p99 latency 4.8 s"',
        "",
        "### trigger",
        "",
        f'- **Why?** Why did "{PROBLEM}" happen?  ',
    ]
    assert head[6].startswith(f"  **Because** the data suggests a cause: {GAP}. _(evidence: ")


def test_the_example_has_one_branch_whose_root_cause_is_the_untested_change_the_data_records():
    _, postmortem, _ = draft_example()

    trigger = postmortem.root_cause.branches[0]
    assert (trigger.label, trigger.root_cause, trigger.systemic_kind) == (
        "trigger",
        f"The data records a missing safeguard: {GAP}.",
        "test",
    )
    assert [b.label for b in postmortem.root_cause.branches] == ["trigger"]


def test_the_gap_the_example_timeline_states_is_its_one_contributing_factor_quoting_the_clause_that_states_it():
    _, postmortem, _ = draft_example()

    assert postmortem.contributing_factors == [f"The data records a missing safeguard: {GAP_CLAUSE}."]


def test_the_example_actions_list_the_rollback_as_done_then_role_owned_actions_due_from_the_incident_date():
    _, postmortem, _ = draft_example()

    assert [(a.id, a.status, a.owner, a.due.isoformat(), a.automated_check) for a in postmortem.action_items] == [
        ("A1", "done", None, "2026-03-10", False),
        ("A2", "open", "Platform engineering lead", "2026-04-21", True),
        ("A3", "open", "Service owner of payments-api", "2026-04-21", True),
    ]
    assert [a.title for a in postmortem.action_items] == [
        "Rolled back payments-api config to v411 (pool_size 80)",
        'Halt changes like "payments-api config v412 rolled out: pgbouncer pool_size lowered from 80 to 20" '
        'automatically when "payments-api 5xx rate rises above 2%; p99 latency 4.8 s" shows during the rollout',
        "Make the load test cover the pool_size change",
    ]


def test_what_went_well_in_the_example_is_the_alert_that_caught_it_and_the_early_declaration():
    _, postmortem, _ = draft_example()

    assert postmortem.what_went_well == [
        "Monitoring caught the failure first: FIRING PaymentsHighErrorRate (severity=critical, service=payments-api): "
        "5xx rate 11% over 5 min (alert, 2026-03-10 14:09 UTC).",
        "The incident was declared while it was still going on: Incident declared SEV2, bridge opened in #inc-2031 "
        "(chat, 2026-03-10 14:16 UTC).",
    ]


def test_impact_is_quoted_from_the_notes_and_the_rest_is_asked():
    _, postmortem, _ = draft_example()
    assert {f.kind: f.value for f in postmortem.impact.figures()} == {
        "user_share": 8.0,
        "requests_failed": 1240.0,
        "error_rate": 2.0,
        "sla_breach": None,
        "support_tickets": 37.0,
    }
    assert [q.topic for q in postmortem.open_questions if q.topic.startswith("impact")] == [
        "impact: users affected",
        "impact: duration",
        "impact: revenue",
    ]


def test_the_example_draft_states_no_number_the_input_lacks():
    incident, postmortem, markdown = draft_example()
    assert unsupported_numbers(markdown, incident, postmortem) == []


def test_an_invented_figure_is_caught_by_the_fidelity_check():
    incident, postmortem, markdown = draft_example()
    tampered = markdown.replace("## Summary\n\n", "## Summary\n\nAbout 52,000 users were affected. ")
    assert unsupported_numbers(tampered, incident, postmortem) == ["52000"]


# --- every causal statement rests on the data ----------------------------------------------------


def test_every_causal_statement_of_the_example_draft_cites_an_input_event_or_is_marked_open():
    incident, postmortem, _ = draft_example()

    assert unsupported_claims(postmortem, incident) == []


@pytest.mark.parametrize("case", load_cases(REPO / "evals" / "cases"), ids=lambda case: case.id)
def test_every_causal_statement_of_each_project_case_draft_cites_an_input_event_or_is_marked_open(case):
    service = PostmortemService()
    incident = service.load(list(case.inputs))

    postmortem = service.draft(incident)

    assert [(claim.section, claim.text) for claim in unsupported_claims(postmortem, incident)] == []


def test_a_cause_stated_without_a_citation_or_with_a_wrong_time_is_caught():
    incident, postmortem, _ = draft_example()
    tampered = postmortem.model_copy(
        update={
            "contributing_factors": [
                *postmortem.contributing_factors,
                "The pool ran out because of a bad deploy.",
                'The rollback caused it, at 2026-03-10 14:39 UTC: "Rolled back payments-api config to v411".',
            ]
        }
    )

    assert [(claim.section, claim.text) for claim in unsupported_claims(tampered, incident)] == [
        ("factor", "The pool ran out because of a bad deploy."),
        ("factor", 'The rollback caused it, at 2026-03-10 14:39 UTC: "Rolled back payments-api config to v411".'),
    ]


# --- what went well and what the response teaches -------------------------------------------------


def test_a_failed_rollback_is_never_what_went_well():
    postmortem = draft_postmortem(failed_rollback(), score=False)

    assert postmortem.what_went_well == [
        "The incident was declared while it was still going on: Incident declared; paged the billing on-call "
        "(chat, 2024-05-14 09:55 UTC).",
    ]


def test_a_failed_rollback_and_a_report_before_any_alert_went_wrong_and_the_lesson_is_what_worked_instead():
    postmortem = draft_postmortem(failed_rollback(), score=False)

    assert postmortem.what_went_wrong == [
        "People saw the failure before monitoring did: Support: a customer reports their invoice total is wrong "
        "(chat, 2024-05-14 09:40 UTC).",
        "A step taken to stop the impact did not work: Rollback to billing 5.0 failed: the migration could not be "
        "reversed (deploy, 2024-05-14 10:10 UTC).",
    ]
    assert postmortem.lessons == [
        "In this failure, a way out does not work: Rollback to billing 5.0 failed: the migration could not be "
        "reversed (deploy, 2024-05-14 10:10 UTC); what stopped the impact instead: Hotfix 5.1.1 deployed restoring "
        "the old rounding (deploy, 2024-05-14 10:45 UTC).",
    ]


def test_a_draft_whose_data_states_no_cause_says_so_in_the_summary_and_asks_in_the_open_questions():
    postmortem = draft_postmortem(failed_rollback(), score=False)

    assert "The data does not state the cause; see the root cause section for what it shows and what to ask." in (
        postmortem.summary
    )
    assert [q.question for q in postmortem.open_questions if q.topic == "systemic cause (trigger)"] == [
        'What in how this system is changed, tested or watched let "billing 5.1 rolled out with the new tax rounding" '
        "reach users, and who owns closing that gap?",
    ]


# --- the CLI --------------------------------------------------------------------------------


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
        "Date: 2026-03-10\n\n"
        + "\n".join(f"- 14:{m:02d} UTC note {m}" for m in range(0, 12))
        + "\n- 14:20 UTC 5xx rate 11% on payments-api; 1,240 checkout attempts failed\n- 14:40 UTC resolved\n"
    )
    service = PostmortemService()
    incident = service.load([timeline])
    postmortem = service.draft(incident)
    markdown = service.render(postmortem)
    assert f"{timeline}:line 15" in markdown  # the impact table cites the line
    assert unsupported_numbers(markdown, incident, postmortem) == []


@pytest.mark.parametrize(
    ("alert", "problem"),
    [
        (
            "Alert: VAT totals off by one cent on 3% of invoices in the first region",
            "Alert: VAT totals off by one cent on 3% of invoices in the first region",
        ),
        ("VAT totals off by one cent: 3% of invoices in the first region", "VAT totals off by one cent"),
    ],
)
def test_a_title_that_only_repeats_the_change_the_chat_opened_with_is_not_the_problem_the_five_whys_ask_about(
    alert, problem
):
    from pm_agent.models import Incident, TimelineEvent

    def said_at(hhmm: str, source: str, text: str) -> TimelineEvent:
        return TimelineEvent(at=dt.datetime.fromisoformat(f"2024-06-03T{hhmm}:00+00:00"), source=source, text=text)

    incident = Incident(
        id="tax-1",
        title="tax-service 5.1.0 rolled out to the first region",
        services=["tax-service"],
        events=[
            said_at("10:00", "deploy", "tax-service 5.1.0 rolled out to the first region"),
            said_at("10:09", "alert", alert),
            said_at("10:20", "chat", "found that 5.1.0 rounds each line instead of the invoice total"),
            said_at("10:30", "deploy", "Rolled back tax-service to 5.0.4; totals match again"),
        ],
    )

    chain = draft_postmortem(incident, score=False).root_cause

    assert chain.problem == problem
