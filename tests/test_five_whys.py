"""5 Whys that follow the evidence: each step cites an input event or a stated fact, or asks; reviewing users' chains."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import fulltext_case_params, fulltext_cases, load_real_incident

from pm_agent.analysis.claims import EventIndex
from pm_agent.analysis.quoting import quote
from pm_agent.analysis.whys.chain import run_five_whys
from pm_agent.analysis.whys.review import review_chain
from pm_agent.analysis.whys.steps import OPEN
from pm_agent.errors import InputError
from pm_agent.models import Incident, TimelineEvent, WhyChain
from pm_agent.render.analysis import because_clause, why_chain_text

DAY = "2024-05-14"


def at(hhmm: str, day: str = DAY) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{hhmm}:00+00:00")


def event(hhmm: str, source: str, text: str, **extra) -> TimelineEvent:
    return TimelineEvent(at=at(hhmm), source=source, text=text, **extra)


def cited(why: str, because: str, *evidence: tuple[str, str, str]) -> dict:
    """A step as the chain dumps it when it rests on input events: (HH:MM, source, excerpt) each."""
    return {
        "why": why,
        "because": because,
        "facts": [],
        "hypothesis": False,
        "question": "",
        "evidence": [
            {"at": f"{DAY}T{hhmm}:00Z", "source": source, "excerpt": excerpt, "time_text": ""}
            for hhmm, source, excerpt in evidence
        ],
    }


def asked(why: str, question: str) -> dict:
    """A step as the chain dumps it when the data does not answer it."""
    return {"why": why, "because": OPEN, "evidence": [], "facts": [], "hypothesis": True, "question": question}


def stated(why: str, fact: str) -> dict:
    """A step answered by a fact the user stated."""
    return {"why": why, "because": fact, "evidence": [], "facts": [fact], "hypothesis": False, "question": ""}


def branches(chain: WhyChain) -> list[dict]:
    return chain.model_dump(mode="json")["branches"]


# --- incidents, written in the styles inputs come in -----------------------------------------


def lock_contention() -> Incident:
    """Chat-style: the responders say why, and no change appears in the data."""
    return Incident(
        id="db-1",
        title="Checkout requests timing out",
        services=["checkout"],
        events=[
            event("09:00", "alert", "Checkout p99 latency above 3s"),
            event("09:12", "chat", "Checkout requests timing out due to lock contention on the carts table"),
            event("09:30", "chat", "Killed the long-running vacuum on the carts table"),
            event("09:35", "metric", "Checkout latency back to normal"),
        ],
    )


def mapping_change() -> Incident:
    """Deploy-log style: a change, a symptom, a revert; nobody writes down why."""
    return Incident(
        id="search-1",
        title="Search returns empty results",
        services=["search"],
        events=[
            event("14:00", "deploy", "Search index mapping v12 applied"),
            event("14:06", "alert", "Search zero-result rate above 40%"),
            event("14:30", "deploy", "Reverted the index mapping to v11"),
            event("14:40", "metric", "Zero-result rate back to baseline"),
        ],
    )


def missing_variable() -> Incident:
    """A release, then a finding with "due to" that names the released service."""
    return Incident(
        id="orders-1",
        title="Orders API returning 503s",
        services=["orders-api"],
        severity="SEV2",
        events=[
            event("10:00", "deploy", "orders-api release 7.3 deployed"),
            event("10:04", "alert", "Alert: orders-api 503 rate above 5%"),
            event("10:10", "chat", "Found that orders-api pods were crashing due to a missing DATABASE_URL variable"),
            event("10:20", "deploy", "Rolled back orders-api to 7.2"),
            event("10:25", "metric", "orders-api error rate back to normal"),
        ],
    )


def customer_report_then_failed_rollback() -> Incident:
    """Customers notice first, no alert ever fires, and the first way out fails."""
    return Incident(
        id="bill-1",
        title="Invoices emailed with wrong totals",
        services=["billing"],
        events=[
            event("08:00", "deploy", "billing 5.1 rolled out with the new tax rounding"),
            event("09:40", "chat", "Support: a customer reports their invoice total is wrong"),
            event("10:10", "deploy", "Rollback to billing 5.0 failed: the migration could not be reversed"),
            event("10:45", "deploy", "Hotfix 5.1.1 deployed restoring the old rounding"),
            event("10:50", "metric", "New invoices match expected totals again; recovered"),
        ],
    )


def expired_certificate() -> Incident:
    """Note-style: a cause statement, then a later finding that names what the cause names."""
    return Incident(
        id="tls-1",
        title="Payments gateway handshakes failing",
        services=["payments-gateway"],
        events=[
            event("00:07", "alert", "Synthetic check: HTTPS handshake failures on payments-gateway"),
            event("00:20", "note", "Handshakes fail because the gateway certificate expired at midnight"),
            event("00:28", "note", "Found that the certificate renewal cron job was removed in the March cleanup"),
            event("00:35", "deploy", "New certificate issued and deployed to payments-gateway"),
            event("00:40", "metric", "Handshake errors back to zero"),
        ],
    )


def queue_backlog_with_a_stated_gap() -> Incident:
    """Metric-style: a slow alert, and a responder writes down what was missing."""
    return Incident(
        id="mail-1",
        title="Password reset emails delayed",
        services=["mailer"],
        started_at=at("06:00"),
        events=[
            event("06:00", "deploy", "mailer worker image 2.8 rolled out"),
            event("07:10", "alert", "Alert: mailer queue age above 30 min"),
            event("07:25", "chat", "Found mailer workers hanging on a DNS lookup for the SMTP relay"),
            event("07:30", "chat", "There was no alert on mailer queue depth, only on queue age"),
            event("07:45", "chat", "Restarted the mailer workers; queue draining, back to normal"),
        ],
    )


# --- the trigger branch ---------------------------------------------------------------------


def test_the_alert_heads_the_chain_as_its_first_signal_and_why_1_is_the_cause_the_data_states():
    chain = run_five_whys("Checkout requests timing out", lock_contention())

    assert chain.first_signal.model_dump(mode="json") == {
        "at": f"{DAY}T09:00:00Z",
        "source": "alert",
        "excerpt": "Checkout p99 latency above 3s",
        "time_text": "",
    }

    assert branches(chain) == [
        {
            "label": "trigger",
            "systemic_kind": "unknown",
            "category": "other",
            "root_cause": "",
            "root_cause_question": 'What in how this system is changed, tested or watched let "Checkout requests timing out '
            'due to lock contention on the carts table" reach users, and who owns closing that gap?',
            "steps": [
                cited(
                    'Why did "Checkout requests timing out" happen?',
                    "The data states a cause: Checkout requests timing out due to lock contention on the carts table "
                    "(chat, 2024-05-14 09:12 UTC).",
                    ("09:12", "chat", "Checkout requests timing out due to lock contention on the carts table"),
                ),
                asked(
                    'Why did "Checkout requests timing out due to lock contention on the…" happen?',
                    'What led to "lock contention on the carts table"? The data does not say.',
                ),
                asked(
                    'Why was "Checkout requests timing out" not caught earlier?',
                    'Which check, test or review did "Checkout requests timing out due to lock contention on the carts '
                    'table" pass before it took effect, and why did none of them catch it?',
                ),
            ],
        }
    ]
    assert chain.to_confirm is True


def test_with_no_mechanism_in_the_data_why_1_asks_how_the_change_the_fix_reverted_broke_it_and_why_2_cites_the_change():
    chain = run_five_whys("Search returns empty results", mapping_change())

    assert branches(chain) == [
        {
            "label": "trigger",
            "systemic_kind": "unknown",
            "category": "other",
            "root_cause": "",
            "root_cause_question": 'What in how this system is changed, tested or watched let "Search index mapping v12 '
            'applied" reach users, and who owns closing that gap?',
            "steps": [
                asked(
                    'Why did "Search returns empty results" happen?',
                    'What in the change to the index mapping made "Search returns empty results" fail, and was that change '
                    '"Search index mapping v12 applied"? The data\'s fix reverted the index mapping, so the change it undid '
                    "is implicated: Reverted the index mapping to v11 (deploy, 2024-05-14 14:30 UTC). The data shows that "
                    "reverting it ended the failure, not how it caused it.",
                ),
                cited(
                    'What set "Search returns empty results" off?',
                    "It started with the change: Search index mapping v12 applied (deploy, 2024-05-14 14:00 UTC).",
                    ("14:00", "deploy", "Search index mapping v12 applied"),
                ),
                asked(
                    'Why was "Search returns empty results" not caught earlier?',
                    'Which check, test or review did "Search index mapping v12 applied" pass before it took effect, and '
                    "why did none of them catch it?",
                ),
            ],
        }
    ]


def test_a_stated_cause_about_the_changed_component_is_traced_back_to_the_change():
    steps = branches(run_five_whys("Orders API returning 503s", missing_variable()))[0]["steps"]

    assert steps[0:2] == [
        cited(
            'Why did "Orders API returning 503s" happen?',
            "The data states a cause: Found that orders-api pods were crashing due to a missing DATABASE_URL "
            "variable (chat, 2024-05-14 10:10 UTC).",
            ("10:10", "chat", "Found that orders-api pods were crashing due to a missing DATABASE_URL variable"),
        ),
        cited(
            'What set "Found that orders-api pods were crashing due to a missing…" off?',
            "It started with the change: orders-api release 7.3 deployed (deploy, 2024-05-14 10:00 UTC).",
            ("10:00", "deploy", "orders-api release 7.3 deployed"),
        ),
    ]


def test_a_finding_of_the_diagnosis_is_the_cause_not_what_the_change_itself_says_it_does():
    incident = Incident(
        id="search-3",
        title="Products missing from catalog search",
        events=[
            event(
                "09:00",
                "deploy",
                "search index copy job finished, all shards reported OK; flag search.new_index switched on, "
                "so catalog-api now serves search from the new index",
            ),
            event("13:00", "chat", "A customer reports that some products no longer show up in search"),
            event("14:00", "chat", "found it: the copy job skips products with an empty brand field, no error"),
        ],
    )

    steps = branches(run_five_whys("Products missing from catalog search", incident))[0]["steps"]

    assert steps[0:2] == [
        cited(
            'Why did "Products missing from catalog search" happen?',
            "The data states a cause: Found it: the copy job skips products with an empty brand field, no error "
            "(chat, 2024-05-14 14:00 UTC).",
            ("14:00", "chat", "found it: the copy job skips products with an empty brand field, no error"),
        ),
        cited(
            'What set "found it: the copy job skips products with an empty…" off?',
            "It started with the change: Search index copy job finished, all shards reported OK; flag search.new_index "
            "switched on, so catalog-api now serves search from the new index (deploy, 2024-05-14 09:00 UTC).",
            (
                "09:00",
                "deploy",
                "search index copy job finished, all shards reported OK; flag search.new_index switched on, so "
                "catalog-api now serves search from the new index",
            ),
        ),
    ]


def test_the_check_a_failure_got_past_is_asked_of_the_change_not_of_what_the_diagnosis_found():
    incident = Incident(
        id="cart-4",
        title="Cart pods restarting",
        events=[
            event("10:00", "deploy", "cart-service 3.4 released to production"),
            event("10:50", "alert", "Alert: cart-service pod restarts above 5 in 10 minutes"),
            event("11:05", "chat", "pods run out of memory: the heap grows steadily since 3.4"),
        ],
    )

    steps = branches(run_five_whys("Cart pods restarting", incident))[0]["steps"]

    assert steps[-1] == asked(
        'Why was "Cart pods restarting" not caught earlier?',
        'Which check, test or review did "cart-service 3.4 released to production" pass before it took effect, and why '
        "did none of them catch it?",
    )


def test_a_finding_that_a_recovery_step_caused_the_failure_is_the_stated_cause():
    incident = Incident(
        id="ledger-7",
        title="Ledger API errors after a rollback",
        events=[
            event("10:00", "deploy", "ledger-api 2.0 deployed; it stores amounts in a new column format"),
            event("10:20", "alert", "Alert: ledger-api 5xx above 5%"),
            event("10:30", "deploy", "ledger-api rolled back to 1.9"),
            event("10:35", "alert", "Alert: ledger-api 5xx above 40%"),
            event(
                "10:50",
                "note",
                "Finding: the 40% errors are caused by the rollback, as 1.9 cannot parse the new format",
            ),
            event("11:00", "deploy", "ledger-api rolled forward to 2.0; 5xx back under 1%"),
        ],
    )

    steps = branches(run_five_whys("Ledger API errors after a rollback", incident))[0]["steps"]

    assert steps[0] == cited(
        'Why did "Ledger API errors after a rollback" happen?',
        "The data states a cause: Finding: the 40% errors are caused by the rollback, as 1.9 cannot parse the new "
        "format (note, 2024-05-14 10:50 UTC).",
        ("10:50", "note", "Finding: the 40% errors are caused by the rollback, as 1.9 cannot parse the new format"),
    )


def test_a_cause_stated_for_something_before_the_change_landed_is_not_why_the_change_broke_things():
    incident = Incident(
        id="gw-5",
        title="Partner webhooks rejected",
        started_at=at("15:00"),
        events=[
            event(
                "13:00", "deploy", "Gateway rule change failed due to a locked state file, so the rule change waited"
            ),
            event("15:00", "deploy", "Gateway rule change applied"),
            event("18:00", "chat", "A partner reports their webhooks are rejected by the gateway"),
        ],
    )

    steps = branches(run_five_whys("Partner webhooks rejected", incident))[0]["steps"]

    assert steps[0:2] == [
        asked(
            'Why did "Partner webhooks rejected" happen?',
            'What in "Gateway rule change applied" made "Partner webhooks rejected" fail? The data gives the times, not '
            "the mechanism.",
        ),
        cited(
            'What set "Partner webhooks rejected" off?',
            "It started with the change: Gateway rule change applied (deploy, 2024-05-14 15:00 UTC).",
            ("15:00", "deploy", "Gateway rule change applied"),
        ),
    ]


def test_a_symptom_first_seen_after_steps_against_the_failure_is_an_effect_and_its_own_due_to_is_not_why_1():
    """ "X due to Y" says why X happened. When X shows only after the responders were already acting on the failure
    the change caused, X is a later effect, and Y is why that effect happened, not why the failure did."""
    change = "Release pipeline unexpectedly runs on a draft branch, overwrites the queue settings"
    incident = Incident(
        id="mq-2",
        title="Queue settings accidentally overwritten",
        started_at=at("14:00"),
        events=[
            event("14:00", "deploy", change),
            event("14:10", "deploy", "Queue settings restored from the last backup"),
            event("14:20", "note", "Some consumers failed to reconnect, due to a reconnect surge"),
            event("14:30", "note", "Consumers restarted by hand"),
            event("14:40", "note", "All queues verified healthy"),
        ],
    )

    steps = branches(run_five_whys("Queue settings accidentally overwritten", incident))[0]["steps"]

    assert steps[0:2] == [
        asked(
            'Why did "Queue settings accidentally overwritten" happen?',
            f'What in "{change}" made "Queue settings accidentally overwritten" fail? The data gives the times, not the '
            "mechanism.",
        ),
        cited(
            'What set "Queue settings accidentally overwritten" off?',
            f"It started with the change: {change} (deploy, 2024-05-14 14:00 UTC).",
            ("14:00", "deploy", change),
        ),
    ]


def test_a_later_finding_about_what_the_cause_names_is_the_next_cited_step():
    steps = branches(run_five_whys("Payments gateway handshakes failing", expired_certificate()))[0]["steps"]

    assert [(s["why"], [e["at"] for e in s["evidence"]], s["hypothesis"]) for s in steps] == [
        ('Why did "Payments gateway handshakes failing" happen?', ["2024-05-14T00:20:00Z"], False),
        (
            'Why did "Handshakes fail because the gateway certificate expired at midnight" happen?',
            ["2024-05-14T00:28:00Z"],
            False,
        ),
        ('Why was "Payments gateway handshakes failing" not caught earlier?', [], True),
    ]


def test_a_safeguard_gap_the_data_records_answers_why_it_was_not_caught_and_is_the_root_cause():
    trigger = branches(run_five_whys("Password reset emails delayed", queue_backlog_with_a_stated_gap()))[0]

    assert trigger["steps"][-1] == cited(
        'Why was "Password reset emails delayed" not caught earlier?',
        "The data records a missing safeguard: There was no alert on mailer queue depth, only on queue age "
        "(chat, 2024-05-14 07:30 UTC).",
        ("07:30", "chat", "There was no alert on mailer queue depth, only on queue age"),
    )
    assert (trigger["root_cause"], trigger["root_cause_question"], trigger["systemic_kind"]) == (
        "The data records a missing safeguard: There was no alert on mailer queue depth, only on queue age "
        "(chat, 2024-05-14 07:30 UTC).",
        "",
        "alert",
    )


def test_a_change_the_data_calls_unintended_answers_why_it_was_not_caught_but_the_root_stays_a_question():
    incident = Incident(
        id="cfg-1",
        title="Edge returning 404 for the docs site",
        events=[
            event("12:00", "deploy", "Pipeline applied an unintended routing change to the edge config"),
            event("12:03", "alert", "Alert: docs site 404 rate above 20%"),
        ],
    )

    trigger = branches(run_five_whys("Edge returning 404 for the docs site", incident))[0]

    assert trigger["steps"][-2:] == [
        cited(
            'What set "Edge returning 404 for the docs site" off?',
            "It started with the change: Pipeline applied an unintended routing change to the edge config "
            "(deploy, 2024-05-14 12:00 UTC).",
            ("12:00", "deploy", "Pipeline applied an unintended routing change to the edge config"),
        ),
        cited(  # the step above quoted the change whole: this one quotes the words that answer, not all of it again
            'Why was "Edge returning 404 for the docs site" not caught earlier?',
            "The data records the change as unintended in the same event: Unintended routing change to the edge config "
            "(deploy, 2024-05-14 12:00 UTC).",
            ("12:00", "deploy", "Pipeline applied an unintended routing change to the edge config"),
        ),
    ]
    assert (trigger["root_cause"], bool(trigger["root_cause_question"])) == ("", True)


def test_with_no_change_and_no_finding_the_chain_asks_which_part_failed_what_changed_and_what_could_have_caught_it():
    incident = Incident(
        id="q-1", title="Queue consumers idle", events=[event("03:00", "alert", "Alert: orders queue lag above 5 min")]
    )

    assert branches(run_five_whys("Queue consumers idle", incident))[0]["steps"] == [
        asked(
            'Why did "Queue consumers idle" happen?',
            'Which part of the system failed, and how, to make "Queue consumers idle" happen? The data states no '
            "mechanism: the first sign is an alert, which shows the failure, not why.",
        ),
        asked(
            'What set "Queue consumers idle" off?',
            'What changed just before "Queue consumers idle" (a deploy, a configuration, load, a dependency)? The data '
            "names no change or cause.",
        ),
        asked(
            'Why was "Queue consumers idle" not caught earlier?',
            'Which check, alert or review could have caught "Queue consumers idle" sooner, and why did none?',
        ),
    ]


def test_with_no_change_the_chain_asks_what_made_the_first_sign_happen_rather_than_saying_the_data_names_nothing():
    incident = Incident(
        id="cache-2",
        title="Cache cluster degraded",
        events=[
            event("03:00", "chat", "Host cache-3 stopped responding (disk controller error)"),
            event("03:02", "alert", "Alert: cache cluster degraded, cache-3 unreachable"),
            event("03:30", "chat", "Moved the slots of cache-3 to cache-4; hit rate back to normal"),
        ],
    )

    assert branches(run_five_whys("Cache cluster degraded", incident))[0]["steps"][0] == asked(
        'Why did "Cache cluster degraded" happen?',
        'What made "Host cache-3 stopped responding (disk controller error)" happen (a deploy, a configuration, load, '
        "hardware, a dependency)? The data shows it as the first sign and names no change before it.",
    )


def test_findings_that_share_nothing_with_the_symptom_are_offered_for_the_review_to_connect_not_chosen():
    incident = Incident(
        id="n-1",
        title="Nightly export missing",
        events=[
            event("02:00", "alert", "Alert: nightly export file missing from the bucket"),
            event("02:30", "chat", "Found the scheduler host rebooted for kernel patching at 01:55"),
        ],
    )

    assert branches(run_five_whys("Nightly export missing", incident))[0]["steps"][0] == asked(
        'Why did "Nightly export missing" happen?',
        'Which of these findings set it off, and how: "Found the scheduler host rebooted for kernel patching at 01:55"? '
        "The data does not connect them to the failure.",
    )


# --- detection and recovery branches --------------------------------------------------------


def test_a_person_who_noticed_first_with_no_alert_gives_a_detection_branch_that_asks_why_no_alert_caught_it():
    detection = branches(run_five_whys("Invoices emailed with wrong totals", customer_report_then_failed_rollback()))[1]

    assert detection == {
        "label": "detection",
        "systemic_kind": "unknown",
        "category": "other",
        "root_cause": "",
        "root_cause_question": 'What would have alerted on "Support: a customer reports their invoice total is wrong" '
        "before a person did?",
        "steps": [
            cited(
                "Why did a person notice it before monitoring did?",
                "The first signal was a report: Support: a customer reports their invoice total is wrong "
                "(chat, 2024-05-14 09:40 UTC). No alert appears in the data before it.",
                ("09:40", "chat", "Support: a customer reports their invoice total is wrong"),
            ),
            asked(
                "Why did no alert catch it?",
                'Which signal shows "Support: a customer reports their invoice total is wrong" to monitoring, and is '
                "anything alerting on it?",
            ),
        ],
    }


def test_an_alert_that_came_after_the_report_is_cited_and_asked_about_with_the_gap_between_them():
    incident = Incident(
        id="auth-1",
        title="Mobile sign-in failing",
        services=["auth"],
        events=[
            event("11:00", "chat", "Customers on Twitter report they cannot sign in to the mobile app"),
            event("11:18", "alert", "Alert: auth-api 401 rate above 15%"),
        ],
    )

    assert branches(run_five_whys("Mobile sign-in failing", incident))[1]["steps"] == [
        cited(
            "Why did a person notice it before monitoring did?",
            "The first signal was a report: Customers on Twitter report they cannot sign in to the mobile app "
            "(chat, 2024-05-14 11:00 UTC). The first alert followed: Alert: auth-api 401 rate above 15% "
            "(alert, 2024-05-14 11:18 UTC).",
            ("11:00", "chat", "Customers on Twitter report they cannot sign in to the mobile app"),
            ("11:18", "alert", "Alert: auth-api 401 rate above 15%"),
        ),
        asked(
            "Why did the alert come after the report?",
            'Why did "Alert: auth-api 401 rate above 15%" fire only at 2024-05-14 11:18 UTC, after the first report at '
            "2024-05-14 11:00 UTC: what does it watch, and how fast?",
        ),
    ]


def test_a_person_escalating_the_report_to_the_on_call_is_not_an_alert_that_followed_it():
    incident = Incident(
        id="pdf-2",
        title="Invoice PDFs blank",
        events=[
            event("08:00", "deploy", "invoice-service 4.2 released"),
            event("10:00", "chat", "A customer reports that their invoice PDF is blank"),
            event("10:20", "page", "Support escalated ticket T-991 to the billing on-call"),
            event("11:00", "deploy", "Rolled back invoice-service to 4.1; PDFs render again"),
        ],
    )

    assert branches(run_five_whys("Invoice PDFs blank", incident))[1]["steps"] == [
        cited(
            "Why did a person notice it before monitoring did?",
            "The first signal was a report: A customer reports that their invoice PDF is blank "
            "(chat, 2024-05-14 10:00 UTC). No alert appears in the data before it.",
            ("10:00", "chat", "A customer reports that their invoice PDF is blank"),
        ),
        asked(
            "Why did no alert catch it?",
            'Which signal shows "A customer reports that their invoice PDF is blank" to monitoring, and is anything '
            "alerting on it?",
        ),
    ]


def test_a_report_that_names_nothing_is_not_what_monitoring_is_asked_to_see_the_problem_is():
    incident = Incident(
        id="dl-1",
        title="Downloads stalling at 99%",
        events=[
            event("08:00", "deploy", "cdn config 14 applied"),
            event("12:00", "chat", "Issue reported by a customer"),
            event("12:40", "deploy", "cdn config 14 reverted; downloads complete again"),
        ],
    )

    detection = run_five_whys("Downloads stalling at 99%", incident).branches[1]

    assert (detection.steps[1].question, detection.root_cause_question) == (
        'Which signal shows "Downloads stalling at 99%" to monitoring, and is anything alerting on it?',
        'What would have alerted on "Downloads stalling at 99%" before a person did?',
    )


def test_an_alert_long_after_the_start_with_nothing_seen_before_it_asks_what_showed_the_failure_and_roots_at_the_gap():
    detection = branches(run_five_whys("Password reset emails delayed", queue_backlog_with_a_stated_gap()))[1]

    assert detection == {
        "label": "detection",
        "systemic_kind": "alert",
        "category": "other",
        "root_cause_question": "",
        "root_cause": "The data records a monitoring gap: There was no alert on mailer queue depth, only on queue age "
        "(chat, 2024-05-14 07:30 UTC).",
        "steps": [
            asked(
                "Why was it first detected only 1 h 10 min after it began (2024-05-14 06:00 UTC)?",
                "What showed the failure between its start at 2024-05-14 06:00 UTC and the first alert at 2024-05-14 "
                "07:10 UTC (a metric, a log, a queue, a user's report)? The data records nothing before that alert.",
            ),
            asked(
                "Why did no signal fire sooner?",
                "What changed at 2024-05-14 06:00 UTC that monitoring could have seen, and which alert would have fired "
                "on it?",
            ),
        ],
    }


def test_a_late_alert_is_answered_by_the_growth_the_data_dates_back_and_asks_why_nothing_watched_it():
    incident = Incident(
        id="cart-5",
        title="Cart pods restarting",
        events=[
            event("10:00", "deploy", "cart-service 3.4 released"),
            event("11:00", "alert", "Alert: cart-service pod restarts above 5"),
            event("11:10", "chat", "heap climbing steadily since 3.4 until the pods are killed"),
            event("11:20", "deploy", "Rolled back cart-service to 3.3; heap flat again"),
        ],
    )

    detection = branches(run_five_whys("Cart pods restarting", incident))[1]

    assert detection["steps"] == [
        cited(
            "Why was it first detected only 1 h 00 min after it began (2024-05-14 10:00 UTC)?",
            "The data shows a trend its words date back before the first alert: Heap climbing steadily since 3.4 "
            "until the pods are killed (chat, 2024-05-14 11:10 UTC).",
            ("11:10", "chat", "heap climbing steadily since 3.4 until the pods are killed"),
        ),
        asked(
            "Why did nothing alert on that?",
            'What watched "heap climbing steadily since 3.4 until the pods are killed", and why did it not alert '
            "before 2024-05-14 11:00 UTC?",
        ),
    ]
    assert detection["root_cause_question"] == (
        'What would have alerted on the failure sooner than "Alert: cart-service pod restarts above 5", 1 h 00 min '
        "after it began?"
    )


def test_a_prompt_alert_and_a_clean_recovery_give_the_trigger_branch_only():
    assert [b.label for b in run_five_whys("Search returns empty results", mapping_change()).branches] == ["trigger"]


def test_a_failed_rollback_that_says_why_after_a_colon_gives_a_recovery_branch_answered_with_that_reason_alone():
    recovery = branches(run_five_whys("Invoices emailed with wrong totals", customer_report_then_failed_rollback()))[2]

    assert recovery == {
        "label": "recovery",
        "systemic_kind": "unknown",
        "category": "other",
        "root_cause": "",
        "root_cause_question": 'What would have let "Rollback to billing 5.0 failed: the migration could not be reversed" '
        "work the first time?",
        "steps": [
            cited(
                "Why did recovery take as long as it did (2 h 50 min from the start)?",
                "A step did not go as planned: Rollback to billing 5.0 failed: the migration could not be reversed "
                "(deploy, 2024-05-14 10:10 UTC).",
                ("10:10", "deploy", "Rollback to billing 5.0 failed: the migration could not be reversed"),
            ),
            cited(
                "Why did that step not work?",
                "The data says why: The migration could not be reversed (deploy, 2024-05-14 10:10 UTC).",
                ("10:10", "deploy", "Rollback to billing 5.0 failed: the migration could not be reversed"),
            ),
        ],
    }


def test_a_failed_step_that_says_why_it_failed_is_cited_for_that_reason():
    incident = Incident(
        id="db-2",
        title="Sign-in failing",
        events=[
            event("11:00", "alert", "Alert: auth-api 5xx rate above 15%"),
            event("11:40", "chat", "Failover of auth-db to the replica failed due to replication lag of 40 minutes"),
            event("11:55", "chat", "Token signing key re-enabled; sign-in working again"),
        ],
    )

    assert branches(run_five_whys("Sign-in failing", incident))[1]["steps"][1] == cited(
        "Why did that step not work?",
        "The data says why: Replication lag of 40 minutes (chat, 2024-05-14 11:40 UTC).",
        ("11:40", "chat", "Failover of auth-db to the replica failed due to replication lag of 40 minutes"),
    )


def test_a_recovery_step_that_was_held_up_gives_a_recovery_branch():
    incident = Incident(
        id="web-1",
        title="Reports page blank",
        events=[
            event("15:00", "alert", "Alert: reports-web 5xx above 2%"),
            event("15:10", "chat", "Deploy of the fix delayed: terraform state lock held by another pipeline"),
            event("15:30", "deploy", "Fix for reports-web deployed; page rendering works again"),
        ],
    )

    recovery = run_five_whys("Reports page blank", incident).branches[1]

    assert (recovery.label, [e.at for e in recovery.steps[0].evidence]) == ("recovery", [at("15:10")])


def test_a_job_re_run_after_the_impact_stopped_did_not_hold_up_recovery():
    incident = Incident(
        id="orders-9",
        title="Older orders missing from order history",
        events=[
            event("06:00", "deploy", "flag orders.new_store switched on; order history now reads from orders_v3"),
            event("09:30", "chat", "A customer reports that older orders vanished from their history"),
            event(
                "09:50", "deploy", "flag orders.new_store switched off; history reads from the old orders table again"
            ),
            event("11:00", "deploy", "copy job re-run for the orders it skipped"),
        ],
    )

    assert [b.label for b in run_five_whys("Older orders missing from order history", incident).branches] == [
        "trigger",
        "detection",
    ]


def test_a_finding_that_describes_the_failure_is_not_a_held_up_recovery_step():
    incident = Incident(
        id="mail-2",
        title="Password reset emails delayed",
        events=[
            event("07:10", "alert", "Alert: mailer queue age above 30 min"),
            event("07:25", "chat", "Found mailer workers stuck on a DNS lookup for the SMTP relay"),
            event("07:45", "chat", "Restarted the mailer workers; queue draining, back to normal"),
        ],
    )

    assert [b.label for b in run_five_whys("Password reset emails delayed", incident).branches] == ["trigger"]


def test_a_time_after_since_is_not_given_as_why_a_step_failed():
    incident = Incident(
        id="jobs-1",
        title="Worker queue stalled",
        events=[
            event("10:00", "alert", "Alert: jobs queue depth above 10k"),
            event("10:15", "chat", "Restart of the worker pods failed, workers crash-looping since 10:12"),
            event("10:40", "chat", "Scaled the worker pool down to 4 and restarted; queue draining, back to normal"),
        ],
    )

    assert branches(run_five_whys("Worker queue stalled", incident))[1]["steps"][1] == asked(
        "Why did that step not work?",
        'What stopped "Restart of the worker pods failed, workers crash-looping since 10:12"? The data does not say.',
    )


# --- stated facts -----------------------------------------------------------------------------


def outline(chain: WhyChain) -> list[tuple]:
    """Each branch as (label, [(facts, hypothesis) per step], root cause, kind)."""
    return [
        (b.label, [(s.facts, s.hypothesis) for s in b.steps], b.root_cause, b.systemic_kind) for b in chain.branches
    ]


def test_a_stated_missing_alert_answers_why_no_alert_caught_it_and_becomes_the_detection_root():
    no_alert = "No alert watches invoice totals; only support tickets show them"

    chain = run_five_whys("Invoices emailed with wrong totals", customer_report_then_failed_rollback(), [no_alert])

    assert outline(chain) == [
        ("trigger", [([], True), ([], False), ([], True)], "", "unknown"),
        ("detection", [([], False), ([no_alert], False)], no_alert, "alert"),
        ("recovery", [([], False), ([], False)], "", "unknown"),
    ]
    assert chain.to_confirm is True


def test_each_stated_fact_answers_the_open_step_it_speaks_to_and_a_missing_alert_becomes_the_detection_root():
    no_alert = "No alert watches invoice totals; only support tickets show them"
    irreversible = "The migration dropped a column, so it cannot be reversed"

    chain = run_five_whys(
        "Invoices emailed with wrong totals", customer_report_then_failed_rollback(), [no_alert, irreversible]
    )

    assert outline(chain) == [
        ("trigger", [([], True), ([], False), ([], True)], "", "unknown"),
        ("detection", [([], False), ([no_alert], False)], no_alert, "alert"),
        ("recovery", [([], False), ([irreversible], False)], "", "unknown"),
    ]
    assert chain.to_confirm is True


def test_a_fact_stating_a_missing_check_becomes_the_root_cause_and_a_chain_with_every_step_answered_is_settled():
    mechanism = "The title field was renamed, so every query on title matched nothing"
    missing_check = "No staging test runs index mapping changes against real queries"
    aside = "The on-call runbook covered reverting mappings"

    chain = run_five_whys("Search returns empty results", mapping_change(), [mechanism, missing_check, aside])

    trigger = branches(chain)[0]
    assert trigger["steps"][0] == stated('Why did "Search returns empty results" happen?', mechanism)
    assert trigger["steps"][2:] == [
        stated("What else does the team know?", aside),
        stated('Why was "Search returns empty results" not caught earlier?', missing_check),
    ]
    assert (trigger["root_cause"], trigger["root_cause_question"], trigger["systemic_kind"]) == (
        missing_check,
        "",
        "test",
    )
    assert chain.to_confirm is False


def test_a_fact_that_says_how_the_change_broke_things_answers_the_mechanism_step():
    fact = "Mapping v12 renamed the title field, so every query on title matched nothing"

    steps = run_five_whys("Search returns empty results", mapping_change(), [fact]).branches[0].steps

    assert [s.facts for s in steps] == [[fact], [], []]


def test_a_fact_about_the_mechanism_is_not_taken_for_a_missing_safeguard():
    mechanism = "The title field was renamed, so queries matched no documents"
    missing_check = "No staging test runs index mapping changes against real queries"

    trigger = run_five_whys("Search returns empty results", mapping_change(), [mechanism, missing_check]).branches[0]

    assert (trigger.root_cause, trigger.systemic_kind) == (missing_check, "test")


# --- a problem statement without incident data ----------------------------------------------


def test_a_problem_statement_alone_asks_and_establishes_nothing():
    chain = run_five_whys("Checkout returned 500s after a config push")

    assert branches(chain) == [
        {
            "label": "trigger",
            "systemic_kind": "unknown",
            "category": "other",
            "root_cause": "",
            "root_cause_question": "What gap in the system or process let this happen, and who owns it?",
            "steps": [
                asked(
                    "Why did this happen: Checkout returned 500s after a config push?",
                    "What was the first sign of the problem, and what changed just before it?",
                ),
                asked(
                    "What let it reach users?",
                    "Which check, test, alert or review would have stopped it, and why did it not?",
                ),
            ],
        }
    ]
    assert chain.to_confirm is True


def test_stated_facts_without_incident_data_are_the_chain_in_order_and_a_missing_check_among_them_is_the_root():
    facts = ["A config push set the checkout rate limit to zero", "No validation runs on config pushes"]

    chain = run_five_whys("Checkout returned 500s", facts=facts)

    assert branches(chain) == [
        {
            "label": "trigger",
            "systemic_kind": "safeguard",
            "category": "other",
            "root_cause": "No validation runs on config pushes",
            "root_cause_question": "",
            "steps": [
                stated("Why did this happen: Checkout returned 500s?", facts[0]),
                stated("And why did that happen?", facts[1]),
                asked(
                    "What let it reach users?",
                    "Which check, test, alert or review would have stopped it, and why did it not?",
                ),
            ],
        }
    ]


def test_an_empty_problem_without_an_incident_is_refused():
    with pytest.raises(InputError, match="problem statement is empty"):
        run_five_whys("   ")


def test_an_empty_problem_with_an_incident_uses_the_incident_title():
    assert run_five_whys("", mapping_change()).problem == "Search returns empty results"


def test_the_chain_carries_the_services_and_severity_for_action_owners_and_priorities():
    chain = run_five_whys("Orders API returning 503s", missing_variable())

    assert (chain.services, chain.severity) == (["orders-api"], "SEV2")


# --- how events are quoted ----------------------------------------------------------------------


def test_a_person_named_in_an_event_is_quoted_as_a_team_member_and_never_named_in_the_chain():
    incident = Incident(
        id="inv-1",
        title="Inventory counts shown as zero",
        events=[
            event("02:10", "deploy", "Bob rolled out release 4.2 of inventory-service", actor="Bob"),
            event("05:40", "chat", "Customer support: several customers report stock counts showing zero"),
        ],
    )

    chain = run_five_whys("Inventory counts shown as zero", incident)

    assert chain.branches[0].steps[1].model_dump(mode="json") == cited(
        'What set "Inventory counts shown as zero" off?',
        "It started with the change: A team member rolled out release 4.2 of inventory-service "
        "(deploy, 2024-05-14 02:10 UTC).",
        ("02:10", "deploy", "a team member rolled out release 4.2 of inventory-service"),
    )
    assert "Bob" not in chain.model_dump_json()


def test_times_in_the_text_keep_the_offset_the_input_used():
    cet = dt.timezone(dt.timedelta(hours=1))
    incident = Incident(
        id="cet",
        title="Queue backlog",
        started_at=dt.datetime(2024, 1, 5, 9, 0, tzinfo=cet),
        events=[
            TimelineEvent(
                at=dt.datetime(2024, 1, 5, 8, 55, tzinfo=cet), source="deploy", text="Worker release 7 deployed"
            ),
            TimelineEvent(
                at=dt.datetime(2024, 1, 5, 9, 0, tzinfo=cet),
                source="alert",
                text="Queue backlog alert: 4,000 jobs waiting",
            ),
        ],
    )

    steps = run_five_whys("Queue backlog", incident).branches[0].steps

    assert [s.because for s in steps[:2]] == [
        OPEN,
        "The last change before it began: Worker release 7 deployed (deploy, 2024-01-05 08:55 (UTC+01:00)).",
    ]


def quoted(text: str, actor: str) -> str:
    return quote(TimelineEvent(at=at("02:10"), source="deploy", text=text, actor=actor))


def test_a_person_acting_is_quoted_as_a_team_member_but_a_tool_acting_keeps_its_name():
    assert quoted("dana.ortiz rolled out release 4.2", "dana.ortiz") == "a team member rolled out release 4.2"
    assert quoted("Incident triggered in PagerDuty by the 5xx alert", "PagerDuty") == (
        "Incident triggered in PagerDuty by the 5xx alert"
    )
    assert quoted("deploy-bot rolled out config v412", "deploy-bot") == "deploy-bot rolled out config v412"


def test_an_actor_name_inside_another_word_is_left_alone():
    assert quoted("Ana restarted the banana-cache pods", "Ana") == "a team member restarted the banana-cache pods"


# --- which change set it off --------------------------------------------------------------------


def test_with_a_start_time_the_trigger_is_the_last_change_before_it():
    incident = Incident(
        id="two-changes",
        title="Cart totals wrong",
        started_at=at("12:00"),
        events=[
            event("11:00", "deploy", "cart-web 3.1 deployed"),
            event("11:50", "deploy", "Price rounding flag enabled for cart-api"),
            event("12:05", "alert", "Alert: cart total mismatch ratio above 1%"),
        ],
    )

    step = run_five_whys("Cart totals wrong", incident).branches[0].steps[1]

    assert (step.because, [e.at for e in step.evidence]) == (
        "The last change before it began: Price rounding flag enabled for cart-api (deploy, 2024-05-14 11:50 UTC).",
        [at("11:50")],
    )


def test_without_key_times_the_trigger_is_the_change_just_before_the_first_report_not_an_earlier_rollback():
    incident = Incident(
        id="no-times",
        title="Search broken",
        events=[
            event("00:50", "deploy", "Rolled back the ranking experiment"),
            event("00:55", "deploy", "Search index schema change applied"),
            event("01:00", "chat", "User says search is broken"),
            event("01:05", "deploy", "Reverted the schema change"),
        ],
    )

    step = run_five_whys("Search broken", incident).branches[0].steps[1]

    assert [e.at for e in step.evidence] == [at("00:55")]


# --- every step rests on the data or asks --------------------------------------------------------

INCIDENTS = (
    lock_contention,
    mapping_change,
    missing_variable,
    customer_report_then_failed_rollback,
    expired_certificate,
    queue_backlog_with_a_stated_gap,
)


@pytest.mark.parametrize("make", INCIDENTS)
def test_every_step_either_quotes_an_input_event_at_its_minute_or_asks_a_question(make):
    incident = make()
    index = EventIndex(incident)

    chain = run_five_whys(incident.title, incident)

    for step in (s for b in chain.branches for s in b.steps):
        if step.hypothesis:
            assert (step.because, step.evidence, "?" in step.question) == (OPEN, [], True)
        else:
            assert step.evidence and all(index.has(e) for e in step.evidence) and index.cites(step.because), step
    for branch in chain.branches:
        assert bool(branch.root_cause) != bool(branch.root_cause_question)
        assert not branch.root_cause or index.cites(branch.root_cause)


# --- reviewing a user's chain ---------------------------------------------------------------


def test_a_good_chain_passes_the_review():
    review = review_chain(
        [
            "Checkout returned 500s",
            "A config push set the rate limit to zero",
            "No validation or canary stage checks config pushes, so nothing stopped it",
        ]
    )

    assert review.model_dump() == {"ok": True, "findings": [], "next_questions": []}


def test_a_chain_that_stops_at_a_config_error_asks_what_let_it_through():
    review = review_chain(["Checkout returned 500s", "The rate limit was zero", "config error"])

    assert review.model_dump() == {
        "ok": False,
        "findings": ["Step 3 stops at a configuration error; ask what let an unvalidated configuration through."],
        "next_questions": [
            "What allowed an unvalidated config to reach production?",
            "Why did no test or check catch it before deploy?",
        ],
    }


def test_a_named_person_is_flagged_wherever_it_appears():
    review = review_chain(["Checkout returned 500s", "because Bob pushed the new rules", "No canary stage exists"])

    assert review.ok is False
    assert review.findings == [
        'Step 2 names a person as the cause ("Bob"); ask what in the system made the action possible, not who did it.'
    ]


@pytest.mark.parametrize(
    ("last_step", "finding"),
    [
        ("human error", "Step 3 stops at 'human error', which explains nothing an organisation can change."),
        ("there was a bug", "Step 3 stops at 'a bug'; every system has bugs, so ask why this one reached users."),
        (
            "a mistake during the deploy",
            "Step 3 stops at a mistake; mistakes are normal, so ask what let this one cause an incident.",
        ),
        (
            "the runbook was not followed",
            "Step 3 stops at 'didn't follow the process'; ask why the process could be skipped.",
        ),
        (
            "the disk filled up",
            "Step 3 stops at an event, not at something the organisation can change "
            "(a missing check, test, alert, limit or process).",
        ),
    ],
)
def test_a_chain_that_stops_short_of_the_system_is_flagged(last_step, finding):
    review = review_chain(["Checkout returned 500s", "The rate limit was zero", last_step])

    assert review.ok is False
    assert review.findings == [finding]
    assert review.next_questions


def test_a_bug_midway_is_fine_when_the_chain_goes_on_to_a_missing_test():
    review = review_chain(
        ["Checkout returned 500s", "A bug in the parser dropped the header", "No test covers headers"]
    )

    assert review.ok is True


def test_a_chain_shorter_than_three_steps_is_flagged():
    review = review_chain(["Checkout returned 500s", "No canary stage exists"])

    assert review.findings == [
        "The chain has 2 steps; keep asking why until it reaches a cause the organisation can fix "
        "(usually three or more steps)."
    ]


def test_an_empty_chain_is_refused():
    with pytest.raises(InputError):
        review_chain(["", "  "])


# --- the real public incidents (read where they lie, skipped when absent) ---------------------


@pytest.mark.shared_data
@pytest.mark.parametrize("name", fulltext_case_params())
def test_real_chains_quote_input_events_or_ask_and_name_a_root_cause_only_where_the_data_states_one(shared_data, name):
    incident = load_real_incident(name)
    index = EventIndex(incident)

    chain = run_five_whys(incident.title, incident)

    for step in (s for b in chain.branches for s in b.steps):
        assert step.question if step.hypothesis else all(index.has(e) for e in step.evidence) and step.evidence, step
    for branch in chain.branches:
        assert branch.root_cause_question if not branch.root_cause else index.cites(branch.root_cause), branch
    open_steps = any(s.hypothesis for b in chain.branches for s in b.steps)
    assert chain.to_confirm == (open_steps or any(not b.root_cause for b in chain.branches))


@pytest.mark.shared_data
def test_real_chains_ask_why_a_person_noticed_first_exactly_where_people_reported_first(shared_data):
    noticed_first = {
        name
        for name in fulltext_cases()
        if any(
            b.label == "detection" and b.steps[0].why == "Why did a person notice it before monitoring did?"
            for b in run_five_whys("", load_real_incident(name)).branches
        )
    }

    assert noticed_first == {
        "dfds-pm2021-007",
        "dfds-pm2021-010",
        "dfds-pm2025-001",
        "dfds-pm2025-002",
        "posthog-2025-10-03-surveys-sdk-bug",
    }


def test_with_no_change_or_cause_the_whys_ask_and_quote_what_the_failure_began_after_never_as_its_cause():
    incident = Incident(
        id="exp-1",
        title="Report exports timing out",
        events=[
            TimelineEvent(at=at("01:00"), source="note", text="Quarterly archive import kicked off by finance"),
            TimelineEvent(at=at("01:40"), source="alert", text="Alert: report exports timing out"),
            TimelineEvent(at=at("02:30"), source="chat", text="exports back to normal"),
        ],
    )

    step = run_five_whys("Report exports timing out", incident).branches[0].steps[1]

    assert (step.because, step.question) == (
        OPEN,
        'What changed just before "Report exports timing out" (a deploy, a configuration, load, a dependency)? The '
        "data names no change or cause. The failure began after: Quarterly archive import kicked off by finance "
        "(note, 2024-05-14 01:00 UTC); the data does not say that this caused it.",
    )


def test_a_cause_whose_words_date_its_start_answers_what_led_to_it_and_the_fix_naming_its_component_says_how():
    incident = Incident(
        id="exp-1",
        title="Invoice exports written empty",
        services=["export-agent"],
        events=[
            event("09:00", "alert", "Alert: invoice export files under 1 KB"),
            event(
                "09:20",
                "note",
                "export-agent logs show permission errors since 2024-05-09, when the bucket access key was rotated; "
                "the agent still reports success",
            ),
            event("09:40", "note", "export-agent access key replaced"),
            event("09:50", "metric", "Export files back to normal size"),
        ],
    )
    cause = (
        "09:20",
        "note",
        "export-agent logs show permission errors since 2024-05-09, when the bucket access key was rotated; the agent "
        "still reports success",
    )
    subject = '"export-agent logs show permission errors"'

    assert branches(run_five_whys("Invoice exports written empty", incident))[0]["steps"][1:3] == [
        cited(
            f"Why did {subject} happen?",
            "The data dates its start to: the bucket access key was rotated (note, 2024-05-14 09:20 UTC).",
            cause,
        ),
        cited(
            f'How did "the bucket access key was rotated" lead to {subject}?',
            "The step that ended the impact shows what was broken: export-agent access key replaced "
            "(note, 2024-05-14 09:40 UTC).",
            ("09:40", "note", "export-agent access key replaced"),
        ),
    ]


def test_a_cause_that_names_the_change_since_which_it_holds_is_dated_to_that_change():
    incident = Incident(
        id="disc-1",
        title="Orders discounted twice",
        services=["pricing"],
        events=[
            event("11:00", "chat", "Finance reports orders with both discounts applied"),
            event("11:30", "chat", "found it: the discount rule skips the stacking check since release 7.3"),
            event("11:45", "deploy", "Rolled back pricing to release 7.2"),
        ],
    )
    subject = '"the discount rule skips the stacking check"'

    assert branches(run_five_whys("Orders discounted twice", incident))[0]["steps"][1:3] == [
        cited(
            f"Why did {subject} happen?",
            "The data dates its start to: release 7.3 (chat, 2024-05-14 11:30 UTC).",
            ("11:30", "chat", "found it: the discount rule skips the stacking check since release 7.3"),
        ),
        asked(
            f'How did "release 7.3" lead to {subject}?',
            f'What about "release 7.3" led to {subject}, and what would have caught it? The data gives the time, not '
            "how.",
        ),
    ]


# --- the head, not an answer: the first signal, and a Why 1 that names a mechanism ------------------


def test_a_first_sign_that_states_its_own_cause_heads_the_chain_and_why_1_quotes_only_its_reason():
    incident = Incident(
        id="inv-9",
        title="Nightly invoices not generated",
        events=[
            event("01:00", "note", "Invoice batch failed, due to the scheduler host running out of disk on /var/log"),
            event("01:30", "chat", "Cleared /var/log on the scheduler host and re-ran the batch"),
            event("02:10", "metric", "All invoices generated; recovered"),
        ],
    )
    first_sign = (
        "01:00",
        "note",
        "Invoice batch failed, due to the scheduler host running out of disk on /var/log",
    )

    chain = run_five_whys("Nightly invoices not generated", incident)

    assert (chain.first_signal.at, chain.first_signal.excerpt) == (at("01:00"), first_sign[2])
    assert branches(chain)[0]["steps"][:2] == [
        cited(
            'Why did "Nightly invoices not generated" happen?',
            "The data states a cause in the same event: The scheduler host running out of disk on /var/log "
            "(note, 2024-05-14 01:00 UTC).",
            first_sign,
        ),
        asked(
            'Why did "the scheduler host running out of disk on /var/log" happen?',
            'What led to "the scheduler host running out of disk on /var/log"? The data does not say.',
        ),
    ]


def test_an_alert_that_says_why_it_fired_is_the_head_and_why_1_is_the_reason_it_gives_not_the_alert():
    incident = Incident(
        id="asg-3",
        title="Web tier could not scale out",
        events=[
            event(
                "12:00",
                "alert",
                "web-asg could not launch instances because the subnet has no free IP addresses left",
            ),
            event("12:40", "deploy", "Added a second subnet to web-asg; instances launching"),
        ],
    )

    chain = run_five_whys("Web tier could not scale out", incident)

    assert chain.first_signal.source == "alert"
    assert (chain.branches[0].steps[0].because, chain.branches[0].steps[0].evidence[0].at) == (
        "The data states a cause in the same event: The subnet has no free IP addresses left "
        "(alert, 2024-05-14 12:00 UTC).",
        at("12:00"),
    )


def pushes_failing_since_a_key_rotation() -> Incident:
    """No cause statement: a responder writes that a part has been failing since an earlier day, and why nobody saw."""
    return Incident(
        id="push-4",
        title="Mobile push notifications not delivered",
        services=["push-relay"],
        events=[
            event("09:00", "alert", "Alert: push delivery rate below 50%"),
            event(
                "09:20",
                "chat",
                "push-relay logs: sends failing since 2024-05-02 with 403 errors after the APNs signing key was "
                "rotated; no alert on send failures",
            ),
            event("09:45", "deploy", "Loaded the new APNs signing key into push-relay; deliveries back to normal"),
        ],
    )


def test_with_no_stated_cause_a_failure_the_data_dates_back_is_why_1_and_its_date_and_fix_are_the_next_steps():
    failing = (
        "09:20",
        "chat",
        "push-relay logs: sends failing since 2024-05-02 with 403 errors after the APNs signing key was rotated; "
        "no alert on send failures",
    )
    subject = '"sends failing since 2024-05-02 with 403 errors"'

    steps = branches(run_five_whys("Mobile push notifications not delivered", pushes_failing_since_a_key_rotation()))

    assert steps[0]["steps"] == [
        cited(
            'Why did "Mobile push notifications not delivered" happen?',
            "The data states a failure that began earlier: push-relay logs: sends failing since 2024-05-02 with 403 "
            "errors after the APNs signing key was rotated; no alert on send failures (chat, 2024-05-14 09:20 UTC).",
            failing,
        ),
        cited(
            f"Why did {subject} happen?",
            "The data dates its start to: the APNs signing key was rotated (chat, 2024-05-14 09:20 UTC).",
            failing,
        ),
        asked(
            f'How did "the APNs signing key was rotated" lead to {subject}?',
            f'What about "the APNs signing key was rotated" led to {subject}, and what would have caught it? The data '
            "gives the time, not how.",
        ),
        cited(
            'Why was "Mobile push notifications not delivered" not caught earlier?',
            "The data records a missing safeguard in the same event: No alert on send failures "
            "(chat, 2024-05-14 09:20 UTC).",
            failing,
        ),
    ]


def test_a_failure_its_words_date_before_the_record_gives_a_detection_branch_from_that_event_to_its_gap():
    failing = (
        "09:20",
        "chat",
        "push-relay logs: sends failing since 2024-05-02 with 403 errors after the APNs signing key was rotated; "
        "no alert on send failures",
    )

    detection = branches(
        run_five_whys("Mobile push notifications not delivered", pushes_failing_since_a_key_rotation())
    )[1]

    assert (detection["label"], detection["steps"], detection["systemic_kind"]) == (
        "detection",
        [
            cited(
                "Why was it found only at 2024-05-14 09:00 UTC?",
                "The data dates the failure back before its timeline: push-relay logs: sends failing since 2024-05-02 "
                "with 403 errors after the APNs signing key was rotated; no alert on send failures "
                "(chat, 2024-05-14 09:20 UTC).",
                failing,
            ),
            cited(
                "Why did nothing alert on it sooner?",
                "The data records a missing safeguard in the same event: No alert on send failures "
                "(chat, 2024-05-14 09:20 UTC).",
                failing,
            ),
        ],
        "alert",
    )


def test_a_late_alert_is_answered_by_what_the_data_shows_before_it_and_asks_why_nothing_alerted_on_that():
    incident = Incident(
        id="rep-7",
        title="Report exports delayed",
        events=[
            event("06:00", "deploy", "report-worker 3.1 rolled out"),
            event("06:30", "metric", "report-worker queue depth at 1,200 and growing, up from 50"),
            event("07:45", "alert", "Alert: report exports older than 1 hour"),
            event("08:10", "deploy", "Rolled back report-worker to 3.0; queue draining, back to normal"),
        ],
    )

    detection = branches(run_five_whys("Report exports delayed", incident))[1]

    assert detection["steps"] == [
        cited(
            "Why was it first detected only 1 h 45 min after it began (2024-05-14 06:00 UTC)?",
            "The data shows the failure before the first alert: report-worker queue depth at 1,200 and growing, up "
            "from 50 (metric, 2024-05-14 06:30 UTC).",
            ("06:30", "metric", "report-worker queue depth at 1,200 and growing, up from 50"),
        ),
        asked(
            "Why did nothing alert on that?",
            'What watched "report-worker queue depth at 1,200 and growing, up from 50", and why did it not alert before '
            "2024-05-14 07:45 UTC?",
        ),
    ]


def test_the_safeguard_step_quotes_only_the_gap_clause_of_an_event_a_step_above_quoted_whole():
    incident = Incident(
        id="imp-2",
        title="Catalogue import dropped products",
        events=[
            event("04:00", "alert", "Alert: catalogue product count down 12%"),
            event("04:30", "chat", "Found: the importer drops rows with an empty SKU; no test covers empty SKUs"),
        ],
    )

    steps = branches(run_five_whys("Catalogue import dropped products", incident))[0]["steps"]

    assert steps[-1] == cited(
        'Why was "Catalogue import dropped products" not caught earlier?',
        "The data records a missing safeguard in the same event: No test covers empty SKUs (chat, 2024-05-14 04:30 UTC).",
        ("04:30", "chat", "Found: the importer drops rows with an empty SKU; no test covers empty SKUs"),
    )


def test_a_condition_the_cause_dates_to_an_earlier_moment_follows_the_change_that_met_it_and_is_not_asked_again():
    cause = (
        "10:10",
        "chat",
        "found it: config 88 sends /reports to reports-b; reports-b has been empty since the 09:00 node recycle",
    )
    incident = Incident(
        id="lb-6",
        title="Reports page returning 503",
        events=[
            event("10:00", "deploy", "lb config 88 pushed: /reports now routed to reports-b"),
            event("10:01", "metric", "reports 503 rate at 40%"),
            event("10:10", *cause[1:]),
            event("10:20", "deploy", "lb config 87 pushed back; 503s stopped"),
        ],
    )

    steps = branches(run_five_whys("Reports page returning 503", incident))[0]["steps"]

    assert [(s["why"], s["because"], s["question"]) for s in steps[1:]] == [
        (
            'What set "found it: config 88 sends /reports to reports-b; reports-b has…" off?',
            "It started with the change: lb config 88 pushed: /reports now routed to reports-b "
            "(deploy, 2024-05-14 10:00 UTC).",
            "",
        ),
        (
            'Why did "reports-b has been empty" happen?',
            "The data dates its start to: 09:00 node recycle (chat, 2024-05-14 10:10 UTC).",
            "",
        ),
        (
            'Why was "Reports page returning 503" not caught earlier?',
            OPEN,
            'Which check, test or review did "lb config 88 pushed: /reports now routed to reports-b" pass before it took '
            "effect, and why did none of them catch it?",
        ),
    ]


# --- how the chain reads ---------------------------------------------------------------------------


def test_the_text_chain_names_the_first_signal_reads_each_because_on_in_lower_case_and_prints_what_to_ask():
    text = why_chain_text(run_five_whys("Checkout requests timing out", lock_contention()))

    assert text.splitlines()[:10] == [
        "Problem: Checkout requests timing out",
        "First signal: 2024-05-14 09:00 UTC alert: Checkout p99 latency above 3s",
        "",
        "[trigger]",
        '  Why 1: Why did "Checkout requests timing out" happen?',
        "    Because the data states a cause: Checkout requests timing out due to lock contention on the carts table "
        "(chat, 2024-05-14 09:12 UTC).",
        "      evidence: 2024-05-14 09:12 UTC chat: Checkout requests timing out due to lock contention on the carts "
        "table",
        '  Why 2: Why did "Checkout requests timing out due to lock contention on the…" happen?',
        '    Not established by the data. Ask: What led to "lock contention on the carts table"? The data does not say.',
        '  Why 3: Why was "Checkout requests timing out" not caught earlier?',
    ]
    assert text.splitlines()[11].startswith("  Systemic cause: not established by the data. Ask: What in how this")


@pytest.mark.parametrize(
    ("because", "read_on"),
    [
        ("The data states a cause: X.", "the data states a cause: X."),
        ("A step did not go as planned: X.", "a step did not go as planned: X."),
        ("It started with the change: X.", "it started with the change: X."),
        ("PayFast timed out on every call", "PayFast timed out on every call"),
        ("SDK 1.2 dropped the field", "SDK 1.2 dropped the field"),
        ("Pods ran out of memory", "Pods ran out of memory"),
    ],
)
def test_a_because_reads_on_after_the_word_because_with_only_an_opening_article_or_pronoun_lowered(because, read_on):
    assert because_clause(because) == read_on


def test_a_cause_dated_to_the_change_already_cited_is_not_dated_again_and_the_trend_is_quoted_by_its_clause():
    incident = Incident(
        id="basket-9",
        title="Basket service restarting",
        events=[
            event("09:00", "deploy", "basket-svc 7.1.0 rolled out"),
            event("09:40", "alert", "Alert: basket-svc pod restarts above 3"),
            event(
                "09:55",
                "chat",
                "pods OOMKilled every half hour; heap grows steadily since 7.1.0; checkout shows an empty basket",
            ),
            event("10:05", "deploy", "Rolled back basket-svc to 7.0.4"),
        ],
    )

    trigger, detection = branches(run_five_whys("Basket service restarting", incident))[:2]

    assert [(step["why"], step["because"].split(":")[0]) for step in trigger["steps"]] == [
        ('Why did "Basket service restarting" happen?', "The data states a cause"),
        (
            'What set "pods OOMKilled every half hour; heap grows steadily since 7.1.0;…" off?',
            "It started with the change",
        ),
        ('Why was "Basket service restarting" not caught earlier?', "Not established by the data."),
    ]
    assert detection["steps"][0]["because"] == (
        "The data shows a trend its words date back before the first alert: … heap grows steadily since 7.1.0 … "
        "(chat, 2024-05-14 09:55 UTC)."
    )
