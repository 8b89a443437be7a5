"""5 Whys: evidence-backed chains that end at a systemic cause, and the review of users' chains."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from conftest import SHARED_DATA, fulltext_cases

from pm_agent.engines.five_whys import review_chain, run_five_whys
from pm_agent.errors import InputError
from pm_agent.models import Incident, TimelineEvent, WhyChain

NUMBER = re.compile(r"\d+(?:[-:.,/]\d+)*")


def at(hhmm: str, day: str = "2024-05-14") -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{hhmm}:00+00:00")


def event(hhmm: str, source: str, text: str, day: str = "2024-05-14", **extra) -> TimelineEvent:
    return TimelineEvent(at=at(hhmm, day), source=source, text=text, **extra)


def config_push_outage() -> Incident:
    return Incident(
        id="cfg-1", title="Checkout API returning 500 errors after a config push", severity="SEV2",
        services=["checkout-api", "edge-config"], started_at=at("09:58"), detected_at=at("10:02"), resolved_at=at("10:20"),
        events=[
            event("09:58", "deploy", "Config push to edge-config: rate-limit rule for checkout-api set to zero"),
            event("10:02", "alert", "Alert: checkout-api 5xx error rate above threshold"),
            event("10:05", "page", "On-call engineer paged for checkout-api errors"),
            event("10:12", "chat", "Rate-limit rule identified as the cause of the 5xx errors"),
            event("10:15", "deploy", "Reverted the config push to the previous version"),
            event("10:20", "metric", "checkout-api error rate back to baseline"),
        ],
    )


def traffic_spike() -> Incident:
    return Incident(
        id="cap-1", title="Search API latency and timeouts during a traffic spike", services=["search-api"],
        started_at=at("18:00"), detected_at=at("18:04"), resolved_at=at("18:50"),
        events=[
            event("17:55", "note", "Marketing campaign email sent to all subscribers"),
            event("18:00", "metric", "Requests per second on search-api rose from 2000 to 9000"),
            event("18:04", "alert", "Alert: search-api p99 latency above 2s, CPU at 98% on all pods"),
            event("18:06", "page", "On-call paged for search-api latency"),
            event("18:15", "note", "Autoscaling reached max replicas of 20; new pods pending"),
            event("18:30", "deploy", "Raised max replicas to 60 and added nodes"),
            event("18:50", "metric", "search-api latency back to normal"),
        ],
    )


def certificate_expiry() -> Incident:
    day = "2024-06-01"
    return Incident(
        id="tls-1", title="Payments gateway TLS handshake failures after certificate expiry", services=["payments-gateway"],
        started_at=at("00:00", day), detected_at=at("00:07", day), resolved_at=at("00:40", day),
        events=[
            event("00:00", "metric", "TLS certificate for payments-gateway expired", day),
            event("00:07", "alert", "Synthetic check: HTTPS handshake failures on payments-gateway", day),
            event("00:20", "chat", "Certificate expiry confirmed as the cause; renewal was a manual yearly task", day),
            event("00:35", "deploy", "New certificate issued and deployed to payments-gateway", day),
            event("00:40", "metric", "Handshake errors back to zero", day),
        ],
    )


def slow_detection() -> Incident:
    return Incident(
        id="inv-1", title="Inventory counts shown as zero to customers", services=["inventory-service"],
        started_at=at("02:10"), detected_at=at("05:40"), resolved_at=at("06:45"),
        events=[
            event("02:10", "deploy", "Bob rolled out release 4.2 of inventory-service", actor="Bob"),
            event("05:40", "chat", "Customer support: several customers report stock counts showing zero"),
            event("05:55", "page", "On-call paged by the support escalation"),
            event("06:05", "alert", "Alert: inventory stock-count job failing"),
            event("06:20", "chat", "Stock count job failing since release 4.2 identified as the cause; rollback started"),
            event("06:25", "deploy", "Rollback attempt failed: the 4.2 migration could not be reversed"),
            event("06:40", "deploy", "Second rollback attempt with a manual migration fix succeeded"),
            event("06:45", "metric", "Stock counts correct again"),
        ],
    )


def outline(chain: WhyChain) -> list[tuple]:
    """Each branch as (label, category, kind, [(evidence times, hypothesis) per step])."""
    return [
        (b.label, b.category, b.systemic_kind, [([e.at.strftime("%H:%M") for e in s.evidence], s.hypothesis) for s in b.steps])
        for b in chain.branches
    ]


def chain_texts(chain: WhyChain) -> list[str]:
    return [chain.problem] + [
        text for b in chain.branches for text in [b.label, b.root_cause] + [t for s in b.steps for t in (s.why, s.because)]
    ]


# --- fixture incidents ----------------------------------------------------------------------

def test_a_config_push_outage_gives_one_branch_from_symptom_to_a_missing_config_safeguard():
    chain = run_five_whys("Checkout API returning 500 errors after a config push", config_push_outage())

    assert chain.model_dump(mode="json", include={"problem", "services", "severity", "to_confirm", "branches"}) == {
        "problem": "Checkout API returning 500 errors after a config push",
        "services": ["checkout-api", "edge-config"],
        "severity": "SEV2",
        "to_confirm": True,
        "branches": [{
            "label": "trigger",
            "category": "config",
            "systemic_kind": "safeguard",
            "root_cause": "Configuration changes reach production without automated validation and a canary stage.",
            "steps": [
                {
                    "why": "Why did this happen: Checkout API returning 500 errors after a config push?",
                    "because": 'The failure showed at 2024-05-14 10:02 UTC: "Alert: checkout-api 5xx error rate above threshold".',
                    "evidence": [{"at": "2024-05-14T10:02:00Z", "source": "alert",
                                  "excerpt": "Alert: checkout-api 5xx error rate above threshold"}],
                    "facts": [], "hypothesis": False,
                },
                {
                    "why": "What set the failure off?",
                    "because": 'It followed a change at 2024-05-14 09:58 UTC: '
                               '"Config push to edge-config: rate-limit rule for checkout-api set to zero".',
                    "evidence": [{"at": "2024-05-14T09:58:00Z", "source": "deploy",
                                  "excerpt": "Config push to edge-config: rate-limit rule for checkout-api set to zero"}],
                    "facts": [], "hypothesis": False,
                },
                {
                    "why": "Why did the configuration change reach production without being caught?",
                    "because": "No automated validation or canary stage checked the configuration against production "
                               "before it was applied. To confirm: Which validation or canary step, if any, did this "
                               "configuration change pass through?",
                    "evidence": [], "facts": [], "hypothesis": True,
                },
                {
                    "why": "Why was no such safeguard in place?",
                    "because": "Configuration changes are not required to pass automated validation and a staged rollout "
                               "before reaching production. To confirm: Is validation of configuration changes enforced "
                               "by the tooling, or optional?",
                    "evidence": [], "facts": [], "hypothesis": True,
                },
            ],
        }],
    }


def test_a_traffic_spike_rests_on_the_load_event_and_ends_at_a_capacity_plan_gap():
    chain = run_five_whys("Search API latency and timeouts during a traffic spike", traffic_spike())

    assert outline(chain) == [
        ("trigger", "capacity", "capacity", [(["18:04"], False), (["18:00"], False), (["18:15"], True), ([], True)]),
    ]
    assert chain.branches[0].steps[1].because == (
        'It followed a rise in load at 2024-05-14 18:00 UTC: "Requests per second on search-api rose from 2000 to 9000".'
    )
    assert chain.branches[0].root_cause == "No capacity plan with headroom alerts and scaling limits covers the exhausted resource."


def test_a_certificate_expiry_cites_the_finding_and_ends_at_missing_automatic_renewal():
    chain = run_five_whys("Payments failing", certificate_expiry())

    assert outline(chain) == [
        ("trigger", "time", "safeguard", [(["00:00"], False), (["00:20"], False), (["00:20"], True), ([], True)]),
    ]
    assert chain.branches[0].root_cause == (
        "Time-limited items (certificates, keys, dates) have no automatic renewal and no expiry alert."
    )


def test_slow_detection_by_customers_adds_detection_and_recovery_branches():
    chain = run_five_whys("Inventory counts shown as zero to customers", slow_detection())

    assert outline(chain) == [
        ("trigger", "deploy", "safeguard", [(["05:40"], False), (["02:10"], False), ([], True), ([], True)]),
        ("detection", "observability", "alert", [(["05:40", "02:10"], False), (["06:05"], False), ([], True)]),
        ("recovery", "human-process", "process", [(["06:25"], False), (["06:25"], False), ([], True)]),
    ]
    detection = chain.branches[1]
    assert detection.steps[1].because == (
        'The first automated alert came only after the report, at 2024-05-14 06:05 UTC: "Alert: inventory stock-count job failing".'
    )
    assert detection.root_cause == (
        "No alert watches the user-facing symptom of this failure mode, so the failure was not detected by monitoring first."
    )


def test_a_person_named_in_an_event_is_cited_as_evidence_but_never_named_in_the_reasoning():
    chain = run_five_whys("Inventory counts shown as zero to customers", slow_detection())

    trigger_step = chain.branches[0].steps[1]
    assert trigger_step.evidence[0].excerpt == "Bob rolled out release 4.2 of inventory-service"
    assert trigger_step.because == 'It followed a change at 2024-05-14 02:10 UTC: "a team member rolled out release 4.2 of inventory-service".'
    assert not [text for text in chain_texts(chain) if "Bob" in text]


def test_times_in_the_text_keep_the_offset_the_input_used():
    cet = dt.timezone(dt.timedelta(hours=1))
    incident = Incident(
        id="cet", title="Queue backlog", started_at=dt.datetime(2024, 1, 5, 9, 0, tzinfo=cet),
        events=[
            TimelineEvent(at=dt.datetime(2024, 1, 5, 8, 55, tzinfo=cet), source="deploy", text="Worker release 7 deployed"),
            TimelineEvent(at=dt.datetime(2024, 1, 5, 9, 0, tzinfo=cet), source="alert", text="Queue backlog alert firing"),
        ],
    )

    steps = run_five_whys("Queue backlog", incident).branches[0].steps

    assert steps[0].because == 'The failure showed at 2024-01-05 09:00 (UTC+01:00): "Queue backlog alert firing".'
    assert steps[1].because == 'It followed a change at 2024-01-05 08:55 (UTC+01:00): "Worker release 7 deployed".'


def test_without_key_times_the_trigger_is_the_earliest_change_before_the_first_report_and_never_a_rollback():
    incident = Incident(
        id="no-times", title="Search broken",
        events=[
            event("00:50", "deploy", "Rolled back the ranking experiment"),
            event("00:55", "deploy", "Search index schema change applied"),
            event("01:00", "chat", "User says search is broken"),
            event("01:05", "deploy", "Reverted the schema change"),
        ],
    )

    chain = run_five_whys("Search broken", incident)

    assert outline(chain)[0][3][:2] == [(["01:00"], False), (["00:55"], False)]


# --- problem statement only, and stated facts ------------------------------------------------

def test_a_problem_statement_alone_gives_hypotheses_with_questions_to_confirm():
    chain = run_five_whys("Checkout returned 500s after a config push")

    assert [(s.why, s.hypothesis, s.evidence) for s in chain.branches[0].steps] == [
        ("Why did this happen: Checkout returned 500s after a config push?", True, []),
        ("Why did the configuration change reach production without being caught?", True, []),
        ("Why was no such safeguard in place?", True, []),
    ]
    assert chain.branches[0].steps[0].because == (
        "A configuration change probably set off the failure. To confirm: Which configuration change, applied when "
        "and through which path, preceded the failure?"
    )
    assert chain.to_confirm is True
    assert chain.branches[0].category == "config"


def test_a_stated_fact_answers_its_step_and_is_recorded_as_what_the_step_rests_on():
    fact = "The config push skipped the canary stage"

    chain = run_five_whys("Checkout returned 500s after a config push", facts=[fact])

    guard = chain.branches[0].steps[1]
    assert (guard.because, guard.facts, guard.hypothesis) == (fact, [fact], False)
    assert chain.to_confirm is True


def test_a_chain_with_every_step_backed_is_no_longer_to_confirm():
    facts = [
        "A config push set the checkout rate limit to zero",
        "The config push skipped the canary stage",
        "Canary stages are optional for config pushes",
    ]

    chain = run_five_whys("Checkout returned 500s", facts=facts)

    assert [s.facts for s in chain.branches[0].steps] == [[facts[0]], [facts[1]], [facts[2]]]
    assert chain.to_confirm is False


def test_an_empty_problem_without_an_incident_is_refused():
    with pytest.raises(InputError, match="problem statement is empty"):
        run_five_whys("   ")


def test_an_empty_problem_with_an_incident_uses_the_incident_title():
    assert run_five_whys("", traffic_spike()).problem == "Search API latency and timeouts during a traffic spike"


# --- reviewing a user's chain --------------------------------------------------------------

def test_a_good_chain_passes_the_review():
    review = review_chain([
        "Checkout returned 500s",
        "A config push set the rate limit to zero",
        "No validation or canary stage checks config pushes, so nothing stopped it",
    ])

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
        ("a mistake during the deploy", "Step 3 stops at a mistake; mistakes are normal, so ask what let this one cause an incident."),
        ("the runbook was not followed", "Step 3 stops at 'didn't follow the process'; ask why the process could be skipped."),
        ("the disk filled up", "Step 3 stops at an event, not at something the organisation can change "
                               "(a missing check, test, alert, limit or process)."),
    ],
)
def test_a_chain_that_stops_short_of_the_system_is_flagged(last_step, finding):
    review = review_chain(["Checkout returned 500s", "The rate limit was zero", last_step])

    assert review.ok is False
    assert review.findings == [finding]
    assert review.next_questions


def test_a_bug_midway_is_fine_when_the_chain_goes_on_to_a_missing_test():
    review = review_chain(["Checkout returned 500s", "A bug in the parser dropped the header", "No test covers headers"])

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


# --- the real public incidents ---------------------------------------------------------------

def load_real(name: str) -> tuple[Incident, str]:
    raw = (SHARED_DATA / "fulltext" / f"{name}.input.json").read_text()
    data = json.loads(raw)
    incident = Incident(
        id=name, title=data["title"], severity=data["severity"], services=data["services"],
        started_at=data["started_at"], detected_at=data["detected_at"], resolved_at=data["resolved_at"],
        events=[TimelineEvent(at=e["at"], source=e["source"], text=e["text"]) for e in data["events"] if e["at"]],
        notes=data["notes"],
    )
    return incident, raw


@pytest.mark.shared_data
@pytest.mark.parametrize("name", fulltext_cases())
def test_real_chains_rest_on_input_events_and_end_at_systemic_causes(shared_data, name):
    incident, raw = load_real(name)

    chain = run_five_whys(incident.title, incident)

    assert all(len(branch.steps) >= 3 for branch in chain.branches)
    for step in (s for b in chain.branches for s in b.steps):
        assert step.hypothesis or step.evidence or step.facts
        for cited in step.evidence:
            assert any(e.at == cited.at and cited.excerpt in e.text for e in incident.events), cited
    for branch in chain.branches:
        assert branch.systemic_kind != "unknown"
        assert not re.search(r"human error|mistake|careless|\bblame", branch.root_cause, re.IGNORECASE)
    assert [n for text in chain_texts(chain) for n in NUMBER.findall(text) if n not in raw] == []
    assert chain.to_confirm == any(s.hypothesis for b in chain.branches for s in b.steps)


@pytest.mark.shared_data
def test_real_chains_add_a_detection_branch_where_people_reported_first(shared_data):
    labels = {name: [b.label for b in run_five_whys("", load_real(name)[0]).branches] for name in fulltext_cases()}

    reported_first = {"dfds-pm2021-007", "dfds-pm2021-010", "dfds-pm2025-001", "dfds-pm2025-002",
                      "posthog-2025-10-03-surveys-sdk-bug"}
    assert {name for name, branch_labels in labels.items() if "detection" in branch_labels} == reported_first


def quoted(text: str, actor: str) -> str:
    from pm_agent.engines.causes import quote

    return quote(TimelineEvent(at=dt.datetime(2024, 5, 14, 2, 10, tzinfo=dt.UTC), source="deploy", text=text, actor=actor))


def test_a_person_acting_is_quoted_as_a_team_member_but_a_tool_acting_keeps_its_name():
    assert quoted("dana.ortiz rolled out release 4.2", "dana.ortiz") == "a team member rolled out release 4.2"
    assert quoted("Incident triggered in PagerDuty by the 5xx alert", "PagerDuty") == (
        "Incident triggered in PagerDuty by the 5xx alert"
    )
    assert quoted("deploy-bot rolled out config v412", "deploy-bot") == "deploy-bot rolled out config v412"


def test_an_actor_name_inside_another_word_is_left_alone():
    assert quoted("Ana restarted the banana-cache pods", "Ana") == "a team member restarted the banana-cache pods"
