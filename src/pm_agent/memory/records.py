"""What the memory stores: one :class:`MemoryRecord` per incident or postmortem, whatever its format.

A record is built from pm-agent incident JSON, our postmortem JSON, a JSON Lines row (an
incident data set such as ``incidents.jsonl``) or a Markdown postmortem. Its id is a hash of
its content, so ingesting the same content twice yields the same id and adds nothing.
A later version of a postmortem keeps the id of its first version (the memory stores it over
the current one), and the content hash of every version still finds it.

Fields a data set uses as evaluation labels (``categories``, ``category_*``) are never read:
cause categories come from :func:`pm_agent.analysis.causes.categories.classify_causes` over the text.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any, Literal

from pydantic import BaseModel, Field

from pm_agent.models import ActionItem, Incident, Postmortem

RecordKind = Literal["incident", "postmortem"]
SUMMARY_LIMIT = 600
TEXT_FIELDS = ("summary", "description", "notes", "impact_summary", "details")


class MemoryRecord(BaseModel):
    """An incident or postmortem as remembered: what search ranks and what patterns count."""

    id: str = Field(
        description="Content hash of the first version: the same content always gets the same id, "
        "and later versions of a postmortem keep it."
    )
    kind: RecordKind
    source_id: str = Field(description="The id the input gave (incident id, data-set slug, file name).")
    title: str
    summary: str = ""
    date: dt.date | None = None
    severity: str | None = None
    services: list[str] = Field(default_factory=list)
    causes: list[str] = Field(default_factory=list, description="Cause categories from classify_causes.")
    root_causes: list[str] = Field(default_factory=list)
    contributing_factors: list[str] = Field(default_factory=list)
    action_items: list[ActionItem] = Field(default_factory=list)
    resolve_minutes: float | None = Field(default=None, description="Time to resolve, when the input gives it.")
    source: str = Field(default="", description="File (and line) it was read from.")
    extra: dict[str, str] = Field(default_factory=dict, description="Other plain facts: company, url.")
    body: str = Field(default="", description="Further text that search should see (events, sections).")
    done_on: dict[str, dt.date] = Field(default_factory=dict, description="Action id -> the day it was marked done.")
    original: dict[str, Any] | None = Field(default=None, description="Our postmortem JSON, when that was the input.")

    def text(self) -> str:
        """The text that is embedded and indexed: title, summary, causes found, then the rest."""
        parts = [_title_without_repeat(self.title, self.summary), self.summary]
        parts += self.root_causes + self.contributing_factors
        if self.body:
            parts.append(self.body)
        return "\n".join(part for part in parts if part)


def _title_without_repeat(title: str, summary: str) -> str:
    """The title, or only its ``Company:`` prefix when the summary already opens with the rest.

    Curated lists often title an incident with the first words of its summary; embedding
    them twice would only weight those words double.
    """
    head, sep, rest = title.partition(": ")
    candidate = rest if sep else title
    candidate = candidate.rstrip("…. ").strip()
    if candidate and summary.startswith(candidate[:40]):
        return f"{head}:" if sep else ""
    return title


def content_id(kind: RecordKind, content: Any) -> str:
    """``inc-``/``pm-`` and 16 hex digits of the sha256 of the canonical JSON of ``content``."""
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]
    return f"{'inc' if kind == 'incident' else 'pm'}-{digest}"


def with_action_ids(record: MemoryRecord) -> MemoryRecord:
    """Give every action item an id unique in the memory: ``<record id>.a<n>``."""
    items = [item.model_copy(update={"id": f"{record.id}.a{n}"}) for n, item in enumerate(record.action_items, 1)]
    return record.model_copy(update={"action_items": items})


# --- from each input shape ---------------------------------------------------------------


def record_from_postmortem(postmortem: Postmortem, source: str = "") -> MemoryRecord:
    """A finished (or drafted) postmortem in our own model."""
    content = postmortem.model_dump(mode="json", exclude={"score"})
    chain = postmortem.root_cause
    metrics = {metric.name: metric.minutes for metric in postmortem.metrics}
    record = MemoryRecord(
        id=content_id("postmortem", content),
        kind="postmortem",
        source_id=postmortem.incident_id,
        title=postmortem.title,
        summary=postmortem.summary,
        date=postmortem.date,
        severity=postmortem.severity,
        services=list(postmortem.services),
        root_causes=[branch.root_cause for branch in chain.branches] if chain else [],
        contributing_factors=list(postmortem.contributing_factors),
        action_items=list(postmortem.action_items),
        resolve_minutes=metrics.get("time_to_resolve") or metrics.get("duration"),
        source=source,
        body="\n".join(postmortem.lessons),
        original=content,
    )
    return with_action_ids(record)


def record_from_incident(incident: Incident, content: Any, source: str = "") -> MemoryRecord:
    """An incident as pm-agent's ingest normalised it (timeline, key times, services)."""
    start = incident.started_at or incident.detected_at or (incident.events[0].at if incident.events else None)
    resolved = incident.resolved_at or incident.mitigated_at
    minutes = (resolved - start).total_seconds() / 60 if start and resolved and resolved >= start else None
    events = [event.text for event in incident.events]
    return MemoryRecord(
        id=content_id("incident", content),
        kind="incident",
        source_id=incident.id,
        title=incident.title,
        summary=_clip(incident.notes or " ".join(events)),
        date=start.date() if start else None,
        severity=incident.severity,
        services=list(incident.services),
        resolve_minutes=minutes,
        source=source,
        body="\n".join(events) if incident.notes else "\n".join(events[3:]),
    )


def record_from_plain(data: dict[str, Any], source: str = "") -> MemoryRecord:
    """A data-set row or a minimal incident: title, summary, date, severity, services, id.

    Label fields (``categories``, ``category_norm``, ``category_primary`` ...) are ignored.
    """
    title = str(data.get("title") or data.get("name") or "").strip()
    summary = next((str(data[key]).strip() for key in TEXT_FIELDS if data.get(key)), "")
    if not title and not summary:
        raise ValueError("no title or summary")
    extra = {key: str(data[key]) for key in ("company", "url") if data.get(key)}
    factors = data.get("contributing_factors")
    return with_action_ids(
        MemoryRecord(
            id=content_id("incident", data),
            kind="incident",
            source_id=str(data.get("id") or data.get("incident_id") or content_id("incident", data)),
            title=title or _clip(summary, 120),
            summary=summary,
            date=_date(data.get("date") or data.get("started_at")),
            severity=_optional(data.get("severity")),
            services=_names(data.get("services")),
            contributing_factors=[str(f) for f in factors] if isinstance(factors, list) else [],
            action_items=_actions(data.get("action_items")),
            resolve_minutes=_number(data.get("resolve_minutes") or data.get("time_to_resolve_minutes")),
            source=source,
            extra=extra,
        )
    )


def _clip(text: str, limit: int = SUMMARY_LIMIT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _date(value: Any) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _optional(value: Any) -> str | None:
    return str(value).strip() or None if value is not None else None


def _names(value: Any) -> list[str]:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list):
        return [str(item).strip() for item in value if str(item).strip()]
    return []


def _number(value: Any) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _actions(value: Any) -> list[ActionItem]:
    if not isinstance(value, list):
        return []
    out = []
    for item in value:
        if isinstance(item, dict) and item.get("title"):
            out.append(ActionItem.model_validate({k: v for k, v in item.items() if k in ActionItem.model_fields}))
        elif isinstance(item, str) and item.strip():
            out.append(ActionItem(title=item.strip()))
    return out
