"""Every field of every format given the wrong type: skipped, or refused with one clear line; never a traceback.

One full document per format (every field its reader looks at, filled in), then hypothesis replaces
one value anywhere in it, at any depth, with a value of another type: a number where a list
belongs ("attachments": 5), a string where an object belongs, null, a list where a string belongs.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pm_agent.errors import PmAgentError
from pm_agent.ingest import ReadOptions, load_incident_text
from pm_agent.models import Incident

T0 = "2024-03-01T14:00:00Z"
SLACK = {
    "users": [{"id": "U1", "name": "dana", "real_name": "Dana Ortiz", "profile": {"real_name": "Dana Ortiz"}}],
    "messages": [
        {
            "ts": "1709301600.000100",
            "user": "U1",
            "text": "checkout 502s <@U1> <#C1|ops> <!here> <https://x.test|graph>",
            "user_profile": {"real_name": "Dana Ortiz", "display_name": "dana"},
        },
        {
            "ts": "1709301660.000200",
            "subtype": "bot_message",
            "bot_id": "B1",
            "username": "Alertmanager",
            "text": "",
            "bot_profile": {"name": "Alertmanager"},
            "attachments": [
                {"title": "FIRING CheckoutErrors", "pretext": "p", "text": "5xx above 2%", "fallback": "f"}
            ],
        },
        {"ts": "1709301720.000300", "user": "U2", "user_name": "lee", "text": "rolled back v2"},
    ],
}
PAGERDUTY = {
    "log_entries": [
        {
            "type": "trigger_log_entry",
            "created_at": T0,
            "summary": "Triggered through the API",
            "id": "L1",
            "channel": {"type": "api", "summary": "CheckoutErrors firing", "note": "n", "content": "c"},
            "agent": {"type": "service_reference", "summary": "checkout-api"},
            "service": {"summary": "checkout-api"},
            "incident": {"id": "P1", "summary": "Checkout errors"},
        },
        {
            "type": "acknowledge_log_entry",
            "created_at": "2024-03-01T14:03:00Z",
            "summary": "Acknowledged by Dana",
            "agent": {"type": "user_reference", "summary": "Dana Ortiz"},
            "user": {"summary": "Dana Ortiz"},
            "assignees": [{"summary": "Dana Ortiz"}],
        },
    ]
}
ALERTMANAGER = {
    "receiver": "pager",
    "status": "firing",
    "alerts": [
        {
            "status": "firing",
            "startsAt": T0,
            "endsAt": "2024-03-01T14:30:00Z",
            "fingerprint": "abc",
            "labels": {"alertname": "CheckoutErrors", "severity": "critical", "service": "checkout"},
            "annotations": {"summary": "5xx above 2%", "description": "d", "message": "m"},
        },
    ],
}
NATIVE = {
    "id": "inc-1",
    "title": "Checkout down",
    "severity": "SEV2",
    "started_at": T0,
    "resolved_at": "2024-03-01T15:00:00Z",
    "services": ["checkout"],
    "notes": "n",
    "impact": {"users_affected": {"value": 10, "quote": "10 users"}},
    "events": [
        {"at": T0, "source": "alert", "text": "5xx above 2%", "actor": "am"},
        {"at": None, "source": "chat", "text": "Dana paged", "time_text": "~14:05", "user": "dana"},
        {"time": "2024-03-01T14:06:00Z", "source": "page", "text": "paged", "user": "dana"},
        {"timestamp": "2024-03-01T14:10:00Z", "message": "rolled back"},
    ],
}
DOCUMENTS = {"slack": SLACK, "pagerduty": PAGERDUTY, "alertmanager": ALERTMANAGER, "native": NATIVE}
WRONG = [None, True, 0, -1, 1e308, "", "text", [], [None], [1, "a"], {}, {"a": 1}, [[[]]], {"text": {"ts": []}}]


def places(value: Any, path: tuple = ()) -> list[tuple]:
    """Every path to a value inside a document (keys and list indexes), the document itself excluded."""
    found = []
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    for key, child in children:
        found.append((*path, key))
        found.extend(places(child, (*path, key)))
    return found


def replaced(document: Any, path: tuple, new: Any) -> Any:
    changed = copy.deepcopy(document)
    target = changed
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = new
    return changed


def outcome(document: Any) -> Incident | PmAgentError:
    try:
        return load_incident_text(json.dumps(document), "input.json", ReadOptions(max_field_chars=5_000))
    except PmAgentError as exc:  # any other exception fails the test as it is
        return exc


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_the_full_documents_read_as_incidents(name):
    assert isinstance(outcome(DOCUMENTS[name]), Incident)


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_every_field_with_every_wrong_type_reads_or_fails_with_one_clear_line(name):
    document = DOCUMENTS[name]
    for path in places(document):
        for value in WRONG:
            result = outcome(replaced(document, path, value))
            if isinstance(result, PmAgentError):
                assert "\n" not in str(result) and len(str(result)) < 600, (path, value, str(result))


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_two_fields_with_wrong_types_at_once_read_or_fail_with_one_clear_line(name, data):
    document = DOCUMENTS[name]
    for _ in range(2):
        path = data.draw(st.sampled_from(places(document)))
        document = replaced(document, path, data.draw(st.sampled_from(WRONG)))
    result = outcome(document)
    assert isinstance(result, Incident | PmAgentError)


def test_a_slack_message_whose_attachments_is_not_a_list_is_read_without_them():
    message = {"ts": "1709301600.000100", "user": "U1", "text": "", "attachments": 5}
    text = json.dumps([message, {"ts": "1709301660.000100", "user": "U1", "text": "checkout 502s"}])
    assert [e.text for e in load_incident_text(text).events] == ["checkout 502s"]
