"""Helpers for the automated-drafting tests: a PagerDuty v3 delivery, signing, isolated folders.

The PagerDuty payload follows the shape of PagerDuty's public v3 webhook documentation
(``event`` with ``id``, ``event_type``, ``occurred_at``, ``agent`` and the incident in ``data``);
every value in it was invented for these tests.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

PAGERDUTY_SECRET = "pd-test-secret-8b1f2c"
WEBHOOK_SECRET = "pm-test-secret-41d07e"

_RESOLVED: dict[str, Any] = {
    "event": {
        "id": "01DEN5Q2X9ZR4A7G8M3KTB6PW1",
        "event_type": "incident.resolved",
        "resource_type": "incident",
        "occurred_at": "2025-09-14T03:41:07.512Z",
        "agent": {
            "html_url": "https://example.pagerduty.com/users/PABC123",
            "id": "PABC123",
            "self": "https://api.pagerduty.com/users/PABC123",
            "summary": "Storage on-call",
            "type": "user_reference",
        },
        "client": None,
        "data": {
            "id": "Q2W8RT5YU1IOP3",
            "type": "incident",
            "self": "https://api.pagerduty.com/incidents/Q2W8RT5YU1IOP3",
            "html_url": "https://example.pagerduty.com/incidents/Q2W8RT5YU1IOP3",
            "number": 4127,
            "status": "resolved",
            "incident_key": "a6f0c7d2e9b14c3f8e5d",
            "created_at": "2025-09-14T02:58:31Z",
            "title": "Object storage gateway returning 503 for uploads",
            "service": {
                "html_url": "https://example.pagerduty.com/services/PSVC001",
                "id": "PSVC001",
                "self": "https://api.pagerduty.com/services/PSVC001",
                "summary": "storage-gateway",
                "type": "service_reference",
            },
            "assignees": [{"id": "PABC123", "summary": "Storage on-call", "type": "user_reference"}],
            "escalation_policy": {"id": "PEP0001", "summary": "Storage", "type": "escalation_policy_reference"},
            "teams": [{"id": "PTEAM01", "summary": "Storage Platform", "type": "team_reference"}],
            "priority": {"id": "PPRI001", "summary": "P2", "type": "priority_reference"},
            "urgency": "high",
            "conference_bridge": None,
            "resolve_reason": None,
        },
    }
}


def pagerduty_event(event_type: str = "incident.resolved", event_id: str | None = None, **data: Any) -> dict:
    """A PagerDuty v3 delivery; ``data`` overrides fields of the incident (None removes one)."""
    payload = copy.deepcopy(_RESOLVED)
    payload["event"]["event_type"] = event_type
    if event_id is not None:
        payload["event"]["id"] = event_id
    for key, value in data.items():
        if value is None:
            payload["event"]["data"].pop(key, None)
        else:
            payload["event"]["data"][key] = value
    return payload


def body_of(payload: Any) -> bytes:
    return json.dumps(payload).encode()


def pagerduty_signature(body: bytes, *secrets: str) -> str:
    """``X-PagerDuty-Signature`` as PagerDuty sends it: one ``v1=`` per active secret, comma-separated."""
    from pm_agent.automation.signatures import hmac_hex

    return ",".join(f"v1={hmac_hex(secret, body)}" for secret in secrets or (PAGERDUTY_SECRET,))


class FakeClock:
    """A clock the test moves by hand, so a retry's wait is checked without sleeping."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


WATCH = [sys.executable, "-m", "pm_agent", "watch"]
WATCH_TIMEOUT = 120


def watch_once(folder: Path, env: dict[str, str], *extra: str) -> subprocess.CompletedProcess:
    """``pm-agent watch FOLDER --once`` in a subprocess, as a user runs it."""
    return subprocess.run(
        [*WATCH, str(folder), "--once", *extra],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=WATCH_TIMEOUT,
    )
