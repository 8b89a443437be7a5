"""PagerDuty REST API v2 log entries: ``{"log_entries": [...]}`` as ``GET /incidents/{id}/log_entries`` returns it.

Each log entry becomes one sentence on the timeline ("Acknowledged by Jane Doe"). The trigger is
the alert; acknowledging, notifying, escalating, assigning and resolving are paging; notes are
notes. The entries also give the incident's id, title, services and its detection,
acknowledgement and resolution times.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from pm_agent.errors import InputError
from pm_agent.ingest.base import ParsedFile, RawEvent
from pm_agent.ingest.timeparse import UTC, TimestampError, parse_timestamp

ENTRY_SUFFIX = "_log_entry"
SOURCES = {
    "trigger": "alert",
    "acknowledge": "page",
    "escalate": "page",
    "notify": "page",
    "assign": "page",
    "annotate": "note",
    "resolve": "page",
}
DEFAULT_SOURCE = "page"
CHANNEL_WORDS = {
    "api": "API",
    "email": "email",
    "web_trigger": "the web UI",
    "website": "the web UI",
    "mobile": "the mobile app",
    "auto": "automation",
    "timeout": "timeout",
    "nagios": "Nagios",
    "sms": "SMS",
    "phone": "phone",
    "push_notification": "push notification",
    "slack": "Slack",
}
_INCIDENT_NUMBER = re.compile(r"^\[#\d+\]\s*")


class PagerDutyParser:
    """Reads ``log_entries`` objects: ``type``, ``created_at``, ``agent``, ``channel``, ``incident``, ``note``."""

    name = "PagerDuty log entries"

    def sniff(self, data: Any) -> bool:
        if isinstance(data, dict):
            return isinstance(data.get("log_entries"), list)
        if isinstance(data, list) and data:
            return all(isinstance(item, dict) and str(item.get("type", "")).endswith(ENTRY_SUFFIX) for item in data)
        return False

    def parse(self, data: Any, source: str, *, default_date: dt.date | None) -> ParsedFile:
        entries = data.get("log_entries") if isinstance(data, dict) else data
        if not isinstance(entries, list):
            raise InputError('PagerDuty log entries must be {"log_entries": [...]}', source=source)
        parsed = ParsedFile(format="pagerduty")
        kinds: list[str] = []
        for index, entry in enumerate(entries):
            where = f"log_entries[{index}]"
            kind = _kind(entry, where, source)
            parsed.events.append(_event(entry, kind, where, source))
            kinds.append(kind)
            _add_service(parsed.services, entry)
        _fill_incident(parsed, entries, kinds)
        return parsed


def _kind(entry: Any, where: str, source: str) -> str:
    """``acknowledge`` for ``acknowledge_log_entry``; also accepts the ``..._reference`` variants."""
    if not isinstance(entry, dict):
        raise InputError(f"{where} must be a log entry object with 'type' and 'created_at'", source=source)
    entry_type = entry.get("type").strip() if isinstance(entry.get("type"), str) else ""
    if not entry_type:
        raise InputError(f"{where} has no 'type' (such as trigger_log_entry)", source=source)
    return entry_type.removesuffix("_reference").removesuffix(ENTRY_SUFFIX)


def _event(entry: dict[str, Any], kind: str, where: str, source: str) -> RawEvent:
    if entry.get("created_at") in (None, ""):
        raise InputError(f"{where} has no 'created_at' time", source=source)
    try:
        at = parse_timestamp(entry["created_at"])
    except TimestampError as exc:
        raise InputError(f"{where}: {exc}", source=source) from None
    return RawEvent(
        at=at,
        source=SOURCES.get(kind, DEFAULT_SOURCE),
        text=describe(entry, kind),
        actor=_summary(entry.get("agent")) or None,
        locator=where,
    )


def describe(entry: dict[str, Any], kind: str) -> str:
    """One readable sentence for a log entry, built from its fields rather than PagerDuty's terse summary."""
    agent = _summary(entry.get("agent"))
    by_agent = f" by {agent}" if agent else ""
    summary = _text(entry.get("summary")).rstrip(".")
    if kind == "trigger":
        what = _summary(entry.get("incident")) or summary or "incident"
        via = _channel_words(entry)
        return f"Triggered: {what}" + (f" via {via}" if via else "")
    if kind == "acknowledge":
        return f"Acknowledged{by_agent}"
    if kind == "resolve":
        return f"Resolved{by_agent}"
    if kind == "annotate":
        return f"Note: {_note(entry) or summary or '(empty)'}"
    if kind == "notify":
        return _notify_text(entry) or summary or "Notified on-call"
    if kind == "escalate":
        if summary.lower().startswith("escalated"):
            return summary  # PagerDuty's own wording names the level
        names = _assignees(entry)
        return f"Escalated to {names}" if names else "Escalated"
    if kind == "assign":
        names = _assignees(entry)
        return f"Assigned to {names}{by_agent}" if names else summary or "Reassigned"
    return summary or kind.replace("_", " ").capitalize()


def _notify_text(entry: dict[str, Any]) -> str:
    person = _summary(entry.get("user"))
    if not person:
        return ""
    via = _channel_words(entry)
    return f"Notified {person}" + (f" by {via}" if via else "")


def _note(entry: dict[str, Any]) -> str:
    note = entry.get("note")
    if isinstance(note, dict):
        return _text(note.get("content"))
    if isinstance(note, str):
        return note.strip()
    channel = _dict(entry.get("channel"))
    return _text(channel.get("summary")) if channel.get("type") == "note" else ""


def _channel_words(entry: dict[str, Any]) -> str:
    kind = _text(_dict(entry.get("channel")).get("type"))
    return CHANNEL_WORDS.get(kind, kind.replace("_", " "))


def _assignees(entry: dict[str, Any]) -> str:
    people = entry.get("assignees")
    names = [name for person in people if (name := _summary(person))] if isinstance(people, list) else []
    return ", ".join(names)


def _add_service(services: list[str], entry: dict[str, Any]) -> None:
    name = _summary(entry.get("service"))
    if name and name not in services:
        services.append(name)


def _fill_incident(parsed: ParsedFile, entries: list[Any], kinds: list[str]) -> None:
    """Key times (first trigger, first acknowledgement, last resolution), id and title."""
    first_trigger = _pick(parsed.events, kinds, "trigger", min)
    first_ack = _pick(parsed.events, kinds, "acknowledge", min)
    last_resolve = _pick(parsed.events, kinds, "resolve", max)
    for key, index in (("detected_at", first_trigger), ("acknowledged_at", first_ack), ("resolved_at", last_resolve)):
        if index is not None:
            parsed.times[key] = parsed.events[index].at
    described = [first_trigger] + [i for i, entry in enumerate(entries) if _dict(entry.get("incident"))]
    incident = next((_dict(entries[i].get("incident")) for i in described if i is not None), {})
    parsed.id = _text(incident.get("id")) or None
    parsed.title = _INCIDENT_NUMBER.sub("", _text(incident.get("summary"))) or None


def _pick(events: list[RawEvent], kinds: list[str], kind: str, choose) -> int | None:
    """Index of the earliest (``min``) or latest (``max``) event of one kind; the file may list newest first."""
    indexes = [i for i, k in enumerate(kinds) if k == kind]
    if not indexes:
        return None
    return choose(indexes, key=lambda i: _comparable(events[i].at))


def _comparable(moment: dt.datetime) -> dt.datetime:
    """Only for ordering: a naive time is compared as if UTC (the loader refuses files that mix them)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _summary(reference: Any) -> str:
    return _text(reference.get("summary")) if isinstance(reference, dict) else ""


def _text(value: Any) -> str:
    return " ".join(str(value).split()) if isinstance(value, str | int | float) and not isinstance(value, bool) else ""


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


PARSER = PagerDutyParser()
