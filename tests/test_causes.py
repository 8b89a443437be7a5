"""Cause categories for any text, and contributing factors read from an incident's timeline."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from conftest import SHARED_DATA, fulltext_cases

from pm_agent.engines.causes import CAUSE_CATEGORIES, classify_causes, contributing_factors, incident_text
from pm_agent.models import Incident, TimelineEvent

NUMBER = re.compile(r"\d+(?:[-:.,/]\d+)*")
CITED_TIME = re.compile(r"at (\d{4}-\d{2}-\d{2} \d{2}:\d{2})")


def at(hhmm: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"2024-05-14T{hhmm}:00+00:00")


def incident(events: list[tuple[str, str, str]], **times: str) -> Incident:
    return Incident(
        id="t", title="Orders API errors", services=["orders-api"],
        events=[TimelineEvent(at=at(hhmm), source=source, text=text) for hhmm, source, text in events],
        **{name: at(value) for name, value in times.items()},
    )


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
    from pm_agent.engines.cause_rules import CATEGORY_RULES

    assert set(CATEGORY_RULES) <= set(CAUSE_CATEGORIES)


# --- contributing factors -------------------------------------------------------------------

def test_a_fast_alert_and_a_clean_rollback_leave_no_factor_to_suggest():
    quiet = incident(
        [
            ("09:58", "deploy", "Config push to edge-config"),
            ("10:02", "alert", "Alert: orders-api 5xx error rate above threshold"),
            ("10:15", "deploy", "Reverted the config push"),
        ],
        started_at="09:58", detected_at="10:02", resolved_at="10:20",
    )

    assert contributing_factors(quiet) == []


def test_customer_detection_retries_and_manual_steps_are_suggested_with_their_times():
    slow = incident(
        [
            ("02:10", "deploy", "Release 4.2 of orders-api rolled out"),
            ("05:40", "chat", "Customer support: several customers report failed orders"),
            ("06:05", "alert", "Alert: orders-api checkout job failing"),
            ("06:25", "deploy", "Rollback attempt failed: the 4.2 migration could not be reversed"),
            ("06:40", "deploy", "Second rollback attempt with a manual migration fix succeeded"),
        ],
        started_at="02:10", detected_at="05:40", resolved_at="06:45",
    )

    assert contributing_factors(slow) == [
        'Candidate: detection came from a report, not an alert, at 2024-05-14 05:40 UTC: "Customer support: several '
        'customers report failed orders". The first alert followed at 2024-05-14 06:05 UTC: "Alert: orders-api '
        'checkout job failing".',
        'Candidate: recovery needed a repeated attempt, at 2024-05-14 06:25 UTC: "Rollback attempt failed: the 4.2 '
        'migration could not be reversed".',
        'Candidate: a manual step with no runbook referenced, at 2024-05-14 06:40 UTC: "Second rollback attempt with '
        'a manual migration fix succeeded".',
    ]


def test_unintended_changes_warning_signs_and_late_declaration_are_suggested():
    messy = incident(
        [
            ("09:30", "alert", "Disk latency warning on orders-db"),
            ("10:00", "deploy", "Pipeline applied an unintended schema change to orders-db"),
            ("10:05", "alert", "Alert: orders-api error rate above threshold"),
            ("10:30", "deploy", "Schema change reverted"),
            ("11:00", "chat", "Incident declared retroactively"),
        ],
        started_at="10:00", detected_at="10:05", resolved_at="10:40",
    )

    assert contributing_factors(messy) == [
        'Candidate: an earlier warning sign preceded the incident, at 2024-05-14 09:30 UTC: "Disk latency warning on orders-db".',
        'Candidate: the timeline records an unintended or unexpected change, at 2024-05-14 10:00 UTC: "Pipeline '
        'applied an unintended schema change to orders-db".',
        'Candidate: the incident was declared after mitigation, at 2024-05-14 11:00 UTC: "Incident declared retroactively".',
    ]


def test_the_same_alert_firing_again_and_again_is_suggested_as_noise():
    noisy = incident(
        [
            ("10:00", "alert", "orders-db replica lag high"),
            ("10:05", "alert", "orders-db replica lag high"),
            ("10:10", "alert", "orders-db replica lag high"),
        ],
        started_at="10:00", detected_at="10:00", resolved_at="10:20",
    )

    assert contributing_factors(noisy) == [
        "Candidate: alert noise, the same alert fired repeatedly (at 2024-05-14 10:00 UTC, 2024-05-14 10:05 UTC, "
        '2024-05-14 10:10 UTC): "orders-db replica lag high".'
    ]


def test_a_factor_never_names_the_person_who_acted():
    named = Incident(
        id="t", title="Orders API errors", started_at=at("10:00"), detected_at=at("10:30"), resolved_at=at("11:00"),
        events=[
            TimelineEvent(at=at("10:00"), source="deploy", text="Dana accidentally deployed the wrong branch", actor="Dana"),
            TimelineEvent(at=at("10:30"), source="chat", text="@sam.lee says users report errors"),
        ],
    )

    factors = contributing_factors(named)

    assert factors and not [f for f in factors if "Dana" in f or "@sam" in f]


# --- the real public incidents ---------------------------------------------------------------

def load_real(name: str) -> tuple[Incident, str, dict]:
    folder = SHARED_DATA / "fulltext"
    raw = (folder / f"{name}.input.json").read_text()
    data = json.loads(raw)
    real = Incident(
        id=name, title=data["title"], severity=data["severity"], services=data["services"],
        started_at=data["started_at"], detected_at=data["detected_at"], resolved_at=data["resolved_at"],
        events=[TimelineEvent(at=e["at"], source=e["source"], text=e["text"]) for e in data["events"] if e["at"]],
        notes=data["notes"],
    )
    return real, raw, json.loads((folder / f"{name}.truth.json").read_text())


@pytest.mark.shared_data
@pytest.mark.parametrize("name", fulltext_cases())
def test_real_factors_cite_input_times_and_only_input_numbers(shared_data, name):
    real, raw, _ = load_real(name)
    event_times = {e.at.strftime("%Y-%m-%d %H:%M") for e in real.events}

    factors = contributing_factors(real)

    assert all(f.startswith("Candidate: ") for f in factors)
    assert all(set(CITED_TIME.findall(f)) and set(CITED_TIME.findall(f)) <= event_times for f in factors)
    assert [n for f in factors for n in NUMBER.findall(f) if n not in raw] == []


@pytest.mark.shared_data
def test_real_categories_agree_with_the_published_category(shared_data):
    labelled = {}
    for name in fulltext_cases():
        real, _, truth = load_real(name)
        if truth.get("category"):
            labelled[name] = (truth["category"].lower(), classify_causes(incident_text(real)))

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
