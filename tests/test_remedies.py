"""A stated gap becomes the action it asks for, in the data's own nouns, or no action at all."""

import pytest

from pm_agent.analysis.actions.remedies import remedies
from pm_agent.analysis.vocabulary import TAG_PATTERNS

GAP = TAG_PATTERNS["gap"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("There was no alert on disk usage of the build agents.", ["Add an alert on disk usage of the build agents"]),
        (
            "No circuit breaker on the inventory client, so every call waited 20 s.",
            ["Add a circuit breaker on the inventory client"],
        ),
        (
            "The worker re-queues a failed job at once, no backoff.",
            ["Add backoff where the worker re-queues a failed job at once"],
        ),
        (
            "sync-agent logs show quota errors since Monday; the job exits with status 0 on failure.",
            ["Make sync-agent exit non-zero and alert when it fails"],
        ),
        (
            "The invoice export fails silently when the bucket is full.",
            ["Make the invoice export exit non-zero and alert when it fails"],
        ),
        ("The nightly job ran with no row limit before it started deleting.", ["Add a row limit"]),
        (
            "Schema checks validate column types but not whether a column is still read.",
            ["Make schema checks validate whether a column is still read as well as column types"],
        ),
        ("The smoke tests only cover the login page.", ["Make the smoke tests cover more than the login page"]),
        ("The rollout plan did not cover the EU region.", ["Make the rollout plan cover the EU region"]),
        ("The failover runbook was never tested.", ["Test the failover runbook"]),
        ("The quota change was not reviewed by the capacity team.", ["Make the capacity team review the quota change"]),
        ("We chart heap size per pod but nothing alerts on it.", ["Alert on heap size"]),
        (
            "The token was rotated by hand; the deploy script did not check it, and no expiry alert existed.",
            ["Make the deploy script check the token", "Add an expiry alert"],
        ),
        (
            "No alert watched the broker's unacked-message count, so the first signal was checkout latency.",
            ["Add an alert that watches the broker's unacked-message count"],
        ),
        (
            "The mobile app polled the quota endpoint with no backoff, so every 429 doubled the load.",
            ["Add backoff where the mobile app polled the quota endpoint"],
        ),
    ],
)
def test_a_stated_gap_turns_into_the_action_it_asks_for(text, expected):
    assert remedies(text, GAP) == expected


def test_a_gap_with_nothing_to_name_gives_no_action_rather_than_a_vague_one():
    assert remedies("We had no monitoring.", GAP) == []
    assert remedies("There were no tests for it.", GAP) == []
    assert remedies("No alert fired.", GAP) == []
    assert remedies("It failed, no backoff.", GAP) == []


def test_an_absence_of_failures_is_not_a_missing_safeguard():
    assert not GAP.search("No failover errors were seen during the drill.")
    assert remedies("No failover errors were seen during the drill.", GAP) == []


def test_a_sentence_without_a_gap_gives_nothing():
    assert remedies("Rolled back the release; error rate back to normal.", GAP) == []
