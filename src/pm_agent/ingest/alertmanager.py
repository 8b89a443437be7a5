"""Prometheus Alertmanager webhook payloads (version 4), one delivery or a JSON list of saved deliveries.

Every alert gives a FIRING event at ``startsAt`` and, once resolved with a real ``endsAt``, a
RESOLVED event there. An alert that Alertmanager delivered several times (a repeat, then the
resolution) is one alert: it is reported once, from the first delivery that shows it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pm_agent.errors import InputError
from pm_agent.ingest.base import ParsedFile, RawEvent
from pm_agent.ingest.timeparse import UTC, TimestampError, parse_timestamp

STILL_FIRING = "0001-01-01T00:00:00Z"
SERVICE_LABELS = ("service", "app", "job")
SEVERITY_RANK = {
    "info": 1, "informational": 1, "low": 1, "minor": 1, "none": 0,
    "warning": 2, "warn": 2, "medium": 2,
    "error": 3, "high": 3, "major": 3,
    "critical": 4, "page": 4, "emergency": 4, "fatal": 4,
}  # fmt: skip
_PAYLOAD_KEYS = ("receiver", "groupKey", "version", "groupLabels", "commonLabels")


class AlertmanagerParser:
    """Reads ``{"receiver", "status", "alerts": [{"status", "labels", "annotations", "startsAt", "endsAt"}], ...}``."""

    name = "Alertmanager webhook"

    def sniff(self, data: Any) -> bool:
        if isinstance(data, dict):
            return _is_payload(data)
        return isinstance(data, list) and bool(data) and all(_is_payload(item) for item in data)

    def parse(self, data: Any, source: str, *, default_date: dt.date | None) -> ParsedFile:
        parsed = ParsedFile(format="alertmanager")
        seen: set[tuple[object, str, dt.datetime]] = set()
        for prefix, payload in _payloads(data, source):
            alerts = payload.get("alerts")
            if not isinstance(alerts, list):
                raise InputError(f"{prefix}alerts must be a list", source=source)
            for index, alert in enumerate(alerts):
                for event in _alert_events(alert, payload, f"{prefix}alerts[{index}]", source):
                    key = (_identity(alert), event.text.split(" ", 1)[0], event.at)
                    if key not in seen:
                        seen.add(key)
                        parsed.events.append(event)
                _add_facts(parsed, alert)
        firing = [event.at for event in parsed.events if event.text.startswith("FIRING")]
        if firing:
            parsed.times["detected_at"] = min(firing, key=_comparable)
        return parsed


def _identity(alert: dict[str, Any]) -> object:
    """What makes two deliveries the same alert: its fingerprint (a string), else its whole label set."""
    fingerprint = alert.get("fingerprint")
    if isinstance(fingerprint, str) and fingerprint.strip():
        return fingerprint
    return tuple(sorted(_strings(alert.get("labels")).items()))


def _is_payload(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get("alerts"), list) and any(k in data for k in _PAYLOAD_KEYS)


def _payloads(data: Any, source: str) -> list[tuple[str, dict[str, Any]]]:
    """``("", payload)`` for one delivery, ``("[j].", payload)`` for each of a list."""
    if isinstance(data, dict):
        return [("", data)]
    if not isinstance(data, list):
        raise InputError("an Alertmanager webhook payload is an object with 'alerts'", source=source)
    for index, item in enumerate(data):
        if not isinstance(item, dict):
            raise InputError(f"[{index}] must be a webhook payload object with 'alerts'", source=source)
    return [(f"[{index}].", item) for index, item in enumerate(data)]


def _alert_events(alert: Any, payload: dict[str, Any], where: str, source: str) -> list[RawEvent]:
    if not isinstance(alert, dict):
        raise InputError(f"{where} must be an alert object with 'labels' and 'startsAt'", source=source)
    if alert.get("startsAt") in (None, ""):
        raise InputError(f"{where} has no 'startsAt' time", source=source)
    labels = _strings(alert.get("labels"))
    description = describe(labels, _strings(alert.get("annotations")))
    events = [
        RawEvent(
            at=_time(alert["startsAt"], where, source), source="alert", text=f"FIRING {description}", locator=where
        )
    ]
    status = str(alert.get("status") or payload.get("status") or "").lower()
    ends_at = alert.get("endsAt")
    if status == "resolved" and ends_at not in (None, "", STILL_FIRING):
        at = _time(ends_at, where, source)
        events.append(RawEvent(at=at, source="alert", text=f"RESOLVED {description}", locator=where))
    return events


def describe(labels: dict[str, str], annotations: dict[str, str]) -> str:
    """``CheckoutLatencyHigh (severity=critical, service=checkout): p99 above 2 s``."""
    name = labels.get("alertname") or "unnamed alert"
    shown = [f"severity={labels['severity']}"] if labels.get("severity") else []
    service_label = next((label for label in SERVICE_LABELS if labels.get(label)), None)
    if service_label:
        shown.append(f"{service_label}={labels[service_label]}")
    text = f"{name} ({', '.join(shown)})" if shown else name
    summary = annotations.get("summary") or annotations.get("description") or annotations.get("message")
    return f"{text}: {summary}" if summary else text


def _add_facts(parsed: ParsedFile, alert: dict[str, Any]) -> None:
    """The alert's service (first of service, app, job) and the highest severity seen."""
    labels = _strings(alert.get("labels"))
    service = next((labels[label] for label in SERVICE_LABELS if labels.get(label)), None)
    if service and service not in parsed.services:
        parsed.services.append(service)
    severity = labels.get("severity")
    if severity and _rank(severity) > (_rank(parsed.severity) if parsed.severity else -1):
        parsed.severity = severity


def _rank(severity: str) -> int:
    return SEVERITY_RANK.get(severity.strip().lower(), 0)


def _time(value: Any, where: str, source: str) -> dt.datetime:
    try:
        return parse_timestamp(value)
    except TimestampError as exc:
        raise InputError(f"{where}: {exc}", source=source) from None


def _comparable(moment: dt.datetime) -> dt.datetime:
    """Only for ordering: a naive time is compared as if UTC (the loader refuses files that mix them)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _strings(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(key): " ".join(str(item).split()) for key, item in value.items() if item is not None}


PARSER = AlertmanagerParser()
