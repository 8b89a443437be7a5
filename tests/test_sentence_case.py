"""A sentence the draft starts with the data's words raises the first letter of an ordinary word only: an identifier
("orders_v2", "kubectl", "psql") keeps the case the data gave it."""

from __future__ import annotations

import datetime as dt

import pytest

from pm_agent.analysis.actions.proposed import propose_actions
from pm_agent.analysis.blameless.grammar import capitalise
from pm_agent.analysis.causes.fishbone import build_fishbone
from pm_agent.analysis.evidence import read_incident
from pm_agent.analysis.quoting import said
from pm_agent.models import Incident, TimelineEvent, WhyChain

AT = dt.datetime(2025, 9, 2, 7, 40, tzinfo=dt.UTC)


def chat(text: str, minute: int = 40) -> TimelineEvent:
    return TimelineEvent(at=AT.replace(minute=minute), source="chat", text=text)


@pytest.mark.parametrize(
    ("text", "restated"),
    [
        ("orders_v2 table locked by the backfill", "orders_v2 table locked by the backfill"),
        ("kubectl rollout restart deployment/ledger-api", "kubectl rollout restart deployment/ledger-api"),
        ("psql session on the replica still open", "psql session on the replica still open"),
        ("systemctl restart haproxy on lb-2", "systemctl restart haproxy on lb-2"),
        ("ledger.sync_jobs paused by hand", "ledger.sync_jobs paused by hand"),
        ("restarted the ledger pods", "Restarted the ledger pods"),
        ("queue depth back under 200", "Queue depth back under 200"),
        ("iOS clients stopped retrying", "iOS clients stopped retrying"),
    ],
)
def test_a_restated_event_raises_the_first_letter_of_an_ordinary_word_only(text, restated):
    assert said(chat(text)) == f"{restated} (chat, 2025-09-02 07:40 UTC)"


def test_a_step_taken_keeps_the_case_of_the_command_it_quotes():
    incident = Incident(
        id="ledger-1",
        title="Ledger API errors",
        services=["ledger-api"],
        events=[
            TimelineEvent(at=AT, source="alert", text="Alert: ledger-api 5xx above 4%"),
            chat("kubectl rollout restart deployment/ledger-api; error rate back to normal", minute=55),
        ],
    )
    done = [a.title for a in propose_actions(read_incident(incident), incident.title, AT.date()) if a.status == "done"]
    assert done == ["kubectl rollout restart deployment/ledger-api; error rate back to normal"]


def test_a_factor_that_starts_with_an_identifier_keeps_its_case_in_the_fishbone():
    fishbone = build_fishbone(WhyChain(problem="Ledger writes failed", branches=[]), ["orders_v2 had no index"])
    assert "orders_v2 had no index" in [item for items in fishbone.categories.values() for item in items]


def test_a_rewritten_sentence_keeps_a_command_at_its_start_as_written():
    assert capitalise("kubectl drain was run on node-4") == "kubectl drain was run on node-4"
    assert capitalise("the node was drained") == "The node was drained"
