"""Webhook signatures, the PagerDuty mapping and safe file names: the pure parts of automated drafting."""

from __future__ import annotations

import json

import pytest
from automation_support import (
    PAGERDUTY_SECRET,
    WEBHOOK_SECRET,
    body_of,
    pagerduty_event,
    pagerduty_signature,
)

from pm_agent.automation.signatures import (
    hmac_hex,
    sign_pm_agent,
    verify_pagerduty,
    verify_pm_agent,
)
from pm_agent.errors import InputError
from pm_agent.guards.files import MAX_NAME_CHARS, safe_name
from pm_agent.guards.safe_paths import safe_child
from pm_agent.service import PostmortemService
from pm_agent.sources.pagerduty_event import read_event

BODY = body_of(pagerduty_event())


# --- signatures -------------------------------------------------------------------------------


def test_a_pagerduty_signature_made_with_the_secret_is_accepted():
    assert verify_pagerduty(PAGERDUTY_SECRET, BODY, pagerduty_signature(BODY)) is True


def test_a_pagerduty_signature_of_another_body_or_secret_or_scheme_is_refused():
    assert verify_pagerduty(PAGERDUTY_SECRET, BODY + b" ", pagerduty_signature(BODY)) is False
    assert verify_pagerduty(PAGERDUTY_SECRET, BODY, pagerduty_signature(BODY, "another-secret")) is False
    assert verify_pagerduty(PAGERDUTY_SECRET, BODY, f"v0={hmac_hex(PAGERDUTY_SECRET, BODY)}") is False
    assert verify_pagerduty(PAGERDUTY_SECRET, BODY, hmac_hex(PAGERDUTY_SECRET, BODY)) is False


def test_a_missing_or_empty_pagerduty_signature_is_refused():
    assert [verify_pagerduty(PAGERDUTY_SECRET, BODY, header) for header in (None, "", "v1=", ",")] == [False] * 4


def test_during_secret_rotation_one_matching_signature_among_several_is_enough():
    rotated = pagerduty_signature(BODY, "the-old-secret", PAGERDUTY_SECRET)
    assert rotated.count("v1=") == 2
    assert verify_pagerduty(PAGERDUTY_SECRET, BODY, rotated) is True
    assert verify_pagerduty(PAGERDUTY_SECRET, BODY, rotated.replace(",", ", ")) is True
    assert verify_pagerduty("yet-another-secret", BODY, rotated) is False


def test_a_signature_with_non_ascii_characters_is_refused_not_an_error():
    assert verify_pagerduty(PAGERDUTY_SECRET, BODY, "v1=é") is False
    assert verify_pm_agent(WEBHOOK_SECRET, BODY, "sha256=é") is False


def test_the_pm_agent_signature_is_sha256_of_the_body_in_either_case():
    header = sign_pm_agent(WEBHOOK_SECRET, BODY)
    assert header == f"sha256={hmac_hex(WEBHOOK_SECRET, BODY)}"
    assert verify_pm_agent(WEBHOOK_SECRET, BODY, header) is True
    assert verify_pm_agent(WEBHOOK_SECRET, BODY, header.upper()) is True
    assert verify_pm_agent(WEBHOOK_SECRET, BODY, header.removeprefix("sha256=")) is False
    assert verify_pm_agent(WEBHOOK_SECRET, BODY, f"sha1={hmac_hex(WEBHOOK_SECRET, BODY)}") is False
    assert verify_pm_agent(WEBHOOK_SECRET, BODY + b"x", header) is False
    assert verify_pm_agent(WEBHOOK_SECRET, BODY, None) is False


# --- the PagerDuty mapping ----------------------------------------------------------------------


def test_a_resolved_pagerduty_event_becomes_an_incident_with_only_the_payloads_facts():
    event = read_event(pagerduty_event())
    assert (event.event_id, event.event_type) == ("01DEN5Q2X9ZR4A7G8M3KTB6PW1", "incident.resolved")
    assert event.incident == {
        "id": "Q2W8RT5YU1IOP3",
        "title": "Object storage gateway returning 503 for uploads",
        "severity": "P2",
        "services": ["storage-gateway"],
        "detected_at": "2025-09-14T02:58:31Z",
        "resolved_at": "2025-09-14T03:41:07.512Z",
        "events": [
            {
                "at": "2025-09-14T02:58:31Z",
                "source": "page",
                "text": "Incident #4127 triggered: Object storage gateway returning 503 for uploads "
                "(service storage-gateway, urgency high, priority P2)",
            },
            {
                "at": "2025-09-14T03:41:07.512Z",
                "source": "page",
                "text": "Incident #4127 resolved",
                "actor": "Storage on-call",
            },
        ],
        "notes": "Drafted automatically when PagerDuty reported the incident resolved. Teams: Storage Platform. "
        "PagerDuty incident: https://example.pagerduty.com/incidents/Q2W8RT5YU1IOP3",
    }


def test_the_mapped_incident_drafts_with_the_unknowns_asked_not_guessed():
    service = PostmortemService()
    incident = service.load_text(json.dumps(read_event(pagerduty_event()).incident), name="pagerduty")
    draft = service.draft(incident, use_memory=False)
    assert (incident.started_at, incident.acknowledged_at) == (None, None)
    assert [str(e.at) for e in incident.events] == ["2025-09-14 02:58:31+00:00", "2025-09-14 03:41:07.512000+00:00"]
    assert {m.name: round(m.minutes, 1) for m in draft.metrics if m.minutes is not None} == {"time_to_resolve": 42.6}
    markdown = service.render(draft)
    assert "When did the impact begin" in markdown and "When did a responder acknowledge" in markdown


def test_other_pagerduty_event_types_are_read_but_not_drafted():
    for kind in ("incident.triggered", "incident.acknowledged", "pagey.ping"):
        event = read_event(pagerduty_event(kind, event_id=f"evt-{kind}"))
        assert (event.event_id, event.event_type, event.incident) == (f"evt-{kind}", kind, None)


def test_an_incident_without_priority_service_or_number_leaves_them_out():
    event = read_event(
        pagerduty_event(priority=None, service=None, number=None, teams=None, html_url=None, urgency=None)
    )
    assert (
        event.incident["events"][0]["text"]
        == "Incident Q2W8RT5YU1IOP3 triggered: Object storage gateway returning 503 for uploads"
    )
    assert "severity" not in event.incident and "services" not in event.incident
    assert event.incident["notes"] == "Drafted automatically when PagerDuty reported the incident resolved."


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ([1, 2], "not a PagerDuty v3 webhook"),
        ({"messages": []}, "not a PagerDuty v3 webhook"),
        ({"event": {"event_type": "incident.resolved"}}, "has no 'id' or 'event_type'"),
        ({"event": {"id": "e1", "event_type": "incident.resolved", "data": "x"}}, "without its incident"),
        ({"event": {"id": "e1", "event_type": "incident.resolved", "data": {"id": "P1"}}}, "neither"),
    ],
)
def test_a_payload_that_is_not_a_usable_v3_event_is_refused_with_the_reason(payload, message):
    with pytest.raises(InputError, match=message):
        read_event(payload)


# --- file names ----------------------------------------------------------------------------------


def test_a_safe_id_is_its_own_file_name():
    assert [safe_name(n) for n in ("INC-2031", "Q2W8RT5YU1IOP3", "inc-20250914.v2")] == [
        "INC-2031",
        "Q2W8RT5YU1IOP3",
        "inc-20250914.v2",
    ]


@pytest.mark.parametrize(
    "identifier",
    [
        "../../etc/passwd",
        "/etc/passwd",
        "..",
        ".",
        "",
        "a\x00b",
        "C:\\Windows\\x",
        "NUL",
        "con.txt",
        "x" * 5000,
        "./../drafts",
        "é/ü",
        "-rf",
    ],
)
def test_no_id_gives_a_name_that_leaves_its_folder(tmp_path, identifier):
    name = safe_name(identifier)
    assert 0 < len(name) <= MAX_NAME_CHARS + 11
    assert set(name) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
    assert not name.startswith((".", "-"))
    assert safe_child(tmp_path, name + ".md").parent == tmp_path.resolve()


def test_ids_that_clean_to_the_same_text_keep_different_names():
    assert len({safe_name("a/b"), safe_name("a:b"), safe_name("a-b")}) == 3
