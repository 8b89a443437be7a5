"""A PagerDuty v3 webhook event, as pm-agent incident JSON.

Only ``incident.resolved`` is drafted: an incident that has closed. Every time and name comes
from the payload (``created_at`` as the page that triggered, the event's ``occurred_at`` as the
resolution, title, service, urgency, priority); what the payload does not say (when impact
started, acknowledgement, impact figures) stays missing, so the draft asks for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pm_agent.errors import InputError

DRAFTED_EVENT = "incident.resolved"
SOURCE = "pagerduty-webhook"


@dataclass(frozen=True)
class PagerDutyEvent:
    """What pm-agent needs from one delivery: its id (for de-duplication), type, and the incident if drafted."""

    event_id: str
    event_type: str
    incident: dict[str, Any] | None
    """pm-agent incident JSON for ``incident.resolved``; None for event types that are not drafted."""


def read_event(payload: Any) -> PagerDutyEvent:
    """The delivery's event; an ``incident.resolved`` one mapped to pm-agent incident JSON."""
    event = payload.get("event") if isinstance(payload, dict) else None
    if not isinstance(event, dict):
        raise InputError("not a PagerDuty v3 webhook: expected an object with an 'event'", source=SOURCE)
    event_id, event_type = _text(event.get("id")), _text(event.get("event_type"))
    if not event_id or not event_type:
        raise InputError("the event has no 'id' or 'event_type'", source=SOURCE)
    if event_type != DRAFTED_EVENT:
        return PagerDutyEvent(event_id, event_type, None)
    data = event.get("data")
    if not isinstance(data, dict) or data.get("type", "incident") != "incident":
        raise InputError("an incident.resolved event without its incident in 'data'", source=SOURCE)
    return PagerDutyEvent(event_id, event_type, incident_json(data, event))


def incident_json(data: dict[str, Any], event: dict[str, Any]) -> dict[str, Any]:
    """pm-agent incident JSON for a resolved PagerDuty incident (``data``) and the event that closed it."""
    triggered, resolved = _text(data.get("created_at")), _text(event.get("occurred_at"))
    if not triggered and not resolved:
        raise InputError("the event gives neither the incident's created_at nor its occurred_at", source=SOURCE)
    title = _text(data.get("title")) or _text(data.get("summary"))
    service = _summary(data.get("service"))
    incident: dict[str, Any] = {
        "id": _text(data.get("id")) or _text(event.get("id")),
        "title": title or f"PagerDuty incident {_label(data)}".strip(),
        "severity": _summary(data.get("priority")),
        "services": [service] if service else [],
        "detected_at": triggered,
        "resolved_at": resolved,
        "events": _events(data, event, triggered, resolved, service),
        "notes": _notes(data),
    }
    return {key: value for key, value in incident.items() if value not in (None, "", [])}


def _events(
    data: dict[str, Any], event: dict[str, Any], triggered: str | None, resolved: str | None, service: str | None
) -> list[dict[str, Any]]:
    label = _label(data)
    details = [f"service {service}" if service else ""]
    details += [f"urgency {_text(data.get('urgency'))}" if _text(data.get("urgency")) else ""]
    details += [f"priority {_summary(data.get('priority'))}" if _summary(data.get("priority")) else ""]
    shown = ", ".join(d for d in details if d)
    title = _text(data.get("title"))
    events = []
    if triggered:
        text = f"Incident {label} triggered" + (f": {title}" if title else "") + (f" ({shown})" if shown else "")
        events.append({"at": triggered, "source": "page", "text": text})
    if resolved:
        reason = _summary(data.get("resolve_reason")) or _text(data.get("resolve_reason"))
        text = f"Incident {label} resolved" + (f": {reason}" if reason else "")
        agent = _summary(event.get("agent"))
        events.append({"at": resolved, "source": "page", "text": text, **({"actor": agent} if agent else {})})
    return events


def _notes(data: dict[str, Any]) -> str:
    """Where the draft came from, so a reader can open the incident in PagerDuty."""
    where = _text(data.get("html_url"))
    teams = [name for name in (_summary(team) for team in data.get("teams") or []) if name]
    parts = ["Drafted automatically when PagerDuty reported the incident resolved."]
    if teams:
        parts.append(f"Teams: {', '.join(teams)}.")
    if where:
        parts.append(f"PagerDuty incident: {where}")
    return " ".join(parts)


def _label(data: dict[str, Any]) -> str:
    number = data.get("number")
    return f"#{number}" if isinstance(number, int) and not isinstance(number, bool) else _text(data.get("id")) or ""


def _summary(reference: Any) -> str | None:
    """The ``summary`` of a PagerDuty reference object (service, priority, agent, team)."""
    return _text(reference.get("summary")) if isinstance(reference, dict) else None


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None
