"""pm-agent's own incident JSON: title, severity, key times, services, events, impact, notes."""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

from pydantic import ValidationError

from pm_agent.errors import InputError, first_problem
from pm_agent.ingest.base import ParsedFile, RawEvent, RawUndated
from pm_agent.ingest.timeparse import TimestampError, parse_timestamp, quoted
from pm_agent.models import Impact

TIME_FIELDS = ("started_at", "detected_at", "acknowledged_at", "mitigated_at", "resolved_at")
SOURCE_SYNONYMS = {
    "alert": "alert",
    "alerts": "alert",
    "monitoring": "alert",
    "alertmanager": "alert",
    "datadog": "alert",
    "chat": "chat",
    "slack": "chat",
    "teams": "chat",
    "message": "chat",
    "deploy": "deploy",
    "deployment": "deploy",
    "release": "deploy",
    "change": "deploy",
    "ci": "deploy",
    "page": "page",
    "pagerduty": "page",
    "opsgenie": "page",
    "pager": "page",
    "note": "note",
    "notes": "note",
    "comment": "note",
    "status": "note",
    "statuspage": "note",
    "metric": "metric",
    "metrics": "metric",
    "graph": "metric",
    "dashboard": "metric",
}


class NativeParser:
    """Reads ``{"title", "severity", "started_at", ..., "services", "events": [{"at", "source", "text"}], "notes"}``."""

    name = "pm-agent incident JSON"

    def sniff(self, data: Any) -> bool:
        if not isinstance(data, dict):
            return False
        if isinstance(data.get("events"), list):
            return True
        return "title" in data and any(key in data for key in TIME_FIELDS)

    def parse(self, data: Any, source: str, *, default_date: dt.date | None) -> ParsedFile:
        events = data.get("events") or []
        if not isinstance(events, list):
            raise InputError("'events' must be a list of {at, source, text}", source=source)
        parsed = ParsedFile(
            format="native",
            id=_optional_str(data.get("id")),
            title=_optional_str(data.get("title")),
            severity=_optional_str(data.get("severity")),
            services=_services(data.get("services"), source),
            notes=_notes(data.get("notes")),
            impact=_impact(data.get("impact"), source),
        )
        for field in TIME_FIELDS:
            if data.get(field) not in (None, ""):
                parsed.times[field] = _time(data[field], f"'{field}'", source, default_date)
        for index, item in enumerate(events):
            event = _event(item, index, source, default_date)
            (parsed.undated if isinstance(event, RawUndated) else parsed.events).append(event)
        return parsed


def _event(item: Any, index: int, source: str, default_date: dt.date | None) -> RawEvent | RawUndated:
    where = f"events[{index}]"
    if not isinstance(item, dict):
        raise InputError(f"{where} must be an object with 'at', 'source' and 'text'", source=source)
    text = str(item.get("text") or item.get("message") or "").strip()
    if not text:
        raise InputError(f"{where} has no 'text'", source=source)
    kind = str(item.get("source") or "note").strip().lower()
    if kind not in SOURCE_SYNONYMS:
        raise InputError(
            f"{where} has unknown source {quoted(kind)}; use alert, chat, deploy, page, note or metric", source=source
        )
    moment = item.get("at") or item.get("time") or item.get("timestamp")
    if moment in (None, ""):
        if item.get("time_text"):
            return RawUndated(source=SOURCE_SYNONYMS[kind], text=text, time_text=str(item["time_text"]), locator=where)
        raise InputError(
            f"{where} has no 'at' time (for an event whose exact time is unknown, set \"at\": null "
            'and describe what is known in "time_text")',
            source=source,
        )
    return RawEvent(
        at=_time(moment, where, source, default_date),
        source=SOURCE_SYNONYMS[kind],
        text=text,
        actor=_optional_str(item.get("actor") or item.get("user")),
        locator=where,
        approximate=item.get("approximate") is True or bool(_APPROXIMATE.match(str(item.get("time_text") or ""))),
    )


# A time the file gives as an estimate: "approximate": true, or a time_text beside "at" such as "~19:30" or "± 19:30".
_APPROXIMATE = re.compile(r"\s*(?:~|±|\+/-|(?:around|about|approx(?:\.|imately)?|circa|ca\.)\s)", re.IGNORECASE)


def _time(value: Any, where: str, source: str, default_date: dt.date | None) -> dt.datetime:
    try:
        return parse_timestamp(value, default_date=default_date)
    except TimestampError as exc:
        raise InputError(f"{where}: {exc}", source=source) from None


def _services(value: Any, source: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list):
        return [str(item).strip() for item in value if str(item).strip()]
    raise InputError("'services' must be a list of names", source=source)


def _impact(value: Any, source: str) -> dict[str, Any]:
    """The impact object, checked here so that a bad figure is reported as the file's, naming it."""
    if not isinstance(value, dict):
        return {}
    try:
        impact = Impact.model_validate(value)
    except ValidationError as exc:
        where, problem = first_problem(exc)
        raise InputError(f"'impact.{where}': {problem}", source=source) from None
    for figure in impact.figures():
        if figure.value is not None and not math.isfinite(figure.value):
            raise InputError(f"'impact.{figure.kind}' is {figure.value}, not a figure", source=source)
    return value


def _notes(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "\n".join(str(item) for item in value)
    return str(value)


def _optional_str(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


PARSER = NativeParser()
