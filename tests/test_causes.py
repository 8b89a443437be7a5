"""Cause categories for any text, and the contributing factors an incident's own events show, each quoting them."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from conftest import SHARED_DATA, fulltext_case_params, fulltext_cases, load_real_incident

from pm_agent.analysis.causes.categories import CAUSE_CATEGORIES, classify_causes, incident_text
from pm_agent.analysis.claims import EventIndex
from pm_agent.analysis.evidence import read_incident
from pm_agent.analysis.factors import contributing_factors
from pm_agent.models import Incident, TimelineEvent


def at(hhmm: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"2024-05-14T{hhmm}:00+00:00")


def incident(events: list[tuple[str, str, str]], **times: str) -> Incident:
    return Incident(
        id="t",
        title="Orders API errors",
        services=["orders-api"],
        events=[TimelineEvent(at=at(hhmm), source=source, text=text) for hhmm, source, text in events],
        **{name: at(value) for name, value in times.items()},
    )


def factors_of(incident: Incident) -> list[str]:
    return contributing_factors(read_incident(incident))


# --- categories -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "categories"),
    [
        ("A bad config push took down the edge routers", ["config", "network"]),
        ("The TLS certificate for the API expired", ["time"]),
        ("Database migration locked the orders table", ["database"]),
        ("Traffic spike exhausted the connection pool", ["capacity", "network"]),
        ("Kubernetes nodes went NotReady and pods were evicted", ["kubernetes"]),
        ("Upstream provider outage: the payment SDK broke backwards compatibility", ["dependency"]),
        ("Power failure in the data center took the storage array offline", ["hardware"]),
        ("A race condition between two writers corrupted the cache", ["concurrency"]),
    ],
)
def test_text_is_labelled_with_cause_categories_strongest_first(text, categories):
    assert classify_causes(text) == categories


def test_text_with_no_cause_words_gets_no_category():
    assert classify_causes("The weather was lovely") == []
    assert classify_causes("") == []


def test_the_limit_keeps_only_the_strongest_categories():
    assert classify_causes("A bad config push took down the edge routers", limit=1) == ["config"]


def test_every_category_the_classifier_can_return_is_in_the_shared_vocabulary():
    from pm_agent.analysis.causes.rules import CATEGORY_RULES

    assert set(CATEGORY_RULES) <= set(CAUSE_CATEGORIES)


def test_the_incident_text_a_classifier_sees_is_the_title_services_events_and_notes():
    orders = incident([("10:00", "deploy", "Config push to edge-config")]).model_copy(update={"notes": "37 tickets"})

    assert incident_text(orders) == "Orders API errors\norders-api\nConfig push to edge-config\n37 tickets"


# --- contributing factors -------------------------------------------------------------------


def test_a_prompt_alert_and_a_clean_revert_leave_no_factor_to_name():
    quiet = incident(
        [
            ("09:58", "deploy", "Config push to edge-config"),
            ("10:02", "alert", "Alert: orders-api 5xx error rate above threshold"),
            ("10:15", "deploy", "Reverted the config push"),
        ],
        started_at="09:58",
        detected_at="10:02",
        resolved_at="10:20",
    )

    assert factors_of(quiet) == []


def test_customers_noticing_first_a_failed_rollback_and_a_manual_fix_are_named_with_the_events_that_show_them():
    slow = incident(
        [
            ("02:10", "deploy", "Release 4.2 of orders-api rolled out"),
            ("05:40", "chat", "Customer support: several customers report failed orders"),
            ("06:05", "alert", "Alert: orders-api checkout job failing"),
            ("06:25", "deploy", "Rollback attempt failed: the 4.2 migration could not be reversed"),
            ("06:40", "deploy", "Second rollback attempt with a manual migration fix succeeded"),
        ],
        started_at="02:10",
        detected_at="05:40",
        resolved_at="06:45",
    )

    assert factors_of(slow) == [
        "A person noticed the failure before monitoring did: Customer support: several customers report failed orders "
        "(chat, 2024-05-14 05:40 UTC). The first alert followed: Alert: orders-api checkout job failing "
        "(alert, 2024-05-14 06:05 UTC).",
        "A recovery step did not work: Rollback attempt failed: the 4.2 migration could not be reversed "
        "(deploy, 2024-05-14 06:25 UTC).",
        "Recovery relied on a manual step: Second rollback attempt with a manual migration fix succeeded "
        "(deploy, 2024-05-14 06:40 UTC).",
    ]


def test_a_warning_sign_an_unintended_change_and_a_late_declaration_are_named():
    messy = incident(
        [
            ("09:30", "alert", "Disk latency warning on orders-db"),
            ("10:00", "deploy", "Pipeline applied an unintended schema change to orders-db"),
            ("10:05", "alert", "Alert: orders-api error rate above threshold"),
            ("10:30", "deploy", "Schema change reverted"),
            ("11:00", "chat", "Incident declared retroactively"),
        ],
        started_at="10:00",
        detected_at="10:05",
        resolved_at="10:40",
    )

    assert factors_of(messy) == [
        "A warning sign came before the incident: Disk latency warning on orders-db (alert, 2024-05-14 09:30 UTC).",
        "The data records a change as unintended or unexpected: Pipeline applied an unintended schema change to "
        "orders-db (deploy, 2024-05-14 10:00 UTC).",
        "The incident was declared after the impact had stopped: Incident declared retroactively "
        "(chat, 2024-05-14 11:00 UTC).",
    ]


def test_the_same_alert_firing_again_and_again_is_named_as_noise():
    noisy = incident(
        [
            ("10:00", "alert", "orders-db replica lag high"),
            ("10:05", "alert", "orders-db replica lag high"),
            ("10:10", "alert", "orders-db replica lag high"),
        ],
        started_at="10:00",
        detected_at="10:00",
        resolved_at="10:20",
    )

    assert factors_of(noisy) == [
        "The same alert fired 3 times, first: orders-db replica lag high (alert, 2024-05-14 10:00 UTC)."
    ]


def test_a_failure_that_kept_coming_back_is_named_with_its_first_and_last_occurrence():
    recurring = incident(
        [
            ("01:00", "alert", "Cron job billing-export failed again"),
            ("02:00", "alert", "Cron job billing-export failed again"),
            ("03:00", "alert", "Cron job billing-export failed again"),
            ("03:30", "chat", "Found the export bucket policy removed write access"),
            ("03:50", "chat", "Bucket policy restored; export run succeeded, back to normal"),
        ],
    )

    assert factors_of(recurring) == [
        "The failure recurred 3 times in the data before it was fixed, first: Cron job billing-export failed again "
        "(alert, 2024-05-14 01:00 UTC); last: Cron job billing-export failed again (alert, 2024-05-14 03:00 UTC).",
        "The same alert fired 3 times, first: Cron job billing-export failed again (alert, 2024-05-14 01:00 UTC).",
    ]


def test_an_assumption_that_did_not_hold_and_a_hand_over_are_named():
    misled = incident(
        [
            ("08:00", "alert", "Alert: cache-cluster nodes unreachable"),
            ("08:10", "chat", "At the time assumed a network partition between zones"),
            ("08:20", "chat", "Platform team handed over to the storage team"),
            ("08:40", "chat", "Found the cache nodes ran out of disk from swap files"),
            ("09:00", "chat", "Cleared swap files on the cache nodes; cache cluster healthy again"),
        ],
    )

    assert factors_of(misled) == [
        "The response worked for a while from an assumption or a finding that did not hold: At the time assumed a "
        "network partition between zones (chat, 2024-05-14 08:10 UTC).",
        "Work was handed over between teams during the incident: Platform team handed over to the storage team "
        "(chat, 2024-05-14 08:20 UTC).",
    ]


def test_a_safeguard_the_data_records_as_missing_and_a_slow_detection_are_named():
    unwatched = incident(
        [
            ("06:00", "deploy", "mailer worker image 2.8 rolled out"),
            ("07:10", "alert", "Alert: mailer queue age above 30 min"),
            ("07:30", "chat", "There was no alert on mailer queue depth, only on queue age"),
            ("07:45", "chat", "Restarted the mailer workers; queue draining, back to normal"),
        ],
        started_at="06:00",
    )

    assert factors_of(unwatched) == [
        "The failure went unnoticed for 1 h 10 min: it started at 2024-05-14 06:00 UTC and was first detected by "
        "Alert: mailer queue age above 30 min (alert, 2024-05-14 07:10 UTC).",
        "The data records a missing safeguard: There was no alert on mailer queue depth, only on queue age "
        "(chat, 2024-05-14 07:30 UTC).",
    ]


def test_a_check_that_reported_success_before_the_failure_was_found_is_named_with_what_was_found_later():
    unnoticed = incident(
        [
            ("03:00", "deploy", "price import finished, all 90 chunks reported OK; catalog now reads prices_v2"),
            ("08:00", "alert", "Alert: checkout price mismatch errors above 1%"),
            ("08:20", "chat", "prices_v2 holds no prices for items imported before 2019"),
            ("08:30", "deploy", "catalog switched back to prices_v1; mismatch errors back to normal"),
        ],
        started_at="03:00",
    )

    assert factors_of(unnoticed) == [
        "The failure went unnoticed for 5 h 00 min: it started at 2024-05-14 03:00 UTC and was first detected by "
        "Alert: checkout price mismatch errors above 1% (alert, 2024-05-14 08:00 UTC).",
        "A check reported success before the failure was found: Price import finished, all 90 chunks reported OK "
        "(deploy, 2024-05-14 03:00 UTC); what was found later: prices_v2 holds no prices for items imported before "
        "2019 (chat, 2024-05-14 08:20 UTC).",
    ]


def test_a_factor_never_names_the_person_who_acted_or_was_mentioned():
    named = Incident(
        id="t",
        title="Orders API errors",
        started_at=at("10:00"),
        detected_at=at("10:30"),
        resolved_at=at("11:00"),
        events=[
            TimelineEvent(
                at=at("10:00"), source="deploy", text="Dana accidentally deployed the wrong branch", actor="Dana"
            ),
            TimelineEvent(at=at("10:30"), source="chat", text="@sam.lee says users report errors"),
        ],
    )

    assert factors_of(named) == [
        "A person noticed the failure before monitoring did: A team member says users report errors "
        "(chat, 2024-05-14 10:30 UTC). No alert appears in the data before it.",
        "The data records a change as unintended or unexpected: A team member accidentally deployed the wrong branch "
        "(deploy, 2024-05-14 10:00 UTC).",
    ]


# --- the real public incidents ---------------------------------------------------------------


@pytest.mark.shared_data
@pytest.mark.parametrize("name", fulltext_case_params())
def test_real_factors_each_quote_an_input_event_at_its_minute(shared_data, name):
    real = load_real_incident(name)
    index = EventIndex(real)

    assert [factor for factor in factors_of(real) if not index.cites(factor)] == []


@pytest.mark.shared_data
def test_real_categories_agree_with_the_published_category(shared_data):
    labelled = {}
    for name in fulltext_cases():
        truth = json.loads((SHARED_DATA / "fulltext" / f"{name}.truth.json").read_text())
        if truth.get("category"):
            labelled[name] = (truth["category"].lower(), classify_causes(incident_text(load_real_incident(name))))

    top_one = sum(predicted[:1] == [published] for published, predicted in labelled.values())
    top_two = sum(published in predicted[:2] for published, predicted in labelled.values())
    # Measured: 5 of 7 first, 7 of 7 within the first two (all seven are "Kubernetes").
    assert len(labelled) == 7
    assert top_one >= 4
    assert top_two == 7


@pytest.mark.shared_data
def test_curated_labels_of_the_incident_collection_mostly_match(shared_data):
    records = [json.loads(line) for line in (SHARED_DATA / "incidents.jsonl").read_text().splitlines() if line.strip()]
    curated = [r for r in records if r["category_primary_basis"] == "source label"]

    ranked = [(r["category_primary"], classify_causes(f"{r['title']} {r['summary']}")) for r in curated]
    top_one = sum(predicted[:1] == [label] for label, predicted in ranked) / len(ranked)
    top_three = sum(label in predicted[:3] for label, predicted in ranked) / len(ranked)

    # Measured 0.46 first and 0.73 within three on the 89 curated records; always guessing the
    # commonest label ("config") would score 0.34 first.
    assert len(curated) == 89
    assert top_one >= 0.40
    assert top_three >= 0.65


def test_the_step_that_cleared_what_held_recovery_up_is_not_itself_a_hold_up():
    factors = factors_of(
        incident(
            [
                ("10:00", "alert", "Alert: orders-api 5xx above 20%"),
                ("10:10", "deploy", "Rollback held up by a Terraform state lock"),
                ("10:18", "note", "State lock released by hand"),
                ("10:25", "deploy", "Rollback applied; 5xx back to normal"),
            ]
        )
    )

    assert [f for f in factors if f.startswith("Recovery was held up")] == [
        "Recovery was held up: Rollback held up by a Terraform state lock (deploy, 2024-05-14 10:10 UTC)."
    ]


def test_an_unintended_change_after_the_impact_ended_belongs_to_another_story_not_to_what_went_wrong_here():
    from pm_agent.analysis.actions.proposed import propose_actions
    from pm_agent.analysis.lessons import went_wrong

    reading = read_incident(
        incident(
            [
                ("10:00", "alert", "Alert: orders-api 5xx above 20%"),
                ("10:20", "deploy", "Rolled back orders-api to 3.3; 5xx back to normal"),
                ("15:00", "deploy", "Cleanup job unexpectedly ran and deleted the staging bucket (separate incident)"),
            ]
        )
    )

    assert [line for line in went_wrong(reading, []) if "nobody intended" in line] == []
    assert [a.title for a in propose_actions(reading, "Orders API errors", None, None) if "unintended" in a.title] == []


def test_an_alert_that_something_could_not_scale_is_the_failure_showing_not_recovery_held_up():
    factors = factors_of(
        incident(
            [
                ("10:00", "alert", "Alert: load balancer unable to scale up, not enough free IP addresses"),
                ("11:00", "note", "Freed addresses by removing two idle nodes; load balancer scaled"),
            ]
        )
    )

    assert [f for f in factors if f.startswith("Recovery was held up")] == []
