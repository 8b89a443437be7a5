"""The PagerDuty REST API v2, read only: one incident, its log entries, notes and alerts.

``GET /incidents/{id}``, ``/incidents/{id}/log_entries`` and ``/incidents/{id}/alerts`` (both paged
with ``offset``/``limit`` until ``more`` is false), and ``/incidents/{id}/notes``, with
``Authorization: Token token=<PM_AGENT_PAGERDUTY_TOKEN>`` and the v2 ``Accept`` header. Answers are
returned as PagerDuty sends them; :mod:`pm_agent.sources.fetch` maps them into what the ingest
readers take.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import httpx2

from pm_agent.backends.retry import RetryPolicy
from pm_agent.errors import ConfigError, FetchError, InputError
from pm_agent.settings import Settings
from pm_agent.sources.http import DEFAULT_POLICY, ApiSpec, JsonApi

ACCEPT = "application/vnd.pagerduty+json;version=2"
PAGE_SIZE = 100
"""PagerDuty's largest page."""
MAX_OFFSET = 10_000
"""PagerDuty's classic pagination ends here; an incident with more log entries is read up to it."""
_INCIDENT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def checked_incident_id(incident_id: str) -> str:
    """A PagerDuty incident id (letters and digits, ``Q2W8RT5YU1IOP3``); anything else is refused before a request."""
    incident_id = (incident_id or "").strip()
    if not _INCIDENT_ID.fullmatch(incident_id):
        raise InputError(
            f"{incident_id[:80]!r} is not a PagerDuty incident id (letters and digits, like Q2W8RT5YU1IOP3)"
        )
    return incident_id


class PagerDutyApi:
    """Read one incident and what was recorded during it."""

    def __init__(self, api: JsonApi) -> None:
        self.api = api

    @classmethod
    def from_settings(
        cls, settings: Settings, *, policy: RetryPolicy | None = None, transport: httpx2.BaseTransport | None = None
    ) -> PagerDutyApi:
        token = settings.pagerduty_token.get_secret_value() if settings.pagerduty_token else ""
        if not token.strip():
            raise ConfigError(
                "set PM_AGENT_PAGERDUTY_TOKEN to a PagerDuty REST API key (read-only is enough) to fetch incidents"
            )
        spec = ApiSpec(
            name="PagerDuty",
            base_url=settings.pagerduty_url,
            headers={"Authorization": f"Token token={token.strip()}", "Accept": ACCEPT},
            token_variable="PM_AGENT_PAGERDUTY_TOKEN",
            url_variable="PM_AGENT_PAGERDUTY_URL",
            timeout_s=settings.fetch_timeout_s,
            policy=policy or DEFAULT_POLICY,
        )
        return cls(JsonApi(spec, transport=transport))

    def close(self) -> None:
        self.api.close()

    def incident(self, incident_id: str) -> dict[str, Any]:
        """``GET /incidents/{id}``: title, service, priority, times, ``conference_bridge``."""
        body = self.api.get(self._path(incident_id), what=f"incident {incident_id}")
        incident = body.get("incident") if isinstance(body, dict) else None
        if not isinstance(incident, dict):
            raise FetchError(f"PagerDuty incident {incident_id}: the answer has no 'incident' object")
        return incident

    def log_entries(self, incident_id: str) -> list[dict[str, Any]]:
        """Every log entry, oldest first: triggers, notifications, acknowledgements, escalations, notes, resolution."""
        return self._paged(
            f"{self._path(incident_id)}/log_entries",
            "log_entries",
            f"incident {incident_id} log entries",
            {"is_overview": "false"},
        )

    def alerts(self, incident_id: str) -> list[dict[str, Any]]:
        """Every alert grouped into the incident."""
        return self._paged(f"{self._path(incident_id)}/alerts", "alerts", f"incident {incident_id} alerts")

    def notes(self, incident_id: str) -> list[dict[str, Any]]:
        """The incident's notes (PagerDuty returns them all at once, unpaged)."""
        body = self.api.get(f"{self._path(incident_id)}/notes", what=f"incident {incident_id} notes")
        return _items(body, "notes", f"incident {incident_id} notes")

    def _paged(self, path: str, key: str, what: str, extra: dict[str, str] | None = None) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        offset = 0
        while offset < MAX_OFFSET:
            body = self.api.get(path, {**(extra or {}), "offset": offset, "limit": PAGE_SIZE}, what=what)
            page = _items(body, key, what)
            items.extend(page)
            if not page or not body.get("more"):
                break
            offset += len(page)
        return items

    @staticmethod
    def _path(incident_id: str) -> str:
        return f"incidents/{quote(checked_incident_id(incident_id), safe='')}"


def _items(body: Any, key: str, what: str) -> list[dict[str, Any]]:
    items = body.get(key) if isinstance(body, dict) else None
    if not isinstance(items, list):
        raise FetchError(f"PagerDuty {what}: the answer has no '{key}' list")
    return [item for item in items if isinstance(item, dict)]
