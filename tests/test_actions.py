"""Actions from the data: what was done and decided first, then actions built from quoted findings; and the SMART linter."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import REPO, fulltext_case_params, load_real_incident

from pm_agent.analysis.actions.proposed import propose_actions
from pm_agent.analysis.actions.response_plans import detection_questions
from pm_agent.analysis.actions.smart import lint_actions
from pm_agent.analysis.drafting import draft_postmortem
from pm_agent.analysis.evidence import read_incident
from pm_agent.evals.cases import load_cases
from pm_agent.models import ActionItem, Incident, TimelineEvent
from pm_agent.service import PostmortemService

INCIDENT_DATE = dt.date(2024, 5, 14)


def at(hhmm: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"2024-05-14T{hhmm}:00+00:00")


def event(hhmm: str, source: str, text: str) -> TimelineEvent:
    return TimelineEvent(at=at(hhmm), source=source, text=text)


def actions_for(incident: Incident, date: dt.date | None = INCIDENT_DATE, roster: dict[str, str] | None = None):
    return propose_actions(read_incident(incident), incident.title, date, roster)


def summary(actions: list[ActionItem]) -> list[tuple]:
    return [
        (a.id, a.title, a.status, a.owner, a.due, a.horizon, a.priority, a.hierarchy, a.automated_check)
        for a in actions
    ]


def wrong_invoices(severity: str | None = "SEV2") -> Incident:
    """A release, customers notice first (no alert ever), the rollback fails, a hotfix works, a follow-up is decided."""
    return Incident(
        id="bill-1",
        title="Invoices emailed with wrong totals",
        services=["billing"],
        severity=severity,
        events=[
            event("08:00", "deploy", "billing 5.1 rolled out with the new tax rounding"),
            event("09:40", "chat", "Support: a customer reports their invoice total is wrong"),
            event("09:55", "chat", "Incident declared; paged the billing on-call"),
            event("10:10", "deploy", "Rollback to billing 5.0 failed: the migration could not be reversed"),
            event("10:20", "chat", "Status page updated for customers: wrong invoice totals under investigation"),
            event("10:45", "deploy", "Hotfix 5.1.1 deployed restoring the old rounding"),
            event("10:50", "metric", "New invoices match expected totals again; recovered"),
            event(
                "12:00",
                "chat",
                "We will add a rounding test for every currency to the billing CI (ticket BILL-88 created)",
            ),
        ],
    )


WRONG_INVOICE_TITLES = [  # the fixes made, in the order the timeline shows them, then the rest
    "Hotfix 5.1.1 deployed restoring the old rounding",
    'Carry out the follow-up recorded in the timeline: "We will add a rounding test for every currency to the billing '
    'CI (ticket BILL-88 created)"',
    "Add an alert that pages on the failure users saw, before they report it (first reported at 2024-05-14 09:40 UTC: "
    '"their invoice total is wrong")',
    'Change the recovery path so that "the migration could not be reversed" no longer stops it ("Rollback to billing '
    '5.0 failed")',
]


# --- what the data already did or decided, then what its findings call for --------------------


def test_done_steps_come_first_with_their_timeline_date_then_decided_and_built_actions_with_role_owners():
    assert summary(actions_for(wrong_invoices())) == [
        ("A1", WRONG_INVOICE_TITLES[0], "done", None, dt.date(2024, 5, 14), "immediate", "P1", "engineering", False),
        (
            "A2",
            WRONG_INVOICE_TITLES[1],
            "open",
            "Service owner of billing",
            dt.date(2024, 6, 25),
            "short",
            "P1",
            "engineering",
            False,
        ),
        (
            "A3",
            WRONG_INVOICE_TITLES[2],
            "open",
            "Observability lead",
            dt.date(2024, 5, 21),
            "immediate",
            "P1",
            "engineering",
            True,
        ),
        (
            "A4",
            WRONG_INVOICE_TITLES[3],
            "open",
            "Platform engineering lead",
            dt.date(2024, 6, 25),
            "short",
            "P2",
            "engineering",
            False,
        ),
    ]


def test_a_failed_rollback_is_never_listed_as_done_the_step_that_worked_is():
    incident = Incident(
        id="db-3",
        title="Orders page errors",
        services=["orders"],
        events=[
            event("10:00", "alert", "Alert: orders 5xx above 5%"),
            event("10:10", "deploy", "Rollback of orders 3.2 failed: image pull timed out"),
            event(
                "10:25", "deploy", "Rollback of orders 3.2 retried from the mirror registry; error rate back to normal"
            ),
        ],
    )

    assert [(a.title, a.status, a.due) for a in actions_for(incident) if a.status == "done"] == [
        ("Rollback of orders 3.2 retried from the mirror registry; error rate back to normal", "done", INCIDENT_DATE),
    ]


def test_every_action_says_what_it_addresses_by_quoting_the_event_behind_it():
    assert [a.addresses for a in actions_for(wrong_invoices())] == [
        'The failure at 2024-05-14 09:40 UTC: "Support: a customer reports their invoice total is wrong"',
        'Recorded at 2024-05-14 12:00 UTC: "We will add a rounding test for every currency to the billing CI (ticket '
        'BILL-88 created)".',
        'A person noticed first at 2024-05-14 09:40 UTC: "Support: a customer reports their invoice total is wrong", '
        "with no alert before it.",
        'A recovery step did not work at 2024-05-14 10:10 UTC: "Rollback to billing 5.0 failed: the migration could not '
        'be reversed".',
    ]


def test_open_actions_are_due_a_horizon_after_the_incident_date_and_done_ones_on_the_day_they_were_done():
    assert [(a.status, a.horizon, a.due - INCIDENT_DATE, a.due_note) for a in actions_for(wrong_invoices())] == [
        ("done", "immediate", dt.timedelta(0), "The date it was done, from the timeline."),
        ("open", "short", dt.timedelta(days=42), "42 days after the incident date (short horizon)."),
        ("open", "immediate", dt.timedelta(days=7), "7 days after the incident date (immediate horizon)."),
        ("open", "short", dt.timedelta(days=42), "42 days after the incident date (short horizon)."),
    ]


def test_without_the_incident_date_no_due_date_is_invented_for_open_actions_and_the_note_asks_for_it():
    actions = actions_for(wrong_invoices(), date=None)

    assert [(a.status, a.due, a.due_note) for a in actions if a.status == "open"] == [
        ("open", None, "Needs the incident date: due 42 days after it (short horizon)."),
        ("open", None, "Needs the incident date: due 7 days after it (immediate horizon)."),
        ("open", None, "Needs the incident date: due 42 days after it (short horizon)."),
    ]
    assert {p.code for lint in lint_actions(actions) for p in lint.problems} == {"no_due_date"}


def test_a_roster_names_the_owner_for_its_area_or_service_and_a_team_is_never_used():
    roster = {"platform": "Dana Ortiz", "billing": "Sam Okafor", "observability": "SRE team"}

    assert [a.owner for a in actions_for(wrong_invoices(), roster=roster)] == [
        None,
        "Sam Okafor",
        "Observability lead",
        "Dana Ortiz",
    ]


def test_a_minor_incident_lowers_the_priority_of_open_actions_and_a_severe_one_lowers_none():
    def priorities(severity: str) -> list[str]:
        return [a.priority for a in actions_for(wrong_invoices(severity)) if a.status == "open"]

    assert (priorities("SEV1"), priorities("SEV2"), priorities("SEV4")) == (
        ["P1", "P1", "P2"],
        ["P1", "P1", "P2"],
        ["P2", "P2", "P3"],
    )


# --- each built action only where its premise holds ---------------------------------------------


def canary_release(*, reached_users: bool) -> Incident:
    """A release halted at the canary, or the same release with an alert on user latency."""
    events = [event("11:00", "deploy", "cart release 9.4 started rolling out to the canary pool")]
    if reached_users:
        events.append(event("11:06", "alert", "Alert: cart p95 latency above 2s for customers"))
    events.append(event("11:30", "chat", "Release 9.4 rolled back from the canary pool"))
    return Incident(
        id="cart-1", title="Release 9.4 slowed the cart", services=["cart"], started_at=at("11:00"), events=events
    )


def test_no_pre_production_check_is_proposed_when_nothing_reached_users_or_monitoring():
    actions = actions_for(canary_release(reached_users=False))
    assert [(a.title, a.status) for a in actions] == [("Release 9.4 rolled back from the canary pool", "done")]


def test_a_change_whose_failure_reached_monitoring_gets_a_check_that_halts_changes_like_it_on_that_signal():
    assert [a.title for a in actions_for(canary_release(reached_users=True)) if a.status == "open"] == [
        'Halt changes like "cart release 9.4 started rolling out to the canary pool" automatically when "Alert: cart '
        'p95 latency above 2s for customers" shows during the rollout',
    ]


def test_a_change_only_users_noticed_gets_an_alert_first_and_no_check_on_a_signal_nobody_had():
    titles = [a.title for a in actions_for(wrong_invoices()) if a.status == "open"]
    assert not any(title.startswith("Halt changes like") for title in titles)
    assert WRONG_INVOICE_TITLES[2] in titles


def test_with_no_alert_at_all_the_action_adds_one_and_with_a_late_alert_it_makes_that_alert_page_sooner():
    no_alert = Incident(
        id="a",
        title="Profile photos broken",
        events=[
            event("16:25", "chat", "A user posts on the forum that profile photos are broken"),
            event("16:30", "chat", "Support escalated, paged the on-call"),
        ],
    )
    late_alert = Incident(
        id="b",
        title="Profile photos broken",
        events=[
            event("16:25", "chat", "A user posts on the forum that profile photos are broken"),
            event("16:40", "alert", "Alert: media-cdn 403 rate above 10%"),
        ],
    )

    assert ([a.title for a in actions_for(no_alert)], [a.title for a in actions_for(late_alert)]) == (
        [
            "Add an alert that pages on the failure users saw, before they report it (first reported at 2024-05-14 16:25 "
            'UTC: "profile photos are broken")'
        ],
        ['Make the alert "Alert: media-cdn 403 rate above 10%" page before users notice "Profile photos broken"'],
    )


def test_a_slow_alert_on_the_only_signal_the_data_shows_gets_a_question_and_the_stated_gap_an_action():
    incident = Incident(
        id="mail-1",
        title="Password reset emails delayed",
        services=["mailer"],
        started_at=at("06:00"),
        events=[
            event("06:00", "deploy", "mailer worker image 2.8 rolled out"),
            event("07:10", "alert", "Alert: mailer queue age above 30 min"),
            event("07:30", "chat", "There was no alert on mailer queue depth, only on queue age"),
            event("07:45", "chat", "Restarted the mailer workers; queue draining, back to normal"),
        ],
    )

    assert summary(actions_for(incident))[2:] == [
        (
            "A3",
            "Add an alert on mailer queue depth",
            "open",
            "Observability lead",
            dt.date(2024, 6, 25),
            "short",
            "P1",
            "engineering",
            True,
        ),
    ]
    assert detection_questions(read_incident(incident)) == [
        'Which signal would have shown this before the first alert at 2024-05-14 07:10 UTC: "Alert: mailer queue age '
        'above 30 min", and who owns alerting on it?'
    ]


# --- the detection action alerts on the signal the data shows, never on the incident's title ------------------------


def detection_actions(incident: Incident) -> list[tuple[str, str, str, str, str]]:
    return [
        (a.title, a.done_when, a.addresses, a.owner, a.horizon)
        for a in actions_for(incident)
        if a.status == "open" and a.title.startswith(("Alert when", "Alert on", "Add an alert that pages"))
    ]


def test_a_pool_the_data_shows_climbing_before_a_late_alert_gets_an_alert_on_that_climb_not_on_the_title():
    incident = Incident(
        id="pool-1",
        title="Ledger API outage after the connection pool ran dry",
        services=["ledger-api"],
        events=[
            event("01:00", "deploy", "ledger-api 7.3 rolled out with the new batch exporter"),
            event("01:40", "metric", "ledger-api connection pool in use climbing by 10 a minute"),
            event("02:30", "alert", "FIRING LedgerApi5xx: ledger-api 5xx ratio above 20%"),
            event("02:50", "deploy", "Rolled back ledger-api to 7.2; 5xx back to normal"),
        ],
    )

    assert detection_actions(incident) == [
        (
            'Alert on ledger-api connection pool in use climbing (shown at 2024-05-14 01:40 UTC: "ledger-api '
            'connection pool in use climbing by 10 a minute"), before the first alert, which came 50 min later',
            'A drill or replay of "ledger-api connection pool in use climbing by 10 a minute" pages the on-call before '
            "the first alert did.",
            'The data shows the signal at 2024-05-14 01:40 UTC: "ledger-api connection pool in use climbing by 10 a '
            'minute"; the first alert came 1 h 30 min after the start at 2024-05-14 02:30 UTC: "FIRING LedgerApi5xx: '
            'ledger-api 5xx ratio above 20%".',
            "Observability lead",
            "short",
        )
    ]


def test_a_trend_written_down_after_the_alert_but_dated_before_it_names_its_component_from_the_alert():
    incident = Incident(
        id="repl-1",
        title="Stale balances shown after the replica fell behind",
        services=["balances-db", "wallet-web"],
        events=[
            event("10:00", "deploy", "balances-db parameter group change applied"),
            event("11:05", "alert", "FIRING WalletStaleReads (service=balances-db): wallet-web served stale balances"),
            event("11:20", "chat", "replication lag creeping up steadily since 10:00, now 9 minutes"),
            event("11:40", "chat", "Parameter group change reverted; lag back to 0, balances correct again"),
        ],
    )

    assert [a[0] for a in detection_actions(incident)] == [
        'Alert on replication lag creeping up (shown at 2024-05-14 11:20 UTC: "replication lag creeping up steadily '
        'since 10:00, now 9 minutes"), before the first alert'
    ]


def test_a_success_ratio_dropping_before_users_report_it_gets_an_alert_on_that_drop_due_within_the_week():
    incident = Incident(
        id="pay-1",
        title="Card payments failing for one issuer",
        services=["payments"],
        events=[
            event("14:00", "metric", "payments authorisation success ratio dropping since 13:40, 96% to 88%"),
            event("14:25", "chat", "A customer reports that card payments from Northbank cards fail"),
            event("15:10", "deploy", "Northbank routed to the backup acquirer; authorisations succeed again"),
        ],
    )

    assert detection_actions(incident) == [
        (
            'Alert on payments authorisation success ratio dropping (shown at 2024-05-14 14:00 UTC: "payments '
            'authorisation success ratio dropping since 13:40, 96% to 88%"), before users report it',
            'A drill or replay of "payments authorisation success ratio dropping since 13:40, 96% to 88%" pages the '
            "on-call before any user report.",
            'The data shows the signal at 2024-05-14 14:00 UTC: "payments authorisation success ratio dropping since '
            '13:40, 96% to 88%"; a person noticed first at 2024-05-14 14:25 UTC: "A customer reports that card '
            'payments from Northbank cards fail", with no alert before it.',
            "Observability lead",
            "immediate",
        )
    ]


def test_an_alert_on_what_users_saw_quotes_what_they_saw_not_who_passed_it_on():
    incident = Incident(
        id="exp-1",
        title="Report exports broken",
        services=["reports"],
        events=[
            event("11:00", "chat", "Post in the help forum from a user reporting that PDF exports time out"),
            event("11:30", "deploy", "reports-renderer restarted; exports complete again"),
        ],
    )

    assert [a[0] for a in detection_actions(incident)] == [
        "Add an alert that pages on the failure users saw, before they report it (first reported at 2024-05-14 11:00 "
        'UTC: "PDF exports time out")'
    ]


def test_a_count_set_against_yesterday_in_a_page_a_person_sent_is_a_signal_to_alert_on():
    incident = Incident(
        id="sub-1",
        title="Newsletter subscribers lost after the list clean-up",
        services=["lists-db"],
        events=[
            event("03:00", "chat", "list clean-up job started on lists-db"),
            event("08:10", "chat", "Support: customers report that their subscriber lists are empty"),
            event("08:20", "page", "paged by support. lists-db subscribers has 40k rows, it had 900k yesterday"),
            event("09:30", "deploy", "Clean-up job disabled; subscribers restored from the 02:00 backup"),
        ],
    )

    assert [a[0] for a in detection_actions(incident)] == [
        'Alert when lists-db subscribers moves off its expected value (shown at 2024-05-14 08:20 UTC: "lists-db '
        'subscribers has 40k rows, it had 900k yesterday"), before users report it'
    ]


def test_with_no_signal_in_the_data_a_late_alert_gets_one_question_and_no_action():
    incident = Incident(
        id="cron-1",
        title="Nightly invoices not generated",
        services=["invoicer"],
        started_at=at("01:00"),
        events=[
            event("01:00", "deploy", "invoicer cron schedule moved to the new scheduler"),
            event("06:30", "alert", "Alert: invoicer produced no invoices for the night run"),
            event("06:50", "deploy", "Cron schedule restored on the old scheduler; run started by hand"),
        ],
    )

    assert (detection_actions(incident), detection_questions(read_incident(incident))) == (
        [],
        [
            'Which signal would have shown this before the first alert at 2024-05-14 06:30 UTC: "Alert: invoicer '
            'produced no invoices for the night run", and who owns alerting on it?'
        ],
    )


def test_the_draft_asks_the_detection_question_among_its_open_questions():
    incident = Incident(
        id="cron-2",
        title="Nightly invoices not generated",
        services=["invoicer"],
        started_at=at("01:00"),
        events=[
            event("01:00", "deploy", "invoicer cron schedule moved to the new scheduler"),
            event("06:30", "alert", "Alert: invoicer produced no invoices for the night run"),
        ],
    )

    asked = [(q.topic, q.question) for q in draft_postmortem(incident, score=False).open_questions]

    assert [q for q in asked if q[0] == "actions: detection"] == [
        (
            "actions: detection",
            'Which signal would have shown this before the first alert at 2024-05-14 06:30 UTC: "Alert: invoicer '
            'produced no invoices for the night run", and who owns alerting on it?',
        )
    ]


def test_when_the_first_alert_is_the_signal_the_data_shows_no_alert_on_that_signal_is_proposed():
    incident = Incident(
        id="lat-1",
        title="Search slow after the index rebuild",
        services=["search-api"],
        events=[
            event("09:00", "deploy", "search-api index rebuild started"),
            event("09:20", "metric", "search-api p95 latency 1.4 s"),
            event("09:45", "alert", "FIRING SearchLatency: search-api p95 latency above 2 s"),
        ],
    )

    assert detection_actions(incident) == []
    assert len(detection_questions(read_incident(incident))) == 1


def test_monitoring_that_caught_it_within_minutes_gets_no_detection_action_nor_question():
    incident = Incident(
        id="fast-1",
        title="Checkout errors after a config push",
        services=["checkout"],
        events=[
            event("09:00", "deploy", "checkout config push 41"),
            event("09:03", "metric", "checkout memory usage rising since the push"),
            event("09:04", "alert", "FIRING Checkout5xx: checkout 5xx above 5%"),
        ],
    )

    assert (detection_actions(incident), detection_questions(read_incident(incident))) == ([], [])


def test_a_cause_the_data_states_gets_a_check_that_stops_that_reason_before_it_leads_to_that_effect():
    incident = Incident(
        id="db-1",
        title="Checkout requests timing out",
        events=[
            event("09:00", "alert", "Checkout p99 latency above 3s"),
            event("09:12", "chat", "Checkout requests timing out due to lock contention on the carts table"),
        ],
    )

    assert [(a.title, a.done_when) for a in actions_for(incident)] == [
        (
            'Add a check that stops "lock contention on the carts table" before it leads to "Checkout requests timing out"',
            'A test or drill that reproduces "lock contention on the carts table" is stopped by the check before "Checkout '
            'requests timing out" happens.',
        )
    ]


def test_a_recovery_step_that_failed_for_a_stated_reason_gets_an_action_to_make_it_work_then():
    incident = Incident(
        id="db-2",
        title="Sign-in failing",
        events=[
            event("11:00", "alert", "Alert: sign-in 5xx rate above 15%"),
            event("11:40", "chat", "Failover of auth-db to the replica failed due to replication lag of 40 minutes"),
        ],
    )

    assert (
        'Change the recovery path so that "replication lag of 40 minutes" no longer stops it ("Failover of auth-db '
        'to the replica failed")'
    ) in [a.title for a in actions_for(incident)]


def test_an_unintended_change_and_a_declaration_after_the_fact_each_get_an_action():
    incident = Incident(
        id="edge-1",
        title="Docs site returning 404",
        events=[
            event("12:00", "deploy", "Pipeline applied an unintended routing change to the edge config"),
            event("12:03", "alert", "Alert: docs site 404 rate above 20%"),
            event("12:20", "deploy", "Routing change reverted; docs site back to normal"),
            event("13:00", "chat", "Incident declared retroactively for the record"),
        ],
    )

    assert [(a.title, a.owner, a.hierarchy) for a in actions_for(incident)][-2:] == [
        (
            'Reject unintended changes like "Pipeline applied an unintended routing change to the edge config" before they '
            "are applied",
            "Platform engineering lead",
            "engineering",
        ),
        (
            'Declare the incident when the issue is confirmed, not after mitigation as in "Incident declared retroactively '
            'for the record"',
            "Incident commander role",
            "administrative",
        ),
    ]


def test_a_status_page_update_after_recovery_is_not_a_late_declaration_when_the_incident_was_declared_during_it():
    incident = Incident(
        id="bill-2",
        title="Invoices emailed with wrong totals",
        events=[
            event("09:40", "chat", "Support: a customer reports their invoice total is wrong"),
            event("09:55", "chat", "Incident declared; paged the billing on-call"),
            event("10:45", "deploy", "Hotfix 5.1.1 deployed restoring the old rounding"),
            event("10:50", "metric", "New invoices match expected totals again; recovered"),
            event("11:30", "chat", "Status page updated for customers: corrected invoices are being sent"),
        ],
    )

    assert [a.title for a in actions_for(incident) if a.title.startswith("Declare")] == []


def test_a_failed_recovery_step_is_not_taken_for_the_cause_of_the_incident():
    incident = Incident(
        id="auth-1",
        title="Sign-in failing",
        events=[
            event("11:00", "alert", "Alert: auth-api 5xx rate above 15%"),
            event("11:05", "chat", "Sign-in failing due to an expired token signing key"),
            event("11:40", "chat", "Failover of auth-db to the replica failed due to replication lag of 40 minutes"),
        ],
    )

    checks = [a.title for a in actions_for(incident) if a.title.startswith("Add a check")]

    assert checks == ['Add a check that stops "an expired token signing key" before it leads to "Sign-in failing"']


def test_the_effect_a_check_guards_against_is_quoted_without_a_dangling_verb():
    incident = Incident(
        id="db-4",
        title="Checkout slow",
        events=[
            event("09:00", "alert", "Checkout p99 latency above 3s"),
            event("09:12", "chat", "Latency is due to lock contention on the carts table"),
        ],
    )

    assert [a.title for a in actions_for(incident)] == [
        'Add a check that stops "lock contention on the carts table" before it leads to "Latency"',
    ]


# --- every open action is SMART -------------------------------------------------------------------


def project_cases() -> list:
    service = PostmortemService()
    return [service.load(list(case.inputs)) for case in load_cases(REPO / "evals" / "cases")]


def test_every_open_action_for_the_project_cases_and_the_incidents_here_passes_the_linter():
    incidents = [*project_cases(), wrong_invoices(), canary_release(reached_users=True)]
    actions = [
        a
        for incident in incidents
        for a in propose_actions(read_incident(incident), incident.title, INCIDENT_DATE)
        if a.status == "open"
    ]

    assert [(lint.action.title, lint.problems) for lint in lint_actions(actions) if not lint.smart] == []
    assert len(actions) > 20


# --- linting --------------------------------------------------------------------------------

GOOD = ActionItem(
    title="Add a CI check that rejects rate-limit rules set to zero for checkout-api",
    done_when="CI rejects a test change that sets a rate limit to zero",
    owner="Platform engineering lead",
    due=dt.date(2024, 6, 25),
    hierarchy="engineering",
)


def problems(**changes) -> list[str]:
    return [p.code for p in lint_actions([GOOD.model_copy(update=changes)])[0].problems]


def test_a_specific_owned_dated_measurable_action_is_smart():
    lint = lint_actions([GOOD])[0]

    assert (lint.smart, lint.problems) == (True, [])


def test_a_vague_unowned_undated_unmeasured_action_gets_every_problem_with_what_to_change():
    lint = lint_actions([ActionItem(title="Improve monitoring")])[0]

    assert lint.smart is False
    assert [(p.code, p.message) for p in lint.problems] == [
        (
            "vague",
            '"Improve monitoring" is vague: name the exact change and the system it applies to, '
            "e.g. 'Add a CI check that rejects invalid rate-limit rules for checkout'.",
        ),
        (
            "no_measure",
            "No observable completion criterion: set done_when to what will be verifiably true when it is "
            "done, e.g. 'CI rejects a test change that breaks the config schema'.",
        ),
        (
            "no_owner",
            "No owner: name one accountable role (e.g. 'Service owner of checkout') or a person from the roster.",
        ),
        (
            "no_due_date",
            "No due date: set one from the incident date (immediate within 7 days, short within 6 weeks, "
            "long within 6 months).",
        ),
    ]


def test_an_action_already_done_is_history_so_only_its_wording_is_checked():
    done = ActionItem(title="Rolled back payments-api config to v411", status="done")

    assert lint_actions([done])[0].problems == []


@pytest.mark.parametrize(
    "title",
    ["Be more careful when deploying", "Look into the database slowness", "Investigate", "Investigate the issue"],
)
def test_vague_titles_are_flagged_even_with_a_measure(title):
    assert problems(title=title) == ["vague"]


def test_investigating_with_a_named_object_and_a_measure_is_acceptable():
    assert (
        problems(
            title="Investigate why the cache hit ratio of checkout-api dropped",
            done_when="Findings published with a dashboard link",
        )
        == []
    )


def test_improving_without_a_measure_is_vague():
    assert problems(title="Improve alerting for checkout-api", done_when="") == ["vague", "no_measure"]


@pytest.mark.parametrize("owner", ["SRE team", "engineering", "devs", "the platform team", "Everyone"])
def test_a_team_is_not_an_owner(owner):
    assert problems(owner=owner) == ["team_owner"]


@pytest.mark.parametrize("owner", ["Dana Ortiz", "Incident commander role", "Service owner of checkout-api", "@dana"])
def test_a_role_or_a_person_is_an_owner(owner):
    assert problems(owner=owner) == []


@pytest.mark.parametrize("done_when", ["Done", "improved", "TBD", "monitoring is better"])
def test_a_completion_criterion_nobody_can_observe_is_flagged(done_when):
    assert problems(done_when=done_when) == ["no_measure"]


def test_training_alone_is_flagged():
    assert problems(title="Train engineers on the deploy checklist", hierarchy="training") == ["training_only"]
    assert problems(title="Remind everyone to review configs", hierarchy=None) == ["training_only"]


def test_training_paired_with_an_engineering_control_is_acceptable():
    assert problems(title="Add a deploy checklist check to CI and share it at the team meeting") == []


def test_a_title_too_short_to_act_on_is_flagged():
    assert problems(title="Dashboards") == ["not_specific"]


@pytest.mark.parametrize("title", ["Make deploys safer", "Ensure this never happens again"])
def test_wishes_without_a_mechanism_are_vague_even_with_an_owner_and_a_date(title):
    lint = lint_actions(
        [
            ActionItem(
                title=title, owner="Platform engineering lead", done_when="CI blocks a bad change", due="2026-01-01"
            )
        ]
    )[0]
    assert [p.code for p in lint.problems] == ["vague"]


def test_a_department_name_is_a_team_not_an_owner():
    lint = lint_actions(
        [
            ActionItem(
                title="Add a CI check for pool_size",
                owner="Networking",
                done_when="CI blocks a bad change",
                due="2026-01-01",
            )
        ]
    )[0]
    assert [p.code for p in lint.problems] == ["team_owner"]


# --- the real public incidents ---------------------------------------------------------------


@pytest.mark.shared_data
@pytest.mark.parametrize("name", fulltext_case_params())
def test_real_actions_are_numbered_done_ones_first_and_open_ones_smart_and_owned_by_roles(shared_data, name):
    incident = load_real_incident(name)

    actions = propose_actions(read_incident(incident), incident.title, incident.events[0].at.date())

    assert [a.id for a in actions] == [f"A{n}" for n in range(1, len(actions) + 1)]
    statuses = [a.status for a in actions]
    assert statuses == sorted(statuses, key=lambda s: s != "done")
    assert [a.owner for a in actions if a.status == "done"] == [None] * statuses.count("done")
    opened = [a for a in actions if a.status == "open"]
    assert [(lint.action.id, lint.problems) for lint in lint_actions(opened) if not lint.smart] == []
    assert all(any(word in a.owner for word in ("lead", "role", "Service owner of")) for a in opened)


def test_a_change_a_canary_stopped_gets_no_gate_proposal_and_its_automatic_rollback_is_no_action_item():
    incident = Incident(
        id="cart-1",
        title="Cart totals wrong on the canary",
        services=["cart"],
        events=[
            event("09:00", "deploy", "cart 7.2 canary started on 10% of traffic"),
            event(
                "09:12",
                "deploy",
                "Canary analysis failed for cart 7.2: error ratio 3%; rollout halted and rolled back automatically",
            ),
            event("09:30", "chat", "cart 7.2 drops the discount line; the cart tests only cover single-item carts"),
        ],
    )

    assert [(a.title, a.status) for a in actions_for(incident)] == [
        ("Make the cart tests cover more than single-item carts", "open"),
    ]


def test_alerts_and_findings_that_quote_a_recovery_verb_are_not_listed_as_steps_taken():
    incident = Incident(
        id="recs-1",
        title="Recommendations crash-looping",
        services=["recs"],
        events=[
            event("10:00", "alert", "FIRING PodRestartsHigh: recs pods restarted 3 times in 15 minutes"),
            event("10:10", "chat", "Found that pods are OOMKilled and restarted every 40 minutes"),
            event("10:20", "deploy", "Fix for the recs memory leak deployed in 5.1.5"),
        ],
    )

    assert [a.title for a in actions_for(incident) if a.status == "done"] == [
        "Fix for the recs memory leak deployed in 5.1.5"
    ]


def test_the_halt_action_names_the_signal_the_alert_gave_or_the_incident_title_when_the_alert_names_nothing():
    def halt_title(alert_text: str) -> str:
        incident = Incident(
            id="net-1",
            title="All services returning 503",
            services=["ingress"],
            events=[
                event("08:00", "deploy", "CNI plugin replaced by the pipeline"),
                event("08:05", "alert", alert_text),
                event("08:20", "deploy", "Pipeline reverted the CNI plugin; services back to normal"),
            ],
        )
        return next(a.title for a in actions_for(incident) if a.title.startswith("Halt"))

    assert halt_title("Alert: ingress 503 ratio above 40%") == (
        'Halt changes like "CNI plugin replaced by the pipeline" automatically when "Alert: ingress 503 ratio above 40%" '
        "shows during the rollout"
    )
    assert halt_title("Issue detected as a result of alerts") == (
        'Halt changes like "CNI plugin replaced by the pipeline" automatically when "All services returning 503" shows '
        "during the rollout"
    )


def test_a_stated_cause_whose_parts_name_nothing_gets_no_check_that_would_say_nothing():
    incident = Incident(
        id="ing-1",
        title="Some services returning 504",
        services=["ingress"],
        events=[
            event("09:00", "alert", "Alert: 504 ratio above 5% on the shop ingress"),
            event("09:20", "chat", "Found that the issue was caused by the Ingress"),
            event("09:40", "deploy", "Ingress controller restarted; 504s back to normal"),
        ],
    )

    assert not [a.title for a in actions_for(incident) if a.title.startswith("Add a check that stops")]


def test_a_failover_that_worked_gets_an_action_to_restore_the_spare_it_used_up():
    incident = Incident(
        id="q-1",
        title="Queue broker down",
        services=["broker"],
        events=[
            event("03:00", "chat", "Host mq-main-1 stopped responding (disk controller failed)"),
            event("03:02", "alert", "Alert: publish errors above 30% on mq-main"),
            event("03:15", "chat", "promoted mq-main-2 to primary, publishers reconnecting"),
            event("03:20", "metric", "publish errors back to normal"),
        ],
    )

    assert [a.title for a in actions_for(incident) if a.title.startswith("Restore the redundancy")] == [
        'Restore the redundancy the failover used up: repair or replace what failed ("Host mq-main-1 stopped '
        'responding (disk controller failed)") and add it back as a standby',
    ]


def test_a_resource_the_data_shows_growing_gets_a_cap_and_an_alert_in_its_own_words():
    incident = Incident(
        id="d-1",
        title="Build agents out of disk",
        services=["ci"],
        events=[
            event("09:00", "alert", "Alert: build agents failing with no space left on device"),
            event("09:10", "chat", "Found the docker layer cache on the build agents has grown to 480 GB since May"),
            event("09:30", "chat", "Pruned the docker layer cache; builds green again"),
        ],
    )

    assert [a.title for a in actions_for(incident) if a.title.startswith("Cap ")] == [
        "Cap the docker layer cache on the build agents and alert well before it runs out: it had grown to 480 GB "
        "since May",
    ]


def test_a_resource_the_data_says_ran_out_gets_headroom_and_an_alert_named_as_the_data_names_it():
    incident = Incident(
        id="n-1",
        title="Pods stuck pending",
        services=["cluster"],
        events=[
            event("10:00", "alert", "Alert: 40 pods pending for 10 minutes"),
            event("10:20", "chat", "The autoscaler cannot add nodes: not enough free IP addresses in the pod subnets"),
            event("10:50", "deploy", "Added a secondary CIDR to the VPC; pods scheduled again"),
        ],
    )

    assert [a.title for a in actions_for(incident) if a.title.startswith("Keep headroom")] == [
        "Keep headroom in free IP addresses in the pod subnets and alert well before it runs out",
    ]


# --- findings the data leaves unexplained ------------------------------------------------------


def cache_nodes_incident(thumbnails: str = "The thumbnail worker had high cpu usage all afternoon") -> Incident:
    """Two unexplained findings: one says how a named service misbehaved, one only where the failure showed."""
    return Incident(
        id="c-1",
        title="Product pages slow",
        services=["web", "thumbnail-worker"],
        events=[
            event("14:00", "alert", "Alert: web p95 latency above 2 s"),
            event("14:10", "chat", "Found that every failing request is served from the two pods in rack b7"),
            event("14:15", "chat", thumbnails),
            event("14:30", "deploy", "Moved the web pods off rack b7; latency back to normal"),
        ],
    )


def test_a_finding_that_says_how_a_named_service_misbehaved_gets_a_limit_or_alert_quoting_it_whole():
    built = [(a.title, a.done_when) for a in actions_for(cache_nodes_incident()) if a.title.startswith("Add a limit")]

    assert built == [
        (
            'Add a limit or alert that catches "The thumbnail worker had high cpu usage all afternoon" early',
            'A drill that repeats "The thumbnail worker had high cpu usage all afternoon" trips the limit or alert, and '
            "the review records why it happened.",
        )
    ]


def test_a_component_that_ran_on_the_failing_hosts_and_used_much_of_them_is_run_apart_or_capped():
    incident = cache_nodes_incident("The thumbnail worker sat on the same hosts and had high cpu usage all afternoon")

    assert [(a.title, a.done_when) for a in actions_for(incident) if "thumbnail" in a.title] == [
        (
            "Run the thumbnail worker apart from the workloads on the same host: a host group of its own, or a limit on "
            "its cpu",
            'A drill that repeats "The thumbnail worker sat on the same hosts and had high cpu usage all afternoon" leaves '
            "the other workloads on the host running.",
        )
    ]


def test_a_finding_that_only_says_where_the_failure_showed_is_asked_in_the_open_questions_not_made_an_action():
    postmortem = draft_postmortem(cache_nodes_incident(), score=False)

    assert not [a.title for a in postmortem.action_items if "rack b7" in a.title and a.status != "done"]
    assert [q.question for q in postmortem.open_questions if q.topic == "actions: unexplained finding"] == [
        'The data does not say how this came about, at 2024-05-14 14:10 UTC: "Found that every failing request is served '
        'from the two pods in rack b7": what made it happen, and what would have caught it?',
    ]


def test_findings_about_the_incident_s_own_services_get_their_actions_before_other_findings():
    incident = Incident(
        id="s-1",
        title="Search results stale",
        services=["search-indexer"],
        events=[
            event("09:00", "alert", "Alert: search freshness above 30 minutes"),
            event("09:10", "chat", "Found a sharp spike in disk reads on the storage array"),
            event("09:12", "chat", "Found a spike in queue lag on the billing exporter"),
            event("09:20", "chat", "The search indexer had high memory usage and was evicted twice"),
            event("09:40", "deploy", "Restarted the search indexer; freshness back to normal"),
        ],
    )

    assert [a.title for a in actions_for(incident) if a.title.startswith("Add a limit")] == [
        'Add a limit or alert that catches "The search indexer had high memory usage and was evicted twice" early',
        'Add a limit or alert that catches "a sharp spike in disk reads on the storage array" early',
    ]


def test_a_stated_gap_is_done_when_a_drill_repeats_the_failure_the_same_event_states_before_it():
    incident = Incident(
        id="g-1",
        title="Invoices in yen off by a factor of 100",
        services=["billing"],
        events=[
            event("11:00", "alert", "Alert: invoice total mismatch above 1%"),
            event(
                "11:20",
                "chat",
                "the tax table migration stored yen amounts with the wrong number of decimals. "
                "Billing tests only cover pounds and euros",
            ),
            event(
                "11:30",
                "chat",
                "Identified the tax table migration as the trigger; the migration was not reviewed by the finance team",
            ),
            event("11:50", "deploy", "Reverted the tax table migration; totals correct again"),
        ],
    )

    assert [(a.title, a.done_when) for a in actions_for(incident) if a.title.startswith("Make")] == [
        (
            "Make billing tests cover more than pounds and euros",
            'In place, and a test or drill that repeats "the tax table migration stored yen amounts with the wrong number '
            'of decimals" shows it catching the failure.',
        ),
        (
            "Make the finance team review the migration",  # who found what is no failure to repeat
            'In place, and a test or drill that repeats "the migration was not reviewed by the finance team" shows it '
            "catching the failure.",
        ),
    ]


def test_a_failure_a_drill_found_before_any_alert_gets_what_the_drill_checked_run_on_a_schedule_with_an_alert():
    incident = Incident(
        id="r-1",
        title="Replica snapshots unusable",
        services=["ledger-db"],
        events=[
            event("10:00", "chat", "Half-yearly recovery rehearsal started for ledger-db"),
            event("10:25", "chat", "Mount of the newest ledger-db snapshot failed: the volume has no filesystem"),
            event("11:40", "deploy", "Snapshot job fixed and a new snapshot taken; mount succeeded"),
        ],
    )

    assert [(a.title, a.done_when) for a in actions_for(incident) if a.title.startswith("Run ")] == [
        (
            'Run "Mount of the newest ledger-db snapshot" automatically on a schedule, not only in the half-yearly '
            "recovery rehearsal, and alert when it fails",
            'The scheduled run alerts the on-call in a test where it fails as it did: "Mount of the newest ledger-db '
            'snapshot failed: the volume has no filesystem".',
        )
    ]


def test_a_failure_monitoring_caught_gets_no_drill_action_even_when_a_drill_ran_that_day():
    incident = Incident(
        id="r-2",
        title="Replica snapshots unusable",
        services=["ledger-db"],
        events=[
            event("10:00", "chat", "Half-yearly recovery rehearsal started for ledger-db"),
            event("10:25", "alert", "Alert: mount of the newest ledger-db snapshot failed"),
            event("11:40", "deploy", "Snapshot job fixed and a new snapshot taken; mount succeeded"),
        ],
    )

    assert [a.title for a in actions_for(incident) if a.title.startswith("Run ")] == []


def test_a_tool_that_judged_by_what_it_could_see_and_judged_wrong_is_made_to_account_for_what_it_missed():
    incident = Incident(
        id="k-1",
        title="Payments webhook endpoint deleted",
        services=["gateway"],
        events=[
            event("08:00", "deploy", "Route pruning job removed 14 idle routes, including /hooks/payments"),
            event("08:05", "alert", "Alert: payment confirmations failing with 404"),
            event("08:20", "deploy", "Route /hooks/payments restored; confirmations succeeding again"),
            event(
                "09:00",
                "chat",
                "The pruning job counted hits from the public load balancer only; the payments "
                "provider calls through the partner link, so it looked idle.",
            ),
        ],
    )

    assert [(a.title, a.done_when) for a in actions_for(incident) if a.title.startswith("Make the pruning")] == [
        (
            'Make the pruning job account for cases like "the payments provider calls through the partner link" before '
            "it treats anything as idle",
            'A test where "the payments provider calls through the partner link" holds shows the pruning job no longer '
            "treating it as idle.",
        )
    ]


def test_support_paging_the_on_call_is_a_person_passing_a_report_on_so_the_action_adds_an_alert_not_a_faster_page():
    incident = Incident(
        id="p-1",
        title="Uploaded avatars missing",
        services=["media"],
        events=[
            event("08:00", "chat", "Support: customers report that avatars uploaded today show a broken image"),
            TimelineEvent(
                at=at("08:20"), source="page", text="paged by support. media bucket object count down by a third"
            ),
            event("09:10", "deploy", "Lifecycle rule removed; avatars restored from versioning, images load again"),
        ],
    )

    assert [a.title for a in actions_for(incident) if "alert" in a.title.lower()] == [
        "Add an alert that pages on the failure users saw, before they report it (first reported at 2024-05-14 08:00 "
        'UTC: "avatars uploaded today show a broken image")',
    ]


def test_what_people_say_in_the_chat_after_a_change_is_no_signal_to_halt_that_change_on():
    incident = Incident(
        id="m-1",
        title="Orders missing from the new ledger",
        services=["ledger"],
        events=[
            event("02:00", "deploy", "ledger-v2 backfill finished; reads switched to ledger-v2"),
            event("09:00", "chat", "picking up ticket LG-17: a merchant says orders are missing from the export"),
            event("09:30", "deploy", "Reads switched back to the old ledger; exports complete again"),
        ],
    )

    assert [a.title for a in actions_for(incident) if a.title.startswith("Halt changes")] == []


def notes_incident(*later: TimelineEvent) -> Incident:
    return Incident(
        id="n-2",
        title="Shipping labels printed with old addresses",
        services=["labels"],
        events=[
            event("07:00", "alert", "Alert: label address mismatch above 5%"),
            event("07:40", "deploy", "Address cache flushed; labels print the current address again"),
            event("08:10", "chat", "ops is preparing a notice for the merchants whose labels went out wrong"),
            *later,
        ],
    )


def test_a_message_to_the_affected_that_the_data_shows_being_written_is_an_open_decided_action_to_send_it():
    assert [
        (a.title, a.done_when, a.status, a.owner, a.horizon)
        for a in actions_for(notes_incident())
        if a.title.startswith("Send")
    ] == [
        (
            "Send the notice being drafted for the merchants whose labels went out wrong to each of them",
            "Every one of the merchants whose labels went out wrong has received the notice, and who received it is "
            "recorded.",
            "open",
            "Incident commander role",
            "immediate",
        )
    ]


def test_a_message_the_data_later_shows_sent_is_not_proposed_again():
    sent = event("09:00", "chat", "Notice emailed to the 41 merchants whose labels went out wrong")

    assert [a.title for a in actions_for(notes_incident(sent)) if a.title.startswith("Send")] == []


def test_a_metric_reading_and_the_notes_account_of_the_impact_are_neither_acted_on_nor_asked_about():
    incident = Incident(
        id="v-1",
        title="Quote service slow",
        services=["quotes"],
        notes="Quotes were unavailable to a third of the brokers for 40 minutes.",
        events=[
            event("11:00", "alert", "Alert: quotes p95 latency above 3 s"),
            event("11:20", "deploy", "Rolled back quotes 8.2; latency back to normal"),
            TimelineEvent(at=at("11:30"), source="metric", text="quotes p95 900 ms | errors 0.4%"),
        ],
    )
    postmortem = draft_postmortem(incident, score=False)

    assert [a.title for a in postmortem.action_items if a.title.startswith(("Add a limit", "Find out"))] == []
    assert [q.question for q in postmortem.open_questions if q.topic == "actions: unexplained finding"] == []


def test_a_commit_pushed_to_a_repository_gets_no_halt_during_a_rollout_it_never_had():
    incident = Incident(
        id="l-1",
        title="Signing key published",
        services=["releases"],
        events=[
            event("16:00", "deploy", "Commit 7be21 pushed to the public repository acme/tools with the signing key"),
            event("16:04", "alert", "Secret scanning alert fired: signing key detected in acme/tools"),
            event("16:20", "chat", "Signing key revoked and a new one issued"),
        ],
    )

    assert [a.title for a in actions_for(incident) if a.title.startswith("Halt changes")] == []


def test_a_stated_cause_that_is_a_resource_running_out_gets_headroom_and_an_alert_not_a_second_check_on_it():
    incident = Incident(
        id="n-3",
        title="Builds queued for hours",
        services=["ci"],
        events=[
            event("10:00", "alert", "Alert: 120 builds queued for 30 minutes"),
            event("10:20", "chat", "Builds queued because there are not enough free licences in the runner pool"),
            event("10:50", "deploy", "Bought 20 more runner licences; builds start again"),
        ],
    )

    assert [a.title for a in actions_for(incident) if a.title.startswith(("Add a check", "Keep headroom"))] == [
        "Keep headroom in free licences in the runner pool and alert well before it runs out",
    ]


def test_a_follow_up_is_quoted_from_its_own_sentence_and_one_the_data_says_was_never_filed_is_not_carried_out():
    incident = Incident(
        id="f-1",
        title="Exports stalled",
        services=["exports"],
        events=[
            event("09:00", "alert", "Alert: export queue age above 20 minutes"),
            event("09:30", "deploy", "Export workers restarted; queue draining, back to normal"),
            event("09:40", "chat", "Resolved. Data team will add a per-tenant cap on export size, review on Monday"),
            event(
                "09:45", "chat", "Queue age graph shared in the channel; put down to a large tenant, no ticket filed"
            ),
        ],
    )

    assert [a.title for a in actions_for(incident) if a.title.startswith("Carry out")] == [
        'Carry out the follow-up recorded in the timeline: "Data team will add a per-tenant cap on export size, review '
        'on Monday"',
    ]


def test_a_step_the_data_says_is_still_to_be_done_is_carried_out_and_one_that_only_seemed_done_is_not():
    incident = Incident(
        id="f-2",
        title="Search results stale",
        services=["search"],
        events=[
            event("10:00", "alert", "Alert: search index age above 2 hours"),
            event("10:20", "chat", "The indexer appeared to be stalled on one shard"),
            event("10:40", "deploy", "Indexer restarted, allowing the queued updates to be applied"),
            event("10:45", "metric", "Index age back to normal"),
            event("10:50", "note", "Resolved; the stuck shard to be rebuilt from the nightly snapshot"),
        ],
    )

    assert [a.title for a in actions_for(incident) if a.title.startswith("Carry out")] == [
        'Carry out the follow-up recorded in the timeline: "Resolved; the stuck shard to be rebuilt from the nightly '
        'snapshot"',
    ]


def test_a_step_announced_and_then_reported_done_is_one_done_action_the_report_of_it():
    incident = Incident(
        id="p-4",
        title="Quote API errors",
        services=["quote-api"],
        events=[
            event("10:00", "deploy", "quote-api 2.4 deployed"),
            event("10:05", "alert", "Alert: quote-api 5xx above 10%"),
            event("10:10", "chat", "Errors all come from the new parser in 2.4. Rolling back to 2.3"),
            event("10:15", "deploy", "quote-api rolled back to 2.3"),
            event("10:20", "metric", "quote-api 5xx back to normal"),
        ],
    )

    assert [a.title for a in actions_for(incident) if a.status == "done"] == ["quote-api rolled back to 2.3"]


def test_many_steps_under_way_are_matched_with_their_reports_in_one_pass():
    steps = [
        TimelineEvent(at=at("10:10") + dt.timedelta(seconds=i), source="chat", text=f"Rolling back shard{i} to 2.3")
        for i in range(6000)
    ]
    incident = Incident(
        id="p-5",
        title="Quote API errors",
        events=[
            event("10:00", "deploy", "quote-api 2.4 deployed"),
            event("10:05", "alert", "Alert: quote-api 5xx"),
            *steps,
        ],
    )

    assert len(actions_for(incident)) >= 1


def test_done_actions_are_fixes_that_stay_not_steps_repeated_begun_taken_by_a_system_or_people_contacted():
    incident = Incident(
        id="gw-9",
        title="Gateway returning 502 for all tenants",
        services=["gateway"],
        events=[
            event("09:00", "deploy", "Gateway 7.3 rolled out"),
            event("09:04", "alert", "Alert: gateway 5xx above 20%"),
            event("09:10", "deploy", "Rollback of gateway 7.3 triggered"),
            event("09:12", "deploy", "Deploy pipeline re-triggered due to a registry timeout"),
            event("09:15", "chat", "Reached out to the largest tenant about the errors"),
            event(
                "09:20", "deploy", "Target groups reattached to the load balancer by the pipeline; 5xx back to normal"
            ),
            event("09:40", "deploy", "Fix committed to revert the header size change in the gateway module"),
            event("10:30", "deploy", "Connection limits set on the gateway pool in IaC"),
            event("11:00", "deploy", "Base image version pinned to 2.4"),
        ],
    )

    assert [(a.title, a.status) for a in actions_for(incident) if a.status == "done"] == [
        ("Fix committed to revert the header size change in the gateway module", "done"),
        ("Connection limits set on the gateway pool in IaC", "done"),
        ("Base image version pinned to 2.4", "done"),
    ]


def test_a_step_nobody_meant_one_held_up_or_one_that_names_nothing_is_no_done_action():
    incident = Incident(
        id="net-2",
        title="Cluster network changes lost",
        services=["cluster"],
        events=[
            event("09:00", "alert", "Alert: cluster nodes NotReady"),
            event("09:05", "deploy", "Review pipeline unexpectedly ran and reverts the network changes"),
            event("09:10", "deploy", "Corrective action delayed due to a Terraform state lock"),
            event("09:20", "deploy", "Network settings changed back in Terraform and applied"),
            event("09:25", "deploy", "Pipeline run completed"),
        ],
    )

    assert [a.title for a in actions_for(incident) if a.status == "done"] == [
        "Network settings changed back in Terraform and applied",
    ]


def test_an_alert_is_how_the_failure_was_caught_never_a_finding_left_unexplained_to_guard_against():
    incident = Incident(
        id="kx-1",
        title="Partner API refusing connections",
        services=["partner-api", "key-rotator"],
        started_at=at("01:00"),
        events=[
            event("01:00", "note", "Signing key for partner-api expired; partners fail to authenticate"),
            event(
                "01:06", "alert", "FIRING PartnerAuthFailing (service=partner-api): signing key expired for partner-api"
            ),
            event("01:30", "chat", "key-rotator logs: rotation failing since 2024-04-02 with permission errors"),
            event("01:45", "deploy", "New signing key issued by hand and loaded into partner-api"),
            event("01:50", "metric", "Partner authentication back to normal"),
        ],
    )

    titles = [a.title for a in propose_actions(read_incident(incident), incident.title, at("01:00").date())]

    assert titles == ["New signing key issued by hand and loaded into partner-api"]


def test_a_fix_pushed_while_the_failure_recurred_before_anyone_reported_it_is_a_step_taken_done_when_applied():
    incident = Incident(
        id="node-7",
        title="Batch workers evicted and jobs stuck queued",
        services=["batch-cluster"],
        started_at=at("06:00"),
        events=[
            event("06:00", "note", "First time a worker node went NotReady"),
            event("08:00", "note", "Second time a worker node went NotReady"),
            event("09:10", "deploy", "Pushed candidate fix (kernel upgrade, larger eviction threshold) to main"),
            event("09:40", "deploy", "Pipeline finished - candidate fix applied"),
            event("11:30", "chat", "A user reports that their jobs have been queued for an hour"),
            event("12:00", "deploy", "Two more worker nodes added to the pool"),
            event("12:10", "note", "Queued jobs start running again"),
        ],
    )

    assert [(a.title, a.done_when) for a in actions_for(incident) if a.status == "done"] == [
        (
            "Pushed candidate fix (kernel upgrade, larger eviction threshold) to main",
            'Done at 2024-05-14 09:40 UTC: "Pipeline finished - candidate fix applied".',
        ),
        (
            "Two more worker nodes added to the pool",
            'Done at 2024-05-14 12:00 UTC: "Two more worker nodes added to the pool".',
        ),
    ]


def test_a_step_told_in_the_same_message_as_what_was_found_is_still_a_step_taken_in_its_own_words():
    incident = Incident(
        id="dns-4",
        title="Some internal hostnames not resolving",
        services=["internal-dns"],
        started_at=at("07:00"),
        events=[
            event("07:00", "deploy", "Zone file with a duplicate record published"),
            event("09:00", "chat", "A developer reports lookups for billing.internal fail"),
            event(
                "09:30",
                "chat",
                "Likely culprit found. Deleted the duplicate record, confirmed that lookups resolve again.",
            ),
            event("09:35", "chat", "The developer reports lookups work"),
        ],
    )

    assert [a.title for a in actions_for(incident) if a.status == "done"] == [
        "Deleted the duplicate record, confirmed that lookups resolve again",
    ]


def test_a_step_tried_again_is_done_once_by_the_attempt_that_got_it_done_never_the_one_that_failed():
    incident = Incident(
        id="idx-2",
        title="Search returning no results",
        services=["search"],
        started_at=at("10:00"),
        events=[
            event("10:00", "alert", "Alert: search queries returning zero hits above 50%"),
            event("10:10", "deploy", "Attempt at running the restore script to reload the product index"),
            event("10:14", "note", "Attempt fails due to a timeout fetching the snapshot"),
            event("10:16", "deploy", "2nd attempt at running the restore script to reload the product index"),
            event("10:30", "metric", "Search hit rate back to normal"),
        ],
    )

    assert [(a.title, a.done_when) for a in actions_for(incident) if a.status == "done"] == [
        (
            "2nd attempt at running the restore script to reload the product index",
            'Done at 2024-05-14 10:16 UTC: "2nd attempt at running the restore script to reload the product index".',
        ),
    ]


def test_a_step_begun_and_reported_done_by_a_run_that_names_nothing_is_done_in_the_words_of_the_step():
    incident = Incident(
        id="auth-6",
        title="Logins failing for some tenants",
        services=["auth"],
        started_at=at("09:00"),
        events=[
            event("09:00", "deploy", "Session cache change applied by the pipeline"),
            event("11:00", "chat", "A tenant reports their users cannot log in"),
            event("11:20", "deploy", "Cause identified. Began working on a rollback of the session cache change"),
            event("11:24", "deploy", "Pipeline triggered for the rollback"),
            event("11:37", "deploy", "Pipeline run completed"),
            event("11:40", "chat", "The tenant confirms logins work again"),
        ],
    )

    assert [(a.title, a.done_when) for a in actions_for(incident) if a.status == "done"] == [
        (
            "Began working on a rollback of the session cache change",
            'Done at 2024-05-14 11:37 UTC: "Pipeline run completed".',
        ),
    ]


def test_a_step_a_named_pipeline_took_by_itself_is_no_done_action_of_the_team():
    incident = Incident(
        id="lb-3",
        title="Every service returning 503",
        services=["edge"],
        started_at=at("07:30"),
        events=[
            event("07:30", "deploy", "Nightly pipeline run starts replacing the node groups"),
            event("07:36", "chat", "A user reports 503 on every page"),
            event("07:41", "deploy", "Listeners reattached to the load balancer by the nightly pipeline (resolved)"),
        ],
    )

    assert [a.title for a in actions_for(incident) if a.status == "done"] == []


def test_a_fix_that_took_effect_before_the_failure_was_reported_is_asked_about_never_called_its_cause():
    from pm_agent.analysis.actions.steps_taken import fix_before_the_report_questions

    def questions(*events: TimelineEvent) -> list[str]:
        incident = Incident(id="node-8", title="Jobs stuck queued", started_at=at("06:00"), events=list(events))
        return fix_before_the_report_questions(read_incident(incident))

    recurring = event("06:00", "note", "First time a worker node went NotReady")
    fix = event("09:10", "deploy", "Pushed candidate fix (kernel upgrade, larger eviction threshold) to main")
    report = event("11:30", "chat", "A user reports that their jobs have been queued for an hour")

    assert questions(recurring, fix, report) == [
        'The data shows a fix made before the failure was reported, at 2024-05-14 09:10 UTC: "Pushed '
        'candidate fix (kernel upgrade, larger eviction threshold) to main", then at 2024-05-14 11:30 UTC: "A user '
        'reports that their jobs have been queued for an hour". Did the fix bring on what was reported, or was that '
        "a failure of its own?"
    ]
    assert questions(recurring, report, event("12:00", "deploy", "Pushed fix (kernel upgrade) to main")) == []


def test_a_step_begun_then_an_outcome_that_names_nothing_is_the_step_done_never_the_outcome_as_an_action():
    incident = Incident(
        id="pool-2",
        title="Jobs waiting for workers",
        services=["batch"],
        started_at=at("13:00"),
        events=[
            event("13:00", "chat", "A user reports their jobs have waited for workers for an hour"),
            event("13:20", "deploy", "Triggered the pipeline to add more nodes to the pool"),
            event("13:34", "note", "More nodes become available"),
        ],
    )

    assert [(a.title, a.done_when) for a in actions_for(incident) if a.status == "done"] == [
        (
            "Triggered the pipeline to add more nodes to the pool",
            'Done at 2024-05-14 13:34 UTC: "More nodes become available".',
        ),
    ]
